//! Incoming calls: an out-of-dialog INVITE becomes an [`IncomingCall`] (the routing facts
//! of the caller and the dialled number), is admitted ([`super::router::admit_call`]: a
//! digest challenge for untrusted sources), and waits in [`IncomingCalls`] for the
//! application, which rejects it or turns it into a leg.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use rsipstack::sip::prelude::{HeadersExt, ToTypedHeader};
use rsipstack::sip::{Header, Param, Request, Scheme, StatusCode, Transport, Uri};
use rsipstack::transaction::transaction::Transaction;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

#[cfg(doc)]
use super::super::call::Call;

use super::router::{self, CallAdmission};
use super::{body, SipLeg, StackError, StackInner};

/// The stream of new incoming calls.
#[derive(Debug)]
pub struct IncomingCalls {
    pub(super) rx: mpsc::Receiver<IncomingCall>,
}

impl IncomingCalls {
    /// The next out-of-dialog INVITE; `None` once the stack is shut down.
    pub async fn next(&mut self) -> Option<IncomingCall> {
        self.rx.recv().await
    }
}

/// An out-of-dialog INVITE waiting for the application's routing decision. 100 Trying has
/// been sent. Dropping it unanswered answers 480.
pub struct IncomingCall {
    /// SIP Call-ID.
    pub call_id: String,
    /// Where the INVITE came from (transport source address).
    pub source: SocketAddr,
    /// "udp", "tcp" or "tls".
    pub transport: &'static str,
    /// The digest user name the INVITE authenticated as
    /// ([`StackConfig::auth`](super::StackConfig::auth)); `None` when it carried no
    /// credentials we checked (trusted source, or no `auth`).
    pub authenticated_user: Option<String>,
    /// Request-URI user part, raw (the dialled number).
    pub request_user: String,
    /// The caller's number from the From URI, decoded and cleaned
    /// ([`crate::sip::caller_id`]): E.164 where it can be.
    pub from_user: String,
    /// From display name, if any, unescaped and cleaned.
    pub from_display: Option<String>,
    /// The caller asked for its identity to be withheld (`Privacy: id`, `header` or `user`,
    /// RFC 3323/3325): whatever From says, the number must not reach the called party.
    pub privacy: bool,
    /// To user part, raw.
    pub to_user: String,
    /// The INVITE body (the SDP offer), if any.
    pub sdp: Option<Vec<u8>>,
    /// From outside the trusted networks without credentials: no 100 Trying was sent, and a
    /// rejection is sent once, not retransmitted (see [`IncomingCall::reject`]).
    pub unverified: bool,
    tx: Option<Transaction>,
    stack: Arc<StackInner>,
}

impl std::fmt::Debug for IncomingCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingCall")
            .field("call_id", &self.call_id)
            .field("source", &self.source)
            .field("transport", &self.transport)
            .field("authenticated_user", &self.authenticated_user)
            .field("request_user", &self.request_user)
            .field("from_user", &self.from_user)
            .field("from_display", &self.from_display)
            .field("to_user", &self.to_user)
            .field("sdp_len", &self.sdp.as_ref().map(Vec::len))
            .finish()
    }
}

impl IncomingCall {
    /// Answers the INVITE with a final failure (403, 404, 486, 503, …) without creating a
    /// dialog. The standard reason phrase is sent for standard codes (rsipstack writes
    /// its own); `reason` is logged. The transaction keeps retransmitting the response
    /// until the ACK, in the background — except for an [`unverified`](Self::unverified)
    /// caller, answered once (no reflection of a flood).
    pub async fn reject(mut self, status: u16, reason: &str) {
        let Some(mut tx) = self.tx.take() else {
            return;
        };
        let status = if (300..700).contains(&status) {
            status
        } else {
            warn!(call_id = %self.call_id, status, "reject with a non-failure status: 500 instead");
            500
        };
        info!(call_id = %self.call_id, status, reason, "call rejected");
        if let Err(e) = tx.reply(StatusCode::from(status)).await {
            warn!(call_id = %self.call_id, error = %e, "cannot send the rejection");
            return;
        }
        if self.unverified {
            // Sent once: dropping the transaction stops the retransmissions and leaves the
            // response with rsipstack to answer the INVITE's own retransmissions (no 100
            // was sent, so the caller retransmits until it hears) one for one.
            return;
        }
        let call_id = self.call_id.clone();
        tokio::spawn(async move {
            // Drive the transaction: response retransmissions (Timer G) until the ACK.
            while tx.receive().await.is_some() {}
            debug!(call_id = %call_id, "rejected INVITE transaction over");
        });
    }

    /// Creates the server dialog (the To tag) and hands the transaction to it. Sends nothing
    /// more yet: the [`Call`]'s actions follow through [`SipLeg::perform`]. A CANCEL that
    /// arrived during routing is processed now (487 by the stack, then
    /// [`LegEvent::Cancel`](super::LegEvent::Cancel)).
    pub fn into_leg(mut self) -> Result<SipLeg, StackError> {
        let Some(mut tx) = self.tx.take() else {
            return Err(StackError::Dialog("transaction already used".into()));
        };
        let stack = self.stack.clone();
        let (state_tx, state_rx) = stack.layer.new_dialog_state_channel();
        let mut contact = Uri {
            scheme: Some(Scheme::Sip),
            auth: None,
            host_with_port: stack.advertised.clone(),
            params: vec![],
            headers: vec![],
        };
        match (self.transport, stack.tls_addr) {
            ("tcp", _) => contact.params.push(Param::Transport(Transport::Tcp)),
            ("tls", Some(tls)) => {
                contact.host_with_port.port = Some(tls.port().into());
                contact.params.push(Param::Transport(Transport::Tls));
            }
            _ => {}
        }
        let dialog = stack
            .layer
            .get_or_create_server_invite(&tx, state_tx, None, Some(contact.clone()))
            .map_err(StackError::from)?;
        let initial_cseq = tx.original.cseq_header().and_then(|c| c.seq()).ok();
        let mut driver = dialog.clone();
        let call_id = self.call_id.clone();
        tokio::spawn(async move {
            if let Err(e) = driver.handle(&mut tx).await {
                debug!(call_id = %call_id, error = %e, "INVITE transaction ended with an error");
            }
        });
        debug!(call_id = %self.call_id, "server dialog created");
        Ok(SipLeg::new(stack, dialog, state_rx, initial_cseq, contact))
    }
}

impl Drop for IncomingCall {
    fn drop(&mut self) {
        if let Some(mut tx) = self.tx.take() {
            warn!(call_id = %self.call_id, "incoming call dropped unanswered: 480");
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    if tx.reply(StatusCode::TemporarilyUnavailable).await.is_ok() {
                        while tx.receive().await.is_some() {}
                    }
                });
            }
        }
    }
}

/// Carries out [`router::Route::NewCall`]: reads the INVITE (400 when From or To do not
/// parse), admits it ([`router::admit_call`]: 401 once, or a lock-out after too many
/// failures), sends 100 Trying to a verified caller and queues the call (503 when the queue
/// is full or nobody takes calls).
pub(super) async fn offer(
    stack: &Arc<StackInner>,
    mut tx: Transaction,
    call_id: String,
    untrusted: bool,
    calls: &mpsc::Sender<IncomingCall>,
) {
    let Some(mut call) = incoming_call(stack, &mut tx, &call_id) else {
        router::reply_and_forget(tx, StatusCode::BadRequest, false, untrusted);
        return;
    };
    let values: Vec<String> = tx
        .original
        .headers
        .iter()
        .filter_map(|h| match h {
            Header::Authorization(v) => Some(v.value().to_string()),
            _ => None,
        })
        .collect();
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    let request_uri = tx.original.uri.to_string();
    let admission = router::admit_call(
        stack.digest.as_ref(),
        std::time::SystemTime::now(),
        untrusted,
        &request_uri,
        &values,
    );
    match admission {
        CallAdmission::Offer {
            authenticated_user,
            unverified,
        } => {
            call.authenticated_user = authenticated_user;
            call.unverified = unverified;
        }
        CallAdmission::Challenge {
            header,
            why,
            failed,
        } => {
            info!(call_id = %call_id, source = %call.source, reason = why, "INVITE from an untrusted source: 401 challenge");
            if failed && stack.auth_failed(call.source.ip()) {
                warn!(call_id = %call_id, source = %call.source, "too many failed authentications: source locked out");
            }
            // `call` holds no transaction yet: dropping it sends nothing.
            challenge_once(tx, header).await;
            return;
        }
    }
    // An untrusted caller without credentials is refused by the application: no
    // 100 Trying, and the refusal is sent once (see `IncomingCall::reject`).
    if !call.unverified {
        if let Err(e) = tx.send_trying().await {
            debug!(call_id = %call_id, error = %e, "cannot send 100 Trying");
        }
    }
    call.tx = Some(tx);
    info!(
        call_id = %call.call_id,
        source = %call.source,
        transport = call.transport,
        user = call.authenticated_user.as_deref().unwrap_or(""),
        to = %call.request_user,
        from = %call.from_user,
        "incoming INVITE"
    );
    match calls.try_send(call) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(call)) => {
            warn!(call_id = %call.call_id, "incoming call queue full: 503");
            call.reject(503, "Service Unavailable").await;
        }
        Err(mpsc::error::TrySendError::Closed(call)) => {
            info!(call_id = %call.call_id, "nobody takes calls: 503");
            call.reject(503, "Service Unavailable").await;
        }
    }
}
/// Whether a request's `Privacy` header asks to withhold the caller's identity: the values
/// `id`, `header` or `user` (RFC 3323 §4.2, RFC 3325 §9.3), in one header or several,
/// case-insensitive. `none`, `session` and `critical` alone do not.
fn privacy_requested(req: &Request) -> bool {
    req.headers
        .iter()
        .any(|h| h.name().eq_ignore_ascii_case("privacy") && privacy_withholds_identity(h.value()))
}

/// Whether one `Privacy` header value (`id;critical`, `header, session`…) withholds the
/// caller's identity. Public for the fuzz targets (`crate::fuzzing`).
#[doc(hidden)]
pub fn privacy_withholds_identity(value: &str) -> bool {
    value
        .split([';', ','])
        .map(|v| v.trim().to_ascii_lowercase())
        .any(|v| matches!(v.as_str(), "id" | "header" | "user"))
}

/// Reads the routing facts of an initial INVITE; `None` when From or To do not parse.
fn incoming_call(
    stack: &Arc<StackInner>,
    tx: &mut Transaction,
    call_id: &str,
) -> Option<IncomingCall> {
    let req: &Request = &tx.original;
    let from_header = req.from_header().ok()?;
    // The typed parse checks the header is well formed; the caller's number and name come
    // from the raw value, taken apart as SIP and tel URIs define them (percent escapes,
    // visual separators, quoted-string escapes), never shown raw.
    from_header.typed().ok()?;
    let caller = super::super::caller_id::caller_identity(from_header.value())?;
    let to = req.to_header().ok()?.typed().ok()?;
    let user = |uri: &Uri| {
        uri.auth
            .as_ref()
            .map(|a| a.user.clone())
            .unwrap_or_default()
    };
    let (source, transport) = match tx.connection.as_ref() {
        Some(conn) => (
            conn.get_remote_addr().and_then(|a| a.get_socketaddr().ok()),
            match conn.transport() {
                Transport::Tcp => "tcp",
                Transport::Tls => "tls",
                _ => "udp",
            },
        ),
        None => (None, "udp"),
    };
    let source = source.unwrap_or_else(|| SocketAddr::new(IpAddr::from([0, 0, 0, 0]), 0));
    Some(IncomingCall {
        call_id: call_id.to_string(),
        source,
        transport,
        authenticated_user: None,
        request_user: user(&req.uri),
        from_user: caller.number,
        from_display: caller.display,
        privacy: privacy_requested(req),
        to_user: user(&to.uri),
        sdp: body(&req.body),
        unverified: false,
        tx: None,
        stack: stack.clone(),
    })
}

/// Answers an INVITE 401 with `www_authenticate` once. No retransmissions (an untrusted,
/// perhaps spoofed, source must not get ten answers for one request): the transaction is
/// dropped at once, which leaves the 401 with rsipstack for 32 s, so each retransmission of
/// the INVITE (the caller's timer A, it got no 100) is answered with it, one for one, and
/// the ACK is absorbed.
pub(super) async fn challenge_once(mut tx: Transaction, www_authenticate: String) {
    let headers = vec![Header::WwwAuthenticate(www_authenticate.into())];
    if let Err(e) = tx.reply_with(StatusCode::Unauthorized, headers, None).await {
        debug!(error = %e, "cannot send the 401");
    }
}

#[cfg(test)]
mod tests {
    use super::privacy_withholds_identity;

    #[test]
    fn privacy_values() {
        for v in [
            "id",
            "ID",
            "id;critical",
            "header",
            "user",
            "session; id",
            "none, header",
        ] {
            assert!(privacy_withholds_identity(v), "{v}");
        }
        for v in ["", "none", "session", "critical", "identity", "idx"] {
            assert!(!privacy_withholds_identity(v), "{v}");
        }
    }
}
