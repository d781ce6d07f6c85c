//! Every lease the run knows: its own, and the open ones earlier runs left in the journal.
//! Renewing, revoking, looking up, noticing expiry; the leases pane's keys and the
//! start-up prompt's; and the journal changes all that makes.

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::KeyCode;

use super::Redraw;
use super::effect::{Effect, JournalChange, Purpose, VaultCall};
use super::keymap::{Action, Binding, ctrl_c, plain};
use super::reconcile::Subject;
use super::state::{App, Overlay, Pane, Quit, RENEW_INCREMENTS, StepStatus};
use super::steps;
use crate::exchange::Exchange;
use crate::lease::Lifecycle;
use crate::lease::seen::Seen;
use crate::lease::table::{Origin, Renewal, TrackedLease, describe_renewal};
use crate::setup::JournalStart;
use crate::vault::refusal::VaultRefusal;
use crate::vault::request;
use crate::vault::types::Reply;

/// After a lease's time is up, how often and how long to ask Vault whether it is gone.
pub const EXPIRY_CHECK_DELAY: Duration = Duration::from_secs(2);
pub const EXPIRY_CHECKS: u32 = 30;

/// A change for the journal, when this run keeps one and the lease is in it (a lease
/// issued elsewhere is not vaultlab's to remember).
pub fn journal(app: &App, lease_id: String, state: Lifecycle) -> Option<Effect> {
    let elsewhere = app
        .leases
        .get(&lease_id)
        .is_some_and(|lease| lease.origin == Origin::Elsewhere);
    (app.journaling() && !elsewhere)
        .then_some(Effect::Journal(JournalChange::Mark { lease_id, state }))
}

/// The clock. Leases whose time is up are looked up once Vault has had a moment to
/// revoke them, so the journal can close them (by the reconciliation's rounds, when it
/// runs). The screen changes with a countdown, a lease running out, or a test waiting on
/// its spinner.
pub fn tick(app: &mut App, now: DateTime<Utc>) -> (Vec<Effect>, Redraw) {
    let before = app.now;
    app.now = now;
    let mut effects = Vec::new();
    // A spinner turns while a test of the keys is under way (and only then).
    let mut redraw = (0..app.steps.len()).any(|step| {
        app.steps[step].status == StepStatus::Running
            && app.probe(step).is_some_and(|p| p.result.is_none())
    });
    let chained = app.reconcile.every.is_none();
    for lease in app.leases.iter_mut() {
        // A countdown on screen moves once a second, whatever else wakes the app.
        redraw |= (lease.is_active(now) && lease.label(before) != lease.label(now))
            || (lease.expires_at > before && lease.expires_at <= now);
        if lease.state == Lifecycle::Active && now >= lease.expires_at {
            lease.state = Lifecycle::Expired;
            redraw = true;
            if chained {
                effects.push(lookup(&lease.lease_id, 1, EXPIRY_CHECK_DELAY));
            }
        }
    }
    effects.extend(super::reconcile::on_tick(app));
    (effects, Redraw::from(redraw))
}

fn lookup(lease_id: &str, attempt: u32, delay: Duration) -> Effect {
    VaultCall::after(
        delay,
        Purpose::Lookup {
            lease_id: lease_id.to_owned(),
            attempt,
            round: None,
        },
        request::lease_lookup(lease_id),
    )
}

/// At start: the journal's open leases. Active ones are looked up in Vault; ones whose
/// revocation failed last time are revoked again. Another running vaultlab's leases are
/// not among them, only counted: they stay out of the table, so neither the offer to
/// revoke earlier leases, nor X, nor the quit prompt here can end them.
pub fn start(app: &mut App, journal: JournalStart) -> Vec<Effect> {
    app.journal_path = Some(journal.path);
    let mut effects = Vec::new();
    for entry in journal.leftovers {
        let retry = matches!(entry.state, Lifecycle::RevokeFailed { .. });
        let state = if retry {
            Lifecycle::Revoking
        } else {
            Lifecycle::Checking
        };
        app.leases.track(TrackedLease::earlier(
            entry.lease_id.clone(),
            entry.role.clone(),
            entry.ends_at(),
            state,
        ));
        effects.push(if retry {
            revoke_call(&entry.lease_id, true)
        } else {
            lookup(&entry.lease_id, 1, Duration::ZERO)
        });
    }
    let others = match journal.other_runs {
        0 => String::new(),
        n => format!(" Another vaultlab running against this Vault holds {n} more: left to it."),
    };
    if !effects.is_empty() {
        app.notice = Some(format!(
            "Earlier runs left {} lease(s) open: looking them up in Vault (l shows them).{others}",
            effects.len()
        ));
    } else if journal.other_runs > 0 {
        app.notice = Some(others.trim_start().to_owned());
    }
    effects
}

/// `vault lease revoke`, queued or (`sync`) waited for: the one request every revocation
/// sends.
pub(super) fn revoke_call(lease_id: &str, sync: bool) -> Effect {
    VaultCall::now(
        Purpose::Revoke {
            lease_id: lease_id.to_owned(),
            sync,
        },
        request::lease_revoke(lease_id, sync),
    )
}

pub fn renew(app: &mut App, lease_id: String, increment: Option<Duration>) -> Vec<Effect> {
    if let Some(lease) = app.leases.get_mut(&lease_id) {
        lease.renewing = true;
    }
    app.reconcile.acted_on(Subject::Lease(lease_id.clone()));
    vec![VaultCall::now(
        Purpose::Renew {
            lease_id: lease_id.clone(),
            asked: increment,
        },
        request::lease_renew(&lease_id, increment),
    )]
}

/// Revokes one tracked lease; the current credentials' lease goes through the revoke
/// step, so the proof that the keys died shows there too.
pub fn revoke(app: &mut App, lease_id: &str) -> Vec<Effect> {
    if app.active_lease().is_some_and(|l| l.lease_id == lease_id) {
        return steps::revoke::start(app);
    }
    revoke_now(app, lease_id)
}

/// Revokes one tracked lease and waits for Vault to finish, without the step's proof.
pub fn revoke_now(app: &mut App, lease_id: &str) -> Vec<Effect> {
    match app.leases.get_mut(lease_id) {
        Some(lease) if lease.is_revocable(app.now) => {
            lease.state = Lifecycle::Revoking;
            app.reconcile.acted_on(Subject::Lease(lease_id.to_owned()));
            vec![revoke_call(lease_id, true)]
        }
        _ => Vec::new(),
    }
}

/// A revocation Vault queued, asked again waiting for Vault to finish it (revoking a
/// lease twice is harmless): on the way out, where no proof follows.
pub fn see_through(app: &mut App, lease_id: &str) -> Vec<Effect> {
    match app.leases.get_mut(lease_id) {
        Some(lease) if matches!(lease.state, Lifecycle::RevokeQueued { .. }) => {
            lease.state = Lifecycle::Revoking;
            app.reconcile.acted_on(Subject::Lease(lease_id.to_owned()));
            vec![revoke_call(lease_id, true)]
        }
        _ => Vec::new(),
    }
}

/// Revokes every lease that may still be alive and that `which` picks. On the way out
/// (`quitting`) each waits for Vault, since no proof will follow to close its entry.
pub fn revoke_all(
    app: &mut App,
    which: impl Fn(&TrackedLease) -> bool,
    quitting: bool,
) -> Vec<Effect> {
    let ids: Vec<String> = app
        .leases
        .revocable(app.now)
        .filter(|lease| which(lease))
        .map(|l| l.lease_id.clone())
        .collect();
    let mut effects: Vec<Effect> = ids
        .iter()
        .flat_map(|id| match quitting {
            true => revoke_now(app, id),
            false => revoke(app, id),
        })
        .collect();
    if quitting {
        let queued: Vec<String> = app
            .leases
            .queued()
            .filter(|lease| which(lease))
            .map(|l| l.lease_id.clone())
            .collect();
        effects.extend(queued.iter().flat_map(|id| see_through(app, id)));
    }
    effects
}

/// Vault answered a revocation. One Vault finished (204) is over and closes its journal
/// entry; one Vault queued (202) is not over until the proof finds its keys dead; a
/// failure stays open with Vault's words, to be tried again at the next start and by
/// `vaultlab cleanup`.
pub fn on_revoked(
    app: &mut App,
    lease_id: &str,
    curl: String,
    reply: Result<Reply, VaultRefusal>,
    is_current: bool,
) -> Vec<Effect> {
    if let Err(refusal) = &reply
        && let Some(words) = refusal.room_hold()
    {
        return held(app, lease_id, words.to_owned(), is_current);
    }
    let now = app.now;
    let queued = matches!(&reply, Ok(reply) if reply.status == 202);
    let state = match queued {
        true => Lifecycle::RevokeQueued { at: now },
        false => Lifecycle::after_revocation(reply.as_ref().err(), now),
    };
    if let Some(lease) = app.leases.get_mut(lease_id) {
        lease.state = state.clone();
    }
    let mut effects: Vec<Effect> = match queued {
        true => None,
        false => journal(app, lease_id.to_owned(), state),
    }
    .into_iter()
    .collect();
    if let Err(refusal) = &reply {
        app.notice = Some(format!(
            "Vault did not revoke the lease: {} (kept in the journal; tried again at the next start and by `vaultlab cleanup`)",
            refusal.message
        ));
    }
    if queued && matches!(app.quit, Quit::AfterRevocations | Quit::WhenSettled) {
        // No proof follows on the way out: Vault is asked again, to finish it first.
        effects.extend(see_through(app, lease_id));
        return effects;
    }
    if app.quit == Quit::AfterRevocations {
        if reply.is_err() {
            // Stay: the learner sees what failed and chooses again (k keeps and quits).
            app.quit = Quit::No;
        } else if app.leases.revoking() == 0 {
            app.quit = Quit::Now;
            return effects;
        }
    }
    if is_current {
        let result = reply.map(|reply| Exchange {
            curl,
            response: steps::describe_reply(app, &reply),
        });
        effects.extend(steps::revoke::on_revoked(app, result));
    }
    effects
}

/// A revocation the room's facilitator holds (step 6 is not open yet): nothing failed,
/// the lease is alive as before, and the learner reads the server's words.
fn held(app: &mut App, lease_id: &str, words: String, is_current: bool) -> Vec<Effect> {
    if let Some(lease) = app.leases.get_mut(lease_id) {
        lease.state = Lifecycle::Active;
    }
    if app.quit == Quit::AfterRevocations {
        // Stay: the learner sees why and chooses again (k keeps and quits).
        app.quit = Quit::No;
    }
    if is_current {
        steps::revoke::on_held(app);
    }
    app.notice = Some(format!("Not revoked: {words}."));
    Vec::new()
}

/// What the proof found of a lease's keys after its revocation: dead, the revocation is
/// over (closed in the journal); still alive after every look (`gave_up`, in the proof's
/// words), it failed, to be revoked again. Anything else: still looking.
pub fn on_proof(app: &mut App, lease_id: &str, dead: bool, gave_up: Option<String>) -> Vec<Effect> {
    let at = app.now;
    let state = match (dead, gave_up) {
        (true, _) => Lifecycle::Revoked { at },
        (false, Some(error)) => Lifecycle::RevokeFailed { at, error },
        (false, None) => return Vec::new(),
    };
    // Only a revocation Vault queued waits for the proof (one sent again meanwhile, on
    // the way out, has its own answer to come).
    match app.leases.get_mut(lease_id) {
        Some(lease) if matches!(lease.state, Lifecycle::RevokeQueued { .. }) => {
            lease.state = state.clone();
        }
        _ => return Vec::new(),
    }
    journal(app, lease_id.to_owned(), state)
        .into_iter()
        .collect()
}

pub fn on_renewed(
    app: &mut App,
    lease_id: &str,
    asked: Option<Duration>,
    reply: Result<Reply, VaultRefusal>,
) -> Vec<Effect> {
    let now = app.now;
    let Some(lease) = app.leases.get_mut(lease_id) else {
        return Vec::new();
    };
    lease.renewing = false;
    let envelope = reply.map(|reply| reply.envelope.unwrap_or_default());
    match envelope {
        Ok(envelope) => {
            let renewal = Renewal {
                asked,
                granted: Duration::from_secs(envelope.lease_duration),
                warning: envelope.warnings.unwrap_or_default().into_iter().next(),
            };
            let said = describe_renewal(&renewal);
            let ttl = renewal.granted;
            lease.renewed(now, renewal);
            app.notice = Some(format!("Lease renewed: {said}."));
            if app.journaling() {
                return vec![Effect::Journal(JournalChange::Renewed {
                    lease_id: lease_id.to_owned(),
                    at: now,
                    ttl,
                })];
            }
        }
        // Revoked or expired elsewhere: said, and over here too.
        Err(refusal) if refusal.is_lease_gone() => {
            lease.state = Lifecycle::Gone { at: now };
            app.notice = Some(
                "Vault no longer has this lease (revoked or expired elsewhere): not renewed."
                    .into(),
            );
            return journal(app, lease_id.to_owned(), Lifecycle::Gone { at: now })
                .into_iter()
                .collect();
        }
        Err(refusal) if refusal.said("lease expired") => {
            lease.state = Lifecycle::Expired;
            lease.expires_at = lease.expires_at.min(now);
            app.notice = Some(format!(
                "Vault did not renew the lease: its time is up ({}).",
                refusal.message
            ));
        }
        Err(refusal) => {
            app.notice = Some(format!(
                "Vault did not renew the lease: {}",
                refusal.message
            ))
        }
    }
    Vec::new()
}

/// What Vault says of a lease looked up at start or after its time: alive for so long,
/// out of time but not yet revoked (asked again in a moment), or gone (closed in the
/// journal).
pub fn on_looked_up(
    app: &mut App,
    lease_id: &str,
    attempt: u32,
    reply: Result<Reply, VaultRefusal>,
) -> Vec<Effect> {
    on_seen(app, lease_id, attempt, None, Seen::of_reply(reply))
}

/// A lookup's answer, read as [`Seen`], applied to the table. `round` is the
/// reconciliation round that asked, if one did: it asks again itself, so no chain of
/// lookups follows an out-of-time answer.
pub fn on_seen(
    app: &mut App,
    lease_id: &str,
    attempt: u32,
    round: Option<u64>,
    seen: Seen,
) -> Vec<Effect> {
    let now = app.now;
    // A lease revoked meanwhile stays as it is: the answer is older than what we know.
    let proving = app.creds.as_ref().is_some_and(|c| c.lease.id == lease_id);
    let Some(lease) = app.leases.get_mut(lease_id).filter(|l| {
        matches!(
            l.state,
            Lifecycle::Checking
                | Lifecycle::Active
                | Lifecycle::Expired
                | Lifecycle::RevokeQueued { .. }
                | Lifecycle::Unknown { .. }
                | Lifecycle::RevokeFailed { .. }
        )
    }) else {
        return Vec::new();
    };
    // A revocation Vault queued, whose keys are no longer looked at (newer credentials
    // came): over once Vault has finished it; until then it stays queued.
    if matches!(lease.state, Lifecycle::RevokeQueued { .. }) {
        if proving || seen != Seen::Gone {
            return Vec::new();
        }
        lease.state = Lifecycle::Revoked { at: now };
        return journal(app, lease_id.to_owned(), Lifecycle::Revoked { at: now })
            .into_iter()
            .collect();
    }
    let was = lease.state.clone();
    let was_alive = lease.is_active(now);
    let mut effects = Vec::new();
    match seen {
        Seen::Alive { left, renewable } => {
            if matches!(
                was,
                Lifecycle::Checking | Lifecycle::Expired | Lifecycle::Unknown { .. }
            ) {
                lease.state = Lifecycle::Active;
            }
            // Vault counts whole seconds from its own moment: only a real change (a
            // renewal elsewhere) moves a countdown already running.
            let expiry = crate::lease::countdown::expiry(now, left);
            if was == Lifecycle::Checking
                || (expiry - lease.expires_at).abs() > chrono::Duration::seconds(2)
            {
                lease.expires_at = expiry;
            }
            lease.renewable = renewable;
        }
        // Out of time, but Vault has not revoked it yet: ask again in a moment.
        Seen::OutOfTime => {
            lease.state = Lifecycle::Expired;
            lease.expires_at = lease.expires_at.min(now);
            if round.is_none() && attempt < EXPIRY_CHECKS {
                effects.push(lookup(lease_id, attempt + 1, EXPIRY_CHECK_DELAY));
            }
        }
        Seen::Gone => {
            lease.state = Lifecycle::Gone { at: now };
            let label = lease.label(now);
            if was_alive {
                app.notice = Some(format!(
                    "Lease {} {label}: Vault no longer has it.",
                    crate::lease::short_lease_id(lease_id)
                ));
            }
            effects.extend(journal(
                app,
                lease_id.to_owned(),
                Lifecycle::Gone { at: now },
            ));
        }
        Seen::Unknown(error) if was == Lifecycle::Checking => {
            lease.state = Lifecycle::Unknown { error };
        }
        // An expired lease that could not be looked up stays expired; cleanup asks later.
        Seen::Unknown(_) => {}
    }
    let earlier = app
        .leases
        .get(lease_id)
        .is_some_and(|l| l.origin == Origin::EarlierRun);
    if was == Lifecycle::Checking && earlier && app.leases.checking() == 0 {
        offer_to_revoke_earlier(app);
    }
    effects
}

/// Once every earlier lease is looked up: if some may be alive, one key revokes them.
fn offer_to_revoke_earlier(app: &mut App) {
    let alive = app
        .leases
        .revocable(app.now)
        .filter(|l| l.origin == Origin::EarlierRun)
        .count();
    if alive == 0 {
        app.notice = Some("Leases from earlier runs are over: nothing left to revoke.".into());
    } else if app.overlay.is_none() && !app.editing {
        app.notice = None;
        app.overlay = Some(Overlay::EarlierLeases);
    } else {
        app.notice = Some(format!(
            "{alive} lease(s) from earlier runs may still be alive: l shows them, X there revokes them."
        ));
    }
}

/// The keys of the leases pane, and of the prompt about earlier runs' leases.
pub fn on_action(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::OpenLeases => {
            app.overlay = None;
            if app.pane != Pane::Leases {
                app.pane_before_leases = app.pane;
            }
            app.pane = Pane::Leases;
            app.lease_cursor = app.lease_cursor.min(app.leases.len().saturating_sub(1));
        }
        Action::CloseLeases => {
            app.pane = match app.pane_before_leases {
                Pane::Leases => Pane::Finish,
                pane => pane,
            }
        }
        Action::NextLease => {
            app.lease_cursor = (app.lease_cursor + 1).min(app.leases.len().saturating_sub(1));
        }
        Action::PrevLease => app.lease_cursor = app.lease_cursor.saturating_sub(1),
        Action::LongerIncrement => {
            app.renew_increment = (app.renew_increment + 1).min(RENEW_INCREMENTS.len() - 1);
        }
        Action::ShorterIncrement => app.renew_increment = app.renew_increment.saturating_sub(1),
        Action::Renew => {
            if let Some(lease) = app.active_lease() {
                let lease_id = lease.lease_id.clone();
                return renew(app, lease_id, None);
            }
        }
        Action::RenewSelected => {
            let increment = app.renew_increment();
            if let Some(lease) = app.selected_lease().filter(|l| l.is_active(app.now)) {
                let lease_id = lease.lease_id.clone();
                return renew(app, lease_id, Some(increment));
            }
        }
        Action::RevokeSelected => {
            if let Some(lease) = app.selected_lease().filter(|l| l.is_revocable(app.now)) {
                let lease_id = lease.lease_id.clone();
                return revoke(app, &lease_id);
            }
        }
        Action::RevokeAll => {
            app.overlay = None;
            return revoke_all(app, |_| true, false);
        }
        // The start-up prompt lists only earlier runs' leases: this run's stay.
        Action::RevokeEarlier => {
            app.overlay = None;
            return revoke_all(app, |lease| lease.origin == Origin::EarlierRun, false);
        }
        _ => {}
    }
    Vec::new()
}

/// `r` on any pane but the leases pane: renew the current lease by Vault's default.
pub fn renew_binding(app: &App, list: &mut Vec<Binding>) {
    if app.active_lease().is_some_and(|lease| lease.renewable) {
        list.push(Binding::new("r", "renew the lease", Action::Renew, |k| {
            plain(k, KeyCode::Char('r'))
        }));
    }
}

/// The leases pane: move, choose an increment, renew, revoke one or all, go back.
pub fn pane_bindings(app: &App, list: &mut Vec<Binding>) {
    use Action::*;
    let selected = app.selected_lease();
    if selected.is_some_and(|lease| lease.renewable && lease.is_active(app.now)) {
        list.push(Binding::new(
            "r",
            "renew for the chosen time",
            RenewSelected,
            |k| plain(k, KeyCode::Char('r')),
        ));
    }
    if selected.is_some_and(|lease| lease.is_revocable(app.now)) {
        list.push(Binding::new(
            "x",
            "revoke this lease",
            RevokeSelected,
            |k| plain(k, KeyCode::Char('x')),
        ));
    }
    if app.revocable_leases() > 0 {
        list.push(Binding::new("X", "revoke all", RevokeAll, |k| {
            k.code == KeyCode::Char('X')
        }));
    }
    if app.leases.len() > 1 {
        list.push(Binding::new("↑ ↓", "select", NextLease, |k| {
            plain(k, KeyCode::Down) || plain(k, KeyCode::Char('j'))
        }));
        // Listed once above: the help shows one line for the pair.
        list.push(Binding::hidden(PrevLease, |k| plain(k, KeyCode::Up)));
    }
    list.push(Binding::new(
        "+ -",
        "longer / shorter increment",
        LongerIncrement,
        |k| k.code == KeyCode::Char('+') || k.code == KeyCode::Char('='),
    ));
    list.push(Binding::hidden(ShorterIncrement, |k| {
        k.code == KeyCode::Char('-')
    }));
    list.push(Binding::new("l Esc", "back", CloseLeases, |k| {
        plain(k, KeyCode::Char('l')) || plain(k, KeyCode::Esc)
    }));
}

/// The prompt at start about earlier runs' leases found alive.
pub fn earlier_prompt_bindings() -> Vec<Binding> {
    use Action::*;
    vec![
        Binding::new("Ctrl-C", "quit", Quit, ctrl_c),
        Binding::new("r", "revoke them now", RevokeEarlier, |k| {
            plain(k, KeyCode::Char('r'))
        }),
        Binding::new("l", "show them in the leases pane", OpenLeases, |k| {
            plain(k, KeyCode::Char('l'))
        }),
        Binding::new("Esc", "later", StayOpen, |k| plain(k, KeyCode::Esc)),
    ]
}
