//! The `[mail_in]` section: faxvox's own SMTP listener for email-to-fax, parsed and checked
//! once at load.

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::settings::BadSetting;
use crate::sip::stack::TlsIdentityError;

/// Email-to-fax ([`crate::mail_in`]): mail to `<number>@<domain>` from an allowed,
/// authenticated sender is faxed to that number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailInConfig {
    /// `IP:PORT` of the SMTP listener, e.g. "0.0.0.0:25". Empty: no email-to-fax (the default).
    #[serde(with = "crate::settings::blank_is_none")]
    pub listen: Option<SocketAddr>,
    /// The mail domain whose addresses are fax numbers (`+33123456789@fax.example`); required
    /// with `listen`. Mail to any other domain is refused: never a relay.
    pub domain: String,
    /// `IP:PORT` of the DNS resolver the sender checks (SPF, DKIM, DMARC) ask. Empty: the
    /// system's resolvers (`/etc/resolv.conf`).
    #[serde(with = "crate::settings::blank_is_none")]
    pub dns: Option<SocketAddr>,
    /// Largest message accepted, in bytes, headers and encoded attachments included
    /// (advertised as SIZE; larger ones get 552).
    pub max_message_bytes: u64,
    /// Mails one sender address may have faxed per hour (450 after that).
    pub max_per_sender_per_hour: u32,
    /// The text body of the mail becomes the fax's cover page.
    pub body_as_cover: bool,
    /// PEM certificate chain for STARTTLS. Empty: `sip.tls_cert` (STARTTLS is offered only
    /// when one of the two is set).
    pub tls_cert: String,
    /// PEM private key for STARTTLS. Empty: `sip.tls_key`.
    pub tls_key: String,
    /// SMTP connections open at once, all sources; more are refused (421).
    pub max_connections: u32,
    /// SMTP connections open at once from one IP address.
    pub max_connections_per_source: u32,
    /// Seconds a client may stay silent (between commands, inside DATA, in the TLS
    /// handshake) before it is disconnected.
    pub idle_secs: u32,
    /// Seconds one connection may last in all, whatever it does.
    pub session_secs: u32,
}

impl Default for MailInConfig {
    fn default() -> Self {
        MailInConfig {
            listen: None,
            domain: String::new(),
            dns: None,
            max_message_bytes: 20 * 1024 * 1024,
            max_per_sender_per_hour: 30,
            body_as_cover: false,
            tls_cert: String::new(),
            tls_key: String::new(),
            max_connections: 100,
            max_connections_per_source: 10,
            idle_secs: 60,
            session_secs: 600,
        }
    }
}

impl MailInConfig {
    /// Email-to-fax is on.
    pub fn enabled(&self) -> bool {
        self.listen.is_some()
    }

    /// The domain, lower case, without a trailing dot.
    pub fn domain(&self) -> String {
        self.domain
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase()
    }

    /// The certificate and key files for STARTTLS: ours, else `sip_cert`/`sip_key` (the
    /// `[sip]` ones); `None` when neither is set (no STARTTLS).
    pub fn tls_files(&self, sip_cert: &str, sip_key: &str) -> Option<(String, String)> {
        let (cert, key) = (self.tls_cert.trim(), self.tls_key.trim());
        if !cert.is_empty() {
            return Some((cert.to_string(), key.to_string()));
        }
        let (cert, key) = (sip_cert.trim(), sip_key.trim());
        (!cert.is_empty() && !key.is_empty()).then(|| (cert.to_string(), key.to_string()))
    }

    /// [`MailInConfig::idle_secs`] as a duration.
    pub fn idle(&self) -> Duration {
        Duration::from_secs(u64::from(self.idle_secs.max(1)))
    }

    /// [`MailInConfig::session_secs`] as a duration.
    pub fn session(&self) -> Duration {
        Duration::from_secs(u64::from(self.session_secs.max(1)))
    }

    /// With `listen`, a domain; sizes and limits in range; `tls_cert` and `tls_key` set
    /// together, readable, a certificate and its key.
    pub fn check(&self) -> Result<(), BadSetting> {
        let domain = self.domain();
        if self.listen.is_some() && domain.is_empty() {
            return Err(BadSetting::new(
                "mail_in.domain",
                "required with mail_in.listen (the domain whose addresses are fax numbers, e.g. \"fax.example\")",
            ));
        }
        if !domain.is_empty() && !valid_domain(&domain) {
            return Err(BadSetting::new(
                "mail_in.domain",
                format!("{:?} is not a domain name", self.domain),
            ));
        }
        const MIN: u64 = 64 * 1024;
        const MAX: u64 = 100 * 1024 * 1024;
        if !(MIN..=MAX).contains(&self.max_message_bytes) {
            return Err(BadSetting::new(
                "mail_in.max_message_bytes",
                format!("{} is outside {MIN}..={MAX}", self.max_message_bytes),
            ));
        }
        if !(1..=100_000).contains(&self.max_per_sender_per_hour) {
            return Err(BadSetting::new(
                "mail_in.max_per_sender_per_hour",
                format!("{} is outside 1..=100000", self.max_per_sender_per_hour),
            ));
        }
        if !(1..=100_000).contains(&self.max_connections) {
            return Err(BadSetting::new(
                "mail_in.max_connections",
                format!("{} is outside 1..=100000", self.max_connections),
            ));
        }
        if self.max_connections_per_source == 0
            || self.max_connections_per_source > self.max_connections
        {
            return Err(BadSetting::new(
                "mail_in.max_connections_per_source",
                format!(
                    "{} is outside 1..={} (mail_in.max_connections)",
                    self.max_connections_per_source, self.max_connections
                ),
            ));
        }
        for (key, secs) in [
            ("mail_in.idle_secs", self.idle_secs),
            ("mail_in.session_secs", self.session_secs),
        ] {
            if !(1..=3600).contains(&secs) {
                return Err(BadSetting::new(key, format!("{secs} is outside 1..=3600")));
            }
        }
        self.check_tls()
    }

    fn check_tls(&self) -> Result<(), BadSetting> {
        let (cert, key) = (self.tls_cert.trim(), self.tls_key.trim());
        match (cert.is_empty(), key.is_empty()) {
            (true, true) => return Ok(()),
            (false, true) => {
                return Err(BadSetting::new(
                    "mail_in.tls_key",
                    "required with mail_in.tls_cert (a PEM file)",
                ))
            }
            (true, false) => {
                return Err(BadSetting::new(
                    "mail_in.tls_cert",
                    "required with mail_in.tls_key (a PEM file)",
                ))
            }
            (false, false) => {}
        }
        let read =
            |path: &str| std::fs::read(path).map_err(|e| format!("cannot read {path:?}: {e}"));
        let cert_pem = read(cert).map_err(|m| BadSetting::new("mail_in.tls_cert", m))?;
        let key_pem = read(key).map_err(|m| BadSetting::new("mail_in.tls_key", m))?;
        crate::sip::stack::check_tls_identity(&cert_pem, &key_pem).map_err(|e| match e {
            TlsIdentityError::PrivateKey(_) => {
                BadSetting::new("mail_in.tls_key", format!("{key:?}: {e}"))
            }
            TlsIdentityError::Certificate(_) => {
                BadSetting::new("mail_in.tls_cert", format!("{cert:?}: {e}"))
            }
        })
    }
}

/// Labels of letters, digits and inner hyphens, at least two of them, 253 characters at most.
fn valid_domain(d: &str) -> bool {
    d.len() <= 253
        && d.split('.').count() >= 2
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_off_and_valid() {
        let c = MailInConfig::default();
        assert!(!c.enabled());
        c.check().unwrap();
    }

    #[test]
    fn domain_is_required_and_checked() {
        let mut c = MailInConfig {
            listen: Some("127.0.0.1:2525".parse().unwrap()),
            ..Default::default()
        };
        assert_eq!(c.check().unwrap_err().key, "mail_in.domain");
        c.domain = "Fax.Example.".into();
        c.check().unwrap();
        assert_eq!(c.domain(), "fax.example");
        for bad in ["localhost", "a..b", "-a.b", "a b.c", "x@y.z"] {
            c.domain = bad.into();
            assert_eq!(c.check().unwrap_err().key, "mail_in.domain", "{bad}");
        }
    }

    #[test]
    fn limits_and_tls_are_checked() {
        let c = MailInConfig {
            max_message_bytes: 10,
            ..Default::default()
        };
        assert_eq!(c.check().unwrap_err().key, "mail_in.max_message_bytes");
        let c = MailInConfig {
            max_connections_per_source: 200,
            ..Default::default()
        };
        assert_eq!(
            c.check().unwrap_err().key,
            "mail_in.max_connections_per_source"
        );
        let c = MailInConfig {
            tls_cert: "/nonexistent.pem".into(),
            ..Default::default()
        };
        assert_eq!(c.check().unwrap_err().key, "mail_in.tls_key");
        let c = MailInConfig {
            tls_cert: "/nonexistent.pem".into(),
            tls_key: "/nonexistent.key".into(),
            ..Default::default()
        };
        assert_eq!(c.check().unwrap_err().key, "mail_in.tls_cert");
    }

    #[test]
    fn tls_files_fall_back_to_sip() {
        let c = MailInConfig::default();
        assert_eq!(c.tls_files("", ""), None);
        assert_eq!(
            c.tls_files("s.pem", "s.key"),
            Some(("s.pem".into(), "s.key".into()))
        );
        let c = MailInConfig {
            tls_cert: "m.pem".into(),
            tls_key: "m.key".into(),
            ..Default::default()
        };
        assert_eq!(
            c.tls_files("s.pem", "s.key"),
            Some(("m.pem".into(), "m.key".into()))
        );
    }
}
