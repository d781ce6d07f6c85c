//! `update` driven by messages alone: no terminal, no network, no clock. Vault's answers
//! are given to the very requests `update` asked for.

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

#[test]
fn n_and_p_move_between_panes_and_stop_at_the_ends() {
    let mut app = app();
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.pane, Pane::Overview);
    for _ in 0..20 {
        press(&mut app, KeyCode::Right);
    }
    assert_eq!(app.pane, Pane::Leases, "the leases pane is last");
    press(&mut app, KeyCode::Left);
    assert_eq!(app.pane, Pane::Finish);
}

#[test]
fn moving_between_panes_rereads_the_state_from_vault() {
    let mut app = app();
    let effects = press(&mut app, KeyCode::Char('n'));
    let reads: Vec<&str> = vault_calls(&effects)
        .into_iter()
        .filter(|call| matches!(call.purpose, Purpose::Done { .. }))
        .map(|call| call.request.path.as_str())
        .collect();
    assert_eq!(
        reads,
        ["sys/mounts", "aws/config/root", "aws/roles/my-role"]
    );
}

#[test]
fn enter_enables_the_engine_and_its_outcome_marks_the_step() {
    let mut app = app();
    go_to(&mut app, ENABLE);
    let effects = press(&mut app, KeyCode::Enter);
    let [call] = vault_calls(&effects)[..] else {
        panic!("{effects:?}");
    };
    assert_eq!(call.request.describe().path, "sys/mounts/aws");
    assert_eq!(
        call.request.describe().body_redacted,
        Some(json!({"type": "aws"}))
    );
    assert_eq!(app.steps[ENABLE].status, StepStatus::Running);
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "no second request while running"
    );
    answer(&mut app, &effects, no_content(204));
    let step = &app.steps[ENABLE];
    assert_eq!(step.status, StepStatus::Done);
    let sent = &step.exchange.as_ref().unwrap().curl;
    assert_eq!(
        sent,
        &crate::app::plan::curl(&app, &call.request),
        "the pane shows the curl of the very request sent"
    );
}

#[test]
fn an_engine_enabled_before_is_the_step_done_and_another_engine_is_not() {
    for (mounted, done) in [("aws", true), ("kv", false)] {
        let mut app = app();
        go_to(&mut app, ENABLE);
        let effects = press(&mut app, KeyCode::Enter);
        let in_use = Err(VaultRefusal {
            message: "Vault rejected POST sys/mounts/aws (400): path is already in use at aws/"
                .into(),
            hint: String::new(),
            status: Some(400),
            errors: vec!["path is already in use at aws/".into()],
            invalid_request: true,
        });
        let recheck = answer(&mut app, &effects, in_use);
        assert_eq!(vault_calls(&recheck)[0].request.path, "sys/mounts");
        answer(
            &mut app,
            &recheck,
            ok(json!({"data": {"aws/": {"type": mounted}}})),
        );
        match &app.steps[ENABLE].status {
            StepStatus::Done => assert!(done, "{mounted}"),
            StepStatus::Failed(failure) => {
                assert!(!done, "{mounted}");
                assert!(failure.what.contains("Something other than the AWS engine"));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn steps_done_elsewhere_show_done() {
    let (mut app, effects) = init(inputs());
    let reads = vault_calls(&effects);
    let answers = [
        ok(json!({"data": {"aws/": {"type": "aws"}, "sys/": {"type": "system"}}})),
        ok(json!({"data": {"access_key": "AKIA", "region": "us-east-1"}})),
        Err(VaultRefusal {
            message: "nothing at aws/roles/my-role (GET got 404)".into(),
            hint: String::new(),
            status: Some(404),
            errors: Vec::new(),
            invalid_request: false,
        }),
    ];
    for (call, reply) in reads.into_iter().zip(answers) {
        outcome(
            &mut app,
            Outcome::Vault {
                call: call.clone(),
                reply,
            },
        );
    }
    assert_eq!(app.steps[ENABLE].status, StepStatus::Done);
    assert_eq!(app.steps[ROOT_KEYS].status, StepStatus::Done);
    assert_eq!(app.steps[POLICY].status, StepStatus::Pending);
    assert_eq!(app.steps_done(), 2);
    assert_eq!(app.notice, None, "a 404 is not done, not a problem");
}

#[test]
fn prefilled_root_keys_are_checked_then_written_then_read_back() {
    let mut app = app();
    go_to(&mut app, ROOT_KEYS);
    let effects = press(&mut app, KeyCode::Enter);
    let [Effect::Engine(EngineCall::Verify { values, .. })] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(values.get("secret_key").unwrap().expose_secret(), SECRET);
    let verified = Verified {
        facts: Vec::new(),
        warnings: vec!["These are the account root user's keys.".into()],
    };
    let effects = outcome(
        &mut app,
        Outcome::Engine(EngineReply::Verified {
            step: ROOT_KEYS,
            result: Ok(verified),
        }),
    );
    let [write] = vault_calls(&effects)[..] else {
        panic!("{effects:?}");
    };
    let sent = write.request.describe();
    assert_eq!(sent.path, "aws/config/root");
    assert_eq!(
        sent.body_redacted.as_ref().unwrap()["secret_key"],
        "<redacted>"
    );
    assert!(
        app.form(ROOT_KEYS)
            .unwrap()
            .verified
            .as_ref()
            .is_some_and(|v| !v.warnings.is_empty()),
        "warns about the account root user"
    );
    let read = answer(&mut app, &effects, no_content(204));
    assert_eq!(vault_calls(&read)[0].request.path, "aws/config/root");
    answer(
        &mut app,
        &read,
        ok(json!({"data": {"access_key": "AKIAEXAMPLE", "region": "us-east-1"}})),
    );
    let step = &app.steps[ROOT_KEYS];
    assert_eq!(step.status, StepStatus::Done);
    let response = &step.exchange.as_ref().unwrap().response;
    assert!(
        response.starts_with("204 No Content\nread back: "),
        "{response}"
    );
}

#[test]
fn the_root_keys_cannot_be_edited_while_they_are_checked() {
    let mut app = app();
    go_to(&mut app, ROOT_KEYS);
    // The access key changed, so `u` would have something to put back.
    for code in [KeyCode::Char('e'), KeyCode::Char('Z'), KeyCode::Esc] {
        press(&mut app, code);
    }
    let typed = app.form(ROOT_KEYS).unwrap().inputs[0].value();
    let typed = typed.expose_secret().to_owned();
    assert!(typed.ends_with('Z'), "{typed}");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.steps[ROOT_KEYS].status, StepStatus::Running);
    let hints: Vec<String> = crate::app::keymap::bindings(&app)
        .into_iter()
        .map(|b| b.keys)
        .collect();
    assert!(
        !hints.iter().any(|k| k == "e" || k == "u"),
        "not offered: {hints:?}"
    );
    for code in [KeyCode::Char('e'), KeyCode::Char('X'), KeyCode::Char('u')] {
        press(&mut app, code);
        assert!(!app.editing, "not while the keys are checked");
    }
    let effects = outcome(
        &mut app,
        Outcome::Engine(EngineReply::Verified {
            step: ROOT_KEYS,
            result: Ok(Verified::default()),
        }),
    );
    let [write] = vault_calls(&effects)[..] else {
        panic!("{effects:?}");
    };
    let sent = write.request.describe();
    assert_eq!(
        sent.body_redacted.as_ref().unwrap()["access_key"],
        typed.as_str(),
        "the keys written are the keys checked"
    );
}

#[test]
fn keys_typed_while_editing_go_to_the_field_not_to_the_keymap() {
    let mut app = app();
    go_to(&mut app, ROOT_KEYS);
    press(&mut app, KeyCode::Char('e'));
    assert!(app.editing);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.form(ROOT_KEYS).unwrap().field, 1);
    for _ in 0..SECRET.len() {
        press(&mut app, KeyCode::Backspace);
    }
    for c in "qn?".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    assert!(!app.should_quit());
    assert_eq!(
        app.values().get("secret_key").unwrap().expose_secret(),
        "qn?"
    );
    press(&mut app, KeyCode::Esc);
    assert!(!app.editing);
}

#[test]
fn incomplete_keys_are_refused_with_a_hint() {
    let mut app = app();
    app.form_mut(ROOT_KEYS).unwrap().inputs[1].clear();
    go_to(&mut app, ROOT_KEYS);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let StepStatus::Failed(failure) = &app.steps[ROOT_KEYS].status else {
        panic!("refused");
    };
    assert!(failure.hint.contains("Press e"));
}

#[test]
fn the_labs_policy_runs_without_editing_and_a_broken_one_does_not() {
    let mut app = app();
    go_to(&mut app, POLICY);
    let effects = press(&mut app, KeyCode::Enter);
    let [write] = vault_calls(&effects)[..] else {
        panic!("{effects:?}");
    };
    let body = write.request.describe().body_redacted.unwrap();
    assert_eq!(body["credential_type"], "iam_user");
    assert!(body["policy_document"].as_str().unwrap().contains("ec2:*"));

    let mut app = self::app();
    go_to(&mut app, POLICY);
    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Char('x'));
    assert!(
        !editor(&app).check.is_usable(),
        "x before the brace is not JSON"
    );
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Down);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(app.editing, "Enter on a broken policy opens the editor");
    assert_eq!(
        editor(&app).textarea.cursor(),
        (0, 0),
        "at the error: line 1, column 1"
    );
}

#[test]
fn t_cycles_policy_templates() {
    let mut app = app();
    go_to(&mut app, POLICY);
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(editor(&app).template, 1);
    assert!(editor(&app).text().contains("ec2:DescribeInstances"));
    assert!(
        app.notice
            .as_deref()
            .unwrap_or_default()
            .contains("DescribeInstances only")
    );
}

#[test]
fn t_over_an_edited_policy_asks_before_replacing_it() {
    let mut app = app();
    go_to(&mut app, POLICY);
    press(&mut app, KeyCode::Char('e'));
    update(&mut app, Msg::Paste(" ".into()));
    press(&mut app, KeyCode::Esc);
    let edited = editor(&app).text();

    press(&mut app, KeyCode::Char('t'));
    assert_eq!(editor(&app).text(), edited, "the first t only asks");
    assert!(
        app.notice
            .as_deref()
            .unwrap_or_default()
            .contains("t again")
    );
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(editor(&app).text(), edited, "another key called it off");

    press(&mut app, KeyCode::Char('t'));
    assert_eq!(editor(&app).template, 1, "the second t in a row replaces");
    assert!(editor(&app).text().contains("ec2:DescribeInstances"));
}

#[test]
fn a_key_that_does_nothing_still_calls_off_a_replacement_asked_for() {
    let mut app = app();
    go_to(&mut app, POLICY);
    press(&mut app, KeyCode::Char('e'));
    update(&mut app, Msg::Paste(" ".into()));
    press(&mut app, KeyCode::Esc);
    let edited = editor(&app).text();

    press(&mut app, KeyCode::Char('t'));
    let (_, redraw) = update(&mut app, key(KeyCode::Char('z')));
    assert_eq!(redraw, super::Redraw::Yes, "the question goes");
    assert_eq!(app.notice, None);
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(editor(&app).text(), edited, "asked again, not replaced");
    assert!(
        app.notice
            .as_deref()
            .unwrap_or_default()
            .contains("t again")
    );
    // So does a paste.
    update(&mut app, Msg::Paste("{}".into()));
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(editor(&app).text(), edited, "asked again after a paste");
}

#[test]
fn pasting_goes_into_the_editor_only_while_editing() {
    let mut app = app();
    go_to(&mut app, POLICY);
    let before = editor(&app).text();
    update(&mut app, Msg::Paste("{}".into()));
    assert_eq!(editor(&app).text(), before);
    assert!(app.notice.is_some());
    press(&mut app, KeyCode::Char('e'));
    update(&mut app, Msg::Paste("{\"a\":\n1}".into()));
    assert!(editor(&app).text().starts_with("{\"a\":\n1}"));
}

#[test]
fn the_lease_counts_down_with_the_clock_and_the_screen_changes_only_with_it() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(90));
    assert_eq!(app.steps[GENERATE].status, StepStatus::Done);
    assert_eq!(app.current_lease().unwrap().label(app.now), "1:30");
    let (_, redraw) = update(&mut app, Msg::Tick(at(30)));
    assert_eq!(redraw, super::Redraw::Yes, "the countdown moved");
    assert_eq!(app.current_lease().unwrap().label(app.now), "1:00");
    update(&mut app, Msg::Tick(at(90)));
    assert!(app.active_lease().is_none());
    assert_eq!(app.current_lease().unwrap().label(app.now), "expired");
    let (_, redraw) = update(&mut app, Msg::Tick(at(95)));
    assert_eq!(
        redraw,
        super::Redraw::No,
        "nothing on screen moves any more"
    );
    let (_, redraw) = update(&mut app, key(KeyCode::Char('z')));
    assert_eq!(redraw, super::Redraw::No, "a key that does nothing");
}

#[test]
fn a_test_of_the_keys_that_panicked_stops_its_spinner_and_its_redraws() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, TEST);
    let effects = press(&mut app, KeyCode::Enter);
    // Within one second of the countdown, only the spinner moves.
    let soon = |app: &App| Msg::Tick(app.now + chrono::Duration::milliseconds(100));
    let tick = soon(&app);
    let (_, redraw) = update(&mut app, tick);
    assert_eq!(redraw, super::Redraw::Yes, "the spinner turns");
    outcome(
        &mut app,
        Outcome::crashed(&effects[0], Failure::new("internal error", "", "")),
    );
    assert!(matches!(app.steps[TEST].status, StepStatus::Failed(_)));
    let tick = soon(&app);
    let (_, redraw) = update(&mut app, tick);
    assert_eq!(
        redraw,
        super::Redraw::No,
        "nothing is being tested any more"
    );
    assert!(
        app.probe(TEST).is_none(),
        "the pane no longer says it waits"
    );
}

#[test]
fn the_test_retries_while_the_key_propagates_then_succeeds() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, TEST);
    let effects = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Engine(EngineCall::Probe { attempt: 1, delay, creds, .. })]
            if delay.is_zero() && creds.text("access_key") == "AKIAISSUED")
    );
    let not_yet = aws_refusal("AuthFailure", Retry::NotYet);
    let effects = probed(&mut app, 1, Err(not_yet.clone()));
    assert!(
        matches!(effects.as_slice(), [Effect::Engine(EngineCall::Probe { attempt: 2, delay, .. })] if !delay.is_zero())
    );
    assert_eq!(app.probe(TEST).unwrap().waiting_because, Some(not_yet));
    probed(&mut app, 2, Ok(exchange()));
    assert_eq!(app.steps[TEST].status, StepStatus::Done);
    assert!(app.probe(TEST).unwrap().waiting_because.is_none());
}

#[test]
fn a_refusal_that_outlasts_the_retries_or_will_not_pass_fails_in_the_engines_words() {
    for (retry, attempt) in [
        (Retry::Throttled, super::probe_schedule::PROBE_ATTEMPTS),
        (Retry::NotYet, super::probe_schedule::PROBE_ATTEMPTS),
        (Retry::No, 1),
    ] {
        let mut app = app();
        issue(&mut app, Duration::from_secs(3600));
        go_to(&mut app, TEST);
        press(&mut app, KeyCode::Enter);
        let refusal = aws_refusal("RequestLimitExceeded", retry);
        let effects = probed(&mut app, attempt, Err(refusal.clone()));
        assert!(effects.is_empty(), "{retry:?}: no more attempts");
        let StepStatus::Failed(failure) = &app.steps[TEST].status else {
            panic!("{retry:?}: failed");
        };
        assert_eq!(failure, &refusal.failure);
    }
}

#[test]
fn revoking_proves_the_keys_dead_before_the_step_is_done() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(revoke_ids(&effects), [LEASE]);
    assert!(matches!(
        vault_calls(&effects)[0].purpose,
        Purpose::Revoke { sync: false, .. }
    ));
    let effects = revoked(&mut app, LEASE, no_content(202));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Engine(EngineCall::ProveRevoked {
                attempt: 1,
                subject: Some(_),
                ..
            })]
        ),
        "queued: its journal entry waits for the proof: {effects:?}"
    );
    // Queued is not over: the keys may work until the proof finds them dead.
    assert_eq!(app.current_lease().unwrap().label(app.now), "revoke queued");
    assert!(app.active_lease().is_none(), "not to be revoked again");
    assert_eq!(app.maybe_alive_leases(), 1, "quitting now would ask");
    let effects = proved(&mut app, LEASE, 1, false);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Engine(EngineCall::ProveRevoked { attempt: 2, .. })]
        ),
        "keeps checking"
    );
    assert_eq!(app.steps[REVOKE].status, StepStatus::Running);
    assert_eq!(app.current_lease().unwrap().label(app.now), "revoke queued");
    let effects = proved(&mut app, LEASE, 2, true);
    assert_eq!(app.steps[REVOKE].status, StepStatus::Done);
    assert_eq!(app.current_lease().unwrap().label(app.now), "revoked");
    assert_eq!(app.maybe_alive_leases(), 0);
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::Revoked { .. }))),
        "dead keys close the journal entry: {effects:?}"
    );
}

#[test]
fn keys_that_outlive_every_look_fail_the_revocation_and_it_can_be_tried_again() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    revoked(&mut app, LEASE, no_content(202));
    let last = crate::app::probe_schedule::PROOF_ATTEMPTS;
    let effects = proved(&mut app, LEASE, last, false);
    assert!(matches!(app.steps[REVOKE].status, StepStatus::Failed(_)));
    let lease = app.current_lease().unwrap();
    assert!(
        matches!(&lease.state, Lifecycle::RevokeFailed { error, .. } if error.contains("still work")),
        "{:?}",
        lease.state
    );
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::RevokeFailed { .. }))),
        "kept open in the journal, to be revoked again: {effects:?}"
    );
    assert_eq!(app.revocable_leases(), 1);
}

#[test]
fn quitting_after_a_queued_revocation_waits_for_vault_to_finish_it() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    revoked(&mut app, LEASE, no_content(202));
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit), "its keys may work");
    let effects = press(&mut app, KeyCode::Char('r'));
    assert!(
        matches!(vault_calls(&effects).as_slice(), [c] if matches!(&c.purpose, Purpose::Revoke { lease_id, sync: true } if lease_id == LEASE)),
        "asked again, waiting for Vault: {effects:?}"
    );
    assert!(!app.should_quit());
    let effects = revoked_sync(&mut app, LEASE, true, no_content(204));
    assert!(app.should_quit());
    assert!(
        effects
            .iter()
            .any(|e| is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::Revoked { .. }))),
        "{effects:?}"
    );
    assert_eq!(app.exit_note(), None);
}

#[test]
fn quitting_with_an_active_lease_asks_first() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit));
    assert!(!app.should_quit());
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.overlay, None);

    press(&mut app, KeyCode::Char('q'));
    let effects = press(&mut app, KeyCode::Char('r'));
    assert!(
        matches!(
            vault_calls(&effects)[..],
            [VaultCall {
                purpose: Purpose::Revoke { sync: true, .. },
                ..
            }]
        ),
        "on the way out Vault must finish the revocation: no proof will follow"
    );
    assert!(!app.should_quit(), "waits for the revocation");
    let effects = revoked_sync(&mut app, LEASE, true, no_content(204));
    assert!(app.should_quit());
    assert!(
        matches!(effects.last(), Some(Effect::Quit)),
        "the runtime is told: {effects:?}"
    );
}

#[test]
fn a_failed_revocation_at_quit_keeps_the_app_open() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    press(&mut app, KeyCode::Char('q'));
    press(&mut app, KeyCode::Char('r'));
    revoked_sync(&mut app, LEASE, true, refused("connection refused"));
    assert!(!app.should_quit());
    assert_eq!(app.quit, Quit::No);
    assert!(matches!(app.steps[REVOKE].status, StepStatus::Failed(_)));
}

#[test]
fn quitting_without_leases_is_immediate() {
    let mut app = app();
    let effects = press(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit());
    assert!(matches!(effects.as_slice(), [Effect::Quit]));
}

#[test]
fn help_opens_with_question_mark_and_closes_with_any_key() {
    let mut app = app();
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.overlay, Some(Overlay::Help));
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.overlay, None);
    assert_eq!(
        app.pane,
        Pane::Overview,
        "the key that closed help did nothing else"
    );
}

#[test]
fn r_renews_and_a_capped_renewal_says_so() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(60));
    let effects = press(&mut app, KeyCode::Char('r'));
    assert!(matches!(
        vault_calls(&effects)[..],
        [VaultCall {
            purpose: Purpose::Renew { asked: None, .. },
            ..
        }]
    ));
    update(&mut app, Msg::Tick(at(30)));
    let effects = renewed(
        &mut app,
        LEASE,
        None,
        120,
        "TTL of \"1h\" exceeded the effective max_ttl of \"2m\"; TTL value is capped accordingly",
    );
    assert_eq!(app.current_lease().unwrap().label(app.now), "2:00");
    assert!(app.notice.as_deref().unwrap().contains("capped"));
    assert!(
        matches!(effects.as_slice(), [Effect::Journal(JournalChange::Renewed { ttl, at: when, .. })]
            if ttl.as_secs() == 120 && *when == at(30)),
        "the journal learns the new expiry: {effects:?}"
    );
}

#[test]
fn the_issued_secret_is_masked_until_revealed_and_never_debug_printed() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(60));
    go_to(&mut app, GENERATE);
    assert!(!app.creds.as_ref().unwrap().revealed);
    press(&mut app, KeyCode::Char('v'));
    assert!(app.creds.as_ref().unwrap().revealed);
    let debug = format!("{app:?}");
    assert!(!debug.contains(ISSUED_SECRET));
    assert!(!debug.contains(SECRET));
    let effects = press(&mut app, KeyCode::Char('c'));
    let [Effect::Clipboard(snippet)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert!(!format!("{effects:?}").contains(ISSUED_SECRET));
    assert!(
        snippet
            .expose_secret()
            .contains(&format!("export AWS_SECRET_ACCESS_KEY={ISSUED_SECRET}"))
    );
}

#[test]
fn outcomes_about_older_credentials_do_not_touch_new_ones() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, TEST);
    press(&mut app, KeyCode::Enter);
    // New credentials arrive while the old ones are still being tested.
    issue_lease(
        &mut app,
        "aws/creds/my-role/NEWNEWNEWNEWNEWNEWNEWNEW",
        Duration::from_secs(3600),
    );
    assert!(probed(&mut app, 1, Ok(exchange())).is_empty());
    assert!(proved(&mut app, LEASE, 1, true).is_empty());
    assert_eq!(app.steps[TEST].status, StepStatus::Pending);
    assert_eq!(app.steps[REVOKE].status, StepStatus::Pending);
    revoked(&mut app, LEASE, no_content(202));
    assert_eq!(app.steps[REVOKE].status, StepStatus::Pending);
    assert!(
        app.active_lease().is_some(),
        "the new lease is not marked revoked"
    );
}

#[test]
fn a_proof_that_arrives_after_new_credentials_still_closes_its_lease() {
    const NEW: &str = "aws/creds/my-role/NEWNEWNEWNEWNEWNEWNEWNEW";
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    revoked(&mut app, LEASE, no_content(202));
    // New credentials while the old keys are being looked at.
    issue_lease(&mut app, NEW, Duration::from_secs(3600));
    let effects = proved(&mut app, LEASE, 1, true);
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::Revoked { .. }))),
        "the old lease's journal entry closes: {effects:?}"
    );
    assert!(matches!(
        app.leases.get(LEASE).unwrap().state,
        Lifecycle::Revoked { .. }
    ));
    assert_eq!(app.current_lease().unwrap().lease_id, NEW);
    assert_eq!(app.current_lease().unwrap().state, Lifecycle::Active);
    assert_eq!(
        app.steps[REVOKE].status,
        StepStatus::Pending,
        "the new credentials are not revoked"
    );
}

#[test]
fn a_queued_revocation_whose_proof_was_cut_short_follows_vault() {
    const NEW: &str = "aws/creds/my-role/NEWNEWNEWNEWNEWNEWNEWNEW";
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    revoked(&mut app, LEASE, no_content(202));
    issue_lease(&mut app, NEW, Duration::from_secs(3600));
    // Still alive at its last look: no more looks follow for keys no longer shown.
    assert!(proved(&mut app, LEASE, 1, false).is_empty());
    assert!(matches!(
        app.leases.get(LEASE).unwrap().state,
        Lifecycle::RevokeQueued { .. }
    ));
    // Vault's lookup says it finished: the lease is over, and so is its entry.
    let effects = outcome(
        &mut app,
        Outcome::Vault {
            call: call(
                Purpose::Lookup {
                    lease_id: LEASE.into(),
                    attempt: 0,
                    round: Some(1),
                },
                request::lease_lookup(LEASE),
            ),
            reply: unknown_lease(),
        },
    );
    assert!(matches!(
        app.leases.get(LEASE).unwrap().state,
        Lifecycle::Revoked { .. }
    ));
    assert!(
        effects
            .iter()
            .any(|e| is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::Revoked { .. }))),
        "{effects:?}"
    );
}

#[test]
fn enter_on_a_proved_revocation_keeps_it_done() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    revoked(&mut app, LEASE, no_content(202));
    proved(&mut app, LEASE, 1, true);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.steps[REVOKE].status, StepStatus::Done);
    go_to(&mut app, TEST);
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "no test of dead keys"
    );
    let StepStatus::Failed(failure) = &app.steps[TEST].status else {
        panic!("refused");
    };
    assert!(failure.hint.contains("Generate new credentials"));
}

#[test]
fn quitting_while_credentials_are_being_issued_waits() {
    let mut app = app();
    go_to(&mut app, GENERATE);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.should_quit());
    assert!(
        app.notice
            .as_deref()
            .unwrap_or_default()
            .contains("being issued")
    );
}

#[test]
fn issued_credentials_show_only_once_the_journal_has_their_lease() {
    let mut app = journaled_app();
    go_to(&mut app, GENERATE);
    press(&mut app, KeyCode::Enter);
    let effects = issue_answer(&mut app, LEASE, Duration::from_secs(3600));
    let [Effect::Journal(JournalChange::Record(entry))] = effects.as_slice() else {
        panic!("the lease is journaled first: {effects:?}");
    };
    assert_eq!(entry.lease_id, LEASE);
    assert_eq!(entry.state, Lifecycle::Active);
    assert!(
        app.creds.is_none(),
        "no key shows before the journal has it"
    );
    assert!(app.requests_in_flight());
    assert_eq!(app.revocable_leases(), 1, "tracked at once");
    let effects = outcome(
        &mut app,
        Outcome::Journaled {
            change: JournalChange::Record(entry.clone()),
            result: Err("cannot write the lease journal /data: disk full".into()),
        },
    );
    assert!(matches!(
        effects.as_slice(),
        [Effect::Engine(EngineCall::Identify { .. })]
    ));
    let step = &app.steps[GENERATE];
    assert_eq!(step.status, StepStatus::Done);
    assert!(
        step.exchange
            .as_ref()
            .unwrap()
            .response
            .contains("WARNING: cannot write the lease journal"),
        "the keys show, with the warning"
    );
    assert!(app.creds.is_some());
}

#[test]
fn an_answer_that_is_not_credentials_still_leaves_its_lease_behind() {
    let mut app = journaled_app();
    let effects = outcome(
        &mut app,
        Outcome::Vault {
            call: call(
                Purpose::Step { step: GENERATE },
                VaultRequest::get("aws/creds/my-role"),
            ),
            reply: ok(json!({"lease_id": LEASE, "lease_duration": 60, "data": {"password": "x"}})),
        },
    );
    let [Effect::Journal(change)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    outcome(
        &mut app,
        Outcome::Journaled {
            change: change.clone(),
            result: Ok(()),
        },
    );
    let StepStatus::Failed(failure) = &app.steps[GENERATE].status else {
        panic!("not credentials");
    };
    assert!(failure.detail.contains("`data.access_key` is missing"));
    assert_eq!(app.revocable_leases(), 1);
}

#[test]
fn a_crashed_effect_fails_its_step_so_it_can_run_again() {
    let mut app = app();
    go_to(&mut app, ENABLE);
    let effects = press(&mut app, KeyCode::Enter);
    outcome(
        &mut app,
        Outcome::crashed(&effects[0], Failure::new("internal error", "", "")),
    );
    assert!(matches!(app.steps[ENABLE].status, StepStatus::Failed(_)));
    assert_eq!(press(&mut app, KeyCode::Enter).len(), 1, "it runs again");
}

#[test]
fn a_crashed_revocation_fails_as_a_refusal_would_and_a_hangup_still_leaves() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    let effects = press(&mut app, KeyCode::Enter);
    update(&mut app, Msg::Signal(StopSignal::Hangup));
    assert!(!app.should_quit(), "the revocation is on its way");
    let effects = outcome(
        &mut app,
        Outcome::crashed(
            &effects[0],
            Failure::new("internal error", "it panicked", ""),
        ),
    );
    let lease = app.current_lease().unwrap();
    assert!(
        matches!(&lease.state, Lifecycle::RevokeFailed { error, .. } if error.contains("internal error")),
        "not left revoking: {:?}",
        lease.state
    );
    assert!(app.should_quit(), "nothing is on its way any more");
    assert!(
        effects
            .iter()
            .any(|e| is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::RevokeFailed { .. }))),
        "kept open in the journal: {effects:?}"
    );
}

#[test]
fn the_jump_to_a_json_error_counts_characters_not_bytes() {
    let mut app = app();
    go_to(&mut app, POLICY);
    press(&mut app, KeyCode::Char('e'));
    // Select all, then type a line with a two-byte character before the mistake.
    editor_mut(&mut app).textarea.select_all();
    editor_mut(&mut app).textarea.cut();
    update(&mut app, Msg::Paste("{\"a\":\"é\" x}".into()));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Enter);
    assert_eq!(editor(&app).textarea.cursor(), (0, 9), "on the x");
}

#[test]
fn s_on_the_generate_pane_asks_for_short_leases() {
    let mut app = app();
    go_to(&mut app, GENERATE);
    let effects = press(&mut app, KeyCode::Char('s'));
    let [write] = vault_calls(&effects)[..] else {
        panic!("{effects:?}");
    };
    assert_eq!(write.request.path, "aws/config/lease");
    assert_eq!(
        write.request.describe().body_redacted,
        Some(json!({"lease": "120s", "lease_max": "300s"}))
    );
    answer(&mut app, &effects, no_content(204));
    assert!(app.notice.as_deref().unwrap_or_default().contains("2m"));
}

#[test]
fn a_credentials_secret_in_a_request_body_is_sent_but_never_shown() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    // A lab whose action sends the issued secret key, under a name of its own choosing.
    let crate::lab::StepKind::Issue(spec) = &mut app.lab.steps[GENERATE].kind else {
        panic!("the generate step issues");
    };
    spec.actions[0]
        .request
        .body
        .push(("passphrase".into(), json!("{creds.secret_key}")));
    go_to(&mut app, GENERATE);
    let effects = press(&mut app, KeyCode::Char('s'));
    let [write] = vault_calls(&effects)[..] else {
        panic!("{effects:?}");
    };
    let curl = crate::app::plan::curl(&app, &write.request);
    assert!(!curl.contains(ISSUED_SECRET), "{curl}");
    assert!(curl.contains(r#""passphrase":"<redacted>""#), "{curl}");
    assert!(!format!("{:?}", write.request).contains(ISSUED_SECRET));
    let sent = write.request.body_to_send().unwrap();
    assert_eq!(sent["passphrase"], ISSUED_SECRET, "sent as it is");
}

#[test]
fn a_field_the_lab_declares_secret_is_masked_in_the_answer_shown_whatever_its_name() {
    let mut app = app();
    // A lab whose credentials carry a secret under a name of its own.
    let crate::lab::StepKind::Issue(spec) = &mut app.lab.steps[GENERATE].kind else {
        panic!("the generate step issues");
    };
    spec.secret.push("signing_key".into());
    go_to(&mut app, GENERATE);
    let effects = press(&mut app, KeyCode::Enter);
    answer(
        &mut app,
        &effects,
        ok(json!({
            "lease_id": LEASE,
            "lease_duration": 3600,
            "renewable": true,
            "data": {"access_key": "AKIAISSUED", "secret_key": ISSUED_SECRET,
                     "security_token": null, "signing_key": "SIGNINGsigningSIGNING"},
        })),
    );
    let shown = &app.steps[GENERATE].exchange.as_ref().unwrap().response;
    assert!(shown.contains("AKIAISSUED"), "{shown}");
    assert!(!shown.contains("SIGNINGsigningSIGNING"), "{shown}");
    assert!(!shown.contains(ISSUED_SECRET), "{shown}");
}

const OLDER: &str = "aws/creds/my-role/olderolderolderolder0000";

#[test]
fn generating_again_keeps_the_older_lease_and_quitting_revokes_both() {
    let mut app = app();
    issue_lease(&mut app, OLDER, Duration::from_secs(3600));
    issue(&mut app, Duration::from_secs(3600));
    assert_eq!(app.leases.len(), 2);
    assert_eq!(app.revocable_leases(), 2);
    assert_eq!(app.current_lease().unwrap().lease_id, LEASE);

    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit));
    let effects = press(&mut app, KeyCode::Char('r'));
    let mut ids = revoke_ids(&effects);
    ids.sort();
    assert_eq!(ids, [LEASE, OLDER]);
    revoked_sync(&mut app, OLDER, true, no_content(204));
    assert!(!app.should_quit(), "waits for the other revocation");
    revoked_sync(&mut app, LEASE, true, no_content(204));
    assert!(app.should_quit());
    assert_eq!(app.exit_note(), None, "nothing left behind");
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

#[test]
fn earlier_leases_are_looked_up_failed_revocations_retried_and_one_key_revokes_the_rest() {
    let (mut app, effects) = init(StartInputs {
        journal: Some(JournalStart {
            path: JOURNAL.into(),
            leftovers: vec![
                entry("aws/creds/my-role/alive", Lifecycle::Active),
                entry("aws/creds/my-role/gone", Lifecycle::Active),
                entry(
                    "aws/creds/my-role/failed",
                    Lifecycle::RevokeFailed {
                        at: at(-60),
                        error: "connection refused".into(),
                    },
                ),
            ],
            other_runs: 1,
        }),
        ..inputs()
    });
    app.connection.mode = Mode::Live;
    assert_eq!(
        revoke_ids(&effects),
        ["aws/creds/my-role/failed"],
        "retried at start"
    );
    let notice = app.notice.clone().unwrap();
    assert!(notice.contains("left 3 lease(s) open"), "{notice}");
    assert!(
        notice.contains("Another vaultlab running against this Vault holds 1 more"),
        "{notice}"
    );
    assert_eq!(
        lookup_ids(&effects),
        [
            ("aws/creds/my-role/alive", 1),
            ("aws/creds/my-role/gone", 1)
        ]
    );
    assert_eq!(app.leases.checking(), 2);
    assert!(app.leases.iter().all(|l| l.origin == Origin::EarlierRun));

    looked_up(
        &mut app,
        "aws/creds/my-role/alive",
        1,
        lookup_answer("aws/creds/my-role/alive", 600),
    );
    assert_eq!(app.overlay, None, "asks once every lookup is answered");
    let effects = looked_up(&mut app, "aws/creds/my-role/gone", 1, unknown_lease());
    assert!(matches!(
        app.leases.get("aws/creds/my-role/gone").unwrap().state,
        Lifecycle::Gone { .. }
    ));
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, "aws/creds/my-role/gone", |s| matches!(s, Lifecycle::Gone { .. }))),
        "closed in the journal: {effects:?}"
    );
    assert_eq!(app.overlay, Some(Overlay::EarlierLeases));
    assert_eq!(
        app.leases
            .get("aws/creds/my-role/alive")
            .unwrap()
            .label(app.now),
        "10:00",
        "the countdown is Vault's"
    );

    // Keys this run issued meanwhile are not the prompt's business.
    issue(&mut app, Duration::from_secs(3600));
    let effects = press(&mut app, KeyCode::Char('r'));
    assert_eq!(revoke_ids(&effects), ["aws/creds/my-role/alive"]);
    assert!(
        vault_calls(&effects)
            .iter()
            .all(|c| matches!(c.purpose, Purpose::Revoke { sync: true, .. })),
        "no proof follows, so Vault must finish before the journal closes it"
    );
    assert_eq!(app.overlay, None);
    let effects = revoked_sync(&mut app, "aws/creds/my-role/alive", true, no_content(204));
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, "aws/creds/my-role/alive", |s| matches!(s, Lifecycle::Revoked { .. }))),
        "{effects:?}"
    );
    let effects = revoked_sync(&mut app, "aws/creds/my-role/failed", true, no_content(204));
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, "aws/creds/my-role/failed", |s| matches!(s, Lifecycle::Revoked { .. }))),
        "a revocation retried at start closes its entry: {effects:?}"
    );
    assert_eq!(app.revocable_leases(), 1, "this run's lease is left alone");
    assert!(app.active_lease().is_some());
}

#[test]
fn the_leases_pane_is_one_key_from_every_pane_and_in_the_help() {
    let mut app = app();
    let panes: Vec<Pane> = Pane::all(app.steps.len())
        .filter(|p| *p != Pane::Leases)
        .collect();
    for pane in panes {
        app.pane = pane;
        press(&mut app, KeyCode::Char('l'));
        assert_eq!(app.pane, Pane::Leases, "from pane {pane:?}");
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.pane, pane, "back to pane {pane:?}");
    }
    let keys: Vec<_> = super::keymap::pane_bindings(&app)
        .iter()
        .map(|b| (b.keys.clone(), b.description.clone()))
        .collect();
    assert!(
        keys.contains(&("l".to_owned(), "leases".to_owned())),
        "{keys:?}"
    );
}

#[test]
fn the_leases_pane_renews_by_the_chosen_increment_and_shows_the_cap() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(120));
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.renew_increment(), Duration::from_secs(3600));
    press(&mut app, KeyCode::Char('-'));
    assert_eq!(app.renew_increment(), Duration::from_secs(900));
    let effects = press(&mut app, KeyCode::Char('r'));
    let [renew] = vault_calls(&effects)[..] else {
        panic!("{effects:?}");
    };
    assert!(
        matches!(&renew.purpose, Purpose::Renew { lease_id, asked: Some(i) }
            if lease_id == LEASE && *i == Duration::from_secs(900)),
        "{effects:?}"
    );
    assert_eq!(
        renew.request.describe().body_redacted,
        Some(json!({"lease_id": LEASE, "increment": 900}))
    );
    assert!(app.current_lease().unwrap().renewing);
    update(&mut app, Msg::Tick(at(10)));
    renewed(
        &mut app,
        LEASE,
        Some(Duration::from_secs(900)),
        290,
        "TTL of \"15m\" exceeded the effective max_ttl of \"4m50s\"; TTL value is capped accordingly",
    );
    let lease = app.current_lease().unwrap();
    assert!(!lease.renewing);
    assert_eq!(lease.label(app.now), "4:50");
    assert!(lease.last_renewal.as_ref().unwrap().capped());
    assert!(
        app.notice
            .as_deref()
            .unwrap()
            .contains("granted 4m50s of the 15m asked: capped by the max TTL"),
        "{:?}",
        app.notice
    );
}

#[test]
fn x_revokes_the_selected_lease_and_a_failure_keeps_vaults_words() {
    let mut app = journaled_app();
    issue_lease(&mut app, OLDER, Duration::from_secs(3600));
    issue(&mut app, Duration::from_secs(3600));
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.selected_lease().unwrap().lease_id, OLDER);
    let effects = press(&mut app, KeyCode::Char('x'));
    assert_eq!(revoke_ids(&effects), [OLDER]);
    assert_eq!(
        app.steps[REVOKE].status,
        StepStatus::Pending,
        "not the current keys"
    );
    let effects = revoked_sync(
        &mut app,
        OLDER,
        true,
        refused("error sending request: connection refused"),
    );
    let older = app.leases.get(OLDER).unwrap();
    assert!(matches!(older.state, Lifecycle::RevokeFailed { .. }));
    assert_eq!(
        older.problem(),
        Some("error sending request: connection refused")
    );
    assert!(older.is_revocable(app.now), "it may still be alive");
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, OLDER, |s| matches!(s, Lifecycle::RevokeFailed { error, .. } if error.contains("connection refused")))),
        "kept open in the journal with Vault's words: {effects:?}"
    );
    assert!(
        app.notice
            .as_deref()
            .unwrap()
            .contains("kept in the journal")
    );

    // The current lease from the pane goes through step 6 and its proof.
    press(&mut app, KeyCode::Down);
    let effects = press(&mut app, KeyCode::Char('x'));
    assert_eq!(revoke_ids(&effects), [LEASE]);
    assert_eq!(app.steps[REVOKE].status, StepStatus::Running);
    let effects = revoked(&mut app, LEASE, no_content(202));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Engine(EngineCall::ProveRevoked { .. })]
    ));
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

#[test]
fn a_revocation_the_room_holds_leaves_the_lease_alive_in_the_servers_words() {
    let mut app = journaled_app();
    issue_lease(&mut app, OLDER, Duration::from_secs(3600));
    issue(&mut app, Duration::from_secs(3600));
    press(&mut app, KeyCode::Char('l'));
    press(&mut app, KeyCode::Char('x'));
    let effects = revoked_sync(&mut app, OLDER, true, held_by_the_room());
    assert!(effects.is_empty(), "nothing journaled: {effects:?}");
    assert_eq!(app.leases.get(OLDER).unwrap().state, Lifecycle::Active);
    let said = "Not revoked: the facilitator holds the room at step 5; step 6 (revoke the lease) opens when they say so.";
    assert_eq!(app.notice.as_deref(), Some(said));

    // The current lease: step 6 is as it was, not failed.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(app.steps[REVOKE].status, StepStatus::Running);
    let effects = revoked(&mut app, LEASE, held_by_the_room());
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(app.steps[REVOKE].status, StepStatus::Pending);
    assert_eq!(app.current_lease().unwrap().state, Lifecycle::Active);
    assert_eq!(app.notice.as_deref(), Some(said));
}

#[test]
fn sigterm_asks_like_q_and_a_second_one_keeps_the_leases() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    update(&mut app, Msg::Signal(StopSignal::Terminate));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit));
    assert!(!app.should_quit());
    let (effects, _) = update(&mut app, Msg::Signal(StopSignal::Terminate));
    assert!(
        matches!(effects.as_slice(), [Effect::Quit]),
        "nothing revoked: {effects:?}"
    );
    assert!(app.should_quit());
    let note = app.exit_note().unwrap();
    assert!(note.contains("stopped by SIGTERM"), "{note}");
    assert!(
        note.contains(&format!("kept in the journal {JOURNAL}")),
        "{note}"
    );
}

#[test]
fn sighup_keeps_the_leases_and_leaves_at_once() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    update(&mut app, Msg::Signal(StopSignal::Hangup));
    assert!(app.should_quit());
    assert_eq!(app.current_lease().unwrap().state, Lifecycle::Active);
}

#[test]
fn sigterm_without_leases_quits_at_once() {
    let mut app = app();
    update(&mut app, Msg::Signal(StopSignal::Terminate));
    assert!(app.should_quit());
}

#[test]
fn an_expired_lease_is_looked_up_until_vault_has_forgotten_it() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(60));
    assert!(update(&mut app, Msg::Tick(at(59))).0.is_empty());
    let effects = update(&mut app, Msg::Tick(at(60))).0;
    assert_eq!(lookup_ids(&effects), [(LEASE, 1)], "{effects:?}");
    assert!(
        update(&mut app, Msg::Tick(at(61))).0.is_empty(),
        "asked once"
    );
    // Vault still holds it a moment after its time: ask again.
    let effects = looked_up(&mut app, LEASE, 1, lookup_answer(LEASE, 0));
    assert_eq!(lookup_ids(&effects), [(LEASE, 2)]);
    assert_eq!(app.current_lease().unwrap().label(app.now), "expired");
    let effects = looked_up(&mut app, LEASE, 2, unknown_lease());
    assert_eq!(app.current_lease().unwrap().label(app.now), "expired");
    assert_eq!(app.revocable_leases(), 0);
    assert!(
        matches!(effects.as_slice(), [e] if is_journal_mark(e, LEASE, |s| matches!(s, Lifecycle::Gone { .. }))),
        "{effects:?}"
    );
}

#[test]
fn a_late_lookup_does_not_bring_a_revoked_lease_back() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(60));
    update(&mut app, Msg::Tick(at(60)));
    revoked(&mut app, LEASE, no_content(202));
    looked_up(&mut app, LEASE, 1, lookup_answer(LEASE, 600));
    assert!(matches!(
        app.current_lease().unwrap().state,
        Lifecycle::RevokeQueued { .. }
    ));
}

#[test]
fn a_stop_signal_while_credentials_are_issued_waits_for_them_and_keeps_the_lease() {
    for signals in [
        &[StopSignal::Hangup][..],
        &[StopSignal::Terminate, StopSignal::Terminate][..],
    ] {
        let mut app = journaled_app();
        go_to(&mut app, GENERATE);
        press(&mut app, KeyCode::Enter);
        for signal in signals {
            update(&mut app, Msg::Signal(*signal));
        }
        assert!(
            !app.should_quit(),
            "{signals:?}: the lease may not be journaled yet"
        );
        let effects = issue_answer(&mut app, LEASE, Duration::from_secs(3600));
        assert!(
            !app.should_quit(),
            "{signals:?}: not before the journal has it"
        );
        let [Effect::Journal(change)] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        let effects = outcome(
            &mut app,
            Outcome::Journaled {
                change: change.clone(),
                result: Ok(()),
            },
        );
        assert!(app.should_quit(), "{signals:?}: leaves once it is issued");
        assert!(matches!(effects.as_slice(), [Effect::Quit]), "{effects:?}");
        assert_eq!(app.current_lease().unwrap().state, Lifecycle::Active);
        let note = app.exit_note().unwrap();
        assert!(
            note.contains("1 lease(s) that may still be alive are kept in the journal"),
            "{note}"
        );
    }
}

#[test]
fn sighup_while_revoking_waits_for_the_answer() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    update(&mut app, Msg::Signal(StopSignal::Hangup));
    assert!(!app.should_quit(), "the revocation is on its way");
    let effects = revoked(&mut app, LEASE, no_content(202));
    assert!(!app.should_quit(), "Vault only queued it");
    assert_eq!(
        revoke_ids(&effects),
        [LEASE],
        "no proof once leaving: Vault is asked to finish it: {effects:?}"
    );
    let effects = revoked_sync(&mut app, LEASE, true, no_content(204));
    assert!(app.should_quit());
    assert!(matches!(effects.as_slice(), [Effect::Quit]), "{effects:?}");
    assert_eq!(
        app.exit_note().unwrap(),
        "stopped by SIGHUP (the terminal closed); no lease was left alive."
    );
}

#[test]
fn quitting_while_a_revocation_is_on_its_way_asks_and_the_note_counts_it() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.revocable_leases(), 0);
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit), "not at once");
    assert!(!app.should_quit());

    // r waits for the revocation already on its way.
    let effects = press(&mut app, KeyCode::Char('r'));
    assert!(effects.is_empty(), "not asked twice: {effects:?}");
    assert!(!app.should_quit());
    // Queued, it is asked again, waiting for Vault to finish it.
    let effects = revoked(&mut app, LEASE, no_content(202));
    assert_eq!(revoke_ids(&effects), [LEASE]);
    assert!(!app.should_quit());
    revoked_sync(&mut app, LEASE, true, no_content(204));
    assert!(app.should_quit());
    assert_eq!(app.exit_note(), None);

    // k leaves at once, and the note does not claim the lease is dead.
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, REVOKE);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('q'));
    press(&mut app, KeyCode::Char('k'));
    assert!(app.should_quit());
    let note = app.exit_note().unwrap();
    assert!(
        note.contains("1 lease(s) that may still be alive are kept in the journal"),
        "{note}"
    );
}

#[test]
fn a_journal_change_that_failed_shows_and_the_exit_note_does_not_vouch_for_the_journal() {
    let mut app = journaled_app();
    issue(&mut app, Duration::from_secs(3600));
    outcome(
        &mut app,
        Outcome::Journaled {
            change: JournalChange::Mark {
                lease_id: LEASE.into(),
                state: Lifecycle::Gone { at: at(1) },
            },
            result: Err(
                "cannot read the lease journal /data/vaultlab/leases/x.json: stream did not contain valid UTF-8".into(),
            ),
        },
    );
    assert!(
        app.notice.as_deref().unwrap().contains("valid UTF-8"),
        "{:?}",
        app.notice
    );
    update(&mut app, Msg::Signal(StopSignal::Hangup));
    let note = app.exit_note().unwrap();
    assert!(note.contains("may not list them all"), "{note}");
    assert!(!note.contains("are kept in the journal"), "{note}");
}

#[test]
fn without_a_journal_nothing_is_journaled() {
    let mut app = app();
    go_to(&mut app, GENERATE);
    press(&mut app, KeyCode::Enter);
    let effects = issue_answer(&mut app, LEASE, Duration::from_secs(3600));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Engine(EngineCall::Identify { .. })]
        ),
        "the sandbox's leases end with it: {effects:?}"
    );
    assert!(app.creds.is_some());
}

#[test]
fn a_denied_action_teaches_least_privilege_in_the_labs_words() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, TEST);
    press(&mut app, KeyCode::Enter);
    let denied = Refusal {
        denied: true,
        ..aws_refusal("UnauthorizedOperation", Retry::No)
    };
    probed(&mut app, 1, Err(denied));
    let StepStatus::Failed(failure) = &app.steps[TEST].status else {
        panic!("failed");
    };
    assert!(failure.hint.contains("least privilege"), "{failure:?}");
    assert_eq!(
        failure.what,
        "AWS refused DescribeInstances: UnauthorizedOperation"
    );
}

#[test]
fn the_help_and_the_status_bar_read_the_labs_words() {
    let mut app = app();
    go_to(&mut app, GENERATE);
    let keys: Vec<(String, String)> = super::keymap::pane_bindings(&app)
        .into_iter()
        .map(|b| (b.keys, b.description))
        .collect();
    assert_eq!(
        keys[0],
        ("Enter".to_owned(), "generate credentials".to_owned())
    );
    assert!(
        keys.contains(&("s".to_owned(), "short leases (2m, max 5m)".to_owned())),
        "{keys:?}"
    );
    go_to(&mut app, POLICY);
    let keys: Vec<String> = super::keymap::pane_bindings(&app)
        .into_iter()
        .map(|b| b.description)
        .collect();
    assert!(
        keys.contains(&"next policy template".to_owned()),
        "{keys:?}"
    );
}
