//! The AWS engine's IAM calls through aws-sdk-iam: issuing an IAM user with its policies and
//! access key, and deleting it again in Vault's order. The HTTP client under them bounds
//! its connections and calls (`iam_http`).

use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_iam::Client;
use aws_sdk_iam::config::SharedHttpClient;
use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_iam::operation::RequestId;
use secrecy::{ExposeSecret, SecretString};

use super::iam_http::CallBudget;
use vaultlab_wire::aws_xml::xml_element;

/// The region IAM's global endpoint is signed for (in AWS's main partition).
pub const GLOBAL_SIGNING_REGION: &str = "us-east-1";

/// Where and as whom to call IAM.
#[derive(Clone)]
pub struct IamTarget {
    pub endpoint: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: SecretString,
    /// Vault's `max_retries`: -1 means the SDK default.
    pub max_retries: i64,
}

/// An AWS error, worded as Vault's Go SDK prints it
/// (`Code: message\n\tstatus code: 403, request id: …`).
#[derive(Debug, Clone)]
pub struct AwsError {
    pub code: Option<String>,
    pub message: String,
}

impl AwsError {
    pub fn is_no_such_entity(&self) -> bool {
        self.code.as_deref() == Some("NoSuchEntity")
    }

    /// Throttling codes that Vault (`awsutil.CheckAWSError`) answers with 502.
    pub fn is_throttling(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some(
                "Throttling"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "RequestThrottled"
                    | "RequestThrottledException"
                    | "ProvisionedThroughputExceededException"
                    | "TooManyRequestsException"
                    | "PriorRequestNotComplete"
                    | "EC2ThrottledException"
            )
        )
    }
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub(crate) fn aws_error<E>(err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    SdkError<E, HttpResponse>: RequestId,
{
    match &err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let request_id = err.request_id().unwrap_or("").to_owned();
            let inner = service.err();
            let body = service
                .raw()
                .body()
                .bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            // Some emulators answer IAM errors in EC2's `<Errors><Error>` shape, which the
            // SDK does not read; take code and message from the body then.
            let code = inner
                .code()
                .map(str::to_owned)
                .or_else(|| xml_element(&body, "Code"))
                .unwrap_or_else(|| "UnknownError".to_owned());
            let message = inner
                .message()
                .map(str::to_owned)
                .or_else(|| xml_element(&body, "Message"))
                .unwrap_or_else(|| body.trim().chars().take(300).collect());
            AwsError {
                message: format!(
                    "{code}: {message}\n\tstatus code: {status}, request id: {request_id}"
                ),
                code: Some(code),
            }
        }
        _ => AwsError {
            code: None,
            message: format!(
                "RequestError: send request failed\ncaused by: {}",
                DisplayErrorContext(&err)
            ),
        },
    }
}

pub fn client(target: &IamTarget, http: SharedHttpClient) -> Client {
    let retry = match target.max_retries {
        n if n < 0 => RetryConfig::standard(),
        n => RetryConfig::standard().with_max_attempts(u32::try_from(n + 1).unwrap_or(u32::MAX)),
    };
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(target.region.clone()))
        .endpoint_url(target.endpoint.clone())
        .credentials_provider(Credentials::new(
            target.access_key.clone(),
            target.secret_key.expose_secret().to_owned(),
            None,
            None,
            "vaultlab-config-root",
        ))
        .retry_config(retry)
        .http_client(http)
        .build();
    Client::from_conf(config)
}

/// IAM clients kept for reuse, one per target (a room has one per seat), all over one HTTP
/// client: one TLS set-up, one pool of connections, one budget of calls in flight.
/// Vault too keeps its IAM client until `config/root` changes. An HTTP client of its own
/// per IAM client parsed the TLS root store and opened new connections for each: with a
/// seat's keys per client and only 8 kept, a room of 100 seats built one for nearly every
/// call, and that was most of the sandbox's work (38 requests a second flat out).
#[derive(Clone)]
pub struct IamClients {
    cached: Arc<Mutex<Vec<(IamTarget, Client)>>>,
    http: SharedHttpClient,
}

impl Default for IamClients {
    fn default() -> Self {
        Self {
            cached: Arc::default(),
            http: CallBudget::default().http_client(),
        }
    }
}

impl IamClients {
    /// More targets than a room has seats; the oldest goes first. A client without an
    /// HTTP client of its own is a few kilobytes.
    const KEEP: usize = 2048;

    pub fn get(&self, target: &IamTarget) -> Client {
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, client)) = cached.iter().find(|(t, _)| t.same_as(target)) {
            return client.clone();
        }
        let fresh = client(target, self.http.clone());
        if cached.len() >= Self::KEEP {
            cached.remove(0);
        }
        cached.push((target.clone(), fresh.clone()));
        fresh
    }

    /// Forgets every client, and with them the root keys they were built with.
    pub fn clear(&self) {
        self.cached
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl IamTarget {
    fn same_as(&self, other: &IamTarget) -> bool {
        self.endpoint == other.endpoint
            && self.region == other.region
            && self.access_key == other.access_key
            && self.secret_key.expose_secret() == other.secret_key.expose_secret()
            && self.max_retries == other.max_retries
    }
}

/// What to create for an `iam_user` role.
#[derive(Debug, Clone)]
pub struct UserSpec {
    pub username: String,
    pub path: String,
    pub permissions_boundary: Option<String>,
    pub policy_arns: Vec<String>,
    pub inline_policy: Option<(String, String)>,
    pub groups: Vec<String>,
    pub tags: Vec<(String, String)>,
}

/// A step of issuing that failed, worded as Vault's error prefix.
#[derive(Debug, Clone)]
pub struct IssueError {
    pub step: &'static str,
    pub error: AwsError,
    /// Whether the user was created (so it must be rolled back).
    pub user_created: bool,
}

/// Issued keys.
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

/// Creates the user as Vault does: CreateUser, AttachUserPolicy each, PutUserPolicy,
/// AddUserToGroup each, TagUser, CreateAccessKey.
pub async fn create_user(client: &Client, spec: &UserSpec) -> Result<AccessKey, IssueError> {
    let fail = |step, error, user_created| IssueError {
        step,
        error,
        user_created,
    };
    let mut create = client
        .create_user()
        .user_name(&spec.username)
        .path(&spec.path);
    if let Some(boundary) = &spec.permissions_boundary {
        create = create.permissions_boundary(boundary);
    }
    create
        .send()
        .await
        .map_err(|e| fail("Error creating IAM user", aws_error(e), false))?;
    for arn in &spec.policy_arns {
        client
            .attach_user_policy()
            .user_name(&spec.username)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| fail("Error attaching user policy", aws_error(e), true))?;
    }
    if let Some((name, document)) = &spec.inline_policy {
        client
            .put_user_policy()
            .user_name(&spec.username)
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| fail("Error putting user policy", aws_error(e), true))?;
    }
    for group in &spec.groups {
        client
            .add_user_to_group()
            .user_name(&spec.username)
            .group_name(group)
            .send()
            .await
            .map_err(|e| fail("Error adding user to group", aws_error(e), true))?;
    }
    if !spec.tags.is_empty() {
        let mut tag_user = client.tag_user().user_name(&spec.username);
        for (k, v) in &spec.tags {
            let tag = aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| {
                    fail(
                        "Error adding tags to user",
                        AwsError {
                            code: None,
                            message: e.to_string(),
                        },
                        true,
                    )
                })?;
            tag_user = tag_user.tags(tag);
        }
        tag_user
            .send()
            .await
            .map_err(|e| fail("Error adding tags to user", aws_error(e), true))?;
    }
    let key = client
        .create_access_key()
        .user_name(&spec.username)
        .send()
        .await
        .map_err(|e| fail("Error creating access keys", aws_error(e), true))?
        .access_key
        .ok_or_else(|| {
            fail(
                "Error creating access keys",
                AwsError {
                    code: None,
                    message: "no access key in the response".into(),
                },
                true,
            )
        })?;
    Ok(AccessKey {
        access_key_id: key.access_key_id,
        secret_access_key: SecretString::from(key.secret_access_key),
    })
}

/// Deletes the user as Vault's `pathUserRollback` does: list groups, inline policies,
/// managed policies and keys; then delete keys, detach managed policies, delete inline
/// policies, leave groups, delete the user. The first error aborts. A user that no longer
/// exists counts as deleted.
pub async fn delete_user(client: &Client, username: &str) -> Result<(), AwsError> {
    let groups = match client
        .list_groups_for_user()
        .user_name(username)
        .max_items(1000)
        .send()
        .await
    {
        Ok(out) => out.groups,
        Err(e) => {
            let e = aws_error(e);
            return if e.is_no_such_entity() {
                Ok(())
            } else {
                Err(e)
            };
        }
    };
    let inline = client
        .list_user_policies()
        .user_name(username)
        .max_items(1000)
        .send()
        .await
        .map_err(aws_error)?
        .policy_names;
    let managed = client
        .list_attached_user_policies()
        .user_name(username)
        .max_items(1000)
        .send()
        .await
        .map_err(aws_error)?
        .attached_policies
        .unwrap_or_default();
    let keys = client
        .list_access_keys()
        .user_name(username)
        .max_items(1000)
        .send()
        .await
        .map_err(aws_error)?
        .access_key_metadata;
    let gone_ok = |r: Result<(), AwsError>| match r {
        Err(e) if e.is_no_such_entity() => Ok(()),
        other => other,
    };
    for key in keys {
        if let Some(id) = key.access_key_id {
            gone_ok(
                client
                    .delete_access_key()
                    .user_name(username)
                    .access_key_id(id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(aws_error),
            )?;
        }
    }
    for policy in managed {
        if let Some(arn) = policy.policy_arn {
            gone_ok(
                client
                    .detach_user_policy()
                    .user_name(username)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(aws_error),
            )?;
        }
    }
    for name in inline {
        gone_ok(
            client
                .delete_user_policy()
                .user_name(username)
                .policy_name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(aws_error),
        )?;
    }
    for group in groups {
        gone_ok(
            client
                .remove_user_from_group()
                .user_name(username)
                .group_name(group.group_name)
                .send()
                .await
                .map(|_| ())
                .map_err(aws_error),
        )?;
    }
    gone_ok(
        client
            .delete_user()
            .user_name(username)
            .send()
            .await
            .map(|_| ())
            .map_err(aws_error),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_reused_per_target_and_forgotten_on_clear() {
        let target = |secret: &str| IamTarget {
            endpoint: "http://127.0.0.1:1".into(),
            region: "us-east-1".into(),
            access_key: "AKIAEXAMPLE".into(),
            secret_key: SecretString::from(secret.to_owned()),
            max_retries: -1,
        };
        let clients = IamClients::default();
        clients.get(&target("one"));
        clients.get(&target("one"));
        clients.get(&target("two"));
        let held = || clients.cached.lock().unwrap().len();
        assert_eq!(held(), 2, "one client per target");
        // A room: a target per seat, each kept (a client built per call was most of a busy
        // room's work).
        for seat in 0..500 {
            clients.get(&target(&format!("seat-{seat}")));
        }
        assert_eq!(held(), 502, "every seat's client kept");
        clients.clear();
        assert_eq!(held(), 0, "no old root key stays in memory");
    }

    #[test]
    fn throttling_codes_are_recognized() {
        let err = |code: &str| AwsError {
            code: Some(code.into()),
            message: String::new(),
        };
        assert!(err("Throttling").is_throttling());
        assert!(!err("AccessDenied").is_throttling());
        assert!(err("NoSuchEntity").is_no_such_entity());
    }
}
