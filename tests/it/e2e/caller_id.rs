//! End to end, the caller's identity as a real `faxvox serve` reads it off the wire and shows
//! it: a From whose user part is percent-encoded (`sip:+44%2023%209200%200148@…`, what a UA
//! sends for a number written with spaces) reaches the email as `+44 23 9200 0148` and the
//! call record as `+442392000148`, with no `%` anywhere; the test caller (`faxvox call`)
//! given `--from "+33 6 12 34 56 78"` sends E.164, so its email reads
//! `Zoé Lefèvre (+33 6 12 34 56 78)`.

use crate::support;

use std::time::Duration;

use support::gateway::{describe_mail, sent_to, wait_mail, Gateway};
use support::peers;
use support::sip_raw::SipClient;
use support::smtp::{Received, SinkOptions, SmtpSink};

const VM_LINE: &str = "+33299005000";

fn gateway(sink: &SmtpSink) -> Gateway {
    let mut gw = Gateway::new(sink);
    gw.account_add("acme", &["vm@acme.example"], "Acme");
    let greeting = gw.write("greeting.wav", &peers::wav(&peers::speech_like(21, 0.4)));
    gw.line_add(VM_LINE, "acme", "voicemail", Some(&greeting));
    gw.start();
    gw
}

/// The subject and the text body, decoded.
fn subject_and_text(mail: &Received) -> (String, String) {
    let parsed = mail_parser::MessageParser::default()
        .parse(&mail.raw)
        .expect("the email parses");
    let subject = parsed.subject().unwrap_or_default().to_string();
    let text = parsed
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    (subject, text)
}

#[test]
fn a_percent_encoded_caller_number_is_shown_decoded_and_formatted() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let gw = gateway(&sink);
    // Answered, then hung up at once: a missed-call email naming the caller.
    let client = SipClient::new();
    let resp = client
        .invite_final(
            gw.sip_addr(),
            VM_LINE,
            "+44%2023%209200%200148",
            Duration::from_secs(10),
        )
        .expect("an answer to the INVITE");
    assert_eq!(resp.status, 200, "{:?}", resp.status);
    let mail = wait_mail(&sink, Duration::from_secs(30), |m| {
        sent_to(m, "vm@acme.example")
    })
    .unwrap_or_else(|| panic!("no email for the call: {}", describe_mail(&sink)));
    let (subject, text) = subject_and_text(&mail);
    eprintln!("subject: {subject}");
    assert!(subject.contains("+44 23 9200 0148"), "subject: {subject}");
    assert!(!subject.contains('%'), "subject: {subject}");
    assert!(text.contains("+44 23 9200 0148"), "body: {text}");
    assert!(!text.contains("%20"), "body: {text}");
    let record = gw
        .wait_record(Duration::from_secs(10), |r| r.caller.is_some())
        .expect("a call record");
    assert_eq!(
        record.caller.as_deref(),
        Some("+442392000148"),
        "{record:?}"
    );
}

#[test]
fn the_test_caller_sends_e164_and_its_name() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let gw = gateway(&sink);
    let mut played = peers::silence(1200);
    played.extend(peers::speech_like(24, 0.3));
    let wav = gw.write("short.wav", &peers::wav(&played));
    let run = gw.call(&[
        "voice",
        "--no-wait-beep",
        "--to",
        &gw.uri(VM_LINE),
        "--from",
        "+33 6 12 34 56 78",
        "--from-name",
        "Zoé Lefèvre",
        "--wav",
        &wav.display().to_string(),
        "--tail-ms",
        "0",
    ]);
    run.assert_ok("short call");
    let mail = wait_mail(&sink, Duration::from_secs(30), |m| {
        sent_to(m, "vm@acme.example")
    })
    .unwrap_or_else(|| panic!("no email for the call: {}", describe_mail(&sink)));
    let (subject, text) = subject_and_text(&mail);
    eprintln!("subject: {subject}");
    assert!(
        subject.contains("Zoé Lefèvre (+33 6 12 34 56 78)"),
        "subject: {subject}"
    );
    assert!(
        !subject.contains('%') && !text.contains("%20"),
        "{subject}\n{text}"
    );
    let record = gw
        .wait_record(Duration::from_secs(10), |r| r.caller.is_some())
        .expect("a call record");
    assert_eq!(record.caller.as_deref(), Some("+33612345678"), "{record:?}");
}
