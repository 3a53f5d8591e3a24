//! `faxvox block add|list|remove`: callers the gateway declines (603) and destinations it
//! will not fax (do-not-fax), per account or for every account.
//!
//! A pattern is a number in any usual written form (stored in E.164), the start of one
//! (`+33 6`, optionally `+336*`) matching every number that begins so, or `anonymous` for
//! callers who withhold their number (number patterns never match those).

use std::process::ExitCode;

use clap::Subcommand;

use crate::cli::account::{block_on, open, table};
use crate::config::Config;
use crate::directory::{BlockDirection, Directory};

#[derive(Subcommand, Debug)]
pub enum BlockCommand {
    /// Block a number, a prefix or `anonymous`: calls from it are declined with 603, faxes
    /// to it refused before pricing.
    Add(AddArgs),
    /// List the entries (operator-wide ones show `*` as account).
    List {
        /// Only this account's entries.
        #[arg(long)]
        account: Option<String>,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Remove an entry (the operator-wide one unless --account is given).
    Remove {
        /// The pattern as listed (any written form of it).
        pattern: String,
        /// The account whose entry it is.
        #[arg(long)]
        account: Option<String>,
    },
}

#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// A number (+33 6 12 34 56 78), a prefix (+33 6, +336*) or `anonymous`.
    pub pattern: String,
    /// Only for this account's lines and faxes; without it the entry is operator-wide.
    #[arg(long)]
    pub account: Option<String>,
    /// in (calls from it), out (faxes to it) or both.
    #[arg(long, default_value = "both")]
    pub direction: String,
}

pub fn run(cmd: BlockCommand, config: &Config) -> anyhow::Result<ExitCode> {
    block_on(async {
        let dir = open(config).await?;
        let result = match cmd {
            BlockCommand::Add(args) => add(&dir, args).await,
            BlockCommand::List { account, json } => list(&dir, account.as_deref(), json).await,
            BlockCommand::Remove { pattern, account } => {
                remove(&dir, &pattern, account.as_deref()).await
            }
        };
        dir.close().await;
        result
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn add(dir: &Directory, args: AddArgs) -> anyhow::Result<()> {
    let direction: BlockDirection = args.direction.parse()?;
    let entry = dir
        .add_block(&args.pattern, args.account.as_deref(), direction)
        .await?;
    println!("blocked {entry}");
    Ok(())
}

async fn list(dir: &Directory, account: Option<&str>, json: bool) -> anyhow::Result<()> {
    let entries = dir.blocks(account).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(());
    }
    if entries.is_empty() {
        println!("the block list is empty; add with: faxvox block add NUMBER|PREFIX [--account ID] [--direction in|out|both]");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.pattern.clone(),
                e.account.clone().unwrap_or_else(|| "*".to_string()),
                e.direction.to_string(),
                e.created_at.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(&["PATTERN", "ACCOUNT", "DIRECTION", "ADDED"], &rows)
    );
    Ok(())
}

async fn remove(dir: &Directory, pattern: &str, account: Option<&str>) -> anyhow::Result<()> {
    let entry = dir.remove_block(pattern, account).await?;
    println!("unblocked {entry}");
    Ok(())
}
