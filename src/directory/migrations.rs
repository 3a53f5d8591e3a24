//! The database schema, embedded in the binary.
//!
//! The SQL lives in `migrations/` at the repository root, in sqlx-cli's layout
//! (`<VERSION>_<DESCRIPTION>.sql`), so `sqlx migrate info` works on a live database. The files
//! are embedded with `include_str!` rather than `sqlx::migrate!`, which would need sqlx's
//! `macros` feature and compile the SQLite C library a second time for the proc-macro. A test
//! checks the list below matches the folder, so a new file cannot be forgotten.

use std::borrow::Cow;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// `(version, description, SQL)` of every migration, oldest first. To add one, create
/// `migrations/<VERSION>_<description>.sql` and list it here.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        20261127000001,
        "directory",
        include_str!("../../migrations/20261127000001_directory.sql"),
    ),
    (
        20261201000001,
        "call records",
        include_str!("../../migrations/20261201000001_call_records.sql"),
    ),
    (
        20261215000001,
        "billing",
        include_str!("../../migrations/20261215000001_billing.sql"),
    ),
    (
        20261220000001,
        "call record cost",
        include_str!("../../migrations/20261220000001_call_record_cost.sql"),
    ),
    (
        20261222000001,
        "api tokens",
        include_str!("../../migrations/20261222000001_api_tokens.sql"),
    ),
    (
        20261228000001,
        "call record foreign",
        include_str!("../../migrations/20261228000001_call_record_foreign.sql"),
    ),
    (
        20261230000001,
        "reservation origin",
        include_str!("../../migrations/20261230000001_reservation_origin.sql"),
    ),
    (
        20270101000001,
        "outbound queue",
        include_str!("../../migrations/20270101000001_outbound_queue.sql"),
    ),
    (
        20270105000001,
        "line greetings",
        include_str!("../../migrations/20270105000001_line_greetings.sql"),
    ),
    (
        20270110000001,
        "block list",
        include_str!("../../migrations/20270110000001_block_list.sql"),
    ),
    (
        20270111000001,
        "account webhooks",
        include_str!("../../migrations/20270111000001_account_webhooks.sql"),
    ),
    (
        20270112000001,
        "outbound header",
        include_str!("../../migrations/20270112000001_outbound_header.sql"),
    ),
    (
        20270112000002,
        "account senders",
        include_str!("../../migrations/20270112000002_account_senders.sql"),
    ),
];

/// The embedded migrations as an sqlx migration source (same versions, descriptions and
/// checksums as sqlx-cli would compute from the folder).
#[derive(Debug, Clone, Copy)]
pub struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Vec<Migration>, BoxDynError>> + Send>,
    > {
        Box::pin(async { Ok(migrations()) })
    }
}

/// The embedded migrations, oldest first.
pub fn migrations() -> Vec<Migration> {
    MIGRATIONS
        .iter()
        .map(|&(version, description, sql)| {
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                sql.starts_with("-- no-transaction"),
            )
        })
        .collect()
}

/// A migrator over the embedded migrations: `migrator().await?.run(&pool).await?`.
pub async fn migrator() -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(Embedded).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file in `migrations/` is listed in [`MIGRATIONS`] with its exact content, and
    /// nothing else is.
    #[test]
    fn embedded_list_matches_the_folder() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut on_disk = Vec::new();
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            let Some(stem) = name.strip_suffix(".sql") else {
                continue;
            };
            let (version, description) = stem.split_once('_').expect("VERSION_description.sql");
            let sql = std::fs::read_to_string(&path).unwrap();
            on_disk.push((
                version.parse::<i64>().unwrap(),
                description.replace('_', " "),
                sql,
            ));
        }
        on_disk.sort();
        let embedded: Vec<_> = MIGRATIONS
            .iter()
            .map(|&(v, d, s)| (v, d.to_string(), s.to_string()))
            .collect();
        assert_eq!(on_disk, embedded, "migrations/ and MIGRATIONS differ");
        assert!(MIGRATIONS.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
