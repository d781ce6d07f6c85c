//! An issue step (generate credentials): Vault issues credentials with a lease; the lease
//! is tracked, and journaled before the credentials show; the engine then finds what they
//! stand for. `v` shows the secrets, `c` copies the export lines, and the lab's actions
//! (`s`: short leases) send their requests.

use crossterm::event::KeyCode;
use secrecy::SecretString;
use serde_json::Value;

use super::{fail, finish, reset_after_issue};
use crate::app::effect::{Effect, JournalChange, Purpose, VaultCall};
use crate::app::keymap::{Action, Binding, KeyMatch, plain};
use crate::app::plan;
use crate::app::state::{App, Creds, Issuing};
use crate::engines::{EngineCall, Values};
use crate::exchange::{Exchange, Failure};
use crate::lab::StepKind;
use crate::lab::model::IssueStep;
use crate::lease::Lifecycle;
use crate::lease::journal::Entry;
use crate::lease::table::TrackedLease;
use crate::vault::refusal::VaultRefusal;
use crate::vault::types::{LeaseInfo, Reply};

fn spec(app: &App, step: usize) -> &IssueStep {
    match app.step_kind(step) {
        StepKind::Issue(issue) => issue,
        _ => unreachable!("step {step} is an issue step"),
    }
}

pub fn bindings(app: &App, step: usize, list: &mut Vec<Binding>) {
    let spec = spec(app, step);
    // Held by the facilitator (`app::room`): bound, but not offered, as Enter.
    let held = crate::app::room::held(app, step).is_some();
    for (index, action) in spec.actions.iter().enumerate() {
        list.push(Binding {
            keys: if held {
                String::new()
            } else {
                action.key.to_string()
            },
            description: action.label.clone(),
            action: Action::Extra(index),
            matches: KeyMatch::Plain(action.key),
        });
    }
    if app.creds.is_some() {
        list.push(Binding::new(
            super::super::keymap::reveal_key(app),
            format!("show or hide {}", spec.secret_name),
            Action::RevealSecret,
            |k| plain(k, KeyCode::Char('v')),
        ));
        list.push(Binding::new(
            "c",
            "copy the export lines",
            Action::CopyExports,
            |k| plain(k, KeyCode::Char('c')),
        ));
    }
}

/// Vault's answer. The lease is tracked at once, and journaled before anyone sees the
/// credentials: a crash or a slow engine from here on forgets nothing, and an answer that
/// turns out not to be credentials still leaves its lease id behind.
pub fn on_reply(
    app: &mut App,
    step: usize,
    curl: String,
    reply: Result<Reply, VaultRefusal>,
) -> Vec<Effect> {
    let Some((reply, exchange)) = super::accepted(app, step, curl, reply) else {
        return Vec::new();
    };
    let creds = creds_of(&reply, &spec(app, step).show);
    let Some(envelope) = reply.envelope.as_ref().filter(|e| !e.lease_id.is_empty()) else {
        return show(app, step, creds, exchange, None);
    };
    let lease = LeaseInfo::from_envelope(envelope);
    let role = role(app, step);
    app.leases.track(TrackedLease::issued(
        lease.id.clone(),
        role.clone(),
        app.now,
        lease.duration,
        lease.renewable,
    ));
    if !app.journaling() {
        return show(app, step, creds, exchange, None);
    }
    app.issuing = Some(Issuing {
        step,
        lease_id: lease.id.clone(),
        creds,
        exchange,
    });
    vec![Effect::Journal(JournalChange::Record(Entry {
        lease_id: lease.id,
        mount: app.lab.mount().to_owned(),
        role,
        issued_at: app.now,
        ttl_seconds: lease.duration.as_secs(),
        expires_at: Some(crate::lease::countdown::expiry(app.now, lease.duration)),
        state: Lifecycle::Active,
        // The journal fills in this run.
        owner: None,
    }))]
}

/// What the leases pane and the journal call the credentials' source: the lab's role.
fn role(app: &App, step: usize) -> String {
    app.lab
        .var("role")
        .map_or_else(|| app.lab.steps[step].id.clone(), str::to_owned)
}

/// The role of the lab's issue step, for leases found under it.
pub fn role_of(app: &App) -> String {
    app.issue_step().map_or_else(
        || app.lab.var("role").unwrap_or_default().to_owned(),
        |step| role(app, step),
    )
}

/// The journal has the lease (or could not take it: then the credentials show with a
/// warning).
pub fn on_journaled(app: &mut App, lease_id: &str, problem: Option<String>) -> Vec<Effect> {
    match app.issuing.take() {
        Some(issuing) if issuing.lease_id == lease_id => {
            show(app, issuing.step, issuing.creds, issuing.exchange, problem)
        }
        other => {
            app.issuing = other;
            Vec::new()
        }
    }
}

/// The credentials show; the engine looks for what they stand for.
fn show(
    app: &mut App,
    step: usize,
    creds: Result<Creds, String>,
    mut exchange: Exchange,
    journal_problem: Option<String>,
) -> Vec<Effect> {
    let creds = match creds {
        Ok(creds) => creds,
        Err(reason) => {
            let spec = spec(app, step);
            let failure = Failure::new(
                spec.failed.clone(),
                format!("the answer was not credentials: {reason}"),
                spec.not_credentials.clone(),
            );
            fail(app, step, failure);
            return Vec::new();
        }
    };
    if let Some(problem) = journal_problem {
        exchange.response.push_str(&format!(
            "\nWARNING: {problem}. Note the lease id: revoke it with `vault lease revoke` when done."
        ));
    }
    let identify = EngineCall::Identify {
        lease_id: creds.lease.id.clone(),
        creds: creds.fields.clone(),
        values: app.values(),
    };
    app.creds = Some(creds);
    reset_after_issue(app);
    finish(app, step, exchange);
    vec![Effect::Engine(identify)]
}

/// The credentials in an answer: every string field of `data`, of which the ones the
/// pane shows must be there.
fn creds_of(reply: &Reply, show: &[String]) -> Result<Creds, String> {
    let envelope = reply.envelope.as_ref().ok_or("an empty body")?;
    let data = envelope
        .data
        .as_ref()
        .and_then(Value::as_object)
        .ok_or("no `data` object in the credentials response")?;
    let mut fields = Values::default();
    for (name, value) in data {
        if let Value::String(text) = value {
            fields.insert(name.clone(), SecretString::from(text.clone()));
        }
    }
    for name in show {
        if fields.get(name).is_none() {
            return Err(format!("`data.{name}` is missing"));
        }
    }
    Ok(Creds {
        lease: LeaseInfo::from_envelope(envelope),
        fields,
        subject: None,
        revealed: false,
    })
}

/// The engine found what the credentials stand for.
pub fn on_identified(app: &mut App, subject: Option<String>) {
    if let Some(creds) = &mut app.creds {
        creds.subject = subject;
    }
}

pub fn reveal(app: &mut App) {
    if let Some(creds) = &mut app.creds {
        creds.revealed = !creds.revealed;
    }
}

/// The lab's `export` lines with this run's values: (name, value, whether it holds a
/// secret, masked on screen until revealed).
pub fn export_lines(app: &App) -> Vec<(String, String, bool)> {
    let Some((_, spec)) = app.lab.issue() else {
        return Vec::new();
    };
    spec.exports
        .iter()
        .map(|(name, template)| {
            let secret = spec
                .secret
                .iter()
                .any(|field| template.contains(&format!("{{creds.{field}}}")));
            (name.clone(), app.fill(template), secret)
        })
        .collect()
}

pub fn copy(app: &App) -> Vec<Effect> {
    if app.creds.is_none() {
        return Vec::new();
    }
    let text: String = export_lines(app)
        .into_iter()
        .map(|(name, value, _)| format!("export {name}={value}\n"))
        .collect();
    vec![Effect::Clipboard(SecretString::from(text))]
}

/// One of the lab's actions on this pane (`s`: short leases).
pub fn action(app: &App, step: usize, action: usize) -> Vec<Effect> {
    plan::action_request(app, step, action)
        .map(|request| VaultCall::now(Purpose::Action { step, action }, request))
        .into_iter()
        .collect()
}

pub fn on_action_reply(
    app: &mut App,
    step: usize,
    action: usize,
    reply: Result<Reply, VaultRefusal>,
) {
    let Some(spec) = spec(app, step).actions.get(action) else {
        return;
    };
    app.notice = Some(match reply {
        Ok(_) => app.fill(&spec.done),
        Err(refusal) => format!("{}: {}", spec.failed, refusal.message),
    });
}
