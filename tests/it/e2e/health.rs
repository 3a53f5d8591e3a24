//! End to end, metrics and health: a `faxvox serve` that took a voicemail call and a fax
//! counts them (and its spool) on `/metrics`, whose text `promtool check metrics` accepts;
//! `faxvox status` prints the same; its JSON log lines parse and name the call and the email
//! they concern; `/readyz` and SIP OPTIONS answer 503 while it drains (SIGTERM with a call in
//! progress) and while its spool is over the high-water mark.

use crate::support;
use crate::support::fax_pages;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::gateway::{attachment, describe_mail, sent_to, Gateway};
use support::peers;
use support::sip_raw::SipClient;
use support::smtp::{SinkOptions, SmtpSink};

const VM_LINE: &str = "+33299007000";
const FAX_LINE: &str = "+33299007100";

/// `GET url` over HTTP/1.0: (status, body).
fn http_get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_once('/').map_or((rest, "/"), |(h, p)| (h, p));
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let mut s = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("HTTP answer");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status code");
    (status, body.to_string())
}

/// The value of one sample line (`name{labels} value`) of an exposition.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// The status of an OPTIONS to the gateway.
fn options_status(gw: &Gateway) -> u16 {
    SipClient::new()
        .options(gw.sip_addr(), Duration::from_secs(3))
        .expect("no answer to OPTIONS")
        .status
}

/// `promtool check metrics` on `text`: its complaints (empty when none).
fn promtool_check(promtool: &std::path::Path, text: &str) -> String {
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() && said.trim().is_empty() {
        String::new()
    } else {
        format!("exit {}: {said}", out.status)
    }
}

fn greeting(gw: &Gateway) -> std::path::PathBuf {
    gw.write("greeting.wav", &peers::wav(&peers::speech_like(31, 0.4)))
}

#[test]
fn metrics_count_a_voicemail_call_a_fax_and_the_spool() {
    let promtool = peers::require("promtool", "prometheus");
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["vm@acme.example"], "Acme");
    let greeting = greeting(&gw);
    gw.line_add(VM_LINE, "acme", "voicemail", Some(&greeting));
    gw.line_add(FAX_LINE, "acme", "fax", None);
    gw.set("FAXVOX_LOG_FORMAT", "json");
    gw.set("FAXVOX_METRICS_SPOOL_SCAN_SECS", "1");
    gw.start();
    let url = gw.metrics_url();
    let (status, body) = http_get(&format!("{url}/healthz"));
    assert_eq!((status, body.trim()), (200, "ok"));

    // One voice message, then one fax page over G.711.
    let mut played = peers::silence(1500);
    played.extend(peers::speech_like(32, 2.0));
    let wav = gw.write("message.wav", &peers::wav(&played));
    gw.call(&[
        "voice",
        "--to",
        &gw.uri(VM_LINE),
        "--from",
        "+33612345671",
        "--wav",
        &wav.display().to_string(),
    ])
    .assert_ok("voicemail call");
    let doc = fax_pages::write_doc(gw.path(), "doc.tif", &[fax_pages::test_page_top(33, 400)]);
    gw.call(&[
        "fax",
        "--to",
        &gw.uri(FAX_LINE),
        "--file",
        &doc.display().to_string(),
        "--from",
        "+15550007001",
        "--no-t38",
    ])
    .assert_ok("fax call");
    let deadline = Instant::now() + Duration::from_secs(40);
    let mailed = |m: &support::smtp::Received, what| {
        sent_to(m, "vm@acme.example") && attachment(m, what).is_some()
    };
    while !(sink.messages().iter().any(|m| mailed(m, "audio/"))
        && sink.messages().iter().any(|m| mailed(m, "application/pdf")))
    {
        assert!(
            Instant::now() < deadline,
            "two emails expected; got:\n{}",
            describe_mail(&sink)
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // The spool is counted every second here: wait for both deliveries.
    let delivered = "faxvox_spool_jobs{state=\"delivered\"}";
    let deadline = Instant::now() + Duration::from_secs(15);
    let text = loop {
        let (status, text) = http_get(&format!("{url}/metrics"));
        assert_eq!(status, 200, "{text}");
        if sample(&text, delivered) == Some(2.0) {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "the spool's two delivered jobs are not counted:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    eprintln!("{text}");
    let expect = [
        (
            "faxvox_calls_total{direction=\"in\",kind=\"voicemail\",result=\"ok\"}",
            1.0,
        ),
        (
            "faxvox_calls_total{direction=\"in\",kind=\"fax\",result=\"ok\"}",
            1.0,
        ),
        (
            "faxvox_calls_total{direction=\"in\",kind=\"voicemail\",result=\"missed\"}",
            0.0,
        ),
        (
            "faxvox_calls_in_progress{direction=\"in\",kind=\"voicemail\"}",
            0.0,
        ),
        (
            "faxvox_fax_t30_results_total{direction=\"in\",class=\"ok\"}",
            1.0,
        ),
        ("faxvox_fax_pages_total{direction=\"in\"}", 1.0),
        (
            "faxvox_call_duration_seconds_count{kind=\"voicemail\"}",
            1.0,
        ),
        ("faxvox_call_duration_seconds_count{kind=\"fax\"}", 1.0),
        ("faxvox_delivery_latency_seconds_count", 2.0),
        ("faxvox_spool_jobs{state=\"ready\"}", 0.0),
        ("faxvox_spool_jobs{state=\"dead\"}", 0.0),
        ("faxvox_smtp_failures_total{class=\"connection\"}", 0.0),
        ("faxvox_media_ports_in_use", 0.0),
        ("faxvox_reserved_euros", 0.0),
        ("faxvox_ready", 1.0),
    ];
    for (series, want) in expect {
        assert_eq!(sample(&text, series), Some(want), "{series}");
    }
    // Both calls lasted a few seconds: not in the lowest bucket, all within a minute.
    for kind in ["voicemail", "fax"] {
        let le1 = format!("faxvox_call_duration_seconds_bucket{{kind=\"{kind}\",le=\"1\"}}");
        let le60 = format!("faxvox_call_duration_seconds_bucket{{kind=\"{kind}\",le=\"60\"}}");
        assert_eq!(sample(&text, &le1), Some(0.0), "{le1}");
        assert_eq!(sample(&text, &le60), Some(1.0), "{le60}");
    }
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            !line.contains("+336") && !line.contains("acme") && !line.contains('@'),
            "a number, account or call id as a label: {line}"
        );
    }
    match &promtool {
        Some(p) => {
            let said = promtool_check(p, &text);
            assert!(said.is_empty(), "promtool check metrics: {said}");
        }
        None => eprintln!("SKIPPED: promtool check metrics (apt-get install prometheus)"),
    }

    // The call records agree (the fax's record is read before its file moves to the spool).
    let recs = gw.call_records();
    let fax = recs.iter().find(|r| r.kind.as_deref() == Some("fax"));
    assert_eq!(
        fax.and_then(|r| r.status.as_deref()),
        Some("ok"),
        "{recs:?}"
    );

    // faxvox status: the same facts, read over HTTP.
    let out = gw.ok(&["status", "--url", &url]);
    eprintln!("{out}");
    assert!(out.contains("ready: yes"), "{out}");
    assert!(out.contains("calls in progress: 0 "), "{out}");
    assert!(out.contains("delivered 2"), "{out}");
    assert!(out.contains(", ready 0,"), "{out}");
    assert!(out.contains("oldest ready job: none waiting"), "{out}");
    assert!(
        out.contains("last delivery error: none since start"),
        "{out}"
    );

    // JSON log lines: every line on stderr is one object; the call's lines carry its call id,
    // the delivery's lines the job and the Message-ID.
    let log = gw.log();
    let objects: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| !l.starts_with("faxvox: "))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let field = |o: &serde_json::Value, key: &str| -> Option<String> {
        o.get(key)
            .or_else(|| o.get("span").and_then(|s| s.get(key)))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let ended: Vec<&serde_json::Value> = objects
        .iter()
        .filter(|o| o["message"] == "call ended")
        .collect();
    assert_eq!(ended.len(), 2, "two `call ended` lines:\n{log}");
    for o in &ended {
        let id = field(o, "call_id").unwrap_or_default();
        assert!(!id.is_empty(), "no call_id: {o}");
        // The call's other lines carry it too, through the call's span.
        assert!(
            objects
                .iter()
                .filter(|p| p["message"] != "call ended")
                .any(|p| field(p, "call_id").as_deref() == Some(id.as_str())),
            "no other line of call {id}"
        );
    }
    let delivered: Vec<&serde_json::Value> = objects
        .iter()
        .filter(|o| o["message"] == "delivered")
        .collect();
    assert_eq!(delivered.len(), 2, "two `delivered` lines:\n{log}");
    let ids: Vec<String> = sink
        .messages()
        .iter()
        .filter_map(|m| m.python_header("Message-ID"))
        .map(|id| id.trim().trim_matches(['<', '>']).to_string())
        .collect();
    for o in &delivered {
        let job = field(o, "job").unwrap_or_default();
        let mid = field(o, "message_id").unwrap_or_default();
        assert!(!job.is_empty(), "no job: {o}");
        assert!(
            ids.iter().any(|i| mid.trim_matches(['<', '>']) == i),
            "message_id {mid:?} is none of the emails' {ids:?}"
        );
    }
}

#[test]
fn readyz_and_options_answer_503_while_draining() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["vm@acme.example"], "Acme");
    let greeting = greeting(&gw);
    gw.line_add(VM_LINE, "acme", "voicemail", Some(&greeting));
    gw.start();
    let url = gw.metrics_url();
    assert_eq!(http_get(&format!("{url}/readyz")), (200, "ready\n".into()));
    assert_eq!(options_status(&gw), 200);

    let mut played = peers::silence(1200);
    played.extend(peers::speech_like(34, 6.0));
    let wav = gw.write("long.wav", &peers::wav(&played));
    let call = gw
        .command(&[
            "call",
            "voice",
            "--to",
            &gw.uri(VM_LINE),
            "--wav",
            &wav.display().to_string(),
            "--timeout-secs",
            "30",
        ])
        .env("FAXVOX_SIP_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !gw.log().contains("answered") {
        assert!(Instant::now() < deadline, "not answered:\n{}", gw.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    let (_, text) = http_get(&format!("{url}/metrics"));
    assert_eq!(
        sample(
            &text,
            "faxvox_calls_in_progress{direction=\"in\",kind=\"voicemail\"}"
        ),
        Some(1.0)
    );
    // An RTP and a UDPTL port.
    assert_eq!(sample(&text, "faxvox_media_ports_in_use"), Some(2.0));

    gw.signal("TERM");
    assert!(
        gw.wait_log("SIGTERM", Duration::from_secs(5)),
        "{}",
        gw.log()
    );
    // Not ready at once, while the call in progress goes on.
    let (status, body) = http_get(&format!("{url}/readyz"));
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("draining"), "{body}");
    assert_eq!(options_status(&gw), 503);
    let (_, text) = http_get(&format!("{url}/metrics"));
    assert_eq!(sample(&text, "faxvox_ready"), Some(0.0));
    let out = gw.command(&["status", "--url", &url]).output().unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{printed}");
    assert!(printed.contains("ready: no"), "{printed}");
    assert!(printed.contains("draining"), "{printed}");
    assert!(printed.contains("in voicemail 1"), "{printed}");

    let out = call.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the call in progress did not end normally: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        gw.log()
    );
    let status = gw.wait_exit(Duration::from_secs(30));
    assert!(
        status.is_some_and(|s| s.success()),
        "serve did not exit cleanly: {status:?}"
    );
    // Gone with the node: `faxvox status` says so.
    let out = gw.command(&["status", "--url", &url]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(said.contains("is `faxvox serve` running"), "{said}");
}

/// Used fraction of the filesystem holding `path`, from `df`.
fn disk_used_percent(path: &std::path::Path) -> Option<u32> {
    let out = Command::new("df")
        .args(["--output=pcent"])
        .arg(path)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)?
        .trim()
        .trim_end_matches('%')
        .parse()
        .ok()
}

#[test]
fn readyz_and_options_answer_503_while_the_spool_is_over_its_high_water_mark() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["vm@acme.example"], "Acme");
    let used = disk_used_percent(gw.path()).unwrap_or(0);
    if used <= 11 {
        eprintln!("SKIPPED: the test disk is {used} % used, below the lowest high-water mark");
        return;
    }
    gw.set("FAXVOX_SPOOL_HIGH_WATER_PERCENT", "10");
    gw.start();
    let url = gw.metrics_url();
    let (status, body) = http_get(&format!("{url}/readyz"));
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("spool: disk"), "{body}");
    assert!(body.contains("high-water"), "{body}");
    assert_eq!(options_status(&gw), 503);
    let (_, text) = http_get(&format!("{url}/metrics"));
    assert_eq!(sample(&text, "faxvox_ready"), Some(0.0));
    let (status, body) = http_get(&format!("{url}/healthz"));
    assert_eq!(status, 200, "alive all the same: {body}");
    gw.assert_alive("spool over its mark");
}

/// A node on PostgreSQL whose database goes away under it (dropped, connections cut) stops
/// being ready within a few checks: `/readyz` names the database, OPTIONS answers 503.
#[test]
fn readyz_and_options_answer_503_while_the_database_does_not_answer() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(support::billing_db::TestDb::postgres("readyz")) else {
        return;
    };
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.set("FAXVOX_DATABASE_URL", &db.url);
    gw.start();
    let url = gw.metrics_url();
    assert_eq!(http_get(&format!("{url}/readyz")), (200, "ready\n".into()));
    assert_eq!(options_status(&gw), 200);

    rt.block_on(db.cleanup());
    let deadline = Instant::now() + Duration::from_secs(20);
    let body = loop {
        let (status, body) = http_get(&format!("{url}/readyz"));
        if status == 503 {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "still ready without its database:\n{}",
            gw.log()
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    eprintln!("/readyz: {body}");
    assert!(body.contains("database: "), "{body}");
    assert_eq!(options_status(&gw), 503);
    let (_, text) = http_get(&format!("{url}/metrics"));
    assert_eq!(sample(&text, "faxvox_ready"), Some(0.0));
    gw.assert_alive("database gone");
}
