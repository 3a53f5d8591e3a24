//! The client's status email of an outbound fax, delivered from the spool like every other
//! email. When a fax is final the dialer builds the PDF transmission report and enqueues a
//! [`JobKind::FaxStatus`] job (the fax's facts, its result and charge; the report as media);
//! the delivery worker composes the email from it ([`compose_job`]) and sends it with the
//! spool's retries. An SMTP server that is down delays the status; it never loses it, and
//! `faxvox spool list/show` shows where it stands like any other message.

use std::time::SystemTime;

use faxvox_spool::{JobId, JobKind, Spool, SpoolError};
use serde_json::{Map, Value};

use crate::delivery::compose::Composed;
use crate::delivery::{Composer, DeliveryError, FaxStatus, Locale};
use crate::directory::Account;
use crate::jobs::{FaxResult, OutboundFacts, REPORT_MEDIA};
use crate::money::Money;

/// Fact naming what was charged for the fax (decimal € string).
const CHARGED: &str = "charged";

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

/// The status email of a status job, for `account`; `report` is the job's report, when it
/// has one. Err: why the job's facts cannot make an email (the job is dead).
pub fn compose_job(
    composer: &Composer,
    account: &Account,
    facts: &Map<String, Value>,
    report: Option<&[u8]>,
) -> Result<Composed, String> {
    let fax = OutboundFacts::from_map(facts).map_err(|e| e.to_string())?;
    let result = FaxResult::from_facts(facts).ok_or("the status job has no readable fax result")?;
    let charged: Money = facts
        .get(CHARGED)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or(result.charged);
    let locale = Locale::from_tag(account.locale.as_str()).unwrap_or_default();
    compose_status(
        composer,
        &account.emails,
        locale,
        &fax,
        &result,
        charged,
        report,
    )
    .map_err(|e| format!("cannot compose the status email: {e}"))
}

/// The status email of fax `facts` with its final `result` and what was `charged`, to
/// `emails` ([`Composer::compose_fax_status`]); `report` is attached when there is one.
pub fn compose_status(
    composer: &Composer,
    emails: &[String],
    locale: Locale,
    facts: &OutboundFacts,
    result: &FaxResult,
    charged: Money,
    report: Option<&[u8]>,
) -> Result<Composed, DeliveryError> {
    let status = FaxStatus {
        fax_id: facts.fax_id.clone(),
        from: facts.from.clone(),
        to: facts.to.clone(),
        anonymous: facts.anonymous,
        sent: result.sent,
        pages_confirmed: result.pages_confirmed,
        pages: result.pages,
        attempts: result.attempts,
        duration_secs: result.duration_secs,
        reason: result.reason.clone(),
        charged: charged.to_string(),
    };
    composer.compose_fax_status(emails, locale, &status, report)
}
