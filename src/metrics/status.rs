//! `GET /status`: the node at a glance, as JSON, for `faxvox status` and for people.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use faxvox_spool::StateName;

use super::{CallResult, Direction, Kind, Metrics, Readiness};

/// What `/status` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// faxvox version of the node.
    pub version: String,
    /// Seconds since `faxvox serve` started.
    pub uptime_seconds: u64,
    /// Whether it takes new calls.
    pub ready: bool,
    /// Why not, when not ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_ready: Option<String>,
    /// The node is shutting down (SIGTERM) and lets its calls end.
    pub draining: bool,
    /// Calls in progress by `in_fax`, `in_voicemail`, `out_fax`, `out_voicemail`.
    pub calls_in_progress: BTreeMap<String, u64>,
    /// Calls since start, by `direction_kind` then result (only the results seen).
    pub calls_total: BTreeMap<String, BTreeMap<String, u64>>,
    /// Media ports bound now.
    pub media_ports_in_use: u64,
    /// Spool jobs by state; empty until the first count.
    pub spool: BTreeMap<String, u64>,
    /// Seconds the oldest `ready` job has waited (0: none waits).
    pub oldest_ready_age_seconds: f64,
    /// The latest delivery failure since start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_delivery_error: Option<LastError>,
}

/// A delivery failure as `/status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastError {
    /// RFC 3339 UTC.
    pub at: String,
    pub job: String,
    pub error: String,
}

impl Status {
    /// The status now.
    pub fn now(metrics: &Metrics, readiness: &Readiness, started: SystemTime) -> Status {
        let mut calls_in_progress = BTreeMap::new();
        let mut calls_total = BTreeMap::new();
        for d in Direction::ALL {
            for k in Kind::ALL {
                let key = format!("{}_{}", d.as_str(), k.as_str());
                calls_in_progress.insert(key.clone(), metrics.in_progress(d, k));
                let by_result: BTreeMap<String, u64> = CallResult::ALL
                    .iter()
                    .map(|r| (r.as_str().to_string(), metrics.calls(d, k, *r)))
                    .filter(|(_, n)| *n > 0)
                    .collect();
                if !by_result.is_empty() {
                    calls_total.insert(key, by_result);
                }
            }
        }
        let spool = metrics
            .spool_jobs()
            .map(|counts| {
                StateName::ALL
                    .iter()
                    .zip(counts)
                    .map(|(s, n)| (s.as_str().to_string(), n))
                    .collect()
            })
            .unwrap_or_default();
        Status {
            version: env!("CARGO_PKG_VERSION").to_string(),
            uptime_seconds: SystemTime::now()
                .duration_since(started)
                .unwrap_or(Duration::ZERO)
                .as_secs(),
            ready: readiness.is_ready(),
            not_ready: readiness.check().err(),
            draining: readiness.is_draining(),
            calls_in_progress,
            calls_total,
            media_ports_in_use: metrics.ports_in_use() as u64,
            spool,
            oldest_ready_age_seconds: metrics.oldest_ready().as_secs_f64(),
            last_delivery_error: metrics.last_delivery_error().map(|e| LastError {
                at: faxvox_spool::format_rfc3339(e.at),
                job: e.job,
                error: e.error,
            }),
        }
    }
}

/// The spool counts of a status in lifecycle order (the map sorts them by name).
pub fn spool_order(
    spool: &BTreeMap<String, u64>,
) -> impl Iterator<Item = (&'static str, u64)> + '_ {
    StateName::ALL
        .iter()
        .filter_map(|s| spool.get(s.as_str()).map(|n| (s.as_str(), *n)))
}
