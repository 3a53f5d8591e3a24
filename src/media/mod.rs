//! Media transport: RTP packets, the fixed reorder buffer, UDPTL for T.38, a simulated network
//! for tests and `fax-sim` (all sans-IO), and the real-time side: the port pool and the per-call
//! media task that opens sockets and drives the fax and voicemail sessions.

pub mod channel;
pub mod dtmf;
pub mod netsim;
pub mod ports;
pub mod reorder;
pub mod rtp;
pub mod settings;
pub mod udptl;

pub use settings::{MediaConfig, PortRange};
