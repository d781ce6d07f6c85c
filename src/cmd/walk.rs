//! `vaultlab walk`: the lab's steps headless, through the same `update` and effects as
//! the TUI (the same keys, pressed in order), printing a transcript. Secrets never reach
//! it: responses come redacted, secret fields are named, never shown.

use std::collections::VecDeque;
use std::io::Write;
use std::process::ExitCode;

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::msg::Msg;
use crate::app::state::{App, StepStatus};
use crate::app::{Effect, init, update};
use crate::inside::Availability;
use crate::inside::feed::Drain;
use crate::inside::rows::{Row, burst_rows};
use crate::lab::StepKind;
use crate::record::Transcript;
use crate::runtime::effects::EffectRunner;
use crate::session::Session;

use super::args::WalkArgs;
use super::{Outcome, init_stderr_logging, open_session, runtime};

pub fn run(args: WalkArgs) -> Outcome {
    init_stderr_logging("warn");
    // A recording that cannot be written is said before anything starts.
    let recording = args
        .record
        .as_deref()
        .map(|path| {
            let title = format!("vaultlab walk · {}", args.lab.lab);
            crate::record::start(path, crate::record::transcript_size(), &title, Vec::new())
        })
        .transpose()
        .map_err(super::UserError::from)?;
    runtime()?.block_on(async {
        let session = open_session(&args.lab.session_options()).await?;
        // Servers it started are stopped, and their directory removed, on a signal too.
        if let Some(local) = &session.local {
            local.stop_on_signals()?;
        }
        let mut out = Transcript::new(std::io::stdout().lock(), recording);
        for secret in super::tui::session_secrets(&session) {
            out.add_secret(secret);
        }
        let result = walk(&session, args.keep, args.inside, &mut out).await?;
        if let (Some(written), Some(path)) = (out.finish()?, &args.record) {
            eprintln!(
                "vaultlab walk: recorded {} KiB to {} (vaultlab replay plays it)",
                written.div_ceil(1024),
                path.display()
            );
        }
        session.close().await?;
        match result {
            WalkResult::Completed => Ok(ExitCode::SUCCESS),
            WalkResult::Failed { step, what } => {
                eprintln!("vaultlab walk: step {step} failed: {what}");
                Ok(ExitCode::FAILURE)
            }
            WalkResult::Held { step, line } => {
                eprintln!("vaultlab walk: step {step} is held: {line}");
                Ok(ExitCode::from(HELD_EXIT))
            }
        }
    })
}

/// How the walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkResult {
    Completed,
    Failed {
        step: usize,
        what: String,
    },
    /// Stopped before `step` (1-based): a room's facilitator holds it (`line` says so).
    Held {
        step: usize,
        line: String,
    },
}

/// The exit code of a walk stopped by a hold (not a failure: the step did not run).
pub const HELD_EXIT: u8 = 3;

/// Asked before each step (1-based) whether it may run: `Some(line)` holds it, in the
/// words to print (a room's pace).
pub type Gate<'a> =
    &'a (dyn Fn(usize) -> futures::future::BoxFuture<'static, Option<String>> + Sync);

/// Walks the lab's steps. Unless `keep`, a lease still active at the end (a step after
/// issuing failed) is revoked, so a scripted demo leaves no IAM user behind. With
/// `inside`, the AWS calls Vault's engine made go under each step.
pub async fn walk(
    session: &Session,
    keep: bool,
    inside: bool,
    out: &mut impl Write,
) -> std::io::Result<WalkResult> {
    walk_gated(session, keep, inside, None, out).await
}

/// [`walk`], asking `gate` before each step; a held step ends the walk, and the lease an
/// earlier step issued is kept (it is the seat's, and the room's end revokes it).
pub async fn walk_gated(
    session: &Session,
    keep: bool,
    inside: bool,
    gate: Option<Gate<'_>>,
    out: &mut impl Write,
) -> std::io::Result<WalkResult> {
    let (outcomes, _unused) = tokio::sync::mpsc::unbounded_channel();
    let runner = EffectRunner::new(session.vault.clone(), session.engine.clone(), outcomes)
        .with_journal(session.journal.clone());
    if let Some(problem) = &session.journal_problem {
        writeln!(out, "warning: {problem}")?;
    }
    let mut inputs = session.start_inputs(Utc::now());
    // Earlier runs' leases are theirs, and cleanup's: a walk leaves them alone.
    if let Some(journal) = &mut inputs.journal {
        journal.leftovers.clear();
    }
    let (mut app, initial) = init(inputs);
    let mut inside = match inside {
        true => Some(Inside::new(session, &app)),
        false => None,
    };
    writeln!(
        out,
        "vaultlab walk · {} · {} mode · {}",
        app.lab.title,
        app.connection.mode.name(),
        app.connection.vault_addr
    )?;
    if let crate::setup::Mode::Local { started } = &app.connection.mode {
        writeln!(out, "started: {}", started.join(", "))?;
    }
    if let Some(Inside {
        note: Some(note), ..
    }) = &inside
    {
        writeln!(out, "inside: {note}")?;
    }
    settle(&mut app, &runner, initial).await;
    let result = walk_steps(&mut app, &runner, inside.as_mut(), gate, out).await?;
    let held = matches!(result, WalkResult::Held { .. });
    if let Some(lease) = app.active_lease().filter(|_| !keep && !held) {
        writeln!(
            out,
            "\nRevoking the lease this walk issued: {}",
            lease.lease_id
        )?;
        // As a learner would: q, then r at the prompt (revoke and quit).
        press(&mut app, &runner, KeyCode::Char('q')).await;
        press(&mut app, &runner, KeyCode::Char('r')).await;
        if let Some(inside) = inside.as_mut() {
            inside.print(&mut app, out)?;
        }
    }
    if result == WalkResult::Completed {
        writeln!(out, "\n{}", app.fill(&app.lab.finish.done))?;
    }
    Ok(result)
}

async fn walk_steps(
    app: &mut App,
    runner: &EffectRunner,
    mut inside: Option<&mut Inside>,
    gate: Option<Gate<'_>>,
    out: &mut impl Write,
) -> std::io::Result<WalkResult> {
    let count = app.lab.steps.len();
    for index in 0..count {
        if let Some(line) = match gate {
            Some(gate) => gate(index + 1).await,
            None => None,
        } {
            writeln!(
                out,
                "\n[{}/{count}] {}",
                index + 1,
                app.lab.steps[index].title
            )?;
            writeln!(out, "  ⏸ {line}")?;
            if let Some(lease) = app.active_lease() {
                writeln!(
                    out,
                    "  the lease {} stays: the room's end revokes it",
                    lease.lease_id
                )?;
            }
            return Ok(WalkResult::Held {
                step: index + 1,
                line,
            });
        }
        press(app, runner, KeyCode::Char('n')).await;
        let step = &app.lab.steps[index];
        writeln!(out, "\n[{}/{count}] {}", index + 1, step.title)?;
        writeln!(out, "  $ {}", app.fill(&step.cli))?;
        press(app, runner, KeyCode::Enter).await;
        report(app, index, out)?;
        if let Some(inside) = inside.as_deref_mut() {
            inside.print(app, out)?;
        }
        // Anything but done is a failure: a step left pending or running did not happen.
        match &app.steps[index].status {
            StepStatus::Done => {}
            StepStatus::Failed(failure) => {
                return Ok(WalkResult::Failed {
                    step: index + 1,
                    what: failure.what.clone(),
                });
            }
            other => {
                return Ok(WalkResult::Failed {
                    step: index + 1,
                    what: format!("the step ended {other:?}"),
                });
            }
        }
    }
    Ok(WalkResult::Completed)
}

/// A key, as the learner presses it, and everything it leads to.
async fn press(app: &mut App, runner: &EffectRunner, code: KeyCode) {
    let (effects, _) = update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    settle(app, runner, effects).await;
}

/// Runs effects in order, feeding each outcome back, until none are left.
async fn settle(app: &mut App, runner: &EffectRunner, effects: Vec<Effect>) {
    let mut queue: VecDeque<Effect> = effects.into();
    while let Some(effect) = queue.pop_front() {
        if let Some(outcome) = runner.run(effect).await {
            // What the clock asks for (an expired lease to look up) is left out: the walk
            // does not wait for Vault to forget a lease.
            update(app, Msg::Tick(Utc::now()));
            queue.extend(update(app, Msg::Outcome(Box::new(outcome))).0);
        }
    }
}

fn report(app: &App, index: usize, out: &mut impl Write) -> std::io::Result<()> {
    let view = &app.steps[index];
    if let Some(exchange) = &view.exchange {
        writeln!(out, "  $ {}", exchange.curl)?;
        for line in exchange.response.lines() {
            writeln!(out, "    {line}")?;
        }
    }
    match app.step_kind(index) {
        StepKind::Form(_) => {
            let verified = app.form(index).and_then(|f| f.verified.as_ref());
            for fact in verified.iter().flat_map(|v| &v.facts) {
                writeln!(out, "  {}: {}", fact.short, fact.value)?;
            }
        }
        StepKind::Issue(issue) => {
            if let Some(creds) = &app.creds {
                let mut said = vec![
                    format!("lease {}", creds.lease.id),
                    crate::lease::countdown::format_vault_duration(creds.lease.duration),
                ];
                for name in &issue.show {
                    said.push(match issue.secret.contains(name) {
                        true => format!("{name} masked"),
                        false => format!("{name} {}", creds.fields.text(name)),
                    });
                }
                writeln!(out, "  {}", said.join(" · "))?;
            }
        }
        StepKind::Probe(_) => {
            if let Some(probe) = app.probe(index) {
                writeln!(out, "  attempts: {}", probe.attempt)?;
            }
        }
        StepKind::Revoke(_) => {
            if let Some(shown) = app.proof(index) {
                writeln!(out, "  {}", shown.proof.summary)?;
            }
        }
        StepKind::Request(_) | StepKind::Editor(_) => {}
    }
    match &view.status {
        StepStatus::Done => writeln!(out, "  ✓ done"),
        StepStatus::Failed(failure) => {
            writeln!(out, "  ✗ {}", failure.what)?;
            if !failure.detail.is_empty() {
                writeln!(out, "    {}", failure.detail)?;
            }
            writeln!(out, "    → {}", failure.hint)
        }
        other => writeln!(out, "  ? {other:?}"),
    }
}

/// `--inside`: the sandbox's events, read after each step, printed under it.
struct Inside {
    drain: Option<Drain>,
    /// Why there is nothing to print (not the sandbox's own AWS).
    note: Option<&'static str>,
    /// How many of the app's bursts were printed already.
    printed: usize,
}

impl Inside {
    fn new(session: &Session, app: &App) -> Inside {
        let note = Availability::of(app).reason();
        Inside {
            drain: session
                .sandbox
                .as_ref()
                .filter(|_| note.is_none())
                .map(|sandbox| Drain::new(sandbox.events())),
            note,
            printed: 0,
        }
    }

    /// What the engine did since the last look, through `update` as the TUI takes it.
    fn print(&mut self, app: &mut App, out: &mut impl Write) -> std::io::Result<()> {
        let Some(drain) = &mut self.drain else {
            return Ok(());
        };
        for seen in drain.take() {
            update(app, Msg::Inside(seen));
        }
        // A walk makes a handful of bursts, far fewer than the app keeps.
        let bursts = &app.inside.bursts;
        let fresh = &bursts[self.printed.min(bursts.len())..];
        for (n, burst) in fresh.iter().enumerate() {
            if n == 0 {
                writeln!(out, "  inside Vault (the AWS calls its engine made):")?;
            }
            for row in burst_rows(app, burst) {
                let indent = match row {
                    Row::Call { .. } => "    ",
                    _ => "   ",
                };
                writeln!(out, "{indent}{}", row.plain())?;
            }
        }
        self.printed = bursts.len();
        Ok(())
    }
}
