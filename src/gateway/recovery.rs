//! Calls interrupted by a crash or a power cut. Every call works in its own folder under
//! `<spool.dir>/calls/`, which holds `call.json` (who called whom, written when the call is
//! answered) next to the media as it is written (the voicemail WAV is synced as it grows, the
//! fax TIFF page by page). When the gateway starts, whatever such folders remain belong to
//! calls that never finished: their messages are committed like any other, so nothing a
//! caller left is lost; a folder that cannot be committed is kept and logged.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use tracing::{error, info, warn};

use crate::gateway::commit::{commit_call, CallCapture, CallSummary};
use faxvox_spool::{parse_rfc3339, JobId, ListFilter, Spool};

/// Name of the call facts file in a call folder.
pub const CALL_META: &str = "call.json";

/// The facts of a call in progress, as written in its folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallMeta {
    /// SIP Call-ID.
    pub call_id: String,
    /// Account that gets the message.
    pub account: String,
    /// The number as dialled.
    pub dialled: String,
    /// Our line that answered.
    pub line: String,
    /// Caller number as signalled.
    pub caller_number: String,
    /// Caller display name.
    pub caller_name: Option<String>,
    /// When the INVITE arrived, RFC 3339.
    pub start: String,
    /// `sip from ADDR`.
    pub source: String,
}

/// Why a call folder could not be used.
#[derive(Debug, Error)]
pub enum RecoveryError {
    /// The facts file is missing or unreadable.
    #[error("cannot read {path}: {reason}")]
    Meta {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The spool refused the message.
    #[error("cannot commit: {0}")]
    Commit(#[from] crate::gateway::commit::CommitError),
}

impl CallMeta {
    /// Writes the facts into the call folder (synced: a crash right after the answer must
    /// still find them).
    pub fn write(&self, folder: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::fsutil::write_private(&folder.join(CALL_META), &json)
    }

    fn read(folder: &Path) -> Result<CallMeta, RecoveryError> {
        let path = folder.join(CALL_META);
        let bytes = std::fs::read(&path).map_err(|e| RecoveryError::Meta {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| RecoveryError::Meta {
            path,
            reason: e.to_string(),
        })
    }

    /// `start` as a time (the folder's own time when unreadable).
    fn start_time(&self) -> SystemTime {
        parse_rfc3339(&self.start).unwrap_or_else(SystemTime::now)
    }
}

/// One recovered call: its summary and the job it became.
#[derive(Debug)]
pub struct Recovered {
    /// What was committed.
    pub summary: CallSummary,
    /// The job, `None` when there was nothing to deliver (a fax without a page).
    pub job: Option<JobId>,
}

/// Commits the messages of every call folder left under `calls_root` (except those of calls
/// `in_progress`) and removes the folders that were committed. Folders that fail are kept,
/// logged, and reported in the error list; a later pass tries them again.
pub fn recover_calls(
    spool: &Spool,
    calls_root: &Path,
    min_message: Duration,
    in_progress: impl Fn(&Path) -> bool,
) -> (Vec<Recovered>, Vec<(PathBuf, RecoveryError)>) {
    let mut done = Vec::new();
    let mut failed = Vec::new();
    let Ok(entries) = std::fs::read_dir(calls_root) else {
        return (done, failed);
    };
    // Call ids of the jobs in the spool, read once when a folder needs them.
    let mut committed: Option<HashSet<String>> = None;
    for entry in entries.flatten() {
        let folder = entry.path();
        if !folder.is_dir() || in_progress(&folder) {
            continue;
        }
        // A crash right after the commit and before the folder was removed leaves a folder
        // whose message is in the spool already: committing it again would be a second email
        // for the call (the voicemail twice, or a missed-call notice after it).
        let committed = committed.get_or_insert_with(|| committed_call_ids(spool));
        if let Ok(meta) = CallMeta::read(&folder) {
            if committed.contains(&meta.call_id) {
                info!(call_id = %meta.call_id, folder = %folder.display(), "interrupted call already committed; folder removed");
                if let Err(e) = std::fs::remove_dir_all(&folder) {
                    warn!(folder = %folder.display(), error = %e, "cannot remove a call folder");
                }
                continue;
            }
        }
        match recover_one(spool, &folder, min_message) {
            Ok(r) => {
                info!(call_id = %r.summary.call_id, job = ?r.job.as_ref().map(|j| j.to_string()), folder = %folder.display(), "interrupted call recovered");
                if let Err(e) = std::fs::remove_dir_all(&folder) {
                    warn!(folder = %folder.display(), error = %e, "cannot remove a recovered call folder");
                }
                done.push(r);
            }
            Err(e) => {
                error!(folder = %folder.display(), error = %e, "interrupted call NOT recovered; its folder is kept");
                failed.push((folder, e));
            }
        }
    }
    (done, failed)
}

fn recover_one(
    spool: &Spool,
    folder: &Path,
    min_message: Duration,
) -> Result<Recovered, RecoveryError> {
    let meta = CallMeta::read(folder)?;
    let mut tiff = None;
    let mut wav = None;
    if let Ok(entries) = std::fs::read_dir(folder) {
        for e in entries.flatten() {
            let p = e.path();
            match p
                .extension()
                .and_then(|x| x.to_str())
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("tif" | "tiff") => tiff = Some(p),
                Some("wav") => wav = Some(p),
                _ => {}
            }
        }
    }
    let kind = if let Some(tiff) = tiff.filter(|t| usable_tiff(t)) {
        CallCapture::Fax {
            tiff: Some(tiff),
            report: None,
        }
    } else if let Some(wav) = wav {
        match faxvox_codecs::recording::recover_wav(&wav) {
            Ok(info) if info.duration >= min_message => CallCapture::Voicemail {
                wav,
                recorded: info.duration,
            },
            Ok(info) => CallCapture::Missed {
                reason: format!(
                    "message too short ({} ms), call interrupted by a gateway stop",
                    info.duration.as_millis()
                ),
            },
            Err(e) => CallCapture::Missed {
                reason: format!("recording unreadable after a gateway stop: {e}"),
            },
        }
    } else {
        CallCapture::Missed {
            reason: "call interrupted by a gateway stop before any message".into(),
        }
    };
    let start = meta.start_time();
    let ended_at = std::fs::metadata(folder)
        .and_then(|m| m.modified())
        .unwrap_or(start)
        .max(start);
    let summary = CallSummary {
        call_id: meta.call_id.clone(),
        account: meta.account.clone(),
        dialled: meta.dialled.clone(),
        line: meta.line.clone(),
        caller_number: meta.caller_number.clone(),
        caller_name: meta.caller_name.clone(),
        start,
        answered_at: Some(start),
        ended_at,
        kind,
        rtp_lost: 0,
        rtp_foreign: 0,
        udptl_foreign: 0,
        source: format!("{} (recovered after a gateway stop)", meta.source),
    };
    let job = commit_call(spool, &summary)?;
    Ok(Recovered { summary, job })
}

/// The call ids of every job in the spool (live or quarantined), from their facts.
fn committed_call_ids(spool: &Spool) -> HashSet<String> {
    match spool.list(&ListFilter::default()) {
        Ok(jobs) => jobs
            .iter()
            .filter_map(|j| j.manifest.as_ref())
            .filter_map(|m| m.facts.get("call_id").and_then(|v| v.as_str()))
            .map(str::to_string)
            .collect(),
        Err(e) => {
            warn!(error = %e, "cannot list the spool to find calls already committed");
            HashSet::new()
        }
    }
}

/// A fax TIFF with at least one decodable page (a crash can leave a page half written).
fn usable_tiff(path: &Path) -> bool {
    match std::fs::read(path) {
        Ok(bytes) => faxvox_codecs::tiff::read_pages(&bytes).is_ok_and(|d| !d.pages.is_empty()),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxvox_spool::SpoolOptions;

    fn meta(call_id: &str) -> CallMeta {
        CallMeta {
            call_id: call_id.into(),
            account: "acme".into(),
            dialled: "+33299004000".into(),
            line: "+33299004000".into(),
            caller_number: "+33612345678".into(),
            caller_name: None,
            start: "2026-12-07T10:00:00Z".into(),
            source: "sip from 127.0.0.1:5060".into(),
        }
    }

    fn jobs(spool: &Spool) -> usize {
        spool.list(&ListFilter::default()).unwrap().len()
    }

    /// A node killed after the commit moved the recording into its job, but before the call
    /// folder was removed: recovery removes the folder and commits nothing more (neither the
    /// recording's second name again nor a missed-call notice). A folder without media whose
    /// call was never committed still becomes a missed-call notice; one whose commit was cut
    /// before the job appeared still has its recording, under its second name.
    #[test]
    fn a_folder_whose_call_was_committed_is_not_committed_again() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::open(
            tmp.path().join("spool"),
            SpoolOptions::default(),
            SystemTime::now(),
        )
        .unwrap()
        .0;
        let calls = tmp.path().join("calls");
        let folder = calls.join("done");
        std::fs::create_dir_all(&folder).unwrap();
        meta("done@x").write(&folder).unwrap();
        let samples: Vec<i16> = (0..16_000)
            .map(|i| ((i % 40) * 500 - 10_000) as i16)
            .collect();
        let wav = folder.join("done.wav");
        std::fs::write(&wav, faxvox_codecs::recording::wav_bytes(&samples)).unwrap();
        let summary = CallSummary {
            call_id: "done@x".into(),
            account: "acme".into(),
            dialled: "+33299004000".into(),
            line: "+33299004000".into(),
            caller_number: "+33612345678".into(),
            caller_name: None,
            start: SystemTime::now(),
            answered_at: Some(SystemTime::now()),
            ended_at: SystemTime::now(),
            kind: CallCapture::Voicemail {
                wav: wav.clone(),
                recorded: Duration::from_secs(2),
            },
            rtp_lost: 0,
            rtp_foreign: 0,
            udptl_foreign: 0,
            source: "sip from 127.0.0.1:5060".into(),
        };
        commit_call(&spool, &summary).unwrap().expect("a job");
        assert!(!wav.exists(), "the commit moved the recording");
        assert!(
            folder.join("done.keep.wav").is_file(),
            "the folder keeps a second name of the recording until it is removed"
        );
        // …and the node died here, before removing the folder. Another call died during its
        // greeting (nothing recorded, never committed).
        let early = calls.join("early");
        std::fs::create_dir_all(&early).unwrap();
        meta("early@x").write(&early).unwrap();

        // A third died while its recording was being moved into a job not yet published.
        let cut = calls.join("cut");
        std::fs::create_dir_all(&cut).unwrap();
        meta("cut@x").write(&cut).unwrap();
        std::fs::write(
            cut.join("cut.keep.wav"),
            faxvox_codecs::recording::wav_bytes(&samples),
        )
        .unwrap();

        let (mut done, failed) = recover_calls(&spool, &calls, Duration::from_secs(1), |_| false);
        assert!(failed.is_empty(), "{failed:?}");
        done.sort_by(|a, b| a.summary.call_id.cmp(&b.summary.call_id));
        assert_eq!(done.len(), 2, "{done:?}");
        assert_eq!(done[0].summary.call_id, "cut@x");
        assert!(matches!(
            done[0].summary.kind,
            CallCapture::Voicemail { .. }
        ));
        assert_eq!(done[1].summary.call_id, "early@x");
        assert!(matches!(done[1].summary.kind, CallCapture::Missed { .. }));
        assert!(!folder.exists() && !early.exists() && !cut.exists());
        assert_eq!(jobs(&spool), 3, "each call once");
    }
}
