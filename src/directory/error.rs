//! Directory errors: one variant per thing an operator can get wrong, each with a message that
//! says what to fix, so the CLI and the HTTP API can show it as is. Raw SQL errors only surface
//! for real database failures (disk full, server gone), never for duplicates or bad input.

use std::path::PathBuf;

use thiserror::Error;

/// Why a directory operation failed.
#[derive(Debug, Error)]
pub enum DirectoryError {
    /// A phone number that cannot be put in E.164 form.
    #[error("invalid number `{input}`: {reason}")]
    InvalidNumber { input: String, reason: String },
    /// An email address that delivery could not use.
    #[error("invalid email address `{input}`: {reason}")]
    InvalidEmail { input: String, reason: String },
    /// The same address given twice for one account.
    #[error("email address `{0}` is given twice")]
    DuplicateEmail(String),
    /// An account must have somewhere to deliver to.
    #[error("account `{0}` needs at least one email address")]
    NoEmail(String),
    #[error("invalid locale `{0}`: expected `fr` or `en`")]
    InvalidLocale(String),
    #[error(
        "unknown time zone `{0}`: give an IANA name such as Europe/Paris or America/Martinique"
    )]
    UnknownTimeZone(String),
    #[error("invalid account id `{input}`: {reason}")]
    InvalidAccountId { input: String, reason: String },
    #[error("invalid display name: {0}")]
    InvalidName(String),
    #[error("invalid line kind `{0}`: expected fax, voicemail or alias")]
    InvalidKind(String),
    #[error("account `{0}` already exists")]
    DuplicateAccount(String),
    #[error("line {0} already exists")]
    DuplicateLine(String),
    #[error("unknown account `{0}`")]
    UnknownAccount(String),
    #[error("unknown line {0}")]
    UnknownLine(String),
    /// `kind = alias` without a target number.
    #[error("alias {0} needs a target number (the fax or voicemail line it forwards to)")]
    MissingTarget(String),
    /// A target given for a fax or voicemail line.
    #[error("line {number} is a {kind} line: only aliases take a target number")]
    UnexpectedTarget { number: String, kind: String },
    #[error("alias {0} cannot point to itself")]
    SelfAlias(String),
    #[error("alias {alias}: target {target} is not a line of the directory; add it first")]
    UnknownTarget { alias: String, target: String },
    /// Aliases point straight at a fax or voicemail line: no chains, hence no loops.
    #[error(
        "alias {alias}: target {target} is itself an alias (of {final_target}); point the alias at {final_target} instead"
    )]
    AliasToAlias {
        alias: String,
        target: String,
        final_target: String,
    },
    /// An alias and its target must belong to the same account, or the alias would route one
    /// client's messages to another.
    #[error(
        "alias {alias} is for account `{account}` but its target {target} belongs to account `{target_account}`"
    )]
    AliasAccountMismatch {
        alias: String,
        account: String,
        target: String,
        target_account: String,
    },
    #[error("invalid direction `{0}`: expected in, out or both")]
    InvalidBlockDirection(String),
    /// The same pattern twice in one scope (account or operator-wide).
    #[error("{0} is already on the block list ({1}); remove it first to change it")]
    DuplicateBlock(String, String),
    #[error("{0} is not on the block list ({1})")]
    UnknownBlock(String, String),
    /// An email-to-fax sender pattern that is not `local@domain` or `*@domain`.
    #[error("invalid sender pattern `{input}`: {reason}")]
    InvalidSenderPattern { input: String, reason: String },
    /// The same pattern twice for one account.
    #[error("{0} is already an allowed sender of account `{1}`")]
    DuplicateSender(String, String),
    /// A pattern belongs to one account only, so a mail is charged to one account.
    #[error("{pattern} is already an allowed sender of account `{holder}`; remove it there first")]
    SenderTaken { pattern: String, holder: String },
    #[error("{0} is not an allowed sender of account `{1}`")]
    UnknownSender(String, String),
    /// The caller id of faxes sent by email must be one of the account's own fax lines.
    #[error("{line} is not a fax line of account `{account}`")]
    SenderLineNotFax { line: String, account: String },
    #[error(
        "unsupported database URL `{0}`: expected sqlite://FILE, sqlite::memory: or postgres://…"
    )]
    UnsupportedUrl(String),
    // The causes below are part of the message and deliberately not `source()`, so that
    // `{:#}` (anyhow's chain, as the CLI prints errors) does not repeat them.
    #[error("cannot create folder {path} for the database: {cause}")]
    CreateDir {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot create the database file {path}: {cause}")]
    CreateFile {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot open database {url}: {cause}")]
    Open { url: String, cause: sqlx::Error },
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(sqlx::migrate::MigrateError),
    /// A row the directory did not write the way it reads (edited by hand, newer schema).
    #[error("unexpected value in the database: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for DirectoryError {
    fn from(err: sqlx::Error) -> Self {
        DirectoryError::Database(err)
    }
}

impl From<sqlx::migrate::MigrateError> for DirectoryError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        DirectoryError::Migrate(err)
    }
}

impl DirectoryError {
    /// True for errors caused by the input (bad value, duplicate, unknown reference), false
    /// for failures of the database itself. The HTTP API maps the first kind to 4xx.
    pub fn is_user_error(&self) -> bool {
        !matches!(
            self,
            DirectoryError::CreateDir { .. }
                | DirectoryError::CreateFile { .. }
                | DirectoryError::Open { .. }
                | DirectoryError::Migrate(_)
                | DirectoryError::Corrupt(_)
                | DirectoryError::Database(_)
        )
    }
}
