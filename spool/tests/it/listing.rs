//! Paged listing: every job once across pages (live and quarantined), a page reads only its
//! own records, and a record that cannot be read does not fail a listing.

use std::collections::HashSet;
use std::fs;

use faxvox_spool::{JobId, ListFilter, StateName};

use crate::*;

/// Walks every page of `limit` jobs; returns the ids seen and the records read per page.
fn walk(spool: &faxvox_spool::Spool, limit: usize) -> (Vec<(JobId, bool)>, Vec<u64>) {
    let mut seen = Vec::new();
    let mut reads = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let before = spool.listed_reads();
        let page = spool
            .list_page(after.as_deref(), limit, 1000, |_| true)
            .unwrap();
        reads.push(spool.listed_reads() - before);
        assert!(page.jobs.len() <= limit);
        seen.extend(page.jobs.iter().map(|j| (j.id.clone(), j.quarantined)));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
        assert!(reads.len() < 100, "the pages never end");
    }
    (seen, reads)
}

#[test]
fn pages_see_every_job_once_and_read_only_their_records() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let spool = open(root);
    let mut ids = Vec::new();
    for i in 0..17 {
        ids.push(enqueue_fax(&spool, t0() + SEC * i, &format!("c{i}")));
    }
    // Two of them end in quarantine (a broken manifest met by a claim).
    for id in [&ids[3], &ids[11]] {
        fs::write(root.join(id.as_str()).join("manifest.json"), b"{ nope").unwrap();
    }
    let now = t0() + MIN;
    while let Some(c) = spool.claim_due(now, "w", MIN).unwrap() {
        spool.complete(now, &c, "250").unwrap();
    }
    assert_eq!(
        spool
            .list(&ListFilter::state(StateName::Quarantined))
            .unwrap()
            .len(),
        2
    );
    for limit in [1, 4, 5, 17, 50] {
        let (seen, reads) = walk(&spool, limit);
        let got: Vec<&JobId> = seen.iter().map(|(id, _)| id).collect();
        assert_eq!(got, ids.iter().collect::<Vec<_>>(), "limit {limit}");
        let quarantined: HashSet<&JobId> =
            seen.iter().filter(|(_, q)| *q).map(|(id, _)| id).collect();
        assert_eq!(quarantined, HashSet::from([&ids[3], &ids[11]]));
        assert!(
            reads.iter().all(|&r| r as usize <= limit),
            "limit {limit}: records read per page {reads:?}"
        );
    }
    // A filter that keeps little: each page stops after max_reads records and goes on.
    let mut after: Option<String> = None;
    let mut kept = Vec::new();
    loop {
        let before = spool.listed_reads();
        let page = spool
            .list_page(after.as_deref(), 10, 3, |j| j.quarantined)
            .unwrap();
        assert!(spool.listed_reads() - before <= 3);
        kept.extend(page.jobs.into_iter().map(|j| j.id));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(kept, [ids[3].clone(), ids[11].clone()]);
}

#[test]
fn an_unreadable_record_is_listed_with_its_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let spool = open(root);
    let a = enqueue_fax(&spool, t0(), "a");
    let b = enqueue_fax(&spool, t0() + SEC, "b");
    let c = enqueue_fax(&spool, t0() + 2 * SEC, "c");
    // A manifest that cannot be read at all: an I/O error, not bad JSON.
    let m = root.join(b.as_str()).join("manifest.json");
    fs::remove_file(&m).unwrap();
    fs::create_dir(&m).unwrap();
    let all = spool.list(&ListFilter::default()).unwrap();
    assert_eq!(
        all.iter().map(|j| j.id.clone()).collect::<Vec<_>>(),
        [a.clone(), b.clone(), c.clone()]
    );
    let bad = &all[1];
    assert!(bad.manifest.is_none());
    assert!(
        bad.problem.as_deref().unwrap().contains("unreadable"),
        "{:?}",
        bad.problem
    );
    let page = spool.list_page(None, 10, 10, |_| true).unwrap();
    assert_eq!(page.jobs.len(), 3);
    assert!(page.next.is_none());
}
