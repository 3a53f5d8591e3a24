//! Claims: a worker takes the oldest due job under its lock, holds it with a lease (and a
//! `.worker` lock that dies with the process), and ends the attempt with
//! [`Spool::complete`] or [`Spool::fail`].

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use super::index::Alive;
use super::{last_error_suffix, read_manifest, ManifestRead, Spool, WORKER_FILE};
use crate::error::{Result, SpoolError};
use crate::fsutil::{self, Flock, Wait};
use crate::id::JobId;
use crate::manifest::{JobKind, JobState, Lease, Manifest};
use crate::time;

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
    _alive: Option<Arc<Alive>>,
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

impl Spool {
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
                JobKind::Webhook,
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
        self.refresh_index()?;
        let mut put_back = Vec::new();
        let mut first_error = None;
        let mut looked_for_new = false;
        let claimed = loop {
            let next = self.index().pop(now, kinds);
            let id = match next {
                Some(id) => id,
                // Nothing due in the index: look for jobs other processes committed, once.
                None if !looked_for_new => {
                    looked_for_new = true;
                    match self.scan_new(false) {
                        Ok(true) => continue,
                        Ok(false) => break None,
                        Err(e) => {
                            first_error.get_or_insert(e);
                            break None;
                        }
                    }
                }
                None => break None,
            };
            match self.try_claim(now, &id, worker, lease, false) {
                Ok(Some(c)) => break Some(c),
                // Busy, not due after all, or changed meanwhile: indexed anew after this claim.
                Ok(None) => put_back.push(id),
                Err(e) => {
                    tracing::error!(job = %id, error = %e, "claim failed; trying the next job");
                    first_error.get_or_insert(e);
                    put_back.push(id);
                }
            }
        };
        for id in put_back {
            self.reindex(&id);
        }
        match (claimed, first_error) {
            (Some(c), _) => Ok(Some(c)),
            (None, Some(e)) => Err(e),
            (None, None) => Ok(None),
        }
    }

    /// Claims job `id` for `worker` whatever its schedule says: ready, retrying (due or not),
    /// or sending whose lease expired or whose worker is gone; `None` when it is final, held
    /// by a live worker, or missing. For a job whose schedule is kept elsewhere (an outbound
    /// fax queued in the shared database): the spool job is its local record, updated
    /// through the claim. The retry budget is not applied (the schedule's owner applies it).
    pub fn claim_id(
        &self,
        now: SystemTime,
        id: &JobId,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<Claimed>> {
        self.try_claim(now, id, worker, lease, true)
    }

    fn try_claim(
        &self,
        now: SystemTime,
        id: &JobId,
        worker: &str,
        lease: Duration,
        any_time: bool,
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
        let waiting = matches!(m.state, JobState::Ready | JobState::Retrying { .. });
        let claimable = m.state.is_due(now) || abandoned || (any_time && waiting);
        if !claimable {
            return Ok(None);
        }
        // Taken before the manifest says "sending", so there is no moment where the job is
        // ours on disk but looks abandoned to another worker.
        let alive = match Flock::acquire(&dir.join(WORKER_FILE), true, Wait::Try) {
            Ok(l) => l.map(|lock| {
                Arc::new(Alive {
                    _lock: lock,
                    settled: AtomicBool::new(false),
                    id: id.clone(),
                    index: Arc::downgrade(&self.index),
                })
            }),
            Err(e) => return Err(SpoolError::io("lock", dir.join(WORKER_FILE), e)),
        };
        let mut note = String::new();
        if let JobState::Sending { lease: old } = &m.state {
            let first = m.first_attempt.unwrap_or(m.state_since);
            if !any_time && self.opts.retry.exhausted(first, now) {
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
        self.index().place_manifest(&m);
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
    pub(super) fn abandoned(&self, dir: &Path, state: &JobState) -> bool {
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
        self.complete_with_facts(now, claimed, note, |_| {})
    }

    /// [`Spool::complete`] with the job's facts changed in the same manifest write (the
    /// delivery record): one write, two fsyncs, less per delivery.
    pub fn complete_with_facts(
        &self,
        now: SystemTime,
        claimed: &Claimed,
        note: &str,
        facts: impl FnOnce(&mut Map<String, Value>),
    ) -> Result<()> {
        self.with_lease(now, claimed, |m| {
            facts(&mut m.facts);
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
    /// of the [`RetryPolicy`](crate::RetryPolicy); a permanent failure, or a spent budget, goes to
    /// `dead` with the reason.
    pub fn fail(
        &self,
        now: SystemTime,
        claimed: &Claimed,
        error: &str,
        permanent: bool,
    ) -> Result<FailOutcome> {
        self.fail_with_facts(now, claimed, error, permanent, |_| {})
    }

    /// [`Spool::fail`] with the job's facts changed in the same manifest write.
    pub fn fail_with_facts(
        &self,
        now: SystemTime,
        claimed: &Claimed,
        error: &str,
        permanent: bool,
        facts: impl FnOnce(&mut Map<String, Value>),
    ) -> Result<FailOutcome> {
        let retry = self.opts.retry;
        let mut outcome = None;
        self.with_lease(now, claimed, |m| {
            facts(&mut m.facts);
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
        self.index().place_manifest(&m);
        if !matches!(m.state, JobState::Sending { .. }) {
            if let Some(alive) = &claimed._alive {
                alive.settled.store(true, Ordering::Relaxed);
            }
        }
        Ok(m)
    }
}
