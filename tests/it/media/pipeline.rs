//! End-to-end use of the media transport as `fax-sim` drives it: IFPs over UDPTL and G.711
//! frames over RTP, both through a seeded lossy, jittery, duplicating `netsim::Link`, on a
//! simulated 20 ms clock. Uses only the public API.

use std::time::Duration;

use faxvox::media::netsim::{GilbertElliott, Link, LinkConfig};
use faxvox::media::reorder::{Frame, ReorderBuffer, ReorderConfig};
use faxvox::media::rtp::{RtpPacket, RtpSender, RtpSenderConfig};
use faxvox::media::udptl::{EcMode, UdptlReceiver, UdptlSender, UdptlSenderConfig};
use faxvox_codecs::g711::Law;

fn ifp(i: usize) -> Vec<u8> {
    let len = 1 + (i * 37) % 180;
    (0..len).map(|k| (i + k) as u8).collect()
}

/// Runs `n` IFPs through a link and returns what the receiver delivered plus its stats.
fn udptl_over(
    link_cfg: LinkConfig,
    mode: EcMode,
    n: usize,
) -> (Vec<(u16, Vec<u8>)>, Link, UdptlReceiver) {
    let mut tx = UdptlSender::new(UdptlSenderConfig {
        mode,
        far_max_datagram: 1400,
        ..Default::default()
    });
    let mut rx = UdptlReceiver::new();
    let mut link = Link::new(link_cfg);
    let mut got = Vec::new();
    let mut tick = 0u64;
    while tick < n as u64 + 50 {
        let now = Duration::from_millis(20 * tick);
        if (tick as usize) < n {
            // Indicators (every 10th IFP) are repeated 3 times, as spandsp asks.
            let count = if tick.is_multiple_of(10) { 3 } else { 1 };
            for d in tx.send_ifp(&ifp(tick as usize), count).unwrap() {
                link.send(now, d);
            }
        }
        while let Some(d) = link.poll(now) {
            rx.receive(&d).unwrap();
        }
        got.extend(std::iter::from_fn(|| rx.poll_ifp()));
        tick += 1;
    }
    (got, link, rx)
}

fn assert_in_order_and_correct(got: &[(u16, Vec<u8>)]) {
    for w in got.windows(2) {
        assert!(
            w[0].0 < w[1].0,
            "out of order or duplicate: {} then {}",
            w[0].0,
            w[1].0
        );
    }
    for (seq, data) in got {
        let want = ifp(usize::from(*seq));
        assert!(data.starts_with(&want), "IFP {seq} corrupted");
        assert!(
            data[want.len()..].iter().all(|b| *b == 0),
            "IFP {seq} corrupted"
        );
    }
}

#[test]
fn udptl_redundancy_over_a_lossy_jittery_link_delivers_everything() {
    let cfg = LinkConfig {
        loss_pct: 8.0,
        jitter_ms: 30,
        base_delay_ms: 40,
        seed: 17,
        duplicate_pct: 2.0,
        burst: None,
    };
    let (got, link, rx) = udptl_over(cfg, EcMode::Redundancy, 1000);
    let ls = link.stats();
    let rs = rx.stats();
    assert!(ls.dropped > 50, "{ls:?}");
    assert_in_order_and_correct(&got);
    assert_eq!(
        got.len(),
        1000,
        "redundancy 3 covers this seed's loss bursts: {rs:?}"
    );
    assert_eq!(rs.lost, 0);
    assert!(rs.recovered > 50, "{rs:?}");
    assert!(
        rs.duplicates > 200,
        "indicator repeats and link duplicates: {rs:?}"
    );
    assert_eq!(rs.malformed, 0);
}

#[test]
fn udptl_fec_and_bursty_loss_never_misorders_or_corrupts() {
    let cfg = LinkConfig {
        loss_pct: 1.0,
        jitter_ms: 10,
        base_delay_ms: 20,
        seed: 5,
        duplicate_pct: 0.0,
        burst: Some(GilbertElliott {
            enter_bad_pct: 3.0,
            leave_bad_pct: 40.0,
            bad_loss_pct: 80.0,
        }),
    };
    let (got, link, rx) = udptl_over(cfg, EcMode::Fec, 1000);
    let rs = rx.stats();
    assert_in_order_and_correct(&got);
    assert!(rs.recovered > 0, "{rs:?}");
    // Every sequence number is either delivered or counted lost, never both.
    let last = got.last().unwrap().0;
    assert_eq!(
        got.len() as u64 + rs.lost + u64::from(got[0].0),
        u64::from(last) + 1
    );
    assert!(link.stats().dropped > rs.lost, "FEC repaired some losses");
}

#[test]
fn rtp_through_reorder_buffer_is_deterministic_per_seed() {
    let run = |seed: u64| {
        let mut tx = RtpSender::new(RtpSenderConfig::g711(Law::Alaw, 0xFA, 100, 1000));
        let mut link = Link::new(LinkConfig {
            loss_pct: 3.0,
            jitter_ms: 50,
            base_delay_ms: 20,
            seed,
            duplicate_pct: 1.0,
            burst: None,
        });
        let mut rb = ReorderBuffer::new(ReorderConfig::default());
        let mut frames = Vec::new();
        for tick in 0..600u64 {
            let now = Duration::from_millis(20 * tick);
            if tick < 500 {
                link.send(now, tx.packetize(&[(tick % 251) as u8; 160]));
            }
            while let Some(d) = link.poll(now) {
                let p = RtpPacket::parse(&d).unwrap();
                assert_eq!(p.law(), Some(Law::Alaw));
                rb.push(p.sequence, p.timestamp, p.payload.to_vec());
            }
            frames.extend(rb.pop_frame());
        }
        (frames, rb.stats(), link.stats())
    };
    let a = run(99);
    assert_eq!(a, run(99), "same seed, same frames");
    let (frames, rs, ls) = a;
    assert_eq!(rs.late, 0, "jitter 50 ms < 100 ms depth");
    let missing = frames
        .iter()
        .take(500)
        .filter(|f| matches!(f, Frame::Missing { .. }))
        .count() as u64;
    // 500 frames from the first received packet on: each dropped packet is exactly one Missing
    // frame (packets lost before the first received one are balanced by the frames past 499).
    assert_eq!(missing, ls.dropped, "{ls:?}");
}
