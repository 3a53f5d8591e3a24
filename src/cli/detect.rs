//! `faxvox detect IN.wav` (stub, being written).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// WAV file (any rate and channel count; converted to 8 kHz mono).
    pub input: PathBuf,
    /// Print events as JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &Args, _config: &Config) -> anyhow::Result<ExitCode> {
    anyhow::bail!("detect not implemented yet ({:?})", args.input)
}
