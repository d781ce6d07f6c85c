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
use chrono::{DateTime, Utc};

use super::http::{Operation, Reply, VaultRequest};
use super::namespace;
use super::tokens;
use super::{VaultServer, VaultState};

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

/// Revokes the tokens at `keys` (`tokens::key`s) and, as `children` says, their children,
/// in `state`: one pass over the tokens to find the children, one over the leases. Marks
/// every lease they issued for revocation now, as Vault's `RevokeByToken` does; the ids of
/// those it queued (a lease already queued or waiting for a retry keeps its schedule).
pub(super) fn revoke_tokens_in(
    state: &mut VaultState,
    keys: &[String],
    children: Children,
    now: DateTime<Utc>,
) -> Vec<String> {
    let mut gone: Vec<String> = keys
        .iter()
        .filter(|key| state.tokens.contains_key(key.as_str()))
        .cloned()
        .collect();
    if gone.is_empty() {
        return Vec::new();
    }
    let mut seen: HashSet<String> = gone.iter().cloned().collect();
    let mut by_parent: HashMap<&str, Vec<&str>> = HashMap::new();
    for (child, entry) in state.tokens.iter() {
        if let Some(parent) = entry.parent.as_deref() {
            by_parent.entry(parent).or_default().push(child.as_str());
        }
    }
    let mut orphaned: Vec<String> = Vec::new();
    match children {
        Children::Revoke => {
            let mut next = 0;
            while let Some(parent) = gone.get(next) {
                let found: Vec<String> = by_parent
                    .get(parent.as_str())
                    .into_iter()
                    .flatten()
                    .filter(|child| !seen.contains(**child))
                    .map(|child| (*child).to_owned())
                    .collect();
                for child in found {
                    seen.insert(child.clone());
                    gone.push(child);
                }
                next += 1;
            }
        }
        Children::Orphan => {
            orphaned = gone
                .iter()
                .flat_map(|key| by_parent.get(key.as_str()).into_iter().flatten())
                .filter(|child| !seen.contains(**child))
                .map(|child| (*child).to_owned())
                .collect();
        }
    }
    for child in &orphaned {
        if let Some(entry) = state.tokens.get_mut(child) {
            entry.parent = None;
            entry.orphan = true;
        }
    }
    for token in &gone {
        state.tokens.remove(token);
    }
    let leases: Vec<String> = state
        .leases
        .iter()
        .filter(|(_, lease)| {
            (lease.revoke_at.is_none() || lease.irrevocable)
                && lease
                    .token
                    .as_deref()
                    .is_some_and(|token| seen.contains(token))
        })
        .map(|(id, _)| id.clone())
        .collect();
    for id in &leases {
        if let Some(lease) = state.leases.get_mut(id) {
            lease.ask_revocation(now);
        }
    }
    leases
}

impl VaultServer {
    /// Revokes the token at `key` (a `tokens::key`) and, as `children` says, its children;
    /// queues the revocation of every lease they issued. How many leases were queued
    /// (0, and nothing done, for a token that is not there).
    pub(super) fn revoke_token(&self, key: &str, children: Children) -> usize {
        let now = self.now();
        let queued = revoke_tokens_in(&mut self.lock(), &[key.to_owned()], children, now);
        self.revoked_tokens(&queued);
        queued.len()
    }

    /// After tokens were revoked: the change told, and each lease newly queued tried now
    /// (one waiting for a retry keeps its backoff).
    pub(super) fn revoked_tokens(&self, queued: &[String]) {
        self.changed();
        for id in queued {
            self.spawn_revocation(id);
        }
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

    /// `auth/token/revoke-orphan`: the token and its leases; its children stay, as
    /// orphans. Needs sudo, which OpenBao's handler checks itself (the ACL lets a caller
    /// with `update` through), and refuses in its own words.
    fn token_revoke_orphan(&self, req: &VaultRequest, tail: &str) -> Reply {
        if let Some(refusal) = exact_update(req, tail) {
            return refusal;
        }
        let token = req.str_field("token").unwrap_or_default();
        if token.is_empty() {
            return Reply::bad_request("missing token ID");
        }
        if !self.caller_has_sudo(req) {
            return Reply::bad_request("root or sudo privileges required to revoke and orphan");
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
                .find(|(_, entry)| entry.accessor == accessor && entry.namespace == req.ns.path)
                .map(|(key, entry)| (key.clone(), entry.expired(now)))
        };
        match found {
            Some((key, expired)) => {
                self.revoke_token(&key, Children::Revoke);
                // OpenBao's lookup finds no token past its TTL (and revokes it then).
                if expired {
                    return Reply::bad_request("token not found");
                }
                Reply::no_content()
            }
            None => Reply::warnings(vec!["No token found with this accessor".to_owned()]),
        }
    }

    /// The expiry worker's part for tokens: the tokens past their TTL are revoked, with
    /// their children and leases, as Vault revokes a token when its own lease expires.
    /// The table is scanned only once the earliest expiry it may hold has come.
    pub(super) fn process_expired_tokens(&self) {
        let now = self.now();
        let queued = {
            let mut state = self.lock();
            if state.token_expiry.earliest > now {
                return;
            }
            let expired: Vec<String> = state
                .tokens
                .iter()
                .filter(|(_, entry)| entry.expired(now))
                .map(|(key, _)| key.clone())
                .collect();
            let queued = revoke_tokens_in(&mut state, &expired, Children::Revoke, now);
            // Their leases end with the token: expired, not revocations asked for (the
            // worker tells them so, as the attempts below do).
            for id in &queued {
                if let Some(lease) = state.leases.get_mut(id) {
                    lease.revocation_asked = false;
                }
            }
            state.token_expiry.earliest = state
                .tokens
                .values()
                .filter_map(|entry| entry.expire_time)
                .min()
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            if expired.is_empty() {
                return;
            }
            queued
        };
        self.changed();
        for id in &queued {
            self.spawn_expiry(id);
        }
    }

    /// How long until the next token may reach its TTL.
    pub(super) fn next_token_expiry_in(&self) -> Option<StdDuration> {
        let now = self.now();
        let earliest = self.lock().token_expiry.earliest;
        (earliest != DateTime::<Utc>::MAX_UTC)
            .then(|| (earliest - now).to_std().unwrap_or(StdDuration::ZERO))
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Bytes;
    use axum::http::{HeaderMap, HeaderValue, Method};

    use super::super::clock::ManualClock;
    use super::super::namespace::NsRef;
    use super::super::namespaces_api::MAX_TOKENS;
    use super::super::tokens::NewToken;
    use super::super::{Lease, VaultOptions, http};
    use super::*;

    fn token(state: &mut VaultState, ttl: i64, parent: Option<&str>, now: DateTime<Utc>) -> String {
        let (token, entry) = tokens::mint(
            NewToken {
                namespace: &NsRef::root(),
                policies: vec!["default".into()],
                ttl,
                display_name: "token".into(),
                orphan: parent.is_none(),
                parent: parent.map(str::to_owned),
                meta: None,
            },
            now,
        );
        let key = tokens::key(&token);
        state.insert_token(key.clone(), entry);
        key
    }

    fn lease(id: &str, token: &str, now: DateTime<Utc>) -> Lease {
        Lease {
            id: id.into(),
            namespace: String::new(),
            mount: "aws/".into(),
            role: "r".into(),
            username: format!("vault-{id}"),
            token: Some(token.into()),
            issue_time: now,
            expire_time: now + chrono::Duration::hours(768),
            last_renewal: None,
            renewable: true,
            revoke_attempts: 0,
            revoke_at: None,
            revoke_error: None,
            irrevocable: false,
            revocation_asked: false,
        }
    }

    fn server(state: VaultState, clock: &ManualClock) -> VaultServer {
        VaultServer::new(
            state,
            VaultOptions {
                default_aws_endpoint: "http://127.0.0.1:9".into(),
                default_region: "us-east-1".into(),
            },
            Arc::new(tokio::sync::Notify::new()),
        )
        .with_clock(Arc::new(clock.clone()))
    }

    /// A token reaching its TTL takes its leases along as expired: not marked as
    /// revocations asked for, which the worker (and a room's seat log) would tell as
    /// "revoked".
    #[tokio::test]
    async fn a_token_reaching_its_ttl_takes_its_leases_as_expired_not_revoked() {
        let now = Utc::now();
        let clock = ManualClock::new(now);
        let mut state = VaultState::new();
        let key = token(&mut state, 60, None, now);
        state
            .leases
            .insert("aws/creds/r/a".into(), lease("aws/creds/r/a", &key, now));
        let server = server(state, &clock);
        clock.advance(chrono::Duration::seconds(61));
        server.process_expired_tokens();
        let lease = server.read_state(|state| state.leases["aws/creds/r/a"].clone());
        assert!(lease.revoke_at.is_some(), "queued with its token");
        assert!(!lease.revocation_asked, "its end taken for a revocation");
    }

    /// With the table full of expired tokens and no expiry worker to revoke them (as while
    /// it waits on IAM), making a token makes room as the worker would: an expired
    /// token's leases are queued for revocation and its children go with it.
    #[tokio::test]
    async fn a_full_table_makes_room_by_revoking_expired_tokens_with_their_leases() {
        let now = Utc::now();
        let clock = ManualClock::new(now);
        let mut state = VaultState::new();
        let parent = token(&mut state, 60, None, now);
        let child = token(&mut state, 3600, Some(&parent), now);
        state
            .leases
            .insert("aws/creds/r/a".into(), lease("aws/creds/r/a", &parent, now));
        state
            .leases
            .insert("aws/creds/r/b".into(), lease("aws/creds/r/b", &child, now));
        while state.tokens.len() < MAX_TOKENS {
            token(&mut state, 60, None, now);
        }
        let server = server(state, &clock);
        clock.advance(chrono::Duration::seconds(61));
        let mut headers = HeaderMap::new();
        let root = server.root_token();
        headers.insert(
            "x-vault-token",
            HeaderValue::from_str(root.expose()).unwrap(),
        );
        let req = http::parse_request(
            &Method::POST,
            "/auth/token/create",
            None,
            &headers,
            &Bytes::from_static(b"{}"),
        )
        .unwrap();
        let reply = server.handle(req).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        server.read_state(|state| {
            assert_eq!(state.tokens.len(), 1, "only the new token is left");
            assert!(
                !state.tokens.contains_key(&child),
                "the child went with its parent"
            );
            for id in ["aws/creds/r/a", "aws/creds/r/b"] {
                let lease = &state.leases[id];
                assert!(
                    lease.revoke_at.is_some() || lease.revoke_attempts > 0,
                    "{id} is queued for revocation: {lease:?}"
                );
            }
        });
    }

    /// The accessor of a token past its TTL that the worker has not revoked yet: OpenBao's
    /// lookup finds no token, so it answers 400 "token not found" (and the token goes).
    #[tokio::test]
    async fn revoking_by_the_accessor_of_an_expired_token_finds_no_token() {
        let now = Utc::now();
        let clock = ManualClock::new(now);
        let mut state = VaultState::new();
        let key = token(&mut state, 60, None, now);
        let accessor = state.tokens[&key].accessor.clone();
        let server = server(state, &clock);
        clock.advance(chrono::Duration::seconds(61));
        let mut headers = HeaderMap::new();
        let root = server.root_token();
        headers.insert(
            "x-vault-token",
            HeaderValue::from_str(root.expose()).unwrap(),
        );
        let body = serde_json::json!({ "accessor": accessor }).to_string();
        let req = http::parse_request(
            &Method::POST,
            "/auth/token/revoke-accessor",
            None,
            &headers,
            &Bytes::from(body),
        )
        .unwrap();
        let reply = server.handle(req).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
        assert_eq!(
            reply.body.unwrap()["errors"],
            serde_json::json!(["token not found"])
        );
        server.read_state(|state| assert!(!state.tokens.contains_key(&key)));
    }

    /// A revoked token's leases expire now, as OpenBao's lazy revoke sets their expire
    /// time: a lookup and a room's dashboard count them down no further while the
    /// revocation (here failing: no IAM answers) is retried.
    #[tokio::test]
    async fn a_revoked_tokens_leases_expire_now() {
        let now = Utc::now();
        let clock = ManualClock::new(now);
        let mut state = VaultState::new();
        let key = token(&mut state, 3600, None, now);
        state
            .leases
            .insert("aws/creds/r/a".into(), lease("aws/creds/r/a", &key, now));
        let server = server(state, &clock);
        clock.advance(chrono::Duration::seconds(10));
        assert_eq!(server.revoke_token(&key, Children::Revoke), 1);
        let lease = server.read_state(|state| state.leases["aws/creds/r/a"].clone());
        assert_eq!(lease.expire_time, now + chrono::Duration::seconds(10));
        assert!(lease.revocation_asked);
        let data = super::super::leases::lookup_data(&lease, now + chrono::Duration::seconds(20));
        assert_eq!(data["ttl"], 0, "{data}");
    }
}

#[cfg(test)]
mod expiry_tests {
    use std::sync::Arc;

    use super::super::VaultOptions;
    use super::super::clock::ManualClock;
    use super::super::namespace::NsRef;
    use super::*;

    /// The worker looks at the table only once a token may be due, and a token made after
    /// its last look that expires sooner than every other is still revoked on time.
    #[tokio::test]
    async fn the_worker_sees_a_token_made_after_its_last_look() {
        let clock = ManualClock::new(Utc::now());
        let server = VaultServer::new(
            VaultState::new(),
            VaultOptions {
                default_aws_endpoint: "http://127.0.0.1:9".into(),
                default_region: "us-east-1".into(),
            },
            Arc::new(tokio::sync::Notify::new()),
        )
        .with_clock(Arc::new(clock.clone()));
        let root = NsRef::root();
        let long = server.issue_token(&root, &["p"], 3600, "long");
        server.process_expired_tokens();
        let soon = server.next_token_expiry_in().unwrap();
        assert!(soon > StdDuration::from_secs(3590), "{soon:?}");
        let short = server.issue_token(&root, &["p"], 60, "short");
        assert!(server.next_token_expiry_in().unwrap() <= StdDuration::from_secs(60));
        clock.advance(chrono::Duration::seconds(61));
        server.process_expired_tokens();
        assert!(!server.token_in(&short, ""));
        assert!(server.token_in(&long, ""));
        assert!(server.next_token_expiry_in().unwrap() > StdDuration::from_secs(3500));
    }
}
