//! Rasteriser tests: documents generated in code (printpdf, image) → fax pages, checked pixel by
//! pixel at the positions the layout puts things.

use std::io::Cursor;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use faxvox_codecs::raster::testdoc::{self, MmRect, TEST_BLACK, TEST_GREY, TEST_TEXT};
use faxvox_codecs::raster::{rasterize, Paper, RasterError, RasterOptions, FAX_WIDTH};
use faxvox_codecs::{Bitmap, Page, Resolution};

fn opts(resolution: Resolution, paper: Paper) -> RasterOptions {
    RasterOptions {
        resolution,
        paper,
        ..RasterOptions::default()
    }
}

/// Black density in `[x0, x1) × [y0, y1)`.
fn density(b: &Bitmap, x0: u32, y0: u32, x1: u32, y1: u32) -> f64 {
    let mut n = 0u64;
    for y in y0..y1 {
        for x in x0..x1 {
            n += b.get(x, y) as u64;
        }
    }
    n as f64 / ((x1 - x0) as u64 * (y1 - y0) as u64) as f64
}

/// Pixel box of an A4 millimetre rectangle on a fax page (A4 page scaled to fit and centred),
/// shrunk by `inset` pixels on every side to stay clear of edge rounding.
fn a4_box(r: MmRect, res: Resolution, paper: Paper, inset: u32) -> (u32, u32, u32, u32) {
    let rows = paper.rows(res) as f64;
    let (cw_in, ch_in) = (FAX_WIDTH as f64 / res.x_dpi as f64, rows / res.y_dpi as f64);
    let (pw_in, ph_in) = (210.0 / 25.4, 297.0 / 25.4);
    let k = (cw_in / pw_in).min(ch_in / ph_in);
    let w_px = (pw_in * k * res.x_dpi as f64).round();
    let h_px = (ph_in * k * res.y_dpi as f64).round();
    let left = ((FAX_WIDTH as f64 - w_px) / 2.0).floor();
    let top = ((rows - h_px) / 2.0).floor();
    let sx = k * res.x_dpi as f64 / 25.4;
    let sy = k * res.y_dpi as f64 / 25.4;
    let x0 = left + r.x as f64 * sx;
    let y0 = top + r.top as f64 * sy;
    let x1 = x0 + r.w as f64 * sx;
    let y1 = y0 + r.h as f64 * sy;
    (
        x0.ceil() as u32 + inset,
        y0.ceil() as u32 + inset,
        x1.floor() as u32 - inset,
        y1.floor() as u32 - inset,
    )
}

fn check_test_page(page: &Page, res: Resolution, paper: Paper) {
    let b = &page.bitmap;
    assert_eq!(b.width(), FAX_WIDTH);
    assert_eq!(b.height(), paper.rows(res));
    assert_eq!(page.resolution, res);

    let (x0, y0, x1, y1) = a4_box(TEST_BLACK, res, paper, 2);
    let d = density(b, x0, y0, x1, y1);
    assert!(
        d >= 0.99,
        "black rectangle density {d} at {x0},{y0}-{x1},{y1}"
    );

    let (x0, y0, x1, y1) = a4_box(TEST_GREY, res, paper, 3);
    let d = density(b, x0, y0, x1, y1);
    assert!((0.40..=0.60).contains(&d), "grey density {d}");

    let (x0, y0, x1, y1) = a4_box(TEST_TEXT, res, paper, 0);
    let d = density(b, x0, y0, x1, y1);
    assert!(d > 0.02 && d < 0.5, "text area density {d}");

    // Margins: the page above the rectangles, the left and right edges, the bottom part.
    let (_, top_of_rects, _, _) = a4_box(TEST_BLACK, res, paper, 0);
    assert_eq!(
        density(b, 0, 0, FAX_WIDTH, top_of_rects - 4),
        0.0,
        "top margin"
    );
    let (text_x0, _, _, text_bottom) = a4_box(TEST_TEXT, res, paper, 0);
    assert_eq!(
        density(b, 0, 0, text_x0 - 4, b.height()),
        0.0,
        "left margin"
    );
    assert_eq!(
        density(b, 1600, 0, FAX_WIDTH, b.height()),
        0.0,
        "right margin"
    );
    assert_eq!(
        density(b, 0, text_bottom + 4, FAX_WIDTH, b.height()),
        0.0,
        "bottom part"
    );
    // Between the rectangles.
    let (_, gy0, _, gy1) = a4_box(TEST_GREY, res, paper, 0);
    let (_, _, bx1, _) = a4_box(TEST_BLACK, res, paper, 0);
    let (gx0, _, _, _) = a4_box(TEST_GREY, res, paper, 0);
    assert_eq!(density(b, bx1 + 3, gy0, gx0 - 3, gy1), 0.0, "gap");
}

#[test]
fn pdf_fine_a4_layout() {
    let pdf = testdoc::test_pdf();
    let res = Resolution::FINE;
    let t = Instant::now();
    let pages = rasterize(&pdf, &opts(res, Paper::A4)).expect("rasterise");
    eprintln!("fine A4 test page: {:?}", t.elapsed());
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].bitmap.height(), 2292);
    check_test_page(&pages[0], res, Paper::A4);
}

#[test]
fn pdf_standard_and_superfine_a4() {
    let pdf = testdoc::test_pdf();
    for (res, rows) in [(Resolution::STANDARD, 1146), (Resolution::SUPERFINE, 4572)] {
        let pages = rasterize(&pdf, &opts(res, Paper::A4)).expect("rasterise");
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].bitmap.height(), rows);
        check_test_page(&pages[0], res, Paper::A4);
    }
}

#[test]
fn pdf_on_letter_paper() {
    let pdf = testdoc::test_pdf();
    let res = Resolution::FINE;
    let pages = rasterize(&pdf, &opts(res, Paper::Letter)).expect("rasterise");
    assert_eq!(pages[0].bitmap.height(), 2156);
    check_test_page(&pages[0], res, Paper::Letter);
}

#[test]
fn multi_page_pdf_keeps_page_count() {
    let pdf = testdoc::multi_page_pdf(3);
    let t = Instant::now();
    let pages = rasterize(&pdf, &opts(Resolution::FINE, Paper::A4)).expect("rasterise");
    eprintln!("3 fine pages: {:?}", t.elapsed());
    assert_eq!(pages.len(), 3);
    for p in &pages {
        check_test_page(p, Resolution::FINE, Paper::A4);
    }
    // The pages differ (the label line), so they were rendered one by one.
    assert_ne!(pages[0].bitmap, pages[2].bitmap);
}

#[test]
fn too_many_pages_is_refused() {
    let pdf = testdoc::multi_page_pdf(3);
    let o = RasterOptions {
        max_pages: 2,
        ..RasterOptions::default()
    };
    match rasterize(&pdf, &o) {
        Err(RasterError::TooManyPages { pages: 3, max: 2 }) => {}
        other => panic!("expected TooManyPages, got {other:?}"),
    }
}

#[test]
fn landscape_pdf_is_turned_top_to_left() {
    let pdf = testdoc::landscape_pdf();
    let pages = rasterize(&pdf, &RasterOptions::default()).expect("rasterise");
    let b = &pages[0].bitmap;
    assert_eq!((b.width(), b.height()), (1728, 2292));
    // The landscape page (297 × 210 mm) turned fills the height (297 mm = 2292 rows), so
    // 1 mm = 196/25.4 rows and 204/25.4 columns. Its top-left square (10..50 mm in both
    // directions) lands at the bottom-left: x 10..50 mm, y (297-50)..(297-10) mm.
    let mmx = 204.0 / 25.4;
    let mmy = 196.0 / 25.4;
    let left = ((1728.0 - 210.0 * mmx) / 2.0f64).floor();
    let x0 = (left + 12.0 * mmx) as u32;
    let x1 = (left + 48.0 * mmx) as u32;
    let y0 = (249.0 * mmy) as u32;
    let y1 = (285.0 * mmy) as u32;
    let d = density(b, x0, y0, x1, y1);
    assert!(d > 0.99, "square at bottom-left: {d}");
    // Nothing at the top-left where an unrotated page would have put it.
    assert_eq!(density(b, 0, 0, 700, 500), 0.0);
    // Unrotated when asked: fitted by width, letterboxed top and bottom.
    let o = RasterOptions {
        auto_rotate: false,
        ..RasterOptions::default()
    };
    let b = &rasterize(&pdf, &o).expect("rasterise")[0].bitmap;
    assert_eq!(density(b, 0, 0, 1728, 550), 0.0, "letterbox above");
    assert!(b.count_black() > 10_000);
}

/// A synthetic photo-like image: a black square top-left, a mid-grey band, a white rest.
fn test_image(w: u32, h: u32) -> image::GrayImage {
    image::GrayImage::from_fn(w, h, |x, y| {
        if x < w / 4 && y < h / 4 {
            image::Luma([0])
        } else if y > h / 2 && y < h * 3 / 4 {
            image::Luma([128])
        } else {
            image::Luma([255])
        }
    })
}

fn encode(img: &image::GrayImage, fmt: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, fmt).expect("encode");
    out.into_inner()
}

/// Bounding box of black pixels.
fn ink_box(b: &Bitmap) -> Option<(u32, u32, u32, u32)> {
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for y in 0..b.height() {
        for x in 0..b.width() {
            if b.get(x, y) {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x + 1);
                y1 = y1.max(y + 1);
            }
        }
    }
    (x1 > 0).then_some((x0, y0, x1, y1))
}

#[test]
fn portrait_png_fits_by_height_and_is_centred() {
    // 800 × 1600 px: aspect 0.5. On fine A4 the page is 8.47 × 11.69 in, so height-bound:
    // drawn 5.85 in wide = 1193 px, centred → left margin (1728 − 1193) / 2 = 267.
    let png = encode(&test_image(800, 1600), image::ImageFormat::Png);
    let pages = rasterize(&png, &RasterOptions::default()).expect("rasterise");
    assert_eq!(pages.len(), 1);
    let b = &pages[0].bitmap;
    assert_eq!((b.width(), b.height()), (1728, 2292));
    let (x0, y0, _, _) = ink_box(b).expect("ink");
    assert!((266..=268).contains(&x0), "left edge {x0}");
    assert_eq!(y0, 0);
    // Black square: 1193/4 × 2292/4 px from the corner.
    assert!(density(b, x0 + 3, 3, x0 + 295, 570) > 0.99);
    // Grey band (rows 1146..1719) dithered to about half.
    let d = density(b, x0 + 10, 1160, x0 + 1180, 1700);
    assert!((0.4..=0.6).contains(&d), "grey band density {d}");
    // Margins left and right of the image are white.
    assert_eq!(density(b, 0, 0, 260, 2292), 0.0);
    assert_eq!(density(b, 1468, 0, 1728, 2292), 0.0);
}

#[test]
fn landscape_jpeg_is_rotated_and_fills_the_page() {
    // 1600 × 1131 px (A4 landscape). Rotated, it fills the page height and the black
    // square (top-left of the image) ends up bottom-left.
    let jpg = encode(&test_image(1600, 1131), image::ImageFormat::Jpeg);
    let pages = rasterize(&jpg, &RasterOptions::default()).expect("rasterise");
    let b = &pages[0].bitmap;
    assert_eq!((b.width(), b.height()), (1728, 2292));
    let (x0, _, band_end, _) = ink_box(b).expect("ink");
    // Rotated width: 1131/1600 × 11.69 in = 8.27 in = 1686 px, centred at 21. The image's
    // last quarter of rows (now its right quarter) is white, so ink stops at the grey band.
    assert!((19..=23).contains(&x0), "left {x0}");
    let x1 = x0 + 1686;
    assert!(
        (x0 + 1262..=x0 + 1267).contains(&band_end),
        "band end {band_end}"
    );
    let sq = density(b, x0 + 5, 2292 - 573 + 5, x0 + 415, 2287);
    assert!(sq > 0.99, "rotated square {sq}");
    // JPEG ringing around edges must not speckle the white paper (the image's white areas
    // either side of the grey band, which now runs vertically at x ≈ 843..1265).
    assert_eq!(density(b, x0 + 430, 0, x0 + 830, 1500), 0.0);
    assert_eq!(density(b, x0 + 1275, 0, x1 - 5, 2292), 0.0);
    let band = density(b, x0 + 850, 100, x0 + 1258, 2200);
    assert!((0.4..=0.6).contains(&band), "grey band {band}");

    // Unrotated: fitted by width, centred vertically.
    let o = RasterOptions {
        auto_rotate: false,
        ..RasterOptions::default()
    };
    let b = &rasterize(&jpg, &o).expect("rasterise")[0].bitmap;
    let (x0, y0, x1, y1) = ink_box(b).expect("ink");
    assert_eq!((x0, x1), (0, 1728));
    // 1728 px wide = 8.47 in → 5.99 in tall = 1174 rows, centred: top = 559.
    assert!((556..=562).contains(&y0), "top {y0}");
    assert!(y1 < 2292 - 550);
}

#[test]
fn png_with_alpha_is_composited_on_white() {
    let img = image::RgbaImage::from_fn(300, 400, |x, _| {
        if x < 150 {
            image::Rgba([0, 0, 0, 0]) // transparent black: must be white paper
        } else {
            image::Rgba([0, 0, 0, 255])
        }
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    let b = &rasterize(out.get_ref(), &RasterOptions::default()).expect("rasterise")[0].bitmap;
    // 300 × 400 fits by width (1728 px), so the opaque half starts at the page centre.
    let (x0, _, x1, _) = ink_box(b).expect("ink");
    assert!(
        (862..=866).contains(&x0),
        "opaque half starts mid-page: {x0}"
    );
    assert_eq!(x1, 1728);
    assert_eq!(density(b, 0, 0, 860, 2292), 0.0);
}

#[test]
fn oversize_image_is_refused_before_decoding() {
    let png = encode(&test_image(3000, 3000), image::ImageFormat::Png);
    let o = RasterOptions {
        max_input_pixels: 4_000_000,
        ..RasterOptions::default()
    };
    match rasterize(&png, &o) {
        Err(RasterError::TooLarge {
            width: 3000,
            height: 3000,
            ..
        }) => {}
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn corrupt_inputs_give_clear_errors() {
    // Random bytes.
    let mut x = 0x1234_5678u32;
    let junk: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    assert!(matches!(
        rasterize(&junk, &RasterOptions::default()),
        Err(RasterError::UnknownFormat)
    ));
    assert!(matches!(
        rasterize(b"", &RasterOptions::default()),
        Err(RasterError::UnknownFormat)
    ));

    // Truncated PNG.
    let png = encode(&test_image(400, 400), image::ImageFormat::Png);
    let err = rasterize(&png[..png.len() / 2], &RasterOptions::default()).unwrap_err();
    assert!(matches!(err, RasterError::InvalidImage(_)), "{err:?}");
    eprintln!("truncated PNG: {err}");

    // Truncated JPEG.
    let jpg = encode(&test_image(400, 400), image::ImageFormat::Jpeg);
    let r = rasterize(&jpg[..200], &RasterOptions::default());
    assert!(matches!(r, Err(RasterError::InvalidImage(_))), "{r:?}");

    // A PDF header followed by garbage.
    let mut bad = b"%PDF-1.7\n".to_vec();
    bad.extend_from_slice(&junk);
    let err = rasterize(&bad, &RasterOptions::default()).unwrap_err();
    assert!(
        matches!(err, RasterError::InvalidPdf(_) | RasterError::NoPages),
        "{err:?}"
    );
    eprintln!("garbage PDF: {err}");

    // A real PDF cut in half (xref and trailer lost).
    let pdf = testdoc::test_pdf();
    let r = rasterize(&pdf[..pdf.len() / 2], &RasterOptions::default());
    match r {
        Err(e) => eprintln!("truncated PDF: {e}"),
        // hayro repairs damaged files when it can; then the page must still be sane.
        Ok(pages) => assert!(pages.iter().all(|p| p.bitmap.width() == 1728)),
    }
}

fn qpdf_encrypt(pdf: &[u8], user: &str) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().ok()?;
    let inp = dir.path().join("in.pdf");
    let out = dir.path().join("out.pdf");
    std::fs::write(&inp, pdf).ok()?;
    let status = Command::new("qpdf")
        .args(["--encrypt", user, "owner", "256", "--"])
        .arg(&inp)
        .arg(&out)
        .status()
        .ok()?;
    status.success().then(|| std::fs::read(&out).ok()).flatten()
}

#[test]
fn encrypted_pdfs() {
    let pdf = testdoc::test_pdf();
    let Some(locked) = qpdf_encrypt(&pdf, "user") else {
        eprintln!("NOTE: qpdf not available, skipping encrypted-PDF test");
        return;
    };
    match rasterize(&locked, &RasterOptions::default()) {
        Err(RasterError::Encrypted) => {}
        other => panic!("expected Encrypted, got {other:?}"),
    }
    let msg = RasterError::Encrypted.to_string();
    assert!(
        msg.contains("encrypted") && msg.contains("password"),
        "{msg}"
    );

    // An empty user password (owner restrictions only) opens and renders normally.
    let open = qpdf_encrypt(&pdf, "").expect("qpdf with empty user password");
    let pages = rasterize(&open, &RasterOptions::default()).expect("rasterise");
    check_test_page(&pages[0], Resolution::FINE, Paper::A4);
}

fn pdfinfo_pages(path: &Path) -> Option<usize> {
    let out = Command::new("pdfinfo").arg(path).output().ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").map(|v| v.trim().parse().ok()))
        .flatten()
}

#[test]
fn real_world_pdfs_from_testdata() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/testdata/jchavanton"
    ));
    // T38_TEST_PAGES is 10 pages of dense test patterns: one configuration keeps the debug
    // build's run time down.
    let cases: [(&str, &[(Resolution, Paper)]); 2] = [
        ("T38_TEST_PAGES.pdf", &[(Resolution::STANDARD, Paper::A4)]),
        (
            "faxlogic_test_page_US_letter.pdf",
            &[
                (Resolution::FINE, Paper::Letter),
                (Resolution::STANDARD, Paper::A4),
            ],
        ),
    ];
    for (name, configs) in cases {
        let path = dir.join(name);
        let Ok(data) = std::fs::read(&path) else {
            eprintln!("NOTE: {} not present, skipped", path.display());
            continue;
        };
        for &(res, paper) in configs {
            let t = Instant::now();
            let pages = rasterize(&data, &opts(res, paper)).expect(name);
            eprintln!(
                "{name}: {} pages at {res:?} in {:?}",
                pages.len(),
                t.elapsed()
            );
            if let Some(n) = pdfinfo_pages(&path) {
                assert_eq!(pages.len(), n, "{name}: page count");
            } else {
                assert!(!pages.is_empty());
            }
            for (i, p) in pages.iter().enumerate() {
                assert_eq!(p.bitmap.width(), 1728);
                assert_eq!(p.bitmap.height(), paper.rows(res));
                let d = p.bitmap.count_black() as f64
                    / (p.bitmap.width() as f64 * p.bitmap.height() as f64);
                assert!(
                    d > 0.005 && d < 0.6,
                    "{name} page {}: black density {d}",
                    i + 1
                );
            }
        }
    }
}

#[test]
fn fax_ready_tiff_passes_through_unchanged() {
    // Two fax pages as a sender's own fax software would make them: fine and standard.
    let mut a = Bitmap::new(1728, 2292);
    a.fill_rect(100, 100, 400, 300);
    for x in (0..1728).step_by(3) {
        a.set(x, 1500, true); // a dotted line that rescaling would smear
    }
    let mut b = Bitmap::new(1728, 1146);
    b.fill_rect(0, 0, 1728, 2);
    b.fill_rect(864, 500, 1, 600);
    let pages = vec![
        Page {
            bitmap: a,
            resolution: Resolution::FINE,
        },
        Page {
            bitmap: b,
            resolution: Resolution::STANDARD,
        },
    ];
    let tif = faxvox_codecs::tiff::write_g4_tiff(&pages);
    let out = rasterize(&tif, &RasterOptions::default()).expect("rasterise");
    assert_eq!(out, pages);
}

#[test]
fn other_tiff_is_scaled_to_fit() {
    // A 300 dpi bilevel A4 scan (2480 × 3508) with a 1-inch black square 1 inch from the
    // top-left corner; on fine A4 the page fits by height at 100 %, centred (left 20 px).
    let mut scan = Bitmap::new(2480, 3508);
    scan.fill_rect(300, 300, 300, 300);
    let page = Page {
        bitmap: scan,
        resolution: Resolution {
            x_dpi: 300.0,
            y_dpi: 300.0,
        },
    };
    let tif = faxvox_codecs::tiff::write_g4_tiff(&[page]);
    let out = rasterize(&tif, &RasterOptions::default()).expect("rasterise");
    assert_eq!(out.len(), 1);
    let b = &out[0].bitmap;
    assert_eq!((b.width(), b.height()), (1728, 2292));
    assert_eq!(out[0].resolution, Resolution::FINE);
    let (x0, y0, x1, y1) = ink_box(b).expect("ink");
    // 1 in = 204 columns, 196 rows (± 2 px of resampling blur).
    let near = |v: u32, want: u32| v.abs_diff(want) <= 2;
    assert!(near(x0, 20 + 204) && near(x1, 20 + 408), "x {x0}..{x1}");
    assert!(near(y0, 196) && near(y1, 392), "y {y0}..{y1}");
    assert!(density(b, x0 + 2, y0 + 2, x1 - 2, y1 - 2) > 0.99);
}

#[test]
fn damaged_tiff_gives_clear_error() {
    let err = rasterize(b"II*\0\xff\xff\xff\x7f", &RasterOptions::default()).unwrap_err();
    assert!(matches!(err, RasterError::InvalidTiff(_)), "{err:?}");
    eprintln!("damaged TIFF: {err}");
}

#[test]
fn greyscale_tiff_is_decoded_and_fitted() {
    // A greyscale scan (not bilevel): the fax TIFF reader declines it, the image decoder
    // takes over, and it is fitted like a PNG.
    let tif = encode(&test_image(800, 1600), image::ImageFormat::Tiff);
    let pages = rasterize(&tif, &RasterOptions::default()).expect("rasterise");
    assert_eq!(pages.len(), 1);
    let b = &pages[0].bitmap;
    assert_eq!((b.width(), b.height()), (1728, 2292));
    let (x0, _, _, _) = ink_box(b).expect("ink");
    assert!((266..=268).contains(&x0), "left edge {x0}");
    let d = density(b, x0 + 10, 1160, x0 + 1180, 1700);
    assert!((0.4..=0.6).contains(&d), "grey band density {d}");
}

#[test]
fn mutated_pdfs_never_panic() {
    // Deterministic byte mutations of a real PDF: every outcome must be pages or an error.
    let pdf = testdoc::test_pdf();
    let o = opts(Resolution::STANDARD, Paper::A4);
    let mut x = 0x9e37_79b9u32;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..40 {
        let mut m = pdf.clone();
        for _ in 0..1 + next() % 8 {
            let i = next() as usize % m.len();
            m[i] = next() as u8;
        }
        match rasterize(&m, &o) {
            Ok(pages) => {
                assert!(pages
                    .iter()
                    .all(|p| p.bitmap.width() == 1728 && p.bitmap.height() == 1146));
                ok += 1;
            }
            Err(_) => failed += 1,
        }
    }
    eprintln!("mutated PDFs: {ok} rendered, {failed} refused");
}
