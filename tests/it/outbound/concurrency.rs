//! Outbound concurrency in the shared queue (`outbound.max_active_per_account`), on SQLite
//! and PostgreSQL: with the limit at 2, five faxes of one account queued at once are dialled
//! by two racing nodes (each with its own pool) never more than two at a time, and all five
//! are sent (they wait their turn, none is refused); two faxes to the same number never go
//! out at once, even when the account has room.

use crate::on_both;
use crate::support::billing_db::{self, at, money};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use faxvox::billing::{Billing, Quote};
use faxvox::outbound::queue::{Conclusion, Queue};
use faxvox::outbound::OutboundFacts;

const LEASE: Duration = Duration::from_secs(30);

/// Queues fax `id` of alice to `to` the way `submit` does: reservation, then the queue row.
async fn queue_fax(billing: &Billing, queue: &Queue, id: &str, to: &str, now: SystemTime) {
    let rate = money("0.05");
    let quote = Quote {
        to: to.into(),
        prefix: "33".into(),
        country: "France".into(),
        rate_per_page: rate,
        pages: 1,
        amount: rate,
    };
    let r = billing
        .reserve_from("alice", id, &quote, Some("node-a"), now)
        .await
        .unwrap();
    let facts = OutboundFacts {
        fax_id: id.into(),
        account: "alice".into(),
        from: "+33100000001".into(),
        to: to.into(),
        anonymous: false,
        pages: 1,
        reservation: r.id.clone(),
        rate: r.rate_per_page,
        amount: r.amount,
        prefix: r.prefix.clone(),
        submitted: faxvox_spool::format_rfc3339(now),
        reply: None,
        header: true,
    };
    assert!(queue
        .enqueue(id, "alice", "node-a", &facts.to_map(), b"document", now)
        .await
        .unwrap());
}

fn sent(reservation: &str) -> Conclusion<'_> {
    Conclusion {
        reservation,
        pages_confirmed: 1,
        close_reason: None,
        done: Some("delivered"),
        summary: "sent",
    }
}

async fn two_at_a_time(url: &str) {
    let (dir0, billing0) = billing_db::open(url, &["alice"]).await;
    let queue0 = Queue::new(&dir0, &billing0).with_max_active_per_account(2);
    let now = at("2027-01-10T10:00:00Z");
    const FAXES: usize = 5;
    for i in 0..FAXES {
        let id = format!("20270110T100000Z-{i:08x}");
        queue_fax(&billing0, &queue0, &id, &format!("+3329900110{i}"), now).await;
    }
    // Two are handed out, the third waits.
    let first = queue0.claim("probe", now, LEASE).await.unwrap().unwrap();
    let second = queue0.claim("probe", now, LEASE).await.unwrap().unwrap();
    assert!(queue0.claim("probe", now, LEASE).await.unwrap().is_none());
    for mut leased in [first, second] {
        let facts = OutboundFacts::from_map(&leased.facts).unwrap();
        queue0
            .conclude(&mut leased, now, &sent(&facts.reservation))
            .await
            .unwrap();
    }

    // The other three, by two nodes racing: never more than two calls up at once.
    let active = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(2));
    let dialer = |name: &'static str| {
        let (url, active, peak, done) =
            (url.to_string(), active.clone(), peak.clone(), done.clone());
        tokio::spawn(async move {
            let (dir, billing) = billing_db::open(&url, &[]).await;
            let queue = Queue::new(&dir, &billing).with_max_active_per_account(2);
            let mut mine = 0;
            let mut spins = 0;
            while done.load(Ordering::SeqCst) < FAXES {
                let Some(mut leased) = queue.claim(name, now, LEASE).await.unwrap() else {
                    spins += 1;
                    assert!(spins < 2000, "{name}: faxes left but none claimable");
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    continue;
                };
                let up = active.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(up, Ordering::SeqCst);
                // The call.
                tokio::time::sleep(Duration::from_millis(30)).await;
                active.fetch_sub(1, Ordering::SeqCst);
                let facts = OutboundFacts::from_map(&leased.facts).unwrap();
                queue
                    .conclude(&mut leased, now, &sent(&facts.reservation))
                    .await
                    .unwrap();
                done.fetch_add(1, Ordering::SeqCst);
                mine += 1;
            }
            dir.close().await;
            mine
        })
    };
    let (a, b) = (dialer("node-a"), dialer("node-b"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    eprintln!(
        "node-a sent {a}, node-b sent {b}, peak {}",
        peak.load(Ordering::SeqCst)
    );
    assert_eq!(a + b, FAXES - 2);
    assert!(peak.load(Ordering::SeqCst) <= 2, "more than two calls up");
    let status = billing0.status("alice", now).await.unwrap();
    assert_eq!(status.used, money("0.25"), "every fax sent: {status:?}");

    // Two faxes to one number: the second waits while the first is dialled.
    queue_fax(
        &billing0,
        &queue0,
        "20270110T100000Z-000000aa",
        "+33299001199",
        now,
    )
    .await;
    queue_fax(
        &billing0,
        &queue0,
        "20270110T100000Z-000000bb",
        "+33299001199",
        now,
    )
    .await;
    let mut one = queue0.claim("probe", now, LEASE).await.unwrap().unwrap();
    assert!(queue0.claim("probe", now, LEASE).await.unwrap().is_none());
    let facts = OutboundFacts::from_map(&one.facts).unwrap();
    queue0
        .conclude(&mut one, now, &sent(&facts.reservation))
        .await
        .unwrap();
    let two = queue0.claim("probe", now, LEASE).await.unwrap().unwrap();
    assert_ne!(two.id, one.id);
    dir0.close().await;
}

on_both!(two_at_a_time, two_at_a_time_sqlite, two_at_a_time_postgres);
