//! A fixed-depth reorder buffer for fax (and voice) over G.711 RTP.
//!
//! Fax modems cannot tolerate an adaptive jitter buffer that stretches or squeezes time, so this
//! buffer only puts packets back in order and fills holes. Packets are pushed
//! as they arrive with `(sequence, timestamp, payload)`; the consumer pulls exactly one frame per
//! 20 ms tick with [`ReorderBuffer::pop_frame`]. Playout starts a fixed `depth_ms` (config key
//! `media.reorder_ms`, default 100) after the first packet arrives, and never changes delay
//! afterwards.
//!
//! **Time.** The buffer has no clock of its own: each `pop_frame` call *is* one tick of the
//! consumer's 20 ms media clock, so the playout delay is counted in pops. That keeps it
//! deterministic under simulation and exactly in step with the fax engine that consumes it.
//!
//! **Ordering and timing.** Packets are ordered by (unwrapped 16-bit) sequence number; the RTP
//! timestamp gives the playout position, so a gap of any size becomes [`Frame::Missing`] with
//! the exact number of samples lost, which the fax receiver passes to spandsp's
//! `fax_rx_fillin` to keep its time base. A packet whose playout time has passed is *late* and
//! dropped; a second copy of a buffered or played packet is a *duplicate* and dropped.
//!
//! **Resynchronisation.** A packet whose sequence number jumps by more than
//! [`ReorderConfig::resync_packets`], or whose timestamp is that many frames away from the
//! playout clock (peer restart, SSRC change, a sender pausing without advancing its clock), is
//! held on probation. If the next packet follows it, the buffer restarts on the new stream
//! (with a fresh playout delay, emitting `Missing` meanwhile) instead of stalling; if the
//! stream carries on as before, the stray packet is discarded. If only late packets arrive for
//! 8 ticks in a row (the sender's clock fell behind ours), playout also restarts on them. The
//! caller may also call
//! [`ReorderBuffer::reset`] when it sees a new SSRC.
//!
//! G.711 is assumed: one payload byte is one 8 kHz sample.
//!
//! ```
//! use faxvox::media::reorder::{Frame, ReorderBuffer, ReorderConfig};
//!
//! let mut rb = ReorderBuffer::new(ReorderConfig { depth_ms: 40, ..Default::default() });
//! rb.push(11, 160, vec![2; 160]); // arrives before seq 10
//! rb.push(10, 0, vec![1; 160]);
//! assert_eq!(rb.pop_frame(), None); // 40 ms playout delay = 2 ticks
//! assert_eq!(rb.pop_frame(), None);
//! assert_eq!(rb.pop_frame(), Some(Frame::Audio(vec![1; 160])));
//! assert_eq!(rb.pop_frame(), Some(Frame::Audio(vec![2; 160])));
//! assert_eq!(rb.pop_frame(), Some(Frame::Missing { samples: 160 })); // seq 12 never came
//! assert_eq!(rb.stats().reordered, 1);
//! ```

use std::collections::{BTreeMap, VecDeque};

/// Default playout depth (`media.reorder_ms`).
pub const DEFAULT_REORDER_MS: u32 = 100;

/// One 20 ms tick of output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The payload of the next packet in sequence.
    Audio(Vec<u8>),
    /// Nothing to play for `samples` samples: feed them to `fax_rx_fillin` (or PLC for voice).
    Missing {
        /// Number of 8 kHz samples the hole covers in this tick.
        samples: u32,
    },
}

/// What happened to a pushed packet; useful for logging and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Buffered in sequence order.
    Buffered,
    /// Buffered, but it arrived after a higher sequence number.
    Reordered,
    /// Dropped: its playout time had passed.
    Late,
    /// Dropped: the same sequence number is buffered or was already played.
    Duplicate,
    /// Held on probation: it jumps far from the current stream.
    Held,
    /// It confirmed a held packet, and the buffer restarted on the new stream.
    Resynced,
    /// Dropped: the buffer is full (the consumer is not pulling frames).
    Overflow,
}

/// Counters for logs and assertions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReorderStats {
    /// Packets pushed.
    pub received: u64,
    /// Packets played as [`Frame::Audio`].
    pub played: u64,
    /// Sequence numbers skipped during playout (never arrived, or arrived late), plus packets
    /// flushed by a resync.
    pub lost: u64,
    /// Packets dropped because their playout time had passed.
    pub late: u64,
    /// Packets dropped as second copies.
    pub duplicates: u64,
    /// Packets that arrived after a higher sequence number and were still put in order.
    pub reordered: u64,
    /// Restarts on a new stream after a confirmed jump.
    pub resyncs: u64,
    /// Held jump packets that were not confirmed and were discarded.
    pub strays: u64,
    /// Packets dropped because the buffer was full.
    pub overflow: u64,
    /// Total samples reported as [`Frame::Missing`].
    pub missing_samples: u64,
}

/// Buffer parameters. Only `depth_ms` normally changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReorderConfig {
    /// Fixed playout delay after the first packet, in ms (`media.reorder_ms`).
    pub depth_ms: u32,
    /// Duration of one tick / packet, in ms (20 for fax over G.711).
    pub frame_ms: u32,
    /// Media clock rate (8000 for G.711).
    pub sample_rate: u32,
    /// A sequence jump, or timestamp distance in frames, beyond which a packet is treated as a
    /// possible new stream (held on probation).
    pub resync_packets: u16,
}

impl Default for ReorderConfig {
    fn default() -> Self {
        ReorderConfig {
            depth_ms: DEFAULT_REORDER_MS,
            frame_ms: 20,
            sample_rate: 8000,
            resync_packets: 100,
        }
    }
}

impl From<&crate::media::MediaConfig> for ReorderConfig {
    /// Takes `media.reorder_ms`; everything else stays at the G.711/20 ms defaults.
    fn from(media: &crate::media::MediaConfig) -> Self {
        ReorderConfig {
            depth_ms: media.reorder_ms,
            ..Default::default()
        }
    }
}

impl ReorderConfig {
    /// Samples in one tick (160 for 20 ms at 8 kHz).
    pub fn frame_samples(&self) -> u32 {
        (u64::from(self.sample_rate) * u64::from(self.frame_ms.max(1)) / 1000).max(1) as u32
    }

    /// Playout delay in ticks, rounded up.
    pub fn depth_frames(&self) -> u32 {
        self.depth_ms.div_ceil(self.frame_ms.max(1))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No packet yet (or after [`ReorderBuffer::reset`]).
    Idle,
    /// First packet buffered; counting ticks of playout delay.
    Waiting { ticks: u32, after_resync: bool },
    /// Emitting one frame per tick.
    Playing,
}

#[derive(Debug, Clone)]
struct Entry {
    ts: i64,
    payload: Vec<u8>,
}

/// The fixed-depth reorder buffer. See the module docs.
#[derive(Debug, Clone)]
pub struct ReorderBuffer {
    config: ReorderConfig,
    state: State,
    buffer: BTreeMap<i64, Entry>,
    /// Highest sequence seen: (unwrapped, raw), and its timestamp: (unwrapped, raw).
    highest: (i64, u16),
    anchor_ts: (i64, u32),
    /// Unwrapped RTP timestamp of the next sample to play (valid while playing).
    play_ts: i64,
    last_played: Option<i64>,
    recent_played: VecDeque<i64>,
    samples_per_packet: u32,
    candidate: Option<(u16, u32, Vec<u8>)>,
    /// Consecutive ticks in which only late packets arrived (sender clock behind ours).
    late_ticks: u32,
    late_in_tick: bool,
    stats: ReorderStats,
}

const RECENT_PLAYED: usize = 64;
/// After this many consecutive ticks with nothing but late packets, the sender's clock is taken
/// to have fallen behind ours for good (a pause without advancing timestamps, or clock drift)
/// and playout restarts on its packets. A network stall delivers its late packets in a burst
/// within a tick or two and does not trigger this.
const LATE_TICKS_RESYNC: u32 = 8;

impl ReorderBuffer {
    /// Creates an empty buffer.
    pub fn new(config: ReorderConfig) -> Self {
        ReorderBuffer {
            config,
            state: State::Idle,
            buffer: BTreeMap::new(),
            highest: (0, 0),
            anchor_ts: (0, 0),
            play_ts: 0,
            last_played: None,
            recent_played: VecDeque::new(),
            samples_per_packet: config.frame_samples(),
            candidate: None,
            late_ticks: 0,
            late_in_tick: false,
            stats: ReorderStats::default(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &ReorderConfig {
        &self.config
    }

    /// Counters so far.
    pub fn stats(&self) -> ReorderStats {
        self.stats
    }

    /// Packets currently buffered.
    pub fn len(&self) -> usize {
        self.buffer.len()
    }

    /// True when nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty()
    }

    /// Forgets the stream (e.g. on an SSRC change); the next packet starts a new playout delay.
    /// Buffered packets are dropped and counted as lost; statistics are kept.
    pub fn reset(&mut self) {
        self.stats.lost += self.buffer.len() as u64;
        self.buffer.clear();
        self.state = State::Idle;
        self.last_played = None;
        self.recent_played.clear();
        self.candidate = None;
    }

    fn capacity(&self) -> usize {
        usize::from(self.config.resync_packets) + self.config.depth_frames() as usize + 16
    }

    /// Adds one arrived packet. G.711 payloads: one byte per sample.
    pub fn push(&mut self, seq: u16, timestamp: u32, payload: Vec<u8>) -> Pushed {
        self.stats.received += 1;
        if self.state == State::Idle {
            self.start_stream(seq, timestamp, payload, false);
            return Pushed::Buffered;
        }
        let seq_delta = i64::from(seq.wrapping_sub(self.highest.1) as i16);
        let ext = self.highest.0 + seq_delta;
        let ts = self.anchor_ts.0 + i64::from(timestamp.wrapping_sub(self.anchor_ts.1) as i32);
        let limit = i64::from(self.config.resync_packets);
        let reference = if self.state == State::Playing {
            self.play_ts
        } else {
            self.anchor_ts.0
        };
        let ts_limit = limit * i64::from(self.samples_per_packet);
        if seq_delta.abs() > limit || (ts - reference).abs() > ts_limit {
            return self.probation(seq, timestamp, payload);
        }
        if self.candidate.take().is_some() {
            self.stats.strays += 1;
        }
        if self.buffer.contains_key(&ext) {
            self.stats.duplicates += 1;
            return Pushed::Duplicate;
        }
        if self.last_played.is_some_and(|last| ext <= last) {
            if self.recent_played.contains(&ext) {
                self.stats.duplicates += 1;
                return Pushed::Duplicate;
            }
            self.stats.late += 1;
            return Pushed::Late;
        }
        if self.state == State::Playing && ts < self.play_ts {
            if self.late_ticks >= LATE_TICKS_RESYNC {
                self.restart(seq, timestamp, payload);
                return Pushed::Resynced;
            }
            self.late_in_tick = true;
            self.stats.late += 1;
            return Pushed::Late;
        }
        if self.buffer.len() >= self.capacity() {
            self.stats.overflow += 1;
            return Pushed::Overflow;
        }
        self.buffer.insert(ext, Entry { ts, payload });
        self.late_ticks = 0;
        if ext < self.highest.0 {
            self.stats.reordered += 1;
            return Pushed::Reordered;
        }
        if ext == self.highest.0 + 1 {
            let step = ts - self.anchor_ts.0;
            if (1..=i64::from(self.config.sample_rate)).contains(&step) {
                self.samples_per_packet = step as u32;
            }
        }
        self.highest = (ext, seq);
        self.anchor_ts = (ts, timestamp);
        Pushed::Buffered
    }

    fn probation(&mut self, seq: u16, timestamp: u32, payload: Vec<u8>) -> Pushed {
        let follows = self.candidate.as_ref().is_some_and(|(cseq, cts, _)| {
            let ds = seq.wrapping_sub(*cseq);
            let dt = timestamp.wrapping_sub(*cts) as i32;
            (1..=16).contains(&ds)
                && i64::from(dt).abs() <= 16 * i64::from(self.samples_per_packet.max(1))
        });
        if !follows {
            if self.candidate.is_some() {
                self.stats.strays += 1;
            }
            self.candidate = Some((seq, timestamp, payload));
            return Pushed::Held;
        }
        let Some((cseq, cts, cpayload)) = self.candidate.take() else {
            return Pushed::Held;
        };
        self.restart(cseq, cts, cpayload);
        // The confirming packet is now consistent with the new stream.
        self.stats.received -= 1;
        self.push(seq, timestamp, payload);
        Pushed::Resynced
    }

    /// Drops the current stream and starts a new one on this packet, with a fresh playout delay.
    fn restart(&mut self, seq: u16, timestamp: u32, payload: Vec<u8>) {
        self.stats.resyncs += 1;
        self.stats.lost += self.buffer.len() as u64;
        self.buffer.clear();
        self.last_played = None;
        self.recent_played.clear();
        self.candidate = None;
        self.start_stream(seq, timestamp, payload, true);
    }

    fn start_stream(&mut self, seq: u16, timestamp: u32, payload: Vec<u8>, after_resync: bool) {
        // Unwrapped values start far from zero so they never go negative in practice.
        let ext = 1 << 32;
        let ts = 1 << 40;
        self.highest = (ext, seq);
        self.anchor_ts = (ts, timestamp);
        self.buffer.insert(ext, Entry { ts, payload });
        self.late_ticks = 0;
        self.late_in_tick = false;
        self.state = State::Waiting {
            ticks: 0,
            after_resync,
        };
    }

    /// Pulls the frame for this 20 ms tick. `None` only before the first packet and during
    /// its initial playout delay; once playing, every call returns a frame.
    pub fn pop_frame(&mut self) -> Option<Frame> {
        if std::mem::take(&mut self.late_in_tick) {
            self.late_ticks += 1;
        }
        match self.state {
            State::Idle => None,
            State::Waiting {
                ticks,
                after_resync,
            } => {
                if ticks < self.config.depth_frames() {
                    self.state = State::Waiting {
                        ticks: ticks + 1,
                        after_resync,
                    };
                    if after_resync {
                        return Some(self.missing(self.samples_per_packet));
                    }
                    return None;
                }
                let Some(first) = self.buffer.values().next() else {
                    self.state = State::Idle;
                    return None;
                };
                self.play_ts = first.ts;
                self.state = State::Playing;
                Some(self.play_tick())
            }
            State::Playing => Some(self.play_tick()),
        }
    }

    fn play_tick(&mut self) -> Frame {
        let Some(entry) = self.buffer.first_entry() else {
            let samples = self.samples_per_packet;
            self.play_ts += i64::from(samples);
            return self.missing(samples);
        };
        let gap = entry.get().ts - self.play_ts;
        if gap > 0 {
            let samples = gap.min(i64::from(self.samples_per_packet)) as u32;
            self.play_ts += i64::from(samples);
            return self.missing(samples);
        }
        let ext = *entry.key();
        let Entry { payload, .. } = entry.remove();
        if let Some(last) = self.last_played {
            self.stats.lost += (ext - last - 1).max(0) as u64;
        }
        self.last_played = Some(ext);
        if self.recent_played.len() == RECENT_PLAYED {
            self.recent_played.pop_front();
        }
        self.recent_played.push_back(ext);
        self.play_ts += payload.len() as i64;
        self.stats.played += 1;
        Frame::Audio(payload)
    }

    fn missing(&mut self, samples: u32) -> Frame {
        self.stats.missing_samples += u64::from(samples);
        Frame::Missing { samples }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::netsim::{Link, LinkConfig};
    use crate::media::rtp::{RtpPacket, RtpSender, RtpSenderConfig};
    use faxvox_codecs::g711::Law;
    use std::time::Duration;

    fn cfg(depth_ms: u32) -> ReorderConfig {
        ReorderConfig {
            depth_ms,
            ..Default::default()
        }
    }

    /// A 160-byte payload whose first two bytes carry `i` (big-endian).
    fn frame(i: u16) -> Vec<u8> {
        let mut v = vec![(i & 0xFF) as u8; 160];
        v[..2].copy_from_slice(&i.to_be_bytes());
        v
    }

    fn ts_of(i: u16) -> u32 {
        u32::from(i).wrapping_mul(160)
    }

    /// Pops until `n` non-None frames are collected.
    fn drain(rb: &mut ReorderBuffer, n: usize) -> Vec<Frame> {
        let mut out = Vec::new();
        let mut guard = 0;
        while out.len() < n {
            if let Some(f) = rb.pop_frame() {
                out.push(f);
            }
            guard += 1;
            assert!(guard < n + 1000, "buffer never produced frames");
        }
        out
    }

    #[test]
    fn plays_in_order_after_fixed_delay() {
        let mut rb = ReorderBuffer::new(cfg(100));
        assert_eq!(rb.pop_frame(), None, "idle before any packet");
        rb.push(500, ts_of(500), frame(500));
        for _ in 0..5 {
            assert_eq!(rb.pop_frame(), None, "100 ms = 5 ticks of delay");
        }
        assert_eq!(rb.pop_frame(), Some(Frame::Audio(frame(500))));
        assert_eq!(rb.pop_frame(), Some(Frame::Missing { samples: 160 }));
    }

    #[test]
    fn reordered_duplicated_and_lost_stream() {
        let mut rb = ReorderBuffer::new(cfg(100));
        // Arrival order with swaps, a duplicate (3) and losses (5, 8).
        let arrivals = [1u16, 0, 3, 2, 3, 4, 7, 6, 9];
        let outcomes: Vec<Pushed> = arrivals
            .iter()
            .map(|&s| rb.push(s, ts_of(s), frame(s)))
            .collect();
        assert_eq!(outcomes[1], Pushed::Reordered);
        assert_eq!(outcomes[4], Pushed::Duplicate);
        let frames = drain(&mut rb, 10);
        let expected: Vec<Frame> = (0..10u16)
            .map(|s| {
                if s == 5 || s == 8 {
                    Frame::Missing { samples: 160 }
                } else {
                    Frame::Audio(frame(s))
                }
            })
            .collect();
        assert_eq!(frames, expected);
        let st = rb.stats();
        assert_eq!(st.received, 9);
        assert_eq!(st.played, 8);
        assert_eq!(st.lost, 2);
        assert_eq!(st.duplicates, 1);
        assert_eq!(st.reordered, 3, "0, 2 and 6 came after a higher number");
        assert_eq!(st.missing_samples, 320);
    }

    #[test]
    fn late_packets_are_dropped_and_duplicates_of_played_detected() {
        let mut rb = ReorderBuffer::new(cfg(20));
        rb.push(0, 0, frame(0));
        rb.push(2, ts_of(2), frame(2));
        assert_eq!(rb.pop_frame(), None);
        assert_eq!(rb.pop_frame(), Some(Frame::Audio(frame(0))));
        assert_eq!(rb.pop_frame(), Some(Frame::Missing { samples: 160 }));
        assert_eq!(rb.push(1, ts_of(1), frame(1)), Pushed::Late);
        assert_eq!(rb.pop_frame(), Some(Frame::Audio(frame(2))));
        assert_eq!(rb.push(2, ts_of(2), frame(2)), Pushed::Duplicate);
        assert_eq!(rb.push(0, 0, frame(0)), Pushed::Duplicate);
        let st = rb.stats();
        assert_eq!((st.late, st.duplicates, st.lost), (1, 2, 1));
    }

    #[test]
    fn sequence_and_timestamp_wrap() {
        let mut rb = ReorderBuffer::new(cfg(60));
        let seqs: Vec<u16> = (0..8u16).map(|i| 65532u16.wrapping_add(i)).collect();
        let base_ts = u32::MAX - 400;
        // Push in a shuffled order across the wrap.
        for &k in &[1usize, 0, 3, 2, 5, 4, 7, 6] {
            let s = seqs[k];
            rb.push(s, base_ts.wrapping_add(160 * k as u32), frame(s));
        }
        let frames = drain(&mut rb, 8);
        let expected: Vec<Frame> = seqs.iter().map(|&s| Frame::Audio(frame(s))).collect();
        assert_eq!(frames, expected);
        assert_eq!(rb.stats().lost, 0);
    }

    #[test]
    fn gap_size_follows_timestamps() {
        let mut rb = ReorderBuffer::new(cfg(0));
        rb.push(0, 0, vec![1; 160]);
        // Seq 1 lost; seq 2's timestamp says 160 samples are missing.
        rb.push(2, 320, vec![2; 160]);
        // 80-sample packet followed by 240 samples of hole (seq 4 lost, odd size).
        rb.push(3, 480, vec![3; 80]);
        rb.push(5, 800, vec![5; 160]);
        let frames: Vec<Frame> = (0..6).filter_map(|_| rb.pop_frame()).collect();
        assert_eq!(
            frames,
            vec![
                Frame::Audio(vec![1; 160]),
                Frame::Missing { samples: 160 },
                Frame::Audio(vec![2; 160]),
                Frame::Audio(vec![3; 80]),
                Frame::Missing { samples: 160 },
                Frame::Missing { samples: 80 },
            ]
        );
        assert_eq!(rb.pop_frame(), Some(Frame::Audio(vec![5; 160])));
        assert_eq!(rb.stats().lost, 2);
    }

    #[test]
    fn resyncs_on_restart_instead_of_stalling() {
        let mut rb = ReorderBuffer::new(cfg(40));
        for s in 0..10u16 {
            rb.push(s, ts_of(s), frame(s));
        }
        let _ = drain(&mut rb, 5);
        // Peer restarts: new sequence and timestamp base far away.
        assert_eq!(rb.push(40000, 7_000_000, frame(40000)), Pushed::Held);
        assert_eq!(rb.push(40001, 7_000_160, frame(40001)), Pushed::Resynced);
        rb.push(40002, 7_000_320, frame(40002));
        // Fresh playout delay (2 ticks), shown as Missing because the stream was running.
        assert_eq!(rb.pop_frame(), Some(Frame::Missing { samples: 160 }));
        assert_eq!(rb.pop_frame(), Some(Frame::Missing { samples: 160 }));
        assert_eq!(rb.pop_frame(), Some(Frame::Audio(frame(40000))));
        assert_eq!(rb.pop_frame(), Some(Frame::Audio(frame(40001))));
        assert_eq!(rb.pop_frame(), Some(Frame::Audio(frame(40002))));
        let st = rb.stats();
        assert_eq!(st.resyncs, 1);
        assert_eq!(st.lost, 5, "the old stream's unplayed tail is flushed");
    }

    #[test]
    fn backwards_restart_also_resyncs() {
        let mut rb = ReorderBuffer::new(cfg(0));
        for s in 1000..1010u16 {
            rb.push(s, ts_of(s), frame(s));
            assert_eq!(rb.pop_frame(), Some(Frame::Audio(frame(s))));
        }
        rb.push(3, ts_of(3), frame(3));
        rb.push(4, ts_of(4), frame(4));
        assert_eq!(rb.pop_frame(), Some(Frame::Audio(frame(3))));
        assert_eq!(rb.pop_frame(), Some(Frame::Audio(frame(4))));
        assert_eq!(rb.stats().resyncs, 1);
    }

    #[test]
    fn a_single_stray_packet_does_not_resync() {
        let mut rb = ReorderBuffer::new(cfg(0));
        for s in 0..5u16 {
            rb.push(s, ts_of(s), frame(s));
        }
        assert_eq!(rb.push(30000, 12345, frame(30000)), Pushed::Held);
        assert_eq!(rb.push(5, ts_of(5), frame(5)), Pushed::Buffered);
        let frames = drain(&mut rb, 6);
        assert_eq!(
            frames,
            (0..6).map(|s| Frame::Audio(frame(s))).collect::<Vec<_>>()
        );
        let st = rb.stats();
        assert_eq!((st.resyncs, st.strays), (0, 1));
    }

    #[test]
    fn sender_pause_with_running_clock_does_not_stall() {
        let mut rb = ReorderBuffer::new(cfg(40));
        for s in 0..3u16 {
            rb.push(s, ts_of(s), frame(s));
        }
        let mut frames = drain(&mut rb, 3);
        // Sender pauses 1 s (50 ticks) but its RTP clock runs on; receiver keeps pulling.
        for _ in 0..50 {
            frames.push(rb.pop_frame().unwrap());
        }
        for s in 3..6u16 {
            rb.push(s, ts_of(s) + 8000, frame(s));
        }
        let audio = (0..20)
            .filter_map(|_| rb.pop_frame())
            .filter(|f| matches!(f, Frame::Audio(_)))
            .count();
        assert_eq!(
            audio, 3,
            "packets after the pause are played, not dropped as late"
        );
        assert_eq!(rb.stats().late, 0);
    }

    #[test]
    fn sender_pause_without_clock_advance_resyncs() {
        let mut rb = ReorderBuffer::new(cfg(40));
        for s in 0..3u16 {
            rb.push(s, ts_of(s), frame(s));
        }
        let _ = drain(&mut rb, 3);
        // Sender stops for 0.5 s and resumes where its RTP clock left off: every packet is
        // now 0.5 s behind our playout clock.
        for _ in 0..25 {
            rb.pop_frame();
        }
        let mut audio = Vec::new();
        for s in 3..30u16 {
            rb.push(s, ts_of(s), frame(s));
            if let Some(Frame::Audio(p)) = rb.pop_frame() {
                audio.push(u16::from_be_bytes([p[0], p[1]]));
            }
        }
        let st = rb.stats();
        assert_eq!(st.resyncs, 1);
        assert_eq!(
            st.late, 8,
            "8 ticks of late packets before giving up on the old clock"
        );
        // Playout resumed in order at the packet that triggered the restart.
        assert_eq!(audio, (11..28).collect::<Vec<_>>());
    }

    #[test]
    fn a_burst_of_late_packets_after_a_stall_keeps_latency() {
        let mut rb = ReorderBuffer::new(cfg(40));
        let mut audio = 0;
        for s in 0..10u16 {
            rb.push(s, ts_of(s), frame(s));
            rb.pop_frame();
        }
        // 300 ms network stall: 15 packets held back, then delivered in one tick.
        for _ in 10..25u16 {
            rb.pop_frame();
        }
        for s in 10..25u16 {
            rb.push(s, ts_of(s), frame(s));
        }
        for s in 25..40u16 {
            rb.push(s, ts_of(s), frame(s));
            if let Some(Frame::Audio(_)) = rb.pop_frame() {
                audio += 1;
            }
            assert!(
                rb.len() <= 3,
                "latency must not grow: {} buffered",
                rb.len()
            );
        }
        assert_eq!(rb.stats().resyncs, 0);
        assert!(
            audio >= 14,
            "playout goes on with the on-time packets: {audio}"
        );
    }

    #[test]
    fn config_depth_and_frame_math() {
        let c = ReorderConfig::default();
        assert_eq!(
            (c.depth_ms, c.frame_samples(), c.depth_frames()),
            (100, 160, 5)
        );
        assert_eq!(cfg(30).depth_frames(), 2);
        let media = crate::media::MediaConfig {
            reorder_ms: 200,
            ..Default::default()
        };
        assert_eq!(ReorderConfig::from(&media).depth_frames(), 10);
    }

    #[test]
    fn reset_starts_over() {
        let mut rb = ReorderBuffer::new(cfg(0));
        rb.push(7, 0, frame(7));
        rb.reset();
        assert_eq!(rb.pop_frame(), None);
        assert_eq!(rb.stats().lost, 1);
        rb.push(100, 5, frame(100));
        assert_eq!(rb.pop_frame(), Some(Frame::Audio(frame(100))));
    }

    proptest::proptest! {
        /// Arbitrary sequence numbers, timestamps and push/pop interleavings never panic.
        #[test]
        fn arbitrary_input_never_panics(
            depth in 0u32..200,
            ops in proptest::collection::vec(
                (proptest::prelude::any::<bool>(), proptest::prelude::any::<u16>(),
                 proptest::prelude::any::<u32>(), 0usize..400), 0..300)
        ) {
            let mut rb = ReorderBuffer::new(cfg(depth));
            for (pop, seq, ts, len) in ops {
                if pop {
                    rb.pop_frame();
                } else {
                    rb.push(seq, ts, vec![0; len]);
                }
            }
        }

        /// A stream with consistent timestamps, randomly shuffled within a window smaller than
        /// the depth, duplicated and thinned, always plays strictly in sequence order.
        #[test]
        fn shuffled_stream_plays_in_order(
            base in proptest::prelude::any::<u16>(),
            keys in proptest::collection::vec(0u32..60, 200),
            drop in proptest::collection::vec(0u8..10, 200),
        ) {
            let mut rb = ReorderBuffer::new(cfg(100));
            // Packet i becomes available at tick i + (keys[i] / 20) (up to 2 ticks of jitter).
            let mut arrivals: Vec<(u32, u16)> = (0..200u16)
                .filter(|i| drop[usize::from(*i)] != 0)
                .map(|i| (u32::from(i) + keys[usize::from(i)] / 20, i))
                .collect();
            arrivals.sort();
            let mut played = Vec::new();
            let mut k = 0;
            for tick in 0..260u32 {
                while k < arrivals.len() && arrivals[k].0 <= tick {
                    let i = arrivals[k].1;
                    let seq = base.wrapping_add(i);
                    rb.push(seq, ts_of(i), frame(i));
                    if i.is_multiple_of(7) {
                        rb.push(seq, ts_of(i), frame(i));
                    }
                    k += 1;
                }
                if let Some(Frame::Audio(p)) = rb.pop_frame() {
                    played.push(u16::from_be_bytes([p[0], p[1]]));
                }
            }
            let expected: Vec<u16> = (0..200u16).filter(|i| drop[usize::from(*i)] != 0).collect();
            proptest::prop_assert_eq!(played, expected);
            proptest::prop_assert_eq!(rb.stats().late, 0);
        }
    }

    /// End to end: RTP sender -> jittery, lossy, duplicating link -> parser -> reorder buffer.
    /// With jitter below the playout depth nothing is late, so every frame comes out in order and
    /// exactly the dropped packets become Missing.
    #[test]
    fn netsim_rtp_reorder_pipeline() {
        let mut tx = RtpSender::new(RtpSenderConfig::g711(Law::Ulaw, 77, 65000, 0));
        let mut link = Link::new(LinkConfig {
            loss_pct: 5.0,
            jitter_ms: 60,
            base_delay_ms: 30,
            seed: 2024,
            duplicate_pct: 3.0,
            burst: None,
        });
        let mut rb = ReorderBuffer::new(cfg(100));
        let n = 1000u16;
        let mut out = Vec::new();
        for tick in 0..(n as u64 + 20) {
            let now = Duration::from_millis(20 * tick);
            if tick < u64::from(n) {
                link.send(now, tx.packetize(&frame(tick as u16)));
            }
            while let Some(d) = link.poll(now) {
                let p = RtpPacket::parse(&d).unwrap();
                rb.push(p.sequence, p.timestamp, p.payload.to_vec());
            }
            if let Some(f) = rb.pop_frame() {
                out.push(f);
            }
        }
        let ls = link.stats();
        let rs = rb.stats();
        assert!(ls.dropped > 20 && ls.duplicated > 10, "{ls:?}");
        assert_eq!(rs.late, 0, "jitter 60 ms < depth 100 ms");
        assert_eq!(rs.duplicates, ls.duplicated);
        assert!(rs.reordered > 50, "60 ms jitter must reorder: {rs:?}");
        // The first sent packets may be lost; playout starts at the first one received.
        let first = out
            .iter()
            .position(|f| matches!(f, Frame::Audio(_)))
            .unwrap();
        let Frame::Audio(p) = &out[first] else {
            unreachable!()
        };
        let first_seq = u16::from_be_bytes([p[0], p[1]]);
        let mut lost = 0;
        for (k, f) in out[first..]
            .iter()
            .take(usize::from(n - first_seq))
            .enumerate()
        {
            let i = first_seq + k as u16;
            match f {
                Frame::Audio(p) => assert_eq!(p, &frame(i), "frame {i} out of order"),
                Frame::Missing { samples } => {
                    assert_eq!(*samples, 160);
                    lost += 1;
                }
            }
        }
        assert_eq!(
            lost + u64::from(first_seq),
            ls.dropped,
            "each dropped packet is one Missing frame"
        );
    }
}
