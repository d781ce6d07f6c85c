//! The `--state` file's snapshot: everything the sandbox knows, so it survives a restart.
//! What changed since is in the log beside it (see [`crate::persist`]).
//!
//! Written atomically (a temporary file beside it, created exclusively under a random
//! name with mode 0600, synced, then renamed), because it holds what Vault keeps in its
//! storage: the root token and AWS secret keys. A file that cannot be read as a sandbox
//! state is refused, never replaced, and so is one that is not a regular file or is
//! larger than any state.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::aws::AwsState;
use super::persist::{MAX_FILE_BYTES, record::describe_json_error};
use super::vault::VaultState;

/// Bumped when the file's shape changes incompatibly. 2: a log (`F.wal`) continues the
/// snapshot from `log_seq` on; a vaultlab that reads only format 1 would miss it.
/// 3: AWS has several accounts (a row per account; users, groups keyed by account).
pub const FORMAT_VERSION: u32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SandboxState {
    pub format: u32,
    pub vault: VaultState,
    pub aws: AwsState,
    /// The last log record this snapshot includes.
    #[serde(default)]
    pub log_seq: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read the sandbox state file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not a vaultlab sandbox state file ({reason}); it was left as it is: move it aside or pass another --state path"
    )]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "{path}, the log of the sandbox state file {state}, is damaged ({reason}); both were left as they are: move them aside or pass another --state path"
    )]
    CorruptLog {
        path: PathBuf,
        state: PathBuf,
        reason: String,
    },
    #[error(
        "{path} was written by a newer vaultlab (state format {found}, this one reads {FORMAT_VERSION}); it was left as it is"
    )]
    NewerFormat { path: PathBuf, found: u32 },
    #[error(
        "{path} is in use by another vaultlab sandbox; stop it first, or pass another --state path"
    )]
    InUse { path: PathBuf },
    #[error("cannot write the sandbox state file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Reads the snapshot; `Ok(None)` when there is none yet.
pub fn load(path: &Path) -> Result<Option<SandboxState>, StateError> {
    let bytes = match vaultlab_wire::private_file::read_capped(path, MAX_FILE_BYTES) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StateError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    // The format first: a newer file may lack fields this one needs, and must be named
    // newer, not damaged.
    #[derive(Deserialize)]
    struct Format {
        format: u32,
    }
    if let Ok(Format { format }) = serde_json::from_slice::<Format>(&bytes)
        && format > FORMAT_VERSION
    {
        return Err(StateError::NewerFormat {
            path: path.to_owned(),
            found: format,
        });
    }
    // The reason never quotes the file: a value in it may be a secret.
    let state: SandboxState = serde_json::from_slice(&bytes).map_err(|e| StateError::Corrupt {
        path: path.to_owned(),
        reason: describe_json_error(&e),
    })?;
    Ok(Some(state))
}

/// Replaces the snapshot atomically and durably; its size in bytes.
pub fn save(path: &Path, state: &SandboxState) -> Result<u64, StateError> {
    let json = serde_json::to_vec(state).expect("sandbox state serializes");
    vaultlab_wire::private_file::write_private(path, &json).map_err(|source| {
        StateError::Write {
            path: path.to_owned(),
            source,
        }
    })?;
    Ok(json.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_state_file_is_named_newer_not_missing_a_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, r#"{"format": 9, "seats": {}}"#).unwrap();
        let error = load(&path).unwrap_err();
        assert!(
            matches!(error, StateError::NewerFormat { found: 9, .. }),
            "{error}"
        );
        assert!(!error.to_string().contains("missing field"), "{error}");
    }
}
