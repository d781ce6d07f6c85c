//! The facilitator's dashboard: the room as `GET /vaultlab/room` tells it, read every
//! second, and the facilitator's actions as the room's control endpoints take them. Only
//! those endpoints: the same screen works against a room served elsewhere.
//!
//! As in the lab's own core (`crate::app`): `update(&mut Dashboard, Msg)` is the one place
//! the state changes, with no I/O and no clock (time comes in `Msg::Tick`); it returns the
//! effects for `run` to carry out and whether the screen changed. `view` only reads.

pub mod keys;
pub mod msg;
pub mod report;
pub mod run;
pub mod seats;
pub mod update;
pub mod view;

#[cfg(test)]
mod update_tests;

use std::path::PathBuf;

use chrono::{DateTime, Utc};

pub use msg::{Done, Effect, Msg};
pub use update::update;
use vaultlab_wire::room::{RoomStatus, SeatLog};

/// What the dashboard starts from: where the room is and how it is served.
#[derive(Debug, Clone)]
pub struct Start {
    /// The address learners join (`http://10.1.2.3:8200`).
    pub url: String,
    /// The join code, until the room's own status says it.
    pub code: String,
    /// Served with TLS (its certificate's pin and fingerprint): without it, tokens and
    /// keys cross the network in clear.
    pub tls: Option<Tls>,
    /// Served without TLS though a certificate is kept for the room's state: the
    /// facilitator probably meant --tls.
    pub kept_certificate: bool,
    /// Where the report goes when the room ends (`.md` and `.json` beside each other).
    pub report: PathBuf,
    pub now: DateTime<Utc>,
}

/// A room's certificate, as learners pin it.
#[derive(Debug, Clone)]
pub struct Tls {
    /// The join line's `--pin`.
    pub pin: String,
    /// `sha256:AB:12:…`.
    pub fingerprint: String,
    /// A kept certificate made for other names than the join line's address.
    pub not_for_this_address: bool,
}

/// The whole state of the dashboard.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub start: Start,
    /// The room as last read; `None` until the first answer.
    pub room: Option<RoomStatus>,
    pub fetch: Fetch,
    pub now: DateTime<Utc>,
    /// The selected seat, by name, so a re-sort or a new seat does not move the selection.
    pub selected: Option<String>,
    pub sort: seats::SortBy,
    pub filter: seats::Filter,
    pub view: View,
    pub prompt: Option<Prompt>,
    pub help: bool,
    /// The outcome of the last action, or a problem, in the status bar.
    pub notice: Option<String>,
    /// The join line drawn big (for a projector) when the screen has room.
    pub big_join: bool,
    /// The room has ended: the report was written here.
    pub report_written: Option<PathBuf>,
    /// Ctrl-Z was pressed once: the room is served by this process, so suspending it
    /// stops the room too; a second Ctrl-Z at once suspends anyway.
    pub suspend_asked: bool,
    pub quit: bool,
}

/// Reading the room: one request at a time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fetch {
    pub in_flight: bool,
    /// When the last reading was asked for.
    pub last_started: Option<DateTime<Utc>>,
    pub last_ok: Option<DateTime<Utc>>,
    /// Why the last reading failed, in the client's words; cleared by the next success.
    pub problem: Option<String>,
}

/// What fills the body.
#[derive(Debug, Clone, PartialEq)]
pub enum View {
    Seats,
    /// One seat's event log, newest first.
    Log {
        seat: String,
        log: Option<SeatLog>,
        /// Rows scrolled down from the newest.
        scroll: usize,
        in_flight: bool,
        problem: Option<String>,
    },
}

/// A question the facilitator answers before anything else.
#[derive(Debug, Clone, PartialEq)]
pub enum Prompt {
    /// A one-line message for every learner; empty clears the one shown.
    Broadcast(String),
    /// Which step to hold the room at.
    Pace,
    Confirm(Confirm),
}

/// An action that cannot be taken back, asked first.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    /// Short leases for all (`on`), or the engine's defaults again.
    ShortLeases {
        on: bool,
    },
    Revoke(String),
    End,
    Quit,
}

impl Dashboard {
    pub fn new(start: Start) -> (Self, Vec<Effect>) {
        let now = start.now;
        let dashboard = Self {
            now,
            start,
            room: None,
            fetch: Fetch {
                in_flight: true,
                last_started: Some(now),
                ..Fetch::default()
            },
            selected: None,
            sort: seats::SortBy::Name,
            filter: seats::Filter::All,
            view: View::Seats,
            prompt: None,
            help: false,
            notice: None,
            big_join: true,
            report_written: None,
            suspend_asked: false,
            quit: false,
        };
        (dashboard, vec![Effect::FetchStatus])
    }

    /// The join line as learners type it.
    pub fn join_line(&self) -> String {
        match &self.start.tls {
            Some(tls) => format!(
                "vaultlab join {} {} --pin {}",
                self.start.url,
                self.join_code(),
                tls.pin
            ),
            None => format!("vaultlab join {} {}", self.start.url, self.join_code()),
        }
    }

    pub fn join_code(&self) -> &str {
        self.room
            .as_ref()
            .map_or(self.start.code.as_str(), |r| r.join_code.as_str())
    }

    /// Whether the room's short leases are on, as last read.
    pub fn short_leases_on(&self) -> bool {
        self.room.as_ref().is_some_and(|r| r.short_leases.is_some())
    }

    pub fn ended(&self) -> bool {
        self.room.as_ref().is_some_and(|r| r.ended.is_some()) || self.report_written.is_some()
    }

    /// The seats as the table shows them: filtered, then sorted.
    pub fn rows(&self) -> Vec<&vaultlab_wire::room::SeatStatus> {
        match &self.room {
            Some(room) => seats::rows(&room.seats, self.sort, self.filter, self.now),
            None => Vec::new(),
        }
    }

    /// The selected row's index among `rows`: the named seat if it is shown, else the
    /// first.
    pub fn cursor(&self) -> usize {
        let rows = self.rows();
        self.selected
            .as_deref()
            .and_then(|name| rows.iter().position(|s| s.name == name))
            .unwrap_or(0)
    }
}
