//! Per-sender rate limit of email-to-fax, sans-IO: fed the time, holds bounded state.
//!
//! Each sender may send `per_hour` mails in a burst, then one every hour / `per_hour`: a
//! token bucket kept as one instant per sender (the generic cell rate algorithm: the
//! "theoretical arrival time" the sender's next mail is due at). A sender whose bucket has
//! refilled is forgotten, so the memory held is bounded by the senders seen in the last hour.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The window the limit is counted over.
const HOUR: Duration = Duration::from_secs(3600);

/// Below this many senders the map is never swept.
const SWEEP_FLOOR: usize = 64;

/// At most `per_hour` mails per sender address (any case) in any hour; `0` disables the
/// limit.
#[derive(Debug)]
pub struct SenderRate {
    /// The time one mail costs: an hour / `per_hour`.
    interval: Duration,
    /// How far ahead of `now` a sender's due time may run: the burst of `per_hour` mails.
    burst: Duration,
    /// Sender (lower case) → when its bucket is full again.
    due: HashMap<String, Instant>,
    /// Sweep idle senders when the map grows past this (doubling, so sweeps are amortised).
    sweep_at: usize,
    disabled: bool,
}

impl SenderRate {
    /// A limit of `per_hour` mails per sender address; `0`: no limit.
    pub fn new(per_hour: u32) -> SenderRate {
        let interval = HOUR / per_hour.max(1);
        SenderRate {
            interval,
            burst: HOUR.saturating_sub(interval),
            due: HashMap::new(),
            sweep_at: SWEEP_FLOOR,
            disabled: per_hour == 0,
        }
    }

    /// Counts one mail from `sender` at `now`, or refuses it with how long to wait before
    /// the next one would be allowed (nothing is counted then).
    pub fn allow(&mut self, now: Instant, sender: &str) -> Result<(), Duration> {
        if self.disabled {
            return Ok(());
        }
        let key = sender.trim().to_lowercase();
        let due = self.due.get(&key).copied().map_or(now, |d| d.max(now));
        let ahead = due - now;
        if ahead > self.burst {
            return Err(ahead - self.burst);
        }
        self.due.insert(key, due + self.interval);
        if self.due.len() > self.sweep_at {
            self.sweep(now);
        }
        Ok(())
    }

    /// Forgets the senders whose bucket is full again: they are as if never seen.
    fn sweep(&mut self, now: Instant) {
        self.due.retain(|_, due| *due > now);
        self.sweep_at = (self.due.len() * 2).max(SWEEP_FLOOR);
    }

    /// How many senders are remembered (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.due.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_interval() {
        let t0 = Instant::now();
        let mut rate = SenderRate::new(4);
        for _ in 0..4 {
            rate.allow(t0, "alice@acme.example").unwrap();
        }
        // The fifth within the hour waits for the first slot to come back (15 minutes).
        let wait = rate.allow(t0, "Alice@ACME.example").unwrap_err();
        assert_eq!(wait, Duration::from_secs(15 * 60));
        // Refused mails are not counted: the wait shrinks with time.
        let wait = rate
            .allow(t0 + Duration::from_secs(600), "alice@acme.example")
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(5 * 60));
        // Another sender has its own budget.
        rate.allow(t0, "bob@acme.example").unwrap();
        // After the wait, exactly one more.
        let t1 = t0 + Duration::from_secs(15 * 60);
        rate.allow(t1, "alice@acme.example").unwrap();
        assert!(rate.allow(t1, "alice@acme.example").is_err());
        // An hour of silence refills the whole burst.
        let t2 = t1 + HOUR;
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
        // And the steady rate is reached: about 10 an hour after the burst.
        assert!(accepted.len() >= 50, "{}", accepted.len());
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
