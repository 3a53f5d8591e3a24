//! A deterministic simulated network link for tests and `fax-sim`.
//!
//! A [`Link`] carries datagrams one way. Each datagram sent at time `now` is lost with some
//! probability (uniform or bursty Gilbert-Elliott), optionally duplicated, and otherwise delivered
//! at `now + base_delay + U(0, jitter)`. Because every datagram draws its own jitter, a jitter
//! larger than the send interval reorders packets, as a real path does. All randomness comes from
//! a [`SmallRng`] seeded from [`LinkConfig::seed`], so a run with the same seed and the same call
//! sequence repeats exactly.
//!
//! **Time.** `now` is a [`Duration`] since an arbitrary simulation epoch (the caller's "time
//! zero"). Nothing here reads a clock; a simulator advances time by jumping to
//! [`Link::next_arrival`] or by fixed ticks.
//!
//! ```
//! use std::time::Duration;
//! use faxvox::media::netsim::{Link, LinkConfig};
//!
//! let mut link = Link::new(LinkConfig { loss_pct: 0.0, jitter_ms: 30, base_delay_ms: 40, seed: 7, ..Default::default() });
//! for i in 0..10u8 {
//!     link.send(Duration::from_millis(20 * i as u64), vec![i]);
//! }
//! let mut got = Vec::new();
//! while let Some(at) = link.next_arrival() {
//!     while let Some(d) = link.poll(at) {
//!         got.push(d[0]);
//!     }
//! }
//! got.sort();
//! assert_eq!(got, (0..10).collect::<Vec<u8>>());
//! assert_eq!(link.stats().delivered, 10);
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Bursty loss model (Gilbert-Elliott two-state Markov chain), evaluated once per sent datagram.
///
/// Real paths lose packets in bursts, which is what defeats UDPTL redundancy; a uniform loss rate
/// alone is too kind. In the good state datagrams are lost with [`LinkConfig::loss_pct`]; in the
/// bad state with `bad_loss_pct`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GilbertElliott {
    /// Probability (percent) of moving from the good to the bad state before each datagram.
    pub enter_bad_pct: f64,
    /// Probability (percent) of moving from the bad back to the good state before each datagram.
    pub leave_bad_pct: f64,
    /// Loss probability (percent) while in the bad state.
    pub bad_loss_pct: f64,
}

/// Parameters of a simulated one-way link.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkConfig {
    /// Probability (percent, 0–100) that a datagram is dropped (good state, if bursty).
    pub loss_pct: f64,
    /// Extra delay drawn uniformly from `0..=jitter_ms` per datagram; reorders packets.
    pub jitter_ms: u32,
    /// Fixed one-way delay added to every datagram.
    pub base_delay_ms: u32,
    /// Seed of the link's random generator; equal seeds give identical runs.
    pub seed: u64,
    /// Probability (percent) that a delivered datagram also arrives a second time (own jitter).
    pub duplicate_pct: f64,
    /// Optional bursty loss; `None` means independent (Bernoulli) loss at `loss_pct`.
    pub burst: Option<GilbertElliott>,
}

impl Default for LinkConfig {
    /// A perfect link: no loss, no jitter, no delay, seed 0.
    fn default() -> Self {
        LinkConfig {
            loss_pct: 0.0,
            jitter_ms: 0,
            base_delay_ms: 0,
            seed: 0,
            duplicate_pct: 0.0,
            burst: None,
        }
    }
}

/// Counters of what the link did, for assertions and the `fax-sim` report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Datagrams handed to [`Link::send`].
    pub sent: u64,
    /// Datagrams the link dropped.
    pub dropped: u64,
    /// Extra copies the link injected.
    pub duplicated: u64,
    /// Datagrams (including duplicates) returned by [`Link::poll`].
    pub delivered: u64,
}

/// A deterministic, lossy, jittery one-way datagram link. See the module docs.
#[derive(Debug)]
pub struct Link {
    config: LinkConfig,
    rng: SmallRng,
    /// In flight, keyed by (arrival time, send order) so equal arrival times stay FIFO.
    in_flight: BTreeMap<(Duration, u64), Vec<u8>>,
    counter: u64,
    bad_state: bool,
    stats: LinkStats,
}

impl Link {
    /// Creates a link; out-of-range percentages are clamped to 0–100.
    pub fn new(config: LinkConfig) -> Self {
        let rng = SmallRng::seed_from_u64(config.seed);
        Link {
            config,
            rng,
            in_flight: BTreeMap::new(),
            counter: 0,
            bad_state: false,
            stats: LinkStats::default(),
        }
    }

    /// The configuration the link was built with.
    pub fn config(&self) -> &LinkConfig {
        &self.config
    }

    /// Sends one datagram at `now`; it is dropped, or scheduled (possibly twice) for delivery.
    pub fn send(&mut self, now: Duration, datagram: impl Into<Vec<u8>>) {
        let datagram = datagram.into();
        self.stats.sent += 1;
        let loss_pct = match self.config.burst {
            None => self.config.loss_pct,
            Some(ge) => {
                let flip = if self.bad_state {
                    ge.leave_bad_pct
                } else {
                    ge.enter_bad_pct
                };
                if self.chance(flip) {
                    self.bad_state = !self.bad_state;
                }
                if self.bad_state {
                    ge.bad_loss_pct
                } else {
                    self.config.loss_pct
                }
            }
        };
        if self.chance(loss_pct) {
            self.stats.dropped += 1;
            return;
        }
        if self.chance(self.config.duplicate_pct) {
            self.stats.duplicated += 1;
            self.schedule(now, datagram.clone());
        }
        self.schedule(now, datagram);
    }

    /// Returns the next datagram whose arrival time is `<= now`, earliest first.
    pub fn poll(&mut self, now: Duration) -> Option<Vec<u8>> {
        let entry = self.in_flight.first_entry()?;
        if entry.key().0 > now {
            return None;
        }
        self.stats.delivered += 1;
        Some(entry.remove())
    }

    /// Arrival time of the earliest datagram still in flight, for event-driven simulators.
    pub fn next_arrival(&self) -> Option<Duration> {
        self.in_flight.keys().next().map(|k| k.0)
    }

    /// Number of datagrams currently in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// What the link has done so far.
    pub fn stats(&self) -> LinkStats {
        self.stats
    }

    fn schedule(&mut self, now: Duration, datagram: Vec<u8>) {
        let jitter_us = if self.config.jitter_ms == 0 {
            0
        } else {
            self.rng
                .random_range(0..=u64::from(self.config.jitter_ms) * 1000)
        };
        let arrival = now
            + Duration::from_millis(u64::from(self.config.base_delay_ms))
            + Duration::from_micros(jitter_us);
        self.counter += 1;
        self.in_flight.insert((arrival, self.counter), datagram);
    }

    /// Draws a Bernoulli trial with probability `pct` percent. Always consumes one random number
    /// so that changing a percentage never shifts the rest of the random sequence.
    fn chance(&mut self, pct: f64) -> bool {
        let x: f64 = self.rng.random();
        let p = if pct.is_nan() {
            0.0
        } else {
            pct.clamp(0.0, 100.0) / 100.0
        };
        x < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    /// Sends `n` one-byte-index datagrams every 20 ms and drains everything, returning the
    /// arrival order of the indices and their arrival times.
    fn run(config: LinkConfig, n: u16) -> (Vec<u16>, Vec<Duration>, LinkStats) {
        let mut link = Link::new(config);
        let mut order = Vec::new();
        let mut times = Vec::new();
        for i in 0..n {
            link.send(ms(20 * u64::from(i)), i.to_be_bytes().to_vec());
        }
        while let Some(at) = link.next_arrival() {
            while let Some(d) = link.poll(at) {
                order.push(u16::from_be_bytes([d[0], d[1]]));
                times.push(at);
            }
        }
        (order, times, link.stats())
    }

    #[test]
    fn perfect_link_delivers_in_order_after_base_delay() {
        let mut link = Link::new(LinkConfig {
            base_delay_ms: 50,
            ..Default::default()
        });
        link.send(ms(0), vec![1]);
        link.send(ms(20), vec![2]);
        assert_eq!(link.next_arrival(), Some(ms(50)));
        assert_eq!(link.poll(ms(49)), None, "nothing arrives early");
        assert_eq!(link.poll(ms(50)), Some(vec![1]));
        assert_eq!(link.poll(ms(50)), None);
        assert_eq!(link.poll(ms(100)), Some(vec![2]));
        assert_eq!(
            link.stats(),
            LinkStats {
                sent: 2,
                dropped: 0,
                duplicated: 0,
                delivered: 2
            }
        );
    }

    #[test]
    fn same_seed_same_run_different_seed_different_run() {
        let cfg = |seed| LinkConfig {
            loss_pct: 10.0,
            jitter_ms: 60,
            base_delay_ms: 10,
            seed,
            duplicate_pct: 5.0,
            burst: None,
        };
        let a = run(cfg(42), 500);
        let b = run(cfg(42), 500);
        assert_eq!(a, b, "a seeded link must repeat exactly");
        let c = run(cfg(43), 500);
        assert_ne!(a.0, c.0, "another seed should give another run");
    }

    #[test]
    fn jitter_reorders_and_stays_within_bounds() {
        let (order, times, stats) = run(
            LinkConfig {
                jitter_ms: 60,
                base_delay_ms: 30,
                seed: 1,
                ..Default::default()
            },
            200,
        );
        assert_eq!(stats.delivered, 200);
        let inversions = order.windows(2).filter(|w| w[0] > w[1]).count();
        assert!(
            inversions > 10,
            "60 ms jitter on 20 ms spacing must reorder, got {inversions}"
        );
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            (0..200).collect::<Vec<_>>(),
            "nothing lost or invented"
        );
        for (idx, t) in order.iter().zip(&times) {
            let sent = ms(20 * u64::from(*idx));
            assert!(
                *t >= sent + ms(30) && *t <= sent + ms(90),
                "arrival {t:?} for {idx}"
            );
        }
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "poll yields by arrival time"
        );
    }

    #[test]
    fn no_jitter_keeps_order() {
        let (order, _, _) = run(
            LinkConfig {
                base_delay_ms: 5,
                seed: 3,
                ..Default::default()
            },
            100,
        );
        assert_eq!(order, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn loss_rate_is_roughly_honoured_and_counted() {
        let (order, _, stats) = run(
            LinkConfig {
                loss_pct: 20.0,
                seed: 9,
                ..Default::default()
            },
            5000,
        );
        assert_eq!(stats.sent, 5000);
        assert_eq!(stats.dropped + stats.delivered, 5000);
        assert_eq!(order.len() as u64, stats.delivered);
        assert!(
            (800..1200).contains(&stats.dropped),
            "dropped {}",
            stats.dropped
        );
    }

    #[test]
    fn duplicates_are_injected_and_counted() {
        let (order, _, stats) = run(
            LinkConfig {
                duplicate_pct: 10.0,
                seed: 5,
                ..Default::default()
            },
            2000,
        );
        assert!(
            (120..280).contains(&stats.duplicated),
            "dup {}",
            stats.duplicated
        );
        assert_eq!(stats.delivered, 2000 + stats.duplicated);
        assert_eq!(order.len() as u64, stats.delivered);
    }

    #[test]
    fn gilbert_elliott_loses_in_bursts() {
        let burst = GilbertElliott {
            enter_bad_pct: 2.0,
            leave_bad_pct: 25.0,
            bad_loss_pct: 100.0,
        };
        let (order, _, stats) = run(
            LinkConfig {
                seed: 11,
                burst: Some(burst),
                ..Default::default()
            },
            5000,
        );
        assert!(stats.dropped > 100, "dropped {}", stats.dropped);
        // Gaps in the delivered index sequence are the loss bursts.
        let gaps: Vec<u16> = order
            .windows(2)
            .map(|w| w[1] - w[0] - 1)
            .filter(|g| *g > 0)
            .collect();
        let mean = gaps.iter().map(|g| f64::from(*g)).sum::<f64>() / gaps.len() as f64;
        assert!(
            mean > 2.0,
            "bursty loss should average several packets, got {mean}"
        );
    }

    #[test]
    fn silly_percentages_are_clamped() {
        let (_, _, stats) = run(
            LinkConfig {
                loss_pct: 250.0,
                duplicate_pct: f64::NAN,
                ..Default::default()
            },
            10,
        );
        assert_eq!(stats.dropped, 10);
        let (_, _, stats) = run(
            LinkConfig {
                loss_pct: -5.0,
                ..Default::default()
            },
            10,
        );
        assert_eq!(stats.delivered, 10);
    }
}
