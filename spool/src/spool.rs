//! The spool itself: folders, locks, state changes. Writing a job is in `builder`, claims
//! and leases in `claim`, crash recovery in `recovery`, purge in `purge`; here are the
//! spool's options, listing, admin operations and the internals they share (locks,
//! manifests, quarantine).

use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::disk::{DiskUsage, DiskUsageSource, Statvfs};
use crate::error::{ioe, DiskFull, Result, SpoolError};
use crate::fsutil::{self, Flock, Wait};
use crate::id::JobId;
use crate::manifest::{
    validate_media_name, JobKind, JobState, Manifest, MediaEntry, StateName, MANIFEST_FILE,
};
use crate::policy::RetryPolicy;
use crate::time::serde_rfc3339;
use index::DueIndex;

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

mod builder;
mod claim;
mod index;
mod purge;
mod recovery;

pub use builder::{JobBuilder, Media};
pub use claim::{Claimed, FailOutcome};
pub use purge::{PurgeAction, PurgeDecision};
pub use recovery::RecoveryReport;
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
    /// Which jobs a claim may take, kept in memory so a claim does not read the whole spool.
    index: Arc<Mutex<DueIndex>>,
    /// Job records read by listings ([`Spool::list`], [`Spool::list_page`]) since open.
    listed_reads: Arc<AtomicU64>,
    /// Manifests read to build or refresh the due index since open.
    index_reads: Arc<AtomicU64>,
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
            index: Arc::default(),
            listed_reads: Arc::default(),
            index_reads: Arc::default(),
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
        self.index().place_manifest(&m);
        self.note_admin_change();
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
        self.index().forget(id);
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
        self.write_manifest(&dir, &m)?;
        self.index().place_manifest(&m);
        self.note_admin_change();
        Ok(())
    }

    // ----------------------------------------------------------------- due index

    fn index(&self) -> MutexGuard<'_, DueIndex> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tells the other processes on this spool that an admin operation changed a job's
    /// state, so they read the spool again at their next claim.
    fn note_admin_change(&self) {
        let path = self.quarantine.join(index::CHANGED_FILE);
        if let Err(e) = fs::write(&path, fsutil::random_hex(8)) {
            tracing::warn!(path = %path.display(), error = %e, "cannot note an admin change for other processes");
        }
    }

    /// Reads one job's manifest (without its lock: the claim re-reads it under the lock) and
    /// indexes it by its state.
    fn reindex(&self, id: &JobId) {
        self.index_reads.fetch_add(1, AtomicOrdering::Relaxed);
        let dir = self.root.join(id.as_str());
        match read_manifest(&dir, id) {
            Ok(ManifestRead::Ok(m)) => {
                let abandoned = self.abandoned(&dir, &m.state);
                let mut ix = self.index();
                ix.place(&m.id, m.kind, m.created, &m.state, abandoned);
                if matches!(m.state, JobState::Sending { .. }) && !abandoned {
                    // Held by a live worker that is not one of this process's claims (those
                    // are indexed by the claim itself, never read here while held).
                    ix.foreign_sending.insert(m.id.clone());
                }
            }
            Ok(ManifestRead::Broken(_)) => self.index().place_broken(id),
            Ok(ManifestRead::Gone) => self.index().forget(id),
            Err(e) => {
                tracing::error!(job = %id, error = %e, "cannot read job");
                // Looked at again by the next full scan.
                self.index().remove(id);
            }
        }
    }

    /// Before a claim: a full scan when the index was never built, when another process ran
    /// an admin operation, or every [`index::RESCAN_EVERY`]; the jobs of claims dropped
    /// without an outcome are read again.
    fn refresh_index(&self) -> Result<()> {
        let changed = index::read_changed(&self.quarantine);
        let (full, periodic) = {
            let ix = self.index();
            (
                !ix.built || ix.changed != changed,
                ix.scanned_at
                    .is_none_or(|t| t.elapsed() >= index::RESCAN_EVERY),
            )
        };
        if full {
            self.full_scan(changed)?;
        } else if periodic {
            // What other processes may have changed without a word: folders this process has
            // not seen (names only), and the jobs their workers hold (taken back if the
            // worker died). Nothing else is read again.
            self.scan_new(true)?;
            let foreign = {
                let mut ix = self.index();
                ix.scanned_at = Some(std::time::Instant::now());
                std::mem::take(&mut ix.foreign_sending)
            };
            for id in foreign {
                self.reindex(&id);
            }
        }
        let recheck = std::mem::take(&mut self.index().recheck);
        for id in recheck {
            self.reindex(&id);
        }
        Ok(())
    }

    /// Reads every live manifest but the delivered ones and rebuilds the index.
    fn full_scan(&self, changed: Option<Vec<u8>>) -> Result<()> {
        let root_mtime = fs::metadata(&self.root).and_then(|m| m.modified()).ok();
        let live = self.live_ids()?;
        let todo: Vec<JobId> = {
            let mut ix = self.index();
            ix.clear(&live);
            live.iter()
                .filter(|id| !ix.is_delivered(id))
                .cloned()
                .collect()
        };
        for id in todo {
            self.reindex(&id);
        }
        let mut ix = self.index();
        ix.built = true;
        ix.changed = changed;
        ix.root_mtime = root_mtime;
        ix.scanned_at = Some(std::time::Instant::now());
        Ok(())
    }

    /// When the spool root changed since the last look (a job committed or purged, maybe by
    /// another process): indexes the job folders this process has not seen. Returns whether
    /// it found any.
    fn scan_new(&self, force: bool) -> Result<bool> {
        let root_mtime = fs::metadata(&self.root).and_then(|m| m.modified()).ok();
        if !force && root_mtime.is_some() && self.index().root_mtime == root_mtime {
            return Ok(false);
        }
        let live = self.live_ids()?;
        let new: Vec<JobId> = {
            let mut ix = self.index();
            ix.root_mtime = root_mtime;
            ix.retain_live(&live);
            live.into_iter().filter(|id| !ix.is_known(id)).collect()
        };
        let found = !new.is_empty();
        for id in new {
            self.reindex(&id);
        }
        Ok(found)
    }

    /// Jobs the due index can hand out now or later (tests, benchmarks).
    #[doc(hidden)]
    pub fn indexed_jobs(&self) -> usize {
        self.index().len()
    }

    /// Manifests read to build or refresh the due index since open: a claim that finds its
    /// job in the index reads none (tests, benchmarks).
    #[doc(hidden)]
    pub fn index_reads(&self) -> u64 {
        self.index_reads.load(AtomicOrdering::Relaxed)
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

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use serde_json::Map;

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
