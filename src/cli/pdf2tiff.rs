//! `faxvox pdf2tiff IN OUT.tif` (stub, being written).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaxResolution {
    /// 204 × 98 dpi
    Standard,
    /// 204 × 196 dpi
    Fine,
    /// 204 × 391 dpi
    Superfine,
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
}

pub fn run(args: &Args, _config: &Config) -> anyhow::Result<ExitCode> {
    anyhow::bail!("pdf2tiff not implemented yet ({:?})", args.input)
}
