//! Leases as vaultlab tracks them: countdown arithmetic (time is passed in, never read),
//! the table of a run's leases, and the journal of the lease ids vaultlab issued.

pub mod countdown;
pub mod journal;
pub mod lifecycle;
pub mod owner;
pub mod table;

pub use lifecycle::Lifecycle;

/// Vault's answer for a lease it does not know: expired and revoked, or never issued.
pub fn is_unknown_lease(error: &crate::vault::VaultError) -> bool {
    matches!(error, crate::vault::VaultError::InvalidRequest { errors, .. }
        if errors.iter().any(|m| m.contains("invalid lease")))
}
