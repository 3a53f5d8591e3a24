//! Call control, the SIP stack and its TCP/TLS connections.

mod call;
mod call_outbound;
mod connections;
mod stack;
