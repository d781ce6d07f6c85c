//! The facilitator's pace and short leases, held by the room server itself: a seat's
//! requests for a held step are refused whatever client sends them (`bao`, plain HTTP, the
//! AWS SDK with a dynamic key), in Vault's and EC2's shapes, while reads stay open, the
//! room's root token is never held, `free` lifts it and a restart keeps it; short leases
//! reach a seat that mounts `aws` afterwards, and a later call replaces them.

use std::time::{Duration, Instant};

use aws_sdk_ec2::error::ProvideErrorMetadata;
use serde_json::{Value, json};

use super::room_control::cli;
use super::room_lab::{Client, POLICY, ec2, open_room};

/// Vault's 403 body for a step the room holds.
fn held(pace: u8, step: u8, name: &str) -> Value {
    json!({"errors": [format!(
        "permission denied: the facilitator holds the room at step {pace}; step {step} ({name}) opens when they say so"
    )]})
}

async fn pace(client: &Client, root: &str, step: Option<u8>) {
    let (status, body) = client
        .room("POST", "/pace", root, Some(json!({ "step": step })))
        .await;
    assert_eq!(status, 204, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paced_seat_is_refused_its_later_steps_by_the_server_until_the_room_is_freed() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    let (sandbox, client, root, code) = open_room(Some(state.clone()), 3).await;
    let seat = client.seated(&code, "ada").await;
    let token = seat["vault_token"].as_str().unwrap().to_owned();
    let ns = Some("room/ada");
    let bao_env = [
        ("BAO_ADDR", client.url.as_str()),
        ("BAO_TOKEN", token.as_str()),
        ("BAO_NAMESPACE", "room/ada"),
    ];

    // Held at 2: steps 1 and 2 open, as the CLI learner sends them.
    pace(&client, &root, Some(2)).await;
    let (ok, _, err) = cli("bao", &["secrets", "enable", "aws"], &bao_env).await;
    assert!(ok, "{err}");
    let (ok, _, err) = cli(
        "bao",
        &[
            "write",
            "aws/config/root",
            &format!("access_key={}", seat["aws_access_key_id"].as_str().unwrap()),
            &format!(
                "secret_key={}",
                seat["aws_secret_access_key"].as_str().unwrap()
            ),
            "region=us-east-1",
        ],
        &bao_env,
    )
    .await;
    assert!(ok, "{err}");
    // Step 3 is not: `bao` shows the server's words.
    let (ok, _, err) = cli(
        "bao",
        &[
            "write",
            "aws/roles/my-role",
            "credential_type=iam_user",
            &format!("policy_document={POLICY}"),
        ],
        &bao_env,
    )
    .await;
    assert!(!ok, "held");
    assert!(err.contains("Code: 403"), "{err}");
    assert!(
        err.contains(
            "the facilitator holds the room at step 2; step 3 (write a role) opens when they say so"
        ),
        "{err}"
    );
    let role = json!({"credential_type": "iam_user", "policy_document": POLICY});
    let (status, body) = client
        .vault("POST", "aws/roles/my-role", &token, ns, Some(role.clone()))
        .await;
    assert_eq!((status, body), (403, held(2, 3, "write a role")));
    // The room's root token is never held.
    let (status, body) = client
        .vault("POST", "aws/roles/my-role", &root, ns, Some(role))
        .await;
    assert_eq!(status, 204, "{body}");
    // Reads and lists that make no step stay open.
    for (method, path) in [
        ("GET", "aws/config/root"),
        ("GET", "aws/roles/my-role"),
        ("LIST", "aws/roles"),
        ("GET", "sys/mounts"),
        ("GET", "sys/mounts/aws"),
    ] {
        let (status, body) = client.vault(method, path, &token, ns, None).await;
        assert_eq!(status, 200, "{method} {path}: {body}");
    }
    let (status, body) = client
        .vault("GET", "aws/creds/my-role", &token, ns, None)
        .await;
    assert_eq!((status, body), (403, held(2, 4, "read credentials")));

    // Held at 4: creds open; the dynamic key's DescribeInstances is refused as EC2 refuses
    // an action, the seat's root keys' is not (it makes no step).
    pace(&client, &root, Some(4)).await;
    let (status, creds) = client
        .vault("GET", "aws/creds/my-role", &token, ns, None)
        .await;
    assert_eq!(status, 200, "{creds}");
    let lease = creds["lease_id"].as_str().unwrap().to_owned();
    let dynamic = |url: &str| {
        ec2(
            url,
            creds["data"]["access_key"].as_str().unwrap(),
            creds["data"]["secret_key"].as_str().unwrap(),
        )
    };
    let refused = dynamic(&client.url)
        .describe_instances()
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some("UnauthorizedOperation"), "{refused:?}");
    assert!(
        refused
            .message()
            .unwrap()
            .contains("the facilitator holds the room at step 4; step 5 (use the dynamic keys)"),
        "{refused:?}"
    );
    ec2(
        &client.url,
        seat["aws_access_key_id"].as_str().unwrap(),
        seat["aws_secret_access_key"].as_str().unwrap(),
    )
    .describe_instances()
    .send()
    .await
    .unwrap();

    // The holds are in the seat's log, in the server's words, and are not the learner's
    // mistakes.
    let deadline = Instant::now() + Duration::from_secs(10);
    let holds = loop {
        let (_, log) = client
            .room("GET", "/seats/ada/events?limit=500", &root, None)
            .await;
        let holds: Vec<Value> = log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["status"] == 403
                    && e["error"]
                        .as_str()
                        .is_some_and(|w| w.contains("the facilitator holds the room"))
            })
            .cloned()
            .collect();
        if holds.iter().any(|e| e["kind"] == "aws") {
            break holds;
        }
        assert!(Instant::now() < deadline, "{log:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        holds.len(),
        4,
        "roles twice, creds, DescribeInstances: {holds:#?}"
    );
    let (_, room) = client.room("GET", "", &root, None).await;
    assert!(room["seats"][0]["last_error"].is_null(), "{room:#}");

    // Restarted with the same state: still held, on both sides.
    sandbox.shutdown().await.unwrap();
    let (sandbox, client, _, _) = open_room(Some(state), 3).await;
    let refused = dynamic(&client.url)
        .describe_instances()
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some("UnauthorizedOperation"), "{refused:?}");
    let (status, body) = client
        .vault(
            "PUT",
            "sys/leases/revoke",
            &token,
            ns,
            Some(json!({ "lease_id": lease })),
        )
        .await;
    assert_eq!((status, body), (403, held(4, 6, "revoke the lease")));
    let (ok, _, err) = cli(
        "bao",
        &["lease", "revoke", &lease],
        &bao_env_at(&client, &token),
    )
    .await;
    assert!(!ok && err.contains("step 6 (revoke the lease)"), "{err}");

    // Free: everything opens at once.
    pace(&client, &root, None).await;
    dynamic(&client.url)
        .describe_instances()
        .send()
        .await
        .unwrap();
    let (status, body) = client
        .vault(
            "PUT",
            "sys/leases/revoke",
            &token,
            ns,
            Some(json!({ "lease_id": lease })),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    sandbox.shutdown().await.unwrap();
}

fn bao_env_at<'a>(client: &'a Client, token: &'a str) -> [(&'static str, &'a str); 3] {
    [
        ("BAO_ADDR", client.url.as_str()),
        ("BAO_TOKEN", token),
        ("BAO_NAMESPACE", "room/ada"),
    ]
}

/// A seat's `config/lease` as it reads it: (ttl, max_ttl) in Vault's words.
async fn lease_config(client: &Client, seat: &Value) -> (String, String) {
    let (status, body) = client.as_seat("GET", "aws/config/lease", seat, None).await;
    assert_eq!(status, 200, "{body}");
    let field = |k: &str| body["data"][k].as_str().unwrap_or_default().to_owned();
    (field("lease"), field("lease_max"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_leases_reach_seats_that_mount_aws_later_and_a_later_call_replaces_them() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    let (sandbox, client, root, code) = open_room(Some(state.clone()), 3).await;
    let ada = client.seated(&code, "ada").await;
    let bob = client.seated(&code, "bob").await;
    client.mount_aws(&ada).await;

    // Both seats are covered, though only ada has mounted aws yet.
    let (status, body) = client.room("POST", "/short-leases", &root, None).await;
    assert_eq!((status, body), (200, json!({"seats": 2})));
    let short = ("2m0s".to_owned(), "5m0s".to_owned());
    assert_eq!(lease_config(&client, &ada).await, short);
    client.mount_aws(&bob).await;
    assert_eq!(
        lease_config(&client, &bob).await,
        short,
        "mounted afterwards"
    );
    // A credential bob issues is short.
    let token = bob["vault_token"].as_str().unwrap();
    for (path, body) in [
        (
            "aws/config/root",
            json!({
                "access_key": bob["aws_access_key_id"],
                "secret_key": bob["aws_secret_access_key"],
                "region": "us-east-1",
            }),
        ),
        (
            "aws/roles/my-role",
            json!({"credential_type": "iam_user", "policy_document": POLICY}),
        ),
    ] {
        let (status, answer) = client
            .vault("POST", path, token, Some("room/bob"), Some(body))
            .await;
        assert_eq!(status, 204, "{path}: {answer}");
    }
    let (status, creds) = client
        .vault("GET", "aws/creds/my-role", token, Some("room/bob"), None)
        .await;
    assert_eq!(status, 200, "{creds}");
    assert_eq!(creds["lease_duration"], 120);

    // A later call replaces the values everywhere, and is kept across a restart: a seat
    // joining and mounting afterwards gets the new ones.
    let (status, body) = client
        .room(
            "POST",
            "/short-leases",
            &root,
            Some(json!({"ttl": "1m", "max_ttl": "3m"})),
        )
        .await;
    assert_eq!((status, body), (200, json!({"seats": 2})));
    let shorter = ("1m0s".to_owned(), "3m0s".to_owned());
    assert_eq!(lease_config(&client, &ada).await, shorter);
    assert_eq!(lease_config(&client, &bob).await, shorter);
    sandbox.shutdown().await.unwrap();
    let (sandbox, client, _, _) = open_room(Some(state), 3).await;
    let carol = client.seated(&code, "carol").await;
    client.mount_aws(&carol).await;
    assert_eq!(lease_config(&client, &carol).await, shorter);
    sandbox.shutdown().await.unwrap();
}

/// Revoking a token takes its leases along (step 6): while the room is held before that
/// step, a seat's token revocation that would take leases is refused as a lease
/// revocation is; one that takes none (a child token without leases) is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_seat_cannot_revoke_its_leases_by_revoking_its_token() {
    let (sandbox, client, root, code) = open_room(None, 3).await;
    let seat = client.seated(&code, "ada").await;
    let token = seat["vault_token"].as_str().unwrap().to_owned();
    let ns = Some("room/ada");
    let lease = super::room_lab::do_the_lab(&client, &seat).await;
    pace(&client, &root, Some(5)).await;
    let refused = held(5, 6, "revoke the lease");
    let (status, body) = client
        .vault("POST", "auth/token/revoke-self", &token, ns, None)
        .await;
    assert_eq!((status, body), (403, refused.clone()));
    let (status, body) = client
        .vault(
            "POST",
            "auth/token/revoke",
            &token,
            ns,
            Some(json!({ "token": token })),
        )
        .await;
    assert_eq!((status, body), (403, refused.clone()));
    let (status, lookup) = client
        .vault("GET", "auth/token/lookup-self", &token, ns, None)
        .await;
    assert_eq!(status, 200, "{lookup}");
    let (status, body) = client
        .vault(
            "POST",
            "auth/token/revoke-accessor",
            &token,
            ns,
            Some(json!({ "accessor": lookup["data"]["accessor"] })),
        )
        .await;
    assert_eq!((status, body), (403, refused));
    let (status, body) = client
        .vault(
            "PUT",
            "sys/leases/lookup",
            &token,
            ns,
            Some(json!({ "lease_id": lease })),
        )
        .await;
    assert_eq!(status, 200, "the lease lives on: {body}");
    // A child without leases goes.
    let child = client.child_token(&token, ns, &["seat"]).await;
    let (status, body) = client
        .vault(
            "POST",
            "auth/token/revoke",
            &token,
            ns,
            Some(json!({ "token": child })),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    sandbox.shutdown().await.unwrap();
}
