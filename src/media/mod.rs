//! Media transport: RTP packets, the fixed reorder buffer, UDPTL for T.38, and a simulated
//! network for tests and `fax-sim`. Sans-IO: nothing here opens a socket.

pub mod dtmf;
pub mod netsim;
pub mod reorder;
pub mod rtp;
pub mod udptl;
