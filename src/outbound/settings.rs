//! The `[trunk]` section of the configuration as parsed values: the trunk's SIP URI and T.38
//! policy, checked once when the configuration is loaded.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::billing::BillingConfig;
use crate::delivery::{DeliveryConfig, SmtpConfig};
use crate::fax::FaxConfig;
use crate::media::MediaConfig;
use crate::settings::InvalidSetting;
use crate::sip::call::T38Policy;
use crate::sip::settings::SipConfig;

/// The SIP trunk that outbound faxes (`faxvox send`) are dialled through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrunkConfig {
    /// `sip:HOST[:PORT][;transport=tcp]`; the destination number becomes the Request-URI
    /// user. Empty: sending is disabled (`faxvox send` refuses, `serve` runs no dialer).
    #[serde(with = "optional_uri")]
    pub uri: Option<TrunkUri>,
    /// Digest user answering the trunk's 401/407 challenge (empty: no credentials).
    pub user: String,
    /// Digest password (with `user`).
    pub password: String,
    /// T.38 on this trunk: "off" (G.711 only), "accept" (answer the receiver's T.38
    /// re-INVITE) or "request" (also ask ourselves after the CNG window).
    pub t38: T38Policy,
    /// Dial attempts per fax for busy / no answer before giving up.
    pub max_attempts: u32,
    /// Seconds between two attempts after busy / no answer.
    pub retry_secs: u64,
    /// Seconds a node's claim on an outbound fax lasts in the shared database; renewed every
    /// third of it while the fax is sent. A fax whose node died is sent by another node
    /// once its lease has run out.
    pub lease_secs: u64,
}

impl TrunkConfig {
    /// Credentials go together; attempts and delay are in range.
    pub fn check(&self) -> Result<(), crate::settings::BadSetting> {
        use crate::settings::BadSetting;
        let trunk = self;
        if trunk.user.trim().is_empty() != trunk.password.is_empty() {
            return Err(BadSetting::new(
                "trunk.user",
                "trunk.user and trunk.password go together: set both or neither",
            ));
        }
        if !(1..=20).contains(&trunk.max_attempts) {
            return Err(BadSetting::new(
                "trunk.max_attempts",
                format!("{} is outside 1..=20", trunk.max_attempts),
            ));
        }
        if !(1..=86_400).contains(&trunk.retry_secs) {
            return Err(BadSetting::new(
                "trunk.retry_secs",
                format!("{} is outside 1..=86400", trunk.retry_secs),
            ));
        }
        if !(3..=3600).contains(&trunk.lease_secs) {
            return Err(BadSetting::new(
                "trunk.lease_secs",
                format!("{} is outside 3..=3600", trunk.lease_secs),
            ));
        }
        Ok(())
    }
}

impl Default for TrunkConfig {
    fn default() -> Self {
        TrunkConfig {
            uri: None,
            user: String::new(),
            password: String::new(),
            t38: T38Policy::Accept,
            max_attempts: 3,
            retry_secs: 300,
            lease_secs: 60,
        }
    }
}

impl TrunkConfig {
    /// Whether outbound sending is configured (`uri` set).
    pub fn enabled(&self) -> bool {
        self.uri.is_some()
    }

    /// The URI with its password masked, for logs; empty when sending is off.
    pub fn redacted_uri(&self) -> String {
        self.uri
            .as_ref()
            .map(TrunkUri::redacted)
            .unwrap_or_default()
    }

    /// How long a claim on an outbound fax lasts (`lease_secs`, at least 3 s).
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs.max(3))
    }

    /// The retry delay as a duration (at least one second).
    pub fn retry_delay(&self) -> Duration {
        Duration::from_secs(self.retry_secs.max(1))
    }
}

/// The trunk's `sip:` URI, `sip:[USER[:PASSWORD]@]HOST[:PORT][;PARAMS]`: a destination number
/// becomes the Request-URI user on the trunk's host.
#[derive(Clone, PartialEq, Eq)]
pub struct TrunkUri {
    /// The URI as written.
    text: String,
    /// `HOST[:PORT][;PARAMS]`.
    host: String,
    /// `;transport=tcp` among the parameters.
    tcp: bool,
}

impl TrunkUri {
    /// The Request-URI for `number` on the trunk, and whether to dial over TCP.
    pub fn target(&self, number: &str) -> (String, bool) {
        (format!("sip:{number}@{}", self.host), self.tcp)
    }

    /// The URI with its password masked, for logs and `config show`.
    pub fn redacted(&self) -> String {
        crate::redact::redact_url(&self.text)
    }
}

impl fmt::Debug for TrunkUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrunkUri({:?})", self.redacted())
    }
}

impl fmt::Display for TrunkUri {
    /// The URI as written (with its password: use [`TrunkUri::redacted`] for logs).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for TrunkUri {
    type Err = InvalidSetting;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let shown = || crate::redact::redact_url(text);
        let hint = "expected sip:HOST[:PORT], e.g. \"sip:trunk.example.net:5060\"";
        let rest = text
            .strip_prefix("sip:")
            .ok_or_else(|| InvalidSetting(format!("{:?} is not a sip: URI; {hint}", shown())))?;
        let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
        if host.is_empty() {
            return Err(InvalidSetting(format!("{:?} has no host; {hint}", shown())));
        }
        let tcp = host
            .split(';')
            .skip(1)
            .any(|p| p.eq_ignore_ascii_case("transport=tcp"));
        Ok(TrunkUri {
            text: text.to_string(),
            host: host.to_string(),
            tcp,
        })
    }
}

/// `trunk.uri`: empty for none, else a [`TrunkUri`] (its error never shows the password).
mod optional_uri {
    use super::*;

    pub fn serialize<S: Serializer>(uri: &Option<TrunkUri>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(uri.as_ref().map_or("", |u| u.text.as_str()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TrunkUri>, D::Error> {
        let text = String::deserialize(d)?;
        if text.trim().is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_targets() {
        let uri: TrunkUri = "sip:127.0.0.1:5060".parse().unwrap();
        assert_eq!(
            uri.target("+33299001122"),
            ("sip:+33299001122@127.0.0.1:5060".to_string(), false)
        );
        let uri: TrunkUri = "sip:gw@trunk.example;transport=TCP".parse().unwrap();
        assert_eq!(
            uri.target("+1555"),
            ("sip:+1555@trunk.example;transport=TCP".to_string(), true)
        );
        assert!("".parse::<TrunkUri>().is_err());
        assert!("tel:+1".parse::<TrunkUri>().is_err());
        assert!("sip:gw:pw@".parse::<TrunkUri>().is_err());
        let e = "sips:gw:s3cret@trunk".parse::<TrunkUri>().unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }
}

/// Rasterising submitted documents (`crate::outbound::render`): each submission is rendered
/// in a child process with these limits, so a hostile document costs a bounded amount of
/// time, CPU and memory and never holds a thread of the gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RenderConfig {
    /// Wall-clock seconds one submission's documents may take; the renderer is killed then.
    pub timeout_secs: u64,
    /// CPU seconds of the renderer process (RLIMIT_CPU), a backstop to `timeout_secs`.
    pub cpu_secs: u64,
    /// Address space of the renderer process in MiB (RLIMIT_AS).
    pub memory_mb: u64,
    /// Renderers running at once; more submissions wait `queue_secs` for a turn.
    pub max_concurrent: usize,
    /// Seconds a submission waits for a free renderer before it is refused (HTTP 429).
    pub queue_secs: u64,
    /// Most pages in one fax, all documents together (at most 200).
    pub max_pages: usize,
    /// Most pixels one image may declare (PNG, JPEG, TIFF page, or image inside a PDF);
    /// larger ones are refused before being decoded.
    pub max_pixels: u64,
    /// The renderer program; empty: this faxvox executable (`faxvox render-worker`).
    pub worker: String,
}

impl RenderConfig {
    /// The renderer limits are in range.
    pub fn check(&self) -> Result<(), crate::settings::BadSetting> {
        use crate::settings::BadSetting;
        let r = self;
        for (key, value, range) in [
            ("render.timeout_secs", r.timeout_secs, 1..=3600),
            ("render.cpu_secs", r.cpu_secs, 1..=3600),
            ("render.memory_mb", r.memory_mb, 128..=1 << 20),
            ("render.max_concurrent", r.max_concurrent as u64, 1..=256),
            ("render.queue_secs", r.queue_secs, 0..=600),
            ("render.max_pages", r.max_pages as u64, 1..=200),
            ("render.max_pixels", r.max_pixels, 1..=1 << 32),
        ] {
            if !range.contains(&value) {
                return Err(BadSetting::new(
                    key,
                    format!("{value} is outside {}..={}", range.start(), range.end()),
                ));
            }
        }
        Ok(())
    }
}

impl Default for RenderConfig {
    fn default() -> Self {
        RenderConfig {
            timeout_secs: 30,
            cpu_secs: 60,
            memory_mb: 2048,
            max_concurrent: 2,
            queue_secs: 10,
            max_pages: 200,
            max_pixels: 64_000_000,
            worker: String::new(),
        }
    }
}

/// The `[outbound]` section: how many faxes dial at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboundConfig {
    /// Faxes of one account dialling at once, over every node sharing the database; the
    /// others wait their turn in the queue. Apart from it, one call at a time goes to any
    /// one destination number.
    pub max_active_per_account: u32,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            max_active_per_account: 4,
        }
    }
}

impl OutboundConfig {
    /// At least one fax per account must be able to dial.
    pub fn check(&self) -> Result<(), crate::settings::BadSetting> {
        if !(1..=1000).contains(&self.max_active_per_account) {
            return Err(crate::settings::BadSetting::new(
                "outbound.max_active_per_account",
                format!("{} is outside 1..=1000", self.max_active_per_account),
            ));
        }
        Ok(())
    }
}

/// The sections of the configuration the outbound dialer runs with, handed over by the edge
/// (`faxvox serve`): its SIP stack and calls, the trunk, billing, and the status emails.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DialerConfig {
    /// Listen address (the dialer binds the same IP), media ports, limits, call length.
    pub sip: SipConfig,
    /// Reorder depth, UDPTL redundancy, T.38 datagram size.
    pub media: MediaConfig,
    /// T.30 options.
    pub fax: FaxConfig,
    /// The trunk dialled (replaced on SIGHUP through [`crate::outbound::dialer::Dialer::reload_trunk`]).
    pub trunk: TrunkConfig,
    /// Ceilings of the accounts charged.
    pub billing: BillingConfig,
    /// Sender of the status emails.
    pub smtp: SmtpConfig,
    /// Templates and attachment limit of the status emails.
    pub delivery: DeliveryConfig,
    /// Faxes dialling at once per account.
    pub outbound: OutboundConfig,
}
