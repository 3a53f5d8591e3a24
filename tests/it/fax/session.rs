//! FaxSession driven directly (no network): two sessions exchanging audio frames or T.38
//! IFPs in one loop. Checks the sans-IO API and spandsp wrappers end to end.

use crate::support::fax_pages;

use std::time::{Duration, Instant};

use faxvox::fax::{FaxEvent, FaxOptions, FaxSession, T38Options, Transport, TICK};
use faxvox_codecs::g711::Law;
use faxvox_codecs::Resolution;

use fax_pages::*;

fn run_pair(tx: &mut FaxSession, rx: &mut FaxSession, limit: Duration) -> Duration {
    let mut now = Duration::ZERO;
    let mut a_to_b: Vec<[i16; 160]> = Vec::new();
    let mut b_to_a: Vec<[i16; 160]> = Vec::new();
    let (mut seq_ab, mut seq_ba) = (0u16, 0u16);
    while !(tx.is_finished() && rx.is_finished()) && now < limit {
        for f in a_to_b.drain(..) {
            rx.on_audio(now, &f);
        }
        for f in b_to_a.drain(..) {
            tx.on_audio(now, &f);
        }
        if let Some(f) = tx.poll_audio(now) {
            a_to_b.push(f);
        }
        if let Some(f) = rx.poll_audio(now) {
            b_to_a.push(f);
        }
        // T.38: packets go straight across with their own sequence numbers.
        tx.on_tick(now);
        rx.on_tick(now);
        while let Some((ifp, _count)) = tx.poll_ifp() {
            rx.on_ifp(now, seq_ab, &ifp);
            seq_ab = seq_ab.wrapping_add(1);
        }
        while let Some((ifp, _count)) = rx.poll_ifp() {
            tx.on_ifp(now, seq_ba, &ifp);
            seq_ba = seq_ba.wrapping_add(1);
        }
        now += TICK;
    }
    now
}

#[test]
fn audio_ecm_direct_exchange_is_pixel_exact() {
    let dir = tempfile::tempdir().unwrap();
    let pages = vec![test_page(7, Resolution::STANDARD)];
    let doc = write_doc(dir.path(), "doc.tif", &pages);
    let mut o = FaxOptions::new("direct-tx", Transport::Audio(Law::Ulaw));
    o.local_ident = "SENDER 1".into();
    let mut tx = FaxSession::transmit(o, &doc).unwrap();
    let mut o = FaxOptions::new("direct-rx", Transport::Audio(Law::Ulaw));
    o.local_ident = "RECEIVER 2".into();
    let mut rx = FaxSession::receive(o, dir.path()).unwrap();
    let wall = Instant::now();
    let sim = run_pair(&mut tx, &mut rx, Duration::from_secs(300));
    eprintln!(
        "direct audio: {:.1} s simulated in {:.2} s wall",
        sim.as_secs_f64(),
        wall.elapsed().as_secs_f64()
    );
    let r = rx.report().expect("receiver done");
    let t = tx.report().expect("sender done");
    assert!(r.success, "{r:#?}");
    assert!(t.success, "{t:#?}");
    assert_eq!(r.pages, 1);
    assert_eq!(t.pages, 1);
    assert_eq!(t.pages_expected, Some(1));
    assert!(r.ecm && t.ecm);
    assert_eq!(r.bit_rate, 14400);
    assert_eq!(r.remote_station_id, "SENDER 1");
    assert_eq!(t.remote_station_id, "RECEIVER 2");
    assert_eq!((r.x_dpi, r.y_dpi), (204, 98));
    let got = read_doc(r.tiff.as_ref().expect("tiff"));
    assert_same_pixels(&pages, &got);
    // Events: a page event and a done event were queued on the receiver.
    let ev: Vec<_> = std::iter::from_fn(|| rx.poll_event()).collect();
    assert!(ev
        .iter()
        .any(|e| matches!(e, FaxEvent::Page(p) if p.number == 1)));
    assert!(matches!(ev.last(), Some(FaxEvent::Done(_))));
}

#[test]
fn t38_direct_exchange_is_pixel_exact() {
    let dir = tempfile::tempdir().unwrap();
    let pages = vec![test_page(8, Resolution::STANDARD)];
    let doc = write_doc(dir.path(), "doc.tif", &pages);
    let t38 = Transport::T38(T38Options::default());
    let mut o = FaxOptions::new("t38-tx", t38);
    o.local_ident = "T38 SENDER".into();
    let mut tx = FaxSession::transmit(o, &doc).unwrap();
    let mut rx = FaxSession::receive(FaxOptions::new("t38-rx", t38), dir.path()).unwrap();
    let wall = Instant::now();
    let sim = run_pair(&mut tx, &mut rx, Duration::from_secs(300));
    eprintln!(
        "direct t38: {:.1} s simulated in {:.2} s wall",
        sim.as_secs_f64(),
        wall.elapsed().as_secs_f64()
    );
    let r = rx.report().expect("receiver done");
    assert!(r.success, "{r:#?}");
    assert_eq!(r.pages, 1);
    assert_eq!(r.remote_station_id, "T38 SENDER");
    assert_same_pixels(&pages, &read_doc(r.tiff.as_ref().unwrap()));
}

#[test]
fn sessions_are_send() {
    fn assert_send<T: Send>() {}
    assert_send::<FaxSession>();
    assert_send::<faxvox::fax::tones::ToneDetector>();
}

#[test]
fn bad_setup_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let audio = Transport::Audio(Law::Alaw);
    // Missing folder / document.
    assert!(FaxSession::receive(FaxOptions::new("x", audio), &dir.path().join("nope")).is_err());
    assert!(
        FaxSession::transmit(FaxOptions::new("x", audio), &dir.path().join("nope.tif")).is_err()
    );
    // Ident too long for T.30, or not printable ASCII.
    let mut o = FaxOptions::new("x", audio);
    o.local_ident = "123456789012345678901".into();
    assert!(FaxSession::receive(o, dir.path()).is_err());
    let mut o = FaxOptions::new("x", audio);
    o.local_ident = "caf\u{e9}".into();
    assert!(FaxSession::receive(o, dir.path()).is_err());
    // A call id that is not a file name still gives a file inside the folder.
    let rx = FaxSession::receive(FaxOptions::new("../../etc/passwd", audio), dir.path()).unwrap();
    assert_eq!(rx.tiff_path().parent(), Some(dir.path()));
}

#[test]
fn garbage_input_and_a_non_tiff_document_end_in_a_failure_report() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.tif");
    std::fs::write(&junk, b"this is not a TIFF file at all").unwrap();
    let mut rng = Rng::new(99);
    for transport in [
        Transport::Audio(Law::Ulaw),
        Transport::T38(T38Options::default()),
    ] {
        // Receiver fed noise and random IFPs: no panic. Noise keeps spandsp's V.21 receiver
        // "hearing a carrier", so T.30 alone may never give up (it waits for silence before
        // answering); the max_duration backstop ends the call.
        let mut o = FaxOptions::new("noise", transport);
        o.max_duration = Duration::from_secs(60);
        let mut rx = FaxSession::receive(o, dir.path()).unwrap();
        let mut now = Duration::ZERO;
        while !rx.is_finished() && now < Duration::from_secs(120) {
            let frame: Vec<i16> = (0..160).map(|_| rng.next() as i16 / 4).collect();
            rx.on_audio(now, &frame);
            let len = rng.below(40) as usize;
            let ifp: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            rx.on_ifp(now, rng.next() as u16, &ifp);
            rx.on_tick(now);
            let _ = rx.poll_audio(now);
            while rx.poll_ifp().is_some() {}
            now += TICK;
        }
        let r = rx.report().expect("receiver gave up");
        assert!(!r.success);
        assert_eq!(r.pages, 0);
        assert!(r.duration_s <= 60.1, "{}", r.duration_s);

        // A sender whose document is not a TIFF fails the call with a T.30 file error.
        let mut tx = FaxSession::transmit(FaxOptions::new("junk-tx", transport), &junk).unwrap();
        let mut rx =
            FaxSession::receive(FaxOptions::new("junk-rx", transport), dir.path()).unwrap();
        run_pair(&mut tx, &mut rx, Duration::from_secs(200));
        let t = tx.report().expect("sender done");
        assert!(!t.success);
        assert_eq!(t.pages, 0);
        eprintln!(
            "non-TIFF document over {transport:?}: {} ({})",
            t.result_text, t.result_code
        );
    }
}

#[test]
fn hangup_mid_call_and_events_after_done_are_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let doc = write_doc(dir.path(), "doc.tif", &[test_page(9, Resolution::STANDARD)]);
    let audio = Transport::Audio(Law::Ulaw);
    let mut tx = FaxSession::transmit(FaxOptions::new("h-tx", audio), &doc).unwrap();
    let mut rx = FaxSession::receive(FaxOptions::new("h-rx", audio), dir.path()).unwrap();
    run_pair(&mut tx, &mut rx, Duration::from_secs(12));
    assert!(!rx.is_finished());
    rx.hangup(Duration::from_secs(12));
    let r = rx.report().expect("done after hangup").clone();
    assert!(!r.success);
    assert_eq!(r.result_code, 49, "{}", r.result_text); // T30_ERR_CALLDROPPED
                                                        // More input after the end changes nothing and does not panic.
    rx.on_audio(Duration::from_secs(13), &[0; 160]);
    rx.on_missing_audio(Duration::from_secs(13), 160);
    rx.on_tick(Duration::from_secs(14));
    rx.hangup(Duration::from_secs(15));
    assert_eq!(rx.report(), Some(&r));
    assert_eq!(rx.poll_audio(Duration::from_secs(15)), Some([0; 160]));
}
