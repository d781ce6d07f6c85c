//! The facilitator's actions on a running room, and what the room tells a dashboard and a
//! learner (the wire types of `vaultlab_wire::room`): the room's status, a seat's log, a
//! broadcast, a pace, short leases for all, a seat's leases revoked, and the room's end
//! (every lease in every seat revoked, then every account checked for `vault-*` users).

use axum::http::StatusCode;
use chrono::Utc;
use vaultlab_wire::room::{
    Broadcast, LeaseSummary, RoomReport, RoomStatus, RoomSummary, SeatLog, SeatNotice, SeatReport,
    SeatStatus,
};

use super::progress::{STEPS, SeatProgress, log_key};
use super::{Room, Seat};
use crate::events::RoomChangeKind;

/// The longest broadcast, in characters.
pub const MAX_BROADCAST_CHARS: usize = 200;
/// How long the end goes on revoking while leases or `vault-*` users are left.
const END_WAIT: std::time::Duration = std::time::Duration::from_secs(30);
/// What "short leases for all" writes by default: Vault's `config/lease` 2m / 5m.
pub const SHORT_LEASE: (i64, i64) = (120, 300);

/// Why an action was refused: an HTTP status and words for the facilitator.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub status: StatusCode,
    pub message: String,
}

fn refused(status: StatusCode, message: impl Into<String>) -> Refused {
    Refused {
        status,
        message: message.into(),
    }
}

impl Room {
    fn progress_of(&self, name: &str) -> SeatProgress {
        self.vault
            .read_state(|state| state.seat_progress.get(name).cloned())
            .unwrap_or_default()
    }

    fn seat_named(&self, name: &str) -> Result<Seat, Refused> {
        self.vault
            .read_state(|state| state.seats.get(name).cloned())
            .ok_or_else(|| {
                refused(
                    StatusCode::NOT_FOUND,
                    format!("no seat named {name:?} in this room"),
                )
            })
    }

    /// The whole room, seats by name, once the tracker has taken in what already
    /// happened (a lease gone from the table has its event in the seat's log).
    pub async fn status(&self) -> RoomStatus {
        self.settle().await;
        let config = self.config();
        let mut done_per_step = [0; STEPS];
        let mut leases_alive = 0;
        let seats: Vec<SeatStatus> = self
            .seats()
            .into_iter()
            .map(|seat| {
                let progress = self.progress_of(&seat.name);
                for (count, done) in done_per_step.iter_mut().zip(&progress.steps) {
                    *count += usize::from(done.is_some());
                }
                let leases: Vec<LeaseSummary> = self
                    .vault
                    .namespace_leases(&seat.namespace)
                    .into_iter()
                    .map(|l| LeaseSummary {
                        lease_id: l.id,
                        expires_at: l.expires_at,
                    })
                    .collect();
                leases_alive += leases.len();
                SeatStatus {
                    steps: progress.step_list(),
                    last_activity: progress.last_activity.unwrap_or(seat.joined),
                    last_error: progress.last_error,
                    leases,
                    name: seat.name,
                    namespace: seat.namespace,
                    account_id: seat.account,
                    joined: seat.joined,
                }
            })
            .collect();
        RoomStatus {
            title: config.title,
            join_code: config.join_code.expose().to_owned(),
            max_seats: config.max_seats,
            opened: config.opened,
            ended: config.ended,
            broadcast: config.broadcast,
            pace: config.pace,
            short_leases: config
                .short_leases
                .map(|short| vaultlab_wire::room::ShortLeases {
                    ttl: u64::try_from(short.ttl).unwrap_or(0),
                    max_ttl: u64::try_from(short.max_ttl).unwrap_or(0),
                }),
            summary: RoomSummary {
                joined: seats.len(),
                done_per_step,
                leases_alive,
            },
            seats,
        }
    }

    /// A seat's last `limit` log entries, newest first, once the tracker has taken in
    /// what already happened.
    pub async fn seat_log(&self, name: &str, limit: usize) -> Result<SeatLog, Refused> {
        self.seat_named(name)?;
        self.settle().await;
        let progress = self.progress_of(name);
        let entries = self.vault.read_state(|state| {
            (progress.log_first..progress.log_next)
                .rev()
                .take(limit)
                .filter_map(|n| state.seat_log.get(&log_key(name, n)).cloned())
                .collect()
        });
        Ok(SeatLog {
            seat: name.to_owned(),
            entries,
        })
    }

    /// Shows `message` in every learner's status bar (`""` takes it away).
    pub async fn broadcast(&self, message: &str) -> Result<(), Refused> {
        let message = message.trim();
        if message.contains(['\n', '\r']) || message.chars().any(char::is_control) {
            return Err(refused(StatusCode::BAD_REQUEST, "a broadcast is one line"));
        }
        if message.chars().count() > MAX_BROADCAST_CHARS {
            return Err(refused(
                StatusCode::BAD_REQUEST,
                format!("a broadcast is at most {MAX_BROADCAST_CHARS} characters"),
            ));
        }
        let broadcast = (!message.is_empty()).then(|| Broadcast {
            message: message.to_owned(),
            at: Utc::now(),
        });
        self.change_config(|config| config.broadcast = broadcast)
            .await?;
        self.tell(
            "room/",
            RoomChangeKind::Broadcast,
            None,
            Some(message.to_owned()),
        );
        Ok(())
    }

    /// Holds the room at `step` (later steps wait), or frees it (`None`).
    pub async fn pace(&self, step: Option<u8>) -> Result<(), Refused> {
        if step.is_some_and(|s| !(1..=STEPS as u8).contains(&s)) {
            return Err(refused(
                StatusCode::BAD_REQUEST,
                format!("the pace is a step from 1 to {STEPS}, or null to free the room"),
            ));
        }
        // The AWS side holds as the state does, before learners are told.
        self.aws.set_pace(step);
        self.change_config(|config| config.pace = step).await?;
        let detail = step.map_or_else(|| "free".to_owned(), |s| s.to_string());
        self.tell("room/", RoomChangeKind::Pace, None, Some(detail));
        Ok(())
    }

    async fn change_config(
        &self,
        change: impl FnOnce(&mut super::RoomConfig),
    ) -> Result<(), Refused> {
        self.vault.update_state(|state| {
            if let Some(config) = state.room.as_mut() {
                change(config);
            }
        });
        self.kept().await?;
        self.notices.bump();
        Ok(())
    }

    async fn kept(&self) -> Result<(), Refused> {
        self.vault
            .kept_now()
            .await
            .map_err(|e| refused(StatusCode::INTERNAL_SERVER_ERROR, e))
    }

    /// Short leases for the whole room (seconds): kept as the room's setting, written now
    /// as `config/lease` on every seat's `aws` mount, and on each one mounted later as it
    /// is mounted. A later call replaces the values (and writes them again everywhere,
    /// over a learner's own `config/lease`). How many seats it covers: every seat joined
    /// (one without a mount yet gets it with its mount, before it can issue a lease).
    pub async fn short_leases(&self, ttl: i64, max_ttl: i64) -> Result<usize, Refused> {
        if ttl <= 0 || max_ttl < ttl {
            return Err(refused(
                StatusCode::BAD_REQUEST,
                "ttl must be positive and max_ttl at least ttl",
            ));
        }
        let (seats, mounted) = self
            .vault
            .set_room_short_leases(Some(super::ShortLeases { ttl, max_ttl }));
        self.kept().await?;
        self.tell(
            "room/",
            RoomChangeKind::ShortLeases,
            None,
            Some(format!(
                "{ttl}s/{max_ttl}s for the room: {seats} seats ({mounted} with aws mounted; the rest as they mount it)"
            )),
        );
        Ok(seats)
    }

    /// Turns short leases off: the room's setting cleared (seats that mount `aws` later
    /// get the engine's defaults), and every seat's `aws` mounts back to the engine's
    /// defaults, as if `config/lease` had never been written (leases already issued keep
    /// their TTL, as in Vault). How many seats it covers.
    pub async fn short_leases_off(&self) -> Result<usize, Refused> {
        let (seats, mounted) = self.vault.set_room_short_leases(None);
        self.kept().await?;
        self.tell(
            "room/",
            RoomChangeKind::ShortLeases,
            None,
            Some(format!(
                "off: the engine's default lease TTLs in every seat: {seats} seats ({mounted} with aws mounted)"
            )),
        );
        Ok(seats)
    }

    /// Revokes every lease of seat `name`; how many.
    pub async fn revoke_seat(&self, name: &str) -> Result<usize, Refused> {
        let seat = self.seat_named(name)?;
        let (revoked, errors) = self.vault.revoke_namespace_leases(&seat.namespace).await;
        self.tell(
            &seat.namespace,
            RoomChangeKind::SeatRevoked,
            Some(name),
            Some(revoked.to_string()),
        );
        match errors.first() {
            Some(error) => Err(refused(
                StatusCode::BAD_GATEWAY,
                format!("{revoked} leases revoked, {} not: {error}", errors.len()),
            )),
            None => Ok(revoked),
        }
    }

    /// Ends the room: no more joins; every lease in every seat revoked; then how many
    /// `vault-*` IAM users are left in all accounts (0 unless a revocation failed).
    pub async fn end(&self) -> Result<RoomReport, Refused> {
        let now = Utc::now();
        self.change_config(|config| {
            config.ended.get_or_insert(now);
        })
        .await?;
        let seats = self.seats();
        // No new lease from here on: every seat's token is refused everything (its
        // notices still answer, so learners hear that the room has ended).
        for seat in &seats {
            let closed = self
                .vault
                .ensure_namespace(&seat.namespace)
                .and_then(|ns| self.vault.put_policy(&ns, "seat", super::ENDED_SEAT_POLICY));
            if let Err(e) = closed {
                return Err(refused(StatusCode::INTERNAL_SERVER_ERROR, e));
            }
        }
        self.kept().await?;
        // Revoked in passes: a lease issued by a request already under way when the seat
        // closed, or a revocation that failed, is taken by the next pass.
        let deadline = tokio::time::Instant::now() + END_WAIT;
        let mut leases_revoked = 0;
        let vault_users_left = loop {
            let revocations = seats
                .iter()
                .map(|seat| self.vault.revoke_namespace_leases(&seat.namespace));
            leases_revoked += futures::future::join_all(revocations)
                .await
                .into_iter()
                .map(|(revoked, _)| revoked)
                .sum::<usize>();
            let users_left = self
                .aws
                .accounts()
                .iter()
                .flat_map(|account| self.aws.account_users(account))
                .filter(|user| user.starts_with("vault-"))
                .count();
            let leases_left: usize = seats
                .iter()
                .map(|seat| self.vault.namespace_leases(&seat.namespace).len())
                .sum();
            if (users_left == 0 && leases_left == 0) || tokio::time::Instant::now() >= deadline {
                break users_left;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        };
        // The revocations' events are in the stream; the report counts them.
        self.settle().await;
        let config = self.config();
        let report = RoomReport {
            title: config.title,
            opened: config.opened,
            ended: config.ended.unwrap_or(now),
            leases_revoked,
            vault_users_left,
            seats: seats
                .into_iter()
                .map(|seat| {
                    let progress = self.progress_of(&seat.name);
                    SeatReport {
                        steps: progress.step_list(),
                        errors: progress.errors,
                        leases_issued: progress.leases_issued,
                        leases_revoked: progress.leases_revoked,
                        name: seat.name,
                    }
                })
                .collect(),
        };
        self.tell(
            "room/",
            RoomChangeKind::Ended,
            None,
            Some(format!(
                "{leases_revoked} leases revoked, {vault_users_left} vault-* users left"
            )),
        );
        Ok(report)
    }

    /// Waits (a little) until the tracker has taken in the events emitted so far.
    async fn settle(&self) {
        let target = self.events.last_seq();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
        while self.tracked_seq() < target
            && self.is_tracking()
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// What a seat's learner sees: the room's notice and the seat's steps.
    pub fn seat_notice(&self, seat: &Seat) -> SeatNotice {
        let config = self.config();
        SeatNotice {
            version: self.notices.version(),
            title: config.title,
            seat: seat.name.clone(),
            broadcast: config.broadcast,
            pace: config.pace,
            ended: config.ended.is_some(),
            steps: self.progress_of(&seat.name).step_list(),
        }
    }

    /// The seat whose token this is.
    pub fn seat_of_token(&self, token: &str) -> Option<Seat> {
        let namespace = self.vault.token_namespace(token)?;
        let name = super::progress::seat_of(&namespace)?;
        self.vault
            .read_state(|state| state.seats.get(name).cloned())
            .filter(|seat| seat.namespace == namespace)
    }
}
