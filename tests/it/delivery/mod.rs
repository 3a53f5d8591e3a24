//! Email composition, Maildir and SMTP delivery.

mod burst;
mod compose;
mod smtp;
mod webhook;
