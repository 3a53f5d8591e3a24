//! The in-memory due index: a claim does not read the queue, yet every state change of this
//! process and of the others on the spool is seen.

use std::fs;
use std::path::Path;

use faxvox_spool::{FailOutcome, JobId, JobKind, Media, Spool, StateName};

use crate::*;

/// Copies the job folder `template` as `n` more jobs created one second apart after `from`
/// (folders written as another process would leave them; no fsync, to keep the test short).
fn clone_jobs(root: &Path, template: &JobId, from: SystemTime, n: u32) -> Vec<JobId> {
    let manifest = fs::read_to_string(root.join(template.as_str()).join("manifest.json")).unwrap();
    let media = fs::read(root.join(template.as_str()).join("page-001.tiff")).unwrap();
    (0..n)
        .map(|i| {
            let id = JobId::generate(from + i * SEC);
            let dir = root.join(id.as_str());
            fs::create_dir(&dir).unwrap();
            fs::write(dir.join(".lock"), b"").unwrap();
            fs::write(dir.join("page-001.tiff"), &media).unwrap();
            fs::write(
                dir.join("manifest.json"),
                manifest.replace(template.as_str(), id.as_str()),
            )
            .unwrap();
            id
        })
        .collect()
}

#[test]
fn a_claim_after_ten_thousand_queued_jobs_returns_the_due_one_without_reading_the_queue() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let spool = open(root);
    // One job failed once: retrying, due at t0 + 1 min (the default first delay).
    let template = enqueue_fax(&spool, t0(), "template");
    let c = spool.claim_due(t0(), "w", HOUR).unwrap().unwrap();
    let FailOutcome::Retrying { next_attempt } = spool.fail(t0(), &c, "421 busy", false).unwrap()
    else {
        panic!("a first temporary failure retries");
    };
    drop(c);
    let queued = clone_jobs(root, &template, t0() + SEC, 10_000);

    // Another process (a fresh handle) builds its index once, at its first claim.
    let other = Spool::open(root, opts(), t0()).unwrap().0;
    assert!(other.claim_due(t0() + SEC, "w2", HOUR).unwrap().is_none());
    let built = other.index_reads();
    assert!(
        built >= 10_001,
        "the first claim scanned the spool ({built} reads)"
    );
    assert_eq!(other.indexed_jobs(), 10_001);

    // A new message: the claim takes it at once and reads none of the 10 001 waiting jobs.
    let due = other
        .enqueue(
            t0() + 2 * SEC,
            JobKind::Voicemail,
            facts(serde_json::json!({"caller": "+33123"})),
            &[("message.wav", Media::Bytes(b"RIFF"))],
        )
        .unwrap();
    let c = other
        .claim_due(t0() + 3 * SEC, "w2", HOUR)
        .unwrap()
        .unwrap();
    assert_eq!(c.id, due);
    assert_eq!(
        other.index_reads(),
        built,
        "the claim read no other manifest"
    );
    other.complete(t0() + 3 * SEC, &c, "250 OK").unwrap();
    assert!(other
        .claim_due(t0() + 4 * SEC, "w2", HOUR)
        .unwrap()
        .is_none());

    // The retried jobs come back at their time, oldest first.
    assert_eq!(next_attempt, t0() + MIN);
    assert!(other
        .claim_due(next_attempt - SEC, "w2", HOUR)
        .unwrap()
        .is_none());
    let first = other.claim_due(next_attempt, "w2", HOUR).unwrap().unwrap();
    assert_eq!(first.id, template);
    assert_eq!(first.attempt, 2);
    let second = other.claim_due(next_attempt, "w2", HOUR).unwrap().unwrap();
    assert_eq!(second.id, queued[0]);
    assert_eq!(other.index_reads(), built, "no claim read the queue");
}

#[test]
fn a_retried_job_comes_back_at_its_time_and_not_before() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let id = enqueue_fax(&spool, t0(), "retry-me");
    let c = spool.claim_due(t0(), "w", HOUR).unwrap().unwrap();
    let FailOutcome::Retrying { next_attempt } = spool.fail(t0(), &c, "451 later", false).unwrap()
    else {
        panic!("retries");
    };
    drop(c);
    assert!(next_attempt > t0());
    assert!(spool
        .claim_due(next_attempt - SEC, "w", HOUR)
        .unwrap()
        .is_none());
    // A job committed meanwhile goes first while the retry waits.
    let fresh = enqueue_fax(&spool, t0() + SEC, "fresh");
    let c = spool.claim_due(t0() + 2 * SEC, "w", HOUR).unwrap().unwrap();
    assert_eq!(c.id, fresh);
    spool.complete(t0() + 2 * SEC, &c, "250 OK").unwrap();
    let again = spool.claim_due(next_attempt, "w", HOUR).unwrap().unwrap();
    assert_eq!(again.id, id);
    assert_eq!(again.attempt, 2);
    spool.complete(next_attempt, &again, "250 OK").unwrap();
    assert_eq!(spool.get(&id).unwrap().state(), Some(StateName::Delivered));
    assert!(spool
        .claim_due(next_attempt + DAY, "w", HOUR)
        .unwrap()
        .is_none());
}

#[test]
fn changes_made_by_another_process_are_seen_by_the_next_claim() {
    let tmp = tempfile::tempdir().unwrap();
    let a = open(tmp.path());
    let b = Spool::open(tmp.path(), opts(), t0()).unwrap().0;
    assert!(a.claim_due(t0(), "a", HOUR).unwrap().is_none());

    // A job committed by the other process.
    let id = enqueue_fax(&b, t0(), "from-b");
    let c = a.claim_due(t0(), "a", HOUR).unwrap().unwrap();
    assert_eq!(c.id, id);
    // Given up for good; the other process's admin retry brings it back at once.
    a.fail(t0(), &c, "550 no such user", true).unwrap();
    drop(c);
    assert!(a.claim_due(t0() + SEC, "a", HOUR).unwrap().is_none());
    b.retry(t0() + SEC, &id).unwrap();
    let again = a.claim_due(t0() + 2 * SEC, "a", HOUR).unwrap().unwrap();
    assert_eq!(again.id, id);
    // The other process cancels a job this one had indexed as ready: the claim skips it.
    let doomed = enqueue_fax(&a, t0() + 3 * SEC, "doomed");
    b.cancel(t0() + 3 * SEC, &doomed, "spam").unwrap();
    assert!(a.claim_due(t0() + 4 * SEC, "a", HOUR).unwrap().is_none());
    assert_eq!(a.get(&doomed).unwrap().state(), Some(StateName::Dead));
}
