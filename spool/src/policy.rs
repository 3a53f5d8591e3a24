//! Retry budget and retention: plain values, passed in, so a config reload is
//! just a new value and tests need no clock.

use std::time::{Duration, SystemTime};

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

/// When to try a failed job again, and when to give up.
///
/// After the n-th failed attempt the job waits `first_delay × 2^(n-1)`, capped at
/// `max_delay`. It is given up (dead) when the next attempt would fall later than
/// `give_up_after` past the first attempt. Defaults: 1 min, doubling, capped at
/// 4 h, give up after 5 days, so a mail server down over a long weekend still
/// gets the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failure.
    pub first_delay: Duration,
    /// Longest wait between two attempts.
    pub max_delay: Duration,
    /// Budget, counted from the first attempt.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_delay: MINUTE,
            max_delay: 4 * HOUR,
            give_up_after: 5 * DAY,
        }
    }
}

impl RetryPolicy {
    /// The wait after `failures` failed attempts (1 → `first_delay`).
    pub fn delay_after(&self, failures: u32) -> Duration {
        let shift = failures.saturating_sub(1).min(63);
        let factor = 1u64 << shift;
        let nanos = (self.first_delay.as_nanos()).saturating_mul(factor as u128);
        let max = self.max_delay.as_nanos();
        Duration::from_nanos(nanos.min(max).min(u64::MAX as u128) as u64)
    }

    /// The next attempt time after a failure at `now`, or `None` when the budget
    /// (`give_up_after` since `first_attempt`) would be exceeded.
    pub fn next_attempt(
        &self,
        first_attempt: SystemTime,
        failures: u32,
        now: SystemTime,
    ) -> Option<SystemTime> {
        let next = now.checked_add(self.delay_after(failures))?;
        let deadline = first_attempt.checked_add(self.give_up_after)?;
        (next <= deadline).then_some(next)
    }

    /// Whether the budget is spent at `now` (used when a lease expires: a job
    /// that keeps killing its worker must still die eventually).
    pub fn exhausted(&self, first_attempt: SystemTime, now: SystemTime) -> bool {
        match first_attempt.checked_add(self.give_up_after) {
            Some(deadline) => now >= deadline,
            None => false,
        }
    }
}

/// How long finished jobs are kept, per class. Nothing that is not delivered or
/// dead is ever purged, whatever these say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Delivered jobs (their media) are kept this long after delivery (default 30 days):
    /// time for a client to ask for a resend.
    pub delivered: Duration,
    /// Dead jobs are kept this long after they died (default 90 days): time for
    /// an admin to notice, fix and retry.
    pub dead: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            delivered: 30 * DAY,
            dead: 90 * DAY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays() {
        let p = RetryPolicy::default();
        let mins: Vec<u64> = (1..=10).map(|n| p.delay_after(n).as_secs() / 60).collect();
        assert_eq!(mins, [1, 2, 4, 8, 16, 32, 64, 128, 240, 240]);
        assert_eq!(p.delay_after(1000), 4 * HOUR);
        assert_eq!(p.delay_after(0), MINUTE);
    }
}
