use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use faxvox_spool::{DiskFull, DiskUsage, JobKind, Media, Spool, SpoolError};

use crate::*;

#[test]
fn refuses_at_91_percent_accepts_at_89() {
    let tmp = tempfile::tempdir().unwrap();
    // Usage in per-mille, changed by the test while the spool runs.
    let used = Arc::new(AtomicU32::new(910));
    let source = {
        let used = used.clone();
        move |_: &Path| {
            Ok(DiskUsage::simulated(
                used.load(Ordering::SeqCst) as f64 / 1000.0,
            ))
        }
    };
    let spool = Spool::open(
        tmp.path(),
        SpoolOptions::default().with_disk_usage(source),
        t0(),
    )
    .unwrap()
    .0;

    let err = spool
        .enqueue(
            t0(),
            JobKind::Fax,
            Default::default(),
            &[("p.tiff", Media::Bytes(b"x"))],
        )
        .unwrap_err();
    assert!(err.is_disk_full());
    match &err {
        SpoolError::DiskFull(DiskFull::HighWater { used, limit }) => {
            assert!((used - 0.91).abs() < 1e-9, "{used}");
            assert_eq!(*limit, 0.90);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("91.0 %"), "{err}");
    assert!(spool
        .begin(t0(), JobKind::Voicemail, Default::default())
        .unwrap_err()
        .is_disk_full());
    assert!(spool.check_capacity().is_err());
    assert_eq!(
        entries(tmp.path()),
        ["quarantine"],
        "nothing written when refused"
    );

    used.store(890, Ordering::SeqCst);
    let id = spool
        .enqueue(
            t0(),
            JobKind::Fax,
            Default::default(),
            &[("p.tiff", Media::Bytes(b"x"))],
        )
        .unwrap();
    let b = spool
        .begin(t0() + SEC, JobKind::Voicemail, Default::default())
        .unwrap();
    // Above the mark again: delivery, and committing a call already accepted, go on.
    used.store(990, Ordering::SeqCst);
    b.commit(t0()).unwrap();
    let c = spool.claim_due(t0() + SEC, "w", MIN).unwrap().unwrap();
    assert_eq!(c.id, id, "the older job first");
    spool.complete(t0(), &c, "250").unwrap();
}

#[test]
fn an_unreadable_usage_source_does_not_stop_the_gateway() {
    let tmp = tempfile::tempdir().unwrap();
    let source = |_: &Path| -> io::Result<DiskUsage> { Err(io::Error::other("statvfs broke")) };
    let spool = Spool::open(
        tmp.path(),
        SpoolOptions::default().with_disk_usage(source),
        t0(),
    )
    .unwrap()
    .0;
    assert_eq!(spool.check_capacity().unwrap(), None);
    enqueue_fax(&spool, t0(), "x");
}

#[test]
fn real_statvfs_on_the_temp_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = Spool::open(
        tmp.path(),
        SpoolOptions::default().with_high_water(1.0),
        t0(),
    )
    .unwrap()
    .0;
    let usage = spool.check_capacity().unwrap().expect("statvfs works here");
    assert!(usage.total_bytes > 0);
    assert!(Spool::open(
        tmp.path(),
        SpoolOptions::default().with_high_water(1.5),
        t0()
    )
    .is_err());
}
