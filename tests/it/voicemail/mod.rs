//! Voicemail sessions on a simulated clock.

mod session;
