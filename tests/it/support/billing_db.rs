//! Databases for the billing tests: a fresh SQLite file, and a fresh PostgreSQL database per
//! test on the server of `TEST_POSTGRES_URL` (created here, dropped on [`TestDb::cleanup`]),
//! so tests run in parallel without seeing each other's rows.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::SystemTime;

use faxvox::billing::BillingConfig;
use faxvox::billing::{Billing, Money};
use faxvox::directory::{Directory, NewAccount};

pub struct TestDb {
    pub url: String,
    /// (server URL, database name) to drop at the end.
    pg: Option<(String, String)>,
    _tmp: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let tmp = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/faxvox.db", tmp.path().display());
        TestDb {
            url,
            pg: None,
            _tmp: Some(tmp),
        }
    }

    /// A new empty database on the test server; `None` (test skipped) without
    /// `TEST_POSTGRES_URL`.
    pub async fn postgres(name: &str) -> Option<TestDb> {
        let Ok(server) = std::env::var("TEST_POSTGRES_URL") else {
            eprintln!("TEST_POSTGRES_URL not set: PostgreSQL variant skipped");
            return None;
        };
        static N: AtomicU32 = AtomicU32::new(0);
        let db = format!(
            "billing_{name}_{}_{}_{:08x}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            rand_u32()
        );
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&server).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        Some(TestDb {
            url: with_database(&server, &db),
            pg: Some((server, db)),
            _tmp: None,
        })
    }

    /// Drops the PostgreSQL database (every pool on it must be closed).
    pub async fn cleanup(self) {
        if let Some((server, db)) = &self.pg {
            let pool = sqlx::AnyPool::connect(server).await.unwrap();
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                .execute(&pool)
                .await;
            pool.close().await;
        }
    }
}

fn rand_u32() -> u32 {
    let t = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap();
    t.subsec_nanos() ^ (t.as_secs() as u32).rotate_left(16)
}

/// `postgres://u@host:port/old?x` with `old` replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{db}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

pub fn at(rfc3339: &str) -> SystemTime {
    faxvox_spool::parse_rfc3339(rfc3339).unwrap()
}

pub fn money(s: &str) -> Money {
    Money::parse(s).unwrap()
}

pub fn config(default_ceiling: &str) -> BillingConfig {
    BillingConfig {
        default_ceiling: money(default_ceiling),
    }
}

/// Opens the database and creates the accounts.
pub async fn open(url: &str, accounts: &[&str]) -> (Directory, Billing) {
    let dir = Directory::open(url).await.unwrap();
    for id in accounts {
        dir.add_account(&NewAccount::new(*id, vec![format!("{id}@example.com")]))
            .await
            .unwrap();
    }
    let billing = Billing::new(&dir, &config("150.00"));
    (dir, billing)
}

/// Runs a scenario on SQLite and (when configured) on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($scenario:ident, $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $sqlite() {
            let db = $crate::support::billing_db::TestDb::sqlite();
            $scenario(&db.url).await;
            db.cleanup().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $postgres() {
            let Some(db) =
                $crate::support::billing_db::TestDb::postgres(stringify!($scenario)).await
            else {
                return;
            };
            $scenario(&db.url).await;
            db.cleanup().await;
        }
    };
}
