//! The directory: who the gateway works for and which numbers reach them.
//!
//! An **account** is a client (id chosen by the operator, display name, email language, time
//! zone, one or more email addresses). A **line** is a number of ours, in E.164, that belongs
//! to an account and is a `fax` line, a `voicemail` line, or an `alias` that forwards to one of
//! those. The gateway calls [`Directory::resolve`] on every inbound call to learn which line
//! answers and which account gets the message; delivery reads the account's addresses, locale
//! and time zone.
//!
//! Storage is sqlx's `Any` driver over SQLite (a file by default) or PostgreSQL (when several
//! gateways share accounts): one pool type, one set of portable queries (`$1` placeholders,
//! which SQLite accepts too), one set of migrations in `migrations/`, applied on open. Billing
//! shares the pool through [`Directory::pool`].

use std::collections::HashMap;
use std::fmt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::AnyPool;
use sqlx::Row;

pub mod blocks;
pub mod error;
pub mod migrations;
pub mod records;
pub mod senders;
pub mod validate;

pub use blocks::{BlockDirection, BlockEntry};
pub use error::DirectoryError;
pub use records::{CallKind, CallRecord, CallStatus, Direction, NewCallRecord};
pub use senders::{SenderEntry, SenderMatch};

/// Result of directory operations.
pub type Result<T, E = DirectoryError> = std::result::Result<T, E>;

/// Language of the emails an account receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Fr,
    En,
}

impl Locale {
    /// The code stored in the database and shown to operators.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Fr => "fr",
            Locale::En => "en",
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Locale {
    type Err = DirectoryError;
    fn from_str(s: &str) -> Result<Self> {
        validate::parse_locale(s)
    }
}

/// What answers a number: the gateway picks the call flow from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    /// Receives faxes (audio or T.38); the PDF is emailed.
    Fax,
    /// Plays a greeting and records a message; switches to fax on CNG.
    Voicemail,
    /// Another number for a fax or voicemail line (its `target`).
    Alias,
}

impl LineKind {
    /// The word stored in the database and shown to operators.
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Fax => "fax",
            LineKind::Voicemail => "voicemail",
            LineKind::Alias => "alias",
        }
    }
}

impl fmt::Display for LineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LineKind {
    type Err = DirectoryError;
    fn from_str(s: &str) -> Result<Self> {
        validate::parse_kind(s)
    }
}

/// A client of the gateway, as stored. Serialises to the stable JSON of `account show --json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Operator-chosen id, 1–64 characters of `[A-Za-z0-9_.-]`.
    pub id: String,
    /// Display name; `None` when the operator gave none (see [`Account::display_name`]).
    pub name: Option<String>,
    pub locale: Locale,
    /// Canonical IANA name (`Europe/Paris`); dates in this account's emails use it.
    pub time_zone: String,
    /// Billing's account state; the directory creates accounts `active`.
    pub state: String,
    /// Where messages go, in the order the operator gave them; never empty.
    pub emails: Vec<String>,
    /// Creation time, RFC 3339 UTC (`2026-11-27T07:49:12Z`).
    pub created_at: String,
}

impl Account {
    /// The name to greet the client by: the display name, else the id.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }

    /// The account's time zone, for formatting dates
    /// (`ts.to_zoned(account.zone()?).strftime(...)`).
    pub fn zone(&self) -> Result<jiff::tz::TimeZone> {
        jiff::tz::TimeZone::get(&self.time_zone)
            .map_err(|_| DirectoryError::UnknownTimeZone(self.time_zone.clone()))
    }
}

/// One of our numbers, as stored. Serialises to the stable JSON of `line list --json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    /// E.164 with its `+` (`+33253437555`).
    pub number: String,
    /// Id of the owning account.
    pub account: String,
    pub kind: LineKind,
    /// For aliases: the fax or voicemail line this number forwards to.
    pub target: Option<String>,
    /// Voicemail greeting file set by the gateway; `None` plays the built-in greeting.
    pub greeting: Option<String>,
    /// SHA-256 (hex) of the greeting stored in the database ([`Directory::store_greeting`]):
    /// a node whose own copy differs fetches it again. `None`: the greeting is only a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting_sha256: Option<String>,
    /// Creation time, RFC 3339 UTC.
    pub created_at: String,
}

/// Where an inbound call goes: the answer of [`Directory::resolve`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Route {
    /// The dialled number, normalised to E.164.
    pub dialled: String,
    /// The line that answers: never an alias (an alias is followed to its target).
    pub line: Line,
    /// The account that gets the message: the owner of `line`.
    pub account: Account,
}

impl Route {
    /// True when the call came in on an alias rather than on the line itself.
    pub fn via_alias(&self) -> bool {
        self.dialled != self.line.number
    }
}

/// What it takes to create an account. Every field is validated and normalised by
/// [`Directory::add_account`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    pub id: String,
    pub name: Option<String>,
    pub locale: Locale,
    /// IANA name, any case (`europe/paris` is stored as `Europe/Paris`).
    pub time_zone: String,
    /// At least one.
    pub emails: Vec<String>,
}

impl NewAccount {
    /// An account with the defaults of a French operator: locale `fr`, time zone Europe/Paris.
    pub fn new(id: impl Into<String>, emails: Vec<String>) -> Self {
        NewAccount {
            id: id.into(),
            name: None,
            locale: Locale::Fr,
            time_zone: DEFAULT_TIME_ZONE.to_string(),
            emails,
        }
    }
}

/// Time zone of new accounts when none is given.
pub const DEFAULT_TIME_ZONE: &str = "Europe/Paris";

/// What it takes to add a line. Numbers may be in any form [`validate::normalize_number`]
/// accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLine {
    pub number: String,
    pub account: String,
    pub kind: LineKind,
    /// Required for aliases, refused for other kinds.
    pub target: Option<String>,
}

/// Which database the directory is on; for the few places where SQL must differ (none yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Handle on the directory database. Cheap to clone (the pool and the route cache are
/// shared).
#[derive(Clone, Debug)]
pub struct Directory {
    pool: AnyPool,
    backend: Backend,
    routes: Arc<RouteCache>,
}

/// How long a resolved route is served from memory. Changes made through this process's
/// [`Directory`] clear the cache at once; changes made by another process (`faxvox account` on
/// the same database, another gateway on PostgreSQL) are seen after at most this long.
pub const ROUTE_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// Recently resolved routes, so that a burst of INVITEs to the same numbers does not queue
/// three queries per call on the database pool. Only numbers that resolved are kept (a number
/// added by another process answers at once); concurrent misses of one number make one lookup.
#[derive(Debug, Default)]
struct RouteCache {
    entries: std::sync::Mutex<HashMap<String, (std::time::Instant, Route)>>,
    /// One lookup at a time per number missing from the cache.
    inflight: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Bumped by every change made through this process: a lookup that started before a
    /// change does not store its (maybe stale) result.
    generation: std::sync::atomic::AtomicU64,
}

impl RouteCache {
    fn get(&self, number: &str) -> Option<Route> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match entries.get(number) {
            Some((at, route)) if at.elapsed() < ROUTE_TTL => Some(route.clone()),
            _ => None,
        }
    }

    fn put(&self, number: &str, route: &Route, generation: u64) {
        use std::sync::atomic::Ordering;
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if entries.len() >= 10_000 {
            entries.retain(|_, (at, _)| at.elapsed() < ROUTE_TTL);
        }
        entries.insert(
            number.to_string(),
            (std::time::Instant::now(), route.clone()),
        );
    }

    fn clear(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        entries.clear();
    }

    fn gate(&self, number: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut inflight = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        if inflight.len() >= 10_000 {
            inflight.retain(|_, m| Arc::strong_count(m) > 1);
        }
        inflight.entry(number.to_string()).or_default().clone()
    }
}

/// How to reach the database, worked out from the configured URL.
enum Target {
    /// `connect` is the URL given to sqlx (with `mode=rwc` so the file is created);
    /// `folder` must exist first.
    SqliteFile {
        connect: String,
        file: PathBuf,
        /// The URL lets SQLite create the file (`mode=rwc`, ours by default).
        create: bool,
        folder: Option<PathBuf>,
    },
    SqliteMemory {
        connect: String,
    },
    Postgres {
        connect: String,
    },
}

impl Target {
    fn parse(url: &str) -> Result<Target> {
        let unsupported = || DirectoryError::UnsupportedUrl(redact_url(url));
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres {
                connect: url.to_string(),
            });
        }
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(unsupported)?;
        let (path, params) = rest.split_once('?').unwrap_or((rest, ""));
        let has_param = |key: &str, value: Option<&str>| {
            params.split('&').any(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                k == key && value.is_none_or(|want| v == want)
            })
        };
        if path == ":memory:" || has_param("mode", Some("memory")) {
            return Ok(Target::SqliteMemory {
                connect: url.to_string(),
            });
        }
        if path.is_empty() {
            return Err(unsupported());
        }
        let create = !has_param("mode", None) || has_param("mode", Some("rwc"));
        let connect = if has_param("mode", None) {
            url.to_string()
        } else if params.is_empty() {
            format!("{}?mode=rwc", url.trim_end_matches('?'))
        } else {
            format!("{url}&mode=rwc")
        };
        let file = PathBuf::from(percent_decode(path));
        let folder = file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(PathBuf::from);
        Ok(Target::SqliteFile {
            connect,
            file,
            create,
            folder,
        })
    }
}

/// Creates the SQLite file empty with mode 0600 (whatever the umask) when it does not exist,
/// so that SQLite never creates it with the default 0644: accounts, call records and billing
/// are private. SQLite gives its -wal and -shm files the database file's mode.
fn create_private_db(file: &Path) -> Result<()> {
    let err = |cause| DirectoryError::CreateFile {
        path: file.to_path_buf(),
        cause,
    };
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(crate::fsutil::FILE_MODE)
        .open(file)
    {
        Ok(f) => f
            .set_permissions(std::fs::Permissions::from_mode(crate::fsutil::FILE_MODE))
            .map_err(err),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(err(e)),
    }
}

/// Makes the database file and its `-wal`, `-shm` and `-journal` files 0600 where they are
/// not (they exist only sometimes; a file that is not ours is left with a warning).
fn make_db_private(file: &Path) {
    let mut paths = vec![file.to_path_buf()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut p = file.as_os_str().to_owned();
        p.push(suffix);
        paths.push(PathBuf::from(p));
    }
    for path in paths {
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o7777;
        if mode == crate::fsutil::FILE_MODE {
            continue;
        }
        match crate::fsutil::make_file_private(&path) {
            Ok(()) => {
                tracing::info!(path = %path.display(), was = format!("{mode:o}"), "database file made private (0600)")
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), error = %e, "cannot make the database file private: check who can read it")
            }
        }
    }
}

/// Decodes `%XX` escapes the way sqlx does for SQLite paths, so the folder we create is the
/// one sqlx opens.
fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Hides the passwords of a database URL in messages and logs (user info and query
/// parameters such as `?password=`); the one redaction of [`crate::redact`].
pub use crate::redact::redact_url;

/// Now, as stored in `created_at` columns: RFC 3339 UTC to the second, which sorts as text.
/// The SHA-256 of a stored greeting, lowercase hex (what `lines.greeting_sha256` holds).
pub fn greeting_sha256(wav: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(wav)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now_text() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

const ACCOUNT_COLUMNS: &str = "id, display_name, locale, time_zone, state, created_at";
const LINE_COLUMNS: &str = "number, account, kind, target, greeting, greeting_sha256, created_at";

fn account_from_row(row: &AnyRow, emails: Vec<String>) -> Result<Account> {
    let locale: String = row.try_get("locale")?;
    Ok(Account {
        id: row.try_get("id")?,
        name: row.try_get("display_name")?,
        locale: validate::parse_locale(&locale)
            .map_err(|_| DirectoryError::Corrupt(format!("account locale `{locale}`")))?,
        time_zone: row.try_get("time_zone")?,
        state: row.try_get("state")?,
        emails,
        created_at: row.try_get("created_at")?,
    })
}

fn line_from_row(row: &AnyRow) -> Result<Line> {
    let kind: String = row.try_get("kind")?;
    Ok(Line {
        number: row.try_get("number")?,
        account: row.try_get("account")?,
        kind: validate::parse_kind(&kind)
            .map_err(|_| DirectoryError::Corrupt(format!("line kind `{kind}`")))?,
        target: row.try_get("target")?,
        greeting: row.try_get("greeting")?,
        greeting_sha256: row.try_get("greeting_sha256")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Directory {
    /// Opens the directory database and brings its schema up to date.
    ///
    /// `url` is `sqlite://FILE` (relative paths from the current folder; the file and its
    /// folder are created if missing), `sqlite::memory:` (tests; one connection, gone when the
    /// directory is dropped) or `postgres://user:password@host/db`. Migrations are embedded in
    /// the binary and applied on every open; already applied ones are skipped, so opening is
    /// idempotent and several gateways may start at once (PostgreSQL migrations take a lock).
    pub async fn open(url: &str) -> Result<Directory> {
        sqlx::any::install_default_drivers();
        let target = Target::parse(url)?;
        let (connect, options, backend) = match &target {
            Target::SqliteFile {
                connect,
                file,
                create,
                folder,
            } => {
                if let Some(folder) = folder {
                    // New folders 0700; an existing one (maybe shared) is left as it is.
                    std::fs::DirBuilder::new()
                        .recursive(true)
                        .mode(crate::fsutil::DIR_MODE)
                        .create(folder)
                        .map_err(|cause| DirectoryError::CreateDir {
                            path: folder.clone(),
                            cause,
                        })?;
                }
                if *create {
                    create_private_db(file)?;
                }
                (
                    connect,
                    AnyPoolOptions::new().max_connections(4),
                    Backend::Sqlite,
                )
            }
            // Every new connection to `sqlite::memory:` would be a new, empty database: keep
            // exactly one, forever.
            Target::SqliteMemory { connect } => (
                connect,
                AnyPoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None),
                Backend::Sqlite,
            ),
            Target::Postgres { connect } => (
                connect,
                AnyPoolOptions::new().max_connections(8),
                Backend::Postgres,
            ),
        };
        let pool = options
            .connect(connect)
            .await
            .map_err(|cause| DirectoryError::Open {
                url: redact_url(url),
                cause,
            })?;
        if let Target::SqliteFile { file, .. } = &target {
            // WAL lets `faxvox account …` write while `faxvox serve` reads. The setting is
            // stored in the file, so this only does work on the first open.
            sqlx::query("PRAGMA journal_mode = WAL")
                .fetch_optional(&pool)
                .await?;
            // SQLite gives the -wal and -shm files the database's mode; a database made by an
            // older version (or under a lax umask) is tightened here, with its side files.
            make_db_private(file);
        }
        migrations::migrator().await?.run(&pool).await?;
        Ok(Directory {
            pool,
            backend,
            routes: Arc::default(),
        })
    }

    /// The connection pool, for modules that keep their own tables in the same database
    /// (billing). Their migrations live in the same `migrations/` folder.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A trivial query (`SELECT 1`): whether the database answers, for the node's readiness.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Closes every connection, waiting for queries in flight. SQLite then checkpoints its WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Creates an account after validating every field; returns it as stored.
    ///
    /// Ids are unique regardless of case (`Acme` and `acme` would confuse operators), emails
    /// keep their order (the first is the main recipient).
    pub async fn add_account(&self, new: &NewAccount) -> Result<Account> {
        self.routes.clear();
        let result = self.add_account_uncached(new).await;
        self.routes.clear();
        result
    }

    async fn add_account_uncached(&self, new: &NewAccount) -> Result<Account> {
        validate::check_account_id(&new.id)?;
        let name = validate::normalize_name(new.name.as_deref().unwrap_or(""))?;
        let time_zone = validate::normalize_time_zone(&new.time_zone)?;
        if new.emails.is_empty() {
            return Err(DirectoryError::NoEmail(new.id.clone()));
        }
        let mut emails: Vec<String> = Vec::with_capacity(new.emails.len());
        for raw in &new.emails {
            let email = validate::normalize_email(raw)?;
            if emails.iter().any(|e| e.eq_ignore_ascii_case(&email)) {
                return Err(DirectoryError::DuplicateEmail(email));
            }
            emails.push(email);
        }
        let existing: Option<String> =
            sqlx::query_scalar("SELECT id FROM accounts WHERE LOWER(id) = LOWER($1)")
                .bind(&new.id)
                .fetch_optional(&self.pool)
                .await?;
        if let Some(existing) = existing {
            return Err(DirectoryError::DuplicateAccount(existing));
        }
        let created_at = now_text();
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO accounts (id, display_name, locale, time_zone, state, created_at) \
             VALUES ($1, $2, $3, $4, 'active', $5)",
        )
        .bind(&new.id)
        .bind(&name)
        .bind(new.locale.as_str())
        .bind(&time_zone)
        .bind(&created_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(DirectoryError::DuplicateAccount(new.id.clone()))
            }
            other => other?,
        };
        for (position, email) in emails.iter().enumerate() {
            sqlx::query(
                "INSERT INTO account_emails (account, position, address) VALUES ($1, $2, $3)",
            )
            .bind(&new.id)
            .bind(position as i64)
            .bind(email)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Account {
            id: new.id.clone(),
            name,
            locale: new.locale,
            time_zone,
            state: "active".into(),
            emails,
            created_at,
        })
    }

    /// One account with its addresses, or `None`. Ids match exactly.
    pub async fn account(&self, id: &str) -> Result<Option<Account>> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let emails: Vec<String> = sqlx::query_scalar(
            "SELECT address FROM account_emails WHERE account = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(account_from_row(&row, emails)?))
    }

    /// Every account, by id.
    pub async fn accounts(&self) -> Result<Vec<Account>> {
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?;
        let email_rows =
            sqlx::query("SELECT account, address FROM account_emails ORDER BY account, position")
                .fetch_all(&self.pool)
                .await?;
        let mut emails: HashMap<String, Vec<String>> = HashMap::new();
        for row in &email_rows {
            let account: String = row.try_get("account")?;
            emails
                .entry(account)
                .or_default()
                .push(row.try_get("address")?);
        }
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                account_from_row(row, emails.remove(&id).unwrap_or_default())
            })
            .collect()
    }

    /// Adds a line after validating it; returns it as stored.
    ///
    /// An alias must point at an existing fax or voicemail line of the same account: never at
    /// another alias, so there are no chains and no loops, and resolving takes one step.
    pub async fn add_line(&self, new: &NewLine) -> Result<Line> {
        self.routes.clear();
        let result = self.add_line_uncached(new).await;
        self.routes.clear();
        result
    }

    async fn add_line_uncached(&self, new: &NewLine) -> Result<Line> {
        let number = validate::normalize_number(&new.number)?;
        let target = match (new.kind, &new.target) {
            (LineKind::Alias, None) => return Err(DirectoryError::MissingTarget(number)),
            (LineKind::Alias, Some(t)) => Some(validate::normalize_number(t)?),
            (kind, Some(_)) => {
                return Err(DirectoryError::UnexpectedTarget {
                    number,
                    kind: kind.to_string(),
                })
            }
            (_, None) => None,
        };
        if self.line(&number).await?.is_some() {
            return Err(DirectoryError::DuplicateLine(number));
        }
        let account = new.account.trim();
        if self.account_exists(account).await?.is_none() {
            return Err(DirectoryError::UnknownAccount(account.to_string()));
        }
        if let Some(target) = &target {
            if *target == number {
                return Err(DirectoryError::SelfAlias(number));
            }
            // Lines are never re-kinded, so what we check here still holds at insert time.
            let Some(line) = self.line(target).await? else {
                return Err(DirectoryError::UnknownTarget {
                    alias: number,
                    target: target.clone(),
                });
            };
            if line.kind == LineKind::Alias {
                return Err(DirectoryError::AliasToAlias {
                    alias: number,
                    target: target.clone(),
                    final_target: line.target.unwrap_or_default(),
                });
            }
            if line.account != account {
                return Err(DirectoryError::AliasAccountMismatch {
                    alias: number,
                    account: account.to_string(),
                    target: target.clone(),
                    target_account: line.account,
                });
            }
        }
        let created_at = now_text();
        let inserted = sqlx::query(
            "INSERT INTO lines (number, account, kind, target, greeting, created_at) \
             VALUES ($1, $2, $3, $4, NULL, $5)",
        )
        .bind(&number)
        .bind(account)
        .bind(new.kind.as_str())
        .bind(&target)
        .bind(&created_at)
        .execute(&self.pool)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => return Err(DirectoryError::DuplicateLine(number)),
            other => other?,
        };
        Ok(Line {
            number,
            account: account.to_string(),
            kind: new.kind,
            target,
            greeting: None,
            greeting_sha256: None,
            created_at,
        })
    }

    async fn account_exists(&self, id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// One line by number, in any form [`validate::normalize_number`] accepts; `None` when it
    /// is not ours or is not a valid number at all (for the gateway both mean "404").
    pub async fn line(&self, number: &str) -> Result<Option<Line>> {
        let Ok(number) = validate::normalize_number(number) else {
            return Ok(None);
        };
        let row = sqlx::query(&format!(
            "SELECT {LINE_COLUMNS} FROM lines WHERE number = $1"
        ))
        .bind(&number)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(line_from_row).transpose()
    }

    /// Every line, by number.
    pub async fn lines(&self) -> Result<Vec<Line>> {
        let rows = sqlx::query(&format!("SELECT {LINE_COLUMNS} FROM lines ORDER BY number"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(line_from_row).collect()
    }

    /// The lines of one account, by number.
    pub async fn account_lines(&self, account: &str) -> Result<Vec<Line>> {
        let rows = sqlx::query(&format!(
            "SELECT {LINE_COLUMNS} FROM lines WHERE account = $1 ORDER BY number"
        ))
        .bind(account)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(line_from_row).collect()
    }

    /// Sets (or with `None` clears) the greeting file of a line, without a copy in the
    /// database (see [`Directory::store_greeting`]); returns the updated line.
    pub async fn set_greeting(&self, number: &str, greeting: Option<&str>) -> Result<Line> {
        let normalized = validate::normalize_number(number)?;
        self.routes.clear();
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE lines SET greeting = $1, greeting_sha256 = NULL WHERE number = $2")
            .bind(greeting)
            .bind(&normalized)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM line_greetings WHERE number = $1")
            .bind(&normalized)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.routes.clear();
        self.line(&normalized)
            .await?
            .ok_or(DirectoryError::UnknownLine(normalized))
    }

    /// Stores a line's greeting (`wav`, as played) in the database, so every gateway on it
    /// plays the same one, and records `path`, the copy of the node that stored it; returns
    /// the updated line, whose `greeting_sha256` identifies this greeting.
    pub async fn store_greeting(&self, number: &str, path: &str, wav: &[u8]) -> Result<Line> {
        let normalized = validate::normalize_number(number)?;
        let sha = greeting_sha256(wav);
        self.routes.clear();
        let mut tx = self.pool.begin().await?;
        let updated =
            sqlx::query("UPDATE lines SET greeting = $1, greeting_sha256 = $2 WHERE number = $3")
                .bind(path)
                .bind(&sha)
                .bind(&normalized)
                .execute(&mut *tx)
                .await?;
        if updated.rows_affected() == 0 {
            return Err(DirectoryError::UnknownLine(normalized));
        }
        sqlx::query(
            "INSERT INTO line_greetings (number, wav, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (number) DO UPDATE SET wav = excluded.wav, \
             updated_at = excluded.updated_at",
        )
        .bind(&normalized)
        .bind(wav)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.routes.clear();
        self.line(&normalized)
            .await?
            .ok_or(DirectoryError::UnknownLine(normalized))
    }

    /// The greeting stored for a line by [`Directory::store_greeting`] (an 8 kHz WAV), if any.
    pub async fn greeting_wav(&self, number: &str) -> Result<Option<Vec<u8>>> {
        let normalized = validate::normalize_number(number)?;
        Ok(
            sqlx::query_scalar("SELECT wav FROM line_greetings WHERE number = $1")
                .bind(&normalized)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Where a call to `number` goes: the answering line (an alias is followed to its target)
    /// and the account that gets the message. `None` when the number is not ours. Served
    /// from the route cache for [`ROUTE_TTL`] (see there for what that means for changes).
    pub async fn resolve(&self, number: &str) -> Result<Option<Route>> {
        if let Some(route) = self.routes.get(number) {
            return Ok(Some(route));
        }
        let gate = self.routes.gate(number);
        let _one = gate.lock().await;
        if let Some(route) = self.routes.get(number) {
            return Ok(Some(route));
        }
        let generation = self
            .routes
            .generation
            .load(std::sync::atomic::Ordering::SeqCst);
        let route = self.resolve_uncached(number).await?;
        if let Some(r) = &route {
            self.routes.put(number, r, generation);
        }
        Ok(route)
    }

    /// [`Directory::resolve`] straight from the database (the benchmark's reference).
    #[doc(hidden)]
    pub async fn resolve_uncached(&self, number: &str) -> Result<Option<Route>> {
        let Some(dialled) = self.line(number).await? else {
            return Ok(None);
        };
        let line = match (&dialled.kind, &dialled.target) {
            (LineKind::Alias, Some(target)) => {
                let line = self.line(target).await?.ok_or_else(|| {
                    DirectoryError::Corrupt(format!(
                        "alias {} points to missing line {target}",
                        dialled.number
                    ))
                })?;
                if line.kind == LineKind::Alias {
                    return Err(DirectoryError::Corrupt(format!(
                        "alias {} points to alias {target}",
                        dialled.number
                    )));
                }
                line
            }
            (LineKind::Alias, None) => {
                return Err(DirectoryError::Corrupt(format!(
                    "alias {} has no target",
                    dialled.number
                )))
            }
            _ => dialled.clone(),
        };
        let account = self.account(&line.account).await?.ok_or_else(|| {
            DirectoryError::Corrupt(format!(
                "line {} belongs to missing account `{}`",
                line.number, line.account
            ))
        })?;
        Ok(Some(Route {
            dialled: dialled.number,
            line,
            account,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst of lookups of one number makes one database lookup; a change made through the
    /// directory is seen by the next lookup; unknown numbers are never cached; another
    /// process's change is seen once the entry is older than [`ROUTE_TTL`].
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn route_cache_serves_bursts_and_follows_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", tmp.path().join("d.db").display());
        let dir = Directory::open(&url).await.unwrap();
        dir.add_account(&NewAccount::new("acme", vec!["a@example.com".into()]))
            .await
            .unwrap();
        let line = |number: &str, kind, target: Option<&str>| NewLine {
            number: number.into(),
            account: "acme".into(),
            kind,
            target: target.map(str::to_string),
        };
        dir.add_line(&line("+33299001122", LineKind::Voicemail, None))
            .await
            .unwrap();
        let lookups: Vec<_> = (0..200)
            .map(|_| {
                let d = dir.clone();
                tokio::spawn(async move { d.resolve("+33299001122").await })
            })
            .collect();
        for l in lookups {
            let route = l.await.unwrap().unwrap().unwrap();
            assert_eq!(route.line.kind, LineKind::Voicemail);
            assert_eq!(route.account.id, "acme");
        }
        assert_eq!(dir.routes.entries.lock().unwrap().len(), 1);

        // Unknown: not cached, so adding the line answers at once.
        assert!(dir.resolve("+33299001133").await.unwrap().is_none());
        dir.add_line(&line("+33299001133", LineKind::Alias, Some("+33299001122")))
            .await
            .unwrap();
        let alias = dir.resolve("+33299001133").await.unwrap().unwrap();
        assert!(alias.via_alias());

        // A change through this directory clears the cache.
        dir.set_greeting("+33299001122", Some("hello.wav"))
            .await
            .unwrap();
        let route = dir.resolve("+33299001122").await.unwrap().unwrap();
        assert_eq!(route.line.greeting.as_deref(), Some("hello.wav"));

        // Another process (a second pool on the file) changes the line: served from the cache
        // until the entry is ROUTE_TTL old, then read again.
        let other = Directory::open(&url).await.unwrap();
        other.set_greeting("+33299001122", None).await.unwrap();
        let cached = dir.resolve("+33299001122").await.unwrap().unwrap();
        assert_eq!(cached.line.greeting.as_deref(), Some("hello.wav"));
        dir.routes
            .entries
            .lock()
            .unwrap()
            .values_mut()
            .for_each(|(at, _)| *at -= ROUTE_TTL);
        let fresh = dir.resolve("+33299001122").await.unwrap().unwrap();
        assert_eq!(fresh.line.greeting, None);
        other.close().await;
        dir.close().await;
    }

    #[test]
    fn urls() {
        match Target::parse("sqlite://var/faxvox.db").unwrap() {
            Target::SqliteFile {
                connect, folder, ..
            } => {
                assert_eq!(connect, "sqlite://var/faxvox.db?mode=rwc");
                assert_eq!(folder, Some(PathBuf::from("var")));
            }
            _ => panic!("not a file"),
        }
        match Target::parse("sqlite:///srv/fax%20vox/x.db?mode=rw").unwrap() {
            Target::SqliteFile {
                connect, folder, ..
            } => {
                assert_eq!(connect, "sqlite:///srv/fax%20vox/x.db?mode=rw");
                assert_eq!(folder, Some(PathBuf::from("/srv/fax vox")));
            }
            _ => panic!("not a file"),
        }
        match Target::parse("sqlite:x.db").unwrap() {
            Target::SqliteFile {
                connect, folder, ..
            } => {
                assert_eq!(connect, "sqlite:x.db?mode=rwc");
                assert_eq!(folder, None);
            }
            _ => panic!("not a file"),
        }
        assert!(matches!(
            Target::parse("sqlite::memory:").unwrap(),
            Target::SqliteMemory { .. }
        ));
        assert!(matches!(
            Target::parse("postgres://u:p@db/faxvox").unwrap(),
            Target::Postgres { .. }
        ));
        assert!(Target::parse("mysql://db/faxvox").is_err());
        assert!(Target::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://fax:s3cret@db.example:5432/faxvox"),
            "postgres://fax:***@db.example:5432/faxvox"
        );
        assert_eq!(
            redact_url("postgres://fax@db/faxvox"),
            "postgres://fax@db/faxvox"
        );
        assert_eq!(
            redact_url("sqlite://var/faxvox.db"),
            "sqlite://var/faxvox.db"
        );
        assert_eq!(
            redact_url("postgres://fax@db/faxvox?sslmode=require&password=s3cret"),
            "postgres://fax@db/faxvox?sslmode=require&password=***"
        );
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn memory_directory_keeps_its_data_across_queries() {
        rt().block_on(async {
            let dir = Directory::open("sqlite::memory:").await.unwrap();
            let acme = dir
                .add_account(&NewAccount::new("acme", vec!["fax@acme.fr".into()]))
                .await
                .unwrap();
            assert_eq!(acme.locale, Locale::Fr);
            assert_eq!(acme.time_zone, "Europe/Paris");
            dir.add_line(&NewLine {
                number: "+33 2 53 43 75 55".into(),
                account: "acme".into(),
                kind: LineKind::Fax,
                target: None,
            })
            .await
            .unwrap();
            let route = dir.resolve("0033253437555").await.unwrap().unwrap();
            assert_eq!(route.account, acme);
            assert!(!route.via_alias());
            assert!(dir.resolve("+33299999999").await.unwrap().is_none());
            assert!(dir.resolve("not a number").await.unwrap().is_none());
        });
    }
}
