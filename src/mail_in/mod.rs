//! Email-to-fax: faxvox's own SMTP listener. Mail to `<number>@<mail_in.domain>` from a sender
//! on an account's allow-list, whose From domain passes DMARC, is faxed to that number like a
//! `faxvox send`: its attachments (PDF, TIFF, PNG, JPEG) rendered in order, priced, reserved,
//! queued, dialled and charged, and the sender gets the status email.
//!
//! - [`settings`]: the `[mail_in]` section;
//! - [`smtp`]: the sans-IO SMTP server session (one per connection);
//! - [`listener`]: the tokio listener that runs the sessions and takes their decisions;
//! - [`accept`]: what a recipient, a sender and a message must pass, and the submission.

pub mod settings;
pub mod smtp;

pub use settings::MailInConfig;
