//! [`Leg`]: what the call loop needs from a SIP dialog, whatever carries it. The gateway and
//! the test caller run calls through this trait, so the SIP stack (rsipstack, in
//! [`super::stack`]) stays behind one seam: swapping or upgrading it touches one file, and the
//! call loop can be driven by a scripted leg in tests.

use std::future::Future;
use std::time::Duration;

use super::call::{Action, Call, ClientTxn, ServerTxn};
use super::stack::SipLeg;

/// Something that happened on a dialog; feed it to the [`Call`] with [`feed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegEvent {
    /// The ACK of our 2xx on `txn` (initial INVITE or a re-INVITE), with its body.
    Ack {
        /// Which INVITE the ACK confirms.
        txn: ServerTxn,
        /// The ACK body (the answer when our 2xx carried the offer).
        sdp: Option<Vec<u8>>,
    },
    /// The peer's in-dialog INVITE; answer it with
    /// `SendResponse { txn: ServerTxn::Reinvite(txn), .. }`. `txn` is its CSeq number.
    Reinvite {
        /// The glue's id for the transaction.
        txn: u64,
        /// The offer, if any.
        sdp: Option<Vec<u8>>,
    },
    /// The final response to our re-INVITE `txn` (408 when it timed out).
    Response {
        /// Our transaction.
        txn: ClientTxn,
        /// Status code.
        status: u16,
        /// The body (the answer).
        sdp: Option<Vec<u8>>,
    },
    /// The peer hung up (the stack has answered 200).
    Bye,
    /// The caller cancelled the unanswered INVITE (the stack has answered 200 and 487).
    Cancel,
}

/// Feeds one [`LegEvent`] to the [`Call`]; drain [`Call::poll_action`] afterwards.
pub fn feed(call: &mut Call, now: Duration, ev: LegEvent) {
    match ev {
        LegEvent::Ack { txn, sdp } => call.on_ack(now, txn, sdp.as_deref()),
        LegEvent::Reinvite { txn, sdp } => call.on_reinvite(now, txn, sdp.as_deref()),
        LegEvent::Response { txn, status, sdp } => {
            call.on_response(now, txn, status, sdp.as_deref())
        }
        LegEvent::Bye => call.on_bye(now),
        LegEvent::Cancel => call.on_cancel(now),
    }
}

/// One SIP dialog as the call loop sees it: it carries out the signalling actions of
/// [`super::call::Call`] and reports what the peer did.
pub trait Leg: Send {
    /// The dialog's Call-ID, for logs.
    fn call_id(&self) -> &str;
    /// Carries out a signalling action (responses, re-INVITE, ACK, BYE, CANCEL); media and
    /// termination actions are not for the leg and are ignored. Must not block.
    fn perform(&mut self, action: &Action);
    /// The next thing the peer did; `None` once the dialog is gone for good.
    fn next_event(&mut self) -> impl Future<Output = Option<LegEvent>> + Send;
}

impl Leg for SipLeg {
    fn call_id(&self) -> &str {
        SipLeg::call_id(self)
    }

    fn perform(&mut self, action: &Action) {
        SipLeg::perform(self, action)
    }

    fn next_event(&mut self) -> impl Future<Output = Option<LegEvent>> + Send {
        SipLeg::next_event(self)
    }
}
