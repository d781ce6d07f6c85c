//! A Vault error as a value: what the app keeps of a failed request and decides on.

use super::error::VaultError;

/// A Vault error as a value the app keeps and decides on: its words, the next thing to
/// try, the HTTP status and Vault's own messages. Made from a [`VaultError`] by whoever
/// sent the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultRefusal {
    /// The error as a sentence (`VaultError`'s display).
    pub message: String,
    pub hint: String,
    pub status: Option<u16>,
    /// Vault's `errors`, as it wrote them.
    pub errors: Vec<String>,
    /// Vault refused the request as it stands (a 4xx other than 403, 404 and 429).
    pub invalid_request: bool,
}

impl From<&VaultError> for VaultRefusal {
    fn from(error: &VaultError) -> Self {
        Self {
            message: error.to_string(),
            hint: error.hint().to_owned(),
            status: error.status(),
            errors: error.vault_errors().to_vec(),
            invalid_request: matches!(error, VaultError::InvalidRequest { .. }),
        }
    }
}

impl VaultRefusal {
    /// Vault says nothing is there (404): a path not written, or no engine mounted.
    pub fn is_not_found(&self) -> bool {
        self.status == Some(404)
    }

    /// Vault no longer has the lease a lookup or renewal named: `invalid lease` is the
    /// lookup's word for it, `lease not found` the renewal's.
    pub fn is_lease_gone(&self) -> bool {
        self.invalid_request && (self.said("invalid lease") || self.said("lease not found"))
    }

    /// A workshop room's server refusing a step its facilitator holds (its 403 says
    /// `permission denied: the facilitator holds the room at step k; …`): those words,
    /// after `permission denied: `.
    pub fn room_hold(&self) -> Option<&str> {
        if self.status != Some(403) {
            return None;
        }
        super::error::room_hold(&self.errors)
    }

    /// Whether one of Vault's messages contains `words` (`path is already in use`).
    pub fn said(&self, words: &str) -> bool {
        self.errors.iter().any(|m| m.contains(words))
    }
}
