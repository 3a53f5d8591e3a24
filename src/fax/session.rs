//! [`FaxSession`]: one fax call (send or receive) as a sans-IO state machine.
//!
//! The session owns a spandsp engine (audio `fax_state_t` or a T.38 terminal) and nothing else:
//! no sockets, no clock, no tasks. The caller feeds it what arrived, with the current time
//! (`on_audio`, `on_missing_audio`, `on_ifp`, `on_tick`), and polls what it wants to send
//! (`poll_audio`, `poll_ifp`) and what happened (`poll_event`). A gateway task only moves bytes
//! and time; a simulator does the same with a simulated clock, as fast as the CPU allows.
//!
//! **Time.** `now` is a [`Duration`] since an arbitrary epoch (as in [`crate::media::netsim`]).
//! Over audio, spandsp's timers run on received samples, so every 20 ms tick should deliver one
//! frame, real or [`FaxSession::on_missing_audio`]; `on_tick` only catches up if input stalls
//! entirely. Over T.38, `on_tick` advances spandsp by the elapsed time (it paces its own output).
//!
//! Received pages are written by spandsp to `<folder>/<call id>.tif` as G4 (T.6) TIFF with
//! FillOrder 2. With `keep_partial_pages`, the clean top part of a page cut off by a failure is
//! kept too and reported as partial.
//!
//! ```no_run
//! use std::time::Duration;
//! use faxvox::fax::{FaxEvent, FaxOptions, FaxSession, Transport, TICK};
//! use faxvox_codecs::g711::Law;
//!
//! let opts = FaxOptions::new("call-42", Transport::Audio(Law::Ulaw));
//! let mut fax = FaxSession::receive(opts, "/var/spool/faxvox/incoming".as_ref())?;
//! let mut now = Duration::ZERO;
//! while !fax.is_finished() {
//!     // Every 20 ms: the reorder buffer's frame in, our frame out.
//!     let payload: Vec<u8> = vec![0xff; 160]; // from the RTP reorder buffer
//!     fax.on_g711(now, &payload);
//!     let mut out = Vec::new();
//!     fax.poll_g711(now, &mut out); // into the RTP sender
//!     fax.on_tick(now);
//!     while let Some(ev) = fax.poll_event() {
//!         if let FaxEvent::Done(report) = ev {
//!             println!("{} pages, {}", report.pages, report.result_text);
//!         }
//!     }
//!     now += TICK;
//! }
//! # Ok::<(), faxvox::fax::FaxError>(())
//! ```

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

use faxvox_codecs::g711::Law;
use serde::Serialize;
use tracing::{debug, info, warn};

use super::spandsp::{
    self, AudioFax, Document, Modems, ReceivedPage, SpandspError, T30Event, T30Setup, T38Options,
    T38Terminal, TransferStats,
};

/// 8 kHz: the only rate T.30 over G.711 uses.
pub const SAMPLE_RATE: u32 = 8000;
/// Samples in one 20 ms frame, the packet size of G.711 RTP and the session's tick.
pub const FRAME_SAMPLES: usize = 160;
/// The tick the caller is expected to drive the session with.
pub const TICK: Duration = Duration::from_millis(20);

/// If audio input stalls (no frames and no `on_missing_audio`) for this long, `on_tick` feeds
/// the missing time itself so T.30 timers still run and a dead line ends the call.
const AUDIO_STALL: Duration = Duration::from_millis(500);

/// Up to this many consecutive missing samples are bridged with `fax_rx_fillin`, which keeps
/// the current modem trained across packet loss. A longer gap is a dead line, not loss: it is
/// fed as silence so the modem sees the carrier drop and T.30 can time out. (Fill-in alone
/// would keep a receiver "receiving" an image forever.)
const MAX_FILLIN_SAMPLES: u64 = SAMPLE_RATE as u64; // 1 s

/// Default longest received page (`fax.max_page_length_mm`): longer than any real paper
/// (A4 297, letter 279, legal 356, B4 364 mm) and than most receipt rolls sent as one page,
/// yet a page at this length holds at most 9 448 rows (2 MB) even at 400 lines per inch.
pub const DEFAULT_MAX_PAGE_LENGTH_MM: u32 = 600;

/// Errors creating a session.
#[derive(Debug, thiserror::Error)]
pub enum FaxError {
    /// spandsp refused the setup.
    #[error(transparent)]
    Spandsp(#[from] SpandspError),
    /// The receive folder is missing or not a directory.
    #[error("receive folder {0:?} is not a directory")]
    NoFolder(PathBuf),
    /// The document to send does not exist.
    #[error("document {0:?} not found")]
    NoDocument(PathBuf),
}

/// How the fax signal travels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Transport {
    /// T.30 modems over G.711 audio (passthrough); the law only labels the report, samples in
    /// and out of the session are linear.
    Audio(Law),
    /// T.38 IFP packets (the caller wraps them in UDPTL).
    T38(T38Options),
}

impl Transport {
    fn label(&self) -> &'static str {
        match self {
            Transport::Audio(Law::Ulaw) => "g711u",
            Transport::Audio(Law::Alaw) => "g711a",
            Transport::T38(_) => "t38",
        }
    }
}

/// The `from` and `to` labels of the log line of a transport switch on a call that negotiated
/// G.711 law `call_law`: an audio side is named by the call's law, not by the placeholder a
/// session made before the codec was known carries.
fn switch_labels(
    from: Transport,
    to: Transport,
    call_law: Option<Law>,
) -> (&'static str, &'static str) {
    let named = |t: Transport| match (t, call_law) {
        (Transport::Audio(_), Some(law)) => Transport::Audio(law).label(),
        _ => t.label(),
    };
    (named(from), named(to))
}

/// Which way the document goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// We answer and receive a document.
    Receive,
    /// We call and send a document.
    Transmit,
}

/// Settings of one fax call.
#[derive(Clone, Debug)]
pub struct FaxOptions {
    /// Identifier used in log lines and for the received file's name.
    pub call_id: String,
    /// Audio or T.38.
    pub transport: Transport,
    /// Our station identifier (TSI/CSI), at most 20 characters.
    pub local_ident: String,
    /// Page header text when sending (None = no header line).
    pub header_info: Option<String>,
    /// Offer/accept error correction (recommended over IP, where packets are lost).
    pub ecm: bool,
    /// Image modems to allow.
    pub modems: Modems,
    /// Receive side: keep clean prefixes of interrupted pages.
    pub keep_partial_pages: bool,
    /// Backstop: the call is terminated after this long whatever T.30 thinks.
    pub max_duration: Duration,
    /// Receive side: longest page kept, in millimetres (0: unlimited). A longer page is cut
    /// at this length (its first rows are kept, written as the last page) and the call is
    /// ended, so a sender cannot make the receiver hold an endless page in memory. With
    /// `keep_partial_pages` off, the cut page itself is lost.
    pub max_page_length_mm: u32,
    /// Our T.30 recovery from lost packets (spandsp-sys/PATCHES.md; over G.711 also ten tries
    /// of a command). Off only to measure upstream spandsp as the reference (`fax-sim
    /// --engine upstream`).
    pub loss_recovery: bool,
}

impl FaxOptions {
    /// Defaults: ECM on, all modems, partial pages kept, 30 minute backstop, pages cut at
    /// [`DEFAULT_MAX_PAGE_LENGTH_MM`], loss recovery on.
    pub fn new(call_id: impl Into<String>, transport: Transport) -> Self {
        FaxOptions {
            call_id: call_id.into(),
            transport,
            local_ident: String::new(),
            header_info: None,
            ecm: true,
            modems: Modems::default(),
            keep_partial_pages: true,
            max_duration: Duration::from_secs(30 * 60),
            max_page_length_mm: DEFAULT_MAX_PAGE_LENGTH_MM,
            loss_recovery: true,
        }
    }
}

/// Per-page outcome, from spandsp's statistics after the page's phase D.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PageReport {
    /// 1-based page number.
    pub number: u32,
    /// Image bit rate used for the page.
    pub bit_rate: u32,
    /// Error correction used.
    pub ecm: bool,
    /// Resolution in dpi (rounded).
    pub x_dpi: u32,
    /// Resolution in dpi (rounded).
    pub y_dpi: u32,
    /// Width in pixels.
    pub width: u32,
    /// Length in rows.
    pub length: u32,
    /// Rows the receiver had to repair.
    pub bad_rows: u32,
    /// Longest run of repaired rows.
    pub longest_bad_row_run: u32,
    /// ECM frames retransmitted for this page.
    pub ecm_retries: u32,
}

/// A received page that was longer than [`FaxOptions::max_page_length_mm`]: its first rows
/// were kept and the call was ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CutPage {
    /// 1-based number of the page in the received document.
    pub page: u32,
    /// Rows kept: the limit at the page's resolution.
    pub rows: u32,
    /// The limit, millimetres.
    pub max_mm: u32,
    /// The page's vertical resolution, dpi (rounded).
    pub y_dpi: u32,
}

/// The outcome of a call, built at phase E. Serialises to the JSON `fax-sim` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaxReport {
    /// The session's call id.
    pub call_id: String,
    /// Sent or received.
    pub direction: Direction,
    /// "g711u", "g711a" or "t38".
    pub transport: String,
    /// T.30 completed normally (result code 0).
    pub success: bool,
    /// spandsp's T.30 completion code.
    pub result_code: i32,
    /// spandsp's text for the code.
    pub result_text: String,
    /// Pages confirmed sent (transmit) or received (receive).
    pub pages: u32,
    /// Pages in the document being sent (transmit only).
    pub pages_expected: Option<u32>,
    /// Image bit rate of the last page (0 if no page started).
    pub bit_rate: u32,
    /// Error correction was used.
    pub ecm: bool,
    /// Resolution of the last page, dpi.
    pub x_dpi: u32,
    /// Resolution of the last page, dpi.
    pub y_dpi: u32,
    /// Bad rows over all pages.
    pub bad_rows: u32,
    /// Longest bad row run on any page.
    pub longest_bad_row_run: u32,
    /// ECM frames retransmitted over all pages.
    pub ecm_retries: u32,
    /// Pages that needed ECM retransmissions (error-corrected pages).
    pub error_corrected_pages: u32,
    /// The far end's station identifier.
    pub remote_station_id: String,
    /// Our station identifier.
    pub local_station_id: String,
    /// From the first input to phase E.
    pub duration_s: f64,
    /// Per-page details.
    pub page_details: Vec<PageReport>,
    /// Receive only: pages written to the TIFF, including partial ones.
    pub received_pages: Vec<ReceivedPage>,
    /// Receive only: how many written pages are partial.
    pub partial_pages: u32,
    /// Receive only: the TIFF file, if at least one page was written.
    pub tiff: Option<PathBuf>,
    /// Receive only: the page cut at the length limit (the call was ended there).
    pub page_cut: Option<CutPage>,
}

/// Something the application may want to know, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum FaxEvent {
    /// Phase B negotiation frame seen (`frame` is its T.30 name, e.g. "DIS", "DCS").
    PhaseB {
        /// T.30 frame name.
        frame: String,
        /// The far end's ident once known.
        remote_ident: String,
    },
    /// Phase D post-page frame (e.g. "MPS", "EOP", "MCF").
    PhaseD {
        /// T.30 frame name.
        frame: String,
    },
    /// A page was sent and confirmed, or received.
    Page(PageReport),
    /// The call is over; the report is also kept in [`FaxSession::report`].
    Done(Box<FaxReport>),
}

enum Engine {
    Audio(AudioFax),
    T38(T38Terminal),
}

/// One fax call. See the module docs.
pub struct FaxSession {
    engine: Engine,
    opts: FaxOptions,
    direction: Direction,
    tiff: PathBuf,
    span: tracing::Span,
    /// Time of the first input; the session's own epoch.
    start: Option<Duration>,
    /// Samples fed to spandsp (audio rx, or T.38 time) since `start`.
    samples: u64,
    pages: Vec<PageReport>,
    remote_ident: String,
    events: VecDeque<FaxEvent>,
    report: Option<FaxReport>,
    audio_out: [i16; FRAME_SAMPLES],
    pcm_scratch: Vec<i16>,
    /// Consecutive missing audio samples so far.
    missing_run: u64,
    /// Pages confirmed by engines replaced in a transport switch (their stats restart at 0).
    page_offset: u32,
    /// Receive: TIFF and inventory of pages received before a transport switch, merged into
    /// the final TIFF at phase E.
    earlier: Option<(PathBuf, Vec<ReceivedPage>)>,
    /// Receive: the page cut at the length limit.
    cut: Option<CutPage>,
    /// The G.711 law the call negotiated ([`FaxSession::set_call_law`]): a session made before
    /// the codec was known carries a placeholder law in its transport.
    call_law: Option<Law>,
}

/// Whole 8 kHz samples in `d`.
fn samples_in(d: Duration) -> u64 {
    (d.as_micros() * u128::from(SAMPLE_RATE) / 1_000_000) as u64
}

fn ppm_to_dpi(ppm: i32) -> u32 {
    (f64::from(ppm.max(0)) * 0.0254).round() as u32
}

/// The file stem used for a call's files (`<stem>.tif`): the call id with anything that could
/// leave the folder or upset a shell replaced by `_`.
pub fn file_stem(call_id: &str) -> String {
    sanitize(call_id)
}

fn sanitize(call_id: &str) -> String {
    let s: String = call_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("fax{s}")
    } else {
        s
    }
}

impl FaxSession {
    /// A session that answers and receives into `<folder>/<call id>.tif`.
    pub fn receive(opts: FaxOptions, folder: &Path) -> Result<Self, FaxError> {
        if !folder.is_dir() {
            return Err(FaxError::NoFolder(folder.to_path_buf()));
        }
        let tiff = folder.join(format!("{}.tif", sanitize(&opts.call_id)));
        Self::new(opts, Direction::Receive, tiff)
    }

    /// A session that calls and sends the TIFF at `document` (all pages).
    pub fn transmit(opts: FaxOptions, document: &Path) -> Result<Self, FaxError> {
        if !document.is_file() {
            return Err(FaxError::NoDocument(document.to_path_buf()));
        }
        Self::new(opts, Direction::Transmit, document.to_path_buf())
    }

    fn make_engine(
        opts: &FaxOptions,
        direction: Direction,
        tiff: &Path,
    ) -> Result<Engine, FaxError> {
        let setup = T30Setup {
            ident: &opts.local_ident,
            header_info: opts.header_info.as_deref(),
            ecm: opts.ecm,
            modems: opts.modems,
            document: match direction {
                Direction::Receive => Document::Receive(tiff),
                Direction::Transmit => Document::Transmit(tiff),
            },
            keep_partial_pages: opts.keep_partial_pages,
            max_page_length_mm: match direction {
                Direction::Receive => opts.max_page_length_mm,
                Direction::Transmit => 0,
            },
        };
        let calling = direction == Direction::Transmit;
        Ok(match opts.transport {
            Transport::Audio(_) => {
                let mut fax = AudioFax::new(calling, &setup, &opts.call_id)?;
                fax.set_loss_recovery(opts.loss_recovery);
                Engine::Audio(fax)
            }
            Transport::T38(t38) => {
                let mut t38 = T38Terminal::new(calling, &setup, &t38, &opts.call_id)?;
                t38.t30().set_loss_recovery(opts.loss_recovery);
                Engine::T38(t38)
            }
        })
    }

    fn new(opts: FaxOptions, direction: Direction, tiff: PathBuf) -> Result<Self, FaxError> {
        let span = tracing::info_span!("fax", call_id = %opts.call_id);
        let engine = Self::make_engine(&opts, direction, &tiff)?;
        span.in_scope(|| {
            info!(
                direction = ?direction,
                transport = opts.transport.label(),
                ecm = opts.ecm,
                tiff = %tiff.display(),
                "fax session created"
            )
        });
        Ok(FaxSession {
            engine,
            opts,
            direction,
            tiff,
            span,
            start: None,
            samples: 0,
            pages: Vec::new(),
            remote_ident: String::new(),
            events: VecDeque::new(),
            report: None,
            audio_out: [0; FRAME_SAMPLES],
            pcm_scratch: Vec::with_capacity(FRAME_SAMPLES),
            missing_run: 0,
            page_offset: 0,
            earlier: None,
            cut: None,
            call_law: None,
        })
    }

    /// The transport in use.
    pub fn transport(&self) -> Transport {
        self.opts.transport
    }

    /// Records the G.711 law the call negotiated, so that logs and the report name the call's
    /// real codec even when the session was made before it was known (or runs T.38 from the
    /// start). On audio the transport takes it at once (the law only labels: samples are linear).
    pub fn set_call_law(&mut self, law: Law) {
        self.call_law = Some(law);
        if let Transport::Audio(_) = self.opts.transport {
            self.opts.transport = Transport::Audio(law);
        }
    }

    /// Moves the call to another transport, as a re-INVITE between G.711 and T.38 does.
    ///
    /// A change of law only relabels the session (samples in and out are linear). A change
    /// between audio and T.38 replaces the spandsp engine: T.30 starts over on the new
    /// transport (as Asterisk's and FreeSWITCH's gateways do; the far end answers the new DIS
    /// or DCS), while the session keeps its clock, its page count and, on the receive side,
    /// the pages already received: they are set aside and merged in front of the new pages
    /// into the final TIFF at phase E. After phase E this does nothing.
    pub fn switch_transport(
        &mut self,
        now: Duration,
        transport: Transport,
    ) -> Result<(), FaxError> {
        self.mark_start(now);
        if self.report.is_some() {
            return Ok(());
        }
        let same_kind = matches!(
            (self.opts.transport, transport),
            (Transport::Audio(_), Transport::Audio(_)) | (Transport::T38(_), Transport::T38(_))
        );
        if same_kind {
            self.opts.transport = transport;
            return Ok(());
        }
        let mut opts = self.opts.clone();
        opts.transport = transport;
        // Take the old engine's inventory, then let it close the file before anything moves it.
        let done_pages = self.pages.len() as u32;
        let inventory = if self.direction == Direction::Receive && done_pages > self.page_offset {
            let mut t30 = match &mut self.engine {
                Engine::Audio(f) => f.t30(),
                Engine::T38(x) => x.t30(),
            };
            Some(t30.received_pages())
        } else {
            None
        };
        // Build the new engine first (a failure leaves the session as it was). It opens the
        // TIFF only when its first page starts, after the old one has closed it below.
        let engine = Self::make_engine(&opts, self.direction, &self.tiff)?;
        let old = std::mem::replace(&mut self.engine, engine);
        drop(old);
        if let Some(pages) = inventory {
            self.set_aside(pages);
        }
        self.page_offset = done_pages;
        self.missing_run = 0;
        self.span.in_scope(|| {
            let (from, to) = switch_labels(self.opts.transport, transport, self.call_law);
            info!(
                from,
                to,
                pages_so_far = done_pages,
                "fax transport switched; T.30 restarts"
            )
        });
        self.opts.transport = transport;
        Ok(())
    }

    /// Moves the pages received so far out of the way of the next engine's output.
    fn set_aside(&mut self, pages: Vec<ReceivedPage>) {
        if !self.tiff.is_file() {
            return;
        }
        let n = self.earlier.as_ref().map_or(0, |(_, p)| p.len());
        let aside = self
            .tiff
            .with_extension(format!("before-switch-{}.tif", self.page_offset));
        let result = match self.earlier.take() {
            // A second switch: append to what was already set aside.
            Some((path, mut earlier)) => merge_tiffs(&[&path, &self.tiff], &path).map(|()| {
                let _ = std::fs::remove_file(&self.tiff);
                earlier.extend(pages);
                (path, earlier)
            }),
            None => std::fs::rename(&self.tiff, &aside).map(|()| (aside, pages)),
        };
        match result {
            Ok(kept) => self.earlier = Some(kept),
            Err(e) => self.span.in_scope(
                || warn!(error = %e, earlier = n, "cannot keep pages received before the switch"),
            ),
        }
    }

    /// The call id given in the options.
    pub fn call_id(&self) -> &str {
        &self.opts.call_id
    }

    /// Send or receive.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The TIFF being sent, or the one spandsp writes received pages into.
    pub fn tiff_path(&self) -> &Path {
        &self.tiff
    }

    /// True once phase E has run; the report is then available.
    pub fn is_finished(&self) -> bool {
        self.report.is_some()
    }

    /// The final report, once done.
    pub fn report(&self) -> Option<&FaxReport> {
        self.report.as_ref()
    }

    fn mark_start(&mut self, now: Duration) {
        if self.start.is_none() {
            self.start = Some(now);
        }
    }

    fn elapsed(&self, now: Duration) -> Duration {
        self.start.map_or(Duration::ZERO, |s| now.saturating_sub(s))
    }

    /// Received audio, 8 kHz linear (a decoded G.711 frame). Ignored for T.38 or once done.
    pub fn on_audio(&mut self, now: Duration, samples: &[i16]) {
        self.mark_start(now);
        if self.report.is_some() {
            return;
        }
        if let Engine::Audio(fax) = &mut self.engine {
            fax.rx(samples);
            self.samples += samples.len() as u64;
            self.missing_run = 0;
        }
        self.process(now);
    }

    /// Received G.711 codewords (an RTP payload) in the session's law; see [`Self::on_audio`].
    pub fn on_g711(&mut self, now: Duration, codes: &[u8]) {
        let Transport::Audio(law) = self.opts.transport else {
            return;
        };
        let mut pcm = std::mem::take(&mut self.pcm_scratch);
        pcm.clear();
        law.decode(codes, &mut pcm);
        self.on_audio(now, &pcm);
        self.pcm_scratch = pcm;
    }

    /// `samples` of received audio were lost (reorder buffer hole): keeps modems and timers in
    /// step via `fax_rx_fillin`.
    pub fn on_missing_audio(&mut self, now: Duration, samples: usize) {
        self.mark_start(now);
        if self.report.is_some() {
            return;
        }
        self.feed_missing(samples as u64);
        self.process(now);
    }

    /// Bridges lost audio: fill-in for short gaps, silence once the gap says the line is dead.
    fn feed_missing(&mut self, samples: u64) {
        let Engine::Audio(fax) = &mut self.engine else {
            return;
        };
        let fill = samples.min(MAX_FILLIN_SAMPLES.saturating_sub(self.missing_run));
        if fill > 0 {
            fax.rx_fillin(fill as usize);
        }
        let mut silent = samples - fill;
        if silent > 0 {
            if self.missing_run <= MAX_FILLIN_SAMPLES {
                self.span
                    .in_scope(|| debug!("audio gap over 1 s: feeding silence"));
            }
            let zeros = [0i16; FRAME_SAMPLES];
            while silent > 0 {
                let n = silent.min(FRAME_SAMPLES as u64) as usize;
                fax.rx(&zeros[..n]);
                silent -= n as u64;
            }
        }
        self.missing_run += samples;
        self.samples += samples;
    }

    /// A received T.38 IFP with its UDPTL sequence number. Ignored for audio or once done.
    pub fn on_ifp(&mut self, now: Duration, seq: u16, ifp: &[u8]) {
        self.mark_start(now);
        if self.report.is_some() {
            return;
        }
        self.advance_t38(now);
        if let Engine::T38(t38) = &mut self.engine {
            if !t38.rx_ifp(seq, ifp) {
                self.span
                    .in_scope(|| debug!(seq, len = ifp.len(), "undecodable IFP ignored"));
            }
        }
        self.process(now);
    }

    /// Time passes (call every 20 ms). Runs T.38 pacing and timers, the audio stall guard and
    /// the `max_duration` backstop.
    pub fn on_tick(&mut self, now: Duration) {
        self.mark_start(now);
        if self.report.is_some() {
            return;
        }
        self.advance_t38(now);
        let due = samples_in(self.elapsed(now));
        if matches!(self.engine, Engine::Audio(_)) && due > self.samples + samples_in(AUDIO_STALL) {
            self.feed_missing(due - self.samples - FRAME_SAMPLES as u64);
        }
        if self.elapsed(now) >= self.opts.max_duration {
            self.span.in_scope(
                || warn!(limit = ?self.opts.max_duration, "fax call too long, terminating"),
            );
            self.terminate();
        }
        self.process(now);
    }

    /// The far end hung up or the call was cancelled: ends T.30 now (phase E runs, typically
    /// with "call dropped" unless the document was already complete).
    pub fn hangup(&mut self, now: Duration) {
        self.mark_start(now);
        if self.report.is_some() {
            return;
        }
        self.span.in_scope(|| info!("hangup"));
        self.terminate();
        self.process(now);
    }

    fn terminate(&mut self) {
        match &mut self.engine {
            Engine::Audio(f) => f.t30().terminate(),
            Engine::T38(t) => t.t30().terminate(),
        }
    }

    /// The next 20 ms of audio to send (audio transport only; silence once done).
    pub fn poll_audio(&mut self, now: Duration) -> Option<[i16; FRAME_SAMPLES]> {
        self.mark_start(now);
        let Engine::Audio(fax) = &mut self.engine else {
            return None;
        };
        if self.report.is_some() {
            return Some([0; FRAME_SAMPLES]);
        }
        let n = fax.tx(&mut self.audio_out);
        self.audio_out[n..].fill(0);
        let out = self.audio_out;
        self.process(now);
        Some(out)
    }

    /// The next 20 ms to send as G.711 codewords in the session's law, appended to `out`
    /// (audio transport only; returns false for T.38).
    pub fn poll_g711(&mut self, now: Duration, out: &mut Vec<u8>) -> bool {
        let Transport::Audio(law) = self.opts.transport else {
            return false;
        };
        match self.poll_audio(now) {
            Some(frame) => {
                law.encode(&frame, out);
                true
            }
            None => false,
        }
    }

    /// Next IFP to send and its repeat count (send it `count` times with one sequence number).
    pub fn poll_ifp(&mut self) -> Option<(Vec<u8>, u32)> {
        match &mut self.engine {
            Engine::T38(t) => t.next_packet(),
            Engine::Audio(_) => None,
        }
    }

    /// Next event, oldest first.
    pub fn poll_event(&mut self) -> Option<FaxEvent> {
        self.events.pop_front()
    }

    fn advance_t38(&mut self, now: Duration) {
        let due = samples_in(self.elapsed(now));
        if let Engine::T38(t38) = &mut self.engine {
            if due > self.samples {
                let delta = due - self.samples;
                t38.advance(delta as usize);
                self.samples = due;
            }
        }
    }

    /// Drains spandsp's callbacks into events and, at phase E, the report.
    fn process(&mut self, now: Duration) {
        self.check_page_cut();
        loop {
            let ev = match &mut self.engine {
                Engine::Audio(f) => f.next_event(),
                Engine::T38(t) => t.next_event(),
            };
            let Some(ev) = ev else { break };
            match ev {
                T30Event::PhaseB {
                    frame,
                    stats: _,
                    remote_ident,
                } => {
                    if !remote_ident.is_empty() {
                        self.remote_ident = remote_ident.clone();
                    }
                    let frame = spandsp::frame_name(frame);
                    self.span
                        .in_scope(|| debug!(%frame, remote = %remote_ident, "phase B"));
                    self.events.push_back(FaxEvent::PhaseB {
                        frame,
                        remote_ident,
                    });
                }
                T30Event::PhaseD { frame, stats } => {
                    let frame = spandsp::frame_name(frame);
                    self.span.in_scope(|| debug!(%frame, "phase D"));
                    self.events.push_back(FaxEvent::PhaseD { frame });
                    self.note_pages(&stats);
                }
                T30Event::PhaseE {
                    code,
                    stats,
                    remote_ident,
                } => {
                    if !remote_ident.is_empty() {
                        self.remote_ident = remote_ident;
                    }
                    self.note_pages(&stats);
                    self.finish(now, code, &stats);
                }
            }
        }
    }

    /// A page reached the length limit: its rows past it were dropped by the engine; the call
    /// ends now (phase E keeps the rows up to the limit as the last page).
    fn check_page_cut(&mut self) {
        if self.direction != Direction::Receive || self.cut.is_some() || self.report.is_some() {
            return;
        }
        let cut = match &mut self.engine {
            Engine::Audio(f) => f.take_page_cut(),
            Engine::T38(t) => t.take_page_cut(),
        };
        let Some(cut) = cut else { return };
        let earlier = self.earlier.as_ref().map_or(0, |(_, p)| p.len() as u32);
        let page = CutPage {
            page: earlier + cut.page_index + 1,
            rows: cut.rows,
            max_mm: cut.max_mm,
            y_dpi: ppm_to_dpi(cut.y_resolution),
        };
        self.span.in_scope(|| {
            warn!(
                page = page.page,
                rows = page.rows,
                max_mm = page.max_mm,
                "page longer than fax.max_page_length_mm: cut there, ending the call"
            )
        });
        self.cut = Some(page);
        self.terminate();
    }

    /// Receive side: whether the page length limiter watches the rows (true from the first
    /// DCS on when a limit is set). For tests and diagnostics.
    pub fn page_limiter_installed(&mut self) -> bool {
        match &mut self.engine {
            Engine::Audio(f) => f.page_limiter_installed(),
            Engine::T38(t) => t.page_limiter_installed(),
        }
    }

    fn note_pages(&mut self, stats: &TransferStats) {
        let done = match self.direction {
            Direction::Receive => stats.pages_rx,
            Direction::Transmit => stats.pages_tx,
        }
        .max(0) as u32
            + self.page_offset;
        while (self.pages.len() as u32) < done {
            let page = PageReport {
                number: self.pages.len() as u32 + 1,
                bit_rate: stats.bit_rate.max(0) as u32,
                ecm: stats.ecm,
                x_dpi: ppm_to_dpi(stats.x_resolution),
                y_dpi: ppm_to_dpi(stats.y_resolution),
                width: stats.width.max(0) as u32,
                length: stats.length.max(0) as u32,
                bad_rows: stats.bad_rows.max(0) as u32,
                longest_bad_row_run: stats.longest_bad_row_run.max(0) as u32,
                ecm_retries: stats.ecm_retries.max(0) as u32,
            };
            self.span.in_scope(|| {
                info!(
                    page = page.number,
                    bit_rate = page.bit_rate,
                    ecm = page.ecm,
                    "page done"
                )
            });
            self.events.push_back(FaxEvent::Page(page.clone()));
            self.pages.push(page);
        }
    }

    fn finish(&mut self, now: Duration, code: i32, stats: &TransferStats) {
        let mut t30 = match &mut self.engine {
            Engine::Audio(f) => f.t30(),
            Engine::T38(x) => x.t30(),
        };
        let (mut received_pages, output_error) = if self.direction == Direction::Receive {
            let flags = t30.recovery_flags();
            self.span.in_scope(|| {
                debug!(
                    ?flags,
                    "receive recovery (closed, missing tail, unsupported partial)"
                )
            });
            (t30.received_pages(), t30.output_error())
        } else {
            (Vec::new(), 0)
        };
        if output_error != 0 {
            self.span
                .in_scope(|| warn!(output_error, "spandsp reported an error writing the TIFF"));
        }
        if let Some((aside, mut earlier)) = self.earlier.take() {
            // Pages from before a transport switch go in front of the new ones.
            let merged = if self.tiff.is_file() {
                merge_tiffs(&[&aside, &self.tiff], &self.tiff)
                    .map(|()| std::fs::remove_file(&aside).unwrap_or_default())
            } else {
                std::fs::rename(&aside, &self.tiff)
            };
            match merged {
                Ok(()) => {
                    earlier.append(&mut received_pages);
                    received_pages = earlier;
                }
                Err(e) => self.span.in_scope(|| {
                    warn!(error = %e, aside = %aside.display(), "cannot merge pages received before the transport switch")
                }),
            }
        }
        let partial_pages = received_pages.iter().filter(|p| p.partial).count() as u32;
        let tiff = (self.direction == Direction::Receive
            && !received_pages.is_empty()
            && self.tiff.is_file())
        .then(|| self.tiff.clone());
        let last = self.pages.last();
        let report = FaxReport {
            call_id: self.opts.call_id.clone(),
            direction: self.direction,
            transport: self.opts.transport.label().to_owned(),
            success: code == spandsp::T30_ERR_OK && self.cut.is_none(),
            result_code: code,
            result_text: match &self.cut {
                Some(c) => format!(
                    "page {} longer than {} mm: cut there and the call ended ({})",
                    c.page,
                    c.max_mm,
                    spandsp::completion_text(code)
                ),
                None => spandsp::completion_text(code),
            },
            pages: self.pages.len() as u32,
            pages_expected: (self.direction == Direction::Transmit && stats.pages_in_file >= 0)
                .then_some(stats.pages_in_file as u32),
            bit_rate: last.map_or(stats.bit_rate.max(0) as u32, |p| p.bit_rate),
            ecm: last.map_or(stats.ecm, |p| p.ecm),
            x_dpi: last.map_or(0, |p| p.x_dpi),
            y_dpi: last.map_or(0, |p| p.y_dpi),
            bad_rows: self.pages.iter().map(|p| p.bad_rows).sum(),
            longest_bad_row_run: self
                .pages
                .iter()
                .map(|p| p.longest_bad_row_run)
                .max()
                .unwrap_or(0),
            ecm_retries: self.pages.iter().map(|p| p.ecm_retries).sum(),
            error_corrected_pages: self.pages.iter().filter(|p| p.ecm_retries > 0).count() as u32,
            remote_station_id: self.remote_ident.trim().to_owned(),
            local_station_id: self.opts.local_ident.clone(),
            duration_s: self.elapsed(now).as_secs_f64(),
            page_details: self.pages.clone(),
            received_pages,
            partial_pages,
            tiff,
            page_cut: self.cut.clone(),
        };
        self.span.in_scope(|| {
            info!(
                success = report.success,
                code,
                result = %report.result_text,
                pages = report.pages,
                "fax call finished"
            )
        });
        self.events
            .push_back(FaxEvent::Done(Box::new(report.clone())));
        self.report = Some(report);
    }
}

/// Writes the pages of `inputs`, in order, as one G4 TIFF at `out` (which may be one of the
/// inputs).
fn merge_tiffs(inputs: &[&Path], out: &Path) -> std::io::Result<()> {
    let mut pages = Vec::new();
    for path in inputs {
        let bytes = std::fs::read(path)?;
        let doc = faxvox_codecs::tiff::read_pages(&bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
        pages.extend(doc.pages);
    }
    let tmp = out.with_extension("merging.tif");
    std::fs::write(&tmp, faxvox_codecs::tiff::write_g4_tiff(&pages))?;
    std::fs::rename(&tmp, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_from_call_ids_stay_in_the_folder() {
        assert_eq!(sanitize("abc-123_x.y"), "abc-123_x.y");
        assert_eq!(sanitize("../../etc/passwd"), "fax.._.._etc_passwd");
        assert_eq!(sanitize(""), "fax");
        assert_eq!(sanitize("a b/c\\d"), "a_b_c_d");
        assert_eq!(sanitize(&"x".repeat(300)).len(), 100);
    }

    #[test]
    fn resolutions_and_sample_counts() {
        // spandsp's R8 x standard/fine/superfine in pixels per metre.
        assert_eq!(ppm_to_dpi(8040), 204);
        assert_eq!(ppm_to_dpi(3850), 98);
        assert_eq!(ppm_to_dpi(7700), 196);
        assert_eq!(ppm_to_dpi(15400), 391);
        assert_eq!(ppm_to_dpi(-5), 0);
        assert_eq!(samples_in(TICK), FRAME_SAMPLES as u64);
        assert_eq!(samples_in(Duration::from_secs(3)), 24_000);
    }

    #[test]
    fn transport_labels() {
        assert_eq!(Transport::Audio(Law::Ulaw).label(), "g711u");
        assert_eq!(Transport::Audio(Law::Alaw).label(), "g711a");
        assert_eq!(Transport::T38(T38Options::default()).label(), "t38");
    }

    #[test]
    fn switch_labels_name_the_calls_codec() {
        let t38 = Transport::T38(T38Options::default());
        // A µ-law call whose session transport still carries the A-law law.
        let placeholder = Transport::Audio(Law::Alaw);
        assert_eq!(
            switch_labels(placeholder, t38, Some(Law::Ulaw)),
            ("g711u", "t38")
        );
        assert_eq!(
            switch_labels(t38, placeholder, Some(Law::Ulaw)),
            ("t38", "g711u")
        );
        assert_eq!(
            switch_labels(Transport::Audio(Law::Alaw), t38, Some(Law::Alaw)),
            ("g711a", "t38")
        );
        // Before any audio was negotiated, the transport's own law.
        assert_eq!(switch_labels(placeholder, t38, None), ("g711a", "t38"));
    }
}

#[cfg(test)]
mod switch_tests {
    use super::*;
    use faxvox_codecs::{Bitmap, Page, Resolution};

    fn page(seed: u32) -> Page {
        let mut b = Bitmap::new(1728, 120);
        for i in 0..20 {
            b.fill_rect(100 + 70 * i + seed * 5, 20 + (i % 4) * 20, 30, 10);
        }
        Page {
            bitmap: b,
            resolution: Resolution::STANDARD,
        }
    }

    /// One 20 ms step of a directly connected pair (audio frames or IFPs straight across).
    fn step(tx: &mut FaxSession, rx: &mut FaxSession, now: Duration, seq: &mut [u16; 2]) {
        if let Some(f) = tx.poll_audio(now) {
            rx.on_audio(now, &f);
        }
        if let Some(f) = rx.poll_audio(now) {
            tx.on_audio(now, &f);
        }
        tx.on_tick(now);
        rx.on_tick(now);
        while let Some((ifp, _)) = tx.poll_ifp() {
            rx.on_ifp(now, seq[0], &ifp);
            seq[0] = seq[0].wrapping_add(1);
        }
        while let Some((ifp, _)) = rx.poll_ifp() {
            tx.on_ifp(now, seq[1], &ifp);
            seq[1] = seq[1].wrapping_add(1);
        }
    }

    /// A switch to T.38 after a page arrived over audio: T.30 restarts (our test sender sends
    /// the document again from page 1), and the page received before the switch is kept in
    /// front of the new ones in the final TIFF.
    #[test]
    fn pages_received_before_a_transport_switch_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let doc = dir.path().join("doc.tif");
        let pages = [page(1), page(2)];
        std::fs::write(&doc, faxvox_codecs::tiff::write_g4_tiff(&pages)).unwrap();
        let audio = Transport::Audio(Law::Ulaw);
        let mut tx = FaxSession::transmit(FaxOptions::new("sw-tx", audio), &doc).unwrap();
        let mut rx = FaxSession::receive(FaxOptions::new("sw-rx", audio), dir.path()).unwrap();
        let (mut now, mut seq) = (Duration::ZERO, [0u16; 2]);
        while rx.pages.is_empty() && now < Duration::from_secs(120) {
            step(&mut tx, &mut rx, now, &mut seq);
            now += TICK;
        }
        assert_eq!(rx.pages.len(), 1, "first page over audio");
        let t38 = Transport::T38(T38Options::default());
        rx.switch_transport(now, t38).unwrap();
        tx.switch_transport(now, t38).unwrap();
        assert_eq!(rx.transport(), t38);
        while !(tx.is_finished() && rx.is_finished()) && now < Duration::from_secs(300) {
            step(&mut tx, &mut rx, now, &mut seq);
            now += TICK;
        }
        let r = rx.report().expect("receiver done");
        assert!(r.success, "{r:#?}");
        assert_eq!(r.transport, "t38");
        assert_eq!(r.pages, 3, "1 before the switch + the whole document again");
        assert_eq!(r.received_pages.len(), 3);
        let bytes = std::fs::read(r.tiff.as_ref().unwrap()).unwrap();
        let got = faxvox_codecs::tiff::read_pages(&bytes).unwrap().pages;
        let rows: Vec<_> = got.iter().map(|p| p.bitmap.clone()).collect();
        assert_eq!(rows.len(), 3);
        assert!(rows[0] == pages[0].bitmap && rows[1] == pages[0].bitmap);
        assert!(rows[2] == pages[1].bitmap);
        // Nothing set aside is left behind.
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(left, 2, "doc.tif and the received TIFF");
    }
    /// The page length limiter wraps spandsp's row handler from the first DCS on, over audio
    /// and T.38. (It finds spandsp's T.4 receiver from spandsp-sys's private layout, checked
    /// at run time: if a new spandsp-sys moved it, this fails instead of the limit silently
    /// falling back to polling.)
    #[test]
    fn row_limiter_is_installed_on_a_real_call() {
        for transport in [
            Transport::Audio(Law::Ulaw),
            Transport::T38(T38Options::default()),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let doc = dir.path().join("doc.tif");
            std::fs::write(&doc, faxvox_codecs::tiff::write_g4_tiff(&[page(3)])).unwrap();
            let mut tx = FaxSession::transmit(FaxOptions::new("rl-tx", transport), &doc).unwrap();
            let mut rx =
                FaxSession::receive(FaxOptions::new("rl-rx", transport), dir.path()).unwrap();
            assert!(
                !rx.page_limiter_installed(),
                "nothing to wrap before the DCS"
            );
            let (mut now, mut seq, mut installed) = (Duration::ZERO, [0u16; 2], false);
            while !(tx.is_finished() && rx.is_finished()) && now < Duration::from_secs(120) {
                step(&mut tx, &mut rx, now, &mut seq);
                installed |= rx.page_limiter_installed();
                now += TICK;
            }
            assert!(installed, "{transport:?}: limiter never installed");
            let r = rx.report().unwrap();
            assert!(r.success && r.page_cut.is_none(), "{r:#?}");
            assert_eq!(r.received_pages[0].rows, 120);
        }
    }
}
