//! `faxvox send --cover TEXT`, with the built binary, a real SQLite database and a real spool
//! (no gateway runs: the faxes are only queued):
//! - the queued `document.tif` starts with the cover page (1728 px wide, fine, inked, unlike
//!   the document's pages), then the document's pages pixel for pixel; the cover page is
//!   counted and reserved like the others (3 pages × 0.05 €);
//! - `--anonymous` and `--cover-file` give a cover of their own, the document unchanged;
//! - a cover text over the limit, with a control character, an unprintable character, empty,
//!   or a cover file that is not UTF-8: exit code 2 with the reason, nothing reserved, no job.

use crate::support;
use crate::support::fax_pages;

use std::path::Path;
use std::process::Output;

use faxvox_codecs::raster::FAX_WIDTH;
use faxvox_codecs::{Page, Resolution};
use serde_json::Value;

use support::gateway::Gateway;
use support::smtp::{SinkOptions, SmtpSink};

const ALICE_LINE: &str = "+33100000001";
const BOB_LINE: &str = "+33299001122";
const ROWS: u32 = 500;

/// A small fine page (1728 × ROWS): the top of a text-like test page.
fn small_page(seed: u64) -> Page {
    fax_pages::test_page_top(seed, ROWS)
}

/// Accounts alice (line ALICE_LINE) and bob (BOB_LINE), France at 0.05 €/page, and a trunk
/// so that sending is enabled (nothing dials it: `serve` is not started).
fn site(sink: &SmtpSink) -> Gateway {
    let gw = Gateway::new(sink);
    gw.add_trunk("sip:127.0.0.1:9", "");
    gw.account_add("alice", &["alice@a.example"], "Alice SARL");
    gw.account_add("bob", &["fax@bob.example"], "Bob & Fils");
    gw.line_add(ALICE_LINE, "alice", "fax", None);
    gw.line_add(BOB_LINE, "bob", "fax", None);
    gw.rate_france("0.05");
    gw
}

fn send(gw: &Gateway, extra: &[&str], doc: &Path) -> (Output, String, String) {
    let doc = doc.display().to_string();
    let mut args = vec![
        "send",
        "--account",
        "alice",
        "--from",
        ALICE_LINE,
        "--to",
        BOB_LINE,
    ];
    args.extend_from_slice(extra);
    args.push(&doc);
    let out = gw.command(&args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("faxvox {args:?}: {}\n{stdout}{stderr}", out.status);
    (out, stdout, stderr)
}

fn reserved(gw: &Gateway) -> String {
    let v: Value = serde_json::from_str(&gw.ok(&["billing", "status", "alice", "--json"])).unwrap();
    v["reserved"].as_str().unwrap().to_string()
}

/// The id printed by `faxvox send` (`fax ID queued: …`).
fn fax_id(stdout: &str) -> String {
    stdout
        .strip_prefix("fax ")
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no fax id in {stdout:?}"))
        .to_string()
}

/// Job folders in the spool (those with a manifest).
fn jobs(gw: &Gateway) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(gw.path().join("spool"))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.join("manifest.json").exists())
                .collect()
        })
        .unwrap_or_default()
}

fn queued_pages(gw: &Gateway, id: &str) -> (Vec<Page>, Value) {
    let dir = gw.path().join("spool").join(id);
    let pages = fax_pages::read_doc(&dir.join("document.tif"));
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    (pages, manifest)
}

/// Asserts `cover` is a cover page: A4 fax page, inked but mostly white, unlike `others`.
fn assert_cover(cover: &Page, others: &[Page]) {
    assert_eq!(cover.bitmap.width(), FAX_WIDTH);
    assert_eq!(cover.resolution, Resolution::FINE);
    assert_eq!(cover.bitmap.height(), 2292, "A4 at fine resolution");
    let black = cover.bitmap.count_black();
    let total = u64::from(cover.bitmap.width()) * u64::from(cover.bitmap.height());
    assert!(black > 10_000, "the cover page has little ink: {black}");
    assert!(
        black * 20 < total,
        "the cover page is not mostly white: {black}"
    );
    for p in others {
        assert_ne!(&cover.bitmap, &p.bitmap, "the cover is one of the pages");
    }
    // The header (FAX, From, To, Date, Pages) sits in the top third, the text below it.
    let rows_with_ink = |from: u32, to: u32| {
        (from..to)
            .filter(|&y| cover.bitmap.row(y).iter().any(|&b| b != 0))
            .count()
    };
    assert!(rows_with_ink(0, 700) > 150);
    assert!(rows_with_ink(700, 1100) > 40);
}

#[test]
fn cover_page_goes_first_and_is_billed() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let gw = site(&sink);
    let doc_pages = [small_page(1), small_page(2)];
    let doc = fax_pages::write_doc(gw.path(), "doc.tif", &doc_pages);

    let text = "Hello Bob,\n\nHere is the signed contract: 1 250 € for the summer (l'été à \
                Paris, ça marche).\nBest regards,\nAlice";
    let (out, stdout, _) = send(&gw, &["--cover", text], &doc);
    assert!(out.status.success());
    assert!(
        stdout.contains("queued: 3 pages including the cover page, 0.15 € reserved"),
        "{stdout}"
    );
    let id = fax_id(&stdout);
    assert_eq!(
        reserved(&gw),
        "0.15",
        "3 pages × 0.05 €: the cover is billed"
    );

    let (pages, manifest) = queued_pages(&gw, &id);
    assert_eq!(pages.len(), 3);
    assert_eq!(manifest["facts"]["pages"], 3);
    assert_eq!(manifest["facts"]["amount"], "0.15");
    assert_eq!(manifest["facts"]["rate"], "0.05");
    assert_cover(&pages[0], &doc_pages);
    fax_pages::assert_same_pixels(&doc_pages, &pages[1..]);
    let named_cover = pages[0].clone();

    // Anonymous, the text from a file: a cover of its own (From withheld), same document.
    gw.write("note.txt", text.as_bytes());
    let note = gw.path().join("note.txt").display().to_string();
    let (out, stdout, _) = send(&gw, &["--anonymous", "--cover-file", &note], &doc);
    assert!(out.status.success());
    assert!(
        stdout.contains("queued: 3 pages including the cover page"),
        "{stdout}"
    );
    assert_eq!(reserved(&gw), "0.30");
    let (pages, manifest) = queued_pages(&gw, &fax_id(&stdout));
    assert_eq!(manifest["facts"]["anonymous"], true);
    assert_eq!(pages.len(), 3);
    assert_cover(&pages[0], &doc_pages);
    assert_ne!(
        pages[0], named_cover,
        "the anonymous cover must not name the sender"
    );
    fax_pages::assert_same_pixels(&doc_pages, &pages[1..]);

    // Without --cover, nothing changes: 2 pages.
    let (out, stdout, _) = send(&gw, &[], &doc);
    assert!(out.status.success());
    assert!(
        stdout.contains("queued: 2 pages, 0.10 € reserved"),
        "{stdout}"
    );
    let (pages, _) = queued_pages(&gw, &fax_id(&stdout));
    fax_pages::assert_same_pixels(&doc_pages, &pages);
    assert_eq!(reserved(&gw), "0.40");
}

#[test]
fn bad_cover_text_is_refused_and_reserves_nothing() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let gw = site(&sink);
    let doc = fax_pages::write_doc(gw.path(), "doc.tif", &[small_page(3)]);

    let over = "Lorem ipsum dolor sit amet. ".repeat(80);
    let over = &over[..2001];
    gw.write("latin1.txt", b"caf\xe9 cr\xe8me");
    let latin1 = gw.path().join("latin1.txt").display().to_string();
    let cases: [(&[&str], &str); 6] = [
        (
            &["--cover", over],
            "cover page refused: the cover text has 2001 characters; at most 2000 are allowed",
        ),
        (
            &["--cover", &"line\n".repeat(40)],
            "the cover text needs 40 lines on the page; at most 32 fit on the cover page",
        ),
        (
            &["--cover", "red \u{1b}[31malert"],
            "the cover text contains a control character (U+001B)",
        ),
        (
            &["--cover", "Merci ! 😀"],
            "(U+1F600), which cannot be printed on the cover page",
        ),
        (&["--cover", "  "], "the cover text is empty"),
        (&["--cover-file", &latin1], "not UTF-8 text"),
    ];
    for (extra, needle) in cases {
        let (out, _, err) = send(&gw, extra, &doc);
        assert_eq!(out.status.code(), Some(2), "exit code; stderr: {err}");
        assert!(err.contains("faxvox: refused"), "{err}");
        assert!(err.contains(needle), "expected {needle:?} in: {err}");
        assert_eq!(reserved(&gw), "0.00");
        assert!(
            jobs(&gw).is_empty(),
            "a refused fax left a job: {:?}",
            jobs(&gw)
        );
    }

    // At the limit it goes through.
    let (out, stdout, _) = send(&gw, &["--cover", &over[..2000]], &doc);
    assert!(out.status.success());
    assert!(stdout.contains("queued: 2 pages including the cover page, 0.10 € reserved"));
    assert_eq!(jobs(&gw).len(), 1);
}
