//! The spool admin commands and the delivery worker, end to end through the `faxvox` binary:
//! a real SQLite directory, a real spool folder, a real SMTP server (python3-aiosmtpd, see
//! `support/smtp.rs`) or a Maildir. Media are generated here: a 2-page G4 fax drawn with
//! `faxvox_codecs` and a voicemail WAV.

use crate::support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use faxvox_codecs::recording::wav_bytes;
use faxvox_codecs::tiff::write_g4_tiff;
use faxvox_codecs::{Bitmap, Page, Resolution};
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::Value;
use support::site::Site;
use support::smtp::{SinkOptions, SmtpSink};

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";
const ADMIN: &str = "postmaster@example.com";

impl Site {
    fn new() -> Site {
        Site::with_account(&[ALICE, BOB])
    }

    fn import(&self, kind: &str, file: &Path) -> String {
        let out = self.ok(&[
            "spool",
            "import",
            "--kind",
            kind,
            "--account",
            "acme",
            "--from",
            "+33 2 53 43 75 55",
            "--from-name",
            "Zoé Lefèvre",
            file.to_str().unwrap(),
        ]);
        let id = out.trim().to_string();
        assert_eq!(id.len(), 25, "job id expected, got {out:?}");
        id
    }

    fn job(&self, id: &str) -> Value {
        serde_json::from_str(&self.ok(&["spool", "show", id, "--json"])).unwrap()
    }

    fn spool_file(&self, id: &str, name: &str) -> Vec<u8> {
        std::fs::read(self.path().join("spool").join(id).join(name)).unwrap()
    }

    fn maildir_messages(&self) -> Vec<Vec<u8>> {
        let new = self.path().join("maildir").join("new");
        let mut files: Vec<PathBuf> = std::fs::read_dir(new)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files.iter().map(|f| std::fs::read(f).unwrap()).collect()
    }
}

fn state_of(jobs: &[Value], id: &str) -> String {
    jobs.iter()
        .find(|j| j["id"] == id)
        .unwrap_or_else(|| panic!("job {id} not listed: {jobs:?}"))["state"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A 2-page fine-resolution fax: a frame and some "text" bars, different on each page.
fn fax_tiff() -> Vec<u8> {
    let pages: Vec<Page> = (0..2u32)
        .map(|n| {
            let mut b = Bitmap::new(1728, 600);
            b.fill_rect(40, 40, 1648, 8);
            b.fill_rect(40, 552, 1648, 8);
            for line in 0..10 {
                let y = 80 + line * 45;
                b.fill_rect(100, y, 300 + 100 * ((line + n) % 8), 20);
            }
            Page {
                bitmap: b,
                resolution: Resolution::FINE,
            }
        })
        .collect();
    write_g4_tiff(&pages)
}

/// 1.5 s of a 440 Hz tone, 8 kHz 16-bit mono.
fn voicemail_wav() -> Vec<u8> {
    let samples: Vec<i16> = (0..12_000)
        .map(|i| ((i as f32 * 440.0 * std::f32::consts::TAU / 8000.0).sin() * 9000.0) as i16)
        .collect();
    wav_bytes(&samples)
}

fn header(raw: &[u8], name: &str) -> String {
    let parsed = MessageParser::default().parse(raw).expect("message parses");
    parsed
        .header(name)
        .and_then(|h| h.as_text())
        .unwrap_or_default()
        .to_string()
}

fn first_attachment(raw: &[u8]) -> (String, Vec<u8>) {
    let parsed = MessageParser::default().parse(raw).expect("message parses");
    let att = parsed.attachment(0).expect("an attachment");
    (
        att.attachment_name().unwrap_or_default().to_string(),
        att.contents().to_vec(),
    )
}

#[test]
fn import_and_deliver_over_smtp_attachments_byte_identical() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut site = Site::new();
    site.set(
        "FAXVOX_SMTP_URL",
        &format!("smtp://127.0.0.1:{}?tls=none", sink.port),
    );
    let fax = site.import("fax", &site.write("in.tiff", &fax_tiff()));
    let vm = site.import("voicemail", &site.write("in.wav", &voicemail_wav()));
    let jobs = site.jobs();
    assert_eq!(state_of(&jobs, &fax), "ready");
    assert_eq!(state_of(&jobs, &vm), "ready");
    assert_eq!(jobs[0]["account"], "acme");

    let out = site.ok(&["spool", "work", "--until-idle"]);
    assert!(out.contains("2 job(s): 2 delivered"), "{out}");

    let got = sink.wait_for(2);
    assert_eq!(got.len(), 2, "one email per job");
    let mut seen = BTreeSet::new();
    for r in &got {
        // Both of the account's addresses got this email, in one transaction.
        assert_eq!(r.rcpt_tos(), [ALICE, BOB]);
        assert!(r.python_defects().is_empty(), "{:?}", r.python_defects());
        let job = r.python_header("X-Faxvox-Job").unwrap();
        assert_eq!(header(&r.raw, "X-Faxvox-Job"), job, "mail-parser agrees");
        let to = r.python_header("To").unwrap();
        assert!(to.contains(ALICE) && to.contains(BOB), "{to}");
        let atts = r.python_attachments();
        assert_eq!(atts.len(), 1);
        let (name, bytes) = first_attachment(&r.raw);
        assert_eq!(name, atts[0].0);
        assert_eq!(
            bytes, atts[0].2,
            "mail-parser and Python decode the same bytes"
        );
        if job == fax {
            let subject = r.python_header("Subject").unwrap();
            assert!(subject.starts_with("Fax de Zoé Lefèvre"), "{subject}");
            assert!(subject.ends_with("2 pages"), "{subject}");
            assert_eq!(atts[0].1, "application/pdf");
            assert!(atts[0].0.starts_with("fax-") && atts[0].0.ends_with(".pdf"));
            assert!(
                atts[0].2 == site.spool_file(&fax, "fax.pdf"),
                "PDF in the email differs from the spool's fax.pdf"
            );
            assert!(atts[0].2.starts_with(b"%PDF-"));
        } else {
            assert_eq!(job, vm);
            assert_eq!(atts[0].1, "audio/mpeg");
            assert!(
                atts[0].2 == site.spool_file(&vm, "voicemail.mp3"),
                "MP3 in the email differs from the spool's voicemail.mp3"
            );
        }
        seen.insert(job);
    }
    assert_eq!(seen, BTreeSet::from([fax.clone(), vm.clone()]));

    let jobs = site.jobs();
    assert_eq!(state_of(&jobs, &fax), "delivered");
    assert_eq!(state_of(&jobs, &vm), "delivered");
    // `show` has the server's reply in the history and the rendered file among the media.
    let shown = site.job(&fax);
    let files: Vec<&str> = shown["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"fax.pdf") && files.contains(&"fax.tiff"),
        "{files:?}"
    );
    let history = shown["manifest"]["history"].as_array().unwrap();
    let last = history.last().unwrap();
    assert_eq!(last["to"], "delivered");
    assert!(last["note"].as_str().unwrap().contains("250"), "{last}");
    assert_eq!(
        shown["manifest"]["facts"]["delivery"]["accepted"],
        serde_json::json!([ALICE, BOB])
    );
    // Nothing left to do: a second pass claims nothing.
    let out = site.ok(&["spool", "work", "--until-idle"]);
    assert!(out.contains("0 job(s)"), "{out}");
}

#[test]
fn smtp_outage_keeps_jobs_retrying_then_all_delivered() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut site = Site::new();
    site.set(
        "FAXVOX_SMTP_URL",
        &format!("smtp://127.0.0.1:{port}?tls=none"),
    );
    site.set("FAXVOX_SMTP_TIMEOUT_SECS", "5");
    let tiff = site.write("in.tiff", &fax_tiff());
    let wav = site.write("in.wav", &voicemail_wav());
    let ids = [
        site.import("fax", &tiff),
        site.import("voicemail", &wav),
        site.import("fax", &tiff),
    ];

    let out = site.ok(&["spool", "work", "--until-idle"]);
    assert!(out.contains("3 job(s): 0 delivered, 3 retrying"), "{out}");
    for id in &ids {
        let shown = site.job(id);
        assert_eq!(shown["state"], "retrying");
        let m = &shown["manifest"];
        let since = faxvox_spool::parse_rfc3339(m["state_since"].as_str().unwrap()).unwrap();
        let next =
            faxvox_spool::parse_rfc3339(m["state"]["next_attempt"].as_str().unwrap()).unwrap();
        let wait = next.duration_since(since).unwrap();
        assert!(
            (Duration::from_secs(55)..=Duration::from_secs(65)).contains(&wait),
            "first retry about 1 min later, got {wait:?}"
        );
        assert!(!m["state"]["last_error"].as_str().unwrap().is_empty());
        // The captured media is untouched.
        let media = if shown["manifest"]["kind"] == "fax" {
            ("fax.tiff", std::fs::read(&tiff).unwrap())
        } else {
            ("message.wav", std::fs::read(&wav).unwrap())
        };
        assert!(site.spool_file(id, media.0) == media.1);
    }
    // Not due yet: another pass does nothing.
    let out = site.ok(&["spool", "work", "--until-idle"]);
    assert!(out.contains("0 job(s)"), "{out}");

    // The relay is back (on a new port: the sink picks its own).
    let sink = SmtpSink::start(&SinkOptions::default());
    site.set(
        "FAXVOX_SMTP_URL",
        &format!("smtp://127.0.0.1:{}?tls=none", sink.port),
    );
    let out = site.ok(&["spool", "retry", "--all"]);
    assert!(out.contains("3 job(s) ready"), "{out}");
    let out = site.ok(&["spool", "work", "--until-idle"]);
    assert!(out.contains("3 job(s): 3 delivered"), "{out}");
    let got = sink.wait_for(3);
    let delivered: BTreeSet<String> = got
        .iter()
        .map(|r| r.python_header("X-Faxvox-Job").unwrap())
        .collect();
    assert_eq!(delivered, ids.iter().cloned().collect::<BTreeSet<_>>());
    let jobs = site.jobs();
    for id in &ids {
        assert_eq!(state_of(&jobs, id), "delivered");
    }
}

#[test]
fn maildir_by_default_one_message_per_job_with_the_spool_pdf() {
    let mut site = Site::new();
    let fax = site.import("fax", &site.write("in.tiff", &fax_tiff()));
    let out = site.ok(&["spool", "work", "--until-idle"]);
    assert!(out.contains("1 delivered"), "{out}");
    let msgs = site.maildir_messages();
    assert_eq!(msgs.len(), 1, "the Maildir holds one copy per message");
    let raw = &msgs[0];
    assert_eq!(header(raw, "X-Faxvox-Job"), fax);
    let parsed = MessageParser::default().parse(raw).unwrap();
    let to: Vec<String> = parsed
        .to()
        .unwrap()
        .iter()
        .map(|a| a.address().unwrap().to_string())
        .collect();
    assert_eq!(to, [ALICE, BOB]);
    let (name, pdf) = first_attachment(raw);
    assert!(name.ends_with(".pdf"), "{name}");
    assert!(
        pdf == site.spool_file(&fax, "fax.pdf"),
        "PDF differs from the spool's"
    );

    // Voicemail as WAV (delivery.voicemail_format = wav): the attachment is the recording.
    site.set("FAXVOX_DELIVERY_VOICEMAIL_FORMAT", "wav");
    let wav = voicemail_wav();
    let vm = site.import("voicemail", &site.write("in.wav", &wav));
    site.ok(&["spool", "work", "--until-idle"]);
    let msgs = site.maildir_messages();
    assert_eq!(msgs.len(), 2);
    let raw = msgs
        .iter()
        .find(|m| header(m, "X-Faxvox-Job") == vm)
        .unwrap();
    let (name, data) = first_attachment(raw);
    assert!(name.ends_with(".wav"), "{name}");
    assert!(data == wav && data == site.spool_file(&vm, "message.wav"));
    assert_eq!(state_of(&site.jobs(), &vm), "delivered");
}

#[test]
fn refused_by_the_server_for_every_recipient_is_dead_and_the_admin_is_told() {
    let sink = SmtpSink::start(&SinkOptions {
        reject_rcpt: vec![
            (ALICE.into(), "550 5.1.1 no such user".into()),
            (BOB.into(), "550 5.1.1 no such user".into()),
        ],
        ..Default::default()
    });
    let mut site = Site::new();
    site.set(
        "FAXVOX_SMTP_URL",
        &format!("smtp://127.0.0.1:{}?tls=none", sink.port),
    );
    site.set("FAXVOX_SMTP_ADMIN", ADMIN);
    let id = site.import("fax", &site.write("in.tiff", &fax_tiff()));
    let out = site.ok(&["spool", "work", "--until-idle"]);
    assert!(out.contains("1 dead"), "{out}");
    let shown = site.job(&id);
    assert_eq!(shown["state"], "dead");
    let reason = shown["manifest"]["state"]["reason"].as_str().unwrap();
    assert!(reason.contains("550"), "{reason}");
    let got = sink.wait_for(1);
    assert_eq!(got.len(), 1, "only the admin notice arrives");
    assert_eq!(got[0].rcpt_tos(), [ADMIN]);
    let raw = String::from_utf8_lossy(&got[0].raw);
    assert!(raw.contains(&id), "notice names the job");
    // A dead job can be retried by the admin.
    let out = site.ok(&["spool", "retry", &id]);
    assert!(out.contains("dead -> ready"), "{out}");
}

#[test]
fn purge_dry_run_deletes_nothing_fresh_and_says_why() {
    let site = Site::new();
    let tiff = site.write("in.tiff", &fax_tiff());
    let delivered = site.import("fax", &tiff);
    site.ok(&["spool", "work", "--until-idle"]);
    let ready = site.import("fax", &tiff);
    let out = site.ok(&["spool", "purge", "--dry-run"]);
    assert!(out.contains("delivered 30 days, dead 90 days"), "{out}");
    let line = |id: &str| {
        out.lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id} missing in {out}"))
            .to_string()
    };
    let l = line(&delivered);
    assert!(l.contains("keep") && l.contains("retention 30d"), "{l}");
    let l = line(&ready);
    assert!(
        l.contains("keep") && l.contains("only delivered or dead jobs are ever purged"),
        "{l}"
    );
    assert!(out.contains("2 job(s) kept, 0 would be deleted"), "{out}");
    assert_eq!(site.jobs().len(), 2);
    // A real purge with the same settings keeps them too.
    site.ok(&["spool", "purge"]);
    assert_eq!(site.jobs().len(), 2);
}

#[test]
fn bad_imports_are_refused_clearly_and_enqueue_nothing() {
    let site = Site::new();
    let fails = |args: &[&str], needle: &str| {
        let out = site.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: expected {needle:?} in {err}"
        );
    };
    let mut corrupt = b"II*\0".to_vec();
    corrupt.extend_from_slice(&[0xff; 64]);
    let corrupt = site.write("corrupt.tiff", &corrupt);
    let corrupt = corrupt.to_str().unwrap();
    let wav = site.write("in.wav", &voicemail_wav());
    let tiff = site.write("in.tiff", &fax_tiff());
    let base = ["spool", "import", "--from", "+33253437555"];
    let with = |extra: &[&'static str], file: &str| -> Vec<String> {
        base.iter()
            .copied()
            .chain(extra.iter().copied())
            .map(str::to_string)
            .chain([file.to_string()])
            .collect()
    };
    let run = |args: Vec<String>, needle: &str| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        fails(&refs, needle);
    };
    run(
        with(&["--kind", "fax", "--account", "acme"], corrupt),
        "is not a usable fax TIFF",
    );
    run(
        with(
            &["--kind", "fax", "--account", "acme"],
            wav.to_str().unwrap(),
        ),
        "not a TIFF file",
    );
    run(
        with(
            &["--kind", "voicemail", "--account", "acme"],
            tiff.to_str().unwrap(),
        ),
        "is not a usable recording",
    );
    run(
        with(
            &["--kind", "fax", "--account", "nobody"],
            tiff.to_str().unwrap(),
        ),
        "unknown account `nobody`",
    );
    run(
        with(
            &["--kind", "telex", "--account", "acme"],
            tiff.to_str().unwrap(),
        ),
        "invalid kind",
    );
    fails(
        &[
            "spool",
            "import",
            "--kind",
            "fax",
            "--account",
            "acme",
            "--from",
            "12",
            tiff.to_str().unwrap(),
        ],
        "--from",
    );
    assert!(site.jobs().is_empty(), "nothing enqueued");
    let spool = site.path().join("spool");
    let leftovers: Vec<_> = std::fs::read_dir(&spool)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n != "quarantine")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    fails(&["spool", "show", "nonsense"], "invalid job id");
    fails(&["spool", "list", "--state", "lost"], "unknown state");
}

#[test]
fn continuous_worker_reloads_delivery_settings_on_sighup() {
    let site = Site::new();
    let config = site.path().join("faxvox.toml");
    std::fs::write(&config, "[delivery]\nvoicemail_format = \"mp3\"\n").unwrap();
    let mut child = site
        .command(&[
            "--config",
            config.to_str().unwrap(),
            "spool",
            "work",
            "--poll-secs",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let wait_for = |needle: &str, log: &mut Vec<String>| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
                log.push(line.clone());
                if line.contains(needle) {
                    return;
                }
            }
        }
        panic!("{needle:?} not logged:\n{}", log.join("\n"));
    };
    let mut log = Vec::new();
    wait_for("delivery worker started", &mut log);
    let wav = site.write("in.wav", &voicemail_wav());
    let first = site.import("voicemail", &wav);
    wait_for("delivered", &mut log);

    std::fs::write(
        &config,
        "[delivery]\nvoicemail_format = \"wav\"\n[retention]\ndelivered_days = 7\n",
    )
    .unwrap();
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());
    wait_for("configuration reloaded", &mut log);
    let reload = log.last().unwrap();
    assert!(
        reload.contains("delivered_days") && reload.contains('7'),
        "{reload}"
    );
    let second = site.import("voicemail", &wav);
    let deadline = Instant::now() + Duration::from_secs(30);
    while state_of(&site.jobs(), &second) != "delivered" {
        assert!(Instant::now() < deadline, "second job not delivered");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");

    // Before the reload: MP3; after: the WAV itself.
    let attachment = |id: &str| {
        let msgs = site.maildir_messages();
        let raw = msgs
            .iter()
            .find(|m| header(m, "X-Faxvox-Job") == id)
            .unwrap();
        first_attachment(raw)
    };
    let (name, data) = attachment(&first);
    assert!(name.ends_with(".mp3"), "{name}");
    assert!(data == site.spool_file(&first, "voicemail.mp3"));
    let (name, data) = attachment(&second);
    assert!(name.ends_with(".wav"), "{name}");
    assert!(data == std::fs::read(&wav).unwrap());
}

/// Halves the StripByteCounts (tag 279) of page `page` (0-based) of a little-endian TIFF
/// written by `write_g4_tiff` (one strip per page): the page's data ends half way.
fn truncate_strip(file: &mut [u8], page: usize) {
    let u16_at = |f: &[u8], o: usize| u16::from_le_bytes([f[o], f[o + 1]]) as usize;
    let u32_at = |f: &[u8], o: usize| u32::from_le_bytes([f[o], f[o + 1], f[o + 2], f[o + 3]]);
    let mut ifd = u32_at(file, 4) as usize;
    for _ in 0..page {
        let n = u16_at(file, ifd);
        ifd = u32_at(file, ifd + 2 + 12 * n) as usize;
    }
    let n = u16_at(file, ifd);
    let entry = (0..n)
        .map(|i| ifd + 2 + 12 * i)
        .find(|&e| u16_at(file, e) == 279)
        .expect("StripByteCounts");
    let len = u32_at(file, entry + 8);
    file[entry + 8..entry + 12].copy_from_slice(&(len / 2).to_le_bytes());
}

#[test]
fn damaged_tiff_is_imported_with_a_warning_and_mailed_as_a_partial_fax() {
    let site = Site::new();
    let mut tiff = fax_tiff();
    truncate_strip(&mut tiff, 1);
    let file = site.write("damaged.tiff", &tiff);
    let out = site.run(&[
        "spool",
        "import",
        "--kind",
        "fax",
        "--account",
        "acme",
        "--from",
        "+33253437555",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning") && err.contains("page 2"), "{err}");
    let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    site.ok(&["spool", "work", "--until-idle"]);
    let msgs = site.maildir_messages();
    assert_eq!(msgs.len(), 1);
    let parsed = MessageParser::default().parse(&msgs[0]).unwrap();
    let subject = parsed.subject().unwrap();
    assert!(
        subject.starts_with("Fax incomplet") && subject.contains("pendant la page 2"),
        "{subject}"
    );
    let (_, pdf) = first_attachment(&msgs[0]);
    assert!(pdf == site.spool_file(&id, "fax.pdf"));
    let warnings = &site.job(&id)["manifest"]["facts"]["delivery"]["warnings"];
    assert!(
        warnings[0].as_str().unwrap().starts_with("page 2"),
        "{warnings}"
    );
}

#[test]
fn attachment_above_the_limit_is_left_in_the_spool_and_the_email_says_so() {
    let mut site = Site::new();
    site.set("FAXVOX_DELIVERY_MAX_ATTACHMENT_BYTES", "1000");
    let id = site.import("fax", &site.write("in.tiff", &fax_tiff()));
    site.ok(&["spool", "work", "--until-idle"]);
    let msgs = site.maildir_messages();
    assert_eq!(msgs.len(), 1);
    let parsed = MessageParser::default().parse(&msgs[0]).unwrap();
    assert!(parsed.attachment(0).is_none(), "nothing attached");
    let text = parsed.body_text(0).unwrap();
    assert!(text.contains(&id), "the body gives the job id: {text}");
    let shown = site.job(&id);
    assert_eq!(shown["state"], "delivered");
    let delivery = &shown["manifest"]["facts"]["delivery"];
    assert_eq!(delivery["attached"], false);
    assert_eq!(delivery["attachment"], "fax.pdf");
    assert!(
        site.spool_file(&id, "fax.pdf").len() > 1000,
        "the PDF stays in the spool"
    );
}
