//! Spool and delivery speed, measured in one run on the machine's real disk (the temp folders
//! live in Cargo's target tmp dir, never on a tmpfs):
//!
//! (a) enqueue latency of a ~50 KB one-page fax job through `faxvox_spool::Spool::enqueue`
//!     (temp folder, lock file, media and manifest fsynced, rename, root fsynced), p50/p99,
//!     against the reference a bare `write + fsync + rename` of the same bytes (and the same
//!     plus an fsync of the folder, what a durable rename really takes), as ratios. Criterion
//!     measures the means; a separate interleaved loop gives the percentiles.
//! (b) jobs per second from enqueue to "accepted" for N = 100 fax jobs through the worker
//!     library (`faxvox::worker::Worker`: claim, TIFF → PDF, compose, send, record), with the
//!     Maildir transport and with SMTP to a local aiosmtpd sink (`tests/it/support/smtp.rs`).
//!
//! Whole run: well under 2 minutes.

#[path = "../tests/it/support/smtp.rs"]
#[allow(dead_code)]
mod smtp;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use criterion::Criterion;
use faxvox::config::Config;
use faxvox::delivery::Transport;
use faxvox::directory::{Directory, LineKind, NewAccount, NewLine};
use faxvox::worker::{self, FaxFacts, JobFacts, Worker};
use faxvox_codecs::tiff::write_g4_tiff;
use faxvox_codecs::{Bitmap, Page, Resolution};
use faxvox_spool::{format_rfc3339, JobKind, Media, Spool, SpoolOptions};
use serde_json::{Map, Value};

const N_JOBS: usize = 100;
const PERCENTILE_SAMPLES: usize = 300;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

/// A fine-resolution A4 page of glyph-like strokes, with as many strokes as it takes for the
/// G4 TIFF to reach about 50 KB.
fn fax_tiff_50k() -> Vec<u8> {
    let page = |glyphs: u32| {
        let (w, h) = (1728u32, 2292u32);
        let mut b = Bitmap::new(w, h);
        let mut rng = Lcg(7);
        for _ in 0..glyphs {
            let x = 60 + rng.next() % (w - 140);
            let y = 60 + rng.next() % (h - 140);
            let (gw, gh) = if rng.next().is_multiple_of(2) {
                (2 + rng.next() % 3, 8 + rng.next() % 14)
            } else {
                (6 + rng.next() % 10, 2 + rng.next() % 3)
            };
            b.fill_rect(x, y, gw, gh);
        }
        write_g4_tiff(&[Page {
            bitmap: b,
            resolution: Resolution::FINE,
        }])
    };
    let mut glyphs = 2_000;
    loop {
        let t = page(glyphs);
        if t.len() >= 50_000 || glyphs > 200_000 {
            return t;
        }
        glyphs = glyphs * 50_000 / t.len() as u32 + 200;
    }
}

/// The facts `faxvox spool import --kind fax --account acme --from "+33 2 53 43 75 55"` writes.
fn import_facts() -> Map<String, Value> {
    JobFacts {
        account: Some("acme".into()),
        caller_number: "+33253437555".into(),
        caller_name: Some("Zoé Lefèvre".into()),
        called_number: "+33299001122".into(),
        start: Some(format_rfc3339(SystemTime::now())),
        source: Some("import of bench.tiff".into()),
        fax: Some(FaxFacts {
            pages_expected: Some(1),
            ..FaxFacts::default()
        }),
        ..JobFacts::default()
    }
    .to_map()
}

fn enqueue(spool: &Spool, tiff: &[u8]) {
    spool
        .enqueue(
            SystemTime::now(),
            JobKind::Fax,
            import_facts(),
            &[("fax.tiff", Media::Bytes(tiff))],
        )
        .expect("enqueue");
}

/// The reference: the bytes made durable the simplest way (write, fsync, rename), optionally
/// with the folder fsynced too.
fn bare(dir: &Path, n: u64, bytes: &[u8], sync_dir: bool) {
    let tmp = dir.join(format!(".tmp-{n}"));
    let dst = dir.join(format!("{n}.tiff"));
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .unwrap();
    f.write_all(bytes).unwrap();
    f.sync_all().unwrap();
    drop(f);
    fs::rename(&tmp, &dst).unwrap();
    if sync_dir {
        File::open(dir).unwrap().sync_all().unwrap();
    }
}

fn tmp_root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn enqueue_latency(c: &mut Criterion, tiff: &[u8]) {
    let tmp = tempfile::tempdir_in(tmp_root()).unwrap();
    let (spool, _) = Spool::open(
        tmp.path().join("spool"),
        SpoolOptions {
            high_water: 0.99,
            ..SpoolOptions::default()
        },
        SystemTime::now(),
    )
    .unwrap();
    let bare_dir = tmp.path().join("bare");
    fs::create_dir(&bare_dir).unwrap();
    let mut n = 0u64;

    let mut g = c.benchmark_group("enqueue_50k_fax");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6));
    g.bench_function("spool_enqueue", |b| b.iter(|| enqueue(&spool, tiff)));
    g.bench_function("bare_write_fsync_rename", |b| {
        b.iter(|| {
            n += 1;
            bare(&bare_dir, n, tiff, false)
        })
    });
    g.finish();

    // Percentiles: the three interleaved, so they see the same disk weather.
    let (mut sp, mut br, mut brd) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..PERCENTILE_SAMPLES {
        let t = Instant::now();
        enqueue(&spool, tiff);
        sp.push(t.elapsed());
        n += 1;
        let t = Instant::now();
        bare(&bare_dir, n, tiff, false);
        br.push(t.elapsed());
        n += 1;
        let t = Instant::now();
        bare(&bare_dir, n, tiff, true);
        brd.push(t.elapsed());
    }
    for v in [&mut sp, &mut br, &mut brd] {
        v.sort();
    }
    println!();
    println!(
        "== (a) enqueue latency, {} KB fax TIFF, {PERCENTILE_SAMPLES} interleaved samples each ==",
        tiff.len() / 1024
    );
    for (name, v) in [
        ("spool enqueue", &sp),
        ("bare write+fsync+rename", &br),
        ("bare write+fsync+rename+fsync(dir)", &brd),
    ] {
        println!(
            "{name:<36} p50 {:>7.3} ms   p99 {:>7.3} ms",
            ms(pct(v, 0.5)),
            ms(pct(v, 0.99))
        );
    }
    let ratio = |a: &[Duration], b: &[Duration], p| ms(pct(a, p)) / ms(pct(b, p));
    println!(
        "ratio enqueue / bare:             p50 {:.2}x  p99 {:.2}x",
        ratio(&sp, &br, 0.5),
        ratio(&sp, &br, 0.99)
    );
    println!(
        "ratio enqueue / bare+fsync(dir):  p50 {:.2}x  p99 {:.2}x",
        ratio(&sp, &brd, 0.5),
        ratio(&sp, &brd, 0.99)
    );
}

struct Throughput {
    enqueue: Duration,
    deliver: Duration,
}

/// N jobs enqueued, then one worker pass delivering them all through `smtp_url` (empty:
/// the Maildir under the temp folder).
async fn throughput(tiff: &[u8], smtp_url: &str) -> Throughput {
    let tmp = tempfile::tempdir_in(tmp_root()).unwrap();
    let mut config = Config::default();
    config.spool.dir = tmp.path().join("spool");
    config.delivery.maildir = tmp.path().join("maildir");
    config.database.url = format!("sqlite://{}", tmp.path().join("faxvox.db").display());
    config.smtp.url = smtp_url.to_string();
    config.smtp.from = "Fax <fax@gw.example>".into();
    config.smtp.timeout_secs = 10;

    let directory = Directory::open(&config.database.url).await.unwrap();
    directory
        .add_account(&NewAccount::new(
            "acme",
            vec!["alice@example.com".into(), "bob@example.com".into()],
        ))
        .await
        .unwrap();
    directory
        .add_line(&NewLine {
            number: "+33299001122".into(),
            account: "acme".into(),
            kind: LineKind::Fax,
            target: None,
        })
        .await
        .unwrap();
    let (spool, _) = Spool::open(
        &config.spool.dir,
        worker::spool_options(&config.spool),
        SystemTime::now(),
    )
    .unwrap();
    let transport = Transport::from_config(&config.smtp, &config.delivery).unwrap();
    let worker = Worker::new(spool.clone(), directory.clone(), transport, &config).unwrap();

    let t0 = Instant::now();
    for _ in 0..N_JOBS {
        enqueue(&spool, tiff);
    }
    let t1 = Instant::now();
    let report = worker.deliver_due().await;
    let t2 = Instant::now();
    assert_eq!(report.delivered(), N_JOBS, "{report}");
    directory.close().await;
    Throughput {
        enqueue: t1 - t0,
        deliver: t2 - t1,
    }
}

fn print_throughput(name: &str, t: &Throughput) {
    let total = t.enqueue + t.deliver;
    println!(
        "{name:<28} {N_JOBS} jobs: enqueue {:>6.0} ms, deliver {:>6.0} ms -> {:>6.1} jobs/s end to end ({:>6.1} jobs/s delivery only, {:.1} ms/job)",
        ms(t.enqueue),
        ms(t.deliver),
        N_JOBS as f64 / total.as_secs_f64(),
        N_JOBS as f64 / t.deliver.as_secs_f64(),
        ms(t.deliver) / N_JOBS as f64
    );
}

fn main() {
    let tiff = fax_tiff_50k();
    let mut c = Criterion::default().configure_from_args().without_plots();
    enqueue_latency(&mut c, &tiff);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let maildir = rt.block_on(throughput(&tiff, ""));
    let sink = smtp::SmtpSink::start(&smtp::SinkOptions::default());
    let url = format!("smtp://127.0.0.1:{}?tls=none", sink.port);
    let over_smtp = rt.block_on(throughput(&tiff, &url));
    let stored = sink.wait_for(N_JOBS).len();
    assert_eq!(stored, N_JOBS, "the sink stored every message");
    drop(sink);

    println!();
    println!(
        "== (b) worker throughput, {} KB one-page fax, 2 recipients, import -> accepted ==",
        tiff.len() / 1024
    );
    print_throughput("Maildir", &maildir);
    print_throughput("SMTP (aiosmtpd, tls=none)", &over_smtp);
    c.final_summary();
}
