//! faxvox: a fax-to-email and voicemail media gateway.
//!
//! # Layers
//! Top-level modules depend only downwards (`scripts/check-layers` keeps it so):
//! - leaves: [`jobs`] (what a spool job holds), [`money`], [`text`], [`redact`], [`fsutil`],
//!   [`settings`] (value types shared by the modules' settings), [`metrics`] (the node's
//!   counters on atomics, health, and their HTTP listener);
//! - protocols: [`media`] (RTP, UDPTL, reorder buffer, RFC 4733, network simulator), then
//!   [`sip`] (per-call state machine, SDP, T.38, digest, guard; `sip::stack` wraps rsipstack),
//!   [`fax`] (spandsp sessions) and [`voicemail`];
//! - per call: [`call`], the sans-IO [`call::media_call::MediaCall`] and its tokio driver, the
//!   port pool, the drive loop of one call, outgoing calls and the fax simulator;
//! - services: [`directory`], [`billing`], [`delivery`], [`webhook`], [`gateway`], [`outbound`],
//!   [`worker`], then [`api`] and [`mail_in`] (email-to-fax: the SMTP listener);
//! - the edge: [`cli`], with [`config`], which gathers the settings each module owns and is
//!   named nowhere else.
//!
//! Pure media transforms live in `faxvox-codecs`, the durable job spool in `faxvox-spool`.
//!
//! # The journey of a fax
//! In: `cli::serve` starts the stack; `sip::stack::router` classifies the INVITE and applies
//! the guard; `gateway::server` admits and routes it (directory lookup, limits) and answers
//! through `sip::call`; `call::driver` feeds the datagrams to `call::media_call`, which runs
//! `fax::session` over G.711 or T.38 (or `voicemail::session`); `call::drive` ends the call and
//! `gateway::commit` writes the spool job and call record; `worker` renders the PDF and
//! `delivery` emails it.
//!
//! Out: `cli::send`, the `api` or `mail_in::accept` (a mail to `<number>@<mail_in.domain>`,
//! its sender allowed and authenticated) call `outbound::submit` (own caller id, price, room
//! under the ceiling, bounded rendering, reservation, spool job); `outbound::dialer` claims
//! the job, `outbound::ladder::next` decides each step, `call::dial` places the call; on the
//! end the ledger settles the confirmed pages and `outbound::status` queues the status email
//! that `worker::fax_status` composes (to the mail's sender for a fax sent by email). README "How the code is built" names the files.

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
pub mod mail_in;
pub mod media;
pub mod metrics;
pub mod money;
pub mod outbound;
pub mod redact;
pub mod settings;
pub mod sip;
pub mod text;
pub mod voicemail;
pub mod webhook;
pub mod worker;
