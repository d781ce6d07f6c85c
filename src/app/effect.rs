//! What `update` asks the runtime to do. Effects carry everything they need (the Vault
//! request `plan` built, the values an engine uses, the journal change), so the runtime
//! sends, writes and returns replies, and decides nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::doctor::DoctorPlan;
use crate::engines::EngineCall;
use crate::exchange::Exchange;
use crate::lease::Lifecycle;
use crate::lease::journal::Entry;
use crate::vault::refusal::VaultRefusal;
use crate::vault::request::VaultRequest;

#[derive(Debug, Clone)]
pub enum Effect {
    /// Send a request to Vault, after `delay`, and return its answer.
    Vault(VaultCall),
    /// Ask the lab's engine (AWS: STS, EC2, IAM).
    Engine(EngineCall),
    /// `vaultlab doctor`'s checks, for the overview.
    Doctor(DoctorPlan),
    /// Change the lease journal. Changes are made in the order asked.
    Journal(JournalChange),
    /// Put text on the terminal's clipboard (OSC 52).
    Clipboard(SecretString),
    /// Give the terminal back and stop (Ctrl-Z, SIGTSTP); once continued (`fg`), take it
    /// again and redraw.
    Suspend,
    /// The run is over: the runtime stops here.
    Quit,
    /// Tell `vaultlab notes` what the projector shows now (presenter mode).
    Publish(Box<crate::present::Published>),
    /// Send `Msg::Autoplay { wake, .. }` after `after`: autoplay's clock.
    Wake { after: Duration, wake: u64 },
}

impl Effect {
    /// The step an effect works for, so a failure to run it can be shown there.
    pub fn step(&self) -> Option<usize> {
        match self {
            Effect::Vault(call) => call.purpose.step(),
            Effect::Engine(call) => call.step(),
            _ => None,
        }
    }
}

/// One request to Vault, and what its answer is for.
#[derive(Debug, Clone)]
pub struct VaultCall {
    pub purpose: Purpose,
    pub request: VaultRequest,
    /// How long to wait before sending (a lease looked up again after its time).
    pub delay: Duration,
}

impl VaultCall {
    pub fn now(purpose: Purpose, request: VaultRequest) -> Effect {
        Effect::Vault(VaultCall {
            purpose,
            request,
            delay: Duration::ZERO,
        })
    }

    pub fn after(delay: Duration, purpose: Purpose, request: VaultRequest) -> Effect {
        Effect::Vault(VaultCall {
            purpose,
            request,
            delay,
        })
    }
}

/// What a Vault answer is for.
#[derive(Debug, Clone)]
pub enum Purpose {
    /// Whether step `step` is done already (perhaps with the CLI, in another terminal), as
    /// part of reconciliation round `round`.
    Done { step: usize, round: u64 },
    /// The leases Vault holds under the lab's role (`LIST sys/leases/lookup/<prefix>/`), as
    /// part of reconciliation round `round`: new ones were issued elsewhere.
    ListLeases { round: u64 },
    /// The step's own request.
    Step { step: usize },
    /// Vault refused the step's request (`path is already in use`): is it done already?
    Recheck {
        step: usize,
        curl: String,
        refusal: VaultRefusal,
    },
    /// Read back what Vault keeps after the step's write.
    ReadBack { step: usize, written: Exchange },
    /// One of a step's actions (`s`: short leases).
    Action { step: usize, action: usize },
    Revoke {
        lease_id: String,
        /// Vault finished it (204, or its error) rather than queuing it (202).
        sync: bool,
    },
    Renew {
        lease_id: String,
        /// `None`: Vault's default increment.
        asked: Option<Duration>,
    },
    /// What Vault says of a lease: at start, after its time is up (asked again until Vault
    /// forgets it, `attempt` counting), or as part of reconciliation round `round` (once).
    Lookup {
        lease_id: String,
        attempt: u32,
        round: Option<u64>,
    },
}

impl Purpose {
    pub fn step(&self) -> Option<usize> {
        match self {
            Purpose::Step { step }
            | Purpose::Recheck { step, .. }
            | Purpose::ReadBack { step, .. }
            | Purpose::Action { step, .. } => Some(*step),
            Purpose::Done { .. }
            | Purpose::ListLeases { .. }
            | Purpose::Revoke { .. }
            | Purpose::Renew { .. }
            | Purpose::Lookup { .. } => None,
        }
    }

    /// The reconciliation round an answer belongs to, if it is one.
    pub fn round(&self) -> Option<u64> {
        match self {
            Purpose::Done { round, .. } | Purpose::ListLeases { round } => Some(*round),
            Purpose::Lookup { round, .. } => *round,
            _ => None,
        }
    }
}

/// A change to the lease journal: ids, roles and times, never a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalChange {
    /// A lease Vault just issued, recorded before its keys are shown.
    Record(Entry),
    Mark {
        lease_id: String,
        state: Lifecycle,
    },
    /// Vault's new TTL for the lease, counted from `at`.
    Renewed {
        lease_id: String,
        at: DateTime<Utc>,
        ttl: Duration,
    },
}

impl JournalChange {
    pub fn lease_id(&self) -> &str {
        match self {
            JournalChange::Record(entry) => &entry.lease_id,
            JournalChange::Mark { lease_id, .. } | JournalChange::Renewed { lease_id, .. } => {
                lease_id
            }
        }
    }
}
