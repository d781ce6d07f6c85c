//! The dashboard's event loop: keys, a 1 Hz clock (the room is read each second, and the
//! countdowns move), signals and the answers of the room become messages; `update` turns
//! them into effects, which run on their own tasks, and says whether the screen changed:
//! it is drawn only then. A room that changed nothing costs one request a second and no
//! drawing but the countdowns'.

use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::{Dashboard, Done, Effect, Msg, update, view};
use crate::app::Redraw;
use crate::room_client::RoomControl;
use crate::runtime::StopSignals;
use crate::runtime::suspend::{JobSignal, JobSignals};
use crate::runtime::terminal::{self, Tui};
use crate::ui::Theme;

/// Runs until the facilitator quits; returns the dashboard as it ended.
pub async fn run(
    terminal: &mut Tui,
    mut dashboard: Dashboard,
    initial: Vec<Effect>,
    control: RoomControl,
    theme: Theme,
) -> std::io::Result<Dashboard> {
    let (tx, mut answers): (UnboundedSender<Msg>, UnboundedReceiver<Msg>) = unbounded_channel();
    let mut events = EventStream::new();
    let mut stop_signals = StopSignals::new()?;
    let mut job_signals = JobSignals::new()?;
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut redraw = Redraw::Yes;
    let mut effects = initial;
    loop {
        for effect in std::mem::take(&mut effects) {
            match effect {
                Effect::Quit => return Ok(dashboard),
                Effect::Suspend => {
                    terminal::suspend(terminal);
                    redraw = Redraw::Yes;
                }
                other => spawn(&control, &dashboard, other, tx.clone()),
            }
        }
        if redraw == Redraw::Yes {
            terminal.draw(|frame| view::draw(frame, &dashboard, &theme))?;
            redraw = Redraw::No;
        }
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => Msg::Key(key),
                Some(Ok(Event::Paste(text))) => Msg::Paste(text),
                Some(Ok(Event::Resize(..))) => {
                    redraw = Redraw::Yes;
                    continue;
                }
                Some(Ok(_)) => continue,
                // The terminal has gone: leave as on SIGHUP (the room keeps its state).
                Some(Err(_)) | None => Msg::Signal(crate::app::msg::StopSignal::Hangup),
            },
            _ = clock.tick() => Msg::Tick(Utc::now()),
            Some(msg) = answers.recv() => msg,
            signal = stop_signals.recv() => Msg::Signal(signal),
            job = job_signals.recv() => match job {
                JobSignal::Stop => Msg::Suspend,
                JobSignal::Continued => {
                    if let Err(error) = terminal::take_back(terminal) {
                        tracing::warn!("cannot take the terminal back: {error}");
                    }
                    redraw = Redraw::Yes;
                    continue;
                }
            },
        };
        if !matches!(msg, Msg::Tick(_)) {
            // The clock first, so `msg` meets the present.
            let (asked, changed) = update(&mut dashboard, Msg::Tick(Utc::now()));
            effects.extend(asked);
            redraw = redraw | changed;
        }
        let (asked, changed) = update(&mut dashboard, msg);
        effects.extend(asked);
        redraw = redraw | changed;
    }
}

/// Runs one effect against the room on its own task; its answer comes back as a message.
fn spawn(control: &RoomControl, dashboard: &Dashboard, effect: Effect, tx: UnboundedSender<Msg>) {
    let control = control.clone();
    let report_path = dashboard.start.report.clone();
    tokio::spawn(async move {
        let msg = match effect {
            Effect::FetchStatus => Msg::Status(control.status().await.map_err(|e| e.to_string())),
            Effect::FetchLog(seat) => Msg::Log {
                result: control.seat_log(&seat).await.map_err(|e| e.to_string()),
                seat,
            },
            Effect::Broadcast(message) => Msg::Done(
                control
                    .broadcast(&message)
                    .await
                    .map(|()| Done::Broadcast {
                        cleared: message.is_empty(),
                    })
                    .map_err(|why| format!("The broadcast was not sent: {why}")),
            ),
            Effect::Pace(step) => Msg::Done(
                control
                    .pace(step)
                    .await
                    .map(|()| Done::Pace(step))
                    .map_err(|why| format!("The pace was not set: {why}")),
            ),
            Effect::ShortLeases { on: true } => Msg::Done(
                control
                    .short_leases()
                    .await
                    .map(|seats| Done::ShortLeases { seats, on: true })
                    .map_err(|why| format!("The leases were not shortened: {why}")),
            ),
            Effect::ShortLeases { on: false } => Msg::Done(
                control
                    .short_leases_off()
                    .await
                    .map(|seats| Done::ShortLeases { seats, on: false })
                    .map_err(|why| format!("Short leases were not turned off: {why}")),
            ),
            Effect::Revoke(seat) => Msg::Done(
                control
                    .revoke_seat(&seat)
                    .await
                    .map_err(|why| format!("{seat}'s leases were not revoked: {why}"))
                    .map(|leases| Done::Revoked { seat, leases }),
            ),
            Effect::End => Msg::Done(match control.end().await {
                Ok(report) => match super::report::write(&report_path, &report) {
                    Ok(_) => Ok(Done::Ended {
                        report: report_path,
                        leases_revoked: report.leases_revoked,
                        vault_users_left: report.vault_users_left,
                    }),
                    Err(e) => Err(format!(
                        "The room has ended, but its report could not be written to {}: {e}",
                        report_path.display()
                    )),
                },
                Err(why) => Err(format!("The room did not end: {why}")),
            }),
            Effect::Quit | Effect::Suspend => return,
        };
        let _ = tx.send(msg);
    });
}
