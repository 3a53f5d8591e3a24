//! Reservations per second, on SQLite (a file in Cargo's target tmp dir, WAL, the gateway's
//! pool) and on PostgreSQL when `TEST_POSTGRES_URL` is set (a fresh database on that server),
//! each against a reference on the same database in the same run: a bare single-row INSERT
//! in its own transaction (the least any durable reservation can cost).
//!
//! One measured reservation = `Billing::reserve` (BEGIN; lock the account row; sums; the
//! conditional INSERT; notices; COMMIT). Each reservation is released outside the timed part,
//! so the account's open set stays small, as in service. A second group races 8 tasks on one
//! account (contention on its lock) and reports reservations per second of wall time.
//!
//! `cargo bench --bench billing` (a minute or two).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput};
use faxvox::billing::BillingConfig;
use faxvox::billing::{Billing, Money, Quote};
use faxvox::directory::{Directory, NewAccount};
use sqlx::AnyPool;

fn quote() -> Quote {
    Quote {
        to: "+390612345678".into(),
        prefix: "39".into(),
        country: "Italy".into(),
        rate_per_page: Money(500),
        pages: 3,
        amount: Money(1500),
    }
}

struct Db {
    name: &'static str,
    dir: Directory,
    billing: Billing,
    _tmp: Option<tempfile::TempDir>,
}

async fn setup(name: &'static str, url: String, tmp: Option<tempfile::TempDir>) -> Db {
    let dir = Directory::open(&url).await.unwrap();
    dir.add_account(&NewAccount::new("bench", vec!["b@example.com".into()]))
        .await
        .unwrap();
    let billing = Billing::new(
        &dir,
        &BillingConfig {
            default_ceiling: Money::from_euros(1_000_000_000).unwrap(),
        },
    );
    sqlx::query(
        "CREATE TABLE bench_ref (id VARCHAR(40) PRIMARY KEY, account VARCHAR(64), amount BIGINT)",
    )
    .execute(dir.pool())
    .await
    .unwrap();
    Db {
        name,
        dir,
        billing,
        _tmp: tmp,
    }
}

async fn sqlite() -> Db {
    let tmp = tempfile::Builder::new()
        .prefix("billing-bench")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let url = format!("sqlite://{}/faxvox.db", tmp.path().display());
    setup("sqlite", url, Some(tmp)).await
}

async fn postgres() -> Option<Db> {
    let server = std::env::var("TEST_POSTGRES_URL").ok()?;
    sqlx::any::install_default_drivers();
    let db = format!("billing_bench_{}", std::process::id());
    let pool = AnyPool::connect(&server).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (base, _) = server.rsplit_once('/').unwrap();
    Some(setup("postgres", format!("{base}/{db}"), None).await)
}

static SEQ: AtomicU64 = AtomicU64::new(0);

fn next_id() -> String {
    format!("bench-{}", SEQ.fetch_add(1, Ordering::Relaxed))
}

fn bench_db(c: &mut Criterion, rt: &tokio::runtime::Runtime, db: &Db) {
    let mut group = c.benchmark_group(format!("billing/{}", db.name));
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("reserve", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut spent = Duration::ZERO;
                let q = quote();
                for _ in 0..iters {
                    let fax = next_id();
                    let start = Instant::now();
                    let r = db
                        .billing
                        .reserve("bench", &fax, &q, SystemTime::now())
                        .await
                        .unwrap();
                    spent += start.elapsed();
                    db.billing.release(&r.id).await.unwrap();
                }
                spent
            })
        })
    });
    group.bench_function("reference: INSERT in a transaction", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let mut tx = db.dir.pool().begin().await.unwrap();
                    sqlx::query("INSERT INTO bench_ref (id, account, amount) VALUES ($1, $2, $3)")
                        .bind(next_id())
                        .bind("bench")
                        .bind(1500_i64)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    // 8 tasks on one account: they queue on its lock; wall time per reservation.
    group.bench_function("reserve, 8 concurrent tasks, one account", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let per_task = iters.div_ceil(8);
                let start = Instant::now();
                let mut tasks = Vec::new();
                let ids = Arc::new(tokio::sync::Mutex::new(Vec::new()));
                for _ in 0..8 {
                    let billing = db.billing.clone();
                    let ids = ids.clone();
                    tasks.push(tokio::spawn(async move {
                        let q = quote();
                        for _ in 0..per_task {
                            let r = billing
                                .reserve("bench", &next_id(), &q, SystemTime::now())
                                .await
                                .unwrap();
                            ids.lock().await.push(r.id);
                        }
                    }));
                }
                for t in tasks {
                    t.await.unwrap();
                }
                let elapsed = start.elapsed();
                for id in ids.lock().await.drain(..) {
                    db.billing.release(&id).await.unwrap();
                }
                elapsed.mul_f64(iters as f64 / (per_task * 8) as f64)
            })
        })
    });
    group.finish();
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut c = Criterion::default().configure_from_args();
    let sqlite = rt.block_on(sqlite());
    bench_db(&mut c, &rt, &sqlite);
    rt.block_on(sqlite.dir.close());
    match rt.block_on(postgres()) {
        Some(pg) => {
            bench_db(&mut c, &rt, &pg);
            rt.block_on(pg.dir.close());
        }
        None => eprintln!("TEST_POSTGRES_URL not set: PostgreSQL skipped"),
    }
    c.final_summary();
}
