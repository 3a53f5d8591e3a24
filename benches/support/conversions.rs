//! What the conversion benchmarks share: generated fax pages, whether a reference tool is
//! installed, and whole-process timings of our command against the reference, interleaved so
//! both see the same machine load.

use std::process::Command;
use std::time::{Duration, Instant};

use faxvox_codecs::{Bitmap, Page, Resolution};

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// A page that compresses like typed text: lines of "words" made of glyph-sized strokes, a
/// ruled table and a header bar.
pub fn text_page(seed: u64) -> Page {
    let (w, h) = (1728u32, 2292u32);
    let mut b = Bitmap::new(w, h);
    let mut rng = Lcg(seed);
    // Glyph shapes: 12x20 cells of a few strokes.
    let glyphs: Vec<Vec<(u32, u32, u32, u32)>> = (0..40)
        .map(|_| {
            (0..3)
                .map(|_| {
                    let vertical = rng.next().is_multiple_of(2);
                    let x = (rng.next() % 10) as u32;
                    let y = (rng.next() % 16) as u32;
                    if vertical {
                        (x, y.min(6), 2, 14)
                    } else {
                        (x.min(2), y, 10, 2)
                    }
                })
                .collect()
        })
        .collect();
    b.fill_rect(100, 80, 1528, 40);
    let mut y = 200;
    while y + 24 < h - 300 {
        let mut x = 110;
        while x < w - 140 {
            let word = 2 + rng.next() % 9;
            for _ in 0..word {
                let g = &glyphs[(rng.next() % glyphs.len() as u64) as usize];
                for &(gx, gy, gw, gh) in g {
                    b.fill_rect(x + gx, y + gy, gw, gh);
                }
                x += 14;
            }
            x += 14;
        }
        y += if rng.next().is_multiple_of(12) {
            80
        } else {
            40
        };
    }
    // A ruled table at the bottom.
    for i in 0..6 {
        b.fill_rect(100, h - 280 + i * 40, 1528, 2);
    }
    for i in 0..5 {
        b.fill_rect(100 + i * 382, h - 280, 2, 200);
    }
    Page {
        bitmap: b,
        resolution: Resolution::FINE,
    }
}

/// `n` fine-resolution text pages.
pub fn text_pages(n: u64) -> Vec<Page> {
    (1..=n).map(text_page).collect()
}

/// Whether `tool` is on the PATH.
pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Runs `cmd` to completion and panics with its stderr if it fails.
pub fn run(cmd: &mut Command) {
    let out = cmd.output().expect("start process");
    assert!(
        out.status.success(),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// CPU time (user + system) of this process's waited-for children so far, to the
/// microsecond (`getrusage(RUSAGE_CHILDREN)`; /proc's clock ticks are 10 ms).
fn children_cpu() -> Duration {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given and nothing else.
    let ok = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, ru.as_mut_ptr()) } == 0;
    if !ok {
        return Duration::ZERO;
    }
    // SAFETY: zero-initialised, then filled by the successful call above.
    let ru = unsafe { ru.assume_init() };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Whole-process figures of one command.
#[derive(Clone, Copy, Debug)]
pub struct ProcessFigures {
    /// Median wall time of one run.
    pub wall: Duration,
    /// Mean CPU time (user + system) of one run.
    pub cpu: Duration,
}

/// Runs `ours` and `theirs` alternately `n` times each (after one warm-up run of each) and
/// returns their figures: alternating puts both under the same load.
pub fn compare_processes(
    n: usize,
    mut ours: impl FnMut(),
    mut theirs: impl FnMut(),
) -> (ProcessFigures, ProcessFigures) {
    ours();
    theirs();
    let (mut wo, mut wt) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut co, mut ct) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..n {
        let (c, t) = (children_cpu(), Instant::now());
        ours();
        wo.push(t.elapsed());
        co += children_cpu() - c;
        let (c, t) = (children_cpu(), Instant::now());
        theirs();
        wt.push(t.elapsed());
        ct += children_cpu() - c;
    }
    wo.sort();
    wt.sort();
    let per = |d: Duration| d / n.max(1) as u32;
    (
        ProcessFigures {
            wall: wo[n / 2],
            cpu: per(co),
        },
        ProcessFigures {
            wall: wt[n / 2],
            cpu: per(ct),
        },
    )
}

/// Milliseconds, for the summaries.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The machine's load averages, printed beside every figure.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
