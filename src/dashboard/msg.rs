//! What happens to the dashboard (`Msg`), and what it asks to be done (`Effect`).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use crate::app::msg::StopSignal;
use vaultlab_wire::room::{RoomStatus, SeatLog};

/// `Debug` leaves typed characters and pasted text out: a broadcast may be anything.
#[derive(Clone)]
pub enum Msg {
    /// The clock: `update` never reads it itself.
    Tick(DateTime<Utc>),
    Key(KeyEvent),
    Paste(String),
    /// SIGTERM asks as `q` does; SIGHUP leaves (the room keeps its state).
    Signal(StopSignal),
    /// SIGTSTP from outside: suspend, as Ctrl-Z does.
    Suspend,
    /// The room, read (or why it could not be).
    Status(Result<RoomStatus, String>),
    /// A seat's event log, read (or why it could not be), named by the seat asked for.
    Log {
        seat: String,
        result: Result<SeatLog, String>,
    },
    /// A facilitator action, done (or refused, in the room's words).
    Done(Result<Done, String>),
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Msg::Tick(now) => write!(f, "Tick({now})"),
            Msg::Key(key) => match key.code {
                crossterm::event::KeyCode::Char(_) => f.write_str("Key(<char>)"),
                code => write!(f, "Key({code:?})"),
            },
            Msg::Paste(text) => write!(f, "Paste(<{} chars>)", text.chars().count()),
            Msg::Signal(signal) => write!(f, "Signal({signal:?})"),
            Msg::Suspend => f.write_str("Suspend"),
            Msg::Status(result) => write!(f, "Status(ok: {})", result.is_ok()),
            Msg::Log { seat, result } => write!(f, "Log({seat}, ok: {})", result.is_ok()),
            Msg::Done(result) => write!(f, "Done({result:?})"),
        }
    }
}

/// What an action came to, for the status bar.
#[derive(Debug, Clone, PartialEq)]
pub enum Done {
    Broadcast {
        cleared: bool,
    },
    Pace(Option<u8>),
    ShortLeases {
        seats: usize,
        on: bool,
    },
    Revoked {
        seat: String,
        leases: usize,
    },
    /// The room ended; its report is written at `report` (Markdown; JSON beside it).
    Ended {
        report: PathBuf,
        leases_revoked: usize,
        vault_users_left: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    FetchStatus,
    FetchLog(String),
    Broadcast(String),
    Pace(Option<u8>),
    /// Short leases on for all, or off.
    ShortLeases {
        on: bool,
    },
    Revoke(String),
    /// End the room and write its report.
    End,
    Suspend,
    Quit,
}
