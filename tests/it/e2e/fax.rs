//! End to end, fax: the built-in test caller (`faxvox call fax`) sends a page to a fax line of
//! `faxvox serve` over G.711 and over T.38, both calls at once; each email that arrives at a
//! real SMTP server (aiosmtpd) carries a PDF whose page, rendered by poppler at the fax
//! resolution, equals the page sent pixel for pixel.

use crate::support;
use crate::support::fax_pages;

use std::time::Duration;

use faxvox_codecs::{Bitmap, Page};

use support::gateway::{attachment, describe_mail, sent_to, Gateway};
use support::peers::require;
use support::poppler::{read_pbm, render_pdf};
use support::smtp::{SinkOptions, SmtpSink};

const FAX_LINE: &str = "+33299001122";
const ROWS: u32 = 600;

/// A small fine-resolution page (1728 × 600, about 3 inches): the top of a text-like test page.
fn small_page(seed: u64) -> Page {
    fax_pages::test_page_top(seed, ROWS)
}

#[test]
fn fax_over_g711_and_t38_arrives_as_identical_pdf_pages() {
    let Some(pdftoppm) = require("pdftoppm", "poppler-utils") else {
        return;
    };
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["fax@acme.example"], "Cabinet Lefèvre");
    gw.line_add(FAX_LINE, "acme", "fax", None);
    gw.start();

    let sends = [
        ("g711", small_page(101), "+15550001001"),
        ("t38", small_page(202), "+15550001002"),
    ];
    let uri = gw.uri(FAX_LINE);
    let runs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = sends
            .iter()
            .enumerate()
            .map(|(slot, (mode, page, from))| {
                let doc = fax_pages::write_doc(
                    gw.path(),
                    &format!("doc-{mode}.tif"),
                    std::slice::from_ref(page),
                );
                let (gw, uri) = (&gw, &uri);
                s.spawn(move || {
                    let doc = doc.display().to_string();
                    let mut args = vec!["fax", "--to", uri, "--file", &doc, "--from", from];
                    // G.711 must stay G.711 even when the gateway asks for T.38.
                    args.push(if *mode == "t38" { "--t38" } else { "--no-t38" });
                    gw.call_slot(slot as u16, 2, &args)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for ((mode, _, _), run) in sends.iter().zip(&runs) {
        run.assert_ok(&format!("fax over {mode}"));
        // The caller's own account of the call: one call, one page, on the right transport.
        let results = run.results();
        assert_eq!(results.len(), 1, "{mode}: {}", run.stdout);
        assert_eq!(results[0]["ok"], true, "{mode}: {}", run.stdout);
        assert_eq!(results[0]["pages"], 1, "{mode}: {}", run.stdout);
        assert_eq!(
            results[0]["t38"],
            *mode == "t38",
            "{mode}: transport used: {}",
            run.stdout
        );
    }

    // Both faxes arrive, each as one PDF page equal to one of the pages sent.
    let got = |m: &support::smtp::Received| {
        sent_to(m, "fax@acme.example") && attachment(m, "application/pdf").is_some()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    let mails = loop {
        let mails: Vec<_> = sink.messages().into_iter().filter(|m| got(m)).collect();
        if mails.len() >= 2 || std::time::Instant::now() > deadline {
            break mails;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        mails.len(),
        2,
        "expected two fax emails; got:\n{}",
        describe_mail(&sink)
    );
    let tmp = tempfile::tempdir().unwrap();
    let mut matched = [false, false];
    for (i, mail) in mails.iter().enumerate() {
        let (name, _, pdf) = attachment(mail, "application/pdf").unwrap();
        let pages = render_pdf(&pdftoppm, &pdf, tmp.path(), &format!("mail{i}"));
        assert_eq!(pages.len(), 1, "{name}: pages");
        let which = sends
            .iter()
            .position(|(_, page, _)| page.bitmap == pages[0])
            .unwrap_or_else(|| {
                let p = &pages[0];
                let a = &sends[0].1.bitmap;
                let first = (0..p.height().min(a.height())).find(|&y| p.row(y) != a.row(y));
                panic!(
                    "{name}: rendered page ({}x{}) equals no page sent (1728x{ROWS}); \
                     vs the G.711 page, first differing row {first:?}",
                    p.width(),
                    p.height()
                )
            });
        assert!(!matched[which], "both emails carry the same page");
        matched[which] = true;
        eprintln!("{name}: the {} page, pixel for pixel", sends[which].0);
    }

    // A record is written after the commit that wakes delivery: it may follow the email.
    let fax_records = |records: &[support::gateway::CallRecord]| {
        records
            .iter()
            .filter(|r| r.kind.as_deref() == Some("fax"))
            .count()
    };
    let records = gw.wait_records(Duration::from_secs(10), |r| fax_records(r) >= 2);
    let faxes = fax_records(&records);
    assert!(faxes >= 2, "call records: {records:?}");
    gw.assert_alive("after the faxes");
}

#[test]
fn pbm_reader_matches_bitmap_packing() {
    let mut b = Bitmap::new(10, 2);
    b.set(0, 0, true);
    b.set(9, 1, true);
    let mut pbm = b"P4\n# c\n10 2\n".to_vec();
    pbm.extend_from_slice(b.data());
    assert_eq!(read_pbm(&pbm), b);
}
