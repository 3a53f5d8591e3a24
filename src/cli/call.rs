//! `faxvox call fax|voice`: the built-in test caller. Places real SIP calls with the same call
//! control and media code as the gateway (transmit side of the fax session, or a WAV played
//! into a voice line), prints one line per call and a JSON summary, and serves as the load
//! generator of the benchmarks (`--calls N --concurrency C`).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use rand::Rng;
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::call::dial::{self, DialRequest};
use crate::call::media_call::MediaSettings;
use crate::call::ports::PortPool;
use crate::config::Config;
use crate::sip::call::{CallConfig, InitialOffer, T38Policy};
use crate::sip::stack::{SipCredentials, SipStack, StackConfig};

#[derive(clap::Subcommand, Debug)]
pub enum CallCommand {
    /// Send a document as a fax (PDF, TIFF, PNG or JPEG; rasterised to fine G4 pages first).
    Fax(FaxArgs),
    /// Play an audio file into a voice line (e.g. a voicemail), optionally followed by DTMF.
    Voice(VoiceArgs),
}

#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// Where to call: sip:NUMBER@HOST:PORT.
    #[arg(long)]
    pub to: String,
    /// Our caller number (the From user; sent in E.164 when it is a number, e.g.
    /// `+44 23 9200 0148` as `+442392000148`).
    #[arg(long, default_value = "+33100000000")]
    pub from: String,
    /// Our display name.
    #[arg(long)]
    pub from_name: Option<String>,
    /// Local address for SIP and media (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub bind: SocketAddr,
    /// Use TCP for SIP instead of UDP.
    #[arg(long)]
    pub tcp: bool,
    /// An extra INVITE header, `Name: value` (repeatable), e.g. `--header "Privacy: id"`.
    #[arg(long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// Digest user name to answer a 401/407 challenge with (with --password).
    #[arg(long, requires = "password")]
    pub user: Option<String>,
    /// Digest password (with --user).
    #[arg(long, requires = "user")]
    pub password: Option<String>,
    /// Number of calls to place.
    #[arg(long, default_value_t = 1)]
    pub calls: u32,
    /// Calls in progress at once.
    #[arg(long, default_value_t = 1)]
    pub concurrency: u32,
    /// New calls started per second at most (0: all at once). 2 000 INVITEs sent in the same
    /// millisecond all wait, time out and are resent together; a ramp (10 s for 2 000 at the
    /// default) still has them all in progress at once, since each call lasts longer.
    #[arg(long, default_value_t = 200.0)]
    pub rate: f64,
    /// Give up on a call after this many seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout_secs: u64,
    /// Do not print a line per call, only the JSON summary.
    #[arg(long)]
    pub quiet: bool,
}

/// `Name: value` into its two parts (the SIP stack checks them before sending).
fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?}: expected \"Name: value\""))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("{text:?}: the header has no name"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

#[derive(clap::Args, Debug)]
pub struct FaxArgs {
    #[command(flatten)]
    pub common: Common,
    /// The document to send.
    #[arg(long)]
    pub file: PathBuf,
    /// Offer T.38 (with audio) in the INVITE itself instead of waiting for the receiver's
    /// T.38 re-INVITE.
    #[arg(long)]
    pub t38: bool,
    /// Refuse T.38: the fax stays on G.711 whatever the receiver asks.
    #[arg(long, conflicts_with = "t38")]
    pub no_t38: bool,
    /// Send the TIFF file as it is, without reading or rasterising it first (spandsp reads
    /// it): to test a receiver with pages faxvox itself refuses, such as one far longer than
    /// any paper.
    #[arg(long)]
    pub tiff_as_is: bool,
}

#[derive(clap::Args, Debug)]
pub struct VoiceArgs {
    #[command(flatten)]
    pub common: Common,
    /// Audio to play (WAV, MP3, Ogg, FLAC…; converted to 8 kHz).
    #[arg(long)]
    pub wav: PathBuf,
    /// DTMF digits sent (RFC 4733) after the audio, e.g. `#`.
    #[arg(long)]
    pub dtmf: Option<String>,
    /// Silence after the audio (and digits) before hanging up, in milliseconds.
    #[arg(long, default_value_t = 500)]
    pub tail_ms: u64,
    /// Play at once, over the greeting, instead of waiting for the voicemail beep first.
    #[arg(long)]
    pub no_wait_beep: bool,
    /// Waiting for the beep: play anyway after this many seconds without one (a line with no
    /// beep still gets the message).
    #[arg(long, default_value_t = 60, conflicts_with = "no_wait_beep")]
    pub beep_timeout_secs: u64,
}

/// One call's result, as printed.
#[derive(Debug, Clone, Serialize)]
struct CallResult {
    index: u32,
    call_id: String,
    ok: bool,
    status: Option<u16>,
    reason: String,
    secs: f64,
    t38: bool,
    pages: Option<u32>,
    fax_result: Option<String>,
    rtp_sent: u64,
    rtp_received: u64,
    /// Voice calls waiting for the beep: when it was heard (seconds of media), `null` when not
    /// waiting or none came before the limit.
    beep_secs: Option<f64>,
    /// Wall-clock times in Unix seconds, to set against the gateway's and the mail server's
    /// clocks (e.g. hang-up to email): the INVITE was sent…
    invite_at: Option<f64>,
    /// …the call was answered (its media started)…
    answered_at: Option<f64>,
    /// …voice: the message started playing (beep heard, the wait given up, or at once)…
    play_at: Option<f64>,
    /// …the call was hung up (our BYE after the tail, or the peer's BYE)…
    hangup_at: Option<f64>,
    /// …and the call was over (its BYE transaction done).
    ended_at: Option<f64>,
    /// Voice played to the end: how much longer than the audio, digits and tail the playing
    /// took, in seconds (to a tick or two): a caller that keeps up stays near 0.
    late_secs: Option<f64>,
}

/// The JSON summary line.
#[derive(Debug, Serialize)]
struct Summary {
    calls: u32,
    ok: u32,
    failed: u32,
    wall_secs: f64,
    mean_call_secs: f64,
    pages: u64,
    /// Voice: the median and the worst `late_secs` of the calls played to the end.
    late_secs_p50: Option<f64>,
    late_secs_max: Option<f64>,
}

#[derive(Clone)]
enum Payload {
    Fax {
        tiff: PathBuf,
        t38_now: bool,
        policy: T38Policy,
    },
    Voice {
        audio: Arc<Vec<i16>>,
        dtmf: Option<String>,
        tail: Duration,
        wait_beep: Option<Duration>,
    },
}

pub fn run(cmd: CallCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let tmp = tempfile::tempdir().context("cannot create a temporary folder")?;
    let (common, payload) = match cmd {
        CallCommand::Fax(a) => {
            let tiff = if a.tiff_as_is {
                a.file.clone()
            } else {
                prepare_document(&a.file, tmp.path())?
            };
            let policy = if a.no_t38 {
                T38Policy::Off
            } else {
                T38Policy::Accept
            };
            (
                a.common,
                Payload::Fax {
                    tiff,
                    t38_now: a.t38,
                    policy,
                },
            )
        }
        CallCommand::Voice(a) => {
            let bytes = std::fs::read(&a.wav)
                .with_context(|| format!("cannot read {}", a.wav.display()))?;
            let audio = faxvox_codecs::greeting::decode_greeting(&bytes)
                .with_context(|| format!("{} is not usable audio", a.wav.display()))?;
            (
                a.common,
                Payload::Voice {
                    audio: Arc::new(audio),
                    dtmf: a.dtmf,
                    tail: Duration::from_millis(a.tail_ms),
                    wait_beep: (!a.no_wait_beep).then(|| Duration::from_secs(a.beep_timeout_secs)),
                },
            )
        }
    };
    if common.rate.is_nan() || common.rate < 0.0 {
        bail!("--rate must be a number of calls per second, 0 or more");
    }
    if !common.to.starts_with("sip:") {
        bail!("--to must be a SIP URI like sip:+33123456789@127.0.0.1:5060");
    }
    let results = runtime.block_on(place_calls(common.clone(), payload, config.clone()))?;
    let failed = results.iter().filter(|r| !r.ok).count() as u32;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Rasterises the document to fine G4 pages (TIFF input is taken as is).
fn prepare_document(file: &Path, tmp: &Path) -> anyhow::Result<PathBuf> {
    use faxvox_codecs::raster::{self, RasterOptions};
    let data = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let pages = raster::rasterize(&data, &RasterOptions::default())
        .with_context(|| format!("cannot rasterise {}", file.display()))?;
    if pages.is_empty() {
        bail!("{} has no page", file.display());
    }
    let path = tmp.join("document.tif");
    std::fs::write(&path, faxvox_codecs::tiff::write_g4_tiff(&pages))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

async fn place_calls(
    common: Common,
    payload: Payload,
    config: Config,
) -> anyhow::Result<Vec<CallResult>> {
    let (stack, _incoming) = SipStack::start(StackConfig {
        listen: common.bind,
        tcp: common.tcp,
        user_agent: format!("faxvox-call/{}", env!("CARGO_PKG_VERSION")),
        ..StackConfig::default()
    })
    .await
    .with_context(|| format!("cannot bind SIP on {}", common.bind))?;
    let ip: IpAddr = stack.local_addr().ip();
    let ports = Arc::new(PortPool::ephemeral(ip));
    let sem = Arc::new(Semaphore::new(common.concurrency.max(1) as usize));
    let started = Instant::now();
    let mut tasks = Vec::new();
    let mut pace = (common.rate.is_finite() && common.rate > 0.0).then(|| {
        let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / common.rate));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every
    });
    for index in 0..common.calls {
        let permit = sem.clone().acquire_owned().await?;
        if let Some(every) = pace.as_mut() {
            every.tick().await;
        }
        let (stack, ports, payload, common, config) = (
            stack.clone(),
            ports.clone(),
            payload.clone(),
            common.clone(),
            config.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let limit = Duration::from_secs(common.timeout_secs);
            let call_id = format!("{:016x}@faxvox-call", rand::rng().random::<u64>());
            let r = match tokio::time::timeout(
                limit,
                one_call(
                    index,
                    call_id.clone(),
                    &stack,
                    &ports,
                    &payload,
                    &common,
                    &config,
                ),
            )
            .await
            {
                Ok(r) => r,
                Err(_) => {
                    let mut r = CallResult::failed(index, call_id, None, "timed out");
                    r.secs = limit.as_secs_f64();
                    r
                }
            };
            drop(permit);
            if !common.quiet {
                match serde_json::to_string(&r) {
                    Ok(line) => println!("{line}"),
                    Err(e) => eprintln!("faxvox: cannot print a result: {e}"),
                }
            }
            r
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await?);
    }
    let ok = results.iter().filter(|r| r.ok).count() as u32;
    let summary = Summary {
        calls: common.calls,
        ok,
        failed: common.calls - ok,
        wall_secs: started.elapsed().as_secs_f64(),
        mean_call_secs: if results.is_empty() {
            0.0
        } else {
            results.iter().map(|r| r.secs).sum::<f64>() / results.len() as f64
        },
        pages: results.iter().filter_map(|r| r.pages).map(u64::from).sum(),
        late_secs_p50: None,
        late_secs_max: None,
    };
    let mut late: Vec<f64> = results.iter().filter_map(|r| r.late_secs).collect();
    late.sort_by(f64::total_cmp);
    let summary = Summary {
        late_secs_p50: late.get(late.len() / 2).copied(),
        late_secs_max: late.last().copied(),
        ..summary
    };
    println!("{}", serde_json::to_string(&summary)?);
    stack.shutdown();
    Ok(results)
}

impl CallResult {
    fn failed(index: u32, call_id: String, status: Option<u16>, reason: &str) -> CallResult {
        CallResult {
            index,
            call_id,
            ok: false,
            status,
            reason: reason.to_string(),
            secs: 0.0,
            t38: false,
            pages: None,
            fax_result: None,
            rtp_sent: 0,
            rtp_received: 0,
            beep_secs: None,
            invite_at: None,
            answered_at: None,
            play_at: None,
            hangup_at: None,
            ended_at: None,
            late_secs: None,
        }
    }
}

/// Unix seconds of `origin + offset`.
fn unix_secs(origin: SystemTime, offset: Duration) -> f64 {
    (origin + offset)
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// How long the media takes to send `n` RFC 4733 digits: the media call's 160 ms digits
/// (each with its two repeated end packets, 40 ms) and the 100 ms gaps between them.
fn digits_secs(n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    n as f64 * (0.160 + 0.040) + (n - 1) as f64 * 0.100
}

/// One call through [`crate::call::dial`], reported as a [`CallResult`].
async fn one_call(
    index: u32,
    call_id: String,
    stack: &SipStack,
    ports: &PortPool,
    payload: &Payload,
    common: &Common,
    config: &Config,
) -> CallResult {
    let (policy, offer, dial_payload) = match payload {
        Payload::Fax {
            tiff,
            t38_now,
            policy,
        } => (
            *policy,
            if *t38_now {
                InitialOffer::AudioAndT38
            } else {
                InitialOffer::Audio
            },
            dial::Payload::Fax {
                document: tiff.clone(),
            },
        ),
        Payload::Voice {
            audio,
            dtmf,
            tail,
            wait_beep,
        } => (
            T38Policy::Off,
            InitialOffer::Audio,
            dial::Payload::Voice {
                audio: audio.clone(),
                dtmf: dtmf.clone(),
                tail: *tail,
                wait_beep: *wait_beep,
            },
        ),
    };
    let request = DialRequest {
        call_id: call_id.clone(),
        to: common.to.clone(),
        // E.164 in the From URI (`+442392000148`), as a trunk sends it: `+44 23 9200 0148`
        // would go out percent-encoded. Not a number (`alice`): sent as given.
        from_user: crate::directory::validate::normalize_number(&common.from)
            .unwrap_or_else(|_| common.from.clone()),
        from_display: common.from_name.clone(),
        from_uri: None,
        headers: common.headers.clone(),
        tcp: common.tcp,
        credentials: match (&common.user, &common.password) {
            (Some(user), Some(password)) => Some(SipCredentials {
                user: user.clone(),
                password: password.clone(),
            }),
            _ => None,
        },
        call: CallConfig {
            t38: policy,
            ..CallConfig::default()
        },
        offer,
        media: MediaSettings::from_config(&config.media, &config.fax),
        payload: dial_payload,
    };
    let result = dial::dial(stack, ports, &request).await;
    let (Some(report), Some(outcome)) = (&result.report, &result.media) else {
        let mut r = CallResult::failed(index, call_id, result.status, &result.reason);
        r.invite_at = result.started_at.map(|t| unix_secs(t, Duration::ZERO));
        return r;
    };
    // The playing starts at the answer, or once the beep was heard (or waited for in vain).
    let play_offset = match payload {
        Payload::Voice { wait_beep, .. } => {
            Some(outcome.beep_heard.or(*wait_beep).unwrap_or_default())
        }
        Payload::Fax { .. } => None,
    };
    let late_secs = match payload {
        Payload::Voice {
            audio, dtmf, tail, ..
        } if outcome.played_to_end => {
            let nominal = audio.len() as f64 / 8000.0
                + digits_secs(dtmf.as_deref().map_or(0, |d| d.chars().count()))
                + tail.as_secs_f64();
            report
                .hung_up_after
                .zip(report.answered_after)
                .zip(play_offset)
                .map(|((hung_up, answered), play)| {
                    hung_up.saturating_sub(answered + play).as_secs_f64() - nominal
                })
        }
        _ => None,
    };
    let at = |offset: Option<Duration>| result.started_at.zip(offset).map(|(t, o)| unix_secs(t, o));
    let (ok, pages, fax_result) = match (payload, &outcome.fax) {
        (Payload::Fax { .. }, Some(r)) => (r.success, Some(r.pages), Some(r.result_text.clone())),
        (Payload::Fax { .. }, None) => (false, Some(0), None),
        (Payload::Voice { .. }, _) => (outcome.played_to_end, None, None),
    };
    CallResult {
        index,
        call_id,
        ok,
        status: result.status,
        reason: result.reason.clone(),
        secs: report.ended_after.as_secs_f64(),
        t38: report.t38,
        pages,
        fax_result,
        rtp_sent: outcome.rtp.packets_sent,
        rtp_received: outcome.rtp.packets_received,
        beep_secs: outcome.beep_heard.map(|d| d.as_secs_f64()),
        invite_at: at(Some(Duration::ZERO)),
        answered_at: at(report.answered_after),
        play_at: at(report
            .answered_after
            .zip(play_offset)
            .map(|(answered, play)| answered + play)),
        hangup_at: at(report.hung_up_after),
        ended_at: at(Some(report.ended_after)),
        late_secs,
    }
}
