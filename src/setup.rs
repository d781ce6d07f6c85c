//! Start-up inputs: where a run's requests go and what it starts with. Leaf types, decided
//! once by the session and handed to the app; they know nothing of the app.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::engines::Values;
use crate::lab::Lab;
use crate::lease::journal::Entry;

/// Where the lab runs: the embedded sandbox, real servers vaultlab started for the run,
/// or the learner's own Vault (and AWS, or PostgreSQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Sandbox,
    /// A Vault dev server and the lab's other servers, started by vaultlab on this machine
    /// and gone when it quits; `started` says which, each beginning with its name
    /// (`OpenBao 2.7.2 dev server`, `PostgreSQL 15.18`).
    Local {
        started: Vec<String>,
    },
    Live,
}

impl Mode {
    /// The mode in a word, as the walk's transcript says it.
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Sandbox => "Sandbox",
            Mode::Local { .. } => "Local",
            Mode::Live => "Live",
        }
    }

    /// Whether the servers are vaultlab's own and end with the run (no lease outlives it).
    pub fn ends_with_run(&self) -> bool {
        !matches!(self, Mode::Live)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub mode: Mode,
    pub vault_addr: String,
    pub namespace: Option<String>,
    /// Values the lab's engine gives templates (AWS: `aws_endpoint`, the endpoint Vault's
    /// engine must use when it is not AWS's own or the sandbox's); a name without a value
    /// leaves out a body field that is only it.
    pub engine_vars: Vec<(String, String)>,
    /// Where vaultlab's own calls to the engine's service go when that is not the service
    /// itself (live mode with --aws-endpoint or AWS_ENDPOINT_URL: moto, LocalStack, a
    /// sandbox): on screen, so nobody takes it for the real thing.
    pub service_endpoint: Option<String>,
}

impl Connection {
    /// A Vault at `vault_addr`, in no namespace, with no engine variables and the engine's
    /// service reached as itself: what vaultlab's own servers are.
    pub fn new(mode: Mode, vault_addr: impl Into<String>) -> Connection {
        Connection {
            mode,
            vault_addr: vault_addr.into(),
            namespace: None,
            engine_vars: Vec::new(),
            service_endpoint: None,
        }
    }
}

/// One `export NAME=value` line for a second terminal, so the learner can use the real
/// `vault` and `aws` CLIs against the same server.
#[derive(Debug, Clone)]
pub struct EnvVar {
    pub name: String,
    pub value: SecretString,
    /// Masked on screen until revealed.
    pub secret: bool,
}

impl EnvVar {
    pub fn plain(name: &str, value: &str) -> EnvVar {
        EnvVar {
            name: name.to_owned(),
            value: SecretString::from(value.to_owned()),
            secret: false,
        }
    }

    pub fn secret(name: &str, value: &SecretString) -> EnvVar {
        EnvVar {
            name: name.to_owned(),
            value: value.clone(),
            secret: true,
        }
    }
}

/// Values to start the lab's form with (the root keys), and where they came from: the
/// sandbox, the environment, a profile.
#[derive(Debug, Clone)]
pub struct Prefill {
    pub values: Values,
    pub source: String,
}

/// Everything a run starts with, handed to `app::init` once.
#[derive(Debug)]
pub struct StartInputs {
    pub lab: Lab,
    pub connection: Connection,
    pub prefill: Option<Prefill>,
    /// What a second terminal needs to reach the same sandbox (empty in live mode).
    pub cli_env: Vec<EnvVar>,
    /// The lease journal, in live mode.
    pub journal: Option<JournalStart>,
    /// A problem to show at once (a journal that could not be read).
    pub notice: Option<String>,
    /// How often to read Vault again on the clock, so the screen follows what Vault holds
    /// (the TUI); `None`: only when asked (`walk`).
    pub reconcile_every: Option<std::time::Duration>,
    /// On stage (`--present`, autoplay), when asked.
    pub stage: Option<crate::present::StageOptions>,
    /// The workshop room's seat the lab runs in (`vaultlab join`).
    pub room: Option<crate::app::room::RoomSeat>,
    /// `--record`: secrets are never revealed on screen.
    pub recording: bool,
    pub now: DateTime<Utc>,
}

impl StartInputs {
    /// A run with nothing but its lab and its Vault: no keys, no journal.
    pub fn new(lab: Lab, connection: Connection, now: DateTime<Utc>) -> Self {
        Self {
            lab,
            connection,
            prefill: None,
            cli_env: Vec::new(),
            journal: None,
            notice: None,
            reconcile_every: None,
            stage: None,
            room: None,
            recording: false,
            now,
        }
    }
}

/// The lease journal as a run finds it.
#[derive(Debug, Clone)]
pub struct JournalStart {
    pub path: String,
    /// Open leases earlier runs left, to look up (and revoke) at start.
    pub leftovers: Vec<Entry>,
    /// Open leases of other vaultlabs still running against this Vault: theirs, only
    /// counted.
    pub other_runs: usize,
}
