//! Small filesystem primitives with the durability rules spelled out once:
//! data is fsynced before it is renamed into place, and the directory holding a
//! rename is fsynced after it, so a crash leaves either the old or the new state.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use rustix::fs::FlockOperation;
use rustix::io::Errno;

/// Mode of every file the spool writes: faxes, voicemails and job records are personal data,
/// readable by the gateway's user only.
pub const FILE_MODE: u32 = 0o600;
/// Mode of every folder the spool creates.
pub const DIR_MODE: u32 = 0o700;

/// A new file for writing with [`FILE_MODE`], set explicitly after the open so that no umask
/// (however lax or odd) changes it.
fn create_private(opts: &mut OpenOptions, path: &Path) -> io::Result<File> {
    let f = opts.mode(FILE_MODE).open(path)?;
    f.set_permissions(Permissions::from_mode(FILE_MODE))?;
    Ok(f)
}

/// Creates the folder `path` (its parent must exist) with [`DIR_MODE`], whatever the umask.
pub fn create_dir_private(path: &Path) -> io::Result<()> {
    fs::DirBuilder::new().mode(DIR_MODE).create(path)?;
    fs::set_permissions(path, Permissions::from_mode(DIR_MODE))
}

/// Creates `path` and its missing parents with [`DIR_MODE`]; an existing `path` is tightened
/// to [`DIR_MODE`] (a spool made by an older version, or by hand, under a lax umask).
pub fn create_dir_all_private(path: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(path)?;
    let mode = fs::metadata(path)?.permissions().mode() & 0o7777;
    if mode != DIR_MODE {
        match fs::set_permissions(path, Permissions::from_mode(DIR_MODE)) {
            Ok(()) => tracing::info!(
                path = %path.display(),
                was = format!("{mode:o}"),
                "folder made private (0700)"
            ),
            // Someone else's folder (e.g. made by a package for several users): usable, but
            // say so, since what is in it may be readable by others.
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:o}"),
                "cannot make the folder private (not its owner): check who can read it"
            ),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Sets an existing file to [`FILE_MODE`] (files written by libraries, or moved in).
pub fn make_file_private(path: &Path) -> io::Result<()> {
    fs::set_permissions(path, Permissions::from_mode(FILE_MODE))
}

/// `n` random bytes as lower-case hex (ids, lease tokens, temp names).
pub(crate) fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    if getrandom::fill(&mut buf).is_err() {
        // The OS RNG failing is near impossible; fall back to a per-process
        // randomly keyed hash of time, pid and a counter so ids stay unique.
        use std::collections::hash_map::RandomState;
        use std::hash::{BuildHasher, Hasher};
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        for chunk in buf.chunks_mut(8) {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
            h.write_u32(std::process::id());
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0),
            );
            let v = h.finish().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
thread_local! {
    /// Test hook: after this many more successful data writes, fail with ENOSPC.
    pub(crate) static ENOSPC_AFTER: std::cell::Cell<Option<u32>> = const { std::cell::Cell::new(None) };
}

/// Test-only fault injection point, called before every data write.
fn fault_point() -> io::Result<()> {
    #[cfg(test)]
    {
        if let Some(n) = ENOSPC_AFTER.with(|c| c.get()) {
            if n == 0 {
                return Err(io::Error::from_raw_os_error(libc::ENOSPC));
            }
            ENOSPC_AFTER.with(|c| c.set(Some(n - 1)));
        }
    }
    Ok(())
}

/// Creates `path` (which must not exist), writes `bytes`, fsyncs the file.
pub(crate) fn write_new_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = create_private(OpenOptions::new().write(true).create_new(true), path)?;
    fault_point()?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Copies `from` to the new file `to` and fsyncs it (moving across filesystems).
pub(crate) fn copy_synced(from: &Path, to: &Path) -> io::Result<u64> {
    let mut src = File::open(from)?;
    let mut dst = create_private(OpenOptions::new().write(true).create_new(true), to)?;
    fault_point()?;
    let n = io::copy(&mut src, &mut dst)?;
    dst.sync_all()?;
    Ok(n)
}

/// fsyncs an existing file (media streamed in by the caller, or moved in) and makes it
/// [`FILE_MODE`]: whoever wrote it (spandsp, a recorder, another folder) chose its mode.
pub(crate) fn sync_file(path: &Path) -> io::Result<u64> {
    let f = File::open(path)?;
    if f.metadata()?.permissions().mode() & 0o7777 != FILE_MODE {
        f.set_permissions(Permissions::from_mode(FILE_MODE))?;
    }
    f.sync_all()?;
    Ok(f.metadata()?.len())
}

/// fsyncs a directory so renames and creations inside it are durable.
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

/// Replaces `dir/name` atomically: write `.name.tmp-<rand>`, fsync, rename, fsync `dir`.
/// On failure the temp file is removed and the old file is untouched.
pub(crate) fn atomic_replace(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp-{}", random_hex(4)));
    let result = write_new_synced(&tmp, bytes)
        .and_then(|()| fs::rename(&tmp, dir.join(name)))
        .and_then(|()| sync_dir(dir));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Is `name` an atomic-replace temp file left by [`atomic_replace`]?
pub(crate) fn is_replace_temp(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

/// An exclusive `flock(2)` on a file or directory, released on drop or when the
/// process dies (so a crashed holder never leaves a stale lock behind).
#[derive(Debug)]
pub(crate) struct Flock {
    _file: File,
}

/// How to wait for a lock.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    Block,
    Try,
}

impl Flock {
    /// Locks `path`. With `create`, a missing lock file is created (its folder
    /// must exist). `Ok(None)` when `Wait::Try` finds it held elsewhere.
    pub(crate) fn acquire(path: &Path, create: bool, wait: Wait) -> io::Result<Option<Flock>> {
        let file = if create {
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(FILE_MODE)
                .open(path)?
        } else {
            File::open(path)?
        };
        let op = match wait {
            Wait::Block => FlockOperation::LockExclusive,
            Wait::Try => FlockOperation::NonBlockingLockExclusive,
        };
        loop {
            match rustix::fs::flock(&file, op) {
                Ok(()) => return Ok(Some(Flock { _file: file })),
                Err(Errno::INTR) => continue,
                Err(Errno::WOULDBLOCK) if wait == Wait::Try => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// Newest modification time of a folder and the files directly in it: how we
/// tell a temp folder still being written from one abandoned by a crash.
pub(crate) fn newest_mtime(dir: &Path) -> io::Result<std::time::SystemTime> {
    let mut newest = fs::metadata(dir)?.modified()?;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if let Ok(m) = entry.metadata().and_then(|m| m.modified()) {
            newest = newest.max(m);
        }
    }
    Ok(newest)
}

/// Total bytes of regular files directly in `dir` (ignoring dot files) and their count.
pub(crate) fn payload_size(dir: &Path) -> io::Result<(usize, u64)> {
    let mut files = 0;
    let mut bytes = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let meta = entry.metadata()?;
        if meta.is_file() {
            files += 1;
            bytes += meta.len();
        }
    }
    Ok((files, bytes))
}

/// Renames a folder to a path that must not exist yet (never replaces a job).
pub(crate) fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    if fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", to.display()),
        ));
    }
    // Job folders are never empty (they hold manifest.json or .lock), so even in
    // the tiny window after the check rename(2) fails with ENOTEMPTY rather than
    // replacing another job.
    fs::rename(from, to)
}
