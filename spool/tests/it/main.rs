//! Integration tests of the spool over real files in temp folders. One test
//! binary (modules below) to keep link time down.

mod concurrency;
mod disk_guard;
mod due_index;
mod lifecycle;
mod listing;
mod modes;
mod purge;
mod quarantine;
mod recovery;
mod retry;

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use faxvox_spool::{DiskUsage, JobId, JobKind, Media, Spool, SpoolOptions};
use serde_json::{Map, Value};

pub const MIN: Duration = Duration::from_secs(60);
pub const HOUR: Duration = Duration::from_secs(3600);
pub const DAY: Duration = Duration::from_secs(86_400);
pub const SEC: Duration = Duration::from_secs(1);

/// 2026-11-27T07:15:30Z: simulated time, independent of the machine's clock.
pub fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_763_730)
}

/// Options with a simulated half-full disk.
pub fn opts() -> SpoolOptions {
    SpoolOptions::default().with_disk_usage(|_: &Path| Ok(DiskUsage::simulated(0.5)))
}

pub fn open(dir: &Path) -> Spool {
    Spool::open(dir, opts(), t0()).unwrap().0
}

pub fn facts(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("facts must be an object, got {other}"),
    }
}

/// A one-page fax job.
pub fn enqueue_fax(spool: &Spool, now: SystemTime, caller: &str) -> JobId {
    spool
        .enqueue(
            now,
            JobKind::Fax,
            facts(serde_json::json!({ "caller": caller })),
            &[("page-001.tiff", Media::Bytes(b"II*\0fake tiff"))],
        )
        .unwrap()
}

/// Names in a folder, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
