//! The gateway's admission limits, in process over real SIP sockets on 127.0.0.1: a spool over
//! its high-water mark answers 503 (no message could be kept, so none is taken) and writes no
//! call folder; with room again, the same number is answered.

mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use faxvox::config::Config;
use faxvox::directory::{Directory, LineKind, NewAccount, NewLine};
use faxvox::gateway::server::Gateway;
use faxvox::sip::stack::{SipStack, StackConfig};
use faxvox_spool::{DiskUsage, Spool, SpoolOptions};
use support::sip_raw::SipClient;

const VM_LINE: &str = "+33299004000";

async fn gateway_with_disk(
    dir: &std::path::Path,
    used: f64,
) -> (SipStack, tokio::task::JoinHandle<()>, Directory) {
    let mut config = Config::default();
    config.spool.dir = dir.join("spool");
    config.database.url = format!("sqlite://{}?mode=rwc", dir.join("faxvox.db").display());
    config.sip.rtp_ports = "0-0".into();
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
        .with_disk_usage(move |_: &std::path::Path| Ok(DiskUsage::simulated(used)));
    let (spool, _) = Spool::open(&config.spool.dir, opts, SystemTime::now()).unwrap();
    let gw = Gateway::new(
        config.clone(),
        directory.clone(),
        spool,
        Arc::new(tokio::sync::Notify::new()),
    )
    .unwrap();
    let (stack, incoming) = SipStack::start(StackConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        tcp: false,
        user_agent: "faxvox-test".into(),
        ..StackConfig::default()
    })
    .await
    .unwrap();
    let task = tokio::spawn(async move { gw.run(incoming).await });
    (stack, task, directory)
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

    let (stack, task, directory) = gateway_with_disk(dir.path(), 0.97).await;
    let target = stack.local_addr();
    let status = tokio::task::spawn_blocking(move || invite_status(target))
        .await
        .unwrap();
    assert_eq!(status, 503, "a call the spool cannot keep must be refused");
    let calls = dir.path().join("spool").join("calls");
    let left = std::fs::read_dir(&calls).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "a refused call left a call folder");
    task.abort();
    stack.shutdown();
    directory.close().await;

    let (stack, task, directory) = gateway_with_disk(dir.path(), 0.20).await;
    let target = stack.local_addr();
    let status = tokio::task::spawn_blocking(move || invite_status(target))
        .await
        .unwrap();
    assert_eq!(status, 200, "with room on the disk the call is answered");
    task.abort();
    stack.shutdown();
    directory.close().await;
}
