//! Follows the sandbox's event stream and keeps each seat's progress, last error and log
//! (see `progress`) with the state; and the version learners' long polls wait on, moved
//! on by a broadcast, a pace, the room's end, or a seat's step.
//!
//! Events are taken in batches (all those waiting), one state change per batch, so a busy
//! room writes one record per batch rather than one per request. A tracker that falls
//! behind the stream loses events (said in the log); steps 1–3 are read from the state and
//! are not lost with them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Utc;
use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;

use super::Room;
use super::progress::{MAX_LOG, SeatProgress, log_key, seat_of};
use crate::events::Event;
use crate::vault::VaultState;

/// The most events taken in one batch.
const MAX_BATCH: usize = 512;

/// The tracker's task and what tells it to stop.
type Task = (JoinHandle<()>, Arc<Notify>);

/// The notice version learners wait on, and the tracker's task.
#[derive(Clone)]
pub struct Notices {
    version: Arc<watch::Sender<u64>>,
    task: Arc<Mutex<Option<Task>>>,
    /// The last event taken in.
    tracked: Arc<AtomicU64>,
}

impl Default for Notices {
    fn default() -> Self {
        // Started from the clock, so a version learnt before a restart is behind the ones
        // given after it.
        let start = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(1);
        Self {
            version: Arc::new(watch::channel(start).0),
            task: Arc::default(),
            tracked: Arc::default(),
        }
    }
}

impl Notices {
    pub fn version(&self) -> u64 {
        *self.version.borrow()
    }

    /// Moves the version on: every waiting learner is answered.
    pub fn bump(&self) {
        self.version.send_modify(|v| *v += 1);
    }

    /// Resolves once the version is past `since`, or after `wait`.
    pub async fn changed_after(&self, since: u64, wait: std::time::Duration) {
        let mut seen = self.version.subscribe();
        let _ = tokio::time::timeout(wait, seen.wait_for(|v| *v > since)).await;
    }
}

impl Room {
    /// Starts following the event stream (once).
    pub fn start_tracking(&self) {
        let mut task = self
            .notices
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if task.is_some() {
            return;
        }
        let stop = Arc::new(Notify::new());
        // What came before is not the tracker's to wait for (a restart's due leases were
        // revoked before it started): `settle` would otherwise wait on every call until
        // the next event.
        let (before, live) = self.events.subscribe_after_last();
        self.notices.tracked.fetch_max(before, Ordering::Release);
        let room = self.clone();
        let stopping = stop.clone();
        let handle = tokio::spawn(async move { room.track(live, stopping).await });
        *task = Some((handle, stop));
    }

    /// Takes in what is already in the stream, then stops following it.
    pub async fn stop_tracking(&self) {
        let task = self
            .notices
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((handle, stop)) = task {
            stop.notify_one();
            let _ = handle.await;
        }
    }

    async fn track(&self, mut live: broadcast::Receiver<Arc<Event>>, stop: Arc<Notify>) {
        loop {
            let first = tokio::select! {
                received = live.recv() => received,
                () = stop.notified() => {
                    self.take_in(drain(&mut live, Vec::new()));
                    return;
                }
            };
            match first {
                Ok(event) => {
                    let batch = drain(&mut live, vec![event]);
                    self.take_in(batch);
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "the room's progress missed events: the room was too busy"
                    );
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    /// Applies a batch of events to the seats they belong to.
    fn take_in(&self, batch: Vec<Arc<Event>>) {
        let last = batch.last().map(|e| e.seq);
        if batch
            .iter()
            .any(|e| seat_of(e.detail.namespace()).is_some())
        {
            let step_done = self
                .vault
                .update_state(|state| batch.iter().fold(false, |done, e| apply(state, e) | done));
            if step_done {
                self.notices.bump();
            }
        }
        if let Some(seq) = last {
            self.notices.tracked.fetch_max(seq, Ordering::Release);
        }
    }

    /// The last event the tracker has taken in.
    pub(super) fn tracked_seq(&self) -> u64 {
        self.notices.tracked.load(Ordering::Acquire)
    }

    /// Whether a tracker is following the stream: one stopped or ended takes in nothing
    /// more, and is not waited for.
    pub(super) fn is_tracking(&self) -> bool {
        self.notices
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|(handle, _)| !handle.is_finished())
    }
}

/// `batch` and every event already waiting, up to [`MAX_BATCH`].
fn drain(
    live: &mut broadcast::Receiver<Arc<Event>>,
    mut batch: Vec<Arc<Event>>,
) -> Vec<Arc<Event>> {
    while batch.len() < MAX_BATCH {
        match live.try_recv() {
            Ok(event) => batch.push(event),
            Err(broadcast::error::TryRecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "the room's progress missed events: the room was too busy"
                );
            }
            Err(_) => break,
        }
    }
    batch
}

/// One event into its seat's progress and log; whether a step was done.
pub fn apply(state: &mut VaultState, event: &Event) -> bool {
    let Some(name) = seat_of(event.detail.namespace()) else {
        return false;
    };
    let Some(namespace) = state.seats.get(name).map(|s| s.namespace.clone()) else {
        return false;
    };
    let name = name.to_owned();
    let mut progress: SeatProgress = state.seat_progress.get(&name).cloned().unwrap_or_default();
    let before = progress.steps;
    let observed = progress.observe(event);
    let mut step_done = observed.step_done;
    if observed.wrote {
        let mounts = state
            .mounts
            .with_prefix(namespace.clone())
            .map(|(_, m)| m)
            .filter(|m| m.namespace == namespace);
        step_done |= progress.observe_mounts(mounts, event.time);
    }
    if let Some(pace) = state.room.as_ref().and_then(|r| r.pace) {
        step_done &= !progress.unmark_held(&before, pace);
    }
    if let Some(entry) = observed.entry {
        state
            .seat_log
            .insert(log_key(&name, progress.log_next), entry);
        progress.log_next += 1;
        while progress.log_next - progress.log_first > MAX_LOG {
            state.seat_log.remove(&log_key(&name, progress.log_first));
            progress.log_first += 1;
        }
    }
    state.seat_progress.insert(name, progress);
    step_done
}
