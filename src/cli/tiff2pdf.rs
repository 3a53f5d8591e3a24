//! `faxvox tiff2pdf IN.tif OUT.pdf` (stub, being written).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input TIFF file.
    pub input: PathBuf,
    /// Output PDF file (written atomically).
    pub output: PathBuf,
}

pub fn run(args: &Args, _config: &Config) -> anyhow::Result<ExitCode> {
    anyhow::bail!("tiff2pdf not implemented yet ({:?})", args.input)
}
