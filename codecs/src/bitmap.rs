//! Bilevel page rasters, the common currency between TIFF, CCITT, PDF and the rasteriser.

/// A bilevel image: one bit per pixel, rows packed MSB-first (pixel 0 is bit 7 of byte 0),
/// a set bit is **black**. Rows are padded to whole bytes; padding bits are always 0.
#[derive(Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: u32,
    height: u32,
    stride: usize,
    data: Vec<u8>,
}

impl std::fmt::Debug for Bitmap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bitmap({}x{})", self.width, self.height)
    }
}

impl Bitmap {
    /// An all-white bitmap.
    pub fn new(width: u32, height: u32) -> Self {
        let stride = (width as usize).div_ceil(8);
        Bitmap {
            width,
            height,
            stride,
            data: vec![0; stride * height as usize],
        }
    }

    /// Wraps packed rows (MSB-first, 1 = black, `stride = ceil(width / 8)`). Padding bits are
    /// cleared. Returns `None` when `data` has the wrong length.
    pub fn from_packed(width: u32, height: u32, mut data: Vec<u8>) -> Option<Self> {
        let stride = (width as usize).div_ceil(8);
        if data.len() != stride * height as usize {
            return None;
        }
        let pad = (stride * 8) as u32 - width;
        if pad > 0 {
            let mask = 0xffu8 << pad;
            for row in data.chunks_mut(stride) {
                if let Some(last) = row.last_mut() {
                    *last &= mask;
                }
            }
        }
        Some(Bitmap {
            width,
            height,
            stride,
            data,
        })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes per packed row.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// All packed rows, top to bottom.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    pub fn row(&self, y: u32) -> &[u8] {
        let s = y as usize * self.stride;
        &self.data[s..s + self.stride]
    }

    pub fn row_mut(&mut self, y: u32) -> &mut [u8] {
        let s = y as usize * self.stride;
        &mut self.data[s..s + self.stride]
    }

    /// Whether the pixel at (x, y) is black. Out-of-range pixels are white.
    pub fn get(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        self.row(y)[(x / 8) as usize] & (0x80 >> (x % 8)) != 0
    }

    /// Sets the pixel at (x, y); out-of-range writes are ignored.
    pub fn set(&mut self, x: u32, y: u32, black: bool) {
        if x >= self.width || y >= self.height {
            return;
        }
        let bit = 0x80u8 >> (x % 8);
        let byte = &mut self.row_mut(y)[(x / 8) as usize];
        if black {
            *byte |= bit;
        } else {
            *byte &= !bit;
        }
    }

    /// Paints a black rectangle, clipped to the bitmap.
    pub fn fill_rect(&mut self, x: u32, y: u32, w: u32, h: u32) {
        let x1 = x.saturating_add(w).min(self.width);
        let y1 = y.saturating_add(h).min(self.height);
        for yy in y.min(self.height)..y1 {
            for xx in x.min(self.width)..x1 {
                self.set(xx, yy, true);
            }
        }
    }

    /// Number of black pixels.
    pub fn count_black(&self) -> u64 {
        self.data.iter().map(|b| b.count_ones() as u64).sum()
    }

    /// Writes the row's changing elements into `out`: the x positions where the colour changes,
    /// starting from an imaginary white pixel left of the row (the T.4/T.6 convention, and the
    /// format `hayro-ccitt` reports rows in).
    pub fn row_changes(&self, y: u32, out: &mut Vec<u32>) {
        out.clear();
        let row = self.row(y);
        let mut colour = false;
        let mut x = 0u32;
        while x < self.width {
            let byte = row[(x / 8) as usize];
            // Fast path: a whole byte of the current colour.
            if x.is_multiple_of(8) && x + 8 <= self.width && byte == if colour { 0xff } else { 0 } {
                x += 8;
                continue;
            }
            let black = byte & (0x80 >> (x % 8)) != 0;
            if black != colour {
                out.push(x);
                colour = black;
            }
            x += 1;
        }
    }

    /// Fills row `y` from changing elements (see [`Bitmap::row_changes`]). Positions past the
    /// width are clipped.
    pub fn set_row_from_changes(&mut self, y: u32, changes: &[u32]) {
        let width = self.width;
        let row = self.row_mut(y);
        row.fill(0);
        let mut i = 0;
        while i < changes.len() {
            let start = changes[i].min(width);
            let end = changes.get(i + 1).copied().unwrap_or(width).min(width);
            fill_bits(row, start, end);
            i += 2;
        }
    }
}

/// Sets bits `[start, end)` of a packed MSB-first row.
fn fill_bits(row: &mut [u8], start: u32, end: u32) {
    let mut x = start;
    while x < end {
        if x.is_multiple_of(8) && x + 8 <= end {
            row[(x / 8) as usize] = 0xff;
            x += 8;
        } else {
            row[(x / 8) as usize] |= 0x80 >> (x % 8);
            x += 1;
        }
    }
}

/// Resolution in dots per inch, horizontally and vertically (fax standard is 204 × 98).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Resolution {
    pub x_dpi: f32,
    pub y_dpi: f32,
}

impl Resolution {
    pub const STANDARD: Resolution = Resolution {
        x_dpi: 204.0,
        y_dpi: 98.0,
    };
    pub const FINE: Resolution = Resolution {
        x_dpi: 204.0,
        y_dpi: 196.0,
    };
    pub const SUPERFINE: Resolution = Resolution {
        x_dpi: 204.0,
        y_dpi: 391.0,
    };
}

/// One fax page: its pixels and the resolution that gives them a physical size.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub bitmap: Bitmap,
    pub resolution: Resolution,
}

impl Page {
    /// Physical size in PDF points (1/72 inch).
    pub fn size_pt(&self) -> (f32, f32) {
        (
            self.bitmap.width() as f32 * 72.0 / self.resolution.x_dpi,
            self.bitmap.height() as f32 * 72.0 / self.resolution.y_dpi,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_round_trip() {
        let mut b = Bitmap::new(21, 2);
        b.fill_rect(3, 0, 9, 1);
        b.set(20, 0, true);
        let mut ch = Vec::new();
        b.row_changes(0, &mut ch);
        assert_eq!(ch, vec![3, 12, 20]);
        let mut c = Bitmap::new(21, 2);
        c.set_row_from_changes(0, &ch);
        assert_eq!(b, c);
        b.row_changes(1, &mut ch);
        assert!(ch.is_empty());
    }

    #[test]
    fn page_size_keeps_aspect() {
        let p = Page {
            bitmap: Bitmap::new(1728, 1146),
            resolution: Resolution::STANDARD,
        };
        let (w, h) = p.size_pt();
        assert!((w - 609.88).abs() < 0.01, "{w}");
        assert!((h - 841.96).abs() < 0.01, "{h}");
    }
}
