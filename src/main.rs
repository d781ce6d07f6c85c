//! vaultlab's command line: parses arguments, sets up logging, and runs the chosen command.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use color_eyre::eyre::{Result, WrapErr};
use vaultlab::sandbox::{self, Sandbox, SandboxOptions};

#[derive(Debug, Parser)]
#[command(
    name = "vaultlab",
    version,
    about = "A terminal lab companion for Vault's dynamic secrets lab"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the embedded sandbox alone: a Vault-compatible server with the AWS secrets
    /// engine and an AWS-compatible endpoint (IAM, STS, EC2), until Ctrl-C.
    Sandbox(SandboxArgs),
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
        None => {
            eprintln!(
                "The lab companion's panes are not built yet. For now, `vaultlab sandbox` serves\n\
                 the sandbox: run the lab against it with the vault/bao and aws CLIs."
            );
            std::process::exit(2);
        }
    }
}

/// Logs go to stderr for the sandbox server; they never carry bodies, tokens or keys.
fn init_server_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VAULTLAB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,vaultlab=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run_sandbox(args: SandboxArgs) -> Result<()> {
    init_server_logging();
    let runtime = tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
    runtime.block_on(async {
        let sandbox = Sandbox::start(SandboxOptions {
            listen: args.listen,
            propagation_delay: args.propagation_delay,
            state_path: args.state.clone(),
            region: args.region,
        })
        .await?;
        print_welcome(&sandbox, &args.state, args.propagation_delay)?;
        wait_for_stop_signal().await?;
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

async fn wait_for_stop_signal() -> Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result?,
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}
