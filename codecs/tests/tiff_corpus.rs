//! Real-world corpus (only when ../shared/testdata or $FAXVOX_TESTDATA exists): every
//! bilevel TIFF converts pixel-exact against libtiff's own decode (`tiffcp -c none`), damaged
//! files convert partially with a warning naming the page (or exactly), unsupported files give a
//! clear error, and nothing panics. The PDFs pass `qpdf --check` and render (Ghostscript)
//! to the same pixels.

mod tiff_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use faxvox_codecs::pdf::{self, PdfOptions};
use faxvox_codecs::tiff::{self, TiffError};
use faxvox_codecs::Page;
use tiff_support::*;

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FAXVOX_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/testdata"
            ))
        });
    dir.is_dir().then_some(dir)
}

fn tiffs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            tiffs(&p, out);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("tif") || e.eq_ignore_ascii_case("tiff"))
        {
            out.push(p);
        }
    }
}

/// libtiff's decode of every page, via `tiffcp -c none`, read back by our (uncompressed) reader.
/// `None` when libtiff itself gives up on the file.
fn libtiff_pages(src: &Path, dir: &Path) -> Option<Result<Vec<Page>, TiffError>> {
    let dst = dir.join("oracle.tif");
    let _ = std::fs::remove_file(&dst);
    let out = Command::new("tiffcp")
        .args(["-c", "none"])
        .arg(src)
        .arg(&dst)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let bytes = std::fs::read(&dst).ok()?;
    Some(tiff::read_pages(&bytes).map(|d| d.pages))
}

/// Files MANIFEST.md lists with libtiff warnings about the pixel data, or that are otherwise
/// known to be malformed.
const DAMAGED: &[&str] = &[
    "g3aoe.tif",
    "G3_Premature_EOL.tif",
    "127.tif",
    "crash-0da013a13571cc8eb457a39fee8db18f8a3c7127.tif",
    "crash-74d2a78403a5a59db1fb0a2b8735ac068a75f6e3.tif",
    "ccitt_tolessrows.tif",
    "incorrect-compression-rle-as-g3.tif",
];

/// Files that must be refused with a clear error, and a word the message must contain.
const REFUSED: &[(&str, &str)] = &[
    ("jbig.tif", "JBIG"),
    ("lenna-colour-out.tif", "colour"),
    ("multipage.tif", "page 2: palette colour"),
    ("compression.tif", "page 2: greyscale"),
];

#[test]
fn corpus_matches_libtiff() {
    let Some(root) = corpus_dir() else {
        eprintln!("skipped: no test corpus at ../shared/testdata (set FAXVOX_TESTDATA)");
        return;
    };
    let mut files = Vec::new();
    tiffs(&root, &mut files);
    assert!(!files.is_empty(), "no TIFF files under {}", root.display());
    let tmp = tempdir();
    let opts = PdfOptions {
        title: "corpus".into(),
        creation_unix: Some(0),
    };
    let mut failures = Vec::new();
    let (mut exact, mut partial, mut refused, mut pages_rendered) = (0, 0, 0, 0);
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let rel = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        let bytes = std::fs::read(path).expect("read corpus file");
        let ours = tiff::read_pages(&bytes);
        let conv = pdf::tiff_to_pdf(&bytes, &opts);

        if let Some((_, word)) = REFUSED.iter().find(|(n, _)| *n == name) {
            match (&ours, &conv) {
                (Err(e), Err(pe)) if e.to_string().contains(word) => {
                    assert_eq!(e.to_string(), pe.to_string());
                    eprintln!("{rel}: refused: {e}");
                    refused += 1;
                }
                _ => failures.push(format!("{rel}: expected an error mentioning {word:?}")),
            }
            continue;
        }
        let (decoded, conv) = match (ours, conv) {
            (Ok(d), Ok(c)) => (d, c),
            (Err(e), _) | (_, Err(pdf::Error::Tiff(e))) => {
                failures.push(format!("{rel}: unexpected error: {e}"));
                continue;
            }
            (_, Err(e)) => {
                failures.push(format!("{rel}: unexpected error: {e}"));
                continue;
            }
        };
        if decoded.warnings != conv.warnings {
            failures.push(format!("{rel}: reader and PDF warnings differ"));
        }
        let damaged = DAMAGED.contains(&name);
        let oracle = libtiff_pages(path, tmp.path());
        let mut file_exact = true;
        match oracle {
            Some(Ok(lib)) => {
                if lib.len() != decoded.pages.len() {
                    failures.push(format!(
                        "{rel}: {} pages, libtiff {}",
                        decoded.pages.len(),
                        lib.len()
                    ));
                    continue;
                }
                for (i, (a, b)) in decoded.pages.iter().zip(&lib).enumerate() {
                    let d = diff_pixels(&a.bitmap, &b.bitmap);
                    if d != 0 {
                        file_exact = false;
                        let prefix = format!("page {}: ", i + 1);
                        let warned = decoded.warnings.iter().any(|w| w.starts_with(&prefix));
                        eprintln!(
                            "{rel} page {}: {d} of {} pixels differ from libtiff",
                            i + 1,
                            a.bitmap.width() as u64 * a.bitmap.height() as u64
                        );
                        if !(damaged && warned) {
                            failures.push(format!(
                                "{rel} page {}: {d} pixels differ from libtiff (warned: {warned})",
                                i + 1
                            ));
                        }
                    }
                }
            }
            Some(Err(e)) => failures.push(format!("{rel}: cannot read libtiff's output: {e}")),
            None => {
                // libtiff refuses the file outright; we must still have produced something,
                // with a warning.
                file_exact = false;
                if decoded.warnings.is_empty() {
                    failures.push(format!("{rel}: libtiff fails, yet we report no warning"));
                }
            }
        }
        if file_exact && !decoded.warnings.is_empty() {
            eprintln!("{rel}: exact, with warnings {:?}", decoded.warnings);
        }
        if file_exact {
            exact += 1;
        } else {
            partial += 1;
            eprintln!("{rel}: partial: {:?}", decoded.warnings);
        }

        // The PDF: qpdf-clean, right page sizes, and Ghostscript renders our pixels.
        let pdf_path = write(tmp.path(), "corpus.pdf", &conv.pdf);
        qpdf_check(&pdf_path);
        let sizes = pdf_page_sizes(&pdf_path);
        for (i, (page, (w, h))) in decoded.pages.iter().zip(&sizes).enumerate() {
            let (ew, eh) = page.size_pt();
            if (w - ew as f64).abs() > 0.01 || (h - eh as f64).abs() > 0.01 {
                failures.push(format!(
                    "{rel} page {}: size {w}x{h}, expected {ew}x{eh}",
                    i + 1
                ));
            }
            let r = render_page(&pdf_path, i + 1, page.resolution, tmp.path());
            pages_rendered += 1;
            let d = diff_pixels(&r, &page.bitmap);
            if d != 0 {
                failures.push(format!(
                    "{rel} page {} ({} dpi, copied {}): Ghostscript rendering {}x{} differs from our decode {}x{} by {d} pixels",
                    i + 1,
                    page.resolution.x_dpi,
                    conv.pages[i].copied,
                    r.width(),
                    r.height(),
                    page.bitmap.width(),
                    page.bitmap.height()
                ));
            }
        }
    }
    eprintln!(
        "corpus: {} files: {exact} exact, {partial} partial with warnings, {refused} refused; {pages_rendered} pages rendered",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
