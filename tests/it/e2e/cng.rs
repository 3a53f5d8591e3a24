//! End to end, fax tone on a voicemail line: a fax machine's calling tone (CNG) played into a
//! voicemail line by the built-in test caller (`faxvox call voice --wav`) switches the call to
//! fax reception. No fax data follows, so what is checked is what can be seen from outside:
//! the call's detail record says fax, and no voicemail email is sent.

use crate::support;

use std::time::Duration;

use support::gateway::{attachment, describe_mail, Gateway};
use support::peers;
use support::smtp::{SinkOptions, SmtpSink};

const VM_LINE: &str = "+33299002000";

#[test]
fn cng_on_a_voicemail_line_switches_the_call_to_fax() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["vm@acme.example"], "Cabinet Lefèvre");
    let greeting = faxvox_codecs::tones::tone(&[440.0], 800, -16.0, 10);
    let greeting = gw.write("greeting.wav", &peers::wav(&greeting));
    gw.line_add(VM_LINE, "acme", "voicemail", Some(&greeting));
    gw.start();

    // Three CNG bursts (real capture when ../shared is there, else generated).
    let (cng, origin) = peers::cng_audio(9.5);
    eprintln!("CNG from {origin}, {:.1} s", cng.len() as f32 / 8000.0);
    let wav = gw.write("cng.wav", &peers::wav(&cng));
    // A fax machine does not wait for the beep: CNG from the answer on.
    let run = gw.call(&[
        "voice",
        "--no-wait-beep",
        "--to",
        &gw.uri(VM_LINE),
        "--wav",
        &wav.display().to_string(),
    ]);
    run.assert_ok("CNG caller");

    let record = gw
        .wait_record(Duration::from_secs(15), |r| r.kind.is_some())
        .unwrap_or_else(|| panic!("no call record; records: {:?}", gw.call_records()));
    assert_eq!(
        record.kind.as_deref(),
        Some("fax"),
        "a call that played CNG into a voicemail line must be recorded as fax: {record:?}"
    );

    // Give delivery time to (wrongly) send a voicemail email; none may arrive.
    std::thread::sleep(Duration::from_secs(3));
    let voicemail = sink
        .messages()
        .into_iter()
        .filter(|m| attachment(m, "audio/").is_some())
        .count();
    assert_eq!(
        voicemail,
        0,
        "a voicemail email was sent for a fax call:\n{}",
        describe_mail(&sink)
    );
    let log = gw.log();
    let mentions: Vec<_> = log
        .lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("cng") || l.contains("fax tone") || l.contains("switch")
        })
        .collect();
    eprintln!("gateway log about the switch:\n{}", mentions.join("\n"));
    assert!(
        !mentions.is_empty(),
        "the gateway log says nothing about the fax tone (CNG) it heard"
    );
    gw.assert_alive("after the call");
}
