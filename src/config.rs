//! Configuration: one TOML file, every key overridable from the environment.
//!
//! Lookup: `--config FILE` (or `FAXVOX_CONFIG`), else `./faxvox.toml`, else
//! `/etc/faxvox/faxvox.toml`, else the built-in defaults. Then each `FAXVOX_<SECTION>_<KEY>`
//! variable replaces one key (`FAXVOX_SPOOL_DIR=/srv/spool`). Unknown sections, unknown keys
//! and bad values are errors that name the key, so a typo never silently falls back to a default.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::api::ApiConfig;
use crate::billing::BillingConfig;
use crate::delivery::{DeliveryConfig, SmtpConfig};
use crate::fax::FaxConfig;
use crate::mail_in::MailInConfig;
use crate::media::MediaConfig;
use crate::metrics::MetricsConfig;
use crate::outbound::{OutboundConfig, RenderConfig, TrunkConfig};
use crate::sip::settings::SipConfig;
use crate::voicemail::VoicemailSection;
use crate::worker::{RetentionConfig, SpoolConfig};

/// The commented example printed by `faxvox config example`. A test checks it names every key
/// and that its values are the defaults.
pub const EXAMPLE: &str = include_str!("../samples/faxvox.example.toml");

/// Prefix of every environment override.
const ENV_PREFIX: &str = "FAXVOX_";
/// FAXVOX_* variables that are not configuration keys: the config file path, and the test suite's
/// switch that makes missing interop peers (baresip, SIPp) a failure instead of a skip.
const ENV_NOT_KEYS: &[&str] = &["FAXVOX_CONFIG", "FAXVOX_REQUIRE_PEERS"];

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{origin}: unknown configuration key `{key}`")]
    UnknownKey { origin: String, key: String },
    #[error("{origin}: bad value for `{key}`: {message}")]
    BadValue {
        origin: String,
        key: String,
        message: String,
    },
}

/// All settings. Each section is a struct with `deny_unknown_fields`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub log: LogConfig,
    pub spool: SpoolConfig,
    pub database: DatabaseConfig,
    pub smtp: SmtpConfig,
    pub sip: SipConfig,
    pub voicemail: VoicemailSection,
    pub fax: FaxConfig,
    pub media: MediaConfig,
    pub delivery: DeliveryConfig,
    pub retention: RetentionConfig,
    pub billing: BillingConfig,
    pub trunk: TrunkConfig,
    pub outbound: OutboundConfig,
    pub api: ApiConfig,
    pub render: RenderConfig,
    pub metrics: MetricsConfig,
    pub mail_in: MailInConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// tracing filter, e.g. "info" or "faxvox=debug"; RUST_LOG wins when set.
    pub level: String,
    /// `text` (readable lines) or `json` (one object per line, for log collectors).
    pub format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Text,
    /// One JSON object per line: timestamp, level, message and fields, and the fields of
    /// the spans it happened in (`call_id` of a call, `job` and `message_id` of a delivery).
    Json,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// sqlx URL: `sqlite://FILE` (embedded default) or `postgres://…`.
    pub url: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://var/faxvox.db".into(),
        }
    }
}

impl Config {
    /// Loads the configuration as described in the module documentation.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let (table, origin) = match explicit {
            Some(path) => (read_table(path)?, path.display().to_string()),
            None => {
                let candidates = [
                    PathBuf::from("faxvox.toml"),
                    PathBuf::from("/etc/faxvox/faxvox.toml"),
                ];
                match candidates.iter().find(|p| p.is_file()) {
                    Some(p) => (read_table(p)?, p.display().to_string()),
                    None => (toml::Table::new(), "built-in defaults".to_string()),
                }
            }
        };
        let env: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX) && !ENV_NOT_KEYS.contains(&k.as_str()))
            .collect();
        Config::from_parts(table, &origin, &env)
    }

    /// Builds a configuration from a parsed file and a list of `FAXVOX_*` overrides.
    pub fn from_parts(
        mut table: toml::Table,
        origin: &str,
        env: &[(String, String)],
    ) -> Result<Config, ConfigError> {
        let defaults = defaults_table();
        for (var, value) in env {
            let (section, key) =
                split_env_key(var, &defaults).ok_or_else(|| ConfigError::UnknownKey {
                    origin: "environment".into(),
                    key: var.clone(),
                })?;
            let template = &defaults[&section][&key];
            let parsed = env_value(template, value).map_err(|message| ConfigError::BadValue {
                origin: "environment".into(),
                key: var.clone(),
                message,
            })?;
            let entry = table
                .entry(section.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => {
                    t.insert(key, parsed);
                }
                _ => {
                    return Err(ConfigError::BadValue {
                        origin: origin.into(),
                        key: section,
                        message: "must be a table".into(),
                    })
                }
            }
        }
        let config: Config = serde_path_to_error::deserialize(toml::Value::Table(table))
            .map_err(|e| classify(origin, e))?;
        config.validate(origin)?;
        Ok(config)
    }

    fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let bad = |key: &str, message: String| ConfigError::BadValue {
            origin: origin.into(),
            key: key.into(),
            message,
        };
        let named = |e: crate::settings::BadSetting| bad(e.key, e.message);
        self.fax.check().map_err(&named)?;
        self.media.check().map_err(&named)?;
        self.spool.check().map_err(&named)?;
        self.smtp.check().map_err(&named)?;
        self.sip.check().map_err(&named)?;
        self.voicemail.check().map_err(&named)?;
        self.billing.check().map_err(&named)?;
        self.trunk.check().map_err(&named)?;
        self.outbound.check().map_err(&named)?;
        self.api.check().map_err(&named)?;
        self.render.check().map_err(&named)?;
        self.metrics.check().map_err(&named)?;
        self.mail_in.check().map_err(&named)?;
        if self.log.level.trim().is_empty() {
            return Err(bad("log.level", "must not be empty".into()));
        }
        Ok(())
    }
}

/// The gateway's sections.
impl From<Config> for crate::gateway::GatewayConfig {
    fn from(c: Config) -> Self {
        crate::gateway::GatewayConfig {
            sip: c.sip,
            media: c.media,
            fax: c.fax,
            voicemail: c.voicemail,
        }
    }
}

/// The gateway's sections.
impl From<&Config> for crate::gateway::GatewayConfig {
    fn from(c: &Config) -> Self {
        c.clone().into()
    }
}

/// The delivery worker's sections.
impl From<&Config> for crate::worker::WorkerConfig {
    fn from(c: &Config) -> Self {
        crate::worker::WorkerConfig {
            smtp: c.smtp.clone(),
            delivery: c.delivery.clone(),
            retention: c.retention.clone(),
        }
    }
}

/// The outbound dialer's sections.
impl From<&Config> for crate::outbound::DialerConfig {
    fn from(c: &Config) -> Self {
        crate::outbound::DialerConfig {
            sip: c.sip.clone(),
            media: c.media.clone(),
            fax: c.fax.clone(),
            trunk: c.trunk.clone(),
            billing: c.billing.clone(),
            smtp: c.smtp.clone(),
            delivery: c.delivery.clone(),
            outbound: c.outbound.clone(),
        }
    }
}

/// The HTTP API's sections.
impl From<&Config> for crate::api::ServiceConfig {
    fn from(c: &Config) -> Self {
        crate::api::ServiceConfig {
            api: c.api.clone(),
            billing: c.billing.clone(),
            trunk: c.trunk.clone(),
            render: c.render.clone(),
        }
    }
}

fn read_table(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

fn defaults_table() -> toml::Table {
    toml::Table::try_from(Config::default()).expect("defaults serialise")
}

/// `FAXVOX_MEDIA_REORDER_MS` → ("media", "reorder_ms"), when that key exists.
fn split_env_key(var: &str, defaults: &toml::Table) -> Option<(String, String)> {
    let rest = var.strip_prefix(ENV_PREFIX)?.to_ascii_lowercase();
    defaults.iter().find_map(|(section, keys)| {
        let key = rest.strip_prefix(section.as_str())?.strip_prefix('_')?;
        keys.as_table()?
            .contains_key(key)
            .then(|| (section.clone(), key.to_string()))
    })
}

/// Parses an environment value with the type of the key's default.
fn env_value(template: &toml::Value, raw: &str) -> Result<toml::Value, String> {
    match template {
        toml::Value::String(_) => Ok(toml::Value::String(raw.to_string())),
        toml::Value::Boolean(_) => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(toml::Value::Boolean(true)),
            "false" | "0" | "no" | "off" => Ok(toml::Value::Boolean(false)),
            other => Err(format!("{other:?} is not a boolean (true/false)")),
        },
        toml::Value::Integer(_) => raw
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| format!("{raw:?} is not a whole number")),
        toml::Value::Float(_) => raw
            .trim()
            .parse::<f64>()
            .map(toml::Value::Float)
            .map_err(|_| format!("{raw:?} is not a number")),
        toml::Value::Array(_) => Ok(toml::Value::Array(
            raw.split(',')
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_string()))
                .collect(),
        )),
        _ => Err("cannot be set from the environment".into()),
    }
}

fn classify(origin: &str, err: serde_path_to_error::Error<toml::de::Error>) -> ConfigError {
    let path = err.path().to_string();
    let message = err.inner().to_string();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let field = rest.split('`').next().unwrap_or_default();
        let key = if path == "." || path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        };
        return ConfigError::UnknownKey {
            origin: origin.into(),
            key,
        };
    }
    ConfigError::BadValue {
        origin: origin.into(),
        key: path,
        message: message.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::call::T38Policy;
    use std::net::IpAddr;
    use std::time::Duration;

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_parts(text.parse().unwrap(), "test.toml", &env)
    }

    #[test]
    fn example_lists_every_key_with_its_default() {
        let example: toml::Table = EXAMPLE.parse().expect("example parses");
        let defaults = defaults_table();
        assert_eq!(
            example, defaults,
            "samples/faxvox.example.toml drifted from defaults"
        );
    }

    #[test]
    fn mail_in_keys_from_file_and_environment() {
        let c = load("", &[]).unwrap();
        assert!(!c.mail_in.enabled());
        let c = load(
            "[mail_in]\ndomain = \"fax.example\"\n",
            &[
                ("FAXVOX_MAIL_IN_LISTEN", "127.0.0.1:2525"),
                ("FAXVOX_MAIL_IN_DNS", "127.0.0.1:5353"),
                ("FAXVOX_MAIL_IN_BODY_AS_COVER", "yes"),
                ("FAXVOX_MAIL_IN_MAX_PER_SENDER_PER_HOUR", "5"),
            ],
        )
        .unwrap();
        assert_eq!(c.mail_in.listen, Some("127.0.0.1:2525".parse().unwrap()));
        assert_eq!(c.mail_in.dns, Some("127.0.0.1:5353".parse().unwrap()));
        assert!(c.mail_in.body_as_cover);
        assert_eq!(c.mail_in.max_per_sender_per_hour, 5);
        let e = load("", &[("FAXVOX_MAIL_IN_LISTEN", "0.0.0.0:25")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("mail_in.domain"), "{e}");
        let e = load("[mail_in]\nlisten = \"nowhere\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("mail_in.listen"), "{e}");
    }

    #[test]
    fn render_limits_are_checked_and_overridable() {
        let c = load(
            "[render]\ntimeout_secs = 5\n",
            &[("FAXVOX_RENDER_MAX_CONCURRENT", "4")],
        )
        .unwrap();
        assert_eq!((c.render.timeout_secs, c.render.max_concurrent), (5, 4));
        assert_eq!(c.render.max_pixels, 64_000_000);
        for bad in [
            "max_pages = 201",
            "max_pages = 0",
            "timeout_secs = 0",
            "memory_mb = 16",
            "max_concurrent = 0",
        ] {
            let e = load(&format!("[render]\n{bad}\n"), &[])
                .unwrap_err()
                .to_string();
            let key = bad.split(' ').next().unwrap();
            assert!(e.contains(&format!("render.{key}")), "{bad}: {e}");
        }
    }

    #[test]
    fn env_overrides_file() {
        let c = load(
            "[spool]\ndir = \"/a\"\n[fax]\necm = true\n",
            &[
                ("FAXVOX_SPOOL_DIR", "/b"),
                ("FAXVOX_FAX_ECM", "off"),
                ("FAXVOX_MEDIA_REORDER_MS", "200"),
                ("FAXVOX_FAX_STATION_ID", "+33 1 23"),
            ],
        )
        .unwrap();
        assert_eq!(c.spool.dir, PathBuf::from("/b"));
        assert!(!c.fax.ecm);
        assert_eq!(c.media.reorder_ms, 200);
        assert_eq!(c.fax.station_id, "+33 1 23");
    }

    #[test]
    fn records_retention_has_a_short_name() {
        let c = load("[retention]\nrecords = 24\n", &[]).unwrap();
        assert_eq!(c.retention.records_months, 24);
        let c = load("[retention]\nrecords_months = 6\n", &[]).unwrap();
        assert_eq!(c.retention.records_months, 6);
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = load("[fax]\necn = true\n", &[]).unwrap_err().to_string();
        assert!(e.contains("fax.ecn"), "{e}");
        let e = load("[faxx]\n", &[]).unwrap_err().to_string();
        assert!(e.contains("faxx"), "{e}");
        let e = load("", &[("FAXVOX_SPOOL_DIRECTORY", "/x")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("FAXVOX_SPOOL_DIRECTORY"), "{e}");
    }

    #[test]
    fn sip_and_voicemail_keys() {
        let c = load("", &[]).unwrap();
        assert!(c.sip.tcp);
        assert_eq!(c.sip.rtp_ports.range(), 20000..=29999);
        assert_eq!(c.sip.media_ip(), IpAddr::from([127, 0, 0, 1]));
        assert!(c.sip.media_ip_is_loopback_fallback());
        assert!(c.sip.is_trusted("127.0.0.1".parse().unwrap()));
        assert!(c.sip.is_trusted("::1".parse().unwrap()));
        assert!(c.sip.is_trusted("::ffff:127.0.0.9".parse().unwrap()));
        assert!(!c.sip.is_trusted("10.0.0.1".parse().unwrap()));
        let call = c.sip.call_config();
        assert_eq!(call.t38, T38Policy::Request);
        assert_eq!(call.ced_window, Duration::from_secs(3));
        assert_eq!(call.max_duration, Some(Duration::from_secs(3600)));
        let vm = c.voicemail.session_config(vec![1, 2]);
        assert_eq!(vm.max_record, Duration::from_secs(180));
        assert_eq!(vm.trailing_silence, Duration::from_secs(10));
        assert_eq!(vm.min_message, Duration::from_secs(1));
        assert_eq!(vm.greeting, [1, 2]);
        let limits = c.sip.conn_limits();
        assert_eq!(limits, crate::sip::conn::ConnLimits::default());
        assert_eq!(limits.max_total, 1000);
        assert_eq!(limits.max_per_source, 32);
        assert_eq!(limits.handshake_timeout, Duration::from_secs(10));
        assert_eq!(limits.first_request_timeout, Duration::from_secs(10));
        assert_eq!(limits.idle_timeout, Duration::from_secs(120));

        let c = load(
            "[sip]\nlisten = \"192.0.2.10:5070\"\nt38 = \"Off\"\nmax_call_secs = 0\n",
            &[("FAXVOX_SIP_TRUSTED", "10.1.2.0/24, 192.0.2.7,2001:db8::/32")],
        )
        .unwrap();
        assert_eq!(c.sip.media_ip(), IpAddr::from([192, 0, 2, 10]));
        assert!(!c.sip.media_ip_is_loopback_fallback());
        assert_eq!(c.sip.t38, T38Policy::Off);
        assert_eq!(c.sip.max_call_duration(), None);
        assert!(c.sip.is_trusted("10.1.2.200".parse().unwrap()));
        assert!(!c.sip.is_trusted("10.1.3.1".parse().unwrap()));
        assert!(c.sip.is_trusted("192.0.2.7".parse().unwrap()));
        assert!(!c.sip.is_trusted("192.0.2.8".parse().unwrap()));
        assert!(c.sip.is_trusted("2001:db8::5".parse().unwrap()));
        assert!(!c.sip.is_trusted("127.0.0.1".parse().unwrap()));

        let c = load(
            "[sip]\nlisten = \"[::]:5060\"\nmedia_ip = \"203.0.113.5\"\n",
            &[],
        )
        .unwrap();
        assert_eq!(c.sip.media_ip(), IpAddr::from([203, 0, 113, 5]));
        let c = load("[sip]\nlisten = \"[::]:5060\"\n", &[]).unwrap();
        assert_eq!(c.sip.media_ip(), "::1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn bad_sip_and_voicemail_values_are_named() {
        for (text, key) in [
            ("[sip]\nlisten = \"nowhere\"\n", "sip.listen"),
            ("[sip]\ntrusted = [\"10.0.0.0/33\"]\n", "sip.trusted"),
            ("[sip]\ntrusted = [\"lan\"]\n", "sip.trusted"),
            ("[sip]\ntrusted = []\n", "sip.trusted"),
            ("[sip]\nrtp_ports = \"20001-29999\"\n", "sip.rtp_ports"),
            ("[sip]\nrtp_ports = \"30000-20000\"\n", "sip.rtp_ports"),
            ("[sip]\nrtp_ports = \"80-1000\"\n", "sip.rtp_ports"),
            ("[sip]\nrtp_ports = \"20000\"\n", "sip.rtp_ports"),
            ("[sip]\nmedia_ip = \"host.example\"\n", "sip.media_ip"),
            ("[sip]\nmedia_ip = \"0.0.0.0\"\n", "sip.media_ip"),
            ("[sip]\nmax_calls = 0\n", "sip.max_calls"),
            (
                "[sip]\nrtp_port_rest_secs = 86400\n",
                "sip.rtp_port_rest_secs",
            ),
            ("[sip]\nmax_connections = 0\n", "sip.max_connections"),
            (
                "[sip]\nmax_connections = 10\nmax_connections_per_source = 11\n",
                "sip.max_connections_per_source",
            ),
            ("[sip]\ntls_handshake_secs = 0\n", "sip.tls_handshake_secs"),
            (
                "[sip]\nfirst_request_secs = 301\n",
                "sip.first_request_secs",
            ),
            (
                "[sip]\nconnection_idle_secs = 0\n",
                "sip.connection_idle_secs",
            ),
            ("[sip]\nt38 = \"always\"\n", "sip.t38"),
            ("[sip]\nced_window_ms = 70000\n", "sip.ced_window_ms"),
            ("[sip]\ntcp = \"yes\"\n", "sip.tcp"),
            ("[voicemail]\nmax_secs = 0\n", "voicemail.max_secs"),
            ("[voicemail]\nmin_secs = 200\n", "voicemail.min_secs"),
            (
                "[voicemail]\nsilence_secs = 500\n",
                "voicemail.silence_secs",
            ),
            ("[voicemail]\nmax_sec = 5\n", "voicemail.max_sec"),
        ] {
            let e = load(text, &[]).unwrap_err().to_string();
            assert!(e.contains(key), "{text}: {e}");
        }
        let e = load("", &[("FAXVOX_SIP_TRUSTED", "10.0.0.0/8,bogus")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("sip.trusted") && e.contains("bogus"), "{e}");
    }

    #[test]
    fn sip_attack_limits_keys() {
        let c = load("", &[]).unwrap();
        let g = c.sip.guard_limits();
        assert_eq!((g.rate, g.burst, g.max_transactions), (10, 20, 1000));
        assert_eq!(g.auth_max_failures, 5);
        assert_eq!(g.auth_failure_window, Duration::from_secs(60));
        assert_eq!(g.auth_lockout, Duration::from_secs(300));
        assert_eq!(
            (
                c.sip.max_calls_per_source,
                c.sip.max_calls_per_account,
                c.sip.max_calls_per_line
            ),
            (10, 50, 10)
        );
        let ha1 = "0123456789abcdef0123456789ABCDEF";
        let c = load(
            &format!(
                "[sip]\nauth_users = [\"office:ha1:{ha1}\", \"bob:pw\"]\n\
                 auth_accounts = [\"office:acme\"]\nuntrusted_rate = 0\n"
            ),
            &[],
        )
        .unwrap();
        assert_eq!(c.sip.auth_account("office"), Some("acme"));
        assert_eq!(c.sip.auth_account("bob"), None);
        assert_eq!(c.sip.guard_limits().rate, 0);
        for (text, key) in [
            ("auth_users = [\"office:ha1:1234\"]", "sip.auth_users"),
            ("auth_accounts = [\"nobody:acme\"]", "sip.auth_accounts"),
            (
                "auth_users = [\"a:b\"]\nauth_accounts = [\"a\"]",
                "sip.auth_accounts",
            ),
            ("untrusted_burst = 0", "sip.untrusted_burst"),
            ("auth_lockout_secs = 0", "sip.auth_lockout_secs"),
        ] {
            let e = load(&format!("[sip]\n{text}\n"), &[])
                .unwrap_err()
                .to_string();
            assert!(e.contains(key), "{text}: {e}");
        }
    }

    #[test]
    fn sip_tls_and_digest_keys() {
        let c = load("", &[]).unwrap();
        assert_eq!(c.sip.tls_listen, None);
        assert_eq!(c.sip.auth_realm, "faxvox");
        assert!(c.sip.auth_user_list().is_empty());
        let c = load(
            "[sip]\nauth_realm = \"pbx.example\"\nauth_users = [\"office:pw\"]\n",
            &[("FAXVOX_SIP_AUTH_USERS", "alice:s3cret, bob:with:colons")],
        )
        .unwrap();
        assert_eq!(c.sip.auth_realm, "pbx.example");
        assert_eq!(
            c.sip.auth_user_list(),
            [
                ("alice".to_string(), "s3cret".to_string()),
                ("bob".to_string(), "with:colons".to_string())
            ]
        );

        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p.display().to_string()
        };
        let ident = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let cert = write("cert.pem", &ident.cert.pem());
        let key = write("key.pem", &ident.signing_key.serialize_pem());
        let wrong_key = write("other.pem", &other.signing_key.serialize_pem());
        let junk = write("junk.pem", "hello");
        let missing = dir.path().join("missing.pem").display().to_string();
        let tls = |listen: &str, cert: &str, key: &str| {
            format!(
                "[sip]\ntls_listen = \"{listen}\"\ntls_cert = \"{cert}\"\ntls_key = \"{key}\"\n"
            )
        };
        let c = load(&tls("127.0.0.1:5061", &cert, &key), &[]).unwrap();
        assert_eq!(c.sip.tls_listen, Some("127.0.0.1:5061".parse().unwrap()));
        for (text, key_name, detail) in [
            (tls("nowhere", &cert, &key), "sip.tls_listen", "nowhere"),
            (tls("", &cert, &key), "sip.tls_listen", "tls_cert"),
            (tls("0.0.0.0:5060", &cert, &key), "sip.tls_listen", "5060"),
            (tls("0.0.0.0:5061", "", &key), "sip.tls_cert", "required"),
            (tls("0.0.0.0:5061", &cert, ""), "sip.tls_key", "required"),
            (
                tls("0.0.0.0:5061", &missing, &key),
                "sip.tls_cert",
                "missing.pem",
            ),
            (
                tls("0.0.0.0:5061", &cert, &missing),
                "sip.tls_key",
                "missing.pem",
            ),
            (tls("0.0.0.0:5061", &junk, &key), "sip.tls_cert", "junk.pem"),
            (tls("0.0.0.0:5061", &cert, &junk), "sip.tls_key", "junk.pem"),
            (
                tls("0.0.0.0:5061", &cert, &wrong_key),
                "sip.tls_key",
                "other.pem",
            ),
            (tls("0.0.0.0:5061", &key, &key), "sip.tls_cert", "key.pem"),
            (
                "[sip]\nauth_users = [\"alice\"]\n".into(),
                "sip.auth_users",
                "user:password",
            ),
            (
                "[sip]\nauth_users = [\":pw\"]\n".into(),
                "sip.auth_users",
                "empty",
            ),
            (
                "[sip]\nauth_users = [\"a b:pw\"]\n".into(),
                "sip.auth_users",
                "a b",
            ),
            (
                "[sip]\nauth_users = [\"a:1\", \"a:2\"]\n".into(),
                "sip.auth_users",
                "twice",
            ),
            (
                "[sip]\nauth_realm = \"\"\n".into(),
                "sip.auth_realm",
                "non-empty",
            ),
            (
                "[sip]\nauth_realm = \"a\\\"b\"\n".into(),
                "sip.auth_realm",
                "quotes",
            ),
        ] {
            let e = load(&text, &[]).unwrap_err().to_string();
            assert!(e.contains(key_name) && e.contains(detail), "{text}: {e}");
        }
    }

    #[test]
    fn bad_values_are_named() {
        let e = load("[fax]\necm = \"maybe\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("fax.ecm"), "{e}");
        let e = load("", &[("FAXVOX_MEDIA_REORDER_MS", "lots")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("FAXVOX_MEDIA_REORDER_MS"), "{e}");
        let e = load("[media]\nreorder_ms = 5\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("media.reorder_ms"), "{e}");
        let e = load("[fax]\nstation_id = \"ACME Corp\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("fax.station_id"), "{e}");
    }

    #[test]
    fn page_length_limit_is_validated() {
        assert_eq!(Config::default().fax.max_page_length_mm, 600);
        for bad in ["0", "100", "379", "2001"] {
            let e = load(&format!("[fax]\nmax_page_length_mm = {bad}\n"), &[])
                .unwrap_err()
                .to_string();
            assert!(e.contains("fax.max_page_length_mm"), "{bad}: {e}");
        }
        let c = load("", &[("FAXVOX_FAX_MAX_PAGE_LENGTH_MM", "1000")]).unwrap();
        assert_eq!(c.fax.max_page_length_mm, 1000);
    }
}
