//! A Prometheus histogram on atomics: fixed bucket bounds, one relaxed add per bucket hit,
//! the sum kept in microseconds so it stays an integer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Most buckets a histogram may have (its `+Inf` bucket not counted).
const MAX_BUCKETS: usize = 16;

/// Observations of a duration, counted per bucket.
pub struct Histogram {
    /// Upper bounds in seconds, ascending.
    bounds: &'static [f64],
    /// Observations per bucket (not cumulative); the slot after the last bound is `+Inf`.
    counts: [AtomicU64; MAX_BUCKETS + 1],
    sum_micros: AtomicU64,
}

/// A histogram as read at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// (upper bound in seconds, cumulative count), ascending, without `+Inf`.
    pub buckets: Vec<(f64, u64)>,
    /// Every observation (the `+Inf` bucket).
    pub count: u64,
    /// Sum of the observations, seconds.
    pub sum: f64,
}

impl Histogram {
    /// An empty histogram with these bounds (at most 16, ascending).
    pub const fn new(bounds: &'static [f64]) -> Histogram {
        assert!(bounds.len() <= MAX_BUCKETS);
        Histogram {
            bounds,
            counts: [const { AtomicU64::new(0) }; MAX_BUCKETS + 1],
            sum_micros: AtomicU64::new(0),
        }
    }

    /// Counts one observation.
    pub fn observe(&self, value: Duration) {
        let secs = value.as_secs_f64();
        let at = self
            .bounds
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(self.bounds.len());
        self.counts[at].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(value.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The cumulative counts. Read bucket by bucket, so a scrape racing an observation may
    /// see it in `count` and not yet in a bucket: `count` is the sum of the buckets read,
    /// so the exposition stays consistent.
    pub fn snapshot(&self) -> Snapshot {
        let mut total = 0u64;
        let mut buckets = Vec::with_capacity(self.bounds.len());
        for (i, bound) in self.bounds.iter().enumerate() {
            total += self.counts[i].load(Ordering::Relaxed);
            buckets.push((*bound, total));
        }
        total += self.counts[self.bounds.len()].load(Ordering::Relaxed);
        Snapshot {
            buckets,
            count: total,
            sum: self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_bounds_inclusive() {
        static BOUNDS: [f64; 3] = [1.0, 5.0, 10.0];
        let h = Histogram::new(&BOUNDS);
        for ms in [500, 1000, 4000, 20_000] {
            h.observe(Duration::from_millis(ms));
        }
        let s = h.snapshot();
        assert_eq!(s.buckets, vec![(1.0, 2), (5.0, 3), (10.0, 3)]);
        assert_eq!(s.count, 4);
        assert!((s.sum - 25.5).abs() < 1e-9);
    }
}
