//! Outgoing calls: the INVITE we send ([`OutgoingInvite`]), its provisional and final
//! responses, the CANCEL when the caller gives up, and the answered call's leg.

use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{Header, Scheme, StatusCodeKind, Transport, Uri};
use rsipstack::transport::SipAddr;
use tracing::{debug, info, warn};

#[cfg(doc)]
use super::super::call::Call;

use super::{body, SipLeg, SipStack, StackError};
/// Name and password `faxvox call` answers a digest challenge with.
#[derive(Clone, PartialEq, Eq)]
pub struct SipCredentials {
    /// Digest user name.
    pub user: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for SipCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipCredentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl SipStack {
    /// Places a call: sends the INVITE with `out.sdp`, follows the provisional responses and
    /// returns the established leg on a 2xx (rsipstack has ACKed it). A failure response is
    /// [`StackError::Rejected`] (transaction timeout: 408). Dropping the returned future
    /// before it completes CANCELs the INVITE (rsipstack sends the CANCEL once a provisional
    /// response arrived, and ACKs + BYEs a 2xx that crossed it).
    pub async fn invite(&self, out: OutgoingInvite) -> Result<OutgoingCall, StackError> {
        if self.inner.cancel.is_cancelled() {
            return Err(StackError::Shutdown);
        }
        let callee = parse_uri(&out.to)?;
        let mut contact = Uri {
            scheme: Some(Scheme::Sip),
            auth: None,
            host_with_port: self.inner.advertised.clone(),
            params: vec![],
            headers: vec![],
        };
        if !out.from_user.is_empty() {
            contact.auth = Some(rsipstack::sip::Auth {
                user: out.from_user.clone(),
                password: None,
            });
        }
        let destination = out.transport_tcp.then(|| SipAddr {
            r#type: Some(Transport::Tcp),
            addr: callee.host_with_port.clone(),
        });
        if out.transport_tcp && !self.inner.tcp {
            warn!(to = %out.to, "INVITE over TCP from a stack without a TCP listener");
        }
        let caller = match &out.from_uri {
            Some(uri) => parse_uri(uri)?,
            None => contact.clone(),
        };
        let mut headers = Vec::with_capacity(out.headers.len());
        for (name, value) in &out.headers {
            let bad = |reason: &str| StackError::InvalidHeader {
                name: name.clone(),
                reason: reason.to_string(),
            };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(bad("not a header name"));
            }
            if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return Err(bad("line break in the value"));
            }
            headers.push(Header::Other(name.clone(), value.clone()));
        }
        let (state_tx, state_rx) = self.inner.layer.new_dialog_state_channel();
        let option = InviteOption {
            caller_display_name: out.from_display.clone(),
            caller,
            headers: (!headers.is_empty()).then_some(headers),
            callee,
            destination,
            content_type: Some("application/sdp".into()),
            offer: Some(out.sdp.clone().into_bytes()),
            contact: contact.clone(),
            call_id: out.call_id.clone(),
            credential: out.credentials.as_ref().map(|c| Credential {
                username: c.user.clone(),
                password: c.password.clone(),
                realm: None,
                auth_username: None,
            }),
            ..InviteOption::default()
        };
        let (dialog, pending) = self.inner.layer.do_invite_async(option, state_tx)?;
        let call_id = dialog.id().call_id;
        info!(call_id = %call_id, to = %out.to, tcp = out.transport_tcp, "INVITE sent");
        let mut guard = CancelOnDrop(Some(dialog.clone()));
        let result = pending.await;
        guard.0 = None;
        let (_, response) =
            result.map_err(|e| StackError::Dialog(format!("INVITE task failed: {e}")))??;
        let Some(response) = response else {
            info!(call_id = %call_id, "INVITE got no final response");
            return Err(StackError::Rejected {
                status: 408,
                reason: "Request Timeout".into(),
            });
        };
        let status = response.status_code.code();
        if response.status_code.kind() != StatusCodeKind::Successful {
            let reason = response
                .wire_reason
                .clone()
                .unwrap_or_else(|| response.status_code.text().to_string());
            info!(call_id = %call_id, status, %reason, "INVITE rejected");
            return Err(StackError::Rejected { status, reason });
        }
        info!(call_id = %call_id, status, "call answered");
        let sdp = body(&response.body);
        let leg = SipLeg::new(self.inner.clone(), dialog, state_rx, None, contact);
        Ok(OutgoingCall { leg, status, sdp })
    }
}

fn parse_uri(text: &str) -> Result<Uri, StackError> {
    Uri::try_from(text).map_err(|e| StackError::InvalidUri {
        uri: text.to_string(),
        reason: e.to_string(),
    })
}

/// Cancels an INVITE whose `invite()` future was dropped before the final response.
struct CancelOnDrop(Option<InviteDialog>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(dialog) = self.0.take() {
            let call_id = dialog.id().call_id;
            info!(call_id = %call_id, "INVITE abandoned: CANCEL");
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    if let Err(e) = dialog.cancel().await {
                        debug!(call_id = %call_id, error = %e, "CANCEL failed");
                    }
                });
            }
        }
    }
}

/// What [`SipStack::invite`] sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutgoingInvite {
    /// Request-URI and To: `sip:NUMBER@HOST:PORT`.
    pub to: String,
    /// From user part (our number).
    pub from_user: String,
    /// From display name.
    pub from_display: Option<String>,
    /// The SDP offer ([`Call::make_offer`]).
    pub sdp: String,
    /// Send over TCP instead of UDP.
    pub transport_tcp: bool,
    /// The Call-ID to use (the [`Call`] was created with it); `None` generates one.
    pub call_id: Option<String>,
    /// Answer a 401/407 digest challenge with these (once; a second challenge is final).
    pub credentials: Option<SipCredentials>,
    /// The From URI when it must not be `sip:FROM_USER@OUR_ADDRESS`, e.g.
    /// `sip:anonymous@anonymous.invalid` for a masked caller (RFC 3323 §4.1.1.3).
    pub from_uri: Option<String>,
    /// Extra headers (name, value), e.g. `Privacy` and `P-Asserted-Identity` (RFC 3325) to a
    /// trusted trunk.
    pub headers: Vec<(String, String)>,
}

/// An answered outgoing call.
#[derive(Debug)]
pub struct OutgoingCall {
    /// The dialog.
    pub leg: SipLeg,
    /// The 2xx status.
    pub status: u16,
    /// The 2xx body (the SDP answer), for [`Call::on_invite_response`].
    pub sdp: Option<Vec<u8>>,
}
