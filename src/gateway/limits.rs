//! Calls in progress per source, per account and per line, besides the global `max_calls`:
//! one caller, or one line's junk faxer, must not hold every slot. Counted with guards that
//! give the slot back when the call ends, however it ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What a count is kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// A source address outside the trusted networks.
    Source,
    /// An account (the owner of the line called).
    Account,
    /// A line (an alias counts on its target).
    Line,
}

/// The counts of the calls in progress, by scope and key. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct CallCounts {
    counts: Arc<Mutex<HashMap<(Scope, String), u32>>>,
}

/// One call counted under one key; dropping it gives the slot back.
#[derive(Debug)]
pub struct Held {
    counts: Arc<Mutex<HashMap<(Scope, String), u32>>>,
    key: (Scope, String),
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().expect("call counts lock");
        if let Some(n) = counts.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

impl CallCounts {
    /// No call counted yet.
    pub fn new() -> CallCounts {
        CallCounts::default()
    }

    /// Counts one more call for `key` in `scope` when fewer than `limit` are in progress
    /// (`limit` 0: no limit, nothing counted); `None` when the limit is reached.
    pub fn take(&self, scope: Scope, key: &str, limit: u32) -> Option<Option<Held>> {
        if limit == 0 {
            return Some(None);
        }
        let mut counts = self.counts.lock().expect("call counts lock");
        let n = counts.entry((scope, key.to_string())).or_insert(0);
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(Some(Held {
            counts: self.counts.clone(),
            key: (scope, key.to_string()),
        }))
    }

    /// Calls counted for `key` in `scope`.
    pub fn count(&self, scope: Scope, key: &str) -> u32 {
        self.counts
            .lock()
            .expect("call counts lock")
            .get(&(scope, key.to_string()))
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_per_key_and_release_on_drop() {
        let c = CallCounts::new();
        let a = c.take(Scope::Line, "+33100000001", 2).unwrap();
        let b = c.take(Scope::Line, "+33100000001", 2).unwrap();
        assert!(c.take(Scope::Line, "+33100000001", 2).is_none());
        // Another line, or the same key in another scope, is counted apart.
        assert!(c.take(Scope::Line, "+33100000002", 2).unwrap().is_some());
        let acc = c.take(Scope::Account, "+33100000001", 2).unwrap();
        assert_eq!(c.count(Scope::Line, "+33100000001"), 2);
        drop(a);
        assert_eq!(c.count(Scope::Line, "+33100000001"), 1);
        let again = c.take(Scope::Line, "+33100000001", 2).unwrap();
        drop((b, again, acc));
        assert_eq!(c.count(Scope::Line, "+33100000001"), 0);
        // Nothing left behind.
        assert!(c.counts.lock().unwrap().is_empty());
        // 0: no limit and nothing counted.
        for _ in 0..100 {
            assert!(c.take(Scope::Source, "192.0.2.1", 0).unwrap().is_none());
        }
        assert!(c.counts.lock().unwrap().is_empty());
    }
}
