//! The embedded sandbox: a Vault-compatible server with the AWS secrets engine (`vault/`)
//! and an AWS-compatible endpoint (`aws/`), served together on one port.
//! Requests under `/v1/` go to Vault; everything else is an AWS query-protocol request,
//! so `VAULT_ADDR` and `AWS_ENDPOINT_URL` are the same URL.
//!
//! With `--state`, every change is in the state file's log before it is answered
//! (`persist/`). The engine's IAM calls to the sandbox itself come in through a second,
//! loopback listener (`serve/`). A stop drains: the public listener closes and its
//! requests finish (the engine's listener still open for their calls), queued revocations
//! finish, the engine's listener closes, then the whole state is saved.

pub mod aws;
pub mod engine_call;
pub mod events;
pub mod faults;
pub mod persist;
pub mod room;
pub mod serve;
pub mod state;
pub mod tls;
pub mod vault;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

use self::aws::{AdminCredentials, AwsEndpoint, AwsOptions, AwsState};
use self::persist::Store;
use self::state::{SandboxState, StateError};
use self::vault::{VaultOptions, VaultServer, VaultState};
use vaultlab_wire::secret::PersistedSecret;

/// Rung by a server after every change to its state.
pub type ChangeNotifier = Arc<Notify>;

/// How long a new access key takes to work unless told otherwise: long enough that the
/// lab shows IAM's eventual consistency, short enough not to bore anyone.
pub const DEFAULT_PROPAGATION_DELAY: Duration = Duration::from_secs(3);
pub const DEFAULT_REGION: &str = "us-east-1";
/// How long a stop waits for requests in flight (then for background revocations).
pub const DRAIN_LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct SandboxOptions {
    pub listen: SocketAddr,
    pub propagation_delay: Duration,
    pub state_path: Option<PathBuf>,
    pub region: String,
    /// Connection cap, read timeouts and size bounds (by default from `ulimit -n`).
    pub limits: serve::Limits,
    /// Serve a workshop room (seats: a namespace and an AWS account each). A state file
    /// that already holds a room serves it again whatever this says.
    pub room: Option<RoomOptions>,
    /// Serve HTTPS with this certificate (a room's `--tls`); the engine's own loopback
    /// listener stays plain HTTP.
    pub tls: Option<Arc<tls::TlsIdentity>>,
}

/// A room's settings at its first start.
#[derive(Debug, Clone)]
pub struct RoomOptions {
    pub title: String,
    pub max_seats: usize,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            propagation_delay: DEFAULT_PROPAGATION_DELAY,
            state_path: None,
            region: DEFAULT_REGION.to_owned(),
            limits: serve::Limits::default(),
            room: None,
            tls: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// One listener being served (see `serve`), stopped gracefully on request.
struct Served {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Served {
    fn start(
        listener: TcpListener,
        router: Router,
        limits: serve::Limits,
        name: &'static str,
        tls: Option<&tls::TlsIdentity>,
    ) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let tls = tls.map(tls::TlsIdentity::acceptor);
        let task = tokio::spawn(serve::serve(listener, router, limits, name, tls, async {
            let _ = stopped.await;
        }));
        Self {
            stop: Some(stop),
            task,
        }
    }

    /// Stops accepting connections and waits (at most `limit`) for the requests in flight;
    /// false if some were cut off.
    async fn drain(&mut self, limit: Duration) -> bool {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let finished = tokio::time::timeout(limit, &mut self.task).await.is_ok();
        self.task.abort();
        finished
    }
}

/// A running sandbox. Dropping it stops nothing cleanly: call [`Sandbox::shutdown`].
pub struct Sandbox {
    url: String,
    tls: Option<Arc<tls::TlsIdentity>>,
    region: String,
    vault: VaultServer,
    aws: AwsEndpoint,
    store: Option<Store>,
    events: events::Events,
    room: Option<room::Room>,
    public: Served,
    engine: Served,
    lease_worker: JoinHandle<()>,
}

impl Sandbox {
    /// Restores the state file (and its log) if there is one, binds, and starts serving.
    pub async fn start(options: SandboxOptions) -> Result<Self, SandboxError> {
        let (restored, lock) = match &options.state_path {
            Some(path) => {
                let (restored, lock) = persist::open(path)?;
                (restored, Some(lock))
            }
            None => (None, None),
        };
        let (vault_state, aws_state, log_seq) = match restored {
            Some(state) => (state.vault, state.aws, state.log_seq),
            None => (VaultState::new(), AwsState::new_account(), 0),
        };

        let bind = |addr: SocketAddr, scheme: &str| {
            let listener =
                serve::bind(addr).map_err(|source| SandboxError::Bind { addr, source })?;
            let bound = listener
                .local_addr()
                .map_err(|source| SandboxError::Bind { addr, source })?;
            Ok::<_, SandboxError>((listener, format!("{scheme}://{}", connectable(bound))))
        };
        let scheme = if options.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let (public_listener, url) = bind(options.listen, scheme)?;
        // The engine's own IAM calls come in through a listener of their own (see serve).
        let (engine_listener, engine_url) =
            bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0), "http")?;

        let changed: ChangeNotifier = Arc::new(Notify::new());
        let events = events::Events::default();
        let aws = AwsEndpoint::new(
            aws_state,
            AwsOptions {
                propagation_delay: options.propagation_delay,
                region: options.region.clone(),
            },
            changed.clone(),
        )
        .with_events(events.clone());
        // The printed root keys must be in the first snapshot (a learner may have deleted
        // them through the API: they are made again).
        aws.admin_credentials();
        let store = match (&options.state_path, lock) {
            (Some(path), Some(lock)) => {
                let snapshot = SandboxState {
                    format: state::FORMAT_VERSION,
                    vault: vault_state.clone(),
                    aws: aws.snapshot(),
                    log_seq,
                };
                Some(Store::start(path, &snapshot, lock)?)
            }
            _ => None,
        };
        let aws = aws.with_store(store.clone());
        let vault = VaultServer::new(
            vault_state,
            VaultOptions {
                default_aws_endpoint: engine_url.clone(),
                default_region: options.region.clone(),
            },
            changed,
        )
        .with_store(store.clone())
        .with_events(events.clone())
        .with_own_aws_endpoint(&url, &engine_url);
        let vault = if options.listen.ip().is_unspecified() {
            vault.with_every_interface()
        } else {
            vault
        };
        if let Some(store) = &store {
            let (vault, aws) = (vault.clone(), aws.clone());
            store.set_snapshot_source(Box::new(move |store: &Store| {
                let (vault, log_seq) = vault.snapshot_at(|| store.last_seq());
                SandboxState {
                    format: state::FORMAT_VERSION,
                    vault,
                    aws: aws.snapshot(),
                    log_seq,
                }
            }));
        }
        let room = match &options.room {
            Some(room) => Some(room::Room::open(
                vault.clone(),
                aws.clone(),
                events.clone(),
                &options.region,
                &room.title,
                room.max_seats,
            )),
            None => {
                room::Room::existing(vault.clone(), aws.clone(), events.clone(), &options.region)
            }
        };
        if let Some(room) = &room {
            room.start_tracking();
        }
        // After the tracker: a restart's due leases are revoked at once, and their events
        // belong in the seats' logs.
        let lease_worker = vault.spawn_lease_expiry();

        // Vault faults see every request first; AWS faults are answered by the AWS
        // endpoint once a request is authenticated. The admin API is the faults' own.
        let faults = faults::Faults::default();
        let router = vault
            .router()
            .merge(faults::admin_router(faults.clone(), vault.clone()))
            .merge(events::http::router(events.clone(), vault.clone()))
            .merge(match &room {
                Some(room) => room::http::router(room.clone(), vault.clone()),
                None => Router::new(),
            })
            .fallback_service(aws.router_with_faults(faults.clone()))
            .layer(axum::middleware::from_fn_with_state(
                faults.clone(),
                faults::inject,
            ));
        let public_router = match &store {
            Some(store) => router.layer(axum::middleware::from_fn_with_state(
                store.clone(),
                persist::barrier::answer_when_durable,
            )),
            None => router,
        };
        // The engine's listener serves its IAM calls only: AWS, faults included. Its
        // answers do not wait for the log: the engine's own record (a lease) comes after
        // theirs, and the Vault request waits for that one (see persist::barrier).
        let engine_router = aws.engine_router(faults);

        Ok(Self {
            url,
            tls: options.tls.clone(),
            region: options.region,
            vault,
            aws,
            store,
            events,
            room,
            public: Served::start(
                public_listener,
                public_router,
                options.limits.clone(),
                "sandbox",
                options.tls.as_deref(),
            ),
            engine: Served::start(
                engine_listener,
                engine_router,
                options.limits.for_engine(),
                "engine",
                None,
            ),
            lease_worker,
        })
    }

    /// The address for `VAULT_ADDR`.
    pub fn vault_addr(&self) -> &str {
        &self.url
    }

    /// The address for `AWS_ENDPOINT_URL` (the same port: AWS requests are not under `/v1/`).
    pub fn aws_endpoint_url(&self) -> &str {
        &self.url
    }

    /// The certificate it serves HTTPS with, if it does.
    pub fn tls(&self) -> Option<&tls::TlsIdentity> {
        self.tls.as_deref()
    }

    /// The room this sandbox serves, if it is one.
    pub fn room(&self) -> Option<&room::Room> {
        self.room.as_ref()
    }

    /// What happens in the sandbox, as it happens.
    pub fn events(&self) -> &events::Events {
        &self.events
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn root_token(&self) -> PersistedSecret {
        self.vault.root_token()
    }

    /// The AWS endpoint (a room makes an account per seat through it).
    pub fn aws(&self) -> &AwsEndpoint {
        &self.aws
    }

    /// The sandbox account's admin keys: the lab's "root keys".
    pub fn admin_credentials(&self) -> AdminCredentials {
        self.aws.admin_credentials()
    }

    /// The environment a second terminal needs to use the sandbox with the `vault`/`bao`
    /// and `aws` CLIs. Values include the token and the admin secret key, on purpose.
    pub fn environment(&self) -> Vec<(&'static str, String)> {
        let admin = self.admin_credentials();
        vec![
            ("VAULT_ADDR", self.vault_addr().to_owned()),
            ("VAULT_TOKEN", self.root_token().expose().to_owned()),
            ("AWS_ENDPOINT_URL", self.aws_endpoint_url().to_owned()),
            ("AWS_REGION", self.region.clone()),
            // The aws CLI v1 and older SDKs read only this one.
            ("AWS_DEFAULT_REGION", self.region.clone()),
            ("AWS_ACCESS_KEY_ID", admin.access_key_id),
            (
                "AWS_SECRET_ACCESS_KEY",
                admin.secret_access_key.expose().to_owned(),
            ),
        ]
    }

    /// Stops as Vault does: no new connections; requests in flight finish (the engine's
    /// calls to the sandbox itself still served); the background worker finishes what it
    /// is doing; then the whole state is saved.
    pub async fn shutdown(mut self) -> Result<(), SandboxError> {
        // Open event streams would hold the drain open.
        self.events.close();
        if !self.public.drain(DRAIN_LIMIT).await {
            tracing::warn!(
                "requests still running after {}s were cut off",
                DRAIN_LIMIT.as_secs()
            );
        }
        let left = self.vault.stop_background(DRAIN_LIMIT).await;
        if left > 0 {
            tracing::warn!("{left} queued revocations cut off; they are retried at the next start");
        }
        let _ = tokio::time::timeout(DRAIN_LIMIT, &mut self.lease_worker).await;
        self.lease_worker.abort();
        if let Some(room) = &self.room {
            // What the last requests did to the seats' progress is kept too.
            room.stop_tracking().await;
        }
        self.engine.drain(Duration::from_secs(5)).await;
        if let Some(store) = self.store.take() {
            tokio::task::spawn_blocking(move || store.close())
                .await
                .expect("state save task")?;
        }
        Ok(())
    }
}

/// A wildcard bind (`0.0.0.0`, `::`) is reached through loopback from this machine.
fn connectable(bound: SocketAddr) -> SocketAddr {
    match bound.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), bound.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), bound.port())
        }
        _ => bound,
    }
}
