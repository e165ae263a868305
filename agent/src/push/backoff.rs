//! Exponential backoff with jitter for resending spooled reports: the n-th retry waits
//! between half and all of `initial * 2^n`, capped at `max`. The randomness is passed in.

use std::time::Duration;

use rand::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The wait before the first retry (before jitter).
    pub initial: Duration,
    /// No wait is longer than this.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(2),
            max: Duration::from_secs(5 * 60),
        }
    }
}

impl Backoff {
    /// The un-jittered wait before retry number `attempt` (0 for the first retry).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial
            .checked_mul(factor)
            .unwrap_or(self.max)
            .min(self.max)
    }

    /// The wait before retry number `attempt`: uniform in `[ceiling/2, ceiling]`, so that
    /// agents that lost the collector together do not all come back at the same instant.
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        let spread = (ceiling - half).as_nanos() as u64;
        if spread == 0 {
            return ceiling;
        }
        half + Duration::from_nanos(rng.gen_range(0..=spread))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn doubles_up_to_the_cap() {
        let b = Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        };
        let got: Vec<u64> = (0..10).map(|n| b.ceiling(n).as_secs()).collect();
        assert_eq!(got, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
        // No overflow however many attempts.
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(60));
        assert_eq!(b.ceiling(40), Duration::from_secs(60));
    }

    #[test]
    fn jitter_stays_within_half_to_full_and_varies() {
        let b = Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        };
        let mut rng = StdRng::seed_from_u64(7);
        for attempt in 0..12 {
            let c = b.ceiling(attempt);
            let mut seen = std::collections::BTreeSet::new();
            for _ in 0..50 {
                let d = b.delay(attempt, &mut rng);
                assert!(
                    d >= c / 2 && d <= c,
                    "attempt {attempt}: {d:?} outside {c:?}"
                );
                seen.insert(d);
            }
            assert!(seen.len() > 10, "attempt {attempt}: jitter does not vary");
        }
    }

    #[test]
    fn same_seed_same_delays() {
        let b = Backoff::default();
        let a: Vec<Duration> = {
            let mut r = StdRng::seed_from_u64(42);
            (0..8).map(|n| b.delay(n, &mut r)).collect()
        };
        let c: Vec<Duration> = {
            let mut r = StdRng::seed_from_u64(42);
            (0..8).map(|n| b.delay(n, &mut r)).collect()
        };
        assert_eq!(a, c);
    }
}
