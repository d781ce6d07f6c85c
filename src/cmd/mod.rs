//! vaultlab's commands, one module each, thin: each opens what it needs, runs the shared
//! code, and says how it ended. `main.rs` parses the command line and dispatches here;
//! [`error::exit`] prints why a command stopped and gives the process its exit code.

pub mod args;
pub mod cleanup;
pub mod doctor;
pub mod error;
pub mod join;
pub mod join_tui;
pub mod join_walk;
pub mod labs;
pub mod notes;
pub mod replay;
pub mod room;
pub mod room_control;
pub mod room_dashboard;
pub mod room_table;
pub mod room_tls;
pub mod sandbox;
pub mod tui;
pub mod walk;

use std::path::PathBuf;

use color_eyre::eyre::WrapErr;

use crate::session::{self, Session, SessionOptions};
pub use error::{Outcome, Stop, UserError, exit};

fn runtime() -> Result<tokio::runtime::Runtime, Stop> {
    Ok(tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?)
}

/// The session a command runs against, from the process's environment.
async fn open_session(options: &SessionOptions) -> Result<Session, Stop> {
    open_session_with(options, |name| std::env::var(name).ok()).await
}

/// The session a command runs against, in an environment the command gives (a seat's).
async fn open_session_with(
    options: &SessionOptions,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Session, Stop> {
    Ok(session::open(options, env).await?)
}

/// The TUI owns the terminal, so its log goes to a file (never a secret in it).
fn init_file_logging() {
    use vaultlab_wire::private_file;
    let Some(dir) = state_dir() else { return };
    if private_file::create_private_dir(&dir).is_err() {
        return;
    }
    let Ok(file) = private_file::open_private_append(&dir.join("vaultlab.log")) else {
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

/// Logs to stderr (the sandbox server, walk); they never carry bodies, tokens or keys.
/// Coloured only on a terminal, and never with NO_COLOR: a log redirected to a file reads
/// as plain text.
fn init_stderr_logging(default_filter: &str) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("VAULTLAB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .init();
}
