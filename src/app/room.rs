//! The room a learner's seat is in (`vaultlab join`): what the facilitator says to the
//! room (a broadcast), how far the room may go (the pace), and whether it has ended, as
//! the room's seat notices tell them. They come in as messages (`Msg::Room`), from a
//! task that follows the room's long poll; here they become the status bar's words, a
//! hold on the steps after the pace, and the steps the room saw done (a seat rejoined
//! after a restart did steps this run cannot see: their leases, tests and proofs were
//! another run's).

use chrono::{DateTime, Utc};
use vaultlab_wire::room::SeatNotice;

use super::state::StepStatus;
use super::{App, Redraw};
use crate::lab::StepKind;

/// The seat, and what the room last said to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoomSeat {
    pub title: String,
    pub seat: String,
    pub broadcast: Option<String>,
    /// Steps after this one (1-based) are held until the facilitator opens them.
    pub pace: Option<u8>,
    pub ended: bool,
    /// When the room saw each step done (index 0 = step 1), as its progress (derived on
    /// the server from what happened in the seat) has it.
    pub done_at: Vec<Option<DateTime<Utc>>>,
    /// The notice version last taken in (the long poll asks for newer ones).
    pub version: u64,
    /// The words this module last put on the status bar: the room's line is put back
    /// once another notice has gone, and replaced rather than stacked.
    shown: Option<String>,
}

impl RoomSeat {
    pub fn new(title: impl Into<String>, seat: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            seat: seat.into(),
            ..Self::default()
        }
    }
}

/// A notice from the room. Redrawn when it changed what the learner sees.
pub fn on_notice(app: &mut App, notice: SeatNotice) -> Redraw {
    let Some(room) = app.room.as_mut() else {
        return Redraw::No;
    };
    if notice.version < room.version {
        return Redraw::No;
    }
    let before = room.clone();
    room.version = notice.version;
    room.title = notice.title;
    room.broadcast = notice
        .broadcast
        .map(|b| b.message)
        .filter(|m| !m.is_empty());
    room.pace = notice.pace;
    room.ended = notice.ended;
    room.done_at = Vec::new();
    for progress in &notice.steps {
        let Some(index) = usize::from(progress.step).checked_sub(1) else {
            continue;
        };
        if room.done_at.len() <= index {
            room.done_at.resize(index + 1, None);
        }
        room.done_at[index] = progress.done_at;
    }
    let news =
        (&room.broadcast, room.pace, room.ended) != (&before.broadcast, before.pace, before.ended);
    let changed = *room != before;
    // What the facilitator just said takes the bar at once, over a notice of the lab's
    // own: a learner idle after a step would otherwise never see it.
    if news {
        app.notice = None;
    }
    Redraw::from(changed)
}

/// When the room saw step `step` (0-based) done, for a step this run has left pending: it
/// shows done with that time, as on the facilitator's dashboard, marked as the room's
/// record. A step this run is doing, did or failed shows that instead; so do the test and
/// the revocation once this run holds credentials: the room's record of them is of an
/// earlier run's keys, and this run's are neither tested nor revoked.
pub fn done_in_room(app: &App, step: usize) -> Option<DateTime<Utc>> {
    let room = app.room.as_ref()?;
    if app.steps.get(step)?.status != StepStatus::Pending {
        return None;
    }
    if app.creds.is_some() && needs_credentials(app, step) {
        return None;
    }
    room.done_at.get(step).copied().flatten()
}

/// The steps shown done by the room's record alone, not by this run.
pub fn done_by_record(app: &App) -> Vec<usize> {
    (0..app.steps.len())
        .filter(|&step| done_in_room(app, step).is_some())
        .collect()
}

/// A step that acts on the credentials this run issued (their test, their revocation).
fn needs_credentials(app: &App, step: usize) -> bool {
    matches!(
        app.step_kind(step),
        StepKind::Probe(_) | StepKind::Revoke(_)
    )
}

/// How a step the room saw done can be done again here: at once, or, for the test and
/// the revocation (shown from the room's record only while this run has no credentials),
/// once credentials are generated.
pub fn again_here(app: &App, step: usize) -> String {
    if needs_credentials(app, step) {
        format!(
            "to do it again here, generate credentials in {} first.",
            super::steps::issue_hint(app)
        )
    } else {
        "it can be done again here.".to_owned()
    }
}

/// Enter on a test or revocation the room saw done, with no credentials in this run:
/// what it takes, for the status bar; the room's record stays (failing the step would
/// turn the room's ✓ into this run's ✗).
pub fn needs_credentials_first(app: &App, step: usize) -> Option<String> {
    done_in_room(app, step)?;
    if !needs_credentials(app, step) {
        return None;
    }
    let what = match app.step_kind(step) {
        StepKind::Probe(_) => "test them again",
        _ => "revoke them again",
    };
    Some(format!(
        "The room's record is of an earlier run's keys: generate credentials in {} to {what}.",
        super::steps::issue_hint(app)
    ))
}

/// Why step `step` (0-based) cannot run now: the facilitator holds the room before it.
pub fn held(app: &App, step: usize) -> Option<String> {
    let pace = usize::from(app.room.as_ref()?.pace?);
    (step + 1 > pace).then(|| format!("The facilitator will open step {}.", step + 1))
}

/// Why the focused pane's step cannot run now, if it cannot.
pub fn held_here(app: &App) -> Option<String> {
    held(app, app.pane.step()?)
}

/// What the room has to say on the status bar: the hold on the focused step, the
/// facilitator's broadcast, the room's end.
fn room_line(app: &App) -> Option<String> {
    let room = app.room.as_ref()?;
    let mut parts = Vec::new();
    if room.ended {
        parts.push("The room has ended: its leases are revoked.".to_owned());
    } else if let Some(words) = held_here(app) {
        parts.push(words);
    }
    if let Some(message) = &room.broadcast {
        parts.push(format!("Facilitator: {message}"));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// After every message: the room's line is on the status bar unless another notice is
/// (a step's outcome, a copy), which it gives way to until that one goes.
pub fn settle(app: &mut App) -> Redraw {
    let Some(shown) = app.room.as_ref().map(|r| r.shown.clone()) else {
        return Redraw::No;
    };
    if app.notice.is_some() && app.notice != shown {
        return Redraw::No;
    }
    let line = room_line(app);
    let changed = app.notice != line;
    app.notice = line.clone();
    if let Some(room) = app.room.as_mut() {
        room.shown = line;
    }
    Redraw::from(changed)
}
