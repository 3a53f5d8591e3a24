//! Arbitrary bytes through the TIFF reader, the G4 encoder and the PDF conversion: no panic,
//! no runaway allocation. Seeds: tests/fuzz-corpus/tiff.
#![no_main]

use faxvox_codecs::pdf::{self, PdfOptions};
use faxvox_codecs::{ccitt, tiff};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = tiff::read_pages(data) {
        assert_eq!(decoded.pages.len(), decoded.info.len());
        for page in &decoded.pages {
            // Re-encoding what we read must round-trip through our own reader.
            let g4 = ccitt::encode_g4(&page.bitmap);
            let mut back = faxvox_codecs::Bitmap::new(page.bitmap.width(), page.bitmap.height());
            let mut y = 0;
            let st = ccitt::decode(
                &g4,
                page.bitmap.width(),
                page.bitmap.height(),
                ccitt::Coding::G4,
                true,
                |ch| {
                    back.set_row_from_changes(y, ch);
                    y += 1;
                },
            );
            assert_eq!(st.error, None);
            assert!(back == page.bitmap, "G4 round trip differs");
        }
    }
    let opts = PdfOptions {
        title: "fuzz".into(),
        creation_unix: Some(0),
    };
    let _ = pdf::tiff_to_pdf(data, &opts);
});
