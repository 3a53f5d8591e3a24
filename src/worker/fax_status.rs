//! The status email of an outbound fax, composed from its `fax-status` job: the dialer leaves
//! the fax's facts, its final result and the amount charged in the job
//! ([`crate::outbound::status::enqueue`] writes them, [`crate::jobs`] defines them); the
//! worker turns them into the plain data delivery composes from ([`FaxStatus`]).

use serde_json::{Map, Value};
use thiserror::Error;

use crate::delivery::compose::Composed;
use crate::delivery::{Composer, DeliveryError, FaxStatus, Locale};
use crate::directory::Account;
use crate::jobs::{FaxResult, OutboundFacts, OutboundFactsError, CHARGED};
use crate::money::Money;

/// Why a status job cannot become an email (the job is dead: an admin must look at it).
#[derive(Debug, Error)]
pub enum StatusJobError {
    #[error(transparent)]
    Facts(#[from] OutboundFactsError),
    #[error("the status job has no readable fax result")]
    NoResult,
    #[error("cannot compose the status email: {0}")]
    Compose(#[from] DeliveryError),
}

/// The status email of a status job, for `account`; `report` is the job's report, when it
/// has one.
pub fn compose_job(
    composer: &Composer,
    account: &Account,
    facts: &Map<String, Value>,
    report: Option<&[u8]>,
) -> Result<Composed, StatusJobError> {
    let fax = OutboundFacts::from_map(facts)?;
    let result = FaxResult::from_facts(facts).ok_or(StatusJobError::NoResult)?;
    let charged: Money = facts
        .get(CHARGED)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or(result.charged);
    let locale = Locale::from_tag(account.locale.as_str()).unwrap_or_default();
    // A fax sent by email is reported to the mail's sender (on the account's sender list).
    let emails = match &fax.reply {
        Some(reply) => std::slice::from_ref(&reply.to),
        None => &account.emails[..],
    };
    Ok(compose_status(
        composer, emails, locale, &fax, &result, charged, report,
    )?)
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
        subject: facts.reply.as_ref().map(|r| r.subject.clone()),
    };
    composer.compose_fax_status(emails, locale, &status, report)
}
