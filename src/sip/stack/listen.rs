//! The listeners: UDP and TCP on one port, TLS on its own (rustls with ring), and the
//! registration of the stream listeners with rsipstack once its transport loop runs. Inbound
//! TCP and TLS connections are accepted by our own loops within the connection limits
//! ([`super::super::conn`]) and handed to rsipstack.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rsipstack::platform::CancellationToken;
use rsipstack::sip::Transport;
use rsipstack::transport::tcp_listener::TcpListenerConnection;
use rsipstack::transport::tls::{ReloadableCertResolver, TlsConfig, TlsListenerConnection};
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::SipAddr;
use tokio::sync::oneshot;

use super::super::conn::{self, Inbound};
use super::{StackConfig, StackError};

/// How many ephemeral UDP ports to try when the same TCP port is taken (port 0 + TCP).
const BIND_ATTEMPTS: usize = 16;

/// The TLS listener: address and PEM identity.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsListen {
    /// Listen address; port 0 picks a free port
    /// ([`SipStack::tls_local_addr`](super::SipStack::tls_local_addr) tells which).
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

/// Which half of a TLS identity is wrong, and why (the message names it first).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsIdentityError {
    #[error("certificate: {0}")]
    Certificate(String),
    #[error(
        "private key: {0} (a PKCS#8 or RSA PKCS#1 PEM key matching the certificate is needed)"
    )]
    PrivateKey(String),
}

/// Checks a PEM certificate chain and private key the way the TLS listener loads them: at
/// least one certificate, a PKCS#8 or PKCS#1 key, and the key matching the certificate.
/// The error says which of the two is wrong.
pub fn check_tls_identity(cert_pem: &[u8], key_pem: &[u8]) -> Result<(), TlsIdentityError> {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::CertificateDer;
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsIdentityError::Certificate(format!("not valid PEM ({e})")))?;
    if certs.is_empty() {
        return Err(TlsIdentityError::Certificate(
            "no CERTIFICATE block in the PEM file".into(),
        ));
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    ReloadableCertResolver::new(cert_pem, key_pem, provider)
        .map(|_| ())
        .map_err(|e| {
            let e = e.to_string();
            if e.contains("key") || e.contains("Key") {
                TlsIdentityError::PrivateKey(e)
            } else {
                TlsIdentityError::Certificate(e)
            }
        })
}

/// Binds the UDP listener, and with `cfg.tcp` the TCP listener on the same port; with TCP and
/// port 0, retries until the same port is free for both.
pub(super) async fn bind_udp(
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

/// The bound TLS listener, ready to accept once rsipstack runs.
pub(super) struct BoundTls {
    listener: tokio::net::TcpListener,
    /// The address it is bound to (the real port when 0 was asked for).
    pub(super) addr: SocketAddr,
    acceptor: tokio_rustls::TlsAcceptor,
}

/// Checks the TLS identity of `tls` and binds its listener.
pub(super) fn bind_tls(tls: &TlsListen) -> Result<BoundTls, StackError> {
    check_tls_identity(&tls.cert_pem, &tls.key_pem).map_err(|e| StackError::Tls(e.to_string()))?;
    let acceptor = tls_acceptor(tls)?;
    let listener = bind_stream_listener(tls.listen, "tls")?;
    let addr = listener.local_addr().map_err(|source| StackError::Bind {
        transport: "tls",
        addr: tls.listen,
        source,
    })?;
    Ok(BoundTls {
        listener,
        addr,
        acceptor,
    })
}

/// Starts accepting SIP over TCP (on `local_addr`) and TLS once rsipstack runs; `running`
/// fires when rsipstack has started the listeners it knows of. On failure the stack is
/// cancelled.
pub(super) async fn serve_streams(
    inbound: Inbound,
    running: oneshot::Receiver<()>,
    local_addr: SocketAddr,
    tcp: Option<tokio::net::TcpListener>,
    tls: Option<BoundTls>,
) -> Result<(), StackError> {
    let endpoint_inner = inbound.endpoint.clone();
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
        inbound.cancel.cancel();
        return Err(StackError::Dialog(
            "the SIP transport loop did not start".into(),
        ));
    }
    let inbound = Arc::new(inbound);
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
    if let Some(BoundTls {
        listener,
        addr,
        acceptor,
    }) = tls
    {
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
    Ok(())
}
