//! What a real Vault client sees from the whole sandbox (its Vault API driving its own AWS
//! endpoint): revocation that is synchronous unless asked otherwise, `sys/init`, mount
//! TTLs that leases honour, `config/rotate-root`, a half-written `config/root`, paths
//! refused as Vault refuses them, and what the sandbox lacks said in its own words.
//! Clients: reqwest, the real `bao` CLI, hvac (tests/peers/hvac_client.py) and
//! aws-sdk-rust.

use vaultlab_testkit as common;

use std::time::{Duration, Instant};

use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_iam::error::ProvideErrorMetadata;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vaultlab_sandbox::{Sandbox, SandboxOptions};

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}]}"#;

struct Lab {
    sandbox: Sandbox,
    url: String,
    token: String,
    http: reqwest::Client,
}

async fn start() -> Lab {
    let sandbox = Sandbox::start(SandboxOptions {
        propagation_delay: Duration::ZERO,
        ..SandboxOptions::default()
    })
    .await
    .expect("sandbox starts");
    Lab {
        url: sandbox.vault_addr().to_owned(),
        token: sandbox.root_token().expose().to_owned(),
        sandbox,
        http: reqwest::Client::new(),
    }
}

fn error_text(body: &Value) -> String {
    body["errors"][0].as_str().unwrap_or_default().to_owned()
}

impl Lab {
    async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}/v1/{path}", self.url),
        );
        if let Some(token) = token {
            req = req.header("X-Vault-Token", token);
        }
        if let Some(body) = body {
            req = req.body(body.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call_with(method, path, Some(&self.token), body).await
    }

    async fn ok(&self, method: &str, path: &str, body: Value) -> Value {
        let (status, reply) = self.call(method, path, Some(body)).await;
        assert!(status.is_success(), "{method} {path}: {status} {reply}");
        reply
    }

    fn admin(&self) -> (String, String) {
        let admin = self.sandbox.admin_credentials();
        (
            admin.access_key_id,
            admin.secret_access_key.expose().to_owned(),
        )
    }

    fn iam_as(&self, key: &str, secret: &str) -> aws_sdk_iam::Client {
        let config = aws_sdk_iam::Config::builder()
            .http_client(vaultlab_testkit::sdk_http_client())
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled())
            .credentials_provider(Credentials::new(key, secret, None, None, "test"))
            .build();
        aws_sdk_iam::Client::from_conf(config)
    }

    fn iam(&self) -> aws_sdk_iam::Client {
        let (key, secret) = self.admin();
        self.iam_as(&key, &secret)
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

    /// aws/ enabled, configured with the sandbox's admin keys, `my-role` written.
    async fn configure(&self) {
        self.ok("POST", "sys/mounts/aws", json!({"type": "aws"}))
            .await;
        let (key, secret) = self.admin();
        self.ok(
            "POST",
            "aws/config/root",
            json!({"access_key": key, "secret_key": secret, "region": "us-east-1"}),
        )
        .await;
        self.ok(
            "POST",
            "aws/roles/my-role",
            json!({"credential_type": "iam_user", "policy_document": POLICY}),
        )
        .await;
    }

    async fn issue(&self) -> String {
        let creds = self.ok("GET", "aws/creds/my-role", Value::Null).await;
        creds["lease_id"].as_str().unwrap().to_owned()
    }

    /// Sends raw bytes as one HTTP/1.1 request (no client library normalises the path)
    /// and returns the status line's code, the headers and the body.
    async fn raw(&self, method: &str, target: &str, body: &str) -> (u16, String, String) {
        let addr = self.url.strip_prefix("http://").unwrap();
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nX-Vault-Token: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.token,
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let response = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, head.to_owned(), body.to_owned())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_without_sync_deletes_the_user_before_answering() {
    let lab = start().await;
    lab.configure().await;

    // The body form, as hvac's revoke_lease sends it: no `sync`.
    let lease = lab.issue().await;
    assert_eq!(lab.vault_users().await.len(), 1);
    let (status, body) = lab
        .call("PUT", "sys/leases/revoke", Some(json!({"lease_id": lease})))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(
        lab.vault_users().await.is_empty(),
        "the IAM user outlived a 204"
    );

    // The URL form and the old alias, with an empty body.
    for path in ["sys/leases/revoke", "sys/revoke"] {
        let lease = lab.issue().await;
        let (status, body) = lab
            .call("PUT", &format!("{path}/{lease}"), Some(json!({})))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{path}: {body}");
        assert!(lab.vault_users().await.is_empty(), "{path} left the user");
    }

    // revoke-prefix and its alias.
    for path in ["sys/leases/revoke-prefix", "sys/revoke-prefix"] {
        lab.issue().await;
        lab.issue().await;
        let (status, body) = lab
            .call("PUT", &format!("{path}/aws/creds/my-role"), Some(json!({})))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{path}: {body}");
        assert!(lab.vault_users().await.is_empty(), "{path} left users");
    }

    // Only sync=false (what `vault lease revoke` sends) queues: 202, gone soon after.
    let lease = lab.issue().await;
    let (status, body) = lab
        .call(
            "PUT",
            "sys/leases/revoke",
            Some(json!({"lease_id": lease, "sync": false})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !lab.vault_users().await.is_empty() {
        assert!(Instant::now() < deadline, "queued revocation never ran");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // When AWS refuses, a synchronous revoke says so: 400 in Vault's words.
    let lease = lab.issue().await;
    lab.issue().await;
    lab.ok(
        "POST",
        "aws/config/root",
        json!({"access_key": "AKIAWRONGWRONGWRONG0", "secret_key": "wrong", "max_retries": 0}),
    )
    .await;
    let (status, body) = lab
        .call("PUT", "sys/leases/revoke", Some(json!({"lease_id": lease})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        error_text(&body).starts_with(
            "failed to revoke entry: resp: (*logical.Response)(nil) err: InvalidClientTokenId:"
        ),
        "{body}"
    );
    let (status, body) = lab
        .call(
            "PUT",
            "sys/leases/revoke-prefix/aws/creds/my-role",
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        error_text(&body).starts_with("failed to revoke \"aws/creds/my-role/"),
        "{body}"
    );
    assert_eq!(lab.vault_users().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sys_init_answers_without_a_token_and_refuses_to_initialize_again() {
    let lab = start().await;
    let (status, body) = lab.call_with("GET", "sys/init", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"initialized": true}));
    let (status, body) = lab
        .call_with(
            "PUT",
            "sys/init",
            None,
            Some(json!({"secret_shares": 1, "secret_threshold": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_text(&body), "Vault is already initialized");
    let (status, body) = lab.call_with("DELETE", "sys/init", None, None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body, json!({"errors": []}));

    // `vault operator init -status` exits 0 on an initialized server.
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(common::peer_program("bao"))
        .args(["operator", "init", "-status"])
        .env("BAO_ADDR", &lab.url)
        .env("BAO_TOKEN", &lab.token)
        .env("HOME", home.path())
        .output()
        .expect("run bao");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Vault is initialized"), "{stdout}");
}

/// Runs the `bao` CLI against the lab; (success, stdout, stderr).
fn bao(lab: &Lab, home: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(common::peer_program("bao"))
        .args(args)
        .env("BAO_ADDR", &lab.url)
        .env("BAO_TOKEN", &lab.token)
        .env("HOME", home)
        .env_remove("VAULT_NAMESPACE")
        .output()
        .expect("run bao");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn table_value(output: &str, key: &str) -> Option<String> {
    output.lines().find_map(|line| {
        let mut parts = line.split_whitespace();
        (parts.next()? == key).then(|| parts.collect::<Vec<_>>().join(" "))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bao_cli_tunes_the_mount_and_leases_honour_it() {
    let lab = start().await;
    let home = tempfile::tempdir().unwrap();
    let home = home.path();

    let (ok, out, err) = bao(
        &lab,
        home,
        &[
            "secrets",
            "enable",
            "-default-lease-ttl=1h",
            "-max-lease-ttl=2h",
            "aws",
        ],
    );
    assert!(ok, "{out}{err}");
    let (_, mounts) = lab.call("GET", "sys/mounts", None).await;
    assert_eq!(mounts["data"]["aws/"]["config"]["default_lease_ttl"], 3600);
    assert_eq!(mounts["data"]["aws/"]["config"]["max_lease_ttl"], 7200);
    assert_eq!(mounts["data"]["aws/"]["deprecation_status"], "supported");

    let (ok, out, err) = bao(&lab, home, &["read", "sys/mounts/aws/tune"]);
    assert!(ok, "{out}{err}");
    assert_eq!(
        table_value(&out, "default_lease_ttl").as_deref(),
        Some("1h"),
        "{out}"
    );
    assert_eq!(
        table_value(&out, "max_lease_ttl").as_deref(),
        Some("2h"),
        "{out}"
    );

    let (ok, out, err) = bao(
        &lab,
        home,
        &[
            "secrets",
            "tune",
            "-default-lease-ttl=10m",
            "-max-lease-ttl=30m",
            "aws/",
        ],
    );
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("Success! Tuned the secrets engine at: aws/"),
        "{out}"
    );
    let (ok, out, err) = bao(&lab, home, &["secrets", "list", "-detailed"]);
    assert!(ok, "{out}{err}");
    let row = out
        .lines()
        .find(|l| l.starts_with("aws/"))
        .expect("aws/ row");
    // The CLI prints the mount table's TTLs in seconds ("system" when unset).
    let columns: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&columns[3..5], ["600", "1800"], "{row}");

    // Creds get the mount's default; a renewal is capped at the mount's max.
    let (key, secret) = lab.admin();
    lab.ok(
        "POST",
        "aws/config/root",
        json!({"access_key": key, "secret_key": secret}),
    )
    .await;
    lab.ok(
        "POST",
        "aws/roles/my-role",
        json!({"credential_type": "iam_user", "policy_document": POLICY}),
    )
    .await;
    let (ok, out, err) = bao(&lab, home, &["read", "aws/creds/my-role"]);
    assert!(ok, "{out}{err}");
    assert_eq!(
        table_value(&out, "lease_duration").as_deref(),
        Some("10m"),
        "{out}"
    );
    let lease = table_value(&out, "lease_id").unwrap();
    let (status, renewed) = lab
        .call(
            "PUT",
            "sys/leases/renew",
            Some(json!({"lease_id": lease, "increment": "2h"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert!(
        renewed["lease_duration"].as_u64().unwrap() <= 1800,
        "{renewed}"
    );
    assert!(
        renewed["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("TTL of \"2h0m0s\" exceeded the effective max_ttl of"),
        "{renewed}"
    );

    // config/lease still wins over the mount default, within the mount max.
    lab.ok(
        "POST",
        "aws/config/lease",
        json!({"lease": "5m", "lease_max": "1h"}),
    )
    .await;
    let creds = lab.ok("GET", "aws/creds/my-role", Value::Null).await;
    assert_eq!(creds["lease_duration"], 300);

    // Tuning errors are Vault's.
    let (status, body) = lab
        .call(
            "POST",
            "sys/mounts/aws/tune",
            Some(json!({"default_lease_ttl": "2h", "max_lease_ttl": "1h"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_text(&body),
        "backend max lease TTL of 3600 would be less than backend default lease TTL of 7200"
    );
    let (status, body) = lab
        .call(
            "POST",
            "sys/mounts/sys/tune",
            Some(json!({"default_lease_ttl": "1h"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_text(&body), "cannot tune \"sys/\"");
    // "system" puts a TTL back to the system's.
    lab.ok(
        "POST",
        "sys/mounts/aws/tune",
        json!({"default_lease_ttl": "system", "max_lease_ttl": "system"}),
    )
    .await;
    let tune = lab.ok("GET", "sys/mounts/aws/tune", Value::Null).await;
    assert_eq!(tune["data"]["default_lease_ttl"], 2_764_800);
    assert_eq!(tune["data"]["max_lease_ttl"], 2_764_800);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hvac_sees_vaults_answers() {
    let lab = start().await;
    let (key, secret) = lab.admin();
    let out = std::process::Command::new(common::peer_python())
        .arg(common::peer_script("hvac_client.py"))
        .args([&lab.url, &lab.token, &lab.url, &key, &secret])
        .output()
        .expect("run hvac_client.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "hvac_client.py failed ({}; is hvac installed? {}):\n{stdout}\n{}",
        out.status,
        common::INSTALL_HINT,
        String::from_utf8_lossy(&out.stderr)
    );
    let steps: Value = serde_json::from_str(&stdout).unwrap();
    let result = |name: &str| {
        assert_eq!(steps[name]["outcome"], "ok", "{name}: {}", steps[name]);
        steps[name]["result"].clone()
    };
    assert_eq!(result("is_initialized"), true);
    let tuned = result("tune_read_after_enable");
    assert_eq!(
        (&tuned["default_lease_ttl"], &tuned["max_lease_ttl"]),
        (&json!(3600), &json!(7200))
    );
    let tuned = result("tune_read");
    assert_eq!(
        (&tuned["default_lease_ttl"], &tuned["max_lease_ttl"]),
        (&json!(1800), &json!(3600))
    );
    assert_eq!(
        result("mounts"),
        json!({"default_lease_ttl": 1800, "force_no_cache": false, "max_lease_ttl": 3600})
    );
    assert_eq!(result("creds")["lease_duration"], 1800);
    assert!(result("renew")["lease_duration"].as_u64().unwrap() <= 3600);
    assert_eq!(result("revoke_lease")["status"], 204);
    assert_eq!(
        steps["users_after_revoke"]["result"],
        json!([]),
        "hvac's revoke_lease returned before the IAM user was deleted"
    );
    let rotated = result("rotate_root");
    let new_key = rotated["access_key"].as_str().unwrap();
    assert_ne!(new_key, key);
    assert_eq!(steps["no_such_path"]["type"], "InvalidPath");
    // hvac has no exception of its own for 501: what it raises carries the sandbox's words.
    assert_eq!(steps["not_implemented"]["outcome"], "error");
    assert!(
        steps["not_implemented"]["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("vaultlab sandbox does not implement sys/auth"),
        "{}",
        steps["not_implemented"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_root_replaces_the_root_key_as_vault_does() {
    let lab = start().await;
    lab.ok("POST", "sys/mounts/aws", json!({"type": "aws"}))
        .await;
    let (key, secret) = lab.admin();

    // No config/root at all.
    let (status, body) = lab
        .call("POST", "aws/config/rotate-root", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        error_text(&body),
        "1 error occurred:\n\t* no configuration found for config/root\n\n"
    );

    // Half a key pair: Vault's credential chain refuses it, for creds as for rotation.
    const HALF: &str = "static AWS client credentials haven't been properly configured (the access key or secret key were provided but not both)";
    lab.ok(
        "POST",
        "aws/roles/my-role",
        json!({"credential_type": "iam_user", "policy_document": POLICY}),
    )
    .await;
    for config in [json!({"access_key": key}), json!({"secret_key": secret})] {
        lab.ok("POST", "aws/config/root", config.clone()).await;
        let (status, body) = lab.call("GET", "aws/creds/my-role", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{config}");
        assert_eq!(error_text(&body), HALF, "{config}");
        let (status, body) = lab
            .call("POST", "aws/config/rotate-root", Some(json!({})))
            .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{config}");
        assert_eq!(
            error_text(&body),
            format!("1 error occurred:\n\t* {HALF}\n\n")
        );
    }
    // No keys: Vault would use AWS's default chain, which the sandbox says it lacks.
    lab.ok("POST", "aws/config/root", json!({"region": "us-east-1"}))
        .await;
    let (status, body) = lab.call("GET", "aws/creds/my-role", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error_text(&body)
            .starts_with("vaultlab sandbox does not implement AWS's default credential chain"),
        "{body}"
    );
    let (status, body) = lab
        .call("POST", "aws/config/rotate-root", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_text(&body),
        "Cannot call config/rotate-root when either access_key or secret_key is empty"
    );

    // The user already has two keys: CreateAccessKey fails, nothing changes.
    lab.ok(
        "POST",
        "aws/config/root",
        json!({"access_key": key, "secret_key": secret, "region": "us-east-1"}),
    )
    .await;
    let admin_user = lab
        .iam()
        .get_user()
        .send()
        .await
        .unwrap()
        .user
        .unwrap()
        .user_name;
    let spare = lab
        .iam()
        .create_access_key()
        .user_name(&admin_user)
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    let (status, body) = lab
        .call("POST", "aws/config/rotate-root", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert!(
        error_text(&body)
            .starts_with("1 error occurred:\n\t* error calling CreateAccessKey: LimitExceeded:"),
        "{body}"
    );
    let (_, config) = lab.call("GET", "aws/config/root", None).await;
    assert_eq!(config["data"]["access_key"], key.as_str());
    lab.iam()
        .delete_access_key()
        .user_name(&admin_user)
        .access_key_id(&spare.access_key_id)
        .send()
        .await
        .unwrap();

    // Rotation: a new key for the same user, stored, the old one deleted.
    let rotated = lab.ok("POST", "aws/config/rotate-root", json!({})).await;
    let new_key = rotated["data"]["access_key"].as_str().unwrap().to_owned();
    assert!(new_key.starts_with("AKIA"), "{rotated}");
    assert_ne!(new_key, key);
    assert!(rotated["data"].get("secret_key").is_none(), "{rotated}");
    let (_, config) = lab.call("GET", "aws/config/root", None).await;
    assert_eq!(config["data"]["access_key"], new_key.as_str());
    let err = lab
        .iam_as(&key, &secret)
        .get_user()
        .send()
        .await
        .expect_err("the old key still works");
    assert_eq!(err.code(), Some("InvalidClientTokenId"));
    let keys: Vec<String> = lab
        .iam()
        .list_access_keys()
        .user_name(&admin_user)
        .send()
        .await
        .unwrap()
        .access_key_metadata
        .into_iter()
        .filter_map(|k| k.access_key_id)
        .collect();
    assert_eq!(keys, std::slice::from_ref(&new_key));
    // The engine goes on with the new key.
    let creds = lab.ok("GET", "aws/creds/my-role", Value::Null).await;
    assert!(
        creds["lease_id"]
            .as_str()
            .unwrap()
            .starts_with("aws/creds/my-role/")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mount_paths_with_dot_segments_or_control_characters_are_refused() {
    let lab = start().await;
    let enable = r#"{"type":"aws"}"#;
    for (target, location) in [
        ("/v1/sys/mounts/a/../b", "/v1/sys/mounts/b"),
        ("/v1/sys/mounts/..", "/v1/sys/"),
        ("/v1/sys/mounts/x/.", "/v1/sys/mounts/x/"),
        ("/v1/sys//mounts/c", "/v1/sys/mounts/c"),
    ] {
        let (status, head, _) = lab.raw("POST", target, enable).await;
        assert_eq!(status, 307, "{target}: {head}");
        assert!(
            head.to_ascii_lowercase()
                .contains(&format!("location: {location}\r\n").to_ascii_lowercase())
                || head
                    .to_ascii_lowercase()
                    .ends_with(&format!("location: {location}").to_ascii_lowercase()),
            "{target}: {head}"
        );
    }
    for target in ["/v1/sys/mounts/a%2F..%2Fb", "/v1/sys/mounts/%2e%2e/x"] {
        let (status, _, body) = lab.raw("POST", target, enable).await;
        assert_eq!(status, 400, "{target}");
        assert_eq!(
            body.trim(),
            r#"{"errors":["relative paths not supported"]}"#,
            "{target}"
        );
    }
    for target in [
        "/v1/sys/mounts/a%01b",
        "/v1/sys/mounts/a%00b",
        "/v1/sys/mounts/a%7Fb",
        "/v1/sys/mounts/a%0Ab",
        "/v1/sys/mounts/a%C2%A0b",
    ] {
        let (status, _, body) = lab.raw("POST", target, enable).await;
        assert_eq!(status, 400, "{target}");
        assert!(body.is_empty(), "{target}: {body}");
    }
    let (_, mounts) = lab.call("GET", "sys/mounts", None).await;
    let paths: Vec<&String> = mounts["data"].as_object().unwrap().keys().collect();
    assert_eq!(
        paths,
        ["cubbyhole/", "identity/", "sys/"],
        "a refused path was mounted"
    );
    // Dots inside a name are a name, in Vault and OpenBao alike.
    let (status, _, body) = lab.raw("POST", "/v1/sys/mounts/a..b", enable).await;
    assert_eq!(status, 204, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_sandbox_lacks_is_said_in_its_own_words() {
    let lab = start().await;
    lab.configure().await;
    for path in [
        "sys/audit",
        "sys/auth",
        "auth/token/roles/x",
        "aws/static-roles/x",
    ] {
        let method = "GET";
        let (status, body) = lab.call(method, path, Some(json!({}))).await;
        assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{path}: {body}");
        assert!(
            error_text(&body).starts_with("vaultlab sandbox does not implement "),
            "{path}: {body}"
        );
    }
    // STS credential types and custom username templates.
    lab.ok(
        "POST",
        "aws/roles/assumed",
        json!({"credential_type": "assumed_role", "role_arns": "arn:aws:iam::123456789012:role/x"}),
    )
    .await;
    let (status, body) = lab.call("GET", "aws/creds/assumed", None).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{body}");
    assert!(
        error_text(&body)
            .starts_with("vaultlab sandbox does not implement assumed_role credentials"),
        "{body}"
    );
    let (status, body) = lab
        .call(
            "POST",
            "aws/config/root",
            Some(json!({"username_template": "{{ .RoleName }}"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{body}");
    assert!(
        error_text(&body)
            .starts_with("vaultlab sandbox does not implement custom username_template"),
        "{body}"
    );

    // Secrets engines Vault has, and request features of Vault's HTTP layer.
    let (status, body) = lab
        .call("POST", "sys/mounts/secret", Some(json!({"type": "kv-v2"})))
        .await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{body}");
    assert_eq!(
        error_text(&body),
        "vaultlab sandbox does not implement the kv-v2 secrets engine; it has only the aws engine"
    );
    let (status, body) = lab.call("GET", "aws/roles/my-role?help=1", None).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{body}");
    assert!(error_text(&body).contains("path help"), "{body}");
    let wrapped = lab
        .http
        .get(format!("{}/v1/aws/creds/my-role", lab.url))
        .header("X-Vault-Token", &lab.token)
        .header("X-Vault-Wrap-TTL", "5m")
        .send()
        .await
        .unwrap();
    assert_eq!(wrapped.status(), StatusCode::NOT_IMPLEMENTED);
    let body: Value = wrapped.json().await.unwrap();
    assert!(error_text(&body).contains("response wrapping"), "{body}");
    assert!(
        lab.vault_users().await.is_empty(),
        "a wrapped request issued credentials it could not hand back"
    );
    // The real CLI asking for them.
    let home = tempfile::tempdir().unwrap();
    let (ok, out, err) = bao(&lab, home.path(), &["path-help", "aws/creds/my-role"]);
    assert!(!ok, "{out}");
    assert!(
        err.contains("Code: 501") && err.contains("does not implement path help"),
        "{err}"
    );
    let (ok, out, err) = bao(
        &lab,
        home.path(),
        &["read", "-wrap-ttl=5m", "aws/creds/my-role"],
    );
    assert!(!ok, "{out}");
    assert!(
        err.contains("does not implement response wrapping"),
        "{err}"
    );

    // Paths Vault does not have either keep Vault's 404.
    for (path, words) in [
        ("sys/nope", "1 error occurred:\n\t* unsupported path\n\n"),
        ("aws/nope", "1 error occurred:\n\t* unsupported path\n\n"),
        (
            "auth/token/nope",
            "1 error occurred:\n\t* unsupported path\n\n",
        ),
    ] {
        let (status, body) = lab.call("GET", path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(error_text(&body), words, "{path}");
    }

    // An EC2 action AWS has but the sandbox does not.
    let (key, secret) = lab.admin();
    let ec2 = aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::Config::builder()
            .http_client(vaultlab_testkit::sdk_http_client())
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_sdk_ec2::config::Region::new("us-east-1"))
            .endpoint_url(&lab.url)
            .retry_config(aws_sdk_ec2::config::retry::RetryConfig::disabled())
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                &key, &secret, None, None, "test",
            ))
            .build(),
    );
    let err = ec2
        .describe_vpcs()
        .send()
        .await
        .expect_err("DescribeVpcs is not implemented");
    let status = err.raw_response().map(|r| r.status().as_u16());
    assert_eq!(status, Some(501));
    assert_eq!(err.code(), Some("NotImplemented"));
    assert_eq!(
        err.message(),
        Some(
            "vaultlab sandbox does not implement ec2:DescribeVpcs; the lab uses DescribeInstances"
        )
    );
    let err = lab
        .iam()
        .create_role()
        .role_name("r")
        .assume_role_policy_document("{}")
        .send()
        .await
        .expect_err("CreateRole is not implemented");
    assert_eq!(err.code(), Some("NotImplemented"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_revoke_waits_for_a_revocation_already_under_way() {
    let lab = start().await;
    lab.configure().await;
    let mut leases = Vec::new();
    for _ in 0..20 {
        leases.push(lab.issue().await);
    }
    // Queue them all, then revoke each synchronously while the queue works: as in Vault,
    // each sync revoke waits for the one under way and then answers 204.
    let (status, _) = lab
        .call(
            "PUT",
            "sys/leases/revoke-prefix/aws/creds/my-role",
            Some(json!({"sync": false})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let tasks: Vec<_> = leases
        .iter()
        .map(|lease| {
            let (http, url, token) = (lab.http.clone(), lab.url.clone(), lab.token.clone());
            let body = json!({"lease_id": lease}).to_string();
            tokio::spawn(async move {
                let resp = http
                    .put(format!("{url}/v1/sys/leases/revoke"))
                    .header("X-Vault-Token", token)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                (resp.status(), resp.text().await.unwrap())
            })
        })
        .collect();
    for (lease, task) in leases.iter().zip(tasks) {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::NO_CONTENT, "{lease}: {body}");
    }
    assert!(lab.vault_users().await.is_empty());
}
