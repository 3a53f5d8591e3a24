//! PDF pages back to pixels with poppler's `pdftoppm`, for tests that compare what was
//! emailed with what was sent.

use std::path::Path;
use std::process::Command;

use faxvox_codecs::Bitmap;

/// Renders every page of a PDF with poppler at 204 × 196 dpi, black and white.
pub fn render_pdf(pdftoppm: &Path, pdf: &[u8], dir: &Path, name: &str) -> Vec<Bitmap> {
    render_pdf_at(pdftoppm, pdf, dir, name, "204", "196")
}

/// Renders every page of a PDF with poppler at `x_dpi` × `y_dpi`, black and white (the load
/// bench's standard-resolution pages: 204 × 98).
pub fn render_pdf_at(
    pdftoppm: &Path,
    pdf: &[u8],
    dir: &Path,
    name: &str,
    x_dpi: &str,
    y_dpi: &str,
) -> Vec<Bitmap> {
    let src = dir.join(format!("{name}.pdf"));
    std::fs::write(&src, pdf).unwrap();
    let prefix = dir.join(name);
    let out = Command::new(pdftoppm)
        .args(["-rx", x_dpi, "-ry", y_dpi, "-mono"])
        .arg(&src)
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "pbm")
                && p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("{name}-"))
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| read_pbm(&std::fs::read(p).unwrap()))
        .collect()
}

/// Reads a binary PBM (P4: rows MSB-first, 1 = black — the same packing as `Bitmap`).
pub fn read_pbm(bytes: &[u8]) -> Bitmap {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 3 {
        while bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes[i] == b'#' {
            while bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..i]).into_owned());
    }
    assert_eq!(fields[0], "P4", "not a binary PBM");
    let (w, h): (u32, u32) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let data = bytes[i + 1..].to_vec();
    Bitmap::from_packed(w, h, data).expect("PBM size")
}
