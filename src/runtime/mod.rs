//! The event loop: terminal events, a 1 Hz clock, signals and effect outcomes become
//! messages; `update` turns them into effects, which run on their own tasks, and says
//! whether the screen changed: it is drawn only then. The loop reads nothing of the app's
//! state to decide what to do.

pub mod effects;
pub mod suspend;
pub mod terminal;

use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind, MouseEventKind};
use futures::StreamExt;
use secrecy::ExposeSecret;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::app::msg::{Msg, Outcome, StopSignal};
use crate::app::{App, Effect, Redraw, update};
use crate::ui::{self, Theme};
use effects::EffectRunner;
use suspend::{JobSignal, JobSignals};
use terminal::Tui;

/// Runs until the app says the run is over; returns the app as it ended.
pub async fn run(
    terminal: &mut Tui,
    mut app: App,
    theme: Theme,
    runner: EffectRunner,
    mut outcomes: UnboundedReceiver<Msg>,
    initial: Vec<Effect>,
) -> std::io::Result<App> {
    let mut events = EventStream::new();
    let mut stop_signals = StopSignals::new()?;
    let mut job_signals = JobSignals::new()?;
    // One tick a second is enough for a countdown; an idle app wakes for nothing else.
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut redraw = Redraw::Yes;
    // Cleared when the terminal goes away (its window closed, an ssh session dropped):
    // nothing is drawn or read any more, and the run ends as a SIGHUP ends it, once the
    // requests on their way are answered and journaled.
    let mut terminal_open = true;
    let mut flow = dispatch(&runner, terminal, initial, &mut redraw);
    while flow == Flow::Go {
        let mut gone = None;
        if redraw == Redraw::Yes && terminal_open {
            let mut drawn = None;
            match terminal.draw(|frame| drawn = Some(ui::draw(frame, &app, &theme))) {
                Err(error) => gone = Some(error),
                // What the view measured goes back to `update`, as any input does.
                Ok(_) => {
                    if let Some(msg) = drawn.and_then(|d| d.feedback(&app)) {
                        let (_, changed) = update(&mut app, msg);
                        redraw = changed;
                        if redraw == Redraw::Yes {
                            continue;
                        }
                    }
                }
            }
            redraw = Redraw::No;
        }
        let msg = match gone {
            Some(error) => terminal_gone(&mut terminal_open, &error),
            None => tokio::select! {
                event = events.next(), if terminal_open => match event {
                    Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                        Msg::Key(key)
                    }
                    Some(Ok(Event::Paste(text))) => Msg::Paste(text),
                    Some(Ok(Event::Mouse(mouse))) => match mouse.kind {
                        MouseEventKind::ScrollDown => Msg::Wheel { down: true },
                        MouseEventKind::ScrollUp => Msg::Wheel { down: false },
                        _ => continue,
                    },
                    Some(Ok(Event::Resize(width, height))) => {
                        terminal.backend_mut().writer_mut().resized(width, height);
                        redraw = Redraw::Yes;
                        continue;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(error)) => terminal_gone(&mut terminal_open, &error),
                    None => terminal_gone(
                        &mut terminal_open,
                        &std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
                    ),
                },
                _ = clock.tick() => Msg::Tick(Utc::now()),
                Some(msg) = outcomes.recv() => msg,
                // Killed politely: SIGTERM asks as q does, a closed terminal's SIGHUP keeps
                // the leases and leaves. Either way the loop ends cleanly and the terminal
                // is restored.
                signal = stop_signals.recv() => Msg::Signal(signal),
                job = job_signals.recv(), if terminal_open => match job {
                    JobSignal::Stop => Msg::Suspend,
                    // Continued after a stop vaultlab did not see coming: the terminal is
                    // taken back and redrawn. (After its own suspend, it already was.)
                    JobSignal::Continued => {
                        if let Err(error) = terminal::take_back(terminal) {
                            tracing::warn!("cannot take the terminal back: {error}");
                        }
                        redraw = Redraw::Yes;
                        continue;
                    }
                },
            },
        };
        let mut effects = Vec::new();
        if !matches!(msg, Msg::Tick(_)) {
            // The clock first, so `msg` meets the present; what the tick asks for (a
            // lease just expired to look up) runs too.
            let (asked, changed) = update(&mut app, Msg::Tick(Utc::now()));
            effects.extend(asked);
            redraw = redraw | changed;
        }
        let (asked, changed) = update(&mut app, msg);
        effects.extend(asked);
        redraw = redraw | changed;
        flow = dispatch(&runner, terminal, effects, &mut redraw);
    }
    Ok(app)
}

/// The terminal failed (drawing, or reading keys): it has gone. That is a hangup, whether
/// or not the SIGHUP has arrived yet: no one is left to ask.
fn terminal_gone(terminal_open: &mut bool, error: &std::io::Error) -> Msg {
    tracing::warn!("the terminal has gone ({error}): leaving as on SIGHUP");
    *terminal_open = false;
    Msg::Signal(StopSignal::Hangup)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Go,
    Stop,
}

/// Hands each effect to whoever runs it, in order: the terminal's own (the clipboard,
/// suspending), the journal's (at once, so its changes keep their order and none is lost
/// on the way out), and the rest to their own tasks.
fn dispatch(
    runner: &EffectRunner,
    terminal: &mut Tui,
    effects: Vec<Effect>,
    redraw: &mut Redraw,
) -> Flow {
    for effect in effects {
        match effect {
            Effect::Quit => return Flow::Stop,
            Effect::Suspend => {
                // Requests on their way are answered once the process continues; the
                // clock is read then, so countdowns are right at once.
                terminal::suspend(terminal);
                *redraw = Redraw::Yes;
            }
            Effect::Clipboard(text) => runner.report(Outcome::Copied(
                terminal::copy_to_clipboard(text.expose_secret()).map_err(|e| e.to_string()),
            )),
            Effect::Publish(published) => runner.publish(&published),
            Effect::Wake { after, wake } => runner.wake(after, wake),
            Effect::Journal(change) => {
                let outcome = tokio::task::block_in_place(|| runner.journal(change));
                runner.report(outcome);
            }
            other => runner.spawn(other),
        }
    }
    Flow::Go
}

/// SIGINT and SIGQUIT sent from outside (`kill -INT`, a supervisor) are taken as SIGTERM:
/// in raw mode Ctrl-C is a key, so these only come from elsewhere, and their default
/// action would leave the terminal raw.
#[cfg(unix)]
pub(crate) struct StopSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignals {
    pub(crate) fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            quit: signal(SignalKind::quit())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    pub(crate) async fn recv(&mut self) -> StopSignal {
        tokio::select! {
            _ = self.terminate.recv() => StopSignal::Terminate,
            _ = self.interrupt.recv() => StopSignal::Terminate,
            _ = self.quit.recv() => StopSignal::Terminate,
            _ = self.hangup.recv() => StopSignal::Hangup,
        }
    }
}

#[cfg(not(unix))]
pub(crate) struct StopSignals;

#[cfg(not(unix))]
impl StopSignals {
    fn new() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn recv(&mut self) -> StopSignal {
        std::future::pending().await
    }
}
