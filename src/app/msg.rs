//! Everything that can happen to the app: a key, a paste, the clock, or the outcome of an
//! effect the runtime ran.

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use secrecy::SecretString;

use crate::lab::StepKind;
use crate::lease::journal::Entry;

/// `Debug` leaves out pasted text and typed characters: they may be a secret key.
#[derive(Clone)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    /// The clock: `update` never reads it itself.
    Tick(DateTime<Utc>),
    /// SIGTERM or SIGHUP: the same path as `q`, or as far as it can go with no one to ask.
    Signal(StopSignal),
    Outcome(Outcome),
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
            Msg::Signal(signal) => write!(f, "Signal({signal:?})"),
            Msg::Outcome(outcome) => write!(f, "Outcome({outcome:?})"),
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

/// What went wrong, in words for the learner: what failed, the server's own message,
/// and what to try next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub what: String,
    pub detail: String,
    pub hint: String,
}

/// A request as the learner could have typed it, and what came back (secrets masked).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Exchange {
    pub curl: String,
    pub response: String,
}

/// Which steps Vault says are done.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabStatus {
    pub engine_enabled: bool,
    pub root_configured: bool,
    pub role_written: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

#[derive(Debug, Clone)]
pub struct IssuedCreds {
    pub lease_id: String,
    pub lease_duration: Duration,
    pub renewable: bool,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// The IAM user Vault made, when it could be found.
    pub iam_user: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    Status(Result<LabStatus, Failure>),
    EngineEnabled(Result<Exchange, Failure>),
    RootKeysChecked(Result<CallerIdentity, Failure>),
    RootConfigWritten(Result<Exchange, Failure>),
    RoleWritten(Result<Exchange, Failure>),
    CredsIssued(Result<(IssuedCreds, Exchange), Failure>),
    LeaseConfigWritten(Result<Exchange, Failure>),
    Doctor(Vec<crate::checks::Check>),
    /// One DescribeInstances attempt. `Err` with `retryable` while the key propagates.
    Described {
        lease_id: String,
        attempt: u32,
        result: Result<Exchange, AwsRefusal>,
    },
    Revoked {
        lease_id: String,
        result: Result<Exchange, Failure>,
    },
    /// One look at the revoked keys: whether AWS refused them and whether the user is gone.
    RevocationChecked {
        lease_id: String,
        attempt: u32,
        refused_with: Option<String>,
        user_gone: bool,
        exchange: Exchange,
    },
    /// Vault's answer to a renewal: the TTL it granted and its warnings (the max-TTL cap).
    Renewed {
        lease_id: String,
        asked: Option<Duration>,
        result: Result<(Duration, Vec<String>), Failure>,
    },
    /// The journal's open leases from earlier runs (live mode), read at start.
    JournalRead {
        path: Option<String>,
        open: Vec<Entry>,
        /// Open leases of other vaultlabs still running against this Vault: left out of
        /// `open`, theirs to renew, revoke or keep.
        other_runs: usize,
    },
    /// A lease looked up in Vault (`sys/leases/lookup`).
    LookedUp {
        lease_id: String,
        attempt: u32,
        result: Result<LeaseFacts, LookupFailure>,
    },
    Copied(Result<(), Failure>),
    /// A change to the lease journal could not be written, in the journal's words.
    JournalFailed(String),
    /// An effect could not finish (it panicked): its step, if any, has failed.
    Crashed {
        step: Option<StepKind>,
        failure: Failure,
    },
}

impl Outcome {
    /// The lease an outcome is about. Outcomes about older credentials arrive late when
    /// the learner generates new ones meanwhile; they must not touch the new ones.
    pub fn lease_id(&self) -> Option<&str> {
        match self {
            Outcome::Described { lease_id, .. }
            | Outcome::Revoked { lease_id, .. }
            | Outcome::RevocationChecked { lease_id, .. }
            | Outcome::Renewed { lease_id, .. }
            | Outcome::LookedUp { lease_id, .. } => Some(lease_id),
            _ => None,
        }
    }
}

/// An AWS error: its code (`AuthFailure`, `UnauthorizedOperation`…) and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsRefusal {
    pub code: String,
    pub message: String,
    /// True when waiting may help: a new key that AWS does not know yet, or throttling.
    pub retryable: bool,
}

impl AwsRefusal {
    /// AWS is throttling the caller (rather than refusing the keys).
    pub fn throttled(&self) -> bool {
        crate::aws::error::is_throttling_code(&self.code)
    }

    /// No answer came from AWS at all.
    pub fn unreachable(&self) -> bool {
        crate::aws::error::is_unreachable_code(&self.code)
    }

    /// What to do next, in a sentence.
    pub fn hint(&self) -> &'static str {
        crate::aws::error::hint_for_code(&self.code)
    }
}

/// What Vault says of a lease it knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseFacts {
    /// Time left; zero once expired and not yet revoked.
    pub ttl: Duration,
    pub renewable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupFailure {
    /// Vault does not know the lease: it expired, or was revoked elsewhere.
    Gone,
    /// Vault could not be asked, or refused: the lease may be alive.
    Failed(Failure),
}
