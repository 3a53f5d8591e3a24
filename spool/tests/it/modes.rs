//! Faxes, voicemails and job records are personal data: under a lax umask (022, the usual
//! default) every folder of the spool is still 0700 and every file 0600.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use faxvox_spool::{JobKind, Media, StateName};
use serde_json::Map;

use crate::*;

/// Every folder and file under `root` whose mode is not 0700 (folders) or 0600 (files).
fn loose(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        if mode != 0o700 {
            out.push(format!("{} {mode:o}", dir.display()));
        }
        for e in fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let meta = fs::symlink_metadata(e.path()).unwrap();
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                let mode = meta.permissions().mode() & 0o777;
                if mode != 0o600 {
                    out.push(format!("{} {mode:o}", e.path().display()));
                }
            }
        }
    }
    out
}

#[test]
fn spool_folders_are_0700_and_files_0600_under_umask_022() {
    // SAFETY: umask(2) only sets the process's file creation mask; 022 is the usual default,
    // so the other tests of this binary are not affected.
    unsafe { libc::umask(0o022) };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("var").join("spool");
    let spool = open(&root);

    // Bytes, a file moved in (written elsewhere as 0644), a file streamed in.
    let outside = tmp.path().join("message.wav");
    fs::write(&outside, b"RIFF....WAVE").unwrap();
    assert_eq!(
        fs::metadata(&outside).unwrap().permissions().mode() & 0o777,
        0o644,
        "the umask is lax"
    );
    let a = spool
        .enqueue(
            t0(),
            JobKind::Voicemail,
            facts(serde_json::json!({ "caller": "+33100000000" })),
            &[
                ("message.wav", Media::Move(&outside)),
                ("note.txt", Media::Bytes(b"hello")),
            ],
        )
        .unwrap();
    let mut b = spool.begin(t0(), JobKind::Fax, Map::new()).unwrap();
    b.create_media("fax.tif")
        .unwrap()
        .write_all(b"II*\0")
        .unwrap();
    // A file written by a library (spandsp writes the TIFF itself) with its own mode.
    let lib = b.media_path("page2.tif").unwrap();
    fs::write(&lib, b"II*\0").unwrap();
    let b = b.commit(t0()).unwrap();
    // Claimed (the worker lock file), failed (manifest rewritten), one quarantined.
    let c = spool.claim_due(t0(), "w", MIN).unwrap().unwrap();
    spool.fail(t0(), &c, "busy", false).unwrap();
    fs::remove_file(root.join(b.as_str()).join("page2.tif")).unwrap();
    spool.recover(t0() + MIN).unwrap();
    assert_eq!(spool.get(&b).unwrap().state(), Some(StateName::Quarantined));
    assert!(spool.get(&a).is_ok());

    assert_eq!(loose(&root), Vec::<String>::new());
}

#[test]
fn an_existing_lax_spool_root_is_made_private() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("spool");
    fs::create_dir(&root).unwrap();
    fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).unwrap();
    let _spool = open(&root);
    assert_eq!(
        fs::metadata(&root).unwrap().permissions().mode() & 0o777,
        0o700
    );
}
