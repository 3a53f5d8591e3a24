//! The facts a spool job carries for delivery: who called whom, when, and what the fax session
//! reported. The spool keeps them verbatim in `manifest.json` (`facts`); this module gives them
//! names and types so the gateway, `faxvox spool import` and the worker agree.
//!
//! Every field is optional on read: a job written by an older or newer gateway still delivers,
//! with whatever it knows. Unknown keys are kept by the spool and ignored here.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

/// Facts of a job that the worker cannot read (the job cannot be delivered as it is).
#[derive(Debug, Error)]
#[error("job facts are not understood: {0}")]
pub struct JobFactsError(#[source] serde_json::Error);

/// Key under which the worker records the delivery (SMTP reply, recipients, rendered file).
pub const DELIVERY_KEY: &str = "delivery";

/// What the capture (gateway or `spool import`) knows about the message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobFacts {
    /// Account id that gets the message. When absent, `called_number` is resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Caller number as signalled; empty when withheld.
    #[serde(default)]
    pub caller_number: String,
    /// Caller display name, untrusted (cleaned by the composer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_name: Option<String>,
    /// The number that was dialled (one of our lines), E.164.
    #[serde(default)]
    pub called_number: String,
    /// Call start, RFC 3339 UTC. Absent: the job's creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Call length in milliseconds.
    #[serde(default)]
    pub duration_ms: u64,
    /// What the fax session reported (fax jobs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fax: Option<FaxFacts>,
    /// Where the job came from: `gateway`, `import`…, for the admin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The T.30 session's report on a received fax.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaxFacts {
    /// Pages the sender announced, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages_expected: Option<u32>,
    /// The call ended before the sender said it was done.
    #[serde(default)]
    pub partial: bool,
    /// For a partial fax: the page being received when the call ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at_page: Option<u32>,
    /// The sender's station identifier (TSI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_station_id: Option<String>,
    /// Modem bit rate of the last page, bits per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bit_rate: Option<u32>,
    /// The page that was longer than `fax.max_page_length_mm`: its top was kept and the call
    /// was ended there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_page: Option<u32>,
    /// The length, in millimetres, that page was cut at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_at_mm: Option<u32>,
}

impl JobFacts {
    /// Reads the facts of a job; the error says which field is wrong (the job cannot be
    /// delivered as it is: an admin must look at it).
    pub fn from_map(map: &Map<String, Value>) -> Result<JobFacts, JobFactsError> {
        serde_json::from_value(Value::Object(map.clone())).map_err(JobFactsError)
    }

    /// The facts as the open JSON object the spool stores.
    pub fn to_map(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }

    /// Call start: `start` if it parses, else `fallback` (the job's creation).
    pub fn start_time(&self, fallback: SystemTime) -> SystemTime {
        self.start
            .as_deref()
            .and_then(faxvox_spool::parse_rfc3339)
            .unwrap_or(fallback)
    }

    /// Call length.
    pub fn duration(&self) -> Duration {
        Duration::from_millis(self.duration_ms)
    }
}

/// What the worker has recorded so far about delivering a job (`facts.delivery`): kept across
/// attempts so a retry only sends to the recipients still pending.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    /// Recipients that accepted the message (over all attempts).
    #[serde(default)]
    pub accepted: Vec<String>,
    /// Recipients still to deliver to after a temporary failure; empty: all of them.
    #[serde(default)]
    pub pending: Vec<String>,
    /// Recipients refused for good, with the server's reply.
    #[serde(default)]
    pub rejected: Vec<RejectedRecipient>,
    /// The last server reply (or the Maildir file) and when it came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// RFC 3339 UTC time of the last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Message-ID of the last email sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Where mail went (`smtp host:port …` or `maildir PATH`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    /// The file in the job folder that was attached (`fax.pdf`, `voicemail.mp3`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<String>,
    /// Its size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_bytes: Option<u64>,
    /// Whether it was attached (false: too large or could not be rendered).
    #[serde(default)]
    pub attached: bool,
    /// Rendering problems noted in the email (damaged TIFF rows…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One recipient refused for good.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRecipient {
    /// The address.
    pub recipient: String,
    /// The server's reply.
    pub reply: String,
}

impl DeliveryRecord {
    /// The record in `facts`, or an empty one.
    pub fn from_facts(facts: &Map<String, Value>) -> DeliveryRecord {
        facts
            .get(DELIVERY_KEY)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// Stores the record into `facts`.
    pub fn store(&self, facts: &mut Map<String, Value>) {
        if let Ok(v) = serde_json::to_value(self) {
            facts.insert(DELIVERY_KEY.to_string(), v);
        }
    }
}
