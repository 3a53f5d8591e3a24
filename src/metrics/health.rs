//! Whether the node should get new calls: `/readyz`, `faxvox_ready` and the answer to SIP
//! OPTIONS (200 or 503, so a dispatcher's probe takes a sick or draining node out by itself).
//!
//! Three facts, each an atomic so the OPTIONS path never waits: the database answered its
//! last trivial query, the spool disk is below its high-water mark (both refreshed by the
//! sampler of `faxvox serve` every [`CHECK_EVERY`]), and the node is not draining (set at
//! once on SIGTERM).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// How often the sampler checks the database and the spool disk.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// The node's readiness. Ready until told otherwise.
#[derive(Debug, Default)]
pub struct Readiness {
    draining: AtomicBool,
    database_down: AtomicBool,
    spool_full: AtomicBool,
    /// Why the database or the spool check failed, for the body of `/readyz`.
    details: Mutex<Details>,
}

#[derive(Debug, Default)]
struct Details {
    database: String,
    spool: String,
}

impl Readiness {
    /// A ready node.
    pub fn new() -> Readiness {
        Readiness::default()
    }

    /// True when every check passed and the node is not draining.
    pub fn is_ready(&self) -> bool {
        !self.draining.load(Ordering::Acquire)
            && !self.database_down.load(Ordering::Acquire)
            && !self.spool_full.load(Ordering::Acquire)
    }

    /// `Ok` when ready, else why not (one line per reason).
    pub fn check(&self) -> Result<(), String> {
        if self.is_ready() {
            return Ok(());
        }
        let details = self
            .details
            .lock()
            .map(|d| (d.database.clone(), d.spool.clone()));
        let (database, spool) = details.unwrap_or_default();
        let mut reasons = Vec::new();
        if self.draining.load(Ordering::Acquire) {
            reasons.push("draining: the node is shutting down".to_string());
        }
        if self.database_down.load(Ordering::Acquire) {
            reasons.push(format!("database: {database}"));
        }
        if self.spool_full.load(Ordering::Acquire) {
            reasons.push(format!("spool: {spool}"));
        }
        Err(reasons.join("\n"))
    }

    /// The node stops taking calls (SIGTERM): not ready from now on.
    pub fn set_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }

    /// Whether the node is draining.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    /// The result of the last database check (`Err`: why it failed).
    pub fn set_database(&self, result: Result<(), String>) {
        if let Err(e) = &result {
            if let Ok(mut d) = self.details.lock() {
                d.database = e.clone();
            }
        }
        self.database_down.store(result.is_err(), Ordering::Release);
    }

    /// The result of the last spool disk check (`Err`: why it is over its mark).
    pub fn set_spool(&self, result: Result<(), String>) {
        if let Err(e) = &result {
            if let Ok(mut d) = self.details.lock() {
                d.spool = e.clone();
            }
        }
        self.spool_full.store(result.is_err(), Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_makes_the_node_unready_and_is_named() {
        let r = Readiness::new();
        assert_eq!(r.check(), Ok(()));
        r.set_spool(Err("disk 95 % used, above the 90 % mark".into()));
        assert!(!r.is_ready());
        assert_eq!(
            r.check().unwrap_err(),
            "spool: disk 95 % used, above the 90 % mark"
        );
        r.set_spool(Ok(()));
        r.set_database(Err("connection refused".into()));
        r.set_draining();
        let why = r.check().unwrap_err();
        assert!(why.starts_with("draining"), "{why}");
        assert!(why.contains("database: connection refused"), "{why}");
        r.set_database(Ok(()));
        assert!(!r.is_ready(), "draining is for good");
    }
}
