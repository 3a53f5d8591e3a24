use std::fs;
use std::io::Write;

use faxvox_spool::{
    JobKind, JobState, ListFilter, Manifest, Media, SpoolError, StateName, MANIFEST_VERSION,
};
use serde_json::json;

use crate::*;

#[test]
fn enqueue_claim_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let f = facts(json!({"caller": "+33123456789", "callee": "+33987654321", "account": 42}));
    let id = spool
        .enqueue(
            t0(),
            JobKind::Fax,
            f.clone(),
            &[
                ("page-001.tiff", Media::Bytes(b"page one")),
                ("page-002.tiff", Media::Bytes(b"page two!")),
            ],
        )
        .unwrap();
    assert!(id.as_str().starts_with("20261127T071530Z-"), "{id}");
    assert_eq!(
        entries(tmp.path()),
        [id.as_str(), "quarantine"],
        "only the job and the quarantine folder"
    );
    assert_eq!(
        entries(&tmp.path().join(id.as_str())),
        [".lock", "manifest.json", "page-001.tiff", "page-002.tiff"]
    );

    let job = spool.get(&id).unwrap();
    assert_eq!(job.state(), Some(StateName::Ready));
    let m = job.manifest.unwrap();
    assert_eq!(m.version, MANIFEST_VERSION);
    assert_eq!(m.kind, JobKind::Fax);
    assert_eq!(m.facts, f);
    assert_eq!(m.media_bytes(), 17);

    let c = spool
        .claim_due(t0() + MIN, "worker-1", 5 * MIN)
        .unwrap()
        .unwrap();
    assert_eq!(c.id, id);
    assert_eq!(c.attempt, 1);
    assert_eq!(c.lease_expires, t0() + 6 * MIN);
    assert_eq!(
        fs::read(c.media_path("page-002.tiff")).unwrap(),
        b"page two!"
    );
    assert!(
        spool
            .claim_due(t0() + MIN, "worker-2", 5 * MIN)
            .unwrap()
            .is_none(),
        "a held job is not claimed twice"
    );

    spool
        .complete(t0() + 2 * MIN, &c, "250 2.0.0 queued as ABC")
        .unwrap();
    let m = spool.get(&id).unwrap().manifest.unwrap();
    assert_eq!(
        m.state,
        JobState::Delivered {
            at: t0() + 2 * MIN,
            note: "250 2.0.0 queued as ABC".into()
        }
    );
    let story: Vec<(Option<StateName>, StateName)> =
        m.history.iter().map(|h| (h.from, h.to)).collect();
    assert_eq!(
        story,
        [
            (None, StateName::Captured),
            (Some(StateName::Captured), StateName::Ready),
            (Some(StateName::Ready), StateName::Sending),
            (Some(StateName::Sending), StateName::Delivered),
        ]
    );
    assert!(m.history[2].note.contains("worker-1"), "{:?}", m.history[2]);
    assert!(spool
        .claim_due(t0() + DAY, "worker-2", MIN)
        .unwrap()
        .is_none());
}

#[test]
fn claims_oldest_first() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let late = enqueue_fax(&spool, t0() + 10 * MIN, "late");
    let early = enqueue_fax(&spool, t0(), "early");
    let mid = enqueue_fax(&spool, t0() + 5 * MIN, "mid");
    let now = t0() + HOUR;
    // Claims are kept: a dropped claim is an abandoned one and may be taken again at once.
    let claims: Vec<_> = (0..3)
        .map(|_| spool.claim_due(now, "w", MIN).unwrap().unwrap())
        .collect();
    let order: Vec<_> = claims.iter().map(|c| c.id.clone()).collect();
    assert_eq!(order, [early, mid, late]);
}

#[test]
fn builder_streams_media_and_commits_atomically() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let mut b = spool
        .begin(t0(), JobKind::Voicemail, facts(json!({"caller": "+331"})))
        .unwrap();
    let id = b.id().clone();
    // Recording in progress: invisible to list and claim.
    let path = b.media_path("message.wav").unwrap();
    let mut f = fs::File::create(&path).unwrap();
    for _ in 0..10 {
        f.write_all(&[0u8; 160]).unwrap();
    }
    drop(f);
    let mut notes = b.create_media("notes.txt").unwrap();
    notes.write_all(b"stopped by #").unwrap();
    drop(notes);
    b.facts_mut().insert("duration_ms".into(), json!(200));
    assert!(spool.list(&ListFilter::default()).unwrap().is_empty());
    assert!(spool.claim_due(t0(), "w", MIN).unwrap().is_none());
    assert!(matches!(spool.get(&id), Err(SpoolError::NotFound(_))));

    assert_eq!(b.commit(t0() + 2 * MIN).unwrap(), id);
    let m = spool.get(&id).unwrap().manifest.unwrap();
    assert_eq!(m.state, JobState::Ready);
    assert_eq!(m.created, t0());
    assert_eq!(m.state_since, t0() + 2 * MIN);
    assert_eq!(m.facts["duration_ms"], json!(200));
    let sizes: Vec<(String, u64)> = m.media.iter().map(|e| (e.name.clone(), e.size)).collect();
    assert_eq!(
        sizes,
        [
            ("message.wav".to_string(), 1600),
            ("notes.txt".to_string(), 12)
        ]
    );
    assert_eq!(
        entries(tmp.path()),
        [id.as_str(), "quarantine"],
        "no temp folder left"
    );
}

#[test]
fn builder_registered_but_unwritten_media_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let mut b = spool
        .begin(t0(), JobKind::Voicemail, Default::default())
        .unwrap();
    b.media_path("message.wav").unwrap();
    let err = b.commit(t0()).unwrap_err();
    assert!(
        matches!(err, SpoolError::MissingMedia { ref name } if name == "message.wav"),
        "{err}"
    );
    assert!(spool.list(&ListFilter::default()).unwrap().is_empty());
}

#[test]
fn hold_then_mark_ready_and_abort() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("spool");
    let spool = open(&root);
    let mut b = spool
        .begin(t0(), JobKind::OutboundFax, Default::default())
        .unwrap();
    b.add_bytes("doc.pdf", b"%PDF-1.7").unwrap();
    b.hold();
    let id = b.commit(t0()).unwrap();
    assert_eq!(spool.get(&id).unwrap().state(), Some(StateName::Captured));
    assert!(
        spool.claim_due(t0() + DAY, "w", MIN).unwrap().is_none(),
        "captured is not due"
    );
    spool.mark_ready(t0() + MIN, &id, "approved").unwrap();
    assert_eq!(
        spool.claim_due(t0() + MIN, "w", MIN).unwrap().unwrap().id,
        id
    );

    // Abort puts moved files back and leaves nothing.
    let src = tmp.path().join("src.pdf");
    fs::write(&src, b"%PDF").unwrap();
    let mut b = spool
        .begin(t0(), JobKind::OutboundFax, Default::default())
        .unwrap();
    b.add_move("doc.pdf", &src).unwrap();
    assert!(!src.exists());
    b.abort().unwrap();
    assert_eq!(fs::read(&src).unwrap(), b"%PDF");
    assert_eq!(entries(&root), [id.as_str(), "quarantine"]);
}

#[test]
fn move_in_takes_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(&tmp.path().join("spool"));
    let src = tmp.path().join("rec.wav");
    fs::write(&src, b"RIFF").unwrap();
    let id = spool
        .enqueue(
            t0(),
            JobKind::Voicemail,
            Default::default(),
            &[("message.wav", Media::Move(&src))],
        )
        .unwrap();
    assert!(!src.exists());
    let job = spool.get(&id).unwrap();
    assert_eq!(fs::read(job.dir.join("message.wav")).unwrap(), b"RIFF");
}

#[test]
fn bad_media_names_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    for name in ["../escape", ".lock", "manifest.json", "", "a/b"] {
        let err = spool
            .enqueue(
                t0(),
                JobKind::Fax,
                Default::default(),
                &[(name, Media::Bytes(b"x"))],
            )
            .unwrap_err();
        assert!(
            matches!(err, SpoolError::InvalidMediaName { .. }),
            "{name:?}: {err}"
        );
    }
    let err = spool
        .enqueue(
            t0(),
            JobKind::Fax,
            Default::default(),
            &[("a.tif", Media::Bytes(b"x")), ("a.tif", Media::Bytes(b"y"))],
        )
        .unwrap_err();
    assert!(matches!(err, SpoolError::InvalidMediaName { .. }), "{err}");
    assert_eq!(entries(tmp.path()), ["quarantine"]);
}

#[test]
fn illegal_transitions_are_typed_errors_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let id = enqueue_fax(&spool, t0(), "x");
    let illegal = |r: Result<(), SpoolError>, from: StateName, to: StateName| match r {
        Err(SpoolError::IllegalTransition { from: f, to: t, .. }) => {
            assert_eq!((f, t), (from, to))
        }
        other => panic!("expected {from} -> {to} to be illegal, got {other:?}"),
    };
    // ready: cannot be retried or marked ready again.
    illegal(spool.retry(t0(), &id), StateName::Ready, StateName::Ready);
    illegal(
        spool.mark_ready(t0(), &id, "again"),
        StateName::Ready,
        StateName::Ready,
    );
    // sending: an admin cannot cancel or retry it under a worker's feet.
    let c = spool.claim_due(t0(), "w", MIN).unwrap().unwrap();
    illegal(
        spool.cancel(t0(), &id, "no"),
        StateName::Sending,
        StateName::Dead,
    );
    illegal(spool.retry(t0(), &id), StateName::Sending, StateName::Ready);
    // delivered is terminal.
    spool.complete(t0(), &c, "250 OK").unwrap();
    illegal(
        spool.retry(t0(), &id),
        StateName::Delivered,
        StateName::Ready,
    );
    illegal(
        spool.cancel(t0(), &id, "late"),
        StateName::Delivered,
        StateName::Dead,
    );
    assert!(matches!(
        spool.complete(t0(), &c, "again"),
        Err(SpoolError::LeaseLost { .. })
    ));
    assert!(matches!(
        spool.fail(t0(), &c, "boom", false),
        Err(SpoolError::LeaseLost { .. })
    ));
    let m = spool.get(&id).unwrap().manifest.unwrap();
    assert_eq!(m.state.name(), StateName::Delivered);
    assert_eq!(m.history.len(), 4, "refused changes leave no trace");
    // cancel works from ready / retrying, and retry brings a dead job back.
    let id2 = enqueue_fax(&spool, t0(), "y");
    spool.cancel(t0(), &id2, "client asked").unwrap();
    let m = spool.get(&id2).unwrap().manifest.unwrap();
    assert!(
        matches!(&m.state, JobState::Dead { reason, .. } if reason == "cancelled: client asked")
    );
    spool.retry(t0() + MIN, &id2).unwrap();
    assert_eq!(spool.get(&id2).unwrap().state(), Some(StateName::Ready));
    // unknown job
    let ghost = "20200101T000000Z-00000000".parse().unwrap();
    assert!(matches!(
        spool.retry(t0(), &ghost),
        Err(SpoolError::NotFound(_))
    ));
}

#[test]
fn lease_lost_when_reclaimed_after_expiry() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let id = enqueue_fax(&spool, t0(), "x");
    let a = spool.claim_due(t0(), "a", MIN).unwrap().unwrap();
    let b = spool.claim_due(t0() + 2 * MIN, "b", MIN).unwrap().unwrap();
    assert_eq!(b.id, id);
    let err = spool.complete(t0() + 2 * MIN, &a, "250 late").unwrap_err();
    assert!(
        matches!(&err, SpoolError::LeaseLost { detail, .. } if detail.contains("worker b")),
        "{err}"
    );
    spool.complete(t0() + 2 * MIN, &b, "250 OK").unwrap();
    let m = spool.get(&id).unwrap().manifest.unwrap();
    assert!(matches!(&m.state, JobState::Delivered { note, .. } if note == "250 OK"));
}

#[test]
fn extend_lease_and_update_facts() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let id = enqueue_fax(&spool, t0(), "x");
    let mut c = spool.claim_due(t0(), "a", MIN).unwrap().unwrap();
    spool
        .extend_lease(t0() + 50 * crate::SEC, &mut c, 10 * MIN)
        .unwrap();
    assert_eq!(c.lease_expires, t0() + 50 * crate::SEC + 10 * MIN);
    assert!(
        spool.claim_due(t0() + 5 * MIN, "b", MIN).unwrap().is_none(),
        "lease extended"
    );
    spool
        .update_facts(t0(), &mut c, |f| {
            f.insert("message_id".into(), json!("<abc@faxvox>"));
        })
        .unwrap();
    spool.complete(t0() + 6 * MIN, &c, "250").unwrap();
    let m = spool.get(&id).unwrap().manifest.unwrap();
    assert_eq!(m.facts["message_id"], json!("<abc@faxvox>"));
    assert_eq!(m.facts["caller"], json!("x"));
}

#[test]
fn manifest_round_trip_preserves_unknown_facts_and_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let f = facts(json!({
        "caller": {"number": "+33123", "name": "Zoë Café"},
        "t30": {"pages": 3, "ecm": true, "bad_rows": [0, 2, 0], "rate": 14400},
        "future_module": {"anything": [1, "two", null, {"deep": 3.5}]}
    }));
    let id = spool
        .enqueue(
            t0(),
            JobKind::Fax,
            f.clone(),
            &[("p.tiff", Media::Bytes(b"x"))],
        )
        .unwrap();
    // A newer minor revision added a top-level field this build does not know.
    let path = tmp.path().join(id.as_str()).join("manifest.json");
    let mut raw: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    raw["routing_hint"] = json!({"node": "gw-2"});
    fs::write(&path, serde_json::to_vec(&raw).unwrap()).unwrap();

    let c = spool.claim_due(t0(), "w", MIN).unwrap().unwrap();
    spool.complete(t0(), &c, "250").unwrap();
    let after: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(after["facts"], serde_json::Value::Object(f));
    assert_eq!(after["routing_hint"], json!({"node": "gw-2"}));
    assert_eq!(after["version"], json!(1));
    assert_eq!(after["kind"], json!("fax"));
    assert_eq!(after["state"]["name"], json!("delivered"));

    // Parse → write → parse is the identity.
    let m = Manifest::parse(&fs::read(&path).unwrap(), Some(&id)).unwrap();
    let again: Manifest = serde_json::from_value(serde_json::to_value(&m).unwrap()).unwrap();
    assert_eq!(again, m);
    assert_eq!(m.extra["routing_hint"], json!({"node": "gw-2"}));
}

#[test]
fn list_filters_by_state_and_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let fax = enqueue_fax(&spool, t0(), "a");
    let vm = spool
        .enqueue(
            t0() + crate::SEC,
            JobKind::Voicemail,
            Default::default(),
            &[("m.wav", Media::Bytes(b"x"))],
        )
        .unwrap();
    let c = spool.claim_due(t0() + MIN, "w", MIN).unwrap().unwrap();
    assert_eq!(c.id, fax);
    let all = spool.list(&ListFilter::default()).unwrap();
    assert_eq!(
        all.iter().map(|j| j.id.clone()).collect::<Vec<_>>(),
        [fax.clone(), vm.clone()]
    );
    let ready = spool.list(&ListFilter::state(StateName::Ready)).unwrap();
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].id, vm);
    let faxes = spool
        .list(&ListFilter::default().with_kind(JobKind::Fax))
        .unwrap();
    assert_eq!(faxes.len(), 1);
    assert_eq!(faxes[0].state(), Some(StateName::Sending));
    assert!(spool
        .list(&ListFilter::state(StateName::Sending).with_kind(JobKind::Voicemail))
        .unwrap()
        .is_empty());
}

#[test]
fn a_claim_dropped_without_an_outcome_is_taken_back_before_its_lease_ends() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let id = enqueue_fax(&spool, t0(), "crashy");
    let held = spool.claim_due(t0(), "w1", HOUR).unwrap().unwrap();
    // While the worker holds its claim, nobody else gets the job.
    assert!(spool.claim_due(t0() + MIN, "w2", HOUR).unwrap().is_none());
    // The worker dies (its process, and with it the claim lock, goes away).
    drop(held);
    let again = spool.claim_due(t0() + MIN, "w2", HOUR).unwrap().unwrap();
    assert_eq!(again.id, id);
    assert_eq!(again.attempt, 2);
    let note = &again.manifest.history.last().unwrap().note;
    assert!(note.contains("worker w1 died"), "{note}");
}
