//! SIP digest authentication, server side (RFC 3261 §22, RFC 2617 / RFC 7616 with MD5 and
//! `qop=auth`), sans-IO: the caller passes the time.
//!
//! - **Nonces are stateless**: `<issued ms, hex>` + MD5(secret : issued), so any nonce we
//!   issued is recognised without remembering it, and it expires `nonce_ttl` after it was
//!   issued. An expired nonce with an otherwise correct response is answered `stale=true` (the
//!   client retries with the fresh nonce without asking its user again).
//! - **Replays are refused**: the nonce count (`nc`) of each nonce must grow. The highest count
//!   seen is remembered per nonce until the nonce expires, so a captured `Authorization` cannot
//!   be replayed (the response covers `nc`, so it cannot be changed either).
//! - `qop=auth` is required (we offer only that): no RFC 2069 responses, no `auth-int`, MD5
//!   only (`MD5-sess` and SHA-256 are refused).
//! - Unknown user and wrong password look the same to the caller (no user enumeration), and
//!   cost the same: an unknown user is checked against a random HA1, with the same MD5 work.
//! - The `uri` parameter must name the request's Request-URI: credentials computed for one
//!   target are not accepted for another.
//! - A user's secret is a password or, written `ha1:<32 hex digits>`, the HA1 itself
//!   (MD5 of `user:realm:password`), so the configuration need not hold clear passwords.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ipnet::IpNet;
use md5::{Digest, Md5};

/// Default lifetime of a nonce we issue.
pub const DEFAULT_NONCE_TTL: Duration = Duration::from_secs(300);

/// Who may call without being trusted by address, and how they are challenged.
#[derive(Clone, PartialEq, Eq)]
pub struct DigestAuth {
    /// The realm of the challenge (`realm="…"`).
    pub realm: String,
    /// User name → password, or `ha1:<32 hex>` (the HA1 for this realm). Empty: nobody can
    /// authenticate (untrusted sources are passed to the application unauthenticated, which
    /// refuses them).
    pub users: HashMap<String, String>,
    /// Sources admitted without credentials (never challenged).
    pub trusted: Vec<IpNet>,
    /// How long a nonce is accepted after it was issued.
    pub nonce_ttl: Duration,
}

impl std::fmt::Debug for DigestAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut users: Vec<&String> = self.users.keys().collect();
        users.sort();
        f.debug_struct("DigestAuth")
            .field("realm", &self.realm)
            .field("users", &users)
            .field("trusted", &self.trusted)
            .field("nonce_ttl", &self.nonce_ttl)
            .finish()
    }
}

impl DigestAuth {
    /// Whether `ip` is inside `trusted`. IPv4-mapped IPv6 addresses are checked as IPv4.
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        crate::sip::settings::in_networks(&self.trusted, ip)
    }
}

/// What to do with a request from an untrusted source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthVerdict {
    /// Valid credentials of this user.
    Authenticated(String),
    /// Answer 401 with this `WWW-Authenticate` value; `why` is for the log.
    Challenge {
        /// The header value (`Digest realm=…`).
        header: String,
        /// Why the request was not accepted (log only, never sent).
        why: &'static str,
        /// The request carried credentials that were wrong (a password guess, a forged or
        /// replayed nonce, credentials for another URI): counts towards a lock-out. False
        /// for a first request without credentials or a stale nonce.
        failed: bool,
    },
}

/// The HA1 of `secret` (a password, or `ha1:<32 hex>` taken as is, lower-cased).
pub fn ha1_of(user: &str, realm: &str, secret: &str) -> String {
    match parse_ha1(secret) {
        Some(ha1) => ha1,
        None => md5_hex(&format!("{user}:{realm}:{secret}")),
    }
}

/// `ha1:<32 hex>` → the hex, lower-cased; `None` for anything else (a password).
pub fn parse_ha1(secret: &str) -> Option<String> {
    let hex = secret.strip_prefix("ha1:")?;
    (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

/// Whether the `uri` of the credentials names `request_uri`: the same text, or the same
/// SIP URI once both are parsed (case of the scheme and host, parameter spelling).
fn uri_matches(uri: &str, request_uri: &str) -> bool {
    if uri == request_uri {
        return true;
    }
    use rsipstack::sip::Uri;
    match (Uri::try_from(uri), Uri::try_from(request_uri)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The issuing and checking side of [`DigestAuth`]: a random secret and the nonce counts
/// seen. One per stack.
pub struct DigestServer {
    auth: DigestAuth,
    /// User → HA1 (from the password, or as configured).
    ha1: HashMap<String, String>,
    /// Checked for unknown users, so they cost what known ones do.
    dummy_ha1: String,
    secret: [u8; 16],
    /// Nonce → (highest nc accepted, issued ms): replay protection, pruned on expiry.
    seen: Mutex<HashMap<String, (u64, u64)>>,
}

impl std::fmt::Debug for DigestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestServer")
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// Milliseconds since the Unix epoch.
fn epoch_ms(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
thread_local! {
    /// MD5 computations on this thread (tests compare the work of two paths).
    static MD5_COUNT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Lower-case hex MD5 of `text`.
pub fn md5_hex(text: &str) -> String {
    #[cfg(test)]
    MD5_COUNT.with(|c| c.set(c.get() + 1));
    let digest = Md5::digest(text.as_bytes());
    let mut out = String::with_capacity(32);
    for b in digest.iter() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The RFC 2617 `response` for `qop=auth` (MD5).
#[allow(clippy::too_many_arguments)]
pub fn response_auth(
    user: &str,
    realm: &str,
    password: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    nc: &str,
    cnonce: &str,
) -> String {
    let ha1 = md5_hex(&format!("{user}:{realm}:{password}"));
    response_from_ha1(&ha1, method, uri, nonce, nc, cnonce)
}

/// The RFC 2617 `response` for `qop=auth` from the HA1.
pub fn response_from_ha1(
    ha1: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    nc: &str,
    cnonce: &str,
) -> String {
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
}

/// Compares without an early exit (the response is a secret-derived value).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The parameters of a `Digest` credentials header, names lower-cased, quotes removed.
/// `None` when it is not a Digest header.
pub fn parse_credentials(value: &str) -> Option<HashMap<String, String>> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("digest") {
        return None;
    }
    let mut params = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            name.push(c);
            chars.next();
        }
        let name = name.trim().to_ascii_lowercase();
        let mut val = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            if chars.peek() == Some(&'"') {
                chars.next();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                val.push(n);
                            }
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        c => val.push(c),
                    }
                }
                if !closed {
                    return None;
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' {
                        break;
                    }
                    val.push(c);
                    chars.next();
                }
                val = val.trim().to_string();
            }
        }
        if !name.is_empty() {
            params.entry(name).or_insert(val);
        }
    }
    Some(params)
}

impl DigestServer {
    /// A server for `auth` with a fresh random secret.
    pub fn new(auth: DigestAuth) -> DigestServer {
        let ha1 = auth
            .users
            .iter()
            .map(|(user, secret)| (user.clone(), ha1_of(user, &auth.realm, secret)))
            .collect();
        let dummy: [u8; 16] = rand::random();
        DigestServer {
            auth,
            ha1,
            dummy_ha1: dummy.iter().map(|b| format!("{b:02x}")).collect(),
            secret: rand::random(),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The configuration.
    pub fn auth(&self) -> &DigestAuth {
        &self.auth
    }

    fn signature(&self, issued: u64, salt: u32) -> String {
        let secret: String = self.secret.iter().map(|b| format!("{b:02x}")).collect();
        md5_hex(&format!("{secret}:{issued:x}:{salt:x}:{}", self.auth.realm))
    }

    /// A fresh nonce issued at `now`. The random salt makes two challenges sent in the same
    /// millisecond differ: two callers sharing one nonce would both count from `nc=1`, and the
    /// second would be refused as a replay.
    pub fn nonce(&self, now: SystemTime) -> String {
        let issued = epoch_ms(now);
        let salt: u32 = rand::random();
        format!("{issued:x}.{salt:x}.{}", self.signature(issued, salt))
    }

    /// When `nonce` was issued (ms), if we issued it.
    fn issued(&self, nonce: &str) -> Option<u64> {
        let mut parts = nonce.splitn(3, '.');
        let issued = u64::from_str_radix(parts.next()?, 16).ok()?;
        let salt = u32::from_str_radix(parts.next()?, 16).ok()?;
        let sig = parts.next()?;
        same(sig, &self.signature(issued, salt)).then_some(issued)
    }

    /// The `WWW-Authenticate` value of a new challenge.
    pub fn challenge(&self, now: SystemTime, stale: bool) -> String {
        let realm = self.auth.realm.replace(['\\', '"'], "");
        let mut h = format!(
            "Digest realm=\"{realm}\", nonce=\"{}\", algorithm=MD5, qop=\"auth\"",
            self.nonce(now)
        );
        if stale {
            h.push_str(", stale=true");
        }
        h
    }

    /// Checks the `Authorization` header values of a request (`method`, e.g. "INVITE", sent
    /// to `request_uri`) at `now`: the first one for our realm decides.
    pub fn verify(
        &self,
        now: SystemTime,
        method: &str,
        request_uri: &str,
        authorizations: &[&str],
    ) -> AuthVerdict {
        let challenge = |stale, why, failed| AuthVerdict::Challenge {
            header: self.challenge(now, stale),
            why,
            failed,
        };
        if self.auth.users.is_empty() {
            return challenge(false, "no users configured", false);
        }
        let Some(params) = authorizations
            .iter()
            .filter_map(|v| parse_credentials(v))
            .find(|p| p.get("realm").map(String::as_str) == Some(self.auth.realm.as_str()))
        else {
            return challenge(false, "no credentials for our realm", false);
        };
        let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
        let (user, nonce, uri, response) =
            (get("username"), get("nonce"), get("uri"), get("response"));
        let (nc, cnonce, qop) = (get("nc"), get("cnonce"), get("qop"));
        if user.is_empty() || uri.is_empty() || response.is_empty() {
            return challenge(false, "incomplete credentials", true);
        }
        if let Some(alg) = params.get("algorithm") {
            if !alg.eq_ignore_ascii_case("md5") {
                return challenge(false, "unsupported algorithm", false);
            }
        }
        if !qop.eq_ignore_ascii_case("auth") || cnonce.is_empty() {
            return challenge(false, "qop=auth with a cnonce required", false);
        }
        let Ok(count) = u64::from_str_radix(nc, 16) else {
            return challenge(false, "bad nonce count", true);
        };
        let Some(issued) = self.issued(nonce) else {
            return challenge(false, "nonce not issued by us", true);
        };
        // Known or not, the same work: an unknown user is checked against a random HA1.
        let (known, ha1) = match self.ha1.get(user) {
            Some(ha1) => (true, ha1.as_str()),
            None => (false, self.dummy_ha1.as_str()),
        };
        let expected = response_from_ha1(ha1, method, uri, nonce, nc, cnonce);
        if !(same(&expected, &response.to_ascii_lowercase()) && known) {
            return challenge(false, "unknown user or wrong password", true);
        }
        if !uri_matches(uri, request_uri) {
            return challenge(false, "credentials for another Request-URI", true);
        }
        let now_ms = epoch_ms(now);
        let ttl = self.auth.nonce_ttl.as_millis() as u64;
        if now_ms > issued.saturating_add(ttl) {
            return challenge(true, "stale nonce", false);
        }
        let mut seen = self.seen.lock().expect("digest nonce lock");
        seen.retain(|_, (_, t)| now_ms <= t.saturating_add(ttl));
        let last = seen.entry(nonce.to_string()).or_insert((0, issued));
        if count <= last.0 {
            return challenge(false, "nonce count replayed", true);
        }
        last.0 = count;
        AuthVerdict::Authenticated(user.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "sip:100@192.0.2.1:5060";

    fn server(ttl: Duration) -> DigestServer {
        DigestServer::new(DigestAuth {
            realm: "faxvox".into(),
            users: [("alice".to_string(), "s3cret".to_string())].into(),
            trusted: vec!["10.0.0.0/8".parse().unwrap()],
            nonce_ttl: ttl,
        })
    }

    fn nonce_of(header: &str) -> String {
        parse_credentials(header).unwrap()["nonce"].clone()
    }

    fn authorization(nonce: &str, password: &str, nc: &str) -> String {
        let uri = URI;
        let r = response_auth("alice", "faxvox", password, "INVITE", uri, nonce, nc, "c1");
        format!(
            "Digest username=\"alice\", realm=\"faxvox\", nonce=\"{nonce}\", uri=\"{uri}\", \
             response=\"{r}\", algorithm=MD5, qop=auth, nc={nc}, cnonce=\"c1\""
        )
    }

    #[test]
    fn rfc2617_example() {
        // RFC 2617 §3.5.
        assert_eq!(
            response_auth(
                "Mufasa",
                "testrealm@host.com",
                "Circle Of Life",
                "GET",
                "/dir/index.html",
                "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                "00000001",
                "0a4f113b"
            ),
            "6629fae49393a05397450978507c4ef1"
        );
    }

    #[test]
    fn parses_credentials() {
        let p = parse_credentials(
            "Digest username=\"a\\\"b\",realm=\"r, x\", nc=0000000a ,qop=auth,uri=\"sip:x\"",
        )
        .unwrap();
        assert_eq!(p["username"], "a\"b");
        assert_eq!(p["realm"], "r, x");
        assert_eq!(p["nc"], "0000000a");
        assert_eq!(p["qop"], "auth");
        assert_eq!(p["uri"], "sip:x");
        assert!(parse_credentials("Basic YWxhZGRpbjpvcGVuc2VzYW1l").is_none());
        assert!(parse_credentials("Digest realm=\"open").is_none());
    }

    #[test]
    fn challenge_then_accept_then_refuse_replay() {
        let s = server(DEFAULT_NONCE_TTL);
        let now = SystemTime::now();
        let AuthVerdict::Challenge { header, .. } = s.verify(now, "INVITE", URI, &[]) else {
            panic!()
        };
        assert!(header.starts_with("Digest realm=\"faxvox\""), "{header}");
        assert!(header.contains("qop=\"auth\"") && header.contains("algorithm=MD5"));
        assert!(!header.contains("stale"));
        let nonce = nonce_of(&header);
        let good = authorization(&nonce, "s3cret", "00000001");
        assert_eq!(
            s.verify(now, "INVITE", URI, &[&good]),
            AuthVerdict::Authenticated("alice".into())
        );
        // The same nc again is a replay; a higher one is fine.
        assert!(matches!(
            s.verify(now, "INVITE", URI, &[&good]),
            AuthVerdict::Challenge {
                why: "nonce count replayed",
                ..
            }
        ));
        let next = authorization(&nonce, "s3cret", "00000002");
        assert!(matches!(
            s.verify(now, "INVITE", URI, &[&next]),
            AuthVerdict::Authenticated(_)
        ));
        // Wrong method: the response does not match.
        assert!(matches!(
            s.verify(
                now,
                "BYE",
                URI,
                &[&authorization(&nonce, "s3cret", "00000003")]
            ),
            AuthVerdict::Challenge { .. }
        ));
    }

    #[test]
    fn nonces_issued_in_the_same_millisecond_differ_and_both_verify() {
        let s = server(Duration::from_secs(10));
        let now = SystemTime::now();
        let (a, b) = (s.nonce(now), s.nonce(now));
        assert_ne!(a, b);
        for nonce in [&a, &b] {
            let auth = authorization(nonce, "s3cret", "00000001");
            assert!(matches!(
                s.verify(now, "INVITE", URI, &[&auth]),
                AuthVerdict::Authenticated(_)
            ));
        }
    }

    #[test]
    fn wrong_password_forged_nonce_and_stale() {
        let s = server(Duration::from_secs(10));
        let now = SystemTime::now();
        let nonce = s.nonce(now);
        let bad = authorization(&nonce, "guess", "00000001");
        let AuthVerdict::Challenge { header, why, .. } = s.verify(now, "INVITE", URI, &[&bad])
        else {
            panic!()
        };
        assert_eq!(why, "unknown user or wrong password");
        assert!(!header.contains("stale"));
        let forged = authorization(
            "18c0.0123456789abcdef0123456789abcdef",
            "s3cret",
            "00000001",
        );
        assert!(matches!(
            s.verify(now, "INVITE", URI, &[&forged]),
            AuthVerdict::Challenge {
                why: "nonce not issued by us",
                ..
            }
        ));
        let other = server(Duration::from_secs(10));
        assert!(matches!(
            other.verify(
                now,
                "INVITE",
                URI,
                &[&authorization(&nonce, "s3cret", "00000001")]
            ),
            AuthVerdict::Challenge {
                why: "nonce not issued by us",
                ..
            }
        ));
        let later = now + Duration::from_secs(11);
        let good = authorization(&nonce, "s3cret", "00000001");
        let AuthVerdict::Challenge { header, why, .. } = s.verify(later, "INVITE", URI, &[&good])
        else {
            panic!()
        };
        assert_eq!(why, "stale nonce");
        assert!(header.ends_with("stale=true"), "{header}");
        assert_ne!(nonce_of(&header), nonce);
        // A wrong password with an expired nonce is not "stale".
        let AuthVerdict::Challenge { header, .. } = s.verify(later, "INVITE", URI, &[&bad]) else {
            panic!()
        };
        assert!(!header.contains("stale"));
    }

    #[test]
    fn trusted_networks_and_no_users() {
        let s = server(DEFAULT_NONCE_TTL);
        assert!(s.auth().is_trusted("10.2.3.4".parse().unwrap()));
        assert!(s.auth().is_trusted("::ffff:10.2.3.4".parse().unwrap()));
        assert!(!s.auth().is_trusted("192.0.2.1".parse().unwrap()));
        let mut auth = s.auth().clone();
        auth.users.clear();
        let s = DigestServer::new(auth);
        let nonce = s.nonce(SystemTime::now());
        assert!(matches!(
            s.verify(
                SystemTime::now(),
                "INVITE",
                URI,
                &[&authorization(&nonce, "s3cret", "00000001")]
            ),
            AuthVerdict::Challenge { .. }
        ));
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn credentials_for_another_request_uri_are_refused() {
        let s = server(DEFAULT_NONCE_TTL);
        let now = SystemTime::now();
        let nonce = s.nonce(now);
        // Signed for sip:100@…, sent to sip:200@…: refused, and counted as a failure.
        let auth = authorization(&nonce, "s3cret", "00000001");
        let AuthVerdict::Challenge { why, failed, .. } =
            s.verify(now, "INVITE", "sip:200@192.0.2.1:5060", &[&auth])
        else {
            panic!("accepted for another URI")
        };
        assert_eq!(why, "credentials for another Request-URI");
        assert!(failed);
        // The same URI written differently (case of the scheme and host) is the same URI.
        let auth = authorization(&nonce, "s3cret", "00000002");
        assert_eq!(
            s.verify(now, "INVITE", "SIP:100@192.0.2.1:5060", &[&auth]),
            AuthVerdict::Authenticated("alice".into())
        );
    }

    #[test]
    fn ha1_entries_authenticate() {
        let ha1 = md5_hex("alice:faxvox:s3cret");
        assert_eq!(ha1_of("alice", "faxvox", "s3cret"), ha1);
        assert_eq!(
            ha1_of("alice", "faxvox", &format!("ha1:{}", ha1.to_uppercase())),
            ha1
        );
        // Not 32 hex digits: a password that happens to start with "ha1:".
        assert_eq!(parse_ha1("ha1:xyz"), None);
        let s = DigestServer::new(DigestAuth {
            realm: "faxvox".into(),
            users: [("alice".to_string(), format!("ha1:{ha1}"))].into(),
            trusted: vec![],
            nonce_ttl: DEFAULT_NONCE_TTL,
        });
        let now = SystemTime::now();
        let nonce = s.nonce(now);
        assert_eq!(
            s.verify(
                now,
                "INVITE",
                URI,
                &[&authorization(&nonce, "s3cret", "00000001")]
            ),
            AuthVerdict::Authenticated("alice".into())
        );
        assert!(matches!(
            s.verify(
                now,
                "INVITE",
                URI,
                &[&authorization(&nonce, "guess", "00000002")]
            ),
            AuthVerdict::Challenge { failed: true, .. }
        ));
        assert!(!format!("{s:?}").contains(&ha1));
    }

    #[test]
    fn unknown_user_costs_what_a_known_one_does() {
        let s = server(DEFAULT_NONCE_TTL);
        let now = SystemTime::now();
        let nonce = s.nonce(now);
        let as_user = |user: &str| {
            let r = response_auth(
                user, "faxvox", "guess", "INVITE", URI, &nonce, "00000001", "c1",
            );
            format!(
                "Digest username=\"{user}\", realm=\"faxvox\", nonce=\"{nonce}\", uri=\"{URI}\", \
                 response=\"{r}\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c1\""
            )
        };
        let (known, unknown) = (as_user("alice"), as_user("mallory"));
        let v1 = s.verify(now, "INVITE", URI, &[&known]);
        let v2 = s.verify(now, "INVITE", URI, &[&unknown]);
        let why = |v: &AuthVerdict| match v {
            AuthVerdict::Challenge { why, failed, .. } => (*why, *failed),
            _ => panic!("{v:?}"),
        };
        assert_eq!(why(&v1), why(&v2));
        // The same work: as many MD5 computations (an unknown user returned before any
        // before: 2 against 5).
        let md5s = |auth: &str| {
            let before = MD5_COUNT.with(|c| c.get());
            std::hint::black_box(s.verify(now, "INVITE", URI, &[auth]));
            MD5_COUNT.with(|c| c.get()) - before
        };
        assert_eq!(md5s(&unknown), md5s(&known));
    }
}
