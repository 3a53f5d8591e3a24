//! The client's status email of an outbound fax, delivered from the spool like every other
//! email. When a fax is final the dialer builds the PDF transmission report and enqueues a
//! [`JobKind::FaxStatus`] job (the fax's facts, its result and charge; the report as media);
//! the delivery worker composes the email from it (`worker::fax_status`) and sends it with the
//! spool's retries. An SMTP server that is down delays the status; it never loses it, and
//! `faxvox spool list/show` shows where it stands like any other message.

use std::time::SystemTime;

use faxvox_spool::{JobId, JobKind, Spool, SpoolError};
use serde_json::Value;

use crate::jobs::{FaxResult, OutboundFacts, CHARGED, REPORT_MEDIA};
use crate::money::Money;

/// Queues the status email of a final fax: its facts, `result`, `charged` and the report.
pub fn enqueue(
    spool: &Spool,
    now: SystemTime,
    facts: &OutboundFacts,
    result: &FaxResult,
    charged: Money,
    report: Option<&[u8]>,
) -> Result<JobId, SpoolError> {
    let mut map = facts.to_map();
    map.insert(
        "result".into(),
        serde_json::to_value(result).unwrap_or(Value::Null),
    );
    map.insert(
        CHARGED.into(),
        serde_json::to_value(charged).unwrap_or(Value::Null),
    );
    let mut job = spool.begin(now, JobKind::FaxStatus, map)?;
    if let Some(pdf) = report {
        job.add_bytes(REPORT_MEDIA, pdf)?;
    }
    job.commit(now)
}
