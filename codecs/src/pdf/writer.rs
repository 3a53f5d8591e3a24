//! The PDF file around fax pages, written directly: a catalog, a page tree, an Info dictionary
//! and, per page, a page object, a one-line content stream and the G4 image XObject. Nothing
//! else is needed for a fax, so there is no document model to build and serialise: the image
//! bytes are copied once, into the output.

use std::io::Write;

use super::G4Image;

/// Object numbers: 1 catalog, 2 page tree, 3 Info, then three per page.
const FIRST_PAGE_OBJECT: usize = 4;

/// Writes the PDF for `images` with the given Info title and date (`D:YYYYMMDDHHmmSSZ`).
pub(super) fn write_pdf(images: &[G4Image], title: &str, date: &str) -> Vec<u8> {
    let data: usize = images.iter().map(|i| i.data.len()).sum();
    let mut w = Writer {
        out: Vec::with_capacity(data + 600 * images.len() + 600),
        offsets: Vec::with_capacity(3 + 3 * images.len()),
    };
    w.out.extend_from_slice(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");

    w.begin(1);
    w.out
        .extend_from_slice(b"<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");

    w.begin(2);
    w.out.extend_from_slice(b"<< /Type /Pages /Kids [");
    for i in 0..images.len() {
        let _ = write!(w.out, " {} 0 R", page_object(i));
    }
    let _ = write!(w.out, " ] /Count {} >>\nendobj\n", images.len());

    w.begin(3);
    w.out.extend_from_slice(b"<< /Title ");
    text_string(&mut w.out, title);
    let _ = write!(
        w.out,
        " /Producer (faxvox) /Creator (faxvox) /CreationDate ({date}) /ModDate ({date}) >>\nendobj\n"
    );

    for (i, img) in images.iter().enumerate() {
        let page = page_object(i);
        let (w_pt, h_pt) = (
            number(img.width as f64 * 72.0 / img.resolution.x_dpi as f64),
            number(img.height as f64 * 72.0 / img.resolution.y_dpi as f64),
        );
        w.begin(page);
        let _ = write!(
            w.out,
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w_pt} {h_pt}] /Resources << /XObject << /Im1 {} 0 R >> >> /Contents {} 0 R >>\nendobj\n",
            page + 2,
            page + 1
        );
        let content = format!("q\n{w_pt} 0 0 {h_pt} 0 0 cm\n/Im1 Do\nQ\n");
        w.begin(page + 1);
        let _ = write!(w.out, "<< /Length {} >>\nstream\n", content.len());
        w.out.extend_from_slice(content.as_bytes());
        w.out.extend_from_slice(b"\nendstream\nendobj\n");
        w.begin(page + 2);
        let _ = write!(
            w.out,
            "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns {} /Rows {} /BlackIs1 {} >> /Length {} >>\nstream\n",
            img.width,
            img.height,
            img.width,
            img.height,
            img.black_is_1,
            img.data.len()
        );
        w.out.extend_from_slice(&img.data);
        w.out.extend_from_slice(b"\nendstream\nendobj\n");
    }

    let xref = w.out.len();
    let size = w.offsets.len() + 1;
    let _ = write!(w.out, "xref\n0 {size}\n0000000000 65535 f \n");
    for off in &w.offsets {
        let _ = writeln!(w.out, "{off:010} 00000 n ");
    }
    let _ = write!(
        w.out,
        "trailer\n<< /Size {size} /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    );
    w.out
}

struct Writer {
    out: Vec<u8>,
    /// Byte offset of each object, in object-number order from 1.
    offsets: Vec<usize>,
}

impl Writer {
    /// Starts object `n` (objects are written in number order).
    fn begin(&mut self, n: usize) {
        debug_assert_eq!(n, self.offsets.len() + 1);
        self.offsets.push(self.out.len());
        let _ = writeln!(self.out, "{n} 0 obj");
    }
}

fn page_object(i: usize) -> usize {
    FIRST_PAGE_OBJECT + 3 * i
}

/// A PDF number with at most four decimals and no trailing zeros ("609.8823", "842"),
/// rounded towards zero: a page size rounded up (609.8824 pt for 1728 dots at 204 dpi) makes
/// renderers that round the pixel size up draw 1729 columns instead of 1728.
fn number(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    // The small bias keeps values that are exact in decimal (0.3) from dropping a digit.
    let v = (v * 10_000.0 + v.signum() * 1e-6).trunc() / 10_000.0;
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// A PDF text string: a literal string when `s` is printable ASCII, else UTF-16BE with a byte
/// order mark, in hex.
fn text_string(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        out.push(b'(');
        for b in s.bytes() {
            if matches!(b, b'(' | b')' | b'\\') {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b')');
    } else {
        out.extend_from_slice(b"<FEFF");
        for unit in s.encode_utf16() {
            let _ = write!(out, "{unit:04X}");
        }
        out.push(b'>');
    }
}

/// `D:YYYYMMDDHHmmSSZ` for a Unix time (UTC); `None` is now.
pub(super) fn pdf_date(unix: Option<i64>) -> String {
    let ts = unix
        .and_then(|t| jiff::Timestamp::from_second(t).ok())
        .unwrap_or_else(jiff::Timestamp::now);
    ts.strftime("D:%Y%m%d%H%M%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_strings() {
        assert_eq!(number(1728.0 * 72.0 / 204.0), "609.8823");
        assert_eq!(number(600.0 * 72.0 / 98.0), "440.8163");
        assert_eq!(number(0.1 * 3.0), "0.3");
        assert_eq!(number(842.0), "842");
        assert_eq!(number(f64::NAN), "0");
        let mut out = Vec::new();
        text_string(&mut out, "Fax (a\\b)");
        assert_eq!(out, b"(Fax \\(a\\\\b\\))");
        out.clear();
        text_string(&mut out, "Fax é");
        assert_eq!(out, b"<FEFF004600610078002000E9>");
        assert_eq!(pdf_date(Some(1_700_000_000)), "D:20231114221320Z");
    }
}
