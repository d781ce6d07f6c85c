//! Everything that can happen to the app: a key, a paste, the clock, a signal, or the
//! outcome of an effect the runtime ran.

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use super::effect::{Effect, JournalChange, Purpose, VaultCall};
use super::pane::Pane;
use super::scroll::Room;
use crate::checks::Check;
use crate::engines::EngineReply;
pub use crate::exchange::{Exchange, Failure};
use crate::vault::refusal::VaultRefusal;
use crate::vault::types::Reply;

/// `Debug` leaves out pasted text and typed characters: they may be a secret key.
#[derive(Clone)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    /// The clock: `update` never reads it itself.
    Tick(DateTime<Utc>),
    /// The wake-up autoplay asked for (`Effect::Wake`) is due.
    Autoplay {
        wake: u64,
        now: DateTime<Utc>,
    },
    /// SIGTERM or SIGHUP: the same path as `q`, or as far as it can go with no one to ask.
    Signal(StopSignal),
    /// SIGTSTP from outside: suspend, as Ctrl-Z does.
    Suspend,
    /// The mouse wheel turned a notch (down: towards the end of the content).
    Wheel {
        down: bool,
    },
    /// The view drew a pane and measured its content: what scrolling moves within.
    Measured {
        pane: Pane,
        room: Room,
    },
    /// What the embedded sandbox saw Vault's engine do (the inside view).
    Inside(crate::inside::Seen),
    /// Boxed: an answer carries its request and reply, much more than a key.
    Outcome(Box<Outcome>),
    /// What the workshop room says to this seat (broadcast, pace, end).
    Room(vaultlab_wire::room::SeatNotice),
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Msg::Key(key) => match key.code {
                crossterm::event::KeyCode::Char(_) => f.write_str("Key(<char>)"),
                code => write!(f, "Key({code:?})"),
            },
            Msg::Paste(text) => write!(f, "Paste(<{} chars>)", text.chars().count()),
            Msg::Tick(now) => write!(f, "Tick({now})"),
            Msg::Autoplay { wake, now } => write!(f, "Autoplay({wake}, {now})"),
            Msg::Signal(signal) => write!(f, "Signal({signal:?})"),
            Msg::Suspend => f.write_str("Suspend"),
            Msg::Wheel { down } => write!(f, "Wheel {{ down: {down} }}"),
            Msg::Measured { pane, room } => write!(f, "Measured({pane:?}, {room:?})"),
            Msg::Inside(seen) => write!(f, "Inside({seen:?})"),
            Msg::Outcome(outcome) => write!(f, "Outcome({outcome:?})"),
            Msg::Room(notice) => write!(f, "Room(version {})", notice.version),
        }
    }
}

/// A polite request to stop, from outside the terminal's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGTERM: asked like `q`; a second one keeps the leases and leaves.
    Terminate,
    /// SIGHUP: the terminal is gone and no one can be asked: keep the leases and leave.
    Hangup,
}

/// What an effect came to. `Debug` masks secrets (a reply's secret fields, a request's
/// secret body fields).
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Vault's answer to a request `update` built, with the request it answers.
    Vault {
        call: VaultCall,
        reply: Result<Reply, VaultRefusal>,
    },
    /// The engine's answer (AWS: STS, EC2, IAM).
    Engine(EngineReply),
    /// `vaultlab doctor`'s checks, for the overview.
    Doctor(Vec<Check>),
    /// A change to the lease journal was written, or could not be (in the journal's words).
    Journaled {
        change: JournalChange,
        result: Result<(), String>,
    },
    /// The clipboard was written, or could not be.
    Copied(Result<(), String>),
    /// An effect other than a Vault request could not finish (it panicked): its step, if
    /// any, has failed. (A Vault request that panicked comes back as a refusal.)
    Crashed {
        step: Option<usize>,
        failure: Failure,
    },
}

impl Outcome {
    /// What an effect that panicked comes to. A Vault request fails as a refusal would, in
    /// the crash's words, so whatever it was for ends as a failure does (a revocation
    /// failed and kept open, a renewal no longer on its way, a round answered) and no one
    /// waits for it; another effect fails its step.
    pub fn crashed(effect: &Effect, failure: Failure) -> Outcome {
        match effect {
            Effect::Vault(call) => Outcome::Vault {
                call: call.clone(),
                reply: Err(VaultRefusal {
                    message: format!("{}: {}", failure.what, failure.detail),
                    hint: failure.hint,
                    status: None,
                    errors: Vec::new(),
                    invalid_request: false,
                }),
            },
            _ => Outcome::Crashed {
                step: effect.step(),
                failure,
            },
        }
    }

    /// The reconciliation round a Vault answer belongs to, if it is one.
    pub fn round(&self) -> Option<u64> {
        match self {
            Outcome::Vault { call, .. } => call.purpose.round(),
            _ => None,
        }
    }

    /// The lease an outcome is about. Outcomes about older credentials arrive late when
    /// the learner generates new ones meanwhile; they must not touch the new ones.
    pub fn lease_id(&self) -> Option<&str> {
        match self {
            Outcome::Vault { call, .. } => match &call.purpose {
                Purpose::Revoke { lease_id, .. }
                | Purpose::Renew { lease_id, .. }
                | Purpose::Lookup { lease_id, .. } => Some(lease_id),
                _ => None,
            },
            Outcome::Engine(reply) => reply.lease_id(),
            _ => None,
        }
    }
}
