//! End to end, tried as an attacker would (the "RTP bleed" class, cf. Asterisk AST-2017-005):
//! a caller leaves a voicemail with `faxvox call voice` while an intruder on another loopback
//! host (127.0.0.2) scans the gateway's RTP range with loud, well-formed RTP in sequence. The
//! intruder must get no packet back, must not be heard in the emailed message, and the
//! caller's message must arrive as a voicemail; the gateway counts the intruder's packets
//! (`rtp_foreign`) in its log, in the job's facts and in the call record.

use crate::support;

use std::net::{SocketAddr, UdpSocket};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use faxvox::media::rtp::write_packet;
use faxvox_codecs::g711::Law;
use support::gateway::{attachment, describe_mail, sent_to, wait_mail, Gateway};
use support::peers::{self, decode_audio, find_in};
use support::smtp::{SinkOptions, SmtpSink};

const VM_LINE: &str = "+33299007000";

/// The intruder: every even port of `ports` on 127.0.0.1 gets a full-scale 2 kHz tone as PCMU
/// and as PCMA RTP (each its own stream, consecutive sequence numbers, 20 ms apart) until
/// `stop`. Returns (RTP packets sent, datagrams received back).
fn intrude(ports: (u16, u16), stop: Arc<AtomicBool>) -> (u64, u64) {
    let sock = UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2 (loopback /8)");
    sock.set_nonblocking(true).unwrap();
    let targets: Vec<SocketAddr> = (ports.0..=ports.1)
        .filter(|p| p % 2 == 0)
        .map(|p| SocketAddr::from(([127, 0, 0, 1], p)))
        .collect();
    let (mut sent, mut received) = (0u64, 0u64);
    let mut buf = [0u8; 2048];
    let start = Instant::now();
    let mut i: u32 = 0;
    while !stop.load(Ordering::Relaxed) {
        let frame: Vec<i16> = (0..160)
            .map(|k| {
                let t = f64::from(i * 160 + k) / 8000.0;
                ((2.0 * std::f64::consts::PI * 2000.0 * t).sin() * 32000.0) as i16
            })
            .collect();
        for (law, seq0, ssrc) in [
            (Law::Ulaw, 1000u16, 0xbad0_0000u32),
            (Law::Alaw, 30000, 0xbad0_0008),
        ] {
            let mut payload = Vec::new();
            law.encode(&frame, &mut payload);
            let d = write_packet(
                i == 0,
                law.payload_type(),
                seq0.wrapping_add(i as u16),
                i * 160,
                ssrc,
                &payload,
            );
            for t in &targets {
                if sock.send_to(&d, t).is_ok() {
                    sent += 1;
                }
            }
        }
        while sock.recv_from(&mut buf).is_ok() {
            received += 1;
        }
        i += 1;
        let due = start + Duration::from_millis(20) * i;
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
    std::thread::sleep(Duration::from_millis(200));
    while sock.recv_from(&mut buf).is_ok() {
        received += 1;
    }
    (sent, received)
}

/// The number after `key=` in the last log line containing `line_has`.
fn logged_count(log: &str, line_has: &str, key: &str) -> Option<u64> {
    let line = log.lines().rev().find(|l| l.contains(line_has))?;
    let rest = &line[line.find(&format!("{key}="))? + key.len() + 1..];
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

#[test]
fn an_intruder_on_another_host_neither_hears_nor_spoils_a_voicemail() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["vm@acme.example"], "Cabinet Lefèvre");
    let greeting = faxvox_codecs::tones::tone(&[440.0], 800, -16.0, 10);
    let greeting = gw.write("greeting.wav", &peers::wav(&greeting));
    gw.line_add(VM_LINE, "acme", "voicemail", Some(&greeting));
    gw.start();

    // The caller: silence through the greeting and beep, then 8 s of speech.
    let mut played = peers::silence(2500);
    played.extend(peers::speech_like(31, 8.0));
    played.extend(peers::silence(300));
    let wav = gw.write("message.wav", &peers::wav(&played));
    let caller = gw
        .command(&[
            "call",
            "voice",
            // The silence before the speech stands for the greeting and beep.
            "--no-wait-beep",
            "--timeout-secs",
            "45",
            "--to",
            &gw.uri(VM_LINE),
            "--wav",
            &wav.display().to_string(),
        ])
        .env("FAXVOX_SIP_LISTEN", "127.0.0.1:0")
        .env("FAXVOX_SIP_MEDIA_IP", "127.0.0.1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        gw.wait_log("media applied", Duration::from_secs(10)),
        "the call did not start:\n{}",
        gw.log()
    );
    // The caller's media flows; now the intruder, for 6 s of the message.
    std::thread::sleep(Duration::from_millis(1500));
    let stop = Arc::new(AtomicBool::new(false));
    let intruder = {
        let (ports, stop) = (gw.rtp, stop.clone());
        std::thread::spawn(move || intrude(ports, stop))
    };
    std::thread::sleep(Duration::from_secs(6));
    stop.store(true, Ordering::Relaxed);
    let (sent, received) = intruder.join().unwrap();
    let out = caller.wait_with_output().unwrap();
    eprintln!(
        "intruder: {sent} RTP packets sent to {:?}, {received} datagrams back",
        gw.rtp
    );
    assert!(
        out.status.success(),
        "the caller failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(received, 0, "the intruder got the call's audio");

    let mail = wait_mail(&sink, Duration::from_secs(30), |m| {
        sent_to(m, "vm@acme.example")
    })
    .unwrap_or_else(|| panic!("no email for vm@acme.example:\n{}", describe_mail(&sink)));
    let (name, content_type, mp3) = attachment(&mail, "audio/").unwrap_or_else(|| {
        panic!(
            "the email is not a voicemail (missed call?):\n{}",
            describe_mail(&sink)
        )
    });
    eprintln!("email: {}", describe_mail(&sink));
    assert_eq!(content_type, "audio/mpeg", "{name}");
    let rec = decode_audio(&mp3);
    let (lag_ms, r) = find_in(&played, &rec, 5000);
    let rec_s = rec.len() as f32 / 8000.0;
    let expected_s = played.len() as f32 / 8000.0 - lag_ms as f32 / 1000.0;
    let tone = faxvox_codecs::tones::tone_level_dbfs(&rec, 2000.0, 8000);
    let tone_played = faxvox_codecs::tones::tone_level_dbfs(&played, 2000.0, 8000);
    eprintln!(
        "emailed message {name}: {rec_s:.2} s (expected {expected_s:.2} s), starts {lag_ms} ms \
         into the played audio, envelope r = {r:.3}; 2 kHz at {tone:.1} dBFS (the caller's \
         audio has {tone_played:.1} dBFS there, the intruder's tone is at -0.2)"
    );
    assert!(
        r >= 0.8,
        "the message is not the caller's audio: r = {r:.3}"
    );
    assert!(
        (rec_s - expected_s).abs() <= 1.0,
        "message {rec_s:.2} s, expected {expected_s:.2} s"
    );
    assert!(
        tone < -40.0,
        "the intruder's tone is in the message: {tone:.1} dBFS at 2 kHz"
    );

    // The gateway counted the intruder's packets, in its log and in the job's facts.
    let log = gw.log();
    let foreign = logged_count(&log, "call ended", "rtp_foreign");
    eprintln!("gateway log: call ended with rtp_foreign = {foreign:?}");
    assert!(
        foreign.is_some_and(|n| n > 0),
        "no rtp_foreign count in the gateway log:\n{log}"
    );
    assert!(
        log.contains("RTP from an address that is not the call's peer"),
        "the first foreign packet is not logged"
    );
    let job = log
        .lines()
        .find(|l| l.contains("message committed to the spool"))
        .and_then(|l| l.split("job=").nth(1))
        .map(|j| j.split_whitespace().next().unwrap_or("").to_string())
        .expect("committed job in the log");
    let shown: serde_json::Value =
        serde_json::from_str(&gw.ok(&["spool", "show", &job, "--json"])).unwrap();
    let facts = &shown["manifest"]["facts"];
    eprintln!(
        "job {job}: rtp_foreign = {}, udptl_foreign = {}",
        facts["rtp_foreign"], facts["udptl_foreign"]
    );
    assert_eq!(facts["rtp_foreign"].as_u64(), foreign, "{facts}");
    assert_eq!(facts["udptl_foreign"].as_u64(), Some(0), "{facts}");
    // And in the call detail record.
    let record = gw
        .wait_record(Duration::from_secs(5), |r| {
            r.kind.as_deref() == Some("voicemail")
        })
        .expect("voicemail call record");
    let db = gw.path().join("faxvox.db");
    let stored = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            use sqlx::Row;
            let opts = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&db)
                .read_only(true);
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(opts)
                .await
                .unwrap();
            let row = sqlx::query(
                "SELECT rtp_foreign, udptl_foreign FROM call_records WHERE call_id = ?",
            )
            .bind(record.call_id.clone().unwrap_or_default())
            .fetch_one(&pool)
            .await
            .unwrap();
            let got: (i64, i64) = (row.get(0), row.get(1));
            pool.close().await;
            got
        });
    eprintln!("call record: rtp_foreign, udptl_foreign = {stored:?}");
    assert_eq!(Some(stored.0 as u64), foreign);
    assert_eq!(stored.1, 0);
    gw.assert_alive("after the call");
}
