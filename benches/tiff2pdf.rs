//! TIFF → PDF conversion speed and PDF size against libtiff's `tiff2pdf`, measured in the same
//! run on the same generated fine-resolution faxes: 12 pages of G4 (spandsp-style, FillOrder 2:
//! copied) and the same pages as G3 2-D with EOL fill (spandsp's default output: decoded and
//! re-encoded to G4).
//!
//! Goal: `faxvox tiff2pdf` as a whole process no slower than libtiff's, PDFs no bigger. Prints
//! ratios (ours / libtiff) at the end, with the machine's load.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::Criterion;
use faxvox_codecs::pdf::{self, PdfOptions};
use faxvox_codecs::tiff::{self, WriteCompression, WriteOptions};

#[allow(dead_code)]
#[path = "support/conversions.rs"]
mod conversions;

use conversions::{compare_processes, have, load, ms, run, text_pages};

/// Pages of the benchmark document: the 12-page fine fax.
const PAGES: u64 = 12;

struct Doc {
    label: String,
    path: PathBuf,
    bytes: Vec<u8>,
}

fn make_docs(dir: &Path) -> Vec<Doc> {
    let pages = text_pages(PAGES);
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
        label: format!("g4_fine_{PAGES}p"),
        path: g4_path.clone(),
        bytes: g4,
    }];
    if have("tiffcp") {
        let g3_path = dir.join("fine-g3-2d.tif");
        run(Command::new("tiffcp")
            .args(["-c", "g3:2d:fill", "-f", "lsb2msb"])
            .arg(&g4_path)
            .arg(&g3_path));
        let bytes = std::fs::read(&g3_path).expect("read g3");
        docs.push(Doc {
            label: format!("g3_2d_fine_{PAGES}p"),
            path: g3_path,
            bytes,
        });
    } else {
        eprintln!("note: tiffcp not found; G3 document skipped");
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
    run(Command::new(env!("CARGO_BIN_EXE_faxvox"))
        .arg("tiff2pdf")
        .arg(&doc.path)
        .arg(out));
}

fn libtiff_process(doc: &Doc, out: &Path) {
    run(Command::new("tiff2pdf").arg("-o").arg(out).arg(&doc.path));
}

/// Threads the `faxvox tiff2pdf` command uses.
fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().min(8))
        .unwrap_or(1)
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = make_docs(dir.path());
    let libtiff = have("tiff2pdf");
    if !libtiff {
        eprintln!("note: libtiff's tiff2pdf not found (libtiff-tools): no reference, no ratios");
    }
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

    if !libtiff {
        return;
    }
    const RUNS: usize = 60;
    println!();
    println!(
        "summary: {RUNS} runs of each process, alternating; wall is the median, CPU the mean \
         (user + system); ratios are ours / libtiff, < 1 is better; load average {}",
        load()
    );
    for doc in &docs {
        let ours_pdf = dir.path().join(format!("{}-ours.pdf", doc.label));
        let lib_pdf = dir.path().join(format!("{}-libtiff.pdf", doc.label));
        let (ours, theirs) = compare_processes(
            RUNS,
            || faxvox_process(doc, &ours_pdf),
            || libtiff_process(doc, &lib_pdf),
        );
        let size_ours = std::fs::metadata(&ours_pdf).map(|m| m.len()).unwrap_or(0);
        let size_lib = std::fs::metadata(&lib_pdf).map(|m| m.len()).unwrap_or(0);
        println!(
            "  {} (TIFF {} B)\n    faxvox  wall {:.2} ms, CPU {:.2} ms, PDF {} B\n    libtiff wall {:.2} ms, CPU {:.2} ms, PDF {} B\n    ratios  wall {:.2}, CPU {:.2}, PDF size {:.4}",
            doc.label,
            doc.bytes.len(),
            ms(ours.wall),
            ms(ours.cpu),
            size_ours,
            ms(theirs.wall),
            ms(theirs.cpu),
            size_lib,
            ms(ours.wall) / ms(theirs.wall),
            ms(ours.cpu) / ms(theirs.cpu).max(1e-9),
            size_ours as f64 / size_lib.max(1) as f64
        );
    }
    println!("  load average after: {}", load());
}
