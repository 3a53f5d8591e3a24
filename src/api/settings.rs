//! The `[api]` section of the configuration, parsed once at load.

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The HTTP API (`crate::api`): clients submit and follow faxes with bearer tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// `IP:PORT` to listen on, e.g. "127.0.0.1:8080" (behind a TLS reverse proxy). Empty: no
    /// HTTP API.
    #[serde(with = "crate::settings::blank_is_none")]
    pub listen: Option<SocketAddr>,
    /// Bearer token that sees and acts on every account's faxes (at least 16 characters).
    /// Empty: no admin access.
    pub admin_token: String,
    /// Largest request body accepted, in bytes (all documents of one fax together); larger
    /// requests are refused with 413 before they are buffered.
    pub max_upload_bytes: u64,
    /// Seconds a client has to send a request's headers (also the idle limit of a kept-alive
    /// connection): a client that trickles its headers is disconnected after that.
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a whole request, body included (408 after that); the
    /// work done once the request is in (rasterising, queueing) is not counted.
    pub request_timeout_secs: u64,
}

impl ApiConfig {
    /// The admin token is long enough; sizes and timeouts are in range.
    pub fn check(&self) -> Result<(), crate::settings::BadSetting> {
        use crate::settings::BadSetting;
        let api = self;
        if !api.admin_token.is_empty() && api.admin_token.chars().count() < 16 {
            return Err(BadSetting::new(
                "api.admin_token",
                "must be at least 16 characters (empty: no admin access)",
            ));
        }
        if !(1024..=(1u64 << 32)).contains(&api.max_upload_bytes) {
            return Err(BadSetting::new(
                "api.max_upload_bytes",
                format!("{} is outside 1024..=4294967296", api.max_upload_bytes),
            ));
        }
        for (key, secs) in [
            ("api.header_timeout_secs", api.header_timeout_secs),
            ("api.request_timeout_secs", api.request_timeout_secs),
        ] {
            if !(1..=3600).contains(&secs) {
                return Err(BadSetting::new(key, format!("{secs} is outside 1..=3600")));
            }
        }
        Ok(())
    }
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: None,
            admin_token: String::new(),
            max_upload_bytes: 20 * 1024 * 1024,
            header_timeout_secs: 10,
            request_timeout_secs: 60,
        }
    }
}

impl ApiConfig {
    /// [`ApiConfig::header_timeout_secs`] as a duration (at least one second).
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs.max(1))
    }

    /// [`ApiConfig::request_timeout_secs`] as a duration (at least one second).
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.max(1))
    }
}

/// The sections of the configuration the HTTP API runs with, handed over by the edge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceConfig {
    /// Listen address, admin token, upload and time limits.
    pub api: ApiConfig,
    /// Ceilings of the accounts submitting.
    pub billing: crate::billing::BillingConfig,
    /// Whether sending is enabled (`trunk.uri`).
    pub trunk: crate::outbound::TrunkConfig,
    /// Limits of the document renderer.
    pub render: crate::outbound::RenderConfig,
}
