use std::collections::HashMap;
use std::sync::{Arc, Barrier};
use std::thread;

use faxvox_spool::{Spool, StateName};

use crate::*;

/// 8 threads race to claim 50 jobs; half share one `Spool`, half open their own
/// (as separate processes would). Every job is claimed exactly once.
#[test]
fn eight_threads_claim_fifty_jobs_each_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let mut ids: Vec<_> = (0..50)
        .map(|i| enqueue_fax(&spool, t0() + i * SEC, &format!("caller-{i}")))
        .collect();
    ids.sort();
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let barrier = barrier.clone();
            let shared = spool.clone();
            let root = tmp.path().to_path_buf();
            thread::spawn(move || {
                let spool = if t % 2 == 0 {
                    shared
                } else {
                    Spool::open(&root, opts(), t0()).unwrap().0
                };
                let worker = format!("worker-{t}");
                barrier.wait();
                let mut mine = Vec::new();
                let now = t0() + HOUR;
                while let Some(c) = spool.claim_due(now, &worker, HOUR).unwrap() {
                    spool
                        .complete(now, &c, &format!("250 by {worker}"))
                        .unwrap();
                    mine.push(c.id);
                }
                (worker, mine)
            })
        })
        .collect();
    let mut by_job: HashMap<_, Vec<String>> = HashMap::new();
    for h in handles {
        let (worker, mine) = h.join().unwrap();
        for id in mine {
            by_job.entry(id).or_default().push(worker.clone());
        }
    }
    let mut claimed: Vec<_> = by_job.keys().cloned().collect();
    claimed.sort();
    assert_eq!(claimed, ids, "every job claimed");
    for (id, workers) in &by_job {
        assert_eq!(workers.len(), 1, "{id} claimed by {workers:?}");
        let m = spool.get(id).unwrap().manifest.unwrap();
        assert_eq!(m.state.name(), StateName::Delivered);
        assert_eq!(m.attempts, 1);
        let sends = m
            .history
            .iter()
            .filter(|h| h.to == StateName::Sending)
            .count();
        assert_eq!(sends, 1, "{id}: one claim in the history");
    }
}

/// Several processes starting at once all run recovery over the same leftovers:
/// each leftover is handled exactly once and nobody reports an error.
#[test]
fn concurrent_recoveries_handle_each_leftover_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    open(&root);
    let mut cut = Vec::new();
    for i in 0..10u32 {
        let id = faxvox_spool::JobId::generate(t0() + i * SEC);
        let dir = root.join(format!(".tmp-{id}"));
        std::fs::create_dir(&dir).unwrap();
        if i % 2 == 0 {
            std::fs::write(dir.join("message.wav"), b"data").unwrap();
            cut.push(id);
        }
    }
    let later = std::time::SystemTime::now() + 2 * MIN;
    let barrier = Arc::new(Barrier::new(4));
    let reports: Vec<_> = (0..4)
        .map(|_| {
            let (root, barrier) = (root.clone(), barrier.clone());
            thread::spawn(move || {
                // open recovers too (a no-op here unless the clock is odd): count both.
                let (spool, mut report) = Spool::open(&root, opts(), t0()).unwrap();
                barrier.wait();
                let r = spool.recover(later).unwrap();
                report.salvaged.extend(r.salvaged);
                report.removed_temp.extend(r.removed_temp);
                report.errors.extend(r.errors);
                report
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    let mut salvaged: Vec<_> = reports
        .iter()
        .flat_map(|r| r.salvaged.iter().map(|(id, _)| id.clone()))
        .collect();
    salvaged.sort();
    cut.sort();
    assert_eq!(salvaged, cut, "each cut capture salvaged once");
    let removed: usize = reports.iter().map(|r| r.removed_temp.len()).sum();
    assert_eq!(removed, 5);
    assert!(reports.iter().all(|r| r.errors.is_empty()), "{reports:#?}");
    assert_eq!(entries(&root), ["quarantine"]);
    assert_eq!(entries(&root.join("quarantine")).len(), 5);
}
