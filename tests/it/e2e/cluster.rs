//! End to end, several nodes: two `faxvox serve` share one PostgreSQL database (the server of
//! `TEST_POSTGRES_URL`; skipped without it, CI always sets it), each with its own spool, and
//! Kamailio (`deploy/kamailio/kamailio.cfg`) spreads calls over them. Everything runs on
//! 127.0.0.1 (nodes, callers, PostgreSQL, mail) and 127.0.0.2 (Kamailio).

use crate::support;

use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use support::billing_db::TestDb;
use support::gateway::{attachment, describe_mail, Gateway};
use support::kamailio::Kamailio;
use support::peers;
use support::smtp::{Received, SinkOptions, SmtpSink};

const VM_LINE: &str = "+33299004000";

/// Two installations on one new PostgreSQL database, mail to `sink`; not started.
async fn two_nodes(sink: &SmtpSink, name: &str) -> Option<(TestDb, Gateway, Gateway)> {
    let db = TestDb::postgres(name).await?;
    let a = Gateway::new(sink);
    let b = Gateway::new(sink);
    a.use_database(&db.url);
    b.use_database(&db.url);
    Some((db, a, b))
}

/// A caller placing one voice call in the background: its own caller name (the email's
/// subject names it), its own RTP ports, its output in a file.
struct Caller {
    name: String,
    played: Vec<i16>,
    child: Child,
    out: std::path::PathBuf,
}

impl Caller {
    /// `faxvox call voice` to `uri` playing `secs` of speech after the beep. `ports` is a
    /// range of its own for its media.
    fn spawn(
        gw: &Gateway,
        uri: &str,
        name: &str,
        seed: u64,
        secs: f32,
        ports: (u16, u16),
    ) -> Caller {
        let played = peers::speech_like(seed, secs);
        let wav = gw.write(&format!("{name}.wav"), &peers::wav(&played));
        let out = gw.path().join(format!("{name}.out"));
        let wav_arg = wav.display().to_string();
        let child = gw
            .command(&[
                "call",
                "voice",
                "--to",
                uri,
                "--from",
                "+33100000000",
                "--from-name",
                name,
                "--wav",
                &wav_arg,
                "--timeout-secs",
                "40",
            ])
            .env("FAXVOX_SIP_LISTEN", "127.0.0.1:0")
            .env("FAXVOX_SIP_RTP_PORTS", format!("{}-{}", ports.0, ports.1))
            .env("FAXVOX_SIP_MEDIA_IP", "127.0.0.1")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(out.with_extension("err")).unwrap())
            .spawn()
            .expect("spawn faxvox call");
        Caller {
            name: name.to_string(),
            played,
            child,
            out,
        }
    }

    /// Waits for the call to end (bounded by its own timeout) and returns its result line.
    fn finish(mut self) -> CallDone {
        let deadline = Instant::now() + Duration::from_secs(50);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.wait();
        let stdout = std::fs::read_to_string(&self.out).unwrap_or_default();
        let stderr = std::fs::read_to_string(self.out.with_extension("err")).unwrap_or_default();
        let result = stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
            .find(|v| v.get("call_id").is_some());
        CallDone {
            name: self.name,
            played: self.played,
            result,
            stdout,
            stderr,
        }
    }
}

struct CallDone {
    name: String,
    played: Vec<i16>,
    result: Option<serde_json::Value>,
    stdout: String,
    stderr: String,
}

impl CallDone {
    fn call_id(&self) -> String {
        self.result
            .as_ref()
            .and_then(|r| r["call_id"].as_str())
            .unwrap_or_default()
            .to_string()
    }

    fn ok(&self) -> bool {
        self.result
            .as_ref()
            .is_some_and(|r| r["ok"].as_bool() == Some(true))
    }

    fn describe(&self) -> String {
        format!(
            "{}: {}\n{}",
            self.name,
            self.stdout.trim(),
            self.stderr
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .join("\n")
        )
    }
}

/// Which node answered a call: the node whose log says so.
fn answered_by(call_id: &str, logs: &[(&str, &str)]) -> Vec<String> {
    if call_id.is_empty() {
        return Vec::new();
    }
    let needle = format!("answered call_id={call_id}");
    logs.iter()
        .filter(|(_, log)| log.contains(&needle))
        .map(|(n, _)| n.to_string())
        .collect()
}

/// The emails about the call of caller `name` (its name is in the subject).
fn mails_of<'a>(mails: &'a [Received], name: &str) -> Vec<&'a Received> {
    mails
        .iter()
        .filter(|m| m.python_header("subject").is_some_and(|s| s.contains(name)))
        .collect()
}

/// Slice `part` of a caller port range `(lo, hi)` cut in `parts` (each starting on an even
/// port, as RTP ranges must).
fn slice(range: (u16, u16), part: u16, parts: u16) -> (u16, u16) {
    let per = ((range.1 - range.0 + 1) / parts) & !1;
    let lo = range.0 + part * per;
    (lo, lo + per - 1)
}

/// `faxvox call voice` straight to one node; returns when the beep was heard (seconds after
/// the answer), which tells which greeting the node played.
fn beep_after(gw: &Gateway, number: &str, seed: u64) -> f64 {
    let played = peers::speech_like(seed, 1.5);
    let wav = gw.write(&format!("probe-{seed}.wav"), &peers::wav(&played));
    let run = gw.call(&[
        "voice",
        "--to",
        &gw.uri(number),
        "--wav",
        wav.to_str().unwrap(),
        "--beep-timeout-secs",
        "15",
    ]);
    run.assert_ok("call to one node");
    let result = run.results().pop().expect("a call result");
    result["beep_secs"]
        .as_f64()
        .unwrap_or_else(|| panic!("no beep heard: {result}"))
}

/// Two nodes started at the same moment on an empty database create its schema once; an
/// account and a voicemail line made through the command line of a third machine are served
/// by both, with the greeting it stored (each node fetches it from the database: the file the
/// command wrote is on no node's disk); a new greeting stored through node B is played by A
/// once A's route cache (2 s) has expired; SIGHUP reloads both alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_database_serve_the_same_lines_and_greetings() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let Some((db, mut a, mut b)) = two_nodes(&sink, "cluster_same").await else {
        return;
    };
    let tone = |ms: u32| peers::wav(&faxvox_codecs::tones::tone(&[440.0], ms, -16.0, 10));
    Gateway::start_together(&mut [&mut a, &mut b]);
    // The operator's own machine creates the account and the line, then is gone: its copy of
    // the greeting is on no node's disk.
    {
        let admin = Gateway::new(&sink);
        admin.use_database(&db.url);
        admin.account_add("acme", &["vm@acme.example"], "Acme");
        let short = admin.write("short.wav", &tone(500));
        admin.line_add(VM_LINE, "acme", "voicemail", Some(&short));
    }
    let on_a = beep_after(&a, VM_LINE, 1);
    let on_b = beep_after(&b, VM_LINE, 2);
    let builtin = faxvox_codecs::greeting::default_greeting().len() as f64 / 8000.0;
    eprintln!("0.5 s greeting: beep after {on_a:.2} s on A, {on_b:.2} s on B (built-in greeting: {builtin:.2} s)");
    assert!(
        on_a < 2.0,
        "node A did not play its 0.5 s greeting: beep after {on_a:.2} s"
    );
    assert!(
        (on_a - on_b).abs() < 0.3,
        "node B played another greeting than A: beep after {on_b:.2} s, A {on_a:.2} s"
    );

    // A longer greeting stored through node B: A plays it once its cached route (2 s) expired.
    let long = b.write("long.wav", &tone(3000));
    b.ok(&["line", "greeting", VM_LINE, long.to_str().unwrap()]);
    std::thread::sleep(Duration::from_millis(2500));
    let on_a = beep_after(&a, VM_LINE, 3);
    let on_b = beep_after(&b, VM_LINE, 4);
    eprintln!("3 s greeting: beep after {on_a:.2} s on A, {on_b:.2} s on B");
    assert!(
        (3.0..4.5).contains(&on_a) && (on_a - on_b).abs() < 0.3,
        "after the change through B: beep after {on_a:.2} s on A, {on_b:.2} s on B"
    );

    // SIGHUP: both reload their own configuration the same way and keep serving.
    for gw in [&mut a, &mut b] {
        gw.signal("HUP");
        assert!(
            gw.wait_log("configuration reloaded (SIGHUP)", Duration::from_secs(10)),
            "no reload after SIGHUP:\n{}",
            gw.log()
        );
        gw.assert_alive("after SIGHUP");
    }
    // Every message went to the account, whichever node took it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.messages().len() < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(sink.messages().len(), 4, "{}", describe_mail(&sink));
    a.stop();
    b.stop();
    db.cleanup().await;
}

/// The scenario. Voicemail calls placed through Kamailio reach both nodes; node A is
/// killed with SIGKILL while some of its calls are recording; calls placed while it is down
/// all succeed on node B (the first ones may go to A first and fail over after Kamailio's
/// 2 s timer); A is started again. Every call that was answered ends in exactly one email,
/// whose attachment is the caller's recorded audio (the part before the kill for A's
/// interrupted calls).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_through_kamailio_survive_a_node_killed_mid_call() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let Some((db, mut a, mut b)) = two_nodes(&sink, "cluster_kill").await else {
        return;
    };
    // Each node takes its media ports from both of its blocks (20 calls' worth: five calls
    // at once on one node, plus the ports resting after the calls that ended, need more than
    // one block); the callers take theirs from blocks of their own.
    for gw in [&mut a, &mut b] {
        let ports = format!("{}-{}", gw.rtp.0, gw.caller_rtp.1);
        gw.set("FAXVOX_SIP_RTP_PORTS", &ports);
    }
    let callers = {
        let (lo, hi) = support::gateway::rtp_ranges(support::gateway::free_port());
        (lo.0, hi.1)
    };
    // Both nodes start together on the empty database: the schema is created once.
    Gateway::start_together(&mut [&mut a, &mut b]);
    let Some(kam) = Kamailio::start(&[a.sip_addr(), b.sip_addr()]) else {
        db.cleanup().await;
        return;
    };
    // The account and its line are created once, through node A's command line.
    a.account_add("acme", &["vm@acme.example"], "Acme");
    let greeting = a.write(
        "greeting.wav",
        &peers::wav(&faxvox_codecs::tones::tone(&[440.0], 500, -16.0, 10)),
    );
    a.line_add(VM_LINE, "acme", "voicemail", Some(&greeting));
    for node in [a.sip_addr(), b.sip_addr()] {
        assert!(
            kam.wait_target(node, "AP", Duration::from_secs(10)),
            "kamailio does not see node {node} up: {:?}",
            kam.targets()
        );
    }
    let uri = kam.uri(VM_LINE);
    let t0 = Instant::now();

    // Phase 1: six calls of 8 s of speech, spread over both nodes.
    let mut first = Vec::new();
    for i in 0..6u16 {
        let ports = slice(callers, i, 10);
        first.push(Caller::spawn(
            &a,
            &uri,
            &format!("early-{i}"),
            100 + u64::from(i),
            8.0,
            ports,
        ));
        std::thread::sleep(Duration::from_millis(150));
    }
    // Greeting (0.5 s) and beep, then about 3 s of every message: node A dies.
    std::thread::sleep(Duration::from_millis(4500));
    a.stop();
    let killed_at = t0.elapsed();
    let log_a_before = a.log();
    assert!(!a.is_running(), "node A still runs after SIGKILL");

    // Phase 2: four calls while A is down (the first two at once, before Kamailio's probe
    // noticed: one of them is sent to A first).
    let later: Vec<(u16, (u16, u16))> = (0..4u16).map(|i| (i, slice(callers, 6 + i, 10))).collect();
    let mut later_done = Vec::new();
    for pair in later.chunks(2) {
        let callers: Vec<Caller> = pair
            .iter()
            .map(|&(i, ports)| {
                Caller::spawn(
                    &b,
                    &uri,
                    &format!("later-{i}"),
                    200 + u64::from(i),
                    3.0,
                    ports,
                )
            })
            .collect();
        later_done.extend(callers.into_iter().map(Caller::finish));
    }
    let first_done: Vec<CallDone> = first.into_iter().map(Caller::finish).collect();
    assert!(
        kam.wait_target(a.sip_addr(), "IP", Duration::from_secs(5)),
        "kamailio did not take the dead node out: {:?}",
        kam.targets()
    );

    // Node A comes back with its spool: its interrupted calls are committed and emailed.
    a.start();
    assert!(
        kam.wait_target(a.sip_addr(), "AP", Duration::from_secs(10)),
        "kamailio did not put node A back: {:?}",
        kam.targets()
    );

    for call in first_done.iter().chain(&later_done) {
        eprintln!("{}", call.describe());
    }
    let logs = [("A", log_a_before.as_str()), ("B", &b.log())];
    let mut per_node: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut answered = Vec::new();
    for call in first_done.iter().chain(&later_done) {
        let nodes = answered_by(&call.call_id(), &logs);
        assert!(nodes.len() <= 1, "{} answered by {nodes:?}", call.name);
        if let Some(n) = nodes.first() {
            per_node
                .entry(n.clone())
                .or_default()
                .push(call.name.clone());
            answered.push((call, n.clone()));
        }
    }
    eprintln!("killed node A at {killed_at:?}; calls answered per node: {per_node:?}");
    for call in &later_done {
        assert!(
            call.ok(),
            "a call placed while node A was down failed:\n{}",
            call.describe()
        );
        assert_eq!(
            answered_by(&call.call_id(), &logs),
            ["B"],
            "{} was not answered by node B",
            call.name
        );
    }
    let early_on_a = per_node.get("A").map_or(0, Vec::len);
    let early_on_b = first_done
        .iter()
        .filter(|c| answered_by(&c.call_id(), &logs) == ["B"])
        .count();
    assert!(
        early_on_a >= 1 && early_on_b >= 1,
        "the first calls did not reach both nodes: {per_node:?}\n{}",
        first_done
            .iter()
            .map(CallDone::describe)
            .collect::<Vec<_>>()
            .join("\n")
    );
    for call in &first_done {
        assert!(
            !answered_by(&call.call_id(), &logs).is_empty(),
            "{} was never answered:\n{}",
            call.name,
            call.describe()
        );
    }

    // Exactly one email per answered call, once everything settled.
    let deadline = Instant::now() + Duration::from_secs(30);
    while sink.messages().len() < answered.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    // Late duplicates would come within a delivery pass.
    std::thread::sleep(Duration::from_secs(3));
    let mails = sink.messages();
    eprintln!(
        "{} answered calls, {} emails:\n{}",
        answered.len(),
        mails.len(),
        describe_mail(&sink)
    );
    let recovered = a.log().matches("interrupted call recovered").count();
    for (call, node) in &answered {
        let got = mails_of(&mails, &call.name);
        assert_eq!(
            got.len(),
            1,
            "{} (node {node}) has {} emails; all:\n{}\nnode A after restart:\n{}",
            call.name,
            got.len(),
            describe_mail(&sink),
            a.log()
        );
        let (_, _, audio) = attachment(got[0], "audio/").unwrap_or_else(|| {
            panic!(
                "{} (node {node}): no recording attached: {:?}",
                call.name,
                got[0].python_header("subject")
            )
        });
        let rec = peers::decode_audio(&audio);
        let secs = rec.len() as f32 / 8000.0;
        let (lag_ms, r) = peers::find_in(&call.played, &rec, 3000);
        eprintln!(
            "{} (node {node}): {secs:.2} s recorded, lag {lag_ms} ms, r = {r:.3}",
            call.name
        );
        assert!(
            r >= 0.8,
            "{}: the emailed audio is not what was played (r = {r:.3})",
            call.name
        );
        let interrupted = *node == "A" && call.name.starts_with("early");
        let expected = if interrupted { 1.5..=6.0 } else { 7.0..=9.5 };
        let full = if call.name.starts_with("later") {
            2.5..=4.0
        } else {
            expected
        };
        assert!(
            full.contains(&secs),
            "{} (node {node}): {secs:.2} s recorded, expected {full:?}",
            call.name
        );
    }
    assert_eq!(
        mails.len(),
        answered.len(),
        "emails that belong to no answered call:\n{}",
        describe_mail(&sink)
    );
    assert_eq!(
        recovered,
        early_on_a,
        "node A recovered {recovered} calls, {early_on_a} were cut:\n{}",
        a.log()
    );
    eprintln!(
        "kamailio:\n{}",
        kam.log()
            .lines()
            .filter(|l| l.contains("<script>"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    a.stop();
    b.stop();
    db.cleanup().await;
}

/// A stand-in node on 127.0.0.1: answers OPTIONS with the code in `options` (changeable
/// while it runs) and every INVITE with 503; counts the INVITEs (retransmissions once).
struct RefusingNode {
    addr: std::net::SocketAddr,
    options: std::sync::Arc<std::sync::atomic::AtomicU16>,
    invites: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl RefusingNode {
    fn start() -> RefusingNode {
        use std::sync::atomic::{AtomicU16, Ordering};
        use std::sync::{Arc, Mutex};
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = sock.local_addr().unwrap();
        let options = Arc::new(AtomicU16::new(200));
        let invites: Arc<Mutex<Vec<String>>> = Arc::default();
        let (code, seen) = (options.clone(), invites.clone());
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while let Ok((n, from)) = sock.recv_from(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                let status = if text.starts_with("OPTIONS ") {
                    match code.load(Ordering::SeqCst) {
                        200 => "200 OK",
                        _ => "503 Service Unavailable",
                    }
                } else if text.starts_with("INVITE ") {
                    "503 Service Unavailable"
                } else {
                    continue;
                };
                let mut reply = format!("SIP/2.0 {status}\r\n");
                for line in text.split("\r\n").take_while(|l| !l.is_empty()).skip(1) {
                    let name = line
                        .split(':')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase();
                    match name.as_str() {
                        "via" | "from" | "call-id" | "cseq" => {
                            reply.push_str(&format!("{line}\r\n"))
                        }
                        "to" => reply.push_str(&format!("{line};tag=refuse1\r\n")),
                        _ => {}
                    }
                    if name == "call-id" && text.starts_with("INVITE ") {
                        let id = line.split_once(':').unwrap().1.trim().to_string();
                        let mut seen = seen.lock().unwrap();
                        if !seen.contains(&id) {
                            seen.push(id);
                        }
                    }
                }
                reply.push_str("Content-Length: 0\r\n\r\n");
                let _ = sock.send_to(reply.as_bytes(), from);
            }
        });
        RefusingNode {
            addr,
            options,
            invites,
        }
    }

    fn invites(&self) -> usize {
        self.invites.lock().unwrap().len()
    }
}

/// Kamailio's side of the configuration, with one real node and one that refuses: an INVITE
/// answered 503 goes on to the next node (the caller never sees the 503); a node whose
/// OPTIONS probe gets 503 is taken out and gets no INVITE, and is put back by a 200.
#[test]
fn kamailio_moves_calls_off_a_node_answering_503() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["vm@acme.example"], "Acme");
    let greeting = gw.write(
        "greeting.wav",
        &peers::wav(&faxvox_codecs::tones::tone(&[440.0], 300, -16.0, 10)),
    );
    gw.line_add(VM_LINE, "acme", "voicemail", Some(&greeting));
    gw.start();
    let refusing = RefusingNode::start();
    let Some(kam) = Kamailio::start(&[refusing.addr, gw.sip_addr()]) else {
        return;
    };
    for node in [refusing.addr, gw.sip_addr()] {
        assert!(
            kam.wait_target(node, "AP", Duration::from_secs(10)),
            "{node} not up: {:?}",
            kam.targets()
        );
    }
    let wav = gw.write("m.wav", &peers::wav(&peers::speech_like(9, 1.0)));
    let call = |what: &str| {
        let run = gw.call(&[
            "voice",
            "--to",
            &kam.uri(VM_LINE),
            "--wav",
            wav.to_str().unwrap(),
        ]);
        run.assert_ok(what);
    };
    // Round-robin: one of two calls is sent to the refusing node first.
    call("first call");
    call("second call");
    assert!(
        refusing.invites() >= 1,
        "no INVITE reached the refusing node: {:?}\n{}",
        kam.targets(),
        kam.log()
    );
    assert!(
        kam.log().contains("answered 503: trying the next"),
        "{}",
        kam.log()
    );

    // Its probe answers 503 now: taken out, no INVITE for it.
    refusing
        .options
        .store(503, std::sync::atomic::Ordering::SeqCst);
    assert!(
        kam.wait_target(refusing.addr, "IP", Duration::from_secs(10)),
        "a node answering OPTIONS with 503 stays in: {:?}",
        kam.targets()
    );
    let before = refusing.invites();
    call("third call");
    call("fourth call");
    assert_eq!(
        refusing.invites(),
        before,
        "a node taken out still got INVITEs"
    );
    refusing
        .options
        .store(200, std::sync::atomic::Ordering::SeqCst);
    assert!(
        kam.wait_target(refusing.addr, "AP", Duration::from_secs(10)),
        "a 200 did not put the node back: {:?}",
        kam.targets()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.messages().len() < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(sink.messages().len(), 4, "{}", describe_mail(&sink));
}
