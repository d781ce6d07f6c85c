//! The open connections of one listener: a slot each, up to the cap, and what each is
//! doing, so that at the cap the one idle longest (between requests, or still sending its
//! first request's head: a slow-loris client looks like that) makes room for a new one.
//! A connection with a request in flight is never closed to make room, nor one idle for
//! less than [`GRACE`]: a connection just accepted has its request on the way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// One connection as the registry sees it.
struct Entry {
    /// Requests being answered on it.
    in_flight: usize,
    /// Since when it has had no request in flight (its accept, at first).
    idle_since: Instant,
    /// Rung to close it.
    close: Arc<Notify>,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    entries: HashMap<u64, Entry>,
}

/// How long a connection must have been idle before it may be closed to make room. Under a
/// burst, connections accepted a moment ago are idle only because their request has not
/// been read yet; closing them would fail requests that are on their way.
pub const GRACE: Duration = Duration::from_secs(1);

/// What looking for a connection to close found.
enum Victim {
    /// One was asked to close.
    Closed,
    /// None yet; the idle one that has waited longest may be closed at this instant.
    NotBefore(Instant),
    /// Every connection has a request in flight.
    None,
}

/// How often the cap is reported in the log, at most.
const CAP_REPORT_EVERY: Duration = Duration::from_secs(10);

#[derive(Default)]
struct CapReport {
    last: Option<Instant>,
    /// Times the cap was met since the last line.
    unreported: u64,
}

pub struct Connections {
    slots: Arc<Semaphore>,
    capacity: usize,
    table: Mutex<Table>,
    /// Rung whenever a connection becomes idle: a waiting accept may then close it.
    became_idle: Notify,
    report: Mutex<CapReport>,
    /// Words for the log line at the cap: which listener, and why its cap is what it is.
    name: &'static str,
    fd_limit: Option<u64>,
}

/// A connection's hold on its slot; dropping it frees the slot and forgets the connection.
pub struct Slot {
    id: u64,
    connections: Arc<Connections>,
    _permit: OwnedSemaphorePermit,
    pub close: Arc<Notify>,
}

/// Marks a request in flight on a connection until dropped.
pub struct InFlight {
    id: u64,
    connections: Arc<Connections>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Connections {
    pub fn new(capacity: usize, name: &'static str, fd_limit: Option<u64>) -> Arc<Self> {
        Arc::new(Self {
            slots: Arc::new(Semaphore::new(capacity)),
            capacity,
            table: Mutex::new(Table::default()),
            became_idle: Notify::new(),
            report: Mutex::new(CapReport::default()),
            name,
            fd_limit,
        })
    }

    #[cfg(test)]
    fn open(&self) -> usize {
        lock(&self.table).entries.len()
    }

    /// A slot for a connection just accepted: at once if the cap is not met; else by
    /// closing the connection idle longest (once idle for [`GRACE`]), or by waiting for
    /// one to end or go idle.
    pub async fn slot(self: &Arc<Self>) -> Slot {
        let mut reported = false;
        loop {
            // Listening before looking, so a connection going idle in between is not missed.
            let became_idle = self.became_idle.notified();
            tokio::pin!(became_idle);
            became_idle.as_mut().enable();
            if let Ok(permit) = self.slots.clone().try_acquire_owned() {
                return self.register(permit);
            }
            let now = Instant::now();
            let victim = self.close_longest_idle(now);
            if !reported {
                self.report_cap(matches!(victim, Victim::Closed));
                reported = true;
            }
            // Look again when an idle connection may be closed, or (having asked one to
            // close) after a grace, in case it took a request meanwhile and stayed.
            let look_again = match victim {
                Victim::Closed => Some(now + GRACE),
                Victim::NotBefore(at) => Some(at),
                Victim::None => None,
            };
            let timer = async {
                match look_again {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                permit = self.slots.clone().acquire_owned() => {
                    return self.register(permit.expect("the slots are never closed"));
                }
                () = &mut became_idle, if !matches!(victim, Victim::Closed) => {}
                () = timer => {}
            }
        }
    }

    /// Resolves once every slot is free again: every connection has ended.
    #[cfg(test)]
    async fn all_closed(&self) {
        let all = u32::try_from(self.capacity).unwrap_or(u32::MAX);
        let _ = self.slots.acquire_many(all).await;
    }

    fn register(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> Slot {
        let close = Arc::new(Notify::new());
        let mut table = lock(&self.table);
        table.next_id += 1;
        let id = table.next_id;
        table.entries.insert(
            id,
            Entry {
                in_flight: 0,
                idle_since: Instant::now(),
                close: close.clone(),
            },
        );
        Slot {
            id,
            connections: self.clone(),
            _permit: permit,
            close,
        }
    }

    /// Rings the connection idle longest to close, if it has been idle for [`GRACE`].
    fn close_longest_idle(&self, now: Instant) -> Victim {
        let table = lock(&self.table);
        let longest = table
            .entries
            .values()
            .filter(|e| e.in_flight == 0)
            .min_by_key(|e| e.idle_since);
        match longest {
            Some(entry) if now.duration_since(entry.idle_since) >= GRACE => {
                entry.close.notify_one();
                Victim::Closed
            }
            Some(entry) => Victim::NotBefore(entry.idle_since + GRACE),
            None => Victim::None,
        }
    }

    /// One warning line per [`CAP_REPORT_EVERY`] at most, with how often the cap was met.
    fn report_cap(&self, closed_one: bool) {
        let mut report = lock(&self.report);
        report.unreported += 1;
        let now = Instant::now();
        if report
            .last
            .is_some_and(|last| now.duration_since(last) < CAP_REPORT_EVERY)
        {
            return;
        }
        let times = std::mem::take(&mut report.unreported);
        report.last = Some(now);
        drop(report);
        let why = match self.fd_limit {
            Some(limit) if limit != u64::MAX => format!(" (its open-file limit is {limit})"),
            _ => String::new(),
        };
        let what = if closed_one {
            "closing the connection idle longest to make room for a new one"
        } else {
            "each has a request in flight or has just arrived, so new connections wait in the kernel's queue until one ends or has been idle for a second"
        };
        tracing::warn!(
            "{} listener: {} connections open, the most it keeps{why}; {what} (cap met {times} time{} since the last such line)",
            self.name,
            self.capacity,
            if times == 1 { "" } else { "s" },
        );
    }
}

impl Slot {
    /// Marks a request in flight on this connection until the guard is dropped.
    pub fn begin_request(&self) -> InFlight {
        if let Some(entry) = lock(&self.connections.table).entries.get_mut(&self.id) {
            entry.in_flight += 1;
        }
        InFlight {
            id: self.id,
            connections: self.connections.clone(),
        }
    }

    /// Whether the connection has no request in flight (so it may be dropped as it is).
    pub fn is_idle(&self) -> bool {
        lock(&self.connections.table)
            .entries
            .get(&self.id)
            .is_none_or(|e| e.in_flight == 0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        lock(&self.connections.table).entries.remove(&self.id);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut table = lock(&self.connections.table);
        if let Some(entry) = table.entries.get_mut(&self.id) {
            entry.in_flight = entry.in_flight.saturating_sub(1);
            if entry.in_flight == 0 {
                entry.idle_since = Instant::now();
                drop(table);
                self.connections.became_idle.notify_waiters();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn at_the_cap_the_connection_idle_longest_is_asked_to_close() {
        let connections = Connections::new(2, "test", Some(1024));
        let oldest = connections.slot().await;
        let busy = connections.slot().await;
        let _request = busy.begin_request();
        assert_eq!(connections.open(), 2);

        let oldest_close = oldest.close.clone();
        let waiting = tokio::spawn({
            let connections = connections.clone();
            async move { connections.slot().await }
        });
        // The idle one is told to close (its task would drop its slot)…
        oldest_close.notified().await;
        assert!(oldest.is_idle() && !busy.is_idle());
        drop(oldest);
        // …and the new connection gets its slot.
        let newest = waiting.await.unwrap();
        assert_eq!(connections.open(), 2);
        drop((newest, busy));
        connections.all_closed().await;
    }

    #[tokio::test]
    async fn a_connection_just_accepted_is_not_closed_to_make_room() {
        let connections = Connections::new(1, "test", None);
        let fresh = connections.slot().await;
        let now = Instant::now();
        assert!(matches!(
            connections.close_longest_idle(now),
            Victim::NotBefore(_)
        ));
        let _request = fresh.begin_request();
        assert!(matches!(
            connections.close_longest_idle(now + GRACE),
            Victim::None
        ));
        drop(_request);
        assert!(matches!(
            connections.close_longest_idle(Instant::now() + GRACE),
            Victim::Closed
        ));
    }

    #[tokio::test]
    async fn when_all_are_busy_a_new_connection_waits_for_one_to_go_idle() {
        let connections = Connections::new(1, "test", None);
        let only = connections.slot().await;
        let request = only.begin_request();
        let only_close = only.close.clone();
        let waiting = tokio::spawn({
            let connections = connections.clone();
            async move { connections.slot().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        // The request ends: the connection is idle, so it is asked to close.
        drop(request);
        only_close.notified().await;
        drop(only);
        waiting.await.unwrap();
    }
}
