//! The `--state` file: everything the sandbox knows, so it survives a restart.
//!
//! Written atomically (a temporary file beside it, synced, then renamed) with mode 0600,
//! because it holds what Vault keeps in its storage: the root token and AWS secret keys.
//! A file that cannot be read as a sandbox state is refused, never replaced.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::aws::AwsState;
use super::vault::VaultState;

/// Bumped when the file's shape changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SandboxState {
    pub format: u32,
    pub vault: VaultState,
    pub aws: AwsState,
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
        "{path} was written by a newer vaultlab (state format {found}, this one reads {FORMAT_VERSION}); it was left as it is"
    )]
    NewerFormat { path: PathBuf, found: u32 },
    #[error("cannot write the sandbox state file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Reads the state file; `Ok(None)` when there is none yet.
pub fn load(path: &Path) -> Result<Option<SandboxState>, StateError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StateError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    // serde_json's error names line and column but never echoes the input, so no secret
    // from the file can reach the message.
    let state: SandboxState = serde_json::from_str(&text).map_err(|e| StateError::Corrupt {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    if state.format > FORMAT_VERSION {
        return Err(StateError::NewerFormat {
            path: path.to_owned(),
            found: state.format,
        });
    }
    Ok(Some(state))
}

/// Replaces the state file atomically.
pub fn save(path: &Path, state: &SandboxState) -> Result<(), StateError> {
    let json = serde_json::to_vec_pretty(state).expect("sandbox state serializes");
    vaultlab_wire::private_file::write_private(path, &json).map_err(|source| StateError::Write {
        path: path.to_owned(),
        source,
    })
}
