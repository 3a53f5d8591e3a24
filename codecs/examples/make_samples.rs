//! Regenerates the sample documents committed in `samples/`:
//!
//! - `samples/letter.pdf`: a one-page fax cover letter (built-in Helvetica/Times, a ruled
//!   table, grey boxes), built by `raster::testdoc::business_letter`;
//! - `samples/letter.tif`: its rendering through `raster::rasterize` (fine, A4) as a G4 TIFF.
//!
//! Run with `cargo run -p faxvox-codecs --example make_samples [OUT_DIR]`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use faxvox_codecs::raster::{rasterize, testdoc, Paper, RasterOptions};
use faxvox_codecs::{tiff, Resolution};

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples")));
    match run(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("make_samples: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let pdf = testdoc::business_letter();
    let pdf_path = dir.join("letter.pdf");
    std::fs::write(&pdf_path, &pdf)?;
    println!("{}: {} bytes", pdf_path.display(), pdf.len());

    let opts = RasterOptions {
        resolution: Resolution::FINE,
        paper: Paper::A4,
        ..RasterOptions::default()
    };
    let t = Instant::now();
    let pages = rasterize(&pdf, &opts)?;
    let elapsed = t.elapsed();
    let tif = tiff::write_g4_tiff(&pages);
    let tif_path = dir.join("letter.tif");
    std::fs::write(&tif_path, &tif)?;
    println!(
        "{}: {} page(s), {} × {}, {} bytes (rasterised in {elapsed:?})",
        tif_path.display(),
        pages.len(),
        pages[0].bitmap.width(),
        pages[0].bitmap.height(),
        tif.len()
    );

    // A voice message for the demo: the built-in spoken greeting (espeak-ng, see
    // codecs/assets/README.md) as an 8 kHz 16-bit WAV, the format the gateway records.
    let wav = faxvox_codecs::recording::wav_bytes(&faxvox_codecs::greeting::default_greeting());
    let wav_path = dir.join("message.wav");
    std::fs::write(&wav_path, &wav)?;
    println!("{}: {} bytes", wav_path.display(), wav.len());
    Ok(())
}
