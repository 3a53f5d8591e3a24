//! Billing of sent faxes: rate deck, out-of-plan ceiling, reservations, deposits, notices and
//! account states (issue 5, "the rules from the operator's terms of service").
//!
//! - **Money** is [`Money`]: integer ten-thousandths of a euro excl. tax, never a float.
//! - **Rates** ([`rates`]): price per page by destination prefix, dated; [`Billing::quote`]
//!   takes the longest prefix among the rates already valid, the newest for that prefix.
//! - **Period**: a calendar month in UTC (`YYYY-MM`), the same for every account whatever its
//!   time zone, so that the ceiling check is one string comparison and two gateways agree.
//! - **Limit** of a period = the account's ceiling (its own, else `billing.default_ceiling`)
//!   plus the deposits made in that period: a deposit raises the ceiling at once, for the
//!   month it is made in (the simplest reading of the terms), and does not carry over.
//! - **Consumption** = charges of the period (settled reservations of faxes submitted in it)
//!   plus every open reservation (money held for a fax being sent, whatever its period).
//!   A closed period's charges no longer count.
//! - **Reserve** before dialling ([`Billing::reserve`]): atomically refused with
//!   [`BillingError::CeilingReached`] when consumption + amount would pass the limit. Then
//!   [`Billing::settle`] charges the pages the far end confirmed at the reserved rate and
//!   releases the rest, or [`Billing::release`] gives everything back.
//! - **Notices**: when consumption reaches 80 % or 100 % of the limit (or a fax is refused at
//!   the ceiling), one notice per account, period and threshold is recorded; reserve and
//!   settle return the new ones and [`Billing::pending_notices`] lists those not yet emailed
//!   ([`Billing::mark_notice_sent`] after sending), so a crash between the two never loses one.
//! - **States** ([`AccountState`]): active; restricted (sends only to the operator's own
//!   numbers); suspended (nothing goes out). Receiving is never affected. Changes are logged.
//!
//! # Concurrency
//! A reservation is one transaction that first takes the account's write lock with a no-op
//! `UPDATE accounts SET state = state WHERE id = … RETURNING state` (which also reads the
//! state for the suspension check): on PostgreSQL that locks the account row
//! until commit (other reservations of the same account queue behind it, other accounts do
//! not), on SQLite the first write of a transaction takes the database write lock (a
//! `BEGIN IMMEDIATE` in effect; concurrent writers wait up to sqlx's 5 s busy timeout instead
//! of failing, and no read snapshot is taken before the lock, so no `SQLITE_BUSY_SNAPSHOT`).
//! Only then are the sums read and the reservation inserted, by a conditional
//! `INSERT … SELECT … WHERE sums + amount <= limit` that re-checks the ceiling in the database.
//! On SQLite the locking transactions of one process also queue on an in-memory mutex first,
//! because SQLite's busy handler makes a blocked writer sleep and poll rather than wake it.

use std::sync::Arc;
use std::time::SystemTime;

use sqlx::AnyPool;
use thiserror::Error;

use crate::directory::{Backend, Directory, DirectoryError};

pub mod ledger;
pub mod rates;
pub mod settings;
pub mod statement;

pub use crate::money::{Money, MoneyError};
pub use ledger::{
    AccountState, BillingStatus, Notice, Reservation, ReservationRecord, ReservationState,
    StateChange,
};
pub use rates::{Quote, Rate, RateImportError};
pub use settings::BillingConfig;

/// `billing.default_ceiling` when the configuration says nothing: 150.00 €.
pub const DEFAULT_CEILING: Money = Money(150 * Money::SCALE);

/// Why a billing operation failed; each message says what happened and what to do.
#[derive(Debug, Error)]
pub enum BillingError {
    #[error("unknown account `{0}`")]
    UnknownAccount(String),
    #[error("invalid destination number `{0}`: {1}")]
    InvalidNumber(String, String),
    #[error("no rate for {0}: import a rate deck covering it (faxvox rates import FILE.csv)")]
    NoRate(String),
    /// The fax would take consumption past the limit: refused before dialling.
    #[error(
        "out-of-plan ceiling reached for account `{account}`: this fax costs {amount} €, \
         {used} € used and {reserved} € reserved this period of a {limit} € limit \
         (ceiling {ceiling} € + deposits {deposits} €), {remaining} € remaining; \
         raise it with a deposit: faxvox billing deposit {account} AMOUNT"
    )]
    CeilingReached {
        account: String,
        amount: Money,
        used: Money,
        reserved: Money,
        /// The account's ceiling (own or default), without deposits.
        ceiling: Money,
        deposits: Money,
        /// ceiling + deposits.
        limit: Money,
        remaining: Money,
    },
    #[error("account `{0}` is suspended: nothing can be sent")]
    AccountSuspended(String),
    #[error(
        "account `{account}` is restricted (documents missing): it may only send to the \
         operator's own numbers, not to {to}"
    )]
    AccountRestricted { account: String, to: String },
    #[error("fax `{0}` already has a reservation")]
    DuplicateFax(String),
    #[error("unknown reservation `{0}`")]
    UnknownReservation(String),
    #[error("reservation `{0}` was released: nothing can be charged on it")]
    AlreadyReleased(String),
    #[error("reservation `{0}` is already settled: it cannot be released")]
    AlreadySettled(String),
    #[error("invalid amount {0}: {1}")]
    InvalidAmount(Money, &'static str),
    #[error("invalid account state `{0}`: expected active, restricted or suspended")]
    InvalidState(String),
    #[error("amount out of range")]
    Overflow,
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error(transparent)]
    Rates(#[from] RateImportError),
    #[error("corrupt billing data: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Result of billing operations.
pub type Result<T, E = BillingError> = std::result::Result<T, E>;

/// Billing on the directory's database (same pool, same migrations). Cheap to clone.
#[derive(Clone, Debug)]
pub struct Billing {
    pool: AnyPool,
    default_ceiling: Money,
    /// SQLite only: queues this process's locking transactions in memory. SQLite's busy
    /// handler makes a waiting writer sleep and poll (1, 2, 5, 10… ms), so without this
    /// in-process contention costs more than the work; the database lock still guards
    /// against other processes.
    write_gate: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl Billing {
    /// Billing over `directory`'s pool with the configured default ceiling.
    pub fn new(directory: &Directory, config: &BillingConfig) -> Billing {
        Billing {
            pool: directory.pool().clone(),
            default_ceiling: config.default_ceiling,
            write_gate: (directory.backend() == Backend::Sqlite)
                .then(|| Arc::new(tokio::sync::Mutex::new(()))),
        }
    }

    /// Held for the duration of a locking transaction (SQLite only, see `write_gate`).
    pub(crate) async fn write_gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write_gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }

    /// The ceiling of accounts without their own.
    pub fn default_ceiling(&self) -> Money {
        self.default_ceiling
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// What a fax costs for the pages the far end confirmed: `rate × confirmed`, never more
/// pages than were reserved and never more than the amount held. The one formula for the
/// ledger's charge and the call records' cost, so the two always agree.
pub fn charge_for(
    rate: Money,
    reserved_pages: u32,
    amount: Money,
    confirmed: u32,
) -> Result<Money, BillingError> {
    Ok(rate
        .checked_mul(confirmed.min(reserved_pages))
        .ok_or(BillingError::Overflow)?
        .min(amount))
}

/// The billing period of `t`: its calendar month in UTC, `YYYY-MM`.
pub fn period_of(t: SystemTime) -> String {
    let ts = jiff::Timestamp::try_from(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%Y-%m").to_string()
}

pub(crate) use crate::directory::records::new_id;
