//! The out-of-plan ceiling seen from the command line and the gateway, with the built binary,
//! a real SQLite database, real SIP/RTP on 127.0.0.1 and a real SMTP server:
//! - twenty `faxvox send` processes racing for the last 0.20 € at 0.05 € a fax: exactly four
//!   are queued, sixteen refused with the reason, and exactly 0.20 € is held — on SQLite, and
//!   on a fresh PostgreSQL database when `TEST_POSTGRES_URL` is set;
//! - an account at its ceiling is receive-only: sending is refused, but its voicemail line
//!   still answers and the message is emailed.

use crate::support;
use crate::support::billing_db;
use crate::support::fax_pages;

use std::process::Output;
use std::time::Duration;

use faxvox_codecs::Page;
use serde_json::Value;

use support::gateway::{attachment, describe_mail, sent_to, wait_mail, Gateway};
use support::peers;
use support::smtp::{SinkOptions, SmtpSink};

const ALICE_FAX: &str = "+33100000011";
const ALICE_VM: &str = "+33100000012";
const BOB_FAX: &str = "+33299001133";

fn one_page() -> Page {
    fax_pages::test_page_top(5, 200)
}

/// alice (a fax line and a voicemail line) and bob (a fax line), France at 0.05 € a page, the
/// trunk pointing at the gateway's own port (nothing is dialled in these tests unless the
/// gateway runs).
fn site(sink: &SmtpSink) -> Gateway {
    site_on(sink, None)
}

/// [`site`] on the database `db` (`None`: the installation's own SQLite file).
fn site_on(sink: &SmtpSink, db: Option<&str>) -> Gateway {
    let gw = Gateway::new(sink);
    let mut config = std::fs::read_to_string(&gw.config).unwrap();
    if let Some(db) = db {
        let sqlite = config
            .lines()
            .find(|l| l.starts_with("url = \"sqlite://"))
            .expect("the harness's database line")
            .to_string();
        config = config.replace(&sqlite, &format!("url = {db:?}"));
    }
    std::fs::write(&gw.config, config).unwrap();
    gw.add_trunk(&format!("sip:127.0.0.1:{}", gw.sip_port), "");
    gw.account_add("alice", &["alice@a.example"], "Alice SARL");
    gw.account_add("bob", &["fax@bob.example"], "Bob & Fils");
    gw.line_add(ALICE_FAX, "alice", "fax", None);
    let greeting = gw.write("greeting.wav", &peers::wav(&peers::speech_like(30, 0.4)));
    gw.line_add(ALICE_VM, "alice", "voicemail", Some(&greeting));
    gw.line_add(BOB_FAX, "bob", "fax", None);
    gw.rate_france("0.05");
    gw
}

fn status(gw: &Gateway, account: &str) -> Value {
    serde_json::from_str(&gw.ok(&["billing", "status", account, "--json"])).unwrap()
}

fn send(gw: &Gateway, doc: &str) -> Output {
    gw.command(&[
        "send",
        "--account",
        "alice",
        "--from",
        ALICE_FAX,
        "--to",
        BOB_FAX,
        doc,
    ])
    .output()
    .unwrap()
}

#[test]
fn twenty_concurrent_submissions_never_pass_the_ceiling() {
    let sink = SmtpSink::start(&SinkOptions::default());
    race(&site(&sink));
}

#[test]
fn twenty_concurrent_submissions_never_pass_the_ceiling_on_postgres() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(db) = rt.block_on(billing_db::TestDb::postgres("send_race")) else {
        return;
    };
    let sink = SmtpSink::start(&SinkOptions::default());
    let gw = site_on(&sink, Some(&db.url));
    race(&gw);
    drop(gw);
    rt.block_on(db.cleanup());
}

/// Twenty `faxvox send` processes at once for the last 0.20 € at 0.05 € a page.
fn race(gw: &Gateway) {
    let doc = fax_pages::write_doc(gw.path(), "one.tif", &[one_page()]);
    let doc = doc.display().to_string();
    gw.ok(&["billing", "ceiling", "alice", "0.20"]);

    let outputs: Vec<Output> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20).map(|_| s.spawn(|| send(gw, &doc))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let queued = outputs
        .iter()
        .filter(|o| o.status.code() == Some(0))
        .count();
    let refused: Vec<String> = outputs
        .iter()
        .filter(|o| o.status.code() == Some(2))
        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        .collect();
    for o in &outputs {
        eprintln!(
            "{:?}: {}{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert_eq!(queued, 4, "0.20 € at 0.05 € a fax is four faxes");
    assert_eq!(refused.len(), 16, "every other submission is refused");
    for err in &refused {
        assert!(
            err.contains("out-of-plan ceiling reached for account `alice`"),
            "{err}"
        );
    }
    let s = status(gw, "alice");
    assert_eq!(s["reserved"], "0.20");
    assert_eq!(s["remaining"], "0.00");
}

#[test]
fn an_account_at_its_ceiling_still_receives() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = site(&sink);
    let doc = fax_pages::write_doc(gw.path(), "one.tif", &[one_page()]);
    let doc = doc.display().to_string();
    gw.ok(&["billing", "ceiling", "alice", "0.00"]);
    let out = send(&gw, &doc);
    assert_eq!(
        out.status.code(),
        Some(2),
        "sending must be refused at the ceiling"
    );
    assert_eq!(status(&gw, "alice")["reserved"], "0.00");

    gw.start();
    let mut played = peers::silence(1500);
    played.extend(peers::speech_like(31, 3.0));
    let wav = gw.write("message.wav", &peers::wav(&played));
    let run = gw.call(&[
        "voice",
        "--to",
        &gw.uri(ALICE_VM),
        "--wav",
        &wav.display().to_string(),
    ]);
    run.assert_ok("voice call to an account at its ceiling");
    let mail = wait_mail(&sink, Duration::from_secs(30), |m| {
        sent_to(m, "alice@a.example") && attachment(m, "audio/").is_some()
    })
    .unwrap_or_else(|| panic!("no voicemail email: {}", describe_mail(&sink)));
    let (_, _, audio) = attachment(&mail, "audio/").unwrap();
    let (_, r) = peers::find_in(&played, &peers::decode_audio(&audio), 9000);
    assert!(r >= 0.8, "recorded audio does not match (r = {r:.3})");
    // Nothing was charged for receiving.
    let s = status(&gw, "alice");
    assert_eq!(
        (&s["used"], &s["reserved"]),
        (&"0.00".into(), &"0.00".into())
    );
}
