//! `faxvox pdf2tiff IN OUT.tif`: rasterises a PDF, PNG, JPEG or TIFF into the multi-page G4
//! TIFF that the fax transmitter sends, so a document can be checked before it is faxed.

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use faxvox_codecs::raster::{self, RasterOptions};
use faxvox_codecs::{tiff, Resolution};

/// Input files larger than this are refused before reading (no fax document is this big).
const MAX_INPUT_BYTES: u64 = 256 << 20;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaxResolution {
    /// 204 × 98 dpi
    Standard,
    /// 204 × 196 dpi
    Fine,
    /// 204 × 391 dpi
    Superfine,
}

impl FaxResolution {
    fn resolution(self) -> Resolution {
        match self {
            FaxResolution::Standard => Resolution::STANDARD,
            FaxResolution::Fine => Resolution::FINE,
            FaxResolution::Superfine => Resolution::SUPERFINE,
        }
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paper {
    A4,
    Letter,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input document: PDF, PNG, JPEG or TIFF.
    pub input: PathBuf,
    /// Output multi-page G4 TIFF, 1728 pixels wide.
    pub output: PathBuf,
    #[arg(long, value_enum, default_value_t = FaxResolution::Fine)]
    pub resolution: FaxResolution,
    #[arg(long, value_enum, default_value_t = Paper::A4)]
    pub paper: Paper,
    /// Sync the TIFF to disk before exiting.
    #[arg(long)]
    pub sync: bool,
}

/// Runs the command. Like `tiff2pdf` it reads no configuration, and the output replaces the
/// file atomically without being synced to disk unless `--sync` asks for it.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let input = &args.input;
    let meta = fs::metadata(input).with_context(|| format!("cannot read {}", input.display()))?;
    if !meta.is_file() {
        bail!("{} is not a file", input.display());
    }
    if meta.len() > MAX_INPUT_BYTES {
        bail!(
            "{} is {} bytes; documents over {} MiB are refused",
            input.display(),
            meta.len(),
            MAX_INPUT_BYTES >> 20
        );
    }
    let data = fs::read(input).with_context(|| format!("cannot read {}", input.display()))?;

    let opts = RasterOptions {
        resolution: args.resolution.resolution(),
        paper: match args.paper {
            Paper::A4 => raster::Paper::A4,
            Paper::Letter => raster::Paper::Letter,
        },
        ..RasterOptions::default()
    };
    let started = Instant::now();
    let pages = raster::rasterize(&data, &opts)
        .with_context(|| format!("cannot rasterise {}", input.display()))?;
    let tif = tiff::write_g4_tiff(&pages);
    super::tiff2pdf::write_output(&args.output, args.sync, |out| out.write_all(&tif))
        .with_context(|| format!("cannot write {}", args.output.display()))?;

    let res = opts.resolution;
    println!(
        "{}: {} page{}, {:?} {} × {} dpi, {:?} paper, {} × {} px, {} bytes ({} ms)",
        args.output.display(),
        pages.len(),
        if pages.len() == 1 { "" } else { "s" },
        args.resolution,
        res.x_dpi,
        res.y_dpi,
        args.paper,
        raster::FAX_WIDTH,
        opts.paper.rows(res),
        tif.len(),
        started.elapsed().as_millis()
    );
    Ok(ExitCode::SUCCESS)
}
