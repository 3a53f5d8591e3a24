//! Pure media transforms for faxvox: no sockets, no async; file I/O only where a function's
//! purpose is a file (the streaming voicemail recorder).
//!
//! Fax images (TIFF pages in and out, CCITT coding, PDF writing, rasterising documents into fax
//! pages), the text toolkit of the PDFs faxvox composes (WinAnsi, wrapping, placing, local
//! times: [`pdf_text`]) and voicemail audio (G.711, tones, greeting decoding, recordings). The
//! gateway and the offline tools call these; everything here is deterministic and testable on
//! bytes.

#![forbid(unsafe_code)]

pub mod bitmap;
pub mod ccitt;
pub mod header;
pub mod pdf;
pub mod pdf_text;
pub mod raster;
pub mod tiff;

pub mod g711;
pub mod greeting;
pub mod recording;
pub mod tones;

pub use bitmap::{Bitmap, Page, Resolution};
