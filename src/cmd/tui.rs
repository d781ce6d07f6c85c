//! `vaultlab` without a command: the lab in the terminal.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use color_eyre::eyre::WrapErr;

use super::args::{LabArgs, StageArgs};
use super::{Outcome, UserError, init_file_logging, open_session, runtime};
use crate::runtime::effects::EffectRunner;
use crate::runtime::terminal;
use crate::ui::Theme;

pub fn run(args: LabArgs, stage: StageArgs) -> Outcome {
    // A lab that is not there, or cannot be read, is said first: it is the same mistake
    // with a screen or without one. Reading it starts nothing.
    let lab = crate::lab::Labs::new(args.labs.as_deref())
        .load(&args.lab)
        .map_err(UserError::from)?;
    // A recording that cannot be written is said before anything starts.
    let record = stage.record.clone();
    let mut recording = record
        .as_deref()
        .map(|path| {
            let size = crossterm::terminal::size().unwrap_or((80, 24));
            crate::record::start(path, size, &format!("vaultlab · {}", lab.title), Vec::new())
        })
        .transpose()
        .map_err(UserError::from)?;
    // Before anything starts (a sandbox, a journal): a screen nobody can see is no run,
    // and leaves no recording behind.
    if let Err(problem) = terminal::check_usable(
        std::io::stdout().is_terminal(),
        std::env::var("TERM").ok().as_deref(),
    ) {
        if let Some(path) = &record {
            drop(recording.take());
            let _ = std::fs::remove_file(path);
        }
        return Err(UserError::from(problem).into());
    }
    init_file_logging();
    runtime()?.block_on(async {
        // Errors before the terminal is taken over print as usual.
        let session = open_session(&args.session_options()).await?;
        let theme = Theme::for_run(std::env::var("NO_COLOR").ok().as_deref(), stage.present);
        let (outcomes_tx, outcomes_rx) = tokio::sync::mpsc::unbounded_channel();
        if let Some(problem) = &session.journal_problem {
            eprintln!("vaultlab: {problem}");
        }
        // The sandbox's events for the inside view, when its own AWS serves Vault's engine
        // (another endpoint's calls are out of its sight).
        let inside_feed = session
            .sandbox
            .as_ref()
            .filter(|_| session.connection.service_endpoint.is_none())
            .map(|sandbox| crate::inside::feed::spawn(sandbox.events(), outcomes_tx.clone()));
        let mut runner =
            EffectRunner::new(session.vault.clone(), session.engine.clone(), outcomes_tx)
                .with_journal(session.journal.clone());
        // On stage, the socket `vaultlab notes` follows; without it the show goes on.
        let mut stage_problem = None;
        #[cfg(unix)]
        if stage.present {
            use crate::present::socket::{Presence, dir};
            match dir().map(|dir| Presence::start(&dir).map_err(|e| (dir, e))) {
                Some(Ok(presence)) => runner = runner.with_stage(Some(presence)),
                Some(Err((dir, error))) => {
                    stage_problem = Some(format!(
                        "Speaker notes are off: cannot open a socket in {}: {error}",
                        dir.display()
                    ))
                }
                None => {
                    stage_problem = Some(
                        "Speaker notes are off: no XDG_RUNTIME_DIR or HOME to put their socket in."
                            .to_owned(),
                    )
                }
            }
        }
        // Leases earlier runs left are looked up by the app itself once it runs.
        let start = session.start_inputs(chrono::Utc::now());
        let inputs = crate::setup::StartInputs {
            reconcile_every: Some(crate::app::reconcile::EVERY),
            stage: stage.present.then(|| crate::present::StageOptions {
                // Whole, so `notes` finds the same folder from wherever it runs.
                labs_dir: args
                    .labs
                    .as_ref()
                    .map(|dir| std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone())),
                autoplay: stage.autoplay.then_some(stage.pace),
            }),
            notice: stage_problem.or(start.notice.clone()),
            recording: recording.is_some(),
            ..start
        };
        let (app, initial) = crate::app::init(inputs);
        if let Some(recording) = &mut recording {
            // Revealing is refused while recording (`recording` in the start-up inputs);
            // these are masked on the way to the file all the same.
            for secret in session_secrets(&session) {
                recording.add_secret(secret);
            }
        }
        let mut tui = match terminal::enter_recording(recording) {
            Ok(tui) => tui,
            Err(error) => {
                // Nothing ran yet: the sandbox stops, and the terminal's problem is said.
                session.close().await?;
                return Err(UserError::from(terminal::TerminalProblem::TakeOver(error)).into());
            }
        };
        let result = crate::runtime::run(&mut tui, app, theme, runner, outcomes_rx, initial).await;
        // After a SIGHUP the terminal is gone and restoring it fails: the session must
        // still be closed (the sandbox stopped, its state saved) and the note written.
        if let Some(feed) = inside_feed {
            feed.abort();
        }
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
        Ok(ExitCode::SUCCESS)
    })
}

/// The secrets this run knows from the start: the sandbox's root token and AWS keys, the
/// second terminal's secret values.
pub(super) fn session_secrets(session: &crate::session::Session) -> Vec<secrecy::SecretString> {
    let mut secrets: Vec<secrecy::SecretString> = session
        .cli_env()
        .into_iter()
        .filter(|var| var.secret)
        .map(|var| var.value)
        .collect();
    if let Some(sandbox) = &session.sandbox {
        secrets.push(sandbox.root_token().expose().to_owned().into());
        secrets.push(
            sandbox
                .admin_credentials()
                .secret_access_key
                .expose()
                .to_owned()
                .into(),
        );
    }
    secrets
}
