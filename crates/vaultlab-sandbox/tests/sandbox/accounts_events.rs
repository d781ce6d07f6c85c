//! Several AWS accounts in one sandbox (a room's seats), and the event stream that tells
//! a dashboard what happens: both over HTTP, with the real aws-sdk-rust clients.

use std::time::Duration;

use aws_sdk_iam::error::ProvideErrorMetadata;
use serde_json::Value;
use vaultlab_sandbox::aws::AdminCredentials;
use vaultlab_sandbox::{Sandbox, SandboxOptions};

use super::room_lab::sdk_client;

async fn start() -> Sandbox {
    Sandbox::start(SandboxOptions {
        propagation_delay: Duration::ZERO,
        ..SandboxOptions::default()
    })
    .await
    .unwrap()
}

fn iam(url: &str, keys: &AdminCredentials) -> aws_sdk_iam::Client {
    let secret = keys.secret_access_key.expose();
    sdk_client!(aws_sdk_iam, url, &keys.access_key_id, secret)
}

fn sts(url: &str, keys: &AdminCredentials) -> aws_sdk_sts::Client {
    let secret = keys.secret_access_key.expose();
    sdk_client!(aws_sdk_sts, url, &keys.access_key_id, secret)
}

fn ec2(url: &str, keys: &AdminCredentials) -> aws_sdk_ec2::Client {
    let secret = keys.secret_access_key.expose();
    sdk_client!(aws_sdk_ec2, url, &keys.access_key_id, secret)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seats_account_has_its_own_id_users_and_keys_and_sees_no_other() {
    let sandbox = start().await;
    let url = sandbox.aws_endpoint_url().to_owned();
    let home = sandbox.admin_credentials();
    let seat = sandbox
        .aws()
        .create_account(Some("room/ada/".into()))
        .unwrap();
    assert_ne!(seat.account_id, home.account_id);
    assert!(
        seat.user_arn.contains(&seat.account_id),
        "{}",
        seat.user_arn
    );

    let who = sts(&url, &seat).get_caller_identity().send().await.unwrap();
    assert_eq!(who.account(), Some(seat.account_id.as_str()));

    let seat_iam = iam(&url, &seat);
    seat_iam
        .create_user()
        .user_name("vault-ada")
        .send()
        .await
        .unwrap();
    // The same name in another account is another user.
    let home_iam = iam(&url, &home);
    let err = home_iam
        .get_user()
        .user_name("vault-ada")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchEntity"));
    home_iam
        .create_user()
        .user_name("vault-ada")
        .send()
        .await
        .unwrap();
    let listed: Vec<String> = seat_iam
        .list_users()
        .send()
        .await
        .unwrap()
        .users()
        .iter()
        .map(|u| u.arn().to_owned())
        .collect();
    assert!(
        listed.iter().all(|arn| arn.contains(&seat.account_id)),
        "{listed:?}"
    );
    // A key of one account cannot touch the other's user.
    home_iam
        .create_user()
        .user_name("home-only")
        .send()
        .await
        .unwrap();
    let err = seat_iam
        .delete_user()
        .user_name("home-only")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchEntity"));
    assert_eq!(sandbox.aws().account_users(&home.account_id).len(), 3);

    // EC2 answers in the seat's account, with its keys.
    ec2(&url, &seat).describe_instances().send().await.unwrap();

    // Deleting the account takes its users and keys with it.
    let gone = sandbox.aws().delete_account(&seat.account_id);
    assert!(gone.contains(&"vault-ada".to_owned()), "{gone:?}");
    let err = sts(&url, &seat)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidClientTokenId"));
    sandbox.shutdown().await.unwrap();
}

async fn poll(http: &reqwest::Client, url: &str, token: Option<&str>, since: u64) -> (u16, Value) {
    let mut request = http.get(format!(
        "{url}/vaultlab/events?format=json&since={since}&wait=2s"
    ));
    if let Some(token) = token {
        request = request.header("X-Vault-Token", token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_tells_vault_and_aws_requests_without_their_secrets() {
    let sandbox = start().await;
    let url = sandbox.vault_addr().to_owned();
    let root = sandbox.root_token().expose().to_owned();
    let http = reqwest::Client::new();

    let (status, _) = poll(&http, &url, None, 0).await;
    assert_eq!(status, 403, "the stream needs the root token");
    let (status, _) = poll(&http, &url, Some("s.nope"), 0).await;
    assert_eq!(status, 403);

    let response = http
        .get(format!("{url}/v1/sys/mounts/nosuch"))
        .header("X-Vault-Token", &root)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let admin = sandbox.admin_credentials();
    sts(&url, &admin)
        .get_caller_identity()
        .send()
        .await
        .unwrap();

    let (status, body) = poll(&http, &url, Some(&root), 0).await;
    assert_eq!(status, 200, "{body}");
    let events = body["events"].as_array().unwrap();
    let vault = events
        .iter()
        .find(|e| e["kind"] == "vault" && e["path"] == "sys/mounts/nosuch")
        .unwrap_or_else(|| panic!("{body:#}"));
    assert_eq!(vault["method"], "GET");
    assert_eq!(vault["status"], 400);
    assert_eq!(vault["client"], "root");
    assert_eq!(vault["error"], "No secret engine mount at nosuch/");
    let aws = events
        .iter()
        .find(|e| e["kind"] == "aws" && e["action"] == "GetCallerIdentity")
        .unwrap_or_else(|| panic!("{body:#}"));
    assert_eq!(aws["origin"], "client");
    assert_eq!(aws["key"], "admin");
    assert_eq!(aws["account"], admin.account_id.as_str());
    let text = body.to_string();
    assert!(!text.contains(&root), "the root token leaked into an event");
    assert!(!text.contains(admin.secret_access_key.expose()));

    // Since the last one: nothing new but this poll's wait, then a new request.
    let last = body["last_seq"].as_u64().unwrap();
    let (_, later) = poll(&http, &url, Some(&root), last).await;
    assert!(
        later["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["seq"].as_u64().unwrap() > last),
        "{later:#}"
    );
    sandbox.shutdown().await.unwrap();
}
