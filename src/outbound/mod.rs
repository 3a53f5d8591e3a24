//! Outbound faxes: a client's documents dialled out through the SIP trunk, billed per page.
//!
//! The path of one fax:
//! 1. [`submit`] (from `faxvox send` or the HTTP API) checks the account and its state
//!    ([`crate::billing::Billing::check_destination`]), the caller id (one of the account's
//!    own lines: no spoofing), rasterises the documents (`faxvox_codecs::raster`), counts and
//!    prices the pages, reserves the amount against the ceiling, writes an
//!    [`faxvox_spool::JobKind::OutboundFax`] job holding `document.tif` and [`OutboundFacts`]
//!    (this node's record of the fax) and queues the fax in the database ([`queue`]: facts,
//!    schedule, lease, pages), where every node sharing it can send it. The job id is the fax
//!    id (and the reservation's `fax_id`).
//! 2. [`dialer`] (inside `faxvox serve` on any node; the email delivery worker never claims
//!    these jobs) claims the fax from the [`queue`] with a lease it renews while the call
//!    runs, and dials `trunk.uri` with [`crate::call::dial`] (the same code as `faxvox call`), transmits, and on the
//!    final result settles the reservation for the pages the far end confirmed (the rest is
//!    released), writes a call record per attempt (direction out) and emails the client a
//!    status report. What to do after each attempt is [`ladder::next`]'s decision, a pure
//!    function: busy / no answer are retried `trunk.max_attempts` times
//!    `trunk.retry_secs` apart; a T.30 failure is retried once at once with a fallback (G.711
//!    instead of T.38, or ECM off), sending only the pages not yet confirmed.
//!
//! The outcome and the settlement commit in one transaction, conditional on the lease
//! ([`queue::Queue::conclude`]): a node whose lease was taken over charges nothing, and a fax
//! whose node died mid-call is sent again by another node, from the first page not
//! confirmed, and charged once.
//!
//! A sent fax ends `delivered` in the spool of the node that took it in, a failed one `dead`
//! (with the reason); the facts keep every attempt and the result (`faxvox spool show ID`).
//! When another node ended the fax, the record is brought up to date by the dialer's sweep
//! ([`dialer::Dialer::reconcile`]).

pub mod cover;
pub mod dialer;
pub mod header;
pub mod ladder;
pub mod queue;
pub mod reconcile;
pub mod render;
pub mod report;
pub mod settings;
pub mod status;
pub mod submit;

pub use settings::{DialerConfig, OutboundConfig, RenderConfig, TrunkConfig, TrunkUri};

use faxvox_codecs::raster::{self, RasterOptions};
use faxvox_codecs::Page;
use thiserror::Error;

/// The facts of an outbound fax job, defined in [`crate::jobs`] with the other job facts.
pub use crate::jobs::{FaxResult, OutboundFacts};

/// Largest document file accepted (one file of a submission).
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;
/// Most pages in one fax (all documents together).
pub const MAX_PAGES: usize = 200;
/// The From user of an anonymous fax.
pub const ANONYMOUS: &str = "anonymous";

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
