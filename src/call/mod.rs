//! The per-call runtime, between the protocols (`sip`, `media`, `fax`, `voicemail`) and the
//! services (`gateway`, `outbound`): the media of one call and who its peer is, the port pool
//! its sockets come from, the loop that drives an established call (inbound and outbound alike), the outgoing
//! dial, and the fax simulator that runs two calls' media over a simulated network.

pub mod dial;
pub mod drive;
pub mod driver;
pub mod media_call;
pub mod peer;
pub mod ports;
pub mod recv_batch;
pub mod sim;
