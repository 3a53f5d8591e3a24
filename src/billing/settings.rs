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

impl BillingConfig {
    /// The default ceiling is not negative.
    pub fn check(&self) -> Result<(), crate::settings::BadSetting> {
        use crate::settings::BadSetting;
        if self.default_ceiling.is_negative() {
            return Err(BadSetting::new(
                "billing.default_ceiling",
                format!("{} is negative", self.default_ceiling),
            ));
        }
        Ok(())
    }
}

impl Default for BillingConfig {
    fn default() -> Self {
        BillingConfig {
            default_ceiling: crate::billing::DEFAULT_CEILING,
        }
    }
}
