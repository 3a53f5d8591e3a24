//! # faxvox-spool: the durable job spool
//!
//! Every fax and voicemail the gateway captures, and every fax a client sends,
//! is a *job* in this spool before anything else happens to it. The promise:
//! **nothing captured is ever lost** — a message reaches the client's mailbox,
//! or an admin can see exactly why not (`dead` or `quarantined`, with the
//! reason and the full history). The spool knows files and states, not SIP or
//! email.
//!
//! ## On-disk layout
//!
//! ```text
//! <spool.dir>/
//!   20261127T071530Z-3f9a2c1b/        one folder per job; name = job id
//!     manifest.json                   versioned manifest (see below)
//!     page-001.tiff, message.wav …    media files named in the manifest
//!     .lock                           flock(2) target serialising changes
//!     .worker                         flock(2) held by the worker that owns the claim;
//!                                     free while "sending" = the worker died: reclaim now
//!     .manifest.json.tmp-…            (only while a manifest is being replaced)
//!   .tmp-20261127T071531Z-77aa0c3e/   job being written (invisible; locked by its builder)
//!   .purge-20261001T000000Z-…/        job being deleted by purge
//!   quarantine/
//!     20261127T071400Z-0b1c2d3e/      broken job, moved aside as it was
//!       quarantine.json               {"id", "at", "reason"}
//! ```
//!
//! Job ids are `YYYYMMDDTHHMMSSZ-<8 hex>`: creation second in UTC, then 32 random
//! bits. They sort by creation time and are unique across processes.
//!
//! `manifest.json` (pretty JSON, `"version": 1`) holds the kind (`fax`,
//! `voicemail`, `outbound-fax`, `fax-status`, `webhook`), creation time, the state with its data (lease,
//! next attempt and last error, delivery note, reason), attempt count and start
//! of the retry budget, the media list with sizes, the caller's open `facts`
//! object (kept verbatim, as are unknown top-level fields) and a bounded
//! history of every transition (time, from, to, note). A manifest of another
//! version is quarantined, never guessed at. All times are RFC 3339 UTC.
//!
//! ## States
//!
//! ```text
//! captured ─► ready ─► sending ─► delivered
//!                ▲        │  ▲
//!                │        ▼  │ (next attempt due)
//!                ├──── retrying ──► … ─► dead (permanent error or budget spent)
//!   admin retry ─┴── dead
//! any live state ─► quarantined (corrupt manifest, missing media) ─► ready (admin release)
//! ```
//!
//! The full table is on [`StateName::can_go_to`]; anything else is a
//! [`SpoolError::IllegalTransition`]. Retries follow [`RetryPolicy`] (1 min,
//! doubling, capped at 4 h, dead 5 days after the first attempt).
//!
//! ## Guarantees
//!
//! * **Atomic enqueue.** Media are written into `.tmp-<id>` and fsynced, the
//!   manifest is written and fsynced, the folder is renamed into place and the
//!   root fsynced: a job is either complete or absent. On error, enqueue
//!   leaves nothing behind and puts moved files back.
//! * **Atomic updates.** Every manifest change is write-temp, fsync, rename,
//!   fsync-dir, made under the job's `flock`, after re-reading the manifest.
//! * **Exclusive claims.** [`Spool::claim_due`] changes state under the job's
//!   lock, so two threads or processes never hold the same job; a lease whose
//!   worker died expires and the job is claimed again (counted as an attempt).
//!   Workers prove their claim with a token, so a late worker cannot overwrite
//!   the result of the one that reclaimed its job ([`SpoolError::LeaseLost`]).
//! * **Crash recovery.** [`Spool::open`] (and [`Spool::recover`] at any time)
//!   finishes interrupted commits and purges, deletes empty abandoned temp
//!   folders and manifest temp files, and quarantines abandoned captures that
//!   hold data instead of deleting them. Locks are `flock`s, released by the
//!   kernel when a process dies: no stale lock files.
//! * **Quarantine, not blockage.** A corrupt manifest, an unknown version or a
//!   missing/truncated media file moves that job to `quarantine/` with the reason;
//!   the rest of the spool keeps flowing.
//! * **Purge only what is finished.** [`Spool::purge`] deletes only `delivered`
//!   and `dead` jobs past their [`Retention`], explains every decision, and
//!   changes nothing in a dry run.
//! * **Disk guard.** Above the high-water mark (default 90 %) [`Spool::enqueue`]
//!   and [`Spool::begin`] refuse with [`SpoolError::DiskFull`]; ENOSPC during a
//!   write is the same error.
//! * **No hidden clock.** Every operation takes `now`, so tests replay days of
//!   retries in microseconds and the logic never reads the clock itself.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod disk;
mod error;
mod fsutil;
mod id;
mod manifest;
mod policy;
mod spool;
mod time;

pub use disk::{DiskUsage, DiskUsageSource, Statvfs};
pub use error::{io_is_disk_full, DiskFull, Result, SpoolError};
pub use fsutil::{
    create_dir_all_private, create_dir_private, make_file_private, DIR_MODE, FILE_MODE,
};
pub use id::JobId;
pub use manifest::{
    validate_media_name, HistoryEntry, JobKind, JobState, Lease, Manifest, ManifestError,
    MediaEntry, StateName, MANIFEST_FILE, MANIFEST_VERSION, MAX_HISTORY,
};
pub use policy::{Retention, RetryPolicy};
pub use spool::{
    Claimed, FailOutcome, Job, JobBuilder, ListFilter, ListPage, Media, PurgeAction, PurgeDecision,
    QuarantineNote, RecoveryReport, Spool, SpoolOptions, QUARANTINE_DIR, QUARANTINE_NOTE,
};
pub use time::{format_rfc3339, human, parse_rfc3339};
