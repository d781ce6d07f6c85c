//! The AWS-compatible endpoint: IAM, STS and EC2 over the query protocol, SigV4-checked,
//! with IAM policies evaluated.
//!
//! A request flows: parameters (URL query + form body) → service (`Version`, else the
//! SigV4 scope) → authentication (the scope's date, service and region, then re-signing
//! with the stored secret) → an armed fault, if one matches → the service's action
//! handler, which checks the caller's policies → XML in that service's shape.
//!
//! It serves several accounts (`store`): a request works in the account of the key that
//! signed it, so a key never sees another account's users. Every request is told to the
//! event stream (`crate::events`), with who made it: the engine (it came in through the
//! engine's listener, saying why: `crate::engine_call`) or a client.

mod accounts;
mod actions;
mod auth;
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
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::ChangeNotifier;
use super::faults::Faults;
use crate::engine_call::{self, EngineCall};
use crate::events::{self, AwsCall, Detail, Events, Origin};
use crate::persist::{Recorded, Store};
use error::{ApiError, ApiResult};
pub use store::{
    ADMIN_USER, AccessKey, Account, AwsState, Group, KeyKind, MAX_ACCOUNTS, User, row_key,
};
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
    /// The account its key belongs to: every action works there.
    pub account: String,
    pub key: KeyKind,
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
        match state.user(&self.caller.account, &self.caller.user_name) {
            Ok(user) => policy::evaluate(state.policies_for(user), action, resource),
            Err(_) => policy::Decision::ImplicitDeny,
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
    /// Where every request is told.
    events: Events,
    /// Whose requests this router serves: the engine's (its own listener) or anyone's.
    origin: Origin,
    /// Held from a request's state change to its event, so events come in the order the
    /// state changed: a learner's proof refused because the engine just deleted the key
    /// must not be told before the deletion (the room's progress reads that order).
    order: Arc<Mutex<()>>,
    /// The room's pace (0: free), shared by every router of this endpoint: a seat's
    /// dynamic key is refused step 5 while the room is held before it (`room::hold`).
    pace: Arc<AtomicU8>,
}

impl AwsEndpoint {
    pub fn new(state: AwsState, options: AwsOptions, on_change: ChangeNotifier) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
            options,
            on_change,
            faults: None,
            store: None,
            events: Events::default(),
            origin: Origin::Client,
            order: Arc::default(),
            pace: Arc::default(),
        }
    }

    /// Holds the room's later steps after `step` (`None`: free).
    pub fn set_pace(&self, step: Option<u8>) {
        self.pace.store(step.unwrap_or(0), Ordering::Relaxed);
    }

    /// A seat's step 5 while the room is held before it: EC2's refusal of the action.
    fn pace_hold(
        &self,
        service: Service,
        action: &str,
        caller: &Caller,
        trace: &Trace,
    ) -> Option<ApiError> {
        let pace = self.pace.load(Ordering::Relaxed);
        let held = self.origin == Origin::Client
            && service == Service::Ec2
            && (1..5).contains(&pace)
            && crate::room::hold::aws_makes_step_5(
                action,
                caller.key == KeyKind::Dynamic,
                &trace.namespace,
            );
        held.then(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "UnauthorizedOperation",
                crate::room::hold::ec2_refusal(pace),
            )
        })
    }

    /// Tells every request to `events`.
    pub fn with_events(mut self, events: Events) -> Self {
        self.events = events;
        self
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

    /// The router for the engine's own listener: as [`AwsEndpoint::router_with_faults`],
    /// and its requests are the engine's (which says why it makes them).
    pub fn engine_router(&self, faults: Faults) -> Router {
        let endpoint = Self {
            faults: Some(faults),
            origin: Origin::Engine,
            ..self.clone()
        };
        Router::new().fallback(handle).with_state(endpoint)
    }

    pub fn snapshot(&self) -> AwsState {
        self.lock().clone()
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
        let mut trace = Trace {
            action: params.get("Action").map(str::to_owned),
            user: params.get("UserName").map(str::to_owned),
            ..Trace::default()
        };

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
            return Outcome::failed(None, error, trace);
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
        let key_id = authorization
            .as_ref()
            .and_then(|a| a.as_ref().ok())
            .map(|a| a.access_key_id.clone());
        let caller = match auth::authenticate(
            &state,
            service,
            &self.options.region,
            authorization,
            &request,
            now,
        ) {
            Ok(caller) => caller,
            Err(error) => {
                // A deleted key is named (whose it was) though refused as any unknown key.
                if let Some(retired) = key_id.and_then(|id| state.retired_keys.get(&id)) {
                    trace.account = Some(retired.account.clone());
                    trace.caller = Some(retired.user_name.clone());
                    trace.key = Some(retired.kind);
                    trace.key_deleted = true;
                }
                trace.namespace = account_namespace(&state, trace.account.as_deref());
                tracing::debug!(
                    service = service.name(),
                    outcome = %error.code,
                    "aws request refused"
                );
                return Outcome::failed(Some(service), error, trace);
            }
        };
        trace.account = Some(caller.account.clone());
        trace.caller = Some(caller.user_name.clone());
        trace.key = Some(caller.key);
        trace.namespace = account_namespace(&state, Some(&caller.account));
        let Some(action) = params.get("Action").map(str::to_string) else {
            let error = match service {
                Service::Ec2 => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "MissingAction",
                    "The request must contain the parameter Action",
                ),
                _ => ApiError::new(StatusCode::BAD_REQUEST, "MissingAction", "Missing Action"),
            };
            return Outcome::failed(Some(service), error, trace);
        };
        if let Some(error) = self.pace_hold(service, &action, &caller, &trace) {
            drop(state);
            return Outcome::failed(Some(service), error, trace);
        }
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
            return Outcome::failed(Some(service), error, trace);
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
            trace,
        }
    }

    /// Tells the event stream about one request.
    fn report(
        &self,
        headers: &HeaderMap,
        service: Option<Service>,
        trace: Trace,
        status: StatusCode,
        error: Option<(String, String)>,
        elapsed: Duration,
    ) {
        let (error_code, error_message) = error.unzip();
        // Only the engine's own listener may say what the engine was doing.
        let engine = match self.origin {
            Origin::Engine => headers
                .get(engine_call::HEADER)
                .and_then(|v| v.to_str().ok())
                .and_then(EngineCall::parse),
            Origin::Client => None,
        };
        let namespace = match &engine {
            Some(call) => call.namespace.clone(),
            None => trace.namespace,
        };
        self.events.emit(Detail::Aws(AwsCall {
            account: trace.account,
            namespace,
            service: service.map_or("unknown", Service::name).to_owned(),
            action: trace.action.unwrap_or_default(),
            status: status.as_u16(),
            error_code,
            error_message: error_message.map(|m| events::bounded_error(&m)),
            origin: self.origin,
            purpose: engine.as_ref().map(|c| c.purpose),
            lease_id: engine.and_then(|c| c.lease_id),
            key: trace.key,
            key_deleted: trace.key_deleted,
            caller: trace.caller,
            user: trace.user,
            duration_ms: events::millis(elapsed),
        }));
    }
}

/// The namespace an account belongs to, for its events (`""`: none, or the root).
fn account_namespace(state: &AwsState, account: Option<&str>) -> String {
    account
        .and_then(|a| state.account(a))
        .and_then(|a| a.namespace.clone())
        .unwrap_or_default()
}

/// What the event stream is told about a request, learnt as it is processed. Never a
/// secret: names, not keys.
#[derive(Debug, Default)]
struct Trace {
    action: Option<String>,
    account: Option<String>,
    namespace: String,
    caller: Option<String>,
    key: Option<KeyKind>,
    key_deleted: bool,
    user: Option<String>,
}

/// What `process` decided: the service (if known), the action with its result XML or an
/// error, whether state changed, and what to tell the event stream.
struct Outcome {
    service: Option<Service>,
    result: Result<(String, Option<String>), ApiError>,
    mutated: bool,
    trace: Trace,
}

impl Outcome {
    fn failed(service: Option<Service>, error: ApiError, trace: Trace) -> Self {
        Self {
            service,
            result: Err(error),
            mutated: false,
            trace,
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
    let started = std::time::Instant::now();
    let order = endpoint.order.lock().unwrap_or_else(|e| e.into_inner());
    let Outcome {
        service,
        result,
        mutated,
        trace,
    } = endpoint.process(&method, &uri, &headers, &body);
    if mutated {
        endpoint.on_change.notify_one();
    }
    let request_id = uuid::Uuid::new_v4().to_string();
    let (status, error, response) = match (service, result) {
        (Some(service), Ok((action, inner))) => {
            let body = xml::success(service, &action, inner, &request_id);
            (
                StatusCode::OK,
                None,
                xml_response(StatusCode::OK, &request_id, body),
            )
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
            let body = xml::error(
                service,
                error.status,
                &error.code,
                &error.message,
                &request_id,
            );
            (
                error.status,
                Some((error.code.to_string(), error.message.clone())),
                xml_response(error.status, &request_id, body),
            )
        }
    };
    endpoint.report(&headers, service, trace, status, error, started.elapsed());
    drop(order);
    response
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
