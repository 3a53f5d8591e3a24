//! One outgoing call, from the INVITE to the media outcome: the code shared by the test caller
//! (`faxvox call`) and the outbound fax dialer, so both place calls exactly the same way as
//! the gateway answers them (same call control, same media driver, same drive loop).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rand::Rng;
use tracing::info;

use crate::call::drive::{drive, DriveReport};
use crate::call::driver::MediaHandle;
use crate::call::media_call::{MediaOutcome, MediaRole, MediaSettings};
use crate::call::ports::PortPool;
use crate::sip::call::{Call, CallConfig, CallPurpose, InitialOffer, T38Policy};
use crate::sip::sdp::LocalMedia;
use crate::sip::stack::{OutgoingInvite, SipCredentials, SipStack, StackError};

/// What the call carries once answered.
#[derive(Debug, Clone)]
pub enum Payload {
    /// Send this fax-ready TIFF through the transmit side of a fax session.
    Fax {
        /// The TIFF (G4/G3 pages, 1728 px wide).
        document: PathBuf,
    },
    /// Play 8 kHz audio, then DTMF, then `tail` of silence (voice test calls); with
    /// `wait_beep`, only once the voicemail beep was heard (or that long has passed).
    Voice {
        audio: Arc<Vec<i16>>,
        dtmf: Option<String>,
        tail: Duration,
        wait_beep: Option<Duration>,
    },
}

/// Everything needed to place one call.
#[derive(Debug, Clone)]
pub struct DialRequest {
    /// Our Call-ID (we own it as the UAC).
    pub call_id: String,
    /// Request-URI and To: `sip:NUMBER@HOST:PORT`.
    pub to: String,
    /// From user part: our number, or `anonymous`.
    pub from_user: String,
    /// From display name.
    pub from_display: Option<String>,
    /// From URI instead of `sip:FROM_USER@OUR_ADDRESS` (a masked caller's
    /// `sip:anonymous@anonymous.invalid`).
    pub from_uri: Option<String>,
    /// Extra INVITE headers (`Privacy`, `P-Asserted-Identity`).
    pub headers: Vec<(String, String)>,
    /// SIP over TCP.
    pub tcp: bool,
    /// Digest credentials for a 401/407 challenge.
    pub credentials: Option<SipCredentials>,
    /// Call control (T.38 policy, windows, maximum duration).
    pub call: CallConfig,
    /// What the INVITE offers.
    pub offer: InitialOffer,
    /// Media settings (ECM, station id, UDPTL…).
    pub media: MediaSettings,
    pub payload: Payload,
}

/// How one call went.
#[derive(Debug, Default)]
pub struct DialResult {
    pub call_id: String,
    /// Final status of the INVITE; `None` when none was received (local error, no route).
    pub status: Option<u16>,
    /// Why the call ended or was not answered, in words.
    pub reason: String,
    /// The call was answered (2xx).
    pub answered: bool,
    /// The drive loop's account of an answered call (duration, T.38…).
    pub report: Option<DriveReport>,
    /// The media outcome (fax report, RTP counters) of an answered call.
    pub media: Option<MediaOutcome>,
    /// Wall-clock time the call was started (just before its INVITE was built): the origin of
    /// the report's durations, so a caller can put them on the same clock as a mail server.
    pub started_at: Option<SystemTime>,
}

impl DialResult {
    fn failed(call_id: &str, status: Option<u16>, reason: impl Into<String>) -> DialResult {
        DialResult {
            call_id: call_id.to_string(),
            status,
            reason: reason.into(),
            ..DialResult::default()
        }
    }

    /// Seconds from the start of the media to the hang-up (0 when not answered).
    pub fn duration(&self) -> Duration {
        self.report
            .as_ref()
            .map(|r| {
                r.ended_after
                    .saturating_sub(r.answered_after.unwrap_or_default())
            })
            .unwrap_or_default()
    }

    /// The media was switched to T.38 at some point.
    pub fn t38(&self) -> bool {
        self.report.as_ref().is_some_and(|r| r.t38)
    }
}

/// Places the call described by `req` from `stack`, with media ports from `ports`, and runs it
/// to its end. Never panics and never returns early with an error: every failure is a
/// [`DialResult`] with a reason (and the SIP status when there was one).
pub async fn dial(stack: &SipStack, ports: &PortPool, req: &DialRequest) -> DialResult {
    let call_id = req.call_id.as_str();
    let start = tokio::time::Instant::now();
    let started_at = SystemTime::now();
    let sockets = match ports.bind() {
        Ok(s) => s,
        Err(e) => return DialResult::failed(call_id, None, format!("no media port: {e}")),
    };
    let local = LocalMedia::new(
        sockets.rtp_addr().ip(),
        sockets.rtp_addr().port(),
        sockets.udptl_addr().port(),
        rand::rng().random(),
        &req.media.media,
    );
    let (line, config) = match req.payload {
        Payload::Fax { .. } => (CallPurpose::Fax, req.call.clone()),
        // A voice caller has no fax to send: a T.38 re-INVITE gets 488 and the audio goes on.
        Payload::Voice { .. } => (
            CallPurpose::Voice,
            CallConfig {
                t38: T38Policy::Off,
                ..req.call.clone()
            },
        ),
    };
    let offer = if config.t38 == T38Policy::Off {
        InitialOffer::Audio
    } else {
        req.offer
    };
    let mut call = Call::new_outbound(call_id.to_string(), config, rand::rng().random());
    let sdp = match call.make_offer_with(start.elapsed(), local, line, offer) {
        Ok(o) => o,
        Err(e) => return DialResult::failed(call_id, None, e.to_string()),
    };
    let outgoing = stack
        .invite(OutgoingInvite {
            call_id: Some(call_id.to_string()),
            to: req.to.clone(),
            from_user: req.from_user.clone(),
            from_display: req.from_display.clone(),
            sdp,
            transport_tcp: req.tcp,
            credentials: req.credentials.clone(),
            from_uri: req.from_uri.clone(),
            headers: req.headers.clone(),
        })
        .await;
    let (mut leg, status, answer) = match outgoing {
        Ok(o) => (o.leg, o.status, o.sdp),
        Err(StackError::Rejected { status, reason }) => {
            return DialResult {
                started_at: Some(started_at),
                ..DialResult::failed(call_id, Some(status), reason)
            }
        }
        Err(e) => {
            return DialResult {
                started_at: Some(started_at),
                ..DialResult::failed(call_id, None, e.to_string())
            }
        }
    };
    call.on_invite_response(start.elapsed(), status, answer.as_deref());
    let role = match &req.payload {
        Payload::Fax { document } => MediaRole::SendFax {
            document: document.clone(),
        },
        Payload::Voice {
            audio,
            dtmf,
            tail,
            wait_beep,
        } => MediaRole::Play {
            audio: audio.clone(),
            dtmf: dtmf.clone(),
            dtmf_at: None,
            tail: *tail,
            record: None,
            wait_beep: *wait_beep,
        },
    };
    let (media, mut events) =
        MediaHandle::spawn(call_id.to_string(), sockets, role, req.media.clone());
    let report = drive(&mut call, &mut leg, &media, &mut events, start).await;
    media.hangup();
    let outcome = media.finish().await;
    info!(
        call_id,
        status,
        t38 = report.t38,
        pages = outcome.fax.as_ref().map(|f| f.pages),
        "outgoing call ended"
    );
    DialResult {
        call_id: call_id.to_string(),
        status: Some(status),
        reason: report
            .reason
            .map(|r| r.to_string())
            .unwrap_or_else(|| "dialog gone".into()),
        answered: true,
        report: Some(report),
        media: Some(outcome),
        started_at: Some(started_at),
    }
}
