//! End to end, signed webhooks: a `faxvox serve` whose account has a webhook receives a real
//! fax; the receiver answers 500 the first time, so the `fax.received` event waits in the
//! spool (`spool list` shows it retrying) and is POSTed again after the backoff; every POST's
//! `Faxvox-Signature` verifies with the account's secret.

use crate::support;
use crate::support::fax_pages;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::gateway::Gateway;
use support::smtp::{SinkOptions, SmtpSink};
use support::webhook::{verify, Receiver};

const FAX_LINE: &str = "+33299007200";
const SECRET: &str = "whsec_e2e_0123456789abcdef";

fn spool_jobs(gw: &Gateway) -> Vec<Value> {
    serde_json::from_str(&gw.ok(&["spool", "list", "--json"])).expect("spool list --json")
}

#[test]
fn a_fax_received_event_refused_once_is_posted_again_and_every_post_is_signed() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let receiver = Receiver::start(&[500]);
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["fax@acme.example"], "Acme");
    gw.line_add(FAX_LINE, "acme", "fax", None);
    let said = gw.ok(&[
        "account",
        "webhook",
        "acme",
        "--url",
        &receiver.url("/faxvox"),
        "--secret",
        SECRET,
    ]);
    assert!(said.contains("webhook set to"), "{said}");
    gw.start();

    let doc = fax_pages::write_doc(gw.path(), "doc.tif", &[fax_pages::test_page_top(41, 400)]);
    gw.call(&[
        "fax",
        "--to",
        &gw.uri(FAX_LINE),
        "--file",
        &doc.display().to_string(),
        "--from",
        "+15550007001",
        "--no-t38",
    ])
    .assert_ok("fax call");

    // The first POST is answered 500: the event stays in the spool, retrying.
    let posts = receiver.wait_posts(1, Duration::from_secs(30));
    assert_eq!(posts.len(), 1, "no webhook POST; log:\n{}", gw.log());
    let deadline = Instant::now() + Duration::from_secs(10);
    let hook_job = loop {
        let jobs = spool_jobs(&gw);
        let hook = jobs.iter().find(|j| j["kind"] == "webhook").cloned();
        if let Some(j) = hook.filter(|j| j["state"] == "retrying") {
            break j;
        }
        assert!(
            Instant::now() < deadline,
            "no retrying webhook job: {jobs:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        hook_job["problem"]
            .as_str()
            .is_some_and(|p| p.contains("answered 500")),
        "{hook_job}"
    );
    assert_eq!(hook_job["account"], "acme");

    // Posted again after the spool's first backoff (a minute) and the worker's poll.
    let posts = receiver.wait_posts(2, Duration::from_secs(100));
    assert_eq!(
        posts.len(),
        2,
        "the event was not posted again; log:\n{}",
        gw.log()
    );
    assert_eq!((posts[0].answered, posts[1].answered), (500, 200));
    let fax_job = spool_jobs(&gw)
        .into_iter()
        .find(|j| j["kind"] == "fax")
        .expect("the fax's job");
    let mut stamps = Vec::new();
    for post in &posts {
        assert_eq!(post.method, "POST");
        assert_eq!(post.path, "/faxvox");
        assert_eq!(post.header("content-type"), Some("application/json"));
        let t = verify(SECRET, post).unwrap_or_else(|e| panic!("signature: {e}"));
        stamps.push(t);
        let event = post.json();
        assert_eq!(event["type"], "fax.received", "{event}");
        assert_eq!(event["account"], "acme");
        assert_eq!(event["job_id"], fax_job["id"]);
        assert_eq!(event["from"], "+15550007001");
        assert_eq!(event["to"], FAX_LINE);
        assert_eq!(event["pages"], 1);
        assert_eq!(event["result"], "ok");
        assert!(event["call_id"].as_str().is_some_and(|c| !c.is_empty()));
        assert!(event["duration_secs"].as_u64().is_some());
        assert!(
            event["time"]
                .as_str()
                .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok()),
            "{event}"
        );
        let text = String::from_utf8_lossy(&post.body);
        assert!(!text.contains(SECRET) && !text.contains("tif"), "{text}");
    }
    assert_eq!(posts[0].body, posts[1].body);
    // Each attempt signs with its own time: the second a minute or more after the first.
    assert!(stamps[1] >= stamps[0] + 60, "{stamps:?}");

    let deadline = Instant::now() + Duration::from_secs(10);
    while !spool_jobs(&gw)
        .iter()
        .any(|j| j["kind"] == "webhook" && j["state"] == "delivered")
    {
        assert!(Instant::now() < deadline, "webhook job not delivered");
        std::thread::sleep(Duration::from_millis(200));
    }
    gw.assert_alive("after the webhook");
}

/// An outbound fax that fails (the trunk answers 486 Busy to both attempts): its account's
/// webhook gets one signed `fax.failed` event naming the fax, the numbers and the result.
#[test]
fn a_failed_outbound_fax_posts_a_signed_fax_failed_event() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let receiver = Receiver::start(&[]);
    let (port, _invites) = support::sip_raw::busy_trunk();
    let mut gw = Gateway::new(&sink);
    gw.add_trunk(
        &format!("sip:127.0.0.1:{port}"),
        "retry_secs = 1\nmax_attempts = 2\n",
    );
    gw.account_add("alice", &["alice@a.example"], "Alice SARL");
    gw.line_add("+33100000001", "alice", "fax", None);
    gw.rate_france("0.05");
    // A generated secret, printed alone on stdout.
    let secret = gw
        .ok(&[
            "account",
            "webhook",
            "alice",
            "--url",
            &receiver.url("/out"),
        ])
        .trim()
        .to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 32,
        "{secret}"
    );
    gw.start();

    let doc = fax_pages::write_doc(gw.path(), "doc.tif", &[fax_pages::test_page_top(42, 300)]);
    let out = gw
        .command(&[
            "send",
            "--account",
            "alice",
            "--from",
            "+33100000001",
            "--to",
            "+33299001122",
            &doc.display().to_string(),
            "--wait",
            "--wait-secs",
            "60",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(3), "{stdout}");

    let posts = receiver.wait_posts(1, Duration::from_secs(30));
    assert_eq!(posts.len(), 1, "no webhook POST; log:\n{}", gw.log());
    let post = &posts[0];
    verify(&secret, post).unwrap_or_else(|e| panic!("signature: {e}"));
    let event = post.json();
    eprintln!("{event}");
    assert_eq!(event["type"], "fax.failed", "{event}");
    assert_eq!(event["account"], "alice");
    let fax_id = event["fax_id"].as_str().expect("fax_id");
    assert!(stdout.contains(fax_id), "{fax_id} not in {stdout}");
    assert_eq!(event["from"], "+33100000001");
    assert_eq!(event["to"], "+33299001122");
    assert_eq!(event["pages"], 0);
    assert!(
        event["result"].as_str().is_some_and(|r| r.contains("486")),
        "{event}"
    );
    assert!(event.get("job_id").is_none(), "{event}");
    // Delivered once: no second POST.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(receiver.posts().len(), 1);
}
