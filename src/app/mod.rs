//! The app's state and logic, with no I/O: `update(&mut App, Msg)` is the only place
//! state changes; it returns the effects for the runtime to run and whether the screen
//! changed. Start-up inputs come in through `init`.

pub mod effect;
pub mod keymap;
pub mod leases;
pub mod lifecycle;
pub mod msg;
pub mod pane;
pub mod plan;
pub mod probe_schedule;
pub mod reconcile;
pub mod room;
pub mod scroll;
pub mod state;
pub mod steps;

use crossterm::event::KeyEvent;

pub use effect::Effect;
pub use msg::Msg;
pub use state::App;

use keymap::{Action, action_for};
use msg::Outcome;
use state::{Pane, Quit, StepInput};
use steps::editor::DocumentEditor;
use steps::form::FormState;

use crate::engines::EngineReply;
use crate::setup::StartInputs;

/// Whether the screen may have changed: the runtime draws only then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redraw {
    No,
    Yes,
}

impl From<bool> for Redraw {
    fn from(changed: bool) -> Self {
        if changed { Redraw::Yes } else { Redraw::No }
    }
}

impl std::ops::BitOr for Redraw {
    type Output = Redraw;

    fn bitor(self, other: Redraw) -> Redraw {
        Redraw::from(self == Redraw::Yes || other == Redraw::Yes)
    }
}

/// The increment the leases pane starts with: an hour.
const DEFAULT_RENEW_INCREMENT: usize = 3;

/// Builds the app from what the run starts with, and the effects it starts with: which
/// steps are done already, the doctor's checks, and the leases earlier runs left open.
pub fn init(inputs: StartInputs) -> (App, Vec<Effect>) {
    let StartInputs {
        lab,
        connection,
        prefill,
        cli_env,
        journal,
        notice,
        reconcile_every,
        stage,
        room: seat,
        recording,
        now,
    } = inputs;
    let steps = lab
        .steps
        .iter()
        .map(|step| {
            let mut state = steps::input_of(step);
            match &step.kind {
                crate::lab::StepKind::Form(form) => {
                    state.input = StepInput::Form(FormState::new(&form.fields, prefill.as_ref()));
                }
                crate::lab::StepKind::Editor(editor) => {
                    state.input = StepInput::Editor(Box::new(DocumentEditor::new(
                        &editor.templates[0].document,
                        0,
                        editor.checker,
                    )));
                }
                _ => {}
            }
            state
        })
        .collect();
    let mut app = App {
        lab,
        connection,
        pane: Pane::Overview,
        steps,
        creds: None,
        issuing: None,
        editing: false,
        overlay: None,
        notice,
        confirm: None,
        now,
        doctor: None,
        cli_env,
        cli_env_revealed: false,
        quit: Quit::No,
        stopped_by: None,
        leases: Default::default(),
        lease_cursor: 0,
        renew_increment: DEFAULT_RENEW_INCREMENT,
        scroll: Default::default(),
        pane_before_leases: Pane::Overview,
        journal_path: None,
        journal_problem: None,
        reconcile: reconcile::Reconcile::every(reconcile_every),
        stage: Default::default(),
        recording,
        inside: Default::default(),
        room: seat,
    };
    let mut effects = Vec::new();
    effects.push(Effect::Doctor(plan::doctor_plan(&app)));
    if let Some(journal) = journal {
        effects.extend(leases::start(&mut app, journal));
    }
    // The first reading of Vault: which steps are done already, which leases it holds.
    effects.extend(reconcile::now(&mut app));
    if let Some(stage) = stage {
        effects.extend(crate::present::start(&mut app, stage));
    }
    (app, effects)
}

/// The one place the app's state changes. Pure: no I/O, no clock.
pub fn update(app: &mut App, msg: Msg) -> (Vec<Effect>, Redraw) {
    let was_over = app.should_quit();
    let (mut effects, redraw) = match msg {
        Msg::Tick(now) => leases::tick(app, now),
        Msg::Autoplay { wake, now } => crate::present::autoplay::on_wake(app, wake, now),
        Msg::Signal(signal) => (lifecycle::on_signal(app, signal), Redraw::Yes),
        Msg::Suspend => (vec![Effect::Suspend], Redraw::No),
        Msg::Key(key) => on_key(app, key),
        Msg::Wheel { down } => (Vec::new(), on_wheel(app, down)),
        Msg::Room(notice) => (Vec::new(), room::on_notice(app, notice)),
        Msg::Measured { pane, room } => {
            (Vec::new(), Redraw::from(scroll::measured(app, pane, room)))
        }
        Msg::Inside(seen) => (Vec::new(), Redraw::from(crate::inside::on_seen(app, seen))),
        Msg::Paste(text) => {
            app.confirm = None;
            steps::paste(app, &text);
            (Vec::new(), Redraw::Yes)
        }
        Msg::Outcome(outcome) => {
            // Reconciliation's answers mostly change nothing: the screen is drawn only when
            // they do.
            let shown = outcome.round().map(|_| reconcile::Shown::of(app));
            let effects = on_outcome(app, *outcome);
            lifecycle::settle(app);
            reconcile::settle_prompts(app);
            let redraw = match shown {
                Some(before) => Redraw::from(reconcile::Shown::of(app) != before),
                None => Redraw::Yes,
            };
            (effects, redraw)
        }
    };
    let redraw = redraw | room::settle(app);
    // What `vaultlab notes` follows, when it changed (presenter mode only).
    effects.extend(crate::present::publish(app));
    if app.should_quit() && !was_over {
        // Nothing more is sent; what the journal must learn still is.
        effects.retain(|effect| matches!(effect, Effect::Journal(_)));
        effects.push(Effect::Quit);
    }
    (effects, redraw)
}

fn on_key(app: &mut App, key: KeyEvent) -> (Vec<Effect>, Redraw) {
    use crate::present::autoplay::{HANDED_OVER, Route, on_key as autoplay_key};
    match autoplay_key(app, &key) {
        Route::Consumed(effects) => return (effects, Redraw::Yes),
        Route::HandedOver => {
            let (effects, _) = on_app_key(app, key);
            app.notice.get_or_insert_with(|| HANDED_OVER.to_owned());
            return (effects, Redraw::Yes);
        }
        Route::Pass => {}
    }
    on_app_key(app, key)
}

fn on_app_key(app: &mut App, key: KeyEvent) -> (Vec<Effect>, Redraw) {
    match action_for(app, &key) {
        Some(action) => (on_action(app, action), Redraw::Yes),
        None if app.editing => {
            steps::edit(app, key);
            (Vec::new(), Redraw::Yes)
        }
        // A key that does nothing still calls off a replacement asked for (t, g), and
        // the question with it.
        None if app.confirm.take().is_some() => {
            app.notice = None;
            (Vec::new(), Redraw::Yes)
        }
        None => (Vec::new(), Redraw::No),
    }
}

/// The wheel scrolls the pane, or moves the leases pane's selection; not under a prompt.
fn on_wheel(app: &mut App, down: bool) -> Redraw {
    use scroll::{ScrollMove, WHEEL_ROWS};
    if app.overlay.is_some() {
        return Redraw::No;
    }
    if app.pane == Pane::Leases {
        let action = if down {
            Action::NextLease
        } else {
            Action::PrevLease
        };
        leases::on_action(app, action);
        return Redraw::Yes;
    }
    let step = match down {
        true => ScrollMove::Down(WHEEL_ROWS),
        false => ScrollMove::Up(WHEEL_ROWS),
    };
    Redraw::from(scroll::apply(app, step))
}

/// What an action does; autoplay takes the same actions a presenter's keys would.
pub(crate) fn on_action(app: &mut App, action: Action) -> Vec<Effect> {
    if let Some(effects) = crate::present::guard(app, action) {
        return effects;
    }
    match action {
        // Scrolling and opening the message leave the message where it is.
        Action::Scroll(step) => {
            scroll::apply(app, step);
            return Vec::new();
        }
        Action::ShowMessage => {
            app.overlay = Some(state::Overlay::Message);
            return Vec::new();
        }
        _ => {}
    }
    app.notice = None;
    // A second `t` (or `g`) confirms replacing an edited document; any other key calls it
    // off.
    let confirmed = app.confirm.take() == Some(action);
    match action {
        Action::NextPane | Action::PrevPane => {
            let steps = app.steps.len();
            app.pane = match action {
                Action::NextPane => app.pane.next(steps),
                _ => app.pane.prev(steps),
            };
            // What the new pane shows is read again at once, not at the next round.
            return reconcile::now(app);
        }
        Action::ToggleHelp => {
            app.overlay = match app.overlay {
                Some(state::Overlay::Help) => None,
                _ => Some(state::Overlay::Help),
            }
        }
        Action::Suspend => return vec![Effect::Suspend],
        Action::StartEditing => {
            app.editing = true;
            // The editor in sight, its explanation scrolled away if the pane is short.
            scroll::apply(app, scroll::ScrollMove::Anchor);
        }
        Action::CloseMessage => app.overlay = None,
        Action::ToggleInside => crate::inside::Inside::toggle(app),
        Action::Scroll(_) | Action::ShowMessage => {}
        Action::StopEditing => app.editing = false,
        Action::NextField => {
            if let Some(step) = app.pane.step() {
                steps::form::next_field(app, step);
            }
        }
        Action::RestoreForm => {
            if let Some(step) = app.pane.step() {
                steps::form::restore(app, step);
            }
        }
        Action::ClearField => {
            if let Some(step) = app.pane.step() {
                steps::form::clear_field(app, step);
            }
        }
        Action::NextTemplate => {
            if let Some(step) = app.pane.step() {
                steps::editor::next_template(app, step, confirmed);
            }
        }
        Action::LoadHeld => {
            if let Some(step) = app.pane.step() {
                steps::editor::load_held(app, step, confirmed);
            }
        }
        Action::RevealSecret if app.recording => {
            app.notice = Some("Secrets stay masked while recording (--record).".to_owned());
        }
        Action::RevealSecret if app.pane == Pane::Overview => {
            app.cli_env_revealed = !app.cli_env_revealed;
        }
        Action::RevealSecret => steps::issue::reveal(app),
        Action::CopyExports if app.pane == Pane::Overview => {
            return vec![Effect::Clipboard(cli_env_snippet(app))];
        }
        Action::CopyExports => return steps::issue::copy(app),
        Action::RunDoctor => {
            app.doctor = None;
            let mut effects = vec![Effect::Doctor(plan::doctor_plan(app))];
            effects.extend(reconcile::now(app));
            return effects;
        }
        // A step the facilitator holds the room before does not run; the status bar
        // says why (`room::settle`).
        Action::RunStep | Action::Extra(_) if room::held_here(app).is_some() => {}
        Action::Extra(action) => {
            if let Some(step) = app.pane.step() {
                return steps::issue::action(app, step, action);
            }
        }
        Action::RunStep => {
            // What the step answers in sight, below its explanation; an editor's answer
            // is what was sent and what came back, at the end of its pane.
            let to = match app.pane.step().map(|step| app.step_kind(step)) {
                Some(crate::lab::StepKind::Editor(_)) => scroll::ScrollMove::Bottom,
                _ => scroll::ScrollMove::Anchor,
            };
            scroll::apply(app, to);
            return steps::run(app);
        }
        Action::Quit | Action::KeepAndQuit | Action::StayOpen | Action::RevokeAndQuit => {
            return lifecycle::on_action(app, action);
        }
        Action::Renew
        | Action::OpenLeases
        | Action::CloseLeases
        | Action::NextLease
        | Action::PrevLease
        | Action::LongerIncrement
        | Action::ShorterIncrement
        | Action::RenewSelected
        | Action::RevokeSelected
        | Action::RevokeAll
        | Action::RevokeEarlier => return leases::on_action(app, action),
    }
    Vec::new()
}

fn on_outcome(app: &mut App, outcome: Outcome) -> Vec<Effect> {
    // Outcomes about older credentials arrive late when the learner generates new ones
    // meanwhile: they update the lease table, never the steps of the new ones.
    let is_current = outcome
        .lease_id()
        .is_none_or(|id| app.creds.as_ref().map(|c| c.lease.id.as_str()) == Some(id));
    match outcome {
        Outcome::Vault { call, reply } => {
            let curl = plan::curl(app, &call.request);
            use effect::Purpose;
            match call.purpose {
                Purpose::Done { step, round } => reconcile::on_done(app, step, round, reply),
                Purpose::ListLeases { round } => return reconcile::on_listed(app, round, reply),
                Purpose::Step { step } => return steps::on_reply(app, step, curl, reply),
                Purpose::Recheck {
                    step,
                    curl,
                    refusal,
                } => steps::request::on_recheck(app, step, curl, refusal, reply),
                Purpose::ReadBack { step, written } => {
                    steps::form::on_read_back(app, step, written, reply)
                }
                Purpose::Action { step, action } => {
                    steps::issue::on_action_reply(app, step, action, reply)
                }
                Purpose::Revoke { lease_id, .. } => {
                    return leases::on_revoked(app, &lease_id, curl, reply, is_current);
                }
                Purpose::Renew { lease_id, asked } => {
                    return leases::on_renewed(app, &lease_id, asked, reply);
                }
                Purpose::Lookup {
                    lease_id,
                    round: Some(round),
                    ..
                } => return reconcile::on_looked_up(app, &lease_id, round, reply),
                Purpose::Lookup {
                    lease_id, attempt, ..
                } => {
                    return leases::on_looked_up(app, &lease_id, attempt, reply);
                }
            }
        }
        // A proof about older keys still closes their lease.
        Outcome::Engine(EngineReply::Proved {
            lease_id, proof, ..
        }) if !is_current => return leases::on_proof(app, &lease_id, proof.dead, None),
        Outcome::Engine(_) if !is_current => {}
        Outcome::Engine(reply) => return steps::on_engine(app, reply),
        Outcome::Doctor(checks) => app.doctor = Some(checks),
        Outcome::Journaled { change, result } => {
            let problem = result.err();
            if let Some(problem) = &problem {
                app.notice = Some(format!(
                    "{problem}. Note the lease ids (l shows them) until it is fixed."
                ));
                app.journal_problem = Some(problem.clone());
            }
            if let effect::JournalChange::Record(entry) = change {
                return steps::issue::on_journaled(app, &entry.lease_id, problem);
            }
        }
        Outcome::Copied(Ok(())) => {
            app.notice = Some("Copied the export lines to the clipboard (OSC 52).".to_owned())
        }
        Outcome::Copied(Err(error)) => app.notice = Some(format!("Could not copy: {error}")),
        Outcome::Crashed { step, failure } => match step {
            Some(step) => steps::crashed(app, step, failure),
            None => app.notice = Some(format!("{}: {}", failure.what, failure.detail)),
        },
    }
    Vec::new()
}

/// The second terminal's `export` lines.
fn cli_env_snippet(app: &App) -> secrecy::SecretString {
    use secrecy::ExposeSecret;
    let mut text = String::new();
    for var in &app.cli_env {
        text.push_str(&format!(
            "export {}={}\n",
            var.name,
            var.value.expose_secret()
        ));
    }
    secrecy::SecretString::from(text)
}

#[cfg(test)]
mod reconcile_tests;
#[cfg(test)]
mod update_tests;

#[cfg(test)]
mod input_tests;

#[cfg(test)]
mod scroll_tests;

#[cfg(test)]
mod room_tests;
