//! End to end, the gateway's limits and short calls, against `faxvox serve` on 127.0.0.1 with a
//! real SMTP server: `sip.max_calls` answers 503 while the gateway is full and 200 once a
//! slot is free; `sip.max_call_secs` ends a call that runs too long, and the message recorded
//! until then is delivered; a caller who hangs up before saying anything leaves a missed-call
//! email, not an empty recording.

use crate::support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use support::gateway::{attachment, describe_mail, sent_to, wait_mail, Gateway};
use support::peers;
use support::sip_raw::SipClient;
use support::smtp::{SinkOptions, SmtpSink};

const VM_LINE: &str = "+33299005000";

fn gateway(sink: &SmtpSink, env: &[(&str, &str)]) -> Gateway {
    let mut gw = Gateway::new(sink);
    gw.account_add("acme", &["vm@acme.example"], "Acme");
    let greeting = gw.write("greeting.wav", &peers::wav(&peers::speech_like(21, 0.4)));
    gw.line_add(VM_LINE, "acme", "voicemail", Some(&greeting));
    for (k, v) in env {
        gw.set(k, v);
    }
    gw.start();
    gw
}

#[test]
fn max_calls_answers_503_while_full_and_200_after() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = gateway(&sink, &[("FAXVOX_SIP_MAX_CALLS", "1")]);
    let wav = gw.write("long.wav", &peers::wav(&peers::speech_like(22, 6.0)));
    let mut first = gw
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
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the first call holds the only slot (a call record is written at its end, so
    // look at the gateway log instead).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !gw.log().contains("answered") {
        assert!(
            Instant::now() < deadline,
            "first call not answered:\n{}",
            gw.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let client = SipClient::new();
    let busy = client
        .invite_final(
            gw.sip_addr(),
            VM_LINE,
            "+15550002222",
            Duration::from_secs(8),
        )
        .expect("no final response while full");
    assert_eq!(busy.status, 503, "{}", busy.raw);
    assert!(first.wait().unwrap().success(), "the first call failed");
    // The slot is free again once the first call ended.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = client
            .invite_final(
                gw.sip_addr(),
                VM_LINE,
                "+15550002222",
                Duration::from_secs(8),
            )
            .expect("no final response after the first call");
        if r.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {} after the first call ended",
            r.status
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    gw.assert_alive("after the limit");
}

#[test]
fn max_call_secs_ends_a_long_call_and_its_message_is_delivered() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let gw = gateway(&sink, &[("FAXVOX_SIP_MAX_CALL_SECS", "4")]);
    let played = peers::speech_like(23, 10.0);
    let wav = gw.write("long.wav", &peers::wav(&played));
    let started = Instant::now();
    let run = gw.call(&[
        "voice",
        "--to",
        &gw.uri(VM_LINE),
        "--wav",
        &wav.display().to_string(),
    ]);
    let took = started.elapsed();
    let results = run.results();
    let r = results.first().expect("a result line");
    assert_eq!(
        r["reason"].as_str(),
        Some("remote hang-up"),
        "the gateway must hang up: {r}"
    );
    assert!(
        took < Duration::from_secs(8),
        "the call lasted {took:?}; the limit is 4 s"
    );
    let mail = wait_mail(&sink, Duration::from_secs(30), |m| {
        sent_to(m, "vm@acme.example") && attachment(m, "audio/").is_some()
    })
    .unwrap_or_else(|| panic!("no voicemail email: {}", describe_mail(&sink)));
    let (_, _, audio) = attachment(&mail, "audio/").unwrap();
    let rec = peers::decode_audio(&audio);
    let secs = rec.len() as f32 / 8000.0;
    let (_, corr) = peers::find_in(&played, &rec, 3000);
    eprintln!("message cut by max_call_secs: {secs:.2} s, r = {corr:.3}");
    assert!(
        (1.5..=4.0).contains(&secs),
        "recording of {secs:.2} s in a 4 s call"
    );
    assert!(corr >= 0.8, "recorded audio does not match (r = {corr:.3})");
}

#[test]
fn a_caller_who_says_nothing_leaves_a_missed_call_email() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let gw = gateway(&sink, &[]);
    // 0.3 s of speech right after the beep, then hang up: under the 1 s minimum.
    let mut played = peers::silence(1200);
    played.extend(peers::speech_like(24, 0.3));
    let wav = gw.write("short.wav", &peers::wav(&played));
    let run = gw.call(&[
        "voice",
        "--no-wait-beep",
        "--to",
        &gw.uri(VM_LINE),
        "--from",
        "+33612345678",
        "--wav",
        &wav.display().to_string(),
        "--tail-ms",
        "0",
    ]);
    run.assert_ok("short call");
    let mail = wait_mail(&sink, Duration::from_secs(30), |m| {
        sent_to(m, "vm@acme.example")
    })
    .unwrap_or_else(|| panic!("no email for the missed call: {}", describe_mail(&sink)));
    assert!(
        attachment(&mail, "audio/").is_none(),
        "a missed call must not carry a recording"
    );
    let text = String::from_utf8_lossy(&mail.raw).to_string();
    assert!(
        text.contains("06 12 34 56 78")
            || text.contains("+33612345678")
            || text.contains("+33 6 12 34 56 78"),
        "the missed-call email does not name the caller:\n{text}"
    );
    // The record is written after the commit that wakes delivery: it may follow the email.
    let recs = gw.wait_records(Duration::from_secs(10), |recs| {
        recs.iter().any(|r| r.kind.as_deref() == Some("missed"))
    });
    assert!(
        recs.iter().any(|r| r.kind.as_deref() == Some("missed")),
        "no missed call record: {recs:?}"
    );
}

/// A caller that asks for privacy (`Privacy: id`, RFC 3323) is withheld even though From
/// carries its number and name: the email and the call record name neither, the message
/// itself is delivered.
#[test]
fn a_caller_asking_for_privacy_is_withheld() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let gw = gateway(&sink, &[]);
    let mut played = peers::silence(1200);
    played.extend(peers::speech_like(25, 2.0));
    let wav = gw.write("private.wav", &peers::wav(&played));
    let run = gw.call(&[
        "voice",
        "--to",
        &gw.uri(VM_LINE),
        "--from",
        "+33612345678",
        "--from-name",
        "Zoé Secret",
        "--header",
        "Privacy: id",
        "--wav",
        &wav.display().to_string(),
    ]);
    run.assert_ok("private call");
    let mail = wait_mail(&sink, Duration::from_secs(30), |m| {
        sent_to(m, "vm@acme.example")
    })
    .unwrap_or_else(|| panic!("no voicemail email: {}", describe_mail(&sink)));
    assert!(
        attachment(&mail, "audio/").is_some(),
        "the message is delivered"
    );
    let text = String::from_utf8_lossy(&mail.raw).to_string();
    for leak in ["12 34 56 78", "612345678", "Secret", "Zo=C3=A9", "Zoé"] {
        assert!(
            !text.contains(leak),
            "{leak:?} leaked into the email:\n{text}"
        );
    }
    // The record is written after the commit that wakes delivery: it may follow the email.
    let recs = gw.wait_records(Duration::from_secs(10), |recs| !recs.is_empty());
    assert_eq!(recs.len(), 1, "{recs:?}");
    let caller = recs[0].caller.clone().unwrap_or_default();
    assert!(
        caller.is_empty() || caller == "anonymous",
        "caller on record: {caller:?}"
    );
}

/// SIGTERM drains: new calls get 503 at once, the call in progress goes on to its normal end
/// (its BYE is answered), its message is delivered, and then `serve` exits cleanly.
#[test]
fn sigterm_lets_the_call_in_progress_end_and_refuses_new_ones() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = gateway(&sink, &[]);
    let mut played = peers::silence(1200);
    played.extend(peers::speech_like(26, 5.0));
    let wav = gw.write("long.wav", &peers::wav(&played));
    let first = gw
        .command(&[
            "call",
            "voice",
            "--to",
            &gw.uri(VM_LINE),
            "--from",
            "+33612345670",
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
    std::thread::sleep(Duration::from_secs(1));
    gw.signal("TERM");
    assert!(
        gw.wait_log("SIGTERM", Duration::from_secs(5)),
        "{}",
        gw.log()
    );
    let refused = SipClient::new()
        .invite_final(
            gw.sip_addr(),
            VM_LINE,
            "+15550003333",
            Duration::from_secs(8),
        )
        .expect("no final response while draining");
    assert_eq!(refused.status, 503, "{}", refused.raw);
    let out = first.wait_with_output().unwrap();
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
    // Delivered before the exit, or kept in the spool for the next start: never lost.
    let mailed = wait_mail(&sink, Duration::from_secs(5), |m| {
        sent_to(m, "vm@acme.example") && attachment(m, "audio/").is_some()
    });
    let queued = std::fs::read_dir(gw.path().join("spool"))
        .unwrap()
        .flatten()
        .any(|e| e.path().join("voicemail.wav").exists());
    assert!(
        mailed.is_some() || queued,
        "the message is gone:\n{}",
        gw.log()
    );
    if let Some(mail) = mailed {
        let (_, _, audio) = attachment(&mail, "audio/").unwrap();
        let (_, r) = peers::find_in(&played, &peers::decode_audio(&audio), 9000);
        assert!(r >= 0.8, "recorded audio does not match (r = {r:.3})");
    }
}
