//! Hand-made SIP over UDP for the end-to-end tests: an OPTIONS ping (is the gateway up?), an
//! INVITE builder, a response reader and the ACK of a failure response. Deliberately tiny and
//! independent of the gateway's own SIP code, so it is a second opinion on the wire format.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicU32 = AtomicU32::new(1);

/// A token unique within this test process (Call-ID, tags, branches).
pub fn token(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}{}x{n}x{nanos:x}", std::process::id())
}

/// A parsed SIP response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub raw: String,
}

impl Response {
    /// First header with this name (case-insensitive; compact forms not expanded).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `CSeq` method, e.g. "INVITE".
    pub fn cseq_method(&self) -> Option<String> {
        self.header("CSeq")
            .and_then(|v| v.split_whitespace().nth(1))
            .map(str::to_string)
    }
}

/// Parses a SIP response datagram; `None` when it is not one (a request, or garbage).
pub fn parse_response(bytes: &[u8]) -> Option<Response> {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let (head, body) = match bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => (
            String::from_utf8_lossy(&bytes[..i]).into_owned(),
            bytes[i + 4..].to_vec(),
        ),
        None => (text.clone(), Vec::new()),
    };
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let rest = status_line.strip_prefix("SIP/2.0 ")?;
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    let status = code.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Response {
        status,
        reason: reason.to_string(),
        headers,
        body,
        raw: text.clone(),
    })
}

/// One out-of-dialog request we sent, kept to build its ACK.
#[derive(Debug, Clone)]
pub struct SentRequest {
    pub method: String,
    pub uri: String,
    pub call_id: String,
    pub from_tag: String,
    pub from: String,
    pub to: String,
    pub branch: String,
    pub cseq: u32,
    pub text: String,
}

/// A UDP SIP client on an ephemeral 127.0.0.1 port.
pub struct SipClient {
    pub sock: UdpSocket,
    pub local: SocketAddr,
}

impl Default for SipClient {
    fn default() -> Self {
        Self::new()
    }
}

impl SipClient {
    pub fn new() -> SipClient {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let local = sock.local_addr().unwrap();
        SipClient { sock, local }
    }

    fn request(
        &self,
        method: &str,
        target: SocketAddr,
        user: &str,
        from_user: &str,
        body: Option<&str>,
    ) -> SentRequest {
        let uri = if user.is_empty() {
            format!("sip:{target}")
        } else {
            format!("sip:{user}@{target}")
        };
        let call_id = token("cid");
        let from_tag = token("ft");
        let branch = format!("z9hG4bK{}", token("b"));
        let from = format!(
            "\"Raw test\" <sip:{from_user}@{}>;tag={from_tag}",
            self.local
        );
        let to = format!("<{uri}>");
        let mut text = format!(
            "{method} {uri} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch={branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: {from}\r\n\
             To: {to}\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: 1 {method}\r\n\
             Contact: <sip:{from_user}@{local}>\r\n\
             User-Agent: faxvox-tests-raw\r\n",
            local = self.local
        );
        match body {
            Some(b) => {
                text.push_str("Content-Type: application/sdp\r\n");
                text.push_str(&format!("Content-Length: {}\r\n\r\n{b}", b.len()));
            }
            None => text.push_str("Content-Length: 0\r\n\r\n"),
        }
        SentRequest {
            method: method.to_string(),
            uri,
            call_id,
            from_tag,
            from,
            to,
            branch,
            cseq: 1,
            text,
        }
    }

    /// Sends an OPTIONS and returns the first response (any status) within `wait`.
    pub fn options(&self, target: SocketAddr, wait: Duration) -> Option<Response> {
        let req = self.request("OPTIONS", target, "", "ping", None);
        self.sock.send_to(req.text.as_bytes(), target).ok()?;
        self.recv_for(&req, wait)
    }

    /// Sends an INVITE for `number` with a PCMA offer (media port `rtp_port`, which nobody
    /// needs to listen on for the failure cases this is used for).
    pub fn send_invite(
        &self,
        target: SocketAddr,
        number: &str,
        from_user: &str,
        rtp_port: u16,
    ) -> SentRequest {
        let sdp = pcma_offer("127.0.0.1", rtp_port);
        let req = self.request("INVITE", target, number, from_user, Some(&sdp));
        self.sock.send_to(req.text.as_bytes(), target).unwrap();
        req
    }

    /// Waits for the next response to `req` (matching Call-ID), provisional ones included.
    pub fn recv_for(&self, req: &SentRequest, wait: Duration) -> Option<Response> {
        let deadline = Instant::now() + wait;
        let mut buf = vec![0u8; 65536];
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            self.sock
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .unwrap();
            let Ok((n, _)) = self.sock.recv_from(&mut buf) else {
                return None;
            };
            if let Some(resp) = parse_response(&buf[..n]) {
                if resp.header("Call-ID").or_else(|| resp.header("i")) == Some(&req.call_id) {
                    return Some(resp);
                }
            }
        }
    }

    /// Sends an INVITE and returns its final response (1xx skipped; the INVITE is resent on
    /// the RFC 3261 timer A schedule while nothing at all has come back). A failure response
    /// is ACKed; a 2xx is ACKed and then hung up with BYE so no call is left behind.
    pub fn invite_final(
        &self,
        target: SocketAddr,
        number: &str,
        from_user: &str,
        wait: Duration,
    ) -> Option<Response> {
        let req = self.send_invite(target, number, from_user, 49170);
        let deadline = Instant::now() + wait;
        let mut resend = Duration::from_millis(500);
        let mut next_resend = Instant::now() + resend;
        let mut heard = false;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            let slice = deadline.min(next_resend) - now;
            match self.recv_for(&req, slice) {
                // A provisional response ends the retransmissions: from then on only the
                // final response is awaited (the resend timer must not turn the wait into a
                // spin that never reads the socket, as it did when the 200 came late).
                Some(r) if r.status < 200 => {
                    heard = true;
                    next_resend = deadline;
                }
                Some(r) => {
                    if r.status >= 300 {
                        self.ack_failure(&req, &r, target);
                    } else {
                        self.ack_and_bye(&req, &r, target);
                    }
                    return Some(r);
                }
                None => {
                    if !heard && Instant::now() >= next_resend {
                        let _ = self.sock.send_to(req.text.as_bytes(), target);
                        resend = (resend * 2).min(Duration::from_secs(4));
                        next_resend = Instant::now() + resend;
                    }
                }
            }
        }
    }

    /// The ACK of a non-2xx final response: same transaction (branch), To with the tag.
    pub fn ack_failure(&self, req: &SentRequest, resp: &Response, target: SocketAddr) {
        let to = resp.header("To").unwrap_or(&req.to);
        let ack = format!(
            "ACK {uri} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch={branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: {from}\r\n\
             To: {to}\r\n\
             Call-ID: {cid}\r\n\
             CSeq: {cseq} ACK\r\n\
             Content-Length: 0\r\n\r\n",
            uri = req.uri,
            local = self.local,
            branch = req.branch,
            from = req.from,
            cid = req.call_id,
            cseq = req.cseq
        );
        let _ = self.sock.send_to(ack.as_bytes(), target);
    }

    /// ACK (new branch) and BYE for an unexpected 2xx, sent to the address we used.
    pub fn ack_and_bye(&self, req: &SentRequest, resp: &Response, target: SocketAddr) {
        let to = resp.header("To").unwrap_or(&req.to).to_string();
        for (method, cseq) in [("ACK", req.cseq), ("BYE", req.cseq + 1)] {
            let msg = format!(
                "{method} {uri} SIP/2.0\r\n\
                 Via: SIP/2.0/UDP {local};branch=z9hG4bK{b};rport\r\n\
                 Max-Forwards: 70\r\n\
                 From: {from}\r\n\
                 To: {to}\r\n\
                 Call-ID: {cid}\r\n\
                 CSeq: {cseq} {method}\r\n\
                 Content-Length: 0\r\n\r\n",
                uri = req.uri,
                local = self.local,
                b = token("b"),
                from = req.from,
                cid = req.call_id,
            );
            let _ = self.sock.send_to(msg.as_bytes(), target);
        }
    }
}

/// A minimal SDP offer: PCMA + telephone-event on `ip:port`.
pub fn pcma_offer(ip: &str, port: u16) -> String {
    format!(
        "v=0\r\n\
         o=raw 1 1 IN IP4 {ip}\r\n\
         s=-\r\n\
         c=IN IP4 {ip}\r\n\
         t=0 0\r\n\
         m=audio {port} RTP/AVP 8 101\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-15\r\n\
         a=ptime:20\r\n"
    )
}

/// True once something at `target` answers an OPTIONS with any SIP status within `wait`.
pub fn ping(target: SocketAddr, wait: Duration) -> bool {
    SipClient::new().options(target, wait).is_some()
}

/// A trunk whose every line is busy: answers each INVITE with 486 (and ignores the ACK).
/// Returns its port and the INVITEs it saw as (Call-ID, whole request), retransmissions
/// counted once.
pub type Invites = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;
pub fn busy_trunk() -> (u16, Invites) {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    let seen: Invites = Default::default();
    let calls = seen.clone();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if !text.starts_with("INVITE ") {
                continue;
            }
            let mut reply = String::from("SIP/2.0 486 Busy Here\r\n");
            let mut call_id = String::new();
            for line in text.split("\r\n").take_while(|l| !l.is_empty()).skip(1) {
                let name = line
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                match name.as_str() {
                    "via" | "from" | "call-id" | "cseq" => reply.push_str(&format!("{line}\r\n")),
                    "to" => reply.push_str(&format!("{line};tag=busy1\r\n")),
                    _ => {}
                }
                if name == "call-id" {
                    call_id = line.split_once(':').unwrap().1.trim().to_string();
                }
            }
            reply.push_str("Content-Length: 0\r\n\r\n");
            let _ = sock.send_to(reply.as_bytes(), from);
            let mut seen = calls.lock().unwrap();
            if !seen.iter().any(|(id, _)| *id == call_id) {
                seen.push((call_id, text));
            }
        }
    });
    (port, seen)
}

#[test]
fn parses_a_response() {
    let r = parse_response(
        b"SIP/2.0 404 Not Found\r\nCall-ID: abc\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    )
    .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(r.reason, "Not Found");
    assert_eq!(r.header("call-id"), Some("abc"));
    assert_eq!(r.cseq_method().as_deref(), Some("INVITE"));
    assert!(parse_response(b"INVITE sip:x SIP/2.0\r\n\r\n").is_none());
    assert!(parse_response(b"\x00\x01garbage").is_none());
}
