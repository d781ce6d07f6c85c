//! The leases a run tracks: every lease it issued (generating again does not forget the
//! older ones) and the ones earlier runs left open in the journal. Pure: time is passed in.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::countdown::{expiry, format_countdown, format_vault_duration};
use super::lifecycle::Lifecycle;

/// Where a tracked lease came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    ThisRun,
    /// Found open in the journal at start.
    EarlierRun,
    /// Found in Vault under the lab's role, issued by someone else (the CLI in another
    /// terminal, another vaultlab): shown and followed, never journaled.
    Elsewhere,
}

/// The last renewal: what was asked, what Vault granted, and its warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    /// `None`: Vault's default increment.
    pub asked: Option<Duration>,
    pub granted: Duration,
    pub warning: Option<String>,
}

impl Renewal {
    /// Vault's max TTL cut the renewal short: it says so in a warning, and grants less.
    pub fn capped(&self) -> bool {
        self.warning.is_some() || self.asked.is_some_and(|asked| self.granted < asked)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedLease {
    pub lease_id: String,
    pub role: String,
    pub origin: Origin,
    pub expires_at: DateTime<Utc>,
    pub renewable: bool,
    pub state: Lifecycle,
    /// A renewal is on its way.
    pub renewing: bool,
    pub last_renewal: Option<Renewal>,
}

impl TrackedLease {
    /// A lease Vault just issued with `ttl`.
    pub fn issued(
        lease_id: impl Into<String>,
        role: impl Into<String>,
        now: DateTime<Utc>,
        ttl: Duration,
        renewable: bool,
    ) -> Self {
        Self {
            lease_id: lease_id.into(),
            role: role.into(),
            origin: Origin::ThisRun,
            expires_at: expiry(now, ttl),
            renewable,
            state: Lifecycle::Active,
            renewing: false,
            last_renewal: None,
        }
    }

    /// A lease an earlier run left open, with the expiry the journal last knew.
    pub fn earlier(
        lease_id: impl Into<String>,
        role: impl Into<String>,
        expires_at: DateTime<Utc>,
        state: Lifecycle,
    ) -> Self {
        Self {
            origin: Origin::EarlierRun,
            expires_at,
            state,
            ..Self::issued(lease_id, role, expires_at, Duration::ZERO, false)
        }
    }

    /// A lease found in Vault under the lab's role, not issued by this run; being looked up.
    pub fn elsewhere(lease_id: impl Into<String>, role: impl Into<String>) -> Self {
        Self {
            origin: Origin::Elsewhere,
            state: Lifecycle::Checking,
            ..Self::issued(
                lease_id,
                role,
                DateTime::<Utc>::MAX_UTC,
                Duration::ZERO,
                false,
            )
        }
    }

    /// Its time is up: out of time while active, or already known to be.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            Lifecycle::Expired => true,
            Lifecycle::Active => now >= self.expires_at,
            _ => false,
        }
    }

    /// Its keys still work as far as we know: active, or a revocation failed (Vault was
    /// down, say), and not yet expired. Such keys can still be tested, renewed, revoked.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            Lifecycle::Active | Lifecycle::RevokeFailed { .. } => now < self.expires_at,
            _ => false,
        }
    }

    /// May still be alive in Vault, so worth revoking: active, a revocation that failed,
    /// or one that could not be looked up.
    pub fn is_revocable(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            Lifecycle::Active => now < self.expires_at,
            Lifecycle::RevokeFailed { .. } | Lifecycle::Unknown { .. } => true,
            _ => false,
        }
    }

    /// Time left, zero unless active.
    pub fn remaining(&self, now: DateTime<Utc>) -> Duration {
        match self.state {
            Lifecycle::Active
            | Lifecycle::Revoking
            | Lifecycle::RevokeQueued { .. }
            | Lifecycle::RevokeFailed { .. } => {
                (self.expires_at - now).to_std().unwrap_or(Duration::ZERO)
            }
            _ => Duration::ZERO,
        }
    }

    /// After a renewal: Vault answers with the new TTL, counted from now.
    pub fn renewed(&mut self, now: DateTime<Utc>, renewal: Renewal) {
        self.expires_at = expiry(now, renewal.granted);
        self.renewing = false;
        self.last_renewal = Some(renewal);
    }

    /// The countdown while active (`31d 23:59:58`, `4:05`), else the state in a word.
    pub fn label(&self, now: DateTime<Utc>) -> String {
        if self.is_expired(now) {
            return "expired".to_owned();
        }
        match &self.state {
            Lifecycle::Active => format_countdown(self.remaining(now)),
            Lifecycle::Checking => "checking…".to_owned(),
            Lifecycle::Expired => "expired".to_owned(),
            Lifecycle::Revoking => "revoking…".to_owned(),
            Lifecycle::RevokeQueued { .. } => "revoke queued".to_owned(),
            Lifecycle::Revoked { .. } => "revoked".to_owned(),
            // Still alive as far as anyone knows, so its time left still matters.
            Lifecycle::RevokeFailed { .. } => match self.remaining(now) {
                Duration::ZERO => "revoke failed".to_owned(),
                left => format!("{} · revoke failed", format_countdown(left)),
            },
            Lifecycle::Gone { .. } if self.revoked_elsewhere() => "revoked elsewhere".to_owned(),
            Lifecycle::Gone { .. } => "expired".to_owned(),
            Lifecycle::Unknown { .. } => "unknown".to_owned(),
        }
    }

    /// Vault's (or the network's) words, for a state that has them.
    pub fn problem(&self) -> Option<&str> {
        self.state.problem()
    }

    /// Vault forgot it before its time (give or take a clock's skew): someone revoked it.
    pub fn revoked_elsewhere(&self) -> bool {
        matches!(self.state, Lifecycle::Gone { at } if at + chrono::Duration::seconds(2) < self.expires_at)
    }
}

/// A renewal as a learner reads it: `granted 4m50s of the 15m asked: capped by the max
/// TTL`, or `granted 1h`.
pub fn describe_renewal(renewal: &Renewal) -> String {
    let granted = format_vault_duration(renewal.granted);
    match (renewal.asked, renewal.capped()) {
        (Some(asked), true) => format!(
            "granted {granted} of the {} asked: capped by the max TTL",
            format_vault_duration(asked)
        ),
        (None, true) => format!("granted {granted}: capped by the max TTL"),
        _ => format!("granted {granted}"),
    }
}

/// Every lease of the run, in the order vaultlab learned of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaseTable {
    leases: Vec<TrackedLease>,
}

impl LeaseTable {
    /// Adds a lease; one already tracked under that id is replaced.
    pub fn track(&mut self, lease: TrackedLease) {
        match self.get_mut(&lease.lease_id) {
            Some(known) => *known = lease,
            None => self.leases.push(lease),
        }
    }

    pub fn get(&self, lease_id: &str) -> Option<&TrackedLease> {
        self.leases.iter().find(|l| l.lease_id == lease_id)
    }

    pub fn get_mut(&mut self, lease_id: &str) -> Option<&mut TrackedLease> {
        self.leases.iter_mut().find(|l| l.lease_id == lease_id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &TrackedLease> {
        self.leases.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut TrackedLease> {
        self.leases.iter_mut()
    }

    pub fn at(&self, index: usize) -> Option<&TrackedLease> {
        self.leases.get(index)
    }

    pub fn len(&self) -> usize {
        self.leases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.leases.is_empty()
    }

    /// The leases that may still be alive in Vault.
    pub fn revocable(&self, now: DateTime<Utc>) -> impl Iterator<Item = &TrackedLease> {
        self.leases.iter().filter(move |l| l.is_revocable(now))
    }

    /// The lease a status line shows: one whose keys still work before one in between
    /// (being looked up, being revoked) before one that has ended; among equals, the
    /// current credentials' (`current`), then the newest. So a lease still alive is not
    /// hidden behind a newer one that ended.
    pub fn that_matters(&self, current: Option<&str>, now: DateTime<Utc>) -> Option<&TrackedLease> {
        let rank = |lease: &TrackedLease| match lease.state {
            _ if lease.is_active(now) => 0,
            Lifecycle::Checking
            | Lifecycle::Revoking
            | Lifecycle::RevokeQueued { .. }
            | Lifecycle::Unknown { .. } => 1,
            _ => 2,
        };
        self.leases
            .iter()
            .enumerate()
            .min_by_key(|(index, lease)| {
                let is_current = Some(lease.lease_id.as_str()) == current;
                (rank(lease), !is_current, std::cmp::Reverse(*index))
            })
            .map(|(_, lease)| lease)
    }

    /// Earlier runs' leases still being looked up.
    pub fn checking(&self) -> usize {
        self.leases
            .iter()
            .filter(|l| l.state == Lifecycle::Checking && l.origin == Origin::EarlierRun)
            .count()
    }

    /// Revocations on their way.
    pub fn revoking(&self) -> usize {
        self.leases
            .iter()
            .filter(|l| l.state == Lifecycle::Revoking)
            .count()
    }

    /// Revocations Vault queued and was not yet seen to finish: their keys may still work.
    pub fn queued(&self) -> impl Iterator<Item = &TrackedLease> {
        self.leases
            .iter()
            .filter(|l| matches!(l.state, Lifecycle::RevokeQueued { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_763_900_000 + secs, 0).unwrap()
    }

    #[test]
    fn the_labs_default_lease_counts_down_from_32_days() {
        let lease =
            TrackedLease::issued("l", "my-role", at(0), Duration::from_secs(2_764_800), true);
        assert_eq!(lease.label(at(0)), "32d 00:00:00");
        assert_eq!(lease.label(at(2)), "31d 23:59:58");
        assert!(lease.is_active(at(2)));
    }

    #[test]
    fn a_short_lease_flips_to_expired_at_its_ttl_and_is_not_worth_revoking() {
        let lease = TrackedLease::issued("l", "r", at(0), Duration::from_secs(125), true);
        assert_eq!(lease.label(at(0)), "2:05");
        assert_eq!(lease.label(at(124)), "0:01");
        assert_eq!(lease.label(at(125)), "expired");
        assert_eq!(lease.remaining(at(500)), Duration::ZERO);
        assert!(lease.is_revocable(at(124)));
        assert!(!lease.is_revocable(at(125)));
    }

    #[test]
    fn a_revoked_lease_says_so_whatever_the_time() {
        let mut lease = TrackedLease::issued("l", "r", at(0), Duration::from_secs(60), true);
        lease.state = Lifecycle::Revoked { at: at(1) };
        assert_eq!(lease.label(at(1)), "revoked");
        assert_eq!(lease.label(at(120)), "revoked");
        assert!(!lease.is_expired(at(120)));
        assert!(!lease.is_revocable(at(1)));
    }

    #[test]
    fn a_failed_revocation_keeps_the_lease_worth_revoking_with_vaults_words() {
        let mut lease = TrackedLease::issued("l", "r", at(0), Duration::from_secs(60), true);
        lease.state = Lifecycle::RevokeFailed {
            at: at(1),
            error: "connection refused".into(),
        };
        assert!(lease.is_revocable(at(1)));
        assert_eq!(lease.problem(), Some("connection refused"));
        assert_eq!(lease.label(at(1)), "0:59 · revoke failed");
        assert_eq!(lease.label(at(61)), "revoke failed");
        assert!(lease.is_active(at(59)), "its keys may still work");
        assert!(!lease.is_active(at(61)));
    }

    #[test]
    fn renewal_restarts_the_clock_from_now_and_a_shorter_grant_is_a_cap() {
        let mut lease = TrackedLease::issued("l", "r", at(0), Duration::from_secs(60), true);
        let renewal = Renewal {
            asked: Some(Duration::from_secs(900)),
            granted: Duration::from_secs(250),
            warning: None,
        };
        assert!(renewal.capped());
        lease.renewed(at(50), renewal.clone());
        assert_eq!(lease.label(at(50)), "4:10");
        assert_eq!(
            describe_renewal(&renewal),
            "granted 4m10s of the 15m asked: capped by the max TTL"
        );
        let full = Renewal {
            asked: Some(Duration::from_secs(900)),
            granted: Duration::from_secs(900),
            warning: None,
        };
        assert!(!full.capped());
        assert_eq!(describe_renewal(&full), "granted 15m");
    }

    #[test]
    fn an_absurd_ttl_does_not_overflow() {
        let lease = TrackedLease::issued("l", "r", at(0), Duration::MAX, true);
        assert!(lease.is_active(at(1)));
        assert!(!lease.label(at(1)).is_empty());
    }

    #[test]
    fn the_table_keeps_every_lease_and_replaces_by_id() {
        let mut table = LeaseTable::default();
        table.track(TrackedLease::issued(
            "a",
            "r",
            at(0),
            Duration::from_secs(60),
            true,
        ));
        table.track(TrackedLease::issued(
            "b",
            "r",
            at(0),
            Duration::from_secs(60),
            true,
        ));
        table.track(TrackedLease::issued(
            "a",
            "r",
            at(5),
            Duration::from_secs(60),
            true,
        ));
        assert_eq!(table.len(), 2);
        assert_eq!(table.revocable(at(10)).count(), 2);
        table.get_mut("b").unwrap().state = Lifecycle::Revoked { at: at(10) };
        assert_eq!(table.revocable(at(10)).count(), 1);
    }
}
