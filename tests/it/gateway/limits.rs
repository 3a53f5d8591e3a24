//! The gateway's admission limits, in process over real SIP sockets on 127.0.0.1: a spool over
//! its high-water mark answers 503 (no message could be kept, so none is taken) and writes no
//! call folder; with room again, the same number is answered. A call whose commit fails (the
//! disk filled up during the call) keeps its folder, and the next recovery pass commits it.

use crate::support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use faxvox::config::Config;
use faxvox::directory::{Directory, LineKind, NewAccount, NewLine};
use faxvox::gateway::server::Gateway;
use faxvox::sip::stack::{SipStack, StackConfig};
use faxvox_spool::{DiskUsage, Spool, SpoolOptions};
use support::sip_raw::SipClient;

const VM_LINE: &str = "+33299004000";

struct Running {
    stack: SipStack,
    task: tokio::task::JoinHandle<()>,
    directory: Directory,
    gateway: Gateway,
    spool: Spool,
}

impl Running {
    async fn stop(self) {
        self.task.abort();
        self.stack.shutdown();
        self.directory.close().await;
    }
}

/// A gateway whose spool sees the disk `used_permille` ‰ full (changeable while it runs).
async fn gateway_with_disk(dir: &std::path::Path, used_permille: Arc<AtomicU32>) -> Running {
    let mut config = Config::default();
    config.spool.dir = dir.join("spool");
    config.database.url = format!("sqlite://{}?mode=rwc", dir.join("faxvox.db").display());
    let directory = Directory::open(&config.database.url).await.unwrap();
    if directory.account("acme").await.unwrap().is_none() {
        directory
            .add_account(&NewAccount::new("acme", vec!["vm@acme.example".into()]))
            .await
            .unwrap();
        directory
            .add_line(&NewLine {
                number: VM_LINE.into(),
                account: "acme".into(),
                kind: LineKind::Voicemail,
                target: None,
            })
            .await
            .unwrap();
    }
    let opts = SpoolOptions::default()
        .with_high_water(0.9)
        .with_disk_usage(move |_: &std::path::Path| {
            let used = used_permille.load(Ordering::SeqCst);
            Ok(DiskUsage::simulated(f64::from(used) / 1000.0))
        });
    let (spool, _) = Spool::open(&config.spool.dir, opts, SystemTime::now()).unwrap();
    let gw = Gateway::new(
        config.clone(),
        directory.clone(),
        spool.clone(),
        Arc::new(tokio::sync::Notify::new()),
    )
    .unwrap();
    let gateway = gw.clone();
    let (stack, incoming) = SipStack::start(StackConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        tcp: false,
        user_agent: "faxvox-test".into(),
        ..StackConfig::default()
    })
    .await
    .unwrap();
    let task = tokio::spawn(async move { gw.run(incoming).await });
    Running {
        stack,
        task,
        directory,
        gateway,
        spool,
    }
}

fn invite_status(target: std::net::SocketAddr) -> u16 {
    SipClient::new()
        .invite_final(target, VM_LINE, "+15550001111", Duration::from_secs(8))
        .expect("no final response")
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_spool_disk_gets_503_and_room_again_gets_200() {
    let dir = tempfile::tempdir().unwrap();
    let usage = Arc::new(AtomicU32::new(970));
    let gw = gateway_with_disk(dir.path(), usage.clone()).await;
    let target = gw.stack.local_addr();
    let status = tokio::task::spawn_blocking(move || invite_status(target))
        .await
        .unwrap();
    assert_eq!(status, 503, "a call the spool cannot keep must be refused");
    let calls = dir.path().join("spool").join("calls");
    let left = std::fs::read_dir(&calls).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "a refused call left a call folder");

    usage.store(200, Ordering::SeqCst);
    let status = tokio::task::spawn_blocking(move || invite_status(target))
        .await
        .unwrap();
    assert_eq!(status, 200, "with room on the disk the call is answered");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_refused_by_a_full_disk_is_retried_by_the_next_recovery_pass() {
    let dir = tempfile::tempdir().unwrap();
    let usage = Arc::new(AtomicU32::new(200));
    let gw = gateway_with_disk(dir.path(), usage.clone()).await;
    let calls = dir.path().join("spool").join("calls");
    let target = gw.stack.local_addr();
    // The disk fills up as soon as the call is answered: the call (hung up at once, so a
    // missed-call notice) cannot be committed when it ends.
    let filler = {
        let usage = usage.clone();
        let calls = calls.clone();
        tokio::spawn(async move {
            while std::fs::read_dir(&calls).map(|d| d.count()).unwrap_or(0) == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            usage.store(970, Ordering::SeqCst);
        })
    };
    let status = tokio::task::spawn_blocking(move || invite_status(target))
        .await
        .unwrap();
    assert_eq!(status, 200);
    filler.await.unwrap();
    // Give the call task time to end and fail its commit.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let jobs = gw.spool.list(&Default::default()).unwrap();
    assert!(jobs.is_empty(), "committed despite the full disk: {jobs:?}");
    assert_eq!(
        std::fs::read_dir(&calls).unwrap().count(),
        1,
        "the call folder must be kept when the commit fails"
    );
    // A pass while the disk is still full keeps it.
    assert_eq!(gw.gateway.recover().await, (0, 1));
    usage.store(200, Ordering::SeqCst);
    assert_eq!(gw.gateway.recover().await, (1, 0));
    let jobs = gw.spool.list(&Default::default()).unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(std::fs::read_dir(&calls).unwrap().count(), 0);
    // One detail record for the call, the recovered one (naming the job), not two.
    let records = gw
        .directory
        .call_records(
            None,
            std::time::SystemTime::UNIX_EPOCH,
            std::time::SystemTime::now() + Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        records[0].job_id.as_deref(),
        Some(jobs[0].id.as_str()),
        "{records:?}"
    );
    gw.stop().await;
}
