//! The facilitator's actions and the learner's long poll over HTTP (see `http` for the
//! table of paths). Bodies are JSON; a malformed one gets a 400 that says the shape.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::Room;
use super::control::{Refused, SHORT_LEASE};
use super::http::{no_store, refusal};
use crate::vault::VaultServer;
use crate::vault::http::{Reply, token_from_headers};

type Shared = State<(Room, VaultServer)>;

/// How long a learner's long poll waits by default, and at most.
const DEFAULT_WAIT: Duration = Duration::from_secs(10);
const MAX_WAIT: Duration = Duration::from_secs(60);
/// The most log entries one answer holds.
const DEFAULT_LOG_LIMIT: usize = 200;

pub fn router() -> axum::Router<(Room, VaultServer)> {
    axum::Router::new()
        .route("/vaultlab/room/seats/{name}/events", get(seat_log))
        .route("/vaultlab/room/seats/{name}/revoke", post(revoke_seat))
        .route("/vaultlab/room/broadcast", post(broadcast))
        .route("/vaultlab/room/pace", post(pace))
        .route(
            "/vaultlab/room/short-leases",
            post(short_leases).delete(short_leases_off),
        )
        .route("/vaultlab/room/end", post(end))
        .route("/vaultlab/room/seat", get(seat_notice))
}

fn is_root(vault: &VaultServer, headers: &HeaderMap) -> bool {
    vault.is_root_token(token_from_headers(headers).as_deref())
}

fn refused(why: Refused) -> Response {
    refusal(why.status, why.message)
}

/// The body as `T`, or a 400 naming the shape wanted. An empty body is `{}`.
fn body<T: DeserializeOwned>(bytes: &[u8], shape: &str) -> Result<T, Box<Response>> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|_| {
        Box::new(refusal(
            StatusCode::BAD_REQUEST,
            format!("the body is JSON: {shape}"),
        ))
    })
}

#[derive(Deserialize)]
struct LogQuery {
    limit: Option<usize>,
}

async fn seat_log(
    State((room, vault)): Shared,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(query): Query<LogQuery>,
) -> Response {
    if !is_root(&vault, &headers) {
        return Reply::permission_denied().into_response();
    }
    match room
        .seat_log(&name, query.limit.unwrap_or(DEFAULT_LOG_LIMIT))
        .await
    {
        Ok(log) => Json(log).into_response(),
        Err(why) => refused(why),
    }
}

#[derive(Deserialize)]
struct BroadcastBody {
    message: String,
}

async fn broadcast(
    State((room, vault)): Shared,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Response {
    if !is_root(&vault, &headers) {
        return Reply::permission_denied().into_response();
    }
    let request: BroadcastBody = match body(&bytes, r#"{"message": "…"}"#) {
        Ok(b) => b,
        Err(response) => return *response,
    };
    match room.broadcast(&request.message).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(why) => refused(why),
    }
}

#[derive(Deserialize)]
struct PaceBody {
    step: Option<u8>,
}

async fn pace(
    State((room, vault)): Shared,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Response {
    if !is_root(&vault, &headers) {
        return Reply::permission_denied().into_response();
    }
    let request: PaceBody = match body(&bytes, r#"{"step": 3} or {"step": null}"#) {
        Ok(b) => b,
        Err(response) => return *response,
    };
    match room.pace(request.step).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(why) => refused(why),
    }
}

#[derive(Deserialize)]
struct ShortLeasesBody {
    ttl: Option<String>,
    max_ttl: Option<String>,
}

async fn short_leases(
    State((room, vault)): Shared,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Response {
    if !is_root(&vault, &headers) {
        return Reply::permission_denied().into_response();
    }
    let shape = r#"{"ttl": "2m", "max_ttl": "5m"}"#;
    let request: ShortLeasesBody = match body(&bytes, shape) {
        Ok(b) => b,
        Err(response) => return *response,
    };
    let seconds = |text: Option<&str>, default: i64| match text {
        None => Ok(default),
        Some(text) => vaultlab_wire::go_duration::parse_seconds(text),
    };
    let (ttl, max_ttl) = match (
        seconds(request.ttl.as_deref(), SHORT_LEASE.0),
        seconds(request.max_ttl.as_deref(), SHORT_LEASE.1),
    ) {
        (Ok(ttl), Ok(max)) => (ttl, max),
        (Err(e), _) | (_, Err(e)) => return refusal(StatusCode::BAD_REQUEST, e),
    };
    match room.short_leases(ttl, max_ttl).await {
        Ok(seats) => Json(json!({ "seats": seats })).into_response(),
        Err(why) => refused(why),
    }
}

async fn short_leases_off(State((room, vault)): Shared, headers: HeaderMap) -> Response {
    if !is_root(&vault, &headers) {
        return Reply::permission_denied().into_response();
    }
    match room.short_leases_off().await {
        Ok(seats) => Json(json!({ "seats": seats })).into_response(),
        Err(why) => refused(why),
    }
}

async fn revoke_seat(
    State((room, vault)): Shared,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    if !is_root(&vault, &headers) {
        return Reply::permission_denied().into_response();
    }
    match room.revoke_seat(&name).await {
        Ok(revoked) => Json(json!({ "revoked": revoked })).into_response(),
        Err(why) => refused(why),
    }
}

async fn end(State((room, vault)): Shared, headers: HeaderMap) -> Response {
    if !is_root(&vault, &headers) {
        return Reply::permission_denied().into_response();
    }
    match room.end().await {
        Ok(report) => Json(report).into_response(),
        Err(why) => refused(why),
    }
}

#[derive(Deserialize)]
struct NoticeQuery {
    since: Option<u64>,
    wait: Option<String>,
}

async fn seat_notice(
    State((room, _)): Shared,
    headers: HeaderMap,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let Some(seat) = token_from_headers(&headers).and_then(|t| room.seat_of_token(&t)) else {
        return Reply::permission_denied().into_response();
    };
    let wait = match query
        .wait
        .as_deref()
        .map(crate::events::http::parse_wait)
        .transpose()
    {
        Ok(wait) => wait.unwrap_or(DEFAULT_WAIT).min(MAX_WAIT),
        Err(message) => return refusal(StatusCode::BAD_REQUEST, message),
    };
    if let Some(since) = query.since {
        room.notices.changed_after(since, wait).await;
    }
    no_store(Json(room.seat_notice(&seat)).into_response())
}
