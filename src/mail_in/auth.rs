//! Sender authentication: the RFC 5322 From domain must pass DMARC.
//!
//! The From header is what the allow-list ([`crate::directory::Directory::match_sender`])
//! matches and what the status email answers, so it must be proven: DMARC passes when SPF
//! passes for the connecting address on the MAIL FROM domain (HELO when MAIL FROM is empty)
//! and that domain is aligned with From, or when a DKIM signature verifies and its `d=` is
//! aligned with From (strict or relaxed as the DMARC record's `aspf`/`adkim` say). We only
//! fax for authenticated senders, so a From domain without a DMARC record is refused too,
//! whatever its policy would ask of others.
//!
//! The checks are `mail-auth`'s (SPF, DKIM, DMARC) over its hickory resolver, pointed at the
//! system resolver or at one DNS server of our choosing (`mail_in.dns`; tests run a local
//! dnsmasq on a high port). A DNS failure (timeout, SERVFAIL, server unreachable) gives a
//! temporary verdict, which the listener answers with 451 so the sender retries.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{
    AuthenticatedMessage, DkimOutput, DkimResult, DmarcResult, MessageAuthenticator, SpfOutput,
    SpfResult,
};
use thiserror::Error;

/// How long one DNS query may take, and how many times it is tried: the whole check runs
/// while the SMTP client waits for our answer to the end of DATA.
const DNS_TIMEOUT: Duration = Duration::from_secs(2);
const DNS_ATTEMPTS: usize = 2;
/// The most one check may take, every lookup included; past it the verdict is temporary.
const CHECK_DEADLINE: Duration = Duration::from_secs(20);

/// The name SPF macros expand `%{r}` to (the receiving host); no record we care about uses it.
const RECEIVER: &str = "faxvox.invalid";

/// Why a [`SenderAuth`] cannot be built.
#[derive(Debug, Error)]
pub enum AuthError {
    /// The system resolver configuration could not be read, or the resolver not built.
    #[error("cannot set up the DNS resolver for sender authentication: {0}")]
    Resolver(String),
}

/// The outcome of [`SenderAuth::check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthVerdict {
    /// The From domain passed DMARC: the sender is who the From header says.
    pub pass: bool,
    /// The domain of the RFC 5322 From header (lower case); empty when there is none.
    pub from_domain: String,
    /// One short sentence for the SMTP reply and the log; names no secret.
    pub reason: String,
    /// The check could not be completed (DNS timeout, SERVFAIL): answer 451, not 550.
    pub temporary: bool,
}

impl AuthVerdict {
    fn refuse(from_domain: &str, reason: impl Into<String>) -> AuthVerdict {
        AuthVerdict {
            pass: false,
            from_domain: from_domain.to_string(),
            reason: reason.into(),
            temporary: false,
        }
    }

    fn later(from_domain: &str, reason: impl Into<String>) -> AuthVerdict {
        AuthVerdict {
            temporary: true,
            ..AuthVerdict::refuse(from_domain, reason)
        }
    }
}

/// Checks senders against DNS (SPF, DKIM and DMARC records). Cheap to share: one resolver
/// (with its cache) for every connection.
#[derive(Clone)]
pub struct SenderAuth {
    authenticator: MessageAuthenticator,
}

impl std::fmt::Debug for SenderAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SenderAuth").finish_non_exhaustive()
    }
}

impl SenderAuth {
    /// `None`: the system resolver (`/etc/resolv.conf`); `Some`: that DNS server only, over
    /// UDP (TCP for truncated answers), on any port.
    pub fn new(dns: Option<SocketAddr>) -> Result<SenderAuth, AuthError> {
        let (config, mut opts) = match dns {
            None => mail_auth::hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| AuthError::Resolver(e.to_string()))?,
            Some(addr) => {
                let mut server = NameServerConfig::udp_and_tcp(addr.ip());
                for connection in &mut server.connections {
                    connection.port = addr.port();
                }
                (
                    ResolverConfig::from_name_servers(vec![server]),
                    ResolverOpts::default(),
                )
            }
        };
        opts.timeout = DNS_TIMEOUT;
        opts.attempts = DNS_ATTEMPTS;
        let authenticator = MessageAuthenticator::new(config, opts)
            .map_err(|e| AuthError::Resolver(e.to_string()))?;
        Ok(SenderAuth { authenticator })
    }

    /// Whether the mail's From domain passes DMARC for a client at `remote_ip` that said
    /// `EHLO helo` and `MAIL FROM:<mail_from>` (empty for a bounce), `raw_message` being the
    /// DATA as received (headers and body, CRLF line ends).
    pub async fn check(
        &self,
        remote_ip: IpAddr,
        helo: &str,
        mail_from: &str,
        raw_message: &[u8],
    ) -> AuthVerdict {
        let Some(message) = AuthenticatedMessage::parse(raw_message) else {
            return AuthVerdict::refuse("", "the message has no readable header");
        };
        let from_domain = match from_domain(&message.from) {
            Ok(d) => d,
            Err(reason) => return AuthVerdict::refuse("", reason),
        };
        let checked = tokio::time::timeout(
            CHECK_DEADLINE,
            self.check_message(
                &message,
                &from_domain,
                remote_ip,
                helo.trim(),
                mail_from.trim(),
            ),
        )
        .await;
        checked.unwrap_or_else(|_| {
            AuthVerdict::later(
                &from_domain,
                format!("DNS lookups for {from_domain} took too long; try again later"),
            )
        })
    }

    async fn check_message(
        &self,
        message: &AuthenticatedMessage<'_>,
        from_domain: &str,
        remote_ip: IpAddr,
        helo: &str,
        mail_from: &str,
    ) -> AuthVerdict {
        let (spf_domain, spf_params) = match mail_from.rsplit_once('@') {
            Some((_, domain)) if !domain.is_empty() => (
                domain.to_ascii_lowercase(),
                SpfParameters::verify_mail_from(remote_ip, helo, RECEIVER, mail_from),
            ),
            _ => (
                helo.to_ascii_lowercase(),
                SpfParameters::verify_ehlo(remote_ip, helo, RECEIVER),
            ),
        };
        // DKIM and SPF at once: their lookups are independent.
        let (dkim, spf) = tokio::join!(
            self.authenticator.verify_dkim(message),
            self.authenticator.verify_spf(spf_params)
        );
        let spf_pass = spf.result() == SpfResult::Pass;
        let dkim_pass = dkim.iter().any(|o| *o.result() == DkimResult::Pass);
        let dns_failed = spf.result() == SpfResult::TempError
            || dkim
                .iter()
                .any(|o| matches!(o.result(), DkimResult::TempError(_)));
        if !spf_pass && !dkim_pass && dns_failed {
            // DMARC cannot pass without one of them, and a lookup that failed may pass once
            // DNS answers again: no need to wait for the DMARC record too.
            return AuthVerdict::later(
                from_domain,
                format!("DNS lookups for {from_domain} failed; try again later"),
            );
        }
        let dmarc = self
            .authenticator
            .verify_dmarc(DmarcParameters::new(message, &dkim, &spf_domain, &spf))
            .await;

        verdict(
            from_domain,
            remote_ip,
            &spf_domain,
            &spf,
            &dkim,
            dmarc.dmarc_record().is_some(),
            dmarc.spf_result(),
            dmarc.dkim_result(),
        )
    }
}

/// The one domain of the From header, lower case, or why there is none.
fn from_domain(from: &[String]) -> Result<String, String> {
    let mut domains = from
        .iter()
        .filter_map(|a| a.rsplit_once('@').map(|(_, d)| d.trim().to_lowercase()))
        .filter(|d| !d.is_empty());
    let Some(first) = domains.next() else {
        return Err("the message has no From address".to_string());
    };
    if domains.any(|d| d != first) {
        return Err("the From header names addresses of several domains".to_string());
    }
    Ok(first)
}

/// The verdict from the results of the three checks. `has_record`: the From domain (or its
/// organizational domain) publishes a DMARC record.
#[allow(clippy::too_many_arguments)]
fn verdict(
    from_domain: &str,
    remote_ip: IpAddr,
    spf_domain: &str,
    spf: &SpfOutput,
    dkim: &[DkimOutput<'_>],
    has_record: bool,
    dmarc_spf: &DmarcResult,
    dmarc_dkim: &DmarcResult,
) -> AuthVerdict {
    if *dmarc_dkim == DmarcResult::Pass {
        let d = dkim
            .iter()
            .filter(|o| *o.result() == DkimResult::Pass)
            .filter_map(|o| o.signature().map(|s| s.d.to_lowercase()))
            .next()
            .unwrap_or_default();
        return AuthVerdict {
            pass: true,
            from_domain: from_domain.to_string(),
            reason: format!("DMARC passed for {from_domain}: DKIM signature of {d} aligned"),
            temporary: false,
        };
    }
    if *dmarc_spf == DmarcResult::Pass {
        return AuthVerdict {
            pass: true,
            from_domain: from_domain.to_string(),
            reason: format!(
                "DMARC passed for {from_domain}: SPF pass for {remote_ip} on {spf_domain} aligned"
            ),
            temporary: false,
        };
    }
    let dns_failed = matches!(dmarc_spf, DmarcResult::TempError(_))
        || matches!(dmarc_dkim, DmarcResult::TempError(_))
        || spf.result() == SpfResult::TempError
        || dkim
            .iter()
            .any(|o| matches!(o.result(), DkimResult::TempError(_)));
    if dns_failed {
        return AuthVerdict::later(
            from_domain,
            format!("DNS lookups for {from_domain} failed; try again later"),
        );
    }
    if !has_record {
        return AuthVerdict::refuse(
            from_domain,
            format!(
                "{from_domain} publishes no DMARC record; only senders whose domain can be \
                 authenticated may send faxes"
            ),
        );
    }
    let spf_part = match spf.result() {
        SpfResult::Pass => format!("SPF pass for {spf_domain} not aligned with the From domain"),
        SpfResult::Fail => format!("SPF fail for {remote_ip}"),
        SpfResult::SoftFail => format!("SPF softfail for {remote_ip}"),
        SpfResult::Neutral => format!("SPF neutral for {remote_ip}"),
        SpfResult::PermError => format!("SPF record of {spf_domain} unusable"),
        SpfResult::None => format!("no SPF record for {spf_domain}"),
        SpfResult::TempError => format!("SPF lookup failed for {spf_domain}"),
    };
    let dkim_part = if dkim.is_empty() {
        "no DKIM signature".to_string()
    } else if let Some(d) = dkim
        .iter()
        .filter(|o| *o.result() == DkimResult::Pass)
        .find_map(|o| o.signature().map(|s| s.d.to_lowercase()))
    {
        format!("DKIM signature of {d} not aligned with the From domain")
    } else {
        "no valid DKIM signature".to_string()
    };
    AuthVerdict::refuse(
        from_domain,
        format!("DMARC failed for {from_domain}: {spf_part}, {dkim_part}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_from_domain_or_a_reason() {
        assert_eq!(
            from_domain(&["Alice@ACME.example".to_string()]).unwrap(),
            "acme.example"
        );
        assert_eq!(
            from_domain(&[
                "alice@acme.example".to_string(),
                "bob@Acme.Example".to_string()
            ])
            .unwrap(),
            "acme.example"
        );
        assert!(from_domain(&[]).unwrap_err().contains("no From"));
        assert!(from_domain(&[
            "alice@acme.example".to_string(),
            "eve@evil.example".to_string()
        ])
        .unwrap_err()
        .contains("several domains"));
    }

    #[test]
    fn refusals_name_the_failed_checks_on_one_line() {
        let spf = SpfOutput::new("acme.example".to_string()).with_result(SpfResult::Fail);
        let v = verdict(
            "acme.example",
            "127.0.0.2".parse().unwrap(),
            "acme.example",
            &spf,
            &[],
            true,
            &DmarcResult::None,
            &DmarcResult::None,
        );
        assert!(!v.pass && !v.temporary);
        assert_eq!(
            v.reason,
            "DMARC failed for acme.example: SPF fail for 127.0.0.2, no DKIM signature"
        );
        let v = verdict(
            "acme.example",
            "127.0.0.2".parse().unwrap(),
            "acme.example",
            &spf,
            &[],
            false,
            &DmarcResult::None,
            &DmarcResult::None,
        );
        assert!(!v.pass && !v.temporary && !v.reason.contains('\n'));
        assert!(v.reason.contains("no DMARC record"), "{}", v.reason);
        let temp = SpfOutput::new("acme.example".to_string()).with_result(SpfResult::TempError);
        let v = verdict(
            "acme.example",
            "127.0.0.2".parse().unwrap(),
            "acme.example",
            &temp,
            &[],
            false,
            &DmarcResult::None,
            &DmarcResult::None,
        );
        assert!(!v.pass && v.temporary);
    }
}
