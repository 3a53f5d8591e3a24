//! UDPTL, the UDP transport for T.38 fax (ITU-T T.38 §9.1 / Annex), written to interoperate
//! with spandsp's and Asterisk's `udptl.c`.
//!
//! Why our own: the two Rust crates get it wrong: `rustrtc` truncates IFPs of 128
//! bytes or more, stalls after loss and sends redundancy oldest-first; `udptl` 0.2.0 is right
//! for redundancy but its FEC encoder corrupts data at the far end and it has no FEC decode.
//! `udptl` 0.2.0 is used in the tests as an oracle for redundancy-mode bytes only.
//!
//! # Wire format (aligned PER)
//!
//! ```text
//! UDPTLPacket ::= SEQUENCE {
//!   seq-number          INTEGER (0..65535),                      -- 2 octets, big-endian
//!   primary-ifp-packet  TYPE-IDENTIFIER.&Type(IFPPacket),       -- open type: length + octets
//!   error-recovery CHOICE {                                      -- 1 bit, padded: 0x00 / 0x80
//!     secondary-ifp-packets SEQUENCE OF TYPE-IDENTIFIER.&Type(IFPPacket),  -- count + open types
//!     fec-info SEQUENCE {
//!       fec-npackets INTEGER,                                    -- length octet + value (span)
//!       fec-data     SEQUENCE OF OCTET STRING                    -- count + (length + octets)
//!     }
//!   }
//! }
//! ```
//!
//! Length determinants use the 1-octet form below 128 and the 2-octet form (`10xxxxxx xxxxxxxx`)
//! up to 16383; the fragmented form (`11xxxxxx`) never occurs in UDPTL and is rejected.
//! Secondary IFPs are **newest first**: entry *i* of packet *s* is IFP *s−1−i*. FEC entry *m* of
//! packet *s* with `span` P and E entries is the XOR (zero-padded to the longest) of IFPs
//! *s + m − P·E + t·E* for t = 0..P, which is the spandsp/Asterisk order.
//!
//! # Sender and receiver
//!
//! [`UdptlSender`] numbers IFPs, adds redundancy (winding up from 0 entries) or FEC (only if the
//! peer offered `t38UDPFEC`), trims recovery data to fit the far end's `T38FaxMaxDatagram`, and
//! repeats a datagram `count` times with the same sequence number when spandsp's T.38 packet
//! handler asks for it. [`far_max_ifp`] is Asterisk's `calculate_far_max_ifp`, the value to give
//! spandsp's `t38_set_max_datagram_size`.
//!
//! [`UdptlReceiver`] accepts redundancy and FEC (even intermixed), recovers lost IFPs from a
//! 32-packet window, and queues IFPs in sequence order as `(seq, ifp)` for
//! `t38_core_rx_ifp_packet`. It never delivers a sequence number twice and never waits: an IFP
//! that cannot be recovered by the time a later one is delivered is counted as lost. A jump of
//! more than [`RESYNC_DISTANCE`] sequence numbers is held on probation and, if the next packet
//! follows it, the receiver restarts on the new numbering instead of stalling.
//!
//! Neither side needs a clock, so neither takes a `now`.
//!
//! An IFP recovered by FEC has the length of its parity entry (the longest IFP in its group), so
//! it may carry trailing zero octets. spandsp does the same; `t38_core_rx_ifp_packet` acts on
//! the IFP and then only logs the excess length.
//!
//! ```
//! use faxvox::media::udptl::{EcMode, UdptlReceiver, UdptlSender, UdptlSenderConfig};
//!
//! let mut tx = UdptlSender::new(UdptlSenderConfig { mode: EcMode::Redundancy, ..Default::default() });
//! let mut rx = UdptlReceiver::new();
//! let d0 = tx.send_ifp(&[0x06], 1).unwrap(); // an indicator
//! let d1 = tx.send_ifp(&[0xC0, 0x01, 0x80, 0x00, 0x00], 1).unwrap(); // lost on the way
//! let d2 = tx.send_ifp(&[0x04], 3).unwrap(); // spandsp asked for 3 copies
//! assert_eq!(d2.len(), 3);
//! rx.receive(&d0[0]).unwrap();
//! for d in &d2 {
//!     rx.receive(d).unwrap();
//! }
//! let got: Vec<(u16, Vec<u8>)> = std::iter::from_fn(|| rx.poll_ifp()).collect();
//! assert_eq!(got, vec![(0, vec![0x06]), (1, vec![0xC0, 0x01, 0x80, 0x00, 0x00]), (2, vec![0x04])]);
//! assert_eq!((rx.stats().recovered, rx.stats().duplicates), (1, 2));
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use thiserror::Error;

/// Largest length a non-fragmented PER length determinant can carry.
pub const MAX_OPEN_TYPE_LEN: usize = 16383;
/// `T38FaxMaxDatagram` assumed when the peer gives none, zero, or more than [`MAX_FAR_MAX_DATAGRAM`]
/// (Asterisk's rule).
pub const DEFAULT_FAR_MAX_DATAGRAM: u16 = 400;
/// Largest `T38FaxMaxDatagram` taken at face value (Asterisk's `FAX_MAX_DATAGRAM_LIMIT`).
pub const MAX_FAR_MAX_DATAGRAM: u16 = 1400;
/// Most redundancy entries we send; spandsp's receiver keeps only 16 secondary IFPs.
pub const MAX_REDUNDANCY_ENTRIES: u8 = 15;
/// Largest FEC coverage (span × entries) we send; spandsp and Asterisk repair within 16 slots.
pub const MAX_FEC_COVERAGE: u8 = 15;
/// Packets of history the receiver keeps for recovery (at least 16).
pub const RECOVERY_WINDOW: i64 = 32;
/// A sequence jump larger than this (either way) is held on probation as a possible restart.
pub const RESYNC_DISTANCE: i64 = 100;

/// Which part of a UDPTL packet a decoding error is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The 16-bit sequence number.
    SeqNumber,
    /// The primary IFP open type.
    PrimaryIfp,
    /// The error-recovery CHOICE octet.
    ErrorRecovery,
    /// The count of secondary IFPs.
    SecondaryCount,
    /// Secondary IFP number `n` (0 = newest).
    SecondaryIfp(usize),
    /// The `fec-npackets` integer.
    FecNpackets,
    /// The count of FEC entries.
    FecCount,
    /// FEC entry number `n`.
    FecEntry(usize),
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::SeqNumber => write!(f, "seq-number"),
            Field::PrimaryIfp => write!(f, "primary-ifp-packet"),
            Field::ErrorRecovery => write!(f, "error-recovery"),
            Field::SecondaryCount => write!(f, "secondary-ifp-packets count"),
            Field::SecondaryIfp(n) => write!(f, "secondary-ifp-packets[{n}]"),
            Field::FecNpackets => write!(f, "fec-npackets"),
            Field::FecCount => write!(f, "fec-data count"),
            Field::FecEntry(n) => write!(f, "fec-data[{n}]"),
        }
    }
}

/// Why a datagram could not be decoded or an IFP could not be sent. Decoding never panics.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UdptlError {
    /// The datagram ends inside a field.
    #[error("UDPTL datagram truncated in {0}")]
    Truncated(Field),
    /// A fragmented length determinant (`11xxxxxx`), which UDPTL never needs.
    #[error("fragmented PER length in {0} is not supported")]
    Fragmented(Field),
    /// Octets left after the error-recovery field (spandsp rejects these too).
    #[error("{0} trailing octets after the UDPTL packet")]
    TrailingBytes(usize),
    /// `fec-npackets` is empty, longer than 4 octets, or negative.
    #[error("invalid fec-npackets encoding")]
    BadFecSpan,
    /// An empty IFP was given to the sender; every T.38 IFP has at least one octet.
    #[error("refusing to send an empty IFP")]
    EmptyIfp,
    /// An IFP too long for a non-fragmented PER length.
    #[error("IFP of {0} octets exceeds the 16383-octet UDPTL limit")]
    IfpTooLong(usize),
}

/// The error-recovery part of a UDPTL packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorRecovery {
    /// Copies of earlier IFPs, newest first (`[0]` is seq − 1). Empty in no-EC mode.
    Redundancy(Vec<Vec<u8>>),
    /// Parity entries; `span` is `fec-npackets`, the number of IFPs each entry covers.
    Fec {
        /// IFPs XORed into each entry.
        span: u32,
        /// Parity entries, in spandsp/Asterisk order (see the module docs).
        entries: Vec<Vec<u8>>,
    },
}

/// One decoded UDPTL datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdptlPacket {
    /// Sequence number of the primary IFP.
    pub seq: u16,
    /// The primary IFP.
    pub primary: Vec<u8>,
    /// Redundancy or FEC data.
    pub recovery: ErrorRecovery,
}

fn push_length(out: &mut Vec<u8>, len: usize) {
    debug_assert!(len <= MAX_OPEN_TYPE_LEN);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        out.push(0x80 | (len >> 8) as u8);
        out.push(len as u8);
    }
}

fn length_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else {
        2
    }
}

/// An open type: spandsp (X.691 §10.1.3) encodes an empty value as one zero octet.
fn push_open_type(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        out.extend_from_slice(&[1, 0]);
    } else {
        push_length(out, data.len());
        out.extend_from_slice(data);
    }
}

fn open_type_len(data: &[u8]) -> usize {
    if data.is_empty() {
        2
    } else {
        length_len(data.len()) + data.len()
    }
}

/// Minimal two's-complement octets of a non-negative integer (PER unconstrained INTEGER).
struct IntegerOctets {
    bytes: [u8; 4],
    start: usize,
}

impl IntegerOctets {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    fn len(&self) -> usize {
        4 - self.start
    }
}

fn integer_octets(v: u32) -> IntegerOctets {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 3 && bytes[start] == 0 && bytes[start + 1] & 0x80 == 0 {
        start += 1;
    }
    IntegerOctets { bytes, start }
}

impl UdptlPacket {
    /// Encodes the packet. Lengths above 16383 are not representable; [`UdptlSender`] refuses
    /// such IFPs, and hand-built packets must respect the limit.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&self.seq.to_be_bytes());
        push_open_type(&mut out, &self.primary);
        match &self.recovery {
            ErrorRecovery::Redundancy(secondaries) => {
                out.push(0x00);
                push_length(&mut out, secondaries.len());
                for s in secondaries {
                    push_open_type(&mut out, s);
                }
            }
            ErrorRecovery::Fec { span, entries } => {
                out.push(0x80);
                let span = integer_octets(*span);
                out.push(span.len() as u8);
                out.extend_from_slice(span.as_slice());
                push_length(&mut out, entries.len());
                for e in entries {
                    push_length(&mut out, e.len());
                    out.extend_from_slice(e);
                }
            }
        }
        out
    }

    /// Size of [`encode`](Self::encode)'s output, without building it.
    pub fn encoded_len(&self) -> usize {
        let recovery = match &self.recovery {
            ErrorRecovery::Redundancy(s) => {
                1 + length_len(s.len()) + s.iter().map(|x| open_type_len(x)).sum::<usize>()
            }
            ErrorRecovery::Fec { span, entries } => {
                2 + integer_octets(*span).len()
                    + length_len(entries.len())
                    + entries
                        .iter()
                        .map(|e| length_len(e.len()) + e.len())
                        .sum::<usize>()
            }
        };
        2 + open_type_len(&self.primary) + recovery
    }

    /// Decodes one datagram, checking every length and that nothing trails the packet.
    pub fn decode(data: &[u8]) -> Result<UdptlPacket, UdptlError> {
        let mut r = Reader { data, pos: 0 };
        let seq = u16::from_be_bytes(
            r.take(2, Field::SeqNumber)?
                .try_into()
                .map_err(|_| UdptlError::Truncated(Field::SeqNumber))?,
        );
        let primary = r.open_type(Field::PrimaryIfp)?.to_vec();
        let choice = r.take(1, Field::ErrorRecovery)?[0];
        let recovery = if choice & 0x80 == 0 {
            let count = r.length(Field::SecondaryCount)?;
            let mut secondaries = Vec::with_capacity(count.min(r.remaining()));
            for i in 0..count {
                secondaries.push(r.open_type(Field::SecondaryIfp(i))?.to_vec());
            }
            ErrorRecovery::Redundancy(secondaries)
        } else {
            let n = usize::from(r.take(1, Field::FecNpackets)?[0]);
            let octets = r.take(n, Field::FecNpackets)?;
            if n == 0 || n > 4 || octets[0] & 0x80 != 0 {
                return Err(UdptlError::BadFecSpan);
            }
            let span = octets
                .iter()
                .fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
            let count = r.length(Field::FecCount)?;
            let mut entries = Vec::with_capacity(count.min(r.remaining()));
            for i in 0..count {
                entries.push(r.open_type(Field::FecEntry(i))?.to_vec());
            }
            ErrorRecovery::Fec { span, entries }
        };
        if r.remaining() != 0 {
            return Err(UdptlError::TrailingBytes(r.remaining()));
        }
        Ok(UdptlPacket {
            seq,
            primary,
            recovery,
        })
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    fn take(&mut self, n: usize, field: Field) -> Result<&'a [u8], UdptlError> {
        if n > self.remaining() {
            return Err(UdptlError::Truncated(field));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn length(&mut self, field: Field) -> Result<usize, UdptlError> {
        let b = self.take(1, field)?[0];
        match b >> 6 {
            0 | 1 => Ok(usize::from(b)),
            2 => {
                let lo = self.take(1, field)?[0];
                Ok((usize::from(b & 0x3F) << 8) | usize::from(lo))
            }
            _ => Err(UdptlError::Fragmented(field)),
        }
    }

    fn open_type(&mut self, field: Field) -> Result<&'a [u8], UdptlError> {
        let len = self.length(field)?;
        self.take(len, field)
    }
}

/// Error correction the sender adds, as negotiated by `T38FaxUdpEC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EcMode {
    /// No recovery data (an empty secondary list, as spandsp and Asterisk send).
    None,
    /// Copies of the previous IFPs (`t38UDPRedundancy`); what everyone accepts.
    #[default]
    Redundancy,
    /// Parity over earlier IFPs (`t38UDPFEC`); only when the peer explicitly offered it.
    Fec,
}

/// Outgoing UDPTL parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdptlSenderConfig {
    /// Error correction to add.
    pub mode: EcMode,
    /// Secondary IFPs per datagram in redundancy mode (`media.udptl_redundancy`, default 3).
    pub redundancy_entries: u8,
    /// IFPs covered by each FEC entry (default 3).
    pub fec_span: u8,
    /// FEC entries per datagram (default 3); also the interleaving stride.
    pub fec_entries: u8,
    /// The peer's `T38FaxMaxDatagram`, already passed through [`normalize_far_max_datagram`].
    pub far_max_datagram: u16,
    /// Sequence number of the first datagram (0 per T.38).
    pub initial_seq: u16,
}

impl Default for UdptlSenderConfig {
    fn default() -> Self {
        UdptlSenderConfig {
            mode: EcMode::Redundancy,
            redundancy_entries: 3,
            fec_span: 3,
            fec_entries: 3,
            far_max_datagram: DEFAULT_FAR_MAX_DATAGRAM,
            initial_seq: 0,
        }
    }
}

impl UdptlSenderConfig {
    /// Config for a negotiated T.38 session: `media.udptl_redundancy` entries, the EC mode the
    /// SDP answer settled on, and the peer's `T38FaxMaxDatagram` — falling back to
    /// `media.t38_max_datagram` when it is missing, zero or above 1400.
    pub fn negotiated(
        media: &crate::media::MediaConfig,
        mode: EcMode,
        peer_max_datagram: Option<u32>,
    ) -> Self {
        let fallback = media
            .t38_max_datagram
            .clamp(1, u32::from(MAX_FAR_MAX_DATAGRAM)) as u16;
        let far_max_datagram = match peer_max_datagram {
            Some(v) if v > 0 && v <= u32::from(MAX_FAR_MAX_DATAGRAM) => v as u16,
            _ => fallback,
        };
        UdptlSenderConfig {
            mode,
            redundancy_entries: media
                .udptl_redundancy
                .min(u32::from(MAX_REDUNDANCY_ENTRIES)) as u8,
            far_max_datagram,
            ..Default::default()
        }
    }
}

/// Applies Asterisk's rule to the peer's `T38FaxMaxDatagram`: missing, zero, or above 1400
/// becomes 400. (Values the peer gets wrong on the small side need a per-trunk override.)
pub fn normalize_far_max_datagram(advertised: Option<u32>) -> u16 {
    match advertised {
        Some(v) if v > 0 && v <= u32::from(MAX_FAR_MAX_DATAGRAM) => v as u16,
        _ => DEFAULT_FAR_MAX_DATAGRAM,
    }
}

/// Result of [`far_max_ifp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FarMaxIfp {
    /// Largest IFP to let spandsp build (`t38_set_max_datagram_size`).
    pub max_ifp: usize,
    /// Redundancy entries actually usable (reduced while the IFP would be under 80 octets).
    pub redundancy_entries: u8,
}

/// Asterisk's `calculate_far_max_ifp`: the largest IFP that still leaves room for the UDPTL
/// overhead and recovery data within the peer's max datagram, less 5% for insurance.
///
/// none: datagram − 5; redundancy: (datagram − 8) / (entries + 1), dropping entries while that
/// is under 80 but never below 1; FEC: (datagram − 10) / 2.
pub fn far_max_ifp(mode: EcMode, far_max_datagram: u16, redundancy_entries: u8) -> FarMaxIfp {
    let d = u32::from(far_max_datagram);
    let mut entries = redundancy_entries;
    let new_max = match mode {
        EcMode::None => d.saturating_sub(5),
        EcMode::Fec => d.saturating_sub(10) / 2,
        EcMode::Redundancy => loop {
            let m = d.saturating_sub(8) / (u32::from(entries) + 1);
            if m < 80 && entries > 1 {
                entries -= 1;
            } else {
                break m;
            }
        },
    };
    FarMaxIfp {
        // Same double arithmetic as Asterisk's `new_max * 0.95`.
        max_ifp: (f64::from(new_max) * 0.95) as usize,
        redundancy_entries: entries,
    }
}

/// Sender counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UdptlSenderStats {
    /// IFPs numbered and sent (repeats count once).
    pub ifps: u64,
    /// Datagrams returned, including repeats.
    pub datagrams: u64,
    /// Datagrams whose recovery data was reduced to fit the far max datagram.
    pub trimmed: u64,
    /// Datagrams larger than the far max datagram even with no recovery data (sent anyway).
    pub oversize: u64,
}

/// Builds outgoing UDPTL datagrams. See the module docs.
///
/// [`send_ifp_into`](Self::send_ifp_into) writes the datagram into a buffer the caller reuses;
/// the IFP history and FEC parity live in buffers the sender reuses, so a call allocates
/// nothing per IFP once they have grown.
#[derive(Debug, Clone)]
pub struct UdptlSender {
    config: UdptlSenderConfig,
    limits: FarMaxIfp,
    seq: u16,
    /// IFPs sent so far, newest at the back, as many as recovery can reference.
    history: VecDeque<Vec<u8>>,
    /// FEC parity entries of the datagram being built (capacity reused).
    parity: Vec<Vec<u8>>,
    sent: u64,
    stats: UdptlSenderStats,
}

impl UdptlSender {
    /// Creates a sender. Redundancy entries are reduced as in [`far_max_ifp`] and capped at
    /// [`MAX_REDUNDANCY_ENTRIES`]; FEC span × entries is capped at [`MAX_FEC_COVERAGE`].
    pub fn new(mut config: UdptlSenderConfig) -> Self {
        config.redundancy_entries = config.redundancy_entries.min(MAX_REDUNDANCY_ENTRIES);
        config.fec_span = config.fec_span.clamp(1, MAX_FEC_COVERAGE);
        config.fec_entries = config
            .fec_entries
            .clamp(1, MAX_FEC_COVERAGE / config.fec_span);
        let limits = far_max_ifp(
            config.mode,
            config.far_max_datagram,
            config.redundancy_entries,
        );
        if config.mode == EcMode::Redundancy {
            config.redundancy_entries = limits.redundancy_entries;
        }
        UdptlSender {
            config,
            limits,
            seq: config.initial_seq,
            history: VecDeque::new(),
            parity: Vec::new(),
            sent: 0,
            stats: UdptlSenderStats::default(),
        }
    }

    /// The effective configuration (after clamping).
    pub fn config(&self) -> &UdptlSenderConfig {
        &self.config
    }

    /// The largest IFP spandsp should build (Asterisk's far max IFP, see [`far_max_ifp`]).
    pub fn max_ifp(&self) -> usize {
        self.limits.max_ifp
    }

    /// Sequence number the next IFP will get.
    pub fn next_seq(&self) -> u16 {
        self.seq
    }

    /// Counters so far.
    pub fn stats(&self) -> UdptlSenderStats {
        self.stats
    }

    /// Wraps one IFP in a datagram and returns it `count` times (same sequence number), which is
    /// how spandsp's T.38 packet handler asks for indicator repeats. `count == 0` sends nothing
    /// and does not consume a sequence number.
    pub fn send_ifp(&mut self, ifp: &[u8], count: u32) -> Result<Vec<Vec<u8>>, UdptlError> {
        let mut datagram = Vec::new();
        self.send_ifp_into(ifp, count, &mut datagram)?;
        if count == 0 {
            return Ok(Vec::new());
        }
        Ok(vec![datagram; count as usize])
    }

    /// Like [`send_ifp`](Self::send_ifp), writing the datagram once into `out` (cleared
    /// first; the caller sends it `count` times). With `count == 0`, `out` stays empty and no
    /// sequence number is consumed.
    pub fn send_ifp_into(
        &mut self,
        ifp: &[u8],
        count: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), UdptlError> {
        out.clear();
        if ifp.is_empty() {
            return Err(UdptlError::EmptyIfp);
        }
        if ifp.len() > MAX_OPEN_TYPE_LEN {
            return Err(UdptlError::IfpTooLong(ifp.len()));
        }
        if count == 0 {
            return Ok(());
        }
        self.build(ifp, out);
        self.seq = self.seq.wrapping_add(1);
        self.sent += 1;
        let keep = usize::from(MAX_REDUNDANCY_ENTRIES.max(MAX_FEC_COVERAGE));
        let mut slot = if self.history.len() >= keep {
            self.history.pop_front().unwrap_or_default()
        } else {
            Vec::new()
        };
        slot.clear();
        slot.extend_from_slice(ifp);
        self.history.push_back(slot);
        self.stats.ifps += 1;
        self.stats.datagrams += u64::from(count);
        Ok(())
    }

    /// The `i`-th newest IFP sent (0: the last one).
    fn back(&self, i: usize) -> &[u8] {
        &self.history[self.history.len() - 1 - i]
    }

    fn build(&mut self, ifp: &[u8], out: &mut Vec<u8>) {
        let limit = usize::from(self.config.far_max_datagram);
        let available = self.history.len();
        let head = 2 + open_type_len(ifp);
        let len = match self.config.mode {
            EcMode::None => {
                let len = head + 1 + length_len(0);
                self.write_redundancy(ifp, 0, out);
                len
            }
            EcMode::Redundancy => {
                // Wind up from 0 entries; newest first; drop the oldest until it fits.
                let want = usize::from(self.config.redundancy_entries).min(available);
                let mut sizes = [0usize; MAX_REDUNDANCY_ENTRIES as usize + 1];
                for k in 1..=want {
                    sizes[k] = sizes[k - 1] + open_type_len(self.back(k - 1));
                }
                let total = |k: usize| head + 1 + length_len(k) + sizes[k];
                let mut k = want;
                while total(k) > limit && k > 0 {
                    k -= 1;
                }
                if k < want {
                    self.stats.trimmed += 1;
                }
                self.write_redundancy(ifp, k, out);
                total(k)
            }
            EcMode::Fec => {
                // Asterisk's wind-up: only cover IFPs actually sent.
                let span = usize::from(self.config.fec_span);
                let full = usize::from(self.config.fec_entries);
                let wound = full.min(available / span);
                let mut entries = wound;
                loop {
                    if head + self.fec_len(span, entries) <= limit || entries == 0 {
                        break;
                    }
                    entries -= 1;
                }
                if entries < wound {
                    self.stats.trimmed += 1;
                }
                self.fill_parity(span, entries);
                write_fec(
                    self.seq,
                    ifp,
                    if entries == 0 { 0 } else { span as u32 },
                    &self.parity[..entries],
                    out,
                );
                head + self.fec_len(span, entries)
            }
        };
        debug_assert_eq!(len, out.len());
        if len > limit {
            self.stats.oversize += 1;
            tracing::warn!(
                seq = self.seq,
                ifp_len = ifp.len(),
                far_max_datagram = limit,
                "UDPTL datagram exceeds the far end's T38FaxMaxDatagram; data loss may occur"
            );
        }
    }

    /// Writes the datagram with the `k` newest IFPs as secondaries.
    fn write_redundancy(&self, ifp: &[u8], k: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.seq.to_be_bytes());
        push_open_type(out, ifp);
        out.push(0x00);
        push_length(out, k);
        for i in 0..k {
            push_open_type(out, self.back(i));
        }
    }

    /// The IFP `back` places behind the datagram about to be sent that FEC entry `m` of
    /// `entries` covers at position `t` (see the module docs).
    fn covered(&self, span: usize, entries: usize, m: usize, t: usize) -> &[u8] {
        let back = span * entries - m - t * entries;
        &self.history[self.history.len() - back]
    }

    /// Size of the FEC recovery part with `entries` entries (each as long as the longest IFP
    /// it covers).
    fn fec_len(&self, span: usize, entries: usize) -> usize {
        let span_octets = integer_octets(if entries == 0 { 0 } else { span as u32 });
        let mut len = 2 + span_octets.len() + length_len(entries);
        for m in 0..entries {
            let e = (0..span)
                .map(|t| self.covered(span, entries, m, t).len())
                .max()
                .unwrap_or(0);
            len += length_len(e) + e;
        }
        len
    }

    /// Computes the `entries` parity entries into `self.parity[..entries]`.
    fn fill_parity(&mut self, span: usize, entries: usize) {
        if self.parity.len() < entries {
            self.parity.resize_with(entries, Vec::new);
        }
        let mut parity = std::mem::take(&mut self.parity);
        for (m, p) in parity.iter_mut().enumerate().take(entries) {
            p.clear();
            for t in 0..span {
                let ifp = self.covered(span, entries, m, t);
                if p.len() < ifp.len() {
                    p.resize(ifp.len(), 0);
                }
                for (x, b) in p.iter_mut().zip(ifp) {
                    *x ^= b;
                }
            }
        }
        self.parity = parity;
    }
}

/// Writes a datagram with FEC recovery data.
fn write_fec(seq: u16, ifp: &[u8], span: u32, entries: &[Vec<u8>], out: &mut Vec<u8>) {
    out.extend_from_slice(&seq.to_be_bytes());
    push_open_type(out, ifp);
    out.push(0x80);
    let span = integer_octets(span);
    out.push(span.len() as u8);
    out.extend_from_slice(span.as_slice());
    push_length(out, entries.len());
    for e in entries {
        push_length(out, e.len());
        out.extend_from_slice(e);
    }
}

/// Receiver counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UdptlReceiverStats {
    /// Well-formed datagrams received.
    pub received: u64,
    /// IFPs queued for delivery (primaries and recovered).
    pub delivered: u64,
    /// IFPs delivered from redundancy or FEC rather than their own datagram.
    pub recovered: u64,
    /// Sequence numbers skipped because nothing could recover them in time.
    pub lost: u64,
    /// Datagrams whose IFP had already been delivered (repeats, network duplicates).
    pub duplicates: u64,
    /// Datagrams arriving after their sequence number was passed without delivery.
    pub late: u64,
    /// Datagrams that failed to decode.
    pub malformed: u64,
    /// Restarts on a new numbering after a confirmed jump.
    pub resyncs: u64,
    /// Jump datagrams held on probation and then discarded.
    pub strays: u64,
}

#[derive(Debug, Clone)]
struct Slot {
    ifp: Vec<u8>,
    delivered: bool,
}

#[derive(Debug, Clone)]
struct FecRecord {
    span: i64,
    entries: Vec<Vec<u8>>,
}

/// Reassembles the IFP stream from UDPTL datagrams. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct UdptlReceiver {
    /// (unwrapped, raw) sequence of the highest packet processed; `None` before the first.
    highest: Option<(i64, u16)>,
    /// Next unwrapped sequence number to deliver.
    next: i64,
    /// Earliest unwrapped sequence number of the current stream; FEC groups reaching before it
    /// (a sender that does not wind FEC up) are not used.
    stream_start: i64,
    history: BTreeMap<i64, Slot>,
    fec: BTreeMap<i64, FecRecord>,
    candidate: Option<UdptlPacket>,
    out: VecDeque<(u16, Vec<u8>)>,
    stats: UdptlReceiverStats,
}

/// Where unwrapped sequence numbers start, far from zero so window arithmetic stays positive.
const SEQ_BASE: i64 = 1 << 32;

impl UdptlReceiver {
    /// Creates a receiver that accepts any first sequence number.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counters so far.
    pub fn stats(&self) -> UdptlReceiverStats {
        self.stats
    }

    /// Decodes and processes one datagram, queueing any IFPs it makes deliverable. Returns how
    /// many were queued; malformed input is counted and returned as an error.
    pub fn receive(&mut self, datagram: &[u8]) -> Result<usize, UdptlError> {
        let packet = match UdptlPacket::decode(datagram) {
            Ok(p) => p,
            Err(e) => {
                self.stats.malformed += 1;
                return Err(e);
            }
        };
        Ok(self.receive_packet(packet))
    }

    /// Processes an already decoded packet; returns how many IFPs were queued.
    pub fn receive_packet(&mut self, packet: UdptlPacket) -> usize {
        self.stats.received += 1;
        let before = self.out.len();
        match self.highest {
            None => self.start(packet),
            Some((hext, hraw)) => {
                let delta = i64::from(packet.seq.wrapping_sub(hraw) as i16);
                if delta.abs() > RESYNC_DISTANCE {
                    self.probation(packet);
                } else {
                    if self.candidate.take().is_some() {
                        self.stats.strays += 1;
                    }
                    self.process(hext + delta, packet);
                }
            }
        }
        self.out.len() - before
    }

    /// Next IFP in sequence order, as `(seq, ifp)` for `t38_core_rx_ifp_packet`.
    pub fn poll_ifp(&mut self) -> Option<(u16, Vec<u8>)> {
        self.out.pop_front()
    }

    /// IFPs queued and not yet polled.
    pub fn pending(&self) -> usize {
        self.out.len()
    }

    fn raw_seq(&self, ext: i64) -> u16 {
        let (hext, hraw) = self.highest.unwrap_or((SEQ_BASE, 0));
        hraw.wrapping_add((ext - hext) as u16)
    }

    fn probation(&mut self, packet: UdptlPacket) {
        let follows = self.candidate.as_ref().is_some_and(|c| {
            let d = i64::from(packet.seq.wrapping_sub(c.seq));
            (1..=RECOVERY_WINDOW).contains(&d)
        });
        if !follows {
            if self.candidate.replace(packet).is_some() {
                self.stats.strays += 1;
            }
            return;
        }
        let Some(candidate) = self.candidate.take() else {
            return;
        };
        self.stats.resyncs += 1;
        self.highest = None;
        self.history.clear();
        self.fec.clear();
        self.start(candidate);
        let delta = i64::from(packet.seq.wrapping_sub(self.raw_seq(SEQ_BASE)));
        self.process(SEQ_BASE + delta, packet);
    }

    /// First packet of a stream: deliver its redundancy (oldest first), then its primary.
    fn start(&mut self, packet: UdptlPacket) {
        self.highest = Some((SEQ_BASE, packet.seq));
        let earliest = match &packet.recovery {
            ErrorRecovery::Redundancy(s) => SEQ_BASE - s.len() as i64,
            ErrorRecovery::Fec { .. } => SEQ_BASE,
        };
        self.next = earliest;
        self.stream_start = earliest;
        self.process(SEQ_BASE, packet);
    }

    fn process(&mut self, ext: i64, packet: UdptlPacket) {
        // Status of the primary, judged before this packet adds anything to the history.
        if ext < self.next {
            match self.history.get(&ext) {
                Some(slot) if slot.delivered => self.stats.duplicates += 1,
                _ => self.stats.late += 1,
            }
        }
        self.store(ext, packet.primary);
        match packet.recovery {
            ErrorRecovery::Redundancy(secondaries) => {
                for (i, s) in secondaries.into_iter().enumerate() {
                    self.store(ext - 1 - i as i64, s);
                }
            }
            ErrorRecovery::Fec { span, entries } => {
                let coverage = i64::from(span) * entries.len() as i64;
                if span > 0 && !entries.is_empty() && coverage <= RECOVERY_WINDOW {
                    self.fec.entry(ext).or_insert(FecRecord {
                        span: i64::from(span),
                        entries,
                    });
                }
            }
        }
        if ext >= self.next {
            if self.highest.is_some_and(|(h, _)| ext > h) {
                let raw = self.raw_seq(ext);
                self.highest = Some((ext, raw));
            }
            self.repair();
            for q in self.next..=ext {
                let raw = self.raw_seq(q);
                match self.history.get_mut(&q) {
                    Some(slot) => {
                        slot.delivered = true;
                        if q != ext {
                            self.stats.recovered += 1;
                        }
                        self.stats.delivered += 1;
                        self.out.push_back((raw, slot.ifp.clone()));
                    }
                    None => self.stats.lost += 1,
                }
            }
            self.next = ext + 1;
        }
        self.prune();
    }

    fn store(&mut self, ext: i64, ifp: Vec<u8>) {
        let oldest = self.highest.map_or(ext, |(h, _)| h) - RECOVERY_WINDOW;
        if ext >= oldest {
            self.history.entry(ext).or_insert(Slot {
                ifp,
                delivered: false,
            });
        }
    }

    /// Rebuilds missing IFPs from FEC parity until nothing more can be repaired.
    fn repair(&mut self) {
        let Some((highest, _)) = self.highest else {
            return;
        };
        let oldest = (highest - RECOVERY_WINDOW).max(self.stream_start);
        loop {
            let mut repaired = Vec::new();
            for (&fext, rec) in &self.fec {
                let e = rec.entries.len() as i64;
                for (m, parity) in rec.entries.iter().enumerate() {
                    if parity.is_empty() {
                        continue;
                    }
                    let first = fext + m as i64 - rec.span * e;
                    let covered: Vec<i64> = (0..rec.span).map(|t| first + t * e).collect();
                    if first < oldest {
                        continue;
                    }
                    let mut missing = covered.iter().filter(|q| !self.history.contains_key(q));
                    let (Some(&target), None) = (missing.next(), missing.next()) else {
                        continue;
                    };
                    if repaired.iter().any(|(q, _)| *q == target) {
                        continue;
                    }
                    let mut ifp = parity.clone();
                    for q in covered.iter().filter(|q| **q != target) {
                        if let Some(slot) = self.history.get(q) {
                            for (b, x) in ifp.iter_mut().zip(&slot.ifp) {
                                *b ^= x;
                            }
                        }
                    }
                    repaired.push((target, ifp));
                }
            }
            let before = self.history.len();
            for (q, ifp) in repaired {
                self.store(q, ifp);
            }
            if self.history.len() == before {
                return;
            }
        }
    }

    fn prune(&mut self) {
        let Some((highest, _)) = self.highest else {
            return;
        };
        let oldest = highest - RECOVERY_WINDOW;
        self.history = self.history.split_off(&oldest);
        self.fec = self.fec.split_off(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A recognisable IFP of `len` octets for sequence position `i`.
    fn ifp(i: usize, len: usize) -> Vec<u8> {
        (0..len).map(|k| (i * 31 + k * 7 + 1) as u8).collect()
    }

    fn drain(rx: &mut UdptlReceiver) -> Vec<(u16, Vec<u8>)> {
        std::iter::from_fn(|| rx.poll_ifp()).collect()
    }

    fn sender(mode: EcMode) -> UdptlSender {
        UdptlSender::new(UdptlSenderConfig {
            mode,
            far_max_datagram: 1400,
            ..Default::default()
        })
    }

    // ---- golden vectors, derived by hand from T.38's ASN.1 in aligned PER ----

    #[test]
    fn golden_first_packet_no_redundancy_yet() {
        // seq-number INTEGER (0..65535): range 65536 -> 2 aligned octets: 00 01.
        // primary-ifp-packet open type: length determinant 01, then the IFP 06
        //   (T.38 t30-indicator v21-preamble = 3, encoded 3 << 1).
        // error-recovery CHOICE index 0 (secondary-ifp-packets): 1 bit '0'; the SEQUENCE OF
        //   length that follows is octet-aligned, so the bit is padded to 00.
        // SEQUENCE OF count determinant: 00 (sender winds up from 0 entries).
        let bytes = [0x00, 0x01, 0x01, 0x06, 0x00, 0x00];
        let p = UdptlPacket {
            seq: 1,
            primary: vec![0x06],
            recovery: ErrorRecovery::Redundancy(vec![]),
        };
        assert_eq!(p.encode(), bytes);
        assert_eq!(UdptlPacket::decode(&bytes).unwrap(), p);
        let mut tx = UdptlSender::new(UdptlSenderConfig {
            initial_seq: 1,
            ..Default::default()
        });
        assert_eq!(tx.send_ifp(&[0x06], 1).unwrap(), vec![bytes.to_vec()]);
    }

    #[test]
    fn golden_redundancy_packet() {
        // seq 2: 00 02; primary of 5 octets: 05 c0 01 80 00 00; CHOICE 0 -> 00;
        // one secondary (seq 1's IFP 06): count 01, open type 01 06.
        let bytes = [
            0x00, 0x02, 0x05, 0xC0, 0x01, 0x80, 0x00, 0x00, 0x00, 0x01, 0x01, 0x06,
        ];
        let p = UdptlPacket::decode(&bytes).unwrap();
        assert_eq!(p.seq, 2);
        assert_eq!(p.primary, [0xC0, 0x01, 0x80, 0x00, 0x00]);
        assert_eq!(p.recovery, ErrorRecovery::Redundancy(vec![vec![0x06]]));
        assert_eq!(p.encode(), bytes);
        let mut tx = UdptlSender::new(UdptlSenderConfig {
            initial_seq: 1,
            ..Default::default()
        });
        tx.send_ifp(&[0x06], 1).unwrap();
        assert_eq!(
            tx.send_ifp(&[0xC0, 0x01, 0x80, 0x00, 0x00], 1).unwrap()[0],
            bytes
        );
    }

    #[test]
    fn golden_fec_packet() {
        // seq 0x0102: 01 02; primary 01 04; CHOICE index 1 (fec-info): bit '1' padded -> 80;
        // fec-npackets INTEGER (unconstrained): length 01, value 03;
        // fec-data SEQUENCE OF: count 01; OCTET STRING: length 02, aa bb.
        let bytes = [
            0x01, 0x02, 0x01, 0x04, 0x80, 0x01, 0x03, 0x01, 0x02, 0xAA, 0xBB,
        ];
        let p = UdptlPacket {
            seq: 0x0102,
            primary: vec![0x04],
            recovery: ErrorRecovery::Fec {
                span: 3,
                entries: vec![vec![0xAA, 0xBB]],
            },
        };
        assert_eq!(p.encode(), bytes);
        assert_eq!(UdptlPacket::decode(&bytes).unwrap(), p);
    }

    #[test]
    fn golden_two_octet_length() {
        // 300 = 0x012C >= 128 -> two-octet determinant 10 000001 00101100 = 81 2c.
        let p = UdptlPacket {
            seq: 0,
            primary: vec![0x5A; 300],
            recovery: ErrorRecovery::Redundancy(vec![]),
        };
        let b = p.encode();
        assert_eq!(&b[..4], &[0x00, 0x00, 0x81, 0x2C]);
        assert_eq!(&b[304..], &[0x00, 0x00]);
        assert_eq!(b.len(), p.encoded_len());
        // 127 still uses one octet, 128 needs two.
        for (len, det) in [(127usize, vec![0x7F]), (128, vec![0x80, 0x80])] {
            let p = UdptlPacket {
                seq: 0,
                primary: vec![1; len],
                recovery: ErrorRecovery::Redundancy(vec![]),
            };
            assert_eq!(&p.encode()[2..2 + det.len()], &det[..]);
        }
    }

    #[test]
    fn fec_span_integer_encoding() {
        for (span, octets) in [
            (0u32, vec![0x01, 0x00]),
            (127, vec![0x01, 0x7F]),
            (128, vec![0x02, 0x00, 0x80]),
            (300, vec![0x02, 0x01, 0x2C]),
        ] {
            let p = UdptlPacket {
                seq: 9,
                primary: vec![1],
                recovery: ErrorRecovery::Fec {
                    span,
                    entries: vec![],
                },
            };
            let b = p.encode();
            assert_eq!(&b[5..5 + octets.len()], &octets[..], "span {span}");
            assert_eq!(b.len(), p.encoded_len());
            assert_eq!(UdptlPacket::decode(&b).unwrap(), p);
        }
    }

    #[test]
    fn round_trip_ifp_sizes_1_to_300() {
        let mut tx = sender(EcMode::Redundancy);
        let mut rx = UdptlReceiver::new();
        let sent: Vec<Vec<u8>> = (1..=300).map(|n| ifp(n, n)).collect();
        for s in &sent {
            for d in tx.send_ifp(s, 1).unwrap() {
                let p = UdptlPacket::decode(&d).unwrap();
                assert_eq!(&p.primary, s);
                assert_eq!(d.len(), p.encoded_len());
                rx.receive(&d).unwrap();
            }
        }
        let got = drain(&mut rx);
        assert_eq!(got.len(), 300);
        for (k, (seq, data)) in got.iter().enumerate() {
            assert_eq!(usize::from(*seq), k);
            assert_eq!(data, &sent[k]);
        }
        assert_eq!(rx.stats().recovered, 0);
    }

    #[test]
    fn redundancy_winds_up_newest_first() {
        let mut tx = sender(EcMode::Redundancy);
        for i in 0..6 {
            let d = tx.send_ifp(&ifp(i, 10), 1).unwrap();
            let p = UdptlPacket::decode(&d[0]).unwrap();
            let ErrorRecovery::Redundancy(sec) = p.recovery else {
                panic!("redundancy expected")
            };
            assert_eq!(sec.len(), i.min(3), "wind-up at packet {i}");
            for (k, s) in sec.iter().enumerate() {
                assert_eq!(
                    s,
                    &ifp(i - 1 - k, 10),
                    "entry {k} must be seq {}",
                    i - 1 - k
                );
            }
        }
    }

    #[test]
    fn redundancy_3_recovers_bursts_of_1_to_3() {
        for burst in 1..=3usize {
            for start in 0..8usize {
                let mut tx = sender(EcMode::Redundancy);
                let mut rx = UdptlReceiver::new();
                let sent: Vec<Vec<u8>> = (0..20).map(|i| ifp(i, 20 + i)).collect();
                for (i, s) in sent.iter().enumerate() {
                    let d = tx.send_ifp(s, 1).unwrap();
                    if !(start..start + burst).contains(&i) {
                        rx.receive(&d[0]).unwrap();
                    }
                }
                let got = drain(&mut rx);
                let expect: Vec<(u16, Vec<u8>)> = sent
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (i as u16, s.clone()))
                    .collect();
                assert_eq!(got, expect, "burst {burst} at {start}");
                assert_eq!(rx.stats().recovered, burst as u64);
                assert_eq!(rx.stats().lost, 0);
            }
        }
    }

    #[test]
    fn redundancy_burst_too_long_loses_only_the_uncovered() {
        let mut tx = sender(EcMode::Redundancy);
        let mut rx = UdptlReceiver::new();
        for i in 0..12 {
            let d = tx.send_ifp(&ifp(i, 8), 1).unwrap();
            if !(4..8).contains(&i) {
                rx.receive(&d[0]).unwrap();
            }
        }
        let seqs: Vec<u16> = drain(&mut rx).into_iter().map(|(s, _)| s).collect();
        assert_eq!(seqs, vec![0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11]);
        assert_eq!((rx.stats().lost, rx.stats().recovered), (1, 3));
    }

    #[test]
    fn fec_layout_matches_spandsp_order() {
        let mut tx = UdptlSender::new(UdptlSenderConfig {
            mode: EcMode::Fec,
            far_max_datagram: 1400,
            ..Default::default()
        });
        let sent: Vec<Vec<u8>> = (0..12).map(|i| ifp(i, 1 + i % 4)).collect();
        let mut last = None;
        for (i, s) in sent.iter().enumerate() {
            let p = UdptlPacket::decode(&tx.send_ifp(s, 1).unwrap()[0]).unwrap();
            // Asterisk wind-up: entries = sent / span, span 0 until `span` IFPs were sent.
            let ErrorRecovery::Fec { span, entries } = &p.recovery else {
                panic!("fec expected")
            };
            assert_eq!(entries.len(), (i / 3).min(3), "entries at {i}");
            assert_eq!(*span, if i < 3 { 0 } else { 3 });
            last = Some(p);
        }
        // Packet 11, span 3, 3 entries: entry m covers 11 + m - 9 + 3t.
        let ErrorRecovery::Fec { entries, .. } = last.unwrap().recovery else {
            unreachable!()
        };
        for (m, entry) in entries.iter().enumerate() {
            let covered = [2 + m, 5 + m, 8 + m];
            let longest = covered.iter().map(|&q| sent[q].len()).max().unwrap();
            let mut want = vec![0u8; longest];
            for q in covered {
                for (w, b) in want.iter_mut().zip(&sent[q]) {
                    *w ^= b;
                }
            }
            assert_eq!(entry, &want, "entry {m}");
        }
    }

    fn fec_sender() -> UdptlSender {
        UdptlSender::new(UdptlSenderConfig {
            mode: EcMode::Fec,
            far_max_datagram: 1400,
            ..Default::default()
        })
    }

    #[test]
    fn fec_recovers_a_single_loss_per_span() {
        // Equal-length IFPs so the recovered copies are exact.
        let sent: Vec<Vec<u8>> = (0..40).map(|i| ifp(i, 12)).collect();
        // One loss in every 10 packets once FEC is fully wound up (packet 9 onwards).
        for offset in 0..10usize {
            let mut tx = fec_sender();
            let mut rx = UdptlReceiver::new();
            let lost: Vec<usize> = (0..3)
                .map(|k| 10 + offset + 10 * k)
                .filter(|&x| x < 39)
                .collect();
            for (i, s) in sent.iter().enumerate() {
                let d = tx.send_ifp(s, 1).unwrap();
                if !lost.contains(&i) {
                    rx.receive(&d[0]).unwrap();
                }
            }
            let got = drain(&mut rx);
            let expect: Vec<(u16, Vec<u8>)> = sent
                .iter()
                .enumerate()
                .map(|(i, s)| (i as u16, s.clone()))
                .collect();
            assert_eq!(got, expect, "losses {lost:?}");
            assert_eq!(rx.stats().recovered, lost.len() as u64);
        }
    }

    #[test]
    fn fec_recovers_bursts_of_three_with_interleaving() {
        let sent: Vec<Vec<u8>> = (0..30).map(|i| ifp(i, 7)).collect();
        let mut tx = fec_sender();
        let mut rx = UdptlReceiver::new();
        for (i, s) in sent.iter().enumerate() {
            let d = tx.send_ifp(s, 1).unwrap();
            if !(15..18).contains(&i) {
                rx.receive(&d[0]).unwrap();
            }
        }
        assert_eq!(drain(&mut rx).len(), 30);
        assert_eq!(rx.stats().recovered, 3);
    }

    #[test]
    fn fec_recovered_shorter_ifp_is_zero_padded() {
        let sent = [
            vec![1u8; 9],
            vec![2; 9],
            vec![3; 9],
            vec![4; 3],
            vec![5; 9],
            vec![6; 9],
        ];
        let mut tx = UdptlSender::new(UdptlSenderConfig {
            mode: EcMode::Fec,
            fec_span: 3,
            fec_entries: 1,
            far_max_datagram: 1400,
            ..Default::default()
        });
        let mut rx = UdptlReceiver::new();
        for (i, s) in sent.iter().enumerate() {
            let d = tx.send_ifp(s, 1).unwrap();
            if i != 4 {
                rx.receive(&d[0]).unwrap();
            }
        }
        // Packet 5's entry covers 2, 3, 4: 4 is rebuilt at the group's longest length (9).
        let got = drain(&mut rx);
        assert_eq!(got[4], (4, vec![5; 9]));
        // Rebuilding 3 instead (length 3 inside a 9-octet group) gives trailing zeros.
        let mut tx = UdptlSender::new(*tx.config());
        let mut rx = UdptlReceiver::new();
        for (i, s) in sent.iter().take(5).enumerate() {
            let d = tx.send_ifp(s, 1).unwrap();
            if i != 3 {
                rx.receive(&d[0]).unwrap();
            }
        }
        let d = tx.send_ifp(&sent[5], 1).unwrap();
        rx.receive(&d[0]).unwrap();
        // Packet 4's entry covered 1..3 (3 missing), packet 5's covers 2..4: 3 repaired from it.
        let got = drain(&mut rx);
        assert_eq!(got[3], (3, vec![4, 4, 4, 0, 0, 0, 0, 0, 0]));
    }

    /// Builds the packet the spandsp/Asterisk encoder would send at `seq` in the given mode.
    fn reference_packet(sent: &[Vec<u8>], seq: usize, fec: bool) -> UdptlPacket {
        let recovery = if fec {
            let (span, e) = (3usize, 3usize);
            let entries = (0..e)
                .map(|m| {
                    let mut parity = Vec::new();
                    for t in 0..span {
                        let q = seq + m + t * e - span * e;
                        let s = &sent[q];
                        if parity.len() < s.len() {
                            parity.resize(s.len(), 0);
                        }
                        for (p, b) in parity.iter_mut().zip(s) {
                            *p ^= b;
                        }
                    }
                    parity
                })
                .collect();
            ErrorRecovery::Fec {
                span: span as u32,
                entries,
            }
        } else {
            ErrorRecovery::Redundancy((1..=3).map(|k| sent[seq - k].clone()).collect())
        };
        UdptlPacket {
            seq: seq as u16,
            primary: sent[seq].clone(),
            recovery,
        }
    }

    #[test]
    fn intermixed_redundancy_and_fec() {
        let sent: Vec<Vec<u8>> = (0..60).map(|i| ifp(i, 16)).collect();
        let mut rx = UdptlReceiver::new();
        // Deliver 0..9 cleanly (both modes need history), then alternate mode every 5 packets.
        let lost = [12usize, 21, 22, 33, 47, 48, 49];
        for i in 0..60 {
            let fec = i >= 9 && (i / 5) % 2 == 0;
            let p = if i < 9 {
                UdptlPacket {
                    seq: i as u16,
                    primary: sent[i].clone(),
                    recovery: ErrorRecovery::Redundancy(vec![]),
                }
            } else {
                reference_packet(&sent, i, fec)
            };
            if !lost.contains(&i) {
                rx.receive(&p.encode()).unwrap();
            }
        }
        let got = drain(&mut rx);
        let expect: Vec<(u16, Vec<u8>)> = sent
            .iter()
            .enumerate()
            .map(|(i, s)| (i as u16, s.clone()))
            .collect();
        assert_eq!(got, expect);
        assert_eq!(rx.stats().recovered, lost.len() as u64);
    }

    #[test]
    fn duplicates_and_repeats_are_dropped() {
        let mut tx = sender(EcMode::Redundancy);
        let mut rx = UdptlReceiver::new();
        let a = tx.send_ifp(&[1], 3).unwrap();
        assert_eq!(a.len(), 3);
        assert!(
            a.iter().all(|d| d == &a[0]),
            "repeats are the same datagram"
        );
        let b = tx.send_ifp(&[2], 1).unwrap();
        assert_eq!(
            UdptlPacket::decode(&b[0]).unwrap().seq,
            1,
            "repeats share one seq"
        );
        for d in a.iter().chain(&b).chain(&b).chain(&a) {
            rx.receive(d).unwrap();
        }
        assert_eq!(drain(&mut rx), vec![(0, vec![1]), (1, vec![2])]);
        let st = rx.stats();
        assert_eq!((st.received, st.duplicates, st.delivered), (8, 6, 2));
        assert!(tx.send_ifp(&[3], 0).unwrap().is_empty());
        assert_eq!(tx.next_seq(), 2, "count 0 consumes no sequence number");
    }

    #[test]
    fn late_packet_after_skip_is_not_delivered() {
        let mut tx = sender(EcMode::None);
        let mut rx = UdptlReceiver::new();
        let d: Vec<Vec<u8>> = (0..4)
            .map(|i| tx.send_ifp(&[i], 1).unwrap().remove(0))
            .collect();
        rx.receive(&d[0]).unwrap();
        rx.receive(&d[2]).unwrap();
        rx.receive(&d[1]).unwrap(); // passed already, unrecoverable in time
        rx.receive(&d[3]).unwrap();
        let seqs: Vec<u16> = drain(&mut rx).into_iter().map(|(s, _)| s).collect();
        assert_eq!(seqs, vec![0, 2, 3]);
        let st = rx.stats();
        assert_eq!((st.lost, st.late, st.duplicates), (1, 1, 0));
    }

    #[test]
    fn wraps_65535_to_0() {
        let mut tx = UdptlSender::new(UdptlSenderConfig {
            initial_seq: 65533,
            far_max_datagram: 1400,
            ..Default::default()
        });
        let mut rx = UdptlReceiver::new();
        for i in 0..8usize {
            let d = tx.send_ifp(&ifp(i, 5), 1).unwrap();
            if i != 3 && i != 4 {
                // seq 0 and 1 are lost and come back from redundancy across the wrap
                rx.receive(&d[0]).unwrap();
            }
        }
        let got = drain(&mut rx);
        let seqs: Vec<u16> = got.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, vec![65533, 65534, 65535, 0, 1, 2, 3, 4]);
        assert!(got.iter().enumerate().all(|(i, (_, d))| d == &ifp(i, 5)));
    }

    #[test]
    fn resync_on_large_jump_ahead_and_behind() {
        let mut rx = UdptlReceiver::new();
        let pkt = |seq: u16, b: u8| {
            UdptlPacket {
                seq,
                primary: vec![b],
                recovery: ErrorRecovery::Redundancy(vec![]),
            }
            .encode()
        };
        for s in 0..5u16 {
            rx.receive(&pkt(s, s as u8)).unwrap();
        }
        // Peer restarts far ahead: held, then confirmed by its successor.
        assert_eq!(rx.receive(&pkt(5000, 50)).unwrap(), 0);
        assert_eq!(rx.receive(&pkt(5001, 51)).unwrap(), 2);
        // And later restarts far behind.
        rx.receive(&pkt(5002, 52)).unwrap();
        rx.receive(&pkt(10, 60)).unwrap();
        rx.receive(&pkt(11, 61)).unwrap();
        let seqs: Vec<u16> = drain(&mut rx).into_iter().map(|(s, _)| s).collect();
        assert_eq!(seqs, vec![0, 1, 2, 3, 4, 5000, 5001, 5002, 10, 11]);
        assert_eq!(rx.stats().resyncs, 2);
        // A lone stray far away is discarded and the stream carries on.
        rx.receive(&pkt(40000, 9)).unwrap();
        rx.receive(&pkt(12, 62)).unwrap();
        assert_eq!(drain(&mut rx), vec![(12, vec![62])]);
        assert_eq!(rx.stats().strays, 1);
    }

    #[test]
    fn trimming_to_small_max_datagram_keeps_the_primary() {
        let mut tx = UdptlSender::new(UdptlSenderConfig {
            redundancy_entries: 3,
            far_max_datagram: 100,
            ..Default::default()
        });
        // far_max_ifp reduces entries to 1 for a 100-octet datagram: (100-8)/2 = 46 < 80.
        assert_eq!(tx.config().redundancy_entries, 1);
        assert_eq!(tx.max_ifp(), 43);
        tx.send_ifp(&[7; 60], 1).unwrap();
        let d = tx.send_ifp(&[8; 60], 1).unwrap().remove(0);
        assert!(d.len() <= 100, "{} octets", d.len());
        let p = UdptlPacket::decode(&d).unwrap();
        assert_eq!(p.primary, vec![8; 60]);
        assert_eq!(
            p.recovery,
            ErrorRecovery::Redundancy(vec![]),
            "the secondary did not fit"
        );
        let d = tx.send_ifp(&[9; 20], 1).unwrap().remove(0);
        let p = UdptlPacket::decode(&d).unwrap();
        assert_eq!(p.recovery, ErrorRecovery::Redundancy(vec![vec![8; 60]]));
        // A primary that cannot fit at all is still sent (and counted).
        let d = tx.send_ifp(&[1; 150], 1).unwrap().remove(0);
        assert_eq!(UdptlPacket::decode(&d).unwrap().primary.len(), 150);
        let st = tx.stats();
        assert_eq!((st.trimmed, st.oversize), (2, 1));
    }

    #[test]
    fn trimming_fec_reduces_entries() {
        let mut tx = UdptlSender::new(UdptlSenderConfig {
            mode: EcMode::Fec,
            far_max_datagram: 120,
            ..Default::default()
        });
        for i in 0..12 {
            let d = tx.send_ifp(&ifp(i, 30), 1).unwrap().remove(0);
            assert!(d.len() <= 120, "{} octets at {i}", d.len());
            let p = UdptlPacket::decode(&d).unwrap();
            if let ErrorRecovery::Fec { entries, .. } = p.recovery {
                assert!(entries.len() <= 2);
            }
        }
    }

    #[test]
    fn far_max_ifp_matches_asterisk() {
        assert_eq!(
            far_max_ifp(EcMode::None, 400, 3),
            FarMaxIfp {
                max_ifp: 375, // (400-5) * 0.95 = 375.25
                redundancy_entries: 3
            }
        );
        // (400-8)/4 = 98 -> 93.1
        assert_eq!(far_max_ifp(EcMode::Redundancy, 400, 3).max_ifp, 93);
        // (200-8)/4 = 48 < 80 -> 3 entries: 64 < 80 -> 2: 96 -> 91.2
        assert_eq!(
            far_max_ifp(EcMode::Redundancy, 200, 3),
            FarMaxIfp {
                max_ifp: 91,
                redundancy_entries: 1
            }
        );
        // Never below one entry: (72-8)/2 = 32 -> 30.4
        assert_eq!(
            far_max_ifp(EcMode::Redundancy, 72, 3),
            FarMaxIfp {
                max_ifp: 30,
                redundancy_entries: 1
            }
        );
        // (1400-10)/2 = 695 -> 660.25
        assert_eq!(far_max_ifp(EcMode::Fec, 1400, 3).max_ifp, 660);
        assert_eq!(far_max_ifp(EcMode::None, 3, 3).max_ifp, 0, "no underflow");
        assert_eq!(normalize_far_max_datagram(None), 400);
        assert_eq!(normalize_far_max_datagram(Some(0)), 400);
        assert_eq!(normalize_far_max_datagram(Some(1401)), 400);
        assert_eq!(normalize_far_max_datagram(Some(1400)), 1400);
        assert_eq!(normalize_far_max_datagram(Some(272)), 272);
    }

    #[test]
    fn negotiated_config_uses_media_section() {
        let media = crate::media::MediaConfig {
            udptl_redundancy: 5,
            t38_max_datagram: 272,
            ..Default::default()
        };
        let c = UdptlSenderConfig::negotiated(&media, EcMode::Redundancy, None);
        assert_eq!((c.redundancy_entries, c.far_max_datagram), (5, 272));
        let c = UdptlSenderConfig::negotiated(&media, EcMode::Fec, Some(0));
        assert_eq!((c.mode, c.far_max_datagram), (EcMode::Fec, 272));
        let c = UdptlSenderConfig::negotiated(&media, EcMode::None, Some(1000));
        assert_eq!(c.far_max_datagram, 1000);
    }

    #[test]
    fn sender_rejects_unsendable_ifps() {
        let mut tx = sender(EcMode::Redundancy);
        assert_eq!(tx.send_ifp(&[], 1), Err(UdptlError::EmptyIfp));
        assert_eq!(
            tx.send_ifp(&vec![0; 16384], 1),
            Err(UdptlError::IfpTooLong(16384))
        );
        assert_eq!(tx.next_seq(), 0);
    }

    #[test]
    fn garbage_and_truncated_datagrams_are_errors() {
        let good = UdptlPacket {
            seq: 7,
            primary: vec![3; 200],
            recovery: ErrorRecovery::Redundancy(vec![vec![1; 10], vec![2; 130]]),
        }
        .encode();
        let mut rx = UdptlReceiver::new();
        for cut in 0..good.len() {
            assert!(
                matches!(rx.receive(&good[..cut]), Err(UdptlError::Truncated(_))),
                "cut at {cut}"
            );
        }
        let n = good.len() as u64;
        assert_eq!(rx.stats().malformed, n);
        let mut long = good.clone();
        long.push(0);
        assert_eq!(rx.receive(&long), Err(UdptlError::TrailingBytes(1)));
        assert_eq!(
            UdptlPacket::decode(&[0, 1, 0xC1, 0, 0]),
            Err(UdptlError::Fragmented(Field::PrimaryIfp))
        );
        assert_eq!(
            UdptlPacket::decode(&[0, 1, 1, 6, 0x80, 0x00, 0x00]),
            Err(UdptlError::BadFecSpan)
        );
        assert_eq!(
            UdptlPacket::decode(&[0, 1, 1, 6, 0x80, 0x01, 0xFF, 0x00]),
            Err(UdptlError::BadFecSpan),
            "negative span"
        );
        assert_eq!(
            UdptlPacket::decode(&[0, 1, 1, 6, 0x00, 0x02, 0x01, 0x05]),
            Err(UdptlError::Truncated(Field::SecondaryIfp(1)))
        );
        assert_eq!(rx.stats().received, 0);
        assert!(rx.poll_ifp().is_none());
        // The receiver still works after garbage.
        rx.receive(&good).unwrap();
        assert_eq!(rx.stats().delivered, 3);
    }

    // ---- cross-checks against the `udptl` crate 0.2.0 (redundancy mode only) ----

    #[test]
    fn coral_decodes_our_redundancy_datagrams() {
        let mut tx = sender(EcMode::Redundancy);
        let mut theirs = udptl::RedundancyReceiver::new();
        let sent: Vec<Vec<u8>> = (0..40).map(|i| ifp(i, 1 + (i * 37) % 260)).collect();
        let mut got = Vec::new();
        for (i, s) in sent.iter().enumerate() {
            let d = tx.send_ifp(s, 1).unwrap().remove(0);
            let p = udptl::UdptlPacket::decode(&d).unwrap();
            assert_eq!(p.seq_number, i as u16);
            assert_eq!(&p.primary_ifp, s);
            let want: Vec<Vec<u8>> = (1..=i.min(3)).map(|k| sent[i - k].clone()).collect();
            assert_eq!(p.redundant_ifps(), &want[..]);
            assert_eq!(p.encode(), d, "identical bytes");
            if i % 4 != 1 && i % 4 != 2 {
                got.extend(theirs.receive(&p));
            }
        }
        assert_eq!(got.len(), 40, "coral recovers our redundancy");
        for (i, r) in got.iter().enumerate() {
            assert_eq!((usize::from(r.sequence), &r.payload), (i, &sent[i]));
        }
    }

    #[test]
    fn we_decode_coral_redundancy_datagrams() {
        let sent: Vec<Vec<u8>> = (0..30).map(|i| ifp(i, 1 + (i * 53) % 300)).collect();
        let mut rx = UdptlReceiver::new();
        for i in 0..30usize {
            let red: Vec<Vec<u8>> = (1..=i.min(3)).map(|k| sent[i - k].clone()).collect();
            let theirs = udptl::UdptlPacket::with_redundancy(i as u16, sent[i].clone(), red);
            let bytes = theirs.encode();
            let ours = UdptlPacket::decode(&bytes).unwrap();
            assert_eq!(ours.encode(), bytes, "identical bytes");
            if i % 5 != 3 {
                rx.receive(&bytes).unwrap();
            }
        }
        let got = drain(&mut rx);
        assert_eq!(got.len(), 30);
        assert!(got
            .iter()
            .enumerate()
            .all(|(i, (s, d))| usize::from(*s) == i && d == &sent[i]));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn decode_never_panics(data in proptest::collection::vec(any::<u8>(), 0..80)) {
            let mut rx = UdptlReceiver::new();
            let _ = rx.receive(&data);
            if let Ok(p) = UdptlPacket::decode(&data) {
                prop_assert_eq!(p.encoded_len() <= data.len() + 1, true);
            }
        }

        /// Valid packets with random octets overwritten: decoding and receiving never panic.
        #[test]
        fn mutated_packets_never_panic(
            secondaries in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..200), 0..4),
            fec in any::<bool>(),
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
            cut in any::<usize>(),
        ) {
            let recovery = if fec {
                ErrorRecovery::Fec { span: 3, entries: secondaries }
            } else {
                ErrorRecovery::Redundancy(secondaries)
            };
            let mut d = UdptlPacket { seq: 65530, primary: vec![0x06; 150], recovery }.encode();
            for (pos, b) in edits {
                let n = d.len();
                d[pos % n] = b;
            }
            d.truncate(cut % (d.len() + 1));
            let mut rx = UdptlReceiver::new();
            let _ = rx.receive(&d);
            let _ = rx.receive(&d);
        }

        #[test]
        fn receiver_survives_random_streams(
            packets in proptest::collection::vec(
                (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..20), any::<bool>(), 0u32..6,
                 proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..8), 0..5)),
                0..60)
        ) {
            let mut rx = UdptlReceiver::new();
            let mut delivered = std::collections::HashSet::new();
            let mut resyncs = 0;
            for (seq, primary, fec, span, extra) in packets {
                let recovery = if fec {
                    ErrorRecovery::Fec { span, entries: extra }
                } else {
                    ErrorRecovery::Redundancy(extra)
                };
                rx.receive(&UdptlPacket { seq, primary, recovery }.encode()).unwrap();
                if rx.stats().resyncs != resyncs {
                    resyncs = rx.stats().resyncs;
                    delivered.clear();
                }
                while let Some((s, _)) = rx.poll_ifp() {
                    prop_assert!(delivered.insert(s), "seq {} delivered twice", s);
                }
            }
        }

        /// Sequence numbers near each other (duplicates, reordering, gaps, wrap) with random
        /// redundancy or FEC contents: delivery is strictly increasing, so never twice.
        #[test]
        fn delivery_is_strictly_in_order(
            base in any::<u16>(),
            packets in proptest::collection::vec(
                (0u16..80, proptest::collection::vec(any::<u8>(), 1..20), any::<bool>(), 0u32..6,
                 proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..8), 0..5)),
                0..80)
        ) {
            let mut rx = UdptlReceiver::new();
            let mut last: Option<u16> = None;
            for (offset, primary, fec, span, extra) in packets {
                let recovery = if fec {
                    ErrorRecovery::Fec { span, entries: extra }
                } else {
                    ErrorRecovery::Redundancy(extra)
                };
                let seq = base.wrapping_add(offset);
                rx.receive(&UdptlPacket { seq, primary, recovery }.encode()).unwrap();
                while let Some((s, _)) = rx.poll_ifp() {
                    // Unwrapped relative to base; the first packet may carry up to 4 earlier IFPs.
                    let u = s.wrapping_sub(base).wrapping_add(8);
                    prop_assert!(last.is_none_or(|l| u > l), "seq {} after {:?}", s, last);
                    last = Some(u);
                }
            }
            prop_assert_eq!(rx.stats().resyncs, 0);
        }

        /// Random IFP stream (1-200 octets, so up to 5 entries always fit), random loss with at
        /// most `entries` consecutive losses, last packet kept: redundancy delivers exactly the
        /// sent stream in order.
        #[test]
        fn redundancy_delivers_everything(
            entries in 1u8..=5,
            lens in proptest::collection::vec(1usize..=200, 1..120),
            loss in proptest::collection::vec(any::<bool>(), 120),
            start in any::<u16>(),
        ) {
            let mut tx = UdptlSender::new(UdptlSenderConfig {
                mode: EcMode::Redundancy,
                redundancy_entries: entries,
                far_max_datagram: 1400,
                initial_seq: start,
                ..Default::default()
            });
            let mut rx = UdptlReceiver::new();
            let sent: Vec<Vec<u8>> = lens.iter().enumerate().map(|(i, &n)| ifp(i, n)).collect();
            let mut run = 0;
            for (i, s) in sent.iter().enumerate() {
                let d = tx.send_ifp(s, 1).unwrap();
                if loss[i] && i + 1 < sent.len() && run < usize::from(entries) {
                    run += 1;
                } else {
                    run = 0;
                    rx.receive(&d[0]).unwrap();
                }
            }
            prop_assert_eq!(tx.stats().trimmed, 0, "all datagrams fit 1400 octets");
            let got = drain(&mut rx);
            let expect: Vec<(u16, Vec<u8>)> = sent.iter().enumerate()
                .map(|(i, s)| (start.wrapping_add(i as u16), s.clone())).collect();
            prop_assert_eq!(got, expect);
        }

        /// FEC (span 3 × 3 entries): at most one loss in any 10 consecutive packets after
        /// wind-up, last packet kept: every IFP is delivered, in order, zero-padded at most.
        #[test]
        fn fec_delivers_everything(
            lens in proptest::collection::vec(1usize..=40, 10..100),
            loss in proptest::collection::vec(0u8..10, 100),
        ) {
            let mut tx = fec_sender();
            let mut rx = UdptlReceiver::new();
            let sent: Vec<Vec<u8>> = lens.iter().enumerate().map(|(i, &n)| ifp(i, n)).collect();
            let mut last_loss: Option<usize> = None;
            for (i, s) in sent.iter().enumerate() {
                let d = tx.send_ifp(s, 1).unwrap();
                let drop = i >= 9 && i + 1 < sent.len() && loss[i] == 0
                    && last_loss.is_none_or(|l| i - l >= 10);
                if drop { last_loss = Some(i); } else { rx.receive(&d[0]).unwrap(); }
            }
            let got = drain(&mut rx);
            prop_assert_eq!(got.len(), sent.len());
            for (i, (seq, data)) in got.iter().enumerate() {
                prop_assert_eq!(usize::from(*seq), i);
                prop_assert!(data.starts_with(&sent[i]), "ifp {} wrong", i);
                prop_assert!(data[sent[i].len()..].iter().all(|b| *b == 0));
            }
        }
    }
}

#[cfg(test)]
mod encode_into_tests {
    use super::*;

    /// The sender as it was before datagrams were encoded into reused buffers: a
    /// [`UdptlPacket`] built from cloned IFPs, then [`UdptlPacket::encode`].
    struct Reference {
        config: UdptlSenderConfig,
        seq: u16,
        history: VecDeque<Vec<u8>>,
    }

    impl Reference {
        fn new(tx: &UdptlSender) -> Reference {
            Reference {
                config: *tx.config(),
                seq: tx.next_seq(),
                history: VecDeque::new(),
            }
        }

        fn fec(&self, span: usize, entries: usize) -> ErrorRecovery {
            let n = self.history.len();
            let mut out = Vec::new();
            for m in 0..entries {
                let mut parity: Vec<u8> = Vec::new();
                for t in 0..span {
                    let ifp = &self.history[n - (span * entries - m - t * entries)];
                    if parity.len() < ifp.len() {
                        parity.resize(ifp.len(), 0);
                    }
                    for (p, b) in parity.iter_mut().zip(ifp) {
                        *p ^= b;
                    }
                }
                out.push(parity);
            }
            ErrorRecovery::Fec {
                span: if entries == 0 { 0 } else { span as u32 },
                entries: out,
            }
        }

        fn send(&mut self, ifp: &[u8]) -> Vec<u8> {
            let limit = usize::from(self.config.far_max_datagram);
            let mut packet = UdptlPacket {
                seq: self.seq,
                primary: ifp.to_vec(),
                recovery: ErrorRecovery::Redundancy(Vec::new()),
            };
            match self.config.mode {
                EcMode::None => {}
                EcMode::Redundancy => {
                    let want = usize::from(self.config.redundancy_entries).min(self.history.len());
                    let mut s: Vec<Vec<u8>> =
                        self.history.iter().rev().take(want).cloned().collect();
                    packet.recovery = ErrorRecovery::Redundancy(s.clone());
                    while packet.encoded_len() > limit && !s.is_empty() {
                        s.pop();
                        packet.recovery = ErrorRecovery::Redundancy(s.clone());
                    }
                }
                EcMode::Fec => {
                    let span = usize::from(self.config.fec_span);
                    let mut entries =
                        usize::from(self.config.fec_entries).min(self.history.len() / span);
                    loop {
                        packet.recovery = self.fec(span, entries);
                        if packet.encoded_len() <= limit || entries == 0 {
                            break;
                        }
                        entries -= 1;
                    }
                }
            }
            self.seq = self.seq.wrapping_add(1);
            self.history.push_back(ifp.to_vec());
            while self.history.len() > usize::from(MAX_REDUNDANCY_ENTRIES.max(MAX_FEC_COVERAGE)) {
                self.history.pop_front();
            }
            packet.encode()
        }
    }

    /// IFP `i` of a run: lengths from 1 to about 300 octets (both length forms), varied bytes.
    fn ifp(i: usize) -> Vec<u8> {
        let len = 1 + (i * 37) % 300;
        (0..len).map(|k| (i * 31 + k * 7) as u8).collect()
    }

    #[test]
    fn encoding_into_a_reused_buffer_gives_the_same_bytes() {
        for mode in [EcMode::None, EcMode::Redundancy, EcMode::Fec] {
            for far_max_datagram in [72u16, 160, 400, 1400] {
                let config = UdptlSenderConfig {
                    mode,
                    far_max_datagram,
                    initial_seq: 65530,
                    ..Default::default()
                };
                let mut tx = UdptlSender::new(config);
                let mut reference = Reference::new(&tx);
                let mut out = Vec::new();
                for i in 0..60 {
                    let ifp = ifp(i);
                    let capacity = out.capacity();
                    tx.send_ifp_into(&ifp, 1, &mut out).unwrap();
                    let want = reference.send(&ifp);
                    assert_eq!(out, want, "{mode:?} {far_max_datagram} IFP {i}");
                    if i > 20 && out.len() <= capacity {
                        assert_eq!(out.capacity(), capacity, "the buffer is reused as is");
                    }
                }
                // Repeats are the same datagram; no sequence number for count 0.
                let seq = tx.next_seq();
                tx.send_ifp_into(&[0x06], 0, &mut out).unwrap();
                assert!(out.is_empty());
                assert_eq!(tx.next_seq(), seq);
                let copies = tx.send_ifp(&[0x06], 3).unwrap();
                assert_eq!(copies.len(), 3);
                assert_eq!(copies[0], reference.send(&[0x06]));
                assert!(copies.iter().all(|c| *c == copies[0]));
            }
        }
    }
}
