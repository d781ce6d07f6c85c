//! Whole-app snapshots: build the app, feed it messages, draw it into a TestBackend.
//! Lease ids are redacted by a filter; secrets are checked to be absent, never stored.

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;
use vaultlab::app::msg::{
    AwsRefusal, CallerIdentity, Exchange, Failure, IssuedCreds, LabStatus, Msg, Outcome,
};
use vaultlab::app::msg::{LeaseFacts, LookupFailure};
use vaultlab::app::state::{App, Connection, EnvVar, Mode, PrefilledKeys};
use vaultlab::app::{init, update};
use vaultlab::lab::{DEFAULT_LAB, StepKind, load_embedded};
use vaultlab::lease::journal::{Entry, EntryState};
use vaultlab::ui::{Theme, draw};

const ROOT_SECRET: &str = "rootSECRETrootSECRETrootSECRETrootSECRET";
const LEASE: &str = "aws/creds/my-role/Q3vJ8ZkT0bW1xY2zA4cD5eF6";
const TOKEN: &str = "hvs.sandboxTOKENsandboxTOKEN1";
const ISSUED_SECRET: &str = "issuedSECRETissuedSECRETissuedSECRET0000";

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_763_900_000 + secs, 0).unwrap()
}

fn app(mode: Mode) -> App {
    init(
        load_embedded(DEFAULT_LAB).unwrap(),
        Connection {
            mode,
            vault_addr: "http://127.0.0.1:8200".into(),
            namespace: None,
            engine_aws_endpoint: None,
        },
        Some(PrefilledKeys {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: SecretString::from(ROOT_SECRET),
            region: "us-east-1".into(),
            source: "the sandbox".into(),
        }),
        at(0),
    )
    .0
}

fn press(app: &mut App, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn go_to(app: &mut App, kind: StepKind) {
    app.pane = App::step_index(kind) + 1;
}

fn exchange(curl: &str, response: &str) -> Exchange {
    Exchange {
        curl: curl.into(),
        response: response.into(),
    }
}

fn issue(app: &mut App) {
    update(
        app,
        Msg::Outcome(Outcome::CredsIssued(Ok((
            IssuedCreds {
                lease_id: LEASE.into(),
                lease_duration: Duration::from_secs(2_764_800),
                renewable: true,
                access_key_id: "AKIA5EXAMPLEISSUED01".into(),
                secret_access_key: SecretString::from(ISSUED_SECRET),
                iam_user: Some("vault-root-my-role-1763900000-abcdefghij0123456789".into()),
            },
            exchange(
                "curl --header \"X-Vault-Token: $VAULT_TOKEN\" http://127.0.0.1:8200/v1/aws/creds/my-role",
                "{\"lease_id\":\"aws/creds/my-role/Q3vJ8ZkT0bW1xY2zA4cD5eF6\",\"data\":{\"secret_key\":\"****\"}}",
            ),
        )))),
    );
}

/// The screen as text, one line per row.
fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| draw(frame, app, &Theme::plain()))
        .unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let line: String = (0..width)
            .map(|x| buffer[(x, y)].symbol().to_owned())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    assert!(
        !out.contains(ROOT_SECRET),
        "the root secret key is on screen"
    );
    out
}

fn snapshot(name: &str, app: &App) {
    let text = screen(app, 100, 30);
    insta::with_settings!({filters => vec![(r"aws/creds/my-role/[A-Za-z0-9]{24}", "aws/creds/my-role/########################")]}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn overview_in_sandbox_mode_offers_the_second_terminals_environment() {
    let mut app = app(Mode::Sandbox);
    app.cli_env = vec![
        EnvVar {
            name: "VAULT_ADDR".into(),
            value: SecretString::from("http://127.0.0.1:8200"),
            secret: false,
        },
        EnvVar {
            name: "VAULT_TOKEN".into(),
            value: SecretString::from(TOKEN),
            secret: true,
        },
    ];
    assert!(
        !screen(&app, 100, 30).contains(TOKEN),
        "the token is masked"
    );
    snapshot("overview_sandbox", &app);
    press(&mut app, KeyCode::Char('v'));
    assert!(screen(&app, 100, 30).contains(TOKEN), "v shows it");
}

#[test]
fn overview_in_live_mode_with_steps_done_elsewhere() {
    let mut app = app(Mode::Live);
    let status = LabStatus {
        engine_enabled: true,
        root_configured: true,
        role_written: false,
    };
    update(&mut app, Msg::Outcome(Outcome::Status(Ok(status))));
    snapshot("overview_live_partly_done", &app);
}

#[test]
fn enable_pane_done() {
    let mut app = app(Mode::Sandbox);
    go_to(&mut app, StepKind::EnableEngine);
    update(
        &mut app,
        Msg::Outcome(Outcome::EngineEnabled(Ok(exchange(
            "curl --header \"X-Vault-Token: $VAULT_TOKEN\" --request POST --data '{\"type\":\"aws\"}' http://127.0.0.1:8200/v1/sys/mounts/aws",
            "204 No Content",
        )))),
    );
    snapshot("enable_done", &app);
}

#[test]
fn enable_pane_failed_shows_what_why_and_what_next() {
    let mut app = app(Mode::Live);
    go_to(&mut app, StepKind::EnableEngine);
    update(
        &mut app,
        Msg::Outcome(Outcome::EngineEnabled(Err(Failure {
            what: "This server has no AWS secrets engine".into(),
            detail: "plugin not found in the catalog: aws".into(),
            hint: "OpenBao ships without it: run vaultlab in sandbox mode, or use a Vault server."
                .into(),
        }))),
    );
    snapshot("enable_failed", &app);
}

#[test]
fn root_keys_masked_with_the_account_root_warning() {
    let mut app = app(Mode::Sandbox);
    go_to(&mut app, StepKind::RootKeys);
    press(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::Outcome(Outcome::RootKeysChecked(Ok(CallerIdentity {
            account: "123456789012".into(),
            arn: "arn:aws:iam::123456789012:root".into(),
            user_id: "123456789012".into(),
        }))),
    );
    snapshot("root_keys_account_root", &app);
}

#[test]
fn policy_editor_points_at_a_json_error() {
    let mut app = app(Mode::Sandbox);
    go_to(&mut app, StepKind::RolePolicy);
    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::End);
    press(&mut app, KeyCode::Backspace);
    snapshot("policy_json_error", &app);
}

#[test]
fn policy_editor_with_the_labs_policy() {
    let mut app = app(Mode::Sandbox);
    go_to(&mut app, StepKind::RolePolicy);
    snapshot("policy_lab", &app);
}

#[test]
fn generated_credentials_are_masked_until_revealed() {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    update(&mut app, Msg::Tick(at(2)));
    go_to(&mut app, StepKind::Generate);
    let masked = screen(&app, 100, 30);
    assert!(!masked.contains(ISSUED_SECRET));
    assert!(masked.contains("31d 23:59:58"), "{masked}");
    snapshot("generate_masked", &app);
    press(&mut app, KeyCode::Char('v'));
    assert!(screen(&app, 100, 30).contains(ISSUED_SECRET));
}

#[test]
fn test_pane_waiting_for_propagation() {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    go_to(&mut app, StepKind::TestKeys);
    press(&mut app, KeyCode::Enter);
    update(&mut app, Msg::Tick(at(2)));
    update(
        &mut app,
        Msg::Outcome(Outcome::Described {
            lease_id: LEASE.into(),
            attempt: 3,
            result: Err(AwsRefusal {
                code: "AuthFailure".into(),
                message: "AWS was not able to validate the provided access credentials".into(),
                retryable: true,
            }),
        }),
    );
    snapshot("test_waiting", &app);
}

#[test]
fn test_pane_with_the_answer() {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    go_to(&mut app, StepKind::TestKeys);
    press(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::Outcome(Outcome::Described {
            lease_id: LEASE.into(),
            attempt: 1,
            result: Ok(exchange(
                "AWS_ACCESS_KEY_ID=AKIA5EXAMPLEISSUED01 aws ec2 describe-instances",
                "{\n  \"Reservations\": []\n}",
            )),
        }),
    );
    snapshot("test_ok", &app);
}

#[test]
fn revoke_pane_with_the_proof() {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    go_to(&mut app, StepKind::Revoke);
    press(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::Outcome(Outcome::Revoked {
            lease_id: LEASE.into(),
            result: Ok(exchange("curl … sys/leases/revoke", "202 Accepted")),
        }),
    );
    update(
        &mut app,
        Msg::Outcome(Outcome::RevocationChecked {
            lease_id: LEASE.into(),
            attempt: 2,
            refused_with: Some("AuthFailure".into()),
            user_gone: true,
            exchange: exchange("aws ec2 describe-instances", "AuthFailure"),
        }),
    );
    snapshot("revoke_proved", &app);
}

#[test]
fn help_overlay_lists_the_panes_keys() {
    let mut app = app(Mode::Sandbox);
    go_to(&mut app, StepKind::RolePolicy);
    press(&mut app, KeyCode::Char('?'));
    snapshot("help_policy", &app);
}

#[test]
fn quit_prompt_when_a_lease_is_active() {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    press(&mut app, KeyCode::Char('q'));
    snapshot("quit_prompt", &app);
}

#[test]
fn fits_80_by_24() {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    go_to(&mut app, StepKind::Generate);
    let text = screen(&app, 80, 24);
    assert!(text.contains("access_key"), "{text}");
    assert!(text.contains("SANDBOX"), "{text}");
    insta::with_settings!({filters => vec![(r"aws/creds/my-role/[A-Za-z0-9]{24}", "aws/creds/my-role/########################")]}, {
        insta::assert_snapshot!("generate_80x24", text);
    });
}

#[test]
fn nothing_panics_at_any_size() {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    press(&mut app, KeyCode::Char('?'));
    for pane in 0..8 {
        app.pane = pane;
        for (width, height) in [
            (1, 1),
            (2, 3),
            (10, 4),
            (20, 8),
            (40, 10),
            (79, 23),
            (200, 60),
            (300, 5),
        ] {
            screen(&app, width, height);
        }
    }
}

#[test]
fn finish_pane_after_all_six_steps() {
    let mut app = app(Mode::Sandbox);
    for step in app.steps.iter_mut() {
        step.status = vaultlab::app::state::StepStatus::Done;
    }
    app.pane = 7;
    let text = screen(&app, 100, 30);
    assert!(text.contains("All six steps done."), "{text}");
    snapshot("finish_all_done", &app);
}

/// An earlier run's lease id: 24 characters after the role, like Vault's.
fn earlier_id(tail: &str) -> String {
    format!("aws/creds/my-role/{tail:X>24}")
}

/// Earlier runs left three leases: one alive, one Vault forgot, one whose revocation
/// failed (retried at start, failing again).
fn with_earlier_leases(app: &mut App) {
    app.connection.mode = Mode::Live;
    let entry = |tail: &str, state| Entry {
        lease_id: earlier_id(tail),
        mount: "aws".into(),
        role: "my-role".into(),
        issued_at: at(-3600),
        ttl_seconds: 7200,
        expires_at: Some(at(3600)),
        state,
    };
    update(
        app,
        Msg::Outcome(Outcome::JournalRead {
            path: Some(
                "/home/learner/.local/share/vaultlab/leases/http___127.0.0.1_8200.json".into(),
            ),
            open: vec![
                entry("alive", EntryState::Active),
                entry("gone", EntryState::Active),
                entry(
                    "fail",
                    EntryState::RevokeFailed {
                        at: at(-60),
                        error: "connection refused".into(),
                    },
                ),
            ],
        }),
    );
    update(
        app,
        Msg::Outcome(Outcome::Revoked {
            lease_id: earlier_id("fail"),
            result: Err(Failure {
                what: "Vault did not revoke the lease".into(),
                detail: "error sending request for url (http://127.0.0.1:8200/v1/sys/leases/revoke): connection refused".into(),
                hint: "Is Vault running?".into(),
            }),
        }),
    );
    update(
        app,
        Msg::Outcome(Outcome::LookedUp {
            lease_id: earlier_id("alive"),
            attempt: 1,
            result: Ok(LeaseFacts {
                ttl: Duration::from_secs(3000),
                renewable: true,
            }),
        }),
    );
    update(
        app,
        Msg::Outcome(Outcome::LookedUp {
            lease_id: earlier_id("gone"),
            attempt: 1,
            result: Err(LookupFailure::Gone),
        }),
    );
}

#[test]
fn earlier_runs_leases_alive_are_offered_for_revocation_at_start() {
    let mut app = app(Mode::Live);
    with_earlier_leases(&mut app);
    snapshot("earlier_leases_prompt", &app);
}

#[test]
fn leases_pane_lists_every_lease_with_its_state_and_a_capped_renewal() {
    let mut app = app(Mode::Live);
    with_earlier_leases(&mut app);
    press(&mut app, KeyCode::Esc);
    issue(&mut app);
    press(&mut app, KeyCode::Char('l'));
    // The newest lease, renewed by 15m under a 5m max TTL.
    for _ in 0..3 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Char('-'));
    press(&mut app, KeyCode::Char('r'));
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
    snapshot("leases_pane", &app);
}
