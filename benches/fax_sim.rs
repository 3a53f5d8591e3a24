//! One-page fax calls, timed: `fax-sim` over G.711/RTP and T.38/UDPTL against bare spandsp
//! loops (two engines handing each other samples or IFPs directly: no RTP, no reorder buffer,
//! no UDPTL, no session layer). The ratio of real-time factors is faxvox's overhead.
//!
//! `cargo bench --bench fax_sim` (release). Criterion times each call; a summary table with
//! simulated seconds, wall seconds, real-time factors and the overhead ratios follows.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use faxvox::call::sim::{simulate, SimOptions, SimTransport};
use faxvox::fax::spandsp::{
    AudioFax, Document, Modems, T30Event, T30Setup, T38Options, T38Terminal,
};
use faxvox_codecs::g711::Law;
use faxvox_codecs::{tiff, Bitmap, Page, Resolution};

/// A text-like standard-resolution A4 page (deterministic).
fn page() -> Page {
    let mut b = Bitmap::new(1728, 1146);
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rnd = |n: u32| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % u64::from(n)) as u32
    };
    b.fill_rect(40, 20, 1648, 3);
    b.fill_rect(40, 1123, 1648, 3);
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

fn setup<'a>(ident: &'a str, document: Document<'a>) -> T30Setup<'a> {
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

fn finished(ev: Option<T30Event>, done: &mut Option<i32>) {
    if let Some(T30Event::PhaseE { code, .. }) = ev {
        *done = Some(code);
    }
}

/// Two audio fax engines exchanging 20 ms blocks directly. Returns simulated seconds.
fn bare_audio(doc: &Path, dir: &Path) -> f64 {
    let rx_path = dir.join("bare-audio-rx.tif");
    let mut tx = AudioFax::new(true, &setup("TX", Document::Transmit(doc)), "bare-tx").unwrap();
    let mut rx =
        AudioFax::new(false, &setup("RX", Document::Receive(&rx_path)), "bare-rx").unwrap();
    let (mut a, mut b) = ([0i16; 160], [0i16; 160]);
    let (mut tx_done, mut rx_done) = (None, None);
    let mut frames = 0u64;
    while (tx_done.is_none() || rx_done.is_none()) && frames < 30_000 {
        tx.tx(&mut a);
        rx.tx(&mut b);
        rx.rx(&a);
        tx.rx(&b);
        while let Some(e) = tx.next_event() {
            finished(Some(e), &mut tx_done);
        }
        while let Some(e) = rx.next_event() {
            finished(Some(e), &mut rx_done);
        }
        frames += 1;
    }
    assert_eq!(
        (tx_done, rx_done),
        (Some(0), Some(0)),
        "bare audio call failed"
    );
    frames as f64 * 0.02
}

/// Two T.38 terminals exchanging IFPs directly every 20 ms. Returns simulated seconds.
fn bare_t38(doc: &Path, dir: &Path) -> f64 {
    let rx_path = dir.join("bare-t38-rx.tif");
    let o = T38Options::default();
    let mut tx = T38Terminal::new(true, &setup("TX", Document::Transmit(doc)), &o, "t-tx").unwrap();
    let mut rx =
        T38Terminal::new(false, &setup("RX", Document::Receive(&rx_path)), &o, "t-rx").unwrap();
    let (mut tx_done, mut rx_done) = (None, None);
    let (mut s1, mut s2) = (0u16, 0u16);
    let mut frames = 0u64;
    while (tx_done.is_none() || rx_done.is_none()) && frames < 30_000 {
        tx.advance(160);
        rx.advance(160);
        while let Some((ifp, _)) = tx.next_packet() {
            rx.rx_ifp(s1, &ifp);
            s1 = s1.wrapping_add(1);
        }
        while let Some((ifp, _)) = rx.next_packet() {
            tx.rx_ifp(s2, &ifp);
            s2 = s2.wrapping_add(1);
        }
        while let Some(e) = tx.next_event() {
            finished(Some(e), &mut tx_done);
        }
        while let Some(e) = rx.next_event() {
            finished(Some(e), &mut rx_done);
        }
        frames += 1;
    }
    assert_eq!(
        (tx_done, rx_done),
        (Some(0), Some(0)),
        "bare t38 call failed"
    );
    frames as f64 * 0.02
}

fn sim(doc: &Path, dir: &Path, transport: SimTransport, loss: f64) -> f64 {
    let out = simulate(
        doc,
        dir,
        &SimOptions {
            transport,
            loss_pct: loss,
            seed: 3,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        out.receiver.success && out.sender.success,
        "{:?}",
        out.receiver
    );
    out.simulated_s
}

struct Case {
    name: &'static str,
    run: Box<dyn Fn() -> f64>,
}

fn cases(doc: PathBuf, dir: PathBuf) -> Vec<Case> {
    let d = (doc.clone(), dir.clone());
    let mut v: Vec<Case> = Vec::new();
    {
        let (doc, dir) = d.clone();
        v.push(Case {
            name: "bare_spandsp_audio",
            run: Box::new(move || bare_audio(&doc, &dir)),
        });
    }
    {
        let (doc, dir) = d.clone();
        v.push(Case {
            name: "fax_sim_g711",
            run: Box::new(move || sim(&doc, &dir, SimTransport::G711(Law::Ulaw), 0.0)),
        });
    }
    {
        let (doc, dir) = d.clone();
        v.push(Case {
            name: "bare_spandsp_t38",
            run: Box::new(move || bare_t38(&doc, &dir)),
        });
    }
    {
        let (doc, dir) = d.clone();
        v.push(Case {
            name: "fax_sim_t38",
            run: Box::new(move || sim(&doc, &dir, SimTransport::T38, 0.0)),
        });
    }
    {
        let (doc, dir) = d;
        v.push(Case {
            name: "fax_sim_t38_loss5",
            run: Box::new(move || sim(&doc, &dir, SimTransport::T38, 5.0)),
        });
    }
    v
}

/// Median wall time over `n` runs and the simulated seconds of one run.
fn measure(case: &Case, n: usize) -> (f64, Duration) {
    let mut walls = Vec::with_capacity(n);
    let mut simulated = 0.0;
    for _ in 0..n {
        let t = Instant::now();
        simulated = black_box((case.run)());
        walls.push(t.elapsed());
    }
    walls.sort();
    (simulated, walls[n / 2])
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("doc.tif");
    std::fs::write(&doc, tiff::write_g4_tiff(&[page()])).unwrap();
    let cases = cases(doc, dir.path().to_path_buf());

    let mut group = c.benchmark_group("one_page_fax_call");
    group.sample_size(10);
    for case in &cases {
        group.bench_function(case.name, |b| b.iter(|| black_box((case.run)())));
    }
    group.finish();

    println!(
        "\n{:<22} {:>12} {:>12} {:>14}",
        "case", "simulated s", "wall ms", "real-time x"
    );
    let mut rtf = std::collections::HashMap::new();
    for case in &cases {
        let (simulated, wall) = measure(case, 15);
        let factor = simulated / wall.as_secs_f64();
        rtf.insert(case.name, factor);
        println!(
            "{:<22} {:>12.1} {:>12.2} {:>14.0}",
            case.name,
            simulated,
            wall.as_secs_f64() * 1000.0,
            factor
        );
    }
    let ratio = |a: &str, b: &str| rtf[b] / rtf[a];
    println!(
        "\noverhead (bare real-time factor / fax-sim real-time factor; 1.00 = none, goal <= 1.10):\n  \
         g711 vs bare audio: {:.3}\n  t38 vs bare t38:    {:.3}\n  t38 (5% loss) vs bare t38: {:.3}",
        ratio("fax_sim_g711", "bare_spandsp_audio"),
        ratio("fax_sim_t38", "bare_spandsp_t38"),
        ratio("fax_sim_t38_loss5", "bare_spandsp_t38"),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
