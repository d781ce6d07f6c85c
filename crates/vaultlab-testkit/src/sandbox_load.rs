//! A `vaultlab sandbox` process driven as the lab's clients drive it: parallel clients
//! issuing credentials, a `kill -9` at a random moment, and the checks that follow a
//! restart (every lease a client received is known; revoking them all leaves no working
//! key and no `vault-…` IAM user). Shared by the e2e crash tests and the durability
//! benchmark, which runs more rounds on a release build.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::SandboxProcess;

pub const LAB_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*"],"Resource":["*"]}]}"#;

/// A random duration in `[low, high)`, without a random crate: the standard library's
/// per-process random hash keys.
pub fn random_between(low: Duration, high: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let span = (high - low).as_micros().max(1) as u64;
    low + Duration::from_micros(random % span)
}

/// Credentials a client received: the whole answer came back.
#[derive(Debug, Clone)]
pub struct Issued {
    pub lease_id: String,
    pub access_key: String,
    pub secret_key: String,
    /// When the answer was complete.
    pub at: Instant,
}

/// Why a request for credentials got none.
#[derive(Debug, Clone)]
pub enum IssueError {
    /// The server answered, with an error.
    Status(u16, String),
    /// No answer: refused, reset, cut off.
    Transport(String),
}

/// One sandbox over HTTP, with its root token and the account's admin keys.
#[derive(Clone)]
pub struct SandboxApi {
    pub url: String,
    pub token: String,
    pub admin_key: String,
    pub admin_secret: String,
    http: reqwest::Client,
}

impl SandboxApi {
    pub fn of(sandbox: &SandboxProcess) -> SandboxApi {
        SandboxApi {
            url: sandbox.var("VAULT_ADDR").to_owned(),
            token: sandbox.var("VAULT_TOKEN").to_owned(),
            admin_key: sandbox.var("AWS_ACCESS_KEY_ID").to_owned(),
            admin_secret: sandbox.var("AWS_SECRET_ACCESS_KEY").to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("http client"),
        }
    }

    /// A client of its own (its own connections), as separate learners have.
    pub fn new_client(&self) -> SandboxApi {
        let mut api = self.clone();
        api.http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        api
    }

    /// A Vault request with the root token; the status and the JSON body (`Null` if empty).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call_as(&self.token, method, path, body).await
    }

    /// A Vault request with `token`; the status and the JSON body (`Null` if empty).
    pub async fn call_as(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
                format!("{}/v1/{path}", self.url),
            )
            .header("X-Vault-Token", token);
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status();
        let text = response.text().await.expect("body");
        let value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// Arms a fault (`POST /vaultlab/faults`).
    pub async fn arm_fault(&self, fault: Value) {
        let response = self
            .http
            .post(format!("{}/vaultlab/faults", self.url))
            .header("X-Vault-Token", &self.token)
            .body(fault.to_string())
            .send()
            .await
            .expect("arm a fault");
        assert!(
            response.status().is_success(),
            "arming {fault}: {}",
            response.status()
        );
    }

    /// The lab's set-up: the engine at `aws/`, the account's admin keys as root keys,
    /// and the role `my-role`.
    pub async fn configure_lab(&self) {
        let steps = [
            ("sys/mounts/aws", json!({"type": "aws"})),
            (
                "aws/config/root",
                json!({"access_key": self.admin_key, "secret_key": self.admin_secret, "region": "us-east-1"}),
            ),
            (
                "aws/roles/my-role",
                json!({"credential_type": "iam_user", "policy_document": LAB_POLICY}),
            ),
        ];
        for (path, body) in steps {
            let (status, reply) = self.call("POST", path, Some(body)).await;
            assert!(status.is_success(), "{path}: {status} {reply}");
        }
    }

    /// `GET aws/creds/my-role`.
    pub async fn issue(&self) -> Result<Issued, IssueError> {
        let response = self
            .http
            .get(format!("{}/v1/aws/creds/my-role", self.url))
            .header("X-Vault-Token", &self.token)
            .send()
            .await
            .map_err(|e| IssueError::Transport(format!("{e:?}")))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| IssueError::Transport(format!("{e:?}")))?;
        if status != StatusCode::OK {
            return Err(IssueError::Status(status.as_u16(), text));
        }
        let body: Value = serde_json::from_str(&text)
            .map_err(|e| IssueError::Transport(format!("a partial answer: {e}")))?;
        let field = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        Ok(Issued {
            lease_id: field(&body["lease_id"]),
            access_key: field(&body["data"]["access_key"]),
            secret_key: field(&body["data"]["secret_key"]),
            at: Instant::now(),
        })
    }

    fn iam(&self, key: &str, secret: &str) -> aws_sdk_iam::Client {
        use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_iam::Config::builder()
            .http_client(crate::sdk_http_client())
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new(key, secret, None, None, "test"))
            .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_iam::Client::from_conf(config)
    }

    /// The IAM users Vault's engine made (`vault-…`), listed with the admin keys.
    pub async fn vault_users(&self) -> Vec<String> {
        let users = self
            .iam(&self.admin_key, &self.admin_secret)
            .list_users()
            .send()
            .await
            .expect("ListUsers with the admin keys");
        users
            .users
            .into_iter()
            .map(|u| u.user_name)
            .filter(|name| name.starts_with("vault-"))
            .collect()
    }

    /// Whether AWS still accepts these keys (STS `GetCallerIdentity`, which any valid key
    /// may call whatever its policies).
    pub async fn key_works(&self, key: &str, secret: &str) -> bool {
        use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_sts::Config::builder()
            .http_client(crate::sdk_http_client())
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new(key, secret, None, None, "test"))
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_sts::Client::from_conf(config)
            .get_caller_identity()
            .send()
            .await
            .is_ok()
    }

    /// Polls until no `vault-…` user is left or `limit` passes; those left.
    pub async fn wait_for_no_vault_users(&self, limit: Duration) -> Vec<String> {
        let deadline = Instant::now() + limit;
        loop {
            let users = self.vault_users().await;
            if users.is_empty() || Instant::now() >= deadline {
                return users;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// What parallel clients got.
#[derive(Debug, Default)]
pub struct Issuing {
    pub issued: Vec<Issued>,
    pub errors: Vec<(Instant, IssueError)>,
}

/// Steers clients from outside: how many credentials they received so far, and a stop.
#[derive(Clone, Default)]
pub struct Clients {
    stop: Arc<AtomicBool>,
    issued: Arc<AtomicUsize>,
}

impl Clients {
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Waits until the clients received credentials at least once (at most `limit`).
    pub async fn wait_for_first(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.issued.load(Ordering::SeqCst) == 0 {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }
}

/// `clients` clients, each issuing credentials one request after another until stopped
/// (or `limit` passes).
pub async fn issue_until(
    api: &SandboxApi,
    clients: usize,
    control: Clients,
    limit: Duration,
) -> Issuing {
    let deadline = Instant::now() + limit;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (api, control) = (api.new_client(), control.clone());
            tokio::spawn(async move {
                let mut mine = Issuing::default();
                while !control.stopped() && Instant::now() < deadline {
                    match api.issue().await {
                        Ok(issued) => {
                            mine.issued.push(issued);
                            control.issued.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(error) => mine.errors.push((Instant::now(), error)),
                    }
                }
                mine
            })
        })
        .collect();
    let mut all = Issuing::default();
    for task in tasks {
        let mine = task.await.expect("a client panicked");
        all.issued.extend(mine.issued);
        all.errors.extend(mine.errors);
    }
    all
}

/// One crash and what the restart shows.
#[derive(Debug)]
pub struct CrashRound {
    pub killed_after: Duration,
    /// Leases whose credentials reached a client before the kill.
    pub received: usize,
    /// Of those, the ones the restarted sandbox does not know.
    pub unknown: Vec<String>,
    /// Leases the restarted sandbox knows (the received ones and those whose answer the
    /// kill cut off).
    pub known_after_restart: usize,
    /// Received keys that still work after `revoke-prefix aws/`.
    pub keys_working: usize,
    /// `vault-…` users left after `revoke-prefix aws/` (and the half-made ones' cleanup).
    pub users_left: Vec<String>,
}

impl CrashRound {
    pub fn lost_nothing(&self) -> bool {
        self.unknown.is_empty() && self.keys_working == 0 && self.users_left.is_empty()
    }
}

/// The log beside a state file (`sandbox.json.wal`).
pub fn log_path(state: &Path) -> std::path::PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".wal");
    name.into()
}

/// Starts `vaultlab sandbox --state state` (the binary at `binary`).
pub fn start_with_state(binary: &str, state: &Path) -> SandboxProcess {
    SandboxProcess::start(
        binary,
        &[
            "--state",
            state.to_str().expect("a UTF-8 path"),
            "--propagation-delay",
            "0s",
        ],
    )
}

/// Clients issue credentials from `sandbox` in parallel until a `kill -9` `kill_after`
/// their first credentials (so a loaded machine still kills mid-load); the sandbox is started again on the same state file and checked: each
/// lease received is looked up, `revoke-prefix aws/` (sync) revokes everything, then no
/// received key may work and no `vault-…` user may be left. Returns the restarted sandbox
/// (everything revoked) for the next round.
pub async fn crash_round(
    binary: &str,
    state: &Path,
    mut sandbox: SandboxProcess,
    clients: usize,
    kill_after: Duration,
) -> (CrashRound, SandboxProcess) {
    let api = SandboxApi::of(&sandbox);
    let control = Clients::default();
    let issuing = tokio::spawn({
        let (api, control) = (api.clone(), control.clone());
        async move { issue_until(&api, clients, control, Duration::from_secs(120)).await }
    });
    assert!(
        control.wait_for_first(Duration::from_secs(60)).await,
        "no credentials issued in 60 s"
    );
    tokio::time::sleep(kill_after).await;
    sandbox.child.kill().expect("kill -9 the sandbox");
    sandbox.child.wait().expect("reap the sandbox");
    control.stop();
    let issuing = issuing.await.expect("the clients");

    let restarted = start_with_state(binary, state);
    let api = SandboxApi::of(&restarted);
    let mut unknown = Vec::new();
    for issued in &issuing.issued {
        let (status, _) = api
            .call(
                "PUT",
                "sys/leases/lookup",
                Some(json!({"lease_id": issued.lease_id})),
            )
            .await;
        if status != StatusCode::OK {
            unknown.push(issued.lease_id.clone());
        }
    }
    let (_, listed) = api
        .call("LIST", "sys/leases/lookup/aws/creds/my-role", None)
        .await;
    let known_after_restart = listed["data"]["keys"].as_array().map_or(0, Vec::len);
    let (status, body) = api
        .call(
            "PUT",
            "sys/leases/revoke-prefix/aws",
            Some(json!({"sync": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "revoke-prefix: {body}");
    let users_left = api.wait_for_no_vault_users(Duration::from_secs(30)).await;
    let mut keys_working = 0;
    for issued in &issuing.issued {
        if api.key_works(&issued.access_key, &issued.secret_key).await {
            keys_working += 1;
        }
    }
    let round = CrashRound {
        killed_after: kill_after,
        received: issuing.issued.len(),
        unknown,
        known_after_restart,
        keys_working,
        users_left,
    };
    (round, restarted)
}
