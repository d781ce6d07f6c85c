//! Keeping the sandbox's state across a crash: `--state F` is a snapshot (`F`) and a
//! write-ahead log beside it (`F.wal`).
//!
//! Every change is recorded as it is made (under the lock of the state it changes, see
//! [`guard`]), and no answer leaves before its changes are synced ([`barrier`]). So a
//! lease is on disk before its credentials leave, and a `kill -9` at any moment loses
//! nothing anyone was told. The log only grows by the rows that changed; once it is larger
//! than the snapshot (and a few MiB), a compaction writes a new snapshot and starts the
//! log again. At start the snapshot and the log are read back (a last record cut short by
//! the crash is dropped and said so), then written out again as a fresh snapshot.
//!
//! A table that grows with use (leases, IAM users…) must be a [`TrackedMap`]: the rest of
//! a state is recorded whole whenever it changes.

pub mod barrier;
pub mod guard;
pub mod log;
pub mod record;
pub mod tracked;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

pub use guard::{Recordable, Recorded};
pub use tracked::TrackedMap;

use crate::aws::AwsState;
use crate::state::{self, SandboxState, StateError};
use crate::vault::VaultState;
use log::LogWriter;

/// The most read from a state file or its log: refused beyond, never read without end.
pub const MAX_FILE_BYTES: u64 = 512 << 20;
/// The log is compacted once it is larger than the snapshot and than this.
const MIN_COMPACTION_BYTES: u64 = 8 << 20;

/// The log beside a state file: `sandbox.json` → `sandbox.json.wal`.
pub fn log_path(state_path: &Path) -> PathBuf {
    let mut name = state_path.as_os_str().to_owned();
    name.push(".wal");
    PathBuf::from(name)
}

/// What a compaction and the final save write: the whole state, and the log position it
/// includes. Taken from the servers, which hold their own state.
pub type SnapshotSource = Box<dyn Fn(&Store) -> SandboxState + Send + Sync>;

/// A running state file: cheap to clone, shared by the servers.
#[derive(Clone)]
pub struct Store(Arc<Inner>);

struct Inner {
    path: PathBuf,
    _lock: StateLock,
    writer: LogWriter,
    vault_meta: Mutex<Vec<u8>>,
    aws_meta: Mutex<Vec<u8>>,
    source: Mutex<Option<SnapshotSource>>,
    compaction: Mutex<Option<JoinHandle<()>>>,
    compacting: AtomicBool,
    closing: AtomicBool,
    threshold: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Held while a sandbox uses a state file (`F.lock` beside it): a second sandbox on the
/// same file would write over the first one's log.
pub struct StateLock {
    _file: std::fs::File,
}

/// Takes the state file for this process, then reads it (see [`load`]).
pub fn open(path: &Path) -> Result<(Option<SandboxState>, StateLock), StateError> {
    // A device or a folder is refused before anything is made beside it.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        state::load(path)?;
    }
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let file = vaultlab_wire::private_file::open_private_append(&lock_path).map_err(|source| {
        StateError::Write {
            path: lock_path.clone(),
            source,
        }
    })?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(StateError::InUse {
                path: path.to_owned(),
            });
        }
        Err(std::fs::TryLockError::Error(source)) => {
            return Err(StateError::Write {
                path: lock_path,
                source,
            });
        }
    }
    Ok((load(path)?, StateLock { _file: file }))
}

/// Reads the state file and replays its log; `Ok(None)` when there is neither.
pub fn load(path: &Path) -> Result<Option<SandboxState>, StateError> {
    let log_path = log_path(path);
    let snapshot = state::load(path)?;
    let log_bytes = match vaultlab_wire::private_file::read_capped(&log_path, MAX_FILE_BYTES) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(StateError::Read {
                path: log_path,
                source,
            });
        }
    };
    let damaged = |reason: String| StateError::CorruptLog {
        path: log_path.clone(),
        state: path.to_owned(),
        reason,
    };
    let mut state = match (snapshot, log_bytes) {
        (None, None) => return Ok(None),
        (None, Some(_)) => {
            return Err(damaged(
                "the state file it belongs to is not there".to_owned(),
            ));
        }
        (Some(state), None) => state,
        (Some(state), Some(bytes)) => {
            let mut state = state;
            let parsed = log::parse(&bytes).map_err(damaged)?;
            if let Some(torn) = parsed.torn_tail {
                tracing::warn!(
                    "{}: its last record ({torn} bytes) was cut short when the sandbox stopped \
                     abruptly; it is dropped (it had not been synced, so no one was told it \
                     was kept)",
                    log_path.display()
                );
            }
            for (seq, payload) in parsed.records {
                if seq <= state.log_seq {
                    continue;
                }
                record::apply(payload, &mut state.vault, &mut state.aws)
                    .map_err(|reason| damaged(format!("record {seq}: {reason}")))?;
                state.log_seq = seq;
            }
            state
        }
    };
    // A state from an older vaultlab is brought to this one's shape (written back whole
    // by `Store::start`).
    state.aws.upgrade();
    state.vault.upgrade();
    record::forget_vault_changes(&mut state.vault);
    record::forget_aws_changes(&mut state.aws);
    Ok(Some(state))
}

impl Store {
    /// Writes `state` as the snapshot with an empty log beside it (folding in whatever the
    /// old log held, and dropping a torn tail), then starts recording after it.
    pub fn start(path: &Path, state: &SandboxState, lock: StateLock) -> Result<Store, StateError> {
        let snapshot_bytes = state::save(path, state)?;
        let log_path = log_path(path);
        let file = log::create(&log_path, &[]).map_err(|source| StateError::Write {
            path: log_path.clone(),
            source,
        })?;
        let writer = LogWriter::start(log_path, file, log::MAGIC.len() as u64, state.log_seq);
        Ok(Store(Arc::new(Inner {
            path: path.to_owned(),
            _lock: lock,
            writer,
            vault_meta: Mutex::new(record::vault_meta(&state.vault)),
            aws_meta: Mutex::new(record::aws_meta(&state.aws)),
            source: Mutex::new(None),
            compaction: Mutex::new(None),
            compacting: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            threshold: AtomicU64::new(MIN_COMPACTION_BYTES.max(snapshot_bytes)),
        })))
    }

    /// Where compactions and the final save take the whole state from.
    pub fn set_snapshot_source(&self, source: SnapshotSource) {
        *lock(&self.0.source) = Some(source);
    }

    /// The position of the last record appended (synced or not).
    pub fn last_seq(&self) -> u64 {
        self.0.writer.last_seq()
    }

    /// Waits until every record up to `seq` is synced; the reason if it never will be.
    pub async fn durable(&self, seq: u64) -> Result<(), Arc<str>> {
        let mut durable = self.0.writer.durable();
        let reached = durable
            .wait_for(|d| d.seq >= seq || d.failure.is_some())
            .await
            .map_err(|_| Arc::<str>::from("the state log writer stopped"))?;
        if reached.seq >= seq {
            return Ok(());
        }
        Err(reached
            .failure
            .clone()
            .unwrap_or_else(|| "the state log writer stopped".into()))
    }

    fn append(&self, rows: Vec<u8>) -> Option<u64> {
        if rows.is_empty() {
            return None;
        }
        match self.0.writer.append(rows) {
            Ok(seq) => {
                self.maybe_compact();
                Some(seq)
            }
            // Waiting for a position never reached reports the failure to the request.
            Err(_) => Some(u64::MAX),
        }
    }

    fn maybe_compact(&self) {
        if self.0.writer.log_bytes() < self.0.threshold.load(Ordering::Relaxed)
            || self.0.closing.load(Ordering::SeqCst)
            || self.0.compacting.swap(true, Ordering::SeqCst)
        {
            return;
        }
        let store = self.clone();
        let thread = std::thread::Builder::new()
            .name("state-compaction".into())
            .spawn(move || {
                if let Err(e) = store.compact() {
                    tracing::error!("{e}; the log keeps growing until a compaction succeeds");
                }
                store.0.compacting.store(false, Ordering::SeqCst);
            });
        match thread {
            Ok(thread) => *lock(&self.0.compaction) = Some(thread),
            Err(_) => self.0.compacting.store(false, Ordering::SeqCst),
        }
    }

    /// A new snapshot, then a log holding only what came after it.
    fn compact(&self) -> Result<(), StateError> {
        let writer = &self.0.writer;
        writer.begin_retaining();
        let snapshot = {
            let source = lock(&self.0.source);
            let Some(source) = source.as_ref() else {
                writer.stop_retaining();
                return Ok(());
            };
            source(self)
        };
        let result = state::save(&self.0.path, &snapshot).and_then(|bytes| {
            writer
                .swap_after(snapshot.log_seq)
                .map_err(|source| StateError::Write {
                    path: log_path(&self.0.path),
                    source,
                })?;
            Ok(bytes)
        });
        match result {
            Ok(bytes) => {
                self.0
                    .threshold
                    .store(MIN_COMPACTION_BYTES.max(bytes), Ordering::Relaxed);
                tracing::debug!(bytes, "state compacted");
                Ok(())
            }
            Err(e) => {
                writer.stop_retaining();
                Err(e)
            }
        }
    }

    /// Stops recording and writes the whole state once more, with an empty log. After a
    /// write failure this is what saves the changes made since.
    pub fn close(&self) -> Result<(), StateError> {
        self.0.closing.store(true, Ordering::SeqCst);
        if let Some(thread) = lock(&self.0.compaction).take() {
            let _ = thread.join();
        }
        let failure = self.0.writer.close();
        let Some(source) = lock(&self.0.source).take() else {
            return Ok(());
        };
        let snapshot = source(self);
        state::save(&self.0.path, &snapshot)?;
        let log_path = log_path(&self.0.path);
        log::create(&log_path, &[]).map_err(|source| StateError::Write {
            path: log_path,
            source,
        })?;
        if let Some(failure) = failure {
            tracing::info!("after the earlier failure ({failure}), the whole state was saved");
        }
        Ok(())
    }
}

impl Recordable for VaultState {
    fn record_changes(&mut self, store: Option<&Store>) -> Option<u64> {
        let Some(store) = store else {
            record::forget_vault_changes(self);
            return None;
        };
        let rows = record::vault_rows(self, &mut lock(&store.0.vault_meta));
        store.append(rows)
    }
}

impl Recordable for AwsState {
    fn record_changes(&mut self, store: Option<&Store>) -> Option<u64> {
        let Some(store) = store else {
            record::forget_aws_changes(self);
            return None;
        };
        let rows = record::aws_rows(self, &mut lock(&store.0.aws_meta));
        store.append(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Lease;

    struct Sides {
        vault: Arc<Mutex<VaultState>>,
        aws: Arc<Mutex<AwsState>>,
    }

    fn lease(id: &str) -> Lease {
        let now = chrono::Utc::now();
        Lease {
            id: id.into(),
            namespace: String::new(),
            mount: "aws/".into(),
            role: "r".into(),
            username: format!("vault-{id}"),
            token: None,
            issue_time: now,
            expire_time: now,
            last_renewal: None,
            renewable: true,
            revoke_attempts: 0,
            revoke_at: None,
            revoke_error: None,
            irrevocable: false,
            revocation_asked: false,
        }
    }

    /// A store on a fresh state at `path`, fed by two locked sides as the servers are.
    fn started(path: &Path) -> (Store, Sides) {
        let (_, state_lock) = open(path).unwrap();
        let state = SandboxState {
            format: state::FORMAT_VERSION,
            vault: VaultState::new(),
            aws: AwsState::new_account(),
            log_seq: 0,
        };
        let store = Store::start(path, &state, state_lock).unwrap();
        let sides = Sides {
            vault: Arc::new(Mutex::new(state.vault)),
            aws: Arc::new(Mutex::new(state.aws)),
        };
        let (vault, aws) = (sides.vault.clone(), sides.aws.clone());
        store.set_snapshot_source(Box::new(move |store: &Store| {
            let vault_state = lock(&vault);
            let log_seq = store.last_seq();
            SandboxState {
                format: state::FORMAT_VERSION,
                vault: vault_state.clone(),
                aws: lock(&aws).clone(),
                log_seq,
            }
        }));
        (store, sides)
    }

    fn issue(store: &Store, sides: &Sides, id: &str) {
        Recorded::new(lock(&sides.vault), Some(store))
            .leases
            .insert(id.into(), lease(id));
        let mut aws = Recorded::new(lock(&sides.aws), Some(store));
        let account = aws.account_id.clone();
        aws.create_user(&account, &format!("vault-{id}"), "/", chrono::Utc::now())
            .unwrap();
    }

    fn synced(store: &Store) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(store.durable(store.last_seq())).unwrap();
    }

    fn leases(state: &SandboxState) -> Vec<&str> {
        state.vault.leases.keys().map(String::as_str).collect()
    }

    #[test]
    fn what_was_synced_is_there_after_a_crash_and_a_compaction_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let (store, sides) = started(&path);
        issue(&store, &sides, "a");
        issue(&store, &sides, "b");
        synced(&store);
        // No close: as after a kill -9.
        let state = load(&path).unwrap().unwrap();
        assert_eq!(leases(&state), ["a", "b"]);
        let account = state.aws.account_id.clone();
        assert!(state.aws.user(&account, "vault-b").is_ok());
        assert_eq!(state.log_seq, 4);

        store.compact().unwrap();
        Recorded::new(lock(&sides.vault), Some(&store))
            .leases
            .remove("a");
        issue(&store, &sides, "c");
        synced(&store);
        let after = load(&path).unwrap().unwrap();
        assert_eq!(leases(&after), ["b", "c"]);
        let log = std::fs::read(log_path(&path)).unwrap();
        assert_eq!(
            log::parse(&log).unwrap().records.len(),
            3,
            "the log holds only what came after the snapshot"
        );
        store.close().unwrap();
        let closed = load(&path).unwrap().unwrap();
        assert_eq!(leases(&closed), ["b", "c"]);
        assert_eq!(std::fs::read(log_path(&path)).unwrap(), log::MAGIC);
    }

    #[test]
    fn a_torn_last_record_is_dropped_and_damage_before_it_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let (store, sides) = started(&path);
        issue(&store, &sides, "a");
        issue(&store, &sides, "b");
        synced(&store);
        let log = log_path(&path);
        let whole = std::fs::read(&log).unwrap();

        std::fs::write(&log, &whole[..whole.len() - 7]).unwrap();
        let state = load(&path).unwrap().unwrap();
        assert_eq!(leases(&state), ["a", "b"], "only b's IAM user was torn");
        let account = state.aws.account_id.clone();
        assert!(state.aws.user(&account, "vault-b").is_err());

        let mut damaged = whole.clone();
        damaged[log::MAGIC.len() + 30] ^= 0xff;
        std::fs::write(&log, &damaged).unwrap();
        let err = load(&path).unwrap_err();
        assert!(matches!(err, StateError::CorruptLog { .. }), "{err}");
        assert!(err.to_string().contains("damaged"), "{err}");
        assert_eq!(std::fs::read(&log).unwrap(), damaged, "left as it is");
    }

    #[test]
    fn a_log_without_its_state_file_and_a_second_user_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let (_store, _sides) = started(&path);
        assert!(matches!(open(&path), Err(StateError::InUse { .. })));
        let lone = dir.path().join("other.json");
        std::fs::copy(log_path(&path), log_path(&lone)).unwrap();
        let err = load(&lone).unwrap_err();
        assert!(
            err.to_string()
                .contains("the state file it belongs to is not there"),
            "{err}"
        );
    }

    #[test]
    fn a_state_file_of_the_first_format_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.json");
        let mut old = serde_json::to_value(SandboxState {
            format: 1,
            vault: VaultState::new(),
            aws: AwsState::new_account(),
            log_seq: 0,
        })
        .unwrap();
        old.as_object_mut().unwrap().remove("log_seq");
        std::fs::write(&path, old.to_string()).unwrap();
        let state = load(&path).unwrap().unwrap();
        assert_eq!(state.format, 1);
        assert_eq!(state.log_seq, 0);
    }
}
