//! Grey → black and white for fax: text sharp, greys and photos dithered.
//!
//! # Method
//! Every pixel falls into one of three classes:
//!
//! 1. **Clear** — at most [`CLEAR_BLACK`] or at least [`CLEAR_WHITE`]: plain black or white.
//!    Paper backgrounds, JPEG noise on white and solid black stay clean; no error is diffused
//!    into or out of them, so a grey box cannot sprinkle dots onto the white page around it.
//! 2. **Edge** — a mid-tone pixel whose 3 × 3 neighbourhood spans at least [`EDGE_RANGE`]
//!    grey levels (the anti-aliased rim of text, or coloured text on white): thresholded at
//!    the midpoint of that neighbourhood. This is what keeps glyph edges crisp; dithering them
//!    would leave ragged, noisy strokes that are hard to read after a lossy fax line.
//! 3. **Tone** — everything else (grey fills, photos, soft gradients): Floyd–Steinberg error
//!    diffusion with a serpentine scan, error passed only between tone pixels.
//!
//! Why Floyd–Steinberg rather than an ordered (Bayer) or clustered-dot screen: it keeps the
//! local mean density exactly (a 50 % grey comes out at 50 % black) and renders detail at the
//! full 204 dpi, where a clustered screen coarse enough to survive would blur small photos;
//! a Bayer matrix's regular texture also beats visibly against fax's non-square standard
//! pixels (204 × 98). The serpentine scan avoids the diagonal "worm" drift of a one-way scan.
//! The cost is some G4 size in dithered areas, which on typical documents (mostly text) is
//! small.

use crate::Bitmap;

/// Grey levels at or below this are black without dithering.
pub const CLEAR_BLACK: u8 = 24;
/// Grey levels at or above this are white without dithering.
pub const CLEAR_WHITE: u8 = 232;
/// A mid-tone pixel whose 3 × 3 neighbourhood spans this many levels is an edge.
pub const EDGE_RANGE: u8 = 144;

/// Converts a greyscale raster (`width × height` bytes, row-major, 0 = black, 255 = white)
/// into a bilevel bitmap using the method described in the [module docs](self).
/// A `gray` slice shorter than `width × height` is treated as white beyond its end.
pub fn to_bilevel(gray: &[u8], width: u32, height: u32) -> Bitmap {
    let w = width as usize;
    let h = height as usize;
    let mut out = Bitmap::new(width, height);
    if w == 0 || h == 0 {
        return out;
    }
    let padded;
    let gray: &[u8] = match gray.get(..w * h) {
        Some(g) => g,
        None => {
            let mut v = gray.to_vec();
            v.resize(w * h, 255);
            padded = v;
            &padded
        }
    };
    // Error accumulators (grey level × 16) for this row and the next, with one pad each side.
    let mut cur = vec![0i32; w + 2];
    let mut next = vec![0i32; w + 2];
    let mut packed = vec![0u8; out.stride()];
    // Whether a tone pixel wrote into `cur` / `next` (else they are still all zero).
    let (mut cur_dirty, mut next_dirty) = (false, false);
    for y in 0..h {
        let ltr = y.is_multiple_of(2);
        // Rows above and below, clamped at the edges (a repeated row changes no min/max).
        let rows = [
            &gray[y.saturating_sub(1) * w..][..w],
            &gray[y * w..][..w],
            &gray[(y + 1).min(h - 1) * w..][..w],
        ];
        // A row all clear white (most rows of a text page) is white: its pixels take and pass
        // no error, and the bitmap starts white. Found with a minimum the compiler vectorises.
        if rows[1].iter().fold(255u8, |m, &g| m.min(g)) >= CLEAR_WHITE {
            std::mem::swap(&mut cur, &mut next);
            std::mem::swap(&mut cur_dirty, &mut next_dirty);
            if next_dirty {
                next.fill(0);
                next_dirty = false;
            }
            continue;
        }
        packed.fill(0);
        // Eight pixels (one output byte) at a time in scan order: a group of clear pixels,
        // the bulk of a text page, is written whole. Clear pixels take and pass no error,
        // so skipping them keeps the tone pixels' order and the result bit for bit.
        let groups = w.div_ceil(8);
        for k in 0..groups {
            let k = if ltr { k } else { groups - 1 - k };
            let x0 = k * 8;
            let x1 = (x0 + 8).min(w);
            let group = &rows[1][x0..x1];
            if group.len() == 8 {
                if group.iter().all(|&g| g >= CLEAR_WHITE) {
                    continue;
                }
                if group.iter().all(|&g| g <= CLEAR_BLACK) {
                    packed[k] = 0xff;
                    continue;
                }
            }
            for i in 0..x1 - x0 {
                let x = if ltr { x0 + i } else { x1 - 1 - i };
                let g = rows[1][x];
                let black = if g <= CLEAR_BLACK {
                    true
                } else if g >= CLEAR_WHITE {
                    false
                } else {
                    let (lo, hi) = neighbourhood(&rows, x);
                    if hi - lo >= EDGE_RANGE {
                        // Edge: midpoint threshold, error dropped.
                        (g as u16) * 2 < lo as u16 + hi as u16
                    } else {
                        // Tone: error diffusion.
                        let v = g as i32 * 16 + cur[x + 1];
                        let black = v < 128 * 16;
                        let e = v - if black { 0 } else { 255 * 16 };
                        let (e7, e3, e5) = (e * 7 / 16, e * 3 / 16, e * 5 / 16);
                        let e1 = e - e7 - e3 - e5;
                        // Neighbours "ahead" and "behind" in scan direction (pad index = x + 1).
                        let (ahead, behind) = if ltr { (x + 2, x) } else { (x, x + 2) };
                        cur[ahead] += e7;
                        next[behind] += e3;
                        next[x + 1] += e5;
                        next[ahead] += e1;
                        (cur_dirty, next_dirty) = (true, true);
                        black
                    }
                };
                if black {
                    packed[x / 8] |= 0x80 >> (x % 8);
                }
            }
        }
        out.row_mut(y as u32).copy_from_slice(&packed);
        std::mem::swap(&mut cur, &mut next);
        std::mem::swap(&mut cur_dirty, &mut next_dirty);
        if next_dirty {
            next.fill(0);
            next_dirty = false;
        }
    }
    out
}

/// Minimum and maximum grey level in the 3 × 3 neighbourhood of column `x`, clipped to the
/// image.
#[inline]
fn neighbourhood(rows: &[&[u8]; 3], x: usize) -> (u8, u8) {
    let x0 = x.saturating_sub(1);
    let x1 = (x + 2).min(rows[1].len());
    let (mut lo, mut hi) = (255u8, 0u8);
    for r in rows {
        for &v in &r[x0..x1] {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn density(b: &Bitmap, x0: u32, y0: u32, x1: u32, y1: u32) -> f64 {
        let mut n = 0u64;
        for y in y0..y1 {
            for x in x0..x1 {
                n += b.get(x, y) as u64;
            }
        }
        n as f64 / ((x1 - x0) as f64 * (y1 - y0) as f64)
    }

    #[test]
    fn flat_greys_keep_their_density() {
        for (level, want) in [(64u8, 0.75), (128, 0.5), (191, 0.25), (40, 0.843)] {
            let g = vec![level; 200 * 100];
            let b = to_bilevel(&g, 200, 100);
            let d = density(&b, 0, 0, 200, 100);
            assert!((d - want).abs() < 0.03, "level {level}: density {d}");
        }
    }

    #[test]
    fn clear_levels_are_solid() {
        let mut g = vec![255u8; 64 * 64];
        for y in 10..30 {
            for x in 10..30 {
                g[y * 64 + x] = 10;
            }
        }
        // Light JPEG-like noise on the background.
        for (i, v) in g.iter_mut().enumerate() {
            if *v == 255 && i % 7 == 0 {
                *v = 240;
            }
        }
        let b = to_bilevel(&g, 64, 64);
        assert_eq!(density(&b, 10, 10, 30, 30), 1.0);
        assert_eq!(b.count_black(), 400);
    }

    #[test]
    fn antialiased_edges_are_thresholded_not_dithered() {
        // A black bar with a 1-pixel 50 % rim on white: the rim follows the midpoint rule,
        // giving a straight edge rather than a dithered one.
        let (w, h) = (40usize, 40usize);
        let mut g = vec![255u8; w * h];
        for y in 0..h {
            for x in 10..20 {
                g[y * w + x] = 0;
            }
            g[y * w + 20] = 100; // darker than the midpoint: black
            g[y * w + 9] = 160; // lighter: white
        }
        let b = to_bilevel(&g, w as u32, h as u32);
        for y in 0..h as u32 {
            assert!(b.get(20, y), "row {y}");
            assert!(!b.get(9, y), "row {y}");
            assert!(!b.get(21, y));
        }
    }

    #[test]
    fn coloured_text_level_on_white_goes_black() {
        // A red glyph stroke (luma ~76) two pixels wide on white is an edge everywhere.
        let (w, h) = (20usize, 20usize);
        let mut g = vec![255u8; w * h];
        for y in 0..h {
            g[y * w + 5] = 76;
            g[y * w + 6] = 76;
        }
        let b = to_bilevel(&g, w as u32, h as u32);
        assert_eq!(b.count_black(), 40);
    }

    #[test]
    fn short_input_is_white() {
        let b = to_bilevel(&[0, 0], 10, 10);
        assert_eq!(b.count_black(), 2);
    }
}
