//! vaultlab's command line: parses the arguments and runs the chosen command.

use std::process::ExitCode;

use clap::Parser;
use vaultlab::cmd::{self, args::Cli, args::Command};

fn main() -> ExitCode {
    // Panics and vaultlab's own faults keep color-eyre's full report; a user's mistake is
    // printed as one line by `cmd::exit`.
    if let Err(report) = color_eyre::install() {
        eprintln!("vaultlab: cannot install the error reporter: {report}");
    }
    let cli = Cli::parse();
    cmd::exit(match cli.command {
        Some(Command::Sandbox(args)) => cmd::sandbox::run(args),
        Some(Command::Room(args)) => cmd::room::run(args),
        Some(Command::Join(args)) => cmd::join::run(args),
        Some(Command::Walk(args)) => cmd::walk::run(args),
        Some(Command::Cleanup(args)) => cmd::cleanup::run(args),
        Some(Command::Doctor(args)) => cmd::doctor::run(args),
        Some(Command::Labs(args)) => cmd::labs::run(args),
        Some(Command::Notes(args)) => cmd::notes::run(args),
        Some(Command::Replay(args)) => cmd::replay::run(args),
        None => cmd::tui::run(cli.lab, cli.stage),
    })
}
