//! App states built from messages alone, as a learner reaches them: one builder per
//! representative screen. Vault's answers are given to the very requests the app asked
//! for, and the engine's words are the engine's own, so the screens show the app's real
//! request lines and messages. Shared by the snapshot tests and the render benchmark
//! (`benches/render.rs`), so both draw the same screens.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::SecretString;
use serde_json::{Value, json};
use vaultlab::app::effect::{Effect, VaultCall};
use vaultlab::app::msg::{Exchange, Msg, Outcome};
use vaultlab::app::state::{App, Connection, EnvVar, Mode, Pane, Prefill, StepStatus};
use vaultlab::app::{init, update};
use vaultlab::aws::AwsCallError;
use vaultlab::engines::aws::{describe_instances_cli, proof, refusal, verified};
use vaultlab::engines::{EngineCall, EngineReply, Values};
use vaultlab::lab::{DEFAULT_LAB, load_embedded};
use vaultlab::lease::Lifecycle;
use vaultlab::lease::journal::Entry;
use vaultlab::setup::{JournalStart, StartInputs};
use vaultlab::vault::VaultError;
use vaultlab::vault::refusal::VaultRefusal;
use vaultlab::vault::types::Reply;

pub const ROOT_SECRET: &str = "rootSECRETrootSECRETrootSECRETrootSECRET";
pub const LEASE: &str = "aws/creds/my-role/Q3vJ8ZkT0bW1xY2zA4cD5eF6";
pub const TOKEN: &str = "hvs.sandboxTOKENsandboxTOKEN1";
pub const ISSUED_SECRET: &str = "issuedSECRETissuedSECRETissuedSECRET0000";
const VAULT_ADDR: &str = "http://127.0.0.1:8200";
const ISSUED_KEY: &str = "AKIA5EXAMPLEISSUED01";

pub fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_763_900_000 + secs, 0).unwrap()
}

fn inputs(mode: Mode) -> StartInputs {
    StartInputs {
        prefill: Some(Prefill {
            values: Values::default()
                .with("access_key", SecretString::from("AKIAIOSFODNN7EXAMPLE"))
                .with("secret_key", SecretString::from(ROOT_SECRET))
                .with("region", SecretString::from("us-east-1")),
            source: "the sandbox".into(),
        }),
        ..StartInputs::new(
            load_embedded(DEFAULT_LAB).unwrap(),
            Connection::new(mode, VAULT_ADDR),
            at(0),
        )
    }
}

/// A fresh app, the lab not started, root keys prefilled.
pub fn app(mode: Mode) -> App {
    init(inputs(mode)).0
}

pub fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))).0
}

/// The shipped lab's steps, in its order.
pub const ENABLE: usize = 0;
pub const ROOT_KEYS: usize = 1;
pub const POLICY: usize = 2;
pub const GENERATE: usize = 3;
pub const TEST: usize = 4;
pub const REVOKE: usize = 5;

pub fn go_to(app: &mut App, step: usize) {
    app.pane = Pane::Step(step);
}

fn outcome(app: &mut App, outcome: Outcome) -> Vec<Effect> {
    update(app, Msg::Outcome(Box::new(outcome))).0
}

fn ok(envelope: Value) -> Result<Reply, VaultRefusal> {
    Ok(Reply {
        status: 200,
        envelope: Some(serde_json::from_value(envelope).unwrap()),
    })
}

fn status(status: u16) -> Result<Reply, VaultRefusal> {
    Ok(Reply {
        status,
        envelope: None,
    })
}

fn vault_calls(effects: &[Effect]) -> Vec<VaultCall> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Vault(call) => Some(call.clone()),
            _ => None,
        })
        .collect()
}

/// Vault answers the request among `effects` whose path is `path`.
fn answer(
    app: &mut App,
    effects: &[Effect],
    path: &str,
    reply: Result<Reply, VaultRefusal>,
) -> Vec<Effect> {
    let call = vault_calls(effects)
        .into_iter()
        .find(|c| c.request.path == path)
        .unwrap_or_else(|| panic!("no request to {path} in {effects:?}"));
    outcome(app, Outcome::Vault { call, reply })
}

/// The journal takes what it is given; the engine finds the IAM user.
fn settle(app: &mut App, effects: Vec<Effect>) {
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

/// Enter on the generate step, and Vault's answer to it: credentials for 32 days.
pub fn issue(app: &mut App) {
    let back = app.pane;
    go_to(app, GENERATE);
    let effects = press(app, KeyCode::Enter);
    app.pane = back;
    let effects = answer(
        app,
        &effects,
        "aws/creds/my-role",
        ok(json!({
            "request_id": "5a8f0f3c-0a4e-7a31-6c1d-2b1c3e9d7f10",
            "lease_id": LEASE,
            "lease_duration": 2_764_800,
            "renewable": true,
            "data": {"access_key": ISSUED_KEY, "secret_key": ISSUED_SECRET, "security_token": null},
        })),
    );
    settle(app, effects);
}

/// The overview in sandbox mode, with the second terminal's environment (token masked).
pub fn overview_sandbox() -> App {
    init(StartInputs {
        cli_env: vec![
            EnvVar {
                name: "VAULT_ADDR".into(),
                value: SecretString::from(VAULT_ADDR),
                secret: false,
            },
            EnvVar {
                name: "VAULT_TOKEN".into(),
                value: SecretString::from(TOKEN),
                secret: true,
            },
            EnvVar {
                name: "AWS_ACCESS_KEY_ID".into(),
                value: SecretString::from("AKIAIOSFODNN7EXAMPLE"),
                secret: false,
            },
            EnvVar {
                name: "AWS_SECRET_ACCESS_KEY".into(),
                value: SecretString::from(ROOT_SECRET),
                secret: true,
            },
        ],
        ..inputs(Mode::Sandbox)
    })
    .0
}

/// The overview in live mode, vaultlab's AWS calls going to an emulator (moto).
pub fn overview_live_endpoint() -> App {
    let mut inputs = inputs(Mode::Live);
    inputs.connection.service_endpoint = Some("http://127.0.0.1:5000".into());
    init(inputs).0
}

/// Step 2 with the prefilled secret key changed: `u` is offered to put it back.
pub fn root_keys_changed() -> App {
    let mut app = app(Mode::Sandbox);
    go_to(&mut app, ROOT_KEYS);
    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Char('x'));
    press(&mut app, KeyCode::Esc);
    app
}

/// The overview in live mode, the first two steps done with the CLI elsewhere: Vault's
/// answers to the reads that tell.
pub fn overview_live_partly_done() -> App {
    let (mut app, effects) = init(inputs(Mode::Live));
    answer(
        &mut app,
        &effects,
        "sys/mounts",
        ok(json!({"data": {"aws/": {"type": "aws"}, "sys/": {"type": "system"}}})),
    );
    answer(
        &mut app,
        &effects,
        "aws/config/root",
        ok(json!({"data": {"access_key": "AKIAIOSFODNN7EXAMPLE", "region": "us-east-1"}})),
    );
    let not_found = VaultError::NotFound {
        method: "GET".into(),
        path: "aws/roles/my-role".into(),
        errors: Vec::new(),
    };
    answer(
        &mut app,
        &effects,
        "aws/roles/my-role",
        Err(VaultRefusal::from(&not_found)),
    );
    app
}

pub fn enable_done() -> App {
    let mut app = app(Mode::Sandbox);
    go_to(&mut app, ENABLE);
    let effects = press(&mut app, KeyCode::Enter);
    answer(&mut app, &effects, "sys/mounts/aws", status(204));
    app
}

/// OpenBao's answer: no AWS engine in its catalog.
pub fn enable_failed() -> App {
    let mut app = app(Mode::Live);
    go_to(&mut app, ENABLE);
    let effects = press(&mut app, KeyCode::Enter);
    let error = VaultError::EngineNotAvailable {
        engine: "aws".into(),
        method: "POST".into(),
        path: "sys/mounts/aws".into(),
        errors: vec!["plugin not found in the catalog: aws".into()],
    };
    answer(
        &mut app,
        &effects,
        "sys/mounts/aws",
        Err(VaultRefusal::from(&error)),
    );
    app
}

/// Root keys checked with STS: they are the account root user's, so a warning shows.
pub fn root_keys_account_root() -> App {
    let mut app = app(Mode::Sandbox);
    go_to(&mut app, ROOT_KEYS);
    let effects = press(&mut app, KeyCode::Enter);
    let Some(Effect::Engine(EngineCall::Verify { step, .. })) = effects.first() else {
        panic!("{effects:?}");
    };
    outcome(
        &mut app,
        Outcome::Engine(EngineReply::Verified {
            step: *step,
            result: Ok(verified("arn:aws:iam::123456789012:root".into())),
        }),
    );
    app
}

/// The policy editor with the lab's policy.
pub fn policy_lab() -> App {
    let mut app = app(Mode::Sandbox);
    go_to(&mut app, POLICY);
    app
}

/// The policy editor after a character was deleted: the JSON no longer parses.
pub fn policy_json_error() -> App {
    let mut app = app(Mode::Sandbox);
    go_to(&mut app, POLICY);
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
    go_to(&mut app, GENERATE);
    app
}

fn probed(app: &mut App, effects: &[Effect], attempt: u32, result: Result<Exchange, AwsCallError>) {
    let Some(Effect::Engine(EngineCall::Probe { step, lease_id, .. })) = effects.first() else {
        panic!("{effects:?}");
    };
    outcome(
        app,
        Outcome::Engine(EngineReply::Probed {
            step: *step,
            lease_id: lease_id.clone(),
            attempt,
            result: result.map_err(|e| {
                let hint = e.hint();
                refusal(e, hint)
            }),
        }),
    );
}

/// DescribeInstances refused while the new key propagates; the probe waits.
pub fn test_waiting() -> App {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    go_to(&mut app, TEST);
    let effects = press(&mut app, KeyCode::Enter);
    update(&mut app, Msg::Tick(at(2)));
    probed(
        &mut app,
        &effects,
        3,
        Err(AwsCallError {
            code: "AuthFailure".into(),
            message: "AWS was not able to validate the provided access credentials".into(),
            http_status: Some(401),
        }),
    );
    app
}

/// No answer at all to DescribeInstances (the endpoint is down): nothing to wait for.
pub fn test_unreachable() -> App {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    go_to(&mut app, TEST);
    let effects = press(&mut app, KeyCode::Enter);
    probed(
        &mut app,
        &effects,
        1,
        Err(AwsCallError {
            code: "Unreachable".into(),
            message: "Connection refused (os error 111)".into(),
            http_status: None,
        }),
    );
    app
}

pub fn test_ok() -> App {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    go_to(&mut app, TEST);
    let effects = press(&mut app, KeyCode::Enter);
    probed(
        &mut app,
        &effects,
        1,
        Ok(Exchange {
            curl: describe_instances_cli(Some(VAULT_ADDR), ISSUED_KEY, "us-east-1"),
            response: "{\n  \"Reservations\": []\n}".into(),
        }),
    );
    app
}

/// Revoked, and proved: the old keys are refused and the IAM user is gone.
pub fn revoke_proved() -> App {
    let mut app = app(Mode::Sandbox);
    issue(&mut app);
    go_to(&mut app, REVOKE);
    let effects = press(&mut app, KeyCode::Enter);
    let effects = answer(&mut app, &effects, "sys/leases/revoke", status(202));
    let Some(Effect::Engine(EngineCall::ProveRevoked { step, lease_id, .. })) = effects.first()
    else {
        panic!("{effects:?}");
    };
    let exchange = Exchange {
        curl: describe_instances_cli(Some(VAULT_ADDR), ISSUED_KEY, "us-east-1"),
        response: "AuthFailure: AWS was not able to validate the provided access credentials"
            .into(),
    };
    outcome(
        &mut app,
        Outcome::Engine(EngineReply::Proved {
            step: *step,
            lease_id: lease_id.clone(),
            attempt: 2,
            proof: proof(Some("AuthFailure".into()), true, exchange),
        }),
    );
    app
}

pub fn finish_all_done() -> App {
    let mut app = app(Mode::Sandbox);
    for step in app.steps.iter_mut() {
        step.status = StepStatus::Done;
    }
    app.pane = Pane::Finish;
    app
}

/// The help overlay over the policy pane.
pub fn help_policy() -> App {
    let mut app = app(Mode::Sandbox);
    go_to(&mut app, POLICY);
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

/// The same in live mode: the leases can be kept in AWS.
pub fn quit_prompt_live() -> App {
    let mut app = app(Mode::Live);
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
pub fn with_earlier_leases() -> App {
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
    let (mut app, effects) = init(StartInputs {
        journal: Some(JournalStart {
            path: "/home/learner/.local/share/vaultlab/leases/http___127.0.0.1_8200.json".into(),
            leftovers: vec![
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
        ..inputs(Mode::Live)
    });
    let call_for = |id: &str| {
        vault_calls(&effects)
            .into_iter()
            .find(|c| {
                c.request
                    .describe()
                    .body_redacted
                    .is_some_and(|b| b["lease_id"] == id)
            })
            .unwrap_or_else(|| panic!("no request about {id}"))
    };
    let refused = VaultError::Unreachable {
        addr: VAULT_ADDR.into(),
        kind: vaultlab::vault::error::UnreachableKind::Refused,
        reason: "connection refused".into(),
        in_room: false,
    };
    let replies = [
        ("fail", Err(VaultRefusal::from(&refused))),
        (
            "alive",
            ok(json!({"data": {"id": earlier_id("alive"), "ttl": 3000, "renewable": true}})),
        ),
        (
            "gone",
            Err(VaultRefusal::from(&VaultError::InvalidRequest {
                method: "PUT".into(),
                path: "sys/leases/lookup".into(),
                status: 400,
                errors: vec!["invalid lease".into()],
            })),
        ),
    ];
    for (tail, reply) in replies {
        let more = outcome(
            &mut app,
            Outcome::Vault {
                call: call_for(&earlier_id(tail)),
                reply,
            },
        );
        settle(&mut app, more);
    }
    app
}

/// The leases pane: three earlier leases and this run's, renewed by 15m under a 5m max TTL.
pub fn leases_pane_capped_renewal() -> App {
    let mut app = with_earlier_leases();
    press(&mut app, KeyCode::Esc);
    issue(&mut app);
    press(&mut app, KeyCode::Char('l'));
    // The newest lease, renewed by 15m under a 5m max TTL.
    for _ in 0..3 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Char('-'));
    let effects = press(&mut app, KeyCode::Char('r'));
    update(&mut app, Msg::Tick(at(10)));
    let effects = answer(
        &mut app,
        &effects,
        "sys/leases/renew",
        ok(json!({
            "lease_id": LEASE,
            "lease_duration": 290,
            "renewable": true,
            "warnings": ["TTL of \"15m\" exceeded the effective max_ttl of \"4m50s\"; TTL value is capped accordingly"],
        })),
    );
    settle(&mut app, effects);
    app
}

/// Fifteen leases earlier runs left, being looked up, on the leases pane: more rows than it
/// has at 80×24.
pub fn many_earlier_leases() -> App {
    let leftovers = (0..15)
        .map(|i| Entry {
            lease_id: earlier_id(&format!("n{i:02}")),
            mount: "aws".into(),
            role: "my-role".into(),
            issued_at: at(-3600),
            ttl_seconds: 7200,
            expires_at: Some(at(3600)),
            state: Lifecycle::Active,
            owner: None,
        })
        .collect();
    let (mut app, _) = init(StartInputs {
        journal: Some(JournalStart {
            path: "/home/learner/.local/share/vaultlab/leases/http___127.0.0.1_8200.json".into(),
            leftovers,
            other_runs: 0,
        }),
        ..inputs(Mode::Live)
    });
    press(&mut app, KeyCode::Char('l'));
    app
}

/// At start, earlier runs' leases found alive: the prompt offering to revoke them.
pub fn earlier_leases_prompt() -> App {
    with_earlier_leases()
}

/// The leases pane's renewal message, too long for the status bar, opened whole with `m`.
pub fn message_overlay() -> App {
    let mut app = leases_pane_capped_renewal();
    press(&mut app, KeyCode::Char('m'));
    app
}

/// Every pane in a representative state, and the overlays: what the render benchmark
/// draws, and what the snapshots at every size show.
pub fn every_screen() -> Vec<(&'static str, App)> {
    vec![
        ("overview", overview_sandbox()),
        ("overview live", overview_live_partly_done()),
        ("1 enable", enable_done()),
        ("1 enable failed", enable_failed()),
        ("2 root keys", root_keys_account_root()),
        ("2 root keys changed", root_keys_changed()),
        ("3 policy", policy_lab()),
        ("3 policy json error", policy_json_error()),
        ("4 generate", generate_masked()),
        ("5 test", test_waiting()),
        ("5 test ok", test_ok()),
        ("6 revoke", revoke_proved()),
        ("finish", finish_all_done()),
        ("leases", leases_pane_capped_renewal()),
        ("earlier leases prompt", earlier_leases_prompt()),
        ("help overlay", help_policy()),
        ("quit overlay", quit_prompt()),
        ("quit overlay live", quit_prompt_live()),
        ("message overlay", message_overlay()),
    ]
}

/// The PostgreSQL lab's database password, prefilled: it must never be on screen.
pub const PG_SECRET: &str = "pgSECRETpgSECRETpgSECRET";

/// The PostgreSQL lab on the servers vaultlab started (local mode), fresh, its
/// connection form prefilled with the password of the PostgreSQL it started.
pub fn postgres() -> App {
    let lab = load_embedded("dynamic-db-postgres").unwrap();
    let connection = Connection {
        mode: Mode::Local {
            started: vec!["OpenBao 2.7.2 dev server".into(), "PostgreSQL 15.18".into()],
        },
        vault_addr: VAULT_ADDR.into(),
        namespace: None,
        engine_vars: Vec::new(),
        service_endpoint: None,
    };
    init(StartInputs {
        prefill: Some(Prefill {
            values: Values::default()
                .with("port", SecretString::from("40123"))
                .with("password", SecretString::from(PG_SECRET)),
            source: "the PostgreSQL vaultlab started".into(),
        }),
        ..StartInputs::new(lab, connection, at(0))
    })
    .0
}

/// The PostgreSQL lab on `pane`.
fn postgres_on(pane: Pane) -> App {
    let mut app = postgres();
    app.pane = pane;
    app
}

/// The role's SQL with a quote left open on line 3: the checker points at it.
pub fn postgres_sql_error() -> App {
    let mut app = postgres_on(Pane::Step(2));
    press(&mut app, KeyCode::Char('e'));
    for code in [
        KeyCode::Down,
        KeyCode::Down,
        KeyCode::End,
        KeyCode::Char('\''),
    ] {
        press(&mut app, code);
    }
    app
}

/// Every pane of the PostgreSQL lab before its steps run, its editor with an error, and
/// the help over it: what the snapshots at every size show of the second lab.
pub fn every_postgres_screen() -> Vec<(&'static str, App)> {
    let mut help = postgres_on(Pane::Step(2));
    press(&mut help, KeyCode::Char('?'));
    let mut quit = postgres();
    press(&mut quit, KeyCode::Char('q'));
    vec![
        ("pg overview", postgres()),
        ("pg 1 enable", postgres_on(Pane::Step(0))),
        ("pg 2 connection", postgres_on(Pane::Step(1))),
        ("pg 3 role", postgres_on(Pane::Step(2))),
        ("pg 3 role sql error", postgres_sql_error()),
        ("pg 4 generate", postgres_on(Pane::Step(3))),
        ("pg 5 test", postgres_on(Pane::Step(4))),
        ("pg 6 revoke", postgres_on(Pane::Step(5))),
        ("pg finish", postgres_on(Pane::Finish)),
        ("pg leases", postgres_on(Pane::Leases)),
        ("pg help overlay", help),
    ]
}
