//! How a command ends early. A user's mistake (a bad flag value, a lab that does not
//! exist, a Vault address that cannot be parsed, a state file that is not one) is printed as
//! one plain line and exits 1: no `Location:`, no backtrace, whatever `RUST_BACKTRACE` says.
//! Anything else is a fault in vaultlab and keeps color-eyre's full report, as panics do.
//!
//! A new kind of mistake is one more [`UserError`] variant, with its words.

use std::process::ExitCode;

use color_eyre::Report;

use crate::session::SessionError;
use vaultlab_sandbox::SandboxError;

/// A mistake the user, or their environment, can fix; its text says what and how.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(transparent)]
    Session(#[from] SessionError),
    /// `vaultlab sandbox`: it cannot listen, or its state file cannot be used.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// The lab cannot be drawn here: no terminal, or a dumb one.
    #[error(transparent)]
    Terminal(#[from] crate::runtime::terminal::TerminalProblem),
    /// `vaultlab labs --labs DIR`: the folder cannot be listed.
    #[error(transparent)]
    Lab(#[from] crate::lab::LabError),
    /// `--record`: the recording cannot be written.
    #[error(transparent)]
    Record(#[from] crate::record::RecordError),
    /// `vaultlab replay`: the file cannot be read.
    #[error("cannot read the recording {}: {source}", path.display())]
    ReadRecording {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// `vaultlab replay`: the file is not a recording it can play.
    #[error(transparent)]
    Cast(#[from] crate::record::CastError),
    /// `vaultlab room`, `vaultlab join`: what went wrong, in words for the user.
    #[error("{0}")]
    Room(String),
}

impl UserError {
    /// The lines to print: one, a multi-line message joined so scripts and logs read it
    /// whole; but a list of things to install keeps one line for each.
    pub fn lines(&self) -> Vec<String> {
        if let UserError::Session(SessionError::Local(local)) = self
            && let Some(lines) = local.lines()
        {
            return lines;
        }
        let text = self.to_string();
        let line: Vec<&str> = text.lines().map(str::trim).collect();
        vec![line.join(" ")]
    }
}

/// Why a command stopped before its end.
#[derive(Debug)]
pub enum Stop {
    User(UserError),
    /// A fault in vaultlab (or an I/O failure nobody can act on): the full report.
    Bug(Report),
}

impl From<UserError> for Stop {
    fn from(error: UserError) -> Self {
        Stop::User(error)
    }
}

impl From<SessionError> for Stop {
    fn from(error: SessionError) -> Self {
        Stop::User(error.into())
    }
}

impl From<SandboxError> for Stop {
    fn from(error: SandboxError) -> Self {
        Stop::User(error.into())
    }
}

impl From<Report> for Stop {
    fn from(report: Report) -> Self {
        Stop::Bug(report)
    }
}

impl From<std::io::Error> for Stop {
    fn from(error: std::io::Error) -> Self {
        Stop::Bug(error.into())
    }
}

/// What every command returns: its exit code, or why it stopped.
pub type Outcome = Result<ExitCode, Stop>;

/// Prints why a command stopped, if it did, and gives the process its exit code.
pub fn exit(outcome: Outcome) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(Stop::User(error)) => {
            for line in error.lines() {
                eprintln!("vaultlab: {line}");
            }
            ExitCode::FAILURE
        }
        Err(Stop::Bug(report)) => {
            eprintln!("Error: {report:?}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_mistake_is_a_user_error_and_a_fault_is_a_bug() {
        let user: Stop = SessionError::ConflictingModes.into();
        assert!(matches!(user, Stop::User(_)));
        let bug: Stop = std::io::Error::other("disk on fire").into();
        assert!(matches!(bug, Stop::Bug(_)));
    }
}
