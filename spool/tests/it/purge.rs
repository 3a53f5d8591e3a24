use std::collections::BTreeMap;

use faxvox_spool::{Claimed, JobId, ListFilter, PurgeAction, Retention, Spool, StateName};
use proptest::prelude::*;

use crate::*;

fn states(spool: &Spool) -> BTreeMap<JobId, Option<StateName>> {
    spool
        .list(&ListFilter::default())
        .unwrap()
        .into_iter()
        .map(|j| (j.id.clone(), j.state()))
        .collect()
}

#[test]
fn delivered_and_dead_go_after_retention_others_never() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let delivered = enqueue_fax(&spool, t0(), "delivered");
    let dead = enqueue_fax(&spool, t0() + SEC, "dead");
    let retrying = enqueue_fax(&spool, t0() + 2 * SEC, "retrying");
    let c = spool.claim_due(t0(), "w", MIN).unwrap().unwrap();
    spool.complete(t0(), &c, "250").unwrap();
    let c = spool.claim_due(t0(), "w", MIN).unwrap().unwrap();
    spool.fail(t0(), &c, "550 no such user", true).unwrap();
    let c = spool.claim_due(t0(), "w", MIN).unwrap().unwrap();
    spool.fail(t0(), &c, "421", false).unwrap();
    let ready = enqueue_fax(&spool, t0() + 3 * SEC, "ready");
    let retention = Retention::default();

    // Day 29: nothing goes.
    let d = spool.purge(t0() + 29 * DAY, &retention, false).unwrap();
    assert_eq!(d.len(), 4);
    assert!(
        d.iter()
            .all(|d| d.action == PurgeAction::Keep && !d.deleted),
        "{d:#?}"
    );
    let reason = |id: &JobId, d: &[faxvox_spool::PurgeDecision]| {
        d.iter().find(|x| &x.id == id).unwrap().reason.clone()
    };
    assert_eq!(
        reason(&delivered, &d),
        "delivered 29d ago; kept 1d more (retention 30d)"
    );
    assert_eq!(
        reason(&ready, &d),
        "ready: only delivered or dead jobs are ever purged"
    );

    // Day 30, dry run: says the delivered job would go, deletes nothing.
    let before = states(&spool);
    let d = spool.purge(t0() + 30 * DAY, &retention, true).unwrap();
    let del = d.iter().find(|x| x.id == delivered).unwrap();
    assert_eq!(del.action, PurgeAction::Delete);
    assert!(!del.deleted);
    assert_eq!(del.age, 30 * DAY);
    assert_eq!(del.reason, "delivered 30d ago; delivered jobs are kept 30d");
    assert_eq!(states(&spool), before, "dry run changes nothing");
    assert!(tmp.path().join(delivered.as_str()).exists());

    // Day 30 for real.
    let d = spool.purge(t0() + 30 * DAY, &retention, false).unwrap();
    assert!(d.iter().find(|x| x.id == delivered).unwrap().deleted);
    assert!(!tmp.path().join(delivered.as_str()).exists());
    assert!(spool.get(&delivered).is_err());

    // Day 90: the dead job goes; retrying and ready stay forever.
    let d = spool.purge(t0() + 90 * DAY, &retention, false).unwrap();
    assert!(d.iter().find(|x| x.id == dead).unwrap().deleted);
    let d = spool.purge(t0() + 10_000 * DAY, &retention, false).unwrap();
    assert_eq!(d.len(), 2);
    assert!(d.iter().all(|d| !d.deleted));
    assert_eq!(
        states(&spool).into_iter().collect::<Vec<_>>(),
        [
            (retrying, Some(StateName::Retrying)),
            (ready, Some(StateName::Ready))
        ]
    );
    assert_eq!(
        entries(tmp.path()).len(),
        3,
        "no .purge- leftovers: {:?}",
        entries(tmp.path())
    );
}

#[test]
fn quarantined_jobs_are_never_purged() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let id = enqueue_fax(&spool, t0(), "x");
    std::fs::write(
        tmp.path().join(id.as_str()).join("manifest.json"),
        b"garbage",
    )
    .unwrap();
    let d = spool
        .purge(t0() + 1000 * DAY, &Retention::default(), true)
        .unwrap();
    assert_eq!(d[0].action, PurgeAction::Keep);
    assert!(
        d[0].reason.contains("would be quarantined"),
        "{}",
        d[0].reason
    );
    assert!(
        !spool.get(&id).unwrap().quarantined,
        "dry run does not even quarantine"
    );
    let d = spool
        .purge(t0() + 1000 * DAY, &Retention::default(), false)
        .unwrap();
    assert!(d[0].reason.contains("unreadable, quarantined"));
    let d = spool
        .purge(t0() + 2000 * DAY, &Retention::default(), false)
        .unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].state, Some(StateName::Quarantined));
    assert!(!d[0].deleted);
    assert!(spool.get(&id).unwrap().quarantined);
}

#[derive(Clone, Debug)]
enum Op {
    Enqueue,
    Claim(u8),
    Complete(u8),
    Fail(u8, bool),
    Retry(u8),
    Cancel(u8),
    Advance(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Enqueue),
        3 => (0u8..3).prop_map(Op::Claim),
        2 => any::<u8>().prop_map(Op::Complete),
        3 => (any::<u8>(), any::<bool>()).prop_map(|(i, p)| Op::Fail(i, p)),
        1 => any::<u8>().prop_map(Op::Retry),
        1 => any::<u8>().prop_map(Op::Cancel),
        3 => (1u32..20_000).prop_map(Op::Advance), // minutes: up to ~2 weeks
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random histories of enqueue/claim/complete/fail/retry/cancel over simulated
    /// time, then a purge with random retention at a random later time: only
    /// delivered or dead jobs past their retention are deleted; everything else is
    /// still there in the same state; a dry run changes nothing at all.
    #[test]
    fn purge_never_deletes_undelivered_jobs(
        ops in prop::collection::vec(op(), 1..30),
        delivered_days in 0u32..40,
        dead_days in 0u32..100,
        purge_after_min in 0u32..200_000,
        dry_run in any::<bool>(),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let spool = open(tmp.path());
        let mut now = t0();
        let mut ids: Vec<JobId> = Vec::new();
        let mut held: Vec<Claimed> = Vec::new();
        let pick = |i: u8, n: usize| (n > 0).then(|| i as usize % n);
        for op in ops {
            match op {
                Op::Enqueue => ids.push(enqueue_fax(&spool, now, "p")),
                Op::Claim(w) => {
                    if let Some(c) = spool.claim_due(now, &format!("w{w}"), 30 * MIN).unwrap() {
                        held.push(c);
                    }
                }
                Op::Complete(i) => if let Some(k) = pick(i, held.len()) {
                    let _ = spool.complete(now, &held.remove(k), "250");
                },
                Op::Fail(i, permanent) => if let Some(k) = pick(i, held.len()) {
                    let _ = spool.fail(now, &held.remove(k), "error", permanent);
                },
                Op::Retry(i) => if let Some(k) = pick(i, ids.len()) {
                    let _ = spool.retry(now, &ids[k]);
                },
                Op::Cancel(i) => if let Some(k) = pick(i, ids.len()) {
                    let _ = spool.cancel(now, &ids[k], "test");
                },
                Op::Advance(m) => now += m * MIN,
            }
        }
        let retention = Retention {
            delivered: delivered_days * DAY,
            dead: dead_days * DAY,
        };
        let before: BTreeMap<JobId, StateName> = states(&spool)
            .into_iter()
            .map(|(id, s)| (id, s.expect("readable")))
            .collect();
        prop_assert_eq!(before.len(), ids.len());
        let purge_at = now + purge_after_min * MIN;
        let decisions = spool.purge(purge_at, &retention, dry_run).unwrap();
        prop_assert_eq!(decisions.len(), ids.len(), "one decision per job");
        let after = states(&spool);
        for d in &decisions {
            let state = before[&d.id];
            prop_assert_eq!(d.state, Some(state));
            match d.action {
                PurgeAction::Delete => {
                    let keep = match state {
                        StateName::Delivered => retention.delivered,
                        StateName::Dead => retention.dead,
                        other => return Err(TestCaseError::fail(format!("{other} job {} marked for deletion", d.id))),
                    };
                    prop_assert!(d.age >= keep, "{} deleted at age {:?} < {:?}", d.id, d.age, keep);
                    prop_assert_eq!(d.deleted, !dry_run);
                    prop_assert_eq!(after.contains_key(&d.id), dry_run);
                }
                PurgeAction::Keep => {
                    prop_assert!(!d.deleted);
                    prop_assert_eq!(after.get(&d.id), Some(&Some(state)), "kept job {} changed", d.id);
                    if matches!(state, StateName::Delivered | StateName::Dead) {
                        let keep = if state == StateName::Delivered { retention.delivered } else { retention.dead };
                        prop_assert!(d.age < keep);
                    }
                }
            }
        }
        if dry_run {
            let before_states: BTreeMap<_, _> = before.iter().map(|(k, s)| (k.clone(), Some(*s))).collect();
            prop_assert_eq!(&after, &before_states);
        }
        for (id, state) in &before {
            if !matches!(state, StateName::Delivered | StateName::Dead) {
                prop_assert_eq!(after.get(id), Some(&Some(*state)), "undelivered job {} lost", id);
            }
        }
    }
}
