//! Configuration: one TOML file, every key overridable from the environment.
//!
//! Lookup: `--config FILE` (or `FAXVOX_CONFIG`), else `./faxvox.toml`, else
//! `/etc/faxvox/faxvox.toml`, else the built-in defaults. Then each `FAXVOX_<SECTION>_<KEY>`
//! variable replaces one key (`FAXVOX_SPOOL_DIR=/srv/spool`). Unknown sections, unknown keys
//! and bad values are errors that name the key, so a typo never silently falls back to a default.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The commented example printed by `faxvox config example`. A test checks it names every key
/// and that its values are the defaults.
pub const EXAMPLE: &str = include_str!("../samples/faxvox.example.toml");

/// Prefix of every environment override.
const ENV_PREFIX: &str = "FAXVOX_";
/// Environment variables with that prefix that are not configuration keys.
const ENV_NOT_KEYS: &[&str] = &["FAXVOX_CONFIG"];

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
    pub fax: FaxConfig,
    pub media: MediaConfig,
    pub delivery: DeliveryConfig,
    pub retention: RetentionConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// tracing filter, e.g. "info" or "faxvox=debug"; RUST_LOG wins when set.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpoolConfig {
    /// Folder holding one sub-folder per job (media plus manifest).
    pub dir: PathBuf,
    /// Percentage of the spool's filesystem above which new jobs are refused (SIP 503).
    pub high_water_percent: u32,
}

impl Default for SpoolConfig {
    fn default() -> Self {
        SpoolConfig {
            dir: PathBuf::from("var/spool"),
            high_water_percent: 90,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// Relay URL (`smtp://host:587`, `smtps://user:pass@host`) or `maildir:///path`.
    /// Empty: mail goes to the local Maildir `var/maildir`.
    pub url: String,
    /// Sender address of every email.
    pub from: String,
    /// Address that gets a notice when a message cannot be delivered. Empty: none.
    pub admin: String,
    /// Seconds before an SMTP connection or command times out.
    pub timeout_secs: u32,
    /// PEM file of extra trusted CA certificates for the relay's TLS (a private CA). Empty:
    /// the bundled public roots only.
    pub ca_file: String,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            url: String::new(),
            from: "faxvox@localhost".into(),
            admin: String::new(),
            timeout_secs: 30,
            ca_file: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryConfig {
    /// Voicemail attachment format: "mp3" (compact, default) or "wav".
    pub voicemail_format: String,
    /// Attachments above this size are not attached; the email gives the job id instead.
    pub max_attachment_bytes: u64,
    /// Folder with operator templates overriding the built-in ones. Empty: built-in only.
    pub templates_dir: String,
    /// Local Maildir used when smtp.url is empty.
    pub maildir: PathBuf,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            voicemail_format: "mp3".into(),
            max_attachment_bytes: 10_000_000,
            templates_dir: String::new(),
            maildir: PathBuf::from("var/maildir"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Days a delivered message's media stays in the spool.
    pub delivered_days: u32,
    /// Days a message that could not be delivered (dead) stays in the spool.
    pub dead_days: u32,
    /// Months call/fax detail records are kept.
    pub records_months: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            delivered_days: 30,
            dead_days: 90,
            records_months: 12,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SipConfig {
    /// Address and port the gateway listens on (UDP and TCP).
    pub listen: String,
}

impl Default for SipConfig {
    fn default() -> Self {
        SipConfig {
            listen: "0.0.0.0:5060".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaxConfig {
    /// T.30 error correction mode; strongly recommended over IP.
    pub ecm: bool,
    /// Our station identifier (TSI/CSI), at most 20 characters of digits, `+` and spaces.
    pub station_id: String,
    /// Highest page count accepted in one call.
    pub max_pages: u32,
}

impl Default for FaxConfig {
    fn default() -> Self {
        FaxConfig {
            ecm: true,
            station_id: String::new(),
            max_pages: 200,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Depth of the fixed RTP reorder buffer, in milliseconds (20 ms packets).
    pub reorder_ms: u32,
    /// Redundant IFP entries carried in each UDPTL datagram (0 to 8).
    pub udptl_redundancy: u32,
    /// T38FaxMaxDatagram we announce and assume when the peer gives none.
    pub t38_max_datagram: u32,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            reorder_ms: 100,
            udptl_redundancy: 3,
            t38_max_datagram: 400,
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
        let id = &self.fax.station_id;
        if id.chars().count() > 20
            || !id
                .chars()
                .all(|c| c.is_ascii_digit() || c == '+' || c == ' ')
        {
            return Err(bad(
                "fax.station_id",
                format!("{id:?}: at most 20 characters, digits, '+' and spaces only (T.30)"),
            ));
        }
        if self.fax.max_pages == 0 {
            return Err(bad("fax.max_pages", "must be at least 1".into()));
        }
        if !(20..=1000).contains(&self.media.reorder_ms) {
            return Err(bad(
                "media.reorder_ms",
                format!("{} is outside 20..=1000", self.media.reorder_ms),
            ));
        }
        if self.media.udptl_redundancy > 8 {
            return Err(bad(
                "media.udptl_redundancy",
                format!("{} is outside 0..=8", self.media.udptl_redundancy),
            ));
        }
        if !(100..=1400).contains(&self.media.t38_max_datagram) {
            return Err(bad(
                "media.t38_max_datagram",
                format!("{} is outside 100..=1400", self.media.t38_max_datagram),
            ));
        }
        if !(10..=99).contains(&self.spool.high_water_percent) {
            return Err(bad(
                "spool.high_water_percent",
                format!("{} is outside 10..=99", self.spool.high_water_percent),
            ));
        }
        if !matches!(self.delivery.voicemail_format.as_str(), "mp3" | "wav") {
            return Err(bad(
                "delivery.voicemail_format",
                format!(
                    "{:?}: must be \"mp3\" or \"wav\"",
                    self.delivery.voicemail_format
                ),
            ));
        }
        if self.smtp.timeout_secs == 0 {
            return Err(bad("smtp.timeout_secs", "must be at least 1".into()));
        }
        if self.log.level.trim().is_empty() {
            return Err(bad("log.level", "must not be empty".into()));
        }
        Ok(())
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
}
