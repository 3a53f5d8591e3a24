//! The HTTP API (`api.listen`) over real TCP on 127.0.0.1, with a real SQLite database and a
//! real spool in a temporary folder. Requests are raw HTTP/1.1 written on the socket (no
//! client library), so the tests see exactly what a client gets. Submission only: the trunk
//! is an unused address and no dialer runs, so accepted faxes stay queued.
//!
//! - a token is required (missing, wrong, revoked: 401);
//! - a valid submission is 202, queued in the spool with its facts, its amount reserved;
//! - another account's fax is 404 (as if it did not exist), the admin token sees it;
//! - the list is filtered by state (queued / sent) and by account;
//! - spoofed caller id 403, oversize 413, corrupt PDF 422, not a document 415: nothing
//!   reserved, nothing queued;
//! - a destination on the block list (do-not-fax) is 403 `destination_blocked` with the
//!   entry, nothing reserved, nothing queued;
//! - /v1/openapi.json parses and names the paths;
//! - a `cover` field (or `cover` in the JSON part) puts a cover page first, counted in the
//!   pages and the amount; an unusable cover text is 422 `cover_refused`, nothing reserved.
//! - `header=false` (a field or in the JSON part) is kept with the queued fax, in its facts
//!   and in the shared queue the dialer claims from; the default is on.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use faxvox::api::{self, tokens, ApiServer};
use faxvox::billing::{rates::parse_rates_csv, Billing, Money};
use faxvox::config::Config;
use faxvox::directory::{Directory, LineKind, NewAccount, NewLine};
use faxvox_codecs::{Bitmap, Page, Resolution};
use faxvox_spool::{JobKind, ListFilter, Spool, StateName};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ALICE_LINE: &str = "+33100000001";
const BOB_LINE: &str = "+33299001122";
const ADMIN: &str = "admin-s3cret-token";

struct Site {
    _tmp: tempfile::TempDir,
    dir: Directory,
    billing: Billing,
    spool: Spool,
    server: Option<ApiServer>,
    addr: SocketAddr,
    alice: String,
    bob: String,
}

impl Site {
    async fn new(max_upload: u64) -> Site {
        let tmp = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let dir = Directory::open(&format!("sqlite://{}/faxvox.db", tmp.path().display()))
            .await
            .unwrap();
        for (id, line) in [("alice", ALICE_LINE), ("bob", BOB_LINE)] {
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
        // An address nobody answers on: nothing dials here anyway (no dialer runs).
        let unused = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        config.trunk.uri = Some(
            format!("sip:{}", unused.local_addr().unwrap())
                .parse()
                .unwrap(),
        );
        drop(unused);
        config.api.listen = Some("127.0.0.1:0".parse().unwrap());
        config.api.admin_token = ADMIN.into();
        config.api.max_upload_bytes = max_upload;
        // The renderer child is the faxvox binary (this test binary is not it).
        config.render.worker = env!("CARGO_BIN_EXE_faxvox").into();
        let billing = Billing::new(&dir, &config.billing);
        let rates = parse_rates_csv(
            "prefix,country,price_per_page,valid_from\n33,France,0.05,2020-01-01\n",
        )
        .unwrap();
        billing.import_rates(&rates, now).await.unwrap();
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
            _tmp: tmp,
            dir,
            billing,
            spool,
            server: Some(server),
            addr,
            alice,
            bob,
        }
    }

    async fn reserved(&self, account: &str) -> Money {
        self.billing
            .status(account, SystemTime::now())
            .await
            .unwrap()
            .reserved
    }

    fn outbound_jobs(&self) -> usize {
        self.spool
            .list(&ListFilter::default().with_kind(JobKind::OutboundFax))
            .unwrap()
            .len()
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Response {
        request(self.addr, "GET", path, token, None, Vec::new()).await
    }

    async fn post_fax(&self, token: Option<&str>, parts: &[Part<'_>]) -> Response {
        let (ct, body) = multipart(parts);
        request(self.addr, "POST", "/v1/faxes", token, Some(&ct), body).await
    }

    async fn close(mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
        self.dir.close().await;
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    json: Value,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts the status and, for errors, the error code; returns the JSON.
    fn expect(&self, status: u16, code: Option<&str>) -> &Value {
        assert_eq!(self.status, status, "response: {self:?}");
        if let Some(code) = code {
            assert_eq!(self.json["error"], code, "response: {self:?}");
            assert!(
                self.json["message"].as_str().is_some_and(|m| !m.is_empty()),
                "error without a message: {self:?}"
            );
        }
        &self.json
    }
}

/// One HTTP/1.1 request on a new connection (`Connection: close`), body written while the
/// response is read (a server refusing a large body may answer before reading it).
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Response {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(t) = token {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    let mut all = head.into_bytes();
    all.extend_from_slice(&body);
    let (mut r, mut w) = stream.into_split();
    let writer = async move {
        // The server may close early (413): a failed write is expected then.
        let _ = w.write_all(&all).await;
        let _ = w.flush().await;
        w
    };
    let reader = async move {
        let mut buf = Vec::new();
        // A reset after the response still leaves the response in `buf`.
        let _ = r.read_to_end(&mut buf).await;
        buf
    };
    let (raw, _w) = tokio::time::timeout(Duration::from_secs(60), async {
        let (w, b) = tokio::join!(writer, reader);
        (b, w)
    })
    .await
    .expect("HTTP response within 60 s");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!(
                "status {status}: body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&body)
            )
        })
    };
    Response {
        status,
        headers,
        json,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
}

/// (field name, file name, bytes).
type Part<'a> = (&'a str, Option<&'a str>, Vec<u8>);

fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "----faxvox-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, file, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A fax-ready TIFF of `pages` small fine pages (1728 px wide), sent page for page.
fn tiff(pages: u32) -> Vec<u8> {
    let pages: Vec<Page> = (0..pages)
        .map(|n| {
            let mut b = Bitmap::new(1728, 200);
            for y in (10 + n * 7..190).step_by(13) {
                for x in 100..1600 {
                    b.set(x, y, true);
                }
            }
            Page {
                bitmap: b,
                resolution: Resolution::FINE,
            }
        })
        .collect();
    faxvox_codecs::tiff::write_g4_tiff(&pages)
}

fn field<'a>(name: &'a str, value: &str) -> Part<'a> {
    (name, None, value.as_bytes().to_vec())
}

fn doc(name: &str, bytes: Vec<u8>) -> Part<'_> {
    ("document", Some(name), bytes)
}

fn money(s: &str) -> Money {
    Money::parse(s).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_required() {
    let site = Site::new(1 << 20).await;
    let parts = [
        doc("a.tif", tiff(1)),
        field("to", BOB_LINE),
        field("from", ALICE_LINE),
    ];
    let r = site.post_fax(None, &parts).await;
    r.expect(401, Some("unauthorized"));
    assert!(r
        .header("www-authenticate")
        .is_some_and(|v| v.starts_with("Bearer")));
    site.post_fax(Some("fvx_0000"), &parts)
        .await
        .expect(401, Some("unauthorized"));
    site.get("/v1/faxes", None)
        .await
        .expect(401, Some("unauthorized"));
    site.get("/v1/faxes", Some("not-the-admin-token"))
        .await
        .expect(401, Some("unauthorized"));
    // A revoked token no longer works.
    let n = tokens::revoke_tokens(&site.dir, "bob", SystemTime::now())
        .await
        .unwrap();
    assert_eq!(n, 1);
    site.get("/v1/faxes", Some(site.bob.as_str()))
        .await
        .expect(401, Some("unauthorized"));
    site.get("/v1/faxes", Some(site.alice.as_str()))
        .await
        .expect(200, None);
    assert_eq!(site.reserved("alice").await, Money(0));
    assert_eq!(site.outbound_jobs(), 0);
    site.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_follow_and_isolate() {
    let site = Site::new(4 << 20).await;
    // Plain form fields, two documents (2 + 1 pages).
    let r = site
        .post_fax(
            Some(site.alice.as_str()),
            &[
                field("to", BOB_LINE),
                field("from", ALICE_LINE),
                doc("a.tif", tiff(2)),
                doc("b.tif", tiff(1)),
            ],
        )
        .await;
    let body = r.expect(202, None).clone();
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(body["state"], "queued");
    assert_eq!(body["pages"], 3);
    assert_eq!(body["amount"], "0.15");
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/faxes/{id}").as_str())
    );

    // In the spool, with its facts; the amount is reserved.
    let job = site.spool.get(&id.parse().unwrap()).unwrap();
    assert_eq!(job.state(), Some(StateName::Ready));
    let m = job.manifest.as_ref().unwrap();
    assert_eq!(m.kind, JobKind::OutboundFax);
    assert_eq!(m.facts["account"], "alice");
    assert_eq!(m.facts["from"], ALICE_LINE);
    assert_eq!(m.facts["to"], BOB_LINE);
    assert_eq!(m.facts["pages"], 3);
    assert_eq!(m.facts["amount"], "0.15");
    assert!(job.dir.join("document.tif").is_file());
    assert_eq!(site.reserved("alice").await, money("0.15"));

    // The JSON part variant, anonymous.
    let r = site
        .post_fax(
            Some(site.alice.as_str()),
            &[
                field(
                    "fax",
                    &format!(r#"{{"to":"{BOB_LINE}","from":"{ALICE_LINE}","anonymous":true}}"#),
                ),
                doc("c.tif", tiff(1)),
            ],
        )
        .await;
    let second = r.expect(202, None)["id"].as_str().unwrap().to_string();
    assert_eq!(site.reserved("alice").await, money("0.20"));

    // The owner and the admin see it; another account gets 404, exactly like no fax.
    let path = format!("/v1/faxes/{id}");
    let v = site.get(&path, Some(site.alice.as_str())).await;
    let v = v.expect(200, None);
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["state"], "queued");
    assert_eq!(v["pages"], 3);
    assert_eq!(v["amount"], "0.15");
    assert_eq!(v["attempts"], 0);
    assert!(v["result"].is_null());
    site.get(&path, Some(ADMIN)).await.expect(200, None);
    let theirs = site.get(&path, Some(site.bob.as_str())).await;
    theirs.expect(404, Some("not_found"));
    let none = site
        .get(
            "/v1/faxes/20200101T000000Z-00000000",
            Some(site.bob.as_str()),
        )
        .await;
    none.expect(404, Some("not_found"));
    assert_eq!(
        theirs.json["message"].as_str().unwrap().replace(&id, "ID"),
        none.json["message"]
            .as_str()
            .unwrap()
            .replace("20200101T000000Z-00000000", "ID"),
        "the 404 must not tell an existing fax from a missing one"
    );
    site.get("/v1/faxes/not-an-id", Some(site.alice.as_str()))
        .await
        .expect(404, Some("not_found"));
    let anon = site
        .get(&format!("/v1/faxes/{second}"), Some(site.alice.as_str()))
        .await;
    assert_eq!(anon.expect(200, None)["anonymous"], true);

    // Mark the first one sent, as the dialer would (claim, complete).
    let claimed = site
        .spool
        .claim_due_of(
            SystemTime::now(),
            "test",
            Duration::from_secs(60),
            &[JobKind::OutboundFax],
        )
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id.as_str(), id);
    site.spool
        .complete(SystemTime::now(), &claimed, "sent")
        .unwrap();

    let ids = |r: &Response| -> Vec<String> {
        r.json["faxes"]
            .as_array()
            .unwrap_or_else(|| panic!("no faxes array: {r:?}"))
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    // Ids order by submission second; within one second the order is arbitrary.
    let mut both = vec![id.clone(), second.clone()];
    both.sort();
    let all = site.get("/v1/faxes", Some(site.alice.as_str())).await;
    all.expect(200, None);
    assert_eq!(ids(&all), both);
    let queued = site
        .get("/v1/faxes?state=queued", Some(site.alice.as_str()))
        .await;
    queued.expect(200, None);
    assert_eq!(ids(&queued), vec![second.clone()]);
    let sent = site
        .get("/v1/faxes?state=sent", Some(site.alice.as_str()))
        .await;
    sent.expect(200, None);
    assert_eq!(ids(&sent), vec![id.clone()]);
    assert_eq!(sent.json["faxes"][0]["state"], "sent");
    let failed = site
        .get("/v1/faxes?state=failed", Some(site.alice.as_str()))
        .await;
    assert!(ids(&failed).is_empty());
    site.get("/v1/faxes?state=lost", Some(site.alice.as_str()))
        .await
        .expect(422, Some("invalid_state"));
    // Bob sees none of Alice's faxes; the admin sees all, and filters by account.
    let bobs = site.get("/v1/faxes", Some(site.bob.as_str())).await;
    assert!(ids(&bobs).is_empty());
    let admin = site.get("/v1/faxes", Some(ADMIN)).await;
    assert_eq!(ids(&admin).len(), 2);
    let admin_bob = site.get("/v1/faxes?account=bob", Some(ADMIN)).await;
    assert!(ids(&admin_bob).is_empty());

    // The admin sends for an account it names (and must name one).
    site.post_fax(
        Some(ADMIN),
        &[
            field("to", ALICE_LINE),
            field("from", BOB_LINE),
            doc("d.tif", tiff(1)),
        ],
    )
    .await
    .expect(422, Some("missing_field"));
    let r = site
        .post_fax(
            Some(ADMIN),
            &[
                field("account", "bob"),
                field("to", ALICE_LINE),
                field("from", BOB_LINE),
                doc("d.tif", tiff(1)),
            ],
        )
        .await;
    r.expect(202, None);
    assert_eq!(site.reserved("bob").await, money("0.05"));
    site.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_reserve_nothing() {
    let max = 64 * 1024;
    let site = Site::new(max).await;
    let alice = Some(site.alice.as_str());

    // Caller id of another account: 403.
    let r = site
        .post_fax(
            alice,
            &[
                field("to", BOB_LINE),
                field("from", BOB_LINE),
                doc("a.tif", tiff(1)),
            ],
        )
        .await;
    r.expect(403, Some("caller_id_refused"));
    assert!(r.json["message"].as_str().unwrap().contains("no spoofing"));

    // Over api.max_upload_bytes: 413, refused on the Content-Length...
    let big: Vec<u8> = b"%PDF-1.4\n"
        .iter()
        .copied()
        .chain(std::iter::repeat_n(b'x', 3 * max as usize))
        .collect();
    site.post_fax(
        alice,
        &[
            field("to", BOB_LINE),
            field("from", ALICE_LINE),
            doc("big.pdf", big.clone()),
        ],
    )
    .await
    .expect(413, Some("too_large"));
    // ...and while streaming when the body has no Content-Length (chunked).
    let (ct, body) = multipart(&[
        field("to", BOB_LINE),
        field("from", ALICE_LINE),
        doc("big.pdf", big),
    ]);
    let r = chunked_post(site.addr, &site.alice, &ct, &body).await;
    r.expect(413, Some("too_large"));

    // A damaged PDF: 422; bytes that are no document: 415.
    site.post_fax(
        alice,
        &[
            field("to", BOB_LINE),
            field("from", ALICE_LINE),
            doc(
                "broken.pdf",
                b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage".to_vec(),
            ),
        ],
    )
    .await
    .expect(422, Some("document_refused"));
    site.post_fax(
        alice,
        &[
            field("to", BOB_LINE),
            field("from", ALICE_LINE),
            doc("noise.bin", vec![0x5a; 4096]),
        ],
    )
    .await
    .expect(415, Some("unsupported_media_type"));

    // Missing fields, bad values, not multipart.
    site.post_fax(alice, &[field("from", ALICE_LINE), doc("a.tif", tiff(1))])
        .await
        .expect(422, Some("missing_field"));
    site.post_fax(alice, &[field("to", BOB_LINE), field("from", ALICE_LINE)])
        .await
        .expect(422, Some("missing_field"));
    site.post_fax(
        alice,
        &[
            field("to", BOB_LINE),
            field("from", ALICE_LINE),
            field("anonymous", "perhaps"),
            doc("a.tif", tiff(1)),
        ],
    )
    .await
    .expect(422, Some("invalid_field"));
    request(
        site.addr,
        "POST",
        "/v1/faxes",
        alice,
        Some("application/json"),
        br#"{"to":"+33299001122"}"#.to_vec(),
    )
    .await
    .expect(415, Some("unsupported_media_type"));
    // A broken multipart body: 400, not a panic.
    request(
        site.addr,
        "POST",
        "/v1/faxes",
        alice,
        Some("multipart/form-data; boundary=xyz"),
        b"--xyz\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n+3329".to_vec(),
    )
    .await
    .expect(400, Some("bad_request"));

    assert_eq!(site.reserved("alice").await, Money(0));
    assert_eq!(site.outbound_jobs(), 0);

    // The ceiling: 402 with the reason, nothing reserved.
    site.billing
        .set_ceiling("alice", Some(money("0.10")), SystemTime::now())
        .await
        .unwrap();
    let r = site
        .post_fax(
            alice,
            &[
                field("to", BOB_LINE),
                field("from", ALICE_LINE),
                doc("a.tif", tiff(3)),
            ],
        )
        .await;
    r.expect(402, Some("ceiling_reached"));
    assert!(r.json["message"]
        .as_str()
        .unwrap()
        .contains("faxvox billing deposit alice"));
    assert_eq!(site.reserved("alice").await, Money(0));
    assert_eq!(site.outbound_jobs(), 0);

    // Unknown routes answer JSON 404.
    site.get("/v2/nothing", alice)
        .await
        .expect(404, Some("not_found"));
    site.close().await;
}

/// A POST with `Transfer-Encoding: chunked` (no Content-Length), so the limit must hold
/// while the body streams in.
async fn chunked_post(addr: SocketAddr, token: &str, ct: &str, body: &[u8]) -> Response {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut all = format!(
        "POST /v1/faxes HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: {ct}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for chunk in body.chunks(8192) {
        all.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        all.extend_from_slice(chunk);
        all.extend_from_slice(b"\r\n");
    }
    all.extend_from_slice(b"0\r\n\r\n");
    let (mut r, mut w) = stream.into_split();
    let writer = async move {
        let _ = w.write_all(&all).await;
        w
    };
    let reader = async move {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf).await;
        buf
    };
    let (_w, raw) = tokio::time::timeout(Duration::from_secs(60), async {
        tokio::join!(writer, reader)
    })
    .await
    .expect("HTTP response within 60 s");
    parse_response(&raw)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_is_served() {
    let site = Site::new(1 << 20).await;
    // No token needed for the description.
    let r = site.get("/v1/openapi.json", None).await;
    let doc = r.expect(200, None);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for p in ["/v1/faxes", "/v1/faxes/{id}", "/v1/openapi.json"] {
        assert!(doc["paths"][p].is_object(), "{p} missing");
    }
    assert!(doc["paths"]["/v1/faxes"]["post"]["responses"]["402"].is_object());
    site.close().await;
}

/// `faxvox account token ID` prints a working token once (only its hash is stored);
/// `--revoke` revokes it; an unknown account is an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_token_command() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/faxvox.db", tmp.path().display());
    let config = tmp.path().join("empty.toml");
    std::fs::write(&config, "").unwrap();
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_faxvox"));
        cmd.current_dir(tmp.path())
            .env_remove("RUST_LOG")
            .args(args);
        for (var, _) in std::env::vars_os() {
            if var.to_string_lossy().starts_with("FAXVOX_") {
                cmd.env_remove(var);
            }
        }
        cmd.env("FAXVOX_CONFIG", &config)
            .env("FAXVOX_DATABASE_URL", &url)
            .output()
            .unwrap()
    };
    let out = run(&["account", "add", "carol", "--email", "carol@example.com"]);
    assert!(out.status.success(), "{out:?}");
    let out = run(&["account", "token", "carol"]);
    assert!(out.status.success(), "{out:?}");
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.starts_with(tokens::TOKEN_PREFIX), "{token:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("only once"));

    let dir = Directory::open(&url).await.unwrap();
    assert_eq!(
        tokens::account_for_token(&dir, &token).await.unwrap(),
        Some("carol".to_string())
    );
    // Only the hash is in the database.
    let raw = std::fs::read(tmp.path().join("faxvox.db")).unwrap();
    assert!(!raw.windows(token.len()).any(|w| w == token.as_bytes()));

    let out = run(&["account", "token", "carol", "--revoke"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 API token(s) revoked"));
    assert_eq!(tokens::account_for_token(&dir, &token).await.unwrap(), None);
    let out = run(&["account", "token", "nobody"]);
    assert!(!out.status.success());
    dir.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cover_page_is_counted_and_reserved() {
    let site = Site::new(4 << 20).await;
    let alice = Some(site.alice.as_str());
    let r = site
        .post_fax(
            alice,
            &[
                field("to", BOB_LINE),
                field("from", ALICE_LINE),
                field(
                    "cover",
                    "Bonjour Bob,\nvoici le devis : 1 250 € (été 2026).\nAlice",
                ),
                doc("a.tif", tiff(2)),
            ],
        )
        .await;
    let body = r.expect(202, None).clone();
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(body["pages"], 3, "2 document pages + the cover page");
    assert_eq!(body["amount"], "0.15");
    assert_eq!(site.reserved("alice").await, money("0.15"));
    let v = site.get(&format!("/v1/faxes/{id}"), alice).await;
    let v = v.expect(200, None);
    assert_eq!(v["pages"], 3);
    assert_eq!(v["amount"], "0.15");

    // The queued document: the cover page (A4, fine, inked), then the two pages as sent.
    let job = site.spool.get(&id.parse().unwrap()).unwrap();
    let queued =
        faxvox_codecs::tiff::read_pages(&std::fs::read(job.dir.join("document.tif")).unwrap())
            .unwrap()
            .pages;
    let sent = faxvox_codecs::tiff::read_pages(&tiff(2)).unwrap().pages;
    assert_eq!(queued.len(), 3);
    let cover = &queued[0].bitmap;
    assert_eq!((cover.width(), cover.height()), (1728, 2292));
    assert!(cover.count_black() > 10_000);
    assert_eq!(&queued[1..], &sent[..]);

    // In the JSON part too; an empty cover field means no cover page.
    let r = site
        .post_fax(
            alice,
            &[
                field(
                    "fax",
                    &format!(r#"{{"to":"{BOB_LINE}","from":"{ALICE_LINE}","cover":"Hi"}}"#),
                ),
                doc("b.tif", tiff(1)),
            ],
        )
        .await;
    assert_eq!(r.expect(202, None)["pages"], 2);
    let r = site
        .post_fax(
            alice,
            &[
                field("to", BOB_LINE),
                field("from", ALICE_LINE),
                field("cover", ""),
                doc("c.tif", tiff(1)),
            ],
        )
        .await;
    assert_eq!(r.expect(202, None)["pages"], 1);
    assert_eq!(site.reserved("alice").await, money("0.30"));
    assert_eq!(site.outbound_jobs(), 3);

    // An unusable cover text: 422 cover_refused with the reason, nothing reserved or queued.
    for (text, needle) in [
        ("x".repeat(2001), "at most 2000"),
        ("ding \u{7}".to_string(), "control character (U+0007)"),
        ("ok 👍".to_string(), "cannot be printed"),
    ] {
        let r = site
            .post_fax(
                alice,
                &[
                    field("to", BOB_LINE),
                    field("from", ALICE_LINE),
                    field("cover", &text),
                    doc("d.tif", tiff(1)),
                ],
            )
            .await;
        r.expect(422, Some("cover_refused"));
        let message = r.json["message"].as_str().unwrap();
        assert!(message.contains(needle), "{message}");
    }
    assert_eq!(site.reserved("alice").await, money("0.30"));
    assert_eq!(site.outbound_jobs(), 3);
    site.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_do_not_fax_destination_is_403_with_the_reason_and_nothing_reserved() {
    use faxvox::directory::BlockDirection;
    let site = Site::new(64 * 1024).await;
    let alice = Some(site.alice.as_str());
    // Bob's number is on alice's do-not-fax list; the operator blocks a whole prefix.
    site.dir
        .add_block(BOB_LINE, Some("alice"), BlockDirection::Out)
        .await
        .unwrap();
    site.dir
        .add_block("+33 3", None, BlockDirection::Both)
        .await
        .unwrap();
    for to in [BOB_LINE, "+33 3 88 00 11 22"] {
        let r = site
            .post_fax(
                alice,
                &[
                    field("to", to),
                    field("from", ALICE_LINE),
                    doc("a.tif", tiff(1)),
                ],
            )
            .await;
        r.expect(403, Some("destination_blocked"));
        let message = r.json["message"].as_str().unwrap();
        assert!(message.contains("block list"), "{message}");
    }
    assert_eq!(site.reserved("alice").await, Money(0));
    assert_eq!(site.outbound_jobs(), 0);
    // Once her entry is removed, the same fax goes through.
    site.dir
        .remove_block(BOB_LINE, Some("alice"))
        .await
        .unwrap();
    site.post_fax(
        alice,
        &[
            field("to", BOB_LINE),
            field("from", ALICE_LINE),
            doc("a.tif", tiff(1)),
        ],
    )
    .await
    .expect(202, None);
    assert_eq!(site.outbound_jobs(), 1);
    site.close().await;
}

/// `header` (a form field or in the JSON part) turns the header line off: `false` is kept
/// with the queued fax (its facts and the shared queue's row, which the dialer reads), the
/// default and an empty field are on, anything else is 422 and queues nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_false_is_stored_with_the_queued_fax() {
    let site = Site::new(64 * 1024).await;
    let alice = Some(site.alice.as_str());
    let mut want = std::collections::HashMap::new();
    for (parts, header) in [
        (vec![], true),
        (vec![field("header", "false")], false),
        (vec![field("header", "")], true),
        (vec![field("header", "true")], true),
    ] {
        let mut all = vec![
            field("to", BOB_LINE),
            field("from", ALICE_LINE),
            doc("a.tif", tiff(1)),
        ];
        all.extend(parts);
        let r = site.post_fax(alice, &all).await;
        let body = r.expect(202, None).clone();
        assert_eq!(body["header"], header, "{body}");
        want.insert(body["id"].as_str().unwrap().to_string(), header);
    }
    let r = site
        .post_fax(
            alice,
            &[
                field(
                    "fax",
                    &format!(r#"{{"to":"{BOB_LINE}","from":"{ALICE_LINE}","header":false}}"#),
                ),
                doc("b.tif", tiff(1)),
            ],
        )
        .await;
    let body = r.expect(202, None).clone();
    assert_eq!(body["header"], false);
    want.insert(body["id"].as_str().unwrap().to_string(), false);
    let r = site
        .post_fax(
            alice,
            &[
                field("to", BOB_LINE),
                field("from", ALICE_LINE),
                field("header", "maybe"),
                doc("c.tif", tiff(1)),
            ],
        )
        .await;
    r.expect(422, None);
    assert_eq!(site.outbound_jobs(), 5);

    // The spool record's facts, and the shared queue (what any node's dialer claims).
    for (id, header) in &want {
        let job = site.spool.get(&id.parse().unwrap()).unwrap();
        assert_eq!(
            job.manifest.as_ref().unwrap().facts["header"],
            *header,
            "{id}"
        );
    }
    let queue = faxvox::outbound::queue::Queue::new(&site.dir, &site.billing);
    let mut claimed = std::collections::HashMap::new();
    while let Some(leased) = queue
        .claim("test", SystemTime::now(), Duration::from_secs(60))
        .await
        .unwrap()
    {
        claimed.insert(leased.id.clone(), leased.header);
    }
    assert_eq!(claimed, want);
    site.close().await;
}
