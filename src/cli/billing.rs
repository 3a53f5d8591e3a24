//! `faxvox billing deposit|status|ceiling|log`: an account's out-of-plan ceiling and consumption.
//!
//! Amounts are euros excl. tax with up to four decimals (`20`, `20.00`, `0.05`); they print
//! with two. `status --json` prints the fields `ceiling`, `deposits`, `used`, `reserved`,
//! `remaining` (and `limit`) as exact decimal strings, plus `state`, `period` and
//! `default_ceiling`. The period is the current calendar month in UTC.
//!
//! `statement ID --month YYYY-MM [--format csv|pdf] [--output FILE]` writes the monthly
//! statement of communications ([`crate::billing::statement`]) to FILE or standard output
//! (a PDF is not written to a terminal).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{bail, Context};
use clap::Subcommand;

use super::account::{block_on, open, table};
use crate::billing::statement::Statement;
use crate::billing::Billing;
use crate::config::Config;
use crate::money::Money;

#[derive(Subcommand, Debug)]
pub enum BillingCommand {
    /// Record a deposit: it raises the account's ceiling for this month, at once.
    Deposit {
        /// Account id.
        id: String,
        /// Euros excl. tax, e.g. 50 or 49.90.
        amount: String,
        /// Free text kept with the deposit (payment reference).
        #[arg(long)]
        note: Option<String>,
    },
    /// Show the ceiling, deposits, consumption and what remains this month.
    Status {
        /// Account id.
        id: String,
        /// Print a JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Set the account's own ceiling, or go back to billing.default_ceiling.
    Ceiling {
        /// Account id.
        id: String,
        /// Euros excl. tax per month.
        #[arg(required_unless_present = "default", conflicts_with = "default")]
        amount: Option<String>,
        /// Use billing.default_ceiling again.
        #[arg(long)]
        default: bool,
    },
    /// The billing log: every amount held for the account's faxes, what was charged or
    /// released, when, and why when the fax's own ending did not close it (reconciliation).
    Log {
        /// Account id.
        id: String,
        /// Only faxes submitted in this month, YYYY-MM (UTC).
        #[arg(long)]
        month: Option<String>,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The monthly statement of communications: every call of the month and the totals.
    Statement {
        /// Account id.
        id: String,
        /// Billing month, YYYY-MM (calendar month in UTC).
        #[arg(long)]
        month: String,
        #[arg(long, value_enum, default_value_t = StatementFormat::Csv)]
        format: StatementFormat,
        /// Write to FILE instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Output format of `billing statement`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatementFormat {
    /// Header row, one row per call, a total row; cost in € (exact decimals).
    Csv,
    /// A4 table (plain text, built-in font).
    Pdf,
}

pub fn run(cmd: BillingCommand, config: &Config) -> anyhow::Result<ExitCode> {
    block_on(async {
        let dir = open(config).await?;
        let billing = Billing::new(&dir, &config.billing);
        let now = SystemTime::now();
        let result = match cmd {
            BillingCommand::Deposit { id, amount, note } => {
                let amount = Money::parse(&amount)?;
                billing.deposit(&id, amount, note.as_deref(), now).await?;
                let status = billing.status(&id, now).await?;
                println!(
                    "deposit of {amount} € recorded for {id}: limit {} € this month, {} € remaining",
                    status.limit, status.remaining
                );
                Ok(())
            }
            BillingCommand::Status { id, json } => {
                let s = billing.status(&id, now).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&s)?);
                } else {
                    let ceiling = if s.default_ceiling {
                        format!("{} € (default)", s.ceiling)
                    } else {
                        format!("{} €", s.ceiling)
                    };
                    let rows = vec![
                        vec!["account".into(), s.account.clone()],
                        vec!["state".into(), s.state.to_string()],
                        vec!["period".into(), s.period.clone()],
                        vec!["ceiling".into(), ceiling],
                        vec!["deposits".into(), format!("{} €", s.deposits)],
                        vec!["used".into(), format!("{} €", s.used)],
                        vec!["reserved".into(), format!("{} €", s.reserved)],
                        vec!["remaining".into(), format!("{} €", s.remaining)],
                    ];
                    print!("{}", table(&[], &rows));
                }
                Ok(())
            }
            BillingCommand::Ceiling {
                id,
                amount,
                default,
            } => {
                let ceiling = match (amount, default) {
                    (_, true) | (None, _) => None,
                    (Some(a), false) => Some(Money::parse(&a)?),
                };
                billing.set_ceiling(&id, ceiling, now).await?;
                match ceiling {
                    Some(c) => println!("ceiling of {id} set to {c} €"),
                    None => println!(
                        "ceiling of {id} back to the default ({} €)",
                        billing.default_ceiling()
                    ),
                }
                Ok(())
            }
            BillingCommand::Log { id, month, json } => {
                let log = billing.reservations_of(&id, month.as_deref()).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&log)?);
                } else {
                    let rows: Vec<Vec<String>> = log
                        .iter()
                        .map(|r| {
                            vec![
                                r.created_at.clone(),
                                r.fax_id.clone(),
                                format!("{:?}", r.state).to_lowercase(),
                                format!("{} €", r.amount),
                                format!("{} €", r.charged),
                                r.closed_at.clone().unwrap_or_default(),
                                r.close_reason.clone().unwrap_or_default(),
                            ]
                        })
                        .collect();
                    print!(
                        "{}",
                        table(
                            &[
                                "RESERVED AT",
                                "FAX",
                                "STATE",
                                "HELD",
                                "CHARGED",
                                "CLOSED AT",
                                "WHY"
                            ],
                            &rows
                        )
                    );
                }
                Ok(())
            }
            BillingCommand::Statement {
                id,
                month,
                format,
                output,
            } => statement(&dir, &billing, &id, &month, format, output).await,
        };
        dir.close().await;
        result
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn statement(
    dir: &crate::directory::Directory,
    billing: &Billing,
    id: &str,
    month: &str,
    format: StatementFormat,
    output: Option<PathBuf>,
) -> anyhow::Result<()> {
    let st = Statement::build(dir, billing, id, month).await?;
    let bytes = match format {
        StatementFormat::Csv => st.to_csv().into_bytes(),
        StatementFormat::Pdf => st.to_pdf(),
    };
    match output {
        Some(path) => {
            std::fs::write(&path, &bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!(
                "statement of {id} for {month} written to {}: {} communications, total {} €",
                path.display(),
                st.count,
                st.total.to_exact_string()
            );
        }
        None => {
            let mut out = std::io::stdout().lock();
            if format == StatementFormat::Pdf && out.is_terminal() {
                bail!("not writing a PDF to a terminal: give --output FILE or redirect");
            }
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(())
}
