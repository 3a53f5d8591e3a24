//! Email-to-fax: mail received by faxvox's own SMTP listener becomes an outbound fax. Mail to
//! `<number>@<mail_in.domain>` from a sender on an account's allow-list, whose From domain
//! passes DMARC, is faxed to that number like a `faxvox send`: its attachments (PDF, TIFF,
//! PNG, JPEG) rendered in order, priced, reserved, queued, dialled and charged, and the
//! sender gets the status email.
//!
//! A service like [`crate::outbound`]: it may use the directory, billing and outbound, never
//! the configuration of the edge.
//! - [`settings`]: the `[mail_in]` section;
//! - [`smtp`]: the sans-IO SMTP server session (one per connection);
//! - [`auth`] decides whether the sender is who the From header says (DMARC: aligned SPF or
//!   DKIM), [`rate`] keeps one sender from flooding the queue;
//! - [`accept`]: what a sender, a recipient and a message must pass, and the submission;
//! - [`listener`]: the tokio listener that runs the sessions and takes their decisions.

pub mod accept;
pub mod auth;
pub mod listener;
pub mod rate;
pub mod settings;
pub mod smtp;

pub use settings::MailInConfig;
