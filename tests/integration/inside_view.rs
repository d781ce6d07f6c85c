//! The inside view against the embedded sandbox: the engine's AWS calls reach the app as
//! its feed delivers them, in order, with what caused them; a lease reaching its end shows
//! its teardown with no command typed.

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;
use vaultlab::app::msg::Msg;
use vaultlab::app::state::Pane;
use vaultlab::app::{init, update};
use vaultlab::inside::feed::Drain;
use vaultlab::inside::{Cause, Seen, Why};
use vaultlab::session::{self, Session, SessionOptions};

async fn sandbox_session() -> Session {
    let options = SessionOptions {
        force_sandbox: true,
        propagation_delay: Some(Duration::ZERO),
        ..SessionOptions::default()
    };
    session::open(&options, |_| None)
        .await
        .expect("a sandbox session")
}

/// What Vault's engine does to delete a user it made, in Vault's order (its
/// `pathUserRollback`): what the user belongs to and holds, then each deleted.
const TEARDOWN: &[&str] = &[
    "ListGroupsForUser",
    "ListUserPolicies",
    "ListAttachedUserPolicies",
    "ListAccessKeys",
    "DeleteAccessKey",
    "DeleteUserPolicy",
    "DeleteUser",
];

fn engine_calls(seen: &[Seen]) -> Vec<(Why, String)> {
    seen.iter()
        .filter_map(|s| match s {
            Seen::Aws(call) => Some((call.why, format!("{}:{}", call.service, call.action))),
            _ => None,
        })
        .collect()
}

fn calls(why: Why, actions: &[&str]) -> Vec<(Why, String)> {
    actions.iter().map(|a| (why, format!("iam:{a}"))).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_creds_read_and_its_revoke_yield_the_engines_iam_calls_in_order() {
    let session = sandbox_session().await;
    let sandbox = session.sandbox.as_ref().unwrap();
    let mut drain = Drain::new(sandbox.events());
    let mut transcript = Vec::new();
    let result = vaultlab::cmd::walk::walk(&session, false, false, &mut transcript)
        .await
        .unwrap();
    assert_eq!(result, vaultlab::cmd::walk::WalkResult::Completed);
    let seen = drain.take();
    let mut expected = calls(
        Why::Issue,
        &["CreateUser", "PutUserPolicy", "CreateAccessKey"],
    );
    expected.extend(calls(Why::Revoke, TEARDOWN));
    assert_eq!(engine_calls(&seen), expected);
    let user = seen
        .iter()
        .find_map(|s| match s {
            Seen::Aws(call) if call.action == "CreateUser" => call.user.clone(),
            _ => None,
        })
        .expect("CreateUser names its user");
    assert!(user.starts_with("vault-root-my-role-"), "{user}");

    // Through `update`, as the TUI takes them: one burst under the issue step with the
    // request that made it, one under the revoke step.
    let (mut app, _) = init(session.start_inputs(Utc::now()));
    for s in seen {
        if let Seen::Aws(call) = &s
            && call.why == Why::Revoke
        {
            app.pane = Pane::Step(5);
        }
        update(&mut app, Msg::Inside(s));
    }
    let bursts = &app.inside.bursts;
    assert_eq!(bursts.len(), 2, "{bursts:?}");
    assert_eq!(bursts[0].cause, Cause::Step(3));
    assert_eq!(
        bursts[0].request.as_ref().map(|r| r.0.as_str()),
        Some("GET aws/creds/my-role")
    );
    assert_eq!(bursts[1].cause, Cause::Step(5));
    assert!(
        bursts
            .iter()
            .flat_map(|b| &b.calls)
            .all(|c| c.status == 200),
        "{bursts:?}"
    );
    session.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lease_reaching_its_end_shows_the_same_teardown_with_no_command() {
    let session = sandbox_session().await;
    let sandbox = session.sandbox.as_ref().unwrap();
    let mut drain = Drain::new(sandbox.events());
    let vault = |method: reqwest::Method, path: &str| {
        reqwest::Client::new()
            .request(method, format!("{}/v1/{path}", sandbox.vault_addr()))
            .header("X-Vault-Token", sandbox.root_token().expose())
    };
    let admin = sandbox.admin_credentials();
    for (path, body) in [
        ("sys/mounts/aws", json!({"type": "aws"})),
        (
            "aws/config/root",
            json!({"access_key": admin.access_key_id, "secret_key": admin.secret_access_key.expose(), "region": "us-east-1"}),
        ),
        (
            "aws/config/lease",
            json!({"lease": "1s", "lease_max": "1s"}),
        ),
        (
            "aws/roles/my-role",
            json!({"credential_type": "iam_user", "policy_document": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#}),
        ),
    ] {
        let status = vault(reqwest::Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "{path}: {status}");
    }
    let issued = vault(reqwest::Method::GET, "aws/creds/my-role")
        .send()
        .await
        .unwrap();
    assert!(issued.status().is_success());
    let (mut app, _) = init(session.start_inputs(Utc::now()));
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while !engine_calls(&seen)
        .iter()
        .any(|(_, a)| a == "iam:DeleteUser")
    {
        assert!(Instant::now() < deadline, "no expiry seen: {seen:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        seen.extend(drain.take());
    }
    let expected = calls(Why::Expiry, TEARDOWN);
    let teardown: Vec<_> = engine_calls(&seen)
        .into_iter()
        .filter(|(why, _)| *why == Why::Expiry)
        .collect();
    assert_eq!(teardown, expected);
    for s in seen {
        update(&mut app, Msg::Inside(s));
    }
    let expiry = app.inside.bursts.last().unwrap();
    assert_eq!(expiry.cause, Cause::Expiry);
    assert_eq!(expiry.calls.len(), TEARDOWN.len());
    assert_eq!(expiry.request, None, "no command made it");
    session.close().await.unwrap();
}
