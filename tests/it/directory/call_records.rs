//! Call detail records on a real SQLite file: what is written reads back identically after a
//! reopen, queries filter by account and period (half-open, by start time), the retention
//! purge deletes exactly the old ones, and the schema refuses what the application would.
//!
//! The same scenario runs on PostgreSQL when `TEST_POSTGRES_URL` points at a scratch database
//! (as in `directory_lib.rs`); without it that test returns early.

use std::time::{Duration, SystemTime};

use faxvox::directory::records::{record_time, records_cutoff};
use faxvox::directory::{
    CallKind, CallRecord, CallStatus, Direction, Directory, NewAccount, NewCallRecord,
};

fn at(rfc3339: &str) -> SystemTime {
    faxvox_spool::parse_rfc3339(rfc3339).unwrap()
}

fn fax_call() -> NewCallRecord {
    NewCallRecord {
        call_id: "a84b4c76e66710@pc33.example".into(),
        account: Some("zoe".into()),
        line: Some("+33253437555".into()),
        called: "0253437555".into(),
        caller: "+33612345678".into(),
        caller_name: Some("Cabinet Lefèvre".into()),
        kind: CallKind::Fax,
        direction: Direction::In,
        start: at("2026-11-27T07:49:12.345Z"),
        answered: Some(at("2026-11-27T07:49:13.001Z")),
        duration: Duration::from_millis(95_250),
        pages: Some(3),
        status: CallStatus::Partial,
        sip_status: Some(200),
        reason: Some("T.30 error: call dropped during page 3".into()),
        job_id: Some("20261127T075048Z-3f9a2c1b".into()),
        rtp_lost: 17,
        rtp_foreign: 250,
        udptl_foreign: 3,
        cost: None,
    }
}

async fn scenario(url: &str) {
    let dir = Directory::open(url).await.unwrap();
    dir.add_account(&NewAccount::new("zoe", vec!["zoe@example.com".into()]))
        .await
        .unwrap();

    let fax = dir.add_call_record(&fax_call()).await.unwrap();
    assert!(fax.id.starts_with("20261127T074912Z-"), "{}", fax.id);
    assert_eq!(fax.start, "2026-11-27T07:49:12.345Z");
    assert_eq!(fax.answered.as_deref(), Some("2026-11-27T07:49:13.001Z"));
    assert_eq!(fax.duration_ms, 95_250);
    assert_eq!(fax.start_time(), Some(at("2026-11-27T07:49:12.345Z")));

    let mut missed = NewCallRecord::new(
        "missed-1",
        "+33253437556",
        CallKind::Missed,
        CallStatus::Ok,
        at("2026-11-27T07:49:12.345Z"),
    );
    missed.account = Some("zoe".into());
    missed.reason = Some("hung up before the beep".into());
    let missed = dir.add_call_record(&missed).await.unwrap();
    assert_ne!(missed.id, fax.id, "same start second, distinct ids");

    // A rejected call to a number that is not ours: no account, no line, not answered.
    let mut rejected = NewCallRecord::new(
        "rejected-1",
        "+33999",
        CallKind::Rejected,
        CallStatus::Failed,
        at("2026-12-01T00:00:00Z"),
    );
    rejected.sip_status = Some(404);
    let rejected = dir.add_call_record(&rejected).await.unwrap();

    // An old voicemail of the previous year, to be purged.
    let mut old = NewCallRecord::new(
        "old-1",
        "+33253437556",
        CallKind::Voicemail,
        CallStatus::Ok,
        at("2025-10-01T12:00:00Z"),
    );
    old.account = Some("zoe".into());
    old.direction = Direction::Out;
    let old = dir.add_call_record(&old).await.unwrap();
    dir.close().await;

    // Everything reads back identically after a reopen.
    let dir = Directory::open(url).await.unwrap();
    let all = dir
        .call_records(None, SystemTime::UNIX_EPOCH, at("2100-01-01T00:00:00Z"))
        .await
        .unwrap();
    let ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(all.len(), 4, "{ids:?}");
    assert_eq!(all[0], old, "oldest first");
    assert_eq!(all[3], rejected);
    let by_id = |id: &str| -> &CallRecord { all.iter().find(|r| r.id == id).unwrap() };
    assert_eq!(*by_id(&fax.id), fax);
    let stored = by_id(&fax.id);
    assert_eq!((stored.rtp_foreign, stored.udptl_foreign), (250, 3));
    assert_eq!(*by_id(&missed.id), missed);
    assert_eq!(old.direction, Direction::Out);
    assert_eq!(rejected.account, None);
    assert_eq!(rejected.sip_status, Some(404));

    // Per account and period: [from, to) on the start time.
    let nov = dir
        .call_records(
            Some("zoe"),
            at("2026-11-01T00:00:00Z"),
            at("2026-12-01T00:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(nov.len(), 2);
    assert!(nov.iter().all(|r| r.account.as_deref() == Some("zoe")));
    let from_the_call = dir
        .call_records(
            Some("zoe"),
            at("2026-11-27T07:49:12.345Z"),
            at("2026-11-27T07:49:12.346Z"),
        )
        .await
        .unwrap();
    assert_eq!(
        from_the_call.len(),
        2,
        "start is inclusive to the millisecond"
    );
    let before = dir
        .call_records(
            None,
            at("2026-11-27T07:49:12Z"),
            at("2026-11-27T07:49:12.345Z"),
        )
        .await
        .unwrap();
    assert!(before.is_empty(), "end is exclusive");
    assert!(dir
        .call_records(Some("nobody"), SystemTime::UNIX_EPOCH, SystemTime::now())
        .await
        .unwrap()
        .is_empty());

    // Retention: 12 months before 2026-12-15 keeps everything from 2025-12-15 on.
    let cutoff = records_cutoff(at("2026-12-15T10:00:00Z"), 12);
    assert_eq!(record_time(cutoff), "2025-12-15T10:00:00.000Z");
    assert_eq!(dir.purge_call_records(cutoff).await.unwrap(), 1);
    assert_eq!(dir.purge_call_records(cutoff).await.unwrap(), 0);
    let left = dir
        .call_records(None, SystemTime::UNIX_EPOCH, at("2100-01-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(left.len(), 3);
    assert!(left.iter().all(|r| r.id != old.id));

    // The schema refuses what the application never writes.
    let bad_kind = sqlx::query(
        "INSERT INTO call_records (id, call_id, called, kind, start, status) \
         VALUES ('x1', 'c', '+33', 'telex', '2026-01-01T00:00:00.000Z', 'ok')",
    )
    .execute(dir.pool())
    .await;
    assert!(bad_kind.is_err(), "kind is checked");
    let bad_duration = sqlx::query(
        "INSERT INTO call_records (id, call_id, called, kind, start, status, duration_ms) \
         VALUES ('x2', 'c', '+33', 'fax', '2026-01-01T00:00:00.000Z', 'ok', -5)",
    )
    .execute(dir.pool())
    .await;
    assert!(bad_duration.is_err(), "duration is checked");
    dir.close().await;
}

#[tokio::test]
async fn records_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    scenario(&format!("sqlite://{}/faxvox.db", tmp.path().display())).await;
}

/// The same scenario on PostgreSQL, when a scratch database is provided.
#[tokio::test]
async fn records_on_postgres() {
    let Ok(url) = std::env::var("TEST_POSTGRES_URL") else {
        eprintln!("TEST_POSTGRES_URL not set: PostgreSQL scenario skipped");
        return;
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    // Start from an empty schema: every table of every migration goes, so the scenario runs
    // again on the same database (it used to drop a list of tables that later migrations
    // outgrew).
    for sql in ["DROP SCHEMA public CASCADE", "CREATE SCHEMA public"] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    scenario(&url).await;
}
