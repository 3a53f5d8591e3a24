//! An uploaded voicemail greeting (WAV, MP3, AAC/M4A…) through the decoder and resampler.
//! The decoder catches symphonia's panics on purpose (GreetingError::Corrupt); only a panic
//! that escapes it, an abort or a sanitizer error is a crash here.
//! Seeds: tests/fuzz-corpus/greeting.
#![no_main]

use faxvox_codecs::greeting::{decode_greeting_with, GreetingLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        // libfuzzer-sys aborts on every panic, even one the code under test catches.
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
        let limits = GreetingLimits {
            max_bytes: 256 * 1024,
            max_duration_ms: 5_000,
        };
        if let Ok(samples) = decode_greeting_with(data, &limits) {
            assert!(samples.len() <= 8 * 5_000 + 8_000);
        }
    }
);
