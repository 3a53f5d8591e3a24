use std::fs;

use faxvox_spool::{JobState, ListFilter, SpoolError, StateName};

use crate::*;

fn manifest_path(root: &std::path::Path, id: &faxvox_spool::JobId) -> std::path::PathBuf {
    root.join(id.as_str()).join("manifest.json")
}

#[test]
fn broken_jobs_are_quarantined_while_the_others_deliver() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let spool = open(root);
    // Broken ones are the oldest, so claim meets them first.
    let bad_json = enqueue_fax(&spool, t0(), "bad-json");
    let future = enqueue_fax(&spool, t0() + SEC, "future");
    let no_media = enqueue_fax(&spool, t0() + 2 * SEC, "no-media");
    let truncated = enqueue_fax(&spool, t0() + 3 * SEC, "truncated");
    let no_manifest = enqueue_fax(&spool, t0() + 4 * SEC, "no-manifest");
    let good1 = enqueue_fax(&spool, t0() + 5 * SEC, "good1");
    let good2 = enqueue_fax(&spool, t0() + 6 * SEC, "good2");

    fs::write(manifest_path(root, &bad_json), b"{ this is not json").unwrap();
    let mut v: serde_json::Value =
        serde_json::from_slice(&fs::read(manifest_path(root, &future)).unwrap()).unwrap();
    v["version"] = serde_json::json!(2);
    fs::write(
        manifest_path(root, &future),
        serde_json::to_vec(&v).unwrap(),
    )
    .unwrap();
    fs::remove_file(root.join(no_media.as_str()).join("page-001.tiff")).unwrap();
    fs::write(root.join(truncated.as_str()).join("page-001.tiff"), b"II").unwrap();
    fs::remove_file(manifest_path(root, &no_manifest)).unwrap();

    // list is read-only: it shows the problem before anything is moved.
    let listed = spool.get(&bad_json).unwrap();
    assert!(!listed.quarantined);
    assert_eq!(listed.state(), None);
    assert!(listed.problem.unwrap().contains("not valid JSON"));

    let now = t0() + MIN;
    let mut delivered = Vec::new();
    while let Some(c) = spool.claim_due(now, "w", MIN).unwrap() {
        spool.complete(now, &c, "250").unwrap();
        delivered.push(c.id);
    }
    assert_eq!(delivered, [good1.clone(), good2.clone()]);

    let q = spool
        .list(&ListFilter::state(StateName::Quarantined))
        .unwrap();
    let reasons: Vec<(faxvox_spool::JobId, String)> = q
        .iter()
        .map(|j| (j.id.clone(), j.problem.clone().unwrap()))
        .collect();
    let reason = |id: &faxvox_spool::JobId| {
        reasons
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{id} not quarantined"))
    };
    assert_eq!(reasons.len(), 5, "{reasons:#?}");
    assert!(reason(&bad_json).contains("not valid JSON"));
    assert!(
        reason(&future).contains("version 2; this build reads version 1 only"),
        "{}",
        reason(&future)
    );
    assert!(reason(&no_media).contains("page-001.tiff named in the manifest is missing"));
    assert!(reason(&truncated).contains("is 2 bytes, the manifest says 13"));
    assert!(reason(&no_manifest).contains("manifest.json is missing"));
    for j in &q {
        assert!(
            j.dir.starts_with(root.join("quarantine")),
            "{}",
            j.dir.display()
        );
        assert!(j.dir.join("quarantine.json").exists());
    }
    // A readable manifest records the quarantine in its own history.
    let m = spool.get(&no_media).unwrap().manifest.unwrap();
    assert!(matches!(&m.state, JobState::Quarantined { reason, .. } if reason.contains("missing")));
    assert_eq!(m.history.last().unwrap().to, StateName::Quarantined);
    // The future-version manifest is left exactly as written (not rewritten in v1).
    let raw: serde_json::Value = serde_json::from_slice(
        &fs::read(spool.get(&future).unwrap().dir.join("manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(raw["version"], 2);
    // Admin operations on a quarantined job say so.
    assert!(matches!(
        spool.retry(now, &no_media),
        Err(SpoolError::Quarantined { .. })
    ));
}

#[test]
fn recovery_scan_quarantines_and_admin_release_brings_back() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let spool = open(root);
    let id = enqueue_fax(&spool, t0(), "x");
    let page = root.join(id.as_str()).join("page-001.tiff");
    let saved = fs::read(&page).unwrap();
    fs::remove_file(&page).unwrap();

    let report = spool.recover(t0() + MIN).unwrap();
    assert_eq!(report.quarantined.len(), 1);
    assert_eq!(report.quarantined[0].0, id);

    // Still broken: release refuses and says why.
    let err = spool.release_quarantined(t0() + HOUR, &id).unwrap_err();
    assert!(
        matches!(&err, SpoolError::Quarantined { reason, .. } if reason.contains("still broken")),
        "{err}"
    );

    // The admin puts the page back and releases the job.
    let qdir = spool.get(&id).unwrap().dir;
    fs::write(qdir.join("page-001.tiff"), &saved).unwrap();
    spool.release_quarantined(t0() + HOUR, &id).unwrap();
    let job = spool.get(&id).unwrap();
    assert!(!job.quarantined);
    assert_eq!(job.state(), Some(StateName::Ready));
    assert!(!job.dir.join("quarantine.json").exists());
    let c = spool.claim_due(t0() + HOUR, "w", MIN).unwrap().unwrap();
    assert_eq!(c.id, id);
    spool.complete(t0() + HOUR, &c, "250").unwrap();
    let notes: Vec<_> = spool
        .get(&id)
        .unwrap()
        .manifest
        .unwrap()
        .history
        .into_iter()
        .map(|h| h.to)
        .collect();
    assert_eq!(
        notes,
        [
            StateName::Captured,
            StateName::Ready,
            StateName::Quarantined,
            StateName::Ready,
            StateName::Sending,
            StateName::Delivered
        ]
    );
}

#[test]
fn a_manifest_naming_another_job_is_quarantined() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let spool = open(root);
    let a = enqueue_fax(&spool, t0(), "a");
    let b = enqueue_fax(&spool, t0() + SEC, "b");
    // Someone copied a's manifest over b's.
    fs::copy(manifest_path(root, &a), manifest_path(root, &b)).unwrap();
    let report = spool.recover(t0()).unwrap();
    assert_eq!(report.quarantined.len(), 1);
    assert_eq!(report.quarantined[0].0, b);
    assert!(report.quarantined[0]
        .1
        .contains(&format!("names job {a} but sits in folder {b}")));
}
