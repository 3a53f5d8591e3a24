//! A burst of committed voicemails through the delivery worker, many at once over one SMTP
//! relay (python3-aiosmtpd): every message arrives once, with its own audio.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use faxvox::config::Config;
use faxvox::delivery::Transport;
use faxvox::directory::{Directory, LineKind, NewAccount, NewLine};
use faxvox::jobs::{JobFacts, VOICEMAIL_WAV};
use faxvox::worker::{self, Worker};
use faxvox_codecs::greeting::decode_greeting;
use faxvox_codecs::recording::wav_bytes;
use faxvox_spool::{format_rfc3339, JobKind, Media, Spool};
use mail_parser::{MessageParser, MimeHeaders};

use crate::support::smtp::{SinkOptions, SmtpSink};

const MESSAGES: usize = 24;

/// Message `i`: 2 s of a tone of its own (300 Hz + 100 Hz × i), so each email's audio can be
/// told apart.
fn tone_hz(i: usize) -> f64 {
    300.0 + 100.0 * i as f64
}

fn tone(hz: f64, rate: f64, secs: f64) -> Vec<i16> {
    (0..(rate * secs) as usize)
        .map(|n| (9000.0 * (2.0 * std::f64::consts::PI * hz * n as f64 / rate).sin()) as i16)
        .collect()
}

/// Normalised correlation of `got` with a tone of `hz` (best phase), over its middle second.
fn tone_match(got: &[i16], hz: f64) -> f64 {
    let mid = &got[got.len() / 2 - 4000..got.len() / 2 + 4000];
    let (mut s, mut c, mut e) = (0f64, 0f64, 0f64);
    for (n, &x) in mid.iter().enumerate() {
        let x = f64::from(x);
        let w = 2.0 * std::f64::consts::PI * hz * n as f64 / 8000.0;
        s += x * w.sin();
        c += x * w.cos();
        e += x * x;
    }
    ((s * s + c * c) / (e * mid.len() as f64 / 2.0)).sqrt()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_committed_voicemails_all_arrive_with_their_own_audio() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let tmp = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.spool.dir = tmp.path().join("spool");
    config.database.url = format!("sqlite://{}", tmp.path().join("faxvox.db").display());
    config.smtp.url = format!("smtp://127.0.0.1:{}?tls=none", sink.port);
    config.smtp.from = "Voicemail <vm@gw.example>".into();
    config.delivery.concurrency = 8;

    let directory = Directory::open(&config.database.url).await.unwrap();
    directory
        .add_account(&NewAccount::new("acme", vec!["alice@example.com".into()]))
        .await
        .unwrap();
    directory
        .add_line(&NewLine {
            number: "+33299001122".into(),
            account: "acme".into(),
            kind: LineKind::Voicemail,
            target: None,
        })
        .await
        .unwrap();
    let (spool, _) = Spool::open(
        &config.spool.dir,
        worker::spool_options(&config.spool),
        SystemTime::now(),
    )
    .unwrap();
    let mut tones = BTreeMap::new();
    let mut committed = Vec::new();
    for i in 0..MESSAGES {
        let facts = JobFacts {
            account: Some("acme".into()),
            caller_number: format!("+3325343{i:04}"),
            called_number: "+33299001122".into(),
            start: Some(format_rfc3339(SystemTime::now())),
            duration_ms: 2000,
            ..JobFacts::default()
        };
        let wav = wav_bytes(&tone(tone_hz(i), 8000.0, 2.0));
        let id = spool
            .enqueue(
                SystemTime::now(),
                JobKind::Voicemail,
                facts.to_map(),
                &[(VOICEMAIL_WAV, Media::Bytes(&wav))],
            )
            .unwrap();
        tones.insert(id.to_string(), i);
        committed.push(id.to_string());
    }

    let transport = Transport::from_config(&config.smtp, &config.delivery).unwrap();
    let worker = Worker::new(spool.clone(), directory.clone(), transport, &config).unwrap();
    assert_eq!(worker.concurrency(), 8);
    let report = worker.deliver_due().await;
    assert_eq!(report.delivered(), MESSAGES, "{report}");
    // Reported in the order claimed: oldest first.
    let order: Vec<&String> = report.jobs.iter().map(|j| &j.job).collect();
    assert_eq!(order, committed.iter().collect::<Vec<_>>());

    let got = sink.wait_for(MESSAGES);
    assert_eq!(got.len(), MESSAGES, "each message once");
    let mut seen = BTreeMap::new();
    for r in &got {
        let job = r.python_header("X-Faxvox-Job").expect("X-Faxvox-Job");
        let i = tones[&job];
        let parsed = MessageParser::default().parse(&r.raw).unwrap();
        let att = parsed.attachment(0).expect("the recording is attached");
        assert!(att.attachment_name().unwrap().ends_with(".mp3"));
        let audio = decode_greeting(att.contents()).expect("the MP3 decodes");
        let ms = audio.len() as f64 / 8.0;
        assert!((ms - 2000.0).abs() <= 30.0, "{job}: {ms} ms of audio");
        let own = tone_match(&audio, tone_hz(i));
        let other = tone_match(&audio, tone_hz((i + 1) % MESSAGES));
        assert!(
            own > 0.9 && other < 0.2,
            "{job}: its own tone {own:.3}, another's {other:.3}"
        );
        assert!(seen.insert(job, ()).is_none(), "delivered twice");
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    directory.close().await;
}
