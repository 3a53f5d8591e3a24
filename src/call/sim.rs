//! A whole fax call in one process: a sending and a receiving [`MediaCall`] — the gateway's own
//! media pipeline, fax session included — connected by simulated networks, on a simulated
//! clock, as fast as the CPU allows.
//!
//! This is `faxvox fax-sim`, the benchmark and the end-to-end tests. Each side is the media of
//! one call as the gateway runs it (RTP and its reorder buffer for G.711, UDPTL with
//! redundancy for T.38, source checks, fax session), negotiated as a peer's SDP answer would;
//! one [`crate::media::netsim::Link`] per direction carries the datagrams. Each 20 ms tick,
//! both sides first take in what arrived, then run their tick, then send what they have.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use faxvox_codecs::g711::Law;
use faxvox_codecs::raster::{self, RasterOptions};
use faxvox_codecs::tiff;
use serde::Serialize;

use super::media_call::{MediaCall, MediaRole, MediaSettings, Stream};
use crate::fax::session::{Direction as FaxDirection, FaxReport, TICK};
use crate::media::netsim::{Link, LinkConfig};
use crate::media::reorder::DEFAULT_REORDER_MS;
use crate::media::udptl::EcMode;
use crate::media::MediaConfig;
use crate::sip::sdp::{Direction, NegotiatedAudio, NegotiatedMedia, NegotiatedT38};
use crate::sip::t38::{T38Negotiation, T38Params};

/// Errors that stop a simulation before it can produce reports.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Reading the input or writing the prepared TIFF failed.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The input could not be turned into fax pages.
    #[error("cannot rasterise the document: {0}")]
    Raster(#[from] raster::RasterError),
    /// A fax session could not be created (the media call's reason).
    #[error("{0}")]
    Session(String),
}

/// Which wire the simulated call uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimTransport {
    /// G.711 in RTP (audio passthrough).
    G711(Law),
    /// T.38 in UDPTL with redundancy.
    T38,
}

/// Parameters of one simulated call.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Audio or T.38.
    pub transport: SimTransport,
    /// Random loss per direction, percent.
    pub loss_pct: f64,
    /// Random extra delay per packet, 0..=jitter_ms (reorders packets).
    pub jitter_ms: u32,
    /// Fixed one-way delay.
    pub base_delay_ms: u32,
    /// Seed for both links (the backward link uses a derived seed).
    pub seed: u64,
    /// T.30 error correction.
    pub ecm: bool,
    /// RTP reorder depth; `None` picks max(100 ms, jitter + 40 ms).
    pub reorder_ms: Option<u32>,
    /// UDPTL redundancy entries.
    pub udptl_redundancy: u8,
    /// The peer's T38FaxMaxDatagram.
    pub t38_max_datagram: u16,
    /// From this simulated time on, both links drop everything (the network dies).
    pub link_dies_after: Option<Duration>,
    /// At this time the receiver hangs up (and the sender learns of it, as from a BYE).
    pub receiver_hangs_up_after: Option<Duration>,
    /// Give up after this much simulated time.
    pub max_sim_time: Duration,
    /// Sender's station id (TSI).
    pub sender_ident: String,
    /// Receiver's station id (CSI).
    pub receiver_ident: String,
    /// Receiver's longest page, mm (`fax.max_page_length_mm`).
    pub max_page_length_mm: u32,
    /// Both sides run our T.30 recovery from lost packets; off, upstream spandsp's engine
    /// (the reference of the loss sweep).
    pub loss_recovery: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            transport: SimTransport::G711(Law::Ulaw),
            loss_pct: 0.0,
            jitter_ms: 0,
            base_delay_ms: 20,
            seed: 1,
            ecm: true,
            reorder_ms: None,
            udptl_redundancy: 3,
            t38_max_datagram: 400,
            link_dies_after: None,
            receiver_hangs_up_after: None,
            max_sim_time: Duration::from_secs(600),
            sender_ident: "+1 555 0100".into(),
            receiver_ident: "+1 555 0199".into(),
            max_page_length_mm: crate::fax::session::DEFAULT_MAX_PAGE_LENGTH_MM,
            loss_recovery: true,
        }
    }
}

/// What one direction of the network did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DirectionStats {
    /// Datagrams offered to the link.
    pub sent: u64,
    /// Dropped by random loss.
    pub dropped: u64,
    /// Dropped because the link was dead.
    pub cut: u64,
    /// Delivered.
    pub delivered: u64,
    /// G.711: packets the reorder buffer had to put back in order.
    pub reordered: u64,
    /// G.711: packets that arrived after their playout time.
    pub late: u64,
    /// G.711: samples played as fill-in.
    pub missing_samples: u64,
    /// T.38: IFPs recovered from redundancy.
    pub recovered: u64,
    /// T.38: IFPs never recovered.
    pub lost: u64,
}

/// Network statistics of both directions.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NetworkStats {
    /// Sender to receiver (image data).
    pub forward: DirectionStats,
    /// Receiver to sender (responses).
    pub backward: DirectionStats,
}

/// Everything a simulated call produced.
#[derive(Clone, Debug, Serialize)]
pub struct SimOutcome {
    /// The receiving side's report (the one that matters for delivery).
    pub receiver: FaxReport,
    /// The sending side's report.
    pub sender: FaxReport,
    /// What the links did.
    pub network: NetworkStats,
    /// Simulated call time.
    pub simulated_s: f64,
    /// Wall-clock time the simulation took.
    pub wall_s: f64,
    /// simulated / wall: how much faster than real time.
    pub realtime_factor: f64,
    /// The TIFF spandsp wrote, when pages were received.
    pub received_tiff: Option<PathBuf>,
}

/// Reads a document and returns a fax-ready TIFF path: the input itself when it already is a
/// 1728-pixel bilevel TIFF at a fax resolution, else the document rasterised (fine
/// resolution, A4) and written as G4 into `work_dir`.
pub fn prepare_document(input: &Path, work_dir: &Path) -> Result<PathBuf, SimError> {
    let bytes = std::fs::read(input).map_err(|source| SimError::Io {
        path: input.to_path_buf(),
        source,
    })?;
    if is_fax_ready_tiff(&bytes) {
        return Ok(input.to_path_buf());
    }
    let pages = raster::rasterize(&bytes, &RasterOptions::default())?;
    let out = work_dir.join("document.tif");
    std::fs::write(&out, tiff::write_g4_tiff(&pages)).map_err(|source| SimError::Io {
        path: out.clone(),
        source,
    })?;
    Ok(out)
}

fn is_fax_ready_tiff(bytes: &[u8]) -> bool {
    let Ok(doc) = tiff::read_pages(bytes) else {
        return false;
    };
    !doc.pages.is_empty()
        && doc.warnings.is_empty()
        && doc.pages.iter().all(|p| {
            let r = p.resolution;
            p.bitmap.width() == raster::FAX_WIDTH
                && (199.0..=205.0).contains(&r.x_dpi)
                && [98.0f32, 100.0, 196.0, 200.0, 391.0, 400.0]
                    .iter()
                    .any(|y| (r.y_dpi - y).abs() < 1.5)
        })
}

/// Where each side's streams are, as its SDP would say.
const SENDER_RTP: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 4000);
const SENDER_UDPTL: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 4002);
const RECEIVER_RTP: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)), 4000);
const RECEIVER_UDPTL: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)), 4002);

/// One side of the simulated call.
struct Side {
    call: MediaCall,
    /// This side's source address for the simulated transport.
    addr: SocketAddr,
    /// Outgoing link (this side → the other).
    link: Link,
    cut: u64,
}

impl Side {
    /// Takes in everything that arrived on `incoming` by `now`, from `from`.
    fn receive(&mut self, now: Duration, stream: Stream, from: SocketAddr, incoming: &mut Link) {
        while let Some(d) = incoming.poll(now) {
            self.call.handle_datagram(now, stream, from, &d);
        }
    }

    /// Sends what this side has to send (or counts it cut on a dead link); events are for a
    /// call layer there is none of.
    fn transmit(&mut self, now: Duration, dead: bool) {
        while let Some(t) = self.call.poll_transmit() {
            if dead {
                self.cut += 1;
            } else {
                self.link.send(now, t.payload);
            }
        }
        while self.call.poll_event().is_some() {}
    }
}

/// What the network did from `sending` to `receiving`.
fn direction_stats(sending: &Side, receiving: &Side, transport: SimTransport) -> DirectionStats {
    let link = sending.link.stats();
    let mut s = DirectionStats {
        sent: link.sent + sending.cut,
        dropped: link.dropped,
        cut: sending.cut,
        delivered: link.delivered,
        ..Default::default()
    };
    match transport {
        SimTransport::G711(_) => {
            let r = receiving.call.reorder_stats().unwrap_or_default();
            s.reordered = r.reordered;
            s.late = r.late;
            s.missing_samples = r.missing_samples;
        }
        SimTransport::T38 => {
            let r = receiving.call.udptl_stats();
            s.recovered = r.recovered;
            s.lost = r.lost;
        }
    }
    s
}

/// The media a side runs, as the SDP answer between the two would negotiate it: `peer_rtp` and
/// `peer_udptl` are the other side's addresses.
fn negotiated(opts: &SimOptions, peer_rtp: SocketAddr, peer_udptl: SocketAddr) -> NegotiatedMedia {
    match opts.transport {
        SimTransport::G711(law) => NegotiatedMedia {
            audio: Some(NegotiatedAudio {
                remote: peer_rtp,
                law,
                payload_type: law.payload_type(),
                receive_payload_type: law.payload_type(),
                telephone_event: None,
                remote_ptime: None,
                direction: Direction::SendRecv,
            }),
            t38: None,
        },
        SimTransport::T38 => NegotiatedMedia {
            audio: None,
            t38: Some(NegotiatedT38 {
                remote: peer_udptl,
                params: T38Negotiation {
                    local: T38Params::default(),
                    remote: T38Params::default(),
                    version: 0,
                    max_bit_rate: 14400,
                    fill_bit_removal: false,
                    transcoding_mmr: false,
                    transcoding_jbig: false,
                    ec_mode: EcMode::Redundancy,
                    far_max_datagram: opts.t38_max_datagram,
                },
            }),
        },
    }
}

/// Runs one call: sends `document` (a fax-ready TIFF, see [`prepare_document`]) and receives
/// into `rx_folder`. Returns when both sides have finished, or at `max_sim_time`.
pub fn simulate(
    document: &Path,
    rx_folder: &Path,
    opts: &SimOptions,
) -> Result<SimOutcome, SimError> {
    let wall = Instant::now();
    let seed = opts.seed;
    let link_cfg = |seed: u64| LinkConfig {
        loss_pct: opts.loss_pct,
        jitter_ms: opts.jitter_ms,
        base_delay_ms: opts.base_delay_ms,
        seed,
        ..Default::default()
    };
    let reorder_ms = opts
        .reorder_ms
        .unwrap_or_else(|| DEFAULT_REORDER_MS.max((opts.jitter_ms + 40).div_ceil(20) * 20));
    let settings = |ident: &str| MediaSettings {
        media: MediaConfig {
            reorder_ms,
            udptl_redundancy: u32::from(opts.udptl_redundancy),
            t38_max_datagram: u32::from(opts.t38_max_datagram),
        },
        station_id: ident.to_string(),
        ecm: opts.ecm,
        // No page limit: the simulator sends whatever the document has.
        fax_max_pages: 0,
        fax_loss_recovery: opts.loss_recovery,
        ..MediaSettings::default()
    };
    let (stream, sender_addr, receiver_addr) = match opts.transport {
        SimTransport::G711(_) => (Stream::Rtp, SENDER_RTP, RECEIVER_RTP),
        SimTransport::T38 => (Stream::Udptl, SENDER_UDPTL, RECEIVER_UDPTL),
    };
    let base_id = format!("sim-{seed}");
    let sender_call = MediaCall::new(
        format!("{base_id}-tx"),
        MediaRole::SendFax {
            document: document.to_path_buf(),
        },
        settings(&opts.sender_ident),
    );
    let receiver_call = MediaCall::new(
        format!("{base_id}-rx"),
        MediaRole::ReceiveFax {
            folder: rx_folder.to_path_buf(),
        },
        MediaSettings {
            fax_max_page_length_mm: opts.max_page_length_mm,
            ..settings(&opts.receiver_ident)
        },
    );
    for call in [&sender_call, &receiver_call] {
        if let Some(e) = call.error() {
            return Err(SimError::Session(e.to_string()));
        }
    }
    let mut sender = Side {
        call: sender_call,
        addr: sender_addr,
        link: Link::new(link_cfg(seed)),
        cut: 0,
    };
    let mut receiver = Side {
        call: receiver_call,
        addr: receiver_addr,
        link: Link::new(link_cfg(seed ^ 0x9e37_79b9_7f4a_7c15)),
        cut: 0,
    };
    let mut now = Duration::ZERO;
    sender
        .call
        .apply(now, negotiated(opts, RECEIVER_RTP, RECEIVER_UDPTL));
    receiver
        .call
        .apply(now, negotiated(opts, SENDER_RTP, SENDER_UDPTL));

    // After one side finishes, give the other this long to notice (T.30 timers).
    let mut first_done_at: Option<Duration> = None;
    let grace = Duration::from_secs(60);
    loop {
        let dead = opts.link_dies_after.is_some_and(|t| now >= t);
        if opts.receiver_hangs_up_after.is_some_and(|t| now >= t) {
            // The receiver hangs up and the sender learns of it, as from a BYE.
            break;
        }
        sender.receive(now, stream, receiver.addr, &mut receiver.link);
        receiver.receive(now, stream, sender.addr, &mut sender.link);
        sender.call.handle_tick(now);
        receiver.call.handle_tick(now);
        sender.transmit(now, dead);
        receiver.transmit(now, dead);

        let (a, b) = (sender.call.is_finished(), receiver.call.is_finished());
        if a && b {
            break;
        }
        if (a || b) && first_done_at.is_none() {
            first_done_at = Some(now);
        }
        if first_done_at.is_some_and(|t| now >= t + grace) || now >= opts.max_sim_time {
            // Whoever is still going is cut off, as a BYE would.
            break;
        }
        now += TICK;
    }

    let simulated_s = now.as_secs_f64();
    let network = NetworkStats {
        forward: direction_stats(&sender, &receiver, opts.transport),
        backward: direction_stats(&receiver, &sender, opts.transport),
    };
    // Hanging up runs phase E, so both reports exist.
    let rx_report = receiver
        .call
        .finish(now)
        .fax
        .unwrap_or_else(|| unreachable_report(format!("{base_id}-rx"), FaxDirection::Receive));
    let tx_report = sender
        .call
        .finish(now)
        .fax
        .unwrap_or_else(|| unreachable_report(format!("{base_id}-tx"), FaxDirection::Transmit));
    let wall_s = wall.elapsed().as_secs_f64();
    Ok(SimOutcome {
        received_tiff: rx_report.tiff.clone(),
        receiver: rx_report,
        sender: tx_report,
        network,
        simulated_s,
        wall_s,
        realtime_factor: if wall_s > 0.0 {
            simulated_s / wall_s
        } else {
            f64::INFINITY
        },
    })
}

/// A placeholder report for a session that somehow never reached phase E (should not happen:
/// `hangup` always runs phase E).
fn unreachable_report(call_id: String, direction: FaxDirection) -> FaxReport {
    FaxReport {
        call_id,
        direction,
        transport: String::new(),
        success: false,
        result_code: crate::fax::spandsp::T30_ERR_CALLDROPPED,
        result_text: "session did not finish".into(),
        pages: 0,
        pages_expected: None,
        bit_rate: 0,
        ecm: false,
        x_dpi: 0,
        y_dpi: 0,
        bad_rows: 0,
        longest_bad_row_run: 0,
        ecm_retries: 0,
        error_corrected_pages: 0,
        remote_station_id: String::new(),
        local_station_id: String::new(),
        duration_s: 0.0,
        page_details: Vec::new(),
        received_pages: Vec::new(),
        partial_pages: 0,
        tiff: None,
        page_cut: None,
    }
}
