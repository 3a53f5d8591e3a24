//! Per-sender rate limit of email-to-fax, sans-IO: fed the time, holds bounded state.
//!
//! A sliding window: each sender may send `per_hour` mails in any hour, counted exactly
//! (the times of its last `per_hour` mails are kept; a mail is allowed when the oldest of them
//! is an hour old). A sender silent for an hour is forgotten, so the memory held is bounded by
//! the senders seen in the last hour, each at most `per_hour` instants.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The window the limit is counted over.
const HOUR: Duration = Duration::from_secs(3600);

/// Below this many senders the map is never swept.
const SWEEP_FLOOR: usize = 64;

/// At most `per_hour` mails per sender address (any case) in any hour; `0` disables the
/// limit.
#[derive(Debug)]
pub struct SenderRate {
    per_hour: usize,
    /// Sender (lower case) → the times of its mails in the last hour, oldest first.
    sent: HashMap<String, VecDeque<Instant>>,
    /// Sweep idle senders when the map grows past this (doubling, so sweeps are amortised).
    sweep_at: usize,
}

impl SenderRate {
    /// A limit of `per_hour` mails per sender address; `0`: no limit.
    pub fn new(per_hour: u32) -> SenderRate {
        SenderRate {
            per_hour: per_hour as usize,
            sent: HashMap::new(),
            sweep_at: SWEEP_FLOOR,
        }
    }

    /// Counts one mail from `sender` at `now`, or refuses it with how long to wait before
    /// the next one would be allowed (nothing is counted then).
    pub fn allow(&mut self, now: Instant, sender: &str) -> Result<(), Duration> {
        if self.per_hour == 0 {
            return Ok(());
        }
        let key = sender.trim().to_lowercase();
        let times = self.sent.entry(key).or_default();
        while times
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= HOUR)
        {
            times.pop_front();
        }
        if times.len() >= self.per_hour {
            let oldest = times[0];
            return Err((oldest + HOUR).saturating_duration_since(now));
        }
        times.push_back(now);
        if self.sent.len() > self.sweep_at {
            self.sweep(now);
        }
        Ok(())
    }

    /// Forgets the senders with no mail in the last hour: they are as if never seen.
    fn sweep(&mut self, now: Instant) {
        self.sent.retain(|_, times| {
            times
                .back()
                .is_some_and(|&t| now.saturating_duration_since(t) < HOUR)
        });
        self.sweep_at = (self.sent.len() * 2).max(SWEEP_FLOOR);
    }

    /// How many senders are remembered (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.sent.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_hour_in_any_hour_then_wait_for_the_oldest() {
        let t0 = Instant::now();
        let mut rate = SenderRate::new(4);
        for minute in [0u64, 10, 20, 30] {
            rate.allow(t0 + Duration::from_secs(minute * 60), "alice@acme.example")
                .unwrap();
        }
        // The fifth within the hour waits until the first is an hour old.
        let at = t0 + Duration::from_secs(40 * 60);
        let wait = rate.allow(at, "Alice@ACME.example").unwrap_err();
        assert_eq!(wait, Duration::from_secs(20 * 60));
        // Refused mails are not counted: the wait shrinks with time.
        let wait = rate
            .allow(t0 + Duration::from_secs(50 * 60), "alice@acme.example")
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(10 * 60));
        // Another sender has its own budget.
        rate.allow(at, "bob@acme.example").unwrap();
        // An hour after the first, exactly one more.
        let t1 = t0 + HOUR;
        rate.allow(t1, "alice@acme.example").unwrap();
        assert!(rate.allow(t1, "alice@acme.example").is_err());
        // Two hours of silence: the whole budget again.
        let t2 = t1 + 2 * HOUR;
        for _ in 0..4 {
            rate.allow(t2, "alice@acme.example").unwrap();
        }
        assert!(rate.allow(t2, "alice@acme.example").is_err());
    }

    #[test]
    fn never_more_than_per_hour_in_any_hour() {
        let t0 = Instant::now();
        let mut rate = SenderRate::new(10);
        let mut accepted = Vec::new();
        // One attempt a minute for five hours.
        for minute in 0..300u64 {
            let now = t0 + Duration::from_secs(minute * 60);
            if rate.allow(now, "alice@acme.example").is_ok() {
                accepted.push(minute);
            }
        }
        for (i, &start) in accepted.iter().enumerate() {
            let in_hour = accepted[i..]
                .iter()
                .take_while(|&&m| m < start + 60)
                .count();
            assert!(
                in_hour <= 10,
                "{in_hour} mails in the hour from minute {start}"
            );
        }
        // And the budget is used: 10 in each of the five hours.
        assert_eq!(accepted.len(), 50);
    }

    #[test]
    fn idle_senders_are_forgotten() {
        let t0 = Instant::now();
        let mut rate = SenderRate::new(60);
        for i in 0..1000 {
            rate.allow(t0, &format!("sender{i}@acme.example")).unwrap();
        }
        assert!(rate.tracked() <= 1000);
        // An hour later the first thousand are idle; new senders push them out.
        let later = t0 + HOUR;
        for i in 0..1000 {
            rate.allow(later, &format!("other{i}@acme.example"))
                .unwrap();
        }
        assert!(rate.tracked() <= 1000 + SWEEP_FLOOR, "{}", rate.tracked());
        // A forgotten sender starts with a full burst again.
        for _ in 0..60 {
            rate.allow(later, "sender0@acme.example").unwrap();
        }
    }

    #[test]
    fn zero_disables_the_limit() {
        let t0 = Instant::now();
        let mut rate = SenderRate::new(0);
        for _ in 0..10_000 {
            rate.allow(t0, "alice@acme.example").unwrap();
        }
        assert_eq!(rate.tracked(), 0);
    }
}
