//! A real DNS server for the email-to-fax tests: Debian's `dnsmasq` (package `dnsmasq-base`)
//! on 127.0.0.1 and a free high port, serving only the TXT records a test gives (SPF, DKIM
//! `selector._domainkey`, `_dmarc`), with NXDOMAIN for any other name under the same top-level
//! domains (so a missing DMARC record is "none", not a DNS failure). Killed on drop; its log
//! (every query) is printed when the test fails.
//!
//! Also a DKIM signer ([`DkimKey`]): a key generated in code (Ed25519, or RSA whose public key
//! record is longer than one 255-byte TXT string), whose public key record [`Zone::dkim`]
//! publishes, signing with `mail-auth`.

use std::collections::BTreeSet;
use std::fs::File;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;

use super::peers;

/// The records to serve; [`Zone::start`] starts the server.
#[derive(Clone, Debug, Default)]
pub struct Zone {
    txt: Vec<(String, String)>,
}

impl Zone {
    pub fn new() -> Zone {
        Zone::default()
    }

    /// A TXT record (several for one name are several records). Values longer than 255 bytes
    /// are served as consecutive strings of one record, as DNS requires.
    pub fn txt(mut self, name: impl Into<String>, value: impl Into<String>) -> Zone {
        self.txt.push((name.into(), value.into()));
        self
    }

    /// `v=spf1 MECHANISMS -all` at `domain` (e.g. `ip4:127.0.0.1`).
    pub fn spf(self, domain: &str, mechanisms: &str) -> Zone {
        self.txt(domain, format!("v=spf1 {mechanisms} -all"))
    }

    /// `v=DMARC1; p=reject` at `_dmarc.DOMAIN` (relaxed alignment, the default).
    pub fn dmarc_reject(self, domain: &str) -> Zone {
        self.txt(format!("_dmarc.{domain}"), "v=DMARC1; p=reject")
    }

    /// The public key record of `key` at `SELECTOR._domainkey.DOMAIN`.
    pub fn dkim(self, key: &DkimKey) -> Zone {
        let (name, value) = key.record();
        self.txt(name, value)
    }

    /// Starts dnsmasq serving the zone and waits until it answers. `None` (test skipped) when
    /// dnsmasq is not installed and peers are not required (`FAXVOX_REQUIRE_PEERS`).
    pub fn start(self) -> Option<Dns> {
        let bin = match sbin("dnsmasq") {
            Some(bin) => bin,
            None => peers::require("dnsmasq", "dnsmasq-base")?,
        };
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("dnsmasq.conf");
        std::fs::write(&conf, self.conf()).unwrap();
        let log_path = dir.path().join("dnsmasq.log");
        for _ in 0..8 {
            let port = {
                let s = UdpSocket::bind("127.0.0.1:0").unwrap();
                s.local_addr().unwrap().port()
            };
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let log = File::create(&log_path).unwrap();
            let mut cmd = Command::new(&bin);
            cmd.args([
                "--keep-in-foreground",
                "--no-resolv",
                "--no-hosts",
                "--no-poll",
                "--bind-interfaces",
                "--listen-address=127.0.0.1",
                "--pid-file=",
                "--log-facility=-",
                "--log-queries",
                "--local-ttl=0",
            ])
            .arg(format!("--port={port}"))
            .arg(format!("--conf-file={}", conf.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log));
            let mut child = cmd.spawn().expect("spawn dnsmasq");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    return Some(Dns {
                        dir,
                        child: Some(child),
                        addr,
                        log_path,
                    });
                }
                let exited = child.try_wait().unwrap().is_some();
                if exited || Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    if exited && log.contains("Address already in use") {
                        break;
                    }
                    panic!("dnsmasq did not come up on {addr}:\n{log}");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("dnsmasq: no usable port on 127.0.0.1");
    }

    /// The configuration file: one `txt-record` line per record, each value cut in quoted
    /// strings of at most 255 bytes, and `local=/TLD/` for every top-level domain named, so
    /// that other names there are NXDOMAIN rather than REFUSED.
    fn conf(&self) -> String {
        let mut out = String::new();
        let mut tlds = BTreeSet::new();
        for (name, value) in &self.txt {
            assert!(
                !value.contains('"') && !name.contains([',', '"', ' ']),
                "unsupported TXT record {name} {value}"
            );
            let strings: Vec<String> = chunks(value, 255)
                .into_iter()
                .map(|s| format!("\"{s}\""))
                .collect();
            out.push_str(&format!("txt-record={name},{}\n", strings.join(",")));
            if let Some(tld) = name.trim_end_matches('.').rsplit('.').next() {
                tlds.insert(tld.to_string());
            }
        }
        for tld in ["example", "test", "invalid"] {
            tlds.insert(tld.to_string());
        }
        for tld in tlds {
            out.push_str(&format!("local=/{tld}/\n"));
        }
        out
    }
}

/// `value` cut in pieces of at most `max` bytes (on character boundaries).
pub fn chunks(value: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = value;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out.push(rest);
    out
}

/// A running dnsmasq.
pub struct Dns {
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// Where to send queries (UDP and TCP): give it to `SenderAuth::new(Some(addr))` or
    /// `mail_in.dns`.
    pub addr: SocketAddr,
    log_path: PathBuf,
}

impl Dns {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The log so far (every query and its answer).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Stops the server (its port then refuses queries: a DNS failure for the client).
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!("===== dnsmasq log =====\n{}\n===== end =====", self.log());
        }
    }
}

/// Debian installs dnsmasq in /usr/sbin, which is not on every user's PATH.
fn sbin(name: &str) -> Option<PathBuf> {
    let path = Path::new("/usr/sbin").join(name);
    path.is_file().then_some(path)
}

enum Key {
    Ed25519(Vec<u8>),
    Rsa(Vec<u8>),
}

/// A DKIM signing key made in code, for one domain and selector.
pub struct DkimKey {
    key: Key,
    public: Vec<u8>,
    pub domain: String,
    pub selector: String,
}

impl DkimKey {
    /// A fresh Ed25519 key (a short record: one TXT string).
    pub fn ed25519(domain: &str, selector: &str) -> DkimKey {
        let pkcs8 = Ed25519Key::generate_pkcs8().unwrap();
        let public = Ed25519Key::from_pkcs8_der(&pkcs8).unwrap().public_key();
        DkimKey {
            key: Key::Ed25519(pkcs8),
            public,
            domain: domain.to_string(),
            selector: selector.to_string(),
        }
    }

    /// A fresh RSA key of `bits` (2048: a record longer than one 255-byte TXT string).
    pub fn rsa(domain: &str, selector: &str, bits: usize) -> DkimKey {
        let pair = mail_auth::dkim::generate::DkimKeyPair::generate_rsa(bits).unwrap();
        let (private, public) = pair.into_inner();
        DkimKey {
            key: Key::Rsa(private),
            public,
            domain: domain.to_string(),
            selector: selector.to_string(),
        }
    }

    /// `(SELECTOR._domainkey.DOMAIN, "v=DKIM1; k=…; p=BASE64")`.
    pub fn record(&self) -> (String, String) {
        let k = match self.key {
            Key::Ed25519(_) => "ed25519",
            Key::Rsa(_) => "rsa",
        };
        (
            format!("{}._domainkey.{}", self.selector, self.domain),
            format!("v=DKIM1; k={k}; p={}", base64(&self.public)),
        )
    }

    /// `message` (CRLF line ends) with a `DKIM-Signature` header of this key prepended,
    /// signing From, To, Subject, Date, Message-ID and the MIME headers present.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        const HEADERS: [&str; 7] = [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "MIME-Version",
            "Content-Type",
        ];
        let header = match &self.key {
            Key::Ed25519(pkcs8) => DkimSigner::from_key(Ed25519Key::from_pkcs8_der(pkcs8).unwrap())
                .domain(&self.domain)
                .selector(&self.selector)
                .headers(HEADERS)
                .sign(message)
                .unwrap()
                .to_header(),
            Key::Rsa(pkcs1) => {
                let der = rustls_pki_types::PrivateKeyDer::Pkcs1(
                    rustls_pki_types::PrivatePkcs1KeyDer::from(pkcs1.clone()),
                );
                DkimSigner::from_key(RsaKey::<Sha256>::from_key_der(der).unwrap())
                    .domain(&self.domain)
                    .selector(&self.selector)
                    .headers(HEADERS)
                    .sign(message)
                    .unwrap()
                    .to_header()
            }
        };
        let mut out = header.into_bytes();
        out.extend_from_slice(message);
        out
    }
}

/// Standard base64 with padding (the `p=` of a DKIM record).
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_and_chunks() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    assert_eq!(chunks("abcdef", 4), vec!["abcd", "ef"]);
    assert_eq!(chunks("abc", 4), vec!["abc"]);
}
