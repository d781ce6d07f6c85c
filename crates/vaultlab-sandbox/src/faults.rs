//! Fault injection, for a facilitator to show on stage what a failure looks like: the next
//! N requests that match fail with a chosen AWS error code or Vault status, in the real
//! wire format (AWS's XML error in the service's shape, Vault's `{"errors":[…]}`).
//!
//! The admin API lives under the sandbox's own prefix and needs the root token:
//!
//! ```text
//! POST   /vaultlab/faults  {"aws_action":"DescribeInstances","code":"RequestLimitExceeded","count":3}
//! POST   /vaultlab/faults  {"vault_path":"aws/creds/my-role","status":429}
//! GET    /vaultlab/faults  the faults still armed
//! DELETE /vaultlab/faults  disarms them all
//! ```
//!
//! `count` defaults to 1; `message` and (for AWS) `status` default to what the real service
//! says for that code; `method` narrows a Vault fault to one HTTP method. An AWS fault with
//! `aws_action` `*` matches every AWS request; a Vault fault matches every path that starts
//! with `vault_path`.
//!
//! A Vault fault answers before the token is checked, as Vault's rate-limit quotas and a
//! sealed Vault do. An AWS fault answers only a request the endpoint has authenticated
//! (AWS throttles a caller it knows), so an unsigned or badly signed request gets its
//! authentication error and leaves the fault armed. Statuses are error statuses (400–599);
//! how many faults are armed and how long their words are is bounded, since they are kept
//! in memory and logged.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::vault::VaultServer;
use super::vault::auth;
use super::vault::http::Reply;

/// Where the admin API is served.
pub const ADMIN_PATH: &str = "/vaultlab/faults";

/// At most this many faults are armed at once; a stage needs a handful.
pub const MAX_ARMED: usize = 100;

/// The longest `message` a fault may carry, in characters (AWS's and Vault's are far
/// shorter); it is kept in memory and written to the log.
pub const MAX_MESSAGE_CHARS: usize = 1024;

/// The longest `aws_action`, `code`, `vault_path` or `method`, in characters.
const MAX_NAME_CHARS: usize = 256;

/// What a matching request gets instead of its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FaultKind {
    Aws {
        /// The query-protocol `Action` (`DescribeInstances`, `GetCallerIdentity`…), or `*`.
        aws_action: String,
        code: String,
        message: String,
        status: u16,
    },
    Vault {
        /// The path under `/v1/` (no leading slash); a prefix.
        vault_path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        method: Option<String>,
        status: u16,
        /// `None`: what Vault says with that status, naming the request's path.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fault {
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many more matching requests fail.
    pub remaining: u32,
}

/// A fault as the admin API takes it: only what identifies it is required.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    aws_action: Option<String>,
    code: Option<String>,
    vault_path: Option<String>,
    method: Option<String>,
    status: Option<u16>,
    message: Option<String>,
    count: Option<u32>,
}

/// Refuses a field longer than `max` characters, saying which and by how much.
fn bounded(field: &str, value: Option<&String>, max: usize) -> Result<(), String> {
    match value.map(|v| v.chars().count()) {
        Some(length) if length > max => Err(format!(
            "{field} is {length} characters long; a fault's {field} may have at most {max}"
        )),
        _ => Ok(()),
    }
}

/// A real error status: what a client can tell from success or a redirect.
fn error_status(status: u16) -> Result<u16, String> {
    if (400..=599).contains(&status) {
        Ok(status)
    } else {
        Err(format!(
            "{status} is not an error status: a fault's status must be from 400 to 599"
        ))
    }
}

impl FaultRequest {
    fn into_fault(self) -> Result<Fault, String> {
        let remaining = self.count.unwrap_or(1);
        if remaining == 0 {
            return Err("count must be at least 1".into());
        }
        bounded("message", self.message.as_ref(), MAX_MESSAGE_CHARS)?;
        for (field, value) in [
            ("aws_action", &self.aws_action),
            ("code", &self.code),
            ("vault_path", &self.vault_path),
            ("method", &self.method),
        ] {
            bounded(field, value.as_ref(), MAX_NAME_CHARS)?;
        }
        let kind = match (self.aws_action, self.vault_path) {
            (Some(action), None) => {
                if self.method.is_some() {
                    return Err("method applies to vault_path faults only".into());
                }
                let code = self
                    .code
                    .ok_or("an aws_action fault needs a code, e.g. RequestLimitExceeded")?;
                let (status, message) = aws_defaults(&code);
                FaultKind::Aws {
                    aws_action: action,
                    status: error_status(self.status.unwrap_or(status))?,
                    message: self.message.unwrap_or_else(|| message.to_owned()),
                    code,
                }
            }
            (None, Some(path)) => {
                if self.code.is_some() {
                    return Err("code applies to aws_action faults only; give a status".into());
                }
                let path = path.trim_start_matches('/').to_owned();
                let path = path.strip_prefix("v1/").unwrap_or(&path).to_owned();
                let status = self
                    .status
                    .ok_or("a vault_path fault needs a status, e.g. 429")?;
                let status = error_status(status)?;
                FaultKind::Vault {
                    message: self.message,
                    vault_path: path,
                    method: self.method.map(|m| m.to_ascii_uppercase()),
                    status,
                }
            }
            _ => return Err("give exactly one of aws_action and vault_path".into()),
        };
        Ok(Fault { kind, remaining })
    }
}

/// The HTTP status and message AWS sends with a code.
fn aws_defaults(code: &str) -> (u16, &'static str) {
    match code {
        "RequestLimitExceeded" => (503, "Request limit exceeded."),
        "Throttling" | "ThrottlingException" => (400, "Rate exceeded"),
        "AuthFailure" => (
            401,
            "AWS was not able to validate the provided access credentials",
        ),
        "InvalidClientTokenId" => (
            403,
            "The security token included in the request is invalid.",
        ),
        "SignatureDoesNotMatch" => (
            403,
            "The request signature we calculated does not match the signature you provided.",
        ),
        "UnauthorizedOperation" => (403, "You are not authorized to perform this operation."),
        "AccessDenied" => (403, "User is not authorized to perform this action."),
        "ServiceUnavailable" | "Unavailable" => (503, "Service is unavailable."),
        "InternalError" | "InternalFailure" => (500, "An internal error has occurred."),
        _ => (400, "Injected by the vaultlab sandbox."),
    }
}

/// What Vault says with a status.
fn vault_default_message(status: u16, path: &str) -> String {
    match status {
        429 => format!("request path {path:?}: rate limit quota exceeded"),
        503 => "Vault is sealed".to_owned(),
        403 => "permission denied".to_owned(),
        500 => "1 error occurred:\n\t* internal error\n\n".to_owned(),
        _ => "injected by the vaultlab sandbox".to_owned(),
    }
}

/// The armed faults, shared by the admin API and the request filter.
#[derive(Clone, Default)]
pub struct Faults(Arc<Mutex<Vec<Fault>>>);

impl Faults {
    fn lock(&self) -> MutexGuard<'_, Vec<Fault>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Arms `fault` unless [`MAX_ARMED`] already are.
    pub fn arm(&self, fault: Fault) -> Result<(), String> {
        let mut faults = self.lock();
        if faults.len() >= MAX_ARMED {
            return Err(format!(
                "{MAX_ARMED} faults are armed, the most the sandbox keeps; let some be used up, or disarm them all with DELETE {ADMIN_PATH}"
            ));
        }
        faults.push(fault);
        Ok(())
    }

    pub fn armed(&self) -> Vec<Fault> {
        self.lock().clone()
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Uses up one of the first AWS fault that matches `action`: its status, code and
    /// message. Called by the AWS endpoint once the request is authenticated.
    pub(crate) fn take_aws(&self, action: &str) -> Option<(StatusCode, String, String)> {
        match self.take(|kind| match kind {
            FaultKind::Aws { aws_action, .. } => aws_action == "*" || aws_action == action,
            FaultKind::Vault { .. } => false,
        })? {
            FaultKind::Aws {
                status,
                code,
                message,
                ..
            } => Some((
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                code,
                message,
            )),
            FaultKind::Vault { .. } => None,
        }
    }

    /// Uses up one of the first fault that `matches`, and returns what it answers.
    fn take(&self, matches: impl Fn(&FaultKind) -> bool) -> Option<FaultKind> {
        let mut faults = self.lock();
        let index = faults.iter().position(|f| matches(&f.kind))?;
        let kind = faults[index].kind.clone();
        faults[index].remaining -= 1;
        if faults[index].remaining == 0 {
            faults.remove(index);
        }
        Some(kind)
    }
}

/// The admin API, guarded by the sandbox's root token.
pub fn admin_router(faults: Faults, vault: VaultServer) -> axum::Router {
    axum::Router::new()
        .route(ADMIN_PATH, get(list).post(add).delete(clear))
        .with_state((faults, vault))
}

fn authorized(headers: &HeaderMap, vault: &VaultServer) -> Result<(), Reply> {
    let token = headers
        .get("x-vault-token")
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
        });
    if auth::is_root(token, &vault.root_token()) {
        Ok(())
    } else {
        Err(Reply::permission_denied())
    }
}

async fn list(
    State((faults, vault)): State<(Faults, VaultServer)>,
    headers: HeaderMap,
) -> Response {
    if let Err(reply) = authorized(&headers, &vault) {
        return reply.into_response();
    }
    Json(serde_json::json!({ "faults": faults.armed() })).into_response()
}

async fn add(
    State((faults, vault)): State<(Faults, VaultServer)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(reply) = authorized(&headers, &vault) {
        return reply.into_response();
    }
    let fault = serde_json::from_slice::<FaultRequest>(&body)
        .map_err(|e| format!("the body is not a fault: {e}"))
        .and_then(FaultRequest::into_fault);
    match fault.and_then(|fault| faults.arm(fault.clone()).map(|()| fault)) {
        Ok(fault) => {
            // Every field is bounded (into_fault), so the line is too.
            tracing::info!(?fault.kind, fault.remaining, "fault armed");
            Json(fault).into_response()
        }
        Err(message) => Reply::bad_request(message).into_response(),
    }
}

async fn clear(
    State((faults, vault)): State<(Faults, VaultServer)>,
    headers: HeaderMap,
) -> Response {
    if let Err(reply) = authorized(&headers, &vault) {
        return reply.into_response();
    }
    faults.clear();
    Reply::no_content().into_response()
}

/// The request filter for Vault faults: a request under `/v1/` that matches an armed one
/// gets its answer. AWS faults are answered by the AWS endpoint, after authentication.
pub async fn inject(State(faults): State<Faults>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let Some(vault_path) = path.strip_prefix("/v1/") else {
        return next.run(request).await;
    };
    let method = request.method().as_str().to_owned();
    let hit = faults.take(|kind| match kind {
        FaultKind::Vault {
            vault_path: prefix,
            method: wanted,
            ..
        } => {
            vault_path.starts_with(prefix.as_str()) && wanted.as_ref().is_none_or(|m| *m == method)
        }
        FaultKind::Aws { .. } => false,
    });
    match hit {
        Some(FaultKind::Vault {
            status, message, ..
        }) => Reply::error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            message.unwrap_or_else(|| vault_default_message(status, vault_path)),
        )
        .into_response(),
        _ => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: &str) -> Result<Fault, String> {
        serde_json::from_str::<FaultRequest>(json)
            .map_err(|e| e.to_string())
            .and_then(FaultRequest::into_fault)
    }

    #[test]
    fn defaults_follow_what_the_real_services_send() {
        let fault = request(
            r#"{"aws_action":"DescribeInstances","code":"RequestLimitExceeded","count":3}"#,
        )
        .unwrap();
        assert_eq!(fault.remaining, 3);
        assert_eq!(
            fault.kind,
            FaultKind::Aws {
                aws_action: "DescribeInstances".into(),
                code: "RequestLimitExceeded".into(),
                message: "Request limit exceeded.".into(),
                status: 503,
            }
        );
        let fault = request(r#"{"vault_path":"/v1/aws/creds/my-role","status":429}"#).unwrap();
        assert_eq!(fault.remaining, 1);
        assert_eq!(
            fault.kind,
            FaultKind::Vault {
                vault_path: "aws/creds/my-role".into(),
                method: None,
                status: 429,
                message: None,
            }
        );
        assert_eq!(
            vault_default_message(429, "aws/creds/my-role"),
            "request path \"aws/creds/my-role\": rate limit quota exceeded"
        );
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        for (json, expected) in [
            (r#"{"aws_action":"X"}"#, "needs a code"),
            (r#"{"vault_path":"x"}"#, "needs a status"),
            (r#"{"vault_path":"x","status":200}"#, "not an error status"),
            (r#"{"vault_path":"x","status":600}"#, "from 400 to 599"),
            (
                r#"{"aws_action":"X","code":"Throttling","status":200}"#,
                "200 is not an error status",
            ),
            (
                r#"{"aws_action":"X","code":"Throttling","status":302}"#,
                "from 400 to 599",
            ),
            (
                r#"{"aws_action":"X","code":"Throttling","status":999}"#,
                "not an error status",
            ),
            (r#"{"code":"Throttling"}"#, "exactly one"),
            (
                r#"{"aws_action":"X","vault_path":"y","code":"Throttling"}"#,
                "exactly one",
            ),
            (
                r#"{"aws_action":"X","code":"Throttling","count":0}"#,
                "at least 1",
            ),
            (
                r#"{"aws_action":"X","code":"T","colour":"red"}"#,
                "unknown field",
            ),
        ] {
            let err = request(json).unwrap_err();
            assert!(err.contains(expected), "{json}: {err}");
        }
    }

    #[test]
    fn a_fault_is_used_up_after_its_count() {
        let faults = Faults::default();
        faults
            .arm(request(r#"{"vault_path":"aws/","status":503,"count":2}"#).unwrap())
            .unwrap();
        let is_vault = |k: &FaultKind| matches!(k, FaultKind::Vault { .. });
        assert!(faults.take(is_vault).is_some());
        assert_eq!(faults.armed()[0].remaining, 1);
        assert!(faults.take(is_vault).is_some());
        assert!(faults.take(is_vault).is_none());
        assert!(faults.armed().is_empty());
    }

    #[test]
    fn words_are_bounded_before_they_are_kept_or_logged() {
        let long = "x".repeat(MAX_MESSAGE_CHARS + 1);
        let err = request(&format!(
            r#"{{"aws_action":"X","code":"Throttling","message":"{long}"}}"#
        ))
        .unwrap_err();
        assert_eq!(
            err,
            format!(
                "message is {} characters long; a fault's message may have at most {MAX_MESSAGE_CHARS}",
                MAX_MESSAGE_CHARS + 1
            )
        );
        let fits = "é".repeat(MAX_MESSAGE_CHARS);
        assert!(
            request(&format!(
                r#"{{"vault_path":"aws/","status":429,"message":"{fits}"}}"#
            ))
            .is_ok(),
            "the bound counts characters, not bytes"
        );
        let err = request(&format!(
            r#"{{"vault_path":"{}","status":429}}"#,
            "a".repeat(300)
        ))
        .unwrap_err();
        assert!(
            err.starts_with("vault_path is 300 characters long"),
            "{err}"
        );
    }

    #[test]
    fn no_more_than_max_armed_faults_are_kept() {
        let faults = Faults::default();
        let fault = || request(r#"{"aws_action":"*","code":"Throttling"}"#).unwrap();
        for _ in 0..MAX_ARMED {
            faults.arm(fault()).unwrap();
        }
        let err = faults.arm(fault()).unwrap_err();
        assert!(err.contains("100 faults are armed"), "{err}");
        assert_eq!(faults.armed().len(), MAX_ARMED);
        assert!(faults.take_aws("DescribeInstances").is_some());
        faults.arm(fault()).expect("room again once one is used up");
    }
}
