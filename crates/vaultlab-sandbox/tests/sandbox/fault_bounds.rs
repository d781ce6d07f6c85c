//! Fault injection's bounds, over HTTP: an AWS fault is used up only by a request the
//! endpoint authenticated; statuses are error statuses; how many faults are armed and how
//! long their words are is bounded.

use serde_json::{Value, json};
use vaultlab_sandbox::{Sandbox, SandboxOptions};

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ec2::error::ProvideErrorMetadata;

struct Lab {
    sandbox: Sandbox,
    token: String,
    http: reqwest::Client,
}

impl Lab {
    async fn start() -> Lab {
        let sandbox = Sandbox::start(SandboxOptions {
            propagation_delay: std::time::Duration::ZERO,
            ..SandboxOptions::default()
        })
        .await
        .expect("sandbox");
        let token = sandbox.root_token().expose().to_owned();
        Lab {
            sandbox,
            token,
            http: reqwest::Client::new(),
        }
    }

    fn faults_url(&self) -> String {
        format!("{}/vaultlab/faults", self.sandbox.vault_addr())
    }

    /// POSTs a fault: (status, body).
    async fn arm(&self, fault: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.faults_url())
            .header("X-Vault-Token", &self.token)
            .json(&fault)
            .send()
            .await
            .expect("POST faults");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON"))
    }

    async fn armed(&self) -> Vec<Value> {
        let body: Value = self
            .http
            .get(self.faults_url())
            .header("X-Vault-Token", &self.token)
            .send()
            .await
            .expect("GET faults")
            .json()
            .await
            .expect("JSON");
        body["faults"].as_array().expect("a list").clone()
    }

    fn ec2(&self, secret: &str) -> aws_sdk_ec2::Client {
        let admin = self.sandbox.admin_credentials();
        let config = aws_sdk_ec2::Config::builder()
            .http_client(vaultlab_testkit::sdk_http_client())
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.sandbox.region().to_owned()))
            .endpoint_url(self.sandbox.aws_endpoint_url())
            .retry_config(aws_sdk_ec2::config::retry::RetryConfig::disabled())
            .credentials_provider(Credentials::new(
                admin.access_key_id,
                secret.to_owned(),
                None,
                None,
                "test",
            ))
            .build();
        aws_sdk_ec2::Client::from_conf(config)
    }

    /// DescribeInstances' error code, or "ok".
    async fn describe_instances(&self, secret: &str) -> String {
        match self.ec2(secret).describe_instances().send().await {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.code().unwrap_or("<none>").to_owned(),
        }
    }
}

#[tokio::test]
async fn only_an_authenticated_request_uses_up_an_aws_fault() {
    let lab = Lab::start().await;
    let (status, _) = lab
        .arm(json!({"aws_action": "DescribeInstances", "code": "RequestLimitExceeded"}))
        .await;
    assert_eq!(status, 200);

    let unsigned = lab
        .http
        .post(lab.sandbox.aws_endpoint_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("Action=DescribeInstances&Version=2016-11-15")
        .send()
        .await
        .expect("unsigned POST");
    assert_eq!(unsigned.status(), 401);
    let body = unsigned.text().await.unwrap();
    assert!(body.contains("<Code>AuthFailure</Code>"), "{body}");
    assert_eq!(
        lab.describe_instances("not-the-secret").await,
        "AuthFailure"
    );
    assert_eq!(lab.armed().await.len(), 1, "still armed");

    let secret = lab.sandbox.admin_credentials().secret_access_key;
    assert_eq!(
        lab.describe_instances(secret.expose()).await,
        "RequestLimitExceeded"
    );
    assert!(lab.armed().await.is_empty(), "used up");
    assert_eq!(lab.describe_instances(secret.expose()).await, "ok");
}

#[tokio::test]
async fn a_faults_status_must_be_an_error_status() {
    let lab = Lab::start().await;
    for fault in [
        json!({"aws_action": "DescribeInstances", "code": "Throttling", "status": 200}),
        json!({"aws_action": "*", "code": "InternalError", "status": 302}),
        json!({"aws_action": "*", "code": "InternalError", "status": 600}),
        json!({"vault_path": "aws/creds/", "status": 204}),
        json!({"vault_path": "aws/creds/", "status": 999}),
    ] {
        let (status, body) = lab.arm(fault.clone()).await;
        assert_eq!(status, 400, "{fault}");
        let error = body["errors"][0].as_str().unwrap_or_default();
        assert!(
            error.ends_with("is not an error status: a fault's status must be from 400 to 599"),
            "{fault}: {error}"
        );
    }
    assert!(lab.armed().await.is_empty());
    let (status, body) = lab
        .arm(json!({"aws_action": "*", "code": "ServiceUnavailable", "status": 599}))
        .await;
    assert_eq!((status, &body["status"]), (200, &json!(599)));
}

#[tokio::test]
async fn armed_faults_and_their_words_are_bounded() {
    let lab = Lab::start().await;
    let long = "x".repeat(1025);
    let (status, body) = lab
        .arm(json!({"vault_path": "aws/", "status": 429, "message": long}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0],
        "message is 1025 characters long; a fault's message may have at most 1024"
    );
    for _ in 0..100 {
        let (status, _) = lab
            .arm(json!({"aws_action": "GetCallerIdentity", "code": "Throttling"}))
            .await;
        assert_eq!(status, 200);
    }
    let (status, body) = lab
        .arm(json!({"aws_action": "GetCallerIdentity", "code": "Throttling"}))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["errors"][0]
            .as_str()
            .is_some_and(|e| e.starts_with("100 faults are armed, the most the sandbox keeps")),
        "{body}"
    );
    assert_eq!(lab.armed().await.len(), 100);
}
