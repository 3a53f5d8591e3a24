//! The HTTP API's fax listing and its connection limits, over real TCP on 127.0.0.1 with a real
//! SQLite directory and a real spool in a temporary folder (raw HTTP/1.1 on the socket):
//!
//! - `GET /v1/faxes` pages with `limit` and `cursor`: walking the pages sees every fax of the
//!   account exactly once, and nobody else's;
//! - a page of 50 out of 2 000 jobs reads about 50 job records, not 2 000 (the spool's
//!   counter of records read by listings);
//! - an unreadable job record (garbage manifest, a manifest that cannot be read at all) does
//!   not break the listing: 200 with the other faxes, the bad ones listed apart for the admin;
//! - a client that sends its headers one byte at a time is disconnected once
//!   `api.header_timeout_secs` has passed; one that trickles its body gets 408 after
//!   `api.request_timeout_secs`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use faxvox::api::{self, tokens, ApiServer};
use faxvox::billing::Money;
use faxvox::config::Config;
use faxvox::directory::{Directory, LineKind, NewAccount, NewLine};
use faxvox::outbound::OutboundFacts;
use faxvox_spool::{JobId, JobKind, Spool};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ADMIN: &str = "admin-s3cret-token";

struct Site {
    tmp: tempfile::TempDir,
    dir: Directory,
    spool: Spool,
    server: Option<ApiServer>,
    addr: SocketAddr,
    alice: String,
    bob: String,
    /// Seconds after the start at which the next job is created (ids order by the second).
    clock: std::cell::Cell<u64>,
}

impl Site {
    async fn new(header_timeout: u64, request_timeout: u64) -> Site {
        let tmp = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let dir = Directory::open(&format!("sqlite://{}/faxvox.db", tmp.path().display()))
            .await
            .unwrap();
        for (id, line) in [("alice", "+33100000001"), ("bob", "+33299001122")] {
            dir.add_account(&NewAccount::new(id, vec![format!("{id}@example.com")]))
                .await
                .unwrap();
            dir.add_line(&NewLine {
                number: line.into(),
                account: id.into(),
                kind: LineKind::Fax,
                target: None,
            })
            .await
            .unwrap();
        }
        let mut config = Config::default();
        config.spool.dir = tmp.path().join("spool");
        config.api.listen = Some("127.0.0.1:0".parse().unwrap());
        config.api.admin_token = ADMIN.into();
        config.api.header_timeout_secs = header_timeout;
        config.api.request_timeout_secs = request_timeout;
        let (spool, _) = Spool::open(
            &config.spool.dir,
            faxvox::worker::spool_options(&config.spool),
            now,
        )
        .unwrap();
        let alice = tokens::create_token(&dir, "alice", now)
            .await
            .unwrap()
            .token;
        let bob = tokens::create_token(&dir, "bob", now).await.unwrap().token;
        let server = api::start(&config, &dir, &spool).await.unwrap().unwrap();
        let addr = server.local_addr();
        Site {
            tmp,
            dir,
            spool,
            server: Some(server),
            addr,
            alice,
            bob,
            clock: std::cell::Cell::new(0),
        }
    }

    /// Queues an outbound fax of `account` straight into the spool (no rasterising, no
    /// billing: the listing only reads the job record).
    fn queue(&self, account: &str, n: usize) -> JobId {
        let facts = OutboundFacts {
            fax_id: format!("{account}-{n:05}"),
            account: account.into(),
            from: "+33100000001".into(),
            to: "+33299001122".into(),
            anonymous: false,
            pages: 1,
            reservation: format!("r-{account}-{n}"),
            rate: Money::parse("0.05").unwrap(),
            amount: Money::parse("0.05").unwrap(),
            prefix: "33".into(),
            submitted: "2026-12-07T09:00:00Z".into(),
            reply: None,
            header: true,
        };
        let at = self.clock.get();
        self.clock.set(at + 1);
        self.spool
            .enqueue(
                SystemTime::now() + Duration::from_secs(at),
                JobKind::OutboundFax,
                facts.to_map(),
                &[],
            )
            .unwrap()
    }

    /// Copies the job `model` of `account` `count` times under fresh ids (fax ids
    /// `account-NNNNN` from `first`): many jobs without thousands of fsyncs.
    fn clone_jobs(&self, model: &JobId, account: &str, first: usize, count: usize) {
        let root = self.tmp.path().join("spool");
        let model_dir = root.join(model.as_str());
        let manifest = std::fs::read_to_string(model_dir.join("manifest.json")).unwrap();
        let model_fax = format!("\"{account}-{:05}\"", 0);
        assert!(manifest.contains(&model_fax), "{manifest}");
        let base = SystemTime::now() + Duration::from_secs(self.clock.get() + 10);
        for i in 0..count {
            let id = JobId::generate(base + Duration::from_secs(i as u64));
            let dest = root.join(id.as_str());
            std::fs::create_dir(&dest).unwrap();
            for entry in std::fs::read_dir(&model_dir).unwrap() {
                let entry = entry.unwrap();
                let name = entry.file_name();
                if name == "manifest.json" {
                    let text = manifest
                        .replace(model.as_str(), id.as_str())
                        .replace(&model_fax, &format!("\"{account}-{:05}\"", first + i));
                    std::fs::write(dest.join(&name), text).unwrap();
                } else {
                    std::fs::copy(entry.path(), dest.join(&name)).unwrap();
                }
            }
        }
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let mut s = TcpStream::connect(self.addr).await.unwrap();
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut raw))
            .await
            .expect("response within 30 s")
            .unwrap();
        let text = String::from_utf8_lossy(&raw).to_string();
        let status: u16 = text[9..12].parse().unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_string()
        };
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// Every page of `query` with `token`: the fax ids in the order seen, and the pages.
    async fn walk(&self, query: &str, token: &str) -> (Vec<String>, usize) {
        let mut ids = Vec::new();
        let mut pages = 0;
        let mut path = format!("/v1/faxes?{query}");
        loop {
            let (status, json) = self.get(&path, token).await;
            assert_eq!(status, 200, "{path}: {json}");
            pages += 1;
            assert!(pages < 1000, "the pages never end");
            for f in json["faxes"].as_array().unwrap() {
                ids.push(f["id"].as_str().unwrap().to_string());
            }
            match json["next"].as_str() {
                Some(next) => {
                    let cursor = json["next_cursor"].as_str().expect("next_cursor with next");
                    assert!(next.contains("cursor="), "{next}");
                    assert!(!cursor.is_empty());
                    path = next.to_string();
                }
                None => {
                    assert!(json["next_cursor"].is_null(), "{json}");
                    break;
                }
            }
        }
        (ids, pages)
    }

    async fn close(mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
        self.dir.close().await;
    }
}

fn dechunk(mut data: &str) -> String {
    let mut out = String::new();
    loop {
        let Some((size, rest)) = data.split_once("\r\n") else {
            return out;
        };
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            return out;
        }
        out.push_str(&rest[..n]);
        data = rest[n..].trim_start_matches("\r\n");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_walk_every_fax_exactly_once() {
    let site = Site::new(10, 60).await;
    let mut alice = Vec::new();
    let mut bob = Vec::new();
    for n in 0..23 {
        site.queue("alice", n);
        alice.push(format!("alice-{n:05}"));
        if n % 3 == 0 {
            site.queue("bob", n);
            bob.push(format!("bob-{n:05}"));
        }
    }
    let (seen, pages) = site.walk("limit=5", &site.alice).await;
    assert_eq!(seen, alice, "alice's faxes, each once, in order");
    assert!(pages >= 5, "23 faxes in pages of 5: {pages} pages");
    let (seen, _) = site.walk("limit=4", &site.bob).await;
    assert_eq!(seen, bob);
    // The admin sees both, once each; the state and account filters carry over the pages.
    let (seen, _) = site.walk("limit=7", ADMIN).await;
    assert_eq!(seen.len(), alice.len() + bob.len());
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        seen.len(),
        "{seen:?}"
    );
    let (seen, _) = site.walk("limit=3&account=bob&state=queued", ADMIN).await;
    assert_eq!(seen, bob);
    // Without a limit: one page of 50 at most.
    let (status, json) = site.get("/v1/faxes", &site.alice).await;
    assert_eq!(status, 200);
    assert_eq!(json["faxes"].as_array().unwrap().len(), 23);
    assert!(json["next_cursor"].is_null());
    // Bad limits and cursors are refused, not guessed.
    for q in ["limit=0", "limit=501", "limit=x"] {
        let (status, json) = site.get(&format!("/v1/faxes?{q}"), &site.alice).await;
        assert_eq!(
            (status, json["error"].as_str()),
            (422, Some("invalid_limit")),
            "{q}"
        );
    }
    let (status, json) = site.get("/v1/faxes?cursor=%0A%2F..", &site.alice).await;
    assert_eq!(
        (status, json["error"].as_str()),
        (422, Some("invalid_cursor"))
    );
    site.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_reads_about_limit_records_not_the_whole_spool() {
    let site = Site::new(10, 60).await;
    let model = site.queue("alice", 0);
    site.clone_jobs(&model, "alice", 1, 1999);
    let before = site.spool.listed_reads();
    let started = Instant::now();
    let (status, json) = site.get("/v1/faxes?limit=50", &site.alice).await;
    let took = started.elapsed();
    let reads = site.spool.listed_reads() - before;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["faxes"].as_array().unwrap().len(), 50);
    assert_eq!(json["faxes"][0]["id"], "alice-00000");
    assert!(json["next_cursor"].is_string(), "{}", json["next_cursor"]);
    eprintln!("first page of 50 out of 2000 jobs: {reads} records read in {took:?}");
    assert!(
        (50..=60).contains(&reads),
        "a page of 50 read {reads} job records out of 2000"
    );
    // A page in the middle costs the same.
    let next = json["next"].as_str().unwrap().to_string();
    let before = site.spool.listed_reads();
    let (status, json) = site.get(&next, &site.alice).await;
    let reads = site.spool.listed_reads() - before;
    assert_eq!(status, 200);
    assert_eq!(json["faxes"][0]["id"], "alice-00050");
    assert!(
        (50..=60).contains(&reads),
        "second page read {reads} records"
    );
    // Another account's token finds nothing, and the work is still bounded.
    let before = site.spool.listed_reads();
    let (status, json) = site.get("/v1/faxes?limit=50", &site.bob).await;
    let reads = site.spool.listed_reads() - before;
    assert_eq!(status, 200);
    assert!(json["faxes"].as_array().unwrap().is_empty());
    assert!(reads <= 200, "bob's empty page read {reads} records");
    assert!(json["next_cursor"].is_string(), "more to look at: {json}");
    site.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_record_does_not_break_the_listing() {
    let site = Site::new(10, 60).await;
    let good = [
        site.queue("alice", 0),
        site.queue("alice", 1),
        site.queue("alice", 2),
    ];
    let garbage = site.queue("alice", 3);
    let unreadable = site.queue("alice", 4);
    let spool = site.tmp.path().join("spool");
    std::fs::write(
        spool.join(garbage.as_str()).join("manifest.json"),
        b"\x00\xffnot json at all{{{",
    )
    .unwrap();
    // A manifest that cannot even be read (an I/O error, not bad JSON).
    let m = spool.join(unreadable.as_str()).join("manifest.json");
    std::fs::remove_file(&m).unwrap();
    std::fs::create_dir(&m).unwrap();
    let (status, json) = site.get("/v1/faxes", &site.alice).await;
    assert_eq!(status, 200, "{json}");
    let ids: Vec<&str> = json["faxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["alice-00000", "alice-00001", "alice-00002"]);
    assert_eq!(good.len(), 3);
    assert!(json["unreadable"].as_array().unwrap().is_empty(), "{json}");
    // The admin is told which records could not be read.
    let (status, json) = site.get("/v1/faxes", ADMIN).await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["faxes"].as_array().unwrap().len(), 3);
    let bad: HashSet<&str> = json["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["job"].as_str().unwrap())
        .collect();
    assert_eq!(bad, HashSet::from([garbage.as_str(), unreadable.as_str()]));
    // Paging across the bad records still ends.
    let (seen, _) = site.walk("limit=2", &site.alice).await;
    assert_eq!(seen, ["alice-00000", "alice-00001", "alice-00002"]);
    site.close().await;
}

/// Sends `bytes` one at a time, `gap` apart, until the server closes the connection; returns
/// how long it stayed open (`None`: still open after `give_up`).
async fn trickle(
    addr: SocketAddr,
    bytes: &[u8],
    gap: Duration,
    give_up: Duration,
) -> Option<Duration> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    let mut i = 0;
    loop {
        if started.elapsed() > give_up {
            return None;
        }
        if i < bytes.len() && s.write_all(&bytes[i..=i]).await.is_err() {
            return Some(started.elapsed());
        }
        i += 1;
        match tokio::time::timeout(gap, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {
                // A response (e.g. 408): read on until the server closes.
                continue;
            }
            Err(_) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off() {
    let site = Site::new(2, 3).await;
    // Headers one byte every 400 ms: never complete within the 2 s header timeout.
    let head = format!(
        "GET /v1/faxes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nX-Padding: {}\r\n\r\n",
        site.alice,
        "a".repeat(200)
    );
    let open = trickle(
        site.addr,
        head.as_bytes(),
        Duration::from_millis(400),
        Duration::from_secs(15),
    )
    .await
    .expect("a slow-loris connection is still open after 15 s");
    eprintln!("slow headers: connection closed after {open:?}");
    assert!(
        open >= Duration::from_millis(1500) && open <= Duration::from_secs(5),
        "closed after {open:?}; the header timeout is 2 s"
    );
    // An idle connection that never sends anything is closed too.
    let open = trickle(
        site.addr,
        b"",
        Duration::from_millis(200),
        Duration::from_secs(15),
    )
    .await
    .expect("an idle connection is still open after 15 s");
    assert!(
        open <= Duration::from_secs(5),
        "idle connection open {open:?}"
    );
    // Headers in time, then the body one byte every 400 ms: 408 after the 3 s request timeout.
    let mut s = TcpStream::connect(site.addr).await.unwrap();
    let head = format!(
        "POST /v1/faxes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 100000\r\n\r\n",
        site.alice
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n+33299001122";
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let mut i = 0;
    while started.elapsed() < Duration::from_secs(15) {
        if i < body.len() {
            let _ = s.write_all(&body[i..=i]).await;
            i += 1;
        }
        match tokio::time::timeout(Duration::from_millis(400), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => raw.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&raw);
    eprintln!(
        "slow body: answered after {took:?}: {}",
        text.lines().next().unwrap_or("")
    );
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
    assert!(
        took <= Duration::from_secs(7),
        "answered after {took:?}; the limit is 3 s"
    );
    // The server still serves.
    let (status, _) = site.get("/v1/faxes", &site.bob).await;
    assert_eq!(status, 200);
    let _ = &site.bob;
    site.close().await;
}
