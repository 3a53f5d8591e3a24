//! Bounded rendering of submitted documents (`[render]`), with the built binary: a real
//! `faxvox serve` with its HTTP API on 127.0.0.1, a real SQLite database and spool, and the
//! `faxvox send` command line. The hostile documents are generated in code
//! (`faxvox_codecs::raster::testdoc`):
//! - a nested-forms bomb (30 Form XObjects each drawing the next twice: 2^30 page fills in
//!   5 KiB) and a JPEG declared 60000 × 60000 inside a PDF;
//! - four bombs posted at once are all refused with a 4xx within 60 s; afterwards the gateway
//!   uses no CPU (from /proc/PID/stat), has no child process left, and a normal upload is
//!   accepted;
//! - `faxvox send` refuses both with a clear reason, exit code 2, nothing reserved or queued;
//! - an account at its ceiling, or suspended, is refused at once: the bomb is never rendered
//!   (the refusal comes in well under the rendering timeout).

use crate::support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use faxvox_codecs::raster::testdoc;
use serde_json::Value;

use support::gateway::{free_port, Gateway};
use support::smtp::{SinkOptions, SmtpSink};

const ALICE_FAX: &str = "+33100000011";
const DEST: &str = "+33299001122";

struct Site {
    gw: Gateway,
    api: SocketAddr,
    token: String,
    _sink: SmtpSink,
}

/// alice with a fax line, France at 0.05 € a page, a trunk nobody answers (no fax is
/// dialled: the dialer finds no answer and retries much later), the API on a free port.
fn site() -> Site {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    let unused = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    gw.add_trunk(
        &format!("sip:{}", unused.local_addr().unwrap()),
        "retry_secs = 3600\n",
    );
    drop(unused);
    gw.account_add("alice", &["alice@a.example"], "Alice SARL");
    gw.line_add(ALICE_FAX, "alice", "fax", None);
    gw.rate_france("0.05");
    let token = gw.ok(&["account", "token", "alice"]).trim().to_string();
    let api = SocketAddr::from(([127, 0, 0, 1], free_port()));
    gw.set("FAXVOX_API_LISTEN", &api.to_string());
    gw.start();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(api).is_err() {
        assert!(
            Instant::now() < deadline,
            "the API does not listen on {api}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Site {
        gw,
        api,
        token,
        _sink: sink,
    }
}

/// POST /v1/faxes with one document; (status, JSON body).
fn post_fax(api: SocketAddr, token: &str, name: &str, doc: &[u8]) -> (u16, Value) {
    let boundary = "faxvoxrenderlimits";
    let mut body = Vec::new();
    for (field, value) in [("to", DEST), ("from", ALICE_FAX)] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"{name}\"\r\n\
             Content-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(doc);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut s = TcpStream::connect(api).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let head = format!(
        "POST /v1/faxes HTTP/1.1\r\nHost: {api}\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    let json = text
        .find("\r\n\r\n")
        .and_then(|i| serde_json::from_str(&text[i + 4..]).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

/// CPU seconds (user + system) used so far by process `pid`.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after `) `.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let hz = rustix::param::clock_ticks_per_second().max(1) as f64;
    ticks as f64 / hz
}

/// Processes whose parent is `pid` (zombies included), as "pid state cmdline".
fn children(pid: u32) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        if fields.get(1).and_then(|p| p.parse::<u32>().ok()) == Some(pid) {
            let cmd = std::fs::read(format!("/proc/{child}/cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            out.push(format!("{child} {} {cmd}", fields[0]));
        }
    }
    out
}

fn reserved(gw: &Gateway) -> String {
    let s: Value = serde_json::from_str(&gw.ok(&["billing", "status", "alice", "--json"])).unwrap();
    s["reserved"].as_str().unwrap_or_default().to_string()
}

fn queued_faxes(gw: &Gateway) -> usize {
    let out = gw.ok(&["spool", "list", "--json"]);
    serde_json::from_str::<Value>(&out)
        .ok()
        .and_then(|v| v.as_array().map(|a| a.len()))
        .unwrap_or_else(|| out.lines().filter(|l| !l.trim().is_empty()).count())
}

#[test]
fn four_bombs_at_once_are_refused_and_the_gateway_idles() {
    let mut site = site();
    let pid = site.gw.pid().unwrap();
    // The declared-size bomb first (refused by its size, before drawing), then three nested
    // forms bombs: two renderers (the default) run two of them until the timeout, the third
    // waits its turn and is refused as busy.
    let bombs: Vec<(&str, Vec<u8>)> = vec![
        ("jpeg-60000.pdf", testdoc::declared_image_pdf(60000, 60000)),
        ("forms-1.pdf", testdoc::nested_forms_pdf(30)),
        ("forms-2.pdf", testdoc::nested_forms_pdf(30)),
        ("forms-3.pdf", testdoc::nested_forms_pdf(30)),
    ];
    for (name, b) in &bombs {
        assert!(b.len() < 6 * 1024, "{name}: {} bytes", b.len());
    }
    let cpu_before = cpu_secs(pid);
    let started = Instant::now();
    let results: Vec<(String, u16, Value, Duration)> = std::thread::scope(|s| {
        let handles: Vec<_> = bombs
            .iter()
            .enumerate()
            .map(|(i, (name, doc))| {
                let (api, token) = (site.api, site.token.clone());
                s.spawn(move || {
                    if i > 0 {
                        std::thread::sleep(Duration::from_millis(300));
                    }
                    let (status, json) = post_fax(api, &token, name, doc);
                    (name.to_string(), status, json, started.elapsed())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let all = started.elapsed();
    for (name, status, json, took) in &results {
        eprintln!("{name}: {status} after {:.1} s: {json}", took.as_secs_f64());
    }
    eprintln!(
        "gateway CPU while refusing: {:.2} s",
        cpu_secs(pid) - cpu_before
    );
    for (name, status, json, _) in &results {
        assert!(
            (400..500).contains(status),
            "{name}: expected a 4xx refusal, got {status} {json}"
        );
        let message = json["message"].as_str().unwrap_or_default();
        match *status {
            422 => assert!(
                message.contains("document too complex")
                    || message.contains("image inside the PDF too large: 60000 × 60000"),
                "{name}: {message}"
            ),
            429 => assert_eq!(json["error"], "busy", "{name}: {json}"),
            other => panic!("{name}: unexpected {other} {json}"),
        }
    }
    let jpeg = &results[0];
    assert_eq!(
        jpeg.1, 422,
        "the declared-size bomb is refused by its size: {:?}",
        jpeg.2
    );
    assert!(
        jpeg.2["message"]
            .as_str()
            .unwrap_or_default()
            .contains("image inside the PDF too large: 60000 × 60000"),
        "{:?}",
        jpeg.2
    );
    assert!(
        all < Duration::from_secs(60),
        "four bombs took {:.1} s to refuse",
        all.as_secs_f64()
    );

    // Afterwards: no renderer left (not even a zombie), and the gateway idles.
    std::thread::sleep(Duration::from_millis(300));
    let left = children(pid);
    assert!(left.is_empty(), "child processes left: {left:?}");
    let idle_from = cpu_secs(pid);
    std::thread::sleep(Duration::from_secs(3));
    let idle = cpu_secs(pid) - idle_from;
    eprintln!("gateway CPU over 3 s after the refusals: {idle:.2} s");
    assert!(
        idle < 0.3,
        "the gateway still burns CPU: {idle:.2} s in 3 s"
    );
    assert_eq!(reserved(&site.gw), "0.00", "nothing reserved for the bombs");

    // A normal document is accepted next.
    let (status, json) = post_fax(site.api, &site.token, "letter.pdf", &testdoc::test_pdf());
    assert_eq!(status, 202, "{json}");
    assert_eq!(json["pages"], 1, "{json}");
    assert_eq!(reserved(&site.gw), "0.05");
    site.gw.assert_alive("after the bombs");
}

#[test]
fn send_refuses_bombs_with_a_clear_reason_and_reserves_nothing() {
    let site = site();
    let gw = &site.gw;
    for (name, doc, reason, within) in [
        (
            "forms.pdf",
            testdoc::nested_forms_pdf(30),
            "document too complex: rendering exceeded 5 s",
            Duration::from_secs(20),
        ),
        (
            "jpeg.pdf",
            testdoc::declared_image_pdf(60000, 60000),
            "image inside the PDF too large: 60000 × 60000",
            Duration::from_secs(10),
        ),
    ] {
        let path = gw.write(name, &doc);
        let started = Instant::now();
        let out = gw
            .command(&[
                "send",
                "--account",
                "alice",
                "--from",
                ALICE_FAX,
                "--to",
                DEST,
                &path.display().to_string(),
            ])
            .env("FAXVOX_RENDER_TIMEOUT_SECS", "5")
            .output()
            .unwrap();
        let took = started.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        eprintln!(
            "send {name}: {:?} after {:.1} s: {stderr}",
            out.status.code(),
            took.as_secs_f64()
        );
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(reason), "{name}: {stderr}");
        assert!(took < within, "{name}: refused after {took:?}");
    }
    assert_eq!(reserved(gw), "0.00");
    assert_eq!(queued_faxes(gw), 0, "nothing queued");
}

#[test]
fn an_account_that_cannot_send_is_refused_before_rendering() {
    let mut site = site();
    let pid = site.gw.pid().unwrap();
    let bomb = testdoc::nested_forms_pdf(30);

    // At its ceiling: 402 at once, the bomb never rendered (that takes the whole timeout).
    site.gw.ok(&["billing", "ceiling", "alice", "0.00"]);
    let started = Instant::now();
    let (status, json) = post_fax(site.api, &site.token, "forms.pdf", &bomb);
    let took = started.elapsed();
    eprintln!(
        "at the ceiling: {status} after {:.2} s: {json}",
        took.as_secs_f64()
    );
    assert_eq!(status, 402, "{json}");
    assert_eq!(json["error"], "ceiling_reached");
    assert!(took < Duration::from_secs(3), "refused after {took:?}");
    assert!(children(pid).is_empty());

    // The command line too.
    let path = site.gw.write("forms.pdf", &bomb);
    let started = Instant::now();
    let out = site
        .gw
        .command(&[
            "send",
            "--account",
            "alice",
            "--from",
            ALICE_FAX,
            "--to",
            DEST,
            &path.display().to_string(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("out-of-plan ceiling reached for account `alice`"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(5), "{stderr}");

    // Suspended: 403 at once.
    site.gw.ok(&["billing", "ceiling", "alice", "--default"]);
    site.gw.ok(&["account", "suspend", "alice"]);
    let started = Instant::now();
    let (status, json) = post_fax(site.api, &site.token, "forms.pdf", &bomb);
    assert_eq!(status, 403, "{json}");
    assert_eq!(json["error"], "account_suspended");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(reserved(&site.gw), "0.00");
    site.gw.assert_alive("after the refusals");
}
