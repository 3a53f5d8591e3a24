//! Crash safety of the delivery worker, end to end: 200 fax jobs in a real spool, `faxvox spool
//! work` (continuous) delivering them to a real SMTP server (python3-aiosmtpd, see
//! `support/smtp.rs`), `kill -9` half-way, then a restart. Nothing may be lost, nothing
//! quarantined, and a message may be sent twice only for a job that was in flight at the kill.
//!
//! The jobs are enqueued through the `faxvox-spool` library with exactly the facts
//! `faxvox spool import` writes (checked against one job imported by the binary), because 200
//! imports through the binary would take most of the test's time.
//!
//! A killed worker's claim: the worker holds a `flock` on the job's `.worker` file for as long
//! as it owns the claim; the kernel drops it with the process, so the restarted
//! `spool work --until-idle` takes that job back at once (no waiting for the 10-minute lease)
//! and delivers it with everything else.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use faxvox::worker::{FaxFacts, JobFacts, DEFAULT_LEASE};
use faxvox_codecs::tiff::write_g4_tiff;
use faxvox_codecs::{Bitmap, Page, Resolution};
use faxvox_spool::{
    format_rfc3339, JobKind, JobState, ListFilter, Media, Spool, SpoolOptions, StateName,
};
use support::site::{Site, FAX_LINE};
use support::smtp::{SinkOptions, SmtpSink};

const JOBS: usize = 200;
/// Kill the worker once this many messages have arrived (well before all of them).
const KILL_AFTER: usize = 40;
const CALLER: &str = "+33 2 53 43 75 55";

impl Site {
    fn with_smtp(smtp_port: u16) -> Site {
        let mut site = Site::with_account(&["alice@example.com"]);
        site.set(
            "FAXVOX_SMTP_URL",
            &format!("smtp://127.0.0.1:{smtp_port}?tls=none"),
        );
        site
    }
}

/// A tiny one-page fax.
fn tiny_tiff() -> Vec<u8> {
    let mut b = Bitmap::new(1728, 120);
    b.fill_rect(40, 20, 1648, 6);
    b.fill_rect(100, 50, 700, 20);
    write_g4_tiff(&[Page {
        bitmap: b,
        resolution: Resolution::FINE,
    }])
}

/// Number of messages the sink has stored (cheaper than reading them).
fn stored(sink: &SmtpSink) -> usize {
    std::fs::read_dir(sink.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .count()
}

#[test]
fn kill_9_mid_run_loses_nothing_and_duplicates_only_the_job_in_flight() {
    let started = Instant::now();
    let sink = SmtpSink::start(&SinkOptions::default());
    let site = Site::with_smtp(sink.port);
    let tiff = tiny_tiff();
    let tiff_path = site.path().join("in.tiff");
    std::fs::write(&tiff_path, &tiff).unwrap();

    // One job through the binary: the reference for the facts layout.
    let imported = site
        .ok(&[
            "spool",
            "import",
            "--kind",
            "fax",
            "--account",
            "acme",
            "--from",
            CALLER,
            "--from-name",
            "Zoé Lefèvre",
            tiff_path.to_str().unwrap(),
        ])
        .trim()
        .to_string();
    let spool_dir = site.path().join("spool");
    let opts = SpoolOptions {
        high_water: 0.99,
        ..SpoolOptions::default()
    };
    let (spool, _) = Spool::open(&spool_dir, opts, SystemTime::now()).unwrap();
    let reference = spool.get(&imported.parse().unwrap()).unwrap();
    let reference = reference.manifest.unwrap();

    let facts = || {
        JobFacts {
            account: Some("acme".into()),
            caller_number: "+33253437555".into(),
            caller_name: Some("Zoé Lefèvre".into()),
            called_number: FAX_LINE.into(),
            start: Some(format_rfc3339(SystemTime::now())),
            source: Some(format!("import of {}", tiff_path.display())),
            fax: Some(FaxFacts {
                pages_expected: Some(1),
                ..FaxFacts::default()
            }),
            ..JobFacts::default()
        }
        .to_map()
    };
    // Same keys and values as `spool import` (the start time aside), same kind and media name.
    let mut ours = facts();
    let mut theirs = reference.facts.clone();
    ours.remove("start");
    theirs.remove("start");
    assert_eq!(ours, theirs, "library facts must match `spool import`");
    assert_eq!(reference.kind, JobKind::Fax);
    let media: Vec<&str> = reference.media.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(media, ["fax.tiff"]);

    let mut ids: BTreeSet<String> = BTreeSet::from([imported]);
    for _ in 1..JOBS {
        let id = spool
            .enqueue(
                SystemTime::now(),
                JobKind::Fax,
                facts(),
                &[("fax.tiff", Media::Bytes(&tiff))],
            )
            .unwrap();
        ids.insert(id.to_string());
    }
    assert_eq!(ids.len(), JOBS);
    let enqueued = started.elapsed();

    // The continuous worker, killed without warning once some (not all) messages are in.
    let log = std::fs::File::create(site.path().join("worker1.log")).unwrap();
    let mut child = site
        .command(&["spool", "work", "--poll-secs", "1"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = stored(&sink);
        if n >= KILL_AFTER {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("worker exited early ({status}) after {n} messages");
        }
        assert!(
            Instant::now() < deadline,
            "only {n} messages after 60 s:\n{}",
            std::fs::read_to_string(site.path().join("worker1.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let at_kill = stored(&sink);
    assert!(
        at_kill < JOBS,
        "the worker finished before the kill ({at_kill} messages): not a crash test"
    );

    // What the crash left: at most `delivery.concurrency` jobs claimed (the worker delivers
    // that many at once), by the dead worker, still leased to it.
    let sending = spool.list(&ListFilter::state(StateName::Sending)).unwrap();
    let concurrency = faxvox::delivery::DeliveryConfig::default().concurrency as usize;
    assert!(
        sending.len() <= concurrency,
        "{} jobs in sending",
        sending.len()
    );
    let in_flight: Vec<String> = sending.iter().map(|j| j.id.to_string()).collect();
    for j in &sending {
        let Some(JobState::Sending { lease }) = j.manifest.as_ref().map(|m| &m.state) else {
            panic!("{j:?}")
        };
        assert!(lease.worker.ends_with(&format!(":{pid}")), "{lease:?}");
        assert!(lease.expires > SystemTime::now() + DEFAULT_LEASE / 2);
    }

    // Restart: everything goes out, the killed worker's job included: its claim lock died
    // with the process, so the job is taken back at once rather than after the lease.
    let delivered_before = spool
        .list(&ListFilter::state(StateName::Delivered))
        .unwrap()
        .len();
    assert!(
        at_kill >= delivered_before && at_kill <= delivered_before + in_flight.len(),
        "{at_kill} messages, {delivered_before} delivered, in flight {in_flight:?}"
    );
    let out = site.ok(&["spool", "work", "--until-idle"]);
    let rest = JOBS - delivered_before;
    assert!(
        out.contains(&format!(
            "{rest} job(s): {rest} delivered, 0 retrying, 0 dead, 0 lost"
        )),
        "{out}"
    );
    for id in &in_flight {
        let m = spool.get(&id.parse().unwrap()).unwrap().manifest.unwrap();
        assert_eq!(m.attempts, 2, "the killed attempt counts");
        assert!(
            m.history
                .iter()
                .any(|h| h.note.contains(&format!(":{pid} died"))),
            "{:?}",
            m.history
        );
    }

    // Final state: everything delivered, nothing quarantined, every job received.
    let jobs = site.jobs();
    assert_eq!(jobs.len(), JOBS);
    for j in &jobs {
        assert_eq!(j["state"], "delivered", "{j}");
        assert_eq!(j["quarantined"], false, "{j}");
    }
    let quarantine = spool_dir.join(faxvox_spool::QUARANTINE_DIR);
    assert!(
        std::fs::read_dir(&quarantine).map_or(true, |mut d| d.next().is_none()),
        "quarantine not empty"
    );
    let got = sink.wait_for(JOBS);
    let mut per_job: BTreeMap<String, usize> = BTreeMap::new();
    for r in &got {
        let job = r.python_header("X-Faxvox-Job").expect("X-Faxvox-Job");
        *per_job.entry(job).or_default() += 1;
    }
    let received: BTreeSet<String> = per_job.keys().cloned().collect();
    assert_eq!(received, ids, "every job reached the server, no stranger");
    let duplicated: Vec<&String> = per_job
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id)
        .collect();
    assert!(
        duplicated.len() <= in_flight.len()
            && duplicated.iter().all(|id| in_flight.contains(id))
            && per_job.values().all(|n| *n <= 2),
        "duplicates {duplicated:?}, in flight at the kill {in_flight:?}"
    );
    assert_eq!(got.len(), JOBS + duplicated.len());
    eprintln!(
        "spool_crash: {JOBS} jobs enqueued in {enqueued:?}; killed after {at_kill} messages; \
         in flight {in_flight:?}; duplicates {duplicated:?}; total {:?}",
        started.elapsed()
    );
}
