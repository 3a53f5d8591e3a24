//! Email composition, Maildir and SMTP delivery.

mod compose;
mod smtp;
