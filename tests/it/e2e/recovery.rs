//! End to end, crash recovery: `faxvox serve` is killed (SIGKILL) while a caller is speaking
//! into a voicemail line; when it starts again, the part of the message recorded before the
//! crash is emailed to the account. Nothing a caller left is lost to a crash.

use crate::support;

use std::time::Duration;

use support::gateway::{attachment, describe_mail, sent_to, wait_mail, Gateway};
use support::peers;
use support::smtp::{SinkOptions, SmtpSink};

const VM_LINE: &str = "+33299003000";

#[test]
fn a_message_interrupted_by_a_crash_is_delivered_after_restart() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["vm@acme.example"], "Acme");
    // A short greeting so the recording starts early.
    let greeting = gw.write("greeting.wav", &peers::wav(&peers::speech_like(11, 0.5)));
    gw.line_add(VM_LINE, "acme", "voicemail", Some(&greeting));
    gw.start();

    let played = peers::speech_like(12, 12.0);
    let wav = gw.write("message.wav", &peers::wav(&played));
    let uri = gw.uri(VM_LINE);
    let wav_arg = wav.display().to_string();
    let mut caller = gw
        .command(&[
            "call",
            "voice",
            "--to",
            &uri,
            "--wav",
            &wav_arg,
            "--timeout-secs",
            "20",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn faxvox call");
    // Greeting (0.5 s) and beep, then about 5 s of message, then the crash.
    std::thread::sleep(Duration::from_secs(7));
    // SIGKILL: no chance to finish the call or flush anything.
    gw.stop();
    let _ = caller.wait();
    assert!(
        wait_mail(&sink, Duration::from_secs(2), |_| true).is_none(),
        "an email arrived before the restart"
    );

    gw.start();
    let mail = wait_mail(&sink, Duration::from_secs(30), |m| {
        sent_to(m, "vm@acme.example") && attachment(m, "audio/").is_some()
    })
    .unwrap_or_else(|| {
        panic!(
            "no voicemail email after the restart; got:\n{}\nlog:\n{}",
            describe_mail(&sink),
            gw.log()
        )
    });
    let (_, _, audio) = attachment(&mail, "audio/").unwrap();
    let rec = peers::decode_audio(&audio);
    let secs = rec.len() as f32 / 8000.0;
    let (lag_ms, r) = peers::find_in(&played, &rec, 3000);
    eprintln!("recovered message: {secs:.2} s, lag {lag_ms} ms, r = {r:.3}");
    assert!(
        (3.0..=8.0).contains(&secs),
        "recovered message is {secs:.2} s; about 5 s were spoken before the crash"
    );
    assert!(
        r >= 0.8,
        "recovered audio does not match what was played (r = {r:.3})"
    );
    // Recovery commits the message (delivery may send it at once), then logs and writes the
    // record: both may follow the email.
    assert!(
        gw.wait_log("interrupted call recovered", Duration::from_secs(10)),
        "no recovery line in the log"
    );
    let recs = gw.wait_records(Duration::from_secs(10), |recs| {
        recs.iter().any(|r| r.kind.as_deref() == Some("voicemail"))
    });
    assert!(
        recs.iter().any(|r| r.kind.as_deref() == Some("voicemail")),
        "no voicemail call record: {recs:?}"
    );
}
