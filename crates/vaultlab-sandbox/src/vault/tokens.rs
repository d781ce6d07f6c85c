//! Tokens other than the root token: made in a namespace (`auth/token/create`, or by the
//! room for a seat), each with its policies (named in its namespace), a TTL, and an id
//! and accessor carrying the namespace's suffix, as OpenBao's do
//! (`s.<24 base62>.<nsid>`).
//!
//! The table is keyed by the SHA-256 of the token, as Vault keys its token store by a
//! salted hash: the state file holds no token usable as such.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::namespace::NsRef;
use super::username::random_base62;

/// The longest TTL a token gets (Vault's system max, 768h).
pub const MAX_TOKEN_TTL: i64 = 768 * 3600;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenEntry {
    pub accessor: String,
    /// The namespace it was made in (`""`: the root).
    pub namespace: String,
    pub policies: Vec<String>,
    pub display_name: String,
    pub created: DateTime<Utc>,
    /// 0: never expires.
    pub ttl: i64,
    pub expire_time: Option<DateTime<Utc>>,
    pub orphan: bool,
    /// The key of the token that made it, which revoking takes along (`None`: an orphan,
    /// or one the root token made: the root token is never revoked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default)]
    pub meta: Option<serde_json::Map<String, Value>>,
    /// When it was last renewed (`auth/token/renew-self`), and the TTL then granted (a
    /// renewal without an increment asks for it again, as Vault's lease does).
    #[serde(default)]
    pub last_renewal: Option<DateTime<Utc>>,
    #[serde(default)]
    pub renewed_ttl: Option<i64>,
}

/// A bound on when the next token reaches its TTL, so the expiry worker looks at the
/// table only when one may be due: no token expires before `earliest`. Not kept: a state
/// loaded from its file starts at the earliest time, and the first look sets it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenExpiry {
    pub earliest: DateTime<Utc>,
}

impl Default for TokenExpiry {
    fn default() -> Self {
        Self {
            earliest: DateTime::<Utc>::MIN_UTC,
        }
    }
}

impl TokenExpiry {
    /// A token was made or renewed to expire `at`.
    pub fn note(&mut self, at: Option<DateTime<Utc>>) {
        if let Some(at) = at {
            self.earliest = self.earliest.min(at);
        }
    }
}

/// The table key of a token.
pub fn key(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What a new token needs.
pub struct NewToken<'a> {
    pub namespace: &'a NsRef,
    pub policies: Vec<String>,
    pub ttl: i64,
    pub display_name: String,
    pub orphan: bool,
    pub parent: Option<String>,
    pub meta: Option<serde_json::Map<String, Value>>,
}

/// A new token and its entry.
pub fn mint(new: NewToken<'_>, now: DateTime<Utc>) -> (String, TokenEntry) {
    let suffix = new.namespace.suffix();
    let token = format!("s.{}{suffix}", random_base62(24));
    let ttl = new.ttl.clamp(0, MAX_TOKEN_TTL);
    let entry = TokenEntry {
        accessor: format!("{}{suffix}", random_base62(24)),
        namespace: new.namespace.path.clone(),
        policies: new.policies,
        display_name: new.display_name,
        created: now,
        ttl,
        expire_time: (ttl > 0).then(|| now + Duration::seconds(ttl)),
        orphan: new.orphan,
        parent: new.parent,
        meta: new.meta,
        last_renewal: None,
        renewed_ttl: None,
    };
    (token, entry)
}

impl TokenEntry {
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expire_time.is_some_and(|t| t <= now)
    }

    /// `auth/token/lookup-self`'s data (and `auth/token/create`'s `auth`, in part).
    pub fn lookup_json(&self, token: &str, now: DateTime<Utc>) -> Value {
        let ttl = self
            .expire_time
            .map_or(0, |t| (t - now).num_seconds().max(0));
        let mut data = json!({
            "accessor": self.accessor,
            "creation_time": self.created.timestamp(),
            "creation_ttl": self.ttl,
            "display_name": self.display_name,
            "entity_id": "",
            "expire_time": self.expire_time.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            "explicit_max_ttl": 0,
            "id": token,
            "issue_time": self.created.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            "meta": self.meta,
            "num_uses": 0,
            "orphan": self.orphan,
            "path": "auth/token/create",
            "policies": self.policies,
            "renewable": self.ttl > 0,
            "ttl": ttl,
            "type": "service",
        });
        if !self.namespace.is_empty() {
            data["namespace_path"] = json!(self.namespace);
        }
        if let Some(at) = self.last_renewal {
            data["last_renewal"] = json!(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
            data["last_renewal_time"] = json!(at.timestamp());
        }
        data
    }

    /// `auth/token/create`'s `auth` block.
    pub fn auth_json(&self, token: &str) -> Value {
        json!({
            "client_token": token,
            "accessor": self.accessor,
            "policies": self.policies,
            "token_policies": self.policies,
            "metadata": self.meta,
            "lease_duration": self.ttl,
            "renewable": self.ttl > 0,
            "entity_id": "",
            "token_type": "service",
            "orphan": self.orphan,
            "mfa_requirement": null,
            "num_uses": 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespaces_token_and_accessor_carry_its_suffix() {
        let ns = NsRef {
            path: "room/ada/".into(),
            id: "DOXSrE".into(),
        };
        let now = Utc::now();
        let (token, entry) = mint(
            NewToken {
                namespace: &ns,
                policies: vec!["default".into()],
                ttl: 3600,
                display_name: "token".into(),
                orphan: false,
                parent: None,
                meta: None,
            },
            now,
        );
        assert!(
            token.starts_with("s.") && token.ends_with(".DOXSrE"),
            "{token}"
        );
        assert_eq!(token.len(), 2 + 24 + 7);
        assert!(entry.accessor.ends_with(".DOXSrE"));
        assert_eq!(key(&token).len(), 64);
        assert_ne!(key(&token), token);
        let data = entry.lookup_json(&token, now);
        assert_eq!(data["namespace_path"], "room/ada/");
        assert_eq!(data["ttl"], 3600);
        assert!(!entry.expired(now));
        assert!(entry.expired(now + Duration::seconds(3600)));
    }
}
