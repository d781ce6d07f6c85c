//! IAM's quotas on inline policies, at the sandbox's AWS endpoint and through its Vault
//! engine: 2,048 characters for all of a user's inline policies, 5,120 for a group's,
//! white space not counted; AWS's `LimitExceeded` and words. (moto enforces none of these,
//! so the sandbox is checked against AWS's documented behaviour alone.) Vault passes AWS's
//! error through at creds time, as it does for every IAM failure.

use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_iam::error::ProvideErrorMetadata;
use serde_json::{Value, json};
use vaultlab_sandbox::{Sandbox, SandboxOptions};

/// A valid policy of exactly `size` characters, white space aside; `spaced` pretty-prints it.
fn policy_of(size: usize, spaced: bool) -> String {
    let (open, sep, close) = if spaced {
        ("{\n  ", ",\n  ", "\n}\n")
    } else {
        ("{", ",", "}")
    };
    let head = format!(
        r#"{open}"Version": "2012-10-17"{sep}"Statement": [{{"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*", "Sid": ""#
    );
    let tail = format!(r#""}}]{close}"#);
    let fixed = head
        .chars()
        .chain(tail.chars())
        .filter(|c| !c.is_whitespace())
        .count();
    let sid = "a".repeat(size - fixed);
    format!("{head}{sid}{tail}")
}

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxOptions {
        propagation_delay: std::time::Duration::ZERO,
        ..SandboxOptions::default()
    })
    .await
    .expect("sandbox")
}

fn iam(sandbox: &Sandbox) -> aws_sdk_iam::Client {
    let admin = sandbox.admin_credentials();
    let config = aws_sdk_iam::Config::builder()
        .http_client(vaultlab_testkit::sdk_http_client())
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(sandbox.aws_endpoint_url())
        .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled())
        .credentials_provider(Credentials::new(
            admin.access_key_id,
            admin.secret_access_key.expose().to_owned(),
            None,
            None,
            "test",
        ))
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

/// PutUserPolicy (or PutGroupPolicy when `group`): Ok, or (status, code, message).
async fn put(
    iam: &aws_sdk_iam::Client,
    group: bool,
    name: &str,
    policy: &str,
    document: &str,
) -> Result<(), (u16, String, String)> {
    let result = if group {
        iam.put_group_policy()
            .group_name(name)
            .policy_name(policy)
            .policy_document(document)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
                (
                    status,
                    e.code().map(str::to_owned),
                    e.message().map(str::to_owned),
                )
            })
    } else {
        iam.put_user_policy()
            .user_name(name)
            .policy_name(policy)
            .policy_document(document)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
                (
                    status,
                    e.code().map(str::to_owned),
                    e.message().map(str::to_owned),
                )
            })
    };
    result.map_err(|(status, code, message)| {
        (
            status,
            code.unwrap_or_default(),
            message.unwrap_or_default(),
        )
    })
}

#[tokio::test]
async fn inline_policies_count_together_against_iams_quotas() {
    let sandbox = sandbox().await;
    let iam = iam(&sandbox);
    iam.create_user()
        .user_name("big")
        .send()
        .await
        .expect("CreateUser");
    iam.create_group()
        .group_name("crew")
        .send()
        .await
        .expect("CreateGroup");

    put(&iam, false, "big", "p1", &policy_of(2048, false))
        .await
        .expect("exactly 2,048 characters fit");
    put(&iam, false, "big", "p1", &policy_of(2048, true))
        .await
        .expect("white space is not counted");
    assert_eq!(
        put(&iam, false, "big", "p1", &policy_of(2049, false)).await,
        Err((
            409,
            "LimitExceeded".to_owned(),
            "Maximum policy size of 2048 bytes exceeded for user big".to_owned()
        ))
    );
    // Two policies count together; replacing one counts only the new document.
    put(&iam, false, "big", "p1", &policy_of(1000, false))
        .await
        .unwrap();
    put(&iam, false, "big", "p2", &policy_of(1048, false))
        .await
        .unwrap();
    let over = put(&iam, false, "big", "p3", &policy_of(200, false)).await;
    assert_eq!(over.unwrap_err().1, "LimitExceeded");
    put(&iam, false, "big", "p2", &policy_of(1048, true))
        .await
        .expect("a replaced policy's old size does not count");

    put(&iam, true, "crew", "g1", &policy_of(5120, false))
        .await
        .unwrap();
    assert_eq!(
        put(&iam, true, "crew", "g1", &policy_of(5121, false)).await,
        Err((
            409,
            "LimitExceeded".to_owned(),
            "Maximum policy size of 5120 bytes exceeded for group crew".to_owned()
        ))
    );
}

#[tokio::test]
async fn a_role_over_the_quota_fails_at_creds_in_awss_words_as_vault_would() {
    let sandbox = sandbox().await;
    let http = reqwest::Client::new();
    let token = sandbox.root_token().expose().to_owned();
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut request = http
            .request(method, format!("{}/v1/{path}", sandbox.vault_addr()))
            .header("X-Vault-Token", &token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            let text = response.text().await.expect("body");
            (
                status,
                serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
            )
        }
    };
    let admin = sandbox.admin_credentials();
    let (status, _) = call(
        reqwest::Method::POST,
        "sys/mounts/aws",
        Some(json!({"type": "aws"})),
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(
        reqwest::Method::POST,
        "aws/config/root",
        Some(json!({
            "access_key": admin.access_key_id,
            "secret_key": admin.secret_access_key.expose(),
            "region": "us-east-1",
        })),
    )
    .await;
    assert_eq!(status, 204);
    // Vault takes the role as it is: the quota is IAM's, met at PutUserPolicy.
    let (status, body) = call(
        reqwest::Method::POST,
        "aws/roles/big",
        Some(json!({"credential_type": "iam_user", "policy_document": policy_of(2049, true)})),
    )
    .await;
    assert_eq!(status, 204, "{body}");

    let (status, body) = call(reqwest::Method::GET, "aws/creds/big", None).await;
    assert_eq!(status, 400, "{body}");
    let error = body["errors"][0].as_str().expect("an error");
    assert!(
        error.starts_with(
            "Error putting user policy: LimitExceeded: Maximum policy size of 2048 bytes exceeded for user vault-root-big-"
        ),
        "{error}"
    );
    assert!(
        error.contains("\n\tstatus code: 409, request id: "),
        "{error}"
    );

    // The half-made user was rolled back.
    let users = iam(&sandbox).list_users().send().await.expect("ListUsers");
    let left: Vec<&str> = users
        .users()
        .iter()
        .map(|u| u.user_name())
        .filter(|n| n.starts_with("vault-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
