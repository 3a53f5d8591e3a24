//! PNG, JPEG and TIFF input: decode to grey, fit to the paper, halftone. Fax-ready TIFF pages
//! skip all of that and are passed through untouched.

use std::io::Cursor;

use image::imageops::{self, FilterType};
use image::{DynamicImage, GrayImage, ImageDecoder, ImageReader, Limits};

use super::{bitmap_to_gray, canvas_size, is_fax_ready, place, Gray, RasterError, RasterOptions};
use crate::Page;

/// Decodes a PNG or JPEG (EXIF orientation applied, transparency over white) and fits it
/// onto one page. Source pixels are taken as square, since only the aspect ratio matters
/// when fitting.
pub(super) fn rasterize_image(input: &[u8], opts: &RasterOptions) -> Result<Page, RasterError> {
    let gray = decode_gray(input, opts)?;
    let (w, h) = gray.dimensions();
    Ok(fit_gray(gray, w as f64, h as f64, opts))
}

/// TIFF input: fax-ready pages (bilevel, 1728 wide, fax resolution) are kept as they are;
/// other pages are scaled to fit like images.
pub(super) fn rasterize_tiff(input: &[u8], opts: &RasterOptions) -> Result<Vec<Page>, RasterError> {
    use crate::tiff::TiffError;
    let decoded = match crate::tiff::read_pages(input) {
        Ok(d) => d,
        // Greyscale or colour (a scanner's output): decode with the image crate and fit.
        Err(TiffError::Unsupported { .. }) if count_ifds(input) == Some(1) => {
            return rasterize_image(input, opts).map(|p| vec![p]);
        }
        Err(e @ TiffError::Unsupported { .. }) => {
            return Err(RasterError::InvalidTiff(format!(
                "{e} (multi-page greyscale or colour TIFFs are not supported; send a PDF)"
            )))
        }
        Err(TiffError::NoPages) => return Err(RasterError::NoPages),
        Err(e) => return Err(RasterError::InvalidTiff(e.to_string())),
    };
    if decoded.pages.len() > opts.max_pages {
        return Err(RasterError::TooManyPages {
            pages: decoded.pages.len(),
            max: opts.max_pages,
        });
    }
    let mut out = Vec::with_capacity(decoded.pages.len());
    for page in decoded.pages {
        if is_fax_ready(&page) {
            out.push(page);
            continue;
        }
        let (w, h) = (page.bitmap.width(), page.bitmap.height());
        check_pixels(w as u64, h as u64, opts)?;
        // Physical size from the page's resolution, so non-square pixels keep their shape.
        let dpi = |d: f32| {
            if d.is_finite() && d > 1.0 {
                d as f64
            } else {
                200.0
            }
        };
        let (pw, ph) = (
            w as f64 / dpi(page.resolution.x_dpi),
            h as f64 / dpi(page.resolution.y_dpi),
        );
        let gray = bitmap_to_gray(&page.bitmap);
        let img = GrayImage::from_raw(w, h, gray.data)
            .ok_or_else(|| RasterError::Internal("page buffer size mismatch".into()))?;
        out.push(fit_gray(img, pw, ph, opts));
    }
    Ok(out)
}

/// Number of IFDs (pages) in a classic TIFF, or `None` if the chain is damaged or loops.
fn count_ifds(b: &[u8]) -> Option<usize> {
    let le = match b.get(..4)? {
        [b'I', b'I', 42, 0] => true,
        [b'M', b'M', 0, 42] => false,
        _ => return None,
    };
    let u16_at = |o: usize| -> Option<u16> {
        let v: [u8; 2] = b.get(o..o + 2)?.try_into().ok()?;
        Some(if le {
            u16::from_le_bytes(v)
        } else {
            u16::from_be_bytes(v)
        })
    };
    let u32_at = |o: usize| -> Option<u32> {
        let v: [u8; 4] = b.get(o..o + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(v)
        } else {
            u32::from_be_bytes(v)
        })
    };
    let mut off = u32_at(4)? as usize;
    let mut n = 0;
    while off != 0 {
        n += 1;
        if n > 10_000 {
            return None;
        }
        let entries = u16_at(off)? as usize;
        let next = u32_at(off + 2 + entries * 12)? as usize;
        if next != 0 && next <= off {
            return None; // loops and backward links
        }
        off = next;
    }
    Some(n)
}

fn image_err(e: image::ImageError) -> RasterError {
    match e {
        image::ImageError::Limits(l) => RasterError::InvalidImage(format!("too large: {l}")),
        other => RasterError::InvalidImage(other.to_string()),
    }
}

/// Checks the header's dimensions against the pixel limit before decoding anything.
fn decode_gray(input: &[u8], opts: &RasterOptions) -> Result<GrayImage, RasterError> {
    let reader = || {
        ImageReader::new(Cursor::new(input))
            .with_guessed_format()
            .map_err(|e| RasterError::InvalidImage(e.to_string()))
    };
    let (w, h) = reader()?.into_dimensions().map_err(image_err)?;
    check_pixels(w as u64, h as u64, opts)?;
    let mut r = reader()?;
    let mut limits = Limits::default();
    // Room for the decoded image in its widest pixel format (16-bit RGBA) plus working space.
    limits.max_alloc = Some(
        (w as u64 * h as u64)
            .saturating_mul(8)
            .saturating_add(64 << 20),
    );
    r.limits(limits);
    let mut decoder = r.into_decoder().map_err(image_err)?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(image_err)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(gray_on_white(&img))
}

pub(super) fn check_pixels(w: u64, h: u64, opts: &RasterOptions) -> Result<(), RasterError> {
    if w == 0 || h == 0 {
        return Err(RasterError::InvalidImage("image has no pixels".into()));
    }
    if w.saturating_mul(h) > opts.max_input_pixels {
        return Err(RasterError::TooLarge {
            width: w,
            height: h,
            max: opts.max_input_pixels,
        });
    }
    Ok(())
}

/// Luma with any alpha composited over white paper.
fn gray_on_white(img: &DynamicImage) -> GrayImage {
    if !img.color().has_alpha() {
        return img.to_luma8();
    }
    let la = img.to_luma_alpha8();
    let (w, h) = la.dimensions();
    let data = la
        .as_raw()
        .chunks_exact(2)
        .map(|p| {
            let (l, a) = (p[0] as u32, p[1] as u32);
            ((l * a + 255 * (255 - a) + 127) / 255) as u8
        })
        .collect();
    GrayImage::from_raw(w, h, data).unwrap_or_else(|| GrayImage::new(w, h))
}

/// Fits a grey image whose physical size is `src_w × src_h` (any unit) onto a blank page:
/// rotated if that fits better, resampled (area-weighted when shrinking), centred, halftoned.
pub(super) fn fit_gray(src: GrayImage, src_w: f64, src_h: f64, opts: &RasterOptions) -> Page {
    let (cw, ch) = canvas_size(opts);
    let p = place(src_w, src_h, cw, ch, opts.resolution, opts.auto_rotate);
    let src = if p.rotate {
        imageops::rotate270(&src)
    } else {
        src
    };
    let scaled = if src.dimensions() == (p.width_px, p.height_px) {
        src
    } else {
        imageops::resize(&src, p.width_px, p.height_px, FilterType::Triangle)
    };
    let mut canvas = Gray::white(cw, ch);
    let sw = scaled.width() as usize;
    for (y, row) in scaled.as_raw().chunks_exact(sw.max(1)).enumerate() {
        let start = (p.top as usize + y) * cw as usize + p.left as usize;
        if let Some(dst) = canvas.data.get_mut(start..start + sw) {
            dst.copy_from_slice(row);
        }
    }
    canvas.to_page(opts.resolution)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Bitmap, Resolution};

    #[test]
    fn counts_tiff_pages() {
        let page = Page {
            bitmap: Bitmap::new(64, 8),
            resolution: Resolution::FINE,
        };
        let two = crate::tiff::write_g4_tiff(&[page.clone(), page]);
        assert_eq!(count_ifds(&two), Some(2));
        assert_eq!(count_ifds(b"II*\0\x08\0\0\0"), None);
        // A first IFD pointing back at itself.
        let mut looped = b"II*\0\x08\0\0\0\0\0".to_vec();
        looped.extend_from_slice(&8u32.to_le_bytes());
        assert_eq!(count_ifds(&looped), None);
        assert_eq!(count_ifds(b"GIF89a"), None);
    }
}
