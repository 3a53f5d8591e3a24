//! The reconciliation sweep: no reservation outlives its fax.
//!
//! Money held for a fax counts against the account's ceiling until it is settled or released.
//! The dialer settles it when the fax ends, but a fax can end without the dialer: a crash
//! between the reservation and the spool commit, a job the spool gave up on by itself (retry
//! budget spent while its worker was gone), a job quarantined or deleted by an admin. The
//! dialer runs this sweep at start and every [`SWEEP_EVERY`]: each open reservation of this
//! spool whose job is gone (for longer than [`GRACE`], so a submission in progress is never
//! touched), quarantined, dead or delivered is settled for the pages the far end confirmed,
//! or released, and the reason is kept in the reservation (`faxvox billing log`).
//!
//! A reservation names the spool that took its fax in ([`spool_origin`]): with several
//! gateways on one PostgreSQL database, a node never closes another node's reservations.

use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, SystemTime};

use faxvox_spool::{JobId, Spool, SpoolError, StateName};
use serde::Serialize;
use tracing::{error, warn};

use crate::billing::{Billing, BillingError, ReservationRecord};
use crate::directory::records::record_time;
use crate::jobs::{FaxResult, OutboundFacts};
use crate::money::Money;

/// How often the dialer sweeps.
pub const SWEEP_EVERY: Duration = Duration::from_secs(300);
/// A reservation without a job is left alone this long: the submission that made it may
/// still be rasterising or committing (its timeout is 120 s).
pub const GRACE: Duration = Duration::from_secs(900);
/// The file in the spool root holding the spool's identity.
const ORIGIN_FILE: &str = "spool-id";

/// What the sweep did with one reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reconciled {
    pub reservation: String,
    pub account: String,
    pub fax_id: String,
    /// Held before.
    pub amount: Money,
    /// Charged now (zero when released).
    pub charged: Money,
    /// Why, as kept in the reservation.
    pub reason: String,
}

/// What to do with one open reservation, decided from its job.
enum Decision {
    Keep,
    /// Settle for these pages (0: release), for this reason.
    Close(u32, String),
}

/// The identity of `spool`, written once into its root (random, 0600): what reservations
/// name as their origin. Blocking (small file I/O).
pub fn spool_origin(spool: &Spool) -> io::Result<String> {
    let path = spool.root().join(ORIGIN_FILE);
    for _ in 0..50 {
        match std::fs::File::open(&path) {
            Ok(mut f) => {
                let mut s = String::new();
                f.read_to_string(&mut s)?;
                let id = s.trim();
                if !id.is_empty() {
                    return Ok(id.to_string());
                }
                // Being written by another process right now.
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 8];
                rand::fill(&mut bytes);
                let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                match std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(faxvox_spool::FILE_MODE)
                    .open(&path)
                {
                    Ok(mut f) => {
                        f.write_all(id.as_bytes())?;
                        f.sync_all()?;
                        return Ok(id);
                    }
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "{} stays empty: delete it and start again",
        path.display()
    )))
}

/// Pages the far end confirmed for an outbound job, from its facts.
fn confirmed_pages(facts: &serde_json::Map<String, serde_json::Value>) -> u32 {
    if let Some(result) = FaxResult::from_facts(facts) {
        return result.pages_confirmed;
    }
    let pages = OutboundFacts::from_map(facts).map_or(u32::MAX, |f| f.pages);
    facts
        .get("pages_confirmed")
        .and_then(|v| v.as_u64())
        .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
        .min(pages)
}

/// What the job of `r` says about it. Blocking (reads the job's manifest).
fn decide(spool: &Spool, r: &ReservationRecord, now: SystemTime, grace: Duration) -> Decision {
    let old_enough = || {
        let cutoff = now.checked_sub(grace).unwrap_or(std::time::UNIX_EPOCH);
        r.created_at < record_time(cutoff)
    };
    let Ok(id) = r.fax_id.parse::<JobId>() else {
        return if old_enough() {
            Decision::Close(0, format!("fax id `{}` is no spool job", r.fax_id))
        } else {
            Decision::Keep
        };
    };
    let job = match spool.get(&id) {
        Ok(job) => job,
        Err(SpoolError::NotFound(_)) if old_enough() => {
            return Decision::Close(
                0,
                "no job in the spool: the submission stopped before queuing the fax, or the job was deleted"
                    .into(),
            )
        }
        Err(SpoolError::NotFound(_)) => return Decision::Keep,
        Err(e) => {
            warn!(fax = %r.fax_id, error = %e, "reconciliation: cannot read the job; kept");
            return Decision::Keep;
        }
    };
    let problem = job.problem.clone().unwrap_or_default();
    let facts = job.manifest.as_ref().map(|m| &m.facts);
    match job.state() {
        Some(StateName::Quarantined) => {
            // Whatever was confirmed before it broke is charged; a quarantined job is never
            // dialled again with this reservation (the dialer refuses a closed one).
            let pages = facts.map_or(0, confirmed_pages);
            Decision::Close(pages, format!("job quarantined: {problem}"))
        }
        Some(StateName::Dead) => {
            let pages = facts.map_or(0, confirmed_pages);
            Decision::Close(pages, format!("job dead: {problem}"))
        }
        Some(StateName::Delivered) => {
            let pages = facts.map_or(0, confirmed_pages);
            Decision::Close(pages, "job delivered but its reservation was open".into())
        }
        // Captured, ready, sending, retrying: the dialer will end it. Unreadable: the next
        // claim quarantines it, the next sweep closes it.
        _ => Decision::Keep,
    }
}

/// Settles or releases every open reservation of `origin` (and, with `legacy`, those that
/// name no spool) whose fax is over without it: see the module documentation. Returns what it
/// did; each is also logged. A reservation that cannot be closed now is left for the next
/// sweep.
pub async fn reconcile(
    billing: &Billing,
    spool: &Spool,
    origin: &str,
    legacy: bool,
    now: SystemTime,
    grace: Duration,
) -> Result<Vec<Reconciled>, BillingError> {
    let open = billing.open_reservations(origin, legacy).await?;
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let spool = spool.clone();
    let decisions = tokio::task::spawn_blocking(move || {
        open.into_iter()
            .map(|r| {
                let d = decide(&spool, &r, now, grace);
                (r, d)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| BillingError::Corrupt(format!("reconciliation task failed: {e}")))?;
    let mut done = Vec::new();
    for (r, decision) in decisions {
        let Decision::Close(pages, reason) = decision else {
            continue;
        };
        let closed = if pages == 0 {
            billing
                .release_because(&r.id, Some(&reason), now)
                .await
                .map(|()| Money::ZERO)
        } else {
            billing.settle_because(&r.id, pages, &reason, now).await
        };
        match closed {
            Ok(charged) => {
                warn!(
                    account = %r.account, fax = %r.fax_id, reservation = %r.id,
                    amount = %r.amount, %charged, reason,
                    "reconciliation closed a reservation its fax left open"
                );
                done.push(Reconciled {
                    reservation: r.id,
                    account: r.account,
                    fax_id: r.fax_id,
                    amount: r.amount,
                    charged,
                    reason,
                });
            }
            Err(e) => {
                error!(reservation = %r.id, fax = %r.fax_id, error = %e, "reconciliation: cannot close the reservation; next sweep")
            }
        }
    }
    Ok(done)
}
