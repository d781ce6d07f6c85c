//! Where a lease is in its life, as far as vaultlab knows: one type for the lease table,
//! the screens and the journal. The journal keeps only what lasts (open, revoked, gone, a
//! failed revocation); the passing states of a run (being looked up, being revoked, out of
//! time) are written as open, which is what they are until Vault says otherwise.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::vault::refusal::VaultRefusal;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Stored", from = "Stored")]
pub enum Lifecycle {
    /// From an earlier run, being looked up in Vault.
    Checking,
    /// Alive as far as vaultlab knows (expired once its time is up, by the clock).
    Active,
    /// Its time is up and Vault was asked whether it has revoked it; asked again until
    /// Vault no longer knows it.
    Expired,
    /// A revocation is on its way.
    Revoking,
    /// Vault queued the revocation (202) and was not seen to finish it: the keys may work
    /// until the proof finds them dead, so it is not over (nor journaled as over) yet.
    RevokeQueued {
        at: DateTime<Utc>,
    },
    Revoked {
        at: DateTime<Utc>,
    },
    /// A revocation Vault refused or never got, in Vault's (or the network's) words; it is
    /// tried again at the next start and by `vaultlab cleanup`.
    RevokeFailed {
        at: DateTime<Utc>,
        error: String,
    },
    /// Vault no longer knows it: it expired, or was revoked elsewhere.
    Gone {
        at: DateTime<Utc>,
    },
    /// It could not be looked up (in those words): it may still be alive.
    Unknown {
        error: String,
    },
}

impl Lifecycle {
    /// Not known to be over: worth looking up, and revoking while alive.
    pub fn is_open(&self) -> bool {
        !matches!(self, Lifecycle::Revoked { .. } | Lifecycle::Gone { .. })
    }

    /// After Vault answered a revocation: revoked, or failed in Vault's (or the network's)
    /// words, to be tried again.
    pub fn after_revocation(refused: Option<&VaultRefusal>, at: DateTime<Utc>) -> Lifecycle {
        match refused {
            None => Lifecycle::Revoked { at },
            Some(refusal) => Lifecycle::RevokeFailed {
                at,
                error: refusal.message.clone(),
            },
        }
    }

    /// After a lookup Vault refused: gone when Vault no longer knows the lease (it ran out
    /// of time, or was revoked elsewhere); otherwise it may still be alive.
    pub fn after_refused_lookup(refusal: &VaultRefusal, at: DateTime<Utc>) -> Lifecycle {
        if refusal.is_lease_gone() {
            Lifecycle::Gone { at }
        } else {
            Lifecycle::Unknown {
                error: refusal.message.clone(),
            }
        }
    }

    /// Vault's (or the network's) words, for a state that has them.
    pub fn problem(&self) -> Option<&str> {
        match self {
            Lifecycle::RevokeFailed { error, .. } | Lifecycle::Unknown { error } => Some(error),
            _ => None,
        }
    }
}

/// The journal's form of a lifecycle: what outlasts the run.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
enum Stored {
    Active,
    Revoked { at: DateTime<Utc> },
    Gone { at: DateTime<Utc> },
    RevokeFailed { at: DateTime<Utc>, error: String },
}

impl From<Lifecycle> for Stored {
    fn from(state: Lifecycle) -> Self {
        match state {
            Lifecycle::Revoked { at } => Stored::Revoked { at },
            Lifecycle::Gone { at } => Stored::Gone { at },
            Lifecycle::RevokeFailed { at, error } => Stored::RevokeFailed { at, error },
            Lifecycle::Checking
            | Lifecycle::Active
            | Lifecycle::Expired
            | Lifecycle::Revoking
            | Lifecycle::RevokeQueued { .. }
            | Lifecycle::Unknown { .. } => Stored::Active,
        }
    }
}

impl From<Stored> for Lifecycle {
    fn from(state: Stored) -> Self {
        match state {
            Stored::Active => Lifecycle::Active,
            Stored::Revoked { at } => Lifecycle::Revoked { at },
            Stored::Gone { at } => Lifecycle::Gone { at },
            Stored::RevokeFailed { at, error } => Lifecycle::RevokeFailed { at, error },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_763_900_000 + secs, 0).unwrap()
    }

    #[test]
    fn passing_states_are_journaled_as_open_and_lasting_ones_as_they_are() {
        let json = |state: Lifecycle| serde_json::to_value(state).unwrap();
        for passing in [
            Lifecycle::Checking,
            Lifecycle::Expired,
            Lifecycle::Revoking,
            Lifecycle::RevokeQueued { at: at(3) },
            Lifecycle::Unknown {
                error: "refused".into(),
            },
        ] {
            assert_eq!(json(passing), serde_json::json!({"state": "active"}));
        }
        let failed = Lifecycle::RevokeFailed {
            at: at(5),
            error: "connection refused".into(),
        };
        assert_eq!(json(failed.clone())["state"], "revoke_failed");
        let back: Lifecycle = serde_json::from_value(json(failed.clone())).unwrap();
        assert_eq!(back, failed);
        assert!(back.is_open());
        assert!(!Lifecycle::Gone { at: at(1) }.is_open());
    }

    fn refusal(errors: &[&str], invalid_request: bool) -> VaultRefusal {
        VaultRefusal {
            message: format!("Vault said: {}", errors.join("; ")),
            hint: String::new(),
            status: Some(if invalid_request { 400 } else { 500 }),
            errors: errors.iter().map(|e| (*e).to_owned()).collect(),
            invalid_request,
        }
    }

    #[test]
    fn vaults_answers_move_a_lease_on_the_same_way_for_the_app_and_cleanup() {
        assert_eq!(
            Lifecycle::after_revocation(None, at(3)),
            Lifecycle::Revoked { at: at(3) }
        );
        let failed =
            Lifecycle::after_revocation(Some(&refusal(&["permission denied"], false)), at(3));
        assert_eq!(failed.problem(), Some("Vault said: permission denied"));
        assert!(failed.is_open());
        let unknown = refusal(&["invalid lease"], true);
        assert_eq!(
            Lifecycle::after_refused_lookup(&unknown, at(4)),
            Lifecycle::Gone { at: at(4) }
        );
        // The same words with another status are not Vault saying it does not know it.
        let down = refusal(&["invalid lease"], false);
        assert!(Lifecycle::after_refused_lookup(&down, at(4)).is_open());
    }
}
