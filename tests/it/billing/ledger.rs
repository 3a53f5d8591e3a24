//! The billing rules of issue 5 on a real database: quotes by longest prefix and date, the
//! ceiling scenario (0.20 € left, a 3-page fax at 0.05 € passes, the next is refused with the
//! reason, a deposit lifts the limit), settlement and release, twenty concurrent reservations
//! racing for the last euros on separate connection pools, account states, closed periods, and
//! the 80 % / 100 % notices exactly once. Each scenario runs on a SQLite file and, when
//! `TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database.

use crate::on_both;
use crate::support::billing_db;

use std::sync::Arc;

use billing_db::{at, money, open};
use faxvox::billing::rates::parse_rates_csv;
use faxvox::billing::{AccountState, Billing, BillingError, Money, Quote, ReservationState};
use faxvox::directory::{Directory, LineKind, NewLine};

const DECK: &str = "prefix,country,price_per_page,valid_from\n\
    33,France,0.06,2026-01-01\n\
    336,France mobile,0.09,2026-01-01\n\
    +336,France mobile,0.08,2026-07-01\n\
    1,North America,0.10,2026-01-01\n\
    44,United Kingdom,0.07,2027-01-01\n\
    39,Italy,0.05,2026-01-01\n";

async fn with_deck(billing: &Billing) {
    let rates = parse_rates_csv(DECK).unwrap();
    assert_eq!(
        billing
            .import_rates(&rates, at("2026-01-01T00:00:00Z"))
            .await
            .unwrap(),
        6
    );
}

/// A quote for `pages` pages to Italy (0.05 € a page).
fn italy(pages: u32) -> Quote {
    Quote {
        to: "+390612345678".into(),
        prefix: "39".into(),
        country: "Italy".into(),
        rate_per_page: money("0.05"),
        pages,
        amount: money("0.05").checked_mul(pages).unwrap(),
    }
}

async fn quotes(url: &str) {
    let (dir, billing) = open(url, &["acme"]).await;
    with_deck(&billing).await;
    let march = at("2026-03-15T12:00:00Z");
    let q = billing
        .quote("acme", "+33253437555", 3, march)
        .await
        .unwrap();
    assert_eq!(
        (q.prefix.as_str(), q.rate_per_page, q.amount),
        ("33", money("0.06"), money("0.18"))
    );
    // Longest prefix wins.
    let q = billing
        .quote("acme", "+33612345678", 2, march)
        .await
        .unwrap();
    assert_eq!(
        (q.prefix.as_str(), q.country.as_str()),
        ("336", "France mobile")
    );
    assert_eq!(q.amount, money("0.18"));
    // The July price applies from its date, not before.
    let before = at("2026-06-30T23:59:59.999Z");
    let after = at("2026-07-01T00:00:00Z");
    let q = billing
        .quote("acme", "+33612345678", 1, before)
        .await
        .unwrap();
    assert_eq!(q.rate_per_page, money("0.09"));
    let q = billing
        .quote("acme", "+33612345678", 1, after)
        .await
        .unwrap();
    assert_eq!(q.rate_per_page, money("0.08"));
    // Any form normalize_number accepts.
    let q = billing
        .quote("acme", "+1 (555) 010-0199", 1, march)
        .await
        .unwrap();
    assert_eq!(q.prefix, "1");
    // No rate yet for the UK in 2026, one in 2027; none before the deck's first date.
    assert!(matches!(
        billing.quote("acme", "+442071234567", 1, march).await,
        Err(BillingError::NoRate(n)) if n == "+442071234567"
    ));
    let q = billing
        .quote("acme", "+442071234567", 4, at("2027-02-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(q.amount, money("0.28"));
    assert!(matches!(
        billing
            .quote("acme", "+33253437555", 1, at("2025-12-31T23:00:00Z"))
            .await,
        Err(BillingError::NoRate(_))
    ));
    assert!(matches!(
        billing.quote("nobody", "+33253437555", 1, march).await,
        Err(BillingError::UnknownAccount(_))
    ));
    assert!(matches!(
        billing.quote("acme", "not a number", 1, march).await,
        Err(BillingError::InvalidNumber(..))
    ));
    // Re-importing a (prefix, date) corrects it; the list is by prefix then date.
    let fix =
        parse_rates_csv("prefix,country,price_per_page,valid_from\n33,France,0.055,2026-01-01\n")
            .unwrap();
    billing.import_rates(&fix, march).await.unwrap();
    let q = billing
        .quote("acme", "+33253437555", 2, march)
        .await
        .unwrap();
    assert_eq!(q.amount, money("0.11"));
    let list = billing.rates().await.unwrap();
    assert_eq!(list.len(), 6);
    assert_eq!(list[0].prefix, "1");
    assert_eq!(list[1].price_per_page, money("0.055"));
    dir.close().await;
}
on_both!(quotes, quotes_sqlite, quotes_postgres);

async fn ceiling(url: &str) {
    let (dir, billing) = open(url, &["acme"]).await;
    let now = at("2026-03-10T09:00:00Z");
    billing
        .set_ceiling("acme", Some(money("1.00")), now)
        .await
        .unwrap();
    // 0.80 € already charged this month: 0.20 € left.
    let past = billing
        .reserve("acme", "fax-0", &italy(16), now)
        .await
        .unwrap();
    assert_eq!(
        billing.settle(&past.id, 16, now).await.unwrap(),
        money("0.80")
    );

    let first = billing
        .reserve("acme", "fax-1", &italy(3), now)
        .await
        .unwrap();
    assert_eq!(first.amount, money("0.15"));
    assert_eq!(first.period, "2026-03");
    let refused = billing
        .reserve("acme", "fax-2", &italy(3), now)
        .await
        .unwrap_err();
    match &refused {
        BillingError::CeilingReached {
            account,
            amount,
            used,
            reserved,
            ceiling,
            deposits,
            limit,
            remaining,
        } => {
            assert_eq!(account, "acme");
            assert_eq!(*amount, money("0.15"));
            assert_eq!(*used, money("0.80"));
            assert_eq!(*reserved, money("0.15"));
            assert_eq!(*ceiling, money("1.00"));
            assert_eq!(*deposits, Money::ZERO);
            assert_eq!(*limit, money("1.00"));
            assert_eq!(*remaining, money("0.05"));
        }
        other => panic!("expected CeilingReached, got {other:?}"),
    }
    let message = refused.to_string();
    for needle in [
        "0.15 €",
        "0.80 € used",
        "1.00 €",
        "0.05 € remaining",
        "faxvox billing deposit acme AMOUNT",
    ] {
        assert!(message.contains(needle), "`{needle}` not in: {message}");
    }
    // Nothing was held by the refusal; the same fax id is still free.
    let s = billing.status("acme", now).await.unwrap();
    assert_eq!(
        (s.used, s.reserved, s.remaining),
        (money("0.80"), money("0.15"), money("0.05"))
    );

    // A deposit lifts the limit at once.
    billing
        .deposit("acme", money("0.50"), Some("bank transfer 42"), now)
        .await
        .unwrap();
    let second = billing
        .reserve("acme", "fax-2", &italy(3), now)
        .await
        .unwrap();
    let s = billing.status("acme", now).await.unwrap();
    assert_eq!(
        (
            s.ceiling,
            s.deposits,
            s.limit,
            s.used,
            s.reserved,
            s.remaining
        ),
        (
            money("1.00"),
            money("0.50"),
            money("1.50"),
            money("0.80"),
            money("0.30"),
            money("0.40")
        )
    );
    assert!(!s.default_ceiling);

    // Two of three pages confirmed: 0.10 charged, 0.05 released. Settling again changes nothing.
    assert_eq!(
        billing.settle(&first.id, 2, now).await.unwrap(),
        money("0.10")
    );
    assert_eq!(
        billing.settle(&first.id, 3, now).await.unwrap(),
        money("0.10")
    );
    assert!(matches!(
        billing.release(&first.id).await,
        Err(BillingError::AlreadySettled(_))
    ));
    // More pages confirmed than reserved: only the reserved ones are charged.
    let third = billing
        .reserve("acme", "fax-3", &italy(1), now)
        .await
        .unwrap();
    assert_eq!(
        billing.settle(&third.id, 5, now).await.unwrap(),
        money("0.05")
    );
    // Released before any page: nothing charged; idempotent; cannot be settled afterwards.
    billing.release(&second.id).await.unwrap();
    billing.release(&second.id).await.unwrap();
    assert!(matches!(
        billing.settle(&second.id, 1, now).await,
        Err(BillingError::AlreadyReleased(_))
    ));
    let s = billing.status("acme", now).await.unwrap();
    assert_eq!(
        (s.used, s.reserved, s.remaining),
        (money("0.95"), Money::ZERO, money("0.55"))
    );
    // Lookups: the charges of the period add up to `used`.
    let charges = billing.charges("acme", "2026-03").await.unwrap();
    let fax_ids: Vec<&str> = charges.iter().map(|c| c.fax_id.as_str()).collect();
    assert_eq!(fax_ids.len(), 3);
    for id in ["fax-0", "fax-1", "fax-3"] {
        assert!(fax_ids.contains(&id), "{fax_ids:?}");
    }
    let total = charges
        .iter()
        .try_fold(Money::ZERO, |acc, c| acc.checked_add(c.charged))
        .unwrap();
    assert_eq!(total, s.used);
    let r1 = billing.reservation(&first.id).await.unwrap().unwrap();
    assert_eq!(
        (
            r1.state,
            r1.pages,
            r1.pages_charged,
            r1.charged,
            r1.rate_per_page
        ),
        (
            ReservationState::Settled,
            3,
            2,
            money("0.10"),
            money("0.05")
        )
    );
    let r2 = billing.reservation_for_fax("fax-2").await.unwrap().unwrap();
    assert_eq!(
        (r2.id.as_str(), r2.state),
        (second.id.as_str(), ReservationState::Released)
    );
    assert!(billing.reservation("nope").await.unwrap().is_none());

    // A fax id has one reservation; unknown ones are named.
    assert!(matches!(
        billing.reserve("acme", "fax-1", &italy(1), now).await,
        Err(BillingError::DuplicateFax(id)) if id == "fax-1"
    ));
    assert!(matches!(
        billing.release("nope").await,
        Err(BillingError::UnknownReservation(_))
    ));
    assert!(matches!(
        billing.settle("nope", 1, now).await,
        Err(BillingError::UnknownReservation(_))
    ));
    assert!(matches!(
        billing.reserve("ghost", "fax-9", &italy(1), now).await,
        Err(BillingError::UnknownAccount(_))
    ));
    assert!(matches!(
        billing.deposit("acme", Money::ZERO, None, now).await,
        Err(BillingError::InvalidAmount(..))
    ));
    // Back to the default ceiling (150.00).
    billing.set_ceiling("acme", None, now).await.unwrap();
    let s = billing.status("acme", now).await.unwrap();
    assert!(s.default_ceiling);
    assert_eq!(s.limit, money("150.50"));
    dir.close().await;
}
on_both!(ceiling, ceiling_sqlite, ceiling_postgres);

/// Twenty reservations of 0.05 € race for the last 0.20 €, each on its own connection pool
/// (as twenty gateway processes would): exactly four win, the others are refused, and the sum
/// reserved never passes the limit.
async fn race(url: &str) {
    let (dir, billing) = open(url, &["acme", "other"]).await;
    let now = at("2026-03-10T09:00:00Z");
    billing
        .set_ceiling("acme", Some(money("1.00")), now)
        .await
        .unwrap();
    let past = billing
        .reserve("acme", "old", &italy(16), now)
        .await
        .unwrap();
    billing.settle(&past.id, 16, now).await.unwrap();

    let mut pools = Vec::new();
    for _ in 0..20 {
        let d = Directory::open(url).await.unwrap();
        let b = Billing::new(&d, &billing_db::config("150.00"));
        pools.push((d, b));
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = Vec::new();
    for (i, (_, b)) in pools.iter().enumerate() {
        let b = b.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            b.reserve("acme", &format!("race-{i}"), &italy(1), now)
                .await
        }));
    }
    // Meanwhile another account is not held up by acme's lock.
    let other = billing
        .reserve("other", "other-1", &italy(2), now)
        .await
        .unwrap();
    let mut won = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(r) => {
                assert_eq!(r.amount, money("0.05"));
                won += 1;
            }
            Err(BillingError::CeilingReached { limit, .. }) => {
                assert_eq!(limit, money("1.00"));
                refused += 1;
            }
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!((won, refused), (4, 16));
    let s = billing.status("acme", now).await.unwrap();
    assert_eq!(
        (s.used, s.reserved, s.remaining),
        (money("0.80"), money("0.20"), Money::ZERO)
    );
    let held: i64 = sqlx::query_scalar(
        "SELECT CAST(SUM(amount) AS BIGINT) FROM reservations WHERE account = 'acme' AND state = 'open'",
    )
    .fetch_one(dir.pool())
    .await
    .unwrap();
    assert_eq!(Money(held), money("0.20"));
    assert_eq!(other.amount, money("0.10"));
    for (d, _) in pools {
        d.close().await;
    }
    dir.close().await;
}
on_both!(race, race_sqlite, race_postgres);

async fn states(url: &str) {
    let (dir, billing) = open(url, &["acme", "operator"]).await;
    dir.add_line(&NewLine {
        number: "+33253437555".into(),
        account: "operator".into(),
        kind: LineKind::Fax,
        target: None,
    })
    .await
    .unwrap();
    let now = at("2026-03-10T09:00:00Z");
    billing
        .check_destination("acme", "+39061234567")
        .await
        .unwrap();

    let change = billing
        .set_state(
            "acme",
            AccountState::Restricted,
            "alice",
            Some("KYC documents missing"),
            now,
        )
        .await
        .unwrap();
    assert!(change.changed);
    assert_eq!(change.from, "active");
    assert!(matches!(
        billing.check_destination("acme", "+39061234567").await,
        Err(BillingError::AccountRestricted { .. })
    ));
    // The operator's own numbers, in any accepted form.
    billing
        .check_destination("acme", "+33 2 53 43 75 55")
        .await
        .unwrap();
    // Restricted may still reserve for the operator's numbers — and only for them, checked
    // again under the account's lock when the amount is held.
    let to_our_line = Quote {
        to: "+33253437555".into(),
        ..italy(1)
    };
    billing
        .reserve("acme", "r-1", &to_our_line, now)
        .await
        .unwrap();
    assert!(matches!(
        billing.reserve("acme", "r-x", &italy(1), now).await,
        Err(BillingError::AccountRestricted { .. })
    ));
    assert_eq!(
        dir.account("acme").await.unwrap().unwrap().state,
        "restricted"
    );

    billing
        .set_state("acme", AccountState::Suspended, "bob", None, now)
        .await
        .unwrap();
    let err = billing
        .check_destination("acme", "+33253437555")
        .await
        .unwrap_err();
    assert!(matches!(err, BillingError::AccountSuspended(_)), "{err}");
    assert!(matches!(
        billing.reserve("acme", "s-1", &italy(1), now).await,
        Err(BillingError::AccountSuspended(_))
    ));
    let s = billing.status("acme", now).await.unwrap();
    assert_eq!(s.state, AccountState::Suspended);
    // Same state again: nothing logged.
    let again = billing
        .set_state("acme", AccountState::Suspended, "bob", None, now)
        .await
        .unwrap();
    assert!(!again.changed);

    billing
        .set_state("acme", AccountState::Active, "alice", Some("paid"), now)
        .await
        .unwrap();
    billing
        .check_destination("acme", "+39061234567")
        .await
        .unwrap();
    let log = billing.state_log("acme").await.unwrap();
    let summary: Vec<(String, AccountState, String, Option<String>)> = log
        .into_iter()
        .map(|c| (c.from, c.to, c.by, c.reason))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "active".into(),
                AccountState::Restricted,
                "alice".into(),
                Some("KYC documents missing".into())
            ),
            (
                "restricted".into(),
                AccountState::Suspended,
                "bob".into(),
                None
            ),
            (
                "suspended".into(),
                AccountState::Active,
                "alice".into(),
                Some("paid".into())
            ),
        ]
    );
    assert!(matches!(
        billing.check_destination("ghost", "+33253437555").await,
        Err(BillingError::UnknownAccount(_))
    ));
    assert!(matches!(
        billing
            .set_state("ghost", AccountState::Active, "x", None, now)
            .await,
        Err(BillingError::UnknownAccount(_))
    ));
    dir.close().await;
}
on_both!(states, states_sqlite, states_postgres);

/// A closed period's consumption no longer counts; deposits belong to their month.
async fn periods(url: &str) {
    let (dir, billing) = open(url, &["acme"]).await;
    let jan = at("2026-01-31T23:59:59Z");
    let feb = at("2026-02-01T00:00:00Z");
    billing
        .set_ceiling("acme", Some(money("1.00")), jan)
        .await
        .unwrap();
    billing
        .deposit("acme", money("0.50"), None, jan)
        .await
        .unwrap();
    let r = billing
        .reserve("acme", "jan-1", &italy(30), jan)
        .await
        .unwrap();
    billing.settle(&r.id, 30, jan).await.unwrap();
    assert!(matches!(
        billing.reserve("acme", "jan-2", &italy(1), jan).await,
        Err(BillingError::CeilingReached { .. })
    ));
    let s = billing.status("acme", feb).await.unwrap();
    assert_eq!(s.period, "2026-02");
    assert_eq!(
        (s.used, s.deposits, s.limit, s.remaining),
        (Money::ZERO, Money::ZERO, money("1.00"), money("1.00"))
    );
    let r = billing
        .reserve("acme", "feb-1", &italy(20), feb)
        .await
        .unwrap();
    // An open reservation counts whatever its month, until settled in its own month.
    let march = at("2026-03-01T00:00:00Z");
    let s = billing.status("acme", march).await.unwrap();
    assert_eq!((s.used, s.reserved), (Money::ZERO, money("1.00")));
    billing.settle(&r.id, 20, march).await.unwrap();
    let s = billing.status("acme", march).await.unwrap();
    assert_eq!((s.used, s.reserved), (Money::ZERO, Money::ZERO));
    assert_eq!(
        billing.status("acme", feb).await.unwrap().used,
        money("1.00")
    );
    assert_eq!(
        billing.status("acme", jan).await.unwrap().used,
        money("1.50")
    );
    dir.close().await;
}
on_both!(periods, periods_sqlite, periods_postgres);

/// 80 % and 100 % are recorded once per period each, returned by the reservation that
/// crossed them, and stay pending until marked sent.
async fn notices(url: &str) {
    let (dir, billing) = open(url, &["acme"]).await;
    let now = at("2026-03-10T09:00:00Z");
    billing
        .set_ceiling("acme", Some(money("1.00")), now)
        .await
        .unwrap();
    let thresholds = |r: &faxvox::billing::Reservation| -> Vec<u8> {
        r.notices.iter().map(|n| n.threshold).collect()
    };
    let r = billing
        .reserve("acme", "n-1", &italy(10), now)
        .await
        .unwrap();
    assert!(r.notices.is_empty());
    let r = billing
        .reserve("acme", "n-2", &italy(5), now)
        .await
        .unwrap();
    assert!(r.notices.is_empty(), "75 %");
    let r = billing
        .reserve("acme", "n-3", &italy(1), now)
        .await
        .unwrap();
    assert_eq!(thresholds(&r), vec![80]);
    assert_eq!(
        (r.notices[0].consumed, r.notices[0].limit),
        (money("0.80"), money("1.00"))
    );
    let r = billing
        .reserve("acme", "n-4", &italy(1), now)
        .await
        .unwrap();
    assert!(r.notices.is_empty(), "85 %: 80 already recorded");
    billing.release(&r.id).await.unwrap();
    let r = billing
        .reserve("acme", "n-5", &italy(4), now)
        .await
        .unwrap();
    assert_eq!(thresholds(&r), vec![100]);
    assert!(matches!(
        billing.reserve("acme", "n-6", &italy(1), now).await,
        Err(BillingError::CeilingReached { .. })
    ));
    // A deposit and a new crossing in the same period: no second notice.
    billing
        .deposit("acme", money("1.00"), None, now)
        .await
        .unwrap();
    let r = billing
        .reserve("acme", "n-7", &italy(20), now)
        .await
        .unwrap();
    assert!(r.notices.is_empty());
    let pending = billing.pending_notices().await.unwrap();
    assert_eq!(
        pending.iter().map(|n| n.threshold).collect::<Vec<_>>(),
        vec![80, 100]
    );
    for n in &pending {
        billing.mark_notice_sent(&n.id, now).await.unwrap();
    }
    assert!(billing.pending_notices().await.unwrap().is_empty());

    // Refused straight away at the ceiling (no reservation crossed 100 %): the 100 % notice
    // is recorded by the refusal, once.
    let (_, other) = (dir.clone(), billing.clone());
    dir.add_account(&faxvox::directory::NewAccount::new(
        "tiny",
        vec!["t@example.com".into()],
    ))
    .await
    .unwrap();
    other
        .set_ceiling("tiny", Some(money("0.01")), now)
        .await
        .unwrap();
    for id in ["t-1", "t-2"] {
        assert!(other.reserve("tiny", id, &italy(1), now).await.is_err());
    }
    let pending = billing.pending_notices().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].account.as_str(), pending[0].threshold),
        ("tiny", 100)
    );

    // Next month starts afresh.
    let april = at("2026-04-02T00:00:00Z");
    for id in ["n-1", "n-2", "n-3", "n-5", "n-7"] {
        let rid: String = sqlx::query_scalar("SELECT id FROM reservations WHERE fax_id = $1")
            .bind(id)
            .fetch_one(dir.pool())
            .await
            .unwrap();
        billing.settle(&rid, 0, now).await.unwrap();
    }
    let r = billing
        .reserve("acme", "a-1", &italy(18), april)
        .await
        .unwrap();
    assert_eq!(thresholds(&r), vec![80]);
    assert_eq!(r.notices[0].period, "2026-04");
    dir.close().await;
}
on_both!(notices, notices_sqlite, notices_postgres);
