//! A real SMTP server for tests: Debian's python3-aiosmtpd driven by `smtp_sink.py`, on an
//! ephemeral 127.0.0.1 port, saving each message (and Python's reading of it) to a folder.
//! Also a throwaway PKI (CA + leaf with CA:FALSE, SAN localhost and 127.0.0.1): rustls
//! refuses a self-signed CA used directly as the server certificate.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's interpreter: a pyenv `python3` on PATH cannot see dist-packages.
pub const PYTHON: &str = "/usr/bin/python3";

#[derive(Default, Clone)]
pub struct SinkOptions {
    /// (certificate chain PEM, key PEM): offer STARTTLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub require_starttls: bool,
    pub implicit_tls: bool,
    /// `user:pass`: AUTH required.
    pub auth: Option<String>,
    /// Reply to DATA instead of storing (`451 4.3.0 …`, `550 5.7.1 …`).
    pub data_reply: Option<String>,
    /// Recipients refused at RCPT, with the reply.
    pub reject_rcpt: Vec<(String, String)>,
    /// Store only the bytes, the envelope and the acceptance time (`--lean`): for the load
    /// bench, where Python parsing every message would be the bottleneck.
    pub lean: bool,
    /// Seconds the sink lives at most (`--secs`; the script's default when `None`).
    pub secs: Option<u64>,
    /// Folder to store messages in (the bench's, on real disk); a new temporary one if `None`.
    pub out: Option<PathBuf>,
    /// CPU list the sink is pinned to (`taskset -c`), e.g. the bench callers' core.
    pub cpu: Option<String>,
}

pub struct SmtpSink {
    child: Child,
    _stdin: ChildStdin,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

/// One stored message: the bytes received and the sink's JSON description.
pub struct Received {
    pub raw: Vec<u8>,
    pub meta: serde_json::Value,
}

impl Received {
    /// Attachments as decoded by Python's email package: (filename, content type, bytes).
    pub fn python_attachments(&self) -> Vec<(String, String, Vec<u8>)> {
        self.meta["parts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["disposition"] == "attachment")
            .map(|p| {
                (
                    p["filename"].as_str().unwrap_or_default().to_string(),
                    p["content_type"].as_str().unwrap().to_string(),
                    std::fs::read(p["path"].as_str().unwrap()).unwrap(),
                )
            })
            .collect()
    }

    /// A header as Python decoded it (first occurrence).
    pub fn python_header(&self, name: &str) -> Option<String> {
        self.meta["headers"][name.to_ascii_lowercase()][0]
            .as_str()
            .map(str::to_string)
    }

    pub fn python_defects(&self) -> Vec<String> {
        self.meta["defects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_string())
            .collect()
    }

    pub fn rcpt_tos(&self) -> Vec<String> {
        self.meta["rcpt_tos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_string())
            .collect()
    }
}

impl SmtpSink {
    pub fn start(opts: &SinkOptions) -> SmtpSink {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/support/smtp_sink.py");
        assert!(
            Path::new(PYTHON).exists(),
            "{PYTHON} missing: the SMTP tests need Debian's python3 and python3-aiosmtpd"
        );
        let dir = match &opts.out {
            Some(parent) => tempfile::tempdir_in(parent).unwrap(),
            None => tempfile::tempdir().unwrap(),
        };
        let mut cmd = match &opts.cpu {
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.args(["-c", cpu, PYTHON]);
                c
            }
            None => Command::new(PYTHON),
        };
        cmd.arg(script)
            .arg("--out")
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some((cert, key)) = &opts.tls {
            cmd.arg("--tls").arg(cert).arg(key);
        }
        if opts.require_starttls {
            cmd.arg("--require-starttls");
        }
        if opts.implicit_tls {
            cmd.arg("--implicit-tls");
        }
        if let Some(auth) = &opts.auth {
            cmd.arg("--auth").arg(auth);
        }
        if let Some(reply) = &opts.data_reply {
            cmd.arg("--data-reply").arg(reply);
        }
        for (addr, reply) in &opts.reject_rcpt {
            cmd.arg("--reject-rcpt").arg(addr).arg(reply);
        }
        if opts.lean {
            cmd.arg("--lean");
        }
        if let Some(secs) = opts.secs {
            cmd.arg("--secs").arg(secs.to_string());
        }
        let mut child = cmd.spawn().expect("start smtp_sink.py");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let Some(port) = line
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse().ok())
        else {
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            let _ = child.wait();
            panic!(
                "smtp_sink.py did not start (is python3-aiosmtpd installed? apt-get install \
                 python3-aiosmtpd): {line:?}\n{err}"
            );
        };
        // Keep draining stdout so the sink never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = stdout.read_to_string(&mut sink);
        });
        SmtpSink {
            child,
            _stdin: stdin,
            port,
            dir,
        }
    }

    /// Messages stored so far, in order.
    pub fn messages(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|json| Received {
                raw: std::fs::read(json.with_extension("eml")).unwrap(),
                meta: serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap(),
            })
            .collect()
    }

    /// Waits until `n` messages are stored (the SMTP reply comes after the files are written,
    /// so this normally returns at once).
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.messages();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A CA and a server certificate it signed, written as PEM files.
pub struct TestPki {
    pub dir: tempfile::TempDir,
    pub ca_pem: String,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

impl TestPki {
    pub fn generate() -> TestPki {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
            SanType,
        };
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "faxvox test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);

        let leaf_key = KeyPair::generate().unwrap();
        let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        leaf.subject_alt_names
            .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
        leaf.distinguished_name
            .push(DnType::CommonName, "localhost");
        leaf.is_ca = IsCa::ExplicitNoCa;
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let cert_path = dir.path().join("server.pem");
        let key_path = dir.path().join("server.key");
        std::fs::write(&cert_path, leaf_cert.pem() + &ca_cert.pem()).unwrap();
        std::fs::write(&key_path, leaf_key.serialize_pem()).unwrap();
        TestPki {
            dir,
            ca_pem: ca_cert.pem(),
            cert_path,
            key_path,
        }
    }
}
