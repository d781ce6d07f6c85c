//! The AWS-compatible endpoint driven by the real aws-sdk-rust clients (IAM, STS, EC2) over
//! HTTP, and by boto3 (tests/peers/aws_boto3.py) to prove botocore parses our XML.

use vaultlab_testkit as common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use tokio::sync::Notify;
use vaultlab_sandbox::aws::sigv4;
use vaultlab_sandbox::aws::{AdminCredentials, AwsEndpoint, AwsOptions, AwsState};

const LAB_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Stmt1426528957000","Effect":"Allow","Action":["ec2:*"],"Resource":["*"]}]}"#;

struct Sandbox {
    url: String,
    admin: AdminCredentials,
    endpoint: AwsEndpoint,
    changes: Arc<Notify>,
}

async fn start(propagation_delay: Duration) -> Sandbox {
    let changes = Arc::new(Notify::new());
    let options = AwsOptions {
        propagation_delay,
        region: "us-east-1".into(),
    };
    let endpoint = AwsEndpoint::new(AwsState::new_account(), options, changes.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = endpoint.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Sandbox {
        url,
        admin: endpoint.admin_credentials(),
        endpoint,
        changes,
    }
}

#[derive(Clone)]
struct Keys(String, String);

impl Sandbox {
    fn admin_keys(&self) -> Keys {
        Keys(
            self.admin.access_key_id.clone(),
            self.admin.secret_access_key.expose().to_string(),
        )
    }

    fn iam(&self, keys: &Keys) -> aws_sdk_iam::Client {
        let config = aws_sdk_iam::Config::builder()
            .http_client(vaultlab_testkit::sdk_http_client())
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled())
            .credentials_provider(Credentials::new(&keys.0, &keys.1, None, None, "test"))
            .build();
        aws_sdk_iam::Client::from_conf(config)
    }

    fn sts(&self, keys: &Keys) -> aws_sdk_sts::Client {
        let config = aws_sdk_sts::Config::builder()
            .http_client(vaultlab_testkit::sdk_http_client())
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                &keys.0, &keys.1, None, None, "test",
            ))
            .build();
        aws_sdk_sts::Client::from_conf(config)
    }

    fn ec2(&self, keys: &Keys) -> aws_sdk_ec2::Client {
        let config = aws_sdk_ec2::Config::builder()
            .http_client(vaultlab_testkit::sdk_http_client())
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_sdk_ec2::config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .retry_config(aws_sdk_ec2::config::retry::RetryConfig::disabled())
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                &keys.0, &keys.1, None, None, "test",
            ))
            .build();
        aws_sdk_ec2::Client::from_conf(config)
    }

    /// Creates a user with an inline policy and a key, as Vault's engine does.
    async fn user_with_policy(&self, name: &str, policy: &str) -> Keys {
        let iam = self.iam(&self.admin_keys());
        iam.create_user()
            .user_name(name)
            .send()
            .await
            .expect("CreateUser");
        self.user_with_policy_for(name, policy).await
    }

    /// Gives an existing user an inline policy `my-role` and an access key.
    async fn user_with_policy_for(&self, name: &str, policy: &str) -> Keys {
        let iam = self.iam(&self.admin_keys());
        iam.put_user_policy()
            .user_name(name)
            .policy_name("my-role")
            .policy_document(policy)
            .send()
            .await
            .expect("PutUserPolicy");
        let key = iam
            .create_access_key()
            .user_name(name)
            .send()
            .await
            .expect("CreateAccessKey")
            .access_key
            .expect("access key");
        Keys(key.access_key_id, key.secret_access_key)
    }
}

/// (HTTP status, AWS error code, message) of a failed SDK call.
fn failure<E: ProvideErrorMetadata, T: std::fmt::Debug>(
    result: Result<T, SdkError<E, aws_smithy_runtime_api_http::Response>>,
) -> (u16, String, String) {
    let err = result.expect_err("the call should fail");
    let status = err.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
    (
        status,
        err.code().unwrap_or("<none>").to_string(),
        err.message().unwrap_or("").to_string(),
    )
}

// aws-sdk-* re-export the smithy HTTP response type under config; name it once.
mod aws_smithy_runtime_api_http {
    pub type Response = aws_sdk_iam::config::http::HttpResponse;
}

#[tokio::test]
async fn admin_creates_user_and_key_that_describes_instances() {
    let sandbox = start(Duration::ZERO).await;
    let keys = sandbox
        .user_with_policy("vault-root-my-role-1763900000-abc", LAB_POLICY)
        .await;
    assert!(
        keys.0.starts_with("AKIA") && keys.0.len() == 20,
        "{}",
        keys.0
    );

    let instances = sandbox
        .ec2(&keys)
        .describe_instances()
        .send()
        .await
        .expect("DescribeInstances");
    assert!(instances.reservations().is_empty());

    let me = sandbox
        .sts(&keys)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(me.account(), Some(sandbox.admin.account_id.as_str()));
    assert_eq!(
        me.arn().unwrap(),
        format!(
            "arn:aws:iam::{}:user/vault-root-my-role-1763900000-abc",
            sandbox.admin.account_id
        )
    );
    assert!(me.user_id().unwrap().starts_with("AIDA"));

    // The lab policy grants EC2 only: IAM is refused with AWS's message.
    let (status, code, message) = failure(sandbox.iam(&keys).list_users().send().await);
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        message,
        format!(
            "User: {} is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::{}:user/ because no identity-based policy allows the iam:ListUsers action",
            me.arn().unwrap(),
            sandbox.admin.account_id
        )
    );
}

#[tokio::test]
async fn admin_identity_and_user_listing_round_trip() {
    let sandbox = start(Duration::ZERO).await;
    let admin = sandbox.admin_keys();
    let me = sandbox
        .sts(&admin)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.arn(), Some(sandbox.admin.user_arn.as_str()));

    let iam = sandbox.iam(&admin);
    let created = iam
        .create_user()
        .user_name("alice")
        .path("/lab/")
        .send()
        .await
        .unwrap();
    let user = created.user().unwrap();
    assert_eq!(user.path(), "/lab/");
    assert_eq!(
        user.arn(),
        format!("arn:aws:iam::{}:user/lab/alice", sandbox.admin.account_id)
    );

    let users = iam.list_users().send().await.unwrap();
    let mut names: Vec<&str> = users.users().iter().map(|u| u.user_name()).collect();
    names.sort();
    assert_eq!(names, ["alice", "vaultlab-admin"]);
    assert!(!users.is_truncated());

    let got = iam.get_user().send().await.unwrap();
    assert_eq!(got.user().unwrap().user_name(), "vaultlab-admin");

    let (status, code, message) = failure(iam.create_user().user_name("alice").send().await);
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            409,
            "EntityAlreadyExists",
            "User with name alice already exists."
        )
    );
    let (status, code, message) = failure(iam.get_user().user_name("nobody").send().await);
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            404,
            "NoSuchEntity",
            "The user with name nobody cannot be found."
        )
    );
    let (status, code, _) = failure(iam.create_user().user_name("bad name!").send().await);
    assert_eq!((status, code.as_str()), (400, "ValidationError"));

    iam.put_user_policy()
        .user_name("alice")
        .policy_name("p")
        .policy_document(LAB_POLICY)
        .send()
        .await
        .unwrap();
    let policy = iam
        .get_user_policy()
        .user_name("alice")
        .policy_name("p")
        .send()
        .await
        .unwrap();
    // AWS sends the document URL-encoded; the Rust SDK leaves decoding to the caller.
    let decoded = percent_encoding::percent_decode_str(policy.policy_document())
        .decode_utf8()
        .unwrap();
    assert_eq!(decoded, LAB_POLICY);
    let names = iam
        .list_user_policies()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(names.policy_names(), ["p"]);

    let regions = sandbox.ec2(&admin).describe_regions().send().await.unwrap();
    let names: Vec<&str> = regions
        .regions()
        .iter()
        .filter_map(|r| r.region_name())
        .collect();
    assert!(
        names.contains(&"us-east-1") && names.contains(&"eu-west-1"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"af-south-1"),
        "opt-in regions are listed only with AllRegions"
    );
    assert_eq!(
        regions.regions()[0].endpoint(),
        Some(format!("ec2.{}.amazonaws.com", names[0]).as_str())
    );
}

#[tokio::test]
async fn new_key_is_refused_until_it_propagates() {
    let sandbox = start(Duration::from_millis(1500)).await;
    let keys = sandbox.user_with_policy("fresh", LAB_POLICY).await;

    let (status, code, _) = failure(sandbox.ec2(&keys).describe_instances().send().await);
    assert_eq!((status, code.as_str()), (401, "AuthFailure"));
    let (status, code, message) = failure(sandbox.sts(&keys).get_caller_identity().send().await);
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid."
        )
    );

    // As the lab does: retry until the key has propagated.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match sandbox.ec2(&keys).describe_instances().send().await {
            Ok(_) => break,
            Err(e) => {
                assert_eq!(e.code(), Some("AuthFailure"));
                assert!(Instant::now() < deadline, "key never became valid");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    sandbox
        .sts(&keys)
        .get_caller_identity()
        .send()
        .await
        .expect("valid after propagation");
}

#[tokio::test]
async fn deleted_key_gets_auth_failure_from_ec2_and_invalid_token_from_sts() {
    let sandbox = start(Duration::ZERO).await;
    let keys = sandbox.user_with_policy("doomed", LAB_POLICY).await;
    sandbox
        .ec2(&keys)
        .describe_instances()
        .send()
        .await
        .expect("works before revocation");

    let iam = sandbox.iam(&sandbox.admin_keys());
    // Vault's revocation order: list, then delete keys, detach, delete inline policies, user.
    let listed = iam
        .list_access_keys()
        .user_name("doomed")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.access_key_metadata().len(), 1);
    assert_eq!(
        listed.access_key_metadata()[0].access_key_id(),
        Some(keys.0.as_str())
    );
    iam.delete_access_key()
        .user_name("doomed")
        .access_key_id(&keys.0)
        .send()
        .await
        .unwrap();
    iam.delete_user_policy()
        .user_name("doomed")
        .policy_name("my-role")
        .send()
        .await
        .unwrap();
    iam.delete_user().user_name("doomed").send().await.unwrap();

    let (status, code, message) = failure(sandbox.ec2(&keys).describe_instances().send().await);
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            401,
            "AuthFailure",
            "AWS was not able to validate the provided access credentials"
        )
    );
    let (status, code, _) = failure(sandbox.sts(&keys).get_caller_identity().send().await);
    assert_eq!((status, code.as_str()), (403, "InvalidClientTokenId"));
    let (status, code, _) = failure(sandbox.iam(&keys).get_user().send().await);
    assert_eq!((status, code.as_str()), (403, "InvalidClientTokenId"));
}

#[tokio::test]
async fn inactive_key_is_refused_and_reactivated_key_works() {
    let sandbox = start(Duration::ZERO).await;
    let keys = sandbox.user_with_policy("paused", LAB_POLICY).await;
    let iam = sandbox.iam(&sandbox.admin_keys());
    iam.update_access_key()
        .user_name("paused")
        .access_key_id(&keys.0)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let listed = iam
        .list_access_keys()
        .user_name("paused")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.access_key_metadata()[0].status(),
        Some(&aws_sdk_iam::types::StatusType::Inactive)
    );
    let (_, code, _) = failure(sandbox.ec2(&keys).describe_instances().send().await);
    assert_eq!(code, "AuthFailure");
    iam.update_access_key()
        .user_name("paused")
        .access_key_id(&keys.0)
        .status(aws_sdk_iam::types::StatusType::Active)
        .send()
        .await
        .unwrap();
    sandbox
        .ec2(&keys)
        .describe_instances()
        .send()
        .await
        .expect("active again");
}

#[tokio::test]
async fn policy_without_describe_instances_is_unauthorized() {
    let sandbox = start(Duration::ZERO).await;
    let only_regions = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeRegions","Resource":"*"}]}"#;
    let keys = sandbox.user_with_policy("narrow", only_regions).await;
    let ec2 = sandbox.ec2(&keys);
    ec2.describe_regions()
        .send()
        .await
        .expect("DescribeRegions is allowed");
    let (status, code, message) = failure(ec2.describe_instances().send().await);
    assert_eq!((status, code.as_str()), (403, "UnauthorizedOperation"));
    assert_eq!(
        message,
        format!(
            "You are not authorized to perform this operation. User: arn:aws:iam::{}:user/narrow is not authorized to perform: ec2:DescribeInstances because no identity-based policy allows the ec2:DescribeInstances action",
            sandbox.admin.account_id
        )
    );
    // GetCallerIdentity needs no permission, as in AWS.
    sandbox
        .sts(&keys)
        .get_caller_identity()
        .send()
        .await
        .expect("always allowed");
}

#[tokio::test]
async fn explicit_deny_wins() {
    let sandbox = start(Duration::ZERO).await;
    let keys = sandbox.user_with_policy("denied", LAB_POLICY).await;
    let iam = sandbox.iam(&sandbox.admin_keys());
    iam.create_group()
        .group_name("no-describe")
        .send()
        .await
        .unwrap();
    iam.put_group_policy()
        .group_name("no-describe")
        .policy_name("deny")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:DescribeInstances","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    sandbox
        .ec2(&keys)
        .describe_instances()
        .send()
        .await
        .expect("allowed before joining the group");
    iam.add_user_to_group()
        .group_name("no-describe")
        .user_name("denied")
        .send()
        .await
        .unwrap();
    let groups = iam
        .list_groups_for_user()
        .user_name("denied")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.groups()[0].group_name(), "no-describe");
    let group = iam
        .get_group()
        .group_name("no-describe")
        .send()
        .await
        .unwrap();
    assert_eq!(group.users()[0].user_name(), "denied");

    let (status, code, message) = failure(sandbox.ec2(&keys).describe_instances().send().await);
    assert_eq!((status, code.as_str()), (403, "UnauthorizedOperation"));
    assert!(
        message
            .ends_with("ec2:DescribeInstances with an explicit deny in an identity-based policy"),
        "{message}"
    );
    sandbox
        .ec2(&keys)
        .describe_regions()
        .send()
        .await
        .expect("ec2:* still allows the rest");

    let (status, code, message) =
        failure(iam.delete_group().group_name("no-describe").send().await);
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            409,
            "DeleteConflict",
            "Cannot delete entity, must remove users from group first."
        )
    );
    iam.remove_user_from_group()
        .group_name("no-describe")
        .user_name("denied")
        .send()
        .await
        .unwrap();
    sandbox
        .ec2(&keys)
        .describe_instances()
        .send()
        .await
        .expect("allowed again after leaving");
}

#[tokio::test]
async fn managed_policies_attach_from_the_catalog() {
    let sandbox = start(Duration::ZERO).await;
    let keys = sandbox
        .user_with_policy(
            "managed",
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"}]}"#,
        )
        .await;
    let iam = sandbox.iam(&sandbox.admin_keys());
    let (_, code, _) = failure(sandbox.ec2(&keys).describe_instances().send().await);
    assert_eq!(code, "UnauthorizedOperation");

    let arn = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess";
    iam.attach_user_policy()
        .user_name("managed")
        .policy_arn(arn)
        .send()
        .await
        .unwrap();
    let attached = iam
        .list_attached_user_policies()
        .user_name("managed")
        .send()
        .await
        .unwrap();
    assert_eq!(
        attached.attached_policies()[0].policy_name(),
        Some("AmazonEC2ReadOnlyAccess")
    );
    assert_eq!(attached.attached_policies()[0].policy_arn(), Some(arn));
    sandbox
        .ec2(&keys)
        .describe_instances()
        .send()
        .await
        .expect("granted by the managed policy");

    let (status, code, message) = failure(
        iam.attach_user_policy()
            .user_name("managed")
            .policy_arn("arn:aws:iam::aws:policy/Nope")
            .send()
            .await,
    );
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            404,
            "NoSuchEntity",
            "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable."
        )
    );
    iam.detach_user_policy()
        .user_name("managed")
        .policy_arn(arn)
        .send()
        .await
        .unwrap();
    let (_, code, _) = failure(sandbox.ec2(&keys).describe_instances().send().await);
    assert_eq!(code, "UnauthorizedOperation");
}

#[tokio::test]
async fn delete_user_with_policies_left_is_a_conflict() {
    let sandbox = start(Duration::ZERO).await;
    let keys = sandbox.user_with_policy("busy", LAB_POLICY).await;
    let iam = sandbox.iam(&sandbox.admin_keys());
    iam.attach_user_policy()
        .user_name("busy")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();

    let conflict = |r| failure::<aws_sdk_iam::operation::delete_user::DeleteUserError, _>(r);
    let (status, code, message) = conflict(iam.delete_user().user_name("busy").send().await);
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            409,
            "DeleteConflict",
            "Cannot delete entity, must detach all policies first."
        )
    );
    iam.detach_user_policy()
        .user_name("busy")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    let (_, _, message) = conflict(iam.delete_user().user_name("busy").send().await);
    assert_eq!(message, "Cannot delete entity, must delete policies first.");
    iam.delete_user_policy()
        .user_name("busy")
        .policy_name("my-role")
        .send()
        .await
        .unwrap();
    let (_, _, message) = conflict(iam.delete_user().user_name("busy").send().await);
    assert_eq!(
        message,
        "Cannot delete entity, must delete access keys first."
    );
    iam.delete_access_key()
        .user_name("busy")
        .access_key_id(&keys.0)
        .send()
        .await
        .unwrap();
    iam.delete_user()
        .user_name("busy")
        .send()
        .await
        .expect("nothing left");
    let (status, code, _) = failure(iam.delete_user().user_name("busy").send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchEntity"));
}

#[tokio::test]
async fn access_key_quota_is_two_per_user() {
    let sandbox = start(Duration::ZERO).await;
    let iam = sandbox.iam(&sandbox.admin_keys());
    iam.create_user().user_name("keys").send().await.unwrap();
    iam.create_access_key()
        .user_name("keys")
        .send()
        .await
        .unwrap();
    iam.create_access_key()
        .user_name("keys")
        .send()
        .await
        .unwrap();
    let (status, code, message) = failure(iam.create_access_key().user_name("keys").send().await);
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            409,
            "LimitExceeded",
            "Cannot exceed quota for AccessKeysPerUser: 2"
        )
    );
    let (status, code, _) = failure(
        iam.put_user_policy()
            .user_name("keys")
            .policy_name("p")
            .policy_document("not json")
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (400, "MalformedPolicyDocument"));
    let (_, code, _) = failure(
        iam.put_user_policy()
            .user_name("keys")
            .policy_name("p")
            .policy_document(r#"{"Version":"2012-10-17"}"#)
            .send()
            .await,
    );
    assert_eq!(code, "MalformedPolicyDocument");
}

#[tokio::test]
async fn wrong_secret_is_signature_mismatch() {
    let sandbox = start(Duration::ZERO).await;
    let wrong = Keys(sandbox.admin.access_key_id.clone(), "not-the-secret".into());
    let (status, code, message) = failure(sandbox.iam(&wrong).list_users().send().await);
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
    assert!(
        message.starts_with("The request signature we calculated does not match"),
        "{message}"
    );
    let (status, code, _) = failure(sandbox.sts(&wrong).get_caller_identity().send().await);
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
    let (status, code, _) = failure(sandbox.ec2(&wrong).describe_instances().send().await);
    assert_eq!((status, code.as_str()), (401, "AuthFailure"));

    let unknown = Keys("AKIAUNKNOWNUNKNOWN22".into(), "x".into());
    let (status, code, _) = failure(sandbox.sts(&unknown).get_caller_identity().send().await);
    assert_eq!((status, code.as_str()), (403, "InvalidClientTokenId"));
}

/// Sends a raw query-protocol POST, signed with our own signer when `keys` is given.
async fn raw_post(
    sandbox: &Sandbox,
    service: &str,
    body: &str,
    keys: Option<&Keys>,
    amz_date: Option<String>,
) -> (u16, String, Option<String>) {
    let url = reqwest::Url::parse(&sandbox.url).unwrap();
    let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let mut request = reqwest::Client::new()
        .post(&sandbox.url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string());
    if let Some(keys) = keys {
        let amz_date =
            amz_date.unwrap_or_else(|| chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string());
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        headers.insert("host", host.parse().unwrap());
        headers.insert("x-amz-date", amz_date.parse().unwrap());
        let auth = sigv4::Authorization {
            access_key_id: keys.0.clone(),
            date: amz_date[..8].to_string(),
            region: "us-east-1".into(),
            service: service.into(),
            signed_headers: vec!["content-type".into(), "host".into(), "x-amz-date".into()],
            signature: String::new(),
        };
        let req = sigv4::SignedRequest {
            method: "POST",
            raw_path: "/",
            raw_query: "",
            headers: &headers,
            body: body.as_bytes(),
        };
        let signature = sigv4::sign(&req, &auth, &keys.1, &amz_date);
        request = request.header("x-amz-date", amz_date).header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders=content-type;host;x-amz-date, Signature={signature}",
                keys.0,
                auth.scope()
            ),
        );
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let request_id = response
        .headers()
        .get("x-amzn-requestid")
        .map(|v| v.to_str().unwrap().to_string());
    (status, response.text().await.unwrap(), request_id)
}

#[tokio::test]
async fn malformed_request_gets_aws_error_and_server_keeps_serving() {
    let sandbox = start(Duration::ZERO).await;
    let admin = sandbox.admin_keys();

    let (status, body, request_id) = raw_post(
        &sandbox,
        "iam",
        "Action=ListUsers&Version=2010-05-08",
        None,
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert!(body.contains("<Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token</Message>"), "{body}");
    assert!(body.contains("<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>"), "{body}");
    let request_id = request_id.expect("x-amzn-RequestId header");
    assert!(
        body.contains(&format!("<RequestId>{request_id}</RequestId>")),
        "{body}"
    );

    let (status, body, _) = raw_post(
        &sandbox,
        "ec2",
        "Action=DescribeInstances&Version=2016-11-15",
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        body.contains("<Response><Errors><Error><Code>AuthFailure</Code>"),
        "{body}"
    );

    let (status, body, _) = raw_post(&sandbox, "iam", "%%%&&==&\u{0}garbage", None, None).await;
    assert_eq!(status, 400, "{body}");

    let (status, body, _) = raw_post(
        &sandbox,
        "iam",
        "Action=Frobnicate&Version=2010-05-08",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("<Code>InvalidAction</Code><Message>Could not find operation Frobnicate for version 2010-05-08</Message>"), "{body}");

    let (status, body, _) = raw_post(
        &sandbox,
        "ec2",
        "Action=Frobnicate&Version=2016-11-15",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains(
            "<Message>The action Frobnicate is not valid for this web service.</Message>"
        ),
        "{body}"
    );

    let (status, body, _) = raw_post(
        &sandbox,
        "iam",
        "Action=DeleteUser&Version=2010-05-08",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("<Code>ValidationError</Code><Message>1 validation error detected: Value null at &apos;userName&apos; failed to satisfy constraint: Member must not be null</Message>"), "{body}");

    let (status, body, _) = raw_post(
        &sandbox,
        "iam",
        "Action=CreateUser&Version=2010-05-08&UserName=%3Cscript%3E",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("&lt;script&gt;") && !body.contains("<script>"),
        "{body}"
    );

    let old = (chrono::Utc::now() - chrono::Duration::minutes(20))
        .format("%Y%m%dT%H%M%SZ")
        .to_string();
    let (status, body, _) = raw_post(
        &sandbox,
        "sts",
        "Action=GetCallerIdentity&Version=2011-06-15",
        Some(&admin),
        Some(old),
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code><Message>Signature expired:"),
        "{body}"
    );

    let (status, body, _) = raw_post(
        &sandbox,
        "sts",
        "Action=GetCallerIdentity&Version=2011-06-15",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>"), "{body}");

    sandbox
        .iam(&admin)
        .list_users()
        .send()
        .await
        .expect("still serving");
}

#[tokio::test]
async fn state_changes_ring_the_notifier_and_show_in_snapshots() {
    let sandbox = start(Duration::ZERO).await;
    let notified = sandbox.changes.notified();
    sandbox
        .iam(&sandbox.admin_keys())
        .create_user()
        .user_name("persisted")
        .send()
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), notified)
        .await
        .expect("a change notification");
    let snapshot = sandbox.endpoint.snapshot();
    // Users are kept per account.
    assert!(
        snapshot
            .user(&sandbox.admin.account_id, "persisted")
            .is_ok()
    );

    // A restarted endpoint from the snapshot still knows the admin key.
    let json = serde_json::to_string(&snapshot).unwrap();
    let restored: AwsState = serde_json::from_str(&json).unwrap();
    let again = AwsEndpoint::new(restored, AwsOptions::default(), Arc::new(Notify::new()));
    assert_eq!(
        again.admin_credentials().access_key_id,
        sandbox.admin.access_key_id
    );
}

#[tokio::test]
async fn boto3_parses_every_response() {
    let sandbox = start(Duration::ZERO).await;
    let script = common::peer_script("aws_boto3.py");
    let output = tokio::process::Command::new(common::peer_python())
        .arg(script)
        .env("SANDBOX_URL", &sandbox.url)
        .env("ADMIN_KEY", &sandbox.admin.access_key_id)
        .env("ADMIN_SECRET", sandbox.admin.secret_access_key.expose())
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run python: {e}; {}", common::INSTALL_HINT));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "boto3 script failed: {stderr}");
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("JSON from the script");
    let account = &sandbox.admin.account_id;

    assert_eq!(
        report["admin_arn"],
        format!("arn:aws:iam::{account}:user/vaultlab-admin")
    );
    assert_eq!(report["created_user"]["UserName"], "boto-user");
    assert_eq!(
        report["created_user"]["Arn"],
        format!("arn:aws:iam::{account}:user/boto-user")
    );
    assert_eq!(report["created_user"]["Tags"][0]["Key"], "team");
    // botocore decodes the URL-encoded document into a dict.
    assert_eq!(
        report["policy_document"]["Statement"][0]["Action"][0],
        "ec2:*"
    );
    assert_eq!(report["policy_names"], serde_json::json!(["my-role"]));
    assert!(report["key_id"].as_str().unwrap().starts_with("AKIA"));
    assert_eq!(report["listed_keys"], 1);
    assert_eq!(report["user_count"], 2);
    assert_eq!(report["reservations"], serde_json::json!([]));
    assert!(
        report["regions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "us-east-1")
    );
    assert_eq!(
        report["new_key_identity"],
        format!("arn:aws:iam::{account}:user/boto-user")
    );
    assert_eq!(
        report["new_key_list_users"],
        serde_json::json!({"code": "AccessDenied", "status": 403})
    );
    assert_eq!(
        report["conflict"],
        serde_json::json!({"code": "DeleteConflict", "status": 409})
    );
    assert_eq!(
        report["deleted_key_ec2"],
        serde_json::json!({"code": "AuthFailure", "status": 401})
    );
    assert_eq!(
        report["deleted_key_sts"],
        serde_json::json!({"code": "InvalidClientTokenId", "status": 403})
    );
    assert_eq!(
        report["no_such_user"],
        serde_json::json!({"code": "NoSuchEntity", "status": 404})
    );
    assert!(
        report["request_id"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );
}

/// Runs tests/peers/aws_probe.py against an endpoint: probe name → {status, code, message}.
async fn probe(url: &str, key: &str, secret: &str) -> serde_json::Value {
    let script = common::peer_script("aws_probe.py");
    let output = tokio::process::Command::new(common::peer_python())
        .arg(script)
        .env("TARGET_URL", url)
        .env("ADMIN_KEY", key)
        .env("ADMIN_SECRET", secret)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run python: {e}; {}", common::INSTALL_HINT));
    assert!(
        output.status.success(),
        "probe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON from the probe")
}

#[tokio::test]
async fn error_paths_match_moto_where_moto_is_right() {
    let moto = common::start_moto();
    let moto_admin = common::enforce_moto_auth(&moto).await;
    let sandbox = start(Duration::ZERO).await;
    let ours = probe(
        &sandbox.url,
        &sandbox.admin.access_key_id,
        sandbox.admin.secret_access_key.expose(),
    )
    .await;
    let theirs = probe(
        &moto.url(),
        &moto_admin.access_key_id,
        &moto_admin.secret_access_key,
    )
    .await;

    // moto answers these as AWS does: same status and code (and message where noted).
    for name in [
        "iam_wrong_secret",
        "sts_wrong_secret",
        "ec2_wrong_secret",
        "iam_unknown_key",
        "sts_unknown_key",
        "ec2_unknown_key",
        "ec2_deleted_key",
        "sts_deleted_key",
        "iam_no_such_user",
        "iam_malformed_policy",
        "iam_unknown_managed_policy",
        "iam_key_quota",
        "iam_delete_user_with_policy",
        "iam_not_allowed_action",
        "ec2_allowed_action",
        "sts_always_allowed",
    ] {
        assert_eq!(
            ours[name]["status"], theirs[name]["status"],
            "{name}: ours {} moto {}",
            ours[name], theirs[name]
        );
        assert_eq!(
            ours[name]["code"], theirs[name]["code"],
            "{name}: ours {} moto {}",
            ours[name], theirs[name]
        );
        if !name.ends_with("not_allowed_action") {
            assert_eq!(ours[name]["message"], theirs[name]["message"], "{name}");
        }
    }

    // Where moto departs from AWS, the sandbox follows AWS.
    let expect = |name: &str, status: u16, code: &str| {
        assert_eq!(ours[name]["status"], status, "{name}: {}", ours[name]);
        assert_eq!(
            ours[name]["code"].to_string().trim_matches('"'),
            code,
            "{name}: {}",
            ours[name]
        );
    };
    expect("ec2_not_allowed_action", 403, "UnauthorizedOperation"); // moto: AccessDenied
    expect("iam_unsigned", 403, "MissingAuthenticationToken"); // moto: 500
    expect("sts_unsigned", 403, "MissingAuthenticationToken");
    expect("ec2_unsigned", 401, "AuthFailure");
    expect("iam_unknown_action", 400, "InvalidAction"); // moto: 500
    expect("ec2_unknown_action", 400, "InvalidAction");
    expect("iam_missing_user_name", 400, "ValidationError"); // moto: NoSuchEntity "None"
    expect("iam_invalid_user_name", 400, "ValidationError"); // moto: accepted
    expect("iam_user_exists", 409, "EntityAlreadyExists");
    assert_eq!(
        ours["iam_user_exists"]["message"],
        "User with name probe already exists."
    );
    expect("iam_stale_date", 403, "SignatureDoesNotMatch"); // moto: no clock check
    expect("sts_stale_date", 403, "SignatureDoesNotMatch");
    expect("ec2_stale_date", 400, "RequestExpired");
    expect("sts_get_with_query", 200, "null");
    expect("ec2_get_with_query", 200, "null");
    expect("ec2_dry_run", 412, "DryRunOperation");
    expect(
        "sts_session_token_with_user_key",
        403,
        "InvalidClientTokenId",
    );
}

/// `aws --endpoint-url … <args>` with the given keys; (success, stdout, stderr).
async fn aws_cli(url: &str, keys: &Keys, args: &[&str]) -> (bool, String, String) {
    let output = tokio::process::Command::new(common::peer_program("aws"))
        .args(["--endpoint-url", url, "--output", "json"])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", &keys.0)
        .env("AWS_SECRET_ACCESS_KEY", &keys.1)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_PAGER", "")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run aws: {e}; {}", common::INSTALL_HINT));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn aws_cli_runs_the_lab_steps() {
    let sandbox = start(Duration::ZERO).await;
    let admin = sandbox.admin_keys();
    let (ok, out, err) = aws_cli(
        &sandbox.url,
        &admin,
        &["iam", "create-user", "--user-name", "cli-user"],
    )
    .await;
    assert!(ok, "{err}");
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(created["User"]["UserName"], "cli-user");
    let keys = sandbox.user_with_policy_for("cli-user", LAB_POLICY).await;

    let (ok, out, err) = aws_cli(&sandbox.url, &keys, &["ec2", "describe-instances"]).await;
    assert!(ok, "{err}");
    let described: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(described["Reservations"], serde_json::json!([]));
    let (ok, out, err) = aws_cli(&sandbox.url, &keys, &["sts", "get-caller-identity"]).await;
    assert!(ok, "{err}");
    assert!(out.contains("user/cli-user"), "{out}");

    let (ok, _, err) = aws_cli(&sandbox.url, &keys, &["iam", "list-users"]).await;
    assert!(!ok);
    assert!(
        err.contains("(AccessDenied)") && err.contains("iam:ListUsers"),
        "{err}"
    );

    let iam = sandbox.iam(&admin);
    iam.delete_access_key()
        .user_name("cli-user")
        .access_key_id(&keys.0)
        .send()
        .await
        .unwrap();
    let (ok, _, err) = aws_cli(&sandbox.url, &keys, &["ec2", "describe-instances"]).await;
    assert!(!ok);
    assert!(
        err.contains("(AuthFailure)")
            && err.contains("AWS was not able to validate the provided access credentials"),
        "{err}"
    );
}

#[tokio::test]
async fn tags_and_group_policies_round_trip() {
    use aws_sdk_iam::types::Tag;
    let sandbox = start(Duration::ZERO).await;
    let iam = sandbox.iam(&sandbox.admin_keys());
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().unwrap();
    iam.create_user()
        .user_name("tagged")
        .tags(tag("team", "lab"))
        .send()
        .await
        .unwrap();
    // Vault tags users after creating them (iam_tags).
    iam.tag_user()
        .user_name("tagged")
        .tags(tag("team", "ops"))
        .tags(tag("env", "dev"))
        .send()
        .await
        .unwrap();
    iam.untag_user()
        .user_name("tagged")
        .tag_keys("env")
        .send()
        .await
        .unwrap();
    let tags = iam
        .list_user_tags()
        .user_name("tagged")
        .send()
        .await
        .unwrap();
    let pairs: Vec<(&str, &str)> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(pairs, [("team", "ops")]);
    let user = iam.get_user().user_name("tagged").send().await.unwrap();
    assert_eq!(user.user().unwrap().tags().len(), 1);

    iam.create_group()
        .group_name("readers")
        .send()
        .await
        .unwrap();
    iam.put_group_policy()
        .group_name("readers")
        .policy_name("read")
        .policy_document(LAB_POLICY)
        .send()
        .await
        .unwrap();
    let names = iam
        .list_group_policies()
        .group_name("readers")
        .send()
        .await
        .unwrap();
    assert_eq!(names.policy_names(), ["read"]);
    let got = iam
        .get_group_policy()
        .group_name("readers")
        .policy_name("read")
        .send()
        .await
        .unwrap();
    assert_eq!(
        percent_encoding::percent_decode_str(got.policy_document())
            .decode_utf8()
            .unwrap(),
        LAB_POLICY
    );
    let (status, _, message) = failure(iam.delete_group().group_name("readers").send().await);
    assert_eq!(
        (status, message.as_str()),
        (409, "Cannot delete entity, must delete policies first.")
    );
    iam.delete_group_policy()
        .group_name("readers")
        .policy_name("read")
        .send()
        .await
        .unwrap();
    iam.delete_group()
        .group_name("readers")
        .send()
        .await
        .unwrap();
    let (status, code, message) = failure(iam.get_group().group_name("readers").send().await);
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            404,
            "NoSuchEntity",
            "The group with name readers cannot be found."
        )
    );
}

#[tokio::test]
async fn router_serves_as_the_fallback_behind_a_vault_router() {
    use axum::routing::get;
    let changes = Arc::new(Notify::new());
    let options = AwsOptions {
        propagation_delay: Duration::ZERO,
        region: "lab-home-1".into(),
    };
    let endpoint = AwsEndpoint::new(AwsState::new_account(), options, changes);
    // As the lead wires it: Vault owns /v1/…, AWS answers everything else.
    let app = axum::Router::new()
        .route("/v1/{*rest}", get(|| async { "vault" }))
        .fallback_service(endpoint.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let sandbox = Sandbox {
        url: url.clone(),
        admin: endpoint.admin_credentials(),
        endpoint,
        changes: Arc::new(Notify::new()),
    };
    let me = sandbox
        .sts(&sandbox.admin_keys())
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.arn(), Some(sandbox.admin.user_arn.as_str()));
    // The home region is listed even though it is not a real one.
    let regions = sandbox
        .ec2(&sandbox.admin_keys())
        .describe_regions()
        .send()
        .await
        .unwrap();
    assert!(
        regions
            .regions()
            .iter()
            .any(|r| r.region_name() == Some("lab-home-1"))
    );
    let vault = reqwest::get(format!("{url}/v1/sys/health"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(vault, "vault");
}
