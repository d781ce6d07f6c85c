//! The lab's steps, one module per kind of step: what Enter does, what the answers do,
//! the keys each kind adds, side by side. This module routes to them and holds what they
//! share (finishing, failing, reading whether a step is done already).

pub mod editor;
pub mod form;
pub mod issue;
pub mod pasted;
pub mod probe;
pub mod request;
pub mod revoke;

use crossterm::event::{KeyCode, KeyEvent};

use super::effect::{Effect, Purpose, VaultCall};
use super::keymap::{Action, Binding, plain};
use super::plan;
use super::state::{App, StepInput, StepState, StepStatus};
use crate::engines::EngineReply;
use crate::exchange::{Exchange, Failure};
use crate::lab::StepKind;
use crate::vault::refusal::VaultRefusal;
use crate::vault::types::Reply;

/// Enter on a step pane.
pub fn run(app: &mut App) -> Vec<Effect> {
    let Some(step) = app.pane.step() else {
        return Vec::new();
    };
    if app.steps[step].status == StepStatus::Running {
        app.notice = Some("Already running…".to_owned());
        return Vec::new();
    }
    // Reconciliation's answers sent before this do not describe what it does.
    app.reconcile
        .acted_on(super::reconcile::Subject::Step(step));
    let effects = match app.step_kind(step) {
        StepKind::Request(_) | StepKind::Issue(_) => send(app, step),
        StepKind::Form(_) => form::run(app, step),
        StepKind::Editor(_) => editor::run(app, step),
        StepKind::Probe(_) => probe::run(app, step),
        StepKind::Revoke(_) => return revoke::run(app, step),
    };
    if !effects.is_empty() {
        app.steps[step].status = StepStatus::Running;
    }
    effects
}

/// Sends a step's own request, the very one `plan` builds and the pane shows.
fn send(app: &App, step: usize) -> Vec<Effect> {
    plan::step_request(app, step)
        .map(|request| VaultCall::now(Purpose::Step { step }, request))
        .into_iter()
        .collect()
}

/// The keys a step pane adds: Enter, then its kind's own.
pub fn bindings(app: &App, step: usize, list: &mut Vec<Binding>) {
    // While the step runs, Enter only answers "Already running…": it is not offered; nor
    // while the facilitator holds the room before the step (`app::room`).
    let running = app.steps[step].status == StepStatus::Running;
    let held = super::room::held(app, step).is_some();
    list.push(Binding::new(
        if running || held { "" } else { "Enter" },
        app.lab.steps[step].enter.clone(),
        Action::RunStep,
        |k| plain(k, KeyCode::Enter),
    ));
    match app.step_kind(step) {
        StepKind::Form(_) => form::bindings(app, step, list),
        StepKind::Editor(_) => editor::bindings(app, step, list),
        StepKind::Issue(_) => issue::bindings(app, step, list),
        StepKind::Request(_) | StepKind::Probe(_) | StepKind::Revoke(_) => {}
    }
}

/// The keys a step's input adds while editing.
pub fn editing_bindings(app: &App, list: &mut Vec<Binding>) {
    if let Some(step) = app.pane.step()
        && matches!(app.step_kind(step), StepKind::Form(_))
    {
        form::editing_bindings(list);
    }
}

/// Keys typed into the focused input while editing.
pub fn edit(app: &mut App, key: KeyEvent) {
    let Some(step) = app.pane.step() else { return };
    match app.step_kind(step) {
        StepKind::Editor(_) => editor::edit(app, step, key),
        StepKind::Form(_) => form::edit(app, step, key),
        _ => {}
    }
}

/// Bracketed paste: into the focused input, and only while editing.
pub fn paste(app: &mut App, text: &str) {
    if !app.editing {
        app.notice = Some("Press e to edit before pasting.".to_owned());
        return;
    }
    let Some(step) = app.pane.step() else { return };
    match app.step_kind(step) {
        StepKind::Editor(_) => editor::paste(app, step, text),
        StepKind::Form(_) => form::paste(app, step, text),
        _ => {}
    }
}

/// Where the credentials come from, for a hint: "step 4".
pub fn issue_hint(app: &App) -> String {
    match app.issue_step() {
        Some(step) => format!("step {}", step + 1),
        None => "the issue step".to_owned(),
    }
}

/// A step's done check answered (found, or 404): the step shows done, or, when Vault no
/// longer holds what it made (an engine disabled, a role deleted elsewhere), pending again.
/// An editor step also learns the document Vault holds. `changed`: what the check says
/// differs from the last time; a status is only changed on a change, so a failure the
/// learner has yet to read (Vault refused a new policy for a role that exists) stays.
pub fn on_done(app: &mut App, step: usize, reply: Result<Reply, VaultRefusal>, changed: bool) {
    let done = is_done(app, step, &reply);
    if matches!(app.step_kind(step), StepKind::Editor(_)) {
        editor::on_held(app, step, reply.ok().as_ref());
    }
    let state = &mut app.steps[step];
    match state.status {
        _ if !changed => {}
        StepStatus::Running => {}
        StepStatus::Done if !done => state.status = StepStatus::Pending,
        _ if done => state.status = StepStatus::Done,
        _ => {}
    }
}

/// What a done check's answer says: found (a 404 is not).
pub fn is_done(app: &App, step: usize, reply: &Result<Reply, VaultRefusal>) -> bool {
    match reply {
        Ok(reply) => plan::done_check(app, step).is_some_and(|(_, test)| test.holds(reply)),
        Err(_) => false,
    }
}

/// A step's own request answered.
pub fn on_reply(
    app: &mut App,
    step: usize,
    curl: String,
    reply: Result<Reply, VaultRefusal>,
) -> Vec<Effect> {
    match app.step_kind(step) {
        StepKind::Request(_) => request::on_reply(app, step, curl, reply),
        StepKind::Form(_) => form::on_written(app, step, curl, reply),
        StepKind::Editor(_) => {
            editor::on_written(app, step, curl, reply);
            Vec::new()
        }
        StepKind::Issue(_) => issue::on_reply(app, step, curl, reply),
        StepKind::Probe(_) | StepKind::Revoke(_) => Vec::new(),
    }
}

/// The engine answered for a step.
pub fn on_engine(app: &mut App, reply: EngineReply) -> Vec<Effect> {
    match reply {
        EngineReply::Verified { step, result } => form::on_verified(app, step, result),
        EngineReply::Identified { subject, .. } => {
            issue::on_identified(app, subject);
            Vec::new()
        }
        EngineReply::Probed {
            step,
            attempt,
            result,
            ..
        } => probe::on_probed(app, step, attempt, result),
        EngineReply::Proved {
            step,
            attempt,
            proof,
            ..
        } => revoke::on_proved(app, step, attempt, proof),
    }
}

/// New credentials: the steps that use them start over.
pub fn reset_after_issue(app: &mut App) {
    for (state, step) in app.steps.iter_mut().zip(&app.lab.steps) {
        match step.kind {
            StepKind::Probe(_) => *state = input_of(step),
            StepKind::Revoke(_) => *state = input_of(step),
            _ => {}
        }
    }
}

/// A step's state before anything happened, for steps whose input is not the learner's
/// (the form and the editor are set up by `init`).
pub fn input_of(step: &crate::lab::Step) -> StepState {
    let input = match step.kind {
        StepKind::Probe(_) => StepInput::Probe(None),
        StepKind::Revoke(_) => StepInput::Revoke(None),
        _ => StepInput::Plain,
    };
    StepState {
        input,
        ..StepState::default()
    }
}

pub fn finish(app: &mut App, step: usize, exchange: Exchange) {
    let state = &mut app.steps[step];
    state.status = StepStatus::Done;
    state.exchange = Some(exchange);
}

/// A step's own request answered: Vault's reply and the exchange the pane shows; or, when
/// Vault refused it, `None` with the step failed in the lab's words and Vault's.
pub fn accepted(
    app: &mut App,
    step: usize,
    curl: String,
    reply: Result<Reply, VaultRefusal>,
) -> Option<(Reply, Exchange)> {
    match reply {
        Ok(reply) => {
            let exchange = Exchange {
                curl,
                response: describe_reply(app, &reply),
            };
            Some((reply, exchange))
        }
        Err(refusal) => {
            let what = app.step_kind(step).failed().unwrap_or_default().to_owned();
            fail(app, step, vault_failure(&what, &refusal));
            None
        }
    }
}

pub fn finish_reply(app: &mut App, step: usize, curl: String, reply: &Reply) {
    finish(
        app,
        step,
        Exchange {
            curl,
            response: describe_reply(app, reply),
        },
    );
}

pub fn fail(app: &mut App, step: usize, failure: Failure) {
    app.steps[step].status = StepStatus::Failed(failure);
}

/// What the step was doing panicked: it failed, and a test of the keys on its way is
/// over (its pane no longer waits for it, nor the clock redraws its spinner).
pub fn crashed(app: &mut App, step: usize, failure: Failure) {
    if let StepInput::Probe(probe) = &mut app.steps[step].input
        && probe.as_ref().is_some_and(|p| p.result.is_none())
    {
        *probe = None;
    }
    fail(app, step, failure);
}

/// Enter refused before anything was sent: what is missing and how to fix it.
pub fn refuse(app: &mut App, step: usize, what: &str, hint: &str) -> Vec<Effect> {
    fail(app, step, Failure::new(what, "", hint));
    Vec::new()
}

pub fn vault_failure(what: &str, refusal: &VaultRefusal) -> Failure {
    Failure::new(what, refusal.message.clone(), refusal.hint.clone())
}

/// What came back, as the pane shows it: the envelope with secrets masked (by what the
/// lab and its engine declare secret, and the well-known names), or the status.
pub fn describe_reply(app: &App, reply: &Reply) -> String {
    match reply.redacted_json_by(&|field| app.lab.is_secret_field(field)) {
        Some(json) => serde_json::to_string_pretty(&json).unwrap_or_else(|_| json.to_string()),
        None => match reply.status {
            202 => "202 Accepted (queued)".to_owned(),
            204 => "204 No Content".to_owned(),
            other => format!("{other}"),
        },
    }
}
