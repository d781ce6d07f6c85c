//! Leases as vaultlab tracks them: countdown arithmetic (time is passed in, never read),
//! the table of a run's leases, and the journal of the lease ids vaultlab issued.

pub mod countdown;
pub mod journal;
mod journal_files;
pub mod lifecycle;
pub mod owner;
pub mod seen;
pub mod table;

pub use lifecycle::Lifecycle;

/// A lease id with its random tail shortened, as the screens and notices say it: enough
/// to tell two apart (`aws/creds/my-role/…wxyz`).
pub fn short_lease_id(lease_id: &str) -> String {
    match lease_id.rsplit_once('/') {
        Some((prefix, tail)) if tail.chars().count() > 6 => {
            let start = tail.char_indices().rev().nth(3).map_or(0, |(i, _)| i);
            format!("{prefix}/…{}", &tail[start..])
        }
        _ => lease_id.to_owned(),
    }
}
