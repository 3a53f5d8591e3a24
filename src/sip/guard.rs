//! Admission of requests from sources outside the trusted networks, sans-IO: the stack feeds
//! each request that belongs to no dialog as `(now, source, transactions in progress)` and
//! gets a [`Admission`]; digest failures are reported back with [`Guard::auth_failed`].
//!
//! - **Rate per source**: a token bucket per source address (IPv6 per /64, which one host
//!   usually owns whole). Over the limit a request is dropped **without any answer**: a flood
//!   (perhaps from a spoofed address) must not be reflected, response for request.
//! - **Transactions in progress**: above the cap, requests from untrusted sources are dropped
//!   (trusted ones are still served).
//! - **Digest guessing**: after `auth_max_failures` failed attempts within
//!   `auth_failure_window`, everything from that source is dropped for `auth_lockout`.
//! - **Logging**: drops are counted per source and reported at most once per `log_interval`
//!   ([`Guard::sweep`] hands out the counts), so a flood does not flood the log either.
//!
//! Trusted sources never reach the guard. Memory is bounded: idle sources are forgotten by
//! [`Guard::sweep`], and at most [`MAX_SOURCES`] are remembered (beyond that, new sources
//! share one bucket).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

/// Sources remembered at most; beyond it unknown sources share one overflow bucket.
pub const MAX_SOURCES: usize = 65_536;

/// The guard's limits. Zero disables the rate limit (`rate`), the cap (`max_transactions`)
/// or the lock-out (`auth_max_failures`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardConfig {
    /// Requests per second allowed from one untrusted source (sustained).
    pub rate: u32,
    /// Requests one untrusted source may send at once before the rate applies.
    pub burst: u32,
    /// Server transactions in progress above which untrusted requests are dropped.
    pub max_transactions: usize,
    /// Failed digest attempts that lock a source out.
    pub auth_max_failures: u32,
    /// The window in which those failures are counted.
    pub auth_failure_window: Duration,
    /// How long a locked-out source is ignored.
    pub auth_lockout: Duration,
    /// At most one log line per source per interval about its dropped requests.
    pub log_interval: Duration,
}

impl Default for GuardConfig {
    /// 10 requests/s, burst 20, 1 000 transactions, 5 failures in 60 s lock out for 5 min,
    /// one log line per source per 10 s.
    fn default() -> Self {
        GuardConfig {
            rate: 10,
            burst: 20,
            max_transactions: 1000,
            auth_max_failures: 5,
            auth_failure_window: Duration::from_secs(60),
            auth_lockout: Duration::from_secs(300),
            log_interval: Duration::from_secs(10),
        }
    }
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Handle it as usual.
    Pass,
    /// Drop it without an answer.
    Drop(DropReason),
}

/// Why a request was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The source sends faster than the rate allows.
    Rate,
    /// Too many transactions in progress.
    Transactions,
    /// The source failed digest authentication too often.
    LockedOut,
}

impl DropReason {
    /// For the logs.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Rate => "over the rate limit",
            DropReason::Transactions => "too many transactions in progress",
            DropReason::LockedOut => "locked out after failed authentications",
        }
    }
}

/// Requests dropped from one source since the last report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropReport {
    /// The source (IPv6: its /64).
    pub source: IpAddr,
    /// How many were dropped.
    pub dropped: u64,
    /// The reason of the last one.
    pub reason: DropReason,
}

#[derive(Debug, Clone)]
struct Source {
    tokens: f64,
    refilled: Instant,
    /// Times of the recent digest failures (within the window).
    failures: Vec<Instant>,
    locked_until: Option<Instant>,
    dropped: u64,
    last_reason: DropReason,
    /// When the last report of this source was handed out.
    reported: Option<Instant>,
    last_seen: Instant,
}

/// The per-source state of [`GuardConfig`]'s limits. One per SIP stack (behind a mutex).
#[derive(Debug)]
pub struct Guard {
    config: GuardConfig,
    sources: HashMap<IpAddr, Source>,
}

/// The key of a source: the address, or an IPv6 address's /64.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// The shared bucket of the sources beyond [`MAX_SOURCES`].
const OVERFLOW: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);

impl Guard {
    /// A guard with no source seen yet.
    pub fn new(config: GuardConfig) -> Guard {
        Guard {
            config,
            sources: HashMap::new(),
        }
    }

    /// The limits.
    pub fn config(&self) -> &GuardConfig {
        &self.config
    }

    fn source(&mut self, now: Instant, ip: IpAddr) -> &mut Source {
        let mut k = key(ip);
        if !self.sources.contains_key(&k) && self.sources.len() >= MAX_SOURCES {
            k = OVERFLOW;
        }
        let burst = f64::from(self.config.burst.max(1));
        self.sources.entry(k).or_insert_with(|| Source {
            tokens: burst,
            refilled: now,
            failures: Vec::new(),
            locked_until: None,
            dropped: 0,
            last_reason: DropReason::Rate,
            reported: None,
            last_seen: now,
        })
    }

    /// Decides on one request from the untrusted `source` at `now`, with `in_progress`
    /// server transactions open (this one included).
    pub fn check(&mut self, now: Instant, source: IpAddr, in_progress: usize) -> Admission {
        let cfg = self.config.clone();
        let s = self.source(now, source);
        s.last_seen = now;
        let verdict = if s.locked_until.is_some_and(|until| now < until) {
            Admission::Drop(DropReason::LockedOut)
        } else {
            s.locked_until = None;
            // Refill, then take a token. A request dropped for the cap still costs one.
            let burst = f64::from(cfg.burst.max(1));
            let elapsed = now.saturating_duration_since(s.refilled).as_secs_f64();
            s.tokens = (s.tokens + elapsed * f64::from(cfg.rate)).min(burst);
            s.refilled = now;
            if cfg.rate > 0 && s.tokens < 1.0 {
                Admission::Drop(DropReason::Rate)
            } else {
                s.tokens = (s.tokens - 1.0).max(0.0);
                if cfg.max_transactions > 0 && in_progress > cfg.max_transactions {
                    Admission::Drop(DropReason::Transactions)
                } else {
                    Admission::Pass
                }
            }
        };
        if let Admission::Drop(reason) = verdict {
            s.dropped += 1;
            s.last_reason = reason;
        }
        verdict
    }

    /// Records a failed digest attempt from `source`; true when it locks the source out now.
    pub fn auth_failed(&mut self, now: Instant, source: IpAddr) -> bool {
        let cfg = self.config.clone();
        if cfg.auth_max_failures == 0 {
            return false;
        }
        let s = self.source(now, source);
        s.last_seen = now;
        s.failures
            .retain(|t| now.saturating_duration_since(*t) < cfg.auth_failure_window);
        s.failures.push(now);
        if s.failures.len() >= cfg.auth_max_failures as usize {
            s.failures.clear();
            s.locked_until = Some(now + cfg.auth_lockout);
            return true;
        }
        false
    }

    /// Whether `source` is locked out at `now`.
    pub fn is_locked_out(&self, now: Instant, source: IpAddr) -> bool {
        self.sources
            .get(&key(source))
            .and_then(|s| s.locked_until)
            .is_some_and(|until| now < until)
    }

    /// Hands out the drop counts due for a log line (at most one per source per
    /// `log_interval`) and forgets the sources that have nothing left to remember.
    pub fn sweep(&mut self, now: Instant) -> Vec<DropReport> {
        let cfg = &self.config;
        let mut due = Vec::new();
        self.sources.retain(|ip, s| {
            let report_due = s.dropped > 0
                && s.reported
                    .is_none_or(|t| now.saturating_duration_since(t) >= cfg.log_interval);
            if report_due {
                due.push(DropReport {
                    source: *ip,
                    dropped: s.dropped,
                    reason: s.last_reason,
                });
                s.dropped = 0;
                s.reported = Some(now);
            }
            let idle = now.saturating_duration_since(s.last_seen);
            let full = cfg.rate == 0
                || s.tokens + idle.as_secs_f64() * f64::from(cfg.rate)
                    >= f64::from(cfg.burst.max(1));
            let locked = s.locked_until.is_some_and(|until| now < until);
            let failing = s
                .failures
                .iter()
                .any(|t| now.saturating_duration_since(*t) < cfg.auth_failure_window);
            let reporting = s.dropped > 0
                || s.reported
                    .is_some_and(|t| now.saturating_duration_since(t) < cfg.log_interval);
            !(full && !locked && !failing && !reporting)
        });
        due.sort_by_key(|r| r.source);
        due
    }

    /// Sources remembered (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.sources.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn bucket_allows_the_burst_then_the_rate() {
        let mut g = Guard::new(GuardConfig::default());
        let t0 = Instant::now();
        let a = ip("192.0.2.7");
        // 3 000 requests at 1 000/s: the burst (20) plus 10/s for 3 s pass.
        let mut passed = 0;
        for i in 0..3000u64 {
            if g.check(t0 + ms(i), a, 1) == Admission::Pass {
                passed += 1;
            }
        }
        assert!((49..=51).contains(&passed), "{passed}");
        // Another source is not affected.
        assert_eq!(g.check(t0 + ms(3000), ip("192.0.2.8"), 1), Admission::Pass);
        // After a pause the bucket is full again.
        let later = t0 + Duration::from_secs(10);
        for i in 0..20 {
            assert_eq!(g.check(later + ms(i), a, 1), Admission::Pass, "{i}");
        }
        assert_eq!(
            g.check(later + ms(20), a, 1),
            Admission::Drop(DropReason::Rate)
        );
    }

    #[test]
    fn ipv6_sources_share_their_slash_64() {
        let mut g = Guard::new(GuardConfig {
            burst: 2,
            ..GuardConfig::default()
        });
        let t0 = Instant::now();
        assert_eq!(g.check(t0, ip("2001:db8::1"), 1), Admission::Pass);
        assert_eq!(g.check(t0, ip("2001:db8::2"), 1), Admission::Pass);
        assert_eq!(
            g.check(t0, ip("2001:db8::3"), 1),
            Admission::Drop(DropReason::Rate)
        );
        assert_eq!(g.check(t0, ip("2001:db8:0:1::1"), 1), Admission::Pass);
        // An IPv4-mapped address is its IPv4 address.
        assert_eq!(g.check(t0, ip("::ffff:192.0.2.1"), 1), Admission::Pass);
        assert_eq!(g.check(t0, ip("192.0.2.1"), 1), Admission::Pass);
        assert_eq!(
            g.check(t0, ip("192.0.2.1"), 1),
            Admission::Drop(DropReason::Rate)
        );
    }

    #[test]
    fn transaction_cap() {
        let mut g = Guard::new(GuardConfig {
            max_transactions: 10,
            ..GuardConfig::default()
        });
        let t0 = Instant::now();
        assert_eq!(g.check(t0, ip("192.0.2.1"), 10), Admission::Pass);
        assert_eq!(
            g.check(t0, ip("192.0.2.1"), 11),
            Admission::Drop(DropReason::Transactions)
        );
        let mut off = Guard::new(GuardConfig {
            max_transactions: 0,
            ..GuardConfig::default()
        });
        assert_eq!(off.check(t0, ip("192.0.2.1"), 1_000_000), Admission::Pass);
    }

    #[test]
    fn rate_zero_disables_the_limit() {
        let mut g = Guard::new(GuardConfig {
            rate: 0,
            ..GuardConfig::default()
        });
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert_eq!(g.check(t0, ip("192.0.2.1"), 1), Admission::Pass);
        }
    }

    #[test]
    fn lockout_after_failures_within_the_window() {
        let mut g = Guard::new(GuardConfig::default());
        let t0 = Instant::now();
        let a = ip("198.51.100.9");
        // Four failures spread over more than the window do not lock out.
        for i in 0..4u64 {
            assert!(!g.auth_failed(t0 + Duration::from_secs(i * 30), a));
        }
        assert!(!g.is_locked_out(t0 + Duration::from_secs(120), a));
        // Five within 60 s do.
        let t1 = t0 + Duration::from_secs(1000);
        for i in 0..4u64 {
            assert!(!g.auth_failed(t1 + Duration::from_secs(i), a));
        }
        assert!(g.auth_failed(t1 + Duration::from_secs(4), a));
        let t2 = t1 + Duration::from_secs(5);
        assert!(g.is_locked_out(t2, a));
        assert_eq!(g.check(t2, a, 1), Admission::Drop(DropReason::LockedOut));
        assert_eq!(g.check(t2, ip("198.51.100.10"), 1), Admission::Pass);
        // Still locked just before the 5 minutes, free after.
        let end = t1 + Duration::from_secs(4) + Duration::from_secs(300);
        assert_eq!(
            g.check(end - ms(1), a, 1),
            Admission::Drop(DropReason::LockedOut)
        );
        assert_eq!(g.check(end, a, 1), Admission::Pass);
        assert!(!g.is_locked_out(end, a));
    }

    #[test]
    fn drops_are_reported_once_per_interval_and_idle_sources_forgotten() {
        let mut g = Guard::new(GuardConfig {
            burst: 1,
            rate: 1,
            ..GuardConfig::default()
        });
        let t0 = Instant::now();
        let a = ip("192.0.2.50");
        assert_eq!(g.check(t0, a, 1), Admission::Pass);
        for i in 0..100 {
            assert_eq!(g.check(t0 + ms(i), a, 1), Admission::Drop(DropReason::Rate));
        }
        let r = g.sweep(t0 + ms(100));
        assert_eq!(
            r,
            vec![DropReport {
                source: a,
                dropped: 100,
                reason: DropReason::Rate
            }]
        );
        // More drops within the interval wait for it to pass.
        for i in 0..5 {
            g.check(t0 + ms(200 + i), a, 1);
        }
        assert!(g.sweep(t0 + ms(300)).is_empty());
        assert!(g.sweep(t0 + ms(9000)).is_empty());
        let r = g.sweep(t0 + ms(10_100));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].dropped, 5);
        assert_eq!(g.tracked(), 1);
        // Nothing more to say and the bucket is full again: forgotten.
        assert!(g.sweep(t0 + Duration::from_secs(30)).is_empty());
        assert_eq!(g.tracked(), 0);
    }

    #[test]
    fn memory_is_bounded() {
        let mut g = Guard::new(GuardConfig {
            burst: 1,
            ..GuardConfig::default()
        });
        let t0 = Instant::now();
        for i in 0..(MAX_SOURCES as u32 + 1000) {
            let a = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            g.check(t0, a, 1);
        }
        assert!(g.tracked() <= MAX_SOURCES + 1, "{}", g.tracked());
    }
}
