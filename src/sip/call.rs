//! Call control for one SIP call, sans-IO: the INVITE dialog's offer/answer and T.38 switching
//! logic without sockets, timers or a SIP stack.
//!
//! The SIP stack (rsipstack, behind our own trait) parses messages and runs the transactions
//! (retransmissions, Timer B/G, the 100 for INVITEs, the 200 to a CANCEL). It feeds each
//! dialog-level event to a [`Call`] together with the current time (`now`, a [`Duration`] since
//! any fixed epoch), drains [`Call::poll_action`], and calls [`Call::on_timeout`] when
//! [`Call::poll_timeout`] says so. The call never reads a clock and its randomness (the 491
//! back-off) comes from a seed, so tests drive it with simulated time and are deterministic
//! (the str0m / quinn-proto style).
//!
//! What it decides:
//!
//! - **The receiving side asks for T.38 first**, but gives the peer a CED window (3 s, like
//!   Asterisk `ReceiveFax`) to ask itself; with [`T38Policy::Request`] we re-INVITE to T.38 when
//!   the window ends. A peer's T.38 re-INVITE is always answered at once (200 with the image
//!   stream, or 488 when the policy is [`T38Policy::Off`]), never left hanging.
//! - **Glare is ours to handle** (rsipstack answers nothing itself): an incoming re-INVITE while
//!   ours is pending gets 491 (RFC 3261 §14.2), and a 491 to ours is retried after the §14.1
//!   delay — 2.1–4 s if we own the Call-ID, 0–2 s otherwise (inbound: the caller owns it) —
//!   at most [`CallConfig::max_glare_retries`] times.
//! - **A refused T.38 offer leaves audio working**: 488/415/606 (or any other failure) cancels
//!   our offer, the previous session stays in force and we do not ask again.
//! - **Every INVITE server transaction has its own ACK state** ([`ServerTxn`]): the ACK of a
//!   re-INVITE is never taken for the ACK of the initial INVITE (rsipstack reports both as
//!   `Confirmed`; active-call PR #123 was an outage caused by mixing them up). A re-INVITE
//!   without SDP gets our offer in the 200 and its answer is taken from that ACK.
//! - **Teardown races**: a BYE while our re-INVITE is pending forgets the re-INVITE, answers 200
//!   and ends the call; a 481 to our re-INVITE ends the call (the peer has already forgotten
//!   the dialog).
//! - **Timers**: no ACK for one of our 2xx within 32 s (Timer H-like) and the maximum call
//!   duration both end the call with a BYE.
//!
//! Both roles run the same machine once the call is established; only the start differs:
//!
//! - **Inbound** ([`Call::new_inbound`], we are the UAS): [`Call::on_invite`], then the
//!   application's [`Call::ring`] / [`Call::answer`] / [`Call::reject`], then the ACK.
//! - **Outbound** ([`Call::new_outbound`], we are the UAC and own the Call-ID, so our 491
//!   back-off is the 2.1–4 s one): [`Call::make_offer`] gives the SDP for the INVITE, which
//!   the glue sends itself; [`Call::on_invite_response`] takes the responses. 1xx are
//!   ignored (early media too, we have no 100rel); a 2xx with a usable answer starts the media
//!   and confirms the call at once — **the glue (the stack) sends the ACK of the initial 2xx
//!   and of its retransmissions**, no [`Action::SendAck`] is emitted for it; a 2xx with a
//!   missing or unusable answer is ACKed by the glue all the same and then ended with BYE
//!   (RFC 3261 §13.2.2.4); a final failure ends the call. [`Call::hangup`] before the answer
//!   gives [`Action::SendCancel`] and the call waits for the INVITE's final response (487, or
//!   a 2xx that crossed the CANCEL, which is then ended with BYE).
//! - **The fax sender waits for the receiver.** On an outbound [`CallPurpose::Fax`] call we are
//!   the sender (Asterisk `SendFax`): we answer the receiver's T.38 re-INVITE by policy and
//!   only ask ourselves, with [`T38Policy::Request`], when nothing came within
//!   [`CallConfig::cng_window`] (10.5 s by default, [`DEFAULT_CNG_WINDOW`]); fax tones heard
//!   on an outbound call do not shorten that wait.

use std::collections::VecDeque;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use thiserror::Error;
use tracing::{debug, info, warn};

use super::sdp::{AnswerPolicy, LocalMedia, NegotiatedMedia, SdpSession, SessionDescription};

/// How long a fax receiver waits for the peer's T.38 re-INVITE before sending its own
/// (Asterisk `ReceiveFax` plays 3 s of CED while listening).
pub const DEFAULT_CED_WINDOW: Duration = Duration::from_secs(3);
/// How long a fax sender (an outbound fax call) waits for the receiver's T.38 re-INVITE before
/// sending its own: 10.5 s, about three CNG cycles (0.5 s tone, 3 s silence), like Asterisk
/// `SendFax`. Longer than [`DEFAULT_CED_WINDOW`], so a receiver that asks at the end of its
/// own CED window always comes first and no glare is provoked.
pub const DEFAULT_CNG_WINDOW: Duration = Duration::from_millis(10_500);
/// How long we wait for the ACK of one of our 2xx (64·T1, RFC 3261 Timer H); also how long a
/// cancelled outbound INVITE may take to get its final response (RFC 3261 §9.1).
pub const DEFAULT_ACK_TIMEOUT: Duration = Duration::from_secs(32);
/// How many times we re-send a re-INVITE that got 491 before giving up on it.
pub const DEFAULT_MAX_GLARE_RETRIES: u32 = 2;

/// Per-trunk T.38 policy (some carriers simply don't do T.38).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum T38Policy {
    /// Never offer T.38 and refuse the peer's T.38 offers (488): faxes go over G.711.
    Off,
    /// Answer the peer's T.38 re-INVITE but never ask ourselves.
    Accept,
    /// Accept, and ask ourselves when the peer has not within the CED window.
    #[default]
    Request,
}

/// Call-control settings, per trunk and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallConfig {
    /// T.38 policy of the trunk.
    pub t38: T38Policy,
    /// Accept an image stream already in the initial INVITE (FreeSWITCH #1297/#1081).
    pub t38_in_initial_offer: bool,
    /// When an offer has audio and image active, keep the audio too.
    pub audio_with_t38: bool,
    /// CED window: how long an inbound fax line (the receiver) waits for the peer's T.38
    /// re-INVITE before its own.
    pub ced_window: Duration,
    /// CNG window: how long an outbound fax call (the sender) waits for the receiver's T.38
    /// re-INVITE before its own (only with [`T38Policy::Request`]).
    pub cng_window: Duration,
    /// How long to wait for the ACK of a 2xx we sent before giving up on the call.
    pub ack_timeout: Duration,
    /// Maximum call duration from the answer, if limited; the call is then ended with a BYE.
    pub max_duration: Option<Duration>,
    /// Re-sends of a re-INVITE after 491 before giving up (the call then stays as it is).
    pub max_glare_retries: u32,
}

impl Default for CallConfig {
    fn default() -> Self {
        CallConfig {
            t38: T38Policy::default(),
            t38_in_initial_offer: true,
            audio_with_t38: true,
            ced_window: DEFAULT_CED_WINDOW,
            cng_window: DEFAULT_CNG_WINDOW,
            ack_timeout: DEFAULT_ACK_TIMEOUT,
            max_duration: None,
            max_glare_retries: DEFAULT_MAX_GLARE_RETRIES,
        }
    }
}

impl CallConfig {
    /// The SDP answering policy this configuration implies.
    pub fn answer_policy(&self) -> AnswerPolicy {
        AnswerPolicy {
            t38: self.t38 != T38Policy::Off,
            t38_in_initial_offer: self.t38_in_initial_offer,
            audio_with_t38: self.audio_with_t38,
        }
    }
}

/// What routing decided the call is. A voice line turns into a fax line when a fax caller is
/// heard (CNG during the greeting or the recording).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallPurpose {
    /// Fax reception: the CED window and, by policy, our own T.38 request apply.
    Fax,
    /// Voicemail: no T.38 of our own unless a fax tone is heard.
    Voice,
}

/// What our outbound INVITE offers ([`Call::make_offer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InitialOffer {
    /// G.711 (PCMA, PCMU) and telephone-event; T.38 comes later by re-INVITE. Works with
    /// every peer.
    #[default]
    Audio,
    /// Audio plus an `image udptl t38` stream, for peers that take T.38 in the initial INVITE
    /// (the answer may accept either or both).
    AudioAndT38,
    /// T.38 only, for a peer known to do T.38 from the start (a 488 then ends the call).
    T38Only,
}

/// A fax tone the media layer heard; defined with the media, used here by
/// [`Call::media_event`].
pub use crate::media::FaxToneHeard;

/// An incoming server transaction that a response belongs to. The glue keys in-dialog
/// re-INVITEs by any id it likes; the CSeq number is a natural choice, because the ACK of a
/// 2xx carries its INVITE's CSeq number, so [`Call::on_ack`] can be told which INVITE it
/// acknowledges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerTxn {
    /// The initial INVITE.
    Invite,
    /// An in-dialog re-INVITE, by the glue's id.
    Reinvite(u64),
    /// The peer's BYE.
    Bye,
}

/// One of our own client transactions (a re-INVITE). Allocated by the call; the glue maps it
/// to the stack's transaction and reports responses with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientTxn(u64);

impl ClientTxn {
    /// The number, for logs and maps.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// Why the call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Reason {
    /// The peer sent BYE.
    #[error("remote hang-up")]
    RemoteBye,
    /// The application hung up.
    #[error("local hang-up")]
    LocalHangup,
    /// The caller cancelled before the answer.
    #[error("cancelled by the caller")]
    Cancelled,
    /// The application rejected the call (routing, limits) with this status.
    #[error("rejected with {0}")]
    Rejected(u16),
    /// The initial INVITE's SDP was unusable; answered with this status (400 or 488).
    #[error("unusable offer, answered {0}")]
    BadOffer(u16),
    /// The SDP of a 2xx or ACK answering our offer was missing or unusable (RFC 3261
    /// §13.2.2.4: ACK, then BYE).
    #[error("unusable answer to our offer")]
    BadAnswer,
    /// No ACK for our 2xx within the ACK timeout.
    #[error("no ACK for our 2xx")]
    AckTimeout,
    /// The maximum call duration was reached.
    #[error("maximum call duration reached")]
    MaxDuration,
    /// Our re-INVITE got 481: the peer no longer knows the dialog.
    #[error("dialog gone (481)")]
    DialogGone,
    /// Our re-INVITE timed out (408).
    #[error("request timeout (408)")]
    RequestTimeout,
}

/// What the glue must do. Drained with [`Call::poll_action`], in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send a response on an incoming transaction.
    SendResponse {
        /// The transaction answered.
        txn: ServerTxn,
        /// Status code.
        status: u16,
        /// Reason phrase.
        reason: &'static str,
        /// SDP body (`application/sdp`), if any.
        sdp: Option<String>,
    },
    /// Send an in-dialog re-INVITE carrying this offer.
    SendReinvite {
        /// Our transaction; its responses go to [`Call::on_response`].
        txn: ClientTxn,
        /// The SDP offer.
        sdp: String,
    },
    /// ACK the 2xx of our re-INVITE (the 2xx ACK is the TU's job, not the transaction's).
    SendAck {
        /// The re-INVITE acknowledged.
        txn: ClientTxn,
        /// SDP body; `None` as we always offer in the re-INVITE itself.
        sdp: Option<String>,
    },
    /// Send BYE. The call is over for us; the BYE transaction's outcome does not matter.
    SendBye,
    /// Cancel our initial INVITE (outbound calls only, hang-up before the answer). RFC 3261
    /// §9.1: the CANCEL may only go out once a provisional response arrived, so the glue sends
    /// it then (or at once if one already did). The INVITE's final response still goes to
    /// [`Call::on_invite_response`]: 487 ends the call, a 2xx that crossed the CANCEL is ACKed
    /// by the glue and ended with [`Action::SendBye`].
    SendCancel,
    /// Start the media with what was negotiated (once, after the first exchange).
    StartMedia(NegotiatedMedia),
    /// Change the running media: audio → T.38, back to audio, or a new remote address.
    SwitchMedia(NegotiatedMedia),
    /// The call is over; no further actions follow.
    Terminated(Reason),
}

/// An application intent that came at the wrong time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CallError {
    /// The intent does not apply in the call's present state.
    #[error("cannot {intent} now: the call is {state}")]
    InvalidState {
        /// What was asked.
        intent: &'static str,
        /// The state it was asked in.
        state: &'static str,
    },
    /// `request_t38` on a trunk whose policy is not [`T38Policy::Request`], or a T.38
    /// [`InitialOffer`] on a trunk whose policy is [`T38Policy::Off`].
    #[error("the trunk's T.38 policy does not allow requesting T.38")]
    T38NotAllowed,
    /// `reject` with a status that is not a final failure (300–699).
    #[error("{0} is not a failure status")]
    NotAFailure(u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Nothing received yet.
    Idle,
    /// Initial INVITE received, waiting for the application's decision.
    Incoming { offer: Option<SessionDescription> },
    /// Our initial INVITE is out, no final response yet. `cancelled`: we sent CANCEL.
    Outgoing { cancelled: bool },
    /// 2xx sent (inbound) or received (outbound) for the initial INVITE.
    Established,
    /// Over.
    Terminated,
}

impl Phase {
    fn name(&self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Incoming { .. } => "ringing",
            Phase::Outgoing { cancelled: false } => "calling",
            Phase::Outgoing { cancelled: true } => "cancelling",
            Phase::Established => "established",
            Phase::Terminated => "terminated",
        }
    }
}

/// A 2xx of ours waiting for its ACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AwaitAck {
    txn: ServerTxn,
    /// The 2xx carried our offer (the INVITE had no SDP): the answer is in the ACK.
    offer_in_2xx: bool,
    deadline: Duration,
}

/// Why we sent a re-INVITE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// Audio → T.38.
    T38,
    /// Back to audio after the peer rejected every stream of our T.38 offer in a 2xx.
    Audio,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OurReinvite {
    txn: ClientTxn,
    purpose: Purpose,
}

/// One SIP call's control state. See the module docs.
#[derive(Debug)]
pub struct Call {
    call_id: String,
    config: CallConfig,
    /// Whether we generated the Call-ID (RFC 3261 §14.1: decides the 491 back-off). The
    /// Call-ID owner is the UAC of the initial INVITE, so this also says "outbound".
    owns_call_id: bool,
    rng: SmallRng,
    phase: Phase,
    line: CallPurpose,
    sdp: Option<SdpSession>,
    actions: VecDeque<Action>,
    awaiting_ack: Vec<AwaitAck>,
    /// The initial INVITE's 2xx was ACKed.
    confirmed: bool,
    ours: Option<OurReinvite>,
    /// Our last re-INVITE that got a 2xx, to ACK its retransmissions.
    last_ok: Option<ClientTxn>,
    next_txn: u64,
    glare_retries: u32,
    /// Re-send our re-INVITE (491 back-off) at this time.
    retry_at: Option<Duration>,
    /// End of the CED window.
    ced_deadline: Option<Duration>,
    /// We want to switch to T.38 as soon as a re-INVITE may be sent.
    t38_wanted: bool,
    /// We will not ask for T.38 (again): refused, given up, or it was already active.
    t38_closed: bool,
    /// Maximum duration deadline.
    end_at: Option<Duration>,
    /// Hang-up requested before the initial ACK: BYE once it arrives (RFC 3261 §15).
    bye_after_ack: Option<Reason>,
    /// A cancelled outbound INVITE gives up waiting for its final response at this time.
    cancel_deadline: Option<Duration>,
}

impl Call {
    /// A call for an incoming INVITE (we are the UAS; the caller owns the Call-ID). `seed`
    /// drives the 491 back-off; pass a random one in production and a fixed one in tests.
    pub fn new_inbound(call_id: impl Into<String>, config: CallConfig, seed: u64) -> Call {
        Call::new(call_id.into(), config, seed, false)
    }

    /// A call we place (we are the UAC and generated the Call-ID, so a 491 to our re-INVITE is
    /// retried after 2.1–4 s). Start it with [`make_offer`](Self::make_offer). `seed` as for
    /// [`new_inbound`](Self::new_inbound).
    pub fn new_outbound(call_id: impl Into<String>, config: CallConfig, seed: u64) -> Call {
        Call::new(call_id.into(), config, seed, true)
    }

    fn new(call_id: String, config: CallConfig, seed: u64, outbound: bool) -> Call {
        Call {
            call_id,
            config,
            owns_call_id: outbound,
            rng: SmallRng::seed_from_u64(seed),
            phase: Phase::Idle,
            line: CallPurpose::Fax,
            sdp: None,
            actions: VecDeque::new(),
            awaiting_ack: Vec::new(),
            confirmed: false,
            ours: None,
            last_ok: None,
            next_txn: 1,
            glare_retries: 0,
            retry_at: None,
            ced_deadline: None,
            t38_wanted: false,
            t38_closed: false,
            end_at: None,
            bye_after_ack: None,
            cancel_deadline: None,
        }
    }

    /// The SIP Call-ID, as given.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Whether we placed the call (UAC, Call-ID owner).
    pub fn is_outbound(&self) -> bool {
        self.owns_call_id
    }

    /// Whether the call is over (after [`Action::Terminated`] was queued).
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Terminated
    }

    /// What the call is for (a voice call becomes [`CallPurpose::Fax`] on CNG).
    pub fn line(&self) -> CallPurpose {
        self.line
    }

    /// The media in force, after the last completed offer/answer exchange.
    pub fn media(&self) -> Option<&NegotiatedMedia> {
        self.sdp.as_ref().and_then(|s| s.current())
    }

    /// The next thing to do, if any.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`on_timeout`](Self::on_timeout) must be called next, if ever.
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.is_finished() {
            return None;
        }
        self.awaiting_ack
            .iter()
            .map(|a| a.deadline)
            .chain(self.end_at)
            .chain(self.retry_at)
            .chain(self.ced_deadline)
            .chain(self.cancel_deadline)
            .min()
    }

    // ---------------------------------------------------------------- SIP inputs

    /// The initial INVITE. A malformed offer is answered 400 or 488
    /// ([`SdpError::sip_status`](super::sdp::SdpError::sip_status)) and ends the call before
    /// any media is set up; otherwise 100 Trying is sent and the call waits for
    /// [`answer`](Self::answer) or [`reject`](Self::reject). Retransmissions are ignored.
    pub fn on_invite(&mut self, now: Duration, sdp: Option<&[u8]>) {
        if self.owns_call_id {
            warn!(call_id = %self.call_id, "INVITE for our own outbound call ignored");
            return;
        }
        if self.phase != Phase::Idle {
            debug!(call_id = %self.call_id, "INVITE retransmission ignored");
            return;
        }
        let offer = match sdp.map(SessionDescription::parse).transpose() {
            Ok(offer) => offer,
            Err(e) => {
                let status = e.sip_status();
                warn!(call_id = %self.call_id, error = %e, status, "unusable SDP in INVITE");
                self.respond(ServerTxn::Invite, status, None);
                self.terminate(now, Reason::BadOffer(status));
                return;
            }
        };
        info!(call_id = %self.call_id, with_sdp = offer.is_some(), "incoming call");
        self.respond(ServerTxn::Invite, 100, None);
        self.phase = Phase::Incoming { offer };
    }

    /// The ACK of the 2xx we sent on `txn` (the initial INVITE or a re-INVITE). Only an ACK
    /// for [`ServerTxn::Invite`] confirms the call; an ACK for a 2xx that carried our offer
    /// brings the answer. ACKs for unknown or already-ACKed transactions are ignored.
    pub fn on_ack(&mut self, now: Duration, txn: ServerTxn, sdp: Option<&[u8]>) {
        if self.is_finished() {
            return;
        }
        let Some(pos) = self.awaiting_ack.iter().position(|a| a.txn == txn) else {
            debug!(call_id = %self.call_id, ?txn, "ACK for no pending 2xx ignored");
            return;
        };
        let awaited = self.awaiting_ack.remove(pos);
        let initial = txn == ServerTxn::Invite;
        debug!(call_id = %self.call_id, ?txn, initial, "ACK");
        if awaited.offer_in_2xx && !self.take_ack_answer(now, initial, sdp) {
            return;
        }
        if initial {
            self.confirmed = true;
            info!(call_id = %self.call_id, "call confirmed");
            if let Some(reason) = self.bye_after_ack.take() {
                self.bye(now, reason);
                return;
            }
        }
        self.try_reinvite(now);
    }

    /// An in-dialog re-INVITE (`txn` is the glue's id for it, see [`ServerTxn`]). Answered at
    /// once: 491 while our own re-INVITE or offer is pending (glare), 400/488 for unusable SDP
    /// (the session stays), our offer in a 200 when it has no SDP, else 200 with our answer.
    /// A change of media (audio ↔ T.38, new address) gives [`Action::SwitchMedia`]; a session
    /// refresh that changes nothing gives no media action.
    pub fn on_reinvite(&mut self, now: Duration, txn: u64, sdp: Option<&[u8]>) {
        let stxn = ServerTxn::Reinvite(txn);
        match self.phase {
            Phase::Established => {}
            Phase::Terminated => return,
            Phase::Idle | Phase::Incoming { .. } => {
                // RFC 3261 §14.2: the initial INVITE has no final response yet.
                warn!(call_id = %self.call_id, "re-INVITE before the call was answered");
                self.respond(stxn, 500, None);
                return;
            }
            Phase::Outgoing { .. } => {
                // RFC 3261 §14.2: our own INVITE on this (early) dialog is in progress.
                warn!(call_id = %self.call_id, "re-INVITE before our INVITE was answered: 491");
                self.respond(stxn, 491, None);
                return;
            }
        }
        if self.ours.is_some() {
            info!(call_id = %self.call_id, "re-INVITE glare: 491");
            self.respond(stxn, 491, None);
            return;
        }
        let Some(session) = self.sdp.as_mut() else {
            self.respond(stxn, 500, None);
            return;
        };
        let Some(body) = sdp else {
            if session.has_pending_offer() {
                self.respond(stxn, 491, None);
                return;
            }
            // Offer the session as it is (an active image stream stays: a refresh must not end a T.38 fax).
            let offer = session.offer_current();
            debug!(call_id = %self.call_id, "re-INVITE without SDP: offering in the 200");
            self.respond(stxn, 200, Some(offer.sdp));
            self.await_ack(now, stxn, true);
            return;
        };
        let offer = match SessionDescription::parse(body) {
            Ok(o) => o,
            Err(e) => {
                let status = e.sip_status();
                warn!(call_id = %self.call_id, error = %e, status, "unusable SDP in re-INVITE");
                self.respond(stxn, status, None);
                return;
            }
        };
        let before = session.current().cloned();
        match session.answer(&offer, &self.config.answer_policy()) {
            Ok(answer) => {
                self.respond(stxn, 200, Some(answer.sdp));
                self.await_ack(now, stxn, false);
                self.media_changed(before.as_ref(), answer.media);
            }
            Err(e) => {
                let status = e.sip_status().unwrap_or(488);
                info!(call_id = %self.call_id, error = %e, status, "re-INVITE refused; session unchanged");
                self.respond(stxn, status, None);
            }
        }
    }

    /// A final or provisional response to our re-INVITE `txn`. Responses to transactions we no
    /// longer wait for (stale, or the call ended) are ignored. The glue reports a transaction
    /// timeout as 408.
    pub fn on_response(&mut self, now: Duration, txn: ClientTxn, status: u16, sdp: Option<&[u8]>) {
        if self.is_finished() {
            return;
        }
        if self.last_ok == Some(txn) && (200..300).contains(&status) {
            // A retransmitted 2xx: the UAC core ACKs every copy (RFC 3261 §13.2.2.4).
            debug!(call_id = %self.call_id, txn = txn.0, "2xx retransmission: ACK again");
            self.actions.push_back(Action::SendAck { txn, sdp: None });
            return;
        }
        let Some(ours) = self.ours.filter(|o| o.txn == txn) else {
            debug!(call_id = %self.call_id, txn = txn.0, status, "response to no pending re-INVITE ignored");
            return;
        };
        if status < 200 {
            return;
        }
        self.ours = None;
        if (200..300).contains(&status) {
            self.on_reinvite_ok(now, ours, sdp);
            return;
        }
        if let Some(session) = self.sdp.as_mut() {
            session.cancel_offer();
        }
        match status {
            491 => self.on_glare(now, ours),
            481 => {
                info!(call_id = %self.call_id, "481 to our re-INVITE: dialog gone");
                self.terminate(now, Reason::DialogGone);
            }
            408 => {
                info!(call_id = %self.call_id, "408 to our re-INVITE");
                self.bye(now, Reason::RequestTimeout);
            }
            _ => {
                // 488/415/606 and any other failure: the previous session stays (RFC 6337
                // §3.4), the fax goes on in audio and we do not ask again.
                info!(call_id = %self.call_id, status, purpose = ?ours.purpose, "re-INVITE refused; staying on the current media");
                self.t38_wanted = false;
                self.t38_closed = true;
                self.try_reinvite(now);
            }
        }
    }

    /// The peer's BYE: forget any re-INVITE of ours (its response no longer matters; the peer
    /// would answer 481), answer 200 and end the call.
    pub fn on_bye(&mut self, now: Duration) {
        if self.is_finished() {
            return;
        }
        if self.ours.take().is_some() {
            debug!(call_id = %self.call_id, "BYE while our re-INVITE is pending: dropping it");
        }
        if let Some(session) = self.sdp.as_mut() {
            session.cancel_offer();
        }
        self.respond(ServerTxn::Bye, 200, None);
        self.terminate(now, Reason::RemoteBye);
    }

    /// CANCEL of the initial INVITE. Before the answer: 487 to the INVITE and the call ends
    /// (the stack answers the CANCEL itself). After it, the CANCEL has no effect.
    pub fn on_cancel(&mut self, now: Duration) {
        match self.phase {
            Phase::Incoming { .. } | Phase::Idle if !self.owns_call_id => {
                self.respond(ServerTxn::Invite, 487, None);
                self.terminate(now, Reason::Cancelled);
            }
            Phase::Idle | Phase::Incoming { .. } | Phase::Outgoing { .. } => {
                debug!(call_id = %self.call_id, "CANCEL on an outbound call ignored");
            }
            Phase::Established | Phase::Terminated => {
                debug!(call_id = %self.call_id, "CANCEL after the answer ignored");
            }
        }
    }

    /// Timers: ACK timeout, maximum duration, 491 back-off, end of the CED (or CNG) window,
    /// and the final response to a cancelled INVITE that never came.
    pub fn on_timeout(&mut self, now: Duration) {
        if self.is_finished() {
            return;
        }
        if self.cancel_deadline.is_some_and(|t| t <= now) {
            warn!(call_id = %self.call_id, "no final response to our cancelled INVITE");
            self.terminate(now, Reason::LocalHangup);
            return;
        }
        if let Some(late) = self
            .awaiting_ack
            .iter()
            .find(|a| a.deadline <= now)
            .copied()
        {
            warn!(call_id = %self.call_id, txn = ?late.txn, "no ACK for our 2xx");
            let reason = self.bye_after_ack.take().unwrap_or(Reason::AckTimeout);
            self.awaiting_ack.clear();
            self.bye(now, reason);
            return;
        }
        if self.end_at.is_some_and(|t| t <= now) {
            info!(call_id = %self.call_id, "maximum call duration reached");
            self.bye(now, Reason::MaxDuration);
            return;
        }
        if self.retry_at.is_some_and(|t| t <= now) {
            self.retry_at = None;
            debug!(call_id = %self.call_id, "491 back-off over");
            self.try_reinvite(now);
        }
        if self.ced_deadline.is_some_and(|t| t <= now) {
            self.ced_deadline = None;
            if self.config.t38 == T38Policy::Request && !self.t38_closed {
                info!(call_id = %self.call_id, outbound = self.owns_call_id, "fax window over without a T.38 re-INVITE from the peer");
                self.t38_wanted = true;
                self.try_reinvite(now);
            }
        }
    }

    // ---------------------------------------------------------------- application intents

    /// 180 Ringing on the initial INVITE.
    pub fn ring(&mut self, _now: Duration) -> Result<(), CallError> {
        self.expect_incoming("ring")?;
        self.respond(ServerTxn::Invite, 180, None);
        Ok(())
    }

    /// Routing refused the call (403, 404, 486, 503, …): final response and the call ends.
    pub fn reject(&mut self, now: Duration, status: u16) -> Result<(), CallError> {
        if !(300..700).contains(&status) {
            return Err(CallError::NotAFailure(status));
        }
        self.expect_incoming("reject")?;
        self.respond(ServerTxn::Invite, status, None);
        self.terminate(now, Reason::Rejected(status));
        Ok(())
    }

    /// Answers the initial INVITE after routing, with the media ports now allocated: 200 with
    /// our answer and [`Action::StartMedia`] (or, for an INVITE without SDP, 200 with our
    /// offer; the media starts with the answer in the ACK). An offer with nothing we accept
    /// gets 488 and the call ends. On a fax line the CED window starts now.
    pub fn answer(
        &mut self,
        now: Duration,
        local: LocalMedia,
        line: CallPurpose,
    ) -> Result<(), CallError> {
        self.expect_incoming("answer")?;
        let Phase::Incoming { offer } = std::mem::replace(&mut self.phase, Phase::Established)
        else {
            unreachable!("checked by expect_incoming");
        };
        self.line = line;
        let mut session = SdpSession::new(local);
        match offer {
            Some(offer) => match session.answer(&offer, &self.config.answer_policy()) {
                Ok(answer) => {
                    info!(call_id = %self.call_id, ?line, t38 = answer.media.t38.is_some(), "answered");
                    self.respond(ServerTxn::Invite, 200, Some(answer.sdp));
                    self.await_ack(now, ServerTxn::Invite, false);
                    if answer.media.t38.is_some() {
                        self.t38_closed = true;
                    }
                    self.actions.push_back(Action::StartMedia(answer.media));
                }
                Err(e) => {
                    let status = e.sip_status().unwrap_or(488);
                    info!(call_id = %self.call_id, error = %e, status, "initial offer refused");
                    self.respond(ServerTxn::Invite, status, None);
                    self.terminate(now, Reason::BadOffer(status));
                    return Ok(());
                }
            },
            None => {
                let offer = session.offer_current();
                info!(call_id = %self.call_id, ?line, "answered with our offer (INVITE without SDP)");
                self.respond(ServerTxn::Invite, 200, Some(offer.sdp));
                self.await_ack(now, ServerTxn::Invite, true);
            }
        }
        self.sdp = Some(session);
        self.end_at = self.config.max_duration.map(|d| now + d);
        if line == CallPurpose::Fax {
            self.start_ced_window(now);
        }
        Ok(())
    }

    /// Starts an outbound call: builds the SDP offer for our INVITE (which the glue sends)
    /// from `local` (the media ports, already allocated): G.711 (PCMA, PCMU) and
    /// telephone-event, T.38 to follow by re-INVITE ([`InitialOffer::Audio`]; see
    /// [`make_offer_with`](Self::make_offer_with) for T.38 in the INVITE). `line` is
    /// [`CallPurpose::Fax`] for a fax we send (the CNG window starts on the answer) or
    /// [`CallPurpose::Voice`]. Only once, on a call made with [`new_outbound`](Self::new_outbound).
    pub fn make_offer(
        &mut self,
        now: Duration,
        local: LocalMedia,
        line: CallPurpose,
    ) -> Result<String, CallError> {
        self.make_offer_with(now, local, line, InitialOffer::Audio)
    }

    /// [`make_offer`](Self::make_offer) with a choice of streams; a T.38 offer needs a policy
    /// other than [`T38Policy::Off`].
    pub fn make_offer_with(
        &mut self,
        _now: Duration,
        local: LocalMedia,
        line: CallPurpose,
        offer: InitialOffer,
    ) -> Result<String, CallError> {
        if !self.owns_call_id || self.phase != Phase::Idle {
            return Err(CallError::InvalidState {
                intent: "make an offer",
                state: if self.owns_call_id {
                    self.phase.name()
                } else {
                    "inbound"
                },
            });
        }
        if offer != InitialOffer::Audio && self.config.t38 == T38Policy::Off {
            return Err(CallError::T38NotAllowed);
        }
        let mut session = SdpSession::new(local);
        let sdp = match offer {
            InitialOffer::Audio => session.offer_audio(),
            InitialOffer::AudioAndT38 => session.offer_audio_and_t38(),
            InitialOffer::T38Only => session.offer_t38(),
        }
        .sdp;
        info!(call_id = %self.call_id, ?line, ?offer, "outgoing call");
        self.line = line;
        self.sdp = Some(session);
        self.phase = Phase::Outgoing { cancelled: false };
        Ok(sdp)
    }

    /// A response to our initial INVITE (outbound calls; the glue reports a transaction timeout
    /// as 408). 1xx: nothing (early media is not played). 2xx: the answer is taken, the call is
    /// established and confirmed and [`Action::StartMedia`] follows; on a fax call the CNG
    /// window starts unless T.38 is already up. The glue ACKs the 2xx itself, whatever it
    /// carries; a 2xx without a usable answer gives [`Action::SendBye`] and
    /// [`Reason::BadAnswer`], and after our CANCEL any 2xx gives [`Action::SendBye`] and
    /// [`Reason::LocalHangup`]. 300–699: the call ends with [`Reason::Rejected`] (or
    /// [`Reason::LocalHangup`] after our CANCEL), no BYE. Later 2xx retransmissions are ignored.
    pub fn on_invite_response(&mut self, now: Duration, status: u16, sdp: Option<&[u8]>) {
        let Phase::Outgoing { cancelled } = self.phase else {
            debug!(call_id = %self.call_id, status, phase = self.phase.name(), "INVITE response ignored");
            return;
        };
        if status < 200 {
            debug!(call_id = %self.call_id, status, early_sdp = sdp.is_some(), "provisional response");
            return;
        }
        let session = self.sdp.as_mut().expect("make_offer created the session");
        if status >= 300 {
            session.cancel_offer();
            if cancelled {
                info!(call_id = %self.call_id, status, "INVITE cancelled");
                self.terminate(now, Reason::LocalHangup);
            } else {
                info!(call_id = %self.call_id, status, "call rejected");
                self.terminate(now, Reason::Rejected(status));
            }
            return;
        }
        // 2xx: a dialog exists now, confirmed by the glue's ACK.
        self.phase = Phase::Established;
        self.confirmed = true;
        if cancelled {
            info!(call_id = %self.call_id, "2xx crossed our CANCEL: BYE");
            self.bye(now, Reason::LocalHangup);
            return;
        }
        let media = match sdp {
            None => Err("2xx without SDP".to_string()),
            Some(body) => SessionDescription::parse(body)
                .map_err(|e| e.to_string())
                .and_then(|a| session.receive_answer(&a).map_err(|e| e.to_string())),
        };
        match media {
            Ok(media) if !media.is_empty() => {
                info!(call_id = %self.call_id, line = ?self.line, t38 = media.t38.is_some(), "call answered");
                if media.t38.is_some() {
                    self.t38_closed = true;
                }
                self.actions.push_back(Action::StartMedia(media));
                self.end_at = self.config.max_duration.map(|d| now + d);
                if self.line == CallPurpose::Fax {
                    self.start_ced_window(now);
                }
            }
            Ok(_) => {
                warn!(call_id = %self.call_id, "the answer rejected every stream of our offer");
                self.bye(now, Reason::BadAnswer);
            }
            Err(e) => {
                warn!(call_id = %self.call_id, error = %e, "unusable answer to our INVITE");
                self.bye(now, Reason::BadAnswer);
            }
        }
    }

    /// Asks for T.38 now rather than at the end of the CED window (only with
    /// [`T38Policy::Request`]). Sent as soon as no other INVITE transaction is in progress;
    /// a no-op when T.38 is active or was refused.
    pub fn request_t38(&mut self, now: Duration) -> Result<(), CallError> {
        if self.config.t38 != T38Policy::Request {
            return Err(CallError::T38NotAllowed);
        }
        if self.phase != Phase::Established {
            return Err(CallError::InvalidState {
                intent: "request T.38",
                state: self.phase.name(),
            });
        }
        self.ced_deadline = None;
        if !self.t38_closed {
            self.t38_wanted = true;
            self.try_reinvite(now);
        }
        Ok(())
    }

    /// Ends the call. Inbound before the answer: 480. Outbound before the answer:
    /// [`Action::SendCancel`], and the call ends with the INVITE's final response (or after
    /// 32 s without one); before [`make_offer`](Self::make_offer) it just ends. After the
    /// answer: BYE (inbound, deferred until the initial ACK, RFC 3261 §15, or the ACK
    /// timeout). A pending re-INVITE of ours is dropped.
    pub fn hangup(&mut self, now: Duration) {
        match self.phase {
            Phase::Terminated | Phase::Outgoing { cancelled: true } => {}
            Phase::Idle if self.owns_call_id => self.terminate(now, Reason::LocalHangup),
            Phase::Outgoing { cancelled: false } => {
                info!(call_id = %self.call_id, "hang-up before the answer: CANCEL");
                self.phase = Phase::Outgoing { cancelled: true };
                self.cancel_deadline = Some(now + self.config.ack_timeout);
                self.actions.push_back(Action::SendCancel);
            }
            Phase::Idle | Phase::Incoming { .. } => {
                self.respond(ServerTxn::Invite, 480, None);
                self.terminate(now, Reason::LocalHangup);
            }
            Phase::Established if !self.confirmed => {
                debug!(call_id = %self.call_id, "hang-up before the ACK: BYE deferred");
                self.bye_after_ack = Some(Reason::LocalHangup);
                self.ced_deadline = None;
                self.t38_wanted = false;
            }
            Phase::Established => self.bye(now, Reason::LocalHangup),
        }
    }

    /// A fax tone heard by the media layer; see [`FaxToneHeard`] for what each one does on an
    /// inbound call. On an outbound call tones are only logged: the receiver asks for T.38
    /// first, and our own request waits for the CNG window (or [`request_t38`](Self::request_t38)).
    pub fn media_event(&mut self, now: Duration, tone: FaxToneHeard) {
        if self.phase != Phase::Established {
            return;
        }
        if self.owns_call_id {
            debug!(call_id = %self.call_id, ?tone, line = ?self.line, "fax tone heard on an outbound call");
            return;
        }
        debug!(call_id = %self.call_id, ?tone, line = ?self.line, "fax tone heard");
        match (tone, self.line) {
            (FaxToneHeard::Cng | FaxToneHeard::V21Preamble, CallPurpose::Voice) => {
                info!(call_id = %self.call_id, ?tone, "fax caller on a voice line: switching to fax");
                self.line = CallPurpose::Fax;
                self.start_ced_window(now);
            }
            (FaxToneHeard::V21Preamble, CallPurpose::Fax)
                if self.config.t38 == T38Policy::Request && !self.t38_closed =>
            {
                self.ced_deadline = None;
                self.t38_wanted = true;
                self.try_reinvite(now);
            }
            _ => {}
        }
    }

    // ---------------------------------------------------------------- internals

    fn expect_incoming(&self, intent: &'static str) -> Result<(), CallError> {
        match self.phase {
            Phase::Incoming { .. } => Ok(()),
            _ => Err(CallError::InvalidState {
                intent,
                state: self.phase.name(),
            }),
        }
    }

    fn respond(&mut self, txn: ServerTxn, status: u16, sdp: Option<String>) {
        debug!(call_id = %self.call_id, ?txn, status, "response");
        self.actions.push_back(Action::SendResponse {
            txn,
            status,
            reason: reason_phrase(status),
            sdp,
        });
    }

    fn await_ack(&mut self, now: Duration, txn: ServerTxn, offer_in_2xx: bool) {
        self.awaiting_ack.retain(|a| a.txn != txn);
        self.awaiting_ack.push(AwaitAck {
            txn,
            offer_in_2xx,
            deadline: now + self.config.ack_timeout,
        });
    }

    /// Starts the window in which the peer may ask for T.38 first: the CED window when we
    /// receive (inbound), the longer CNG window when we send (outbound).
    fn start_ced_window(&mut self, now: Duration) {
        let t38_active = self.media().is_some_and(|m| m.t38.is_some());
        if self.config.t38 != T38Policy::Off && !t38_active && !self.t38_closed {
            let window = if self.owns_call_id {
                self.config.cng_window
            } else {
                self.config.ced_window
            };
            self.ced_deadline = Some(now + window);
        }
    }

    /// The answer in the ACK of a 2xx that carried our offer. Returns whether the call goes on.
    fn take_ack_answer(&mut self, now: Duration, initial: bool, sdp: Option<&[u8]>) -> bool {
        let session = self.sdp.as_mut().expect("an offer was made");
        let before = session.current().cloned();
        let Some(body) = sdp else {
            session.cancel_offer();
            if initial {
                warn!(call_id = %self.call_id, "ACK without the answer to our offer: no media");
                self.bye(now, Reason::BadAnswer);
                return false;
            }
            warn!(call_id = %self.call_id, "ACK without the answer to our offer: session unchanged");
            return true;
        };
        let media = SessionDescription::parse(body)
            .map_err(|e| e.to_string())
            .and_then(|a| session.receive_answer(&a).map_err(|e| e.to_string()));
        match media {
            Ok(media) if !media.is_empty() => {
                if initial {
                    self.actions.push_back(Action::StartMedia(media));
                } else {
                    self.media_changed(before.as_ref(), media);
                }
                true
            }
            Ok(_) => {
                warn!(call_id = %self.call_id, "the answer in the ACK rejected every stream");
                self.bye(now, Reason::BadAnswer);
                false
            }
            Err(e) => {
                session.cancel_offer();
                warn!(call_id = %self.call_id, error = %e, "unusable answer in the ACK");
                self.bye(now, Reason::BadAnswer);
                false
            }
        }
    }

    fn media_changed(&mut self, before: Option<&NegotiatedMedia>, after: NegotiatedMedia) {
        if before == Some(&after) {
            debug!(call_id = %self.call_id, "session refresh: media unchanged");
            return;
        }
        let t38 = after.t38.is_some();
        info!(call_id = %self.call_id, t38, audio = after.audio.is_some(), "media switch");
        if t38 {
            // T.38 is up: nothing left to ask for.
            self.t38_closed = true;
            self.t38_wanted = false;
            self.ced_deadline = None;
            self.retry_at = None;
        }
        self.actions.push_back(Action::SwitchMedia(after));
    }

    /// Sends our T.38 re-INVITE if it is wanted and allowed now: the call is confirmed, no
    /// INVITE transaction is in progress either way (RFC 3261 §14.1), no offer is pending and
    /// no 491 back-off is running.
    fn try_reinvite(&mut self, now: Duration) {
        if !self.t38_wanted || self.t38_closed {
            return;
        }
        let busy = self.phase != Phase::Established
            || !self.confirmed
            || self.ours.is_some()
            || !self.awaiting_ack.is_empty()
            || self.retry_at.is_some()
            || self.bye_after_ack.is_some();
        if busy {
            debug!(call_id = %self.call_id, "T.38 re-INVITE deferred");
            return;
        }
        let Some(session) = self.sdp.as_mut() else {
            return;
        };
        if session.has_pending_offer() {
            return;
        }
        if session.current().is_some_and(|m| m.t38.is_some()) {
            self.t38_wanted = false;
            self.t38_closed = true;
            return;
        }
        let offer = session.offer_t38();
        self.send_reinvite(now, Purpose::T38, offer.sdp);
    }

    fn send_reinvite(&mut self, _now: Duration, purpose: Purpose, sdp: String) {
        let txn = ClientTxn(self.next_txn);
        self.next_txn += 1;
        info!(call_id = %self.call_id, txn = txn.0, ?purpose, "sending re-INVITE");
        self.ours = Some(OurReinvite { txn, purpose });
        self.actions.push_back(Action::SendReinvite { txn, sdp });
    }

    fn on_reinvite_ok(&mut self, now: Duration, ours: OurReinvite, sdp: Option<&[u8]>) {
        // The 2xx is ACKed whatever it carries (RFC 3261 §13.2.2.4).
        self.last_ok = Some(ours.txn);
        self.actions.push_back(Action::SendAck {
            txn: ours.txn,
            sdp: None,
        });
        let session = self.sdp.as_mut().expect("a re-INVITE implies a session");
        let before = session.current().cloned();
        let media = match sdp {
            None => Err("2xx without SDP".to_string()),
            Some(body) => SessionDescription::parse(body)
                .map_err(|e| e.to_string())
                .and_then(|a| session.receive_answer(&a).map_err(|e| e.to_string())),
        };
        match media {
            Ok(media) if !media.is_empty() => {
                if ours.purpose == Purpose::T38 && media.t38.is_none() {
                    self.t38_closed = true;
                }
                self.glare_retries = 0;
                self.media_changed(before.as_ref(), media);
            }
            Ok(_) if ours.purpose == Purpose::T38 => {
                // The peer took the offer but rejected the image stream too: back to audio.
                warn!(call_id = %self.call_id, "2xx rejected every stream of our T.38 offer: re-offering audio");
                self.t38_closed = true;
                self.t38_wanted = false;
                let offer = self.sdp.as_mut().expect("checked").offer_audio();
                self.send_reinvite(now, Purpose::Audio, offer.sdp);
            }
            Ok(_) => {
                warn!(call_id = %self.call_id, "2xx rejected every stream of our audio offer");
                self.bye(now, Reason::BadAnswer);
            }
            Err(e) => {
                session_cancel(self.sdp.as_mut());
                warn!(call_id = %self.call_id, error = %e, "unusable answer in the 2xx: ending the call");
                self.bye(now, Reason::BadAnswer);
            }
        }
    }

    fn on_glare(&mut self, now: Duration, ours: OurReinvite) {
        if self.glare_retries >= self.config.max_glare_retries {
            info!(call_id = %self.call_id, retries = self.glare_retries, "491 again: giving up the re-INVITE");
            if ours.purpose == Purpose::T38 {
                self.t38_wanted = false;
                self.t38_closed = true;
            }
            return;
        }
        self.glare_retries += 1;
        let delay = glare_delay(&mut self.rng, self.owns_call_id);
        info!(call_id = %self.call_id, delay_ms = delay.as_millis() as u64, retry = self.glare_retries, "491: retrying later");
        self.retry_at = Some(now + delay);
        if ours.purpose == Purpose::T38 {
            self.t38_wanted = true;
        }
    }

    /// Sends BYE (dropping any re-INVITE of ours) and ends the call.
    fn bye(&mut self, now: Duration, reason: Reason) {
        self.ours = None;
        session_cancel(self.sdp.as_mut());
        self.actions.push_back(Action::SendBye);
        self.terminate(now, reason);
    }

    fn terminate(&mut self, _now: Duration, reason: Reason) {
        info!(call_id = %self.call_id, %reason, "call terminated");
        self.phase = Phase::Terminated;
        self.ours = None;
        self.awaiting_ack.clear();
        self.retry_at = None;
        self.ced_deadline = None;
        self.end_at = None;
        self.cancel_deadline = None;
        self.t38_wanted = false;
        self.actions.push_back(Action::Terminated(reason));
    }
}

fn session_cancel(session: Option<&mut SdpSession>) {
    if let Some(s) = session {
        s.cancel_offer();
    }
}

/// RFC 3261 §14.1 back-off after a 491, in units of 10 ms: 2.1–4 s if we own the Call-ID,
/// 0–2 s otherwise.
fn glare_delay(rng: &mut impl Rng, owns_call_id: bool) -> Duration {
    let ticks: u64 = if owns_call_id {
        rng.random_range(210..=400)
    } else {
        rng.random_range(0..=200)
    };
    Duration::from_millis(ticks * 10)
}

/// The RFC 3261 reason phrase for the statuses the call sends.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        183 => "Session Progress",
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        503 => "Service Unavailable",
        603 => "Decline",
        606 => "Not Acceptable",
        _ => match status / 100 {
            1 => "Progress",
            2 => "OK",
            3 => "Redirection",
            4 => "Client Error",
            5 => "Server Error",
            _ => "Global Failure",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glare_delay_follows_call_id_ownership() {
        let mut rng = SmallRng::seed_from_u64(7);
        for _ in 0..1000 {
            let d = glare_delay(&mut rng, false);
            assert!(d <= Duration::from_secs(2), "{d:?}");
            assert_eq!(d.as_millis() % 10, 0);
            let d = glare_delay(&mut rng, true);
            assert!(
                (Duration::from_millis(2100)..=Duration::from_secs(4)).contains(&d),
                "{d:?}"
            );
        }
    }

    #[test]
    fn reason_phrases() {
        assert_eq!(reason_phrase(491), "Request Pending");
        assert_eq!(reason_phrase(488), "Not Acceptable Here");
        assert_eq!(reason_phrase(599), "Server Error");
    }

    #[test]
    fn intents_in_the_wrong_state_are_errors() {
        let mut call = Call::new_inbound("c", CallConfig::default(), 1);
        assert!(matches!(
            call.ring(Duration::ZERO),
            Err(CallError::InvalidState { .. })
        ));
        assert_eq!(
            call.reject(Duration::ZERO, 200),
            Err(CallError::NotAFailure(200))
        );
        let mut accept = Call::new_inbound(
            "c",
            CallConfig {
                t38: T38Policy::Accept,
                ..CallConfig::default()
            },
            1,
        );
        assert_eq!(
            accept.request_t38(Duration::ZERO),
            Err(CallError::T38NotAllowed)
        );
    }
}
