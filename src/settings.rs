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
        text.parse().map(Some).map_err(serde::de::Error::custom)
    }
}
