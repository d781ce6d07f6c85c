//! The lease journal: every lease vaultlab issues, recorded before its keys are shown and
//! kept until it is revoked or expires, so a quit, a crash or a `kill -9` never leaves an
//! IAM user nobody knows about. One file per Vault address (and namespace), under the
//! user's data directory. Lease ids, roles and times only: never a key or a token.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use super::journal_files::{data_dir, path_for};
use super::journal_files::{earlier_paths, kept_beside, lock_beside, one_file, place};
use super::lifecycle::Lifecycle;
use super::owner::Owner;
use vaultlab_wire::private_file;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub lease_id: String,
    pub mount: String,
    pub role: String,
    pub issued_at: DateTime<Utc>,
    /// The TTL Vault last gave it: at issue, or at the last renewal.
    pub ttl_seconds: u64,
    /// When it ends unless renewed. Journals written before this field had only the TTL.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Written as `"state": "active"` (or revoked, gone, revoke_failed) beside the fields.
    #[serde(flatten)]
    pub state: Lifecycle,
    /// The run that issued it. Journals written before this field have none: such
    /// leases are taken for an earlier run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

impl Entry {
    /// Still worth revoking: active, or a revocation that failed.
    pub fn is_open(&self) -> bool {
        self.state.is_open()
    }

    /// When the lease ends unless renewed, as far as the journal knows.
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.expires_at.unwrap_or_else(|| {
            crate::lease::countdown::expiry(
                self.issued_at,
                std::time::Duration::from_secs(self.ttl_seconds),
            )
        })
    }
}

/// The journal's shape. Bumped when a change would make an older vaultlab misread it.
const FORMAT: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct JournalFile {
    /// Journals written before this field are format 1.
    #[serde(default = "first_format")]
    format: u32,
    vault_addr: String,
    namespace: Option<String>,
    entries: Vec<Entry>,
}

fn first_format() -> u32 {
    1
}

/// What a journal's bytes hold, before this vaultlab trusts them.
enum Contents {
    Read(JournalFile),
    /// Written by a newer vaultlab: left as it is, neither read nor moved aside.
    Newer(u32),
    /// Not a journal: not JSON, not UTF-8, or not the shape this vaultlab writes.
    Damaged(String),
}

impl Contents {
    fn of(bytes: &[u8]) -> Contents {
        #[derive(Deserialize)]
        struct Format {
            #[serde(default = "first_format")]
            format: u32,
        }
        // The format first: a newer journal may lack fields this one needs, and must not
        // be taken for a damaged one.
        match serde_json::from_slice::<Format>(bytes) {
            Ok(Format { format }) if format > FORMAT => return Contents::Newer(format),
            Ok(_) => {}
            Err(e) => return Contents::Damaged(damage(bytes, e)),
        }
        match serde_json::from_slice::<JournalFile>(bytes) {
            Ok(file) => Contents::Read(file),
            Err(e) => Contents::Damaged(damage(bytes, e)),
        }
    }
}

/// serde_json's words, or that the file is not text at all.
fn damage(bytes: &[u8], error: serde_json::Error) -> String {
    match std::str::from_utf8(bytes) {
        Ok(_) => error.to_string(),
        Err(e) => format!("it is not UTF-8 text (byte {})", e.valid_up_to()),
    }
}

#[derive(Debug)]
pub struct Journal {
    /// Where this run writes: the journal itself, or a file beside it when the journal
    /// could not be read.
    path: PathBuf,
    /// The journal itself, whatever `path` is: the files kept aside are found beside it.
    main: PathBuf,
    /// This run: the owner of the leases it records.
    owner: Owner,
    file: JournalFile,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot read the lease journal {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error(
        "the lease journal {path} is damaged ({reason}); it was kept aside as {kept_as} and a new one started. Leases it listed may still be alive: their ids are in that file, and `vault lease revoke ID` ends one"
    )]
    Corrupt {
        path: PathBuf,
        reason: String,
        kept_as: PathBuf,
    },
    #[error(
        "the lease journal {path} was written by a newer vaultlab (format {found}; this one reads {FORMAT}); it was left as it is, and this run keeps its leases in {aside} instead"
    )]
    Newer {
        path: PathBuf,
        found: u32,
        aside: PathBuf,
    },
    #[error("cannot write the lease journal {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What one journal file says of itself, read without changing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shelved {
    pub vault_addr: String,
    pub namespace: Option<String>,
    /// Leases not known to be over: active, or whose revocation failed.
    pub open: usize,
}

/// Every journal file under `data_dir` (the ones kept beside an unreadable journal too),
/// sorted by name, each read as it is or with why it cannot be: for `vaultlab cleanup`
/// when no Vault was named. Nothing is moved or written.
pub fn shelf(data_dir: &Path) -> Vec<(PathBuf, Result<Shelved, String>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(data_dir.join("leases"))
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let read = match std::fs::read(&path) {
                Err(e) => Err(e.to_string()),
                Ok(bytes) => match Contents::of(&bytes) {
                    Contents::Read(file) => Ok(Shelved {
                        open: file.entries.iter().filter(|e| e.is_open()).count(),
                        vault_addr: file.vault_addr,
                        namespace: file.namespace,
                    }),
                    Contents::Newer(found) => Err(format!(
                        "written by a newer vaultlab (format {found}; this one reads {FORMAT})"
                    )),
                    Contents::Damaged(reason) => Err(format!("damaged: {reason}")),
                },
            };
            (path, read)
        })
        .collect()
}

impl Journal {
    /// Opens the journal at `path`, empty if there is none yet. A damaged file is moved
    /// aside (never overwritten) and reported; the journal then starts empty.
    pub fn open(
        path: PathBuf,
        vault_addr: &str,
        namespace: Option<&str>,
        now: DateTime<Utc>,
    ) -> (Journal, Option<JournalError>) {
        let main = path.clone();
        let fresh = |path: PathBuf| Journal {
            path,
            main: main.clone(),
            owner: Owner::this_run(now),
            file: JournalFile {
                format: FORMAT,
                vault_addr: vault_addr.to_owned(),
                namespace: namespace.map(str::to_owned),
                entries: Vec::new(),
            },
        };
        let (mut journal, error) = match std::fs::read(&path) {
            Ok(bytes) => match Contents::of(&bytes) {
                Contents::Newer(found) => {
                    let aside = path.with_extension(format!("unreadable-{}.json", now.timestamp()));
                    let error = JournalError::Newer {
                        path: path.clone(),
                        found,
                        aside: aside.clone(),
                    };
                    (fresh(aside), Some(error))
                }
                contents => Self::parsed(fresh(path), contents, now),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (fresh(path), None),
            Err(e) => {
                // Unreadable, not damaged: leave it, and write beside it, where later runs
                // and `vaultlab cleanup` look too.
                let aside = path.with_extension(format!("unreadable-{}.json", now.timestamp()));
                let error = JournalError::Unreadable {
                    path: path.clone(),
                    reason: format!(
                        "{e}; this run keeps its leases in {} instead, which later runs and `vaultlab cleanup` read too",
                        aside.display()
                    ),
                };
                (fresh(aside), Some(error))
            }
        };
        journal.merge_kept_aside();
        // The address it is reached at now (`vaultlab cleanup` names it), whatever scheme
        // the file was last written with.
        journal.file.vault_addr = vault_addr.to_owned();
        let adopted = journal.adopt_earlier(&earlier_paths(&main, vault_addr, namespace));
        (journal, error.or(adopted))
    }

    /// Takes in the journals this Vault had under their earlier names, and the files kept
    /// beside each (where a run that could not read one wrote its leases): their leases
    /// are written into this one (every entry of a journal, the open ones of a file kept
    /// beside), then those files are removed, so each lease is in one file (`vaultlab
    /// cleanup` lists every file). One that cannot be read is left where it is.
    fn adopt_earlier(&mut self, earlier: &[PathBuf]) -> Option<JournalError> {
        // Each file once, and never this journal under another name (a case-insensitive
        // file system takes `Vault.Example_8200.json` for `vault.example_8200.json`): its
        // lock is held here, and taking it again would wait for ever; removing it would
        // lose every lease.
        let mut found: Vec<(PathBuf, bool)> = Vec::new();
        let candidates = earlier.iter().flat_map(|path| {
            let beside = kept_beside(path).into_iter().map(|p| (p, true));
            std::iter::once((path.clone(), false)).chain(beside)
        });
        for (path, beside) in candidates {
            let known = |other: &Path| one_file(&path, other);
            if path.exists()
                && !self.is_this_journal(&path)
                && !found.iter().any(|(other, _)| known(other))
            {
                found.push((path, beside));
            }
        }
        if found.is_empty() {
            return None;
        }
        let adopt = || -> Result<(), JournalError> {
            let _lock = self.lock()?;
            self.reload()?;
            let mut taken = Vec::new();
            // Each file's own lock is held while it is read and removed, over this one's:
            // a vaultlab from before the rename may be writing it (it takes only that one).
            let mut held = Vec::new();
            for (path, beside) in found {
                let Ok(their_lock) = lock_beside(&path) else {
                    continue;
                };
                let Some(Contents::Read(file)) =
                    std::fs::read(&path).ok().map(|b| Contents::of(&b))
                else {
                    continue;
                };
                // Another Vault's (a name both schemes shared, a port apart): left alone.
                if place(&file.vault_addr) != place(&self.file.vault_addr) {
                    continue;
                }
                held.push(their_lock);
                for entry in file.entries {
                    let known = self
                        .file
                        .entries
                        .iter()
                        .any(|e| e.lease_id == entry.lease_id);
                    if !known && (!beside || entry.is_open()) {
                        self.file.entries.push(entry);
                    }
                }
                taken.push(path);
            }
            self.save()?;
            for path in taken {
                // Checked again: the journal was just replaced by rename.
                if self.is_this_journal(&path) {
                    continue;
                }
                if let Err(e) = std::fs::remove_file(&path) {
                    tracing::warn!("{} was taken in but stays: {e}", path.display());
                }
            }
            drop(held);
            Ok(())
        };
        adopt().err()
    }

    /// Whether `path` is the journal, or the file this run writes, under any name.
    fn is_this_journal(&self, path: &Path) -> bool {
        one_file(path, &self.main) || one_file(path, &self.path)
    }

    /// The journal read from its contents; a damaged one is moved aside, and `journal`
    /// (empty) is used instead.
    fn parsed(
        mut journal: Journal,
        contents: Contents,
        now: DateTime<Utc>,
    ) -> (Journal, Option<JournalError>) {
        let path = journal.path.clone();
        match contents {
            Contents::Read(file) => {
                journal.file = file;
                (journal, None)
            }
            Contents::Newer(_) => unreachable!("a newer journal is never parsed"),
            Contents::Damaged(e) => {
                let kept_as = path.with_extension(format!("corrupt-{}.json", now.timestamp()));
                let error = match std::fs::rename(&path, &kept_as) {
                    Ok(()) => JournalError::Corrupt {
                        path: path.clone(),
                        reason: e,
                        kept_as,
                    },
                    Err(rename) => JournalError::Unreadable {
                        path: path.clone(),
                        reason: format!("{e}; and it could not be moved aside: {rename}"),
                    },
                };
                (journal, Some(error))
            }
        }
    }

    /// Files kept beside the journal: runs that could not read it wrote there
    /// (`*.unreadable-<ts>.json`), and damaged copies were moved there
    /// (`*.corrupt-<ts>.json`).
    fn kept_aside(&self) -> Vec<PathBuf> {
        kept_beside(&self.main)
            .into_iter()
            .filter(|p| *p != self.path)
            .collect()
    }

    /// Adds the open leases of the files kept aside that can be read, unless this journal
    /// already knows them (then it knows better: they were revoked or renewed since). So
    /// a lease written beside an unreadable journal is seen by every later run and by
    /// `vaultlab cleanup`, and is written into the journal with its next change.
    fn merge_kept_aside(&mut self) {
        for aside in self.kept_aside() {
            let Some(Contents::Read(file)) = std::fs::read(&aside).ok().map(|b| Contents::of(&b))
            else {
                continue;
            };
            for entry in file.entries.into_iter().filter(Entry::is_open) {
                if !self
                    .file
                    .entries
                    .iter()
                    .any(|e| e.lease_id == entry.lease_id)
                {
                    self.file.entries.push(entry);
                }
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The run this journal records leases for.
    pub fn owner(&self) -> &Owner {
        &self.owner
    }

    pub fn entries(&self) -> &[Entry] {
        &self.file.entries
    }

    pub fn open_entries(&self) -> impl Iterator<Item = &Entry> {
        self.file.entries.iter().filter(|e| e.is_open())
    }

    /// The open leases for this run to look after, and how many more another vaultlab
    /// still running holds (left out: they are that run's to renew, revoke or keep).
    /// Leases without an owner (older journals) are taken for an earlier run's.
    pub fn open_leftovers(&self) -> (Vec<Entry>, usize) {
        let (theirs, ours): (Vec<&Entry>, Vec<&Entry>) = self.open_entries().partition(|e| {
            e.owner
                .as_ref()
                .is_some_and(|owner| super::owner::is_another_live_run(owner, &self.owner))
        });
        (ours.into_iter().cloned().collect(), theirs.len())
    }

    /// Records a new lease, as this run's unless it names its owner, and writes the
    /// journal at once.
    pub fn record(&mut self, mut entry: Entry) -> Result<(), JournalError> {
        entry.owner.get_or_insert_with(|| self.owner.clone());
        self.change(|entries| {
            entries.retain(|e| e.lease_id != entry.lease_id);
            entries.push(entry);
        })
    }

    /// Changes a lease's state and writes the journal. Unknown ids are ignored.
    pub fn mark(&mut self, lease_id: &str, state: Lifecycle) -> Result<(), JournalError> {
        self.change(|entries| {
            if let Some(entry) = entries.iter_mut().find(|e| e.lease_id == lease_id) {
                entry.state = state;
            }
        })
    }

    /// Records a renewal: Vault's new TTL, counted from `now`. Unknown ids are ignored.
    pub fn renewed(
        &mut self,
        lease_id: &str,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> Result<(), JournalError> {
        self.change(|entries| {
            if let Some(entry) = entries.iter_mut().find(|e| e.lease_id == lease_id) {
                entry.ttl_seconds = ttl.as_secs();
                entry.expires_at = Some(crate::lease::countdown::expiry(now, ttl));
            }
        })
    }

    /// One change, made to the file as it is now: two vaultlabs (two terminals, or a
    /// cleanup beside a TUI) share the journal of a Vault, so each change is made under
    /// a lock, over what the others wrote, never over an older copy.
    fn change(&mut self, apply: impl FnOnce(&mut Vec<Entry>)) -> Result<(), JournalError> {
        let _lock = self.lock()?;
        self.reload()?;
        apply(&mut self.file.entries);
        self.save()
    }

    /// Held until dropped. A lock file beside the journal, since the journal itself is
    /// replaced by rename on every write.
    fn lock(&self) -> Result<std::fs::File, JournalError> {
        let write_error = |source| JournalError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            private_file::create_private_dir(dir).map_err(write_error)?;
        }
        lock_beside(&self.path).map_err(write_error)
    }

    /// Takes the entries on disk, if the file is there. One damaged meanwhile is moved
    /// aside, as at open, rather than written over. One that cannot be read fails the
    /// change: writing this run's older copy over it would drop other runs' leases.
    fn reload(&mut self) -> Result<(), JournalError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.merge_kept_aside();
                return Ok(());
            }
            Err(e) => {
                return Err(JournalError::Unreadable {
                    path: self.path.clone(),
                    reason: format!("{e}; it was left as it is and this change not written"),
                });
            }
        };
        match Contents::of(&bytes) {
            Contents::Read(file) => self.file.entries = file.entries,
            Contents::Newer(found) => {
                return Err(JournalError::Unreadable {
                    path: self.path.clone(),
                    reason: format!(
                        "a newer vaultlab wrote it meanwhile (format {found}, this one reads {FORMAT}); it was left as it is and this change not written"
                    ),
                });
            }
            Contents::Damaged(e) => {
                let kept_as = self
                    .path
                    .with_extension(format!("corrupt-{}.json", chrono::Utc::now().timestamp()));
                let moved = std::fs::rename(&self.path, &kept_as);
                tracing::error!(
                    "the lease journal {} was damaged ({e}); kept aside as {}: {moved:?}",
                    self.path.display(),
                    kept_as.display()
                );
            }
        }
        self.merge_kept_aside();
        Ok(())
    }

    fn save(&self) -> Result<(), JournalError> {
        let write_error = |source| JournalError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            private_file::create_private_dir(dir).map_err(write_error)?;
        }
        let json = serde_json::to_vec_pretty(&self.file).expect("journal serializes");
        private_file::write_private(&self.path, &json).map_err(write_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_763_900_000 + secs, 0).unwrap()
    }

    fn entry(id: &str) -> Entry {
        Entry {
            lease_id: id.into(),
            mount: "aws".into(),
            role: "my-role".into(),
            issued_at: at(0),
            ttl_seconds: 2_764_800,
            expires_at: Some(at(2_764_800)),
            state: Lifecycle::Active,
            owner: None,
        }
    }

    #[test]
    fn recorded_leases_survive_a_reopen_and_revoked_ones_close() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(dir.path(), "http://127.0.0.1:8200", None);
        let (mut journal, error) =
            Journal::open(path.clone(), "http://127.0.0.1:8200", None, at(0));
        assert!(error.is_none());
        journal.record(entry("aws/creds/my-role/a")).unwrap();
        journal.record(entry("aws/creds/my-role/b")).unwrap();
        journal
            .mark("aws/creds/my-role/a", Lifecycle::Revoked { at: at(5) })
            .unwrap();

        let (journal, error) = Journal::open(path, "http://127.0.0.1:8200", None, at(9));
        assert!(error.is_none());
        let open: Vec<_> = journal
            .open_entries()
            .map(|e| e.lease_id.as_str())
            .collect();
        assert_eq!(open, ["aws/creds/my-role/b"]);
        assert_eq!(journal.entries().len(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn the_journal_its_lock_and_its_folder_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(dir.path(), "http://127.0.0.1:8200", None);
        let (mut journal, _) = Journal::open(path.clone(), "http://127.0.0.1:8200", None, at(0));
        journal.record(entry("aws/creds/my-role/a")).unwrap();
        assert_eq!(mode(path.parent().unwrap()), 0o700, "the leases folder");
        assert_eq!(mode(&path), 0o600, "the journal");
        assert_eq!(mode(&path.with_extension("lock")), 0o600, "its lock file");
    }

    #[test]
    fn a_renewal_moves_the_expiry_and_an_old_entry_without_one_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(dir.path(), "http://x", None);
        let (mut journal, _) = Journal::open(path.clone(), "http://x", None, at(0));
        journal.record(entry("aws/creds/my-role/a")).unwrap();
        journal
            .renewed(
                "aws/creds/my-role/a",
                at(100),
                std::time::Duration::from_secs(300),
            )
            .unwrap();
        let (journal, _) = Journal::open(path.clone(), "http://x", None, at(0));
        assert_eq!(journal.entries()[0].ttl_seconds, 300);
        assert_eq!(journal.entries()[0].ends_at(), at(400));

        let old = r#"{"vault_addr":"http://x","namespace":null,"entries":[{"lease_id":"l","mount":"aws","role":"r","issued_at":"2025-11-23T12:13:20Z","ttl_seconds":60,"state":"active"}]}"#;
        std::fs::write(&path, old).unwrap();
        let (journal, error) = Journal::open(path, "http://x", None, at(0));
        assert!(error.is_none(), "{error:?}");
        assert_eq!(journal.entries()[0].ends_at(), at(60));
    }

    #[test]
    fn two_runs_sharing_a_journal_lose_neither_ones_leases() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(dir.path(), "http://x", None);
        let (mut first, _) = Journal::open(path.clone(), "http://x", None, at(0));
        let (mut second, _) = Journal::open(path.clone(), "http://x", None, at(0));
        first.record(entry("aws/creds/my-role/a")).unwrap();
        second.record(entry("aws/creds/my-role/b")).unwrap();
        first
            .mark("aws/creds/my-role/a", Lifecycle::Revoked { at: at(5) })
            .unwrap();
        let (journal, _) = Journal::open(path, "http://x", None, at(9));
        let open: Vec<_> = journal
            .open_entries()
            .map(|e| e.lease_id.as_str())
            .collect();
        assert_eq!(open, ["aws/creds/my-role/b"]);
        assert_eq!(journal.entries().len(), 2);
    }

    #[test]
    fn a_journal_that_cannot_be_read_again_is_not_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(dir.path(), "http://x", None);
        let (mut journal, _) = Journal::open(path.clone(), "http://x", None, at(0));
        journal.record(entry("aws/creds/my-role/a")).unwrap();
        // Something there that cannot be read at all (root ignores permission bits, so a
        // directory stands in for an unreadable file).
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        let error = journal.record(entry("aws/creds/my-role/b")).unwrap_err();
        assert!(
            matches!(error, JournalError::Unreadable { .. }),
            "{error:?}"
        );
        assert!(path.is_dir(), "left as it is");
    }

    #[test]
    fn leases_written_beside_an_unreadable_journal_are_seen_by_later_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(dir.path(), "http://x", None);
        // A directory stands in for a file that cannot be read (root ignores permissions).
        std::fs::create_dir_all(&path).unwrap();
        let (mut first, error) = Journal::open(path.clone(), "http://x", None, at(0));
        assert!(
            matches!(error, Some(JournalError::Unreadable { .. })),
            "{error:?}"
        );
        assert_ne!(first.path(), path);
        first.record(entry("aws/creds/my-role/a")).unwrap();
        assert!(path.is_dir(), "left as it is");

        // A later run, the journal still unreadable: it sees the lease, and so does
        // cleanup, which opens the journal the same way.
        let (second, _) = Journal::open(path.clone(), "http://x", None, at(5));
        let open: Vec<_> = second.open_entries().map(|e| e.lease_id.clone()).collect();
        assert_eq!(open, ["aws/creds/my-role/a"]);

        // The journal readable again (moved away by hand): the lease is still seen, and
        // once revoked it stays closed though the file beside still lists it open.
        std::fs::remove_dir(&path).unwrap();
        let (mut third, error) = Journal::open(path.clone(), "http://x", None, at(9));
        assert!(error.is_none(), "{error:?}");
        assert_eq!(third.open_entries().count(), 1);
        third
            .mark("aws/creds/my-role/a", Lifecycle::Revoked { at: at(10) })
            .unwrap();
        let (fourth, _) = Journal::open(path, "http://x", None, at(11));
        assert_eq!(fourth.open_entries().count(), 0);
        assert_eq!(fourth.entries().len(), 1);
    }

    #[test]
    fn another_live_runs_leases_are_not_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(dir.path(), "http://x", None);
        let mut stand_in = crate::lease::owner::tests::spawn_stand_in();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let (mut journal, _) = Journal::open(path.clone(), "http://x", None, Utc::now());
        let live = Owner {
            pid: stand_in.id(),
            run_started: Utc::now(),
        };
        let dead = Owner {
            pid: std::process::id(),
            run_started: at(0),
        };
        let owned = |id: &str, owner: Option<Owner>| Entry { owner, ..entry(id) };
        journal
            .record(owned("aws/creds/my-role/live", Some(live)))
            .unwrap();
        journal
            .record(owned("aws/creds/my-role/dead", Some(dead)))
            .unwrap();
        journal
            .record(owned("aws/creds/my-role/old", None))
            .unwrap();

        let (later, _) = Journal::open(path, "http://x", None, Utc::now());
        let (open, others) = later.open_leftovers();
        stand_in.kill().unwrap();
        stand_in.wait().unwrap();
        let ids: Vec<_> = open.iter().map(|e| e.lease_id.as_str()).collect();
        assert_eq!(ids, ["aws/creds/my-role/dead", "aws/creds/my-role/old"]);
        assert_eq!(others, 1);
        assert_eq!(
            later.entries()[2].owner.as_ref().map(|o| o.pid),
            Some(std::process::id()),
            "a lease recorded without an owner is this run's"
        );
    }

    #[test]
    fn each_vault_and_namespace_has_its_own_file() {
        let base = Path::new("/data");
        let a = path_for(base, "https://vault.example:8200", None);
        let b = path_for(base, "https://vault.example:8200", Some("team/a"));
        assert_ne!(a, b);
        assert_eq!(a, Path::new("/data/leases/vault.example_8200.json"));
        // The same Vault by either scheme (a room restarted with --tls): the same file.
        assert_eq!(a, path_for(base, "http://vault.example:8200", None));
        // Host names are not case-sensitive; a port left out is the scheme's.
        assert_eq!(a, path_for(base, "https://Vault.EXAMPLE:8200/", None));
        assert_eq!(
            path_for(base, "https://vault.example", None),
            path_for(base, "https://vault.example:443", None)
        );
        // Without a port, two schemes are two ports: two Vaults.
        assert_ne!(
            path_for(base, "http://vault.example", None),
            path_for(base, "https://vault.example", None)
        );
    }

    #[test]
    fn an_earlier_journal_is_taken_in_only_by_the_vault_at_its_port() {
        let dir = tempfile::tempdir().unwrap();
        let leases = dir.path().join("leases");
        std::fs::create_dir_all(&leases).unwrap();
        let journal_of = |addr: &str, id: &str| {
            KEPT_BY_SCHEME
                .replace("http://127.0.0.1:8200", addr)
                .replace("\"room/ada\"", "null")
                .replace("/abc", id)
        };
        // Kept by scheme: the https one is port 443's; and one kept by host alone (as
        // the first host-keyed vaultlab wrote it), of the Vault at port 80.
        let https = leases.join("https___vault.example.json");
        std::fs::write(&https, journal_of("https://vault.example", "/tls")).unwrap();
        let host_only = leases.join("vault.example.json");
        std::fs::write(&host_only, journal_of("http://vault.example", "/plain")).unwrap();

        let ids = |addr: &str| -> Vec<String> {
            let (journal, error) =
                Journal::open(path_for(dir.path(), addr, None), addr, None, at(9));
            assert!(error.is_none(), "{error:?}");
            journal.open_entries().map(|e| e.lease_id.clone()).collect()
        };
        assert_eq!(ids("http://vault.example"), ["aws/creds/my-role/plain"]);
        assert!(https.exists(), "port 443's journal is not port 80's");
        assert_eq!(ids("https://Vault.example"), ["aws/creds/my-role/tls"]);
        assert!(!https.exists() && !host_only.exists());
    }

    /// A journal as vaultlab wrote it while journals were keyed by the whole address: a
    /// room's seat served over http, its lease alive.
    const KEPT_BY_SCHEME: &str = r#"{
  "format": 1,
  "vault_addr": "http://127.0.0.1:8200",
  "namespace": "room/ada",
  "entries": [
    {
      "lease_id": "aws/creds/my-role/abc",
      "mount": "aws",
      "role": "my-role",
      "issued_at": "2025-11-23T12:13:20Z",
      "ttl_seconds": 2764800,
      "expires_at": "2025-12-25T12:13:20Z",
      "state": "active",
      "owner": {
        "pid": 4242,
        "run_started": "2025-11-23T12:13:00Z"
      }
    }
  ]
}"#;

    #[test]
    fn a_journal_kept_under_its_scheme_is_taken_in_when_the_room_comes_back_with_tls() {
        let dir = tempfile::tempdir().unwrap();
        let leases = dir.path().join("leases");
        std::fs::create_dir_all(&leases).unwrap();
        let http = leases.join("http___127.0.0.1_8200__ns_room_ada.json");
        std::fs::write(&http, KEPT_BY_SCHEME).unwrap();
        // And one an https run wrote meanwhile, with another lease.
        let https = leases.join("https___127.0.0.1_8200__ns_room_ada.json");
        std::fs::write(
            &https,
            KEPT_BY_SCHEME
                .replace("http://", "https://")
                .replace("/abc", "/def"),
        )
        .unwrap();

        let addr = "https://127.0.0.1:8200";
        let path = path_for(dir.path(), addr, Some("room/ada"));
        let (journal, error) = Journal::open(path.clone(), addr, Some("room/ada"), at(9));
        assert!(error.is_none(), "{error:?}");
        let ids: Vec<&str> = journal
            .open_entries()
            .map(|e| e.lease_id.as_str())
            .collect();
        assert_eq!(ids, ["aws/creds/my-role/abc", "aws/creds/my-role/def"]);
        let kept = &journal.entries()[0];
        assert_eq!(kept.owner.as_ref().map(|o| o.pid), Some(4242));
        assert_eq!(
            kept.ends_at(),
            "2025-12-25T12:13:20Z".parse::<DateTime<Utc>>().unwrap()
        );
        // Written into the one file, the earlier ones gone: cleanup lists each lease once.
        assert!(!http.exists() && !https.exists());
        let shelf = shelf(dir.path());
        assert_eq!(shelf.len(), 1, "{shelf:?}");
        let shelved = shelf[0].1.as_ref().unwrap();
        assert_eq!((shelved.vault_addr.as_str(), shelved.open), (addr, 2));
        // And back over http: the same leases.
        let (again, _) = Journal::open(path, "http://127.0.0.1:8200", Some("room/ada"), at(10));
        assert_eq!(again.open_entries().count(), 2);

        // Seat bob's earlier http journal is damaged: left where it is, as found (cleanup
        // names it); his https one is taken in.
        let damaged = leases.join("http___127.0.0.1_8200__ns_room_bob.json");
        std::fs::write(&damaged, "{ not a journal").unwrap();
        std::fs::write(
            leases.join("https___127.0.0.1_8200__ns_room_bob.json"),
            KEPT_BY_SCHEME.replace("room/ada", "room/bob"),
        )
        .unwrap();
        let bob = path_for(dir.path(), addr, Some("room/bob"));
        let (journal, error) = Journal::open(bob, addr, Some("room/bob"), at(11));
        assert!(error.is_none(), "{error:?}");
        assert_eq!(journal.open_entries().count(), 1);
        assert_eq!(
            std::fs::read_to_string(&damaged).unwrap(),
            "{ not a journal"
        );
    }

    #[test]
    fn leases_kept_beside_a_journal_under_its_scheme_are_taken_in_too() {
        // A run that could not read the http journal wrote its lease beside it; a damaged
        // https one was moved aside, still readable to this vaultlab.
        let dir = tempfile::tempdir().unwrap();
        let leases = dir.path().join("leases");
        std::fs::create_dir_all(&leases).unwrap();
        let unreadable =
            leases.join("http___127.0.0.1_8200__ns_room_ada.unreadable-1763900000.json");
        std::fs::write(&unreadable, KEPT_BY_SCHEME).unwrap();
        let corrupt = leases.join("https___127.0.0.1_8200__ns_room_ada.corrupt-1763900100.json");
        std::fs::write(
            &corrupt,
            KEPT_BY_SCHEME
                .replace("http://", "https://")
                .replace("/abc", "/def"),
        )
        .unwrap();
        // Another seat's: not this journal's.
        let bobs = leases.join("http___127.0.0.1_8200__ns_room_bob.unreadable-1763900000.json");
        std::fs::write(&bobs, KEPT_BY_SCHEME.replace("room/ada", "room/bob")).unwrap();

        let addr = "https://127.0.0.1:8200";
        let path = path_for(dir.path(), addr, Some("room/ada"));
        let (journal, error) = Journal::open(path.clone(), addr, Some("room/ada"), at(9));
        assert!(error.is_none(), "{error:?}");
        let ids: Vec<&str> = journal
            .open_entries()
            .map(|e| e.lease_id.as_str())
            .collect();
        assert_eq!(ids, ["aws/creds/my-role/abc", "aws/creds/my-role/def"]);
        // Written into the journal, the files beside gone: cleanup --address sees them,
        // and each lease is in one file.
        assert!(!unreadable.exists() && !corrupt.exists());
        assert!(bobs.exists());
        let (again, _) = Journal::open(path, "http://127.0.0.1:8200", Some("room/ada"), at(10));
        assert_eq!(again.open_entries().count(), 2);
    }

    #[test]
    fn a_journal_under_its_earlier_name_is_taken_in_under_its_own_lock() {
        // A vaultlab from before the rename, still running, is recording a lease in the
        // http journal: it holds that journal's lock.
        let dir = tempfile::tempdir().unwrap();
        let leases = dir.path().join("leases");
        std::fs::create_dir_all(&leases).unwrap();
        let old = leases.join("http___127.0.0.1_8200__ns_room_ada.json");
        std::fs::write(&old, KEPT_BY_SCHEME).unwrap();
        let lock = private_file::open_private_append(&old.with_extension("lock")).unwrap();
        lock.lock().unwrap();

        let addr = "https://127.0.0.1:8200";
        let path = path_for(dir.path(), addr, Some("room/ada"));
        let opening = std::thread::spawn({
            let path = path.clone();
            move || Journal::open(path, addr, Some("room/ada"), at(9))
        });
        // Not a timing target: long enough for an open that does not wait to have
        // taken the file in.
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(old.exists(), "taken in while its owner was writing it");
        // The old run's lease, written before it lets go of the lock.
        std::fs::write(&old, KEPT_BY_SCHEME.replace("/abc", "/xyz")).unwrap();
        lock.unlock().unwrap();

        let (journal, error) = opening.join().unwrap();
        assert!(error.is_none(), "{error:?}");
        let ids: Vec<&str> = journal
            .open_entries()
            .map(|e| e.lease_id.as_str())
            .collect();
        assert_eq!(ids, ["aws/creds/my-role/xyz"]);
        assert!(!old.exists());
    }

    /// A case-insensitive file system (macOS, Windows) simulated with links: the host as
    /// typed (`Vault.Example`) names the journal itself, and an earlier scheme-keyed
    /// pair (`https___Vault…`, `https___vault…`) is one file listed twice. Opening must
    /// neither wait on its own lock nor remove the journal it just wrote.
    #[cfg(unix)]
    #[test]
    fn the_journal_under_another_spelling_is_neither_locked_again_nor_removed() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let addr = "https://Vault.Example:8200";
        let main = path_for(dir.path(), addr, None);
        let (mut first, _) = Journal::open(main.clone(), addr, None, at(0));
        first.record(entry("aws/creds/my-role/a")).unwrap();
        let leases = main.parent().unwrap().to_path_buf();
        let typed = leases.join("Vault.Example_8200.json");
        symlink(&main, &typed).unwrap();
        symlink(main.with_extension("lock"), typed.with_extension("lock")).unwrap();
        let kept = leases.join("https___vault.example_8200.json");
        std::fs::write(
            &kept,
            KEPT_BY_SCHEME
                .replace("http://127.0.0.1:8200", addr)
                .replace("\"room/ada\"", "null"),
        )
        .unwrap();
        let kept_typed = leases.join("https___Vault.Example_8200.json");
        symlink(&kept, &kept_typed).unwrap();
        symlink(
            kept.with_extension("lock"),
            kept_typed.with_extension("lock"),
        )
        .unwrap();

        let (sender, opened) = std::sync::mpsc::channel();
        std::thread::spawn({
            let main = main.clone();
            move || {
                let _ = sender.send(Journal::open(main, addr, None, at(9)));
            }
        });
        // A deadline, not a timing target: an open that waits on its own lock never ends.
        let (journal, error) = opened
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("opening the journal waited on a lock it holds itself");
        assert!(error.is_none(), "{error:?}");
        let ids: Vec<&str> = journal
            .open_entries()
            .map(|e| e.lease_id.as_str())
            .collect();
        assert_eq!(ids, ["aws/creds/my-role/a", "aws/creds/my-role/abc"]);
        // The journal's other name is the journal: left, with every lease in it.
        assert!(
            typed.exists(),
            "the journal was removed under its other name"
        );
        let (again, _) = Journal::open(main, addr, None, at(10));
        assert_eq!(again.open_entries().count(), 2);
        assert!(!kept.exists(), "the earlier journal was taken in");
    }

    #[cfg(unix)]
    #[test]
    fn one_file_is_known_under_any_name_and_two_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.json");
        let b = dir.path().join("b.json");
        std::fs::write(&a, "a").unwrap();
        std::fs::write(&b, "b").unwrap();
        let linked = dir.path().join("A.json");
        std::fs::hard_link(&a, &linked).unwrap();
        assert!(one_file(&a, &linked));
        assert!(one_file(&a, &dir.path().join(".").join("a.json")));
        assert!(!one_file(&a, &b));
        assert!(!one_file(&a, &dir.path().join("none.json")));
    }

    #[test]
    fn a_damaged_journal_is_kept_aside_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(dir.path(), "http://x", None);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{ not json").unwrap();
        let (journal, error) = Journal::open(path.clone(), "http://x", None, at(7));
        let Some(error @ JournalError::Corrupt { .. }) = error else {
            panic!("{error:?}");
        };
        // The journal holds every lab's leases on this Vault: what to do names none.
        let said = error.to_string();
        assert!(said.contains("vault lease revoke ID"), "{said}");
        assert!(!said.contains("aws"), "{said}");
        let JournalError::Corrupt { kept_as, .. } = error else {
            unreachable!()
        };
        assert_eq!(std::fs::read_to_string(&kept_as).unwrap(), "{ not json");
        assert!(journal.entries().is_empty());
        assert!(
            !path.exists(),
            "nothing written over it until a lease is recorded"
        );
    }

    #[test]
    fn a_journal_that_is_not_text_is_damaged_not_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(dir.path(), "http://x", None);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"{\"vault_addr\": \"\xff\xfe\"}").unwrap();
        let (_, error) = Journal::open(path.clone(), "http://x", None, at(7));
        let Some(error @ JournalError::Corrupt { .. }) = error else {
            panic!("{error:?}");
        };
        assert!(error.to_string().contains("is damaged"), "{error}");
    }

    #[test]
    fn a_newer_journal_is_left_as_it_is_and_named_newer_not_missing_a_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(dir.path(), "http://x", None);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let newer = r#"{"format": 2, "leases": {"aws/creds/r/1": {"role": "r"}}}"#;
        std::fs::write(&path, newer).unwrap();
        let (mut journal, error) = Journal::open(path.clone(), "http://x", None, at(7));
        let Some(error @ JournalError::Newer { .. }) = error else {
            panic!("{error:?}");
        };
        let message = error.to_string();
        assert!(message.contains("newer vaultlab (format 2"), "{message}");
        assert!(!message.contains("missing field"), "{message}");
        journal.record(entry("aws/creds/r/2")).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            newer,
            "left as it is"
        );
        assert_ne!(journal.path(), path.as_path(), "this run writes beside it");
    }

    #[test]
    fn the_shelf_lists_each_journal_with_its_vault_and_open_leases_and_moves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let one = path_for(dir.path(), "https://vault.example:8200", None);
        let (mut journal, _) =
            Journal::open(one.clone(), "https://vault.example:8200", None, at(0));
        journal.record(entry("aws/creds/my-role/a")).unwrap();
        journal.record(entry("aws/creds/my-role/b")).unwrap();
        journal
            .mark("aws/creds/my-role/b", Lifecycle::Revoked { at: at(5) })
            .unwrap();
        let two = path_for(dir.path(), "http://127.0.0.1:8200", Some("team-a"));
        let (mut journal, _) =
            Journal::open(two.clone(), "http://127.0.0.1:8200", Some("team-a"), at(0));
        journal.record(entry("aws/creds/my-role/c")).unwrap();
        journal
            .mark("aws/creds/my-role/c", Lifecycle::Gone { at: at(5) })
            .unwrap();
        let damaged = dir.path().join("leases/x.json");
        std::fs::write(&damaged, "{").unwrap();

        let shelf = shelf(dir.path());
        let find = |path: &Path| {
            shelf
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, r)| r.clone())
        };
        assert_eq!(
            find(&one),
            Some(Ok(Shelved {
                vault_addr: "https://vault.example:8200".into(),
                namespace: None,
                open: 1
            }))
        );
        assert_eq!(
            find(&two),
            Some(Ok(Shelved {
                vault_addr: "http://127.0.0.1:8200".into(),
                namespace: Some("team-a".into()),
                open: 0
            }))
        );
        assert!(find(&damaged).unwrap().unwrap_err().starts_with("damaged"));
        assert!(
            damaged.exists(),
            "a damaged journal is only read, never moved"
        );
        assert!(super::shelf(&dir.path().join("nowhere")).is_empty());
    }

    #[test]
    fn the_file_holds_lease_ids_and_times_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(dir.path(), "http://x", None);
        let (mut journal, _) = Journal::open(path.clone(), "http://x", None, at(0));
        journal.record(entry("aws/creds/my-role/a")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<_> = value["entries"][0]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            keys,
            [
                "expires_at",
                "issued_at",
                "lease_id",
                "mount",
                "owner",
                "role",
                "state",
                "ttl_seconds"
            ]
        );
    }
}
