//! When to try new keys again while AWS makes them valid, and revoked keys while AWS
//! forgets them. One schedule for the TUI and `vaultlab walk`, since both run `update`.
//!
//! IAM is eventually consistent: a new access key usually works after a few seconds,
//! sometimes only after ten or more. The schedule has three parts:
//!
//! - doubling from 50 ms (50, 100, 200 ms): keys that are valid at once (moto, a sandbox
//!   with no delay) or nearly so are seen at once. Revoked keys get one look more first,
//!   10 ms after the revocation's answer: `vault lease revoke` queues the revocation, and
//!   a server that finishes it just after answering (the sandbox) is seen done at once;
//! - then every 400 ms, for about 20 s: a key that becomes valid while we wait is used
//!   within 400 ms plus one round trip, so the first success comes within D + 0.5 s of
//!   issue for a propagation delay D. That is 2.5 requests a second from one learner,
//!   well under EC2's per-account rate for Describe calls (a bucket of 100 refilled at
//!   20 a second), and a throttled call is retried on the same schedule;
//! - then every 2 s until about a minute has passed: keys that still fail are most
//!   likely wrong, and polling faster would only load the account.

use std::time::Duration;

/// The doubling start: 50 ms, then twice as long each time up to [`STEADY`].
const FIRST: Duration = Duration::from_millis(50);
/// The revocation proof's one quick look before the schedule (two calls: EC2 and IAM).
const FIRST_PROOF: Duration = Duration::from_millis(10);
/// Short enough that a key is used within half a second of becoming valid.
const STEADY: Duration = Duration::from_millis(400);
/// Attempts made before slowing down: about 20 s of waiting.
const STEADY_UNTIL: u32 = 50;
/// After that, a slow poll.
const SLOW: Duration = Duration::from_secs(2);

/// How many DescribeInstances attempts before saying a new key never became valid
/// (about a minute: 19 s at the steady pace, then 20 slow attempts).
pub const PROBE_ATTEMPTS: u32 = STEADY_UNTIL + 20;
/// How many checks before saying revoked keys still work: the quick look, then the
/// probe's schedule.
pub const PROOF_ATTEMPTS: u32 = PROBE_ATTEMPTS + 1;

/// How long to wait after attempt `attempt` (counting from 1) failed, before the next.
pub fn probe_delay(attempt: u32) -> Duration {
    if attempt > STEADY_UNTIL {
        return SLOW;
    }
    let doublings = attempt.saturating_sub(1).min(16);
    (FIRST * 2u32.pow(doublings)).min(STEADY)
}

/// How long to wait after proof attempt `attempt` found the revoked keys still alive.
pub fn proof_delay(attempt: u32) -> Duration {
    match attempt {
        0 | 1 => FIRST_PROOF,
        later => probe_delay(later - 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waited_before(attempt: u32) -> Duration {
        (1..attempt).map(probe_delay).sum()
    }

    #[test]
    fn retries_start_short_and_double() {
        let first: Vec<u64> = (1..=5).map(|a| probe_delay(a).as_millis() as u64).collect();
        assert_eq!(first, [50, 100, 200, 400, 400]);
        let proof: Vec<u64> = (1..=6).map(|a| proof_delay(a).as_millis() as u64).collect();
        assert_eq!(proof, [10, 50, 100, 200, 400, 400]);
    }

    #[test]
    fn no_gap_exceeds_the_steady_pace_for_twenty_seconds() {
        // A key valid at any moment in the first 19 s is tried within 400 ms.
        let mut attempt = 1;
        while waited_before(attempt + 1) < Duration::from_secs(19) {
            assert!(probe_delay(attempt) <= STEADY, "attempt {attempt}");
            attempt += 1;
        }
    }

    #[test]
    fn the_whole_schedule_waits_about_a_minute() {
        let total = waited_before(PROBE_ATTEMPTS);
        assert!(
            (Duration::from_secs(50)..Duration::from_secs(70)).contains(&total),
            "{total:?}"
        );
    }

    #[test]
    fn huge_attempt_numbers_do_not_overflow() {
        assert_eq!(probe_delay(u32::MAX), SLOW);
        assert_eq!(probe_delay(0), FIRST);
    }
}
