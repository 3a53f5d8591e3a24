//! Signed webhook events through the delivery worker, over real sockets: a receiver that is
//! down leaves the event queued (retrying on the spool's backoff, visible in the spool), a
//! receiver answering 500 gets it again at the next attempt, and once one answers 2xx the job
//! is delivered. Every POST's signature verifies with the account's secret, signed at its own
//! attempt.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use faxvox::config::Config;
use faxvox::delivery::Transport;
use faxvox::directory::{Directory, NewAccount};
use faxvox::webhook::{self, Event};
use faxvox::worker::{self, Worker};
use faxvox_spool::{JobKind, JobState, Spool};

use crate::support::gateway::free_port;
use crate::support::webhook::{verify, Receiver};

fn manifest(spool: &Spool, id: &faxvox_spool::JobId) -> faxvox_spool::Manifest {
    spool
        .get(id)
        .unwrap()
        .manifest
        .expect("a readable manifest")
}

const SECRET: &str = "whsec_test_0123456789abcdef";

fn event() -> Event {
    Event {
        kind: "fax.received".into(),
        account: "acme".into(),
        job_id: Some("20270111T100000Z-0badc0de".into()),
        fax_id: None,
        call_id: Some("call-1@test".into()),
        from: "+15550007001".into(),
        to: "+33299007100".into(),
        pages: Some(2),
        duration_secs: 41,
        result: "ok".into(),
        time: "2027-01-11T10:00:00Z".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_then_failing_receiver_delays_the_event_and_gets_it_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.spool.dir = tmp.path().join("spool");
    config.database.url = format!("sqlite://{}", tmp.path().join("faxvox.db").display());
    config.smtp.url = "smtp://127.0.0.1:9?tls=none".into();
    let directory = Directory::open(&config.database.url).await.unwrap();
    directory
        .add_account(&NewAccount::new("acme", vec!["a@acme.example".into()]))
        .await
        .unwrap();
    let start = SystemTime::now();
    let (spool, _) = Spool::open(
        &config.spool.dir,
        worker::spool_options(&config.spool),
        start,
    )
    .unwrap();

    // No webhook: nothing is queued.
    assert_eq!(
        webhook::enqueue(&directory, &spool, start, &event())
            .await
            .unwrap(),
        None
    );

    // The receiver is down: nothing listens on its port yet.
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/hooks/faxvox?x=1");
    webhook::set(&directory, "acme", &url, SECRET)
        .await
        .unwrap();
    let id = webhook::enqueue(&directory, &spool, start, &event())
        .await
        .unwrap()
        .expect("queued");

    let clock = Arc::new(Mutex::new(start));
    let c = clock.clone();
    let transport = Transport::from_config(&config.smtp, &config.delivery).unwrap();
    let worker = Worker::new(spool.clone(), directory.clone(), transport, &config)
        .unwrap()
        .with_clock(move || *c.lock().unwrap());

    let report = worker.deliver_due().await;
    assert_eq!(report.retrying(), 1, "{report}");
    let job = manifest(&spool, &id);
    assert_eq!(job.kind, JobKind::Webhook);
    let JobState::Retrying { last_error, .. } = &job.state else {
        panic!("not retrying: {:?}", job.state);
    };
    assert!(last_error.contains("cannot connect"), "{last_error}");

    // It comes up, answering 500 once, then 204.
    let receiver = Receiver::start_on(port, &[500, 204]);
    // Not due before its backoff.
    *clock.lock().unwrap() = start + Duration::from_secs(30);
    assert_eq!(worker.deliver_due().await.jobs.len(), 0);
    *clock.lock().unwrap() = start + Duration::from_secs(61);
    let report = worker.deliver_due().await;
    assert_eq!(report.retrying(), 1, "{report}");
    let JobState::Retrying { last_error, .. } = &manifest(&spool, &id).state else {
        panic!("not retrying after a 500");
    };
    assert!(last_error.contains("answered 500"), "{last_error}");

    *clock.lock().unwrap() = start + Duration::from_secs(61 + 121);
    let report = worker.deliver_due().await;
    assert_eq!(report.delivered(), 1, "{report}");
    assert!(matches!(
        manifest(&spool, &id).state,
        JobState::Delivered { .. }
    ));

    let posts = receiver.posts();
    assert_eq!(posts.len(), 2, "{posts:?}");
    let unix = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let expected_t = [unix(start) + 61, unix(start) + 61 + 121];
    for (post, t) in posts.iter().zip(expected_t) {
        assert_eq!(post.method, "POST");
        assert_eq!(post.path, "/hooks/faxvox?x=1");
        assert_eq!(post.header("content-type"), Some("application/json"));
        // Signed at its own attempt.
        assert_eq!(verify(SECRET, post), Ok(t));
        assert!(verify("another secret", post).is_err());
        let body = post.json();
        assert_eq!(body, serde_json::to_value(event()).unwrap());
        assert_eq!(body["type"], "fax.received");
        assert_eq!(body["pages"], 2);
    }
    assert_eq!(posts[0].body, posts[1].body);
    assert_eq!(posts[0].answered, 500);
    assert_eq!(posts[1].answered, 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_whose_webhook_was_removed_ends_dead() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.spool.dir = tmp.path().join("spool");
    config.database.url = format!("sqlite://{}", tmp.path().join("faxvox.db").display());
    config.smtp.url = "smtp://127.0.0.1:9?tls=none".into();
    let directory = Directory::open(&config.database.url).await.unwrap();
    directory
        .add_account(&NewAccount::new("acme", vec!["a@acme.example".into()]))
        .await
        .unwrap();
    let now = SystemTime::now();
    let (spool, _) =
        Spool::open(&config.spool.dir, worker::spool_options(&config.spool), now).unwrap();
    webhook::set(&directory, "acme", "http://127.0.0.1:9/x", SECRET)
        .await
        .unwrap();
    let id = webhook::enqueue(&directory, &spool, now, &event())
        .await
        .unwrap()
        .expect("queued");
    assert!(webhook::remove(&directory, "acme").await.unwrap());
    let transport = Transport::from_config(&config.smtp, &config.delivery).unwrap();
    let report = worker::deliver_due(now, &spool, &directory, &transport, &config)
        .await
        .unwrap();
    assert_eq!(report.dead(), 1, "{report}");
    let JobState::Dead { reason, .. } = &manifest(&spool, &id).state else {
        panic!("not dead");
    };
    assert!(reason.contains("no webhook"), "{reason}");
}
