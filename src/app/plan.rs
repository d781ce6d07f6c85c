//! The Vault requests the steps make, built from the lab's templates and this run's
//! values: the pane shows each as the `curl` a learner could paste before it runs, and
//! the very same value is sent. Also the reads that tell a step done already, and the
//! doctor's plan of what the lab needs.

use serde_json::{Map, Value};

use super::state::App;
use crate::doctor::DoctorPlan;
use crate::engines::Values;
use crate::lab::StepKind;
use crate::lab::model::DoneWhen;
use crate::lab::template::{Method, RequestTemplate, placeholders, whole};
use crate::vault::request::{self, VaultRequest, curl_line};
use crate::vault::types::Reply;
use secrecy::SecretString;

/// The request a step sends (a probe uses the engine, not Vault).
pub fn step_request(app: &App, step: usize) -> Option<VaultRequest> {
    Some(match app.lab.steps.get(step)?.kind {
        StepKind::Request(ref s) => build(app, &s.request),
        StepKind::Form(ref s) => build(app, &s.request),
        StepKind::Editor(ref s) => build(app, &s.request),
        StepKind::Issue(ref s) => build(app, &s.request),
        StepKind::Probe(_) => return None,
        StepKind::Revoke(_) => request::lease_revoke(
            app.creds
                .as_ref()
                .map(|c| c.lease.id.as_str())
                .unwrap_or("<lease_id>"),
            false,
        ),
    })
}

/// A request from its template. A body value that is a whole placeholder is the value
/// itself: a secret field goes in as a secret (masked wherever the request is shown), an
/// editor's document as its text, and a variable without a value leaves the field out.
pub fn build(app: &App, template: &RequestTemplate) -> VaultRequest {
    let mut request = VaultRequest::new(template.method.as_str(), app.fill(&template.path));
    let values = app.values();
    let mut body = Map::new();
    let mut secrets = Vec::new();
    for (name, value) in &template.body {
        let Value::String(text) = value else {
            body.insert(name.clone(), value.clone());
            continue;
        };
        match whole(text) {
            Some(field) if app.lab.is_secret(field) => {
                if let Some(secret) = secret_value(app, &values, field) {
                    secrets.push((name.clone(), secret));
                }
            }
            Some(document) if document_text(app, document).is_some() => {
                let text = document_text(app, document).unwrap_or_default();
                body.insert(name.clone(), Value::String(text));
            }
            Some(variable) if app.lab.engine.vars.contains(&variable) => {
                if let Some(value) = app.value(variable) {
                    body.insert(name.clone(), Value::String(value));
                }
            }
            // A secret inside other text (the loader refuses it; should one get by) makes
            // the whole value a secret.
            _ if placeholders(text).iter().any(|(_, n)| app.lab.is_secret(n)) => {
                secrets.push((name.clone(), SecretString::from(app.fill(text))));
            }
            _ => {
                body.insert(name.clone(), Value::String(app.fill(text)));
            }
        }
    }
    if !body.is_empty() || !secrets.is_empty() {
        request = request.with_body(Value::Object(body));
    }
    for (name, secret) in secrets {
        request = request.with_secret(&name, &secret);
    }
    request
}

/// A secret's value: a form field's, or the current credentials' field (`creds.NAME`).
fn secret_value(app: &App, values: &Values, name: &str) -> Option<SecretString> {
    match name.strip_prefix("creds.") {
        Some(field) => app.creds.as_ref()?.fields.get(field).cloned(),
        None => values.get(name).cloned(),
    }
}

/// The editor whose document is named `document`.
fn editor_of<'a>(app: &'a App, document: &str) -> Option<&'a crate::app::state::DocumentEditor> {
    app.lab
        .steps
        .iter()
        .enumerate()
        .find_map(|(step, s)| match &s.kind {
            StepKind::Editor(editor) if editor.document == document => app.editor(step),
            _ => None,
        })
}

/// The text of the editor whose document is named `document`, as typed: what is sent.
fn document_text(app: &App, document: &str) -> Option<String> {
    editor_of(app, document).map(|e| e.text())
}

/// The document named `document` as a command line shows it: compact where its syntax
/// allows (one line of JSON), as typed otherwise.
pub fn document_of(app: &App, document: &str) -> Option<String> {
    editor_of(app, document).map(|e| e.checker.compact(&e.text()))
}

/// The lab as a learner would run it with the real CLIs: each step's command line filled
/// in with this run's values (a document as its editor holds it), and what only an
/// earlier answer can tell (the lease id) as `<name>`.
pub fn commands(app: &App) -> Vec<String> {
    app.lab
        .steps
        .iter()
        .map(|step| app.fill_shown(&step.cli))
        .collect()
}

/// After a step's write, what shows what Vault keeps.
pub fn read_back(app: &App, step: usize) -> Option<VaultRequest> {
    match &app.lab.steps.get(step)?.kind {
        StepKind::Form(form) => form
            .read_back
            .as_ref()
            .map(|r| VaultRequest::get(app.fill(&r.read))),
        _ => None,
    }
}

/// The request of one of a step's actions (`s`: short leases).
pub fn action_request(app: &App, step: usize, action: usize) -> Option<VaultRequest> {
    match &app.lab.steps.get(step)?.kind {
        StepKind::Issue(issue) => issue.actions.get(action).map(|a| build(app, &a.request)),
        _ => None,
    }
}

/// What a read must show for a step to be done: a value at `field` (a path of keys into
/// the answer's `data`), equal to `equals` when given; with no field, that the read
/// found something at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneTest {
    pub field: Vec<String>,
    pub equals: Option<String>,
}

impl DoneTest {
    pub fn holds(&self, reply: &Reply) -> bool {
        let mut value = match reply.data() {
            Some(data) => data,
            None => return self.field.is_empty(),
        };
        for key in &self.field {
            match value.get(key) {
                Some(inner) => value = inner,
                None => return false,
            }
        }
        match &self.equals {
            Some(expected) => value.as_str() == Some(expected.as_str()),
            None => !value.is_null(),
        }
    }
}

fn done_when(app: &App, step: usize) -> Option<&DoneWhen> {
    match &app.lab.steps.get(step)?.kind {
        StepKind::Request(s) => s.done_when.as_ref(),
        StepKind::Form(s) => s.done_when.as_ref(),
        StepKind::Editor(s) => s.done_when.as_ref(),
        _ => None,
    }
}

/// The read that tells whether a step is done already, and what it must show.
pub fn done_check(app: &App, step: usize) -> Option<(VaultRequest, DoneTest)> {
    let done_when = done_when(app, step)?;
    Some((
        VaultRequest::get(app.fill(&done_when.read)),
        DoneTest {
            field: done_when.field.iter().map(|f| app.fill(f)).collect(),
            equals: done_when.equals.as_ref().map(|e| app.fill(e)),
        },
    ))
}

/// A request as `curl`, the token as `$VAULT_TOKEN` and secrets masked.
pub fn curl(app: &App, request: &VaultRequest) -> String {
    curl_line(
        &app.connection.vault_addr,
        app.connection.namespace.as_deref(),
        true,
        &request.describe(),
    )
}

/// What a step is about to send, as `curl`.
pub fn planned_curl(app: &App, step: usize) -> Option<String> {
    step_request(app, step).map(|request| curl(app, &request))
}

/// What `vaultlab doctor` checks for this lab: every path its requests use, with the
/// capability each needs there, the lease paths, the engine's mount, and the form's
/// values with where they came from.
pub fn doctor_plan(app: &App) -> DoctorPlan {
    let mut needs: Vec<(String, Vec<&'static str>)> = Vec::new();
    let mut need = |path: String, capability: &'static str| {
        let path = path.trim_matches('/').to_owned();
        match needs.iter_mut().find(|(p, _)| *p == path) {
            Some((_, caps)) if caps.contains(&capability) => {}
            Some((_, caps)) => caps.push(capability),
            None => needs.push((path, vec![capability])),
        }
    };
    for step in 0..app.steps.len() {
        if let Some((read, _)) = done_check(app, step) {
            need(read.path.clone(), "read");
        }
        if let Some(request) = step_request(app, step)
            .filter(|_| !matches!(app.lab.steps[step].kind, StepKind::Revoke(_)))
        {
            let method = Method::parse(request.method).unwrap_or(Method::Get);
            need(request.path.clone(), method.capability(&request.path));
        }
        if let Some(read) = read_back(app, step) {
            need(read.path.clone(), "read");
        }
    }
    for path in ["sys/leases/lookup", "sys/leases/renew", "sys/leases/revoke"] {
        need(path.to_owned(), "update");
    }
    let form = app
        .lab
        .steps
        .iter()
        .enumerate()
        .find_map(|(step, s)| matches!(s.kind, StepKind::Form(_)).then(|| app.form(step)))
        .flatten();
    DoctorPlan {
        needs,
        mount: app.lab.mount().trim_matches('/').to_owned(),
        engine: app.lab.engine,
        values: form.filter(|f| f.is_complete()).map(|f| {
            (
                app.values(),
                f.source.clone().unwrap_or_else(|| "the form".to_owned()),
            )
        }),
    }
}

/// Where the lab's credentials are issued (`aws/creds/my-role`): their leases start
/// with it.
pub fn issue_path(app: &App) -> Option<String> {
    app.lab
        .issue()
        .map(|(_, issue)| app.fill(&issue.request.path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(data: Value) -> Reply {
        Reply {
            status: 200,
            envelope: Some(serde_json::from_value(json!({ "data": data })).unwrap()),
        }
    }

    #[test]
    fn a_done_test_follows_its_field_and_compares_its_value() {
        let mounted = DoneTest {
            field: vec!["aws/".into(), "type".into()],
            equals: Some("aws".into()),
        };
        assert!(mounted.holds(&reply(json!({"aws/": {"type": "aws"}}))));
        assert!(!mounted.holds(&reply(json!({"aws/": {"type": "kv"}}))));
        assert!(!mounted.holds(&reply(json!({"sys/": {"type": "system"}}))));
        let exists = DoneTest {
            field: Vec::new(),
            equals: None,
        };
        assert!(exists.holds(&reply(json!({"access_key": "AKIA"}))));
    }
}
