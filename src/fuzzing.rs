//! Entry points for the libFuzzer targets in `fuzz/` and for the corpus replay test
//! (`tests/it/fuzz_corpus.rs`): each takes arbitrary bytes and drives one parser that faces the
//! network the way the gateway does, so a crash found by the fuzzer replays in `cargo test`.
//! Each must never panic, whatever the input; the few invariants checked here (our own SDP
//! answers parse again) are asserted so the fuzzer reports them too.
//!
//! Multi-packet inputs use one framing: records of `[gap: u8][len: u16 little-endian][bytes]`,
//! where `gap` is the number of 20 ms ticks before the packet (see [`records`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rsipstack::dialog::DialogId;
use rsipstack::sip::prelude::{HeadersExt, ToTypedHeader};
use rsipstack::sip::{Header, SipMessage, Transport as SipTransport, Uri};
use rsipstack::transaction::key::TransactionRole;
use rsipstack::transport::SipConnection;

use crate::fax::{FaxOptions, FaxSession, T38Options, Transport};
use crate::media::dtmf::DtmfReceiver;
use crate::media::reorder::{ReorderBuffer, ReorderConfig};
use crate::media::rtp::{RtpPacket, PT_PCMA, PT_PCMU};
use crate::media::udptl::UdptlReceiver;
use crate::media::MediaConfig;
use crate::sip::digest::{parse_credentials, DigestAuth, DigestServer};
use crate::sip::sdp::{AnswerPolicy, LocalMedia, SdpSession, SessionDescription};
use crate::sip::stack::privacy_withholds_identity;

/// The 20 ms tick the media path runs on.
const TICK: Duration = Duration::from_millis(20);

/// Splits `data` into `(ticks before, packet)` records: `[gap: u8][len: u16 LE][len bytes]`,
/// the last record taking what is left when it is short. Packets are capped at 1 500 bytes.
pub fn records(mut data: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while data.len() >= 3 {
        let gap = data[0];
        let len = (usize::from(u16::from_le_bytes([data[1], data[2]])) % 1501).min(data.len() - 3);
        out.push((gap, &data[3..3 + len]));
        data = &data[3 + len..];
    }
    out
}

/// Encodes packets in the [`records`] framing (for seed corpora).
pub fn encode_records<'a>(packets: impl IntoIterator<Item = (u8, &'a [u8])>) -> Vec<u8> {
    let mut out = Vec::new();
    for (gap, p) in packets {
        out.push(gap);
        out.extend_from_slice(&(p.len() as u16).to_le_bytes());
        out.extend_from_slice(p);
    }
    out
}

/// A UDP datagram on the SIP port, as rsipstack's UDP transport takes it (keepalives and
/// blank datagrams skipped, parse, `received`/`rport` added to the top Via), then what our
/// glue reads from a request (dialog id, From, To, display name, Privacy, Authorization
/// checked by the digest server, the SDP body answered) or a response (dialog id, the Via it
/// would be sent back on).
pub fn sip_datagram(data: &[u8]) {
    if data == b"\r\n\r\n" || data == b"\r\n" || data.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let Ok(msg) = SipMessage::try_from(data) else {
        return;
    };
    let source = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)), 5062);
    let Ok(msg) = SipConnection::update_msg_received(msg, source, SipTransport::Udp) else {
        return;
    };
    let _ = msg.to_bytes();
    let _ = SipConnection::get_destination(&msg);
    match msg {
        SipMessage::Request(req) => {
            let _ = DialogId::try_from((&req, TransactionRole::Server));
            let _ = req.call_id_header().map(|c| c.value().to_string());
            let _ = req.cseq_header().map(|c| c.seq());
            let user = |uri: &Uri| uri.auth.as_ref().map(|a| a.user.clone());
            let _ = user(&req.uri);
            // The caller as the gateway takes it apart for facts, emails and records.
            if let Ok(from) = req.from_header() {
                let _ = crate::sip::caller_id::caller_identity(from.value());
            }
            if let Ok(from) = req.from_header().and_then(|h| h.typed()) {
                let _ = user(&from.uri);
                let _ = from
                    .display_name
                    .map(|d| d.trim().trim_matches('"').to_string());
            }
            if let Ok(to) = req.to_header().and_then(|h| h.typed()) {
                let _ = user(&to.uri);
            }
            let mut authorizations = Vec::new();
            for h in req.headers.iter() {
                if h.name().eq_ignore_ascii_case("privacy") {
                    let _ = privacy_withholds_identity(h.value());
                }
                if let Header::Authorization(v) = h {
                    authorizations.push(v.value().to_string());
                }
            }
            if !authorizations.is_empty() {
                let values: Vec<&str> = authorizations.iter().map(String::as_str).collect();
                let uri = req.uri.to_string();
                let _ = digest_server().verify(SystemTime::now(), "INVITE", &uri, &values);
            }
            if !req.body.is_empty() {
                sdp_offer(&req.body);
            }
        }
        SipMessage::Response(resp) => {
            let _ = DialogId::try_from((&resp, TransactionRole::Client));
            let _ = resp.cseq_header().map(|c| c.seq());
            if let Ok(via) = resp.via_header() {
                let _ = SipConnection::parse_target_from_via(via);
            }
        }
    }
}

/// Our local media, as the gateway builds it for a call.
fn local_media() -> LocalMedia {
    LocalMedia::new(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        40_000,
        40_002,
        1_000,
        &MediaConfig::default(),
    )
}

/// Checks that an SDP we produced parses again with our own parser.
fn reparses(sdp: &str, what: &str) {
    if let Err(e) = SessionDescription::parse(sdp.as_bytes()) {
        panic!("our {what} does not parse: {e}\n{sdp}");
    }
}

/// A peer's SDP through our offer/answer layer: parsed, answered as an initial INVITE (T.38
/// allowed and not), answered again as a re-INVITE, and taken as the answer to our T.38 and
/// audio offers. Our answers and offers must parse again.
pub fn sdp_offer(data: &[u8]) {
    let Ok(offer) = SessionDescription::parse(data) else {
        return;
    };
    for m in &offer.media {
        let _ = m.remote_addr();
        let _ = m.is_udptl_t38();
    }
    let policies = [
        AnswerPolicy::default(),
        AnswerPolicy {
            t38: false,
            ..AnswerPolicy::default()
        },
        AnswerPolicy {
            t38_in_initial_offer: false,
            audio_with_t38: false,
            ..AnswerPolicy::default()
        },
    ];
    for policy in &policies {
        let mut session = SdpSession::new(local_media());
        let Ok(answer) = session.answer(&offer, policy) else {
            continue;
        };
        reparses(&answer.sdp, "answer");
        // The same offer again as a re-INVITE.
        if let Ok(again) = session.answer(&offer, policy) {
            reparses(&again.sdp, "answer to a re-INVITE");
        }
        // Our T.38 re-INVITE, answered with the peer's SDP.
        let ours = session.offer_t38();
        reparses(&ours.sdp, "T.38 offer");
        let _ = session.receive_answer(&offer);
        let ours = session.offer_current();
        reparses(&ours.sdp, "offer of the current session");
        let _ = session.receive_answer(&offer);
    }
    // Our outbound INVITE (audio and T.38), answered with the peer's SDP.
    let mut session = SdpSession::new(local_media());
    let ours = session.offer_audio_and_t38();
    reparses(&ours.sdp, "outbound offer");
    if session.receive_answer(&offer).is_ok() {
        let back = session.offer_audio();
        reparses(&back.sdp, "offer back to audio");
    }
}

/// The digest server the SIP targets check `Authorization` values against.
fn digest_server() -> &'static DigestServer {
    static SERVER: OnceLock<DigestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        DigestServer::new(DigestAuth {
            realm: "faxvox".into(),
            users: [("alice".to_string(), "secret".to_string())].into(),
            trusted: Vec::new(),
            nonce_ttl: Duration::from_secs(300),
        })
    })
}

/// `Authorization` header values (one per line) through the digest server, at a fixed time.
/// `NONCE` in the input is replaced by a nonce the server issued, `OLDNONCE` by an expired one,
/// so the fuzzer reaches the checks behind the nonce.
pub fn digest_authorization(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let server = digest_server();
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let fresh = server.nonce(now);
    let old = server.nonce(now - Duration::from_secs(3_600));
    let text = text.replace("OLDNONCE", &old).replace("NONCE", &fresh);
    let values: Vec<&str> = text.split('\n').collect();
    // The Request-URI the credentials name (so the checks behind the `uri` comparison are
    // reached), and another one.
    let mut uri = String::from("sip:+33123456789@127.0.0.1");
    for v in &values {
        if let Some(c) = parse_credentials(v) {
            if let Some(u) = c.get("uri") {
                uri.clone_from(u);
            }
        }
    }
    let _ = server.verify(now, "INVITE", &uri, &values);
    let _ = server.verify(now, "INVITE", &uri, &values);
    let _ = server.verify(now, "INVITE", "sip:other@127.0.0.1", &values);
    for v in &values {
        let _ = privacy_withholds_identity(v);
    }
}

/// RTP datagrams on a call's audio port ([`records`] framing), as the media task takes them:
/// parsed, G.711 into the reorder buffer (one frame pulled per tick), telephone-event
/// (payload type 101) into the RFC 4733 receiver, polled every tick.
pub fn rtp_packets(data: &[u8]) {
    let mut reorder = ReorderBuffer::new(ReorderConfig::default());
    let mut dtmf = DtmfReceiver::new(101);
    let mut now = Duration::ZERO;
    for (gap, datagram) in records(data) {
        for _ in 0..gap.min(50) {
            now += TICK;
            let _ = reorder.pop_frame();
            let _ = dtmf.poll(now);
        }
        let Ok(p) = RtpPacket::parse(datagram) else {
            continue;
        };
        let _ = p.law();
        match p.payload_type {
            PT_PCMU | PT_PCMA => {
                let _ = reorder.push(p.sequence, p.timestamp, p.payload.to_vec());
            }
            _ => {
                let _ = dtmf.receive_rtp(&p, now);
            }
        }
    }
}

/// A scratch folder for the received TIFFs of [`udptl_t38`].
fn scratch_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("faxvox-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch folder for the fuzz target");
        dir
    })
}

/// UDPTL datagrams on a call's T.38 port ([`records`] framing) reaching a receiving T.38 fax
/// session (spandsp's T.38 terminal), as the media task feeds it: each datagram into the UDPTL
/// receiver, every IFP it releases into the session, the session ticked between packets.
/// Returns the pages received (so the corpus test can tell its seeds reach the end of a fax).
pub fn udptl_t38(data: &[u8]) -> u32 {
    let opts = FaxOptions::new("fuzz", Transport::T38(T38Options::default()));
    let Ok(mut fax) = FaxSession::receive(opts, scratch_dir()) else {
        return 0;
    };
    let mut rx = UdptlReceiver::new();
    let mut now = Duration::ZERO;
    // At most five minutes of fax time per input, so one input stays fast.
    let mut ticks_left = 15_000u32;
    for (gap, datagram) in records(data) {
        for _ in 0..u32::from(gap).min(ticks_left) {
            ticks_left -= 1;
            now += TICK;
            fax.on_tick(now);
            while fax.poll_ifp().is_some() {}
        }
        if rx.receive(datagram).is_err() {
            continue;
        }
        while let Some((seq, ifp)) = rx.poll_ifp() {
            fax.on_ifp(now, seq, &ifp);
        }
        while fax.poll_ifp().is_some() {}
        while fax.poll_event().is_some() {}
    }
    fax.hangup(now);
    while fax.poll_event().is_some() {}
    let _ = std::fs::remove_file(fax.tiff_path());
    fax.report().map_or(0, |r| r.pages)
}

/// Bytes from an SMTP client into the email-to-fax session ([`crate::mail_in::smtp`]), fed in
/// pieces as a connection may deliver them. The decisions the listener takes (sender,
/// recipient, message) are yes or no by the parity of the input's length, so both paths run;
/// a STARTTLS that was granted is completed. The session must never panic, never hold more
/// than its limits allow, and end when it says it closes.
pub fn smtp_session(data: &[u8]) {
    use crate::mail_in::smtp::{Event, Limits, Reply, Session, SessionConfig};
    let limits = Limits {
        max_message_bytes: 4096,
        ..Limits::default()
    };
    let mut session = Session::new(SessionConfig {
        hostname: "fax.example".into(),
        tls_available: data.first().is_some_and(|b| b & 1 == 1),
        limits,
    });
    let yes = data.len().is_multiple_of(2);
    let mut closed = false;
    let mut chunks = data.chunks(97).peekable();
    loop {
        while let Some(event) = session.poll() {
            match event {
                Event::Send(bytes) => {
                    assert!(bytes.ends_with(b"\r\n"), "a reply ends with CRLF");
                }
                Event::Mail { .. } | Event::Rcpt { .. } => session.answer(if yes {
                    Reply::new(250, "2.1.0 ok")
                } else {
                    Reply::new(550, "5.7.1 no")
                }),
                // Refused when the input's length is a multiple of 3: the busy path too.
                Event::Data => session.answer(if !data.len().is_multiple_of(3) {
                    Session::go_ahead()
                } else {
                    Reply::new(451, "4.3.2 busy")
                }),
                Event::Message(m) => {
                    assert!(
                        m.len() <= limits.max_message_bytes,
                        "message over the limit"
                    );
                    session.answer(Reply::new(250, "2.0.0 queued"));
                }
                Event::StartTls => session.tls_started(),
                Event::Close => closed = true,
            }
        }
        match chunks.next() {
            Some(chunk) if !closed => session.feed(chunk),
            _ => break,
        }
    }
    assert!(session.recipients().len() <= limits.max_recipients);
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        /// Any bytes, from a client speaking SMTP with garbage mixed in: the session never
        /// panics, every reply ends with CRLF and no message exceeds the limit
        /// (`super::smtp_session`, the fuzz target's entry point).
        #[test]
        fn any_input_is_answered_without_panic(
            commands in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(b"EHLO c\r\n".to_vec()),
                    proptest::strategy::Just(b"MAIL FROM:<a@b> SIZE=10\r\n".to_vec()),
                    proptest::strategy::Just(b"RCPT TO:<1@x>\r\n".to_vec()),
                    proptest::strategy::Just(b"DATA\r\n".to_vec()),
                    proptest::strategy::Just(b".\r\n".to_vec()),
                    proptest::strategy::Just(b"STARTTLS\r\n".to_vec()),
                    proptest::collection::vec(proptest::num::u8::ANY, 0..300),
                ],
                0..40,
            )
        ) {
            super::smtp_session(&commands.concat());
        }
    }
}
