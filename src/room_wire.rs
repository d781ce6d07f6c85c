//! The room's control API types, as /work/notes/room-api.md (the contract between the
//! room server and the app) writes them. A stand-in until `vaultlab_wire::room` lands from
//! the room server's branch: then this module becomes `pub use vaultlab_wire::room::*`.
//! Fields and names must stay the contract's, so the swap changes no other file.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomStatus {
    pub title: String,
    pub join_code: String,
    pub max_seats: usize,
    pub opened: DateTime<Utc>,
    pub ended: Option<DateTime<Utc>>,
    pub broadcast: Option<Broadcast>,
    pub pace: Option<u8>,
    pub seats: Vec<SeatStatus>,
    pub summary: RoomSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Broadcast {
    pub message: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatStatus {
    pub name: String,
    pub namespace: String,
    pub account_id: String,
    pub joined: DateTime<Utc>,
    pub last_activity: DateTime<Utc>,
    /// Always six, index 0 = step 1.
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatError {
    pub at: DateTime<Utc>,
    /// `PUT /v1/aws/roles/my-role` or `ec2:DescribeInstances`.
    pub what: String,
    pub status: u16,
    /// The server's own words, one line, no secret.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomSummary {
    pub joined: usize,
    pub done_per_step: [usize; 6],
    pub leases_alive: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatLog {
    pub seat: String,
    pub entries: Vec<SeatLogEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatLogEntry {
    pub at: DateTime<Utc>,
    /// vault, aws or lease.
    pub kind: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub error: Option<String>,
}

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
