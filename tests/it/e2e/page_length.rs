//! End to end, on real sockets: a caller sends a page a million rows long (130 m of paper at
//! fine resolution; 125 KB of T.6 over T.38 with ECM) to a fax line of `faxvox serve`. The
//! gateway keeps the page up to `fax.max_page_length_mm` (600 mm), ends the call, and emails
//! the pages with the cut one; its memory stays flat meanwhile (before the limit it held every
//! decoded row: 216 bytes each); an ordinary fax sent at the same time arrives untouched, and
//! the gateway still answers afterwards.

use crate::support;
use crate::support::fax_pages;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::gateway::{attachment, describe_mail, sent_to, Gateway};
use support::peers::require;
use support::poppler::render_pdf;
use support::sip_raw;
use support::smtp::{Received, SinkOptions, SmtpSink};

const FAX_LINE: &str = "+33299001122";
const HUGE_ROWS: u32 = 1_000_000;
/// 600 mm at fine resolution (7.7 rows per mm).
const LIMIT_ROWS: u32 = 4620;

/// Resident set of a process, kB (0 once it is gone).
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// `faxvox call fax` with a longer call timeout than `Gateway::call` gives (the cut comes at
/// the end of the first ECM block, about 40 s of T.38 at 14 400 bit/s), in caller port slot
/// `slot` of 2.
fn call_fax(gw: &Gateway, slot: u16, args: &[&str]) -> std::process::Output {
    let ports = gw.caller_rtp.1 - gw.caller_rtp.0 + 1;
    let per = ports / 2;
    let lo = gw.caller_rtp.0 + slot * per;
    let mut full = vec!["call", "fax", "--timeout-secs", "150"];
    full.extend_from_slice(args);
    let out = gw
        .command(&full)
        .env("FAXVOX_SIP_LISTEN", "127.0.0.1:0")
        .env("FAXVOX_SIP_RTP_PORTS", format!("{lo}-{}", lo + per - 1))
        .env("FAXVOX_SIP_MEDIA_IP", "127.0.0.1")
        .output()
        .unwrap();
    eprintln!(
        "faxvox call fax {args:?}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text_body(m: &Received) -> String {
    m.meta["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["content_type"] == "text/plain")
        .filter_map(|p| p["text"].as_str())
        .collect()
}

#[test]
fn endless_page_is_cut_memory_stays_flat_and_other_calls_go_on() {
    let Some(pdftoppm) = require("pdftoppm", "poppler-utils") else {
        return;
    };
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["fax@acme.example"], "Cabinet Lefèvre");
    gw.line_add(FAX_LINE, "acme", "fax", None);
    gw.start();
    let pid = gw.pid().unwrap();

    // An ordinary first page, then one a million blank rows long. (600-row pages: poppler
    // renders them back at exactly 600 rows at 196 dpi, as in e2e_fax.)
    let first = fax_pages::test_page_top(7, 600);
    let huge = fax_pages::write_g4_strips(
        gw.path(),
        "huge.tif",
        &[
            fax_pages::g4_strip(&first),
            (fax_pages::blank_g4_strip(HUGE_ROWS), HUGE_ROWS),
        ],
    );
    let normal_page = fax_pages::test_page_top(8, 600);
    let normal = fax_pages::write_doc(gw.path(), "normal.tif", std::slice::from_ref(&normal_page));

    // Sample the gateway's memory through the calls.
    std::thread::sleep(Duration::from_millis(300));
    let before_kb = rss_kb(pid);
    let stop = AtomicBool::new(false);
    let uri = gw.uri(FAX_LINE);
    let (peak_kb, huge_out, normal_out, call_secs) = std::thread::scope(|s| {
        let sampler = s.spawn(|| {
            let mut peak = 0;
            while !stop.load(Ordering::Relaxed) {
                peak = peak.max(rss_kb(pid));
                std::thread::sleep(Duration::from_millis(50));
            }
            peak
        });
        let started = Instant::now();
        let huge_call = s.spawn(|| {
            let doc = huge.display().to_string();
            call_fax(
                &gw,
                0,
                &[
                    "--to",
                    &uri,
                    "--file",
                    &doc,
                    "--tiff-as-is",
                    "--t38",
                    "--from",
                    "+15550002001",
                ],
            )
        });
        // An ordinary fax to the same line while the endless page is being sent.
        std::thread::sleep(Duration::from_secs(5));
        let doc = normal.display().to_string();
        let normal_out = call_fax(
            &gw,
            1,
            &[
                "--to",
                &uri,
                "--file",
                &doc,
                "--t38",
                "--from",
                "+15550002002",
            ],
        );
        let huge_out = huge_call.join().unwrap();
        let call_secs = started.elapsed().as_secs_f64();
        // A little longer, for the delivery worker's PDF of the cut page.
        std::thread::sleep(Duration::from_secs(3));
        stop.store(true, Ordering::Relaxed);
        (sampler.join().unwrap(), huge_out, normal_out, call_secs)
    });
    let growth_mb = peak_kb.saturating_sub(before_kb) as f64 / 1024.0;
    eprintln!(
        "gateway RSS: {before_kb} kB before, {peak_kb} kB at the peak (+{growth_mb:.1} MB); \
         the endless call took {call_secs:.0} s"
    );
    assert!(
        normal_out.status.success(),
        "the ordinary fax sent during the endless one failed"
    );
    // The caller's call was ended by the gateway, long before its 130 m page was through.
    assert!(!huge_out.status.success(), "the endless fax cannot succeed");
    assert!(
        call_secs < 140.0,
        "the endless call was not ended: {call_secs:.0} s"
    );
    assert!(
        growth_mb < 64.0,
        "gateway memory grew by {growth_mb:.1} MB during the endless page"
    );

    // Still answering.
    assert!(
        sip_raw::ping(gw.sip_addr(), Duration::from_secs(2)),
        "no OPTIONS answer after the endless fax"
    );
    gw.assert_alive("after the endless fax");

    // Two emails: the ordinary fax, and the cut one which says so.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mails = loop {
        let mails: Vec<_> = sink
            .messages()
            .into_iter()
            .filter(|m| {
                sent_to(m, "fax@acme.example") && attachment(m, "application/pdf").is_some()
            })
            .collect();
        if mails.len() >= 2 || Instant::now() > deadline {
            break mails;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(mails.len(), 2, "{}", describe_mail(&sink));
    let is_cut = |m: &Received| {
        m.python_header("subject")
            .is_some_and(|s| s.contains("coupée à 600 mm"))
    };
    let cut = mails
        .iter()
        .find(|m| is_cut(m))
        .unwrap_or_else(|| panic!("no email says the page was cut:\n{}", describe_mail(&sink)));
    let subject = cut.python_header("subject").unwrap();
    assert!(subject.contains("page 2 trop longue"), "{subject}");
    let body = text_body(cut);
    assert!(
        body.contains("la page 2 dépassait 600 mm") && body.contains("coupée à 600 mm"),
        "{body}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let (_, _, pdf) = attachment(cut, "application/pdf").unwrap();
    let pages = render_pdf(&pdftoppm, &pdf, tmp.path(), "cut");
    // Keep the rendered pages for a look (KEEP_RENDER_DIR=dir).
    if let Ok(keep) = std::env::var("KEEP_RENDER_DIR") {
        let _ = std::fs::create_dir_all(&keep);
        for e in std::fs::read_dir(tmp.path()).unwrap().flatten() {
            let _ = std::fs::copy(e.path(), std::path::Path::new(&keep).join(e.file_name()));
        }
    }
    assert_eq!(pages.len(), 2, "page 1 and the cut page 2");
    let p1 = &pages[0];
    let differs =
        (0..p1.height().min(first.bitmap.height())).find(|&y| p1.row(y) != first.bitmap.row(y));
    assert!(
        pages[0] == first.bitmap,
        "page 1 arrives pixel for pixel: got {}x{}, first differing row {differs:?}",
        p1.width(),
        p1.height()
    );
    let p2 = &pages[1];
    eprintln!("cut page rendered: {}x{}", p2.width(), p2.height());
    assert_eq!(p2.width(), 1728);
    assert!(
        p2.height().abs_diff(LIMIT_ROWS) <= 1,
        "cut page is {} rows, not {LIMIT_ROWS} (600 mm)",
        p2.height()
    );
    assert!((0..p2.height()).all(|y| p2.row(y).iter().all(|&b| b == 0)));
    let ordinary = mails.iter().find(|m| !is_cut(m)).unwrap();
    let (_, _, pdf) = attachment(ordinary, "application/pdf").unwrap();
    let pages = render_pdf(&pdftoppm, &pdf, tmp.path(), "ordinary");
    assert_eq!(pages.len(), 1);
    assert!(
        pages[0] == normal_page.bitmap,
        "the ordinary fax arrives pixel for pixel"
    );
}
