//! The one error type of the spool. Variants are typed so callers can act on them:
//! [`SpoolError::DiskFull`] becomes SIP 503, [`SpoolError::LeaseLost`] tells a
//! worker to drop its result, [`SpoolError::IllegalTransition`] is a bug or an
//! admin mistake, never a silent no-op.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::id::JobId;
use crate::manifest::StateName;

/// Why the spool refuses to take new work.
#[derive(Debug, Clone, PartialEq)]
pub enum DiskFull {
    /// The spool's filesystem is above the configured high-water mark.
    HighWater {
        /// Fraction of the filesystem in use (0.0–1.0).
        used: f64,
        /// Configured limit (0.0–1.0).
        limit: f64,
    },
    /// A write failed with ENOSPC or EDQUOT.
    NoSpace {
        /// The file being written.
        path: PathBuf,
    },
}

impl fmt::Display for DiskFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiskFull::HighWater { used, limit } => write!(
                f,
                "filesystem {:.1} % used, above the high-water mark of {:.1} %",
                used * 100.0,
                limit * 100.0
            ),
            DiskFull::NoSpace { path } => {
                write!(f, "no space left while writing {}", path.display())
            }
        }
    }
}

/// Everything that can go wrong in the spool.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// New work is refused: the disk is (nearly) full. The gateway answers SIP 503.
    #[error("spool full: {0}")]
    DiskFull(DiskFull),
    /// No job with this id in the spool or its quarantine.
    #[error("job {0} not found")]
    NotFound(JobId),
    /// The requested state change is not allowed from the job's current state.
    #[error("job {id}: illegal transition {from} -> {to}")]
    IllegalTransition {
        /// The job.
        id: JobId,
        /// Its current state.
        from: StateName,
        /// The state that was asked for.
        to: StateName,
    },
    /// The worker's lease is no longer valid: the job was reclaimed by another
    /// worker after the lease expired, or changed by an admin.
    #[error("job {id}: lease lost: {detail}")]
    LeaseLost {
        /// The job.
        id: JobId,
        /// What the job looks like now.
        detail: String,
    },
    /// The job's manifest or media are broken; it has been moved to quarantine.
    #[error("job {id} quarantined: {reason}")]
    Quarantined {
        /// The job.
        id: JobId,
        /// Why.
        reason: String,
    },
    /// A media name that could escape the job folder or clash with spool files.
    #[error("invalid media name {name:?}: {why}")]
    InvalidMediaName {
        /// The rejected name.
        name: String,
        /// Why it is rejected.
        why: &'static str,
    },
    /// A media file registered with a builder was never written.
    #[error("media file {name:?} was registered but not written")]
    MissingMedia {
        /// The media name.
        name: String,
    },
    /// Text that is not a job id.
    #[error("invalid job id {0:?}")]
    InvalidJobId(String),
    /// Bad configuration (e.g. a high-water mark outside 0–1).
    #[error("invalid spool options: {0}")]
    InvalidOptions(String),
    /// Any other I/O failure, with what was being done and where.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// Where.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

impl SpoolError {
    /// True when the caller should refuse new work (SIP 503) rather than retry at once.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, SpoolError::DiskFull(_))
    }

    /// Wraps an I/O error; ENOSPC and EDQUOT become [`SpoolError::DiskFull`].
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> SpoolError {
        let path = path.into();
        if io_is_disk_full(&source) {
            SpoolError::DiskFull(DiskFull::NoSpace { path })
        } else {
            SpoolError::Io { op, path, source }
        }
    }
}

/// True for the OS errors that mean "no space": ENOSPC, EDQUOT.
///
/// Public so code that streams media into a [`crate::JobBuilder`] path itself can
/// classify its own write errors the same way.
pub fn io_is_disk_full(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT))
}

/// Shorthand used throughout the crate.
pub type Result<T, E = SpoolError> = std::result::Result<T, E>;

/// `map_err` helper: `.map_err(ioe("read", &path))`.
pub(crate) fn ioe<'a>(
    op: &'static str,
    path: &'a std::path::Path,
) -> impl FnOnce(io::Error) -> SpoolError + 'a {
    move |e| SpoolError::io(op, path, e)
}
