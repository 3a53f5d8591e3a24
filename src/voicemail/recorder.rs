//! The recording itself: streams the caller's audio to the WAV file, enforces the length cap,
//! watches for trailing silence, and trims the finished file.
//!
//! Silence is judged per 20 ms window (counted from the start of the recording) with
//! [`rms_dbfs`], the same measure as [`faxvox_codecs::recording::trailing_silence_start`], so the
//! online decision and an offline re-check of the file agree. Trimming shortens the synced
//! file in place and lets [`recover_wav`] rewrite the header sizes from the new length.

use std::fs::OpenOptions;
use std::path::Path;

use faxvox_codecs::recording::{recover_wav, RecordingError, RecordingInfo, WavRecorder};
use faxvox_codecs::tones::rms_dbfs;

use super::FRAME_SAMPLES;

const WINDOW: usize = FRAME_SAMPLES;

/// Why writing stopped on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Limit {
    /// `max_record` reached: nothing more will be written.
    MaxLength,
    /// The trailing-silence rule fired.
    Silence,
}

#[derive(Debug)]
pub(super) struct Take {
    wav: WavRecorder,
    written: u64,
    max: u64,
    threshold_dbfs: f32,
    /// Trailing silence (samples) that stops the recording; 0 = never.
    silence_stop: u64,
    window: Vec<i16>,
    /// Start of the first loud window.
    first_loud: Option<u64>,
    /// End of the last loud window (0 if none yet).
    loud_end: u64,
}

impl Take {
    pub fn new(wav: WavRecorder, max: u64, threshold_dbfs: f32, silence_stop: u64) -> Self {
        Take {
            wav,
            written: 0,
            max,
            threshold_dbfs,
            silence_stop,
            window: Vec::with_capacity(WINDOW),
            first_loud: None,
            loud_end: 0,
        }
    }

    /// Samples written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// End of the last loud window.
    pub fn loud_end(&self) -> u64 {
        self.loud_end
    }

    /// Whether any window before sample `keep` was loud.
    pub fn has_sound_before(&self, keep: u64) -> bool {
        self.first_loud.is_some_and(|f| f < keep)
    }

    /// Appends audio (at most up to the length cap). `Ok(Some(_))` means the recording must stop.
    pub fn write(&mut self, samples: &[i16]) -> Result<Option<Limit>, RecordingError> {
        let room = self.max.saturating_sub(self.written);
        let samples = &samples[..samples
            .len()
            .min(usize::try_from(room).unwrap_or(usize::MAX))];
        if !samples.is_empty() {
            self.wav.write(samples)?;
        }
        let mut silence = false;
        for &s in samples {
            self.window.push(s);
            self.written += 1;
            if self.window.len() == WINDOW {
                if rms_dbfs(&self.window) >= self.threshold_dbfs {
                    self.first_loud.get_or_insert(self.written - WINDOW as u64);
                    self.loud_end = self.written;
                } else if self.silence_stop > 0 && self.written - self.loud_end >= self.silence_stop
                {
                    silence = true;
                }
                self.window.clear();
            }
        }
        Ok(if self.written >= self.max {
            Some(Limit::MaxLength)
        } else if silence {
            Some(Limit::Silence)
        } else {
            None
        })
    }

    /// Finalises and syncs the file, cuts it to `keep` samples if that is shorter, and syncs
    /// the folder so the file's directory entry survives a power loss too.
    pub fn finish(self, keep: u64) -> Result<RecordingInfo, RecordingError> {
        let path = self.wav.path().to_path_buf();
        let mut info = self.wav.finish()?;
        if keep < info.samples {
            info = truncate(&path, info, keep)?;
        }
        sync_parent(&path)?;
        Ok(info)
    }
}

/// fsyncs the folder holding `path` (the file was created during this call).
fn sync_parent(path: &Path) -> Result<(), RecordingError> {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::File::open(parent)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Shortens a finished recording to `keep` samples; `recover_wav` fixes the header and syncs.
fn truncate(path: &Path, info: RecordingInfo, keep: u64) -> Result<RecordingInfo, RecordingError> {
    let header = info.file_bytes - 2 * info.samples;
    OpenOptions::new()
        .write(true)
        .open(path)?
        .set_len(header + 2 * keep)?;
    recover_wav(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxvox_codecs::recording::read_wav_file;

    #[test]
    fn silence_rule_and_trim() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.wav");
        let wav = WavRecorder::create(&path).unwrap();
        let mut take = Take::new(wav, 80_000, -45.0, 1600);
        let loud: Vec<i16> = (0..800)
            .map(|i| if i % 2 == 0 { 3000 } else { -3000 })
            .collect();
        assert_eq!(take.write(&loud).unwrap(), None);
        assert_eq!(take.loud_end(), 800);
        // 1440 silent samples: not yet 1600 (nine windows) ...
        assert_eq!(take.write(&[0; 1440]).unwrap(), None);
        // ... the tenth silent window makes 1600.
        assert_eq!(take.write(&[0; 160]).unwrap(), Some(Limit::Silence));
        assert!(take.has_sound_before(1));
        let info = take.finish(1000).unwrap();
        assert_eq!(info.samples, 1000);
        let back = read_wav_file(&path).unwrap();
        assert_eq!(&back[..800], &loud[..]);
        assert_eq!(back.len(), 1000);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), info.file_bytes);
    }

    #[test]
    fn length_cap_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.wav");
        let mut take = Take::new(WavRecorder::create(&path).unwrap(), 500, -45.0, 0);
        assert_eq!(take.write(&[100; 320]).unwrap(), None);
        assert_eq!(take.write(&[100; 320]).unwrap(), Some(Limit::MaxLength));
        assert_eq!(take.written(), 500);
        assert!(
            !take.has_sound_before(500),
            "-50 dBFS is below the threshold"
        );
        assert_eq!(take.finish(500).unwrap().samples, 500);
    }
}
