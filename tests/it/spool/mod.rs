//! The spool admin commands and the delivery worker through the binary.

mod cli;
mod crash;
mod tls;
