//! The lease journal: every lease vaultlab issues, recorded before its keys are shown and
//! kept until it is revoked or expires, so a quit, a crash or a `kill -9` never leaves an
//! IAM user nobody knows about. One file per Vault address (and namespace), under the
//! user's data directory. Lease ids, roles and times only: never a key or a token.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum EntryState {
    Active,
    Revoked {
        at: DateTime<Utc>,
    },
    /// Vault no longer knows the lease: it expired, or was revoked elsewhere.
    Gone {
        at: DateTime<Utc>,
    },
    /// A revocation was tried and failed; it is tried again next time.
    RevokeFailed {
        at: DateTime<Utc>,
        error: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub lease_id: String,
    pub mount: String,
    pub role: String,
    pub issued_at: DateTime<Utc>,
    pub ttl_seconds: u64,
    #[serde(flatten)]
    pub state: EntryState,
}

impl Entry {
    /// Still worth revoking: active, or a revocation that failed.
    pub fn is_open(&self) -> bool {
        matches!(
            self.state,
            EntryState::Active | EntryState::RevokeFailed { .. }
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct JournalFile {
    vault_addr: String,
    namespace: Option<String>,
    entries: Vec<Entry>,
}

#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: JournalFile,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot read the lease journal {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error(
        "the lease journal {path} is damaged ({reason}); it was kept aside as {kept_as} and a new one started. Leases it listed may still be alive: look them up with `vault list sys/leases/lookup/aws/creds/`"
    )]
    Corrupt {
        path: PathBuf,
        reason: String,
        kept_as: PathBuf,
    },
    #[error("cannot write the lease journal {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// `$XDG_DATA_HOME/vaultlab`, else `~/.local/share/vaultlab`.
pub fn data_dir(env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .map(|base| base.join("vaultlab"))
}

/// The journal file for one Vault: its address (and namespace) made into a file name.
pub fn path_for(data_dir: &Path, vault_addr: &str, namespace: Option<&str>) -> PathBuf {
    let mut name: String = vault_addr
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Some(namespace) = namespace {
        name.push_str("__ns_");
        name.extend(
            namespace
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
        );
    }
    data_dir.join("leases").join(format!("{name}.json"))
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
        let fresh = |path: PathBuf| Journal {
            path,
            file: JournalFile {
                vault_addr: vault_addr.to_owned(),
                namespace: namespace.map(str::to_owned),
                entries: Vec::new(),
            },
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (fresh(path), None),
            Err(e) => {
                let error = JournalError::Unreadable {
                    path: path.clone(),
                    reason: e.to_string(),
                };
                // Unreadable, not damaged: leave it, and write nowhere else by accident.
                let aside = path.with_extension(format!("unreadable-{}.json", now.timestamp()));
                return (fresh(aside), Some(error));
            }
        };
        match serde_json::from_str::<JournalFile>(&text) {
            Ok(file) => (Journal { path, file }, None),
            Err(e) => {
                let kept_as = path.with_extension(format!("corrupt-{}.json", now.timestamp()));
                let error = match std::fs::rename(&path, &kept_as) {
                    Ok(()) => JournalError::Corrupt {
                        path: path.clone(),
                        reason: e.to_string(),
                        kept_as,
                    },
                    Err(rename) => JournalError::Unreadable {
                        path: path.clone(),
                        reason: format!("{e}; and it could not be moved aside: {rename}"),
                    },
                };
                (fresh(path), Some(error))
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn entries(&self) -> &[Entry] {
        &self.file.entries
    }

    pub fn open_entries(&self) -> impl Iterator<Item = &Entry> {
        self.file.entries.iter().filter(|e| e.is_open())
    }

    /// Records a new lease and writes the journal at once.
    pub fn record(&mut self, entry: Entry) -> Result<(), JournalError> {
        self.file.entries.retain(|e| e.lease_id != entry.lease_id);
        self.file.entries.push(entry);
        self.save()
    }

    /// Changes a lease's state and writes the journal. Unknown ids are ignored.
    pub fn mark(&mut self, lease_id: &str, state: EntryState) -> Result<(), JournalError> {
        let Some(entry) = self
            .file
            .entries
            .iter_mut()
            .find(|e| e.lease_id == lease_id)
        else {
            return Ok(());
        };
        entry.state = state;
        self.save()
    }

    fn save(&self) -> Result<(), JournalError> {
        let write_error = |source| JournalError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(write_error)?;
        }
        let json = serde_json::to_vec_pretty(&self.file).expect("journal serializes");
        crate::atomic_file::write_private(&self.path, &json).map_err(write_error)
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
            state: EntryState::Active,
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
            .mark("aws/creds/my-role/a", EntryState::Revoked { at: at(5) })
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

    #[test]
    fn each_vault_and_namespace_has_its_own_file() {
        let base = Path::new("/data");
        let a = path_for(base, "https://vault.example:8200", None);
        let b = path_for(base, "https://vault.example:8200", Some("team/a"));
        assert_ne!(a, b);
        assert_eq!(a, Path::new("/data/leases/https___vault.example_8200.json"));
    }

    #[test]
    fn a_damaged_journal_is_kept_aside_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(dir.path(), "http://x", None);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{ not json").unwrap();
        let (journal, error) = Journal::open(path.clone(), "http://x", None, at(7));
        let Some(JournalError::Corrupt { kept_as, .. }) = error else {
            panic!("{error:?}");
        };
        assert_eq!(std::fs::read_to_string(&kept_as).unwrap(), "{ not json");
        assert!(journal.entries().is_empty());
        assert!(
            !path.exists(),
            "nothing written over it until a lease is recorded"
        );
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
                "issued_at",
                "lease_id",
                "mount",
                "role",
                "state",
                "ttl_seconds"
            ]
        );
    }
}
