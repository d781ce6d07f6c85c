//! From `lab.toml` to a [`Lab`]: every kind of step gets what it needs and nothing it
//! does not, every `{placeholder}` names a value the app has, secrets are never shown,
//! and the lab gives its engine the values it reads. A mistake is reported with the file,
//! its line and column, and what was expected.

use std::collections::BTreeSet;
use std::ops::Range;

use serde_json::Value;
use toml::Spanned;

use super::file::{
    ActionFile, DoneWhenFile, FieldFile, LabFile, RequestFile, StepFile, TemplateFile, Text,
};
use super::kinds::{KEYS_OF_KINDS, KINDS, present_keys};
use super::model::{
    Action, Already, DoneWhen, EditorStep, Field, Finish, FormStep, IssueStep, Lab, LabWords,
    ProbeStep, ReadBack, RequestStep, RevokeStep, Step, StepKind, Template,
};
use super::template::{Method, RequestTemplate, placeholders, unclosed, whole};
use super::{LabError, LabSource};
use crate::checkers::{Checker, DocumentCheck};
use crate::engines::spec::{self, EngineSpec};

/// Values the app has for every lab: where Vault is, and the current lease.
pub const BUILT_IN: &[&str] = &["vault_addr", "lease_id", "service_endpoint"];

/// Keys the app's own bindings use on a step's pane: an action cannot take them.
const TAKEN_KEYS: &str = "npqlrvcetdxXui?";

/// Reads a key a kind of step must have, or says it is missing.
type Need<'a> = &'a dyn Fn(&Option<Text>, &str) -> Result<String, LabError>;

/// The placeholders a lab may use, and where: plain values anywhere, secrets and
/// documents only as a whole body value (sent, never shown).
#[derive(Default)]
struct Known {
    plain: BTreeSet<String>,
    secret: BTreeSet<String>,
    documents: BTreeSet<String>,
}

/// Where a template is used.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    /// On screen or in a path.
    Shown,
    /// A request body's value: sent.
    Body,
    /// An `export` line: masked until revealed, copied to the clipboard.
    Export,
    /// A command the learner would type (`cli`): a document may be in it, as it would be
    /// on the command line (a heredoc), never a secret.
    Command,
}

pub(super) struct Loader<'a> {
    source: &'a dyn LabSource,
    text: String,
    known: Known,
    /// The lab's engine, once read.
    engine: Option<&'static EngineSpec>,
}

impl<'a> Loader<'a> {
    pub(super) fn new(source: &'a dyn LabSource) -> Result<Self, LabError> {
        Ok(Self {
            text: source.read("lab.toml")?,
            source,
            known: Known::default(),
            engine: None,
        })
    }

    /// A mistake at `span` of lab.toml.
    fn error(&self, span: Range<usize>, problem: impl Into<String>) -> LabError {
        let (line, column) = line_and_column(&self.text, span.start);
        LabError::Invalid {
            path: self.source.display_path("lab.toml"),
            line,
            column,
            problem: problem.into(),
        }
    }

    /// Reads the lab in the folder named `folder`: `--lab` finds a lab by its folder, so
    /// the file's `id` must be that name.
    pub(super) fn load(mut self, folder: &str) -> Result<Lab, LabError> {
        let file: LabFile = toml::from_str(&self.text)
            .map_err(|e| self.error(e.span().unwrap_or(0..0), e.message().trim().to_owned()))?;
        if file.id.get_ref() != folder {
            return Err(self.error(
                file.id.span(),
                format!(
                    "id {:?} differs from the lab's folder name; expected id = {folder:?}",
                    file.id.get_ref()
                ),
            ));
        }
        let engine = spec::find(file.engine.get_ref()).ok_or_else(|| {
            let ids: Vec<&str> = spec::ENGINES.iter().map(|e| e.id).collect();
            self.error(
                file.engine.span(),
                format!(
                    "unknown engine {:?}; expected one of: {}",
                    file.engine.get_ref(),
                    ids.join(", ")
                ),
            )
        })?;
        self.engine = Some(engine);
        self.learn_names(&file, engine)?;
        let vars: Vec<(String, String)> = file
            .vars
            .iter()
            .map(|(name, value)| Ok((name.clone(), self.shown(value)?)))
            .collect::<Result<_, LabError>>()?;
        if !vars.iter().any(|(name, _)| name == "mount") {
            // At the [vars] table when there is one.
            let table = self
                .text
                .match_indices("[vars]")
                .map(|(at, _)| at)
                .find(|&at| at == 0 || self.text[..at].ends_with('\n'))
                .unwrap_or(0);
            return Err(self.error(
                table..table,
                "missing `mount` in [vars]: where the lab's engine is mounted",
            ));
        }
        if file.steps.is_empty() {
            return Err(self.error(0..0, "a lab needs at least one [[steps]]"));
        }
        let mut steps = Vec::new();
        let mut ids = BTreeSet::new();
        for step in &file.steps {
            if !ids.insert(step.get_ref().id.get_ref().clone()) {
                return Err(self.error(
                    step.get_ref().id.span(),
                    format!("a second step with id {:?}", step.get_ref().id.get_ref()),
                ));
            }
            steps.push(self.step(step)?);
        }
        self.check_order(&file, &steps)?;
        Ok(Lab {
            id: file.id.get_ref().clone(),
            title: self.shown(&file.title)?,
            line: self.shown(&file.line)?,
            summary: self.shown(&file.summary)?,
            engine,
            vars,
            words: LabWords {
                sandbox: self.shown(&file.sandbox)?,
                live: self.shown(&file.live)?,
                live_endpoint: file
                    .live_endpoint
                    .as_ref()
                    .map(|t| self.shown(t))
                    .transpose()?,
                second_terminal: self.shown(&file.second_terminal)?,
                checks: self.shown(&file.checks)?,
                lease: self.shown(&file.leases.what)?,
                lease_earlier: self.shown(&file.leases.earlier)?,
                lease_at_quit: self.shown(&file.leases.at_quit)?,
                lease_at_quit_sandbox: file
                    .leases
                    .at_quit_sandbox
                    .as_ref()
                    .map(|t| self.shown(t))
                    .transpose()?,
            },
            finish: Finish {
                done: self.shown(&file.finish.done)?,
                summary: self.shown(&file.finish.summary)?,
                try_next: file
                    .finish
                    .try_next
                    .iter()
                    .map(|t| self.shown(t))
                    .collect::<Result<_, _>>()?,
            },
            steps,
            notes: Default::default(),
        })
    }

    /// Every name a template may use: built-in, the lab's variables, the engine's, the
    /// form fields, the editors' documents, the issued credentials' fields.
    fn learn_names(&mut self, file: &LabFile, engine: &EngineSpec) -> Result<(), LabError> {
        let known = &mut self.known;
        known.plain.extend(BUILT_IN.iter().map(|n| n.to_string()));
        known.plain.extend(file.vars.keys().cloned());
        known
            .plain
            .extend(engine.vars.iter().map(|n| n.to_string()));
        let mut fields = BTreeSet::new();
        for step in &file.steps {
            let step = step.get_ref();
            for field in step.fields.iter().flatten() {
                let field = field.get_ref();
                let name = field.name.get_ref().clone();
                if !fields.insert(name.clone()) {
                    let span = field.name.span();
                    return Err(self.error(span, format!("a second form field named {name:?}")));
                }
                let known = &mut self.known;
                match field.secret {
                    true => known.secret.insert(name),
                    false => known.plain.insert(name),
                };
            }
            if let Some(document) = &step.document {
                self.known.documents.insert(document.get_ref().clone());
            }
            let secret: Vec<&String> = step.secret.iter().flatten().map(|s| s.get_ref()).collect();
            for shown in step.show.iter().flatten() {
                let name = format!("creds.{}", shown.get_ref());
                match secret.contains(&shown.get_ref()) {
                    true => self.known.secret.insert(name),
                    false => self.known.plain.insert(name),
                };
            }
        }
        for needed in engine.form_fields {
            if !fields.contains(*needed) {
                return Err(self.error(
                    file.engine.span(),
                    format!(
                        "the {} engine reads a form field named {needed:?}; expected it among the form fields of the lab (found: {})",
                        engine.id,
                        names(&fields)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Probe and revoke steps use credentials: an issue step comes first.
    fn check_order(&self, file: &LabFile, steps: &[Step]) -> Result<(), LabError> {
        let mut issued = false;
        for (file_step, step) in file.steps.iter().zip(steps) {
            match step.kind {
                StepKind::Issue(_) if issued => {
                    return Err(self.error(
                        file_step.span(),
                        "a second issue step; expected one, whose credentials the probe and revoke steps use",
                    ));
                }
                StepKind::Issue(_) => issued = true,
                StepKind::Probe(_) | StepKind::Revoke(_) if !issued => {
                    return Err(self.error(
                        file_step.span(),
                        format!(
                            "a {} step uses credentials; expected an issue step before it",
                            step.kind.name()
                        ),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn step(&self, spanned: &Spanned<StepFile>) -> Result<Step, LabError> {
        let step = spanned.get_ref();
        let kind = step.kind.get_ref().as_str();
        if !KINDS.contains(&kind) {
            return Err(self.error(
                step.kind.span(),
                format!(
                    "unknown kind {kind:?}; expected one of: {}",
                    KINDS.join(", ")
                ),
            ));
        }
        for (key, span) in present_keys(step) {
            let kinds = KEYS_OF_KINDS
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(&[][..], |(_, kinds)| *kinds);
            if !kinds.contains(&kind) {
                return Err(self.error(
                    span,
                    format!(
                        "`{key}` does not belong in {} {kind} step (it is for: {})",
                        article(kind),
                        kinds.join(", ")
                    ),
                ));
            }
        }
        let need = |value: &Option<Text>, key: &str| -> Result<String, LabError> {
            match value {
                Some(text) => self.shown(text),
                None => Err(self.missing(spanned, kind, key)),
            }
        };
        let kind_of_step = match kind {
            "request" => StepKind::Request(RequestStep {
                request: self.request(step.request.as_ref(), spanned, kind)?,
                failed: need(&step.failed, "failed")?,
                done_when: self.done_when(step.done_when.as_ref())?,
                already: match &step.already {
                    None => None,
                    Some(already) => {
                        let a = already.get_ref();
                        if step.done_when.is_none() {
                            return Err(self.error(
                                already.span(),
                                "`already` needs `done_when`: it is the read that says whether the step was done",
                            ));
                        }
                        Some(Already {
                            when: a.when.get_ref().clone(),
                            done: self.shown(&a.done)?,
                            other: self.shown(&a.other)?,
                            other_hint: self.shown(&a.other_hint)?,
                        })
                    }
                },
                facts: step
                    .facts
                    .iter()
                    .flatten()
                    .map(|(label, value)| Ok((self.shown(label)?, self.shown(value)?)))
                    .collect::<Result<_, LabError>>()?,
                idle: need(&step.idle, "idle")?,
                running: need(&step.running, "running")?,
                done: need(&step.done, "done")?,
            }),
            "form" => StepKind::Form(FormStep {
                fields: match &step.fields {
                    Some(fields) if !fields.is_empty() => fields
                        .iter()
                        .map(|f| self.field(f.get_ref()))
                        .collect::<Result<_, _>>()?,
                    _ => return Err(self.missing(spanned, kind, "fields")),
                },
                request: self.request(step.request.as_ref(), spanned, kind)?,
                failed: need(&step.failed, "failed")?,
                done_when: self.done_when(step.done_when.as_ref())?,
                read_back: match &step.read_back {
                    None => None,
                    Some(read_back) => Some(ReadBack {
                        read: self.shown(&read_back.get_ref().read)?,
                        failed: self.shown(&read_back.get_ref().failed)?,
                    }),
                },
                verify: step.verify.as_ref().is_some_and(|v| *v.get_ref()),
                idle: need(&step.idle, "idle")?,
                edit: need(&step.edit, "edit")?,
                incomplete: need(&step.incomplete, "incomplete")?,
                incomplete_hint: need(&step.incomplete_hint, "incomplete_hint")?,
            }),
            "editor" => {
                let checker = step
                    .checker
                    .as_ref()
                    .ok_or_else(|| self.missing(spanned, kind, "checker"))?;
                let checker = Checker::parse(checker.get_ref()).ok_or_else(|| {
                    self.error(
                        checker.span(),
                        format!(
                            "unknown checker {:?}; expected one of: {}",
                            checker.get_ref(),
                            Checker::names().join(", ")
                        ),
                    )
                })?;
                let templates = match &step.templates {
                    Some(templates) if !templates.is_empty() => templates
                        .iter()
                        .map(|t| self.template(t.get_ref(), checker))
                        .collect::<Result<_, _>>()?,
                    _ => return Err(self.missing(spanned, kind, "templates")),
                };
                StepKind::Editor(EditorStep {
                    document: need(&step.document, "document")?,
                    checker,
                    templates,
                    request: self.request(step.request.as_ref(), spanned, kind)?,
                    failed: need(&step.failed, "failed")?,
                    done_when: self.done_when(step.done_when.as_ref())?,
                })
            }
            "issue" => self.issue(spanned, &need)?,
            "probe" => StepKind::Probe(ProbeStep {
                idle: need(&step.idle, "idle")?,
                running: need(&step.running, "running")?,
                accepted: need(&step.accepted, "accepted")?,
                denied_hint: need(&step.denied_hint, "denied_hint")?,
            }),
            _ => StepKind::Revoke(RevokeStep {
                idle: need(&step.idle, "idle")?,
            }),
        };
        Ok(Step {
            id: step.id.get_ref().clone(),
            tab: self.shown(&step.tab)?,
            title: self.shown(&step.title)?,
            explain: self.shown(&step.explain)?,
            enter: self.shown(&step.enter)?,
            cli: self.command(&step.cli)?,
            legacy_cli: step
                .legacy_cli
                .as_ref()
                .map(|t| self.command(t))
                .transpose()?,
            legacy_note: step
                .legacy_note
                .as_ref()
                .map(|t| self.shown(t))
                .transpose()?,
            kind: kind_of_step,
        })
    }

    fn issue(&self, spanned: &Spanned<StepFile>, need: Need<'_>) -> Result<StepKind, LabError> {
        let step = spanned.get_ref();
        let kind = "issue";
        let show: Vec<String> = match &step.show {
            Some(show) if !show.is_empty() => show.iter().map(|s| s.get_ref().clone()).collect(),
            _ => return Err(self.missing(spanned, kind, "show")),
        };
        let secret: Vec<String> = step
            .secret
            .iter()
            .flatten()
            .map(|s| {
                if show.contains(s.get_ref()) {
                    Ok(s.get_ref().clone())
                } else {
                    Err(self.error(
                        s.span(),
                        format!(
                            "secret {:?} is not among the fields shown; expected one of: {}",
                            s.get_ref(),
                            show.join(", ")
                        ),
                    ))
                }
            })
            .collect::<Result<_, _>>()?;
        let engine_needs = self.engine.map_or(&[][..], |e| e.creds_fields);
        for needed in engine_needs {
            if !show.iter().any(|s| s == needed) {
                return Err(self.error(
                    spanned.span(),
                    format!(
                        "the engine uses the credentials' {needed:?}; expected it in `show` (found: {})",
                        show.join(", ")
                    ),
                ));
            }
        }
        let exports = match &step.exports {
            Some(exports) => exports
                .iter()
                .map(|line| {
                    self.check(line, Use::Export)?;
                    match line.get_ref().split_once('=') {
                        Some((name, value))
                            if !name.is_empty()
                                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                        {
                            Ok((name.to_owned(), value.to_owned()))
                        }
                        _ => Err(self.error(
                            line.span(),
                            format!(
                                "export {:?} is not NAME=value (NAME: letters, digits, _)",
                                line.get_ref()
                            ),
                        )),
                    }
                })
                .collect::<Result<_, _>>()?,
            None => return Err(self.missing(spanned, kind, "exports")),
        };
        let actions = step
            .actions
            .iter()
            .flatten()
            .map(|a| self.action(a.get_ref()))
            .collect::<Result<_, _>>()?;
        Ok(StepKind::Issue(IssueStep {
            request: self.request(step.request.as_ref(), spanned, kind)?,
            failed: need(&step.failed, "failed")?,
            not_credentials: need(&step.not_credentials, "not_credentials")?,
            idle: need(&step.idle, "idle")?,
            show,
            secret,
            secret_name: need(&step.secret_name, "secret_name")?,
            exports,
            actions,
        }))
    }

    fn missing(&self, step: &Spanned<StepFile>, kind: &str, key: &str) -> LabError {
        self.error(
            step.span(),
            format!(
                "step {:?}: {} {kind} step needs `{key}`",
                step.get_ref().id.get_ref(),
                article(kind)
            ),
        )
    }

    fn field(&self, field: &FieldFile) -> Result<Field, LabError> {
        Ok(Field {
            name: field.name.get_ref().clone(),
            label: self.shown(&field.label)?,
            secret: field.secret,
            known_as: field.known_as.clone(),
            default: field
                .default
                .as_ref()
                .map(|d| self.shown(d))
                .transpose()?
                .unwrap_or_default(),
        })
    }

    fn template(&self, template: &TemplateFile, checker: Checker) -> Result<Template, LabError> {
        let relative = template.file.get_ref();
        let document = self.source.read(relative).map_err(|error| match error {
            LabError::Read { path, reason } => self.error(
                template.file.span(),
                format!(
                    "cannot read {}: {reason}; expected a file in the lab's folder (its path relative to lab.toml)",
                    path.display()
                ),
            ),
            other => other,
        })?;
        if let DocumentCheck::NotParsed(error) = checker.check(&document) {
            return Err(LabError::Invalid {
                path: self.source.display_path(relative),
                line: error.line,
                column: error.column,
                problem: format!("not {}: {}", checker.syntax(), error.message),
            });
        }
        Ok(Template {
            name: self.shown(&template.name)?,
            document,
        })
    }

    fn action(&self, action: &ActionFile) -> Result<Action, LabError> {
        let mut chars = action.key.get_ref().chars();
        let key = match (chars.next(), chars.next()) {
            (Some(key), None) if !TAKEN_KEYS.contains(key) => key,
            (Some(key), None) => {
                return Err(self.error(
                    action.key.span(),
                    format!("key {key:?} is the app's own; expected another (taken: {TAKEN_KEYS})"),
                ));
            }
            _ => {
                return Err(self.error(action.key.span(), "an action's key is one character"));
            }
        };
        Ok(Action {
            key,
            label: self.shown(&action.label)?,
            request: self.request_file(&action.request)?,
            done: self.shown(&action.done)?,
            failed: self.shown(&action.failed)?,
        })
    }

    fn done_when(
        &self,
        done_when: Option<&Spanned<DoneWhenFile>>,
    ) -> Result<Option<DoneWhen>, LabError> {
        let Some(done_when) = done_when else {
            return Ok(None);
        };
        let d = done_when.get_ref();
        Ok(Some(DoneWhen {
            read: self.shown(&d.read)?,
            field: d
                .field
                .iter()
                .map(|f| self.shown(f))
                .collect::<Result<_, _>>()?,
            equals: d.equals.as_ref().map(|e| self.shown(e)).transpose()?,
        }))
    }

    fn request(
        &self,
        request: Option<&Spanned<RequestFile>>,
        step: &Spanned<StepFile>,
        kind: &str,
    ) -> Result<RequestTemplate, LabError> {
        match request {
            Some(request) => self.request_file(request),
            None => Err(self.missing(step, kind, "request")),
        }
    }

    fn request_file(&self, request: &Spanned<RequestFile>) -> Result<RequestTemplate, LabError> {
        let r = request.get_ref();
        let method = Method::parse(r.method.get_ref()).ok_or_else(|| {
            self.error(
                r.method.span(),
                format!(
                    "unknown method {:?}; expected GET, PUT, POST, DELETE or LIST",
                    r.method.get_ref()
                ),
            )
        })?;
        let mut body = Vec::new();
        for (name, value) in &r.body {
            let json = match value.get_ref() {
                toml::Value::String(text) => {
                    self.check_at(text, value.span(), Use::Body)?;
                    Value::String(text.clone())
                }
                other => serde_json::to_value(other).map_err(|e| {
                    self.error(
                        value.span(),
                        format!("`{name}` cannot be sent as JSON: {e}"),
                    )
                })?,
            };
            body.push((name.clone(), json));
        }
        Ok(RequestTemplate {
            method,
            path: self.shown(&r.path)?,
            body,
        })
    }

    /// A template shown on screen (or in a path): its placeholders checked.
    fn shown(&self, text: &Text) -> Result<String, LabError> {
        self.check(text, Use::Shown)?;
        Ok(text.get_ref().clone())
    }

    /// A command the learner would type: its placeholders checked.
    fn command(&self, text: &Text) -> Result<String, LabError> {
        self.check(text, Use::Command)?;
        Ok(text.get_ref().clone())
    }

    fn check(&self, text: &Text, use_: Use) -> Result<(), LabError> {
        self.check_at(text.get_ref(), text.span(), use_)
    }

    /// Every placeholder in `template` names a value, and no secret or document is shown
    /// or spliced into text.
    fn check_at(&self, template: &str, span: Range<usize>, use_: Use) -> Result<(), LabError> {
        if let Some((_, name)) = unclosed(template) {
            let at = self.text[span.clone()]
                .find(&format!("{{{name}"))
                .map_or(span.start, |offset| span.start + offset);
            return Err(self.error(
                at..at + 1,
                format!("{{{name} is never closed: expected {{{name}}}"),
            ));
        }
        let alone = whole(template);
        for (_, name) in placeholders(template) {
            // Where the placeholder itself is in the file, for the error's line.
            let at = self.text[span.clone()]
                .find(&format!("{{{name}}}"))
                .map_or(span.start, |offset| span.start + offset);
            let here = at..at + name.len() + 2;
            let known = &self.known;
            if known.plain.contains(name) {
                continue;
            }
            let secret = known.secret.contains(name);
            let document = known.documents.contains(name);
            if !secret && !document {
                let mut all: Vec<&str> = known
                    .plain
                    .iter()
                    .chain(&known.secret)
                    .chain(&known.documents)
                    .map(String::as_str)
                    .collect();
                all.sort_unstable();
                return Err(self.error(
                    here,
                    format!(
                        "unknown placeholder {{{name}}}; expected one of: {}",
                        all.join(", ")
                    ),
                ));
            }
            let allowed = match use_ {
                Use::Body => alone == Some(name),
                Use::Export => secret && name.starts_with("creds."),
                Use::Command => document,
                Use::Shown => false,
            };
            if !allowed {
                let problem = if secret {
                    format!(
                        "{{{name}}} is a secret: it may only be a request body's whole value (sent, never shown)"
                    )
                } else {
                    format!(
                        "{{{name}}} is a document: it may only be a request body's whole value, or in a step's cli"
                    )
                };
                return Err(self.error(here, problem));
            }
        }
        Ok(())
    }
}

/// `a` or `an`, before a kind of step.
pub(super) fn article(kind: &str) -> &'static str {
    match kind.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

fn names(set: &BTreeSet<String>) -> String {
    if set.is_empty() {
        "none".to_owned()
    } else {
        set.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// The 1-based line and column of a byte offset.
pub(super) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |newline| before.len() - newline - 1)
        + 1;
    (line, column)
}
