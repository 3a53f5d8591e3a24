//! faxvox: a fax-to-email and voicemail media gateway.
//!
//! Layout (see README): `config` reads the one TOML file; `media` moves packets (RTP, UDPTL,
//! reorder buffer, RFC 4733, simulated networks); `fax` drives spandsp's T.30 engines as
//! sans-IO sessions; `voicemail` is the sans-IO voicemail session; `sip` holds SDP and the
//! per-call state machine; `directory` the accounts and lines; `delivery` composes and sends
//! email; `worker` delivers spool jobs; `cli` is the `faxvox` command. Pure media transforms
//! live in `faxvox-codecs`, the durable job spool in `faxvox-spool`.

// `unsafe` is allowed in one module only: the spandsp FFI wrappers (`fax::spandsp`).
#![deny(unsafe_code)]

pub mod api;
pub mod billing;
pub mod call;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod directory;
pub mod fax;
pub mod fsutil;
#[doc(hidden)]
pub mod fuzzing;
pub mod gateway;
pub mod jobs;
pub mod media;
pub mod money;
pub mod outbound;
pub mod redact;
pub mod settings;
pub mod sip;
pub mod text;
pub mod voicemail;
pub mod worker;
