//! Deleting a namespace, as OpenBao's `DeleteNamespace` does: the namespace is tainted and
//! answers nothing more, every token made in it is revoked (with its children and their
//! leases, as `token_revoke` does) and every lease issued in it is queued for revocation,
//! all in one state record; the answer is `{"status": "in-progress"}`. Once the last of
//! its leases is revoked (by the expiry worker, which retries failures and, after a
//! restart, finds the queue where it was), the namespace is forgotten with its mounts and
//! policies. Until then the mounts stay: a lease's revocation needs its mount's root keys.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::http::Reply;
use super::token_revoke::{self, Children};
use super::{VaultServer, VaultState};
use crate::persist::TrackedMap;

/// Taints the namespace at `path` and queues what is in it for revocation: the ids of the
/// leases newly queued. The caller has checked that it exists and has no children.
fn taint_in(state: &mut VaultState, path: &str, now: DateTime<Utc>) -> Vec<String> {
    if let Some(ns) = state.namespaces.get_mut(path) {
        ns.tainted = true;
    }
    let tokens: Vec<String> = state
        .tokens
        .iter()
        .filter(|(_, t)| t.namespace == path)
        .map(|(k, _)| k.clone())
        .collect();
    let mut queued = token_revoke::revoke_tokens_in(state, &tokens, Children::Revoke, now);
    queued.extend(queue_leases_in(state, path, now));
    queued
}

/// Queues every lease of the namespace at `path` not queued yet (one waiting for a retry,
/// or kept as irrevocable, keeps its state): their ids.
fn queue_leases_in(state: &mut VaultState, path: &str, now: DateTime<Utc>) -> Vec<String> {
    let queued: Vec<String> = state
        .leases
        .with_prefix(path)
        .filter(|(_, l)| l.namespace == path && l.revoke_at.is_none() && !l.irrevocable)
        .map(|(id, _)| id.clone())
        .collect();
    for id in &queued {
        if let Some(lease) = state.leases.get_mut(id) {
            lease.ask_revocation(now);
        }
    }
    queued
}

/// Forgets the namespace at `path` with its tokens, mounts and policies.
fn forget_in(state: &mut VaultState, path: &str) {
    let tokens: Vec<String> = state
        .tokens
        .iter()
        .filter(|(_, t)| t.namespace == path)
        .map(|(k, _)| k.clone())
        .collect();
    for key in tokens {
        state.tokens.remove(&key);
    }
    remove_under(&mut state.mounts, path);
    remove_under(&mut state.policies, path);
    state.namespaces.remove(path);
}

/// Removes every entry of `map` whose key starts with `prefix`.
fn remove_under<V>(map: &mut TrackedMap<V>, prefix: &str) {
    let keys: Vec<String> = map.with_prefix(prefix).map(|(k, _)| k.clone()).collect();
    for key in keys {
        map.remove(&key);
    }
}

impl VaultServer {
    /// `DELETE sys/namespaces/<name>`, the namespace at `path`, with OpenBao's answers.
    pub(super) fn namespace_delete(&self, path: &str) -> Reply {
        let now = self.now();
        let queued = {
            let mut state = self.lock();
            let Some(ns) = state.namespaces.get(path) else {
                return Reply::warnings(vec!["requested namespace does not exist".into()]);
            };
            if ns.tainted {
                return in_progress();
            }
            if state.namespaces.with_prefix(path).any(|(p, _)| p != path) {
                return Reply::bad_request(
                    "unable to delete namespace containing child namespaces",
                );
            }
            taint_in(&mut state, path, now)
        };
        // One record for the taint, the tokens and the queue; then each lease tried now.
        self.revoked_tokens(&queued);
        in_progress()
    }

    /// The expiry worker's step for namespaces being deleted: one whose leases are all
    /// revoked is forgotten; a lease issued in it since (by a request already under way)
    /// is queued too.
    pub(super) fn finish_namespace_deletions(&self) {
        let now = self.now();
        let (queued, forgotten) = {
            let mut state = self.lock();
            let tainted: Vec<String> = state
                .namespaces
                .iter()
                .filter(|(_, ns)| ns.tainted)
                .map(|(path, _)| path.clone())
                .collect();
            let mut queued = Vec::new();
            let mut forgotten = 0;
            for path in tainted {
                if state
                    .leases
                    .with_prefix(path.clone())
                    .any(|(_, l)| l.namespace == path)
                {
                    queued.extend(queue_leases_in(&mut state, &path, now));
                } else {
                    forget_in(&mut state, &path);
                    forgotten += 1;
                }
            }
            (queued, forgotten)
        };
        if forgotten > 0 || !queued.is_empty() {
            self.revoked_tokens(&queued);
        }
    }
}

fn in_progress() -> Reply {
    Reply::data(json!({ "status": "in-progress" }))
}

/// What a tainted namespace answers any request, in OpenBao's router's words (404).
pub(super) fn tainted_refusal(rest: &str, ns_path: &str) -> Reply {
    Reply::error(
        axum::http::StatusCode::NOT_FOUND,
        format!(
            "no handler for route {rest:?} on namespace {ns_path:?}. route entry or namespace is tainted."
        ),
    )
}
