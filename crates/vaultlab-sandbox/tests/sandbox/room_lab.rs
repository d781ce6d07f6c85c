//! What the room tests share: a sandbox with a room and a client of it, seats joined, the
//! lab done in a seat, a seat's child token; and AWS SDK clients of the sandbox's endpoint.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use vaultlab_sandbox::{RoomOptions, Sandbox, SandboxOptions};

pub(crate) const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}]}"#;

/// A room of `seats` seats, kept in `state` if given: the sandbox, a client of it, the root
/// token and the join code.
pub(crate) async fn open_room(
    state: Option<PathBuf>,
    seats: usize,
) -> (Sandbox, Client, String, String) {
    let sandbox = start(state, seats).await;
    let client = Client::of(&sandbox);
    let root = sandbox.root_token().expose().to_owned();
    let code = code(&sandbox);
    (sandbox, client, root, code)
}

fn code(sandbox: &Sandbox) -> String {
    sandbox
        .room()
        .unwrap()
        .config()
        .join_code
        .expose()
        .to_owned()
}

pub(crate) async fn start(state: Option<std::path::PathBuf>, seats: usize) -> Sandbox {
    Sandbox::start(SandboxOptions {
        propagation_delay: Duration::ZERO,
        state_path: state,
        room: Some(RoomOptions {
            title: "dynamic secrets".into(),
            max_seats: seats,
        }),
        ..SandboxOptions::default()
    })
    .await
    .unwrap()
}

pub(crate) struct Client {
    pub(crate) url: String,
    pub(crate) http: reqwest::Client,
}

impl Client {
    pub(crate) fn of(sandbox: &Sandbox) -> Self {
        Self {
            url: sandbox.vault_addr().to_owned(),
            http: reqwest::Client::new(),
        }
    }

    pub(crate) async fn join(&self, code: &str, name: &str, secret: Option<&str>) -> (u16, Value) {
        let mut body = json!({"code": code, "name": name});
        if let Some(secret) = secret {
            body["seat_secret"] = json!(secret);
        }
        let response = self
            .http
            .post(format!("{}/vaultlab/room/join", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// A Vault request with `token`, in namespace `ns` (header form) if given.
    pub(crate) async fn vault(
        &self,
        method: &str,
        path: &str,
        token: &str,
        ns: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, format!("{}/v1/{path}", self.url))
            .header("X-Vault-Token", token);
        if let Some(ns) = ns {
            request = request.header("X-Vault-Namespace", ns);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// A client of an `aws_sdk_*` crate (`aws_sdk_iam`, …) for the sandbox's AWS endpoint at
/// `url`, signing with the keys `id` and `secret`.
macro_rules! sdk_client {
    ($sdk:ident, $url:expr, $id:expr, $secret:expr) => {
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .http_client(vaultlab_testkit::sdk_http_client())
                .behavior_version($sdk::config::BehaviorVersion::latest())
                .region($sdk::config::Region::new("us-east-1"))
                .endpoint_url($url)
                .credentials_provider($sdk::config::Credentials::new(
                    $id, $secret, None, None, "test",
                ))
                .build(),
        )
    };
}
pub(crate) use sdk_client;

pub(crate) fn iam(url: &str, id: &str, secret: &str) -> aws_sdk_iam::Client {
    sdk_client!(aws_sdk_iam, url, id, secret)
}

pub(crate) fn ec2(url: &str, id: &str, secret: &str) -> aws_sdk_ec2::Client {
    sdk_client!(aws_sdk_ec2, url, id, secret)
}

/// Whether the keys of a credentials answer's `data` work (`DescribeInstances`) at `url`.
pub(crate) async fn creds_work(url: &str, data: &Value) -> bool {
    let key = data["access_key"].as_str().unwrap();
    let secret = data["secret_key"].as_str().unwrap();
    ec2(url, key, secret)
        .describe_instances()
        .send()
        .await
        .is_ok()
}

/// The names of the users `iam` lists.
pub(crate) async fn user_names(iam: &aws_sdk_iam::Client) -> Vec<String> {
    iam.list_users()
        .send()
        .await
        .unwrap()
        .users()
        .iter()
        .map(|u| u.user_name().to_owned())
        .collect()
}

/// The six steps of the lab with a seat's token, as `vault` with VAULT_NAMESPACE would
/// send them; the lease id issued.
pub(crate) async fn do_the_lab(client: &Client, seat: &Value) -> String {
    let token = seat["vault_token"].as_str().unwrap();
    let ns = seat["namespace"].as_str();
    let ok = |(status, body): (u16, Value), what: &str| {
        assert!(status < 300, "{what}: {status} {body}");
        body
    };
    ok(
        client
            .vault(
                "POST",
                "sys/mounts/aws",
                token,
                ns,
                Some(json!({"type": "aws"})),
            )
            .await,
        "enable",
    );
    ok(
        client
            .vault(
                "POST",
                "aws/config/root",
                token,
                ns,
                Some(json!({
                    "access_key": seat["aws_access_key_id"],
                    "secret_key": seat["aws_secret_access_key"],
                    "region": "us-east-1",
                })),
            )
            .await,
        "config/root",
    );
    ok(
        client
            .vault(
                "POST",
                "aws/roles/my-role",
                token,
                ns,
                Some(json!({"credential_type": "iam_user", "policy_document": POLICY})),
            )
            .await,
        "role",
    );
    let creds = ok(
        client
            .vault("GET", "aws/creds/my-role", token, ns, None)
            .await,
        "creds",
    );
    let key = creds["data"]["access_key"].as_str().unwrap();
    let secret = creds["data"]["secret_key"].as_str().unwrap();
    ec2(&client.url, key, secret)
        .describe_instances()
        .send()
        .await
        .unwrap();
    creds["lease_id"].as_str().unwrap().to_owned()
}

impl Client {
    /// Joins `name` with `code`, which must seat it: the seat.
    pub(crate) async fn seated(&self, code: &str, name: &str) -> Value {
        let (status, seat) = self.join(code, name, None).await;
        assert_eq!(status, 200, "joining as {name}: {seat}");
        seat
    }

    /// A Vault request with the seat's token, in its namespace.
    pub(crate) async fn as_seat(
        &self,
        method: &str,
        path: &str,
        seat: &Value,
        body: Option<Value>,
    ) -> (u16, Value) {
        let token = seat["vault_token"].as_str().unwrap();
        self.vault(method, path, token, seat["namespace"].as_str(), body)
            .await
    }

    /// `sys/mounts/aws` with the seat's token, in its namespace.
    pub(crate) async fn mount_aws(&self, seat: &Value) {
        let (status, body) = self
            .as_seat("POST", "sys/mounts/aws", seat, Some(json!({"type": "aws"})))
            .await;
        assert_eq!(status, 204, "{body}");
    }

    /// A child of `token` made in `ns` with `policies`: its token.
    pub(crate) async fn child_token(
        &self,
        token: &str,
        ns: Option<&str>,
        policies: &[&str],
    ) -> String {
        let (status, child) = self
            .vault(
                "POST",
                "auth/token/create",
                token,
                ns,
                Some(json!({ "policies": policies })),
            )
            .await;
        assert_eq!(status, 200, "{child}");
        child["auth"]["client_token"].as_str().unwrap().to_owned()
    }
}
