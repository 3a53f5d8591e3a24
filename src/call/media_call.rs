//! [`MediaCall`]: the media of one call as a sans-IO state machine.
//!
//! It holds one session — a [`FaxSession`], a [`VoicemailSession`] or a test-caller playback —
//! and the RTP and UDPTL streams around it, and never touches a socket or a clock: it is fed
//! `(now, datagram, from where, on which stream)`, the media ticks and the negotiated media,
//! and polled for the datagrams to send ([`MediaCall::poll_transmit`]), the events for the
//! call layer ([`MediaCall::poll_event`], a queue: nothing is lost) and when it wants the next
//! tick ([`MediaCall::poll_timeout`]). [`super::driver`] runs it on tokio with real sockets;
//! [`super::sim`] runs two of them over a simulated network, so `fax-sim` exercises exactly
//! this pipeline.
//!
//! - **Every 20 ms** ([`TICK`]) it pops one frame from the fixed-depth [`ReorderBuffer`] into
//!   the session (a hole is `on_missing_audio`), sends the session's next 20 ms as G.711 RTP,
//!   and lets the session's timers run. Ticks are due one after the other: a late caller
//!   catches up tick by tick rather than dropping time (the media clock must keep step with
//!   the peer's). If a tick comes more than [`MAX_LAG`] after it was due (a stalled host), the
//!   clock jumps to the present instead, restarting the reorder buffer, and the sessions bridge
//!   the gap.
//! - **Datagrams fed when a tick is due** belong to that tick: the driver reads its sockets at
//!   the tick (a packet can do nothing before the next playout tick anyway, and it halves the
//!   task's wake-ups to 50 a second whatever the peer sends).
//! - **RTP in** is parsed without copying; datagrams that are not RTP, or carry a payload type
//!   that was not negotiated, are counted as garbage and dropped. RFC 4733 events on the
//!   negotiated receive payload type go to a [`DtmfReceiver`]. Sequence numbers give
//!   [`RtpStats::packets_lost`] the RFC 3550 way (expected − received).
//! - **T.38**: UDPTL datagrams go through a [`UdptlReceiver`] into `FaxSession::on_ifp`; IFPs
//!   the session produces go out through a [`UdptlSender`] configured from the SDP answer,
//!   repeated `count` times as spandsp asks. UDPTL that arrives before the switch to T.38 is
//!   negotiated is kept (a few dozen IFPs) and fed to the session once it switches.
//! - **Media belongs to its call** (cf. Asterisk's `strictrtp`): each stream accepts packets
//!   from the address in the peer's SDP and from no one else, except that a peer behind NAT is
//!   learned: while nothing has come from the SDP address, the first source that sends
//!   [`LEARN_PACKETS`] well-formed packets with consecutive sequence numbers becomes the
//!   stream's peer, and output goes there. Packets from any other address are dropped before
//!   they are decoded, recorded or seen by the session, and counted (`rtp_foreign`,
//!   `udptl_foreign`; logged once per stream); nothing is ever sent to them. A new SDP
//!   address starts the learning over.
//!
//! [`MediaCall::apply`] (re)targets the streams after each offer/answer: the first call starts
//! the clock; a later one with T.38 moves the fax session to T.38 (spandsp's T.30 restarts on
//! the new transport, keeping pages already received; see [`FaxSession::switch_transport`]);
//! one with audio only moves it back. A voicemail session that hears CNG is replaced by a fax
//! receive session in the same folder, and [`MediaEvent::FaxTone`] tells the call layer.
//! [`MediaCall::finish`] ends the sessions (fax phase E, recording finalised) and returns the
//! [`MediaOutcome`].
//!
//! **Cost.** Received payload buffers cycle between the datagram and the reorder buffer, G.711
//! scratch space is reused, and outgoing RTP is written into buffers that come back after each
//! [`MediaCall::poll_transmit`]; outgoing UDPTL is encoded into the same reused buffers. The
//! per-packet allocations left are the IFPs the T.38 layers hand over.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use faxvox_codecs::g711::Law;
use faxvox_codecs::recording::WavRecorder;
use tracing::{debug, info, warn};

use crate::fax::{FaxEvent, FaxOptions, FaxReport, FaxSession, Modems, T38Options, Transport};
use crate::media::dtmf::{DtmfEvent, DtmfReceiver, DtmfSender, DtmfSenderConfig, EventPacket};
use crate::media::reorder::{Frame, ReorderBuffer, ReorderConfig, ReorderStats};
use crate::media::rtp::{RtpPacket, RtpSender, RtpSenderConfig};
use crate::media::udptl::{UdptlPacket, UdptlReceiver, UdptlReceiverStats, UdptlSender};
use crate::media::{FaxToneHeard, MediaConfig};
use crate::sip::sdp::{Direction, NegotiatedAudio, NegotiatedMedia, NegotiatedT38};
use crate::sip::t38::RateManagement;
use crate::voicemail::{BeepDetector, Outcome, VoicemailConfig, VoicemailEvent, VoicemailSession};

/// Packets in sequence that teach the call a NAT source (defined with the peer rules).
pub use super::peer::LEARN_PACKETS;
use super::peer::{SeqTrack, Target};

/// The media tick: one 20 ms G.711 frame.
pub const TICK: Duration = Duration::from_millis(20);
/// Samples per tick.
const FRAME: usize = 160;
/// If a tick comes this long after it was due, the clock jumps to the present instead of
/// catching up tick by tick.
pub const MAX_LAG: Duration = Duration::from_millis(1000);
/// IFPs kept from UDPTL that arrives before T.38 is in use.
const EARLY_IFPS: usize = 64;
/// Payload buffers kept for reuse.
const SPARE_BUFFERS: usize = 16;
/// RFC 4733 digits the test caller sends: 160 ms tone, 100 ms apart (timestamp units).
const DTMF_DURATION: u32 = 1280;
const DTMF_GAP: u32 = 800;

/// Per-call settings that do not come from the SDP.
#[derive(Debug, Clone)]
pub struct MediaSettings {
    /// Reorder depth, UDPTL redundancy, T.38 max datagram.
    pub media: MediaConfig,
    /// Our fax station identifier (TSI/CSI).
    pub station_id: String,
    /// T.30 error correction.
    pub ecm: bool,
    /// Image modems T.30 may use (all by default; the outbound fallback leaves V.17 out to
    /// stay at 9600 bit/s or below).
    pub modems: Modems,
    /// Backstop on one fax session's length.
    pub fax_max_duration: Duration,
    /// Most pages received in one call (`fax.max_pages`): after that page the call is ended
    /// and what arrived is delivered.
    pub fax_max_pages: u32,
    /// Longest received page (`fax.max_page_length_mm`): a longer page is cut there and the
    /// call ended.
    pub fax_max_page_length_mm: u32,
    /// Our T.30 recovery from lost packets (see [`FaxOptions::loss_recovery`]); off only for
    /// the simulator's upstream reference engine.
    pub fax_loss_recovery: bool,
}

impl Default for MediaSettings {
    fn default() -> Self {
        MediaSettings {
            media: MediaConfig::default(),
            station_id: String::new(),
            ecm: true,
            modems: Modems::default(),
            fax_max_duration: Duration::from_secs(30 * 60),
            fax_max_pages: 200,
            fax_max_page_length_mm: crate::fax::DEFAULT_MAX_PAGE_LENGTH_MM,
            fax_loss_recovery: true,
        }
    }
}

impl MediaSettings {
    /// `[media]` and `[fax]` from the configuration.
    pub fn from_config(media: &MediaConfig, fax: &crate::fax::FaxConfig) -> Self {
        MediaSettings {
            media: media.clone(),
            station_id: fax.station_id.clone(),
            ecm: fax.ecm,
            fax_max_pages: fax.max_pages,
            fax_max_page_length_mm: fax.max_page_length_mm,
            ..MediaSettings::default()
        }
    }
}

/// What the call's media does.
#[derive(Debug, Clone)]
pub enum MediaRole {
    /// Answer a fax and receive it into `<folder>/<call id>.tif`.
    ReceiveFax {
        /// Existing folder for the received TIFF.
        folder: PathBuf,
    },
    /// Call a fax and send a TIFF (the test caller, `faxvox call`).
    SendFax {
        /// The fax-ready TIFF to send.
        document: PathBuf,
    },
    /// Greeting, beep, recording into `<folder>/<call id>.wav`; on CNG it becomes a fax
    /// reception into the same folder.
    Voicemail {
        /// The line's voicemail settings.
        config: VoicemailConfig,
        /// Existing folder for the recording (or the fax).
        folder: PathBuf,
    },
    /// The voice test caller: plays `audio`, then sends `dtmf` as RFC 4733 events (in-band
    /// tones when the peer did not negotiate telephone-event), then `tail` of silence; then
    /// [`MediaEvent::Finished`]. Optionally records what it hears.
    Play {
        /// 8 kHz mono linear audio to send from the start of the media (shared: thousands of
        /// test calls play the same message without a copy each).
        audio: Arc<Vec<i16>>,
        /// Digits (`0-9*#A-D`) to send.
        dtmf: Option<String>,
        /// Send the digits at this time from the start of the media instead of after the audio
        /// (the audio pauses while they are sent).
        dtmf_at: Option<Duration>,
        /// Silence after the audio and digits before reporting `Finished`.
        tail: Duration,
        /// Record the received audio into this WAV file (must not exist).
        record: Option<PathBuf>,
        /// Wait for the voicemail beep ([`BeepDetector`]) before playing, as a person waits
        /// for the greeting to end, but at most this long from the start of the media: then
        /// play anyway (a line without a beep still gets the message, late). `None`: play
        /// from the start.
        wait_beep: Option<Duration>,
    },
}

/// Something the call layer should know, as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// A fax tone: CNG on a voice line (the channel has already switched to fax reception), or
    /// the peer's V.21 signalling on a fax call over audio (time to ask for T.38).
    FaxTone(FaxToneHeard),
    /// An RFC 4733 key press started.
    Dtmf(char),
    /// The session says the call should end: fax done, voicemail stopped by the caller's key,
    /// silence or length, playback done, or the session could not start.
    Finished,
}

/// RTP counters of one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RtpStats {
    /// Valid RTP packets received (audio and events on negotiated payload types).
    pub packets_received: u64,
    /// Packets missing from the received sequence numbers (expected − received, RFC 3550).
    pub packets_lost: u64,
    /// RTP packets sent (audio and events).
    pub packets_sent: u64,
    /// Datagrams on the RTP port that were not RTP or had a payload type not negotiated.
    pub garbage: u64,
    /// The source our RTP output latched to, when it differs from the SDP address.
    pub latched: Option<SocketAddr>,
    /// Well-formed RTP dropped because it came from an address that is not the call's peer
    /// (neither the SDP address nor the source learned behind NAT).
    pub foreign: u64,
}

/// What the call's media produced; from [`MediaHandle::finish`].
#[derive(Debug)]
pub struct MediaOutcome {
    /// The fax report (fax roles, or voicemail that became fax).
    pub fax: Option<FaxReport>,
    /// The received TIFF, if at least one page was written.
    pub fax_tiff: Option<PathBuf>,
    /// How the voicemail session ended (`SwitchToFax` when it became a fax).
    pub voicemail: Option<Outcome>,
    /// A voicemail call turned into a fax reception on CNG (or a T.38 re-INVITE).
    pub became_fax: bool,
    /// Play role: the audio and digits were all sent before the hang-up (the tail need not
    /// be: a voicemail hangs up on its own after the stop digit, often within the tail).
    pub played_to_end: bool,
    /// Play role: the recording of what was heard, finalised.
    pub recording: Option<PathBuf>,
    /// Play role waiting for the beep: when its end was heard (media time); `None` when not
    /// waiting or it never came.
    pub beep_heard: Option<Duration>,
    /// RTP counters.
    pub rtp: RtpStats,
    /// Well-formed UDPTL datagrams received.
    pub udptl_packets_received: u64,
    /// UDPTL datagrams sent (including repeats).
    pub udptl_packets_sent: u64,
    /// Datagrams on the UDPTL port that were not UDPTL.
    pub udptl_garbage: u64,
    /// The UDPTL source our T.38 output latched to, when it differs from the SDP address.
    pub udptl_latched: Option<SocketAddr>,
    /// Well-formed UDPTL dropped because it came from an address that is not the call's peer.
    pub udptl_foreign: u64,
    /// A session could not be created or failed (the reason); the call should end.
    pub error: Option<String>,
}

/// Which of the call's two media streams (and sockets) a datagram belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// RTP: G.711 audio and RFC 4733 events.
    Rtp,
    /// UDPTL: T.38.
    Udptl,
}

/// A datagram to send, from [`MediaCall::poll_transmit`].
#[derive(Debug, PartialEq, Eq)]
pub struct Transmit<'a> {
    /// The stream (socket) to send it from.
    pub stream: Stream,
    /// Where to send it.
    pub destination: SocketAddr,
    /// The datagram.
    pub payload: &'a [u8],
}

impl MediaOutcome {
    /// An outcome with nothing in it but the reason (a media task that failed to run).
    pub fn failed(error: String) -> Self {
        MediaOutcome {
            fax: None,
            fax_tiff: None,
            voicemail: None,
            became_fax: false,
            played_to_end: false,
            recording: None,
            beep_heard: None,
            rtp: RtpStats::default(),
            udptl_packets_received: 0,
            udptl_packets_sent: 0,
            udptl_garbage: 0,
            udptl_latched: None,
            udptl_foreign: 0,
            error: Some(error),
        }
    }
}

struct Datagram {
    stream: Stream,
    destination: SocketAddr,
    bytes: Vec<u8>,
}

/// Datagrams waiting for [`MediaCall::poll_transmit`], and their buffers for reuse.
#[derive(Default)]
struct Outbox {
    queue: VecDeque<Datagram>,
    /// The datagram last handed out; its buffer is reused from the next poll on.
    in_flight: Option<Datagram>,
    free: Vec<Vec<u8>>,
}

impl Outbox {
    fn buffer(&mut self) -> Vec<u8> {
        self.free.pop().unwrap_or_default()
    }

    fn push(&mut self, stream: Stream, destination: SocketAddr, bytes: Vec<u8>) {
        self.queue.push_back(Datagram {
            stream,
            destination,
            bytes,
        });
    }

    fn poll(&mut self) -> Option<Transmit<'_>> {
        if let Some(d) = self.in_flight.take() {
            if self.free.len() < SPARE_BUFFERS {
                self.free.push(d.bytes);
            }
        }
        let d = self.in_flight.insert(self.queue.pop_front()?);
        Some(Transmit {
            stream: d.stream,
            destination: d.destination,
            payload: &d.bytes,
        })
    }
}

/// The audio (RTP) leg. Kept across re-INVITEs (also while T.38 runs) so the outgoing stream
/// keeps its SSRC and numbering.
struct AudioLeg {
    /// The latest answer has an audio stream.
    active: bool,
    /// Our direction allows sending (not on hold).
    send: bool,
    target: Target,
    law: Law,
    send_pt: u8,
    recv_pt: u8,
    event_send_pt: Option<u8>,
    dtmf_rx: Option<DtmfReceiver>,
    tx: RtpSender,
    reorder: ReorderBuffer,
    /// Payload buffers that went through the reorder buffer, for the next packets.
    spare: Vec<Vec<u8>>,
    pcm: Vec<i16>,
    out: Vec<u8>,
}

impl AudioLeg {
    fn new(na: &NegotiatedAudio, reorder_ms: u32) -> Self {
        let mut leg = AudioLeg {
            active: true,
            send: true,
            target: Target::new(),
            law: na.law,
            send_pt: na.payload_type,
            recv_pt: na.receive_payload_type,
            event_send_pt: None,
            dtmf_rx: None,
            tx: RtpSender::new(RtpSenderConfig {
                ssrc: rand::random(),
                payload_type: na.payload_type,
                initial_sequence: rand::random(),
                initial_timestamp: rand::random(),
            }),
            reorder: ReorderBuffer::new(ReorderConfig {
                depth_ms: reorder_ms,
                ..Default::default()
            }),
            spare: Vec::with_capacity(SPARE_BUFFERS),
            pcm: Vec::with_capacity(FRAME),
            out: Vec::with_capacity(FRAME),
        };
        leg.update(na);
        leg
    }

    fn update(&mut self, na: &NegotiatedAudio) {
        self.active = true;
        self.send = matches!(na.direction, Direction::SendRecv | Direction::SendOnly);
        self.target.set_sdp(na.remote);
        self.law = na.law;
        self.recv_pt = na.receive_payload_type;
        if na.payload_type != self.send_pt {
            // Same stream, new payload type: keep SSRC, sequence and clock.
            self.send_pt = na.payload_type;
            self.tx = RtpSender::new(RtpSenderConfig {
                ssrc: self.tx.ssrc(),
                payload_type: na.payload_type,
                initial_sequence: self.tx.next_sequence(),
                initial_timestamp: self.tx.next_timestamp(),
            });
        }
        self.event_send_pt = na.telephone_event.as_ref().map(|t| t.payload_type);
        let rx_pt = na.telephone_event.as_ref().map(|t| t.receive_payload_type);
        if self.dtmf_rx.as_ref().map(DtmfReceiver::payload_type) != rx_pt {
            self.dtmf_rx = rx_pt.map(DtmfReceiver::new);
        }
    }

    /// This tick's received frame, decoded: `Ok(samples)` or `Err(missing sample count)`.
    fn pop(&mut self) -> Result<&[i16], usize> {
        match self.reorder.pop_frame() {
            Some(Frame::Audio(payload)) => {
                self.pcm.clear();
                self.law.decode(&payload, &mut self.pcm);
                if self.spare.len() < SPARE_BUFFERS {
                    self.spare.push(payload);
                }
                Ok(&self.pcm)
            }
            Some(Frame::Missing { samples }) => Err(samples as usize),
            // Nothing heard yet (or still within the playout delay).
            None => Err(FRAME),
        }
    }

    /// Sends one 20 ms frame; returns packets sent (0 on hold or without a destination, when
    /// the clock still advances).
    fn send_frame(&mut self, outbox: &mut Outbox, frame: &[i16]) -> u64 {
        let dest = self.target.dest().filter(|_| self.send);
        let Some(dest) = dest else {
            self.tx.skip(frame.len() as u32);
            return 0;
        };
        self.out.clear();
        self.law.encode(frame, &mut self.out);
        let mut packet = outbox.buffer();
        self.tx.packetize_into(&self.out, &mut packet);
        outbox.push(Stream::Rtp, dest, packet);
        1
    }

    /// Sends one telephone-event packet on the stream.
    fn send_event(&mut self, outbox: &mut Outbox, p: &EventPacket) -> u64 {
        let Some(dest) = self.target.dest().filter(|_| self.send) else {
            return 0;
        };
        let packet =
            self.tx
                .packetize_with(p.marker, p.payload_type, p.timestamp, &p.payload.encode());
        outbox.push(Stream::Rtp, dest, packet);
        1
    }
}

/// The T.38 leg: the sender configured from the answer.
struct T38Leg {
    negotiated: NegotiatedT38,
    tx: UdptlSender,
    options: T38Options,
}

impl T38Leg {
    fn new(nt: &NegotiatedT38, media: &MediaConfig) -> Self {
        let tx = UdptlSender::new(nt.params.udptl_sender_config(media));
        let rate = nt
            .params
            .local
            .rate_management
            .or(nt.params.remote.rate_management);
        let options = T38Options {
            version: nt.params.version,
            max_ifp: tx.max_ifp().clamp(16, usize::from(u16::MAX)) as u16,
            fill_bit_removal: nt.params.fill_bit_removal,
            transferred_tcf: rate != Some(RateManagement::LocalTcf),
        };
        T38Leg {
            negotiated: nt.clone(),
            tx,
            options,
        }
    }
}

/// The test caller's playback.
struct Playback {
    /// Copied only if in-band digits are spliced in.
    audio: Arc<Vec<i16>>,
    pos: usize,
    dtmf: Option<String>,
    dtmf_at: Option<Duration>,
    plan: Option<DtmfPlan>,
    tail_ticks: u64,
    ticks: u64,
    done: bool,
    record: Option<WavRecorder>,
    record_path: Option<PathBuf>,
    /// Listening for the beep before playing (until heard or timed out).
    beep: Option<BeepWait>,
    /// When the beep's end was heard.
    beep_heard: Option<Duration>,
}

/// The test caller waiting for the beep.
struct BeepWait {
    detector: BeepDetector,
    /// Ticks to wait at most.
    ticks_left: u64,
}

struct DtmfPlan {
    packets: Vec<EventPacket>,
    next: usize,
    start_tick: u64,
}

struct FaxState {
    fax: FaxSession,
    /// Whether V.21 from the peer was reported.
    heard_v21: bool,
    /// `fax.max_pages` was reached: the call ends at this media time, once the page's
    /// confirmation (MCF) has gone out, so the sender counts the page as delivered.
    page_limit_end: Option<Duration>,
}

/// How long a receiver that reached `fax.max_pages` keeps the call after the page: the MCF
/// (V.21 at 300 bit/s: 1 s of preamble and the frame) must reach the sender first, else it
/// counts the page as lost, dials again and the page arrives twice.
const PAGE_LIMIT_GRACE: Duration = Duration::from_secs(3);

enum Session {
    Fax(Box<FaxState>),
    Voicemail {
        vm: Box<VoicemailSession>,
        folder: PathBuf,
    },
    Play(Box<Playback>),
    /// Could not start; nothing runs.
    Failed,
}

impl Session {
    /// Whether received audio is consumed (else it is counted and dropped).
    fn wants_audio(&self) -> bool {
        match self {
            Session::Fax(f) => matches!(f.fax.transport(), Transport::Audio(_)),
            Session::Voicemail { .. } => true,
            Session::Play(p) => p.record.is_some() || p.beep.is_some(),
            Session::Failed => false,
        }
    }
}

/// The media of one call, sans IO. See the module docs.
///
/// Inputs take `now`, the time since the media started (the first [`apply`](Self::apply) is
/// at `now` zero for the drivers in this crate); outputs are polled. After every input, poll
/// [`poll_transmit`](Self::poll_transmit) and [`poll_event`](Self::poll_event) until they
/// return `None`, then wait until [`poll_timeout`](Self::poll_timeout) and call
/// [`handle_tick`](Self::handle_tick), feeding first the datagrams that arrived.
pub struct MediaCall {
    call_id: String,
    settings: MediaSettings,
    session: Session,
    audio: Option<AudioLeg>,
    t38: Option<T38Leg>,
    udptl_rx: UdptlReceiver,
    udptl_target: Target,
    /// Well-formed UDPTL received before T.38 was negotiated, with its source.
    early_udptl: VecDeque<(SocketAddr, Vec<u8>)>,
    /// The media clock: the time of the current tick (never goes back).
    now: Duration,
    /// When the next tick is due; `None` until the first apply.
    next_tick: Option<Duration>,
    /// The tick being served: datagrams fed now belong to it.
    tick_at: Option<Duration>,
    events: VecDeque<MediaEvent>,
    outbox: Outbox,
    seq: SeqTrack,
    rtp_received: u64,
    rtp_sent: u64,
    rtp_garbage: u64,
    udptl_received: u64,
    udptl_sent: u64,
    udptl_garbage: u64,
    finished: bool,
    became_fax: bool,
    voicemail: Option<Outcome>,
    fax_report: Option<FaxReport>,
    error: Option<String>,
    /// RFC 4733 digits for the voicemail session, delivered after the reorder delay so they
    /// line up with the audio around them.
    digits: VecDeque<(Duration, char)>,
}

impl MediaCall {
    /// The media of call `call_id` in `role`. Nothing is sent until the first
    /// [`apply`](Self::apply). A session that cannot be created (missing folder or document,
    /// unwritable recording) queues [`MediaEvent::Finished`] at once and the reason goes to
    /// [`MediaOutcome::error`].
    pub fn new(call_id: String, role: MediaRole, settings: MediaSettings) -> Self {
        let mut ch = MediaCall {
            call_id,
            settings,
            session: Session::Failed,
            audio: None,
            t38: None,
            udptl_rx: UdptlReceiver::new(),
            udptl_target: Target::new(),
            early_udptl: VecDeque::new(),
            now: Duration::ZERO,
            next_tick: None,
            tick_at: None,
            events: VecDeque::new(),
            outbox: Outbox::default(),
            seq: SeqTrack::default(),
            rtp_received: 0,
            rtp_sent: 0,
            rtp_garbage: 0,
            udptl_received: 0,
            udptl_sent: 0,
            udptl_garbage: 0,
            finished: false,
            became_fax: false,
            voicemail: None,
            fax_report: None,
            error: None,
            digits: VecDeque::new(),
        };
        // Law and transport are placeholders until the first apply.
        let placeholder = Transport::Audio(Law::Ulaw);
        match role {
            MediaRole::ReceiveFax { folder } => {
                match FaxSession::receive(ch.fax_options(placeholder), &folder) {
                    Ok(fax) => ch.session = ch.fax_state(fax),
                    Err(e) => ch.fail(format!("fax receive: {e}")),
                }
            }
            MediaRole::SendFax { document } => {
                match FaxSession::transmit(ch.fax_options(placeholder), &document) {
                    Ok(fax) => ch.session = ch.fax_state(fax),
                    Err(e) => ch.fail(format!("fax send: {e}")),
                }
            }
            MediaRole::Voicemail { config, folder } => {
                let path = folder.join(format!(
                    "{}.wav",
                    crate::fax::session::file_stem(&ch.call_id)
                ));
                let vm = VoicemailSession::new(ch.call_id.clone(), config, path);
                ch.session = Session::Voicemail {
                    vm: Box::new(vm),
                    folder,
                };
                // A recording that cannot be created ends the session at once.
                ch.voicemail_events();
            }
            MediaRole::Play {
                audio,
                dtmf,
                dtmf_at,
                tail,
                record,
                wait_beep,
            } => {
                let recorder = match record.as_ref().map(WavRecorder::create).transpose() {
                    Ok(r) => r,
                    Err(e) => {
                        ch.fail(format!("recording: {e}"));
                        return ch;
                    }
                };
                ch.session = Session::Play(Box::new(Playback {
                    audio,
                    pos: 0,
                    dtmf: dtmf.filter(|d| !d.is_empty()),
                    dtmf_at,
                    plan: None,
                    tail_ticks: (tail.as_millis() / TICK.as_millis()) as u64,
                    ticks: 0,
                    done: false,
                    record: recorder,
                    record_path: record,
                    beep: wait_beep.map(|limit| BeepWait {
                        detector: BeepDetector::new(),
                        ticks_left: (limit.as_millis() / TICK.as_millis()) as u64,
                    }),
                    beep_heard: None,
                }));
            }
        }
        ch
    }

    fn fax_options(&self, transport: Transport) -> FaxOptions {
        let mut o = FaxOptions::new(self.call_id.clone(), transport);
        o.local_ident = self.settings.station_id.clone();
        o.ecm = self.settings.ecm;
        o.modems = self.settings.modems;
        o.max_duration = self.settings.fax_max_duration;
        o.max_page_length_mm = self.settings.fax_max_page_length_mm;
        o.loss_recovery = self.settings.fax_loss_recovery;
        o
    }

    fn fax_state(&self, fax: FaxSession) -> Session {
        Session::Fax(Box::new(FaxState {
            fax,
            heard_v21: false,
            page_limit_end: None,
        }))
    }

    fn emit(&mut self, ev: MediaEvent) {
        self.events.push_back(ev);
    }

    fn finished(&mut self) {
        if !self.finished {
            self.finished = true;
            self.emit(MediaEvent::Finished);
        }
    }

    fn fail(&mut self, error: String) {
        warn!(call_id = %self.call_id, %error, "media session failed");
        self.error = Some(error);
        self.session = Session::Failed;
        self.finished();
    }

    /// The transport the fax session should use for the negotiated streams.
    fn wanted_transport(&self) -> Option<Transport> {
        if let Some(t) = &self.t38 {
            return Some(Transport::T38(t.options));
        }
        self.audio
            .as_ref()
            .filter(|a| a.active)
            .map(|a| Transport::Audio(a.law))
    }

    /// Starts or retargets the media after an offer/answer (`StartMedia` / `SwitchMedia`):
    /// the first one starts the ticks, at `now`.
    pub fn apply(&mut self, now: Duration, m: NegotiatedMedia) {
        let now = now.max(self.now);
        self.next_tick.get_or_insert(now);
        match (&m.audio, self.audio.as_mut()) {
            (Some(na), Some(a)) => a.update(na),
            (Some(na), None) => {
                self.audio = Some(AudioLeg::new(na, self.settings.media.reorder_ms));
            }
            (None, Some(a)) => a.active = false,
            (None, None) => {}
        }
        match &m.t38 {
            Some(nt) => {
                self.udptl_target.set_sdp(nt.remote);
                if self.t38.as_ref().map(|t| &t.negotiated.params) != Some(&nt.params) {
                    self.t38 = Some(T38Leg::new(nt, &self.settings.media));
                } else if let Some(t) = self.t38.as_mut() {
                    t.negotiated.remote = nt.remote;
                }
            }
            None => self.t38 = None,
        }
        info!(
            call_id = %self.call_id,
            audio = ?m.audio.as_ref().map(|a| a.remote),
            t38 = ?m.t38.as_ref().map(|t| t.remote),
            "media applied"
        );
        let Some(want) = self.wanted_transport() else {
            return;
        };
        match &mut self.session {
            Session::Fax(f) => {
                let was_audio = matches!(f.fax.transport(), Transport::Audio(_));
                if let Some(a) = &self.audio {
                    f.fax.set_call_law(a.law);
                }
                if let Err(e) = f.fax.switch_transport(now, want) {
                    self.fail(format!("fax transport switch: {e}"));
                    return;
                }
                if !was_audio && matches!(want, Transport::Audio(_)) {
                    if let Some(a) = self.audio.as_mut() {
                        a.reorder.reset();
                    }
                }
            }
            Session::Voicemail { .. } if self.t38.is_some() => {
                // The peer moved a voice call to T.38: only a fax machine does that.
                info!(call_id = %self.call_id, "T.38 on a voicemail call: switching to fax");
                self.become_fax(None);
            }
            _ => {}
        }
    }

    /// Voicemail → fax reception in the same folder.
    fn become_fax(&mut self, tone: Option<FaxToneHeard>) {
        let Session::Voicemail { vm, folder } = &mut self.session else {
            return;
        };
        let folder = folder.clone();
        if !vm.is_finished() {
            vm.on_hangup(self.now);
            while let Some(ev) = vm.poll_event() {
                if let VoicemailEvent::Finished(o) = ev {
                    self.voicemail = Some(o);
                }
            }
        }
        let transport = self
            .wanted_transport()
            .unwrap_or(Transport::Audio(Law::Ulaw));
        match FaxSession::receive(self.fax_options(transport), &folder) {
            Ok(fax) => {
                self.session = self.fax_state(fax);
                self.became_fax = true;
                if let Some(t) = tone {
                    self.emit(MediaEvent::FaxTone(t));
                }
            }
            Err(e) => self.fail(format!("fax receive after voicemail: {e}")),
        }
    }

    // ------------------------------------------------------------------ the API

    /// When the next tick is due ([`handle_tick`](Self::handle_tick)); `None` before the first
    /// [`apply`](Self::apply). It may be in the past: then tick at once (catching up).
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.next_tick
    }

    /// The next datagram to send. Its buffer is reused once the next one is polled.
    pub fn poll_transmit(&mut self) -> Option<Transmit<'_>> {
        self.outbox.poll()
    }

    /// The next event for the call layer.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// Whether the session asked for the call to end ([`MediaEvent::Finished`] was queued).
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Why the session could not be created or failed, if it did (also in
    /// [`MediaOutcome::error`]).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// A datagram from [`poll_transmit`](Self::poll_transmit) could not be sent: it is not
    /// counted as sent.
    pub fn handle_send_error(&mut self, stream: Stream) {
        match stream {
            Stream::Rtp => self.rtp_sent = self.rtp_sent.saturating_sub(1),
            Stream::Udptl => self.udptl_sent = self.udptl_sent.saturating_sub(1),
        }
    }

    /// A datagram from `src` on `stream`. Fed while a tick is due (see
    /// [`poll_timeout`](Self::poll_timeout)), it is taken in at that tick's time, before the
    /// tick itself.
    pub fn handle_datagram(&mut self, now: Duration, stream: Stream, src: SocketAddr, data: &[u8]) {
        if !self.begin_tick(now) {
            self.now = self.now.max(now);
        }
        match stream {
            Stream::Rtp => self.on_rtp(data, src),
            Stream::Udptl => self.on_udptl(data, src),
        }
    }

    /// The tick from [`poll_timeout`](Self::poll_timeout) is due: play out one frame, send
    /// one, let the session's timers run. Does nothing if no tick is due at `now`.
    pub fn handle_tick(&mut self, now: Duration) {
        self.begin_tick(now);
        let Some(at) = self.tick_at.take() else {
            return;
        };
        self.tick();
        self.next_tick = Some(at + TICK);
    }

    /// The receive statistics of the reorder buffer (once audio was negotiated).
    pub fn reorder_stats(&self) -> Option<ReorderStats> {
        self.audio.as_ref().map(|a| a.reorder.stats())
    }

    /// The receive statistics of the UDPTL stream.
    pub fn udptl_stats(&self) -> UdptlReceiverStats {
        self.udptl_rx.stats()
    }

    /// Fixes the time of the tick that is due at `now`, if one is and it was not fixed yet:
    /// the tick's scheduled time, or `now` when it is more than [`MAX_LAG`] late (then playout
    /// restarts on what arrives next). Returns whether a tick is being served.
    fn begin_tick(&mut self, now: Duration) -> bool {
        if self.tick_at.is_some() {
            return true;
        }
        let Some(due) = self.next_tick.filter(|due| *due <= now) else {
            return false;
        };
        let behind = now - due;
        let at = if behind > MAX_LAG {
            warn!(call_id = %self.call_id, behind_ms = behind.as_millis() as u64, "media task fell behind; jumping to the present");
            if let Some(a) = self.audio.as_mut() {
                a.reorder.reset();
            }
            now
        } else {
            due
        };
        self.now = self.now.max(at);
        self.tick_at = Some(at);
        self.replay_early_udptl();
        true
    }

    // ------------------------------------------------------------------ input

    fn on_rtp(&mut self, data: &[u8], src: SocketAddr) {
        let Ok(p) = RtpPacket::parse(data) else {
            self.rtp_garbage += 1;
            return;
        };
        let wants_audio = self.session.wants_audio();
        let now = self.now;
        let Some(a) = self.audio.as_mut() else {
            // Before the first answer nothing is known about the stream.
            return;
        };
        let is_audio = p.payload_type == a.recv_pt;
        let is_event =
            !is_audio && a.dtmf_rx.as_ref().map(DtmfReceiver::payload_type) == Some(p.payload_type);
        if !is_audio && !is_event {
            self.rtp_garbage += 1;
            return;
        }
        // Only the call's peer is heard: anything else is dropped before it is decoded,
        // recorded or fed to the session, and never answered.
        if !a
            .target
            .admit_logged(&self.call_id, "RTP", "rtp_foreign", src, p.sequence)
        {
            return;
        }
        self.seq.update(p.ssrc, p.sequence);
        self.rtp_received += 1;
        if is_audio {
            if wants_audio {
                let mut buf = a.spare.pop().unwrap_or_else(|| Vec::with_capacity(FRAME));
                buf.clear();
                buf.extend_from_slice(p.payload);
                a.reorder.push(p.sequence, p.timestamp, buf);
            }
            return;
        }
        let mut started = [None; 4];
        if let Some(rx) = a.dtmf_rx.as_mut() {
            if let Ok(evs) = rx.receive_rtp(&p, now) {
                for (slot, ev) in started.iter_mut().zip(evs) {
                    if let DtmfEvent::DigitStart { digit, .. } = ev {
                        *slot = Some(digit.as_char());
                    }
                }
            }
        }
        for c in started.into_iter().flatten() {
            self.digit(c);
        }
    }

    fn digit(&mut self, c: char) {
        debug!(call_id = %self.call_id, digit = %c, "RFC 4733 digit");
        self.emit(MediaEvent::Dtmf(c));
        if let Session::Voicemail { .. } = self.session {
            let delay = Duration::from_millis(u64::from(self.settings.media.reorder_ms));
            self.digits.push_back((self.now + delay, c));
        }
    }

    fn on_udptl(&mut self, data: &[u8], src: SocketAddr) {
        let Ok(packet) = UdptlPacket::decode(data) else {
            self.udptl_garbage += 1;
            return;
        };
        if self.udptl_target.sdp.is_none() {
            // Before T.38 is negotiated the peer's address is not known: keep a few datagrams
            // and judge them by their source once it is (see `replay_early_udptl`).
            if self.early_udptl.len() < EARLY_IFPS {
                self.early_udptl.push_back((src, data.to_vec()));
            }
            return;
        }
        if !self
            .udptl_target
            .admit_logged(&self.call_id, "UDPTL", "udptl_foreign", src, packet.seq)
        {
            return;
        }
        self.udptl_rx.receive_packet(packet);
        self.udptl_received += 1;
        self.feed_ifps();
    }

    /// UDPTL that arrived before T.38 was negotiated goes through the source check now.
    fn replay_early_udptl(&mut self) {
        if self.udptl_target.sdp.is_none() {
            return;
        }
        while let Some((src, data)) = self.early_udptl.pop_front() {
            self.on_udptl(&data, src);
        }
    }

    /// Hands queued IFPs to a T.38 fax session, or keeps a bounded number for a switch to come.
    fn feed_ifps(&mut self) {
        let now = self.now;
        match &mut self.session {
            Session::Fax(f) if matches!(f.fax.transport(), Transport::T38(_)) => {
                while let Some((seq, ifp)) = self.udptl_rx.poll_ifp() {
                    f.fax.on_ifp(now, seq, &ifp);
                }
                self.send_ifps();
                self.fax_events();
            }
            _ => {
                while self.udptl_rx.pending() > EARLY_IFPS {
                    self.udptl_rx.poll_ifp();
                }
            }
        }
    }

    // ------------------------------------------------------------------ the tick

    fn tick(&mut self) {
        let now = self.now;
        if let Some(rx) = self.audio.as_mut().and_then(|a| a.dtmf_rx.as_mut()) {
            let _ = rx.poll(now);
        }
        match self.session {
            Session::Fax(_) => self.fax_tick(),
            Session::Voicemail { .. } => self.voicemail_tick(),
            Session::Play(_) => self.play_tick(),
            Session::Failed => {}
        }
    }

    fn fax_tick(&mut self) {
        let now = self.now;
        let Session::Fax(f) = &mut self.session else {
            return;
        };
        match f.fax.transport() {
            Transport::Audio(_) => {
                if let Some(a) = self.audio.as_mut().filter(|a| a.active) {
                    match a.pop() {
                        Ok(pcm) => f.fax.on_audio(now, pcm),
                        Err(missing) => f.fax.on_missing_audio(now, missing),
                    }
                    if let Some(frame) = f.fax.poll_audio(now) {
                        self.rtp_sent += a.send_frame(&mut self.outbox, &frame);
                    }
                }
                f.fax.on_tick(now);
            }
            Transport::T38(_) => {
                while let Some((seq, ifp)) = self.udptl_rx.poll_ifp() {
                    f.fax.on_ifp(now, seq, &ifp);
                }
                f.fax.on_tick(now);
                self.send_ifps();
            }
        }
        self.fax_events();
    }

    fn send_ifps(&mut self) {
        let Session::Fax(f) = &mut self.session else {
            return;
        };
        while let Some((ifp, count)) = f.fax.poll_ifp() {
            let (Some(leg), Some(dest)) = (self.t38.as_mut(), self.udptl_target.dest()) else {
                continue;
            };
            // Encoded once into a reused buffer; repeats are copies into reused buffers.
            let mut datagram = self.outbox.buffer();
            match leg.tx.send_ifp_into(&ifp, count, &mut datagram) {
                Ok(()) => {
                    for i in 1..=count {
                        let bytes = if i == count {
                            std::mem::take(&mut datagram)
                        } else {
                            let mut copy = self.outbox.buffer();
                            copy.clear();
                            copy.extend_from_slice(&datagram);
                            copy
                        };
                        self.outbox.push(Stream::Udptl, dest, bytes);
                        self.udptl_sent += 1;
                    }
                }
                Err(e) => debug!(call_id = %self.call_id, error = %e, "IFP not sent"),
            }
        }
    }

    fn fax_events(&mut self) {
        let Session::Fax(f) = &mut self.session else {
            return;
        };
        let mut tone = None;
        let mut done = false;
        let max_pages = self.settings.fax_max_pages;
        while let Some(ev) = f.fax.poll_event() {
            match ev {
                FaxEvent::Page(p)
                    if f.fax.direction() == crate::fax::Direction::Receive
                        && max_pages > 0
                        && p.number >= max_pages
                        && f.page_limit_end.is_none() =>
                {
                    warn!(call_id = %self.call_id, pages = p.number, max_pages, "page limit reached: ending the call once the page is confirmed; the pages received are delivered");
                    f.page_limit_end = Some(self.now + PAGE_LIMIT_GRACE);
                }
                // A frame from the peer over audio: its V.21 signalling is on the line. Only the
                // receiving side reports it (the sender waits for the receiver's re-INVITE).
                FaxEvent::PhaseB { .. }
                    if !f.heard_v21
                        && f.fax.direction() == crate::fax::Direction::Receive
                        && matches!(f.fax.transport(), Transport::Audio(_)) =>
                {
                    f.heard_v21 = true;
                    tone = Some(FaxToneHeard::V21Preamble);
                }
                FaxEvent::Done(report) => {
                    self.fax_report = Some(*report);
                    done = true;
                }
                _ => {}
            }
        }
        if f.page_limit_end.is_some_and(|end| self.now >= end) {
            done = true;
        }
        if let Some(t) = tone {
            self.emit(MediaEvent::FaxTone(t));
        }
        if done {
            self.finished();
        }
    }

    fn voicemail_tick(&mut self) {
        let now = self.now;
        let Session::Voicemail { vm, .. } = &mut self.session else {
            return;
        };
        while self.digits.front().is_some_and(|(due, _)| *due <= now) {
            if let Some((_, c)) = self.digits.pop_front() {
                vm.on_dtmf(now, c);
            }
        }
        if let Some(a) = self.audio.as_mut().filter(|a| a.active) {
            match a.pop() {
                Ok(pcm) => vm.on_audio(now, pcm),
                Err(missing) => vm.on_missing_audio(now, missing),
            }
            while let Some(frame) = vm.poll_audio(now) {
                self.rtp_sent += a.send_frame(&mut self.outbox, &frame);
            }
        }
        vm.on_tick(now);
        self.voicemail_events();
    }

    fn voicemail_events(&mut self) {
        let Session::Voicemail { vm, .. } = &mut self.session else {
            return;
        };
        let mut to_fax = false;
        let mut end = false;
        while let Some(ev) = vm.poll_event() {
            match ev {
                VoicemailEvent::RecordingStarted { .. } => {}
                VoicemailEvent::Finished(outcome) => {
                    to_fax = matches!(outcome, Outcome::SwitchToFax { .. });
                    end = !to_fax;
                    if let Outcome::Failed { error } = &outcome {
                        self.error = Some(error.to_string());
                    }
                    self.voicemail = Some(outcome);
                }
            }
        }
        if to_fax {
            self.become_fax(Some(FaxToneHeard::Cng));
        } else if end {
            self.finished();
        }
    }

    fn play_tick(&mut self) {
        let Session::Play(p) = &mut self.session else {
            return;
        };
        let Some(a) = self.audio.as_mut().filter(|a| a.active) else {
            return;
        };
        let tick = p.ticks;
        p.ticks += 1;
        // What we hear: recorded, and listened to for the beep.
        if p.record.is_some() || p.beep.is_some() {
            const SILENCE: [i16; FRAME] = [0; FRAME];
            let heard = match a.pop() {
                Ok(pcm) => pcm,
                Err(missing) => &SILENCE[..missing.min(FRAME)],
            };
            if let Some(rec) = p.record.as_mut() {
                if let Err(e) = rec.write(heard) {
                    warn!(call_id = %self.call_id, error = %e, "test caller recording failed");
                    p.record = None;
                }
            }
            if let Some(wait) = p.beep.as_mut() {
                wait.detector.feed(self.now, heard);
                if let Some(at) = wait.detector.heard() {
                    info!(call_id = %self.call_id, beep_end_ms = at.as_millis() as u64, "beep heard: playing");
                    p.beep_heard = Some(at);
                    p.beep = None;
                } else if wait.ticks_left == 0 {
                    warn!(call_id = %self.call_id, "no beep heard in time: playing anyway");
                    p.beep = None;
                } else {
                    wait.ticks_left -= 1;
                }
            }
        }
        // Silent until the beep, as a person listening to the greeting.
        if p.beep.is_some() {
            self.rtp_sent += a.send_frame(&mut self.outbox, &[0i16; FRAME]);
            return;
        }
        // Digits in progress: no audio meanwhile.
        if let Some(plan) = p.plan.as_mut() {
            let elapsed = (tick - plan.start_tick) as u32 * FRAME as u32;
            while plan
                .packets
                .get(plan.next)
                .is_some_and(|e| e.send_at <= elapsed)
            {
                self.rtp_sent += a.send_event(&mut self.outbox, &plan.packets[plan.next]);
                plan.next += 1;
            }
            if plan.next >= plan.packets.len() {
                // Audio resumes next tick; its clock covers the time the digits took.
                a.tx.skip((tick - plan.start_tick + 1) as u32 * FRAME as u32);
                p.plan = None;
            }
            return;
        }
        let due = p.dtmf.is_some()
            && p.dtmf_at.map_or(p.pos >= p.audio.len(), |at| {
                Duration::from_millis(tick * TICK.as_millis() as u64) >= at
            });
        if due {
            let digits = p.dtmf.take().unwrap_or_default();
            let planned = a.event_send_pt.map(|pt| {
                DtmfSender::new(DtmfSenderConfig::new(pt))
                    .and_then(|s| s.digits(&digits, a.tx.next_timestamp(), DTMF_DURATION, DTMF_GAP))
            });
            match planned {
                Some(Ok(packets)) => {
                    p.plan = Some(DtmfPlan {
                        packets,
                        next: 0,
                        start_tick: tick,
                    });
                    return;
                }
                Some(Err(e)) => {
                    warn!(call_id = %self.call_id, error = %e, "digits not sent")
                }
                None => {
                    // No telephone-event negotiated: in-band tones instead.
                    match faxvox_codecs::tones::dtmf(&digits, 160, 100) {
                        Ok(tones) => {
                            let at = p.pos.min(p.audio.len());
                            Arc::make_mut(&mut p.audio).splice(at..at, tones);
                        }
                        Err(e) => {
                            warn!(call_id = %self.call_id, error = %e, "digits not sent")
                        }
                    }
                }
            }
        }
        let mut frame = [0i16; FRAME];
        if p.pos < p.audio.len() {
            let end = (p.pos + FRAME).min(p.audio.len());
            frame[..end - p.pos].copy_from_slice(&p.audio[p.pos..end]);
            p.pos = end;
        } else if p.dtmf.is_none() && !p.done {
            if p.tail_ticks == 0 {
                p.done = true;
                self.rtp_sent += a.send_frame(&mut self.outbox, &frame);
                self.finished();
                return;
            }
            p.tail_ticks -= 1;
        }
        self.rtp_sent += a.send_frame(&mut self.outbox, &frame);
    }

    // ------------------------------------------------------------------ the end

    /// After `fax.max_pages` was reached, the TIFF keeps exactly that many pages: during the
    /// grace that lets the MCF reach the sender, a fast sender may already have sent (part of)
    /// the next page, which spandsp writes into the file at hang-up. Pages are re-encoded
    /// losslessly (G4), so the kept ones stay pixel for pixel what was received.
    fn keep_allowed_pages(&mut self) {
        let max = self.settings.fax_max_pages as usize;
        let Some(path) = self.fax_report.as_ref().and_then(|r| r.tiff.clone()) else {
            return;
        };
        let trimmed = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| faxvox_codecs::tiff::read_pages(&bytes).map_err(|e| e.to_string()))
            .and_then(|doc| {
                if doc.pages.len() <= max {
                    return Ok(None);
                }
                let extra = doc.pages.len() - max;
                let bytes = faxvox_codecs::tiff::write_g4_tiff(&doc.pages[..max]);
                let tmp = path.with_extension("tiff.part");
                std::fs::write(&tmp, bytes)
                    .and_then(|()| std::fs::rename(&tmp, &path))
                    .map(|()| Some(extra))
                    .map_err(|e| e.to_string())
            });
        match trimmed {
            Ok(Some(extra)) => {
                info!(call_id = %self.call_id, max_pages = max, dropped = extra, "page limit: the pages after the limit were dropped from the received TIFF");
            }
            Ok(None) => {}
            Err(e) => {
                warn!(call_id = %self.call_id, error = %e, "page limit: the received TIFF could not be trimmed to the limit");
            }
        }
    }

    /// The call is over: ends the sessions at `now` and returns the results (fax report and
    /// TIFF closed, recording finalised). Datagrams still queued are dropped.
    pub fn finish(mut self, now: Duration) -> MediaOutcome {
        let now = now.max(self.now);
        self.now = now;
        let mut played_to_end = false;
        let mut recording = None;
        let mut beep_heard = None;
        match &mut self.session {
            Session::Fax(f) => {
                let limited = f.page_limit_end.is_some();
                f.fax.hangup(now);
                self.fax_events();
                if limited {
                    self.keep_allowed_pages();
                }
            }
            Session::Voicemail { vm, .. } => {
                vm.on_hangup(now);
                while let Some(ev) = vm.poll_event() {
                    if let VoicemailEvent::Finished(o) = ev {
                        self.voicemail = Some(o);
                    }
                }
            }
            Session::Play(p) => {
                played_to_end = p.done
                    || (p.beep.is_none()
                        && p.pos >= p.audio.len()
                        && p.dtmf.is_none()
                        && p.plan.is_none());
                beep_heard = p.beep_heard;
                if let Some(rec) = p.record.take() {
                    match rec.finish() {
                        Ok(_) => recording = p.record_path.clone(),
                        Err(e) => {
                            warn!(call_id = %self.call_id, error = %e, "test caller recording not finalised");
                            self.error = Some(format!("recording: {e}"));
                        }
                    }
                }
            }
            Session::Failed => {}
        }
        let rtp = RtpStats {
            packets_received: self.rtp_received,
            packets_lost: self.seq.lost(),
            packets_sent: self.rtp_sent,
            garbage: self.rtp_garbage,
            latched: self
                .audio
                .as_ref()
                .and_then(|a| a.target.latched_elsewhere()),
            foreign: self.audio.as_ref().map_or(0, |a| a.target.foreign),
        };
        let udptl_foreign = self.udptl_target.foreign;
        info!(
            call_id = %self.call_id,
            rtp_received = rtp.packets_received,
            rtp_lost = rtp.packets_lost,
            rtp_sent = rtp.packets_sent,
            rtp_garbage = rtp.garbage,
            udptl_received = self.udptl_received,
            udptl_sent = self.udptl_sent,
            udptl_garbage = self.udptl_garbage,
            rtp_foreign = rtp.foreign,
            udptl_foreign,
            "media finished"
        );
        MediaOutcome {
            fax_tiff: self.fax_report.as_ref().and_then(|r| r.tiff.clone()),
            fax: self.fax_report,
            voicemail: self.voicemail,
            became_fax: self.became_fax,
            played_to_end,
            recording,
            beep_heard,
            rtp,
            udptl_packets_received: self.udptl_received,
            udptl_packets_sent: self.udptl_sent,
            udptl_garbage: self.udptl_garbage,
            udptl_latched: self.udptl_target.latched_elsewhere(),
            udptl_foreign,
            error: self.error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    // ---------------------------------------------------------------- on simulated time

    use crate::media::udptl::{EcMode, UdptlSenderConfig};
    use crate::sip::sdp::TelephoneEvent;
    use crate::sip::t38::{T38Negotiation, T38Params};
    use faxvox_codecs::{tones, Bitmap, Page, Resolution};

    const A_RTP: &str = "192.0.2.10:4000";
    const A_UDPTL: &str = "192.0.2.10:4002";
    const B_RTP: &str = "192.0.2.20:5000";
    const B_UDPTL: &str = "192.0.2.20:5002";

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn audio(remote: &str, law: Law) -> NegotiatedAudio {
        NegotiatedAudio {
            remote: addr(remote),
            law,
            payload_type: law.payload_type(),
            receive_payload_type: law.payload_type(),
            telephone_event: Some(TelephoneEvent {
                payload_type: 101,
                receive_payload_type: 101,
                events: "0-16".into(),
            }),
            remote_ptime: None,
            direction: Direction::SendRecv,
        }
    }

    fn t38(remote: &str) -> NegotiatedT38 {
        NegotiatedT38 {
            remote: addr(remote),
            params: T38Negotiation {
                local: T38Params::default(),
                remote: T38Params::default(),
                version: 0,
                max_bit_rate: 14400,
                fill_bit_removal: false,
                transcoding_mmr: false,
                transcoding_jbig: false,
                ec_mode: EcMode::Redundancy,
                far_max_datagram: 400,
            },
        }
    }

    fn media(audio: Option<NegotiatedAudio>, t38: Option<NegotiatedT38>) -> NegotiatedMedia {
        NegotiatedMedia { audio, t38 }
    }

    fn station(id: &str) -> MediaSettings {
        MediaSettings {
            station_id: id.into(),
            ..MediaSettings::default()
        }
    }

    /// Everything `call` has to send now, as (stream, destination, bytes).
    fn drain(call: &mut MediaCall) -> Vec<(Stream, SocketAddr, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some(t) = call.poll_transmit() {
            out.push((t.stream, t.destination, t.payload.to_vec()));
        }
        out
    }

    /// Two media calls wired to each other with no network, on simulated time: `a` at A_RTP /
    /// A_UDPTL, `b` at B_RTP / B_UDPTL. What one sends at a tick reaches the other at the
    /// next.
    struct Pair {
        a: MediaCall,
        b: MediaCall,
        now: Duration,
        a_events: Vec<MediaEvent>,
        b_events: Vec<MediaEvent>,
        in_flight: Vec<(Stream, SocketAddr, Vec<u8>)>,
    }

    impl Pair {
        fn new(a: MediaCall, b: MediaCall) -> Self {
            Pair {
                a,
                b,
                now: Duration::ZERO,
                a_events: Vec::new(),
                b_events: Vec::new(),
                in_flight: Vec::new(),
            }
        }

        fn step(&mut self) {
            let now = self.now;
            for (stream, dest, bytes) in std::mem::take(&mut self.in_flight) {
                let (to, from) = if dest == addr(B_RTP) || dest == addr(B_UDPTL) {
                    (
                        &mut self.b,
                        if stream == Stream::Rtp {
                            A_RTP
                        } else {
                            A_UDPTL
                        },
                    )
                } else {
                    (
                        &mut self.a,
                        if stream == Stream::Rtp {
                            B_RTP
                        } else {
                            B_UDPTL
                        },
                    )
                };
                to.handle_datagram(now, stream, addr(from), &bytes);
            }
            self.a.handle_tick(now);
            self.b.handle_tick(now);
            self.in_flight.extend(drain(&mut self.a));
            self.in_flight.extend(drain(&mut self.b));
            self.a_events
                .extend(std::iter::from_fn(|| self.a.poll_event()));
            self.b_events
                .extend(std::iter::from_fn(|| self.b.poll_event()));
            self.now += TICK;
        }

        /// Steps until `done` or `limit` of simulated time; whether `done` came.
        fn run_until(&mut self, limit: Duration, done: impl Fn(&Pair) -> bool) -> bool {
            let end = self.now + limit;
            while self.now < end {
                self.step();
                if done(self) {
                    return true;
                }
            }
            false
        }
    }

    /// A one-page fax small enough for a quick image phase.
    fn small_page() -> Page {
        let mut b = Bitmap::new(1728, 240);
        b.fill_rect(40, 10, 1648, 3);
        b.fill_rect(40, 227, 1648, 3);
        b.fill_rect(100, 30, 1528, 20);
        for i in 0..300 {
            b.fill_rect(900 + i, 200 + i / 20, 3, 2);
        }
        Page {
            bitmap: b,
            resolution: Resolution::STANDARD,
        }
    }

    /// Starts in G.711; when the receiver hears the sender's V.21 both sides are switched to
    /// T.38, as the re-INVITE would. T.30 restarts on T.38 and the page arrives intact.
    #[test]
    fn fax_switches_from_g711_to_t38_mid_call() {
        let dir = tempfile::tempdir().unwrap();
        let pages = vec![small_page()];
        let doc = dir.path().join("doc.tif");
        std::fs::write(&doc, faxvox_codecs::tiff::write_g4_tiff(&pages)).unwrap();
        let tx = MediaCall::new(
            "switch-tx".into(),
            MediaRole::SendFax { document: doc },
            station("TX STATION"),
        );
        let rx = MediaCall::new(
            "switch-rx".into(),
            MediaRole::ReceiveFax {
                folder: dir.path().to_path_buf(),
            },
            station("RX STATION"),
        );
        let mut p = Pair::new(tx, rx);
        p.a.apply(p.now, media(Some(audio(B_RTP, Law::Ulaw)), None));
        p.b.apply(p.now, media(Some(audio(A_RTP, Law::Ulaw)), None));
        let v21 = MediaEvent::FaxTone(FaxToneHeard::V21Preamble);
        assert!(
            p.run_until(Duration::from_secs(30), |p| p.b_events.contains(&v21)),
            "receiver heard V.21 over audio"
        );
        // The re-INVITE: T.38 only (audio port 0 in the SDP).
        p.b.apply(p.now, media(None, Some(t38(A_UDPTL))));
        p.a.apply(p.now, media(None, Some(t38(B_UDPTL))));
        // Garbage at all four ports meanwhile, from a stranger, every 200 ms.
        let stranger = addr("192.0.2.99:7000");
        let rtp_junk: Vec<Vec<u8>> = vec![
            b"garbage!".to_vec(),
            vec![0x40; 200], // RTP version 1
            crate::media::rtp::write_packet(false, 99, 7, 7, 7, &[0u8; 160]), // PT 99
            vec![0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0], // RTCP SR
            (0..1400u32).map(|i| (i * 37 % 251) as u8).collect(),
        ];
        let udptl_junk: Vec<Vec<u8>> = vec![
            vec![0xFF; 3],                      // fragmented length: invalid
            vec![0x00, 0x01, 0x05, 1, 2],       // IFP cut short
            b"hello world, not UDPTL".to_vec(), // length beyond the datagram
        ];
        for _ in 0..10 {
            for call in [&mut p.a, &mut p.b] {
                for d in &rtp_junk {
                    call.handle_datagram(p.now, Stream::Rtp, stranger, d);
                }
                for d in &udptl_junk {
                    call.handle_datagram(p.now, Stream::Udptl, stranger, d);
                }
            }
            p.run_until(ms(200), |_| false);
        }
        assert!(p.run_until(Duration::from_secs(120), |p| {
            p.a.is_finished() && p.b.is_finished()
        }));
        let (tx, rx) = (p.a.finish(p.now), p.b.finish(p.now));
        let t = tx.fax.as_ref().expect("sender report");
        let r = rx.fax.as_ref().expect("receiver report");
        assert!(t.success, "{t:#?}");
        assert!(r.success, "{r:#?}");
        assert_eq!((t.pages, r.pages), (1, 1));
        assert_eq!(r.transport, "t38");
        assert_eq!(r.remote_station_id, "TX STATION");
        assert_eq!(t.remote_station_id, "RX STATION");
        let tiff = rx.fax_tiff.as_ref().expect("received TIFF");
        let got = faxvox_codecs::tiff::read_pages(&std::fs::read(tiff).unwrap()).unwrap();
        assert_eq!(got.pages.len(), 1);
        assert!(got.pages[0].bitmap == pages[0].bitmap, "page differs");
        assert!(rx.error.is_none() && tx.error.is_none());
        assert!(rx.udptl_packets_received > 10 && tx.udptl_packets_received > 10);
        assert_eq!(rx.udptl_garbage, 30, "3 kinds x 10 rounds");
        assert_eq!(tx.udptl_garbage, 30);
        assert!(rx.rtp.garbage >= 40 && tx.rtp.garbage >= 40);
    }

    /// CNG from the caller turns a voicemail call into a fax reception within two seconds;
    /// no half-made voice message is left behind.
    #[test]
    fn cng_on_a_voicemail_call_switches_to_fax() {
        let dir = tempfile::tempdir().unwrap();
        let caller = MediaCall::new(
            "cng-caller".into(),
            MediaRole::Play {
                audio: Arc::new(tones::cng(2)),
                dtmf: None,
                dtmf_at: None,
                tail: Duration::ZERO,
                record: None,
                wait_beep: None,
            },
            MediaSettings::default(),
        );
        let vm = MediaCall::new(
            "cng-callee".into(),
            MediaRole::Voicemail {
                config: VoicemailConfig {
                    greeting: tones::tone(&[440.0], 300, -20.0, 10),
                    ..VoicemailConfig::default()
                },
                folder: dir.path().to_path_buf(),
            },
            MediaSettings::default(),
        );
        let mut p = Pair::new(caller, vm);
        p.a.apply(p.now, media(Some(audio(B_RTP, Law::Alaw)), None));
        p.b.apply(p.now, media(Some(audio(A_RTP, Law::Alaw)), None));
        let cng = MediaEvent::FaxTone(FaxToneHeard::Cng);
        assert!(p.run_until(Duration::from_secs(5), |p| p.b_events.contains(&cng)));
        assert!(p.now < Duration::from_secs(2), "{:?}", p.now);
        let v = p.b.finish(p.now);
        assert!(v.became_fax);
        assert!(
            matches!(v.voicemail, Some(Outcome::SwitchToFax { .. })),
            "{:?}",
            v.voicemail
        );
        let fax = v.fax.expect("fax session ran and reported");
        assert!(!fax.success, "the caller was only CNG");
        assert_eq!(fax.transport, "g711a");
        let wavs = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension() == Some("wav".as_ref()))
            .count();
        assert_eq!(wavs, 0);
    }

    /// A voicemail call from a test caller that plays 2 s of audio: `wait_beep` set,
    /// returns the message the gateway kept and when the caller heard the beep.
    fn leave_message(wait_beep: Option<Duration>) -> (Option<Outcome>, Option<Duration>) {
        let dir = tempfile::tempdir().unwrap();
        let caller = MediaCall::new(
            "beep-caller".into(),
            MediaRole::Play {
                audio: Arc::new(tones::tone(&[350.0, 620.0], 2000, -20.0, 10)),
                dtmf: None,
                dtmf_at: None,
                tail: ms(200),
                record: None,
                wait_beep,
            },
            MediaSettings::default(),
        );
        let vm = MediaCall::new(
            "beep-callee".into(),
            MediaRole::Voicemail {
                config: VoicemailConfig {
                    greeting: tones::tone(&[440.0], 1500, -20.0, 10),
                    ..VoicemailConfig::default()
                },
                folder: dir.path().to_path_buf(),
            },
            MediaSettings::default(),
        );
        let mut p = Pair::new(caller, vm);
        p.a.apply(p.now, media(Some(audio(B_RTP, Law::Alaw)), None));
        p.b.apply(p.now, media(Some(audio(A_RTP, Law::Alaw)), None));
        assert!(p.run_until(Duration::from_secs(10), |p| p
            .a_events
            .contains(&MediaEvent::Finished)));
        let now = p.now;
        let caller = p.a.finish(now);
        assert!(caller.played_to_end);
        (p.b.finish(now).voicemail, caller.beep_heard)
    }

    /// The caller waits for the beep (1.5 s greeting + 0.5 s beep), then the gateway records
    /// its whole 2 s message; without waiting, the greeting covers most of it.
    #[test]
    fn a_caller_waiting_for_the_beep_is_recorded_whole() {
        let (vm, beep) = leave_message(Some(Duration::from_secs(30)));
        let beep = beep.expect("beep heard");
        // The beep ends at 2 s on the gateway's clock; the caller hears it through the network
        // and its reorder buffer's playout delay.
        assert!(beep >= ms(2000) && beep <= ms(2400), "{beep:?}");
        match vm {
            Some(Outcome::Message { duration, .. }) => {
                assert!(duration >= ms(1980) && duration <= ms(2700), "{duration:?}")
            }
            other => panic!("no message: {other:?}"),
        }
        let (vm, beep) = leave_message(None);
        assert_eq!(beep, None);
        assert!(
            matches!(vm, Some(Outcome::MissedCall { .. })),
            "over the greeting, 0.1 s is left after the beep: {vm:?}"
        );
    }

    /// No beep within the limit: the caller plays anyway.
    #[test]
    fn without_a_beep_the_caller_plays_after_the_limit() {
        let mut call = MediaCall::new(
            "no-beep".into(),
            MediaRole::Play {
                audio: Arc::new(vec![1000; 1600]),
                dtmf: None,
                dtmf_at: None,
                tail: Duration::ZERO,
                record: None,
                wait_beep: Some(ms(400)),
            },
            MediaSettings::default(),
        );
        call.apply(Duration::ZERO, media(Some(audio(B_RTP, Law::Ulaw)), None));
        let mut now = Duration::ZERO;
        let mut first_sound = None;
        while !call.is_finished() && now < Duration::from_secs(2) {
            call.handle_tick(now);
            for (_, _, bytes) in drain(&mut call) {
                let p = RtpPacket::parse(&bytes).unwrap();
                if first_sound.is_none() && p.payload.iter().any(|&b| b != 0xFF) {
                    first_sound = Some(now);
                }
            }
            now += TICK;
        }
        assert_eq!(
            first_sound,
            Some(ms(400)),
            "silent for 400 ms, then the audio"
        );
        let out = call.finish(now);
        assert!(out.played_to_end);
        assert_eq!(out.beep_heard, None);
    }

    /// A voicemail hangs up on its own shortly after the stop digit, often within the
    /// caller's tail: the message and the digit were sent, so the caller played to the end.
    /// Hung up during the audio, it did not.
    #[test]
    fn a_hang_up_in_the_tail_still_counts_as_played_to_end() {
        let play = || {
            let mut call = MediaCall::new(
                "tail".into(),
                MediaRole::Play {
                    audio: Arc::new(vec![1000; 1600]),
                    dtmf: Some("#".into()),
                    dtmf_at: None,
                    tail: ms(500),
                    record: None,
                    wait_beep: None,
                },
                MediaSettings::default(),
            );
            call.apply(Duration::ZERO, media(Some(audio(B_RTP, Law::Ulaw)), None));
            call
        };
        // 200 ms of audio, then the digit (160 ms + 100 ms gap), then 500 ms of tail.
        let run = |call: &mut MediaCall, until: Duration| {
            let mut now = Duration::ZERO;
            while !call.is_finished() && now < until {
                call.handle_tick(now);
                drain(call);
                now += TICK;
            }
            now
        };
        let mut call = play();
        let now = run(&mut call, ms(600));
        assert!(!call.is_finished(), "still in the tail at {now:?}");
        assert!(call.finish(now).played_to_end);
        let mut call = play();
        let now = run(&mut call, ms(100));
        assert!(!call.finish(now).played_to_end, "cut during the audio");
    }

    /// One 20 ms RTP packet of silence.
    fn rtp(seq: u16) -> Vec<u8> {
        crate::media::rtp::write_packet(false, 8, seq, 160 * u32::from(seq), 7, &[0xD5; 160])
    }

    /// A caller behind NAT: its SDP names an address it never sends from. The source that
    /// sends in sequence is learned and gets the output; a later third party sending in
    /// sequence too is dropped, counted, and gets nothing.
    #[test]
    fn a_nat_caller_is_learned_and_a_later_intruder_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let mut call = MediaCall::new(
            "nat".into(),
            MediaRole::ReceiveFax {
                folder: dir.path().to_path_buf(),
            },
            MediaSettings::default(),
        );
        let (sdp, nat, intruder) = (
            addr(B_RTP),
            addr("203.0.113.7:31000"),
            addr("198.51.100.9:5000"),
        );
        call.apply(Duration::ZERO, media(Some(audio(B_RTP, Law::Alaw)), None));
        let mut now = Duration::ZERO;
        let mut dests = Vec::new();
        for seq in 0..20u16 {
            call.handle_datagram(now, Stream::Rtp, nat, &rtp(seq));
            if seq >= 10 {
                call.handle_datagram(now, Stream::Rtp, intruder, &rtp(1000 + seq));
            }
            call.handle_tick(now);
            dests.extend(drain(&mut call).into_iter().map(|(s, d, _)| (s, d)));
            now += TICK;
        }
        // Until learned the output goes to the SDP address, then only to the NAT source.
        let learned_at = LEARN_PACKETS as usize - 1;
        assert!(
            dests[..learned_at].iter().all(|d| *d == (Stream::Rtp, sdp)),
            "{dests:?}"
        );
        assert!(
            dests[learned_at..].iter().all(|d| *d == (Stream::Rtp, nat)),
            "{dests:?}"
        );
        assert_eq!(dests.len(), 20);
        let out = call.finish(now);
        assert_eq!(out.rtp.latched, Some(nat));
        assert_eq!(out.rtp.foreign, 10);
        assert_eq!(out.rtp.packets_received, 20 - u64::from(LEARN_PACKETS - 1));
    }

    /// UDPTL that arrives before T.38 is negotiated is kept and judged by its source once the
    /// T.38 answer names the peer: the peer's datagrams are taken in, a stranger's counted.
    #[test]
    fn early_udptl_is_kept_until_t38_is_negotiated() {
        let dir = tempfile::tempdir().unwrap();
        let mut call = MediaCall::new(
            "early".into(),
            MediaRole::ReceiveFax {
                folder: dir.path().to_path_buf(),
            },
            MediaSettings::default(),
        );
        call.apply(Duration::ZERO, media(Some(audio(B_RTP, Law::Ulaw)), None));
        call.handle_tick(Duration::ZERO);
        let mut peer = UdptlSender::new(UdptlSenderConfig::default());
        let mut stranger = UdptlSender::new(UdptlSenderConfig::default());
        for _ in 0..3 {
            for d in peer.send_ifp(&[0x00, 0x01], 1).unwrap() {
                call.handle_datagram(ms(20), Stream::Udptl, addr(B_UDPTL), &d);
            }
        }
        for _ in 0..2 {
            for d in stranger.send_ifp(&[0x00, 0x01], 1).unwrap() {
                call.handle_datagram(ms(20), Stream::Udptl, addr("198.51.100.9:5002"), &d);
            }
        }
        call.handle_tick(ms(20));
        assert_eq!(call.udptl_received, 0, "not before T.38 is negotiated");
        call.apply(ms(30), media(None, Some(t38(B_UDPTL))));
        call.handle_tick(ms(40));
        let out = call.finish(ms(60));
        assert_eq!(out.udptl_packets_received, 3);
        assert_eq!(out.udptl_foreign, 2);
        assert_eq!(out.udptl_garbage, 0);
    }

    /// Ticks are due one after the other: a tick half a second late is caught up tick by
    /// tick (one frame each), one more than [`MAX_LAG`] late jumps to the present.
    #[test]
    fn a_late_tick_catches_up_and_a_stalled_one_jumps() {
        let mut call = MediaCall::new(
            "late".into(),
            MediaRole::Play {
                audio: Arc::new(vec![0; 8000 * 10]),
                dtmf: None,
                dtmf_at: None,
                tail: Duration::ZERO,
                record: None,
                wait_beep: None,
            },
            MediaSettings::default(),
        );
        assert_eq!(
            call.poll_timeout(),
            None,
            "no ticks before the media starts"
        );
        call.apply(Duration::ZERO, media(Some(audio(B_RTP, Law::Ulaw)), None));
        assert_eq!(call.poll_timeout(), Some(Duration::ZERO));
        call.handle_tick(Duration::ZERO);
        assert_eq!(call.poll_timeout(), Some(ms(20)));
        assert_eq!(drain(&mut call).len(), 1);
        call.handle_tick(ms(10));
        assert_eq!(
            call.poll_timeout(),
            Some(ms(20)),
            "not due yet: nothing happens"
        );
        // Half a second late: each call serves one due tick, in order.
        let mut frames = 0;
        while call.poll_timeout().is_some_and(|t| t <= ms(500)) {
            call.handle_tick(ms(500));
            frames += drain(&mut call).len();
        }
        assert_eq!(call.poll_timeout(), Some(ms(520)));
        assert_eq!(frames, 25, "one frame per tick from 20 to 500 ms");
        // Stalled for five seconds: one tick now, then on from the present.
        call.handle_tick(Duration::from_secs(5));
        assert_eq!(call.poll_timeout(), Some(Duration::from_secs(5) + TICK));
        assert_eq!(drain(&mut call).len(), 1);
        let out = call.finish(Duration::from_secs(5));
        assert_eq!(out.rtp.packets_sent, 1 + 25 + 1);
    }

    /// A session that cannot start queues `Finished`, and it stays queued however long
    /// nobody polls: events are never dropped.
    #[test]
    fn finished_is_never_lost() {
        let dir = tempfile::tempdir().unwrap();
        let mut call = MediaCall::new(
            "lost".into(),
            MediaRole::ReceiveFax {
                folder: dir.path().join("missing"),
            },
            MediaSettings::default(),
        );
        call.apply(Duration::ZERO, media(Some(audio(B_RTP, Law::Ulaw)), None));
        for i in 0..1000 {
            call.handle_tick(TICK * i);
        }
        assert!(call.is_finished());
        assert_eq!(call.poll_event(), Some(MediaEvent::Finished));
        assert_eq!(call.poll_event(), None);
        let out = call.finish(TICK * 1000);
        assert!(out.error.is_some());
    }

    /// `fax.max_pages`: a receiver limited to one page ends the call after it (Finished) and
    /// keeps exactly that page, pixel for pixel, although the sender had two.
    #[test]
    fn page_limit_ends_the_reception_after_the_last_allowed_page() {
        let dir = tempfile::tempdir().unwrap();
        let mut second = small_page();
        second.bitmap.fill_rect(200, 150, 400, 40);
        let pages = vec![small_page(), second];
        let doc = dir.path().join("two.tif");
        std::fs::write(&doc, faxvox_codecs::tiff::write_g4_tiff(&pages)).unwrap();
        let tx = MediaCall::new(
            "limit-tx".into(),
            MediaRole::SendFax { document: doc },
            MediaSettings::default(),
        );
        let rx = MediaCall::new(
            "limit-rx".into(),
            MediaRole::ReceiveFax {
                folder: dir.path().to_path_buf(),
            },
            MediaSettings {
                fax_max_pages: 1,
                ..MediaSettings::default()
            },
        );
        let mut p = Pair::new(tx, rx);
        p.a.apply(p.now, media(None, Some(t38(B_UDPTL))));
        p.b.apply(p.now, media(None, Some(t38(A_UDPTL))));
        assert!(
            p.run_until(Duration::from_secs(90), |p| p
                .b_events
                .contains(&MediaEvent::Finished)),
            "receiver finished at the page limit"
        );
        // The call ends here, as the gateway would hang up.
        let (rx, tx) = (p.b.finish(p.now), p.a.finish(p.now));
        let r = rx.fax.as_ref().expect("receiver report");
        assert_eq!(r.pages, 1, "{r:#?}");
        let tiff = rx.fax_tiff.as_ref().expect("received TIFF");
        let got = faxvox_codecs::tiff::read_pages(&std::fs::read(tiff).unwrap()).unwrap();
        assert_eq!(got.pages.len(), 1);
        assert!(got.pages[0].bitmap == pages[0].bitmap, "page 1 differs");
        let t = tx.fax.as_ref().expect("sender report");
        assert!(
            !t.success || t.pages < 2,
            "the sender must not have sent both pages: {t:#?}"
        );
    }

    /// While nothing came from the SDP address, a source whose packets are not in sequence is
    /// not learned (scattered sequence numbers, as a scan with guessed packets).
    #[test]
    fn a_source_out_of_sequence_is_not_learned() {
        let dir = tempfile::tempdir().unwrap();
        let mut call = MediaCall::new(
            "scatter".into(),
            MediaRole::ReceiveFax {
                folder: dir.path().to_path_buf(),
            },
            MediaSettings::default(),
        );
        let intruder = addr("198.51.100.9:5000");
        call.apply(Duration::ZERO, media(Some(audio(B_RTP, Law::Ulaw)), None));
        let (mut got, mut sdp_got) = (0, 0);
        let mut now = Duration::ZERO;
        for i in 0..40u16 {
            let d = crate::media::rtp::write_packet(
                false,
                0,
                i.wrapping_mul(7919),
                160 * u32::from(i),
                1,
                &[0xFF; 160],
            );
            call.handle_datagram(now, Stream::Rtp, intruder, &d);
            call.handle_tick(now);
            for (_, dest, _) in drain(&mut call) {
                got += usize::from(dest == intruder);
                sdp_got += usize::from(dest == addr(B_RTP));
            }
            now += TICK;
        }
        let out = call.finish(now);
        assert_eq!(got, 0);
        assert!(sdp_got > 5, "output stays on the SDP address: {sdp_got}");
        assert_eq!(out.rtp.latched, None);
        assert_eq!(out.rtp.foreign, 40);
        assert_eq!(out.rtp.packets_received, 0);
    }
}
