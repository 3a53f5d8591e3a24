//! Uploaded documents (PDF, PNG, JPEG, TIFF) through the rasteriser with small limits.
//! The rasteriser catches decoder panics on purpose (RasterError::Internal); only a panic that
//! escapes it, an abort or a sanitizer error is a crash here. Seeds: tests/fuzz-corpus/raster.
#![no_main]

use faxvox_codecs::raster::{self, Paper, RasterOptions};
use faxvox_codecs::Resolution;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        // libfuzzer-sys aborts on every panic, even one the code under test catches.
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
        let opts = RasterOptions {
            resolution: Resolution::STANDARD,
            paper: Paper::A4,
            max_pages: 2,
            max_input_pixels: 1_000_000,
            auto_rotate: true,
        };
        if let Ok(pages) = raster::rasterize(data, &opts) {
            assert!(!pages.is_empty() && pages.len() <= 2);
        }
    }
);
