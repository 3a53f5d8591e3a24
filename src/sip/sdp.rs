//! SDP offer/answer for the gateway, on `sdp-types` (the one crate that keeps
//! `m=image … udptl t38` intact and is lenient about missing `s=`/`t=` and LF-only lines).
//!
//! Three pieces:
//!
//! - [`SessionDescription::parse`] turns a peer's SDP into a typed view (per m-line: kind, port,
//!   proto, formats, effective connection address and direction, rtpmap/fmtp, ptime, T.38
//!   attributes) or a typed [`SdpError`] whose [`sip_status`](SdpError::sip_status) is the
//!   response to send (400 or 488).
//! - [`SdpSession`] is the per-dialog offer/answer state. It models the session's m-line list,
//!   because RFC 3264 forbids an answer or a later offer from changing the number or order of
//!   m-lines (RFC 3264 §8), and it owns the `o=` version, which increases by one each
//!   time the SDP we send changes. It answers offers ([`SdpSession::answer`]), builds our own
//!   offers ([`SdpSession::offer_audio`] for outbound calls and returning to audio,
//!   [`SdpSession::offer_t38`] for a T.38 re-INVITE (or a T.38-only outbound INVITE),
//!   [`SdpSession::offer_audio_and_t38`] for an outbound INVITE offering both,
//!   [`SdpSession::offer_current`] for a re-INVITE that arrived without SDP), and takes the
//!   peer's answer ([`SdpSession::receive_answer`]). A failed exchange leaves the previous
//!   session in force: nothing is committed until an answer is built or received.
//! - [`NegotiatedMedia`] tells the media layer what to run: G.711 law and payload types,
//!   telephone-event payload types (mirrored from the offer, never a hard-coded 101), and the
//!   T.38 parameters including the UDPTL error-correction mode and far max datagram.
//!
//! Policy, as in the architecture: one audio stream, G.711 only (the offer's order decides
//! between PCMA and PCMU), 20 ms packets, no comfort noise or VAD (`a=silenceSupp:off` is
//! written), every other stream rejected with port 0; T.38 accepted in re-INVITEs and, if the
//! [`AnswerPolicy`] says so, in the initial INVITE.

use std::net::{IpAddr, SocketAddr};

use faxvox_codecs::g711::Law;
use sdp_types::{Attribute, Connection, Media, NetType, Origin, Session, Time};
use thiserror::Error;

use super::t38::{T38Local, T38Negotiation, T38Params};
use crate::media::MediaConfig;

pub use sdp_types::Direction;

/// Packetisation time we send and announce: fax over G.711 wants 20 ms.
pub const PTIME_MS: u32 = 20;
/// Highest RFC 4733 event we handle: flash (16). 0–15 are the DTMF digits.
pub const MAX_TELEPHONE_EVENT: u8 = 16;
/// Default dynamic payload type for telephone-event in *our* offers. Answers always use the
/// offer's payload type instead.
pub const DEFAULT_TELEPHONE_EVENT_PT: u8 = 101;

/// Why a peer's SDP is unusable as a description at all. The gateway answers with
/// [`SdpError::sip_status`].
#[derive(Debug, PartialEq, Eq, Error)]
pub enum SdpError {
    /// `sdp-types` could not parse the body.
    #[error("malformed SDP: {0}")]
    Syntax(#[from] sdp_types::ParserError),
    /// An m-line with a non-zero port has no `c=` at media or session level.
    #[error("m-line {index} has no connection address")]
    MissingConnection {
        /// Index of the m-line (0-based).
        index: usize,
    },
    /// The connection address is not an IP address we can send to (FQDN, unknown nettype).
    #[error("m-line {index}: unusable connection address {address:?}")]
    BadConnection {
        /// Index of the m-line (0-based).
        index: usize,
        /// The `c=` line's fields as written.
        address: String,
    },
    /// An active RTP audio m-line lists a format that is not a payload type 0–127.
    #[error("m-line {index}: {format:?} is not an RTP payload type")]
    BadPayloadType {
        /// Index of the m-line (0-based).
        index: usize,
        /// The format token.
        format: String,
    },
    /// An active RTP audio m-line has an `a=rtpmap` we cannot read.
    #[error("m-line {index}: malformed a=rtpmap:{value}")]
    BadRtpmap {
        /// Index of the m-line (0-based).
        index: usize,
        /// The attribute value.
        value: String,
    },
}

impl SdpError {
    /// The SIP response for an offer that fails this way: 400 for syntax, 488 for SDP that
    /// parses but that we cannot use.
    pub fn sip_status(&self) -> u16 {
        match self {
            SdpError::Syntax(_)
            | SdpError::MissingConnection { .. }
            | SdpError::BadPayloadType { .. }
            | SdpError::BadRtpmap { .. } => 400,
            SdpError::BadConnection { .. } => 488,
        }
    }
}

/// Why an offer cannot be answered, or an answer cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NegotiationError {
    /// No stream in the offer is one we accept (no G.711 audio and no acceptable T.38).
    #[error("no acceptable media stream in the offer")]
    NoAcceptableMedia,
    /// The offer has fewer m-lines than the session (RFC 3264 §8 forbids removing m-lines;
    /// Asterisk's incomplete back-to-audio SDP).
    #[error("offer has {offered} m-lines, the session has {session}")]
    MLineCountDecreased {
        /// m-lines in the current session.
        session: usize,
        /// m-lines in the offer.
        offered: usize,
    },
    /// We have an offer outstanding ourselves: the peer's offer is glare.
    #[error("an offer of ours is still pending")]
    OfferPending,
    /// An answer arrived but we have no offer outstanding.
    #[error("no offer of ours is pending")]
    NoOfferPending,
    /// The answer's m-lines do not match our offer's in number.
    #[error("answer has {answered} m-lines, our offer had {offered}")]
    AnswerMismatch {
        /// m-lines we offered.
        offered: usize,
        /// m-lines in the answer.
        answered: usize,
    },
}

impl NegotiationError {
    /// The SIP response to send when this happens while answering an offer: 488 Not Acceptable
    /// Here, or 491 Request Pending for glare. `None` for errors about answers (there is no
    /// response to send; the caller keeps the previous session or ends the call).
    pub fn sip_status(&self) -> Option<u16> {
        match self {
            NegotiationError::NoAcceptableMedia | NegotiationError::MLineCountDecreased { .. } => {
                Some(488)
            }
            NegotiationError::OfferPending => Some(491),
            NegotiationError::NoOfferPending | NegotiationError::AnswerMismatch { .. } => None,
        }
    }
}

/// What an m-line carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// `m=audio`.
    Audio,
    /// `m=image` (T.38 when the proto is `udptl` and the format `t38`).
    Image,
    /// Video, text, application, … : always rejected.
    Other,
}

/// One `a=rtpmap`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// Payload type.
    pub payload_type: u8,
    /// Encoding name as written (compare case-insensitively).
    pub encoding: String,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Encoding parameters (channel count for audio), if any.
    pub params: Option<String>,
}

impl RtpMap {
    fn parse(value: &str) -> Option<RtpMap> {
        let (pt, rest) = value.trim().split_once(char::is_whitespace)?;
        let payload_type = pt.parse::<u8>().ok().filter(|pt| *pt <= 127)?;
        let mut parts = rest.trim().splitn(3, '/');
        let encoding = parts.next()?.trim();
        let clock_rate = parts.next()?.trim().parse::<u32>().ok()?;
        if encoding.is_empty() {
            return None;
        }
        Some(RtpMap {
            payload_type,
            encoding: encoding.to_string(),
            clock_rate,
            params: parts.next().map(|p| p.trim().to_string()),
        })
    }

    fn is_mono(&self) -> bool {
        self.params.as_deref().is_none_or(|p| p == "1")
    }
}

/// Typed view of one m-line of a peer's SDP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// What the m-line carries.
    pub kind: MediaKind,
    /// The media token as written (`audio`, `image`, `video`, …).
    pub media: String,
    /// Transport port; 0 means the stream is disabled or rejected.
    pub port: u16,
    /// Transport protocol as written (`RTP/AVP`, `udptl`, `UDPTL`, …).
    pub proto: String,
    /// Format tokens (payload types for RTP, `t38` for UDPTL).
    pub formats: Vec<String>,
    /// Where to send: the media-level `c=` or else the session-level one. Always present when
    /// `port` is non-zero.
    pub connection: Option<IpAddr>,
    /// Media-level direction attribute, else session-level, else `sendrecv`.
    pub direction: Direction,
    /// `a=rtpmap` entries (unreadable ones are dropped except on active audio m-lines, where
    /// they are an error).
    pub rtpmaps: Vec<RtpMap>,
    /// `a=fmtp` entries as (format, parameters).
    pub fmtps: Vec<(String, String)>,
    /// `a=ptime` in milliseconds, if present and readable.
    pub ptime: Option<u32>,
    /// T.38 attributes for `m=image` lines (session-level T.38 attributes included,
    /// media-level ones taking precedence); `None` for other media.
    pub t38: Option<T38Params>,
}

impl MediaDescription {
    /// Whether this is `image … udptl t38` (proto matched case-insensitively: some peers write
    /// `UDPTL`). `RTP/AVP t38`, as mangled by some relays, is not.
    pub fn is_udptl_t38(&self) -> bool {
        self.kind == MediaKind::Image
            && self.proto.eq_ignore_ascii_case("udptl")
            && self.formats.iter().any(|f| f.eq_ignore_ascii_case("t38"))
    }

    /// Whether the proto is plain `RTP/AVP` (no SRTP, no feedback profile).
    pub fn is_rtp_avp(&self) -> bool {
        self.proto.eq_ignore_ascii_case("RTP/AVP")
    }

    /// The `a=rtpmap` for a payload type.
    pub fn rtpmap(&self, payload_type: u8) -> Option<&RtpMap> {
        self.rtpmaps.iter().find(|r| r.payload_type == payload_type)
    }

    /// The `a=fmtp` parameters for a format.
    pub fn fmtp(&self, format: &str) -> Option<&str> {
        self.fmtps
            .iter()
            .find(|(f, _)| f == format)
            .map(|(_, p)| p.as_str())
    }

    /// Address and port to send this stream to, when it is active.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        match (self.port, self.connection) {
            (0, _) | (_, None) => None,
            (port, Some(ip)) => Some(SocketAddr::new(ip, port)),
        }
    }
}

/// The `o=` line of a peer's SDP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdpOrigin {
    /// User name (`-` becomes `None`).
    pub username: Option<String>,
    /// Session id.
    pub session_id: String,
    /// Session version; unchanged means the peer's SDP did not change.
    pub version: u64,
    /// Unicast address as written.
    pub address: String,
}

/// Typed view of a peer's SDP: what the negotiation needs, nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// The `o=` line (a placeholder when it was missing; sdp-types is lenient).
    pub origin: SdpOrigin,
    /// Session-level connection address, if present and usable.
    pub connection: Option<IpAddr>,
    /// The m-lines in order.
    pub media: Vec<MediaDescription>,
}

fn connection_ip(c: &Connection) -> Result<IpAddr, String> {
    let shown = || {
        format!(
            "{} {} {}",
            c.nettype.as_str(),
            c.addrtype.as_str(),
            c.connection_address
        )
    };
    if c.nettype != NetType::In {
        return Err(shown());
    }
    let ip_part = c.connection_address.split('/').next().unwrap_or("");
    ip_part.trim().parse::<IpAddr>().map_err(|_| shown())
}

fn direction_of(attributes: &[Attribute]) -> Option<Direction> {
    attributes.iter().rev().find_map(|a| {
        let n = a.attribute.trim();
        [
            Direction::SendRecv,
            Direction::SendOnly,
            Direction::RecvOnly,
            Direction::Inactive,
        ]
        .into_iter()
        .find(|d| n.eq_ignore_ascii_case(d.as_str()))
    })
}

fn attr_values<'a>(attributes: &'a [Attribute], name: &'a str) -> impl Iterator<Item = &'a str> {
    attributes
        .iter()
        .filter(move |a| a.attribute.trim().eq_ignore_ascii_case(name))
        .map(|a| a.value.as_deref().unwrap_or("").trim())
}

impl SessionDescription {
    /// Parses and validates a peer's SDP. Lenient where real peers are sloppy (missing
    /// `s=`/`t=`/`o=`, LF-only lines, upper-case `UDPTL`, attributes at session level), strict
    /// where a wrong guess would send media to the wrong place: an active m-line needs a usable
    /// connection address, and an active RTP audio m-line needs readable payload types and
    /// rtpmaps.
    pub fn parse(data: &[u8]) -> Result<SessionDescription, SdpError> {
        let session = Session::parse(data)?;
        let session_conn = session.connection.as_ref().map(connection_ip);
        let session_dir = direction_of(&session.attributes);
        let mut media = Vec::with_capacity(session.medias.len());
        for (index, m) in session.medias.iter().enumerate() {
            media.push(Self::media(
                index,
                m,
                &session,
                session_conn.as_ref(),
                session_dir,
            )?);
        }
        Ok(SessionDescription {
            origin: SdpOrigin {
                username: session.origin.username.clone(),
                session_id: session.origin.sess_id.clone(),
                version: session.origin.sess_version,
                address: session.origin.unicast_address.clone(),
            },
            connection: session_conn.and_then(Result::ok),
            media,
        })
    }

    fn media(
        index: usize,
        m: &Media,
        session: &Session,
        session_conn: Option<&Result<IpAddr, String>>,
        session_dir: Option<Direction>,
    ) -> Result<MediaDescription, SdpError> {
        let kind = if m.media.eq_ignore_ascii_case("audio") {
            MediaKind::Audio
        } else if m.media.eq_ignore_ascii_case("image") {
            MediaKind::Image
        } else {
            MediaKind::Other
        };
        let formats: Vec<String> = m.fmt.split_whitespace().map(str::to_string).collect();
        let active = m.port != 0;
        let strict_rtp = active && kind == MediaKind::Audio && m.proto.contains("RTP/");

        let conn = match m.connections.first() {
            Some(c) => Some(connection_ip(c)),
            None => session_conn.cloned(),
        };
        let connection = match conn {
            Some(Ok(ip)) => Some(ip),
            Some(Err(address)) if active => return Err(SdpError::BadConnection { index, address }),
            None if active => return Err(SdpError::MissingConnection { index }),
            _ => None,
        };

        if strict_rtp {
            if let Some(bad) = formats
                .iter()
                .find(|f| f.parse::<u8>().map_or(true, |pt| pt > 127))
            {
                return Err(SdpError::BadPayloadType {
                    index,
                    format: bad.clone(),
                });
            }
        }

        let mut rtpmaps = Vec::new();
        for value in attr_values(&m.attributes, "rtpmap") {
            match RtpMap::parse(value) {
                Some(r) => rtpmaps.push(r),
                None if strict_rtp => {
                    return Err(SdpError::BadRtpmap {
                        index,
                        value: value.to_string(),
                    })
                }
                None => {}
            }
        }
        let fmtps = attr_values(&m.attributes, "fmtp")
            .map(|v| match v.split_once(char::is_whitespace) {
                Some((f, p)) => (f.to_string(), p.trim().to_string()),
                None => (v.to_string(), String::new()),
            })
            .collect();
        let ptime = attr_values(&m.attributes, "ptime")
            .next()
            .and_then(|v| v.parse::<u32>().ok());
        let t38 = (kind == MediaKind::Image).then(|| {
            T38Params::from_attributes(session.attributes.iter().chain(m.attributes.iter()))
        });

        Ok(MediaDescription {
            kind,
            media: m.media.clone(),
            port: m.port,
            proto: m.proto.clone(),
            formats,
            connection,
            direction: direction_of(&m.attributes)
                .or(session_dir)
                .unwrap_or_default(),
            rtpmaps,
            fmtps,
            ptime,
            t38,
        })
    }
}

/// Our side of the media: addresses, ports and capabilities. Constant for a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// The media IP address (RTP and UDPTL are bound on the same one).
    pub address: IpAddr,
    /// Our RTP port.
    pub rtp_port: u16,
    /// Our UDPTL port.
    pub udptl_port: u16,
    /// `o=` session id (random per call); our first SDP also uses it as the session version.
    pub session_id: u64,
    /// `o=` user name.
    pub username: String,
    /// G.711 laws in *our* offers, in preference order. Answers follow the offer's order.
    pub offer_codecs: Vec<Law>,
    /// Payload type for telephone-event in *our* offers.
    pub telephone_event_pt: u8,
    /// Write `a=silenceSupp:off - - - -` on audio m-lines (some PBXs refuse fax passthrough
    /// without it).
    pub silence_supp_off: bool,
    /// Our T.38 capabilities.
    pub t38: T38Local,
}

impl LocalMedia {
    /// Local media with the defaults: PCMA then PCMU, telephone-event on 101 in our offers,
    /// `silenceSupp:off`, T.38 max datagram from the media config.
    pub fn new(
        address: IpAddr,
        rtp_port: u16,
        udptl_port: u16,
        session_id: u64,
        media: &MediaConfig,
    ) -> LocalMedia {
        LocalMedia {
            address,
            rtp_port,
            udptl_port,
            session_id,
            username: "faxvox".to_string(),
            offer_codecs: vec![Law::Alaw, Law::Ulaw],
            telephone_event_pt: DEFAULT_TELEPHONE_EVENT_PT,
            silence_supp_off: true,
            t38: T38Local::from_media_config(media),
        }
    }
}

/// Per-trunk answering policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerPolicy {
    /// Accept T.38 at all. Off for carriers that do not do T.38: image streams are
    /// then rejected, and an image-only offer gets 488 so the peer stays on G.711.
    pub t38: bool,
    /// Accept an image stream already in the initial INVITE (FreeSWITCH #1297/#1081).
    pub t38_in_initial_offer: bool,
    /// When an offer has both audio and image active, accept the audio too (so both paths are
    /// ready); when false the audio stream is rejected in favour of T.38.
    pub audio_with_t38: bool,
}

impl Default for AnswerPolicy {
    fn default() -> Self {
        AnswerPolicy {
            t38: true,
            t38_in_initial_offer: true,
            audio_with_t38: true,
        }
    }
}

/// A telephone-event (RFC 4733) stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Payload type to stamp on events we send (from the peer's SDP).
    pub payload_type: u8,
    /// Payload type the peer's events arrive with (from our SDP).
    pub receive_payload_type: u8,
    /// Events both sides handle, as an fmtp list (`0-16`, `0-15`, …).
    pub events: String,
}

/// The negotiated audio stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedAudio {
    /// Where to send RTP (an unspecified address, `0.0.0.0`, is RFC 2543-style hold: send
    /// nothing).
    pub remote: SocketAddr,
    /// The G.711 law both sides use.
    pub law: Law,
    /// Payload type to send with (from the peer's SDP).
    pub payload_type: u8,
    /// Payload type the peer's audio arrives with (from our SDP).
    pub receive_payload_type: u8,
    /// RFC 4733 events, if negotiated.
    pub telephone_event: Option<TelephoneEvent>,
    /// The peer's `a=ptime`, for information; we always send 20 ms.
    pub remote_ptime: Option<u32>,
    /// The direction in our SDP (from our point of view).
    pub direction: Direction,
}

/// The negotiated T.38 stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedT38 {
    /// Where to send UDPTL.
    pub remote: SocketAddr,
    /// The T.38 and UDPTL parameters; see [`T38Negotiation::udptl_sender_config`].
    pub params: T38Negotiation,
}

/// What the media layer should run after an offer/answer exchange.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NegotiatedMedia {
    /// The active audio stream, if any.
    pub audio: Option<NegotiatedAudio>,
    /// The active T.38 stream, if any.
    pub t38: Option<NegotiatedT38>,
}

impl NegotiatedMedia {
    /// Whether no stream is active (only possible after a peer's answer rejected everything;
    /// the call layer should then re-offer audio or hang up).
    pub fn is_empty(&self) -> bool {
        self.audio.is_none() && self.t38.is_none()
    }
}

/// Our answer to a peer's offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The SDP body for the 200 OK (or 183).
    pub sdp: String,
    /// What to run now.
    pub media: NegotiatedMedia,
}

/// Our offer; the answer goes to [`SdpSession::receive_answer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The SDP body for the INVITE (or the 200 OK to an SDP-less re-INVITE).
    pub sdp: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AudioSlot {
    /// (law, payload type) in m-line order.
    codecs: Vec<(Law, u8)>,
    /// telephone-event payload type and event list.
    telephone_event: Option<(u8, String)>,
    direction: Direction,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum SlotKind {
    Audio(AudioSlot),
    /// Our T.38 attributes while active.
    Image(T38Params),
    Other,
}

/// One m-line of the session as *we* write it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Slot {
    media: String,
    proto: String,
    /// Format list written while the slot is disabled.
    fmt: String,
    /// Our port; 0 = disabled or rejected.
    port: u16,
    kind: SlotKind,
}

impl Slot {
    fn disabled(mut self) -> Slot {
        if self.port != 0 {
            self.fmt = match &self.kind {
                SlotKind::Audio(a) => audio_formats(a).join(" "),
                SlotKind::Image(_) => "t38".to_string(),
                SlotKind::Other => self.fmt,
            };
            self.port = 0;
        }
        self
    }
}

fn audio_formats(a: &AudioSlot) -> Vec<String> {
    a.codecs
        .iter()
        .map(|(_, pt)| pt.to_string())
        .chain(a.telephone_event.iter().map(|(pt, _)| pt.to_string()))
        .collect()
}

fn law_of(m: &MediaDescription, pt: u8) -> Option<Law> {
    match m.rtpmap(pt) {
        Some(r) if r.clock_rate == 8000 && r.is_mono() => {
            if r.encoding.eq_ignore_ascii_case("PCMA") {
                Some(Law::Alaw)
            } else if r.encoding.eq_ignore_ascii_case("PCMU") {
                Some(Law::Ulaw)
            } else {
                None
            }
        }
        Some(_) => None,
        None => Law::from_payload_type(pt),
    }
}

fn payload_types(m: &MediaDescription) -> impl Iterator<Item = u8> + '_ {
    m.formats
        .iter()
        .filter_map(|f| f.parse::<u8>().ok())
        .filter(|pt| *pt <= 127)
}

/// A set of RFC 4733 events we handle (0–16), parsed from and written as an fmtp list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EventSet(u32);

impl EventSet {
    /// Parses `0-15,66`-style lists, keeping only events 0–16; unreadable items are skipped.
    fn parse(list: &str) -> EventSet {
        let mut bits = 0u32;
        for item in list.split(',') {
            let item = item.trim();
            let (lo, hi) = match item.split_once('-') {
                Some((a, b)) => (a.trim().parse::<u32>(), b.trim().parse::<u32>()),
                None => (item.parse::<u32>(), item.parse::<u32>()),
            };
            if let (Ok(lo), Ok(hi)) = (lo, hi) {
                for e in lo..=hi.min(u32::from(MAX_TELEPHONE_EVENT)) {
                    bits |= 1 << e;
                }
            }
        }
        EventSet(bits)
    }

    fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn intersect(self, other: EventSet) -> EventSet {
        EventSet(self.0 & other.0)
    }
}

impl std::fmt::Display for EventSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let has = |e: u32| e <= u32::from(MAX_TELEPHONE_EVENT) && self.0 & (1 << e) != 0;
        let mut first = true;
        let mut e = 0;
        while e <= u32::from(MAX_TELEPHONE_EVENT) {
            if has(e) {
                let start = e;
                while has(e + 1) {
                    e += 1;
                }
                f.write_str(if first { "" } else { "," })?;
                first = false;
                if start == e {
                    write!(f, "{e}")?;
                } else {
                    write!(f, "{start}-{e}")?;
                }
            }
            e += 1;
        }
        Ok(())
    }
}

/// The telephone-event format of an m-line: (payload type, events ∩ 0–16).
fn telephone_event_of(m: &MediaDescription) -> Option<(u8, String)> {
    payload_types(m).find_map(|pt| {
        let r = m.rtpmap(pt)?;
        if !(r.encoding.eq_ignore_ascii_case("telephone-event") && r.clock_rate == 8000) {
            return None;
        }
        // RFC 4733 §7.1.1: no fmtp means events 0–15.
        let events = EventSet::parse(m.fmtp(&pt.to_string()).unwrap_or("0-15"));
        (!events.is_empty()).then(|| (pt, events.to_string()))
    })
}

fn answer_direction(offered: Direction) -> Direction {
    match offered {
        Direction::SendOnly => Direction::RecvOnly,
        Direction::RecvOnly => Direction::SendOnly,
        d => d,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PendingOffer {
    slots: Vec<Slot>,
}

/// Offer/answer state of one dialog. See the module docs.
#[derive(Debug, Clone)]
pub struct SdpSession {
    local: LocalMedia,
    version: u64,
    last_sent: Option<String>,
    slots: Vec<Slot>,
    established: bool,
    current: Option<NegotiatedMedia>,
    pending: Option<PendingOffer>,
}

impl SdpSession {
    /// A session with nothing negotiated yet.
    pub fn new(local: LocalMedia) -> SdpSession {
        SdpSession {
            version: local.session_id,
            local,
            last_sent: None,
            slots: Vec::new(),
            established: false,
            current: None,
            pending: None,
        }
    }

    /// Our local media description.
    pub fn local(&self) -> &LocalMedia {
        &self.local
    }

    /// The `o=` version of the SDP we sent last.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Number of m-lines in the current session (0 before the first exchange).
    pub fn m_line_count(&self) -> usize {
        self.slots.len()
    }

    /// The media in force, after the last completed exchange.
    pub fn current(&self) -> Option<&NegotiatedMedia> {
        self.current.as_ref()
    }

    /// Whether an offer of ours awaits its answer.
    pub fn has_pending_offer(&self) -> bool {
        self.pending.is_some()
    }

    /// Answers a peer's offer (initial INVITE, re-INVITE, or UPDATE).
    ///
    /// Keeps the offer's m-lines in number and order. Accepts the first audio stream with
    /// G.711 (PCMA or PCMU, whichever the offer lists first) and telephone-event on the offer's
    /// payload type; accepts the first `image udptl t38` stream when the policy allows; rejects
    /// everything else with port 0. On error the session is unchanged, so the previous media
    /// stays in force after a 488.
    pub fn answer(
        &mut self,
        offer: &SessionDescription,
        policy: &AnswerPolicy,
    ) -> Result<Answer, NegotiationError> {
        if self.pending.is_some() {
            return Err(NegotiationError::OfferPending);
        }
        if offer.media.len() < self.slots.len() {
            return Err(NegotiationError::MLineCountDecreased {
                session: self.slots.len(),
                offered: offer.media.len(),
            });
        }
        let t38_allowed = policy.t38 && (self.established || policy.t38_in_initial_offer);
        let image_index = if t38_allowed {
            offer
                .media
                .iter()
                .position(|m| m.is_udptl_t38() && m.remote_addr().is_some())
        } else {
            None
        };
        let audio_allowed = image_index.is_none() || policy.audio_with_t38;

        let mut media = NegotiatedMedia::default();
        let mut slots = Vec::with_capacity(offer.media.len());
        for (i, m) in offer.media.iter().enumerate() {
            let rejected = Slot {
                media: m.media.clone(),
                proto: m.proto.clone(),
                // RFC 3264 §6: a rejected m-line still lists at least one format.
                fmt: if m.formats.is_empty() {
                    "0".to_string()
                } else {
                    m.formats.join(" ")
                },
                port: 0,
                kind: match m.kind {
                    MediaKind::Audio => SlotKind::Audio(self.offer_audio_slot()),
                    MediaKind::Image => SlotKind::Image(self.local.t38.offer()),
                    MediaKind::Other => SlotKind::Other,
                },
            };
            if Some(i) == image_index {
                let remote = m.remote_addr().expect("checked when choosing the index");
                let params = self
                    .local
                    .t38
                    .answer(m.t38.as_ref().unwrap_or(&T38Params::default()));
                slots.push(Slot {
                    media: "image".to_string(),
                    proto: "udptl".to_string(),
                    fmt: "t38".to_string(),
                    port: self.local.udptl_port,
                    kind: SlotKind::Image(params.local.clone()),
                });
                media.t38 = Some(NegotiatedT38 { remote, params });
                continue;
            }
            let audio = (audio_allowed
                && media.audio.is_none()
                && m.kind == MediaKind::Audio
                && m.is_rtp_avp())
            .then(|| Self::answer_audio(m))
            .flatten();
            match audio {
                Some((slot, negotiated)) => {
                    slots.push(Slot {
                        media: m.media.clone(),
                        proto: m.proto.clone(),
                        fmt: String::new(),
                        port: self.local.rtp_port,
                        kind: SlotKind::Audio(slot),
                    });
                    media.audio = Some(negotiated);
                }
                None => slots.push(rejected),
            }
        }
        if media.is_empty() {
            return Err(NegotiationError::NoAcceptableMedia);
        }
        let sdp = self.emit(&slots);
        self.slots = slots;
        self.established = true;
        self.current = Some(media.clone());
        Ok(Answer { sdp, media })
    }

    fn answer_audio(m: &MediaDescription) -> Option<(AudioSlot, NegotiatedAudio)> {
        let remote = m.remote_addr()?;
        let (law, pt) = payload_types(m).find_map(|pt| law_of(m, pt).map(|l| (l, pt)))?;
        let te = telephone_event_of(m);
        let direction = answer_direction(m.direction);
        let negotiated = NegotiatedAudio {
            remote,
            law,
            payload_type: pt,
            receive_payload_type: pt,
            telephone_event: te.as_ref().map(|(pt, events)| TelephoneEvent {
                payload_type: *pt,
                receive_payload_type: *pt,
                events: events.clone(),
            }),
            remote_ptime: m.ptime,
            direction,
        };
        let slot = AudioSlot {
            codecs: vec![(law, pt)],
            telephone_event: te,
            direction,
        };
        Some((slot, negotiated))
    }

    fn offer_audio_slot(&self) -> AudioSlot {
        let mut codecs: Vec<(Law, u8)> = Vec::new();
        for law in &self.local.offer_codecs {
            if !codecs.iter().any(|(l, _)| l == law) {
                codecs.push((*law, law.payload_type()));
            }
        }
        if codecs.is_empty() {
            codecs = vec![(Law::Alaw, Law::Alaw.payload_type())];
        }
        AudioSlot {
            codecs,
            telephone_event: Some((
                self.local.telephone_event_pt,
                format!("0-{MAX_TELEPHONE_EVENT}"),
            )),
            direction: Direction::SendRecv,
        }
    }

    /// Our G.711 offer: for an outbound call (the first offer of the session) or to return
    /// from T.38 to audio. Offers PCMA, PCMU (in [`LocalMedia::offer_codecs`] order) and
    /// telephone-event; reuses the session's audio m-line (or appends one) and sets every other
    /// stream to port 0, so `m=image 0 udptl t38` stays in place.
    ///
    /// A new offer replaces any unanswered one.
    pub fn offer_audio(&mut self) -> Offer {
        let slot = Slot {
            media: "audio".to_string(),
            proto: "RTP/AVP".to_string(),
            fmt: String::new(),
            port: self.local.rtp_port,
            kind: SlotKind::Audio(self.offer_audio_slot()),
        };
        let slots = Self::replace_slot(&self.slots, slot, |k| matches!(k, SlotKind::Audio(_)));
        self.make_offer(slots)
    }

    /// Our T.38 re-INVITE offer: `m=image <udptl port> udptl t38` with our T.38 attributes
    /// (redundancy), reusing the session's image m-line or appending one, and every other
    /// stream (the audio) set to port 0 — so a session that had audio first offers
    /// `m=audio 0 …` followed by `m=image …`, keeping the m-line count.
    ///
    /// A new offer replaces any unanswered one.
    pub fn offer_t38(&mut self) -> Offer {
        let slot = Slot {
            media: "image".to_string(),
            proto: "udptl".to_string(),
            fmt: "t38".to_string(),
            port: self.local.udptl_port,
            kind: SlotKind::Image(self.local.t38.offer()),
        };
        let slots = Self::replace_slot(&self.slots, slot, |k| matches!(k, SlotKind::Image(_)));
        self.make_offer(slots)
    }

    /// Audio and T.38 both active, for an outbound INVITE to a peer that may take T.38 at once
    /// (FreeSWITCH-style `m=audio … RTP/AVP` followed by `m=image … udptl t38`). Both m-lines
    /// are reused when the session has them, otherwise appended audio first; every other
    /// stream is set to port 0. The answer may accept either or both.
    ///
    /// A new offer replaces any unanswered one.
    pub fn offer_audio_and_t38(&mut self) -> Offer {
        let audio = Slot {
            media: "audio".to_string(),
            proto: "RTP/AVP".to_string(),
            fmt: String::new(),
            port: self.local.rtp_port,
            kind: SlotKind::Audio(self.offer_audio_slot()),
        };
        let image = Slot {
            media: "image".to_string(),
            proto: "udptl".to_string(),
            fmt: "t38".to_string(),
            port: self.local.udptl_port,
            kind: SlotKind::Image(self.local.t38.offer()),
        };
        let mut slots = Self::replace_slot(&self.slots, audio, |k| matches!(k, SlotKind::Audio(_)));
        match slots
            .iter()
            .position(|s| matches!(s.kind, SlotKind::Image(_)))
        {
            Some(i) => slots[i] = image,
            None => slots.push(image),
        }
        self.make_offer(slots)
    }

    /// The current session as an offer, for a re-INVITE (or initial INVITE) that arrived
    /// without SDP: we must offer in the 200 and take the answer from the ACK. An active T.38
    /// stream is re-offered as it is (a session refresh during a fax must not fall
    /// back to audio); active audio is offered with the codec in use. Before anything was
    /// negotiated this is [`offer_audio`](Self::offer_audio). The `o=` version only changes if
    /// the SDP differs from the last one we sent.
    pub fn offer_current(&mut self) -> Offer {
        if !self.established {
            return self.offer_audio();
        }
        let slots = self.slots.clone();
        self.make_offer(slots)
    }

    /// Forgets our outstanding offer after it failed (488, 491, timeout, CANCEL, missing
    /// answer in the ACK): the previous session stays in force.
    pub fn cancel_offer(&mut self) {
        self.pending = None;
    }

    /// Takes the peer's answer to our outstanding offer and makes it the session.
    ///
    /// Each stream we offered is active if the answer gives it a non-zero port and, for audio,
    /// picks one of our G.711 codecs. The result may be empty (the peer rejected every stream
    /// in a 200): the call layer should then re-offer audio or hang up. A mismatched m-line
    /// count is an error and leaves the previous session in force.
    pub fn receive_answer(
        &mut self,
        answer: &SessionDescription,
    ) -> Result<NegotiatedMedia, NegotiationError> {
        let pending = self
            .pending
            .take()
            .ok_or(NegotiationError::NoOfferPending)?;
        if answer.media.len() != pending.slots.len() {
            return Err(NegotiationError::AnswerMismatch {
                offered: pending.slots.len(),
                answered: answer.media.len(),
            });
        }
        let mut media = NegotiatedMedia::default();
        let mut slots = Vec::with_capacity(pending.slots.len());
        for (ours, theirs) in pending.slots.into_iter().zip(&answer.media) {
            if ours.port == 0 || theirs.remote_addr().is_none() {
                slots.push(ours.disabled());
                continue;
            }
            match &ours.kind {
                SlotKind::Audio(offered) if media.audio.is_none() => {
                    match Self::complete_audio(offered, theirs) {
                        Some((slot, negotiated)) => {
                            media.audio = Some(negotiated);
                            slots.push(Slot {
                                kind: SlotKind::Audio(slot),
                                ..ours
                            });
                        }
                        None => slots.push(ours.disabled()),
                    }
                }
                SlotKind::Image(offered) if media.t38.is_none() && theirs.is_udptl_t38() => {
                    let remote = theirs.remote_addr().expect("checked above");
                    let params = self.local.t38.complete(
                        offered,
                        theirs.t38.as_ref().unwrap_or(&T38Params::default()),
                    );
                    media.t38 = Some(NegotiatedT38 { remote, params });
                    slots.push(ours);
                }
                _ => slots.push(ours.disabled()),
            }
        }
        self.slots = slots;
        self.established = true;
        self.current = Some(media.clone());
        Ok(media)
    }

    fn complete_audio(
        offered: &AudioSlot,
        theirs: &MediaDescription,
    ) -> Option<(AudioSlot, NegotiatedAudio)> {
        let remote = theirs.remote_addr()?;
        if theirs.kind != MediaKind::Audio {
            return None;
        }
        let (law, their_pt) = payload_types(theirs).find_map(|pt| {
            law_of(theirs, pt)
                .filter(|l| offered.codecs.iter().any(|(ol, _)| ol == l))
                .map(|l| (l, pt))
        })?;
        let our_pt = offered
            .codecs
            .iter()
            .find(|(l, _)| *l == law)
            .map(|(_, pt)| *pt)?;
        let te = match (&offered.telephone_event, telephone_event_of(theirs)) {
            (Some((our_te, our_events)), Some((their_te, their_events))) => {
                // Only the events both sides listed.
                let events = EventSet::parse(our_events).intersect(EventSet::parse(&their_events));
                (!events.is_empty()).then(|| TelephoneEvent {
                    payload_type: their_te,
                    receive_payload_type: *our_te,
                    events: events.to_string(),
                })
            }
            _ => None,
        };
        let direction = offered.direction;
        let negotiated = NegotiatedAudio {
            remote,
            law,
            payload_type: their_pt,
            receive_payload_type: our_pt,
            telephone_event: te.clone(),
            remote_ptime: theirs.ptime,
            direction,
        };
        let slot = AudioSlot {
            codecs: vec![(law, our_pt)],
            telephone_event: te.map(|t| (t.receive_payload_type, t.events)),
            direction,
        };
        Some((slot, negotiated))
    }

    fn replace_slot(
        current: &[Slot],
        slot: Slot,
        is_same: impl Fn(&SlotKind) -> bool,
    ) -> Vec<Slot> {
        let mut slots: Vec<Slot> = current.to_vec();
        // Prefer the active slot of that kind, then the first one (RFC 3264 §8.1 lets a
        // disabled m-line be reused; appending is the fallback).
        let index = match slots
            .iter()
            .position(|s| s.port != 0 && is_same(&s.kind))
            .or_else(|| slots.iter().position(|s| is_same(&s.kind)))
        {
            Some(i) => i,
            None => {
                slots.push(slot.clone());
                slots.len() - 1
            }
        };
        slots
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                if i == index {
                    slot.clone()
                } else {
                    s.disabled()
                }
            })
            .collect()
    }

    fn make_offer(&mut self, slots: Vec<Slot>) -> Offer {
        let sdp = self.emit(&slots);
        self.pending = Some(PendingOffer { slots });
        Offer { sdp }
    }

    /// Renders `slots`, bumping the `o=` version if the result differs from what we sent last.
    fn emit(&mut self, slots: &[Slot]) -> String {
        let candidate = self.render(slots, self.version);
        if self.last_sent.as_deref() == Some(candidate.as_str()) {
            return candidate;
        }
        let sdp = if self.last_sent.is_some() {
            self.version = self.version.wrapping_add(1);
            self.render(slots, self.version)
        } else {
            candidate
        };
        self.last_sent = Some(sdp.clone());
        sdp
    }

    fn render(&self, slots: &[Slot], version: u64) -> String {
        let addr = self.local.address;
        let origin = Origin {
            username: Some(self.local.username.clone()),
            sess_id: self.local.session_id.to_string(),
            sess_version: version,
            nettype: NetType::In,
            addrtype: addr.into(),
            unicast_address: addr.to_string(),
        };
        let mut session = Session::new(origin, "faxvox");
        session.connection = Some(Connection::from_ip_addr(addr));
        session.times = vec![Time::new(0, 0)];
        session.medias = slots.iter().map(|s| self.render_media(s)).collect();
        session.to_string()
    }

    fn render_media(&self, slot: &Slot) -> Media {
        let mut media = Media {
            media: slot.media.clone(),
            port: slot.port,
            num_ports: None,
            proto: slot.proto.clone(),
            fmt: slot.fmt.clone(),
            media_title: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
        };
        if slot.port == 0 {
            return media;
        }
        match &slot.kind {
            SlotKind::Audio(a) => {
                media.fmt = audio_formats(a).join(" ");
                for (law, pt) in &a.codecs {
                    media.attributes.push(Attribute::with_value(
                        "rtpmap",
                        format!("{pt} {}/8000", law.encoding_name()),
                    ));
                }
                if let Some((pt, events)) = &a.telephone_event {
                    media.attributes.push(Attribute::with_value(
                        "rtpmap",
                        format!("{pt} telephone-event/8000"),
                    ));
                    media
                        .attributes
                        .push(Attribute::with_value("fmtp", format!("{pt} {events}")));
                }
                media
                    .attributes
                    .push(Attribute::with_value("ptime", PTIME_MS));
                if self.local.silence_supp_off {
                    media
                        .attributes
                        .push(Attribute::with_value("silenceSupp", "off - - - -"));
                }
                media.attributes.push(Attribute::new(a.direction.as_str()));
            }
            SlotKind::Image(params) => {
                media.attributes = params.to_attributes();
            }
            SlotKind::Other => media.port = 0,
        }
        media
    }
}
