//! What `update` asks the runtime to do. Effects carry everything they need, so the
//! runtime never reads the app's state.

use std::time::Duration;

use secrecy::SecretString;

use crate::lab::StepKind;

#[derive(Debug, Clone)]
pub enum Effect {
    /// Read which steps are already done, from Vault itself (the learner may have done
    /// some with the CLI in another terminal).
    RefreshStatus {
        mount: String,
        role: String,
    },
    EnableEngine {
        mount: String,
    },
    /// `vaultlab doctor`'s checks, for the overview: root keys with where they came from.
    RunDoctor {
        mount: String,
        role: String,
        keys: Option<(AwsKeys, String)>,
    },
    /// STS GetCallerIdentity with the keys, before Vault is given them.
    CheckRootKeys(AwsKeys),
    WriteRootConfig {
        mount: String,
        keys: AwsKeys,
        /// `iam_endpoint` and `sts_endpoint` for Vault's engine, when not AWS's own.
        engine_endpoint: Option<String>,
    },
    WriteRole {
        mount: String,
        role: String,
        policy_document: String,
    },
    /// Read `creds/<role>`, then find the IAM user behind the new key with the root keys
    /// (Vault names the key, not the user; the user is what revocation deletes).
    /// Write `config/lease`: short leases let a room watch one expire and Vault delete the
    /// IAM user on its own.
    WriteLeaseConfig {
        mount: String,
        lease: Duration,
        lease_max: Duration,
    },
    GenerateCreds {
        mount: String,
        role: String,
        root: AwsKeys,
    },
    /// EC2 DescribeInstances signed with the issued keys, after `delay`.
    DescribeInstances {
        lease_id: String,
        keys: AwsKeys,
        attempt: u32,
        delay: Duration,
    },
    RevokeLease {
        lease_id: String,
        /// Wait for Vault to finish (204, or its error) rather than let it queue the work
        /// (202). Only step 6 queues, as `vault lease revoke` does, and proves the keys
        /// dead afterwards; every other revocation must know it happened.
        sync: bool,
    },
    /// DescribeInstances with the revoked keys (expected to fail) and a look in IAM for
    /// the user Vault made, after `delay`.
    ProveRevoked {
        lease_id: String,
        keys: AwsKeys,
        root: AwsKeys,
        iam_user: Option<String>,
        attempt: u32,
        delay: Duration,
    },
    /// `sys/leases/renew`, with an increment or Vault's default.
    RenewLease {
        lease_id: String,
        increment: Option<Duration>,
    },
    /// `sys/leases/lookup` after `delay`: is the lease alive, and for how long? A lease
    /// Vault no longer knows is closed in the journal.
    LookupLease {
        lease_id: String,
        attempt: u32,
        delay: Duration,
    },
    /// Put text on the terminal's clipboard (OSC 52).
    CopyToClipboard(SecretString),
}

impl Effect {
    /// The step an effect works for, so a failure to run it can be shown there.
    pub fn step(&self) -> Option<StepKind> {
        Some(match self {
            Effect::EnableEngine { .. } => StepKind::EnableEngine,
            Effect::CheckRootKeys(_) | Effect::WriteRootConfig { .. } => StepKind::RootKeys,
            Effect::WriteRole { .. } => StepKind::RolePolicy,
            Effect::WriteLeaseConfig { .. } => StepKind::Generate,
            Effect::GenerateCreds { .. } => StepKind::Generate,
            Effect::DescribeInstances { .. } => StepKind::TestKeys,
            Effect::RevokeLease { .. } | Effect::ProveRevoked { .. } => StepKind::Revoke,
            Effect::RefreshStatus { .. }
            | Effect::RunDoctor { .. }
            | Effect::RenewLease { .. }
            | Effect::LookupLease { .. }
            | Effect::CopyToClipboard(_) => {
                return None;
            }
        })
    }
}

/// A pair of AWS keys and the region to use them in.
#[derive(Debug, Clone)]
pub struct AwsKeys {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub region: String,
}
