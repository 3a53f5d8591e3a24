//! Email delivery: turns a captured fax, voicemail or missed call into an email and hands it
//! to an SMTP relay or a local Maildir.
//!
//! The pieces are deliberately separate so the delivery worker can retry without recomposing
//! differently and tests can check each step on its own:
//! - [`compose`] builds RFC 5322 bytes from plain data ([`Message`]), no spool or database
//!   inside, with subject and bodies rendered from [`templates`] in the account's language and
//!   time zone;
//! - [`transport`] sends those bytes ([`Transport::send`]) and classifies the result into
//!   [`SendOutcome`] (delivered / try again later / give up);
//! - [`notice`] composes the message that tells the administrator a job is dead;
//! - [`account_mail`] composes what an account is told about its sending: an outbound fax's
//!   status, an out-of-plan ceiling reached.

pub mod account_mail;
pub mod compose;
pub mod maildir;
pub mod notice;
pub mod phone;
pub mod settings;
pub mod templates;
pub mod transport;

/// Every value a caller controls goes through it before it reaches an email.
pub use crate::text::sanitize_text;
pub use account_mail::{CeilingNotice, FaxStatus};
pub use compose::{
    Attachment, Composed, Composer, FaxDetails, FaxQuality, Kind, Locale, Media, Message,
    OmitReason, PageCutDetails,
};
pub use notice::DeadJob;
pub use settings::{DeliveryConfig, SmtpConfig, VoicemailFormat};
pub use templates::Templates;
pub use transport::{Rejection, SendOutcome, Transport, TransportKind};

use std::path::PathBuf;

use thiserror::Error;

/// Errors that stop a message from being composed or a transport from being built. Send
/// failures are not errors: they are a [`SendOutcome`] the worker acts on.
#[derive(Debug, Error)]
pub enum DeliveryError {
    #[error("invalid email address {address:?}: {reason}")]
    InvalidAddress { address: String, reason: String },
    #[error("message for job {job} has no recipient")]
    NoRecipients { job: String },
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("cannot read template override {path}: {source}")]
    TemplateRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("bad smtp.url {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot read CA certificate file {path}: {source}")]
    CaRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("an SMTP transport must be built inside a Tokio runtime")]
    NoRuntime,
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("cannot build the email: {0}")]
    Build(std::io::Error),
}
