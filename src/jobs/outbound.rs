//! The facts of an outbound fax job: what `faxvox send` (or the API) stored, each dial
//! attempt the dialer made, and the final result. The spool keeps them verbatim in the job's
//! `manifest.json`; the submission, the dialer, the reconciliation and the API read them
//! through these types.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::money::Money;

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
    /// Stamp the header line (date, sender, page n/m) on every page sent; on unless the
    /// client turned it off. Facts written before it existed read as on.
    #[serde(default = "header_on")]
    pub header: bool,
    /// Sent by email ([`crate::mail_in`]): the status email goes to the mail's sender and
    /// quotes its subject. `None`: to the account's addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<MailReply>,
}

fn header_on() -> bool {
    true
}

/// Where the status email of a fax sent by email goes, and the subject of that mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailReply {
    /// The mail's (authenticated) From address.
    pub to: String,
    /// The mail's subject (empty when it had none).
    pub subject: String,
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
    pub fn from_map(map: &Map<String, Value>) -> Result<OutboundFacts, OutboundFactsError> {
        serde_json::from_value(Value::Object(map.clone())).map_err(OutboundFactsError)
    }
}

/// Fact of a `fax-status` job naming what was charged for the fax (decimal € string).
pub const CHARGED: &str = "charged";

/// Facts of an outbound job that cannot be read (the job is dead: nothing can be dialled).
#[derive(Debug, Error)]
#[error("outbound fax facts unreadable: {0}")]
pub struct OutboundFactsError(#[source] serde_json::Error);

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

/// One attempt, as kept in the job's facts (`attempts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptRecord {
    pub at: String,
    pub call_id: String,
    pub status: Option<u16>,
    pub reason: String,
    /// Pages the far end confirmed in this attempt.
    pub pages: u32,
    pub t38: bool,
    pub ecm: bool,
    /// This attempt was a T.30 fallback.
    pub fallback: bool,
    pub duration_secs: u64,
    /// Highest image modem rate offered (14400, or 9600 on the lower-rate fallback).
    #[serde(default = "full_rate")]
    pub max_bit_rate: u32,
}

fn full_rate() -> u32 {
    14_400
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
            reply: None,
            header: false,
        };
        assert_eq!(OutboundFacts::from_map(&f.to_map()).unwrap(), f);
        let mut old = f.to_map();
        old.remove("header");
        assert!(OutboundFacts::from_map(&old).unwrap().header);
        assert_eq!(f.to_map()["amount"], "0.15");
        assert!(!f.to_map().contains_key("reply"));
        let mailed = OutboundFacts {
            reply: Some(MailReply {
                to: "alice@acme.example".into(),
                subject: "Re: invoice 42".into(),
            }),
            ..f
        };
        assert_eq!(OutboundFacts::from_map(&mailed.to_map()).unwrap(), mailed);
    }
}
