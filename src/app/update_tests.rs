//! `update` driven by messages alone: no terminal, no network, no clock.

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::{ExposeSecret, SecretString};

use super::effect::Effect;
use super::msg::{
    AwsRefusal, CallerIdentity, Exchange, Failure, IssuedCreds, LabStatus, Msg, Outcome,
};
use super::state::{App, Connection, KeyField, Mode, Overlay, PrefilledKeys, StepStatus};
use super::{init, update};
use crate::lab::{DEFAULT_LAB, StepKind, load_embedded};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const LEASE: &str = "aws/creds/my-role/abcdefghijklmnopqrstuvwx";
const ISSUED_SECRET: &str = "issuedSECRETissuedSECRETissuedSECRET0000";

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_763_900_000 + secs, 0).unwrap()
}

fn app() -> App {
    let (app, effects) = init(
        load_embedded(DEFAULT_LAB).unwrap(),
        Connection {
            mode: Mode::Sandbox,
            vault_addr: "http://127.0.0.1:8200".into(),
            namespace: None,
            engine_aws_endpoint: None,
        },
        Some(PrefilledKeys {
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: SecretString::from(SECRET),
            region: "us-east-1".into(),
            source: "the sandbox".into(),
        }),
        at(0),
    );
    assert!(matches!(
        effects.as_slice(),
        [Effect::RefreshStatus { mount, role }, Effect::RunDoctor { keys: Some(_), .. }]
            if mount == "aws" && role == "my-role"
    ));
    app
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, key(code))
}

fn go_to(app: &mut App, kind: StepKind) {
    app.pane = App::step_index(kind) + 1;
}

fn exchange() -> Exchange {
    Exchange {
        curl: "curl …".into(),
        response: "{}".into(),
    }
}

fn issue(app: &mut App, ttl: Duration) {
    update(
        app,
        Msg::Outcome(Outcome::CredsIssued(Ok((
            IssuedCreds {
                lease_id: LEASE.into(),
                lease_duration: ttl,
                renewable: true,
                access_key_id: "AKIAISSUED".into(),
                secret_access_key: SecretString::from(ISSUED_SECRET),
                iam_user: Some("vault-root-my-role-1763900000-abcdefghij0123456789".into()),
            },
            exchange(),
        )))),
    );
}

#[test]
fn n_and_p_move_between_panes_and_stop_at_the_ends() {
    let mut app = app();
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.pane, 0);
    for _ in 0..20 {
        press(&mut app, KeyCode::Right);
    }
    assert_eq!(app.pane, 7);
    press(&mut app, KeyCode::Left);
    assert_eq!(app.pane, 6);
}

#[test]
fn moving_between_panes_rereads_the_state_from_vault() {
    let mut app = app();
    let effects = press(&mut app, KeyCode::Char('n'));
    assert!(matches!(effects.as_slice(), [Effect::RefreshStatus { .. }]));
}

#[test]
fn enter_enables_the_engine_and_its_outcome_marks_the_step() {
    let mut app = app();
    go_to(&mut app, StepKind::EnableEngine);
    let effects = press(&mut app, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::EnableEngine { mount }] if mount == "aws"));
    assert_eq!(app.step(StepKind::EnableEngine).status, StepStatus::Running);
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "no second request while running"
    );
    update(
        &mut app,
        Msg::Outcome(Outcome::EngineEnabled(Ok(exchange()))),
    );
    assert_eq!(app.step(StepKind::EnableEngine).status, StepStatus::Done);
}

#[test]
fn steps_done_elsewhere_show_done() {
    let mut app = app();
    let status = LabStatus {
        engine_enabled: true,
        root_configured: true,
        role_written: false,
    };
    update(&mut app, Msg::Outcome(Outcome::Status(Ok(status))));
    assert_eq!(app.step(StepKind::EnableEngine).status, StepStatus::Done);
    assert_eq!(app.step(StepKind::RootKeys).status, StepStatus::Done);
    assert_eq!(app.step(StepKind::RolePolicy).status, StepStatus::Pending);
    assert_eq!(app.steps_done(), 2);
}

#[test]
fn prefilled_root_keys_are_checked_then_written() {
    let mut app = app();
    go_to(&mut app, StepKind::RootKeys);
    let effects = press(&mut app, KeyCode::Enter);
    let [Effect::CheckRootKeys(keys)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(keys.secret_access_key.expose_secret(), SECRET);
    let identity = CallerIdentity {
        account: "123456789012".into(),
        arn: "arn:aws:iam::123456789012:root".into(),
        user_id: "123456789012".into(),
    };
    let effects = update(
        &mut app,
        Msg::Outcome(Outcome::RootKeysChecked(Ok(identity))),
    );
    assert!(
        matches!(effects.as_slice(), [Effect::WriteRootConfig { mount, .. }] if mount == "aws")
    );
    assert!(
        app.root_keys.is_account_root(),
        "warns about the account root user"
    );
}

#[test]
fn keys_typed_while_editing_go_to_the_field_not_to_the_keymap() {
    let mut app = app();
    go_to(&mut app, StepKind::RootKeys);
    press(&mut app, KeyCode::Char('e'));
    assert!(app.editing);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.root_keys.field, KeyField::SecretAccessKey);
    for _ in 0..SECRET.len() {
        press(&mut app, KeyCode::Backspace);
    }
    for c in "qn?".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    assert!(!app.should_quit);
    assert_eq!(
        app.root_keys.secret_access_key.secret().expose_secret(),
        "qn?"
    );
    press(&mut app, KeyCode::Esc);
    assert!(!app.editing);
}

#[test]
fn incomplete_keys_are_refused_with_a_hint() {
    let mut app = app();
    app.root_keys.secret_access_key.clear();
    go_to(&mut app, StepKind::RootKeys);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let StepStatus::Failed(failure) = &app.step(StepKind::RootKeys).status else {
        panic!("refused");
    };
    assert!(failure.hint.contains("Press e"));
}

#[test]
fn the_labs_policy_runs_without_editing_and_a_broken_one_does_not() {
    let mut app = app();
    go_to(&mut app, StepKind::RolePolicy);
    let effects = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::WriteRole { policy_document, .. }] if policy_document.contains("ec2:*"))
    );

    let mut app = self::app();
    go_to(&mut app, StepKind::RolePolicy);
    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Char('x'));
    assert!(
        !app.policy.check.is_usable(),
        "x before the brace is not JSON"
    );
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Down);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(app.editing, "Enter on a broken policy opens the editor");
    assert_eq!(
        app.policy.textarea.cursor(),
        (0, 0),
        "at the error: line 1, column 1"
    );
}

#[test]
fn t_cycles_policy_templates() {
    let mut app = app();
    go_to(&mut app, StepKind::RolePolicy);
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(app.policy.template, 1);
    assert!(app.policy.text().contains("ec2:DescribeInstances"));
    assert!(
        app.notice
            .as_deref()
            .unwrap_or_default()
            .contains("DescribeInstances only")
    );
}

#[test]
fn pasting_goes_into_the_editor_only_while_editing() {
    let mut app = app();
    go_to(&mut app, StepKind::RolePolicy);
    let before = app.policy.text();
    update(&mut app, Msg::Paste("{}".into()));
    assert_eq!(app.policy.text(), before);
    assert!(app.notice.is_some());
    press(&mut app, KeyCode::Char('e'));
    update(&mut app, Msg::Paste("{\"a\":\n1}".into()));
    assert!(app.policy.text().starts_with("{\"a\":\n1}"));
}

#[test]
fn the_lease_counts_down_with_the_clock() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(90));
    assert_eq!(app.step(StepKind::Generate).status, StepStatus::Done);
    assert_eq!(app.creds.as_ref().unwrap().clock.label(app.now), "1:30");
    update(&mut app, Msg::Tick(at(30)));
    assert_eq!(app.creds.as_ref().unwrap().clock.label(app.now), "1:00");
    update(&mut app, Msg::Tick(at(90)));
    assert!(app.active_lease().is_none());
    assert_eq!(app.creds.as_ref().unwrap().clock.label(app.now), "expired");
}

#[test]
fn the_test_retries_while_the_key_propagates_then_succeeds() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, StepKind::TestKeys);
    let effects = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::DescribeInstances { attempt: 1, delay, .. }] if delay.is_zero())
    );
    let not_yet = AwsRefusal {
        code: "AuthFailure".into(),
        message: "AWS was not able to validate the provided access credentials".into(),
        retryable: true,
    };
    let effects = update(
        &mut app,
        Msg::Outcome(Outcome::Described {
            lease_id: LEASE.into(),
            attempt: 1,
            result: Err(not_yet.clone()),
        }),
    );
    assert!(
        matches!(effects.as_slice(), [Effect::DescribeInstances { attempt: 2, delay, .. }] if !delay.is_zero())
    );
    assert_eq!(app.probe.as_ref().unwrap().waiting_because, Some(not_yet));
    update(
        &mut app,
        Msg::Outcome(Outcome::Described {
            lease_id: LEASE.into(),
            attempt: 2,
            result: Ok(exchange()),
        }),
    );
    assert_eq!(app.step(StepKind::TestKeys).status, StepStatus::Done);
    assert!(app.probe.as_ref().unwrap().waiting_because.is_none());
}

#[test]
fn throttling_that_outlasts_the_retries_and_no_answer_say_so() {
    for (code, what, hint) in [
        (
            "RequestLimitExceeded",
            "AWS refused DescribeInstances: RequestLimitExceeded",
            "rate-limiting",
        ),
        (
            "Unreachable",
            "No answer from AWS to DescribeInstances (Unreachable)",
            "endpoint",
        ),
    ] {
        let mut app = app();
        issue(&mut app, Duration::from_secs(3600));
        go_to(&mut app, StepKind::TestKeys);
        press(&mut app, KeyCode::Enter);
        let effects = update(
            &mut app,
            Msg::Outcome(Outcome::Described {
                lease_id: LEASE.into(),
                attempt: super::update::PROBE_ATTEMPTS,
                result: Err(AwsRefusal {
                    code: code.into(),
                    message: "Request limit exceeded.".into(),
                    retryable: code != "Unreachable",
                }),
            }),
        );
        assert!(effects.is_empty(), "{code}: no more attempts");
        let StepStatus::Failed(failure) = &app.step(StepKind::TestKeys).status else {
            panic!("{code}: failed");
        };
        assert_eq!(failure.what, what);
        assert!(failure.hint.contains(hint), "{code}: {}", failure.hint);
        assert!(
            failure.hint.contains("Enter tries again"),
            "{}",
            failure.hint
        );
    }
}

#[test]
fn a_denied_action_explains_least_privilege() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, StepKind::TestKeys);
    press(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::Outcome(Outcome::Described {
            lease_id: LEASE.into(),
            attempt: 1,
            result: Err(AwsRefusal {
                code: "UnauthorizedOperation".into(),
                message: "You are not authorized to perform this operation.".into(),
                retryable: false,
            }),
        }),
    );
    let StepStatus::Failed(failure) = &app.step(StepKind::TestKeys).status else {
        panic!("failed");
    };
    assert!(failure.hint.contains("least privilege"));
}

#[test]
fn revoking_proves_the_keys_dead_before_the_step_is_done() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, StepKind::Revoke);
    let effects = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::RevokeLease { lease_id }] if lease_id.starts_with("aws/creds/my-role/"))
    );
    let effects = update(
        &mut app,
        Msg::Outcome(Outcome::Revoked {
            lease_id: LEASE.into(),
            result: Ok(exchange()),
        }),
    );
    assert!(matches!(
        effects.as_slice(),
        [Effect::ProveRevoked { attempt: 1, .. }]
    ));
    assert_eq!(app.creds.as_ref().unwrap().clock.label(app.now), "revoked");
    let effects = update(
        &mut app,
        Msg::Outcome(Outcome::RevocationChecked {
            lease_id: LEASE.into(),
            attempt: 1,
            refused_with: None,
            user_gone: false,
            exchange: exchange(),
        }),
    );
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::ProveRevoked { attempt: 2, .. }]
        ),
        "keeps checking"
    );
    assert_eq!(app.step(StepKind::Revoke).status, StepStatus::Running);
    update(
        &mut app,
        Msg::Outcome(Outcome::RevocationChecked {
            lease_id: LEASE.into(),
            attempt: 2,
            refused_with: Some("AuthFailure".into()),
            user_gone: true,
            exchange: exchange(),
        }),
    );
    assert_eq!(app.step(StepKind::Revoke).status, StepStatus::Done);
}

#[test]
fn quitting_with_an_active_lease_asks_first() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit));
    assert!(!app.should_quit);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.overlay, None);

    press(&mut app, KeyCode::Char('q'));
    let effects = press(&mut app, KeyCode::Char('r'));
    assert!(matches!(effects.as_slice(), [Effect::RevokeLease { .. }]));
    assert!(!app.should_quit, "waits for the revocation");
    update(
        &mut app,
        Msg::Outcome(Outcome::Revoked {
            lease_id: LEASE.into(),
            result: Ok(exchange()),
        }),
    );
    assert!(app.should_quit);
}

#[test]
fn a_failed_revocation_at_quit_keeps_the_app_open() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    press(&mut app, KeyCode::Char('q'));
    press(&mut app, KeyCode::Char('r'));
    let failure = Failure {
        what: "Vault is unreachable".into(),
        detail: "connection refused".into(),
        hint: "Start Vault".into(),
    };
    update(
        &mut app,
        Msg::Outcome(Outcome::Revoked {
            lease_id: LEASE.into(),
            result: Err(failure),
        }),
    );
    assert!(!app.should_quit);
    assert!(matches!(
        app.step(StepKind::Revoke).status,
        StepStatus::Failed(_)
    ));
}

#[test]
fn quitting_without_leases_is_immediate() {
    let mut app = app();
    press(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit);
}

#[test]
fn help_opens_with_question_mark_and_closes_with_any_key() {
    let mut app = app();
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.overlay, Some(Overlay::Help));
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.overlay, None);
    assert_eq!(app.pane, 0, "the key that closed help did nothing else");
}

#[test]
fn r_renews_and_a_capped_renewal_says_so() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(60));
    let effects = press(&mut app, KeyCode::Char('r'));
    assert!(matches!(effects.as_slice(), [Effect::RenewLease { .. }]));
    update(&mut app, Msg::Tick(at(30)));
    update(
        &mut app,
        Msg::Outcome(Outcome::Renewed { lease_id: LEASE.into(), result: Ok((
            Duration::from_secs(120),
            vec!["TTL of \"1h\" exceeded the effective max_ttl of \"2m\"; TTL value is capped accordingly".into()],
        )) }),
    );
    assert_eq!(app.creds.as_ref().unwrap().clock.label(app.now), "2:00");
    assert!(app.notice.as_deref().unwrap().contains("capped"));
}

#[test]
fn the_issued_secret_is_masked_until_revealed_and_never_debug_printed() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(60));
    go_to(&mut app, StepKind::Generate);
    assert!(!app.creds.as_ref().unwrap().revealed);
    press(&mut app, KeyCode::Char('v'));
    assert!(app.creds.as_ref().unwrap().revealed);
    let debug = format!("{app:?}");
    assert!(!debug.contains(ISSUED_SECRET));
    assert!(!debug.contains(SECRET));
    let effects = press(&mut app, KeyCode::Char('c'));
    let [Effect::CopyToClipboard(snippet)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
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
    go_to(&mut app, StepKind::TestKeys);
    press(&mut app, KeyCode::Enter);
    // New credentials arrive while the old ones are still being tested.
    update(
        &mut app,
        Msg::Outcome(Outcome::CredsIssued(Ok((
            IssuedCreds {
                lease_id: "aws/creds/my-role/NEWNEWNEWNEWNEWNEWNEWNEW".into(),
                lease_duration: Duration::from_secs(3600),
                renewable: true,
                access_key_id: "AKIANEW".into(),
                secret_access_key: SecretString::from("new"),
                iam_user: None,
            },
            exchange(),
        )))),
    );
    let stale = [
        Outcome::Described {
            lease_id: LEASE.into(),
            attempt: 1,
            result: Ok(exchange()),
        },
        Outcome::Revoked {
            lease_id: LEASE.into(),
            result: Ok(exchange()),
        },
        Outcome::RevocationChecked {
            lease_id: LEASE.into(),
            attempt: 1,
            refused_with: Some("AuthFailure".into()),
            user_gone: true,
            exchange: exchange(),
        },
    ];
    for outcome in stale {
        assert!(update(&mut app, Msg::Outcome(outcome)).is_empty());
    }
    assert_eq!(app.step(StepKind::TestKeys).status, StepStatus::Pending);
    assert_eq!(app.step(StepKind::Revoke).status, StepStatus::Pending);
    assert!(
        app.active_lease().is_some(),
        "the new lease is not marked revoked"
    );
}

#[test]
fn enter_on_a_proved_revocation_keeps_it_done() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, StepKind::Revoke);
    press(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::Outcome(Outcome::Revoked {
            lease_id: LEASE.into(),
            result: Ok(exchange()),
        }),
    );
    update(
        &mut app,
        Msg::Outcome(Outcome::RevocationChecked {
            lease_id: LEASE.into(),
            attempt: 1,
            refused_with: Some("AuthFailure".into()),
            user_gone: true,
            exchange: exchange(),
        }),
    );
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.step(StepKind::Revoke).status, StepStatus::Done);
    go_to(&mut app, StepKind::TestKeys);
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "no test of dead keys"
    );
    let StepStatus::Failed(failure) = &app.step(StepKind::TestKeys).status else {
        panic!("refused");
    };
    assert!(failure.hint.contains("Generate new credentials"));
}

#[test]
fn quitting_while_credentials_are_being_issued_waits() {
    let mut app = app();
    go_to(&mut app, StepKind::Generate);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.should_quit);
    assert!(
        app.notice
            .as_deref()
            .unwrap_or_default()
            .contains("being issued")
    );
}

#[test]
fn a_crashed_effect_fails_its_step_so_it_can_run_again() {
    let mut app = app();
    go_to(&mut app, StepKind::EnableEngine);
    let effects = press(&mut app, KeyCode::Enter);
    let step = effects[0].step();
    update(
        &mut app,
        Msg::Outcome(Outcome::Crashed {
            step,
            failure: Failure {
                what: "internal error".into(),
                detail: String::new(),
                hint: String::new(),
            },
        }),
    );
    assert!(matches!(
        app.step(StepKind::EnableEngine).status,
        StepStatus::Failed(_)
    ));
    assert_eq!(press(&mut app, KeyCode::Enter).len(), 1, "it runs again");
}

#[test]
fn the_jump_to_a_json_error_counts_characters_not_bytes() {
    let mut app = app();
    go_to(&mut app, StepKind::RolePolicy);
    press(&mut app, KeyCode::Char('e'));
    // Select all, then type a line with a two-byte character before the mistake.
    app.policy.textarea.select_all();
    app.policy.textarea.cut();
    update(&mut app, Msg::Paste("{\"a\":\"é\" x}".into()));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.policy.textarea.cursor(), (0, 9), "on the x");
}

#[test]
fn s_on_the_generate_pane_asks_for_short_leases() {
    let mut app = app();
    go_to(&mut app, StepKind::Generate);
    let effects = press(&mut app, KeyCode::Char('s'));
    assert!(matches!(
        effects.as_slice(),
        [Effect::WriteLeaseConfig { lease, lease_max, .. }]
            if lease.as_secs() == 120 && lease_max.as_secs() == 300
    ));
    update(
        &mut app,
        Msg::Outcome(Outcome::LeaseConfigWritten(Ok(exchange()))),
    );
    assert!(app.notice.as_deref().unwrap_or_default().contains("2m"));
}
