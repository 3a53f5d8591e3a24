//! Shared helpers for the TIFF/PDF integration tests: generated pages, external tools
//! (libtiff, Ghostscript, poppler, qpdf) and PBM parsing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use faxvox_codecs::{Bitmap, Page, Resolution};

/// Deterministic pseudo-random numbers (no dev-dependency needed).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// A page with rectangles, thin lines, a checkerboard and rows of random noise.
pub fn pattern_page(width: u32, height: u32, res: Resolution, seed: u64) -> Page {
    let mut b = Bitmap::new(width, height);
    let mut rng = Lcg(seed);
    // Frame of 1-pixel lines.
    b.fill_rect(0, 0, width, 1);
    b.fill_rect(0, height - 1, width, 1);
    b.fill_rect(0, 0, 1, height);
    b.fill_rect(width - 1, 0, 1, height);
    // Rectangles.
    for _ in 0..12 {
        let x = (rng.next() % width as u64) as u32;
        let y = (rng.next() % height as u64) as u32;
        let w = (rng.next() % 300) as u32 + 1;
        let h = (rng.next() % 120) as u32 + 1;
        b.fill_rect(x, y, w, h);
    }
    // Thin horizontal and vertical lines.
    for i in 0..10 {
        let y = (height / 11) * (i + 1);
        b.fill_rect(width / 10, y, width / 2, 1);
        let x = (width / 11) * (i + 1);
        b.fill_rect(x, height / 3, 1, height / 3);
    }
    // 1-pixel checkerboard block and an 8-pixel one.
    let (cx, cy) = (width / 3, height / 2);
    for y in 0..(height / 8).min(64) {
        for x in 0..(width / 4).min(256) {
            if (x + y).is_multiple_of(2) {
                b.set(cx + x, cy + y, true);
            }
            if (x / 8 + y / 8).is_multiple_of(2) {
                b.set(x + 3, y + 3, true);
            }
        }
    }
    // Random noise rows.
    for k in 0..6u32 {
        let y = (rng.next() % height as u64) as u32;
        for x in 0..width {
            let v = rng.next().is_multiple_of(7);
            b.set(
                x,
                y,
                v || (k.is_multiple_of(2) && rng.next().is_multiple_of(2)),
            );
        }
    }
    Page {
        bitmap: b,
        resolution: res,
    }
}

/// The standard multi-page test document: fax resolutions, an odd width, 300 dpi, a tiny page.
pub fn test_document() -> Vec<Page> {
    vec![
        pattern_page(1728, 500, Resolution::STANDARD, 1),
        pattern_page(1001, 700, Resolution::FINE, 2),
        pattern_page(1728, 900, Resolution::SUPERFINE, 3),
        pattern_page(
            2480,
            400,
            Resolution {
                x_dpi: 300.0,
                y_dpi: 300.0,
            },
            4,
        ),
        pattern_page(
            13,
            5,
            Resolution {
                x_dpi: 200.0,
                y_dpi: 200.0,
            },
            5,
        ),
    ]
}

/// Fails loudly when a tool is missing: these tests are the proof that libtiff, Ghostscript
/// and qpdf agree with us.
pub fn tool(name: &str) -> Command {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "`{name}` not found: install ghostscript libtiff-tools poppler-utils qpdf"
    );
    Command::new(name)
}

/// Runs a command, asserting success; returns (stdout, stderr).
pub fn run(cmd: &mut Command) -> (String, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{stdout}\n{stderr}",
        out.status
    );
    (stdout, stderr)
}

/// Parses a binary PBM (P4) file into a bitmap: same packing as `Bitmap` (MSB first, 1 = black).
pub fn read_pbm(path: &Path) -> Bitmap {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 3 {
        while i < data.len() && data[i].is_ascii_whitespace() {
            i += 1;
        }
        if data.get(i) == Some(&b'#') {
            while i < data.len() && data[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while i < data.len() && !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..i]).into_owned());
    }
    assert_eq!(fields[0], "P4", "{}: not a raw PBM", path.display());
    let w: u32 = fields[1].parse().expect("width");
    let h: u32 = fields[2].parse().expect("height");
    let body = data[i + 1..].to_vec();
    let stride = (w as usize).div_ceil(8);
    Bitmap::from_packed(w, h, body[..stride * h as usize].to_vec()).expect("pbm size")
}

/// Renders page `page` (1-based) of a PDF with Ghostscript at the given resolution.
pub fn render_page(pdf: &Path, page: usize, res: Resolution, dir: &Path) -> Bitmap {
    let out = dir.join(format!("render-{page}.pbm"));
    run(tool("gs")
        .arg("-q")
        .arg("-dNOPAUSE")
        .arg("-dBATCH")
        .arg("-dSAFER")
        .arg("-sDEVICE=pbmraw")
        .arg(format!("-r{}x{}", res.x_dpi, res.y_dpi))
        .arg(format!("-dFirstPage={page}"))
        .arg(format!("-dLastPage={page}"))
        .arg("-o")
        .arg(&out)
        .arg(pdf));
    read_pbm(&out)
}

/// Page sizes in points from `pdfinfo`.
pub fn pdf_page_sizes(pdf: &Path) -> Vec<(f64, f64)> {
    let (out, _) = run(tool("pdfinfo")
        .arg("-f")
        .arg("1")
        .arg("-l")
        .arg("9999")
        .arg(pdf));
    out.lines()
        .filter(|l| l.starts_with("Page") && l.contains(" size: "))
        .map(|l| {
            let s = l.split(" size: ").nth(1).expect("size");
            let mut it = s.split_whitespace();
            let w: f64 = it.next().expect("w").parse().expect("w");
            assert_eq!(it.next(), Some("x"));
            let h: f64 = it.next().expect("h").parse().expect("h");
            (w, h)
        })
        .collect()
}

/// `qpdf --check` must report no errors.
pub fn qpdf_check(pdf: &Path) {
    let (out, _) = run(tool("qpdf").arg("--check").arg(pdf));
    assert!(
        out.contains("No syntax or stream encoding errors"),
        "qpdf: {out}"
    );
}

/// Number of differing pixels, or `usize::MAX` when sizes differ.
pub fn diff_pixels(a: &Bitmap, b: &Bitmap) -> usize {
    if a.width() != b.width() || a.height() != b.height() {
        return usize::MAX;
    }
    a.data()
        .iter()
        .zip(b.data())
        .map(|(x, y)| (x ^ y).count_ones() as usize)
        .sum()
}

/// A fresh temporary directory for one test.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

pub fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).expect("write");
    p
}

/// Asserts every page of `pdf` renders pixel-identical to `pages`, has the physical size given
/// by the page's resolution, and passes qpdf.
pub fn assert_pdf_matches(pdf_bytes: &[u8], pages: &[Page], dir: &Path, label: &str) {
    let pdf = write(dir, "out.pdf", pdf_bytes);
    qpdf_check(&pdf);
    let sizes = pdf_page_sizes(&pdf);
    assert_eq!(sizes.len(), pages.len(), "{label}: page count");
    for (i, (page, (w, h))) in pages.iter().zip(&sizes).enumerate() {
        let (ew, eh) = page.size_pt();
        assert!(
            (w - ew as f64).abs() < 0.01 && (h - eh as f64).abs() < 0.01,
            "{label} page {}: size {w}x{h} pt, expected {ew}x{eh}",
            i + 1
        );
        let r = render_page(&pdf, i + 1, page.resolution, dir);
        let d = diff_pixels(&r, &page.bitmap);
        assert_eq!(
            d,
            0,
            "{label} page {}: rendered {}x{} vs source {}x{}: {d} pixels differ",
            i + 1,
            r.width(),
            r.height(),
            page.bitmap.width(),
            page.bitmap.height()
        );
    }
}

/// IFD entry offsets of a little-endian classic TIFF, page by page: (tag, entry offset).
pub fn ifd_entries(file: &[u8]) -> Vec<Vec<(u16, usize)>> {
    let u16_at = |o: usize| u16::from_le_bytes([file[o], file[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes([file[o], file[o + 1], file[o + 2], file[o + 3]]);
    let mut pages = Vec::new();
    let mut off = u32_at(4) as usize;
    while off != 0 && pages.len() < 100 {
        let n = u16_at(off) as usize;
        pages.push(
            (0..n)
                .map(|i| (u16_at(off + 2 + 12 * i), off + 2 + 12 * i))
                .collect(),
        );
        off = u32_at(off + 2 + 12 * n) as usize;
    }
    pages
}

/// Overwrites the inline value of `tag` on page `page` (0-based) of a little-endian TIFF we
/// wrote (SHORT tags keep their type, LONG tags theirs).
pub fn patch_tag(file: &mut [u8], page: usize, tag: u16, value: u32) {
    let entries = ifd_entries(file);
    let &(_, e) = entries[page]
        .iter()
        .find(|(t, _)| *t == tag)
        .unwrap_or_else(|| panic!("tag {tag} not on page {page}"));
    let typ = u16::from_le_bytes([file[e + 2], file[e + 3]]);
    if typ == 3 {
        file[e + 8..e + 10].copy_from_slice(&(value as u16).to_le_bytes());
    } else {
        file[e + 8..e + 12].copy_from_slice(&value.to_le_bytes());
    }
}

/// (offset, length) of the single strip of page `page` of a TIFF we wrote.
pub fn strip_of(file: &[u8], page: usize) -> (usize, usize) {
    let entries = ifd_entries(file);
    let val = |tag: u16| {
        let &(_, e) = entries[page].iter().find(|(t, _)| *t == tag).expect("tag");
        u32::from_le_bytes([file[e + 8], file[e + 9], file[e + 10], file[e + 11]]) as usize
    };
    (val(273), val(279))
}

/// Changes the tag number of `tag` on page `page`, hiding it from readers.
pub fn rename_tag(file: &mut [u8], page: usize, tag: u16, new_tag: u16) {
    let entries = ifd_entries(file);
    let &(_, e) = entries[page].iter().find(|(t, _)| *t == tag).expect("tag");
    file[e..e + 2].copy_from_slice(&new_tag.to_le_bytes());
}

/// Offset of the next-IFD pointer of page `page`.
pub fn next_ifd_ptr(file: &[u8], page: usize) -> usize {
    let entries = ifd_entries(file);
    entries[page].last().expect("entries").1 + 12
}
