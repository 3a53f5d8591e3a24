//! The ledger: ceilings, deposits, reservations and their settlement, threshold notices and
//! account states. See the module documentation of [`crate::billing`] for the rules and the
//! locking.

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{new_id, period_of, Billing, BillingError, Money, Quote, Result};
use crate::directory::is_unique_violation;
use crate::directory::records::record_time;
use crate::directory::validate;

/// What an account may send. Receiving is never affected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountState {
    /// Sends within its ceiling.
    Active,
    /// Documents missing: sends only to the operator's own numbers (lines of the directory).
    Restricted,
    /// Nothing goes out.
    Suspended,
}

impl AccountState {
    /// The word stored in `accounts.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Active => "active",
            AccountState::Restricted => "restricted",
            AccountState::Suspended => "suspended",
        }
    }
}

impl fmt::Display for AccountState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccountState {
    type Err = BillingError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "active" => AccountState::Active,
            "restricted" => AccountState::Restricted,
            "suspended" => AccountState::Suspended,
            other => return Err(BillingError::InvalidState(other.to_string())),
        })
    }
}

/// Money held for one fax, returned by [`Billing::reserve`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reservation {
    /// Give it to [`Billing::settle`] or [`Billing::release`].
    pub id: String,
    pub account: String,
    pub fax_id: String,
    pub prefix: String,
    pub rate_per_page: Money,
    pub pages: u32,
    pub amount: Money,
    /// `YYYY-MM` (UTC) the charge will count in.
    pub period: String,
    /// Threshold notices this reservation crossed (new ones only): email them, then
    /// [`Billing::mark_notice_sent`].
    pub notices: Vec<Notice>,
}

/// Where a reservation is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReservationState {
    /// Money held while the fax is being sent.
    Open,
    /// Charged (`charged`, possibly zero) and the rest released.
    Settled,
    /// Given back whole.
    Released,
}

/// A reservation as stored, for lookups ([`Billing::reservation`],
/// [`Billing::reservation_for_fax`]) and statements ([`Billing::charges`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReservationRecord {
    pub id: String,
    pub account: String,
    pub fax_id: String,
    pub prefix: String,
    pub rate_per_page: Money,
    /// Pages reserved.
    pub pages: u32,
    pub amount: Money,
    pub state: ReservationState,
    /// Pages charged when settled.
    pub pages_charged: u32,
    pub charged: Money,
    /// `YYYY-MM` (UTC) of the submission: where the charge counts.
    pub period: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub closed_at: Option<String>,
    /// The spool that took the fax in (`None`: made before reservations named it).
    pub origin: Option<String>,
    /// Why it was closed, when not by the fax's own settlement (the reconciliation sweep,
    /// a submission that could not be queued).
    pub close_reason: Option<String>,
}

const RESERVATION_COLUMNS: &str = "id, account, fax_id, prefix, rate, pages, amount, state, \
     pages_charged, charged, period, created_at, closed_at, origin, close_reason";

fn reservation_from_row(row: &AnyRow) -> Result<ReservationRecord> {
    let state: String = row.try_get("state")?;
    let count = |name: &str| -> Result<u32> {
        let v: i64 = row.try_get(name)?;
        u32::try_from(v).map_err(|_| BillingError::Corrupt(format!("reservation {name} {v}")))
    };
    Ok(ReservationRecord {
        id: row.try_get("id")?,
        account: row.try_get("account")?,
        fax_id: row.try_get("fax_id")?,
        prefix: row.try_get("prefix")?,
        rate_per_page: Money(row.try_get("rate")?),
        pages: count("pages")?,
        amount: Money(row.try_get("amount")?),
        state: match state.as_str() {
            "open" => ReservationState::Open,
            "settled" => ReservationState::Settled,
            "released" => ReservationState::Released,
            other => {
                return Err(BillingError::Corrupt(format!(
                    "reservation state `{other}`"
                )))
            }
        },
        pages_charged: count("pages_charged")?,
        charged: Money(row.try_get("charged")?),
        period: row.try_get("period")?,
        created_at: row.try_get("created_at")?,
        closed_at: row.try_get("closed_at")?,
        origin: row.try_get("origin")?,
        close_reason: row.try_get("close_reason")?,
    })
}

/// "You have used 80 % (or 100 %) of your out-of-plan ceiling this month", to email once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub id: String,
    pub account: String,
    pub period: String,
    /// 80 or 100.
    pub threshold: u8,
    /// Used + reserved when it was crossed.
    pub consumed: Money,
    /// Ceiling + deposits then.
    pub limit: Money,
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// An account's position in the current period (`faxvox billing status`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BillingStatus {
    pub account: String,
    /// `YYYY-MM`, UTC.
    pub period: String,
    pub state: AccountState,
    /// The account's own ceiling, else the default.
    pub ceiling: Money,
    /// True when `ceiling` is `billing.default_ceiling`.
    pub default_ceiling: bool,
    /// Deposits made this period.
    pub deposits: Money,
    /// `ceiling + deposits`.
    pub limit: Money,
    /// Charged this period.
    pub used: Money,
    /// Held by faxes being sent.
    pub reserved: Money,
    /// `limit - used - reserved`, never below zero.
    pub remaining: Money,
}

/// One entry of the state log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StateChange {
    pub account: String,
    pub from: String,
    pub to: AccountState,
    pub by: String,
    /// RFC 3339 UTC.
    pub at: String,
    pub reason: Option<String>,
    /// False when the account already was in `to` (nothing logged).
    pub changed: bool,
}

/// Sums of one account for one period.
struct Totals {
    used: Money,
    reserved: Money,
    deposits: Money,
    own_ceiling: Option<Money>,
}

/// Charges of the period, open reservations of any period, deposits of the period, own ceiling.
const TOTALS_SQL: &str = "SELECT \
     (SELECT COALESCE(CAST(SUM(charged) AS BIGINT), 0) FROM reservations \
        WHERE account = $1 AND state = 'settled' AND period = $2) AS used, \
     (SELECT COALESCE(CAST(SUM(amount) AS BIGINT), 0) FROM reservations \
        WHERE account = $1 AND state = 'open') AS reserved, \
     (SELECT COALESCE(CAST(SUM(amount) AS BIGINT), 0) FROM deposits \
        WHERE account = $1 AND period = $2) AS deposits, \
     (SELECT ceiling FROM account_ceilings WHERE account = $1) AS own_ceiling";

async fn totals(conn: &mut AnyConnection, account: &str, period: &str) -> Result<Totals> {
    let row = sqlx::query(TOTALS_SQL)
        .bind(account)
        .bind(period)
        .fetch_one(conn)
        .await?;
    Ok(Totals {
        used: Money(row.try_get("used")?),
        reserved: Money(row.try_get("reserved")?),
        deposits: Money(row.try_get("deposits")?),
        own_ceiling: row.try_get::<Option<i64>, _>("own_ceiling")?.map(Money),
    })
}

fn notice_from_row(row: &AnyRow) -> Result<Notice> {
    let threshold: i64 = row.try_get("threshold")?;
    Ok(Notice {
        id: row.try_get("id")?,
        account: row.try_get("account")?,
        period: row.try_get("period")?,
        threshold: u8::try_from(threshold)
            .map_err(|_| BillingError::Corrupt(format!("notice threshold {threshold}")))?,
        consumed: Money(row.try_get("consumed")?),
        limit: Money(row.try_get("total_limit")?),
        created_at: row.try_get("created_at")?,
        sent_at: row.try_get("sent_at")?,
    })
}

/// Whether `number` (E.164) is one of the operator's own lines: where a restricted account
/// may still send.
async fn is_our_line(conn: &mut AnyConnection, number: &str) -> Result<bool> {
    let found: Option<String> = sqlx::query_scalar("SELECT number FROM lines WHERE number = $1")
        .bind(number)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

/// Takes the account's write lock for the rest of the transaction (row lock on PostgreSQL,
/// database write lock on SQLite) and returns its state; `None` when there is no such account.
async fn lock_account(conn: &mut AnyConnection, account: &str) -> Result<Option<AccountState>> {
    let state: Option<String> =
        sqlx::query_scalar("UPDATE accounts SET state = state WHERE id = $1 RETURNING state")
            .bind(account)
            .fetch_optional(conn)
            .await?;
    state.map(|s| s.parse()).transpose()
}

/// [`Billing::settle`] inside the caller's transaction `conn` (the dialer records the fax's
/// outcome in the same one, so a settlement and its outcome commit together or not at all).
/// Idempotent like [`Billing::settle`].
pub(crate) async fn settle_on(
    conn: &mut AnyConnection,
    reservation: &str,
    pages_confirmed: u32,
    now: SystemTime,
) -> Result<Money> {
    // Row lock (PostgreSQL) / write lock (SQLite) first: two settlements cannot interleave.
    sqlx::query("UPDATE reservations SET state = state WHERE id = $1")
        .bind(reservation)
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query(
        "SELECT account, fax_id, state, rate, pages, amount, charged FROM reservations \
         WHERE id = $1",
    )
    .bind(reservation)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| BillingError::UnknownReservation(reservation.to_string()))?;
    let state: String = row.try_get("state")?;
    match state.as_str() {
        "settled" => return Ok(Money(row.try_get("charged")?)),
        "released" => return Err(BillingError::AlreadyReleased(reservation.to_string())),
        _ => {}
    }
    let rate = Money(row.try_get("rate")?);
    let reserved_pages: i64 = row.try_get("pages")?;
    let amount = Money(row.try_get("amount")?);
    let pages = i64::from(pages_confirmed).min(reserved_pages).max(0);
    let charged = super::charge_for(
        rate,
        u32::try_from(reserved_pages.max(0)).unwrap_or(u32::MAX),
        amount,
        pages_confirmed,
    )?;
    let account: String = row.try_get("account")?;
    let fax_id: String = row.try_get("fax_id")?;
    if i64::from(pages_confirmed) > reserved_pages {
        tracing::warn!(
            %account, %fax_id, pages_confirmed, reserved_pages,
            "more pages confirmed than reserved: charging the reserved pages"
        );
    }
    sqlx::query(
        "UPDATE reservations SET state = 'settled', pages_charged = $2, charged = $3, \
         closed_at = $4 WHERE id = $1 AND state = 'open'",
    )
    .bind(reservation)
    .bind(pages)
    .bind(charged.units())
    .bind(record_time(now))
    .execute(&mut *conn)
    .await?;
    tracing::info!(%account, %fax_id, reservation, pages, %charged, "reservation settled");
    Ok(charged)
}

/// Releases reservation `reservation` inside the caller's transaction `conn` (see
/// [`settle_on`]). Idempotent; a settled reservation cannot be released.
pub(crate) async fn release_on(
    conn: &mut AnyConnection,
    reservation: &str,
    reason: Option<&str>,
    now: SystemTime,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE reservations SET state = 'released', closed_at = $2, close_reason = $3 \
         WHERE id = $1 AND state = 'open'",
    )
    .bind(reservation)
    .bind(record_time(now))
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        tracing::info!(reservation, reason, "reservation released");
        return Ok(());
    }
    let state: Option<String> = sqlx::query_scalar("SELECT state FROM reservations WHERE id = $1")
        .bind(reservation)
        .fetch_optional(&mut *conn)
        .await?;
    match state.as_deref() {
        None => Err(BillingError::UnknownReservation(reservation.to_string())),
        Some("settled") => Err(BillingError::AlreadySettled(reservation.to_string())),
        _ => Ok(()),
    }
}

async fn account_state(conn: &mut AnyConnection, account: &str) -> Result<Option<AccountState>> {
    let state: Option<String> = sqlx::query_scalar("SELECT state FROM accounts WHERE id = $1")
        .bind(account)
        .fetch_optional(conn)
        .await?;
    state.map(|s| s.parse()).transpose()
}

/// Records the notice for `threshold` unless the period already has one; the new notice or
/// `None`.
async fn record_notice(
    conn: &mut AnyConnection,
    account: &str,
    period: &str,
    threshold: u8,
    consumed: Money,
    limit: Money,
    now: SystemTime,
) -> Result<Option<Notice>> {
    let notice = Notice {
        id: new_id(now),
        account: account.to_string(),
        period: period.to_string(),
        threshold,
        consumed,
        limit,
        created_at: record_time(now),
        sent_at: None,
    };
    let done = sqlx::query(
        "INSERT INTO billing_notices \
         (id, account, period, threshold, consumed, total_limit, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (account, period, threshold) DO NOTHING",
    )
    .bind(&notice.id)
    .bind(account)
    .bind(period)
    .bind(i64::from(threshold))
    .bind(consumed.units())
    .bind(limit.units())
    .bind(&notice.created_at)
    .execute(conn)
    .await?;
    if done.rows_affected() == 1 {
        tracing::info!(account, period, threshold, %consumed, %limit, "ceiling notice recorded");
        Ok(Some(notice))
    } else {
        Ok(None)
    }
}

/// True when `consumed` is at least `percent` % of `limit` (exact integer arithmetic).
fn reaches(consumed: Money, limit: Money, percent: u8) -> bool {
    consumed.units() > 0
        && i128::from(consumed.units()) * 100 >= i128::from(limit.units()) * i128::from(percent)
}

impl Billing {
    pub(crate) async fn require_account(&self, account: &str) -> Result<()> {
        let found: Option<String> = sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1")
            .bind(account)
            .fetch_optional(self.pool())
            .await?;
        found
            .map(|_| ())
            .ok_or_else(|| BillingError::UnknownAccount(account.to_string()))
    }

    fn limit_of(&self, t: &Totals) -> Result<(Money, Money)> {
        let ceiling = t.own_ceiling.unwrap_or(self.default_ceiling);
        let limit = ceiling
            .checked_add(t.deposits)
            .ok_or(BillingError::Overflow)?;
        Ok((ceiling, limit))
    }

    /// Holds `quote.amount` for fax `fax_id` before dialling, atomically against the limit
    /// of `now`'s period: refused with [`BillingError::CeilingReached`] (and the 100 % notice
    /// recorded) when used + reserved + amount would pass ceiling + deposits, with
    /// [`BillingError::AccountSuspended`] for a suspended account, and
    /// [`BillingError::AccountRestricted`] for a restricted account sending to a number that is
    /// not one of the operator's lines — checked under the account's lock, so a state change
    /// racing the submission cannot let a fax through. The rate and pages are kept so that
    /// [`Billing::settle`] charges pages × that rate.
    pub async fn reserve(
        &self,
        account: &str,
        fax_id: &str,
        quote: &Quote,
        now: SystemTime,
    ) -> Result<Reservation> {
        self.reserve_from(account, fax_id, quote, None, now).await
    }

    /// [`Billing::reserve`] naming the spool that takes the fax in (`origin`), so that only
    /// that spool's reconciliation sweep ever closes the reservation (see
    /// [`Billing::open_reservations`]).
    pub async fn reserve_from(
        &self,
        account: &str,
        fax_id: &str,
        quote: &Quote,
        origin: Option<&str>,
        now: SystemTime,
    ) -> Result<Reservation> {
        let amount = quote.amount;
        if amount.is_negative() {
            return Err(BillingError::InvalidAmount(amount, "must not be negative"));
        }
        let period = period_of(now);
        let _gate = self.write_gate().await;
        let mut tx = self.pool().begin().await?;
        match lock_account(&mut tx, account).await? {
            None => return Err(BillingError::UnknownAccount(account.to_string())),
            Some(AccountState::Suspended) => {
                return Err(BillingError::AccountSuspended(account.to_string()))
            }
            Some(AccountState::Restricted) if !is_our_line(&mut tx, &quote.to).await? => {
                return Err(BillingError::AccountRestricted {
                    account: account.to_string(),
                    to: quote.to.clone(),
                })
            }
            Some(_) => {}
        }
        let t = totals(&mut tx, account, &period).await?;
        let (ceiling, limit) = self.limit_of(&t)?;
        let consumed = t
            .used
            .checked_add(t.reserved)
            .ok_or(BillingError::Overflow)?;
        let after = consumed.checked_add(amount);
        let refused = |t: &Totals| ceiling_reached(account, amount, t, ceiling, limit);
        let fits = after.is_some_and(|a| a <= limit);
        let inserted = if fits {
            let id = new_id(now);
            let result = sqlx::query(
                "INSERT INTO reservations \
                 (id, account, fax_id, prefix, rate, pages, amount, state, period, created_at, \
                  origin) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $11 \
                 WHERE (SELECT COALESCE(CAST(SUM(amount) AS BIGINT), 0) FROM reservations \
                        WHERE account = $2 AND state = 'open') \
                     + (SELECT COALESCE(CAST(SUM(charged) AS BIGINT), 0) FROM reservations \
                        WHERE account = $2 AND state = 'settled' AND period = $8) \
                     + $7 <= $10",
            )
            .bind(&id)
            .bind(account)
            .bind(fax_id)
            .bind(&quote.prefix)
            .bind(quote.rate_per_page.units())
            .bind(i64::from(quote.pages))
            .bind(amount.units())
            .bind(&period)
            .bind(record_time(now))
            .bind(limit.units())
            .bind(origin)
            .execute(&mut *tx)
            .await;
            match result {
                Err(e) if is_unique_violation(&e) => {
                    return Err(BillingError::DuplicateFax(fax_id.to_string()))
                }
                Err(e) => return Err(e.into()),
                Ok(done) => (done.rows_affected() == 1).then_some(id),
            }
        } else {
            None
        };
        let Some(id) = inserted else {
            drop(tx);
            let err = refused(&t);
            tracing::warn!(account, fax_id, %amount, %limit, "fax refused at the ceiling");
            let mut conn = self.pool().acquire().await?;
            record_notice(&mut conn, account, &period, 100, consumed, limit, now).await?;
            return Err(err);
        };
        let after = after.unwrap_or(Money::MAX);
        let mut notices = Vec::new();
        for threshold in [80, 100] {
            if reaches(after, limit, threshold) {
                if let Some(n) =
                    record_notice(&mut tx, account, &period, threshold, after, limit, now).await?
                {
                    notices.push(n);
                }
            }
        }
        tx.commit().await?;
        tracing::info!(account, fax_id, reservation = %id, %amount, "amount reserved");
        Ok(Reservation {
            id,
            account: account.to_string(),
            fax_id: fax_id.to_string(),
            prefix: quote.prefix.clone(),
            rate_per_page: quote.rate_per_page,
            pages: quote.pages,
            amount,
            period,
            notices,
        })
    }

    /// Refuses with [`BillingError::CeilingReached`] (recording the 100 % notice, as
    /// [`Billing::reserve`] does) when `quote.amount` does not fit under the account's limit
    /// now. Not a reservation: a cheap early check, so that a submission the ceiling would
    /// refuse anyway costs no rendering; [`Billing::reserve`] decides under the lock.
    pub async fn check_room(&self, account: &str, quote: &Quote, now: SystemTime) -> Result<()> {
        let period = period_of(now);
        let mut conn = self.pool().acquire().await?;
        let t = totals(&mut conn, account, &period).await?;
        let (ceiling, limit) = self.limit_of(&t)?;
        let consumed = t
            .used
            .checked_add(t.reserved)
            .ok_or(BillingError::Overflow)?;
        let amount = quote.amount;
        if consumed.checked_add(amount).is_some_and(|a| a <= limit) {
            return Ok(());
        }
        tracing::warn!(account, %amount, %limit, "fax refused at the ceiling before rendering");
        record_notice(&mut conn, account, &period, 100, consumed, limit, now).await?;
        Err(ceiling_reached(account, amount, &t, ceiling, limit))
    }

    /// Refuses what `account` may not send to `to_e164`: everything when suspended, anything
    /// but the operator's own numbers (lines of the directory) when restricted.
    pub async fn check_destination(&self, account: &str, to_e164: &str) -> Result<()> {
        let state = {
            let mut conn = self.pool().acquire().await?;
            account_state(&mut conn, account).await?
        };
        match state {
            None => Err(BillingError::UnknownAccount(account.to_string())),
            Some(AccountState::Active) => Ok(()),
            Some(AccountState::Suspended) => {
                Err(BillingError::AccountSuspended(account.to_string()))
            }
            Some(AccountState::Restricted) => {
                let restricted = || BillingError::AccountRestricted {
                    account: account.to_string(),
                    to: to_e164.to_string(),
                };
                let number = validate::normalize_number(to_e164).map_err(|_| restricted())?;
                let mut conn = self.pool().acquire().await?;
                if is_our_line(&mut conn, &number).await? {
                    Ok(())
                } else {
                    Err(restricted())
                }
            }
        }
    }

    /// Charges the pages the far end confirmed at the reserved rate (never more pages than
    /// reserved) and releases the rest; returns the charge. Idempotent: settling again
    /// returns the first charge. A released reservation cannot be settled.
    pub async fn settle(
        &self,
        reservation: &str,
        pages_confirmed: u32,
        now: SystemTime,
    ) -> Result<Money> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool().begin().await?;
        let charged = settle_on(&mut tx, reservation, pages_confirmed, now).await?;
        tx.commit().await?;
        Ok(charged)
    }

    /// Gives back the whole reservation (refused or failed before any page). Idempotent;
    /// a settled reservation cannot be released.
    pub async fn release(&self, reservation: &str) -> Result<()> {
        self.release_because(reservation, None, SystemTime::now())
            .await
    }

    /// [`Billing::release`] with the reason kept in the reservation (`billing log`): for
    /// releases that are not the fax's own ending (reconciliation, a failed submission).
    pub async fn release_because(
        &self,
        reservation: &str,
        reason: Option<&str>,
        now: SystemTime,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE reservations SET state = 'released', closed_at = $2, close_reason = $3 \
             WHERE id = $1 AND state = 'open'",
        )
        .bind(reservation)
        .bind(record_time(now))
        .bind(reason)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 1 {
            match reason {
                Some(reason) => {
                    tracing::warn!(reservation, reason, "reservation released")
                }
                None => tracing::info!(reservation, "reservation released"),
            }
            return Ok(());
        }
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM reservations WHERE id = $1")
                .bind(reservation)
                .fetch_optional(self.pool())
                .await?;
        match state.as_deref() {
            None => Err(BillingError::UnknownReservation(reservation.to_string())),
            Some("settled") => Err(BillingError::AlreadySettled(reservation.to_string())),
            _ => Ok(()),
        }
    }

    /// [`Billing::settle`] on behalf of a fax whose own ending did not (the reconciliation
    /// sweep), with the reason kept in the reservation.
    pub async fn settle_because(
        &self,
        reservation: &str,
        pages_confirmed: u32,
        reason: &str,
        now: SystemTime,
    ) -> Result<Money> {
        let charged = self.settle(reservation, pages_confirmed, now).await?;
        sqlx::query(
            "UPDATE reservations SET close_reason = $2 WHERE id = $1 AND close_reason IS NULL",
        )
        .bind(reservation)
        .bind(reason)
        .execute(self.pool())
        .await?;
        tracing::warn!(reservation, reason, %charged, "reservation settled by reconciliation");
        Ok(charged)
    }

    /// Open reservations taken for faxes of the spool `origin`, oldest first; with `legacy`,
    /// also those that name no spool (made before reservations did). For the reconciliation
    /// sweep: a node must never close another node's reservations.
    pub async fn open_reservations(
        &self,
        origin: &str,
        legacy: bool,
    ) -> Result<Vec<ReservationRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {RESERVATION_COLUMNS} FROM reservations \
             WHERE state = 'open' AND (origin = $1 OR ($2 = 1 AND origin IS NULL)) \
             ORDER BY created_at, id"
        ))
        .bind(origin)
        .bind(i64::from(legacy))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(reservation_from_row).collect()
    }

    /// The money held by every open reservation in the database (all accounts, all nodes):
    /// the `faxvox_reserved_euros` gauge.
    pub async fn reserved_total(&self) -> Result<Money> {
        let row = sqlx::query(
            "SELECT COALESCE(CAST(SUM(amount) AS BIGINT), 0) AS reserved FROM reservations \
             WHERE state = 'open'",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(Money(row.try_get("reserved")?))
    }

    /// Every reservation of `account` whose fax was submitted in `period` (`YYYY-MM`), or
    /// in any period, oldest first: what was held, charged and released, and why
    /// (`faxvox billing log`).
    pub async fn reservations_of(
        &self,
        account: &str,
        period: Option<&str>,
    ) -> Result<Vec<ReservationRecord>> {
        self.require_account(account).await?;
        let rows = sqlx::query(&format!(
            "SELECT {RESERVATION_COLUMNS} FROM reservations \
             WHERE account = $1 AND ($2 = '' OR period = $2) ORDER BY created_at, id"
        ))
        .bind(account)
        .bind(period.unwrap_or(""))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(reservation_from_row).collect()
    }

    /// Records a deposit: it raises the limit of `now`'s period at once, by `amount` (> 0).
    pub async fn deposit(
        &self,
        account: &str,
        amount: Money,
        note: Option<&str>,
        now: SystemTime,
    ) -> Result<()> {
        if amount <= Money::ZERO {
            return Err(BillingError::InvalidAmount(
                amount,
                "a deposit must be positive",
            ));
        }
        self.require_account(account).await?;
        let period = period_of(now);
        sqlx::query(
            "INSERT INTO deposits (id, account, amount, period, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id(now))
        .bind(account)
        .bind(amount.units())
        .bind(&period)
        .bind(note)
        .bind(record_time(now))
        .execute(self.pool())
        .await?;
        tracing::info!(account, %amount, period, "deposit recorded");
        Ok(())
    }

    /// Sets the account's own ceiling, or with `None` goes back to the default.
    pub async fn set_ceiling(
        &self,
        account: &str,
        ceiling: Option<Money>,
        now: SystemTime,
    ) -> Result<()> {
        self.require_account(account).await?;
        match ceiling {
            Some(c) if c.is_negative() => {
                return Err(BillingError::InvalidAmount(
                    c,
                    "a ceiling must not be negative",
                ))
            }
            Some(c) => {
                sqlx::query(
                    "INSERT INTO account_ceilings (account, ceiling, set_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (account) DO UPDATE SET ceiling = excluded.ceiling, \
                     set_at = excluded.set_at",
                )
                .bind(account)
                .bind(c.units())
                .bind(record_time(now))
                .execute(self.pool())
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM account_ceilings WHERE account = $1")
                    .bind(account)
                    .execute(self.pool())
                    .await?;
            }
        }
        tracing::info!(account, ceiling = ?ceiling.map(|c| c.to_string()), "ceiling set");
        Ok(())
    }

    /// Where the account stands in `now`'s period.
    pub async fn status(&self, account: &str, now: SystemTime) -> Result<BillingStatus> {
        let period = period_of(now);
        let mut conn = self.pool().acquire().await?;
        let state = account_state(&mut conn, account)
            .await?
            .ok_or_else(|| BillingError::UnknownAccount(account.to_string()))?;
        let t = totals(&mut conn, account, &period).await?;
        let (ceiling, limit) = self.limit_of(&t)?;
        let remaining = limit
            .checked_sub(t.used)
            .and_then(|r| r.checked_sub(t.reserved))
            .unwrap_or(Money::ZERO)
            .max(Money::ZERO);
        Ok(BillingStatus {
            account: account.to_string(),
            period,
            state,
            ceiling,
            default_ceiling: t.own_ceiling.is_none(),
            deposits: t.deposits,
            limit,
            used: t.used,
            reserved: t.reserved,
            remaining,
        })
    }

    /// One reservation by id.
    pub async fn reservation(&self, id: &str) -> Result<Option<ReservationRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {RESERVATION_COLUMNS} FROM reservations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(reservation_from_row).transpose()
    }

    /// The reservation of a fax (one at most): after a crash, or on
    /// [`BillingError::DuplicateFax`], to find what is held for it.
    pub async fn reservation_for_fax(&self, fax_id: &str) -> Result<Option<ReservationRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {RESERVATION_COLUMNS} FROM reservations WHERE fax_id = $1"
        ))
        .bind(fax_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(reservation_from_row).transpose()
    }

    /// The settled reservations of `account` counting in `period` (`YYYY-MM`), oldest first:
    /// their `charged` sum is the period's `used`.
    pub async fn charges(&self, account: &str, period: &str) -> Result<Vec<ReservationRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {RESERVATION_COLUMNS} FROM reservations \
             WHERE account = $1 AND period = $2 AND state = 'settled' ORDER BY created_at, id"
        ))
        .bind(account)
        .bind(period)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(reservation_from_row).collect()
    }

    /// Notices recorded but not yet marked sent, oldest first.
    pub async fn pending_notices(&self) -> Result<Vec<Notice>> {
        let rows = sqlx::query(
            "SELECT id, account, period, threshold, consumed, total_limit, created_at, sent_at \
             FROM billing_notices WHERE sent_at IS NULL \
             ORDER BY created_at, account, period, threshold",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(notice_from_row).collect()
    }

    /// Marks a notice as emailed.
    pub async fn mark_notice_sent(&self, notice: &str, now: SystemTime) -> Result<()> {
        sqlx::query("UPDATE billing_notices SET sent_at = $2 WHERE id = $1 AND sent_at IS NULL")
            .bind(notice)
            .bind(record_time(now))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Changes an account's state and logs who did it and why (nothing is logged when the
    /// account already is in `to`).
    pub async fn set_state(
        &self,
        account: &str,
        to: AccountState,
        by: &str,
        reason: Option<&str>,
        now: SystemTime,
    ) -> Result<StateChange> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool().begin().await?;
        let from: String =
            sqlx::query_scalar("UPDATE accounts SET state = state WHERE id = $1 RETURNING state")
                .bind(account)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| BillingError::UnknownAccount(account.to_string()))?;
        let change = StateChange {
            account: account.to_string(),
            from: from.clone(),
            to,
            by: by.to_string(),
            at: record_time(now),
            reason: reason.map(str::to_string),
            changed: from != to.as_str(),
        };
        if change.changed {
            sqlx::query("UPDATE accounts SET state = $2 WHERE id = $1")
                .bind(account)
                .bind(to.as_str())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO account_state_log \
                 (id, account, seq, from_state, to_state, changed_by, changed_at, reason) \
                 SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6, $7 \
                 FROM account_state_log WHERE account = $2",
            )
            .bind(new_id(now))
            .bind(account)
            .bind(&from)
            .bind(to.as_str())
            .bind(by)
            .bind(&change.at)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        if change.changed {
            tracing::info!(account, from = %from, to = %to, by, reason, "account state changed");
        }
        Ok(change)
    }

    /// The account's state changes, oldest first.
    pub async fn state_log(&self, account: &str) -> Result<Vec<StateChange>> {
        let rows = sqlx::query(
            "SELECT account, from_state, to_state, changed_by, changed_at, reason \
             FROM account_state_log WHERE account = $1 ORDER BY seq",
        )
        .bind(account)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let to: String = row.try_get("to_state")?;
                Ok(StateChange {
                    account: row.try_get("account")?,
                    from: row.try_get("from_state")?,
                    to: to.parse()?,
                    by: row.try_get("changed_by")?,
                    at: row.try_get("changed_at")?,
                    reason: row.try_get("reason")?,
                    changed: true,
                })
            })
            .collect()
    }
}

/// The refusal of `amount` for `account` whose month stands at `t` against `limit`.
fn ceiling_reached(
    account: &str,
    amount: Money,
    t: &Totals,
    ceiling: Money,
    limit: Money,
) -> BillingError {
    crate::metrics::metrics().ceiling_refusal();
    let consumed = t.used.checked_add(t.reserved).unwrap_or(Money::MAX);
    BillingError::CeilingReached {
        account: account.to_string(),
        amount,
        used: t.used,
        reserved: t.reserved,
        ceiling,
        deposits: t.deposits,
        limit,
        remaining: limit
            .checked_sub(consumed)
            .unwrap_or(Money::ZERO)
            .max(Money::ZERO),
    }
}
