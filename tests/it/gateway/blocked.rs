//! Block lists at the door, over real SIP sockets on 127.0.0.1: a caller on the list of the
//! called line's account (or of the operator) gets 603 Decline with no SDP, no media port is
//! taken from the pool, and the call is recorded as blocked and counted as such. A withheld
//! caller is not matched by number prefixes, only by an `anonymous` entry.

use crate::support;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use faxvox::call::ports::PortPool;
use faxvox::config::Config;
use faxvox::directory::{BlockDirection, CallKind, Directory, LineKind, NewAccount, NewLine};
use faxvox::gateway::server::Gateway;
use faxvox::metrics::{metrics, CallResult, Direction, Kind};
use faxvox::sip::stack::{SipStack, StackConfig};
use faxvox_spool::{Spool, SpoolOptions};
use support::sip_raw::{Response, SipClient};

const VM_LINE: &str = "+33299004100";

fn invite(target: std::net::SocketAddr, from: &'static str) -> Response {
    SipClient::new()
        .invite_final(target, VM_LINE, from, Duration::from_secs(8))
        .expect("no final response")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_caller_gets_603_without_media_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.spool.dir = dir.path().join("spool");
    config.database.url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("faxvox.db").display()
    );
    let directory = Directory::open(&config.database.url).await.unwrap();
    for id in ["acme", "other"] {
        directory
            .add_account(&NewAccount::new(id, vec![format!("vm@{id}.example")]))
            .await
            .unwrap();
    }
    directory
        .add_line(&NewLine {
            number: VM_LINE.into(),
            account: "acme".into(),
            kind: LineKind::Voicemail,
            target: None,
        })
        .await
        .unwrap();
    // Operator-wide prefix, an entry of another account (must not apply to acme's line) and
    // an outbound-only entry (must not apply to calls in).
    directory
        .add_block("+1 555 000", None, BlockDirection::Both)
        .await
        .unwrap();
    directory
        .add_block("+44 20 7946 0001", Some("other"), BlockDirection::In)
        .await
        .unwrap();
    directory
        .add_block("+44 20 7946 0002", None, BlockDirection::Out)
        .await
        .unwrap();
    let (spool, _) = Spool::open(
        &config.spool.dir,
        SpoolOptions::default(),
        SystemTime::now(),
    )
    .unwrap();
    // A real port range whose freed ports rest a minute: any port the gateway took, even
    // briefly, shows in `in_use` or `resting`.
    let ports = PortPool::with_rest(
        "127.0.0.1".parse().unwrap(),
        47100..=47199,
        Duration::from_secs(60),
    );
    let gw = Gateway::with_ports(
        config.clone(),
        directory.clone(),
        spool.clone(),
        Arc::new(tokio::sync::Notify::new()),
        ports.clone(),
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
    let task = tokio::spawn({
        let gw = gw.clone();
        async move { gw.run(incoming).await }
    });
    let target = stack.local_addr();
    let blocked_before = metrics().calls(Direction::In, Kind::Voicemail, CallResult::Blocked);

    let resp = tokio::task::spawn_blocking(move || invite(target, "+15550001234"))
        .await
        .unwrap();
    assert_eq!(
        resp.status, 603,
        "a caller under a blocked prefix is declined"
    );
    assert!(resp.body.is_empty(), "the 603 carries no SDP");
    assert_eq!(resp.header("Content-Type"), None);
    assert_eq!(ports.in_use(), 0, "no media port was taken");
    assert_eq!(ports.resting(), 0, "no media port was even bound briefly");
    assert!(
        metrics().calls(Direction::In, Kind::Voicemail, CallResult::Blocked) > blocked_before,
        "counted as result=blocked"
    );
    let calls = config.spool.dir.join("calls");
    assert_eq!(
        std::fs::read_dir(&calls).map(|d| d.count()).unwrap_or(0),
        0,
        "a declined call left a call folder"
    );
    // The record is written just after the 603 is sent.
    let mut records = Vec::new();
    for _ in 0..100 {
        records = directory
            .call_records(
                Some("acme"),
                SystemTime::UNIX_EPOCH,
                SystemTime::now() + Duration::from_secs(3600),
            )
            .await
            .unwrap();
        if !records.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(records.len(), 1, "{records:?}");
    let rec = &records[0];
    assert_eq!(rec.kind, CallKind::Rejected);
    assert_eq!(rec.sip_status, Some(603));
    assert_eq!(rec.caller, "+15550001234");
    assert_eq!(rec.line.as_deref(), Some(VM_LINE));
    let reason = rec.reason.as_deref().unwrap_or("");
    assert!(reason.starts_with("blocked:"), "{reason}");
    assert!(reason.contains("+1555000"), "{reason}");

    // Another account's entry and an outbound-only entry do not decline acme's calls.
    for from in ["+442079460001", "+442079460002"] {
        let resp = tokio::task::spawn_blocking(move || invite(target, from))
            .await
            .unwrap();
        assert_eq!(resp.status, 200, "caller {from} is not blocked for acme");
    }
    // Held while the call is up, resting once it is over (the hang-up is asynchronous).
    assert!(
        ports.in_use() + ports.resting() > 0,
        "answered calls do take media ports"
    );

    // A withheld caller is not matched by a number prefix; an `anonymous` entry declines it.
    let resp = tokio::task::spawn_blocking(move || invite(target, "anonymous"))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    directory
        .add_block("anonymous", Some("acme"), BlockDirection::In)
        .await
        .unwrap();
    let resp = tokio::task::spawn_blocking(move || invite(target, "anonymous"))
        .await
        .unwrap();
    assert_eq!(resp.status, 603, "anonymous callers blocked for acme");

    task.abort();
    stack.shutdown();
    directory.close().await;
}
