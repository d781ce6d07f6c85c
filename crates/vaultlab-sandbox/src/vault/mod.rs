//! The Vault-compatible server: sys/ endpoints, token checks, leases, and the AWS secrets
//! engine at any mount path, which reaches IAM through aws-sdk-iam.
//!
//! Layout: `request_path` (what Vault's HTTP layer does to a path), `http` (request
//! parsing, replies, errors), `auth` (token check), `sys` (health, init, mounts, token,
//! capabilities), `tune` (mount TTLs), `leases` (lease API, TTLs, revocation, expiry),
//! `not_implemented` (what Vault has and the sandbox lacks, said so), `aws_engine/`
//! (config, rotate-root, roles, creds), `iam_client` (aws-sdk-iam calls) and `iam_http`
//! (the bounded HTTP client under them), `username`,
//! `duration` (Go durations), `clock` (the time seam), `state` (what is persisted),
//! `durability` (the state file, half-made users, draining at a stop), `rollback` (deleting
//! half-made IAM users).

pub mod acl;
pub mod auth;
pub mod aws_engine;
pub mod clock;
pub mod dispatch;
pub mod durability;
pub mod duration;
pub mod http;
pub mod iam_client;
pub mod iam_http;
pub mod leases;
pub mod namespace;
pub mod namespace_delete;
pub mod namespace_lock;
pub mod namespaces_api;
pub mod not_implemented;
pub mod report;
pub mod request_path;
pub mod rollback;
pub mod room_ops;
pub mod state;
pub mod sys;
pub mod token_revoke;
pub mod token_self;
pub mod tokens;
pub mod tune;
pub mod username;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::ChangeNotifier;
use crate::persist::{Recorded, Store, TrackedMap};
use clock::{SharedClock, SystemClock};
use http::{Reply, VaultRequest};
use iam_client::IamTarget;
pub use state::{AwsEngineState, HalfMadeUser, Lease, LeaseConfig, Mount, Role, RootConfig};
use vaultlab_wire::secret::PersistedSecret;

/// Vault's words (go-secure-stdlib `awsutil`) for a `config/root` with an access key and
/// no secret key, or the reverse.
pub const PARTIAL_STATIC_KEYS: &str = "static AWS client credentials haven't been properly configured (the access key or secret key were provided but not both)";

/// Where Vault would fall back to AWS's default credential chain.
pub const NO_STATIC_KEYS: &str = "vaultlab sandbox does not implement AWS's default credential chain (environment, profile, instance role): write access_key and secret_key to config/root";

/// Paths Vault serves from its own HTTP handlers, without a token.
const UNAUTHENTICATED: &[&str] = &["sys/health", "sys/init", "sys/seal-status", "sys/leader"];

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct VaultOptions {
    /// Where the AWS engine sends IAM/STS calls when `config/root` names no
    /// `iam_endpoint`/`sts_endpoint`: the sandbox's own AWS endpoint (there is no network).
    pub default_aws_endpoint: String,
    /// Region used when `config/root` names none.
    pub default_region: String,
}

/// Everything the server knows: root token, mounts, engine config and roles, leases.
/// Persisted by the sandbox's `--state` file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VaultState {
    pub root_token: PersistedSecret,
    #[serde(default)]
    pub root_accessor: String,
    #[serde(default = "Utc::now")]
    pub root_created: DateTime<Utc>,
    #[serde(default)]
    pub cluster_name: String,
    #[serde(default)]
    pub cluster_id: String,
    /// Every namespace's mount table, keyed by the namespace's path then the mount's
    /// (`aws/`, `room/ada/aws/`; see `namespace`).
    #[serde(default)]
    pub mounts: TrackedMap<Mount>,
    /// The namespaces below the root, by path (`room/`, `room/ada/`).
    #[serde(default)]
    pub namespaces: TrackedMap<namespace::Namespace>,
    /// ACL policies, by their namespace's path then name (`default`, `room/ada/seat`).
    #[serde(default)]
    pub policies: TrackedMap<acl::Policy>,
    /// Tokens other than the root token, by the SHA-256 of the token (see `tokens`).
    #[serde(default)]
    pub tokens: TrackedMap<tokens::TokenEntry>,
    /// When the expiry worker next looks at `tokens` (derived, not kept).
    #[serde(skip)]
    pub token_expiry: tokens::TokenExpiry,
    /// The room's settings, once this sandbox served one (see `crate::room`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<crate::room::RoomConfig>,
    /// The room's seats, by name.
    #[serde(default)]
    pub seats: TrackedMap<crate::room::Seat>,
    /// Each seat's progress, by name (see `crate::room::progress`).
    #[serde(default)]
    pub seat_progress: TrackedMap<crate::room::progress::SeatProgress>,
    /// Each seat's log, by `crate::room::progress::log_key`.
    #[serde(default)]
    pub seat_log: TrackedMap<vaultlab_wire::room::SeatLogEntry>,
    /// Live leases by id.
    #[serde(default)]
    pub leases: TrackedMap<Lease>,
    /// IAM users the AWS engine began to create and has not yet given a lease, by name.
    #[serde(default)]
    pub half_made_users: TrackedMap<HalfMadeUser>,
}

impl VaultState {
    /// A fresh server: a random root token, only Vault's own mounts (sys/, cubbyhole/,
    /// identity/).
    pub fn new() -> Self {
        let mut mounts = TrackedMap::new();
        sys::ensure_builtin_mounts(&mut mounts, &namespace::NsRef::root());
        let mut policies = TrackedMap::new();
        acl::ensure_default_policy(&mut policies, "");
        Self {
            root_token: PersistedSecret::new(sys::new_root_token()),
            root_accessor: username::random_base62(24),
            root_created: Utc::now(),
            cluster_name: format!("vault-cluster-{:08x}", rand::random::<u32>()),
            cluster_id: uuid::Uuid::new_v4().to_string(),
            mounts,
            namespaces: TrackedMap::new(),
            policies,
            tokens: TrackedMap::new(),
            token_expiry: tokens::TokenExpiry::default(),
            room: None,
            seats: TrackedMap::new(),
            seat_progress: TrackedMap::new(),
            seat_log: TrackedMap::new(),
            leases: TrackedMap::new(),
            half_made_users: TrackedMap::new(),
        }
    }

    /// Keeps a new or renewed token, and when it expires for the expiry worker.
    pub fn insert_token(&mut self, key: String, entry: tokens::TokenEntry) {
        self.token_expiry.note(entry.expire_time);
        self.tokens.insert(key, entry);
    }

    /// Brings a state from an older vaultlab to this one's shape: the root namespace's
    /// `default` policy, Vault's own mounts.
    pub fn upgrade(&mut self) {
        sys::ensure_builtin_mounts(&mut self.mounts, &namespace::NsRef::root());
        acl::ensure_default_policy(&mut self.policies, "");
    }
}

impl Default for VaultState {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Clone)]
pub struct VaultServer {
    state: Arc<Mutex<VaultState>>,
    options: VaultOptions,
    on_change: ChangeNotifier,
    clock: SharedClock,
    /// Rung when leases change, to wake the expiry worker.
    leases_changed: Arc<Notify>,
    /// Leases whose revocation is under way (not persisted).
    revoking: Arc<Mutex<HashSet<String>>>,
    iam_clients: iam_client::IamClients,
    durability: durability::Durability,
    /// Where every request is told.
    events: crate::events::Events,
}

/// Removes a lease from the in-progress set when its revocation attempt ends.
struct RevokingGuard {
    id: String,
    revoking: Arc<Mutex<HashSet<String>>>,
    leases_changed: Arc<Notify>,
}

impl Drop for RevokingGuard {
    fn drop(&mut self) {
        if let Ok(mut set) = self.revoking.lock() {
            set.remove(&self.id);
        }
        self.leases_changed.notify_one();
    }
}

impl VaultServer {
    pub fn new(state: VaultState, options: VaultOptions, on_change: ChangeNotifier) -> Self {
        let mut state = state;
        state.upgrade();
        Self {
            state: Arc::new(Mutex::new(state)),
            options,
            on_change,
            clock: Arc::new(SystemClock),
            leases_changed: Arc::new(Notify::new()),
            revoking: Arc::new(Mutex::new(HashSet::new())),
            iam_clients: iam_client::IamClients::default(),
            durability: durability::Durability::default(),
            events: crate::events::Events::default(),
        }
    }

    /// Tells every request to `events`.
    pub fn with_events(mut self, events: crate::events::Events) -> Self {
        self.events = events;
        self
    }

    /// Records every change into `store` (the `--state` file's log).
    pub fn with_store(mut self, store: Option<Store>) -> Self {
        self.durability.store = store;
        self
    }

    /// The sandbox's public URL and the internal listener's: the engine's calls to the
    /// sandbox itself go to the internal one, which stays open while the public one
    /// drains at a stop.
    pub fn with_own_aws_endpoint(mut self, public: &str, internal: &str) -> Self {
        self.durability.set_own_aws_endpoint(public, internal);
        self
    }

    /// The public listener serves every interface (see `Durability::set_every_interface`).
    pub fn with_every_interface(mut self) -> Self {
        self.durability.set_every_interface();
        self
    }

    /// Replaces the clock (tests drive lease arithmetic with a manual clock).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Serves `/v1/…`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/{*path}", any(serve))
            .route("/v1", any(serve))
            .route("/v1/", any(serve))
            .with_state(self.clone())
    }

    pub fn snapshot(&self) -> VaultState {
        self.lock().clone()
    }

    /// The state, and `position()` read while no change can be made to it: the log
    /// position a snapshot of it includes.
    pub fn snapshot_at(&self, position: impl FnOnce() -> u64) -> (VaultState, u64) {
        let state = self.lock();
        let seq = position();
        (state.clone(), seq)
    }

    pub fn root_token(&self) -> PersistedSecret {
        self.lock().root_token.clone()
    }

    /// Reads the state.
    pub fn read_state<R>(&self, read: impl FnOnce(&VaultState) -> R) -> R {
        read(&self.lock())
    }

    /// Changes the state (recorded in the state file's log, as every change).
    pub fn update_state<R>(&self, change: impl FnOnce(&mut VaultState) -> R) -> R {
        let result = change(&mut self.lock());
        self.changed();
        result
    }

    /// Whether `token` is the root token (compared in constant time).
    pub fn is_root_token(&self, token: Option<&str>) -> bool {
        auth::is_root(token, &self.root_token())
    }

    /// Revokes leases as they reach their TTL (and, at once, those already past it, e.g.
    /// after a restart from a state file), whether or not any client is connected. Also
    /// retries failed revocations with backoff, then keeps them as irrevocable; and
    /// deletes half-made IAM users (at once after a restart), retrying until they are gone.
    /// Ends after the attempt under way once [`VaultServer::stop_background`] is called.
    pub fn spawn_lease_expiry(&self) -> JoinHandle<()> {
        let server = self.clone();
        tokio::spawn(async move {
            while !server.durability.stopping() {
                server.process_expired_tokens();
                server.process_due_leases().await;
                server.finish_namespace_deletions();
                server.process_due_rollbacks().await;
                let due = [
                    server.next_due_in(),
                    server.next_rollback_in(),
                    server.next_token_expiry_in(),
                ];
                let wait = due
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(StdDuration::from_secs(3600))
                    .min(StdDuration::from_secs(3600));
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = server.leases_changed.notified() => {}
                    () = server.durability.stopped() => {}
                }
            }
        })
    }

    /// At a stop: the background worker ends after the attempt under way, and queued
    /// revocations are waited for (at most `limit`). How many were still running.
    pub async fn stop_background(&self, limit: StdDuration) -> usize {
        self.durability.request_stop();
        self.durability.background_finished(limit).await
    }

    /// Makes the expiry worker re-read the lease table and the clock now (useful after a
    /// test moves a manual clock).
    pub fn wake_lease_expiry(&self) {
        self.leases_changed.notify_one();
    }

    async fn sys_route(&self, req: &VaultRequest, rest: &str) -> Reply {
        use http::Operation;
        let trimmed = rest.trim_end_matches('/');
        match trimmed {
            "health" => return self.health(req),
            "seal-status" => return self.seal_status(),
            // `mounts$` and `mounts/(?P<path>.+?)`: `mounts/` is neither.
            "mounts" if rest.ends_with('/') && req.operation != Operation::List => {
                return Reply::unsupported_path();
            }
            "mounts" => {
                return match req.operation {
                    Operation::Read => self.mounts_list(req),
                    Operation::List => Reply::unsupported_path(),
                    _ => Reply::unsupported_operation(),
                };
            }
            "capabilities-self" => {
                let reply = self.capabilities_self(req);
                return reply.warn_ignored(req, &["paths", "path", "token"]);
            }
            // The one secrets plugin this server has, so a client can ask before mounting.
            "plugins/catalog/secret/aws" if req.operation == Operation::Read => {
                return sys::catalog_entry_aws();
            }
            "leases" if req.operation == Operation::Read => return self.irrevocable_list(req),
            "leases/count" if req.operation == Operation::Read => {
                return self.irrevocable_count(req);
            }
            _ => {}
        }
        if let Some(path) = rest.strip_prefix("mounts/") {
            return self.mount_route(req, path).await;
        }
        if trimmed == "namespaces" || rest.starts_with("namespaces/") {
            return self.namespaces_route(req, rest).await;
        }
        if let Some(reply) = self.policy_route(req, rest) {
            return reply;
        }
        if let Some(reply) = self.lease_route(req, rest).await {
            let known: &[&str] = match rest.trim_start_matches("leases/").split('/').next() {
                Some("lookup") => &["lease_id", "prefix"],
                Some("renew") => &["lease_id", "url_lease_id", "increment"],
                _ => &["lease_id", "url_lease_id", "sync", "prefix"],
            };
            return reply.warn_ignored(req, known);
        }
        not_implemented::sys(rest)
    }

    // ---- helpers shared by the modules ----

    /// The state, locked; what is changed through it is recorded as the lock is released.
    fn lock(&self) -> Recorded<'_, VaultState> {
        // A panic while holding the lock must not take the server down with it.
        let state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Recorded::new(state, self.durability.store.as_ref())
    }

    /// Waits until everything recorded so far is on disk (at once without a state file);
    /// the reason if it never will be.
    async fn kept(&self) -> Result<(), Arc<str>> {
        match &self.durability.store {
            Some(store) => store.durable(store.last_seq()).await,
            None => Ok(()),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// After every state mutation: the state file is rewritten and the expiry worker
    /// reconsiders its schedule.
    fn changed(&self) {
        self.on_change.notify_one();
        self.leases_changed.notify_one();
    }

    /// Runs `f` on the AWS engine state of `mount`, if it is an AWS mount.
    fn engine<R>(&self, mount: &str, f: impl FnOnce(&mut AwsEngineState) -> R) -> Option<R> {
        let mut state = self.lock();
        state
            .mounts
            .get_mut(mount)
            .and_then(|m| m.aws.as_mut())
            .map(f)
    }

    fn begin_revoking(&self, id: &str) -> Option<RevokingGuard> {
        let mut set = self.revoking.lock().expect("revoking lock");
        if !set.insert(id.to_owned()) {
            return None;
        }
        Some(RevokingGuard {
            id: id.to_owned(),
            revoking: self.revoking.clone(),
            leases_changed: self.leases_changed.clone(),
        })
    }

    /// Where and as whom the engine at `mount` calls IAM.
    fn iam_target(&self, mount: &str) -> Result<IamTarget, String> {
        let root = self.engine(mount, |aws| aws.root.clone()).flatten();
        let keys = root.as_ref().map_or((false, false), |r| {
            (!r.access_key.is_empty(), !r.secret_key.expose().is_empty())
        });
        match (root, keys) {
            // Vault's credential chain refuses half a static key pair before any AWS call.
            (Some(_), (true, false) | (false, true)) => Err(PARTIAL_STATIC_KEYS.to_owned()),
            (Some(root), (true, true)) => Ok(self.iam_target_from(root)),
            // Vault would go on to the default credential chain (environment, profile,
            // instance role); the sandbox has none.
            _ => Err(NO_STATIC_KEYS.to_owned()),
        }
    }

    fn iam_target_from(&self, root: RootConfig) -> IamTarget {
        IamTarget {
            endpoint: self.durability.route(if root.iam_endpoint.is_empty() {
                self.options.default_aws_endpoint.clone()
            } else {
                root.iam_endpoint.clone()
            }),
            region: if root.iam_endpoint.is_empty() {
                // The sandbox stands in for IAM's global endpoint, which Vault's SDK signs
                // for us-east-1 whatever config/root's region is.
                iam_client::GLOBAL_SIGNING_REGION.to_owned()
            } else if root.region.is_empty() {
                self.options.default_region.clone()
            } else {
                root.region.clone()
            },
            access_key: root.access_key.clone(),
            secret_key: SecretString::from(root.secret_key.expose().to_owned()),
            max_retries: root.max_retries,
        }
    }

    /// The lease and the IAM target to revoke it with; `None` if the lease is unknown.
    fn revocation_target(&self, id: &str) -> Option<(Lease, Result<IamTarget, String>)> {
        let lease = self.lock().leases.get(id).cloned()?;
        let target = self.iam_target(&lease.mount);
        Some((lease, target))
    }
}

async fn serve(
    State(server): State<VaultServer>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let raw = uri.path();
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned();
    if let Err(reply) = request_path::check(raw, &decoded, uri.query()) {
        return reply.into_response();
    }
    let started = std::time::Instant::now();
    let path = decoded.strip_prefix("/v1").unwrap_or("");
    let token = http::token_from_headers(&headers);
    let mut served_in = namespace::NsRef::root();
    let reply = match http::parse_request(&method, path, uri.query(), &headers, &body) {
        Ok(req) => match not_implemented::request_feature(uri.query(), &headers) {
            // Vault's own unauthenticated handlers take neither help nor wrapping.
            Some(refusal) if !UNAUTHENTICATED.contains(&req.path.as_str()) => {
                if auth::is_root(req.token.as_deref(), &server.root_token()) {
                    refusal
                } else {
                    Reply::permission_denied()
                }
            }
            _ => {
                let (reply, ns) = server.handle_in(req).await;
                served_in = ns;
                reply
            }
        },
        Err(reply) => reply,
    };
    server.report(
        &method,
        &served_in,
        path,
        token.as_deref(),
        &reply,
        started.elapsed(),
    );
    let mut response = reply.into_response();
    // OpenBao echoes the header as it was sent.
    if let Some(value) = headers.get("x-vault-namespace") {
        response
            .headers_mut()
            .insert("x-vault-namespace", value.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_state_has_a_random_root_token_and_vaults_own_mounts() {
        let a = VaultState::new();
        let b = VaultState::new();
        let token = a.root_token.expose();
        assert!(token.starts_with("hvs."));
        assert_eq!(token.len(), 4 + 24);
        assert!(token[4..].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a.root_token, b.root_token);
        assert_eq!(
            a.mounts.keys().collect::<Vec<_>>(),
            ["cubbyhole/", "identity/", "sys/"]
        );
    }

    #[test]
    fn state_keeps_secrets_out_of_debug_but_in_the_state_file() {
        let mut state = VaultState::new();
        let mut mount = sys::new_mount("aws/", "aws", "");
        mount.aws.as_mut().unwrap().root = Some(RootConfig {
            access_key: "AKIAEXAMPLE".into(),
            secret_key: PersistedSecret::new("wJalrXUtnFEMI-secret"),
            region: String::new(),
            iam_endpoint: String::new(),
            sts_endpoint: String::new(),
            max_retries: -1,
            username_template: username::DEFAULT_USERNAME_TEMPLATE.into(),
        });
        state.mounts.insert("aws/".into(), mount);
        let debug = format!("{state:?}");
        assert!(!debug.contains("wJalrXUtnFEMI-secret"));
        assert!(!debug.contains(state.root_token.expose()));
        let json = serde_json::to_string(&state).unwrap();
        let back: VaultState = serde_json::from_str(&json).unwrap();
        let root = back.mounts["aws/"]
            .aws
            .as_ref()
            .unwrap()
            .root
            .as_ref()
            .unwrap();
        assert_eq!(root.secret_key.expose(), "wJalrXUtnFEMI-secret");
        assert_eq!(back.root_token, state.root_token);
    }
}
