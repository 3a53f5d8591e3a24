//! `manifest.json`: everything the spool knows about one job, versioned, with the
//! state machine and its history.

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Result, SpoolError};
use crate::id::JobId;
use crate::time::{serde_rfc3339, serde_rfc3339_opt};

/// The manifest format this build writes and reads. A manifest with another
/// version is quarantined instead of being misread.
pub const MANIFEST_VERSION: u32 = 1;
/// File name of the manifest inside a job folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// At most this many history entries are kept; older ones (except the first,
/// the creation) are dropped and counted in `history_dropped`.
pub const MAX_HISTORY: usize = 200;

/// What the job carries. Only delivery cares; the spool treats all alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobKind {
    /// A received fax (pages as TIFF) to email.
    Fax,
    /// A voicemail recording to email.
    Voicemail,
    /// A client's fax to send out.
    OutboundFax,
    /// The status email of an outbound fax once it is final (with its transmission report).
    FaxStatus,
    /// A signed webhook event to POST to the account's URL.
    Webhook,
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JobKind::Fax => "fax",
            JobKind::Voicemail => "voicemail",
            JobKind::OutboundFax => "outbound-fax",
            JobKind::FaxStatus => "fax-status",
            JobKind::Webhook => "webhook",
        })
    }
}

/// The name of a state, without its data: for filters, errors and history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StateName {
    /// Committed but held back (e.g. waiting for a schedule or approval).
    Captured,
    /// Waiting for a worker.
    Ready,
    /// Held by a worker under a lease.
    Sending,
    /// Failed; waits until its next attempt time.
    Retrying,
    /// Handed off (e.g. SMTP accepted it). Terminal; purged after retention.
    Delivered,
    /// Given up (permanent failure or retry budget spent). Purged after retention;
    /// an admin can still retry it.
    Dead,
    /// Broken (corrupt manifest, missing media…); waits for an admin.
    Quarantined,
}

impl StateName {
    /// All states, in lifecycle order.
    pub const ALL: [StateName; 7] = [
        StateName::Captured,
        StateName::Ready,
        StateName::Sending,
        StateName::Retrying,
        StateName::Delivered,
        StateName::Dead,
        StateName::Quarantined,
    ];

    /// The state's name as written in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            StateName::Captured => "captured",
            StateName::Ready => "ready",
            StateName::Sending => "sending",
            StateName::Retrying => "retrying",
            StateName::Delivered => "delivered",
            StateName::Dead => "dead",
            StateName::Quarantined => "quarantined",
        }
    }

    /// Whether the spool allows `self -> to`. The table (anything else is a
    /// [`SpoolError::IllegalTransition`]):
    ///
    /// | from | to |
    /// |---|---|
    /// | captured | ready, dead (cancel), quarantined |
    /// | ready | sending (claim), dead (cancel), quarantined |
    /// | sending | delivered, retrying, dead, sending (reclaim after lease expiry), quarantined |
    /// | retrying | sending (claim), ready (admin retry), dead (cancel), quarantined |
    /// | dead | ready (admin retry), quarantined |
    /// | quarantined | ready (admin release) |
    /// | delivered | — (terminal; only purge removes it) |
    pub fn can_go_to(self, to: StateName) -> bool {
        use StateName::*;
        matches!(
            (self, to),
            (Captured, Ready | Dead | Quarantined)
                | (Ready, Sending | Dead | Quarantined)
                | (Sending, Delivered | Retrying | Dead | Sending | Quarantined)
                | (Retrying, Sending | Ready | Dead | Quarantined)
                | (Dead, Ready | Quarantined)
                | (Quarantined, Ready)
        )
    }
}

impl fmt::Display for StateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A worker's hold on a job in `sending`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Who holds it (host:pid:thread, or any label the gateway chooses).
    pub worker: String,
    /// Random per claim: proves the holder is the claimant, not a later one.
    pub token: String,
    /// After this time the job is due again (the worker is presumed dead).
    #[serde(with = "serde_rfc3339")]
    pub expires: SystemTime,
}

/// The state with its data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum JobState {
    /// See [`StateName::Captured`].
    Captured,
    /// See [`StateName::Ready`].
    Ready,
    /// See [`StateName::Sending`].
    Sending {
        /// The current holder.
        lease: Lease,
    },
    /// See [`StateName::Retrying`].
    Retrying {
        /// Not due before this time.
        #[serde(with = "serde_rfc3339")]
        next_attempt: SystemTime,
        /// What went wrong last time.
        last_error: String,
    },
    /// See [`StateName::Delivered`].
    Delivered {
        /// When the hand-off was confirmed.
        #[serde(with = "serde_rfc3339")]
        at: SystemTime,
        /// Proof of hand-off (e.g. the SMTP reply).
        note: String,
    },
    /// See [`StateName::Dead`].
    Dead {
        /// When it was given up.
        #[serde(with = "serde_rfc3339")]
        at: SystemTime,
        /// Why, in words an admin can act on.
        reason: String,
    },
    /// See [`StateName::Quarantined`].
    Quarantined {
        /// When it was quarantined.
        #[serde(with = "serde_rfc3339")]
        at: SystemTime,
        /// What is broken.
        reason: String,
    },
}

impl JobState {
    /// The state's name.
    pub fn name(&self) -> StateName {
        match self {
            JobState::Captured => StateName::Captured,
            JobState::Ready => StateName::Ready,
            JobState::Sending { .. } => StateName::Sending,
            JobState::Retrying { .. } => StateName::Retrying,
            JobState::Delivered { .. } => StateName::Delivered,
            JobState::Dead { .. } => StateName::Dead,
            JobState::Quarantined { .. } => StateName::Quarantined,
        }
    }

    /// Whether a worker may claim the job at `now`: ready, retrying and due, or
    /// sending with an expired lease (its worker died or hung).
    pub fn is_due(&self, now: SystemTime) -> bool {
        match self {
            JobState::Ready => true,
            JobState::Retrying { next_attempt, .. } => *next_attempt <= now,
            JobState::Sending { lease } => lease.expires <= now,
            _ => false,
        }
    }
}

/// One media file of a job, as committed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaEntry {
    /// File name inside the job folder.
    pub name: String,
    /// Size in bytes at commit; a different size on disk means corruption.
    pub size: u64,
}

/// One line of the job's story.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When.
    #[serde(with = "serde_rfc3339")]
    pub at: SystemTime,
    /// Previous state (`None` for the creation).
    pub from: Option<StateName>,
    /// New state.
    pub to: StateName,
    /// What happened, for the admin.
    pub note: String,
}

/// The content of `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`MANIFEST_VERSION`] when written by this build.
    pub version: u32,
    /// Same as the folder name.
    pub id: JobId,
    /// What the job carries.
    pub kind: JobKind,
    /// When the job was begun.
    #[serde(with = "serde_rfc3339")]
    pub created: SystemTime,
    /// Current state.
    pub state: JobState,
    /// When the current state was entered (retention ages count from here).
    #[serde(with = "serde_rfc3339")]
    pub state_since: SystemTime,
    /// Delivery attempts (claims) since the budget was last reset.
    #[serde(default)]
    pub attempts: u32,
    /// Start of the retry budget: the first claim since the last reset.
    #[serde(
        default,
        with = "serde_rfc3339_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_attempt: Option<SystemTime>,
    /// The latest delivery error, kept after it is resolved, for the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Media files, all present and fsynced before the job became visible.
    pub media: Vec<MediaEntry>,
    /// The caller's data (caller, callee, account, T.30 report…): opaque to the
    /// spool and preserved as is, so later modules extend it freely.
    #[serde(default)]
    pub facts: Map<String, Value>,
    /// Every transition, oldest first (bounded by [`MAX_HISTORY`]).
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    /// History entries dropped to keep the manifest small.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub history_dropped: u32,
    /// Top-level fields this build does not know (written by a newer minor
    /// revision of version 1): kept and written back untouched.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Why a manifest cannot be read; its text is the quarantine reason.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Not JSON at all.
    #[error("manifest.json is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// No `version` field.
    #[error("manifest.json has no \"version\" field")]
    NoVersion,
    /// A format version this build does not read.
    #[error("manifest.json has version {0}; this build reads version {MANIFEST_VERSION} only")]
    Version(u64),
    /// A `version` that is not a number.
    #[error("manifest.json has a non-numeric version {0}")]
    BadVersion(String),
    /// JSON, but not a manifest of this version.
    #[error("manifest.json does not match format version 1: {0}")]
    Format(#[source] serde_json::Error),
    /// The manifest belongs to another job folder.
    #[error("manifest.json names job {named} but sits in folder {folder}")]
    WrongFolder {
        /// The job id the manifest names.
        named: String,
        /// The folder it was found in.
        folder: String,
    },
}

impl Manifest {
    /// A new manifest in `captured`, with its creation in the history.
    pub(crate) fn new(
        id: JobId,
        kind: JobKind,
        created: SystemTime,
        facts: Map<String, Value>,
        media: Vec<MediaEntry>,
    ) -> Manifest {
        let bytes: u64 = media.iter().map(|m| m.size).sum();
        let note = format!("captured {} media file(s), {} bytes", media.len(), bytes);
        Manifest {
            version: MANIFEST_VERSION,
            id,
            kind,
            created,
            state: JobState::Captured,
            state_since: created,
            attempts: 0,
            first_attempt: None,
            last_error: None,
            media,
            facts,
            history: vec![HistoryEntry {
                at: created,
                from: None,
                to: StateName::Captured,
                note,
            }],
            history_dropped: 0,
            extra: Map::new(),
        }
    }

    /// Moves to `to` if the table in [`StateName::can_go_to`] allows it, and
    /// records the change in the history.
    pub(crate) fn transition(
        &mut self,
        now: SystemTime,
        to: JobState,
        note: impl Into<String>,
    ) -> Result<()> {
        let from = self.state.name();
        if !from.can_go_to(to.name()) {
            return Err(SpoolError::IllegalTransition {
                id: self.id.clone(),
                from,
                to: to.name(),
            });
        }
        self.history.push(HistoryEntry {
            at: now,
            from: Some(from),
            to: to.name(),
            note: note.into(),
        });
        if self.history.len() > MAX_HISTORY {
            let excess = self.history.len() - MAX_HISTORY;
            self.history.drain(1..1 + excess);
            self.history_dropped += excess as u32;
        }
        self.state = to;
        self.state_since = now;
        Ok(())
    }

    /// The manifest as written to disk (pretty JSON, so an admin can read it).
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("manifest serialises");
        v.push(b'\n');
        v
    }

    /// Parses manifest bytes, refusing versions other than [`MANIFEST_VERSION`]
    /// and an id that does not match the folder. The error is the quarantine reason.
    pub fn parse(
        bytes: &[u8],
        expected_id: Option<&JobId>,
    ) -> std::result::Result<Manifest, ManifestError> {
        let value: Value = serde_json::from_slice(bytes).map_err(ManifestError::Json)?;
        let version = value.get("version").ok_or(ManifestError::NoVersion)?;
        match version.as_u64() {
            Some(v) if v == MANIFEST_VERSION as u64 => {}
            Some(v) => return Err(ManifestError::Version(v)),
            None => return Err(ManifestError::BadVersion(version.to_string())),
        }
        let m: Manifest = serde_json::from_value(value).map_err(ManifestError::Format)?;
        if let Some(expected) = expected_id {
            if &m.id != expected {
                return Err(ManifestError::WrongFolder {
                    named: m.id.to_string(),
                    folder: expected.to_string(),
                });
            }
        }
        Ok(m)
    }

    /// Total bytes of media.
    pub fn media_bytes(&self) -> u64 {
        self.media.iter().map(|m| m.size).sum()
    }

    /// The reason shown for a dead or quarantined job, or the last error.
    pub fn problem(&self) -> Option<&str> {
        match &self.state {
            JobState::Dead { reason, .. } | JobState::Quarantined { reason, .. } => Some(reason),
            JobState::Retrying { last_error, .. } => Some(last_error),
            _ => None,
        }
    }
}

/// Checks a media name: a plain file name that cannot escape the job folder or
/// clash with the spool's own files (which all start with a dot, or are the manifest).
pub fn validate_media_name(name: &str) -> Result<()> {
    let bad = |why| {
        Err(SpoolError::InvalidMediaName {
            name: name.to_string(),
            why,
        })
    };
    if name.is_empty() {
        return bad("empty");
    }
    if name.len() > 200 {
        return bad("longer than 200 bytes");
    }
    if name.starts_with('.') {
        return bad("starts with a dot (reserved for spool files)");
    }
    if name.contains('/') || name.contains('\\') || name.contains('\0') {
        return bad("contains a path separator or NUL");
    }
    if name.chars().any(char::is_control) {
        return bad("contains control characters");
    }
    if name == MANIFEST_FILE || name == crate::spool::QUARANTINE_NOTE {
        return bad("reserved for the spool");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_table() {
        use StateName::*;
        let allowed = [
            (Captured, Ready),
            (Captured, Dead),
            (Captured, Quarantined),
            (Ready, Sending),
            (Ready, Dead),
            (Ready, Quarantined),
            (Sending, Delivered),
            (Sending, Retrying),
            (Sending, Dead),
            (Sending, Sending),
            (Sending, Quarantined),
            (Retrying, Sending),
            (Retrying, Ready),
            (Retrying, Dead),
            (Retrying, Quarantined),
            (Dead, Ready),
            (Dead, Quarantined),
            (Quarantined, Ready),
        ];
        for from in StateName::ALL {
            for to in StateName::ALL {
                assert_eq!(
                    from.can_go_to(to),
                    allowed.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
        for to in StateName::ALL {
            assert!(!Delivered.can_go_to(to), "delivered is terminal");
        }
    }

    #[test]
    fn media_names() {
        for ok in [
            "page-001.tiff",
            "message.wav",
            "doc.pdf",
            "a b.txt",
            "ünïcode.tif",
        ] {
            validate_media_name(ok).unwrap();
        }
        for bad in [
            "",
            ".lock",
            "../x",
            "a/b",
            "manifest.json",
            "quarantine.json",
            "a\nb",
        ] {
            assert!(validate_media_name(bad).is_err(), "{bad:?}");
        }
    }
}
