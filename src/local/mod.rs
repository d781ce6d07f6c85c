//! Real servers vaultlab starts on this machine for a lab that the embedded sandbox cannot
//! serve, when no Vault is named: a Vault dev server (OpenBao's `bao`, else HashiCorp's
//! `vault`) and the servers the lab's engine works with (PostgreSQL for the database lab).
//! They listen on loopback ports and keep everything in one temporary directory; stopping
//! them (at exit, on a signal, on an error, or when dropped) stops each cleanly and
//! removes the directory. What is not installed is said, one line per piece, with the
//! command that installs it.

mod keeper;
mod postgres;
mod process;
pub mod programs;
mod vault_dev;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use postgres::LocalPostgres;
pub use vault_dev::DevVault;

use crate::setup::EnvVar;
use process::Managed;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// Programs this machine lacks, one line each with its install command.
    #[error(
        "the {lab} lab runs on servers vaultlab starts itself when no Vault is named, and this machine lacks:\n{}\nInstall {} and run it again, or name your own: VAULT_ADDR and VAULT_TOKEN for Vault, PGHOST, PGPORT, PGUSER and PGPASSWORD for PostgreSQL.",
        .missing.iter().map(|line| format!("  {line}")).collect::<Vec<_>>().join("\n"),
        if .missing.len() == 1 { "it" } else { "them" }
    )]
    Missing { lab: String, missing: Vec<String> },
    #[error("cannot start {what}: {reason}")]
    Start { what: String, reason: String },
    #[error("cannot {doing}: {error}")]
    Io {
        doing: &'static str,
        error: std::io::Error,
    },
    #[error(
        "stopped by {0} while starting the servers; they are stopped and their directory removed"
    )]
    Interrupted(&'static str),
}

impl LocalError {
    fn io(doing: &'static str, error: std::io::Error) -> Self {
        LocalError::Io { doing, error }
    }

    fn start(what: &str, reason: String) -> Self {
        LocalError::Start {
            what: what.to_owned(),
            reason,
        }
    }

    /// The lines to print, when the error is a list (what to install); else `None`.
    pub fn lines(&self) -> Option<Vec<String>> {
        matches!(self, LocalError::Missing { .. })
            .then(|| self.to_string().lines().map(str::to_owned).collect())
    }
}

/// How long a server may take to answer.
const READY_WITHIN: Duration = Duration::from_secs(30);

/// Why a server did not come up.
enum Exit {
    /// Someone took the port between our probe and its bind: try another.
    PortTaken,
    Failed(String),
}

/// The servers' processes and their directory, shared with whoever may stop them (a
/// signal's handler). Stopping is done once; dropping stops.
#[derive(Debug)]
struct Shared {
    servers: Mutex<Vec<Managed>>,
    dir: Mutex<Option<tempfile::TempDir>>,
    path: PathBuf,
    /// Stops the servers and removes the directory if vaultlab is killed outright.
    keeper: keeper::Keeper,
}

impl Shared {
    fn new() -> Result<Shared, LocalError> {
        let dir = tempfile::Builder::new()
            .prefix("vaultlab-")
            .tempdir()
            .map_err(|e| LocalError::io("make a temporary directory", e))?;
        let keeper = keeper::Keeper::start(dir.path())
            .map_err(|e| LocalError::io("start the servers' keeper (/bin/sh)", e))?;
        Ok(Shared {
            keeper,
            path: dir.path().to_owned(),
            servers: Mutex::new(Vec::new()),
            dir: Mutex::new(Some(dir)),
        })
    }

    fn servers(&self) -> MutexGuard<'_, Vec<Managed>> {
        self.servers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a started server into the list of those to stop; returns its index.
    fn adopt(&self, server: Managed) -> usize {
        let mut servers = self.servers();
        self.keeper.watch(server.id(), server.stop_signal());
        servers.push(server);
        servers.len() - 1
    }

    /// Whether server `index` has exited: its status, its log's end, and whether the log
    /// says `words`.
    fn exited(&self, index: usize, words: &str) -> Option<(String, String, bool)> {
        let mut servers = self.servers();
        let server = servers.get_mut(index)?;
        let status = server.exited()?;
        Some((
            status.to_string(),
            server.log_tail(),
            server.log_says(words),
        ))
    }

    /// Asks `answers` until it has the version of server `index`, which is watched the
    /// while: its exit ends the wait (its port taken by another when its log says
    /// `port_in_use`), and so does [`READY_WITHIN`], with `silent` saying what it did not do.
    async fn wait_ready(
        &self,
        index: usize,
        port_in_use: &str,
        silent: &str,
        mut answers: impl AsyncFnMut() -> Option<String>,
    ) -> Result<String, Exit> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Some(version) = answers().await {
                return Ok(version);
            }
            if let Some((status, tail, port_taken)) = self.exited(index, port_in_use) {
                return Err(if port_taken {
                    Exit::PortTaken
                } else {
                    Exit::Failed(format!("it exited ({status}): {tail}"))
                });
            }
            if Instant::now() >= deadline {
                return Err(Exit::Failed(format!("{silent} within {READY_WITHIN:?}")));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the servers and removes the directory; a second call waits for the first to
    /// finish (a signal's handler may exit the process as soon as it returns), then does
    /// nothing.
    fn stop(&self) -> Result<(), LocalError> {
        let mut dir = self.dir.lock().unwrap_or_else(|p| p.into_inner());
        process::stop_all(&mut self.servers());
        let removed = match dir.take() {
            Some(dir) => dir
                .close()
                .map_err(|e| LocalError::io("remove the servers' directory", e)),
            None => Ok(()),
        };
        self.keeper.release();
        removed
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            tracing::error!("{error}");
        }
    }
}

/// The servers started for one run.
#[derive(Debug)]
pub struct LocalServers {
    shared: Arc<Shared>,
    pub vault: DevVault,
    pub postgres: Option<LocalPostgres>,
}

impl LocalServers {
    /// Starts a Vault dev server, and PostgreSQL when `postgres`, side by side. A signal
    /// meanwhile (Ctrl-C, SIGTERM, SIGHUP) stops what had started and removes the
    /// directory before returning.
    pub async fn start(lab: &str, postgres: bool) -> Result<LocalServers, LocalError> {
        let found = programs::find(postgres);
        let missing = found.missing();
        if !missing.is_empty() {
            return Err(LocalError::Missing {
                lab: lab.to_owned(),
                missing,
            });
        }
        let postgres_user = found.postgres_user.flatten();
        let Some(vault) = found.vault else {
            unreachable!("a missing Vault is said above");
        };
        let mut signals =
            StopSignals::new().map_err(|e| LocalError::io("listen for signals", e))?;
        let shared = Arc::new(Shared::new()?);
        if postgres_user.is_some() {
            // The postgres user reaches its own directory through this one.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&shared.path, std::fs::Permissions::from_mode(0o711))
                .map_err(|e| LocalError::io("open the servers' directory to PostgreSQL", e))?;
        }
        let starting = async {
            let vault = vault_dev::start(&vault, &shared.path, &shared);
            let postgres = async {
                match &found.postgres {
                    Some(Some(programs)) => {
                        postgres::start(programs, postgres_user, &shared.path, &shared)
                            .await
                            .map(Some)
                    }
                    _ => Ok(None),
                }
            };
            tokio::try_join!(vault, postgres)
        };
        let (vault, postgres) = tokio::select! {
            started = starting => started?,
            signal = signals.recv() => {
                shared.stop()?;
                return Err(LocalError::Interrupted(signal.name));
            }
        };
        Ok(LocalServers {
            shared,
            vault,
            postgres,
        })
    }

    /// What a second terminal needs to reach these servers with the real CLIs: Vault's
    /// address and token, and PostgreSQL's as libpq (psql) reads them.
    pub fn environment(&self) -> Vec<EnvVar> {
        let mut env = vec![
            EnvVar::plain("VAULT_ADDR", &self.vault.addr),
            EnvVar::secret("VAULT_TOKEN", &self.vault.token),
        ];
        if let Some(pg) = &self.postgres {
            env.extend([
                EnvVar::plain("PGHOST", &pg.host),
                EnvVar::plain("PGPORT", &pg.port.to_string()),
                EnvVar::plain("PGUSER", &pg.user),
                EnvVar::secret("PGPASSWORD", &pg.password),
            ]);
        }
        env
    }

    /// What was started, for the mode line: `OpenBao 2.7.2 dev server`, `PostgreSQL 15.18`.
    pub fn started(&self) -> Vec<String> {
        let mut started = vec![format!("{} dev server", self.vault.version)];
        started.extend(self.postgres.as_ref().map(|pg| pg.version.clone()));
        started
    }

    /// The servers' directory, removed when they stop.
    pub fn dir(&self) -> &std::path::Path {
        &self.shared.path
    }

    /// Stops the servers cleanly and removes their directory.
    pub fn stop(&self) -> Result<(), LocalError> {
        self.shared.stop()
    }

    /// For a command that does not handle signals itself (`walk`, `doctor`): a signal
    /// stops the servers, removes their directory, and ends the process as the signal
    /// would have (exit status 128 + its number).
    pub fn stop_on_signals(&self) -> std::io::Result<()> {
        let mut signals = StopSignals::new()?;
        let shared = Arc::clone(&self.shared);
        tokio::spawn(async move {
            let signal = signals.recv().await;
            let stopped = shared.stop();
            let mut said = format!(
                "vaultlab: stopped by {}; the servers it started are stopped",
                signal.name
            );
            if let Err(error) = stopped {
                said.push_str(&format!(", but: {error}"));
            } else {
                said.push_str(" and their directory removed");
            }
            eprintln!("{said}");
            std::process::exit(128 + signal.number);
        });
        Ok(())
    }
}

/// A signal that ends a run.
#[derive(Debug, Clone, Copy)]
struct Stop {
    name: &'static str,
    number: i32,
}

/// SIGTERM, SIGINT (Ctrl-C), SIGHUP (the terminal closed) and SIGQUIT.
struct StopSignals(Vec<(tokio::signal::unix::Signal, Stop)>);

impl StopSignals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut list = Vec::new();
        for (kind, name, number) in [
            (SignalKind::terminate(), "SIGTERM", libc::SIGTERM),
            (SignalKind::interrupt(), "SIGINT", libc::SIGINT),
            (SignalKind::hangup(), "SIGHUP", libc::SIGHUP),
            (SignalKind::quit(), "SIGQUIT", libc::SIGQUIT),
        ] {
            list.push((signal(kind)?, Stop { name, number }));
        }
        Ok(Self(list))
    }

    async fn recv(&mut self) -> Stop {
        let waits = self.0.iter_mut().map(|(signal, stop)| {
            let stop = *stop;
            Box::pin(async move {
                signal.recv().await;
                stop
            })
        });
        futures::future::select_all(waits).await.0
    }
}
