//! The header line a sending fax machine prints at the top of every page it transmits: the
//! date and time, who sends it and "page n/m", in a band 5 mm tall (US rules require one on
//! every sent fax).
//!
//! [`stamp`] clears the band and draws one line of text in it; every pixel below the band is
//! left as it was. Glyphs come from the public-domain 8×8 bitmap font of the `font8x8` crate
//! (ASCII and Latin-1, so "Zoé Lefèvre" renders), scaled by whole pixels to the band's height
//! and, horizontally, to the same physical size (fax pixels are not square: 204 × 98 dpi at
//! standard resolution), condensed to 3/4 of the width as fax headers are, so a line holds
//! about 70 characters. A character without a glyph is drawn as `?`; text that does not fit
//! the line is cut, never wrapped.

use crate::bitmap::{Page, Resolution};

/// Height of the header band in millimetres.
pub const BAND_MM: f32 = 5.0;

/// Horizontal margins of the line, in millimetres.
const MARGIN_MM: f32 = 3.0;

/// Empty character cells between the left field and the middle one, and between the middle
/// one and the right field.
const GAP: usize = 3;

/// Width of a character cell relative to its height (physically): condensed, as fax headers.
const CONDENSED: f32 = 0.75;

/// The three fields of a header line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderLine {
    /// At the left margin: the date and time.
    pub left: String,
    /// After the left field: the sender's name and number.
    pub middle: String,
    /// Against the right margin: "page n/m". Kept whole before the middle field when the
    /// line is too short for both.
    pub right: String,
}

/// Rows of the header band at `resolution`: 5 mm, rounded up (20 at 98 dpi, 39 at 196 dpi).
pub fn band_rows(resolution: Resolution) -> u32 {
    (BAND_MM * resolution.y_dpi / 25.4).ceil().max(1.0) as u32
}

/// Clears the top 5 mm of `page` and draws `line` in it. Rows below the band are untouched;
/// a page shorter than the band is cleared and drawn in whole.
pub fn stamp(page: &mut Page, line: &HeaderLine) {
    let res = page.resolution;
    let band = band_rows(res).min(page.bitmap.height());
    for y in 0..band {
        page.bitmap.row_mut(y).fill(0);
    }
    let (sx, sy) = scale(res, band);
    let (cell_w, cell_h) = (8 * sx, 8 * sy);
    let width = page.bitmap.width();
    let margin = ((MARGIN_MM * res.x_dpi / 25.4).round() as u32).min(width / 4);
    let columns = (width.saturating_sub(2 * margin) / cell_w) as usize;
    let top = band.saturating_sub(cell_h) / 2;
    for (col, c) in layout(line, columns).into_iter().enumerate() {
        let Some(c) = c else { continue };
        let glyph = glyph(c);
        let x0 = margin + col as u32 * cell_w;
        for (gy, bits) in glyph.iter().enumerate() {
            for gx in 0..8u32 {
                if bits & (1 << gx) == 0 {
                    continue;
                }
                for dy in 0..sy {
                    let y = top + gy as u32 * sy + dy;
                    if y >= band {
                        break;
                    }
                    for dx in 0..sx {
                        page.bitmap.set(x0 + gx * sx + dx, y, true);
                    }
                }
            }
        }
    }
}

/// Whole-pixel scale factors of the 8×8 glyphs (horizontal, vertical): as tall as the band
/// allows with a blank row above and below, and as wide physically as 3/4 of that height.
fn scale(res: Resolution, band: u32) -> (u32, u32) {
    let sy = (band.saturating_sub(2) / 8).max(1);
    // Bounded, whatever resolution a document declares.
    let sx = (sy as f32 * CONDENSED * res.x_dpi / res.y_dpi)
        .round()
        .clamp(1.0, 64.0) as u32;
    (sx, sy)
}

/// The characters of each of `columns` cells (None: blank). The right field is placed first
/// against the right end; the left one from the start; the middle one after the left, cut
/// where it would come closer than [`GAP`] to the right field. Whatever passes the last
/// column is cut.
fn layout(line: &HeaderLine, columns: usize) -> Vec<Option<char>> {
    let mut cells = vec![None; columns];
    let put = |cells: &mut Vec<Option<char>>, from: usize, until: usize, text: &str| {
        for (i, c) in text.chars().enumerate() {
            let at = from + i;
            if at >= until.min(cells.len()) {
                break;
            }
            cells[at] = (c != ' ').then_some(c);
        }
    };
    let left: Vec<char> = line.left.trim().chars().collect();
    let right = line.right.trim();
    let right_start = columns.saturating_sub(right.chars().count());
    put(
        &mut cells,
        0,
        right_start.saturating_sub(GAP),
        line.left.trim(),
    );
    let middle_start = if left.is_empty() { 0 } else { left.len() + GAP };
    put(
        &mut cells,
        middle_start,
        right_start.saturating_sub(GAP),
        line.middle.trim(),
    );
    put(&mut cells, right_start, columns, right);
    cells
}

/// The 8×8 glyph of `c` (one byte per row, bit 0 the leftmost pixel); `?` for a character
/// the font does not have (or draws as nothing, other than the space).
fn glyph(c: char) -> [u8; 8] {
    let code = c as u32;
    let found = match code {
        0x20..=0x7e => Some(font8x8::legacy::BASIC_LEGACY[code as usize]),
        0xa0..=0xff => Some(font8x8::legacy::LATIN_LEGACY[(code - 0xa0) as usize]),
        _ => None,
    };
    match found {
        Some(g) if g != [0; 8] || c == ' ' || c == '\u{a0}' => g,
        _ => font8x8::legacy::BASIC_LEGACY[b'?' as usize],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bitmap::Bitmap;

    /// A fax-width page with ink everywhere: a pattern that differs on every row and column.
    fn inked(resolution: Resolution) -> Page {
        let height = (297.0 * resolution.y_dpi / 25.4) as u32;
        let mut bitmap = Bitmap::new(1728, height);
        for y in 0..height {
            for x in 0..1728 {
                if (x * 7 + y * 13) % 5 < 3 || (x / 50 + y / 30) % 2 == 0 {
                    bitmap.set(x, y, true);
                }
            }
        }
        Page { bitmap, resolution }
    }

    fn line() -> HeaderLine {
        HeaderLine {
            left: "2026-12-07 23:14 CET".into(),
            middle: "Zoé Lefèvre +33 1 00 00 00 01".into(),
            right: "page 1/3".into(),
        }
    }

    /// Black pixels in rows `[from, to)`.
    fn ink(page: &Page, from: u32, to: u32) -> u64 {
        (from..to)
            .map(|y| {
                page.bitmap
                    .row(y)
                    .iter()
                    .map(|b| b.count_ones() as u64)
                    .sum::<u64>()
            })
            .sum()
    }

    #[test]
    fn header_band_is_five_mm() {
        assert_eq!(band_rows(Resolution::STANDARD), 20);
        assert_eq!(band_rows(Resolution::FINE), 39);
        assert_eq!(band_rows(Resolution::SUPERFINE), 77);
    }

    #[test]
    fn header_leaves_every_pixel_below_the_band() {
        for res in [Resolution::STANDARD, Resolution::FINE] {
            let original = inked(res);
            let mut page = original.clone();
            stamp(&mut page, &line());
            let band = band_rows(res);
            assert_eq!(page.bitmap.width(), original.bitmap.width());
            assert_eq!(page.bitmap.height(), original.bitmap.height());
            for y in band..page.bitmap.height() {
                assert_eq!(
                    page.bitmap.row(y),
                    original.bitmap.row(y),
                    "row {y} at {res:?}"
                );
            }
            // The band was cleared (the input had ink in every row) and holds the text.
            let text = ink(&page, 0, band);
            assert!(text > 1000, "{text} black pixels in the band at {res:?}");
            assert!(text < ink(&original, 0, band) / 2);
            // A blank row above and below the glyphs.
            assert_eq!(ink(&page, 0, 1), 0);
            assert_eq!(ink(&page, band - 1, band), 0);
        }
    }

    #[test]
    fn header_glyphs_are_the_fonts_scaled() {
        for res in [Resolution::STANDARD, Resolution::FINE] {
            let mut page = Page {
                bitmap: Bitmap::new(1728, 400),
                resolution: res,
            };
            stamp(
                &mut page,
                &HeaderLine {
                    left: "{".into(),
                    ..HeaderLine::default()
                },
            );
            let band = band_rows(res);
            let (sx, sy) = scale(res, band);
            // Physically 3/4 as wide as tall, whatever the pixels' shape.
            let aspect = (sx as f32 / res.x_dpi) / (sy as f32 / res.y_dpi);
            assert!((0.6..0.9).contains(&aspect), "{aspect} at {res:?}");
            let margin = (MARGIN_MM * res.x_dpi / 25.4).round() as u32;
            let top = (band - 8 * sy) / 2;
            let g = font8x8::legacy::BASIC_LEGACY[b'{' as usize];
            for gy in 0..8 {
                for gx in 0..8 {
                    let want = g[gy as usize] & (1 << gx) != 0;
                    for (dx, dy) in [(0, 0), (sx - 1, sy - 1)] {
                        let (x, y) = (margin + gx * sx + dx, top + gy * sy + dy);
                        assert_eq!(page.bitmap.get(x, y), want, "({x}, {y}) at {res:?}");
                    }
                }
            }
            assert_eq!(
                page.bitmap.count_black(),
                g.iter().map(|b| b.count_ones() as u64).sum::<u64>() * u64::from(sx * sy)
            );
        }
    }

    #[test]
    fn header_draws_latin1_and_question_marks_for_the_rest() {
        let draw = |text: &str| {
            let mut page = Page {
                bitmap: Bitmap::new(1728, 100),
                resolution: Resolution::FINE,
            };
            stamp(
                &mut page,
                &HeaderLine {
                    left: text.into(),
                    ..HeaderLine::default()
                },
            );
            page
        };
        assert_eq!(draw("€"), draw("?"));
        assert_eq!(draw("\u{7}"), draw("?"));
        assert_eq!(draw("Zo名"), draw("Zo?"));
        assert_ne!(draw("é"), draw("?"));
        assert_ne!(draw("é"), draw("e"));
        assert_ne!(draw("è"), draw("é"));
    }

    #[test]
    fn header_text_too_long_is_cut_not_wrapped() {
        for res in [Resolution::STANDARD, Resolution::FINE] {
            let original = inked(res);
            let band = band_rows(res);
            let mut long = original.clone();
            let mut line = line();
            line.middle = "Very Long Company Name ".repeat(20);
            stamp(&mut long, &line);
            for y in band..long.bitmap.height() {
                assert_eq!(
                    long.bitmap.row(y),
                    original.bitmap.row(y),
                    "row {y} at {res:?}"
                );
            }
            // "page 1/3" is still there, whole, at the right: the same pixels as with a
            // short middle field.
            let mut short = original.clone();
            stamp(&mut short, &self::line());
            let right_half = |p: &Page, y: u32| -> Vec<bool> {
                (1500..1728).map(|x| p.bitmap.get(x, y)).collect()
            };
            for y in 0..band {
                assert_eq!(right_half(&long, y), right_half(&short, y), "row {y}");
            }
            // Nothing in the right margin.
            let margin = (MARGIN_MM * res.x_dpi / 25.4).round() as u32;
            for y in 0..band {
                for x in 1728 - margin..1728 {
                    assert!(!long.bitmap.get(x, y));
                }
            }
        }
    }

    #[test]
    fn header_on_a_page_shorter_than_the_band() {
        let mut page = Page {
            bitmap: Bitmap::new(1728, 10),
            resolution: Resolution::FINE,
        };
        page.bitmap.fill_rect(0, 0, 1728, 10);
        stamp(&mut page, &line());
        assert_eq!(page.bitmap.height(), 10);
        assert!(page.bitmap.count_black() < 1728 * 10 / 2);
    }

    #[test]
    fn header_on_odd_resolutions_stays_in_the_band() {
        for (x_dpi, y_dpi) in [(204.0, 391.0), (400.0, 400.0), (204.0, 1.0), (1.0, 196.0)] {
            let resolution = Resolution { x_dpi, y_dpi };
            let mut page = Page {
                bitmap: Bitmap::new(1728, 300),
                resolution,
            };
            page.bitmap.fill_rect(0, 0, 1728, 300);
            let original = page.clone();
            stamp(&mut page, &line());
            let band = band_rows(resolution).min(300);
            for y in band..300 {
                assert_eq!(page.bitmap.row(y), original.bitmap.row(y));
            }
        }
    }

    #[test]
    fn layout_places_the_three_fields() {
        let cells = layout(
            &HeaderLine {
                left: "ab".into(),
                middle: "cd".into(),
                right: "ef".into(),
            },
            12,
        );
        let s: String = cells.iter().map(|c| c.unwrap_or('.')).collect();
        assert_eq!(s, "ab...cd...ef");
        let cells = layout(
            &HeaderLine {
                left: "ab".into(),
                middle: "cdefgh".into(),
                right: "ij".into(),
            },
            12,
        );
        let s: String = cells.iter().map(|c| c.unwrap_or('.')).collect();
        assert_eq!(s, "ab...cd...ij");
    }
}
