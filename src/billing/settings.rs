//! The `[billing]` section of the configuration.

use serde::{Deserialize, Serialize};

/// Out-of-plan billing of sent faxes (see `crate::billing`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BillingConfig {
    /// Out-of-plan ceiling of accounts without their own (`faxvox billing ceiling`), in euros
    /// excl. tax per calendar month (UTC), as a string: "150.00". Up to four decimals.
    pub default_ceiling: crate::billing::Money,
}

impl Default for BillingConfig {
    fn default() -> Self {
        BillingConfig {
            default_ceiling: crate::billing::DEFAULT_CEILING,
        }
    }
}
