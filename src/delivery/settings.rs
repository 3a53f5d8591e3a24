//! The `[smtp]` and `[delivery]` sections of the configuration: where mail goes and how
//! messages are attached.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

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

impl SmtpConfig {
    /// The timeout is at least a second.
    pub fn check(&self) -> Result<(), crate::settings::BadSetting> {
        use crate::settings::BadSetting;
        if self.timeout_secs == 0 {
            return Err(BadSetting::new("smtp.timeout_secs", "must be at least 1"));
        }
        Ok(())
    }
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

/// Default of `delivery.concurrency`: enough to hide the relay's round trips behind each other
/// when hundreds of messages arrive at once, few enough for any relay's connection limit.
pub const DEFAULT_CONCURRENCY: u32 = 16;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryConfig {
    /// Voicemail attachment format: "mp3" (compact, default) or "wav".
    pub voicemail_format: VoicemailFormat,
    /// Attachments above this size are not attached; the email gives the job id instead.
    pub max_attachment_bytes: u64,
    /// Folder with operator templates overriding the built-in ones. Empty: built-in only.
    pub templates_dir: String,
    /// Local Maildir used when smtp.url is empty.
    pub maildir: PathBuf,
    /// Messages delivered at once (each one rendering or talking to the relay), and the
    /// most SMTP connections kept open to the relay (0 counts as 1).
    pub concurrency: u32,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            voicemail_format: VoicemailFormat::Mp3,
            max_attachment_bytes: 10_000_000,
            templates_dir: String::new(),
            maildir: PathBuf::from("var/maildir"),
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// Attachment format of voicemails (`delivery.voicemail_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VoicemailFormat {
    /// Compact and plays everywhere (default).
    #[default]
    Mp3,
    /// The 8 kHz 16-bit PCM recording as captured.
    Wav,
}

impl std::fmt::Display for VoicemailFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VoicemailFormat::Mp3 => "mp3",
            VoicemailFormat::Wav => "wav",
        })
    }
}
