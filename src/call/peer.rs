//! Who the call's peer is, per stream: the SDP address, or a source behind NAT learned by its
//! packets in sequence (strict learning: only while nothing came from the SDP address, started
//! again by every SDP change). Every other source is foreign: its packets are dropped before
//! they are decoded and counted, and nothing is ever sent to it. Also the RFC 3550 sequence
//! bookkeeping behind the call's loss count.

use std::net::SocketAddr;

use tracing::{info, warn};

/// RFC 3550 sequence bookkeeping for the loss count.
#[derive(Debug, Default)]
pub(super) struct SeqTrack {
    ssrc: Option<u32>,
    /// Highest sequence so far: (extended, raw).
    max: (i64, u16),
    base: i64,
    received: u64,
    /// Totals of earlier streams (SSRC changes).
    prior_expected: u64,
    prior_received: u64,
}

impl SeqTrack {
    fn expected(&self) -> u64 {
        if self.ssrc.is_some() {
            (self.max.0 - self.base + 1).max(0) as u64
        } else {
            0
        }
    }

    pub(super) fn update(&mut self, ssrc: u32, seq: u16) {
        let delta = i64::from(seq.wrapping_sub(self.max.1) as i16);
        if self.ssrc != Some(ssrc) || delta.abs() > 3000 {
            self.prior_expected += self.expected();
            self.prior_received += self.received;
            self.ssrc = Some(ssrc);
            self.max = (1 << 20, seq);
            self.base = 1 << 20;
            self.received = 1;
            return;
        }
        if delta > 0 {
            self.max = (self.max.0 + delta, seq);
        }
        self.received += 1;
    }

    pub(super) fn lost(&self) -> u64 {
        (self.prior_expected + self.expected()).saturating_sub(self.prior_received + self.received)
    }
}

/// Packets in sequence (consecutive RTP or UDPTL sequence numbers) a source other than the
/// SDP address must send, while nothing came from the SDP address, before it is learned as
/// the peer behind NAT.
pub const LEARN_PACKETS: u32 = 4;
/// Sources tracked at once while learning (beyond, the least advanced and oldest is
/// forgotten).
const MAX_CANDIDATES: usize = 8;

/// A source on probation: not yet learned.
#[derive(Debug)]
struct Candidate {
    addr: SocketAddr,
    last_seq: u16,
    run: u32,
    /// Its packets dropped so far (forgiven if it is learned).
    dropped: u64,
}

/// What to do with a well-formed packet, by its source.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Admit {
    /// From the SDP address or the learned source.
    Accept,
    /// This packet completed a run of [`LEARN_PACKETS`]: the source is learned, and accepted.
    Learned,
    /// A source on probation: dropped for now. `first` the first time on this stream.
    Probation { first: bool },
    /// From an address that is not the call's: dropped and counted. `first` the first time
    /// on this stream (to log it once).
    Foreign { first: bool },
}

/// Whose packets a stream accepts and where its output goes: the SDP address, or a source
/// learned as the peer behind NAT (see [`LEARN_PACKETS`]). Every other source is foreign:
/// its packets are dropped and counted, and nothing is ever sent to it.
#[derive(Debug)]
pub(super) struct Target {
    pub(super) sdp: Option<SocketAddr>,
    /// A source other than the SDP address learned by its packets in sequence.
    pub(super) learned: Option<SocketAddr>,
    /// A packet came from the SDP address since it was set: learning is over.
    sdp_seen: bool,
    candidates: Vec<Candidate>,
    /// Packets dropped for their source (those of a source later learned excepted).
    pub(super) foreign: u64,
    warned: bool,
    probation_logged: bool,
}

impl Target {
    pub(super) fn new() -> Self {
        Target {
            sdp: None,
            learned: None,
            sdp_seen: false,
            candidates: Vec::new(),
            foreign: 0,
            warned: false,
            probation_logged: false,
        }
    }

    /// A new SDP address; a changed one starts learning over.
    pub(super) fn set_sdp(&mut self, addr: SocketAddr) {
        if self.sdp != Some(addr) {
            self.learned = None;
            self.sdp_seen = false;
            self.candidates.clear();
        }
        self.sdp = Some(addr);
    }

    /// Whether learning a source other than the SDP address is still possible.
    pub(super) fn learning(&self) -> bool {
        self.sdp.is_some() && self.learned.is_none() && !self.sdp_seen
    }

    /// A well-formed packet with sequence number `seq` from `src`: accept it or not.
    pub(super) fn admit(&mut self, src: SocketAddr, seq: u16) -> Admit {
        if self.sdp == Some(src) {
            if !self.sdp_seen {
                self.sdp_seen = true;
                // Whoever was on probation is foreign now; their drops stay counted.
                self.candidates.clear();
            }
            return Admit::Accept;
        }
        if self.learned == Some(src) {
            return Admit::Accept;
        }
        if !self.learning() {
            self.foreign += 1;
            let first = !self.warned;
            self.warned = true;
            return Admit::Foreign { first };
        }
        let i = match self.candidates.iter().position(|c| c.addr == src) {
            Some(i) => {
                let c = &mut self.candidates[i];
                if seq == c.last_seq.wrapping_add(1) {
                    c.run += 1;
                } else if seq != c.last_seq {
                    // Out of sequence: start the run again (a repeat changes nothing).
                    c.run = 1;
                }
                c.last_seq = seq;
                i
            }
            None => {
                if self.candidates.len() >= MAX_CANDIDATES {
                    // The least advanced goes; the oldest of those (kept in arrival order).
                    if let Some(j) =
                        (0..self.candidates.len()).min_by_key(|&j| self.candidates[j].run)
                    {
                        self.candidates.remove(j);
                    }
                }
                self.candidates.push(Candidate {
                    addr: src,
                    last_seq: seq,
                    run: 1,
                    dropped: 0,
                });
                self.candidates.len() - 1
            }
        };
        let c = &mut self.candidates[i];
        if c.run >= LEARN_PACKETS {
            self.foreign -= c.dropped;
            self.learned = Some(src);
            self.candidates.clear();
            return Admit::Learned;
        }
        c.dropped += 1;
        self.foreign += 1;
        let first = !self.probation_logged;
        self.probation_logged = true;
        Admit::Probation { first }
    }

    /// [`Target::admit`] with its log lines: whether the packet is the peer's. `stream` names
    /// the stream in the logs ("RTP", "UDPTL") and `counter` the outcome field that counts its
    /// foreign packets; each kind of refusal is logged once per stream.
    pub(super) fn admit_logged(
        &mut self,
        call_id: &str,
        stream: &str,
        counter: &str,
        src: SocketAddr,
        seq: u16,
    ) -> bool {
        match self.admit(src, seq) {
            Admit::Accept => true,
            Admit::Learned => {
                info!(call_id = %call_id, %src, sdp = ?self.sdp, packets = LEARN_PACKETS, "{stream} comes in sequence from another address than the SDP (NAT): learned");
                true
            }
            Admit::Probation { first } => {
                if first {
                    info!(call_id = %call_id, %src, sdp = ?self.sdp, "{stream} from another address than the SDP: dropped unless it comes in sequence (NAT) before anything from the SDP address (logged once)");
                }
                false
            }
            Admit::Foreign { first } => {
                if first {
                    warn!(call_id = %call_id, %src, sdp = ?self.sdp, learned = ?self.learned, "{stream} from an address that is not the call's peer: dropped (logged once; see {counter} at the end)");
                }
                false
            }
        }
    }

    /// Where to send, if anywhere: the learned source, else the SDP address (an unspecified
    /// SDP address is hold).
    pub(super) fn dest(&self) -> Option<SocketAddr> {
        let sdp = self.sdp?;
        if sdp.ip().is_unspecified() || sdp.port() == 0 {
            return None;
        }
        Some(self.learned.unwrap_or(sdp))
    }

    /// The learned source, when it differs from the SDP address.
    pub(super) fn latched_elsewhere(&self) -> Option<SocketAddr> {
        self.learned.filter(|l| Some(*l) != self.sdp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_the_sdp_address_once_it_has_spoken() {
        let mut t = Target::new();
        t.set_sdp(addr("192.0.2.1:4000"));
        assert_eq!(t.admit(addr("192.0.2.1:4000"), 10), Admit::Accept);
        // Even a perfect stream from elsewhere is foreign now.
        let attacker = addr("198.51.100.9:5000");
        assert_eq!(t.admit(attacker, 1), Admit::Foreign { first: true });
        for seq in 2..20 {
            assert_eq!(t.admit(attacker, seq), Admit::Foreign { first: false });
        }
        assert_eq!(t.foreign, 19);
        assert_eq!(t.dest(), Some(addr("192.0.2.1:4000")));
        assert_eq!(t.latched_elsewhere(), None);
    }

    #[test]
    fn a_nat_source_is_learned_after_packets_in_sequence() {
        let mut t = Target::new();
        t.set_sdp(addr("10.0.0.5:4000")); // private address in the SDP
        let nat = addr("203.0.113.7:31000");
        let noise = addr("198.51.100.9:5000");
        // Out of sequence: never learned.
        for seq in [5u16, 9, 2, 40, 41, 7] {
            assert!(matches!(t.admit(noise, seq), Admit::Probation { .. }));
        }
        // Repeats do not break a run (UDPTL repeats indicators with the same number).
        assert!(matches!(
            t.admit(nat, 65534),
            Admit::Probation { first: false }
        ));
        assert!(matches!(t.admit(nat, 65535), Admit::Probation { .. }));
        assert!(matches!(t.admit(nat, 65535), Admit::Probation { .. }));
        assert!(matches!(t.admit(nat, 0), Admit::Probation { .. }));
        assert_eq!(
            t.dest(),
            Some(addr("10.0.0.5:4000")),
            "not before it is learned"
        );
        assert_eq!(t.admit(nat, 1), Admit::Learned);
        assert_eq!(t.dest(), Some(nat));
        assert_eq!(t.latched_elsewhere(), Some(nat));
        assert_eq!(t.admit(nat, 2), Admit::Accept);
        // The noise's 6 packets stay counted; the learned source's probation is forgiven.
        assert_eq!(t.foreign, 6);
        assert_eq!(t.admit(noise, 42), Admit::Foreign { first: true });
        assert_eq!(t.admit(noise, 43), Admit::Foreign { first: false });
        assert_eq!(t.foreign, 8);
        // A new SDP address starts over.
        t.set_sdp(addr("192.0.2.1:4000"));
        assert_eq!(t.dest(), Some(addr("192.0.2.1:4000")));
        assert!(matches!(t.admit(nat, 3), Admit::Probation { .. }));
        // The same SDP again (a re-INVITE that changes nothing) keeps what was learned.
        t.set_sdp(addr("192.0.2.1:4000"));
        for seq in 4..4 + LEARN_PACKETS as u16 - 1 {
            let _ = t.admit(nat, seq);
        }
        assert_eq!(t.dest(), Some(nat));
    }

    #[test]
    fn nothing_is_learned_once_the_sdp_address_was_heard() {
        let mut t = Target::new();
        t.set_sdp(addr("192.0.2.1:4000"));
        let other = addr("192.0.2.1:4002");
        assert!(matches!(
            t.admit(other, 1),
            Admit::Probation { first: true }
        ));
        assert!(matches!(t.admit(other, 2), Admit::Probation { .. }));
        assert_eq!(t.admit(addr("192.0.2.1:4000"), 100), Admit::Accept);
        assert!(matches!(t.admit(other, 3), Admit::Foreign { .. }));
        assert!(matches!(t.admit(other, 4), Admit::Foreign { .. }));
        assert_eq!(t.learned, None);
        assert_eq!(t.foreign, 4);
    }

    #[test]
    fn many_sources_cannot_crowd_out_the_real_one() {
        let mut t = Target::new();
        t.set_sdp(addr("10.0.0.5:4000"));
        let real = addr("203.0.113.7:31000");
        let mut seq = 100u16;
        // A few other sources between each of its packets (never more than the table holds).
        for round in 0..3u16 {
            for k in 0..5u16 {
                let src = SocketAddr::from(([198, 51, 100, k as u8], 6000 + round));
                let _ = t.admit(src, k * 100);
            }
            let _ = t.admit(real, seq);
            seq += 1;
            assert!(t.candidates.len() <= MAX_CANDIDATES);
        }
        let _ = t.admit(real, seq);
        assert_eq!(t.learned, Some(real));
    }
}
