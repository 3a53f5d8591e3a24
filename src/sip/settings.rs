//! The `[sip]` section of the configuration as parsed values: the listen addresses, the trusted
//! networks, the media port range and address, the T.38 policy, the digest users. Parsed and
//! checked once when the configuration is loaded; nothing here parses text at run time.

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::media::PortRange;
use crate::settings::{blank_is_none, text, BadSetting, InvalidSetting};
use crate::sip::call::{CallConfig, T38Policy};
use crate::sip::guard::GuardConfig;
use crate::sip::stack::TlsIdentityError;

/// The gateway's SIP side: listeners, admission, limits, T.38 and digest authentication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SipConfig {
    /// Address and port the gateway listens on (UDP, and TCP when `tcp`).
    #[serde(with = "text")]
    pub listen: SocketAddr,
    /// Also accept SIP over TCP on the same port (large INVITEs, some trunks insist).
    pub tcp: bool,
    /// Networks (CIDR) whose INVITEs are answered without credentials (the trunk). Others
    /// must authenticate with `auth_users` (digest, 401 challenge) or get 403 when there are
    /// no users. `FAXVOX_SIP_TRUSTED` takes a comma list.
    pub trusted: TrustedNets,
    /// UDP ports for media, `FIRST-LAST`: each call takes an even RTP port and a UDPTL port.
    pub rtp_ports: PortRange,
    /// Seconds a media port rests after its call before another call may get it, so late
    /// packets of the old call never reach the new one. 0: reused at once.
    pub rtp_port_rest_secs: u32,
    /// Address media sockets bind to and SDP announces. Empty: the listen address, or the
    /// loopback address when listening on every interface (0.0.0.0 / ::), so a production
    /// gateway listening everywhere must set it.
    #[serde(with = "blank_is_none")]
    pub media_ip: Option<IpAddr>,
    /// Calls handled at once; beyond it new INVITEs get 503.
    pub max_calls: u32,
    /// Inbound SIP connections (TCP and TLS together) open at once; more are closed at once.
    pub max_connections: u32,
    /// Inbound SIP connections open at once from one IP address.
    pub max_connections_per_source: u32,
    /// Seconds a TLS client has to complete its handshake.
    pub tls_handshake_secs: u32,
    /// Seconds a new connection has to send its first complete SIP request (after the TLS
    /// handshake) before it is closed.
    pub first_request_secs: u32,
    /// A connection that has sent nothing (not even a CRLF keep-alive) for this many seconds
    /// is closed.
    pub connection_idle_secs: u32,
    /// Longest call in seconds from the answer; the gateway then hangs up (stuck peers).
    pub max_call_secs: u32,
    /// T.38: "request" (answer the peer's switch, ask ourselves after `ced_window_ms`),
    /// "accept" (answer only) or "off" (fax over G.711 only).
    pub t38: T38Policy,
    /// How long a fax line waits for the caller's T.38 re-INVITE before sending its own (ms).
    pub ced_window_ms: u32,
    /// Address:port of the SIP-over-TLS listener. Empty: no TLS.
    #[serde(with = "blank_is_none")]
    pub tls_listen: Option<SocketAddr>,
    /// PEM certificate chain of the TLS listener (required with `tls_listen`).
    pub tls_cert: String,
    /// PEM private key (PKCS#8 or RSA PKCS#1) of the TLS listener (required with `tls_listen`).
    pub tls_key: String,
    /// Realm of the digest challenge sent to untrusted callers.
    pub auth_realm: String,
    /// `"user:password"` entries: who may call from outside `trusted` (SIP digest, MD5,
    /// qop=auth). `"user:ha1:<32 hex>"` gives the HA1 (MD5 of `user:realm:password`) instead
    /// of the password. `FAXVOX_SIP_AUTH_USERS=user:pass,user2:pass2`.
    pub auth_users: Vec<DigestUser>,
    /// `"user:account"` entries: the digest user may only call the lines of that account
    /// (403 otherwise). A user not listed may call any line.
    pub auth_accounts: Vec<AccountTie>,
    /// Requests per second one source outside `trusted` may send (out of dialog); beyond
    /// it (and `untrusted_burst`) they are dropped without an answer. 0: no limit.
    pub untrusted_rate: u32,
    /// Requests an untrusted source may send at once before `untrusted_rate` applies.
    pub untrusted_burst: u32,
    /// SIP transactions in progress above which requests from untrusted sources are dropped
    /// (trusted ones are still served). 0: no cap.
    pub max_transactions: u32,
    /// Failed digest attempts (within `auth_failure_window_secs`) after which a source is
    /// ignored for `auth_lockout_secs`. 0: no lock-out.
    pub auth_max_failures: u32,
    /// The window in which failed digest attempts are counted (seconds).
    pub auth_failure_window_secs: u32,
    /// How long a source that failed too often is ignored (seconds).
    pub auth_lockout_secs: u32,
    /// Calls at once from one source outside `trusted` (an authenticated caller); beyond it
    /// 503. 0: no limit. Trusted sources (the trunk) only count against `max_calls`.
    pub max_calls_per_source: u32,
    /// Calls at once to the lines of one account; beyond it 486. 0: no limit.
    pub max_calls_per_account: u32,
    /// Calls at once to one line (a number, aliases counted on their target); beyond it 486.
    /// 0: no limit.
    pub max_calls_per_line: u32,
}

impl Default for SipConfig {
    fn default() -> Self {
        SipConfig {
            listen: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 5060)),
            tcp: true,
            trusted: TrustedNets(vec![
                "127.0.0.0/8".parse().expect("a network"),
                IpNet::from(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            ]),
            rtp_ports: PortRange::default(),
            rtp_port_rest_secs: 30,
            media_ip: None,
            max_calls: 500,
            max_connections: 1000,
            max_connections_per_source: 32,
            tls_handshake_secs: 10,
            first_request_secs: 10,
            connection_idle_secs: 120,
            max_call_secs: 3600,
            t38: T38Policy::Request,
            ced_window_ms: 3000,
            tls_listen: None,
            tls_cert: String::new(),
            tls_key: String::new(),
            auth_realm: "faxvox".into(),
            auth_users: Vec::new(),
            auth_accounts: Vec::new(),
            untrusted_rate: 10,
            untrusted_burst: 20,
            max_transactions: 1000,
            auth_max_failures: 5,
            auth_failure_window_secs: 60,
            auth_lockout_secs: 300,
            max_calls_per_source: 10,
            max_calls_per_account: 50,
            max_calls_per_line: 10,
        }
    }
}

impl SipConfig {
    /// The digest users as (user, password) pairs.
    pub fn auth_user_list(&self) -> Vec<(String, String)> {
        self.auth_users
            .iter()
            .map(|u| (u.user.clone(), u.password.clone()))
            .collect()
    }

    /// The account a digest user is tied to (`auth_accounts`), if any.
    pub fn auth_account(&self, user: &str) -> Option<&str> {
        self.auth_accounts
            .iter()
            .find(|t| t.user == user)
            .map(|t| t.account.as_str())
    }

    /// The limits on untrusted sources (rate, transactions, digest lock-out).
    pub fn guard_limits(&self) -> GuardConfig {
        GuardConfig {
            rate: self.untrusted_rate,
            burst: self.untrusted_burst,
            max_transactions: self.max_transactions as usize,
            auth_max_failures: self.auth_max_failures,
            auth_failure_window: Duration::from_secs(self.auth_failure_window_secs.into()),
            auth_lockout: Duration::from_secs(self.auth_lockout_secs.into()),
            ..GuardConfig::default()
        }
    }

    /// The trusted networks.
    pub fn trusted_nets(&self) -> Vec<IpNet> {
        self.trusted.0.clone()
    }

    /// Whether an INVITE from `ip` may be answered. IPv4-mapped IPv6 addresses
    /// (`::ffff:10.0.0.1`, seen on dual-stack sockets) are checked as IPv4.
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.contains(ip)
    }

    /// The limits on inbound TCP and TLS connections.
    pub fn conn_limits(&self) -> crate::sip::conn::ConnLimits {
        let secs = |s: u32| Duration::from_secs(u64::from(s.max(1)));
        crate::sip::conn::ConnLimits {
            max_total: self.max_connections.max(1) as usize,
            max_per_source: self.max_connections_per_source.max(1) as usize,
            handshake_timeout: secs(self.tls_handshake_secs),
            first_request_timeout: secs(self.first_request_secs),
            idle_timeout: secs(self.connection_idle_secs),
        }
    }

    /// How long a freed media port rests (`rtp_port_rest_secs`).
    pub fn rtp_port_rest(&self) -> Duration {
        Duration::from_secs(self.rtp_port_rest_secs.into())
    }

    /// The address media binds to and SDP announces: `media_ip`, else the listen IP, else
    /// (listening on every interface) the loopback address of the same family.
    pub fn media_ip(&self) -> IpAddr {
        if let Some(ip) = self.media_ip {
            return ip;
        }
        match self.listen.ip() {
            IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        }
    }

    /// True when [`SipConfig::media_ip`] fell back to loopback: remote peers cannot reach our
    /// media, so the gateway should warn at startup.
    pub fn media_ip_is_loopback_fallback(&self) -> bool {
        self.media_ip.is_none() && self.listen.ip().is_unspecified()
    }

    /// `max_call_secs` as a duration; `None` when 0 (unlimited).
    pub fn max_call_duration(&self) -> Option<Duration> {
        (self.max_call_secs > 0).then(|| Duration::from_secs(self.max_call_secs.into()))
    }

    /// Call-control settings for an inbound call: T.38 policy, CED window, call length limit;
    /// everything else at [`CallConfig`]'s defaults.
    pub fn call_config(&self) -> CallConfig {
        CallConfig {
            t38: self.t38,
            ced_window: Duration::from_millis(self.ced_window_ms.into()),
            max_duration: self.max_call_duration(),
            ..CallConfig::default()
        }
    }

    /// The rules between keys of `[sip]` and the ranges of its numbers; with `tls_listen`, also
    /// reads `tls_cert` and `tls_key` and checks that they hold a certificate and its key.
    pub fn check(&self) -> Result<(), BadSetting> {
        if let Some(ip) = self.media_ip {
            if ip.is_unspecified() || ip.is_multicast() {
                return Err(BadSetting::new(
                    "sip.media_ip",
                    format!("\"{ip}\": must be one address peers can send to"),
                ));
            }
        }
        if self.trusted.0.is_empty() {
            return Err(BadSetting::new(
                "sip.trusted",
                "must list at least one network (nobody could call otherwise)",
            ));
        }
        if self.rtp_port_rest_secs > 3600 {
            return Err(BadSetting::new(
                "sip.rtp_port_rest_secs",
                "at most 3600 (an hour)",
            ));
        }
        if self.max_calls == 0 {
            return Err(BadSetting::new("sip.max_calls", "must be at least 1"));
        }
        if self.untrusted_rate > 0 && self.untrusted_burst == 0 {
            return Err(BadSetting::new(
                "sip.untrusted_burst",
                "must be at least 1 when sip.untrusted_rate is set (0 would drop everything)",
            ));
        }
        if self.auth_max_failures > 0
            && (self.auth_failure_window_secs == 0 || self.auth_lockout_secs == 0)
        {
            return Err(BadSetting::new(
                if self.auth_failure_window_secs == 0 {
                    "sip.auth_failure_window_secs"
                } else {
                    "sip.auth_lockout_secs"
                },
                "must be at least 1 when sip.auth_max_failures is set (0 there disables the lock-out)",
            ));
        }
        if self.max_connections == 0 {
            return Err(BadSetting::new("sip.max_connections", "must be at least 1"));
        }
        if self.max_connections_per_source == 0
            || self.max_connections_per_source > self.max_connections
        {
            return Err(BadSetting::new(
                "sip.max_connections_per_source",
                format!(
                    "{} is outside 1..={} (sip.max_connections)",
                    self.max_connections_per_source, self.max_connections
                ),
            ));
        }
        for (key, secs, max) in [
            ("sip.tls_handshake_secs", self.tls_handshake_secs, 300),
            ("sip.first_request_secs", self.first_request_secs, 300),
            (
                "sip.connection_idle_secs",
                self.connection_idle_secs,
                86_400,
            ),
        ] {
            if !(1..=max).contains(&secs) {
                return Err(BadSetting::new(key, format!("{secs} is outside 1..={max}")));
            }
        }
        if self.ced_window_ms > 60_000 {
            return Err(BadSetting::new(
                "sip.ced_window_ms",
                format!("{} is outside 0..=60000", self.ced_window_ms),
            ));
        }
        self.check_tls()?;
        let realm = self.auth_realm.trim();
        if realm.is_empty() || realm != self.auth_realm || self.auth_realm.contains(['"', '\\']) {
            return Err(BadSetting::new(
                "sip.auth_realm",
                format!(
                    "{:?}: must be a non-empty name without quotes, backslashes or surrounding spaces",
                    self.auth_realm
                ),
            ));
        }
        let mut users = HashSet::new();
        for u in &self.auth_users {
            if !users.insert(u.user.as_str()) {
                return Err(BadSetting::new(
                    "sip.auth_users",
                    format!("user {:?} is listed twice", u.user),
                ));
            }
        }
        let mut tied = HashSet::new();
        for t in &self.auth_accounts {
            if !users.contains(t.user.as_str()) {
                return Err(BadSetting::new(
                    "sip.auth_accounts",
                    format!("user {:?} is not one of sip.auth_users", t.user),
                ));
            }
            if !tied.insert(t.user.as_str()) {
                return Err(BadSetting::new(
                    "sip.auth_accounts",
                    format!("user {:?} is tied to two accounts", t.user),
                ));
            }
        }
        Ok(())
    }

    /// `tls_*`: with `tls_listen`, `tls_cert` and `tls_key` readable PEM files holding a
    /// certificate and its key, on another port than SIP over TCP; without it, neither set.
    fn check_tls(&self) -> Result<(), BadSetting> {
        let (cert, key) = (self.tls_cert.trim(), self.tls_key.trim());
        let Some(addr) = self.tls_listen else {
            if !cert.is_empty() || !key.is_empty() {
                return Err(BadSetting::new(
                    "sip.tls_listen",
                    "is empty but sip.tls_cert / sip.tls_key are set: set tls_listen (e.g. \"0.0.0.0:5061\") to use them",
                ));
            }
            return Ok(());
        };
        let plain = self.listen;
        if self.tcp && plain.port() != 0 && plain.port() == addr.port() {
            return Err(BadSetting::new(
                "sip.tls_listen",
                format!(
                    "\"{addr}\": port {} is already SIP over TCP (sip.listen)",
                    addr.port()
                ),
            ));
        }
        if cert.is_empty() {
            return Err(BadSetting::new(
                "sip.tls_cert",
                "required with sip.tls_listen (a PEM file)",
            ));
        }
        if key.is_empty() {
            return Err(BadSetting::new(
                "sip.tls_key",
                "required with sip.tls_listen (a PEM file)",
            ));
        }
        let read =
            |path: &str| std::fs::read(path).map_err(|e| format!("cannot read {path:?}: {e}"));
        let cert_pem = read(cert).map_err(|m| BadSetting::new("sip.tls_cert", m))?;
        let key_pem = read(key).map_err(|m| BadSetting::new("sip.tls_key", m))?;
        crate::sip::stack::check_tls_identity(&cert_pem, &key_pem).map_err(|e| match e {
            TlsIdentityError::PrivateKey(_) => {
                BadSetting::new("sip.tls_key", format!("{key:?}: {e}"))
            }
            TlsIdentityError::Certificate(_) => {
                BadSetting::new("sip.tls_cert", format!("{cert:?}: {e}"))
            }
        })
    }
}

/// Whether `ip` is inside one of `nets`; IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, seen
/// on dual-stack sockets) are checked as IPv4.
pub fn in_networks(nets: &[IpNet], ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    nets.iter().any(|n| n.contains(&ip))
}

/// The networks of `sip.trusted`: each entry `10.0.0.0/8`, `::1/128`, or a bare address (a
/// single host).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct TrustedNets(pub Vec<IpNet>);

impl TrustedNets {
    /// Whether `ip` is inside one of the networks (see [`in_networks`]).
    pub fn contains(&self, ip: IpAddr) -> bool {
        in_networks(&self.0, ip)
    }
}

/// Parses one network: `10.0.0.0/8`, `::1/128`, or a bare address (a single host).
fn parse_net(s: &str) -> Result<IpNet, InvalidSetting> {
    let s = s.trim();
    if let Ok(net) = s.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    s.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
        InvalidSetting(format!(
            "{s:?} is not a network (10.0.0.0/8, 192.0.2.7, ::1/128)"
        ))
    })
}

impl TryFrom<Vec<String>> for TrustedNets {
    type Error = InvalidSetting;

    fn try_from(entries: Vec<String>) -> Result<Self, Self::Error> {
        entries
            .iter()
            .map(|e| parse_net(e))
            .collect::<Result<_, _>>()
            .map(TrustedNets)
    }
}

impl From<TrustedNets> for Vec<String> {
    fn from(nets: TrustedNets) -> Vec<String> {
        nets.0.iter().map(IpNet::to_string).collect()
    }
}

/// One `sip.auth_users` entry, `user:password` (the password may contain ':'), or
/// `user:ha1:<32 hex>`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DigestUser {
    /// The digest user name.
    pub user: String,
    /// The password, or `ha1:` and the HA1's hex digits.
    pub password: String,
}

impl fmt::Debug for DigestUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:***", self.user)
    }
}

impl FromStr for DigestUser {
    type Err = InvalidSetting;

    fn from_str(entry: &str) -> Result<Self, Self::Err> {
        let bad = |m: String| InvalidSetting(m);
        let (user, password) = entry
            .split_once(':')
            .ok_or_else(|| bad("an entry is not \"user:password\"".into()))?;
        let user = user.trim();
        if user.is_empty() || password.is_empty() {
            return Err(bad(
                "an entry has an empty user or password (\"user:password\")".into(),
            ));
        }
        if password.starts_with("ha1:") && crate::sip::digest::parse_ha1(password).is_none() {
            return Err(bad(format!(
                "user {user:?}: \"ha1:\" must be followed by the 32 hex digits of the HA1 (MD5 of user:realm:password)"
            )));
        }
        if user
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\\')
        {
            return Err(bad(format!(
                "user {user:?}: no spaces, quotes or backslashes in a user name"
            )));
        }
        Ok(DigestUser {
            user: user.to_string(),
            password: password.to_string(),
        })
    }
}

impl TryFrom<String> for DigestUser {
    type Error = InvalidSetting;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<DigestUser> for String {
    fn from(u: DigestUser) -> String {
        format!("{}:{}", u.user, u.password)
    }
}

/// One `sip.auth_accounts` entry, `user:account`: that digest user may only call the lines of
/// that account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountTie {
    /// The digest user.
    pub user: String,
    /// The account whose lines it may call.
    pub account: String,
}

impl FromStr for AccountTie {
    type Err = InvalidSetting;

    fn from_str(entry: &str) -> Result<Self, Self::Err> {
        entry
            .split_once(':')
            .map(|(u, a)| (u.trim(), a.trim()))
            .filter(|(u, a)| !u.is_empty() && !a.is_empty())
            .map(|(user, account)| AccountTie {
                user: user.to_string(),
                account: account.to_string(),
            })
            .ok_or_else(|| InvalidSetting(format!("{entry:?}: expected \"user:account\"")))
    }
}

impl TryFrom<String> for AccountTie {
    type Error = InvalidSetting;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<AccountTie> for String {
    fn from(t: AccountTie) -> String {
        format!("{}:{}", t.user, t.account)
    }
}

impl FromStr for T38Policy {
    type Err = InvalidSetting;

    /// `off`, `accept` or `request`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" => Ok(T38Policy::Off),
            "accept" => Ok(T38Policy::Accept),
            "request" => Ok(T38Policy::Request),
            _ => Err(InvalidSetting(format!(
                "{s:?}: must be \"request\", \"accept\" or \"off\""
            ))),
        }
    }
}

impl TryFrom<String> for T38Policy {
    type Error = InvalidSetting;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<T38Policy> for String {
    fn from(p: T38Policy) -> String {
        p.to_string()
    }
}

impl fmt::Display for T38Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            T38Policy::Off => "off",
            T38Policy::Accept => "accept",
            T38Policy::Request => "request",
        })
    }
}
