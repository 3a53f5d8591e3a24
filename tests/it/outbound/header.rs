//! The header line on every sent page, end to end with the built binary: `faxvox send`
//! through the trunk (the gateway itself) to a `faxvox serve` fax line. What arrives has, in
//! its top 5 mm, the date and time in the sender's time zone, the account's name and caller
//! id and "page n/m" — exactly the line the codec draws for those words — and every pixel
//! below is the page sent; the cover page gets one too. With `--no-header` the page arrives
//! wholly as sent.

use crate::support;
use crate::support::fax_pages;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use faxvox_codecs::header::{band_rows, stamp, HeaderLine};
use faxvox_codecs::Page;

use support::gateway::Gateway;
use support::smtp::{SinkOptions, SmtpSink};

use super::send::{send_wait, ALICE_LINE, BOB_LINE};

fn site(sink: &SmtpSink) -> Gateway {
    let gw = Gateway::new(sink);
    gw.add_trunk(
        &format!("sip:127.0.0.1:{}", gw.sip_port),
        "retry_secs = 1\nmax_attempts = 2\n",
    );
    gw.account_add("alice", &["alice@a.example"], "Zoé Lefèvre");
    gw.account_add("bob", &["fax@bob.example"], "Bob & Fils");
    gw.line_add(ALICE_LINE, "alice", "fax", None);
    gw.line_add(BOB_LINE, "bob", "fax", None);
    gw.rate_france("0.05");
    gw
}

/// `faxvox send … DOC EXTRA… --wait` (`send::send_wait`): the fax is sent (or the test fails).
fn send(gw: &Gateway, doc: &str, extra: &[&str]) {
    let (out, stdout, stderr) = send_wait(gw, doc, extra, 150);
    if !out.status.success() {
        eprintln!("{}", gw.log());
    }
    assert!(
        out.status.success() && stdout.contains("sent: "),
        "send {extra:?}: {stdout}{stderr}"
    );
}

/// The pages of the one inbound fax not in `seen` (waits for it), marked seen.
fn received(gw: &Gateway, seen: &mut HashSet<PathBuf>) -> Vec<Page> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let new: Vec<PathBuf> = std::fs::read_dir(gw.path().join("spool"))
            .unwrap()
            .flatten()
            .map(|e| e.path().join("fax.tiff"))
            .filter(|p| p.exists() && !seen.contains(p))
            .collect();
        if let [one] = new.as_slice() {
            seen.insert(one.clone());
            return fax_pages::read_doc(one);
        }
        assert!(new.len() < 2, "two new inbound faxes: {new:?}");
        assert!(
            std::time::Instant::now() < deadline,
            "no inbound fax arrived"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Asserts the header band of `page` is exactly the codec's line with `middle` and "page
/// n/m", dated some minute (Europe/Paris, the account's zone) between `from` and `to`.
fn assert_header_line(page: &Page, middle: &str, n: u32, m: u32, from: SystemTime, to: SystemTime) {
    let zone = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
    let secs = |t: SystemTime| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    let band = band_rows(page.resolution);
    let mut tried = Vec::new();
    for minute in secs(from) / 60..=secs(to) / 60 {
        let date = jiff::Timestamp::from_second(minute * 60)
            .unwrap()
            .to_zoned_datetime(zone.clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string();
        let mut expected = page.clone();
        stamp(
            &mut expected,
            &HeaderLine {
                left: date.clone(),
                middle: middle.into(),
                right: format!("page {n}/{m}"),
            },
        );
        if (0..band).all(|y| expected.bitmap.row(y) == page.bitmap.row(y)) {
            return;
        }
        tried.push(date);
    }
    panic!("page {n}/{m}: the header band is not the line of {middle:?} at any of {tried:?}");
}

#[test]
fn every_sent_page_has_the_header_line_unless_turned_off() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = site(&sink);
    gw.start();
    assert!(
        gw.wait_log(
            "sending faxes through sip:127.0.0.1:",
            Duration::from_secs(20)
        ),
        "dialer not started:\n{}",
        gw.log()
    );
    let mut seen = HashSet::new();
    let mut page = fax_pages::test_page_top(31, 600);
    // Ink in every row of the band, so clearing it shows.
    for y in 0..band_rows(page.resolution) + 10 {
        for x in (y % 3..page.bitmap.width()).step_by(3) {
            page.bitmap.set(x, y, true);
        }
    }
    assert!((0..band_rows(page.resolution)).all(|y| page.bitmap.row(y).iter().any(|b| *b != 0)));
    let doc = fax_pages::write_doc(gw.path(), "one.tif", std::slice::from_ref(&page));
    let doc = doc.display().to_string();
    let sender = "Zoé Lefèvre +33 1 00 00 00 01";

    // By default: the header line in the top 5 mm, every pixel below as sent.
    let before = SystemTime::now();
    send(&gw, &doc, &[]);
    let after = SystemTime::now();
    let got = received(&gw, &mut seen);
    fax_pages::assert_same_below_header(std::slice::from_ref(&page), &got);
    assert_header_line(&got[0], sender, 1, 1, before, after);
    // For a person to look at (FAXVOX_TEST_PICTURES=DIR keeps it there).
    if let Some(dir) = std::env::var_os("FAXVOX_TEST_PICTURES") {
        fax_pages::write_pgm(&got[0], &PathBuf::from(dir).join("header-received.pgm"));
    }

    // --no-header: the page arrives exactly as sent.
    send(&gw, &doc, &["--no-header"]);
    let got = received(&gw, &mut seen);
    fax_pages::assert_same_pixels(std::slice::from_ref(&page), &got);

    // With a cover page: both pages carry the line, numbered in the whole fax.
    let before = SystemTime::now();
    send(&gw, &doc, &["--cover", "Bonjour Bob"]);
    let after = SystemTime::now();
    let got = received(&gw, &mut seen);
    assert_eq!(got.len(), 2, "cover page and document page");
    assert_header_line(&got[0], sender, 1, 2, before, after);
    assert_header_line(&got[1], sender, 2, 2, before, after);
    fax_pages::assert_same_below_header(std::slice::from_ref(&page), &got[1..]);

    // Anonymous: the sender is withheld on the header line too.
    let before = SystemTime::now();
    send(&gw, &doc, &["--anonymous"]);
    let after = SystemTime::now();
    let got = received(&gw, &mut seen);
    fax_pages::assert_same_below_header(std::slice::from_ref(&page), &got);
    assert_header_line(&got[0], "withheld", 1, 1, before, after);
    gw.assert_alive("after four faxes");
}
