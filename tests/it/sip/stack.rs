//! The rsipstack glue (`faxvox::sip::stack`) on real loopback sockets: a raw-SIP client over
//! UDP/TCP against one stack (OPTIONS, rejection, a full call with our T.38 re-INVITE and the
//! peer's BYE, garbage datagrams), and two stacks calling each other (UAC side, the callee's
//! re-INVITE reaching the caller, BYE). A caller's re-INVITE racing its ACK of our 200 (and
//! one before the 200, and a BYE before the ACK). SIP over TLS (a rustls client trusting a
//! test CA) and digest authentication of untrusted callers (responses computed here with MD5).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use faxvox::media::MediaConfig;
use faxvox::sip::call::{Action, Call, CallConfig, CallPurpose, Reason, ServerTxn, T38Policy};
use faxvox::sip::digest::DigestAuth;
use faxvox::sip::sdp::LocalMedia;
use faxvox::sip::stack::{
    check_tls_identity, feed, IncomingCalls, LegEvent, OutgoingInvite, SipCredentials, SipLeg,
    SipStack, StackConfig, StackError, TlsListen,
};
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const WAIT: Duration = Duration::from_secs(5);

async fn start(tcp: bool) -> (SipStack, IncomingCalls) {
    SipStack::start(StackConfig {
        listen: SocketAddr::new(LOOPBACK, 0),
        tcp,
        user_agent: "faxvox-test".into(),
        ..StackConfig::default()
    })
    .await
    .expect("stack starts")
}

fn local(rtp: u16) -> LocalMedia {
    LocalMedia::new(LOOPBACK, rtp, rtp + 2, 4242, &MediaConfig::default())
}

const CALLER_OFFER: &str =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio 10000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n";

const CALLER_T38_ANSWER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio 0 RTP/AVP 8\r\nm=image 10002 udptl t38\r\na=T38FaxVersion:0\r\na=T38MaxBitRate:14400\r\n\
a=T38FaxRateManagement:transferredTCF\r\na=T38FaxMaxDatagram:400\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n";

/// A parsed SIP message, as much as the tests need.
#[derive(Debug)]
struct Msg {
    start: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Msg {
    fn parse(data: &[u8]) -> Msg {
        let text = String::from_utf8_lossy(data).to_string();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.split("\r\n");
        let start = lines.next().unwrap_or_default().to_string();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Msg {
            start,
            headers,
            body: body.to_string(),
        }
    }

    fn header(&self, name: &str) -> &str {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header in {self:?}"))
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn status(&self) -> Option<u16> {
        let rest = self.start.strip_prefix("SIP/2.0 ")?;
        rest.split(' ').next()?.parse().ok()
    }

    fn method(&self) -> &str {
        self.start.split(' ').next().unwrap_or_default()
    }
}

/// A raw-SIP peer over UDP.
struct Peer {
    sock: UdpSocket,
    server: SocketAddr,
}

impl Peer {
    async fn new(server: SocketAddr) -> Peer {
        Peer {
            sock: UdpSocket::bind((LOOPBACK, 0)).await.unwrap(),
            server,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.sock.local_addr().unwrap()
    }

    async fn send(&self, text: &str) {
        self.sock
            .send_to(text.as_bytes(), self.server)
            .await
            .unwrap();
    }

    async fn recv(&self) -> Msg {
        let mut buf = vec![0u8; 65536];
        let (n, _) = timeout(WAIT, self.sock.recv_from(&mut buf))
            .await
            .expect("a SIP message within 5 s")
            .unwrap();
        Msg::parse(&buf[..n])
    }

    /// The next response that is not 100 Trying.
    async fn response(&self) -> Msg {
        loop {
            let m = self.recv().await;
            if m.status().is_some_and(|s| s != 100) {
                return m;
            }
        }
    }

    /// Asserts nothing arrives for `d` (e.g. no dialog left to send anything).
    async fn silent(&self, d: Duration) {
        let mut buf = vec![0u8; 65536];
        if let Ok(Ok((n, _))) = timeout(d, self.sock.recv_from(&mut buf)).await {
            panic!("unexpected: {:?}", Msg::parse(&buf[..n]));
        }
    }

    fn request(
        &self,
        method: &str,
        uri: &str,
        call_id: &str,
        cseq: u32,
        extra: &str,
        body: &str,
    ) -> String {
        let me = self.addr();
        let branch: u64 = rand::random();
        let ct = if body.is_empty() {
            String::new()
        } else {
            "Content-Type: application/sdp\r\n".to_string()
        };
        format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK{branch:x};rport\r\n\
             Max-Forwards: 70\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n{extra}\
             Contact: <sip:caller@{me}>\r\n{ct}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    fn invite(&self, call_id: &str, user: &str) -> String {
        let from = "From: \"Fax Sender\" <sip:+4930123@127.0.0.1>;tag=caller1\r\n";
        let to = format!("To: <sip:{user}@{}>\r\n", self.server);
        self.request(
            "INVITE",
            &format!("sip:{user}@{}", self.server),
            call_id,
            1,
            &format!("{from}{to}"),
            CALLER_OFFER,
        )
    }

    fn options(&self, call_id: &str) -> String {
        self.request(
            "OPTIONS",
            &format!("sip:{}", self.server),
            call_id,
            1,
            &format!(
                "From: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:{}>\r\n",
                self.server
            ),
            "",
        )
    }

    /// A response to `req` (copying Via, From, To, Call-ID, CSeq), To tag added.
    fn respond(&self, req: &Msg, status: &str, body: &str) -> String {
        let mut out = format!("SIP/2.0 {status}\r\n");
        for via in req.all("via") {
            out += &format!("Via: {via}\r\n");
        }
        let to = req.header("to");
        let to = if to.contains("tag=") {
            to.to_string()
        } else {
            format!("{to};tag=callee")
        };
        out += &format!(
            "From: {}\r\nTo: {to}\r\nCall-ID: {}\r\nCSeq: {}\r\nContact: <sip:caller@{}>\r\n",
            req.header("from"),
            req.header("call-id"),
            req.header("cseq"),
            self.addr()
        );
        if !body.is_empty() {
            out += "Content-Type: application/sdp\r\n";
        }
        out += &format!("Content-Length: {}\r\n\r\n{body}", body.len());
        out
    }
}

/// Performs every action the call has queued.
fn drain(call: &mut Call, leg: &mut SipLeg) -> Vec<Action> {
    let mut done = Vec::new();
    while let Some(a) = call.poll_action() {
        leg.perform(&a);
        done.push(a);
    }
    done
}

async fn next_event(leg: &mut SipLeg) -> Option<LegEvent> {
    timeout(WAIT, leg.next_event())
        .await
        .expect("a leg event within 5 s")
}

#[tokio::test]
async fn options_out_of_dialog_is_answered_200() {
    let (stack, _calls) = start(false).await;
    assert_ne!(stack.local_addr().port(), 0);
    let peer = Peer::new(stack.local_addr()).await;
    peer.send(&peer.options("opt-1@test")).await;
    let resp = peer.response().await;
    assert_eq!(resp.status(), Some(200), "{resp:?}");
    assert_eq!(resp.header("call-id"), "opt-1@test");
    assert!(resp.header("allow").contains("INVITE"));
    stack.shutdown();
}

#[tokio::test]
async fn stray_requests_get_481_or_405() {
    let (stack, _calls) = start(false).await;
    let peer = Peer::new(stack.local_addr()).await;
    let bye = peer.request(
        "BYE",
        &format!("sip:x@{}", stack.local_addr()),
        "stray@test",
        5,
        "From: <sip:a@127.0.0.1>;tag=a\r\nTo: <sip:b@127.0.0.1>;tag=b\r\n",
        "",
    );
    peer.send(&bye).await;
    assert_eq!(peer.response().await.status(), Some(481));
    let msg = peer.request(
        "MESSAGE",
        &format!("sip:x@{}", stack.local_addr()),
        "stray2@test",
        1,
        "From: <sip:a@127.0.0.1>;tag=a\r\nTo: <sip:b@127.0.0.1>\r\n",
        "",
    );
    peer.send(&msg).await;
    let resp = peer.response().await;
    assert_eq!(resp.status(), Some(405));
    assert!(resp.header("allow").contains("OPTIONS"));
    stack.shutdown();
}

#[tokio::test]
async fn incoming_invite_is_routed_then_rejected_without_a_dialog() {
    let (stack, mut calls) = start(false).await;
    let peer = Peer::new(stack.local_addr()).await;
    let invite = peer.invite("rej-1@test", "4930555");
    peer.send(&invite).await;
    let trying = peer.recv().await;
    assert_eq!(trying.status(), Some(100));

    let call = timeout(WAIT, calls.next()).await.unwrap().unwrap();
    assert_eq!(call.call_id, "rej-1@test");
    assert_eq!(call.request_user, "4930555");
    assert_eq!(call.to_user, "4930555");
    assert_eq!(call.from_user, "+4930123");
    assert_eq!(call.from_display.as_deref(), Some("Fax Sender"));
    assert_eq!(call.transport, "udp");
    assert_eq!(call.source, peer.addr());
    assert_eq!(call.sdp.as_deref(), Some(CALLER_OFFER.as_bytes()));

    call.reject(404, "Not Found").await;
    let resp = peer.response().await;
    assert_eq!(resp.status(), Some(404), "{resp:?}");
    assert!(resp.header("to").contains("tag="));
    assert_eq!(stack.dialog_count(), 0);
    // ACK the 404 like a UA does (same branch as the INVITE): the retransmissions stop.
    let ack = invite
        .replace("INVITE sip:", "ACK sip:")
        .replace("CSeq: 1 INVITE", "CSeq: 1 ACK")
        .replace(
            "To: <sip:4930555@",
            &format!("To: {}\r\nX-Old-To: <sip:4930555@", resp.header("to")),
        )
        .replace("Content-Type: application/sdp\r\n", "")
        .replace(
            &format!("Content-Length: {}", CALLER_OFFER.len()),
            "Content-Length: 0",
        )
        .replace(CALLER_OFFER, "");
    peer.send(&ack).await;
    // Timer G would retransmit the 404 after 500 ms without the ACK.
    peer.silent(Duration::from_millis(1200)).await;
    assert_eq!(stack.dialog_count(), 0);
    stack.shutdown();
}

#[tokio::test]
async fn incoming_call_dropped_unanswered_gets_480() {
    let (stack, mut calls) = start(false).await;
    let peer = Peer::new(stack.local_addr()).await;
    peer.send(&peer.invite("drop-1@test", "1")).await;
    let call = timeout(WAIT, calls.next()).await.unwrap().unwrap();
    drop(call);
    let resp = peer.response().await;
    assert_eq!(resp.status(), Some(480), "{resp:?}");
    assert_eq!(stack.dialog_count(), 0);
    stack.shutdown();
}

#[tokio::test]
async fn full_call_ack_t38_reinvite_and_remote_bye() {
    let (stack, mut calls) = start(false).await;
    let t0 = Instant::now();
    let now = || t0.elapsed();
    let peer = Peer::new(stack.local_addr()).await;
    let call_id = "full-1@test";
    peer.send(&peer.invite(call_id, "100")).await;

    let incoming = timeout(WAIT, calls.next()).await.unwrap().unwrap();
    let mut call = Call::new_inbound(incoming.call_id.clone(), CallConfig::default(), 7);
    call.on_invite(now(), incoming.sdp.as_deref());
    let mut leg = incoming.into_leg().unwrap();
    assert_eq!(leg.call_id(), call_id);
    call.answer(now(), local(40000), CallPurpose::Fax).unwrap();
    let done = drain(&mut call, &mut leg);
    assert!(done.iter().any(|a| matches!(a, Action::StartMedia(_))));

    // 200 with our SDP answer.
    let ok = peer.response().await;
    assert_eq!(ok.status(), Some(200), "{ok:?}");
    assert!(ok.header("content-type").contains("application/sdp"));
    assert!(ok.body.contains("m=audio 40000 RTP/AVP 8"), "{}", ok.body);
    let to = ok.header("to").to_string();
    assert!(to.contains("tag="));
    let from = "From: \"Fax Sender\" <sip:+4930123@127.0.0.1>;tag=caller1\r\n";
    let ack = peer.request(
        "ACK",
        &format!("sip:100@{}", stack.local_addr()),
        call_id,
        1,
        &format!("{from}To: {to}\r\n"),
        "",
    );
    peer.send(&ack).await;
    let ev = next_event(&mut leg).await.unwrap();
    assert_eq!(
        ev,
        LegEvent::Ack {
            txn: ServerTxn::Invite,
            sdp: None
        }
    );
    feed(&mut call, now(), ev);
    drain(&mut call, &mut leg);

    // Our T.38 re-INVITE reaches the peer; the peer answers 200 with T.38.
    call.request_t38(now()).unwrap();
    let done = drain(&mut call, &mut leg);
    assert!(done
        .iter()
        .any(|a| matches!(a, Action::SendReinvite { .. })));
    let reinvite = peer.recv().await;
    assert_eq!(reinvite.method(), "INVITE", "{reinvite:?}");
    assert_eq!(reinvite.header("call-id"), call_id);
    assert!(
        reinvite.body.contains("m=image 40002 udptl t38"),
        "{}",
        reinvite.body
    );
    assert!(reinvite.header("content-type").contains("application/sdp"));
    peer.send(&peer.respond(&reinvite, "200 OK", CALLER_T38_ANSWER))
        .await;
    let ev = next_event(&mut leg).await.unwrap();
    let LegEvent::Response { status, sdp, .. } = &ev else {
        panic!("{ev:?}");
    };
    assert_eq!(*status, 200);
    assert_eq!(sdp.as_deref(), Some(CALLER_T38_ANSWER.as_bytes()));
    feed(&mut call, now(), ev);
    let done = drain(&mut call, &mut leg);
    assert!(done.iter().any(|a| matches!(a, Action::SendAck { .. })));
    assert!(done
        .iter()
        .any(|a| matches!(a, Action::SwitchMedia(m) if m.t38.is_some())));
    // The stack ACKs the 2xx of our re-INVITE.
    let ack = peer.recv().await;
    assert_eq!(ack.method(), "ACK", "{ack:?}");
    assert_eq!(
        ack.header("cseq"),
        reinvite.header("cseq").replace("INVITE", "ACK")
    );

    // The peer hangs up: 200 from the stack, Bye for the call, then the leg is over.
    let to_ours = reinvite.header("from").to_string(); // our From = To in the peer's BYE
    let bye = peer.request(
        "BYE",
        &format!("sip:100@{}", stack.local_addr()),
        call_id,
        2,
        &format!("{from}To: {to_ours}\r\n"),
        "",
    );
    peer.send(&bye).await;
    let resp = peer.response().await;
    assert_eq!(resp.status(), Some(200), "{resp:?}");
    assert_eq!(resp.header("cseq"), "2 BYE");
    let ev = next_event(&mut leg).await.unwrap();
    assert_eq!(ev, LegEvent::Bye);
    feed(&mut call, now(), ev);
    let done = drain(&mut call, &mut leg);
    assert!(done
        .iter()
        .any(|a| matches!(a, Action::Terminated(Reason::RemoteBye))));
    assert_eq!(next_event(&mut leg).await, None);
    assert_eq!(stack.dialog_count(), 0);
    // Exactly one 200 to the BYE: the glue did not answer it a second time.
    peer.silent(Duration::from_millis(300)).await;
    stack.shutdown();
}

#[tokio::test]
async fn in_dialog_options_and_peer_reinvite_are_answered() {
    let (stack, mut calls) = start(false).await;
    let t0 = Instant::now();
    let now = || t0.elapsed();
    let peer = Peer::new(stack.local_addr()).await;
    let call_id = "indlg-1@test";
    peer.send(&peer.invite(call_id, "100")).await;
    let incoming = timeout(WAIT, calls.next()).await.unwrap().unwrap();
    let mut call = Call::new_inbound(call_id, CallConfig::default(), 7);
    call.on_invite(now(), incoming.sdp.as_deref());
    let mut leg = incoming.into_leg().unwrap();
    call.answer(now(), local(40010), CallPurpose::Voice)
        .unwrap();
    drain(&mut call, &mut leg);
    let ok = peer.response().await;
    let to = ok.header("to").to_string();
    let from = "From: \"Fax Sender\" <sip:+4930123@127.0.0.1>;tag=caller1\r\n";
    let dialog = format!("{from}To: {to}\r\n");
    let uri = format!("sip:100@{}", stack.local_addr());
    peer.send(&peer.request("ACK", &uri, call_id, 1, &dialog, ""))
        .await;
    let ev = next_event(&mut leg).await.unwrap();
    feed(&mut call, now(), ev);
    drain(&mut call, &mut leg);

    // In-dialog OPTIONS: 200 from the glue (not 501).
    peer.send(&peer.request("OPTIONS", &uri, call_id, 2, &dialog, ""))
        .await;
    let resp = peer.response().await;
    assert_eq!(resp.status(), Some(200), "{resp:?}");

    // The peer's T.38 re-INVITE: the Call answers 200 with an image stream.
    peer.send(&peer.request("INVITE", &uri, call_id, 3, &dialog, CALLER_T38_ANSWER))
        .await;
    let ev = next_event(&mut leg).await.unwrap();
    assert!(matches!(ev, LegEvent::Reinvite { txn: 3, .. }), "{ev:?}");
    feed(&mut call, now(), ev);
    drain(&mut call, &mut leg);
    let resp = peer.response().await;
    assert_eq!(resp.status(), Some(200), "{resp:?}");
    assert!(
        resp.body.contains("m=image 40012 udptl t38"),
        "{}",
        resp.body
    );
    peer.send(&peer.request("ACK", &uri, call_id, 3, &dialog, ""))
        .await;
    let ev = next_event(&mut leg).await.unwrap();
    assert_eq!(
        ev,
        LegEvent::Ack {
            txn: ServerTxn::Reinvite(3),
            sdp: None
        }
    );
    feed(&mut call, now(), ev);
    drain(&mut call, &mut leg);
    assert!(call.media().unwrap().t38.is_some());

    // We hang up: BYE reaches the peer, the leg ends.
    call.hangup(now());
    drain(&mut call, &mut leg);
    let bye = peer.recv().await;
    assert_eq!(bye.method(), "BYE", "{bye:?}");
    peer.send(&peer.respond(&bye, "200 OK", "")).await;
    assert_eq!(next_event(&mut leg).await, None);
    assert_eq!(stack.dialog_count(), 0);
    stack.shutdown();
}

#[tokio::test]
async fn cancel_before_answer() {
    let (stack, mut calls) = start(false).await;
    let peer = Peer::new(stack.local_addr()).await;
    let call_id = "cancel-1@test";
    let invite = peer.invite(call_id, "100");
    peer.send(&invite).await;
    let incoming = timeout(WAIT, calls.next()).await.unwrap().unwrap();
    let mut call = Call::new_inbound(call_id, CallConfig::default(), 7);
    call.on_invite(Duration::ZERO, incoming.sdp.as_deref());
    let mut leg = incoming.into_leg().unwrap();
    call.ring(Duration::ZERO).unwrap();
    drain(&mut call, &mut leg);
    let ringing = peer.response().await;
    assert_eq!(ringing.status(), Some(180));
    // CANCEL: same branch and CSeq number as the INVITE.
    let cancel = invite
        .replace("INVITE sip:", "CANCEL sip:")
        .replace("CSeq: 1 INVITE", "CSeq: 1 CANCEL")
        .replace("Content-Type: application/sdp\r\n", "")
        .replace(
            &format!("Content-Length: {}", CALLER_OFFER.len()),
            "Content-Length: 0",
        )
        .replace(CALLER_OFFER, "");
    peer.send(&cancel).await;
    let mut statuses = [peer.response().await, peer.response().await];
    statuses.sort_by_key(|m| m.status());
    assert_eq!(statuses[0].status(), Some(200));
    assert_eq!(statuses[0].header("cseq"), "1 CANCEL");
    assert_eq!(statuses[1].status(), Some(487));
    let ev = next_event(&mut leg).await.unwrap();
    assert_eq!(ev, LegEvent::Cancel);
    feed(&mut call, Duration::ZERO, ev);
    let done = drain(&mut call, &mut leg);
    assert!(done
        .iter()
        .any(|a| matches!(a, Action::Terminated(Reason::Cancelled))));
    assert_eq!(next_event(&mut leg).await, None);
    assert_eq!(stack.dialog_count(), 0);
    stack.shutdown();
}

#[tokio::test]
async fn two_stacks_call_each_other() {
    let (gateway, mut gw_calls) = start(false).await;
    let (caller_stack, _caller_calls) = start(false).await;
    let t0 = Instant::now();
    let now = move || t0.elapsed();

    // The caller's Call (UAC) and its INVITE.
    let call_id = "uac-1@test".to_string();
    let mut caller = Call::new_outbound(call_id.clone(), CallConfig::default(), 3);
    let offer = caller
        .make_offer(now(), local(41000), CallPurpose::Fax)
        .unwrap();
    let out = OutgoingInvite {
        to: format!("sip:4930555@{}", gateway.local_addr()),
        from_user: "+4930123".into(),
        from_display: Some("Fax Sender".into()),
        sdp: offer,
        transport_tcp: false,
        call_id: Some(call_id.clone()),
        credentials: None,
        ..OutgoingInvite::default()
    };
    let invite = {
        let caller_stack = caller_stack.clone();
        tokio::spawn(async move { caller_stack.invite(out).await })
    };

    // The gateway side answers.
    let incoming = timeout(WAIT, gw_calls.next()).await.unwrap().unwrap();
    assert_eq!(incoming.call_id, call_id);
    assert_eq!(incoming.request_user, "4930555");
    assert_eq!(incoming.from_user, "+4930123");
    assert_eq!(incoming.from_display.as_deref(), Some("Fax Sender"));
    assert_eq!(incoming.source, caller_stack.local_addr());
    let mut gw = Call::new_inbound(call_id.clone(), CallConfig::default(), 5);
    gw.on_invite(now(), incoming.sdp.as_deref());
    let mut gw_leg = incoming.into_leg().unwrap();
    gw.answer(now(), local(40020), CallPurpose::Fax).unwrap();
    drain(&mut gw, &mut gw_leg);

    let answered = timeout(WAIT, invite).await.unwrap().unwrap().unwrap();
    assert_eq!(answered.status, 200);
    let mut caller_leg = answered.leg;
    assert!(caller_leg.is_outbound());
    assert_eq!(caller_leg.call_id(), call_id);
    caller.on_invite_response(now(), answered.status, answered.sdp.as_deref());
    let done = drain(&mut caller, &mut caller_leg);
    assert!(
        done.iter().any(|a| matches!(a, Action::StartMedia(_))),
        "{done:?}"
    );

    // The caller's stack ACKed: the gateway's call is confirmed.
    let ev = next_event(&mut gw_leg).await.unwrap();
    assert_eq!(
        ev,
        LegEvent::Ack {
            txn: ServerTxn::Invite,
            sdp: None
        }
    );
    feed(&mut gw, now(), ev);
    drain(&mut gw, &mut gw_leg);

    // The gateway re-INVITEs the caller to T.38; the caller's Call answers it.
    gw.request_t38(now()).unwrap();
    drain(&mut gw, &mut gw_leg);
    let ev = next_event(&mut caller_leg).await.unwrap();
    let LegEvent::Reinvite { txn, sdp } = &ev else {
        panic!("{ev:?}");
    };
    let txn = *txn;
    assert!(String::from_utf8_lossy(sdp.as_deref().unwrap()).contains("m=image 40022 udptl t38"));
    feed(&mut caller, now(), ev);
    drain(&mut caller, &mut caller_leg);
    let ev = next_event(&mut gw_leg).await.unwrap();
    let LegEvent::Response { status, .. } = &ev else {
        panic!("{ev:?}");
    };
    assert_eq!(*status, 200);
    feed(&mut gw, now(), ev);
    drain(&mut gw, &mut gw_leg);
    assert!(gw.media().unwrap().t38.is_some());
    // The gateway's stack ACKed the 2xx: the caller sees the ACK of *that* re-INVITE.
    let ev = next_event(&mut caller_leg).await.unwrap();
    assert_eq!(
        ev,
        LegEvent::Ack {
            txn: ServerTxn::Reinvite(txn),
            sdp: None
        }
    );
    feed(&mut caller, now(), ev);
    drain(&mut caller, &mut caller_leg);
    assert!(caller.media().unwrap().t38.is_some());

    // The caller hangs up.
    caller.hangup(now());
    let done = drain(&mut caller, &mut caller_leg);
    assert!(done.contains(&Action::SendBye), "{done:?}");
    let ev = next_event(&mut gw_leg).await.unwrap();
    assert_eq!(ev, LegEvent::Bye);
    feed(&mut gw, now(), ev);
    drain(&mut gw, &mut gw_leg);
    assert!(gw.is_finished());
    assert_eq!(next_event(&mut gw_leg).await, None);
    assert_eq!(next_event(&mut caller_leg).await, None);
    assert_eq!(gateway.dialog_count(), 0);
    assert_eq!(caller_stack.dialog_count(), 0);
    gateway.shutdown();
    caller_stack.shutdown();
}

#[tokio::test]
async fn outgoing_invite_rejected() {
    let (gateway, mut gw_calls) = start(false).await;
    let (caller_stack, _c) = start(false).await;
    let out = OutgoingInvite {
        to: format!("sip:999@{}", gateway.local_addr()),
        from_user: "1".into(),
        from_display: None,
        sdp: CALLER_OFFER.into(),
        transport_tcp: false,
        call_id: None,
        credentials: None,
        ..OutgoingInvite::default()
    };
    let invite = tokio::spawn(async move { caller_stack.invite(out).await });
    let incoming = timeout(WAIT, gw_calls.next()).await.unwrap().unwrap();
    incoming.reject(486, "Busy Here").await;
    let err = timeout(WAIT, invite).await.unwrap().unwrap().unwrap_err();
    assert!(
        matches!(err, StackError::Rejected { status: 486, ref reason } if reason == "Busy Here"),
        "{err:?}"
    );
    gateway.shutdown();
}

#[tokio::test]
async fn garbage_datagrams_do_not_stop_the_stack() {
    let (stack, _calls) = start(false).await;
    let peer = Peer::new(stack.local_addr()).await;
    let mut rng = rand::rngs::SmallRng::seed_from_u64(99);
    let sip_like = [
        "INVITE sip:x SIP/2.0\r\n\r\n",
        "SIP/2.0 200 OK\r\n\r\n",
        "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP\r\nCSeq: x\r\n\r\n",
        "INVITE sip:1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKg\r\nFrom: <sip:a@b>\r\nTo: <sip:c@d>\r\nCall-ID: g\r\nCSeq: 1 INVITE\r\nContent-Length: 99999\r\n\r\nv=0",
        "BYE sip:1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKh\r\nCall-ID: h\r\nCSeq: 1 BYE\r\n\r\n",
        "\u{0}\u{1}SIP/2.0\r\n",
        "ACK sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKi\r\nCall-ID: i\r\nCSeq: 1 ACK\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n\r\n",
    ];
    for i in 0..200 {
        let datagram: Vec<u8> = if i % 4 == 0 {
            sip_like[i / 4 % sip_like.len()].as_bytes().to_vec()
        } else {
            let len = rng.random_range(1..1500);
            (0..len).map(|_| rng.random()).collect()
        };
        peer.sock
            .send_to(&datagram, stack.local_addr())
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Whatever was answered to the parsable ones, OPTIONS still gets its 200.
    let probe = Peer::new(stack.local_addr()).await;
    probe.send(&probe.options("after-garbage@test")).await;
    let resp = probe.response().await;
    assert_eq!(resp.status(), Some(200), "{resp:?}");
    assert_eq!(resp.header("call-id"), "after-garbage@test");
    stack.shutdown();
}

#[tokio::test]
async fn options_over_tcp_on_the_same_port() {
    let (stack, _calls) = start(true).await;
    let addr = stack.local_addr();
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let me = conn.local_addr().unwrap();
    let req = format!(
        "OPTIONS sip:{addr} SIP/2.0\r\nVia: SIP/2.0/TCP {me};branch=z9hG4bKtcp1;rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=t1\r\nTo: <sip:{addr}>\r\n\
         Call-ID: tcp-1@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let resp = timeout(WAIT, async {
        loop {
            let n = conn.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed");
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                return Msg::parse(&buf);
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(resp.status(), Some(200), "{resp:?}");
    assert_eq!(resp.header("call-id"), "tcp-1@test");
    stack.shutdown();
}

// ---------------------------------------------------------------------------------------
// SIP over TLS.

/// A test CA and a `localhost` / 127.0.0.1 certificate it signed: (CA PEM, chain PEM, key PEM).
fn test_pki() -> (String, String, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
        SanType,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "faxvox SIP test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    leaf.subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.is_ca = IsCa::ExplicitNoCa;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    (
        ca_cert.pem(),
        leaf_cert.pem() + &ca_cert.pem(),
        leaf_key.serialize_pem(),
    )
}

/// A raw-SIP peer over TLS, trusting only the test CA.
struct TlsPeer {
    stream: tokio_rustls::client::TlsStream<TcpStream>,
    local: SocketAddr,
    buf: Vec<u8>,
}

impl TlsPeer {
    async fn connect(server: SocketAddr, ca_pem: &str) -> TlsPeer {
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
        use tokio_rustls::rustls::{self, RootCertStore};
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
        let tcp = TcpStream::connect(server).await.unwrap();
        let local = tcp.local_addr().unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let stream = timeout(WAIT, connector.connect(name, tcp))
            .await
            .expect("TLS handshake within 5 s")
            .expect("the server's certificate is trusted");
        TlsPeer {
            stream,
            local,
            buf: Vec::new(),
        }
    }

    async fn send(&mut self, text: &str) {
        self.stream.write_all(text.as_bytes()).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    /// The next whole SIP message on the stream (header block plus Content-Length body).
    async fn recv(&mut self) -> Msg {
        timeout(WAIT, async {
            loop {
                if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = Msg::parse(&self.buf[..end + 4]);
                    let len: usize = head
                        .headers
                        .iter()
                        .find(|(n, _)| n == "content-length" || n == "l")
                        .map_or(0, |(_, v)| v.parse().unwrap());
                    if self.buf.len() >= end + 4 + len {
                        let msg = Msg::parse(&self.buf[..end + 4 + len]);
                        self.buf.drain(..end + 4 + len);
                        return msg;
                    }
                }
                let mut chunk = [0u8; 4096];
                let n = self.stream.read(&mut chunk).await.unwrap();
                assert!(n > 0, "TLS connection closed");
                self.buf.extend_from_slice(&chunk[..n]);
            }
        })
        .await
        .expect("a SIP message over TLS within 5 s")
    }

    async fn response(&mut self) -> Msg {
        loop {
            let m = self.recv().await;
            if m.status().is_some_and(|s| s != 100) {
                return m;
            }
        }
    }

    fn request(&self, method: &str, uri: &str, call_id: &str, cseq: u32, extra: &str) -> String {
        let branch: u64 = rand::random();
        let body = if method == "INVITE" { CALLER_OFFER } else { "" };
        let ct = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\r\n"
        };
        format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/TLS {me};branch=z9hG4bK{branch:x};rport\r\n\
             Max-Forwards: 70\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n{extra}\
             Contact: <sip:caller@{me};transport=tls>\r\n{ct}Content-Length: {}\r\n\r\n{body}",
            body.len(),
            me = self.local
        )
    }
}

async fn start_tls() -> (SipStack, IncomingCalls, String) {
    let (ca, cert, key) = test_pki();
    let (stack, calls) = SipStack::start(StackConfig {
        listen: SocketAddr::new(LOOPBACK, 0),
        tcp: true,
        user_agent: "faxvox-test".into(),
        tls: Some(TlsListen {
            listen: SocketAddr::new(LOOPBACK, 0),
            cert_pem: cert.into_bytes(),
            key_pem: key.into_bytes(),
        }),
        auth: None,
        ..StackConfig::default()
    })
    .await
    .expect("stack with TLS starts");
    (stack, calls, ca)
}

#[tokio::test]
async fn tls_options_and_a_call_over_tls() {
    let (stack, mut calls, ca) = start_tls().await;
    let tls = stack.tls_local_addr().expect("a TLS listener");
    assert_ne!(tls.port(), 0);
    assert_ne!(tls.port(), stack.local_addr().port());
    let mut peer = TlsPeer::connect(tls, &ca).await;

    let options = peer.request(
        "OPTIONS",
        &format!("sip:{tls};transport=tls"),
        "tls-opt@test",
        1,
        &format!("From: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:{tls}>\r\n"),
    );
    peer.send(&options).await;
    let resp = peer.response().await;
    assert_eq!(resp.status(), Some(200), "{resp:?}");
    assert_eq!(resp.header("call-id"), "tls-opt@test");

    // An INVITE over TLS reaches the application as a "tls" call; answered, hung up.
    let t0 = Instant::now();
    let now = || t0.elapsed();
    let call_id = "tls-call@test";
    let from = "From: \"Fax Sender\" <sip:+4930123@127.0.0.1>;tag=caller1\r\n";
    let uri = format!("sip:100@{tls};transport=tls");
    let invite = peer.request(
        "INVITE",
        &uri,
        call_id,
        1,
        &format!("{from}To: <sip:100@{tls}>\r\n"),
    );
    peer.send(&invite).await;
    let incoming = timeout(WAIT, calls.next()).await.unwrap().unwrap();
    assert_eq!(incoming.transport, "tls");
    assert_eq!(incoming.source, peer.local);
    assert_eq!(incoming.request_user, "100");
    assert_eq!(incoming.authenticated_user, None);
    let mut call = Call::new_inbound(incoming.call_id.clone(), CallConfig::default(), 7);
    call.on_invite(now(), incoming.sdp.as_deref());
    let mut leg = incoming.into_leg().unwrap();
    call.answer(now(), local(40100), CallPurpose::Voice)
        .unwrap();
    drain(&mut call, &mut leg);
    let ok = peer.response().await;
    assert_eq!(ok.status(), Some(200), "{ok:?}");
    assert!(ok.body.contains("m=audio 40100 RTP/AVP"), "{}", ok.body);
    let contact = ok.header("contact").to_ascii_lowercase();
    assert!(
        contact.contains(&format!(":{}", tls.port())) && contact.contains("transport=tls"),
        "Contact must point at the TLS listener: {contact}"
    );
    let to = ok.header("to").to_string();
    let ack = peer.request("ACK", &uri, call_id, 1, &format!("{from}To: {to}\r\n"));
    peer.send(&ack).await;
    let ev = next_event(&mut leg).await.unwrap();
    assert!(matches!(ev, LegEvent::Ack { .. }), "{ev:?}");
    feed(&mut call, now(), ev);
    drain(&mut call, &mut leg);
    let bye = peer.request("BYE", &uri, call_id, 2, &format!("{from}To: {to}\r\n"));
    peer.send(&bye).await;
    let resp = peer.response().await;
    assert_eq!(resp.status(), Some(200), "{resp:?}");
    assert_eq!(resp.header("cseq"), "2 BYE");
    assert_eq!(next_event(&mut leg).await, Some(LegEvent::Bye));
    stack.shutdown();
}

#[tokio::test]
async fn tls_with_a_bad_key_does_not_start() {
    let (_ca, cert, _key) = test_pki();
    let (_ca2, _cert2, other_key) = test_pki();
    let cfg = |key: &str| StackConfig {
        tls: Some(TlsListen {
            listen: SocketAddr::new(LOOPBACK, 0),
            cert_pem: cert.clone().into_bytes(),
            key_pem: key.as_bytes().to_vec(),
        }),
        ..StackConfig::default()
    };
    for key in [other_key.as_str(), "not a key", ""] {
        let err = SipStack::start(cfg(key)).await.unwrap_err();
        assert!(
            matches!(&err, StackError::Tls(m) if m.contains("private key")),
            "{key:?}: {err:?}"
        );
    }
    let err = check_tls_identity(b"garbage", other_key.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("certificate"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Digest authentication of untrusted callers.

/// MD5 in hex, computed here independently of `faxvox::sip::digest`.
fn md5_hex(text: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One parameter of a `Digest …` challenge (quoted or not).
fn challenge_param(header: &str, name: &str) -> Option<String> {
    let rest = header.trim().strip_prefix("Digest")?;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        if k.trim().eq_ignore_ascii_case(name) {
            return Some(v.trim().trim_matches('"').to_string());
        }
    }
    None
}

/// An `Authorization` header line answering `challenge` (RFC 2617, MD5, qop=auth).
fn authorization(challenge: &str, user: &str, password: &str, uri: &str) -> String {
    let realm = challenge_param(challenge, "realm").unwrap();
    let nonce = challenge_param(challenge, "nonce").unwrap();
    let (nc, cnonce) = ("00000001", "0a4f113b");
    let ha1 = md5_hex(&format!("{user}:{realm}:{password}"));
    let ha2 = md5_hex(&format!("INVITE:{uri}"));
    let response = md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"));
    format!(
        "Authorization: Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", \
         uri=\"{uri}\", response=\"{response}\", algorithm=MD5, qop=auth, nc={nc}, \
         cnonce=\"{cnonce}\"\r\n"
    )
}

fn digest_auth(trusted: &[&str], ttl: Duration) -> DigestAuth {
    DigestAuth {
        realm: "faxvox-test".into(),
        users: [("alice".to_string(), "s3cret:pass".to_string())].into(),
        trusted: trusted.iter().map(|t| t.parse().unwrap()).collect(),
        nonce_ttl: ttl,
    }
}

async fn start_auth(auth: DigestAuth) -> (SipStack, IncomingCalls) {
    SipStack::start(StackConfig {
        auth: Some(auth),
        ..StackConfig::default()
    })
    .await
    .expect("stack starts")
}

impl Peer {
    /// An INVITE for 100 with CSeq `cseq` and `extra` header lines (Authorization).
    fn invite_auth(&self, call_id: &str, cseq: u32, extra: &str) -> String {
        let from = "From: <sip:+4930123@127.0.0.1>;tag=caller1\r\n";
        let to = format!("To: <sip:100@{}>\r\n", self.server);
        self.request(
            "INVITE",
            &format!("sip:100@{}", self.server),
            call_id,
            cseq,
            &format!("{from}{to}{extra}"),
            CALLER_OFFER,
        )
    }

    /// The final response to (call_id, cseq), others skipped; failures are ACKed.
    async fn final_for(&self, call_id: &str, cseq: u32) -> Msg {
        loop {
            let m = self.response().await;
            if m.header("call-id") != call_id || m.header("cseq") != format!("{cseq} INVITE") {
                continue;
            }
            if m.status().is_some_and(|s| s >= 300) {
                let ack = format!(
                    "ACK sip:100@{server} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n\
                     From: {from}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} ACK\r\n\
                     Content-Length: 0\r\n\r\n",
                    server = self.server,
                    via = m.header("via"),
                    from = m.header("from"),
                    to = m.header("to"),
                );
                self.send(&ack).await;
            }
            return m;
        }
    }
}

#[tokio::test]
async fn untrusted_invite_is_challenged_then_admitted_with_credentials() {
    let (stack, mut calls) =
        start_auth(digest_auth(&["192.0.2.0/24"], Duration::from_secs(300))).await;
    let peer = Peer::new(stack.local_addr()).await;
    let uri = format!("sip:100@{}", stack.local_addr());

    // No credentials: 401 with a digest challenge, and no call for the application.
    peer.send(&peer.invite_auth("auth-1@test", 1, "")).await;
    let resp = peer.final_for("auth-1@test", 1).await;
    assert_eq!(resp.status(), Some(401), "{resp:?}");
    let challenge = resp.header("www-authenticate").to_string();
    assert!(challenge.starts_with("Digest "), "{challenge}");
    assert_eq!(
        challenge_param(&challenge, "realm").as_deref(),
        Some("faxvox-test")
    );
    assert_eq!(challenge_param(&challenge, "qop").as_deref(), Some("auth"));
    assert_eq!(
        challenge_param(&challenge, "algorithm").as_deref(),
        Some("MD5")
    );
    assert!(challenge_param(&challenge, "nonce").is_some_and(|n| n.len() > 16));
    assert_eq!(challenge_param(&challenge, "stale"), None);
    assert!(timeout(Duration::from_millis(300), calls.next())
        .await
        .is_err());
    assert_eq!(stack.dialog_count(), 0);

    // The same INVITE with a correct response: the call arrives, naming the user.
    let auth = authorization(&challenge, "alice", "s3cret:pass", &uri);
    peer.send(&peer.invite_auth("auth-1@test", 2, &auth)).await;
    let call = timeout(WAIT, calls.next()).await.unwrap().unwrap();
    assert_eq!(call.call_id, "auth-1@test");
    assert_eq!(call.authenticated_user.as_deref(), Some("alice"));
    call.reject(486, "Busy Here").await;
    assert_eq!(peer.final_for("auth-1@test", 2).await.status(), Some(486));

    // Replaying that Authorization (same nonce and count) is refused.
    peer.send(&peer.invite_auth("auth-2@test", 1, &auth)).await;
    assert_eq!(peer.final_for("auth-2@test", 1).await.status(), Some(401));

    // A wrong password (and an unknown user) get a new challenge, never a call.
    let resp = {
        peer.send(&peer.invite_auth("auth-3@test", 1, "")).await;
        peer.final_for("auth-3@test", 1).await
    };
    let challenge = resp.header("www-authenticate").to_string();
    for (user, password, cseq) in [("alice", "guess", 2), ("mallory", "s3cret:pass", 3)] {
        let auth = authorization(&challenge, user, password, &uri);
        peer.send(&peer.invite_auth("auth-3@test", cseq, &auth))
            .await;
        let resp = peer.final_for("auth-3@test", cseq).await;
        assert_eq!(resp.status(), Some(401), "{user}: {resp:?}");
        assert_eq!(
            challenge_param(resp.header("www-authenticate"), "stale"),
            None
        );
    }
    assert!(timeout(Duration::from_millis(300), calls.next())
        .await
        .is_err());
    stack.shutdown();
}

#[tokio::test]
async fn expired_nonce_gets_a_stale_challenge() {
    let (stack, mut calls) =
        start_auth(digest_auth(&["192.0.2.0/24"], Duration::from_millis(300))).await;
    let peer = Peer::new(stack.local_addr()).await;
    let uri = format!("sip:100@{}", stack.local_addr());
    peer.send(&peer.invite_auth("stale-1@test", 1, "")).await;
    let challenge = peer
        .final_for("stale-1@test", 1)
        .await
        .header("www-authenticate")
        .to_string();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let auth = authorization(&challenge, "alice", "s3cret:pass", &uri);
    peer.send(&peer.invite_auth("stale-1@test", 2, &auth)).await;
    let resp = peer.final_for("stale-1@test", 2).await;
    assert_eq!(resp.status(), Some(401), "{resp:?}");
    let fresh = resp.header("www-authenticate").to_string();
    assert_eq!(challenge_param(&fresh, "stale").as_deref(), Some("true"));
    assert_ne!(
        challenge_param(&fresh, "nonce"),
        challenge_param(&challenge, "nonce")
    );
    // The fresh nonce works at once.
    let auth = authorization(&fresh, "alice", "s3cret:pass", &uri);
    peer.send(&peer.invite_auth("stale-1@test", 3, &auth)).await;
    let call = timeout(WAIT, calls.next()).await.unwrap().unwrap();
    assert_eq!(call.authenticated_user.as_deref(), Some("alice"));
    call.reject(603, "Decline").await;
    stack.shutdown();
}

#[tokio::test]
async fn trusted_source_is_not_challenged() {
    let (stack, mut calls) =
        start_auth(digest_auth(&["127.0.0.0/8"], Duration::from_secs(300))).await;
    let peer = Peer::new(stack.local_addr()).await;
    peer.send(&peer.invite_auth("trusted-1@test", 1, "")).await;
    let call = timeout(WAIT, calls.next()).await.unwrap().unwrap();
    assert_eq!(call.authenticated_user, None);
    call.reject(404, "Not Found").await;
    assert_eq!(
        peer.final_for("trusted-1@test", 1).await.status(),
        Some(404)
    );

    // No users: nobody is challenged, the application decides (the gateway answers 403).
    let mut auth = digest_auth(&["192.0.2.0/24"], Duration::from_secs(300));
    auth.users.clear();
    let (open, mut open_calls) = start_auth(auth).await;
    let peer = Peer::new(open.local_addr()).await;
    peer.send(&peer.invite_auth("nousers-1@test", 1, "")).await;
    let call = timeout(WAIT, open_calls.next()).await.unwrap().unwrap();
    assert_eq!(call.authenticated_user, None);
    call.reject(403, "Forbidden").await;
    assert_eq!(
        peer.final_for("nousers-1@test", 1).await.status(),
        Some(403)
    );
    stack.shutdown();
    open.shutdown();
}

#[tokio::test]
async fn outgoing_invite_answers_the_challenge() {
    let (gateway, mut gw_calls) =
        start_auth(digest_auth(&["192.0.2.0/24"], Duration::from_secs(300))).await;
    let (caller_stack, _c) = start(false).await;
    let out = |call_id: &str, credentials: Option<(&str, &str)>| OutgoingInvite {
        to: format!("sip:100@{}", gateway.local_addr()),
        from_user: "+4930123".into(),
        from_display: None,
        sdp: CALLER_OFFER.into(),
        transport_tcp: false,
        call_id: Some(call_id.into()),
        credentials: credentials.map(|(user, password)| SipCredentials {
            user: user.into(),
            password: password.into(),
        }),
        ..OutgoingInvite::default()
    };

    // Right credentials: the gateway sees an authenticated call.
    let invite = {
        let s = caller_stack.clone();
        let o = out("uac-auth-1@test", Some(("alice", "s3cret:pass")));
        tokio::spawn(async move { s.invite(o).await })
    };
    let incoming = timeout(WAIT, gw_calls.next()).await.unwrap().unwrap();
    assert_eq!(incoming.call_id, "uac-auth-1@test");
    assert_eq!(incoming.authenticated_user.as_deref(), Some("alice"));
    incoming.reject(486, "Busy Here").await;
    let err = timeout(WAIT, invite).await.unwrap().unwrap().unwrap_err();
    assert!(
        matches!(err, StackError::Rejected { status: 486, .. }),
        "{err:?}"
    );

    // Wrong password, and none at all: the caller ends with the 401.
    for (call_id, creds) in [
        ("uac-auth-2@test", Some(("alice", "wrong"))),
        ("uac-auth-3@test", None),
    ] {
        let err = timeout(WAIT, caller_stack.invite(out(call_id, creds)))
            .await
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(err, StackError::Rejected { status: 401, .. }),
            "{call_id}: {err:?}"
        );
    }
    assert!(timeout(Duration::from_millis(200), gw_calls.next())
        .await
        .is_err());
    assert_eq!(gateway.dialog_count(), 0);
    gateway.shutdown();
    caller_stack.shutdown();
}

// ------------------------------------------------------------------ re-INVITE before the ACK

/// The caller's dialog headers after the 200: From with its tag, To with ours.
const CALLER_FROM: &str = "From: \"Fax Sender\" <sip:+4930123@127.0.0.1>;tag=caller1\r\n";

impl Peer {
    /// The next message that is not a 1xx and not a retransmission of something else: the
    /// response whose CSeq is `cseq`, or the request of `method`.
    async fn next_matching(&self, want: impl Fn(&Msg) -> bool) -> Msg {
        loop {
            let m = self.recv().await;
            if want(&m) {
                return m;
            }
        }
    }

    async fn response_to(&self, cseq: &str) -> Msg {
        self.next_matching(|m| m.status().is_some_and(|s| s >= 180) && m.header("cseq") == cseq)
            .await
    }
}

/// A raw-UDP caller's INVITE answered 200 by a fax line (no ACK yet): the call, its leg, the
/// caller and the caller's in-dialog From/To headers.
async fn answered_unacked(
    stack: &SipStack,
    calls: &mut IncomingCalls,
    call_id: &str,
    rtp: u16,
    now: Duration,
) -> (Call, SipLeg, Peer, String) {
    let peer = Peer::new(stack.local_addr()).await;
    peer.send(&peer.invite(call_id, "100")).await;
    let incoming = timeout(WAIT, calls.next()).await.unwrap().unwrap();
    let mut call = Call::new_inbound(call_id, CallConfig::default(), 7);
    call.on_invite(now, incoming.sdp.as_deref());
    let mut leg = incoming.into_leg().unwrap();
    call.answer(now, local(rtp), CallPurpose::Fax).unwrap();
    drain(&mut call, &mut leg);
    let ok = peer.response_to("1 INVITE").await;
    assert_eq!(ok.status(), Some(200), "{ok:?}");
    let dialog = format!("{CALLER_FROM}To: {}\r\n", ok.header("to"));
    (call, leg, peer, dialog)
}

/// How the caller's ACK of the 200 and its re-INVITE reach the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AckOrder {
    /// Back to back (what `faxvox call fax` with T.38 policy Request does); the stack's
    /// tasks may process them in either order.
    Together,
    /// The re-INVITE, and the ACK only once the re-INVITE has been answered (a late or
    /// lost-and-retransmitted ACK): the dialog certainly waits for the ACK meanwhile.
    ReinviteFirst,
}

/// The gateway's 200 to the caller's T.38 re-INVITE: our image stream, and a Contact.
fn assert_t38_ok(resp: &Msg, stack: &SipStack) {
    assert_eq!(resp.status(), Some(200), "{resp:?}");
    assert!(
        resp.body.contains("m=image 40032 udptl t38"),
        "{}",
        resp.body
    );
    assert!(resp.header("content-type").contains("application/sdp"));
    assert!(resp
        .header("contact")
        .contains(&stack.local_addr().to_string()));
}

/// RFC 3261 §14.2 territory: a caller re-INVITEs to T.38 before its ACK of our 200 was
/// processed. The re-INVITE must reach the Call and be answered, and the ACK must still
/// confirm the call.
async fn reinvite_racing_the_initial_ack(call_id: &str, order: AckOrder) {
    let (stack, mut calls) = start(false).await;
    let t0 = Instant::now();
    let now = || t0.elapsed();
    let (mut call, mut leg, peer, dialog) =
        answered_unacked(&stack, &mut calls, call_id, 40030, now()).await;
    let uri = format!("sip:100@{}", stack.local_addr());
    let ack = peer.request("ACK", &uri, call_id, 1, &dialog, "");
    let reinvite = peer.request("INVITE", &uri, call_id, 2, &dialog, CALLER_T38_ANSWER);
    match order {
        AckOrder::Together => {
            peer.send(&ack).await;
            peer.send(&reinvite).await;
        }
        AckOrder::ReinviteFirst => peer.send(&reinvite).await,
    }

    // Both reach the Call (in whatever order the stack's tasks ran them).
    let (mut acked, mut reinvited) = (false, false);
    while !(acked && reinvited) {
        let ev = next_event(&mut leg).await.expect("the leg is alive");
        match &ev {
            LegEvent::Ack {
                txn: ServerTxn::Invite,
                sdp: None,
            } if !acked => acked = true,
            LegEvent::Reinvite { txn: 2, sdp } if !reinvited => {
                assert_eq!(sdp.as_deref(), Some(CALLER_T38_ANSWER.as_bytes()));
                reinvited = true;
            }
            other => panic!("unexpected {other:?}"),
        }
        feed(&mut call, now(), ev);
        let done = drain(&mut call, &mut leg);
        assert!(
            !done.iter().any(|a| matches!(
                a,
                Action::SendBye | Action::SendResponse { status: 491, .. }
            )),
            "{done:?}"
        );
        if reinvited && !acked && order == AckOrder::ReinviteFirst {
            // Answered while the dialog still waits for the ACK; only now does it come.
            assert!(
                done.iter()
                    .any(|a| matches!(a, Action::SwitchMedia(m) if m.t38.is_some())),
                "{done:?}"
            );
            assert_t38_ok(&peer.response_to("2 INVITE").await, &stack);
            peer.send(&ack).await;
        }
    }

    if order == AckOrder::Together {
        assert_t38_ok(&peer.response_to("2 INVITE").await, &stack);
    }
    peer.send(&peer.request("ACK", &uri, call_id, 2, &dialog, ""))
        .await;
    let ev = next_event(&mut leg).await.unwrap();
    assert_eq!(
        ev,
        LegEvent::Ack {
            txn: ServerTxn::Reinvite(2),
            sdp: None
        }
    );
    feed(&mut call, now(), ev);
    drain(&mut call, &mut leg);
    assert!(call.media().unwrap().t38.is_some());

    // Confirmed: our hang-up is a BYE at once (before the initial ACK it would wait).
    call.hangup(now());
    let done = drain(&mut call, &mut leg);
    assert!(done.contains(&Action::SendBye), "{done:?}");
    let bye = peer.next_matching(|m| m.method() == "BYE").await;
    peer.send(&peer.respond(&bye, "200 OK", "")).await;
    assert_eq!(next_event(&mut leg).await, None);
    assert_eq!(stack.dialog_count(), 0);
    stack.shutdown();
}

/// Back to back, on a multi-threaded runtime like the gateway's (where the ACK and the
/// re-INVITE really race), a few times over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reinvite_sent_with_the_initial_ack_is_answered() {
    for i in 0..8 {
        reinvite_racing_the_initial_ack(&format!("race-{i}@test"), AckOrder::Together).await;
    }
}

#[tokio::test]
async fn reinvite_before_the_initial_ack_is_answered() {
    reinvite_racing_the_initial_ack("reinvite-first@test", AckOrder::ReinviteFirst).await;
}

#[tokio::test]
async fn reinvite_before_the_answer_gets_500_with_retry_after() {
    let (stack, mut calls) = start(false).await;
    let t0 = Instant::now();
    let now = || t0.elapsed();
    let peer = Peer::new(stack.local_addr()).await;
    let call_id = "early-reinvite@test";
    peer.send(&peer.invite(call_id, "100")).await;
    let incoming = timeout(WAIT, calls.next()).await.unwrap().unwrap();
    let mut call = Call::new_inbound(call_id, CallConfig::default(), 7);
    call.on_invite(now(), incoming.sdp.as_deref());
    let mut leg = incoming.into_leg().unwrap();
    call.ring(now()).unwrap();
    drain(&mut call, &mut leg);
    let ringing = peer.response_to("1 INVITE").await;
    assert_eq!(ringing.status(), Some(180));
    let dialog = format!("{CALLER_FROM}To: {}\r\n", ringing.header("to"));
    let uri = format!("sip:100@{}", stack.local_addr());

    // A re-INVITE on the early dialog: the Call answers 500 + Retry-After (RFC 3261 §14.2).
    peer.send(&peer.request("INVITE", &uri, call_id, 2, &dialog, CALLER_T38_ANSWER))
        .await;
    let ev = next_event(&mut leg).await.unwrap();
    assert!(matches!(ev, LegEvent::Reinvite { txn: 2, .. }), "{ev:?}");
    feed(&mut call, now(), ev);
    drain(&mut call, &mut leg);
    let resp = peer.response_to("2 INVITE").await;
    assert_eq!(resp.status(), Some(500), "{resp:?}");
    let retry: u32 = resp.header("retry-after").parse().unwrap();
    assert!(retry <= 10, "{retry}");

    // The call itself goes on: answer, ACK, hang up.
    call.answer(now(), local(40040), CallPurpose::Fax).unwrap();
    drain(&mut call, &mut leg);
    let ok = peer.response_to("1 INVITE").await;
    assert_eq!(ok.status(), Some(200), "{ok:?}");
    peer.send(&peer.request("ACK", &uri, call_id, 1, &dialog, ""))
        .await;
    let ev = next_event(&mut leg).await.unwrap();
    assert_eq!(
        ev,
        LegEvent::Ack {
            txn: ServerTxn::Invite,
            sdp: None
        }
    );
    feed(&mut call, now(), ev);
    call.hangup(now());
    let done = drain(&mut call, &mut leg);
    assert!(done.contains(&Action::SendBye), "{done:?}");
    let bye = peer.next_matching(|m| m.method() == "BYE").await;
    peer.send(&peer.respond(&bye, "200 OK", "")).await;
    assert_eq!(next_event(&mut leg).await, None);
    assert_eq!(stack.dialog_count(), 0);
    stack.shutdown();
}

#[tokio::test]
async fn bye_before_the_initial_ack_ends_the_call() {
    let (stack, mut calls) = start(false).await;
    let t0 = Instant::now();
    let now = || t0.elapsed();
    let call_id = "bye-before-ack@test";
    let (mut call, mut leg, peer, dialog) =
        answered_unacked(&stack, &mut calls, call_id, 40050, now()).await;
    let uri = format!("sip:100@{}", stack.local_addr());
    peer.send(&peer.request("BYE", &uri, call_id, 2, &dialog, ""))
        .await;
    let resp = peer.response_to("2 BYE").await;
    assert_eq!(resp.status(), Some(200), "{resp:?}");
    let ev = next_event(&mut leg).await.unwrap();
    assert_eq!(ev, LegEvent::Bye);
    feed(&mut call, now(), ev);
    let done = drain(&mut call, &mut leg);
    assert!(
        done.iter()
            .any(|a| matches!(a, Action::Terminated(Reason::RemoteBye))),
        "{done:?}"
    );
    assert!(!done.contains(&Action::SendBye), "{done:?}");
    assert_eq!(next_event(&mut leg).await, None);
    assert_eq!(stack.dialog_count(), 0);
    // A late ACK of the 200 changes nothing.
    peer.send(&peer.request("ACK", &uri, call_id, 1, &dialog, ""))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(stack.dialog_count(), 0);
    stack.shutdown();
}

/// Both ends of a fax call with T.38 policy Request: the caller asks for T.38 right after
/// the 200 (its ACK and re-INVITE leave back to back), the gateway's fax line would ask
/// itself after a short CED window. The gateway answers the caller's re-INVITE, both switch
/// to T.38, and nobody sees a 491. Multi-threaded, like the gateway's runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stacks_caller_requests_t38_right_after_the_answer() {
    let (gateway, mut gw_calls) = start(false).await;
    let (caller_stack, _caller_calls) = start(false).await;
    let t0 = Instant::now();
    let now = move || t0.elapsed();
    let config = CallConfig {
        t38: T38Policy::Request,
        ced_window: Duration::from_millis(300),
        ..CallConfig::default()
    };

    let call_id = "uac-t38-race@test".to_string();
    let mut caller = Call::new_outbound(call_id.clone(), config.clone(), 3);
    let offer = caller
        .make_offer(now(), local(41010), CallPurpose::Fax)
        .unwrap();
    let out = OutgoingInvite {
        to: format!("sip:4930555@{}", gateway.local_addr()),
        from_user: "+4930123".into(),
        from_display: None,
        sdp: offer,
        transport_tcp: false,
        call_id: Some(call_id.clone()),
        credentials: None,
        ..OutgoingInvite::default()
    };
    let invite = {
        let caller_stack = caller_stack.clone();
        tokio::spawn(async move { caller_stack.invite(out).await })
    };
    let incoming = timeout(WAIT, gw_calls.next()).await.unwrap().unwrap();
    let mut gw = Call::new_inbound(call_id.clone(), config.clone(), 5);
    gw.on_invite(now(), incoming.sdp.as_deref());
    let mut gw_leg = incoming.into_leg().unwrap();
    gw.answer(now(), local(40060), CallPurpose::Fax).unwrap();
    let mut gw_actions = drain(&mut gw, &mut gw_leg);

    let answered = timeout(WAIT, invite).await.unwrap().unwrap().unwrap();
    let mut caller_leg = answered.leg;
    caller.on_invite_response(now(), answered.status, answered.sdp.as_deref());
    caller.request_t38(now()).unwrap();
    let mut caller_actions = drain(&mut caller, &mut caller_leg);
    assert!(
        caller_actions
            .iter()
            .any(|a| matches!(a, Action::SendReinvite { .. })),
        "{caller_actions:?}"
    );

    // Run both calls (events and timers) well past the gateway's CED window.
    let mut statuses = Vec::new();
    let end = tokio::time::Instant::now() + Duration::from_millis(1500);
    loop {
        let timer = [gw.poll_timeout(), caller.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .map(|d| tokio::time::Instant::from_std(t0 + d))
            .unwrap_or(end)
            .min(end);
        tokio::select! {
            ev = gw_leg.next_event() => {
                let ev = ev.expect("the gateway's leg is alive");
                if let LegEvent::Response { status, .. } = &ev {
                    statuses.push(("gateway", *status));
                }
                feed(&mut gw, now(), ev);
                gw_actions.extend(drain(&mut gw, &mut gw_leg));
            }
            ev = caller_leg.next_event() => {
                let ev = ev.expect("the caller's leg is alive");
                if let LegEvent::Response { status, .. } = &ev {
                    statuses.push(("caller", *status));
                }
                feed(&mut caller, now(), ev);
                caller_actions.extend(drain(&mut caller, &mut caller_leg));
            }
            _ = tokio::time::sleep_until(timer) => {
                if tokio::time::Instant::now() >= end {
                    break;
                }
                gw.on_timeout(now());
                gw_actions.extend(drain(&mut gw, &mut gw_leg));
                caller.on_timeout(now());
                caller_actions.extend(drain(&mut caller, &mut caller_leg));
            }
        }
    }

    assert_eq!(statuses, vec![("caller", 200)]);
    let glare = |a: &Action| matches!(a, Action::SendResponse { status: 491, .. });
    assert!(!gw_actions.iter().any(glare), "{gw_actions:?}");
    assert!(!caller_actions.iter().any(glare), "{caller_actions:?}");
    assert!(
        gw_actions.iter().any(|a| matches!(
            a,
            Action::SendResponse {
                txn: ServerTxn::Reinvite(_),
                status: 200,
                ..
            }
        )),
        "{gw_actions:?}"
    );
    assert!(
        !gw_actions
            .iter()
            .any(|a| matches!(a, Action::SendReinvite { .. })),
        "{gw_actions:?}"
    );
    assert!(gw.media().unwrap().t38.is_some());
    assert!(caller.media().unwrap().t38.is_some());

    // The gateway's call is confirmed: its hang-up is a BYE at once.
    gw.hangup(now());
    let done = drain(&mut gw, &mut gw_leg);
    assert!(done.contains(&Action::SendBye), "{done:?}");
    let ev = next_event(&mut caller_leg).await.unwrap();
    assert_eq!(ev, LegEvent::Bye);
    assert_eq!(next_event(&mut caller_leg).await, None);
    assert_eq!(next_event(&mut gw_leg).await, None);
    assert_eq!(gateway.dialog_count(), 0);
    assert_eq!(caller_stack.dialog_count(), 0);
    gateway.shutdown();
    caller_stack.shutdown();
}

// ---------------------------------------------------------------------------------------
// Untrusted sources under attack: digest Request-URI, HA1 entries, 401 sent once, lock-out.

impl Peer {
    /// An INVITE to `sip:{user}@server` (Request-URI and To) with `extra` header lines.
    fn invite_to(&self, user: &str, call_id: &str, cseq: u32, extra: &str) -> String {
        let from = "From: <sip:+4930123@127.0.0.1>;tag=caller1\r\n";
        let to = format!("To: <sip:{user}@{}>\r\n", self.server);
        self.request(
            "INVITE",
            &format!("sip:{user}@{}", self.server),
            call_id,
            cseq,
            &format!("{from}{to}{extra}"),
            CALLER_OFFER,
        )
    }
}

#[tokio::test]
async fn credentials_for_another_request_uri_are_refused() {
    let (stack, mut calls) =
        start_auth(digest_auth(&["192.0.2.0/24"], Duration::from_secs(300))).await;
    let peer = Peer::new(stack.local_addr()).await;
    peer.send(&peer.invite_to("100", "uri-1@test", 1, "")).await;
    let challenge = peer
        .final_for("uri-1@test", 1)
        .await
        .header("www-authenticate")
        .to_string();
    // Signed for sip:100@…, sent to sip:200@…: a new challenge, no call.
    let signed_for = format!("sip:100@{}", stack.local_addr());
    let auth = authorization(&challenge, "alice", "s3cret:pass", &signed_for);
    peer.send(&peer.invite_to("200", "uri-1@test", 2, &auth))
        .await;
    let resp = peer.final_for("uri-1@test", 2).await;
    assert_eq!(resp.status(), Some(401), "{resp:?}");
    assert!(
        timeout(Duration::from_millis(300), calls.next())
            .await
            .is_err(),
        "a call was admitted with credentials for another Request-URI"
    );
    // The same credentials on the URI they were computed for are fine.
    let resp = {
        peer.send(&peer.invite_to("100", "uri-2@test", 1, "")).await;
        peer.final_for("uri-2@test", 1).await
    };
    let auth = authorization(
        resp.header("www-authenticate"),
        "alice",
        "s3cret:pass",
        &signed_for,
    );
    peer.send(&peer.invite_to("100", "uri-2@test", 2, &auth))
        .await;
    let call = timeout(WAIT, calls.next()).await.unwrap().unwrap();
    assert_eq!(call.authenticated_user.as_deref(), Some("alice"));
    call.reject(486, "Busy Here").await;
    stack.shutdown();
}

#[tokio::test]
async fn ha1_entries_authenticate() {
    let mut auth = digest_auth(&["192.0.2.0/24"], Duration::from_secs(300));
    let ha1 = md5_hex("alice:faxvox-test:s3cret:pass");
    auth.users = [("alice".to_string(), format!("ha1:{ha1}"))].into();
    let (stack, mut calls) = start_auth(auth).await;
    let peer = Peer::new(stack.local_addr()).await;
    let uri = format!("sip:100@{}", stack.local_addr());
    peer.send(&peer.invite_to("100", "ha1-1@test", 1, "")).await;
    let challenge = peer
        .final_for("ha1-1@test", 1)
        .await
        .header("www-authenticate")
        .to_string();
    let auth = authorization(&challenge, "alice", "s3cret:pass", &uri);
    peer.send(&peer.invite_to("100", "ha1-1@test", 2, &auth))
        .await;
    let call = timeout(WAIT, calls.next()).await.unwrap().unwrap();
    assert_eq!(call.authenticated_user.as_deref(), Some("alice"));
    call.reject(486, "Busy Here").await;
    stack.shutdown();
}

#[tokio::test]
async fn challenge_is_sent_once_and_answers_retransmissions_one_for_one() {
    let (stack, _calls) =
        start_auth(digest_auth(&["192.0.2.0/24"], Duration::from_secs(300))).await;
    let peer = Peer::new(stack.local_addr()).await;
    let invite = peer.invite_to("100", "once-1@test", 1, "");
    peer.send(&invite).await;
    let first = peer.recv().await;
    assert_eq!(first.status(), Some(401), "{first:?}");
    // Not ACKed: nothing more comes on its own (it came back 11 times before).
    peer.silent(Duration::from_millis(2500)).await;
    // A retransmission of the INVITE gets the same 401 again, once.
    peer.send(&invite).await;
    let again = peer.recv().await;
    assert_eq!(again.status(), Some(401), "{again:?}");
    assert_eq!(
        again.header("www-authenticate"),
        first.header("www-authenticate")
    );
    peer.silent(Duration::from_millis(1500)).await;
    stack.shutdown();
}

#[tokio::test]
async fn source_is_locked_out_after_failed_authentications() {
    use faxvox::sip::guard::GuardConfig;
    use faxvox::sip::stack::StackGuard;
    let (stack, mut calls) = SipStack::start(StackConfig {
        auth: Some(digest_auth(&["192.0.2.0/24"], Duration::from_secs(300))),
        guard: Some(StackGuard {
            trusted: vec!["192.0.2.0/24".parse().unwrap()],
            limits: GuardConfig {
                auth_max_failures: 3,
                ..GuardConfig::default()
            },
        }),
        ..StackConfig::default()
    })
    .await
    .expect("stack starts");
    let peer = Peer::new(stack.local_addr()).await;
    let uri = format!("sip:100@{}", stack.local_addr());
    peer.send(&peer.invite_to("100", "lock-1@test", 1, ""))
        .await;
    let mut challenge = peer
        .final_for("lock-1@test", 1)
        .await
        .header("www-authenticate")
        .to_string();
    // Three wrong passwords: three 401s.
    for cseq in 2..5 {
        let auth = authorization(&challenge, "alice", &format!("guess{cseq}"), &uri);
        peer.send(&peer.invite_to("100", "lock-1@test", cseq, &auth))
            .await;
        let resp = peer.final_for("lock-1@test", cseq).await;
        assert_eq!(resp.status(), Some(401), "{resp:?}");
        challenge = resp.header("www-authenticate").to_string();
    }
    // Locked out: even the right password gets no answer at all, and no call.
    let auth = authorization(&challenge, "alice", "s3cret:pass", &uri);
    peer.send(&peer.invite_to("100", "lock-1@test", 5, &auth))
        .await;
    peer.silent(Duration::from_millis(1500)).await;
    peer.send(&peer.options("lock-2@test")).await;
    peer.silent(Duration::from_millis(500)).await;
    assert!(timeout(Duration::from_millis(200), calls.next())
        .await
        .is_err());
    stack.shutdown();
}

#[tokio::test]
async fn transaction_cap_drops_untrusted_requests_but_serves_trusted_ones() {
    use faxvox::sip::guard::GuardConfig;
    use faxvox::sip::stack::StackGuard;
    let (stack, mut calls) = SipStack::start(StackConfig {
        guard: Some(StackGuard {
            trusted: vec!["127.0.0.2/32".parse().unwrap()],
            limits: GuardConfig {
                max_transactions: 1,
                ..GuardConfig::default()
            },
        }),
        ..StackConfig::default()
    })
    .await
    .expect("stack starts");
    // The untrusted source (127.0.0.1): its first INVITE reaches the application, which
    // keeps it unanswered (one transaction in progress).
    let untrusted = Peer::new(stack.local_addr()).await;
    untrusted
        .send(&untrusted.invite_to("100", "cap-1@test", 1, ""))
        .await;
    let held = timeout(WAIT, calls.next()).await.unwrap().unwrap();
    assert_eq!(held.call_id, "cap-1@test");
    assert!(held.unverified);
    // Over the cap: the next untrusted request gets nothing, and no call.
    untrusted
        .send(&untrusted.invite_to("100", "cap-2@test", 1, ""))
        .await;
    untrusted.send(&untrusted.options("cap-3@test")).await;
    untrusted.silent(Duration::from_millis(1000)).await;
    assert!(timeout(Duration::from_millis(200), calls.next())
        .await
        .is_err());
    // A trusted source is still served.
    let trusted = Peer {
        sock: UdpSocket::bind(("127.0.0.2", 0)).await.unwrap(),
        server: stack.local_addr(),
    };
    trusted.send(&trusted.options("cap-4@test")).await;
    assert_eq!(trusted.response().await.status(), Some(200));
    trusted
        .send(&trusted.invite_to("100", "cap-5@test", 1, ""))
        .await;
    let call = timeout(WAIT, calls.next()).await.unwrap().unwrap();
    assert_eq!(call.call_id, "cap-5@test");
    assert!(!call.unverified);
    call.reject(486, "Busy Here").await;
    held.reject(403, "Forbidden").await;
    let resp = untrusted.response().await;
    assert_eq!(resp.status(), Some(403), "{resp:?}");
    stack.shutdown();
}
