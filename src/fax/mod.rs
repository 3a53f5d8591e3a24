//! Fax sessions over spandsp: receive and transmit, over G.711 audio or T.38, as sans-IO
//! state machines; tone detection. (The fax simulator behind `faxvox fax-sim` runs calls, so
//! it lives in `call::sim`.)
//!
//! `spandsp` is the only module with `unsafe`; everything else builds on its safe wrappers.

pub mod session;
pub mod settings;
#[allow(unsafe_code)]
pub mod spandsp;
pub mod tones;

pub use session::{
    CutPage, Direction, FaxError, FaxEvent, FaxOptions, FaxReport, FaxSession, PageReport,
    Transport, DEFAULT_MAX_PAGE_LENGTH_MM, FRAME_SAMPLES, SAMPLE_RATE, TICK,
};
pub use settings::{FaxConfig, MAX_PAGE_LENGTH_MM_RANGE};
pub use spandsp::{t30_class, Modems, ReceivedPage, T38Options};
