//! Shared helpers for the fax integration tests: documents generated in code, TIFF
//! comparison.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use faxvox_codecs::{tiff, Bitmap, Page, Resolution};

/// A deterministic xorshift generator, so documents are the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n.max(1))) as u32
    }
}

/// A text-like A4 fax page (1728 px wide): a frame, a title bar, lines of "words" made of
/// glyph-sized blocks with holes, a table and a diagonal. Different seeds give different pages.
pub fn test_page(seed: u64, resolution: Resolution) -> Page {
    let rows = if resolution.y_dpi > 150.0 { 2292 } else { 1146 };
    let scale = if resolution.y_dpi > 150.0 { 2 } else { 1 };
    let mut b = Bitmap::new(1728, rows);
    let mut rng = Rng::new(seed);
    // Frame.
    b.fill_rect(40, 20 * scale, 1648, 3);
    b.fill_rect(40, rows - 20 * scale, 1648, 3);
    b.fill_rect(40, 20 * scale, 3, rows - 40 * scale);
    b.fill_rect(1685, 20 * scale, 3, rows - 40 * scale);
    // Title bar with the seed as a barcode.
    b.fill_rect(100, 40 * scale, 1528, 30 * scale);
    for bit in 0..32 {
        if seed >> bit & 1 == 1 {
            b.fill_rect(120 + bit * 40, 80 * scale, 20, 10 * scale);
        }
    }
    // Text lines.
    let mut y = 110 * scale;
    while y + 20 * scale < rows * 3 / 4 {
        let mut x = 100;
        while x < 1580 {
            let word = 2 + rng.below(8);
            for _ in 0..word {
                let w = 8 + rng.below(6);
                let h = (8 + rng.below(5)) * scale;
                b.fill_rect(x, y + 12 * scale - h, w, h);
                // A hole, like the counter of a letter.
                if w > 9 {
                    for yy in y + 12 * scale - h + 2..y + 12 * scale - 2 {
                        for xx in x + 3..x + w - 3 {
                            b.set(xx, yy, false);
                        }
                    }
                }
                x += w + 3;
            }
            x += 12 + rng.below(10);
        }
        y += 22 * scale;
    }
    // Table.
    let top = rows * 3 / 4 + 10 * scale;
    for i in 0..6 {
        b.fill_rect(100, top + i * 20 * scale, 1528, 2);
    }
    for i in 0..9 {
        b.fill_rect(100 + i * 191, top, 2, 100 * scale);
    }
    // Diagonal.
    for i in 0..600 {
        b.fill_rect(1000 + i, top + 120 * scale + i * scale / 4, 3, 2);
    }
    Page {
        bitmap: b,
        resolution,
    }
}

/// The top `rows` rows of a fine [`test_page`]: a small page that faxes in seconds.
pub fn test_page_top(seed: u64, rows: u32) -> Page {
    let full = test_page(seed, Resolution::FINE);
    let mut b = Bitmap::new(1728, rows);
    for y in 0..rows {
        b.row_mut(y).copy_from_slice(full.bitmap.row(y));
    }
    Page {
        bitmap: b,
        resolution: Resolution::FINE,
    }
}

/// Writes `pages` as a G4 TIFF at `dir/name` and returns the path.
pub fn write_doc(dir: &Path, name: &str, pages: &[Page]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, tiff::write_g4_tiff(pages)).unwrap();
    path
}

/// Reads a TIFF's pages (panics with the reader's message on failure).
pub fn read_doc(path: &Path) -> Vec<Page> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = tiff::read_pages(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
    doc.pages
}

/// Asserts two documents have the same pages, pixel for pixel, naming the first difference.
pub fn assert_same_pixels(sent: &[Page], received: &[Page]) {
    assert_eq!(sent.len(), received.len(), "page count");
    for (i, (a, b)) in sent.iter().zip(received).enumerate() {
        let (a, b) = (&a.bitmap, &b.bitmap);
        assert_eq!(
            (a.width(), a.height()),
            (b.width(), b.height()),
            "page {} size",
            i + 1
        );
        if a != b {
            let y = (0..a.height()).find(|&y| a.row(y) != b.row(y)).unwrap();
            panic!("page {} differs first at row {y}", i + 1);
        }
    }
}

/// A T.6 (G4) strip of `rows` white rows, 1728 wide: one bit per row, so a page far longer
/// than any paper costs almost nothing to make, store or send.
pub fn blank_g4_strip(rows: u32) -> Vec<u8> {
    let mut enc = faxvox_codecs::ccitt::G4Encoder::with_capacity(1728, rows as usize / 8 + 64);
    for _ in 0..rows {
        enc.push_white_row();
    }
    enc.finish()
}

/// Writes fine-resolution (204 × 196 dpi) 1728-wide G4 pages given as `(strip, rows)` into a
/// TIFF at `dir/name`, without ever holding a page as a bitmap (for pages of a million rows).
pub fn write_g4_strips(dir: &Path, name: &str, pages: &[(Vec<u8>, u32)]) -> PathBuf {
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;
    let entry = |tag: u16, typ: u16, count: u32, value: u32| {
        let mut e = [0u8; 12];
        e[0..2].copy_from_slice(&tag.to_le_bytes());
        e[2..4].copy_from_slice(&typ.to_le_bytes());
        e[4..8].copy_from_slice(&count.to_le_bytes());
        if typ == SHORT && count == 1 {
            e[8..10].copy_from_slice(&(value as u16).to_le_bytes());
        } else {
            e[8..12].copy_from_slice(&value.to_le_bytes());
        }
        e
    };
    let mut out = b"II\x2a\x00\0\0\0\0".to_vec();
    let mut next_ifd_ptr = 4usize;
    for (i, (strip, rows)) in pages.iter().enumerate() {
        let strip_offset = out.len() as u32;
        out.extend_from_slice(strip);
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let res = out.len() as u32;
        for v in [204u32, 1, 196, 1] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let entries = [
            entry(254, LONG, 1, 2),
            entry(256, LONG, 1, 1728),
            entry(257, LONG, 1, *rows),
            entry(258, SHORT, 1, 1),
            entry(259, SHORT, 1, 4),
            entry(262, SHORT, 1, 0),
            entry(266, SHORT, 1, 1),
            entry(273, LONG, 1, strip_offset),
            entry(277, SHORT, 1, 1),
            entry(278, LONG, 1, *rows),
            entry(279, LONG, 1, strip.len() as u32),
            entry(282, RATIONAL, 1, res),
            entry(283, RATIONAL, 1, res + 8),
            entry(293, LONG, 1, 0),
            entry(296, SHORT, 1, 2),
            entry(297, SHORT, 2, i as u32 | (pages.len() as u32) << 16),
        ];
        let ifd = out.len() as u32;
        out[next_ifd_ptr..next_ifd_ptr + 4].copy_from_slice(&ifd.to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for e in &entries {
            out.extend_from_slice(e);
        }
        next_ifd_ptr = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap();
    path
}

/// `page` as a `(strip, rows)` pair for [`write_g4_strips`] (fine resolution assumed).
pub fn g4_strip(page: &Page) -> (Vec<u8>, u32) {
    (
        faxvox_codecs::ccitt::encode_g4(&page.bitmap),
        page.bitmap.height(),
    )
}

/// Rows of the TIFF's pages, read from the IFDs only (the pages are not decoded).
pub fn tiff_page_rows(path: &Path) -> Vec<u32> {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..4], b"II\x2a\x00", "little-endian TIFF");
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    let mut rows = Vec::new();
    let mut off = u32_at(4) as usize;
    while off != 0 && rows.len() < 1000 {
        let n = u16_at(off) as usize;
        for i in 0..n {
            let e = off + 2 + i * 12;
            if u16_at(e) == 257 {
                let typ = u16_at(e + 2);
                rows.push(if typ == 3 {
                    u32::from(u16_at(e + 8))
                } else {
                    u32_at(e + 8)
                });
            }
        }
        off = u32_at(off + 2 + n * 12) as usize;
    }
    rows
}

/// Asserts `received` is `sent` with a header line: the same size, every row below the
/// 5 mm header band the same pixel for pixel, and ink in the band (the line). Stronger than
/// a count: nothing but the band may differ.
pub fn assert_same_below_header(sent: &[Page], received: &[Page]) {
    assert_eq!(sent.len(), received.len(), "page count");
    for (i, (a, b)) in sent.iter().zip(received).enumerate() {
        assert_eq!(a.resolution, b.resolution, "page {} resolution", i + 1);
        let band = faxvox_codecs::header::band_rows(b.resolution);
        let (a, b) = (&a.bitmap, &b.bitmap);
        assert_eq!(
            (a.width(), a.height()),
            (b.width(), b.height()),
            "page {} size",
            i + 1
        );
        if let Some(y) = (band..a.height()).find(|&y| a.row(y) != b.row(y)) {
            panic!(
                "page {} differs below the header band first at row {y}",
                i + 1
            );
        }
        let ink: u32 = (0..band)
            .map(|y| b.row(y).iter().map(|x| x.count_ones()).sum::<u32>())
            .sum();
        assert!(
            ink > 200,
            "page {}: {ink} black pixels in the header band",
            i + 1
        );
    }
}

/// Asserts the header band of `page` ends with "page n/m" against the right margin: its
/// right end is pixel for pixel the codec's rendering of that text alone.
pub fn assert_header_page_number(page: &Page, n: u32, m: u32) {
    use faxvox_codecs::header::{band_rows, stamp, HeaderLine};
    let mut expected = Page {
        bitmap: Bitmap::new(page.bitmap.width(), page.bitmap.height().min(100)),
        resolution: page.resolution,
    };
    stamp(
        &mut expected,
        &HeaderLine {
            right: format!("page {n}/{m}"),
            ..HeaderLine::default()
        },
    );
    // The right field and its margin: 8 to 10 characters of at most 32 pixels each, and the
    // three blank cells before it keep the rest of the line out of these columns.
    let from = page.bitmap.width() - 300;
    for y in 0..band_rows(page.resolution) {
        for x in from..page.bitmap.width() {
            assert_eq!(
                page.bitmap.get(x, y),
                expected.bitmap.get(x, y),
                "header of page {n}/{m}: pixel ({x}, {y})"
            );
        }
    }
    assert!(expected.bitmap.count_black() > 0);
}

/// Writes `page` as a binary PGM picture at `path` (for a person to look at; any image
/// viewer or converter reads it), each row repeated so the picture has the page's physical
/// proportions.
pub fn write_pgm(page: &Page, path: &Path) {
    let repeat = (page.resolution.x_dpi / page.resolution.y_dpi)
        .round()
        .max(1.0) as u32;
    let (w, h) = (page.bitmap.width(), page.bitmap.height());
    let mut out = format!("P5\n{w} {}\n255\n", h * repeat).into_bytes();
    for y in 0..h * repeat {
        out.extend((0..w).map(|x| {
            if page.bitmap.get(x, y / repeat) {
                0u8
            } else {
                255
            }
        }));
    }
    std::fs::write(path, out).unwrap();
}

/// Whether `got` is `sent` with a header line: the same size, every row below the header
/// band identical, and ink in the band.
pub fn same_below_header(sent: &Page, got: &Bitmap) -> bool {
    let band = faxvox_codecs::header::band_rows(sent.resolution);
    let a = &sent.bitmap;
    (a.width(), a.height()) == (got.width(), got.height())
        && (band..a.height()).all(|y| a.row(y) == got.row(y))
        && (0..band).any(|y| got.row(y).iter().any(|b| *b != 0))
}
