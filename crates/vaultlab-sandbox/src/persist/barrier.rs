//! No answer leaves before what its request changed is on disk. Each request runs with a
//! note of the highest log position its changes reached; the answer waits for that
//! position to be synced (sharing the sync with every other request waiting then).
//!
//! Only the public listener has this layer. The AWS engine's calls to the sandbox's own
//! AWS endpoint come through the internal listener: their changes are in the log before
//! the engine's own record (the lease), and the Vault request waits for that one, so one
//! sync covers the whole issue.

use std::cell::Cell;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Store;

tokio::task_local! {
    static AWAITED: Cell<u64>;
}

/// Notes that the current request's answer must wait for log position `seq`.
pub fn note(seq: u64) {
    let _ = AWAITED.try_with(|awaited| awaited.set(awaited.get().max(seq)));
}

/// Axum middleware: answers once the request's changes are durable, or with a 500 that
/// says why they could not be kept.
pub async fn answer_when_durable(
    State(store): State<Store>,
    request: Request,
    next: Next,
) -> Response {
    let is_vault = request.uri().path().starts_with("/v1/");
    let mut headers = HeaderMap::new();
    if let Some(authorization) = request.headers().get(header::AUTHORIZATION) {
        headers.insert(header::AUTHORIZATION, authorization.clone());
    }
    AWAITED
        .scope(Cell::new(0), async move {
            let response = next.run(request).await;
            let seq = AWAITED.with(Cell::get);
            if seq == 0 {
                return response;
            }
            match store.durable(seq).await {
                Ok(()) => response,
                Err(failure) => not_kept(is_vault, &headers, &failure),
            }
        })
        .await
}

fn not_kept(is_vault: bool, headers: &HeaderMap, failure: &Arc<str>) -> Response {
    let message = format!("the change was made but could not be kept: {failure}");
    if is_vault {
        crate::vault::http::Reply::error(StatusCode::INTERNAL_SERVER_ERROR, message).into_response()
    } else {
        crate::aws::internal_failure(headers, &message)
    }
}
