//! Crash recovery: finishes interrupted commits and purges, removes leftovers, and
//! quarantines broken jobs and abandoned captures that hold data.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{check_media, read_manifest, ManifestRead, Spool, PURGE_PREFIX, TMP_PREFIX};
use crate::error::{ioe, Result, SpoolError};
use crate::fsutil::{self, Flock, Wait};
use crate::id::JobId;
use crate::time;

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

impl Spool {
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
                self.index().place_manifest(&m);
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
}
