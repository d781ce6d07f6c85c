//! The embedded sandbox: a Vault-compatible server with the AWS secrets engine (`vault/`)
//! and an AWS-compatible endpoint (`aws/`), served together on one loopback port.
//! Requests under `/v1/` go to Vault; everything else is an AWS query-protocol request.

pub mod aws;
pub mod vault;

use std::sync::Arc;

use tokio::sync::Notify;

/// Rung by a server after every change to its state, so the state file can be rewritten.
pub type ChangeNotifier = Arc<Notify>;
