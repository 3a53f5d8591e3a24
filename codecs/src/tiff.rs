//! TIFF pages in and out.
//!
//! Reading: a small classic-TIFF (little and big endian) IFD parser for bilevel fax pages:
//! uncompressed, CCITT RLE (2), G3 1-D/2-D (3), G4 (4) and PackBits, either fill order, either
//! photometric, several strips, pages of different sizes. Damaged data never fails a
//! conversion: the rows that decode are kept, the rest is white and a warning names the page.
//! Hostile structure (out-of-range offsets, IFD loops, absurd sizes) gives an error or a
//! partial result, never a panic or a huge allocation.
//!
//! Writing: multi-page TIFF-F style G4 files that libtiff and spandsp read.

use crate::ccitt::{self, packed_row_changes, Coding};
use crate::{Bitmap, Page, Resolution};

mod read;
mod write;

pub use read::read_pages;
pub(crate) use read::{decode_page_rows, parse, RawPage};
pub use write::{write_g4_tiff, write_tiff, WriteCompression, WriteOptions};

/// Largest page we decode, in pixels (64 Mpx = 8 MB as a bitmap): far above any fax or A3 scan
/// at 600 dpi, small enough that a hostile header cannot exhaust memory.
pub const MAX_PAGE_PIXELS: u64 = 64 << 20;
/// Most pages read from one file; later pages are dropped with a warning.
pub const MAX_PAGES: usize = 2000;
/// Most pixels [`read_pages`] holds in memory for one file (1 Gpx = 128 MB of bitmaps); pages
/// past the budget are dropped with a warning. Streaming conversion (PDF) has no such limit.
pub const MAX_TOTAL_PIXELS: u64 = 1 << 30;

/// Why a TIFF could not be read at all.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TiffError {
    /// The bytes do not start with a TIFF header.
    #[error("not a TIFF file")]
    NotTiff,
    /// BigTIFF (64-bit offsets) is not a fax format; we do not read it.
    #[error("BigTIFF files are not supported")]
    BigTiff,
    /// The file structure (header, first IFD) is unusable.
    #[error("damaged TIFF: {0}")]
    Malformed(String),
    /// A page uses a format we do not convert (colour, greyscale, JBIG, JPEG, tiles…).
    #[error("page {page}: {what} not supported")]
    Unsupported {
        /// 1-based page number.
        page: usize,
        /// What the page is, e.g. "JBIG (T.85) compression is".
        what: String,
    },
    /// A page's description cannot be turned into pixels (missing or absurd dimensions).
    #[error("page {page}: {reason}")]
    BadPage {
        /// 1-based page number.
        page: usize,
        /// What is wrong.
        reason: String,
    },
    /// The file holds no image at all.
    #[error("the TIFF file contains no pages")]
    NoPages,
}

/// How a page's pixels are stored, as far as conversion cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageCompression {
    /// Compression 1: packed rows.
    None,
    /// Compression 2: Modified Huffman, byte-aligned rows, no EOLs.
    Rle,
    /// Compression 3: T.4; `two_d` from T4Options bit 0.
    G3 {
        /// 2-D (MR) coding.
        two_d: bool,
    },
    /// Compression 4: T.6 (MMR).
    G4,
    /// Compression 32773: PackBits over packed rows.
    PackBits,
}

/// Facts about one decoded page, for reports and PDF metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct PageInfo {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels (rows, including any padded white rows).
    pub height: u32,
    /// Resolution used for the physical size (from the file, or a default with a warning).
    pub resolution: Resolution,
    /// Storage format of the page in the TIFF.
    pub compression: PageCompression,
    /// Rows that decoded from the data; the rest (`height - rows_decoded`) were padded white.
    pub rows_decoded: u32,
    /// Whether the page decoded without any problem.
    pub clean: bool,
}

/// A whole TIFF read into bitmaps.
#[derive(Clone, Debug)]
pub struct DecodedTiff {
    /// The pages, in file order; black pixels are set bits whatever the file's photometric.
    pub pages: Vec<Page>,
    /// One entry per page in `pages`.
    pub info: Vec<PageInfo>,
    /// Everything that was repaired, guessed or dropped, each starting with "page N: " when it
    /// concerns one page. The conversion still succeeded.
    pub warnings: Vec<String>,
}

impl DecodedTiff {
    /// The pages alone, for callers that only need bitmaps.
    pub fn into_pages(self) -> Vec<Page> {
        self.pages
    }
}

impl PageCompression {
    fn coding(self) -> Option<Coding> {
        match self {
            PageCompression::Rle => Some(Coding::Rle),
            PageCompression::G3 { two_d } => Some(Coding::G3 { two_d }),
            PageCompression::G4 => Some(Coding::G4),
            PageCompression::None | PageCompression::PackBits => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(width: u32, height: u32) -> Bitmap {
        let mut b = Bitmap::new(width, height);
        for y in 0..height {
            for x in 0..width {
                if (x * 7 + y * 3) % 11 < 4 || x == width - 1 {
                    b.set(x, y, true);
                }
            }
        }
        b
    }

    #[test]
    fn write_read_round_trip_all_codings() {
        let pages = vec![
            Page {
                bitmap: sample(1001, 40),
                resolution: Resolution::FINE,
            },
            Page {
                bitmap: sample(64, 9),
                resolution: Resolution {
                    x_dpi: 300.0,
                    y_dpi: 300.0,
                },
            },
        ];
        for compression in [
            WriteCompression::G4,
            WriteCompression::Rle,
            WriteCompression::None,
        ] {
            for min_is_black in [false, true] {
                for lsb_first in [false, true] {
                    let opts = WriteOptions {
                        compression,
                        min_is_black,
                        lsb_first,
                    };
                    let file = write_tiff(&pages, &opts);
                    let d = read_pages(&file).unwrap_or_else(|e| panic!("{opts:?}: {e}"));
                    assert_eq!(d.pages, pages, "{opts:?}");
                    assert!(d.warnings.is_empty(), "{opts:?}: {:?}", d.warnings);
                    assert!(d.info.iter().all(|i| i.clean));
                }
            }
        }
    }

    #[test]
    fn rejects_non_tiff_and_bigtiff() {
        assert_eq!(read_pages(b"hello world").unwrap_err(), TiffError::NotTiff);
        assert_eq!(read_pages(b"").unwrap_err(), TiffError::NotTiff);
        let big = b"II\x2b\x00\x08\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00";
        assert_eq!(read_pages(big).unwrap_err(), TiffError::BigTiff);
    }
}
