//! Revoking a token other than the root token, as Vault's token store does: its leases go
//! with it (Vault's `RevokeByToken`: each is marked to expire now and the expiration
//! manager revokes it, deleting its IAM user), and so do its child tokens and theirs
//! (`revoke`, `revoke-self`, `revoke-accessor`, a token reaching its TTL), unless
//! `revoke-orphan` keeps the children as orphans.
//!
//! Durable as a queued lease revocation is: the tokens are forgotten and their leases
//! marked for revocation in one record, so a crash afterwards finds every lease still
//! there, due, and the expiry worker revokes it after the restart.

use std::collections::{HashMap, HashSet};
use std::time::Duration as StdDuration;

use axum::http::StatusCode;

use super::VaultServer;
use super::http::{Operation, Reply, VaultRequest};
use super::namespace;
use super::tokens;

/// What happens to a revoked token's children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Children {
    /// Revoked with it, and their leases (`revoke`, `revoke-self`, `revoke-accessor`).
    Revoke,
    /// Kept, as orphans (`revoke-orphan`).
    Orphan,
}

/// OpenBao's multierror form of one message, as its token store words its own errors.
fn multierror(message: &str) -> String {
    format!("1 error occurred:\n\t* {message}\n\n")
}

impl VaultServer {
    /// Revokes the token at `key` (a `tokens::key`) and, as `children` says, its children;
    /// queues the revocation of every lease they issued. How many leases were queued
    /// (0, and nothing done, for a token that is not there).
    pub(super) fn revoke_token(&self, key: &str, children: Children) -> usize {
        let now = self.now();
        let queued: Vec<String> = {
            let mut state = self.lock();
            if !state.tokens.contains_key(key) {
                return 0;
            }
            let mut by_parent: HashMap<String, Vec<String>> = HashMap::new();
            for (child, entry) in state.tokens.iter() {
                if let Some(parent) = &entry.parent {
                    by_parent
                        .entry(parent.clone())
                        .or_default()
                        .push(child.clone());
                }
            }
            let mut gone = vec![key.to_owned()];
            match children {
                Children::Revoke => {
                    let mut next = 0;
                    while let Some(parent) = gone.get(next).cloned() {
                        for child in by_parent.get(&parent).into_iter().flatten() {
                            if !gone.contains(child) {
                                gone.push(child.clone());
                            }
                        }
                        next += 1;
                    }
                }
                Children::Orphan => {
                    for child in by_parent.get(key).into_iter().flatten() {
                        if let Some(entry) = state.tokens.get_mut(child) {
                            entry.parent = None;
                            entry.orphan = true;
                        }
                    }
                }
            }
            for token in &gone {
                state.tokens.remove(token);
            }
            let gone: HashSet<&str> = gone.iter().map(String::as_str).collect();
            let leases: Vec<String> = state
                .leases
                .iter()
                .filter(|(_, lease)| {
                    lease
                        .token
                        .as_deref()
                        .is_some_and(|token| gone.contains(token))
                })
                .map(|(id, _)| id.clone())
                .collect();
            for id in &leases {
                if let Some(lease) = state.leases.get_mut(id)
                    && (lease.revoke_at.is_none() || lease.irrevocable)
                {
                    lease.revoke_at = Some(now);
                    lease.irrevocable = false;
                    lease.revoke_attempts = 0;
                }
            }
            leases
        };
        self.changed();
        for id in &queued {
            self.spawn_revocation(id);
        }
        queued.len()
    }

    /// `auth/token/revoke`, `revoke-orphan` and `revoke-accessor` (`path` relative to
    /// `auth/token/`); `None` for another path.
    pub(super) fn token_revoke_route(&self, req: &VaultRequest, path: &str) -> Option<Reply> {
        if let Some(tail) = under(path, "revoke") {
            return Some(self.token_revoke(req, tail));
        }
        if let Some(tail) = under(path, "revoke-orphan") {
            return Some(self.token_revoke_orphan(req, tail));
        }
        under(path, "revoke-accessor").map(|tail| self.token_revoke_accessor(req, tail))
    }

    /// `auth/token/revoke`: the token in the body, its children and their leases.
    fn token_revoke(&self, req: &VaultRequest, tail: &str) -> Reply {
        if let Some(refusal) = exact_update(req, tail) {
            return refusal;
        }
        let token = req.str_field("token").unwrap_or_default();
        if token.is_empty() {
            return Reply::bad_request("missing token ID");
        }
        if self.is_root_token(Some(token.as_str())) {
            return root_kept();
        }
        // An unknown (or already revoked) token is revoked already.
        self.revoke_token(&tokens::key(&token), Children::Revoke);
        Reply::no_content()
    }

    /// `auth/token/revoke-self`: the caller's token, its children and their leases.
    pub(super) fn token_revoke_self(&self, req: &VaultRequest) -> Reply {
        if req.operation != Operation::Update {
            return Reply::unsupported_operation();
        }
        let key = tokens::key(req.token.as_deref().unwrap_or_default());
        self.revoke_token(&key, Children::Revoke);
        Reply::no_content()
    }

    /// `auth/token/revoke-orphan` (sudo, checked with the ACL): the token and its leases;
    /// its children stay, as orphans.
    fn token_revoke_orphan(&self, req: &VaultRequest, tail: &str) -> Reply {
        if let Some(refusal) = exact_update(req, tail) {
            return refusal;
        }
        let token = req.str_field("token").unwrap_or_default();
        if token.is_empty() {
            return Reply::bad_request("missing token ID");
        }
        if self.is_root_token(Some(token.as_str())) {
            return root_kept();
        }
        let key = tokens::key(&token);
        let now = self.now();
        let live = self
            .lock()
            .tokens
            .get(&key)
            .is_some_and(|entry| !entry.expired(now));
        if !live {
            return Reply::bad_request("token to revoke not found");
        }
        self.revoke_token(&key, Children::Orphan);
        Reply::no_content()
    }

    /// `auth/token/revoke-accessor`: the token with that accessor, looked up in the
    /// request's namespace only (as `lookup-accessor`), its children and their leases.
    fn token_revoke_accessor(&self, req: &VaultRequest, tail: &str) -> Reply {
        if let Some(refusal) = exact_update(req, tail) {
            return refusal;
        }
        let accessor = req.str_field("accessor").unwrap_or_default();
        if accessor.is_empty() {
            return Reply::bad_request(multierror("missing accessor"));
        }
        let now = self.now();
        let found = {
            let state = self.lock();
            // OpenBao refuses an accessor of another namespace before looking for it.
            let elsewhere = match namespace::by_suffix(&state.namespaces, &accessor) {
                Some(ns) => ns.path != req.ns.path,
                None => !req.ns.is_root(),
            };
            if elsewhere {
                return Reply::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    multierror("cannot lookup token in different namespace"),
                );
            }
            state
                .tokens
                .iter()
                .find(|(_, entry)| {
                    entry.accessor == accessor
                        && entry.namespace == req.ns.path
                        && !entry.expired(now)
                })
                .map(|(key, _)| key.clone())
        };
        match found {
            Some(key) => {
                self.revoke_token(&key, Children::Revoke);
                Reply::no_content()
            }
            None => Reply::warnings(vec!["No token found with this accessor".to_owned()]),
        }
    }

    /// The expiry worker's part for tokens: each token past its TTL is revoked, with its
    /// children and leases, as Vault revokes a token when its own lease expires.
    pub(super) fn process_expired_tokens(&self) {
        let now = self.now();
        let expired: Vec<String> = self
            .lock()
            .tokens
            .iter()
            .filter(|(_, entry)| entry.expired(now))
            .map(|(key, _)| key.clone())
            .collect();
        for key in expired {
            self.revoke_token(&key, Children::Revoke);
        }
    }

    /// How long until the next token reaches its TTL.
    pub(super) fn next_token_expiry_in(&self) -> Option<StdDuration> {
        let now = self.now();
        self.lock()
            .tokens
            .values()
            .filter_map(|entry| entry.expire_time)
            .min()
            .map(|at| (at - now).to_std().unwrap_or(StdDuration::ZERO))
    }
}

/// The tail after `route` when `path` is it or below it (`revoke`, `revoke/x`).
fn under<'a>(path: &'a str, route: &str) -> Option<&'a str> {
    match path.strip_prefix(route)? {
        "" => Some(""),
        rest => rest.strip_prefix('/'),
    }
}

/// `revoke`, `revoke-orphan` and `revoke-accessor` take what they revoke in the body
/// only, by `POST`/`PUT`.
fn exact_update(req: &VaultRequest, tail: &str) -> Option<Reply> {
    if !tail.is_empty() {
        return Some(Reply::unsupported_path());
    }
    (req.operation != Operation::Update).then(Reply::unsupported_operation)
}

fn root_kept() -> Reply {
    Reply::not_implemented("vaultlab sandbox keeps its one root token: it is not revoked")
}
