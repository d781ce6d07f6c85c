//! Start-up inputs: where a run's requests go and what it starts with. Leaf types, decided
//! once by the session and handed to the app; they know nothing of the app.

use secrecy::SecretString;

/// Where the lab runs: the embedded sandbox or the learner's own Vault and AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Sandbox,
    Live,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub mode: Mode,
    pub vault_addr: String,
    pub namespace: Option<String>,
    /// The `iam_endpoint`/`sts_endpoint` written to `config/root`, when Vault's engine
    /// must be pointed somewhere other than AWS or the sandbox's own endpoint.
    pub engine_aws_endpoint: Option<String>,
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

/// Root keys to start the form with.
#[derive(Debug, Clone)]
pub struct PrefilledKeys {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub region: String,
    pub source: String,
}
