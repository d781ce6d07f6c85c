//! `update` driven by messages alone: no terminal, no network, no clock.

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::{ExposeSecret, SecretString};

use super::effect::Effect;
use super::msg::{
    AwsRefusal, CallerIdentity, Exchange, Failure, IssuedCreds, LabStatus, Msg, Outcome, StopSignal,
};
use super::msg::{LeaseFacts, LookupFailure};
use super::state::{
    App, Connection, KeyField, LEASES_PANE, Mode, Overlay, PrefilledKeys, StepStatus,
};
use super::{init, update};
use crate::lab::{DEFAULT_LAB, StepKind, load_embedded};
use crate::lease::Lifecycle;
use crate::lease::journal::Entry;
use crate::lease::table::Origin;

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
    issue_lease(app, LEASE, ttl);
}

fn issue_lease(app: &mut App, lease_id: &str, ttl: Duration) {
    update(
        app,
        Msg::Outcome(Outcome::CredsIssued(Ok((
            IssuedCreds {
                lease_id: lease_id.into(),
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
    assert_eq!(app.pane, LEASES_PANE, "the leases pane is last");
    press(&mut app, KeyCode::Left);
    assert_eq!(app.pane, LEASES_PANE - 1);
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
fn t_over_an_edited_policy_asks_before_replacing_it() {
    let mut app = app();
    go_to(&mut app, StepKind::RolePolicy);
    press(&mut app, KeyCode::Char('e'));
    update(&mut app, Msg::Paste(" ".into()));
    press(&mut app, KeyCode::Esc);
    let edited = app.policy.text();

    press(&mut app, KeyCode::Char('t'));
    assert_eq!(app.policy.text(), edited, "the first t only asks");
    assert!(
        app.notice
            .as_deref()
            .unwrap_or_default()
            .contains("t again")
    );
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(app.policy.text(), edited, "another key called it off");

    press(&mut app, KeyCode::Char('t'));
    assert_eq!(app.policy.template, 1, "the second t in a row replaces");
    assert!(app.policy.text().contains("ec2:DescribeInstances"));
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
    assert_eq!(app.current_lease().unwrap().label(app.now), "1:30");
    update(&mut app, Msg::Tick(at(30)));
    assert_eq!(app.current_lease().unwrap().label(app.now), "1:00");
    update(&mut app, Msg::Tick(at(90)));
    assert!(app.active_lease().is_none());
    assert_eq!(app.current_lease().unwrap().label(app.now), "expired");
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
                attempt: super::probe_schedule::PROBE_ATTEMPTS,
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
        matches!(effects.as_slice(), [Effect::RevokeLease { lease_id, sync: false }] if lease_id.starts_with("aws/creds/my-role/"))
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
    assert_eq!(app.current_lease().unwrap().label(app.now), "revoked");
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
    assert!(
        matches!(effects.as_slice(), [Effect::RevokeLease { sync: true, .. }]),
        "on the way out Vault must finish the revocation: no proof will follow"
    );
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
        Msg::Outcome(Outcome::Renewed { lease_id: LEASE.into(), asked: None, result: Ok((
            Duration::from_secs(120),
            vec!["TTL of \"1h\" exceeded the effective max_ttl of \"2m\"; TTL value is capped accordingly".into()],
        )) }),
    );
    assert_eq!(app.current_lease().unwrap().label(app.now), "2:00");
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

fn revoked(app: &mut App, lease_id: &str, result: Result<Exchange, Failure>) -> Vec<Effect> {
    update(
        app,
        Msg::Outcome(Outcome::Revoked {
            lease_id: lease_id.into(),
            result,
        }),
    )
}

fn refused() -> Failure {
    Failure {
        what: "Vault did not revoke the lease".into(),
        detail: "error sending request: connection refused".into(),
        hint: "Is Vault running?".into(),
    }
}

fn revoke_ids(effects: &[Effect]) -> Vec<&str> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::RevokeLease { lease_id, .. } => Some(lease_id.as_str()),
            _ => None,
        })
        .collect()
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
    revoked(&mut app, OLDER, Ok(exchange()));
    assert!(!app.should_quit, "waits for the other revocation");
    revoked(&mut app, LEASE, Ok(exchange()));
    assert!(app.should_quit);
    assert_eq!(app.exit_note(), None, "nothing left behind");
}

#[test]
fn earlier_leases_are_looked_up_failed_revocations_retried_and_one_key_revokes_the_rest() {
    let mut app = app();
    app.connection.mode = Mode::Live;
    let entry = |id: &str, state| Entry {
        lease_id: id.into(),
        mount: "aws".into(),
        role: "my-role".into(),
        issued_at: at(-600),
        ttl_seconds: 3600,
        expires_at: Some(at(3000)),
        state,
        owner: None,
    };
    let effects = update(
        &mut app,
        Msg::Outcome(Outcome::JournalRead {
            path: Some("/data/vaultlab/leases/x.json".into()),
            open: vec![
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
    );
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
    let lookups: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::LookupLease { lease_id, .. } => Some(lease_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        lookups,
        ["aws/creds/my-role/alive", "aws/creds/my-role/gone"]
    );
    assert_eq!(app.leases.checking(), 2);
    assert!(app.leases.iter().all(|l| l.origin == Origin::EarlierRun));

    update(
        &mut app,
        Msg::Outcome(Outcome::LookedUp {
            lease_id: "aws/creds/my-role/alive".into(),
            attempt: 1,
            result: Ok(LeaseFacts {
                ttl: Duration::from_secs(600),
                renewable: true,
            }),
        }),
    );
    assert_eq!(app.overlay, None, "asks once every lookup is answered");
    update(
        &mut app,
        Msg::Outcome(Outcome::LookedUp {
            lease_id: "aws/creds/my-role/gone".into(),
            attempt: 1,
            result: Err(LookupFailure::Gone),
        }),
    );
    assert!(matches!(
        app.leases.get("aws/creds/my-role/gone").unwrap().state,
        Lifecycle::Gone { .. }
    ));
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
        effects
            .iter()
            .all(|e| matches!(e, Effect::RevokeLease { sync: true, .. })),
        "no proof follows, so Vault must finish before the journal closes it"
    );
    assert_eq!(app.overlay, None);
    revoked(&mut app, "aws/creds/my-role/alive", Ok(exchange()));
    revoked(&mut app, "aws/creds/my-role/failed", Ok(exchange()));
    assert_eq!(app.revocable_leases(), 1, "this run's lease is left alone");
    assert!(app.active_lease().is_some());
}

#[test]
fn the_leases_pane_is_one_key_from_every_pane_and_in_the_help() {
    let mut app = app();
    for pane in 0..LEASES_PANE {
        app.pane = pane;
        press(&mut app, KeyCode::Char('l'));
        assert_eq!(app.pane, LEASES_PANE, "from pane {pane}");
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.pane, pane, "back to pane {pane}");
    }
    let keys: Vec<_> = super::keymap::pane_bindings(&app)
        .iter()
        .map(|b| (b.keys, b.description))
        .collect();
    assert!(keys.contains(&("l", "leases")), "{keys:?}");
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
    assert!(
        matches!(effects.as_slice(), [Effect::RenewLease { lease_id, increment: Some(i) }]
            if lease_id == LEASE && *i == Duration::from_secs(900)),
        "{effects:?}"
    );
    assert!(app.current_lease().unwrap().renewing);
    update(&mut app, Msg::Tick(at(10)));
    update(
        &mut app,
        Msg::Outcome(Outcome::Renewed {
            lease_id: LEASE.into(),
            asked: Some(Duration::from_secs(900)),
            result: Ok((
                Duration::from_secs(290),
                vec!["TTL of \"15m\" exceeded the effective max_ttl of \"4m50s\"; TTL value is capped accordingly".into()],
            )),
        }),
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
    let mut app = app();
    issue_lease(&mut app, OLDER, Duration::from_secs(3600));
    issue(&mut app, Duration::from_secs(3600));
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.selected_lease().unwrap().lease_id, OLDER);
    let effects = press(&mut app, KeyCode::Char('x'));
    assert_eq!(revoke_ids(&effects), [OLDER]);
    assert_eq!(
        app.step(StepKind::Revoke).status,
        StepStatus::Pending,
        "not the current keys"
    );
    revoked(&mut app, OLDER, Err(refused()));
    let older = app.leases.get(OLDER).unwrap();
    assert!(matches!(older.state, Lifecycle::RevokeFailed { .. }));
    assert_eq!(
        older.problem(),
        Some("error sending request: connection refused")
    );
    assert!(older.is_revocable(app.now), "it may still be alive");
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
    assert_eq!(app.step(StepKind::Revoke).status, StepStatus::Running);
    let effects = revoked(&mut app, LEASE, Ok(exchange()));
    assert!(matches!(effects.as_slice(), [Effect::ProveRevoked { .. }]));
}

#[test]
fn sigterm_asks_like_q_and_a_second_one_keeps_the_leases() {
    let mut app = app();
    app.journal_path = Some("/data/vaultlab/leases/x.json".into());
    issue(&mut app, Duration::from_secs(3600));
    update(&mut app, Msg::Signal(StopSignal::Terminate));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit));
    assert!(!app.should_quit);
    let effects = update(&mut app, Msg::Signal(StopSignal::Terminate));
    assert!(effects.is_empty(), "nothing revoked");
    assert!(app.should_quit);
    let note = app.exit_note().unwrap();
    assert!(note.contains("stopped by SIGTERM"), "{note}");
    assert!(
        note.contains("kept in the journal /data/vaultlab/leases/x.json"),
        "{note}"
    );
}

#[test]
fn sighup_keeps_the_leases_and_leaves_at_once() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(3600));
    update(&mut app, Msg::Signal(StopSignal::Hangup));
    assert!(app.should_quit);
    assert_eq!(app.current_lease().unwrap().state, Lifecycle::Active);
}

#[test]
fn sigterm_without_leases_quits_at_once() {
    let mut app = app();
    update(&mut app, Msg::Signal(StopSignal::Terminate));
    assert!(app.should_quit);
}

#[test]
fn an_expired_lease_is_looked_up_until_vault_has_forgotten_it() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(60));
    assert!(update(&mut app, Msg::Tick(at(59))).is_empty());
    let effects = update(&mut app, Msg::Tick(at(60)));
    assert!(
        matches!(effects.as_slice(), [Effect::LookupLease { attempt: 1, .. }]),
        "{effects:?}"
    );
    assert!(update(&mut app, Msg::Tick(at(61))).is_empty(), "asked once");
    let look = |attempt, result| {
        Msg::Outcome(Outcome::LookedUp {
            lease_id: LEASE.into(),
            attempt,
            result,
        })
    };
    // Vault still holds it a moment after its time: ask again.
    let effects = update(
        &mut app,
        look(
            1,
            Ok(LeaseFacts {
                ttl: Duration::ZERO,
                renewable: true,
            }),
        ),
    );
    assert!(matches!(
        effects.as_slice(),
        [Effect::LookupLease { attempt: 2, .. }]
    ));
    assert_eq!(app.current_lease().unwrap().label(app.now), "expired");
    update(&mut app, look(2, Err(LookupFailure::Gone)));
    assert_eq!(app.current_lease().unwrap().label(app.now), "gone");
    assert_eq!(app.revocable_leases(), 0);
}

#[test]
fn a_late_lookup_does_not_bring_a_revoked_lease_back() {
    let mut app = app();
    issue(&mut app, Duration::from_secs(60));
    update(&mut app, Msg::Tick(at(60)));
    revoked(&mut app, LEASE, Ok(exchange()));
    update(
        &mut app,
        Msg::Outcome(Outcome::LookedUp {
            lease_id: LEASE.into(),
            attempt: 1,
            result: Ok(LeaseFacts {
                ttl: Duration::from_secs(600),
                renewable: true,
            }),
        }),
    );
    assert!(matches!(
        app.current_lease().unwrap().state,
        Lifecycle::Revoked { .. }
    ));
}

#[test]
fn a_stop_signal_while_credentials_are_issued_waits_for_them_and_keeps_the_lease() {
    for signals in [
        &[StopSignal::Hangup][..],
        &[StopSignal::Terminate, StopSignal::Terminate][..],
    ] {
        let mut app = app();
        app.journal_path = Some("/data/vaultlab/leases/x.json".into());
        go_to(&mut app, StepKind::Generate);
        press(&mut app, KeyCode::Enter);
        for signal in signals {
            update(&mut app, Msg::Signal(*signal));
        }
        assert!(
            !app.should_quit,
            "{signals:?}: the lease may not be journaled yet"
        );
        issue(&mut app, Duration::from_secs(3600));
        assert!(app.should_quit, "{signals:?}: leaves once it is issued");
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
    go_to(&mut app, StepKind::Revoke);
    press(&mut app, KeyCode::Enter);
    update(&mut app, Msg::Signal(StopSignal::Hangup));
    assert!(!app.should_quit, "the revocation is on its way");
    let effects = revoked(&mut app, LEASE, Ok(exchange()));
    assert!(app.should_quit);
    assert!(effects.is_empty(), "no proof once leaving");
    assert_eq!(
        app.exit_note().unwrap(),
        "stopped by SIGHUP (the terminal closed); no lease was left alive."
    );
}

#[test]
fn quitting_while_a_revocation_is_on_its_way_asks_and_the_note_counts_it() {
    let mut app = app();
    app.journal_path = Some("/data/vaultlab/leases/x.json".into());
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, StepKind::Revoke);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.revocable_leases(), 0);
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit), "not at once");
    assert!(!app.should_quit);

    // r waits for the revocation already on its way.
    let effects = press(&mut app, KeyCode::Char('r'));
    assert!(effects.is_empty(), "not asked twice: {effects:?}");
    assert!(!app.should_quit);
    revoked(&mut app, LEASE, Ok(exchange()));
    assert!(app.should_quit);
    assert_eq!(app.exit_note(), None);

    // k leaves at once, and the note does not claim the lease is dead.
    let mut app = self::app();
    app.journal_path = Some("/data/vaultlab/leases/x.json".into());
    issue(&mut app, Duration::from_secs(3600));
    go_to(&mut app, StepKind::Revoke);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('q'));
    press(&mut app, KeyCode::Char('k'));
    assert!(app.should_quit);
    let note = app.exit_note().unwrap();
    assert!(
        note.contains("1 lease(s) that may still be alive are kept in the journal"),
        "{note}"
    );
}

#[test]
fn a_journal_change_that_failed_shows_and_the_exit_note_does_not_vouch_for_the_journal() {
    let mut app = app();
    app.connection.mode = Mode::Live;
    app.journal_path = Some("/data/vaultlab/leases/x.json".into());
    issue(&mut app, Duration::from_secs(3600));
    update(
        &mut app,
        Msg::Outcome(Outcome::JournalFailed(
            "cannot read the lease journal /data/vaultlab/leases/x.json: stream did not contain valid UTF-8".into(),
        )),
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
