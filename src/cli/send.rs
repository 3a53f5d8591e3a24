//! `faxvox send`: submit a fax for the gateway's dialer. Everything that can refuse it is
//! checked here (account and state, caller id, documents, price, ceiling) and the amount is
//! reserved before the job is queued; `faxvox serve` dials it. Exit codes: 0 queued (or sent,
//! with `--wait`), 2 refused, 3 failed (with `--wait`), 1 gateway error.
//!
//! `--cover TEXT` (or `--cover-file PATH`, UTF-8) starts the fax with a cover page; it is a
//! sent page like any other: counted, priced and billed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use faxvox_spool::{JobId, StateName};

use super::account::{block_on, open};
use super::spool::open_spool;
use crate::billing::Billing;
use crate::config::Config;
use crate::jobs::FaxResult;
use crate::outbound::render::Renderer;
use crate::outbound::submit::{submit, Submission};

/// Exit code of a refused fax.
pub const EXIT_REFUSED: u8 = 2;
/// Exit code of a fax that was dialled and failed (`--wait`).
pub const EXIT_FAILED: u8 = 3;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The sending account.
    #[arg(long)]
    pub account: String,
    /// Caller id: one of the account's numbers.
    #[arg(long)]
    pub from: String,
    /// Destination number (international, e.g. +33299001122).
    #[arg(long)]
    pub to: String,
    /// Documents, sent in order (PDF, TIFF, PNG, JPEG).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Start the fax with a cover page: From, To, date, page count and TEXT (newlines start
    /// new lines; at most 2000 characters and one page; Western European characters and €).
    /// The cover page is sent, counted, priced and billed like any other page.
    #[arg(long, value_name = "TEXT")]
    pub cover: Option<String>,
    /// Like --cover, with the text read from a UTF-8 file.
    #[arg(long, value_name = "PATH", conflicts_with = "cover")]
    pub cover_file: Option<PathBuf>,
    /// Hide the caller id (From: anonymous; the cover page says "withheld").
    #[arg(long)]
    pub anonymous: bool,
    /// Send the pages without the header line (date and time, sender, "page n/m" in the top
    /// 5 mm of each page, which US rules require on faxes sent there).
    #[arg(long)]
    pub no_header: bool,
    /// Wait until the fax is sent or has failed for good.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up waiting after this many seconds (the fax goes on).
    #[arg(long, default_value_t = 86_400)]
    pub wait_secs: u64,
}

pub fn run(args: &Args, config: &Config) -> anyhow::Result<ExitCode> {
    let mut documents = Vec::new();
    for f in &args.files {
        let meta = std::fs::metadata(f).with_context(|| format!("cannot read {}", f.display()))?;
        if meta.len() > crate::outbound::MAX_DOCUMENT_BYTES as u64 {
            eprintln!(
                "faxvox: refused: {}: {} bytes is over the limit of {} bytes per document",
                f.display(),
                meta.len(),
                crate::outbound::MAX_DOCUMENT_BYTES
            );
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        documents.push((f.display().to_string(), bytes::Bytes::from(bytes)));
    }
    let cover = match (&args.cover, &args.cover_file) {
        (Some(text), _) => Some(text.clone()),
        (None, Some(path)) => match read_cover_file(path)? {
            Ok(text) => Some(text),
            Err(reason) => {
                eprintln!("faxvox: refused: {}: {reason}", path.display());
                return Ok(ExitCode::from(EXIT_REFUSED));
            }
        },
        (None, None) => None,
    };
    let submission = Submission {
        account: args.account.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        anonymous: args.anonymous,
        mail: None,
        documents,
        cover,
        header: !args.no_header,
    };
    let spool = open_spool(config)?;
    let submitted = block_on(async {
        let dir = open(config).await?;
        let billing = Billing::new(&dir, &config.billing);
        let r = submit(
            &dir,
            &billing,
            &spool,
            &config.trunk,
            &Renderer::new(&config.render),
            submission,
            SystemTime::now(),
        )
        .await;
        dir.close().await;
        Ok(r)
    })?;
    let submitted = match submitted {
        Ok(s) => s,
        Err(e) if e.is_refusal() => {
            eprintln!("faxvox: refused: {e}");
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        Err(e) => return Err(e.into()),
    };
    let with_cover = if submitted.cover_pages > 0 {
        " including the cover page"
    } else {
        ""
    };
    println!(
        "fax {} queued: {} pages{with_cover}, {} € reserved",
        submitted.fax_id, submitted.facts.pages, submitted.quote.amount
    );
    if !args.wait {
        return Ok(ExitCode::SUCCESS);
    }
    wait(
        &spool,
        &submitted.fax_id,
        Duration::from_secs(args.wait_secs),
    )
}

/// The text of `--cover-file`: `Ok(Err(reason))` when it is no usable cover text (a refusal),
/// `Err` when the file cannot be read.
fn read_cover_file(path: &std::path::Path) -> anyhow::Result<Result<String, String>> {
    // Four bytes per character at most: a larger file is over the limit whatever it holds.
    let max = crate::outbound::cover::MAX_COVER_CHARS * 4 + 3;
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.len() > max as u64 {
        return Ok(Err(format!(
            "{} bytes is too long for a cover text (at most {} characters)",
            meta.len(),
            crate::outbound::cover::MAX_COVER_CHARS
        )));
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(String::from_utf8(bytes).map_err(|_| "the cover text is not UTF-8 text".to_string()))
}

/// Polls the job until it is final; prints the result.
fn wait(spool: &faxvox_spool::Spool, id: &JobId, limit: Duration) -> anyhow::Result<ExitCode> {
    let deadline = std::time::Instant::now() + limit;
    let mut last_state = None;
    loop {
        let job = spool.get(id)?;
        let state = job.state();
        if state != last_state {
            if let Some(s) = state {
                eprintln!("faxvox: fax {id}: {s}");
            }
            last_state = state;
        }
        let facts = job.manifest.as_ref().map(|m| &m.facts);
        let result = facts.and_then(FaxResult::from_facts);
        match state {
            Some(StateName::Delivered) => {
                let r = result.context("the fax is sent but its result is missing")?;
                println!(
                    "fax {id} sent: {}/{} pages, {} € charged",
                    r.pages_confirmed, r.pages, r.charged
                );
                return Ok(ExitCode::SUCCESS);
            }
            Some(StateName::Dead) | Some(StateName::Quarantined) => {
                match result {
                    Some(r) => println!(
                        "fax {id} failed: {} ({}/{} pages sent, {} € charged)",
                        r.reason, r.pages_confirmed, r.pages, r.charged
                    ),
                    None => println!(
                        "fax {id} failed: {}",
                        job.problem.as_deref().unwrap_or("given up")
                    ),
                }
                return Ok(ExitCode::from(EXIT_FAILED));
            }
            _ => {}
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("fax {id} is still {:?} after {} s", state, limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
