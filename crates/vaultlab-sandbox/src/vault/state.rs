//! What the server stores: mounts, the AWS engine's config and roles per mount, leases, and
//! the IAM users it began to create.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use vaultlab_wire::secret::PersistedSecret;

/// One entry of the mount table (`sys/mounts`). `path` ends in `/`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Mount {
    /// Relative to its namespace, as `sys/mounts` shows it (`aws/`).
    pub path: String,
    /// Its namespace's path (`""`: the root; `room/ada/`).
    #[serde(default)]
    pub namespace: String,
    #[serde(rename = "type")]
    pub mount_type: String,
    pub accessor: String,
    pub uuid: String,
    #[serde(default)]
    pub description: String,
    /// The mount's tuned lease TTLs in seconds (`config` at enable, `sys/mounts/P/tune`);
    /// 0 means the system default (768h).
    #[serde(default)]
    pub default_lease_ttl: i64,
    #[serde(default)]
    pub max_lease_ttl: i64,
    /// The AWS engine's storage, for `type: aws` mounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<AwsEngineState>,
}

/// `config/root`, `config/lease` and roles of one AWS mount.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AwsEngineState {
    #[serde(default)]
    pub root: Option<RootConfig>,
    #[serde(default)]
    pub lease: Option<LeaseConfig>,
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
}

/// `config/root`. `secret_key` is never read back over the API.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RootConfig {
    pub access_key: String,
    pub secret_key: PersistedSecret,
    pub region: String,
    pub iam_endpoint: String,
    pub sts_endpoint: String,
    pub max_retries: i64,
    pub username_template: String,
}

/// `config/lease`, in seconds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct LeaseConfig {
    pub lease: i64,
    pub lease_max: i64,
}

/// A role (`roles/NAME`), as Vault's `awsRoleEntry`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Role {
    pub credential_types: Vec<String>,
    pub policy_arns: Option<Vec<String>>,
    pub role_arns: Option<Vec<String>>,
    pub policy_document: String,
    pub iam_groups: Option<Vec<String>>,
    pub iam_tags: Option<BTreeMap<String, String>>,
    pub session_tags: Option<BTreeMap<String, String>>,
    pub external_id: String,
    pub default_sts_ttl: i64,
    pub max_sts_ttl: i64,
    pub user_path: String,
    pub permissions_boundary_arn: String,
    pub mfa_serial_number: String,
    /// Created through the legacy `policy`/`arn` parameters.
    #[serde(default)]
    pub prohibit_flexible_cred_path: bool,
}

/// A lease on issued credentials.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Lease {
    /// As clients see it: relative to its namespace, with its `.nsid` suffix.
    pub id: String,
    /// Its namespace's path (`""`: the root). The lease table's key is this, then `id`.
    #[serde(default)]
    pub namespace: String,
    /// The mount the secret came from, as the mount table's key (`room/ada/aws/`).
    pub mount: String,
    pub role: String,
    /// The IAM user to delete on revocation.
    pub username: String,
    /// The key (`tokens::key`) of the token that issued it: revoking that token revokes
    /// the lease, as Vault's do. `None`: the root token's, which is never revoked (or a
    /// lease kept by an older vaultlab).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub issue_time: DateTime<Utc>,
    pub expire_time: DateTime<Utc>,
    pub last_renewal: Option<DateTime<Utc>>,
    pub renewable: bool,
    /// Failed revocation attempts so far.
    #[serde(default)]
    pub revoke_attempts: u32,
    /// When the next revocation attempt is due (queued revocation or retry).
    #[serde(default)]
    pub revoke_at: Option<DateTime<Utc>>,
    /// The last revocation error; set with `irrevocable` once retries are exhausted.
    #[serde(default)]
    pub revoke_error: Option<String>,
    #[serde(default)]
    pub irrevocable: bool,
    /// Its revocation was asked for (a token's revocation, `sync=false`), not its TTL
    /// reached: the worker's attempts are revocations, not expiries.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub revocation_asked: bool,
}

impl Lease {
    /// Queues its revocation at `now`, as Vault's lazy revoke does: the lease expires now
    /// (lookups and a room's dashboard count down no further) and the worker revokes it.
    pub fn ask_revocation(&mut self, now: DateTime<Utc>) {
        self.revoke_at = Some(now);
        self.irrevocable = false;
        self.revoke_attempts = 0;
        self.revocation_asked = true;
        self.expire_time = self.expire_time.min(now);
    }

    /// When the background worker should next act on this lease, if ever.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        if self.irrevocable {
            return None;
        }
        // Once a revocation is queued or being retried, its schedule wins over the expiry.
        Some(self.revoke_at.unwrap_or(self.expire_time))
    }
}

/// An IAM user the AWS engine began to create, recorded before `CreateUser` as Vault's
/// write-ahead entry (`user`) is, and removed in the same record as the lease that owns
/// the user. One left behind (its rollback failed, or the process died in between) is
/// deleted later, and retried until it is gone: never forgotten.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HalfMadeUser {
    pub username: String,
    /// The mount (`aws/`) whose `config/root` reaches the IAM it was created in.
    pub mount: String,
    pub started: DateTime<Utc>,
    /// Failed attempts to delete it so far.
    #[serde(default)]
    pub attempts: u32,
    /// When to try again; `None`: as soon as no request is still creating it.
    #[serde(default)]
    pub retry_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_error: Option<String>,
}
