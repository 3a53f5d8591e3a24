//! Call detail records: one row per call the gateway handled, answered or not.
//!
//! The gateway writes a record when a call ends ([`Directory::add_call_record`]); operators and
//! the monthly statement read them by account and period ([`Directory::call_records`]); the
//! retention purge deletes those older than `retention.records_months`
//! ([`Directory::purge_call_records`], [`records_cutoff`]). Times are stored as RFC 3339 UTC
//! text with a fixed millisecond precision, so they compare as text on SQLite and PostgreSQL.
//! Outbound records carry their `cost` (what the ledger charged), the lines of the monthly
//! statement (`crate::billing::statement`).

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{Directory, DirectoryError, Result};
use crate::money::Money;

/// What a call was, from the account's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallKind {
    /// A fax was received (or sent).
    Fax,
    /// A voice message was left.
    Voicemail,
    /// Answered (or ringing) but nothing worth delivering: hung up early, message too short.
    Missed,
    /// Refused before answering (unknown number, untrusted source, overload).
    Rejected,
}

impl CallKind {
    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            CallKind::Fax => "fax",
            CallKind::Voicemail => "voicemail",
            CallKind::Missed => "missed",
            CallKind::Rejected => "rejected",
        }
    }
}

impl FromStr for CallKind {
    type Err = DirectoryError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "fax" => CallKind::Fax,
            "voicemail" => CallKind::Voicemail,
            "missed" => CallKind::Missed,
            "rejected" => CallKind::Rejected,
            other => return Err(DirectoryError::Corrupt(format!("call kind `{other}`"))),
        })
    }
}

impl fmt::Display for CallKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who placed the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Someone called one of our lines.
    #[default]
    In,
    /// We called out (sending a fax).
    Out,
}

impl Direction {
    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// How the call ended for the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallStatus {
    /// Everything the call carried was captured (and queued for delivery), or there was
    /// nothing to capture (a missed call whose notice is queued).
    Ok,
    /// A fax cut short: the pages received are delivered, marked incomplete.
    Partial,
    /// Nothing usable, or it could not be stored (spool full): see `reason`.
    Failed,
}

impl CallStatus {
    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Ok => "ok",
            CallStatus::Partial => "partial",
            CallStatus::Failed => "failed",
        }
    }
}

impl FromStr for CallStatus {
    type Err = DirectoryError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "ok" => CallStatus::Ok,
            "partial" => CallStatus::Partial,
            "failed" => CallStatus::Failed,
            other => return Err(DirectoryError::Corrupt(format!("call status `{other}`"))),
        })
    }
}

/// What the gateway knows about a call when it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCallRecord {
    /// SIP Call-ID.
    pub call_id: String,
    /// Account that got the message; `None` when the number is not ours.
    pub account: Option<String>,
    /// Our line that answered (E.164, alias resolved); `None` when none did.
    pub line: Option<String>,
    /// The number as dialled, raw.
    pub called: String,
    /// Caller number as signalled; empty when withheld.
    pub caller: String,
    /// Caller display name, untrusted.
    pub caller_name: Option<String>,
    pub kind: CallKind,
    pub direction: Direction,
    /// When the INVITE arrived (or was sent).
    pub start: SystemTime,
    /// When the call was answered; `None` when it never was.
    pub answered: Option<SystemTime>,
    /// From answer to hang-up; zero when not answered.
    pub duration: Duration,
    /// Fax pages; `None` for other kinds.
    pub pages: Option<u32>,
    pub status: CallStatus,
    /// Final SIP status of the INVITE, when one was sent or received.
    pub sip_status: Option<u16>,
    /// Detail for people: T.30 result, why rejected, spool error.
    pub reason: Option<String>,
    /// Spool job the call produced.
    pub job_id: Option<String>,
    /// RTP packets lost on the way in.
    pub rtp_lost: u64,
    /// RTP packets dropped because they came from an address that is not the call's peer.
    pub rtp_foreign: u64,
    /// UDPTL packets dropped because they came from an address that is not the call's peer.
    pub udptl_foreign: u64,
    /// What the call cost the account (excl. tax): on an outbound fax, the charge on its final
    /// attempt and zero on the others; `None` for calls that are not billed (inbound).
    pub cost: Option<Money>,
}

impl NewCallRecord {
    /// A record with only the mandatory facts; the rest empty (not answered, no job).
    pub fn new(
        call_id: impl Into<String>,
        called: impl Into<String>,
        kind: CallKind,
        status: CallStatus,
        start: SystemTime,
    ) -> Self {
        NewCallRecord {
            call_id: call_id.into(),
            account: None,
            line: None,
            called: called.into(),
            caller: String::new(),
            caller_name: None,
            kind,
            direction: Direction::In,
            start,
            answered: None,
            duration: Duration::ZERO,
            pages: None,
            status,
            sip_status: None,
            reason: None,
            job_id: None,
            rtp_lost: 0,
            rtp_foreign: 0,
            udptl_foreign: 0,
            cost: None,
        }
    }
}

/// A stored call detail record. Serialises to stable JSON (times as RFC 3339 text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallRecord {
    /// `20261127T074912Z-3f9a2c1b5d6e7f80`: sortable by start.
    pub id: String,
    pub call_id: String,
    pub account: Option<String>,
    pub line: Option<String>,
    pub called: String,
    pub caller: String,
    pub caller_name: Option<String>,
    pub kind: CallKind,
    pub direction: Direction,
    /// RFC 3339 UTC with milliseconds (`2026-11-27T07:49:12.345Z`).
    pub start: String,
    /// Same format; `None` when not answered.
    pub answered: Option<String>,
    pub duration_ms: u64,
    pub pages: Option<u32>,
    pub status: CallStatus,
    pub sip_status: Option<u16>,
    pub reason: Option<String>,
    pub job_id: Option<String>,
    pub rtp_lost: u64,
    /// See [`NewCallRecord::rtp_foreign`].
    pub rtp_foreign: u64,
    /// See [`NewCallRecord::udptl_foreign`].
    pub udptl_foreign: u64,
    /// See [`NewCallRecord::cost`]; JSON: exact decimal string in € (`"0.15"`) or null.
    pub cost: Option<Money>,
}

impl CallRecord {
    /// `start` as a time.
    pub fn start_time(&self) -> Option<SystemTime> {
        faxvox_spool::parse_rfc3339(&self.start)
    }
}

/// The stored form of a time: RFC 3339 UTC, always with three fractional digits, so that text
/// order is time order. Times before 1970 or after 9999 are clamped (they do not occur).
pub fn record_time(t: SystemTime) -> String {
    let ts = jiff::Timestamp::try_from(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The oldest start time kept when records are kept `months` months: the same instant
/// `months` calendar months before `now` (UTC).
pub fn records_cutoff(now: SystemTime, months: u32) -> SystemTime {
    let Ok(ts) = jiff::Timestamp::try_from(now) else {
        return now;
    };
    let zoned = ts.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    zoned
        .checked_sub(jiff::Span::new().months(i64::from(months)))
        .ok()
        .and_then(|z| SystemTime::try_from(z.timestamp()).ok())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// A fresh id sortable by time: `20261127T074912Z-3f9a2c1b5d6e7f80` (call records, billing).
pub(crate) fn new_id(start: SystemTime) -> String {
    let ts = jiff::Timestamp::try_from(start).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    format!(
        "{}-{:016x}",
        ts.strftime("%Y%m%dT%H%M%SZ"),
        rand::random::<u64>()
    )
}

const RECORD_COLUMNS: &str = "id, call_id, account, line, called, caller, caller_name, kind, \
     direction, start, answered, duration_ms, pages, status, sip_status, reason, job_id, rtp_lost, \
     cost, rtp_foreign, udptl_foreign";

fn record_from_row(row: &AnyRow) -> Result<CallRecord> {
    let kind: String = row.try_get("kind")?;
    let direction: String = row.try_get("direction")?;
    let status: String = row.try_get("status")?;
    let int = |name: &str| -> Result<Option<i64>> { Ok(row.try_get::<Option<i64>, _>(name)?) };
    Ok(CallRecord {
        id: row.try_get("id")?,
        call_id: row.try_get("call_id")?,
        account: row.try_get("account")?,
        line: row.try_get("line")?,
        called: row.try_get("called")?,
        caller: row.try_get("caller")?,
        caller_name: row.try_get("caller_name")?,
        kind: kind.parse()?,
        direction: match direction.as_str() {
            "in" => Direction::In,
            "out" => Direction::Out,
            other => return Err(DirectoryError::Corrupt(format!("call direction `{other}`"))),
        },
        start: row.try_get("start")?,
        answered: row.try_get("answered")?,
        duration_ms: int("duration_ms")?.unwrap_or(0).max(0) as u64,
        pages: int("pages")?.map(|p| p.clamp(0, u32::MAX.into()) as u32),
        status: status.parse()?,
        sip_status: int("sip_status")?.map(|s| s.clamp(0, u16::MAX.into()) as u16),
        reason: row.try_get("reason")?,
        job_id: row.try_get("job_id")?,
        rtp_lost: int("rtp_lost")?.unwrap_or(0).max(0) as u64,
        cost: int("cost")?.map(Money),
        rtp_foreign: int("rtp_foreign")?.unwrap_or(0).max(0) as u64,
        udptl_foreign: int("udptl_foreign")?.unwrap_or(0).max(0) as u64,
    })
}

impl Directory {
    /// Stores the record of a finished call; returns it as stored (with its id).
    pub async fn add_call_record(&self, new: &NewCallRecord) -> Result<CallRecord> {
        let record = CallRecord {
            id: new_id(new.start),
            call_id: new.call_id.clone(),
            account: new.account.clone(),
            line: new.line.clone(),
            called: new.called.clone(),
            caller: new.caller.clone(),
            caller_name: new.caller_name.clone(),
            kind: new.kind,
            direction: new.direction,
            start: record_time(new.start),
            answered: new.answered.map(record_time),
            duration_ms: u64::try_from(new.duration.as_millis()).unwrap_or(u64::MAX),
            pages: new.pages,
            status: new.status,
            sip_status: new.sip_status,
            reason: new.reason.clone(),
            job_id: new.job_id.clone(),
            rtp_lost: new.rtp_lost,
            rtp_foreign: new.rtp_foreign,
            udptl_foreign: new.udptl_foreign,
            cost: new.cost,
        };
        let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        sqlx::query(&format!(
            "INSERT INTO call_records ({RECORD_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
        ))
        .bind(&record.id)
        .bind(&record.call_id)
        .bind(&record.account)
        .bind(&record.line)
        .bind(&record.called)
        .bind(&record.caller)
        .bind(&record.caller_name)
        .bind(record.kind.as_str())
        .bind(record.direction.as_str())
        .bind(&record.start)
        .bind(&record.answered)
        .bind(clamp(record.duration_ms))
        .bind(record.pages.map(i64::from))
        .bind(record.status.as_str())
        .bind(record.sip_status.map(i64::from))
        .bind(&record.reason)
        .bind(&record.job_id)
        .bind(clamp(record.rtp_lost))
        .bind(record.cost.map(Money::units))
        .bind(clamp(record.rtp_foreign))
        .bind(clamp(record.udptl_foreign))
        .execute(self.pool())
        .await?;
        Ok(record)
    }

    /// The records of calls that started in `[from, to)`, oldest first; only `account`'s when
    /// given.
    pub async fn call_records(
        &self,
        account: Option<&str>,
        from: SystemTime,
        to: SystemTime,
    ) -> Result<Vec<CallRecord>> {
        let (from, to) = (record_time(from), record_time(to));
        let rows = match account {
            Some(account) => {
                sqlx::query(&format!(
                    "SELECT {RECORD_COLUMNS} FROM call_records \
                     WHERE account = $1 AND start >= $2 AND start < $3 ORDER BY start, id"
                ))
                .bind(account)
                .bind(&from)
                .bind(&to)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {RECORD_COLUMNS} FROM call_records \
                     WHERE start >= $1 AND start < $2 ORDER BY start, id"
                ))
                .bind(&from)
                .bind(&to)
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(record_from_row).collect()
    }

    /// Deletes the records of calls that started before `older_than`; returns how many.
    /// With [`records_cutoff`]: `purge_call_records(records_cutoff(now, months))`.
    /// Deletes the inbound records of `call_id`: a call whose commit failed got a record
    /// saying so, and the recovery pass that commits it later writes the one that stays.
    pub async fn forget_inbound_call_records(&self, call_id: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM call_records WHERE call_id = $1 AND direction = 'in'")
            .bind(call_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn purge_call_records(&self, older_than: SystemTime) -> Result<u64> {
        let done = sqlx::query("DELETE FROM call_records WHERE start < $1")
            .bind(record_time(older_than))
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_sort_as_text() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_766_952_345);
        assert_eq!(record_time(t), "2026-11-27T08:09:12.345Z");
        let whole = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_766_952);
        assert_eq!(record_time(whole), "2026-11-27T08:09:12.000Z");
        assert!(record_time(whole) < record_time(t));
    }

    #[test]
    fn cutoff_is_calendar_months() {
        let now = faxvox_spool::parse_rfc3339("2026-03-31T10:00:00Z").unwrap();
        assert_eq!(
            record_time(records_cutoff(now, 1)),
            "2026-02-28T10:00:00.000Z"
        );
        assert_eq!(
            record_time(records_cutoff(now, 12)),
            "2025-03-31T10:00:00.000Z"
        );
        assert_eq!(records_cutoff(now, 0), now);
    }
}
