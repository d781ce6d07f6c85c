//! `/vaultlab/events`: the event stream for another process (a room's dashboard on a second
//! terminal, `vaultlab room status`), with the root token.
//!
//! ```text
//! GET /vaultlab/events                        server-sent events, live (text/event-stream)
//! GET /vaultlab/events?namespace=room/ada     only that namespace's events (and its children's)
//! GET /vaultlab/events?since=120              the kept events after 120 first (or Last-Event-ID)
//! GET /vaultlab/events?format=json&since=120&wait=20s
//!                                             long poll: the events after 120 as JSON, waiting
//!                                             up to 20 s (at most 60 s) for the first one
//! ```
//!
//! Each server-sent event has `id:` its sequence number, `event:` its kind (`vault`, `aws`,
//! `lease`, `room`) and `data:` the event as JSON. A subscriber that falls behind gets
//! `event: lagged` with `{"missed": n}` and goes on from the oldest event still held. The
//! stream ends when the sandbox stops.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast;

use super::{Event, Events};
use crate::vault::VaultServer;
use crate::vault::http::Reply;

/// Where the stream is served.
pub const EVENTS_PATH: &str = "/vaultlab/events";

/// The longest a long poll waits.
const MAX_WAIT: Duration = Duration::from_secs(60);
const DEFAULT_WAIT: Duration = Duration::from_secs(25);

pub fn router(events: Events, vault: VaultServer) -> axum::Router {
    axum::Router::new()
        .route(EVENTS_PATH, get(follow))
        .with_state((events, vault))
}

#[derive(Debug, Deserialize)]
struct Params {
    namespace: Option<String>,
    since: Option<u64>,
    format: Option<String>,
    wait: Option<String>,
}

/// Which events a subscriber wants: those of a namespace and its children.
#[derive(Debug, Clone)]
struct Filter(String);

impl Filter {
    fn new(namespace: Option<&str>) -> Self {
        let trimmed = namespace.unwrap_or("").trim().trim_matches('/');
        match trimmed {
            "" | "root" => Self(String::new()),
            path => Self(format!("{path}/")),
        }
    }

    fn wants(&self, event: &Event) -> bool {
        event.detail.namespace().starts_with(&self.0)
    }
}

async fn follow(
    State((events, vault)): State<(Events, VaultServer)>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    if !vault.is_root_token(crate::vault::http::token_from_headers(&headers).as_deref()) {
        return Reply::permission_denied().into_response();
    }
    let filter = Filter::new(params.namespace.as_deref());
    let since = params.since.or_else(|| {
        headers
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
    });
    if params.format.as_deref() == Some("json") {
        let wait = match params.wait.as_deref().map(parse_wait).transpose() {
            Ok(wait) => wait.unwrap_or(DEFAULT_WAIT).min(MAX_WAIT),
            Err(message) => return Reply::bad_request(message).into_response(),
        };
        return long_poll(&events, &filter, since.unwrap_or(0), wait)
            .await
            .into_response();
    }
    let subscription = match since {
        Some(seq) => events.since(seq),
        None => super::Subscription {
            backlog: Vec::new(),
            live: events.subscribe(),
        },
    };
    let state = Following {
        backlog: subscription.backlog.into(),
        live: subscription.live,
        filter,
        events,
    };
    let stream = futures::stream::unfold(state, |mut state| async move {
        let next = state.next().await?;
        Some((Ok::<_, Infallible>(next), state))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

pub(crate) fn parse_wait(text: &str) -> Result<Duration, String> {
    let value = serde_json::Value::String(text.to_owned());
    crate::vault::duration::parse_duration_second(&value)
        .ok()
        .and_then(|s| u64::try_from(s).ok())
        .map(Duration::from_secs)
        .ok_or_else(|| format!("wait must be a duration such as 20s, not {text:?}"))
}

struct Following {
    backlog: VecDeque<Arc<Event>>,
    live: broadcast::Receiver<Arc<Event>>,
    filter: Filter,
    events: Events,
}

impl Following {
    /// The next event to send; `None` ends the stream.
    async fn next(&mut self) -> Option<SseEvent> {
        while let Some(event) = self.backlog.pop_front() {
            if self.filter.wants(&event) {
                return Some(sse(&event));
            }
        }
        loop {
            let received = tokio::select! {
                () = self.events.closed() => return None,
                received = self.live.recv() => received,
            };
            match received {
                Ok(event) if self.filter.wants(&event) => return Some(sse(&event)),
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    return Some(
                        SseEvent::default()
                            .event("lagged")
                            .data(json!({ "missed": missed }).to_string()),
                    );
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

fn kind(event: &Event) -> &'static str {
    match event.detail {
        super::Detail::Vault(_) => "vault",
        super::Detail::Aws(_) => "aws",
        super::Detail::Lease(_) => "lease",
        super::Detail::Room(_) => "room",
    }
}

fn sse(event: &Event) -> SseEvent {
    SseEvent::default()
        .id(event.seq.to_string())
        .event(kind(event))
        .data(serde_json::to_string(event).expect("events serialize"))
}

async fn long_poll(events: &Events, filter: &Filter, since: u64, wait: Duration) -> Response {
    let mut subscription = events.since(since);
    let mut found: Vec<Arc<Event>> = subscription
        .backlog
        .drain(..)
        .filter(|e| filter.wants(e))
        .collect();
    let mut missed = 0;
    if found.is_empty() {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let received = tokio::select! {
                () = tokio::time::sleep_until(deadline) => break,
                () = events.closed() => break,
                received = subscription.live.recv() => received,
            };
            match received {
                Ok(event) if filter.wants(&event) => {
                    found.push(event);
                    break;
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => missed += n,
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    }
    // Whatever else is already there comes along.
    while let Ok(event) = subscription.live.try_recv() {
        if filter.wants(&event) {
            found.push(event);
        }
    }
    Json(json!({
        "events": found.iter().map(|e| &**e).collect::<Vec<&Event>>(),
        "last_seq": events.last_seq(),
        "missed": missed,
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_takes_a_namespace_and_its_children_in_any_spelling() {
        let event = |ns: &str| Event {
            seq: 1,
            time: chrono::Utc::now(),
            detail: super::super::Detail::Lease(super::super::LeaseChange {
                namespace: ns.into(),
                lease_id: "x".into(),
                change: super::super::LeaseChangeKind::Revoked,
                iam_user: None,
                ttl_seconds: None,
                error: None,
            }),
        };
        for spelling in ["room/ada", "/room/ada/", "room/ada/"] {
            let filter = Filter::new(Some(spelling));
            assert!(filter.wants(&event("room/ada/")));
            assert!(filter.wants(&event("room/ada/sub/")));
            assert!(!filter.wants(&event("room/adam/")));
            assert!(!filter.wants(&event("")));
        }
        assert!(Filter::new(None).wants(&event("")));
        assert!(Filter::new(Some("root")).wants(&event("room/ada/")));
    }

    #[test]
    fn waits_are_durations() {
        assert_eq!(parse_wait("20s").unwrap(), Duration::from_secs(20));
        assert_eq!(parse_wait("2").unwrap(), Duration::from_secs(2));
        assert!(
            parse_wait("soon")
                .unwrap_err()
                .contains("wait must be a duration")
        );
    }
}
