//! Building blocks of the modules' settings types: each module owns its section of the
//! configuration as parsed values (addresses, networks, port ranges, policies), validated once
//! when the configuration is loaded. These helpers let such a value be written as text in the
//! file and the environment, and be left empty where empty means "none".

use std::fmt::Display;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serializer};
use thiserror::Error;

/// Why a setting's text is not a valid value; the configuration loader adds the key's name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct InvalidSetting(pub String);

/// `#[serde(with = "crate::settings::blank_is_none")]` on an `Option<T>` field: the empty
/// string (or blanks) means `None`, any other text is parsed with `T::from_str`; `None` is
/// written back as `""`, so the defaults table and `config example` keep the key.
pub mod blank_is_none {
    use super::*;

    /// Writes `None` as `""` and `Some(v)` as `v`'s text.
    pub fn serialize<T: Display, S: Serializer>(
        value: &Option<T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serializer.collect_str(v),
            None => serializer.serialize_str(""),
        }
    }

    /// Reads `""` as `None`, other text with `T::from_str`.
    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        let text = String::deserialize(deserializer)?;
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|e| serde::de::Error::custom(format!("{text:?}: {e}")))
    }
}

/// A value that passed its own parsing but breaks a rule of its section (a range, a pair of
/// keys that go together); `key` is the full key, e.g. `sip.max_calls`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{key}: {message}")]
pub struct BadSetting {
    /// The key at fault, `section.key`.
    pub key: &'static str,
    /// What is wrong with its value.
    pub message: String,
}

impl BadSetting {
    /// A bad value of `key`.
    pub fn new(key: &'static str, message: impl Into<String>) -> BadSetting {
        BadSetting {
            key,
            message: message.into(),
        }
    }
}

/// `#[serde(with = "crate::settings::text")]` on a field of a `FromStr + Display` type that
/// has no serde form of its own (a socket address): written as its text, and a bad value's
/// error quotes the text.
pub mod text {
    use super::*;

    /// Writes the value's text.
    pub fn serialize<T: Display, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Parses the text with `T::from_str`.
    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        let text = String::deserialize(deserializer)?;
        text.trim()
            .parse()
            .map_err(|e| serde::de::Error::custom(format!("{text:?}: {e}")))
    }
}
