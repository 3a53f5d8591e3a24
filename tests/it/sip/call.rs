//! Call control (`faxvox::sip::call`) driven with simulated time and Asterisk-style SDP: the
//! T.38 switch in both directions, glare, refusals, SDP-less re-INVITEs and teardown races.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use faxvox::media::MediaConfig;
use faxvox::sip::call::{
    Action, Call, CallConfig, CallError, CallPurpose, ClientTxn, FaxToneHeard, Reason, ServerTxn,
    T38Policy,
};
use faxvox::sip::sdp::{LocalMedia, NegotiatedMedia};
use faxvox_codecs::g711::Law;

use crate::support::sdp_samples;
use sdp_samples::{ASTERISK_BACK_TO_AUDIO, ASTERISK_OFFER, ASTERISK_T38_REINVITE};

const LOCAL_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 5));
const CALL_ID: &str = "a84b4c76e66710@pc33.example.com";

fn local() -> LocalMedia {
    LocalMedia::new(LOCAL_IP, 40000, 40002, 4242, &MediaConfig::default())
}

/// Test SDPs are written with `\n`; SIP carries `\r\n`.
fn crlf(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn m_lines(sdp: &str) -> Vec<&str> {
    sdp.lines().filter(|l| l.starts_with("m=")).collect()
}

/// Asterisk's 200 to *our* T.38 offer (`m=audio 0 …` + `m=image 40002 udptl t38`).
const ASTERISK_T38_ANSWER: &str = "v=0
o=- 1716395425 1716395426 IN IP4 192.0.2.10
s=Asterisk
c=IN IP4 192.0.2.10
t=0 0
m=audio 0 RTP/AVP 0
m=image 4000 udptl t38
a=T38FaxVersion:0
a=T38MaxBitRate:14400
a=T38FaxRateManagement:transferredTCF
a=T38FaxMaxDatagram:400
a=T38FaxUdpEC:t38UDPRedundancy
";

/// The peer's answer (in the ACK) to our SDP-less-re-INVITE offer: same codec, new RTP port.
const ASTERISK_AUDIO_ANSWER_NEW_PORT: &str = "v=0
o=- 1716395425 1716395426 IN IP4 192.0.2.10
s=Asterisk
c=IN IP4 192.0.2.10
t=0 0
m=audio 10002 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendrecv
";

/// FreeSWITCH-style initial INVITE already offering T.38 next to the audio.
const INITIAL_AUDIO_PLUS_IMAGE: &str = "v=0
o=FreeSWITCH 1716380000 1716380001 IN IP4 198.51.100.7
s=FreeSWITCH
c=IN IP4 198.51.100.7
t=0 0
m=audio 16384 RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
m=image 16386 udptl t38
a=T38FaxVersion:0
a=T38MaxBitRate:14400
a=T38FaxRateManagement:transferredTCF
a=T38FaxMaxDatagram:400
a=T38FaxUdpEC:t38UDPRedundancy
";

/// Not SDP at all: a syntax error (400).
const GARBAGE_SDP: &str = "this is not SDP\n";

/// Parses, but the connection address is a host name we cannot send to (488).
const FQDN_CONNECTION: &str = "v=0
o=- 1 1 IN IP4 192.0.2.10
s=-
c=IN IP4 pbx.example.com
t=0 0
m=audio 10000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
";

/// The moment the app answers and the moment the caller's ACK arrives, in every test.
const ANSWER_AT: Duration = Duration::from_millis(200);
const ACK_AT: Duration = Duration::from_millis(260);

fn drain(call: &mut Call) -> Vec<Action> {
    std::iter::from_fn(|| call.poll_action()).collect()
}

fn fax_config() -> CallConfig {
    CallConfig::default()
}

/// An inbound call answered at [`ANSWER_AT`] (G.711) and ACKed at [`ACK_AT`]; the actions up
/// to there are checked and drained.
fn answered(config: CallConfig, line: CallPurpose, seed: u64) -> Call {
    let mut call = Call::new_inbound(CALL_ID, config, seed);
    call.on_invite(Duration::ZERO, Some(&crlf(ASTERISK_OFFER)));
    call.answer(ANSWER_AT, local(), line).unwrap();
    let actions = drain(&mut call);
    assert_eq!(actions.len(), 3, "{actions:#?}");
    assert!(matches!(
        actions[0],
        Action::SendResponse {
            txn: ServerTxn::Invite,
            status: 100,
            ..
        }
    ));
    let Action::SendResponse {
        txn: ServerTxn::Invite,
        status: 200,
        sdp: Some(sdp),
        ..
    } = &actions[1]
    else {
        panic!("expected 200 with SDP, got {:?}", actions[1]);
    };
    assert_eq!(m_lines(sdp), ["m=audio 40000 RTP/AVP 0 101"]);
    let Action::StartMedia(media) = &actions[2] else {
        panic!("expected StartMedia, got {:?}", actions[2]);
    };
    assert_audio(media, "192.0.2.10:10000");
    call.on_ack(ACK_AT, ServerTxn::Invite, None);
    assert_eq!(drain(&mut call), []);
    call
}

fn assert_audio(media: &NegotiatedMedia, remote: &str) {
    let audio = media.audio.as_ref().expect("audio active");
    assert_eq!(audio.remote, addr(remote));
    assert_eq!((audio.law, audio.payload_type), (Law::Ulaw, 0));
    assert!(media.t38.is_none());
}

fn assert_t38(media: &NegotiatedMedia, remote: &str) {
    assert_eq!(
        media.t38.as_ref().expect("T.38 active").remote,
        addr(remote)
    );
    assert!(media.audio.is_none());
}

/// Runs the clock to the CED deadline and returns our T.38 re-INVITE.
fn our_t38_reinvite(call: &mut Call) -> (ClientTxn, String) {
    let at = call.poll_timeout().expect("CED window running");
    call.on_timeout(at);
    match drain(call).as_slice() {
        [Action::SendReinvite { txn, sdp }] => (*txn, sdp.clone()),
        other => panic!("expected our re-INVITE, got {other:#?}"),
    }
}

fn expect_single_response(call: &mut Call, txn: ServerTxn, status: u16) -> Option<String> {
    match drain(call).as_slice() {
        [Action::SendResponse {
            txn: t,
            status: s,
            sdp,
            ..
        }] if *t == txn && *s == status => sdp.clone(),
        other => panic!("expected {status} on {txn:?}, got {other:#?}"),
    }
}

#[test]
fn peer_t38_reinvite_within_ced_window_is_answered_with_image() {
    let mut call = answered(fax_config(), CallPurpose::Fax, 1);
    assert_eq!(
        call.poll_timeout(),
        Some(ANSWER_AT + Duration::from_secs(3))
    );

    call.on_reinvite(ms(1500), 2, Some(&crlf(ASTERISK_T38_REINVITE)));
    let actions = drain(&mut call);
    let [Action::SendResponse {
        txn: ServerTxn::Reinvite(2),
        status: 200,
        reason: "OK",
        sdp: Some(sdp),
    }, Action::SwitchMedia(media)] = actions.as_slice()
    else {
        panic!("expected 200 + SwitchMedia, got {actions:#?}");
    };
    assert_eq!(
        m_lines(sdp),
        ["m=audio 0 RTP/AVP 0 8 101", "m=image 40002 udptl t38"]
    );
    assert_t38(media, "192.0.2.10:4000");

    // The re-INVITE's ACK changes nothing, and the CED window no longer runs: no request of
    // our own, no timer left.
    call.on_ack(ms(1560), ServerTxn::Reinvite(2), None);
    assert_eq!(drain(&mut call), []);
    assert_eq!(call.poll_timeout(), None);
    call.on_timeout(ms(3200));
    assert_eq!(drain(&mut call), []);
    assert_t38(call.media().unwrap(), "192.0.2.10:4000");
}

#[test]
fn no_peer_reinvite_we_send_ours_at_exactly_3_s() {
    let mut call = answered(fax_config(), CallPurpose::Fax, 1);
    let deadline = ANSWER_AT + Duration::from_secs(3);
    assert_eq!(call.poll_timeout(), Some(deadline));
    call.on_timeout(deadline - ms(1));
    assert_eq!(drain(&mut call), []);

    call.on_timeout(deadline);
    let actions = drain(&mut call);
    let [Action::SendReinvite { txn, sdp }] = actions.as_slice() else {
        panic!("expected our re-INVITE, got {actions:#?}");
    };
    assert_eq!(
        m_lines(sdp),
        ["m=audio 0 RTP/AVP 0 101", "m=image 40002 udptl t38"]
    );
    assert!(sdp.contains("a=T38FaxUdpEC:t38UDPRedundancy"));

    call.on_response(deadline + ms(20), *txn, 100, None);
    assert_eq!(drain(&mut call), []);
    call.on_response(
        deadline + ms(80),
        *txn,
        200,
        Some(&crlf(ASTERISK_T38_ANSWER)),
    );
    let actions = drain(&mut call);
    let [Action::SendAck {
        txn: acked,
        sdp: None,
    }, Action::SwitchMedia(media)] = actions.as_slice()
    else {
        panic!("expected ACK + SwitchMedia, got {actions:#?}");
    };
    assert_eq!(acked, txn);
    assert_t38(media, "192.0.2.10:4000");
    assert_eq!(call.poll_timeout(), None);

    // A retransmitted 2xx is ACKed again and changes nothing else.
    call.on_response(
        deadline + ms(580),
        *txn,
        200,
        Some(&crlf(ASTERISK_T38_ANSWER)),
    );
    assert_eq!(
        drain(&mut call),
        [Action::SendAck {
            txn: *txn,
            sdp: None
        }]
    );
}

#[test]
fn t38_refused_with_488_keeps_audio_and_never_asks_again() {
    for status in [488, 415, 606] {
        let mut call = answered(fax_config(), CallPurpose::Fax, 1);
        let (txn, _) = our_t38_reinvite(&mut call);
        call.on_response(ms(3300), txn, status, None);
        assert_eq!(drain(&mut call), [], "{status}: no media change, no retry");
        assert_audio(call.media().unwrap(), "192.0.2.10:10000");
        assert_eq!(call.poll_timeout(), None);
        // Neither the app nor a V.21 preamble brings the request back.
        call.request_t38(ms(4000)).unwrap();
        call.media_event(ms(4100), FaxToneHeard::V21Preamble);
        assert_eq!(drain(&mut call), []);

        // The peer's next re-INVITE still gets a proper SDP answer (FreeSWITCH PR #66).
        call.on_reinvite(ms(5000), 3, Some(&crlf(ASTERISK_OFFER)));
        let sdp =
            expect_single_response(&mut call, ServerTxn::Reinvite(3), 200).expect("200 with SDP");
        assert_eq!(m_lines(&sdp), ["m=audio 40000 RTP/AVP 0 101"]);
        assert!(!call.is_finished());
    }
}

#[test]
fn glare_491_both_ways_then_retry_within_0_to_2_s_succeeds() {
    for seed in 0..20 {
        let mut call = answered(fax_config(), CallPurpose::Fax, seed);
        let (first, _) = our_t38_reinvite(&mut call);
        let sent_at = ANSWER_AT + Duration::from_secs(3);

        // The peer's re-INVITE crosses ours: 491, the session is untouched.
        call.on_reinvite(sent_at + ms(10), 9, Some(&crlf(ASTERISK_T38_REINVITE)));
        assert_eq!(
            expect_single_response(&mut call, ServerTxn::Reinvite(9), 491),
            None
        );
        assert_audio(call.media().unwrap(), "192.0.2.10:10000");

        // Theirs to ours: we are not the Call-ID owner, so 0–2 s.
        let got_491 = sent_at + ms(40);
        call.on_response(got_491, first, 491, None);
        assert_eq!(drain(&mut call), []);
        let retry = call.poll_timeout().expect("retry scheduled");
        assert!(
            retry >= got_491 && retry <= got_491 + Duration::from_secs(2),
            "seed {seed}: retry after {:?}",
            retry - got_491
        );
        if retry > got_491 {
            call.on_timeout(retry - ms(1).min(retry - got_491));
            assert_eq!(drain(&mut call), [], "seed {seed}: not before the delay");
        }
        call.on_timeout(retry);
        let actions = drain(&mut call);
        let [Action::SendReinvite { txn: second, sdp }] = actions.as_slice() else {
            panic!("seed {seed}: expected the retry, got {actions:#?}");
        };
        assert_ne!(*second, first);
        assert!(sdp.contains("m=image 40002 udptl t38"));
        call.on_response(
            retry + ms(50),
            *second,
            200,
            Some(&crlf(ASTERISK_T38_ANSWER)),
        );
        let actions = drain(&mut call);
        assert!(
            matches!(actions.as_slice(), [Action::SendAck { .. }, Action::SwitchMedia(m)] if m.t38.is_some()),
            "seed {seed}: {actions:#?}"
        );
    }
}

#[test]
fn repeated_491_gives_up_after_the_retry_cap() {
    let mut call = answered(fax_config(), CallPurpose::Fax, 5);
    let (mut txn, _) = our_t38_reinvite(&mut call);
    let mut now = ANSWER_AT + Duration::from_secs(3);
    for _ in 0..2 {
        now += ms(30);
        call.on_response(now, txn, 491, None);
        assert_eq!(drain(&mut call), []);
        now = call.poll_timeout().unwrap();
        call.on_timeout(now);
        let actions = drain(&mut call);
        let [Action::SendReinvite { txn: next, .. }] = actions.as_slice() else {
            panic!("expected a retry, got {actions:#?}");
        };
        txn = *next;
    }
    call.on_response(now + ms(30), txn, 491, None);
    assert_eq!(drain(&mut call), []);
    assert_eq!(call.poll_timeout(), None, "no third retry");
    assert_audio(call.media().unwrap(), "192.0.2.10:10000");
    assert!(!call.is_finished());
}

#[test]
fn peer_t38_reinvite_during_491_backoff_is_answered_and_cancels_the_retry() {
    let mut call = answered(fax_config(), CallPurpose::Fax, 3);
    let (txn, _) = our_t38_reinvite(&mut call);
    call.on_response(ms(3300), txn, 491, None);
    call.on_reinvite(ms(3310), 4, Some(&crlf(ASTERISK_T38_REINVITE)));
    let actions = drain(&mut call);
    assert!(
        matches!(actions.as_slice(), [Action::SendResponse { status: 200, .. }, Action::SwitchMedia(m)] if m.t38.is_some()),
        "{actions:#?}"
    );
    call.on_ack(ms(3330), ServerTxn::Reinvite(4), None);
    assert_eq!(call.poll_timeout(), None);
    call.on_timeout(ms(6000));
    assert_eq!(drain(&mut call), [], "no retry once T.38 is up");
}

#[test]
fn reinvite_without_sdp_offers_in_200_and_takes_the_answer_from_the_ack() {
    let mut call = answered(fax_config(), CallPurpose::Fax, 1);
    call.on_reinvite(ms(1000), 5, None);
    let offer = expect_single_response(&mut call, ServerTxn::Reinvite(5), 200)
        .expect("our offer in the 200");
    assert_eq!(m_lines(&offer), ["m=audio 40000 RTP/AVP 0 101"]);
    // Our offer is pending until the ACK: no re-INVITE of ours may start at the CED deadline.
    call.on_timeout(ANSWER_AT + Duration::from_secs(3));
    assert_eq!(drain(&mut call), []);

    call.on_ack(
        ms(3400),
        ServerTxn::Reinvite(5),
        Some(&crlf(ASTERISK_AUDIO_ANSWER_NEW_PORT)),
    );
    let actions = drain(&mut call);
    // The deferred T.38 request goes out once the exchange is complete.
    let [Action::SwitchMedia(media), Action::SendReinvite { .. }] = actions.as_slice() else {
        panic!("expected SwitchMedia + our deferred re-INVITE, got {actions:#?}");
    };
    assert_audio(media, "192.0.2.10:10002");
}

#[test]
fn session_refresh_during_t38_is_a_refresh_not_a_switch() {
    let mut call = answered(fax_config(), CallPurpose::Fax, 1);
    call.on_reinvite(ms(1000), 2, Some(&crlf(ASTERISK_T38_REINVITE)));
    drain(&mut call);
    call.on_ack(ms(1050), ServerTxn::Reinvite(2), None);

    // Same offer again (a session-timer refresh): 200 with the image stream, no media action.
    call.on_reinvite(ms(1_800_000), 3, Some(&crlf(ASTERISK_T38_REINVITE)));
    let sdp = expect_single_response(&mut call, ServerTxn::Reinvite(3), 200).unwrap();
    assert_eq!(
        m_lines(&sdp),
        ["m=audio 0 RTP/AVP 0 8 101", "m=image 40002 udptl t38"]
    );
    call.on_ack(ms(1_800_050), ServerTxn::Reinvite(3), None);

    // SDP-less refresh: our offer re-offers the active image stream, the ACK answers it.
    call.on_reinvite(ms(3_600_000), 4, None);
    let offer = expect_single_response(&mut call, ServerTxn::Reinvite(4), 200).unwrap();
    assert!(offer.contains("m=image 40002 udptl t38"), "{offer}");
    call.on_ack(
        ms(3_600_050),
        ServerTxn::Reinvite(4),
        Some(&crlf(ASTERISK_T38_ANSWER)),
    );
    assert_eq!(drain(&mut call), []);
    assert_t38(call.media().unwrap(), "192.0.2.10:4000");

    // After the fax the peer goes back to audio: a switch, and we do not ask for T.38 again.
    call.on_reinvite(ms(3_700_000), 5, Some(&crlf(ASTERISK_BACK_TO_AUDIO)));
    let actions = drain(&mut call);
    let [Action::SendResponse {
        status: 200,
        sdp: Some(sdp),
        ..
    }, Action::SwitchMedia(media)] = actions.as_slice()
    else {
        panic!("{actions:#?}");
    };
    assert_eq!(
        m_lines(sdp),
        ["m=audio 40000 RTP/AVP 0 101", "m=image 0 udptl t38"]
    );
    assert_audio(media, "192.0.2.10:10000");
    assert_eq!(
        call.poll_timeout(),
        Some(ms(3_700_000) + Duration::from_secs(32))
    );
    call.on_ack(ms(3_700_050), ServerTxn::Reinvite(5), None);
    assert_eq!(call.poll_timeout(), None);
}

#[test]
fn bye_while_our_reinvite_is_pending_answers_200_and_terminates() {
    let mut call = answered(fax_config(), CallPurpose::Fax, 1);
    let (txn, _) = our_t38_reinvite(&mut call);
    call.on_bye(ms(3300));
    assert_eq!(
        drain(&mut call),
        [
            Action::SendResponse {
                txn: ServerTxn::Bye,
                status: 200,
                reason: "OK",
                sdp: None
            },
            Action::Terminated(Reason::RemoteBye)
        ]
    );
    assert!(call.is_finished());
    // The late 481 (or even 200) to our re-INVITE and every later input do nothing.
    call.on_response(ms(3320), txn, 481, None);
    call.on_response(ms(3320), txn, 200, Some(&crlf(ASTERISK_T38_ANSWER)));
    call.on_reinvite(ms(3330), 7, Some(&crlf(ASTERISK_T38_REINVITE)));
    call.on_timeout(ms(60_000));
    call.hangup(ms(60_000));
    assert_eq!(drain(&mut call), []);
    assert_eq!(call.poll_timeout(), None);
}

#[test]
fn a_481_to_our_reinvite_terminates_without_bye() {
    let mut call = answered(fax_config(), CallPurpose::Fax, 1);
    let (txn, _) = our_t38_reinvite(&mut call);
    call.on_response(ms(3300), txn, 481, None);
    assert_eq!(drain(&mut call), [Action::Terminated(Reason::DialogGone)]);
    assert_eq!(call.poll_timeout(), None);
}

#[test]
fn malformed_sdp_in_invite_gets_400_or_488_and_no_media() {
    for (sdp, status) in [(GARBAGE_SDP, 400), (FQDN_CONNECTION, 488)] {
        let mut call = Call::new_inbound(CALL_ID, fax_config(), 1);
        call.on_invite(Duration::ZERO, Some(&crlf(sdp)));
        assert_eq!(
            drain(&mut call),
            [
                Action::SendResponse {
                    txn: ServerTxn::Invite,
                    status,
                    reason: if status == 400 {
                        "Bad Request"
                    } else {
                        "Not Acceptable Here"
                    },
                    sdp: None
                },
                Action::Terminated(Reason::BadOffer(status))
            ]
        );
        // The app cannot answer it any more; no media is ever started.
        assert!(matches!(
            call.answer(ANSWER_AT, local(), CallPurpose::Fax),
            Err(CallError::InvalidState { .. })
        ));
        assert_eq!(drain(&mut call), []);
        assert!(call.media().is_none());
    }
}

#[test]
fn malformed_sdp_in_reinvite_keeps_the_session() {
    let mut call = answered(fax_config(), CallPurpose::Fax, 1);
    call.on_reinvite(ms(1000), 2, Some(&crlf(GARBAGE_SDP)));
    assert_eq!(
        expect_single_response(&mut call, ServerTxn::Reinvite(2), 400),
        None
    );
    assert_audio(call.media().unwrap(), "192.0.2.10:10000");
    assert!(!call.is_finished());
}

#[test]
fn missing_ack_ends_the_call_with_bye_after_32_s() {
    let mut call = Call::new_inbound(CALL_ID, fax_config(), 1);
    call.on_invite(Duration::ZERO, Some(&crlf(ASTERISK_OFFER)));
    call.answer(ANSWER_AT, local(), CallPurpose::Fax).unwrap();
    drain(&mut call);
    // The CED window ends first, but no re-INVITE goes out on an unconfirmed dialog.
    assert_eq!(
        call.poll_timeout(),
        Some(ANSWER_AT + Duration::from_secs(3))
    );
    call.on_timeout(ANSWER_AT + Duration::from_secs(3));
    assert_eq!(drain(&mut call), []);

    let h = ANSWER_AT + Duration::from_secs(32);
    assert_eq!(call.poll_timeout(), Some(h));
    call.on_timeout(h - ms(1));
    assert_eq!(drain(&mut call), []);
    call.on_timeout(h);
    assert_eq!(
        drain(&mut call),
        [Action::SendBye, Action::Terminated(Reason::AckTimeout)]
    );
}

#[test]
fn the_ack_of_a_reinvite_does_not_confirm_the_initial_invite() {
    // The caller's re-INVITE overtakes its own lost initial ACK.
    let mut call = Call::new_inbound(CALL_ID, fax_config(), 1);
    call.on_invite(Duration::ZERO, Some(&crlf(ASTERISK_OFFER)));
    call.answer(ANSWER_AT, local(), CallPurpose::Fax).unwrap();
    drain(&mut call);
    call.on_reinvite(ms(1000), 2, Some(&crlf(ASTERISK_T38_REINVITE)));
    assert_eq!(drain(&mut call).len(), 2);
    call.on_ack(ms(1050), ServerTxn::Reinvite(2), None);
    // A retransmitted ACK for it is ignored as well.
    call.on_ack(ms(1060), ServerTxn::Reinvite(2), None);
    assert_eq!(drain(&mut call), []);
    // The initial INVITE is still unACKed: Timer H still runs for it.
    assert_eq!(
        call.poll_timeout(),
        Some(ANSWER_AT + Duration::from_secs(32))
    );
    call.on_timeout(ANSWER_AT + Duration::from_secs(32));
    assert_eq!(
        drain(&mut call),
        [Action::SendBye, Action::Terminated(Reason::AckTimeout)]
    );
}

#[test]
fn policy_off_answers_peer_t38_with_488_and_audio_continues() {
    let config = CallConfig {
        t38: T38Policy::Off,
        ..CallConfig::default()
    };
    let mut call = answered(config, CallPurpose::Fax, 1);
    assert_eq!(call.poll_timeout(), None, "no CED window: we never ask");
    call.on_reinvite(ms(1000), 2, Some(&crlf(ASTERISK_T38_REINVITE)));
    assert_eq!(
        expect_single_response(&mut call, ServerTxn::Reinvite(2), 488),
        None
    );
    assert_audio(call.media().unwrap(), "192.0.2.10:10000");
    assert_eq!(call.request_t38(ms(2000)), Err(CallError::T38NotAllowed));
    call.on_timeout(ms(10_000));
    assert_eq!(drain(&mut call), []);
    assert!(!call.is_finished());
}

#[test]
fn policy_accept_answers_t38_but_never_asks() {
    let config = CallConfig {
        t38: T38Policy::Accept,
        ..CallConfig::default()
    };
    let mut call = answered(config, CallPurpose::Fax, 1);
    let ced = call.poll_timeout().expect("the window runs for the peer");
    call.on_timeout(ced);
    assert_eq!(drain(&mut call), [], "no re-INVITE of ours");
    call.on_reinvite(ms(5000), 2, Some(&crlf(ASTERISK_T38_REINVITE)));
    let actions = drain(&mut call);
    assert!(
        matches!(actions.as_slice(), [Action::SendResponse { status: 200, .. }, Action::SwitchMedia(m)] if m.t38.is_some()),
        "{actions:#?}"
    );
}

#[test]
fn cancel_before_answer_gets_487_and_terminates() {
    let mut call = Call::new_inbound(CALL_ID, fax_config(), 1);
    call.on_invite(Duration::ZERO, Some(&crlf(ASTERISK_OFFER)));
    call.ring(ms(10)).unwrap();
    drain(&mut call);
    call.on_cancel(ms(500));
    assert_eq!(
        drain(&mut call),
        [
            Action::SendResponse {
                txn: ServerTxn::Invite,
                status: 487,
                reason: "Request Terminated",
                sdp: None
            },
            Action::Terminated(Reason::Cancelled)
        ]
    );
    assert!(call.answer(ms(600), local(), CallPurpose::Fax).is_err());
    assert_eq!(drain(&mut call), []);
}

#[test]
fn reject_after_routing() {
    let mut call = Call::new_inbound(CALL_ID, fax_config(), 1);
    call.on_invite(Duration::ZERO, Some(&crlf(ASTERISK_OFFER)));
    drain(&mut call);
    call.reject(ms(5), 404).unwrap();
    assert_eq!(
        drain(&mut call),
        [
            Action::SendResponse {
                txn: ServerTxn::Invite,
                status: 404,
                reason: "Not Found",
                sdp: None
            },
            Action::Terminated(Reason::Rejected(404))
        ]
    );
}

#[test]
fn maximum_duration_ends_the_call_with_bye() {
    let config = CallConfig {
        t38: T38Policy::Off,
        max_duration: Some(Duration::from_secs(600)),
        ..CallConfig::default()
    };
    let mut call = answered(config, CallPurpose::Voice, 1);
    let end = ANSWER_AT + Duration::from_secs(600);
    assert_eq!(call.poll_timeout(), Some(end));
    call.on_timeout(end);
    assert_eq!(
        drain(&mut call),
        [Action::SendBye, Action::Terminated(Reason::MaxDuration)]
    );
}

#[test]
fn cng_on_a_voice_line_turns_it_into_a_fax_reception() {
    let mut call = answered(fax_config(), CallPurpose::Voice, 1);
    assert_eq!(call.poll_timeout(), None, "no CED window for voicemail");
    // CED from the peer is ambiguous and changes nothing.
    call.media_event(ms(2000), FaxToneHeard::Ced);
    assert_eq!(call.poll_timeout(), None);
    call.media_event(ms(5000), FaxToneHeard::Cng);
    assert_eq!(call.line(), CallPurpose::Fax);
    assert_eq!(call.poll_timeout(), Some(ms(8000)));
    let (_, sdp) = our_t38_reinvite(&mut call);
    assert!(sdp.contains("m=image 40002 udptl t38"));
}

#[test]
fn v21_preamble_on_a_fax_line_asks_for_t38_at_once() {
    let mut call = answered(fax_config(), CallPurpose::Fax, 1);
    call.media_event(ms(1200), FaxToneHeard::V21Preamble);
    let actions = drain(&mut call);
    assert!(
        matches!(actions.as_slice(), [Action::SendReinvite { .. }]),
        "{actions:#?}"
    );
}

#[test]
fn t38_in_the_initial_invite_starts_t38_and_skips_the_ced_window() {
    let mut call = Call::new_inbound(CALL_ID, fax_config(), 1);
    call.on_invite(Duration::ZERO, Some(&crlf(INITIAL_AUDIO_PLUS_IMAGE)));
    call.answer(ANSWER_AT, local(), CallPurpose::Fax).unwrap();
    let actions = drain(&mut call);
    let Some(Action::StartMedia(media)) = actions.last() else {
        panic!("{actions:#?}");
    };
    assert_eq!(
        media.t38.as_ref().unwrap().remote,
        addr("198.51.100.7:16386")
    );
    call.on_ack(ACK_AT, ServerTxn::Invite, None);
    assert_eq!(call.poll_timeout(), None);
}

#[test]
fn hangup_before_the_initial_ack_waits_for_it() {
    let mut call = Call::new_inbound(CALL_ID, fax_config(), 1);
    call.on_invite(Duration::ZERO, Some(&crlf(ASTERISK_OFFER)));
    call.answer(ANSWER_AT, local(), CallPurpose::Fax).unwrap();
    drain(&mut call);
    call.hangup(ms(220));
    assert_eq!(drain(&mut call), [], "no BYE before the ACK (RFC 3261 §15)");
    call.on_ack(ACK_AT, ServerTxn::Invite, None);
    assert_eq!(
        drain(&mut call),
        [Action::SendBye, Action::Terminated(Reason::LocalHangup)]
    );
}

#[test]
fn invite_without_sdp_gets_our_offer_and_media_starts_on_the_ack() {
    let mut call = Call::new_inbound(CALL_ID, fax_config(), 1);
    call.on_invite(Duration::ZERO, None);
    call.answer(ANSWER_AT, local(), CallPurpose::Fax).unwrap();
    let actions = drain(&mut call);
    let [_trying, Action::SendResponse {
        status: 200,
        sdp: Some(offer),
        ..
    }] = actions.as_slice()
    else {
        panic!("{actions:#?}");
    };
    assert_eq!(m_lines(offer), ["m=audio 40000 RTP/AVP 8 0 101"]);
    call.on_ack(
        ACK_AT,
        ServerTxn::Invite,
        Some(&crlf(ASTERISK_AUDIO_ANSWER_NEW_PORT)),
    );
    let actions = drain(&mut call);
    let [Action::StartMedia(media)] = actions.as_slice() else {
        panic!("{actions:#?}");
    };
    assert_audio(media, "192.0.2.10:10002");
}
