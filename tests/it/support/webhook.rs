//! A webhook receiver on 127.0.0.1: a plain HTTP/1.1 server on a thread that records every
//! POST and answers the status codes it was given, in order (then 200), and the check of a
//! `Faxvox-Signature` header, written from the README's recipe rather than from the gateway's
//! code.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Post {
    pub method: String,
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status it was answered.
    pub answered: u16,
}

impl Post {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

pub struct Receiver {
    pub port: u16,
    posts: Arc<Mutex<Vec<Post>>>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    /// On a free port.
    pub fn start(statuses: &[u16]) -> Receiver {
        Receiver::on(TcpListener::bind("127.0.0.1:0").unwrap(), statuses)
    }

    /// On `port` (a receiver that was down comes up).
    pub fn start_on(port: u16, statuses: &[u16]) -> Receiver {
        Receiver::on(TcpListener::bind(("127.0.0.1", port)).unwrap(), statuses)
    }

    fn on(listener: TcpListener, statuses: &[u16]) -> Receiver {
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let posts = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (posts.clone(), stop.clone());
        let mut statuses: std::collections::VecDeque<u16> = statuses.iter().copied().collect();
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let status = statuses.pop_front().unwrap_or(200);
                        if let Some(post) = serve(conn, status) {
                            p.lock().unwrap().push(post);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Receiver { port, posts, stop }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn posts(&self) -> Vec<Post> {
        self.posts.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests came (or `within` passed); all of them.
    pub fn wait_posts(&self, n: usize, within: Duration) -> Vec<Post> {
        let deadline = Instant::now() + within;
        while self.posts.lock().unwrap().len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.posts()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(mut conn: TcpStream, status: u16) -> Option<Post> {
    conn.set_nonblocking(false).ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = conn.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split_whitespace();
    let (method, path) = (start.next()?.to_string(), start.next()?.to_string());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = raw[head_end..].to_vec();
    while body.len() < len {
        let n = conn.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    let _ = write!(
        conn,
        "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let _ = conn.flush();
    Some(Post {
        method,
        path,
        headers,
        body,
        answered: status,
    })
}

/// Checks `post`'s `Faxvox-Signature` under `secret`: the header's `t` when the HMAC-SHA256
/// of `"<t>.<body>"` matches its `v1`, else the reason.
pub fn verify(secret: &str, post: &Post) -> Result<u64, String> {
    let header = post
        .header("faxvox-signature")
        .ok_or("no Faxvox-Signature header")?;
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<u64>().ok(),
            Some(("v1", v)) => v1 = Some(v.to_string()),
            _ => {}
        }
    }
    let (t, v1) = (t.ok_or("no t=")?, v1.ok_or("no v1=")?);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&post.body);
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if want == v1 {
        Ok(t)
    } else {
        Err(format!("v1 {v1} is not {want}"))
    }
}
