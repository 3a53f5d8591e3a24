//! `faxvox send` and the outbound dialer of `faxvox serve`, with the built binary, a real
//! SQLite database, a real spool, real SIP/RTP sockets on 127.0.0.1 and a real SMTP server
//! (aiosmtpd):
//! - refusals: spoofed caller id, unknown account, corrupt document, the ceiling (with its
//!   reason), sending disabled, a do-not-fax destination (`faxvox block`) — each with exit
//!   code 2 and nothing reserved;
//! - end to end: the trunk is the gateway itself; a fax from account A to B's fax line
//!   arrives by email to B, pages equal pixel for pixel, A is charged pages × rate exactly,
//!   gets a status email, and a call record (direction out) is written; a fax to a number
//!   that is not ours fails (404, exit 3) and costs nothing.

use crate::support;
use crate::support::fax_pages;

use std::process::Output;
use std::time::Duration;

use faxvox_codecs::Page;
use serde_json::Value;

use support::gateway::{attachment, describe_mail, sent_to, wait_mail, Gateway};
use support::peers::require;
use support::poppler::render_pdf;
use support::sip_raw::busy_trunk;
use support::smtp::{SinkOptions, SmtpSink};

pub(super) const ALICE_LINE: &str = "+33100000001";
pub(super) const BOB_LINE: &str = "+33299001122";
const ROWS: u32 = 500;

/// A small fine page (1728 × ROWS): the top of a text-like test page, quick to fax.
fn small_page(seed: u64) -> Page {
    fax_pages::test_page_top(seed, ROWS)
}

/// An installation with accounts alice (line ALICE_LINE) and bob (fax line BOB_LINE), a rate
/// deck (France 0.05 €/page) and `[trunk] uri` pointing at the gateway's own SIP port.
fn site(sink: &SmtpSink) -> Gateway {
    site_with_trunk(sink, None)
}

/// [`site`] with the trunk on another port (`None`: the gateway itself), 2 attempts 1 s apart.
fn site_with_trunk(sink: &SmtpSink, trunk_port: Option<u16>) -> Gateway {
    let gw = Gateway::new(sink);
    gw.add_trunk(
        &format!("sip:127.0.0.1:{}", trunk_port.unwrap_or(gw.sip_port)),
        "retry_secs = 1\nmax_attempts = 2\n",
    );
    gw.account_add("alice", &["alice@a.example"], "Alice SARL");
    gw.account_add("bob", &["fax@bob.example"], "Bob & Fils");
    gw.line_add(ALICE_LINE, "alice", "fax", None);
    gw.line_add(BOB_LINE, "bob", "fax", None);
    gw.rate_france("0.05");
    gw
}

fn run(gw: &Gateway, args: &[&str]) -> (Output, String, String) {
    let out = gw.command(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("faxvox {args:?}: {}\n{stdout}{stderr}", out.status);
    (out, stdout, stderr)
}

/// `faxvox send --account alice --from ALICE_LINE --to BOB_LINE DOC EXTRA… --wait
/// --wait-secs SECS`.
pub(super) fn send_wait(
    gw: &Gateway,
    doc: &str,
    extra: &[&str],
    secs: u32,
) -> (Output, String, String) {
    let secs = secs.to_string();
    let mut args = vec![
        "send",
        "--account",
        "alice",
        "--from",
        ALICE_LINE,
        "--to",
        BOB_LINE,
        doc,
    ];
    args.extend_from_slice(extra);
    args.extend(["--wait", "--wait-secs", &secs]);
    run(gw, &args)
}

fn status(gw: &Gateway, account: &str) -> Value {
    serde_json::from_str(&gw.ok(&["billing", "status", account, "--json"])).unwrap()
}

fn assert_refused(out: &Output, stderr: &str, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "exit code; stderr: {stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in: {stderr}");
}

#[test]
fn refusals_reserve_nothing() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let gw = site(&sink);
    let doc = fax_pages::write_doc(gw.path(), "doc.tif", &[small_page(1), small_page(2)]);
    let doc = doc.display().to_string();

    // Caller id of another account: refused, nothing reserved.
    let (out, _, err) = run(
        &gw,
        &[
            "send",
            "--account",
            "alice",
            "--from",
            BOB_LINE,
            "--to",
            BOB_LINE,
            &doc,
        ],
    );
    assert_refused(
        &out,
        &err,
        "caller id +33299001122 is not a number of account alice (no spoofing)",
    );
    let s = status(&gw, "alice");
    assert_eq!(
        (&s["used"], &s["reserved"]),
        (&"0.00".into(), &"0.00".into())
    );

    // Unknown account.
    let (out, _, err) = run(
        &gw,
        &[
            "send",
            "--account",
            "nobody",
            "--from",
            ALICE_LINE,
            "--to",
            BOB_LINE,
            &doc,
        ],
    );
    assert_refused(&out, &err, "unknown account `nobody`");

    // Corrupt documents: a damaged PDF, and bytes that are no document at all.
    gw.write(
        "broken.pdf",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage",
    );
    gw.write("noise.bin", &[0x5a; 4096]);
    for (name, needle) in [
        ("broken.pdf", "document refused"),
        ("noise.bin", "unsupported document format"),
    ] {
        let path = gw.path().join(name).display().to_string();
        let (out, _, err) = run(
            &gw,
            &[
                "send",
                "--account",
                "alice",
                "--from",
                ALICE_LINE,
                "--to",
                BOB_LINE,
                &path,
            ],
        );
        assert_refused(&out, &err, needle);
    }
    let s = status(&gw, "alice");
    assert_eq!(s["reserved"], "0.00");

    // Ceiling 0.15 €: a 2-page fax (0.10 €) is queued, the next is refused with the reason.
    gw.ok(&["billing", "ceiling", "alice", "0.15"]);
    let send = [
        "send",
        "--account",
        "alice",
        "--from",
        ALICE_LINE,
        "--to",
        BOB_LINE,
    ];
    let mut args = send.to_vec();
    args.push(&doc);
    let (out, stdout, _) = run(&gw, &args);
    assert!(out.status.success());
    assert!(
        stdout.starts_with("fax ") && stdout.contains("queued: 2 pages, 0.10 € reserved"),
        "{stdout}"
    );
    assert_eq!(status(&gw, "alice")["reserved"], "0.10");
    let (out, _, err) = run(&gw, &args);
    assert_refused(
        &out,
        &err,
        "out-of-plan ceiling reached for account `alice`",
    );
    assert!(
        err.contains("faxvox billing deposit alice AMOUNT"),
        "how to raise it: {err}"
    );
    assert_eq!(status(&gw, "alice")["reserved"], "0.10");
    // A deposit lifts the limit at once.
    gw.ok(&["billing", "deposit", "alice", "1"]);
    let (out, _, _) = run(&gw, &args);
    assert!(out.status.success());
    assert_eq!(status(&gw, "alice")["reserved"], "0.20");

    // Both queued faxes are outbound jobs in the spool, left alone by `spool work`.
    let list = gw.ok(&["spool", "work", "--until-idle"]);
    eprintln!("{list}");
    let jobs = std::fs::read_dir(gw.path().join("spool"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("manifest.json").exists())
        .map(|e| {
            let m: Value =
                serde_json::from_slice(&std::fs::read(e.path().join("manifest.json")).unwrap())
                    .unwrap();
            (m["kind"].clone(), m["state"]["name"].clone())
        })
        .collect::<Vec<_>>();
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    for (kind, state) in &jobs {
        assert_eq!(
            (kind.as_str(), state.as_str()),
            (Some("outbound-fax"), Some("ready"))
        );
    }

    // Without a trunk, sending is refused with a clear reason.
    let out = gw
        .command(&args)
        .env("FAXVOX_TRUNK_URI", "")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_refused(&out, &err, "sending is disabled: trunk.uri is not set");
}

/// Call records of one direction as (account, caller, called, pages, status, reason).
type Row = (String, String, String, Option<i64>, String, String);
fn records(gw: &Gateway, direction: &str) -> Vec<Row> {
    use sqlx::Row;
    let db = gw.path().join("faxvox.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&db)
            .read_only(true);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .unwrap();
        let rows = sqlx::query(
            "SELECT account, caller, called, pages, status, reason FROM call_records \
             WHERE direction = $1 ORDER BY id",
        )
        .bind(direction)
        .fetch_all(&pool)
        .await
        .unwrap();
        let out = rows
            .iter()
            .map(|r| {
                (
                    r.get("account"),
                    r.get("caller"),
                    r.get("called"),
                    r.get("pages"),
                    r.get("status"),
                    r.get("reason"),
                )
            })
            .collect();
        pool.close().await;
        out
    })
}

#[test]
fn fax_sent_through_the_trunk_arrives_and_is_charged_exactly() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = site(&sink);
    let port = gw.sip_port;
    gw.start();
    assert_eq!(
        gw.sip_port, port,
        "the gateway moved to another port; trunk.uri points at the old one"
    );
    // The dialer starts after the SIP server answers OPTIONS: wait for its line.
    assert!(
        gw.wait_log(
            "sending faxes through sip:127.0.0.1:",
            Duration::from_secs(20)
        ),
        "dialer not started:\n{}",
        gw.log()
    );

    // 0.35 € ceiling: two faxes (0.20 €) stay under 80 %, reserving the third crosses it.
    gw.ok(&["billing", "ceiling", "alice", "0.35"]);
    let pages = [small_page(11), small_page(12)];
    let doc = fax_pages::write_doc(gw.path(), "letter.tif", &pages);
    let doc = doc.display().to_string();
    let (out, stdout, stderr) = send_wait(&gw, &doc, &[], 150);
    if !out.status.success() {
        gw.print_log();
    }
    assert!(out.status.success(), "send --wait: {stdout}{stderr}");
    assert!(
        stdout.contains("sent: 2/2 pages, 0.10 € charged"),
        "{stdout}"
    );

    // Bob gets the fax, pages equal to those sent.
    let mail = wait_mail(&sink, Duration::from_secs(60), |m| {
        sent_to(m, "fax@bob.example") && attachment(m, "application/pdf").is_some()
    })
    .unwrap_or_else(|| panic!("no fax email for bob:\n{}", describe_mail(&sink)));
    let received: Vec<Page> = {
        // The gateway's own copy of what arrived (the inbound job's TIFF)…
        let dir = std::fs::read_dir(gw.path().join("spool"))
            .unwrap()
            .flatten()
            .map(|e| e.path().join("fax.tiff"))
            .find(|p| p.exists())
            .expect("inbound fax job in the spool");
        fax_pages::read_doc(&dir)
    };
    // The pages sent, with the header line in their top 5 mm and nothing else changed.
    fax_pages::assert_same_below_header(&pages, &received);
    fax_pages::assert_header_page_number(&received[0], 1, 2);
    fax_pages::assert_header_page_number(&received[1], 2, 2);
    // …and the PDF in the email, rendered by poppler when it is installed: the pages that
    // arrived, pixel for pixel (so the pages sent below the header band).
    if let Some(pdftoppm) = require("pdftoppm", "poppler-utils") {
        let (_, _, pdf) = attachment(&mail, "application/pdf").unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let rendered = render_pdf(&pdftoppm, &pdf, tmp.path(), "mail");
        assert_eq!(rendered.len(), 2, "pages in the PDF");
        for (i, (sent, got)) in received.iter().zip(&rendered).enumerate() {
            assert!(
                sent.bitmap == *got,
                "PDF page {} differs from the page sent",
                i + 1
            );
        }
    }

    // Alice is charged exactly pages × rate, and told.
    let s = status(&gw, "alice");
    assert_eq!(
        (&s["used"], &s["reserved"]),
        (&"0.10".into(), &"0.00".into()),
        "{s}"
    );
    let report = wait_mail(&sink, Duration::from_secs(20), |m| {
        sent_to(m, "alice@a.example")
    })
    .unwrap_or_else(|| panic!("no status email for alice:\n{}", describe_mail(&sink)));
    let subject = report.python_header("subject").unwrap_or_default();
    assert!(
        subject.contains("sent, 2/2 pages") || subject.contains("envoyé, 2/2 pages"),
        "{subject}"
    );
    // …with the PDF transmission report attached: one page.
    let (report_name, _, report_pdf) = attachment(&report, "application/pdf")
        .unwrap_or_else(|| panic!("no report attached:\n{}", describe_mail(&sink)));
    assert!(report_name.starts_with("fax-report-"), "{report_name}");
    assert!(report_pdf.starts_with(b"%PDF"), "report is not a PDF");
    if let Some(pdftoppm) = require("pdftoppm", "poppler-utils") {
        let tmp = tempfile::tempdir().unwrap();
        let rendered = render_pdf(&pdftoppm, &report_pdf, tmp.path(), "report");
        assert_eq!(rendered.len(), 1, "pages in the transmission report");
    }
    let outbound = records(&gw, "out");
    assert_eq!(outbound.len(), 1, "{outbound:?}");
    let (account, caller, called, pages_sent, status_, reason) = &outbound[0];
    assert_eq!(
        (
            account.as_str(),
            caller.as_str(),
            called.as_str(),
            *pages_sent,
            status_.as_str()
        ),
        ("alice", ALICE_LINE, BOB_LINE, Some(2), "ok")
    );
    assert!(reason.contains("cost 0.10 €"), "{reason}");

    // The job's story: one attempt, over T.38 (the receiving gateway asks for it, the trunk
    // policy accepts).
    let job: Value = {
        let id = stdout.split_whitespace().nth(1).unwrap();
        let m = gw.path().join("spool").join(id).join("manifest.json");
        serde_json::from_slice(&std::fs::read(m).unwrap()).unwrap()
    };
    assert_eq!(job["state"]["name"], "delivered", "{job:#}");
    let attempts = job["facts"]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "{job:#}");
    assert_eq!(attempts[0]["t38"], true, "{job:#}");

    // Anonymous: the receiving gateway sees no caller number.
    let (out, stdout, _) = send_wait(&gw, &doc, &["--anonymous"], 150);
    assert!(out.status.success(), "{stdout}");
    let inbound = records(&gw, "in");
    assert_eq!(inbound.len(), 2, "{inbound:?}");
    assert_eq!(inbound[0].1, ALICE_LINE, "{inbound:?}");
    assert!(
        inbound[1].1.is_empty() || inbound[1].1 == "anonymous",
        "caller seen by the receiver: {inbound:?}"
    );
    assert_eq!(status(&gw, "alice")["used"], "0.20");

    // A number that is not ours: 404 from the trunk, failed at once, nothing charged.
    let (out, stdout, _) = run(
        &gw,
        &[
            "send",
            "--account",
            "alice",
            "--from",
            ALICE_LINE,
            "--to",
            "+33288888888",
            &doc,
            "--wait",
            "--wait-secs",
            "60",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("failed: 404"), "{stdout}");
    let s = status(&gw, "alice");
    assert_eq!(
        (&s["used"], &s["reserved"]),
        (&"0.20".into(), &"0.00".into()),
        "{s}"
    );
    // Reserving it took consumption to 80 % of the ceiling: alice is told, once.
    let notice = wait_mail(&sink, Duration::from_secs(20), |m| {
        sent_to(m, "alice@a.example")
            && m.python_header("subject")
                .is_some_and(|s| s.contains("80 %"))
    })
    .unwrap_or_else(|| panic!("no 80 % notice for alice:\n{}", describe_mail(&sink)));
    eprintln!("notice: {:?}", notice.python_header("subject"));
    gw.assert_alive("after sending");
}

/// The value of header `name` in a raw SIP request (first occurrence, case-insensitive).
fn header<'a>(request: &'a str, name: &str) -> Option<&'a str> {
    request
        .split("\r\n")
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

#[test]
fn busy_line_is_retried_then_fails_without_charge() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let (port, invites) = busy_trunk();
    let mut gw = site_with_trunk(&sink, Some(port));
    gw.start();
    let doc = fax_pages::write_doc(gw.path(), "doc.tif", &[small_page(5)]);
    let doc = doc.display().to_string();
    let (out, stdout, _) = send_wait(&gw, &doc, &[], 60);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("failed: 486 Busy Here (after 2 attempts)"),
        "{stdout}"
    );
    assert_eq!(invites.lock().unwrap().len(), 2, "INVITEs: {invites:?}");
    // The node counted both dials as busy outbound fax calls (`faxvox status --json`).
    let node: Value =
        serde_json::from_str(&gw.ok(&["status", "--json", "--url", &gw.metrics_url()])).unwrap();
    assert_eq!(node["calls_total"]["out_fax"]["busy"], 2, "{node}");
    assert_eq!(node["calls_in_progress"]["out_fax"], 0, "{node}");
    let s = status(&gw, "alice");
    assert_eq!(
        (&s["used"], &s["reserved"]),
        (&"0.00".into(), &"0.00".into()),
        "{s}"
    );
    // Each attempt is on record.
    let outbound = records(&gw, "out");
    assert_eq!(outbound.len(), 2, "{outbound:?}");
    assert!(outbound.iter().all(|r| r.4 == "failed"), "{outbound:?}");
    // The client is told it was not sent.
    let mail = wait_mail(&sink, Duration::from_secs(20), |m| {
        sent_to(m, "alice@a.example")
    })
    .unwrap_or_else(|| panic!("no status email:\n{}", describe_mail(&sink)));
    let subject = mail.python_header("subject").unwrap_or_default();
    assert!(
        subject.contains("non envoyé") || subject.contains("not sent"),
        "{subject}"
    );
    // The caller id: the account's number in From, asserted to the trunk, no Privacy.
    {
        let invites = invites.lock().unwrap();
        let invite = &invites[0].1;
        let from = header(invite, "From").unwrap_or_default();
        assert!(from.contains(&format!("sip:{ALICE_LINE}@")), "{invite}");
        assert_eq!(
            header(invite, "P-Asserted-Identity"),
            Some(format!("<sip:{ALICE_LINE}@127.0.0.1:{port};user=phone>").as_str()),
            "{invite}"
        );
        assert_eq!(header(invite, "Privacy"), None, "{invite}");
    }

    // Masked (--anonymous): From is anonymous and carries no number, `Privacy: id` asks the
    // trunk to withhold it, and P-Asserted-Identity still tells the trunk who calls.
    let (out, stdout, _) = send_wait(&gw, &doc, &["--anonymous"], 60);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    let invites = invites.lock().unwrap();
    assert_eq!(invites.len(), 4, "INVITEs: {invites:?}");
    for (_, invite) in &invites[2..] {
        let from = header(invite, "From").unwrap_or_default();
        assert!(
            from.contains("sip:anonymous@anonymous.invalid") && from.contains("Anonymous"),
            "{invite}"
        );
        assert!(!from.contains(ALICE_LINE), "{invite}");
        assert_eq!(header(invite, "Privacy"), Some("id"), "{invite}");
        assert_eq!(
            header(invite, "P-Asserted-Identity"),
            Some(format!("<sip:{ALICE_LINE}@127.0.0.1:{port};user=phone>").as_str()),
            "{invite}"
        );
        // Nothing else in the request names the number either (Contact, display name…).
        let visible: String = invite
            .split("\r\n")
            .filter(|l| !l.to_ascii_lowercase().starts_with("p-asserted-identity"))
            .collect();
        assert!(!visible.contains(ALICE_LINE), "{invite}");
    }
    assert_eq!(status(&gw, "alice")["used"], "0.00");
}

/// The T.30 fallback ladder, end to end: the receiving gateway takes one page per call
/// (`fax.max_pages = 1`), so every attempt ends after one page. The first attempt (over T.38,
/// which the receiver asks for) sends page 1; the dialer tries again at once with the first
/// fallback (G.711 instead of T.38) sending only pages 2–3, which gets page 2 through; then
/// with the second (ECM off, at most 9600 bit/s) sending page 3. The receiver gets each page
/// once, pixel for pixel; the sender is charged for 3 pages; every attempt is on record.
#[test]
fn t30_failures_walk_the_fallback_ladder_sending_only_the_rest() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = site(&sink);
    gw.set("FAXVOX_FAX_MAX_PAGES", "1");
    gw.start();
    let pages = [small_page(21), small_page(22), small_page(23)];
    let doc = fax_pages::write_doc(gw.path(), "three.tif", &pages);
    let doc = doc.display().to_string();
    let (out, stdout, stderr) = send_wait(&gw, &doc, &[], 300);
    let job: Value = {
        let id = stdout.split_whitespace().nth(1).unwrap_or_default();
        let m = gw.path().join("spool").join(id).join("manifest.json");
        serde_json::from_slice(&std::fs::read(m).unwrap_or_default()).unwrap_or_default()
    };
    if !out.status.success() {
        gw.print_log();
    }
    assert!(
        out.status.success(),
        "send --wait: {stdout}{stderr}\n{job:#}"
    );
    assert!(
        stdout.contains("sent: 3/3 pages, 0.15 € charged"),
        "{stdout}"
    );
    let attempts = job["facts"]["attempts"].as_array().unwrap();
    let modes: Vec<(bool, bool, u64, bool, u64)> = attempts
        .iter()
        .map(|a| {
            (
                a["t38"].as_bool().unwrap(),
                a["ecm"].as_bool().unwrap(),
                a["max_bit_rate"].as_u64().unwrap(),
                a["fallback"].as_bool().unwrap(),
                a["pages"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        modes,
        [
            (true, true, 14_400, false, 1),
            (false, true, 14_400, true, 1),
            (false, false, 9_600, true, 1),
        ],
        "(t38, ecm, max rate, fallback, pages) per attempt: {job:#}"
    );
    assert_eq!(job["facts"]["fallbacks"], 2, "{job:#}");
    let s = status(&gw, "alice");
    assert_eq!(
        (&s["used"], &s["reserved"]),
        (&"0.15".into(), &"0.00".into()),
        "{s}"
    );
    // Bob received page 1, 2 and 3 in three calls, pixel for pixel below the header line,
    // each once; each retry's page is numbered in the whole fax.
    let mut received: Vec<Vec<Page>> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while received.len() < 3 && std::time::Instant::now() < deadline {
        received = std::fs::read_dir(gw.path().join("spool"))
            .unwrap()
            .flatten()
            .map(|e| e.path().join("fax.tiff"))
            .filter(|p| p.exists())
            .map(|p| fax_pages::read_doc(&p))
            .collect();
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(received.len(), 3, "inbound faxes");
    for (i, sent) in pages.iter().enumerate() {
        let band = faxvox_codecs::header::band_rows(sent.resolution);
        let got: Vec<&Vec<Page>> = received
            .iter()
            .filter(|doc| {
                doc.len() == 1
                    && doc[0].bitmap.height() == sent.bitmap.height()
                    && (band..sent.bitmap.height())
                        .all(|y| doc[0].bitmap.row(y) == sent.bitmap.row(y))
            })
            .collect();
        assert_eq!(got.len(), 1, "page {} received {} times", i + 1, got.len());
        fax_pages::assert_same_below_header(std::slice::from_ref(sent), got[0]);
        fax_pages::assert_header_page_number(&got[0][0], i as u32 + 1, 3);
    }
    // Three outbound records: the last carries the fax's charge, the others nothing.
    let outbound = records(&gw, "out");
    assert_eq!(outbound.len(), 3, "{outbound:?}");
    assert!(outbound.iter().all(|r| r.3 == Some(1)), "{outbound:?}");
    assert!(outbound[2].5.contains("cost 0.15 €"), "{outbound:?}");
    gw.assert_alive("after the fallbacks");
}

/// SIGHUP gives the running dialer new trunk settings: after the reload, faxes go to the new
/// trunk with its attempt count; a reload that would empty `trunk.uri` is refused and logged.
#[test]
fn sighup_reloads_the_trunk() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let (port_a, invites_a) = busy_trunk();
    let (port_b, invites_b) = busy_trunk();
    let mut gw = site_with_trunk(&sink, Some(port_a));
    gw.start();
    let doc = fax_pages::write_doc(gw.path(), "doc.tif", &[small_page(7)]);
    let doc = doc.display().to_string();
    let send = |gw: &Gateway| {
        let (out, stdout, _) = send_wait(gw, &doc, &[], 60);
        assert_eq!(out.status.code(), Some(3), "{stdout}");
        stdout
    };
    let stdout = send(&gw);
    assert!(stdout.contains("(after 2 attempts)"), "{stdout}");
    assert_eq!(invites_a.lock().unwrap().len(), 2);

    let config = std::fs::read_to_string(&gw.config).unwrap();
    let moved = config
        .replace(
            &format!("uri = \"sip:127.0.0.1:{port_a}\""),
            &format!("uri = \"sip:127.0.0.1:{port_b}\""),
        )
        .replace("max_attempts = 2", "max_attempts = 1");
    assert_ne!(moved, config);
    std::fs::write(&gw.config, &moved).unwrap();
    gw.signal("HUP");
    assert!(
        gw.wait_log("trunk settings reloaded", Duration::from_secs(10)),
        "{}",
        gw.log()
    );
    let stdout = send(&gw);
    assert!(stdout.contains("(after 1 attempt)"), "{stdout}");
    assert_eq!(
        invites_a.lock().unwrap().len(),
        2,
        "the old trunk was dialled"
    );
    assert_eq!(invites_b.lock().unwrap().len(), 1, "the new trunk was not");

    // Sending cannot be switched off by a reload: refused, logged, the dialer keeps trunk B.
    std::fs::write(
        &gw.config,
        moved.replace(&format!("uri = \"sip:127.0.0.1:{port_b}\""), "uri = \"\""),
    )
    .unwrap();
    gw.signal("HUP");
    assert!(
        gw.wait_log("trunk settings not reloaded", Duration::from_secs(10)),
        "{}",
        gw.log()
    );
    gw.assert_alive("after the reloads");
}

/// The status email goes through the spool: with the mail server down when the fax ends, the
/// `fax-status` job waits (`retrying`, the reason on record) and is delivered, report attached,
/// once the server is reachable — nothing is lost.
#[test]
fn status_email_waits_in_the_spool_while_smtp_is_down() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let (port, _invites) = busy_trunk();
    let mut gw = site_with_trunk(&sink, Some(port));
    let good = std::fs::read_to_string(&gw.config).unwrap();
    let dead_port = support::gateway::free_port();
    let down = good.replace(
        &format!("smtp://127.0.0.1:{}?", sink.port),
        &format!("smtp://127.0.0.1:{dead_port}?"),
    );
    assert_ne!(down, good);
    std::fs::write(&gw.config, &down).unwrap();
    gw.start();
    let doc = fax_pages::write_doc(gw.path(), "doc.tif", &[small_page(9)]);
    let doc = doc.display().to_string();
    let (out, stdout, _) = send_wait(&gw, &doc, &[], 60);
    assert_eq!(out.status.code(), Some(3), "{stdout}");

    // The status job is in the spool, waiting for the mail server.
    let status_job = || -> Option<Value> {
        std::fs::read_dir(gw.path().join("spool"))
            .ok()?
            .flatten()
            .filter_map(|e| std::fs::read(e.path().join("manifest.json")).ok())
            .filter_map(|b| serde_json::from_slice::<Value>(&b).ok())
            .find(|m| m["kind"] == "fax-status")
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let waiting = loop {
        if let Some(m) = status_job().filter(|m| m["state"]["name"] == "retrying") {
            break m;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no retrying status job: {:?}\n{}",
            status_job(),
            gw.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        waiting["media"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "report.pdf"),
        "{waiting:#}"
    );
    assert_eq!(sink.messages().len(), 0, "nothing can have been mailed yet");

    // The server is back (SIGHUP reloads the SMTP settings); the job goes out at once when
    // retried, with the report.
    std::fs::write(&gw.config, &good).unwrap();
    gw.signal("HUP");
    assert!(gw.wait_log("configuration reloaded", Duration::from_secs(10)));
    gw.ok(&["spool", "retry", "--all"]);
    let mail = wait_mail(&sink, Duration::from_secs(30), |m| {
        sent_to(m, "alice@a.example")
    })
    .unwrap_or_else(|| panic!("no status email:\n{}\n{}", describe_mail(&sink), gw.log()));
    let subject = mail.python_header("subject").unwrap_or_default();
    assert!(
        subject.contains("non envoyé") || subject.contains("not sent"),
        "{subject}"
    );
    let (name, _, pdf) = attachment(&mail, "application/pdf").expect("the report");
    assert!(
        name.starts_with("fax-report-") && pdf.starts_with(b"%PDF"),
        "{name}"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while status_job().is_none_or(|m| m["state"]["name"] != "delivered") {
        assert!(std::time::Instant::now() < deadline, "{:?}", status_job());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sends one small page from alice to bob with `--wait`; returns the job's manifest.
fn send_one(gw: &Gateway, seed: u64) -> Value {
    let doc = fax_pages::write_doc(gw.path(), &format!("p{seed}.tif"), &[small_page(seed)]);
    let doc = doc.display().to_string();
    let (out, stdout, stderr) = send_wait(gw, &doc, &[], 150);
    assert!(out.status.success(), "send --wait: {stdout}{stderr}");
    assert!(
        stdout.contains("sent: 1/1 pages, 0.05 € charged"),
        "{stdout}"
    );
    let id = stdout.split_whitespace().nth(1).unwrap();
    let m = gw.path().join("spool").join(id).join("manifest.json");
    serde_json::from_slice(&std::fs::read(m).unwrap()).unwrap()
}

/// `trunk.t38`, the trunk's T.38 policy, decides on our side of the call: with a receiver that
/// only accepts T.38 (`sip.t38 = "accept"`), `accept` stays on G.711 and `request` (after a
/// SIGHUP) switches to T.38 itself.
#[test]
fn trunk_t38_request_asks_for_t38_itself() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = site(&sink);
    gw.set("FAXVOX_SIP_T38", "accept");
    gw.start();
    let job = send_one(&gw, 31);
    assert_eq!(job["facts"]["attempts"][0]["t38"], false, "{job:#}");

    let config = std::fs::read_to_string(&gw.config).unwrap();
    std::fs::write(
        &gw.config,
        config.replace("[trunk]\n", "[trunk]\nt38 = \"request\"\n"),
    )
    .unwrap();
    gw.signal("HUP");
    assert!(gw.wait_log("trunk settings reloaded", Duration::from_secs(10)));
    let job = send_one(&gw, 32);
    assert_eq!(job["facts"]["attempts"][0]["t38"], true, "{job:#}");
    assert_eq!(status(&gw, "alice")["used"], "0.10");
}

/// `trunk.t38 = "off"`: the receiver asks for T.38 (its default), we refuse, and the fax goes
/// through on G.711.
#[test]
fn trunk_t38_off_keeps_the_fax_on_g711() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = site(&sink);
    let config = std::fs::read_to_string(&gw.config).unwrap();
    std::fs::write(
        &gw.config,
        config.replace("[trunk]\n", "[trunk]\nt38 = \"off\"\n"),
    )
    .unwrap();
    gw.start();
    let job = send_one(&gw, 33);
    // (With the default `accept`, the same receiver switches the call to T.38: see
    // `fax_sent_through_the_trunk_arrives_and_is_charged_exactly`.)
    assert_eq!(job["facts"]["attempts"][0]["t38"], false, "{job:#}");
}

/// `faxvox block add|list|remove` round trip, and `faxvox send` to a do-not-fax destination:
/// refused (exit 2) with the entry as the reason, nothing reserved, nothing queued.
#[test]
fn block_list_round_trip_and_do_not_fax_refused() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let gw = site(&sink);
    let doc = fax_pages::write_doc(gw.path(), "doc.tif", &[small_page(3)]);
    let doc = doc.display().to_string();

    assert!(gw
        .ok(&["block", "list"])
        .contains("the block list is empty"));
    let added = gw.ok(&["block", "add", "0033 2 99 00 11 22", "--account", "alice"]);
    assert!(
        added.contains("blocked +33299001122 (account alice, in and out)"),
        "{added}"
    );
    let added = gw.ok(&["block", "add", "+1 555*", "--direction", "in"]);
    assert!(
        added.contains("blocked +1555 (operator-wide, calls in)"),
        "{added}"
    );
    // The same pattern twice in one scope, an unknown account, a bad direction: refused.
    for args in [
        &["block", "add", "+33299001122", "--account", "alice"][..],
        &["block", "add", "+336", "--account", "nobody"][..],
        &["block", "add", "+336", "--direction", "sideways"][..],
        &["block", "add", "06 12 34 56 78"][..],
    ] {
        let (out, _, err) = run(&gw, args);
        assert!(!out.status.success(), "{args:?} accepted: {err}");
    }
    let list: Value = serde_json::from_str(&gw.ok(&["block", "list", "--json"])).unwrap();
    let entries: Vec<(String, Value, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["pattern"].as_str().unwrap().to_string(),
                e["account"].clone(),
                e["direction"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            ("+1555".to_string(), Value::Null, "in".to_string()),
            (
                "+33299001122".to_string(),
                "alice".into(),
                "both".to_string()
            ),
        ]
    );
    let table = gw.ok(&["block", "list", "--account", "alice"]);
    assert!(
        table.contains("+33299001122") && !table.contains("+1555"),
        "{table}"
    );

    let send = [
        "send",
        "--account",
        "alice",
        "--from",
        ALICE_LINE,
        "--to",
        BOB_LINE,
        &doc,
    ];
    let (out, _, err) = run(&gw, &send);
    assert_refused(
        &out,
        &err,
        "+33299001122 is on the block list (do-not-fax): entry +33299001122 (account alice, in and out)",
    );
    let s = status(&gw, "alice");
    assert_eq!(
        (&s["used"], &s["reserved"]),
        (&"0.00".into(), &"0.00".into())
    );
    let jobs = std::fs::read_dir(gw.path().join("spool"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("manifest.json").exists())
        .count();
    assert_eq!(jobs, 0, "a refused fax left a spool job");

    // Removed (in any written form): the same fax is queued.
    let removed = gw.ok(&["block", "remove", "+33 2 99 00 11 22", "--account", "alice"]);
    assert!(removed.contains("unblocked +33299001122"), "{removed}");
    let (out, _, err) = run(
        &gw,
        &["block", "remove", "+33299001122", "--account", "alice"],
    );
    assert!(!out.status.success());
    assert!(
        err.contains("is not on the block list (account alice)"),
        "{err}"
    );
    let (out, stdout, _) = run(&gw, &send);
    assert!(out.status.success(), "{stdout}");
    assert_eq!(status(&gw, "alice")["reserved"], "0.05");
    gw.ok(&["block", "remove", "+1555"]);
    assert!(gw
        .ok(&["block", "list"])
        .contains("the block list is empty"));
}
