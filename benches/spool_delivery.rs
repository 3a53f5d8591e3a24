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
//! (c) claim time with 100 and 10 000 jobs waiting for a retry (`Spool::claim_due` of one fresh
//!     job through the in-memory due index), against the reference a claim that scans the
//!     whole spool (the first claim of a freshly opened spool, which builds its index by reading
//!     every manifest: what every claim cost before the index).
//! (d) the voicemail attachment: MP3 of a 10 s message (`encode_mp3`, Standard: 16 kHz,
//!     24 kbit/s) against the encoder as it was (`encode_mp3_reference`: FFT resampler, LAME
//!     -q 5) and the floor of writing the WAV (`wav_bytes`), all in the same run.
//! (e) an INVITE burst's route lookups: 2 000 `Directory::resolve` of one number started at
//!     once on a SQLite file, through the route cache, against the reference the same lookups
//!     straight from the database (`resolve_uncached`: three queries each on the pool).
//! (f) hang-up -> email accepted: 500 voicemails of 10 s committed at once (each commit on the
//!     blocking pool, as the gateway does at hang-up) while the worker runs, delivering over
//!     SMTP to the aiosmtpd sink; per message, from the commit's start to the `delivered`
//!     state, p50 and p99, with `delivery.concurrency` 16 against 1 (the sequential worker as
//!     it was) in the same run.
//!
//! Whole run: about 3 minutes.

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
use faxvox_spool::{format_rfc3339, FailOutcome, JobId, JobKind, Media, Spool, SpoolOptions};
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

/// A spool with `n` jobs waiting for their retry in a day: one real job failed once, copied
/// `n - 1` times as folders (no fsync: the set-up is not what is measured).
fn retry_queue(root: &Path, n: u32) {
    // Retries a day away: none falls due while the benchmark runs.
    let day = Duration::from_secs(86_400);
    let opts = SpoolOptions::default().with_retry(faxvox_spool::RetryPolicy {
        first_delay: day,
        max_delay: 2 * day,
        give_up_after: 30 * day,
    });
    let (spool, _) = Spool::open(root, opts, SystemTime::now()).unwrap();
    let now = SystemTime::now();
    let id = spool
        .enqueue(
            now,
            JobKind::Fax,
            import_facts(),
            &[("fax.tiff", Media::Bytes(b"II*\0"))],
        )
        .unwrap();
    let c = spool
        .claim_due(now, "bench", Duration::from_secs(600))
        .unwrap()
        .unwrap();
    let out = spool.fail(now, &c, "421 try later", false).unwrap();
    assert!(matches!(out, FailOutcome::Retrying { .. }));
    let dir = root.join(id.as_str());
    let manifest = fs::read_to_string(dir.join("manifest.json")).unwrap();
    for i in 1..n {
        let new = JobId::generate(now + Duration::from_millis(u64::from(i)));
        let to = root.join(new.as_str());
        fs::create_dir(&to).unwrap();
        fs::write(to.join(".lock"), b"").unwrap();
        fs::write(to.join("fax.tiff"), b"II*\0").unwrap();
        fs::write(
            to.join("manifest.json"),
            manifest.replace(id.as_str(), new.as_str()),
        )
        .unwrap();
    }
}

/// One claim of a just-committed job while `spool` holds the queue; only the claim is timed.
fn timed_claim(spool: &Spool) -> Duration {
    let now = SystemTime::now();
    spool
        .enqueue(
            now,
            JobKind::Voicemail,
            import_facts(),
            &[("m.wav", Media::Bytes(b"RIFF"))],
        )
        .unwrap();
    let t = Instant::now();
    let c = spool
        .claim_due(now, "bench", Duration::from_secs(600))
        .unwrap()
        .unwrap();
    let took = t.elapsed();
    assert_eq!(
        c.manifest.kind,
        JobKind::Voicemail,
        "the fresh job, not a retry"
    );
    spool.complete(now, &c, "250 OK").unwrap();
    took
}

fn claim_time(c: &mut Criterion) {
    let mut lines = Vec::new();
    for n in [100u32, 10_000] {
        let tmp = tempfile::tempdir_in(tmp_root()).unwrap();
        let root = tmp.path().join("spool");
        retry_queue(&root, n);
        // Reference: a claim that reads every manifest (a fresh handle's first claim).
        let scans: Vec<Duration> = (0..2)
            .map(|_| {
                let (spool, _) =
                    Spool::open(&root, SpoolOptions::default(), SystemTime::now()).unwrap();
                let t = Instant::now();
                assert!(spool
                    .claim_due(SystemTime::now(), "bench", Duration::from_secs(600))
                    .unwrap()
                    .is_none());
                t.elapsed()
            })
            .collect();
        let scan = scans.iter().min().copied().unwrap();
        let (spool, _) = Spool::open(&root, SpoolOptions::default(), SystemTime::now()).unwrap();
        assert!(spool
            .claim_due(SystemTime::now(), "bench", Duration::from_secs(600))
            .unwrap()
            .is_none());
        let reads = spool.index_reads();
        c.bench_function(&format!("claim_due/{n}-queued"), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| timed_claim(&spool)).sum())
        });
        let mut samples: Vec<Duration> = (0..200).map(|_| timed_claim(&spool)).collect();
        samples.sort();
        assert_eq!(spool.index_reads(), reads, "claims did not read the queue");
        lines.push(format!(
            "{n:>6} queued: claim p50 {:.3} ms, p99 {:.3} ms; full-scan claim (reference) {:.1} ms = {:.0}x the p50",
            ms(pct(&samples, 0.5)),
            ms(pct(&samples, 0.99)),
            ms(scan),
            scan.as_secs_f64() / pct(&samples, 0.5).as_secs_f64()
        ));
    }
    println!();
    println!("== (c) claim time by queue size (jobs waiting for a retry) ==");
    for l in lines {
        println!("{l}");
    }
}

/// 10 s of speech-like audio at 8 kHz: voiced bursts with pauses.
fn speech_10s() -> Vec<i16> {
    let mut rng = Lcg(3);
    (0..80_000u32)
        .map(|i| {
            let t = f64::from(i) / 8000.0;
            let voiced = (t * 3.0).fract() < 0.7;
            let f0 = 140.0 + 30.0 * (t * 0.7).sin();
            let tone = (0..12)
                .map(|h| {
                    let h = f64::from(h + 1);
                    (2.0 * std::f64::consts::PI * f0 * h * t).sin() / h
                })
                .sum::<f64>();
            let noise = f64::from(rng.next() % 2000) - 1000.0;
            let v = if voiced {
                6000.0 * tone + noise
            } else {
                noise * 0.2
            };
            v.clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

fn mp3_encode(c: &mut Criterion) {
    use faxvox_codecs::recording::{encode_mp3, encode_mp3_reference, wav_bytes, Mp3Quality};
    let pcm = speech_10s();
    let mut g = c.benchmark_group("voicemail_10s");
    g.bench_function("mp3_standard", |b| {
        b.iter(|| encode_mp3(&pcm, Mp3Quality::Standard).unwrap())
    });
    g.bench_function("mp3_standard_reference_before", |b| {
        b.iter(|| encode_mp3_reference(&pcm, Mp3Quality::Standard).unwrap())
    });
    g.bench_function("mp3_compact", |b| {
        b.iter(|| encode_mp3(&pcm, Mp3Quality::Compact).unwrap())
    });
    g.bench_function("wav_write_reference", |b| b.iter(|| wav_bytes(&pcm)));
    g.finish();
    let time = |f: &dyn Fn()| {
        let t = Instant::now();
        for _ in 0..20 {
            f();
        }
        t.elapsed() / 20
    };
    let new = time(&|| drop(encode_mp3(&pcm, Mp3Quality::Standard).unwrap()));
    let old = time(&|| drop(encode_mp3_reference(&pcm, Mp3Quality::Standard).unwrap()));
    let wav = time(&|| drop(wav_bytes(&pcm)));
    println!();
    println!("== (d) 10 s voicemail attachment, same run ==");
    println!(
        "MP3 standard {:.2} ms, before {:.2} ms ({:.2}x faster), WAV write {:.3} ms; 500 messages = {:.1} s of one core (before {:.1} s)",
        ms(new),
        ms(old),
        old.as_secs_f64() / new.as_secs_f64(),
        ms(wav),
        500.0 * new.as_secs_f64(),
        500.0 * old.as_secs_f64()
    );
}

async fn route_burst(cached: bool) -> (Duration, Duration, Duration) {
    let tmp = tempfile::tempdir_in(tmp_root()).unwrap();
    let url = format!("sqlite://{}", tmp.path().join("faxvox.db").display());
    let directory = Directory::open(&url).await.unwrap();
    directory
        .add_account(&NewAccount::new("acme", vec!["alice@example.com".into()]))
        .await
        .unwrap();
    directory
        .add_line(&NewLine {
            number: "+33299001122".into(),
            account: "acme".into(),
            kind: LineKind::Voicemail,
            target: None,
        })
        .await
        .unwrap();
    let t0 = Instant::now();
    let lookups: Vec<_> = (0..2000)
        .map(|_| {
            let d = directory.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let r = if cached {
                    d.resolve("+33299001122").await
                } else {
                    d.resolve_uncached("+33299001122").await
                };
                assert!(r.unwrap().is_some());
                t.elapsed()
            })
        })
        .collect();
    let mut each = Vec::new();
    for l in lookups {
        each.push(l.await.unwrap());
    }
    let total = t0.elapsed();
    each.sort();
    directory.close().await;
    (total, pct(&each, 0.5), pct(&each, 0.99))
}

/// (f): returns (p50, p99, slowest) of commit start -> delivered over `MESSAGES` voicemails.
async fn hangup_to_email(smtp_url: &str, concurrency: u32) -> (Duration, Duration, Duration) {
    use faxvox::jobs::VOICEMAIL_WAV;
    use faxvox_spool::{JobState, ListFilter, StateName};
    const MESSAGES: usize = 500;
    let tmp = tempfile::tempdir_in(tmp_root()).unwrap();
    let mut config = Config::default();
    config.spool.dir = tmp.path().join("spool");
    config.database.url = format!("sqlite://{}", tmp.path().join("faxvox.db").display());
    config.smtp.url = smtp_url.to_string();
    config.smtp.from = "Voicemail <vm@gw.example>".into();
    config.delivery.concurrency = concurrency;
    let directory = Directory::open(&config.database.url).await.unwrap();
    directory
        .add_account(&NewAccount::new("acme", vec!["alice@example.com".into()]))
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
    let wav = faxvox_codecs::recording::wav_bytes(&speech_10s());
    let recordings = tmp.path().join("calls");
    fs::create_dir_all(&recordings).unwrap();
    for i in 0..MESSAGES {
        fs::write(recordings.join(format!("{i}.wav")), &wav).unwrap();
    }
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let deliver = {
        let wake = wake.clone();
        tokio::spawn(async move {
            let mut delivered = 0;
            while delivered < MESSAGES {
                delivered += worker.deliver_due().await.delivered();
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                }
            }
        })
    };
    // Every call hangs up at once: each commit moves its recording into the spool.
    let commits: Vec<_> = (0..MESSAGES)
        .map(|i| {
            let (spool, wake, path) = (
                spool.clone(),
                wake.clone(),
                recordings.join(format!("{i}.wav")),
            );
            tokio::task::spawn_blocking(move || {
                let facts = JobFacts {
                    account: Some("acme".into()),
                    caller_number: format!("+3325343{i:04}"),
                    called_number: "+33299001122".into(),
                    start: Some(format_rfc3339(SystemTime::now())),
                    duration_ms: 10_000,
                    ..JobFacts::default()
                };
                spool
                    .enqueue(
                        SystemTime::now(),
                        JobKind::Voicemail,
                        facts.to_map(),
                        &[(VOICEMAIL_WAV, Media::Move(&path))],
                    )
                    .unwrap();
                wake.notify_one();
            })
        })
        .collect();
    for c in commits {
        c.await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(300), deliver)
        .await
        .expect("all delivered within 5 minutes")
        .unwrap();
    let mut lat: Vec<Duration> = spool
        .list(&ListFilter::state(StateName::Delivered))
        .unwrap()
        .into_iter()
        .map(|j| {
            let m = j.manifest.unwrap();
            let JobState::Delivered { at, .. } = m.state else {
                unreachable!()
            };
            at.duration_since(m.created).unwrap_or_default()
        })
        .collect();
    assert_eq!(lat.len(), MESSAGES);
    lat.sort();
    directory.close().await;
    (pct(&lat, 0.5), pct(&lat, 0.99), *lat.last().unwrap())
}

fn main() {
    let tiff = fax_tiff_50k();
    let mut c = Criterion::default().configure_from_args().without_plots();
    enqueue_latency(&mut c, &tiff);
    claim_time(&mut c);
    mp3_encode(&mut c);

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
    let burst: Vec<(u32, (Duration, Duration, Duration))> = [16u32, 1]
        .into_iter()
        .map(|n| {
            let sink = smtp::SmtpSink::start(&smtp::SinkOptions::default());
            let url = format!("smtp://127.0.0.1:{}?tls=none", sink.port);
            (n, rt.block_on(hangup_to_email(&url, n)))
        })
        .collect();

    println!();
    println!(
        "== (b) worker throughput, {} KB one-page fax, 2 recipients, import -> accepted ==",
        tiff.len() / 1024
    );
    print_throughput("Maildir", &maildir);
    print_throughput("SMTP (aiosmtpd, tls=none)", &over_smtp);

    let cached = rt.block_on(route_burst(true));
    let uncached = rt.block_on(route_burst(false));
    println!();
    println!("== (e) 2000 route lookups started at once (SQLite file) ==");
    for (name, (total, p50, p99)) in [("route cache", cached), ("database (reference)", uncached)] {
        println!(
            "{name:<22} all done in {:>7.1} ms; per lookup p50 {:>7.2} ms, p99 {:>7.2} ms",
            ms(total),
            ms(p50),
            ms(p99)
        );
    }
    println!();
    println!(
        "== (f) 500 voicemails of 10 s hang up at once: commit -> delivered (SMTP accepted) =="
    );
    for (n, (p50, p99, max)) in burst {
        println!(
            "delivery.concurrency {n:>2}: p50 {:>7.0} ms, p99 {:>7.0} ms, slowest {:>7.0} ms",
            ms(p50),
            ms(p99),
            ms(max)
        );
    }
    c.final_summary();
}
