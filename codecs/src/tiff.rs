//! TIFF pages in and out. (Owned by the fax-image work; stub.)

use crate::Page;

/// Writes pages as a multi-page TIFF-F style file: G4 (T.6), min-is-white, FillOrder 1,
/// one strip per page, X/Y resolution in dpi and PageNumber. spandsp reads it for sending.
pub fn write_g4_tiff(pages: &[Page]) -> Vec<u8> {
    let _ = pages;
    unimplemented!("write_g4_tiff")
}
