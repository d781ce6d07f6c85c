//! Autoplay (`--present --autoplay --pace 4s`): the lab runs itself at a steady pace, so
//! a presenter can talk over it. On each step's pane the step's command (the CLI line the
//! pane shows) is typed out a character at a time, then run as Enter runs it; once the
//! step is done, the pane stays for the pace, then the next one comes.
//!
//! Pure, as all of `update` is: time comes in with [`Msg::Autoplay`], which the runtime
//! sends when the [`Effect::Wake`] asked for is due. Each wake-up carries a number; one
//! that is not the latest asked for (autoplay paused, stepped or handed over since) is
//! ignored. Space pauses and resumes, `n`/`p` step, any other key hands the lab back to
//! the presenter (and does what it does).

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent};

use crate::app::keymap::{Action, plain};
use crate::app::state::{App, Pane, StepStatus};
use crate::app::{Effect, Redraw};

/// How often a running step is looked at.
const POLL: Duration = Duration::from_millis(200);
/// The bounds of the time between two typed characters.
const FASTEST_KEY: Duration = Duration::from_millis(10);
const SLOWEST_KEY: Duration = Duration::from_millis(60);

/// What the status bar says when a key takes the lab back.
pub const HANDED_OVER: &str = "Autoplay stopped: the keys are yours.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Autoplay {
    /// How long a pane stays once its step is done.
    pub pace: Duration,
    pub phase: Phase,
    pub paused: bool,
    /// The number of the latest wake-up asked for.
    wake: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// On a pane, until it is time to go to the next.
    Dwell { until: DateTime<Utc> },
    /// Typing the step's command: `shown` characters of it so far.
    Typing {
        step: usize,
        line: String,
        shown: usize,
    },
    /// The step runs; its answer is awaited.
    Running { step: usize },
}

impl Autoplay {
    pub fn state_word(&self) -> &'static str {
        match (self.paused, &self.phase) {
            (true, _) => "paused",
            (false, Phase::Dwell { .. }) => "playing",
            (false, Phase::Typing { .. }) => "typing",
            (false, Phase::Running { .. }) => "running",
        }
    }

    /// The command as typed so far, on the pane of `step`.
    pub fn typed(&self, step: usize) -> Option<&str> {
        match &self.phase {
            Phase::Typing {
                step: typing,
                line,
                shown,
            } if *typing == step => {
                let end = line
                    .char_indices()
                    .nth(*shown)
                    .map_or(line.len(), |(i, _)| i);
                Some(&line[..end])
            }
            _ => None,
        }
    }

    /// Seconds until the next pane, while waiting on one.
    pub fn next_in(&self, now: DateTime<Utc>) -> Option<Duration> {
        match self.phase {
            Phase::Dwell { until } if !self.paused => {
                Some((until - now).to_std().unwrap_or(Duration::ZERO))
            }
            _ => None,
        }
    }
}

/// Starts autoplay on the pane in view.
pub fn start(app: &mut App, pace: Duration) -> Vec<Effect> {
    app.stage.autoplay = Some(Autoplay {
        pace,
        phase: Phase::Dwell { until: app.now },
        paused: false,
        wake: 0,
    });
    arrive(app);
    wake(app, Duration::ZERO)
}

/// What a key does while autoplay runs.
pub enum Route {
    /// Autoplay's own key (space, `n`, `p`).
    Consumed(Vec<Effect>),
    /// Any other key: autoplay stops; the key does what it does.
    HandedOver,
    /// Autoplay is not running, or a prompt is open: the key is the app's.
    Pass,
}

pub fn on_key(app: &mut App, key: &KeyEvent) -> Route {
    if app.stage.autoplay.is_none() || app.overlay.is_some() || app.editing {
        return Route::Pass;
    }
    if plain(key, KeyCode::Char(' ')) {
        return Route::Consumed(toggle_pause(app));
    }
    let step = if plain(key, KeyCode::Char('n')) || plain(key, KeyCode::Right) {
        Action::NextPane
    } else if plain(key, KeyCode::Char('p')) || plain(key, KeyCode::Left) {
        Action::PrevPane
    } else {
        app.stage.autoplay = None;
        return Route::HandedOver;
    };
    let mut effects = crate::app::on_action(app, step);
    arrive(app);
    effects.extend(wake(app, Duration::ZERO));
    Route::Consumed(effects)
}

fn toggle_pause(app: &mut App) -> Vec<Effect> {
    let now = app.now;
    let Some(autoplay) = app.stage.autoplay.as_mut() else {
        return Vec::new();
    };
    autoplay.paused = !autoplay.paused;
    if autoplay.paused {
        // The wake-up on its way finds a newer number and is ignored.
        autoplay.wake += 1;
        return Vec::new();
    }
    // Resumed: a pane waited on gets its whole pace again, for the words said meanwhile;
    // after a step that failed, the next one comes.
    let failed = matches!(autoplay.phase, Phase::Running { step }
        if matches!(app.steps[step].status, StepStatus::Failed(_)));
    if failed {
        autoplay.phase = Phase::Dwell { until: now };
    }
    if let Phase::Dwell { until } = &mut autoplay.phase
        && !failed
    {
        *until = now + autoplay.pace;
    }
    wake(app, Duration::ZERO)
}

/// The phase a pane starts autoplay in: a step's command to type, the overview to show
/// for the pace; at the finish, autoplay is over.
fn arrive(app: &mut App) {
    let phase = match app.pane {
        Pane::Step(step) => Phase::Typing {
            step,
            line: app.fill(&app.lab.steps[step].cli),
            shown: 0,
        },
        Pane::Overview => match &app.stage.autoplay {
            Some(autoplay) => Phase::Dwell {
                until: app.now + autoplay.pace,
            },
            None => return,
        },
        Pane::Finish | Pane::Leases => {
            if app.stage.autoplay.take().is_some() {
                app.notice = Some("Autoplay finished: the keys are yours.".to_owned());
            }
            return;
        }
    };
    if let Some(autoplay) = app.stage.autoplay.as_mut() {
        autoplay.phase = phase;
    }
}

/// Asks for the next wake-up, `after` from now (none while paused).
fn wake(app: &mut App, after: Duration) -> Vec<Effect> {
    match app.stage.autoplay.as_mut() {
        Some(autoplay) if !autoplay.paused => {
            autoplay.wake += 1;
            vec![Effect::Wake {
                after,
                wake: autoplay.wake,
            }]
        }
        _ => Vec::new(),
    }
}

/// A wake-up came: autoplay's next move.
pub fn on_wake(app: &mut App, number: u64, now: DateTime<Utc>) -> (Vec<Effect>, Redraw) {
    app.now = app.now.max(now);
    let Some(autoplay) = app.stage.autoplay.as_mut() else {
        return (Vec::new(), Redraw::No);
    };
    if autoplay.wake != number || autoplay.paused {
        return (Vec::new(), Redraw::No);
    }
    // A prompt is open (a SIGTERM asks whether to revoke): it is answered first.
    if app.overlay.is_some() {
        return (wake(app, POLL), Redraw::No);
    }
    let pace = autoplay.pace;
    match &mut autoplay.phase {
        Phase::Dwell { until } => {
            let left = (*until - app.now).to_std().unwrap_or(Duration::ZERO);
            if !left.is_zero() {
                // Once a second at least, for the bar's "next in".
                return (wake(app, left.min(Duration::from_secs(1))), Redraw::Yes);
            }
            let mut effects = crate::app::on_action(app, Action::NextPane);
            arrive(app);
            effects.extend(wake(app, Duration::ZERO));
            (effects, Redraw::Yes)
        }
        Phase::Typing { step, line, shown } => {
            let length = line.chars().count();
            if *shown < length {
                *shown += 1;
                let per_key = (pace / 2 / u32::try_from(length).unwrap_or(u32::MAX).max(1))
                    .clamp(FASTEST_KEY, SLOWEST_KEY);
                return (wake(app, per_key), Redraw::Yes);
            }
            let step = *step;
            autoplay.phase = Phase::Running { step };
            let mut effects = crate::app::on_action(app, Action::RunStep);
            effects.extend(wake(app, POLL));
            (effects, Redraw::Yes)
        }
        Phase::Running { step } => {
            let step = *step;
            match &app.steps[step].status {
                StepStatus::Running => (wake(app, POLL), Redraw::No),
                StepStatus::Failed(_) => {
                    autoplay.paused = true;
                    app.notice = Some(format!(
                        "Autoplay paused: step {} failed. Space goes on to the next step; any other key takes over.",
                        step + 1
                    ));
                    (Vec::new(), Redraw::Yes)
                }
                StepStatus::Done | StepStatus::Pending => {
                    autoplay.phase = Phase::Dwell {
                        until: app.now + pace,
                    };
                    (wake(app, Duration::ZERO), Redraw::Yes)
                }
            }
        }
    }
}
