use std::fs;
use std::time::SystemTime;

use faxvox_spool::{JobId, JobKind, ListFilter, Media, Spool, StateName};

use crate::*;

/// Temp-folder ages are file mtimes (the real clock), so "a minute later" here is
/// measured from the machine's clock.
fn later() -> SystemTime {
    SystemTime::now() + 2 * MIN
}

#[test]
fn crash_leftovers_are_cleaned_and_no_partial_job_is_visible() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let spool = open(root);

    // 1. Crash right after mkdir: an empty temp folder.
    let empty = JobId::generate(t0());
    fs::create_dir(root.join(format!(".tmp-{empty}"))).unwrap();
    fs::write(root.join(format!(".tmp-{empty}/.lock")), b"").unwrap();
    // 2. Crash mid-recording: data, no manifest.
    let cut = JobId::generate(t0());
    fs::create_dir(root.join(format!(".tmp-{cut}"))).unwrap();
    fs::write(
        root.join(format!(".tmp-{cut}/message.wav")),
        vec![7u8; 4000],
    )
    .unwrap();
    // 3. Crash while writing the manifest: half a manifest and a page.
    let half = JobId::generate(t0());
    fs::create_dir(root.join(format!(".tmp-{half}"))).unwrap();
    fs::write(root.join(format!(".tmp-{half}/page-001.tiff")), b"II*\0").unwrap();
    fs::write(
        root.join(format!(".tmp-{half}/manifest.json")),
        b"{\"version\": 1, \"id\": \"20",
    )
    .unwrap();
    // 4. Crash between manifest and rename: complete, just not in place.
    let done = enqueue_fax(&spool, t0(), "done");
    fs::rename(root.join(done.as_str()), root.join(format!(".tmp-{done}"))).unwrap();
    // 5. Crash while replacing a manifest: a stray temp file beside a good one.
    let good = enqueue_fax(&spool, t0(), "good");
    let stray = root.join(good.as_str()).join(".manifest.json.tmp-0badf00d");
    fs::write(&stray, b"{\"version\": 1, \"state\"").unwrap();
    // 6. Crash mid-purge.
    let purged = root.join(".purge-20261001T000000Z-00c0ffee");
    fs::create_dir(&purged).unwrap();
    fs::write(purged.join("page-001.tiff"), b"old").unwrap();
    // 7. A capture in progress in this process (locked by its builder).
    let mut live = spool
        .begin(t0(), JobKind::Voicemail, Default::default())
        .unwrap();
    live.add_bytes("message.wav", b"recording...").unwrap();

    // Before recovery, claim sees only the good job (temp folders are invisible).
    let before: Vec<_> = spool
        .list(&ListFilter::default())
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(before, std::slice::from_ref(&good));

    let (spool, report) = Spool::open(root, opts(), later()).unwrap();
    assert_eq!(report.removed_temp, [root.join(format!(".tmp-{empty}"))]);
    let mut salvaged: Vec<_> = report.salvaged.iter().map(|(id, _)| id.clone()).collect();
    salvaged.sort();
    let mut expect = vec![cut.clone(), half.clone()];
    expect.sort();
    assert_eq!(salvaged, expect);
    assert!(report
        .salvaged
        .iter()
        .all(|(_, r)| r.contains("incomplete capture")));
    assert_eq!(report.rolled_forward, std::slice::from_ref(&done));
    assert_eq!(report.removed_manifest_temps, std::slice::from_ref(&stray));
    assert_eq!(report.finished_purges, std::slice::from_ref(&purged));
    assert!(report.quarantined.is_empty());
    assert_eq!(
        report.in_progress,
        [root.join(format!(".tmp-{}", live.id()))]
    );
    assert!(!stray.exists() && !purged.exists());

    // What is live now: the two complete jobs. The salvaged captures wait in
    // quarantine with their reason and their data.
    let live_jobs: Vec<_> = spool
        .list(&ListFilter::default())
        .unwrap()
        .into_iter()
        .filter(|j| !j.quarantined)
        .map(|j| {
            let s = j.state();
            (j.id, s)
        })
        .collect();
    let mut want = vec![
        (done.clone(), Some(StateName::Ready)),
        (good.clone(), Some(StateName::Ready)),
    ];
    want.sort();
    assert_eq!(live_jobs, want);
    let q = spool.get(&cut).unwrap();
    assert!(q.quarantined);
    assert!(
        q.problem.as_deref().unwrap().contains("4000 bytes kept"),
        "{:?}",
        q.problem
    );
    assert_eq!(fs::read(q.dir.join("message.wav")).unwrap().len(), 4000);

    // Only whole jobs are ever claimed.
    let mut claimed = Vec::new();
    while let Some(c) = spool.claim_due(t0() + HOUR, "w", MIN).unwrap() {
        spool.complete(t0() + HOUR, &c, "250").unwrap();
        claimed.push(c.id);
    }
    claimed.sort();
    let mut want: Vec<_> = vec![done, good];
    want.sort();
    assert_eq!(claimed, want);

    // The capture in progress was not touched and still commits.
    let live_id = live.commit(t0()).unwrap();
    assert_eq!(spool.get(&live_id).unwrap().state(), Some(StateName::Ready));

    // A second recovery finds nothing to do.
    assert!(spool.recover(later()).unwrap().is_clean());
}

#[test]
fn a_fresh_temp_folder_is_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let id = JobId::generate(t0());
    let path = tmp.path().join(format!(".tmp-{id}"));
    fs::create_dir(&path).unwrap();
    // Unlocked but touched just now: maybe another process between mkdir and lock.
    let report = spool.recover(SystemTime::now()).unwrap();
    assert_eq!(report.in_progress, std::slice::from_ref(&path));
    assert!(path.exists());
    assert!(spool.recover(later()).unwrap().removed_temp.contains(&path));
    assert!(!path.exists());
}

#[test]
fn a_dropped_builder_keeps_its_data_for_recovery() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = open(tmp.path());
    let mut b = spool
        .begin(t0(), JobKind::Voicemail, Default::default())
        .unwrap();
    let id = b.id().clone();
    b.add_bytes("message.wav", b"hello").unwrap();
    drop(b); // e.g. the call task panicked
    let report = spool.recover(later()).unwrap();
    assert_eq!(report.salvaged.len(), 1);
    assert_eq!(report.salvaged[0].0, id);
    let job = spool.get(&id).unwrap();
    assert_eq!(job.state(), Some(StateName::Quarantined));
    assert_eq!(fs::read(job.dir.join("message.wav")).unwrap(), b"hello");
}

#[test]
fn enqueue_with_move_after_recovery_roundtrip() {
    // Open on a missing folder creates it with its quarantine.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("a/b/spool");
    let (spool, report) = Spool::open(&root, opts(), t0()).unwrap();
    assert!(report.is_clean());
    assert_eq!(entries(&root), ["quarantine"]);
    let src = tmp.path().join("x.wav");
    fs::write(&src, b"x").unwrap();
    spool
        .enqueue(
            t0(),
            JobKind::Voicemail,
            Default::default(),
            &[("m.wav", Media::Move(&src))],
        )
        .unwrap();
}
