//! The integration tests of the root crate, in one binary: one module per area, helpers in
//! `support` (also used by `benches/gateway_load.rs`). One binary links the dependency tree
//! once instead of once per test file. Run an area with `cargo test --test it e2e::`.

mod support;

mod api;
mod billing;
mod cli;
mod delivery;
mod directory;
mod e2e;
mod fax;
mod fuzz_corpus;
mod gateway;
mod mail_in;
mod media;
mod outbound;
mod sdp;
mod sip;
mod spool;
mod voicemail;
