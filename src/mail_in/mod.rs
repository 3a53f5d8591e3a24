//! Email-to-fax: mail received by faxvox's own SMTP listener becomes an outbound fax.
//!
//! A service like [`crate::outbound`]: it may use the directory, billing and outbound, never
//! the configuration of the edge. [`auth`] decides whether the sender is who the From header
//! says (DMARC: aligned SPF or DKIM), [`rate`] keeps one sender from flooding the queue.

pub mod auth;
pub mod rate;
