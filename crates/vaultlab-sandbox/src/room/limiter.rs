//! Wrong join codes, counted, so guessing a room's code is slow: each address gets
//! [`PER_ADDRESS`] wrong codes a [`WINDOW`], and the whole room [`OVERALL`] (many addresses
//! must not add up to many guesses). The map of addresses is bounded: when it is full the
//! address seen longest ago is forgotten.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

pub const WINDOW: Duration = Duration::from_secs(60);
pub const PER_ADDRESS: u32 = 5;
pub const OVERALL: u32 = 60;
/// The most addresses remembered.
pub const MAX_ADDRESSES: usize = 4096;

#[derive(Debug, Default)]
pub struct Limiter {
    by_address: HashMap<IpAddr, Tally>,
    overall: Tally,
}

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    since: Option<Instant>,
    failures: u32,
}

impl Tally {
    fn current(&mut self, now: Instant) -> &mut Self {
        if self.since.is_none_or(|t| now.duration_since(t) >= WINDOW) {
            *self = Tally {
                since: Some(now),
                failures: 0,
            };
        }
        self
    }

    fn wait(&self, now: Instant) -> Duration {
        self.since.map_or(Duration::ZERO, |t| {
            (t + WINDOW).saturating_duration_since(now)
        })
    }
}

impl Limiter {
    /// `Err(wait)` when `address` (or the room) has used up its wrong codes.
    pub fn check(&mut self, address: IpAddr, now: Instant) -> Result<(), Duration> {
        let overall = self.overall.current(now);
        if overall.failures >= OVERALL {
            return Err(overall.wait(now));
        }
        if let Some(tally) = self.by_address.get_mut(&address) {
            let tally = tally.current(now);
            if tally.failures >= PER_ADDRESS {
                return Err(tally.wait(now));
            }
        }
        Ok(())
    }

    /// Counts a wrong code from `address`.
    pub fn failed(&mut self, address: IpAddr, now: Instant) {
        self.overall.current(now).failures += 1;
        if !self.by_address.contains_key(&address) && self.by_address.len() >= MAX_ADDRESSES {
            self.by_address
                .retain(|_, t| t.since.is_some_and(|s| now.duration_since(s) < WINDOW));
            if self.by_address.len() >= MAX_ADDRESSES
                && let Some(oldest) = self
                    .by_address
                    .iter()
                    .min_by_key(|(_, t)| t.since)
                    .map(|(a, _)| *a)
            {
                self.by_address.remove(&oldest);
            }
        }
        self.by_address
            .entry(address)
            .or_default()
            .current(now)
            .failures += 1;
    }

    pub fn addresses(&self) -> usize {
        self.by_address.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u32) -> IpAddr {
        IpAddr::from(n.to_be_bytes())
    }

    #[test]
    fn an_address_gets_a_few_wrong_codes_a_minute() {
        let mut limiter = Limiter::default();
        let t0 = Instant::now();
        for _ in 0..PER_ADDRESS {
            assert!(limiter.check(ip(1), t0).is_ok());
            limiter.failed(ip(1), t0);
        }
        let wait = limiter.check(ip(1), t0).unwrap_err();
        assert_eq!(wait, WINDOW);
        assert!(
            limiter.check(ip(2), t0).is_ok(),
            "another address is not held"
        );
        assert!(limiter.check(ip(1), t0 + WINDOW).is_ok(), "a new window");
    }

    #[test]
    fn many_addresses_do_not_add_up_to_many_guesses() {
        let mut limiter = Limiter::default();
        let t0 = Instant::now();
        for n in 0..OVERALL {
            limiter.failed(ip(n), t0);
        }
        assert!(limiter.check(ip(9999), t0).is_err());
    }

    #[test]
    fn the_map_of_addresses_stays_bounded() {
        let mut limiter = Limiter::default();
        let t0 = Instant::now();
        for n in 0..(MAX_ADDRESSES as u32 + 100) {
            limiter.failed(ip(n), t0 + Duration::from_millis(u64::from(n)));
        }
        assert_eq!(limiter.addresses(), MAX_ADDRESSES);
    }
}
