//! `faxvox line add|list`: the numbers the gateway answers and what answers them.
//!
//! Numbers are accepted in any usual written form (`+33 2 53 43 75 55`, `0033…`) and stored in
//! E.164. An alias forwards to an existing fax or voicemail line of the same account.
//! A voicemail line may have its own greeting (`--greeting FILE` or `line greeting`): any
//! common audio format, decoded once and kept as an 8 kHz WAV under `<spool.dir>/greetings/`
//! and in the database, so every node sharing the database plays it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;

use crate::cli::account::{block_on, open, table};
use crate::config::Config;
use crate::directory::{validate, Directory, LineKind, NewLine};
use crate::gateway::greeting::{decode_greeting_file, store_greeting, DecodedGreeting};

#[derive(Subcommand, Debug)]
pub enum LineCommand {
    /// Add a number: a fax line, a voicemail line, or an alias of one of them.
    Add(AddArgs),
    /// Set the greeting of a voicemail line from an audio file (WAV, MP3, Ogg, FLAC, M4A), or
    /// go back to the built-in greeting with --default.
    Greeting(GreetingArgs),
    /// List the lines.
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// The number in international form: +33 2 53 43 75 55 or 0033253437555.
    pub number: String,
    /// Account that owns the line.
    #[arg(long)]
    pub account: String,
    /// fax, voicemail or alias.
    #[arg(long)]
    pub kind: String,
    /// For an alias: the fax or voicemail line it forwards to.
    #[arg(long, value_name = "NUMBER")]
    pub target: Option<String>,
    /// For a voicemail line: its greeting, an audio file in any common format.
    #[arg(long, value_name = "FILE")]
    pub greeting: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct GreetingArgs {
    /// The voicemail line.
    pub number: String,
    /// The audio file (WAV, MP3, Ogg/Vorbis, FLAC, M4A; any rate, mono or stereo).
    #[arg(required_unless_present = "default", conflicts_with = "default")]
    pub file: Option<PathBuf>,
    /// Play the built-in greeting again.
    #[arg(long)]
    pub default: bool,
}

pub fn run(cmd: LineCommand, config: &Config) -> anyhow::Result<ExitCode> {
    block_on(async {
        let dir = open(config).await?;
        let result = match cmd {
            LineCommand::Add(args) => add(&dir, config, args).await,
            LineCommand::Greeting(args) => greeting(&dir, config, args).await,
            LineCommand::List { json } => list(&dir, json).await,
        };
        dir.close().await;
        result
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Decodes a greeting file; the error names the file and the problem.
fn decode(path: &Path) -> anyhow::Result<DecodedGreeting> {
    decode_greeting_file(path).map_err(|e| anyhow::anyhow!("{e}; nothing was stored"))
}

/// Stores a decoded greeting for `number` and records it in the directory.
async fn set(
    dir: &Directory,
    config: &Config,
    number: &str,
    greeting: &DecodedGreeting,
) -> anyhow::Result<PathBuf> {
    let path = store_greeting(&config.spool.dir, number, greeting)?;
    let text = path
        .to_str()
        .with_context(|| format!("{} is not a UTF-8 path", path.display()))?;
    // The database keeps the greeting too: other nodes sharing it play the same one.
    let wav = faxvox_codecs::recording::wav_bytes(&greeting.samples);
    dir.store_greeting(number, text, &wav).await?;
    Ok(path)
}

async fn add(dir: &Directory, config: &Config, args: AddArgs) -> anyhow::Result<()> {
    let kind = validate::parse_kind(&args.kind)?;
    // Decode before anything is stored: a bad file leaves neither line nor greeting behind.
    let greeting = match &args.greeting {
        Some(_) if kind != LineKind::Voicemail => {
            bail!("--greeting is only for voicemail lines (this is a {kind} line)")
        }
        Some(path) => Some(decode(path)?),
        None => None,
    };
    let new = NewLine {
        number: args.number,
        account: args.account,
        kind,
        target: args.target,
    };
    let line = dir.add_line(&new).await?;
    println!(
        "line {} added to account {}",
        crate::cli::account::describe_line(&line),
        line.account
    );
    if let Some(g) = greeting {
        let path = set(dir, config, &line.number, &g).await?;
        println!(
            "greeting of {}: {} ({:.1} s)",
            line.number,
            path.display(),
            g.duration().as_secs_f64()
        );
    }
    Ok(())
}

async fn greeting(dir: &Directory, config: &Config, args: GreetingArgs) -> anyhow::Result<()> {
    let Some(line) = dir.line(&args.number).await? else {
        bail!(
            "unknown line {} (see `faxvox line list`)",
            args.number.trim()
        );
    };
    match line.kind {
        LineKind::Voicemail => {}
        LineKind::Alias => bail!(
            "{} is an alias of {}: set the greeting on {}",
            line.number,
            line.target.as_deref().unwrap_or("?"),
            line.target.as_deref().unwrap_or("the target line")
        ),
        LineKind::Fax => bail!(
            "{} is a fax line: only voicemail lines have a greeting",
            line.number
        ),
    }
    match &args.file {
        Some(path) if !args.default => {
            let g = decode(path)?;
            let stored = set(dir, config, &line.number, &g).await?;
            println!(
                "greeting of {}: {} ({:.1} s)",
                line.number,
                stored.display(),
                g.duration().as_secs_f64()
            );
        }
        _ => {
            dir.set_greeting(&line.number, None).await?;
            if let Some(old) = &line.greeting {
                // Best effort: the directory no longer points at it either way.
                let _ = std::fs::remove_file(old);
            }
            println!("greeting of {}: built-in", line.number);
        }
    }
    Ok(())
}

async fn list(dir: &Directory, json: bool) -> anyhow::Result<()> {
    let lines = dir.lines().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&lines)?);
        return Ok(());
    }
    if lines.is_empty() {
        println!("no lines; add one with: faxvox line add NUMBER --account ID --kind fax");
        return Ok(());
    }
    let dash = || "-".to_string();
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            vec![
                l.number.clone(),
                l.kind.to_string(),
                l.account.clone(),
                l.target.clone().unwrap_or_else(dash),
                l.greeting.clone().unwrap_or_else(dash),
            ]
        })
        .collect();
    print!(
        "{}",
        table(&["NUMBER", "KIND", "ACCOUNT", "TARGET", "GREETING"], &rows)
    );
    Ok(())
}
