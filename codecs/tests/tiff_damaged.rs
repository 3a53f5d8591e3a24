//! Damaged, unsupported and hostile TIFFs: partial pages with warnings naming the page, clear
//! errors, never a panic.

mod tiff_support;

use faxvox_codecs::pdf::{self, PdfOptions};
use faxvox_codecs::tiff::{self, TiffError};
use faxvox_codecs::{Bitmap, Page, Resolution};
use tiff_support::*;

fn small_document() -> Vec<Page> {
    vec![
        pattern_page(1728, 300, Resolution::STANDARD, 11),
        pattern_page(1001, 400, Resolution::FINE, 12),
        pattern_page(800, 200, Resolution::SUPERFINE, 13),
    ]
}

fn opts() -> PdfOptions {
    PdfOptions {
        title: "damaged".into(),
        creation_unix: Some(0),
    }
}

/// Rows `0..n` equal, and rows `m..` all white.
fn assert_partial(got: &Bitmap, want: &Bitmap, exact_rows: u32, white_from: u32) {
    for y in 0..exact_rows {
        assert_eq!(got.row(y), want.row(y), "row {y} should be intact");
    }
    for y in white_from..got.height() {
        assert!(
            got.row(y).iter().all(|&b| b == 0),
            "row {y} should be white"
        );
    }
}

#[test]
fn truncated_strip_gives_partial_page_and_warning() {
    let dir = tempdir();
    let pages = small_document();
    let mut file = tiff::write_g4_tiff(&pages);
    let (_, len) = strip_of(&file, 1);
    patch_tag(&mut file, 1, 279, (len / 2) as u32);

    let d = tiff::read_pages(&file).expect("partial read");
    assert_eq!(d.pages.len(), 3);
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    let w = &d.warnings[0];
    assert!(w.starts_with("page 2: decoded "), "{w}");
    assert!(w.contains(" of 400 rows: "), "{w}");
    let rows = d.info[1].rows_decoded;
    assert!(rows > 20 && rows < 400, "{rows}");
    assert!(!d.info[1].clean && d.info[0].clean && d.info[2].clean);
    assert_eq!(d.pages[0], pages[0]);
    assert_eq!(d.pages[2], pages[2]);
    assert_partial(&d.pages[1].bitmap, &pages[1].bitmap, rows - 1, rows);

    // The PDF path gives the same page: decoded rows, then white; it re-encodes (not copies).
    let conv = pdf::tiff_to_pdf(&file, &opts()).expect("pdf");
    assert_eq!(conv.warnings, d.warnings);
    assert!(conv.pages[0].copied && !conv.pages[1].copied && conv.pages[2].copied);
    assert_eq!(conv.pages[1].rows_decoded, rows);
    let expected: Vec<Page> = d.pages.clone();
    assert_pdf_matches(&conv.pdf, &expected, dir.path(), "truncated");
}

/// The offline command's trusting mode copies G4 strips that end with EOFB without decoding
/// them, but a truncated strip has none: it is still decoded, repaired and reported.
#[test]
fn trusting_mode_still_repairs_truncated_g4() {
    let dir = tempdir();
    let pages = small_document();
    let mut file = tiff::write_g4_tiff(&pages);
    let (_, len) = strip_of(&file, 1);
    patch_tag(&mut file, 1, 279, (len / 2) as u32);
    let checked = pdf::tiff_to_pdf(&file, &opts()).expect("pdf");
    let trusted = pdf::tiff_to_pdf_with(
        &file,
        &opts(),
        pdf::ConvertOptions {
            threads: 2,
            trust_g4: true,
        },
    )
    .expect("pdf");
    assert_eq!(trusted.warnings, checked.warnings);
    assert_eq!(trusted.pages, checked.pages);
    assert!(trusted.pages[0].copied && !trusted.pages[1].copied && trusted.pages[2].copied);
    let d = tiff::read_pages(&file).expect("partial read");
    assert_pdf_matches(&trusted.pdf, &d.pages, dir.path(), "trusted truncated");
}

#[test]
fn strip_running_past_end_of_file() {
    let pages = small_document();
    let mut file = tiff::write_g4_tiff(&pages[..1]);
    let (off, len) = strip_of(&file, 0);
    // Append the first third of the strip at the end and point the page at it: the strip
    // then runs past the end of the file.
    let new_off = file.len();
    let third = file[off..off + len / 3].to_vec();
    file.extend_from_slice(&third);
    patch_tag(&mut file, 0, 273, new_off as u32);
    let d = tiff::read_pages(&file).expect("partial");
    assert!(
        d.warnings
            .iter()
            .any(|w| w.starts_with("page 1: strip 0 is truncated")),
        "{:?}",
        d.warnings
    );
    assert!(
        d.warnings.iter().any(|w| w.starts_with("page 1: decoded ")),
        "{:?}",
        d.warnings
    );
    let rows = d.info[0].rows_decoded;
    assert!(rows > 0 && rows < 300, "{rows}");
    assert_partial(&d.pages[0].bitmap, &pages[0].bitmap, rows - 1, rows);
}

#[test]
fn corrupt_g4_bytes_keep_rows_before_damage() {
    let pages = small_document();
    let mut file = tiff::write_g4_tiff(&pages);
    let (off, len) = strip_of(&file, 0);
    for b in &mut file[off + len / 2..off + len / 2 + 40] {
        *b = 0;
    }
    let conv = pdf::tiff_to_pdf(&file, &opts()).expect("pdf");
    assert_eq!(conv.warnings.len(), 1, "{:?}", conv.warnings);
    assert!(
        conv.warnings[0].starts_with("page 1: decoded "),
        "{:?}",
        conv.warnings
    );
    let d = tiff::read_pages(&file).expect("read");
    let rows = d.info[0].rows_decoded;
    assert!(rows > 10 && rows < 300, "{rows}");
    assert_partial(&d.pages[0].bitmap, &pages[0].bitmap, rows - 1, rows);
    assert_eq!(d.pages[1], pages[1]);
}

#[test]
fn corrupt_g3_resynchronises_on_eol() {
    let dir = tempdir();
    let pages = vec![pattern_page(1728, 300, Resolution::FINE, 21)];
    let src = write(dir.path(), "src.tif", &tiff::write_g4_tiff(&pages));
    let g3 = dir.path().join("g3.tif");
    run(tool("tiffcp").args(["-c", "g3:2d:fill"]).arg(&src).arg(&g3));
    let mut file = std::fs::read(&g3).expect("g3");
    // libtiff writes the strip right after the header.
    let entries = ifd_entries(&file);
    let val = |tag: u16| {
        let &(_, e) = entries[0].iter().find(|(t, _)| *t == tag).expect("tag");
        u32::from_le_bytes([file[e + 8], file[e + 9], file[e + 10], file[e + 11]]) as usize
    };
    let (off, len) = (val(273), val(279));
    for b in &mut file[off + len / 2..off + len / 2 + 6] {
        *b ^= 0x5a;
    }
    let d = tiff::read_pages(&file).expect("read");
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    assert!(d.warnings[0].starts_with("page 1: "), "{:?}", d.warnings);
    let same = (0..300)
        .filter(|&y| d.pages[0].bitmap.row(y) == pages[0].bitmap.row(y))
        .count();
    // Only the damaged rows are lost: G3 2-D resynchronises at the next EOL + 1-D row.
    assert!(same >= 250, "only {same} of 300 rows intact");
    let conv = pdf::tiff_to_pdf(&file, &opts()).expect("pdf");
    assert_eq!(conv.warnings, d.warnings);
}

#[test]
fn unsupported_pages_are_clear_errors() {
    let pages = small_document();
    let good = tiff::write_g4_tiff(&pages);

    let mut jbig = good.clone();
    patch_tag(&mut jbig, 0, 259, 9);
    let e = tiff::read_pages(&jbig).unwrap_err();
    assert_eq!(
        e.to_string(),
        "page 1: JBIG (T.85) compression is not supported"
    );
    let e = pdf::tiff_to_pdf(&jbig, &opts()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "page 1: JBIG (T.85) compression is not supported"
    );

    let mut colour = good.clone();
    patch_tag(&mut colour, 1, 258, 8);
    patch_tag(&mut colour, 1, 277, 3);
    patch_tag(&mut colour, 1, 262, 2);
    patch_tag(&mut colour, 1, 259, 7);
    let e = tiff::read_pages(&colour).unwrap_err();
    assert_eq!(
        e.to_string(),
        "page 2: colour (RGB) image (3 samples x 8-bit, JPEG compression) is not supported"
    );

    let mut grey = good.clone();
    patch_tag(&mut grey, 2, 258, 8);
    patch_tag(&mut grey, 2, 259, 5);
    let e = tiff::read_pages(&grey).unwrap_err();
    assert_eq!(
        e.to_string(),
        "page 3: greyscale image (8-bit, LZW compression) is not supported"
    );

    assert_eq!(
        tiff::read_pages(b"%PDF-1.4 hello").unwrap_err(),
        TiffError::NotTiff
    );
    assert_eq!(
        pdf::tiff_to_pdf(b"GIF89a......", &opts())
            .unwrap_err()
            .to_string(),
        "not a TIFF file"
    );
    let mut big = good.clone();
    big[2] = 43;
    assert_eq!(tiff::read_pages(&big).unwrap_err(), TiffError::BigTiff);
}

#[test]
fn hostile_structures() {
    let pages = small_document();
    let good = tiff::write_g4_tiff(&pages[..1]);

    // Next-IFD pointer back to the same IFD: one page and a warning.
    let mut looped = good.clone();
    let p = next_ifd_ptr(&looped, 0);
    let first = u32::from_le_bytes([good[4], good[5], good[6], good[7]]);
    looped[p..p + 4].copy_from_slice(&first.to_le_bytes());
    let d = tiff::read_pages(&looped).expect("loop");
    assert_eq!(d.pages.len(), 1);
    assert!(
        d.warnings.iter().any(|w| w.contains("loops")),
        "{:?}",
        d.warnings
    );

    // Absurd dimensions are refused before any allocation.
    let mut huge = good.clone();
    patch_tag(&mut huge, 0, 256, 100_000);
    patch_tag(&mut huge, 0, 257, 100_000);
    let e = tiff::read_pages(&huge).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("page 1: page too large (100000x100000"),
        "{e}"
    );

    let mut empty = good.clone();
    patch_tag(&mut empty, 0, 256, 0);
    assert!(matches!(
        tiff::read_pages(&empty),
        Err(TiffError::BadPage { page: 1, .. })
    ));

    // First IFD outside the file.
    let mut lost = good.clone();
    lost[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        tiff::read_pages(&lost),
        Err(TiffError::Malformed(_))
    ));

    // Strip outside the file: a white page and warnings, not an error.
    let mut outside = good.clone();
    patch_tag(&mut outside, 0, 273, 0x7fff_ffff);
    let d = tiff::read_pages(&outside).expect("white page");
    assert_eq!(d.pages[0].bitmap.count_black(), 0);
    assert_eq!(d.info[0].rows_decoded, 0);
    assert!(
        d.warnings.iter().any(|w| w.contains("outside the file")),
        "{:?}",
        d.warnings
    );

    // No strips at all.
    let mut nostrips = good.clone();
    rename_tag(&mut nostrips, 0, 273, 65000);
    let d = tiff::read_pages(&nostrips).expect("white page");
    assert_eq!(d.pages[0].bitmap.count_black(), 0);
    assert!(
        d.warnings
            .iter()
            .any(|w| w.contains("StripOffsets missing")),
        "{:?}",
        d.warnings
    );

    // StripByteCounts 0 (as in CCITT-G4-300dpi-StripByteCounts0.tif): estimated, exact pixels.
    let mut zero = good.clone();
    patch_tag(&mut zero, 0, 279, 0);
    let d = tiff::read_pages(&zero).expect("estimated");
    assert_eq!(d.pages[0], pages[0]);
    assert!(
        d.warnings.iter().any(|w| w.contains("estimated")),
        "{:?}",
        d.warnings
    );
    let conv = pdf::tiff_to_pdf(&zero, &opts()).expect("pdf");
    assert_eq!(conv.pages[0].rows_decoded, 300);

    // RowsPerStrip 0 means one strip.
    let mut rps0 = good.clone();
    patch_tag(&mut rps0, 0, 278, 0);
    assert_eq!(tiff::read_pages(&rps0).expect("rps").pages[0], pages[0]);
}

#[test]
fn resolution_defaults_and_units() {
    let pages = small_document();
    let mut nores = tiff::write_g4_tiff(&pages[..2]);
    for p in 0..2 {
        rename_tag(&mut nores, p, 282, 65001);
        rename_tag(&mut nores, p, 283, 65002);
    }
    let d = tiff::read_pages(&nores).expect("read");
    assert_eq!(d.pages[0].resolution, Resolution::STANDARD);
    assert_eq!(
        d.pages[1].resolution,
        Resolution {
            x_dpi: 200.0,
            y_dpi: 200.0
        }
    );
    assert_eq!(
        d.warnings,
        vec![
            "page 1: no resolution in file; assuming 204x98 dpi".to_string(),
            "page 2: no resolution in file; assuming 200x200 dpi".to_string(),
        ]
    );

    let mut cm = tiff::write_g4_tiff(&pages[..1]);
    patch_tag(&mut cm, 0, 296, 3);
    let d = tiff::read_pages(&cm).expect("read");
    let r = d.pages[0].resolution;
    assert!((r.x_dpi - 204.0 * 2.54).abs() < 0.01 && (r.y_dpi - 98.0 * 2.54).abs() < 0.01);
    assert!(d.warnings.is_empty());
}

#[test]
fn random_mutations_never_panic() {
    let pages = vec![
        pattern_page(64, 40, Resolution::FINE, 31),
        pattern_page(33, 20, Resolution::STANDARD, 32),
    ];
    let seeds = [
        tiff::write_g4_tiff(&pages),
        tiff::write_tiff(
            &pages,
            &tiff::WriteOptions {
                compression: tiff::WriteCompression::Rle,
                min_is_black: true,
                lsb_first: true,
            },
        ),
        tiff::write_tiff(
            &pages,
            &tiff::WriteOptions {
                compression: tiff::WriteCompression::None,
                min_is_black: false,
                lsb_first: false,
            },
        ),
    ];
    let mut rng = Lcg(99);
    for i in 0..3000 {
        let mut f = seeds[i % seeds.len()].clone();
        for _ in 0..(1 + rng.next() % 8) {
            let at = (rng.next() as usize) % f.len();
            f[at] = rng.next() as u8;
        }
        if rng.next().is_multiple_of(5) {
            let cut = (rng.next() as usize) % f.len();
            f.truncate(cut);
        }
        let _ = tiff::read_pages(&f);
        let _ = pdf::tiff_to_pdf(&f, &opts());
    }
}
