//! The workshop room's control API: what the room server answers the facilitator's
//! commands and dashboard, and the learner's long poll. The contract is
//! `/work/notes/room-api.md`; step numbers are 1..=6 as in the AWS lab.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `GET /vaultlab/room` (root token): the whole room at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomStatus {
    pub title: String,
    pub join_code: String,
    pub max_seats: usize,
    pub opened: DateTime<Utc>,
    pub ended: Option<DateTime<Utc>>,
    pub broadcast: Option<Broadcast>,
    pub pace: Option<u8>,
    /// "Short leases for all", while it is on (absent: every seat has the engine's own
    /// lease TTLs, or what its learner wrote to `config/lease`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_leases: Option<ShortLeases>,
    pub seats: Vec<SeatStatus>,
    pub summary: RoomSummary,
}

/// The `config/lease` every seat's `aws` mount is given, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortLeases {
    pub ttl: u64,
    pub max_ttl: u64,
}

/// The facilitator's one-line message to every learner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Broadcast {
    pub message: String,
    pub at: DateTime<Utc>,
}

/// One seat as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatStatus {
    pub name: String,
    pub namespace: String,
    pub account_id: String,
    pub joined: DateTime<Utc>,
    pub last_activity: DateTime<Utc>,
    /// Always 6, index 0 = step 1.
    pub steps: Vec<StepProgress>,
    /// Live leases in the seat's namespace.
    pub leases: Vec<LeaseSummary>,
    pub last_error: Option<SeatError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepProgress {
    pub step: u8,
    pub done_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaseSummary {
    pub lease_id: String,
    pub expires_at: DateTime<Utc>,
}

/// A refusal a seat met, in the server's own words (one line, no secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatError {
    pub at: DateTime<Utc>,
    /// "PUT /v1/aws/roles/my-role" or "ec2:DescribeInstances".
    pub what: String,
    pub status: u16,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomSummary {
    pub joined: usize,
    pub done_per_step: [usize; 6],
    pub leases_alive: usize,
}

/// `GET /vaultlab/room/seats/{name}/events` (root token): newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatLog {
    pub seat: String,
    pub entries: Vec<SeatLogEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatLogEntry {
    pub at: DateTime<Utc>,
    /// "vault", "aws" or "lease".
    pub kind: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub error: Option<String>,
}

/// `GET /vaultlab/room/seat` (seat token): what a learner's screen needs from the room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatNotice {
    pub version: u64,
    pub title: String,
    pub seat: String,
    pub broadcast: Option<Broadcast>,
    pub pace: Option<u8>,
    pub ended: bool,
    pub steps: Vec<StepProgress>,
}

/// `POST /vaultlab/room/end` (root token): what the room leaves behind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomReport {
    pub title: String,
    pub opened: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    pub leases_revoked: usize,
    /// Must be 0.
    pub vault_users_left: usize,
    pub seats: Vec<SeatReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatReport {
    pub name: String,
    pub steps: Vec<StepProgress>,
    pub errors: Vec<SeatError>,
    pub leases_issued: usize,
    pub leases_revoked: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seat_notice_round_trips_through_json() {
        let notice = SeatNotice {
            version: 3,
            title: "dyn-secrets".into(),
            seat: "ada".into(),
            broadcast: Some(Broadcast {
                message: "break".into(),
                at: Utc::now(),
            }),
            pace: Some(3),
            ended: false,
            steps: (1..=6)
                .map(|step| StepProgress {
                    step,
                    done_at: None,
                })
                .collect(),
        };
        let text = serde_json::to_string(&notice).unwrap();
        assert_eq!(serde_json::from_str::<SeatNotice>(&text).unwrap(), notice);
        assert!(text.contains(r#""pace":3"#), "{text}");
    }
}
