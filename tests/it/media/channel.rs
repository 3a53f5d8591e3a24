//! The per-call media task (`call::driver`) over real UDP sockets on 127.0.0.1, in real time:
//! two media tasks talk to each other (fax over G.711, voicemail with RFC 4733 digits), and raw
//! sockets play a peer that sends garbage or sends from another port than its SDP says. The
//! media logic itself (G.711 → T.38 switch, CNG on a voice line, NAT learning, sources out of
//! sequence, early UDPTL, the page limit, late ticks) is tested on simulated time in
//! `src/call/media_call.rs`. Each test has its own runtime; cargo runs them in parallel.

use crate::support::fax_pages;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use faxvox::call::driver::{MediaEvents, MediaHandle};
use faxvox::call::media_call::{MediaEvent, MediaOutcome, MediaRole, MediaSettings, LEARN_PACKETS};
use faxvox::call::ports::{MediaSockets, PortPool};
use faxvox::media::rtp::{write_packet, RtpPacket};
use faxvox::media::udptl::{EcMode, UdptlPacket, UdptlSender, UdptlSenderConfig};
use faxvox::sip::call::FaxToneHeard;
use faxvox::sip::sdp::{
    Direction, NegotiatedAudio, NegotiatedMedia, NegotiatedT38, TelephoneEvent,
};
use faxvox::sip::t38::{T38Negotiation, T38Params};
use faxvox::voicemail::{Outcome, StopReason, VoicemailConfig};
use faxvox_codecs::g711::Law;
use faxvox_codecs::{tones, Bitmap, Page, Resolution};

use fax_pages::{assert_same_pixels, read_doc, write_doc};

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn bind() -> MediaSockets {
    PortPool::ephemeral(LOCAL).bind().unwrap()
}

fn audio(remote: SocketAddr, law: Law) -> NegotiatedAudio {
    NegotiatedAudio {
        remote,
        law,
        payload_type: law.payload_type(),
        receive_payload_type: law.payload_type(),
        telephone_event: Some(TelephoneEvent {
            payload_type: 101,
            receive_payload_type: 101,
            events: "0-16".into(),
        }),
        remote_ptime: None,
        direction: Direction::SendRecv,
    }
}

fn t38(remote: SocketAddr) -> NegotiatedT38 {
    NegotiatedT38 {
        remote,
        params: T38Negotiation {
            local: T38Params::default(),
            remote: T38Params::default(),
            version: 0,
            max_bit_rate: 14400,
            fill_bit_removal: false,
            transcoding_mmr: false,
            transcoding_jbig: false,
            ec_mode: EcMode::Redundancy,
            far_max_datagram: 400,
        },
    }
}

fn media(audio: Option<NegotiatedAudio>, t38: Option<NegotiatedT38>) -> NegotiatedMedia {
    NegotiatedMedia { audio, t38 }
}

/// A small one-page fax: a frame, a title bar and a few lines of blocks, 240 rows at standard
/// resolution, so the image phase takes well under a second.
fn small_page() -> Page {
    let mut b = Bitmap::new(1728, 240);
    b.fill_rect(40, 10, 1648, 3);
    b.fill_rect(40, 227, 1648, 3);
    b.fill_rect(40, 10, 3, 220);
    b.fill_rect(1685, 10, 3, 220);
    b.fill_rect(100, 30, 1528, 20);
    let mut x = 100u32;
    for i in 0..60u32 {
        let w = 8 + (i * 7) % 13;
        for line in 0..4u32 {
            let h = 6 + (i + line) % 6;
            b.fill_rect(x, 80 + line * 30 + (12 - h), w, h);
        }
        x += w + 6 + (i * 5) % 11;
        if x > 1600 {
            break;
        }
    }
    for i in 0..300 {
        b.fill_rect(900 + i, 200 + i / 20, 3, 2);
    }
    Page {
        bitmap: b,
        resolution: Resolution::STANDARD,
    }
}

/// Receives events until `Finished` (returned with everything before it) or the deadline.
async fn until_finished(events: &mut MediaEvents, limit: Duration) -> Option<Vec<MediaEvent>> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(MediaEvent::Finished)) => {
                seen.push(MediaEvent::Finished);
                return Some(seen);
            }
            Ok(Some(ev)) => seen.push(ev),
            Ok(None) | Err(_) => return None,
        }
    }
}

/// User + system CPU time of this process so far (Linux), for the cost report.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

struct FaxPair {
    tx: MediaHandle,
    tx_events: MediaEvents,
    rx: MediaHandle,
    rx_events: MediaEvents,
    tx_addrs: (SocketAddr, SocketAddr),
    rx_addrs: (SocketAddr, SocketAddr),
}

fn fax_pair(name: &str, document: &Path, folder: &Path) -> FaxPair {
    let (a, b) = (bind(), bind());
    let tx_addrs = (a.rtp_addr(), a.udptl_addr());
    let rx_addrs = (b.rtp_addr(), b.udptl_addr());
    let mut settings = MediaSettings {
        station_id: "TX STATION".into(),
        ..MediaSettings::default()
    };
    let (tx, tx_events) = MediaHandle::spawn(
        format!("{name}-tx"),
        a,
        MediaRole::SendFax {
            document: document.to_path_buf(),
        },
        settings.clone(),
    );
    settings.station_id = "RX STATION".into();
    let (rx, rx_events) = MediaHandle::spawn(
        format!("{name}-rx"),
        b,
        MediaRole::ReceiveFax {
            folder: folder.to_path_buf(),
        },
        settings,
    );
    FaxPair {
        tx,
        tx_events,
        rx,
        rx_events,
        tx_addrs,
        rx_addrs,
    }
}

fn assert_fax_ok(tx: &MediaOutcome, rx: &MediaOutcome, transport: &str, sent: &[Page]) {
    let t = tx.fax.as_ref().expect("sender report");
    let r = rx.fax.as_ref().expect("receiver report");
    assert!(t.success, "{t:#?}");
    assert!(r.success, "{r:#?}");
    assert_eq!((t.pages, r.pages), (1, 1));
    assert_eq!(r.transport, transport);
    assert_eq!(r.remote_station_id, "TX STATION");
    assert_eq!(t.remote_station_id, "RX STATION");
    let tiff = rx.fax_tiff.as_ref().expect("received TIFF");
    assert_same_pixels(sent, &read_doc(tiff));
    assert!(rx.error.is_none() && tx.error.is_none());
}

#[tokio::test]
async fn fax_over_g711_in_real_time() {
    let dir = tempfile::tempdir().unwrap();
    let pages = vec![small_page()];
    let doc = write_doc(dir.path(), "doc.tif", &pages);
    let cpu0 = cpu_time();
    let wall = Instant::now();
    let mut p = fax_pair("g711", &doc, dir.path());
    p.tx.apply(media(Some(audio(p.rx_addrs.0, Law::Alaw)), None));
    p.rx.apply(media(Some(audio(p.tx_addrs.0, Law::Alaw)), None));
    let rx_seen = until_finished(&mut p.rx_events, Duration::from_secs(90))
        .await
        .expect("receiver finished");
    until_finished(&mut p.tx_events, Duration::from_secs(20))
        .await
        .expect("sender finished");
    let (tx, rx) = (p.tx.finish().await, p.rx.finish().await);
    let (wall, cpu) = (wall.elapsed(), cpu_time().zip(cpu0).map(|(b, a)| b - a));
    eprintln!(
        "g711 fax: {:.1} s wall, {:?} CPU for both channels, rx rtp {:?}",
        wall.as_secs_f64(),
        cpu,
        rx.rtp
    );
    assert_fax_ok(&tx, &rx, "g711a", &pages);
    assert!(
        rx_seen.contains(&MediaEvent::FaxTone(FaxToneHeard::V21Preamble)),
        "{rx_seen:?}"
    );
    // About 50 packets a second each way, none lost on loopback.
    let secs = wall.as_secs();
    assert!(rx.rtp.packets_received > 40 * secs, "{:?}", rx.rtp);
    assert!(tx.rtp.packets_received > 40 * secs, "{:?}", tx.rtp);
    assert_eq!((rx.rtp.packets_lost, rx.rtp.garbage), (0, 0));
    assert_eq!(rx.rtp.latched, None);
    assert_eq!(rx.udptl_packets_received, 0);
}

/// Datagrams that are neither RTP nor UDPTL, RTCP, and RTP on a payload type nobody
/// negotiated, `rounds` times to each RTP (even index) and UDPTL (odd index) target.
fn spray_garbage(targets: &[SocketAddr], rounds: usize) {
    let sock = UdpSocket::bind((LOCAL, 0)).unwrap();
    let rtp_junk: Vec<Vec<u8>> = vec![
        b"garbage!".to_vec(),
        vec![0x40; 200],                               // RTP version 1
        write_packet(false, 99, 7, 7, 7, &[0u8; 160]), // PT 99 not negotiated
        vec![0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0], // RTCP SR
        (0..1400u32).map(|i| (i * 37 % 251) as u8).collect(),
    ];
    let udptl_junk: Vec<Vec<u8>> = vec![
        vec![0xFF; 3],                      // fragmented length: invalid
        vec![0x00, 0x01, 0x05, 1, 2],       // IFP cut short
        b"hello world, not UDPTL".to_vec(), // length beyond the datagram
    ];
    for d in &udptl_junk {
        assert!(UdptlPacket::decode(d).is_err());
    }
    for _ in 0..rounds {
        for (i, t) in targets.iter().enumerate() {
            let junk = if i % 2 == 0 { &rtp_junk } else { &udptl_junk };
            for d in junk {
                sock.send_to(d, t).unwrap();
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A voice-like test signal: a 120–180 Hz gliding fundamental with harmonics, in 200 ms
/// syllables with pauses, at a normal speech level.
fn speech_like(ms: u32) -> Vec<i16> {
    let n = ms as usize * 8;
    let mut phase = 0f64;
    (0..n)
        .map(|i| {
            let t = i as f64 / 8000.0;
            let f0 = 150.0 + 30.0 * (2.0 * std::f64::consts::PI * 0.7 * t).sin();
            phase += 2.0 * std::f64::consts::PI * f0 / 8000.0;
            let syllable = ((t * 1000.0) as u64 % 300) < 200;
            let env = if syllable {
                (std::f64::consts::PI * ((t * 1000.0) % 300.0) / 200.0).sin()
            } else {
                0.0
            };
            let s = phase.sin() + 0.6 * (2.0 * phase).sin() + 0.4 * (3.0 * phase + 0.5).sin();
            (s * env * 6000.0) as i16
        })
        .collect()
}

/// Best normalised cross-correlation of `needle` inside `hay` over all lags.
fn best_correlation(hay: &[i16], needle: &[i16]) -> (f64, usize) {
    let norm = |s: &[i16]| s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
    let nn = norm(needle);
    let mut best = (0.0, 0);
    for lag in (0..hay.len().saturating_sub(needle.len())).step_by(1) {
        let w = &hay[lag..lag + needle.len()];
        let dot: f64 = w
            .iter()
            .zip(needle)
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum();
        let c = dot / (norm(w) * nn).max(1.0);
        if c > best.0 {
            best = (c, lag);
        }
    }
    best
}

fn voicemail_config() -> VoicemailConfig {
    VoicemailConfig {
        greeting: tones::tone(&[440.0], 300, -20.0, 10),
        ..VoicemailConfig::default()
    }
}

/// Greeting 0.3 s + beep 0.5 s; the caller waits 1 s, speaks 2 s, presses # (RFC 4733).
#[tokio::test]
async fn voicemail_records_the_message_and_hash_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (bind(), bind());
    let (caller_addr, vm_addr) = (a.rtp_addr(), b.rtp_addr());
    let speech = speech_like(2000);
    let mut audio_out = vec![0i16; 8000];
    audio_out.extend_from_slice(&speech);
    let heard = dir.path().join("heard.wav");
    let (caller, mut caller_events) = MediaHandle::spawn(
        "vm-caller".into(),
        a,
        MediaRole::Play {
            audio: audio_out.into(),
            dtmf: Some("#".into()),
            dtmf_at: None,
            tail: Duration::from_millis(200),
            record: Some(heard.clone()),
            wait_beep: None,
        },
        MediaSettings::default(),
    );
    let (vm, mut vm_events) = MediaHandle::spawn(
        "vm-callee".into(),
        b,
        MediaRole::Voicemail {
            config: voicemail_config(),
            folder: dir.path().to_path_buf(),
        },
        MediaSettings::default(),
    );
    caller.apply(media(Some(audio(vm_addr, Law::Ulaw)), None));
    vm.apply(media(Some(audio(caller_addr, Law::Ulaw)), None));
    let seen = until_finished(&mut vm_events, Duration::from_secs(15))
        .await
        .expect("voicemail finished after #");
    assert!(seen.contains(&MediaEvent::Dtmf('#')), "{seen:?}");
    until_finished(&mut caller_events, Duration::from_secs(5))
        .await
        .expect("playback finished");
    let (c, v) = (caller.finish().await, vm.finish().await);
    assert!(c.played_to_end);
    let Some(Outcome::Message {
        path,
        duration,
        stopped_by,
        ..
    }) = &v.voicemail
    else {
        panic!("{:?}", v.voicemail)
    };
    assert_eq!(*stopped_by, StopReason::Digit);
    // Recording starts at the end of the beep (0.8 s); the speech runs from 1.0 s to 3.0 s of
    // the caller's clock and the # follows it; the digit guard cuts 0.1 s.
    assert!(
        (1.9..=2.6).contains(&duration.as_secs_f64()),
        "duration {duration:?}"
    );
    let recorded = faxvox_codecs::recording::read_wav_file(path).unwrap();
    // The reported duration is the recording's length, to the sample (not to the last bit
    // of a float: 18 240 samples are 2.28 s, Duration says 2.2800000000000002).
    let recorded_secs = recorded.len() as f64 / 8000.0;
    assert!(
        (recorded_secs - duration.as_secs_f64()).abs() < 0.5 / 8000.0,
        "{} samples against {duration:?}",
        recorded.len()
    );
    // The middle second of the speech is in the recording, nearly unchanged (G.711 only).
    let probe = &speech[4000..12000];
    let (corr, lag) = best_correlation(&recorded, probe);
    assert!(corr > 0.95, "correlation {corr} at {lag}");
    // The caller heard the greeting and the beep (1 kHz) in its recording.
    let got = faxvox_codecs::recording::read_wav_file(c.recording.as_ref().unwrap()).unwrap();
    assert!(got.len() > 8000 * 2, "{}", got.len());
    let beep_level = tones::tone_level_dbfs(&got[..8000 * 2], 1000.0, 8000);
    assert!(beep_level > -30.0, "beep at {beep_level} dBFS");
    assert_eq!(v.rtp.packets_lost, 0);
    assert!(v.rtp.packets_received > 100);
    assert!(!v.became_fax);
}

/// Exact counts: valid RTP from the peer is received and counted, garbage to both ports is
/// counted and dropped.
#[tokio::test]
async fn garbage_is_counted_and_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let peer = UdpSocket::bind((LOCAL, 0)).unwrap();
    let s = bind();
    let (rtp, udptl) = (s.rtp_addr(), s.udptl_addr());
    let (h, _events) = MediaHandle::spawn(
        "garbage".into(),
        s,
        MediaRole::ReceiveFax {
            folder: dir.path().to_path_buf(),
        },
        MediaSettings::default(),
    );
    h.apply(media(
        Some(audio(peer.local_addr().unwrap(), Law::Ulaw)),
        None,
    ));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let sender = tokio::task::spawn_blocking(move || {
        for i in 0..50u16 {
            let d = write_packet(i == 0, 0, 1000 + i, 160 * u32::from(i), 42, &[0xFF; 160]);
            peer.send_to(&d, rtp).unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        spray_garbage(&[rtp, udptl], 2);
        peer
    });
    let peer = sender.await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let out = h.finish().await;
    assert_eq!(out.rtp.packets_received, 50);
    assert_eq!(out.rtp.packets_lost, 0);
    assert_eq!(out.rtp.garbage, 10, "5 kinds x 2 rounds");
    assert_eq!(out.udptl_garbage, 6);
    assert_eq!(out.udptl_packets_received, 0);
    assert_eq!(out.rtp.latched, None, "packets came from the SDP address");
    assert!(out.rtp.packets_sent > 0);
    drop(peer);
}

/// Receives datagrams on `sock` for `window`; returns how many.
fn count_datagrams(sock: &UdpSocket, window: Duration) -> usize {
    sock.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let mut buf = [0u8; 2048];
    let end = Instant::now() + window;
    let mut n = 0;
    while Instant::now() < end {
        if sock.recv_from(&mut buf).is_ok() {
            n += 1;
        }
    }
    n
}

/// The peer's SDP names one port but it sends from another (NAT): once that source has sent
/// [`LEARN_PACKETS`] packets in sequence, our RTP and UDPTL go to where its packets come from.
#[tokio::test]
async fn output_latches_to_the_actual_source() {
    let dir = tempfile::tempdir().unwrap();
    let sdp_rtp = UdpSocket::bind((LOCAL, 0)).unwrap();
    let real_rtp = UdpSocket::bind((LOCAL, 0)).unwrap();
    let sdp_udptl = UdpSocket::bind((LOCAL, 0)).unwrap();
    let real_udptl = UdpSocket::bind((LOCAL, 0)).unwrap();
    let s = bind();
    let (rtp, udptl) = (s.rtp_addr(), s.udptl_addr());
    let (h, _events) = MediaHandle::spawn(
        "latch".into(),
        s,
        MediaRole::ReceiveFax {
            folder: dir.path().to_path_buf(),
        },
        MediaSettings::default(),
    );
    let (sdp_rtp_addr, sdp_udptl_addr) = (
        sdp_rtp.local_addr().unwrap(),
        sdp_udptl.local_addr().unwrap(),
    );
    h.apply(media(Some(audio(sdp_rtp_addr, Law::Ulaw)), None));
    let real_rtp_addr = real_rtp.local_addr().unwrap();
    let rtp_phase = tokio::task::spawn_blocking(move || {
        // The answering fax sends CED at once: to the SDP address first.
        let before = count_datagrams(&sdp_rtp, Duration::from_millis(300));
        for i in 0..LEARN_PACKETS as u16 {
            let d = write_packet(i == 0, 0, 1 + i, 160 * u32::from(i), 9, &[0xFF; 160]);
            let p = RtpPacket::parse(&d).unwrap();
            assert_eq!(p.payload_type, 0);
            real_rtp.send_to(&d, rtp).unwrap();
        }
        std::thread::sleep(Duration::from_millis(60));
        let _ = count_datagrams(&sdp_rtp, Duration::from_millis(10)); // drain in-flight
        let after_sdp = count_datagrams(&sdp_rtp, Duration::from_millis(300));
        let after_real = count_datagrams(&real_rtp, Duration::from_millis(300));
        (before, after_sdp, after_real)
    });
    let (before, after_sdp, after_real) = rtp_phase.await.unwrap();
    assert!(before >= 10, "{before} packets to the SDP address first");
    assert_eq!(after_sdp, 0, "nothing to the SDP address after latching");
    assert!(after_real >= 10, "{after_real} packets to the real source");

    // Now T.38 (the receiver's re-INVITE): the same for UDPTL.
    h.apply(media(None, Some(t38(sdp_udptl_addr))));
    let real_udptl_addr = real_udptl.local_addr().unwrap();
    let udptl_phase = tokio::task::spawn_blocking(move || {
        // The T.38 receiver sends CED and DIS indicators/data on its own.
        let before = count_datagrams(&sdp_udptl, Duration::from_millis(1500));
        let mut tx = UdptlSender::new(UdptlSenderConfig::default());
        for _ in 0..LEARN_PACKETS {
            let d = tx.send_ifp(&[0x00], 1).unwrap(); // a no-signal indicator
            real_udptl.send_to(&d[0], udptl).unwrap();
        }
        std::thread::sleep(Duration::from_millis(60));
        let _ = count_datagrams(&sdp_udptl, Duration::from_millis(10));
        let after_sdp = count_datagrams(&sdp_udptl, Duration::from_millis(1500));
        let after_real = count_datagrams(&real_udptl, Duration::from_millis(3000));
        (before, after_sdp, after_real)
    });
    let (before, after_sdp, after_real) = udptl_phase.await.unwrap();
    let out = h.finish().await;
    assert!(
        before >= 1,
        "{before} UDPTL datagrams to the SDP address first"
    );
    assert_eq!(after_sdp, 0);
    assert!(
        after_real >= 1,
        "{after_real} UDPTL datagrams to the real source"
    );
    assert_eq!(out.rtp.latched, Some(real_rtp_addr));
    assert_eq!(out.udptl_latched, Some(real_udptl_addr));
    assert_eq!(
        out.udptl_packets_received, 1,
        "the packet that completed the run"
    );
    assert_eq!(
        (out.rtp.foreign, out.udptl_foreign),
        (0, 0),
        "learned, not foreign"
    );
}

/// Cost measurement, not a check: `FAXVOX_LOAD_PAIRS` (default 25) G.711 fax calls at once on a
/// two-worker runtime; prints CPU time per channel-second. Run with `--ignored --nocapture`.
#[test]
#[ignore]
fn load_concurrent_fax_calls() {
    let pairs: usize = std::env::var("FAXVOX_LOAD_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pages = vec![small_page()];
    let doc = write_doc(dir.path(), "doc.tif", &pages);
    let cpu0 = cpu_time().unwrap();
    let wall = Instant::now();
    let ok = rt.block_on(async {
        let mut calls = Vec::new();
        for i in 0..pairs {
            let folder = dir.path().join(format!("rx{i}"));
            std::fs::create_dir(&folder).unwrap();
            let doc = doc.clone();
            calls.push(tokio::spawn(async move {
                let mut p = fax_pair(&format!("load{i}"), &doc, &folder);
                p.tx.apply(media(Some(audio(p.rx_addrs.0, Law::Ulaw)), None));
                p.rx.apply(media(Some(audio(p.tx_addrs.0, Law::Ulaw)), None));
                let _ = until_finished(&mut p.rx_events, Duration::from_secs(90)).await;
                let (_, rx) = (p.tx.finish().await, p.rx.finish().await);
                rx.fax.is_some_and(|r| r.success)
            }));
        }
        let mut ok = 0;
        for c in calls {
            ok += usize::from(c.await.unwrap());
        }
        ok
    });
    let (wall, cpu) = (wall.elapsed(), cpu_time().unwrap() - cpu0);
    let channel_secs = wall.as_secs_f64() * 2.0 * pairs as f64;
    eprintln!(
        "{pairs} concurrent fax calls: {ok} ok, {:.1} s wall, {:.2} s CPU, {:.2} ms CPU per channel-second ({:.2} cores per 1000 channels)",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1000.0 / channel_secs,
        cpu.as_secs_f64() / channel_secs * 1000.0
    );
    assert_eq!(ok, pairs);
}

// ------------------------------------------------------------ media belongs to its call

/// The second loopback host, where the attackers live.
const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// A full-scale 2 kHz tone: what an intruder shouts into a call.
fn loud_tone(ms: u32) -> Vec<i16> {
    (0..ms as usize * 8)
        .map(|i| {
            let t = i as f64 / 8000.0;
            ((2.0 * std::f64::consts::PI * 2000.0 * t).sin() * 32000.0) as i16
        })
        .collect()
}

/// Sends `samples` as 20 ms G.711 RTP packets from `sock` to `to` in real time, with
/// consecutive sequence numbers from `seq`, until the samples or `stop` run out. Returns the
/// packets sent and the datagrams `sock` received meanwhile.
fn send_rtp(
    sock: &UdpSocket,
    to: SocketAddr,
    law: Law,
    samples: &[i16],
    seq: u16,
    stop: &std::sync::atomic::AtomicBool,
) -> (usize, usize) {
    sock.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 2048];
    let (mut sent, mut received) = (0, 0);
    let start = Instant::now();
    for (i, frame) in samples.chunks(160).enumerate() {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        let mut payload = Vec::new();
        law.encode(frame, &mut payload);
        let d = write_packet(
            i == 0,
            law.payload_type(),
            seq.wrapping_add(i as u16),
            160 * i as u32,
            0x5eed_0000 ^ u32::from(seq),
            &payload,
        );
        if sock.send_to(&d, to).is_ok() {
            sent += 1;
        }
        while sock.recv_from(&mut buf).is_ok() {
            received += 1;
        }
        let due = start + TICK_MS * (i as u32 + 1);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
    while sock.recv_from(&mut buf).is_ok() {
        received += 1;
    }
    (sent, received)
}

const TICK_MS: Duration = Duration::from_millis(20);

/// The RTP bleed attack (cf. Asterisk AST-2017-005): a caller speaks from its SDP address
/// into a voicemail; after a second an intruder on another host sends loud, well-formed
/// PCMU to the call's RTP port, in sequence as a real stream. Nothing moves: the intruder
/// gets no packet, the caller keeps getting the gateway's audio, the recording is the
/// caller's speech without the intruder's tone, and the intruder's packets are counted.
#[tokio::test]
async fn an_intruder_cannot_take_or_feed_a_calls_rtp() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let caller = UdpSocket::bind((LOCAL, 0)).unwrap();
    let Ok(intruder) = UdpSocket::bind((ATTACKER, 0)) else {
        panic!("cannot bind {ATTACKER}: the tests need the 127.0.0.0/8 loopback");
    };
    let s = bind();
    let rtp = s.rtp_addr();
    let (vm, _events) = MediaHandle::spawn(
        "bleed-rtp".into(),
        s,
        MediaRole::Voicemail {
            config: voicemail_config(),
            folder: dir.path().to_path_buf(),
        },
        MediaSettings::default(),
    );
    vm.apply(media(
        Some(audio(caller.local_addr().unwrap(), Law::Ulaw)),
        None,
    ));
    // The caller: 1 s of silence (greeting and beep), then 3 s of speech.
    let speech = speech_like(3000);
    let mut played = vec![0i16; 8000];
    played.extend_from_slice(&speech);
    let stop = Arc::new(AtomicBool::new(false));
    let caller_stop = stop.clone();
    let caller_task = tokio::task::spawn_blocking(move || {
        send_rtp(&caller, rtp, Law::Ulaw, &played, 4000, &caller_stop)
    });
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let intruder_stop = stop.clone();
    let intruder_task = tokio::task::spawn_blocking(move || {
        send_rtp(
            &intruder,
            rtp,
            Law::Ulaw,
            &loud_tone(2500),
            100,
            &intruder_stop,
        )
    });
    let (i_sent, i_received) = intruder_task.await.unwrap();
    let (c_sent, c_received) = caller_task.await.unwrap();
    stop.store(true, Ordering::Relaxed);
    // The last packets are read at the next ticks.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let out = vm.finish().await;
    eprintln!(
        "intruder sent {i_sent}, received {i_received}; caller sent {c_sent}, received \
         {c_received}; {:?}",
        out.rtp
    );
    assert_eq!(i_received, 0, "the intruder got the call's audio");
    assert!(c_received > 150, "the caller got {c_received} packets");
    assert_eq!(
        out.rtp.foreign, i_sent as u64,
        "every intruder packet counted"
    );
    assert!(i_sent > 100);
    assert_eq!(out.rtp.latched, None);
    assert_eq!(out.rtp.packets_received, c_sent as u64);
    let Some(Outcome::Message { path, .. }) = &out.voicemail else {
        panic!("no message: {:?}", out.voicemail)
    };
    let recorded = faxvox_codecs::recording::read_wav_file(path).unwrap();
    let tone = tones::tone_level_dbfs(&recorded, 2000.0, 8000);
    eprintln!(
        "recording {:.2} s, 2 kHz at {tone:.1} dBFS",
        recorded.len() as f64 / 8000.0
    );
    assert!(
        tone < -50.0,
        "the intruder's tone is in the recording: {tone} dBFS"
    );
    let (corr, lag) = best_correlation(&recorded, &speech[8000..12000]);
    assert!(
        corr > 0.95,
        "the caller's speech: correlation {corr} at {lag}"
    );
}

/// An outbound fax over T.38; once the receiver has answered, an attacker on another host
/// sends well-formed UDPTL, in sequence, to the sender's UDPTL port while the page goes.
/// Before, the sender's T.38 output latched to the attacker (the page went there). Now: the
/// page arrives intact, the attacker gets nothing, and the sender counts its datagrams.
#[tokio::test]
async fn an_attacker_cannot_capture_an_outbound_fax_over_t38() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let pages = vec![small_page()];
    let doc = write_doc(dir.path(), "doc.tif", &pages);
    let mut p = fax_pair("bleed-t38", &doc, dir.path());
    p.tx.apply(media(None, Some(t38(p.rx_addrs.1))));
    p.rx.apply(media(None, Some(t38(p.tx_addrs.1))));
    let attacker = UdpSocket::bind((ATTACKER, 0)).unwrap();
    attacker.set_nonblocking(true).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (sent, received) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let targets = [p.tx_addrs.1];
    let attack = {
        let (stop, sent, received) = (stop.clone(), sent.clone(), received.clone());
        tokio::task::spawn_blocking(move || {
            // The receiver sends its CED and DIS at once: the sender has heard it by then.
            std::thread::sleep(Duration::from_millis(2000));
            let mut tx = UdptlSender::new(UdptlSenderConfig {
                initial_seq: 1,
                ..UdptlSenderConfig::default()
            });
            let mut buf = [0u8; 2048];
            while !stop.load(Ordering::Relaxed) {
                // No-signal indicators: harmless to T.30, enough to steal the stream before.
                for _ in 0..2 {
                    let d = tx.send_ifp(&[0x00], 1).unwrap();
                    for t in targets {
                        if attacker.send_to(&d[0], t).is_ok() {
                            sent.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                while attacker.recv_from(&mut buf).is_ok() {
                    received.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let rx_done = until_finished(&mut p.rx_events, Duration::from_secs(90)).await;
    let _ = until_finished(&mut p.tx_events, Duration::from_secs(20)).await;
    stop.store(true, Ordering::Relaxed);
    attack.await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (tx, rx) = (p.tx.finish().await, p.rx.finish().await);
    let (sent, received) = (
        sent.load(Ordering::Relaxed),
        received.load(Ordering::Relaxed),
    );
    eprintln!(
        "attacker sent {sent} UDPTL datagrams, received {received}; tx foreign {}, rx foreign {}",
        tx.udptl_foreign, rx.udptl_foreign
    );
    assert_eq!(received, 0, "the attacker got the fax's T.38");
    assert!(rx_done.is_some(), "the receiver did not finish");
    assert_fax_ok(&tx, &rx, "t38", &pages);
    assert!(sent > 50);
    assert_eq!(tx.udptl_foreign, sent as u64);
    assert_eq!(rx.udptl_foreign, 0);
    assert_eq!((tx.udptl_latched, rx.udptl_latched), (None, None));
}
