//! End to end, robustness and admission: SIPp replaying malformed T.38 (UDPTL) plus random
//! bytes on the SIP (UDP and TCP) and RTP ports do not stop `faxvox serve` from taking the
//! next call, whose voicemail email arrives; a call from an address outside `sip.trusted` gets
//! 403 and a call to an unknown number 404.

use crate::support;

use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use support::gateway::{attachment, describe_mail, sent_to, wait_mail, Gateway};
use support::peers::{self, require, sipp_call, Rng};
use support::sip_raw::SipClient;
use support::smtp::{SinkOptions, SmtpSink};

const FAX_LINE: &str = "+33299001122";
const VM_LINE: &str = "+33299002000";

/// Datagrams that look more or less like SIP or RTP/UDPTL, and plain noise.
fn junk_datagrams(rng: &mut Rng, n: usize) -> Vec<Vec<u8>> {
    let sipish: [&[u8]; 8] = [
        b"INVITE sip:+33299002000@127.0.0.1 SIP/2.0\r\n\r\n",
        b"INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK1\r\nContent-Length: 99999\r\n\r\nv=0",
        b"SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\nCall-ID: nobody\r\n\r\n",
        b"BYE sip:a@b SIP/2.0\r\nCall-ID: \xff\xfe\r\nCSeq: -1 BYE\r\n\r\n",
        b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: \r\nFrom: <>\r\nTo: <>\r\nCall-ID: \r\nCSeq: x\r\nContent-Length: -5\r\n\r\n",
        b"ACK * SIP/2.0\r\n\r\n",
        b"\r\n\r\n",
        b"\0",
    ];
    (0..n)
        .map(|i| match i % 4 {
            0 => sipish[(rng.next_u64() % sipish.len() as u64) as usize].to_vec(),
            1 => {
                // RTP-ish: version 2, random PT, CSRC count and extension bits.
                let mut v = vec![0x80 | (rng.next_u64() as u8 & 0x3f), rng.next_u64() as u8];
                let n = (rng.next_u64() % 200) as usize;
                v.extend(rng.bytes(n));
                v
            }
            2 => {
                let n = 1 + (rng.next_u64() % 1400) as usize;
                rng.bytes(n)
            }
            _ => {
                // A real INVITE head with its SDP cut off mid-line.
                let mut v = b"INVITE sip:+33299001122@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKj\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:+33299001122@127.0.0.1>\r\nCall-ID: junk\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: 40\r\n\r\nv=0\r\nm=image 1 udptl t3".to_vec();
                v.truncate(20 + (rng.next_u64() % (v.len() as u64 - 20)) as usize);
                v
            }
        })
        .collect()
}

/// Random bytes at the gateway: SIP over UDP and TCP, and every port of its RTP range.
fn spray(gw: &Gateway, seed: u64) {
    let mut rng = Rng::new(seed);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    for d in junk_datagrams(&mut rng, 300) {
        let _ = sock.send_to(&d, gw.sip_addr());
    }
    for port in gw.rtp.0..=gw.rtp.1 {
        let to = SocketAddr::from(([127, 0, 0, 1], port));
        for d in junk_datagrams(&mut rng, 30) {
            let _ = sock.send_to(&d, to);
        }
    }
    // TCP: noise, a request promising a body that never comes, an endless header line.
    let tcp_junk: Vec<Vec<u8>> = vec![
        rng.bytes(4096),
        b"INVITE sip:+33299002000@127.0.0.1 SIP/2.0\r\nContent-Length: 100000\r\n\r\nv=0\r\n"
            .to_vec(),
        [
            b"OPTIONS sip:x SIP/2.0\r\nX-Long: ".to_vec(),
            vec![b'a'; 200_000],
        ]
        .concat(),
    ];
    for junk in tcp_junk {
        if let Ok(mut s) = TcpStream::connect_timeout(&gw.sip_addr(), Duration::from_secs(2)) {
            let _ = s.set_write_timeout(Some(Duration::from_secs(2)));
            let _ = s.write_all(&junk);
        }
    }
}

#[test]
fn malformed_t38_and_random_bytes_do_not_stop_the_next_call() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("faxco", &["fax@faxco.example"], "Fax Co");
    gw.account_add("vmco", &["vm@vmco.example"], "Voice Co");
    gw.line_add(FAX_LINE, "faxco", "fax", None);
    let greeting = faxvox_codecs::tones::tone(&[440.0], 800, -16.0, 10);
    let greeting = gw.write("greeting.wav", &peers::wav(&greeting));
    gw.line_add(VM_LINE, "vmco", "voicemail", Some(&greeting));
    gw.start();

    // SIPp: G.711 call to the fax line, its own T.38 re-INVITE, malformed UDPTL; meanwhile
    // random bytes everywhere.
    match require("sipp", "sip-tester") {
        Some(sipp) => {
            let (pcap, replay, origin) = peers::malformed_udptl_pcap(gw.path(), 150);
            eprintln!("malformed UDPTL from {origin}");
            let target = gw.sip_addr();
            let run = std::thread::scope(|s| {
                let sipp_thread = s.spawn(|| {
                    sipp_call(
                        &sipp,
                        "uac_t38_garbage.xml",
                        &[("@PCAP@", pcap.display().to_string())],
                        target,
                        FAX_LINE,
                        replay + Duration::from_secs(1),
                    )
                });
                std::thread::sleep(Duration::from_millis(1500));
                spray(&gw, 1);
                sipp_thread.join().unwrap()
            });
            assert!(
                run.success(),
                "SIPp's malformed T.38 call did not complete:\n{}",
                run.describe()
            );
        }
        None => spray(&gw, 1),
    }
    spray(&gw, 2);
    gw.assert_alive("after malformed T.38 and random bytes");

    // The next call works and its email arrives.
    let mut played = peers::silence(2500);
    played.extend(peers::speech_like(3, 3.0));
    let wav = gw.write("message.wav", &peers::wav(&played));
    let run = gw.call(&[
        "voice",
        "--to",
        &gw.uri(VM_LINE),
        "--wav",
        &wav.display().to_string(),
    ]);
    run.assert_ok("voice call after the garbage");
    let mail = wait_mail(&sink, Duration::from_secs(30), |m| {
        sent_to(m, "vm@vmco.example") && attachment(m, "audio/").is_some()
    })
    .unwrap_or_else(|| {
        panic!(
            "no voicemail email after the garbage; got:\n{}",
            describe_mail(&sink)
        )
    });
    let (_, _, audio) = attachment(&mail, "audio/").unwrap();
    let rec = peers::decode_audio(&audio);
    let (lag_ms, r) = peers::find_in(&played, &rec, 5000);
    eprintln!(
        "voicemail after the garbage: {:.2} s, lag {lag_ms} ms, r = {r:.3}",
        rec.len() as f32 / 8000.0
    );
    assert!(r >= 0.8, "recorded audio does not match (r = {r:.3})");
    gw.assert_alive("at the end");
}

#[test]
fn untrusted_source_gets_403() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["vm@acme.example"], "Acme");
    gw.line_add(VM_LINE, "acme", "voicemail", None);
    gw.set("FAXVOX_SIP_TRUSTED", "10.9.9.0/24");
    gw.start();
    let resp = SipClient::new()
        .invite_final(
            gw.sip_addr(),
            VM_LINE,
            "+15550007777",
            Duration::from_secs(8),
        )
        .expect("no final response to the INVITE");
    assert_eq!(resp.status, 403, "{}", resp.raw);
    assert!(resp.body.is_empty(), "403 with a body: {}", resp.raw);
    assert!(
        gw.call_records()
            .iter()
            .all(|r| r.kind.as_deref() != Some("voicemail")),
        "{:?}",
        gw.call_records()
    );
    gw.assert_alive("after the 403");
}

#[test]
fn unknown_number_gets_404() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.account_add("acme", &["vm@acme.example"], "Acme");
    gw.line_add(VM_LINE, "acme", "voicemail", None);
    gw.start();
    let client = SipClient::new();
    let resp = client
        .invite_final(
            gw.sip_addr(),
            "+33299009999",
            "+15550008888",
            Duration::from_secs(8),
        )
        .expect("no final response to the INVITE");
    assert_eq!(resp.status, 404, "{}", resp.raw);
    // A known number on the same gateway is answered (not 404), so routing really looked.
    let resp = client
        .invite_final(
            gw.sip_addr(),
            VM_LINE,
            "+15550008888",
            Duration::from_secs(8),
        )
        .expect("no final response to the INVITE");
    assert_eq!(resp.status, 200, "{}", resp.raw);
    gw.assert_alive("after the 404");
}

#[test]
fn generated_garbage_pcap_is_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    let payloads = vec![vec![1u8, 2, 3], Vec::new(), vec![0xff; 1400]];
    let path = dir.path().join("g.pcap");
    peers::write_udp_pcap(&path, &payloads, 20);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..4], &0xa1b2_c3d4u32.to_le_bytes());
    let mut off = 24;
    let mut n = 0;
    while off < bytes.len() {
        let incl = u32::from_le_bytes(bytes[off + 8..off + 12].try_into().unwrap()) as usize;
        let frame = &bytes[off + 16..off + 16 + incl];
        assert_eq!(&frame[12..14], &[0x08, 0x00]);
        let udp_len = u16::from_be_bytes([frame[14 + 24], frame[14 + 25]]) as usize;
        assert_eq!(udp_len, 8 + payloads[n].len());
        assert_eq!(&frame[14 + 28..], &payloads[n][..]);
        off += 16 + incl;
        n += 1;
    }
    assert_eq!(n, 3);
}
