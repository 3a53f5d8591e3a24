use faxvox_spool::{FailOutcome, JobState, RetryPolicy, StateName};

use crate::*;

/// Fails every attempt the moment it is due, and checks each next-attempt time:
/// 1, 2, 4, 8, 16, 32, 64, 128 min, then every 4 h, until the next attempt would
/// fall more than 5 days after the first: then dead.
#[test]
fn retry_schedule_exact_times() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let id = enqueue_fax(&spool, t0(), "x");
    let first = t0() + 10 * SEC;
    let deadline = first + 5 * DAY;
    let mut now = first;
    let mut delays_min = Vec::new();
    let mut attempts = 0;
    let reason = loop {
        let c = spool.claim_due(now, "w", MIN).unwrap().expect("due");
        attempts += 1;
        assert_eq!(c.attempt, attempts);
        // Not due a moment before its time (checked from the second attempt on).
        match spool.fail(now, &c, "421 try later", false).unwrap() {
            FailOutcome::Retrying { next_attempt } => {
                let delay = next_attempt.duration_since(now).unwrap();
                delays_min.push(delay.as_secs() / 60);
                assert_eq!(delay.as_secs() % 60, 0);
                assert!(next_attempt <= deadline);
                let m = spool.get(&id).unwrap().manifest.unwrap();
                assert_eq!(
                    m.state,
                    JobState::Retrying {
                        next_attempt,
                        last_error: "421 try later".into()
                    }
                );
                assert!(spool
                    .claim_due(next_attempt - SEC, "w", MIN)
                    .unwrap()
                    .is_none());
                now = next_attempt;
            }
            FailOutcome::Dead { reason } => break reason,
        }
    };
    let mut expected: Vec<u64> = vec![1, 2, 4, 8, 16, 32, 64, 128];
    // After 255 min, 4 h steps while the next attempt stays within 5 days (7200 min).
    let mut t = 255;
    while t + 240 <= 7200 {
        expected.push(240);
        t += 240;
    }
    assert_eq!(delays_min, expected);
    assert_eq!(t, 6975, "last attempt 6975 min after the first");
    assert_eq!(attempts, 37);
    assert_eq!(now, first + 6975 * MIN);
    assert!(reason.contains("retry budget exhausted"), "{reason}");
    assert!(reason.contains("421 try later"), "{reason}");
    let m = spool.get(&id).unwrap().manifest.unwrap();
    assert_eq!(m.state.name(), StateName::Dead);
    assert_eq!(m.state_since, now);
    assert_eq!(m.attempts, 37);
    assert_eq!(m.first_attempt, Some(first));
    assert!(
        spool
            .claim_due(now + 365 * DAY, "w", MIN)
            .unwrap()
            .is_none(),
        "dead is never due"
    );
    // Every attempt is in the history: captured, ready, then 37 × (sending, retrying|dead).
    assert_eq!(m.history.len(), 2 + 2 * 37);
}

#[test]
fn custom_policy_is_honoured() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = RetryPolicy {
        first_delay: 10 * SEC,
        max_delay: 30 * SEC,
        give_up_after: 2 * MIN,
    };
    let spool = faxvox_spool::Spool::open(tmp.path(), opts().with_retry(policy), t0())
        .unwrap()
        .0;
    enqueue_fax(&spool, t0(), "x");
    let mut now = t0();
    let mut delays = Vec::new();
    loop {
        let c = spool.claim_due(now, "w", MIN).unwrap().unwrap();
        match spool.fail(now, &c, "busy", false).unwrap() {
            FailOutcome::Retrying { next_attempt } => {
                delays.push(next_attempt.duration_since(now).unwrap().as_secs());
                now = next_attempt;
            }
            FailOutcome::Dead { .. } => break,
        }
    }
    // 10, 20, then capped at 30 s; the attempt at 120 s is the last (150 s > budget).
    assert_eq!(delays, [10, 20, 30, 30, 30]);
}

#[test]
fn permanent_failure_is_dead_at_once_and_admin_retry_resets_the_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let id = enqueue_fax(&spool, t0(), "x");
    let c = spool.claim_due(t0(), "w", MIN).unwrap().unwrap();
    let out = spool
        .fail(t0(), &c, "550 5.1.1 no such user", true)
        .unwrap();
    assert_eq!(
        out,
        FailOutcome::Dead {
            reason: "permanent failure: 550 5.1.1 no such user".into()
        }
    );
    let job = spool.get(&id).unwrap();
    assert_eq!(job.state(), Some(StateName::Dead));
    assert_eq!(
        job.problem.as_deref(),
        Some("permanent failure: 550 5.1.1 no such user")
    );

    // The admin fixes the address and retries: ready now, fresh budget.
    spool.retry(t0() + DAY, &id).unwrap();
    let m = spool.get(&id).unwrap().manifest.unwrap();
    assert_eq!(m.state, JobState::Ready);
    assert_eq!((m.attempts, m.first_attempt), (0, None));
    assert!(m.history.last().unwrap().note.contains("admin retry"));
    assert_eq!(m.last_error.as_deref(), Some("550 5.1.1 no such user"));
    let c = spool.claim_due(t0() + DAY, "w", MIN).unwrap().unwrap();
    assert_eq!(c.attempt, 1);
    match spool.fail(t0() + DAY, &c, "timeout", false).unwrap() {
        FailOutcome::Retrying { next_attempt } => assert_eq!(next_attempt, t0() + DAY + MIN),
        other => panic!("{other:?}"),
    }
    // retrying → ready by admin too.
    spool.retry(t0() + DAY, &id).unwrap();
    assert!(spool.claim_due(t0() + DAY, "w", MIN).unwrap().is_some());
}

#[test]
fn lease_expiry_reclaims_the_job() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let id = enqueue_fax(&spool, t0(), "x");
    let dead_worker = spool.claim_due(t0(), "worker-a", 5 * MIN).unwrap().unwrap();
    assert!(spool
        .claim_due(t0() + 5 * MIN - SEC, "worker-b", 5 * MIN)
        .unwrap()
        .is_none());
    let c = spool
        .claim_due(t0() + 5 * MIN, "worker-b", 5 * MIN)
        .unwrap()
        .expect("reclaimed");
    assert_eq!(c.id, id);
    assert_eq!(c.attempt, 2, "the lost attempt counts");
    assert_ne!(c.token, dead_worker.token);
    let m = spool.get(&id).unwrap().manifest.unwrap();
    let last = m.history.last().unwrap();
    assert_eq!(
        (last.from, last.to),
        (Some(StateName::Sending), StateName::Sending)
    );
    assert!(
        last.note.contains("lease of worker worker-a expired"),
        "{}",
        last.note
    );
    assert!(last.note.contains("claimed by worker-b"), "{}", last.note);
    spool.complete(t0() + 6 * MIN, &c, "250").unwrap();
}

#[test]
fn a_job_that_keeps_killing_its_worker_dies_when_the_budget_is_spent() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let id = enqueue_fax(&spool, t0(), "poison");
    let mut now = t0();
    let mut claims = 0;
    while let Some(_c) = spool.claim_due(now, "w", HOUR).unwrap() {
        claims += 1;
        now += HOUR; // the worker crashes; its lease runs out
    }
    assert_eq!(claims, 120, "one claim per hour for 5 days");
    let m = spool.get(&id).unwrap().manifest.unwrap();
    match &m.state {
        JobState::Dead { reason, .. } => {
            assert!(reason.contains("retry budget exhausted"), "{reason}");
            assert!(reason.contains("stopped answering"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}
