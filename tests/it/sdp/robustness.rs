//! Malformed SDP gets a typed error with the right SIP status, and random or mutated SDP never
//! panics: whatever parses either fails negotiation cleanly or yields an answer that is valid
//! SDP with the offer's m-line count and order.

use std::net::{IpAddr, Ipv4Addr};

use faxvox::media::MediaConfig;
use faxvox::sip::sdp::{AnswerPolicy, LocalMedia, SdpError, SdpSession, SessionDescription};
use proptest::prelude::*;

fn session() -> SdpSession {
    SdpSession::new(LocalMedia::new(
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 5)),
        40000,
        40002,
        4242,
        &MediaConfig::default(),
    ))
}

fn err(sdp: &str) -> SdpError {
    SessionDescription::parse(sdp.replace('\n', "\r\n").as_bytes()).unwrap_err()
}

const HEAD: &str = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\n";

#[test]
fn malformed_sdp_is_400() {
    for bad in [
        "",
        "hello world",
        "v=1\n",
        "o=- 1 1 IN IP4 192.0.2.1\nv=0\n",
        "v=0\nthis is not sdp\n",
        "v=0\nm=audio\n",
        "v=0\nm=audio x RTP/AVP 0\n",
        "v=0\nm=audio 4000 RTP/AVP\n",
        "v=0\nc=IN IP4 1.2.3.4\nc=IN IP4 1.2.3.4\n",
        "v=0\no=- 1 x IN IP4 1.2.3.4\n",
    ] {
        let e = err(bad);
        assert!(matches!(e, SdpError::Syntax(_)), "{bad:?}: {e:?}");
        assert_eq!(e.sip_status(), 400, "{bad:?}");
    }
}

#[test]
fn semantic_errors_are_typed() {
    let e = err(&format!("{HEAD}m=audio 4000 RTP/AVP 0\n"));
    assert_eq!(e, SdpError::MissingConnection { index: 0 });
    assert_eq!(e.sip_status(), 400);

    let e = err(&format!(
        "{HEAD}c=IN IP4 192.0.2.1\nm=image 0 udptl t38\nm=audio 4000 RTP/AVP 0\nc=IN IP4 pbx.example.com\n"
    ));
    assert!(
        matches!(e, SdpError::BadConnection { index: 1, .. }),
        "{e:?}"
    );
    assert_eq!(e.sip_status(), 488);

    let e = err(&format!(
        "{HEAD}c=IN IP4 192.0.2.1\nm=audio 4000 RTP/AVP 0 abc\n"
    ));
    assert_eq!(
        e,
        SdpError::BadPayloadType {
            index: 0,
            format: "abc".into()
        }
    );
    let e = err(&format!(
        "{HEAD}c=IN IP4 192.0.2.1\nm=audio 4000 RTP/AVP 0 300\n"
    ));
    assert!(matches!(e, SdpError::BadPayloadType { .. }));

    let e = err(&format!(
        "{HEAD}c=IN IP4 192.0.2.1\nm=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU\n"
    ));
    assert!(matches!(e, SdpError::BadRtpmap { index: 0, .. }), "{e:?}");
    assert_eq!(e.sip_status(), 400);
}

#[test]
fn tolerated_oddities() {
    // Disabled streams need no connection and may carry junk formats; a relay's
    // `RTP/AVP t38` image line is simply not T.38; IPv6 works; trailing spaces are fine.
    let sdp = format!(
        "{HEAD}m=audio 0 RTP/AVP foo\nm=image 5000 RTP/AVP t38\nc=IN IP6 2001:db8::1\nm=audio 6000 RTP/AVP 8 \nc=IN IP6 2001:db8::2\na=sendrecv \n"
    );
    let offer = SessionDescription::parse(sdp.as_bytes()).unwrap();
    assert!(!offer.media[1].is_udptl_t38());
    let ans = session().answer(&offer, &AnswerPolicy::default()).unwrap();
    let m: Vec<&str> = ans.sdp.lines().filter(|l| l.starts_with("m=")).collect();
    assert_eq!(
        m,
        [
            "m=audio 0 RTP/AVP foo",
            "m=image 0 RTP/AVP t38",
            "m=audio 40000 RTP/AVP 8"
        ]
    );
    assert_eq!(
        ans.media.audio.unwrap().remote,
        "[2001:db8::2]:6000".parse().unwrap()
    );
}

const SAMPLES: &[&str] = &[
    "v=0\r\no=- 1716395425 1716395425 IN IP4 192.0.2.10\r\ns=Asterisk\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 10000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n",
    "v=0\r\no=- 1 3 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 0 RTP/AVP 0 8 101\r\nm=image 4002 UDPTL t38\r\na=T38FaxVersion:0\r\na=T38MaxBitRate:14400\r\na=T38FaxFillBitRemoval\r\na=T38FaxRateManagement:transferredTCF\r\na=T38FaxMaxDatagram:400\r\na=T38FaxUdpEC:t38UDPFEC\r\na=T38VendorInfo:0 0 0\r\n",
    "v=0\no=gw 10 10 IN IP4 192.0.2.30\nc=IN IP4 192.0.2.30\nm=audio 20000 RTP/AVP 8 96\na=rtpmap:96 telephone-event/8000\na=fmtp:96 0-15,16\nm=image 20002 udptl t38\nc=IN IP4 192.0.2.31\na=T38FaxMaxDatagram:1500\nm=video 3000 RTP/AVP 31\n",
];

fn check(sdp: &[u8], established: bool) -> Result<(), TestCaseError> {
    let Ok(offer) = SessionDescription::parse(sdp) else {
        return Ok(());
    };
    let mut s = session();
    if established {
        let first = SessionDescription::parse(SAMPLES[0].as_bytes()).unwrap();
        s.answer(&first, &AnswerPolicy::default()).unwrap();
    }
    let before = s.current().cloned();
    match s.answer(&offer, &AnswerPolicy::default()) {
        Ok(answer) => {
            let parsed =
                SessionDescription::parse(answer.sdp.as_bytes()).expect("our answer is valid SDP");
            prop_assert_eq!(parsed.media.len(), offer.media.len());
            for (a, o) in parsed.media.iter().zip(&offer.media) {
                prop_assert!(a.media.eq_ignore_ascii_case(&o.media));
                if o.port == 0 {
                    prop_assert_eq!(a.port, 0);
                }
            }
            let active = parsed.media.iter().filter(|m| m.port != 0).count();
            let expected =
                usize::from(answer.media.audio.is_some()) + usize::from(answer.media.t38.is_some());
            prop_assert_eq!(active, expected);
            // Our answer is itself an offer we can answer.
            session()
                .answer(&parsed, &AnswerPolicy::default())
                .expect("our own SDP is acceptable");
            // Offers we build from here are valid SDP too.
            for sdp in [
                s.offer_current().sdp,
                s.offer_t38().sdp,
                s.offer_audio().sdp,
            ] {
                let p = SessionDescription::parse(sdp.as_bytes()).expect("our offer parses");
                prop_assert!(p.media.len() >= offer.media.len());
            }
        }
        Err(e) => {
            prop_assert!(e.sip_status().is_some());
            prop_assert_eq!(
                s.current().cloned(),
                before,
                "a failed answer changes nothing"
            );
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    DropLine(usize),
    DupLine(usize),
    Truncate(usize),
    SwapDigit(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::DropLine),
        any::<usize>().prop_map(Mutation::DupLine),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0u8..10).prop_map(|(i, d)| Mutation::SwapDigit(i, d)),
    ]
}

fn apply(mut data: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let n = data.len().max(1);
    match *m {
        Mutation::Flip(i, b) => {
            if !data.is_empty() {
                data[i % n] ^= b;
            }
        }
        Mutation::Insert(i, b) => data.insert(i % (data.len() + 1), b),
        Mutation::Delete(i) => {
            if !data.is_empty() {
                data.remove(i % n);
            }
        }
        Mutation::DropLine(i) | Mutation::DupLine(i) => {
            let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
            let k = i % lines.len();
            if matches!(m, Mutation::DropLine(_)) {
                lines.remove(k);
            } else {
                let l = lines[k].clone();
                lines.insert(k, l);
            }
            data = lines.join(&b'\n');
        }
        Mutation::Truncate(i) => data.truncate(i % n),
        Mutation::SwapDigit(i, d) => {
            let digits: Vec<usize> = (0..data.len())
                .filter(|&j| data[j].is_ascii_digit())
                .collect();
            if !digits.is_empty() {
                data[digits[i % digits.len()]] = b'0' + d;
            }
        }
    }
    data
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        check(&data, false)?;
    }

    #[test]
    fn random_lines_never_panic(
        lines in proptest::collection::vec("[vosctmab]=[ -~]{0,40}", 0..20),
        established in any::<bool>(),
    ) {
        let sdp = format!("v=0\r\n{}", lines.join("\r\n"));
        check(sdp.as_bytes(), established)?;
    }

    #[test]
    fn mutated_samples_never_panic(
        which in 0..SAMPLES.len(),
        muts in proptest::collection::vec(mutation(), 1..6),
        established in any::<bool>(),
    ) {
        let data = muts.iter().fold(SAMPLES[which].as_bytes().to_vec(), apply);
        check(&data, established)?;
    }
}

#[test]
fn samples_themselves_negotiate() {
    for (i, s) in SAMPLES.iter().enumerate() {
        let offer = SessionDescription::parse(s.as_bytes()).unwrap();
        session()
            .answer(&offer, &AnswerPolicy::default())
            .unwrap_or_else(|e| panic!("sample {i}: {e}"));
        check(s.as_bytes(), true).unwrap();
    }
}
