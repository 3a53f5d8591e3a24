//! The `[fax]` section of the configuration: T.30 options and the limits on what one call may
//! send us.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaxConfig {
    /// T.30 error correction mode; strongly recommended over IP.
    pub ecm: bool,
    /// Our station identifier (TSI/CSI), at most 20 characters of digits, `+` and spaces.
    pub station_id: String,
    /// Highest page count accepted in one call.
    pub max_pages: u32,
    /// Longest received page in millimetres: a longer page is cut there and the call ended,
    /// so a sender cannot make the gateway hold an endless page in memory.
    pub max_page_length_mm: u32,
}

/// Accepted range of `fax.max_page_length_mm`: a legal or B4 page (356, 364 mm) must fit, and
/// at 2 m a page still holds at most 31 496 rows (6.8 MB) at 400 lines per inch.
pub const MAX_PAGE_LENGTH_MM_RANGE: RangeInclusive<u32> = 380..=2000;

impl FaxConfig {
    /// The station identifier is what T.30 can carry; the page limits are in range.
    pub fn check(&self) -> Result<(), crate::settings::BadSetting> {
        use crate::settings::BadSetting;
        let id = &self.station_id;
        if id.chars().count() > 20
            || !id
                .chars()
                .all(|c| c.is_ascii_digit() || c == '+' || c == ' ')
        {
            return Err(BadSetting::new(
                "fax.station_id",
                format!("{id:?}: at most 20 characters, digits, '+' and spaces only (T.30)"),
            ));
        }
        if self.max_pages == 0 {
            return Err(BadSetting::new("fax.max_pages", "must be at least 1"));
        }
        if !MAX_PAGE_LENGTH_MM_RANGE.contains(&self.max_page_length_mm) {
            return Err(BadSetting::new(
                "fax.max_page_length_mm",
                format!(
                    "{} is outside {}..={} (millimetres)",
                    self.max_page_length_mm,
                    MAX_PAGE_LENGTH_MM_RANGE.start(),
                    MAX_PAGE_LENGTH_MM_RANGE.end()
                ),
            ));
        }
        Ok(())
    }
}

impl Default for FaxConfig {
    fn default() -> Self {
        FaxConfig {
            ecm: true,
            station_id: String::new(),
            max_pages: 200,
            max_page_length_mm: crate::fax::DEFAULT_MAX_PAGE_LENGTH_MM,
        }
    }
}
