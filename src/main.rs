//! vaultlab's command line: parses arguments, sets up logging, and runs the chosen command.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use color_eyre::eyre::{Result, WrapErr};
use vaultlab::runtime::effects::EffectRunner;
use vaultlab::runtime::terminal;
use vaultlab::session::{self, SessionOptions};
use vaultlab::ui::Theme;
use vaultlab::vault::config::VaultFlags;
use vaultlab::walk::WalkResult;
use vaultlab_sandbox::{self as sandbox, Sandbox, SandboxOptions};

#[derive(Debug, Parser)]
#[command(
    name = "vaultlab",
    version,
    about = "A terminal lab companion for Vault's dynamic secrets lab",
    long_about = "A terminal lab companion for Vault's dynamic secrets lab.\n\n\
        Without a command, opens the lab: six steps, each in its own pane. It runs on an \
        embedded sandbox unless VAULT_ADDR is set or --live is given."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    lab: LabArgs,
}

const FAULTS_HELP: &str = "\
Fault injection (to show a failure on stage):
  POST $VAULT_ADDR/vaultlab/faults with the root token (X-Vault-Token) and a JSON body arms a
  fault: the next `count` (default 1) requests that match fail as the real service would.
    {\"aws_action\":\"DescribeInstances\",\"code\":\"RequestLimitExceeded\",\"count\":3}
        EC2 throttling; `*` matches every AWS action; other codes: Throttling, AuthFailure,
        InvalidClientTokenId, UnauthorizedOperation, AccessDenied, InternalError…
    {\"vault_path\":\"aws/creds/\",\"status\":429}
        Vault's rate-limit answer for paths starting with aws/creds/; 503 says sealed;
        add \"method\":\"GET\" to match one method only.
  `message` (and `status` for AWS) override the service's usual words.
  GET lists the armed faults; DELETE disarms them all.";

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the embedded sandbox alone: a Vault-compatible server with the AWS secrets
    /// engine and an AWS-compatible endpoint (IAM, STS, EC2), until Ctrl-C.
    #[command(after_long_help = FAULTS_HELP)]
    Sandbox(SandboxArgs),
    /// Run the lab's six steps headless and print a transcript (secrets masked). Exits
    /// non-zero at the first step that fails.
    Walk(WalkArgs),
    /// List the leases earlier runs issued against this Vault (VAULT_ADDR) that may still
    /// be alive, and revoke them with --all. Exits non-zero while some stay alive.
    Cleanup(CleanupArgs),
    /// Check that the lab can run here: Vault reachable, unsealed, the token and its
    /// capabilities, the AWS engine, the AWS root keys. Exits 0 only when it can.
    Doctor(LabArgs),
}

/// Where and how to reach Vault. Each flag wins over its environment variable, as the
/// `vault` CLI's flags do. There is no token flag: a token on a command line ends up in
/// shell history and `ps`; use VAULT_TOKEN or `vault login` (~/.vault-token).
#[derive(Debug, Clone, Default, Args)]
#[command(
    next_help_heading = "Vault connection (each overrides its VAULT_* variable and means live mode)"
)]
struct VaultArgs {
    /// Vault's address, e.g. https://vault.example.com:8200 [env: VAULT_ADDR].
    #[arg(long, value_name = "URL")]
    address: Option<String>,

    /// The namespace to work in, sent as X-Vault-Namespace [env: VAULT_NAMESPACE].
    #[arg(long, value_name = "NAMESPACE")]
    namespace: Option<String>,

    /// A PEM file of CA certificates to trust instead of the system's [env: VAULT_CACERT].
    #[arg(long, value_name = "PATH")]
    ca_cert: Option<PathBuf>,

    /// A directory of PEM CA certificates to trust instead of the system's
    /// [env: VAULT_CAPATH].
    #[arg(long, value_name = "DIR")]
    ca_path: Option<PathBuf>,

    /// Do not verify Vault's TLS certificate: only for a throwaway dev server
    /// [env: VAULT_SKIP_VERIFY].
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true",
          value_parser = parse_bool_flag)]
    tls_skip_verify: Option<bool>,

    /// How long to wait for Vault: seconds, or a duration such as 90s or 2m
    /// [env: VAULT_CLIENT_TIMEOUT].
    #[arg(long, value_name = "DURATION")]
    client_timeout: Option<String>,
}

impl VaultArgs {
    fn flags(&self) -> VaultFlags {
        VaultFlags {
            address: self.address.clone(),
            namespace: self.namespace.clone(),
            ca_cert: self.ca_cert.clone(),
            ca_path: self.ca_path.clone(),
            skip_verify: self.tls_skip_verify,
            client_timeout: self.client_timeout.clone(),
        }
    }
}

fn parse_bool_flag(text: &str) -> Result<bool, String> {
    vaultlab::vault::config::parse_go_bool(text)
        .ok_or_else(|| format!("{text:?} is not a boolean (true or false)"))
}

#[derive(Debug, Clone, Args)]
struct CleanupArgs {
    #[command(flatten)]
    vault: VaultArgs,

    /// Revoke every lease still alive.
    #[arg(long)]
    all: bool,

    /// Say what would be revoked; change nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Clone, Args)]
struct WalkArgs {
    #[command(flatten)]
    lab: LabArgs,

    /// Keep the lease the walk issued if it ends early, instead of revoking it.
    #[arg(long)]
    keep: bool,
}

#[derive(Debug, Clone, Args)]
struct LabArgs {
    /// Use the embedded sandbox even if VAULT_ADDR is set.
    #[arg(long, conflicts_with_all = ["address", "namespace", "ca_cert", "ca_path", "tls_skip_verify", "client_timeout"])]
    sandbox: bool,

    /// Use the Vault at VAULT_ADDR (with VAULT_TOKEN or ~/.vault-token) and real AWS.
    #[arg(long, conflicts_with = "sandbox")]
    live: bool,

    /// In sandbox mode: how long a new access key takes to become valid (e.g. 0s, 3s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    propagation_delay: Option<Duration>,

    /// Send AWS requests (vaultlab's, and Vault's engine's iam_endpoint/sts_endpoint) to
    /// this endpoint instead: moto, LocalStack. Keys come from AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY.
    #[arg(long, value_name = "URL")]
    aws_endpoint: Option<String>,

    /// Read labs from this folder instead of the ones built in.
    #[arg(long, value_name = "DIR")]
    labs: Option<PathBuf>,

    /// Which lab to run.
    #[arg(long, value_name = "ID", default_value = vaultlab::lab::DEFAULT_LAB)]
    lab: String,

    #[command(flatten)]
    vault: VaultArgs,
}

impl LabArgs {
    fn session_options(&self) -> SessionOptions {
        SessionOptions {
            force_sandbox: self.sandbox,
            force_live: self.live,
            propagation_delay: self.propagation_delay,
            aws_endpoint: self.aws_endpoint.clone(),
            labs_dir: self.labs.clone(),
            lab_id: Some(self.lab.clone()),
            vault_flags: self.vault.flags(),
        }
    }
}

#[derive(Debug, Args)]
struct SandboxArgs {
    /// Address to listen on; the default is a free port on loopback. Use e.g.
    /// 0.0.0.0:8200 to serve a room (the token and the AWS keys still guard it).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: SocketAddr,

    /// How long a new access key takes to become valid, as IAM's eventual consistency
    /// makes it in AWS (e.g. 0s, 3s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = parse_duration)]
    propagation_delay: Duration,

    /// Keep the sandbox's state (token, mounts, roles, leases, IAM) in this file across
    /// restarts. It holds secrets and is written with mode 0600.
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,

    /// The sandbox account's region.
    #[arg(long, default_value = sandbox::DEFAULT_REGION)]
    region: String,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 0s, 3s, 500ms, 1m)"))
}

fn main() -> Result<()> {
    color_eyre::install()?;
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Sandbox(args)) => run_sandbox(args),
        Some(Command::Walk(args)) => run_walk(args),
        Some(Command::Cleanup(args)) => run_cleanup(args),
        Some(Command::Doctor(args)) => run_doctor(args),
        None => run_tui(cli.lab),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")
}

/// The TUI owns the terminal, so its log goes to a file (never a secret in it).
fn init_file_logging() {
    let Some(dir) = state_dir() else { return };
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("vaultlab.log"))
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("VAULTLAB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .init();
}

/// `$XDG_STATE_HOME/vaultlab`, else `~/.local/state/vaultlab`.
fn state_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/state")))
        .map(|base| base.join("vaultlab"))
}

fn run_tui(args: LabArgs) -> Result<()> {
    init_file_logging();
    runtime()?.block_on(async {
        // Errors before the terminal is taken over print as usual.
        let session =
            session::open(&args.session_options(), |name| std::env::var(name).ok()).await?;
        let theme = Theme::from_no_color(std::env::var("NO_COLOR").ok().as_deref());
        let (outcomes_tx, outcomes_rx) = tokio::sync::mpsc::unbounded_channel();
        if let Some(problem) = &session.journal_problem {
            eprintln!("vaultlab: {problem}");
        }
        let runner = EffectRunner::new(
            session.vault.clone(),
            session.aws_endpoint.clone(),
            outcomes_tx,
        )
        .with_journal(session.journal.clone());
        let (mut app, initial) = vaultlab::app::init(
            session.lab.clone(),
            session.connection.clone(),
            session.prefill.clone(),
            chrono::Utc::now(),
        );
        app.cli_env = session.cli_env();
        // Leases earlier runs left are looked up by the app itself once it runs.
        app.notice = session.journal_problem.as_ref().map(ToString::to_string);
        let mut tui = terminal::enter().wrap_err("cannot take over the terminal")?;
        let result =
            vaultlab::runtime::run(&mut tui, app, theme, runner, outcomes_rx, initial).await;
        // After a SIGHUP the terminal is gone and restoring it fails: the session must
        // still be closed (the sandbox stopped, its state saved) and the note written.
        let restored = terminal::restore();
        let closed = session.close().await;
        let app = result.wrap_err("the terminal failed")?;
        // The leases left alive, and where they are kept. After a SIGHUP stderr may be
        // gone: a failed write must not turn a clean exit into a panic.
        if let Some(note) = app.exit_note() {
            let _ = writeln!(std::io::stderr(), "vaultlab: {note}");
        }
        if let Err(error) = restored {
            let _ = writeln!(
                std::io::stderr(),
                "vaultlab: cannot restore the terminal: {error}"
            );
        }
        closed?;
        Ok(())
    })
}

fn run_doctor(args: LabArgs) -> Result<()> {
    init_stderr_logging("error");
    runtime()?.block_on(async {
        let session =
            session::open(&args.session_options(), |name| std::env::var(name).ok()).await?;
        let checks = vaultlab::doctor::run(&session).await;
        let mut out = std::io::stdout().lock();
        let ok = vaultlab::doctor::report(&checks, &mut out)?;
        out.flush()?;
        drop(out);
        session.close().await?;
        if !ok {
            std::process::exit(1);
        }
        Ok(())
    })
}

fn run_cleanup(args: CleanupArgs) -> Result<()> {
    init_stderr_logging("warn");
    runtime()?.block_on(async {
        let options = SessionOptions {
            force_live: true,
            vault_flags: args.vault.flags(),
            ..SessionOptions::default()
        };
        let session = session::open(&options, |name| std::env::var(name).ok()).await?;
        if let Some(problem) = &session.journal_problem {
            eprintln!("vaultlab: {problem}");
        }
        let mut out = std::io::stdout().lock();
        let options = vaultlab::cleanup::CleanupOptions {
            all: args.all,
            dry_run: args.dry_run,
        };
        let alive = vaultlab::cleanup::cleanup(&session, options, &mut out).await?;
        out.flush()?;
        if alive > 0 {
            std::process::exit(1);
        }
        Ok(())
    })
}

fn run_walk(args: WalkArgs) -> Result<()> {
    init_stderr_logging("warn");
    runtime()?.block_on(async {
        let session =
            session::open(&args.lab.session_options(), |name| std::env::var(name).ok()).await?;
        let mut out = std::io::stdout().lock();
        let result = vaultlab::walk::walk(&session, args.keep, &mut out).await?;
        out.flush()?;
        drop(out);
        session.close().await?;
        match result {
            WalkResult::Completed => Ok(()),
            WalkResult::Failed { step, what } => {
                eprintln!("vaultlab walk: step {step} failed: {what}");
                std::process::exit(1);
            }
        }
    })
}

/// Logs to stderr (the sandbox server, walk); they never carry bodies, tokens or keys.
fn init_stderr_logging(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VAULTLAB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run_sandbox(args: SandboxArgs) -> Result<()> {
    init_stderr_logging("warn,vaultlab=info");
    runtime()?.block_on(async {
        // Listening for the stop signals before anything else: a SIGTERM that arrives
        // while the sandbox starts or prints must still stop it cleanly, state saved.
        let stop = stop_signal()?;
        let sandbox = Sandbox::start(SandboxOptions {
            listen: args.listen,
            propagation_delay: args.propagation_delay,
            state_path: args.state.clone(),
            region: args.region,
        })
        .await?;
        print_welcome(&sandbox, &args.state, args.propagation_delay)?;
        stop.await;
        eprintln!("Stopping the sandbox…");
        sandbox.shutdown().await?;
        Ok(())
    })
}

fn print_welcome(
    sandbox: &Sandbox,
    state: &Option<PathBuf>,
    propagation_delay: Duration,
) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for (name, value) in sandbox.environment() {
        writeln!(out, "export {name}={value}")?;
    }
    writeln!(out)?;
    // Comment lines, so the whole output can be saved and sourced by a shell.
    let guidance = format!(
        "# vaultlab sandbox is serving Vault and AWS at {addr}.\n\
         # Paste the lines above into another terminal, then run the lab with the real CLIs:\n\
         #   vault secrets enable -path=aws aws        (bao works too)\n\
         #   vault write aws/config/root access_key=$AWS_ACCESS_KEY_ID secret_key=$AWS_SECRET_ACCESS_KEY region=$AWS_REGION\n\
         #   vault write aws/roles/my-role credential_type=iam_user policy_document=@policy.json\n\
         #   vault read aws/creds/my-role\n\
         #   AWS_ACCESS_KEY_ID=<new key> AWS_SECRET_ACCESS_KEY=<new secret> aws ec2 describe-instances\n\
         #   vault lease revoke <lease_id>\n\
         # New access keys take {delay} to become valid, as in AWS.\n\
         # To show a failure, arm a fault: the next request(s) that match fail as the real service would:\n\
         #   curl -H \"X-Vault-Token: $VAULT_TOKEN\" -d '{{\"aws_action\":\"DescribeInstances\",\"code\":\"RequestLimitExceeded\",\"count\":3}}' $VAULT_ADDR/vaultlab/faults\n\
         #   curl -H \"X-Vault-Token: $VAULT_TOKEN\" -d '{{\"vault_path\":\"aws/creds/\",\"status\":429}}' $VAULT_ADDR/vaultlab/faults\n\
         # {state_note}\n\
         # Stop with Ctrl-C.",
        addr = sandbox.vault_addr(),
        delay = humantime::format_duration(propagation_delay),
        state_note = match state {
            Some(path) => format!("State is kept in {} (it holds secrets).", path.display()),
            None => "Nothing is kept after it stops; --state PATH keeps it.".to_owned(),
        },
    );
    writeln!(out, "{guidance}")?;
    out.flush()?;
    Ok(())
}

/// Ctrl-C or SIGTERM, listened for from the moment this is called (not first awaited).
#[cfg(unix)]
fn stop_signal() -> Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn stop_signal() -> Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
