//! The one place the dashboard's state changes. Pure: no I/O, no clock.

use chrono::{DateTime, TimeDelta, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Confirm, Dashboard, Done, Effect, Msg, Prompt, View};
use crate::app::Redraw;
use crate::app::keymap::{ctrl_c, ctrl_z};
use crate::app::msg::StopSignal;

/// The room is read this often; a tick that comes sooner (one before every key) does not
/// ask again.
pub const REFRESH: TimeDelta = TimeDelta::milliseconds(900);

/// How long a broadcast may be (the room refuses longer ones).
pub const BROADCAST_MAX: usize = 200;

/// Rows PgUp and PgDn move by.
const PAGE: usize = 10;

pub fn update(d: &mut Dashboard, msg: Msg) -> (Vec<Effect>, Redraw) {
    let mut effects = Vec::new();
    let changed = match msg {
        Msg::Tick(now) => tick(d, now, &mut effects),
        Msg::Key(key) => on_key(d, key, &mut effects),
        Msg::Paste(text) => match &mut d.prompt {
            Some(Prompt::Broadcast(line)) => {
                let text = text.split(['\n', '\r']).next().unwrap_or_default();
                line.extend(
                    text.chars()
                        .take(BROADCAST_MAX - line.chars().count().min(BROADCAST_MAX)),
                );
                true
            }
            _ => false,
        },
        Msg::Signal(StopSignal::Hangup) => {
            quit(d, &mut effects);
            true
        }
        Msg::Signal(StopSignal::Terminate) => {
            // A second SIGTERM while asked: whoever sent it means it.
            if d.prompt == Some(Prompt::Confirm(Confirm::Quit)) || d.ended() {
                quit(d, &mut effects);
            } else {
                d.prompt = Some(Prompt::Confirm(Confirm::Quit));
            }
            true
        }
        Msg::Suspend => {
            effects.push(Effect::Suspend);
            false
        }
        Msg::Status(result) => {
            d.fetch.in_flight = false;
            match result {
                Ok(room) => {
                    d.fetch.last_ok = Some(d.now);
                    let changed =
                        d.fetch.problem.take().is_some() || d.room.as_ref() != Some(&room);
                    d.room = Some(room);
                    changed
                }
                Err(problem) => {
                    let changed = d.fetch.problem.as_ref() != Some(&problem);
                    d.fetch.problem = Some(problem);
                    changed
                }
            }
        }
        Msg::Log {
            seat: asked,
            result,
        } => match &mut d.view {
            // An answer for a seat no longer shown leaves the shown one's alone.
            View::Log { seat, .. } if *seat != asked => false,
            View::Log {
                log,
                in_flight,
                problem,
                ..
            } => {
                *in_flight = false;
                match result {
                    Ok(read) => {
                        let changed = problem.take().is_some() || log.as_ref() != Some(&read);
                        *log = Some(read);
                        changed
                    }
                    Err(why) => {
                        let changed = problem.as_ref() != Some(&why);
                        *problem = Some(why);
                        changed
                    }
                }
            }
            View::Seats => false,
        },
        Msg::Done(result) => {
            d.notice = Some(match result {
                Ok(done) => done_words(d, done),
                Err(why) => why,
            });
            // What the action changed shows at once, not at the next second.
            fetch_now(d, &mut effects);
            true
        }
    };
    (effects, Redraw::from(changed))
}

/// A new second: the countdowns move, and the room is read again.
fn tick(d: &mut Dashboard, now: DateTime<Utc>, effects: &mut Vec<Effect>) -> bool {
    let second_changed = now.timestamp() != d.now.timestamp();
    d.now = now;
    let due = d
        .fetch
        .last_started
        .is_none_or(|started| now - started >= REFRESH);
    if due && !d.fetch.in_flight {
        fetch_now(d, effects);
    }
    if let View::Log {
        seat, in_flight, ..
    } = &mut d.view
        && due
        && !*in_flight
    {
        *in_flight = true;
        effects.push(Effect::FetchLog(seat.clone()));
    }
    second_changed
}

fn fetch_now(d: &mut Dashboard, effects: &mut Vec<Effect>) {
    if d.fetch.in_flight {
        return;
    }
    d.fetch.in_flight = true;
    d.fetch.last_started = Some(d.now);
    effects.push(Effect::FetchStatus);
}

fn quit(d: &mut Dashboard, effects: &mut Vec<Effect>) {
    d.quit = true;
    effects.push(Effect::Quit);
}

fn done_words(d: &mut Dashboard, done: Done) -> String {
    match done {
        Done::Broadcast { cleared: true } => "The broadcast is cleared.".to_owned(),
        Done::Broadcast { cleared: false } => {
            "Broadcast sent: it shows in every learner's status bar.".to_owned()
        }
        Done::Pace(Some(step)) => format!(
            "The room is held at step {step}: later steps say the facilitator will open them."
        ),
        Done::Pace(None) => "The room is free: every step is open.".to_owned(),
        Done::ShortLeases { seats, on: true } => {
            format!(
                "Leases are now 2m (max 5m) in every seat ({seats} now, and those that join later): new credentials expire together."
            )
        }
        Done::ShortLeases { seats, on: false } => format!(
            "Short leases are off: every seat ({seats} now, and those that join later) has the engine's default lease TTLs again."
        ),
        Done::Revoked { seat, leases } => format!("Revoked {leases} leases of seat {seat}."),
        Done::Ended {
            report,
            leases_revoked,
            vault_users_left,
        } => {
            let words = format!(
                "The room has ended: {leases_revoked} leases revoked, {vault_users_left} vault-* IAM users left; report in {}",
                report.display()
            );
            d.report_written = Some(report);
            words
        }
    }
}

/// Said at the first Ctrl-Z.
pub const SUSPEND_WARNING: &str = "Ctrl-Z stops the room with the dashboard: learners' requests wait until fg. Ctrl-Z again to suspend anyway.";

fn on_key(d: &mut Dashboard, key: KeyEvent, effects: &mut Vec<Effect>) -> bool {
    let asked = std::mem::take(&mut d.suspend_asked);
    if ctrl_z(&key) {
        if asked {
            d.notice = None;
            effects.push(Effect::Suspend);
        } else {
            d.suspend_asked = true;
            d.notice = Some(SUSPEND_WARNING.to_owned());
        }
        return true;
    }
    if asked && d.notice.as_deref() == Some(SUSPEND_WARNING) {
        d.notice = None;
    }
    if d.help {
        d.help = false;
        return true;
    }
    if ctrl_c(&key) {
        return ask_quit(d, effects);
    }
    match d.prompt.take() {
        Some(Prompt::Broadcast(line)) => broadcast_key(d, line, key, effects),
        Some(Prompt::Pace) => {
            let step = match key.code {
                KeyCode::Char(c @ '1'..='6') => Some(Some(c as u8 - b'0')),
                KeyCode::Char('f' | '0') => Some(None),
                KeyCode::Esc => return true,
                _ => None,
            };
            match step {
                Some(step) => effects.push(Effect::Pace(step)),
                None => d.prompt = Some(Prompt::Pace),
            }
            true
        }
        Some(Prompt::Confirm(confirm)) => {
            match key.code {
                KeyCode::Char('y' | 'Y') => match confirm {
                    Confirm::ShortLeases { on } => effects.push(Effect::ShortLeases { on }),
                    Confirm::Revoke(seat) => effects.push(Effect::Revoke(seat)),
                    Confirm::End => {
                        d.notice = Some("Ending the room: revoking every lease…".to_owned());
                        effects.push(Effect::End);
                    }
                    Confirm::Quit => quit(d, effects),
                },
                KeyCode::Esc | KeyCode::Char('n' | 'N') => {}
                _ => d.prompt = Some(Prompt::Confirm(confirm)),
            }
            true
        }
        None => main_key(d, key, effects),
    }
}

fn ask_quit(d: &mut Dashboard, effects: &mut Vec<Effect>) -> bool {
    if d.ended() {
        quit(d, effects);
    } else {
        d.prompt = Some(Prompt::Confirm(Confirm::Quit));
    }
    true
}

fn broadcast_key(
    d: &mut Dashboard,
    mut line: String,
    key: KeyEvent,
    effects: &mut Vec<Effect>,
) -> bool {
    match key.code {
        KeyCode::Enter => {
            effects.push(Effect::Broadcast(line.trim().to_owned()));
            return true;
        }
        KeyCode::Esc => return true,
        KeyCode::Backspace => {
            line.pop();
        }
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                && line.chars().count() < BROADCAST_MAX =>
        {
            line.push(c);
        }
        _ => {}
    }
    d.prompt = Some(Prompt::Broadcast(line));
    true
}

fn main_key(d: &mut Dashboard, key: KeyEvent, effects: &mut Vec<Effect>) -> bool {
    let ended = d.ended();
    match key.code {
        KeyCode::Char('?') => d.help = true,
        KeyCode::Char('q') => return ask_quit(d, effects),
        KeyCode::Char('z') => d.big_join = !d.big_join,
        KeyCode::Char('b') if !ended => d.prompt = Some(Prompt::Broadcast(String::new())),
        KeyCode::Char('p') if !ended => d.prompt = Some(Prompt::Pace),
        KeyCode::Char('t') if !ended => {
            let on = !d.short_leases_on();
            d.prompt = Some(Prompt::Confirm(Confirm::ShortLeases { on }));
        }
        KeyCode::Char('E') if !ended => d.prompt = Some(Prompt::Confirm(Confirm::End)),
        KeyCode::Char('x') if !ended => match selected_seat(d) {
            Some(seat) => d.prompt = Some(Prompt::Confirm(Confirm::Revoke(seat))),
            None => d.notice = Some("No seat is selected.".to_owned()),
        },
        _ => {
            return match &d.view {
                View::Seats => seats_key(d, key, effects),
                View::Log { .. } => log_key(d, key),
            };
        }
    }
    true
}

/// The seat the facilitator is looking at: the log's, else the selected row's.
fn selected_seat(d: &Dashboard) -> Option<String> {
    match &d.view {
        View::Log { seat, .. } => Some(seat.clone()),
        View::Seats => d.rows().get(d.cursor()).map(|s| s.name.clone()),
    }
}

fn seats_key(d: &mut Dashboard, key: KeyEvent, effects: &mut Vec<Effect>) -> bool {
    let rows: Vec<String> = d.rows().iter().map(|s| s.name.clone()).collect();
    let last = rows.len().saturating_sub(1);
    let cursor = d.cursor();
    let moved = match key.code {
        KeyCode::Up | KeyCode::Char('k') => cursor.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => (cursor + 1).min(last),
        KeyCode::PageUp => cursor.saturating_sub(PAGE),
        KeyCode::PageDown => (cursor + PAGE).min(last),
        KeyCode::Home => 0,
        KeyCode::End => last,
        KeyCode::Enter => {
            let Some(seat) = rows.get(cursor).cloned() else {
                return false;
            };
            effects.push(Effect::FetchLog(seat.clone()));
            d.view = View::Log {
                seat,
                log: None,
                scroll: 0,
                in_flight: true,
                problem: None,
            };
            return true;
        }
        KeyCode::Char('s') => {
            d.selected = rows.get(cursor).cloned();
            d.sort = d.sort.next();
            return true;
        }
        KeyCode::Char('f') => {
            d.selected = rows.get(cursor).cloned();
            d.filter = d.filter.next();
            return true;
        }
        _ => return false,
    };
    let before = d.selected.clone();
    d.selected = rows.get(moved).cloned();
    d.selected != before
}

fn log_key(d: &mut Dashboard, key: KeyEvent) -> bool {
    let View::Log { scroll, log, .. } = &mut d.view else {
        return false;
    };
    let last = log
        .as_ref()
        .map_or(0, |l| l.entries.len().saturating_sub(1));
    let before = *scroll;
    match key.code {
        KeyCode::Esc | KeyCode::Enter | KeyCode::Backspace | KeyCode::Left => {
            d.view = View::Seats;
            return true;
        }
        KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => *scroll = (*scroll + 1).min(last),
        KeyCode::PageUp => *scroll = scroll.saturating_sub(PAGE),
        KeyCode::PageDown => *scroll = (*scroll + PAGE).min(last),
        KeyCode::Home => *scroll = 0,
        KeyCode::End => *scroll = last,
        _ => return false,
    }
    *scroll != before
}
