//! Leases as vaultlab tracks them: countdown arithmetic (time is passed in, never read)
//! and the journal of the lease ids vaultlab issued.

pub mod countdown;
pub mod journal;
