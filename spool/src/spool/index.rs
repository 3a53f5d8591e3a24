//! The in-memory index of the jobs a claim may take, so that a claim costs O(log n) of the
//! queue instead of reading every manifest.
//!
//! The manifests stay the truth: the index only says which job to try first, and a claim
//! still re-reads the job's manifest under its lock. The index is built by a full scan at the
//! first claim and kept up to date by this process's own state changes (commit, claim,
//! complete, fail, admin operations, quarantine, purge). What other processes change is
//! picked up by a scan of the new folder names when the spool root changed and the index has
//! nothing due, by a full scan at once when another process ran an admin operation (it
//! rewrites [`CHANGED_FILE`]), and every [`RESCAN_EVERY`] by a scan of the folder names and a
//! look at the jobs other processes' workers hold (taken back if their worker died). No claim
//! reads the manifests of the whole queue again.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Weak};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::fsutil::Flock;
use crate::id::JobId;
use crate::manifest::{JobKind, JobState, Manifest};

/// In the quarantine folder (the spool root holds only jobs): rewritten (random content) by
/// every admin operation that makes a job due or takes it out,
/// so that the other processes on the spool rescan it at their next claim.
pub(super) const CHANGED_FILE: &str = ".changed";

/// How often the folder names are scanned and other processes' claims looked at, for what
/// other processes changed without telling (a job committed while this index had work, a
/// claim whose worker died).
pub(super) const RESCAN_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Where one indexed job waits.
#[derive(Clone, Debug)]
struct Slot {
    /// `None`: a manifest that cannot be read (any claim takes it, to quarantine it).
    kind: Option<JobKind>,
    created: SystemTime,
    /// `None`: due now (ready); else due at this time (retry, lease end).
    due: Option<SystemTime>,
}

/// The jobs a claim may take: ready ones by kind, oldest first; the others by the time they
/// become due.
#[derive(Debug, Default)]
pub(super) struct DueIndex {
    /// Whether a full scan has been made since open (or since recovery changed things).
    pub(super) built: bool,
    ready: HashMap<Option<JobKind>, BTreeSet<(SystemTime, JobId)>>,
    waiting: BTreeSet<(SystemTime, JobId)>,
    slots: HashMap<JobId, Slot>,
    /// Every live job this process has seen, indexed or not (captured, dead, delivered).
    known: HashSet<JobId>,
    /// Delivered is terminal: these manifests are never read again by scans.
    delivered: HashSet<JobId>,
    /// Jobs to read again before the next claim: a claim dropped without an outcome.
    pub(super) recheck: Vec<JobId>,
    /// `sending` jobs held by another process's live worker, read again every
    /// [`RESCAN_EVERY`] (taken back if that worker died).
    pub(super) foreign_sending: HashSet<JobId>,
    /// The spool root's mtime at the last scan of its names.
    pub(super) root_mtime: Option<SystemTime>,
    /// The content of [`CHANGED_FILE`] at the last full scan.
    pub(super) changed: Option<Vec<u8>>,
    /// When the last full scan ran.
    pub(super) scanned_at: Option<Instant>,
}

impl DueIndex {
    /// Takes `id` out of the claimable sets (it stays known).
    pub(super) fn remove(&mut self, id: &JobId) {
        if let Some(slot) = self.slots.remove(id) {
            match slot.due {
                None => {
                    if let Some(set) = self.ready.get_mut(&slot.kind) {
                        set.remove(&(slot.created, id.clone()));
                    }
                }
                Some(at) => {
                    self.waiting.remove(&(at, id.clone()));
                }
            }
        }
    }

    /// The job left the live spool (purged, quarantined).
    pub(super) fn forget(&mut self, id: &JobId) {
        self.remove(id);
        self.known.remove(id);
        self.delivered.remove(id);
    }

    fn insert(&mut self, id: JobId, slot: Slot) {
        match slot.due {
            None => {
                self.ready
                    .entry(slot.kind)
                    .or_default()
                    .insert((slot.created, id.clone()));
            }
            Some(at) => {
                self.waiting.insert((at, id.clone()));
            }
        }
        self.known.insert(id.clone());
        self.slots.insert(id, slot);
    }

    /// Indexes a job by its state. `abandoned`: a `sending` job whose worker is gone, due now.
    pub(super) fn place(
        &mut self,
        id: &JobId,
        kind: JobKind,
        created: SystemTime,
        state: &JobState,
        abandoned: bool,
    ) {
        self.remove(id);
        self.known.insert(id.clone());
        let due = match state {
            JobState::Ready => None,
            JobState::Sending { .. } if abandoned => None,
            JobState::Sending { lease } => Some(lease.expires),
            JobState::Retrying { next_attempt, .. } => Some(*next_attempt),
            JobState::Delivered { .. } => {
                self.delivered.insert(id.clone());
                return;
            }
            _ => return,
        };
        self.insert(
            id.clone(),
            Slot {
                kind: Some(kind),
                created,
                due,
            },
        );
    }

    /// Indexes a job from its manifest.
    pub(super) fn place_manifest(&mut self, m: &Manifest) {
        self.place(&m.id, m.kind, m.created, &m.state, false);
    }

    /// A job whose manifest cannot be read: the next claim of any kind takes it to quarantine.
    pub(super) fn place_broken(&mut self, id: &JobId) {
        self.remove(id);
        self.insert(
            id.clone(),
            Slot {
                kind: None,
                created: UNIX_EPOCH,
                due: None,
            },
        );
    }

    /// Whether this process has seen `id` (so a scan of new names skips it).
    pub(super) fn is_known(&self, id: &JobId) -> bool {
        self.known.contains(id) || self.delivered.contains(id)
    }

    /// Whether the job is known to be delivered (its manifest is never read again).
    pub(super) fn is_delivered(&self, id: &JobId) -> bool {
        self.delivered.contains(id)
    }

    /// Forgets everything before a full scan; delivered ids stay (terminal), minus the
    /// ones no longer in `live`.
    pub(super) fn clear(&mut self, live: &[JobId]) {
        self.ready.clear();
        self.waiting.clear();
        self.slots.clear();
        self.known.clear();
        self.foreign_sending.clear();
        self.delivered.retain(|id| live.binary_search(id).is_ok());
    }

    /// Forgets ids not in `live` (sorted): purged or quarantined by another process.
    pub(super) fn retain_live(&mut self, live: &[JobId]) {
        let gone: Vec<JobId> = self
            .known
            .iter()
            .chain(self.delivered.iter())
            .filter(|id| live.binary_search(id).is_err())
            .cloned()
            .collect();
        for id in gone {
            self.forget(&id);
        }
    }

    /// Takes the oldest claimable job of one of `kinds` (or with an unreadable manifest) out
    /// of the index: first the jobs whose time has come by `now` join the ready ones.
    pub(super) fn pop(&mut self, now: SystemTime, kinds: &[JobKind]) -> Option<JobId> {
        while let Some((at, id)) = self.waiting.first().cloned() {
            if at > now {
                break;
            }
            self.waiting.pop_first();
            if let Some(slot) = self.slots.get_mut(&id) {
                slot.due = None;
                self.ready
                    .entry(slot.kind)
                    .or_default()
                    .insert((slot.created, id));
            }
        }
        let best = kinds
            .iter()
            .map(|k| Some(*k))
            .chain(std::iter::once(None))
            .filter_map(|k| self.ready.get(&k).and_then(|s| s.first()).cloned())
            .min()?;
        self.remove(&best.1);
        Some(best.1)
    }

    /// Number of jobs the index can hand out (any time, any kind): for tests and benchmarks.
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }
}

/// The worker's liveness lock on a claim. When the claim is dropped without an outcome
/// (the worker gave up on it, or its task died) the job is read again at the next claim, so
/// it is taken back at once rather than after its lease, as it would be after a crash.
#[derive(Debug)]
pub(super) struct Alive {
    pub(super) _lock: Flock,
    pub(super) settled: AtomicBool,
    pub(super) id: JobId,
    pub(super) index: Weak<Mutex<DueIndex>>,
}

impl Drop for Alive {
    fn drop(&mut self) {
        if self.settled.load(Ordering::Relaxed) {
            return;
        }
        if let Some(index) = self.index.upgrade() {
            index
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .recheck
                .push(self.id.clone());
        }
    }
}

/// Reads [`CHANGED_FILE`] in `dir` (`None` when there is none yet).
pub(super) fn read_changed(dir: &std::path::Path) -> Option<Vec<u8>> {
    fs::read(dir.join(CHANGED_FILE)).ok()
}
