//! `update` driven by messages alone: no terminal, no network, no clock. Vault's answers
//! are given to the very requests `update` asked for. The tests are by concern, in the
//! modules below; the helpers they share are here.

mod credentials;
mod leases;
mod quitting;
mod revocation;
mod steps;

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::effect::{Effect, JournalChange, Purpose, VaultCall};
use super::msg::{Exchange, Failure, Msg, Outcome, StopSignal};
use super::state::{
    App, Connection, DocumentEditor, Mode, Overlay, Pane, Prefill, Quit, StepStatus,
};
use super::{init, update};
use crate::engines::{EngineCall, EngineReply, Proof, ProofLine, Refusal, Retry, Values, Verified};
use crate::lab::{DEFAULT_LAB, load_embedded};
use crate::lease::Lifecycle;
use crate::lease::journal::Entry;
use crate::lease::table::Origin;
use crate::setup::{JournalStart, StartInputs};
use crate::vault::refusal::VaultRefusal;
use crate::vault::request::{self, VaultRequest};
use crate::vault::types::Reply;

pub(super) const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub(super) const LEASE: &str = "aws/creds/my-role/abcdefghijklmnopqrstuvwx";
pub(super) const ISSUED_SECRET: &str = "issuedSECRETissuedSECRETissuedSECRET0000";
pub(super) const JOURNAL: &str = "/data/vaultlab/leases/x.json";

pub(super) fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_763_900_000 + secs, 0).unwrap()
}

pub(super) fn inputs() -> StartInputs {
    StartInputs {
        prefill: Some(Prefill {
            values: Values::default()
                .with("access_key", SecretString::from("AKIAEXAMPLE"))
                .with("secret_key", SecretString::from(SECRET))
                .with("region", SecretString::from("us-east-1")),
            source: "the sandbox".into(),
        }),
        ..StartInputs::new(
            load_embedded(DEFAULT_LAB).unwrap(),
            Connection::new(Mode::Sandbox, "http://127.0.0.1:8200"),
            at(0),
        )
    }
}

pub(super) fn app() -> App {
    let (app, effects) = init(inputs());
    let reads: Vec<String> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Vault(VaultCall {
                purpose: Purpose::Done { .. },
                request,
                ..
            }) => Some(request.path.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        reads,
        ["sys/mounts", "aws/config/root", "aws/roles/my-role"],
        "which steps are done is read from Vault"
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Doctor(plan) if plan.values.is_some())),
        "the doctor runs with the prefilled keys"
    );
    app
}

/// The app with a journal, in live mode.
pub(super) fn journaled_app() -> App {
    let mut app = app();
    app.connection.mode = Mode::Live;
    app.journal_path = Some(JOURNAL.into());
    app
}

pub(super) fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub(super) fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, key(code)).0
}

/// The shipped lab's steps, in its order.
pub(super) const ENABLE: usize = 0;
pub(super) const ROOT_KEYS: usize = 1;
pub(super) const POLICY: usize = 2;
pub(super) const GENERATE: usize = 3;
pub(super) const TEST: usize = 4;
pub(super) const REVOKE: usize = 5;

pub(super) fn go_to(app: &mut App, step: usize) {
    app.pane = Pane::Step(step);
}

pub(super) fn editor(app: &App) -> &DocumentEditor {
    app.editor(POLICY).unwrap()
}

fn editor_mut(app: &mut App) -> &mut DocumentEditor {
    app.editor_mut(POLICY).unwrap()
}

pub(super) fn outcome(app: &mut App, outcome: Outcome) -> Vec<Effect> {
    update(app, Msg::Outcome(Box::new(outcome))).0
}

/// A 200 answer with this envelope.
pub(super) fn ok(envelope: Value) -> Result<Reply, VaultRefusal> {
    Ok(Reply {
        status: 200,
        envelope: Some(serde_json::from_value(envelope).unwrap()),
    })
}

fn no_content(status: u16) -> Result<Reply, VaultRefusal> {
    Ok(Reply {
        status,
        envelope: None,
    })
}

pub(super) fn refused(message: &str) -> Result<Reply, VaultRefusal> {
    Err(VaultRefusal {
        message: message.into(),
        hint: "Is Vault running?".into(),
        status: None,
        errors: Vec::new(),
        invalid_request: false,
    })
}

pub(super) fn unknown_lease() -> Result<Reply, VaultRefusal> {
    Err(VaultRefusal {
        message: "Vault rejected PUT sys/leases/lookup (400): invalid lease".into(),
        hint: String::new(),
        status: Some(400),
        errors: vec!["invalid lease".into()],
        invalid_request: true,
    })
}

/// Vault's answer to the one Vault request among `effects`.
pub(super) fn answer(
    app: &mut App,
    effects: &[Effect],
    reply: Result<Reply, VaultRefusal>,
) -> Vec<Effect> {
    let calls: Vec<&VaultCall> = vault_calls(effects);
    let [call] = calls.as_slice() else {
        panic!("one Vault request expected: {effects:?}");
    };
    outcome(
        app,
        Outcome::Vault {
            call: (*call).clone(),
            reply,
        },
    )
}

pub(super) fn vault_calls(effects: &[Effect]) -> Vec<&VaultCall> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Vault(call) => Some(call),
            _ => None,
        })
        .collect()
}

/// The call Vault would get for `purpose`, as the app builds it.
pub(super) fn call(purpose: Purpose, request: VaultRequest) -> VaultCall {
    VaultCall {
        purpose,
        request,
        delay: Duration::ZERO,
    }
}

/// The journal took every change among `effects`; the engine found the IAM user.
pub(super) fn settle(app: &mut App, effects: Vec<Effect>) {
    for effect in effects {
        let more = match effect {
            Effect::Journal(change) => outcome(
                app,
                Outcome::Journaled {
                    change,
                    result: Ok(()),
                },
            ),
            Effect::Engine(EngineCall::Identify { lease_id, .. }) => outcome(
                app,
                Outcome::Engine(EngineReply::Identified {
                    lease_id,
                    subject: Some("vault-root-my-role-1763900000-abcdefghij0123456789".into()),
                }),
            ),
            _ => Vec::new(),
        };
        settle(app, more);
    }
}

pub(super) fn issue(app: &mut App, ttl: Duration) {
    issue_lease(app, LEASE, ttl);
}

/// Vault's answer to the generate step's request: credentials with a lease.
pub(super) fn issue_lease(app: &mut App, lease_id: &str, ttl: Duration) {
    let effects = issue_answer(app, lease_id, ttl);
    settle(app, effects);
}

pub(super) fn issue_answer(app: &mut App, lease_id: &str, ttl: Duration) -> Vec<Effect> {
    outcome(
        app,
        Outcome::Vault {
            call: call(
                Purpose::Step { step: GENERATE },
                VaultRequest::get("aws/creds/my-role"),
            ),
            reply: ok(json!({
                "lease_id": lease_id,
                "lease_duration": ttl.as_secs(),
                "renewable": true,
                "data": {"access_key": "AKIAISSUED", "secret_key": ISSUED_SECRET, "security_token": null},
            })),
        },
    )
}

pub(super) fn revoked(
    app: &mut App,
    lease_id: &str,
    reply: Result<Reply, VaultRefusal>,
) -> Vec<Effect> {
    revoked_sync(app, lease_id, false, reply)
}

pub(super) fn revoked_sync(
    app: &mut App,
    lease_id: &str,
    sync: bool,
    reply: Result<Reply, VaultRefusal>,
) -> Vec<Effect> {
    outcome(
        app,
        Outcome::Vault {
            call: call(
                Purpose::Revoke {
                    lease_id: lease_id.into(),
                    sync,
                },
                request::lease_revoke(lease_id, sync),
            ),
            reply,
        },
    )
}

pub(super) fn looked_up(
    app: &mut App,
    lease_id: &str,
    attempt: u32,
    reply: Result<Reply, VaultRefusal>,
) -> Vec<Effect> {
    outcome(
        app,
        Outcome::Vault {
            call: call(
                Purpose::Lookup {
                    lease_id: lease_id.into(),
                    attempt,
                    round: None,
                },
                request::lease_lookup(lease_id),
            ),
            reply,
        },
    )
}

pub(super) fn lookup_answer(lease_id: &str, ttl: u64) -> Result<Reply, VaultRefusal> {
    ok(json!({"data": {"id": lease_id, "ttl": ttl, "renewable": true}}))
}

pub(super) fn renewed(
    app: &mut App,
    lease_id: &str,
    asked: Option<Duration>,
    granted: u64,
    warning: &str,
) -> Vec<Effect> {
    outcome(
        app,
        Outcome::Vault {
            call: call(
                Purpose::Renew {
                    lease_id: lease_id.into(),
                    asked,
                },
                request::lease_renew(lease_id, asked),
            ),
            reply: ok(json!({
                "lease_id": lease_id,
                "lease_duration": granted,
                "renewable": true,
                "warnings": [warning],
            })),
        },
    )
}

fn exchange() -> Exchange {
    Exchange {
        curl: "aws ec2 describe-instances".into(),
        response: "{}".into(),
    }
}

fn aws_refusal(code: &str, retry: Retry) -> Refusal {
    Refusal {
        code: code.into(),
        message: "AWS was not able to validate the provided access credentials".into(),
        retry,
        denied: false,
        waiting: format!("Waiting: AWS does not accept the new key yet ({code})."),
        failure: Failure::new(
            format!("AWS refused DescribeInstances: {code}"),
            "refused",
            "Enter tries again.",
        ),
    }
}

fn probed(app: &mut App, attempt: u32, result: Result<Exchange, Refusal>) -> Vec<Effect> {
    probed_lease(app, LEASE, attempt, result)
}

fn probed_lease(
    app: &mut App,
    lease_id: &str,
    attempt: u32,
    result: Result<Exchange, Refusal>,
) -> Vec<Effect> {
    outcome(
        app,
        Outcome::Engine(EngineReply::Probed {
            step: TEST,
            lease_id: lease_id.into(),
            attempt,
            result,
        }),
    )
}

fn proof(dead: bool) -> Proof {
    Proof {
        lines: vec![ProofLine {
            ok: dead,
            text: "DescribeInstances with the old keys".into(),
        }],
        summary: String::new(),
        dead,
        exchange: exchange(),
        still_alive: Failure::new("The revoked keys still work", "", ""),
    }
}

fn proved(app: &mut App, lease_id: &str, attempt: u32, dead: bool) -> Vec<Effect> {
    outcome(
        app,
        Outcome::Engine(EngineReply::Proved {
            step: REVOKE,
            lease_id: lease_id.into(),
            attempt,
            proof: proof(dead),
        }),
    )
}

pub(super) fn revoke_ids(effects: &[Effect]) -> Vec<&str> {
    vault_calls(effects)
        .into_iter()
        .filter_map(|call| match &call.purpose {
            Purpose::Revoke { lease_id, .. } => Some(lease_id.as_str()),
            _ => None,
        })
        .collect()
}

pub(super) fn lookup_ids(effects: &[Effect]) -> Vec<(&str, u32)> {
    vault_calls(effects)
        .into_iter()
        .filter_map(|call| match &call.purpose {
            Purpose::Lookup {
                lease_id,
                attempt,
                round: None,
            } => Some((lease_id.as_str(), *attempt)),
            _ => None,
        })
        .collect()
}

pub(super) fn is_journal_mark(effect: &Effect, id: &str, state: fn(&Lifecycle) -> bool) -> bool {
    matches!(effect, Effect::Journal(JournalChange::Mark { lease_id, state: s }) if lease_id == id && state(s))
}

fn entry(id: &str, state: Lifecycle) -> Entry {
    Entry {
        lease_id: id.into(),
        mount: "aws".into(),
        role: "my-role".into(),
        issued_at: at(-600),
        ttl_seconds: 3600,
        expires_at: Some(at(3000)),
        state,
        owner: None,
    }
}
/// A room server's refusal of a step its facilitator holds, as the client classifies it.
fn held_by_the_room() -> Result<Reply, VaultRefusal> {
    let words = "permission denied: the facilitator holds the room at step 5; step 6 (revoke the lease) opens when they say so";
    Err(VaultRefusal {
        message: format!("permission denied on PUT sys/leases/revoke (Vault: {words})"),
        hint: String::new(),
        status: Some(403),
        errors: vec![words.into()],
        invalid_request: false,
    })
}

/// A lease issued before the one a test is about.
const OLDER: &str = "aws/creds/my-role/olderolderolderolder0000";
