//! The fast path for fax PDFs: a page that is one CCITT fax image drawn over the whole page
//! (what faxvox's own `tiff2pdf`, libtiff's `tiff2pdf`, fax machines and fax services write)
//! and that lands on the fax page pixel for pixel is decoded straight from its CCITT data.
//! Rendering it would sample the same bits through a rasteriser and a halftoner to get the
//! same page back, at several times the cost. Any other page goes to the renderer.

use hayro::hayro_syntax::content::ops::TypedInstruction;
use hayro::hayro_syntax::object::{Array, Dict, Name, Stream};
use hayro::hayro_syntax::page::{Page as PdfPage, Rotation};

use super::{canvas_size, place, RasterOptions};
use crate::ccitt::{self, Coding};
use crate::{Bitmap, Page};

/// How far (in device pixels, over the whole page) the page's mapping may be from one image
/// pixel per fax pixel and still count as 1:1; the renderer would sample the same pixels.
const ONE_TO_ONE_SLACK_PX: f64 = 0.5;

/// The page decoded from its fax image, placed as the renderer would place it; `None` when the
/// page is not a lone full-page CCITT image at this resolution (the caller renders it), or its
/// data does not decode cleanly (the renderer's lenient decoder takes it).
pub(super) fn fax_page<'a>(page: &'a PdfPage<'a>, opts: &RasterOptions) -> Option<Page> {
    if !matches!(page.rotation(), Rotation::None) {
        return None;
    }
    let media = page.media_box();
    let crop = page.intersected_crop_box();
    let same = |a: f64, b: f64| (a - b).abs() < 1e-3;
    if !(same(media.x0, crop.x0)
        && same(media.y0, crop.y0)
        && same(media.x1, crop.x1)
        && same(media.y1, crop.y1))
    {
        return None;
    }
    let (pw, ph) = (media.x1 - media.x0, media.y1 - media.y0);
    let name = lone_full_page_image(page, media.x0, media.y0, pw, ph)?;
    let image = page.resources().get_x_object(&name)?;
    let fax = FaxImage::read(&image)?;

    let (cw, ch) = canvas_size(opts);
    let p = place(
        pw / 72.0,
        ph / 72.0,
        cw,
        ch,
        opts.resolution,
        opts.auto_rotate,
    );
    let one_to_one = |scale: f64, side_pt: f64, pixels: u32| {
        (scale / 72.0 * side_pt - pixels as f64).abs() <= ONE_TO_ONE_SLACK_PX
    };
    if p.rotate
        || p.width_px != fax.width
        || p.height_px != fax.height
        || !one_to_one(p.scale_x, pw, fax.width)
        || !one_to_one(p.scale_y, ph, fax.height)
    {
        return None;
    }

    let mut bitmap = Bitmap::new(cw, ch);
    let mut y = p.top;
    let status = ccitt::decode(
        &fax.data,
        fax.width,
        fax.height,
        Coding::G4,
        true,
        |changes| {
            let row = bitmap.row_mut(y);
            ccitt::fill_row_from_changes(row, fax.width, changes);
            if fax.inverted {
                for b in row.iter_mut() {
                    *b = !*b;
                }
                let spare = fax.width % 8;
                if spare != 0 {
                    // The bits past the width stay white.
                    if let Some(last) = row.get_mut((fax.width / 8) as usize) {
                        *last &= 0xffu8 << (8 - spare);
                    }
                }
            }
            y += 1;
        },
    );
    if status.error.is_some() || status.rows != fax.height {
        return None;
    }
    Some(Page {
        bitmap,
        resolution: opts.resolution,
    })
}

/// The name of the image XObject when the content stream is exactly `[q] W 0 0 H X Y cm /Name
/// Do [Q]` with the matrix covering the page (`x0`, `y0`, `w`, `h` in points).
fn lone_full_page_image<'a>(
    page: &'a PdfPage<'a>,
    x0: f64,
    y0: f64,
    w: f64,
    h: f64,
) -> Option<Name<'a>> {
    let mut depth = 0i32;
    let mut matrix = None;
    let mut name = None;
    let mut ops = page.typed_operations();
    while let Some(op) = ops.next() {
        match op {
            TypedInstruction::SaveState(_) if matrix.is_none() => depth += 1,
            TypedInstruction::RestoreState(_) if name.is_some() && depth > 0 => depth -= 1,
            TypedInstruction::Transform(t) if matrix.is_none() => {
                matrix = Some([t.0, t.1, t.2, t.3, t.4, t.5].map(|n| n.as_f64()));
            }
            TypedInstruction::XObject(x) if matrix.is_some() && name.is_none() => {
                name = Some(x.0.clone());
            }
            _ => return None,
        }
    }
    let [a, b, c, d, e, f] = matrix?;
    let near = |v: f64, want: f64| (v - want).abs() < 0.01;
    let covers = near(a, w) && near(b, 0.0) && near(c, 0.0) && near(d, h);
    (depth == 0 && covers && near(e, x0) && near(f, y0)).then_some(name?)
}

/// What the fast path needs of a bilevel CCITT image XObject.
struct FaxImage {
    width: u32,
    height: u32,
    /// The runs the CCITT data calls black are drawn white (BlackIs1 against the Decode array).
    inverted: bool,
    data: Vec<u8>,
}

impl FaxImage {
    /// `None` for anything but a plain one-filter CCITT DeviceGray image without masks.
    fn read(image: &Stream<'_>) -> Option<FaxImage> {
        let dict = image.dict();
        if dict.get::<Name<'_>>(b"Subtype".as_slice()).as_deref() != Some(b"Image".as_slice()) {
            return None;
        }
        let filter_ok = match dict.get::<Name<'_>>(b"Filter".as_slice()) {
            Some(n) => is_ccitt(&n),
            None => dict
                .get::<Array<'_>>(b"Filter".as_slice())
                .is_some_and(|a| {
                    let names: Vec<Name<'_>> = a.iter::<Name<'_>>().collect();
                    names.len() == 1 && is_ccitt(&names[0])
                }),
        };
        let masked = dict.contains_key(b"SMask")
            || dict.contains_key(b"Mask")
            || dict.get::<bool>(b"ImageMask".as_slice()) == Some(true);
        let gray = dict.get::<Name<'_>>(b"ColorSpace".as_slice()).as_deref()
            == Some(b"DeviceGray".as_slice());
        let bpc = dict.get::<i64>(b"BitsPerComponent".as_slice()).unwrap_or(1);
        if !filter_ok || masked || !gray || bpc != 1 {
            return None;
        }
        let width = u32::try_from(dict.get::<i64>(b"Width".as_slice())?).ok()?;
        let height = u32::try_from(dict.get::<i64>(b"Height".as_slice())?).ok()?;

        let parms = decode_parms(dict);
        let int = |key: &[u8], default: i64| {
            parms
                .as_ref()
                .and_then(|p| p.get::<i64>(key))
                .unwrap_or(default)
        };
        let flag = |key: &[u8], default: bool| {
            parms
                .as_ref()
                .and_then(|p| p.get::<bool>(key))
                .unwrap_or(default)
        };
        // Group 4 only (K < 0), as fax PDFs are: Group 3 in PDF has EOL and alignment options
        // that the TIFF-oriented decoder does not take; the renderer handles those.
        let rows = int(b"Rows", 0);
        if int(b"K", 0) >= 0
            || int(b"Columns", 1728) != i64::from(width)
            || (rows != 0 && rows != i64::from(height))
            || flag(b"EncodedByteAlign", false)
        {
            return None;
        }
        let decode_inverted = match dict.get::<Array<'_>>(b"Decode".as_slice()) {
            None => false,
            Some(a) => {
                let v: Vec<f64> = a.iter::<f64>().collect();
                match v.as_slice() {
                    [lo, hi] if *lo == 0.0 && *hi == 1.0 => false,
                    [lo, hi] if *lo == 1.0 && *hi == 0.0 => true,
                    _ => return None,
                }
            }
        };
        // The filter writes black runs as 1 with BlackIs1, as 0 without; DeviceGray draws 0 as
        // black unless the Decode array swaps it.
        let inverted = flag(b"BlackIs1", false) != decode_inverted;
        Some(FaxImage {
            width,
            height,
            inverted,
            data: image.raw_data().into_owned(),
        })
    }
}

fn is_ccitt(name: &Name<'_>) -> bool {
    matches!(&**name, b"CCITTFaxDecode" | b"CCF")
}

/// The image's `DecodeParms`: a dictionary, or the one dictionary of a one-element array.
fn decode_parms<'a>(dict: &Dict<'a>) -> Option<Dict<'a>> {
    dict.get::<Dict<'a>>(b"DecodeParms".as_slice()).or_else(|| {
        dict.get::<Array<'a>>(b"DecodeParms".as_slice())
            .and_then(|a| a.iter::<Dict<'a>>().next())
    })
}

#[cfg(test)]
mod tests {
    use hayro::hayro_syntax::Pdf;

    use super::super::pdf::rasterize_pdf_with;
    use super::*;
    use crate::pdf::{pages_to_pdf, PdfOptions};
    use crate::raster::Paper;
    use crate::Resolution;

    /// A fax page with ink everywhere: text-like blocks, lines, a border and noise.
    fn page(rows: u32, res: Resolution, seed: u64) -> Page {
        let mut b = Bitmap::new(crate::raster::FAX_WIDTH, rows);
        let mut s = seed;
        for y in 0..rows {
            for x in 0..b.width() {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let block = (x / 40 + y / 30) % 3 == 0 && (s >> 60) < 9;
                let edge = x < 3 || y < 3 || x + 3 >= b.width() || y + 3 >= rows;
                if block || edge || (s >> 58) == 0 {
                    b.set(x, y, true);
                }
            }
        }
        Page {
            bitmap: b,
            resolution: res,
        }
    }

    fn pdf_of(pages: &[Page]) -> Vec<u8> {
        pages_to_pdf(pages, &PdfOptions::default()).unwrap().pdf
    }

    fn opts(res: Resolution) -> RasterOptions {
        RasterOptions {
            resolution: res,
            paper: Paper::A4,
            ..RasterOptions::default()
        }
    }

    /// Whether the fast path takes each page of `pdf`.
    fn taken(pdf: &[u8], o: &RasterOptions) -> Vec<bool> {
        let doc = Pdf::new(pdf.to_vec()).unwrap();
        doc.pages()
            .iter()
            .map(|p| fax_page(p, o).is_some())
            .collect()
    }

    fn assert_same_as_rendered(pdf: &[u8], o: &RasterOptions) -> Vec<Page> {
        let fast = rasterize_pdf_with(pdf, o, true).unwrap();
        let rendered = rasterize_pdf_with(pdf, o, false).unwrap();
        assert_eq!(fast.len(), rendered.len());
        for (i, (f, r)) in fast.iter().zip(&rendered).enumerate() {
            assert_eq!(f.bitmap.width(), r.bitmap.width(), "page {i}");
            assert_eq!(f.bitmap.height(), r.bitmap.height(), "page {i}");
            let differ = (0..f.bitmap.height())
                .filter(|&y| f.bitmap.row(y) != r.bitmap.row(y))
                .count();
            assert_eq!(
                differ, 0,
                "page {i}: {differ} rows differ from the rendered page"
            );
        }
        fast
    }

    #[test]
    fn fax_pages_decode_to_what_the_renderer_draws() {
        for res in [Resolution::FINE, Resolution::STANDARD] {
            let full = Paper::A4.rows(res);
            // A full A4 page, a shorter (letter-length) one and a short one still taller
            // than wide.
            let pages = [
                page(full, res, 1),
                page(full * 94 / 100, res, 2),
                page(full * 3 / 4, res, 3),
            ];
            let pdf = pdf_of(&pages);
            let o = opts(res);
            assert_eq!(taken(&pdf, &o), [true, true, true], "{res:?}");
            let out = assert_same_as_rendered(&pdf, &o);
            // And each is the original page, centred vertically on the A4 page.
            for (src, got) in pages.iter().zip(&out) {
                let top = (full - src.bitmap.height()) / 2;
                for y in 0..full {
                    let want_black = y >= top && y < top + src.bitmap.height();
                    if want_black {
                        assert_eq!(got.bitmap.row(y), src.bitmap.row(y - top), "row {y}");
                    } else {
                        assert!(got.bitmap.row(y).iter().all(|&b| b == 0), "row {y}");
                    }
                }
            }
        }
    }

    #[test]
    fn black_is_1_draws_the_runs_inverted_as_the_renderer_does() {
        let res = Resolution::FINE;
        let pdf = pdf_of(&[page(2000, res, 4)]);
        // Same length, so the cross-reference offsets stay right.
        let at = pdf
            .windows(15)
            .position(|w| w == b"/BlackIs1 false")
            .expect("the writer's flag");
        let mut flipped = pdf.clone();
        flipped[at..at + 15].copy_from_slice(b"/BlackIs1 true ");
        let o = opts(res);
        assert_eq!(taken(&flipped, &o), [true]);
        let inverted = assert_same_as_rendered(&flipped, &o);
        let plain = rasterize_pdf_with(&pdf, &o, true).unwrap();
        let top = (Paper::A4.rows(res) - 2000) / 2;
        let row = |p: &Page, y: u32| p.bitmap.row(y).to_vec();
        for y in [top, top + 1, top + 1000, top + 1999] {
            let expect: Vec<u8> = row(&plain[0], y).iter().map(|b| !b).collect();
            assert_eq!(row(&inverted[0], y), expect, "row {y}");
        }
    }

    #[test]
    fn pages_not_landing_one_to_one_are_rendered() {
        // Standard pages on a fine fax (scaled ×2 vertically), a page longer than A4 (scaled
        // down), a page wider than tall (turned), and a page narrower than the fax width: all
        // left to the renderer.
        let half = pdf_of(&[page(
            Paper::A4.rows(Resolution::FINE) / 2,
            Resolution::FINE,
            8,
        )]);
        assert_eq!(taken(&half, &opts(Resolution::FINE)), [false]);
        let std_pdf = pdf_of(&[page(800, Resolution::STANDARD, 5)]);
        assert_eq!(taken(&std_pdf, &opts(Resolution::FINE)), [false]);
        let long = pdf_of(&[page(
            Paper::A4.rows(Resolution::FINE) + 200,
            Resolution::FINE,
            6,
        )]);
        assert_eq!(taken(&long, &opts(Resolution::FINE)), [false]);
        let narrow = Page {
            bitmap: Bitmap::new(1000, 900),
            resolution: Resolution::FINE,
        };
        assert_eq!(taken(&pdf_of(&[narrow]), &opts(Resolution::FINE)), [false]);
        // Any other content (a text page) is rendered too.
        let text = crate::raster::testdoc::test_pdf();
        assert!(taken(&text, &opts(Resolution::FINE)).iter().all(|t| !t));
    }

    #[test]
    fn damaged_ccitt_data_falls_back_to_the_renderer() {
        let res = Resolution::FINE;
        let mut pdf = pdf_of(&[page(2000, res, 7)]);
        assert_eq!(taken(&pdf, &opts(res)), [true]);
        // Damage the middle of the image stream: the strict decoder refuses it.
        let start = pdf.windows(7).position(|w| w == b"stream\n").unwrap();
        let start = pdf[start + 7..]
            .windows(7)
            .position(|w| w == b"stream\n")
            .map(|p| p + start + 14)
            .unwrap();
        for b in &mut pdf[start + 400..start + 420] {
            *b = 0xff;
        }
        assert_eq!(taken(&pdf, &opts(res)), [false]);
        assert!(rasterize_pdf_with(&pdf, &opts(res), true).is_ok());
    }
}
