//! The SMTP listener of email-to-fax (`mail_in.listen`): accepts connections within limits,
//! runs one [`Session`] per connection in its own task, moves its bytes (plain or, after
//! STARTTLS, TLS), keeps its time-outs and takes its decisions with [`MailIn`].
//!
//! Safe on the open network like the SIP stream listeners ([`crate::sip::conn`], whose
//! connection table and accept pause it uses): at most `mail_in.max_connections` connections,
//! `max_connections_per_source` from one address (others get 421 and are closed); a client
//! silent for `idle_secs` (reading, writing, in the TLS handshake) is cut off, and no
//! connection lasts more than `session_secs`. The decisions themselves (a database look-up,
//! the DNS checks, the rendering, the submission) are never cut short: a submission is
//! always carried to its end so that nothing is left half reserved.
//!
//! On [`MailListener::shutdown`] (the drain of `faxvox serve`) no connection is accepted any
//! more, sessions waiting for a command are told 421 and closed, and those taking a decision
//! finish it (up to a limit).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{timeout, timeout_at, Instant};
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info, warn};

use super::accept::{MailIn, Sender};
use super::settings::MailInConfig;
use super::smtp::{Event, Limits, Reply, Session, SessionConfig};
use crate::sip::conn::{accept_pause, ConnTable};

/// How long [`MailListener::shutdown`] waits for sessions taking a decision.
const DRAIN: Duration = Duration::from_secs(60);

/// Messages received (DATA) at once, all connections together: each is held in memory up to
/// `mail_in.max_message_bytes` until it is answered, so connections that all send large
/// messages cannot exhaust it (with 20 MiB, 160 MiB at most). A DATA beyond it gets 451.
pub const MAX_MESSAGES_AT_ONCE: usize = 8;

/// Why the listener cannot start.
#[derive(Debug, Error)]
pub enum ListenError {
    #[error("cannot listen for SMTP on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("STARTTLS certificate: {0}")]
    Tls(String),
}

/// The running listener.
pub struct MailListener {
    local: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// What every session of the listener shares.
struct Shared {
    mail_in: MailIn,
    tls: Option<TlsAcceptor>,
    hostname: String,
    limits: Limits,
    idle: Duration,
    session: Duration,
    /// Permits for messages being received ([`MAX_MESSAGES_AT_ONCE`]).
    receiving: Arc<tokio::sync::Semaphore>,
}

/// The TLS server side for STARTTLS from a PEM certificate chain and key (rustls with ring).
pub fn tls_acceptor(cert_pem: &[u8], key_pem: &[u8]) -> Result<TlsAcceptor, ListenError> {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls::ServerConfig;
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ListenError::Tls(format!("certificate: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| ListenError::Tls(format!("private key: {e}")))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ListenError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ListenError::Tls(e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

impl MailListener {
    /// Binds `config.listen` and starts accepting; `tls`: STARTTLS is offered with it.
    pub async fn start(
        config: &MailInConfig,
        mail_in: MailIn,
        tls: Option<TlsAcceptor>,
    ) -> Result<MailListener, ListenError> {
        let addr = config
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ListenError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| ListenError::Bind { addr, source })?;
        let shared = Arc::new(Shared {
            hostname: mail_in.domain().to_string(),
            mail_in,
            tls,
            limits: Limits {
                max_message_bytes: usize::try_from(config.max_message_bytes).unwrap_or(usize::MAX),
                ..Limits::default()
            },
            idle: config.idle(),
            session: config.session(),
            receiving: Arc::new(tokio::sync::Semaphore::new(MAX_MESSAGES_AT_ONCE)),
        });
        let table = ConnTable::new(
            config.max_connections.max(1) as usize,
            config.max_connections_per_source.max(1) as usize,
        );
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, shared, table, stopped));
        Ok(MailListener { local, stop, task })
    }

    /// The bound address (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Stops accepting, closes idle sessions, lets decisions in progress end (up to a
    /// minute).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    table: ConnTable,
    mut stopped: watch::Receiver<bool>,
) {
    let mut sessions = JoinSet::new();
    let mut last_refusal_log: Option<std::time::Instant> = None;
    loop {
        let accepted = tokio::select! {
            _ = stopped.changed() => break,
            Some(_) = sessions.join_next(), if !sessions.is_empty() => continue,
            r = listener.accept() => r,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                let pause = accept_pause(&e);
                if !pause.is_zero() {
                    warn!(error = %e, "cannot accept SMTP connections");
                    tokio::time::sleep(pause).await;
                }
                continue;
            }
        };
        let permit = match table.try_admit(peer.ip()) {
            Ok(p) => p,
            Err(refused) => {
                let now = std::time::Instant::now();
                if last_refusal_log.is_none_or(|t| now.duration_since(t) > Duration::from_secs(10))
                {
                    warn!(%peer, reason = %refused, "SMTP connection refused");
                    last_refusal_log = Some(now);
                }
                // A courtesy reply, without waiting: the accept loop never blocks on a client.
                let reply = Reply::new(421, "4.7.0 too many connections; try again later");
                let _ = stream.try_write(&reply.to_bytes());
                continue;
            }
        };
        let shared = shared.clone();
        let stopped = stopped.clone();
        sessions.spawn(async move {
            let _permit = permit;
            let _ = stream.set_nodelay(true);
            match serve_connection(stream, peer, &shared, stopped).await {
                Ok(()) => debug!(%peer, "SMTP connection closed"),
                Err(e) => debug!(%peer, error = %e, "SMTP connection ended"),
            }
        });
    }
    drop(listener);
    let drained = timeout(DRAIN, async {
        while sessions.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        warn!(
            sessions = sessions.len(),
            "SMTP sessions still busy at shutdown: cut off"
        );
        sessions.shutdown().await;
    }
}

/// A connection, plain or under TLS after STARTTLS.
enum Conn {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    /// During the upgrade.
    Gone,
}

impl Conn {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf).await,
            Conn::Tls(s) => s.read(buf).await,
            Conn::Gone => Ok(0),
        }
    }

    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.write_all(bytes).await,
            Conn::Tls(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
            Conn::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    async fn shutdown(&mut self) {
        let _ = match self {
            Conn::Plain(s) => s.shutdown().await,
            Conn::Tls(s) => s.shutdown().await,
            Conn::Gone => Ok(()),
        };
    }
}

/// Resolves once the listener stops (never if its handle is dropped without stopping).
async fn stop_signal(stopped: &mut watch::Receiver<bool>) {
    if stopped.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "client too slow")
}

/// Runs one SMTP session to its end.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
    mut stopped: watch::Receiver<bool>,
) -> io::Result<()> {
    let deadline = Instant::now() + shared.session;
    let mut conn = Conn::Plain(stream);
    let mut session = Session::new(SessionConfig {
        hostname: shared.hostname.clone(),
        tls_available: shared.tls.is_some(),
        limits: shared.limits,
    });
    let mut out: Vec<u8> = Vec::new();
    let mut sender: Option<Sender> = None;
    let mut numbers: Vec<String> = Vec::new();
    // Held from the go-ahead for DATA until the message is answered.
    // (Also let go at the next MAIL: a message refused as too large is answered by the
    // session alone.)
    let mut _receiving: Option<tokio::sync::OwnedSemaphorePermit> = None;
    let mut buf = vec![0u8; 16 * 1024];
    // Writes what is pending, within the idle time and the session's deadline.
    async fn flush(
        conn: &mut Conn,
        out: &mut Vec<u8>,
        idle: Duration,
        deadline: Instant,
    ) -> io::Result<()> {
        if out.is_empty() {
            return Ok(());
        }
        let limit = deadline.min(Instant::now() + idle);
        timeout_at(limit, conn.write_all(out))
            .await
            .map_err(|_| timed_out())??;
        out.clear();
        Ok(())
    }
    loop {
        while let Some(event) = session.poll() {
            match event {
                Event::Send(bytes) => out.extend_from_slice(&bytes),
                Event::Close => {
                    flush(&mut conn, &mut out, shared.idle, deadline).await?;
                    conn.shutdown().await;
                    return Ok(());
                }
                Event::StartTls => {
                    flush(&mut conn, &mut out, shared.idle, deadline).await?;
                    let (Conn::Plain(tcp), Some(acceptor)) = (
                        std::mem::replace(&mut conn, Conn::Gone),
                        shared.tls.as_ref(),
                    ) else {
                        return Ok(());
                    };
                    let limit = deadline.min(Instant::now() + shared.idle);
                    let tls = timeout_at(limit, acceptor.accept(tcp))
                        .await
                        .map_err(|_| timed_out())??;
                    conn = Conn::Tls(Box::new(tls));
                    session.tls_started();
                }
                Event::Mail { from } => {
                    flush(&mut conn, &mut out, shared.idle, deadline).await?;
                    numbers.clear();
                    _receiving = None;
                    let reply = match shared.mail_in.sender(&from).await {
                        Ok(s) => {
                            let r =
                                Reply::new(250, format!("2.1.0 <{from}> may send from {}", s.line));
                            sender = Some(s);
                            r
                        }
                        Err(r) => {
                            sender = None;
                            r
                        }
                    };
                    session.answer(reply);
                }
                Event::Rcpt { to } => {
                    flush(&mut conn, &mut out, shared.idle, deadline).await?;
                    let reply = match &sender {
                        None => Reply::new(503, "5.5.1 MAIL first"),
                        Some(s) => {
                            match shared.mail_in.recipient(s, &to, SystemTime::now()).await {
                                Ok(number) => {
                                    let r = Reply::new(250, format!("2.1.5 fax to {number}"));
                                    if !numbers.contains(&number) {
                                        numbers.push(number);
                                    }
                                    r
                                }
                                Err(r) => r,
                            }
                        }
                    };
                    session.answer(reply);
                }
                Event::Data => match shared.receiving.clone().try_acquire_owned() {
                    Ok(permit) => {
                        _receiving = Some(permit);
                        session.answer(Session::go_ahead());
                    }
                    Err(_) => session.answer(Reply::new(
                        451,
                        "4.3.2 too many messages being received; try again later",
                    )),
                },
                Event::Message(raw) => {
                    flush(&mut conn, &mut out, shared.idle, deadline).await?;
                    let reply = match &sender {
                        None => Reply::new(503, "5.5.1 MAIL first"),
                        Some(s) => {
                            shared
                                .mail_in
                                .message(
                                    peer.ip(),
                                    session.helo().unwrap_or(""),
                                    s,
                                    &numbers,
                                    &raw,
                                    SystemTime::now(),
                                )
                                .await
                        }
                    };
                    info!(%peer, code = reply.code, reply = %reply.text, "email-to-fax: message answered");
                    sender = None;
                    numbers.clear();
                    _receiving = None;
                    session.answer(reply);
                }
            }
        }
        flush(&mut conn, &mut out, shared.idle, deadline).await?;
        let limit = deadline.min(Instant::now() + shared.idle);
        let n = tokio::select! {
            r = timeout_at(limit, conn.read(&mut buf)) => match r {
                Ok(r) => r?,
                Err(_) => {
                    let reply = Reply::new(421, "4.4.2 idle too long; closing");
                    let _ = timeout(Duration::from_secs(1), conn.write_all(&reply.to_bytes())).await;
                    return Err(timed_out());
                }
            },
            _ = stop_signal(&mut stopped) => {
                let reply = Reply::new(421, "4.3.2 shutting down; try again later");
                let _ = timeout(Duration::from_secs(1), conn.write_all(&reply.to_bytes())).await;
                return Ok(());
            }
        };
        if n == 0 {
            return Ok(());
        }
        session.feed(&buf[..n]);
    }
}
