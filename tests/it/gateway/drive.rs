//! The call loop (`gateway::drive`) with a scripted SIP leg (the `Leg` trait) and a real media
//! channel on 127.0.0.1: when the media says it is done the call hangs up with BYE; a BYE from
//! the peer ends the call at once; a dialog that vanishes ends the call instead of hanging it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use faxvox::call::drive::drive;
use faxvox::call::driver::MediaHandle;
use faxvox::call::media_call::{MediaRole, MediaSettings};
use faxvox::call::ports::PortPool;
use faxvox::media::MediaConfig;
use faxvox::sip::call::{Action, Call, CallConfig, CallPurpose, Reason, ServerTxn};
use faxvox::sip::leg::Leg;
use faxvox::sip::sdp::LocalMedia;
use faxvox::sip::stack::LegEvent;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A leg whose peer is the test: events come from a channel, actions are written down.
struct ScriptedLeg {
    events: mpsc::UnboundedReceiver<LegEvent>,
    performed: Arc<Mutex<Vec<Action>>>,
}

impl Leg for ScriptedLeg {
    fn call_id(&self) -> &str {
        "scripted"
    }

    fn perform(&mut self, action: &Action) {
        self.performed.lock().unwrap().push(action.clone());
    }

    async fn next_event(&mut self) -> Option<LegEvent> {
        self.events.recv().await
    }
}

const OFFER: &str = "v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio 49170 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\na=ptime:20\r\n";

struct Setup {
    call: Call,
    leg: ScriptedLeg,
    peer: mpsc::UnboundedSender<LegEvent>,
    performed: Arc<Mutex<Vec<Action>>>,
    media: MediaHandle,
    events: faxvox::call::driver::MediaEvents,
    start: Instant,
}

/// An inbound call answered on a real media channel that plays `play_ms` of audio and then
/// reports Finished.
fn setup(play_ms: u64) -> Setup {
    let start = Instant::now();
    let pool = PortPool::ephemeral("127.0.0.1".parse().unwrap());
    let sockets = pool.bind().unwrap();
    let local = LocalMedia::new(
        sockets.rtp_addr().ip(),
        sockets.rtp_addr().port(),
        sockets.udptl_addr().port(),
        7,
        &MediaConfig::default(),
    );
    let mut call = Call::new_inbound("scripted", CallConfig::default(), 1);
    call.on_invite(start.elapsed(), Some(OFFER.as_bytes()));
    call.answer(start.elapsed(), local, CallPurpose::Voice)
        .unwrap();
    let (media, events) = MediaHandle::spawn(
        "scripted".into(),
        sockets,
        MediaRole::Play {
            audio: vec![1000; (play_ms * 8) as usize].into(),
            dtmf: None,
            dtmf_at: None,
            tail: Duration::ZERO,
            record: None,
            wait_beep: None,
        },
        MediaSettings::default(),
    );
    let (peer, rx) = mpsc::unbounded_channel();
    let performed = Arc::new(Mutex::new(Vec::new()));
    Setup {
        call,
        leg: ScriptedLeg {
            events: rx,
            performed: performed.clone(),
        },
        peer,
        performed,
        media,
        events,
        start,
    }
}

fn statuses(performed: &[Action]) -> Vec<u16> {
    performed
        .iter()
        .filter_map(|a| match a {
            Action::SendResponse {
                txn: ServerTxn::Invite,
                status,
                ..
            } => Some(*status),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn media_finished_hangs_up_with_bye() {
    let mut s = setup(300);
    s.peer
        .send(LegEvent::Ack {
            txn: ServerTxn::Invite,
            sdp: None,
        })
        .unwrap();
    let report = tokio::time::timeout(
        Duration::from_secs(5),
        drive(&mut s.call, &mut s.leg, &s.media, &mut s.events, s.start),
    )
    .await
    .expect("the call loop ended");
    let outcome = s.media.finish().await;
    let performed = s.performed.lock().unwrap().clone();
    assert_eq!(report.reason, Some(Reason::LocalHangup), "{performed:?}");
    assert!(statuses(&performed).contains(&200), "{performed:?}");
    assert!(performed.iter().any(|a| matches!(a, Action::SendBye)));
    assert!(report.answered_after.is_some());
    assert!(outcome.played_to_end);
    // 300 ms of audio at 20 ms a packet, sent to the offer's address.
    assert!(outcome.rtp.packets_sent >= 15, "{:?}", outcome.rtp);
}

#[tokio::test]
async fn peer_bye_ends_the_call_without_our_bye() {
    let mut s = setup(10_000);
    s.peer
        .send(LegEvent::Ack {
            txn: ServerTxn::Invite,
            sdp: None,
        })
        .unwrap();
    let peer = s.peer.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let _ = peer.send(LegEvent::Bye);
    });
    let report = tokio::time::timeout(
        Duration::from_secs(5),
        drive(&mut s.call, &mut s.leg, &s.media, &mut s.events, s.start),
    )
    .await
    .expect("the call loop ended on BYE");
    let outcome = s.media.finish().await;
    let performed = s.performed.lock().unwrap().clone();
    assert_eq!(report.reason, Some(Reason::RemoteBye));
    assert!(!performed.iter().any(|a| matches!(a, Action::SendBye)));
    assert!(!outcome.played_to_end, "the media was cut by the BYE");
}

#[tokio::test]
async fn a_vanished_dialog_ends_the_call() {
    let mut s = setup(10_000);
    s.peer
        .send(LegEvent::Ack {
            txn: ServerTxn::Invite,
            sdp: None,
        })
        .unwrap();
    drop(s.peer);
    let report = tokio::time::timeout(
        Duration::from_secs(5),
        drive(&mut s.call, &mut s.leg, &s.media, &mut s.events, s.start),
    )
    .await
    .expect("the call loop ended when the dialog vanished");
    let _ = s.media.finish().await;
    assert!(report.reason.is_some(), "{report:?}");
}
