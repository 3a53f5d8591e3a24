//! The fuzz targets' seed corpora (tests/fuzz-corpus/<target>) as a regression suite: every
//! committed input goes through the same entry point as its libFuzzer target
//! (`faxvox::fuzzing`), in a debug build (overflow checks on). With FAXVOX_WRITE_FUZZ_SEEDS=1
//! the seeds are (re)written from code first. A crash a fuzzer finds becomes a test here, with
//! the input as bytes.

use crate::support::sdp_samples;

use std::path::{Path, PathBuf};
use std::time::Duration;

use faxvox::fax::{FaxOptions, FaxSession, T38Options, Transport, TICK};
use faxvox::fuzzing;
use faxvox::media::dtmf::{Digit, DtmfSender, DtmfSenderConfig};
use faxvox::media::rtp::write_packet;
use faxvox::media::udptl::{EcMode, UdptlSender, UdptlSenderConfig};
use faxvox_codecs::{Bitmap, Page, Resolution};

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-corpus")
        .join(target)
}

fn write_seed(target: &str, name: &str, data: &[u8]) {
    let dir = corpus_dir(target);
    std::fs::create_dir_all(&dir).expect("corpus dir");
    std::fs::write(dir.join(name), data).expect("seed");
}

/// Runs every file of `target`'s corpus through `entry`; returns how many there were.
fn replay(target: &str, entry: fn(&[u8])) -> usize {
    let dir = corpus_dir(target);
    let mut n = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files {
        let data = std::fs::read(&path).expect("read seed");
        entry(&data);
        n += 1;
    }
    assert!(n > 0, "empty corpus {}", dir.display());
    n
}

fn writing() -> bool {
    std::env::var_os("FAXVOX_WRITE_FUZZ_SEEDS").is_some()
}

// ------------------------------------------------------------------------------- SIP

/// A minimal offer: PCMA and telephone-event.
const PCMA_OFFER: &str =
    "v=0\r\no=raw 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n\
                          m=audio 4000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n\
                          a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n";

fn invite(extra: &str, body: &str) -> String {
    format!(
        "INVITE sip:+33123456789@127.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK-fuzz1;rport\r\n\
         Max-Forwards: 70\r\n\
         From: \"Zoé Lefèvre\" <sip:%2B33612345678@192.0.2.7>;tag=a1b2\r\n\
         To: <sip:+33123456789@127.0.0.1>\r\n\
         Call-ID: fuzz-1@192.0.2.7\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:caller@192.0.2.7:5062>\r\n\
         {extra}\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn sip_seeds() -> Vec<(&'static str, String)> {
    let offer = PCMA_OFFER;
    vec![
        ("invite-pcma.sip", invite("", offer)),
        (
            "invite-asterisk-privacy.sip",
            invite(
                "Privacy: id;critical\r\nP-Asserted-Identity: <tel:+441234567890>\r\n",
                sdp_samples::ASTERISK_OFFER,
            ),
        ),
        (
            "invite-auth.sip",
            invite(
                "Authorization: Digest username=\"alice\", realm=\"faxvox\", nonce=\"18f0.00\", uri=\"sip:+33123456789@127.0.0.1:5060\", response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c1\"\r\n",
                sdp_samples::ASTERISK_T38_REINVITE,
            ),
        ),
        (
            "options-compact.sip",
            "OPTIONS sip:127.0.0.1 SIP/2.0\r\n\
             v: SIP/2.0/TCP [2001:db8::7]:5062;branch=z9hG4bK-o\r\n\
             f: <tel:+1-212-555-0100;phone-context=+1>;tag=x\r\n\
             t: sip:127.0.0.1\r\n\
             i: opt-1\r\n\
             CSeq: 7 OPTIONS\r\n\
             l: 0\r\n\r\n"
                .to_string(),
        ),
        (
            "bye.sip",
            "BYE sip:faxvox@127.0.0.1:5060 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK-b\r\n\
             From: <sip:a@192.0.2.7>;tag=a1b2\r\n\
             To: <sip:b@127.0.0.1>;tag=srv\r\n\
             Call-ID: fuzz-1@192.0.2.7\r\n\
             CSeq: 2 BYE\r\n\
             Content-Length: 0\r\n\r\n"
                .to_string(),
        ),
        (
            "response-200.sip",
            "SIP/2.0 200 OK\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-r;received=192.0.2.9;rport=5099\r\n\
             From: <sip:faxvox@127.0.0.1>;tag=ours\r\n\
             To: <sip:+33123456789@192.0.2.7>;tag=theirs\r\n\
             Call-ID: out-1@127.0.0.1\r\n\
             CSeq: 1 INVITE\r\n\
             Contact: <sip:peer@192.0.2.7>\r\n\
             WWW-Authenticate: Digest realm=\"trunk\", nonce=\"abc\", qop=\"auth\"\r\n\
             Content-Length: 0\r\n\r\n"
                .to_string(),
        ),
    ]
}

#[test]
fn sip_datagram_corpus() {
    if writing() {
        for (name, text) in sip_seeds() {
            write_seed("sip_datagram", name, text.as_bytes());
        }
    }
    eprintln!("{} inputs", replay("sip_datagram", fuzzing::sip_datagram));
}

/// The stream target's framing runs only under cargo-fuzz (it needs tokio-util); its seeds are
/// checked here as datagrams, which covers the parser and everything after it.
#[test]
fn sip_stream_corpus() {
    if writing() {
        let seeds = sip_seeds();
        let mut all = Vec::new();
        for (_, text) in &seeds {
            all.extend_from_slice(b"\r\n\r\n");
            all.extend_from_slice(text.as_bytes());
        }
        write_seed("sip_stream", "pipelined.sip", &all);
        write_seed("sip_stream", "invite.sip", seeds[0].1.as_bytes());
    }
    eprintln!("{} inputs", replay("sip_stream", fuzzing::sip_datagram));
}

// ------------------------------------------------------------------------------- SDP

#[test]
fn sdp_offer_corpus() {
    if writing() {
        let seeds = [
            (
                "asterisk-offer.sdp",
                sdp_samples::ASTERISK_OFFER.to_string(),
            ),
            (
                "asterisk-t38-reinvite.sdp",
                sdp_samples::ASTERISK_T38_REINVITE.to_string(),
            ),
            (
                "asterisk-back-to-audio.sdp",
                sdp_samples::ASTERISK_BACK_TO_AUDIO.to_string(),
            ),
            ("pcma.sdp", PCMA_OFFER.to_string()),
            (
                "audio-and-t38-fec.sdp",
                "v=0\r\no=fs 1 2 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n\
                 m=audio 4000 RTP/AVP 0 8 101 13\r\na=rtpmap:101 telephone-event/8000\r\n\
                 a=fmtp:101 0-16\r\na=ptime:30\r\na=sendonly\r\n\
                 m=video 0 RTP/AVP 31\r\n\
                 m=image 4002 udptl t38\r\nc=IN IP6 2001:db8::7\r\na=T38FaxVersion:3\r\n\
                 a=T38MaxBitRate:33600\r\na=T38FaxRateManagement:localTCF\r\n\
                 a=T38FaxMaxBuffer:2000\r\na=T38FaxMaxDatagram:1472\r\n\
                 a=T38FaxUdpEC:t38UDPFEC\r\na=T38FaxFillBitRemoval\r\na=T38FaxTranscodingMMR:0\r\n"
                    .to_string(),
            ),
        ];
        for (name, text) in seeds {
            write_seed("sdp_offer", name, text.as_bytes());
        }
    }
    eprintln!("{} inputs", replay("sdp_offer", fuzzing::sdp_offer));
}

// ------------------------------------------------------------------------------- digest

#[test]
fn digest_auth_corpus() {
    if writing() {
        let good = "Digest username=\"alice\", realm=\"faxvox\", nonce=\"NONCE\", \
                    uri=\"sip:+33123456789@127.0.0.1\", response=\"0123456789abcdef0123456789abcdef\", \
                    algorithm=MD5, qop=auth, nc=00000001, cnonce=\"0a4f113b\"";
        write_seed("digest_auth", "fresh.txt", good.as_bytes());
        write_seed(
            "digest_auth",
            "stale-and-other-realm.txt",
            format!(
                "Digest realm=\"other\", username=\"bob\"\n{}",
                good.replace("NONCE", "OLDNONCE")
            )
            .as_bytes(),
        );
        write_seed(
            "digest_auth",
            "escapes.txt",
            b"Digest username=\"al\\\"ice\",realm=faxvox,nonce=\"NONCE\",uri=\"sip:x\",response=\"00\",qop=\"auth\",nc=ffffffffffffffff,cnonce=\"\\\\\"",
        );
    }
    eprintln!(
        "{} inputs",
        replay("digest_auth", fuzzing::digest_authorization)
    );
}

// ------------------------------------------------------------------------------- RTP

#[test]
fn rtp_dtmf_corpus() {
    if writing() {
        let mut packets: Vec<(u8, Vec<u8>)> = Vec::new();
        for i in 0..8u16 {
            let law = if i < 4 { 0 } else { 8 };
            let payload = vec![0x55u8 ^ i as u8; 160];
            packets.push((
                1,
                write_packet(i == 0, law, 1000 + i, 160 * u32::from(i), 7, &payload),
            ));
        }
        let sender = DtmfSender::new(DtmfSenderConfig::new(101)).expect("dtmf sender");
        for (k, p) in sender
            .event(Digit::from_char('5').unwrap(), 1_280, 800)
            .iter()
            .enumerate()
        {
            packets.push((1, p.to_datagram(1008 + k as u16, 7)));
        }
        // A packet with CSRCs, an extension and padding.
        let mut odd = write_packet(false, 0, 1020, 9_000, 7, &[0xff; 8]);
        odd[0] = 0x80 | 0x20 | 0x10 | 0x01;
        odd.splice(12..12, [0, 0, 0, 9, 0xbe, 0xde, 0, 1, 1, 2, 3, 4]);
        odd.extend_from_slice(&[0, 0, 0, 4]);
        packets.push((3, odd));
        let framed = fuzzing::encode_records(packets.iter().map(|(g, p)| (*g, p.as_slice())));
        write_seed("rtp_dtmf", "g711-and-digit.rtp", &framed);
    }
    eprintln!("{} inputs", replay("rtp_dtmf", fuzzing::rtp_packets));
}

// ------------------------------------------------------------------------------- UDPTL / T.38

/// A one-page T.38 fax between two sessions; returns the sender's UDPTL datagrams with the
/// ticks between them (the receiving side's seed).
fn record_t38_fax(dir: &Path, mode: EcMode, ecm: bool) -> Vec<(u8, Vec<u8>)> {
    let mut bitmap = Bitmap::new(1728, 60);
    for i in 0..12 {
        bitmap.fill_rect(100 + 120 * i, 10 + (i % 3) * 12, 60, 8);
    }
    let page = Page {
        bitmap,
        resolution: Resolution::STANDARD,
    };
    let doc = dir.join("doc.tif");
    std::fs::write(&doc, faxvox_codecs::tiff::write_g4_tiff(&[page])).expect("doc");
    let t38 = Transport::T38(T38Options::default());
    let mut o = FaxOptions::new("seed-tx", t38);
    o.ecm = ecm;
    let mut tx = FaxSession::transmit(o, &doc).expect("tx");
    let mut o = FaxOptions::new("seed-rx", t38);
    o.ecm = ecm;
    let mut rx = FaxSession::receive(o, dir).expect("rx");
    let mut udptl = UdptlSender::new(UdptlSenderConfig {
        mode,
        ..UdptlSenderConfig::default()
    });
    let mut out = Vec::new();
    let (mut now, mut gap, mut seq_back) = (Duration::ZERO, 0u8, 0u16);
    while !(tx.is_finished() && rx.is_finished()) && now < Duration::from_secs(120) {
        tx.on_tick(now);
        rx.on_tick(now);
        while let Some((ifp, count)) = tx.poll_ifp() {
            let datagrams = udptl.send_ifp(&ifp, count).expect("udptl");
            let seq = udptl.next_seq().wrapping_sub(1);
            rx.on_ifp(now, seq, &ifp);
            if let Some(d) = datagrams.into_iter().next() {
                out.push((gap, d));
                gap = 0;
            }
        }
        while let Some((ifp, _)) = rx.poll_ifp() {
            tx.on_ifp(now, seq_back, &ifp);
            seq_back = seq_back.wrapping_add(1);
        }
        now += TICK;
        gap = gap.saturating_add(1);
    }
    assert!(rx.is_finished(), "the seed fax did not finish");
    out
}

#[test]
fn udptl_t38_corpus() {
    if writing() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, mode, ecm) in [
            ("fax-redundancy-ecm.udptl", EcMode::Redundancy, true),
            ("fax-fec.udptl", EcMode::Fec, false),
        ] {
            let packets = record_t38_fax(dir.path(), mode, ecm);
            let framed = fuzzing::encode_records(packets.iter().map(|(g, p)| (*g, p.as_slice())));
            write_seed("udptl_t38", name, &framed);
            let start: Vec<_> = packets.iter().take(12).collect();
            let framed = fuzzing::encode_records(start.iter().map(|(g, p)| (*g, p.as_slice())));
            write_seed("udptl_t38", &format!("start-{name}"), &framed);
        }
    }
    eprintln!(
        "{} inputs",
        replay("udptl_t38", |d| {
            fuzzing::udptl_t38(d);
        })
    );
    // The recorded faxes drive spandsp through a whole call: the fuzzer starts deep.
    for name in ["fax-redundancy-ecm.udptl", "fax-fec.udptl"] {
        let data = std::fs::read(corpus_dir("udptl_t38").join(name)).expect("seed");
        assert_eq!(fuzzing::udptl_t38(&data), 1, "{name}: pages received");
    }
}

// ------------------------------------------------------------------------------- SMTP

#[test]
fn smtp_session_corpus() {
    if writing() {
        let session =
            "EHLO mail.acme.example\r\nMAIL FROM:<alice@acme.example> SIZE=300 BODY=8BITMIME\r\n\
RCPT TO:<+33299001122@fax.example>\r\nRCPT TO:<33100000002@fax.example>\r\nDATA\r\n\
From: Alice <alice@acme.example>\r\nSubject: Re: invoice 42\r\n\r\n..dot-stuffed\r\nbody\r\n.\r\n\
RSET\r\nNOOP\r\nVRFY x\r\nHELP\r\nQUIT\r\n";
        write_seed("smtp_session", "pipelined.smtp", session.as_bytes());
        // An odd first byte offers STARTTLS.
        write_seed(
            "smtp_session",
            "starttls.smtp",
            b"EHLO c\r\nSTARTTLS\r\nMAIL FROM:<injected@x>\r\nEHLO c\r\nMAIL FROM:<a@b>\r\nQUIT\r\n",
        );
        let mut long = b"EHLO c\r\n".to_vec();
        long.extend(std::iter::repeat_n(b'A', 1500));
        long.extend_from_slice(b"\r\nMAIL FROM:<a@b> SIZE=99999\r\nFOO\r\n\xff\r\n");
        write_seed("smtp_session", "errors.smtp", &long);
    }
    eprintln!("{} inputs", replay("smtp_session", fuzzing::smtp_session));
}
