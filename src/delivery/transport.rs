//! Sends composed emails: SMTP relay (lettre, async, pooled) or local Maildir.
//!
//! `smtp.url` forms:
//! - `smtp://host[:port]` (port 25 by default): STARTTLS when the server offers it;
//!   `?tls=required` insists on it, `?tls=none` never uses TLS (local relays, tests).
//! - `smtp://user:pass@host:587`: AUTH PLAIN or LOGIN. With credentials STARTTLS is required
//!   unless `?tls=none` is given, so a password never crosses the network in clear by
//!   accident. User and password are percent-decoded (`%40` for `@`).
//! - `smtps://user:pass@host[:465]`: implicit TLS.
//! - `maildir:///abs/path` or `maildir://rel/path`, and the empty string (→ `delivery.maildir`):
//!   local Maildir.
//!
//! Server certificates are checked against the bundled web PKI roots plus, if set, the PEM
//! file `smtp.ca_file` (a private CA, or the test CA).
//!
//! Every send ends in an [`SendOutcome`] the worker acts on: delivered, try again later, or give
//! up. A recipient refused on its own does not block the others: the message is then sent
//! once per recipient so the accepted ones get it and the refused ones are reported.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::response::{Category, Response};
use lettre::transport::smtp::{AsyncSmtpTransport, PoolConfig};
use lettre::{AsyncTransport, Tokio1Executor};
use serde::Serialize;
use tracing::{debug, info, warn};

use super::compose::Composed;
use super::DeliveryError;

/// Most pooled SMTP connections kept open at once, when the caller does not say
/// ([`Transport::from_config`] takes `delivery.concurrency`).
const POOL_MAX: u32 = 4;
/// Idle pooled connections are closed after this long (servers drop them anyway).
const POOL_IDLE: Duration = Duration::from_secs(60);

/// A recipient the server refused, with its reply (`550 5.1.1 no such user`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub recipient: String,
    pub reply: String,
}

/// What happened to one send, and so what the worker does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted for every recipient, or for some of them with the others refused for good
    /// (`rejected`, to report). Nothing left to retry.
    Delivered {
        reply: String,
        rejected: Vec<Rejection>,
    },
    /// Try again later, for `pending` only: 4xx replies, network errors, timeouts, TLS
    /// problems. `accepted` already have it and `rejected` were refused for good.
    Temporary {
        error: String,
        pending: Vec<String>,
        accepted: Vec<String>,
        rejected: Vec<Rejection>,
    },
    /// Refused for every recipient (5xx, including a wrong password): retrying will not
    /// help; the job is dead and the administrator is told.
    Permanent {
        reply: String,
        rejected: Vec<Rejection>,
    },
}

impl SendOutcome {
    /// Short label for logs and the job history.
    pub fn label(&self) -> &'static str {
        match self {
            SendOutcome::Delivered { .. } => "delivered",
            SendOutcome::Temporary { .. } => "temporary",
            SendOutcome::Permanent { .. } => "permanent",
        }
    }
}

/// How the TLS of an SMTP transport is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain connection, never TLS.
    None,
    /// STARTTLS if the server offers it.
    Opportunistic,
    /// STARTTLS or fail.
    Required,
    /// TLS from the first byte (smtps).
    Implicit,
}

/// Where mail goes, for logs and `faxvox config` output (never includes the password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportKind {
    Smtp {
        host: String,
        port: u16,
        tls: TlsMode,
        user: Option<String>,
    },
    /// One local mailbox: every message lands in it whatever its recipients (they are
    /// still in the `To` header).
    Maildir { path: PathBuf },
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportKind::Smtp {
                host,
                port,
                tls,
                user,
            } => {
                write!(f, "smtp {host}:{port} tls={tls:?}")?;
                if let Some(u) = user {
                    write!(f, " user={u}")?;
                }
                Ok(())
            }
            TransportKind::Maildir { path } => write!(f, "maildir {}", path.display()),
        }
    }
}

/// A configured way to deliver mail. Cheap to clone (the SMTP pool is shared).
#[derive(Clone)]
pub struct Transport {
    kind: TransportKind,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("kind", &self.kind)
            .finish()
    }
}

impl Transport {
    /// From `smtp.url`, `smtp.timeout_secs`, `smtp.ca_file` and `delivery.maildir`.
    pub fn from_config(
        smtp: &super::SmtpConfig,
        delivery: &super::DeliveryConfig,
    ) -> Result<Transport, DeliveryError> {
        let ca_file = smtp.ca_file.trim();
        let ca = if ca_file.is_empty() {
            None
        } else {
            let path = PathBuf::from(ca_file);
            Some(std::fs::read(&path).map_err(|source| DeliveryError::CaRead { path, source })?)
        };
        Transport::with_pool(
            &smtp.url,
            Duration::from_secs(u64::from(smtp.timeout_secs)),
            ca.as_deref(),
            &delivery.maildir,
            delivery.concurrency.max(1),
        )
    }

    /// Builds a transport without a configuration file. `ca_pem` adds trusted root
    /// certificates (PEM, one or more); `default_maildir` is used when `url` is empty.
    /// Nothing is connected yet: the first send opens the connection. An SMTP transport must
    /// be built inside a Tokio runtime.
    pub fn new(
        url: &str,
        timeout: Duration,
        ca_pem: Option<&[u8]>,
        default_maildir: &Path,
    ) -> Result<Transport, DeliveryError> {
        Transport::with_pool(url, timeout, ca_pem, default_maildir, POOL_MAX)
    }

    /// Like [`Transport::new`], keeping up to `pool_max` SMTP connections open for reuse (one
    /// per message sent at once: each send takes a pooled connection or opens one).
    pub fn with_pool(
        url: &str,
        timeout: Duration,
        ca_pem: Option<&[u8]>,
        default_maildir: &Path,
        pool_max: u32,
    ) -> Result<Transport, DeliveryError> {
        let url = url.trim();
        let bad = |reason: &str| DeliveryError::BadUrl {
            url: redact(url),
            reason: reason.to_string(),
        };
        if url.is_empty() {
            return Ok(Transport::maildir(default_maildir.to_path_buf()));
        }
        if let Some(path) = url.strip_prefix("maildir://") {
            if path.is_empty() {
                return Err(bad(
                    "maildir:// needs a path, e.g. maildir:///var/mail/faxvox",
                ));
            }
            return Ok(Transport::maildir(PathBuf::from(path)));
        }
        let parsed = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        let implicit = match parsed.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => {
                return Err(bad(&format!(
                    "unknown scheme {other:?} (smtp, smtps, maildir)"
                )))
            }
        };
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) => d.to_string(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            None => return Err(bad("no host")),
        };
        let port = parsed.port().unwrap_or(if implicit { 465 } else { 25 });
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let user = (!parsed.username().is_empty()).then(|| decode(parsed.username()));
        let password = parsed.password().map(decode).unwrap_or_default();
        let mut tls_param = None;
        for (key, value) in parsed.query_pairs() {
            match key.as_ref() {
                "tls" => tls_param = Some(value.into_owned()),
                other => return Err(bad(&format!("unknown parameter {other:?} (only tls=)"))),
            }
        }
        let tls = match (implicit, tls_param.as_deref()) {
            (true, None) => TlsMode::Implicit,
            (true, Some(_)) => return Err(bad("smtps:// is always TLS; tls= applies to smtp://")),
            (false, Some("none")) => TlsMode::None,
            (false, Some("required")) => TlsMode::Required,
            (false, Some("opportunistic")) => TlsMode::Opportunistic,
            (false, Some(other)) => {
                return Err(bad(&format!(
                    "tls={other:?}: use required, opportunistic or none"
                )))
            }
            (false, None) if user.is_some() => TlsMode::Required,
            (false, None) => TlsMode::Opportunistic,
        };
        if tls == TlsMode::None && user.is_some() {
            warn!(host, "smtp.url sends the password without TLS (tls=none)");
        }

        let params = || -> Result<TlsParameters, DeliveryError> {
            let mut builder = TlsParameters::builder(host.clone());
            if let Some(pem) = ca_pem {
                let cert = Certificate::from_pem(pem)
                    .map_err(|e| DeliveryError::Tls(format!("CA certificate: {e}")))?;
                builder = builder.add_root_certificate(cert);
            }
            builder
                .build_rustls()
                .map_err(|e| DeliveryError::Tls(e.to_string()))
        };
        let lettre_tls = match tls {
            TlsMode::None => Tls::None,
            TlsMode::Opportunistic => Tls::Opportunistic(params()?),
            TlsMode::Required => Tls::Required(params()?),
            TlsMode::Implicit => Tls::Wrapper(params()?),
        };
        if tokio::runtime::Handle::try_current().is_err() {
            // lettre's pool spawns its idle-connection reaper when built.
            return Err(DeliveryError::NoRuntime);
        }
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .tls(lettre_tls)
            .timeout(Some(timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(pool_max.max(1))
                    .idle_timeout(POOL_IDLE),
            );
        if let Some(u) = &user {
            builder = builder
                .credentials(Credentials::new(u.clone(), password))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        let kind = TransportKind::Smtp {
            host,
            port,
            tls,
            user,
        };
        info!(transport = %kind, "mail transport configured");
        Ok(Transport {
            kind,
            smtp: Some(builder.build()),
        })
    }

    fn maildir(path: PathBuf) -> Transport {
        let kind = TransportKind::Maildir { path };
        info!(transport = %kind, "mail transport configured");
        Transport { kind, smtp: None }
    }

    /// Where this transport delivers.
    pub fn kind(&self) -> &TransportKind {
        &self.kind
    }

    /// Sends a composed email to all its recipients.
    pub async fn send_composed(&self, job: &str, mail: &Composed) -> SendOutcome {
        self.send(job, &mail.envelope_from, &mail.recipients, &mail.bytes)
            .await
    }

    /// Sends `bytes` as is (no header is added) from `envelope_from` to `recipients`; pass a
    /// subset of the recipients to retry only the ones still pending.
    pub async fn send(
        &self,
        job: &str,
        envelope_from: &str,
        recipients: &[String],
        bytes: &[u8],
    ) -> SendOutcome {
        let outcome = match (&self.kind, &self.smtp) {
            (TransportKind::Maildir { path }, _) => {
                maildir_send(job, path, recipients, bytes).await
            }
            (_, Some(smtp)) => smtp_send(smtp, envelope_from, recipients, bytes).await,
            (TransportKind::Smtp { .. }, None) => unreachable!("smtp transport without client"),
        };
        match &outcome {
            SendOutcome::Delivered { reply, rejected } => {
                info!(job, transport = %self.kind, reply, rejected = rejected.len(), "email delivered")
            }
            SendOutcome::Temporary { error, pending, .. } => {
                warn!(job, transport = %self.kind, error, pending = pending.len(), "email delivery failed; will retry")
            }
            SendOutcome::Permanent { reply, .. } => {
                warn!(job, transport = %self.kind, reply, "email refused for good")
            }
        }
        outcome
    }
}

async fn maildir_send(job: &str, path: &Path, recipients: &[String], bytes: &[u8]) -> SendOutcome {
    let path = path.to_path_buf();
    let data = bytes.to_vec();
    let result = tokio::task::spawn_blocking(move || super::maildir::deliver(&path, &data)).await;
    match result {
        Ok(Ok(file)) => {
            debug!(job, file = %file.display(), "written to Maildir");
            SendOutcome::Delivered {
                reply: format!("stored as {}", file.display()),
                rejected: Vec::new(),
            }
        }
        Ok(Err(e)) => temporary(format!("Maildir write failed: {e}"), recipients),
        Err(e) => temporary(format!("Maildir writer panicked: {e}"), recipients),
    }
}

fn temporary(error: String, pending: &[String]) -> SendOutcome {
    SendOutcome::Temporary {
        error,
        pending: pending.to_vec(),
        accepted: Vec::new(),
        rejected: Vec::new(),
    }
}

/// One SMTP transaction's result, before per-recipient analysis.
enum Attempt {
    Ok(String),
    Temporary(String),
    /// `per_recipient`: the reply looks like it concerns a mailbox (x5x codes), so the other
    /// recipients may still be deliverable one by one.
    Permanent {
        reply: String,
        per_recipient: bool,
    },
    TemporaryMailbox(String),
}

async fn smtp_send(
    smtp: &AsyncSmtpTransport<Tokio1Executor>,
    envelope_from: &str,
    recipients: &[String],
    bytes: &[u8],
) -> SendOutcome {
    let from = match lettre::Address::from_str(envelope_from) {
        Ok(a) => a,
        Err(e) => {
            return SendOutcome::Permanent {
                reply: format!("invalid sender {envelope_from:?}: {e}"),
                rejected: Vec::new(),
            }
        }
    };
    if recipients.is_empty() {
        return SendOutcome::Permanent {
            reply: "no recipient".into(),
            rejected: Vec::new(),
        };
    }
    let first = attempt(smtp, &from, recipients, bytes).await;
    let mailbox_level = matches!(
        first,
        Attempt::Permanent {
            per_recipient: true,
            ..
        } | Attempt::TemporaryMailbox(_)
    );
    if recipients.len() > 1 && mailbox_level {
        // Nothing was accepted (lettre stops at the first refused RCPT, before DATA), so
        // sending once per recipient cannot duplicate the message.
        return one_by_one(smtp, &from, recipients, bytes).await;
    }
    match first {
        Attempt::Ok(reply) => SendOutcome::Delivered {
            reply,
            rejected: Vec::new(),
        },
        Attempt::Temporary(error) | Attempt::TemporaryMailbox(error) => {
            temporary(error, recipients)
        }
        Attempt::Permanent { reply, .. } => SendOutcome::Permanent {
            rejected: recipients
                .iter()
                .map(|r| Rejection {
                    recipient: r.clone(),
                    reply: reply.clone(),
                })
                .collect(),
            reply,
        },
    }
}

async fn one_by_one(
    smtp: &AsyncSmtpTransport<Tokio1Executor>,
    from: &lettre::Address,
    recipients: &[String],
    bytes: &[u8],
) -> SendOutcome {
    let mut accepted = Vec::new();
    let mut pending = Vec::new();
    let mut rejected = Vec::new();
    let mut last_ok = String::new();
    let mut first_temp = None;
    for r in recipients {
        match attempt(smtp, from, std::slice::from_ref(r), bytes).await {
            Attempt::Ok(reply) => {
                accepted.push(r.clone());
                last_ok = reply;
            }
            Attempt::Temporary(e) | Attempt::TemporaryMailbox(e) => {
                pending.push(r.clone());
                first_temp.get_or_insert(e);
            }
            Attempt::Permanent { reply, .. } => rejected.push(Rejection {
                recipient: r.clone(),
                reply,
            }),
        }
    }
    if let Some(error) = first_temp {
        SendOutcome::Temporary {
            error,
            pending,
            accepted,
            rejected,
        }
    } else if !accepted.is_empty() {
        SendOutcome::Delivered {
            reply: last_ok,
            rejected,
        }
    } else {
        SendOutcome::Permanent {
            reply: rejected
                .first()
                .map(|r| r.reply.clone())
                .unwrap_or_default(),
            rejected,
        }
    }
}

async fn attempt(
    smtp: &AsyncSmtpTransport<Tokio1Executor>,
    from: &lettre::Address,
    recipients: &[String],
    bytes: &[u8],
) -> Attempt {
    let mut to = Vec::with_capacity(recipients.len());
    for r in recipients {
        match lettre::Address::from_str(r) {
            Ok(a) => to.push(a),
            Err(e) => {
                return Attempt::Permanent {
                    reply: format!("invalid recipient {r:?}: {e}"),
                    per_recipient: true,
                }
            }
        }
    }
    let envelope = match Envelope::new(Some(from.clone()), to) {
        Ok(e) => e,
        Err(e) => {
            return Attempt::Permanent {
                reply: e.to_string(),
                per_recipient: false,
            }
        }
    };
    // lettre ends DATA with "\r\n.\r\n" itself; without this the server would store one
    // extra empty line after the message.
    let bytes = bytes.strip_suffix(b"\r\n").unwrap_or(bytes);
    match smtp.send_raw(&envelope, bytes).await {
        Ok(response) => Attempt::Ok(format_response(&response)),
        Err(e) => {
            let reply = format_error(&e);
            use crate::metrics::{metrics, SmtpFailure};
            metrics().smtp_failure(match e.status() {
                None => SmtpFailure::Connection,
                Some(_) if e.is_permanent() => SmtpFailure::Permanent,
                Some(_) => SmtpFailure::Temporary,
            });
            match e.status() {
                Some(code) if e.is_permanent() => Attempt::Permanent {
                    reply,
                    per_recipient: code.category == Category::MailSystem,
                },
                Some(code) if code.category == Category::MailSystem => {
                    Attempt::TemporaryMailbox(reply)
                }
                _ => Attempt::Temporary(reply),
            }
        }
    }
}

/// `250 OK stored`.
fn format_response(r: &Response) -> String {
    let lines: Vec<&str> = r.message().collect();
    format!("{} {}", r.code(), lines.join(" "))
}

/// `550 5.1.1 no such user` for server replies; the error chain otherwise.
fn format_error(e: &lettre::transport::smtp::Error) -> String {
    use std::error::Error as _;
    let mut chain = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    match e.status() {
        Some(code) => format!("{code} {}", chain.join(": "))
            .trim_end()
            .to_string(),
        None => {
            let mut out = e.to_string();
            // lettre's Display already includes the first source.
            for extra in chain.iter().skip(1) {
                if !out.contains(extra.as_str()) {
                    out.push_str(": ");
                    out.push_str(extra);
                }
            }
            out
        }
    }
}

/// The URL with any password replaced, for error messages and logs.
fn redact(url: &str) -> String {
    crate::redact::redact_url(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(url: &str) -> Result<Transport, DeliveryError> {
        Transport::new(url, Duration::from_secs(5), None, Path::new("var/maildir"))
    }

    #[tokio::test]
    async fn url_forms() {
        assert_eq!(
            *t("").unwrap().kind(),
            TransportKind::Maildir {
                path: "var/maildir".into()
            }
        );
        assert_eq!(
            *t("maildir:///srv/mail/fax").unwrap().kind(),
            TransportKind::Maildir {
                path: "/srv/mail/fax".into()
            }
        );
        let smtp = |host: &str, port, tls, user: Option<&str>| TransportKind::Smtp {
            host: host.into(),
            port,
            tls,
            user: user.map(str::to_string),
        };
        assert_eq!(
            *t("smtp://mail.example.com").unwrap().kind(),
            smtp("mail.example.com", 25, TlsMode::Opportunistic, None)
        );
        assert_eq!(
            *t("smtp://mail.example.com:2525?tls=required")
                .unwrap()
                .kind(),
            smtp("mail.example.com", 2525, TlsMode::Required, None)
        );
        assert_eq!(
            *t("smtp://127.0.0.1:2525?tls=none").unwrap().kind(),
            smtp("127.0.0.1", 2525, TlsMode::None, None)
        );
        assert_eq!(
            *t("smtp://fax%40example.com:p%40ss@mail.example.com:587")
                .unwrap()
                .kind(),
            smtp(
                "mail.example.com",
                587,
                TlsMode::Required,
                Some("fax@example.com")
            )
        );
        assert_eq!(
            *t("smtps://u:p@mail.example.com").unwrap().kind(),
            smtp("mail.example.com", 465, TlsMode::Implicit, Some("u"))
        );
        assert_eq!(
            *t("smtp://[::1]:25?tls=none").unwrap().kind(),
            smtp("::1", 25, TlsMode::None, None)
        );
    }

    #[tokio::test]
    async fn from_config_reads_the_ca_file() {
        let mut c = super::super::SmtpConfig::default();
        let d = super::super::DeliveryConfig::default();
        c.url = "smtp://127.0.0.1:25".into();
        assert!(Transport::from_config(&c, &d).is_ok());
        c.ca_file = "/nonexistent/faxvox-ca.pem".into();
        let e = Transport::from_config(&c, &d).unwrap_err();
        assert!(matches!(e, DeliveryError::CaRead { .. }), "{e}");
        assert!(e.to_string().contains("/nonexistent/faxvox-ca.pem"));
    }

    #[tokio::test]
    async fn bad_urls_are_explained_without_the_password() {
        for (url, needle) in [
            ("http://x", "unknown scheme"),
            ("smtp://x?tls=maybe", "tls=\"maybe\""),
            ("smtp://x?tsl=none", "unknown parameter"),
            ("smtps://x?tls=none", "always TLS"),
            ("maildir://", "needs a path"),
        ] {
            let e = t(url).unwrap_err().to_string();
            assert!(e.contains(needle), "{url}: {e}");
        }
        let e = t("smtp://u:secret@x?tls=bogus").unwrap_err().to_string();
        assert!(!e.contains("secret"), "{e}");
        assert_eq!(redact("smtp://u:secret@host:25"), "smtp://u:***@host:25");
    }
}
