//! Email delivery against a real SMTP server (python3-aiosmtpd on 127.0.0.1): what arrives
//! parses cleanly in two independent parsers, attachments are byte-identical, TLS and AUTH
//! work, and each failure mode maps to the right [`SendOutcome`].

use crate::support;

use std::path::Path;
use std::time::Duration;

use faxvox::delivery::{Composer, Locale, SendOutcome, Templates, Transport};
use mail_parser::{MessageParser, MimeHeaders};
use support::delivery::{fax_message, pdf_bytes, voicemail_message, wav_bytes, JOB};
use support::smtp::{SinkOptions, SmtpSink, TestPki};

/// Byte equality without dumping megabytes on failure.
fn assert_same(got: &[u8], want: &[u8], what: &str) {
    if got != want {
        let at = got
            .iter()
            .zip(want)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(want.len()));
        let ctx = |b: &[u8]| {
            String::from_utf8_lossy(&b[at.saturating_sub(40)..(at + 40).min(b.len())]).into_owned()
        };
        panic!(
            "{what}: {} bytes vs {} expected, first difference at {at}: {:?} vs {:?}",
            got.len(),
            want.len(),
            ctx(got),
            ctx(want)
        );
    }
}

const FROM: &str = "Passerelle Fax <fax@gw.example>";

fn composer() -> Composer {
    Composer::new(FROM, Templates::builtin(), 10_000_000).unwrap()
}

fn transport(url: &str, ca: Option<&str>) -> Transport {
    Transport::new(
        url,
        Duration::from_secs(10),
        ca.map(str::as_bytes),
        Path::new("unused"),
    )
    .unwrap()
}

fn tls_sink(pki: &TestPki, auth: Option<&str>) -> SmtpSink {
    SmtpSink::start(&SinkOptions {
        tls: Some((pki.cert_path.clone(), pki.key_path.clone())),
        require_starttls: true,
        auth: auth.map(str::to_string),
        ..Default::default()
    })
}

#[tokio::test]
async fn fax_with_pdf_arrives_intact_and_parses_cleanly() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let t = transport(&format!("smtp://127.0.0.1:{}?tls=none", sink.port), None);
    let mut msg = fax_message(&["alice@example.com", "bob@example.com"], Locale::Fr, 3);
    msg.caller_name = Some("Zoé\r\nBcc: evil@x".into());
    let mail = composer().compose(&msg).unwrap();

    let outcome = t.send_composed(JOB, &mail).await;
    let SendOutcome::Delivered { reply, rejected } = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(reply.starts_with("250"), "{reply}");
    assert!(rejected.is_empty());

    let got = sink.wait_for(1);
    assert_eq!(got.len(), 1);
    let r = &got[0];
    // The server received exactly the composed bytes, for exactly the account's addresses.
    assert_same(&r.raw, &mail.bytes, "received message");
    assert_eq!(r.meta["mail_from"], "fax@gw.example");
    assert_eq!(r.rcpt_tos(), ["alice@example.com", "bob@example.com"]);

    // Python's email package, policy.default: no defects, headers decoded.
    assert!(r.python_defects().is_empty(), "{:?}", r.python_defects());
    let subject = "Fax de Zoé Bcc: evil@x (+33 2 53 43 75 55) – 3 pages";
    assert_eq!(r.python_header("Subject").unwrap(), subject);
    assert_eq!(r.python_header("X-Faxvox-Job").unwrap(), JOB);
    assert_eq!(r.python_header("From").unwrap(), FROM);
    assert_eq!(
        r.python_header("To").unwrap(),
        "Cabinet Lefèvre & Associés <alice@example.com>, Cabinet Lefèvre & Associés <bob@example.com>"
    );
    assert!(r.python_header("Bcc").is_none());
    let atts = r.python_attachments();
    assert_eq!(atts.len(), 1);
    assert_eq!(atts[0].0, "fax-20261127-0815.pdf");
    assert_eq!(atts[0].1, "application/pdf");
    assert_same(&atts[0].2, &pdf_bytes(), "PDF (Python)");

    // mail-parser agrees.
    let parsed = MessageParser::default().parse(&r.raw).unwrap();
    assert_eq!(parsed.subject().unwrap(), subject);
    assert_eq!(
        parsed.header("X-Faxvox-Job").unwrap().as_text().unwrap(),
        JOB
    );
    assert_eq!(
        parsed.from().unwrap().first().unwrap().address().unwrap(),
        "fax@gw.example"
    );
    let to: Vec<_> = parsed
        .to()
        .unwrap()
        .iter()
        .map(|a| a.address().unwrap().to_string())
        .collect();
    assert_eq!(to, ["alice@example.com", "bob@example.com"]);
    assert!(parsed.bcc().is_none());
    let att = parsed.attachment(0).unwrap();
    assert_eq!(att.attachment_name().unwrap(), "fax-20261127-0815.pdf");
    assert!(
        att.contents() == pdf_bytes().as_slice(),
        "attachment differs (mail-parser)"
    );
    let text = parsed.body_text(0).unwrap();
    assert!(
        text.contains("Reçu le        : vendredi 27 novembre 2026 à 08:15 (Europe/Paris)"),
        "{text}"
    );
    assert!(text.contains("Qualité        : bonne"), "{text}");
    let html = parsed.body_html(0).unwrap();
    assert!(html.contains("Zoé Bcc: evil@x"), "{html}");
}

#[tokio::test]
async fn voicemail_over_starttls_with_auth_and_pooled_connection() {
    let pki = TestPki::generate();
    let sink = tls_sink(&pki, Some("fax:s3cr3t"));
    let t = transport(
        &format!("smtp://fax:s3cr3t@127.0.0.1:{}", sink.port),
        Some(&pki.ca_pem),
    );
    let c = composer();
    let vm = c
        .compose(&voicemail_message(&["zoe@example.com"], Locale::Fr))
        .unwrap();
    let outcome = t.send_composed("vm", &vm).await;
    assert!(
        matches!(outcome, SendOutcome::Delivered { .. }),
        "{outcome:?}"
    );
    // lettre returns a connection to the pool from a spawned task; let it run.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let fax = c
        .compose(&fax_message(&["zoe@example.com"], Locale::En, 1))
        .unwrap();
    let outcome = t.send_composed(JOB, &fax).await;
    assert!(
        matches!(outcome, SendOutcome::Delivered { .. }),
        "{outcome:?}"
    );

    let got = sink.wait_for(2);
    assert_eq!(got.len(), 2);
    for r in &got {
        assert_eq!(r.meta["tls"], true);
        assert_eq!(r.meta["authenticated"], true);
        assert_eq!(r.meta["auth_login"], "fax");
        assert!(r.python_defects().is_empty(), "{:?}", r.python_defects());
    }
    // Both went over one pooled connection.
    assert_eq!(got[0].meta["peer"], got[1].meta["peer"]);

    let r = &got[0];
    assert_same(&r.raw, &vm.bytes, "received voicemail");
    assert_eq!(
        r.python_header("Subject").unwrap(),
        "Message vocal de Zoé Lefèvre (+33 6 12 34 56 78) – 0:42"
    );
    let atts = r.python_attachments();
    assert_eq!(atts.len(), 1);
    assert_eq!(atts[0].0, "message vocal Zoé.wav");
    assert_eq!(atts[0].1, "audio/wav");
    assert_same(&atts[0].2, &wav_bytes(), "WAV (Python)");
    let parsed = MessageParser::default().parse(&r.raw).unwrap();
    assert_eq!(
        parsed.attachment(0).unwrap().attachment_name().unwrap(),
        "message vocal Zoé.wav"
    );
    assert!(parsed.attachment(0).unwrap().contents() == wav_bytes().as_slice());

    assert_eq!(
        got[1].python_header("Subject").unwrap(),
        "Fax from +33 2 53 43 75 55 – 1 page"
    );
}

#[tokio::test]
async fn implicit_tls_smtps() {
    let pki = TestPki::generate();
    let sink = SmtpSink::start(&SinkOptions {
        tls: Some((pki.cert_path.clone(), pki.key_path.clone())),
        implicit_tls: true,
        auth: Some("fax:pw".into()),
        ..Default::default()
    });
    let t = transport(
        &format!("smtps://fax:pw@127.0.0.1:{}", sink.port),
        Some(&pki.ca_pem),
    );
    let mail = composer()
        .compose(&fax_message(&["a@example.com"], Locale::Fr, 2))
        .unwrap();
    let outcome = t.send_composed(JOB, &mail).await;
    assert!(
        matches!(outcome, SendOutcome::Delivered { .. }),
        "{outcome:?}"
    );
    assert_same(&sink.wait_for(1)[0].raw, &mail.bytes, "received message");
}

#[tokio::test]
async fn untrusted_certificate_is_temporary_not_silent() {
    let pki = TestPki::generate();
    let sink = tls_sink(&pki, None);
    // No CA given: the server's certificate is not trusted, so STARTTLS fails.
    let t = transport(
        &format!("smtp://127.0.0.1:{}?tls=required", sink.port),
        None,
    );
    let mail = composer()
        .compose(&fax_message(&["a@example.com"], Locale::Fr, 1))
        .unwrap();
    let outcome = t.send_composed(JOB, &mail).await;
    assert!(
        matches!(outcome, SendOutcome::Temporary { .. }),
        "{outcome:?}"
    );
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn wrong_password_is_permanent() {
    let pki = TestPki::generate();
    let sink = tls_sink(&pki, Some("fax:s3cr3t"));
    let t = transport(
        &format!("smtp://fax:wrong@127.0.0.1:{}", sink.port),
        Some(&pki.ca_pem),
    );
    let mail = composer()
        .compose(&fax_message(
            &["a@example.com", "b@example.com"],
            Locale::Fr,
            1,
        ))
        .unwrap();
    let outcome = t.send_composed(JOB, &mail).await;
    let SendOutcome::Permanent { reply, rejected } = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(reply.starts_with("535"), "{reply}");
    assert_eq!(rejected.len(), 2);
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn server_down_is_temporary() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let t = transport(&format!("smtp://127.0.0.1:{port}?tls=none"), None);
    let mail = composer()
        .compose(&fax_message(&["a@example.com"], Locale::Fr, 1))
        .unwrap();
    let outcome = t.send_composed(JOB, &mail).await;
    let SendOutcome::Temporary {
        pending, accepted, ..
    } = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(pending, &["a@example.com"]);
    assert!(accepted.is_empty());
}

#[tokio::test]
async fn reply_451_is_temporary_and_550_permanent() {
    let mail = composer()
        .compose(&fax_message(&["a@example.com"], Locale::Fr, 1))
        .unwrap();

    let sink = SmtpSink::start(&SinkOptions {
        data_reply: Some("451 4.3.0 Try again later".into()),
        ..Default::default()
    });
    let t = transport(&format!("smtp://127.0.0.1:{}?tls=none", sink.port), None);
    let outcome = t.send_composed(JOB, &mail).await;
    let SendOutcome::Temporary { error, pending, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(error.starts_with("451 4.3.0 Try again later"), "{error}");
    assert_eq!(pending, &["a@example.com"]);

    let sink = SmtpSink::start(&SinkOptions {
        data_reply: Some("550 5.7.1 Message refused".into()),
        ..Default::default()
    });
    let t = transport(&format!("smtp://127.0.0.1:{}?tls=none", sink.port), None);
    let outcome = t.send_composed(JOB, &mail).await;
    let SendOutcome::Permanent { reply, rejected } = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(reply.starts_with("550 5.7.1 Message refused"), "{reply}");
    assert_eq!(rejected[0].recipient, "a@example.com");
}

#[tokio::test]
async fn one_refused_recipient_does_not_block_the_others() {
    let sink = SmtpSink::start(&SinkOptions {
        reject_rcpt: vec![(
            "gone@example.com".into(),
            "550 5.1.1 <gone@example.com>: no such user".into(),
        )],
        ..Default::default()
    });
    let t = transport(&format!("smtp://127.0.0.1:{}?tls=none", sink.port), None);
    let c = composer();
    let mail = c
        .compose(&fax_message(
            &["alice@example.com", "gone@example.com", "bob@example.com"],
            Locale::Fr,
            1,
        ))
        .unwrap();
    let outcome = t.send_composed(JOB, &mail).await;
    let SendOutcome::Delivered { rejected, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].recipient, "gone@example.com");
    assert!(
        rejected[0].reply.starts_with("550 5.1.1"),
        "{:?}",
        rejected[0]
    );
    let got = sink.wait_for(2);
    let mut delivered: Vec<_> = got.iter().flat_map(|r| r.rcpt_tos()).collect();
    delivered.sort();
    assert_eq!(delivered, ["alice@example.com", "bob@example.com"]);
    for r in &got {
        assert_same(&r.raw, &mail.bytes, "received message");
    }

    // Every recipient refused: the job is dead.
    let mail = c
        .compose(&fax_message(&["gone@example.com"], Locale::Fr, 1))
        .unwrap();
    let outcome = t.send_composed(JOB, &mail).await;
    assert!(
        matches!(outcome, SendOutcome::Permanent { .. }),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn admin_notice_is_delivered() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let t = transport(&format!("smtp://127.0.0.1:{}?tls=none", sink.port), None);
    let job = faxvox::delivery::DeadJob {
        job_id: JOB.into(),
        kind: "fax".into(),
        account_name: "Cabinet Lefèvre".into(),
        recipients: vec!["gone@example.com".into()],
        rejected: vec![faxvox::delivery::Rejection {
            recipient: "gone@example.com".into(),
            reply: "550 5.1.1 no such user".into(),
        }],
        reply: "550 5.1.1 no such user".into(),
        subject: Some("Fax de +33 2 53 43 75 55 – 3 pages".into()),
        attempts: 1,
        first_attempt: None,
        last_attempt: std::time::SystemTime::now(),
        time_zone: "Europe/Paris".into(),
    };
    let notice = composer()
        .compose_dead_job_notice(&job, "admin@gw.example", Locale::Fr)
        .unwrap();
    let outcome = t.send_composed(JOB, &notice).await;
    assert!(
        matches!(outcome, SendOutcome::Delivered { .. }),
        "{outcome:?}"
    );
    let r = &sink.wait_for(1)[0];
    assert_eq!(r.rcpt_tos(), ["admin@gw.example"]);
    assert!(r.python_defects().is_empty());
    assert_eq!(r.python_header("X-Faxvox-Job").unwrap(), JOB);
    let text = r.meta["parts"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("gone@example.com : 550 5.1.1 no such user"),
        "{text}"
    );
}
