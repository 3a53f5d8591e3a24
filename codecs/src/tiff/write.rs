//! Multi-page TIFF writing (TIFF-F style G4 by default).

use super::{ccitt, Page};

/// Pixel coding of a written file. G4 is what fax software expects; the others exist to make
/// interchange and test files (libtiff cannot write compression 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteCompression {
    /// Compression 4, T.6.
    G4,
    /// Compression 2, Modified Huffman byte-aligned rows.
    Rle,
    /// Compression 1, packed rows.
    None,
}

/// How [`write_tiff`] lays out pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteOptions {
    /// Pixel coding.
    pub compression: WriteCompression,
    /// Photometric 1 (min-is-black) instead of 0: pixel bits are stored inverted.
    pub min_is_black: bool,
    /// FillOrder 2 (LSB first in each byte, as spandsp writes) instead of 1.
    pub lsb_first: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            compression: WriteCompression::G4,
            min_is_black: false,
            lsb_first: false,
        }
    }
}

/// Writes pages as a multi-page TIFF-F style file: G4 (T.6), min-is-white, FillOrder 1,
/// one strip per page, X/Y resolution in dpi and PageNumber. spandsp reads it for sending.
///
/// An empty slice gives a header with no IFD, which readers reject; callers send at least one
/// page.
pub fn write_g4_tiff(pages: &[Page]) -> Vec<u8> {
    write_tiff(pages, &WriteOptions::default())
}

/// Writes pages as a multi-page TIFF with the given coding, photometric and fill order (one
/// strip per page, little endian, resolution in dpi, PageNumber, NewSubfileType "page").
pub fn write_tiff(pages: &[Page], opts: &WriteOptions) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(
        pages
            .iter()
            .map(|p| p.bitmap.data().len() / 12 + 256)
            .sum::<usize>()
            + 8,
    );
    out.extend_from_slice(b"II\x2a\x00");
    // Offset of the first IFD, patched below.
    out.extend_from_slice(&0u32.to_le_bytes());
    let mut next_ifd_ptr = 4usize;
    let total = pages.len().min(u16::MAX as usize) as u16;

    for (i, page) in pages.iter().enumerate() {
        let bitmap = if opts.min_is_black {
            invert(&page.bitmap)
        } else {
            page.bitmap.clone()
        };
        let mut strip = match opts.compression {
            WriteCompression::G4 => ccitt::encode_g4(&bitmap),
            WriteCompression::Rle => ccitt::encode_rle(&bitmap),
            WriteCompression::None => bitmap.data().to_vec(),
        };
        if opts.lsb_first {
            for b in &mut strip {
                *b = b.reverse_bits();
            }
        }
        let strip_offset = out.len();
        out.extend_from_slice(&strip);
        pad_even(&mut out);

        let xres_offset = out.len();
        let (xn, xd) = rational(page.resolution.x_dpi);
        let (yn, yd) = rational(page.resolution.y_dpi);
        for v in [xn, xd, yn, yd] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let yres_offset = xres_offset + 8;
        let software_offset = out.len();
        out.extend_from_slice(b"faxvox\0");
        pad_even(&mut out);

        let compression: u16 = match opts.compression {
            WriteCompression::G4 => 4,
            WriteCompression::Rle => 2,
            WriteCompression::None => 1,
        };
        let w = page.bitmap.width();
        let h = page.bitmap.height();
        let mut entries: Vec<[u8; 12]> = vec![
            entry(254, LONG, 1, 2),
            entry(256, LONG, 1, w),
            entry(257, LONG, 1, h),
            entry(258, SHORT, 1, 1),
            entry(259, SHORT, 1, compression as u32),
            entry(262, SHORT, 1, opts.min_is_black as u32),
            entry(266, SHORT, 1, if opts.lsb_first { 2 } else { 1 }),
            entry(273, LONG, 1, strip_offset as u32),
            entry(277, SHORT, 1, 1),
            entry(278, LONG, 1, h),
            entry(279, LONG, 1, strip.len() as u32),
            entry(282, RATIONAL, 1, xres_offset as u32),
            entry(283, RATIONAL, 1, yres_offset as u32),
            entry(284, SHORT, 1, 1),
            entry(296, SHORT, 1, 2),
            // PageNumber: two SHORTs packed in the value field.
            entry(
                297,
                SHORT,
                2,
                (i.min(u16::MAX as usize) as u32) | ((total as u32) << 16),
            ),
            entry(305, ASCII, 7, software_offset as u32),
        ];
        if opts.compression == WriteCompression::G4 {
            entries.push(entry(293, LONG, 1, 0));
        }
        entries.sort_by_key(|e| u16::from_le_bytes([e[0], e[1]]));

        let ifd_offset = out.len();
        out[next_ifd_ptr..next_ifd_ptr + 4].copy_from_slice(&(ifd_offset as u32).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for e in &entries {
            out.extend_from_slice(e);
        }
        next_ifd_ptr = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    out
}

const ASCII: u16 = 2;
const SHORT: u16 = 3;
const LONG: u16 = 4;
const RATIONAL: u16 = 5;

/// One little-endian IFD entry; SHORT values go in the first bytes of the value field.
fn entry(tag: u16, typ: u16, count: u32, value: u32) -> [u8; 12] {
    let mut e = [0u8; 12];
    e[0..2].copy_from_slice(&tag.to_le_bytes());
    e[2..4].copy_from_slice(&typ.to_le_bytes());
    e[4..8].copy_from_slice(&count.to_le_bytes());
    if typ == SHORT && count == 1 {
        e[8..10].copy_from_slice(&(value as u16).to_le_bytes());
    } else {
        e[8..12].copy_from_slice(&value.to_le_bytes());
    }
    e
}

fn pad_even(out: &mut Vec<u8>) {
    if !out.len().is_multiple_of(2) {
        out.push(0);
    }
}

/// A dpi value as a TIFF RATIONAL: exact for whole numbers, 1/100 dpi otherwise.
fn rational(dpi: f32) -> (u32, u32) {
    if !dpi.is_finite() || dpi <= 0.0 {
        return (204, 1);
    }
    if dpi.fract() == 0.0 && dpi < u32::MAX as f32 {
        return (dpi as u32, 1);
    }
    let n = (dpi as f64 * 100.0).round().min(u32::MAX as f64) as u32;
    let g = gcd(n, 100);
    (n / g, 100 / g)
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

fn invert(b: &crate::Bitmap) -> crate::Bitmap {
    let data: Vec<u8> = b.data().iter().map(|v| !v).collect();
    crate::Bitmap::from_packed(b.width(), b.height(), data)
        .unwrap_or_else(|| crate::Bitmap::new(b.width(), b.height()))
}
