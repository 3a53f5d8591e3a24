//! SIP signalling. So far the media negotiation half: SDP offer/answer on `sdp-types`
//! ([`sdp`]) with a typed T.38 attribute layer ([`t38`]). The rsipstack glue and the call-control
//! state machine (T.38 re-INVITE, 491 glare, fallback) will sit on top and call
//! [`sdp::SdpSession`]; nothing here touches sockets or SIP messages.

pub mod sdp;
pub mod t38;
