//! The sections of the configuration the delivery worker runs with: `[spool]`, `[retention]`,
//! and `[smtp]` / `[delivery]` (owned by `delivery`), handed over by the edge.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::delivery::{DeliveryConfig, SmtpConfig};

/// What the worker needs to deliver and purge: mail settings and retention (reloadable on
/// SIGHUP).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkerConfig {
    /// Relay, sender and admin address.
    pub smtp: SmtpConfig,
    /// Templates, attachment format and size limit, local Maildir.
    pub delivery: DeliveryConfig,
    /// How long delivered and dead jobs stay in the spool.
    pub retention: RetentionConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpoolConfig {
    /// Folder holding one sub-folder per job (media plus manifest).
    pub dir: PathBuf,
    /// Percentage of the spool's filesystem above which new jobs are refused (SIP 503).
    pub high_water_percent: u32,
}

impl SpoolConfig {
    /// The high-water mark is in range.
    pub fn check(&self) -> Result<(), crate::settings::BadSetting> {
        use crate::settings::BadSetting;
        if !(10..=99).contains(&self.high_water_percent) {
            return Err(BadSetting::new(
                "spool.high_water_percent",
                format!("{} is outside 10..=99", self.high_water_percent),
            ));
        }
        Ok(())
    }
}

impl Default for SpoolConfig {
    fn default() -> Self {
        SpoolConfig {
            dir: PathBuf::from("var/spool"),
            high_water_percent: 90,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Days a delivered message's media stays in the spool.
    pub delivered_days: u32,
    /// Days a message that could not be delivered (dead) stays in the spool.
    pub dead_days: u32,
    /// Months call/fax detail records are kept (also accepted as `retention.records`).
    #[serde(alias = "records")]
    pub records_months: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            delivered_days: 30,
            dead_days: 90,
            records_months: 12,
        }
    }
}
