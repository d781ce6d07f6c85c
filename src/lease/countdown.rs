//! How long a lease has left, and how to say it.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Where a lease stands, as far as vaultlab knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseStatus {
    Active,
    Revoked,
    /// Vault revokes a lease itself when its TTL runs out.
    Expired,
}

/// A lease's clock: when it ends and whether vaultlab has seen it end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseClock {
    pub lease_id: String,
    pub expires_at: DateTime<Utc>,
    pub renewable: bool,
    pub revoked: bool,
}

impl LeaseClock {
    /// A lease Vault just issued with `lease_duration` seconds.
    pub fn issued(
        lease_id: impl Into<String>,
        now: DateTime<Utc>,
        ttl: Duration,
        renewable: bool,
    ) -> Self {
        Self {
            lease_id: lease_id.into(),
            expires_at: add(now, ttl),
            renewable,
            revoked: false,
        }
    }

    pub fn status(&self, now: DateTime<Utc>) -> LeaseStatus {
        if self.revoked {
            LeaseStatus::Revoked
        } else if now >= self.expires_at {
            LeaseStatus::Expired
        } else {
            LeaseStatus::Active
        }
    }

    /// Time left, zero once expired or revoked.
    pub fn remaining(&self, now: DateTime<Utc>) -> Duration {
        if self.revoked {
            return Duration::ZERO;
        }
        (self.expires_at - now).to_std().unwrap_or(Duration::ZERO)
    }

    /// After a renewal: Vault answers with the new TTL, counted from now.
    pub fn renewed(&mut self, now: DateTime<Utc>, ttl: Duration) {
        self.expires_at = add(now, ttl);
    }

    /// What a countdown shows: `31d 23:59:58`, `4:05`, `expired`, `revoked`.
    pub fn label(&self, now: DateTime<Utc>) -> String {
        match self.status(now) {
            LeaseStatus::Revoked => "revoked".to_owned(),
            LeaseStatus::Expired => "expired".to_owned(),
            LeaseStatus::Active => format_countdown(self.remaining(now)),
        }
    }
}

/// `now + ttl`, saturating: a server may send any duration.
fn add(now: DateTime<Utc>, ttl: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(ttl)
        .ok()
        .and_then(|ttl| now.checked_add_signed(ttl))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A countdown that ticks visibly every second and stays short: whole seconds, rounded
/// up so a lease never shows `0:00` while it is still alive.
pub fn format_countdown(left: Duration) -> String {
    let mut secs = left.as_secs();
    if left.subsec_nanos() > 0 {
        secs += 1;
    }
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (hours, minutes, seconds) = (rest / 3600, rest % 3600 / 60, rest % 60);
    match (days, hours) {
        (0, 0) => format!("{minutes}:{seconds:02}"),
        (0, _) => format!("{hours}:{minutes:02}:{seconds:02}"),
        _ => format!("{days}d {hours:02}:{minutes:02}:{seconds:02}"),
    }
}

/// A duration as the Vault CLI prints it: `768h`, `30m`, `1h30m`, `45s`.
pub fn format_vault_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs == 0 {
        return "0s".to_owned();
    }
    let (hours, minutes, seconds) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    if seconds > 0 {
        out.push_str(&format!("{seconds}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_763_900_000 + secs, 0).unwrap()
    }

    #[test]
    fn the_labs_default_lease_counts_down_from_32_days() {
        let clock = LeaseClock::issued(
            "aws/creds/my-role/x",
            at(0),
            Duration::from_secs(2_764_800),
            true,
        );
        assert_eq!(clock.label(at(0)), "32d 00:00:00");
        assert_eq!(clock.label(at(2)), "31d 23:59:58");
        assert_eq!(clock.status(at(2)), LeaseStatus::Active);
    }

    #[test]
    fn a_short_lease_flips_to_expired_at_its_ttl() {
        let clock = LeaseClock::issued("l", at(0), Duration::from_secs(125), true);
        assert_eq!(clock.label(at(0)), "2:05");
        assert_eq!(clock.label(at(124)), "0:01");
        assert_eq!(clock.label(at(125)), "expired");
        assert_eq!(clock.remaining(at(500)), Duration::ZERO);
    }

    #[test]
    fn a_revoked_lease_says_so_whatever_the_time() {
        let mut clock = LeaseClock::issued("l", at(0), Duration::from_secs(60), true);
        clock.revoked = true;
        assert_eq!(clock.label(at(1)), "revoked");
        assert_eq!(clock.status(at(120)), LeaseStatus::Revoked);
    }

    #[test]
    fn renewal_restarts_the_clock_from_now() {
        let mut clock = LeaseClock::issued("l", at(0), Duration::from_secs(60), true);
        clock.renewed(at(50), Duration::from_secs(3600));
        assert_eq!(clock.label(at(50)), "1:00:00");
    }

    #[test]
    fn an_absurd_ttl_does_not_overflow() {
        let clock = LeaseClock::issued("l", at(0), Duration::MAX, true);
        assert_eq!(clock.status(at(1)), LeaseStatus::Active);
        assert!(!clock.label(at(1)).is_empty());
    }

    #[test]
    fn a_partial_second_rounds_up() {
        assert_eq!(format_countdown(Duration::from_millis(500)), "0:01");
        assert_eq!(format_countdown(Duration::from_millis(59_001)), "1:00");
    }

    #[test]
    fn durations_print_as_the_vault_cli_prints_them() {
        assert_eq!(
            format_vault_duration(Duration::from_secs(2_764_800)),
            "768h"
        );
        assert_eq!(format_vault_duration(Duration::from_secs(1800)), "30m");
        assert_eq!(format_vault_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_vault_duration(Duration::from_secs(45)), "45s");
        assert_eq!(format_vault_duration(Duration::ZERO), "0s");
    }
}
