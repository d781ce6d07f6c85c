//! The Vault-compatible server: sys/ endpoints, token checks, leases, and the AWS secrets
//! engine at any mount path, which reaches IAM through aws-sdk-iam.

use std::sync::{Arc, Mutex};

use axum::Router;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use super::ChangeNotifier;
use crate::secret::PersistedSecret;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct VaultOptions {
    /// Where the AWS engine sends IAM/STS calls when `config/root` names no
    /// `iam_endpoint`/`sts_endpoint`: the sandbox's own AWS endpoint (there is no network).
    pub default_aws_endpoint: String,
    /// Region used when `config/root` names none.
    pub default_region: String,
}

/// Everything the server knows: root token, mounts, engine config and roles, leases.
/// Persisted by the sandbox's `--state` file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VaultState {
    pub root_token: PersistedSecret,
    // TODO(vault helper): mounts, engines, leases…
}

impl VaultState {
    /// A fresh server: a random root token, only `sys/` mounted.
    pub fn new() -> Self {
        todo!()
    }
}

impl Default for VaultState {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Clone)]
pub struct VaultServer {
    state: Arc<Mutex<VaultState>>,
    options: VaultOptions,
    on_change: ChangeNotifier,
}

impl VaultServer {
    pub fn new(state: VaultState, options: VaultOptions, on_change: ChangeNotifier) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
            options,
            on_change,
        }
    }

    /// Serves `/v1/…`.
    pub fn router(&self) -> Router {
        todo!()
    }

    pub fn snapshot(&self) -> VaultState {
        self.state.lock().expect("vault state lock").clone()
    }

    pub fn root_token(&self) -> PersistedSecret {
        self.state
            .lock()
            .expect("vault state lock")
            .root_token
            .clone()
    }

    /// Revokes leases as they reach their TTL (and, at once, those already past it, e.g.
    /// after a restart from a state file), whether or not any client is connected.
    pub fn spawn_lease_expiry(&self) -> JoinHandle<()> {
        todo!()
    }
}
