//! `sys/namespaces/api-lock/lock` and `unlock` (OpenBao 2.7): a locked namespace, and every
//! namespace under it, answers every request with 503, whatever the token (none
//! included), until it is unlocked with the key its lock gave, or by a token with `sudo`
//! there without one. Only a namespace's request to unlock itself passes its own lock.
//!
//! The key is kept as its SHA-256, as a seat's secret is.

use axum::http::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::VaultServer;
use super::http::{Operation, Reply, VaultRequest};
use super::namespace::Namespace;
use super::username::random_base62;

fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Whether a request (its path inside its namespace) asks its own namespace's unlock.
fn unlocks_itself(path: &str) -> bool {
    path.trim_end_matches('/') == "sys/namespaces/api-lock/unlock"
}

/// The 503 of a request in a locked namespace (`ns_path`) or under one: the outermost
/// locked namespace on its way, unless the request unlocks its own namespace.
pub fn refusal<'a>(
    namespaces: impl Fn(&str) -> Option<&'a Namespace>,
    ns_path: &str,
    path: &str,
) -> Option<Reply> {
    let mut at = 0;
    while let Some(slash) = ns_path[at..].find('/') {
        at += slash + 1;
        let prefix = &ns_path[..at];
        let locked = namespaces(prefix).is_some_and(|ns| ns.unlock_key_hash.is_some());
        if locked && !(prefix == ns_path && unlocks_itself(path)) {
            return Some(Reply::error(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "API access to this namespace has been locked by an administrator - {prefix:?} must be unlocked to gain access."
                ),
            ));
        }
    }
    None
}

impl VaultServer {
    /// `sys/namespaces/api-lock/<lock|unlock>[/<relative path>]`.
    pub(super) fn namespace_api_lock(&self, req: &VaultRequest, rest: &str) -> Reply {
        let (action, relative) = match rest.split_once('/') {
            Some((action, relative)) => (action, relative.trim_matches('/')),
            None => (rest, ""),
        };
        if !matches!(action, "lock" | "unlock") {
            return Reply::unsupported_path();
        }
        if req.operation != Operation::Update {
            return Reply::unsupported_operation();
        }
        let target = match relative {
            "" => req.ns.path.clone(),
            relative => req.ns.key(&format!("{relative}/")),
        };
        if target.is_empty() {
            return Reply::bad_request("root namespace cannot be locked/unlocked");
        }
        match action {
            "lock" => self.namespace_lock(&target),
            _ => self.namespace_unlock(req, &target, relative),
        }
    }

    fn namespace_lock(&self, target: &str) -> Reply {
        let key = random_base62(24);
        {
            let mut state = self.lock();
            let Some(ns) = state.namespaces.get_mut(target) else {
                return Reply::bad_request("requested namespace does not exist");
            };
            if ns.unlock_key_hash.is_some() {
                return Reply::bad_request(format!(
                    "cannot lock namespace {target:?}: is already locked"
                ));
            }
            ns.unlock_key_hash = Some(hash(&key));
        }
        self.changed();
        Reply::data(json!({ "unlock_key": key }))
    }

    fn namespace_unlock(&self, req: &VaultRequest, target: &str, relative: &str) -> Reply {
        let key = req.str_field("unlock_key").unwrap_or_default();
        // Without the key, `sudo` on the unlock path will do.
        let sudo = key.is_empty() && {
            let path = format!("sys/namespaces/api-lock/unlock/{relative}");
            self.capabilities_of(req, path.trim_end_matches('/'))
                .iter()
                .any(|c| c == "root" || c == "sudo")
        };
        {
            let mut state = self.lock();
            let Some(ns) = state.namespaces.get_mut(target) else {
                return Reply::bad_request("requested namespace does not exist");
            };
            let Some(stored) = &ns.unlock_key_hash else {
                return Reply::bad_request(format!("namespace {target:?} is not locked"));
            };
            let given = hash(&key);
            let right = !key.is_empty()
                && given.len() == stored.len()
                && given
                    .bytes()
                    .zip(stored.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0;
            if !right && !sudo {
                return Reply::bad_request("incorrect unlock key");
            }
            ns.unlock_key_hash = None;
        }
        self.changed();
        if key.is_empty() {
            Reply::warnings(vec![
                "Namespace unlocked using sudo capabilities".to_owned(),
            ])
        } else {
            Reply::no_content()
        }
    }
}
