//! The metrics side of `faxvox serve`: the readiness the SIP stack and `/readyz` answer from,
//! the sampler that refreshes it (database, spool disk) and the costly gauges (spool jobs by
//! state, euros reserved), and the `metrics.listen` listener.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use faxvox_spool::{ListFilter, Spool, StateName};
use tracing::{debug, warn};

use crate::billing::Billing;
use crate::config::Config;
use crate::directory::Directory;
use crate::metrics::health::CHECK_EVERY;
use crate::metrics::server::MetricsServer;
use crate::metrics::{metrics, Readiness, SPOOL_STATES};

/// The node's health while it serves.
pub struct Health {
    /// What OPTIONS, `/readyz` and `faxvox_ready` answer from.
    pub readiness: Arc<Readiness>,
    server: Option<MetricsServer>,
    sampler: tokio::task::JoinHandle<()>,
}

impl Health {
    /// Checks the database and the spool once (so the node is not reported ready before it
    /// looked), starts the sampler, and the listener when `metrics.listen` is set.
    pub async fn start(
        config: &Config,
        directory: &Directory,
        spool: &Spool,
        started: SystemTime,
    ) -> anyhow::Result<Health> {
        let readiness = Arc::new(Readiness::new());
        let billing = Billing::new(directory, &config.billing);
        let sampler = Sampler {
            readiness: readiness.clone(),
            directory: directory.clone(),
            billing,
            spool: spool.clone(),
            scan_every: config.metrics.spool_scan(),
        };
        sampler.check().await;
        sampler.scan().await;
        let sampler = tokio::spawn(sampler.run());
        let server = match config.metrics.listen {
            Some(addr) => Some(
                crate::metrics::server::start(addr, readiness.clone(), started)
                    .await
                    .context("cannot start the metrics listener")?,
            ),
            None => None,
        };
        Ok(Health {
            readiness,
            server,
            sampler,
        })
    }

    /// The listener's address, when there is one.
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        self.server.as_ref().map(MetricsServer::local_addr)
    }

    /// Stops the sampler and the listener (the very last thing before exit: the monitoring
    /// sees the node drain).
    pub async fn shutdown(self) {
        self.sampler.abort();
        if let Some(server) = self.server {
            server.shutdown().await;
        }
    }
}

struct Sampler {
    readiness: Arc<Readiness>,
    directory: Directory,
    billing: Billing,
    spool: Spool,
    scan_every: Duration,
}

impl Sampler {
    async fn run(self) {
        let mut checks = tokio::time::interval(CHECK_EVERY);
        let mut scans = tokio::time::interval(self.scan_every);
        checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        scans.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Both fired once at start already.
        checks.tick().await;
        scans.tick().await;
        loop {
            tokio::select! {
                _ = checks.tick() => self.check().await,
                _ = scans.tick() => self.scan().await,
            }
        }
    }

    /// Readiness: the database answers `SELECT 1` within the check interval, the spool disk
    /// is at or below its high-water mark.
    async fn check(&self) {
        let db = match tokio::time::timeout(CHECK_EVERY, self.directory.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("does not answer: {e}")),
            Err(_) => Err(format!("no answer within {} s", CHECK_EVERY.as_secs_f64())),
        };
        if let Err(e) = &db {
            if self.readiness.is_ready() {
                warn!(error = %e, "database check failed: not ready");
            }
        }
        self.readiness.set_database(db);
        let spool = self.spool.clone();
        let disk = tokio::task::spawn_blocking(move || {
            let opts = spool.options();
            match opts.disk.usage(spool.root()) {
                Ok(u) if u.used_fraction() > opts.high_water => Err(format!(
                    "disk {:.1} % used, above the high-water mark of {:.0} % (spool.high_water_percent)",
                    u.used_fraction() * 100.0,
                    opts.high_water * 100.0
                )),
                // Unreadable usage: a real ENOSPC is still caught on write (as the spool does).
                _ => Ok(()),
            }
        })
        .await
        .unwrap_or(Ok(()));
        self.readiness.set_spool(disk);
    }

    /// The gauges that cost a pass over the spool or a sum over the reservations.
    async fn scan(&self) {
        let spool = self.spool.clone();
        let counted = tokio::task::spawn_blocking(move || {
            let now = SystemTime::now();
            let jobs = spool.list(&ListFilter::default())?;
            let mut counts = [0u64; SPOOL_STATES];
            let mut oldest: Option<Duration> = None;
            for job in &jobs {
                let Some(state) = job.state() else { continue };
                if let Some(i) = StateName::ALL.iter().position(|s| *s == state) {
                    counts[i] += 1;
                }
                if state == StateName::Ready {
                    if let Some(m) = &job.manifest {
                        let waited = now.duration_since(m.state_since).unwrap_or_default();
                        oldest = Some(oldest.map_or(waited, |o| o.max(waited)));
                    }
                }
            }
            Ok::<_, faxvox_spool::SpoolError>((counts, oldest))
        })
        .await;
        match counted {
            Ok(Ok((counts, oldest))) => metrics().set_spool(counts, oldest),
            Ok(Err(e)) => warn!(error = %e, "cannot count the spool's jobs for the metrics"),
            Err(e) => warn!(error = %e, "spool count task failed"),
        }
        match self.billing.reserved_total().await {
            Ok(total) => metrics().set_reserved(total.0),
            Err(e) => debug!(error = %e, "cannot sum the open reservations for the metrics"),
        }
    }
}
