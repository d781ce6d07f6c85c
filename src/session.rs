//! Where a lab run's requests go, decided once at start: the embedded sandbox, servers
//! vaultlab starts for a lab the sandbox cannot serve, or the learner's own Vault and the
//! engine's service; and the lab's engine, as its `engine` field names it. Shared by the
//! TUI, `vaultlab walk`, `doctor` and `cleanup`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;

use crate::engines::aws;
use crate::engines::database;
use crate::engines::{self, Engine, Values, spec};
use crate::lab::{self, Lab, LabError};
use crate::lease::journal::{self, Journal, JournalError};
use crate::local::{LocalError, LocalServers};
use crate::setup::{Connection, EnvVar, JournalStart, Mode, Prefill, StartInputs};
use crate::vault::config::VaultFlags;
use crate::vault::{VaultClient, VaultConfig, VaultError};
use vaultlab_sandbox::{Sandbox, SandboxError, SandboxOptions};

#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    pub force_sandbox: bool,
    pub force_live: bool,
    pub propagation_delay: Option<Duration>,
    /// AWS requests (vaultlab's own, and Vault's engine's) go here: moto, LocalStack.
    pub aws_endpoint: Option<String>,
    pub labs_dir: Option<PathBuf>,
    pub lab_id: Option<String>,
    /// `--address`, `--namespace`, …: each wins over its `VAULT_*` variable.
    pub vault_flags: VaultFlags,
    /// In a workshop room's seat (`vaultlab join`): the room serves Vault and AWS at the
    /// one address `join` was given, and what goes wrong with them is said so.
    pub in_room: bool,
}

pub struct Session {
    pub lab: Lab,
    pub connection: Connection,
    pub vault: VaultClient,
    /// The lab's secrets engine, as vaultlab uses it (AWS: STS, EC2, IAM).
    pub engine: Arc<dyn Engine>,
    pub prefill: Option<Prefill>,
    /// Running while the session lasts, in sandbox mode.
    pub sandbox: Option<Sandbox>,
    /// The servers vaultlab started for a lab the sandbox cannot serve (local mode).
    pub local: Option<LocalServers>,
    /// The lease journal of this Vault (live mode; the embedded sandbox and its leases
    /// end with the process, so there is nothing to remember).
    pub journal: Option<Arc<Mutex<Journal>>>,
    /// A journal that could not be read, reported once at start.
    pub journal_problem: Option<JournalError>,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Lab(#[from] LabError),
    #[error("cannot start the sandbox: {0}")]
    Sandbox(#[from] SandboxError),
    #[error("{0} → {hint}", hint = .0.hint())]
    Vault(#[from] VaultError),
    #[error("--sandbox and --live cannot both be given")]
    ConflictingModes,
    #[error(transparent)]
    Local(#[from] LocalError),
    #[error("{flag} is for labs on the AWS engine; the {lab} lab does not use it")]
    NotForLab { flag: &'static str, lab: String },
}

/// Sandbox unless asked for live mode, or `VAULT_ADDR` is set and sandbox was not asked.
pub fn chooses_sandbox(
    options: &SessionOptions,
    vault_addr_set: bool,
) -> Result<bool, SessionError> {
    match (options.force_sandbox, options.force_live) {
        (true, true) => Err(SessionError::ConflictingModes),
        (true, false) => Ok(true),
        (false, true) => Ok(false),
        (false, false) => Ok(!vault_addr_set),
    }
}

/// What the AWS engine gives templates: the endpoint Vault's engine must use (IAM and
/// STS), when one was given on purpose. An ambient AWS_ENDPOINT_URL (a laptop's
/// LocalStack) never goes into a shared Vault's config: it would break the mount for
/// everyone else.
fn engine_vars(options: &SessionOptions) -> Vec<(String, String)> {
    options
        .aws_endpoint
        .iter()
        .map(|url| ("aws_endpoint".to_owned(), url.clone()))
        .collect()
}

pub async fn open(
    options: &SessionOptions,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Session, SessionError> {
    let lab_id = options.lab_id.as_deref().unwrap_or(lab::DEFAULT_LAB);
    let lab = match &options.labs_dir {
        Some(dir) => lab::load_from_dir(dir, lab_id)?,
        None => lab::load_embedded(lab_id)?,
    };
    let env = |name: &str| env(name).filter(|value| !value.is_empty());
    let aws_lab = lab.engine.id == spec::AWS.id;
    for (flag, given) in [
        ("--aws-endpoint", options.aws_endpoint.is_some()),
        ("--propagation-delay", options.propagation_delay.is_some()),
    ] {
        if given && !aws_lab {
            return Err(SessionError::NotForLab {
                flag,
                lab: lab.id.clone(),
            });
        }
    }
    // A Vault flag means a real Vault, as VAULT_ADDR does.
    let vault_given = env("VAULT_ADDR").is_some() || options.vault_flags.any();
    let own_servers = chooses_sandbox(options, vault_given)?;
    match (own_servers, aws_lab) {
        (true, true) => open_sandbox(lab, options, &env).await,
        // The sandbox serves the AWS engine only: other labs get real servers.
        (true, false) => open_local(lab, &env).await,
        (false, _) => open_live(lab, options, &env),
    }
}

/// The embedded sandbox: its Vault, and its AWS unless another endpoint (moto) was named.
async fn open_sandbox(
    lab: Lab,
    options: &SessionOptions,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Session, SessionError> {
    let mut sandbox_options = SandboxOptions::default();
    if let Some(delay) = options.propagation_delay {
        sandbox_options.propagation_delay = delay;
    }
    let sandbox = Sandbox::start(sandbox_options).await?;
    let config = VaultConfig::new(
        sandbox.vault_addr(),
        Some(SecretString::from(sandbox.root_token().expose().to_owned())),
    )?;
    // Another AWS endpoint (moto) has its own keys: taken from the environment.
    let engine = match &options.aws_endpoint {
        Some(url) => engines::for_lab(lab.engine, Some(url.clone()), None),
        None => engines::for_lab(
            lab.engine,
            Some(sandbox.aws_endpoint_url().to_owned()),
            aws::prefill(|_| None, Some(&sandbox)),
        ),
    };
    let connection = Connection {
        engine_vars: engine_vars(options),
        service_endpoint: options.aws_endpoint.clone(),
        ..Connection::new(Mode::Sandbox, sandbox.vault_addr())
    };
    Ok(Session {
        sandbox: Some(sandbox),
        ..Session::new(lab, connection, VaultClient::new(config)?, engine, env)
    })
}

/// The learner's own Vault, its journal of the leases vaultlab issues there, and the
/// engine's service as its CLI would find it.
fn open_live(
    lab: Lab,
    options: &SessionOptions,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Session, SessionError> {
    let config = VaultConfig::from_sources(&options.vault_flags, env)?;
    let vault = VaultClient::new(config)?;
    let (journal, journal_problem) = match journal::data_dir(env) {
        Some(dir) => {
            let namespace = vault.config().namespace.clone();
            let path = journal::path_for(&dir, vault.address(), namespace.as_deref());
            let (journal, problem) = Journal::open(
                path,
                vault.address(),
                namespace.as_deref(),
                chrono::Utc::now(),
            );
            (Some(journal), problem)
        }
        None => (None, None),
    };
    let service_endpoint = options
        .aws_endpoint
        .clone()
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .filter(|_| lab.engine.id == spec::AWS.id);
    let trust = aws_trust(
        options.vault_flags.pin.as_ref(),
        options.in_room,
        env("AWS_CA_BUNDLE"),
        &vault.config().proxy,
    )?;
    let engine = if lab.engine.id == spec::AWS.id {
        Arc::new(aws::AwsEngine {
            endpoint: service_endpoint.clone(),
            own_keys: None,
            trust,
            in_room: options.in_room,
        }) as Arc<dyn Engine>
    } else {
        engines::for_lab(lab.engine, service_endpoint.clone(), None)
    };
    let connection = Connection {
        mode: Mode::Live,
        vault_addr: vault.address().to_owned(),
        namespace: vault.config().namespace.clone(),
        engine_vars: engine_vars(options),
        service_endpoint,
    };
    Ok(Session {
        journal: journal.map(|journal| Arc::new(Mutex::new(journal))),
        journal_problem,
        ..Session::new(lab, connection, vault, engine, env)
    })
}

/// What the AWS calls trust, and through which proxies. A room's pin (a seat of a room
/// served with --tls, which serves AWS at Vault's address) is trusted for them too, by
/// the certificate's hash: its names may not be the address the room is reached at. A
/// seat's AWS calls go through the proxies its Vault calls use (loopback never, not
/// `ALL_PROXY`), pinned or not. Else the aws CLI's own variable, or the SDK's defaults.
fn aws_trust(
    pin: Option<&crate::tls_pin::Pin>,
    in_room: bool,
    bundle: Option<String>,
    proxy: &crate::vault::config::ProxySettings,
) -> Result<crate::aws::Trust, SessionError> {
    use crate::aws::{ConfiguredHttps, Trust};
    let seat_proxies = || crate::vault::client::proxies(proxy);
    Ok(match (pin, bundle) {
        (Some(pin), _) => Trust::Configured(ConfiguredHttps::new(
            Arc::new(pin.client_config()),
            seat_proxies()?,
        )),
        (None, _) if in_room => {
            Trust::Configured(ConfiguredHttps::with_platform_roots(seat_proxies()?))
        }
        (None, Some(bundle)) => Trust::Bundle(bundle.into()),
        (None, None) => Trust::Roots,
    })
}

/// A lab the sandbox cannot serve, with no Vault named: a Vault dev server and the
/// engine's servers, started here. Their leases end with them: no journal.
async fn open_local(
    lab: Lab,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Session, SessionError> {
    let needs_postgres = lab.engine.id == spec::DATABASE.id;
    let starting = StartingLine::show(needs_postgres);
    let local = LocalServers::start(&lab.id, needs_postgres).await;
    drop(starting);
    let local = local?;
    let config = VaultConfig::new(&local.vault.addr, Some(local.vault.token.clone()))?;
    let own = local.postgres.as_ref().map(|pg| Prefill {
        values: Values::default()
            .with(database::HOST, SecretString::from(pg.host.clone()))
            .with(database::PORT, SecretString::from(pg.port.to_string()))
            .with(database::DATABASE, SecretString::from(pg.database.clone()))
            .with(database::USERNAME, SecretString::from(pg.user.clone()))
            .with(database::PASSWORD, pg.password.clone()),
        source: "the PostgreSQL vaultlab started".to_owned(),
    });
    let engine = engines::for_lab(lab.engine, None, own);
    let connection = Connection::new(
        Mode::Local {
            started: local.started(),
        },
        &local.vault.addr,
    );
    Ok(Session {
        local: Some(local),
        ..Session::new(lab, connection, VaultClient::new(config)?, engine, env)
    })
}

/// A line on a terminal's stderr while the servers start (seconds, with nothing else on
/// screen yet), erased once they have: the full screen or the walk's transcript follows.
struct StartingLine(bool);

impl StartingLine {
    fn show(postgres: bool) -> StartingLine {
        use std::io::{IsTerminal, Write};
        let mut stderr = std::io::stderr();
        let shown = stderr.is_terminal();
        if shown {
            let what = match postgres {
                true => "a Vault dev server and PostgreSQL",
                false => "a Vault dev server",
            };
            let _ = write!(stderr, "vaultlab: starting {what} on this machine…");
            let _ = stderr.flush();
        }
        StartingLine(shown)
    }
}

impl Drop for StartingLine {
    fn drop(&mut self) {
        if self.0 {
            // Back to the line's start, and erase it.
            eprint!("\r\x1b[2K");
        }
    }
}

impl Session {
    /// A session on servers it does not run, with no journal: each `open_*` adds its own.
    fn new(
        lab: Lab,
        connection: Connection,
        vault: VaultClient,
        engine: Arc<dyn Engine>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Session {
        Session {
            lab,
            connection,
            vault,
            prefill: engine.prefill(env),
            engine,
            sandbox: None,
            local: None,
            journal: None,
            journal_problem: None,
        }
    }

    /// What the app starts with: the lab, where it runs, the keys found, and the journal
    /// with the leases earlier runs left open.
    pub fn start_inputs(&self, now: chrono::DateTime<chrono::Utc>) -> StartInputs {
        StartInputs {
            prefill: self.prefill.clone(),
            cli_env: self.cli_env(),
            journal: self.journal_start(),
            notice: self.journal_problem.as_ref().map(ToString::to_string),
            ..StartInputs::new(self.lab.clone(), self.connection.clone(), now)
        }
    }

    /// The journal's file and the leases earlier runs left open (none in sandbox mode).
    /// Leases of another vaultlab still running against this Vault are only counted: that
    /// run tracks them, and its quit asks about them.
    fn journal_start(&self) -> Option<JournalStart> {
        let journal = self
            .journal
            .as_ref()?
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (leftovers, other_runs) = journal.open_leftovers();
        Some(JournalStart {
            path: journal.path().display().to_string(),
            leftovers,
            other_runs,
        })
    }

    /// What a second terminal needs to reach the same servers with the real CLIs. For the
    /// servers vaultlab started: Vault's address and token, and PostgreSQL's PG* variables.
    /// For the sandbox: the lines `vaultlab sandbox` prints, the AWS keys among them (a second terminal without them
    /// would write empty root keys into Vault). With another AWS endpoint (moto), its URL
    /// and the keys this run uses for it. Empty in live mode: the learner's shell already
    /// has its own settings.
    pub fn cli_env(&self) -> Vec<EnvVar> {
        if let Some(local) = &self.local {
            return local.environment();
        }
        let Some(sandbox) = &self.sandbox else {
            return Vec::new();
        };
        aws::sandbox_environment(
            sandbox,
            self.connection.service_endpoint.as_deref(),
            self.prefill.as_ref(),
        )
    }

    /// Stops the embedded sandbox, or the servers vaultlab started, if any.
    pub async fn close(self) -> Result<(), SessionError> {
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await?;
        }
        if let Some(local) = self.local {
            // A blocking wait of a few milliseconds for each server to stop.
            tokio::task::block_in_place(|| local.stop())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_follows_flags_then_vault_addr() {
        let opts = |force_sandbox, force_live| SessionOptions {
            force_sandbox,
            force_live,
            ..SessionOptions::default()
        };
        assert!(chooses_sandbox(&opts(false, false), false).unwrap());
        assert!(!chooses_sandbox(&opts(false, false), true).unwrap());
        assert!(chooses_sandbox(&opts(true, false), true).unwrap());
        assert!(!chooses_sandbox(&opts(false, true), false).unwrap());
        assert!(chooses_sandbox(&opts(true, true), false).is_err());
    }

    /// A seat of an http:// room: its AWS calls take the proxies its Vault calls take
    /// (loopback never, not `ALL_PROXY`), not the SDK's choice from the environment.
    #[test]
    fn a_seats_aws_calls_go_through_its_vault_calls_proxies_pinned_or_not() {
        use crate::aws::Trust;
        use crate::vault::config::ProxySettings;
        let proxy = ProxySettings::default();
        let unpinned_seat = aws_trust(None, true, None, &proxy).unwrap();
        assert!(matches!(unpinned_seat, Trust::Configured(_)));
        let with_bundle = aws_trust(None, true, Some("/ca.pem".into()), &proxy).unwrap();
        assert!(matches!(with_bundle, Trust::Configured(_)));
        let pin = crate::tls_pin::Pin::of_certificate(b"room");
        assert!(matches!(
            aws_trust(Some(&pin), true, None, &proxy).unwrap(),
            Trust::Configured(_)
        ));
        // Not a seat: the aws CLI's variable, else the SDK's defaults.
        assert!(matches!(
            aws_trust(None, false, Some("/ca.pem".into()), &proxy).unwrap(),
            Trust::Bundle(_)
        ));
        assert!(matches!(
            aws_trust(None, false, None, &proxy).unwrap(),
            Trust::Roots
        ));
    }

    /// A seat's session (as `join` opens it) against a room that has gone: its AWS
    /// engine says so in the room's words, not in an endpoint's the learner never gave.
    #[tokio::test]
    async fn a_seats_aws_engine_speaks_of_the_room_when_nothing_answers() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}");
        let home = tempfile::tempdir().unwrap();
        let env = |name: &str| match name {
            "VAULT_TOKEN" => Some("hvs.seat".to_owned()),
            "AWS_ENDPOINT_URL" => Some(url.clone()),
            "HOME" => Some(home.path().to_string_lossy().into_owned()),
            _ => None,
        };
        let options = SessionOptions {
            force_live: true,
            vault_flags: VaultFlags {
                address: Some(url.clone()),
                ..VaultFlags::default()
            },
            in_room: true,
            ..SessionOptions::default()
        };
        let Ok(session) = open(&options, env).await else {
            panic!("no live session");
        };
        let values = Values::default()
            .with(aws::ACCESS_KEY, SecretString::from("AKIASEAT"))
            .with(aws::SECRET_KEY, SecretString::from("seat-secret"))
            .with(aws::REGION, SecretString::from("us-east-1"));
        let Err(failure) = session.engine.verify(values).await else {
            panic!("nothing answers, yet the keys were verified");
        };
        assert!(
            failure.hint.starts_with("The room does not answer"),
            "{}",
            failure.hint
        );
    }
}
