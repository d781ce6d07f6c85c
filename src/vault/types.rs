//! Typed answers for the lab's calls. Unknown fields are ignored and `null` lists read as
//! empty, so newer or older servers (Vault 1.15 vs 1.16+, OpenBao) parse alike.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::request::{REDACTED, redact_json_by};
use vaultlab_wire::envelope::Envelope;

/// A generic call's answer: the HTTP status and, when there was a body, the whole envelope
/// (lease id, warnings, data). `Debug` masks secret fields in `data` and `auth`.
#[derive(Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub envelope: Option<Envelope>,
}

impl Reply {
    pub fn data(&self) -> Option<&Value> {
        self.envelope.as_ref().and_then(|e| e.data.as_ref())
    }

    pub fn warnings(&self) -> &[String] {
        self.envelope
            .as_ref()
            .and_then(|e| e.warnings.as_deref())
            .unwrap_or(&[])
    }

    /// The envelope as JSON with secret fields masked, for showing "the raw response":
    /// the well-known secret names, and every field `secret` names (what the lab and its
    /// engine declare secret).
    pub fn redacted_json_by(&self, secret: &dyn Fn(&str) -> bool) -> Option<Value> {
        self.envelope
            .as_ref()
            .map(|e| redact_json_by(&serde_json::to_value(e).unwrap_or(Value::Null), secret))
    }

    /// The same, by the well-known secret names alone.
    pub fn redacted_json(&self) -> Option<Value> {
        self.redacted_json_by(&|_| false)
    }
}

/// Knowing no lab, `Debug` masks every value in `data` (the fields are kept): what an
/// answer carries there may be a secret by any name.
impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut envelope = self.redacted_json();
        if let Some(Value::Object(data)) = envelope.as_mut().and_then(|e| e.get_mut("data")) {
            for value in data.values_mut().filter(|v| !v.is_null()) {
                *value = Value::String(REDACTED.to_owned());
            }
        }
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("envelope", &envelope)
            .finish()
    }
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// `GET sys/health`. Vault answers it with a status that encodes the state (200 active,
/// 429 standby, 472/473 DR/performance standby, 501 uninitialised, 503 sealed), always with
/// this body; the client returns it for every one of those statuses.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Health {
    #[serde(skip)]
    pub status: u16,
    #[serde(default)]
    pub initialized: bool,
    #[serde(default)]
    pub sealed: bool,
    #[serde(default)]
    pub standby: bool,
    #[serde(default)]
    pub performance_standby: bool,
    #[serde(default)]
    pub replication_performance_mode: Option<String>,
    #[serde(default)]
    pub replication_dr_mode: Option<String>,
    #[serde(default)]
    pub server_time_utc: Option<i64>,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub cluster_name: Option<String>,
    #[serde(default)]
    pub cluster_id: Option<String>,
}

/// `GET sys/seal-status` (answered 200 whether sealed or not).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct SealStatus {
    #[serde(default, rename = "type")]
    pub seal_type: String,
    #[serde(default)]
    pub initialized: bool,
    #[serde(default)]
    pub sealed: bool,
    /// Unseal threshold.
    #[serde(default)]
    pub t: u32,
    /// Number of key shares.
    #[serde(default)]
    pub n: u32,
    #[serde(default)]
    pub progress: u32,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub cluster_name: Option<String>,
    #[serde(default)]
    pub storage_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct MountConfig {
    /// Seconds; 0 means the system default.
    #[serde(default)]
    pub default_lease_ttl: u64,
    #[serde(default)]
    pub max_lease_ttl: u64,
    #[serde(default)]
    pub force_no_cache: bool,
}

/// One entry of `GET sys/mounts` (keyed by path with a trailing slash, e.g. `aws/`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct MountInfo {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub accessor: String,
    #[serde(default)]
    pub config: MountConfig,
    #[serde(default)]
    pub local: bool,
    #[serde(default)]
    pub seal_wrap: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub options: BTreeMap<String, String>,
    #[serde(default)]
    pub plugin_version: String,
    #[serde(default)]
    pub running_plugin_version: String,
    #[serde(default)]
    pub uuid: String,
}

/// `GET auth/token/lookup-self` without the token itself (`id` is deliberately not kept).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct TokenInfo {
    #[serde(default)]
    pub accessor: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub policies: Vec<String>,
    /// Seconds left; 0 for a token that never expires (root).
    #[serde(default)]
    pub ttl: i64,
    #[serde(default)]
    pub creation_ttl: i64,
    #[serde(default)]
    pub explicit_max_ttl: i64,
    #[serde(default)]
    pub renewable: bool,
    #[serde(default)]
    pub orphan: bool,
    #[serde(default)]
    pub expire_time: Option<String>,
    #[serde(default)]
    pub issue_time: Option<String>,
    #[serde(default)]
    pub entity_id: String,
    #[serde(default)]
    pub path: String,
    #[serde(default, rename = "type")]
    pub token_type: String,
    #[serde(default)]
    pub num_uses: i64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub meta: BTreeMap<String, String>,
    /// The namespace the token was made in (`team/`); empty for the root namespace.
    #[serde(default, deserialize_with = "null_as_default")]
    pub namespace_path: String,
}

impl TokenInfo {
    /// Whether the token may work in `namespace`: a token reaches its own namespace and
    /// the ones below it, never a parent or a sibling.
    pub fn reaches_namespace(&self, namespace: Option<&str>) -> bool {
        let own = self.namespace_path.trim_matches('/');
        let wanted = namespace.unwrap_or("").trim_matches('/');
        own.is_empty() || wanted == own || wanted.starts_with(&format!("{own}/"))
    }
}

/// A lease as an issuing response describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseInfo {
    pub id: String,
    pub duration: Duration,
    pub renewable: bool,
}

impl LeaseInfo {
    pub fn from_envelope(envelope: &Envelope) -> Self {
        Self {
            id: envelope.lease_id.clone(),
            duration: Duration::from_secs(envelope.lease_duration),
            renewable: envelope.renewable,
        }
    }
}

/// `PUT sys/leases/lookup`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct LeaseLookup {
    pub id: String,
    #[serde(default)]
    pub issue_time: Option<DateTime<Utc>>,
    /// `None` for a lease that does not expire.
    #[serde(default)]
    pub expire_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_renewal: Option<DateTime<Utc>>,
    #[serde(default)]
    pub renewable: bool,
    /// Seconds left.
    #[serde(default)]
    pub ttl: i64,
}

/// `PUT sys/leases/renew`: the lease's new duration and Vault's warnings (e.g. `TTL of "…"
/// exceeded the effective max_ttl of "…"; TTL value is capped accordingly`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRenewal {
    pub lease: LeaseInfo,
    pub warnings: Vec<String>,
}

/// How `sys/leases/revoke` answered: both are success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// 202: queued (`sync:false`); Vault revokes in the background, retrying on failure. An
    /// unknown lease id is also answered 202.
    Queued,
    /// 204: revoked before the answer (`sync:true`), or nothing to revoke.
    Revoked,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reaches_its_namespace_and_those_below_only() {
        let token = |ns: &str| TokenInfo {
            namespace_path: ns.to_owned(),
            ..TokenInfo::default()
        };
        assert!(token("").reaches_namespace(None));
        assert!(token("").reaches_namespace(Some("team")));
        assert!(token("team/").reaches_namespace(Some("team")));
        assert!(token("team/").reaches_namespace(Some("team/dev/")));
        assert!(!token("team/").reaches_namespace(None));
        assert!(!token("team/").reaches_namespace(Some("teamwork")));
        assert!(!token("team/dev/").reaches_namespace(Some("team")));
    }
    fn envelope(json: &str) -> Envelope {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn reply_debug_masks_every_value_in_data_whatever_its_name() {
        let reply = Reply {
            status: 200,
            envelope: Some(envelope(
                r#"{"lease_id":"aws/creds/r/x","data":{"access_key":"AKIA","secret_key":"verysecret","signing_key":"alsosecret","token_ttl":null}}"#,
            )),
        };
        let debug = format!("{reply:?}");
        for secret in ["verysecret", "alsosecret", "AKIA"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(
            debug.contains("signing_key"),
            "the fields are kept: {debug}"
        );
        assert!(debug.contains("aws/creds/r/x"), "{debug}");
    }
}
