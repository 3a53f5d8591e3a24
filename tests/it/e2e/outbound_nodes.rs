//! Several nodes, outbound side: two `faxvox serve` nodes on one PostgreSQL database, each
//! with its own spool, whose trunk is a third `faxvox serve` (its own SQLite) with bob's fax
//! line. Faxes are submitted through the HTTP API of both nodes; node A is killed with
//! SIGKILL once in the middle of its calls, once right after accepting faxes. Every fax
//! reaches bob (PDFs in the receiver's Maildir pixel-exact below the header line) while A is still down, sent by B
//! from the shared queue (those A was sending once A's lease ran out), and alice is charged
//! pages × rate exactly once; the ceiling holds on either node. When A comes back, its spool
//! records say the faxes were delivered and nothing is sent again. Skipped without
//! `TEST_POSTGRES_URL`.

use crate::support;
use crate::support::fax_pages;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use faxvox_codecs::{Bitmap, Page};
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::Value;

use support::billing_db::TestDb;
use support::gateway::{free_port, Gateway};
use support::peers::require;
use support::poppler::render_pdf;

const ALICE_LINE: &str = "+33100000001";
const BOB_LINE: &str = "+33299001122";
const ROWS: u32 = 250;

/// A sending node on the shared database `url`, its API on `api_port`, its trunk the
/// receiver on `trunk_port`; a lease of 3 s so that a dead node's faxes move on quickly.
/// The receiver's few media ports (and the calls A leaves hanging there) may refuse a call
/// for a while: attempts are many and close together.
fn sending_node(parent: &Path, url: &str, api_port: u16, trunk_port: u16) -> Gateway {
    let gw = Gateway::maildir_only_in(parent);
    let config = std::fs::read_to_string(&gw.config).unwrap();
    let sqlite = format!(
        "url = {:?}",
        format!("sqlite://{}", gw.path().join("faxvox.db").display())
    );
    assert!(config.contains(&sqlite), "{config}");
    std::fs::write(
        &gw.config,
        config.replace(&sqlite, &format!("url = {url:?}")),
    )
    .unwrap();
    gw.add_trunk(
        &format!("sip:127.0.0.1:{trunk_port}"),
        "retry_secs = 5\nmax_attempts = 12\nlease_secs = 3\n",
    );
    gw.append_config(&format!("\n[api]\nlisten = \"127.0.0.1:{api_port}\"\n"));
    gw
}

/// Bob's other numbers, aliases of BOB_LINE: one per fax, so the dialers' one-call-per-number
/// rule does not queue the six faxes one behind the other.
fn bob_number(i: usize) -> String {
    format!("+3329900113{i}")
}

/// `POST /v1/faxes` of one TIFF from ALICE_LINE to `to`: (status, JSON body).
fn post_fax(api_port: u16, token: &str, tiff: &[u8], to: &str) -> (u16, Value) {
    let boundary = "----faxvox-nodes-boundary-5TrZu0gW";
    let mut body = Vec::new();
    for (name, file, data) in [
        ("document", Some("page.tif"), tiff),
        ("to", None, to.as_bytes()),
        ("from", None, ALICE_LINE.as_bytes()),
    ] {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                     Content-Type: image/tiff\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut stream = loop {
        match TcpStream::connect(("127.0.0.1", api_port)) {
            Ok(s) => break s,
            Err(e) if Instant::now() < deadline => {
                eprintln!("API on {api_port} not up yet: {e}");
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("API on {api_port}: {e}"),
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let head = format!(
        "POST /v1/faxes HTTP/1.1\r\nHost: 127.0.0.1:{api_port}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

/// `GET /v1/faxes/{id}`: (status, JSON body).
fn get_fax(api_port: u16, token: &str, id: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", api_port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "GET /v1/faxes/{id} HTTP/1.1\r\nHost: 127.0.0.1:{api_port}\r\n\
         Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

/// Every page of every PDF attached to a mail in `maildir/new` of `gw`, rendered by poppler
/// (files already rendered are in `seen`, keyed by file name).
fn received_pages(
    gw: &Gateway,
    pdftoppm: &Path,
    tmp: &Path,
    seen: &mut std::collections::BTreeMap<String, Vec<Bitmap>>,
) {
    let new = gw.path().join("maildir").join("new");
    let Ok(dir) = std::fs::read_dir(new) else {
        return;
    };
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if seen.contains_key(&name) {
            continue;
        }
        let raw = std::fs::read(entry.path()).unwrap();
        let Some(m) = MessageParser::default().parse(&raw[..]) else {
            continue;
        };
        let mut pages = Vec::new();
        for a in m.attachments() {
            let is_pdf = a.attachment_name().is_some_and(|n| n.ends_with(".pdf"))
                || a.contents().starts_with(b"%PDF");
            if is_pdf {
                pages.extend(render_pdf(pdftoppm, a.contents(), tmp, &name));
            }
        }
        seen.insert(name, pages);
    }
}

fn billing_status(gw: &Gateway) -> Value {
    serde_json::from_str(&gw.ok(&["billing", "status", "alice", "--json"])).unwrap()
}

#[test]
fn faxes_of_a_killed_node_are_sent_by_the_other_and_charged_once() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(db) = rt.block_on(TestDb::postgres("nodes")) else {
        return;
    };
    let Some(pdftoppm) = require("pdftoppm", "poppler-utils") else {
        rt.block_on(db.cleanup());
        return;
    };
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();

    // The receiver: bob's fax line, mail into its Maildir.
    let mut receiver = Gateway::maildir_only_in(tmp.path());
    receiver.account_add("bob", &["fax@bob.example"], "Bob & Fils");
    receiver.line_add(BOB_LINE, "bob", "fax", None);
    for i in 0..6 {
        receiver.alias_add(&bob_number(i), "bob", BOB_LINE);
    }
    receiver.start();

    let (api_a, api_b) = (free_port(), free_port());
    let mut a = sending_node(tmp.path(), &db.url, api_a, receiver.sip_port);
    let mut b = sending_node(tmp.path(), &db.url, api_b, receiver.sip_port);
    // Accounts, lines, rates and tokens live in the shared database: set once, through A.
    a.account_add("alice", &["alice@a.example"], "Alice SARL");
    a.line_add(ALICE_LINE, "alice", "fax", None);
    a.rate_france("0.05");
    let token = a.ok(&["account", "token", "alice"]).trim().to_string();
    let start = |node: &mut Gateway| {
        node.start();
        assert!(
            node.wait_log(
                "sending faxes through sip:127.0.0.1:",
                Duration::from_secs(20)
            ),
            "dialer not started:\n{}",
            node.log()
        );
    };
    let kill = |node: &mut Gateway| {
        node.signal("KILL");
        assert!(
            node.wait_exit(Duration::from_secs(5)).is_some(),
            "still running after SIGKILL"
        );
    };

    // Six one-page faxes, each page its own.
    let pages: Vec<Page> = (0..6)
        .map(|i| fax_pages::test_page_top(40 + i, ROWS))
        .collect();
    let tiffs: Vec<Vec<u8>> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let path =
                fax_pages::write_doc(tmp.path(), &format!("page{i}.tif"), std::slice::from_ref(p));
            std::fs::read(path).unwrap()
        })
        .collect();
    let mut ids = Vec::new();
    let submit = |port: u16, i: usize, ids: &mut Vec<String>| {
        let (status, json) = post_fax(port, &token, &tiffs[i], &bob_number(i));
        assert_eq!(status, 202, "fax {i} to {port}: {json}");
        ids.push(json["id"].as_str().unwrap().to_string());
    };

    // Faxes 0 and 1 go to A alone, which dials them and dies mid-call.
    start(&mut a);
    submit(api_a, 0, &mut ids);
    submit(api_a, 1, &mut ids);
    assert!(
        a.wait_log("dialling", Duration::from_secs(10)),
        "A does not dial:\n{}",
        a.log()
    );
    std::thread::sleep(Duration::from_millis(2500));
    kill(&mut a);
    let dialled = a.log().matches("dialling").count();
    eprintln!("node A killed while dialling {dialled} fax(es)");
    assert!(
        !a.log().contains("fax final"),
        "A ended a fax:\n{}",
        a.log()
    );

    // B starts; A comes back, accepts faxes 2 and 3 and is killed at once; B takes 4 and 5.
    start(&mut b);
    start(&mut a);
    submit(api_a, 2, &mut ids);
    submit(api_a, 3, &mut ids);
    kill(&mut a);
    eprintln!("node A killed right after accepting {:?}", &ids[2..4]);
    submit(api_b, 4, &mut ids);
    submit(api_b, 5, &mut ids);

    // Every page reaches bob, pixel for pixel below its header line (which has ink), while A
    // is down.
    let render = tempfile::tempdir().unwrap();
    let mut seen = std::collections::BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let missing = loop {
        received_pages(&receiver, &pdftoppm, render.path(), &mut seen);
        let got: Vec<&Bitmap> = seen.values().flatten().collect();
        let missing: Vec<usize> = (0..pages.len())
            .filter(|&i| {
                !got.iter()
                    .any(|g| fax_pages::same_below_header(&pages[i], g))
            })
            .collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing;
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    if !missing.is_empty() {
        b.print_log();
        receiver.print_log();
        panic!(
            "pages {missing:?} never arrived; {} mail(s) at the receiver",
            seen.len()
        );
    }
    assert!(!a.is_running(), "A came back by itself");
    eprintln!(
        "all {} faxes arrived in {:?} ({} mail(s) at the receiver)",
        pages.len(),
        started.elapsed(),
        seen.len()
    );
    b.assert_alive("after sending");
    // B sent A's faxes: its log has their final line.
    let log_b = b.log();
    for id in &ids {
        assert!(
            log_b
                .lines()
                .any(|l| l.contains(id.as_str()) && l.contains("sent: 1/1 pages, 0.05 € charged")),
            "B did not send {id}:\n{log_b}"
        );
    }

    // B's API follows A's faxes too (from the shared queue): sent, one page, one attempt.
    for id in &ids[..4] {
        let (status, json) = get_fax(api_b, &token, id);
        assert_eq!(status, 200, "{json}");
        assert_eq!(
            (
                &json["state"],
                &json["pages_confirmed"],
                &json["result"]["charged"]
            ),
            (&"sent".into(), &1.into(), &"0.05".into()),
            "{json}"
        );
    }

    // The ceiling holds across nodes: at 0.30 € (all used), B refuses the next fax (402).
    a.ok(&["billing", "ceiling", "alice", "0.30"]);
    let (status, json) = post_fax(api_b, &token, &tiffs[0], BOB_LINE);
    assert_eq!(status, 402, "{json}");
    assert_eq!(json["error"], "ceiling_reached", "{json}");

    // Charged pages × rate, once: 6 × 0.05 €, nothing left reserved, each reservation settled
    // for its one page.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        let s = billing_status(&b);
        if s["reserved"] == "0.00" || Instant::now() > deadline {
            break s;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(
        (&status["used"], &status["reserved"]),
        (&"0.30".into(), &"0.00".into()),
        "{status}"
    );
    let log: Value = serde_json::from_str(&b.ok(&["billing", "log", "alice", "--json"])).unwrap();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 6, "{log:#?}");
    for id in &ids {
        let r = log
            .iter()
            .find(|r| r["fax_id"] == id.as_str())
            .unwrap_or_else(|| panic!("no reservation for {id}: {log:#?}"));
        assert_eq!(
            (&r["state"], &r["charged"]),
            (&"settled".into(), &"0.05".into()),
            "{r}"
        );
    }

    // A comes back: its spool records are brought up to date, and nothing goes out again.
    let mails = seen.len();
    start(&mut a);
    for id in &ids[..4] {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let job: Value = serde_json::from_str(&a.ok(&["spool", "show", id, "--json"])).unwrap();
            if job["state"] == "delivered" {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "A's record of {id} stays {}:\n{}",
                job["state"],
                a.log()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    std::thread::sleep(Duration::from_secs(3));
    received_pages(&receiver, &pdftoppm, render.path(), &mut seen);
    assert_eq!(seen.len(), mails, "a fax went out again after A came back");
    assert_eq!(billing_status(&b)["used"], "0.30");
    a.assert_alive("after coming back");
    eprintln!("done in {:?}", started.elapsed());

    a.stop();
    b.stop();
    receiver.stop();
    rt.block_on(db.cleanup());
}
