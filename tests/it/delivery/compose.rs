//! Composing and local (Maildir) delivery, no server needed: exact subjects in both
//! languages, local times with DST, oversize attachments, HTML escaping, template overrides,
//! and a Maildir file equal to the composed bytes.

use crate::support;

use std::path::Path;
use std::time::{Duration, SystemTime};

use faxvox::delivery::{
    Composer, FaxDetails, FaxQuality, Kind, Locale, Media, SendOutcome, Templates, Transport,
};
use mail_parser::MessageParser;
use support::delivery::{fax_message, voicemail_message, JOB, SUMMER_START};

fn composer(max_attachment: u64) -> Composer {
    Composer::new("fax@gw.example", Templates::builtin(), max_attachment).unwrap()
}

fn text_of(bytes: &[u8]) -> String {
    MessageParser::default()
        .parse(bytes)
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned()
}

#[test]
fn subjects_are_exact_in_french_and_english() {
    let c = composer(10_000_000);
    let subject = |m| c.compose(&m).unwrap().subject;
    assert_eq!(
        subject(fax_message(&["a@example.com"], Locale::Fr, 3)),
        "Fax de +33 2 53 43 75 55 – 3 pages"
    );
    assert_eq!(
        subject(fax_message(&["a@example.com"], Locale::En, 3)),
        "Fax from +33 2 53 43 75 55 – 3 pages"
    );
    assert_eq!(
        subject(voicemail_message(&["a@example.com"], Locale::Fr)),
        "Message vocal de Zoé Lefèvre (+33 6 12 34 56 78) – 0:42"
    );
    assert_eq!(
        subject(voicemail_message(&["a@example.com"], Locale::En)),
        "Voice message from Zoé Lefèvre (+33 6 12 34 56 78) – 0:42"
    );
    let mut partial = fax_message(&["a@example.com"], Locale::Fr, 3);
    partial.kind = Kind::Fax(FaxDetails {
        pages_received: 3,
        pages_expected: None,
        partial: true,
        stopped_at_page: Some(4),
        remote_station_id: None,
        resolution_dpi: None,
        bit_rate: None,
        quality: FaxQuality::SomeErrors,
        bad_rows: 40,
        cut: None,
    });
    let out = c.compose(&partial).unwrap();
    assert_eq!(
        out.subject,
        "Fax incomplet de +33 2 53 43 75 55 – pages 1–3 reçues, appel interrompu pendant la page 4"
    );
    let text = text_of(&out.bytes);
    assert!(
        text.contains("pages 1–3 reçues, appel interrompu pendant la page 4."),
        "{text}"
    );
    assert!(text.contains("Qualité        : quelques erreurs"), "{text}");
}

#[test]
fn times_are_shown_in_the_account_zone_with_dst() {
    let c = composer(10_000_000);
    // Winter (CET, UTC+1): 07:15:30Z → 08:15.
    let winter = c
        .compose(&fax_message(&["a@example.com"], Locale::Fr, 1))
        .unwrap();
    let text = text_of(&winter.bytes);
    assert!(
        text.contains("vendredi 27 novembre 2026 à 08:15 (Europe/Paris)"),
        "{text}"
    );
    // Date is the end of the call (start + 95 s) in the same zone.
    let raw = String::from_utf8(winter.bytes.clone()).unwrap();
    assert!(
        raw.contains("\r\nDate: Fri, 27 Nov 2026 08:17:05 +0100\r\n"),
        "{raw}"
    );

    // Summer (CEST, UTC+2): 07:00Z → 09:00.
    let mut m = fax_message(&["a@example.com"], Locale::En, 1);
    m.start = SystemTime::UNIX_EPOCH + Duration::from_secs(SUMMER_START);
    let summer = c.compose(&m).unwrap();
    let text = text_of(&summer.bytes);
    assert!(
        text.contains("Monday 13 July 2026 at 09:00 (Europe/Paris)"),
        "{text}"
    );
    let raw = String::from_utf8(summer.bytes).unwrap();
    assert!(
        raw.contains("\r\nDate: Mon, 13 Jul 2026 09:01:35 +0200\r\n"),
        "{raw}"
    );

    // Another zone: the same instant in New York (EDT, UTC−4) is 03:00.
    m.time_zone = "America/New_York".into();
    let text = text_of(&c.compose(&m).unwrap().bytes);
    assert!(
        text.contains("Monday 13 July 2026 at 03:00 (America/New_York)"),
        "{text}"
    );
}

#[test]
fn oversize_attachment_is_left_out_and_the_job_id_given() {
    let c = composer(1000);
    let out = c
        .compose(&fax_message(&["a@example.com"], Locale::Fr, 2))
        .unwrap();
    assert!(!out.attached);
    let parsed = MessageParser::default().parse(&out.bytes).unwrap();
    assert_eq!(parsed.attachment_count(), 0);
    let text = parsed.body_text(0).unwrap();
    assert!(
        text.contains("dépasse la limite des pièces jointes (1 ko)"),
        "{text}"
    );
    assert!(text.contains(&format!("sous la référence {JOB}")), "{text}");
    let html = parsed.body_html(0).unwrap();
    assert!(html.contains(JOB), "{html}");

    // The worker can also decide itself (it knows the file size without reading it).
    let mut m = voicemail_message(&["a@example.com"], Locale::En);
    m.media = Media::Omitted(faxvox::delivery::OmitReason::TooLarge {
        size: 25_000_000,
        limit: 10_000_000,
    });
    let out = composer(10_000_000).compose(&m).unwrap();
    assert!(!out.attached);
    let text = text_of(&out.bytes);
    assert!(
        text.contains("its size (25 MB) is over the attachment limit (10 MB)"),
        "{text}"
    );
    assert!(
        text.contains("under reference 20261127T091000Z-0badc0de"),
        "{text}"
    );
}

#[test]
fn html_part_escapes_caller_data() {
    let mut m = voicemail_message(&["a@example.com"], Locale::Fr);
    m.caller_name = Some("<script>alert(1)</script> & Cie".into());
    let out = composer(10_000_000).compose(&m).unwrap();
    let parsed = MessageParser::default().parse(&out.bytes).unwrap();
    let html = parsed.body_html(0).unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; Cie"),
        "{html}"
    );
    // The text part shows it as typed.
    assert!(parsed
        .body_text(0)
        .unwrap()
        .contains("<script>alert(1)</script> & Cie"));
}

#[test]
fn template_overrides_are_used() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fax.en.subject.txt"),
        "[FAX] {{ caller.display }} ({{ fax.pages_received }}p, {{ start.time }} {{ start.abbreviation }})",
    )
    .unwrap();
    let c = Composer::new(
        "fax@gw.example",
        Templates::load(Some(dir.path())).unwrap(),
        10_000_000,
    )
    .unwrap();
    let out = c
        .compose(&fax_message(&["a@example.com"], Locale::En, 4))
        .unwrap();
    assert_eq!(out.subject, "[FAX] +33 2 53 43 75 55 (4p, 08:15 CET)");
    // A broken override is refused when the composer is built, naming the file.
    std::fs::write(dir.path().join("voicemail.fr.body.html"), "{{ oops(").unwrap();
    let e = Templates::load(Some(dir.path())).unwrap_err().to_string();
    assert!(e.contains("voicemail.fr.body.html"), "{e}");
}

#[tokio::test]
async fn maildir_gets_exactly_the_composed_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("mail");
    let t = Transport::new(
        &format!("maildir://{}", root.display()),
        Duration::from_secs(5),
        None,
        Path::new("unused"),
    )
    .unwrap();
    let mail = composer(10_000_000)
        .compose(&fax_message(&["a@example.com"], Locale::Fr, 3))
        .unwrap();
    let outcome = t.send_composed(JOB, &mail).await;
    assert!(
        matches!(outcome, SendOutcome::Delivered { .. }),
        "{outcome:?}"
    );
    let files: Vec<_> = std::fs::read_dir(root.join("new"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(files.len(), 1);
    assert_eq!(std::fs::read(files[0].path()).unwrap(), mail.bytes);
    assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);
    assert!(root.join("cur").is_dir());

    // Empty smtp.url: the default Maildir (delivery.maildir).
    let default = dir.path().join("default");
    let t = Transport::new("", Duration::from_secs(5), None, &default).unwrap();
    assert!(matches!(
        t.send_composed(JOB, &mail).await,
        SendOutcome::Delivered { .. }
    ));
    assert_eq!(std::fs::read_dir(default.join("new")).unwrap().count(), 1);
}

#[test]
fn composed_mail_is_seven_bit_crlf() {
    let out = composer(10_000_000)
        .compose(&voicemail_message(&["a@example.com"], Locale::Fr))
        .unwrap();
    assert!(out.bytes.is_ascii());
    let s = String::from_utf8(out.bytes).unwrap();
    assert!(!s.replace("\r\n", "").contains('\n'));
    assert!(!s.replace("\r\n", "").contains('\r'));
    for line in s.split("\r\n") {
        assert!(line.len() <= 998, "line too long: {}", line.len());
    }
}
