//! TIFF → PDF end to end: every coding variant libtiff can produce (and the ones we write
//! ourselves) converts to a PDF whose Ghostscript rendering equals the source pixels, at the
//! physical size the page's resolution gives.

mod tiff_support;

use std::path::Path;

use faxvox_codecs::pdf::{self, PdfOptions};
use faxvox_codecs::tiff::{self, WriteCompression, WriteOptions};
use faxvox_codecs::Page;
use tiff_support::*;

fn opts() -> PdfOptions {
    PdfOptions {
        title: "Test fax".into(),
        creation_unix: Some(1_700_000_000),
    }
}

/// Re-encodes `src` with libtiff's tiffcp.
fn tiffcp(src: &Path, dst: &Path, args: &[&str]) -> Vec<u8> {
    run(tool("tiffcp").args(args).arg(src).arg(dst));
    std::fs::read(dst).expect("tiffcp output")
}

/// Reads the file with our reader and checks the pages equal the source exactly, without
/// warnings; then converts to PDF and checks the rendering. Returns which pages were copied.
fn check_variant(label: &str, file: &[u8], pages: &[Page], dir: &Path) -> Vec<bool> {
    let decoded = tiff::read_pages(file).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert!(
        decoded.warnings.is_empty(),
        "{label}: {:?}",
        decoded.warnings
    );
    assert_eq!(decoded.pages.len(), pages.len(), "{label}");
    for (i, (got, want)) in decoded.pages.iter().zip(pages).enumerate() {
        assert_eq!(
            diff_pixels(&got.bitmap, &want.bitmap),
            0,
            "{label} page {}",
            i + 1
        );
        assert_eq!(got.resolution, want.resolution, "{label} page {}", i + 1);
    }
    // The rendered PDF comes from the multi-threaded path; the single-threaded one must
    // describe the same pages.
    let conv =
        pdf::tiff_to_pdf_threads(file, &opts(), 3).unwrap_or_else(|e| panic!("{label}: {e}"));
    let serial = pdf::tiff_to_pdf(file, &opts()).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(conv.pages, serial.pages, "{label}");
    assert_eq!(conv.warnings, serial.warnings, "{label}");
    assert!(conv.warnings.is_empty(), "{label}: {:?}", conv.warnings);
    assert_eq!(conv.pages.len(), pages.len());
    for (info, page) in conv.pages.iter().zip(pages) {
        assert_eq!(info.width, page.bitmap.width());
        assert_eq!(info.height, page.bitmap.height());
        assert_eq!(info.rows_decoded, page.bitmap.height());
    }
    assert_pdf_matches(&conv.pdf, pages, dir, label);
    conv.pages.iter().map(|p| p.copied).collect()
}

#[test]
fn our_g4_tiff_is_clean_for_libtiff() {
    let dir = tempdir();
    let pages = test_document();
    let src = write(dir.path(), "src.tif", &tiff::write_g4_tiff(&pages));
    // tiffinfo -D decodes every strip; any libtiff warning or error goes to stderr.
    let (out, err) = run(tool("tiffinfo").arg("-D").arg(&src));
    assert!(err.trim().is_empty(), "tiffinfo stderr: {err}");
    assert_eq!(out.matches("Compression Scheme: CCITT Group 4").count(), 5);
    assert!(out.contains("Resolution: 204, 98 pixels/inch"), "{out}");
    assert!(out.contains("Resolution: 204, 391 pixels/inch"), "{out}");
    assert!(out.contains("Page Number: 1-5"), "{out}");
    // libtiff's own decode, written uncompressed, equals our bitmaps bit for bit.
    let none = tiffcp(&src, &dir.path().join("none.tif"), &["-c", "none"]);
    let d = tiff::read_pages(&none).expect("uncompressed");
    assert_eq!(d.pages, pages);
}

#[test]
fn g4_variants_copy_the_strip() {
    let dir = tempdir();
    let pages = test_document();
    let g4 = tiff::write_g4_tiff(&pages);
    let copied = check_variant("ours G4", &g4, &pages, dir.path());
    assert!(
        copied.iter().all(|&c| c),
        "clean G4 must be copied: {copied:?}"
    );

    let src = write(dir.path(), "src.tif", &g4);
    let lsb = tiffcp(
        &src,
        &dir.path().join("lsb.tif"),
        &["-c", "g4", "-f", "lsb2msb"],
    );
    let copied = check_variant("G4 lsb2msb", &lsb, &pages, dir.path());
    assert!(copied.iter().all(|&c| c));

    let mib = tiff::write_tiff(
        &pages,
        &WriteOptions {
            compression: WriteCompression::G4,
            min_is_black: true,
            lsb_first: true,
        },
    );
    let copied = check_variant("G4 min-is-black lsb", &mib, &pages, dir.path());
    assert!(copied.iter().all(|&c| c));
}

/// Trusting mode (the offline command) copies clean G4 without decoding it first: same pages,
/// same pixels, byte-identical PDF.
#[test]
fn trusted_g4_gives_the_same_pdf() {
    let dir = tempdir();
    let pages = test_document();
    for lsb_first in [false, true] {
        let file = tiff::write_tiff(
            &pages,
            &WriteOptions {
                compression: WriteCompression::G4,
                min_is_black: lsb_first,
                lsb_first,
            },
        );
        let checked = pdf::tiff_to_pdf(&file, &opts()).expect("pdf");
        let trusted = pdf::tiff_to_pdf_with(
            &file,
            &opts(),
            pdf::ConvertOptions {
                threads: 3,
                trust_g4: true,
            },
        )
        .expect("pdf");
        assert_eq!(trusted.pages, checked.pages);
        assert!(trusted.pages.iter().all(|p| p.copied));
        assert!(trusted.warnings.is_empty());
        assert_eq!(trusted.pdf, checked.pdf);
        assert_pdf_matches(&trusted.pdf, &pages, dir.path(), "trusted");
    }
}

#[test]
fn embedded_g4_equals_file_strip() {
    let pages = test_document();
    let g4 = tiff::write_g4_tiff(&pages[..2]);
    let conv = pdf::tiff_to_pdf(&g4, &opts()).expect("pdf");
    for p in &pages[..2] {
        let strip = faxvox_codecs::ccitt::encode_g4(&p.bitmap);
        assert!(
            conv.pdf.windows(strip.len()).any(|w| w == strip.as_slice()),
            "G4 strip not embedded unchanged"
        );
    }
    let dir = tempdir();
    let pdf = write(dir.path(), "m.pdf", &conv.pdf);
    let (info, _) = run(tool("pdfinfo").arg("-isodates").arg(&pdf));
    let field = |k: &str| {
        info.lines()
            .find(|l| l.starts_with(k))
            .map(|l| l[k.len()..].trim().to_string())
            .unwrap_or_default()
    };
    assert_eq!(field("Title:"), "Test fax", "{info}");
    assert_eq!(field("Producer:"), "faxvox", "{info}");
    assert!(
        field("CreationDate:").starts_with("2023-11-14T22:13:20"),
        "{info}"
    );
    assert_eq!(field("Pages:"), "2", "{info}");
}

#[test]
fn g3_variants_are_reencoded_exactly() {
    let dir = tempdir();
    let pages = test_document();
    let src = write(dir.path(), "src.tif", &tiff::write_g4_tiff(&pages));
    for args in [
        &["-c", "g3"][..],
        &["-c", "g3:1d:fill"],
        &["-c", "g3:2d"],
        &["-c", "g3:2d:fill", "-f", "lsb2msb"],
        &["-c", "g3:2d", "-r", "64"],
    ] {
        let label = args.join(" ");
        let file = tiffcp(&src, &dir.path().join("v.tif"), args);
        let copied = check_variant(&label, &file, &pages, dir.path());
        assert!(copied.iter().all(|&c| !c), "{label}");
    }
}

#[test]
fn uncompressed_packbits_rle_and_strips() {
    let dir = tempdir();
    let pages = test_document();
    let src = write(dir.path(), "src.tif", &tiff::write_g4_tiff(&pages));
    for args in [
        &["-c", "none"][..],
        &["-c", "none", "-f", "lsb2msb"],
        &["-c", "packbits"],
        &["-c", "g4", "-r", "100"],
    ] {
        let label = args.join(" ");
        let file = tiffcp(&src, &dir.path().join("v.tif"), args);
        check_variant(&label, &file, &pages, dir.path());
    }
    for (label, o) in [
        (
            "RLE",
            WriteOptions {
                compression: WriteCompression::Rle,
                min_is_black: false,
                lsb_first: false,
            },
        ),
        (
            "RLE lsb min-is-black",
            WriteOptions {
                compression: WriteCompression::Rle,
                min_is_black: true,
                lsb_first: true,
            },
        ),
        (
            "none min-is-black",
            WriteOptions {
                compression: WriteCompression::None,
                min_is_black: true,
                lsb_first: false,
            },
        ),
    ] {
        let file = tiff::write_tiff(&pages, &o);
        // libtiff agrees with what we wrote.
        let p = write(dir.path(), "ours.tif", &file);
        let (_, err) = run(tool("tiffinfo").arg("-D").arg(&p));
        assert!(err.trim().is_empty(), "{label}: tiffinfo: {err}");
        check_variant(label, &file, &pages, dir.path());
    }
}

#[test]
fn pages_to_pdf_renders_exactly() {
    let dir = tempdir();
    let pages = test_document();
    let conv = pdf::pages_to_pdf(&pages, &opts()).expect("pdf");
    assert!(conv.warnings.is_empty());
    assert_pdf_matches(&conv.pdf, &pages, dir.path(), "pages_to_pdf");
    assert_eq!(
        pdf::pages_to_pdf(&[], &opts()).unwrap_err(),
        pdf::Error::NoPages
    );
}
