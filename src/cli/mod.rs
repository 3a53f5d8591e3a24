//! The `faxvox` command line: one subcommand per module, each in its own file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;

pub mod account;
pub mod billing;
pub mod block;
pub mod call;
pub mod config_cmd;
pub mod detect;
pub mod fax_sim;
pub mod health;
mod input;
pub mod line;
pub mod pdf2tiff;
pub mod rates;
pub mod send;
pub mod serve;
pub mod spool;
pub mod status;
pub mod tiff2pdf;

/// faxvox: fax-to-email and voicemail media gateway.
#[derive(Parser, Debug)]
#[command(name = "faxvox", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (default: ./faxvox.toml, then /etc/faxvox/faxvox.toml, else built-in
    /// defaults). Every key can be overridden by FAXVOX_<SECTION>_<KEY>.
    #[arg(long, global = true, env = "FAXVOX_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Configuration: print a commented example, or the effective settings.
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// Convert a fax TIFF (G3/G4/RLE, any fill order, multi-page) into a PDF.
    #[command(about = TIFF2PDF_ABOUT)]
    Tiff2pdf(tiff2pdf::Args),
    /// Rasterise a PDF, PNG, JPEG or TIFF into fax-ready G4 pages (1728 px wide).
    #[command(about = PDF2TIFF_ABOUT)]
    Pdf2tiff(pdf2tiff::Args),
    /// Send a document through a simulated fax call (sender and receiver in one process).
    FaxSim(fax_sim::Args),
    /// Detect fax tones (CNG, CED/ANSam, V.21 preamble) and DTMF digits in an 8 kHz WAV.
    Detect(detect::Args),
    /// Accounts: the clients, their email addresses, language and time zone.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// Lines: our numbers (fax, voicemail, or alias of one) and the account each belongs to.
    #[command(subcommand)]
    Line(line::LineCommand),
    /// Block lists: callers declined (603) and destinations not faxed, per account or for all.
    #[command(subcommand)]
    Block(block::BlockCommand),
    /// The spool: import, list, show, retry and purge jobs; run the delivery worker.
    #[command(subcommand)]
    Spool(spool::SpoolCommand),
    /// Run the gateway: answer SIP calls to fax and voicemail lines, email the messages.
    Serve(serve::Args),
    /// The running node at a glance: calls in progress, spool, last delivery error, ready.
    Status(status::Args),
    /// Place test calls: send a fax or play audio into a line (also the load generator).
    #[command(subcommand)]
    Call(call::CallCommand),
    /// Billing: deposits, an account's ceiling and what it has used this month.
    #[command(subcommand)]
    Billing(billing::BillingCommand),
    /// The rate deck: price per sent page by destination prefix.
    #[command(subcommand)]
    Rates(rates::RatesCommand),
    /// Send a fax through the trunk: checked, priced and reserved now, dialled by `serve`.
    Send(send::Args),
    /// Internal: rasterise documents for the gateway, under its limits (stdin → stdout).
    #[command(name = "render-worker", hide = true)]
    RenderWorker,
}

/// Entry point shared by the binary: parses arguments, loads configuration, sets up logging
/// and runs the subcommand. Errors print as one clear line and give exit code 1.
pub fn main() -> ExitCode {
    if let Some(result) = run_conversion() {
        return report(result);
    }
    report(run(Cli::parse()))
}

fn report(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("faxvox: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// `faxvox tiff2pdf …` and `faxvox pdf2tiff …` (the command name first): parsed with their own
/// arguments only. Building the whole command line (every command and option) costs more
/// heap and code pages than a conversion of a short fax; the help and errors are the same.
fn run_conversion() -> Option<anyhow::Result<ExitCode>> {
    #[derive(Parser, Debug)]
    #[command(name = "faxvox", bin_name = "faxvox tiff2pdf", about = TIFF2PDF_ABOUT)]
    struct Tiff2pdf {
        /// Configuration file: accepted as on every command, not read.
        #[arg(long, env = "FAXVOX_CONFIG")]
        _config: Option<PathBuf>,
        #[command(flatten)]
        args: tiff2pdf::Args,
    }
    #[derive(Parser, Debug)]
    #[command(name = "faxvox", bin_name = "faxvox pdf2tiff", about = PDF2TIFF_ABOUT)]
    struct Pdf2tiff {
        /// Configuration file: accepted as on every command, not read.
        #[arg(long, env = "FAXVOX_CONFIG")]
        _config: Option<PathBuf>,
        #[command(flatten)]
        args: pdf2tiff::Args,
    }
    let mut argv = std::env::args_os();
    let first = argv.next()?;
    let command = argv.next()?;
    let rest = std::iter::once(first).chain(argv);
    match command.to_str()? {
        "tiff2pdf" => Some(tiff2pdf::run(&Tiff2pdf::parse_from(rest).args)),
        "pdf2tiff" => Some(pdf2tiff::run(&Pdf2tiff::parse_from(rest).args)),
        _ => None,
    }
}

const TIFF2PDF_ABOUT: &str =
    "Convert a fax TIFF (G3/G4/RLE, any fill order, multi-page) into a PDF";
const PDF2TIFF_ABOUT: &str =
    "Rasterise a PDF, PNG, JPEG or TIFF into fax-ready G4 pages (1728 px wide)";

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // `config example` must work even when the current configuration is broken.
    if let Command::Config(config_cmd::ConfigCommand::Example) = cli.command {
        print!("{}", crate::config::EXAMPLE);
        return Ok(ExitCode::SUCCESS);
    }
    // The renderer child needs no configuration (its limits come from the parent) and its
    // stderr is the parent's channel: no logging set up.
    if let Command::RenderWorker = cli.command {
        return Ok(crate::outbound::render::worker_main());
    }
    // The conversions read no configuration and log nothing: no set-up before them.
    match &cli.command {
        Command::Tiff2pdf(args) => return tiff2pdf::run(args),
        Command::Pdf2tiff(args) => return pdf2tiff::run(args),
        _ => {}
    }
    let config = Config::load(cli.config.as_deref())?;
    init_logging(&config);
    match cli.command {
        Command::Config(cmd) => config_cmd::run(cmd, &config),
        Command::Tiff2pdf(args) => tiff2pdf::run(&args),
        Command::Pdf2tiff(args) => pdf2tiff::run(&args),
        Command::FaxSim(args) => fax_sim::run(&args, &config),
        Command::Detect(args) => detect::run(&args, &config),
        Command::Account(cmd) => account::run(cmd, &config),
        Command::Line(cmd) => line::run(cmd, &config),
        Command::Block(cmd) => block::run(cmd, &config),
        Command::Spool(cmd) => spool::run(cmd, &config, cli.config.as_deref()),
        Command::Serve(args) => serve::run(&args, &config, cli.config.as_deref()),
        Command::Status(args) => status::run(&args, &config),
        Command::Call(cmd) => call::run(cmd, &config),
        Command::Billing(cmd) => billing::run(cmd, &config),
        Command::Rates(cmd) => rates::run(cmd, &config),
        Command::Send(args) => send::run(&args, &config),
        Command::RenderWorker => Ok(crate::outbound::render::worker_main()),
    }
}

fn init_logging(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        // rsipstack logs every datagram at info: keep it to warnings unless asked otherwise.
        .unwrap_or_else(|_| EnvFilter::new(format!("rsipstack=warn,{}", config.log.level)));
    match config.log.format {
        crate::config::LogFormat::Text => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .with_target(false)
                .try_init();
        }
        crate::config::LogFormat::Json => {
            // One object per line; the event's own fields at the top level beside
            // `timestamp`, `level` and `message`, the spans' fields (call_id, job,
            // message_id) under `span` (the innermost) and `spans` (all, outermost first).
            let _ = tracing_subscriber::fmt()
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(true)
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .with_target(false)
                .try_init();
        }
    }
}
