//! `faxvox spool import|list|show|retry|purge|work`: the operator's view of the spool and the
//! delivery worker.
//!
//! The spool is `spool.dir` (`FAXVOX_SPOOL_DIR`); `import` and `work` also use the directory
//! database (`database.url`). `work --until-idle` delivers everything due and exits; plain
//! `work` keeps going, polls every few seconds, purges by retention once an hour and reloads
//! the configuration on SIGHUP.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context};
use clap::Subcommand;
use faxvox_spool::{
    format_rfc3339, Job, JobId, JobKind, JobState, ListFilter, Media, PurgeAction, Spool, StateName,
};
use serde::Serialize;
use serde_json::{json, Value};
use tracing::info;

use crate::cli::account::{block_on, open, table};
use crate::config::Config;
use crate::delivery::Transport;
use crate::directory::{validate, LineKind};
use crate::worker::{self, WorkReport, Worker};

// Media file names and facts: the same as the gateway's, so an imported job is delivered
// exactly like a received one.
use crate::jobs::{FaxFacts, JobFacts, FAX_TIFF, VOICEMAIL_WAV};

#[derive(Subcommand, Debug)]
pub enum SpoolCommand {
    /// Put a fax TIFF or a voicemail WAV into the spool as if it had just been received
    /// (also how a legacy fax queue is migrated). Prints the job id.
    Import(ImportArgs),
    /// List the jobs, oldest first.
    List {
        /// Only jobs in this state: captured, ready, sending, retrying, delivered, dead,
        /// quarantined.
        #[arg(long)]
        state: Option<String>,
        /// Only jobs of this account.
        #[arg(long)]
        account: Option<String>,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one job: its manifest, history and files.
    Show {
        /// Job id (`20261127T071530Z-3f9a2c1b`).
        id: String,
        /// Print a JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Make a dead or retrying job (or a repaired quarantined one) ready now, with a fresh
    /// retry budget.
    Retry {
        /// Job id.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Every dead and retrying job.
        #[arg(long)]
        all: bool,
    },
    /// Delete delivered and dead jobs past their retention (retention.*), saying why for every
    /// job.
    Purge {
        /// Only say what would be deleted.
        #[arg(long)]
        dry_run: bool,
    },
    /// Deliver due jobs by email.
    Work {
        /// Deliver everything due, print a summary and exit (otherwise run until stopped).
        #[arg(long)]
        until_idle: bool,
        /// Seconds between two looks at the spool when running continuously.
        #[arg(long, default_value_t = 5)]
        poll_secs: u64,
    },
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// fax (a TIFF file) or voicemail (an 8 kHz mono 16-bit WAV).
    #[arg(long)]
    pub kind: String,
    /// Account that gets the message.
    #[arg(long)]
    pub account: String,
    /// Caller number.
    #[arg(long, value_name = "NUMBER")]
    pub from: String,
    /// Caller display name.
    #[arg(long, value_name = "NAME")]
    pub from_name: Option<String>,
    /// Called number (default: the account's first line of that kind).
    #[arg(long, value_name = "NUMBER")]
    pub to: Option<String>,
    /// The TIFF or WAV file (copied; the original is left in place).
    pub file: PathBuf,
}

/// Runs a spool command. `config_path` is the file given with `--config`, re-read on SIGHUP.
pub fn run(
    cmd: SpoolCommand,
    config: &Config,
    config_path: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    match cmd {
        SpoolCommand::Import(args) => import(config, args),
        SpoolCommand::List {
            state,
            account,
            json,
        } => list(config, state.as_deref(), account.as_deref(), json),
        SpoolCommand::Show { id, json } => show(config, &id, json),
        SpoolCommand::Retry { id, all } => retry(config, id.as_deref(), all),
        SpoolCommand::Purge { dry_run } => purge(config, dry_run),
        SpoolCommand::Work {
            until_idle,
            poll_secs,
        } => work(config, config_path, until_idle, poll_secs),
    }
}

/// Opens the configured spool (running crash recovery first).
pub(crate) fn open_spool(config: &Config) -> anyhow::Result<Spool> {
    let dir = &config.spool.dir;
    let (spool, report) = Spool::open(dir, worker::spool_options(&config.spool), SystemTime::now())
        .with_context(|| format!("cannot open the spool {}", dir.display()))?;
    if !report.is_clean() {
        info!(?report, "spool recovery");
    }
    Ok(spool)
}

fn parse_id(id: &str) -> anyhow::Result<JobId> {
    id.trim()
        .parse()
        .map_err(|e| anyhow::anyhow!("{e} (job ids look like 20261127T071530Z-3f9a2c1b)"))
}

// ------------------------------------------------------------------------------------ import

fn import(config: &Config, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let kind = match args.kind.trim().to_ascii_lowercase().as_str() {
        "fax" => JobKind::Fax,
        "voicemail" => JobKind::Voicemail,
        other => bail!("invalid kind {other:?}: expected fax or voicemail"),
    };
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let mut facts = JobFacts {
        account: Some(args.account.clone()),
        caller_number: validate::normalize_number(&args.from)
            .with_context(|| "--from".to_string())?,
        caller_name: args
            .from_name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
        start: Some(format_rfc3339(SystemTime::now())),
        source: Some(format!("import of {}", args.file.display())),
        ..JobFacts::default()
    };
    let media_name = match kind {
        JobKind::Fax => {
            let decoded = faxvox_codecs::tiff::read_pages(&bytes).map_err(|e| {
                anyhow::anyhow!("{} is not a usable fax TIFF: {e}", args.file.display())
            })?;
            for w in &decoded.warnings {
                eprintln!("faxvox: warning: {}: {w}", args.file.display());
            }
            facts.fax = Some(FaxFacts {
                pages_expected: Some(decoded.pages.len() as u32),
                ..FaxFacts::default()
            });
            FAX_TIFF
        }
        _ => {
            let samples = faxvox_codecs::recording::read_wav(&bytes).map_err(|e| {
                anyhow::anyhow!("{} is not a usable recording: {e}", args.file.display())
            })?;
            facts.duration_ms = samples.len() as u64 * 1000 / 8000;
            VOICEMAIL_WAV
        }
    };
    let line_kind = if kind == JobKind::Fax {
        LineKind::Fax
    } else {
        LineKind::Voicemail
    };
    facts.called_number = block_on(async {
        let dir = open(config).await?;
        let result = async {
            dir.account(&args.account).await?.ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown account `{}` (see `faxvox account list`); nothing imported",
                    args.account
                )
            })?;
            if let Some(to) = &args.to {
                return validate::normalize_number(to).context("--to");
            }
            let lines = dir.account_lines(&args.account).await?;
            Ok::<_, anyhow::Error>(
                lines
                    .iter()
                    .find(|l| l.kind == line_kind)
                    .map(|l| l.number.clone())
                    .unwrap_or_default(),
            )
        }
        .await;
        dir.close().await;
        result
    })?;
    let spool = open_spool(config)?;
    let id = spool
        .enqueue(
            SystemTime::now(),
            kind,
            facts.to_map(),
            &[(media_name, Media::Bytes(&bytes))],
        )
        .context("cannot store the job")?;
    info!(job = %id, kind = %kind, account = %args.account, "imported");
    println!("{id}");
    Ok(ExitCode::SUCCESS)
}

// ------------------------------------------------------------------------------------ list

/// One row of `spool list --json`.
#[derive(Serialize)]
struct JobRow {
    id: String,
    kind: Option<String>,
    state: Option<String>,
    account: Option<String>,
    caller_number: Option<String>,
    called_number: Option<String>,
    created: Option<String>,
    state_since: Option<String>,
    attempts: u32,
    next_attempt: Option<String>,
    problem: Option<String>,
    quarantined: bool,
}

fn fact(job: &Job, key: &str) -> Option<String> {
    job.manifest
        .as_ref()?
        .facts
        .get(key)?
        .as_str()
        .map(str::to_string)
}

fn row(job: &Job) -> JobRow {
    let m = job.manifest.as_ref();
    JobRow {
        id: job.id.to_string(),
        kind: m.map(|m| m.kind.to_string()),
        state: job.state().map(|s| s.to_string()),
        account: fact(job, "account"),
        caller_number: fact(job, "caller_number"),
        called_number: fact(job, "called_number"),
        created: m.map(|m| format_rfc3339(m.created)),
        state_since: m.map(|m| format_rfc3339(m.state_since)),
        attempts: m.map_or(0, |m| m.attempts),
        next_attempt: m.and_then(|m| match &m.state {
            JobState::Retrying { next_attempt, .. } => Some(format_rfc3339(*next_attempt)),
            _ => None,
        }),
        problem: job.problem.clone(),
        quarantined: job.quarantined,
    }
}

fn parse_state(s: &str) -> anyhow::Result<StateName> {
    serde_json::from_value(Value::String(s.trim().to_ascii_lowercase())).map_err(|_| {
        let all: Vec<&str> = StateName::ALL.iter().map(|s| s.as_str()).collect();
        anyhow::anyhow!("unknown state {s:?}: expected one of {}", all.join(", "))
    })
}

fn list(
    config: &Config,
    state: Option<&str>,
    account: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let filter = match state {
        Some(s) => ListFilter::state(parse_state(s)?),
        None => ListFilter::default(),
    };
    let spool = open_spool(config)?;
    let rows: Vec<JobRow> = spool
        .list(&filter)?
        .iter()
        .map(row)
        .filter(|r| account.is_none() || r.account.as_deref() == account)
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("no jobs");
        return Ok(ExitCode::SUCCESS);
    }
    let dash = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                dash(&r.kind),
                dash(&r.state),
                dash(&r.account),
                dash(&r.caller_number),
                r.attempts.to_string(),
                match (&r.next_attempt, &r.problem) {
                    (Some(next), Some(p)) => format!("next {next}: {p}"),
                    (_, Some(p)) => p.clone(),
                    (Some(next), None) => format!("next {next}"),
                    (None, None) => String::new(),
                },
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["ID", "KIND", "STATE", "ACCOUNT", "FROM", "ATTEMPTS", "DETAIL"],
            &table_rows
        )
    );
    Ok(ExitCode::SUCCESS)
}

// ------------------------------------------------------------------------------------ show

/// Files actually in the job folder (media, rendered attachments), spool internals excluded.
fn files(dir: &Path) -> Vec<Value> {
    let mut out: Vec<(String, u64)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let meta = e.metadata().ok()?;
            (meta.is_file() && !name.starts_with('.')).then_some((name, meta.len()))
        })
        .collect();
    out.sort();
    out.into_iter()
        .map(|(name, size)| json!({"name": name, "size": size}))
        .collect()
}

fn show(config: &Config, id: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    let id = parse_id(id)?;
    let spool = open_spool(config)?;
    let job = spool.get(&id)?;
    let files = files(&job.dir);
    if as_json {
        let view = json!({
            "id": job.id.to_string(),
            "dir": job.dir,
            "state": job.state().map(|s| s.to_string()),
            "quarantined": job.quarantined,
            "problem": job.problem,
            "files": files,
            "manifest": job.manifest,
        });
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut rows: Vec<Vec<String>> = vec![
        vec!["job".into(), job.id.to_string()],
        vec!["folder".into(), job.dir.display().to_string()],
        vec![
            "state".into(),
            job.state()
                .map_or("unreadable".to_string(), |s| s.to_string()),
        ],
    ];
    if let Some(p) = &job.problem {
        rows.push(vec!["problem".into(), p.clone()]);
    }
    if let Some(m) = &job.manifest {
        rows.push(vec!["kind".into(), m.kind.to_string()]);
        rows.push(vec!["created".into(), format_rfc3339(m.created)]);
        rows.push(vec!["since".into(), format_rfc3339(m.state_since)]);
        rows.push(vec!["attempts".into(), m.attempts.to_string()]);
        match &m.state {
            JobState::Retrying { next_attempt, .. } => {
                rows.push(vec!["next attempt".into(), format_rfc3339(*next_attempt)])
            }
            JobState::Delivered { note, .. } => rows.push(vec!["delivery".into(), note.clone()]),
            _ => {}
        }
        let mut keys: Vec<_> = m.facts.iter().collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        for (i, (k, v)) in keys.into_iter().enumerate() {
            let label = if i == 0 { "facts" } else { "" };
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            rows.push(vec![label.into(), format!("{k}: {v}")]);
        }
    }
    for (i, f) in files.iter().enumerate() {
        let label = if i == 0 { "files" } else { "" };
        rows.push(vec![
            label.into(),
            format!("{} ({} bytes)", f["name"].as_str().unwrap_or(""), f["size"]),
        ]);
    }
    print!("{}", table(&[], &rows));
    if let Some(m) = &job.manifest {
        println!("history:");
        for h in &m.history {
            let from = h.from.map_or("-".to_string(), |s| s.to_string());
            println!("  {}  {from} -> {}  {}", format_rfc3339(h.at), h.to, h.note);
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ------------------------------------------------------------------------------------ retry

fn retry(config: &Config, id: Option<&str>, all: bool) -> anyhow::Result<ExitCode> {
    let spool = open_spool(config)?;
    let now = SystemTime::now();
    if all {
        let filter = ListFilter {
            states: vec![StateName::Dead, StateName::Retrying],
            ..ListFilter::default()
        };
        let jobs = spool.list(&filter)?;
        let mut done = 0;
        for job in jobs.iter().filter(|j| !j.quarantined) {
            let was = job.state().map_or("-".into(), |s| s.to_string());
            match spool.retry(now, &job.id) {
                Ok(()) => {
                    println!("{}: {was} -> ready", job.id);
                    done += 1;
                }
                Err(e) => eprintln!("faxvox: {}: not retried: {e}", job.id),
            }
        }
        println!("{done} job(s) ready for delivery");
        return Ok(ExitCode::SUCCESS);
    }
    let id = parse_id(id.unwrap_or_default())?;
    let job = spool.get(&id)?;
    let was = job.state().map_or("unreadable".into(), |s| s.to_string());
    if job.quarantined {
        spool.release_quarantined(now, &id)?;
    } else {
        spool.retry(now, &id).with_context(|| {
            format!("only dead, retrying or quarantined jobs can be retried (job is {was})")
        })?;
    }
    println!("{id}: {was} -> ready");
    Ok(ExitCode::SUCCESS)
}

// ------------------------------------------------------------------------------------ purge

fn purge(config: &Config, dry_run: bool) -> anyhow::Result<ExitCode> {
    let spool = open_spool(config)?;
    let retention = worker::retention(&config.retention);
    let decisions = spool.purge(SystemTime::now(), &retention, dry_run)?;
    let r = &config.retention;
    println!(
        "retention: delivered {} days, dead {} days (detail records {} months, kept in the database){}",
        r.delivered_days,
        r.dead_days,
        r.records_months,
        if dry_run { "; dry run, nothing deleted" } else { "" }
    );
    if decisions.is_empty() {
        println!("the spool is empty: nothing to purge");
        return Ok(ExitCode::SUCCESS);
    }
    let mut deleting = 0;
    for d in &decisions {
        let action = match (d.action, d.deleted) {
            (PurgeAction::Keep, _) => "keep",
            (PurgeAction::Delete, true) => "deleted",
            (PurgeAction::Delete, false) if dry_run => "would delete",
            (PurgeAction::Delete, false) => "delete failed",
        };
        if d.action == PurgeAction::Delete {
            deleting += 1;
        }
        println!("{}  {action}: {}", d.id, d.reason);
    }
    let verb = if dry_run {
        "would be deleted"
    } else {
        "deleted"
    };
    println!(
        "{} job(s) kept, {deleting} {verb}",
        decisions.len() - deleting
    );
    Ok(ExitCode::SUCCESS)
}

// ------------------------------------------------------------------------------------ work

fn print_report(report: &WorkReport) {
    for j in &report.jobs {
        let detail = match &j.outcome {
            worker::JobOutcome::Delivered { note } => format!("delivered: {note}"),
            worker::JobOutcome::Retrying {
                next_attempt,
                error,
            } => format!("retrying at {next_attempt}: {error}"),
            worker::JobOutcome::Dead { reason, notice } => format!("dead: {reason} ({notice})"),
            worker::JobOutcome::Lost { error } => format!("not recorded: {error}"),
        };
        println!("{} {}: {detail}", j.job, j.kind);
    }
    println!("{report}");
}

fn work(
    config: &Config,
    config_path: Option<&Path>,
    until_idle: bool,
    poll_secs: u64,
) -> anyhow::Result<ExitCode> {
    let spool = open_spool(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let directory = open(config).await?;
        let transport = Transport::from_config(&config.smtp, &config.delivery)?;
        let mut worker = Worker::new(spool, directory.clone(), transport, config)?;
        let result = if until_idle {
            let report = worker.deliver_due().await;
            print_report(&report);
            Ok(())
        } else {
            run_continuously(&mut worker, config, config_path, poll_secs).await
        };
        directory.close().await;
        result
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The long-running worker ([`worker::delivery_loop::run_delivery`]); SIGTERM or Ctrl-C stops it
/// between two jobs.
async fn run_continuously(
    worker: &mut Worker,
    config: &Config,
    config_path: Option<&Path>,
    poll_secs: u64,
) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let stop = async {
        tokio::select! {
            _ = term.recv() => info!("SIGTERM: stopping"),
            _ = tokio::signal::ctrl_c() => info!("interrupted: stopping"),
        }
    };
    let never = tokio::sync::Notify::new();
    worker::delivery_loop::run_delivery(
        worker,
        config,
        || Config::load(config_path),
        Duration::from_secs(poll_secs),
        &never,
        stop,
        |_| async {},
        |_| {},
    )
    .await;
    Ok(())
}
