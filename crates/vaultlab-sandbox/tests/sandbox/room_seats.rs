//! A workshop room over HTTP: learners take seats with the join code, each seat a
//! namespace and an AWS account of its own; a seat's token does the whole lab in its
//! namespace and is refused, in Vault's words, everywhere else; seats survive a restart
//! with `--state`; wrong codes are rate-limited.

use aws_sdk_iam::error::ProvideErrorMetadata;
use serde_json::json;

use super::room_lab::{do_the_lab, iam, open_room, user_names};

const DENIED: &str = "1 error occurred:\n\t* permission denied\n\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seats_are_isolated_namespaces_and_accounts_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("room.json");
    let (sandbox, client, root, code) = open_room(Some(state.clone()), 2).await;

    let (status, ada) = client.join(&code.to_lowercase(), "ada", None).await;
    assert_eq!(status, 200, "{ada}");
    assert_eq!(ada["namespace"], "room/ada/");
    assert_eq!(ada["rejoined"], false);
    let bob = client.seated(&code, "bob").await;
    assert_ne!(ada["account_id"], bob["account_id"]);
    let (status, full) = client.join(&code, "carol", None).await;
    assert_eq!(status, 409);
    assert_eq!(full["errors"][0], "the room is full (2 seats)");
    let (status, taken) = client.join(&code, "ada", Some("not-the-secret")).await;
    assert_eq!(status, 409);
    assert!(
        taken["errors"][0].as_str().unwrap().contains("is taken"),
        "{taken}"
    );
    let (status, again) = client.join(&code, "ada", ada["seat_secret"].as_str()).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["rejoined"], true);
    assert_eq!(again["vault_token"], ada["vault_token"]);
    assert_eq!(again["aws_access_key_id"], ada["aws_access_key_id"]);

    // The whole lab in each seat, with the seat's own token and keys.
    let ada_lease = do_the_lab(&client, &ada).await;
    let bob_lease = do_the_lab(&client, &bob).await;
    let ada_ns = client
        .vault("GET", "room/sys/namespaces/ada", &root, None, None)
        .await
        .1;
    let ada_id = ada_ns["data"]["id"].as_str().unwrap();
    assert!(ada_lease.starts_with("aws/creds/my-role/"), "{ada_lease}");
    assert!(ada_lease.ends_with(&format!(".{ada_id}")), "{ada_lease}");

    // Ada's token outside room/ada: Vault's ACL refusal, in its words.
    let ada_token = ada["vault_token"].as_str().unwrap();
    for (method, path, ns) in [
        ("GET", "aws/roles/my-role", Some("room/bob")),
        ("GET", "room/bob/aws/roles/my-role", None),
        ("GET", "bob/aws/config/root", Some("room")),
        ("GET", "sys/mounts", None),
        ("GET", "sys/namespaces?list=true", Some("room")),
        (
            "LIST",
            "sys/leases/lookup/aws/creds/my-role/",
            Some("room/bob"),
        ),
        ("DELETE", "sys/mounts/aws", Some("room/bob")),
        ("POST", "sys/mounts/aws2", None),
    ] {
        let (status, body) = client
            .vault(method, path, ada_token, ns, Some(json!({"type": "aws"})))
            .await;
        assert_eq!(
            (status, body.clone()),
            (403, json!({"errors": [DENIED]})),
            "{method} {path} {ns:?}"
        );
    }
    // Bob's lease, looked up or revoked with ada's token: routed to bob's namespace, refused.
    for path in ["sys/leases/lookup", "sys/leases/revoke"] {
        let (status, body) = client
            .vault(
                "PUT",
                path,
                ada_token,
                Some("room/ada"),
                Some(json!({"lease_id": bob_lease})),
            )
            .await;
        assert_eq!((status, body), (403, json!({"errors": [DENIED]})), "{path}");
    }
    // Listing shows ada her own lease only.
    let (status, listed) = client
        .vault(
            "LIST",
            "sys/leases/lookup/aws/creds/my-role/",
            ada_token,
            Some("room/ada"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{listed}");
    let keys = listed["data"]["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert!(ada_lease.ends_with(keys[0].as_str().unwrap()));
    // The root token sees every seat, and may look up ada's lease from the root.
    let (status, found) = client
        .vault(
            "PUT",
            "sys/leases/lookup",
            &root,
            None,
            Some(json!({"lease_id": ada_lease})),
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["data"]["namespace_path"], "room/ada/");

    // AWS: ada's keys see ada's account only.
    let ada_iam = iam(
        &client.url,
        ada["aws_access_key_id"].as_str().unwrap(),
        ada["aws_secret_access_key"].as_str().unwrap(),
    );
    let bob_users = sandbox
        .aws()
        .account_users(bob["account_id"].as_str().unwrap());
    let bob_vault_user = bob_users.iter().find(|u| u.starts_with("vault-")).unwrap();
    let err = ada_iam
        .get_user()
        .user_name(bob_vault_user)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchEntity"));
    let ada_sees = user_names(&ada_iam).await;
    assert!(!ada_sees.contains(bob_vault_user), "{ada_sees:?}");

    // Ada revokes her lease; bob's is untouched.
    let (status, _) = client
        .vault(
            "PUT",
            "sys/leases/revoke",
            ada_token,
            Some("room/ada"),
            Some(json!({"lease_id": ada_lease})),
        )
        .await;
    assert_eq!(status, 204);
    let ada_users = sandbox
        .aws()
        .account_users(ada["account_id"].as_str().unwrap());
    assert!(
        !ada_users.iter().any(|u| u.starts_with("vault-")),
        "{ada_users:?}"
    );
    assert!(
        sandbox
            .aws()
            .account_users(bob["account_id"].as_str().unwrap())
            .contains(bob_vault_user)
    );

    // The engine's own AWS calls are in the event stream, with why and for which seat.
    let (status, polled) = client
        .vault(
            "GET",
            "../vaultlab/events?format=json&since=0&wait=1s",
            &root,
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{polled}");
    let events = polled["events"].as_array().unwrap();
    let issued = events
        .iter()
        .find(|e| {
            e["kind"] == "aws" && e["action"] == "CreateUser" && e["namespace"] == "room/ada/"
        })
        .unwrap_or_else(|| panic!("{polled:#}"));
    assert_eq!(
        (&issued["origin"], &issued["purpose"]),
        (&json!("engine"), &json!("issue"))
    );
    let revoked = events
        .iter()
        .find(|e| {
            e["kind"] == "aws" && e["action"] == "DeleteUser" && e["namespace"] == "room/ada/"
        })
        .unwrap_or_else(|| panic!("{polled:#}"));
    assert_eq!(revoked["purpose"], "revoke");
    assert_eq!(revoked["lease_id"], json!(ada_lease));
    let seat_request = events
        .iter()
        .find(|e| {
            e["kind"] == "vault"
                && e["path"] == "aws/creds/my-role"
                && e["namespace"] == "room/bob/"
        })
        .unwrap_or_else(|| panic!("{polled:#}"));
    assert_eq!(
        (&seat_request["client"], &seat_request["status"]),
        (&json!("token"), &json!(200))
    );
    assert!(
        !polled.to_string().contains(ada_token),
        "a seat token leaked into the events"
    );

    // A restart with the same state keeps seats, namespaces, policies, tokens and leases.
    sandbox.shutdown().await.unwrap();
    let (sandbox, client, _, _) = open_room(Some(state), 2).await;
    let (status, back) = client.join(&code, "ada", ada["seat_secret"].as_str()).await;
    assert_eq!(status, 200, "{back}");
    assert_eq!(back["vault_token"], ada["vault_token"]);
    let (status, mounts) = client
        .vault("GET", "sys/mounts", ada_token, Some("room/ada/"), None)
        .await;
    assert_eq!(status, 200, "{mounts}");
    assert!(mounts["data"]["aws/"].is_object(), "{mounts}");
    let (status, lease) = client
        .vault(
            "PUT",
            "sys/leases/lookup",
            bob["vault_token"].as_str().unwrap(),
            Some("room/bob"),
            Some(json!({"lease_id": bob_lease})),
        )
        .await;
    assert_eq!(status, 200, "{lease}");
    let (status, _) = client
        .vault("GET", "sys/mounts", ada_token, None, None)
        .await;
    assert_eq!(status, 403);
    sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_are_refused_and_guessing_is_slowed() {
    let (sandbox, client, _, code) = open_room(None, 30).await;
    let (status, body) = client.join("AAAA-AAAA", "eve", None).await;
    assert_eq!(status, 403);
    assert_eq!(
        body["errors"][0],
        "wrong join code: ask the facilitator for the code on the screen"
    );
    let (status, body) = client.join(&code, "Not A Name", None).await;
    assert_eq!(status, 400, "{body}");
    for _ in 0..4 {
        assert_eq!(client.join("AAAA-AAAA", "eve", None).await.0, 403);
    }
    // The sixth guess within the minute is not even compared, the right code neither.
    let (status, body) = client.join(&code, "eve", None).await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("too many wrong join codes")
    );
    // The facilitator's view needs the root token.
    let response = reqwest::Client::new()
        .get(format!("{}/vaultlab/room", client.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    sandbox.shutdown().await.unwrap();
}
