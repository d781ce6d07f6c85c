//! Typed answers for the lab's calls. Unknown fields are ignored and `null` lists read as
//! empty, so newer or older servers (Vault 1.15 vs 1.16+, OpenBao) parse alike.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};

use super::request::redact_json;
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

    /// The envelope as JSON with secret fields masked, for showing "the raw response".
    pub fn redacted_json(&self) -> Option<Value> {
        self.envelope
            .as_ref()
            .map(|e| redact_json(&serde_json::to_value(e).unwrap_or(Value::Null)))
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("envelope", &self.redacted_json())
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

/// `GET aws/config/root` (Vault never returns `secret_key`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct AwsRootConfig {
    #[serde(default)]
    pub access_key: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub iam_endpoint: String,
    #[serde(default)]
    pub sts_endpoint: String,
    /// -1 means the AWS SDK's default.
    #[serde(default)]
    pub max_retries: i64,
    #[serde(default)]
    pub username_template: String,
}

/// `GET aws/config/lease`.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsLeaseConfig {
    pub lease: Duration,
    pub lease_max: Duration,
}

/// The parameters of `aws/roles/<name>`. Empty lists and `None`s are not sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleSpec {
    /// `iam_user`, `assumed_role`, `federation_token` or `session_token`.
    pub credential_type: String,
    /// An IAM policy as a JSON string.
    pub policy_document: Option<String>,
    pub policy_arns: Vec<String>,
    pub role_arns: Vec<String>,
    pub iam_groups: Vec<String>,
    pub iam_tags: BTreeMap<String, String>,
    pub user_path: Option<String>,
    pub permissions_boundary_arn: Option<String>,
    pub default_sts_ttl: Option<Duration>,
    pub max_sts_ttl: Option<Duration>,
}

impl RoleSpec {
    /// The lab's role: `credential_type=iam_user policy_document=<json>`.
    pub fn iam_user(policy_document: impl Into<String>) -> Self {
        Self {
            credential_type: "iam_user".into(),
            policy_document: Some(policy_document.into()),
            ..Self::default()
        }
    }

    pub fn to_body(&self) -> Value {
        let mut body = Map::new();
        body.insert("credential_type".into(), json!(self.credential_type));
        if let Some(doc) = &self.policy_document {
            body.insert("policy_document".into(), json!(doc));
        }
        for (field, list) in [
            ("policy_arns", &self.policy_arns),
            ("role_arns", &self.role_arns),
            ("iam_groups", &self.iam_groups),
        ] {
            if !list.is_empty() {
                body.insert(field.into(), json!(list));
            }
        }
        if !self.iam_tags.is_empty() {
            body.insert("iam_tags".into(), json!(self.iam_tags));
        }
        if let Some(path) = &self.user_path {
            body.insert("user_path".into(), json!(path));
        }
        if let Some(arn) = &self.permissions_boundary_arn {
            body.insert("permissions_boundary_arn".into(), json!(arn));
        }
        if let Some(ttl) = self.default_sts_ttl {
            body.insert("default_sts_ttl".into(), json!(ttl.as_secs()));
        }
        if let Some(ttl) = self.max_sts_ttl {
            body.insert("max_sts_ttl".into(), json!(ttl.as_secs()));
        }
        Value::Object(body)
    }
}

/// `GET aws/roles/<name>`. `credential_type` is a comma-joined string; TTLs are seconds.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct AwsRole {
    #[serde(default)]
    pub credential_type: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub policy_document: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub policy_arns: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub role_arns: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub iam_groups: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub iam_tags: BTreeMap<String, String>,
    #[serde(default)]
    pub default_sts_ttl: u64,
    #[serde(default)]
    pub max_sts_ttl: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub user_path: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub permissions_boundary_arn: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub mfa_serial_number: String,
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

/// `GET aws/creds/<role>`. `Debug` shows neither the secret key nor the token.
#[derive(Debug, Clone)]
pub struct AwsCreds {
    pub lease: LeaseInfo,
    pub access_key: String,
    pub secret_key: SecretString,
    /// `security_token` (Vault ≤ 1.15, the lab, OpenBao's plugin) or `session_token`
    /// (Vault ≥ 1.16); `None` for `iam_user`.
    pub security_token: Option<SecretString>,
    /// The assumed role's ARN (`assumed_role` only).
    pub arn: Option<String>,
    pub request_id: String,
    pub warnings: Vec<String>,
}

/// Why a credentials body could not be read; names fields, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError(pub String);

impl AwsCreds {
    /// Reads the credentials envelope. Errors name the missing field, never a value.
    pub fn from_envelope(envelope: &Envelope) -> Result<Self, ShapeError> {
        let data = envelope
            .data
            .as_ref()
            .and_then(Value::as_object)
            .ok_or_else(|| ShapeError("no `data` object in the credentials response".into()))?;
        let text = |field: &str| -> Result<Option<String>, ShapeError> {
            match data.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(ShapeError(format!("`data.{field}` is not a string"))),
            }
        };
        let access_key =
            text("access_key")?.ok_or_else(|| ShapeError("`data.access_key` is missing".into()))?;
        let secret_key =
            text("secret_key")?.ok_or_else(|| ShapeError("`data.secret_key` is missing".into()))?;
        let security_token = match text("security_token")? {
            Some(token) => Some(token),
            None => text("session_token")?,
        };
        Ok(Self {
            lease: LeaseInfo::from_envelope(envelope),
            access_key,
            secret_key: SecretString::from(secret_key),
            security_token: security_token.map(SecretString::from),
            arn: text("arn")?,
            request_id: envelope.request_id.clone(),
            warnings: envelope.warnings.clone().unwrap_or_default(),
        })
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
    use secrecy::ExposeSecret;

    fn envelope(json: &str) -> Envelope {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn creds_with_security_token_null_as_the_lab_shows() {
        let e = envelope(
            r#"{"request_id":"r1","lease_id":"aws/creds/my-role/w4eKbMaJOi1xLqG3MWk7y8n6","renewable":true,
                "lease_duration":2764800,
                "data":{"access_key":"AKIAEXAMPLE","secret_key":"wJalrSECRET","security_token":null},
                "wrap_info":null,"warnings":null,"auth":null}"#,
        );
        let c = AwsCreds::from_envelope(&e).unwrap();
        assert_eq!(c.lease.id, "aws/creds/my-role/w4eKbMaJOi1xLqG3MWk7y8n6");
        assert_eq!(c.lease.duration, Duration::from_secs(2_764_800));
        assert!(c.lease.renewable);
        assert_eq!(c.access_key, "AKIAEXAMPLE");
        assert_eq!(c.secret_key.expose_secret(), "wJalrSECRET");
        assert!(c.security_token.is_none());
        assert!(!format!("{c:?}").contains("wJalrSECRET"));
    }

    #[test]
    fn creds_with_session_token_as_vault_1_16_shows() {
        let iam_user = envelope(
            r#"{"lease_id":"aws/creds/r/x","renewable":true,"lease_duration":60,
                "data":{"access_key":"AKIA2","secret_key":"s2","session_token":null},"mount_type":"aws"}"#,
        );
        let c = AwsCreds::from_envelope(&iam_user).unwrap();
        assert!(c.security_token.is_none());
        assert_eq!(c.access_key, "AKIA2");

        let sts = envelope(
            r#"{"lease_id":"aws/creds/r/y","renewable":false,"lease_duration":3599,
                "data":{"access_key":"ASIA3","secret_key":"s3","session_token":"FwoGZXIvYXdzTOKEN",
                        "arn":"arn:aws:sts::123456789012:assumed-role/R/s","ttl":3599}}"#,
        );
        let c = AwsCreds::from_envelope(&sts).unwrap();
        assert_eq!(
            c.security_token.as_ref().unwrap().expose_secret(),
            "FwoGZXIvYXdzTOKEN"
        );
        assert_eq!(
            c.arn.as_deref(),
            Some("arn:aws:sts::123456789012:assumed-role/R/s")
        );
        assert!(!c.lease.renewable);
        assert!(!format!("{c:?}").contains("FwoGZXIvYXdzTOKEN"));

        // Both present (STS on 1.16+): security_token, deprecated but identical, is taken.
        let both = envelope(
            r#"{"data":{"access_key":"ASIA4","secret_key":"s4","security_token":"T1","session_token":"T1"}}"#,
        );
        let c = AwsCreds::from_envelope(&both).unwrap();
        assert_eq!(c.security_token.unwrap().expose_secret(), "T1");
    }

    #[test]
    fn bad_creds_shapes_name_the_field_not_the_value() {
        let e = envelope(r#"{"data":{"access_key":"AKIA","secret_key":12345678}}"#);
        let err = AwsCreds::from_envelope(&e).unwrap_err();
        assert_eq!(err.0, "`data.secret_key` is not a string");
        assert!(!err.0.contains("12345678"));
        let e = envelope(r#"{"data":{"secret_key":"hunter2"}}"#);
        let err = AwsCreds::from_envelope(&e).unwrap_err();
        assert_eq!(err.0, "`data.access_key` is missing");
        assert!(AwsCreds::from_envelope(&envelope("{}")).is_err());
    }

    #[test]
    fn role_read_accepts_nulls_and_string_credential_type() {
        let role: AwsRole = serde_json::from_str(
            r#"{"credential_type":"iam_user","policy_document":"{\"Version\":\"2012-10-17\"}",
                "policy_arns":null,"role_arns":null,"iam_groups":null,"iam_tags":null,"default_sts_ttl":0,
                "max_sts_ttl":0,"user_path":"","permissions_boundary_arn":"","mfa_serial_number":"",
                "session_tags":null,"external_id":""}"#,
        )
        .unwrap();
        assert_eq!(role.credential_type, "iam_user");
        assert!(role.policy_arns.is_empty());
        assert!(role.iam_tags.is_empty());
    }

    #[test]
    fn role_spec_body_leaves_out_what_is_unset() {
        let spec = RoleSpec::iam_user(r#"{"Version":"2012-10-17"}"#);
        assert_eq!(
            spec.to_body(),
            json!({"credential_type":"iam_user","policy_document":"{\"Version\":\"2012-10-17\"}"})
        );
        let spec = RoleSpec {
            credential_type: "assumed_role".into(),
            role_arns: vec!["arn:aws:iam::1:role/r".into()],
            default_sts_ttl: Some(Duration::from_secs(900)),
            ..RoleSpec::default()
        };
        assert_eq!(
            spec.to_body(),
            json!({"credential_type":"assumed_role","role_arns":["arn:aws:iam::1:role/r"],"default_sts_ttl":900})
        );
    }

    #[test]
    fn root_config_read_takes_the_default_max_retries() {
        let c: AwsRootConfig = serde_json::from_str(
            r#"{"access_key":"AKIA","region":"us-west-2","iam_endpoint":"","sts_endpoint":"","max_retries":-1,"username_template":"{{ x }}"}"#,
        )
        .unwrap();
        assert_eq!(c.max_retries, -1);
        assert_eq!(c.region, "us-west-2");
    }

    #[test]
    fn reply_debug_masks_secrets() {
        let reply = Reply {
            status: 200,
            envelope: Some(envelope(
                r#"{"lease_id":"aws/creds/r/x","data":{"access_key":"AKIA","secret_key":"verysecret"}}"#,
            )),
        };
        let debug = format!("{reply:?}");
        assert!(!debug.contains("verysecret"), "{debug}");
        assert!(debug.contains("AKIA"));
    }
}
