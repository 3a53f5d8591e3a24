//! Inbound SIP connections (TCP and TLS) and the process's file descriptors (issue #10,
//! finding 4: descriptors must not run out before a call is admitted).
//!
//! rsipstack 0.7.14's own stream listeners accept without any limit, retry a failed `accept`
//! at once (a busy loop at full CPU once descriptors run out: the connection stays queued)
//! and wait for a TLS ClientHello forever. So the stack runs its own accept loops
//! ([`spawn_accept_loop`]) and hands each admitted connection to rsipstack's transport layer
//! (`TransportLayer::add_connection`), which reads it, parses it and answers over it:
//!
//! - a connection is admitted only while fewer than [`ConnLimits::max_total`] are open in
//!   all, and fewer than [`ConnLimits::max_per_source`] from its IP ([`ConnTable`]); any
//!   other is closed at once;
//! - after an `accept` that failed for want of descriptors or memory the loop pauses
//!   ([`accept_pause`]) instead of spinning;
//! - TLS has [`ConnLimits::handshake_timeout`] to complete its handshake;
//! - a connection that has not sent one complete SIP request
//!   [`ConnLimits::first_request_timeout`] after it was accepted (after its handshake for
//!   TLS) is closed; rsipstack tells [`FirstRequests`] (a transport event inspector) of every
//!   request, and a duplicate of the socket held until then lets us shut it down;
//! - after that, rsipstack's stream idle timeout ([`ConnLimits::idle_timeout`]) closes a
//!   connection that has been silent that long.
//!
//! A connection's slot is freed when rsipstack ends it (it cancels the connection's token).
//!
//! [`raise_nofile_limit`] and [`fd_budget`] are for `faxvox serve`: it raises its soft
//! `RLIMIT_NOFILE` to the hard limit and refuses to start when even that is below what its
//! calls and connections may need.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::os::fd::{AsFd, OwnedFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rsipstack::platform::CancellationToken;
use rsipstack::sip::{SipMessage, Transport};
use rsipstack::transaction::endpoint::{EndpointInner, TransportEventInspector};
use rsipstack::transport::tcp::TcpConnection;
use rsipstack::transport::tls::TlsConnection;
use rsipstack::transport::{SipAddr, SipConnection, TransportEvent};
use thiserror::Error;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, warn};

/// Pause after an `accept` that failed for want of descriptors or memory (EMFILE, ENFILE,
/// ENOBUFS, ENOMEM): the connection stays queued and the next `accept` fails the same way
/// until something is closed.
pub const ACCEPT_PAUSE: Duration = Duration::from_millis(100);
/// Pause after any other failed `accept` (never a busy loop).
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(10);
/// Refusals and accept errors are logged at most this often (a flood must not flood the log).
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Limits on inbound SIP connections (TCP and TLS together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// Connections open at once, all sources (`sip.max_connections`).
    pub max_total: usize,
    /// Connections open at once from one IP address (`sip.max_connections_per_source`).
    pub max_per_source: usize,
    /// Time a TLS client has to complete its handshake (`sip.tls_handshake_secs`).
    pub handshake_timeout: Duration,
    /// Time a connection has to send its first complete request (`sip.first_request_secs`).
    pub first_request_timeout: Duration,
    /// A connection silent this long is closed (`sip.connection_idle_secs`).
    pub idle_timeout: Duration,
}

impl Default for ConnLimits {
    /// The configuration defaults: 1 000 connections, 32 per source, 10 s for the TLS
    /// handshake, 10 s for the first request, 120 s of silence.
    fn default() -> Self {
        ConnLimits {
            max_total: 1000,
            max_per_source: 32,
            handshake_timeout: Duration::from_secs(10),
            first_request_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
        }
    }
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Refused {
    /// `max_total` connections are open.
    #[error("{limit} connections open (sip.max_connections)")]
    Total {
        /// The limit.
        limit: usize,
    },
    /// `max_per_source` connections from this address are open.
    #[error("{limit} connections open from {ip} (sip.max_connections_per_source)")]
    PerSource {
        /// The source address.
        ip: IpAddr,
        /// The limit.
        limit: usize,
    },
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_source: HashMap<IpAddr, usize>,
}

/// Counts open connections, in all and per source address, and admits new ones within the
/// limits. Cheap to clone (shared counts); the TCP and TLS listeners of a stack share one.
#[derive(Debug, Clone)]
pub struct ConnTable {
    max_total: usize,
    max_per_source: usize,
    counts: Arc<Mutex<Counts>>,
}

/// One admitted connection's slot; dropping it frees the slot.
#[derive(Debug)]
pub struct ConnPermit {
    counts: Arc<Mutex<Counts>>,
    ip: IpAddr,
}

/// IPv4-mapped IPv6 addresses (dual-stack sockets) count as the IPv4 address.
fn source_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl ConnTable {
    /// A table admitting at most `max_total` connections, `max_per_source` per address.
    pub fn new(max_total: usize, max_per_source: usize) -> Self {
        ConnTable {
            max_total,
            max_per_source,
            counts: Arc::default(),
        }
    }

    /// Admits one more connection from `ip`, or says which limit is reached.
    pub fn try_admit(&self, ip: IpAddr) -> Result<ConnPermit, Refused> {
        let ip = source_key(ip);
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if c.total >= self.max_total {
            return Err(Refused::Total {
                limit: self.max_total,
            });
        }
        let from = c.per_source.entry(ip).or_insert(0);
        if *from >= self.max_per_source {
            return Err(Refused::PerSource {
                ip,
                limit: self.max_per_source,
            });
        }
        *from += 1;
        c.total += 1;
        Ok(ConnPermit {
            counts: self.counts.clone(),
            ip,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).total
    }

    /// Connections open now from `ip`.
    pub fn open_from(&self, ip: IpAddr) -> usize {
        let c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        c.per_source.get(&source_key(ip)).copied().unwrap_or(0)
    }
}

impl Drop for ConnPermit {
    fn drop(&mut self) {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_source.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.per_source.remove(&self.ip);
            }
        }
    }
}

/// How long the accept loop waits after `accept` failed with `e`: [`ACCEPT_PAUSE`] when
/// descriptors or memory ran out (the same connection would fail again at once), nothing for
/// a connection that died in the queue or an interrupted call, a short pause otherwise.
pub fn accept_pause(e: &io::Error) -> Duration {
    use rustix::io::Errno;
    match Errno::from_io_error(e) {
        Some(Errno::MFILE | Errno::NFILE | Errno::NOBUFS | Errno::NOMEM) => ACCEPT_PAUSE,
        Some(Errno::CONNABORTED | Errno::INTR) => Duration::ZERO,
        _ => ACCEPT_ERROR_PAUSE,
    }
}

/// TCP or TLS: the key of a pending connection, with its peer address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum StreamKind {
    Tcp,
    Tls,
}

impl StreamKind {
    fn name(self) -> &'static str {
        match self {
            StreamKind::Tcp => "tcp",
            StreamKind::Tls => "tls",
        }
    }
}

/// Connections waiting for their first request, and the start-up signal that rsipstack's
/// transport loop runs. Fed by rsipstack (as its transport event inspector).
#[derive(Default)]
pub(crate) struct FirstRequests {
    pending: Mutex<HashMap<(StreamKind, SocketAddr), oneshot::Sender<()>>>,
    running: Mutex<Option<oneshot::Sender<()>>>,
}

impl FirstRequests {
    fn expect(&self, kind: StreamKind, peer: SocketAddr) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.lock_pending().insert((kind, peer), tx);
        rx
    }

    fn forget(&self, kind: StreamKind, peer: SocketAddr) {
        self.lock_pending().remove(&(kind, peer));
    }

    fn lock_pending(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<(StreamKind, SocketAddr), oneshot::Sender<()>>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A receiver told once rsipstack's transport loop handles events, i.e. once it has
    /// started (bound) the listeners registered so far: see [`running_probe`].
    pub(crate) fn when_running(&self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        *self.running.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        rx
    }

    /// Looks at one transport event: a request on a pending connection satisfies it; the
    /// events of [`running_probe`]'s channel are ours (swallowed).
    fn observe(&self, event: TransportEvent) -> Option<TransportEvent> {
        match &event {
            TransportEvent::Incoming(SipMessage::Request(_), conn, from) => {
                let kind = match conn {
                    SipConnection::Tcp(_) => Some(StreamKind::Tcp),
                    SipConnection::Tls(_) => Some(StreamKind::Tls),
                    _ => None,
                };
                if let (Some(kind), Ok(peer)) = (kind, from.get_socketaddr()) {
                    if let Some(tx) = self.lock_pending().remove(&(kind, peer)) {
                        let _ = tx.send(());
                    }
                }
                Some(event)
            }
            TransportEvent::New(SipConnection::Channel(_)) => {
                if let Some(tx) = self
                    .running
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take()
                {
                    let _ = tx.send(());
                }
                None
            }
            TransportEvent::Closed(SipConnection::Channel(_)) => None,
            _ => Some(event),
        }
    }
}

/// rsipstack's transport event inspector: [`FirstRequests::observe`].
pub(crate) struct Inspector(pub(crate) Arc<FirstRequests>);

type BoxFuture<'a, T> = Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

impl TransportEventInspector for Inspector {
    // The expansion of rsipstack's `#[async_trait]` method: the work is synchronous.
    fn handle<'life0, 'async_trait>(
        &'life0 self,
        event: TransportEvent,
    ) -> BoxFuture<'async_trait, Option<TransportEvent>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(std::future::ready(self.0.observe(event)))
    }
}

/// A connection whose serve loop ends at once: its `New` event reaches the inspector only
/// once rsipstack's transport loop runs, which is after it started the listeners registered
/// before `serve` (rsipstack 0.7.14, `process_transport_layer`). Our stream listeners are
/// registered after that (for the addresses rsipstack advertises in Via headers) so that
/// rsipstack never binds them itself.
pub(crate) async fn running_probe(endpoint: &EndpointInner) -> Result<(), rsipstack::Error> {
    use rsipstack::transport::channel::ChannelConnection;
    let (_closed_tx, incoming) = tokio::sync::mpsc::unbounded_channel();
    let (outgoing, _unused) = tokio::sync::mpsc::unbounded_channel();
    drop(_closed_tx);
    let addr = SipAddr {
        r#type: Some(Transport::Udp),
        addr: SocketAddr::from(([127, 0, 0, 1], 9)).into(),
    };
    let probe = ChannelConnection::create_connection(incoming, outgoing, addr, None).await?;
    endpoint
        .transport_layer
        .add_connection(SipConnection::Channel(probe));
    Ok(())
}

/// What the accept loops share: limits, counts, rsipstack, the pending first requests.
pub(crate) struct Inbound {
    pub(crate) limits: ConnLimits,
    pub(crate) table: ConnTable,
    pub(crate) endpoint: Arc<EndpointInner>,
    pub(crate) first: Arc<FirstRequests>,
    pub(crate) cancel: CancellationToken,
}

/// Rate-limited warnings of one accept loop.
#[derive(Default)]
struct LoopLog {
    refused: u64,
    errors: u64,
    last: Option<Instant>,
}

impl LoopLog {
    fn due(&mut self) -> bool {
        let now = Instant::now();
        if self.last.is_none_or(|t| now.duration_since(t) >= LOG_EVERY) {
            self.last = Some(now);
            true
        } else {
            false
        }
    }
}

/// Runs the accept loop of one stream listener until the stack is cancelled. `tls`: the
/// acceptor of a TLS listener, `None` for TCP. `local`: the address rsipstack gives the
/// connections (ours, with its transport).
pub(crate) fn spawn_accept_loop(
    inbound: Arc<Inbound>,
    listener: TcpListener,
    local: SipAddr,
    tls: Option<TlsAcceptor>,
) {
    let kind = if tls.is_some() {
        StreamKind::Tls
    } else {
        StreamKind::Tcp
    };
    tokio::spawn(async move {
        let mut log = LoopLog::default();
        loop {
            let accepted = tokio::select! {
                () = inbound.cancel.cancelled() => break,
                r = listener.accept() => r,
            };
            match accepted {
                Ok((stream, peer)) => match inbound.table.try_admit(peer.ip()) {
                    Ok(permit) => {
                        let inbound = inbound.clone();
                        let local = local.clone();
                        let tls = tls.clone();
                        tokio::spawn(async move {
                            inbound
                                .serve_connection(stream, peer, kind, local, tls, permit)
                                .await
                        });
                    }
                    Err(refused) => {
                        drop(stream);
                        log.refused += 1;
                        debug!(%peer, transport = kind.name(), reason = %refused, "connection refused");
                        if log.due() {
                            warn!(
                                transport = kind.name(),
                                refused = log.refused,
                                open = inbound.table.open(),
                                reason = %refused,
                                "SIP connections refused (limit reached)"
                            );
                            log.refused = 0;
                        }
                    }
                },
                Err(e) => {
                    let pause = accept_pause(&e);
                    log.errors += 1;
                    if log.due() {
                        warn!(
                            transport = kind.name(),
                            errors = log.errors,
                            error = %e,
                            pause_ms = pause.as_millis() as u64,
                            "cannot accept SIP connections"
                        );
                        log.errors = 0;
                    }
                    if !pause.is_zero() {
                        tokio::select! {
                            () = inbound.cancel.cancelled() => break,
                            () = tokio::time::sleep(pause) => {}
                        }
                    }
                }
            }
        }
        debug!(transport = kind.name(), "SIP listener stopped");
    });
}

/// How a connection's wait for its first request ended.
enum FirstRequest {
    Arrived,
    Closed,
    TimedOut,
}

impl Inbound {
    /// One admitted connection: the TLS handshake (bounded), the hand-over to rsipstack, the
    /// wait for its first request (bounded), then for its end, which frees `permit`.
    async fn serve_connection(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
        kind: StreamKind,
        local: SipAddr,
        tls: Option<TlsAcceptor>,
        permit: ConnPermit,
    ) {
        let token = self.cancel.child_token();
        let (conn, dup) = match tls {
            None => {
                let Some(dup) = dup_socket(&stream, peer) else {
                    return;
                };
                match TcpConnection::from_stream(stream, local, Some(token.clone())) {
                    Ok(c) => (SipConnection::Tcp(c), dup),
                    Err(e) => {
                        debug!(%peer, error = %e, "cannot set up the TCP connection");
                        return;
                    }
                }
            }
            Some(acceptor) => {
                let secs = self.limits.handshake_timeout.as_secs_f32();
                let tls = tokio::select! {
                    () = self.cancel.cancelled() => return,
                    r = tokio::time::timeout(self.limits.handshake_timeout, acceptor.accept(stream)) => r,
                };
                let tls = match tls {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        debug!(%peer, secs, "no TLS handshake in time: connection closed");
                        return;
                    }
                };
                let Some(dup) = dup_socket(tls.get_ref().0, peer) else {
                    return;
                };
                let remote = SipAddr {
                    r#type: Some(Transport::Tls),
                    addr: peer.into(),
                };
                match TlsConnection::from_server_stream(tls, local, remote, Some(token.clone()))
                    .await
                {
                    Ok(c) => (SipConnection::Tls(c), dup),
                    Err(e) => {
                        debug!(%peer, error = %e, "cannot set up the TLS connection");
                        return;
                    }
                }
            }
        };
        let first = self.first.expect(kind, peer);
        self.endpoint.transport_layer.add_connection(conn);
        let outcome = tokio::select! {
            r = first => if r.is_ok() { FirstRequest::Arrived } else { FirstRequest::Closed },
            () = token.cancelled() => FirstRequest::Closed,
            () = tokio::time::sleep(self.limits.first_request_timeout) => FirstRequest::TimedOut,
        };
        self.first.forget(kind, peer);
        if let FirstRequest::TimedOut = outcome {
            debug!(
                %peer,
                transport = kind.name(),
                secs = self.limits.first_request_timeout.as_secs_f32(),
                "no SIP request in time: connection closed"
            );
            // rsipstack's read then ends (EOF), it drops the connection and cancels `token`.
            let _ = std::net::TcpStream::from(dup).shutdown(Shutdown::Both);
        } else {
            drop(dup);
        }
        token.cancelled().await;
        drop(permit);
    }
}

/// A second descriptor of the connection's socket, to shut it down while rsipstack owns the
/// stream. `None` (connection dropped) when descriptors ran out.
fn dup_socket(stream: &TcpStream, peer: SocketAddr) -> Option<OwnedFd> {
    match stream.as_fd().try_clone_to_owned() {
        Ok(fd) => Some(fd),
        Err(e) => {
            debug!(%peer, error = %e, "cannot duplicate the connection's socket: closed");
            None
        }
    }
}

/// The process's open-file limits after [`raise_nofile_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NofileLimits {
    /// The soft limit before.
    pub soft_before: u64,
    /// The soft limit now.
    pub soft: u64,
    /// The hard limit (`u64::MAX`: unlimited).
    pub hard: u64,
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (services often start with a soft
/// limit of 1 024, below what `sip.max_calls` alone needs).
pub fn raise_nofile_limit() -> io::Result<NofileLimits> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let now = getrlimit(Resource::Nofile);
    let soft_before = now.current.unwrap_or(u64::MAX);
    let hard = now.maximum.unwrap_or(u64::MAX);
    // An unlimited hard limit cannot be the soft one (the kernel caps it at fs.nr_open).
    let target = if now.maximum.is_some() {
        hard
    } else {
        std::fs::read_to_string("/proc/sys/fs/nr_open")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(1 << 20)
    };
    if soft_before < target {
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(target),
                maximum: now.maximum,
            },
        )?;
    }
    let soft = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
    Ok(NofileLimits {
        soft_before,
        soft,
        hard,
    })
}

/// Descriptors one call may hold: its RTP and UDPTL sockets and a spool file.
pub const FDS_PER_CALL: u64 = 3;
/// Descriptors one SIP connection may hold: its socket, and its duplicate until the first
/// request.
pub const FDS_PER_CONNECTION: u64 = 2;
/// Descriptors for everything else: runtime, listeners, database, mail, HTTP API, logs.
pub const FDS_BASE: u64 = 64;

/// Descriptors `serve` may need with `max_calls` calls and `max_connections` connections.
pub fn fd_budget(max_calls: u64, max_connections: u64) -> u64 {
    FDS_PER_CALL * max_calls + FDS_PER_CONNECTION * max_connections + FDS_BASE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn table_caps_per_source_then_in_total_and_frees_on_drop() {
        let t = ConnTable::new(5, 3);
        let a: Vec<_> = (0..3)
            .map(|_| t.try_admit(ip("10.0.0.1")).unwrap())
            .collect();
        assert_eq!(
            t.try_admit(ip("10.0.0.1")).unwrap_err(),
            Refused::PerSource {
                ip: ip("10.0.0.1"),
                limit: 3
            }
        );
        // The same source through an IPv4-mapped IPv6 address is the same source.
        assert!(t.try_admit(ip("::ffff:10.0.0.1")).is_err());
        let b: Vec<_> = (0..2)
            .map(|_| t.try_admit(ip("10.0.0.2")).unwrap())
            .collect();
        assert_eq!(t.open(), 5);
        assert_eq!(
            t.try_admit(ip("10.0.0.3")).unwrap_err(),
            Refused::Total { limit: 5 }
        );
        drop(b);
        assert_eq!(t.open(), 3);
        assert_eq!(t.open_from(ip("10.0.0.2")), 0);
        let c = t.try_admit(ip("10.0.0.3")).unwrap();
        drop(a);
        assert_eq!(t.open(), 1);
        assert_eq!(t.open_from(ip("10.0.0.1")), 0);
        assert!(t.try_admit(ip("10.0.0.1")).is_ok());
        drop(c);
        // A refusal takes no slot.
        assert_eq!(t.open(), 0);
    }

    #[test]
    fn accept_pauses_when_descriptors_run_out() {
        use rustix::io::Errno;
        let e = |n: Errno| io::Error::from_raw_os_error(n.raw_os_error());
        assert_eq!(accept_pause(&e(Errno::MFILE)), ACCEPT_PAUSE);
        assert_eq!(accept_pause(&e(Errno::NFILE)), ACCEPT_PAUSE);
        assert_eq!(accept_pause(&e(Errno::NOBUFS)), ACCEPT_PAUSE);
        assert_eq!(accept_pause(&e(Errno::NOMEM)), ACCEPT_PAUSE);
        assert_eq!(accept_pause(&e(Errno::CONNABORTED)), Duration::ZERO);
        assert!(!accept_pause(&io::Error::other("strange")).is_zero());
    }

    #[test]
    fn budget_counts_calls_connections_and_the_rest() {
        assert_eq!(fd_budget(500, 1000), 1500 + 2000 + 64);
        assert_eq!(fd_budget(1, 0), 3 + 64);
    }

    #[test]
    fn raising_the_soft_limit_reaches_the_hard_one() {
        let l = raise_nofile_limit().unwrap();
        assert!(l.soft >= l.soft_before);
        if l.hard != u64::MAX {
            assert_eq!(l.soft, l.hard);
        }
    }
}
