//! `faxvox line add|list`: the numbers the gateway answers and what answers them.
//!
//! Numbers are accepted in any usual written form (`+33 2 53 43 75 55`, `0033…`) and stored in
//! E.164. An alias forwards to an existing fax or voicemail line of the same account.

use std::process::ExitCode;

use clap::Subcommand;

use crate::cli::account::{block_on, open, table};
use crate::config::Config;
use crate::directory::{validate, Directory, NewLine};

#[derive(Subcommand, Debug)]
pub enum LineCommand {
    /// Add a number: a fax line, a voicemail line, or an alias of one of them.
    Add(AddArgs),
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
}

pub fn run(cmd: LineCommand, config: &Config) -> anyhow::Result<ExitCode> {
    block_on(async {
        let dir = open(config).await?;
        let result = match cmd {
            LineCommand::Add(args) => add(&dir, args).await,
            LineCommand::List { json } => list(&dir, json).await,
        };
        dir.close().await;
        result
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn add(dir: &Directory, args: AddArgs) -> anyhow::Result<()> {
    let new = NewLine {
        number: args.number,
        account: args.account,
        kind: validate::parse_kind(&args.kind)?,
        target: args.target,
    };
    let line = dir.add_line(&new).await?;
    println!(
        "line {} added to account {}",
        crate::cli::account::describe_line(&line),
        line.account
    );
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
