//! Dialogs: a [`SipLeg`] carries out the [`Call`]'s signalling actions on one INVITE
//! dialog, and its dialog watcher turns rsipstack's dialog states into [`LegEvent`]s and
//! answers the in-dialog requests the [`Call`] does not handle. The router hands a leg the
//! re-INVITEs rsipstack would not (before the dialog is confirmed) through its [`LegHook`].

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rsipstack::dialog::dialog::{
    DialogState, DialogStateReceiver, TerminatedReason, TransactionCommand, TransactionHandle,
};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::dialog::DialogId;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::sip::{Header, Method, Response, SipMessage, StatusCode, StatusCodeKind, Uri};
use rsipstack::transaction::key::TransactionRole;
use rsipstack::transaction::transaction::Transaction;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

#[cfg(doc)]
use super::super::call::Call;

use super::super::call::{Action, ServerTxn};
use super::super::leg::LegEvent;
use super::{body, StackInner};

/// How long a re-INVITE waits for the [`Call`]'s answer before the glue answers 500 (64*T1,
/// as rsipstack waits for its own in-dialog requests).
const REINVITE_ANSWER_TIMEOUT: Duration = Duration::from_secs(32);

enum Internal {
    Event(LegEvent),
    /// The dialog terminated; nothing follows.
    Gone,
}

/// State shared between a leg and its dialog watcher.
struct LegShared {
    call_id: String,
    role: TransactionRole,
    /// CSeq of the initial INVITE (server legs only).
    initial_cseq: Option<u32>,
    /// Handles of the peer's re-INVITEs not yet answered finally, by CSeq.
    handles: Mutex<HashMap<u64, TransactionHandle>>,
    /// Server transactions we sent a 2xx on and whose ACK is not yet reported.
    awaiting_ack: Mutex<HashSet<ServerTxn>>,
    /// Our Contact, for the responses the glue builds itself.
    contact: Uri,
}

/// What the router needs to hand a leg an in-dialog request itself.
#[derive(Clone)]
pub(super) struct LegHook {
    shared: Arc<LegShared>,
    events: mpsc::UnboundedSender<Internal>,
}

/// One INVITE dialog, UAS or UAC. Executes [`Call`] actions and reports [`LegEvent`]s.
/// Dropping it forgets the dialog without sending anything (end calls with
/// [`Action::SendBye`] first).
pub struct SipLeg {
    dialog: InviteDialog,
    stack: Arc<StackInner>,
    shared: Arc<LegShared>,
    events: mpsc::UnboundedReceiver<Internal>,
    events_tx: mpsc::UnboundedSender<Internal>,
    gone: bool,
}

impl std::fmt::Debug for SipLeg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipLeg")
            .field("call_id", &self.shared.call_id)
            .field("role", &self.shared.role)
            .field("gone", &self.gone)
            .finish()
    }
}

impl SipLeg {
    pub(super) fn new(
        stack: Arc<StackInner>,
        dialog: InviteDialog,
        states: DialogStateReceiver,
        initial_cseq: Option<u32>,
        contact: Uri,
    ) -> SipLeg {
        let shared = Arc::new(LegShared {
            call_id: dialog.id().call_id,
            role: dialog.role(),
            initial_cseq,
            handles: Mutex::new(HashMap::new()),
            awaiting_ack: Mutex::new(HashSet::new()),
            contact,
        });
        let (events_tx, events) = mpsc::unbounded_channel();
        stack.legs.lock().expect("legs lock").insert(
            dialog.id(),
            LegHook {
                shared: shared.clone(),
                events: events_tx.clone(),
            },
        );
        tokio::spawn(watch_dialog(
            stack.clone(),
            dialog.clone(),
            states,
            shared.clone(),
            events_tx.clone(),
        ));
        SipLeg {
            dialog,
            stack,
            shared,
            events,
            events_tx,
            gone: false,
        }
    }

    /// The SIP Call-ID.
    pub fn call_id(&self) -> &str {
        &self.shared.call_id
    }

    /// Whether we placed the call (UAC).
    pub fn is_outbound(&self) -> bool {
        self.shared.role == TransactionRole::Client
    }

    /// Executes a signalling [`Action`] of the [`Call`]; never blocks (what rsipstack does
    /// asynchronously is spawned, outcomes come back through [`next_event`](Self::next_event)).
    ///
    /// - `SendResponse { txn: Invite }`: 100 is a no-op (already sent); other 1xx →
    ///   180 (183 with SDP); 2xx → 200 with the SDP; failures → that status.
    /// - `SendResponse { txn: Reinvite(id) }`: answers the stored transaction of that re-INVITE.
    /// - `SendResponse { txn: Bye }`: no-op, rsipstack answered the BYE with 200 itself.
    /// - `SendReinvite`: sent; its final response comes back as [`LegEvent::Response`]
    ///   (no response at all: 408; a local send failure: 503).
    /// - `SendAck`: no-op, rsipstack's transaction ACKs every 2xx (and its retransmissions).
    /// - `SendBye`: BYE; the leg ends.
    /// - `SendCancel`: no-op on an established leg (cancel an outgoing INVITE by dropping the
    ///   [`SipStack::invite`](super::SipStack::invite) future).
    /// - Media and `Terminated` actions are not the stack's business: ignored.
    pub fn perform(&mut self, action: &Action) {
        let call_id = self.shared.call_id.clone();
        match action {
            Action::SendResponse {
                txn: ServerTxn::Invite,
                status,
                sdp,
                ..
            } => self.respond_invite(*status, sdp.as_deref()),
            Action::SendResponse {
                txn: ServerTxn::Reinvite(id),
                status,
                sdp,
                ..
            } => {
                let handle = {
                    let mut handles = self.shared.handles.lock().expect("handles lock");
                    if *status < 200 {
                        handles.get(id).cloned()
                    } else {
                        handles.remove(id)
                    }
                };
                let Some(handle) = handle else {
                    warn!(call_id = %call_id, txn = id, status, "response for an unknown re-INVITE dropped");
                    return;
                };
                if (200..300).contains(status) {
                    self.shared
                        .awaiting_ack
                        .lock()
                        .expect("ack lock")
                        .insert(ServerTxn::Reinvite(*id));
                }
                let (mut headers, body) = sdp_parts(sdp.as_deref());
                if *status == 500 {
                    // RFC 3261 §14.2: the Call's 500 says "not now" (before its 2xx).
                    headers.get_or_insert_with(Vec::new).push(retry_after());
                }
                let status = *status;
                let id = *id;
                debug!(call_id = %call_id, txn = id, status, "answering re-INVITE");
                tokio::spawn(async move {
                    if handle
                        .respond(StatusCode::from(status), headers, body)
                        .await
                        .is_err()
                    {
                        warn!(call_id = %call_id, txn = id, status, "re-INVITE transaction gone before our answer");
                    }
                });
            }
            Action::SendResponse {
                txn: ServerTxn::Bye,
                ..
            } => {
                debug!(call_id = %call_id, "BYE already answered by the stack");
            }
            Action::SendReinvite { txn, sdp } => {
                let dialog = self.dialog.clone();
                let events = self.events_tx.clone();
                let txn = *txn;
                let body = sdp.clone().into_bytes();
                debug!(call_id = %call_id, txn = txn.get(), "sending re-INVITE");
                tokio::spawn(async move {
                    let headers = vec![Header::ContentType("application/sdp".into())];
                    let (status, sdp) = match dialog.reinvite(Some(headers), Some(body)).await {
                        Ok(Some(resp)) => (resp.status_code.code(), body_of(&resp)),
                        Ok(None) => {
                            info!(call_id = %call_id, txn = txn.get(), "re-INVITE got no response (or the dialog was not confirmed): 408");
                            (408, None)
                        }
                        Err(e) => {
                            warn!(call_id = %call_id, txn = txn.get(), error = %e, "re-INVITE failed to send: 503");
                            (503, None)
                        }
                    };
                    debug!(call_id = %call_id, txn = txn.get(), status, "re-INVITE answered");
                    events
                        .send(Internal::Event(LegEvent::Response { txn, status, sdp }))
                        .ok();
                });
            }
            Action::SendAck { txn, .. } => {
                debug!(call_id = %call_id, txn = txn.get(), "ACK sent by the stack's transaction");
            }
            Action::SendBye => {
                let dialog = self.dialog.clone();
                info!(call_id = %call_id, "sending BYE");
                tokio::spawn(async move {
                    if let Err(e) = dialog.bye().await {
                        debug!(call_id = %call_id, error = %e, "BYE failed");
                    }
                });
            }
            Action::SendCancel => {
                debug!(call_id = %call_id, "CANCEL on an established leg ignored");
            }
            Action::StartMedia(_) | Action::SwitchMedia(_) | Action::Terminated(_) => {}
        }
    }

    fn respond_invite(&mut self, status: u16, sdp: Option<&str>) {
        let call_id = &self.shared.call_id;
        if self.shared.role != TransactionRole::Server {
            warn!(call_id = %call_id, status, "response to the initial INVITE on an outgoing leg dropped");
            return;
        }
        let (headers, body) = sdp_parts(sdp);
        let result = match status {
            100 => Ok(()),
            101..=199 => self.dialog.ringing(headers, body),
            200..=299 => {
                self.shared
                    .awaiting_ack
                    .lock()
                    .expect("ack lock")
                    .insert(ServerTxn::Invite);
                self.dialog.accept(headers, body)
            }
            _ => self.dialog.reject(Some(StatusCode::from(status)), None),
        };
        match result {
            Ok(()) => debug!(call_id = %call_id, status, "INVITE answered"),
            Err(e) => warn!(call_id = %call_id, status, error = %e, "cannot answer the INVITE"),
        }
    }

    /// The next event; `None` once the dialog is over (BYE either way, CANCEL, rejection,
    /// no ACK) and for ever after.
    pub async fn next_event(&mut self) -> Option<LegEvent> {
        if self.gone {
            return None;
        }
        match self.events.recv().await {
            Some(Internal::Event(ev)) => Some(ev),
            Some(Internal::Gone) | None => {
                self.gone = true;
                None
            }
        }
    }
}

impl Drop for SipLeg {
    fn drop(&mut self) {
        // The watcher removes terminated dialogs; a leg dropped mid-call is forgotten here.
        forget_leg(&self.stack, &self.dialog.id(), &self.shared);
        if !self.gone {
            let id = self.dialog.id();
            if self.stack.layer.get_dialog(&id).is_some() {
                debug!(call_id = %self.shared.call_id, "leg dropped: dialog forgotten");
                self.stack.layer.remove_dialog(&id);
            }
        }
    }
}

/// Removes the router's hook to the leg (if it is still this leg's).
fn forget_leg(stack: &StackInner, id: &DialogId, shared: &Arc<LegShared>) {
    let mut legs = stack.legs.lock().expect("legs lock");
    if legs
        .get(id)
        .is_some_and(|hook| Arc::ptr_eq(&hook.shared, shared))
    {
        legs.remove(id);
    }
}

/// `Retry-After` with a random 0–10 s (RFC 3261 §14.2).
fn retry_after() -> Header {
    Header::RetryAfter(rand::random_range(0..=10u32).to_string().into())
}

fn sdp_parts(sdp: Option<&str>) -> (Option<Vec<Header>>, Option<Vec<u8>>) {
    match sdp {
        Some(sdp) => (
            Some(vec![Header::ContentType("application/sdp".into())]),
            Some(sdp.as_bytes().to_vec()),
        ),
        None => (None, None),
    }
}

fn body_of(resp: &Response) -> Option<Vec<u8>> {
    body(&resp.body)
}

fn cseq_of_response(resp: &Response) -> Option<(u32, Method)> {
    let cseq = resp.cseq_header().ok()?;
    Some((cseq.seq().ok()?, cseq.method().ok()?))
}

/// Turns one dialog's state changes into [`LegEvent`]s and answers the in-dialog requests
/// the [`Call`] does not handle.
async fn watch_dialog(
    stack: Arc<StackInner>,
    dialog: InviteDialog,
    mut states: DialogStateReceiver,
    shared: Arc<LegShared>,
    events: mpsc::UnboundedSender<Internal>,
) {
    let call_id = shared.call_id.clone();
    let server = shared.role == TransactionRole::Server;
    while let Some(state) = states.recv().await {
        match state {
            DialogState::Updated(_, req, handle) if req.method == Method::Invite => {
                let cseq = req.cseq_header().and_then(|c| c.seq()).unwrap_or(0) as u64;
                debug!(call_id = %call_id, txn = cseq, "re-INVITE received");
                shared
                    .handles
                    .lock()
                    .expect("handles lock")
                    .insert(cseq, handle);
                events
                    .send(Internal::Event(LegEvent::Reinvite {
                        txn: cseq,
                        sdp: body(&req.body),
                    }))
                    .ok();
            }
            DialogState::Updated(_, req, handle) => {
                // UPDATE: a session refresh without SDP is fine; offers are not supported.
                let status = if req.body.is_empty() {
                    StatusCode::OK
                } else {
                    StatusCode::NotAcceptableHere
                };
                debug!(call_id = %call_id, method = %req.method, %status, "in-dialog request");
                answer(handle, status, &call_id);
            }
            DialogState::Options(_, req, handle) | DialogState::Info(_, req, handle) => {
                debug!(call_id = %call_id, method = %req.method, "in-dialog request: 200");
                answer(handle, StatusCode::OK, &call_id);
            }
            DialogState::Notify(_, req, handle)
            | DialogState::Refer(_, req, handle)
            | DialogState::Message(_, req, handle)
            | DialogState::Publish(_, req, handle) => {
                debug!(call_id = %call_id, method = %req.method, "in-dialog request: 405");
                answer(handle, StatusCode::MethodNotAllowed, &call_id);
            }
            DialogState::Confirmed(_, resp) => {
                // Our 2xx (initial INVITE or a re-INVITE) was ACKed — or, on a UAC leg, the
                // peer's 2xx to our INVITE (never awaited here) / a non-INVITE answered.
                let Some((cseq, Method::Invite)) = cseq_of_response(&resp) else {
                    continue;
                };
                let txn = if server && shared.initial_cseq == Some(cseq) {
                    ServerTxn::Invite
                } else {
                    ServerTxn::Reinvite(u64::from(cseq))
                };
                if !shared.awaiting_ack.lock().expect("ack lock").remove(&txn) {
                    continue;
                }
                let sdp = dialog
                    .last_remote_ack()
                    .filter(|ack| ack.cseq_header().and_then(|c| c.seq()).ok() == Some(cseq))
                    .and_then(|ack| body(&ack.body));
                debug!(call_id = %call_id, ?txn, with_sdp = sdp.is_some(), "ACK received");
                events
                    .send(Internal::Event(LegEvent::Ack { txn, sdp }))
                    .ok();
            }
            DialogState::Terminated(id, reason) => {
                let event = match (&reason, server) {
                    (TerminatedReason::UacBye, true) | (TerminatedReason::UasBye, false) => {
                        Some(LegEvent::Bye)
                    }
                    (TerminatedReason::UacCancel, true) => Some(LegEvent::Cancel),
                    _ => None,
                };
                info!(call_id = %call_id, ?reason, "dialog terminated");
                if let Some(ev) = event {
                    events.send(Internal::Event(ev)).ok();
                }
                // Re-INVITEs still waiting for the Call are moot: the stack answers them 501
                // (487 for those the glue drives itself).
                shared.handles.lock().expect("handles lock").clear();
                forget_leg(&stack, &dialog.id(), &shared);
                stack.layer.remove_dialog(&id);
                stack.layer.remove_dialog(&dialog.id());
                events.send(Internal::Gone).ok();
                return;
            }
            DialogState::Calling(_)
            | DialogState::Trying(_)
            | DialogState::Early(_, _)
            | DialogState::WaitAck(_, _) => {}
        }
    }
    forget_leg(&stack, &dialog.id(), &shared);
    events.send(Internal::Gone).ok();
}

fn answer(handle: TransactionHandle, status: StatusCode, call_id: &str) {
    let call_id = call_id.to_string();
    tokio::spawn(async move {
        if handle.reply(status).await.is_err() {
            debug!(call_id = %call_id, "in-dialog transaction gone before our answer");
        }
    });
}

/// Answers a re-INVITE that arrived before its dialog was confirmed and that no leg takes
/// ([`super::router::Unconfirmed`]): `status`, with a `Retry-After` when `retry_after`, and
/// drives the transaction to its end.
pub(super) async fn refuse_reinvite(
    tx: Transaction,
    status: StatusCode,
    retry_after: bool,
    call_id: String,
) {
    let cseq = tx.original.cseq_header().and_then(|c| c.seq()).unwrap_or(0);
    let txn = u64::from(cseq);
    let headers = if retry_after {
        vec![self::retry_after()]
    } else {
        vec![]
    };
    info!(call_id = %call_id, txn, %status, "re-INVITE on a dialog that is not up");
    answer_and_drive(tx, status, headers).await;
}

/// Drives a re-INVITE that arrived before its dialog was confirmed (see the module docs):
/// hands it to the leg as a [`LegEvent::Reinvite`] answered through the same handle as any
/// other, then reports the ACK of a 2xx.
pub(super) async fn reinvite_to_leg(hook: LegHook, mut tx: Transaction, call_id: String) {
    let cseq = tx.original.cseq_header().and_then(|c| c.seq()).unwrap_or(0);
    let txn = u64::from(cseq);
    let (handle, mut commands) = TransactionHandle::new();
    hook.shared
        .handles
        .lock()
        .expect("handles lock")
        .insert(txn, handle);
    let event = LegEvent::Reinvite {
        txn,
        sdp: body(&tx.original.body),
    };
    if hook.events.send(Internal::Event(event)).is_err() {
        hook.shared
            .handles
            .lock()
            .expect("handles lock")
            .remove(&txn);
        answer_and_drive(tx, StatusCode::CallTransactionDoesNotExist, vec![]).await;
        return;
    }
    debug!(call_id = %call_id, txn, "re-INVITE before the ACK handed to the call");
    let answered = tokio::time::timeout(REINVITE_ANSWER_TIMEOUT, async {
        while let Some(TransactionCommand::Respond {
            status,
            headers,
            body,
        }) = commands.recv().await
        {
            let last = status.kind() != StatusCodeKind::Provisional;
            let mut headers = headers.unwrap_or_default();
            if matches!(
                status.kind(),
                StatusCodeKind::Provisional | StatusCodeKind::Successful
            ) {
                headers.push(Header::Contact(format!("<{}>", hook.shared.contact).into()));
            }
            headers.extend(
                tx.original
                    .headers
                    .iter()
                    .filter(|h| matches!(h, Header::RecordRoute(_)))
                    .cloned(),
            );
            if let Err(e) = tx.reply_with(status.clone(), headers, body).await {
                warn!(call_id = %call_id, txn, error = %e, "cannot answer the re-INVITE");
                return Err(());
            }
            if last {
                return Ok(Some(status));
            }
        }
        Ok(None)
    })
    .await;
    let status = match answered {
        Ok(Ok(Some(status))) => status,
        Ok(Err(())) => return,
        Ok(Ok(None)) => {
            // The dialog ended (the Call never answered): RFC 3261 §15.1.2.
            debug!(call_id = %call_id, txn, "dialog over before the re-INVITE was answered: 487");
            answer_and_drive(tx, StatusCode::RequestTerminated, vec![]).await;
            return;
        }
        Err(_) => {
            warn!(call_id = %call_id, txn, "the call did not answer the re-INVITE: 500");
            hook.shared
                .handles
                .lock()
                .expect("handles lock")
                .remove(&txn);
            answer_and_drive(tx, StatusCode::ServerInternalError, vec![retry_after()]).await;
            return;
        }
    };
    if status.kind() != StatusCodeKind::Successful {
        // Retransmit the failure until its ACK (Timer G/H).
        while tx.receive().await.is_some() {}
        return;
    }
    while let Some(msg) = tx.receive().await {
        if let SipMessage::Request(ack) = msg {
            if ack.method != Method::Ack {
                continue;
            }
            let stxn = ServerTxn::Reinvite(txn);
            if hook
                .shared
                .awaiting_ack
                .lock()
                .expect("ack lock")
                .remove(&stxn)
            {
                let sdp = body(&ack.body);
                debug!(call_id = %call_id, txn, with_sdp = sdp.is_some(), "ACK received");
                hook.events
                    .send(Internal::Event(LegEvent::Ack { txn: stxn, sdp }))
                    .ok();
            }
            return;
        }
    }
    info!(call_id = %call_id, txn, "no ACK for our 2xx to the re-INVITE");
}

/// Answers an INVITE transaction and drives it to its end (retransmissions, ACK).
async fn answer_and_drive(mut tx: Transaction, status: StatusCode, headers: Vec<Header>) {
    if let Err(e) = tx.reply_with(status, headers, None).await {
        debug!(error = %e, "cannot send response");
        return;
    }
    while tx.receive().await.is_some() {}
}
