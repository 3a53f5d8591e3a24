//! Private data and money (issue 10, review findings 6 and 7), with the built binary, a real
//! SQLite database, a real spool and real sockets on 127.0.0.1:
//! - under `umask 022`, after a fax and a voicemail received end to end, nothing under the
//!   spool nor the database files is readable by the group or others (folders 0700, files
//!   0600);
//! - an outbound fax retried past its retry budget (first attempt two days ago, the trunk
//!   answers 486) ends dead with nothing left reserved;
//! - the reconciliation sweep closes every reservation its fax left open (no job, job deleted,
//!   quarantined, dead by the spool's own decision, lease expired past the budget), charging
//!   the pages confirmed, keeping the reason in the billing log, and touches neither a fax still
//!   queued nor another spool's reservation;
//! - a submission whose queuing failed releases its reservation only once the fax cannot go out.

use crate::support;
use crate::support::fax_pages;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use faxvox::billing::BillingConfig;
use faxvox::billing::{Billing, Money, Quote, ReservationState};
use faxvox::directory::{Directory, LineKind, NewAccount, NewLine};
use faxvox::outbound::reconcile::{reconcile, spool_origin, GRACE};
use faxvox::outbound::submit::release_unqueued;
use faxvox::outbound::OutboundFacts;
use faxvox_spool::{DiskUsage, JobId, JobKind, RetryPolicy, Spool, SpoolOptions, StateName};
use serde_json::Value;

use support::gateway::{attachment, describe_mail, sent_to, Gateway};
use support::peers;
use support::sip_raw::busy_trunk;
use support::smtp::{SinkOptions, SmtpSink};

const FAX_LINE: &str = "+33299001122";
const VM_LINE: &str = "+33299002000";
const ALICE_LINE: &str = "+33100000001";
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

/// Every folder under `root` that is not 0700 and every file that is not 0600, with its mode.
fn not_private(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        if mode != 0o700 {
            out.push(format!("{}/ {mode:o}", dir.display()));
        }
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
                continue; // removed meanwhile (a temp file)
            };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.permissions().mode() & 0o777 != 0o600 {
                out.push(format!(
                    "{} {:o}",
                    entry.path().display(),
                    meta.permissions().mode() & 0o777
                ));
            }
        }
    }
    out
}

#[test]
fn spool_and_database_are_private_under_umask_022() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.set_umask("022");
    gw.account_add("acme", &["fax@acme.example", "vm@acme.example"], "Acme");
    gw.line_add(FAX_LINE, "acme", "fax", None);
    let greeting = faxvox_codecs::tones::tone(&[440.0], 800, -16.0, 10);
    let greeting = gw.write("greeting.wav", &peers::wav(&greeting));
    gw.line_add(VM_LINE, "acme", "voicemail", Some(&greeting));
    gw.start();

    // A fax over G.711, then a voice message.
    let doc = fax_pages::write_doc(gw.path(), "doc.tif", &[fax_pages::test_page_top(11, 400)]);
    let run = gw.call(&[
        "fax",
        "--to",
        &gw.uri(FAX_LINE),
        "--file",
        &doc.display().to_string(),
        "--from",
        "+15550001001",
        "--no-t38",
    ]);
    run.assert_ok("fax");
    let mut played = peers::silence(2500);
    played.extend(peers::speech_like(5, 3.0));
    played.extend(peers::silence(300));
    let wav = gw.write("message.wav", &peers::wav(&played));
    let run = gw.call(&[
        "voice",
        "--to",
        &gw.uri(VM_LINE),
        "--wav",
        &wav.display().to_string(),
    ]);
    run.assert_ok("voice message");

    // Both delivered (the PDF and the MP3 were rendered into the spool on the way).
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    loop {
        let mails = sink.messages();
        let fax = mails
            .iter()
            .any(|m| attachment(m, "application/pdf").is_some() && sent_to(m, "fax@acme.example"));
        let vm = mails.iter().any(|m| attachment(m, "audio/").is_some());
        if fax && vm {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "fax and voicemail emails expected:\n{}\n{}",
            describe_mail(&sink),
            gw.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let spool = gw.path().join("spool");
    let mut loose = not_private(&spool);
    let mut db_files = Vec::new();
    for entry in std::fs::read_dir(gw.path()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("faxvox.db") {
            db_files.push(name.clone());
            let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
            if mode != 0o600 {
                loose.push(format!("{name} {mode:o}"));
            }
        }
    }
    db_files.sort();
    eprintln!("database files: {db_files:?}");
    assert!(
        db_files.iter().any(|n| n == "faxvox.db") && db_files.iter().any(|n| n == "faxvox.db-wal"),
        "{db_files:?}"
    );
    // The messages really are in there (a fax TIFF, a WAV, their rendered forms).
    let files: Vec<String> = walk_files(&spool);
    for ext in [".tiff", ".wav", ".pdf", ".mp3", "manifest.json"] {
        assert!(
            files.iter().any(|f| f.ends_with(ext)),
            "no {ext}: {files:?}"
        );
    }
    assert_eq!(loose, Vec::<String>::new(), "readable by others");
    gw.assert_alive("after the calls");
}

fn walk_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                out.push(entry.path().display().to_string());
            }
        }
    }
    out
}

// ------------------------------------------------------------------------------- money

fn status(gw: &Gateway, account: &str) -> Value {
    serde_json::from_str(&gw.ok(&["billing", "status", account, "--json"])).unwrap()
}

#[test]
fn a_retry_past_the_budget_ends_dead_with_nothing_reserved() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let (port, invites) = busy_trunk();
    let mut gw = Gateway::new(&sink);
    // Five dials allowed: it is the time budget (a day and a bit), not the count, that ends it.
    gw.add_trunk(
        &format!("sip:127.0.0.1:{port}"),
        "retry_secs = 1\nmax_attempts = 5\n",
    );
    gw.account_add("alice", &["alice@a.example"], "Alice SARL");
    gw.line_add(ALICE_LINE, "alice", "fax", None);
    gw.rate_france("0.05");
    let doc = fax_pages::write_doc(
        gw.path(),
        "doc.tif",
        &[
            fax_pages::test_page_top(1, 300),
            fax_pages::test_page_top(2, 300),
        ],
    );
    let out = gw.ok(&[
        "send",
        "--account",
        "alice",
        "--from",
        ALICE_LINE,
        "--to",
        FAX_LINE,
        &doc.display().to_string(),
    ]);
    assert!(out.contains("queued: 2 pages, 0.10 € reserved"), "{out}");
    let id: JobId = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert_eq!(status(&gw, "alice")["reserved"], "0.10");

    // Its first attempt was two days ago, busy, and it is due again now.
    let then = SystemTime::now() - 2 * DAY;
    let (spool, _) = Spool::open(gw.path().join("spool"), SpoolOptions::default(), then).unwrap();
    let claimed = spool
        .claim_due(then, "old-dialer", Duration::from_secs(60))
        .unwrap()
        .expect("the fax is due");
    assert_eq!(claimed.id, id);
    spool
        .fail(
            then + Duration::from_secs(60),
            &claimed,
            "486 Busy Here",
            false,
        )
        .unwrap();
    drop(claimed);
    // The schedule every node goes by is the fax's row in the shared queue: it says the same.
    rt().block_on(async {
        use faxvox::directory::records::record_time;
        let url = format!("sqlite://{}", gw.path().join("faxvox.db").display());
        let directory = Directory::open(&url).await.unwrap();
        let n = sqlx::query(
            "UPDATE outbound_faxes SET first_attempt = $1, claims = 1, next_attempt = $2, \
             problem = '486 Busy Here' WHERE id = $3",
        )
        .bind(record_time(then))
        .bind(record_time(then + Duration::from_secs(61)))
        .bind(id.as_str())
        .execute(directory.pool())
        .await
        .unwrap()
        .rows_affected();
        assert_eq!(n, 1, "the fax is in the shared queue");
        directory.close().await;
    });

    gw.start();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while spool.get(&id).unwrap().state() != Some(StateName::Dead) {
        assert!(
            std::time::Instant::now() < deadline,
            "the fax did not end: {:?}\n{}",
            spool.get(&id).unwrap().manifest,
            gw.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(invites.lock().unwrap().len(), 1, "dialled once more, busy");
    let s = status(&gw, "alice");
    assert_eq!(
        (&s["used"], &s["reserved"]),
        (&"0.00".into(), &"0.00".into()),
        "{s}\n{}",
        gw.log()
    );
    let log: Value = serde_json::from_str(&gw.ok(&["billing", "log", "alice", "--json"])).unwrap();
    assert_eq!(log.as_array().unwrap().len(), 1, "{log:#}");
    assert_eq!(log[0]["fax_id"], id.as_str());
    assert_eq!(log[0]["state"], "released", "{log:#}");
    assert_eq!(log[0]["charged"], "0.00", "{log:#}");
}

/// A queued fax whose reservation was closed meanwhile (the reconciliation released it when
/// the job was dead or quarantined, then an admin brought the job back) is never dialled: it
/// would go out uncharged.
#[test]
fn a_fax_whose_reservation_was_released_is_not_dialled() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let (port, invites) = busy_trunk();
    let mut gw = Gateway::new(&sink);
    gw.add_trunk(
        &format!("sip:127.0.0.1:{port}"),
        "retry_secs = 1\nmax_attempts = 2\n",
    );
    gw.account_add("alice", &["alice@a.example"], "Alice SARL");
    gw.line_add(ALICE_LINE, "alice", "fax", None);
    gw.rate_france("0.05");
    let doc = fax_pages::write_doc(gw.path(), "doc.tif", &[fax_pages::test_page_top(4, 300)]);
    let out = gw.ok(&[
        "send",
        "--account",
        "alice",
        "--from",
        ALICE_LINE,
        "--to",
        FAX_LINE,
        &doc.display().to_string(),
    ]);
    let id: JobId = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    rt().block_on(async {
        let url = format!("sqlite://{}", gw.path().join("faxvox.db").display());
        let directory = Directory::open(&url).await.unwrap();
        let billing = Billing::new(&directory, &BillingConfig::default());
        let r = billing
            .reservation_for_fax(id.as_str())
            .await
            .unwrap()
            .unwrap();
        billing
            .release_because(&r.id, Some("job quarantined: test"), SystemTime::now())
            .await
            .unwrap();
        directory.close().await;
    });
    assert_eq!(status(&gw, "alice")["reserved"], "0.00");

    gw.start();
    let (spool, _) = Spool::open(
        gw.path().join("spool"),
        SpoolOptions::default(),
        SystemTime::now(),
    )
    .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while spool.get(&id).unwrap().state() != Some(StateName::Dead) {
        assert!(std::time::Instant::now() < deadline, "{}", gw.log());
        std::thread::sleep(Duration::from_millis(200));
    }
    let problem = spool.get(&id).unwrap().problem.unwrap_or_default();
    assert!(
        problem.contains("is released (job quarantined: test)"),
        "{problem}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(invites.lock().unwrap().len(), 0, "the trunk was dialled");
    let s = status(&gw, "alice");
    assert_eq!(
        (&s["used"], &s["reserved"]),
        (&"0.00".into(), &"0.00".into()),
        "{s}"
    );
}

/// A directory with account alice (line ALICE_LINE) on a fresh SQLite file, billing over it,
/// and a spool: the pieces the dialer's sweep works on.
struct Site {
    _tmp: tempfile::TempDir,
    directory: Directory,
    billing: Billing,
    spool: Spool,
    origin: String,
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn site(retry: RetryPolicy) -> Site {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/faxvox.db", tmp.path().display());
    let directory = Directory::open(&url).await.unwrap();
    directory
        .add_account(&NewAccount::new("alice", vec!["alice@a.example".into()]))
        .await
        .unwrap();
    directory
        .add_line(&NewLine {
            number: ALICE_LINE.into(),
            account: "alice".into(),
            kind: LineKind::Fax,
            target: None,
        })
        .await
        .unwrap();
    let billing = Billing::new(&directory, &BillingConfig::default());
    let (spool, _) = Spool::open(
        tmp.path().join("spool"),
        // The build machine's free space must not decide.
        SpoolOptions::default()
            .with_retry(retry)
            .with_disk_usage(|_: &Path| Ok(DiskUsage::simulated(0.5))),
        SystemTime::now(),
    )
    .unwrap();
    let origin = spool_origin(&spool).unwrap();
    assert_eq!(spool_origin(&spool).unwrap(), origin, "stable");
    Site {
        _tmp: tmp,
        directory,
        billing,
        spool,
        origin,
    }
}

/// `pages` pages at 0.05 € to FAX_LINE.
fn quote(pages: u32) -> Quote {
    let rate = Money::parse("0.05").unwrap();
    Quote {
        to: FAX_LINE.into(),
        prefix: "33".into(),
        country: "France".into(),
        rate_per_page: rate,
        pages,
        amount: rate.checked_mul(pages).unwrap(),
    }
}

impl Site {
    /// An outbound fax of `pages` pages queued at `at` the way `submit` does it: the job, its
    /// reservation from this spool, the facts naming it.
    async fn queue(&self, pages: u32, at: SystemTime) -> (JobId, String) {
        let mut job = self
            .spool
            .begin(at, JobKind::OutboundFax, Default::default())
            .unwrap();
        let id = job.id().clone();
        let r = self
            .billing
            .reserve_from("alice", id.as_str(), &quote(pages), Some(&self.origin), at)
            .await
            .unwrap();
        let facts = OutboundFacts {
            fax_id: id.to_string(),
            account: "alice".into(),
            from: ALICE_LINE.into(),
            to: FAX_LINE.into(),
            anonymous: false,
            pages,
            reservation: r.id.clone(),
            rate: r.rate_per_page,
            amount: r.amount,
            prefix: r.prefix.clone(),
            submitted: faxvox_spool::format_rfc3339(at),
            reply: None,
            header: true,
        };
        *job.facts_mut() = facts.to_map();
        job.add_bytes("document.tif", b"II*\0").unwrap();
        job.commit(at).unwrap();
        (id, r.id)
    }

    async fn reserved(&self) -> Money {
        self.billing
            .status("alice", SystemTime::now())
            .await
            .unwrap()
            .reserved
    }

    async fn state_of(&self, reservation: &str) -> (ReservationState, Money, Option<String>) {
        let r = self
            .billing
            .reservation(reservation)
            .await
            .unwrap()
            .unwrap();
        (r.state, r.charged, r.close_reason)
    }
}

fn euros(s: &str) -> Money {
    Money::parse(s).unwrap()
}

#[test]
fn the_sweep_closes_every_reservation_its_fax_left_open() {
    rt().block_on(async {
        let site = site(RetryPolicy::default()).await;
        let now = SystemTime::now();
        let hour_ago = now - HOUR;

        // 1. A crash between the reservation and the spool commit: no job at all.
        let orphan = site
            .billing
            .reserve_from(
                "alice",
                "20261207T000000Z-00000001",
                &quote(1),
                Some(&site.origin),
                hour_ago,
            )
            .await
            .unwrap();
        // ...and one made a second ago, whose submission may still be committing.
        let fresh = site
            .billing
            .reserve_from(
                "alice",
                "20261207T000000Z-00000002",
                &quote(1),
                Some(&site.origin),
                now,
            )
            .await
            .unwrap();
        // ...and one of another gateway's spool (several nodes on one database).
        let other = site
            .billing
            .reserve_from(
                "alice",
                "20261207T000000Z-00000003",
                &quote(1),
                Some("another-node"),
                hour_ago,
            )
            .await
            .unwrap();
        // 2. A job deleted (by hand, or purged) while its money was held.
        let (deleted, r_deleted) = site.queue(2, hour_ago).await;
        std::fs::remove_dir_all(site.spool.root().join(deleted.as_str())).unwrap();
        // 3. A job quarantined (its document went missing).
        let (broken, r_broken) = site.queue(3, hour_ago).await;
        std::fs::remove_file(site.spool.root().join(broken.as_str()).join("document.tif")).unwrap();
        site.spool.recover(now).unwrap();
        assert_eq!(
            site.spool.get(&broken).unwrap().state(),
            Some(StateName::Quarantined)
        );
        // 4. A job cancelled by an admin.
        let (cancelled, r_cancelled) = site.queue(1, hour_ago).await;
        site.spool.cancel(now, &cancelled, "wrong number").unwrap();
        // 5. A job the spool gave up on by itself after one page of four went through.
        let (partial, r_partial) = site.queue(4, hour_ago).await;
        let mut c = site
            .spool
            .claim_due(hour_ago, "dialer", HOUR)
            .unwrap()
            .unwrap();
        while c.id != partial {
            site.spool
                .fail(hour_ago, &c, "not this one", false)
                .unwrap();
            c = site
                .spool
                .claim_due(hour_ago, "dialer", HOUR)
                .unwrap()
                .unwrap();
        }
        site.spool
            .update_facts(hour_ago, &mut c, |f| {
                f.insert("pages_confirmed".into(), 1.into());
            })
            .unwrap();
        site.spool
            .fail(hour_ago, &c, "far end hung up", true)
            .unwrap();
        // 6. A fax still waiting to be sent keeps its money.
        let (queued, r_queued) = site.queue(2, hour_ago).await;
        let _ = queued;

        // Held: 1 + 1 + 1 + 2 + 3 + 1 + 4 + 2 pages at 0.05 € (the retried ones are due
        // again, nothing was charged yet).
        assert_eq!(site.reserved().await, euros("0.75"));

        let done = reconcile(&site.billing, &site.spool, &site.origin, false, now, GRACE)
            .await
            .unwrap();
        let mut closed: Vec<&str> = done.iter().map(|d| d.reservation.as_str()).collect();
        closed.sort();
        let mut want = vec![
            orphan.id.as_str(),
            r_deleted.as_str(),
            r_broken.as_str(),
            r_cancelled.as_str(),
            r_partial.as_str(),
        ];
        want.sort();
        assert_eq!(closed, want, "{done:#?}");

        let (state, charged, reason) = site.state_of(&orphan.id).await;
        assert_eq!((state, charged), (ReservationState::Released, Money::ZERO));
        assert!(reason.unwrap().contains("no job in the spool"));
        let (state, _, reason) = site.state_of(&r_deleted).await;
        assert_eq!(state, ReservationState::Released);
        assert!(reason.unwrap().contains("no job in the spool"));
        let (state, _, reason) = site.state_of(&r_broken).await;
        assert_eq!(state, ReservationState::Released);
        assert!(reason.unwrap().starts_with("job quarantined"));
        let (state, _, reason) = site.state_of(&r_cancelled).await;
        assert_eq!(state, ReservationState::Released);
        assert!(reason.unwrap().contains("cancelled: wrong number"));
        // The page that went through is charged, the three others released.
        let (state, charged, reason) = site.state_of(&r_partial).await;
        assert_eq!((state, charged), (ReservationState::Settled, euros("0.05")));
        assert!(reason.unwrap().starts_with("job dead"));
        // Untouched: the fresh one, the other node's, the queued fax.
        for r in [&fresh.id, &other.id, &r_queued] {
            assert_eq!(site.state_of(r).await.0, ReservationState::Open, "{r}");
        }
        // Held now: 0.05 (fresh) + 0.05 (other node) + 0.10 (queued); used 0.05.
        assert_eq!(site.reserved().await, euros("0.20"));
        let status = site.billing.status("alice", now).await.unwrap();
        assert_eq!(status.used, euros("0.05"));

        // In the billing log, with the reasons.
        let log = site.billing.reservations_of("alice", None).await.unwrap();
        assert_eq!(log.len(), 8);
        assert_eq!(
            log.iter().filter(|r| r.close_reason.is_some()).count(),
            5,
            "{log:#?}"
        );

        // A second sweep finds nothing more to do; the fresh one goes once its grace is over.
        let again = reconcile(&site.billing, &site.spool, &site.origin, false, now, GRACE)
            .await
            .unwrap();
        assert!(again.is_empty(), "{again:#?}");
        let later = reconcile(
            &site.billing,
            &site.spool,
            &site.origin,
            false,
            now + GRACE + HOUR,
            GRACE,
        )
        .await
        .unwrap();
        assert_eq!(later.len(), 1, "{later:#?}");
        assert_eq!(later[0].reservation, fresh.id);
        assert_eq!(site.reserved().await, euros("0.15"));
        site.directory.close().await;
    });
}

#[test]
fn a_lease_expired_past_the_budget_is_released_by_the_sweep() {
    rt().block_on(async {
        // A budget of a day; the dialer that claimed the fax two days ago died.
        let retry = RetryPolicy {
            give_up_after: DAY,
            ..RetryPolicy::default()
        };
        let site = site(retry).await;
        let now = SystemTime::now();
        let then = now - 2 * DAY;
        let (id, r) = site.queue(2, then).await;
        let c = site.spool.claim_due(then, "dialer", HOUR).unwrap().unwrap();
        assert_eq!(c.id, id);
        drop(c);
        assert_eq!(site.reserved().await, euros("0.10"));
        // The next claim finds the lease expired and the budget spent: dead, not dialled.
        assert!(site.spool.claim_due(now, "dialer", HOUR).unwrap().is_none());
        assert_eq!(site.spool.get(&id).unwrap().state(), Some(StateName::Dead));
        let done = reconcile(&site.billing, &site.spool, &site.origin, false, now, GRACE)
            .await
            .unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].reservation, r);
        assert_eq!(done[0].amount, euros("0.10"));
        assert_eq!(done[0].charged, Money::ZERO);
        assert!(
            done[0].reason.contains("retry budget exhausted"),
            "{}",
            done[0].reason
        );
        assert_eq!(site.reserved().await, Money::ZERO);
        site.directory.close().await;
    });
}

#[test]
fn a_failed_queuing_releases_only_a_fax_that_cannot_go_out() {
    rt().block_on(async {
        let site = site(RetryPolicy::default()).await;
        let now = SystemTime::now();
        // The commit said it failed, yet the job is in the spool, ready: it is cancelled
        // before the reservation goes, so it is never sent uncharged.
        let (ready, r_ready) = site.queue(1, now).await;
        assert!(release_unqueued(&site.billing, &site.spool, &ready, &r_ready, now).await);
        assert_eq!(
            site.spool.get(&ready).unwrap().state(),
            Some(StateName::Dead)
        );
        assert_eq!(site.state_of(&r_ready).await.0, ReservationState::Released);
        // Already taken by the dialer: it goes out, so the money stays held for its charge.
        let (sending, r_sending) = site.queue(2, now).await;
        let c = site.spool.claim_due(now, "dialer", HOUR).unwrap().unwrap();
        assert_eq!(c.id, sending);
        assert!(!release_unqueued(&site.billing, &site.spool, &sending, &r_sending, now).await);
        assert_eq!(site.state_of(&r_sending).await.0, ReservationState::Open);
        assert_eq!(site.reserved().await, euros("0.10"));
        // Not in the spool at all: released.
        let r = site
            .billing
            .reserve_from(
                "alice",
                "20261207T000000Z-0000000a",
                &quote(1),
                Some(&site.origin),
                now,
            )
            .await
            .unwrap();
        let missing: JobId = "20261207T000000Z-0000000a".parse().unwrap();
        assert!(release_unqueued(&site.billing, &site.spool, &missing, &r.id, now).await);
        assert_eq!(site.state_of(&r.id).await.0, ReservationState::Released);
        drop(c);
        site.directory.close().await;
    });
}
