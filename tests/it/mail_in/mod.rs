//! Email-to-fax: sender authentication against a real DNS server, the sender allow-lists
//! through the binary.

mod auth;
mod senders;
