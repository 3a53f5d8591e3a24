//! The outbound fax queue in the shared database: what lets any node send a fax another node
//! accepted, exactly once, charged once.
//!
//! A submitted fax is a row of `outbound_faxes` (its facts as JSON, its schedule, its lease)
//! and its pages are rows of `outbound_documents` (the G4 TIFF, base64 in chunks), so every
//! node on the database can read them. The node that accepted it also keeps a spool job (the
//! local record `faxvox spool list/show` and the API show); the database row is the truth.
//!
//! - [`Queue::claim`] takes the oldest due fax whose lease is free or expired, in one
//!   statement (a conditional `UPDATE … RETURNING`; on PostgreSQL the candidate is picked
//!   `FOR UPDATE SKIP LOCKED`), and gives it a new random lease token. Two dialers never hold
//!   the same fax: the second one's `UPDATE` finds the lease taken and changes nothing.
//! - Every later write ([`Queue::renew`], [`Queue::update_facts`], [`Queue::retry`],
//!   [`Queue::conclude`], [`Queue::done`]) is conditional on the token, so a dialer whose
//!   lease was taken over (it hung, or its node was cut off) changes nothing any more.
//! - [`Queue::conclude`] records the result and settles (or releases) the fax's reservation in
//!   ONE transaction, conditional on the token: the outcome and the charge commit together
//!   or not at all, and the reservation settles once whatever happens
//!   (a settlement is idempotent, like [`crate::billing::Billing::settle`]).
//!
//! A fax whose node died mid-call keeps its row `queued` with the dead node's lease; once the
//! lease has expired, another node claims it and sends it again from the first page not
//! recorded as confirmed.

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};
use sqlx::{AnyPool, Row};
use thiserror::Error;

use crate::billing::ledger::{release_on, settle_on};
use crate::billing::{Billing, BillingError};
use crate::directory::records::record_time;
use crate::directory::{Backend, Directory};
use crate::money::Money;

/// Raw bytes per row of `outbound_documents`.
const CHUNK: usize = 512 * 1024;

/// Why a queue operation failed.
#[derive(Debug, Error)]
pub enum QueueError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Billing(#[from] BillingError),
    /// Another dialer holds the fax now (our lease expired and was taken over).
    #[error("the lease on fax {0} is lost: another node holds it")]
    LeaseLost(String),
    #[error("outbound queue: {0}")]
    Corrupt(String),
}

/// Where a fax stands in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueState {
    /// Waiting for its (next) attempt, or being sent.
    Queued,
    /// Result recorded and the reservation closed; the status email is not queued yet.
    Final,
    /// Over (`outcome` says delivered or dead).
    Done,
}

impl QueueState {
    fn parse(s: &str) -> Result<QueueState, QueueError> {
        match s {
            "queued" => Ok(QueueState::Queued),
            "final" => Ok(QueueState::Final),
            "done" => Ok(QueueState::Done),
            other => Err(QueueError::Corrupt(format!("unknown state `{other}`"))),
        }
    }
}

/// A fax held by one dialer until `expires` (renew with [`Queue::renew`]).
#[derive(Debug, Clone)]
pub struct Leased {
    pub id: String,
    /// The spool that took the fax in.
    pub origin: String,
    pub state: QueueState,
    /// The job facts (submission, attempts, result…).
    pub facts: Map<String, Value>,
    /// The first claim's time (the retry budget counts from it).
    pub first_attempt: SystemTime,
    /// Claims so far, this one included (the retry schedule counts them).
    pub claims: u32,
    /// Stamp the header line on the pages sent (the column `header`, from the facts).
    pub header: bool,
    /// Proof of this claim: a later claim gets another.
    pub token: String,
    pub expires: SystemTime,
}

/// One fax as stored (for listings, the reconciliation and the local record's update).
#[derive(Debug, Clone)]
pub struct QueuedFax {
    pub id: String,
    pub origin: String,
    pub state: QueueState,
    /// `delivered` or `dead` once done.
    pub outcome: Option<String>,
    pub facts: Map<String, Value>,
    pub problem: Option<String>,
    pub lease_owner: Option<String>,
}

/// How a fax ends in [`Queue::conclude`].
#[derive(Debug, Clone)]
pub struct Conclusion<'a> {
    /// The reservation to settle for `pages_confirmed` (0: release it).
    pub reservation: &'a str,
    pub pages_confirmed: u32,
    /// Kept in the reservation as its close reason (the ending was not the fax's own).
    pub close_reason: Option<&'a str>,
    /// `None`: `final` (a status email is still to be queued, [`Queue::done`] ends it);
    /// `Some(outcome)`: done at once, with that outcome (`delivered` / `dead`).
    pub done: Option<&'a str>,
    /// The summary kept as the row's `problem`.
    pub summary: &'a str,
}

/// The queue on the directory's database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Queue {
    pool: AnyPool,
    backend: Backend,
    billing: Billing,
    /// Faxes of one account leased for dialling at once (and one per destination); `None`:
    /// no limit (the queue's own tests, one-shot use).
    max_active_per_account: Option<u32>,
}

fn parse_time(s: &str) -> Option<SystemTime> {
    faxvox_spool::parse_rfc3339(s)
}

fn facts_json(facts: &Map<String, Value>) -> String {
    Value::Object(facts.clone()).to_string()
}

fn parse_facts(s: &str) -> Result<Map<String, Value>, QueueError> {
    match serde_json::from_str(s) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(QueueError::Corrupt("facts are no JSON object".into())),
        Err(e) => Err(QueueError::Corrupt(format!("facts: {e}"))),
    }
}

impl Queue {
    /// The queue on `directory`'s database; `billing` settles in the same transactions.
    pub fn new(directory: &Directory, billing: &Billing) -> Queue {
        Queue {
            pool: directory.pool().clone(),
            backend: directory.backend(),
            billing: billing.clone(),
            max_active_per_account: None,
        }
    }

    /// Claims only while fewer than `n` faxes of the fax's account are being dialled (by any
    /// node) and none to its destination number: the others wait their turn.
    pub fn with_max_active_per_account(mut self, n: u32) -> Queue {
        self.max_active_per_account = Some(n.max(1));
        self
    }

    /// Queues fax `id` (facts `facts`, taken in by spool `origin`) with its `document`, due
    /// at once. False when it was queued already (the same fax twice is one fax).
    pub async fn enqueue(
        &self,
        id: &str,
        account: &str,
        origin: &str,
        facts: &Map<String, Value>,
        document: &[u8],
        now: SystemTime,
    ) -> Result<bool, QueueError> {
        let at = record_time(now);
        let _gate = self.billing.write_gate().await;
        let mut tx = self.pool.begin().await?;
        let added = sqlx::query(
            "INSERT INTO outbound_faxes (id, account, origin, state, facts, next_attempt, \
             claims, created_at, updated_at, destination, header) \
             VALUES ($1, $2, $3, 'queued', $4, $5, 0, $6, $7, $8, $9) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(account)
        .bind(origin)
        .bind(facts_json(facts))
        .bind(&at)
        .bind(&at)
        .bind(&at)
        .bind(facts.get("to").and_then(Value::as_str).map(str::to_string))
        .bind(i64::from(
            facts.get("header").and_then(Value::as_bool).unwrap_or(true),
        ))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if added {
            for (seq, chunk) in document.chunks(CHUNK).enumerate() {
                sqlx::query(
                    "INSERT INTO outbound_documents (fax_id, seq, data) VALUES ($1, $2, $3)",
                )
                .bind(id)
                .bind(seq as i64)
                .bind(base64::encode(chunk))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    /// The document of fax `id` (the G4 TIFF as submitted).
    pub async fn document(&self, id: &str) -> Result<Vec<u8>, QueueError> {
        let rows =
            sqlx::query("SELECT data FROM outbound_documents WHERE fax_id = $1 ORDER BY seq")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        let mut out = Vec::new();
        for row in rows {
            let data: String = row.try_get("data")?;
            out.extend(
                base64::decode(&data)
                    .ok_or_else(|| QueueError::Corrupt(format!("document of {id}: bad base64")))?,
            );
        }
        if out.is_empty() {
            return Err(QueueError::Corrupt(format!("fax {id} has no document")));
        }
        Ok(out)
    }

    /// Takes the oldest due fax (queued and due, or final: its status email is left to
    /// queue) whose lease is free or expired, for `owner` until `now + lease`. One statement:
    /// two dialers never get the same fax.
    pub async fn claim(
        &self,
        owner: &str,
        now: SystemTime,
        lease: Duration,
    ) -> Result<Option<Leased>, QueueError> {
        let at = record_time(now);
        let expires = now.checked_add(lease).unwrap_or(now);
        let token = new_token();
        // PostgreSQL: concurrent claimers skip the row another is taking instead of queueing
        // behind it. SQLite has one writer at a time; the statement is atomic there anyway.
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        // With a limit, a queued fax (not a final one: its status email dials nothing) is a
        // candidate only while its account has fewer than the limit being dialled (leased
        // and queued) and nobody dials its destination.
        let limit = match self.max_active_per_account {
            Some(_) => {
                "AND (f.state = 'final' OR ((SELECT COUNT(*) FROM outbound_faxes a \
                 WHERE a.account = f.account AND a.state = 'queued' AND a.lease_expires > $9) < $10 \
                 AND (f.destination IS NULL OR NOT EXISTS (SELECT 1 FROM outbound_faxes d \
                 WHERE d.destination = f.destination AND d.state = 'queued' \
                 AND d.lease_expires > $11)))) "
            }
            None => "",
        };
        let sql = format!(
            "UPDATE outbound_faxes SET lease_owner = $1, lease_token = $2, lease_expires = $3, \
             claims = claims + (CASE WHEN state = 'queued' THEN 1 ELSE 0 END), \
             first_attempt = COALESCE(first_attempt, $4), updated_at = $5 \
             WHERE id = (SELECT f.id FROM outbound_faxes f WHERE f.state IN ('queued', 'final') \
                 AND f.next_attempt <= $6 AND (f.lease_expires IS NULL OR f.lease_expires <= $7) \
                 {limit}ORDER BY f.next_attempt, f.id LIMIT 1{lock}) \
             AND state IN ('queued', 'final') AND (lease_expires IS NULL OR lease_expires <= $8) \
             RETURNING id, origin, state, facts, first_attempt, claims, header"
        );
        let _gate = self.billing.write_gate().await;
        let mut query = sqlx::query(&sql)
            .bind(owner)
            .bind(&token)
            .bind(record_time(expires))
            .bind(&at)
            .bind(&at)
            .bind(&at)
            .bind(&at)
            .bind(&at);
        if let Some(n) = self.max_active_per_account {
            query = query.bind(&at).bind(i64::from(n)).bind(&at);
        }
        // The counts must see every other node's claims: on PostgreSQL the claims with a
        // limit take turns under a transaction-scoped advisory lock (each statement then
        // reads what the previous claim committed). SQLite writes one at a time anyway.
        let row = match (self.max_active_per_account, self.backend) {
            (Some(_), Backend::Postgres) => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock(7242014)")
                    .execute(&mut *tx)
                    .await?;
                let row = query.fetch_optional(&mut *tx).await?;
                tx.commit().await?;
                row
            }
            _ => query.fetch_optional(&self.pool).await?,
        };
        let Some(row) = row else {
            return Ok(None);
        };
        let state: String = row.try_get("state")?;
        let first: Option<String> = row.try_get("first_attempt")?;
        let claims: i64 = row.try_get("claims")?;
        Ok(Some(Leased {
            id: row.try_get("id")?,
            origin: row.try_get("origin")?,
            state: QueueState::parse(&state)?,
            facts: parse_facts(&row.try_get::<String, _>("facts")?)?,
            first_attempt: first.as_deref().and_then(parse_time).unwrap_or(now),
            claims: u32::try_from(claims.max(1)).unwrap_or(u32::MAX),
            header: row.try_get::<i64, _>("header")? != 0,
            token,
            expires,
        }))
    }

    /// Extends the lease to `now + lease`; [`QueueError::LeaseLost`] when another holds it.
    pub async fn renew(
        &self,
        leased: &mut Leased,
        now: SystemTime,
        lease: Duration,
    ) -> Result<(), QueueError> {
        let expires = now.checked_add(lease).unwrap_or(now);
        let n = sqlx::query(
            "UPDATE outbound_faxes SET lease_expires = $1 WHERE id = $2 AND lease_token = $3",
        )
        .bind(record_time(expires))
        .bind(&leased.id)
        .bind(&leased.token)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(QueueError::LeaseLost(leased.id.clone()));
        }
        leased.expires = expires;
        Ok(())
    }

    /// Stores `leased.facts` (attempts so far…).
    pub async fn update_facts(&self, leased: &Leased, now: SystemTime) -> Result<(), QueueError> {
        let n = sqlx::query(
            "UPDATE outbound_faxes SET facts = $1, updated_at = $2 \
             WHERE id = $3 AND lease_token = $4",
        )
        .bind(facts_json(&leased.facts))
        .bind(record_time(now))
        .bind(&leased.id)
        .bind(&leased.token)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(QueueError::LeaseLost(leased.id.clone()));
        }
        Ok(())
    }

    /// Gives the fax back, due again at `next` (`problem`: why), with `leased.facts`.
    pub async fn retry(
        &self,
        leased: &Leased,
        now: SystemTime,
        next: SystemTime,
        problem: &str,
    ) -> Result<(), QueueError> {
        let n = sqlx::query(
            "UPDATE outbound_faxes SET facts = $1, next_attempt = $2, problem = $3, \
             lease_owner = NULL, lease_token = NULL, lease_expires = NULL, updated_at = $4 \
             WHERE id = $5 AND lease_token = $6 AND state = 'queued'",
        )
        .bind(facts_json(&leased.facts))
        .bind(record_time(next))
        .bind(problem)
        .bind(record_time(now))
        .bind(&leased.id)
        .bind(&leased.token)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(QueueError::LeaseLost(leased.id.clone()));
        }
        Ok(())
    }

    /// Records the fax's end (`leased.facts`, with its result) and settles its reservation
    /// for the pages confirmed (or releases it), in one transaction that commits only while
    /// this lease holds; returns what was charged. A reservation already released or gone
    /// charges nothing (as before the queue: the fax still ends).
    pub async fn conclude(
        &self,
        leased: &mut Leased,
        now: SystemTime,
        end: &Conclusion<'_>,
    ) -> Result<Money, QueueError> {
        let at = record_time(now);
        let _gate = self.billing.write_gate().await;
        let mut tx = self.pool.begin().await?;
        let state = if end.done.is_some() { "done" } else { "final" };
        let n = sqlx::query(
            "UPDATE outbound_faxes SET state = $1, outcome = $2, facts = $3, problem = $4, \
             next_attempt = $5, updated_at = $6 \
             WHERE id = $7 AND lease_token = $8 AND state IN ('queued', 'final')",
        )
        .bind(state)
        .bind(end.done)
        .bind(facts_json(&leased.facts))
        .bind(end.summary)
        .bind(&at)
        .bind(&at)
        .bind(&leased.id)
        .bind(&leased.token)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            tx.rollback().await?;
            return Err(QueueError::LeaseLost(leased.id.clone()));
        }
        let billed = if end.pages_confirmed > 0 {
            settle_on(&mut tx, end.reservation, end.pages_confirmed, now).await
        } else {
            release_on(&mut tx, end.reservation, end.close_reason, now)
                .await
                .map(|()| Money::ZERO)
        };
        let charged = match billed {
            Ok(c) => c,
            Err(e @ (BillingError::AlreadyReleased(_) | BillingError::UnknownReservation(_))) => {
                tracing::error!(fax = %leased.id, error = %e, "reservation unusable: nothing charged for this fax");
                Money::ZERO
            }
            Err(e) => {
                tx.rollback().await?;
                return Err(e.into());
            }
        };
        if let (Some(reason), true) = (end.close_reason, end.pages_confirmed > 0) {
            sqlx::query(
                "UPDATE reservations SET close_reason = $1 WHERE id = $2 AND close_reason IS NULL",
            )
            .bind(reason)
            .bind(end.reservation)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        leased.state = if end.done.is_some() {
            QueueState::Done
        } else {
            QueueState::Final
        };
        Ok(charged)
    }

    /// Ends a final fax (its status email is queued): `outcome` (`delivered` / `dead`),
    /// `summary`, `leased.facts`; the lease is let go.
    pub async fn done(
        &self,
        leased: &mut Leased,
        now: SystemTime,
        outcome: &str,
        summary: &str,
    ) -> Result<(), QueueError> {
        let n = sqlx::query(
            "UPDATE outbound_faxes SET state = 'done', outcome = $1, problem = $2, facts = $3, \
             lease_owner = NULL, lease_token = NULL, lease_expires = NULL, updated_at = $4 \
             WHERE id = $5 AND lease_token = $6",
        )
        .bind(outcome)
        .bind(summary)
        .bind(facts_json(&leased.facts))
        .bind(record_time(now))
        .bind(&leased.id)
        .bind(&leased.token)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(QueueError::LeaseLost(leased.id.clone()));
        }
        leased.state = QueueState::Done;
        Ok(())
    }

    /// Fax `id` as stored, if queued here.
    pub async fn get(&self, id: &str) -> Result<Option<QueuedFax>, QueueError> {
        let row = sqlx::query(
            "SELECT id, origin, state, outcome, facts, problem, lease_owner FROM outbound_faxes \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| queued_fax(&row)).transpose()
    }

    /// The faxes taken in by spool `origin` that ended (done) since `since`, for bringing
    /// that spool's records up to date.
    pub async fn done_since(
        &self,
        origin: &str,
        since: SystemTime,
    ) -> Result<Vec<QueuedFax>, QueueError> {
        let rows = sqlx::query(
            "SELECT id, origin, state, outcome, facts, problem, lease_owner FROM outbound_faxes \
             WHERE origin = $1 AND state = 'done' AND updated_at >= $2 ORDER BY id",
        )
        .bind(origin)
        .bind(record_time(since))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(queued_fax).collect()
    }
}

fn queued_fax(row: &sqlx::any::AnyRow) -> Result<QueuedFax, QueueError> {
    let state: String = row.try_get("state")?;
    Ok(QueuedFax {
        id: row.try_get("id")?,
        origin: row.try_get("origin")?,
        state: QueueState::parse(&state)?,
        outcome: row.try_get("outcome")?,
        facts: parse_facts(&row.try_get::<String, _>("facts")?)?,
        problem: row.try_get("problem")?,
        lease_owner: row.try_get("lease_owner")?,
    })
}

fn new_token() -> String {
    let mut bytes = [0u8; 12];
    rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64 with padding: documents are stored as text, the one type every database
/// stores the same way.
mod base64 {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    pub fn decode(text: &str) -> Option<Vec<u8>> {
        let text = text.as_bytes();
        if !text.len().is_multiple_of(4) {
            return None;
        }
        let value = |c: u8| -> Option<u32> {
            Some(match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            } as u32)
        };
        let mut out = Vec::with_capacity(text.len() / 4 * 3);
        for quad in text.chunks(4) {
            let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
            if pad > 2 {
                return None;
            }
            let mut n = 0u32;
            for &c in &quad[..4 - pad] {
                n = (n << 6) | value(c)?;
            }
            n <<= 6 * pad as u32;
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&bytes[..3 - pad]);
        }
        Some(out)
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn round_trips() {
            for len in 0..40usize {
                let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
                let text = super::encode(&bytes);
                assert_eq!(super::decode(&text).unwrap(), bytes, "{len}");
            }
            assert_eq!(super::encode(b"foobar"), "Zm9vYmFy");
            assert_eq!(super::encode(b"fo"), "Zm8=");
        }
    }
}
