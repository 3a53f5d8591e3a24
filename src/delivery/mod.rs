//! Email delivery: turns a captured fax, voicemail or missed call into an email and hands it
//! to an SMTP relay or a local Maildir.
//!
//! The pieces are deliberately separate so the delivery worker can retry without recomposing
//! differently and tests can check each step on its own:
//! - [`compose`] builds RFC 5322 bytes from plain data ([`Message`]), no spool or database
//!   inside, with subject and bodies rendered from [`templates`] in the account's language and
//!   time zone;
//! - [`transport`] sends those bytes ([`Transport::send`]) and classifies the result into
//!   [`Outcome`] (delivered / try again later / give up);
//! - [`notice`] composes the message that tells the administrator a job is dead.

pub mod compose;
pub mod maildir;
pub mod notice;
pub mod phone;
pub mod settings;
pub mod templates;
pub mod transport;

pub use compose::{
    Attachment, Composed, Composer, FaxDetails, FaxQuality, Kind, Locale, Media, Message,
    OmitReason, PageCutDetails,
};
pub use notice::DeadJob;
pub use settings::{DeliveryConfig, SmtpConfig, VoicemailFormat};
pub use templates::Templates;
pub use transport::{Outcome, Rejection, Transport, TransportKind};

use std::path::PathBuf;

use thiserror::Error;

/// Errors that stop a message from being composed or a transport from being built. Send
/// failures are not errors: they are an [`Outcome`] the worker acts on.
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

/// Replaces every control character (CR, LF, TAB, DEL, C1 controls, Unicode line and paragraph
/// separators, bidirectional overrides) with a space, collapses runs of white space, trims,
/// and cuts the text to `max_chars` characters.
///
/// Applied to every caller-controlled value before it reaches a header or a body, so a caller
/// name such as `"x\r\nBcc: evil@x"` cannot add a header and cannot disguise itself.
pub fn sanitize_text(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars * 4));
    let mut count = 0;
    let mut pending_space = false;
    for c in s.chars() {
        let blank = c.is_control()
            || c.is_whitespace()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}');
        if blank {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            if count + 1 >= max_chars {
                break;
            }
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        if count >= max_chars {
            break;
        }
        out.push(c);
        count += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sanitize_text;

    #[test]
    fn sanitize_removes_line_breaks_and_controls() {
        assert_eq!(sanitize_text("Zoé\r\nBcc: evil@x", 100), "Zoé Bcc: evil@x");
        assert_eq!(
            sanitize_text("  a\t\tb \u{7f}c\u{85}d\u{2028}e  ", 100),
            "a b c d e"
        );
        assert_eq!(sanitize_text("\u{202E}gnp.exe", 100), "gnp.exe");
        assert_eq!(sanitize_text("abcdef", 3), "abc");
        assert_eq!(sanitize_text("ab   cdef", 3), "ab");
        assert_eq!(sanitize_text("\r\n", 10), "");
    }
}
