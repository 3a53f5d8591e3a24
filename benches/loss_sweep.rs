//! Our T.30 recovery from lost packets against upstream spandsp's engine, in the same run.
//!
//! Criterion times one 3-page ECM `fax-sim` call over G.711 on a clean link for each engine
//! (`ours`: the patches of spandsp-sys/PATCHES.md and 10 tries of a command; `upstream`: the
//! patches switched off with `SimOptions::loss_recovery`, 3 tries). Then, outside criterion's
//! timing, the loss sweep: the same document over G.711 at 0.5, 1 and 2 % random loss each way
//! and over T.38 (UDPTL, 3 redundant IFPs) at 5, 10 and 20 %, 20 seeds each, both engines on
//! the same seeds; a call counts when both sides succeed and every page arrives pixel-exact.
//! The table ("ours N/20, upstream M/20") is printed and written with every failure to
//! `target/loss_sweep.json`.
//!
//! `cargo bench --bench loss_sweep` (release; `--profile dev` reuses the test build). The sweep
//! is 240 calls, about 20 000 s of simulated calls: 19 s of wall time in release, 130 s in a
//! dev build, on a loaded machine. It runs only under `cargo bench` (not
//! when `cargo test --benches` runs the bench once as a test).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use faxvox::call::sim::{simulate, SimOptions, SimOutcome, SimTransport};
use faxvox_codecs::g711::Law;
use faxvox_codecs::{tiff, Bitmap, Page, Resolution};
use serde::Serialize;

/// Seeds per loss rate and engine.
const SEEDS: u64 = 20;
/// G.711 loss rates, percent each way.
const G711_LOSS: [f64; 3] = [0.5, 1.0, 2.0];
/// T.38 loss rates, percent each way.
const T38_LOSS: [f64; 3] = [5.0, 10.0, 20.0];

/// A text-like standard-resolution A4 page whose words and barcode depend on `seed`.
fn page(seed: u64) -> Page {
    let mut b = Bitmap::new(1728, 1146);
    let mut x: u64 = 0x2545_f491_4f6c_dd1d ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut rnd = |n: u32| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % u64::from(n)) as u32
    };
    b.fill_rect(40, 20, 1648, 3);
    b.fill_rect(40, 1123, 1648, 3);
    for bit in 0..16 {
        if seed >> bit & 1 == 1 {
            b.fill_rect(120 + bit * 40, 40, 20, 10);
        }
    }
    let mut y = 60;
    while y < 1000 {
        let mut col = 100;
        while col < 1580 {
            for _ in 0..2 + rnd(8) {
                let w = 8 + rnd(6);
                let h = 8 + rnd(5);
                b.fill_rect(col, y + 12 - h, w, h);
                col += w + 3;
            }
            col += 12 + rnd(10);
        }
        y += 22;
    }
    Page {
        bitmap: b,
        resolution: Resolution::STANDARD,
    }
}

/// Which engine both sides run.
#[derive(Clone, Copy)]
enum Engine {
    Ours,
    Upstream,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Ours => "ours",
            Engine::Upstream => "upstream",
        }
    }
}

fn options(transport: SimTransport, loss_pct: f64, seed: u64, engine: Engine) -> SimOptions {
    SimOptions {
        transport,
        loss_pct,
        seed,
        loss_recovery: matches!(engine, Engine::Ours),
        ..Default::default()
    }
}

/// One call into a fresh folder under `dir`.
fn call(doc: &Path, dir: &Path, opts: &SimOptions) -> (SimOutcome, tempfile::TempDir) {
    let rx = tempfile::tempdir_in(dir).unwrap();
    let out = simulate(doc, rx.path(), opts).expect("simulation runs");
    (out, rx)
}

/// Both sides succeeded and every page arrived exactly as sent.
fn pixel_exact(out: &SimOutcome, sent: &[Page]) -> bool {
    out.receiver.success
        && out.sender.success
        && out.receiver.tiff.as_deref().is_some_and(|t| {
            let Ok(got) = std::fs::read(t)
                .map_err(drop)
                .and_then(|b| tiff::read_pages(&b).map_err(drop))
            else {
                return false;
            };
            got.pages.len() == sent.len()
                && got
                    .pages
                    .iter()
                    .zip(sent)
                    .all(|(g, s)| g.bitmap == s.bitmap)
        })
}

/// A call that did not deliver pixel-exact.
#[derive(Serialize)]
struct Failure {
    seed: u64,
    receiver: String,
    sender: String,
    pages_received: u32,
    simulated_s: f64,
}

/// One engine at one loss rate.
#[derive(Serialize)]
struct EngineResult {
    exact: u32,
    of: u32,
    /// Mean simulated call time of the exact deliveries.
    mean_simulated_s: f64,
    /// Wall time of all the engine's calls at this rate.
    wall_s: f64,
    failures: Vec<Failure>,
}

#[derive(Serialize)]
struct Row {
    transport: &'static str,
    loss_pct: f64,
    ours: EngineResult,
    upstream: EngineResult,
}

#[derive(Serialize)]
struct Summary {
    pages: usize,
    ecm: bool,
    seeds: u64,
    rows: Vec<Row>,
    /// Calls simulated, seconds simulated and wall seconds of the whole sweep.
    calls: u32,
    simulated_s: f64,
    wall_s: f64,
    /// /proc/loadavg at the start and end of the sweep (other work on the machine).
    load_before: String,
    load_after: String,
}

fn sweep_rate(
    doc: &Path,
    dir: &Path,
    sent: &[Page],
    transport: SimTransport,
    loss_pct: f64,
    engine: Engine,
    simulated_total: &mut f64,
) -> EngineResult {
    let wall = Instant::now();
    let mut exact = 0;
    let mut exact_simulated = 0.0;
    let mut failures = Vec::new();
    for seed in 1..=SEEDS {
        let (out, _rx) = call(doc, dir, &options(transport, loss_pct, seed, engine));
        *simulated_total += out.simulated_s;
        if pixel_exact(&out, sent) {
            exact += 1;
            exact_simulated += out.simulated_s;
        } else {
            failures.push(Failure {
                seed,
                receiver: out.receiver.result_text.clone(),
                sender: out.sender.result_text.clone(),
                pages_received: out.receiver.pages,
                simulated_s: out.simulated_s,
            });
        }
    }
    EngineResult {
        exact,
        of: SEEDS as u32,
        mean_simulated_s: if exact > 0 {
            exact_simulated / f64::from(exact)
        } else {
            0.0
        },
        wall_s: wall.elapsed().as_secs_f64(),
        failures,
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn sweep(doc: &Path, dir: &Path, sent: &[Page]) -> Summary {
    let load_before = loadavg();
    let wall = Instant::now();
    let mut simulated = 0.0;
    let mut rows = Vec::new();
    let rates = G711_LOSS
        .iter()
        .map(|&l| ("g711", SimTransport::G711(Law::Ulaw), l))
        .chain(T38_LOSS.iter().map(|&l| ("t38", SimTransport::T38, l)));
    for (name, transport, loss_pct) in rates {
        let mut run =
            |engine| sweep_rate(doc, dir, sent, transport, loss_pct, engine, &mut simulated);
        let ours = run(Engine::Ours);
        let upstream = run(Engine::Upstream);
        println!(
            "{name} ecm {} pages, {loss_pct:>4} % loss: ours {:>2}/{SEEDS}, upstream {:>2}/{SEEDS}   \
             (mean call {:.0} s / {:.0} s simulated; wall {:.1} s / {:.1} s)",
            sent.len(),
            ours.exact,
            upstream.exact,
            ours.mean_simulated_s,
            upstream.mean_simulated_s,
            ours.wall_s,
            upstream.wall_s,
        );
        rows.push(Row {
            transport: name,
            loss_pct,
            ours,
            upstream,
        });
    }
    let calls = rows.len() as u32 * 2 * SEEDS as u32;
    Summary {
        pages: sent.len(),
        ecm: true,
        seeds: SEEDS,
        rows,
        calls,
        simulated_s: simulated,
        wall_s: wall.elapsed().as_secs_f64(),
        load_before,
        load_after: loadavg(),
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let sent: Vec<Page> = (1..=3).map(page).collect();
    let doc = dir.path().join("doc.tif");
    std::fs::write(&doc, tiff::write_g4_tiff(&sent)).unwrap();

    // A clean link: both engines must deliver, and the patches must cost nothing there.
    let mut group = c.benchmark_group("g711_3_pages_clean");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for engine in [Engine::Ours, Engine::Upstream] {
        let opts = options(SimTransport::G711(Law::Ulaw), 0.0, 1, engine);
        let (out, _rx) = call(&doc, dir.path(), &opts);
        assert!(
            pixel_exact(&out, &sent),
            "{}: {:?}",
            engine.name(),
            out.receiver
        );
        group.bench_function(engine.name(), |b| {
            b.iter(|| black_box(call(&doc, dir.path(), &opts)))
        });
    }
    group.finish();

    // The sweep counts outcomes, it is not a timing: only under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("\nloss sweep: {SEEDS} seeds per rate and engine, same seeds and document for both");
    let summary = sweep(&doc, dir.path(), &sent);
    println!(
        "{} calls, {:.0} s simulated in {:.1} s wall (x{:.0}); load {} -> {}",
        summary.calls,
        summary.simulated_s,
        summary.wall_s,
        summary.simulated_s / summary.wall_s,
        summary.load_before,
        summary.load_after
    );
    let out: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/loss_sweep.json");
    let json = serde_json::to_string_pretty(&summary).unwrap();
    match std::fs::write(&out, json) {
        Ok(()) => println!("written to {}", out.display()),
        Err(e) => eprintln!("cannot write {}: {e}", out.display()),
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
