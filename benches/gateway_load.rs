//! Gateway load: how many simultaneous G.711 fax receptions and voicemail recordings a real
//! `faxvox serve` completes correctly on this machine, and what each channel costs in CPU
//! against the bare spandsp receive loop.
//!
//! One run, no criterion: `cargo bench --bench gateway_load` (release; Cargo builds the
//! `faxvox` binary and hands its path over as `CARGO_BIN_EXE_faxvox`).
//!
//! - A gateway is installed in a temporary folder under Cargo's target tmp dir (real disk):
//!   SQLite, spool, delivery over SMTP to the tests' aiosmtpd sink in lean mode (it stores the
//!   bytes and stamps when it accepted each message), one fax line and one voicemail line, a
//!   wide `sip.rtp_ports` range, a high `sip.max_calls` and no per-line or per-account limit.
//!   `faxvox serve` and the callers run with the soft open-file limit raised to the hard one
//!   (`ulimit -n` in a `sh` wrapper).
//! - Pinning, on a machine with two or more CPUs: `faxvox serve` and the bare spandsp
//!   references run under `taskset -c 1`, every caller and the SMTP sink under `taskset -c 0`
//!   (`FAXVOX_BENCH_GATEWAY_CPU`, `FAXVOX_BENCH_CALLER_CPU` change the CPU lists; `none`
//!   leaves a side unpinned), so the gateway's figures are its own core's. The machine load
//!   (`/proc/loadavg`) is printed at the start and end of every step.
//! - Fax ladder (`FAXVOX_BENCH_FAX_STEPS`, default `500`): each step is
//!   one `faxvox call fax --no-t38 --calls N --concurrency N` of a generated one-page,
//!   mostly white standard-resolution page. Voicemail ladder (`FAXVOX_BENCH_VOICE_STEPS`,
//!   default `500,2000`): `faxvox call voice --wav <10 s speech-like> --dtmf '#'`, emailed as
//!   MP3 (the default). Then the WAV ladder (`FAXVOX_BENCH_VOICE_WAV_STEPS`, default `500`):
//!   the same calls after restarting the gateway with `delivery.voicemail_format = "wav"`, for
//!   the hang-up → email latency without the MP3 encoder in the same run. So one run gives the
//!   issue's figures (fax 500, voicemail 2000, latency at 500 with MP3 and with WAV). Every
//!   step runs even after one that is not fully correct (`FAXVOX_BENCH_KEEP_GOING=0`: a ladder
//!   stops at its first such step).
//! - Per step: calls ok/failed (caller JSON), the gateway's CPU seconds while the calls ran and
//!   while it then delivered (`/proc/<pid>/stat`), the caller's CPU (`times` in the wrapper),
//!   machine CPU busy % (and the gateway core's), peak gateway fds/threads/RSS, CPU per
//!   channel-second, and the correctness check: one email per call, every fax a one-page PDF
//!   whose G4 image, decoded with our codecs, equals the page sent pixel for pixel (the first
//!   one also rendered by poppler's `pdftoppm` at the fax resolution, checking the page size
//!   and the extraction), every voicemail an MP3 that decodes to the played 10 s (± 0.5 s)
//!   whose 20 ms envelope correlates with the played one (r ≥ 0.8); how much of the played
//!   audio each recording holds (from where it lines up) is reported beside. A step is correct only if every call succeeded and every
//!   email is.
//! - Hang-up → email accepted by the SMTP server, per message: the sink's acceptance time
//!   against the hang-up in the gateway's call record (`answered` + `duration_ms`, matched by
//!   the email's `X-Faxvox-Job`); both are the machine's wall clock. p50/p99/max per step.
//! - Baselines measured in the same run on the same page: a bare spandsp receiver fed the
//!   recorded audio of a bare sender (receive side only, no RTP, no session layer), the bare
//!   two-ended loop, and `faxvox fax-sim --transport g711`; the table gives the gateway's CPU
//!   per fax channel-second divided by the bare receiver's CPU per fax-second (goal ≤ 1.5).
//! - Total time is capped by `FAXVOX_BENCH_MAX_SECS` (default 900): a step is skipped when its
//!   estimated duration no longer fits. Results: a table on stdout and
//!   `target/gateway_load.json`.

use std::collections::{BTreeMap, HashMap};
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
use support::smtp::{SinkOptions, SmtpSink};

const FAX_NUMBER: &str = "+33100000001";
const VOICE_NUMBER: &str = "+33100000002";
/// The figures: 500 faxes; 500 voicemails (latency) and 2 000 (capacity); 500 again
/// with WAV attachments (latency without the MP3 encoder).
const DEFAULT_FAX_STEPS: &str = "500";
const DEFAULT_VOICE_STEPS: &str = "500,2000";
const DEFAULT_VOICE_WAV_STEPS: &str = "500";
const DEFAULT_MAX_SECS: u64 = 900;
/// `faxvox call --timeout-secs`: a call hung this long counts as failed.
const CALL_TIMEOUT_SECS: u64 = 240;
/// Gateway media ports: 16000 even ports → 4000 calls (each takes an RTP and a UDPTL port).
const RTP_PORTS: &str = "16000-31999";
const MAX_CALLS: u32 = 5000;
/// Seconds of speech-like audio played into the voicemail line.
const VOICE_SECS: u32 = 10;
/// A voicemail's recording may differ from the played length by this much.
const VOICE_LENGTH_TOLERANCE_SECS: f64 = 0.5;
/// Lowest envelope correlation between the played and the emailed audio (as the e2e tests).
const MIN_CORRELATION: f64 = 0.8;
/// How far the recording may start after (the caller began before the beep) or before (it
/// heard the beep late and paused: callers under load do) the played audio when lining them up.
const MAX_ALIGN_MS: u32 = 8000;
/// Goal of the issue: gateway CPU per fax channel-second over the bare receiver's.
const GOAL_VS_BARE: f64 = 1.5;
/// Goal of the issue: hang-up → email accepted, p99, at 500 simultaneous voicemails.
const GOAL_LATENCY_P99_SECS: f64 = 2.0;

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
    cpu_ticks("cpu")
}

/// (busy, total) jiffies of one line of /proc/stat: `cpu` (all) or `cpuN`.
fn cpu_ticks(which: &str) -> (u64, u64) {
    let stat = fs::read_to_string("/proc/stat").unwrap_or_default();
    let line = stat
        .lines()
        .find(|l| l.split_whitespace().next() == Some(which))
        .unwrap_or_default();
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

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`), as printed by `uptime`.
fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The CPUs a process may run on (`Cpus_allowed_list` in /proc/<pid>/status).
fn cpus_allowed(pid: &str) -> String {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .unwrap_or("?")
        .trim()
        .to_string()
}

/// Where the gateway and the callers run: `taskset -c` CPU lists, `None` for unpinned.
#[derive(Clone, Default)]
struct Pins {
    gateway: Option<String>,
    caller: Option<String>,
}

impl Pins {
    /// `FAXVOX_BENCH_GATEWAY_CPU` / `FAXVOX_BENCH_CALLER_CPU` (a CPU list, or `none`); by
    /// default CPU 1 and CPU 0 when the machine has two or more, else unpinned.
    fn from_env(cores: usize) -> Pins {
        let pick = |var: &str, default: &str| -> Option<String> {
            match std::env::var(var) {
                Ok(v) if v.trim().is_empty() || v.trim() == "none" => None,
                Ok(v) => {
                    let v = v.trim().to_string();
                    assert!(
                        v.chars()
                            .all(|c| c.is_ascii_digit() || c == ',' || c == '-'),
                        "{var}={v:?}: expected a CPU list such as 1 or 0-1"
                    );
                    Some(v)
                }
                Err(_) if cores >= 2 => Some(default.to_string()),
                Err(_) => None,
            }
        };
        Pins {
            gateway: pick("FAXVOX_BENCH_GATEWAY_CPU", "1"),
            caller: pick("FAXVOX_BENCH_CALLER_CPU", "0"),
        }
    }

    /// The /proc/stat line of the gateway's core when it is pinned to exactly one.
    fn gateway_core(&self) -> Option<String> {
        let g = self.gateway.as_deref()?;
        g.parse::<u32>().ok().map(|n| format!("cpu{n}"))
    }
}

/// Pins the calling thread (the bench's main thread, alone while the baselines run) to a CPU
/// list with `taskset -p`; returns the list it had, to restore.
fn pin_self(cpus: &str) -> Option<String> {
    let tid = std::process::id().to_string();
    let before = cpus_allowed(&tid);
    let ok = Command::new("taskset")
        .args(["-p", "-c", cpus, &tid])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(before)
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

/// CPU seconds of the calling thread so far (`CLOCK_THREAD_CPUTIME_ID`, nanosecond resolution).
fn thread_cpu_secs() -> f64 {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec (two 64-bit fields on 64-bit Linux) to a valid
    // pointer; the C library is linked by std.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
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
    /// The receiver alone, fed the sender's recorded audio (fastest round: the reference).
    rx_cpu: f64,
    /// The receiver alone, median round.
    rx_cpu_median: f64,
}

/// The bare two-ended loop (recording what the sender sent, block by block), then the
/// receiver alone replaying that recording, each `rounds` times, the fastest taken. Timed by
/// the thread's CPU clock (nanoseconds; one call takes a few clock ticks only), not the wall
/// clock: on a shared core the wall clock also counts the other processes' turns.
fn bare_spandsp(doc: &Path, dir: &Path, tck: f64, rounds: usize) -> Bare {
    let cpu0 = self_cpu(tck);
    let wall0 = Instant::now();
    let rx_path = dir.join("bare-rx.tif");
    let mut both_cpu = f64::MAX;
    let mut recording: Vec<[i16; 160]> = Vec::new();
    for _ in 0..rounds {
        let t0 = thread_cpu_secs();
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
        both_cpu = both_cpu.min(thread_cpu_secs() - t0);
    }
    let mut rx_rounds = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t0 = thread_cpu_secs();
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
        rx_rounds.push(thread_cpu_secs() - t0);
    }
    rx_rounds.sort_by(f64::total_cmp);
    let (cpu, wall) = (self_cpu(tck) - cpu0, wall0.elapsed().as_secs_f64());
    println!(
        "bare spandsp baseline: {cpu:.2} CPU s for {wall:.2} s wall ({:.0}% of one core)",
        100.0 * cpu / wall.max(1e-9)
    );
    Bare {
        fax_secs: recording.len() as f64 * 0.02,
        both_cpu,
        rx_cpu: rx_rounds[0],
        rx_cpu_median: rx_rounds[rx_rounds.len() / 2],
    }
}

// ---------------------------------------------------------------------------------------------
// The installation
// ---------------------------------------------------------------------------------------------

/// `sh -c` wrapper: raise the soft open-file limit to the hard one, run the command (under
/// `taskset -c CPU` when given), then write its CPU time (`times`) to `$FAXVOX_BENCH_TIMES`
/// when set. `exec` when no accounting is needed
/// (the gateway: its pid is then faxvox's pid). The bench's own `FAXVOX_*` variables are not
/// passed on: faxvox would take them for configuration keys.
fn wrapped(bin: &Path, args: &[String], times: Option<&Path>, cpu: Option<&str>) -> Command {
    let script = match times {
        Some(_) => {
            "t=\"$FAXVOX_BENCH_TIMES\"; unset FAXVOX_BENCH_TIMES; ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; \
             \"$@\"; rc=$?; times > \"$t\"; exit $rc"
        }
        None => "ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; exec \"$@\"",
    };
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script).arg("sh");
    if let Some(cpu) = cpu {
        cmd.args(["taskset", "-c", cpu]);
    }
    cmd.arg(bin).args(args);
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
/// launcher that raises its open-file limit and pins it) with the bench's configuration on
/// top, mailing to the tests' SMTP sink.
struct Site {
    gw: Gateway,
    sink: SmtpSink,
    bin: PathBuf,
    gw_pid: String,
    tck: f64,
    pins: Pins,
}

impl Site {
    fn new(bin: PathBuf, dir: &Path, tck: f64, pins: Pins) -> Site {
        let sink = SmtpSink::start(&SinkOptions {
            lean: true,
            secs: Some(6 * 3600),
            out: Some(dir.to_path_buf()),
            cpu: pins.caller.clone(),
            ..SinkOptions::default()
        });
        let mut gw = Gateway::with_smtp_in(dir, &sink);
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
        let mut launcher = "ulimit -n \"$(ulimit -Hn)\" 2>/dev/null".to_string();
        if let Some(cpu) = &pins.gateway {
            // Replaces the launcher's own `exec "$0" "$@"`; taskset execs faxvox in turn, so
            // the pid is still faxvox's.
            launcher.push_str(&format!("\nexec taskset -c {cpu} \"$0\" \"$@\""));
        }
        gw.set_launcher(&launcher);
        Site {
            gw,
            sink,
            bin,
            gw_pid: String::new(),
            tck,
            pins,
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

    /// Messages the SMTP sink stored so far: (sequence number, `.eml` path), in order. The
    /// `.json` beside it is written last, so a listed message is complete.
    fn mails(&self) -> Vec<(u32, PathBuf)> {
        let mut v: Vec<(u32, PathBuf)> = fs::read_dir(self.sink.dir.path())
            .map(|d| {
                d.flatten()
                    .filter_map(|e| {
                        let p = e.path();
                        let n = p
                            .file_name()?
                            .to_str()?
                            .strip_suffix(".json")?
                            .parse()
                            .ok()?;
                        Some((n, p.with_extension("eml")))
                    })
                    .collect()
            })
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
    /// Voicemails, emailed in the default format (MP3).
    Voice,
    /// Voicemails on a gateway restarted with `delivery.voicemail_format = "wav"`.
    VoiceWav,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Fax => "fax",
            Kind::Voice => "voice",
            Kind::VoiceWav => "voice-wav",
        }
    }

    /// The `faxvox call` subcommand.
    fn call(self) -> &'static str {
        match self {
            Kind::Fax => "fax",
            Kind::Voice | Kind::VoiceWav => "voice",
        }
    }

    fn is_voice(self) -> bool {
        self != Kind::Fax
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
    /// Busy % of the gateway's core while the calls ran (all processes on it), when pinned.
    gw_core_busy_pct: Option<f64>,
    delivery_secs: f64,
    mails: usize,
    mails_good: usize,
    /// What the checks found wrong, grouped.
    bad_mails: BTreeMap<String, u32>,
    /// Hang-up → accepted by the SMTP sink, seconds, one per email matched to its call.
    latencies: Vec<f64>,
    /// Voicemails: (envelope correlation, |length − played| s, played audio held s) of every
    /// decodable recording.
    voice_stats: Vec<VoiceStats>,
    load_start: String,
    load_end: String,
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

    /// (p50, p99, max) of the hang-up → email latencies.
    fn latency(&self) -> Option<(f64, f64, f64)> {
        if self.latencies.is_empty() {
            return None;
        }
        let mut v = self.latencies.clone();
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        Some((at(0.5), at(0.99), v[v.len() - 1]))
    }

    /// Voicemails: (min r, median r, median length error, max length error, min and median
    /// seconds of the played audio held).
    fn voice_summary(&self) -> Option<(f64, f64, f64, f64, f64, f64)> {
        if self.voice_stats.is_empty() {
            return None;
        }
        let sorted = |f: fn(&VoiceStats) -> f64| {
            let mut v: Vec<f64> = self.voice_stats.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let (r, e, h) = (sorted(|v| v.0), sorted(|v| v.1), sorted(|v| v.2));
        let mid = r.len() / 2;
        Some((r[0], r[mid], e[mid], e[e.len() - 1], h[0], h[mid]))
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

/// One recording: (envelope correlation, |duration − played| s, played audio held s).
type VoiceStats = (f64, f64, f64);

/// What one email holds: its job (`X-Faxvox-Job`) and the check of its attachment.
struct MailCheck {
    job: Option<String>,
    /// Voicemail: (envelope correlation, |recorded − played| s, played audio held s).
    voice: Option<VoiceStats>,
    result: Result<(), String>,
}

/// Checks one delivered message: a fax has one PDF attachment of one page whose image is the
/// page sent, pixel for pixel; a voicemail an MP3 of the played audio (length and envelope).
fn check_mail(kind: Kind, raw: &[u8], inputs: &Inputs) -> MailCheck {
    let Some(m) = MessageParser::default().parse(raw) else {
        return MailCheck {
            job: None,
            voice: None,
            result: Err("unparsable message".into()),
        };
    };
    let job = m.header_raw("X-Faxvox-Job").map(|j| j.trim().to_string());
    let wanted = match kind {
        Kind::Fax => "application",
        Kind::Voice | Kind::VoiceWav => "audio",
    };
    let Some(att) = m.attachments().find(|a| {
        a.content_type()
            .is_some_and(|c| c.ctype().eq_ignore_ascii_case(wanted))
    }) else {
        return MailCheck {
            job,
            voice: None,
            result: Err(format!(
                "no {wanted}/* attachment (subject {:?})",
                m.subject().unwrap_or_default()
            )),
        };
    };
    let mut voice = None;
    let result = match kind {
        Kind::Fax => check_fax_pdf(att.contents(), &inputs.page.bitmap),
        Kind::Voice | Kind::VoiceWav => {
            let (stats, result) = check_voice(att.contents(), &inputs.played_env);
            voice = stats;
            result
        }
    };
    MailCheck { job, voice, result }
}

/// The PDF has one page and its CCITT G4 image, decoded with our codecs, is `sent`.
fn check_fax_pdf(pdf: &[u8], sent: &Bitmap) -> Result<(), String> {
    let pages = pdf_pages(pdf);
    if pages != 1 {
        return Err(format!("PDF with {pages} pages"));
    }
    let got = pdf_fax_image(pdf)?;
    if (got.width(), got.height()) != (sent.width(), sent.height()) {
        return Err(format!(
            "PDF image {}x{}, page sent {}x{}",
            got.width(),
            got.height(),
            sent.width(),
            sent.height()
        ));
    }
    if &got != sent {
        let y = (0..got.height())
            .find(|&y| got.row(y) != sent.row(y))
            .unwrap_or(0);
        return Err(format!(
            "PDF image differs from the page sent (from row {y})"
        ));
    }
    Ok(())
}

/// The first `/CCITTFaxDecode` image of a PDF written by faxvox (uncompressed object, direct
/// `/Length`), decoded strictly with our G4 decoder, as displayed (set bit = black).
fn pdf_fax_image(pdf: &[u8]) -> Result<Bitmap, String> {
    use faxvox_codecs::ccitt::{self, Coding};
    let at = find(pdf, b"/CCITTFaxDecode").ok_or("no /CCITTFaxDecode image in the PDF")?;
    let obj = pdf[..at]
        .windows(3)
        .rposition(|w| w == b"obj")
        .ok_or("no object header before the image")?;
    let st = at + find(&pdf[at..], b"stream").ok_or("no stream after the image dictionary")?;
    let dict = String::from_utf8_lossy(&pdf[obj..st]);
    let int = |key: &str| -> Result<u32, String> {
        let i = dict
            .find(key)
            .ok_or_else(|| format!("image dictionary without {key}"))?;
        let rest = dict[i + key.len()..].trim_start();
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let after = rest[digits.len()..].trim_start();
        if after.starts_with("0 R") {
            return Err(format!("{key} is an indirect reference"));
        }
        digits
            .parse()
            .map_err(|_| format!("{key} is not a number: {rest:.20}"))
    };
    let (w, h, len) = (int("/Columns")?, int("/Rows")?, int("/Length")? as usize);
    let compact: String = dict.split_whitespace().collect();
    let black_is_1 = compact.contains("/BlackIs1true");
    let inverted = compact.contains("/Decode[10]");
    let mut start = st + b"stream".len();
    if pdf[start..].starts_with(b"\r\n") {
        start += 2;
    } else if pdf[start..].starts_with(b"\n") {
        start += 1;
    }
    let data = pdf
        .get(start..start + len)
        .ok_or("image stream shorter than its /Length")?;
    let stride = w.div_ceil(8) as usize;
    let mut packed = vec![0u8; stride * h as usize];
    let mut y = 0usize;
    let status = ccitt::decode(data, w, h, Coding::G4, true, |changes| {
        ccitt::fill_row_from_changes(&mut packed[y * stride..(y + 1) * stride], w, changes);
        y += 1;
    });
    if let Some(e) = status.error {
        return Err(format!("G4 image: {e} after {} rows", status.rows));
    }
    // BlackIs1 true: the filter gives 1 for coded black, which DeviceGray shows as white.
    if black_is_1 != inverted {
        for b in &mut packed {
            *b = !*b;
        }
    }
    Bitmap::from_packed(w, h, packed).ok_or_else(|| "image size".to_string())
}

/// Decodes the emailed audio and lines it up with the played audio (20 ms envelopes); the
/// recording must correlate (r ≥ [`MIN_CORRELATION`]) and hold the played length
/// (± [`VOICE_LENGTH_TOLERANCE_SECS`]). Returns (r, |length error|, seconds of the played
/// audio held) when the audio decodes, and the verdict (error messages without figures, so they group).
fn check_voice(audio: &[u8], played_env: &[f32]) -> (Option<VoiceStats>, Result<(), String>) {
    let limits = faxvox_codecs::greeting::GreetingLimits {
        max_bytes: 64 << 20,
        max_duration_ms: 3_600_000,
    };
    let rec = match faxvox_codecs::greeting::decode_greeting_with(audio, &limits) {
        Ok(rec) => rec,
        Err(e) => return (None, Err(format!("audio does not decode: {e}"))),
    };
    let rec_s = rec.len() as f64 / 8000.0;
    let (lag_ms, r) = align(played_env, &support::peers::envelope(&rec));
    // The verdict is on the attachment's duration (the rule). Beside it, how much of
    // the played audio the recording holds: lag > 0, it misses the first lag ms; lag < 0, it
    // starts with −lag ms of silence (the caller's reaction to the beep); either way the
    // played audio it holds lasts rec_s + lag, short of 10 s when the end was cut.
    let held = rec_s + f64::from(lag_ms) / 1000.0;
    let len_err = (rec_s - f64::from(VOICE_SECS)).abs();
    let verdict = if r < MIN_CORRELATION {
        Err(format!(
            "audio does not match the played audio (envelope r < {MIN_CORRELATION})"
        ))
    } else if len_err > VOICE_LENGTH_TOLERANCE_SECS {
        Err(format!(
            "recording is not the played {VOICE_SECS} s (off by more than {VOICE_LENGTH_TOLERANCE_SECS} s)"
        ))
    } else {
        Ok(())
    };
    (Some((r, len_err, held)), verdict)
}

/// Best lag (ms; negative: the recording leads with silence) and normalised correlation of
/// two 20 ms envelopes, within ± [`MAX_ALIGN_MS`].
fn align(played: &[f32], rec: &[f32]) -> (i32, f64) {
    let max = (MAX_ALIGN_MS / 20) as usize;
    let mut best = (0i32, f64::MIN);
    for lag in 0..=max.min(played.len().saturating_sub(1)) {
        let c = ncc(&played[lag..], rec);
        if c > best.1 {
            best = (lag as i32 * 20, c);
        }
    }
    for lead in 1..=max.min(rec.len().saturating_sub(1)) {
        let c = ncc(played, &rec[lead..]);
        if c > best.1 {
            best = (-(lead as i32) * 20, c);
        }
    }
    best
}

/// Normalised cross-correlation over the overlap.
fn ncc(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len());
    if n < 10 {
        return 0.0;
    }
    let (a, b) = (&a[..n], &b[..n]);
    let ma = a.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
    let mb = b.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
    let (mut num, mut da, mut db) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x) - ma, f64::from(y) - mb);
        num += x * y;
        da += x * x;
        db += y * y;
    }
    if da == 0.0 || db == 0.0 {
        0.0
    } else {
        num / (da * db).sqrt()
    }
}

/// Renders a PDF with poppler at the page's resolution and compares it with the page sent:
/// the cross-check of [`pdf_fax_image`] (page size, extraction, BlackIs1), once per step.
fn poppler_check(pdf: &[u8], page: &Page, dir: &Path) -> Result<(), String> {
    let pdftoppm = Path::new("/usr/bin/pdftoppm");
    if !pdftoppm.exists() {
        return Err("no /usr/bin/pdftoppm (poppler-utils)".into());
    }
    let pages = support::poppler::render_pdf_at(
        pdftoppm,
        pdf,
        dir,
        "poppler-check",
        &page.resolution.x_dpi.to_string(),
        &page.resolution.y_dpi.to_string(),
    );
    match pages.as_slice() {
        [one] if one == &page.bitmap => Ok(()),
        [one] => Err(format!(
            "poppler renders {}x{}, not the {}x{} page sent",
            one.width(),
            one.height(),
            page.bitmap.width(),
            page.bitmap.height()
        )),
        more => Err(format!("poppler renders {} pages", more.len())),
    }
}

struct Inputs {
    fax_doc: PathBuf,
    page: Page,
    voice_wav: PathBuf,
    /// 20 ms envelope of the audio played into the voicemail line.
    played_env: Vec<f32>,
}

fn run_step(site: &mut Site, inputs: &Inputs, kind: Kind, n: u32, deadline: Instant) -> Step {
    let work = site.gw.path().join(format!("step-{}-{n}", kind.name()));
    fs::create_dir_all(&work).unwrap();
    let mail_seen = site.mails().last().map(|m| m.0).unwrap_or(0);
    let load_start = loadavg();
    let log_from = site.log_len();
    let ns = n.to_string();
    let mut args: Vec<String> = vec!["call".into(), kind.call().into()];
    args.extend([
        "--to".into(),
        site.uri(match kind {
            Kind::Fax => FAX_NUMBER,
            Kind::Voice | Kind::VoiceWav => VOICE_NUMBER,
        }),
    ]);
    match kind {
        Kind::Fax => args.extend([
            "--file".into(),
            inputs.fax_doc.display().to_string(),
            "--no-t38".into(),
        ]),
        Kind::Voice | Kind::VoiceWav => args.extend([
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
    let mut cmd = wrapped(&site.bin, &args, Some(&times), site.pins.caller.as_deref());
    site.env(&mut cmd);
    cmd.env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap());

    let core = site.pins.gateway_core();
    let gw0 = site.gw_cpu();
    let m0 = machine_ticks();
    let c0 = core.as_deref().map(cpu_ticks);
    let t0 = Instant::now();
    let mut child = cmd.spawn().expect("spawn faxvox call");
    let (stop, sampler) = sampler(site.gw_pid.clone(), child.id().to_string());
    let status = child.wait().expect("wait for faxvox call");
    let wall_secs = t0.elapsed().as_secs_f64();
    let gw1 = site.gw_cpu();
    let m1 = machine_ticks();
    let c1 = core.as_deref().map(cpu_ticks);

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
        site.mails()
            .into_iter()
            .filter(|m| m.0 > mail_seen)
            .map(|m| m.1)
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

    let load_end = loadavg();

    // The checks: every email's attachment, and its hang-up → acceptance latency.
    let new_mail = fresh(site);
    let ends: HashMap<String, f64> = site
        .gw
        .call_times()
        .into_iter()
        .filter_map(|c| {
            let unix = c.ended?.duration_since(std::time::UNIX_EPOCH).ok()?;
            Some((c.job_id?, unix.as_secs_f64()))
        })
        .collect();
    let mut mails_good = 0;
    let mut bad: BTreeMap<String, u32> = BTreeMap::new();
    let mut latencies = Vec::new();
    let mut unmatched = 0;
    let mut voice_stats = Vec::new();
    for (i, p) in new_mail.iter().enumerate() {
        let raw = fs::read(p).unwrap_or_default();
        let check = check_mail(kind, &raw, inputs);
        match check.result {
            Ok(()) => mails_good += 1,
            Err(e) => *bad.entry(e).or_insert(0) += 1,
        }
        if let Some(v) = check.voice {
            voice_stats.push(v);
        }
        let accepted = fs::read(p.with_extension("json"))
            .ok()
            .and_then(|j| serde_json::from_slice::<Value>(&j).ok())
            .and_then(|j| j["accepted_unix"].as_f64());
        match (check.job.and_then(|j| ends.get(&j).copied()), accepted) {
            (Some(end), Some(acc)) => latencies.push(acc - end),
            _ => unmatched += 1,
        }
        if i == 0 && kind == Kind::Fax {
            let pdf = MessageParser::default().parse(&raw[..]).and_then(|m| {
                m.attachments()
                    .find(|a| {
                        a.content_type()
                            .is_some_and(|c| c.ctype().eq_ignore_ascii_case("application"))
                    })
                    .map(|a| a.contents().to_vec())
            });
            if let Some(pdf) = pdf {
                if let Err(e) = poppler_check(&pdf, &inputs.page, &work) {
                    *bad.entry(format!("first PDF, poppler: {e}")).or_insert(0) += 1;
                }
            }
        }
    }
    if unmatched > 0 {
        note.push_str(&format!(
            " {unmatched} emails not matched to a call's hang-up"
        ));
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
    let gw_core_busy_pct = match (c0, c1) {
        (Some(a), Some(b)) => Some(100.0 * (b.0 - a.0) as f64 / (b.1 - a.1).max(1) as f64),
        _ => None,
    };
    let correct =
        ok == n && new_mail.len() == n as usize && mails_good == n as usize && bad.is_empty();
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
        gw_core_busy_pct,
        delivery_secs,
        mails: new_mail.len(),
        mails_good,
        bad_mails: bad,
        latencies,
        voice_stats,
        load_start,
        load_end,
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
    let latency = s.latency();
    json!({
        "kind": s.kind.name(),
        "calls": s.n,
        "calls_placed": s.n,
        "ok": s.ok,
        "failed": s.failed,
        "correct": s.correct,
        "emails_correct": s.mails_good,
        "bad_emails": s.bad_mails,
        "load_avg_start": s.load_start,
        "load_avg_end": s.load_end,
        "gateway_core_busy_pct": s.gw_core_busy_pct,
        "hangup_to_email_accepted_secs": latency.map(|(p50, p99, max)| json!({
            "p50": p50, "p99": p99, "max": max, "matched": s.latencies.len(),
            "clock": "gateway call record (answered + duration_ms) vs SMTP sink time.time(), same host wall clock",
        })),
        "voice_audio": s.voice_summary().map(|v| json!({
            "decoded": s.voice_stats.len(),
            "correlation_min": v.0, "correlation_median": v.1,
            "length_error_secs_median": v.2, "length_error_secs_max": v.3,
            "played_audio_held_secs_min": v.4, "played_audio_held_secs_median": v.5,
        })),
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
        "gateway_vs_bare_spandsp_rx_goal": if s.kind == Kind::Fax { json!(GOAL_VS_BARE) } else { Value::Null },
        "voice_gateway_cpu_per_channel_sec": if s.kind.is_voice() { json!(s.gw_cpu_per_chan_sec()) } else { Value::Null },
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
    let voice_wav_steps = steps_from_env("FAXVOX_BENCH_VOICE_WAV_STEPS", DEFAULT_VOICE_WAV_STEPS);
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
    let pins = Pins::from_env(cores);
    let keep_going = !matches!(std::env::var("FAXVOX_BENCH_KEEP_GOING").as_deref(), Ok("0"));
    println!(
        "gateway_load: {} ({cores} cores), folder {}, open-file limit for children {nofile}, cap {max_secs} s",
        bin.display(),
        dir.display()
    );
    println!(
        "pinning: gateway and bare spandsp on CPU {}, callers and SMTP sink on CPU {}; load average {}",
        pins.gateway.as_deref().unwrap_or("any"),
        pins.caller.as_deref().unwrap_or("any"),
        loadavg()
    );

    // Inputs.
    let page = fax_page();
    let fax_doc = dir.join("page.tif");
    fs::write(&fax_doc, write_g4_tiff(std::slice::from_ref(&page))).unwrap();
    let voice_wav = dir.join("speech.wav");
    let wav = speech_wav(VOICE_SECS);
    fs::write(&voice_wav, &wav).unwrap();
    let played: Vec<i16> = wav[44..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let inputs = Inputs {
        fax_doc,
        page,
        voice_wav,
        played_env: support::peers::envelope(&played),
    };

    // Baselines, on the gateway's core (the bench is single-threaded until the gateway runs).
    let restore = pins.gateway.as_deref().and_then(pin_self);
    println!(
        "bare spandsp baselines on CPU {}",
        cpus_allowed(&std::process::id().to_string())
    );
    let bare = bare_spandsp(&inputs.fax_doc, &dir, tck, 20);
    let bare_rx_per_sec = bare.rx_cpu / bare.fax_secs;
    let bare_both_per_sec = bare.both_cpu / bare.fax_secs;
    println!(
        "bare spandsp: {:.1} s fax; receiver alone {:.4} CPU s ({:.0}x real time; median round {:.4} s), both ends {:.4} CPU s ({:.0}x)",
        bare.fax_secs,
        bare.rx_cpu,
        1.0 / bare_rx_per_sec,
        bare.rx_cpu_median,
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
        let out = wrapped(&bin, &args, Some(&t), pins.gateway.as_deref())
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

    if let Some(before) = restore {
        pin_self(&before);
    }

    // The gateway.
    let mut site = Site::new(bin.clone(), &dir, tck, pins.clone());
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
        "faxvox serve pid {} on {} (rtp_ports {RTP_PORTS}, max_calls {MAX_CALLS}), runs on CPU {}; SMTP sink on port {}",
        site.gw_pid,
        site.uri(""),
        cpus_allowed(&site.gw_pid),
        site.sink.port
    );

    let mut steps: Vec<Step> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    for (kind, ladder) in [
        (Kind::Fax, &fax_steps),
        (Kind::Voice, &voice_steps),
        (Kind::VoiceWav, &voice_wav_steps),
    ] {
        if kind == Kind::VoiceWav && !ladder.is_empty() && site.alive() {
            // The same installation, restarted with WAV attachments: the hang-up → email
            // latency without the MP3 encoder, in the same run as with it.
            site.stop();
            site.gw.set("FAXVOX_DELIVERY_VOICEMAIL_FORMAT", "wav");
            site.start();
            println!(
                "faxvox serve restarted with delivery.voicemail_format = \"wav\" (pid {}, CPU {})",
                site.gw_pid,
                cpus_allowed(&site.gw_pid)
            );
        }
        // Estimated seconds per step: call length + delivery per message, from the last step.
        let (mut call_est, mut per_mail_est) = match kind {
            Kind::Fax => (40.0, 0.05),
            Kind::Voice | Kind::VoiceWav => (25.0, 0.05),
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
            println!("-- {} x{n} … (load average {})", kind.name(), loadavg());
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
            println!(
                "   placed {}, ok {}, emails correct {}/{}{}{}; gateway core busy {}; load average {} → {}",
                s.n,
                s.ok,
                s.mails_good,
                s.n,
                match s.latency() {
                    Some((p50, p99, max)) => format!(
                        ", hang-up → email accepted p50 {p50:.2} s p99 {p99:.2} s max {max:.2} s ({} matched)",
                        s.latencies.len()
                    ),
                    None => String::new(),
                },
                match s.voice_summary() {
                    Some((rmin, rmed, emed, emax, hmin, hmed)) => format!(
                        ", audio of {}: r min {rmin:.2} median {rmed:.2}, length error median {emed:.2} s max {emax:.2} s, played audio held min {hmin:.2} s median {hmed:.2} s",
                        s.voice_stats.len()
                    ),
                    None => String::new(),
                },
                s.gw_core_busy_pct
                    .map(|p| format!("{p:.0}%"))
                    .unwrap_or("-".into()),
                s.load_start,
                s.load_end
            );
            call_est = s.wall_secs.max(10.0) * 1.5;
            per_mail_est = if s.mails > 0 {
                (s.delivery_secs / s.mails as f64).max(0.01) * 1.3
            } else {
                per_mail_est
            };
            let correct = s.correct;
            steps.push(s);
            if !correct && !keep_going {
                break;
            }
        }
    }
    let alive = site.alive();
    site.stop();

    // Table.
    println!();
    println!(
        "{:<9} {:>5} {:>5} {:>5} {:>7} {:>7} {:>8} {:>8} {:>8} {:>7} {:>9} {:>8} {:>9} {:>7} {:>6} {:>9} {:>6} {:>6} {:>6}  load start → end",
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
        "gw RSS MB",
        "core%",
        "p50 s",
        "p99 s",
    );
    for s in &steps {
        println!(
            "{:<9} {:>5} {:>5} {:>5} {:>7.1} {:>7.1} {:>8.1} {:>8.1} {:>8.0} {:>7.4} {:>9} {:>8.1} {:>9} {:>7} {:>6} {:>9.0} {:>6} {:>6} {:>6}  {} → {}",
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
            s.peaks.gw_rss_kib as f64 / 1024.0,
            s.gw_core_busy_pct
                .map(|p| format!("{p:.0}"))
                .unwrap_or("-".into()),
            s.latency()
                .map(|l| format!("{:.2}", l.0))
                .unwrap_or("-".into()),
            s.latency()
                .map(|l| format!("{:.2}", l.1))
                .unwrap_or("-".into()),
            s.load_start,
            s.load_end
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
        "\nall correct up to: fax {} simultaneous (target 500), voicemail {} (target 2000), voicemail with WAV {}",
        best(Kind::Fax),
        best(Kind::Voice),
        best(Kind::VoiceWav)
    );
    for k in [Kind::Fax, Kind::Voice, Kind::VoiceWav] {
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
    // The figures, step by step.
    for s in &steps {
        let per = s.gw_cpu_per_chan_sec();
        let cpu = match s.kind {
            Kind::Fax => format!(
                "gateway CPU per fax channel-second {per:.5} = {:.2}x the bare receiver (goal <= {GOAL_VS_BARE})",
                per / bare_rx_per_sec
            ),
            Kind::Voice | Kind::VoiceWav => {
                format!("gateway CPU per voicemail channel-second {per:.5}")
            }
        };
        let lat = match s.latency() {
            Some((p50, p99, _)) if s.kind.is_voice() => format!(
                "; hang-up → email accepted p50 {p50:.2} s, p99 {p99:.2} s (goal p99 < {GOAL_LATENCY_P99_SECS} s at 500)"
            ),
            _ => String::new(),
        };
        println!(
            "{} x{}: placed {}, ok {}, emails correct {}/{} ({}); {cpu}{lat}; load {} → {}",
            s.kind.name(),
            s.n,
            s.n,
            s.ok,
            s.mails_good,
            s.n,
            if s.correct { "CORRECT" } else { "NOT correct" },
            s.load_start,
            s.load_end
        );
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
        "machine": { "cores": cores, "clk_tck": tck, "nofile_hard": nofile, "load_avg_end": loadavg() },
        "pinning": { "gateway_cpu": pins.gateway, "caller_cpu": pins.caller, "smtp_sink_cpu": pins.caller, "bare_spandsp_cpu": pins.gateway },
        "delivery": "SMTP to aiosmtpd (tests/it/support/smtp_sink.py --lean)",
        "max_secs": max_secs,
        "total_secs": started.elapsed().as_secs_f64(),
        "gateway": { "rtp_ports": RTP_PORTS, "max_calls": MAX_CALLS, "alive_at_end": alive },
        "baseline": {
            "fax_secs": bare.fax_secs,
            "bare_rx_cpu_secs": bare.rx_cpu,
            "bare_rx_cpu_secs_median_round": bare.rx_cpu_median,
            "clock": "thread CPU time (CLOCK_THREAD_CPUTIME_ID), fastest of 20 rounds, on the gateway's core",
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
        "max_all_correct": { "fax": best(Kind::Fax), "voice": best(Kind::Voice), "voice_wav": best(Kind::VoiceWav) },
        "not_run": skipped,
    });
    fs::write(&out_json, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("written {}", out_json.display());
    if keep {
        site.gw.dir.disable_cleanup(true);
        site.sink.dir.disable_cleanup(true);
        let kept = tmp.keep();
        println!("kept {}", kept.display());
    }
}
