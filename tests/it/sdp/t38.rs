//! T.38 answers: the exact attribute lines we send for the offers real peers make, and what the
//! UDPTL sender is told (EC mode, far max datagram).

use std::net::{IpAddr, Ipv4Addr};

use faxvox::media::udptl::EcMode;
use faxvox::media::MediaConfig;
use faxvox::sip::sdp::{Answer, AnswerPolicy, LocalMedia, SdpSession, SessionDescription};
use faxvox::sip::t38::{RateManagement, T38Local, UdpEc};

fn local(t38: T38Local) -> LocalMedia {
    let mut l = LocalMedia::new(
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 5)),
        40000,
        40002,
        4242,
        &MediaConfig::default(),
    );
    l.t38 = t38;
    l
}

/// Answers an image-only offer whose T.38 attributes are `attrs` (one per line) in a fresh
/// session; T.38 in the initial offer is allowed by the default policy.
fn answer_with(t38: T38Local, session_attrs: &str, attrs: &str) -> Answer {
    let sdp = format!(
        "v=0\r\no=peer 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n{session_attrs}m=image 4000 udptl t38\r\n{}",
        attrs
            .lines()
            .map(|l| format!("{}\r\n", l.trim()))
            .collect::<String>()
    );
    let offer = SessionDescription::parse(sdp.as_bytes()).unwrap();
    SdpSession::new(local(t38))
        .answer(&offer, &AnswerPolicy::default())
        .unwrap()
}

fn image_lines(answer: &Answer) -> Vec<&str> {
    let lines: Vec<&str> = answer.sdp.lines().collect();
    let at = lines.iter().position(|l| l.starts_with("m=image")).unwrap();
    lines[at..].to_vec()
}

#[test]
fn fec_offered_fec_answered() {
    let a = answer_with(
        T38Local::default(),
        "",
        "a=T38FaxVersion:0
         a=T38MaxBitRate:14400
         a=T38FaxRateManagement:transferredTCF
         a=T38FaxMaxDatagram:400
         a=T38FaxUdpEC:t38UDPFEC",
    );
    assert_eq!(
        image_lines(&a),
        [
            "m=image 40002 udptl t38",
            "a=T38FaxVersion:0",
            "a=T38MaxBitRate:14400",
            "a=T38FaxRateManagement:transferredTCF",
            "a=T38FaxMaxDatagram:400",
            "a=T38FaxUdpEC:t38UDPFEC",
        ]
    );
    let n = a.media.t38.unwrap().params;
    assert_eq!(n.ec_mode, EcMode::Fec);
    let cfg = n.udptl_sender_config(&MediaConfig::default());
    assert_eq!((cfg.mode, cfg.far_max_datagram), (EcMode::Fec, 400));
}

#[test]
fn fec_offered_but_disabled_locally_answers_redundancy() {
    let a = answer_with(
        T38Local {
            allow_fec: false,
            ..T38Local::default()
        },
        "",
        "a=T38FaxVersion:0
         a=T38FaxUdpEC:t38UDPFEC",
    );
    assert_eq!(
        image_lines(&a).last().copied(),
        Some("a=T38FaxUdpEC:t38UDPRedundancy")
    );
    assert_eq!(a.media.t38.unwrap().params.ec_mode, EcMode::Redundancy);
}

#[test]
fn cisco_redundancy_with_zero_flags() {
    let a = answer_with(
        T38Local::default(),
        "",
        "a=T38FaxVersion:0
         a=T38MaxBitRate:14400
         a=T38FaxFillBitRemoval:0
         a=T38FaxTranscodingMMR:0
         a=T38FaxTranscodingJBIG:0
         a=T38FaxRateManagement:transferredTCF
         a=T38FaxMaxBuffer:200
         a=T38FaxMaxDatagram:320
         a=T38FaxUdpEC:t38UDPRedundancy",
    );
    assert_eq!(
        image_lines(&a),
        [
            "m=image 40002 udptl t38",
            "a=T38FaxVersion:0",
            "a=T38MaxBitRate:14400",
            "a=T38FaxRateManagement:transferredTCF",
            "a=T38FaxMaxDatagram:400",
            "a=T38FaxUdpEC:t38UDPRedundancy",
        ]
    );
    let n = a.media.t38.unwrap().params;
    assert_eq!(n.far_max_datagram, 320);
    assert_eq!(n.remote.max_buffer, Some(200));
    assert!(!n.remote.fill_bit_removal && !n.remote.transcoding_mmr);
}

#[test]
fn no_ec_offered_answers_like_asterisk() {
    // Asterisk never writes a "no EC" value: the attribute is left out.
    let a = answer_with(
        T38Local::default(),
        "",
        "a=T38FaxVersion:0
         a=T38MaxBitRate:14400
         a=T38FaxRateManagement:transferredTCF
         a=T38FaxMaxDatagram:400
         a=T38FaxUdpEC:t38UDPNoEC",
    );
    assert_eq!(
        image_lines(&a),
        [
            "m=image 40002 udptl t38",
            "a=T38FaxVersion:0",
            "a=T38MaxBitRate:14400",
            "a=T38FaxRateManagement:transferredTCF",
            "a=T38FaxMaxDatagram:400",
        ]
    );
    assert_eq!(a.media.t38.unwrap().params.ec_mode, EcMode::None);
}

#[test]
fn missing_ec_answers_redundancy() {
    let a = answer_with(T38Local::default(), "", "a=T38FaxVersion:0");
    assert!(a.sdp.contains("a=T38FaxUdpEC:t38UDPRedundancy\r\n"));
    assert_eq!(a.media.t38.unwrap().params.ec_mode, EcMode::Redundancy);
}

#[test]
fn version_rate_and_options_are_never_above_the_offer() {
    let capable = T38Local {
        fill_bit_removal: true,
        transcoding_mmr: true,
        max_buffer: Some(2000),
        vendor_info: Some("faxvox".to_string()),
        ..T38Local::default()
    };
    let a = answer_with(
        capable,
        "",
        "a=t38faxversion:3
         a=T38FaxMaxRate:33600
         a=T38FaxFillBitRemoval
         a=T38FaxTranscodingJBIG:1
         a=T38FaxRateManagement:localTCF
         a=T38MaxDatagram:1400
         a=T38FaxUdpEc:t38UDPRedundancy
         a=T38VendorInfo:0 0 0",
    );
    assert_eq!(
        image_lines(&a),
        [
            "m=image 40002 udptl t38",
            "a=T38FaxVersion:0",
            "a=T38MaxBitRate:14400",
            "a=T38FaxFillBitRemoval",
            "a=T38FaxRateManagement:transferredTCF",
            "a=T38FaxMaxBuffer:2000",
            "a=T38FaxMaxDatagram:400",
            "a=T38FaxUdpEC:t38UDPRedundancy",
            "a=T38VendorInfo:faxvox",
        ]
    );
    let n = a.media.t38.unwrap().params;
    assert_eq!(n.version, 0);
    assert!(n.fill_bit_removal && !n.transcoding_mmr && !n.transcoding_jbig);
    assert_eq!(n.remote.rate_management, Some(RateManagement::LocalTcf));
    assert_eq!(n.remote.vendor_info.as_deref(), Some("0 0 0"));
    assert_eq!(n.far_max_datagram, 1400);

    // A lower offered version and rate are followed.
    let v1 = T38Local {
        max_version: 2,
        ..T38Local::default()
    };
    let a = answer_with(v1, "", "a=T38FaxVersion:1\na=T38MaxBitRate:9600");
    assert!(a
        .sdp
        .contains("a=T38FaxVersion:1\r\na=T38MaxBitRate:9600\r\n"));
}

#[test]
fn bogus_max_datagram_becomes_400_unless_overridden() {
    for attrs in [
        "a=T38FaxVersion:0",
        "a=T38FaxMaxDatagram:0",
        "a=T38FaxMaxDatagram:1500",
        "a=T38FaxMaxDatagram:lots",
    ] {
        let a = answer_with(T38Local::default(), "", attrs);
        assert_eq!(a.media.t38.unwrap().params.far_max_datagram, 400, "{attrs}");
    }
    let a = answer_with(
        T38Local {
            far_max_datagram_override: Some(1000),
            ..T38Local::default()
        },
        "",
        "a=T38FaxMaxDatagram:72",
    );
    assert_eq!(a.media.t38.unwrap().params.far_max_datagram, 1000);
}

#[test]
fn session_level_t38_attributes_are_read() {
    let a = answer_with(
        T38Local::default(),
        "a=T38FaxMaxDatagram:272\r\na=T38FaxUdpEC:t38UDPFEC\r\n",
        "a=T38FaxUdpEC:t38UDPRedundancy",
    );
    let n = a.media.t38.unwrap().params;
    assert_eq!(n.far_max_datagram, 272, "session level");
    assert_eq!(n.remote.udp_ec, Some(UdpEc::Redundancy), "media level wins");
}

#[test]
fn announced_max_datagram_follows_media_config() {
    let media = MediaConfig {
        t38_max_datagram: 1400,
        ..MediaConfig::default()
    };
    let a = answer_with(T38Local::from_media_config(&media), "", "a=T38FaxVersion:0");
    assert!(a.sdp.contains("a=T38FaxMaxDatagram:1400\r\n"));
}
