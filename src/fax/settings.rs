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
