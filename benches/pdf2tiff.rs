//! PDF → fax TIFF speed against Ghostscript's `tiffg4` device at fax resolution (204 × 196
//! dpi), measured in the same run on the same PDFs: the 12-page fax PDF `faxvox tiff2pdf` makes
//! (G4 images) and a one-page business letter of text and vector graphics (built-in fonts, a
//! ruled table, grey boxes), the kind of document the outbound tests send.
//!
//! Goal: `faxvox pdf2tiff` as a whole process no slower than `gs -sDEVICE=tiffg4`. Prints the
//! ratios (ours / Ghostscript) at the end, with the machine's load.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::Criterion;
use faxvox_codecs::pdf::{self, PdfOptions};
use faxvox_codecs::raster::{self, testdoc, RasterOptions};
use faxvox_codecs::tiff;

#[allow(dead_code)]
#[path = "support/conversions.rs"]
mod conversions;

use conversions::{compare_processes, have, load, ms, run, text_pages};

struct Doc {
    label: &'static str,
    path: PathBuf,
    bytes: Vec<u8>,
}

fn make_docs(dir: &Path) -> Vec<Doc> {
    let fax = pdf::pages_to_pdf(
        &text_pages(12),
        &PdfOptions {
            title: "bench".into(),
            creation_unix: Some(0),
        },
    )
    .expect("fax pdf")
    .pdf;
    let letter = testdoc::business_letter();
    [("fax_g4_fine_12p", fax), ("letter_text_vector_1p", letter)]
        .into_iter()
        .map(|(label, bytes)| {
            let path = dir.join(format!("{label}.pdf"));
            std::fs::write(&path, &bytes).expect("write pdf");
            Doc { label, path, bytes }
        })
        .collect()
}

fn faxvox_process(doc: &Doc, out: &Path) {
    run(Command::new(env!("CARGO_BIN_EXE_faxvox"))
        .arg("pdf2tiff")
        .arg(&doc.path)
        .arg(out));
}

fn gs_process(doc: &Doc, out: &Path) {
    run(Command::new("gs")
        .args(["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER"])
        .args(["-sDEVICE=tiffg4", "-r204x196", "-sPAPERSIZE=a4"])
        .arg(format!("-sOutputFile={}", out.display()))
        .arg(&doc.path));
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = make_docs(dir.path());
    let gs = have("gs");
    if !gs {
        eprintln!("note: Ghostscript (gs) not found: no reference, no ratios");
    }
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for doc in &docs {
        let mut g = c.benchmark_group(format!("pdf2tiff/{}", doc.label));
        g.bench_function("faxvox_in_process", |b| {
            b.iter(|| {
                let pages =
                    raster::rasterize(&doc.bytes, &RasterOptions::default()).expect("rasterise");
                tiff::write_g4_tiff(&pages)
            })
        });
        let ours = dir.path().join(format!("{}-ours.tif", doc.label));
        g.bench_function("faxvox_process", |b| b.iter(|| faxvox_process(doc, &ours)));
        if gs {
            let theirs = dir.path().join(format!("{}-gs.tif", doc.label));
            g.bench_function("gs_tiffg4_process", |b| b.iter(|| gs_process(doc, &theirs)));
        }
        g.finish();
    }
    c.final_summary();

    if !gs {
        return;
    }
    const RUNS: usize = 20;
    println!();
    println!(
        "summary: {RUNS} runs of each process, alternating; wall is the median, CPU the mean \
         (user + system); ratios are ours / Ghostscript, < 1 is better; load average {}",
        load()
    );
    for doc in &docs {
        let ours_tif = dir.path().join(format!("{}-ours.tif", doc.label));
        let gs_tif = dir.path().join(format!("{}-gs.tif", doc.label));
        let (ours, theirs) = compare_processes(
            RUNS,
            || faxvox_process(doc, &ours_tif),
            || gs_process(doc, &gs_tif),
        );
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        println!(
            "  {} (PDF {} B)\n    faxvox wall {:.2} ms, CPU {:.2} ms, TIFF {} B\n    gs     wall {:.2} ms, CPU {:.2} ms, TIFF {} B\n    ratios wall {:.2}, CPU {:.2}",
            doc.label,
            doc.bytes.len(),
            ms(ours.wall),
            ms(ours.cpu),
            size(&ours_tif),
            ms(theirs.wall),
            ms(theirs.cpu),
            size(&gs_tif),
            ms(ours.wall) / ms(theirs.wall),
            ms(ours.cpu) / ms(theirs.cpu).max(1e-9),
        );
    }
    println!("  load average after: {}", load());
}
