//! A small RTP (RFC 3550) sender and datagram parser for G.711 voice and fax.
//!
//! [`RtpSender`] turns 20 ms G.711 frames into RTP datagrams: a fixed SSRC, a sequence number
//! that increments by one per packet, a timestamp that advances by the number of samples in each
//! payload (one G.711 byte is one 8 kHz sample, so 160 per 20 ms frame), the marker bit on the
//! first packet, and payload type 0 (PCMU) or 8 (PCMA) from the negotiated
//! [`Law`](faxvox_codecs::g711::Law). [`RtpPacket::parse`] validates an incoming datagram and
//! borrows its payload, ready for [`ReorderBuffer::push`](super::reorder::ReorderBuffer::push).
//!
//! **Why hand-rolled and not `rtc-rtp`.** The fixed header is 12 bytes and we need no header
//! extensions or packetizers. Parsing by hand gives a typed [`RtpError`] per validation rule
//! (version, CSRC count, extension, padding) instead of `rtc-rtp`'s shared error enum, and lets
//! the payload be a borrowed slice of the datagram rather than a copied `Bytes`. `rtc-rtp` is
//! still used in the unit tests as an independent oracle in both directions.
//!
//! The sender and parser need no clock, so nothing here takes a `now`.
//!
//! ```
//! use faxvox::media::rtp::{RtpPacket, RtpSender, RtpSenderConfig};
//! use faxvox_codecs::g711::Law;
//!
//! let mut tx = RtpSender::new(RtpSenderConfig::g711(Law::Alaw, 0x1234_5678, 1000, 0));
//! let first = tx.packetize(&[0xD5; 160]);
//! let second = tx.packetize(&[0xD5; 160]);
//! let p = RtpPacket::parse(&second).unwrap();
//! assert_eq!((p.payload_type, p.sequence, p.timestamp, p.marker), (8, 1001, 160, false));
//! assert!(RtpPacket::parse(&first).unwrap().marker);
//! assert_eq!(p.payload.len(), 160);
//! ```

use faxvox_codecs::g711::Law;
use thiserror::Error;

/// Length of the fixed RTP header without CSRCs or extension.
pub const RTP_HEADER_LEN: usize = 12;
/// Static payload type of G.711 µ-law (RFC 3551).
pub const PT_PCMU: u8 = 0;
/// Static payload type of G.711 A-law (RFC 3551).
pub const PT_PCMA: u8 = 8;
/// Samples in one 20 ms G.711 frame at 8 kHz; the timestamp step per packet.
pub const G711_FRAME_SAMPLES: u32 = 160;

/// Why a datagram is not a usable RTP packet. Every malformed input maps to one of these;
/// the parser never panics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtpError {
    /// Shorter than the 12-byte fixed header.
    #[error("datagram of {len} bytes is shorter than the 12-byte RTP header")]
    TooShort {
        /// Length of the datagram.
        len: usize,
    },
    /// The version field is not 2 (STUN, ZRTP or garbage on the media port).
    #[error("RTP version {version}, expected 2")]
    BadVersion {
        /// The version bits that were found.
        version: u8,
    },
    /// RTCP multiplexed on the RTP port (RFC 5761 payload types 72–76); not audio.
    #[error("RTCP packet type {packet_type} on the RTP port")]
    Rtcp {
        /// The RTCP packet type (200–204).
        packet_type: u8,
    },
    /// The CSRC count promises more bytes than the datagram holds.
    #[error("CSRC count {count} needs {needed} bytes, datagram has {len}")]
    TruncatedCsrc {
        /// The CSRC count from the header.
        count: u8,
        /// Bytes the header plus CSRC list needs.
        needed: usize,
        /// Length of the datagram.
        len: usize,
    },
    /// The extension flag is set but the extension header or body is cut off.
    #[error("header extension needs {needed} bytes, datagram has {len}")]
    TruncatedExtension {
        /// Bytes the header plus extension needs.
        needed: usize,
        /// Length of the datagram.
        len: usize,
    },
    /// The padding flag is set with a pad count of zero or larger than the payload.
    #[error("padding count {count} is invalid for a {available}-byte payload area")]
    BadPadding {
        /// The pad count from the last byte.
        count: u8,
        /// Bytes after the header that the padding must fit in.
        available: usize,
    },
}

/// A parsed RTP packet borrowing its payload from the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// The marker bit (start of a talkspurt; set on our first packet).
    pub marker: bool,
    /// Payload type (7 bits): 0 PCMU, 8 PCMA, or a dynamic type.
    pub payload_type: u8,
    /// Sequence number; increments by one per packet and wraps at 65535.
    pub sequence: u16,
    /// Media timestamp in 8 kHz sample units for G.711.
    pub timestamp: u32,
    /// Synchronisation source identifier of the sender.
    pub ssrc: u32,
    /// Number of contributing sources listed (their ids are skipped, not kept).
    pub csrc_count: u8,
    /// Profile id of the header extension, if one was present (its body is skipped).
    pub extension_profile: Option<u16>,
    /// The payload with any padding removed.
    pub payload: &'a [u8],
}

impl<'a> RtpPacket<'a> {
    /// Validates and parses one datagram. Checks version 2, CSRC list and extension lengths, and
    /// the padding count; returns a typed error for anything malformed.
    pub fn parse(datagram: &'a [u8]) -> Result<RtpPacket<'a>, RtpError> {
        let len = datagram.len();
        if len < RTP_HEADER_LEN {
            return Err(RtpError::TooShort { len });
        }
        let b0 = datagram[0];
        let b1 = datagram[1];
        let version = b0 >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion { version });
        }
        if (72..=76).contains(&(b1 & 0x7F)) {
            return Err(RtpError::Rtcp { packet_type: b1 });
        }
        let padding = b0 & 0x20 != 0;
        let has_extension = b0 & 0x10 != 0;
        let csrc_count = b0 & 0x0F;
        let mut offset = RTP_HEADER_LEN + 4 * usize::from(csrc_count);
        if offset > len {
            return Err(RtpError::TruncatedCsrc {
                count: csrc_count,
                needed: offset,
                len,
            });
        }
        let mut extension_profile = None;
        if has_extension {
            if offset + 4 > len {
                return Err(RtpError::TruncatedExtension {
                    needed: offset + 4,
                    len,
                });
            }
            let profile = u16::from_be_bytes([datagram[offset], datagram[offset + 1]]);
            let words = usize::from(u16::from_be_bytes([
                datagram[offset + 2],
                datagram[offset + 3],
            ]));
            let needed = offset + 4 + 4 * words;
            if needed > len {
                return Err(RtpError::TruncatedExtension { needed, len });
            }
            extension_profile = Some(profile);
            offset = needed;
        }
        let mut end = len;
        if padding {
            let available = len - offset;
            let count = datagram[len - 1];
            if count == 0 || usize::from(count) > available {
                return Err(RtpError::BadPadding { count, available });
            }
            end -= usize::from(count);
        }
        Ok(RtpPacket {
            marker: b1 & 0x80 != 0,
            payload_type: b1 & 0x7F,
            sequence: u16::from_be_bytes([datagram[2], datagram[3]]),
            timestamp: u32::from_be_bytes([datagram[4], datagram[5], datagram[6], datagram[7]]),
            ssrc: u32::from_be_bytes([datagram[8], datagram[9], datagram[10], datagram[11]]),
            csrc_count,
            extension_profile,
            payload: &datagram[offset..end],
        })
    }

    /// The G.711 law this packet's payload type names, if it is PCMU or PCMA.
    pub fn law(&self) -> Option<Law> {
        Law::from_payload_type(self.payload_type)
    }
}

/// Writes a minimal RTP packet (no CSRC, extension or padding); used by [`RtpSender`] and tests.
pub fn write_packet(
    marker: bool,
    payload_type: u8,
    sequence: u16,
    timestamp: u32,
    ssrc: u32,
    payload: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(RTP_HEADER_LEN + payload.len());
    write_packet_into(
        marker,
        payload_type,
        sequence,
        timestamp,
        ssrc,
        payload,
        &mut out,
    );
    out
}

/// [`write_packet`] into a buffer the caller reuses (cleared first), so a stream sends without
/// allocating per packet.
pub fn write_packet_into(
    marker: bool,
    payload_type: u8,
    sequence: u16,
    timestamp: u32,
    ssrc: u32,
    payload: &[u8],
    out: &mut Vec<u8>,
) {
    out.clear();
    out.reserve(RTP_HEADER_LEN + payload.len());
    out.push(0x80); // V=2, P=0, X=0, CC=0
    out.push((u8::from(marker) << 7) | (payload_type & 0x7F));
    out.extend_from_slice(&sequence.to_be_bytes());
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(payload);
}

/// Identity and starting point of an outgoing RTP stream.
///
/// RFC 3550 wants random initial sequence and timestamp values; they are parameters here so the
/// caller owns randomness and simulations stay deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpSenderConfig {
    /// Synchronisation source identifier.
    pub ssrc: u32,
    /// Payload type to stamp on every packet.
    pub payload_type: u8,
    /// Sequence number of the first packet.
    pub initial_sequence: u16,
    /// Timestamp of the first packet.
    pub initial_timestamp: u32,
}

impl RtpSenderConfig {
    /// Config for a G.711 stream whose payload type follows the negotiated law.
    pub fn g711(law: Law, ssrc: u32, initial_sequence: u16, initial_timestamp: u32) -> Self {
        RtpSenderConfig {
            ssrc,
            payload_type: law.payload_type(),
            initial_sequence,
            initial_timestamp,
        }
    }
}

/// Produces the RTP datagrams of one outgoing G.711 stream. See the module docs.
#[derive(Debug, Clone)]
pub struct RtpSender {
    config: RtpSenderConfig,
    sequence: u16,
    timestamp: u32,
    first: bool,
    packets_sent: u64,
    octets_sent: u64,
}

impl RtpSender {
    /// Starts a stream; the first packet carries the marker bit.
    pub fn new(config: RtpSenderConfig) -> Self {
        RtpSender {
            config,
            sequence: config.initial_sequence,
            timestamp: config.initial_timestamp,
            first: true,
            packets_sent: 0,
            octets_sent: 0,
        }
    }

    /// Wraps one frame of G.711 codewords in an RTP packet and advances sequence by one and
    /// timestamp by the frame's sample count (its length: 160 for 20 ms).
    pub fn packetize(&mut self, payload: &[u8]) -> Vec<u8> {
        let mut packet = Vec::new();
        self.packetize_into(payload, &mut packet);
        packet
    }

    /// [`packetize`](Self::packetize) into a reused buffer (cleared first).
    pub fn packetize_into(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        write_packet_into(
            self.first,
            self.config.payload_type,
            self.sequence,
            self.timestamp,
            self.config.ssrc,
            payload,
            out,
        );
        self.first = false;
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(payload.len() as u32);
        self.packets_sent += 1;
        self.octets_sent += payload.len() as u64;
    }

    /// Sends a packet of another payload type on the same stream (an RFC 4733 telephone-event
    /// carries its own timestamp and marker but must use the stream's next sequence number, or
    /// the receiver's reorder buffer sees a gap). The audio timestamp is not advanced: events
    /// overlay the audio clock rather than consume it.
    pub fn packetize_with(
        &mut self,
        marker: bool,
        payload_type: u8,
        timestamp: u32,
        payload: &[u8],
    ) -> Vec<u8> {
        let packet = write_packet(
            marker,
            payload_type,
            self.sequence,
            timestamp,
            self.config.ssrc,
            payload,
        );
        self.sequence = self.sequence.wrapping_add(1);
        self.packets_sent += 1;
        self.octets_sent += payload.len() as u64;
        packet
    }

    /// Advances the timestamp over `samples` that were not sent (keeps the media clock running
    /// across a pause, as RFC 3550 requires); the next packet gets the marker bit.
    pub fn skip(&mut self, samples: u32) {
        self.timestamp = self.timestamp.wrapping_add(samples);
        self.first = true;
    }

    /// Sequence number the next packet will carry.
    pub fn next_sequence(&self) -> u16 {
        self.sequence
    }

    /// Timestamp the next packet will carry.
    pub fn next_timestamp(&self) -> u32 {
        self.timestamp
    }

    /// The stream's SSRC.
    pub fn ssrc(&self) -> u32 {
        self.config.ssrc
    }

    /// Packets produced so far.
    pub fn packets_sent(&self) -> u64 {
        self.packets_sent
    }

    /// Payload octets produced so far.
    pub fn octets_sent(&self) -> u64 {
        self.octets_sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use proptest::prelude::*;
    use rtc_shared::marshal::{Marshal, Unmarshal};

    #[test]
    fn sender_sequence_timestamp_marker_and_pt() {
        let mut tx = RtpSender::new(RtpSenderConfig::g711(
            Law::Ulaw,
            0xDEAD_BEEF,
            65534,
            4_294_967_000,
        ));
        let pkts: Vec<Vec<u8>> = (0..3).map(|i| tx.packetize(&[i as u8; 160])).collect();
        let parsed: Vec<RtpPacket> = pkts.iter().map(|p| RtpPacket::parse(p).unwrap()).collect();
        assert_eq!(
            parsed.iter().map(|p| p.sequence).collect::<Vec<_>>(),
            vec![65534, 65535, 0],
            "sequence wraps"
        );
        assert_eq!(
            parsed.iter().map(|p| p.timestamp).collect::<Vec<_>>(),
            vec![4_294_967_000, 4_294_967_160, 24],
            "timestamp steps by 160 and wraps"
        );
        assert_eq!(
            parsed.iter().map(|p| p.marker).collect::<Vec<_>>(),
            vec![true, false, false]
        );
        assert!(parsed
            .iter()
            .all(|p| p.payload_type == PT_PCMU && p.ssrc == 0xDEAD_BEEF));
        assert_eq!(parsed[2].payload, &[2u8; 160][..]);
        assert_eq!(parsed[0].law(), Some(Law::Ulaw));
        assert_eq!(tx.packets_sent(), 3);
        assert_eq!(tx.octets_sent(), 480);
        let mut a = RtpSender::new(RtpSenderConfig::g711(Law::Alaw, 1, 0, 0));
        assert_eq!(
            RtpPacket::parse(&a.packetize(&[0; 160]))
                .unwrap()
                .payload_type,
            PT_PCMA
        );
    }

    #[test]
    fn golden_header_bytes() {
        // V=2 P=0 X=0 CC=0 -> 0x80; M=1 PT=8 -> 0x88; seq 0x0102; ts 0x0A0B0C0D; ssrc 0x11223344.
        let p = write_packet(true, 8, 0x0102, 0x0A0B_0C0D, 0x1122_3344, &[0xAA]);
        assert_eq!(
            p,
            [0x80, 0x88, 0x01, 0x02, 0x0A, 0x0B, 0x0C, 0x0D, 0x11, 0x22, 0x33, 0x44, 0xAA]
        );
    }

    #[test]
    fn skip_keeps_clock_and_remarks() {
        let mut tx = RtpSender::new(RtpSenderConfig::g711(Law::Ulaw, 1, 10, 0));
        tx.packetize(&[0; 160]);
        tx.skip(800);
        let p = tx.packetize(&[0; 160]);
        let p = RtpPacket::parse(&p).unwrap();
        assert_eq!((p.sequence, p.timestamp, p.marker), (11, 960, true));
    }

    #[test]
    fn parses_csrc_extension_and_padding() {
        let mut d = vec![
            0x80 | 0x20 | 0x10 | 0x02,
            0x00,
            0,
            7,
            0,
            0,
            0,
            9,
            0,
            0,
            0,
            1,
        ];
        d.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]); // two CSRCs
        d.extend_from_slice(&[0xBE, 0xDE, 0x00, 0x01, 1, 2, 3, 4]); // 1-word extension
        d.extend_from_slice(&[9, 9, 9]); // payload
        d.extend_from_slice(&[0, 0, 3]); // 3 bytes padding
        let p = RtpPacket::parse(&d).unwrap();
        assert_eq!(p.csrc_count, 2);
        assert_eq!(p.extension_profile, Some(0xBEDE));
        assert_eq!(p.payload, &[9, 9, 9]);
        assert_eq!(p.sequence, 7);
        assert_eq!(p.timestamp, 9);
    }

    #[test]
    fn malformed_datagrams_give_typed_errors() {
        let ok = write_packet(false, 0, 1, 2, 3, &[1, 2, 3, 4]);
        assert_eq!(
            RtpPacket::parse(&ok[..11]),
            Err(RtpError::TooShort { len: 11 })
        );
        let mut v1 = ok.clone();
        v1[0] = 0x40;
        assert_eq!(
            RtpPacket::parse(&v1),
            Err(RtpError::BadVersion { version: 1 })
        );
        let mut csrc = ok.clone();
        csrc[0] = 0x80 | 2; // two CSRCs need 20 bytes, have 16
        assert_eq!(
            RtpPacket::parse(&csrc),
            Err(RtpError::TruncatedCsrc {
                count: 2,
                needed: 20,
                len: 16
            })
        );
        let mut ext = ok.clone();
        ext[0] = 0x90; // extension header 0x0102 0x0304 -> 0x0304 words
        ext.truncate(12);
        ext.extend_from_slice(&[0xBE, 0xDE, 0x00, 0x05, 0]);
        assert_eq!(
            RtpPacket::parse(&ext),
            Err(RtpError::TruncatedExtension {
                needed: 36,
                len: 17
            })
        );
        let mut ext_hdr = ok[..14].to_vec();
        ext_hdr[0] = 0x90;
        assert_eq!(
            RtpPacket::parse(&ext_hdr),
            Err(RtpError::TruncatedExtension {
                needed: 16,
                len: 14
            })
        );
        let mut pad0 = ok.clone();
        pad0[0] = 0xA0;
        *pad0.last_mut().unwrap() = 0;
        assert_eq!(
            RtpPacket::parse(&pad0),
            Err(RtpError::BadPadding {
                count: 0,
                available: 4
            })
        );
        let mut pad_big = ok.clone();
        pad_big[0] = 0xA0;
        *pad_big.last_mut().unwrap() = 5;
        assert!(matches!(
            RtpPacket::parse(&pad_big),
            Err(RtpError::BadPadding { count: 5, .. })
        ));
        let rtcp = [0x80, 200, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            RtpPacket::parse(&rtcp),
            Err(RtpError::Rtcp { packet_type: 200 })
        );
    }

    #[test]
    fn rtc_rtp_parses_our_packets() {
        let mut tx = RtpSender::new(RtpSenderConfig::g711(Law::Alaw, 0xCAFE_F00D, 300, 77));
        for i in 0..3u8 {
            let bytes = tx.packetize(&[i; 160]);
            let mut buf = Bytes::from(bytes);
            let pkt = rtc_rtp::Packet::unmarshal(&mut buf).unwrap();
            assert_eq!(pkt.header.version, 2);
            assert_eq!(pkt.header.marker, i == 0);
            assert_eq!(pkt.header.payload_type, 8);
            assert_eq!(pkt.header.sequence_number, 300 + u16::from(i));
            assert_eq!(pkt.header.timestamp, 77 + 160 * u32::from(i));
            assert_eq!(pkt.header.ssrc, 0xCAFE_F00D);
            assert_eq!(&pkt.payload[..], &[i; 160][..]);
        }
    }

    #[test]
    fn we_parse_rtc_rtp_packets_with_csrcs_and_padding() {
        let pkt = rtc_rtp::Packet {
            header: rtc_rtp::Header {
                version: 2,
                padding: true,
                marker: true,
                payload_type: 0,
                sequence_number: 4242,
                timestamp: 123_456,
                ssrc: 99,
                csrc: vec![5, 6, 7],
                ..Default::default()
            },
            payload: Bytes::from_static(&[1, 2, 3, 4, 5]),
        };
        let bytes = pkt.marshal().unwrap();
        let p = RtpPacket::parse(&bytes).unwrap();
        assert!(p.marker);
        assert_eq!(
            (p.payload_type, p.sequence, p.timestamp, p.ssrc),
            (0, 4242, 123_456, 99)
        );
        assert_eq!(p.csrc_count, 3);
        assert_eq!(p.payload, &[1, 2, 3, 4, 5]);
    }

    proptest! {
        #[test]
        fn parse_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(p) = RtpPacket::parse(&data) {
                prop_assert!(p.payload.len() + RTP_HEADER_LEN <= data.len());
            }
        }

        #[test]
        fn write_parse_roundtrip(m in any::<bool>(), pt in 0u8..72, seq in any::<u16>(),
                                 ts in any::<u32>(), ssrc in any::<u32>(),
                                 payload in proptest::collection::vec(any::<u8>(), 0..200)) {
            let d = write_packet(m, pt, seq, ts, ssrc, &payload);
            let p = RtpPacket::parse(&d).unwrap();
            prop_assert_eq!((p.marker, p.payload_type, p.sequence, p.timestamp, p.ssrc),
                            (m, pt, seq, ts, ssrc));
            prop_assert_eq!(p.payload, &payload[..]);
        }
    }

    #[test]
    fn events_share_the_sequence_space_without_moving_the_audio_clock() {
        let mut tx = RtpSender::new(RtpSenderConfig::g711(Law::Ulaw, 7, 100, 1000));
        let a = tx.packetize(&[0xFF; 160]);
        let e = tx.packetize_with(true, 101, 1160, &[1, 0x80, 0, 160]);
        let b = tx.packetize(&[0xFF; 160]);
        let (a, e, b) = (
            RtpPacket::parse(&a).unwrap(),
            RtpPacket::parse(&e).unwrap(),
            RtpPacket::parse(&b).unwrap(),
        );
        assert_eq!((a.sequence, e.sequence, b.sequence), (100, 101, 102));
        assert_eq!((e.payload_type, e.timestamp, e.marker), (101, 1160, true));
        assert_eq!(b.timestamp, 1160);
        assert_eq!(tx.packets_sent(), 3);
    }
}
