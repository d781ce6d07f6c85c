//! The AWS-compatible endpoint: IAM, STS and EC2 over the query protocol, SigV4-checked,
//! with IAM policies evaluated.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use serde::{Deserialize, Serialize};

use super::ChangeNotifier;
use crate::secret::PersistedSecret;

/// How the endpoint behaves.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// How long a new access key takes to become valid (IAM is eventually consistent).
    pub propagation_delay: Duration,
    /// The region reported by STS/EC2 and expected in signatures' scope.
    pub region: String,
}

/// Everything the endpoint knows: the account, its IAM users, policies and keys.
/// Persisted by the sandbox's `--state` file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AwsState {
    pub account_id: String,
    // TODO(aws helper): users, keys, groups…
}

impl AwsState {
    /// A fresh account with one admin IAM user (allowed `*` on `*`) and its access key,
    /// valid at once: the lab's "root keys".
    pub fn new_account() -> Self {
        todo!()
    }
}

/// The admin user's keys, printed at start as `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`.
#[derive(Debug, Clone)]
pub struct AdminCredentials {
    pub access_key_id: String,
    pub secret_access_key: PersistedSecret,
    pub account_id: String,
    pub user_arn: String,
}

#[derive(Clone)]
pub struct AwsEndpoint {
    state: Arc<Mutex<AwsState>>,
    options: AwsOptions,
    on_change: ChangeNotifier,
}

impl AwsEndpoint {
    pub fn new(state: AwsState, options: AwsOptions, on_change: ChangeNotifier) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
            options,
            on_change,
        }
    }

    /// Serves AWS query-protocol requests at any path (mounted as the sandbox's fallback).
    pub fn router(&self) -> Router {
        todo!()
    }

    pub fn snapshot(&self) -> AwsState {
        self.state.lock().expect("aws state lock").clone()
    }

    pub fn admin_credentials(&self) -> AdminCredentials {
        todo!()
    }
}
