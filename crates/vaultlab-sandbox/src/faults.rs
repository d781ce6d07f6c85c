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

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Json;
use axum::body::{Body, Bytes};
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

/// AWS request bodies are small query-protocol forms; a fault never needs more.
const MAX_AWS_BODY: usize = 1 << 20;

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

impl FaultRequest {
    fn into_fault(self) -> Result<Fault, String> {
        let remaining = self.count.unwrap_or(1);
        if remaining == 0 {
            return Err("count must be at least 1".into());
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
                    status: self.status.unwrap_or(status),
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
                if StatusCode::from_u16(status).is_err() || status < 400 {
                    return Err(format!("{status} is not an error status"));
                }
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

    pub fn arm(&self, fault: Fault) {
        self.lock().push(fault);
    }

    pub fn armed(&self) -> Vec<Fault> {
        self.lock().clone()
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    fn any_aws(&self) -> bool {
        self.lock()
            .iter()
            .any(|f| matches!(f.kind, FaultKind::Aws { .. }))
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
    match fault {
        Ok(fault) => {
            tracing::info!(?fault.kind, fault.remaining, "fault armed");
            faults.arm(fault.clone());
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

/// The request filter: a request that matches an armed fault gets the fault's answer.
pub async fn inject(State(faults): State<Faults>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/vaultlab/") {
        return next.run(request).await;
    }
    if let Some(vault_path) = path.strip_prefix("/v1/") {
        let method = request.method().as_str().to_owned();
        let hit = faults.take(|kind| match kind {
            FaultKind::Vault {
                vault_path: prefix,
                method: wanted,
                ..
            } => {
                vault_path.starts_with(prefix.as_str())
                    && wanted.as_ref().is_none_or(|m| *m == method)
            }
            FaultKind::Aws { .. } => false,
        });
        return match hit {
            Some(FaultKind::Vault {
                status, message, ..
            }) => Reply::error(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                message.unwrap_or_else(|| vault_default_message(status, vault_path)),
            )
            .into_response(),
            _ => next.run(request).await,
        };
    }
    // Everything else is an AWS query request; its action may be in the form body.
    if !faults.any_aws() {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_AWS_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let query = parts.uri.query().unwrap_or("").as_bytes().to_vec();
    let action = form_urlencoded::parse(&body)
        .chain(form_urlencoded::parse(&query))
        .find(|(name, _)| name == "Action")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let hit = faults.take(|kind| match kind {
        FaultKind::Aws { aws_action, .. } => aws_action == "*" || *aws_action == action,
        FaultKind::Vault { .. } => false,
    });
    match hit {
        Some(FaultKind::Aws {
            code,
            message,
            status,
            ..
        }) => super::aws::error_response(&parts.headers, &action, status, &code, &message),
        _ => next.run(Request::from_parts(parts, Body::from(body))).await,
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
        faults.arm(request(r#"{"vault_path":"aws/","status":503,"count":2}"#).unwrap());
        let is_vault = |k: &FaultKind| matches!(k, FaultKind::Vault { .. });
        assert!(faults.take(is_vault).is_some());
        assert_eq!(faults.armed()[0].remaining, 1);
        assert!(faults.take(is_vault).is_some());
        assert!(faults.take(is_vault).is_none());
        assert!(faults.armed().is_empty());
    }
}
