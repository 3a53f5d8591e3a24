//! Outbound faxes: a client's documents dialled out through the SIP trunk, billed per page.
//!
//! The path of one fax:
//! 1. [`submit`] (from `faxvox send`, later the HTTP API) checks the account and its state
//!    ([`crate::billing::Billing::check_destination`]), the caller id (one of the account's
//!    own lines: no spoofing), rasterises the documents (`faxvox_codecs::raster`), counts and
//!    prices the pages, reserves the amount against the ceiling and enqueues an
//!    [`faxvox_spool::JobKind::OutboundFax`] job holding `document.tif` and [`OutboundFacts`].
//!    The job id is the fax id (and the reservation's `fax_id`).
//! 2. [`dialer`] (inside `faxvox serve`; the email delivery worker never claims these jobs)
//!    dials `trunk.uri` with [`dial`] (the same code as `faxvox call`), transmits, and on the
//!    final result settles the reservation for the pages the far end confirmed (the rest is
//!    released), writes a call record per attempt (direction out) and emails the client a
//!    status report. Busy / no answer are retried `trunk.max_attempts` times
//!    `trunk.retry_secs` apart; a T.30 failure is retried once at once with a fallback (G.711
//!    instead of T.38, or ECM off), sending only the pages not yet confirmed.
//!
//! A sent fax ends `delivered` in the spool, a failed one `dead` (with the reason); the
//! facts keep every attempt and the result (`faxvox spool show ID`).

pub mod cover;
pub mod dial;
pub mod dialer;
pub mod reconcile;
pub mod render;
pub mod report;
pub mod settings;
pub mod status;
pub mod submit;

pub use settings::{DialerConfig, RenderConfig, TrunkConfig, TrunkUri};

use std::time::SystemTime;

use faxvox_codecs::raster::{self, RasterOptions};
use faxvox_codecs::Page;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::billing::Money;

/// Name of the document in an outbound job.
pub const DOCUMENT: &str = "document.tif";
/// Largest document file accepted (one file of a submission).
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;
/// Most pages in one fax (all documents together).
pub const MAX_PAGES: usize = 200;
/// The From user of an anonymous fax.
pub const ANONYMOUS: &str = "anonymous";

/// What `faxvox send` stores in an outbound job (the spool keeps it verbatim); the dialer adds
/// `attempts`, `pages_confirmed` and, once final, `result`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundFacts {
    /// Same as the job id.
    pub fax_id: String,
    pub account: String,
    /// Caller id: one of the account's lines, E.164.
    pub from: String,
    /// Destination, E.164.
    pub to: String,
    /// Hide the caller id (From anonymous).
    pub anonymous: bool,
    /// Pages in `document.tif`.
    pub pages: u32,
    /// Billing reservation id.
    pub reservation: String,
    /// Price per page reserved.
    pub rate: Money,
    /// Amount reserved (`pages × rate`).
    pub amount: Money,
    /// Matched rate prefix.
    pub prefix: String,
    /// RFC 3339 UTC.
    pub submitted: String,
}

impl OutboundFacts {
    /// The facts as the spool's JSON map.
    pub fn to_map(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }

    /// Reads the facts of an outbound job (extra fields are ignored).
    pub fn from_map(map: &Map<String, Value>) -> Result<OutboundFacts, String> {
        serde_json::from_value(Value::Object(map.clone()))
            .map_err(|e| format!("outbound fax facts unreadable: {e}"))
    }
}

/// The final result of an outbound fax, stored in the job's facts under `result`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaxResult {
    /// True when every page was confirmed by the far end.
    pub sent: bool,
    pub pages_confirmed: u32,
    pub pages: u32,
    /// What was charged (pages confirmed × rate).
    pub charged: Money,
    /// Dial attempts made.
    pub attempts: u32,
    /// Seconds of the last connected call.
    pub duration_secs: u64,
    /// In words: "sent", or why not.
    pub reason: String,
    /// RFC 3339 UTC.
    pub at: String,
}

impl FaxResult {
    /// Reads `result` from an outbound job's facts, when the fax is final.
    pub fn from_facts(map: &Map<String, Value>) -> Option<FaxResult> {
        serde_json::from_value(map.get("result")?.clone()).ok()
    }
}

/// A document that cannot be faxed, with the reason for the sender.
#[derive(Debug, Error)]
#[error("{name}: {reason}")]
pub struct DocumentError {
    pub name: String,
    pub reason: String,
}

/// Rasterises documents (PDF, TIFF, PNG, JPEG) into fax pages, in order, at most `max_pages`
/// in all, no image over `max_pixels`. A fax-ready TIFF (1728 px wide at a fax resolution)
/// comes out page for page. Blocking, CPU-bound and exposed to hostile input: the gateway
/// runs it only inside the renderer process ([`render`]).
pub fn rasterize_documents(
    docs: &[(String, Vec<u8>)],
    max_pages: usize,
    max_pixels: u64,
) -> Result<Vec<Page>, DocumentError> {
    let mut pages = Vec::new();
    if docs.is_empty() {
        return Err(DocumentError {
            name: "documents".into(),
            reason: "no document to send".into(),
        });
    }
    for (name, bytes) in docs {
        let bad = |reason: String| DocumentError {
            name: name.clone(),
            reason,
        };
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(bad(format!(
                "{} bytes is over the limit of {} bytes per document",
                bytes.len(),
                MAX_DOCUMENT_BYTES
            )));
        }
        let opts = RasterOptions {
            max_pages,
            max_input_pixels: max_pixels,
            ..RasterOptions::default()
        };
        let mut doc = raster::rasterize(bytes, &opts).map_err(|e| bad(e.to_string()))?;
        if doc.is_empty() {
            return Err(bad("the document has no pages".into()));
        }
        pages.append(&mut doc);
        if pages.len() > max_pages {
            return Err(bad(format!(
                "the fax would have {} pages; at most {max_pages} are sent at once",
                pages.len()
            )));
        }
    }
    Ok(pages)
}

/// RFC 3339 UTC for facts.
pub(crate) fn stamp(t: SystemTime) -> String {
    faxvox_spool::format_rfc3339(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_round_trip() {
        let f = OutboundFacts {
            fax_id: "20261127T071530Z-3f9a2c1b".into(),
            account: "acme".into(),
            from: "+33100000001".into(),
            to: "+33299001122".into(),
            anonymous: false,
            pages: 3,
            reservation: "r1".into(),
            rate: Money::parse("0.05").unwrap(),
            amount: Money::parse("0.15").unwrap(),
            prefix: "33".into(),
            submitted: "2026-11-27T07:15:30Z".into(),
        };
        assert_eq!(OutboundFacts::from_map(&f.to_map()).unwrap(), f);
        assert_eq!(f.to_map()["amount"], "0.15");
    }
}
