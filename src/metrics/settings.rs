//! The `[metrics]` section of the configuration, parsed once at load.

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Metrics and health over HTTP ([`crate::metrics::server`]): `GET /metrics`, `/healthz`,
/// `/readyz`, `/status`. No token: bind it to an address only the monitoring can reach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// `IP:PORT` to listen on (default "127.0.0.1:9750"). Empty: no metrics or health
    /// endpoint (SIP OPTIONS still answers 503 while the node is not ready).
    #[serde(with = "crate::settings::blank_is_none")]
    pub listen: Option<SocketAddr>,
    /// Seconds between two counts of the spool's jobs by state (and of the euros reserved):
    /// each count reads every job's record, so not at every scrape.
    pub spool_scan_secs: u64,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 9750))),
            spool_scan_secs: 15,
        }
    }
}

impl MetricsConfig {
    /// The scan interval is in range.
    pub fn check(&self) -> Result<(), crate::settings::BadSetting> {
        if !(1..=3600).contains(&self.spool_scan_secs) {
            return Err(crate::settings::BadSetting::new(
                "metrics.spool_scan_secs",
                format!("{} is outside 1..=3600", self.spool_scan_secs),
            ));
        }
        Ok(())
    }

    /// [`MetricsConfig::spool_scan_secs`] as a duration.
    pub fn spool_scan(&self) -> Duration {
        Duration::from_secs(self.spool_scan_secs.max(1))
    }
}
