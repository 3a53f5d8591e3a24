//! The spool itself: folders, locks, state changes.

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::disk::{DiskUsage, DiskUsageSource, Statvfs};
use crate::error::{ioe, DiskFull, Result, SpoolError};
use crate::fsutil::{self, Flock, Wait};
use crate::id::JobId;
use crate::manifest::{
    validate_media_name, JobKind, JobState, Lease, Manifest, MediaEntry, StateName, MANIFEST_FILE,
};
use crate::policy::{Retention, RetryPolicy};
use crate::time::{self, serde_rfc3339};

/// Folder under the spool root where broken jobs are moved.
pub const QUARANTINE_DIR: &str = "quarantine";
/// Note written into a quarantined job folder: when and why.
pub const QUARANTINE_NOTE: &str = "quarantine.json";
/// Per-job lock file (`flock(2)`), inside the job folder.
const LOCK_FILE: &str = ".lock";
/// Held (flock) by the worker for as long as it owns a claim: when the worker process dies the
/// kernel releases it, so its job can be taken back at once instead of after the lease.
const WORKER_FILE: &str = ".worker";
/// Prefix of a job folder being written (invisible until renamed into place).
const TMP_PREFIX: &str = ".tmp-";
/// Prefix of a job folder being deleted by purge.
const PURGE_PREFIX: &str = ".purge-";
/// A manifest larger than this is treated as corrupt rather than read into memory.
const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// Spool settings. Everything has a safe default; tests inject the disk usage.
#[derive(Clone)]
pub struct SpoolOptions {
    /// Refuse new jobs when more than this fraction of the filesystem is used
    /// (default 0.90).
    pub high_water: f64,
    /// Retry schedule and budget.
    pub retry: RetryPolicy,
    /// Where disk usage comes from (default: `statvfs` on the spool root).
    pub disk: Arc<dyn DiskUsageSource>,
    /// A temp folder untouched for this long, and not locked by a live builder,
    /// is considered abandoned by a crash (default 1 minute).
    pub stale_temp_after: Duration,
}

impl Default for SpoolOptions {
    fn default() -> Self {
        SpoolOptions {
            high_water: 0.90,
            retry: RetryPolicy::default(),
            disk: Arc::new(Statvfs),
            stale_temp_after: Duration::from_secs(60),
        }
    }
}

impl fmt::Debug for SpoolOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpoolOptions")
            .field("high_water", &self.high_water)
            .field("retry", &self.retry)
            .field("stale_temp_after", &self.stale_temp_after)
            .finish_non_exhaustive()
    }
}

impl SpoolOptions {
    /// Replaces the disk usage source (tests: a closure returning
    /// [`DiskUsage::simulated`]).
    pub fn with_disk_usage(mut self, source: impl DiskUsageSource + 'static) -> Self {
        self.disk = Arc::new(source);
        self
    }

    /// Sets the high-water mark (0.0–1.0].
    pub fn with_high_water(mut self, fraction: f64) -> Self {
        self.high_water = fraction;
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    fn validate(&self) -> Result<()> {
        if !(self.high_water > 0.0 && self.high_water <= 1.0) {
            return Err(SpoolError::InvalidOptions(format!(
                "high_water must be in (0, 1], got {}",
                self.high_water
            )));
        }
        if self.retry.first_delay.is_zero() || self.retry.max_delay < self.retry.first_delay {
            return Err(SpoolError::InvalidOptions(
                "retry delays must be positive and max_delay >= first_delay".into(),
            ));
        }
        Ok(())
    }
}

/// A media file handed to [`Spool::enqueue`].
#[derive(Clone, Copy, Debug)]
pub enum Media<'a> {
    /// Bytes in memory, written and fsynced into the job folder.
    Bytes(&'a [u8]),
    /// A file to move in (rename; copy + fsync across filesystems, the original
    /// being removed only once the job is committed). If the enqueue fails the
    /// file is put back where it was.
    Move(&'a Path),
}

/// What [`Spool::recover`] found and did. Every action is also logged.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecoveryReport {
    /// Abandoned temp folders without any data, deleted.
    pub removed_temp: Vec<PathBuf>,
    /// Abandoned temp folders whose manifest was already written (the crash hit
    /// between manifest and rename): the commit was finished.
    pub rolled_forward: Vec<JobId>,
    /// Abandoned temp folders holding data but no manifest (a capture cut short):
    /// moved to quarantine, never deleted, with the reason.
    pub salvaged: Vec<(JobId, String)>,
    /// Half-written manifest temp files, deleted (the manifest itself is intact).
    pub removed_manifest_temps: Vec<PathBuf>,
    /// Job folders whose purge was interrupted, deleted.
    pub finished_purges: Vec<PathBuf>,
    /// Jobs with a corrupt manifest or missing media, moved to quarantine.
    pub quarantined: Vec<(JobId, String)>,
    /// Temp folders still being written (locked or recently touched), left alone.
    pub in_progress: Vec<PathBuf>,
    /// Entries recovery could not handle (e.g. permissions); the rest was done.
    pub errors: Vec<String>,
}

impl RecoveryReport {
    /// True when nothing needed fixing.
    pub fn is_clean(&self) -> bool {
        self.removed_temp.is_empty()
            && self.rolled_forward.is_empty()
            && self.salvaged.is_empty()
            && self.removed_manifest_temps.is_empty()
            && self.finished_purges.is_empty()
            && self.quarantined.is_empty()
            && self.errors.is_empty()
    }
}

/// A job held by a worker. Pass it back to [`Spool::complete`] or [`Spool::fail`].
#[derive(Clone, Debug)]
pub struct Claimed {
    /// The job.
    pub id: JobId,
    /// Its folder (read media from here).
    pub dir: PathBuf,
    /// The worker that holds it.
    pub worker: String,
    /// Proof of this claim (a later reclaim gets a new token).
    pub token: String,
    /// The lease ends here; after that another worker may take the job.
    pub lease_expires: SystemTime,
    /// Attempt number within the current retry budget (1 for the first).
    pub attempt: u32,
    /// The manifest as of the claim.
    pub manifest: Manifest,
    /// The claim's liveness lock on `.worker`; released when the last clone is dropped or the
    /// process dies. `None` when a lease was taken over from a worker that is still alive.
    _alive: Option<std::sync::Arc<Flock>>,
}

impl Claimed {
    /// Path of a media file of this job.
    pub fn media_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The caller's facts.
    pub fn facts(&self) -> &Map<String, Value> {
        &self.manifest.facts
    }
}

/// What [`Spool::fail`] decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailOutcome {
    /// Will be due again at this time.
    Retrying {
        /// Next attempt.
        next_attempt: SystemTime,
    },
    /// Given up; the reason is in the manifest.
    Dead {
        /// Why.
        reason: String,
    },
}

/// One job as seen by [`Spool::list`] / [`Spool::get`].
#[derive(Clone, Debug)]
pub struct Job {
    /// The job.
    pub id: JobId,
    /// Its folder (in the spool root or in `quarantine/`).
    pub dir: PathBuf,
    /// True when the folder is in `quarantine/`.
    pub quarantined: bool,
    /// The manifest, if it could be read.
    pub manifest: Option<Manifest>,
    /// What is wrong, if anything: quarantine reason, dead reason, last error,
    /// or why the manifest cannot be read (such a job is quarantined by the next
    /// claim, purge or recovery).
    pub problem: Option<String>,
}

impl Job {
    /// The job's state; `None` only for a live job whose manifest is unreadable.
    pub fn state(&self) -> Option<StateName> {
        if self.quarantined {
            Some(StateName::Quarantined)
        } else {
            self.manifest.as_ref().map(|m| m.state.name())
        }
    }
}

/// Which jobs [`Spool::list`] returns. The default returns all.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Only these states (empty: all). Unreadable live jobs only match "all".
    pub states: Vec<StateName>,
    /// Only this kind.
    pub kind: Option<JobKind>,
}

impl ListFilter {
    /// Jobs in one state.
    pub fn state(state: StateName) -> Self {
        ListFilter {
            states: vec![state],
            kind: None,
        }
    }

    /// Narrows to one kind.
    pub fn with_kind(mut self, kind: JobKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Whether `job` passes the filter.
    pub fn matches(&self, job: &Job) -> bool {
        let state_ok =
            self.states.is_empty() || job.state().is_some_and(|s| self.states.contains(&s));
        let kind_ok = match self.kind {
            None => true,
            Some(k) => job.manifest.as_ref().is_some_and(|m| m.kind == k),
        };
        state_ok && kind_ok
    }
}

/// What purge did (or, in a dry run, would do) with a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PurgeAction {
    /// Stays.
    Keep,
    /// Goes: retention has passed. In a dry run nothing is deleted.
    Delete,
}

/// One line of the purge report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurgeDecision {
    /// The job.
    pub id: JobId,
    /// Its state (`None`: manifest unreadable).
    pub state: Option<StateName>,
    /// Time spent in that state.
    pub age: Duration,
    /// Keep or delete.
    pub action: PurgeAction,
    /// Why, in words.
    pub reason: String,
    /// True once the folder is actually gone (never in a dry run).
    pub deleted: bool,
}

/// Content of `quarantine.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineNote {
    /// The job.
    pub id: JobId,
    /// When it was quarantined.
    #[serde(with = "serde_rfc3339")]
    pub at: SystemTime,
    /// Why.
    pub reason: String,
}

/// Where a listed job lives.
#[derive(Clone, Debug)]
enum Place {
    Live(JobId),
    Quarantined(JobId, PathBuf),
}

/// Result of reading a manifest.
// Short-lived return value; boxing the manifest would buy nothing.
#[allow(clippy::large_enum_variant)]
enum ManifestRead {
    Ok(Manifest),
    Broken(String),
    Gone,
}

/// The durable spool. Cheap to clone; safe to share between threads and to
/// open from several processes at once.
#[derive(Clone, Debug)]
pub struct Spool {
    root: PathBuf,
    quarantine: PathBuf,
    opts: SpoolOptions,
    /// Ids seen delivered (terminal), so claims skip reading their manifests.
    delivered: Arc<Mutex<HashSet<JobId>>>,
    /// Job records read by listings ([`Spool::list`], [`Spool::list_page`]) since open.
    listed_reads: Arc<AtomicU64>,
}

/// One page of [`Spool::list_page`].
#[derive(Debug)]
pub struct ListPage {
    /// The jobs of the page that passed the filter, oldest first. A record that cannot be
    /// read is there with no manifest and the reason in `problem`.
    pub jobs: Vec<Job>,
    /// Where the next page starts (give it back as `after`); `None` once nothing follows.
    /// Opaque: a job id, followed by `~q…` for a quarantined folder.
    pub next: Option<String>,
}

impl Spool {
    /// Opens (creating if needed) the spool at `root`, then runs
    /// [`Spool::recover`] so leftovers of a crash are dealt with before any claim.
    pub fn open(
        root: impl AsRef<Path>,
        opts: SpoolOptions,
        now: SystemTime,
    ) -> Result<(Spool, RecoveryReport)> {
        opts.validate()?;
        let root = root.as_ref().to_path_buf();
        // Faxes, voicemails and job records are personal data: the gateway's user only.
        fsutil::create_dir_all_private(&root).map_err(ioe("create spool root", &root))?;
        let quarantine = root.join(QUARANTINE_DIR);
        fsutil::create_dir_all_private(&quarantine)
            .map_err(ioe("create quarantine", &quarantine))?;
        fsutil::sync_dir(&root).map_err(ioe("fsync", &root))?;
        let spool = Spool {
            root,
            quarantine,
            opts,
            delivered: Arc::default(),
            listed_reads: Arc::default(),
        };
        let report = spool.recover(now)?;
        Ok((spool, report))
    }

    /// The spool root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The options in force.
    pub fn options(&self) -> &SpoolOptions {
        &self.opts
    }

    /// Replaces the retry policy (config reload).
    pub fn set_retry_policy(&mut self, retry: RetryPolicy) {
        self.opts.retry = retry;
    }

    // ----------------------------------------------------------------- capacity

    /// Refuses with [`SpoolError::DiskFull`] when the filesystem is above the
    /// high-water mark. Called by [`Spool::enqueue`] and [`Spool::begin`]; public so
    /// the gateway can check before answering a call. If usage cannot be read the
    /// check passes (with a warning): a real ENOSPC is still caught on write.
    pub fn check_capacity(&self) -> Result<Option<DiskUsage>> {
        match self.opts.disk.usage(&self.root) {
            Ok(u) => {
                let used = u.used_fraction();
                if used > self.opts.high_water {
                    tracing::warn!(
                        used_percent = used * 100.0,
                        "spool above high-water mark, refusing new jobs"
                    );
                    Err(SpoolError::DiskFull(DiskFull::HighWater {
                        used,
                        limit: self.opts.high_water,
                    }))
                } else {
                    Ok(Some(u))
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, root = %self.root.display(), "cannot read spool disk usage");
                Ok(None)
            }
        }
    }

    // ----------------------------------------------------------------- enqueue

    /// Stores a complete job in one step: all media and the manifest appear
    /// together or not at all. On any failure nothing is left behind and moved
    /// files are put back. The job starts `ready`.
    pub fn enqueue(
        &self,
        now: SystemTime,
        kind: JobKind,
        facts: Map<String, Value>,
        media: &[(&str, Media<'_>)],
    ) -> Result<JobId> {
        let mut b = self.begin(now, kind, facts)?;
        let added = media.iter().try_for_each(|(name, m)| match m {
            Media::Bytes(bytes) => b.add_bytes(name, bytes),
            Media::Move(path) => b.add_move(name, path),
        });
        let result = added.and_then(|()| b.commit_inner(now));
        match result {
            Ok(id) => {
                b.committed = true;
                Ok(id)
            }
            Err(e) => {
                b.rollback();
                Err(e)
            }
        }
    }

    /// Starts a job whose media are written over time (a voicemail recorded
    /// during the call). Files go into a hidden temp folder; nothing is visible
    /// until [`JobBuilder::commit`].
    pub fn begin(
        &self,
        now: SystemTime,
        kind: JobKind,
        facts: Map<String, Value>,
    ) -> Result<JobBuilder> {
        self.check_capacity()?;
        let mut attempt = 0;
        let (id, tmp) = loop {
            attempt += 1;
            let id = JobId::generate(now);
            let tmp = self.root.join(format!("{TMP_PREFIX}{id}"));
            if self.root.join(id.as_str()).exists() && attempt < 8 {
                continue;
            }
            match fsutil::create_dir_private(&tmp) {
                Ok(()) => break (id, tmp),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 8 => continue,
                Err(e) => return Err(SpoolError::io("create job folder", &tmp, e)),
            }
        };
        let cleanup = |e: SpoolError| {
            let _ = fs::remove_dir_all(&tmp);
            e
        };
        let lock = match Flock::acquire(&tmp, false, Wait::Try) {
            Ok(Some(l)) => l,
            Ok(None) => {
                let e = io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "fresh temp folder already locked",
                );
                return Err(cleanup(SpoolError::io("lock", &tmp, e)));
            }
            Err(e) => return Err(cleanup(SpoolError::io("lock", &tmp, e))),
        };
        let lock_file = tmp.join(LOCK_FILE);
        fsutil::write_new_synced(&lock_file, b"")
            .map_err(ioe("create", &lock_file))
            .map_err(cleanup)?;
        Ok(JobBuilder {
            spool: self.clone(),
            id,
            kind,
            created: now,
            facts,
            tmp,
            media: Vec::new(),
            moved: Vec::new(),
            hold: false,
            committed: false,
            _lock: lock,
        })
    }

    /// `captured` → `ready` for a job committed with [`JobBuilder::hold`].
    pub fn mark_ready(&self, now: SystemTime, id: &JobId, note: &str) -> Result<()> {
        self.with_job(now, id, |m| {
            if m.state.name() != StateName::Captured {
                return Err(illegal(m, StateName::Ready));
            }
            m.transition(now, JobState::Ready, format!("ready: {note}"))
        })
    }

    // ----------------------------------------------------------------- claim

    /// Takes the oldest due job (ready; retrying whose time has come; sending
    /// whose lease expired) for `worker`, for `lease`. Two claimers, in threads or
    /// processes, never get the same job: the state change is made under the
    /// job's `flock` after re-reading the manifest. Broken jobs met on the way are
    /// quarantined and skipped, so one bad job never blocks the rest.
    pub fn claim_due(
        &self,
        now: SystemTime,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<Claimed>> {
        self.claim_due_of(
            now,
            worker,
            lease,
            &[
                JobKind::Fax,
                JobKind::Voicemail,
                JobKind::OutboundFax,
                JobKind::FaxStatus,
            ],
        )
    }

    /// Like [`Spool::claim_due`], but only jobs of one of `kinds`, so that the email
    /// delivery worker and the outbound fax dialer share one spool without ever taking each
    /// other's jobs. Broken manifests (whose kind cannot be read) are still quarantined.
    pub fn claim_due_of(
        &self,
        now: SystemTime,
        worker: &str,
        lease: Duration,
        kinds: &[JobKind],
    ) -> Result<Option<Claimed>> {
        let mut due: Vec<(SystemTime, JobId)> = Vec::new();
        let live = self.live_ids()?;
        // Delivered is terminal: once seen, its manifest is never read again by
        // claims (a spool keeps a month of them). Forget ids that were purged.
        let candidates: Vec<JobId> = {
            let mut seen = self.delivered.lock().unwrap_or_else(|p| p.into_inner());
            seen.retain(|id| live.binary_search(id).is_ok());
            live.into_iter().filter(|id| !seen.contains(id)).collect()
        };
        let mut newly_delivered = Vec::new();
        for id in candidates {
            let dir = self.root.join(id.as_str());
            match read_manifest(&dir, &id) {
                Ok(ManifestRead::Ok(m))
                    if kinds.contains(&m.kind)
                        && (m.state.is_due(now) || self.abandoned(&dir, &m.state)) =>
                {
                    due.push((m.created, id))
                }
                Ok(ManifestRead::Ok(m)) if m.state.name() == StateName::Delivered => {
                    newly_delivered.push(id);
                }
                Ok(ManifestRead::Ok(_)) | Ok(ManifestRead::Gone) => {}
                // Looked at again under the lock, and quarantined.
                Ok(ManifestRead::Broken(_)) => due.push((UNIX_EPOCH, id)),
                Err(e) => tracing::error!(job = %id, error = %e, "cannot read job"),
            }
        }
        self.delivered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(newly_delivered);
        due.sort();
        let mut first_error = None;
        for (_, id) in due {
            match self.try_claim(now, &id, worker, lease) {
                Ok(Some(c)) => return Ok(Some(c)),
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(job = %id, error = %e, "claim failed; trying the next job");
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(None),
        }
    }

    fn try_claim(
        &self,
        now: SystemTime,
        id: &JobId,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<Claimed>> {
        let Some(_lock) = self.lock_job(id, Wait::Try)? else {
            return Ok(None); // another worker is on it, or it is gone
        };
        let dir = self.root.join(id.as_str());
        let mut m = match self.read_checked(now, &dir, id)? {
            Some(m) => m,
            None => return Ok(None),
        };
        let abandoned = self.abandoned(&dir, &m.state);
        if !m.state.is_due(now) && !abandoned {
            return Ok(None);
        }
        // Taken before the manifest says "sending", so there is no moment where the job is
        // ours on disk but looks abandoned to another worker.
        let alive = match Flock::acquire(&dir.join(WORKER_FILE), true, Wait::Try) {
            Ok(l) => l.map(std::sync::Arc::new),
            Err(e) => return Err(SpoolError::io("lock", dir.join(WORKER_FILE), e)),
        };
        let mut note = String::new();
        if let JobState::Sending { lease: old } = &m.state {
            let first = m.first_attempt.unwrap_or(m.state_since);
            if self.opts.retry.exhausted(first, now) {
                let reason = format!(
                    "retry budget exhausted: worker {} stopped answering (lease expired {}) and {} have passed since the first attempt at {}{}",
                    old.worker,
                    time::format_rfc3339(old.expires),
                    time::human(self.opts.retry.give_up_after),
                    time::format_rfc3339(first),
                    last_error_suffix(&m),
                );
                m.transition(
                    now,
                    JobState::Dead {
                        at: now,
                        reason: reason.clone(),
                    },
                    reason,
                )?;
                self.write_manifest(&dir, &m)?;
                tracing::warn!(job = %id, "job dead after lease expiry");
                return Ok(None);
            }
            note = if abandoned {
                format!(
                    "worker {} died (its claim lock was released) before its lease ended at {}; ",
                    old.worker,
                    time::format_rfc3339(old.expires)
                )
            } else {
                format!(
                    "lease of worker {} expired at {}; ",
                    old.worker,
                    time::format_rfc3339(old.expires)
                )
            };
        }
        m.attempts += 1;
        m.first_attempt.get_or_insert(now);
        let token = fsutil::random_hex(8);
        let expires = now.checked_add(lease).unwrap_or(now);
        note.push_str(&format!(
            "claimed by {worker} (attempt {}), lease until {}",
            m.attempts,
            time::format_rfc3339(expires)
        ));
        let new_lease = Lease {
            worker: worker.to_string(),
            token: token.clone(),
            expires,
        };
        m.transition(now, JobState::Sending { lease: new_lease }, note)?;
        self.write_manifest(&dir, &m)?;
        Ok(Some(Claimed {
            id: id.clone(),
            dir,
            worker: worker.to_string(),
            token,
            lease_expires: expires,
            attempt: m.attempts,
            manifest: m,
            _alive: alive,
        }))
    }

    /// Whether a `sending` job's worker is gone: nobody holds its `.worker` lock although the
    /// manifest says it is being sent (the worker process died; the kernel dropped the lock).
    fn abandoned(&self, dir: &Path, state: &JobState) -> bool {
        if !matches!(state, JobState::Sending { .. }) {
            return false;
        }
        matches!(
            Flock::acquire(&dir.join(WORKER_FILE), true, Wait::Try),
            Ok(Some(_))
        )
    }

    /// Extends a held lease to `now + lease` (long renders, slow SMTP).
    pub fn extend_lease(
        &self,
        now: SystemTime,
        claimed: &mut Claimed,
        lease: Duration,
    ) -> Result<()> {
        let expires = now.checked_add(lease).unwrap_or(now);
        let m = self.with_lease(now, claimed, |m| {
            if let JobState::Sending { lease } = &mut m.state {
                lease.expires = expires;
            }
            Ok(())
        })?;
        claimed.lease_expires = expires;
        claimed.manifest = m;
        Ok(())
    }

    /// Changes the job's facts while holding it (e.g. record the SMTP message id
    /// or the pages the far end confirmed).
    pub fn update_facts(
        &self,
        now: SystemTime,
        claimed: &mut Claimed,
        f: impl FnOnce(&mut Map<String, Value>),
    ) -> Result<()> {
        let m = self.with_lease(now, claimed, |m| {
            f(&mut m.facts);
            Ok(())
        })?;
        claimed.manifest = m;
        Ok(())
    }

    /// `sending` → `delivered`: the hand-off is confirmed. `note` is the proof
    /// (e.g. the SMTP reply) shown to the admin.
    pub fn complete(&self, now: SystemTime, claimed: &Claimed, note: &str) -> Result<()> {
        self.with_lease(now, claimed, |m| {
            m.transition(
                now,
                JobState::Delivered {
                    at: now,
                    note: note.to_string(),
                },
                format!("delivered by {}: {note}", claimed.worker),
            )
        })?;
        Ok(())
    }

    /// The attempt failed. Temporary failures go to `retrying` at the next time
    /// of the [`RetryPolicy`]; a permanent failure, or a spent budget, goes to
    /// `dead` with the reason.
    pub fn fail(
        &self,
        now: SystemTime,
        claimed: &Claimed,
        error: &str,
        permanent: bool,
    ) -> Result<FailOutcome> {
        let retry = self.opts.retry;
        let mut outcome = None;
        self.with_lease(now, claimed, |m| {
            m.last_error = Some(error.to_string());
            let first = m.first_attempt.unwrap_or(now);
            let (state, note, out) = if permanent {
                let reason = format!("permanent failure: {error}");
                (
                    JobState::Dead { at: now, reason: reason.clone() },
                    format!("attempt {} by {}: {reason}", m.attempts, claimed.worker),
                    FailOutcome::Dead { reason },
                )
            } else {
                match retry.next_attempt(first, m.attempts, now) {
                    Some(next) => (
                        JobState::Retrying {
                            next_attempt: next,
                            last_error: error.to_string(),
                        },
                        format!(
                            "attempt {} by {} failed: {error}; next attempt at {} (in {})",
                            m.attempts,
                            claimed.worker,
                            time::format_rfc3339(next),
                            time::human(retry.delay_after(m.attempts))
                        ),
                        FailOutcome::Retrying { next_attempt: next },
                    ),
                    None => {
                        let reason = format!(
                            "retry budget exhausted: {} attempts since {}, giving up after {}; last error: {error}",
                            m.attempts,
                            time::format_rfc3339(first),
                            time::human(retry.give_up_after)
                        );
                        (
                            JobState::Dead { at: now, reason: reason.clone() },
                            reason.clone(),
                            FailOutcome::Dead { reason },
                        )
                    }
                }
            };
            m.transition(now, state, note)?;
            outcome = Some(out);
            Ok(())
        })?;
        Ok(outcome.expect("set on success"))
    }

    // ----------------------------------------------------------------- admin

    /// Admin: a `dead` or `retrying` job becomes `ready` now, with a fresh retry
    /// budget (the history keeps the earlier attempts).
    pub fn retry(&self, now: SystemTime, id: &JobId) -> Result<()> {
        self.with_job(now, id, |m| {
            if !matches!(m.state.name(), StateName::Dead | StateName::Retrying) {
                return Err(illegal(m, StateName::Ready));
            }
            let note = format!(
                "admin retry: budget reset after {} attempt(s){}",
                m.attempts,
                last_error_suffix(m)
            );
            m.transition(now, JobState::Ready, note)?;
            m.attempts = 0;
            m.first_attempt = None;
            Ok(())
        })
    }

    /// Admin: gives up a job that is not being sent (`captured`, `ready`,
    /// `retrying` → `dead`). A job in `sending` is refused: let the attempt end.
    pub fn cancel(&self, now: SystemTime, id: &JobId, reason: &str) -> Result<()> {
        self.with_job(now, id, |m| {
            if !matches!(
                m.state.name(),
                StateName::Captured | StateName::Ready | StateName::Retrying
            ) {
                return Err(illegal(m, StateName::Dead));
            }
            let reason = format!("cancelled: {reason}");
            m.transition(
                now,
                JobState::Dead {
                    at: now,
                    reason: reason.clone(),
                },
                reason,
            )
        })
    }

    /// Admin: brings a quarantined job back once it has been fixed. Its manifest
    /// must now parse and its media be present; a job quarantined by the spool
    /// becomes `ready` with a fresh budget, a hand-repaired one keeps the state
    /// its manifest names.
    pub fn release_quarantined(&self, now: SystemTime, id: &JobId) -> Result<()> {
        let qdir = self
            .quarantine_dirs(id)?
            .pop()
            .ok_or_else(|| SpoolError::NotFound(id.clone()))?;
        let lock_path = qdir.join(LOCK_FILE);
        let _lock = Flock::acquire(&lock_path, true, Wait::Block)
            .map_err(ioe("lock", &lock_path))?
            .ok_or_else(|| SpoolError::NotFound(id.clone()))?;
        let mut m = match read_manifest(&qdir, id)? {
            ManifestRead::Ok(m) => m,
            ManifestRead::Gone => return Err(SpoolError::NotFound(id.clone())),
            ManifestRead::Broken(reason) => {
                return Err(SpoolError::Quarantined {
                    id: id.clone(),
                    reason: format!("still broken: {reason}"),
                })
            }
        };
        if m.state.name() != StateName::Delivered {
            if let Err(reason) = check_media_files(&qdir, &m.media) {
                return Err(SpoolError::Quarantined {
                    id: id.clone(),
                    reason: format!("still broken: {reason}"),
                });
            }
        }
        let was = m.state.name();
        if was == StateName::Quarantined {
            let reason = m.problem().unwrap_or_default().to_string();
            m.transition(
                now,
                JobState::Ready,
                format!("released from quarantine by admin (was: {reason})"),
            )?;
            m.attempts = 0;
            m.first_attempt = None;
        } else {
            m.history.push(crate::manifest::HistoryEntry {
                at: now,
                from: Some(was),
                to: was,
                note: "released from quarantine by admin, state as repaired".into(),
            });
        }
        self.write_manifest(&qdir, &m)?;
        let dest = self.root.join(id.as_str());
        fsutil::rename_noreplace(&qdir, &dest).map_err(ioe("move back from quarantine", &qdir))?;
        fsutil::sync_dir(&self.root).map_err(ioe("fsync", &self.root))?;
        fsutil::sync_dir(&self.quarantine).map_err(ioe("fsync", &self.quarantine))?;
        let _ = fs::remove_file(dest.join(QUARANTINE_NOTE));
        tracing::info!(job = %id, "released from quarantine");
        Ok(())
    }

    // ----------------------------------------------------------------- read

    /// All jobs passing `filter`, live and quarantined, ordered by id (= creation).
    /// Read-only: a live job with an unreadable manifest is listed with its
    /// problem and left for the next claim, purge or recovery to quarantine.
    ///
    /// A record that cannot be read at all (an I/O error) is listed with the error as its
    /// problem rather than failing the whole listing.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<Job>> {
        let mut jobs = Vec::new();
        for (_, place) in self.positions()? {
            if let Some(job) = self.load_listed(place) {
                if filter.matches(&job) {
                    jobs.push(job);
                }
            }
        }
        jobs.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(jobs)
    }

    /// One page of the jobs, live and quarantined, in id (= creation) order: those after the
    /// position `after` (a previous page's [`ListPage::next`]; `None`: from the start) that
    /// `keep` accepts, until `limit` are kept or `max_reads` records were read.
    ///
    /// Only the folder listings and the records looked at are read, so a page costs about
    /// `limit` record reads whatever the size of the spool (when `keep` accepts most jobs;
    /// `max_reads` bounds the rest, and the page is then shorter but `next` goes on). A record
    /// that cannot be read is returned with no manifest and the reason as its problem, for
    /// `keep` to take or leave: one bad record does not break a listing.
    pub fn list_page(
        &self,
        after: Option<&str>,
        limit: usize,
        max_reads: usize,
        mut keep: impl FnMut(&Job) -> bool,
    ) -> Result<ListPage> {
        let positions = self.positions()?;
        let start = match after {
            Some(a) => positions.partition_point(|(key, _)| key.as_str() <= a),
            None => 0,
        };
        let mut jobs = Vec::new();
        let mut reads = 0usize;
        let mut next = None;
        let mut rest = positions[start..].iter().peekable();
        while let Some((key, place)) = rest.next() {
            if jobs.len() >= limit.max(1) || reads >= max_reads.max(1) {
                break;
            }
            reads += 1;
            if let Some(job) = self.load_listed(place.clone()) {
                if keep(&job) {
                    jobs.push(job);
                }
            }
            let full = jobs.len() >= limit.max(1) || reads >= max_reads.max(1);
            if full && rest.peek().is_some() {
                next = Some(key.clone());
                break;
            }
        }
        Ok(ListPage { jobs, next })
    }

    /// Job records read by [`Spool::list`] and [`Spool::list_page`] since the spool was
    /// opened (all clones together): what a listing costs, for tests and diagnostics.
    pub fn listed_reads(&self) -> u64 {
        self.listed_reads.load(AtomicOrdering::Relaxed)
    }

    /// Every live and quarantined job folder with its listing position, in order: the job
    /// id for a live one, `<id>~q` (`<id>~q~N` for a second quarantine) for a quarantined one.
    fn positions(&self) -> Result<Vec<(String, Place)>> {
        let mut out: Vec<(String, Place)> = self
            .live_ids()?
            .into_iter()
            .map(|id| (id.as_str().to_string(), Place::Live(id)))
            .collect();
        for (id, dir) in self.quarantine_entries()? {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
            let suffix = name
                .as_deref()
                .and_then(|n| n.strip_prefix(id.as_str()))
                .unwrap_or("")
                .to_string();
            out.push((format!("{id}~q{suffix}"), Place::Quarantined(id, dir)));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Reads one listed job; an I/O error becomes the job's problem (logged) instead of
    /// an error. `None` when the job went away meanwhile.
    fn load_listed(&self, place: Place) -> Option<Job> {
        self.listed_reads.fetch_add(1, AtomicOrdering::Relaxed);
        let (id, dir, quarantined, loaded) = match place {
            Place::Live(id) => {
                let dir = self.root.join(id.as_str());
                let loaded = self.load_live(&id);
                (id, dir, false, loaded)
            }
            Place::Quarantined(id, dir) => {
                let loaded = load_quarantined(id.clone(), dir.clone()).map(Some);
                (id, dir, true, loaded)
            }
        };
        match loaded {
            Ok(job) => job,
            Err(e) => {
                tracing::warn!(job = %id, error = %e, "job record unreadable: listed without its details");
                Some(Job {
                    id,
                    dir,
                    quarantined,
                    manifest: None,
                    problem: Some(format!("record unreadable: {e}")),
                })
            }
        }
    }

    /// One job, live or quarantined.
    pub fn get(&self, id: &JobId) -> Result<Job> {
        if let Some(job) = self.load_live(id)? {
            return Ok(job);
        }
        match self.quarantine_dirs(id)?.pop() {
            Some(dir) => load_quarantined(id.clone(), dir),
            None => Err(SpoolError::NotFound(id.clone())),
        }
    }

    // ----------------------------------------------------------------- purge

    /// Deletes delivered and dead jobs older than their retention, and says for
    /// every job why it stays or goes. Nothing in any other state is ever
    /// deleted. With `dry_run` nothing at all is changed.
    pub fn purge(
        &self,
        now: SystemTime,
        retention: &Retention,
        dry_run: bool,
    ) -> Result<Vec<PurgeDecision>> {
        let mut out = Vec::new();
        for id in self.live_ids()? {
            let dir = self.root.join(id.as_str());
            let Some(_lock) = self.lock_job(&id, Wait::Block)? else {
                continue;
            };
            let m = match read_manifest(&dir, &id)? {
                ManifestRead::Gone => continue,
                ManifestRead::Ok(m) => m,
                ManifestRead::Broken(reason) => {
                    let reason = if dry_run {
                        format!("unreadable, would be quarantined: {reason}")
                    } else {
                        self.quarantine(now, &id, &dir, &reason, None)?;
                        format!("unreadable, quarantined: {reason}")
                    };
                    out.push(PurgeDecision {
                        id,
                        state: None,
                        age: Duration::ZERO,
                        action: PurgeAction::Keep,
                        reason,
                        deleted: false,
                    });
                    continue;
                }
            };
            let state = m.state.name();
            let age = time::since(now, m.state_since);
            let keep_for = match state {
                StateName::Delivered => Some(retention.delivered),
                StateName::Dead => Some(retention.dead),
                _ => None,
            };
            let (action, reason) = match keep_for {
                None => (
                    PurgeAction::Keep,
                    format!("{state}: only delivered or dead jobs are ever purged"),
                ),
                Some(keep) if age >= keep => (
                    PurgeAction::Delete,
                    format!(
                        "{state} {} ago; {state} jobs are kept {}",
                        time::human(age),
                        time::human(keep)
                    ),
                ),
                Some(keep) => (
                    PurgeAction::Keep,
                    format!(
                        "{state} {} ago; kept {} more (retention {})",
                        time::human(age),
                        time::human(keep - age),
                        time::human(keep)
                    ),
                ),
            };
            let mut decision = PurgeDecision {
                id: id.clone(),
                state: Some(state),
                age,
                action,
                reason,
                deleted: false,
            };
            if action == PurgeAction::Delete && !dry_run {
                match self.delete_job(&id, &dir) {
                    Ok(()) => {
                        decision.deleted = true;
                        tracing::info!(job = %id, reason = %decision.reason, "purged");
                    }
                    Err(e) => {
                        tracing::error!(job = %id, error = %e, "purge failed");
                        decision.reason.push_str(&format!("; delete failed: {e}"));
                    }
                }
            }
            out.push(decision);
        }
        for (id, dir) in self.quarantine_entries()? {
            let job = load_quarantined(id, dir)?;
            out.push(PurgeDecision {
                id: job.id,
                state: Some(StateName::Quarantined),
                age: Duration::ZERO,
                action: PurgeAction::Keep,
                reason: format!(
                    "quarantined, waits for an admin: {}",
                    job.problem.unwrap_or_default()
                ),
                deleted: false,
            });
        }
        Ok(out)
    }

    fn delete_job(&self, id: &JobId, dir: &Path) -> Result<()> {
        // Rename first: a crash mid-delete leaves a `.purge-` folder that recovery
        // finishes, never a half job that looks live.
        let doomed = self.root.join(format!("{PURGE_PREFIX}{id}"));
        fs::rename(dir, &doomed).map_err(ioe("rename for purge", dir))?;
        fsutil::sync_dir(&self.root).map_err(ioe("fsync", &self.root))?;
        fs::remove_dir_all(&doomed).map_err(ioe("delete", &doomed))
    }

    // ----------------------------------------------------------------- recovery

    /// Cleans up after a crash: abandoned temp folders (deleted if empty, finished
    /// if their manifest was written, quarantined if they hold data), interrupted
    /// purges, manifest temp files; then checks every live job and quarantines
    /// the broken ones. Run by [`Spool::open`]; safe to run at any time, also while
    /// other processes use the spool.
    pub fn recover(&self, now: SystemTime) -> Result<RecoveryReport> {
        let mut report = RecoveryReport::default();
        let entries = fs::read_dir(&self.root).map_err(ioe("list", &self.root))?;
        let mut names: Vec<String> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(ioe("list", &self.root))?;
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        for name in names {
            let path = self.root.join(&name);
            let result = if let Some(rest) = name.strip_prefix(TMP_PREFIX) {
                self.recover_temp(now, &path, rest, &mut report)
            } else if name.starts_with(PURGE_PREFIX) {
                fs::remove_dir_all(&path)
                    .map_err(ioe("finish purge", &path))
                    .map(|()| {
                        tracing::info!(path = %path.display(), "finished interrupted purge");
                        report.finished_purges.push(path.clone());
                    })
            } else if let Ok(id) = name.parse::<JobId>() {
                self.recover_job(now, &id, &mut report)
            } else {
                Ok(())
            };
            match result {
                Ok(()) => {}
                // Another process got there first (concurrent recovery or purge).
                Err(SpoolError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::error!(path = %path.display(), error = %e, "recovery could not handle an entry");
                    report.errors.push(format!("{}: {e}", path.display()));
                }
            }
        }
        Ok(report)
    }

    fn recover_temp(
        &self,
        now: SystemTime,
        path: &Path,
        rest: &str,
        report: &mut RecoveryReport,
    ) -> Result<()> {
        let Ok(id) = rest.parse::<JobId>() else {
            tracing::warn!(path = %path.display(), "unexpected temp entry in spool; left alone");
            return Ok(());
        };
        let _lock = match Flock::acquire(path, false, Wait::Try) {
            Ok(Some(l)) => l,
            Ok(None) => {
                report.in_progress.push(path.to_path_buf());
                return Ok(());
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(SpoolError::io("lock", path, e)),
        };
        let newest = fsutil::newest_mtime(path).map_err(ioe("stat", path))?;
        if time::since(now, newest) < self.opts.stale_temp_after {
            report.in_progress.push(path.to_path_buf());
            return Ok(());
        }
        // Crash between manifest and rename: the job was complete; finish it.
        if let ManifestRead::Ok(m) = read_manifest(path, &id)? {
            if check_media(path, &m).is_ok() {
                let dest = self.root.join(id.as_str());
                fsutil::rename_noreplace(path, &dest).map_err(ioe("commit", path))?;
                fsutil::sync_dir(&self.root).map_err(ioe("fsync", &self.root))?;
                tracing::warn!(job = %id, "finished a commit interrupted by a crash");
                report.rolled_forward.push(id);
                return Ok(());
            }
        }
        let (files, bytes) = fsutil::payload_size(path).map_err(ioe("stat", path))?;
        // `lock` is held until the folder is gone or moved, so a concurrent
        // recovery in another process cannot act on it twice.
        if bytes == 0 {
            fs::remove_dir_all(path).map_err(ioe("remove abandoned temp", path))?;
            tracing::info!(path = %path.display(), "removed empty abandoned temp folder");
            report.removed_temp.push(path.to_path_buf());
        } else {
            let reason = format!(
                "incomplete capture: the process stopped before the job was committed ({files} file(s), {bytes} bytes kept, no valid manifest)"
            );
            self.quarantine(now, &id, path, &reason, None)?;
            report.salvaged.push((id, reason));
        }
        Ok(())
    }

    fn recover_job(&self, now: SystemTime, id: &JobId, report: &mut RecoveryReport) -> Result<()> {
        let Some(_lock) = self.lock_job(id, Wait::Try)? else {
            return Ok(()); // held right now, so alive
        };
        let dir = self.root.join(id.as_str());
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(SpoolError::io("list", &dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(ioe("list", &dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if fsutil::is_replace_temp(&name) {
                // Only written under this lock, which we hold: it is garbage.
                let p = entry.path();
                fs::remove_file(&p).map_err(ioe("remove manifest temp", &p))?;
                tracing::info!(path = %p.display(), "removed leftover manifest temp file");
                report.removed_manifest_temps.push(p);
            }
        }
        if let Some(reason) = self.check_or_quarantine(now, &dir, id)? {
            report.quarantined.push((id.clone(), reason));
        }
        Ok(())
    }

    // ----------------------------------------------------------------- internals

    /// Job ids of the live folders, sorted.
    fn live_ids(&self) -> Result<Vec<JobId>> {
        let mut ids = Vec::new();
        for entry in fs::read_dir(&self.root).map_err(ioe("list", &self.root))? {
            let entry = entry.map_err(ioe("list", &self.root))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Ok(id) = name.parse::<JobId>() {
                if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    ids.push(id);
                }
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Quarantine folders: `<id>` or `<id>~N` when a job was quarantined twice.
    fn quarantine_entries(&self) -> Result<Vec<(JobId, PathBuf)>> {
        let mut out = Vec::new();
        let entries = match fs::read_dir(&self.quarantine) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(SpoolError::io("list", &self.quarantine, e)),
        };
        for entry in entries {
            let entry = entry.map_err(ioe("list", &self.quarantine))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let base = name.split('~').next().unwrap_or_default();
            if let Ok(id) = base.parse::<JobId>() {
                out.push((id, entry.path()));
            }
        }
        out.sort();
        Ok(out)
    }

    fn quarantine_dirs(&self, id: &JobId) -> Result<Vec<PathBuf>> {
        Ok(self
            .quarantine_entries()?
            .into_iter()
            .filter(|(qid, _)| qid == id)
            .map(|(_, p)| p)
            .collect())
    }

    fn load_live(&self, id: &JobId) -> Result<Option<Job>> {
        let dir = self.root.join(id.as_str());
        Ok(match read_manifest(&dir, id)? {
            ManifestRead::Gone => None,
            ManifestRead::Ok(m) => Some(Job {
                id: id.clone(),
                dir,
                quarantined: false,
                problem: m.problem().map(str::to_string),
                manifest: Some(m),
            }),
            ManifestRead::Broken(reason) => Some(Job {
                id: id.clone(),
                dir,
                quarantined: false,
                manifest: None,
                problem: Some(reason),
            }),
        })
    }

    /// Locks a live job. `None` when the job is gone, or (with `Wait::Try`) busy.
    fn lock_job(&self, id: &JobId, wait: Wait) -> Result<Option<Flock>> {
        let path = self.root.join(id.as_str()).join(LOCK_FILE);
        match Flock::acquire(&path, true, wait) {
            Ok(l) => Ok(l),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SpoolError::io("lock", &path, e)),
        }
    }

    /// Under the job lock: the manifest if the job is sound, `None` if it is gone
    /// or was just quarantined.
    fn read_checked(&self, now: SystemTime, dir: &Path, id: &JobId) -> Result<Option<Manifest>> {
        match read_manifest(dir, id)? {
            ManifestRead::Gone => Ok(None),
            ManifestRead::Broken(reason) => {
                self.quarantine(now, id, dir, &reason, None)?;
                Ok(None)
            }
            ManifestRead::Ok(m) => match check_media(dir, &m) {
                Ok(()) => Ok(Some(m)),
                Err(reason) => {
                    self.quarantine(now, id, dir, &reason, Some(m))?;
                    Ok(None)
                }
            },
        }
    }

    /// Under the job lock: quarantines the job if broken; returns the reason.
    fn check_or_quarantine(
        &self,
        now: SystemTime,
        dir: &Path,
        id: &JobId,
    ) -> Result<Option<String>> {
        match read_manifest(dir, id)? {
            ManifestRead::Gone => Ok(None),
            ManifestRead::Broken(reason) => {
                self.quarantine(now, id, dir, &reason, None)?;
                Ok(Some(reason))
            }
            ManifestRead::Ok(m) => match check_media(dir, &m) {
                Ok(()) => Ok(None),
                Err(reason) => {
                    self.quarantine(now, id, dir, &reason, Some(m))?;
                    Ok(Some(reason))
                }
            },
        }
    }

    /// Moves `dir` to `quarantine/<id>` (the caller holds the job's lock or the
    /// temp folder is abandoned), marks a readable manifest `quarantined`, and
    /// writes `quarantine.json` with the reason.
    fn quarantine(
        &self,
        now: SystemTime,
        id: &JobId,
        dir: &Path,
        reason: &str,
        manifest: Option<Manifest>,
    ) -> Result<PathBuf> {
        if let Some(mut m) = manifest {
            let t = m.transition(
                now,
                JobState::Quarantined {
                    at: now,
                    reason: reason.to_string(),
                },
                format!("quarantined: {reason}"),
            );
            if t.is_ok() {
                if let Err(e) = self.write_manifest(dir, &m) {
                    tracing::error!(job = %id, error = %e, "cannot mark manifest quarantined; moving anyway");
                }
            }
        }
        let mut dest = self.quarantine.join(id.as_str());
        let mut n = 1;
        while fs::symlink_metadata(&dest).is_ok() {
            n += 1;
            dest = self.quarantine.join(format!("{id}~{n}"));
        }
        fsutil::rename_noreplace(dir, &dest).map_err(ioe("move to quarantine", dir))?;
        fsutil::sync_dir(&self.quarantine).map_err(ioe("fsync", &self.quarantine))?;
        fsutil::sync_dir(&self.root).map_err(ioe("fsync", &self.root))?;
        let note = QuarantineNote {
            id: id.clone(),
            at: now,
            reason: reason.to_string(),
        };
        let bytes = serde_json::to_vec_pretty(&note).expect("note serialises");
        if let Err(e) = fsutil::atomic_replace(&dest, QUARANTINE_NOTE, &bytes) {
            tracing::error!(job = %id, error = %e, "cannot write quarantine note");
        }
        tracing::warn!(job = %id, reason, dest = %dest.display(), "job quarantined");
        Ok(dest)
    }

    fn write_manifest(&self, dir: &Path, m: &Manifest) -> Result<()> {
        fsutil::atomic_replace(dir, MANIFEST_FILE, &m.to_bytes())
            .map_err(ioe("write manifest", &dir.join(MANIFEST_FILE)))
    }

    /// Read-modify-write of a live job under its lock, for admin operations.
    fn with_job(
        &self,
        now: SystemTime,
        id: &JobId,
        f: impl FnOnce(&mut Manifest) -> Result<()>,
    ) -> Result<()> {
        let Some(_lock) = self.lock_job(id, Wait::Block)? else {
            return Err(self.not_live(id));
        };
        let dir = self.root.join(id.as_str());
        let mut m = match read_manifest(&dir, id)? {
            ManifestRead::Gone => return Err(self.not_live(id)),
            ManifestRead::Ok(m) => m,
            ManifestRead::Broken(reason) => {
                self.quarantine(now, id, &dir, &reason, None)?;
                return Err(SpoolError::Quarantined {
                    id: id.clone(),
                    reason,
                });
            }
        };
        f(&mut m)?;
        self.write_manifest(&dir, &m)
    }

    fn not_live(&self, id: &JobId) -> SpoolError {
        match self.quarantine_dirs(id).ok().and_then(|mut d| d.pop()) {
            Some(dir) => SpoolError::Quarantined {
                id: id.clone(),
                reason: load_quarantined(id.clone(), dir)
                    .ok()
                    .and_then(|j| j.problem)
                    .unwrap_or_else(|| "in quarantine".into()),
            },
            None => SpoolError::NotFound(id.clone()),
        }
    }

    /// Read-modify-write of a job the caller holds; checks the lease token.
    fn with_lease(
        &self,
        now: SystemTime,
        claimed: &Claimed,
        f: impl FnOnce(&mut Manifest) -> Result<()>,
    ) -> Result<Manifest> {
        let id = &claimed.id;
        let lost = |detail: String| SpoolError::LeaseLost {
            id: id.clone(),
            detail,
        };
        let Some(_lock) = self.lock_job(id, Wait::Block)? else {
            return Err(lost("the job is no longer in the spool".into()));
        };
        let dir = self.root.join(id.as_str());
        let mut m = match read_manifest(&dir, id)? {
            ManifestRead::Gone => return Err(lost("the job is no longer in the spool".into())),
            ManifestRead::Ok(m) => m,
            ManifestRead::Broken(reason) => {
                self.quarantine(now, id, &dir, &reason, None)?;
                return Err(SpoolError::Quarantined {
                    id: id.clone(),
                    reason,
                });
            }
        };
        match &m.state {
            JobState::Sending { lease } if lease.token == claimed.token => {}
            JobState::Sending { lease } => {
                return Err(lost(format!(
                    "reclaimed by worker {} after the lease expired",
                    lease.worker
                )))
            }
            other => return Err(lost(format!("the job is now {}", other.name()))),
        }
        f(&mut m)?;
        self.write_manifest(&dir, &m)?;
        Ok(m)
    }
}

fn illegal(m: &Manifest, to: StateName) -> SpoolError {
    SpoolError::IllegalTransition {
        id: m.id.clone(),
        from: m.state.name(),
        to,
    }
}

fn last_error_suffix(m: &Manifest) -> String {
    match &m.last_error {
        Some(e) => format!("; last error: {e}"),
        None => String::new(),
    }
}

/// Reads and parses `dir/manifest.json`. I/O trouble other than "not there" is an
/// error (not a reason to quarantine: it may be a permissions slip).
fn read_manifest(dir: &Path, id: &JobId) -> Result<ManifestRead> {
    let path = dir.join(MANIFEST_FILE);
    let file = match fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(if dir.is_dir() {
                ManifestRead::Broken("manifest.json is missing".into())
            } else {
                ManifestRead::Gone
            });
        }
        Err(e) => return Err(SpoolError::io("open", &path, e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ioe("read", &path))?;
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Ok(ManifestRead::Broken(format!(
            "manifest.json is larger than {MAX_MANIFEST_BYTES} bytes"
        )));
    }
    Ok(match Manifest::parse(&bytes, Some(id)) {
        Ok(m) => ManifestRead::Ok(m),
        Err(reason) => ManifestRead::Broken(reason.to_string()),
    })
}

/// Every media file the manifest names must be there with its committed size
/// (skipped once delivered: the media did their job).
fn check_media(dir: &Path, m: &Manifest) -> std::result::Result<(), String> {
    if matches!(
        m.state.name(),
        StateName::Delivered | StateName::Quarantined
    ) {
        return Ok(());
    }
    check_media_files(dir, &m.media)
}

/// Every listed media file is there with its committed size.
fn check_media_files(dir: &Path, media: &[MediaEntry]) -> std::result::Result<(), String> {
    for entry in media {
        if validate_media_name(&entry.name).is_err() {
            return Err(format!(
                "manifest names an invalid media file {:?}",
                entry.name
            ));
        }
        match fs::metadata(dir.join(&entry.name)) {
            Ok(meta) if meta.len() == entry.size => {}
            Ok(meta) => {
                return Err(format!(
                    "media file {} is {} bytes, the manifest says {}",
                    entry.name,
                    meta.len(),
                    entry.size
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(format!(
                    "media file {} named in the manifest is missing",
                    entry.name
                ))
            }
            Err(e) => return Err(format!("media file {} cannot be read: {e}", entry.name)),
        }
    }
    Ok(())
}

fn load_quarantined(id: JobId, dir: PathBuf) -> Result<Job> {
    let note: Option<QuarantineNote> = fs::read(dir.join(QUARANTINE_NOTE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let manifest = match read_manifest(&dir, &id)? {
        ManifestRead::Ok(m) => Some(m),
        _ => None,
    };
    let problem = note
        .map(|n| n.reason)
        .or_else(|| {
            manifest
                .as_ref()
                .and_then(|m| m.problem().map(str::to_string))
        })
        .or_else(|| Some("quarantined (no reason recorded)".into()));
    Ok(Job {
        id,
        dir,
        quarantined: true,
        manifest,
        problem,
    })
}

/// A job being written. Media go into a hidden temp folder, locked for as long
/// as the builder lives so recovery in another process leaves it alone.
///
/// Dropping the builder without [`JobBuilder::commit`] or [`JobBuilder::abort`]
/// keeps the temp folder: captured media are never deleted silently. Recovery
/// later quarantines it (or deletes it if it holds no data).
#[derive(Debug)]
pub struct JobBuilder {
    spool: Spool,
    id: JobId,
    kind: JobKind,
    created: SystemTime,
    facts: Map<String, Value>,
    tmp: PathBuf,
    media: Vec<String>,
    moved: Vec<Moved>,
    hold: bool,
    committed: bool,
    _lock: Flock,
}

#[derive(Debug)]
struct Moved {
    from: PathBuf,
    to: PathBuf,
    copied: bool,
}

impl JobBuilder {
    /// The id the job will have.
    pub fn id(&self) -> &JobId {
        &self.id
    }

    /// The job's kind.
    pub fn kind(&self) -> JobKind {
        self.kind
    }

    /// The facts, to complete at the end of the call (T.30 report, duration…).
    pub fn facts_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.facts
    }

    /// Registers a media file and returns where to write it (e.g. the WAV being
    /// recorded). The file must exist at commit; it is fsynced then.
    pub fn media_path(&mut self, name: &str) -> Result<PathBuf> {
        validate_media_name(name)?;
        if !self.media.iter().any(|n| n == name) {
            self.media.push(name.to_string());
        }
        Ok(self.tmp.join(name))
    }

    /// Registers and creates a media file for streaming writes.
    pub fn create_media(&mut self, name: &str) -> Result<fs::File> {
        self.check_new(name)?;
        let path = self.tmp.join(name);
        let f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(fsutil::FILE_MODE)
            .open(&path)
            .map_err(ioe("create media", &path))?;
        self.media.push(name.to_string());
        Ok(f)
    }

    /// Writes a whole media file from memory (fsynced).
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.check_new(name)?;
        let path = self.tmp.join(name);
        if let Err(e) = fsutil::write_new_synced(&path, bytes) {
            let _ = fs::remove_file(&path);
            return Err(SpoolError::io("write media", &path, e));
        }
        self.media.push(name.to_string());
        Ok(())
    }

    /// Moves a file in (rename, or copy + fsync across filesystems; then the
    /// original is removed once the job is committed).
    pub fn add_move(&mut self, name: &str, from: &Path) -> Result<()> {
        self.check_new(name)?;
        let to = self.tmp.join(name);
        let meta = fs::metadata(from).map_err(ioe("stat", from))?;
        if !meta.is_file() {
            return Err(SpoolError::io(
                "move in",
                from,
                io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
            ));
        }
        let copied = match fs::rename(from, &to) {
            Ok(()) => false,
            Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
                if let Err(e) = fsutil::copy_synced(from, &to) {
                    let _ = fs::remove_file(&to);
                    return Err(SpoolError::io("copy in", &to, e));
                }
                true
            }
            Err(e) => return Err(SpoolError::io("move in", from, e)),
        };
        self.moved.push(Moved {
            from: from.to_path_buf(),
            to,
            copied,
        });
        self.media.push(name.to_string());
        Ok(())
    }

    /// Commit into `captured` instead of `ready`: the job is stored but not
    /// delivered until [`Spool::mark_ready`].
    pub fn hold(&mut self) {
        self.hold = true;
    }

    /// Makes the job visible, all at once: fsync media, write and fsync the
    /// manifest, rename the folder into place, fsync the spool root. On error the
    /// temp folder is kept for recovery (captured data is never deleted here).
    pub fn commit(mut self, now: SystemTime) -> Result<JobId> {
        let r = self.commit_inner(now);
        if r.is_ok() {
            self.committed = true;
        }
        r
    }

    /// Discards the job: moved-in files go back where they came from, the temp
    /// folder is deleted.
    pub fn abort(mut self) -> Result<()> {
        self.rollback();
        Ok(())
    }

    fn check_new(&self, name: &str) -> Result<()> {
        validate_media_name(name)?;
        if self.media.iter().any(|n| n == name) {
            return Err(SpoolError::InvalidMediaName {
                name: name.to_string(),
                why: "already added to this job",
            });
        }
        Ok(())
    }

    fn commit_inner(&mut self, now: SystemTime) -> Result<JobId> {
        let mut entries = Vec::with_capacity(self.media.len());
        for name in &self.media {
            let path = self.tmp.join(name);
            match fsutil::sync_file(&path) {
                Ok(size) => entries.push(MediaEntry {
                    name: name.clone(),
                    size,
                }),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(SpoolError::MissingMedia { name: name.clone() })
                }
                Err(e) => return Err(SpoolError::io("fsync media", &path, e)),
            }
        }
        let mut m = Manifest::new(
            self.id.clone(),
            self.kind,
            self.created,
            self.facts.clone(),
            entries,
        );
        if !self.hold {
            m.transition(now, JobState::Ready, "committed")?;
        }
        let manifest = self.tmp.join(MANIFEST_FILE);
        if let Err(e) = fsutil::write_new_synced(&manifest, &m.to_bytes()) {
            let _ = fs::remove_file(&manifest);
            return Err(SpoolError::io("write manifest", &manifest, e));
        }
        fsutil::sync_dir(&self.tmp).map_err(ioe("fsync", &self.tmp))?;
        let dest = self.spool.root.join(self.id.as_str());
        if let Err(e) = fsutil::rename_noreplace(&self.tmp, &dest) {
            let _ = fs::remove_file(&manifest);
            return Err(SpoolError::io("commit", &self.tmp, e));
        }
        if let Err(e) = fsutil::sync_dir(&self.spool.root) {
            // The job is in place and its data durable; only the rename's
            // durability is in doubt. Reporting failure would invite a duplicate.
            tracing::error!(job = %self.id, error = %e, "fsync of spool root failed after commit");
        }
        for mv in self.moved.iter().filter(|m| m.copied) {
            if let Err(e) = fs::remove_file(&mv.from) {
                tracing::warn!(path = %mv.from.display(), error = %e, "cannot remove original after copy");
            }
        }
        tracing::info!(job = %self.id, kind = %self.kind, media = self.media.len(), "job committed");
        Ok(self.id.clone())
    }

    /// Undo: put moved files back, delete the temp folder. If a file cannot be put
    /// back the folder is kept (recovery will quarantine it) rather than lose it.
    fn rollback(&mut self) {
        let mut keep = false;
        for mv in self.moved.drain(..).rev() {
            if mv.copied {
                continue; // the original was never touched
            }
            if let Err(e) = fs::rename(&mv.to, &mv.from) {
                tracing::error!(from = %mv.to.display(), to = %mv.from.display(), error = %e,
                    "cannot put a moved file back; keeping the temp folder");
                keep = true;
            }
        }
        if !keep {
            if let Err(e) = fs::remove_dir_all(&self.tmp) {
                tracing::warn!(path = %self.tmp.display(), error = %e, "cannot remove temp folder");
            }
        }
        self.committed = true; // nothing more to do on drop
    }
}

impl Drop for JobBuilder {
    fn drop(&mut self) {
        if !self.committed {
            tracing::warn!(
                job = %self.id,
                path = %self.tmp.display(),
                "job builder dropped without commit or abort; temp folder kept for recovery"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsutil::ENOSPC_AFTER;

    fn t0() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_795_763_730)
    }

    fn open(dir: &Path) -> Spool {
        let opts =
            SpoolOptions::default().with_disk_usage(|_: &Path| Ok(DiskUsage::simulated(0.5)));
        Spool::open(dir, opts, t0()).unwrap().0
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn enospc_during_enqueue_leaves_no_half_job_and_restores_moved_files() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("spool");
        let spool = open(&root);
        let src = tmp.path().join("recording.wav");
        fs::write(&src, b"RIFF....WAVE").unwrap();
        // Writes: .lock (1), a.tif (2), then c.tif or the manifest fails.
        for (budget, what) in [(2, "media"), (3, "manifest")] {
            ENOSPC_AFTER.with(|c| c.set(Some(budget)));
            let err = spool
                .enqueue(
                    t0(),
                    JobKind::Fax,
                    Map::new(),
                    &[
                        ("a.tif", Media::Bytes(b"aaaa")),
                        ("b.wav", Media::Move(&src)),
                        ("c.tif", Media::Bytes(b"cccc")),
                    ],
                )
                .unwrap_err();
            ENOSPC_AFTER.with(|c| c.set(None));
            assert!(err.is_disk_full(), "{what}: {err}");
            assert!(
                matches!(err, SpoolError::DiskFull(DiskFull::NoSpace { .. })),
                "{what}: {err:?}"
            );
            assert_eq!(entries(&root), [QUARANTINE_DIR], "{what}: no half job left");
            assert_eq!(
                fs::read(&src).unwrap(),
                b"RIFF....WAVE",
                "{what}: moved file restored"
            );
        }
        let id = spool
            .enqueue(
                t0(),
                JobKind::Fax,
                Map::new(),
                &[("b.wav", Media::Move(&src))],
            )
            .unwrap();
        assert!(!src.exists());
        assert_eq!(entries(&root), [id.as_str(), QUARANTINE_DIR]);
    }

    #[test]
    fn enospc_during_manifest_update_keeps_the_old_manifest() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = open(tmp.path());
        let id = spool
            .enqueue(
                t0(),
                JobKind::Voicemail,
                Map::new(),
                &[("m.wav", Media::Bytes(b"x"))],
            )
            .unwrap();
        let c = spool
            .claim_due(t0(), "w", Duration::from_secs(60))
            .unwrap()
            .unwrap();
        ENOSPC_AFTER.with(|c| c.set(Some(0)));
        let err = spool.complete(t0(), &c, "250 OK").unwrap_err();
        ENOSPC_AFTER.with(|c| c.set(None));
        assert!(err.is_disk_full(), "{err}");
        let job = spool.get(&id).unwrap();
        assert_eq!(job.state(), Some(StateName::Sending));
        assert_eq!(
            entries(&job.dir),
            [".lock", ".worker", "m.wav", "manifest.json"],
            "no temp file left"
        );
        spool.complete(t0(), &c, "250 OK").unwrap();
        assert_eq!(spool.get(&id).unwrap().state(), Some(StateName::Delivered));
    }
}
