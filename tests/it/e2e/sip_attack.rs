//! End to end, SIP under attack, against a real `faxvox serve` trusting only 127.0.0.1: an
//! INVITE flood from 127.0.0.2 (3 000 at 1 000/s, random branches and Call-IDs) gets at most
//! one answer for two requests, retransmissions included, while a trusted call placed during
//! the flood is answered; and the per-line, per-account and per-source call limits refuse the
//! call one over them (486, 486, 503).

use crate::support;

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::gateway::{CallRun, Gateway};
use support::peers::{self, Rng};
use support::sip_raw::SipClient;
use support::smtp::{SinkOptions, SmtpSink};

const VM_LINE: &str = "+33299002000";
const VM_LINE_2: &str = "+33299002001";

/// Flood size and pace.
const FLOOD: usize = 3000;
const FLOOD_PER_SEC: u64 = 1000;
/// How long answers are counted after the last request (the old 32 s of retransmissions).
const LISTEN_AFTER: Duration = Duration::from_secs(35);

/// An INVITE from `from` to `target` with a random branch, Call-ID and tag.
fn flood_invite(rng: &mut Rng, from: SocketAddr, target: SocketAddr) -> String {
    let (branch, call_id, tag) = (rng.next_u64(), rng.next_u64(), rng.next_u64());
    format!(
        "INVITE sip:{VM_LINE}@{target} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {from};branch=z9hG4bK{branch:x};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:+15550001111@{from}>;tag={tag:x}\r\n\
         To: <sip:{VM_LINE}@{target}>\r\n\
         Call-ID: {call_id:x}@flood\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:flood@{from}>\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

#[test]
fn untrusted_flood_gets_at_most_one_answer_for_two_requests() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["vm@acme.example"], "Acme");
    gw.line_add(VM_LINE, "acme", "voicemail", None);
    gw.set("FAXVOX_SIP_TRUSTED", "127.0.0.1/32");
    gw.start();
    let target = gw.sip_addr();

    let sock = UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    let from = sock.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    // Everything that comes back to the flooding socket, by status code.
    let counter = {
        let sock = sock.try_clone().unwrap();
        let stop = stop.clone();
        std::thread::spawn(move || {
            sock.set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
            let mut buf = vec![0u8; 65536];
            while !stop.load(Ordering::Relaxed) {
                if let Ok((n, _)) = sock.recv_from(&mut buf) {
                    let text = String::from_utf8_lossy(&buf[..n]);
                    let status = text
                        .strip_prefix("SIP/2.0 ")
                        .and_then(|r| r.split(' ').next())
                        .unwrap_or("other")
                        .to_string();
                    *by_status.entry(status).or_default() += 1;
                }
            }
            by_status
        })
    };
    let flooder = std::thread::spawn(move || {
        let mut rng = Rng::new(0x5eed);
        let start = Instant::now();
        for i in 0..FLOOD as u64 {
            let due = start + Duration::from_micros(i * 1_000_000 / FLOOD_PER_SEC);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let _ = sock.send_to(flood_invite(&mut rng, from, target).as_bytes(), target);
        }
        start.elapsed()
    });

    // A trusted call placed during the flood is answered.
    std::thread::sleep(Duration::from_millis(1000));
    let trusted =
        SipClient::new().invite_final(target, VM_LINE, "+33100000001", Duration::from_secs(20));
    let flood_secs = flooder.join().unwrap();
    let flood_end = Instant::now();
    let trusted = trusted.expect("the trusted call got no final answer during the flood");
    assert_eq!(trusted.status, 200, "{}", trusted.raw);

    std::thread::sleep(LISTEN_AFTER.saturating_sub(flood_end.elapsed()));
    stop.store(true, Ordering::Relaxed);
    let by_status = counter.join().unwrap();
    let answers: usize = by_status.values().sum();
    eprintln!(
        "flood: {FLOOD} INVITEs from {from} in {:.2} s; {answers} datagrams back \
         ({:.3} per request) {by_status:?}",
        flood_secs.as_secs_f64(),
        answers as f64 / FLOOD as f64
    );
    assert!(
        answers * 2 <= FLOOD,
        "{answers} answers to {FLOOD} requests from an untrusted source: {by_status:?}"
    );
    // The burst got through and was refused (once each): the limiter drops, it does not
    // blackhole.
    assert!(
        by_status.get("403").copied().unwrap_or(0) >= 20,
        "{by_status:?}"
    );
    // Logged once per interval, not once per request.
    let log = gw.log();
    let lines = log
        .lines()
        .filter(|l| l.contains("dropped without an answer") && l.contains("127.0.0.2"))
        .count();
    assert!((1..=6).contains(&lines), "{lines} drop lines in the log");
    gw.assert_alive("after the flood");
}

/// `faxvox call voice` runs started together, each with its own slot of caller ports.
fn calls_at_once(gw: &Gateway, runs: Vec<Vec<String>>) -> Vec<CallRun> {
    let n = runs.len() as u16;
    std::thread::scope(|s| {
        let handles: Vec<_> = runs
            .iter()
            .enumerate()
            .map(|(i, args)| {
                s.spawn(move || {
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    gw.call_slot(i as u16, n, &args)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// The SIP statuses of the calls of `runs` (0 when a call got no final answer), sorted.
fn statuses(runs: &[CallRun]) -> Vec<u64> {
    let mut all: Vec<u64> = runs
        .iter()
        .flat_map(|r| r.results())
        .map(|r| r.get("status").and_then(|s| s.as_u64()).unwrap_or(0))
        .collect();
    all.sort();
    all
}

fn voice_args(gw: &Gateway, number: &str, wav: &str, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["voice", "--to", &gw.uri(number), "--wav", wav]
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

/// A gateway with two voicemail lines of one account, started with `env`.
fn limited_gateway(sink: &SmtpSink, env: &[(&str, &str)]) -> (Gateway, String) {
    let mut gw = Gateway::new(sink);
    gw.account_add("acme", &["vm@acme.example"], "Acme");
    gw.line_add(VM_LINE, "acme", "voicemail", None);
    gw.line_add(VM_LINE_2, "acme", "voicemail", None);
    for (k, v) in env {
        gw.set(k, v);
    }
    gw.start();
    // Four seconds of speech: the two calls overlap.
    let wav = gw.write("message.wav", &peers::wav(&peers::speech_like(3, 4.0)));
    (gw, wav.display().to_string())
}

#[test]
fn second_call_to_a_line_at_its_limit_gets_486() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let (mut gw, wav) = limited_gateway(
        &sink,
        &[
            ("FAXVOX_SIP_MAX_CALLS_PER_LINE", "1"),
            ("FAXVOX_SIP_MAX_CALLS_PER_ACCOUNT", "0"),
        ],
    );
    let runs = calls_at_once(
        &gw,
        vec![
            voice_args(&gw, VM_LINE, &wav, &[]),
            voice_args(&gw, VM_LINE, &wav, &[]),
        ],
    );
    assert_eq!(statuses(&runs), [200, 486], "{}", gw.log());
    assert!(gw.log().contains("too many calls to this line"));
    // The slot came back: once the answered call has ended, the next call is answered.
    assert!(
        gw.wait_log("call slots released", Duration::from_secs(30)),
        "{}",
        gw.log()
    );
    let again = gw.call(
        &voice_args(&gw, VM_LINE, &wav, &[])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(statuses(&[again]), [200], "{}", gw.log());
    gw.assert_alive("after the line limit");
}

#[test]
fn call_over_the_account_limit_gets_486() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let (mut gw, wav) = limited_gateway(
        &sink,
        &[
            ("FAXVOX_SIP_MAX_CALLS_PER_LINE", "0"),
            ("FAXVOX_SIP_MAX_CALLS_PER_ACCOUNT", "1"),
        ],
    );
    // Two different lines of the same account.
    let runs = calls_at_once(
        &gw,
        vec![
            voice_args(&gw, VM_LINE, &wav, &[]),
            voice_args(&gw, VM_LINE_2, &wav, &[]),
        ],
    );
    assert_eq!(statuses(&runs), [200, 486], "{}", gw.log());
    assert!(gw.log().contains("too many calls to this account"));
    gw.assert_alive("after the account limit");
}

#[test]
fn call_over_the_untrusted_source_limit_gets_503() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let (mut gw, wav) = limited_gateway(
        &sink,
        &[
            ("FAXVOX_SIP_TRUSTED", "127.0.0.1/32"),
            ("FAXVOX_SIP_AUTH_USERS", "remote:s3cret-pw"),
            ("FAXVOX_SIP_MAX_CALLS_PER_SOURCE", "1"),
        ],
    );
    // An authenticated caller on 127.0.0.2: two calls at once, to two lines.
    let creds = [
        "--bind",
        "127.0.0.2:0",
        "--user",
        "remote",
        "--password",
        "s3cret-pw",
    ];
    let runs = calls_at_once(
        &gw,
        vec![
            voice_args(&gw, VM_LINE, &wav, &creds),
            voice_args(&gw, VM_LINE_2, &wav, &creds),
        ],
    );
    assert_eq!(statuses(&runs), [200, 503], "{}", gw.log());
    assert!(gw.log().contains("too many calls from this source"));
    // The trusted trunk is not limited per source: two calls at once from 127.0.0.1.
    let runs = calls_at_once(
        &gw,
        vec![
            voice_args(&gw, VM_LINE, &wav, &[]),
            voice_args(&gw, VM_LINE_2, &wav, &[]),
        ],
    );
    assert_eq!(statuses(&runs), [200, 200], "{}", gw.log());
    gw.assert_alive("after the source limit");
}

#[test]
fn digest_user_tied_to_an_account_cannot_call_another_accounts_line() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["vm@acme.example"], "Acme");
    gw.account_add("beta", &["vm@beta.example"], "Beta");
    gw.line_add(VM_LINE, "acme", "voicemail", None);
    gw.line_add(VM_LINE_2, "beta", "voicemail", None);
    gw.set("FAXVOX_SIP_TRUSTED", "127.0.0.1/32");
    gw.set("FAXVOX_SIP_AUTH_USERS", "beta-pbx:pw-beta");
    gw.set("FAXVOX_SIP_AUTH_ACCOUNTS", "beta-pbx:beta");
    gw.start();
    let wav = gw.write("message.wav", &peers::wav(&peers::speech_like(5, 1.0)));
    let wav = wav.display().to_string();
    let creds = [
        "--bind",
        "127.0.0.2:0",
        "--user",
        "beta-pbx",
        "--password",
        "pw-beta",
    ];
    let call = |number: &str| {
        let args = voice_args(&gw, number, &wav, &creds);
        gw.call(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert_eq!(statuses(&[call(VM_LINE)]), [403], "{}", gw.log());
    assert_eq!(statuses(&[call(VM_LINE_2)]), [200], "{}", gw.log());
    gw.assert_alive("after the account check");
}
