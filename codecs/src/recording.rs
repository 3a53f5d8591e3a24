//! Voicemail recordings: streaming 8 kHz mono 16-bit WAV to disk, WAV in memory, the compact
//! MP3 attachment, and trailing-silence trimming.
//!
//! The recording is the durable artefact of a voicemail call, so it is written incrementally:
//! [`WavRecorder`] rewrites the WAV header at every checkpoint (by default once a second of audio),
//! so a crash of the gateway leaves a valid file holding everything up to the last checkpoint,
//! and [`recover_wav`] can re-derive the header from the file length to keep even the audio
//! after it. The e-mail attachment is MP3 (mono, 16 kHz / 24 kbps MPEG-2 by default, which plays
//! everywhere) with a LAME/Xing tag so players know the exact, gapless length.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Cursor, Read, Seek, SeekFrom, Write};
use std::num::NonZeroU32;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use mp3lame_encoder::{Bitrate, Builder, FlushGap, Mode, MonoPcm, Quality};

use crate::greeting::{f32_to_i16, resample};
use crate::tones::rms_dbfs;

/// Recordings are telephone audio: 8 kHz.
pub const RECORDING_RATE: u32 = 8000;
/// Default checkpoint interval for [`WavRecorder`]: 1 s of audio (16 KB).
pub const DEFAULT_FLUSH_EVERY_SAMPLES: usize = RECORDING_RATE as usize;
/// Size of the WAV header hound writes for 16-bit mono PCM (RIFF + 16-byte `fmt ` + `data`).
const WAV_HEADER_LEN: u64 = 44;
/// Largest number of samples a RIFF file can hold at 2 bytes each (~74 h at 8 kHz).
const MAX_WAV_SAMPLES: u64 = (u32::MAX as u64 - WAV_HEADER_LEN) / 2;

/// The WAV format of every recording: 8 kHz, mono, 16-bit signed PCM.
pub const RECORDING_SPEC: hound::WavSpec = hound::WavSpec {
    channels: 1,
    sample_rate: RECORDING_RATE,
    bits_per_sample: 16,
    sample_format: hound::SampleFormat::Int,
};

/// Errors from writing, reading or encoding recordings.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// File system error (create, write, sync, read).
    #[error("recording I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The WAV writer or reader failed (malformed file, unsupported layout).
    #[error("WAV error: {0}")]
    Wav(String),
    /// A WAV that is not 8 kHz mono 16-bit PCM was given where a recording was expected.
    #[error("not a faxvox recording: {0}")]
    UnexpectedFormat(String),
    /// More audio than a RIFF/WAV file can hold.
    #[error("recording exceeds the WAV size limit")]
    TooLong,
    /// The MP3 encoder refused the settings or the data.
    #[error("MP3 encoding failed: {0}")]
    Mp3(String),
}

impl From<hound::Error> for RecordingError {
    fn from(e: hound::Error) -> Self {
        match e {
            hound::Error::IoError(io) => RecordingError::Io(io),
            other => RecordingError::Wav(other.to_string()),
        }
    }
}

/// What a finished (or recovered) recording contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordingInfo {
    /// Number of 16-bit samples (= frames, mono).
    pub samples: u64,
    /// `samples` at 8 kHz.
    pub duration: Duration,
    /// Total file size in bytes, header included.
    pub file_bytes: u64,
}

impl RecordingInfo {
    fn from_samples(samples: u64) -> Self {
        RecordingInfo {
            samples,
            duration: samples_to_duration(samples),
            file_bytes: WAV_HEADER_LEN + 2 * samples,
        }
    }
}

fn samples_to_duration(samples: u64) -> Duration {
    Duration::from_nanos(samples.saturating_mul(1_000_000_000) / u64::from(RECORDING_RATE))
}

/// Streams a voicemail to an 8 kHz mono 16-bit WAV file as the call goes on.
///
/// Every `flush_every` samples (default 1 s) the header is rewritten and the buffer written out,
/// so the file on disk is always a valid WAV of everything up to the last checkpoint.
pub struct WavRecorder {
    writer: hound::WavWriter<BufWriter<File>>,
    file: File,
    path: PathBuf,
    samples: u64,
    since_flush: usize,
    flush_every: usize,
}

impl std::fmt::Debug for WavRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavRecorder")
            .field("path", &self.path)
            .field("samples", &self.samples)
            .field("flush_every", &self.flush_every)
            .finish()
    }
}

impl WavRecorder {
    /// Creates `path` (which must not exist yet: an existing recording is never overwritten)
    /// with the default 1 s checkpoint interval.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, RecordingError> {
        Self::create_with_flush_interval(path, DEFAULT_FLUSH_EVERY_SAMPLES)
    }

    /// Like [`WavRecorder::create`], checkpointing every `flush_every` samples (0 = after every
    /// [`WavRecorder::write`] call, i.e. at most one RTP packet is ever at risk).
    pub fn create_with_flush_interval(
        path: impl AsRef<Path>,
        flush_every: usize,
    ) -> Result<Self, RecordingError> {
        let path = path.as_ref().to_path_buf();
        // A voice message is personal data: the gateway's user only, whatever the umask.
        let file = OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        let sync_handle = file.try_clone()?;
        let mut writer = hound::WavWriter::new(BufWriter::new(file), RECORDING_SPEC)?;
        // Make the empty file a valid WAV straight away.
        writer.flush()?;
        Ok(WavRecorder {
            writer,
            file: sync_handle,
            path,
            samples: 0,
            since_flush: 0,
            flush_every,
        })
    }

    /// Appends samples; checkpoints when the interval has been reached.
    pub fn write(&mut self, samples: &[i16]) -> Result<(), RecordingError> {
        if self.samples + samples.len() as u64 > MAX_WAV_SAMPLES {
            return Err(RecordingError::TooLong);
        }
        let mut w = self.writer.get_i16_writer(samples.len() as u32);
        for &s in samples {
            w.write_sample(s);
        }
        w.flush()?;
        self.samples += samples.len() as u64;
        self.since_flush += samples.len();
        if self.since_flush >= self.flush_every {
            self.flush()?;
        }
        Ok(())
    }

    /// Checkpoint: rewrites the header and hands buffered data to the OS, so the file is a
    /// valid WAV of everything written so far even if this process dies.
    pub fn flush(&mut self) -> Result<(), RecordingError> {
        self.writer.flush()?;
        self.since_flush = 0;
        Ok(())
    }

    /// [`WavRecorder::flush`] plus `fdatasync`, for when the recording must survive a power
    /// loss, not just a process crash (e.g. before acknowledging the call as stored).
    pub fn sync(&mut self) -> Result<(), RecordingError> {
        self.flush()?;
        self.file.sync_data()?;
        Ok(())
    }

    /// Samples written so far.
    pub fn samples_written(&self) -> u64 {
        self.samples
    }

    /// Audio length written so far.
    pub fn duration(&self) -> Duration {
        samples_to_duration(self.samples)
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Finalises the header, syncs the file to disk and reports what was recorded.
    pub fn finish(self) -> Result<RecordingInfo, RecordingError> {
        let WavRecorder {
            writer,
            file,
            samples,
            ..
        } = self;
        writer.finalize()?;
        file.sync_all()?;
        Ok(RecordingInfo::from_samples(samples))
    }
}

/// An in-memory 8 kHz mono 16-bit WAV of `samples` (e.g. for a WAV attachment on request).
pub fn wav_bytes(samples: &[i16]) -> Vec<u8> {
    let mut cursor = Cursor::new(Vec::with_capacity(44 + 2 * samples.len()));
    // Writing to a Vec cannot fail and the spec is valid, but stay panic-free regardless.
    let written = (|| -> Result<(), hound::Error> {
        let mut w = hound::WavWriter::new(&mut cursor, RECORDING_SPEC)?;
        for &s in samples {
            w.write_sample(s)?;
        }
        w.finalize()
    })();
    match written {
        Ok(()) => cursor.into_inner(),
        Err(_) => Vec::new(),
    }
}

/// Reads back a recording from WAV bytes; anything but 8 kHz mono 16-bit PCM is rejected.
pub fn read_wav(bytes: &[u8]) -> Result<Vec<i16>, RecordingError> {
    read_wav_from(Cursor::new(bytes))
}

/// Reads back a recording file; see [`read_wav`].
pub fn read_wav_file(path: impl AsRef<Path>) -> Result<Vec<i16>, RecordingError> {
    read_wav_from(std::io::BufReader::new(File::open(path)?))
}

fn read_wav_from<R: Read>(reader: R) -> Result<Vec<i16>, RecordingError> {
    let mut r = hound::WavReader::new(reader)?;
    let spec = r.spec();
    if spec != RECORDING_SPEC {
        return Err(RecordingError::UnexpectedFormat(format!(
            "{} Hz, {} channel(s), {}-bit {:?}",
            spec.sample_rate, spec.channels, spec.bits_per_sample, spec.sample_format
        )));
    }
    r.samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(RecordingError::from)
}

/// Repairs the header of a recording left behind by a crash: sets the RIFF and `data` sizes from
/// the file length (dropping a trailing odd byte), so audio written after the last checkpoint is
/// kept. Only files with our 44-byte 8 kHz mono 16-bit header are touched.
pub fn recover_wav(path: impl AsRef<Path>) -> Result<RecordingInfo, RecordingError> {
    let mut f = OpenOptions::new().read(true).write(true).open(path)?;
    let len = f.metadata()?.len();
    let mut header = [0u8; WAV_HEADER_LEN as usize];
    if len < WAV_HEADER_LEN {
        return Err(RecordingError::UnexpectedFormat(format!(
            "{len} bytes is shorter than a WAV header"
        )));
    }
    f.read_exact(&mut header)?;
    let u16_at = |i: usize| u16::from_le_bytes([header[i], header[i + 1]]);
    let u32_at =
        |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let ours = &header[0..4] == b"RIFF"
        && &header[8..16] == b"WAVEfmt "
        && u32_at(16) == 16
        && u16_at(20) == 1
        && u16_at(22) == 1
        && u32_at(24) == RECORDING_RATE
        && u16_at(34) == 16
        && &header[36..40] == b"data";
    if !ours {
        return Err(RecordingError::UnexpectedFormat(
            "header is not an 8 kHz mono 16-bit PCM recording".into(),
        ));
    }
    let samples = ((len - WAV_HEADER_LEN) / 2).min(MAX_WAV_SAMPLES);
    let data_len = samples * 2;
    f.set_len(WAV_HEADER_LEN + data_len)?;
    f.seek(SeekFrom::Start(4))?;
    f.write_all(&((data_len + WAV_HEADER_LEN - 8) as u32).to_le_bytes())?;
    f.seek(SeekFrom::Start(40))?;
    f.write_all(&(data_len as u32).to_le_bytes())?;
    f.sync_all()?;
    Ok(RecordingInfo::from_samples(samples))
}

/// MP3 settings for the e-mail attachment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Mp3Quality {
    /// 16 kHz mono at 24 kbps (MPEG-2 Layer III, an ISO format every player handles), ≈180 KB/min.
    #[default]
    Standard,
    /// 8 kHz mono at 16 kbps (MPEG-2.5, a Fraunhofer extension; most players handle it),
    /// ≈120 KB/min, for mailboxes with tight size limits.
    Compact,
}

impl Mp3Quality {
    /// The MP3 sample rate.
    pub const fn sample_rate(self) -> u32 {
        match self {
            Mp3Quality::Standard => 16_000,
            Mp3Quality::Compact => 8_000,
        }
    }

    /// The constant bitrate in kbit/s.
    pub const fn bitrate_kbps(self) -> u32 {
        match self {
            Mp3Quality::Standard => 24,
            Mp3Quality::Compact => 16,
        }
    }

    fn bitrate(self) -> Bitrate {
        match self {
            Mp3Quality::Standard => Bitrate::Kbps24,
            Mp3Quality::Compact => Bitrate::Kbps16,
        }
    }
}

/// Encodes an 8 kHz mono recording as a mono CBR MP3 with a LAME "Info" tag (exact length and
/// encoder delay/padding, so decoders trim the priming samples and the duration is exact).
///
/// Made for bursts of messages: the 8 → 16 kHz step is an exact ×2 half-band interpolation
/// (telephone audio has nothing above 3.4 kHz to keep), and LAME runs at `-q 7`, whose
/// psychoacoustic refinements buy nothing audible at 24 kbit/s on 8 kHz speech.
pub fn encode_mp3(pcm_8k: &[i16], quality: Mp3Quality) -> Result<Vec<u8>, RecordingError> {
    let up;
    let pcm: &[i16] = match quality.sample_rate() {
        RECORDING_RATE => pcm_8k,
        _ => {
            up = upsample_x2(pcm_8k);
            &up
        }
    };
    lame_encode(pcm, quality, Quality::Ok)
}

/// The encoder as it was before [`encode_mp3`] was made cheap (FFT resampler, LAME `-q 5`):
/// the reference of the benchmark, measured in the same run.
#[doc(hidden)]
pub fn encode_mp3_reference(
    pcm_8k: &[i16],
    quality: Mp3Quality,
) -> Result<Vec<u8>, RecordingError> {
    let rate = quality.sample_rate();
    let resampled;
    let pcm: &[i16] = if rate == RECORDING_RATE {
        pcm_8k
    } else {
        let f: Vec<f32> = pcm_8k.iter().map(|&s| f32::from(s) / 32768.0).collect();
        let up = resample(&f, RECORDING_RATE, rate).map_err(RecordingError::Mp3)?;
        resampled = f32_to_i16(&up);
        &resampled
    };
    lame_encode(pcm, quality, Quality::Good)
}

/// Half the taps of each side of the interpolating filter of [`upsample_x2`].
const X2_HALF_TAPS: usize = 16;

/// The odd-phase coefficients of a Blackman-windowed half-band sinc: `h[k]` weighs the input
/// samples `k` before and `k + 1` after the new sample, which sits halfway between them.
fn x2_taps() -> [f32; X2_HALF_TAPS] {
    let mut h = [0f32; X2_HALF_TAPS];
    let n = X2_HALF_TAPS as f64;
    for (k, tap) in h.iter_mut().enumerate() {
        let t = k as f64 + 0.5;
        let sinc = (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t);
        // Blackman window over [-n, n], evaluated at t.
        let x = (t + n) / (2.0 * n);
        let w = 0.42 - 0.5 * (2.0 * std::f64::consts::PI * x).cos()
            + 0.08 * (4.0 * std::f64::consts::PI * x).cos();
        *tap = (sinc * w) as f32;
    }
    // Unity gain at DC: the odd samples' weights sum to one.
    let sum: f32 = h.iter().sum::<f32>() * 2.0;
    h.iter_mut().for_each(|c| *c /= sum);
    h
}

/// 8 → 16 kHz: every input sample is kept, and one is interpolated between each pair, so the
/// output has exactly twice the samples, no delay, and the same audio below 3.4 kHz.
pub fn upsample_x2(pcm: &[i16]) -> Vec<i16> {
    let h = x2_taps();
    let n = pcm.len();
    let at = |i: isize| -> f32 {
        if i < 0 || i as usize >= n {
            0.0
        } else {
            f32::from(pcm[i as usize])
        }
    };
    let mut out = Vec::with_capacity(2 * n);
    for i in 0..n {
        out.push(pcm[i]);
        let mut acc = 0f32;
        if i >= X2_HALF_TAPS && i + X2_HALF_TAPS < n {
            for (k, c) in h.iter().enumerate() {
                acc += c * (f32::from(pcm[i - k]) + f32::from(pcm[i + 1 + k]));
            }
        } else {
            for (k, c) in h.iter().enumerate() {
                let k = k as isize;
                acc += c * (at(i as isize - k) + at(i as isize + 1 + k));
            }
        }
        out.push(acc.round().clamp(-32768.0, 32767.0) as i16);
    }
    out
}

/// LAME, fed at the MP3's own rate, mono CBR at `quality`'s bitrate, with our Info tag.
fn lame_encode(
    pcm: &[i16],
    quality: Mp3Quality,
    lame_quality: Quality,
) -> Result<Vec<u8>, RecordingError> {
    let rate = quality.sample_rate();
    let err = |what: &str, e: &dyn std::fmt::Display| RecordingError::Mp3(format!("{what}: {e}"));
    let mut builder =
        Builder::new().ok_or_else(|| RecordingError::Mp3("LAME init failed".into()))?;
    builder
        .set_num_channels(1)
        .map_err(|e| err("channels", &e))?;
    builder
        .set_sample_rate(rate)
        .map_err(|e| err("sample rate", &e))?;
    builder
        .set_output_sample_rate(NonZeroU32::new(rate))
        .map_err(|e| err("output sample rate", &e))?;
    builder
        .set_brate(quality.bitrate())
        .map_err(|e| err("bitrate", &e))?;
    builder.set_mode(Mode::Mono).map_err(|e| err("mode", &e))?;
    builder
        .set_quality(lame_quality)
        .map_err(|e| err("quality", &e))?;
    // LAME only writes its tag into a frame of the stream's own bitrate, and at 16–24 kbps that
    // frame is too small to hold it, so LAME silently drops it. We write the tag ourselves.
    builder
        .set_to_write_vbr_tag(false)
        .map_err(|e| err("LAME tag", &e))?;
    let mut encoder = builder.build().map_err(|e| err("init", &e))?;

    const BLOCK: usize = 8192;
    // CBR: the output size is known to within a frame; blocks reserve LAME's worst case anyway.
    let estimate = pcm.len() * quality.bitrate_kbps() as usize * 125 / rate as usize;
    let mut audio: Vec<u8> = Vec::with_capacity(estimate + 8192);
    for block in pcm.chunks(BLOCK) {
        audio.reserve(mp3lame_encoder::max_required_buffer_size(block.len()));
        encoder
            .encode_to_vec(MonoPcm(block), &mut audio)
            .map_err(|e| err("encode", &e))?;
    }
    audio.reserve(7200);
    encoder
        .flush_to_vec::<FlushGap>(&mut audio)
        .map_err(|e| err("flush", &e))?;

    let tag = lame_info_frame(
        &audio,
        pcm.len() as u64,
        quality.bitrate_kbps(),
        lame_quality as u32,
    )
    .ok_or_else(|| RecordingError::Mp3("encoder output is not a plain MP3 stream".into()))?;
    let mut out = Vec::with_capacity(tag.len() + audio.len());
    out.extend_from_slice(&tag);
    out.extend_from_slice(&audio);
    Ok(out)
}

/// LAME's encoder delay (samples) at the MP3's own rate: ENCDELAY in LAME 3.100, fixed when LAME
/// does no resampling of its own (we always feed it at the output rate).
const LAME_ENCODER_DELAY: u64 = 576;
/// MPEG-2/2.5 Layer III bitrates (kbit/s) by header index.
const MPEG2_L3_KBPS: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

/// CRC-16 as used by the LAME tag (polynomial 0x8005, reflected, initial value 0).
fn crc16_lame(data: &[u8], mut crc: u16) -> u16 {
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// Builds the Xing "Info" frame with the LAME extension for a mono MPEG-2/2.5 Layer III CBR
/// stream `audio` produced by LAME from `samples` input samples: total frames and bytes, a linear
/// seek table, encoder delay/padding (for gapless, exact-length decoding) and both CRCs, laid out
/// exactly as LAME 3.100's `lame_get_lametag_frame` does. `None` if `audio` does not parse as
/// back-to-back frames of that kind.
fn lame_info_frame(
    audio: &[u8],
    samples: u64,
    bitrate_kbps: u32,
    lame_quality: u32,
) -> Option<Vec<u8>> {
    let first: [u8; 4] = audio.get(..4)?.try_into().ok()?;
    let version_bits = (first[1] >> 3) & 0x3; // 0b10 MPEG-2, 0b00 MPEG-2.5
    let layer_bits = (first[1] >> 1) & 0x3; // 0b01 Layer III
    let no_crc = first[1] & 1 == 1;
    let sr_index = (first[2] >> 2) & 0x3;
    let mono = first[3] >> 6 == 0b11;
    if first[0] != 0xFF || first[1] & 0xE0 != 0xE0 || layer_bits != 0b01 || !no_crc || !mono {
        return None;
    }
    let sample_rate = match (version_bits, sr_index) {
        (0b10, 0) => 22_050,
        (0b10, 1) => 24_000,
        (0b10, 2) => 16_000,
        (0b00, 0) => 11_025,
        (0b00, 1) => 12_000,
        (0b00, 2) => 8_000,
        _ => return None,
    };
    // Walk the frames: count them and check they tile the stream.
    let mut pos = 0usize;
    let mut frames = 0u32;
    while pos < audio.len() {
        let h = audio.get(pos..pos + 4)?;
        if h[0] != 0xFF || h[1] != first[1] || (h[2] >> 2) & 0x3 != sr_index {
            return None;
        }
        let kbps = *MPEG2_L3_KBPS.get(usize::from(h[2] >> 4))?;
        if kbps == 0 {
            return None;
        }
        let padding = usize::from((h[2] >> 1) & 1);
        pos += (72_000 * kbps / sample_rate) as usize + padding;
        frames += 1;
    }
    if pos != audio.len() {
        return None;
    }
    const SAMPLES_PER_FRAME: u64 = 576;
    let enc_padding = (u64::from(frames) * SAMPLES_PER_FRAME)
        .checked_sub(LAME_ENCODER_DELAY + samples)?
        .min(0xFFF);

    // The tag frame: 64 kbps at 16 kHz and above, 32 kbps below (both 288 bytes), as LAME does.
    let tag_kbps: u32 = if sample_rate >= 16_000 { 64 } else { 32 };
    let tag_index = MPEG2_L3_KBPS.iter().position(|&k| k == tag_kbps)? as u8;
    let frame_len = (72_000 * tag_kbps / sample_rate) as usize;
    let mut f = vec![0u8; frame_len];
    f[0] = 0xFF;
    f[1] = first[1];
    f[2] = (tag_index << 4) | (sr_index << 2) | (first[2] & 0x01);
    f[3] = first[3];
    let mut i = 4 + 9; // header + mono MPEG-2 side information (all zero)
    let mut put = |f: &mut Vec<u8>, bytes: &[u8]| {
        f[i..i + bytes.len()].copy_from_slice(bytes);
        i += bytes.len();
    };
    let total_bytes = (frame_len + audio.len()) as u32;
    put(&mut f, b"Info");
    put(&mut f, &0x0Fu32.to_be_bytes()); // frames + bytes + TOC + quality present
    put(&mut f, &frames.to_be_bytes());
    put(&mut f, &total_bytes.to_be_bytes());
    let toc: Vec<u8> = (0..100u32).map(|k| (k * 256 / 100) as u8).collect();
    put(&mut f, &toc);
    // 100 - 10 * VBR_q(4) - quality
    put(&mut f, &(100 - 40 - lame_quality.min(9)).to_be_bytes());
    put(&mut f, b"LAME3.100");
    put(&mut f, &[0x01]); // revision 0, method CBR
    put(&mut f, &[0]); // lowpass unknown
    put(&mut f, &0u32.to_be_bytes()); // peak amplitude: not computed
    put(&mut f, &0u16.to_be_bytes()); // radio replay gain
    put(&mut f, &0u16.to_be_bytes()); // audiophile replay gain
    put(&mut f, &[0x14]); // ATH type 4, NsPsytune
    put(&mut f, &[bitrate_kbps.min(255) as u8]);
    let d = LAME_ENCODER_DELAY as u32;
    let p = enc_padding as u32;
    put(
        &mut f,
        &[(d >> 4) as u8, (((d & 0xF) << 4) | (p >> 8)) as u8, p as u8],
    );
    put(&mut f, &[0x21]); // noise shaping 1, mono, non-optimal (source ≤ 32 kHz)
    put(&mut f, &[0]); // MP3 gain
    put(&mut f, &0u16.to_be_bytes()); // surround / preset
    put(&mut f, &total_bytes.to_be_bytes()); // music length
    put(&mut f, &crc16_lame(audio, 0).to_be_bytes()); // music CRC
    let end = i;
    let tag_crc = crc16_lame(&f[..end], 0);
    f[end..end + 2].copy_from_slice(&tag_crc.to_be_bytes());
    Some(f)
}

/// Where trailing silence starts, if there is at least `min_silence_ms` of it.
///
/// The signal is examined in 20 ms windows from the end; a window is silent when its RMS is
/// below `threshold_dbfs` (see [`crate::tones::rms_dbfs`]). Returns the sample index just after
/// the last loud window (0 if everything is silent), or `None` when the silent tail is shorter
/// than `min_silence_ms`.
pub fn trailing_silence_start(
    samples: &[i16],
    threshold_dbfs: f32,
    min_silence_ms: u32,
) -> Option<usize> {
    const WINDOW: usize = (RECORDING_RATE as usize) / 50;
    let mut end = samples.len();
    // A partial window at the end is judged on its own.
    let first = samples.len() % WINDOW;
    let mut cut = end;
    if first > 0 {
        let tail = &samples[end - first..];
        if rms_dbfs(tail) >= threshold_dbfs {
            return None;
        }
        end -= first;
        cut = end;
    }
    while end >= WINDOW {
        let w = &samples[end - WINDOW..end];
        if rms_dbfs(w) >= threshold_dbfs {
            break;
        }
        end -= WINDOW;
        cut = end;
    }
    let silent = samples.len() - cut;
    let min = (min_silence_ms as usize) * (RECORDING_RATE as usize) / 1000;
    (silent > 0 && silent >= min).then_some(cut)
}

/// Returns `samples` without its trailing silence (see [`trailing_silence_start`]); unchanged
/// when the silent tail is shorter than `min_silence_ms`. Used to drop the dead air between a
/// caller's last word and the hang-up or silence timeout.
pub fn trim_trailing_silence(samples: &[i16], threshold_dbfs: f32, min_silence_ms: u32) -> &[i16] {
    match trailing_silence_start(samples, threshold_dbfs, min_silence_ms) {
        Some(cut) => &samples[..cut],
        None => samples,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_bytes_roundtrip() {
        let s: Vec<i16> = (0..1000).map(|i| (i * 37 % 2000 - 1000) as i16).collect();
        let b = wav_bytes(&s);
        assert_eq!(b.len(), 44 + 2000);
        assert_eq!(read_wav(&b).unwrap(), s);
    }

    #[test]
    fn upsample_x2_keeps_the_samples_and_interpolates_speech_band_tones() {
        let tone = |hz: f64, rate: f64, n: usize| -> Vec<i16> {
            (0..n)
                .map(|i| {
                    (10_000.0 * (2.0 * std::f64::consts::PI * hz * i as f64 / rate).sin()) as i16
                })
                .collect()
        };
        for hz in [300.0, 1000.0, 3400.0] {
            let x = tone(hz, 8000.0, 8000);
            let y = upsample_x2(&x);
            assert_eq!(y.len(), 16_000, "exactly twice the samples");
            assert!(y.iter().step_by(2).eq(x.iter()), "input samples kept");
            let want = tone(hz, 16_000.0, 16_000);
            // Away from the edges (the filter's reach), the new samples are the tone's.
            let worst = (100..15_900)
                .map(|i| (i32::from(y[i]) - i32::from(want[i])).abs())
                .max()
                .unwrap();
            assert!(worst <= 150, "{hz} Hz: off by up to {worst} of 10 000");
        }
        assert!(upsample_x2(&[]).is_empty());
        assert_eq!(upsample_x2(&[1000]).len(), 2);
    }

    #[test]
    fn lame_crc_is_crc16_arc() {
        // Standard check value for CRC-16/ARC (poly 0x8005 reflected, init 0).
        assert_eq!(crc16_lame(b"123456789", 0), 0xBB3D);
    }

    #[test]
    fn info_frame_refuses_non_mp3() {
        assert!(lame_info_frame(b"not an mp3 stream", 10, 24, 7).is_none());
        assert!(lame_info_frame(&[], 0, 24, 7).is_none());
    }

    #[test]
    fn trim_keeps_loud_audio() {
        let mut s = vec![8000i16; 800];
        s.extend(vec![0i16; 8000]);
        assert_eq!(trim_trailing_silence(&s, -50.0, 500).len(), 800);
        assert_eq!(trim_trailing_silence(&s, -50.0, 2000).len(), s.len());
        assert!(trim_trailing_silence(&[0; 8000], -50.0, 100).is_empty());
        assert_eq!(trim_trailing_silence(&[], -50.0, 100).len(), 0);
    }
}
