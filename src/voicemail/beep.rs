//! [`BeepDetector`]: hears the voicemail beep in received audio, so a caller can wait for it
//! before speaking, as a person does (the test caller, `faxvox call voice`).
//!
//! The beep is [`faxvox_codecs::tones::beep`]: [`BEEP_HZ`] (1 kHz) for [`BEEP_MS`] (500 ms).
//! spandsp's connect-tone detectors ([`crate::fax::tones`]) cover fax tones and DTMF only, so
//! the beep is found with the project's Goertzel measure
//! ([`faxvox_codecs::tones::tone_level_dbfs`]) over 20 ms blocks: a block is "beep" when the
//! 1 kHz component is loud and carries nearly all of the block's energy (speech and noise
//! spread theirs over the band). The beep is heard when at least [`MIN_BEEP`] of such blocks
//! in a row end; the end of the block where it stops is the time reported, the moment a person starts talking. A steady
//! 1 kHz tone longer than [`MAX_BEEP`] is not a beep.
//!
//! Sans IO: fed decoded 8 kHz audio with the `now` of its first sample; no clock, no timeout
//! (the caller decides how long to wait).

use std::time::Duration;

use faxvox_codecs::tones::{rms_dbfs, tone_level_dbfs, BEEP_HZ, BEEP_MS};

use super::{FRAME_SAMPLES, SAMPLE_RATE};

/// The shortest run of 1 kHz taken as the beep (the gateway's is [`BEEP_MS`]; a run is counted
/// in whole 20 ms blocks, and the blocks at its edges hold part tone, part something else).
pub const MIN_BEEP: Duration = Duration::from_millis(BEEP_MS as u64 * 2 / 5);
/// The longest: a steady tone beyond it is something else (a test tone, a fault).
pub const MAX_BEEP: Duration = Duration::from_millis(BEEP_MS as u64 * 4);
/// A block's 1 kHz level must reach this (dBFS; the beep is sent at −14 dBFS).
const MIN_LEVEL_DBFS: f32 = -40.0;
/// …and be within this of the block's whole level (1.5 dB: at least 70 % of its energy).
const PURITY_DB: f32 = 1.5;

/// Finds the end of the voicemail beep in a stream of received audio.
#[derive(Debug, Clone, Default)]
pub struct BeepDetector {
    /// Samples of the block being filled.
    block: Vec<i16>,
    /// `now` of the block's first sample.
    block_at: Duration,
    /// Consecutive beep blocks so far.
    run: u32,
    /// The end of the beep, once heard.
    heard: Option<Duration>,
}

impl BeepDetector {
    /// A detector that has heard nothing yet.
    pub fn new() -> Self {
        BeepDetector {
            block: Vec::with_capacity(FRAME_SAMPLES),
            ..Default::default()
        }
    }

    /// Feeds 8 kHz audio whose first sample was heard at `now`. Once the beep is heard, further
    /// audio is ignored.
    pub fn feed(&mut self, now: Duration, samples: &[i16]) {
        for (i, &s) in samples.iter().enumerate() {
            if self.heard.is_some() {
                return;
            }
            if self.block.is_empty() {
                self.block_at = now + samples_to_time(i);
            }
            self.block.push(s);
            if self.block.len() == FRAME_SAMPLES {
                self.end_block();
            }
        }
    }

    /// When the beep was over (at most 20 ms after its last sample), once heard.
    pub fn heard(&self) -> Option<Duration> {
        self.heard
    }

    fn end_block(&mut self) {
        let tone = tone_level_dbfs(&self.block, BEEP_HZ, SAMPLE_RATE);
        let is_beep = tone >= MIN_LEVEL_DBFS && tone >= rms_dbfs(&self.block) - PURITY_DB;
        let run = samples_to_time(self.run as usize * FRAME_SAMPLES);
        if is_beep {
            self.run += 1;
        } else {
            if run >= MIN_BEEP && run <= MAX_BEEP {
                // The beep ended inside this block (a block half tone reads as not beep): its
                // end is the first time the beep is surely over.
                self.heard = Some(self.block_at + samples_to_time(FRAME_SAMPLES));
            }
            self.run = 0;
        }
        self.block.clear();
    }
}

fn samples_to_time(n: usize) -> Duration {
    Duration::from_micros(n as u64 * 1_000_000 / u64::from(SAMPLE_RATE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxvox_codecs::tones;

    /// Speech-like noise: white noise shaped by a slow syllable envelope, at about −20 dBFS.
    fn babble(ms: u32, seed: u64) -> Vec<i16> {
        let n = (ms * 8) as usize;
        let mut x = seed | 1;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let noise = (x % 20000) as f64 - 10000.0;
                let t = i as f64 / 8000.0;
                let envelope = 0.3 + 0.7 * (2.0 * std::f64::consts::PI * 4.0 * t).sin().abs();
                (noise * envelope * 0.6) as i16
            })
            .collect()
    }

    /// Feeds `audio` in 20 ms frames from `now` zero, as a media call does.
    fn run(audio: &[i16]) -> Option<Duration> {
        let mut d = BeepDetector::new();
        for (k, frame) in audio.chunks(FRAME_SAMPLES).enumerate() {
            d.feed(Duration::from_millis(20 * k as u64), frame);
        }
        d.heard()
    }

    #[test]
    fn heard_at_the_end_of_the_beep_after_a_greeting() {
        // 3.01 s of greeting (not frame aligned), the gateway's beep, then silence.
        let mut audio = babble(3010, 7);
        audio.extend(tones::beep());
        audio.extend(vec![0; 8000]);
        let at = run(&audio).expect("beep heard");
        let end = Duration::from_millis(3010 + u64::from(BEEP_MS));
        assert!(
            at >= end && at <= end + Duration::from_millis(40),
            "heard at {at:?}, beep ended at {end:?}"
        );
    }

    #[test]
    fn heard_when_the_caller_speaks_right_after_it() {
        let mut audio = babble(1500, 3);
        audio.extend(tones::beep());
        audio.extend(babble(2000, 5));
        let at = run(&audio).expect("beep heard");
        let end = Duration::from_millis(1500 + u64::from(BEEP_MS));
        assert!(at >= end && at <= end + Duration::from_millis(40), "{at:?}");
    }

    #[test]
    fn heard_in_any_chunking_and_epoch() {
        let mut audio = babble(800, 11);
        audio.extend(tones::beep());
        audio.extend(vec![0; 1600]);
        let mut d = BeepDetector::new();
        let epoch = Duration::from_secs(100);
        let mut at = 0usize;
        for chunk in audio.chunks(37) {
            d.feed(epoch + samples_to_time(at), chunk);
            at += chunk.len();
        }
        let heard = d.heard().expect("beep heard") - epoch;
        let end = Duration::from_millis(800 + u64::from(BEEP_MS));
        assert!(
            heard >= end && heard <= end + Duration::from_millis(40),
            "{heard:?}"
        );
    }

    #[test]
    fn not_heard_in_a_greeting_without_beep() {
        let mut audio = babble(5000, 13);
        audio.extend(vec![0; 16000]);
        audio.extend(babble(3000, 17));
        assert_eq!(run(&audio), None);
    }

    #[test]
    fn not_heard_for_other_tones_short_blips_or_a_steady_tone() {
        // CNG (1100 Hz), a 100 ms 1 kHz blip, a 1 kHz tone of 5 s that never stops being one.
        let mut audio = tones::cng(2);
        audio.extend(tones::tone(&[BEEP_HZ], 100, -14.0, 5));
        audio.extend(vec![0; 8000]);
        audio.extend(tones::tone(&[BEEP_HZ], 5000, -14.0, 5));
        audio.extend(vec![0; 8000]);
        assert_eq!(run(&audio), None);
    }

    #[test]
    fn a_quiet_line_beep_is_still_heard() {
        // The beep 20 dB down (a lossy trunk), after a greeting.
        let mut audio = babble(1000, 19);
        audio.extend(tones::tone(&[BEEP_HZ], BEEP_MS, -34.0, 10));
        audio.extend(vec![0; 8000]);
        assert!(run(&audio).is_some());
    }
}
