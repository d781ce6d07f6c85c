//! What happens in the sandbox, as a stream of events: every Vault request, every AWS
//! request (the engine's own calls on Vault's behalf included, with why it made them),
//! every lease issued, renewed, revoked or expired, and a room's seats taken and its
//! facilitator's actions. For a room's live dashboard and for a
//! presenter's "inside view" of what Vault does in AWS on a learner's behalf.
//!
//! Events carry names, paths, statuses, error words and timings; never a secret (no token,
//! no secret key, no request or response body). Lease ids and IAM user names are not
//! secrets and are included.
//!
//! The stream is a bounded broadcast ([`EVENT_BUFFER`] events): sending never waits, and a
//! subscriber that falls behind loses the oldest events it has not read (it is told how
//! many). The last [`EVENT_BUFFER`] events are also kept, so a subscriber that reconnects
//! can ask for what it missed (`since`). Nothing here is persisted: sequence numbers start
//! again at 1 when the sandbox restarts. `http` serves the stream at `/vaultlab/events`.

pub mod http;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{broadcast, watch};

pub use crate::aws::KeyKind;

/// How many events the broadcast holds for a slow subscriber, and how many are kept for
/// one that reconnects: about 10 s of a 100-seat room going flat out, a few MiB.
pub const EVENT_BUFFER: usize = 8192;

/// The longest error text an event carries, in characters.
pub const MAX_ERROR_CHARS: usize = 512;

/// One thing that happened.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Event {
    /// 1, 2, 3… in the order the events happened (since the sandbox started).
    pub seq: u64,
    pub time: DateTime<Utc>,
    #[serde(flatten)]
    pub detail: Detail,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Detail {
    Vault(VaultCall),
    Aws(AwsCall),
    Lease(LeaseChange),
    /// What happened in a workshop room: a seat taken, a facilitator's action.
    Room(RoomChange),
}

impl Detail {
    /// The Vault namespace the event belongs to: `""` for the root, else `room/ada/`.
    pub fn namespace(&self) -> &str {
        match self {
            Detail::Vault(v) => &v.namespace,
            Detail::Aws(a) => &a.namespace,
            Detail::Lease(l) => &l.namespace,
            Detail::Room(r) => &r.namespace,
        }
    }
}

/// Who made a Vault request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Client {
    /// The root token.
    Root,
    /// Another token (a seat's, say).
    Token,
    /// No token, or one the server does not know.
    Anonymous,
}

/// A Vault request and its answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VaultCall {
    /// The namespace it was served in (`""`: the root).
    pub namespace: String,
    pub method: String,
    /// The path inside that namespace, as routed (`aws/creds/my-role`).
    pub path: String,
    pub status: u16,
    pub duration_ms: f64,
    pub client: Client,
    /// The first error of an error answer, in the server's words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Who made an AWS request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Vault's AWS engine, on Vault's behalf (it came in through the engine's listener).
    Engine,
    /// Anyone else: the aws CLI, an SDK, vaultlab's probe.
    Client,
}

/// Why the engine made a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Issuing credentials (`creds/NAME`).
    Issue,
    /// Revoking a lease someone asked to revoke.
    Revoke,
    /// Revoking a lease that reached its TTL, by itself.
    Expiry,
    /// Deleting a user left half made by a failed issue.
    Rollback,
    /// `config/rotate-root`.
    RotateRoot,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Issue => "issue",
            Purpose::Revoke => "revoke",
            Purpose::Expiry => "expiry",
            Purpose::Rollback => "rollback",
            Purpose::RotateRoot => "rotate_root",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Purpose::Issue,
            Purpose::Revoke,
            Purpose::Expiry,
            Purpose::Rollback,
            Purpose::RotateRoot,
        ]
        .into_iter()
        .find(|p| p.as_str() == text)
    }
}

/// An AWS request and its answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AwsCall {
    /// The account it was made in, when its key is (or was) known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The Vault namespace it belongs to: the engine's that made it, or the one the
    /// account belongs to (`""`: the root, or none).
    pub namespace: String,
    /// `iam`, `sts`, `ec2`.
    pub service: String,
    /// `CreateUser`, `DescribeInstances`…
    pub action: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The error's message, in AWS's words as the sandbox answered them (names no key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    pub origin: Origin,
    /// Why the engine made it (engine calls only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Purpose>,
    /// The lease the engine was revoking, if that is what it was doing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_id: Option<String>,
    /// Whose key signed it, when the key is known: the account admin's ("root keys"), a
    /// Vault-made user's (dynamic credentials), another user's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyKind>,
    /// The key existed but has been deleted (a revoked lease's key being refused).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub key_deleted: bool,
    /// The IAM user whose key signed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// The IAM user the action is about (`UserName`), if it names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    pub duration_ms: f64,
}

/// What happened to a lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaseChangeKind {
    Issued,
    Renewed,
    /// Revoked on request (or with its namespace, or its token).
    Revoked,
    /// Revoked by the server when it reached its TTL.
    Expired,
    /// A revocation attempt failed; it is retried.
    RevokeFailed,
    /// Revocation failed for good; the lease is kept as irrevocable.
    Irrevocable,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LeaseChange {
    pub namespace: String,
    pub lease_id: String,
    pub change: LeaseChangeKind,
    /// The IAM user the lease owns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iam_user: Option<String>,
    /// The lease's TTL from now, when issued or renewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl LeaseChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LeaseChangeKind::Issued => "issued",
            LeaseChangeKind::Renewed => "renewed",
            LeaseChangeKind::Revoked => "revoked",
            LeaseChangeKind::Expired => "expired",
            LeaseChangeKind::RevokeFailed => "revoke_failed",
            LeaseChangeKind::Irrevocable => "irrevocable",
        }
    }
}

/// What happened in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomChangeKind {
    /// A seat was taken.
    Joined,
    /// A seat was given back to whoever holds its secret.
    Rejoined,
    Broadcast,
    Pace,
    ShortLeases,
    /// The facilitator revoked a seat's leases.
    SeatRevoked,
    Ended,
}

impl RoomChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomChangeKind::Joined => "joined",
            RoomChangeKind::Rejoined => "rejoined",
            RoomChangeKind::Broadcast => "broadcast",
            RoomChangeKind::Pace => "pace",
            RoomChangeKind::ShortLeases => "short_leases",
            RoomChangeKind::SeatRevoked => "seat_revoked",
            RoomChangeKind::Ended => "ended",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RoomChange {
    /// The seat's namespace (`room/ada/`), or `room/` for the whole room.
    pub namespace: String,
    pub change: RoomChangeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seat: Option<String>,
    /// The broadcast message, the pace, a count: what the change was, in a few words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The sandbox's event stream: cheap to clone.
#[derive(Clone)]
pub struct Events(Arc<Hub>);

struct Hub {
    sender: broadcast::Sender<Arc<Event>>,
    recent: Mutex<Recent>,
    closed: watch::Sender<bool>,
}

#[derive(Default)]
struct Recent {
    last_seq: u64,
    events: VecDeque<Arc<Event>>,
}

impl Default for Events {
    fn default() -> Self {
        Self(Arc::new(Hub {
            sender: broadcast::channel(EVENT_BUFFER).0,
            recent: Mutex::new(Recent::default()),
            closed: watch::channel(false).0,
        }))
    }
}

/// A subscription: the events kept since a given one, then the live ones.
pub struct Subscription {
    pub backlog: Vec<Arc<Event>>,
    pub live: broadcast::Receiver<Arc<Event>>,
}

impl Events {
    /// Records `detail` as the next event and hands it to every subscriber. Never waits
    /// for a subscriber.
    pub fn emit(&self, detail: Detail) {
        let mut recent = self.0.recent.lock().unwrap_or_else(PoisonError::into_inner);
        recent.last_seq += 1;
        let event = Arc::new(Event {
            seq: recent.last_seq,
            time: Utc::now(),
            detail,
        });
        if recent.events.len() == EVENT_BUFFER {
            recent.events.pop_front();
        }
        recent.events.push_back(event.clone());
        // Sent under the lock, so subscribers see events in `seq` order. No subscriber is
        // not an error.
        let _ = self.0.sender.send(event);
    }

    /// The live stream from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.0.sender.subscribe()
    }

    /// The live stream from now on, and the last event before it: taken together, so
    /// every event after that one is in the stream.
    pub fn subscribe_after_last(&self) -> (u64, broadcast::Receiver<Arc<Event>>) {
        let recent = self.0.recent.lock().unwrap_or_else(PoisonError::into_inner);
        (recent.last_seq, self.0.sender.subscribe())
    }

    /// The kept events after `seq` (all kept ones if `seq` is ahead of the last one: the
    /// sandbox restarted since), then the live stream, with nothing lost or repeated in
    /// between.
    pub fn since(&self, seq: u64) -> Subscription {
        let recent = self.0.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let from = if seq > recent.last_seq { 0 } else { seq };
        let backlog = recent
            .events
            .iter()
            .filter(|e| e.seq > from)
            .cloned()
            .collect();
        Subscription {
            backlog,
            live: self.0.sender.subscribe(),
        }
    }

    /// The last event's sequence number (0: none yet).
    pub fn last_seq(&self) -> u64 {
        self.0
            .recent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last_seq
    }

    /// Ends every stream served over HTTP (the sandbox is stopping: they would otherwise
    /// hold its drain open). In-process subscribers keep their receivers.
    pub fn close(&self) {
        self.0.closed.send_replace(true);
    }

    /// Resolves once [`Events::close`] was called.
    pub async fn closed(&self) {
        let mut closed = self.0.closed.subscribe();
        let _ = closed.wait_for(|c| *c).await;
    }
}

/// An error text fit for an event: cut at [`MAX_ERROR_CHARS`] characters.
pub fn bounded_error(text: &str) -> String {
    if text.chars().count() <= MAX_ERROR_CHARS {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(MAX_ERROR_CHARS).collect();
    cut.push('…');
    cut
}

/// Milliseconds, with microsecond resolution.
pub fn millis(elapsed: std::time::Duration) -> f64 {
    (elapsed.as_micros() as f64) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(id: &str) -> Detail {
        Detail::Lease(LeaseChange {
            namespace: "room/ada/".into(),
            lease_id: id.into(),
            change: LeaseChangeKind::Issued,
            iam_user: None,
            ttl_seconds: Some(60),
            error: None,
        })
    }

    #[tokio::test]
    async fn a_slow_subscriber_loses_the_oldest_and_never_blocks_the_sender() {
        let events = Events::default();
        let mut slow = events.subscribe();
        for n in 0..EVENT_BUFFER + 5 {
            events.emit(lease(&n.to_string()));
        }
        match slow.recv().await {
            Err(broadcast::error::RecvError::Lagged(missed)) => assert_eq!(missed, 5),
            other => panic!("expected a lag, got {other:?}"),
        }
        assert_eq!(slow.recv().await.unwrap().seq, 6);
    }

    #[tokio::test]
    async fn since_gives_what_was_missed_then_the_live_stream_without_a_gap() {
        let events = Events::default();
        for n in 0..3 {
            events.emit(lease(&n.to_string()));
        }
        let mut sub = events.since(1);
        assert_eq!(
            sub.backlog.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [2, 3]
        );
        events.emit(lease("3"));
        assert_eq!(sub.live.recv().await.unwrap().seq, 4);
        // A number from before a restart: everything kept.
        assert_eq!(events.since(99).backlog.len(), 4);
        assert_eq!(events.last_seq(), 4);
    }

    #[test]
    fn events_serialize_flat_with_their_kind() {
        let event = Event {
            seq: 7,
            time: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            detail: lease("aws/creds/r/x.abc123"),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["kind"], "lease");
        assert_eq!(json["change"], "issued");
        assert_eq!(json["seq"], 7);
        assert!(json.get("error").is_none());
    }

    #[test]
    fn long_errors_are_cut() {
        let long = "x".repeat(MAX_ERROR_CHARS + 10);
        assert_eq!(bounded_error(&long).chars().count(), MAX_ERROR_CHARS + 1);
        assert_eq!(bounded_error("short"), "short");
    }
}
