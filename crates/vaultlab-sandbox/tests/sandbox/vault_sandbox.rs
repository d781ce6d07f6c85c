//! The Vault-compatible sandbox server driven over HTTP (reqwest) and by the real `bao`
//! CLI, with its AWS engine creating and deleting real IAM users in moto.

use vaultlab_testkit as common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Notify;
use vaultlab_sandbox::vault::{VaultOptions, VaultServer, VaultState};

const POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}
  ]
}
"#;

/// An HTTP client for one server, with its root token.
struct Api {
    url: String,
    token: String,
    http: reqwest::Client,
}

struct Sandbox {
    api: Api,
    server: VaultServer,
    moto: common::PeerProcess,
    admin: common::MotoAdmin,
}

impl std::ops::Deref for Sandbox {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

/// Serves `server` on a free loopback port; returns its client.
async fn serve(server: &VaultServer) -> Api {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = server.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Api {
        url,
        token: server.root_token().expose().to_owned(),
        http: reqwest::Client::new(),
    }
}

async fn start() -> Sandbox {
    let moto = common::start_moto();
    let admin = common::enforce_moto_auth(&moto).await;
    let server = VaultServer::new(
        VaultState::new(),
        VaultOptions {
            default_aws_endpoint: moto.url(),
            default_region: "us-east-1".into(),
        },
        Arc::new(Notify::new()),
    );
    let api = serve(&server).await;
    server.spawn_lease_expiry();
    Sandbox {
        api,
        server,
        moto,
        admin,
    }
}

impl Api {
    async fn call_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (StatusCode, String) {
        let mut req = self.http.request(
            Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}/v1/{path}", self.url),
        );
        if let Some(token) = token {
            req = req.header("X-Vault-Token", token);
        }
        if let Some(body) = body {
            req = req.body(body.to_owned());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.text().await.unwrap())
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let body = body.map(|b| b.to_string());
        let (status, text) = self
            .call_raw(method, path, Some(&self.token), body.as_deref())
            .await;
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        (status, value)
    }
}

impl Sandbox {
    async fn configure(&self, mount: &str) {
        let (status, _) = self
            .call(
                "POST",
                &format!("sys/mounts/{mount}"),
                Some(json!({"type": "aws"})),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = self
            .call(
                "POST",
                &format!("{mount}/config/root"),
                Some(json!({
                    "access_key": self.admin.access_key_id,
                    "secret_key": self.admin.secret_access_key,
                    "region": "us-east-1",
                    "iam_endpoint": self.moto.url(),
                    "sts_endpoint": self.moto.url(),
                })),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = self
            .call(
                "POST",
                &format!("{mount}/roles/my-role"),
                Some(json!({"credential_type": "iam_user", "policy_document": POLICY})),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }

    fn iam(&self) -> aws_sdk_iam::Client {
        let config = aws_sdk_iam::Config::builder()
            .http_client(vaultlab_testkit::sdk_http_client())
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(self.moto.url())
            .credentials_provider(Credentials::new(
                self.admin.access_key_id.clone(),
                self.admin.secret_access_key.clone(),
                None,
                None,
                "test",
            ))
            .build();
        aws_sdk_iam::Client::from_conf(config)
    }

    async fn vault_users(&self) -> Vec<String> {
        self.iam()
            .list_users()
            .send()
            .await
            .unwrap()
            .users
            .into_iter()
            .map(|u| u.user_name)
            .filter(|n| n.starts_with("vault-"))
            .collect()
    }

    async fn wait_until_gone(&self, user: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if !self.vault_users().await.iter().any(|u| u == user) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "IAM user {user} still exists after {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

fn error_text(body: &Value) -> String {
    body["errors"][0].as_str().unwrap_or_default().to_owned()
}

async fn bao(
    sandbox: &Sandbox,
    home: &std::path::Path,
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String, String) {
    use tokio::io::AsyncWriteExt;
    let mut command = tokio::process::Command::new(common::peer_program("bao"));
    command
        .args(args)
        .env("VAULT_ADDR", &sandbox.url)
        .env("BAO_ADDR", &sandbox.url)
        .env("VAULT_TOKEN", &sandbox.token)
        .env("BAO_TOKEN", &sandbox.token)
        .env("HOME", home)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("run bao");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.unwrap();
    }
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The value of `key` in the CLI's `Key  Value` table.
fn table_value(output: &str, key: &str) -> Option<String> {
    output.lines().find_map(|line| {
        let mut parts = line.split_whitespace();
        (parts.next()? == key).then(|| parts.collect::<Vec<_>>().join(" "))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bao_cli_runs_the_lab_against_the_sandbox() {
    let sandbox = start().await;
    let home = tempfile::tempdir().unwrap();
    let home = home.path();

    let (ok, out, err) = bao(
        &sandbox,
        home,
        &["secrets", "enable", "-path=aws", "aws"],
        None,
    )
    .await;
    assert!(ok, "secrets enable: {out}{err}");
    assert!(
        out.contains("Success! Enabled the aws secrets engine at: aws/"),
        "{out}"
    );

    let access_key = format!("access_key={}", sandbox.admin.access_key_id);
    let secret_key = format!("secret_key={}", sandbox.admin.secret_access_key);
    let iam_endpoint = format!("iam_endpoint={}", sandbox.moto.url());
    let sts_endpoint = format!("sts_endpoint={}", sandbox.moto.url());
    let (ok, out, err) = bao(
        &sandbox,
        home,
        &[
            "write",
            "aws/config/root",
            &access_key,
            &secret_key,
            "region=us-east-1",
            &iam_endpoint,
            &sts_endpoint,
        ],
        None,
    )
    .await;
    assert!(ok, "write config/root: {out}{err}");
    assert!(
        out.contains("Success! Data written to: aws/config/root"),
        "{out}"
    );

    let (ok, out, err) = bao(
        &sandbox,
        home,
        &[
            "write",
            "aws/roles/my-role",
            "credential_type=iam_user",
            "policy_document=-",
        ],
        Some(POLICY),
    )
    .await;
    assert!(ok, "write role: {out}{err}");

    let (ok, out, err) = bao(&sandbox, home, &["read", "aws/creds/my-role"], None).await;
    assert!(ok, "read creds: {out}{err}");
    let lease_id = table_value(&out, "lease_id").expect("lease_id row");
    assert!(lease_id.starts_with("aws/creds/my-role/"), "{out}");
    assert_eq!(lease_id.rsplit('/').next().unwrap().len(), 24);
    assert_eq!(
        table_value(&out, "lease_duration").as_deref(),
        Some("768h"),
        "{out}"
    );
    assert_eq!(
        table_value(&out, "lease_renewable").as_deref(),
        Some("true"),
        "{out}"
    );
    let access_key_id = table_value(&out, "access_key").expect("access_key row");
    assert!(
        table_value(&out, "secret_key").is_some_and(|s| !s.is_empty()),
        "{out}"
    );
    assert_eq!(
        table_value(&out, "security_token").as_deref(),
        Some("<nil>"),
        "{out}"
    );

    // The IAM user exists in moto, with the role's inline policy and the issued key.
    let users = sandbox.vault_users().await;
    assert_eq!(users.len(), 1, "{users:?}");
    let user = users[0].clone();
    assert!(user.starts_with("vault-root-my-role-"), "{user}");
    let iam = sandbox.iam();
    let policies = iam
        .list_user_policies()
        .user_name(&user)
        .send()
        .await
        .unwrap()
        .policy_names;
    assert_eq!(policies, ["my-role"]);
    let keys = iam
        .list_access_keys()
        .user_name(&user)
        .send()
        .await
        .unwrap()
        .access_key_metadata;
    assert_eq!(
        keys[0].access_key_id.as_deref(),
        Some(access_key_id.as_str())
    );

    let (ok, out, err) = bao(&sandbox, home, &["lease", "lookup", &lease_id], None).await;
    assert!(ok, "lease lookup: {out}{err}");
    assert_eq!(
        table_value(&out, "id").as_deref(),
        Some(lease_id.as_str()),
        "{out}"
    );

    let (ok, out, err) = bao(&sandbox, home, &["lease", "renew", &lease_id], None).await;
    assert!(ok, "lease renew: {out}{err}");
    assert_eq!(
        table_value(&out, "lease_id").as_deref(),
        Some(lease_id.as_str()),
        "{out}"
    );
    assert_eq!(
        table_value(&out, "lease_renewable").as_deref(),
        Some("true"),
        "{out}"
    );

    let (ok, out, err) = bao(&sandbox, home, &["secrets", "list"], None).await;
    assert!(ok, "secrets list: {out}{err}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("aws/") && l.contains("aws")),
        "{out}"
    );

    let (ok, out, err) = bao(&sandbox, home, &["read", "aws/config/root"], None).await;
    assert!(ok, "read config/root: {out}{err}");
    assert_eq!(
        table_value(&out, "region").as_deref(),
        Some("us-east-1"),
        "{out}"
    );
    assert!(
        !out.contains(&sandbox.admin.secret_access_key),
        "config/root read shows the secret"
    );

    let (ok, out, err) = bao(&sandbox, home, &["list", "aws/roles"], None).await;
    assert!(ok, "list roles: {out}{err}");
    assert!(out.lines().any(|l| l.trim() == "my-role"), "{out}");

    let (ok, out, err) = bao(
        &sandbox,
        home,
        &["write", "aws/roles/legacy", "policy=-"],
        Some(POLICY),
    )
    .await;
    assert!(ok, "legacy role: {out}{err}");
    assert!(
        format!("{out}{err}").contains("Detected use of legacy role or policy parameter."),
        "{out}{err}"
    );

    let (ok, out, err) = bao(&sandbox, home, &["token", "lookup"], None).await;
    assert!(ok, "token lookup: {out}{err}");
    assert_eq!(
        table_value(&out, "display_name").as_deref(),
        Some("root"),
        "{out}"
    );
    assert_eq!(
        table_value(&out, "policies").as_deref(),
        Some("[root]"),
        "{out}"
    );

    let (ok, out, err) = bao(&sandbox, home, &["status"], None).await;
    assert!(ok, "status: {out}{err}");
    assert_eq!(
        table_value(&out, "Sealed").as_deref(),
        Some("false"),
        "{out}"
    );

    let (ok, out, err) = bao(&sandbox, home, &["read", "aws/creds/nope"], None).await;
    assert!(!ok, "reading an unknown role succeeded: {out}");
    assert!(
        err.contains("Code: 400. Errors:") && err.contains("* Role \"nope\" not found"),
        "{err}"
    );

    let (ok, out, err) = bao(&sandbox, home, &["lease", "revoke", &lease_id], None).await;
    assert!(ok, "lease revoke: {out}{err}");
    assert!(
        out.contains("All revocation operations queued successfully!"),
        "{out}"
    );
    sandbox
        .wait_until_gone(&user, Duration::from_secs(20))
        .await;

    let (status, body) = sandbox
        .call(
            "PUT",
            "sys/leases/lookup",
            Some(json!({"lease_id": lease_id})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_text(&body), "invalid lease");

    let (ok, out, err) = bao(
        &sandbox,
        home,
        &["write", "aws/config/lease", "lease=30m", "lease_max=12h"],
        None,
    )
    .await;
    assert!(ok, "write config/lease: {out}{err}");
    let (ok, out, err) = bao(&sandbox, home, &["read", "aws/config/lease"], None).await;
    assert!(ok, "read config/lease: {out}{err}");
    assert_eq!(
        table_value(&out, "lease").as_deref(),
        Some("30m0s"),
        "{out}"
    );
    assert_eq!(
        table_value(&out, "lease_max").as_deref(),
        Some("12h0m0s"),
        "{out}"
    );
    let (ok, out, err) = bao(&sandbox, home, &["read", "aws/creds/my-role"], None).await;
    assert!(ok, "read creds: {out}{err}");
    assert_eq!(
        table_value(&out, "lease_duration").as_deref(),
        Some("30m"),
        "{out}"
    );
    let second = table_value(&out, "lease_id").expect("lease_id row");
    let (ok, out, err) = bao(&sandbox, home, &["lease", "revoke", "-sync", &second], None).await;
    assert!(ok, "lease revoke -sync: {out}{err}");
    assert!(out.contains("Success! Revoked lease"), "{out}");
    assert!(
        sandbox.vault_users().await.is_empty(),
        "sync revoke left a user"
    );

    let (ok, out, err) = bao(&sandbox, home, &["secrets", "disable", "aws"], None).await;
    assert!(ok, "secrets disable: {out}{err}");
    assert!(
        out.contains("Success! Disabled the secrets engine"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_issue_lookup_list_and_sync_revoke() {
    let sandbox = start().await;
    sandbox.configure("aws").await;

    let (status, creds) = sandbox
        .call("POST", "aws/creds/my-role", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::OK, "{creds}");
    let lease_id = creds["lease_id"].as_str().unwrap().to_owned();
    assert!(lease_id.starts_with("aws/creds/my-role/"));
    assert_eq!(creds["renewable"], true);
    assert_eq!(creds["lease_duration"], 2_764_800);
    assert!(
        creds["data"]["access_key"]
            .as_str()
            .is_some_and(|k| !k.is_empty())
    );
    assert_eq!(creds["data"]["security_token"], Value::Null);
    assert!(uuid::Uuid::parse_str(creds["request_id"].as_str().unwrap()).is_ok());

    let (status, lookup) = sandbox
        .call(
            "PUT",
            "sys/leases/lookup",
            Some(json!({"lease_id": lease_id})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(lookup["data"]["id"], lease_id.as_str());
    assert_eq!(lookup["data"]["renewable"], true);
    assert_eq!(lookup["data"]["last_renewal"], Value::Null);
    assert!(lookup["data"]["ttl"].as_i64().unwrap() > 2_764_000);

    let (status, list) = sandbox
        .call("LIST", "sys/leases/lookup/aws/creds/my-role/", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let suffix = lease_id.rsplit('/').next().unwrap();
    assert_eq!(list["data"]["keys"], json!([suffix]));

    let (status, role) = sandbox.call("GET", "aws/roles/my-role", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(role["data"]["credential_type"], "iam_user");
    assert_eq!(role["data"]["policy_arns"], Value::Null);
    assert!(
        !role["data"]["policy_document"]
            .as_str()
            .unwrap()
            .contains('\n')
    );

    let (status, caps) = sandbox
        .call(
            "POST",
            "sys/capabilities-self",
            Some(json!({"paths": ["aws/creds/my-role"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(caps["data"]["aws/creds/my-role"], json!(["root"]));
    assert_eq!(caps["aws/creds/my-role"], json!(["root"]));
    assert_eq!(caps["capabilities"], json!(["root"]));

    let (status, config) = sandbox.call("GET", "aws/config/root", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(config["data"].get("secret_key").is_none());
    assert_eq!(config["data"]["max_retries"], -1);

    let user = sandbox.vault_users().await.pop().expect("an IAM user");
    let (status, body) = sandbox
        .call(
            "PUT",
            "sys/leases/revoke",
            Some(json!({"lease_id": lease_id, "sync": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(
        !sandbox.vault_users().await.contains(&user),
        "sync revoke left {user}"
    );
    assert!(sandbox.server.snapshot().leases.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_lease_expires_and_renew_is_capped_by_lease_max() {
    let sandbox = start().await;
    sandbox.configure("aws").await;
    let (status, _) = sandbox
        .call(
            "POST",
            "aws/config/lease",
            Some(json!({"lease": "2s", "lease_max": "4s"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, lease_config) = sandbox.call("GET", "aws/config/lease", None).await;
    assert_eq!(
        lease_config["data"],
        json!({"lease": "2s", "lease_max": "4s"})
    );

    let (status, creds) = sandbox.call("GET", "aws/creds/my-role", None).await;
    assert_eq!(status, StatusCode::OK, "{creds}");
    assert_eq!(creds["lease_duration"], 2);
    let lease_id = creds["lease_id"].as_str().unwrap().to_owned();
    let user = sandbox.vault_users().await.pop().expect("an IAM user");

    let (status, renewed) = sandbox
        .call(
            "PUT",
            &format!("sys/leases/renew/{lease_id}"),
            Some(json!({"increment": 3600})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_eq!(renewed["lease_id"], lease_id.as_str());
    let granted = renewed["lease_duration"].as_u64().unwrap();
    assert!(granted <= 4, "renew granted {granted}s past lease_max 4s");
    let warning = renewed["warnings"][0].as_str().unwrap();
    assert!(
        warning.starts_with("TTL of \"1h0m0s\" exceeded the effective max_ttl of"),
        "{warning}"
    );

    // Nobody revokes it: the server does, at expiry.
    sandbox
        .wait_until_gone(&user, Duration::from_secs(30))
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while sandbox.server.snapshot().leases.contains_key(&lease_id) {
        assert!(
            Instant::now() < deadline,
            "expired lease still in the table"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, body) = sandbox
        .call(
            "PUT",
            "sys/leases/renew",
            Some(json!({"lease_id": lease_id})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_text(&body), "lease not found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_get_vaults_errors_and_the_server_keeps_serving() {
    let sandbox = start().await;
    sandbox.configure("aws").await;
    let token = sandbox.token.clone();

    let (status, text) = sandbox
        .call_raw(
            "PUT",
            "aws/roles/x",
            Some(&token),
            Some("{\"credential_type\":"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        text.trim(),
        r#"{"errors":["failed to parse JSON input: unexpected EOF"]}"#
    );

    let (status, body) = sandbox
        .call(
            "PUT",
            "aws/roles/x",
            Some(json!({"credential_type": "iam_user", "policy_document": "not json"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_text(&body),
        r#"cannot parse policy document: "not json""#
    );

    let (status, body) = sandbox.call("GET", "aws/creds/nope", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_text(&body), r#"Role "nope" not found"#);

    let (status, body) = sandbox.call("GET", "aws/roles/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"errors": []}));

    let (status, body) = sandbox
        .call("POST", "sys/mounts/aws", Some(json!({"type": "aws"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_text(&body), "path is already in use at aws/");

    let (status, body) = sandbox
        .call("POST", "sys/mounts/x", Some(json!({"type": "unicorn"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_text(&body),
        "plugin not found in the catalog: unicorn"
    );
    // An engine Vault has and the sandbox lacks is named as such.
    let (status, body) = sandbox
        .call("POST", "sys/mounts/kv", Some(json!({"type": "kv"})))
        .await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    assert_eq!(
        error_text(&body),
        "vaultlab sandbox does not implement the kv secrets engine; it has only the aws engine"
    );

    for (path, expected) in [
        ("sys/mounts/sys/x", "cannot mount \"sys/x/\""),
        ("sys/mounts/aws/nested", "path is already in use at aws/"),
    ] {
        let (status, body) = sandbox
            .call("POST", path, Some(json!({"type": "aws"})))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error_text(&body), expected);
    }
    let (status, body) = sandbox.call("POST", "sys/mounts/x", Some(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_text(&body),
        "backend type must be specified as a string"
    );
    let (status, body) = sandbox.call("LIST", "sys/mounts", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        error_text(&body),
        "1 error occurred:\n\t* unsupported path\n\n"
    );

    let (status, body) = sandbox
        .call(
            "PUT",
            "sys/leases/lookup",
            Some(json!({"lease_id": "aws/creds/my-role/x"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_text(&body), "invalid lease");

    let (status, body) = sandbox
        .call(
            "PUT",
            "sys/leases/renew",
            Some(json!({"lease_id": "aws/creds/my-role/x"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_text(&body), "lease not found");

    // An unknown lease is revoked already: 204 by default (sync), 202 when queued.
    for (body, expected) in [
        ("{}", StatusCode::NO_CONTENT),
        ("{\"sync\":false}", StatusCode::ACCEPTED),
    ] {
        let (status, text) = sandbox
            .call_raw(
                "PUT",
                "sys/leases/revoke/aws/creds/my-role/x",
                Some(&token),
                Some(body),
            )
            .await;
        assert_eq!(status, expected, "{body}");
        assert!(text.is_empty());
    }

    for bad in [Some("hvs.wrong"), None] {
        let (status, text) = sandbox.call_raw("GET", "sys/mounts", bad, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(text.trim(), r#"{"errors":["permission denied"]}"#);
    }

    let (status, body) = sandbox.call("GET", "x/y", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        error_text(&body),
        r#"no handler for route "x/y". route entry not found."#
    );

    let (status, body) = sandbox.call("DELETE", "sys/mounts/sys", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_text(&body), "cannot unmount \"sys/\"");

    let (status, body) = sandbox.call("LIST", "aws/roles", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["keys"], json!(["my-role"]));

    let (status, health) = sandbox.call("GET", "sys/health", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["sealed"], false);
    assert!(
        health["version"]
            .as_str()
            .unwrap()
            .ends_with("+vaultlab-sandbox")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_root_keys_give_error_creating_iam_user() {
    let sandbox = start().await;
    sandbox.configure("aws").await;
    let (status, _) = sandbox
        .call(
            "POST",
            "aws/config/root",
            Some(json!({
                "access_key": "AKIAWRONGWRONGWRONG0",
                "secret_key": "not-the-secret",
                "region": "us-east-1",
                "iam_endpoint": sandbox.moto.url(),
                "max_retries": 0,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = sandbox.call("GET", "aws/creds/my-role", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = error_text(&body);
    assert!(
        message.starts_with("Error creating IAM user: "),
        "{message}"
    );
    assert!(
        !message.contains("not-the-secret"),
        "the secret key leaked into an error"
    );
    assert!(sandbox.vault_users().await.is_empty());
    assert!(sandbox.server.snapshot().leases.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_mount_lists_and_disabling_revokes_its_leases() {
    let sandbox = start().await;
    sandbox.configure("team/aws").await;
    let (status, mounts) = sandbox.call("GET", "sys/mounts", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mounts["data"]["team/aws/"]["type"], "aws");
    assert_eq!(
        mounts["team/aws/"]["type"], "aws",
        "table copied at top level"
    );
    assert!(
        mounts["data"]["team/aws/"]["accessor"]
            .as_str()
            .unwrap()
            .starts_with("aws_")
    );
    assert_eq!(mounts["data"]["sys/"]["type"], "system");

    let (status, creds) = sandbox.call("GET", "team/aws/creds/my-role", None).await;
    assert_eq!(status, StatusCode::OK, "{creds}");
    assert!(
        creds["lease_id"]
            .as_str()
            .unwrap()
            .starts_with("team/aws/creds/my-role/")
    );
    assert_eq!(sandbox.vault_users().await.len(), 1);

    let (status, _) = sandbox.call("DELETE", "sys/mounts/team/aws", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        sandbox.vault_users().await.is_empty(),
        "disabling left the IAM user"
    );
    let (status, body) = sandbox.call("GET", "team/aws/creds/my-role", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = sandbox.call("DELETE", "sys/mounts/team/aws", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

/// A second server from `state` (as after a restart from the state file), on `clock`.
async fn restart(
    sandbox: &Sandbox,
    state: VaultState,
    clock: Option<vaultlab_sandbox::vault::clock::SharedClock>,
) -> (VaultServer, Api) {
    let mut server = VaultServer::new(
        state,
        VaultOptions {
            default_aws_endpoint: sandbox.moto.url(),
            default_region: "us-east-1".into(),
        },
        Arc::new(Notify::new()),
    );
    if let Some(clock) = clock {
        server = server.with_clock(clock);
    }
    let api = serve(&server).await;
    (server, api)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_revocations_retry_then_stay_irrevocable_with_their_error() {
    let sandbox = start().await;
    sandbox.configure("aws").await;
    let (_, creds) = sandbox.call("GET", "aws/creds/my-role", None).await;
    let lease_id = creds["lease_id"].as_str().unwrap().to_owned();
    let user = sandbox.vault_users().await.pop().expect("an IAM user");

    // From a server on a manual clock holding the same state, with root keys that AWS
    // rejects, revocation cannot succeed.
    let clock = vaultlab_sandbox::vault::clock::ManualClock::new(chrono::Utc::now());
    let (server, other) = restart(
        &sandbox,
        sandbox.server.snapshot(),
        Some(Arc::new(clock.clone())),
    )
    .await;
    server.spawn_lease_expiry();
    let (status, _) = other
        .call(
            "POST",
            "aws/config/root",
            Some(json!({
                "access_key": "AKIAWRONGWRONGWRONG0",
                "secret_key": "wrong",
                "iam_endpoint": sandbox.moto.url(),
                "max_retries": 0,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Synchronous revocation reports the AWS error in Vault's words.
    let (status, body) = other
        .call(
            "PUT",
            "sys/leases/revoke",
            Some(json!({"lease_id": lease_id, "sync": true})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error_text(&body).starts_with(
            "failed to revoke entry: resp: (*logical.Response)(nil) err: InvalidClientTokenId:"
        ),
        "{body}"
    );

    // Queued revocation: 202, then retries with backoff until it gives up.
    let (status, _) = other
        .call(
            "PUT",
            &format!("sys/leases/revoke/{lease_id}"),
            Some(json!({"sync": false})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let lease = server.snapshot().leases[&lease_id].clone();
        if lease.irrevocable {
            assert_eq!(lease.revoke_attempts, 6);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not irrevocable after 30 s: {lease:?}"
        );
        // Jump past any backoff (at most 160 s · 1.5).
        clock.advance(chrono::Duration::seconds(300));
        server.wake_lease_expiry();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, lookup) = other
        .call(
            "PUT",
            "sys/leases/lookup",
            Some(json!({"lease_id": lease_id})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        lookup["data"]["revoke_error"]
            .as_str()
            .unwrap()
            .contains("InvalidClientTokenId"),
        "{lookup}"
    );
    assert!(
        sandbox.vault_users().await.contains(&user),
        "the user should have survived"
    );
    let (status, listed) = other.call("GET", "sys/leases?type=irrevocable", None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["data"]["lease_count"], 1);
    assert_eq!(listed["data"]["leases"][0]["lease_id"], lease_id.as_str());
    assert!(
        listed["data"]["leases"][0]["mount_id"]
            .as_str()
            .unwrap()
            .starts_with("aws_")
    );
    let (status, counted) = other
        .call("GET", "sys/leases/count?type=irrevocable", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{counted}");
    assert_eq!(counted["data"]["lease_count"], 1);
    let (status, body) = other
        .call(
            "PUT",
            "sys/leases/renew",
            Some(json!({"lease_id": lease_id})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_text(&body),
        "lease is expired and has failed previous revocation attempts"
    );

    // With working keys again, a synchronous revoke cleans up.
    let (status, _) = other
        .call(
            "POST",
            "aws/config/root",
            Some(json!({
                "access_key": sandbox.admin.access_key_id,
                "secret_key": sandbox.admin.secret_access_key,
                "iam_endpoint": sandbox.moto.url(),
            })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = other
        .call(
            "PUT",
            "sys/leases/revoke",
            Some(json!({"lease_id": lease_id, "sync": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(!sandbox.vault_users().await.contains(&user));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_from_state_revokes_leases_that_expired_meanwhile() {
    let moto = common::start_moto();
    let admin = common::enforce_moto_auth(&moto).await;
    let notify = Arc::new(Notify::new());
    // A server whose expiry worker never runs (the process "stopped").
    let server = VaultServer::new(
        VaultState::new(),
        VaultOptions {
            default_aws_endpoint: moto.url(),
            default_region: "us-east-1".into(),
        },
        notify.clone(),
    );
    let api = serve(&server).await;
    let sandbox = Sandbox {
        api,
        server: server.clone(),
        moto,
        admin,
    };
    sandbox.configure("aws").await;
    // Every mutation rings the change notifier (a stored permit resolves at once).
    tokio::time::timeout(Duration::from_secs(1), notify.notified())
        .await
        .expect("on_change was rung");
    sandbox
        .call(
            "POST",
            "aws/config/lease",
            Some(json!({"lease": "1s", "lease_max": "1s"})),
        )
        .await;
    let (status, creds) = sandbox.call("GET", "aws/creds/my-role", None).await;
    assert_eq!(status, StatusCode::OK, "{creds}");
    let user = sandbox.vault_users().await.pop().expect("an IAM user");

    // The state file round trip, then a new server after the lease has expired.
    let json = serde_json::to_string(&server.snapshot()).unwrap();
    assert!(
        json.contains(&sandbox.admin.secret_access_key),
        "secret_key is persisted"
    );
    let state: VaultState = serde_json::from_str(&json).unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        sandbox.vault_users().await.contains(&user),
        "nothing revoked it yet"
    );
    let (restarted, _api) = restart(&sandbox, state, None).await;
    restarted.spawn_lease_expiry();
    sandbox
        .wait_until_gone(&user, Duration::from_secs(20))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_prefix_and_the_old_renew_revoke_aliases() {
    let sandbox = start().await;
    sandbox.configure("aws").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (status, creds) = sandbox.call("GET", "aws/creds/my-role", None).await;
        assert_eq!(status, StatusCode::OK, "{creds}");
        ids.push(creds["lease_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(sandbox.vault_users().await.len(), 3);

    // The pre-`sys/leases` aliases still work.
    let (status, renewed) = sandbox
        .call(
            "PUT",
            &format!("sys/renew/{}", ids[0]),
            Some(json!({"increment": "1h"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_eq!(renewed["lease_duration"], 3600);
    assert_eq!(renewed["data"], Value::Null);
    let (_, lookup) = sandbox
        .call(
            "PUT",
            "sys/leases/lookup",
            Some(json!({"lease_id": ids[0]})),
        )
        .await;
    assert!(lookup["data"]["last_renewal"].is_string(), "{lookup}");
    let (status, _) = sandbox
        .call(
            "PUT",
            &format!("sys/revoke/{}", ids[0]),
            Some(json!({"sync": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(sandbox.vault_users().await.len(), 2);

    let (status, text) = sandbox
        .call_raw(
            "PUT",
            "sys/leases/revoke-prefix/aws/creds/my-role",
            Some(&sandbox.token),
            Some("{\"sync\":false}"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(text.is_empty());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sandbox.vault_users().await.is_empty() {
        assert!(Instant::now() < deadline, "revoke-prefix left users behind");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (status, body) = sandbox
        .call("LIST", "sys/leases/lookup/aws/creds/my-role", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_step_after_create_user_is_rolled_back() {
    let sandbox = start().await;
    sandbox.configure("aws").await;
    let (status, body) = sandbox
        .call(
            "POST",
            "aws/roles/broken",
            Some(json!({
                "credential_type": "iam_user",
                "policy_document": POLICY,
                "policy_arns": "arn:aws:iam::123456789012:policy/does-not-exist",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = sandbox.call("GET", "aws/creds/broken", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = error_text(&body);
    assert!(
        message.starts_with("Error attaching user policy: "),
        "{message}"
    );
    assert!(
        sandbox.vault_users().await.is_empty(),
        "the half-created user was left behind"
    );
    assert!(sandbox.server.snapshot().leases.is_empty());

    // The same role read through sts/ names its lease after that path.
    let (status, creds) = sandbox.call("GET", "aws/sts/my-role", None).await;
    assert_eq!(status, StatusCode::OK, "{creds}");
    assert!(
        creds["lease_id"]
            .as_str()
            .unwrap()
            .starts_with("aws/sts/my-role/")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_malformed_request_gets_a_server_error() {
    let sandbox = start().await;
    sandbox.configure("aws").await;
    let methods = ["GET", "PUT", "POST", "DELETE", "LIST", "PATCH", "OPTIONS"];
    let paths = [
        "sys/mounts/aws",
        "sys/mounts/",
        "sys/leases/lookup",
        "sys/leases/lookup/aws/",
        "sys/leases/renew",
        "sys/leases/revoke",
        "sys/leases/revoke-prefix/aws",
        "sys/capabilities-self",
        "auth/token/lookup-self",
        "aws/config/root",
        "aws/config/lease",
        "aws/roles/my-role",
        "aws/roles/",
        "aws/creds/nope",
        "aws/roles/bad name",
        "aws/roles/%00",
        "aws/../sys/mounts",
    ];
    let bodies = [
        "",
        "{",
        "[]",
        "\"x\"",
        "null",
        "{\"lease_id\":[1],\"increment\":\"abc\",\"sync\":\"maybe\"}",
        "{\"type\":{\"a\":1},\"paths\":7}",
        "{\"credential_type\":5,\"policy_arns\":{\"a\":1},\"iam_tags\":[\"nokey\"]}",
        "{\"lease\":\"x\",\"lease_max\":\"1y\",\"max_retries\":\"many\"}",
        "{\"user_path\":\"no-slash\",\"permissions_boundary_arn\":\"arn:aws:s3:::b\",\"credential_type\":\"iam_user\"}",
    ];
    for method in methods {
        for path in paths {
            for body in bodies {
                let (status, text) = sandbox
                    .call_raw(method, path, Some(&sandbox.token), Some(body))
                    .await;
                assert!(
                    !status.is_server_error(),
                    "{method} {path} {body:?} -> {status} {text}"
                );
                if !text.is_empty() {
                    let parsed: Value = serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}"));
                    if !status.is_success() {
                        assert!(parsed["errors"].is_array(), "{method} {path}: {text}");
                    }
                }
            }
        }
    }
    let (status, _) = sandbox.call("GET", "sys/health", None).await;
    assert_eq!(status, StatusCode::OK);
    // The loop disabled `aws/` (a valid DELETE); the server still does the whole lab.
    sandbox.configure("aws").await;
    let (status, creds) = sandbox.call("GET", "aws/creds/my-role", None).await;
    assert_eq!(status, StatusCode::OK, "{creds}");
}
