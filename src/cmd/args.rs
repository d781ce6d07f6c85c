//! The command line: every command, flag and its help. Parsed by `main.rs`; each command
//! runs in its own module beside this one.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::session::SessionOptions;
use crate::vault::config::VaultFlags;
use vaultlab_sandbox as sandbox;

#[derive(Debug, Parser)]
#[command(
    name = "vaultlab",
    version,
    about = "A terminal lab companion for Vault's dynamic secrets lab",
    long_about = "A terminal lab companion for Vault's dynamic secrets lab.\n\n\
        Without a command, opens a lab (--lab; `vaultlab labs` lists them), each step in its \
        own pane. It runs on an embedded sandbox unless VAULT_ADDR is set or --live is given."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub lab: LabArgs,

    #[command(flatten)]
    pub stage: StageArgs,
}

/// On stage: the projector layout, autoplay, a recording. Only for the lab in the terminal.
#[derive(Debug, Clone, Default, Args)]
pub struct StageArgs {
    /// Presenter mode, for a projector: big headings, high contrast, the lease countdown
    /// prominent, few key hints, secrets and tokens never shown. `vaultlab notes` in a
    /// second terminal shows the speaker notes of the pane on screen.
    #[arg(long)]
    pub present: bool,

    /// With --present: the lab runs itself, typing each step's command before running it.
    /// Space pauses, n/p step, any other key takes over.
    #[arg(long, requires = "present")]
    pub autoplay: bool,

    /// With --autoplay: how long each pane stays once its step is done.
    #[arg(long, value_name = "DURATION", default_value = "4s", value_parser = parse_duration, requires = "autoplay")]
    pub pace: Duration,

    /// Record the session to FILE as asciicast v2 (what asciinema plays; `vaultlab
    /// replay FILE` plays it here), secrets masked as on screen.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
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
  `message` (and `status` for AWS, 400-599) override the service's usual words. An AWS
  fault answers only requests signed with a known key; at most 100 faults are armed.
  GET lists the armed faults; DELETE disarms them all.";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the embedded sandbox alone: a Vault-compatible server with the AWS secrets
    /// engine and an AWS-compatible endpoint (IAM, STS, EC2), until Ctrl-C.
    #[command(after_long_help = FAULTS_HELP)]
    Sandbox(SandboxArgs),
    /// Serve a workshop room: the sandbox with seats, each learner's own Vault namespace
    /// and AWS account, with the facilitator's dashboard (--headless: the join line, then
    /// one line per request).
    Room(RoomArgs),
    /// Take a seat in a room and open the lab in it (with --env, print the export lines
    /// for the real vault/bao and aws CLIs instead). The seat's secret is kept, so the
    /// same command gets the same seat back.
    Join(JoinArgs),
    /// Run the lab's steps headless and print a transcript (secrets masked). Exits
    /// non-zero at the first step that fails.
    Walk(WalkArgs),
    /// List the leases earlier runs issued against this Vault (VAULT_ADDR) that may still
    /// be alive, and revoke them with --all. Exits non-zero while some stay alive.
    Cleanup(CleanupArgs),
    /// Check that the lab can run here: Vault reachable, unsealed, the token and its
    /// capabilities, the lab's engine, its keys. Exits 0 only when it can.
    Doctor(LabArgs),
    /// List the labs, one a line: its id, its title, what it is about.
    Labs(LabsArgs),
    /// Speaker notes on a second screen: follows the newest `vaultlab --present` on this
    /// machine (or --pid), showing the notes of the pane on the projector, a clock and the
    /// time spent on the pane. Waits for one when none is running.
    Notes(NotesArgs),
    /// Play a recording (`--record FILE`, or any asciicast v2 file) in this terminal:
    /// space pauses and resumes, n or → shows the next frame, q quits.
    Replay(ReplayArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// The recording (asciicast v2).
    pub file: PathBuf,

    /// How much faster than recorded: 2 plays twice as fast, 0.5 at half speed.
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,

    /// The longest pause between two frames, in seconds at the recorded speed (a demo
    /// left idle while the presenter talked plays on without the wait).
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub idle_limit: f64,
}

fn parse_speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(speed) if speed > 0.0 && speed.is_finite() => Ok(speed),
        _ => Err(format!("{text:?} is not a speed (examples: 1, 2, 0.5)")),
    }
}

#[derive(Debug, Clone, Args)]
pub struct NotesArgs {
    /// Follow the presenting vaultlab with this process id rather than the newest.
    #[arg(long)]
    pub pid: Option<u32>,
}

/// The help heading of the Vault flags. Each flag names it (rather than the struct setting
/// `next_help_heading`, which would also take the flags a command declares after them:
/// `walk --keep`, `cleanup --all`).
const VAULT_HEADING: &str =
    "Vault connection (each overrides its VAULT_* variable and means live mode)";

/// Where and how to reach Vault. Each flag wins over its environment variable, as the
/// `vault` CLI's flags do. There is no token flag: a token on a command line ends up in
/// shell history and `ps`; use VAULT_TOKEN or `vault login` (~/.vault-token).
#[derive(Debug, Clone, Default, Args)]
pub struct VaultArgs {
    /// Vault's address, e.g. https://vault.example.com:8200 [env: VAULT_ADDR].
    #[arg(long, value_name = "URL", help_heading = VAULT_HEADING)]
    pub address: Option<String>,

    /// The namespace to work in, sent as X-Vault-Namespace [env: VAULT_NAMESPACE].
    #[arg(long, value_name = "NAMESPACE", help_heading = VAULT_HEADING)]
    pub namespace: Option<String>,

    /// A PEM file of CA certificates to trust instead of the system's [env: VAULT_CACERT].
    #[arg(long, value_name = "PATH", help_heading = VAULT_HEADING)]
    pub ca_cert: Option<PathBuf>,

    /// A directory of PEM CA certificates to trust instead of the system's
    /// [env: VAULT_CAPATH].
    #[arg(long, value_name = "DIR", help_heading = VAULT_HEADING)]
    pub ca_path: Option<PathBuf>,

    /// Do not verify Vault's TLS certificate: only for a throwaway dev server
    /// [env: VAULT_SKIP_VERIFY].
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true",
          value_parser = parse_bool_flag, help_heading = VAULT_HEADING)]
    pub tls_skip_verify: Option<bool>,

    /// How long to wait for Vault: seconds, or a duration such as 90s or 2m
    /// [env: VAULT_CLIENT_TIMEOUT].
    #[arg(long, value_name = "DURATION", help_heading = VAULT_HEADING)]
    pub client_timeout: Option<String>,
}

impl VaultArgs {
    pub fn flags(&self) -> VaultFlags {
        VaultFlags {
            address: self.address.clone(),
            namespace: self.namespace.clone(),
            ca_cert: self.ca_cert.clone(),
            ca_path: self.ca_path.clone(),
            skip_verify: self.tls_skip_verify,
            client_timeout: self.client_timeout.clone(),
            pin: None,
            in_room: false,
        }
    }
}

fn parse_bool_flag(text: &str) -> Result<bool, String> {
    crate::vault::config::parse_go_bool(text)
        .ok_or_else(|| format!("{text:?} is not a boolean (true or false)"))
}

#[derive(Debug, Clone, Args)]
pub struct CleanupArgs {
    #[command(flatten)]
    pub vault: VaultArgs,

    /// Revoke every lease still alive.
    #[arg(long)]
    pub all: bool,

    /// Say what would be revoked; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Args)]
pub struct WalkArgs {
    #[command(flatten)]
    pub lab: LabArgs,

    /// Keep the lease the walk issued if it ends early, instead of revoking it.
    #[arg(long)]
    pub keep: bool,

    /// Under each step, the AWS calls Vault's engine made for it (sandbox mode).
    #[arg(long)]
    pub inside: bool,

    /// Record the transcript to FILE as asciicast v2 (`vaultlab replay FILE` plays it).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct LabArgs {
    /// Use the embedded sandbox even if VAULT_ADDR is set.
    #[arg(long, conflicts_with_all = ["address", "namespace", "ca_cert", "ca_path", "tls_skip_verify", "client_timeout"])]
    pub sandbox: bool,

    /// Use the Vault at VAULT_ADDR (with VAULT_TOKEN or ~/.vault-token) and real AWS.
    #[arg(long, conflicts_with = "sandbox")]
    pub live: bool,

    /// In sandbox mode: how long a new access key takes to become valid (e.g. 0s, 3s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub propagation_delay: Option<Duration>,

    /// Send AWS requests (vaultlab's, and Vault's engine's iam_endpoint/sts_endpoint) to
    /// this endpoint instead: moto, LocalStack. Keys come from AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY.
    #[arg(long, value_name = "URL")]
    pub aws_endpoint: Option<String>,

    /// Read labs from this folder instead of the ones built in.
    #[arg(long, value_name = "DIR")]
    pub labs: Option<PathBuf>,

    /// Which lab to run (`vaultlab labs` lists them).
    #[arg(long, value_name = "ID", default_value = crate::lab::DEFAULT_LAB)]
    pub lab: String,

    #[command(flatten)]
    pub vault: VaultArgs,
}

impl LabArgs {
    pub fn session_options(&self) -> SessionOptions {
        SessionOptions {
            force_sandbox: self.sandbox,
            force_live: self.live,
            propagation_delay: self.propagation_delay,
            aws_endpoint: self.aws_endpoint.clone(),
            labs_dir: self.labs.clone(),
            lab_id: Some(self.lab.clone()),
            vault_flags: self.vault.flags(),
            in_room: false,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct LabsArgs {
    /// List the labs in this folder (a folder of lab folders) instead of the ones built in.
    #[arg(long, value_name = "DIR")]
    pub labs: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on; the default is a free port on loopback. Use e.g.
    /// 0.0.0.0:8200 to serve a room (the token and the AWS keys still guard it).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,

    /// How long a new access key takes to become valid, as IAM's eventual consistency
    /// makes it in AWS (e.g. 0s, 3s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = parse_duration)]
    pub propagation_delay: Duration,

    /// Keep the sandbox's state (token, mounts, roles, leases, IAM) in this file across
    /// restarts and crashes: every change is synced to a log beside it (PATH.wal) before it
    /// is answered. Both hold secrets and are written with mode 0600.
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,

    /// The sandbox account's region.
    #[arg(long, default_value = sandbox::DEFAULT_REGION)]
    pub region: String,
}

#[derive(Debug, Args)]
pub struct RoomArgs {
    /// Address to listen on. Loopback unless asked: 0.0.0.0:8200 serves the LAN (tokens
    /// and keys then cross it in clear, unless with --tls).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8200")]
    pub listen: SocketAddr,

    /// The room's state (seats, namespaces, accounts, leases); by default room.json in
    /// vaultlab's data directory. It holds secrets and is written with mode 0600.
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,

    /// The room's title, shown to learners.
    #[arg(long, default_value = "vaultlab room")]
    pub title: String,

    /// How many seats the room has.
    #[arg(long, default_value_t = 100)]
    pub seats: usize,

    /// How long a new access key takes to become valid (e.g. 0s, 3s).
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = parse_duration)]
    pub propagation_delay: Duration,

    /// Serve without the dashboard: the join line, then one line per event.
    #[arg(long)]
    pub headless: bool,

    /// Serve HTTPS with a self-signed certificate, made at the first start and kept beside
    /// the state (a restarted room keeps it); the join line carries its fingerprint.
    #[arg(long)]
    pub tls: bool,

    /// An action on the running room (without one, `vaultlab room` starts the room).
    #[command(subcommand)]
    pub action: Option<super::room_control::RoomAction>,
}

#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The room's address, as its join line shows it (http://10.1.2.3:8200, or https://
    /// with --pin).
    pub url: String,

    /// The room's join code (K7QF-92XD).
    pub code: String,

    /// The seat's name: lowercase letters, digits, - and _ (by default your user name).
    #[arg(long)]
    pub name: Option<String>,

    /// Print the export lines for the real CLIs (VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE,
    /// AWS_ENDPOINT_URL, the seat's AWS keys and region).
    #[arg(long)]
    pub env: bool,

    /// Run the lab's steps headless in the seat, as `vaultlab walk` does, printing a
    /// transcript. Stops before a step the facilitator holds (exit 3); exit 1 at a step
    /// that fails.
    #[arg(long, conflicts_with = "env")]
    pub walk: bool,

    /// The fingerprint of an https:// room's certificate, as its join line shows it
    /// (ABCD-EFGH-2345-JKLM, or sha256: and 64 hex digits): only that certificate is
    /// trusted.
    #[arg(long, value_name = "PIN")]
    pub pin: Option<String>,
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 0s, 3s, 500ms, 1m)"))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::{Cli, VAULT_HEADING};

    /// The heading each of a command's flags is listed under (`None`: Options).
    fn heading_of(command: &str, flag: &str) -> Option<String> {
        let cli = Cli::command();
        let command = cli.find_subcommand(command).expect("a command");
        let arg = command
            .get_arguments()
            .find(|arg| arg.get_long() == Some(flag))
            .unwrap_or_else(|| panic!("no --{flag}"));
        arg.get_help_heading().map(str::to_owned)
    }

    #[test]
    fn a_commands_own_flags_are_not_listed_as_vault_connection_flags() {
        for (command, flag) in [("walk", "keep"), ("cleanup", "all"), ("cleanup", "dry-run")] {
            assert_eq!(heading_of(command, flag), None, "{command} --{flag}");
        }
        for command in ["walk", "cleanup", "doctor"] {
            assert_eq!(
                heading_of(command, "address").as_deref(),
                Some(VAULT_HEADING)
            );
        }
        Cli::command().debug_assert();
    }
}
