//! Third-party SIP peers for the end-to-end tests, and the data they play: baresip (Debian
//! `baresip-core`) as a headless caller playing a WAV, SIPp (Debian `sip-tester`) running a
//! scenario from `tests/peers/`, speech-like and CNG audio generated in code, pcap files
//! written in code, and the envelope cross-correlation used to recognise played audio.
//!
//! Missing binaries skip the test with a message, unless `FAXVOX_REQUIRE_PEERS` is set (CI sets
//! it), in which case they fail it. Recipes and gotchas: ../shared/notes/peers.md.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::gateway::free_port;

/// Returns the binary's path, or `None` (after saying so) when it is missing and peers are
/// optional. Panics when it is missing and `FAXVOX_REQUIRE_PEERS` is set.
pub fn require(binary: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(binary))
            .find(|p| p.is_file())
    });
    match found {
        Some(p) => Some(p),
        None if std::env::var_os("FAXVOX_REQUIRE_PEERS").is_some() => panic!(
            "{binary} not found and FAXVOX_REQUIRE_PEERS is set: apt-get install {package} \
             (scripts/setup-debian --test)"
        ),
        None => {
            eprintln!(
                "SKIPPED: {binary} not installed (apt-get install {package}); set \
                 FAXVOX_REQUIRE_PEERS=1 to make this a failure"
            );
            None
        }
    }
}

/// Root of the repository (for `tests/peers/*.xml` and `../shared`).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file of the shared test data (`../shared/testdata/REL`) when it exists. Setting
/// `E2E_NO_SHARED_TESTDATA` pretends it does not, to exercise the generated fallbacks.
pub fn shared_testdata(rel: &str) -> Option<PathBuf> {
    if std::env::var_os("E2E_NO_SHARED_TESTDATA").is_some() {
        return None;
    }
    let p = repo().join("../shared/testdata").join(rel);
    p.is_file().then_some(p)
}

// ------------------------------------------------------------------------------------------
// Audio

/// Deterministic xorshift, so generated audio is the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// A two-pole resonator (one formant), unity gain at its centre frequency.
struct Resonator {
    a1: f32,
    a2: f32,
    gain: f32,
    y1: f32,
    y2: f32,
}

impl Resonator {
    fn new(freq: f32, bandwidth: f32) -> Resonator {
        let r = (-std::f32::consts::PI * bandwidth / 8000.0).exp();
        let theta = 2.0 * std::f32::consts::PI * freq / 8000.0;
        Resonator {
            a1: 2.0 * r * theta.cos(),
            a2: -r * r,
            gain: 1.0 - r,
            y1: 0.0,
            y2: 0.0,
        }
    }
    fn step(&mut self, x: f32) -> f32 {
        let y = self.gain * x + self.a1 * self.y1 + self.a2 * self.y2;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }
}

/// Speech-like audio, 8 kHz mono: "words" of 1–4 voiced "syllables" (a glottal pulse train at
/// a gliding 95–170 Hz pitch through three formant resonators, with a smooth loudness
/// envelope) separated by short and long pauses. Its loudness envelope is as irregular as
/// speech, which is what the envelope correlation needs; `secs` is the total length.
pub fn speech_like(seed: u64, secs: f32) -> Vec<i16> {
    let total = (secs * 8000.0) as usize;
    let mut rng = Rng::new(seed);
    let mut out: Vec<f32> = Vec::with_capacity(total);
    const VOWELS: [(f32, f32, f32); 6] = [
        (730.0, 1090.0, 2440.0),
        (270.0, 2290.0, 3010.0),
        (530.0, 1840.0, 2480.0),
        (570.0, 840.0, 2410.0),
        (300.0, 870.0, 2240.0),
        (640.0, 1190.0, 2390.0),
    ];
    while out.len() < total {
        let syllables = 1 + (rng.next_u64() % 4) as usize;
        for s in 0..syllables {
            let len = (rng.range(0.12, 0.30) * 8000.0) as usize;
            let (f1, f2, f3) = VOWELS[(rng.next_u64() % VOWELS.len() as u64) as usize];
            let mut res = [
                Resonator::new(f1 * rng.range(0.9, 1.1), 90.0),
                Resonator::new(f2 * rng.range(0.9, 1.1), 120.0),
                Resonator::new(f3, 180.0),
            ];
            let pitch0 = rng.range(95.0, 170.0);
            let pitch1 = pitch0 * rng.range(0.8, 1.2);
            let loud = rng.range(0.4, 1.0);
            let mut phase = 0.0f32;
            for n in 0..len {
                let t = n as f32 / len as f32;
                let pitch = pitch0 + (pitch1 - pitch0) * t;
                phase += pitch / 8000.0;
                let pulse = if phase >= 1.0 {
                    phase -= 1.0;
                    1.0
                } else {
                    0.0
                };
                let x = pulse + 0.02 * (rng.unit() - 0.5);
                let y = res[0].step(x) * 1.0 + res[1].step(x) * 0.6 + res[2].step(x) * 0.3;
                // Raised-sine loudness envelope over the syllable.
                let env = (std::f32::consts::PI * t).sin().powf(0.7) * loud;
                out.push(y * env);
            }
            let gap = if s + 1 < syllables {
                rng.range(0.03, 0.10)
            } else {
                rng.range(0.18, 0.45)
            };
            out.extend(std::iter::repeat_n(0.0, (gap * 8000.0) as usize));
        }
    }
    out.truncate(total);
    let peak = out.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-9);
    // Peak at about -6 dBFS.
    out.iter()
        .map(|v| (v / peak * 16000.0).round() as i16)
        .collect()
}

/// `ms` of digital silence.
pub fn silence(ms: u32) -> Vec<i16> {
    vec![0; (ms * 8) as usize]
}

/// A fax caller's CNG: the shared real capture (`wireshark-vega/vega_cng_leg.wav`, first
/// `secs`) when present, else the generated T.30 cadence (1100 Hz 0.5 s on, 3 s off) after
/// 0.5 s of silence. Returns the samples and where they came from.
pub fn cng_audio(secs: f32) -> (Vec<i16>, &'static str) {
    let n = (secs * 8000.0) as usize;
    if let Some(p) = shared_testdata("wireshark-vega/vega_cng_leg.wav") {
        let bytes = std::fs::read(&p).unwrap();
        let limits = faxvox_codecs::greeting::GreetingLimits {
            max_bytes: 64 << 20,
            max_duration_ms: 600_000,
        };
        let mut s = faxvox_codecs::greeting::decode_greeting_with(&bytes, &limits)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        s.truncate(n);
        return (s, "../shared/testdata/wireshark-vega/vega_cng_leg.wav");
    }
    use faxvox_codecs::tones::{Cadence, ToneGenerator};
    let mut s = silence(500);
    let mut tone = vec![0i16; n.saturating_sub(s.len())];
    ToneGenerator::new(Cadence::cng()).fill(&mut tone);
    s.extend(tone);
    (s, "generated CNG cadence")
}

/// 16-bit mono 8 kHz WAV bytes.
pub fn wav(samples: &[i16]) -> Vec<u8> {
    faxvox_codecs::recording::wav_bytes(samples)
}

/// Decodes any audio the greeting decoder takes (MP3, WAV, …) to 8 kHz mono, without the
/// greeting length limit.
pub fn decode_audio(bytes: &[u8]) -> Vec<i16> {
    let limits = faxvox_codecs::greeting::GreetingLimits {
        max_bytes: 64 << 20,
        max_duration_ms: 3_600_000,
    };
    faxvox_codecs::greeting::decode_greeting_with(bytes, &limits).expect("decode audio")
}

/// RMS per 20 ms frame.
pub fn envelope(samples: &[i16]) -> Vec<f32> {
    samples
        .chunks(160)
        .map(|c| {
            let e: f64 = c.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
            (e / c.len() as f64).sqrt() as f32
        })
        .collect()
}

/// Normalised cross-correlation of two envelopes over their overlap.
fn ncc(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    if n < 10 {
        return 0.0;
    }
    let (a, b) = (&a[..n], &b[..n]);
    let ma = a.iter().sum::<f32>() / n as f32;
    let mb = b.iter().sum::<f32>() / n as f32;
    let (mut num, mut da, mut db) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x - ma), f64::from(y - mb));
        num += x * y;
        da += x * x;
        db += y * y;
    }
    if da == 0.0 || db == 0.0 {
        0.0
    } else {
        (num / (da * db).sqrt()) as f32
    }
}

/// Where `recorded` best matches a stretch of `played`: recorded ≈ played from `lag_ms` on.
/// Lags from 0 to `max_lag_ms` (the recording started while the caller was already playing,
/// over the greeting), and down to −[`MAX_LEAD_MS`] (a caller that waited for the beep: the
/// recording starts with the silence of its reaction before the played audio); returns (lag
/// in ms, normalised correlation of 20 ms envelopes).
pub fn find_in(played: &[i16], recorded: &[i16], max_lag_ms: u32) -> (i32, f32) {
    let p = envelope(played);
    let r = envelope(recorded);
    let mut best = (0i32, f32::MIN);
    for lag in 0..=(max_lag_ms / 20) as usize {
        if lag >= p.len() {
            break;
        }
        let c = ncc(&p[lag..], &r);
        if c > best.1 {
            best = (lag as i32 * 20, c);
        }
    }
    for lead in 1..=(MAX_LEAD_MS / 20) as usize {
        if lead >= r.len() {
            break;
        }
        let c = ncc(&p, &r[lead..]);
        if c > best.1 {
            best = (-(lead as i32) * 20, c);
        }
    }
    best
}

/// How much silence a recording may hold before the played audio for [`find_in`]: a caller
/// that waits for the beep hears it through the network and a playout delay, then speaks.
pub const MAX_LEAD_MS: u32 = 1000;

// ------------------------------------------------------------------------------------------
// pcap

/// Writes a classic pcap (Ethernet link type) of UDP datagrams 127.0.0.1:src → 127.0.0.1:dst,
/// one every `interval_ms`. SIPp's play_pcap_* only takes the payloads and timing from it.
pub fn write_udp_pcap(path: &Path, payloads: &[Vec<u8>], interval_ms: u32) {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&0i32.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes()); // DLT_EN10MB
    for (i, payload) in payloads.iter().enumerate() {
        let mut pkt = Vec::new();
        pkt.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00]);
        let ip_len = 20 + 8 + payload.len();
        let mut ip = vec![
            0x45,
            0,
            (ip_len >> 8) as u8,
            ip_len as u8,
            0,
            0,
            0x40,
            0,
            64,
            17,
            0,
            0,
            127,
            0,
            0,
            1,
            127,
            0,
            0,
            1,
        ];
        let sum = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum::<u32>();
        let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        pkt.extend_from_slice(&ip);
        let udp_len = (8 + payload.len()) as u16;
        pkt.extend_from_slice(&4000u16.to_be_bytes());
        pkt.extend_from_slice(&4002u16.to_be_bytes());
        pkt.extend_from_slice(&udp_len.to_be_bytes());
        pkt.extend_from_slice(&0u16.to_be_bytes());
        pkt.extend_from_slice(payload);
        let t_us = u64::from(interval_ms) * 1000 * i as u64;
        f.extend_from_slice(&((1_700_000_000 + t_us / 1_000_000) as u32).to_le_bytes());
        f.extend_from_slice(&((t_us % 1_000_000) as u32).to_le_bytes());
        f.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
        f.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
        f.extend_from_slice(&pkt);
    }
    std::fs::write(path, f).unwrap();
}

/// Writes `samples` as a pcap of PCMA RTP (PT 8, 20 ms packets) for SIPp's
/// play_pcap_audio, so a test knows exactly what SIPp played.
pub fn write_pcma_rtp_pcap(path: &Path, samples: &[i16]) {
    let ssrc: u32 = 0x5ee1_f00d;
    let payloads: Vec<Vec<u8>> = samples
        .chunks(160)
        .enumerate()
        .map(|(i, chunk)| {
            let mut p = vec![0x80, if i == 0 { 0x80 | 8 } else { 8 }];
            p.extend_from_slice(&(i as u16).to_be_bytes());
            p.extend_from_slice(&((i as u32) * 160).to_be_bytes());
            p.extend_from_slice(&ssrc.to_be_bytes());
            let mut frame = chunk.to_vec();
            frame.resize(160, 0);
            faxvox_codecs::g711::encode_alaw(&frame, &mut p);
            p
        })
        .collect();
    write_udp_pcap(path, &payloads, 20);
}

/// Malformed UDPTL for robustness: Asterisk's AST-2016-003 crash capture when
/// ../shared/testdata is present, else [`garbage_udptl_pcap`]. Returns (pcap path, replay
/// length, origin).
pub fn malformed_udptl_pcap(dir: &Path, count: usize) -> (PathBuf, Duration, &'static str) {
    if let Some(p) = shared_testdata("asterisk/ast-2016-003-crash.pcap") {
        return (
            p,
            Duration::from_millis(13_100),
            "../shared/testdata/asterisk/ast-2016-003-crash.pcap",
        );
    }
    let (path, replay) = garbage_udptl_pcap(dir, count);
    (path, replay, "generated garbage UDPTL")
}

/// `count` generated malformed UDPTL datagrams (random bytes; UDPTL-shaped headers with
/// absurd lengths; empty and oversize ones) at 20 ms intervals: (pcap path, replay length).
pub fn garbage_udptl_pcap(dir: &Path, count: usize) -> (PathBuf, Duration) {
    let mut rng = Rng::new(0x7e38);
    let payloads: Vec<Vec<u8>> = (0..count)
        .map(|i| match i % 5 {
            // Sequence number + primary IFP with a length running past the datagram.
            0 => {
                let mut v = vec![(i >> 8) as u8, i as u8, 0x80, 0xff];
                v.extend(rng.bytes(3));
                v
            }
            // Redundancy with a huge entry count.
            1 => {
                let mut v = vec![(i >> 8) as u8, i as u8, 0x02, 0x00, 0x06, 0xff, 0xff];
                v.extend(rng.bytes(20));
                v
            }
            2 => Vec::new(),
            3 => {
                let n = 1 + (rng.next_u64() % 1400) as usize;
                rng.bytes(n)
            }
            _ => {
                let n = 1 + (rng.next_u64() % 8) as usize;
                rng.bytes(n)
            }
        })
        .collect();
    let path = dir.join("garbage_udptl.pcap");
    write_udp_pcap(&path, &payloads, 20);
    (path, Duration::from_millis(20 * count as u64 + 500))
}

// ------------------------------------------------------------------------------------------
// baresip

/// Result of one baresip run.
pub struct BaresipRun {
    pub output: Output,
    /// stdout + stderr with the status line's `\r` turned into newlines and the per-character
    /// command echo dropped (peers.md gotcha 5).
    pub log: String,
}

impl BaresipRun {
    /// baresip logs "Call established" once it got the 200 and sent the ACK.
    pub fn established(&self) -> bool {
        self.log.contains("Call established")
    }
}

/// baresip as a headless caller: dials `uri`, plays `wav` (8 kHz mono S16LE) into the call
/// with the `aufile` source; the call ends when the file ends (aufile EOF → menu hangs up) or
/// at `max_secs` after start (`-t`, BYE first). Generated config in a temp folder (it must be
/// writable: baresip writes `uuid` there); loopback only (`net_interface 127.0.0.1`, not
/// `lo`; `dns_server 127.0.0.1:53`).
pub fn baresip_call(
    baresip: &Path,
    uri: &str,
    wav: &Path,
    codecs: &str,
    max_secs: u32,
) -> BaresipRun {
    let dir = tempfile::tempdir().unwrap();
    let sip_port = free_port();
    // Media ports well away from the gateway's ranges (which stay below 32000).
    let rtp_lo = 33000 + (sip_port % 300) * 20;
    let config = format!(
        "poll_method\t\tepoll\n\
         sip_listen\t\t127.0.0.1:{sip_port}\n\
         net_interface\t\t127.0.0.1\n\
         dns_server\t\t127.0.0.1:53\n\
         call_local_timeout\t120\n\
         call_max_calls\t\t4\n\
         audio_buffer\t\t20\n\
         audio_path\t\t/usr/share/baresip\n\
         audio_source\t\taufile,{wav}\n\
         ausrc_srate\t\t8000\n\
         ausrc_channels\t\t1\n\
         ausrc_format\t\ts16\n\
         auplay_format\t\ts16\n\
         auenc_format\t\ts16\n\
         audec_format\t\ts16\n\
         rtp_ports\t\t{rtp_lo}-{rtp_hi}\n\
         rtcp_mux\t\tno\n\
         jitter_buffer_delay\t5-10\n\
         rtp_stats\t\tyes\n\
         module_path\t\t/usr/lib/baresip/modules\n\
         module\t\t\tg711.so\n\
         module\t\t\taufile.so\n\
         module_tmp\t\tuuid.so\n\
         module_tmp\t\taccount.so\n\
         module_app\t\tmenu.so\n",
        wav = wav.display(),
        rtp_hi = rtp_lo + 19,
    );
    std::fs::write(dir.path().join("config"), config).unwrap();
    std::fs::write(
        dir.path().join("accounts"),
        format!("<sip:+15550003333@127.0.0.1>;regint=0;audio_codecs={codecs};answermode=manual\n"),
    )
    .unwrap();
    let output = Command::new(baresip)
        .arg("-f")
        .arg(dir.path())
        .arg("-e")
        .arg(format!("/dial {uri}"))
        .arg("-t")
        .arg(max_secs.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("run baresip");
    let raw = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let log = raw
        .replace('\r', "\n")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('/') && !l.contains("audio="))
        .collect::<Vec<_>>()
        .join("\n");
    BaresipRun { output, log }
}

// ------------------------------------------------------------------------------------------
// SIPp

/// Result of one SIPp run.
pub struct SippRun {
    pub output: Output,
    pub elapsed: Duration,
    /// Contents of `-trace_err`'s file (unexpected messages etc.), when any.
    pub errors: String,
}

impl SippRun {
    pub fn success(&self) -> bool {
        self.output.status.success()
    }
    pub fn describe(&self) -> String {
        format!(
            "sipp exit {} after {:.1} s\n--- stdout (tail)\n{}\n--- stderr\n{}\n--- errors\n{}",
            self.output.status,
            self.elapsed.as_secs_f32(),
            tail(&String::from_utf8_lossy(&self.output.stdout), 40),
            String::from_utf8_lossy(&self.output.stderr),
            self.errors
        )
    }
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Runs one call of `tests/peers/SCENARIO` with SIPp against `target` (127.0.0.1:port) for
/// `service` (the dialled number), every `(placeholder, value)` substituted into the scenario
/// first (SIPp does not expand keywords inside `<exec>`). `pause` is `-d` (the scenario's
/// `<pause/>`). Foreground with `-nostdin` (with `-bg` the exit code is always 99).
pub fn sipp_call(
    sipp: &Path,
    scenario: &str,
    subst: &[(&str, String)],
    target: std::net::SocketAddr,
    service: &str,
    pause: Duration,
) -> SippRun {
    let dir = tempfile::tempdir().unwrap();
    let mut xml = std::fs::read_to_string(repo().join("tests/peers").join(scenario))
        .unwrap_or_else(|e| panic!("tests/peers/{scenario}: {e}"));
    for (k, v) in subst {
        xml = xml.replace(k, v);
    }
    assert!(
        !xml.contains("@PCAP@"),
        "{scenario}: @PCAP@ not substituted"
    );
    let sf = dir.path().join(scenario);
    std::fs::File::create(&sf)
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let sip_port = free_port();
    let media_port = 33000 + 6000 + (sip_port % 300) * 10;
    let err_file = dir.path().join("errors.log");
    let start = Instant::now();
    let output = Command::new(sipp)
        .arg(target.to_string())
        .arg("-sf")
        .arg(&sf)
        .args(["-s", service, "-i", "127.0.0.1", "-p"])
        .arg(sip_port.to_string())
        .args(["-mi", "127.0.0.1", "-mp"])
        .arg(media_port.to_string())
        .args(["-m", "1", "-d"])
        .arg(pause.as_millis().to_string())
        .args(["-nostdin", "-timeout", "45s", "-trace_err", "-error_file"])
        .arg(&err_file)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("run sipp");
    SippRun {
        output,
        elapsed: start.elapsed(),
        errors: std::fs::read_to_string(&err_file).unwrap_or_default(),
    }
}
