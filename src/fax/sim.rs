//! A whole fax call in one process: a sending and a receiving [`FaxSession`] connected by
//! simulated networks, on a simulated clock, as fast as the CPU allows.
//!
//! This is `faxvox fax-sim`, the benchmark and the end-to-end tests. It uses the same pieces as
//! the gateway: G.711 frames go through [`crate::media::rtp`] packets, one
//! [`crate::media::netsim::Link`] per direction and a [`crate::media::reorder::ReorderBuffer`]
//! on each receiving side; T.38 IFPs go through [`crate::media::udptl`] (redundancy) and the
//! links. Each 20 ms tick, every side first takes in what arrived, then sends its next frame or
//! packets, then lets time pass.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use faxvox_codecs::g711::Law;
use faxvox_codecs::raster::{self, RasterOptions};
use faxvox_codecs::tiff;
use serde::Serialize;

use super::session::{FaxError, FaxOptions, FaxReport, FaxSession, Transport, TICK};
use super::spandsp::T38Options;
use crate::media::netsim::{Link, LinkConfig, LinkStats};
use crate::media::reorder::{Frame, ReorderBuffer, ReorderConfig, DEFAULT_REORDER_MS};
use crate::media::rtp::{RtpPacket, RtpSender, RtpSenderConfig};
use crate::media::udptl::{EcMode, UdptlReceiver, UdptlSender, UdptlSenderConfig};

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
    /// A session could not be created.
    #[error(transparent)]
    Session(#[from] FaxError),
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
            max_page_length_mm: super::session::DEFAULT_MAX_PAGE_LENGTH_MM,
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

/// One end of the simulated wire: how a side sends and receives.
enum Wire {
    G711 {
        rtp: RtpSender,
        reorder: ReorderBuffer,
        payload: Vec<u8>,
    },
    T38 {
        tx: UdptlSender,
        rx: UdptlReceiver,
    },
}

struct Side {
    session: FaxSession,
    wire: Wire,
    /// Outgoing link (this side → the other).
    link: Link,
    cut: u64,
    /// This side stopped sending (hung up).
    silent: bool,
}

impl Side {
    /// Takes in everything that arrived on `incoming` by `now`.
    fn receive(&mut self, now: Duration, incoming: &mut Link) {
        match &mut self.wire {
            Wire::G711 { reorder, .. } => {
                while let Some(d) = incoming.poll(now) {
                    if let Ok(p) = RtpPacket::parse(&d) {
                        reorder.push(p.sequence, p.timestamp, p.payload.to_vec());
                    }
                }
                match reorder.pop_frame() {
                    Some(Frame::Audio(payload)) => self.session.on_g711(now, &payload),
                    Some(Frame::Missing { samples }) => {
                        self.session.on_missing_audio(now, samples as usize)
                    }
                    // Before the first packet plays out: nothing heard yet.
                    None => self.session.on_missing_audio(now, super::FRAME_SAMPLES),
                }
            }
            Wire::T38 { rx, .. } => {
                while let Some(d) = incoming.poll(now) {
                    let _ = rx.receive(&d);
                }
                while let Some((seq, ifp)) = rx.poll_ifp() {
                    self.session.on_ifp(now, seq, &ifp);
                }
            }
        }
    }

    /// Sends this tick's output and lets time pass.
    fn transmit(&mut self, now: Duration, dead: bool) {
        let mut out: Vec<Vec<u8>> = Vec::new();
        match &mut self.wire {
            Wire::G711 { rtp, payload, .. } => {
                payload.clear();
                if self.session.poll_g711(now, payload) {
                    out.push(rtp.packetize(payload));
                }
                self.session.on_tick(now);
            }
            Wire::T38 { tx, .. } => {
                self.session.on_tick(now);
                while let Some((ifp, count)) = self.session.poll_ifp() {
                    if let Ok(ds) = tx.send_ifp(&ifp, count) {
                        out.extend(ds);
                    }
                }
            }
        }
        if self.silent {
            return;
        }
        for d in out {
            if dead {
                self.cut += 1;
            } else {
                self.link.send(now, d);
            }
        }
    }
}

fn direction_stats(side: &Side, link: LinkStats, receiving: &Side) -> DirectionStats {
    let mut s = DirectionStats {
        sent: link.sent + side.cut,
        dropped: link.dropped,
        cut: side.cut,
        delivered: link.delivered,
        ..Default::default()
    };
    match &receiving.wire {
        Wire::G711 { reorder, .. } => {
            let r = reorder.stats();
            s.reordered = r.reordered;
            s.late = r.late;
            s.missing_samples = r.missing_samples;
        }
        Wire::T38 { rx, .. } => {
            let r = rx.stats();
            s.recovered = r.recovered;
            s.lost = r.lost;
        }
    }
    s
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
    let udptl_cfg = UdptlSenderConfig {
        mode: EcMode::Redundancy,
        redundancy_entries: opts.udptl_redundancy,
        far_max_datagram: opts.t38_max_datagram,
        ..Default::default()
    };
    let make_wire = |ssrc: u32| -> Wire {
        match opts.transport {
            SimTransport::G711(law) => Wire::G711 {
                rtp: RtpSender::new(RtpSenderConfig::g711(
                    law,
                    ssrc,
                    (seed as u16).wrapping_mul(31).wrapping_add(ssrc as u16),
                    (seed as u32).wrapping_mul(7919).wrapping_add(ssrc),
                )),
                reorder: ReorderBuffer::new(ReorderConfig {
                    depth_ms: reorder_ms,
                    ..Default::default()
                }),
                payload: Vec::with_capacity(super::FRAME_SAMPLES),
            },
            SimTransport::T38 => Wire::T38 {
                tx: UdptlSender::new(udptl_cfg),
                rx: UdptlReceiver::new(),
            },
        }
    };
    let transport = match opts.transport {
        SimTransport::G711(law) => Transport::Audio(law),
        SimTransport::T38 => {
            let max_ifp = UdptlSender::new(udptl_cfg).max_ifp();
            Transport::T38(T38Options {
                max_ifp: max_ifp.clamp(16, u16::MAX as usize) as u16,
                ..Default::default()
            })
        }
    };
    let base_id = format!("sim-{seed}");
    let mut tx_opts = FaxOptions::new(format!("{base_id}-tx"), transport);
    tx_opts.local_ident = opts.sender_ident.clone();
    tx_opts.ecm = opts.ecm;
    let mut rx_opts = FaxOptions::new(format!("{base_id}-rx"), transport);
    rx_opts.local_ident = opts.receiver_ident.clone();
    rx_opts.ecm = opts.ecm;
    rx_opts.max_page_length_mm = opts.max_page_length_mm;

    let mut sender = Side {
        session: FaxSession::transmit(tx_opts, document)?,
        wire: make_wire(0x5e4d_0001),
        link: Link::new(link_cfg(seed)),
        cut: 0,
        silent: false,
    };
    let mut receiver = Side {
        session: FaxSession::receive(rx_opts, rx_folder)?,
        wire: make_wire(0x7ec0_0002),
        link: Link::new(link_cfg(seed ^ 0x9e37_79b9_7f4a_7c15)),
        cut: 0,
        silent: false,
    };

    let mut now = Duration::ZERO;
    // After one side finishes, give the other this long to notice (T.30 timers).
    let mut first_done_at: Option<Duration> = None;
    let grace = Duration::from_secs(60);
    loop {
        let dead = opts.link_dies_after.is_some_and(|t| now >= t);
        if let Some(t) = opts.receiver_hangs_up_after {
            if now >= t && !receiver.silent {
                receiver.session.hangup(now);
                receiver.silent = true;
                sender.session.hangup(now);
                sender.silent = true;
            }
        }
        sender.receive(now, &mut receiver.link);
        receiver.receive(now, &mut sender.link);
        sender.transmit(now, dead);
        receiver.transmit(now, dead);

        let (a, b) = (sender.session.is_finished(), receiver.session.is_finished());
        if a && b {
            break;
        }
        if (a || b) && first_done_at.is_none() {
            first_done_at = Some(now);
        }
        if first_done_at.is_some_and(|t| now >= t + grace) || now >= opts.max_sim_time {
            // Whoever is still going is cut off, as a BYE would.
            sender.session.hangup(now);
            receiver.session.hangup(now);
            break;
        }
        now += TICK;
    }

    let simulated_s = now.as_secs_f64();
    let wall_s = wall.elapsed().as_secs_f64();
    let network = NetworkStats {
        forward: direction_stats(&sender, sender.link.stats(), &receiver),
        backward: direction_stats(&receiver, receiver.link.stats(), &sender),
    };
    // hangup() above guarantees both reports exist.
    let rx_report = receiver
        .session
        .report()
        .cloned()
        .unwrap_or_else(|| unreachable_report(&receiver.session));
    let tx_report = sender
        .session
        .report()
        .cloned()
        .unwrap_or_else(|| unreachable_report(&sender.session));
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
fn unreachable_report(s: &FaxSession) -> FaxReport {
    FaxReport {
        call_id: s.call_id().to_owned(),
        direction: s.direction(),
        transport: String::new(),
        success: false,
        result_code: super::spandsp::T30_ERR_CALLDROPPED,
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
