//! The whole lab against an in-process sandbox, through HTTP: Vault's API with reqwest,
//! AWS with aws-sdk-rust, as vaultlab's own clients will do it.

use std::time::{Duration, Instant};

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use serde_json::{Value, json};
use vaultlab_sandbox::{Sandbox, SandboxOptions};

const LAB_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Stmt1426528957000","Effect":"Allow","Action":["ec2:*"],"Resource":["*"]}]}"#;
const IAM_ONLY_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#;

struct Lab {
    sandbox: Sandbox,
    http: reqwest::Client,
}

impl Lab {
    async fn start(propagation_delay: Duration) -> Lab {
        let sandbox = Sandbox::start(SandboxOptions {
            propagation_delay,
            ..SandboxOptions::default()
        })
        .await
        .expect("start sandbox");
        Lab {
            sandbox,
            http: reqwest::Client::new(),
        }
    }

    /// One Vault request; returns the status and the JSON body (Null when empty).
    async fn vault(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let url = format!("{}/v1/{path}", self.sandbox.vault_addr());
        let mut request = self
            .http
            .request(method, url)
            .header("X-Vault-Token", self.sandbox.root_token().expose());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("vault request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON body")
        };
        (status, body)
    }

    async fn configure(&self, policy: &str) {
        assert_eq!(
            self.vault("POST", "sys/mounts/aws", Some(json!({"type": "aws"})))
                .await
                .0,
            204
        );
        let admin = self.sandbox.admin_credentials();
        let root = json!({
            "access_key": admin.access_key_id,
            "secret_key": admin.secret_access_key.expose(),
            "region": "us-east-1",
        });
        assert_eq!(
            self.vault("POST", "aws/config/root", Some(root)).await.0,
            204
        );
        let role = json!({"credential_type": "iam_user", "policy_document": policy});
        assert_eq!(
            self.vault("POST", "aws/roles/my-role", Some(role)).await.0,
            204
        );
    }

    fn ec2(&self, key: &str, secret: &str) -> aws_sdk_ec2::Client {
        let config = aws_sdk_ec2::Config::builder()
            .http_client(vaultlab_testkit::sdk_http_client())
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(self.sandbox.aws_endpoint_url())
            .credentials_provider(Credentials::new(key, secret, None, None, "lab"))
            .retry_config(aws_sdk_ec2::config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_ec2::Client::from_conf(config)
    }

    fn admin_iam(&self) -> aws_sdk_iam::Client {
        let admin = self.sandbox.admin_credentials();
        let config = aws_sdk_iam::Config::builder()
            .http_client(vaultlab_testkit::sdk_http_client())
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(self.sandbox.aws_endpoint_url())
            .credentials_provider(Credentials::new(
                admin.access_key_id,
                admin.secret_access_key.expose().to_owned(),
                None,
                None,
                "admin",
            ))
            .build();
        aws_sdk_iam::Client::from_conf(config)
    }

    async fn user_names(&self) -> Vec<String> {
        let users = self
            .admin_iam()
            .list_users()
            .send()
            .await
            .expect("ListUsers");
        users
            .users()
            .iter()
            .map(|u| u.user_name().to_owned())
            .collect()
    }
}

/// The AWS error code of a DescribeInstances call, or None on success.
async fn describe_instances_error(ec2: &aws_sdk_ec2::Client) -> Option<String> {
    match ec2.describe_instances().send().await {
        Ok(_) => None,
        Err(e) => Some(
            aws_sdk_ec2::error::ProvideErrorMetadata::code(&e)
                .unwrap_or("no code")
                .to_owned(),
        ),
    }
}

async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn creds(body: &Value) -> (String, String, String) {
    (
        body["lease_id"].as_str().expect("lease_id").to_owned(),
        body["data"]["access_key"]
            .as_str()
            .expect("access_key")
            .to_owned(),
        body["data"]["secret_key"]
            .as_str()
            .expect("secret_key")
            .to_owned(),
    )
}

#[tokio::test]
async fn issued_keys_work_after_propagation_and_die_with_their_lease() {
    let lab = Lab::start(Duration::from_millis(800)).await;
    lab.configure(LAB_POLICY).await;

    let (status, body) = lab.vault("GET", "aws/creds/my-role", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["lease_duration"], 2_764_800);
    assert_eq!(body["renewable"], true);
    assert!(body["data"]["security_token"].is_null());
    let (lease_id, key, secret) = creds(&body);

    let users = lab.user_names().await;
    let user = users
        .iter()
        .find(|name| name.starts_with("vault-root-my-role-"))
        .unwrap_or_else(|| panic!("no Vault-made user in {users:?}"))
        .clone();
    let policy = lab
        .admin_iam()
        .get_user_policy()
        .user_name(&user)
        .policy_name("my-role")
        .send()
        .await
        .expect("the role's inline policy");
    assert!(policy.policy_document().contains("ec2"));

    // The new key is eventually consistent: refused at first, then accepted.
    let ec2 = lab.ec2(&key, &secret);
    assert_eq!(
        describe_instances_error(&ec2).await.as_deref(),
        Some("AuthFailure")
    );
    eventually("the new key to propagate", || async {
        describe_instances_error(&ec2).await.is_none()
    })
    .await;

    let (status, _) = lab
        .vault(
            "PUT",
            "sys/leases/revoke",
            Some(json!({"lease_id": lease_id, "sync": false})),
        )
        .await;
    assert_eq!(
        status, 202,
        "revocation with sync=false is queued, as in Vault"
    );
    eventually("the IAM user to be deleted", || async {
        !lab.user_names().await.contains(&user)
    })
    .await;
    assert_eq!(
        describe_instances_error(&ec2).await.as_deref(),
        Some("AuthFailure")
    );

    let (status, body) = lab
        .vault(
            "PUT",
            "sys/leases/lookup",
            Some(json!({"lease_id": lease_id})),
        )
        .await;
    assert_eq!((status, body), (400, json!({"errors": ["invalid lease"]})));
    lab.sandbox.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_policy_without_the_action_is_denied_by_ec2() {
    let lab = Lab::start(Duration::ZERO).await;
    lab.configure(IAM_ONLY_POLICY).await;
    let (status, body) = lab.vault("POST", "aws/creds/my-role", None).await;
    assert_eq!(status, 200, "{body}");
    let (_, key, secret) = creds(&body);
    let error = lab
        .ec2(&key, &secret)
        .describe_instances()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_ec2::error::ProvideErrorMetadata::code(&error),
        Some("UnauthorizedOperation")
    );
    let message = aws_sdk_ec2::error::ProvideErrorMetadata::message(&error).unwrap_or_default();
    assert!(
        message.starts_with("You are not authorized to perform this operation."),
        "{message}"
    );
    lab.sandbox.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn the_server_revokes_an_expired_lease_on_its_own() {
    let lab = Lab::start(Duration::ZERO).await;
    lab.configure(LAB_POLICY).await;
    let lease = json!({"lease": "2s", "lease_max": "4s"});
    assert_eq!(
        lab.vault("POST", "aws/config/lease", Some(lease)).await.0,
        204
    );

    let (status, body) = lab.vault("GET", "aws/creds/my-role", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["lease_duration"], 2);
    let (lease_id, key, secret) = creds(&body);
    let ec2 = lab.ec2(&key, &secret);
    assert_eq!(describe_instances_error(&ec2).await, None);

    // Nobody asks: the server's own expiry revokes the lease and deletes the user.
    eventually("the lease to expire and be revoked", || async {
        lab.user_names()
            .await
            .iter()
            .all(|u| !u.starts_with("vault-root-my-role-"))
    })
    .await;
    assert_eq!(
        describe_instances_error(&ec2).await.as_deref(),
        Some("AuthFailure")
    );
    let (status, _) = lab
        .vault(
            "PUT",
            "sys/leases/lookup",
            Some(json!({"lease_id": lease_id})),
        )
        .await;
    assert_eq!(status, 400);
    lab.sandbox.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn simulate_principal_policy_answers_with_the_evaluators_decisions() {
    let lab = Lab::start(Duration::ZERO).await;
    let iam = lab.admin_iam();
    iam.create_user()
        .user_name("ec2-only")
        .send()
        .await
        .expect("CreateUser");
    iam.put_user_policy()
        .user_name("ec2-only")
        .policy_name("p")
        .policy_document(LAB_POLICY)
        .send()
        .await
        .expect("PutUserPolicy");
    let arn = iam
        .get_user()
        .user_name("ec2-only")
        .send()
        .await
        .expect("GetUser")
        .user
        .expect("user")
        .arn;
    let result = iam
        .simulate_principal_policy()
        .policy_source_arn(arn)
        .action_names("ec2:DescribeInstances")
        .action_names("iam:CreateUser")
        .send()
        .await
        .expect("SimulatePrincipalPolicy");
    let decisions: Vec<(&str, &str)> = result
        .evaluation_results()
        .iter()
        .map(|r| (r.eval_action_name(), r.eval_decision().as_str()))
        .collect();
    assert_eq!(
        decisions,
        [
            ("ec2:DescribeInstances", "allowed"),
            ("iam:CreateUser", "implicitDeny")
        ]
    );
    lab.sandbox.shutdown().await.expect("shutdown");
}
