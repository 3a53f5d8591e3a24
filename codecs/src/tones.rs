//! Call-progress and fax tones at 8 kHz, plus level and tone-power measurements.
//!
//! The voicemail path plays a beep before recording; outbound fax calls send CNG (T.30 calling
//! tone) until the far end answers; tests need CED and DTMF to exercise detectors. All generators
//! produce 16-bit linear samples at [`SAMPLE_RATE`] and are deterministic (sample `n` of a
//! segment is computed from `n`, so there is no phase drift however long a cadence runs).
//!
//! Levels are RMS in dBFS relative to 32768, the same scale [`rms_dbfs`] measures: a full-scale
//! sine is −3.01 dBFS. For telephony, 0 dBm0 sits about 3.14 dB below a full-scale µ-law sine,
//! so −10 dBm0 ≈ −16.2 dBFS on this scale (see [`dbm0_to_dbfs`]).

use std::f64::consts::PI;

/// The telephony sample rate every generator here uses.
pub const SAMPLE_RATE: u32 = 8000;

/// Default beep frequency (Hz); 1 kHz is what most voicemail systems use.
pub const BEEP_HZ: f32 = 1000.0;
/// Default beep length (ms).
pub const BEEP_MS: u32 = 500;
/// Default beep level (dBFS RMS); clearly audible without being harsh.
pub const BEEP_LEVEL_DBFS: f32 = -14.0;

/// CNG (calling tone, T.30 §5.2) frequency: 1100 Hz ± 38 Hz.
pub const CNG_HZ: f32 = 1100.0;
/// CNG on-time: 0.5 s.
pub const CNG_ON_MS: u32 = 500;
/// CNG off-time: 3 s.
pub const CNG_OFF_MS: u32 = 3000;
/// CED (called station identification, T.30) frequency: 2100 Hz ± 15 Hz.
pub const CED_HZ: f32 = 2100.0;
/// Default CED length (T.30 allows 2.6–4.0 s).
pub const CED_MS: u32 = 3000;
/// Level used for CNG and CED: −10 dBm0, a typical fax transmit level.
pub const FAX_TONE_LEVEL_DBFS: f32 = -10.0 - DBM0_TO_DBFS_OFFSET;

/// DTMF default tone and gap lengths (ms); 80/80 is comfortably above Q.24 minimums.
pub const DTMF_TONE_MS: u32 = 80;
/// See [`DTMF_TONE_MS`].
pub const DTMF_GAP_MS: u32 = 80;
/// DTMF per-component level (dBFS RMS), about −10 dBm0 per frequency.
pub const DTMF_LEVEL_DBFS: f32 = -10.0 - DBM0_TO_DBFS_OFFSET;

/// dB between 0 dBFS (RMS re 32768) and 0 dBm0 (G.711: 3.14 dBm0 is the full-scale sine).
#[allow(clippy::approx_constant)] // 3.14 dBm0 is G.711's full-scale sine level, not π.
const DBM0_TO_DBFS_OFFSET: f32 = 3.14 + 3.01;

/// The DTMF low-group (row) frequencies.
pub const DTMF_LOW_HZ: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
/// The DTMF high-group (column) frequencies.
pub const DTMF_HIGH_HZ: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const DTMF_KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// Errors from tone generation (only bad user input, e.g. a non-DTMF character).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToneError {
    /// The character is not one of `0-9 * # A-D`.
    #[error("{0:?} is not a DTMF digit (expected 0-9, *, #, A-D)")]
    InvalidDtmfDigit(char),
}

/// Converts a telephony level in dBm0 to dBFS RMS on this module's scale.
pub fn dbm0_to_dbfs(dbm0: f32) -> f32 {
    dbm0 - DBM0_TO_DBFS_OFFSET
}

/// Number of samples in `ms` milliseconds at 8 kHz.
pub const fn ms_to_samples(ms: u32) -> usize {
    (ms as usize) * (SAMPLE_RATE as usize) / 1000
}

/// One piece of a cadence: a sum of sines (or silence) for a fixed time.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Component frequencies in Hz; empty means silence.
    pub freqs_hz: Vec<f32>,
    /// RMS level of each component, dBFS.
    pub level_dbfs: f32,
    /// Length in milliseconds.
    pub duration_ms: u32,
    /// Raised-cosine onset and offset length in ms (avoids clicks); clamped to half the segment.
    pub ramp_ms: u32,
}

impl Segment {
    /// A single-frequency tone with a 5 ms soft onset/offset.
    pub fn tone(freq_hz: f32, duration_ms: u32, level_dbfs: f32) -> Self {
        Segment {
            freqs_hz: vec![freq_hz],
            level_dbfs,
            duration_ms,
            ramp_ms: 5,
        }
    }

    /// A dual-frequency tone (e.g. DTMF) with a 2 ms ramp.
    pub fn dual(f1_hz: f32, f2_hz: f32, duration_ms: u32, level_dbfs: f32) -> Self {
        Segment {
            freqs_hz: vec![f1_hz, f2_hz],
            level_dbfs,
            duration_ms,
            ramp_ms: 2,
        }
    }

    /// Silence.
    pub fn silence(duration_ms: u32) -> Self {
        Segment {
            freqs_hz: Vec::new(),
            level_dbfs: f32::NEG_INFINITY,
            duration_ms,
            ramp_ms: 0,
        }
    }

    /// Length in samples.
    pub fn len_samples(&self) -> usize {
        ms_to_samples(self.duration_ms)
    }

    /// Sample `n` (0-based within the segment); 0 outside the segment.
    fn sample(&self, n: usize) -> i16 {
        let len = self.len_samples();
        if self.freqs_hz.is_empty() || n >= len || !self.level_dbfs.is_finite() {
            return 0;
        }
        // RMS level → peak amplitude of each sine.
        let amp = 32768.0 * 2f64.sqrt() * 10f64.powf(f64::from(self.level_dbfs) / 20.0);
        let t = n as f64 / f64::from(SAMPLE_RATE);
        let mut v: f64 = self
            .freqs_hz
            .iter()
            .map(|&f| (2.0 * PI * f64::from(f) * t).sin())
            .sum();
        v *= amp;
        let ramp = ms_to_samples(self.ramp_ms).min(len / 2);
        if ramp > 0 {
            let k = if n < ramp {
                Some(n)
            } else if n >= len - ramp {
                Some(len - 1 - n)
            } else {
                None
            };
            if let Some(k) = k {
                // Raised cosine from 0 to 1 over `ramp` samples.
                let x = (k as f64 + 0.5) / ramp as f64;
                v *= 0.5 - 0.5 * (PI * x).cos();
            }
        }
        v.round().clamp(-32768.0, 32767.0) as i16
    }
}

/// A sequence of segments, optionally repeated forever (like CNG).
#[derive(Debug, Clone, PartialEq)]
pub struct Cadence {
    /// The segments in playing order.
    pub segments: Vec<Segment>,
    /// Start again from the first segment after the last one.
    pub repeat: bool,
}

impl Cadence {
    /// The CNG calling tone: 1100 Hz for 0.5 s, 3 s silence, repeating.
    pub fn cng() -> Self {
        Cadence {
            segments: vec![
                Segment::tone(CNG_HZ, CNG_ON_MS, FAX_TONE_LEVEL_DBFS),
                Segment::silence(CNG_OFF_MS),
            ],
            repeat: true,
        }
    }

    /// Total length of one pass in samples.
    pub fn period_samples(&self) -> usize {
        self.segments.iter().map(Segment::len_samples).sum()
    }
}

/// A streaming player for a [`Cadence`], for filling 20 ms RTP frames one at a time.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    cadence: Cadence,
    segment: usize,
    pos: usize,
}

impl ToneGenerator {
    /// Starts playing `cadence` from its beginning.
    pub fn new(cadence: Cadence) -> Self {
        ToneGenerator {
            cadence,
            segment: 0,
            pos: 0,
        }
    }

    /// True once a non-repeating cadence has played to its end (or it has no samples at all).
    pub fn is_finished(&self) -> bool {
        self.segment >= self.cadence.segments.len() || self.cadence.period_samples() == 0
    }

    /// Fills `out` with the next samples; returns how many were tone/cadence samples. Any
    /// remainder after a non-repeating cadence finishes is set to silence.
    pub fn fill(&mut self, out: &mut [i16]) -> usize {
        let mut written = 0;
        while written < out.len() && !self.is_finished() {
            let seg = &self.cadence.segments[self.segment];
            let len = seg.len_samples();
            if self.pos >= len {
                self.segment += 1;
                self.pos = 0;
                if self.segment >= self.cadence.segments.len() && self.cadence.repeat {
                    self.segment = 0;
                }
                continue;
            }
            let n = (len - self.pos).min(out.len() - written);
            for (i, o) in out[written..written + n].iter_mut().enumerate() {
                *o = seg.sample(self.pos + i);
            }
            self.pos += n;
            written += n;
        }
        out[written..].fill(0);
        written
    }
}

/// Renders a tone of the given components (each at `level_dbfs`) with a `ramp_ms` soft edge.
pub fn tone(freqs_hz: &[f32], duration_ms: u32, level_dbfs: f32, ramp_ms: u32) -> Vec<i16> {
    render(&[Segment {
        freqs_hz: freqs_hz.to_vec(),
        level_dbfs,
        duration_ms,
        ramp_ms,
    }])
}

/// Renders a list of segments once, back to back.
pub fn render(segments: &[Segment]) -> Vec<i16> {
    let total: usize = segments.iter().map(Segment::len_samples).sum();
    let mut out = Vec::with_capacity(total);
    for seg in segments {
        out.extend((0..seg.len_samples()).map(|n| seg.sample(n)));
    }
    out
}

/// The voicemail "record after the tone" beep: 1 kHz, 0.5 s, −14 dBFS, 10 ms soft edges.
pub fn beep() -> Vec<i16> {
    tone(&[BEEP_HZ], BEEP_MS, BEEP_LEVEL_DBFS, 10)
}

/// `cycles` periods of CNG (0.5 s of 1100 Hz then 3 s of silence each).
pub fn cng(cycles: usize) -> Vec<i16> {
    let mut gen = ToneGenerator::new(Cadence::cng());
    let mut out = vec![0; cycles * Cadence::cng().period_samples()];
    gen.fill(&mut out);
    out
}

/// CED answer tone: 2100 Hz for `duration_ms` at the fax tone level.
pub fn ced(duration_ms: u32) -> Vec<i16> {
    tone(&[CED_HZ], duration_ms, FAX_TONE_LEVEL_DBFS, 5)
}

/// `duration_ms` of digital silence.
pub fn silence(duration_ms: u32) -> Vec<i16> {
    vec![0; ms_to_samples(duration_ms)]
}

/// The (low, high) frequency pair for a DTMF key (`0-9 * # A-D`, letters case-insensitive).
pub fn dtmf_freqs(digit: char) -> Option<(f32, f32)> {
    let d = digit.to_ascii_uppercase();
    DTMF_KEYS.iter().enumerate().find_map(|(row, keys)| {
        keys.iter()
            .position(|&k| k == d)
            .map(|col| (DTMF_LOW_HZ[row], DTMF_HIGH_HZ[col]))
    })
}

/// DTMF for `digits`: each digit is `tone_ms` of its pair followed by `gap_ms` of silence.
/// Spaces are ignored; any other non-DTMF character is an error.
pub fn dtmf(digits: &str, tone_ms: u32, gap_ms: u32) -> Result<Vec<i16>, ToneError> {
    let mut segments = Vec::new();
    for c in digits.chars().filter(|c| !c.is_whitespace()) {
        let (lo, hi) = dtmf_freqs(c).ok_or(ToneError::InvalidDtmfDigit(c))?;
        segments.push(Segment::dual(lo, hi, tone_ms, DTMF_LEVEL_DBFS));
        segments.push(Segment::silence(gap_ms));
    }
    Ok(render(&segments))
}

/// RMS level in dBFS (re 32768); `-inf` for empty or all-zero input. Used for silence detection.
pub fn rms_dbfs(samples: &[i16]) -> f32 {
    if samples.is_empty() {
        return f32::NEG_INFINITY;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let rms = (sum / samples.len() as f64).sqrt();
    if rms == 0.0 {
        f32::NEG_INFINITY
    } else {
        (20.0 * (rms / 32768.0).log10()) as f32
    }
}

/// Peak level in dBFS (re 32768); `-inf` for empty or all-zero input.
pub fn peak_dbfs(samples: &[i16]) -> f32 {
    let peak = samples
        .iter()
        .map(|&s| i32::from(s).unsigned_abs())
        .max()
        .unwrap_or(0);
    if peak == 0 {
        f32::NEG_INFINITY
    } else {
        (20.0 * (f64::from(peak) / 32768.0).log10()) as f32
    }
}

/// Level (dBFS RMS, same scale as [`rms_dbfs`]) of the `freq_hz` component of `samples`,
/// measured with the Goertzel algorithm at sample rate `rate`. A pure sine at −13 dBFS reads
/// ≈ −13 here when the block holds many cycles; unrelated frequencies read far lower.
pub fn tone_level_dbfs(samples: &[i16], freq_hz: f32, rate: u32) -> f32 {
    let n = samples.len();
    if n == 0 || rate == 0 {
        return f32::NEG_INFINITY;
    }
    let w = 2.0 * PI * f64::from(freq_hz) / f64::from(rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = (s1 * s1 + s2 * s2 - coeff * s1 * s2).max(0.0);
    // |X(k)| = A·N/2 for a sine of amplitude A; its RMS is A/√2.
    let amplitude = 2.0 * power.sqrt() / n as f64;
    let rms = amplitude / 2f64.sqrt();
    if rms <= 0.0 {
        f32::NEG_INFINITY
    } else {
        (20.0 * (rms / 32768.0).log10()) as f32
    }
}

/// Estimates the frequency of a single dominant tone from its zero crossings (Hz); `None` when
/// fewer than two crossings are present. Rough but independent of any filter bank.
pub fn zero_crossing_frequency(samples: &[i16], rate: u32) -> Option<f32> {
    let mut first = None;
    let mut last = 0usize;
    let mut count = 0usize;
    for i in 1..samples.len() {
        let (a, b) = (samples[i - 1], samples[i]);
        if (a < 0 && b >= 0) || (a >= 0 && b < 0) {
            if first.is_none() {
                first = Some(i);
            }
            last = i;
            count += 1;
        }
    }
    let first = first?;
    if count < 2 || last == first {
        return None;
    }
    let half_periods = (count - 1) as f64;
    let span_s = (last - first) as f64 / f64::from(rate);
    Some((half_periods / 2.0 / span_s) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_streams_match_render() {
        let mut gen = ToneGenerator::new(Cadence::cng());
        let mut streamed = Vec::new();
        let mut frame = [0i16; 160];
        for _ in 0..(2 * 28000 / 160) {
            gen.fill(&mut frame);
            streamed.extend_from_slice(&frame);
        }
        assert_eq!(streamed, cng(2));
    }

    #[test]
    fn finished_cadence_pads_with_silence() {
        let mut gen = ToneGenerator::new(Cadence {
            segments: vec![Segment::tone(500.0, 10, -20.0)],
            repeat: false,
        });
        let mut out = [1i16; 100];
        assert_eq!(gen.fill(&mut out), 80);
        assert!(out[80..].iter().all(|&s| s == 0));
        assert!(gen.is_finished());
        assert_eq!(gen.fill(&mut out), 0);
    }

    #[test]
    fn empty_cadence_does_not_spin() {
        let mut gen = ToneGenerator::new(Cadence {
            segments: vec![Segment::silence(0)],
            repeat: true,
        });
        let mut out = [5i16; 10];
        assert_eq!(gen.fill(&mut out), 0);
        assert_eq!(out, [0; 10]);
    }
}
