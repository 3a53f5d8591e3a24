//! The UAC side of `faxvox::sip::call`: an outbound [`Call`] driven against an inbound one,
//! purely in memory. A tiny simulated network carries the SDP strings and the SIP events
//! between the two state machines (20 ms one way) and plays the glue's part (the ACK of the
//! initial 2xx, mapping transaction ids), with simulated time throughout.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use faxvox::media::MediaConfig;
use faxvox::sip::call::{
    Action, Call, CallConfig, CallError, CallPurpose, ClientTxn, FaxToneHeard, InitialOffer,
    Reason, ServerTxn, T38Policy, DEFAULT_CNG_WINDOW,
};
use faxvox::sip::sdp::{LocalMedia, NegotiatedMedia};

const CALL_ID: &str = "3848276298220188511@faxvox.example.org";
const OUT_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20));
const IN_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 5));
/// One-way network delay in the simulation.
const LATENCY: Duration = Duration::from_millis(20);
/// When the receiver's application answers in [`established`].
const ANSWER_AT: Duration = Duration::from_millis(200);
/// When the 200 reaches the caller (the CNG window starts there).
const OK_AT: Duration = Duration::from_millis(220);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn out_local() -> LocalMedia {
    LocalMedia::new(OUT_IP, 30000, 30002, 1111, &MediaConfig::default())
}

fn in_local() -> LocalMedia {
    LocalMedia::new(IN_IP, 40000, 40002, 2222, &MediaConfig::default())
}

fn m_lines(sdp: &str) -> Vec<&str> {
    sdp.lines().filter(|l| l.starts_with("m=")).collect()
}

fn drain(call: &mut Call) -> Vec<Action> {
    std::iter::from_fn(|| call.poll_action()).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// The caller (outbound Call, UAC).
    Out,
    /// The callee (inbound Call, UAS).
    In,
}

impl Side {
    fn other(self) -> Side {
        match self {
            Side::Out => Side::In,
            Side::In => Side::Out,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What travels between the two calls. Transaction ids are the sender's [`ClientTxn`]
/// numbers; the receiver uses them as its [`ServerTxn::Reinvite`] ids.
#[derive(Debug, Clone)]
enum Msg {
    Invite(Vec<u8>),
    InviteResponse(u16, Option<Vec<u8>>),
    /// The glue's ACK of the initial 2xx.
    InitialAck,
    Reinvite(u64, Option<Vec<u8>>),
    Response(u64, u16, Option<Vec<u8>>),
    Ack(u64, Option<Vec<u8>>),
    Bye,
    Cancel,
}

struct Sim {
    out: Call,
    inb: Call,
    now: Duration,
    /// (arrival, destination, message), in sending order.
    wire: Vec<(Duration, Side, Msg)>,
    /// Each side's own re-INVITE transactions by number.
    client_txns: [HashMap<u64, ClientTxn>; 2],
    log: Vec<(Duration, Side, Action)>,
}

impl Sim {
    fn new(out: Call, inb: Call) -> Sim {
        Sim {
            out,
            inb,
            now: Duration::ZERO,
            wire: Vec::new(),
            client_txns: [HashMap::new(), HashMap::new()],
            log: Vec::new(),
        }
    }

    fn call(&mut self, side: Side) -> &mut Call {
        match side {
            Side::Out => &mut self.out,
            Side::In => &mut self.inb,
        }
    }

    fn send(&mut self, to: Side, msg: Msg) {
        self.wire.push((self.now + LATENCY, to, msg));
    }

    /// Carries out the actions both calls queued, like the glue would.
    fn pump(&mut self) {
        for side in [Side::Out, Side::In] {
            let now = self.now;
            for action in drain(self.call(side)) {
                self.log.push((now, side, action.clone()));
                let to = side.other();
                match action {
                    Action::SendResponse {
                        txn: ServerTxn::Invite,
                        status,
                        sdp,
                        ..
                    } => self.send(to, Msg::InviteResponse(status, sdp.map(String::into_bytes))),
                    Action::SendResponse {
                        txn: ServerTxn::Reinvite(n),
                        status,
                        sdp,
                        ..
                    } => self.send(to, Msg::Response(n, status, sdp.map(String::into_bytes))),
                    Action::SendResponse {
                        txn: ServerTxn::Bye,
                        ..
                    } => {}
                    Action::SendReinvite { txn, sdp } => {
                        self.client_txns[side.index()].insert(txn.get(), txn);
                        self.send(to, Msg::Reinvite(txn.get(), Some(sdp.into_bytes())));
                    }
                    Action::SendAck { txn, sdp } => {
                        self.send(to, Msg::Ack(txn.get(), sdp.map(String::into_bytes)))
                    }
                    Action::SendBye => self.send(to, Msg::Bye),
                    Action::SendCancel => self.send(to, Msg::Cancel),
                    Action::StartMedia(_) | Action::SwitchMedia(_) | Action::Terminated(_) => {}
                }
            }
        }
    }

    fn deliver(&mut self, to: Side, msg: Msg) {
        let now = self.now;
        match msg {
            Msg::Invite(sdp) => self.inb.on_invite(now, Some(&sdp)),
            Msg::InviteResponse(status, sdp) => {
                self.out.on_invite_response(now, status, sdp.as_deref());
                if (200..300).contains(&status) {
                    // The stack ACKs the initial 2xx, whatever the call made of it.
                    self.send(Side::In, Msg::InitialAck);
                }
            }
            Msg::InitialAck => self.inb.on_ack(now, ServerTxn::Invite, None),
            Msg::Reinvite(n, sdp) => self.call(to).on_reinvite(now, n, sdp.as_deref()),
            Msg::Response(n, status, sdp) => {
                let txn = self.client_txns[to.index()][&n];
                self.call(to).on_response(now, txn, status, sdp.as_deref());
            }
            Msg::Ack(n, sdp) => self
                .call(to)
                .on_ack(now, ServerTxn::Reinvite(n), sdp.as_deref()),
            Msg::Bye => self.call(to).on_bye(now),
            Msg::Cancel => self.call(to).on_cancel(now),
        }
    }

    /// Runs messages and timers up to `until` (inclusive), in time order.
    fn run_until(&mut self, until: Duration) {
        self.pump();
        loop {
            let next = self
                .wire
                .iter()
                .map(|(t, _, _)| *t)
                .chain(self.out.poll_timeout())
                .chain(self.inb.poll_timeout())
                .min();
            let Some(next) = next.filter(|t| *t <= until) else {
                break;
            };
            self.now = self.now.max(next);
            if let Some(i) = self.wire.iter().position(|(t, _, _)| *t <= self.now) {
                let (_, to, msg) = self.wire.remove(i);
                self.deliver(to, msg);
            } else {
                for side in [Side::Out, Side::In] {
                    let now = self.now;
                    if self.call(side).poll_timeout().is_some_and(|t| t <= now) {
                        self.call(side).on_timeout(now);
                    }
                }
            }
            self.pump();
        }
        self.now = self.now.max(until);
    }

    fn actions(&self, side: Side) -> Vec<(Duration, &Action)> {
        self.log
            .iter()
            .filter(|(_, s, _)| *s == side)
            .map(|(t, _, a)| (*t, a))
            .collect()
    }

    /// StartMedia and SwitchMedia of one side, in order.
    fn media(&self, side: Side) -> Vec<&NegotiatedMedia> {
        self.actions(side)
            .into_iter()
            .filter_map(|(_, a)| match a {
                Action::StartMedia(m) | Action::SwitchMedia(m) => Some(m),
                _ => None,
            })
            .collect()
    }

    fn reinvites_sent(&self, side: Side) -> Vec<Duration> {
        self.actions(side)
            .into_iter()
            .filter(|(_, a)| matches!(a, Action::SendReinvite { .. }))
            .map(|(t, _)| t)
            .collect()
    }

    fn responses(&self, side: Side, status: u16) -> usize {
        self.actions(side)
            .into_iter()
            .filter(|(_, a)| matches!(a, Action::SendResponse { status: s, .. } if *s == status))
            .count()
    }

    fn terminated(&self, side: Side) -> Option<Reason> {
        self.actions(side).into_iter().find_map(|(_, a)| match a {
            Action::Terminated(r) => Some(*r),
            _ => None,
        })
    }
}

/// The caller's INVITE is out (at 0) and has reached the callee, which rang.
fn calling(out_config: CallConfig, in_config: CallConfig, offer: InitialOffer, seed: u64) -> Sim {
    let mut out = Call::new_outbound(CALL_ID, out_config, seed);
    assert!(out.is_outbound());
    let sdp = out
        .make_offer_with(Duration::ZERO, out_local(), CallPurpose::Fax, offer)
        .unwrap();
    let mut sim = Sim::new(out, Call::new_inbound(CALL_ID, in_config, seed + 1000));
    sim.send(Side::In, Msg::Invite(sdp.into_bytes()));
    sim.run_until(ms(20));
    sim.inb.ring(sim.now).unwrap();
    sim.run_until(ms(100));
    assert_eq!(drain(&mut sim.out), []);
    sim
}

/// A G.711 fax call from the caller to a receiver on `in_line`, answered at [`ANSWER_AT`]; the
/// 200 reaches the caller at [`OK_AT`] and its ACK the callee 20 ms later.
fn established(
    out_config: CallConfig,
    in_config: CallConfig,
    in_line: CallPurpose,
    seed: u64,
) -> Sim {
    let mut sim = calling(out_config, in_config, InitialOffer::Audio, seed);
    sim.run_until(ANSWER_AT);
    sim.inb.answer(ANSWER_AT, in_local(), in_line).unwrap();
    sim.run_until(OK_AT + LATENCY);
    assert_established_audio(&sim);
    sim
}

fn assert_established_audio(sim: &Sim) {
    let [out_media] = sim.media(Side::Out)[..] else {
        panic!("caller: {:#?}", sim.actions(Side::Out));
    };
    let [in_media] = sim.media(Side::In)[..] else {
        panic!("callee: {:#?}", sim.actions(Side::In));
    };
    let (oa, ia) = (
        out_media.audio.as_ref().unwrap(),
        in_media.audio.as_ref().unwrap(),
    );
    assert_eq!(oa.remote, addr("203.0.113.5:40000"));
    assert_eq!(ia.remote, addr("198.51.100.20:30000"));
    // Our offer lists PCMA first; the callee follows the offer's order.
    assert_eq!((oa.law, oa.payload_type), (ia.law, ia.payload_type));
    assert_eq!(oa.payload_type, 8);
    let (ote, ite) = (
        oa.telephone_event.as_ref().unwrap(),
        ia.telephone_event.as_ref().unwrap(),
    );
    assert_eq!((ote.payload_type, ite.payload_type), (101, 101));
    assert!(out_media.t38.is_none() && in_media.t38.is_none());
}

/// Both sides' last media is T.38 towards each other's UDPTL port.
fn assert_t38_both(sim: &Sim) {
    let out_media = sim.media(Side::Out).last().copied().unwrap();
    let in_media = sim.media(Side::In).last().copied().unwrap();
    assert_eq!(
        out_media.t38.as_ref().expect("caller on T.38").remote,
        addr("203.0.113.5:40002")
    );
    assert_eq!(
        in_media.t38.as_ref().expect("callee on T.38").remote,
        addr("198.51.100.20:30002")
    );
    assert!(out_media.audio.is_none() && in_media.audio.is_none());
    assert_eq!(sim.out.media(), Some(out_media));
    assert_eq!(sim.inb.media(), Some(in_media));
}

#[test]
fn establishment_offer_answer_and_timers() {
    let mut out = Call::new_outbound(CALL_ID, CallConfig::default(), 1);
    let offer = out
        .make_offer(Duration::ZERO, out_local(), CallPurpose::Fax)
        .unwrap();
    assert_eq!(m_lines(&offer), ["m=audio 30000 RTP/AVP 8 0 101"]);
    assert!(offer.contains("a=rtpmap:101 telephone-event/8000"));
    assert!(offer.contains("a=fmtp:101 0-16"));
    assert_eq!(drain(&mut out), [], "the glue sends the INVITE itself");
    assert_eq!(out.poll_timeout(), None);
    assert!(matches!(
        out.make_offer(ms(1), out_local(), CallPurpose::Fax),
        Err(CallError::InvalidState { .. })
    ));

    let mut sim = established(
        CallConfig::default(),
        CallConfig::default(),
        CallPurpose::Fax,
        1,
    );
    // The caller got exactly StartMedia (no ACK action: the glue ACKs the initial 2xx).
    let out_actions = sim.actions(Side::Out);
    assert!(
        matches!(out_actions[..], [(t, Action::StartMedia(_))] if t == OK_AT),
        "{out_actions:#?}"
    );
    assert!(sim.inb.media().is_some() && sim.out.media().is_some());
    // The receiver's CED window (3 s from its answer) and the sender's longer CNG window.
    assert_eq!(
        sim.inb.poll_timeout(),
        Some(ANSWER_AT + Duration::from_secs(3))
    );
    assert_eq!(sim.out.poll_timeout(), Some(OK_AT + DEFAULT_CNG_WINDOW));
    assert_eq!(DEFAULT_CNG_WINDOW, ms(10_500));

    // A retransmitted 2xx changes nothing.
    let now = sim.now;
    sim.out.on_invite_response(now, 200, None);
    assert_eq!(drain(&mut sim.out), []);
    assert!(!sim.out.is_finished());
}

#[test]
fn receivers_t38_reinvite_after_its_ced_window_is_accepted_by_the_sender() {
    let mut sim = established(
        CallConfig::default(),
        CallConfig::default(),
        CallPurpose::Fax,
        1,
    );
    // Tones on the sending side do not make it ask.
    let now = sim.now;
    sim.out.media_event(now, FaxToneHeard::Ced);
    sim.out.media_event(now, FaxToneHeard::V21Preamble);
    assert_eq!(drain(&mut sim.out), []);

    sim.run_until(Duration::from_secs(60));
    let ced_end = ANSWER_AT + Duration::from_secs(3);
    assert_eq!(sim.reinvites_sent(Side::In), [ced_end]);
    assert!(
        sim.reinvites_sent(Side::Out).is_empty(),
        "the sender never asked"
    );
    // The sender answered 200 with the image stream and switched; then the receiver did.
    let switched_at = |side| {
        sim.actions(side)
            .into_iter()
            .find(|(_, a)| matches!(a, Action::SwitchMedia(_)))
            .map(|(t, _)| t)
    };
    assert_eq!(switched_at(Side::Out), Some(ced_end + LATENCY));
    assert_eq!(switched_at(Side::In), Some(ced_end + LATENCY * 2));
    assert!(sim.actions(Side::Out).iter().any(|(_, a)| matches!(
        a,
        Action::SendResponse { txn: ServerTxn::Reinvite(1), status: 200, sdp: Some(sdp), .. }
            if m_lines(sdp) == ["m=audio 0 RTP/AVP 8 101", "m=image 30002 udptl t38"]
    )));
    assert_t38_both(&sim);
    // Nothing left to do on either side: the CNG window was closed by the switch.
    assert_eq!(sim.out.poll_timeout(), None);
    assert_eq!(sim.inb.poll_timeout(), None);
    assert!(!sim.out.is_finished() && !sim.inb.is_finished());
}

#[test]
fn glare_491_both_ways_the_call_id_owner_backs_off_longer() {
    for seed in 0..20 {
        let mut sim = established(
            CallConfig::default(),
            CallConfig::default(),
            CallPurpose::Fax,
            seed,
        );
        // The receiver's CED window ends at 3.2 s; the sender asks at the very same moment.
        let t = ANSWER_AT + Duration::from_secs(3);
        sim.run_until(t);
        sim.out.request_t38(t).unwrap();
        // Both re-INVITEs cross: each side answers 491 at t + 20 ms, each 491 arrives at
        // t + 40 ms.
        let got_491 = t + LATENCY * 2;
        sim.run_until(got_491);
        assert_eq!(sim.responses(Side::Out, 491), 1, "seed {seed}");
        assert_eq!(sim.responses(Side::In, 491), 1, "seed {seed}");
        let out_retry = sim.out.poll_timeout().expect("owner's retry scheduled");
        assert!(
            (got_491 + ms(2100)..=got_491 + Duration::from_secs(4)).contains(&out_retry),
            "seed {seed}: owner retries after {:?}",
            out_retry - got_491
        );

        sim.run_until(Duration::from_secs(60));
        let in_reinvites = sim.reinvites_sent(Side::In);
        let [first, retry] = in_reinvites[..] else {
            panic!("seed {seed}: receiver re-INVITEs {in_reinvites:?}");
        };
        assert_eq!(first, t);
        assert!(
            retry >= got_491 && retry <= got_491 + Duration::from_secs(2),
            "seed {seed}: the other side retries after {:?}",
            retry - got_491
        );
        // The receiver's retry arrived first and was accepted: the owner never re-sent.
        assert_eq!(sim.reinvites_sent(Side::Out), [t], "seed {seed}");
        assert_t38_both(&sim);
        assert_eq!(sim.out.poll_timeout(), None, "seed {seed}: retry cancelled");
        assert_eq!(sim.inb.poll_timeout(), None);
    }
}

#[test]
fn glare_when_the_other_side_gives_up_the_owner_retries_after_2_1_to_4_s() {
    for seed in 0..10 {
        let in_config = CallConfig {
            max_glare_retries: 0,
            ..CallConfig::default()
        };
        let mut sim = established(CallConfig::default(), in_config, CallPurpose::Fax, seed);
        let t = ANSWER_AT + Duration::from_secs(3);
        sim.run_until(t);
        sim.out.request_t38(t).unwrap();
        sim.run_until(Duration::from_secs(60));

        assert_eq!(sim.reinvites_sent(Side::In), [t], "seed {seed}");
        let out_reinvites = sim.reinvites_sent(Side::Out);
        let [_, retry] = out_reinvites[..] else {
            panic!("seed {seed}: caller re-INVITEs {out_reinvites:?}");
        };
        let got_491 = t + LATENCY * 2;
        assert!(
            (got_491 + ms(2100)..=got_491 + Duration::from_secs(4)).contains(&retry),
            "seed {seed}: retry after {:?}",
            retry - got_491
        );
        assert_t38_both(&sim);
    }
}

#[test]
fn sender_with_policy_request_asks_after_its_window_when_the_receiver_never_does() {
    let receiver = CallConfig {
        t38: T38Policy::Accept,
        ..CallConfig::default()
    };
    let mut sim = established(CallConfig::default(), receiver.clone(), CallPurpose::Fax, 3);
    let deadline = OK_AT + DEFAULT_CNG_WINDOW;
    sim.run_until(deadline - ms(1));
    assert!(sim.reinvites_sent(Side::Out).is_empty());
    sim.run_until(Duration::from_secs(60));
    assert_eq!(sim.reinvites_sent(Side::Out), [deadline]);
    assert!(sim.reinvites_sent(Side::In).is_empty());
    assert!(sim.actions(Side::Out).iter().any(|(_, a)| matches!(
        a,
        Action::SendReinvite { sdp, .. }
            if m_lines(sdp) == ["m=audio 0 RTP/AVP 8 101", "m=image 30002 udptl t38"]
    )));
    assert!(sim
        .actions(Side::Out)
        .iter()
        .any(|(_, a)| matches!(a, Action::SendAck { .. })));
    assert_t38_both(&sim);

    // A sender with policy Accept waits for ever and stays on G.711 with such a receiver.
    let sender = CallConfig {
        t38: T38Policy::Accept,
        ..CallConfig::default()
    };
    let mut sim = established(sender, receiver, CallPurpose::Fax, 3);
    sim.run_until(Duration::from_secs(120));
    assert!(sim.reinvites_sent(Side::Out).is_empty());
    assert!(sim.reinvites_sent(Side::In).is_empty());
    assert_eq!(sim.media(Side::Out).len(), 1);
    assert!(sim.out.media().unwrap().audio.is_some());
    assert!(!sim.out.is_finished());
}

#[test]
fn rejected_invite_terminates_without_bye_or_media() {
    for status in [404, 486, 503, 603] {
        let mut sim = calling(
            CallConfig::default(),
            CallConfig::default(),
            InitialOffer::Audio,
            1,
        );
        sim.inb.reject(sim.now, status).unwrap();
        sim.run_until(Duration::from_secs(40));
        assert_eq!(
            sim.actions(Side::Out)
                .into_iter()
                .map(|(_, a)| a.clone())
                .collect::<Vec<_>>(),
            [Action::Terminated(Reason::Rejected(status))]
        );
        assert!(sim.out.is_finished());
        assert!(sim.out.media().is_none());
        assert_eq!(sim.out.poll_timeout(), None);
        // Late input changes nothing.
        sim.out.hangup(sim.now);
        sim.out.on_invite_response(sim.now, 200, None);
        assert_eq!(drain(&mut sim.out), []);
    }
}

#[test]
fn unusable_answer_in_the_2xx_gets_bye_and_bad_answer() {
    const ALL_REJECTED: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 0 RTP/AVP 8\r\n";
    const TWO_M_LINES: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 10000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\nm=image 4000 udptl t38\r\n";
    const G729_ONLY: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 10000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
    let bodies: [Option<&[u8]>; 5] = [
        None,
        Some(b"this is not SDP\r\n"),
        Some(ALL_REJECTED.as_bytes()),
        Some(TWO_M_LINES.as_bytes()),
        Some(G729_ONLY.as_bytes()),
    ];
    for body in bodies {
        let mut call = Call::new_outbound(CALL_ID, CallConfig::default(), 1);
        call.make_offer(Duration::ZERO, out_local(), CallPurpose::Fax)
            .unwrap();
        // Provisional responses, even with (early media) SDP, change nothing.
        call.on_invite_response(ms(50), 100, None);
        call.on_invite_response(ms(80), 183, Some(G729_ONLY.as_bytes()));
        assert_eq!(drain(&mut call), []);
        call.on_invite_response(ms(300), 200, body);
        assert_eq!(
            drain(&mut call),
            [Action::SendBye, Action::Terminated(Reason::BadAnswer)],
            "{:?}",
            body.map(String::from_utf8_lossy)
        );
        assert!(
            call.media().is_none_or(NegotiatedMedia::is_empty),
            "no media in force"
        );
        assert_eq!(call.poll_timeout(), None);
    }
}

#[test]
fn bye_from_the_caller() {
    let mut sim = established(
        CallConfig::default(),
        CallConfig::default(),
        CallPurpose::Fax,
        1,
    );
    sim.run_until(Duration::from_secs(2));
    sim.out.hangup(sim.now);
    sim.run_until(Duration::from_secs(60));
    assert_eq!(sim.terminated(Side::Out), Some(Reason::LocalHangup));
    assert_eq!(sim.terminated(Side::In), Some(Reason::RemoteBye));
    assert_eq!(
        sim.responses(Side::In, 200),
        2,
        "the INVITE's 200 and the BYE's"
    );
    assert!(
        sim.reinvites_sent(Side::In).is_empty(),
        "the CED window died with the call"
    );
    assert!(sim.out.poll_timeout().is_none() && sim.inb.poll_timeout().is_none());
}

#[test]
fn bye_from_the_callee_during_t38() {
    let mut sim = established(
        CallConfig::default(),
        CallConfig::default(),
        CallPurpose::Fax,
        1,
    );
    sim.run_until(Duration::from_secs(30));
    assert_t38_both(&sim);
    sim.inb.hangup(sim.now);
    sim.run_until(Duration::from_secs(60));
    assert_eq!(sim.terminated(Side::In), Some(Reason::LocalHangup));
    assert_eq!(sim.terminated(Side::Out), Some(Reason::RemoteBye));
    assert!(sim.actions(Side::Out).iter().any(|(_, a)| matches!(
        a,
        Action::SendResponse {
            txn: ServerTxn::Bye,
            status: 200,
            ..
        }
    )));
    assert!(sim.out.poll_timeout().is_none() && sim.inb.poll_timeout().is_none());
}

#[test]
fn hangup_before_the_answer_cancels_the_invite() {
    let mut sim = calling(
        CallConfig::default(),
        CallConfig::default(),
        InitialOffer::Audio,
        1,
    );
    sim.out.hangup(sim.now);
    assert_eq!(drain(&mut sim.out), [Action::SendCancel]);
    // A second hang-up does not CANCEL again.
    sim.out.hangup(sim.now);
    assert_eq!(drain(&mut sim.out), []);
    sim.send(Side::In, Msg::Cancel);
    sim.run_until(Duration::from_secs(60));
    assert_eq!(sim.terminated(Side::In), Some(Reason::Cancelled));
    assert_eq!(sim.responses(Side::In, 487), 1);
    assert_eq!(sim.terminated(Side::Out), Some(Reason::LocalHangup));
    assert!(sim.media(Side::Out).is_empty());

    // Before the INVITE went out at all, a hang-up just ends the call.
    let mut call = Call::new_outbound(CALL_ID, CallConfig::default(), 1);
    call.hangup(Duration::ZERO);
    assert_eq!(drain(&mut call), [Action::Terminated(Reason::LocalHangup)]);
}

#[test]
fn a_2xx_crossing_our_cancel_is_acked_and_ended_with_bye() {
    let mut sim = calling(
        CallConfig::default(),
        CallConfig::default(),
        InitialOffer::Audio,
        1,
    );
    // The callee answers at the moment the caller gives up.
    let now = sim.now;
    sim.inb.answer(now, in_local(), CallPurpose::Fax).unwrap();
    sim.out.hangup(now);
    sim.run_until(Duration::from_secs(60));
    let out_actions: Vec<Action> = sim
        .actions(Side::Out)
        .into_iter()
        .map(|(_, a)| a.clone())
        .collect();
    assert_eq!(
        out_actions,
        [
            Action::SendCancel,
            Action::SendBye,
            Action::Terminated(Reason::LocalHangup)
        ]
    );
    // The callee ignored the late CANCEL, got the glue's ACK, then the BYE.
    assert_eq!(sim.terminated(Side::In), Some(Reason::RemoteBye));
    assert_eq!(sim.responses(Side::In, 487), 0);
}

#[test]
fn a_cancelled_invite_without_final_response_gives_up_after_32_s() {
    let mut call = Call::new_outbound(CALL_ID, CallConfig::default(), 1);
    call.make_offer(Duration::ZERO, out_local(), CallPurpose::Voice)
        .unwrap();
    call.on_invite_response(ms(40), 180, None);
    call.hangup(ms(1000));
    assert_eq!(drain(&mut call), [Action::SendCancel]);
    let deadline = ms(1000) + Duration::from_secs(32);
    assert_eq!(call.poll_timeout(), Some(deadline));
    call.on_timeout(deadline - ms(1));
    assert_eq!(drain(&mut call), []);
    call.on_timeout(deadline);
    assert_eq!(drain(&mut call), [Action::Terminated(Reason::LocalHangup)]);
}

#[test]
fn t38_in_the_initial_offer() {
    // Audio + image: the callee keeps both (audio_with_t38), nobody re-INVITEs afterwards.
    let mut sim = calling(
        CallConfig::default(),
        CallConfig::default(),
        InitialOffer::AudioAndT38,
        1,
    );
    let now = sim.now;
    sim.inb.answer(now, in_local(), CallPurpose::Fax).unwrap();
    sim.run_until(Duration::from_secs(60));
    let out_media = sim.media(Side::Out);
    let [m] = out_media[..] else {
        panic!("{out_media:#?}");
    };
    assert_eq!(m.audio.as_ref().unwrap().remote, addr("203.0.113.5:40000"));
    assert_eq!(m.t38.as_ref().unwrap().remote, addr("203.0.113.5:40002"));
    let in_media = sim.media(Side::In);
    assert_eq!(
        in_media[0].t38.as_ref().unwrap().remote,
        addr("198.51.100.20:30002")
    );
    assert!(sim.reinvites_sent(Side::Out).is_empty() && sim.reinvites_sent(Side::In).is_empty());
    assert_eq!(sim.out.poll_timeout(), None);

    let mut out = Call::new_outbound(CALL_ID, CallConfig::default(), 1);
    let offer = out
        .make_offer_with(
            Duration::ZERO,
            out_local(),
            CallPurpose::Fax,
            InitialOffer::AudioAndT38,
        )
        .unwrap();
    assert_eq!(
        m_lines(&offer),
        ["m=audio 30000 RTP/AVP 8 0 101", "m=image 30002 udptl t38"]
    );
    assert!(offer.contains("a=T38FaxUdpEC:t38UDPRedundancy"));

    // T.38 only.
    let mut out = Call::new_outbound(CALL_ID, CallConfig::default(), 1);
    let offer = out
        .make_offer_with(
            Duration::ZERO,
            out_local(),
            CallPurpose::Fax,
            InitialOffer::T38Only,
        )
        .unwrap();
    assert_eq!(m_lines(&offer), ["m=image 30002 udptl t38"]);
    let mut sim = calling(
        CallConfig::default(),
        CallConfig::default(),
        InitialOffer::T38Only,
        1,
    );
    let now = sim.now;
    sim.inb.answer(now, in_local(), CallPurpose::Fax).unwrap();
    sim.run_until(Duration::from_secs(60));
    assert_t38_both(&sim);

    // A callee that refuses T.38 in the initial INVITE answers 488: the call is rejected.
    let strict = CallConfig {
        t38_in_initial_offer: false,
        ..CallConfig::default()
    };
    let mut sim = calling(CallConfig::default(), strict, InitialOffer::T38Only, 1);
    let now = sim.now;
    sim.inb.answer(now, in_local(), CallPurpose::Fax).unwrap();
    sim.run_until(Duration::from_secs(60));
    assert_eq!(sim.terminated(Side::Out), Some(Reason::Rejected(488)));

    // Policy Off forbids offering T.38; offers belong to outbound calls only.
    let off = CallConfig {
        t38: T38Policy::Off,
        ..CallConfig::default()
    };
    let mut out = Call::new_outbound(CALL_ID, off, 1);
    for offer in [InitialOffer::AudioAndT38, InitialOffer::T38Only] {
        assert_eq!(
            out.make_offer_with(Duration::ZERO, out_local(), CallPurpose::Fax, offer),
            Err(CallError::T38NotAllowed)
        );
    }
    let mut inbound = Call::new_inbound(CALL_ID, CallConfig::default(), 1);
    assert!(matches!(
        inbound.make_offer(Duration::ZERO, out_local(), CallPurpose::Fax),
        Err(CallError::InvalidState { .. })
    ));
}

#[test]
fn outbound_call_ignores_inbound_only_inputs_and_refuses_early_reinvites() {
    let mut call = Call::new_outbound(CALL_ID, CallConfig::default(), 1);
    call.on_invite(Duration::ZERO, None);
    assert_eq!(drain(&mut call), []);
    assert!(matches!(
        call.answer(ms(1), out_local(), CallPurpose::Fax),
        Err(CallError::InvalidState { .. })
    ));
    call.make_offer(ms(2), out_local(), CallPurpose::Fax)
        .unwrap();
    call.on_cancel(ms(3));
    assert_eq!(drain(&mut call), []);
    // A re-INVITE while our INVITE is in progress: 491 (RFC 3261 §14.2).
    call.on_reinvite(ms(4), 7, None);
    assert!(matches!(
        drain(&mut call)[..],
        [Action::SendResponse {
            txn: ServerTxn::Reinvite(7),
            status: 491,
            ..
        }]
    ));
    assert!(!call.is_finished());
}
