//! A light, steady reconciliation with Vault, so the screen shows what Vault holds now and
//! not what vaultlab last did. A round reads what the steps' `done_when` read (the mount
//! table, the root config, the role), lists the leases under the lab's role (`LIST
//! sys/leases/lookup/<prefix>/`) and looks up every lease Vault may still hold. Rounds
//! come from the clock while the TUI runs (its ticks stop while the terminal is suspended,
//! and `walk` has none), and at once at start, on a pane change and on `d`. Pure: it plans
//! the requests; their answers come back through `update`.
//!
//! An answer can cross the learner's own request (a lookup sent before a renewal and
//! answered after it): an answer from a round older than the last thing this run did to a
//! step or a lease says nothing new about it, and is dropped.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::effect::{Effect, Purpose, VaultCall};
use super::leases;
use super::plan;
use super::state::{App, Overlay, Quit, StepStatus};
use super::steps;
use crate::lease::Lifecycle;
use crate::lease::seen::Seen;
use crate::lease::table::{Origin, TrackedLease};
use crate::vault::refusal::VaultRefusal;
use crate::vault::request::{self, VaultRequest};
use crate::vault::types::Reply;

/// How often the TUI reads Vault when nothing else asks it to: a lease revoked elsewhere
/// shows within this (and a round trip) without costing an idle TUI measurable CPU.
pub const EVERY: Duration = Duration::from_secs(2);

/// A round not fully answered after this long is given up on (an unreachable Vault keeps
/// each request until the client's timeout), so the next one may start.
const GIVE_UP_AFTER: Duration = Duration::from_secs(60);

/// What a round's answer is about, for telling a stale answer from a fresh one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Step(usize),
    Lease(String),
}

/// Where reconciliation is: its pace, the round on its way, and what this run did since.
#[derive(Debug, Clone, Default)]
pub struct Reconcile {
    /// How often a round starts on the clock; `None`: only when asked (`vaultlab walk`).
    pub every: Option<Duration>,
    round: u64,
    /// Answers of the current round still to come.
    awaited: usize,
    started: Option<DateTime<Utc>>,
    /// For each subject this run acted on: the first round whose answers are newer.
    fresh_from: Vec<(Subject, u64)>,
    /// The last failure to read the lab's state, said once rather than every round.
    problem: Option<String>,
    /// The token may not list leases (403): only the leases this run knows are followed,
    /// rather than a refusal in Vault's audit log every round.
    cannot_list: bool,
    /// What each step's done check said last (`None`: not read yet).
    seen_done: Vec<Option<bool>>,
}

impl Reconcile {
    pub fn every(every: Option<Duration>) -> Self {
        Self {
            every,
            ..Self::default()
        }
    }

    /// This run just sent a request about `subject`: answers of rounds sent before it
    /// predate it.
    pub fn acted_on(&mut self, subject: Subject) {
        let from = self.round + 1;
        match self.fresh_from.iter_mut().find(|(s, _)| *s == subject) {
            Some((_, round)) => *round = from,
            None => self.fresh_from.push((subject, from)),
        }
    }

    pub fn is_stale(&self, subject: &Subject, round: u64) -> bool {
        self.fresh_from
            .iter()
            .any(|(s, from)| s == subject && round < *from)
    }

    fn in_flight(&self, now: DateTime<Utc>) -> bool {
        let give_up = chrono::Duration::from_std(GIVE_UP_AFTER).unwrap_or_default();
        self.awaited > 0 && self.started.is_some_and(|started| now - started < give_up)
    }

    /// A round is due on the clock: its pace has passed and the last one is answered.
    fn due(&self, now: DateTime<Utc>) -> bool {
        let Some(every) = self.every.and_then(|e| chrono::Duration::from_std(e).ok()) else {
            return false;
        };
        !self.in_flight(now) && self.started.is_none_or(|started| now >= started + every)
    }

    /// One answer of round `round` came.
    fn answered(&mut self, round: u64) {
        if round == self.round {
            self.awaited = self.awaited.saturating_sub(1);
        }
    }
}

/// On the clock: a round, when one is due.
pub fn on_tick(app: &mut App) -> Vec<Effect> {
    if app.reconcile.due(app.now) {
        round(app)
    } else {
        Vec::new()
    }
}

/// A round at once (start, a pane changed, `d`), even while another is on its way.
pub fn now(app: &mut App) -> Vec<Effect> {
    round(app)
}

fn round(app: &mut App) -> Vec<Effect> {
    app.reconcile.round += 1;
    let round = app.reconcile.round;
    let mut effects: Vec<Effect> = (0..app.steps.len())
        .filter_map(|step| {
            plan::done_check(app, step)
                .map(|(request, _)| VaultCall::now(Purpose::Done { step, round }, request))
        })
        .collect();
    if let Some(prefix) = plan::issue_path(app).filter(|_| !app.reconcile.cannot_list) {
        effects.push(VaultCall::now(
            Purpose::ListLeases { round },
            list_leases(&prefix),
        ));
    }
    let current = app.creds.as_ref().map(|c| c.lease.id.clone());
    let held: Vec<String> = app
        .leases
        .iter()
        .filter(|lease| worth_asking(lease, current.as_deref()))
        .map(|lease| lease.lease_id.clone())
        .collect();
    effects.extend(held.iter().map(|id| lookup(id, round)));
    app.reconcile.awaited = effects.len();
    app.reconcile.started = Some(app.now);
    effects
}

/// `vault list sys/leases/lookup/<prefix>/`: the leases Vault holds under the prefix.
fn list_leases(prefix: &str) -> VaultRequest {
    VaultRequest::list(format!("sys/leases/lookup/{}/", prefix.trim_matches('/')))
}

fn lookup(lease_id: &str, round: u64) -> Effect {
    VaultCall::now(
        Purpose::Lookup {
            lease_id: lease_id.to_owned(),
            attempt: 0,
            round: Some(round),
        },
        request::lease_lookup(lease_id),
    )
}

/// Vault may still hold it, and no request of this run about it is on its way. A
/// revocation Vault queued is the proof's to follow, while the proof runs: for the
/// current credentials.
fn worth_asking(lease: &TrackedLease, current: Option<&str>) -> bool {
    let queued = matches!(lease.state, Lifecycle::RevokeQueued { .. })
        && current != Some(lease.lease_id.as_str());
    !lease.renewing
        && (queued
            || matches!(
                lease.state,
                Lifecycle::Active
                    | Lifecycle::Expired
                    | Lifecycle::Unknown { .. }
                    | Lifecycle::RevokeFailed { .. }
            ))
}

/// A step's done check answered: fresh answers say whether the step is done now.
pub fn on_done(app: &mut App, step: usize, round: u64, reply: Result<Reply, VaultRefusal>) {
    app.reconcile.answered(round);
    if app.reconcile.is_stale(&Subject::Step(step), round) {
        return;
    }
    match &reply {
        Err(refusal) if !refusal.is_not_found() => {
            // Said once: the same failure every round would bury every other notice.
            if app.reconcile.problem.as_deref() != Some(&refusal.message) {
                app.notice = Some(format!(
                    "Could not read the lab's state from Vault: {}",
                    refusal.message
                ));
                app.reconcile.problem = Some(refusal.message.clone());
            }
            return;
        }
        _ => app.reconcile.problem = None,
    }
    let done = steps::is_done(app, step, &reply);
    let seen = &mut app.reconcile.seen_done;
    if seen.len() <= step {
        seen.resize(step + 1, None);
    }
    let changed = seen[step].replace(done) != Some(done);
    steps::on_done(app, step, reply, changed);
}

/// The leases under the lab's role: those this run does not know were issued elsewhere;
/// they are tracked and looked up in this round.
pub fn on_listed(app: &mut App, round: u64, reply: Result<Reply, VaultRefusal>) -> Vec<Effect> {
    app.reconcile.answered(round);
    let Some(prefix) = plan::issue_path(app) else {
        return Vec::new();
    };
    // Credentials being issued here are in Vault before their answer is here: they are
    // this run's, not someone else's.
    let issuing = app
        .issue_step()
        .is_some_and(|step| app.steps[step].status == StepStatus::Running);
    let keys: Vec<String> = match reply {
        Ok(reply) => reply
            .data()
            .and_then(|data| data.get("keys"))
            .and_then(|keys| serde_json::from_value(keys.clone()).ok())
            .unwrap_or_default(),
        Err(refusal) => {
            // Not allowed: asked no more. (A 404 is Vault's answer for nothing there.)
            app.reconcile.cannot_list |= refusal.status == Some(403);
            return Vec::new();
        }
    };
    if issuing {
        return Vec::new();
    }
    let role = steps::issue::role_of(app);
    let prefix = prefix.trim_matches('/');
    let new: Vec<String> = keys
        .iter()
        // A key ending in `/` is a folder of deeper leases, not one of the role's.
        .filter(|key| !key.ends_with('/'))
        .map(|key| format!("{prefix}/{key}"))
        .filter(|id| app.leases.get(id).is_none())
        .collect();
    for id in &new {
        app.leases
            .track(TrackedLease::elsewhere(id.clone(), role.clone()));
    }
    if round == app.reconcile.round {
        app.reconcile.awaited += new.len();
    }
    new.iter().map(|id| lookup(id, round)).collect()
}

/// A lease looked up in a round: the table follows Vault, and so do the steps it shows
/// done (credentials issued elsewhere; a lease revoked elsewhere).
pub fn on_looked_up(
    app: &mut App,
    lease_id: &str,
    round: u64,
    reply: Result<Reply, VaultRefusal>,
) -> Vec<Effect> {
    app.reconcile.answered(round);
    if app
        .reconcile
        .is_stale(&Subject::Lease(lease_id.to_owned()), round)
    {
        return Vec::new();
    }
    let before = app.leases.get(lease_id).cloned();
    let effects = leases::on_seen(app, lease_id, 0, Some(round), Seen::of_reply(reply));
    if let (Some(before), Some(after)) = (before, app.leases.get(lease_id)) {
        steps_follow(app, &before, &after.clone());
    }
    effects
}

/// What a lease's change says of the steps: credentials issued elsewhere under the lab's
/// role mean the issue step was done; a lease under it revoked elsewhere, the revoke step.
fn steps_follow(app: &mut App, before: &TrackedLease, after: &TrackedLease) {
    let mark_done = |app: &mut App, step: Option<usize>| {
        if let Some(step) = step
            && !matches!(
                app.steps[step].status,
                StepStatus::Running | StepStatus::Done
            )
        {
            app.steps[step].status = StepStatus::Done;
        }
    };
    if after.origin == Origin::Elsewhere && after.state == Lifecycle::Active {
        mark_done(app, app.issue_step());
    }
    let revoked_elsewhere = before.state != after.state
        && after.origin != Origin::EarlierRun
        && after.revoked_elsewhere();
    if revoked_elsewhere {
        mark_done(app, app.lab.first("revoke"));
    }
}

/// The prompts follow the table: one asking about leases that have all ended meanwhile
/// (revoked elsewhere, expired) has nothing left to ask.
pub fn settle_prompts(app: &mut App) {
    match app.overlay {
        Some(Overlay::ConfirmQuit) if app.maybe_alive_leases() == 0 => {
            app.overlay = None;
            if app.stopped_by.is_some() {
                // A signal asked to stop, and nothing is left to ask about.
                app.quit = Quit::Now;
            } else {
                app.notice =
                    Some("Nothing is left to revoke: the leases ended elsewhere. q quits.".into());
            }
        }
        Some(Overlay::EarlierLeases)
            if !app
                .leases
                .revocable(app.now)
                .any(|l| l.origin == Origin::EarlierRun) =>
        {
            app.overlay = None;
            app.notice = Some("Leases from earlier runs are over: nothing left to revoke.".into());
        }
        _ => {}
    }
}

/// What the screen shows of what reconciliation changes: an answer that changes none of
/// it needs no redraw, so a steady reconciliation costs an idle screen nothing.
#[derive(Debug, PartialEq)]
pub struct Shown {
    leases: crate::lease::table::LeaseTable,
    statuses: Vec<StepStatus>,
    held: Vec<Option<String>>,
    notice: Option<String>,
    overlay: Option<Overlay>,
}

impl Shown {
    pub fn of(app: &App) -> Shown {
        Shown {
            leases: app.leases.clone(),
            statuses: app.steps.iter().map(|s| s.status.clone()).collect(),
            held: (0..app.steps.len())
                .map(|step| app.editor(step).and_then(|e| e.held.clone()))
                .collect(),
            notice: app.notice.clone(),
            overlay: app.overlay,
        }
    }
}
