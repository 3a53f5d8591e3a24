//! PDF pages → grey rasters with hayro (pure Rust, no AGPL renderer linked in).

use hayro::hayro_interpret::util::TransformExt;
use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::{DecryptionError, LoadPdfError, Pdf};
use hayro::kurbo::Affine;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::vello_cpu::{Pixmap, RasterizerSettings, RenderContext, Resources, TargetInit};
use hayro::{render_into, RenderCache, RenderSettings};

use super::{canvas_size, place, Gray, RasterError, RasterOptions};
use crate::Page;

/// Renders every page of a PDF, fitted to the paper, and converts it to bilevel; a page that
/// is one fax image landing 1:1 on the fax page is decoded instead (`fax_pdf`).
pub(super) fn rasterize_pdf(input: &[u8], opts: &RasterOptions) -> Result<Vec<Page>, RasterError> {
    rasterize_pdf_with(input, opts, true)
}

/// [`rasterize_pdf`], with the fax-image fast path on or off (off: every page rendered, the
/// reference the fast path is tested against).
pub(super) fn rasterize_pdf_with(
    input: &[u8],
    opts: &RasterOptions,
    fax_fast_path: bool,
) -> Result<Vec<Page>, RasterError> {
    let pdf = Pdf::new(input.to_vec()).map_err(|e| match e {
        LoadPdfError::Decryption(DecryptionError::PasswordProtected) => RasterError::Encrypted,
        LoadPdfError::Decryption(DecryptionError::UnsupportedAlgorithm) => {
            RasterError::UnsupportedEncryption
        }
        LoadPdfError::Decryption(d) => {
            RasterError::InvalidPdf(format!("broken encryption ({d:?})"))
        }
        LoadPdfError::Invalid => {
            RasterError::InvalidPdf("cannot read the document structure".into())
        }
    })?;
    check_images(&pdf, opts)?;
    let pages = pdf.pages();
    if pages.is_empty() {
        return Err(RasterError::NoPages);
    }
    if pages.len() > opts.max_pages {
        return Err(RasterError::TooManyPages {
            pages: pages.len(),
            max: opts.max_pages,
        });
    }

    let (cw, ch) = canvas_size(opts);
    let (cw16, ch16) = match (u16::try_from(cw), u16::try_from(ch)) {
        (Ok(w), Ok(h)) => (w, h),
        _ => {
            return Err(RasterError::Internal(format!(
                "page of {cw} × {ch} is too large"
            )))
        }
    };
    let cache = RenderCache::new();
    let settings = InterpreterSettings::default();
    // Anti-aliasing stays on: the halftoner thresholds edges at their midpoint, which gives
    // the same crisp strokes as aliased rendering but keeps faint hairlines as dotted lines
    // instead of dropping them.
    let render_settings = RenderSettings::default();
    let mut ctx = RenderContext::new(cw16, ch16);
    let mut pixmap = Pixmap::new(cw16, ch16);
    let mut resources = Resources::default();
    let mut out = Vec::with_capacity(pages.len());
    for page in pages.iter() {
        if fax_fast_path {
            if let Some(fax) = super::fax_pdf::fax_page(page, opts) {
                out.push(fax);
                continue;
            }
        }
        let (pw, ph) = page.render_dimensions();
        let (pw, ph) = (pw as f64, ph as f64);
        let p = place(
            pw / 72.0,
            ph / 72.0,
            cw,
            ch,
            opts.resolution,
            opts.auto_rotate,
        );
        // Page space (points, y down, origin top-left after `initial_transform`) → device.
        let turn = if p.rotate {
            // (x, y) → (y, pw − x): the page's top edge goes to the left.
            Affine::new([0.0, -1.0, 1.0, 0.0, 0.0, pw])
        } else {
            Affine::IDENTITY
        };
        let transform = Affine::translate((p.left as f64, p.top as f64))
            * Affine::scale_non_uniform(p.scale_x / 72.0, p.scale_y / 72.0)
            * turn
            * page.initial_transform(true).to_kurbo();
        ctx.reset_and_resize(cw16, ch16);
        render_into(
            page,
            &cache,
            &settings,
            &render_settings,
            &mut ctx,
            transform,
        );
        ctx.flush();
        ctx.render_with(
            &mut pixmap,
            &mut resources,
            RasterizerSettings {
                target_init: TargetInit::Clear(WHITE),
                ..Default::default()
            },
        );
        let gray = pixmap_to_gray(&pixmap, cw, ch);
        out.push(gray.to_page(opts.resolution));
    }
    Ok(out)
}

/// Refuses a PDF holding an image larger than [`RasterOptions::max_input_pixels`], from the
/// sizes its image dictionaries declare, before any page is drawn: hayro decodes an image at
/// its declared size (a 60000 × 60000 JPEG of a few bytes asks for 10 GB). Every object of
/// the file is looked at, drawn or not, so no page or form can hide one. Images inline in a
/// content stream are not seen here; the renderer's process limits bound those.
pub(super) fn check_images(pdf: &Pdf, opts: &RasterOptions) -> Result<(), RasterError> {
    use hayro::hayro_syntax::object::dict::keys::{HEIGHT, IMAGE, SUBTYPE, WIDTH};
    use hayro::hayro_syntax::object::Name;
    for object in pdf.objects() {
        let Some(stream) = object.into_stream() else {
            continue;
        };
        let dict = stream.dict();
        if dict.get::<Name<'_>>(SUBTYPE).is_none_or(|n| &*n != IMAGE) {
            continue;
        }
        // As numbers of any size: a width past u32 is refused, not skipped.
        let side = |key: &[u8]| dict.get::<f64>(key).unwrap_or(0.0).max(0.0);
        let (w, h) = (side(WIDTH), side(HEIGHT));
        if w * h > opts.max_input_pixels as f64 {
            return Err(RasterError::PdfImageTooLarge {
                width: w as u64,
                height: h as u64,
                max: opts.max_input_pixels,
            });
        }
    }
    Ok(())
}

/// Premultiplied RGBA over white → luma (BT.601 weights, as fax scanners see colour).
fn pixmap_to_gray(pixmap: &Pixmap, w: u32, h: u32) -> Gray {
    let n = w as usize * h as usize;
    let src = pixmap.data_as_u8_slice();
    let mut data = vec![255u8; n];
    // Whole pixels as little-endian words in one pass the compiler vectorises; white beyond
    // the pixmap, if it is shorter.
    for (g, px) in data.iter_mut().zip(src.chunks_exact(4)) {
        let v = u32::from_le_bytes([px[0], px[1], px[2], px[3]]);
        let (r, gr, b, a) = (v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24);
        let luma = (r * 77 + gr * 150 + b * 29) >> 8;
        *g = (luma + (255 - a)).min(255) as u8;
    }
    Gray {
        width: w,
        height: h,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{rasterize, testdoc, RasterError, RasterOptions};

    #[test]
    fn an_image_declared_huge_inside_a_pdf_is_refused_before_drawing() {
        let pdf = testdoc::declared_image_pdf(60000, 60000);
        assert!(pdf.len() < 4096, "the bomb is small: {} bytes", pdf.len());
        let started = std::time::Instant::now();
        match rasterize(&pdf, &RasterOptions::default()) {
            Err(e @ RasterError::PdfImageTooLarge { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("image inside the PDF too large: 60000 × 60000"),
                    "{msg}"
                );
            }
            other => panic!("expected PdfImageTooLarge, got {other:?}"),
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn the_pixel_limit_applies_to_images_inside_pdfs() {
        let pdf = testdoc::grey_image_pdf(100, 80);
        // Within the limit: rendered, the grey image dithered onto the page.
        let pages = rasterize(&pdf, &RasterOptions::default()).expect("a small image renders");
        assert_eq!(pages.len(), 1);
        let black = (0..pages[0].bitmap.height())
            .flat_map(|y| pages[0].bitmap.row(y).to_vec())
            .map(|b| b.count_ones() as u64)
            .sum::<u64>();
        assert!(black > 10_000, "the image is drawn ({black} black pixels)");
        // One pixel under its size: refused, with the declared size.
        let opts = RasterOptions {
            max_input_pixels: 100 * 80 - 1,
            ..RasterOptions::default()
        };
        match rasterize(&pdf, &opts) {
            Err(RasterError::PdfImageTooLarge { width, height, max }) => {
                assert_eq!((width, height, max), (100, 80, 7999));
            }
            other => panic!("expected PdfImageTooLarge, got {other:?}"),
        }
        // Exactly at the limit: accepted.
        let opts = RasterOptions {
            max_input_pixels: 100 * 80,
            ..RasterOptions::default()
        };
        assert!(rasterize(&pdf, &opts).is_ok());
    }

    #[test]
    fn the_nested_forms_bomb_is_small_and_well_formed() {
        let pdf = testdoc::nested_forms_pdf(30);
        assert!(pdf.len() < 6 * 1024, "{} bytes", pdf.len());
        // Three levels render at once (8 fills): the document itself is valid.
        let pages = rasterize(&testdoc::nested_forms_pdf(3), &RasterOptions::default())
            .expect("a shallow nest renders");
        assert_eq!(pages.len(), 1);
    }
}
