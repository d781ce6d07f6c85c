//! What Vault's answer to a lease lookup means, read one way everywhere: the TUI's lease
//! table (its status bar, leases pane, start-up and quit prompts) and `vaultlab cleanup`
//! decide from the same reading, so a lease Vault no longer has is over for all of them.

use std::time::Duration;

use crate::vault::refusal::VaultRefusal;
use crate::vault::types::{LeaseLookup, Reply};

/// A lease as Vault's lookup shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// Alive, with this long left.
    Alive { left: Duration, renewable: bool },
    /// Out of time but still held: Vault revokes it in a moment (and retries if that
    /// fails). Not worth revoking, not yet over.
    OutOfTime,
    /// Vault no longer has it: revoked (here or elsewhere), or expired and revoked.
    Gone,
    /// Vault could not be asked, or would not say (in these words): it may be alive.
    Unknown(String),
}

impl Seen {
    /// From a lookup's typed answer.
    pub fn of_lookup(answer: Result<LeaseLookup, VaultRefusal>) -> Seen {
        match answer {
            Ok(lookup) if lookup.ttl > 0 => Seen::Alive {
                left: Duration::from_secs(lookup.ttl.unsigned_abs()),
                renewable: lookup.renewable,
            },
            Ok(_) => Seen::OutOfTime,
            Err(refusal) if refusal.is_lease_gone() => Seen::Gone,
            Err(refusal) => Seen::Unknown(refusal.message),
        }
    }

    /// From the generic answer to `PUT sys/leases/lookup`.
    pub fn of_reply(reply: Result<Reply, VaultRefusal>) -> Seen {
        Seen::of_lookup(reply.and_then(|reply| {
            reply
                .data()
                .cloned()
                .and_then(|data| serde_json::from_value::<LeaseLookup>(data).ok())
                .ok_or_else(|| VaultRefusal {
                    message: "Vault's answer to the lookup had no lease in it".to_owned(),
                    hint: String::new(),
                    status: Some(reply.status),
                    errors: Vec::new(),
                    invalid_request: false,
                })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(errors: &[&str], invalid_request: bool) -> VaultRefusal {
        VaultRefusal {
            message: format!("Vault rejected the request: {}", errors.join(", ")),
            hint: String::new(),
            status: Some(if invalid_request { 400 } else { 500 }),
            errors: errors.iter().map(|e| e.to_string()).collect(),
            invalid_request,
        }
    }

    fn lookup(ttl: i64) -> LeaseLookup {
        serde_json::from_value(serde_json::json!({"id": "l", "ttl": ttl, "renewable": true}))
            .unwrap()
    }

    #[test]
    fn a_lookup_reads_alive_out_of_time_gone_or_unknown() {
        assert_eq!(
            Seen::of_lookup(Ok(lookup(90))),
            Seen::Alive {
                left: Duration::from_secs(90),
                renewable: true
            }
        );
        assert_eq!(Seen::of_lookup(Ok(lookup(0))), Seen::OutOfTime);
        // The lookup's words, and a renewal's for the same thing.
        for words in ["invalid lease", "lease not found"] {
            assert_eq!(Seen::of_lookup(Err(refusal(&[words], true))), Seen::Gone);
        }
        // A server error that happens to say it is not Vault's answer about the lease.
        assert!(matches!(
            Seen::of_lookup(Err(refusal(&["invalid lease"], false))),
            Seen::Unknown(_)
        ));
        let no_lease = Ok(Reply {
            status: 200,
            envelope: None,
        });
        assert!(matches!(Seen::of_reply(no_lease), Seen::Unknown(m) if m.contains("no lease")));
    }
}
