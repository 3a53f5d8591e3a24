//! A call's outcome becomes a spool job that the unchanged delivery worker emails: a received
//! fax (TIFF + T.30 report), a voicemail (WAV), a missed call (no media), and nothing for a fax
//! call that received no page. The site is the real `faxvox` binary (directory, `spool work`
//! to a Maildir); the commit runs in-process like the gateway does. Also: the spool refusing
//! the job (full disk) leaves the media where they were, and the call record says why.

use crate::support;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use faxvox::directory::{CallKind, CallStatus};
use faxvox::fax::{Direction, FaxReport, ReceivedPage};
use faxvox::gateway::commit::{
    commit_call, CallCapture, CallSummary, CommitError, FAX_TIFF, VOICEMAIL_WAV,
};
use faxvox::sip::call::Reason;
use faxvox::voicemail::{MissedReason, Outcome};
use faxvox_codecs::recording::wav_bytes;
use faxvox_codecs::tiff::write_g4_tiff;
use faxvox_codecs::{Bitmap, Page, Resolution};
use faxvox_spool::{Spool, SpoolOptions};
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::Value;
use support::site::Site;

const ZOE: &str = "zoe@example.com";
const FAX: &str = "+33253437555";
const VOICE: &str = "+33253437556";

fn site() -> Site {
    let site = Site::with_account(&["acme@example.com"]);
    site.ok(&[
        "account", "add", "zoe", "--email", ZOE, "--name", "Zoé", "--locale", "en",
    ]);
    site.ok(&["line", "add", FAX, "--account", "zoe", "--kind", "fax"]);
    site.ok(&[
        "line",
        "add",
        VOICE,
        "--account",
        "zoe",
        "--kind",
        "voicemail",
    ]);
    site
}

fn open_spool(site: &Site, high_water: f64) -> Spool {
    Spool::open(
        site.path().join("spool"),
        SpoolOptions::default().with_high_water(high_water),
        SystemTime::now(),
    )
    .unwrap()
    .0
}

/// A folder standing for one call's working folder.
fn call_folder(site: &Site, name: &str) -> PathBuf {
    let p = site.path().join("calls").join(name);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn fax_tiff(pages: u32) -> Vec<u8> {
    let pages: Vec<Page> = (0..pages)
        .map(|n| {
            let mut b = Bitmap::new(1728, 400);
            b.fill_rect(40, 40, 1648, 8);
            b.fill_rect(100, 100 + 20 * n, 600, 20);
            Page {
                bitmap: b,
                resolution: Resolution::FINE,
            }
        })
        .collect();
    write_g4_tiff(&pages)
}

fn received_page() -> ReceivedPage {
    ReceivedPage {
        partial: false,
        rows: 400,
        width: 1728,
        x_resolution: 8040,
        y_resolution: 7700,
        bad_rows: 0,
        missing_tail: false,
    }
}

fn report(call_id: &str, success: bool, pages: u32, tiff: Option<&Path>) -> FaxReport {
    FaxReport {
        call_id: call_id.into(),
        direction: Direction::Receive,
        transport: "t38".into(),
        success,
        result_code: if success { 0 } else { 49 },
        result_text: if success {
            "OK".into()
        } else {
            "The call dropped prematurely".into()
        },
        pages,
        pages_expected: None,
        bit_rate: 14400,
        ecm: true,
        x_dpi: 204,
        y_dpi: 196,
        bad_rows: 0,
        longest_bad_row_run: 0,
        ecm_retries: 0,
        error_corrected_pages: 0,
        remote_station_id: " +33 1 23 45 67 89 ".into(),
        local_station_id: String::new(),
        duration_s: 61.0,
        page_details: Vec::new(),
        received_pages: (0..pages).map(|_| received_page()).collect(),
        partial_pages: 0,
        tiff: tiff.map(Path::to_path_buf),
        page_cut: None,
    }
}

fn at(s: &str) -> SystemTime {
    faxvox_spool::parse_rfc3339(s).unwrap()
}

fn summary(call_id: &str, line: &str, kind: CallCapture) -> CallSummary {
    CallSummary {
        call_id: call_id.into(),
        account: "zoe".into(),
        dialled: line.trim_start_matches("+33").to_string(),
        line: line.into(),
        caller_number: "+33612345678".into(),
        caller_name: Some(" Dr Martin ".into()),
        start: at("2026-11-27T07:49:12Z"),
        answered_at: Some(at("2026-11-27T07:49:13Z")),
        ended_at: at("2026-11-27T07:50:15Z"),
        kind,
        rtp_lost: 4,
        rtp_foreign: 25,
        udptl_foreign: 2,
        source: "sip from 127.0.0.1:5062 (udp)".into(),
    }
}

fn voicemail_wav() -> Vec<u8> {
    let samples: Vec<i16> = (0..12_000)
        .map(|i| ((i as f32 * 440.0 * std::f32::consts::TAU / 8000.0).sin() * 9000.0) as i16)
        .collect();
    wav_bytes(&samples)
}

struct Mail {
    subject: String,
    body: String,
    attachment: Option<(String, Vec<u8>)>,
    job: String,
}

fn maildir(site: &Site) -> Vec<Mail> {
    let new = site.path().join("maildir").join("new");
    let mut files: Vec<PathBuf> = std::fs::read_dir(new)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|f| {
            let raw = std::fs::read(f).unwrap();
            let m = MessageParser::default().parse(&raw[..]).unwrap();
            Mail {
                subject: m.subject().unwrap_or_default().to_string(),
                body: m.body_text(0).unwrap_or_default().to_string(),
                attachment: m.attachment(0).map(|a| {
                    (
                        a.attachment_name().unwrap_or_default().to_string(),
                        a.contents().to_vec(),
                    )
                }),
                job: m
                    .header("X-Faxvox-Job")
                    .and_then(|h| h.as_text())
                    .unwrap_or_default()
                    .to_string(),
            }
        })
        .collect()
}

fn job(site: &Site, id: &str) -> Value {
    serde_json::from_str(&site.ok(&["spool", "show", id, "--json"])).unwrap()
}

#[test]
fn fax_voicemail_and_missed_call_are_delivered_by_the_worker() {
    let site = site();
    let spool = open_spool(&site, 0.99);

    // A 2-page fax received over T.38.
    let folder = call_folder(&site, "fax");
    let tiff = folder.join("rx.tiff");
    let tiff_bytes = fax_tiff(2);
    std::fs::write(&tiff, &tiff_bytes).unwrap();
    let fax_call = summary(
        "fax-call@peer",
        FAX,
        CallCapture::Fax {
            tiff: Some(tiff.clone()),
            report: Some(report("fax-call@peer", true, 2, Some(&tiff))),
        },
    );
    let fax_job = commit_call(&spool, &fax_call).unwrap().expect("a fax job");
    assert!(!tiff.exists(), "the TIFF is moved into the spool");
    let stored = site.path().join("spool").join(fax_job.as_str());
    assert_eq!(std::fs::read(stored.join(FAX_TIFF)).unwrap(), tiff_bytes);
    let facts = &job(&site, fax_job.as_str())["manifest"]["facts"];
    assert_eq!(facts["account"], "zoe");
    assert_eq!(facts["called_number"], FAX, "the dialled number, in E.164");
    assert_eq!(facts["caller_number"], "+33612345678");
    assert_eq!(facts["caller_name"], "Dr Martin");
    assert_eq!(facts["start"], "2026-11-27T07:49:12Z");
    assert_eq!(facts["duration_ms"], 62_000);
    assert_eq!(facts["fax"]["remote_station_id"], "+33 1 23 45 67 89");
    assert_eq!(facts["fax"]["bit_rate"], 14400);
    assert_eq!(facts["fax"]["partial"], false);
    assert_eq!(facts["call_id"], "fax-call@peer");
    assert_eq!(facts["rtp_lost"], 4);
    assert_eq!(
        (
            facts["rtp_foreign"].as_u64(),
            facts["udptl_foreign"].as_u64()
        ),
        (Some(25), Some(2))
    );
    assert_eq!(facts["source"], "sip from 127.0.0.1:5062 (udp)");

    // A fax call that received nothing sends nothing.
    let empty = summary(
        "empty-fax@peer",
        FAX,
        CallCapture::Fax {
            tiff: None,
            report: Some(report("empty-fax@peer", false, 0, None)),
        },
    );
    assert_eq!(commit_call(&spool, &empty).unwrap(), None);
    let rec = empty.to_record(None, Some(200), Some(Reason::RemoteBye), None);
    assert_eq!(rec.kind, CallKind::Fax);
    assert_eq!(rec.status, CallStatus::Failed);
    assert_eq!(rec.pages, Some(0));
    assert!(
        rec.reason
            .as_deref()
            .unwrap()
            .contains("The call dropped prematurely"),
        "{:?}",
        rec.reason
    );

    // A voicemail, 1.5 s, built from the session's outcome as the gateway does.
    let folder = call_folder(&site, "vm");
    let wav = folder.join("message.wav");
    let wav_data = voicemail_wav();
    std::fs::write(&wav, &wav_data).unwrap();
    let outcome = Outcome::Message {
        path: wav.clone(),
        duration: Duration::from_millis(1500),
        samples: 12_000,
        stopped_by: faxvox::voicemail::StopReason::Hangup,
    };
    let kind = CallCapture::from_media(None, None, Some(&outcome), Duration::from_secs(1));
    let vm_call = summary("vm-call@peer", VOICE, kind);
    let vm_job = commit_call(&spool, &vm_call)
        .unwrap()
        .expect("a voicemail job");
    assert!(!wav.exists());
    assert_eq!(
        std::fs::read(
            site.path()
                .join("spool")
                .join(vm_job.as_str())
                .join(VOICEMAIL_WAV)
        )
        .unwrap(),
        wav_data
    );
    let rec = vm_call.to_record(
        Some(vm_job.to_string()),
        Some(200),
        Some(Reason::RemoteBye),
        None,
    );
    assert_eq!(rec.kind, CallKind::Voicemail);
    assert_eq!(rec.status, CallStatus::Ok);
    assert_eq!(rec.duration, Duration::from_secs(62));
    assert_eq!(rec.job_id.as_deref(), Some(vm_job.as_str()));
    assert_eq!(rec.rtp_lost, 4);
    assert_eq!((rec.rtp_foreign, rec.udptl_foreign), (25, 2));

    // The caller hung up during the greeting: a missed call, no media.
    let missed = CallCapture::from_media(
        None,
        None,
        Some(&Outcome::MissedCall {
            reason: MissedReason::HungUpBeforeRecording,
        }),
        Duration::from_secs(1),
    );
    let mut missed_call = summary("missed@peer", VOICE, missed);
    missed_call.caller_number = "anonymous".into();
    missed_call.caller_name = None;
    let missed_job = commit_call(&spool, &missed_call)
        .unwrap()
        .expect("a missed-call job");
    let shown = job(&site, missed_job.as_str());
    assert_eq!(shown["manifest"]["facts"]["caller_number"], "");
    assert_eq!(
        shown["manifest"]["facts"]["missed"],
        "hung up before the beep"
    );
    assert_eq!(shown["manifest"]["media"].as_array().unwrap().len(), 0);
    let rec = missed_call.to_record(Some(missed_job.to_string()), Some(200), None, None);
    assert_eq!(rec.kind, CallKind::Missed);

    // A message shorter than the minimum is a missed call too.
    let short = Outcome::Message {
        path: folder.join("short.wav"),
        duration: Duration::from_millis(600),
        samples: 4800,
        stopped_by: faxvox::voicemail::StopReason::Hangup,
    };
    assert!(matches!(
        CallCapture::from_media(None, None, Some(&short), Duration::from_secs(1)),
        CallCapture::Missed { .. }
    ));

    // The unchanged worker delivers all three.
    let out = site.ok(&["spool", "work", "--until-idle"]);
    assert!(out.contains("3 delivered"), "{out}");
    let mails = maildir(&site);
    assert_eq!(mails.len(), 3);
    let mail = |id: &str| mails.iter().find(|m| m.job == id).unwrap();

    let m = mail(fax_job.as_str());
    assert!(m.subject.starts_with("Fax from"), "{}", m.subject);
    assert!(m.subject.contains("2 pages"), "{}", m.subject);
    let (name, pdf) = m.attachment.as_ref().expect("the PDF");
    assert!(name.ends_with(".pdf"), "{name}");
    assert!(pdf.starts_with(b"%PDF"));
    assert!(m.body.contains("+33 1 23 45 67 89"), "{}", m.body);
    assert!(m.body.contains("14400 bit/s"), "{}", m.body);
    assert!(m.body.contains("Dr Martin"), "{}", m.body);

    let m = mail(vm_job.as_str());
    assert!(m.subject.starts_with("Voice message from"), "{}", m.subject);
    let (name, mp3) = m.attachment.as_ref().expect("the recording");
    assert!(name.ends_with(".mp3"), "{name}");
    assert!(!mp3.is_empty());

    let m = mail(missed_job.as_str());
    assert_eq!(m.subject, "Missed call from withheld number");
    assert!(m.attachment.is_none());
    assert!(m.body.contains("no message was left"), "{}", m.body);
}

#[test]
fn a_full_spool_refuses_the_job_and_leaves_the_media_in_place() {
    let site = site();
    // Any real filesystem is fuller than 0.01 %.
    let spool = open_spool(&site, 0.0001);
    let folder = call_folder(&site, "vm");
    let wav = folder.join("message.wav");
    std::fs::write(&wav, voicemail_wav()).unwrap();
    let call = summary(
        "full@peer",
        VOICE,
        CallCapture::Voicemail {
            wav: wav.clone(),
            recorded: Duration::from_millis(1500),
        },
    );
    let err = commit_call(&spool, &call).unwrap_err();
    assert!(err.is_disk_full(), "{err}");
    assert!(wav.is_file(), "the recording stays for salvage");
    let rec = call.to_record(
        None,
        Some(200),
        Some(Reason::RemoteBye),
        Some(err.to_string()),
    );
    assert_eq!(rec.status, CallStatus::Failed);
    assert!(
        rec.reason.as_deref().unwrap().contains("not delivered"),
        "{:?}",
        rec.reason
    );
    assert!(site.ok(&["spool", "list"]).contains("no jobs"));

    // A recording that vanished is an error naming the file, not a silent loss.
    std::fs::remove_file(&wav).unwrap();
    let spool = open_spool(&site, 0.99);
    let err = commit_call(&spool, &call).unwrap_err();
    assert!(matches!(err, CommitError::MissingMedia { .. }), "{err}");
    assert!(err.to_string().contains("message.wav"), "{err}");
}

/// A page cut at the length limit: the facts name it (and the limit), and it is where the
/// fax stopped, even when spandsp had written that page whole.
#[test]
fn a_cut_page_is_in_the_fax_facts() {
    let mut r = report("cut-1", false, 2, None);
    r.page_cut = Some(faxvox::fax::CutPage {
        page: 2,
        rows: 4620,
        max_mm: 600,
        y_dpi: 196,
    });
    let f = faxvox::gateway::commit::fax_facts(&r);
    assert!(f.partial);
    assert_eq!(f.stopped_at_page, Some(2));
    assert_eq!((f.cut_page, f.cut_at_mm), (Some(2), Some(600)));
    let map = faxvox::worker::JobFacts {
        fax: Some(f),
        ..Default::default()
    }
    .to_map();
    assert_eq!(map["fax"]["cut_page"], 2);
    assert_eq!(map["fax"]["cut_at_mm"], 600);
    // Without a cut, neither key is written.
    let f = faxvox::gateway::commit::fax_facts(&report("ok-1", true, 1, None));
    assert_eq!((f.cut_page, f.cut_at_mm), (None, None));
}
