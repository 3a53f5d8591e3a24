//! TIFF → PDF conversion speed and PDF size against libtiff's `tiff2pdf`, measured in the same run
//! on the same generated 4-page fine-resolution faxes: G4 (spandsp-style, FillOrder 2: copied)
//! and G3 2-D with EOL fill (spandsp's default output: decoded and re-encoded to G4).
//!
//! Goal: no slower than libtiff, PDFs no bigger. Prints ratios (ours / libtiff) at the end.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::Criterion;
use faxvox_codecs::pdf::{self, PdfOptions};
use faxvox_codecs::tiff::{self, WriteCompression, WriteOptions};
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
fn text_page(seed: u64) -> Page {
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

struct Doc {
    label: &'static str,
    path: PathBuf,
    bytes: Vec<u8>,
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn make_docs(dir: &Path) -> Vec<Doc> {
    let pages: Vec<Page> = (1..=4).map(text_page).collect();
    // spandsp writes FillOrder 2; so do we here, so the copy path includes the bit reversal.
    let g4 = tiff::write_tiff(
        &pages,
        &WriteOptions {
            compression: WriteCompression::G4,
            min_is_black: false,
            lsb_first: true,
        },
    );
    let g4_path = dir.join("fine-g4.tif");
    std::fs::write(&g4_path, &g4).expect("write g4");
    let mut docs = vec![Doc {
        label: "g4_fine_4p",
        path: g4_path.clone(),
        bytes: g4,
    }];
    if have("tiffcp") {
        let g3_path = dir.join("fine-g3-2d.tif");
        let ok = Command::new("tiffcp")
            .args(["-c", "g3:2d:fill", "-f", "lsb2msb"])
            .arg(&g4_path)
            .arg(&g3_path)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            let bytes = std::fs::read(&g3_path).expect("read g3");
            docs.push(Doc {
                label: "g3_2d_fine_4p",
                path: g3_path,
                bytes,
            });
        }
    } else {
        eprintln!("note: tiffcp not found; G3 document and libtiff comparison skipped");
    }
    docs
}

fn opts() -> PdfOptions {
    PdfOptions {
        title: "bench".into(),
        creation_unix: Some(0),
    }
}

fn faxvox_process(doc: &Doc, out: &Path) {
    let st = Command::new(env!("CARGO_BIN_EXE_faxvox"))
        .arg("tiff2pdf")
        .arg(&doc.path)
        .arg(out)
        .output()
        .expect("run faxvox");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
}

fn libtiff_process(doc: &Doc, out: &Path) {
    let st = Command::new("tiff2pdf")
        .arg("-o")
        .arg(out)
        .arg(&doc.path)
        .output()
        .expect("run tiff2pdf");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
}

/// Threads the `faxvox tiff2pdf` command uses.
fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().min(8))
        .unwrap_or(1)
}

/// Median wall time of `n` runs.
fn median(n: usize, mut f: impl FnMut()) -> Duration {
    f();
    let mut v: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    v[n / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = make_docs(dir.path());
    let libtiff = have("tiff2pdf");
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for doc in &docs {
        let mut g = c.benchmark_group(format!("tiff2pdf/{}", doc.label));
        g.bench_function("faxvox_in_process", |b| {
            b.iter(|| pdf::tiff_to_pdf(&doc.bytes, &opts()).expect("convert"))
        });
        let threads = cores();
        g.bench_function(format!("faxvox_in_process_{threads}_threads"), |b| {
            b.iter(|| pdf::tiff_to_pdf_threads(&doc.bytes, &opts(), threads).expect("convert"))
        });
        let ours = dir.path().join(format!("{}-ours.pdf", doc.label));
        g.bench_function("faxvox_process", |b| b.iter(|| faxvox_process(doc, &ours)));
        if libtiff {
            let theirs = dir.path().join(format!("{}-libtiff.pdf", doc.label));
            g.bench_function("libtiff_tiff2pdf_process", |b| {
                b.iter(|| libtiff_process(doc, &theirs))
            });
        }
        g.finish();
    }
    c.final_summary();

    // Our own medians, for the ratio table.
    println!();
    println!("summary (median of 30 runs; ratios are ours / libtiff, < 1 is better):");
    for doc in &docs {
        let ours_pdf = dir.path().join(format!("{}-ours.pdf", doc.label));
        let in_proc = median(30, || {
            pdf::tiff_to_pdf(&doc.bytes, &opts()).expect("convert");
        });
        let in_proc_mt = median(30, || {
            pdf::tiff_to_pdf_threads(&doc.bytes, &opts(), cores()).expect("convert");
        });
        let proc_ours = median(30, || faxvox_process(doc, &ours_pdf));
        let size_ours = std::fs::metadata(&ours_pdf).map(|m| m.len()).unwrap_or(0);
        println!(
            "  {}: TIFF {} B\n    faxvox   in-process {:.2} ms (1 thread), {:.2} ms ({} threads); whole process {:.2} ms; PDF {} B",
            doc.label,
            doc.bytes.len(),
            ms(in_proc),
            ms(in_proc_mt),
            cores(),
            ms(proc_ours),
            size_ours
        );
        if libtiff {
            let lib_pdf = dir.path().join(format!("{}-libtiff.pdf", doc.label));
            let proc_lib = median(30, || libtiff_process(doc, &lib_pdf));
            let size_lib = std::fs::metadata(&lib_pdf).map(|m| m.len()).unwrap_or(0);
            println!(
                "    libtiff  whole process {:.2} ms; PDF {} B",
                ms(proc_lib),
                size_lib
            );
            println!(
                "    ratios   process/process {:.2}; in-process(1 thread)/libtiff process {:.2}; in-process({} threads)/libtiff process {:.2}; PDF size {:.4}",
                ms(proc_ours) / ms(proc_lib),
                ms(in_proc) / ms(proc_lib),
                cores(),
                ms(in_proc_mt) / ms(proc_lib),
                size_ours as f64 / size_lib.max(1) as f64
            );
        }
    }
}
