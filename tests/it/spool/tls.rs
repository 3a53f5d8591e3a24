//! `faxvox spool import` → `faxvox spool work` → email, through the binary, to an SMTP server
//! that demands STARTTLS and AUTH (python3-aiosmtpd with a throwaway CA, see
//! `support/smtp.rs`). `smtp.url` and `smtp.ca_file` come from a configuration file. The
//! attachment must be byte-identical to the spool's rendered `fax.pdf`, the headers must parse,
//! and the password must not leak into the spool or the logs.

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

use faxvox_codecs::tiff::write_g4_tiff;
use faxvox_codecs::{Bitmap, Page, Resolution};
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::Value;
use support::smtp::{SinkOptions, SmtpSink, TestPki};

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";
const USER: &str = "faxgw";
const PASSWORD: &str = "Xy7-s3cr3t-Pw";

fn faxvox(dir: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faxvox"));
    cmd.args(args).current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("FAXVOX_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)))
        .env("RUST_LOG", "info");
    cmd.output().unwrap()
}

fn ok(out: &Output, args: &[&str]) -> String {
    assert!(
        out.status.success(),
        "faxvox {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A 2-page fine-resolution fax.
fn fax_tiff() -> Vec<u8> {
    let pages: Vec<Page> = (0..2u32)
        .map(|n| {
            let mut b = Bitmap::new(1728, 500);
            b.fill_rect(40, 40, 1648, 8);
            for line in 0..8 {
                b.fill_rect(100, 80 + line * 45, 300 + 120 * ((line + n) % 7), 20);
            }
            Page {
                bitmap: b,
                resolution: Resolution::FINE,
            }
        })
        .collect();
    write_g4_tiff(&pages)
}

#[test]
fn import_and_deliver_over_starttls_with_auth() {
    let pki = TestPki::generate();
    let sink = SmtpSink::start(&SinkOptions {
        tls: Some((pki.cert_path.clone(), pki.key_path.clone())),
        require_starttls: true,
        auth: Some(format!("{USER}:{PASSWORD}")),
        ..Default::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ca = dir.join("relay-ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let config = dir.join("faxvox.toml");
    // No `tls=`: a URL with credentials means TLS required (STARTTLS on smtp://).
    std::fs::write(
        &config,
        format!(
            "[smtp]\nurl = \"smtp://{USER}:{PASSWORD}@127.0.0.1:{}\"\nca_file = \"{}\"\n\
             from = \"Passerelle Fax <fax@gw.example>\"\ntimeout_secs = 10\n",
            sink.port,
            ca.display()
        ),
    )
    .unwrap();
    let env = [
        (
            "FAXVOX_DATABASE_URL",
            format!("sqlite://{}", dir.join("faxvox.db").display()),
        ),
        ("FAXVOX_SPOOL_DIR", dir.join("spool").display().to_string()),
        ("FAXVOX_SPOOL_HIGH_WATER_PERCENT", "99".to_string()),
    ];
    let conf = config.to_str().unwrap();
    let run = |args: &[&str]| -> (String, String) {
        let mut all = vec!["--config", conf];
        all.extend_from_slice(args);
        let out = faxvox(dir, &env, &all);
        let stdout = ok(&out, &all);
        (stdout, String::from_utf8_lossy(&out.stderr).into_owned())
    };

    run(&[
        "account",
        "add",
        "acme",
        "--email",
        ALICE,
        "--email",
        BOB,
        "--name",
        "Cabinet Lefèvre",
    ]);
    run(&[
        "line",
        "add",
        "+33299001122",
        "--account",
        "acme",
        "--kind",
        "fax",
    ]);
    let tiff = dir.join("in.tiff");
    std::fs::write(&tiff, fax_tiff()).unwrap();
    let (out, _) = run(&[
        "spool",
        "import",
        "--kind",
        "fax",
        "--account",
        "acme",
        "--from",
        "+33 2 53 43 75 55",
        "--from-name",
        "Zoé Lefèvre",
        tiff.to_str().unwrap(),
    ]);
    let id = out.trim().to_string();
    assert_eq!(id.len(), 25, "job id expected, got {out:?}");

    let (out, work_log) = run(&["spool", "work", "--until-idle"]);
    assert!(
        out.contains("1 job(s): 1 delivered, 0 retrying, 0 dead, 0 lost"),
        "{out}\n{work_log}"
    );

    let got = sink.wait_for(1);
    assert_eq!(got.len(), 1, "exactly one email");
    let r = &got[0];
    // The sink saw TLS (STARTTLS was required before MAIL) and our login.
    assert_eq!(r.meta["tls"], true, "{}", r.meta);
    assert_eq!(r.meta["authenticated"], true, "{}", r.meta);
    assert_eq!(r.meta["auth_login"], USER);
    assert_eq!(r.meta["mail_from"], "fax@gw.example");
    assert_eq!(r.rcpt_tos(), [ALICE, BOB]);

    // Headers: Python (policy.default) finds no defect; mail-parser agrees on the values.
    assert!(r.python_defects().is_empty(), "{:?}", r.python_defects());
    assert_eq!(r.python_header("X-Faxvox-Job").unwrap(), id);
    let subject = r.python_header("Subject").unwrap();
    assert!(subject.starts_with("Fax de Zoé Lefèvre"), "{subject}");
    assert!(subject.ends_with("2 pages"), "{subject}");
    let parsed = MessageParser::default().parse(&r.raw).expect("parses");
    assert_eq!(parsed.subject().unwrap(), subject);
    assert_eq!(
        parsed.header("X-Faxvox-Job").unwrap().as_text().unwrap(),
        id
    );
    assert_eq!(
        parsed.from().unwrap().first().unwrap().address().unwrap(),
        "fax@gw.example"
    );
    let to: Vec<String> = parsed
        .to()
        .unwrap()
        .iter()
        .map(|a| a.address().unwrap().to_string())
        .collect();
    assert_eq!(to, [ALICE, BOB]);
    assert!(parsed.date().is_some(), "Date header");
    let message_id = parsed.message_id().expect("Message-ID").to_string();
    assert!(message_id.contains('@'), "{message_id}");

    // The attachment is the spool's rendered fax.pdf, byte for byte, in both parsers.
    let pdf = std::fs::read(dir.join("spool").join(&id).join("fax.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let atts = r.python_attachments();
    assert_eq!(atts.len(), 1);
    assert_eq!(atts[0].1, "application/pdf");
    assert!(atts[0].0.starts_with("fax-") && atts[0].0.ends_with(".pdf"));
    assert!(atts[0].2 == pdf, "PDF (Python) differs from fax.pdf");
    assert_eq!(parsed.attachment_count(), 1);
    let att = parsed.attachment(0).unwrap();
    assert_eq!(att.attachment_name().unwrap(), atts[0].0);
    assert!(
        att.contents() == pdf.as_slice(),
        "PDF (mail-parser) differs"
    );

    // The spool records the delivery; the password is nowhere in the spool or the logs.
    let (shown, show_log) = run(&["spool", "show", &id, "--json"]);
    let shown: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["state"], "delivered");
    let delivery = &shown["manifest"]["facts"]["delivery"];
    assert_eq!(delivery["accepted"], serde_json::json!([ALICE, BOB]));
    assert_eq!(delivery["attachment"], "fax.pdf");
    assert_eq!(delivery["attachment_bytes"], pdf.len());
    assert_eq!(delivery["attached"], true);
    let transport = delivery["transport"].as_str().unwrap();
    assert!(
        transport.contains("smtp 127.0.0.1") && transport.contains(USER),
        "{transport}"
    );
    assert!(
        message_id.contains(
            delivery["message_id"]
                .as_str()
                .unwrap()
                .trim_matches(['<', '>'])
        ),
        "{message_id} vs {delivery}"
    );
    let manifest =
        std::fs::read_to_string(dir.join("spool").join(&id).join("manifest.json")).unwrap();
    for (what, text) in [
        ("manifest", manifest.as_str()),
        ("work log", work_log.as_str()),
        ("show log", show_log.as_str()),
    ] {
        assert!(!text.contains(PASSWORD), "password in the {what}");
    }
}
