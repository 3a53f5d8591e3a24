//! Voicemail greetings: decode an uploaded audio file into 8 kHz mono 16-bit samples.
//!
//! Clients upload greetings in whatever their phone or editor produces: WAV (16-bit, float,
//! µ-law, A-law), MP3, Ogg/Vorbis, FLAC, AAC/M4A. They are decoded once with symphonia, mixed to
//! mono, resampled to 8 kHz with rubato's FFT resampler and stored/played as G.711. Anything that
//! fails (corrupt, truncated, too long, unsupported such as Opus or GSM) yields a
//! [`GreetingError`] naming the problem, and callers fall back to [`default_greeting`] via
//! [`load_greeting_or_default`] so a caller never hears dead air.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use rubato::audioadapter_buffers::owned::InterleavedOwned;
use rubato::{Fft, FixedSync, Resampler};
use symphonia::core::codecs::audio::{well_known as codec_ids, AudioCodecId, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use crate::g711;

/// The rate greetings are delivered at (G.711).
pub const OUTPUT_RATE: u32 = 8000;
/// Default cap on the uploaded file size: 64 MiB (5 min of 48 kHz stereo 16-bit WAV is 55 MiB).
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;
/// Default cap on the greeting length: 5 minutes.
pub const DEFAULT_MAX_DURATION_MS: u32 = 5 * 60 * 1000;
/// Lowest input sample rate accepted.
pub const MIN_INPUT_RATE: u32 = 4000;
/// Highest input sample rate accepted; bounds the decode buffer (mono f32 at the source rate).
pub const MAX_INPUT_RATE: u32 = 192_000;
/// Most channels accepted (7.1 plus headroom); more is almost certainly a corrupt header.
pub const MAX_CHANNELS: usize = 16;

static DEFAULT_GREETING_ULAW: &[u8] = include_bytes!("../assets/default_greeting.ulaw");

/// Why a greeting could not be used. The message is meant for the account holder who uploaded it.
#[derive(Debug, thiserror::Error)]
pub enum GreetingError {
    /// Zero-byte upload.
    #[error("greeting file is empty")]
    Empty,
    /// The upload is bigger than [`GreetingLimits::max_bytes`].
    #[error("greeting file is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Upload size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The audio is longer than [`GreetingLimits::max_duration_ms`].
    #[error("greeting is longer than the {limit_ms} ms limit")]
    TooLong {
        /// The limit in milliseconds.
        limit_ms: u32,
    },
    /// No format reader recognised the bytes (not audio, or a container we do not read).
    #[error("greeting is not a recognised audio file ({0})")]
    UnrecognisedFormat(String),
    /// The container holds no audio track.
    #[error("greeting file has no audio track")]
    NoAudioTrack,
    /// The audio codec is known but not decodable here (e.g. Opus, GSM 6.10).
    #[error("greeting uses an unsupported audio codec: {0}")]
    UnsupportedCodec(String),
    /// Sample rate or channel count out of range, or missing.
    #[error("greeting has an unusable audio format: {0}")]
    BadParameters(String),
    /// The file ends before the audio its header promises.
    #[error("greeting file is truncated: {0}")]
    Truncated(String),
    /// The stream is malformed (bad headers, undecodable packets, decoder failure).
    #[error("greeting file is corrupt: {0}")]
    Corrupt(String),
    /// The file decoded to no samples at all.
    #[error("greeting contains no audio")]
    NoAudio,
    /// Resampling to 8 kHz failed (should not happen for accepted rates).
    #[error("could not resample greeting: {0}")]
    Resample(String),
}

/// Limits applied while decoding, so a hostile or mistaken upload cannot exhaust memory or time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GreetingLimits {
    /// Largest accepted file in bytes.
    pub max_bytes: usize,
    /// Longest accepted greeting in milliseconds.
    pub max_duration_ms: u32,
}

impl Default for GreetingLimits {
    fn default() -> Self {
        GreetingLimits {
            max_bytes: DEFAULT_MAX_BYTES,
            max_duration_ms: DEFAULT_MAX_DURATION_MS,
        }
    }
}

/// Decodes a greeting with [`GreetingLimits::default`]: any supported format, rate and channel
/// count in, 8 kHz mono i16 out.
pub fn decode_greeting(bytes: &[u8]) -> Result<Vec<i16>, GreetingError> {
    decode_greeting_with(bytes, &GreetingLimits::default())
}

/// Decodes a greeting with explicit limits.
pub fn decode_greeting_with(
    bytes: &[u8],
    limits: &GreetingLimits,
) -> Result<Vec<i16>, GreetingError> {
    if bytes.is_empty() {
        return Err(GreetingError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(GreetingError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    // A bad upload must never take the gateway down. symphonia is pure Rust but does panic on
    // some crafted input (e.g. symphonia-format-riff 0.6.1 overflows a multiplication on a
    // mangled `fmt ` chunk), so any panic while decoding or resampling becomes `Corrupt`.
    // (This relies on the default `panic = "unwind"`.)
    catch_unwind(AssertUnwindSafe(|| {
        let (mono, rate) = decode_to_mono(bytes, limits)?;
        let resampled = resample(&mono, rate, OUTPUT_RATE).map_err(GreetingError::Resample)?;
        Ok(f32_to_i16(&resampled))
    }))
    .unwrap_or_else(|_| {
        Err(GreetingError::Corrupt(
            "decoder failed on malformed data".into(),
        ))
    })
}

/// Decodes `bytes` or, if that fails, returns the built-in greeting together with the reason,
/// so the call can go on and the failure can be logged or reported to the account holder.
pub fn load_greeting_or_default(bytes: &[u8]) -> (Vec<i16>, Option<GreetingError>) {
    match decode_greeting(bytes) {
        Ok(samples) => (samples, None),
        Err(e) => (default_greeting(), Some(e)),
    }
}

/// The built-in greeting ("Hello. The person you are calling is not available. Please leave a
/// message after the tone."), 8 kHz mono, about 6 s, for lines without a usable greeting.
pub fn default_greeting() -> Vec<i16> {
    let mut out = Vec::with_capacity(DEFAULT_GREETING_ULAW.len());
    g711::decode_ulaw(DEFAULT_GREETING_ULAW, &mut out);
    out
}

/// The built-in greeting as stored: raw G.711 µ-law, ready to packetise for PCMU without
/// re-encoding.
pub fn default_greeting_ulaw() -> &'static [u8] {
    DEFAULT_GREETING_ULAW
}

/// A human-readable name for codecs people are likely to upload, for error messages.
fn codec_name(id: AudioCodecId) -> String {
    let name = match id {
        codec_ids::CODEC_ID_OPUS => "Opus",
        codec_ids::CODEC_ID_SPEEX => "Speex",
        codec_ids::CODEC_ID_AAC => "AAC",
        codec_ids::CODEC_ID_AC3 => "AC-3",
        codec_ids::CODEC_ID_EAC3 => "E-AC-3",
        codec_ids::CODEC_ID_WMA => "WMA",
        codec_ids::CODEC_ID_ALAC => "ALAC",
        codec_ids::CODEC_ID_WAVPACK => "WavPack",
        codec_ids::CODEC_ID_MP1 => "MPEG-1 Layer I",
        codec_ids::CODEC_ID_MP2 => "MPEG Layer II",
        codec_ids::CODEC_ID_MP3 => "MP3",
        codec_ids::CODEC_ID_ADPCM_G722 => "G.722",
        codec_ids::CODEC_ID_ADPCM_G726 | codec_ids::CODEC_ID_ADPCM_G726LE => "G.726",
        _ => return format!("codec id {id}"),
    };
    name.to_string()
}

fn probe_error(e: SymphoniaError, wav: Option<WavHeader>) -> GreetingError {
    match e {
        SymphoniaError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            GreetingError::Truncated("file ends inside its header".into())
        }
        // The WAV reader recognised the file but not its sample format: name the codec.
        SymphoniaError::Unsupported(_) if wav.is_some_and(|w| w.format_tag.is_some()) => {
            let tag = wav.and_then(|w| w.format_tag).unwrap_or(0);
            GreetingError::UnsupportedCodec(wav_codec_name(tag))
        }
        SymphoniaError::Unsupported(what) => {
            GreetingError::UnrecognisedFormat(what.trim_start_matches("core (probe): ").into())
        }
        other => GreetingError::Corrupt(other.to_string()),
    }
}

/// What a quick look at a RIFF/WAVE header tells us before symphonia parses it.
#[derive(Debug, Clone, Copy)]
struct WavHeader {
    /// `wFormatTag` of the `fmt ` chunk, if present.
    format_tag: Option<u16>,
    /// The `data` chunk length is 0xFFFFFFFF: the de-facto "length unknown" marker written by
    /// tools that stream WAV to a pipe. The audio then simply runs to the end of the file.
    streamed: bool,
}

fn wav_header(bytes: &[u8]) -> Option<WavHeader> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return None;
    }
    let mut h = WavHeader {
        format_tag: None,
        streamed: false,
    };
    let mut pos = 12usize;
    // A handful of chunks at most precede `data`; bound the walk anyway.
    for _ in 0..64 {
        let Some(chunk) = bytes.get(pos..pos + 8) else {
            break;
        };
        let size = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
        match &chunk[0..4] {
            b"fmt " => {
                h.format_tag = bytes
                    .get(pos + 8..pos + 10)
                    .map(|t| u16::from_le_bytes([t[0], t[1]]));
            }
            b"data" => {
                h.streamed = size == u32::MAX;
                break;
            }
            _ => {}
        }
        pos = pos.saturating_add(8 + size as usize + (size as usize & 1));
    }
    Some(h)
}

/// Names WAV format tags that people meet in practice (mostly from old voicemail systems).
fn wav_codec_name(tag: u16) -> String {
    let name = match tag {
        0x0002 => "Microsoft ADPCM in WAV",
        0x0011 => "IMA ADPCM in WAV",
        0x0022 => "TrueSpeech in WAV",
        0x0031 => "GSM 6.10 in WAV",
        0x0040 | 0x0064 => "G.721/G.726 ADPCM in WAV",
        0x0050 => "MPEG audio in WAV",
        0x0055 => "MP3 in WAV",
        0x0065 => "G.722 in WAV",
        0x0067 => "G.722.1 in WAV",
        0x0161 => "WMA in WAV",
        _ => return format!("WAV format tag {tag:#06x}"),
    };
    name.to_string()
}

/// Decodes all packets of the default audio track, mixing to mono f32 as it goes.
fn decode_to_mono(bytes: &[u8], limits: &GreetingLimits) -> Result<(Vec<f32>, u32), GreetingError> {
    let wav = wav_header(bytes);
    let streamed_wav = wav.is_some_and(|w| w.streamed);
    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
    let mut format = symphonia::default::get_probe()
        .probe(
            &Hint::new(),
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| probe_error(e, wav))?;

    let track = format
        .default_track(TrackType::Audio)
        .or_else(|| format.first_track(TrackType::Audio))
        .ok_or(GreetingError::NoAudioTrack)?;
    let track_id = track.id;
    // A streamed WAV declares an absurd length; its real length is wherever the file ends.
    let declared_frames = if streamed_wav { None } else { track.num_frames };
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or(GreetingError::NoAudioTrack)?
        .clone();

    let mut rate = params.sample_rate;
    if let Some(r) = rate {
        check_rate(r)?;
        if let Some(n) = declared_frames {
            check_duration(n, r, limits)?;
        }
    }
    if let Some(ch) = &params.channels {
        if ch.count() == 0 || ch.count() > MAX_CHANNELS {
            return Err(GreetingError::BadParameters(format!(
                "{} channels",
                ch.count()
            )));
        }
    }

    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| match e {
            SymphoniaError::Unsupported(_) => {
                GreetingError::UnsupportedCodec(codec_name(params.codec))
            }
            other => GreetingError::Corrupt(other.to_string()),
        })?;

    let mut mono: Vec<f32> = Vec::new();
    let mut interleaved: Vec<f32> = Vec::new();
    let mut good_packets = 0usize;
    let mut bad_packets = 0usize;
    let mut last_decode_error = "";
    loop {
        let packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(SymphoniaError::IoError(io)) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                if streamed_wav && !mono.is_empty() {
                    break;
                }
                if mono.is_empty() {
                    return Err(GreetingError::Truncated("no complete audio packet".into()));
                }
                return Err(GreetingError::Truncated(format!(
                    "audio stops after {:.2} s",
                    mono.len() as f64 / f64::from(rate.unwrap_or(OUTPUT_RATE))
                )));
            }
            Err(SymphoniaError::ResetRequired) => break, // chained Ogg stream: keep the first
            Err(e) => return Err(GreetingError::Corrupt(e.to_string())),
        };
        if packet.track_id != track_id {
            continue;
        }
        let buf = match decoder.decode(&packet) {
            Ok(buf) => buf,
            Err(SymphoniaError::DecodeError(msg)) => {
                bad_packets += 1;
                last_decode_error = msg;
                continue;
            }
            Err(SymphoniaError::Unsupported(_)) => {
                return Err(GreetingError::UnsupportedCodec(codec_name(params.codec)))
            }
            Err(e) => return Err(GreetingError::Corrupt(e.to_string())),
        };
        good_packets += 1;
        let spec = buf.spec();
        let buf_rate = spec.rate();
        match rate {
            None => {
                check_rate(buf_rate)?;
                rate = Some(buf_rate);
            }
            Some(r) if r != buf_rate => {
                return Err(GreetingError::BadParameters(format!(
                    "sample rate changes mid-stream ({r} Hz to {buf_rate} Hz)"
                )))
            }
            Some(_) => {}
        }
        let channels = buf.num_planes();
        if channels == 0 || channels > MAX_CHANNELS {
            return Err(GreetingError::BadParameters(format!("{channels} channels")));
        }
        buf.copy_to_vec_interleaved(&mut interleaved);
        if channels == 1 {
            mono.extend_from_slice(&interleaved);
        } else {
            let scale = 1.0 / channels as f32;
            mono.extend(
                interleaved
                    .chunks_exact(channels)
                    .map(|frame| frame.iter().sum::<f32>() * scale),
            );
        }
        check_duration(mono.len() as u64, buf_rate, limits)?;
    }

    let rate = rate.ok_or(GreetingError::NoAudio)?;
    if good_packets == 0 && bad_packets > 0 {
        return Err(GreetingError::Corrupt(format!(
            "no packet could be decoded ({last_decode_error})"
        )));
    }
    // Tolerate the odd damaged packet (as players do) but not a mostly broken stream.
    if bad_packets > 0 && bad_packets * 10 > good_packets + bad_packets {
        return Err(GreetingError::Corrupt(format!(
            "{bad_packets} of {} packets could not be decoded ({last_decode_error})",
            good_packets + bad_packets
        )));
    }
    if mono.is_empty() {
        return Err(GreetingError::NoAudio);
    }
    // Containers that state their length (WAV, FLAC, MP3 with a Xing tag) let us catch a file
    // cut short in transfer even when the reader ends quietly; allow 10 ms + 1 % slack.
    if let Some(n) = declared_frames {
        let got = mono.len() as u64;
        let slack = u64::from(rate / 100) + n / 100;
        if got + slack < n {
            return Err(GreetingError::Truncated(format!(
                "{:.2} s of audio present, header promises {:.2} s",
                got as f64 / f64::from(rate),
                n as f64 / f64::from(rate)
            )));
        }
    }
    Ok((mono, rate))
}

fn check_rate(rate: u32) -> Result<(), GreetingError> {
    if (MIN_INPUT_RATE..=MAX_INPUT_RATE).contains(&rate) {
        Ok(())
    } else {
        Err(GreetingError::BadParameters(format!(
            "sample rate {rate} Hz (accepted {MIN_INPUT_RATE}..={MAX_INPUT_RATE} Hz)"
        )))
    }
}

fn check_duration(frames: u64, rate: u32, limits: &GreetingLimits) -> Result<(), GreetingError> {
    if frames.saturating_mul(1000) > u64::from(limits.max_duration_ms) * u64::from(rate) {
        Err(GreetingError::TooLong {
            limit_ms: limits.max_duration_ms,
        })
    } else {
        Ok(())
    }
}

/// Resamples mono f32 audio with rubato's synchronous FFT resampler (`process_all` trims the
/// filter delay, so output length is `ceil(len * out / in)` and time-aligned with the input).
pub(crate) fn resample(input: &[f32], rate_in: u32, rate_out: u32) -> Result<Vec<f32>, String> {
    if rate_in == rate_out || input.is_empty() {
        return Ok(input.to_vec());
    }
    let mut resampler = Fft::<f32>::new(
        rate_in as usize,
        rate_out as usize,
        1024,
        1,
        FixedSync::Both,
    )
    .map_err(|e| e.to_string())?;
    let n = input.len();
    let buffer = InterleavedOwned::new_from(input.to_vec(), 1, n).map_err(|e| e.to_string())?;
    let out = resampler
        .process_all(&buffer, n, None)
        .map_err(|e| e.to_string())?;
    Ok(out.take_data())
}

/// f32 in [-1, 1) → i16 with rounding and clipping.
pub(crate) fn f32_to_i16(samples: &[f32]) -> Vec<i16> {
    samples
        .iter()
        .map(|&x| {
            if x.is_finite() {
                (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
            } else {
                0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resample_length_and_identity() {
        let x: Vec<f32> = (0..44100).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
        assert_eq!(resample(&x, 44100, 8000).unwrap().len(), 8000);
        assert_eq!(resample(&x, 8000, 8000).unwrap(), x);
        assert!(resample(&[], 44100, 8000).unwrap().is_empty());
        // Shorter than one FFT chunk still works.
        assert_eq!(resample(&x[..100], 44100, 8000).unwrap().len(), 19);
    }

    #[test]
    fn f32_conversion_clips() {
        assert_eq!(
            f32_to_i16(&[0.0, 1.0, -1.0, 2.0, f32::NAN]),
            vec![0, 32767, -32768, 32767, 0]
        );
    }

    #[test]
    fn empty_and_oversized_inputs() {
        assert!(matches!(decode_greeting(&[]), Err(GreetingError::Empty)));
        let limits = GreetingLimits {
            max_bytes: 10,
            ..Default::default()
        };
        assert!(matches!(
            decode_greeting_with(&[0u8; 11], &limits),
            Err(GreetingError::TooLarge {
                size: 11,
                limit: 10
            })
        ));
    }
}
