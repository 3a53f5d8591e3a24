//! The loop that runs one established call: it feeds the sans-IO [`Call`] with signalling
//! events, media events and timeouts, and carries out its actions on the SIP leg and the media
//! channel. Inbound calls (the gateway) and outbound calls (`faxvox call` and outbound
//! faxes, through `outbound::dial`) share it, so both sides of a call behave the same.

use std::time::Duration;

use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::call::driver::{MediaEvents, MediaHandle};
use crate::call::media_call::MediaEvent;
use crate::sip::call::{Action, Call, Reason, ServerTxn};
use crate::sip::leg::Leg;
use crate::sip::stack::feed;

/// What happened during the call, for records and for the test caller's report.
#[derive(Debug, Clone, Default)]
pub struct DriveReport {
    /// Why the call ended; `None` only if the SIP leg vanished under us.
    pub reason: Option<Reason>,
    /// Time from the start of `drive` to the 200 OK of the initial INVITE (inbound) or the
    /// start of the media (outbound).
    pub answered_after: Option<Duration>,
    /// Time from the start of `drive` to the hang-up: ours (the media finished) or the peer's
    /// BYE, before the BYE transaction completes; `None` if neither happened.
    pub hung_up_after: Option<Duration>,
    /// Time from the start of `drive` to the end.
    pub ended_after: Duration,
    /// The media was switched to T.38 at some point.
    pub t38: bool,
    /// A fax tone turned a voice call into a fax call.
    pub fax_tone: bool,
    /// Final status sent on the initial INVITE, if we sent one (inbound).
    pub final_status: Option<u16>,
}

/// Runs `call` until it terminates. `start` is the origin of the call's clock (the time the
/// INVITE arrived or was sent). Actions already queued in `call` are carried out first.
pub async fn drive<L: Leg>(
    call: &mut Call,
    leg: &mut L,
    media: &MediaHandle,
    events: &mut MediaEvents,
    start: Instant,
) -> DriveReport {
    let mut report = DriveReport::default();
    let now = || start.elapsed();
    let mut media_open = true;
    let mut leg_open = true;
    loop {
        while let Some(action) = call.poll_action() {
            match &action {
                Action::StartMedia(m) => {
                    report.answered_after.get_or_insert(now());
                    report.t38 |= m.t38.is_some();
                    media.apply(m.clone());
                }
                Action::SwitchMedia(m) => {
                    report.t38 |= m.t38.is_some();
                    media.apply(m.clone());
                }
                Action::Terminated(reason) => {
                    report.reason = Some(*reason);
                    report.hung_up_after.get_or_insert(now());
                }
                Action::SendResponse {
                    txn: ServerTxn::Invite,
                    status,
                    ..
                } => {
                    if *status >= 200 {
                        report.final_status = Some(*status);
                        if (200..300).contains(status) {
                            report.answered_after.get_or_insert(now());
                        }
                    }
                    leg.perform(&action);
                }
                _ => leg.perform(&action),
            }
        }
        if call.is_finished() {
            break;
        }
        let deadline = call.poll_timeout().map(|t| start + t);
        tokio::select! {
            ev = leg.next_event(), if leg_open => match ev {
                Some(ev) => feed(call, now(), ev),
                None => {
                    // The stack dropped the dialog (transport gone, stack shut down): nothing
                    // more can be signalled, so end the call as if the peer hung up.
                    warn!(call_id = %call.call_id(), "SIP dialog vanished; ending the call");
                    leg_open = false;
                    call.on_bye(now());
                }
            },
            ev = events.recv(), if media_open => match ev {
                Some(MediaEvent::FaxTone(tone)) => {
                    info!(call_id = %call.call_id(), ?tone, "fax tone from the media");
                    report.fax_tone = true;
                    call.media_event(now(), tone);
                }
                Some(MediaEvent::Finished) => {
                    debug!(call_id = %call.call_id(), "media finished: hanging up");
                    report.hung_up_after.get_or_insert(now());
                    call.hangup(now());
                }
                Some(MediaEvent::Dtmf(digit)) => {
                    debug!(call_id = %call.call_id(), %digit, "DTMF");
                }
                None => {
                    media_open = false;
                    report.hung_up_after.get_or_insert(now());
                    call.hangup(now());
                }
            },
            _ = sleep_until_opt(deadline) => call.on_timeout(now()),
        }
    }
    report.ended_after = now();
    report
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
