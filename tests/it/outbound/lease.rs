//! The shared outbound queue (`faxvox::outbound::queue`) on SQLite and PostgreSQL: two
//! dialers (each with its own pool, as two nodes would have) racing for the same due faxes
//! each take every fax once; a lease that runs out mid-call is taken over by the other
//! dialer, and the fax is charged once whoever ends it.

use crate::on_both;
use crate::support::billing_db::{self, at, money};

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use faxvox::billing::{Billing, Quote, ReservationState};
use faxvox::directory::Directory;
use faxvox::outbound::queue::{Conclusion, Queue, QueueError, QueueState};
use faxvox::outbound::OutboundFacts;

const LEASE: Duration = Duration::from_secs(30);

/// One page at 0.05 €.
fn quote() -> Quote {
    let rate = money("0.05");
    Quote {
        to: "+33299001122".into(),
        prefix: "33".into(),
        country: "France".into(),
        rate_per_page: rate,
        pages: 1,
        amount: rate,
    }
}

/// Queues fax `id` for alice the way `submit` does: reservation, then the queue row.
async fn queue_fax(billing: &Billing, queue: &Queue, id: &str, now: SystemTime) -> String {
    let r = billing
        .reserve_from("alice", id, &quote(), Some("node-a"), now)
        .await
        .unwrap();
    let facts = OutboundFacts {
        fax_id: id.into(),
        account: "alice".into(),
        from: "+33100000001".into(),
        to: "+33299001122".into(),
        anonymous: false,
        pages: 1,
        reservation: r.id.clone(),
        rate: r.rate_per_page,
        amount: r.amount,
        prefix: r.prefix.clone(),
        submitted: faxvox_spool::format_rfc3339(now),
        reply: None,
        header: header_of(id),
    };
    let document = format!("document of {id}").into_bytes();
    assert!(queue
        .enqueue(id, "alice", "node-a", &facts.to_map(), &document, now)
        .await
        .unwrap());
    // Queued twice is queued once.
    assert!(!queue
        .enqueue(id, "alice", "node-a", &facts.to_map(), &document, now)
        .await
        .unwrap());
    r.id
}

/// Faxes whose id ends in an odd digit go without the header line (kept in the queue's row).
fn header_of(id: &str) -> bool {
    id.bytes().last().unwrap_or(0).is_multiple_of(2)
}

/// A node: its own pool on the shared database.
async fn node(url: &str) -> (Directory, Billing, Queue) {
    let (dir, billing) = billing_db::open(url, &[]).await;
    let queue = Queue::new(&dir, &billing);
    (dir, billing, queue)
}

fn sent<'a>(reservation: &'a str) -> Conclusion<'a> {
    Conclusion {
        reservation,
        pages_confirmed: 1,
        close_reason: None,
        done: Some("delivered"),
        summary: "sent",
    }
}

async fn racing_dialers(url: &str) {
    let (dir0, billing0) = billing_db::open(url, &["alice"]).await;
    let queue0 = Queue::new(&dir0, &billing0);
    let now = at("2027-01-05T10:00:00Z");
    const FAXES: usize = 24;
    let mut reservations = Vec::new();
    for i in 0..FAXES {
        let id = format!("20270105T100000Z-{i:08x}");
        reservations.push(queue_fax(&billing0, &queue0, &id, now).await);
    }
    let dialer = |name: &'static str| {
        let url = url.to_string();
        tokio::spawn(async move {
            let (dir, billing, queue) = node(&url).await;
            let _ = &billing;
            let mut mine = Vec::new();
            while let Some(mut leased) = queue.claim(name, now, LEASE).await.unwrap() {
                assert_eq!(leased.claims, 1, "{name} took {} again", leased.id);
                assert_eq!(leased.header, header_of(&leased.id), "{}", leased.id);
                assert_eq!(
                    queue.document(&leased.id).await.unwrap(),
                    format!("document of {}", leased.id).into_bytes()
                );
                // The call.
                tokio::time::sleep(Duration::from_millis(5)).await;
                let facts = OutboundFacts::from_map(&leased.facts).unwrap();
                let charged = queue
                    .conclude(&mut leased, now, &sent(&facts.reservation))
                    .await
                    .unwrap();
                assert_eq!(charged, money("0.05"));
                mine.push(leased.id.clone());
            }
            dir.close().await;
            mine
        })
    };
    let (a, b) = (dialer("node-a"), dialer("node-b"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    eprintln!("node-a sent {}, node-b sent {}", a.len(), b.len());
    let all: BTreeSet<_> = a.iter().chain(&b).cloned().collect();
    assert_eq!(a.len() + b.len(), FAXES, "a fax was dialled twice");
    assert_eq!(all.len(), FAXES);
    for r in &reservations {
        let r = billing0.reservation(r).await.unwrap().unwrap();
        assert_eq!(r.state, ReservationState::Settled);
        assert_eq!((r.pages_charged, r.charged), (1, money("0.05")));
    }
    let status = billing0.status("alice", now).await.unwrap();
    assert_eq!(status.used, money("1.20"), "{status:?}");
    assert_eq!(status.reserved, money("0.00"), "{status:?}");
    // Nothing is left to claim.
    assert!(queue0.claim("node-c", now, LEASE).await.unwrap().is_none());
    dir0.close().await;
}

on_both!(
    racing_dialers,
    racing_dialers_sqlite,
    racing_dialers_postgres
);

async fn lease_taken_over(url: &str) {
    let (dir0, billing0) = billing_db::open(url, &["alice"]).await;
    let queue0 = Queue::new(&dir0, &billing0);
    let t0 = at("2027-01-05T10:00:00Z");
    let secs = |s: u64| t0 + Duration::from_secs(s);
    let reservation = queue_fax(&billing0, &queue0, "20270105T100000Z-0000000a", t0).await;
    let (dir_a, _ba, queue_a) = node(url).await;
    let (dir_b, _bb, queue_b) = node(url).await;

    // Node A takes the fax and dials; it renews once, then hangs (or dies).
    let mut a = queue_a.claim("node-a", t0, LEASE).await.unwrap().unwrap();
    assert_eq!((a.claims, a.state), (1, QueueState::Queued));
    queue_a.renew(&mut a, secs(10), LEASE).await.unwrap();
    // While the lease holds, node B finds nothing.
    assert!(queue_b
        .claim("node-b", secs(39), LEASE)
        .await
        .unwrap()
        .is_none());
    // Lease over: B takes it (a second claim) and sends it from the start.
    let mut b = queue_b
        .claim("node-b", secs(41), LEASE)
        .await
        .unwrap()
        .expect("the expired lease is taken over");
    assert_eq!((b.id.as_str(), b.claims), (a.id.as_str(), 2));
    assert_eq!(
        queue_b.document(&b.id).await.unwrap(),
        b"document of 20270105T100000Z-0000000a"
    );
    // A wakes up: it cannot renew, record or charge anything any more.
    assert!(matches!(
        queue_a.renew(&mut a, secs(42), LEASE).await,
        Err(QueueError::LeaseLost(_))
    ));
    assert!(matches!(
        queue_a.update_facts(&a, secs(42)).await,
        Err(QueueError::LeaseLost(_))
    ));
    assert!(matches!(
        queue_a
            .conclude(&mut a, secs(43), &sent(&reservation))
            .await,
        Err(QueueError::LeaseLost(_))
    ));
    let r = billing0.reservation(&reservation).await.unwrap().unwrap();
    assert_eq!(
        r.state,
        ReservationState::Open,
        "A charged without its lease"
    );
    // B ends it: charged once.
    let charged = queue_b
        .conclude(&mut b, secs(60), &sent(&reservation))
        .await
        .unwrap();
    assert_eq!(charged, money("0.05"));
    assert!(matches!(
        queue_a
            .conclude(&mut a, secs(61), &sent(&reservation))
            .await,
        Err(QueueError::LeaseLost(_))
    ));
    let fax = queue0.get(&b.id).await.unwrap().unwrap();
    assert_eq!(
        (fax.state, fax.outcome.as_deref()),
        (QueueState::Done, Some("delivered"))
    );
    // Long after, nobody takes it again.
    assert!(queue0
        .claim("node-c", secs(3600), LEASE)
        .await
        .unwrap()
        .is_none());
    let r = billing0.reservation(&reservation).await.unwrap().unwrap();
    assert_eq!(
        (r.state, r.pages_charged, r.charged),
        (ReservationState::Settled, 1, money("0.05"))
    );
    let status = billing0.status("alice", secs(3600)).await.unwrap();
    assert_eq!(
        (status.used, status.reserved),
        (money("0.05"), money("0.00"))
    );

    // A late holder whose lease ran out but was not taken over still ends its own fax; the
    // fax is then over for everyone.
    let reservation = queue_fax(&billing0, &queue0, "20270105T100000Z-0000000b", t0).await;
    let mut a = queue_a
        .claim("node-a", secs(100), LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.id, "20270105T100000Z-0000000b");
    queue_a
        .conclude(&mut a, secs(200), &sent(&reservation))
        .await
        .unwrap();
    assert!(queue_b
        .claim("node-b", secs(300), LEASE)
        .await
        .unwrap()
        .is_none());
    let status = billing0.status("alice", secs(3600)).await.unwrap();
    assert_eq!(
        (status.used, status.reserved),
        (money("0.10"), money("0.00"))
    );

    // A retry gives the fax back, due later, to whoever comes first then.
    let _ = queue_fax(&billing0, &queue0, "20270105T100000Z-0000000c", t0).await;
    let a = queue_a
        .claim("node-a", secs(400), LEASE)
        .await
        .unwrap()
        .unwrap();
    queue_a
        .retry(&a, secs(401), secs(700), "busy")
        .await
        .unwrap();
    assert!(queue_b
        .claim("node-b", secs(699), LEASE)
        .await
        .unwrap()
        .is_none());
    let b = queue_b
        .claim("node-b", secs(700), LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((b.id.as_str(), b.claims), ("20270105T100000Z-0000000c", 2));
    assert_eq!(b.first_attempt, secs(400));

    dir_a.close().await;
    dir_b.close().await;
    dir0.close().await;
}

on_both!(
    lease_taken_over,
    lease_taken_over_sqlite,
    lease_taken_over_postgres
);
