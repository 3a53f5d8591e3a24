//! `faxvox fax-sim IN OUT.pdf`: sends a document through a simulated fax call (sender and
//! receiver spandsp sessions in one process, G.711/RTP or T.38/UDPTL over simulated lossy
//! links) and writes what the receiver got as a PDF.
//!
//! Prints one JSON object on stdout: the receiver's and sender's reports, network statistics,
//! simulated and wall seconds and the real-time factor. Exit codes: 0 the fax succeeded, 2 the
//! fax failed (the report says why; any pages received are still written to the PDF), 1 the
//! simulation could not run (bad input, I/O error).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use faxvox_codecs::g711::Law;
use faxvox_codecs::pdf::{self, PdfOptions};
use serde::Serialize;

use crate::call::sim::{self, SimOptions, SimOutcome, SimTransport};
use crate::config::Config;

/// The `--transport` option: how the simulated call carries the fax.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportOption {
    /// G.711 audio carried in RTP packets (T.30 over the voice path).
    G711,
    /// T.38 IFP packets carried in UDPTL datagrams.
    T38,
}

/// The `--engine` option: which T.30 engine both sides run.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineOption {
    /// spandsp with faxvox's recovery from lost packets (spandsp-sys/PATCHES.md), as the
    /// gateway runs it.
    Faxvox,
    /// Upstream spandsp's T.30 behaviour (the patches switched off, 3 tries of a command):
    /// the reference our recovery is measured against.
    Upstream,
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
    #[arg(long, value_enum, default_value_t = TransportOption::G711)]
    pub transport: TransportOption,
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
    /// Send IN as it is, a TIFF read by spandsp only (no check, no rasterising): to try the
    /// receiver with pages faxvox itself refuses, such as one far longer than any paper. The
    /// receiver cuts pages at `fax.max_page_length_mm`.
    #[arg(long)]
    pub tiff_as_is: bool,
    /// T.30 engine of both sides.
    #[arg(long, value_enum, default_value_t = EngineOption::Faxvox)]
    pub engine: EngineOption,
}

/// What `fax-sim` prints.
#[derive(Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    outcome: &'a SimOutcome,
    /// The PDF written, if any page was received.
    pdf: Option<&'a Path>,
    /// Pages in the PDF.
    pdf_pages: usize,
}

pub fn run(args: &Args, config: &Config) -> anyhow::Result<ExitCode> {
    if !(0.0..=100.0).contains(&args.loss) {
        bail!("--loss must be between 0 and 100 (got {})", args.loss);
    }
    let work = WorkDir::create()?;
    let document = if args.tiff_as_is {
        args.input.clone()
    } else {
        sim::prepare_document(&args.input, work.path())
            .with_context(|| format!("cannot prepare {}", args.input.display()))?
    };
    let opts = SimOptions {
        transport: match args.transport {
            TransportOption::G711 => SimTransport::G711(Law::Ulaw),
            TransportOption::T38 => SimTransport::T38,
        },
        loss_pct: args.loss,
        jitter_ms: args.jitter,
        seed: args.seed,
        ecm: args.ecm == OnOff::On,
        reorder_ms: Some(config.media.reorder_ms.max(args.jitter + 40)),
        udptl_redundancy: config.media.udptl_redundancy.min(8) as u8,
        t38_max_datagram: crate::media::udptl::normalize_far_max_datagram(Some(
            config.media.t38_max_datagram,
        )),
        max_page_length_mm: config.fax.max_page_length_mm,
        loss_recovery: args.engine == EngineOption::Faxvox,
        ..SimOptions::default()
    };
    let outcome = sim::simulate(&document, work.path(), &opts)?;

    let mut pdf_pages = 0;
    let mut pdf_path = None;
    if let Some(tiff) = &outcome.received_tiff {
        let bytes = fs::read(tiff).with_context(|| format!("cannot read {}", tiff.display()))?;
        let title = format!("Fax from {}", outcome.receiver.remote_station_id);
        let conversion = pdf::tiff_to_pdf(
            &bytes,
            &PdfOptions {
                title,
                creation_unix: None,
            },
        )
        .context("cannot convert the received fax to PDF")?;
        for w in &conversion.warnings {
            eprintln!("warning: {w}");
        }
        crate::fsutil::write_atomic(&args.output, &conversion.pdf)
            .with_context(|| format!("cannot write {}", args.output.display()))?;
        pdf_pages = conversion.pages.len();
        pdf_path = Some(args.output.as_path());
    }
    let out = Output {
        outcome: &outcome,
        pdf: pdf_path,
        pdf_pages,
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    if outcome.receiver.success && outcome.sender.success {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "fax failed: receiver: {} ({}); sender: {} ({})",
            outcome.receiver.result_text,
            outcome.receiver.result_code,
            outcome.sender.result_text,
            outcome.sender.result_code
        );
        Ok(ExitCode::from(2))
    }
}

/// A private scratch directory (prepared TIFF, received TIFF), removed on drop.
struct WorkDir(PathBuf);

impl WorkDir {
    fn create() -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("faxvox-sim-{}-{nanos:08x}", std::process::id()));
        fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(WorkDir(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
