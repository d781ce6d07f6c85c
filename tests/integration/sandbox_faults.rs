//! The sandbox's fault injection, over HTTP: armed with the root token, the next N matching
//! requests fail in the real wire format, read by vaultlab's own clients and by the aws CLI.

use vaultlab_testkit as common;

use secrecy::SecretString;
use serde_json::{Value, json};
use vaultlab::aws::{self, AwsTarget, StaticKeys};
use vaultlab::vault::{VaultClient, VaultConfig, VaultError};
use vaultlab_sandbox::{Sandbox, SandboxOptions};

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

    async fn arm(&self, fault: Value) -> Value {
        let response = self
            .http
            .post(self.faults_url())
            .header("X-Vault-Token", &self.token)
            .json(&fault)
            .send()
            .await
            .expect("POST faults");
        assert_eq!(response.status(), 200, "arming {fault}");
        response.json().await.expect("the armed fault")
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
        body["faults"].as_array().expect("faults").clone()
    }

    fn vault(&self) -> VaultClient {
        VaultClient::new(
            VaultConfig::new(
                self.sandbox.vault_addr(),
                Some(SecretString::from(self.token.clone())),
            )
            .unwrap(),
        )
        .unwrap()
    }

    fn aws(&self) -> (AwsTarget, StaticKeys) {
        let admin = self.sandbox.admin_credentials();
        (
            AwsTarget {
                endpoint_url: Some(self.sandbox.aws_endpoint_url().to_owned()),
                region: "us-east-1".into(),
                trust: Default::default(),
            },
            StaticKeys {
                access_key_id: admin.access_key_id,
                secret_access_key: SecretString::from(admin.secret_access_key.expose().to_owned()),
            },
        )
    }
}

#[tokio::test]
async fn the_admin_api_needs_the_root_token_and_says_what_is_wrong() {
    let lab = Lab::start().await;
    let fault = json!({"vault_path": "aws/", "status": 503});
    let response = lab
        .http
        .post(lab.faults_url())
        .json(&fault)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = lab
        .http
        .post(lab.faults_url())
        .header("X-Vault-Token", "hvs.wrong")
        .json(&fault)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // Listing and disarming are guarded the same way.
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        for token in [None, Some("hvs.wrong")] {
            let mut request = lab.http.request(method.clone(), lab.faults_url());
            if let Some(token) = token {
                request = request.header("X-Vault-Token", token);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 403, "{method} with {token:?}");
        }
    }
    let response = lab
        .http
        .post(lab.faults_url())
        .header("X-Vault-Token", &lab.token)
        .json(&json!({"aws_action": "DescribeInstances"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["errors"][0].as_str().unwrap().contains("needs a code"),
        "{body}"
    );
    assert!(lab.armed().await.is_empty());
}

#[tokio::test]
async fn ec2_throttling_reaches_vaultlabs_client_as_aws_sends_it_then_stops() {
    let lab = Lab::start().await;
    let armed = lab
        .arm(json!({"aws_action": "DescribeInstances", "code": "RequestLimitExceeded", "count": 2}))
        .await;
    assert_eq!(armed["remaining"], 2);
    let (target, keys) = lab.aws();
    for left in [1, 0] {
        let err = aws::describe_instances(&target, &keys)
            .await
            .expect_err("throttled");
        assert_eq!(err.code, "RequestLimitExceeded");
        assert_eq!(err.message, "Request limit exceeded.");
        assert_eq!(err.http_status, Some(503));
        assert!(err.is_throttling());
        assert_eq!(lab.armed().await.len(), left);
    }
    aws::describe_instances(&target, &keys)
        .await
        .expect("the fault is used up");
    // Other actions were never affected.
    aws::caller_identity(&target, &keys).await.expect("STS");
}

#[tokio::test]
async fn sts_and_iam_faults_come_in_their_own_error_shape() {
    let lab = Lab::start().await;
    lab.arm(json!({"aws_action": "GetCallerIdentity", "code": "Throttling"}))
        .await;
    let (target, keys) = lab.aws();
    let err = aws::caller_identity(&target, &keys).await.unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.message.as_str()),
        ("Throttling", "Rate exceeded")
    );
    lab.arm(json!({"aws_action": "*", "code": "InvalidClientTokenId"}))
        .await;
    let err = aws::user_exists(&target, &keys, "nobody")
        .await
        .unwrap_err();
    assert_eq!(err.code, "InvalidClientTokenId");
    assert!(err.is_unknown_key());
}

#[tokio::test]
async fn a_vault_fault_answers_in_vaults_words_for_matching_paths_only() {
    let lab = Lab::start().await;
    let vault = lab.vault();
    vault.enable_mount("aws", "aws").await.expect("enable");
    lab.arm(json!({"vault_path": "aws/creds/", "status": 429, "count": 1}))
        .await;
    lab.arm(json!({"vault_path": "sys/mounts", "method": "post", "status": 503}))
        .await;
    // Neither matches a read of the mount table.
    vault.list_mounts().await.expect("GET sys/mounts");
    match vault.read("aws/creds/my-role").await {
        Err(VaultError::RateLimited { path, errors, .. }) => {
            assert_eq!(path, "aws/creds/my-role");
            assert_eq!(
                errors,
                ["request path \"aws/creds/my-role\": rate limit quota exceeded"]
            );
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    match vault.enable_mount("aws2", "aws").await {
        Err(VaultError::Sealed { errors, .. }) => assert_eq!(errors, ["Vault is sealed"]),
        other => panic!("expected Sealed, got {other:?}"),
    }
    // Used up: the real answers again (no role yet, so Vault's own 400).
    assert!(matches!(
        vault.read("aws/creds/my-role").await,
        Err(VaultError::InvalidRequest { .. })
    ));
    vault
        .enable_mount("aws2", "aws")
        .await
        .expect("enable again");

    // DELETE disarms.
    lab.arm(json!({"vault_path": "sys/", "status": 500, "count": 50}))
        .await;
    let response = lab
        .http
        .delete(lab.faults_url())
        .header("X-Vault-Token", &lab.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    vault.list_mounts().await.expect("disarmed");
}

// Multi-threaded: the sandbox must keep serving while this thread waits for the CLI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_reads_an_injected_ec2_error() {
    let lab = Lab::start().await;
    lab.arm(json!({"aws_action": "DescribeInstances", "code": "RequestLimitExceeded"}))
        .await;
    let (target, keys) = lab.aws();
    let output = std::process::Command::new(common::peer_program("aws"))
        .args(["ec2", "describe-instances", "--endpoint-url"])
        .arg(target.endpoint_url.as_deref().unwrap())
        .env("AWS_ACCESS_KEY_ID", &keys.access_key_id)
        .env(
            "AWS_SECRET_ACCESS_KEY",
            secrecy::ExposeSecret::expose_secret(&keys.secret_access_key),
        )
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("HOME", std::env::temp_dir())
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run aws");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("(RequestLimitExceeded)") && stderr.contains("Request limit exceeded."),
        "{stderr}"
    );
}
