//! Shared helpers for the fax integration tests: documents generated in code, TIFF
//! comparison. (Included with `mod fax_common;` by each `tests/fax_*.rs`.)
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
