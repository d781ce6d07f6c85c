//! The embedded sandbox: a Vault-compatible server with the AWS secrets engine (`vault/`)
//! and an AWS-compatible endpoint (`aws/`), served together on one port.
//! Requests under `/v1/` go to Vault; everything else is an AWS query-protocol request,
//! so `VAULT_ADDR` and `AWS_ENDPOINT_URL` are the same URL.

pub mod aws;
pub mod faults;
pub mod serve;
pub mod state;
pub mod vault;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

use self::aws::{AdminCredentials, AwsEndpoint, AwsOptions, AwsState};
use self::state::{SandboxState, StateError};
use self::vault::{VaultOptions, VaultServer, VaultState};
use vaultlab_wire::secret::PersistedSecret;

/// Rung by a server after every change to its state, so the state file can be rewritten.
pub type ChangeNotifier = Arc<Notify>;

/// How long a new access key takes to work unless told otherwise: long enough that the
/// lab shows IAM's eventual consistency, short enough not to bore anyone.
pub const DEFAULT_PROPAGATION_DELAY: Duration = Duration::from_secs(3);
pub const DEFAULT_REGION: &str = "us-east-1";

#[derive(Debug, Clone)]
pub struct SandboxOptions {
    pub listen: SocketAddr,
    pub propagation_delay: Duration,
    pub state_path: Option<PathBuf>,
    pub region: String,
    /// Connection cap, read timeouts and size bounds (by default from `ulimit -n`).
    pub limits: serve::Limits,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            propagation_delay: DEFAULT_PROPAGATION_DELAY,
            state_path: None,
            region: DEFAULT_REGION.to_owned(),
            limits: serve::Limits::default(),
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

/// A running sandbox. Dropping it stops nothing cleanly: call [`Sandbox::shutdown`].
pub struct Sandbox {
    url: String,
    region: String,
    vault: VaultServer,
    aws: AwsEndpoint,
    state_path: Option<PathBuf>,
    state_writes: Arc<StateWrites>,
    stop_server: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
    background: Vec<JoinHandle<()>>,
}

impl Sandbox {
    /// Restores the state file if there is one, binds, and starts serving.
    pub async fn start(options: SandboxOptions) -> Result<Self, SandboxError> {
        let restored = match &options.state_path {
            Some(path) => state::load(path)?,
            None => None,
        };
        let (vault_state, aws_state) = match restored {
            Some(state) => (state.vault, state.aws),
            None => (VaultState::new(), AwsState::new_account()),
        };

        let listener = serve::bind(options.listen).map_err(|source| SandboxError::Bind {
            addr: options.listen,
            source,
        })?;
        let bound = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: options.listen,
            source,
        })?;
        let url = format!("http://{}", connectable(bound));
        // The engine's own IAM calls come in through a listener of their own (see serve).
        let engine_addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
        let engine_listener = serve::bind(engine_addr).map_err(|source| SandboxError::Bind {
            addr: engine_addr,
            source,
        })?;
        let engine_url = match engine_listener.local_addr() {
            Ok(addr) => format!("http://{addr}"),
            Err(source) => {
                return Err(SandboxError::Bind {
                    addr: engine_addr,
                    source,
                });
            }
        };

        let changed: ChangeNotifier = Arc::new(Notify::new());
        let aws = AwsEndpoint::new(
            aws_state,
            AwsOptions {
                propagation_delay: options.propagation_delay,
                region: options.region.clone(),
            },
            changed.clone(),
        );
        let vault = VaultServer::new(
            vault_state,
            VaultOptions {
                default_aws_endpoint: engine_url,
                default_region: options.region.clone(),
            },
            changed.clone(),
        );

        let mut background = Vec::new();
        let state_writes = Arc::new(StateWrites::default());
        if let Some(path) = &options.state_path {
            // Written at once so a new --state file holds the token just printed.
            save(path, &vault, &aws, &state_writes).await?;
            background.push(tokio::spawn(persist_on_change(
                path.clone(),
                changed,
                vault.clone(),
                aws.clone(),
                state_writes.clone(),
            )));
        }
        background.push(vault.spawn_lease_expiry());

        // Vault faults see every request first; AWS faults are answered by the AWS
        // endpoint once a request is authenticated. The admin API is the faults' own.
        let faults = faults::Faults::default();
        let router = vault
            .router()
            .merge(faults::admin_router(faults.clone(), vault.clone()))
            .fallback_service(aws.router_with_faults(faults.clone()))
            .layer(axum::middleware::from_fn_with_state(faults, faults::inject));
        let (stop_server, stopped) = oneshot::channel::<()>();
        let limits = options.limits.clone();
        let server = tokio::spawn(serve::serve_sandbox(
            listener,
            engine_listener,
            router,
            limits,
            async {
                let _ = stopped.await;
            },
        ));

        Ok(Self {
            url,
            region: options.region,
            vault,
            aws,
            state_path: options.state_path,
            state_writes,
            stop_server: Some(stop_server),
            server,
            background,
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

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn root_token(&self) -> PersistedSecret {
        self.vault.root_token()
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

    /// Stops serving, then writes the state file one last time.
    pub async fn shutdown(mut self) -> Result<(), SandboxError> {
        if let Some(stop) = self.stop_server.take() {
            let _ = stop.send(());
        }
        // Keep-alive connections from CLIs can hold a graceful shutdown open; don't wait
        // on them for long.
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut self.server).await;
        self.server.abort();
        for task in &self.background {
            task.abort();
        }
        if let Some(path) = &self.state_path {
            save(path, &self.vault, &self.aws, &self.state_writes).await?;
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

/// Orders the writes of one state file. A write runs on a blocking thread that outlives
/// an aborted task, so the change writer's last write can still be under way when
/// `shutdown` writes: both would use the same temporary file. One writer at a time, and a
/// snapshot older than the one already written is dropped.
#[derive(Default)]
struct StateWrites {
    taken: AtomicU64,
    written: std::sync::Mutex<u64>,
}

async fn save(
    path: &Path,
    vault: &VaultServer,
    aws: &AwsEndpoint,
    writes: &Arc<StateWrites>,
) -> Result<(), StateError> {
    let sequence = writes.taken.fetch_add(1, Ordering::SeqCst) + 1;
    let snapshot = SandboxState {
        format: state::FORMAT_VERSION,
        vault: vault.snapshot(),
        aws: aws.snapshot(),
    };
    let path = path.to_owned();
    let writes = writes.clone();
    tokio::task::spawn_blocking(move || {
        let mut written = writes.written.lock().unwrap_or_else(|e| e.into_inner());
        if *written > sequence {
            return Ok(());
        }
        state::save(&path, &snapshot)?;
        *written = sequence;
        Ok(())
    })
    .await
    .expect("state writer task")
}

/// Rewrites the state file after each burst of changes. One writer, so a later snapshot
/// never lands before an earlier one.
async fn persist_on_change(
    path: PathBuf,
    changed: ChangeNotifier,
    vault: VaultServer,
    aws: AwsEndpoint,
    writes: Arc<StateWrites>,
) {
    loop {
        changed.notified().await;
        if let Err(e) = save(&path, &vault, &aws, &writes).await {
            tracing::error!("{e}");
        }
    }
}
