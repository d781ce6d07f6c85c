//! The AWS-compatible endpoint: IAM, STS and EC2 over the query protocol, SigV4-checked,
//! with IAM policies evaluated.
//!
//! A request flows: parameters (URL query + form body) → service (`Version`, else the
//! SigV4 scope) → authentication (the scope's date, service and region, then re-signing
//! with the stored secret) → an armed fault, if one matches → the service's action
//! handler, which checks the caller's policies → XML in that service's shape.

mod actions;
mod ec2;
mod error;
mod iam;
mod managed;
pub mod policy;
mod quotas;
mod scope;
pub mod sigv4;
mod store;
mod sts;
mod xml;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};

use super::ChangeNotifier;
use super::faults::Faults;
use crate::persist::{Recorded, Store};
use error::{ApiError, ApiResult};
pub use store::{AccessKey, AwsState, Group, User};
use vaultlab_wire::secret::PersistedSecret;

/// How the endpoint behaves.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// How long a new access key takes to become valid (IAM is eventually consistent).
    pub propagation_delay: Duration,
    /// The sandbox's home region: always listed by EC2 DescribeRegions, even if it is not
    /// a real region name, and accepted in every credential scope. Which other regions a
    /// scope may name is AWS's rule for the service (`scope.rs`).
    pub region: String,
}

impl Default for AwsOptions {
    fn default() -> Self {
        Self {
            propagation_delay: Duration::ZERO,
            region: "us-east-1".into(),
        }
    }
}

/// The admin user's keys, printed at start as `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`.
#[derive(Debug, Clone)]
pub struct AdminCredentials {
    pub access_key_id: String,
    pub secret_access_key: PersistedSecret,
    pub account_id: String,
    pub user_arn: String,
}

/// The query-protocol services the endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Iam,
    Sts,
    Ec2,
}

impl Service {
    fn from_scope(name: &str) -> Option<Self> {
        match name {
            "iam" => Some(Self::Iam),
            "sts" => Some(Self::Sts),
            "ec2" => Some(Self::Ec2),
            _ => None,
        }
    }

    fn from_version(version: &str) -> Option<Self> {
        match version {
            "2010-05-08" => Some(Self::Iam),
            "2011-06-15" => Some(Self::Sts),
            "2016-11-15" => Some(Self::Ec2),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Iam => "iam",
            Self::Sts => "sts",
            Self::Ec2 => "ec2",
        }
    }
}

/// Request parameters, URL query and form body merged (the body wins).
#[derive(Debug, Default)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// An IAM-required parameter; `member` is the model's lowerCamel name used in the error.
    pub fn iam_required(&self, name: &str, member: &str) -> ApiResult<&str> {
        self.get(name).ok_or_else(|| ApiError::iam_null(member))
    }

    /// `Prefix.1`, `Prefix.2`, … until one is missing (query-protocol lists).
    pub fn list(&self, prefix: &str) -> Vec<&str> {
        (1..)
            .map_while(|i| self.get(&format!("{prefix}.{i}")))
            .collect()
    }
}

/// The authenticated principal of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_name: String,
    pub user_id: String,
    pub arn: String,
}

/// What an action handler gets.
pub struct Call<'a> {
    pub action: &'a str,
    pub params: &'a Params,
    pub caller: &'a Caller,
    pub now: DateTime<Utc>,
    pub options: &'a AwsOptions,
}

impl Call<'_> {
    /// The caller's identity policies decide `action` on `resource`.
    fn decide(&self, state: &AwsState, action: &str, resource: &str) -> policy::Decision {
        match state.users.get(&self.caller.user_name) {
            Some(user) => policy::evaluate(state.policies_for(user), action, resource),
            None => policy::Decision::ImplicitDeny,
        }
    }
}

#[derive(Clone)]
pub struct AwsEndpoint {
    state: Arc<Mutex<AwsState>>,
    options: AwsOptions,
    on_change: ChangeNotifier,
    /// Armed faults, answered once a request is authenticated (as AWS throttles a caller
    /// it knows): an unsigned or badly signed request never uses one up.
    faults: Option<Faults>,
    /// The `--state` file's log, which every change is recorded into.
    store: Option<Store>,
}

/// How far a request's `X-Amz-Date` may be from our clock, as AWS allows.
const MAX_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

impl AwsEndpoint {
    pub fn new(state: AwsState, options: AwsOptions, on_change: ChangeNotifier) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
            options,
            on_change,
            faults: None,
            store: None,
        }
    }

    /// Records every change into `store` (the `--state` file's log).
    pub fn with_store(mut self, store: Option<Store>) -> Self {
        self.store = store;
        self
    }

    /// Serves AWS query-protocol requests at any path (mounted as the sandbox's fallback).
    pub fn router(&self) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    /// The same, answering authenticated requests that match an armed AWS fault with it.
    pub fn router_with_faults(&self, faults: Faults) -> Router {
        let endpoint = Self {
            faults: Some(faults),
            ..self.clone()
        };
        Router::new().fallback(handle).with_state(endpoint)
    }

    pub fn snapshot(&self) -> AwsState {
        self.lock().clone()
    }

    /// The admin user's keys. If a learner deleted them through the API, a new key (and,
    /// if needed, the admin user) is made so the sandbox stays usable.
    pub fn admin_credentials(&self) -> AdminCredentials {
        let (credentials, changed) = {
            let mut state = self.lock();
            let changed = state.ensure_admin_key(Utc::now());
            let key = state
                .admin_key()
                .expect("ensure_admin_key made one")
                .clone();
            let user = state.user(&key.user_name).expect("admin user exists");
            let credentials = AdminCredentials {
                access_key_id: key.id.clone(),
                secret_access_key: key.secret.clone(),
                account_id: state.account_id.clone(),
                user_arn: state.user_arn(user),
            };
            (credentials, changed)
        };
        if changed {
            self.on_change.notify_one();
        }
        credentials
    }

    /// A poisoned lock only means a handler panicked mid-request; the data is still whole
    /// enough to keep serving the lab. What is changed through the lock is recorded as it
    /// is released.
    fn lock(&self) -> Recorded<'_, AwsState> {
        Recorded::new(
            self.state.lock().unwrap_or_else(|e| e.into_inner()),
            self.store.as_ref(),
        )
    }

    fn process(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Outcome {
        let mut params = Params::default();
        let raw_query = uri.query().unwrap_or("");
        params
            .0
            .extend(form_urlencoded::parse(raw_query.as_bytes()).into_owned());
        if *method == Method::POST {
            params.0.extend(form_urlencoded::parse(body).into_owned());
        }

        let authorization = headers
            .get(header::AUTHORIZATION)
            .map(|v| sigv4::parse_authorization(&String::from_utf8_lossy(v.as_bytes())));
        // What the request is for comes from the request itself (every SDK sends the API
        // version), so a scope naming another service cannot choose the handler.
        let service = params
            .get("Version")
            .and_then(Service::from_version)
            .or_else(|| {
                authorization
                    .as_ref()
                    .and_then(|a| a.as_ref().ok())
                    .and_then(|a| Service::from_scope(&a.service))
            });
        let Some(service) = service else {
            let error = ApiError::new(
                StatusCode::BAD_REQUEST,
                "InvalidAction",
                "Could not tell the service from the request: no SigV4 credential scope for iam, sts or ec2 and no known Version.",
            );
            return Outcome::failed(None, error);
        };

        let now = Utc::now();
        let mut state = self.lock();
        let request = sigv4::SignedRequest {
            method: method.as_str(),
            raw_path: uri.path(),
            raw_query,
            headers,
            body,
        };
        let caller = match authenticate(
            &state,
            service,
            &self.options.region,
            authorization,
            &request,
            now,
        ) {
            Ok(caller) => caller,
            Err(error) => {
                tracing::debug!(
                    service = service.name(),
                    outcome = %error.code,
                    "aws request refused"
                );
                return Outcome::failed(Some(service), error);
            }
        };
        let Some(action) = params.get("Action").map(str::to_string) else {
            let error = match service {
                Service::Ec2 => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "MissingAction",
                    "The request must contain the parameter Action",
                ),
                _ => ApiError::new(StatusCode::BAD_REQUEST, "MissingAction", "Missing Action"),
            };
            return Outcome::failed(Some(service), error);
        };
        if let Some((status, code, message)) =
            self.faults.as_ref().and_then(|f| f.take_aws(&action))
        {
            drop(state);
            let error = ApiError::new(status, code, message);
            tracing::debug!(
                service = service.name(),
                action = action.as_str(),
                outcome = %error.code,
                "aws request answered by an armed fault"
            );
            return Outcome::failed(Some(service), error);
        }
        let call = Call {
            action: &action,
            params: &params,
            caller: &caller,
            now,
            options: &self.options,
        };
        let result = match service {
            Service::Iam => iam::handle(&call, &mut state),
            Service::Sts => sts::handle(&call, &state),
            Service::Ec2 => ec2::handle(&call, &state),
        };
        drop(state);
        let mutated = result.is_ok() && is_mutating(&action);
        tracing::debug!(
            service = service.name(),
            action = action.as_str(),
            outcome = match &result {
                Ok(_) => "ok",
                Err(e) => e.code.as_ref(),
            },
            "aws request"
        );
        Outcome {
            service: Some(service),
            result: result.map(|inner| (action, inner)),
            mutated,
        }
    }
}

/// What `process` decided: the service (if known), the action with its result XML or an
/// error, and whether state changed.
struct Outcome {
    service: Option<Service>,
    result: Result<(String, Option<String>), ApiError>,
    mutated: bool,
}

impl Outcome {
    fn failed(service: Option<Service>, error: ApiError) -> Self {
        Self {
            service,
            result: Err(error),
            mutated: false,
        }
    }
}

/// Actions that change state (the lead persists state after them).
fn is_mutating(action: &str) -> bool {
    [
        "Create", "Delete", "Put", "Attach", "Detach", "Add", "Remove", "Update", "Tag", "Untag",
    ]
    .iter()
    .any(|p| action.starts_with(p))
}

async fn handle(
    State(endpoint): State<AwsEndpoint>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Outcome {
        service,
        result,
        mutated,
    } = endpoint.process(&method, &uri, &headers, &body);
    if mutated {
        endpoint.on_change.notify_one();
    }
    match (service, result) {
        (Some(service), Ok((action, inner))) => {
            let request_id = uuid::Uuid::new_v4().to_string();
            let body = xml::success(service, &action, inner, &request_id);
            xml_response(StatusCode::OK, &request_id, body)
        }
        (service, result) => {
            // `process` never succeeds without a service; answer a 500 rather than panic.
            let error = result.err().unwrap_or_else(|| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalFailure",
                    "no service",
                )
            });
            let request_id = uuid::Uuid::new_v4().to_string();
            let body = xml::error(
                service,
                error.status,
                &error.code,
                &error.message,
                &request_id,
            );
            xml_response(error.status, &request_id, body)
        }
    }
}

/// A 500 `InternalFailure` in the shape of the service the request was signed for: the
/// answer when a change was made but could not be kept in the state file.
pub(crate) fn internal_failure(headers: &HeaderMap, message: &str) -> Response {
    let service = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| sigv4::parse_authorization(&String::from_utf8_lossy(v.as_bytes())).ok())
        .and_then(|a| Service::from_scope(&a.service));
    let status = StatusCode::INTERNAL_SERVER_ERROR;
    let request_id = uuid::Uuid::new_v4().to_string();
    let body = xml::error(service, status, "InternalFailure", message, &request_id);
    xml_response(status, &request_id, body)
}

fn xml_response(status: StatusCode, request_id: &str, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    response
}

/// The caller behind a SigV4-signed request, or the error AWS gives for it. EC2 answers
/// every authentication problem as `AuthFailure` (401); IAM and STS name it.
fn authenticate(
    state: &AwsState,
    service: Service,
    home_region: &str,
    authorization: Option<Result<sigv4::Authorization, sigv4::ParseError>>,
    request: &sigv4::SignedRequest<'_>,
    now: DateTime<Utc>,
) -> ApiResult<Caller> {
    let headers = request.headers;
    let ec2 = service == Service::Ec2;
    let auth_failure = |message: Option<String>| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AuthFailure",
            message.unwrap_or_else(|| {
                "AWS was not able to validate the provided access credentials".to_owned()
            }),
        )
    };
    let incomplete = |message: String| {
        if ec2 {
            auth_failure(None)
        } else {
            ApiError::new(StatusCode::FORBIDDEN, "IncompleteSignature", message)
        }
    };
    let authorization = match authorization {
        None if ec2 => return Err(auth_failure(None)),
        None => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            ));
        }
        Some(Err(sigv4::ParseError::UnsupportedAlgorithm)) => {
            return Err(incomplete(
                "Unsupported AWS 'algorithm': only AWS4-HMAC-SHA256 is accepted.".to_owned(),
            ));
        }
        Some(Err(sigv4::ParseError::Incomplete(part))) => {
            return Err(incomplete(format!(
                "Authorization header requires '{part}' parameter."
            )));
        }
        Some(Ok(a)) => a,
    };
    let mismatch = |message: Option<String>| {
        if ec2 {
            auth_failure(message)
        } else {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                message.unwrap_or_else(|| {
                    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".to_owned()
                }),
            )
        }
    };
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            incomplete(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                    .to_owned(),
            )
        })?;
    // The scope is checked before any key is looked up, as AWS's front door does.
    scope::check(&authorization, service, home_region, amz_date)
        .map_err(|refused| mismatch(refused.message()))?;
    // Without the host signed, a captured request could be replayed at another endpoint.
    if !authorization.signed_headers.iter().any(|h| h == "host") {
        return Err(incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }
    let unknown_key = || {
        if ec2 {
            auth_failure(None)
        } else {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            )
        }
    };
    let Some((key, user)) = state.authenticate(&authorization.access_key_id, now) else {
        return Err(unknown_key());
    };
    // Our keys are all long-term IAM user keys: a session token cannot belong to them, and
    // AWS refuses such a pair as an invalid token.
    if headers.contains_key("x-amz-security-token") {
        return Err(unknown_key());
    }
    let signed_at = NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map(|t| t.and_utc())
        .map_err(|_| mismatch(None))?;
    if !sigv4::verify(request, &authorization, key.secret.expose(), amz_date) {
        return Err(mismatch(None));
    }
    if (now - signed_at).abs() > MAX_SKEW {
        return Err(if ec2 {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "RequestExpired",
                "Request has expired.",
            )
        } else {
            let format = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
            let message = if signed_at < now {
                format!(
                    "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
                    format(now - MAX_SKEW),
                    format(now)
                )
            } else {
                format!(
                    "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
                    format(now + MAX_SKEW),
                    format(now)
                )
            };
            ApiError::new(StatusCode::FORBIDDEN, "SignatureDoesNotMatch", message)
        });
    }
    Ok(Caller {
        user_name: user.name.clone(),
        user_id: user.id.clone(),
        arn: state.user_arn(user),
    })
}
