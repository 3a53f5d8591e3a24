//! faxvox: a fax-to-email and voicemail media gateway.
//!
//! Layout (see README): `config` reads the one TOML file, `media` moves packets (RTP, UDPTL,
//! reorder buffer, simulated networks), `fax` drives spandsp's T.30 engines as sans-IO
//! sessions, and `cli` is the `faxvox` command. Pure media transforms live in `faxvox-codecs`.

pub mod cli;
pub mod config;
pub mod delivery;
pub mod directory;
pub mod fax;
pub mod fsutil;
pub mod media;
pub mod sip;
pub mod voicemail;
pub mod worker;
