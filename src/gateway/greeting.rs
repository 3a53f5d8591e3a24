//! Voicemail greetings of lines: decoded once when the operator sets them, played many times.
//!
//! `faxvox line add … --greeting FILE` and `faxvox line greeting NUMBER FILE` decode any common
//! audio format with [`faxvox_codecs::greeting`], refuse what does not decode (nothing is
//! stored), and keep the result as an 8 kHz mono 16-bit WAV at
//! `<spool.dir>/greetings/<E.164 number>.wav` (written atomically). The line's `greeting`
//! column holds that path. At call time [`load_line_greeting`] reads it back; any problem
//! (file gone, damaged) falls back to the built-in greeting with a warning, so a caller never
//! hears dead air. The same WAV is kept in the database (`line_greetings`, its hash on the
//! line): a node that shares the database but not the disk of the machine that stored it
//! plays it from a copy under its own spool ([`line_greeting`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use faxvox_codecs::greeting::{decode_greeting, default_greeting, GreetingError};
use faxvox_codecs::recording::{read_wav, wav_bytes};
use thiserror::Error;
use tracing::warn;

use crate::directory::{greeting_sha256, Directory, Line};
use crate::voicemail::VoicemailConfig;
use crate::voicemail::VoicemailSection;

/// Folder under `spool.dir` holding the stored greetings.
pub const GREETINGS_DIR: &str = "greetings";

/// Why a greeting could not be stored.
#[derive(Debug, Error)]
pub enum GreetingStoreError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not usable audio; the message says what is wrong with it.
    #[error("{} is not a usable greeting: {source}", path.display())]
    Decode {
        path: PathBuf,
        source: GreetingError,
    },
    #[error("cannot write the greeting {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A greeting decoded and ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedGreeting {
    /// 8 kHz mono samples.
    pub samples: Vec<i16>,
}

impl DecodedGreeting {
    /// Its length.
    pub fn duration(&self) -> Duration {
        Duration::from_millis(self.samples.len() as u64 * 1000 / 8000)
    }
}

/// Reads and decodes an uploaded greeting file (WAV, MP3, Ogg, FLAC, M4A… at any rate).
pub fn decode_greeting_file(path: &Path) -> Result<DecodedGreeting, GreetingStoreError> {
    let bytes = std::fs::read(path).map_err(|source| GreetingStoreError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let samples = decode_greeting(&bytes).map_err(|source| GreetingStoreError::Decode {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(DecodedGreeting { samples })
}

/// Where the greeting of `number` (E.164) is kept. Absolute when `spool_dir` is, else
/// relative to the current folder; [`store_greeting`] returns the absolute form.
pub fn greeting_path(spool_dir: &Path, number: &str) -> PathBuf {
    spool_dir.join(GREETINGS_DIR).join(format!("{number}.wav"))
}

/// Stores a decoded greeting for `number` (E.164) as an 8 kHz WAV, atomically (a reader sees
/// the old file or the new one). Returns the absolute path to record in the directory.
pub fn store_greeting(
    spool_dir: &Path,
    number: &str,
    greeting: &DecodedGreeting,
) -> Result<PathBuf, GreetingStoreError> {
    let path = greeting_path(spool_dir, number);
    let write_err = |source| GreetingStoreError::Write {
        path: path.clone(),
        source,
    };
    let folder = path.parent().unwrap_or(spool_dir);
    crate::fsutil::create_dir_all_private(folder).map_err(write_err)?;
    let folder = std::path::absolute(folder).map_err(write_err)?;
    let path = folder.join(format!("{number}.wav"));
    crate::fsutil::write_private(&path, &wav_bytes(&greeting.samples)).map_err(|source| {
        GreetingStoreError::Write {
            path: path.clone(),
            source,
        }
    })?;
    Ok(path)
}

/// The greeting to play on a line: its stored file when it has one and it reads back, else
/// the built-in greeting (with a warning naming the file and the problem).
pub fn load_line_greeting(path: Option<&Path>) -> Vec<i16> {
    let Some(path) = path else {
        return default_greeting();
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            warn!(path = %path.display(), error = %e, "greeting unreadable; playing the built-in one");
            return default_greeting();
        }
    };
    // Normally our own 8 kHz WAV; a file an operator put there by hand is decoded in full.
    if let Ok(samples) = read_wav(&bytes) {
        if !samples.is_empty() {
            return samples;
        }
    }
    match decode_greeting(&bytes) {
        Ok(samples) => samples,
        Err(e) => {
            warn!(path = %path.display(), error = %e, "greeting unusable; playing the built-in one");
            default_greeting()
        }
    }
}

/// The voicemail session settings of a call to `line`: its greeting (or the built-in one) and
/// the `[voicemail]` limits.
pub fn voicemail_config(config: &VoicemailSection, line: &Line) -> VoicemailConfig {
    let greeting = load_line_greeting(line.greeting.as_deref().map(Path::new));
    config.session_config(greeting)
}

/// Like [`voicemail_config`] on a node that may share its database with others: a greeting
/// kept in the database is played from this node's copy under `spool_dir` while that copy's
/// hash matches the line's, else fetched from the database (and the copy renewed), so every
/// node plays the greeting last stored, whichever node stored it.
pub async fn shared_voicemail_config(
    config: &VoicemailSection,
    directory: &Directory,
    spool_dir: &Path,
    line: &Line,
) -> VoicemailConfig {
    config.session_config(line_greeting(directory, spool_dir, line).await)
}

/// The greeting of `line` as [`shared_voicemail_config`] finds it; on any problem, the line's
/// file as [`load_line_greeting`] reads it (which falls back to the built-in greeting).
pub async fn line_greeting(directory: &Directory, spool_dir: &Path, line: &Line) -> Vec<i16> {
    let file = || load_line_greeting(line.greeting.as_deref().map(Path::new));
    let Some(sha) = &line.greeting_sha256 else {
        return file();
    };
    let copy = greeting_path(spool_dir, &line.number);
    if let Ok(bytes) = std::fs::read(&copy) {
        if greeting_sha256(&bytes) == *sha {
            if let Ok(samples) = read_wav(&bytes) {
                if !samples.is_empty() {
                    return samples;
                }
            }
        }
    }
    match directory.greeting_wav(&line.number).await {
        Ok(Some(bytes)) => match read_wav(&bytes) {
            Ok(samples) if !samples.is_empty() => {
                let written = copy
                    .parent()
                    .map_or(Ok(()), crate::fsutil::create_dir_all_private)
                    .and_then(|()| crate::fsutil::write_private(&copy, &bytes));
                if let Err(e) = written {
                    warn!(path = %copy.display(), error = %e, "cannot keep a copy of the greeting");
                }
                return samples;
            }
            _ => warn!(line = %line.number, "the greeting in the database is not a usable WAV"),
        },
        Ok(None) => warn!(line = %line.number, "no greeting in the database for this line"),
        Err(e) => {
            warn!(line = %line.number, error = %e, "cannot read the greeting from the database")
        }
    }
    file()
}
