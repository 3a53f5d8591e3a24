//! RFC 4733 telephone-events: DTMF digits 0–9, `*`, `#`, A–D and flash (event 16), sent and
//! received as RTP payloads on the negotiated payload type (never a hard-coded 101; the SDP
//! layer mirrors the offer's).
//!
//! Why our own: the wire format is trivial, but the receiver semantics are where
//! bugs live, and every crate that gets them right embeds them in a large stack.
//!
//! **Sender** ([`DtmfSender`]): every packet of one event carries the *same* RTP timestamp (the
//! event start); the first carries the marker bit; the duration field grows by one packet
//! interval per packet; the final packet (E bit set, full duration) is sent three times, one
//! interval apart, so a burst loss does not lose the end; an event longer than 0xFFFF timestamp
//! units is split into segments (RFC 4733 §2.5.1.3): a segment closes with duration 0xFFFF and
//! no E bit, and the next segment starts at timestamp + 0xFFFF without a marker. The sender plans
//! packets as [`EventPacket`]s with a due time; [`EventPacket::to_datagram`] writes the RTP
//! header through [`write_packet`] because [`RtpSender`](super::rtp::RtpSender) has no way to
//! send a packet with its own timestamp and payload type. The caller gives each datagram the
//! next sequence number of the audio stream and, after the event, advances the audio timestamp
//! over it (`RtpSender::skip`).
//!
//! **Receiver** ([`DtmfReceiver`]): an event is identified by (SSRC, timestamp). The first
//! packet seen reports [`DtmfEvent::DigitStart`], the E bit reports [`DtmfEvent::DigitEnd`] with
//! the duration; retransmitted end packets and late interim packets of a finished event are
//! ignored; a first packet that already has E set (start lost) reports both at once; a lost end
//! is reported when the next event starts or, via [`DtmfReceiver::poll`], when no packet has
//! arrived for the timeout (`now` is a [`Duration`] since any epoch, as in
//! [`netsim`](super::netsim)). Long events that arrive as segments are joined into one digit.
//! Malformed payloads are typed errors; nothing here panics on input.

use std::collections::VecDeque;
use std::time::Duration;

use thiserror::Error;

use super::rtp::{write_packet, RtpPacket};

/// Length of one event block in the payload.
pub const EVENT_PAYLOAD_LEN: usize = 4;
/// Largest duration one segment can express (RFC 4733 §2.5.1.3).
pub const MAX_SEGMENT_DURATION: u32 = 0xFFFF;
/// How many times the final packet of an event is sent (RFC 4733 §2.5.1.4).
pub const END_REPEATS: u8 = 3;
/// Default tone power in −dBm0 for events we send (a typical DTMF level).
pub const DEFAULT_VOLUME: u8 = 10;
/// Default timestamp units between updates: 20 ms at 8 kHz, the audio packet interval.
pub const DEFAULT_PACKET_INTERVAL: u32 = 160;
/// Default time without packets after which an event whose end was lost is closed.
pub const DEFAULT_END_TIMEOUT: Duration = Duration::from_millis(300);
/// Finished segments remembered for de-duplication.
const ENDED_MEMORY: usize = 16;

/// Why telephone-event input or configuration was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DtmfError {
    /// The payload is empty or not a multiple of the 4-byte event block.
    #[error("telephone-event payload of {len} bytes is not a non-zero multiple of 4")]
    BadLength {
        /// Payload length.
        len: usize,
    },
    /// The RTP packet is not on the negotiated telephone-event payload type.
    #[error("payload type {got} is not the telephone-event payload type {expected}")]
    WrongPayloadType {
        /// The negotiated payload type.
        expected: u8,
        /// The packet's payload type.
        got: u8,
    },
    /// The event code is not a DTMF digit or flash (e.g. an RFC 4734 fax tone event).
    #[error("event {code} is not a DTMF digit or flash")]
    UnsupportedEvent {
        /// The event code.
        code: u8,
    },
    /// A character that names no DTMF event.
    #[error("{0:?} is not a DTMF digit")]
    BadDigit(char),
    /// The sender configuration cannot be used.
    #[error("invalid telephone-event sender config: {0}")]
    InvalidConfig(&'static str),
}

/// A DTMF digit or flash, with its RFC 4733 event code as discriminant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Digit {
    /// `0`
    D0 = 0,
    /// `1`
    D1 = 1,
    /// `2`
    D2 = 2,
    /// `3`
    D3 = 3,
    /// `4`
    D4 = 4,
    /// `5`
    D5 = 5,
    /// `6`
    D6 = 6,
    /// `7`
    D7 = 7,
    /// `8`
    D8 = 8,
    /// `9`
    D9 = 9,
    /// `*`
    Star = 10,
    /// `#`
    Hash = 11,
    /// `A`
    A = 12,
    /// `B`
    B = 13,
    /// `C`
    C = 14,
    /// `D`
    D = 15,
    /// Hook flash (event 16).
    Flash = 16,
}

const ALL_DIGITS: [Digit; 17] = [
    Digit::D0,
    Digit::D1,
    Digit::D2,
    Digit::D3,
    Digit::D4,
    Digit::D5,
    Digit::D6,
    Digit::D7,
    Digit::D8,
    Digit::D9,
    Digit::Star,
    Digit::Hash,
    Digit::A,
    Digit::B,
    Digit::C,
    Digit::D,
    Digit::Flash,
];

const DIGIT_CHARS: &[u8; 17] = b"0123456789*#ABCD!";

impl Digit {
    /// The digit for an RFC 4733 event code, if it is 0–16.
    pub fn from_event(code: u8) -> Option<Digit> {
        ALL_DIGITS.get(usize::from(code)).copied()
    }

    /// The RFC 4733 event code.
    pub fn event(self) -> u8 {
        self as u8
    }

    /// Parses `0`–`9`, `*`, `#`, `A`–`D` (either case) and `!` for flash.
    pub fn from_char(c: char) -> Option<Digit> {
        let upper = c.to_ascii_uppercase();
        DIGIT_CHARS
            .iter()
            .position(|&d| char::from(d) == upper)
            .and_then(|i| ALL_DIGITS.get(i).copied())
    }

    /// The character for this digit (`!` for flash).
    pub fn as_char(self) -> char {
        char::from(DIGIT_CHARS[usize::from(self.event())])
    }
}

/// One 4-byte event block: event code, E bit, volume and duration (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPayload {
    /// Event code (0–16 for DTMF and flash).
    pub event: u8,
    /// End of event.
    pub end: bool,
    /// Tone power in −dBm0, 0–63 (6 bits).
    pub volume: u8,
    /// Duration so far in timestamp units, counted from the packet's RTP timestamp.
    pub duration: u16,
}

impl EventPayload {
    /// The wire form; the reserved bit is zero and the volume is masked to 6 bits.
    pub fn encode(&self) -> [u8; EVENT_PAYLOAD_LEN] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3F),
            d[0],
            d[1],
        ]
    }

    /// Parses every block of a payload (usually one; RFC 4733 §2.5.1.5 allows several). The
    /// reserved bit is ignored, as the RFC asks of receivers.
    pub fn parse_all(payload: &[u8]) -> Result<Vec<EventPayload>, DtmfError> {
        if payload.is_empty() || !payload.len().is_multiple_of(EVENT_PAYLOAD_LEN) {
            return Err(DtmfError::BadLength { len: payload.len() });
        }
        Ok(payload
            .chunks_exact(EVENT_PAYLOAD_LEN)
            .map(|b| EventPayload {
                event: b[0],
                end: b[1] & 0x80 != 0,
                volume: b[1] & 0x3F,
                duration: u16::from_be_bytes([b[2], b[3]]),
            })
            .collect())
    }
}

/// How our telephone-events are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfSenderConfig {
    /// The negotiated telephone-event payload type (from the peer's SDP).
    pub payload_type: u8,
    /// Tone power in −dBm0 (0–63).
    pub volume: u8,
    /// Timestamp units between updates (160 = 20 ms at 8 kHz).
    pub packet_interval: u32,
    /// Transmissions of the final packet (3 per RFC 4733).
    pub end_repeats: u8,
}

impl DtmfSenderConfig {
    /// Defaults around the negotiated payload type: volume 10, 20 ms updates, end sent 3 times.
    pub fn new(payload_type: u8) -> DtmfSenderConfig {
        DtmfSenderConfig {
            payload_type,
            volume: DEFAULT_VOLUME,
            packet_interval: DEFAULT_PACKET_INTERVAL,
            end_repeats: END_REPEATS,
        }
    }
}

/// One planned telephone-event packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPacket {
    /// When to send it, in timestamp units after the start of the plan (the first event's
    /// start). Packets due at the same time go out back to back, in order.
    pub send_at: u32,
    /// RTP marker bit: set on the first packet of an event only.
    pub marker: bool,
    /// RTP timestamp: the event's (segment's) start, the same for all its packets.
    pub timestamp: u32,
    /// RTP payload type.
    pub payload_type: u8,
    /// The event block.
    pub payload: EventPayload,
}

impl EventPacket {
    /// The RTP datagram, with the audio stream's next `sequence` number and its `ssrc`.
    pub fn to_datagram(&self, sequence: u16, ssrc: u32) -> Vec<u8> {
        write_packet(
            self.marker,
            self.payload_type,
            sequence,
            self.timestamp,
            ssrc,
            &self.payload.encode(),
        )
    }
}

/// Plans the packets of outgoing events. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfSender {
    config: DtmfSenderConfig,
}

impl DtmfSender {
    /// Validates the config: payload type 0–127, volume 0–63, interval 1–0xFFFF, at least one
    /// end packet.
    pub fn new(config: DtmfSenderConfig) -> Result<DtmfSender, DtmfError> {
        if config.payload_type > 127 {
            return Err(DtmfError::InvalidConfig("payload type above 127"));
        }
        if config.volume > 63 {
            return Err(DtmfError::InvalidConfig("volume above 63"));
        }
        if config.packet_interval == 0 || config.packet_interval > MAX_SEGMENT_DURATION {
            return Err(DtmfError::InvalidConfig(
                "packet interval outside 1..=65535",
            ));
        }
        if config.end_repeats == 0 {
            return Err(DtmfError::InvalidConfig(
                "end packet must be sent at least once",
            ));
        }
        Ok(DtmfSender { config })
    }

    /// The configuration.
    pub fn config(&self) -> &DtmfSenderConfig {
        &self.config
    }

    /// The packets of one event lasting `duration` timestamp units (at least 1) starting at
    /// RTP timestamp `start`; `send_at` counts from the event start.
    ///
    /// Packet *k* (1-based) is due at *k* intervals and reports *k* intervals of duration, so a
    /// 200 ms digit at 20 ms is 9 updates (160 … 1440) and then the end (1600) three times at
    /// 1600, 1760 and 1920.
    pub fn event(&self, digit: Digit, start: u32, duration: u32) -> Vec<EventPacket> {
        let c = &self.config;
        let duration = duration.max(1);
        let mut out = Vec::new();
        let mut seg_start = 0u32;
        let mut t = 0u32;
        let mut packet = |send_at: u32, seg_start: u32, dur: u32, end: bool| {
            let marker = out.is_empty();
            out.push(EventPacket {
                send_at,
                marker,
                timestamp: start.wrapping_add(seg_start),
                payload_type: c.payload_type,
                payload: EventPayload {
                    event: digit.event(),
                    end,
                    volume: c.volume,
                    duration: dur.min(MAX_SEGMENT_DURATION) as u16,
                },
            });
        };
        loop {
            t = t.saturating_add(c.packet_interval).min(duration);
            while t - seg_start > MAX_SEGMENT_DURATION {
                // Close the full segment; the next one starts where its duration ends.
                packet(t, seg_start, MAX_SEGMENT_DURATION, false);
                seg_start += MAX_SEGMENT_DURATION;
            }
            if t == duration {
                break;
            }
            packet(t, seg_start, t - seg_start, false);
        }
        for r in 0..u32::from(c.end_repeats) {
            let at = duration.saturating_add(r.saturating_mul(c.packet_interval));
            packet(at, seg_start, duration - seg_start, true);
        }
        out
    }

    /// The packets for a digit string (`"123#"`): each digit lasts `duration`, the next starts
    /// `gap` later, timestamps advance with the plan. Sorted by `send_at` (stable).
    pub fn digits(
        &self,
        digits: &str,
        start: u32,
        duration: u32,
        gap: u32,
    ) -> Result<Vec<EventPacket>, DtmfError> {
        let digits = digits
            .chars()
            .map(|c| Digit::from_char(c).ok_or(DtmfError::BadDigit(c)))
            .collect::<Result<Vec<_>, _>>()?;
        let step = duration.max(1).saturating_add(gap);
        let mut out = Vec::new();
        let mut offset = 0u32;
        for d in digits {
            out.extend(
                self.event(d, start.wrapping_add(offset), duration)
                    .into_iter()
                    .map(|mut p| {
                        p.send_at = p.send_at.saturating_add(offset);
                        p
                    }),
            );
            offset = offset.saturating_add(step);
        }
        out.sort_by_key(|p| p.send_at);
        Ok(out)
    }
}

/// Why a received event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndCause {
    /// A packet with the E bit arrived.
    EndBit,
    /// No packet for the timeout: the end packets were lost.
    Timeout,
    /// Another event started before this one's end arrived.
    Superseded,
}

/// What the receiver reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfEvent {
    /// The first packet of an event arrived.
    DigitStart {
        /// The digit.
        digit: Digit,
        /// RTP timestamp of the event start.
        timestamp: u32,
    },
    /// The event ended.
    DigitEnd {
        /// The digit.
        digit: Digit,
        /// RTP timestamp of the event start.
        timestamp: u32,
        /// Total duration in timestamp units (all segments of a long event).
        duration: u32,
        /// How the end was detected.
        cause: EndCause,
    },
}

#[derive(Debug, Clone, Copy)]
struct Active {
    ssrc: u32,
    digit: Digit,
    start: u32,
    seg_ts: u32,
    seg_duration: u32,
    base: u32,
    last_seen: Duration,
}

/// Turns incoming telephone-event packets into digit starts and ends. See the module docs.
#[derive(Debug, Clone)]
pub struct DtmfReceiver {
    payload_type: u8,
    timeout: Duration,
    active: Option<Active>,
    ended: VecDeque<(u32, u32)>,
}

/// Whether timestamp `a` is before `b` in RTP serial arithmetic.
fn ts_before(a: u32, b: u32) -> bool {
    (b.wrapping_sub(a) as i32) > 0
}

impl DtmfReceiver {
    /// A receiver for the negotiated payload type with the default end timeout.
    pub fn new(payload_type: u8) -> DtmfReceiver {
        DtmfReceiver::with_timeout(payload_type, DEFAULT_END_TIMEOUT)
    }

    /// A receiver with an explicit timeout for lost ends.
    pub fn with_timeout(payload_type: u8, timeout: Duration) -> DtmfReceiver {
        DtmfReceiver {
            payload_type,
            timeout,
            active: None,
            ended: VecDeque::with_capacity(ENDED_MEMORY),
        }
    }

    /// The telephone-event payload type this receiver accepts.
    pub fn payload_type(&self) -> u8 {
        self.payload_type
    }

    /// Whether an event is in progress (started, end not yet seen).
    pub fn is_active(&self) -> bool {
        self.active.is_some()
    }

    /// Feeds one parsed RTP packet; refuses packets on another payload type.
    pub fn receive_rtp(
        &mut self,
        packet: &RtpPacket<'_>,
        now: Duration,
    ) -> Result<Vec<DtmfEvent>, DtmfError> {
        if packet.payload_type != self.payload_type {
            return Err(DtmfError::WrongPayloadType {
                expected: self.payload_type,
                got: packet.payload_type,
            });
        }
        self.receive(packet.ssrc, packet.timestamp, packet.payload, now)
    }

    /// Feeds one telephone-event payload with its packet's SSRC and timestamp. On error the
    /// state is unchanged (a timeout that was already due is still reported by the next
    /// [`poll`](Self::poll)).
    pub fn receive(
        &mut self,
        ssrc: u32,
        timestamp: u32,
        payload: &[u8],
        now: Duration,
    ) -> Result<Vec<DtmfEvent>, DtmfError> {
        let blocks = EventPayload::parse_all(payload)?;
        let digits = blocks
            .iter()
            .map(|b| {
                Digit::from_event(b.event).ok_or(DtmfError::UnsupportedEvent { code: b.event })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        out.extend(self.poll(now));
        // Several blocks: each later event starts where the previous one's duration ends
        // (RFC 4733 §2.5.1.5).
        let mut ts = timestamp;
        for (block, digit) in blocks.iter().zip(digits) {
            self.handle(ssrc, ts, digit, block, now, &mut out);
            ts = ts.wrapping_add(u32::from(block.duration));
        }
        Ok(out)
    }

    /// Closes an event whose end never arrived once nothing was heard for the timeout. Call it
    /// from the media tick.
    pub fn poll(&mut self, now: Duration) -> Option<DtmfEvent> {
        let a = self.active?;
        (now.saturating_sub(a.last_seen) >= self.timeout).then(|| self.finish(EndCause::Timeout))
    }

    fn handle(
        &mut self,
        ssrc: u32,
        ts: u32,
        digit: Digit,
        block: &EventPayload,
        now: Duration,
        out: &mut Vec<DtmfEvent>,
    ) {
        if self.ended.contains(&(ssrc, ts)) {
            // A retransmitted end, or a late update of a finished event.
            return;
        }
        let duration = u32::from(block.duration);
        if let Some(a) = self.active.as_mut() {
            if a.ssrc == ssrc && a.seg_ts == ts {
                if a.digit == digit {
                    a.seg_duration = a.seg_duration.max(duration);
                    a.last_seen = now;
                    if block.end {
                        out.push(self.finish(EndCause::EndBit));
                    }
                }
                // Same (SSRC, timestamp) with another digit: a broken sender; ignore.
                return;
            }
            if a.ssrc == ssrc
                && a.digit == digit
                && ts == a.seg_ts.wrapping_add(MAX_SEGMENT_DURATION)
            {
                // Next segment of a long event.
                let old = (a.ssrc, a.seg_ts);
                a.base = a.base.saturating_add(MAX_SEGMENT_DURATION);
                a.seg_ts = ts;
                a.seg_duration = duration;
                a.last_seen = now;
                self.remember(old);
                if block.end {
                    out.push(self.finish(EndCause::EndBit));
                }
                return;
            }
            if a.ssrc == ssrc && ts_before(ts, a.seg_ts) {
                // A straggler from an event older than the current one.
                return;
            }
            out.push(self.finish(EndCause::Superseded));
        }
        out.push(DtmfEvent::DigitStart {
            digit,
            timestamp: ts,
        });
        self.active = Some(Active {
            ssrc,
            digit,
            start: ts,
            seg_ts: ts,
            seg_duration: duration,
            base: 0,
            last_seen: now,
        });
        if block.end {
            out.push(self.finish(EndCause::EndBit));
        }
    }

    fn remember(&mut self, key: (u32, u32)) {
        if self.ended.len() == ENDED_MEMORY {
            self.ended.pop_front();
        }
        self.ended.push_back(key);
    }

    /// Ends the active event. Only called when one is active.
    fn finish(&mut self, cause: EndCause) -> DtmfEvent {
        let a = self
            .active
            .take()
            .expect("finish is only called with an active event");
        self.remember((a.ssrc, a.seg_ts));
        DtmfEvent::DigitEnd {
            digit: a.digit,
            timestamp: a.start,
            duration: a.base.saturating_add(a.seg_duration),
            cause,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MS: Duration = Duration::from_millis(1);

    fn sender(pt: u8) -> DtmfSender {
        DtmfSender::new(DtmfSenderConfig::new(pt)).unwrap()
    }

    fn block(event: u8, end: bool, duration: u16) -> [u8; 4] {
        EventPayload {
            event,
            end,
            volume: 10,
            duration,
        }
        .encode()
    }

    /// Delivers planned packets through real RTP datagrams; `now` follows `send_at`.
    fn deliver(rx: &mut DtmfReceiver, packets: &[EventPacket], ssrc: u32) -> Vec<DtmfEvent> {
        let mut out = Vec::new();
        for (i, p) in packets.iter().enumerate() {
            let dgram = p.to_datagram(1000 + i as u16, ssrc);
            let parsed = RtpPacket::parse(&dgram).unwrap();
            let now = Duration::from_micros(u64::from(p.send_at) * 125);
            out.extend(rx.receive_rtp(&parsed, now).unwrap());
        }
        out
    }

    #[test]
    fn digit_mapping() {
        for (i, c) in "0123456789*#ABCD!".chars().enumerate() {
            let d = Digit::from_char(c).unwrap();
            assert_eq!(usize::from(d.event()), i);
            assert_eq!(d.as_char(), c);
            assert_eq!(Digit::from_event(i as u8), Some(d));
        }
        assert_eq!(Digit::from_char('a'), Some(Digit::A));
        assert_eq!(Digit::from_char('x'), None);
        assert_eq!(Digit::from_event(17), None);
    }

    #[test]
    fn payload_round_trip_and_errors() {
        let p = EventPayload {
            event: 11,
            end: true,
            volume: 63,
            duration: 0x1234,
        };
        assert_eq!(p.encode(), [11, 0xBF, 0x12, 0x34]);
        assert_eq!(EventPayload::parse_all(&p.encode()).unwrap(), vec![p]);
        assert_eq!(
            EventPayload::parse_all(&[1, 2, 3]),
            Err(DtmfError::BadLength { len: 3 })
        );
        assert_eq!(
            EventPayload::parse_all(&[]),
            Err(DtmfError::BadLength { len: 0 })
        );
        // Reserved bit is ignored.
        assert_eq!(
            EventPayload::parse_all(&[5, 0x40 | 7, 0, 160]).unwrap()[0],
            EventPayload {
                event: 5,
                end: false,
                volume: 7,
                duration: 160
            }
        );
    }

    #[test]
    fn sender_200ms_digit_exact() {
        let tx = sender(96);
        let pkts = tx.event(Digit::D5, 48_000, 1600);
        let got: Vec<_> = pkts
            .iter()
            .map(|p| {
                (
                    p.send_at,
                    p.marker,
                    p.timestamp,
                    p.payload.duration,
                    p.payload.end,
                )
            })
            .collect();
        let mut want: Vec<(u32, bool, u32, u16, bool)> = (1..=9)
            .map(|k| (k * 160, k == 1, 48_000, (k * 160) as u16, false))
            .collect();
        want.extend([
            (1600, false, 48_000, 1600, true),
            (1760, false, 48_000, 1600, true),
            (1920, false, 48_000, 1600, true),
        ]);
        assert_eq!(got, want);
        assert!(pkts
            .iter()
            .all(|p| p.payload_type == 96 && p.payload.event == 5 && p.payload.volume == 10));
        // The datagram carries the negotiated PT, marker and timestamp.
        let d = pkts[0].to_datagram(7, 0xABCD);
        let r = RtpPacket::parse(&d).unwrap();
        assert_eq!(
            (r.payload_type, r.marker, r.sequence, r.timestamp, r.ssrc),
            (96, true, 7, 48_000, 0xABCD)
        );
        assert_eq!(r.payload, &[5, 10, 0, 160]);
    }

    #[test]
    fn sender_short_event_marks_first_end_packet() {
        let pkts = sender(101).event(Digit::Hash, 0, 100);
        assert_eq!(pkts.len(), 3);
        assert!(pkts[0].marker && !pkts[1].marker && !pkts[2].marker);
        assert!(pkts
            .iter()
            .all(|p| p.payload.end && p.payload.duration == 100));
    }

    #[test]
    fn sender_rejects_bad_config() {
        let mut c = DtmfSenderConfig::new(128);
        assert!(DtmfSender::new(c).is_err());
        c.payload_type = 101;
        c.volume = 64;
        assert!(DtmfSender::new(c).is_err());
        c.volume = 10;
        c.packet_interval = 0;
        assert!(DtmfSender::new(c).is_err());
        c.packet_interval = 160;
        c.end_repeats = 0;
        assert!(DtmfSender::new(c).is_err());
        assert_eq!(
            sender(101).digits("12x", 0, 800, 400),
            Err(DtmfError::BadDigit('x'))
        );
    }

    #[test]
    fn long_event_is_split_into_segments() {
        let total = 70_000u32;
        let start = u32::MAX - 1000; // crosses the timestamp wrap too
        let pkts = sender(101).event(Digit::D1, start, total);
        // One closing packet of the first segment, with 0xFFFF and no E bit.
        let closing: Vec<_> = pkts
            .iter()
            .filter(|p| p.payload.duration == 0xFFFF && !p.payload.end)
            .collect();
        assert_eq!(closing.len(), 1);
        assert_eq!(closing[0].timestamp, start);
        let second_ts = start.wrapping_add(0xFFFF);
        let second: Vec<_> = pkts.iter().filter(|p| p.timestamp == second_ts).collect();
        assert!(!second.is_empty());
        assert!(second.iter().all(|p| !p.marker));
        let ends: Vec<_> = pkts.iter().filter(|p| p.payload.end).collect();
        assert_eq!(ends.len(), 3);
        assert!(ends
            .iter()
            .all(|p| p.timestamp == second_ts && u32::from(p.payload.duration) == total - 0xFFFF));
        assert_eq!(pkts.iter().filter(|p| p.marker).count(), 1);
        // Durations within each segment never decrease.
        for w in pkts.windows(2) {
            if w[0].timestamp == w[1].timestamp {
                assert!(w[1].payload.duration >= w[0].payload.duration);
            }
        }

        let mut rx = DtmfReceiver::new(101);
        let ev = deliver(&mut rx, &pkts, 9);
        assert_eq!(
            ev,
            vec![
                DtmfEvent::DigitStart {
                    digit: Digit::D1,
                    timestamp: start
                },
                DtmfEvent::DigitEnd {
                    digit: Digit::D1,
                    timestamp: start,
                    duration: total,
                    cause: EndCause::EndBit
                },
            ]
        );
    }

    #[test]
    fn receiver_dedups_end_packets() {
        let mut rx = DtmfReceiver::new(101);
        let pkts = sender(101).event(Digit::D7, 1000, 800);
        let ev = deliver(&mut rx, &pkts, 1);
        assert_eq!(ev.len(), 2, "{ev:?}");
        // Late retransmissions long after the end are still ignored.
        let late = rx.receive(1, 1000, &block(7, true, 800), 10 * MS).unwrap();
        assert!(late.is_empty());
        let late = rx.receive(1, 1000, &block(7, false, 320), 11 * MS).unwrap();
        assert!(late.is_empty());
        assert!(!rx.is_active());
    }

    #[test]
    fn receiver_missing_start() {
        let mut rx = DtmfReceiver::new(101);
        let ev = rx.receive(5, 3200, &block(11, true, 960), MS).unwrap();
        assert_eq!(
            ev,
            vec![
                DtmfEvent::DigitStart {
                    digit: Digit::Hash,
                    timestamp: 3200
                },
                DtmfEvent::DigitEnd {
                    digit: Digit::Hash,
                    timestamp: 3200,
                    duration: 960,
                    cause: EndCause::EndBit
                }
            ]
        );
        assert!(rx
            .receive(5, 3200, &block(11, true, 960), 2 * MS)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn receiver_times_out_lost_end() {
        let mut rx = DtmfReceiver::with_timeout(101, 200 * MS);
        let t0 = Duration::from_secs(5);
        assert_eq!(
            rx.receive(1, 0, &block(3, false, 160), t0).unwrap().len(),
            1
        );
        assert!(rx
            .receive(1, 0, &block(3, false, 320), t0 + 20 * MS)
            .unwrap()
            .is_empty());
        assert_eq!(
            rx.poll(t0 + 200 * MS),
            None,
            "not yet: last packet at +20 ms"
        );
        assert_eq!(
            rx.poll(t0 + 220 * MS),
            Some(DtmfEvent::DigitEnd {
                digit: Digit::D3,
                timestamp: 0,
                duration: 320,
                cause: EndCause::Timeout
            })
        );
        assert_eq!(rx.poll(t0 + 400 * MS), None);
        // The end packets arriving after the timeout are ignored.
        assert!(rx
            .receive(1, 0, &block(3, true, 800), t0 + 500 * MS)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn receiver_new_event_supersedes_lost_end() {
        let mut rx = DtmfReceiver::new(101);
        rx.receive(1, 0, &block(1, false, 160), MS).unwrap();
        let ev = rx.receive(1, 2400, &block(2, false, 160), 2 * MS).unwrap();
        assert_eq!(
            ev,
            vec![
                DtmfEvent::DigitEnd {
                    digit: Digit::D1,
                    timestamp: 0,
                    duration: 160,
                    cause: EndCause::Superseded
                },
                DtmfEvent::DigitStart {
                    digit: Digit::D2,
                    timestamp: 2400
                }
            ]
        );
        // A straggler of the first event does not restart it.
        assert!(rx
            .receive(1, 0, &block(1, false, 320), 3 * MS)
            .unwrap()
            .is_empty());
        // A straggler older than the active event whose key was never seen is ignored too.
        assert!(rx
            .receive(1, 1200, &block(9, false, 160), 3 * MS)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn receiver_separates_ssrcs_and_flash() {
        let mut rx = DtmfReceiver::new(101);
        let a = rx.receive(1, 100, &block(16, true, 800), MS).unwrap();
        let b = rx.receive(2, 100, &block(16, true, 800), MS).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(b.len(), 2, "same timestamp, other SSRC: a new event");
        assert!(matches!(
            a[0],
            DtmfEvent::DigitStart {
                digit: Digit::Flash,
                ..
            }
        ));
    }

    #[test]
    fn receiver_errors_leave_state_alone() {
        let mut rx = DtmfReceiver::new(101);
        rx.receive(1, 0, &block(4, false, 160), MS).unwrap();
        assert_eq!(
            rx.receive(1, 0, &[4, 0, 0], MS),
            Err(DtmfError::BadLength { len: 3 })
        );
        assert_eq!(
            rx.receive(1, 0, &block(36, false, 160), MS),
            Err(DtmfError::UnsupportedEvent { code: 36 })
        );
        assert!(rx.is_active());
        let pcmu = write_packet(false, 0, 1, 0, 1, &[0xFF; 160]);
        assert_eq!(
            rx.receive_rtp(&RtpPacket::parse(&pcmu).unwrap(), MS),
            Err(DtmfError::WrongPayloadType {
                expected: 101,
                got: 0
            })
        );
        let ev = rx.receive(1, 0, &block(4, true, 480), 2 * MS).unwrap();
        assert!(matches!(
            ev[..],
            [DtmfEvent::DigitEnd {
                digit: Digit::D4,
                duration: 480,
                ..
            }]
        ));
    }

    #[test]
    fn round_trip_123_hash() {
        let tx = sender(96);
        let pkts = tx.digits("123#", 10_000, 800, 400).unwrap();
        let mut rx = DtmfReceiver::new(96);
        let ev = deliver(&mut rx, &pkts, 77);
        let mut want = Vec::new();
        for (i, d) in [Digit::D1, Digit::D2, Digit::D3, Digit::Hash]
            .into_iter()
            .enumerate()
        {
            let ts = 10_000 + 1200 * i as u32;
            want.push(DtmfEvent::DigitStart {
                digit: d,
                timestamp: ts,
            });
            want.push(DtmfEvent::DigitEnd {
                digit: d,
                timestamp: ts,
                duration: 800,
                cause: EndCause::EndBit,
            });
        }
        assert_eq!(ev, want);
        // Each digit starts with exactly one marker.
        assert_eq!(pkts.iter().filter(|p| p.marker).count(), 4);
    }

    #[test]
    fn round_trip_survives_loss_of_start_and_two_ends() {
        let tx = sender(101);
        let pkts = tx.event(Digit::D9, 0, 1600);
        // Drop the first two updates and the first two end packets.
        let kept: Vec<_> = pkts
            .iter()
            .enumerate()
            .filter(|(i, _)| ![0, 1, 9, 10].contains(i))
            .map(|(_, p)| *p)
            .collect();
        let mut rx = DtmfReceiver::new(101);
        let ev = deliver(&mut rx, &kept, 3);
        assert_eq!(ev.len(), 2);
        assert!(matches!(
            ev[1],
            DtmfEvent::DigitEnd {
                duration: 1600,
                cause: EndCause::EndBit,
                ..
            }
        ));
    }

    proptest! {
        #[test]
        fn receiver_never_panics(
            packets in proptest::collection::vec(
                (0u32..3, 0u32..4000, proptest::collection::vec(any::<u8>(), 0..12), 0u64..2000),
                0..60,
            )
        ) {
            let mut rx = DtmfReceiver::new(101);
            let mut starts = 0usize;
            let mut ends = 0usize;
            for (ssrc, ts, payload, ms) in packets {
                if let Ok(ev) = rx.receive(ssrc, ts, &payload, Duration::from_millis(ms)) {
                    for e in ev {
                        match e {
                            DtmfEvent::DigitStart { .. } => starts += 1,
                            DtmfEvent::DigitEnd { .. } => ends += 1,
                        }
                    }
                }
                // Every end matches a start; at most one event is open.
                prop_assert!(ends <= starts && starts - ends <= 1);
            }
        }

        #[test]
        fn any_digit_any_duration_round_trips(
            code in 0u8..=16, duration in 1u32..200_000, start in any::<u32>()
        ) {
            let digit = Digit::from_event(code).unwrap();
            let pkts = sender(100).event(digit, start, duration);
            let mut rx = DtmfReceiver::new(100);
            let ev = deliver(&mut rx, &pkts, 1);
            prop_assert_eq!(ev, vec![
                DtmfEvent::DigitStart { digit, timestamp: start },
                DtmfEvent::DigitEnd { digit, timestamp: start, duration, cause: EndCause::EndBit },
            ]);
        }
    }
}
