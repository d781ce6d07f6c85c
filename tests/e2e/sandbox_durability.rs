//! `vaultlab sandbox --state` keeps Vault's promises, the built binary driven over HTTP:
//! a lease is on disk before its keys leave, so after a `kill -9` at a random moment every
//! lease a client received is known and `revoke-prefix` leaves no working key and no
//! `vault-…` user; a half-made IAM user is never forgotten; SIGTERM lets requests in
//! flight finish, then saves; a device given as the state file is refused unread.
//!
//! `benches/durability.rs` runs the crash rounds 20 times and more on a release build.

use vaultlab_testkit as common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use common::sandbox_load::{
    Clients, IssueError, SandboxApi, crash_round, issue_until, random_between, start_with_state,
};
use serde_json::{Value, json};

/// Rounds of crash and restart: `VAULTLAB_CRASH_ROUNDS` for more.
fn rounds() -> usize {
    std::env::var("VAULTLAB_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lease_a_client_received_survives_kill_9_and_revoke_prefix_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox.json");
    let mut sandbox = start_with_state(crate::VAULTLAB, &state);
    SandboxApi::of(&sandbox).configure_lab().await;
    let mut received = 0;
    for round in 1..=rounds() {
        let kill_after = random_between(Duration::ZERO, Duration::from_millis(1500));
        let (report, restarted) =
            crash_round(crate::VAULTLAB, &state, sandbox, 12, kill_after).await;
        sandbox = restarted;
        eprintln!("round {round}: {report:?}");
        assert!(report.received > 0, "round {round}: no credentials issued");
        assert!(
            report.unknown.is_empty(),
            "round {round}: {} of {} leases clients received are unknown after the restart: {:?}",
            report.unknown.len(),
            report.received,
            report.unknown
        );
        assert!(report.known_after_restart >= report.received);
        assert_eq!(
            report.keys_working, 0,
            "round {round}: keys still work after revoke-prefix"
        );
        assert!(
            report.users_left.is_empty(),
            "round {round}: IAM users left: {:?}",
            report.users_left
        );
        received += report.received;
    }
    eprintln!("{} kills, {received} leases received, none lost", rounds());
    #[cfg(unix)]
    {
        assert_eq!(mode(&state), 0o600, "the state file holds secrets");
        let log = common::sandbox_load::log_path(&state);
        assert_eq!(mode(&log), 0o600, "so does its log");
    }
    assert!(sandbox.terminate().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_requests_in_flight_finish_then_saves_with_no_half_made_user() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox.json");
    let sandbox = start_with_state(crate::VAULTLAB, &state);
    let api = SandboxApi::of(&sandbox);
    api.configure_lab().await;

    let control = Clients::default();
    let clients = tokio::spawn({
        let (api, control) = (api.clone(), control.clone());
        async move { issue_until(&api, 16, control, Duration::from_secs(60)).await }
    });
    assert!(control.wait_for_first(Duration::from_secs(60)).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sigterm_at = Instant::now();
    let status = tokio::task::spawn_blocking(move || sandbox.terminate())
        .await
        .unwrap();
    control.stop();
    let issuing = clients.await.unwrap();
    assert!(status.success(), "exit status after SIGTERM: {status}");

    // Every request the sandbox took was answered in full: a client may find the door
    // closed, never an error from a request cut in the middle.
    let answered_with_errors: Vec<_> = issuing
        .errors
        .iter()
        .filter_map(|(_, e)| match e {
            IssueError::Status(code, body) => Some(format!("{code} {body}")),
            IssueError::Transport(_) => None,
        })
        .collect();
    assert!(
        answered_with_errors.is_empty(),
        "requests in flight at SIGTERM failed: {answered_with_errors:?}"
    );
    let finished_after = issuing.issued.iter().filter(|i| i.at > sigterm_at).count();
    assert!(
        finished_after > 0,
        "no request was in flight at SIGTERM ({} issued before)",
        issuing.issued.len()
    );

    // Saved whole, and every IAM user the engine made has its lease.
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let leased: BTreeSet<&str> = saved["vault"]["leases"]
        .as_object()
        .unwrap()
        .values()
        .map(|lease| lease["username"].as_str().unwrap())
        .collect();
    // Users are kept per account (keyed <account>/<name>), each naming itself.
    let users: BTreeSet<&str> = saved["aws"]["users"]
        .as_object()
        .unwrap()
        .values()
        .map(|user| user["name"].as_str().unwrap())
        .filter(|name| name.starts_with("vault-"))
        .collect();
    assert_eq!(
        users, leased,
        "every user has its lease, every lease its user"
    );
    assert_eq!(saved["vault"]["half_made_users"], json!({}));
    assert!(leased.len() >= issuing.issued.len());

    let restarted = start_with_state(crate::VAULTLAB, &state);
    let api = SandboxApi::of(&restarted);
    for issued in &issuing.issued {
        let (status, body) = api
            .call(
                "PUT",
                "sys/leases/lookup",
                Some(json!({"lease_id": issued.lease_id})),
            )
            .await;
        assert_eq!(status, 200, "{}: {body}", issued.lease_id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_made_user_whose_rollback_fails_is_deleted_later_and_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox.json");
    let sandbox = start_with_state(crate::VAULTLAB, &state);
    let api = SandboxApi::of(&sandbox);
    api.configure_lab().await;
    let fail = |action: &str, count: u32| json!({"aws_action": action, "code": "AccessDenied", "count": count});

    // The key cannot be made, and the rollback's DeleteUser fails once: the user stays,
    // recorded, and the background worker deletes it a moment later.
    api.arm_fault(fail("CreateAccessKey", 1)).await;
    api.arm_fault(fail("DeleteUser", 1)).await;
    let Err(IssueError::Status(400, body)) = api.issue().await else {
        panic!("issuing should fail");
    };
    assert!(body.contains("Error creating access keys"), "{body}");
    let half_made = api.vault_users().await;
    assert_eq!(half_made.len(), 1, "the half-made user: {half_made:?}");
    let left = api.wait_for_no_vault_users(Duration::from_secs(15)).await;
    assert!(left.is_empty(), "never deleted: {left:?}");

    // Now every DeleteUser fails: the user outlives retries, then a kill -9; the
    // restarted sandbox (faults are not kept) deletes it at once.
    api.arm_fault(fail("CreateAccessKey", 1)).await;
    api.arm_fault(fail("DeleteUser", 1000)).await;
    assert!(api.issue().await.is_err());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let half_made = api.vault_users().await;
    assert_eq!(half_made.len(), 1, "still there while DeleteUser fails");
    let mut sandbox = sandbox;
    sandbox.child.kill().unwrap();
    sandbox.child.wait().unwrap();

    let restarted = start_with_state(crate::VAULTLAB, &state);
    let api = SandboxApi::of(&restarted);
    let left = api.wait_for_no_vault_users(Duration::from_secs(15)).await;
    assert!(left.is_empty(), "forgotten across the restart: {left:?}");
    let (status, _) = api
        .call("LIST", "sys/leases/lookup/aws/creds/my-role", None)
        .await;
    assert_eq!(status, 404, "no lease was issued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_tokens_lease_whose_revocation_is_cut_by_kill_9_is_revoked_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox.json");
    let sandbox = start_with_state(crate::VAULTLAB, &state);
    let api = SandboxApi::of(&sandbox);
    api.configure_lab().await;
    let policy = r#"path "aws/creds/*" { capabilities = ["read"] }"#;
    let (status, body) = api
        .call(
            "POST",
            "sys/policies/acl/creds",
            Some(json!({ "policy": policy })),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let (status, made) = api
        .call(
            "POST",
            "auth/token/create",
            Some(json!({"policies": ["creds"]})),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    let mut learner = api.new_client();
    learner.token = made["auth"]["client_token"].as_str().unwrap().to_owned();
    let issued = learner.issue().await.expect("credentials for the token");

    // The token is revoked; its lease's revocation fails (DeleteUser refused) and is
    // cut short by a kill -9.
    api.arm_fault(json!({"aws_action": "DeleteUser", "code": "AccessDenied", "count": 1000}))
        .await;
    let (status, body) = learner.call("POST", "auth/token/revoke-self", None).await;
    assert_eq!(status, 204, "{body}");
    let (status, _) = learner.call("GET", "auth/token/lookup-self", None).await;
    assert_eq!(status, 403, "the token is gone at once");
    let lookup = json!({"lease_id": issued.lease_id});
    let (status, _) = api
        .call("PUT", "sys/leases/lookup", Some(lookup.clone()))
        .await;
    assert_eq!(status, 200, "the lease waits while DeleteUser fails");
    let mut sandbox = sandbox;
    sandbox.child.kill().unwrap();
    sandbox.child.wait().unwrap();

    // Restarted (faults are not kept): the lease is revoked, its user deleted.
    let restarted = start_with_state(crate::VAULTLAB, &state);
    let api = SandboxApi::of(&restarted);
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let (status, body) = api
            .call("PUT", "sys/leases/lookup", Some(lookup.clone()))
            .await;
        if status == 400 {
            assert_eq!(body["errors"][0], "invalid lease");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the revoked token's lease is still alive after the restart: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let left = api.wait_for_no_vault_users(Duration::from_secs(5)).await;
    assert!(left.is_empty(), "users left: {left:?}");
    assert!(!api.key_works(&issued.access_key, &issued.secret_key).await);
    assert!(restarted.terminate().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_namespaces_queued_revocations_survive_kill_9_and_its_users_go() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox.json");
    let sandbox = start_with_state(crate::VAULTLAB, &state);
    let api = SandboxApi::of(&sandbox);
    // The lab in the namespace `ada` (addressed by path prefix), and a token of it.
    let (status, body) = api.call("POST", "sys/namespaces/ada", None).await;
    assert_eq!(status, 200, "{body}");
    let policy = r#"path "aws/creds/*" { capabilities = ["read"] }"#;
    let steps = [
        ("ada/sys/mounts/aws", json!({"type": "aws"})),
        (
            "ada/aws/config/root",
            json!({"access_key": api.admin_key, "secret_key": api.admin_secret, "region": "us-east-1"}),
        ),
        (
            "ada/aws/roles/my-role",
            json!({"credential_type": "iam_user", "policy_document": common::sandbox_load::LAB_POLICY}),
        ),
        ("ada/sys/policies/acl/creds", json!({ "policy": policy })),
    ];
    for (path, body) in steps {
        let (status, reply) = api.call("POST", path, Some(body)).await;
        assert!(status.is_success(), "{path}: {status} {reply}");
    }
    let (status, made) = api
        .call(
            "POST",
            "ada/auth/token/create",
            Some(json!({"policies": ["creds"]})),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    let seat_token = made["auth"]["client_token"].as_str().unwrap().to_owned();
    let mut issued = Vec::new();
    for token in [&seat_token, &api.token] {
        let (status, creds) = api
            .call_as(token, "GET", "ada/aws/creds/my-role", None)
            .await;
        assert_eq!(status, 200, "{creds}");
        issued.push(creds);
    }
    assert_eq!(api.vault_users().await.len(), 2);

    // Deleted while every DeleteUser fails: answered at once, its token gone, the
    // revocations queued; then a kill -9.
    api.arm_fault(json!({"aws_action": "DeleteUser", "code": "AccessDenied", "count": 1000}))
        .await;
    let (status, body) = api.call("DELETE", "sys/namespaces/ada", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"], json!({"status": "in-progress"}));
    let (status, _) = api
        .call_as(&seat_token, "GET", "ada/auth/token/lookup-self", None)
        .await;
    assert_ne!(status, 200, "the namespace's token is gone at once");
    let (status, body) = api.call("GET", "sys/namespaces/ada", None).await;
    assert_eq!(status, 200, "kept while its leases wait: {body}");
    assert_eq!(body["data"]["tainted"], true);
    let mut sandbox = sandbox;
    sandbox.child.kill().unwrap();
    sandbox.child.wait().unwrap();

    // Restarted (faults are not kept): the leases are revoked, their users deleted, and
    // the namespace is gone.
    let restarted = start_with_state(crate::VAULTLAB, &state);
    let api = SandboxApi::of(&restarted);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = api.call("GET", "sys/namespaces/ada", None).await;
        if status == 404 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the deleted namespace is still there after the restart: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let left = api.wait_for_no_vault_users(Duration::from_secs(5)).await;
    assert!(left.is_empty(), "users left: {left:?}");
    for creds in &issued {
        let key = creds["data"]["access_key"].as_str().unwrap();
        let secret = creds["data"]["secret_key"].as_str().unwrap();
        assert!(!api.key_works(key, secret).await);
    }
    assert!(restarted.terminate().success());
}

#[test]
fn a_device_given_as_the_state_file_is_refused_before_it_is_read() {
    let mut child = std::process::Command::new(crate::VAULTLAB)
        .args(["sandbox", "--state", "/dev/full"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still reading /dev/full after 10 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot read the sandbox state file /dev/full")
            && stderr.contains("not a regular file but a character device"),
        "{stderr}"
    );
}

#[test]
fn a_second_sandbox_on_the_same_state_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox.json");
    let first = start_with_state(crate::VAULTLAB, &state);
    let output = std::process::Command::new(crate::VAULTLAB)
        .args(["sandbox", "--state", state.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is in use by another vaultlab sandbox"),
        "{stderr}"
    );
    assert!(first.terminate().success(), "the first one kept running");
}
