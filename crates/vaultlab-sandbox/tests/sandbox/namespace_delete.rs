//! Deleting a namespace revokes what is in it, the sandbox side by side with OpenBao 2.7
//! (`bao server -dev`): a namespace with a child is refused; then its tokens (a tree of
//! them, as `token_revocation` grows) and every lease issued in it, by its tokens or by
//! the root token, go with it, while the answer is at once `in-progress`, even when an
//! IAM user's deletion fails first and is retried (OpenBao revokes in the background). On
//! the sandbox no IAM user is left and no key works.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::namespace_differential::{Server, both};
use super::room_lab::creds_work;
use super::token_revocation::{grow, issue, issuing_mount, tokens_left, vault_users};

const NS: Option<&str> = Some("room/ada");

/// Polls `GET path` (root token) until it answers 404 or `limit` passes: the last status.
async fn until_gone(server: &Server, path: &str, limit: Duration) -> u16 {
    let deadline = Instant::now() + limit;
    loop {
        let status = server.root("GET", path, None, None).await.status;
        if status == 404 || Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Status, errors, warnings and data of an answer.
fn answer(a: &super::namespace_differential::Answer) -> Value {
    json!({
        "status": a.status,
        "errors": a.body.get("errors"),
        "warnings": a.body.get("warnings"),
        "data": a.body.get("data"),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_namespace_revokes_its_tokens_and_leases_as_openbao_does() {
    let (_bao, sandbox, theirs, ours) = both().await;
    let admin = sandbox.admin_credentials();
    let admin_keys = (
        admin.access_key_id.as_str(),
        admin.secret_access_key.expose(),
    );
    let mut outcome = Vec::new();
    let mut issued = Vec::new();
    for server in [&theirs, &ours] {
        let aws = server.name == "sandbox";
        for (path, ns) in [
            ("sys/namespaces/room", None),
            ("sys/namespaces/ada", Some("room")),
            ("sys/namespaces/kid", NS),
        ] {
            let made = server.root("POST", path, ns, None).await;
            assert_eq!(made.status, 200, "{}: {path}: {}", server.name, made.body);
        }
        issuing_mount(server, NS, aws.then_some(admin_keys)).await;
        let tree = grow(server, NS, aws).await;
        let root = server.root.clone();
        let by_root = issue(server, NS, &root, aws).await;

        let with_child = server
            .root("DELETE", "room/sys/namespaces/ada", None, None)
            .await;
        let kid = server.root("DELETE", "sys/namespaces/kid", NS, None).await;
        assert_eq!(kid.status, 200, "{}: {}", server.name, kid.body);
        until_gone(
            server,
            "room/ada/sys/namespaces/kid",
            Duration::from_secs(10),
        )
        .await;
        if aws {
            // The first IAM user deletion fails: the sandbox retries it, as OpenBao's
            // background deletion would.
            let armed = server
                .http
                .post(format!("{}/vaultlab/faults", server.url))
                .header("X-Vault-Token", &server.root)
                .json(&json!({"aws_action": "DeleteUser", "code": "AccessDenied", "count": 1}))
                .send()
                .await
                .unwrap();
            assert!(armed.status().is_success(), "{}", armed.status());
        }
        let deleted = server
            .root("DELETE", "room/sys/namespaces/ada", None, None)
            .await;
        let read = until_gone(server, "room/sys/namespaces/ada", Duration::from_secs(60)).await;
        let again = server
            .root("DELETE", "room/sys/namespaces/ada", None, None)
            .await;
        let mut leases = tree.leases.values().cloned().collect::<Vec<_>>();
        leases.push(by_root);
        let mut lookups = Vec::new();
        for lease in &leases {
            let looked = server
                .root(
                    "PUT",
                    "sys/leases/lookup",
                    None,
                    Some(json!({"lease_id": lease["lease_id"]})),
                )
                .await;
            lookups.push(answer(&looked));
        }
        let mut tokens_outside = Vec::new();
        for (token, _) in tree.tokens.values() {
            let looked = server
                .send("GET", "auth/token/lookup-self", None, Some(token), None)
                .await;
            tokens_outside.push(answer(&looked));
        }
        outcome.push(json!({
            "delete with a child": answer(&with_child),
            "delete": answer(&deleted),
            "read once done": read,
            "delete again": answer(&again),
            "leases looked up": lookups,
            "tokens in the namespace": tokens_left(server, NS, &tree).await,
            "tokens in the root": tokens_outside,
        }));
        issued.push(leases);
    }
    assert_eq!(
        outcome[0], outcome[1],
        "OpenBao (left) and the sandbox (right) differ"
    );
    // What both agree on is Vault's rule.
    assert_eq!(outcome[1]["delete with a child"]["status"], 400);
    assert_eq!(
        outcome[1]["delete"]["data"],
        json!({"status": "in-progress"})
    );
    assert_eq!(outcome[1]["read once done"], 404);
    for looked in outcome[1]["leases looked up"].as_array().unwrap() {
        assert_eq!(looked["errors"], json!(["invalid lease"]), "{looked}");
    }

    // On the sandbox every lease's IAM user is gone: no key works, no user is left.
    for lease in &issued[1] {
        let works = creds_work(sandbox.aws_endpoint_url(), &lease["data"]).await;
        assert!(!works, "the keys of {} still work", lease["lease_id"]);
    }
    let users = vault_users(&sandbox, &admin).await;
    assert!(users.is_empty(), "{users:?}");
}
