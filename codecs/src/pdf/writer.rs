//! The PDF file around fax pages, written directly: a catalog, a page tree, an Info dictionary
//! and, per page, a page object, a one-line content stream and the G4 image XObject. Nothing
//! else is needed for a fax, so there is no document model to build and serialise: the image
//! bytes are copied once, into the output.

use std::io::{self, Write};

use super::G4Image;

/// Object numbers: 1 catalog, 2 page tree, 3 Info, then three per page.
const FIRST_PAGE_OBJECT: usize = 4;

/// Writes the PDF for `images` with the given Info title and date (`D:YYYYMMDDHHmmSSZ`) to
/// `out` and returns its length. Image data goes to `out` in one `write_all` per page, so a
/// buffered file writer passes it straight through without copying it into its buffer.
pub(super) fn write_pdf<W: Write>(
    images: &[G4Image],
    title: &str,
    date: &str,
    out: W,
) -> io::Result<u64> {
    let mut w = Writer {
        out,
        pos: 0,
        offsets: Vec::with_capacity(3 + 3 * images.len()),
    };
    w.bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")?;

    w.begin(1)?;
    w.bytes(b"<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")?;

    w.begin(2)?;
    let mut kids = String::with_capacity(12 * images.len());
    for i in 0..images.len() {
        let _ = std::fmt::Write::write_fmt(&mut kids, format_args!(" {} 0 R", page_object(i)));
    }
    w.text(format_args!(
        "<< /Type /Pages /Kids [{kids} ] /Count {} >>\nendobj\n",
        images.len()
    ))?;

    w.begin(3)?;
    let mut info = b"<< /Title ".to_vec();
    text_string(&mut info, title);
    w.bytes(&info)?;
    w.text(format_args!(
        " /Producer (faxvox) /Creator (faxvox) /CreationDate ({date}) /ModDate ({date}) >>\nendobj\n"
    ))?;

    for (i, img) in images.iter().enumerate() {
        let page = page_object(i);
        let (w_pt, h_pt) = (
            number(img.width as f64 * 72.0 / img.resolution.x_dpi as f64),
            number(img.height as f64 * 72.0 / img.resolution.y_dpi as f64),
        );
        w.begin(page)?;
        w.text(format_args!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w_pt} {h_pt}] /Resources << /XObject << /Im1 {} 0 R >> >> /Contents {} 0 R >>\nendobj\n",
            page + 2,
            page + 1
        ))?;
        let content = format!("q\n{w_pt} 0 0 {h_pt} 0 0 cm\n/Im1 Do\nQ\n");
        w.begin(page + 1)?;
        w.text(format_args!(
            "<< /Length {} >>\nstream\n{content}\nendstream\nendobj\n",
            content.len()
        ))?;
        w.begin(page + 2)?;
        w.text(format_args!(
            "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns {} /Rows {} /BlackIs1 {} >> /Length {} >>\nstream\n",
            img.width,
            img.height,
            img.width,
            img.height,
            img.black_is_1,
            img.data.len()
        ))?;
        if img.lsb_first {
            // Bit-reversed through a small buffer, not a second copy of the image.
            let mut buf = [0u8; 8192];
            for chunk in img.data.chunks(buf.len()) {
                for (o, b) in buf.iter_mut().zip(chunk) {
                    *o = b.reverse_bits();
                }
                w.bytes(&buf[..chunk.len()])?;
            }
        } else {
            w.bytes(&img.data)?;
        }
        w.bytes(b"\nendstream\nendobj\n")?;
    }

    let xref = w.pos;
    let size = w.offsets.len() + 1;
    let mut table = String::with_capacity(40 + 20 * size);
    let _ = std::fmt::Write::write_fmt(
        &mut table,
        format_args!("xref\n0 {size}\n0000000000 65535 f \n"),
    );
    for off in &w.offsets {
        let _ = std::fmt::Write::write_fmt(&mut table, format_args!("{off:010} 00000 n \n"));
    }
    let _ = std::fmt::Write::write_fmt(
        &mut table,
        format_args!(
            "trailer\n<< /Size {size} /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref}\n%%EOF\n"
        ),
    );
    w.bytes(table.as_bytes())?;
    w.out.flush()?;
    Ok(w.pos)
}

struct Writer<W> {
    out: W,
    /// Bytes written so far: the offset of the next one.
    pos: u64,
    /// Byte offset of each object, in object-number order from 1.
    offsets: Vec<u64>,
}

impl<W: Write> Writer<W> {
    /// Starts object `n` (objects are written in number order).
    fn begin(&mut self, n: usize) -> io::Result<()> {
        debug_assert_eq!(n, self.offsets.len() + 1);
        self.offsets.push(self.pos);
        self.text(format_args!("{n} 0 obj\n"))
    }

    fn bytes(&mut self, b: &[u8]) -> io::Result<()> {
        self.out.write_all(b)?;
        self.pos += b.len() as u64;
        Ok(())
    }

    fn text(&mut self, args: std::fmt::Arguments) -> io::Result<()> {
        match args.as_str() {
            Some(s) => self.bytes(s.as_bytes()),
            None => self.bytes(args.to_string().as_bytes()),
        }
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
