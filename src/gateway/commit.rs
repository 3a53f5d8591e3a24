//! The end of a call: what it captured becomes a spool job, exactly as `faxvox spool import`
//! would have made it, so the delivery worker needs nothing new for calls.
//!
//! - A fax that received at least one page → a `fax` job with the TIFF as [`FAX_TIFF`] and the
//!   T.30 report in its facts (pages, partial, station id, bit rate). A fax call that received
//!   nothing enqueues nothing: there is nothing to show the account, and the call record says
//!   what happened.
//! - A voicemail message → a `voicemail` job with the recording as [`VOICEMAIL_WAV`].
//! - A missed call (hung up during the greeting, message shorter than `voicemail.min_secs`,
//!   silence only, recording failure) → a `voicemail` job without media, which the worker
//!   delivers as a missed-call email.
//!
//! Media files are moved into the spool (renamed when on the same filesystem). If the spool
//! refuses the job (disk full), the error is returned and the files stay where they were, for
//! the gateway to log loudly and for an operator to salvage; [`CallSummary::to_record`] puts the
//! error in the call detail record.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use faxvox_spool::{format_rfc3339, JobId, JobKind, Media, Spool, SpoolError};
use serde_json::{json, Map, Value};
use thiserror::Error;
use tracing::{error, info};

use crate::call::media_call::MediaOutcome;
use crate::directory::records::{CallKind, CallStatus, Direction, NewCallRecord};
use crate::directory::validate;
use crate::fax::FaxReport;
use crate::jobs::{FaxFacts, JobFacts};
use crate::sip::call::Reason;
use crate::voicemail::VoicemailSection;
use crate::voicemail::{MissedReason, Outcome};

/// The media names of the jobs a call leaves, defined with the other job facts.
pub use crate::jobs::{FAX_TIFF, VOICEMAIL_WAV};

/// Why a call's capture could not be stored.
#[derive(Debug, Error)]
pub enum CommitError {
    /// The spool refused the job (disk full, I/O error). The media file is left in place.
    #[error("the spool refused the {kind} job: {source}")]
    Spool {
        kind: JobKind,
        #[source]
        source: SpoolError,
    },
    /// The media file the call produced is not there.
    #[error("the {kind} of call {call_id} is missing: {}", path.display())]
    MissingMedia {
        kind: JobKind,
        call_id: String,
        path: PathBuf,
    },
}

impl CommitError {
    /// The spool is full: new calls should get 503 until it drains.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, CommitError::Spool { source, .. } if source.is_disk_full())
    }
}

/// What a call captured.
// One per call, built once: the size of the fax report does not matter, plain fields do.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum CallCapture {
    /// A fax call (on a fax line, or a voicemail line that switched on CNG).
    Fax {
        /// The TIFF the receiver wrote, if any.
        tiff: Option<PathBuf>,
        /// The T.30 session's report; `None` if the session never ended properly.
        report: Option<FaxReport>,
    },
    /// A voice message that was recorded and synced.
    Voicemail {
        /// The 8 kHz mono 16-bit WAV.
        wav: PathBuf,
        /// Length of the message.
        recorded: Duration,
    },
    /// Nothing to deliver but the fact that someone called.
    Missed {
        /// Why, for the call record and the logs.
        reason: String,
    },
}

impl CallCapture {
    /// From what a call's media produced (the fields of the media channel's outcome): a fax
    /// when there is a fax report or TIFF, else the voicemail outcome (a message shorter than
    /// `min_message` becomes a missed call, in case the session ran with another minimum),
    /// else a missed call (hung up before any media session ended).
    pub fn from_media(
        fax: Option<&FaxReport>,
        fax_tiff: Option<&Path>,
        voicemail: Option<&Outcome>,
        min_message: Duration,
    ) -> CallCapture {
        if fax.is_some() || fax_tiff.is_some() {
            return CallCapture::Fax {
                tiff: fax_tiff
                    .map(Path::to_path_buf)
                    .or_else(|| fax.and_then(|r| r.tiff.clone())),
                report: fax.cloned(),
            };
        }
        match voicemail {
            Some(Outcome::Message { duration, .. }) if *duration < min_message => {
                CallCapture::Missed {
                    reason: format!("message too short ({} ms)", duration.as_millis()),
                }
            }
            Some(outcome) => CallCapture::from_voicemail(outcome),
            None => CallCapture::Missed {
                reason: "the call ended before any message".into(),
            },
        }
    }

    /// From a call's media outcome, with the `[voicemail]` minimum length: see
    /// [`CallCapture::from_media`]. A fax line's channel always reports its fax session; when no
    /// session reported anything (media error) the account gets a missed-call notice.
    pub fn from_outcome(outcome: &MediaOutcome, voicemail: &VoicemailSection) -> CallCapture {
        let kind = CallCapture::from_media(
            outcome.fax.as_ref(),
            outcome.fax_tiff.as_deref(),
            outcome.voicemail.as_ref(),
            voicemail.min_message(),
        );
        match (kind, &outcome.error) {
            (CallCapture::Missed { reason }, Some(error))
                if outcome.fax.is_none() && outcome.voicemail.is_none() =>
            {
                CallCapture::Missed {
                    reason: format!("{reason}: {error}"),
                }
            }
            (kind, _) => kind,
        }
    }

    /// From how a voicemail session ended. `SwitchToFax` should not get here (the call
    /// continued as a fax); it is treated as a missed call if it does. A failed recording is
    /// a missed call too (the account learns someone called; the log and record say why).
    pub fn from_voicemail(outcome: &Outcome) -> CallCapture {
        match outcome {
            Outcome::Message { path, duration, .. } => CallCapture::Voicemail {
                wav: path.clone(),
                recorded: *duration,
            },
            Outcome::MissedCall { reason } => CallCapture::Missed {
                reason: missed_reason(reason),
            },
            Outcome::SwitchToFax { .. } => CallCapture::Missed {
                reason: "fax tone heard but no fax received".into(),
            },
            Outcome::Failed { error } => CallCapture::Missed {
                reason: format!("recording failed: {error}"),
            },
        }
    }
}

fn missed_reason(reason: &MissedReason) -> String {
    match reason {
        MissedReason::HungUpBeforeRecording => "hung up before the beep".into(),
        MissedReason::TooShort { duration, .. } => {
            format!("message too short ({} ms)", duration.as_millis())
        }
        MissedReason::NoSpeech { duration, .. } => {
            format!("no speech in {} ms of recording", duration.as_millis())
        }
    }
}

/// Everything the gateway knows about a call when it has ended.
#[derive(Debug, Clone)]
pub struct CallSummary {
    /// SIP Call-ID.
    pub call_id: String,
    /// Account that gets the message.
    pub account: String,
    /// The number as dialled (Request-URI user part, or its E.164 form).
    pub dialled: String,
    /// Our line that answered (E.164; an alias resolved to its target).
    pub line: String,
    /// Caller number as signalled (From user part); empty or `anonymous` when withheld.
    pub caller_number: String,
    /// Caller display name, untrusted.
    pub caller_name: Option<String>,
    /// When the INVITE arrived.
    pub start: SystemTime,
    /// When we answered (sent 200), if we did.
    pub answered_at: Option<SystemTime>,
    /// When the call ended.
    pub ended_at: SystemTime,
    /// What the call captured.
    pub kind: CallCapture,
    /// RTP packets lost on the way in.
    pub rtp_lost: u64,
    /// RTP packets dropped because they came from an address that is not the caller's.
    pub rtp_foreign: u64,
    /// UDPTL packets dropped because they came from an address that is not the caller's.
    pub udptl_foreign: u64,
    /// Where it came from, for the admin: `sip from 192.0.2.7:5060 (udp)`.
    pub source: String,
}

impl CallSummary {
    /// Call length as the email shows it: from the answer (or the INVITE) to the hang-up.
    pub fn duration(&self) -> Duration {
        self.ended_at
            .duration_since(self.answered_at.unwrap_or(self.start))
            .unwrap_or_default()
    }

    /// The call detail record of this call: `job` is what [`commit_call`] returned,
    /// `final_status` the status sent on the INVITE, `reason` why the call ended, `problem`
    /// a commit error (the status becomes `failed`).
    pub fn to_record(
        &self,
        job: Option<String>,
        final_status: Option<u16>,
        reason: Option<Reason>,
        problem: Option<String>,
    ) -> NewCallRecord {
        let (kind, mut status, pages, detail) = match &self.kind {
            CallCapture::Fax { tiff, report } => {
                let pages = report.as_ref().map(|r| r.pages);
                let received = fax_received(tiff.as_deref(), report.as_ref());
                let status = match report {
                    _ if !received => CallStatus::Failed,
                    Some(r) if r.success && r.partial_pages == 0 => CallStatus::Ok,
                    _ => CallStatus::Partial,
                };
                let detail = report.as_ref().map(|r| r.result_text.clone());
                (CallKind::Fax, status, pages, detail)
            }
            CallCapture::Voicemail { .. } => (CallKind::Voicemail, CallStatus::Ok, None, None),
            CallCapture::Missed { reason } => {
                (CallKind::Missed, CallStatus::Ok, None, Some(reason.clone()))
            }
        };
        let mut parts: Vec<String> = detail.into_iter().collect();
        if let Some(r) = reason {
            parts.push(format!("ended: {r}"));
        }
        if let Some(p) = &problem {
            status = CallStatus::Failed;
            parts.push(format!("not delivered: {p}"));
        }
        NewCallRecord {
            call_id: self.call_id.clone(),
            account: Some(self.account.clone()),
            line: Some(self.line.clone()),
            called: self.dialled.clone(),
            caller: self.caller_number.clone(),
            caller_name: self.caller_name.clone(),
            kind,
            direction: Direction::In,
            start: self.start,
            answered: self.answered_at,
            duration: self
                .answered_at
                .and_then(|a| self.ended_at.duration_since(a).ok())
                .unwrap_or_default(),
            pages,
            status,
            sip_status: final_status,
            reason: (!parts.is_empty()).then(|| parts.join("; ")),
            job_id: job,
            rtp_lost: self.rtp_lost,
            rtp_foreign: self.rtp_foreign,
            udptl_foreign: self.udptl_foreign,
            cost: None,
        }
    }
}

/// Whether a fax call produced something to deliver: a TIFF on disk with at least one page.
fn fax_received(tiff: Option<&Path>, report: Option<&FaxReport>) -> bool {
    let on_disk = tiff.is_some_and(Path::is_file);
    match report {
        Some(r) => on_disk && (r.pages > 0 || !r.received_pages.is_empty()),
        None => on_disk,
    }
}

/// Caller number for the facts: E.164 when it reads as one, empty when withheld, else as
/// signalled (national numbers from a trunk, short codes).
fn caller_number(raw: &str) -> String {
    let raw = raw.trim();
    let withheld = [
        "anonymous",
        "unknown",
        "restricted",
        "private",
        "unavailable",
    ];
    if raw.is_empty() || withheld.iter().any(|w| raw.eq_ignore_ascii_case(w)) {
        return String::new();
    }
    validate::normalize_number(raw).unwrap_or_else(|_| raw.to_string())
}

/// The fax facts a T.30 receive report gives. Shared with `spool import`, which knows only
/// the page count.
pub fn fax_facts(report: &FaxReport) -> FaxFacts {
    let written = report.received_pages.len() as u32;
    let first_partial = report
        .received_pages
        .iter()
        .position(|p| p.partial)
        .map(|i| i as u32 + 1);
    let partial = !report.success || first_partial.is_some();
    FaxFacts {
        pages_expected: report.pages_expected,
        partial,
        stopped_at_page: if partial {
            // A page cut at the length limit is where the call was ended.
            report
                .page_cut
                .as_ref()
                .map(|c| c.page)
                .or(first_partial)
                .or(Some(written.max(report.pages) + 1))
        } else {
            None
        },
        remote_station_id: Some(report.remote_station_id.trim().to_string())
            .filter(|s| !s.is_empty()),
        bit_rate: (report.bit_rate > 0).then_some(report.bit_rate),
        cut_page: report.page_cut.as_ref().map(|c| c.page),
        cut_at_mm: report.page_cut.as_ref().map(|c| c.max_mm),
    }
}

/// The facts of a call's job (who, when, how long, fax report), plus the call's own keys
/// (`call_id`, `line`, `rtp_lost`, `rtp_foreign`, `udptl_foreign`, `fax_result`) which the
/// worker ignores but an operator
/// sees in `spool show`.
pub fn job_facts(summary: &CallSummary) -> Map<String, Value> {
    let called =
        validate::normalize_number(&summary.dialled).unwrap_or_else(|_| summary.line.clone());
    let mut facts = JobFacts {
        account: Some(summary.account.clone()),
        caller_number: caller_number(&summary.caller_number),
        caller_name: summary
            .caller_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        called_number: called,
        start: Some(format_rfc3339(summary.start)),
        duration_ms: u64::try_from(summary.duration().as_millis()).unwrap_or(u64::MAX),
        fax: None,
        source: Some(summary.source.clone()),
    };
    let mut extra = vec![
        ("call_id", json!(summary.call_id)),
        ("line", json!(summary.line)),
        ("rtp_lost", json!(summary.rtp_lost)),
        ("rtp_foreign", json!(summary.rtp_foreign)),
        ("udptl_foreign", json!(summary.udptl_foreign)),
    ];
    match &summary.kind {
        CallCapture::Fax { report, .. } => {
            facts.fax = Some(report.as_ref().map(fax_facts).unwrap_or_default());
            if let Some(r) = report {
                extra.push(("fax_result", json!(r.result_text)));
                extra.push(("fax_transport", json!(r.transport)));
            }
        }
        CallCapture::Missed { reason } => {
            extra.push(("missed", json!(reason)));
        }
        CallCapture::Voicemail { .. } => {}
    }
    let mut map = facts.to_map();
    for (k, v) in extra {
        map.insert(k.to_string(), v);
    }
    map
}

/// The webhook event of a committed call's job `job` (`None` for a missed call: nothing was
/// received, the account gets its missed-call email only).
pub fn webhook_event(summary: &CallSummary, job: &JobId) -> Option<crate::webhook::Event> {
    let (kind, pages) = match &summary.kind {
        CallCapture::Fax { report, .. } => (JobKind::Fax, report.as_ref().map(|r| r.pages)),
        CallCapture::Voicemail { .. } => (JobKind::Voicemail, None),
        CallCapture::Missed { .. } => return None,
    };
    crate::webhook::Event::inbound(job, kind, &job_facts(summary), pages, SystemTime::now())
}

/// Turns what a call captured into a spool job; see the module documentation. `Ok(None)`:
/// nothing to deliver (a fax call that received no page).
pub fn commit_call(spool: &Spool, summary: &CallSummary) -> Result<Option<JobId>, CommitError> {
    let call_id = summary.call_id.as_str();
    let (kind, media): (JobKind, Option<(&str, &Path)>) = match &summary.kind {
        CallCapture::Fax { tiff, report } => {
            if !fax_received(tiff.as_deref(), report.as_ref()) {
                info!(
                    call_id,
                    result = report.as_ref().map(|r| r.result_text.as_str()),
                    "fax call received no page: nothing to deliver"
                );
                return Ok(None);
            }
            let tiff = tiff.as_deref().expect("fax_received checked the file");
            (JobKind::Fax, Some((FAX_TIFF, tiff)))
        }
        CallCapture::Voicemail { wav, .. } => {
            if !wav.is_file() {
                error!(call_id, path = %wav.display(), "voicemail recording missing");
                return Err(CommitError::MissingMedia {
                    kind: JobKind::Voicemail,
                    call_id: call_id.to_string(),
                    path: wav.clone(),
                });
            }
            (JobKind::Voicemail, Some((VOICEMAIL_WAV, wav.as_path())))
        }
        CallCapture::Missed { .. } => (JobKind::Voicemail, None),
    };
    let facts = job_facts(summary);
    // A second name for the media in the call folder while the spool moves the first into the
    // job: a crash between that move and the job's publication leaves the call folder with its
    // media (recovery commits them), not an empty folder beside a half-made job. The caller
    // removes the folder, with this name, once the job is committed.
    let keep = media.and_then(|(_, path)| keep_link(path));
    let media: Vec<(&str, Media<'_>)> = media
        .into_iter()
        .map(|(name, path)| (name, Media::Move(path)))
        .collect();
    let enqueued = spool.enqueue(SystemTime::now(), kind, facts, &media);
    if enqueued.is_err() {
        if let Some(keep) = &keep {
            let _ = std::fs::remove_file(keep);
        }
    }
    match enqueued {
        Ok(id) => {
            info!(call_id, job = %id, kind = %kind, account = %summary.account, missed = media.is_empty(), "call committed to the spool");
            Ok(Some(id))
        }
        Err(source) => {
            error!(call_id, kind = %kind, account = %summary.account, error = %source,
                "CALL LOST: the spool refused the job; its media stay in place");
            Err(CommitError::Spool { kind, source })
        }
    }
}

/// Hard-links `path` as `<stem>.keep.<ext>` beside it (see [`commit_call`]); `None` when the
/// file system refuses (the commit goes on without it).
fn keep_link(path: &Path) -> Option<PathBuf> {
    let stem = path.file_stem()?.to_str()?;
    if stem.ends_with(".keep") {
        return None;
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("bin");
    let keep = path.with_file_name(format!("{stem}.keep.{ext}"));
    let _ = std::fs::remove_file(&keep);
    std::fs::hard_link(path, &keep).ok()?;
    Some(keep)
}
