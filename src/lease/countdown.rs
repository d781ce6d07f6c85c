//! Countdown arithmetic and how to say a duration.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// `now + ttl`, saturating: a server may send any duration.
pub fn expiry(now: DateTime<Utc>, ttl: Duration) -> DateTime<Utc> {
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
