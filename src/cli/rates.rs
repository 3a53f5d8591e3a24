//! `faxvox rates import|list`: the rate deck (price per page by destination prefix, dated).
//!
//! The CSV has the header `prefix,country,price_per_page,valid_from`: prefix in E.164 digits
//! (`33`, `+336`), price in euros excl. tax with up to four decimals, valid_from a date
//! (`2026-01-01`, midnight UTC) or an RFC 3339 time. Every row is checked before anything is
//! stored: one bad line and nothing is imported, and the error names every bad line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Context;
use clap::Subcommand;

use super::account::{block_on, open, table};
use crate::billing::{rates::parse_rates_csv, Billing};
use crate::config::Config;

#[derive(Subcommand, Debug)]
pub enum RatesCommand {
    /// Import a CSV rate deck (all or nothing).
    Import {
        /// CSV file: prefix,country,price_per_page,valid_from.
        file: PathBuf,
    },
    /// List the rate deck.
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: RatesCommand, config: &Config) -> anyhow::Result<ExitCode> {
    // Check the file before touching the database.
    let parsed = match &cmd {
        RatesCommand::Import { file } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            Some(parse_rates_csv(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?)
        }
        RatesCommand::List { .. } => None,
    };
    block_on(async {
        let dir = open(config).await?;
        let billing = Billing::new(&dir, &config.billing);
        let result = match cmd {
            RatesCommand::Import { file } => {
                let rates = parsed.unwrap_or_default();
                let n = billing.import_rates(&rates, SystemTime::now()).await?;
                println!("{n} rates imported from {}", file.display());
                Ok(())
            }
            RatesCommand::List { json } => {
                let rates = billing.rates().await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&rates)?);
                } else if rates.is_empty() {
                    println!("no rates; import a deck with: faxvox rates import FILE.csv");
                } else {
                    let rows: Vec<Vec<String>> = rates
                        .iter()
                        .map(|r| {
                            vec![
                                format!("+{}", r.prefix),
                                r.price_per_page.to_exact_string(),
                                r.valid_from.clone(),
                                r.country.clone(),
                            ]
                        })
                        .collect();
                    print!(
                        "{}",
                        table(&["PREFIX", "PER PAGE €", "VALID FROM", "COUNTRY"], &rows)
                    );
                }
                Ok(())
            }
        };
        dir.close().await;
        result
    })?;
    Ok(ExitCode::SUCCESS)
}
