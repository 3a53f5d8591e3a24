//! Purge: deletes delivered and dead jobs past their retention, explaining every decision.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::{load_quarantined, read_manifest, ManifestRead, Spool, PURGE_PREFIX};
use crate::error::{ioe, Result};
use crate::fsutil::{self, Wait};
use crate::id::JobId;
use crate::manifest::StateName;
use crate::policy::Retention;
use crate::time;

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

impl Spool {
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
        self.index().forget(id);
        fsutil::sync_dir(&self.root).map_err(ioe("fsync", &self.root))?;
        fs::remove_dir_all(&doomed).map_err(ioe("delete", &doomed))
    }
}
