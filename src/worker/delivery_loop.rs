//! The long-running delivery loop shared by `faxvox spool work` and `faxvox serve`: deliver
//! what is due, purge by retention every hour, sleep until the poll interval passes or a new
//! job is announced; SIGHUP reloads the delivery settings.

use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::Notify;
use tracing::{error, info};

use super::{retention, Worker, WorkerConfig};

/// How often retention purges run.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Runs `worker` until `stop` completes. `wake` cuts the sleep short (the gateway notifies it
/// after each commit). `config` is the caller's configuration, of which the worker takes its
/// sections ([`WorkerConfig`]); on SIGHUP `load` reads it anew. `hourly` runs after each
/// retention purge with the configuration in force, for the caller's own housekeeping;
/// `reloaded` gets each configuration SIGHUP loaded, for the caller's own settings (the
/// outbound trunk).
#[allow(clippy::too_many_arguments)]
pub async fn run_delivery<C, L, E, S, H, F, R>(
    worker: &mut Worker,
    config: &C,
    mut load: L,
    poll: Duration,
    wake: &Notify,
    stop: S,
    mut hourly: H,
    mut reloaded: R,
) where
    C: Clone,
    for<'a> &'a C: Into<WorkerConfig>,
    L: FnMut() -> Result<C, E>,
    E: Display,
    S: Future<Output = ()>,
    H: FnMut(C) -> F,
    F: Future<Output = ()>,
    R: FnMut(&C),
{
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = match signal(SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            error!(error = %e, "cannot listen for SIGHUP; the configuration cannot be reloaded");
            None
        }
    };
    let mut config = config.clone();
    let poll = poll.max(Duration::from_secs(1));
    let mut last_purge: Option<Instant> = None;
    tokio::pin!(stop);
    info!(
        worker = worker.name(),
        poll_secs = poll.as_secs(),
        "delivery worker started"
    );
    loop {
        let report = worker.deliver_due().await;
        if !report.jobs.is_empty() || !report.errors.is_empty() {
            info!(summary = %report, "delivery pass");
        }
        if last_purge.is_none_or(|t| t.elapsed() >= PURGE_EVERY) {
            let spool = worker.spool().clone();
            let parts: WorkerConfig = (&config).into();
            let r = retention(&parts.retention);
            match tokio::task::spawn_blocking(move || spool.purge(SystemTime::now(), &r, false))
                .await
            {
                Ok(Ok(decisions)) => {
                    let deleted = decisions.iter().filter(|d| d.deleted).count();
                    info!(deleted, kept = decisions.len() - deleted, "retention purge");
                }
                Ok(Err(e)) => error!(error = %e, "retention purge failed"),
                Err(e) => error!(error = %e, "retention purge crashed"),
            }
            hourly(config.clone()).await;
            last_purge = Some(Instant::now());
        }
        let sighup = async {
            match hup.as_mut() {
                Some(h) => {
                    h.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = wake.notified() => {}
            _ = &mut stop => break,
            _ = sighup => match load() {
                Ok(new) => match worker.reload(&new) {
                    Ok(()) => {
                        let parts: WorkerConfig = (&new).into();
                        info!(
                            delivered_days = parts.retention.delivered_days,
                            dead_days = parts.retention.dead_days,
                            voicemail_format = %parts.delivery.voicemail_format,
                            max_attachment_bytes = parts.delivery.max_attachment_bytes,
                            "configuration reloaded (SIGHUP)"
                        );
                        reloaded(&new);
                        config = new;
                        // Apply the new retention now rather than within the hour.
                        last_purge = None;
                    }
                    Err(e) => error!(error = %e, "configuration not reloaded; keeping the old one"),
                },
                Err(e) => error!(error = %format!("{e:#}"), "configuration not reloaded; keeping the old one"),
            },
        }
    }
}
