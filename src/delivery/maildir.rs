//! Local delivery into a Maildir (`smtp.url = "maildir:///path"` or empty `smtp.url`).
//!
//! Follows the Maildir rules so any MDA/MUA can read it while we write: the message is
//! written under `tmp/` with a unique name, flushed to disk, then renamed into `new/` in one
//! atomic step; a reader never sees a half-written file.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Creates `tmp/`, `new/` and `cur/` under `root` if needed (new folders are private, 0700:
/// faxes and voicemails are personal data).
pub fn ensure(root: &Path) -> std::io::Result<()> {
    for sub in ["tmp", "new", "cur"] {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(root.join(sub))?;
    }
    Ok(())
}

/// Writes `bytes` as one new message and returns its path in `new/`.
pub fn deliver(root: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    ensure(root)?;
    let name = unique_name();
    let tmp = root.join("tmp").join(&name);
    let new = root.join("new").join(&name);
    let result = (|| {
        // 0600: a message holds a client's fax or voicemail (umask can only remove bits).
        let mut file = std::os::unix::fs::OpenOptionsExt::mode(
            OpenOptions::new().write(true).create_new(true),
            0o600,
        )
        .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, &new)?;
        // Make the rename itself durable.
        File::open(root.join("new"))?.sync_all()?;
        Ok(new.clone())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `<secs>.M<micros>P<pid>Q<counter>R<random>.<host>`, as the Maildir specification suggests.
fn unique_name() -> String {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let q = COUNTER.fetch_add(1, Ordering::Relaxed);
    let r: u32 = rand::random();
    format!(
        "{}.M{}P{}Q{}R{:08x}.{}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        q,
        r,
        hostname()
    )
}

fn hostname() -> String {
    let raw = fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let raw = raw.trim();
    let raw = if raw.is_empty() { "localhost" } else { raw };
    raw.chars()
        .map(|c| match c {
            '/' => "\\057".to_string(),
            ':' => "\\072".to_string(),
            c if c.is_ascii_graphic() => c.to_string(),
            _ => String::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_one_file_into_new() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Maildir");
        let a = deliver(&root, b"Subject: a\r\n\r\nA\r\n").unwrap();
        let b = deliver(&root, b"Subject: b\r\n\r\nB\r\n").unwrap();
        assert_ne!(a, b);
        assert_eq!(fs::read_dir(root.join("new")).unwrap().count(), 2);
        assert_eq!(fs::read_dir(root.join("tmp")).unwrap().count(), 0);
        assert!(root.join("cur").is_dir());
        assert_eq!(fs::read(&a).unwrap(), b"Subject: a\r\n\r\nA\r\n");
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(!name.contains(':') && !name.contains('/'), "{name}");
    }

    #[test]
    fn messages_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Maildir");
        let a = deliver(&root, b"Subject: a\r\n\r\nA\r\n").unwrap();
        let mode = fs::metadata(&a).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "message mode {mode:o}");
        for sub in ["tmp", "new", "cur"] {
            let mode = fs::metadata(root.join(sub)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{sub} mode {mode:o}");
        }
    }
}
