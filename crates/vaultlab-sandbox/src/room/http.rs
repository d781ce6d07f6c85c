//! The room over HTTP, beside Vault's and AWS's APIs:
//!
//! ```text
//! POST /vaultlab/room/join   {"code","name","seat_secret"?}   no token: the code is the key
//!      200 the seat (token, AWS keys, seat secret)   403 wrong code   429 too many guesses
//!      409 room full, or the name taken (without its secret)   400 a bad name
//! GET  /vaultlab/room                          root token: `RoomStatus`
//! GET  /vaultlab/room/seats/{name}/events?limit=200   root: `SeatLog`, newest first
//! POST /vaultlab/room/broadcast {"message"}      root: 204 ("" clears it)
//! POST /vaultlab/room/pace {"step": 3|null}      root: 204
//! POST /vaultlab/room/short-leases {"ttl","max_ttl"}  root: 200 {"seats": n}
//! DELETE /vaultlab/room/short-leases              root: 200 {"seats": n}, the engine's
//!                                                defaults again in every seat
//! POST /vaultlab/room/seats/{name}/revoke        root: 200 {"revoked": n}
//! POST /vaultlab/room/end                        root: 200 `RoomReport`; joins then get 410
//! GET  /vaultlab/room/seat?since=V&wait=10s      a seat's token: `SeatNotice`, at once if
//!                                                its version is past V, else when it moves
//! ```
//!
//! The wire types are `vaultlab_wire::room`'s; the contract is `room-api.md`. Any token but
//! the root token gets Vault's plain 403 on the facilitator's paths.
//!
//! Errors are `{"errors":["…"]}`, as Vault's are. A seat's answer is marked not to be
//! cached: it holds the seat's token and keys.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::{JoinRefusal, Room};
use crate::vault::VaultServer;
use crate::vault::http::{Reply, token_from_headers};

pub const ROOM_PATH: &str = "/vaultlab/room";
pub const JOIN_PATH: &str = "/vaultlab/room/join";

pub fn router(room: Room, vault: VaultServer) -> axum::Router {
    axum::Router::new()
        .route(JOIN_PATH, post(join))
        .route(ROOM_PATH, get(status))
        .merge(super::http_control::router())
        .with_state((room, vault))
}

#[derive(Debug, Deserialize)]
struct JoinRequest {
    code: String,
    name: String,
    #[serde(default)]
    seat_secret: Option<String>,
}

pub(super) fn refusal(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "errors": [message] }))).into_response()
}

async fn join(
    State((room, _)): State<(Room, VaultServer)>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(request) = serde_json::from_slice::<JoinRequest>(&body) else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "a join is JSON: {\"code\": \"…\", \"name\": \"…\"}".into(),
        );
    };
    let from = peer.map_or(std::net::IpAddr::from([127, 0, 0, 1]), |c| c.0.0.ip());
    match room
        .join(
            &request.code,
            &request.name,
            request.seat_secret.as_deref(),
            from,
        )
        .await
    {
        Ok(grant) => no_store(Json(grant).into_response()),
        Err(why) => {
            let status = match &why {
                JoinRefusal::WrongCode => StatusCode::FORBIDDEN,
                JoinRefusal::TooManyGuesses(_) => StatusCode::TOO_MANY_REQUESTS,
                JoinRefusal::Full(_) | JoinRefusal::Taken(_) => StatusCode::CONFLICT,
                JoinRefusal::BadName => StatusCode::BAD_REQUEST,
                JoinRefusal::NoRoom => StatusCode::NOT_FOUND,
                JoinRefusal::Ended => StatusCode::GONE,
                JoinRefusal::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let mut response = refusal(status, why.to_string());
            if let JoinRefusal::TooManyGuesses(wait) = why
                && let Ok(value) = HeaderValue::from_str(&wait.to_string())
            {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    }
}

async fn status(State((room, vault)): State<(Room, VaultServer)>, headers: HeaderMap) -> Response {
    if !vault.is_root_token(token_from_headers(&headers).as_deref()) {
        return Reply::permission_denied().into_response();
    }
    no_store(Json(room.status().await).into_response())
}

/// Marks an answer that holds a secret (the join code, a seat's token) not to be cached.
pub(super) fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
