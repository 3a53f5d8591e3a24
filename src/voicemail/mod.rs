//! Voicemail: greeting, beep, recording with stop rules, and the hand-over to fax when a fax
//! machine calls a voicemail line.
//!
//! [`VoicemailSession`] is one voicemail call as a sans-IO state machine, like
//! [`crate::fax::FaxSession`]: the call task feeds it the caller's audio, DTMF digits, the
//! hang-up and time (`on_audio`, `on_missing_audio`, `on_dtmf`, `on_hangup`, `on_tick`) and polls
//! what the caller should hear (`poll_audio`) and what happened (`poll_event`). It opens no
//! socket, reads no clock and starts no thread; the only I/O is the recording file, which is
//! streamed to disk while the caller speaks (a crash loses at most the last second; see
//! [`faxvox_codecs::recording::WavRecorder`]).
//!
//! **Time.** `now` is a [`Duration`] since an arbitrary epoch, as in [`crate::media::netsim`];
//! the first call into the session marks the start of the greeting. Times in events are in the
//! caller's epoch (they are `now` values).
//!
//! **Flow.** greeting → beep → recording → one [`VoicemailEvent::Finished`]:
//! - The greeting plays in full; the skip digit (`#` by default) during the greeting jumps to
//!   the beep, as callers expect from most voicemail systems.
//! - Recording stops on hang-up, the stop digit (`#`), `trailing_silence` of silence (the silence
//!   is trimmed from the file) or `max_record` (the file holds exactly `max_record`).
//! - When the session ends the call itself (digit, silence, max length) the caller hears a
//!   short closing tone first; `Finished` comes after it, then the gateway sends BYE.
//! - A message shorter than `min_message` (after trimming), or one with no sound above the
//!   silence threshold at all, is a [`Outcome::MissedCall`], as is a hang-up before the beep has
//!   ended. **Missed calls keep nothing**: the file is deleted, so the spool never holds empty
//!   "messages" (users hate emails with 0.4 s of line noise).
//! - CNG (a calling fax machine) heard during the greeting, the beep or the first part of the
//!   recording (see [`VoicemailConfig::fax_detect_window`]) ends the session with
//!   [`Outcome::SwitchToFax`]: the gateway hands the same call to the fax receive path. The
//!   partial voice recording is deleted (it holds fax tones, not a message).
//! - A file error is [`Outcome::Failed`] with the reason, never a silent loss; whatever was
//!   already written is left on disk for salvage ([`faxvox_codecs::recording::recover_wav`]).
//!
//! The recording is written with blocking file calls (small, buffered writes checkpointed once
//! a second). That is fine on a tokio worker for local disks; a gateway on slow network storage
//! should drive the session from `spawn_blocking`.
//!
//! Every log line carries the session's `call_id` field.

mod beep;
mod config;
mod player;
mod recorder;
mod session;

use std::path::PathBuf;
use std::time::Duration;

use faxvox_codecs::recording::RecordingError;
use serde::Serialize;

pub use beep::BeepDetector;
pub use config::{VoicemailConfig, VoicemailSection};
pub use session::{Phase, VoicemailSession};

/// The only rate the session handles: 8 kHz (G.711).
pub const SAMPLE_RATE: u32 = 8000;
/// Samples in one 20 ms frame: what [`VoicemailSession::poll_audio`] returns.
pub const FRAME_SAMPLES: usize = 160;
/// The tick the caller is expected to drive the session with.
pub const TICK: Duration = Duration::from_millis(20);

/// Something the gateway must act on, oldest first.
#[derive(Debug)]
pub enum VoicemailEvent {
    /// The beep has ended and the caller's audio is now being recorded.
    RecordingStarted {
        /// The `now` at which recording began.
        at: Duration,
    },
    /// The session is over (the last event). After it, [`VoicemailSession::is_finished`] is
    /// true and `poll_audio` returns `None`: send BYE, or hand the call to fax.
    Finished(Outcome),
}

/// How a voicemail call ended.
#[derive(Debug)]
pub enum Outcome {
    /// A message was recorded; its file is final (cut and synced) once the session is closed
    /// ([`VoicemailSession::close`]).
    Message {
        /// The WAV file (8 kHz mono 16-bit).
        path: PathBuf,
        /// Length of the file's audio, after trimming.
        duration: Duration,
        /// Samples in the file.
        samples: u64,
        /// What ended the recording.
        stopped_by: StopReason,
    },
    /// Nothing worth delivering; no file is kept.
    MissedCall {
        /// Why.
        reason: MissedReason,
    },
    /// CNG was heard: the caller is a fax machine. The gateway should start a fax receive on
    /// the same call. No file is kept.
    SwitchToFax {
        /// The `now` at which the CNG was confirmed.
        at: Duration,
    },
    /// The recording could not be written; the reason says what and where.
    Failed {
        /// What went wrong.
        error: VoicemailError,
    },
}

/// What ended a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The caller hung up (the file keeps everything up to the hang-up, minus a trailing silence
    /// of a second or more).
    Hangup,
    /// The caller pressed the stop digit (the last [`DIGIT_GUARD`] before it is cut, so the
    /// key's tone is not in the message).
    Digit,
    /// `trailing_silence` of silence; the silence is trimmed from the file.
    Silence,
    /// The recording reached `max_record`; the file holds exactly that much.
    MaxLength,
}

/// Why a call produced no message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MissedReason {
    /// The caller hung up during the greeting or the beep.
    HungUpBeforeRecording,
    /// The message was shorter than `min_message` after trimming.
    TooShort {
        /// Length after trimming.
        duration: Duration,
        /// What ended the recording.
        stopped_by: StopReason,
    },
    /// Nothing in the recording rose above the silence threshold.
    NoSpeech {
        /// Length of the silent recording.
        duration: Duration,
        /// What ended the recording.
        stopped_by: StopReason,
    },
}

/// Audio before the stop digit's arrival that is cut from the message: the key's in-band tone
/// usually reaches us before (or instead of) its RFC 4733 event.
pub const DIGIT_GUARD: Duration = Duration::from_millis(100);
/// Silence kept after the last sound when trailing silence is trimmed, so the last word's decay
/// is not clipped.
pub const TRIM_TAIL: Duration = Duration::from_millis(250);
/// At hang-up, a trailing silence at least this long is trimmed (shorter pauses are kept).
pub const HANGUP_TRIM_MIN: Duration = Duration::from_secs(1);

/// Errors of the recording file. They end the session with [`Outcome::Failed`].
#[derive(Debug, thiserror::Error)]
pub enum VoicemailError {
    /// The recording file could not be created (missing or read-only folder, file exists, ...).
    #[error("cannot create voicemail recording {}: {source}", path.display())]
    Create {
        /// The file that was to be created.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: RecordingError,
    },
    /// Writing audio failed mid-call (disk full, I/O error). The file keeps what was written
    /// before the failure.
    #[error("writing voicemail recording {} failed after {recorded:?}: {source}", path.display())]
    Write {
        /// The recording file.
        path: PathBuf,
        /// How much audio had been recorded.
        recorded: Duration,
        /// The underlying error.
        #[source]
        source: RecordingError,
    },
    /// Finalising, trimming or syncing the file failed, so the message is not known to be safe.
    #[error("finishing voicemail recording {} failed: {source}", path.display())]
    Finish {
        /// The recording file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: RecordingError,
    },
}

/// Samples in `d` at 8 kHz (rounded down; saturates for absurd durations like `Duration::MAX`).
fn samples_in(d: Duration) -> u64 {
    u64::try_from(d.as_nanos() * u128::from(SAMPLE_RATE) / 1_000_000_000).unwrap_or(u64::MAX)
}

/// Duration of `n` samples at 8 kHz.
fn samples_to_duration(n: u64) -> Duration {
    Duration::from_nanos((u128::from(n) * 1_000_000_000 / u128::from(SAMPLE_RATE)) as u64)
}
