//! The event loop: terminal events, a 1 Hz clock and effect outcomes become messages;
//! `update` turns them into effects, which run on their own tasks. The screen is drawn
//! only when something on it may have changed.

pub mod effects;
pub mod terminal;

use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use secrecy::ExposeSecret;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::app::msg::{Failure, Msg, Outcome, StopSignal};
use crate::app::{App, Effect, update};
use crate::ui::{self, Theme};
use effects::EffectRunner;
use terminal::Tui;

/// Runs until the app asks to quit; returns the app as it ended.
pub async fn run(
    terminal: &mut Tui,
    mut app: App,
    theme: Theme,
    runner: EffectRunner,
    mut outcomes: UnboundedReceiver<Msg>,
    mut initial: Vec<Effect>,
) -> std::io::Result<App> {
    let mut events = EventStream::new();
    let mut stop_signals = StopSignals::new()?;
    // Leases earlier runs left open: looked up in Vault, offered for revocation.
    initial.extend(update(&mut app, Msg::Outcome(runner.journal_read())));
    // One tick a second is enough for a countdown; an idle app wakes for nothing else.
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    dispatch(&mut app, &runner, initial);
    let mut dirty = true;
    while !app.should_quit {
        if dirty {
            terminal.draw(|frame| ui::draw(frame, &app, &theme))?;
            dirty = false;
        }
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => Msg::Key(key),
                Some(Ok(Event::Paste(text))) => Msg::Paste(text),
                Some(Ok(Event::Resize(..))) => {
                    dirty = true;
                    continue;
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error),
                None => break,
            },
            _ = clock.tick() => {
                // Only a countdown or a running probe changes with time alone.
                let now = Utc::now();
                dirty = app.leases.iter().any(|l| l.is_active(now) || l.expires_at > app.now && l.expires_at <= now)
                    || app.probe.is_some();
                let effects = update(&mut app, Msg::Tick(now));
                dispatch(&mut app, &runner, effects);
                continue;
            }
            Some(msg) = outcomes.recv() => msg,
            // Killed politely: SIGTERM asks as q does, a closed terminal's SIGHUP keeps
            // the leases and leaves. Either way the loop ends cleanly and the terminal
            // is restored.
            signal = stop_signals.recv() => Msg::Signal(signal),
        };
        // The clock first, so `msg` meets the present; what the tick asks for (a lease
        // just expired to look up) runs too.
        let mut effects = update(&mut app, Msg::Tick(Utc::now()));
        effects.extend(update(&mut app, msg));
        dispatch(&mut app, &runner, effects);
        dirty = true;
    }
    Ok(app)
}

/// SIGINT and SIGQUIT sent from outside (`kill -INT`, a supervisor) are taken as SIGTERM:
/// in raw mode Ctrl-C is a key, so these only come from elsewhere, and their default
/// action would leave the terminal raw.
#[cfg(unix)]
struct StopSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            quit: signal(SignalKind::quit())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    async fn recv(&mut self) -> StopSignal {
        tokio::select! {
            _ = self.terminate.recv() => StopSignal::Terminate,
            _ = self.interrupt.recv() => StopSignal::Terminate,
            _ = self.quit.recv() => StopSignal::Terminate,
            _ = self.hangup.recv() => StopSignal::Hangup,
        }
    }
}

#[cfg(not(unix))]
struct StopSignals;

#[cfg(not(unix))]
impl StopSignals {
    fn new() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn recv(&mut self) -> StopSignal {
        std::future::pending().await
    }
}

fn dispatch(app: &mut App, runner: &EffectRunner, effects: Vec<Effect>) {
    for effect in effects {
        match effect {
            // The loop owns the terminal, so the clipboard escape is written here.
            Effect::CopyToClipboard(text) => {
                let result =
                    terminal::copy_to_clipboard(text.expose_secret()).map_err(|e| Failure {
                        what: format!("Could not copy: {e}"),
                        detail: String::new(),
                        hint: String::new(),
                    });
                let more = update(app, Msg::Outcome(Outcome::Copied(result)));
                dispatch(app, runner, more);
            }
            other => runner.spawn(other),
        }
    }
}
