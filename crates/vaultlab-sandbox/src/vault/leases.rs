//! The lease table's API (`sys/leases/*` and the old `sys/renew`, `sys/revoke` aliases),
//! TTL arithmetic, revocation with retries, and the expiry worker.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rand::Rng;
use serde_json::{Value, json};

use super::VaultServer;
use super::duration::{format_go_duration, parse_duration_second};
use super::http::{Operation, Reply, VaultRequest};
use super::state::Lease;
use crate::events::LeaseChangeKind;
use vaultlab_wire::envelope::Envelope;

/// Vault's system default and max lease TTL: 32 days.
pub const SYSTEM_MAX_TTL: i64 = 768 * 3600;
/// How long a synchronous revocation waits for one already under way.
const REVOKE_WAIT: StdDuration = StdDuration::from_secs(60);
/// Background revocation attempts before a lease is kept as irrevocable (Vault: 6).
pub const MAX_REVOKE_ATTEMPTS: u32 = 6;

/// The lease TTLs a mount gives its secrets (Vault's `dynamicSystemView.fetchTTLs`): the
/// mount's tuned TTL where set, else the system's (768h both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountTtls {
    pub default: i64,
    pub max: i64,
}

impl MountTtls {
    pub const SYSTEM: MountTtls = MountTtls {
        default: SYSTEM_MAX_TTL,
        max: SYSTEM_MAX_TTL,
    };

    pub fn of(mount: &super::state::Mount) -> Self {
        let pick = |tuned: i64| if tuned > 0 { tuned } else { SYSTEM_MAX_TTL };
        MountTtls {
            default: pick(mount.default_lease_ttl),
            max: pick(mount.max_lease_ttl),
        }
    }
}

/// Vault's `framework.CalculateTTL` for secrets: the TTL granted at `now` for a lease issued
/// at `issue`, given the requested `increment`, the backend's TTL and max TTL (0 = unset,
/// `config/lease` for the AWS engine) and the mount's TTLs, all in seconds. Returns the TTL
/// and any warnings, or Vault's error.
pub fn calculate_ttl(
    now: DateTime<Utc>,
    issue: DateTime<Utc>,
    increment: i64,
    backend_ttl: i64,
    backend_max: i64,
    mount: MountTtls,
) -> Result<(i64, Vec<String>), String> {
    let now = now.timestamp();
    let issue = issue.timestamp();
    let mut max_ttl = mount.max;
    if backend_max > 0 && backend_max < max_ttl {
        max_ttl = backend_max;
    }
    let mut ttl = if increment > 0 {
        increment
    } else if backend_ttl > 0 {
        backend_ttl
    } else {
        mount.default
    };
    let max_valid_ttl = issue + max_ttl - now;
    if max_valid_ttl <= 0 {
        return Err("past the max TTL, cannot renew".to_owned());
    }
    let mut warnings = Vec::new();
    if max_valid_ttl < ttl {
        warnings.push(format!(
            "TTL of {:?} exceeded the effective max_ttl of {:?}; TTL value is capped accordingly",
            format_go_duration(ttl),
            format_go_duration(max_valid_ttl)
        ));
        ttl = max_valid_ttl;
    }
    Ok((ttl, warnings))
}

/// Backoff before retry `attempt` (1-based): 10 s · 2^(attempt-1), ±50 % (Vault's revocation
/// retry schedule).
pub fn revoke_backoff(attempt: u32) -> StdDuration {
    let base = 10.0 * 2f64.powi(attempt.saturating_sub(1) as i32);
    let jitter = rand::rng().random_range(0.5..1.5);
    StdDuration::from_secs_f64(base * jitter)
}

/// Only irrevocable leases can be listed or counted (`?type=irrevocable`), as in Vault.
fn asks_for_irrevocable(req: &VaultRequest) -> bool {
    req.str_field("type")
        .is_some_and(|t| t.eq_ignore_ascii_case("irrevocable"))
}

fn time_json(t: DateTime<Utc>) -> Value {
    Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// The `sys/leases/lookup` data of a lease at `now`.
pub fn lookup_data(lease: &Lease, now: DateTime<Utc>) -> Value {
    let ttl = (lease.expire_time - now).num_seconds().max(0);
    let mut data = json!({
        "id": lease.id,
        "issue_time": time_json(lease.issue_time),
        "expire_time": time_json(lease.expire_time),
        "last_renewal": lease.last_renewal.map(time_json),
        "renewable": lease.renewable && lease.expire_time > now,
        "ttl": ttl,
    });
    if let Some(error) = &lease.revoke_error {
        data["revoke_error"] = Value::String(error.clone());
    }
    if !lease.namespace.is_empty() {
        data["namespace_path"] = Value::String(lease.namespace.clone());
    }
    data
}

impl VaultServer {
    /// Routes `sys/leases/…`, `sys/renew…`, `sys/revoke…`; `None` if the path is not one.
    pub(super) async fn lease_route(&self, req: &VaultRequest, rest: &str) -> Option<Reply> {
        let rest = rest.strip_prefix("leases/").map_or_else(
            || {
                // The old aliases: sys/renew, sys/revoke, sys/revoke-prefix, sys/revoke-force.
                if ["renew", "revoke"].iter().any(|p| rest.starts_with(p)) {
                    Some(rest)
                } else {
                    None
                }
            },
            Some,
        )?;
        let (head, tail) = match rest.split_once('/') {
            Some((h, t)) => (h, Some(t)),
            None => (rest, None),
        };
        let reply = match (head, req.operation) {
            ("lookup", Operation::List) => self.lease_list(req, tail.unwrap_or("")),
            ("lookup", Operation::Update) if tail.is_none_or(str::is_empty) => {
                self.lease_lookup(req)
            }
            ("renew", Operation::Update) => self.lease_renew(req, tail),
            ("revoke", Operation::Update) => self.lease_revoke(req, tail).await,
            ("revoke-prefix", Operation::Update) => match tail.filter(|t| !t.is_empty()) {
                Some(prefix) => self.lease_revoke_prefix(req, prefix, false).await,
                None => Reply::unsupported_path(),
            },
            ("revoke-force", Operation::Update) => match tail.filter(|t| !t.is_empty()) {
                Some(prefix) => self.lease_revoke_prefix(req, prefix, true).await,
                None => Reply::unsupported_path(),
            },
            ("lookup" | "renew" | "revoke" | "revoke-prefix" | "revoke-force", _) => {
                Reply::unsupported_operation()
            }
            _ => return None,
        };
        Some(reply)
    }

    fn lease_lookup(&self, req: &VaultRequest) -> Reply {
        let Some(id) = req.str_field("lease_id").filter(|s| !s.is_empty()) else {
            return Reply::bad_request("lease_id must be specified");
        };
        let now = self.now();
        let state = self.lock();
        match state.leases.get(&req.ns.key(&id)) {
            Some(lease) => Reply::data(lookup_data(lease, now)),
            None => Reply::bad_request("invalid lease"),
        }
    }

    /// The request's namespace's leases only: never a child's.
    fn lease_list(&self, req: &VaultRequest, prefix: &str) -> Reply {
        let mut prefix = prefix.to_owned();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        let state = self.lock();
        let mut keys: Vec<String> = state
            .leases
            .with_prefix(req.ns.key(&prefix))
            .filter(|(_, lease)| lease.namespace == req.ns.path)
            .filter_map(|(_, lease)| lease.id.strip_prefix(&prefix))
            .map(|rest| match rest.split_once('/') {
                Some((dir, _)) => format!("{dir}/"),
                None => rest.to_owned(),
            })
            .collect();
        keys.sort();
        keys.dedup();
        if keys.is_empty() {
            return Reply::not_found_empty();
        }
        Reply::data(json!({ "keys": keys }))
    }

    fn lease_renew(&self, req: &VaultRequest, url_id: Option<&str>) -> Reply {
        // Vault validates the fields before its handler looks for the lease id.
        let increment = match req.data.get("increment") {
            None => 0,
            Some(v) => match parse_duration_second(v) {
                Ok(n) => n,
                Err(e) => return Reply::bad_request(super::http::field_error(v, "increment", &e)),
            },
        };
        let id = req
            .str_field("lease_id")
            .filter(|s| !s.is_empty())
            .or_else(|| url_id.filter(|s| !s.is_empty()).map(str::to_owned));
        let Some(id) = id else {
            return Reply::bad_request("lease_id must be specified");
        };
        let now = self.now();
        let mut state = self.lock();
        let key = req.ns.key(&id);
        let Some(lease) = state.leases.get(&key).cloned() else {
            return Reply::bad_request("lease not found");
        };
        if lease.irrevocable {
            return Reply::bad_request(
                "lease is expired and has failed previous revocation attempts",
            );
        }
        if lease.expire_time <= now {
            return Reply::bad_request("lease expired");
        }
        if !lease.renewable || lease.revoke_at.is_some() {
            return Reply::bad_request("lease is not renewable");
        }
        let mount = state.mounts.get(&lease.mount);
        let config = mount.and_then(|m| m.aws.as_ref()).and_then(|aws| aws.lease);
        let mount_ttls = mount.map_or(MountTtls::SYSTEM, MountTtls::of);
        let (backend_ttl, backend_max) = config.map_or((0, 0), |c| (c.lease, c.lease_max));
        let (ttl, warnings) = match calculate_ttl(
            now,
            lease.issue_time,
            increment,
            backend_ttl,
            backend_max,
            mount_ttls,
        ) {
            Ok(v) => v,
            Err(e) => return Reply::bad_request(e),
        };
        let renewed = state.leases.get_mut(&key).map(|stored| {
            stored.expire_time = now + Duration::seconds(ttl);
            stored.last_renewal = Some(now);
            stored.clone()
        });
        drop(state);
        self.changed();
        if let Some(lease) = renewed {
            self.report_lease(&lease, LeaseChangeKind::Renewed, None);
        }
        Reply::envelope(Envelope {
            lease_id: id,
            renewable: true,
            lease_duration: u64::try_from(ttl).unwrap_or(0),
            warnings: (!warnings.is_empty()).then_some(warnings),
            ..Envelope::default()
        })
    }

    async fn lease_revoke(&self, req: &VaultRequest, url_id: Option<&str>) -> Reply {
        // Vault's `sync` defaults to true: revoke, then answer 204 (or 400 with the
        // backend's error). Only `sync=false` (what `vault lease revoke` sends) queues.
        let sync = match req.bool_field_or("sync", true) {
            Ok(b) => b,
            Err(reply) => return reply,
        };
        let id = req
            .str_field("lease_id")
            .filter(|s| !s.is_empty())
            .or_else(|| url_id.filter(|s| !s.is_empty()).map(str::to_owned));
        let Some(id) = id else {
            return Reply::bad_request("lease_id must be specified");
        };
        let key = req.ns.key(&id);
        if sync {
            return match self.revoke_now(&key).await {
                Ok(()) => Reply::no_content(),
                Err(e) => Reply::bad_request(e),
            };
        }
        self.queue_revocation(&key);
        Reply::accepted()
    }

    async fn lease_revoke_prefix(&self, req: &VaultRequest, prefix: &str, force: bool) -> Reply {
        let sync = force
            || match req.bool_field_or("sync", true) {
                Ok(b) => b,
                Err(reply) => return reply,
            };
        let ids: Vec<String> = self
            .lease_ids_under(&req.ns.key(prefix))
            .into_iter()
            .filter(|key| self.lease_namespace(key).as_deref() == Some(req.ns.path.as_str()))
            .collect();
        let total = ids.len();
        for (index, id) in ids.iter().enumerate() {
            if !sync {
                self.queue_revocation(id);
                continue;
            }
            if let Err(e) = self.revoke_now(id).await {
                if force {
                    let lease = self.lock().leases.get(id).cloned();
                    if let Some(lease) = lease {
                        self.report_lease(&lease, LeaseChangeKind::Revoked, Some(&e));
                    }
                    self.forget_lease(id);
                    continue;
                }
                return Reply::bad_request(format!(
                    "failed to revoke {id:?} ({} / {total}): {e}",
                    index + 1
                ));
            }
        }
        if sync {
            Reply::no_content()
        } else {
            Reply::accepted()
        }
    }

    /// `GET sys/leases?type=irrevocable`: leases kept after revocation failed for good.
    pub(super) fn irrevocable_list(&self, req: &VaultRequest) -> Reply {
        if !asks_for_irrevocable(req) {
            return Reply::not_found_empty();
        }
        let state = self.lock();
        let mut leases: Vec<&Lease> = state
            .leases
            .values()
            .filter(|l| l.irrevocable && l.namespace == req.ns.path)
            .collect();
        leases.sort_by(|a, b| {
            a.expire_time
                .cmp(&b.expire_time)
                .then_with(|| a.id.cmp(&b.id))
        });
        let listed: Vec<Value> = leases
            .iter()
            .map(|l| {
                json!({
                    "lease_id": l.id,
                    "mount_id": state.mounts.get(&l.mount).map_or("mount-accessor-not-found", |m| m.accessor.as_str()),
                    "error": l.revoke_error.clone().unwrap_or_default(),
                })
            })
            .collect();
        Reply::data(json!({ "lease_count": listed.len(), "leases": listed }))
    }

    /// `GET sys/leases/count?type=irrevocable`: how many, per mount accessor.
    pub(super) fn irrevocable_count(&self, req: &VaultRequest) -> Reply {
        if !asks_for_irrevocable(req) {
            return Reply::not_found_empty();
        }
        let state = self.lock();
        let mut counts = serde_json::Map::new();
        let mut total = 0;
        for lease in state
            .leases
            .values()
            .filter(|l| l.irrevocable && l.namespace == req.ns.path)
        {
            let accessor = state
                .mounts
                .get(&lease.mount)
                .map_or("mount-accessor-not-found", |m| m.accessor.as_str());
            let entry = counts.entry(accessor.to_owned()).or_insert(json!(0));
            *entry = json!(entry.as_u64().unwrap_or(0) + 1);
            total += 1;
        }
        Reply::data(json!({ "lease_count": total, "counts": counts }))
    }

    /// The namespace path of the lease at `key`.
    fn lease_namespace(&self, key: &str) -> Option<String> {
        self.lock().leases.get(key).map(|l| l.namespace.clone())
    }

    /// Lease keys under `prefix` (a lease's key itself, or a key prefix).
    pub(super) fn lease_ids_under(&self, prefix: &str) -> Vec<String> {
        let state = self.lock();
        if state.leases.contains_key(prefix) {
            return vec![prefix.to_owned()];
        }
        let dir = if prefix.ends_with('/') {
            prefix.to_owned()
        } else {
            format!("{prefix}/")
        };
        state
            .leases
            .keys()
            .filter(|id| id.starts_with(&dir))
            .cloned()
            .collect()
    }

    fn forget_lease(&self, id: &str) {
        let removed = self.lock().leases.remove(id).is_some();
        if removed {
            self.changed();
        }
    }

    /// Marks a lease for revocation by the background worker (nothing if unknown).
    pub(super) fn queue_revocation(&self, id: &str) {
        let now = self.now();
        let queued = {
            let mut state = self.lock();
            match state.leases.get_mut(id) {
                Some(lease) if lease.revoke_at.is_none() || lease.irrevocable => {
                    lease.ask_revocation(now);
                    true
                }
                _ => false,
            }
        };
        if queued {
            self.changed();
            self.spawn_revocation(id);
        }
    }

    /// Tries a queued revocation now, in the background (a stop waits for it).
    pub(super) fn spawn_revocation(&self, id: &str) {
        self.spawn_attempt(id, crate::events::Purpose::Revoke);
    }

    /// The same for a lease whose token reached its TTL: told as expired, as Vault's
    /// are when a token's own lease ends.
    pub(super) fn spawn_expiry(&self, id: &str) {
        self.spawn_attempt(id, crate::events::Purpose::Expiry);
    }

    fn spawn_attempt(&self, id: &str, purpose: crate::events::Purpose) {
        let server = self.clone();
        let id = id.to_owned();
        let work = self.durability.background_work();
        let attempt = crate::engine_call::EngineCall {
            purpose,
            namespace: String::new(),
            lease_id: None,
        };
        tokio::spawn(async move {
            crate::engine_call::within(attempt, server.attempt_background_revocation(&id)).await;
            drop(work);
        });
    }

    /// Revokes a lease at once: deletes its IAM user, then the lease. Unknown leases are
    /// already revoked. The error is worded as Vault's.
    pub(super) async fn revoke_now(&self, id: &str) -> Result<(), String> {
        self.revoke(id, true).await
    }

    /// Revokes a lease whose keys never left (its request failed): nothing was issued,
    /// so nothing is told. One that cannot be revoked now is queued for the worker.
    pub(super) async fn revoke_unissued(&self, id: &str) {
        if self.revoke(id, false).await.is_err() {
            self.queue_revocation(id);
        }
    }

    async fn revoke(&self, id: &str, tell: bool) -> Result<(), String> {
        // As Vault's per-lease lock: a revocation already under way (the expiry worker's,
        // a queued one) is waited for; if it removed the lease, this one has nothing to do.
        let deadline = tokio::time::Instant::now() + REVOKE_WAIT;
        let _guard = loop {
            if let Some(guard) = self.begin_revoking(id) {
                break guard;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "failed to revoke entry: lease {id:?} is already being revoked"
                ));
            }
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        };
        let Some((lease, target)) = self.revocation_target(id) else {
            return Ok(());
        };
        let purpose =
            crate::engine_call::current().map_or(crate::events::Purpose::Revoke, |c| c.purpose);
        let revoking = crate::engine_call::EngineCall {
            purpose,
            namespace: lease.namespace.clone(),
            lease_id: Some(lease.id.clone()),
        };
        let result = match target {
            Ok(target) => {
                let client = self.iam_clients.get(&target);
                crate::engine_call::within(
                    revoking,
                    super::iam_client::delete_user(&client, &lease.username),
                )
                .await
                .map_err(|e| e.to_string())
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                let change = if purpose == crate::events::Purpose::Expiry {
                    LeaseChangeKind::Expired
                } else {
                    LeaseChangeKind::Revoked
                };
                // Told before the lease is forgotten: whoever sees it gone (a room's
                // status, after its tracker has taken in what was told) sees why too.
                if tell {
                    self.report_lease(&lease, change, None);
                }
                self.forget_lease(id);
                tracing::info!(lease_id = id, "lease revoked");
                Ok(())
            }
            Err(e) => Err(format!(
                "failed to revoke entry: resp: (*logical.Response)(nil) err: {e}"
            )),
        }
    }

    /// One background attempt; on failure, schedules a retry or gives up as irrevocable.
    pub(super) async fn attempt_background_revocation(&self, id: &str) {
        if self.revoking.lock().expect("revoking lock").contains(id) {
            return;
        }
        let outcome = self.revoke_now(id).await;
        let Err(error) = outcome else { return };
        let now = self.now();
        let reported = {
            let mut state = self.lock();
            let Some(lease) = state.leases.get_mut(id) else {
                return;
            };
            lease.revoke_attempts += 1;
            lease.revoke_error = Some(error.clone());
            if lease.revoke_attempts >= MAX_REVOKE_ATTEMPTS {
                lease.irrevocable = true;
                lease.revoke_at = None;
                tracing::warn!(
                    lease_id = id,
                    "lease kept as irrevocable after {MAX_REVOKE_ATTEMPTS} failed revocations"
                );
            } else {
                let wait = revoke_backoff(lease.revoke_attempts);
                lease.revoke_at =
                    Some(now + Duration::from_std(wait).unwrap_or(Duration::seconds(10)));
                tracing::warn!(
                    lease_id = id,
                    attempt = lease.revoke_attempts,
                    "lease revocation failed; will retry"
                );
            }
            lease.clone()
        };
        self.changed();
        let change = if reported.irrevocable {
            LeaseChangeKind::Irrevocable
        } else {
            LeaseChangeKind::RevokeFailed
        };
        self.report_lease(&reported, change, Some(&error));
    }

    /// The worker's loop body: acts on every lease due at `now`.
    pub(super) async fn process_due_leases(&self) {
        let now = self.now();
        let busy = self.revoking.lock().expect("revoking lock").clone();
        // By the lease table's key (a namespace's leases are keyed by its path, then id).
        let due: Vec<String> = self
            .lock()
            .leases
            .iter()
            .filter(|(key, l)| !busy.contains(*key) && l.due_at().is_some_and(|at| at <= now))
            .map(|(key, _)| key.clone())
            .collect();
        for id in due {
            if self.durability.stopping() {
                return;
            }
            // A lease whose revocation was asked for (queued, or a failed one retried), or
            // one still inside its TTL, is due because someone asked: that is a revocation,
            // not an expiry, even when this worker gets to it before the task the request
            // spawned.
            let mut purpose = crate::events::Purpose::Expiry;
            {
                let mut state = self.lock();
                if let Some(lease) = state.leases.get_mut(&id) {
                    match lease.revoke_at {
                        // Expired: from now on it is a queued revocation.
                        None => lease.revoke_at = Some(now),
                        Some(_) if lease.revocation_asked || lease.expire_time > now => {
                            purpose = crate::events::Purpose::Revoke;
                        }
                        Some(_) => {}
                    }
                }
            }
            let expiring = crate::engine_call::EngineCall {
                purpose,
                namespace: String::new(),
                lease_id: None,
            };
            crate::engine_call::within(expiring, self.attempt_background_revocation(&id)).await;
        }
    }

    /// How long the worker may sleep before something is due.
    pub(super) fn next_due_in(&self) -> Option<StdDuration> {
        let now = self.now();
        let busy = self.revoking.lock().expect("revoking lock").clone();
        self.lock()
            .leases
            .iter()
            .filter(|(key, _)| !busy.contains(*key))
            .filter_map(|(_, l)| l.due_at())
            .min()
            .map(|at| (at - now).to_std().unwrap_or(StdDuration::ZERO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_763_900_000 + secs, 0).unwrap()
    }

    #[test]
    fn issue_without_config_lease_gets_768h() {
        let (ttl, warnings) = calculate_ttl(t(0), t(0), 0, 0, 0, MountTtls::SYSTEM).unwrap();
        assert_eq!(ttl, 2_764_800);
        assert!(warnings.is_empty());
    }

    #[test]
    fn config_lease_sets_the_ttl() {
        assert_eq!(
            calculate_ttl(t(0), t(0), 0, 1800, 43_200, MountTtls::SYSTEM)
                .unwrap()
                .0,
            1800
        );
    }

    #[test]
    fn renew_is_capped_by_lease_max_with_vaults_warning() {
        // Issued at 0 with lease_max 4s; renewing at 1 s for 1 h leaves 3 s.
        let (ttl, warnings) = calculate_ttl(t(1), t(0), 3600, 2, 4, MountTtls::SYSTEM).unwrap();
        assert_eq!(ttl, 3);
        assert_eq!(
            warnings,
            [
                "TTL of \"1h0m0s\" exceeded the effective max_ttl of \"3s\"; TTL value is capped accordingly"
            ]
        );
    }

    #[test]
    fn renew_past_the_max_ttl_fails() {
        assert_eq!(
            calculate_ttl(t(10), t(0), 0, 2, 4, MountTtls::SYSTEM).unwrap_err(),
            "past the max TTL, cannot renew"
        );
    }

    #[test]
    fn system_max_caps_a_larger_lease_max() {
        let (ttl, warnings) =
            calculate_ttl(t(0), t(0), 0, 3_000_000, 4_000_000, MountTtls::SYSTEM).unwrap();
        assert_eq!(ttl, SYSTEM_MAX_TTL);
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn a_tuned_mount_sets_the_default_and_caps_the_max() {
        let tuned = MountTtls {
            default: 3600,
            max: 7200,
        };
        // No config/lease: the mount's default, not 768h.
        assert_eq!(calculate_ttl(t(0), t(0), 0, 0, 0, tuned).unwrap().0, 3600);
        // config/lease's lease wins over the mount default, within the mount max.
        assert_eq!(
            calculate_ttl(t(0), t(0), 0, 1800, 0, tuned).unwrap().0,
            1800
        );
        let (ttl, warnings) = calculate_ttl(t(0), t(0), 0, 10_000, 0, tuned).unwrap();
        assert_eq!(ttl, 7200);
        assert_eq!(warnings.len(), 1);
        // Renewing an hour in for 2h: capped at issue + mount max.
        let (ttl, _) = calculate_ttl(t(3600), t(0), 7200, 0, 0, tuned).unwrap();
        assert_eq!(ttl, 3600);
        // A tuned mount with only a max: the system default is capped by it.
        let only_max = MountTtls {
            default: SYSTEM_MAX_TTL,
            max: 600,
        };
        assert_eq!(calculate_ttl(t(0), t(0), 0, 0, 0, only_max).unwrap().0, 600);
    }

    #[test]
    fn backoff_doubles_within_jitter() {
        for attempt in 1..=5u32 {
            let base = 10.0 * 2f64.powi(attempt as i32 - 1);
            let wait = revoke_backoff(attempt).as_secs_f64();
            assert!(
                wait >= base * 0.5 && wait <= base * 1.5,
                "{attempt}: {wait}"
            );
        }
    }

    #[test]
    fn lookup_reports_remaining_ttl_and_revoke_error() {
        let lease = Lease {
            id: "aws/creds/r/x".into(),
            namespace: String::new(),
            mount: "aws/".into(),
            role: "r".into(),
            username: "u".into(),
            token: None,
            issue_time: t(0),
            expire_time: t(100),
            last_renewal: None,
            renewable: true,
            revoke_attempts: 6,
            revoke_at: None,
            revoke_error: Some("boom".into()),
            irrevocable: true,
            revocation_asked: false,
        };
        let data = lookup_data(&lease, t(40));
        assert_eq!(data["ttl"], 60);
        assert_eq!(data["last_renewal"], Value::Null);
        assert_eq!(data["revoke_error"], "boom");
        assert_eq!(data["issue_time"], "2025-11-23T12:13:20Z");
    }
}
