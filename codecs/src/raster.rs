//! Documents → fax pages: rasterises PDF, PNG, JPEG and TIFF input into bilevel pages exactly
//! 1728 pixels wide at a fax resolution, ready to be G4-coded and sent.
//!
//! The input format is sniffed from its magic bytes, never from a file name, because documents
//! arrive by e-mail and HTTP with untrustworthy names. Every source page is scaled to fit the
//! paper (aspect ratio kept, centred, never stretched; landscape pages turned to portrait when
//! that makes them larger) and then converted to black and white by [`halftone`]: text and line
//! art stay sharp, grey fills and photos are dithered.
//!
//! Hostile input must not take the gateway down: page and pixel limits refuse oversize
//! documents, parse failures become [`RasterError`]s, and a panic inside a decoder is caught
//! and reported as [`RasterError::Internal`].

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::{Bitmap, Page, Resolution};

mod fax_pdf;
pub mod halftone;
mod img;
mod pdf;
#[doc(hidden)]
pub mod testdoc;

/// Width of every fax page in pixels (215 mm at 204 dpi, ITU-T T.4).
pub const FAX_WIDTH: u32 = 1728;

/// Paper the pages are laid out for; it sets the page height (the width is always the fax's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Paper {
    /// ISO A4, 210 × 297 mm.
    #[default]
    A4,
    /// US Letter, 8.5 × 11 in.
    Letter,
}

impl Paper {
    /// Paper height in inches.
    pub fn height_in(self) -> f64 {
        match self {
            Paper::A4 => 297.0 / 25.4,
            Paper::Letter => 11.0,
        }
    }

    /// Page height in pixel rows at `resolution` (A4: 1146 / 2292 / 4572 rows for standard /
    /// fine / superfine; Letter: 1078 / 2156 / 4301).
    pub fn rows(self, resolution: Resolution) -> u32 {
        (self.height_in() * resolution.y_dpi as f64).round() as u32
    }
}

/// How documents are rasterised, and the limits that protect the gateway from huge input.
#[derive(Clone, Debug, PartialEq)]
pub struct RasterOptions {
    /// Fax resolution of the output pages (`Resolution::STANDARD`, `FINE` or `SUPERFINE`).
    pub resolution: Resolution,
    /// Paper size, which gives the page height.
    pub paper: Paper,
    /// Documents with more pages are refused (a fax of hundreds of pages is a mistake or abuse).
    pub max_pages: usize,
    /// Images (TIFF pages, and images inside PDFs) with more pixels than this are refused
    /// before being decoded.
    pub max_input_pixels: u64,
    /// Turn landscape pages by 90° (top to the left) when that makes them larger on paper.
    pub auto_rotate: bool,
}

impl Default for RasterOptions {
    fn default() -> Self {
        RasterOptions {
            resolution: Resolution::FINE,
            paper: Paper::A4,
            max_pages: 200,
            max_input_pixels: 64_000_000,
            auto_rotate: true,
        }
    }
}

/// Why a document could not be turned into fax pages. The messages are meant for the sender.
#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    /// The first bytes match none of the formats we read.
    #[error("unsupported document format (expected PDF, PNG, JPEG or TIFF)")]
    UnknownFormat,
    /// Opening needs a user password, which a fax gateway never has.
    #[error("the PDF is encrypted and needs a password; send an unprotected copy")]
    Encrypted,
    /// Encrypted with a method hayro cannot decrypt.
    #[error("the PDF uses an unsupported encryption method")]
    UnsupportedEncryption,
    /// Not a readable PDF even after repair.
    #[error("invalid or damaged PDF: {0}")]
    InvalidPdf(String),
    /// PNG or JPEG (or grey/colour TIFF) that does not decode.
    #[error("invalid or damaged image: {0}")]
    InvalidImage(String),
    /// The TIFF reader's own message, which names the problem and the page.
    #[error("cannot read the TIFF: {0}")]
    InvalidTiff(String),
    /// A well-formed document with nothing to send.
    #[error("the document has no pages")]
    NoPages,
    /// More pages than [`RasterOptions::max_pages`].
    #[error("the document has {pages} pages; at most {max} can be faxed")]
    TooManyPages { pages: usize, max: usize },
    /// More pixels than [`RasterOptions::max_input_pixels`], refused before decoding.
    #[error("image of {width} × {height} pixels is too large (at most {max} pixels)")]
    TooLarge { width: u64, height: u64, max: u64 },
    /// An image inside a PDF declares more pixels than [`RasterOptions::max_input_pixels`];
    /// refused before any page is drawn.
    #[error("image inside the PDF too large: {width} × {height} pixels (at most {max} pixels)")]
    PdfImageTooLarge { width: u64, height: u64, max: u64 },
    /// [`RasterOptions::resolution`] is not a usable resolution (a caller bug).
    #[error("unsupported fax resolution {x_dpi} × {y_dpi} dpi")]
    BadResolution { x_dpi: f32, y_dpi: f32 },
    /// A decoder panicked (caught); the document is probably hostile or exotic.
    #[error("internal error while rendering the document: {0}")]
    Internal(String),
}

/// The document formats [`rasterize`] understands, as told by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// `%PDF-` within the first KiB.
    Pdf,
    Png,
    Jpeg,
    Tiff,
}

/// Tells the format from the magic bytes. PDFs may carry up to 1 KiB of junk before `%PDF-`
/// (readers accept that, so we do too).
pub fn sniff(input: &[u8]) -> Option<InputKind> {
    if input.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(InputKind::Png)
    } else if input.starts_with(&[0xff, 0xd8, 0xff]) {
        Some(InputKind::Jpeg)
    } else if input.starts_with(b"II*\0") || input.starts_with(b"MM\0*") {
        Some(InputKind::Tiff)
    } else if input[..input.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        Some(InputKind::Pdf)
    } else {
        None
    }
}

/// Rasterises a PDF, PNG, JPEG or TIFF document into fax pages: 1728 pixels wide, at
/// `opts.resolution`, `opts.paper` tall (a fax-ready TIFF is passed through page for page).
///
/// Never panics: decoder panics are caught and returned as [`RasterError::Internal`].
pub fn rasterize(input: &[u8], opts: &RasterOptions) -> Result<Vec<Page>, RasterError> {
    let res = opts.resolution;
    let dpi_ok = |d: f32| (50.0..=1200.0).contains(&d);
    if !(dpi_ok(res.x_dpi) && dpi_ok(res.y_dpi)) {
        return Err(RasterError::BadResolution {
            x_dpi: res.x_dpi,
            y_dpi: res.y_dpi,
        });
    }
    let kind = sniff(input).ok_or(RasterError::UnknownFormat)?;
    let result = catch_unwind(AssertUnwindSafe(|| match kind {
        InputKind::Pdf => pdf::rasterize_pdf(input, opts),
        InputKind::Png | InputKind::Jpeg => img::rasterize_image(input, opts).map(|p| vec![p]),
        InputKind::Tiff => img::rasterize_tiff(input, opts),
    }));
    let pages = match result {
        Ok(r) => r?,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "decoder panicked".into());
            return Err(RasterError::Internal(msg));
        }
    };
    if pages.is_empty() {
        return Err(RasterError::NoPages);
    }
    Ok(pages)
}

/// A greyscale raster (0 = black, 255 = white), the intermediate between decoders and the
/// bilevel conversion.
pub(crate) struct Gray {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl Gray {
    pub fn white(width: u32, height: u32) -> Self {
        Gray {
            width,
            height,
            data: vec![255; width as usize * height as usize],
        }
    }

    pub fn to_page(&self, resolution: Resolution) -> Page {
        Page {
            bitmap: halftone::to_bilevel(&self.data, self.width, self.height),
            resolution,
        }
    }
}

/// Where a source page of physical size `w × h` (any unit, square units) lands on the fax page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Placement {
    /// The source is turned 90° counter-clockwise (its top edge goes to the left).
    pub rotate: bool,
    /// Output pixels per source unit, horizontally and vertically (after rotation).
    pub scale_x: f64,
    pub scale_y: f64,
    /// Size of the placed source in output pixels, and its top-left corner.
    pub width_px: u32,
    pub height_px: u32,
    pub left: u32,
    pub top: u32,
}

/// Fits a source of `src_w × src_h` inches onto a `canvas_w × canvas_h` pixel page at
/// `res`, keeping the aspect ratio and centring it; turns landscape sources when that
/// makes them at least 5 % larger.
pub(crate) fn place(
    src_w: f64,
    src_h: f64,
    canvas_w: u32,
    canvas_h: u32,
    res: Resolution,
    auto_rotate: bool,
) -> Placement {
    let (xd, yd) = (res.x_dpi as f64, res.y_dpi as f64);
    let cw_in = canvas_w as f64 / xd;
    let ch_in = canvas_h as f64 / yd;
    let src_w = src_w.max(1e-6);
    let src_h = src_h.max(1e-6);
    let k_up = (cw_in / src_w).min(ch_in / src_h);
    let k_rot = (cw_in / src_h).min(ch_in / src_w);
    let rotate = auto_rotate && src_w > src_h && k_rot > k_up * 1.05;
    let (k, w, h) = if rotate {
        (k_rot, src_h, src_w)
    } else {
        (k_up, src_w, src_h)
    };
    let width_px = ((w * k * xd).round() as u32).clamp(1, canvas_w);
    let height_px = ((h * k * yd).round() as u32).clamp(1, canvas_h);
    Placement {
        rotate,
        scale_x: k * xd,
        scale_y: k * yd,
        width_px,
        height_px,
        left: (canvas_w - width_px) / 2,
        top: (canvas_h - height_px) / 2,
    }
}

/// An all-white page of the size `opts` asks for.
pub(crate) fn canvas_size(opts: &RasterOptions) -> (u32, u32) {
    (FAX_WIDTH, opts.paper.rows(opts.resolution))
}

/// Whether a decoded bilevel page can be sent as it is: fax width and a fax resolution.
pub(crate) fn is_fax_ready(page: &Page) -> bool {
    let r = page.resolution;
    page.bitmap.width() == FAX_WIDTH
        && (r.x_dpi - 204.0).abs() <= 4.0
        && [98.0f32, 196.0, 391.0]
            .iter()
            .any(|y| (r.y_dpi - y).abs() <= 0.03 * y)
}

/// Converts a bilevel bitmap to grey (for rescaling TIFF pages that are not fax-ready).
pub(crate) fn bitmap_to_gray(b: &Bitmap) -> Gray {
    let w = b.width() as usize;
    let mut g = Gray::white(b.width(), b.height());
    if w == 0 {
        return g;
    }
    for (y, row) in g.data.chunks_exact_mut(w).enumerate() {
        let bits = b.row(y as u32);
        for (x, px) in row.iter_mut().enumerate() {
            if bits[x / 8] & (0x80 >> (x % 8)) != 0 {
                *px = 0;
            }
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_heights() {
        assert_eq!(Paper::A4.rows(Resolution::STANDARD), 1146);
        assert_eq!(Paper::A4.rows(Resolution::FINE), 2292);
        assert_eq!(Paper::A4.rows(Resolution::SUPERFINE), 4572);
        assert_eq!(Paper::Letter.rows(Resolution::STANDARD), 1078);
        assert_eq!(Paper::Letter.rows(Resolution::FINE), 2156);
        assert_eq!(Paper::Letter.rows(Resolution::SUPERFINE), 4301);
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some(InputKind::Pdf));
        assert_eq!(sniff(b"junk\r\n%PDF-1.4"), Some(InputKind::Pdf));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nxxxx"), Some(InputKind::Png));
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0]), Some(InputKind::Jpeg));
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Some(InputKind::Tiff));
        assert_eq!(sniff(b"MM\0*\0\0\0\x08"), Some(InputKind::Tiff));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn placement_a4_page_on_a4_fine() {
        // An A4 PDF page (8.27 × 11.69 in) fits by height at 100 %, centred horizontally.
        let p = place(
            210.0 / 25.4,
            297.0 / 25.4,
            1728,
            2292,
            Resolution::FINE,
            true,
        );
        assert!(!p.rotate);
        assert!((p.scale_x - 204.0).abs() < 0.5, "{p:?}");
        assert_eq!(p.height_px, 2292);
        assert_eq!(p.width_px, 1687);
        assert_eq!(p.left, (1728 - 1687) / 2);
        assert_eq!(p.top, 0);
    }

    #[test]
    fn placement_landscape_rotates() {
        let p = place(
            297.0 / 25.4,
            210.0 / 25.4,
            1728,
            2292,
            Resolution::FINE,
            true,
        );
        assert!(p.rotate);
        assert_eq!(p.height_px, 2292);
        let q = place(
            297.0 / 25.4,
            210.0 / 25.4,
            1728,
            2292,
            Resolution::FINE,
            false,
        );
        assert!(!q.rotate);
        assert_eq!(q.width_px, 1728);
        assert!(q.top > 0);
    }

    #[test]
    fn fax_ready_detection() {
        let page = |w, x, y| Page {
            bitmap: Bitmap::new(w, 10),
            resolution: Resolution { x_dpi: x, y_dpi: y },
        };
        assert!(is_fax_ready(&page(1728, 204.0, 196.0)));
        assert!(is_fax_ready(&page(1728, 204.0, 98.0)));
        assert!(is_fax_ready(&page(1728, 204.0, 391.0)));
        assert!(is_fax_ready(&page(1728, 200.0, 200.0)));
        assert!(!is_fax_ready(&page(1728, 300.0, 300.0)));
        assert!(!is_fax_ready(&page(2048, 204.0, 196.0)));
    }
}
