//! Writing a job: [`Spool::enqueue`] in one step, or [`Spool::begin`] and a [`JobBuilder`]
//! whose media arrive over time; either way the job appears whole or not at all.

use std::fs;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::{Map, Value};

use super::{illegal, Spool, LOCK_FILE, TMP_PREFIX};
use crate::error::{ioe, Result, SpoolError};
use crate::fsutil::{self, Flock, Wait};
use crate::id::JobId;
use crate::manifest::{
    validate_media_name, JobKind, JobState, Manifest, MediaEntry, StateName, MANIFEST_FILE,
};

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

impl Spool {
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
        self.spool.index().place_manifest(&m);
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
