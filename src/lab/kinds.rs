//! Which keys of a `[[steps]]` table belong to which kind of step, and the ones a step
//! has, with where they are in the file.

use std::ops::Range;

use toml::Spanned;

use super::file::{StepFile, Text};

pub const KINDS: &[&str] = &["request", "form", "editor", "issue", "probe", "revoke"];

/// The keys only some kinds of step have, and which.
pub const KEYS_OF_KINDS: &[(&str, &[&str])] = &[
    ("request", &["request", "form", "editor", "issue"]),
    ("failed", &["request", "form", "editor", "issue"]),
    ("done_when", &["request", "form", "editor"]),
    ("already", &["request"]),
    ("read_back", &["form"]),
    ("facts", &["request"]),
    ("idle", &["request", "form", "issue", "probe", "revoke"]),
    ("running", &["request", "probe"]),
    ("done", &["request"]),
    ("fields", &["form"]),
    ("verify", &["form"]),
    ("edit", &["form"]),
    ("incomplete", &["form"]),
    ("incomplete_hint", &["form"]),
    ("document", &["editor"]),
    ("checker", &["editor"]),
    ("templates", &["editor"]),
    ("show", &["issue"]),
    ("secret", &["issue"]),
    ("secret_name", &["issue"]),
    ("exports", &["issue"]),
    ("not_credentials", &["issue"]),
    ("actions", &["issue"]),
    ("accepted", &["probe"]),
    ("denied_hint", &["probe"]),
];

/// The optional keys a step has, with where they are.
pub fn present_keys(step: &StepFile) -> Vec<(&'static str, Range<usize>)> {
    let mut keys = Vec::new();
    let mut add = |key: &'static str, span: Option<Range<usize>>| {
        if let Some(span) = span {
            keys.push((key, span));
        }
    };
    let text = |t: &Option<Text>| t.as_ref().map(Spanned::span);
    add("request", step.request.as_ref().map(Spanned::span));
    add("failed", text(&step.failed));
    add("done_when", step.done_when.as_ref().map(Spanned::span));
    add("already", step.already.as_ref().map(Spanned::span));
    add("read_back", step.read_back.as_ref().map(Spanned::span));
    add(
        "facts",
        step.facts
            .as_ref()
            .map(|f| f.first().map_or(step.kind.span(), |(l, _)| l.span())),
    );
    add("idle", text(&step.idle));
    add("running", text(&step.running));
    add("done", text(&step.done));
    add(
        "fields",
        step.fields
            .as_ref()
            .map(|f| f.first().map_or(step.kind.span(), Spanned::span)),
    );
    add("verify", step.verify.as_ref().map(Spanned::span));
    add("edit", text(&step.edit));
    add("incomplete", text(&step.incomplete));
    add("incomplete_hint", text(&step.incomplete_hint));
    add("document", text(&step.document));
    add("checker", text(&step.checker));
    add(
        "templates",
        step.templates
            .as_ref()
            .map(|t| t.first().map_or(step.kind.span(), Spanned::span)),
    );
    add(
        "show",
        step.show
            .as_ref()
            .map(|s| s.first().map_or(step.kind.span(), Spanned::span)),
    );
    add(
        "secret",
        step.secret
            .as_ref()
            .map(|s| s.first().map_or(step.kind.span(), Spanned::span)),
    );
    add("secret_name", text(&step.secret_name));
    add(
        "exports",
        step.exports
            .as_ref()
            .map(|e| e.first().map_or(step.kind.span(), Spanned::span)),
    );
    add("not_credentials", text(&step.not_credentials));
    add(
        "actions",
        step.actions
            .as_ref()
            .map(|a| a.first().map_or(step.kind.span(), Spanned::span)),
    );
    add("accepted", text(&step.accepted));
    add("denied_hint", text(&step.denied_hint));
    keys
}
