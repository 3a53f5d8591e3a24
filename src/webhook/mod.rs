//! Signed webhooks: an account may name one URL (`faxvox account webhook ID --url URL`) that is
//! POSTed a small JSON event whenever a fax or voicemail reaches it (`fax.received`,
//! `voicemail.received`, once the message is committed) and when one of its outbound faxes is
//! final (`fax.sent`, `fax.failed`). No media and no secret is ever in an event.
//!
//! Events travel through the spool like emails: [`enqueue`] writes a [`JobKind::Webhook`] job
//! (the event in its facts) when the account has a webhook, and the delivery worker POSTs it
//! ([`http::post`]) with a fresh [`sign::signature`] at each attempt: a 2xx ends the job,
//! anything else retries on the spool's backoff until the retry budget is spent, so a receiver
//! that is down delays its events, never loses them.

pub mod http;
pub mod sign;

use std::time::SystemTime;

use faxvox_spool::{format_rfc3339, JobId, JobKind, Spool, SpoolError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::directory::{Directory, DirectoryError};
use crate::jobs::{FaxResult, JobFacts, OutboundFacts};

/// The fact holding the event of a webhook job.
pub const EVENT_FACT: &str = "event";

/// Why a webhook could not be set, read or queued.
#[derive(Debug, Error)]
pub enum WebhookError {
    /// Not an absolute http(s) URL with a host.
    #[error("invalid webhook URL `{input}`: {reason}")]
    InvalidUrl { input: String, reason: String },
    /// A secret too short to be worth signing with.
    #[error(
        "webhook secret too short: give at least 16 characters (or none to have one generated)"
    )]
    WeakSecret,
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error("spool task failed: {0}")]
    Task(String),
}

/// An account's webhook as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub account: String,
    pub url: String,
    /// The HMAC key; shown once when generated, never logged.
    pub secret: String,
}

/// One event, as POSTed (its JSON is the body that is signed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `fax.received`, `voicemail.received`, `fax.sent` or `fax.failed`.
    #[serde(rename = "type")]
    pub kind: String,
    pub account: String,
    /// The spool job of a received message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// The id of an outbound fax (`faxvox send`, the API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fax_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// The calling number (empty when withheld).
    pub from: String,
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<u32>,
    pub duration_secs: u64,
    /// `ok`, `partial` (an inbound fax cut short), or the outbound result in words.
    pub result: String,
    /// When it happened (RFC 3339 UTC).
    pub time: String,
}

impl Event {
    /// The event of a received fax or voicemail from its job's facts and page count.
    pub fn inbound(
        job: &JobId,
        kind: JobKind,
        facts: &Map<String, Value>,
        pages: Option<u32>,
        now: SystemTime,
    ) -> Option<Event> {
        let f = JobFacts::from_map(facts).ok()?;
        let kind = match kind {
            JobKind::Fax => "fax.received",
            JobKind::Voicemail => "voicemail.received",
            _ => return None,
        };
        let partial = f.fax.as_ref().is_some_and(|x| x.partial);
        Some(Event {
            kind: kind.into(),
            account: f.account.clone()?,
            job_id: Some(job.to_string()),
            fax_id: None,
            call_id: facts
                .get("call_id")
                .and_then(Value::as_str)
                .map(str::to_string),
            from: f.caller_number.clone(),
            to: f.called_number.clone(),
            pages,
            duration_secs: f.duration().as_secs(),
            result: if partial { "partial" } else { "ok" }.into(),
            time: f.start.clone().unwrap_or_else(|| format_rfc3339(now)),
        })
    }

    /// The event of a final outbound fax.
    pub fn outbound(facts: &OutboundFacts, result: &FaxResult, call_id: Option<String>) -> Event {
        Event {
            kind: if result.sent {
                "fax.sent"
            } else {
                "fax.failed"
            }
            .into(),
            account: facts.account.clone(),
            job_id: None,
            fax_id: Some(facts.fax_id.clone()),
            call_id,
            from: if facts.anonymous {
                String::new()
            } else {
                facts.from.clone()
            },
            to: facts.to.clone(),
            pages: Some(result.pages_confirmed),
            duration_secs: result.duration_secs,
            result: result.reason.clone(),
            time: result.at.clone(),
        }
    }
}

/// Checks a webhook URL: absolute, `http` or `https`, with a host.
pub fn validate_url(input: &str) -> Result<url::Url, WebhookError> {
    let bad = |reason: &str| WebhookError::InvalidUrl {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    let url = url::Url::parse(input.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("only http:// and https:// URLs are supported"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "credentials in the URL are not supported; the signature authenticates the gateway",
        ));
    }
    Ok(url)
}

/// A new random secret (`whsec_` and 64 hex digits).
pub fn generate_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("whsec_{}", sign::hex(&bytes))
}

/// Sets (or replaces) `account`'s webhook.
pub async fn set(
    dir: &Directory,
    account: &str,
    url: &str,
    secret: &str,
) -> Result<Webhook, WebhookError> {
    let url = validate_url(url)?;
    if secret.len() < 16 {
        return Err(WebhookError::WeakSecret);
    }
    if dir.account(account).await?.is_none() {
        return Err(DirectoryError::UnknownAccount(account.to_string()).into());
    }
    sqlx::query(
        "INSERT INTO account_webhooks (account, url, secret, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account) DO UPDATE SET url = excluded.url, secret = excluded.secret, \
         updated_at = excluded.updated_at",
    )
    .bind(account)
    .bind(url.as_str())
    .bind(secret)
    .bind(format_rfc3339(SystemTime::now()))
    .execute(dir.pool())
    .await?;
    Ok(Webhook {
        account: account.to_string(),
        url: url.to_string(),
        secret: secret.to_string(),
    })
}

/// Removes `account`'s webhook; whether it had one. Events already queued then end dead
/// ("no webhook") at their next attempt.
pub async fn remove(dir: &Directory, account: &str) -> Result<bool, WebhookError> {
    if dir.account(account).await?.is_none() {
        return Err(DirectoryError::UnknownAccount(account.to_string()).into());
    }
    let done = sqlx::query("DELETE FROM account_webhooks WHERE account = $1")
        .bind(account)
        .execute(dir.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// `account`'s webhook, if it has one.
pub async fn get(dir: &Directory, account: &str) -> Result<Option<Webhook>, WebhookError> {
    use sqlx::Row;
    let row = sqlx::query("SELECT url, secret FROM account_webhooks WHERE account = $1")
        .bind(account)
        .fetch_optional(dir.pool())
        .await?;
    match row {
        Some(r) => Ok(Some(Webhook {
            account: account.to_string(),
            url: r.try_get::<String, _>(0)?,
            secret: r.try_get::<String, _>(1)?,
        })),
        None => Ok(None),
    }
}

/// Queues `event` for its account's webhook, if the account has one (`Ok(None)`: it has not).
pub async fn enqueue(
    dir: &Directory,
    spool: &Spool,
    now: SystemTime,
    event: &Event,
) -> Result<Option<JobId>, WebhookError> {
    if get(dir, &event.account).await?.is_none() {
        return Ok(None);
    }
    let mut facts = Map::new();
    facts.insert("account".into(), Value::String(event.account.clone()));
    facts.insert(
        EVENT_FACT.into(),
        serde_json::to_value(event).unwrap_or(Value::Null),
    );
    let spool = spool.clone();
    // The job's write (fsyncs) goes on the call closer threads, below the media's priority,
    // like the commit of the message it announces.
    let id =
        crate::call::driver::after_call(move || spool.enqueue(now, JobKind::Webhook, facts, &[]))
            .await
            .ok_or_else(|| WebhookError::Task("the spool write panicked".into()))??;
    Ok(Some(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(validate_url("https://hooks.example/faxvox").is_ok());
        assert!(validate_url("http://127.0.0.1:8080/x").is_ok());
        for bad in [
            "ftp://x.example/",
            "hooks.example/x",
            "http://",
            "https://u:p@h.example/",
        ] {
            let e = validate_url(bad).unwrap_err().to_string();
            assert!(e.starts_with("invalid webhook URL"), "{bad}: {e}");
        }
    }

    #[test]
    fn secrets_are_random_hex() {
        let (a, b) = (generate_secret(), generate_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 6 + 64);
    }
}
