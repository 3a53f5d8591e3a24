//! Voicemail audio: G.711, tones, greeting decoding, recordings and MP3.
//!
//! Everything is generated in code (or with `sox` when installed); the shared test data is used
//! only when present.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use faxvox_codecs::g711::{self, Law};
use faxvox_codecs::greeting::{self, GreetingError, GreetingLimits};
use faxvox_codecs::recording::{self, Mp3Quality, RecordingError, WavRecorder};
use faxvox_codecs::tones;

// ----------------------------------------------------------------------------------------------
// Signal helpers
// ----------------------------------------------------------------------------------------------

/// A sine at `rate`, amplitude `amp` (0..1), as f64 in [-1, 1].
fn sine(freq: f64, rate: u32, secs: f64, amp: f64) -> Vec<f64> {
    let n = (secs * f64::from(rate)).round() as usize;
    (0..n)
        .map(|i| amp * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin())
        .collect()
}

/// The greeting test signal at time `t` (s): 1 s of 440 Hz then 1 s of a 300→3000 Hz chirp,
/// amplitude 0.5, silent outside [0, 2).
fn test_signal_at(t: f64) -> f64 {
    if (0.0..1.0).contains(&t) {
        0.5 * (2.0 * PI * 440.0 * t).sin()
    } else if (1.0..2.0).contains(&t) {
        let t = t - 1.0;
        0.5 * (2.0 * PI * (300.0 * t + 0.5 * 2700.0 * t * t)).sin()
    } else {
        0.0
    }
}

/// `test_signal_at` sampled at `rate` for 2 s.
fn test_signal(rate: u32) -> Vec<f64> {
    (0..2 * rate as usize)
        .map(|i| test_signal_at(i as f64 / f64::from(rate)))
        .collect()
}

/// Correlation of a decoded 8 kHz greeting with the analytic test signal delayed by `d` samples,
/// maximised over d in [-1, 1] (resamplers may shift by a fraction of a sample). Returns (r, d).
fn best_fractional_xcorr(decoded: &[i16], gain: f64) -> (f64, f64) {
    let mut best = (f64::MIN, 0.0);
    for step in -20..=20 {
        let d = f64::from(step) * 0.05;
        let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
        for (i, &x) in decoded.iter().enumerate() {
            let y = gain * test_signal_at((i as f64 - d) / 8000.0);
            let x = f64::from(x) / 32768.0;
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        let r = ab / (aa * bb).sqrt();
        if r > best.0 {
            best = (r, d);
        }
    }
    best
}

/// A deterministic speech-like signal at 8 kHz: a harmonic-rich voice with a wandering pitch,
/// formant-shaped spectrum and 3–4 Hz syllable envelope with short pauses.
fn speech_like(secs: f64) -> Vec<i16> {
    let rate = 8000.0;
    let n = (secs * rate) as usize;
    let mut phase = 0.0f64;
    let formants = [(500.0, 120.0), (1500.0, 200.0), (2500.0, 300.0)];
    (0..n)
        .map(|i| {
            let t = i as f64 / rate;
            let f0 = 120.0 + 30.0 * (2.0 * PI * 0.7 * t).sin() + 10.0 * (2.0 * PI * 2.3 * t).sin();
            phase += 2.0 * PI * f0 / rate;
            let mut v = 0.0;
            let mut k = 1.0;
            while k * f0 < 3400.0 {
                let f = k * f0;
                let gain: f64 = formants
                    .iter()
                    .map(|&(fc, bw)| 1.0 / (1.0 + ((f - fc) / bw).powi(2)))
                    .sum::<f64>()
                    + 0.05;
                v += gain / k.sqrt() * (k * phase).sin();
                k += 1.0;
            }
            let syllable = (2.0 * PI * 3.3 * t).sin().max(0.0).sqrt();
            let pause = if (t % 2.5) > 2.1 { 0.0 } else { 1.0 };
            v * syllable * pause
        })
        .collect::<Vec<f64>>()
        .into_iter()
        .map(|v| (v * 3000.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

fn to_i16(x: &[f64]) -> Vec<i16> {
    x.iter()
        .map(|&v| (v * 32767.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

/// Best normalised cross-correlation of `a` against `b` shifted by -max_lag..=max_lag; returns
/// (correlation, lag) where a positive lag means `b` is late.
fn best_xcorr(a: &[i16], b: &[i16], max_lag: isize) -> (f64, isize) {
    let mut best = (f64::MIN, 0);
    for lag in -max_lag..=max_lag {
        let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
        for (i, &x) in a.iter().enumerate() {
            let j = i as isize + lag;
            if j < 0 || j as usize >= b.len() {
                continue;
            }
            let y = f64::from(b[j as usize]);
            let x = f64::from(x);
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        if aa > 0.0 && bb > 0.0 {
            let r = ab / (aa * bb).sqrt();
            if r > best.0 {
                best = (r, lag);
            }
        }
    }
    best
}

fn duration_ms(samples: usize, rate: u32) -> f64 {
    samples as f64 * 1000.0 / f64::from(rate)
}

/// Writes an n-channel WAV with hound (s16 or f32) to memory.
fn hound_wav(channels: &[Vec<f64>], rate: u32, float: bool) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
        bits_per_sample: if float { 32 } else { 16 },
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut cur = std::io::Cursor::new(Vec::new());
    {
        let mut w = hound::WavWriter::new(&mut cur, spec).unwrap();
        for i in 0..channels[0].len() {
            for ch in channels {
                if float {
                    w.write_sample(ch[i] as f32).unwrap();
                } else {
                    w.write_sample((ch[i] * 32767.0).round() as i16).unwrap();
                }
            }
        }
        w.finalize().unwrap();
    }
    cur.into_inner()
}

/// A G.711 WAV (format tag 7 = µ-law, 6 = A-law) with a `fact` chunk, written by hand because
/// hound cannot.
fn g711_wav(samples: &[i16], law: Law) -> Vec<u8> {
    let mut data = Vec::new();
    law.encode(samples, &mut data);
    let tag: u16 = match law {
        Law::Ulaw => 7,
        Law::Alaw => 6,
    };
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(4 + 26 + 12 + 8 + data.len() as u32).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&18u32.to_le_bytes());
    v.extend_from_slice(&tag.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&8000u32.to_le_bytes());
    v.extend_from_slice(&8000u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&8u16.to_le_bytes());
    v.extend_from_slice(&0u16.to_le_bytes());
    v.extend_from_slice(b"fact");
    v.extend_from_slice(&4u32.to_le_bytes());
    v.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(&data);
    v
}

/// Tiny deterministic PRNG (xorshift64*), so "random" inputs are reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn sox_available() -> bool {
    Command::new("sox")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Converts a WAV to another format with sox; `None` (with a note) when sox or the format is
/// missing.
fn sox_convert(wav: &[u8], ext: &str, extra: &[&str]) -> Option<Vec<u8>> {
    if !sox_available() {
        eprintln!("NOTE: sox not installed; skipping the .{ext} greeting case");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.wav");
    let dst = dir.path().join(format!("out.{ext}"));
    std::fs::write(&src, wav).unwrap();
    let out = Command::new("sox")
        .arg(&src)
        .args(extra)
        .arg(&dst)
        .output()
        .unwrap();
    if !out.status.success() {
        eprintln!(
            "NOTE: sox cannot write .{ext} here ({}); skipping",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    Some(std::fs::read(&dst).unwrap())
}

/// Shared test data lives beside the project, not in it: use it only when present.
fn shared_testdata() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata");
    p.is_dir().then_some(p)
}

/// Checks a decoded greeting against `test_signal`: duration, 440 Hz section frequency and
/// correlation with the same signal generated directly at 8 kHz.
fn check_greeting(name: &str, decoded: &[i16], expected_secs: f64, gain: f64) {
    let got_ms = duration_ms(decoded.len(), 8000);
    assert!(
        (got_ms - expected_secs * 1000.0).abs() <= 20.0,
        "{name}: duration {got_ms} ms, expected {} ms",
        expected_secs * 1000.0
    );
    let f = tones::zero_crossing_frequency(&decoded[800..7200], 8000).unwrap();
    assert!((f - 440.0).abs() < 2.0, "{name}: 440 Hz came out as {f} Hz");
    let level = tones::tone_level_dbfs(&decoded[800..7200], 440.0, 8000);
    let want = 20.0 * (0.5 * gain / 2f64.sqrt()).log10();
    assert!(
        (f64::from(level) - want).abs() < 0.5,
        "{name}: 440 Hz level {level} dBFS, expected {want:.2}"
    );
    let (r, d) = best_fractional_xcorr(decoded, gain);
    assert!(
        r > 0.995 && d.abs() <= 0.6,
        "{name}: correlation {r:.4} at a delay of {d:.2} samples"
    );
    eprintln!(
        "{name}: {got_ms:.1} ms, 440 Hz at {f:.2} Hz / {level:.2} dBFS, xcorr {r:.5} at {d:+.2} samples"
    );
}

/// `decode_greeting` must fail; returns the error without dumping samples on success.
fn expect_err(r: Result<Vec<i16>, GreetingError>, what: &str) -> GreetingError {
    match r {
        Ok(v) => panic!("{what}: decoded to {} samples, expected an error", v.len()),
        Err(e) => e,
    }
}

// ----------------------------------------------------------------------------------------------
// G.711
// ----------------------------------------------------------------------------------------------

mod g711_tests {
    use super::*;

    /// FNV-1a 64 over a byte stream.
    fn fnv(bytes: impl IntoIterator<Item = u8>) -> u64 {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        h
    }

    #[test]
    fn known_codewords() {
        // Values from spandsp's g711.h (spandsp-sys 0.2.4 vendored source), compiled standalone.
        let ulaw = [
            (0i16, 0xFFu8),
            (-1, 0x7F),
            (1, 0xFF),
            (32767, 0x80),
            (-32768, 0x00),
            (1000, 0xCE),
            (-1000, 0x4E),
        ];
        for (x, c) in ulaw {
            assert_eq!(g711::linear_to_ulaw(x), c, "µ-law encode({x})");
        }
        let alaw = [
            (0i16, 0xD5u8),
            (-1, 0x55),
            (1, 0xD5),
            (32767, 0xAA),
            (-32768, 0x2A),
            (1000, 0xFA),
            (-1000, 0x7A),
        ];
        for (x, c) in alaw {
            assert_eq!(g711::linear_to_alaw(x), c, "A-law encode({x})");
        }
        for (c, x) in [
            (0x00u8, -32124i16),
            (0x7F, 0),
            (0x80, 32124),
            (0xFF, 0),
            (0xEA, 212),
        ] {
            assert_eq!(g711::ulaw_to_linear(c), x, "µ-law decode({c:#04x})");
        }
        for (c, x) in [
            (0x00u8, -5504i16),
            (0x55, -8),
            (0xD5, 8),
            (0x2A, -32256),
            (0xAA, 32256),
        ] {
            assert_eq!(g711::alaw_to_linear(c), x, "A-law decode({c:#04x})");
        }
    }

    #[test]
    fn bit_exact_with_spandsp_over_all_inputs() {
        // FNV-1a of the full tables as produced by spandsp's linear_to_ulaw/alaw and
        // ulaw/alaw_to_linear (i16 little-endian), computed once from the C reference.
        let enc_u = fnv((i16::MIN..=i16::MAX).map(g711::linear_to_ulaw));
        let enc_a = fnv((i16::MIN..=i16::MAX).map(g711::linear_to_alaw));
        let dec_u = fnv((0..=255u8).flat_map(|c| g711::ulaw_to_linear(c).to_le_bytes()));
        let dec_a = fnv((0..=255u8).flat_map(|c| g711::alaw_to_linear(c).to_le_bytes()));
        assert_eq!(
            enc_u, 0x94d7_5252_14c7_5eb2,
            "µ-law encoder differs from spandsp"
        );
        assert_eq!(
            enc_a, 0xf030_666e_b780_cf25,
            "A-law encoder differs from spandsp"
        );
        assert_eq!(
            dec_u, 0xb91e_65d6_8481_a1a8,
            "µ-law decoder differs from spandsp"
        );
        assert_eq!(
            dec_a, 0x693a_40ca_62a3_d2a5,
            "A-law decoder differs from spandsp"
        );
    }

    #[test]
    fn round_trip_error_is_within_half_a_step() {
        for law in [Law::Ulaw, Law::Alaw] {
            let mut worst_rel = 0.0f64;
            for x in i16::MIN..=i16::MAX {
                let y = law.decode_sample(law.encode_sample(x));
                let err = (i32::from(x) - i32::from(y)).abs();
                // Half a quantisation step: ≤ 8 near zero, ≤ 1/32 of the (biased) magnitude above.
                let bound = ((i32::from(x).abs() + 132) / 32 + 1).max(8);
                assert!(err <= bound, "{law:?}: {x} -> {y} (error {err} > {bound})");
                if x.unsigned_abs() > 256 {
                    let biased = f64::from(x.unsigned_abs()) + 132.0;
                    worst_rel = worst_rel.max(f64::from(err) / biased);
                }
            }
            assert!(
                worst_rel <= 1.0 / 32.0 + 1e-9,
                "{law:?} worst relative error {worst_rel}"
            );
        }
    }

    #[test]
    fn decode_then_encode_is_identity() {
        for c in 0..=255u8 {
            // µ-law 0x7F is "negative zero": it decodes to 0, which encodes as 0xFF.
            if c != 0x7F {
                assert_eq!(g711::linear_to_ulaw(g711::ulaw_to_linear(c)), c);
            }
            assert_eq!(g711::linear_to_alaw(g711::alaw_to_linear(c)), c);
        }
    }

    #[test]
    fn sine_snr_and_slice_helpers() {
        // 1020 Hz (the ITU test tone): not a divisor of 8 kHz, so every code level gets exercised.
        let x = to_i16(&sine(1020.0, 8000, 1.0, 0.3));
        for law in [Law::Ulaw, Law::Alaw] {
            let mut codes = Vec::new();
            law.encode(&x, &mut codes);
            assert_eq!(codes.len(), x.len());
            let per_sample: Vec<u8> = x.iter().map(|&s| law.encode_sample(s)).collect();
            assert_eq!(codes, per_sample);
            let mut y = Vec::new();
            law.decode(&codes, &mut y);
            let (mut sig, mut noise) = (0.0f64, 0.0f64);
            for (&a, &b) in x.iter().zip(&y) {
                sig += f64::from(a).powi(2);
                noise += (f64::from(a) - f64::from(b)).powi(2);
            }
            let snr = 10.0 * (sig / noise).log10();
            // G.711 gives ~38 dB SNR for a sine in the main range.
            assert!(snr > 35.0, "{law:?} SNR {snr:.1} dB");
            eprintln!("{law:?}: SNR {snr:.1} dB for a 1020 Hz sine at -13.5 dBFS");
        }
        let mut a = Vec::new();
        g711::encode_ulaw(&x, &mut a);
        let mut b = Vec::new();
        Law::Ulaw.encode(&x, &mut b);
        assert_eq!(a, b);
        let mut a = Vec::new();
        g711::encode_alaw(&x, &mut a);
        let mut d1 = Vec::new();
        g711::decode_alaw(&a, &mut d1);
        let mut d2 = Vec::new();
        Law::Alaw.decode(&a, &mut d2);
        assert_eq!(d1, d2);
    }

    #[test]
    fn payload_types_and_silence() {
        assert_eq!(Law::Ulaw.payload_type(), 0);
        assert_eq!(Law::Alaw.payload_type(), 8);
        assert_eq!(Law::from_payload_type(0), Some(Law::Ulaw));
        assert_eq!(Law::from_payload_type(8), Some(Law::Alaw));
        assert_eq!(Law::from_payload_type(18), None);
        assert_eq!(Law::Ulaw.encoding_name(), "PCMU");
        assert_eq!(Law::Alaw.encoding_name(), "PCMA");
        for law in [Law::Ulaw, Law::Alaw] {
            assert!(law.decode_sample(law.silence()).abs() <= 8);
            assert_eq!(law.encode_sample(0), law.silence());
        }
    }

    #[test]
    fn throughput() {
        let x: Vec<i16> = (0..1_000_000u32)
            .map(|i| i.wrapping_mul(7919) as i16)
            .collect();
        let t = Instant::now();
        let mut codes = Vec::with_capacity(x.len());
        g711::encode_ulaw(&x, &mut codes);
        let enc = t.elapsed();
        let t = Instant::now();
        let mut y = Vec::with_capacity(x.len());
        g711::decode_ulaw(&codes, &mut y);
        let dec = t.elapsed();
        assert_eq!(y.len(), x.len());
        eprintln!("µ-law, 1M samples (test build): encode {enc:?}, decode {dec:?}");
    }
}

// ----------------------------------------------------------------------------------------------
// Tones
// ----------------------------------------------------------------------------------------------

mod tone_tests {
    use super::*;

    #[test]
    fn beep_frequency_duration_level_and_soft_edges() {
        let b = tones::beep();
        assert_eq!(b.len(), 4000, "0.5 s at 8 kHz");
        let f = tones::zero_crossing_frequency(&b, 8000).unwrap();
        assert!((f - 1000.0).abs() < 2.0, "beep at {f} Hz");
        let level = tones::tone_level_dbfs(&b[400..3600], 1000.0, 8000);
        assert!(
            (level - tones::BEEP_LEVEL_DBFS).abs() < 0.2,
            "beep level {level}"
        );
        // Soft onset/offset: first and last samples tiny, first 5 ms quieter than the body.
        assert!(b[0].abs() < 100 && b[3999].abs() < 100);
        assert!(tones::rms_dbfs(&b[..40]) < tones::rms_dbfs(&b[1000..3000]) - 6.0);
        assert!(tones::rms_dbfs(&b[3960..]) < tones::rms_dbfs(&b[1000..3000]) - 6.0);
        // Nothing at other frequencies.
        assert!(tones::tone_level_dbfs(&b[400..3600], 1100.0, 8000) < level - 30.0);
    }

    #[test]
    fn cng_cadence_frequency_and_level() {
        let c = tones::cng(3);
        assert_eq!(c.len(), 3 * 28_000, "3 × (0.5 s on + 3 s off)");
        // Per 20 ms window: tone exactly in the first 0.5 s of each 3.5 s period.
        for (w, win) in c.chunks(160).enumerate() {
            let t_ms = (w * 20) % 3500;
            let on = t_ms < 500;
            let lvl = tones::tone_level_dbfs(win, tones::CNG_HZ, 8000);
            if on && (20..480).contains(&t_ms) {
                assert!(
                    (lvl - tones::FAX_TONE_LEVEL_DBFS).abs() < 0.5,
                    "window {w} ({t_ms} ms) level {lvl}"
                );
            } else if !on {
                assert!(
                    win.iter().all(|&s| s == 0),
                    "window {w} ({t_ms} ms) not silent"
                );
            }
        }
        let f = tones::zero_crossing_frequency(&c[..4000], 8000).unwrap();
        assert!((f - 1100.0).abs() < 2.0, "CNG at {f} Hz (T.30: 1100 ± 38)");
        assert!((tones::FAX_TONE_LEVEL_DBFS - tones::dbm0_to_dbfs(-10.0)).abs() < 1e-6);
    }

    #[test]
    fn cng_streams_forever_in_rtp_frames() {
        let mut gen = tones::ToneGenerator::new(tones::Cadence::cng());
        let mut frame = [0i16; 160];
        let mut all = Vec::new();
        for _ in 0..(10 * 50) {
            assert_eq!(gen.fill(&mut frame), 160);
            all.extend_from_slice(&frame);
        }
        assert!(!gen.is_finished());
        // 10 s = 2 full periods + 3 s: bursts start at 0, 3.5 s and 7 s.
        for start_s in [0.0, 3.5, 7.0] {
            let i = (start_s * 8000.0) as usize + 400;
            let lvl = tones::tone_level_dbfs(&all[i..i + 3200], 1100.0, 8000);
            assert!(lvl > -17.0, "burst at {start_s} s: {lvl}");
        }
        assert!(tones::rms_dbfs(&all[5000..27_000]).is_infinite());
    }

    #[test]
    fn ced_is_2100_hz() {
        let c = tones::ced(tones::CED_MS);
        assert_eq!(c.len(), 24_000);
        let f = tones::zero_crossing_frequency(&c, 8000).unwrap();
        assert!((f - 2100.0).abs() < 2.0, "CED at {f} Hz");
        assert!(tones::tone_level_dbfs(&c, 2100.0, 8000) > -17.0);
    }

    #[test]
    fn dtmf_digits_have_their_pairs_and_no_others() {
        let digits = "123A456B789C*0#D";
        let s = tones::dtmf(digits, 80, 80).unwrap();
        assert_eq!(s.len(), digits.len() * 1280);
        let all: Vec<f32> = tones::DTMF_LOW_HZ
            .iter()
            .chain(tones::DTMF_HIGH_HZ.iter())
            .copied()
            .collect();
        for (i, d) in digits.chars().enumerate() {
            let (lo, hi) = tones::dtmf_freqs(d).unwrap();
            let tone = &s[i * 1280 + 40..i * 1280 + 600];
            let gap = &s[i * 1280 + 640..(i + 1) * 1280];
            assert!(gap.iter().all(|&x| x == 0), "gap after {d}");
            for &f in &all {
                let lvl = tones::tone_level_dbfs(tone, f, 8000);
                if f == lo || f == hi {
                    assert!(
                        (lvl - tones::DTMF_LEVEL_DBFS).abs() < 1.0,
                        "{d}: {f} Hz at {lvl}"
                    );
                } else {
                    assert!(
                        lvl < tones::DTMF_LEVEL_DBFS - 20.0,
                        "{d}: stray {f} Hz at {lvl}"
                    );
                }
            }
        }
        assert_eq!(tones::dtmf_freqs('5'), Some((770.0, 1336.0)));
        assert_eq!(tones::dtmf_freqs('#'), Some((941.0, 1477.0)));
        assert_eq!(tones::dtmf_freqs('d'), Some((941.0, 1633.0)));
        assert_eq!(
            tones::dtmf("12x", 80, 80),
            Err(tones::ToneError::InvalidDtmfDigit('x'))
        );
        assert_eq!(tones::dtmf("1 2", 50, 50).unwrap().len(), 2 * 800);
    }

    #[test]
    fn levels() {
        assert_eq!(tones::silence(250).len(), 2000);
        assert!(tones::rms_dbfs(&tones::silence(20)).is_infinite());
        assert!(tones::rms_dbfs(&[]).is_infinite());
        assert!(tones::peak_dbfs(&[]).is_infinite());
        let full_sine = to_i16(&sine(1000.0, 8000, 1.0, 1.0));
        assert!((tones::rms_dbfs(&full_sine) + 3.01).abs() < 0.02);
        assert!(tones::peak_dbfs(&full_sine).abs() < 0.01);
        let square: Vec<i16> = (0..800)
            .map(|i| if i % 8 < 4 { -32768 } else { 32767 })
            .collect();
        assert!(tones::rms_dbfs(&square).abs() < 0.01);
        let custom = tones::tone(&[700.0], 1000, -20.0, 0);
        assert!((tones::rms_dbfs(&custom) + 20.0).abs() < 0.05);
        assert!((tones::tone_level_dbfs(&custom, 700.0, 8000) + 20.0).abs() < 0.05);
    }
}

// ----------------------------------------------------------------------------------------------
// Greetings
// ----------------------------------------------------------------------------------------------

mod greeting_tests {
    use super::*;

    #[test]
    fn wav_44k1_stereo_s16() {
        let sig = test_signal(44_100);
        // Right channel at half level: the mono mix is 0.75 of the signal.
        let right: Vec<f64> = sig.iter().map(|v| v * 0.5).collect();
        let wav = hound_wav(&[sig, right], 44_100, false);
        let t = Instant::now();
        let out = greeting::decode_greeting(&wav).unwrap();
        eprintln!("44.1 kHz stereo 2 s WAV decode+resample: {:?}", t.elapsed());
        check_greeting("wav 44.1k stereo s16", &out, 2.0, 0.75);
    }

    #[test]
    fn wav_48k_f32() {
        let wav = hound_wav(&[test_signal(48_000)], 48_000, true);
        let out = greeting::decode_greeting(&wav).unwrap();
        check_greeting("wav 48k f32", &out, 2.0, 1.0);
    }

    #[test]
    fn wav_16k_mono() {
        let wav = hound_wav(&[test_signal(16_000)], 16_000, false);
        let out = greeting::decode_greeting(&wav).unwrap();
        check_greeting("wav 16k mono", &out, 2.0, 1.0);
    }

    #[test]
    fn wav_odd_rates() {
        for rate in [11_025, 22_050, 32_000, 96_000] {
            let wav = hound_wav(&[test_signal(rate)], rate, false);
            let out = greeting::decode_greeting(&wav).unwrap();
            check_greeting(&format!("wav {rate} Hz"), &out, 2.0, 1.0);
        }
    }

    #[test]
    fn wav_g711() {
        let pcm = to_i16(&test_signal(8000));
        for law in [Law::Ulaw, Law::Alaw] {
            let out = greeting::decode_greeting(&g711_wav(&pcm, law)).unwrap();
            // 8 kHz in: no resampling, so the samples are exactly the G.711 decoding.
            let mut expected = Vec::new();
            let mut codes = Vec::new();
            law.encode(&pcm, &mut codes);
            law.decode(&codes, &mut expected);
            assert_eq!(out, expected, "{law:?} WAV");
            check_greeting(&format!("wav {law:?}"), &out, 2.0, 1.0);
        }
    }

    #[test]
    fn mp3_from_our_encoder() {
        let pcm = to_i16(&test_signal(8000));
        for q in [Mp3Quality::Standard, Mp3Quality::Compact] {
            let mut mp3 = recording::encode_mp3(&pcm, q).unwrap();
            if q == Mp3Quality::Standard {
                // Uploaded MP3s usually start with an ID3v2 tag: prepend one with a title.
                let mut frame = b"TIT2".to_vec();
                frame.extend_from_slice(&9u32.to_be_bytes());
                frame.extend_from_slice(&[0, 0, 0]);
                frame.extend_from_slice(b"Greeting");
                let mut id3 = b"ID3\x03\x00\x00".to_vec();
                id3.extend_from_slice(&[0, 0, 0, frame.len() as u8]);
                id3.extend_from_slice(&frame);
                id3.extend_from_slice(&mp3);
                mp3 = id3;
            }
            let out = greeting::decode_greeting(&mp3).unwrap();
            let got_ms = duration_ms(out.len(), 8000);
            assert!((got_ms - 2000.0).abs() <= 20.0, "{q:?}: {got_ms} ms");
            let f = tones::zero_crossing_frequency(&out[800..7200], 8000).unwrap();
            assert!((f - 440.0).abs() < 2.0, "{q:?}: 440 Hz came out as {f}");
            let (r, d) = best_fractional_xcorr(&out, 1.0);
            assert!(
                r > 0.9 && d.abs() <= 1.0,
                "{q:?}: correlation {r:.3} at {d} samples"
            );
            eprintln!("mp3 {q:?} greeting: {got_ms} ms, 440 Hz at {f:.2}, xcorr {r:.4} at {d:+.2} samples");
        }
    }

    #[test]
    fn ogg_vorbis_and_flac_via_sox() {
        let sig = test_signal(44_100);
        let wav = hound_wav(&[sig.clone(), sig], 44_100, false);
        if let Some(ogg) = sox_convert(&wav, "ogg", &["-C", "6"]) {
            let out = greeting::decode_greeting(&ogg).unwrap();
            let got_ms = duration_ms(out.len(), 8000);
            assert!((got_ms - 2000.0).abs() <= 20.0, "ogg: {got_ms} ms");
            let f = tones::zero_crossing_frequency(&out[800..7200], 8000).unwrap();
            assert!((f - 440.0).abs() < 2.0, "ogg: 440 Hz came out as {f}");
            let (r, d) = best_fractional_xcorr(&out, 1.0);
            assert!(
                r > 0.98 && d.abs() <= 1.0,
                "ogg: correlation {r:.4} at {d} samples"
            );
            eprintln!(
                "ogg/vorbis greeting: {got_ms} ms, {f:.2} Hz, xcorr {r:.4} at {d:+.2} samples"
            );
        }
        if let Some(flac) = sox_convert(&wav, "flac", &[]) {
            let out = greeting::decode_greeting(&flac).unwrap();
            check_greeting("flac", &out, 2.0, 1.0);
        }
    }

    /// CRC-32 as used by Ogg (poly 0x04C11DB7, no reflection, init 0).
    fn ogg_crc(data: &[u8]) -> u32 {
        let mut crc = 0u32;
        for &b in data {
            crc ^= u32::from(b) << 24;
            for _ in 0..8 {
                crc = if crc & 0x8000_0000 != 0 {
                    (crc << 1) ^ 0x04C1_1DB7
                } else {
                    crc << 1
                };
            }
        }
        crc
    }

    fn ogg_page(flags: u8, granule: u64, seq: u32, packet: &[u8]) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(b"OggS");
        p.push(0);
        p.push(flags);
        p.extend_from_slice(&granule.to_le_bytes());
        p.extend_from_slice(&0x1234_5678u32.to_le_bytes());
        p.extend_from_slice(&seq.to_le_bytes());
        p.extend_from_slice(&0u32.to_le_bytes());
        let mut lacing = vec![255u8; packet.len() / 255];
        lacing.push((packet.len() % 255) as u8);
        p.push(lacing.len() as u8);
        p.extend_from_slice(&lacing);
        p.extend_from_slice(packet);
        let crc = ogg_crc(&p);
        p[22..26].copy_from_slice(&crc.to_le_bytes());
        p
    }

    #[test]
    fn opus_is_named_as_unsupported() {
        let mut head = b"OpusHead".to_vec();
        head.push(1); // version
        head.push(1); // channels
        head.extend_from_slice(&312u16.to_le_bytes()); // pre-skip
        head.extend_from_slice(&48_000u32.to_le_bytes());
        head.extend_from_slice(&0u16.to_le_bytes()); // gain
        head.push(0); // mapping family
        let mut tags = b"OpusTags".to_vec();
        tags.extend_from_slice(&4u32.to_le_bytes());
        tags.extend_from_slice(b"test");
        tags.extend_from_slice(&0u32.to_le_bytes());
        let mut ogg = ogg_page(0x02, 0, 0, &head);
        ogg.extend(ogg_page(0x00, 0, 1, &tags));
        // One 20 ms CELT frame TOC byte plus filler (never decoded).
        ogg.extend(ogg_page(0x04, 960, 2, &[0xF8, 0xFF, 0xFE]));
        match greeting::decode_greeting(&ogg) {
            Err(GreetingError::UnsupportedCodec(name)) => assert_eq!(name, "Opus"),
            other => panic!("expected UnsupportedCodec(Opus), got {other:?}"),
        }
    }

    #[test]
    fn gsm_wav_is_rejected_with_a_reason() {
        // WAV with format tag 0x31 (GSM 6.10, "wav49"): a real-world export symphonia can't read.
        let mut v = Vec::new();
        v.extend_from_slice(b"RIFF");
        v.extend_from_slice(&(4 + 28 + 12 + 8 + 65u32).to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&20u32.to_le_bytes());
        v.extend_from_slice(&0x31u16.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&8000u32.to_le_bytes());
        v.extend_from_slice(&1625u32.to_le_bytes());
        v.extend_from_slice(&65u16.to_le_bytes());
        v.extend_from_slice(&0u16.to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&320u16.to_le_bytes());
        v.extend_from_slice(b"fact");
        v.extend_from_slice(&4u32.to_le_bytes());
        v.extend_from_slice(&320u32.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&65u32.to_le_bytes());
        v.extend_from_slice(&[0u8; 65]);
        let err = expect_err(greeting::decode_greeting(&v), "GSM WAV");
        eprintln!("GSM WAV: {err}");
        match err {
            GreetingError::UnsupportedCodec(name) => assert_eq!(name, "GSM 6.10 in WAV"),
            other => panic!("expected UnsupportedCodec, got {other:?}"),
        }
    }

    #[test]
    fn streamed_wav_with_unknown_length() {
        // Tools writing WAV to a pipe set the RIFF and data sizes to 0xFFFFFFFF.
        let mut wav = hound_wav(&[test_signal(16_000)], 16_000, false);
        wav[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        wav[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        let out = greeting::decode_greeting(&wav).unwrap();
        check_greeting("streamed wav", &out, 2.0, 1.0);
    }

    #[test]
    fn limits() {
        let wav = hound_wav(&[test_signal(8000)], 8000, false);
        let short = GreetingLimits {
            max_duration_ms: 1500,
            ..Default::default()
        };
        assert!(matches!(
            greeting::decode_greeting_with(&wav, &short),
            Err(GreetingError::TooLong { limit_ms: 1500 })
        ));
        let small = GreetingLimits {
            max_bytes: 1000,
            ..Default::default()
        };
        assert!(matches!(
            greeting::decode_greeting_with(&wav, &small),
            Err(GreetingError::TooLarge { .. })
        ));
        // MP3: the Xing frame count gives the length up front.
        let mp3 = recording::encode_mp3(&to_i16(&test_signal(8000)), Mp3Quality::Compact).unwrap();
        assert!(matches!(
            greeting::decode_greeting_with(&mp3, &short),
            Err(GreetingError::TooLong { .. })
        ));
        // A streamed WAV declares no usable length: the limit trips while decoding.
        let mut streamed = hound_wav(&[test_signal(8000)], 8000, false);
        streamed[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        streamed[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            greeting::decode_greeting_with(&streamed, &short),
            Err(GreetingError::TooLong { limit_ms: 1500 })
        ));
        // Rates outside 4–192 kHz are refused.
        let wav = hound_wav(&[sine(100.0, 2000, 1.0, 0.5)], 2000, false);
        assert!(matches!(
            greeting::decode_greeting(&wav),
            Err(GreetingError::BadParameters(_))
        ));
    }

    #[test]
    fn truncated_files_are_errors() {
        let wav = hound_wav(&[test_signal(44_100)], 44_100, false);
        for cut in [10, 30, 43] {
            let err = expect_err(greeting::decode_greeting(&wav[..cut]), "cut WAV");
            eprintln!("WAV cut at {cut} bytes: {err}");
        }
        let err = expect_err(greeting::decode_greeting(&wav[..wav.len() / 2]), "half WAV");
        assert!(matches!(err, GreetingError::Truncated(_)), "{err:?}");
        let mp3 = recording::encode_mp3(&to_i16(&test_signal(8000)), Mp3Quality::Standard).unwrap();
        let err = expect_err(greeting::decode_greeting(&mp3[..mp3.len() / 2]), "half MP3");
        assert!(matches!(err, GreetingError::Truncated(_)), "MP3: {err:?}");
        if let Some(flac) = sox_convert(&wav, "flac", &[]) {
            let err = expect_err(
                greeting::decode_greeting(&flac[..flac.len() / 2]),
                "half FLAC",
            );
            eprintln!("FLAC cut in half: {err}");
            assert!(matches!(err, GreetingError::Truncated(_)), "FLAC: {err:?}");
        }
    }

    #[test]
    fn random_and_mutated_bytes_never_panic() {
        let mut rng = Rng(0x5EED_F00D_1234_5678);
        // Pure noise.
        for len in [1usize, 2, 3, 4, 12, 44, 100, 1000, 10_000, 100_000] {
            let junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            assert!(
                greeting::decode_greeting(&junk).is_err(),
                "{len} random bytes decoded"
            );
        }
        // Plausible headers followed by junk.
        for magic in [
            &b"RIFF\x24\x00\x00\x00WAVEfmt "[..],
            b"fLaC",
            b"OggS",
            b"ID3\x03",
            b"\xFF\xFB",
        ] {
            let mut v = magic.to_vec();
            v.extend((0..4000).map(|_| rng.next() as u8));
            let r = greeting::decode_greeting(&v);
            assert!(
                r.is_err(),
                "{:?}+junk decoded",
                String::from_utf8_lossy(magic)
            );
        }
        // Mutations of valid files: must return (Ok or Err), never panic or hang.
        let pcm = to_i16(&test_signal(8000));
        let mut valid = vec![
            hound_wav(&[test_signal(16_000)], 16_000, false),
            recording::encode_mp3(&pcm, Mp3Quality::Standard).unwrap(),
            g711_wav(&pcm, Law::Alaw),
        ];
        let wav44 = hound_wav(&[test_signal(44_100)], 44_100, false);
        valid.extend(sox_convert(&wav44, "flac", &[]));
        valid.extend(sox_convert(&wav44, "ogg", &[]));
        let (mut ok, mut err) = (0, 0);
        for file in &valid {
            for _ in 0..40 {
                let mut v = file.clone();
                for _ in 0..1 + rng.below(8) {
                    // Bias mutations towards headers, where parsers are most fragile.
                    let i = if rng.below(2) == 0 {
                        rng.below(v.len().min(256))
                    } else {
                        rng.below(v.len())
                    };
                    v[i] = rng.next() as u8;
                }
                if rng.below(4) == 0 {
                    let keep = rng.below(v.len());
                    v.truncate(keep);
                }
                match greeting::decode_greeting(&v) {
                    Ok(_) => ok += 1,
                    Err(_) => err += 1,
                }
            }
        }
        eprintln!("mutated files: {ok} decoded, {err} rejected");
    }

    #[test]
    fn symphonia_panic_on_crafted_wav_is_contained() {
        // PCM WAV claiming 65535 channels of 32-bit samples: symphonia-format-riff 0.6.1
        // computes `channels * 4` in u16 and panics on the overflow (debug builds).
        let mut wav = hound_wav(&[sine(440.0, 8000, 0.1, 0.5)], 8000, false);
        wav[22..24].copy_from_slice(&u16::MAX.to_le_bytes());
        wav[34..36].copy_from_slice(&32u16.to_le_bytes());
        let err = expect_err(greeting::decode_greeting(&wav), "65535-channel WAV");
        eprintln!("65535-channel WAV: {err}");
        let (samples, err) = greeting::load_greeting_or_default(&wav);
        assert!(err.is_some());
        assert_eq!(samples.len(), greeting::default_greeting().len());
    }

    #[test]
    fn default_greeting_is_speech_of_sensible_length() {
        let g = greeting::default_greeting();
        let secs = g.len() as f64 / 8000.0;
        assert!((2.0..=8.0).contains(&secs), "default greeting is {secs} s");
        let level = tones::rms_dbfs(&g);
        assert!(
            level > -35.0 && level < -6.0,
            "default greeting level {level} dBFS"
        );
        // Speech: a good share of 20 ms windows are loud, some are pauses.
        let loud = g.chunks(160).filter(|w| tones::rms_dbfs(w) > -40.0).count();
        let total = g.len() / 160;
        assert!(loud * 2 > total, "only {loud}/{total} windows carry sound");
        assert!(loud < total, "no pauses at all: not speech");
        assert_eq!(greeting::default_greeting_ulaw().len(), g.len());
        assert!(greeting::default_greeting_ulaw().len() < 60 * 1024);
        eprintln!("default greeting: {secs:.2} s, {level:.1} dBFS, {loud}/{total} loud windows");
    }

    #[test]
    fn fallback_to_default() {
        let (samples, err) = greeting::load_greeting_or_default(b"definitely not audio");
        assert_eq!(samples, greeting::default_greeting());
        let err = err.expect("an error explaining the fallback");
        assert!(
            matches!(err, GreetingError::UnrecognisedFormat(_)),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("not a recognised audio file"),
            "{err}"
        );

        let wav = hound_wav(&[test_signal(8000)], 8000, false);
        let (samples, err) = greeting::load_greeting_or_default(&wav);
        assert!(err.is_none());
        assert_eq!(samples, to_i16(&test_signal(8000)));

        let (samples, err) = greeting::load_greeting_or_default(&[]);
        assert!(matches!(err, Some(GreetingError::Empty)));
        assert_eq!(samples.len(), greeting::default_greeting().len());
    }

    #[test]
    fn shared_spandsp_wavs_when_present() {
        let Some(root) = shared_testdata() else {
            eprintln!("NOTE: ../shared/testdata not present; skipping spandsp WAV checks");
            return;
        };
        let dir = root.join("spandsp");
        let mut seen = 0;
        for name in [
            "short_nb_voice.wav",
            "short_wb_voice.wav",
            "dam9.wav",
            "dam9_lpc55.wav",
        ] {
            let path = dir.join(name);
            let Ok(bytes) = std::fs::read(&path) else {
                eprintln!("NOTE: {} missing; skipped", path.display());
                continue;
            };
            // Expected duration from the file's own header, read independently with hound.
            let r = hound::WavReader::new(std::io::Cursor::new(&bytes)).unwrap();
            let spec = r.spec();
            let want_ms = f64::from(r.duration()) * 1000.0 / f64::from(spec.sample_rate);
            let t = Instant::now();
            let out = greeting::decode_greeting(&bytes).unwrap();
            let got_ms = duration_ms(out.len(), 8000);
            assert!(
                (got_ms - want_ms).abs() <= 20.0,
                "{name}: {got_ms} ms vs {want_ms} ms"
            );
            assert!(
                tones::rms_dbfs(&out) > -40.0,
                "{name} decoded to near silence"
            );
            eprintln!(
                "{name}: {} Hz, {want_ms:.0} ms -> {got_ms:.0} ms at 8 kHz in {:?}",
                spec.sample_rate,
                t.elapsed()
            );
            seen += 1;
        }
        assert!(seen > 0 || !dir.is_dir());
    }
}

// ----------------------------------------------------------------------------------------------
// Recordings
// ----------------------------------------------------------------------------------------------

mod recording_tests {
    use super::*;

    #[test]
    fn streamed_wav_is_valid_at_checkpoints_and_complete_at_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vm.wav");
        let src = speech_like(5.0);
        let mut rec = WavRecorder::create(&path).unwrap();
        for (i, frame) in src.chunks(160).enumerate() {
            rec.write(frame).unwrap();
            if i == 155 {
                // 3.12 s written, last automatic checkpoint at 3.0 s: what a crash would leave.
                let snapshot = std::fs::read(&path).unwrap();
                let partial = recording::read_wav(&snapshot).unwrap();
                assert_eq!(partial.len(), 24_000, "checkpointed samples");
                assert_eq!(&partial[..], &src[..24_000]);
            }
        }
        assert_eq!(rec.samples_written(), 40_000);
        assert_eq!(rec.duration(), std::time::Duration::from_secs(5));
        assert!(
            WavRecorder::create(&path).is_err(),
            "an existing recording is never overwritten"
        );
        let info = rec.finish().unwrap();
        assert_eq!(info.samples, 40_000);
        assert_eq!(info.duration, std::time::Duration::from_secs(5));
        assert_eq!(info.file_bytes, std::fs::metadata(&path).unwrap().len());

        // hound reads it back identically…
        let mut r = hound::WavReader::open(&path).unwrap();
        assert_eq!(r.spec(), recording::RECORDING_SPEC);
        let via_hound: Vec<i16> = r.samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(via_hound, src);
        assert_eq!(recording::read_wav_file(&path).unwrap(), src);
        // …and so does symphonia (8 kHz in, so no resampling happens).
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(greeting::decode_greeting(&bytes).unwrap(), src);
        assert_eq!(
            bytes,
            recording::wav_bytes(&src),
            "streamed file equals the in-memory WAV"
        );
    }

    #[test]
    fn flush_every_write_and_sync() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vm.wav");
        let mut rec = WavRecorder::create_with_flush_interval(&path, 0).unwrap();
        // Empty file is already valid.
        assert!(recording::read_wav_file(&path).unwrap().is_empty());
        let src = speech_like(0.1);
        rec.write(&src[..160]).unwrap();
        assert_eq!(recording::read_wav_file(&path).unwrap(), &src[..160]);
        rec.write(&src[160..]).unwrap();
        rec.sync().unwrap();
        assert_eq!(recording::read_wav_file(&path).unwrap(), src);
        assert_eq!(rec.path(), path.as_path());
        rec.finish().unwrap();
    }

    #[test]
    fn crash_recovery_keeps_audio_after_the_last_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vm.wav");
        let src = speech_like(3.0);
        let mut rec = WavRecorder::create_with_flush_interval(&path, usize::MAX).unwrap();
        rec.write(&src[..8000]).unwrap();
        rec.flush().unwrap();
        rec.write(&src[8000..]).unwrap();
        // Simulate a crash: no finalisation, the BufWriter's tail never reaches the file.
        std::mem::forget(rec);
        let before = recording::read_wav_file(&path).unwrap();
        assert_eq!(before, &src[..8000], "valid up to the checkpoint");
        let info = recording::recover_wav(&path).unwrap();
        let after = recording::read_wav_file(&path).unwrap();
        assert_eq!(after.len() as u64, info.samples);
        assert!(
            after.len() > 8000,
            "recovery found data past the checkpoint"
        );
        assert_eq!(&after[..], &src[..after.len()]);
        eprintln!(
            "crash recovery: {} of {} samples kept",
            after.len(),
            src.len()
        );
        // Not our format: refused, file untouched.
        let other = dir.path().join("other.wav");
        std::fs::write(
            &other,
            hound_wav(&[sine(440.0, 44_100, 0.1, 0.5)], 44_100, false),
        )
        .unwrap();
        assert!(matches!(
            recording::recover_wav(&other),
            Err(RecordingError::UnexpectedFormat(_))
        ));
    }

    #[test]
    fn read_wav_rejects_other_formats() {
        let wav = hound_wav(&[sine(440.0, 44_100, 0.1, 0.5)], 44_100, false);
        assert!(matches!(
            recording::read_wav(&wav),
            Err(RecordingError::UnexpectedFormat(_))
        ));
        assert!(recording::read_wav(b"RIFF....WAVE").is_err());
        assert!(recording::read_wav(&[]).is_err());
    }

    /// Parses the first MP3 frame header: (MPEG version label, sample rate).
    fn first_frame(mp3: &[u8]) -> (&'static str, u32) {
        assert_eq!(mp3[0], 0xFF);
        assert_eq!(mp3[1] & 0xE0, 0xE0, "frame sync");
        let version = (mp3[1] >> 3) & 0x3;
        let sr_idx = (mp3[2] >> 2) & 0x3;
        let base = [44_100u32, 48_000, 32_000][sr_idx as usize];
        match version {
            0b11 => ("MPEG-1", base),
            0b10 => ("MPEG-2", base / 2),
            0b00 => ("MPEG-2.5", base / 4),
            _ => panic!("reserved MPEG version"),
        }
    }

    #[test]
    fn mp3_attachment_duration_correlation_and_size() {
        let src = speech_like(60.0);
        for q in [Mp3Quality::Standard, Mp3Quality::Compact] {
            let t = Instant::now();
            let mp3 = recording::encode_mp3(&src, q).unwrap();
            let enc = t.elapsed();
            let (version, rate) = first_frame(&mp3);
            assert_eq!(rate, q.sample_rate());
            assert_eq!(
                version,
                match q {
                    Mp3Quality::Standard => "MPEG-2",
                    Mp3Quality::Compact => "MPEG-2.5",
                }
            );
            // The LAME "Info" (CBR Xing) tag is in the first frame: side info is 9 bytes for
            // mono MPEG-2/2.5, so it starts at byte 4 + 9.
            assert_eq!(&mp3[13..17], b"Info", "LAME/Xing tag present");
            assert_eq!(&mp3[13 + 0x78..13 + 0x78 + 4], b"LAME");
            // CBR: bytes ≈ bitrate × duration.
            let expected = f64::from(q.bitrate_kbps()) * 1000.0 / 8.0 * 60.0;
            let ratio = mp3.len() as f64 / expected;
            assert!(
                (0.97..1.05).contains(&ratio),
                "{q:?}: {} bytes for 60 s",
                mp3.len()
            );

            let t = Instant::now();
            let back = greeting::decode_greeting(&mp3).unwrap();
            let dec = t.elapsed();
            let got_ms = duration_ms(back.len(), 8000);
            assert!((got_ms - 60_000.0).abs() <= 50.0, "{q:?}: {got_ms} ms");
            // Correlate a 10 s stretch (keeps the test fast) allowing for any residual delay.
            let (r, lag) = best_xcorr(&back[80_000..160_000], &src[80_000..160_000], 200);
            assert!(r > 0.8, "{q:?}: correlation {r:.3} (lag {lag})");
            eprintln!(
                "MP3 {q:?}: {} bytes per minute, encode 60 s in {enc:?}, decode+resample in {dec:?}, \
                 {got_ms} ms back, xcorr {r:.3} at lag {lag}",
                mp3.len()
            );
        }
        // Edge cases: empty and very short input still make a valid (if tiny) MP3.
        let empty = recording::encode_mp3(&[], Mp3Quality::Standard).unwrap();
        assert_eq!(&empty[13..17], b"Info");
        assert!(matches!(
            greeting::decode_greeting(&empty),
            Err(GreetingError::NoAudio)
        ));
        let short = recording::encode_mp3(&src[..80], Mp3Quality::Compact).unwrap();
        let back = greeting::decode_greeting(&short).unwrap();
        assert!(
            (back.len() as i64 - 80).abs() <= 8,
            "10 ms MP3 decoded to {} samples",
            back.len()
        );
    }

    #[test]
    fn mp3_lame_tag_fields() {
        let pcm = speech_like(3.0);
        for q in [Mp3Quality::Standard, Mp3Quality::Compact] {
            let mp3 = recording::encode_mp3(&pcm, q).unwrap();
            let be32 = |i: usize| u32::from_be_bytes(mp3[i..i + 4].try_into().unwrap());
            // Tag frame: 288 bytes (64 kbps at 16 kHz / 32 kbps at 8 kHz), then CBR audio frames.
            let tag_len = 288;
            assert_eq!(&mp3[13..17], b"Info");
            assert_eq!(be32(17), 0x0F, "frames, bytes, TOC and quality present");
            let frames = be32(21) as usize;
            assert_eq!(
                be32(25) as usize,
                mp3.len(),
                "byte count covers the whole file"
            );
            let audio_frame_len = 72 * q.bitrate_kbps() as usize * 1000 / q.sample_rate() as usize;
            assert_eq!(
                mp3.len() - tag_len,
                frames * audio_frame_len,
                "CBR frames tile the file"
            );
            assert_eq!(mp3[tag_len], 0xFF, "audio starts right after the tag frame");
            assert_eq!(&mp3[133..142], b"LAME3.100");
            let delay = (usize::from(mp3[154]) << 4) | usize::from(mp3[155] >> 4);
            let padding = (usize::from(mp3[155] & 0x0F) << 8) | usize::from(mp3[156]);
            let n = pcm.len() * q.sample_rate() as usize / 8000;
            assert_eq!(delay, 576);
            assert_eq!(
                frames * 576,
                delay + n + padding,
                "delay + audio + padding = frames"
            );
            // Tag CRC (CRC-16/ARC over the frame up to the CRC field) as LAME/mpg123/ffmpeg check.
            let crc_at = 133 + 34;
            let mut crc = 0u16;
            for &b in &mp3[..crc_at] {
                crc ^= u16::from(b);
                for _ in 0..8 {
                    crc = if crc & 1 != 0 {
                        (crc >> 1) ^ 0xA001
                    } else {
                        crc >> 1
                    };
                }
            }
            assert_eq!(u16::from_be_bytes([mp3[crc_at], mp3[crc_at + 1]]), crc);
        }
    }

    #[test]
    fn trailing_silence_trim() {
        let mut rng = Rng(42);
        let talk = speech_like(2.0);
        let mut rec = talk.clone();
        // 3 s of line noise at about -66 dBFS after the caller stops talking.
        rec.extend((0..24_000).map(|_| (rng.below(33) as i16) - 16));
        let trimmed = recording::trim_trailing_silence(&rec, -50.0, 1000);
        // speech_like ends with a syllable envelope, so the cut is within the last 0.3 s of talk.
        assert!(
            trimmed.len() <= talk.len() && trimmed.len() >= talk.len() - 2400,
            "trimmed to {} samples (talk {})",
            trimmed.len(),
            talk.len()
        );
        assert_eq!(trimmed, &rec[..trimmed.len()]);
        let cut = recording::trailing_silence_start(&rec, -50.0, 1000).unwrap();
        assert_eq!(cut, trimmed.len());
        // Silence shorter than the minimum: untouched.
        assert_eq!(
            recording::trim_trailing_silence(&rec, -50.0, 4000).len(),
            rec.len()
        );
        assert_eq!(recording::trailing_silence_start(&rec, -50.0, 4000), None);
        // Threshold below the noise floor: nothing counts as silence.
        assert_eq!(
            recording::trim_trailing_silence(&rec, -80.0, 1000).len(),
            rec.len()
        );
        // Tone followed by digital silence: cut exactly where the tone ends (20 ms grid).
        let mut beep = tones::beep();
        beep.extend(tones::silence(2000));
        assert_eq!(
            recording::trim_trailing_silence(&beep, -50.0, 1000).len(),
            4000
        );
    }
}
