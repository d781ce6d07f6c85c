//! What a workshop room's facilitator does to a seat's namespace, through the server
//! rather than its HTTP API: revoke every lease in it (as `sys/leases/revoke-prefix` with
//! `sync`, the IAM users deleted first), set every AWS mount's `config/lease`, list its
//! live leases; which namespace a token belongs to; and a seat's request held by the pace.

use axum::http::StatusCode;

use super::http::{Reply, VaultRequest};
use super::state::{AwsEngineState, LeaseConfig};
use super::tokens;
use super::{VaultServer, VaultState};
use crate::room::hold;

/// The `config/lease` a new `aws` mount in a seat's namespace starts with while the room
/// has short leases (`None` elsewhere: the engine's defaults).
pub(super) fn room_short_leases(state: &VaultState, namespace: &str) -> Option<LeaseConfig> {
    let short = state.room.as_ref()?.short_leases?;
    let seat = crate::room::progress::seat_of(namespace)?;
    let seated = state
        .seats
        .get(seat)
        .is_some_and(|seat| seat.namespace == namespace);
    seated.then_some(LeaseConfig {
        lease: short.ttl,
        lease_max: short.max_ttl,
    })
}

/// A lease as a room's dashboard shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveLease {
    pub id: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl VaultServer {
    /// Revokes every lease of the namespace at `path` (and of the namespaces under it) now;
    /// how many were revoked, and
    /// the errors of those that could not be (they stay, and are retried as any lease).
    pub async fn revoke_namespace_leases(&self, path: &str) -> (usize, Vec<String>) {
        let keys: Vec<String> = self
            .lock()
            .leases
            .iter()
            .filter(|(_, lease)| lease.namespace.starts_with(path))
            .map(|(key, _)| key.clone())
            .collect();
        let mut revoked = 0;
        let mut errors = Vec::new();
        for key in keys {
            match self.revoke_now(&key).await {
                Ok(()) => revoked += 1,
                Err(e) => errors.push(e),
            }
        }
        (revoked, errors)
    }

    /// Sets the room's short leases (`None`: off) and, in the same change (one lock, one
    /// record in the state file), every seat's `aws` mounts to match: `config/lease`
    /// written with them, forgotten without (the engine's defaults, as on a fresh mount).
    /// So a concurrent on and off, or a crash, never leave the setting and the seats apart.
    /// How many seats there are, and how many of them have an `aws` mount.
    pub fn set_room_short_leases(&self, short: Option<crate::room::ShortLeases>) -> (usize, usize) {
        let lease = short.map(|short| LeaseConfig {
            lease: short.ttl,
            lease_max: short.max_ttl,
        });
        let counted = {
            let mut state = self.lock();
            let Some(config) = state.room.as_mut() else {
                return (0, 0);
            };
            config.short_leases = short;
            let namespaces: Vec<String> = state
                .seats
                .values()
                .map(|seat| seat.namespace.clone())
                .collect();
            let mut with_aws = 0;
            for namespace in &namespaces {
                let keys: Vec<String> = state
                    .mounts
                    .with_prefix(namespace.as_str())
                    .filter(|(_, m)| m.namespace == *namespace && m.mount_type == "aws")
                    .map(|(key, _)| key.clone())
                    .collect();
                with_aws += usize::from(!keys.is_empty());
                for key in &keys {
                    if let Some(mount) = state.mounts.get_mut(key) {
                        match (mount.aws.as_mut(), lease) {
                            (Some(aws), lease) => aws.lease = lease,
                            (None, Some(lease)) => {
                                mount.aws = Some(AwsEngineState {
                                    lease: Some(lease),
                                    ..AwsEngineState::default()
                                });
                            }
                            (None, None) => {}
                        }
                    }
                }
            }
            (namespaces.len(), with_aws)
        };
        self.changed();
        counted
    }

    /// The leases of the namespace at `path` (and those under it) not yet revoked, soonest
    /// to expire first. A lease ends when its token does, if that is sooner (Vault revokes
    /// a token's leases with it, whatever their TTL): it is shown ending then.
    pub fn namespace_leases(&self, path: &str) -> Vec<LiveLease> {
        let state = self.lock();
        let mut leases: Vec<LiveLease> = state
            .leases
            .values()
            .filter(|lease| lease.namespace.starts_with(path))
            .map(|lease| {
                let token_ends = lease
                    .token
                    .as_deref()
                    .and_then(|key| state.tokens.get(key))
                    .and_then(|token| token.expire_time);
                LiveLease {
                    id: lease.id.clone(),
                    expires_at: token_ends
                        .map_or(lease.expire_time, |at| at.min(lease.expire_time)),
                }
            })
            .collect();
        drop(state);
        leases.sort_by(|a, b| a.expires_at.cmp(&b.expires_at).then(a.id.cmp(&b.id)));
        leases
    }

    /// A seat's request refused because the room is held at an earlier step than the one
    /// it would make (see `room::hold`); `token_namespace` is the caller's token's.
    pub(super) fn pace_hold(&self, token_namespace: &str, req: &VaultRequest) -> Option<Reply> {
        crate::room::progress::seat_of(token_namespace)?;
        let state = self.lock();
        let pace = state.room.as_ref()?.pace?;
        if takes_leases_along(&state, req) {
            return (pace < 6)
                .then(|| Reply::error(StatusCode::FORBIDDEN, hold::vault_refusal(pace, 6)));
        }
        let mount_type = req.str_field("type");
        let step = hold::vault_step(req.operation, &req.path, mount_type.as_deref(), |path| {
            // The mount the request is routed to, as `route` finds it.
            let probe = format!("{path}/");
            state
                .mounts
                .values()
                .filter(|m| m.namespace == req.ns.path && probe.starts_with(&m.path))
                .max_by_key(|m| m.path.len())
                .filter(|m| m.mount_type == "aws")
                .map(|m| path.get(m.path.len()..).unwrap_or("").to_owned())
        })?;
        (step > pace).then(|| Reply::error(StatusCode::FORBIDDEN, hold::vault_refusal(pace, step)))
    }

    /// The namespace path of a live token other than the root token.
    pub fn token_namespace(&self, token: &str) -> Option<String> {
        let now = self.now();
        self.lock()
            .tokens
            .get(&tokens::key(token))
            .filter(|t| !t.expired(now))
            .map(|t| t.namespace.clone())
    }
}

/// Whether `req` revokes a token (`auth/token/revoke`, `revoke-self`, `revoke-accessor`,
/// `revoke-orphan`) that would take leases along, its own or its children's: a lease
/// revocation (step 6) by another path.
fn takes_leases_along(state: &VaultState, req: &VaultRequest) -> bool {
    use super::http::Operation;
    let route = req.path.trim_end_matches('/');
    if req.operation != Operation::Update || !route.starts_with("auth/token/revoke") {
        return false;
    }
    let by_field = |field: &str| req.str_field(field).filter(|v| !v.is_empty());
    let (key, children) = match route {
        "auth/token/revoke-self" => (req.token.as_deref().map(tokens::key), true),
        "auth/token/revoke" => (by_field("token").map(|t| tokens::key(&t)), true),
        "auth/token/revoke-orphan" => (by_field("token").map(|t| tokens::key(&t)), false),
        "auth/token/revoke-accessor" => {
            let accessor = by_field("accessor");
            let key = state
                .tokens
                .iter()
                .find(|(_, t)| Some(&t.accessor) == accessor.as_ref() && t.namespace == req.ns.path)
                .map(|(key, _)| key.clone());
            (key, true)
        }
        _ => return false,
    };
    let Some(key) = key else { return false };
    let mut tree = std::collections::HashSet::from([key]);
    if children {
        // Parents before children is not guaranteed: grow until nothing is added.
        loop {
            let added: Vec<String> = state
                .tokens
                .iter()
                .filter(|(child, t)| {
                    !tree.contains(*child) && t.parent.as_ref().is_some_and(|p| tree.contains(p))
                })
                .map(|(child, _)| child.clone())
                .collect();
            if added.is_empty() {
                break;
            }
            tree.extend(added);
        }
    }
    state
        .leases
        .values()
        .any(|lease| lease.token.as_ref().is_some_and(|t| tree.contains(t)))
}
