//! `faxvox fax-sim IN OUT.pdf` (stub, being written).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// G.711 audio carried in RTP packets (T.30 over the voice path).
    G711,
    /// T.38 IFP packets carried in UDPTL datagrams.
    T38,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnOff {
    On,
    Off,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Document to send: a fax TIFF, or a PDF/PNG/JPEG (rasterised first).
    pub input: PathBuf,
    /// Where to write the received fax as PDF.
    pub output: PathBuf,
    #[arg(long, value_enum, default_value_t = Transport::G711)]
    pub transport: Transport,
    /// Random packet loss in percent (0-100), each direction.
    #[arg(long, default_value_t = 0.0)]
    pub loss: f64,
    /// Random extra delay per packet, uniform in 0..=MS milliseconds (reorders packets).
    #[arg(long, default_value_t = 0)]
    pub jitter: u32,
    /// Seed for the simulated network, so a run can be repeated exactly.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Error correction mode (T.30 ECM).
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    pub ecm: OnOff,
}

pub fn run(args: &Args, _config: &Config) -> anyhow::Result<ExitCode> {
    anyhow::bail!("fax-sim not implemented yet ({:?})", args.input)
}
