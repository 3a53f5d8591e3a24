//! The SIP stack glue: rsipstack (pinned in Cargo.toml) behind our own small types, so
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
//! apart by the CSeq of the 2xx they confirm (rsipstack reports both as `Confirmed`), and
//! only for a 2xx this glue actually sent.
//!
//! An in-dialog INVITE on a dialog that is not confirmed yet — our 2xx not ACKed (a caller
//! that re-INVITEs right after its ACK: the two may be processed in either order), or no
//! final response yet — is driven by this glue, not rsipstack (which takes it for the
//! initial INVITE and never answers it): it reaches the [`Call`] as a [`LegEvent::Reinvite`]
//! like any other, and the [`Call`] answers (500 + Retry-After before its 2xx, RFC 3261
//! §14.2; normally after it). The initial INVITE's ACK still confirms the call whenever it
//! is processed.
//!
//! The code follows these seams: `listen.rs` binds the UDP, TCP and TLS listeners,
//! `outgoing.rs` places calls ([`SipStack::invite`]), `incoming.rs` hands new INVITEs to the
//! application ([`IncomingCalls`]), `leg.rs` runs dialogs ([`SipLeg`] and its dialog
//! watcher), and `router.rs` routes each new server transaction: the routing decision and
//! the admission of untrusted sources are pure functions there, the rest is glue.
//!
//! [`Call`]: super::call::Call
//! [`Action`]: super::call::Action

mod incoming;
mod leg;
mod listen;
mod outgoing;
mod router;

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::DialogId;
use rsipstack::platform::CancellationToken;
use rsipstack::sip::{HostWithPort, Method};
use rsipstack::transaction::endpoint::EndpointOption;
use rsipstack::EndpointBuilder;
use thiserror::Error;
use tokio::sync::mpsc;
use tracing::info;

use super::conn::{ConnLimits, ConnTable, FirstRequests, Inbound, Inspector};
use super::digest::{DigestAuth, DigestServer};
use super::guard::{Guard, GuardConfig};
use ipnet::IpNet;
use leg::LegHook;
use rsipstack::transport::TransportLayer;

pub use super::leg::{feed, LegEvent};
pub use incoming::{privacy_withholds_identity, IncomingCall, IncomingCalls};
pub use leg::SipLeg;
pub use listen::{check_tls_identity, TlsIdentityError, TlsListen};
pub use outgoing::{OutgoingCall, OutgoingInvite, SipCredentials};

/// Incoming calls queued for the application before new INVITEs get 503.
const INCOMING_QUEUE: usize = 256;

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
    /// Whether the node takes calls: out-of-dialog OPTIONS answer 503 when it does not. Unset:
    /// always 200.
    readiness: std::sync::OnceLock<Arc<crate::metrics::Readiness>>,
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
        let tls = cfg.tls.as_ref().map(listen::bind_tls).transpose()?;
        let tls_addr = tls.as_ref().map(|tls| tls.addr);
        let (udp, local_addr, tcp) = listen::bind_udp(&cfg, &cancel).await?;
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
            readiness: std::sync::OnceLock::new(),
        });
        let endpoint_inner = endpoint.inner.clone();
        tokio::spawn(async move { endpoint.serve().await });
        if tcp.is_some() || tls.is_some() {
            let inbound = Inbound {
                limits: cfg.limits,
                table: conns,
                endpoint: endpoint_inner.clone(),
                first,
                cancel: cancel.clone(),
            };
            listen::serve_streams(inbound, running, local_addr, tcp, tls).await?;
        }
        let (calls_tx, calls_rx) = mpsc::channel(INCOMING_QUEUE);
        tokio::spawn(router::route_requests(inner.clone(), requests, calls_tx));
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

    /// Out-of-dialog OPTIONS answer 200 while `readiness` says ready, else 503, so a
    /// dispatcher's OPTIONS probe takes a draining or sick node out by itself. Set once.
    pub fn answer_options_by(&self, readiness: Arc<crate::metrics::Readiness>) {
        let _ = self.inner.readiness.set(readiness);
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

fn body(bytes: &[u8]) -> Option<Vec<u8>> {
    (!bytes.is_empty()).then(|| bytes.to_vec())
}
