//! Media transport: RTP packets, the fixed reorder buffer, RFC 4733 events, UDPTL for T.38 and a
//! simulated network for tests and `fax-sim`, all sans-IO. The media of one call, its sockets
//! and its sessions live in [`crate::call`].

pub mod dtmf;
pub mod netsim;
pub mod reorder;
pub mod rtp;
pub mod settings;
pub mod udptl;

/// A fax tone the media layer heard from the peer (spandsp `modem_connect_tones_rx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaxToneHeard {
    /// 2100 Hz answer tone. Ambiguous (data modems, echo-canceller disable): logged only on
    /// an inbound call, where the peer is the sender.
    Ced,
    /// V.21 HDLC preamble: definitively fax. On a fax line, ask for T.38 at once.
    V21Preamble,
    /// 1100 Hz calling tone: the caller is a fax machine. On a voice line, the call becomes a
    /// fax reception and the CED window starts.
    Cng,
}

pub use settings::{MediaConfig, PortRange};
