//! The spool is shared by the email delivery worker and the outbound dialer: each claims only
//! its own kinds of job (`Spool::claim_due_of`), so an outbound fax is never emailed and a
//! received fax is never dialled.

use std::time::{Duration, SystemTime};

use faxvox::worker::EMAILED;
use faxvox_spool::{JobKind, Media, Spool, SpoolOptions};
use serde_json::Map;

#[test]
fn delivery_and_dialer_claim_only_their_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let (spool, _) = Spool::open(dir.path(), SpoolOptions::default(), now).unwrap();
    let out = spool
        .enqueue(
            now,
            JobKind::OutboundFax,
            Map::new(),
            &[("document.tif", Media::Bytes(b"II*\0"))],
        )
        .unwrap();
    let inbound = spool
        .enqueue(
            now + Duration::from_secs(1),
            JobKind::Fax,
            Map::new(),
            &[("fax.tiff", Media::Bytes(b"II*\0"))],
        )
        .unwrap();
    let lease = Duration::from_secs(60);

    // The delivery worker's kinds: the inbound fax only, though the outbound job is older.
    let c = spool
        .claim_due_of(now, "mail", lease, EMAILED)
        .unwrap()
        .unwrap();
    assert_eq!(c.id, inbound);
    assert!(spool
        .claim_due_of(now, "mail", lease, EMAILED)
        .unwrap()
        .is_none());
    // The dialer's kind: the outbound fax, still ready.
    let c = spool
        .claim_due_of(now, "dialer", lease, &[JobKind::OutboundFax])
        .unwrap()
        .unwrap();
    assert_eq!(c.id, out);
    assert!(spool
        .claim_due_of(now, "dialer", lease, &[JobKind::OutboundFax])
        .unwrap()
        .is_none());
}

/// The node that took a fax in keeps its spool job as the fax's record while the shared
/// queue schedules it: `Spool::claim_id` takes the job whatever its own schedule says, never
/// from a live holder, and never a final job.
#[test]
fn the_record_of_a_fax_is_claimed_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let (spool, _) = Spool::open(dir.path(), SpoolOptions::default(), now).unwrap();
    let id = spool
        .enqueue(
            now,
            JobKind::OutboundFax,
            Map::new(),
            &[("document.tif", Media::Bytes(b"II*\0"))],
        )
        .unwrap();
    let lease = Duration::from_secs(3600);
    let c = spool.claim_id(now, &id, "dialer", lease).unwrap().unwrap();
    // Held by a live claim: nobody else gets it, not even by id.
    assert!(spool.claim_id(now, &id, "other", lease).unwrap().is_none());
    // Retrying an hour from now: due for the spool only then, claimable by id at once.
    spool.fail(now, &c, "busy", false).unwrap();
    drop(c);
    assert!(spool
        .claim_due_of(now, "dialer", lease, &[JobKind::OutboundFax])
        .unwrap()
        .is_none());
    let c = spool.claim_id(now, &id, "dialer", lease).unwrap().unwrap();
    spool.complete(now, &c, "sent by another node").unwrap();
    drop(c);
    // Final: not claimable.
    assert!(spool.claim_id(now, &id, "dialer", lease).unwrap().is_none());
}
