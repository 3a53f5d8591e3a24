//! SDP offer/answer against real-world offers (Asterisk, FreeSWITCH, Cisco, SIPp), written
//! inline. Answers are compared line by line, so any change to what we put on the wire shows.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use faxvox::media::udptl::EcMode;
use faxvox::media::MediaConfig;
use faxvox::sip::sdp::{
    AnswerPolicy, Direction, LocalMedia, MediaKind, NegotiationError, SdpSession,
    SessionDescription,
};
use faxvox_codecs::g711::Law;

use crate::support::sdp_samples;
use sdp_samples::{ASTERISK_BACK_TO_AUDIO, ASTERISK_OFFER, ASTERISK_T38_REINVITE};

const LOCAL_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 5));

fn local() -> LocalMedia {
    LocalMedia::new(LOCAL_IP, 40000, 40002, 4242, &MediaConfig::default())
}

fn session() -> SdpSession {
    SdpSession::new(local())
}

/// Test SDPs are written with `\n`; SIP carries `\r\n`.
fn crlf(s: &str) -> String {
    s.replace('\n', "\r\n")
}

fn parse(s: &str) -> SessionDescription {
    SessionDescription::parse(crlf(s).as_bytes()).expect("sample SDP parses")
}

fn m_lines(sdp: &str) -> Vec<&str> {
    sdp.lines().filter(|l| l.starts_with("m=")).collect()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const FREESWITCH_OFFER: &str = "v=0
o=FreeSWITCH 1716380000 1716380001 IN IP4 198.51.100.7
s=FreeSWITCH
c=IN IP4 198.51.100.7
t=0 0
m=audio 16384 RTP/AVP 8 0 96
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:96 telephone-event/8000
a=fmtp:96 0-16
a=ptime:20
a=sendrecv
a=rtcp:16385 IN IP4 198.51.100.7
";

/// FreeSWITCH/Cisco style: the image stream replaces the audio one in place.
const FREESWITCH_T38_IMAGE_ONLY: &str = "v=0
o=FreeSWITCH 1716380000 1716380002 IN IP4 198.51.100.7
s=FreeSWITCH
c=IN IP4 198.51.100.7
t=0 0
m=image 16386 udptl t38
a=T38FaxVersion:0
a=T38MaxBitRate:14400
a=T38FaxFillBitRemoval
a=T38FaxRateManagement:transferredTCF
a=T38FaxMaxBuffer:2000
a=T38FaxMaxDatagram:400
a=T38FaxUdpEC:t38UDPRedundancy
";

const CISCO_OFFER: &str = "v=0
o=CiscoSystemsSIP-GW-UserAgent 4045 1989 IN IP4 10.1.1.1
s=SIP Call
c=IN IP4 10.1.1.1
t=0 0
m=audio 17008 RTP/AVP 18 0 8 101 19
c=IN IP4 10.1.1.1
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=rtpmap:19 CN/8000
a=ptime:20
";

const SIPP_OFFER: &str = "v=0
o=user1 53655765 2353687637 IN IP4 127.0.1.1
s=-
c=IN IP4 127.0.1.1
t=0 0
m=audio 6000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
";

#[test]
fn asterisk_initial_offer_exact_answer() {
    let mut s = session();
    let answer = s
        .answer(&parse(ASTERISK_OFFER), &AnswerPolicy::default())
        .unwrap();
    assert_eq!(
        answer.sdp,
        crlf(
            "v=0
o=faxvox 4242 4242 IN IP4 203.0.113.5
s=faxvox
c=IN IP4 203.0.113.5
t=0 0
m=audio 40000 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=silenceSupp:off - - - -
a=sendrecv
"
        )
    );
    let audio = answer.media.audio.unwrap();
    assert_eq!(audio.remote, addr("192.0.2.10:10000"));
    assert_eq!((audio.law, audio.payload_type), (Law::Ulaw, 0));
    let te = audio.telephone_event.unwrap();
    assert_eq!((te.payload_type, te.receive_payload_type), (101, 101));
    assert_eq!(te.events, "0-16");
    assert_eq!(audio.remote_ptime, Some(20));
    assert!(answer.media.t38.is_none());
}

#[test]
fn freeswitch_offer_pcma_first_and_pt_96_mirrored() {
    let mut s = session();
    let answer = s
        .answer(&parse(FREESWITCH_OFFER), &AnswerPolicy::default())
        .unwrap();
    assert_eq!(m_lines(&answer.sdp), ["m=audio 40000 RTP/AVP 8 96"]);
    assert!(answer.sdp.contains("a=rtpmap:8 PCMA/8000\r\n"));
    assert!(answer
        .sdp
        .contains("a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16\r\n"));
    assert!(!answer.sdp.contains("101"), "never a hard-coded 101");
    let audio = answer.media.audio.unwrap();
    assert_eq!(audio.law, Law::Alaw);
    assert_eq!(audio.telephone_event.unwrap().payload_type, 96);
}

#[test]
fn cisco_offer_skips_g729_and_cn() {
    let mut s = session();
    let answer = s
        .answer(&parse(CISCO_OFFER), &AnswerPolicy::default())
        .unwrap();
    assert_eq!(m_lines(&answer.sdp), ["m=audio 40000 RTP/AVP 0 101"]);
    assert!(answer.sdp.contains("a=fmtp:101 0-15\r\n"));
    assert!(!answer.sdp.contains("CN/8000") && !answer.sdp.contains("G729"));
    let audio = answer.media.audio.unwrap();
    assert_eq!(audio.remote, addr("10.1.1.1:17008"));
    assert_eq!(audio.law, Law::Ulaw);
}

#[test]
fn sipp_offer_without_telephone_event() {
    let mut s = session();
    let answer = s
        .answer(&parse(SIPP_OFFER), &AnswerPolicy::default())
        .unwrap();
    assert_eq!(m_lines(&answer.sdp), ["m=audio 40000 RTP/AVP 0"]);
    assert!(!answer.sdp.contains("telephone-event"));
    assert!(answer.media.audio.unwrap().telephone_event.is_none());
}

#[test]
fn asterisk_t38_reinvite_then_back_to_audio() {
    let mut s = session();
    let policy = AnswerPolicy::default();
    s.answer(&parse(ASTERISK_OFFER), &policy).unwrap();
    assert_eq!(s.version(), 4242);

    let t38 = s.answer(&parse(ASTERISK_T38_REINVITE), &policy).unwrap();
    assert_eq!(
        t38.sdp,
        crlf(
            "v=0
o=faxvox 4242 4243 IN IP4 203.0.113.5
s=faxvox
c=IN IP4 203.0.113.5
t=0 0
m=audio 0 RTP/AVP 0 8 101
m=image 40002 udptl t38
a=T38FaxVersion:0
a=T38MaxBitRate:14400
a=T38FaxRateManagement:transferredTCF
a=T38FaxMaxDatagram:400
a=T38FaxUdpEC:t38UDPRedundancy
"
        )
    );
    assert!(t38.media.audio.is_none());
    let n = t38.media.t38.unwrap();
    assert_eq!(n.remote, addr("192.0.2.10:4000"));
    assert_eq!(n.params.ec_mode, EcMode::Redundancy);
    assert_eq!(n.params.far_max_datagram, 400);

    // A session refresh re-sending the same offer mid-fax keeps T.38 and the same version.
    let refresh = s.answer(&parse(ASTERISK_T38_REINVITE), &policy).unwrap();
    assert_eq!(refresh.sdp, t38.sdp);
    assert_eq!(s.version(), 4243);

    let back = s.answer(&parse(ASTERISK_BACK_TO_AUDIO), &policy).unwrap();
    assert_eq!(
        m_lines(&back.sdp),
        ["m=audio 40000 RTP/AVP 0 101", "m=image 0 udptl t38"]
    );
    assert!(back.sdp.contains("o=faxvox 4242 4244 "));
    assert!(back.media.t38.is_none());
    assert_eq!(back.media.audio.unwrap().law, Law::Ulaw);
}

#[test]
fn image_only_reinvite_and_upper_case_udptl() {
    let mut s = session();
    let policy = AnswerPolicy::default();
    s.answer(&parse(FREESWITCH_OFFER), &policy).unwrap();
    let t38 = s
        .answer(&parse(FREESWITCH_T38_IMAGE_ONLY), &policy)
        .unwrap();
    assert_eq!(m_lines(&t38.sdp), ["m=image 40002 udptl t38"]);
    assert!(
        !t38.sdp.contains("FillBitRemoval"),
        "offered, but we do not support it: not asserted"
    );
    assert_eq!(t38.media.t38.unwrap().remote, addr("198.51.100.7:16386"));

    let upper = "v=0
o=gw 1 2 IN IP4 192.0.2.20
s=-
c=IN IP4 192.0.2.20
t=0 0
m=audio 0 RTP/AVP 0 8 101
m=image 4002 UDPTL t38
a=T38FaxVersion:0
a=T38MaxBitRate:14400
a=T38FaxMaxDatagram:272
a=T38FaxUdpEC:t38UDPRedundancy
";
    let mut s = session();
    s.answer(&parse(SIPP_OFFER), &policy).unwrap();
    let ans = s.answer(&parse(upper), &policy).unwrap();
    assert_eq!(
        m_lines(&ans.sdp),
        ["m=audio 0 RTP/AVP 0 8 101", "m=image 40002 udptl t38"]
    );
    assert_eq!(ans.media.t38.unwrap().params.far_max_datagram, 272);
}

const AUDIO_PLUS_IMAGE_INITIAL: &str = "v=0
o=gw 10 10 IN IP4 192.0.2.30
s=-
c=IN IP4 192.0.2.30
t=0 0
m=audio 20000 RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
m=image 20002 udptl t38
a=T38FaxVersion:0
a=T38MaxBitRate:14400
a=T38FaxRateManagement:transferredTCF
a=T38FaxMaxDatagram:400
a=T38FaxUdpEC:t38UDPRedundancy
";

#[test]
fn audio_plus_image_in_initial_offer_follows_policy() {
    let offer = parse(AUDIO_PLUS_IMAGE_INITIAL);

    let both = session().answer(&offer, &AnswerPolicy::default()).unwrap();
    assert_eq!(
        m_lines(&both.sdp),
        ["m=audio 40000 RTP/AVP 8 101", "m=image 40002 udptl t38"]
    );
    assert!(both.media.audio.is_some() && both.media.t38.is_some());

    let no_initial = AnswerPolicy {
        t38_in_initial_offer: false,
        ..AnswerPolicy::default()
    };
    let audio_only = session().answer(&offer, &no_initial).unwrap();
    assert_eq!(
        m_lines(&audio_only.sdp),
        ["m=audio 40000 RTP/AVP 8 101", "m=image 0 udptl t38"]
    );
    assert!(audio_only.media.t38.is_none());

    let t38_only = AnswerPolicy {
        audio_with_t38: false,
        ..AnswerPolicy::default()
    };
    let image = session().answer(&offer, &t38_only).unwrap();
    assert_eq!(
        m_lines(&image.sdp),
        ["m=audio 0 RTP/AVP 8 101", "m=image 40002 udptl t38"]
    );
    assert!(image.media.audio.is_none());
}

#[test]
fn t38_disabled_trunk_rejects_image_and_keeps_audio() {
    let policy = AnswerPolicy {
        t38: false,
        ..AnswerPolicy::default()
    };
    let mut s = session();
    let first = s.answer(&parse(ASTERISK_OFFER), &policy).unwrap();
    let err = s
        .answer(&parse(ASTERISK_T38_REINVITE), &policy)
        .unwrap_err();
    assert_eq!(err, NegotiationError::NoAcceptableMedia);
    assert_eq!(err.sip_status(), Some(488));
    // The 488 left the audio session in force, and the next re-INVITE gets a full answer.
    assert_eq!(s.current(), Some(&first.media));
    assert_eq!(s.m_line_count(), 1);
    let again = s.answer(&parse(ASTERISK_OFFER), &policy).unwrap();
    assert_eq!(
        again.sdp, first.sdp,
        "unchanged session: same SDP and version"
    );
}

#[test]
fn lf_only_missing_s_and_t_and_media_level_c() {
    let sdp = "v=0\no=- 1 1 IN IP4 192.0.2.1\nm=audio 5004 RTP/AVP 8\nc=IN IP4 192.0.2.99\na=rtpmap:8 PCMA/8000\n";
    let offer = SessionDescription::parse(sdp.as_bytes()).unwrap();
    assert_eq!(offer.connection, None);
    assert_eq!(
        offer.media[0].connection,
        Some("192.0.2.99".parse().unwrap())
    );
    let ans = session().answer(&offer, &AnswerPolicy::default()).unwrap();
    assert_eq!(ans.media.audio.unwrap().remote, addr("192.0.2.99:5004"));
    assert!(ans.sdp.contains("\r\ns=faxvox\r\n") && ans.sdp.contains("\r\nt=0 0\r\n"));

    // Media-level c= overrides the session-level one.
    let both = "v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
m=image 4000 udptl t38
c=IN IP4 192.0.2.77
a=T38FaxVersion:0
";
    let offer = parse(both);
    assert_eq!(
        offer.media[0].connection,
        Some("192.0.2.77".parse().unwrap())
    );
    assert_eq!(offer.media[0].kind, MediaKind::Image);
    assert!(offer.media[0].is_udptl_t38());
}

#[test]
fn rejects_other_streams_with_port_zero_keeping_order() {
    let offer = "v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
m=video 30000 RTP/AVP 31 34
a=rtpmap:31 H261/90000
m=audio 30002 RTP/SAVP 0
m=audio 30004 RTP/AVP 18 8 0
a=rtpmap:18 G729/8000
m=audio 30006 RTP/AVP 0
m=text 30008 RTP/AVP 98
m=image 0 udptl t38
";
    let ans = session()
        .answer(&parse(offer), &AnswerPolicy::default())
        .unwrap();
    assert_eq!(
        m_lines(&ans.sdp),
        [
            "m=video 0 RTP/AVP 31 34",
            "m=audio 0 RTP/SAVP 0",
            "m=audio 40000 RTP/AVP 8",
            "m=audio 0 RTP/AVP 0",
            "m=text 0 RTP/AVP 98",
            "m=image 0 udptl t38",
        ]
    );
    assert_eq!(ans.media.audio.unwrap().remote, addr("192.0.2.1:30004"));
}

#[test]
fn direction_is_mirrored_and_session_level_direction_applies() {
    let offer = "v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
a=sendonly
m=audio 30000 RTP/AVP 8
";
    let offer = parse(offer);
    assert_eq!(offer.media[0].direction, Direction::SendOnly);
    let ans = session().answer(&offer, &AnswerPolicy::default()).unwrap();
    assert!(ans.sdp.contains("a=recvonly\r\n"));
    assert_eq!(ans.media.audio.unwrap().direction, Direction::RecvOnly);
}

#[test]
fn no_acceptable_media_is_488() {
    let g729_only = "v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
m=audio 30000 RTP/AVP 18
a=rtpmap:18 G729/8000
";
    let err = session()
        .answer(&parse(g729_only), &AnswerPolicy::default())
        .unwrap_err();
    assert_eq!(err.sip_status(), Some(488));

    // Dynamic PT with an rtpmap naming PCMA is fine; static 8 renamed to something else is not.
    let dynamic = "v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
m=audio 30000 RTP/AVP 8 97
a=rtpmap:8 L16/8000
a=rtpmap:97 pcma/8000
";
    let ans = session()
        .answer(&parse(dynamic), &AnswerPolicy::default())
        .unwrap();
    assert_eq!(m_lines(&ans.sdp), ["m=audio 40000 RTP/AVP 97"]);
    assert!(ans.sdp.contains("a=rtpmap:97 PCMA/8000"));

    let no_initial_t38 = AnswerPolicy {
        t38_in_initial_offer: false,
        ..AnswerPolicy::default()
    };
    let err = session()
        .answer(&parse(FREESWITCH_T38_IMAGE_ONLY), &no_initial_t38)
        .unwrap_err();
    assert_eq!(err, NegotiationError::NoAcceptableMedia);

    let none = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\n";
    let err = session()
        .answer(&parse(none), &AnswerPolicy::default())
        .unwrap_err();
    assert_eq!(err, NegotiationError::NoAcceptableMedia);
}

#[test]
fn removing_m_lines_in_a_reinvite_is_488() {
    let mut s = session();
    let policy = AnswerPolicy::default();
    s.answer(&parse(ASTERISK_OFFER), &policy).unwrap();
    s.answer(&parse(ASTERISK_T38_REINVITE), &policy).unwrap();
    // Asterisk #824: back to audio with the image m-line dropped.
    let err = s.answer(&parse(ASTERISK_OFFER), &policy).unwrap_err();
    assert_eq!(
        err,
        NegotiationError::MLineCountDecreased {
            session: 2,
            offered: 1
        }
    );
    assert_eq!(err.sip_status(), Some(488));
    assert!(s.current().unwrap().t38.is_some(), "T.38 stays in force");
}

#[test]
fn outbound_g711_offer_and_answer() {
    let mut s = session();
    let offer = s.offer_audio();
    assert_eq!(
        offer.sdp,
        crlf(
            "v=0
o=faxvox 4242 4242 IN IP4 203.0.113.5
s=faxvox
c=IN IP4 203.0.113.5
t=0 0
m=audio 40000 RTP/AVP 8 0 101
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=silenceSupp:off - - - -
a=sendrecv
"
        )
    );
    // The callee picks PCMU and puts telephone-event on its own payload type.
    let answer = "v=0
o=callee 7 7 IN IP4 192.0.2.50
s=-
c=IN IP4 192.0.2.50
t=0 0
m=audio 50000 RTP/AVP 0 96
a=rtpmap:0 PCMU/8000
a=rtpmap:96 telephone-event/8000
a=fmtp:96 0-15
";
    let media = s.receive_answer(&parse(answer)).unwrap();
    let audio = media.audio.unwrap();
    assert_eq!(audio.remote, addr("192.0.2.50:50000"));
    assert_eq!(
        (audio.law, audio.payload_type, audio.receive_payload_type),
        (Law::Ulaw, 0, 0)
    );
    let te = audio.telephone_event.unwrap();
    assert_eq!((te.payload_type, te.receive_payload_type), (96, 101));
    assert_eq!(te.events, "0-15");
    assert!(!s.has_pending_offer());
}

#[test]
fn our_t38_reinvite_offer_keeps_audio_m_line_and_returns() {
    let mut s = session();
    let policy = AnswerPolicy::default();
    s.answer(&parse(ASTERISK_OFFER), &policy).unwrap();

    let offer = s.offer_t38();
    assert_eq!(
        offer.sdp,
        crlf(
            "v=0
o=faxvox 4242 4243 IN IP4 203.0.113.5
s=faxvox
c=IN IP4 203.0.113.5
t=0 0
m=audio 0 RTP/AVP 0 101
m=image 40002 udptl t38
a=T38FaxVersion:0
a=T38MaxBitRate:14400
a=T38FaxRateManagement:transferredTCF
a=T38FaxMaxDatagram:400
a=T38FaxUdpEC:t38UDPRedundancy
"
        )
    );
    // Glare: the peer's offer while ours is pending gets 491.
    let glare = s
        .answer(&parse(ASTERISK_T38_REINVITE), &policy)
        .unwrap_err();
    assert_eq!(glare.sip_status(), Some(491));

    let answer = "v=0
o=- 1716395425 1716395426 IN IP4 192.0.2.10
s=Asterisk
c=IN IP4 192.0.2.10
t=0 0
m=audio 0 RTP/AVP 0
m=image 4000 udptl t38
a=T38FaxVersion:0
a=T38MaxBitRate:14400
a=T38FaxRateManagement:transferredTCF
a=T38FaxMaxDatagram:1400
a=T38FaxUdpEC:t38UDPFEC
";
    let media = s.receive_answer(&parse(answer)).unwrap();
    assert!(media.audio.is_none());
    let t38 = media.t38.unwrap();
    assert_eq!(t38.remote, addr("192.0.2.10:4000"));
    assert_eq!(
        t38.params.ec_mode,
        EcMode::Redundancy,
        "we offered redundancy"
    );
    assert_eq!(t38.params.far_max_datagram, 1400);
    assert_eq!(s.m_line_count(), 2);

    let back = s.offer_audio();
    assert_eq!(
        m_lines(&back.sdp),
        ["m=audio 40000 RTP/AVP 8 0 101", "m=image 0 udptl t38"]
    );
    assert!(back.sdp.contains("o=faxvox 4242 4244 "));
}

#[test]
fn failed_t38_reinvite_keeps_audio() {
    let mut s = session();
    let first = s
        .answer(&parse(FREESWITCH_OFFER), &AnswerPolicy::default())
        .unwrap();
    let offer = s.offer_t38();
    assert_eq!(
        m_lines(&offer.sdp),
        ["m=audio 0 RTP/AVP 8 96", "m=image 40002 udptl t38"]
    );
    // 488 from the peer.
    s.cancel_offer();
    assert_eq!(s.current(), Some(&first.media));
    // The next re-INVITE without SDP re-offers the audio session; the version moves past the
    // rejected offer's because the content differs from what we sent last.
    let reoffer = s.offer_current();
    assert_eq!(m_lines(&reoffer.sdp), ["m=audio 40000 RTP/AVP 8 96"]);
    assert!(reoffer.sdp.contains("o=faxvox 4242 4244 "));
}

#[test]
fn reinvite_without_sdp_offers_current_session() {
    let mut s = session();
    let policy = AnswerPolicy::default();
    let first = s.answer(&parse(FREESWITCH_OFFER), &policy).unwrap();

    // Audio session: same SDP as our answer, same version.
    let offer = s.offer_current();
    assert_eq!(offer.sdp, first.sdp);
    s.receive_answer(&parse(FREESWITCH_OFFER)).unwrap();

    // T.38 session (session refresh mid-fax): the image stream is re-offered as it is.
    let t38 = s
        .answer(&parse(FREESWITCH_T38_IMAGE_ONLY), &policy)
        .unwrap();
    let offer = s.offer_current();
    assert_eq!(offer.sdp, t38.sdp);
    assert_eq!(m_lines(&offer.sdp), ["m=image 40002 udptl t38"]);
    let media = s.receive_answer(&parse(FREESWITCH_T38_IMAGE_ONLY)).unwrap();
    assert!(media.t38.is_some());

    // Before anything was negotiated (INVITE without SDP): our G.711 offer.
    let mut fresh = session();
    assert_eq!(
        m_lines(&fresh.offer_current().sdp),
        ["m=audio 40000 RTP/AVP 8 0 101"]
    );
}

#[test]
fn answer_to_our_offer_with_wrong_m_line_count() {
    let mut s = session();
    s.answer(&parse(ASTERISK_OFFER), &AnswerPolicy::default())
        .unwrap();
    s.offer_t38();
    let err = s.receive_answer(&parse(ASTERISK_OFFER)).unwrap_err();
    assert_eq!(
        err,
        NegotiationError::AnswerMismatch {
            offered: 2,
            answered: 1
        }
    );
    assert_eq!(err.sip_status(), None);
    assert!(s.current().unwrap().audio.is_some());
    assert_eq!(
        s.receive_answer(&parse(ASTERISK_OFFER)).unwrap_err(),
        NegotiationError::NoOfferPending
    );
}

#[test]
fn answer_rejecting_everything_is_empty_media() {
    let mut s = session();
    s.answer(&parse(SIPP_OFFER), &AnswerPolicy::default())
        .unwrap();
    s.offer_t38();
    let rejected = "v=0
o=- 1 2 IN IP4 127.0.1.1
s=-
c=IN IP4 127.0.1.1
t=0 0
m=audio 0 RTP/AVP 0
m=image 0 udptl t38
";
    let media = s.receive_answer(&parse(rejected)).unwrap();
    assert!(media.is_empty());
    // Returning to audio re-enables the audio slot.
    assert_eq!(
        m_lines(&s.offer_audio().sdp),
        ["m=audio 40000 RTP/AVP 8 0 101", "m=image 0 udptl t38"]
    );
}

#[test]
fn reoffer_reuses_the_active_audio_slot() {
    let offer = "v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
m=audio 30002 RTP/SAVP 0
m=audio 30004 RTP/AVP 8
";
    let mut s = session();
    s.answer(&parse(offer), &AnswerPolicy::default()).unwrap();
    assert_eq!(
        m_lines(&s.offer_t38().sdp),
        [
            "m=audio 0 RTP/SAVP 0",
            "m=audio 0 RTP/AVP 8",
            "m=image 40002 udptl t38"
        ]
    );
    s.cancel_offer();
    assert_eq!(
        m_lines(&s.offer_audio().sdp),
        ["m=audio 0 RTP/SAVP 0", "m=audio 40000 RTP/AVP 8 0 101"]
    );
}
