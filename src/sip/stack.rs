//! The SIP stack glue: rsipstack (pinned, notes/sip.md §1.2) behind our own small types, so
//! the gateway only sees incoming calls, dialogs ("legs") that execute [`Call`] actions, and
//! the events to feed back into the [`Call`].
//!
//! Division of labour:
//!
//! - **rsipstack** parses messages, runs the transactions (retransmissions, timers, the 100
//!   for INVITEs, the 200 to a CANCEL and the 487 to its INVITE, the ACK of every 2xx to our
//!   INVITEs and re-INVITEs: `auto_ack_2xx`), answers a peer's in-dialog BYE with 200 itself,
//!   answers CANCELs and ACKs nobody knows (481 / silence), and drops datagrams that do not
//!   parse.
//! - **this glue** routes each new server transaction: out-of-dialog INVITEs go to
//!   [`IncomingCalls`]; out-of-dialog OPTIONS get 200; other out-of-dialog requests get 481
//!   (they name a dialog: To tag) or 405; unparsable dialog identifiers get 400. In-dialog
//!   requests go to their dialog, and every `TransactionHandle` rsipstack hands over is
//!   answered (re-INVITEs by the [`Call`], OPTIONS/INFO 200, UPDATE 200 without SDP / 488
//!   with, the rest 405) — an unanswered one would get 501 after 32 s.
//! - **the [`Call`]** decides every SIP-level answer (SDP, 491 glare, 488) — see
//!   [`SipLeg::perform`] for how each [`Action`] maps onto rsipstack.
//!
//! Admission help: with [`StackConfig::auth`], an out-of-dialog INVITE from outside its
//! `trusted` networks is challenged here (401 with a digest challenge, [`super::digest`])
//! unless it carries valid credentials, which [`IncomingCall::authenticated_user`] then names;
//! the application still decides (the gateway admits trusted sources and authenticated users).
//! With [`StackConfig::guard`], every request outside a dialog from outside the trusted
//! networks first passes [`super::guard`] (rate per source, transactions in progress, digest
//! lock-out) or is dropped without an answer; the answers such sources do get (401, or the
//! application's refusal of an unauthenticated caller) are sent once, not retransmitted, and
//! without a 100 Trying — at most one answer per request.
//! With [`StackConfig::tls`], SIP over TLS is accepted on its own port (rustls).
//!
//! The ACK of our 2xx to the initial INVITE and the ACK of our 2xx to a re-INVITE are told
//! apart by the CSeq of the 2xx they confirm (rsipstack reports both as `Confirmed`; notes
//! §1.2 item 3), and only for a 2xx this glue actually sent.
//!
//! An in-dialog INVITE on a dialog that is not confirmed yet — our 2xx not ACKed (a caller
//! that re-INVITEs right after its ACK: the two may be processed in either order), or no
//! final response yet — is driven by this glue, not rsipstack (which takes it for the
//! initial INVITE and never answers it): it reaches the [`Call`] as a [`LegEvent::Reinvite`]
//! like any other, and the [`Call`] answers (500 + Retry-After before its 2xx, RFC 3261
//! §14.2; normally after it). The initial INVITE's ACK still confirms the call whenever it
//! is processed.

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::{
    Dialog, DialogState, DialogStateReceiver, TerminatedReason, TransactionCommand,
    TransactionHandle,
};
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::dialog::DialogId;
use rsipstack::platform::CancellationToken;
use rsipstack::sip::prelude::{HeadersExt, ToTypedHeader};
use rsipstack::sip::{
    Header, HostWithPort, Method, Param, Request, Response, Scheme, SipMessage, StatusCode,
    StatusCodeKind, Transport, Uri,
};
use rsipstack::transaction::endpoint::EndpointOption;
use rsipstack::transaction::key::TransactionRole;
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transaction::TransactionReceiver;
use rsipstack::transport::tcp_listener::TcpListenerConnection;
use rsipstack::transport::tls::{ReloadableCertResolver, TlsConfig, TlsListenerConnection};
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{SipAddr, TransportLayer};
use rsipstack::EndpointBuilder;
use thiserror::Error;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use super::call::{Action, Call, ClientTxn, ServerTxn};
use super::conn::{self, ConnLimits, ConnTable, FirstRequests, Inbound, Inspector};
use super::digest::{AuthVerdict, DigestAuth, DigestServer};
use super::guard::{Admission, Guard, GuardConfig};
use ipnet::IpNet;

/// Methods we implement, for `Allow` headers.
const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS";
/// Incoming calls queued for the application before new INVITEs get 503.
const INCOMING_QUEUE: usize = 256;
/// How many ephemeral UDP ports to try when the same TCP port is taken (port 0 + TCP).
const BIND_ATTEMPTS: usize = 16;
/// How long a re-INVITE waits for the [`Call`]'s answer before the glue answers 500 (64*T1,
/// as rsipstack waits for its own in-dialog requests).
const REINVITE_ANSWER_TIMEOUT: Duration = Duration::from_secs(32);

/// Where and how the stack listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackConfig {
    /// UDP (and TCP) listen address; port 0 picks an ephemeral port, the same for both.
    pub listen: SocketAddr,
    /// Also accept SIP over TCP on the same port.
    pub tcp: bool,
    /// `User-Agent` / `Server` value.
    pub user_agent: String,
    /// Also accept SIP over TLS (its own port). `None`: no TLS listener.
    pub tls: Option<TlsListen>,
    /// Challenge INVITEs from outside `auth.trusted` (digest, 401). `None`: no challenges,
    /// every INVITE reaches the application unauthenticated.
    pub auth: Option<DigestAuth>,
    /// Limits on requests from outside the trusted networks (rate per source, transactions
    /// in progress, digest lock-out; [`super::guard`]). `None`: no limits.
    pub guard: Option<StackGuard>,
    /// Limits on inbound TCP and TLS connections ([`super::conn`]).
    pub limits: ConnLimits,
}

/// [`StackConfig::guard`]: who is trusted (never limited) and the limits for the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackGuard {
    /// Sources never limited (the trunk): `sip.trusted`.
    pub trusted: Vec<IpNet>,
    /// The limits for everyone else.
    pub limits: GuardConfig,
}

impl StackGuard {
    /// Whether `ip` is inside `trusted` (IPv4-mapped IPv6 checked as IPv4).
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.trusted.iter().any(|n| n.contains(&ip))
    }
}

impl Default for StackConfig {
    /// UDP on 127.0.0.1 with an ephemeral port, no TCP, TLS or authentication.
    fn default() -> Self {
        StackConfig {
            listen: SocketAddr::new(IpAddr::from([127, 0, 0, 1]), 0),
            tcp: false,
            user_agent: "faxvox".into(),
            tls: None,
            auth: None,
            guard: None,
            limits: ConnLimits::default(),
        }
    }
}

/// The TLS listener: address and PEM identity.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsListen {
    /// Listen address; port 0 picks a free port ([`SipStack::tls_local_addr`] tells which).
    pub listen: SocketAddr,
    /// The certificate chain, PEM (end-entity first).
    pub cert_pem: Vec<u8>,
    /// The private key, PEM (PKCS#8 or PKCS#1).
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for TlsListen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsListen")
            .field("listen", &self.listen)
            .field("cert_pem_len", &self.cert_pem.len())
            .finish_non_exhaustive()
    }
}

/// Checks a PEM certificate chain and private key the way the TLS listener loads them: at
/// least one certificate, a PKCS#8 or PKCS#1 key, and the key matching the certificate.
/// The error says which of the two is wrong.
pub fn check_tls_identity(cert_pem: &[u8], key_pem: &[u8]) -> Result<(), String> {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::CertificateDer;
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("certificate: not valid PEM ({e})"))?;
    if certs.is_empty() {
        return Err("certificate: no CERTIFICATE block in the PEM file".into());
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    ReloadableCertResolver::new(cert_pem, key_pem, provider)
        .map(|_| ())
        .map_err(|e| {
            let e = e.to_string();
            if e.contains("key") || e.contains("Key") {
                format!("private key: {e} (a PKCS#8 or RSA PKCS#1 PEM key matching the certificate is needed)")
            } else {
                format!("certificate: {e}")
            }
        })
}

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

/// Why the stack or a call setup failed.
#[derive(Debug, Error)]
pub enum StackError {
    /// The listen socket could not be bound.
    #[error("cannot bind SIP {transport} on {addr}: {source}")]
    Bind {
        /// "udp" or "tcp".
        transport: &'static str,
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// A SIP URI we were given does not parse.
    #[error("invalid SIP URI {uri:?}: {reason}")]
    InvalidUri {
        /// The URI text.
        uri: String,
        /// The parser's complaint.
        reason: String,
    },
    /// Our INVITE got a final failure response (a transaction timeout is 408).
    #[error("call rejected: {status} {reason}")]
    Rejected {
        /// Status code.
        status: u16,
        /// Reason phrase.
        reason: String,
    },
    /// An extra header we were asked to send cannot be written.
    #[error("invalid SIP header {name:?}: {reason}")]
    InvalidHeader {
        /// The header name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The TLS certificate or key cannot be used.
    #[error("SIP TLS: {0}")]
    Tls(String),
    /// The dialog could not be created or used (rsipstack's error, as text).
    #[error("SIP dialog error: {0}")]
    Dialog(String),
    /// The stack was shut down.
    #[error("the SIP stack is shut down")]
    Shutdown,
}

impl From<rsipstack::Error> for StackError {
    fn from(e: rsipstack::Error) -> Self {
        StackError::Dialog(e.to_string())
    }
}

/// The running SIP stack. Cheap to clone; [`shutdown`](Self::shutdown) stops it for all clones.
#[derive(Clone)]
pub struct SipStack {
    inner: Arc<StackInner>,
}

struct StackInner {
    layer: Arc<DialogLayer>,
    cancel: CancellationToken,
    local_addr: SocketAddr,
    /// Host and port we advertise in Contact / From (the UDP listener's).
    advertised: HostWithPort,
    tcp: bool,
    /// The TLS listener's address, when there is one.
    tls_addr: Option<SocketAddr>,
    /// Digest challenges for untrusted sources.
    digest: Option<DigestServer>,
    /// The live legs by dialog, for the requests the router hands them itself.
    legs: Mutex<HashMap<DialogId, LegHook>>,
    /// Limits on untrusted sources, when configured.
    guard: Option<(StackGuard, Mutex<Guard>)>,
    /// Inbound TCP and TLS connections.
    conns: ConnTable,
}

impl StackInner {
    /// Whether requests from `ip` are limited and must authenticate: outside the guard's
    /// trusted networks (or, without a guard, outside the digest's).
    fn is_untrusted(&self, ip: IpAddr) -> bool {
        match (&self.guard, &self.digest) {
            (Some((g, _)), _) => !g.is_trusted(ip),
            (None, Some(d)) => !d.auth().is_trusted(ip),
            (None, None) => false,
        }
    }

    /// The guard's verdict on a request from the untrusted `ip` (pass without a guard).
    fn admit(&self, ip: IpAddr) -> Admission {
        let Some((_, guard)) = &self.guard else {
            return Admission::Pass;
        };
        let in_progress = self.layer.endpoint.transactions.len();
        guard
            .lock()
            .expect("guard lock")
            .check(std::time::Instant::now(), ip, in_progress)
    }

    /// Records a failed digest attempt from `ip`; true when it locks `ip` out now.
    fn auth_failed(&self, ip: IpAddr) -> bool {
        let Some((_, guard)) = &self.guard else {
            return false;
        };
        guard
            .lock()
            .expect("guard lock")
            .auth_failed(std::time::Instant::now(), ip)
    }

    /// Logs the drops due for a report (one line per source per interval).
    fn report_drops(&self) {
        let Some((_, guard)) = &self.guard else {
            return;
        };
        let due = guard
            .lock()
            .expect("guard lock")
            .sweep(std::time::Instant::now());
        for r in due {
            warn!(source = %r.source, dropped = r.dropped, reason = r.reason.as_str(), "requests from an untrusted source dropped without an answer");
        }
    }
}

impl std::fmt::Debug for SipStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipStack")
            .field("local_addr", &self.inner.local_addr)
            .field("tcp", &self.inner.tcp)
            .field("tls_addr", &self.inner.tls_addr)
            .finish()
    }
}

impl SipStack {
    /// Binds UDP (and TCP) on `cfg.listen` and TLS on `cfg.tls`, starts the transaction layer
    /// and the request router. Must run inside a Tokio runtime.
    ///
    /// TCP and TLS connections are accepted by our own loops within `cfg.limits` and handed
    /// to rsipstack ([`super::conn`]).
    pub async fn start(cfg: StackConfig) -> Result<(SipStack, IncomingCalls), StackError> {
        let cancel = CancellationToken::new();
        let transport = TransportLayer::new(cancel.child_token());
        transport.set_stream_idle_timeout(cfg.limits.idle_timeout);
        let tls = match &cfg.tls {
            Some(tls) => {
                check_tls_identity(&tls.cert_pem, &tls.key_pem).map_err(StackError::Tls)?;
                let acceptor = tls_acceptor(tls)?;
                let listener = bind_stream_listener(tls.listen, "tls")?;
                let addr = listener.local_addr().map_err(|source| StackError::Bind {
                    transport: "tls",
                    addr: tls.listen,
                    source,
                })?;
                Some((listener, addr, acceptor))
            }
            None => None,
        };
        let tls_addr = tls.as_ref().map(|(_, addr, _)| *addr);
        let (udp, local_addr, tcp) = bind_udp(&cfg, &cancel).await?;
        let advertised = udp.get_addr().addr.clone();
        transport.add_transport(udp.into());
        let first = Arc::new(FirstRequests::default());
        let running = first.when_running();
        let endpoint = EndpointBuilder::new()
            .with_cancel_token(cancel.clone())
            .with_transport_layer(transport)
            .with_user_agent(&cfg.user_agent)
            .with_allows(vec![
                Method::Invite,
                Method::Ack,
                Method::Cancel,
                Method::Bye,
                Method::Options,
            ])
            .with_option(EndpointOption {
                // The Call relies on it: Action::SendAck is a no-op here.
                auto_ack_2xx: true,
                ..EndpointOption::default()
            })
            .with_transport_inspector(Box::new(Inspector(first.clone())))
            .build();
        let requests = endpoint
            .incoming_transactions()
            .map_err(|e| StackError::Dialog(e.to_string()))?;
        let layer = Arc::new(DialogLayer::new(endpoint.inner.clone()));
        let conns = ConnTable::new(cfg.limits.max_total, cfg.limits.max_per_source);
        let inner = Arc::new(StackInner {
            layer,
            cancel: cancel.clone(),
            local_addr,
            advertised,
            tcp: cfg.tcp,
            tls_addr,
            digest: cfg.auth.clone().map(DigestServer::new),
            legs: Mutex::new(HashMap::new()),
            guard: cfg
                .guard
                .clone()
                .map(|g| (g.clone(), Mutex::new(Guard::new(g.limits)))),
            conns: conns.clone(),
        });
        let endpoint_inner = endpoint.inner.clone();
        tokio::spawn(async move { endpoint.serve().await });
        if tcp.is_some() || tls.is_some() {
            // Register the stream listeners' addresses (rsipstack advertises them in Via
            // headers) only once rsipstack has started the listeners it knows of, so that it
            // never binds these itself: we accept their connections.
            let started = async {
                conn::running_probe(&endpoint_inner).await?;
                running
                    .await
                    .map_err(|_| rsipstack::Error::Error("the SIP transport loop ended".into()))
            };
            let r = tokio::time::timeout(Duration::from_secs(10), started).await;
            if !matches!(r, Ok(Ok(()))) {
                cancel.cancel();
                return Err(StackError::Dialog(
                    "the SIP transport loop did not start".into(),
                ));
            }
            let inbound = Arc::new(Inbound {
                limits: cfg.limits,
                table: conns,
                endpoint: endpoint_inner.clone(),
                first,
                cancel: cancel.clone(),
            });
            if let Some(listener) = tcp {
                let local = SipAddr {
                    r#type: Some(Transport::Tcp),
                    addr: local_addr.into(),
                };
                let entry = TcpListenerConnection::new(local_addr, None)
                    .await
                    .map_err(|e| StackError::Dialog(e.to_string()))?;
                endpoint_inner.transport_layer.add_transport(entry.into());
                conn::spawn_accept_loop(inbound.clone(), listener, local, None);
            }
            if let Some((listener, addr, acceptor)) = tls {
                let local = SipAddr {
                    r#type: Some(Transport::Tls),
                    addr: addr.into(),
                };
                let entry = TlsListenerConnection::new(addr, None, TlsConfig::default())
                    .await
                    .map_err(|e| StackError::Tls(e.to_string()))?;
                endpoint_inner.transport_layer.add_transport(entry.into());
                conn::spawn_accept_loop(inbound, listener, local, Some(acceptor));
            }
        }
        let (calls_tx, calls_rx) = mpsc::channel(INCOMING_QUEUE);
        tokio::spawn(route_requests(inner.clone(), requests, calls_tx));
        info!(
            %local_addr,
            tcp = cfg.tcp,
            tls = ?tls_addr,
            digest_users = cfg.auth.as_ref().map_or(0, |a| a.users.len()),
            max_connections = cfg.limits.max_total,
            max_connections_per_source = cfg.limits.max_per_source,
            "SIP stack listening"
        );
        Ok((SipStack { inner }, IncomingCalls { rx: calls_rx }))
    }

    /// Inbound TCP and TLS connections open now (admitted, not yet closed).
    pub fn open_connections(&self) -> usize {
        self.inner.conns.open()
    }

    /// The bound UDP address (the real port when 0 was asked for; TCP uses the same).
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// The TLS listener's address (the real port when 0 was asked for), if TLS is on.
    pub fn tls_local_addr(&self) -> Option<SocketAddr> {
        self.inner.tls_addr
    }

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

    /// Stops the transports, the transaction layer and the router; dialogs are abandoned.
    pub fn shutdown(&self) {
        info!(local_addr = %self.inner.local_addr, "SIP stack shutting down");
        self.inner.cancel.cancel();
    }

    /// Number of dialogs the stack still tracks (leaks show here).
    pub fn dialog_count(&self) -> usize {
        self.inner.layer.len()
    }
}

/// Binds the UDP listener, and with `cfg.tcp` the TCP listener on the same port; with TCP and
/// port 0, retries until the same port is free for both.
async fn bind_udp(
    cfg: &StackConfig,
    cancel: &CancellationToken,
) -> Result<(UdpConnection, SocketAddr, Option<tokio::net::TcpListener>), StackError> {
    let attempts = if cfg.tcp && cfg.listen.port() == 0 {
        BIND_ATTEMPTS
    } else {
        1
    };
    let mut last_err = None;
    for _ in 0..attempts {
        let udp = UdpConnection::create_connection(cfg.listen, None, Some(cancel.child_token()))
            .await
            .map_err(|e| StackError::Bind {
                transport: "udp",
                addr: cfg.listen,
                source: io::Error::other(e.to_string()),
            })?;
        let port = udp
            .get_addr()
            .get_socketaddr()
            .map_err(|e| StackError::Dialog(e.to_string()))?
            .port();
        let local = SocketAddr::new(cfg.listen.ip(), port);
        if !cfg.tcp {
            return Ok((udp, local, None));
        }
        match bind_stream_listener(local, "tcp") {
            Ok(tcp) => return Ok((udp, local, Some(tcp))),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| StackError::Bind {
        transport: "tcp",
        addr: cfg.listen,
        source: io::Error::other("no port"),
    }))
}

/// Binds a TCP listener for SIP over TCP or TLS (accepted by [`super::conn`]).
fn bind_stream_listener(
    addr: SocketAddr,
    transport: &'static str,
) -> Result<tokio::net::TcpListener, StackError> {
    let bind = |source| StackError::Bind {
        transport,
        addr,
        source,
    };
    let listener = std::net::TcpListener::bind(addr).map_err(bind)?;
    listener.set_nonblocking(true).map_err(bind)?;
    tokio::net::TcpListener::from_std(listener).map_err(bind)
}

/// The TLS server side: the certificate and key of `tls` (checked before), rustls with ring.
fn tls_acceptor(tls: &TlsListen) -> Result<tokio_rustls::TlsAcceptor, StackError> {
    use tokio_rustls::rustls::ServerConfig;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let resolver = ReloadableCertResolver::new(&tls.cert_pem, &tls.key_pem, provider.clone())
        .map_err(|e| StackError::Tls(e.to_string()))?;
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StackError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
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

/// The stream of new incoming calls.
#[derive(Debug)]
pub struct IncomingCalls {
    rx: mpsc::Receiver<IncomingCall>,
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
    /// The digest user name the INVITE authenticated as ([`StackConfig::auth`]); `None`
    /// when it carried no credentials we checked (trusted source, or no `auth`).
    pub authenticated_user: Option<String>,
    /// Request-URI user part, raw (the dialled number).
    pub request_user: String,
    /// The caller's number from the From URI, decoded and cleaned
    /// ([`super::caller_id`]): E.164 where it can be.
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
    /// [`LegEvent::Cancel`]).
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
struct LegHook {
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
    fn new(
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
    ///   [`SipStack::invite`] future).
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

fn body(bytes: &[u8]) -> Option<Vec<u8>> {
    (!bytes.is_empty()).then(|| bytes.to_vec())
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

/// Routes every new server transaction (see the module docs).
async fn route_requests(
    stack: Arc<StackInner>,
    mut requests: TransactionReceiver,
    calls: mpsc::Sender<IncomingCall>,
) {
    let mut sweep = tokio::time::interval(Duration::from_secs(1));
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let tx = tokio::select! {
            _ = stack.cancel.cancelled() => break,
            _ = sweep.tick() => {
                stack.report_drops();
                continue;
            }
            tx = requests.recv() => match tx {
                Some(tx) => tx,
                None => break,
            },
        };
        route_one(&stack, tx, &calls).await;
    }
    debug!("SIP request router stopped");
}

async fn route_one(
    stack: &Arc<StackInner>,
    mut tx: Transaction,
    calls: &mpsc::Sender<IncomingCall>,
) {
    let method = tx.original.method;
    let call_id = tx
        .original
        .call_id_header()
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let source = source_of(&tx);
    let matched = stack.layer.match_dialog(&tx);
    let untrusted = source.is_some_and(|s| stack.is_untrusted(s.ip()));
    if matched.is_none() && untrusted {
        // Outside any dialog from outside the trusted networks: the guard decides, and a
        // drop sends nothing (dropping an unanswered transaction sends nothing either).
        let ip = source.map(|s| s.ip()).expect("untrusted has a source");
        if let Admission::Drop(reason) = stack.admit(ip) {
            debug!(call_id = %call_id, %method, source = %ip, reason = reason.as_str(), "request dropped");
            return;
        }
    }
    let dialog_id = match DialogId::try_from(&tx) {
        Ok(id) => id,
        Err(e) => {
            info!(call_id = %call_id, %method, error = %e, "request without dialog identifiers: 400");
            reply_and_forget(tx, StatusCode::BadRequest, false, untrusted);
            return;
        }
    };
    if let Some(mut dialog) = matched {
        if let (Method::Invite, Dialog::Invite(invite)) = (method, &dialog) {
            let state = invite.state();
            if !state.is_confirmed() {
                // rsipstack would take it for the initial INVITE and never answer it.
                let target = if state.is_terminated() {
                    Unconfirmed::Terminated
                } else {
                    let legs = stack.legs.lock().expect("legs lock");
                    match legs.get(&invite.id()) {
                        Some(hook) => Unconfirmed::Leg(hook.clone()),
                        None if invite.role() == TransactionRole::Server => Unconfirmed::NoLegUas,
                        None => Unconfirmed::NoLegUac,
                    }
                };
                debug!(call_id = %call_id, %state, "re-INVITE on an unconfirmed dialog");
                tokio::spawn(unconfirmed_reinvite(target, tx, call_id));
                return;
            }
        }
        debug!(call_id = %call_id, %method, "in-dialog request");
        tokio::spawn(async move {
            if let Err(e) = dialog.handle(&mut tx).await {
                debug!(call_id = %call_id, %method, error = %e, "in-dialog request handling");
            }
            // Requests rsipstack leaves unanswered (before the dialog is confirmed).
            if tx.last_response.is_none() && method != Method::Ack {
                let status = match method {
                    Method::Options | Method::Info => StatusCode::OK,
                    _ => StatusCode::MethodNotAllowed,
                };
                debug!(call_id = %call_id, %method, %status, "answering what the dialog left");
                let allow = status == StatusCode::MethodNotAllowed;
                reply_to(&mut tx, status, allow).await;
            }
        });
        return;
    }
    let has_to_tag = !dialog_id.local_tag.is_empty();
    match method {
        Method::Invite if !has_to_tag => {
            let Some(mut call) = incoming_call(stack, &mut tx, &call_id) else {
                reply_and_forget(tx, StatusCode::BadRequest, false, untrusted);
                return;
            };
            if let Some(digest) = &stack.digest {
                let auth = digest.auth();
                if !auth.users.is_empty() && untrusted {
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
                    match digest.verify(
                        std::time::SystemTime::now(),
                        "INVITE",
                        &request_uri,
                        &values,
                    ) {
                        AuthVerdict::Authenticated(user) => call.authenticated_user = Some(user),
                        AuthVerdict::Challenge {
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
                }
            }
            // An untrusted caller without credentials is refused by the application: no
            // 100 Trying, and the refusal is sent once (see `IncomingCall::reject`).
            call.unverified = untrusted && call.authenticated_user.is_none();
            if !call.unverified {
                if let Err(e) = tx.send_trying().await {
                    debug!(call_id = %call_id, error = %e, "cannot send 100 Trying");
                }
            }
            let mut call = call;
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
        Method::Options if !has_to_tag => {
            debug!(call_id = %call_id, "OPTIONS: 200");
            reply_and_forget(tx, StatusCode::OK, true, untrusted);
        }
        Method::Ack => {}
        _ if has_to_tag => {
            info!(call_id = %call_id, %method, "request for an unknown dialog: 481");
            reply_and_forget(
                tx,
                StatusCode::CallTransactionDoesNotExist,
                false,
                untrusted,
            );
        }
        _ => {
            info!(call_id = %call_id, %method, "unsupported out-of-dialog request: 405");
            reply_and_forget(tx, StatusCode::MethodNotAllowed, true, untrusted);
        }
    }
}

/// Who answers a re-INVITE on a dialog that is not confirmed.
enum Unconfirmed {
    /// The leg's [`Call`].
    Leg(LegHook),
    /// Nobody: the dialog is over (481).
    Terminated,
    /// No leg yet on our server dialog: no final response yet (500 + Retry-After, §14.2).
    NoLegUas,
    /// No leg yet on our client dialog: our INVITE is in progress (491, §14.2).
    NoLegUac,
}

/// Drives a re-INVITE that arrived before its dialog was confirmed (see the module docs):
/// hands it to the leg as a [`LegEvent::Reinvite`] answered through the same handle as any
/// other, then reports the ACK of a 2xx. Without a leg the glue answers itself.
async fn unconfirmed_reinvite(target: Unconfirmed, tx: Transaction, call_id: String) {
    let cseq = tx.original.cseq_header().and_then(|c| c.seq()).unwrap_or(0);
    let txn = u64::from(cseq);
    let (status, headers) = match target {
        Unconfirmed::Leg(hook) => return reinvite_to_leg(hook, txn, tx, call_id).await,
        Unconfirmed::Terminated => (StatusCode::CallTransactionDoesNotExist, vec![]),
        Unconfirmed::NoLegUas => (StatusCode::ServerInternalError, vec![retry_after()]),
        Unconfirmed::NoLegUac => (StatusCode::RequestPending, vec![]),
    };
    info!(call_id = %call_id, txn, %status, "re-INVITE on a dialog that is not up");
    answer_and_drive(tx, status, headers).await;
}

/// [`unconfirmed_reinvite`] with a leg: the [`Call`] answers, the ACK of a 2xx is reported.
async fn reinvite_to_leg(hook: LegHook, txn: u64, mut tx: Transaction, call_id: String) {
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
    let caller = super::caller_id::caller_identity(from_header.value())?;
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

/// The transport source of a request.
fn source_of(tx: &Transaction) -> Option<SocketAddr> {
    tx.connection
        .as_ref()?
        .get_remote_addr()?
        .get_socketaddr()
        .ok()
}

/// Answers an INVITE 401 with `www_authenticate` once. No retransmissions (an untrusted,
/// perhaps spoofed, source must not get ten answers for one request): the transaction is
/// dropped at once, which leaves the 401 with rsipstack for 32 s, so each retransmission of
/// the INVITE (the caller's timer A, it got no 100) is answered with it, one for one, and
/// the ACK is absorbed.
async fn challenge_once(mut tx: Transaction, www_authenticate: String) {
    let headers = vec![Header::WwwAuthenticate(www_authenticate.into())];
    if let Err(e) = tx.reply_with(StatusCode::Unauthorized, headers, None).await {
        debug!(error = %e, "cannot send the 401");
    }
}

/// Answers a request; an INVITE's failure is then retransmitted until its ACK, unless `once`
/// (an untrusted source: see [`challenge_once`]).
fn reply_and_forget(mut tx: Transaction, status: StatusCode, allow: bool, once: bool) {
    tokio::spawn(async move {
        reply_to(&mut tx, status, allow).await;
        if tx.original.method == Method::Invite && !once {
            while tx.receive().await.is_some() {}
        }
    });
}

async fn reply_to(tx: &mut Transaction, status: StatusCode, allow: bool) {
    let headers = if allow {
        vec![
            Header::Allow(ALLOW.into()),
            Header::Accept("application/sdp".into()),
        ]
    } else {
        vec![]
    };
    if let Err(e) = tx.reply_with(status, headers, None).await {
        debug!(error = %e, "cannot send response");
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
