//! The per-call media task and the media transport over simulated links.

mod channel;
mod pipeline;
