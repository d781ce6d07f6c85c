//! An issue step (generate credentials): Vault issues credentials with a lease; the lease
//! is tracked, and journaled before the credentials show; the engine then finds what they
//! stand for. `v` shows the secret, `c` copies the export lines, `s` asks for short leases.

use std::time::Duration;

use crossterm::event::KeyCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::{describe_reply, fail, finish, reset_after_issue, vault_failure};
use crate::app::effect::{Effect, JournalChange, Purpose, VaultCall};
use crate::app::keymap::{Action, Binding, plain};
use crate::app::plan;
use crate::app::state::{App, Creds, Issuing};
use crate::engines::aws::{ACCESS_KEY, SECRET_KEY};
use crate::engines::{EngineCall, Values};
use crate::exchange::{Exchange, Failure};
use crate::lease::Lifecycle;
use crate::lease::journal::Entry;
use crate::lease::table::TrackedLease;
use crate::vault::refusal::VaultRefusal;
use crate::vault::types::{LeaseInfo, Reply};

/// The short-leases demo: long enough to use the keys, short enough to watch them expire.
pub const SHORT_LEASE: Duration = Duration::from_secs(120);
pub const SHORT_LEASE_MAX: Duration = Duration::from_secs(300);

/// The fields an answer must have to be credentials, in the order the pane shows them.
pub const SHOWN: [&str; 2] = [ACCESS_KEY, SECRET_KEY];

pub fn bindings(app: &App, list: &mut Vec<Binding>) {
    list.push(Binding::new(
        "s",
        "short leases (2m, max 5m)",
        Action::ShortLeases,
        |k| plain(k, KeyCode::Char('s')),
    ));
    if app.creds.is_some() {
        list.push(Binding::new(
            "v",
            "show or hide the secret key",
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

pub fn run(app: &mut App, step: usize) -> Vec<Effect> {
    plan::step_request(app, step)
        .map(|request| VaultCall::now(Purpose::Step { step }, request))
        .into_iter()
        .collect()
}

/// Vault's answer. The lease is tracked at once, and journaled before anyone sees the
/// keys: a crash or a slow AWS from here on forgets nothing, and an answer that turns
/// out not to be credentials still leaves its lease id behind.
pub fn on_reply(
    app: &mut App,
    step: usize,
    curl: String,
    reply: Result<Reply, VaultRefusal>,
) -> Vec<Effect> {
    let reply = match reply {
        Ok(reply) => reply,
        Err(refusal) => {
            fail(
                app,
                step,
                vault_failure("Vault did not issue credentials", &refusal),
            );
            return Vec::new();
        }
    };
    let exchange = Exchange {
        curl,
        response: describe_reply(&reply),
    };
    let creds = creds_of(&reply);
    let Some(envelope) = reply.envelope.as_ref().filter(|e| !e.lease_id.is_empty()) else {
        return show(app, step, creds, exchange, None);
    };
    let lease = LeaseInfo::from_envelope(envelope);
    app.leases.track(TrackedLease::issued(
        lease.id.clone(),
        app.lab.role.clone(),
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
        mount: app.lab.mount.clone(),
        role: app.lab.role.clone(),
        issued_at: app.now,
        ttl_seconds: lease.duration.as_secs(),
        expires_at: Some(crate::lease::countdown::expiry(app.now, lease.duration)),
        state: Lifecycle::Active,
        // The journal fills in this run.
        owner: None,
    }))]
}

/// The journal has the lease (or could not take it: then the keys show with a warning).
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
            fail(
                app,
                step,
                Failure::new(
                    "Vault did not issue credentials",
                    format!("the answer was not credentials: {reason}"),
                    "Is this an AWS engine mount, and the role an iam_user role?",
                ),
            );
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
        values: app.root_keys.values(),
    };
    app.creds = Some(creds);
    reset_after_issue(app);
    finish(app, step, exchange);
    vec![Effect::Engine(identify)]
}

/// The credentials in an answer: every string field of `data`, of which the ones the
/// pane shows must be there.
fn creds_of(reply: &Reply) -> Result<Creds, String> {
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
    for name in SHOWN {
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

/// The lines a learner pastes into a shell to use the issued keys.
pub fn export_lines(app: &App, creds: &Creds) -> Vec<(String, String, bool)> {
    vec![
        (
            "AWS_ACCESS_KEY_ID".to_owned(),
            creds.fields.text(ACCESS_KEY).to_owned(),
            false,
        ),
        (
            "AWS_SECRET_ACCESS_KEY".to_owned(),
            creds
                .fields
                .get(SECRET_KEY)
                .map(|s| s.expose_secret().to_owned())
                .unwrap_or_default(),
            true,
        ),
        ("AWS_REGION".to_owned(), app.root_keys.region.clone(), false),
    ]
}

pub fn copy(app: &App) -> Vec<Effect> {
    let Some(creds) = &app.creds else {
        return Vec::new();
    };
    let text: String = export_lines(app, creds)
        .into_iter()
        .map(|(name, value, _)| format!("export {name}={value}\n"))
        .collect();
    vec![Effect::Clipboard(SecretString::from(text))]
}

/// `s`: Vault's lease config for the mount, shortened.
pub fn short_leases(app: &App, step: usize) -> Vec<Effect> {
    vec![VaultCall::now(
        Purpose::Action { step },
        plan::short_leases(app),
    )]
}

pub fn on_action_reply(app: &mut App, reply: Result<Reply, VaultRefusal>) {
    app.notice = Some(match reply {
        Ok(_) => "Leases now last 2m (max 5m): generate credentials and watch Vault expire them."
            .to_owned(),
        Err(refusal) => format!("Vault did not accept the lease config: {}", refusal.message),
    });
}
