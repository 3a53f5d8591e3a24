//! `faxvox account add|list|show|suspend|restrict|activate|token|webhook|sender`: manage the
//! clients of the gateway (and their HTTP API tokens, signed webhooks and the senders allowed
//! to fax by email for them).
//!
//! The database is `database.url` from the configuration (`FAXVOX_DATABASE_URL` overrides it);
//! it is created and migrated on first use. Human output is an aligned table; `--json` prints
//! the stable JSON of [`crate::directory::Account`] (plus its `lines` for `show`).

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use serde::Serialize;

use crate::billing::{AccountState, Billing};
use crate::config::Config;
use crate::directory::{validate, Account, Directory, Line, NewAccount, DEFAULT_TIME_ZONE};

#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// Create an account: an id of your choice and at least one email address.
    Add(AddArgs),
    /// List the accounts.
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one account with its email addresses and lines.
    Show {
        /// Account id.
        id: String,
        /// Print a JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Suspend an account: nothing goes out (receiving continues). Logged.
    Suspend(StateArgs),
    /// Restrict an account (documents missing): it may send only to the operator's own
    /// numbers (receiving continues). Logged.
    Restrict(StateArgs),
    /// Make an account active again. Logged.
    Activate(StateArgs),
    /// Create a bearer token for the HTTP API (printed once; only its SHA-256 is stored),
    /// or with --revoke revoke every token of the account.
    Token {
        /// Account id.
        id: String,
        /// Revoke all the account's tokens instead of creating one.
        #[arg(long)]
        revoke: bool,
    },
    /// Set the account's webhook: events (fax.received, voicemail.received, fax.sent,
    /// fax.failed) are POSTed to URL, signed with HMAC-SHA256 (header Faxvox-Signature). A
    /// secret is generated and printed once unless --secret is given. --remove removes it;
    /// with neither, shows the URL in force.
    Webhook {
        /// Account id.
        id: String,
        /// The http:// or https:// URL receiving the events.
        #[arg(long, conflicts_with = "remove")]
        url: Option<String>,
        /// The signing secret (at least 16 characters); generated when omitted.
        #[arg(long, requires = "url")]
        secret: Option<String>,
        /// Remove the account's webhook (events already queued are dropped at their next attempt).
        #[arg(long)]
        remove: bool,
    },
    /// Who may send faxes by email for the account (email-to-fax): add, list or remove
    /// sender patterns (alice@acme.example, or *@acme.example for a whole domain).
    #[command(subcommand)]
    Sender(SenderCommand),
}

#[derive(Subcommand, Debug)]
pub enum SenderCommand {
    /// Allow PATTERN (alice@acme.example or *@acme.example) to fax by email for account ID.
    /// A pattern belongs to one account only; an exact address wins over its domain's `*@`.
    Add {
        /// Account id.
        id: String,
        /// alice@acme.example (one address) or *@acme.example (every address of the domain).
        pattern: String,
        /// Caller id of these faxes: one of the account's fax lines (default: its first).
        #[arg(long, value_name = "NUMBER")]
        line: Option<String>,
    },
    /// List the senders allowed for account ID.
    List {
        /// Account id.
        id: String,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Stop allowing PATTERN to fax by email for account ID.
    Remove {
        /// Account id.
        id: String,
        /// The pattern as added (any case).
        pattern: String,
    },
}

#[derive(clap::Args, Debug)]
pub struct StateArgs {
    /// Account id.
    pub id: String,
    /// Why, kept in the state log.
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// Account id: 1-64 characters of letters, digits, `_`, `.` and `-`.
    pub id: String,
    /// Where faxes and voice messages are sent; repeat for several recipients.
    #[arg(long = "email", value_name = "ADDR", required = true)]
    pub emails: Vec<String>,
    /// Display name used in emails (UTF-8 welcome: "Zoé Lefèvre").
    #[arg(long)]
    pub name: Option<String>,
    /// Language of the emails: fr or en.
    #[arg(long, default_value = "fr")]
    pub locale: String,
    /// IANA time zone for the dates in emails.
    #[arg(long, default_value = DEFAULT_TIME_ZONE)]
    pub timezone: String,
}

pub fn run(cmd: AccountCommand, config: &Config) -> anyhow::Result<ExitCode> {
    block_on(async {
        let dir = open(config).await?;
        let result = match cmd {
            AccountCommand::Add(args) => add(&dir, args).await,
            AccountCommand::List { json } => list(&dir, json).await,
            AccountCommand::Show { id, json } => show(&dir, &id, json).await,
            AccountCommand::Suspend(args) => {
                set_state(&dir, config, args, AccountState::Suspended).await
            }
            AccountCommand::Restrict(args) => {
                set_state(&dir, config, args, AccountState::Restricted).await
            }
            AccountCommand::Activate(args) => {
                set_state(&dir, config, args, AccountState::Active).await
            }
            AccountCommand::Token { id, revoke } => token(&dir, &id, revoke).await,
            AccountCommand::Webhook {
                id,
                url,
                secret,
                remove,
            } => webhook(&dir, &id, url, secret, remove).await,
            AccountCommand::Sender(cmd) => sender(&dir, cmd).await,
        };
        dir.close().await;
        result
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Runs one directory command on a current-thread runtime: the CLI is sync, the directory async.
pub(crate) fn block_on<T>(
    fut: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(fut)
}

/// Opens the configured directory database.
pub(crate) async fn open(config: &Config) -> anyhow::Result<Directory> {
    Ok(Directory::open(&config.database.url).await?)
}

async fn add(dir: &Directory, args: AddArgs) -> anyhow::Result<()> {
    let new = NewAccount {
        id: args.id,
        name: args.name,
        locale: validate::parse_locale(&args.locale)?,
        time_zone: args.timezone,
        emails: args.emails,
    };
    let account = dir.add_account(&new).await?;
    println!(
        "account {} created ({}, {}): {}",
        account.id,
        account.locale,
        account.time_zone,
        account.emails.join(", ")
    );
    Ok(())
}

async fn list(dir: &Directory, json: bool) -> anyhow::Result<()> {
    let accounts = dir.accounts().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&accounts)?);
        return Ok(());
    }
    if accounts.is_empty() {
        println!("no accounts; add one with: faxvox account add ID --email ADDR");
        return Ok(());
    }
    let lines = dir.lines().await?;
    let rows: Vec<Vec<String>> = accounts
        .iter()
        .map(|a| {
            let count = lines.iter().filter(|l| l.account == a.id).count();
            vec![
                a.id.clone(),
                a.name.clone().unwrap_or_else(|| "-".into()),
                a.locale.to_string(),
                a.time_zone.clone(),
                a.state.clone(),
                count.to_string(),
                a.emails.join(", "),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &[
                "ID",
                "NAME",
                "LOCALE",
                "TIME ZONE",
                "STATE",
                "LINES",
                "EMAILS"
            ],
            &rows
        )
    );
    Ok(())
}

/// `account suspend|restrict|activate`: changes the state and logs who (the `USER`) and why.
async fn set_state(
    dir: &Directory,
    config: &Config,
    args: StateArgs,
    to: AccountState,
) -> anyhow::Result<()> {
    let billing = Billing::new(dir, &config.billing);
    let by = std::env::var("USER").unwrap_or_else(|_| "admin".into());
    let change = billing
        .set_state(
            &args.id,
            to,
            &by,
            args.reason.as_deref(),
            std::time::SystemTime::now(),
        )
        .await?;
    if change.changed {
        println!("account {} is now {} (was {})", args.id, to, change.from);
    } else {
        println!("account {} already is {}", args.id, to);
    }
    Ok(())
}

/// `account token ID [--revoke]`: the new token alone on stdout (for scripts), shown once.
async fn token(dir: &Directory, id: &str, revoke: bool) -> anyhow::Result<()> {
    use crate::api::tokens;
    let now = std::time::SystemTime::now();
    if revoke {
        let n = tokens::revoke_tokens(dir, id, now).await?;
        println!("account {id}: {n} API token(s) revoked");
    } else {
        let t = tokens::create_token(dir, id, now).await?;
        eprintln!(
            "faxvox: API token {} created for account {id}; it is shown only once, keep it now",
            t.id
        );
        println!("{}", t.token);
    }
    Ok(())
}

/// `account webhook ID [--url URL [--secret S]] [--remove]`: a generated secret alone on
/// stdout (for scripts), shown once.
async fn webhook(
    dir: &Directory,
    id: &str,
    url: Option<String>,
    secret: Option<String>,
    remove: bool,
) -> anyhow::Result<()> {
    use crate::webhook;
    if remove {
        if webhook::remove(dir, id).await? {
            println!("account {id}: webhook removed");
        } else {
            println!("account {id} had no webhook");
        }
        return Ok(());
    }
    let Some(url) = url else {
        match webhook::get(dir, id).await? {
            Some(h) => println!("{}", crate::redact::redact_url(&h.url)),
            None => {
                if dir.account(id).await?.is_none() {
                    anyhow::bail!("unknown account `{id}`");
                }
                println!("account {id} has no webhook");
            }
        }
        return Ok(());
    };
    let generated = secret.is_none();
    let secret = secret.unwrap_or_else(webhook::generate_secret);
    let hook = webhook::set(dir, id, &url, &secret).await?;
    if generated {
        eprintln!(
            "faxvox: webhook of account {id} set to {}; its signing secret is shown only once, keep it now",
            crate::redact::redact_url(&hook.url)
        );
        println!("{}", hook.secret);
    } else {
        println!(
            "account {id}: webhook set to {}",
            crate::redact::redact_url(&hook.url)
        );
    }
    Ok(())
}

/// `account show --json`: the account and its lines.
#[derive(Serialize)]
struct AccountWithLines<'a> {
    #[serde(flatten)]
    account: &'a Account,
    lines: &'a [Line],
}

/// `account sender add|list|remove`.
async fn sender(dir: &Directory, cmd: SenderCommand) -> anyhow::Result<()> {
    match cmd {
        SenderCommand::Add { id, pattern, line } => {
            let entry = dir.add_sender(&id, &pattern, line.as_deref()).await?;
            let first_fax = dir
                .account_lines(&entry.account)
                .await?
                .into_iter()
                .find(|l| l.kind == crate::directory::LineKind::Fax);
            match (&entry.line, first_fax) {
                (Some(line), _) => println!(
                    "account {}: {} may fax by email, caller id {line}",
                    entry.account, entry.pattern
                ),
                (None, Some(first)) => println!(
                    "account {}: {} may fax by email, caller id {} (the first fax line)",
                    entry.account, entry.pattern, first.number
                ),
                (None, None) => println!(
                    "account {}: {} may fax by email once the account has a fax line \
                     (faxvox line add NUMBER --account {} --kind fax)",
                    entry.account, entry.pattern, entry.account
                ),
            }
        }
        SenderCommand::List { id, json } => {
            let entries = dir.list_senders(&id).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
                return Ok(());
            }
            if entries.is_empty() {
                println!(
                    "account {} has no email-to-fax senders; add one with: faxvox account sender add {} PATTERN [--line NUMBER]",
                    id.trim(),
                    id.trim()
                );
                return Ok(());
            }
            let rows: Vec<Vec<String>> = entries
                .iter()
                .map(|e| {
                    vec![
                        e.pattern.clone(),
                        e.line
                            .clone()
                            .unwrap_or_else(|| "first fax line".to_string()),
                        e.created_at.clone(),
                    ]
                })
                .collect();
            print!("{}", table(&["PATTERN", "CALLER ID", "ADDED"], &rows));
        }
        SenderCommand::Remove { id, pattern } => {
            let entry = dir.remove_sender(&id, &pattern).await?;
            println!(
                "account {}: {} may no longer fax by email",
                entry.account, entry.pattern
            );
        }
    }
    Ok(())
}

async fn show(dir: &Directory, id: &str, json: bool) -> anyhow::Result<()> {
    let account = dir
        .account(id)
        .await?
        .ok_or_else(|| crate::directory::DirectoryError::UnknownAccount(id.to_string()))?;
    let lines = dir.account_lines(id).await?;
    if json {
        let view = AccountWithLines {
            account: &account,
            lines: &lines,
        };
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(());
    }
    let mut rows: Vec<Vec<String>> = vec![
        vec!["account".into(), account.id.clone()],
        vec![
            "name".into(),
            account.name.clone().unwrap_or_else(|| "-".into()),
        ],
        vec!["locale".into(), account.locale.to_string()],
        vec!["time zone".into(), account.time_zone.clone()],
        vec!["state".into(), account.state.clone()],
        vec!["created".into(), account.created_at.clone()],
    ];
    for (i, email) in account.emails.iter().enumerate() {
        let label = if i == 0 { "emails" } else { "" };
        rows.push(vec![label.into(), email.clone()]);
    }
    if lines.is_empty() {
        rows.push(vec!["lines".into(), "-".into()]);
    }
    for (i, line) in lines.iter().enumerate() {
        let label = if i == 0 { "lines" } else { "" };
        rows.push(vec![label.into(), describe_line(line)]);
    }
    print!("{}", table(&[], &rows));
    Ok(())
}

/// `+33253437555 fax` or `+33253437556 alias of +33253437555`.
pub(crate) fn describe_line(line: &Line) -> String {
    match &line.target {
        Some(target) => format!("{} {} of {}", line.number, line.kind, target),
        None => format!("{} {}", line.number, line.kind),
    }
}

/// Formats rows as columns separated by two spaces, padded by character count (names are
/// UTF-8). `headers` may be empty. The last column is not padded, so lines carry no trailing
/// blanks.
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let columns = rows
        .iter()
        .map(Vec::len)
        .chain(std::iter::once(headers.len()))
        .max()
        .unwrap_or(0);
    let mut widths = vec![0usize; columns];
    let header_row: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let all = std::iter::once(&header_row).chain(rows.iter());
    for row in all.clone() {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in all.filter(|r| !r.is_empty()) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 < row.len() {
                line.push_str(cell);
                let pad = widths[i] - cell.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            } else {
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_utf8_by_characters() {
        let t = table(
            &["ID", "NAME"],
            &[
                vec!["zoe".into(), "Zoé Lefèvre".into()],
                vec!["acme-sarl".into(), "-".into()],
            ],
        );
        assert_eq!(t, "ID         NAME\nzoe        Zoé Lefèvre\nacme-sarl  -\n");
    }
}
