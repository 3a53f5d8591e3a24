//! The rsipstack glue (`faxvox::sip::stack`) on real loopback sockets: a raw-SIP client over
//! UDP/TCP against one stack (OPTIONS, rejection, a full call with our T.38 re-INVITE and the
//! peer's BYE, garbage datagrams), and two stacks calling each other (UAC side, the callee's
//! re-INVITE reaching the caller, BYE).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use faxvox::config::MediaConfig;
use faxvox::sip::call::{Action, Call, CallConfig, LineKind, Reason, ServerTxn};
use faxvox::sip::sdp::LocalMedia;
use faxvox::sip::stack::{
    feed, IncomingCalls, LegEvent, OutgoingInvite, SipLeg, SipStack, StackConfig, StackError,
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
    call.answer(now(), local(40000), LineKind::Fax).unwrap();
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
    call.answer(now(), local(40010), LineKind::Voice).unwrap();
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
        .make_offer(now(), local(41000), LineKind::Fax)
        .unwrap();
    let out = OutgoingInvite {
        to: format!("sip:4930555@{}", gateway.local_addr()),
        from_user: "+4930123".into(),
        from_display: Some("Fax Sender".into()),
        sdp: offer,
        transport_tcp: false,
        call_id: Some(call_id.clone()),
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
    gw.answer(now(), local(40020), LineKind::Fax).unwrap();
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
    assert!(gw.is_terminated());
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
