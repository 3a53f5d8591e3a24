//! SIP signalling, sans-IO: SDP offer/answer on `sdp-types` ([`sdp`]) with a typed T.38
//! attribute layer ([`t38`]), and the per-call state machine ([`call`]: answer, T.38
//! re-INVITE after the CED window, 491 glare with RFC 3261 timers, 488 fallback to G.711).
//! [`stack`] is the rsipstack glue: it feeds [`call::Call`] and carries out its actions on real
//! sockets; everything else here is sans-IO, including [`digest`] (the server side of SIP
//! digest authentication, used by [`stack`] to challenge untrusted callers) and [`guard`]
//! (rate limits and lock-out of untrusted sources).

pub mod call;
pub mod caller_id;
pub mod conn;
pub mod digest;
pub mod guard;
pub mod leg;
pub mod sdp;
pub mod settings;
pub mod stack;
pub mod t38;
