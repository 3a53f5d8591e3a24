//! [`Leg`]: what the call loop needs from a SIP dialog, whatever carries it. The gateway and
//! the test caller run calls through this trait, so the SIP stack (rsipstack, in
//! [`super::stack`]) stays behind one seam: swapping or upgrading it touches one file, and the
//! call loop can be driven by a scripted leg in tests.

use std::future::Future;

use super::call::Action;
use super::stack::{LegEvent, SipLeg};

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
