//! Leases as vaultlab tracks them: countdown arithmetic (time is passed in, never read),
//! the table of a run's leases, and the journal of the lease ids vaultlab issued.

pub mod countdown;
pub mod journal;
pub mod lifecycle;
pub mod owner;
pub mod table;

pub use lifecycle::Lifecycle;
