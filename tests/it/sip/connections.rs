//! The SIP stack's inbound TCP and TLS connections (src/sip/conn.rs) on real sockets: caps in
//! total and per source address, the TLS handshake timeout, the first-request timeout and the
//! idle timeout. Second host: 127.0.0.2.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use faxvox::sip::conn::ConnLimits;
use faxvox::sip::stack::{IncomingCalls, SipStack, StackConfig, TlsListen};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

const HOST_A: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const HOST_B: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

fn limits(total: usize, per_source: usize) -> ConnLimits {
    ConnLimits {
        max_total: total,
        max_per_source: per_source,
        handshake_timeout: Duration::from_secs(1),
        first_request_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(3),
    }
}

async fn start(limits: ConnLimits, tls: bool) -> (SipStack, IncomingCalls) {
    let tls = tls.then(|| {
        let (cert, key) = test_identity();
        TlsListen {
            listen: SocketAddr::new(HOST_A, 0),
            cert_pem: cert.into_bytes(),
            key_pem: key.into_bytes(),
        }
    });
    SipStack::start(StackConfig {
        listen: SocketAddr::new(HOST_A, 0),
        tcp: true,
        user_agent: "faxvox-test".into(),
        tls,
        auth: None,
        guard: None,
        limits,
    })
    .await
    .expect("stack starts")
}

/// A certificate for 127.0.0.1 and its key (PEM); the probes below do not verify it.
fn test_identity() -> (String, String) {
    let c = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    (c.cert.pem(), c.signing_key.serialize_pem())
}

async fn connect_from(source: IpAddr, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(source, 0)).unwrap();
    socket.connect(server).await.unwrap()
}

/// Time until the server closes `stream` (EOF or reset), reading and discarding what it
/// sends; `None` if it is still open after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    let mut buf = [0u8; 4096];
    timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return t0.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

fn options(server: SocketAddr, local: SocketAddr, call_id: &str) -> String {
    format!(
        "OPTIONS sip:{server} SIP/2.0\r\nVia: SIP/2.0/TCP {local};branch=z9hG4bK{call_id}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:probe@{local}>;tag=t1\r\nTo: <sip:{server}>\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
}

#[tokio::test]
async fn connections_are_capped_per_source_and_in_total() {
    let (stack, _calls) = start(limits(6, 4), false).await;
    let server = stack.local_addr();
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect_from(HOST_A, server).await);
    }
    // The fifth from the same source is closed at once; others still get in.
    let mut fifth = connect_from(HOST_A, server).await;
    assert!(
        closed_within(&mut fifth, Duration::from_secs(1))
            .await
            .is_some(),
        "a 5th connection from one source (cap 4) must be closed at once"
    );
    for _ in 0..2 {
        held.push(connect_from(HOST_B, server).await);
    }
    let mut seventh = connect_from(HOST_B, server).await;
    assert!(
        closed_within(&mut seventh, Duration::from_secs(1))
            .await
            .is_some(),
        "a 7th connection (cap 6 in all) must be closed at once"
    );
    assert_eq!(stack.open_connections(), 6);
    for s in &mut held {
        assert!(
            closed_within(s, Duration::from_millis(200)).await.is_none(),
            "connections within the caps stay open"
        );
    }
    // None sends a request: all are closed after the first-request timeout (2 s), and their
    // slots are free again.
    for s in &mut held {
        let t = closed_within(s, Duration::from_secs(5)).await;
        assert!(t.is_some(), "an idle connection must be closed after 2 s");
    }
    assert_eq!(open_after_a_while(&stack).await, 0);
    let mut again = connect_from(HOST_A, server).await;
    assert!(closed_within(&mut again, Duration::from_millis(300))
        .await
        .is_none());
    stack.shutdown();
}

#[tokio::test]
async fn a_connection_that_sent_a_request_lasts_until_it_is_idle() {
    let (stack, _calls) = start(limits(10, 10), false).await;
    let server = stack.local_addr();
    let mut s = connect_from(HOST_A, server).await;
    let local = s.local_addr().unwrap();
    s.write_all(options(server, local, "conn-opt-1").as_bytes())
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("an answer to OPTIONS")
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(answer.starts_with("SIP/2.0 200"), "{answer}");
    let sent = Instant::now();
    // Past the first-request timeout (2 s) it stays open; the idle timeout (3 s) closes it.
    let closed = closed_within(&mut s, Duration::from_secs(8))
        .await
        .expect("closed after 3 s of silence");
    let after = sent.elapsed();
    assert!(
        after >= Duration::from_millis(2800) && closed <= Duration::from_secs(6),
        "closed {after:?} after the last request (idle timeout 3 s)"
    );
    stack.shutdown();
}

#[tokio::test]
async fn tls_without_a_client_hello_is_closed_after_the_handshake_timeout() {
    let (stack, _calls) = start(limits(10, 10), true).await;
    let tls = stack.tls_local_addr().unwrap();
    let t0 = Instant::now();
    let mut silent = connect_from(HOST_A, tls).await;
    let closed = closed_within(&mut silent, Duration::from_secs(5))
        .await
        .expect("a TLS connection without ClientHello must be closed");
    assert!(
        closed >= Duration::from_millis(800) && t0.elapsed() < Duration::from_secs(3),
        "closed after {closed:?} (handshake timeout 1 s)"
    );

    // A client that completes the handshake and then says nothing: closed after the
    // first-request timeout (2 s).
    let mut handshaken = tls_client(tls).await;
    let t1 = Instant::now();
    let mut buf = [0u8; 64];
    let r = timeout(Duration::from_secs(6), handshaken.read(&mut buf))
        .await
        .expect("closed within 6 s");
    assert!(matches!(r, Ok(0) | Err(_)), "{r:?}");
    drop(handshaken);
    let after = t1.elapsed();
    assert!(
        after >= Duration::from_millis(1800) && after < Duration::from_secs(5),
        "closed {after:?} after the handshake (first-request timeout 2 s)"
    );
    assert_eq!(open_after_a_while(&stack).await, 0);
    stack.shutdown();
}

/// Open connections once the stack has noticed the ends just seen by the peers (up to 2 s).
async fn open_after_a_while(stack: &SipStack) -> usize {
    let deadline = Instant::now() + Duration::from_secs(2);
    while stack.open_connections() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stack.open_connections()
}

/// A TLS client that accepts any certificate (the handshake is what is tested).
async fn tls_client(server: SocketAddr) -> tokio_rustls::client::TlsStream<TcpStream> {
    use std::sync::Arc;
    use tokio_rustls::rustls::client::danger::{
        HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
    };
    use tokio_rustls::rustls::crypto::{
        ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider,
    };
    use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use tokio_rustls::rustls::{self, DigitallySignedStruct, SignatureScheme};

    #[derive(Debug)]
    struct Any(Arc<CryptoProvider>);
    impl ServerCertVerifier for Any {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
        }
        fn verify_tls13_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    let provider = Arc::new(ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Any(provider)))
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = connect_from(HOST_A, server).await;
    timeout(
        Duration::from_secs(5),
        connector.connect(ServerName::IpAddress(server.ip().into()), tcp),
    )
    .await
    .expect("handshake within 5 s")
    .expect("handshake")
}
