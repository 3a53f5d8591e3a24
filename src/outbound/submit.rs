//! Submitting a fax: every check that can refuse it, then the reservation and the spool job.
//! Nothing is charged or reserved unless the job is in the spool.
//!
//! With a cover text the fax starts with a generated cover page ([`super::cover`]), put in
//! front of the rasterised documents before the pages are counted: it is sent, priced,
//! reserved and billed like any other page.

use std::time::SystemTime;

use faxvox_spool::{format_rfc3339, JobId, JobKind, Spool, SpoolError};
use thiserror::Error;
use tracing::{info, warn};

use super::cover::{CoverDetails, CoverError, CoverText};
use super::render::{RenderError, RenderJob, Renderer};
use super::{DocumentError, TrunkConfig};
use crate::billing::{Billing, BillingError, Quote};
use crate::directory::{validate, BlockDirection, Directory, DirectoryError};
use crate::jobs::{OutboundFacts, DOCUMENT};

/// A fax to send, as the client asked for it.
#[derive(Debug, Clone)]
pub struct Submission {
    pub account: String,
    /// Caller id: must be one of the account's lines.
    pub from: String,
    /// Destination number (normalised to E.164 here).
    pub to: String,
    pub anonymous: bool,
    /// Sent by email: the status email goes to the mail's sender, quoting its subject.
    pub mail: Option<crate::jobs::MailReply>,
    /// Documents in order: (name for messages, bytes). Held once (the renderer is fed
    /// from these buffers).
    pub documents: Vec<(String, bytes::Bytes)>,
    /// Text of a cover page put before the documents (see [`super::cover`]); `None`: no
    /// cover page. The cover page is counted, priced and billed like the others.
    pub cover: Option<String>,
    /// Stamp the header line (date and time, sender, "page n/m") in the top 5 mm of every
    /// page sent, the cover page included ([`super::header`]). On by default: callers pass
    /// `true` unless the client turned it off.
    pub header: bool,
}

/// An empty submission with the header line on: `Submission { account, from, to, documents,
/// ..Default::default() }` is a fax as a client sends it by default.
impl Default for Submission {
    fn default() -> Self {
        Submission {
            account: String::new(),
            from: String::new(),
            to: String::new(),
            anonymous: false,
            mail: None,
            documents: Vec::new(),
            cover: None,
            header: true,
        }
    }
}

/// A fax accepted and queued.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The fax id (= spool job id).
    pub fax_id: JobId,
    pub facts: OutboundFacts,
    pub quote: Quote,
    /// Cover pages at the start of the fax (included in `facts.pages`): 0 or 1.
    pub cover_pages: u32,
}

/// Why a fax was not queued. [`SubmitError::is_refusal`] tells the client's mistakes and the
/// rules (exit code 2) from the gateway's own failures.
#[derive(Debug, Error)]
pub enum SubmitError {
    #[error("sending is disabled: trunk.uri is not set in the configuration")]
    Disabled,
    #[error("unknown account `{0}`")]
    UnknownAccount(String),
    #[error("invalid destination number `{0}`: {1}")]
    InvalidDestination(String, String),
    /// The destination is on the block list (do-not-fax) for the account or every account.
    #[error("{to} is on the block list (do-not-fax): entry {entry}")]
    Blocked {
        to: String,
        entry: crate::directory::BlockEntry,
    },
    #[error("caller id {from} is not a number of account {account} (no spoofing)")]
    Spoofed { from: String, account: String },
    #[error("document refused: {0}")]
    Document(#[from] DocumentError),
    #[error("cover page refused: {0}")]
    Cover(#[from] CoverError),
    /// Account state, rate or ceiling.
    #[error(transparent)]
    Billing(BillingError),
    #[error("cannot queue the fax: {0}")]
    Spool(#[from] SpoolError),
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// Every renderer is busy (`render.max_concurrent`): try again shortly.
    #[error("too many documents are being rendered right now; try again in a few seconds")]
    Busy,
    #[error("document conversion failed: {0}")]
    Internal(String),
}

impl SubmitError {
    /// True for refusals (the client or the rules said no); false for the gateway's failures.
    pub fn is_refusal(&self) -> bool {
        match self {
            SubmitError::Disabled
            | SubmitError::UnknownAccount(_)
            | SubmitError::InvalidDestination(..)
            | SubmitError::Spoofed { .. }
            | SubmitError::Blocked { .. }
            | SubmitError::Document(_)
            | SubmitError::Cover(_)
            | SubmitError::Busy => true,
            SubmitError::Billing(e) => !matches!(
                e,
                BillingError::Database(_)
                    | BillingError::Directory(_)
                    | BillingError::Corrupt(_)
                    | BillingError::Overflow
            ),
            SubmitError::Spool(_) | SubmitError::Directory(_) | SubmitError::Internal(_) => false,
        }
    }
}

impl From<BillingError> for SubmitError {
    fn from(e: BillingError) -> Self {
        match e {
            BillingError::UnknownAccount(a) => SubmitError::UnknownAccount(a),
            e => SubmitError::Billing(e),
        }
    }
}

/// Checks, prices, reserves and queues one fax. Order: account, block list (do-not-fax),
/// the account's state for this destination, caller id, cover text, room under the ceiling for the smallest fax (so an
/// account that cannot pay costs no rendering), documents (rendered by `renderer` in a
/// limited child process, the cover page put first, pages counted), quote, reservation,
/// spool job. A refusal leaves nothing behind; if queuing fails after the reservation, the
/// reservation is released.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    directory: &Directory,
    billing: &Billing,
    spool: &Spool,
    trunk: &TrunkConfig,
    renderer: &Renderer,
    sub: Submission,
    now: SystemTime,
) -> Result<Submitted, SubmitError> {
    if !trunk.enabled() {
        return Err(SubmitError::Disabled);
    }
    let account = directory
        .account(&sub.account)
        .await?
        .ok_or_else(|| SubmitError::UnknownAccount(sub.account.clone()))?;
    let to = validate::normalize_number(&sub.to)
        .map_err(|e| SubmitError::InvalidDestination(sub.to.clone(), e.to_string()))?;
    // Do-not-fax comes before pricing: a blocked destination costs no quote, no rendering.
    if let Some(entry) = directory
        .blocked(&to, &account.id, BlockDirection::Out)
        .await?
    {
        info!(account = %account.id, to = %to, entry = %entry, "destination on the block list: refused");
        return Err(SubmitError::Blocked { to, entry });
    }
    billing.check_destination(&account.id, &to).await?;
    let spoofed = || SubmitError::Spoofed {
        from: sub.from.clone(),
        account: account.id.clone(),
    };
    let from = validate::normalize_number(&sub.from).map_err(|_| spoofed())?;
    let lines = directory.account_lines(&account.id).await?;
    if !lines.iter().any(|l| l.number == from) {
        warn!(account = %account.id, from = %sub.from, "caller id refused: not a line of the account");
        return Err(spoofed());
    }

    // The cover text is checked before any rasterising: a bad one is a quick refusal.
    let cover = match sub.cover {
        None => None,
        Some(text) => {
            CoverText::parse(&text)?;
            let details = CoverDetails {
                from_name: account.name.clone(),
                from_number: (!sub.anonymous).then(|| from.clone()),
                to: to.clone(),
                date: cover_date(&account, now),
                total_pages: 0,
                locale: account.locale,
            };
            Some((text, details))
        }
    };
    let cover_pages = u32::from(cover.is_some());

    // Rendering costs the gateway CPU: an account that cannot pay for even the smallest fax
    // to this destination (or has no rate for it) is refused before any is spent. The final
    // quote is reserved under the account's lock below.
    let smallest = billing
        .quote(&account.id, &to, cover_pages + 1, now)
        .await?;
    billing.check_room(&account.id, &smallest, now).await?;

    let rendered = renderer
        .render(RenderJob {
            documents: sub.documents,
            cover,
        })
        .await
        .map_err(|e| match e {
            RenderError::Refused(d) => SubmitError::Document(d),
            RenderError::Busy => SubmitError::Busy,
            RenderError::Internal(m) => SubmitError::Internal(m),
        })?;
    let tiff = std::sync::Arc::new(rendered.tiff);
    let pages = u32::try_from(rendered.pages).unwrap_or(u32::MAX);
    let quote = billing.quote(&account.id, &to, pages, now).await?;

    // The job folder is begun first so its id is the fax id the reservation names; nothing
    // is visible in the spool before the commit. Spool writes (folders, fsync) run on the
    // blocking pool, not on the workers that move calls' media.
    let begin = {
        let spool = spool.clone();
        blocking(move || spool.begin(now, JobKind::OutboundFax, Default::default())).await?
    };
    let mut job = begin?;
    let fax_id = job.id().clone();
    // The reservation names this spool: only its reconciliation sweep may close it.
    let origin = match super::reconcile::spool_origin(spool) {
        Ok(o) => o,
        Err(e) => {
            let _ = job.abort();
            return Err(SubmitError::Internal(format!("spool identity: {e}")));
        }
    };
    let reservation = match billing
        .reserve_from(&account.id, fax_id.as_str(), &quote, Some(&origin), now)
        .await
    {
        Ok(r) => r,
        Err(e) => {
            let _ = blocking(move || job.abort()).await;
            return Err(e.into());
        }
    };
    let facts = OutboundFacts {
        fax_id: fax_id.to_string(),
        account: account.id.clone(),
        from,
        to,
        anonymous: sub.anonymous,
        pages,
        reservation: reservation.id.clone(),
        rate: quote.rate_per_page,
        amount: quote.amount,
        prefix: quote.prefix.clone(),
        submitted: format_rfc3339(now),
        reply: sub.mail,
        header: sub.header,
    };
    *job.facts_mut() = facts.to_map();
    let queued = {
        let spool = spool.clone();
        let fax_id = fax_id.clone();
        let tiff = tiff.clone();
        blocking(move || match job.add_bytes(DOCUMENT, &tiff) {
            Ok(()) => job.commit(now).map(|_| ()).or_else(|e| {
                // A failure after the rename leaves the job live: then it is queued after all.
                if spool.get(&fax_id).is_ok() {
                    warn!(fax = %fax_id, error = %e, "commit reported an error but the job is in the spool");
                    Ok(())
                } else {
                    Err(e)
                }
            }),
            Err(e) => {
                let _ = job.abort();
                Err(e)
            }
        })
        .await
    };
    // (The task itself failing is a panic in the spool code: the reservation is kept then,
    // since the job may be in the spool.)
    if let Err(e) = queued? {
        release_unqueued(billing, spool, &fax_id, &reservation.id, now).await;
        return Err(e.into());
    }
    // The shared queue is what every node's dialer sends from; the spool job is this node's
    // record of the fax. Should the node stop in between, its next sweep queues the fax.
    let queue = super::queue::Queue::new(directory, billing);
    if let Err(e) = queue
        .enqueue(
            fax_id.as_str(),
            &facts.account,
            &origin,
            &facts.to_map(),
            &tiff,
            now,
        )
        .await
    {
        warn!(fax = %fax_id, error = %e, "cannot put the fax in the shared queue");
        release_unqueued(billing, spool, &fax_id, &reservation.id, now).await;
        return Err(SubmitError::Internal(format!("cannot queue the fax: {e}")));
    }
    info!(
        fax = %fax_id,
        account = %facts.account,
        to = %facts.to,
        pages,
        cover_pages,
        amount = %quote.amount,
        "outbound fax queued"
    );
    Ok(Submitted {
        fax_id,
        facts,
        quote,
        cover_pages,
    })
}

/// Runs blocking file work (spool folders, fsync) on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SubmitError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SubmitError::Internal(format!("spool task: {e}")))
}

/// After queuing a fax reported an error: its reservation is released only once the fax
/// cannot go out — the job is not in the spool, or it is cancelled (dead) here. Otherwise
/// (the job is already being sent, or the spool cannot tell) the reservation stays open: the
/// dialer charges the fax it sends, and the reconciliation sweep releases it if the job turns
/// out to be gone. True when released.
pub async fn release_unqueued(
    billing: &Billing,
    spool: &Spool,
    fax_id: &JobId,
    reservation: &str,
    now: SystemTime,
) -> bool {
    let reason = "the fax could not be queued";
    let gone = match spool.cancel(now, fax_id, reason) {
        Ok(()) => {
            warn!(fax = %fax_id, "the fax reported as not queued was in the spool: cancelled");
            true
        }
        Err(SpoolError::NotFound(_) | SpoolError::Quarantined { .. }) => true,
        Err(e) => {
            warn!(fax = %fax_id, error = %e, "cannot tell whether the fax is queued: its reservation stays open");
            false
        }
    };
    if !gone {
        return false;
    }
    match billing
        .release_because(reservation, Some(reason), now)
        .await
    {
        Ok(()) => true,
        Err(r) => {
            warn!(fax = %fax_id, error = %r, "cannot release the reservation of a fax that was not queued; the reconciliation will");
            false
        }
    }
}

/// The submission time for the cover page, in the account's language and time zone (UTC if
/// the zone is unknown): `Friday 27 November 2026 at 08:15 (CET)`.
fn cover_date(account: &crate::directory::Account, now: SystemTime) -> String {
    use crate::delivery::compose::{time_context, Locale};
    let ts = jiff::Timestamp::try_from(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let (zone, name) = match account.zone() {
        Ok(z) => (z, account.time_zone.as_str()),
        Err(_) => (jiff::tz::TimeZone::UTC, "UTC"),
    };
    let locale = match account.locale {
        crate::directory::Locale::Fr => Locale::Fr,
        crate::directory::Locale::En => Locale::En,
    };
    let t = time_context(ts, &zone, name, locale);
    format!("{} ({})", t.long, t.abbreviation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submission_has_the_header_line_by_default() {
        assert!(Submission::default().header);
        assert!(!Submission::default().anonymous);
    }
}
