//! Gateway load: how many simultaneous G.711 fax receptions and voicemail recordings a real
//! `faxvox serve` completes correctly on this machine, and what each channel costs in CPU
//! against the bare spandsp receive loop.
//!
//! One run, no criterion: `cargo bench --bench gateway_load` (release; Cargo builds the
//! `faxvox` binary and hands its path over as `CARGO_BIN_EXE_faxvox`).
//!
//! - A gateway is installed in a temporary folder under Cargo's target tmp dir (real disk):
//!   SQLite, spool, Maildir delivery (no SMTP), one fax line and one voicemail line, a wide
//!   `sip.rtp_ports` range, a high `sip.max_calls` and no per-line or per-account limit.
//!   `faxvox serve` and the callers run with the soft open-file limit raised to the hard one
//!   (`ulimit -n` in a `sh` wrapper).
//! - Fax ladder (`FAXVOX_BENCH_FAX_STEPS`, default `10,50,100,200,400,700,1000`): each step is
//!   one `faxvox call fax --no-t38 --calls N --concurrency N` of a generated one-page,
//!   mostly white standard-resolution page. Voicemail ladder (`FAXVOX_BENCH_VOICE_STEPS`,
//!   default `50,200,500,1000,2000`): `faxvox call voice --wav <10 s speech-like> --dtmf '#'`.
//!   A ladder stops at its first step that is not fully correct.
//! - Per step: calls ok/failed (caller JSON), the gateway's CPU seconds while the calls ran and
//!   while it then delivered (`/proc/<pid>/stat`), the caller's CPU (`times` in the wrapper),
//!   machine CPU busy %, peak gateway fds/threads/RSS, CPU per channel-second, and the
//!   correctness check: one Maildir message per successful call, every fax a one-page PDF,
//!   every voicemail an audio attachment.
//! - Baselines measured in the same run on the same page: a bare spandsp receiver fed the
//!   recorded audio of a bare sender (receive side only, no RTP, no session layer), the bare
//!   two-ended loop, and `faxvox fax-sim --transport g711`; the table gives the gateway's CPU
//!   per fax channel-second divided by the bare receiver's CPU per fax-second.
//! - Total time is capped by `FAXVOX_BENCH_MAX_SECS` (default 900): a step is skipped when its
//!   estimated duration no longer fits. Results: a table on stdout and
//!   `target/gateway_load.json`.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use faxvox::fax::spandsp::{AudioFax, Document, Modems, T30Event, T30Setup};
use faxvox_codecs::tiff::write_g4_tiff;
use faxvox_codecs::{Bitmap, Page, Resolution};
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::{json, Value};

#[path = "../tests/it/support/mod.rs"]
mod support;
use support::gateway::Gateway;

const FAX_NUMBER: &str = "+33100000001";
const VOICE_NUMBER: &str = "+33100000002";
const DEFAULT_FAX_STEPS: &str = "10,50,100,200,400,700,1000";
const DEFAULT_VOICE_STEPS: &str = "50,200,500,1000,2000";
const DEFAULT_MAX_SECS: u64 = 900;
/// `faxvox call --timeout-secs`: a call hung this long counts as failed.
const CALL_TIMEOUT_SECS: u64 = 240;
/// Gateway media ports: 16000 even ports → 4000 calls (each takes an RTP and a UDPTL port).
const RTP_PORTS: &str = "16000-31999";
const MAX_CALLS: u32 = 5000;
/// Seconds of speech-like audio played into the voicemail line.
const VOICE_SECS: u32 = 10;

// ---------------------------------------------------------------------------------------------
// Generated media
// ---------------------------------------------------------------------------------------------

/// xorshift64: deterministic pseudo-random numbers for the page and the audio.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % u64::from(n.max(1))) as u32
    }

    fn unit(&mut self) -> f64 {
        f64::from(self.below(1_000_000)) / 1_000_000.0
    }
}

/// A standard-resolution A4 page, mostly white: a letterhead rule and a dozen lines of
/// glyph-like blocks at the top, a signature-like block further down.
fn fax_page() -> Page {
    let mut b = Bitmap::new(1728, 1146);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    b.fill_rect(100, 40, 1528, 3);
    let mut y = 90;
    for _ in 0..12 {
        let mut x = 120;
        let end = 1300 + rng.below(300);
        while x < end {
            for _ in 0..2 + rng.below(7) {
                let w = 7 + rng.below(6);
                let h = 8 + rng.below(5);
                b.fill_rect(x, y + 12 - h, w, h);
                x += w + 3;
            }
            x += 12 + rng.below(10);
        }
        y += 24;
    }
    b.fill_rect(1100, 900, 300, 40);
    Page {
        bitmap: b,
        resolution: Resolution::STANDARD,
    }
}

/// `secs` seconds of 8 kHz mono 16-bit speech-like audio as a WAV file: voiced "syllables"
/// (a gliding pitch with harmonics shaped by two moving formants, a smooth envelope) separated
/// by short gaps and word pauses, never a steady tone and never a long silence.
fn speech_wav(secs: u32) -> Vec<u8> {
    const RATE: u32 = 8000;
    let total = (secs * RATE) as usize;
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut samples: Vec<i16> = Vec::with_capacity(total);
    let tau = std::f64::consts::TAU;
    while samples.len() < total {
        let syl = (1200 + rng.below(1600)) as usize; // 150..350 ms
        let f0_start = 100.0 + 80.0 * rng.unit();
        let f0_end = f0_start * (0.8 + 0.4 * rng.unit());
        let (f1a, f1b) = (300.0 + 500.0 * rng.unit(), 300.0 + 500.0 * rng.unit());
        let (f2a, f2b) = (900.0 + 1400.0 * rng.unit(), 900.0 + 1400.0 * rng.unit());
        let level = 5000.0 + 4000.0 * rng.unit();
        let mut phase = 0.0f64;
        for i in 0..syl {
            let t = i as f64 / syl as f64;
            let f0 = f0_start + (f0_end - f0_start) * t;
            let (f1, f2) = (f1a + (f1b - f1a) * t, f2a + (f2b - f2a) * t);
            phase += tau * f0 / f64::from(RATE);
            let mut v = 0.0;
            let mut k = 1.0;
            while k * f0 < 3400.0 {
                let f = k * f0;
                let g = (-((f - f1) / 150.0).powi(2)).exp()
                    + 0.6 * (-((f - f2) / 200.0).powi(2)).exp()
                    + 0.05;
                v += g * (k * phase).sin();
                k += 1.0;
            }
            let env = (std::f64::consts::PI * t).sin().powf(0.7);
            let noise = (rng.unit() - 0.5) * 0.05;
            samples.push(((v * 0.35 + noise) * env * level).clamp(-32000.0, 32000.0) as i16);
        }
        let gap = if rng.below(4) == 0 {
            1600 + rng.below(1600) // word pause 200..400 ms
        } else {
            160 + rng.below(640) // 20..100 ms
        } as usize;
        samples.extend(std::iter::repeat_n(0i16, gap));
    }
    samples.truncate(total);
    let data_len = (samples.len() * 2) as u32;
    let mut w = Vec::with_capacity(44 + data_len as usize);
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data_len).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes()); // PCM
    w.extend_from_slice(&1u16.to_le_bytes()); // mono
    w.extend_from_slice(&RATE.to_le_bytes());
    w.extend_from_slice(&(RATE * 2).to_le_bytes());
    w.extend_from_slice(&2u16.to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        w.extend_from_slice(&s.to_le_bytes());
    }
    w
}

// ---------------------------------------------------------------------------------------------
// Process accounting
// ---------------------------------------------------------------------------------------------

fn clk_tck() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|v| *v > 0.0)
        .unwrap_or(100.0)
}

/// utime + stime of a process in clock ticks (`None` once it is gone).
fn proc_cpu_ticks(pid: &str) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Field 3 (state) is f[0]; utime is field 14, stime field 15.
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// (busy, total) jiffies of the whole machine from /proc/stat.
fn machine_ticks() -> (u64, u64) {
    let stat = fs::read_to_string("/proc/stat").unwrap_or_default();
    let line = stat.lines().next().unwrap_or_default();
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (total.saturating_sub(idle), total)
}

fn fd_count(pid: &str) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// (threads, VmRSS in KiB) from /proc/<pid>/status.
fn threads_rss(pid: &str) -> (u64, u64) {
    let s = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("Threads:"), field("VmRSS:"))
}

/// The first child of a process (the `faxvox` a `sh` wrapper runs).
fn first_child(pid: &str) -> Option<String> {
    let c = fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
    c.split_whitespace().next().map(str::to_string)
}

/// Children user+system seconds from the output of the shell's `times` (second line).
fn parse_times(text: &str) -> Option<f64> {
    let line = text.lines().nth(1)?;
    let mut total = 0.0;
    for part in line.split_whitespace() {
        let part = part.trim_end_matches('s');
        let (m, s) = part.split_once('m')?;
        total += m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?;
    }
    Some(total)
}

/// Peak resource use of the gateway (and the caller) sampled while a step runs.
#[derive(Default, Clone, Copy)]
struct Peaks {
    gw_fds: usize,
    gw_threads: u64,
    gw_rss_kib: u64,
    caller_fds: usize,
    caller_rss_kib: u64,
}

/// Samples /proc every 200 ms until stopped.
fn sampler(gw_pid: String, caller_sh: String) -> (Arc<AtomicBool>, std::thread::JoinHandle<Peaks>) {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let handle = std::thread::spawn(move || {
        let mut p = Peaks::default();
        let mut caller: Option<String> = None;
        while !s.load(Ordering::Relaxed) {
            p.gw_fds = p.gw_fds.max(fd_count(&gw_pid));
            let (t, r) = threads_rss(&gw_pid);
            p.gw_threads = p.gw_threads.max(t);
            p.gw_rss_kib = p.gw_rss_kib.max(r);
            if caller.is_none() {
                caller = first_child(&caller_sh);
            }
            if let Some(c) = &caller {
                p.caller_fds = p.caller_fds.max(fd_count(c));
                p.caller_rss_kib = p.caller_rss_kib.max(threads_rss(c).1);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        p
    });
    (stop, handle)
}

// ---------------------------------------------------------------------------------------------
// Bare spandsp baselines
// ---------------------------------------------------------------------------------------------

fn t30<'a>(ident: &'a str, document: Document<'a>) -> T30Setup<'a> {
    T30Setup {
        ident,
        header_info: None,
        ecm: true,
        modems: Modems::default(),
        document,
        keep_partial_pages: true,
        max_page_length_mm: faxvox::fax::DEFAULT_MAX_PAGE_LENGTH_MM,
    }
}

fn phase_e(fax: &mut AudioFax, done: &mut Option<i32>) {
    while let Some(e) = fax.next_event() {
        if let T30Event::PhaseE { code, .. } = e {
            *done = Some(code);
        }
    }
}

/// CPU seconds of this process so far (the bench is single-threaded while it measures).
fn self_cpu(tck: f64) -> f64 {
    proc_cpu_ticks("self").unwrap_or(0) as f64 / tck
}

struct Bare {
    /// Simulated seconds of the call.
    fax_secs: f64,
    /// Both engines (sender and receiver) exchanging 20 ms blocks directly.
    both_cpu: f64,
    /// The receiver alone, fed the sender's recorded audio.
    rx_cpu: f64,
}

/// The bare two-ended loop (recording what the sender sent, block by block), then the
/// receiver alone replaying that recording, each `rounds` times, the fastest taken. Timed by
/// the wall clock: the bench is single-threaded and CPU-bound here, and one call takes a few
/// clock ticks only; the whole baseline's CPU time (ticks) is checked against the sum.
fn bare_spandsp(doc: &Path, dir: &Path, tck: f64, rounds: usize) -> Bare {
    let cpu0 = self_cpu(tck);
    let wall0 = Instant::now();
    let rx_path = dir.join("bare-rx.tif");
    let mut both_cpu = f64::MAX;
    let mut recording: Vec<[i16; 160]> = Vec::new();
    for _ in 0..rounds {
        let t0 = Instant::now();
        let mut tx = AudioFax::new(true, &t30("TX", Document::Transmit(doc)), "bare-tx").unwrap();
        let mut rx =
            AudioFax::new(false, &t30("RX", Document::Receive(&rx_path)), "bare-rx").unwrap();
        let (mut a, mut b) = ([0i16; 160], [0i16; 160]);
        let (mut tx_done, mut rx_done) = (None, None);
        recording.clear();
        while (tx_done.is_none() || rx_done.is_none()) && recording.len() < 30_000 {
            tx.tx(&mut a);
            rx.tx(&mut b);
            recording.push(a);
            rx.rx(&a);
            tx.rx(&b);
            phase_e(&mut tx, &mut tx_done);
            phase_e(&mut rx, &mut rx_done);
        }
        assert_eq!((tx_done, rx_done), (Some(0), Some(0)), "bare call failed");
        both_cpu = both_cpu.min(t0.elapsed().as_secs_f64());
    }
    let mut rx_cpu = f64::MAX;
    for _ in 0..rounds {
        let t0 = Instant::now();
        let mut rx =
            AudioFax::new(false, &t30("RX", Document::Receive(&rx_path)), "bare-rx").unwrap();
        let mut b = [0i16; 160];
        let mut rx_done = None;
        for block in &recording {
            rx.tx(&mut b);
            rx.rx(block);
            phase_e(&mut rx, &mut rx_done);
        }
        assert_eq!(rx_done, Some(0), "bare receiver on the recording failed");
        rx_cpu = rx_cpu.min(t0.elapsed().as_secs_f64());
    }
    let (cpu, wall) = (self_cpu(tck) - cpu0, wall0.elapsed().as_secs_f64());
    println!(
        "bare spandsp baseline: {cpu:.2} CPU s for {wall:.2} s wall ({:.0}% of one core)",
        100.0 * cpu / wall.max(1e-9)
    );
    Bare {
        fax_secs: recording.len() as f64 * 0.02,
        both_cpu,
        rx_cpu,
    }
}

// ---------------------------------------------------------------------------------------------
// The installation
// ---------------------------------------------------------------------------------------------

/// `sh -c` wrapper: raise the soft open-file limit to the hard one, run the command, then write
/// its CPU time (`times`) to `$FAXVOX_BENCH_TIMES` when set. `exec` when no accounting is needed
/// (the gateway: its pid is then faxvox's pid). The bench's own `FAXVOX_*` variables are not
/// passed on: faxvox would take them for configuration keys.
fn wrapped(bin: &Path, args: &[String], times: Option<&Path>) -> Command {
    let script = match times {
        Some(_) => {
            "t=\"$FAXVOX_BENCH_TIMES\"; unset FAXVOX_BENCH_TIMES; ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; \
             \"$@\"; rc=$?; times > \"$t\"; exit $rc"
        }
        None => "ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; exec \"$@\"",
    };
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script).arg("sh").arg(bin).args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("FAXVOX_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    if let Some(t) = times {
        cmd.env("FAXVOX_BENCH_TIMES", t);
    }
    cmd
}

/// The gateway under load: the tests' [`Gateway`] (installation, `serve` started through a
/// launcher that raises its open-file limit) with the bench's configuration on top.
struct Site {
    gw: Gateway,
    bin: PathBuf,
    gw_pid: String,
    tck: f64,
}

impl Site {
    fn new(bin: PathBuf, dir: &Path, tck: f64) -> Site {
        let mut gw = Gateway::maildir_only_in(dir);
        gw.append_config(&format!(
            "\n[sip]\nlisten = \"127.0.0.1:{sip_port}\"\nrtp_ports = \"{RTP_PORTS}\"\n\
             media_ip = \"127.0.0.1\"\nmax_calls = {MAX_CALLS}\nmax_call_secs = 600\n\
             max_calls_per_line = 0\nmax_calls_per_account = 0\n\n\
             [voicemail]\nmax_secs = 180\nsilence_secs = 10\nmin_secs = 1\n",
            sip_port = gw.sip_port,
        ));
        // Over the tests' defaults for `serve`: the wide port range, the default port rest.
        gw.set("FAXVOX_SIP_RTP_PORTS", RTP_PORTS);
        gw.set("FAXVOX_SIP_RTP_PORT_REST_SECS", "30");
        gw.set_launcher("ulimit -n \"$(ulimit -Hn)\" 2>/dev/null");
        Site {
            gw,
            bin,
            gw_pid: String::new(),
            tck,
        }
    }

    /// The installation's configuration and folder for a command of the bench's own.
    fn env(&self, cmd: &mut Command) {
        cmd.env("FAXVOX_CONFIG", &self.gw.config)
            .current_dir(self.gw.path());
    }

    fn ok(&self, args: &[&str]) -> String {
        self.gw.ok(args)
    }

    fn start(&mut self) {
        self.gw.start();
        self.gw_pid = self.gw.pid().expect("serve is running").to_string();
    }

    fn alive(&mut self) -> bool {
        self.gw.is_running()
    }

    fn gw_cpu(&self) -> f64 {
        proc_cpu_ticks(&self.gw_pid).unwrap_or(0) as f64 / self.tck
    }

    fn log_text(&self) -> String {
        self.gw.log()
    }

    fn log_len(&self) -> usize {
        fs::metadata(self.gw.log_path())
            .map(|m| m.len() as usize)
            .unwrap_or(0)
    }

    fn uri(&self, number: &str) -> String {
        self.gw.uri(number)
    }

    fn maildir_new(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = fs::read_dir(self.gw.path().join("maildir").join("new"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// SIGTERM, up to 20 s for a clean exit, then kill.
    fn stop(&mut self) {
        if self.gw.is_running() {
            self.gw.signal("TERM");
            self.gw.wait_exit(Duration::from_secs(20));
        }
        self.gw.stop();
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Fax,
    Voice,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Fax => "fax",
            Kind::Voice => "voice",
        }
    }
}

struct Step {
    kind: Kind,
    n: u32,
    ok: u32,
    failed: u32,
    wall_secs: f64,
    mean_call_secs: f64,
    channel_secs: f64,
    gw_cpu_calls: f64,
    gw_cpu_delivery: f64,
    caller_cpu: f64,
    machine_busy_pct: f64,
    delivery_secs: f64,
    mails: usize,
    mails_good: usize,
    peaks: Peaks,
    failure_reasons: BTreeMap<String, u32>,
    log_warnings: BTreeMap<String, u32>,
    correct: bool,
    note: String,
}

impl Step {
    fn gw_cpu_per_chan_sec(&self) -> f64 {
        if self.channel_secs > 0.0 {
            self.gw_cpu_calls / self.channel_secs
        } else {
            0.0
        }
    }

    fn caller_cpu_per_chan_sec(&self) -> f64 {
        if self.channel_secs > 0.0 {
            self.caller_cpu / self.channel_secs
        } else {
            0.0
        }
    }
}

/// A warn/error log line reduced to its message (the text after the level and target, minus
/// the key=value fields), so equal problems group together.
fn log_key(line: &str) -> Option<String> {
    let level = if line.contains(" WARN ") {
        "WARN"
    } else if line.contains(" ERROR ") {
        "ERROR"
    } else {
        return None;
    };
    let after = line.split_once(&format!(" {level} "))?.1;
    let msg = after.split_once(": ").map(|x| x.1).unwrap_or(after);
    let words: Vec<&str> = msg
        .split_whitespace()
        .filter(|w| !w.contains('='))
        .collect();
    let mut k = format!("{level} {}", words.join(" "));
    k.truncate(140);
    Some(k)
}

/// Counts the pages of a PDF written by faxvox (one `/Type /Page` object per page).
fn pdf_pages(pdf: &[u8]) -> usize {
    let mut n = 0;
    for pat in [&b"/Type /Page"[..], &b"/Type/Page"[..]] {
        let mut i = 0;
        while let Some(p) = find(&pdf[i..], pat) {
            let at = i + p + pat.len();
            if pdf.get(at) != Some(&b's') {
                n += 1;
            }
            i = at;
        }
    }
    n
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Checks one delivered message: a fax has one PDF attachment of one page, a voicemail an
/// audio attachment of a plausible size.
fn mail_good(kind: Kind, path: &Path) -> Result<(), String> {
    let raw = fs::read(path).map_err(|e| e.to_string())?;
    let m = MessageParser::default()
        .parse(&raw[..])
        .ok_or("unparsable message")?;
    let wanted = match kind {
        Kind::Fax => "application",
        Kind::Voice => "audio",
    };
    let att = m
        .attachments()
        .find(|a| {
            a.content_type()
                .is_some_and(|c| c.ctype().eq_ignore_ascii_case(wanted))
        })
        .ok_or_else(|| {
            format!(
                "no {wanted}/* attachment (subject {:?})",
                m.subject().unwrap_or_default()
            )
        })?;
    match kind {
        Kind::Fax => {
            let pages = pdf_pages(att.contents());
            if pages != 1 {
                return Err(format!("PDF with {pages} pages"));
            }
        }
        Kind::Voice => {
            // MP3 at 8 kHz mono: a few KB per second; anything under 1 KB is not a message.
            if att.contents().len() < 1000 {
                return Err(format!("audio of {} bytes", att.contents().len()));
            }
        }
    }
    Ok(())
}

struct Inputs {
    fax_doc: PathBuf,
    voice_wav: PathBuf,
}

fn run_step(site: &mut Site, inputs: &Inputs, kind: Kind, n: u32, deadline: Instant) -> Step {
    let work = site.gw.path().join(format!("step-{}-{n}", kind.name()));
    fs::create_dir_all(&work).unwrap();
    let before_mail: HashSet<PathBuf> = site.maildir_new().into_iter().collect();
    let log_from = site.log_len();
    let ns = n.to_string();
    let mut args: Vec<String> = vec!["call".into(), kind.name().into()];
    args.extend([
        "--to".into(),
        site.uri(match kind {
            Kind::Fax => FAX_NUMBER,
            Kind::Voice => VOICE_NUMBER,
        }),
    ]);
    match kind {
        Kind::Fax => args.extend([
            "--file".into(),
            inputs.fax_doc.display().to_string(),
            "--no-t38".into(),
        ]),
        Kind::Voice => args.extend([
            "--wav".into(),
            inputs.voice_wav.display().to_string(),
            "--dtmf".into(),
            "#".into(),
        ]),
    }
    args.extend([
        "--calls".into(),
        ns.clone(),
        "--concurrency".into(),
        ns,
        "--timeout-secs".into(),
        CALL_TIMEOUT_SECS.to_string(),
    ]);
    let times = work.join("caller.times");
    let stdout_path = work.join("caller.out");
    let stderr_path = work.join("caller.err");
    let mut cmd = wrapped(&site.bin, &args, Some(&times));
    site.env(&mut cmd);
    cmd.env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap());

    let gw0 = site.gw_cpu();
    let m0 = machine_ticks();
    let t0 = Instant::now();
    let mut child = cmd.spawn().expect("spawn faxvox call");
    let (stop, sampler) = sampler(site.gw_pid.clone(), child.id().to_string());
    let status = child.wait().expect("wait for faxvox call");
    let wall_secs = t0.elapsed().as_secs_f64();
    let gw1 = site.gw_cpu();
    let m1 = machine_ticks();

    // Delivery: wait for one message per successful call (or no progress for 60 s).
    let stdout = fs::read_to_string(&stdout_path).unwrap_or_default();
    let lines: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .collect();
    let results: Vec<&Value> = lines
        .iter()
        .filter(|v| v.get("call_id").is_some())
        .collect();
    let summary = lines.iter().rev().find(|v| v.get("wall_secs").is_some());
    let ok = summary
        .and_then(|s| s["ok"].as_u64())
        .unwrap_or_else(|| results.iter().filter(|r| r["ok"] == true).count() as u64)
        as u32;
    let failed = n.saturating_sub(ok);
    let channel_secs: f64 = results.iter().filter_map(|r| r["secs"].as_f64()).sum();
    let mean_call_secs = summary
        .and_then(|s| s["mean_call_secs"].as_f64())
        .unwrap_or(0.0);
    let mut failure_reasons = BTreeMap::new();
    for r in results.iter().filter(|r| r["ok"] != true) {
        let key = format!(
            "{} {}",
            r["status"]
                .as_u64()
                .map(|s| s.to_string())
                .unwrap_or("-".into()),
            r["fax_result"]
                .as_str()
                .or(r["reason"].as_str())
                .unwrap_or("?")
        );
        *failure_reasons.entry(key).or_insert(0u32) += 1;
    }
    if summary.is_none() {
        let err = fs::read_to_string(&stderr_path).unwrap_or_default();
        failure_reasons.insert(
            format!(
                "caller exited {status} without summary: {}",
                err.lines().last().unwrap_or("")
            ),
            n,
        );
    }

    let d0 = Instant::now();
    let mut last_count = 0usize;
    let mut last_progress = Instant::now();
    let fresh = |site: &Site| -> Vec<PathBuf> {
        site.maildir_new()
            .into_iter()
            .filter(|p| !before_mail.contains(p))
            .collect()
    };
    let mut note = String::new();
    loop {
        let count = fresh(site).len();
        if count != last_count {
            last_count = count;
            last_progress = Instant::now();
        }
        if count >= ok as usize {
            // Anything else still to come (e.g. a notice for a failed call)?
            std::thread::sleep(Duration::from_millis(1500));
            if fresh(site).len() == count {
                break;
            }
            continue;
        }
        if last_progress.elapsed() > Duration::from_secs(60) {
            note = format!("delivery stalled at {count}/{ok}");
            break;
        }
        if Instant::now() > deadline + Duration::from_secs(120) {
            note = format!("time cap during delivery at {count}/{ok}");
            break;
        }
        if !site.alive() {
            note = "gateway died".into();
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let delivery_secs = d0.elapsed().as_secs_f64();
    let gw2 = site.gw_cpu();
    stop.store(true, Ordering::Relaxed);
    let peaks = sampler.join().unwrap();

    let new_mail = fresh(site);
    let mut mails_good = 0;
    let mut bad: BTreeMap<String, u32> = BTreeMap::new();
    for p in &new_mail {
        match mail_good(kind, p) {
            Ok(()) => mails_good += 1,
            Err(e) => *bad.entry(e).or_insert(0) += 1,
        }
    }
    if !bad.is_empty() {
        note.push_str(&format!(" bad mails: {bad:?}"));
    }
    let log = site.log_text();
    let mut log_warnings = BTreeMap::new();
    for line in log.get(log_from..).unwrap_or("").lines() {
        if let Some(k) = log_key(line) {
            *log_warnings.entry(k).or_insert(0u32) += 1;
        }
    }
    let caller_cpu = fs::read_to_string(&times)
        .ok()
        .and_then(|t| parse_times(&t))
        .unwrap_or(f64::NAN);
    let busy = (m1.0 - m0.0) as f64;
    let total = (m1.1 - m0.1).max(1) as f64;
    let correct = ok == n && new_mail.len() == n as usize && mails_good == n as usize;
    Step {
        kind,
        n,
        ok,
        failed,
        wall_secs,
        mean_call_secs,
        channel_secs,
        gw_cpu_calls: gw1 - gw0,
        gw_cpu_delivery: gw2 - gw1,
        caller_cpu,
        machine_busy_pct: 100.0 * busy / total,
        delivery_secs,
        mails: new_mail.len(),
        mails_good,
        peaks,
        failure_reasons,
        log_warnings,
        correct,
        note: note.trim().to_string(),
    }
}

fn steps_from_env(var: &str, default: &str) -> Vec<u32> {
    std::env::var(var)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .filter(|n| *n > 0)
        .collect()
}

fn step_json(s: &Step, bare_rx_per_sec: f64) -> Value {
    json!({
        "kind": s.kind.name(),
        "calls": s.n,
        "ok": s.ok,
        "failed": s.failed,
        "correct": s.correct,
        "wall_secs": s.wall_secs,
        "mean_call_secs": s.mean_call_secs,
        "channel_secs": s.channel_secs,
        "gateway_cpu_secs_calls": s.gw_cpu_calls,
        "gateway_cpu_secs_delivery": s.gw_cpu_delivery,
        "caller_cpu_secs": s.caller_cpu,
        "machine_busy_pct": s.machine_busy_pct,
        "gateway_cpu_per_channel_sec": s.gw_cpu_per_chan_sec(),
        "caller_cpu_per_channel_sec": s.caller_cpu_per_chan_sec(),
        "gateway_vs_bare_spandsp_rx": if s.kind == Kind::Fax { json!(s.gw_cpu_per_chan_sec() / bare_rx_per_sec) } else { Value::Null },
        "delivery_secs": s.delivery_secs,
        "delivery_cpu_per_message": if s.mails > 0 { json!(s.gw_cpu_delivery / s.mails as f64) } else { Value::Null },
        "mails": s.mails,
        "mails_good": s.mails_good,
        "peak_gateway_fds": s.peaks.gw_fds,
        "peak_gateway_threads": s.peaks.gw_threads,
        "peak_gateway_rss_kib": s.peaks.gw_rss_kib,
        "peak_caller_fds": s.peaks.caller_fds,
        "peak_caller_rss_kib": s.peaks.caller_rss_kib,
        "failure_reasons": s.failure_reasons,
        "gateway_log_warnings": s.log_warnings,
        "note": s.note,
    })
}

fn main() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_faxvox"));
    let target_tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let out_json = target_tmp
        .parent()
        .unwrap_or(&target_tmp)
        .join("gateway_load.json");
    let max_secs: u64 = std::env::var("FAXVOX_BENCH_MAX_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_MAX_SECS);
    let fax_steps = steps_from_env("FAXVOX_BENCH_FAX_STEPS", DEFAULT_FAX_STEPS);
    let voice_steps = steps_from_env("FAXVOX_BENCH_VOICE_STEPS", DEFAULT_VOICE_STEPS);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(max_secs);
    let tck = clk_tck();
    fs::create_dir_all(&target_tmp).unwrap();
    let tmp = tempfile::Builder::new()
        .prefix("gateway_load-")
        .tempdir_in(&target_tmp)
        .unwrap();
    let keep = std::env::var_os("FAXVOX_BENCH_KEEP").is_some();
    let dir = tmp.path().to_path_buf();
    let nofile = Command::new("sh")
        .args(["-c", "ulimit -Hn"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "gateway_load: {} ({cores} cores), folder {}, open-file limit for children {nofile}, cap {max_secs} s",
        bin.display(),
        dir.display()
    );

    // Inputs.
    let page = fax_page();
    let fax_doc = dir.join("page.tif");
    fs::write(&fax_doc, write_g4_tiff(std::slice::from_ref(&page))).unwrap();
    let voice_wav = dir.join("speech.wav");
    fs::write(&voice_wav, speech_wav(VOICE_SECS)).unwrap();
    let inputs = Inputs { fax_doc, voice_wav };

    // Baselines.
    let bare = bare_spandsp(&inputs.fax_doc, &dir, tck, 20);
    let bare_rx_per_sec = bare.rx_cpu / bare.fax_secs;
    let bare_both_per_sec = bare.both_cpu / bare.fax_secs;
    println!(
        "bare spandsp: {:.1} s fax; receiver alone {:.3} CPU s ({:.0}x real time), both ends {:.3} CPU s ({:.0}x)",
        bare.fax_secs,
        bare.rx_cpu,
        1.0 / bare_rx_per_sec,
        bare.both_cpu,
        1.0 / bare_both_per_sec
    );
    // fax-sim: 5 runs; the shell's `times` counts whole clock ticks, so the CPU is averaged.
    let runs = 5;
    let mut sim_cpu_sum = 0.0;
    let mut sim_json = Value::Null;
    for i in 0..runs {
        let t = dir.join(format!("fax-sim-{i}.times"));
        let args: Vec<String> = vec![
            "fax-sim".into(),
            inputs.fax_doc.display().to_string(),
            dir.join("fax-sim.pdf").display().to_string(),
            "--transport".into(),
            "g711".into(),
        ];
        let out = wrapped(&bin, &args, Some(&t))
            .current_dir(&dir)
            .output()
            .expect("run fax-sim");
        assert!(
            out.status.success(),
            "fax-sim failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        sim_cpu_sum += fs::read_to_string(&t)
            .ok()
            .and_then(|x| parse_times(&x))
            .unwrap_or(f64::NAN);
        let j: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        if j["realtime_factor"].as_f64() > sim_json["realtime_factor"].as_f64() {
            sim_json = j;
        }
    }
    let sim_cpu = sim_cpu_sum / f64::from(runs);
    let sim_secs = sim_json["simulated_s"].as_f64().unwrap_or(f64::NAN);
    let sim_rtf = sim_json["realtime_factor"].as_f64().unwrap_or(f64::NAN);
    let sim_per_sec = sim_cpu / sim_secs;
    println!(
        "fax-sim g711: {sim_secs:.1} s fax, {sim_cpu:.3} CPU s for both ends incl. process start \
         ({:.0}x real time by CPU, reported real-time factor {sim_rtf:.0}x)",
        1.0 / sim_per_sec
    );

    // The gateway.
    let mut site = Site::new(bin.clone(), &dir, tck);
    site.ok(&[
        "account",
        "add",
        "bench",
        "--email",
        "bench@example.invalid",
        "--name",
        "Bench",
    ]);
    site.ok(&[
        "line",
        "add",
        FAX_NUMBER,
        "--account",
        "bench",
        "--kind",
        "fax",
    ]);
    site.ok(&[
        "line",
        "add",
        VOICE_NUMBER,
        "--account",
        "bench",
        "--kind",
        "voicemail",
    ]);
    site.start();
    println!(
        "faxvox serve pid {} on {} (rtp_ports {RTP_PORTS}, max_calls {MAX_CALLS})",
        site.gw_pid,
        site.uri("")
    );

    let mut steps: Vec<Step> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    for (kind, ladder) in [(Kind::Fax, &fax_steps), (Kind::Voice, &voice_steps)] {
        // Estimated seconds per step: call length + delivery per message, from the last step.
        let (mut call_est, mut per_mail_est) = match kind {
            Kind::Fax => (40.0, 0.05),
            Kind::Voice => (25.0, 0.05),
        };
        for &n in ladder {
            let left = deadline
                .saturating_duration_since(Instant::now())
                .as_secs_f64();
            let est = call_est + per_mail_est * f64::from(n) + 5.0;
            if est > left {
                skipped.push(format!(
                    "{} {n}: estimated {est:.0} s, {left:.0} s left (time cap)",
                    kind.name()
                ));
                break;
            }
            if !site.alive() {
                skipped.push(format!("{} {n}: gateway gone", kind.name()));
                break;
            }
            println!("-- {} x{n} …", kind.name());
            let s = run_step(&mut site, &inputs, kind, n, deadline);
            println!(
                "   ok {}/{} in {:.1} s (mean call {:.1} s), gateway {:.1} CPU s ({:.4}/ch-s), caller {:.1} CPU s, machine {:.0}% busy, delivery {:.1} s, mails {}/{} good{}",
                s.ok,
                s.n,
                s.wall_secs,
                s.mean_call_secs,
                s.gw_cpu_calls,
                s.gw_cpu_per_chan_sec(),
                s.caller_cpu,
                s.machine_busy_pct,
                s.delivery_secs,
                s.mails_good,
                s.mails,
                if s.note.is_empty() { String::new() } else { format!(" — {}", s.note) }
            );
            if !s.failure_reasons.is_empty() {
                println!("   caller failures: {:?}", s.failure_reasons);
            }
            if !s.log_warnings.is_empty() {
                println!("   gateway warnings: {:?}", s.log_warnings);
            }
            call_est = s.wall_secs.max(10.0) * 1.5;
            per_mail_est = if s.mails > 0 {
                (s.delivery_secs / s.mails as f64).max(0.01) * 1.3
            } else {
                per_mail_est
            };
            let correct = s.correct;
            steps.push(s);
            if !correct {
                break;
            }
        }
    }
    let alive = site.alive();
    site.stop();

    // Table.
    println!();
    println!(
        "{:<6} {:>5} {:>5} {:>5} {:>7} {:>7} {:>8} {:>8} {:>8} {:>7} {:>9} {:>8} {:>6} {:>7} {:>6} {:>9}",
        "kind",
        "calls",
        "ok",
        "fail",
        "wall s",
        "call s",
        "gw cpu",
        "caller",
        "mach %",
        "gw/chs",
        "xbare rx",
        "deliv s",
        "mails",
        "gw fds",
        "thr",
        "gw RSS MB"
    );
    for s in &steps {
        println!(
            "{:<6} {:>5} {:>5} {:>5} {:>7.1} {:>7.1} {:>8.1} {:>8.1} {:>8.0} {:>7.4} {:>9} {:>8.1} {:>6} {:>7} {:>6} {:>9.0}",
            s.kind.name(),
            s.n,
            s.ok,
            s.failed,
            s.wall_secs,
            s.mean_call_secs,
            s.gw_cpu_calls,
            s.caller_cpu,
            s.machine_busy_pct,
            s.gw_cpu_per_chan_sec(),
            if s.kind == Kind::Fax {
                format!("{:.1}", s.gw_cpu_per_chan_sec() / bare_rx_per_sec)
            } else {
                "-".into()
            },
            s.delivery_secs,
            format!("{}/{}", s.mails_good, s.mails),
            s.peaks.gw_fds,
            s.peaks.gw_threads,
            s.peaks.gw_rss_kib as f64 / 1024.0
        );
    }
    let best = |k: Kind| {
        steps
            .iter()
            .filter(|s| s.kind == k && s.correct)
            .map(|s| s.n)
            .max()
            .unwrap_or(0)
    };
    let first_fail = |k: Kind| steps.iter().find(|s| s.kind == k && !s.correct);
    println!(
        "\nall correct up to: fax {} simultaneous (target 1000), voicemail {} (target 2000)",
        best(Kind::Fax),
        best(Kind::Voice)
    );
    for k in [Kind::Fax, Kind::Voice] {
        if let Some(s) = first_fail(k) {
            println!(
                "first incorrect {} step: {} calls, {} ok, mails {}/{} good; {}",
                k.name(),
                s.n,
                s.ok,
                s.mails_good,
                s.mails,
                s.note
            );
        }
    }
    for s in &skipped {
        println!("not run: {s}");
    }
    println!(
        "bare spandsp receiver: {:.6} CPU s per fax-second ({:.0}x real time per core); \
         fax-sim g711 both ends: {:.6} CPU s per fax-second",
        bare_rx_per_sec,
        1.0 / bare_rx_per_sec,
        sim_per_sec
    );
    if !alive {
        println!(
            "WARNING: the gateway was not running at the end (see {})",
            site.gw.log_path().display()
        );
    }

    let report = json!({
        "machine": { "cores": cores, "clk_tck": tck, "nofile_hard": nofile },
        "max_secs": max_secs,
        "total_secs": started.elapsed().as_secs_f64(),
        "gateway": { "rtp_ports": RTP_PORTS, "max_calls": MAX_CALLS, "alive_at_end": alive },
        "baseline": {
            "fax_secs": bare.fax_secs,
            "bare_rx_cpu_secs": bare.rx_cpu,
            "bare_rx_cpu_per_fax_sec": bare_rx_per_sec,
            "bare_rx_realtime_factor": 1.0 / bare_rx_per_sec,
            "bare_both_ends_cpu_secs": bare.both_cpu,
            "bare_both_ends_cpu_per_fax_sec": bare_both_per_sec,
            "fax_sim_g711_cpu_secs": sim_cpu,
            "fax_sim_g711_simulated_secs": sim_secs,
            "fax_sim_g711_cpu_per_fax_sec": sim_per_sec,
            "fax_sim_g711_reported_realtime_factor": sim_rtf,
        },
        "steps": steps.iter().map(|s| step_json(s, bare_rx_per_sec)).collect::<Vec<_>>(),
        "max_all_correct": { "fax": best(Kind::Fax), "voice": best(Kind::Voice) },
        "not_run": skipped,
    });
    fs::write(&out_json, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("written {}", out_json.display());
    if keep {
        site.gw.dir.disable_cleanup(true);
        let kept = tmp.keep();
        println!("kept {}", kept.display());
    }
}
