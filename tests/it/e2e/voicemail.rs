//! End to end, voicemail: third-party callers (baresip, SIPp) call `faxvox serve` on
//! 127.0.0.1 and the message arrives at a real SMTP server (aiosmtpd) as an MP3 whose audio
//! is the audio that was played (envelope cross-correlation) and whose length is right.

use crate::support;

use std::time::Duration;

use support::gateway::{attachment, describe_mail, sent_to, wait_mail, Gateway};
use support::peers::{self, baresip_call, decode_audio, find_in, require, sipp_call};
use support::smtp::{SinkOptions, SmtpSink};

const VM_LINE: &str = "+33299002000";
const VM_ALIAS: &str = "+33299002001";
const OTHER_VM_LINE: &str = "+33299003000";

/// Lowest envelope correlation accepted between played and emailed audio (G.711 then MP3).
const MIN_CORRELATION: f32 = 0.8;

/// A short greeting (0.8 s, 440 Hz), so the recording starts soon after the answer.
fn short_greeting(gw: &Gateway) -> std::path::PathBuf {
    let tone = faxvox_codecs::tones::tone(&[440.0], 800, -16.0, 10);
    gw.write("greeting.wav", &peers::wav(&tone))
}

/// What the caller plays: 2.5 s of silence (covers greeting + beep), `speech_secs` of speech,
/// 0.3 s of silence.
fn message(seed: u64, speech_secs: f32) -> Vec<i16> {
    let mut s = peers::silence(2500);
    s.extend(peers::speech_like(seed, speech_secs));
    s.extend(peers::silence(300));
    s
}

/// Checks the emailed recording against what was played: correlation, where it starts
/// (after greeting and beep) and its length (± 1 s of the played audio after that point).
fn assert_recording_matches(played: &[i16], mp3: &[u8], what: &str) {
    let rec = decode_audio(mp3);
    let (lag_ms, r) = find_in(played, &rec, 5000);
    let rec_s = rec.len() as f32 / 8000.0;
    let expected_s = (played.len() as f32 / 8000.0) - lag_ms as f32 / 1000.0;
    eprintln!(
        "{what}: recording {rec_s:.2} s, starts {lag_ms} ms into the played audio, \
         envelope r = {r:.3}, expected length {expected_s:.2} s"
    );
    assert!(
        r >= MIN_CORRELATION,
        "{what}: recorded audio does not match the played audio (r = {r:.3})"
    );
    assert!(
        (500..=4500).contains(&lag_ms),
        "{what}: recording starts {lag_ms} ms into the call: expected after the greeting and beep"
    );
    assert!(
        (rec_s - expected_s).abs() <= 1.0,
        "{what}: recording is {rec_s:.2} s, expected {expected_s:.2} s ± 1 s"
    );
}

#[test]
fn baresip_voicemail_email_carries_the_spoken_message() {
    let Some(baresip) = require("baresip", "baresip-core") else {
        return;
    };
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["vm@acme.example"], "Cabinet Lefèvre");
    let greeting = short_greeting(&gw);
    gw.line_add(VM_LINE, "acme", "voicemail", Some(&greeting));
    gw.start();

    let played = message(7, 6.0);
    let wav = gw.write("message.wav", &peers::wav(&played));
    let secs = played.len() as u32 / 8000 + 5;
    let run = baresip_call(
        &baresip,
        &gw.uri(VM_LINE),
        &wav,
        "PCMU/8000/1,PCMA/8000/1",
        secs,
    );
    assert!(
        run.established(),
        "baresip could not establish the call:\n{}",
        run.log
    );

    let mail = wait_mail(&sink, Duration::from_secs(30), |m| {
        sent_to(m, "vm@acme.example") && attachment(m, "audio/").is_some()
    })
    .unwrap_or_else(|| {
        panic!(
            "no voicemail email for vm@acme.example; got:\n{}\nbaresip:\n{}",
            describe_mail(&sink),
            run.log
        )
    });
    let (name, content_type, bytes) = attachment(&mail, "audio/").unwrap();
    assert_eq!(content_type, "audio/mpeg", "{name}");
    assert!(name.ends_with(".mp3"), "{name}");
    assert_recording_matches(&played, &bytes, "baresip → voicemail");

    let record = gw.wait_record(Duration::from_secs(5), |r| {
        r.kind.as_deref() == Some("voicemail")
    });
    assert!(
        record.is_some(),
        "no voicemail call record: {:?}",
        gw.call_records()
    );
    gw.assert_alive("after the call");
}

#[test]
fn sipp_call_to_an_alias_reaches_the_target_lines_account() {
    let Some(sipp) = require("sipp", "sip-tester") else {
        return;
    };
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["vm@acme.example"], "Cabinet Lefèvre");
    gw.account_add("other", &["other@other.example"], "Someone Else");
    let greeting = short_greeting(&gw);
    gw.line_add(VM_LINE, "acme", "voicemail", Some(&greeting));
    gw.alias_add(VM_ALIAS, "acme", VM_LINE);
    gw.line_add(OTHER_VM_LINE, "other", "voicemail", Some(&greeting));
    gw.start();

    // SIPp plays PCMA RTP from a pcap generated here, so the audio is known.
    let played = message(11, 4.0);
    let pcap = gw.path().join("speech_pcma.pcap");
    peers::write_pcma_rtp_pcap(&pcap, &played);
    let call_ms = played.len() as u64 / 8 + 300;
    let run = sipp_call(
        &sipp,
        "uac_pcma_pcap.xml",
        &[("@PCAP@", pcap.display().to_string())],
        gw.sip_addr(),
        VM_ALIAS,
        Duration::from_millis(call_ms),
    );
    assert!(run.success(), "SIPp call failed:\n{}", run.describe());

    let mail = wait_mail(&sink, Duration::from_secs(30), |m| {
        attachment(m, "audio/").is_some()
    })
    .unwrap_or_else(|| panic!("no voicemail email; got:\n{}", describe_mail(&sink)));
    assert!(
        sent_to(&mail, "vm@acme.example"),
        "the alias's voicemail went to {:?}, not to the target line's account",
        mail.rcpt_tos()
    );
    let (_, content_type, bytes) = attachment(&mail, "audio/").unwrap();
    assert_eq!(content_type, "audio/mpeg");
    assert_recording_matches(&played, &bytes, "SIPp PCMA → alias → voicemail");
    std::thread::sleep(Duration::from_secs(1));
    let others: Vec<_> = sink
        .messages()
        .into_iter()
        .filter(|m| sent_to(m, "other@other.example"))
        .collect();
    assert!(
        others.is_empty(),
        "the other account got mail:\n{}",
        describe_mail(&sink)
    );
    gw.assert_alive("after the call");
}
