//! App states built from messages alone, as a learner reaches them: one builder per
//! representative screen. Shared by the snapshot tests and the render benchmark
//! (`benches/render.rs`), so both draw the same screens.
#![allow(dead_code)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::SecretString;
use vaultlab::app::msg::{
    AwsRefusal, CallerIdentity, Exchange, Failure, IssuedCreds, LabStatus, LeaseFacts,
    LookupFailure, Msg, Outcome,
};
use vaultlab::app::state::{
    App, Connection, EnvVar, Mode, PANE_COUNT, Pane, PrefilledKeys, StepStatus,
};
use vaultlab::app::{init, update};
use vaultlab::lab::{DEFAULT_LAB, StepKind, load_embedded};
use vaultlab::lease::Lifecycle;
use vaultlab::lease::journal::Entry;

pub const ROOT_SECRET: &str = "rootSECRETrootSECRETrootSECRETrootSECRET";
pub const LEASE: &str = "aws/creds/my-role/Q3vJ8ZkT0bW1xY2zA4cD5eF6";
pub const TOKEN: &str = "hvs.sandboxTOKENsandboxTOKEN1";
pub const ISSUED_SECRET: &str = "issuedSECRETissuedSECRETissuedSECRET0000";

pub fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_763_900_000 + secs, 0).unwrap()
}

/// A fresh app, the lab not started, root keys prefilled.
pub fn app(mode: Mode) -> App {
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

pub fn press(app: &mut App, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

pub fn go_to(app: &mut App, kind: StepKind) {
    app.pane = App::step_index(kind) + 1;
}

pub fn exchange(curl: &str, response: &str) -> Exchange {
    Exchange {
        curl: curl.into(),
        response: response.into(),
    }
}

/// Vault's answer to step 4 arrives.
pub fn issue(app: &mut App) {
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

/// The overview in sandbox mode, with the second terminal's environment (token masked).
pub fn overview_sandbox() -> App {
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
    app
}

/// The overview in live mode, the first two steps done with the CLI elsewhere.
pub fn overview_live_partly_done() -> App {
    let mut app = app(Mode::Live);
    let status = LabStatus {
        engine_enabled: true,
        root_configured: true,
        role_written: false,
    };
    update(&mut app, Msg::Outcome(Outcome::Status(Ok(status))));
    app
}

pub fn enable_done() -> App {
    let mut app = app(Mode::Sandbox);
    go_to(&mut app, StepKind::EnableEngine);
    update(
        &mut app,
        Msg::Outcome(Outcome::EngineEnabled(Ok(exchange(
            "curl --header \"X-Vault-Token: $VAULT_TOKEN\" --request POST --data '{\"type\":\"aws\"}' http://127.0.0.1:8200/v1/sys/mounts/aws",
            "204 No Content",
        )))),
    );
    app
}

pub fn enable_failed() -> App {
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
    app
}

/// Root keys checked with STS: they are the account root user's, so a warning shows.
pub fn root_keys_account_root() -> App {
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
    app
}

/// The policy editor with the lab's policy.
pub fn policy_lab() -> App {
    let mut app = app(Mode::Sandbox);
    go_to(&mut app, StepKind::RolePolicy);
    app
}

/// The policy editor after a character was deleted: the JSON no longer parses.
pub fn policy_json_error() -> App {
    let mut app = app(Mode::Sandbox);
    go_to(&mut app, StepKind::RolePolicy);
    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::End);
    press(&mut app, KeyCode::Backspace);
    app
}

/// Credentials issued two seconds ago, the secret key masked.
pub fn generate_masked() -> App {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    update(&mut app, Msg::Tick(at(2)));
    go_to(&mut app, StepKind::Generate);
    app
}

/// DescribeInstances refused while the new key propagates; the probe waits.
pub fn test_waiting() -> App {
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
    app
}

pub fn test_ok() -> App {
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
    app
}

/// Revoked, and proved: the old keys are refused and the IAM user is gone.
pub fn revoke_proved() -> App {
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
    app
}

pub fn finish_all_done() -> App {
    let mut app = app(Mode::Sandbox);
    for step in app.steps.iter_mut() {
        step.status = StepStatus::Done;
    }
    app.pane = (0..PANE_COUNT)
        .position(|index| Pane::at(index) == Pane::Finish)
        .expect("a finish pane");
    app
}

/// The help overlay over the policy pane.
pub fn help_policy() -> App {
    let mut app = app(Mode::Sandbox);
    go_to(&mut app, StepKind::RolePolicy);
    press(&mut app, KeyCode::Char('?'));
    app
}

/// `q` with a live lease: the quit prompt.
pub fn quit_prompt() -> App {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    press(&mut app, KeyCode::Char('q'));
    app
}

/// An earlier run's lease id: 24 characters after the role, like Vault's.
pub fn earlier_id(tail: &str) -> String {
    format!("aws/creds/my-role/{tail:X>24}")
}

/// Earlier runs left three leases: one alive, one Vault forgot, one whose revocation
/// failed (retried at start, failing again).
pub fn with_earlier_leases(app: &mut App) {
    app.connection.mode = Mode::Live;
    let entry = |tail: &str, state| Entry {
        lease_id: earlier_id(tail),
        mount: "aws".into(),
        role: "my-role".into(),
        issued_at: at(-3600),
        ttl_seconds: 7200,
        expires_at: Some(at(3600)),
        state,
        owner: None,
    };
    update(
        app,
        Msg::Outcome(Outcome::JournalRead {
            path: Some(
                "/home/learner/.local/share/vaultlab/leases/http___127.0.0.1_8200.json".into(),
            ),
            open: vec![
                entry("alive", Lifecycle::Active),
                entry("gone", Lifecycle::Active),
                entry(
                    "fail",
                    Lifecycle::RevokeFailed {
                        at: at(-60),
                        error: "connection refused".into(),
                    },
                ),
            ],
            other_runs: 0,
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

/// The leases pane: three earlier leases and this run's, renewed by 15m under a 5m max TTL.
pub fn leases_pane_capped_renewal() -> App {
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
    app
}

/// At start, earlier runs' leases found alive: the prompt offering to revoke them.
pub fn earlier_leases_prompt() -> App {
    let mut app = app(Mode::Live);
    with_earlier_leases(&mut app);
    app
}

/// Every pane in a representative state, and the overlays: what the render benchmark draws.
pub fn every_screen() -> Vec<(&'static str, App)> {
    vec![
        ("overview", overview_sandbox()),
        ("1 enable", enable_done()),
        ("2 root keys", root_keys_account_root()),
        ("3 policy", policy_json_error()),
        ("4 generate", generate_masked()),
        ("5 test", test_waiting()),
        ("6 revoke", revoke_proved()),
        ("finish", finish_all_done()),
        ("leases", leases_pane_capped_renewal()),
        ("earlier leases prompt", earlier_leases_prompt()),
        ("help overlay", help_policy()),
        ("quit overlay", quit_prompt()),
    ]
}
