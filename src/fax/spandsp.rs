//! Safe wrappers over `spandsp-sys`: the only module of faxvox's fax code with `unsafe`.
//!
//! Everything spandsp-shaped stays here; [`super::session`] and [`super::tones`] see plain Rust
//! types. The wrappers are deliberately thin: they own one spandsp object each, forward samples
//! and packets, and turn callbacks into queued Rust values.
//!
//! # Invariants (every wrapper in this file)
//!
//! 1. **Ownership.** Each wrapper exclusively owns one spandsp state allocated by its
//!    `*_init(NULL, ..)` call, and frees it exactly once, in `Drop`. The `NonNull` pointers are
//!    never handed out.
//! 2. **Callback context.** Callbacks receive a `user_data` pointer to a heap context created
//!    with `Box::into_raw` *before* the spandsp state and reclaimed with `Box::from_raw` *after*
//!    the state is freed, so it outlives every callback. No Rust reference to the context is
//!    held across an FFI call: wrapper methods reach it only through short-lived
//!    `&mut *self.ctx` borrows while spandsp is not running.
//! 3. **Synchronous callbacks only.** spandsp calls back only from inside the function we
//!    called (`fax_rx`, `fax_tx`, `t38_terminal_send_timeout`, `t38_core_rx_ifp_packet`,
//!    `t30_terminate`, `modem_connect_tones_rx`, `dtmf_rx`). Those calls take `&mut self`, so
//!    a callback's `&mut Ctx` is the only live reference to the context. (The page length
//!    limiter's row callback is one of them: it runs inside `fax_rx` or the T.38 calls.)
//! 4. **Buffers.** Slices passed to C are valid for the call; lengths are clamped to `c_int`.
//!    Strings returned by spandsp point into its state and are copied immediately.
//! 5. **Threads.** spandsp keeps no thread affinity (no thread-locals); its only global state is
//!    lazily initialised tables (e.g. `dtmf_rx_init`), so every `*_init` runs under
//!    `INIT_LOCK`. Hence the wrappers are `Send` (moving the sole owner between threads is
//!    fine) but deliberately not `Sync`: all access to spandsp state goes through `&mut self`.
//! 6. **No unwinding into C.** Callbacks only push onto queues and format log lines; they
//!    cannot panic on any input.

use std::collections::VecDeque;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::Path;
use std::ptr::NonNull;
use std::sync::Mutex;

use serde::Serialize;
use spandsp_sys as sys;

/// Serialises spandsp's `*_init` calls, some of which fill process-wide tables on first use.
static INIT_LOCK: Mutex<()> = Mutex::new(());

fn init_guard() -> std::sync::MutexGuard<'static, ()> {
    INIT_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

// Values mirrored from spandsp's headers (anonymous C enums, which bindgen names unstably).
// `constants_match_headers` below checks the ones bindgen does export.
const T30_SUPPORT_V27TER: c_int = 0x01;
const T30_SUPPORT_V29: c_int = 0x02;
const T30_SUPPORT_V17: c_int = 0x04;
const T4_COMPRESSION_T4_1D: c_int = 0x02;
const T4_COMPRESSION_T4_2D: c_int = 0x04;
const T4_COMPRESSION_T6: c_int = 0x08;
const T4_RESOLUTION_R8_STANDARD: c_int = 0x1;
const T4_RESOLUTION_R8_FINE: c_int = 0x2;
const T4_RESOLUTION_R8_SUPERFINE: c_int = 0x4;
const T4_RESOLUTION_200_100: c_int = 0x20;
const T4_RESOLUTION_200_200: c_int = 0x40;
const T4_RESOLUTION_200_400: c_int = 0x80;
const T4_SUPPORT_WIDTH_215MM: c_int = 0x01;
const T4_SUPPORT_LENGTH_UNLIMITED: c_int = 0x10000;
const T4_SUPPORT_LENGTH_A4: c_int = 0x20000;
const T4_SUPPORT_LENGTH_B4: c_int = 0x40000;
const T4_SUPPORT_LENGTH_US_LETTER: c_int = 0x80000;
const T4_SUPPORT_LENGTH_US_LEGAL: c_int = 0x100000;
const T38_DATA_RATE_MANAGEMENT_LOCAL_TCF: c_int = 1;
const T38_DATA_RATE_MANAGEMENT_TRANSFERRED_TCF: c_int = 2;
/// How often T.30 over G.711 sends an unanswered command before giving up (spandsp: 3).
const AUDIO_MAX_COMMAND_TRIES: c_int = 10;
/// spandsp's own number of tries of a command (`DEFAULT_MAX_COMMAND_TRIES` in t30.c).
const UPSTREAM_MAX_COMMAND_TRIES: c_int = 3;
const SPAN_LOG_FLOW: c_int = 5;
const SPAN_LOG_SHOW_SEVERITY: c_int = 0x0400;
const SPAN_LOG_SHOW_PROTOCOL: c_int = 0x0800;
const MODEM_CONNECT_TONES_FAX_CNG: c_int = 1;
const MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE: c_int = 7;
/// spandsp's T.30 "OK" completion code.
pub const T30_ERR_OK: i32 = sys::t30_err_e::T30_ERR_OK as i32;
/// spandsp's "the call dropped prematurely" completion code.
pub const T30_ERR_CALLDROPPED: i32 = sys::t30_err_e::T30_ERR_CALLDROPPED as i32;

/// Longest path spandsp stores for the rx/tx TIFF (`char rx_file[256]`, NUL included).
const MAX_PATH_BYTES: usize = 255;

/// Errors from setting up spandsp objects.
#[derive(Debug, thiserror::Error)]
pub enum SpandspError {
    /// spandsp returned NULL from an `*_init` function (allocation failure or bad argument).
    #[error("spandsp could not create {0}")]
    Init(&'static str),
    /// The station identifier does not fit T.30 (at most 20 printable ASCII characters).
    #[error("station ident {0:?} is not 0-20 printable ASCII characters")]
    BadIdent(String),
    /// The page header text has a NUL byte or is too long.
    #[error("page header info {0:?} is invalid (NUL byte or over 50 bytes)")]
    BadHeader(String),
    /// The TIFF path cannot be handed to spandsp (NUL byte, not UTF-8 or longer than 255 bytes).
    #[error("path {0:?} cannot be used by spandsp (NUL byte, not UTF-8, or over 255 bytes)")]
    BadPath(std::path::PathBuf),
    /// spandsp rejected a setting.
    #[error("spandsp rejected setting {0}")]
    Setting(&'static str),
}

/// Which image modems T.30 may offer/accept; fewer modems means a slower but sturdier fallback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Modems {
    /// V.27ter, 2400/4800 bit/s.
    pub v27ter: bool,
    /// V.29, 7200/9600 bit/s.
    pub v29: bool,
    /// V.17, 7200-14400 bit/s.
    pub v17: bool,
}

impl Default for Modems {
    fn default() -> Self {
        Modems {
            v27ter: true,
            v29: true,
            v17: true,
        }
    }
}

impl Modems {
    fn bits(self) -> c_int {
        (if self.v27ter { T30_SUPPORT_V27TER } else { 0 })
            | (if self.v29 { T30_SUPPORT_V29 } else { 0 })
            | (if self.v17 { T30_SUPPORT_V17 } else { 0 })
    }
}

/// What the T.30 engine does with its TIFF file.
#[derive(Clone, Copy, Debug)]
pub enum Document<'a> {
    /// Receive pages into this file (spandsp writes G4, FillOrder 2, one strip per page).
    Receive(&'a Path),
    /// Send all pages of this TIFF.
    Transmit(&'a Path),
}

/// T.30 settings shared by the audio and T.38 engines.
#[derive(Clone, Debug)]
pub struct T30Setup<'a> {
    /// Local station identifier (TSI when sending, CSI when receiving), 0-20 characters.
    pub ident: &'a str,
    /// Optional text spandsp prints in the header line of sent pages.
    pub header_info: Option<&'a str>,
    /// Offer/accept T.30 error correction mode.
    pub ecm: bool,
    /// Image modems to offer/accept.
    pub modems: Modems,
    /// The document to send or the file to receive into.
    pub document: Document<'a>,
    /// Receive side: keep the clean prefix of a page interrupted by a failure.
    pub keep_partial_pages: bool,
    /// Receive side: longest page kept, in millimetres (0: no limit). Rows past it are
    /// dropped before spandsp stores them and the cut is reported (see [`PageCut`]).
    pub max_page_length_mm: u32,
}

/// Snapshot of spandsp's `t30_stats_t`, in plain Rust.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TransferStats {
    /// Current image bit rate (bit/s).
    pub bit_rate: i32,
    /// Whether error correction mode is in use.
    pub ecm: bool,
    /// Pages sent so far.
    pub pages_tx: i32,
    /// Pages received so far.
    pub pages_rx: i32,
    /// Pages in the file being sent (-1 when unknown).
    pub pages_in_file: i32,
    /// Horizontal resolution of the last exchanged page, pixels per metre.
    pub x_resolution: i32,
    /// Vertical resolution of the last exchanged page, pixels per metre.
    pub y_resolution: i32,
    /// Width of the last exchanged page in pixels.
    pub width: i32,
    /// Length of the last exchanged page in rows.
    pub length: i32,
    /// Bad rows in the last page.
    pub bad_rows: i32,
    /// Longest run of consecutive bad rows in the last page.
    pub longest_bad_row_run: i32,
    /// ECM frames retransmitted for the current page.
    pub ecm_retries: i32,
    /// T.30 status code so far.
    pub status: i32,
    /// Number of RTN (retrain negative) events in the call.
    pub rtn_events: i32,
    /// Number of RTP (retrain positive) events in the call.
    pub rtp_events: i32,
    /// Compression used on the line (spandsp `T4_COMPRESSION_*` bit).
    pub compression: i32,
}

/// One page in spandsp's receive-output inventory (receive recovery).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceivedPage {
    /// The page was cut short by a failure; only its clean prefix was written.
    pub partial: bool,
    /// Rows written.
    pub rows: i32,
    /// Width in pixels.
    pub width: i32,
    /// Horizontal resolution, pixels per metre.
    pub x_resolution: i32,
    /// Vertical resolution, pixels per metre.
    pub y_resolution: i32,
    /// Rows the decoder had to repair.
    pub bad_rows: i32,
    /// The end of the page never arrived.
    pub missing_tail: bool,
}

/// Something the T.30 engine reported through a callback.
#[derive(Clone, Debug, PartialEq)]
pub enum T30Event {
    /// Phase B: a negotiation frame arrived (`frame` is its T.30 FCF code).
    PhaseB {
        /// T.30 frame type that triggered the callback.
        frame: i32,
        /// Statistics at that moment (bit rate, ECM as negotiated so far).
        stats: TransferStats,
        /// The far end's ident, if it has sent one yet.
        remote_ident: String,
    },
    /// Phase D: post-page exchange (`frame` is the post-page command/response FCF).
    PhaseD {
        /// T.30 frame type that triggered the callback.
        frame: i32,
        /// Statistics of the page just exchanged.
        stats: TransferStats,
    },
    /// Phase E: the call is over.
    PhaseE {
        /// T.30 completion code (0 = OK).
        code: i32,
        /// Final statistics.
        stats: TransferStats,
        /// The far end's ident.
        remote_ident: String,
    },
}

/// Callback context shared by the engines. See invariant 2. `repr(C)` with the log tag first,
/// so the shared log handler can read it through a `*const LogTag`.
#[repr(C)]
struct Ctx {
    tag: LogTag,
    /// The T.30 state inside the engine; only dereferenced inside callbacks (invariant 3).
    t30: *mut sys::t30_state_t,
    events: VecDeque<T30Event>,
    packets: VecDeque<(Vec<u8>, u32)>,
    /// The receive-side page length limit.
    rows: RowLimit,
}

impl Ctx {
    fn new(call_id: &str) -> *mut Ctx {
        Box::into_raw(Box::new(Ctx {
            tag: LogTag(call_id.to_owned()),
            t30: std::ptr::null_mut(),
            events: VecDeque::new(),
            packets: VecDeque::new(),
            rows: RowLimit::default(),
        }))
    }
}

fn c_string(s: &str) -> Option<CString> {
    CString::new(s).ok()
}

/// Copies a C string owned by spandsp; NULL becomes "".
///
/// # Safety
/// `p` is NULL or points at a NUL-terminated string valid for this call.
unsafe fn copy_c_str(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: caller guarantees a valid NUL-terminated string.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// Human-readable text for a T.30 completion code (spandsp's own wording).
pub fn completion_text(code: i32) -> String {
    // SAFETY: t30_completion_code_to_str returns a static string for any input.
    unsafe { copy_c_str(sys::t30_completion_code_to_str(code)) }
}

/// The class of a T.30 completion code, for the metrics (`faxvox_fax_t30_results_total`).
pub fn t30_class(code: i32) -> crate::metrics::T30Class {
    use crate::metrics::T30Class;
    use sys::t30_err_e as E;
    const fn c(e: E) -> i32 {
        e as i32
    }
    const OK: i32 = c(E::T30_ERR_OK);
    const CEDTONE: i32 = c(E::T30_ERR_CEDTONE);
    const T0: i32 = c(E::T30_ERR_T0_EXPIRED);
    const T1: i32 = c(E::T30_ERR_T1_EXPIRED);
    const CANNOT_TRAIN: i32 = c(E::T30_ERR_CANNOT_TRAIN);
    const TX_BADDCS: i32 = c(E::T30_ERR_TX_BADDCS);
    const TX_PHBDEAD: i32 = c(E::T30_ERR_TX_PHBDEAD);
    const RX_NOFAX: i32 = c(E::T30_ERR_RX_NOFAX);
    const CALLDROPPED: i32 = c(E::T30_ERR_CALLDROPPED);
    const RX_NOCARRIER: i32 = c(E::T30_ERR_RX_NOCARRIER);
    const TX_BADPG: i32 = c(E::T30_ERR_TX_BADPG);
    const TX_GOTDCN: i32 = c(E::T30_ERR_TX_GOTDCN);
    const RX_DCNWHY: i32 = c(E::T30_ERR_RX_DCNWHY);
    const RX_DCNNORTN: i32 = c(E::T30_ERR_RX_DCNNORTN);
    const FILEERROR: i32 = c(E::T30_ERR_FILEERROR);
    const NOMEM: i32 = c(E::T30_ERR_NOMEM);
    const CSA_UNACCEPTABLE: i32 = c(E::T30_ERR_CSA_UNACCEPTABLE);
    match code {
        OK => T30Class::Ok,
        CEDTONE | T0 | T1 => T30Class::NoAnswer,
        CANNOT_TRAIN | TX_BADDCS | TX_PHBDEAD | RX_NOFAX => T30Class::Training,
        CALLDROPPED | RX_NOCARRIER | TX_BADPG | TX_GOTDCN => T30Class::Interrupted,
        RX_DCNWHY..=RX_DCNNORTN => T30Class::Interrupted,
        FILEERROR..=NOMEM => T30Class::Other,
        // Timers T2/T3/T5, bad or unexpected frames, incompatible capabilities, retries
        // spent, identifiers refused: the procedure itself failed.
        _ if (T1..=CSA_UNACCEPTABLE).contains(&code) => T30Class::Protocol,
        _ => T30Class::Other,
    }
}

/// Name of a T.30 frame type (FCF octet), e.g. "DIS", "MCF".
pub fn frame_name(fcf: i32) -> String {
    // SAFETY: t30_frametype returns a static string for any octet.
    unsafe { copy_c_str(sys::t30_frametype(fcf as u8)) }
}

/// # Safety
/// `t30` is a live T.30 state.
unsafe fn read_stats(t30: *mut sys::t30_state_t) -> TransferStats {
    let mut raw = sys::t30_stats_t::default();
    // SAFETY: t30 is live; raw is a valid out-parameter.
    unsafe { sys::t30_get_transfer_statistics(t30, &mut raw) };
    TransferStats {
        bit_rate: raw.bit_rate,
        ecm: raw.error_correcting_mode != 0,
        pages_tx: raw.pages_tx,
        pages_rx: raw.pages_rx,
        pages_in_file: raw.pages_in_file,
        x_resolution: raw.x_resolution,
        y_resolution: raw.y_resolution,
        width: raw.width,
        length: raw.length,
        bad_rows: raw.bad_rows,
        longest_bad_row_run: raw.longest_bad_row_run,
        ecm_retries: raw.error_correcting_mode_retries,
        status: raw.current_status,
        rtn_events: raw.rtn_events,
        rtp_events: raw.rtp_events,
        compression: raw.compression,
    }
}

/// # Safety
/// `user_data` is the `Ctx` registered with the callback and `ctx.t30` is live (invariants 2, 3).
unsafe fn ctx_from<'a>(user_data: *mut c_void) -> &'a mut Ctx {
    // SAFETY: see the function contract.
    unsafe { &mut *(user_data as *mut Ctx) }
}

extern "C" fn phase_b_handler(user_data: *mut c_void, result: c_int) -> c_int {
    // SAFETY: registered with our Ctx; called from inside a spandsp call we made (invariant 3).
    let ctx = unsafe { ctx_from(user_data) };
    // SAFETY: ctx.t30 is the live T.30 state that is calling us.
    let (stats, remote_ident) = unsafe {
        (
            read_stats(ctx.t30),
            copy_c_str(sys::t30_get_rx_ident(ctx.t30)),
        )
    };
    ctx.events.push_back(T30Event::PhaseB {
        frame: result,
        stats,
        remote_ident,
    });
    T30_ERR_OK
}

extern "C" fn phase_d_handler(user_data: *mut c_void, result: c_int) -> c_int {
    // SAFETY: as in phase_b_handler.
    let ctx = unsafe { ctx_from(user_data) };
    // SAFETY: ctx.t30 is the live T.30 state that is calling us.
    let stats = unsafe { read_stats(ctx.t30) };
    ctx.events.push_back(T30Event::PhaseD {
        frame: result,
        stats,
    });
    T30_ERR_OK
}

extern "C" fn phase_e_handler(user_data: *mut c_void, completion_code: c_int) {
    // SAFETY: as in phase_b_handler.
    let ctx = unsafe { ctx_from(user_data) };
    // SAFETY: ctx.t30 is the live T.30 state that is calling us.
    let (stats, remote_ident) = unsafe {
        (
            read_stats(ctx.t30),
            copy_c_str(sys::t30_get_rx_ident(ctx.t30)),
        )
    };
    ctx.events.push_back(T30Event::PhaseE {
        code: completion_code,
        stats,
        remote_ident,
    });
}

extern "C" fn t38_tx_packet_handler(
    _core: *mut sys::t38_core_state_t,
    user_data: *mut c_void,
    buf: *const u8,
    len: c_int,
    count: c_int,
) -> c_int {
    // SAFETY: as in phase_b_handler.
    let ctx = unsafe { ctx_from(user_data) };
    let bytes = if buf.is_null() || len <= 0 {
        Vec::new()
    } else {
        // SAFETY: spandsp passes `len` valid bytes at `buf` for the duration of the call.
        unsafe { std::slice::from_raw_parts(buf, len as usize) }.to_vec()
    };
    ctx.packets.push_back((bytes, count.max(1) as u32));
    0
}

extern "C" fn log_handler(user_data: *mut c_void, _level: c_int, text: *const c_char) {
    // SAFETY: user_data is a `repr(C)` context whose first field is a `LogTag` (Ctx or
    // ToneCtx), alive while its object is (invariant 2); only the tag is read.
    let tag = unsafe { &*(user_data as *const LogTag) };
    // SAFETY: spandsp passes a NUL-terminated message.
    let msg = unsafe { copy_c_str(text) };
    tracing::debug!(call_id = %tag.0, "spandsp: {}", msg.trim_end());
}

/// The call-id prefix every callback context starts with, so one log handler serves all.
#[repr(C)]
struct LogTag(String);

/// # Safety
/// `log` is a live logging state inside an object that lives no longer than `tag`.
unsafe fn route_logging(log: *mut sys::logging_state_t, tag: *mut c_void) {
    if log.is_null() || !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    // SAFETY: log is live (contract); tag outlives the object (invariant 2).
    unsafe {
        sys::span_log_set_message_handler(log, Some(log_handler), tag);
        sys::span_log_set_level(
            log,
            SPAN_LOG_SHOW_SEVERITY | SPAN_LOG_SHOW_PROTOCOL | SPAN_LOG_FLOW,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Receive-side page length limit.
//
// spandsp's T.4 receiver keeps every decoded row of the current page in memory (216 bytes per
// 1728-pixel row) until the page ends, and a page may be unlimited in length; with T.6 and ECM a
// blank row costs one bit on the line. So the rows are counted where spandsp stores them: its
// row-write callback (`t4_rx_state_t.row_handler`, the private `tiff_row_write_handler`) is
// wrapped by [`row_limit_handler`], which passes rows through until the page reaches the limit
// and refuses the rest (a non-zero return makes the decoder stop: the page ends there).
//
// spandsp has no public accessor for the T.4 receiver inside a T.30 state, so it is located
// from the layout of spandsp-sys 0.2.4's private headers: `struct t30_state_s` starts with the
// receive-recovery fields (`spandsp/private/t30.h`) followed by the `t4` union, and
// `struct t4_rx_state_s` starts with `recovery`, five ints, then `row_handler` and
// `row_handler_user_data` (`spandsp/private/t4_rx.h`). The candidate position is only used
// once two self-references confirm it: the T.4 receiver's `recovery` points at the T.30 state's
// own `recovery` (its first field, so the T.30 state's address) and `row_handler_user_data`
// points at the T.4 receiver itself, exactly as `t4_rx_init` and `process_rx_dcs` leave them.
// If that check never passes (another spandsp-sys layout), the limit falls back to polling
// the T.30 statistics after every call, which still ends the call but only bounds memory to
// what one call into spandsp can decode; `row_limiter_is_installed_on_a_real_call` in the
// tests fails loudly in that case.

/// The first fields of `t4_rx_recovery_state_t` (spandsp-sys 0.2.4, `private/t4_rx.h`).
#[repr(C)]
struct RecoveryHead {
    _ints: [c_int; 6],
    _pages: *mut c_void,
}

/// The fields of `struct t30_state_s` before its `t4` union (`private/t30.h`).
#[repr(C)]
struct T30Head {
    _recovery: RecoveryHead,
    _receive_flags: [c_int; 4],
    _receive_saved_stats: sys::t30_stats_t,
    _receive_final_stats: sys::t30_stats_t,
}

/// The first fields of `struct t4_rx_state_s` (`private/t4_rx.h`), read as plain words until
/// the position is confirmed.
#[repr(C)]
struct T4RxHead {
    recovery: usize,
    _page_active: c_int,
    decoded_rows: c_int,
    _prefix_rows: c_int,
    _prefix_size: c_int,
    _missing_tail: c_int,
    row_handler: usize,
    row_handler_user_data: usize,
}

/// Lowest vertical resolution T.30 uses (R8 standard, 3.85 lines/mm), pixels per metre.
const MIN_Y_PPM: i32 = 3850;
/// Highest vertical resolution we accept (200 × 400 dpi, 15.75 lines/mm), pixels per metre;
/// a larger value in the page's metadata is not believed.
const MAX_Y_PPM: i32 = 15748;

/// Rows in `mm` millimetres at `y_ppm` pixels per metre (clamped to the resolutions T.30 uses).
pub fn rows_for_length(mm: u32, y_ppm: i32) -> u32 {
    let ppm = y_ppm.clamp(MIN_Y_PPM, MAX_Y_PPM) as u64;
    (u64::from(mm) * ppm / 1000).min(i32::MAX as u64) as u32
}

/// A received page was longer than the limit: its rows past `rows` were dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PageCut {
    /// Rows kept (the limit at the page's resolution).
    pub rows: u32,
    /// The page's vertical resolution, pixels per metre.
    pub y_resolution: i32,
    /// The limit, millimetres.
    pub max_mm: u32,
    /// 0-based index of the page among those this T.30 engine wrote.
    pub page_index: u32,
}

/// State of the row-write wrapper, inside the callback context (invariant 2).
struct RowLimit {
    /// Longest page in mm; 0: no limit (and nothing is installed).
    max_mm: u32,
    /// Offset of the T.4 receiver inside the T.30 state, once confirmed.
    offset: Option<usize>,
    /// The T.4 receiver our handler is installed on (null until then).
    t4rx: *mut sys::t4_rx_state_t,
    /// spandsp's own row handler and its user data, called for the rows kept.
    inner: sys::t4_row_write_handler_t,
    inner_data: *mut c_void,
    /// Set by the handler on the first refused row.
    cut: Option<PageCut>,
    /// The cut was handed out by `take_cut`.
    reported: bool,
    /// The "cannot locate" warning was logged.
    warned: bool,
}

impl Default for RowLimit {
    fn default() -> Self {
        RowLimit {
            max_mm: 0,
            offset: None,
            t4rx: std::ptr::null_mut(),
            inner: None,
            inner_data: std::ptr::null_mut(),
            cut: None,
            reported: false,
            warned: false,
        }
    }
}

/// The T.4 receiver inside `t30` if it is initialised and still has spandsp's own row handler
/// (see the section comment). Returns its offset.
///
/// # Safety
/// `t30` is a live T.30 state of a receiving engine; no spandsp call is running.
unsafe fn locate_t4_rx(t30: *mut sys::t30_state_t, known: Option<usize>) -> Option<usize> {
    let base = std::mem::size_of::<T30Head>();
    let candidates = [8usize, 16, 32, 64].map(|a| base.next_multiple_of(a));
    let check = |off: usize| -> bool {
        // SAFETY: the T.30 state is far larger than T30Head + T4RxHead (it holds the 64 KB
        // ECM buffer after the T.4 union), so these words are inside its allocation; only
        // integers are read.
        let head =
            unsafe { std::ptr::read_unaligned((t30 as *const u8).add(off) as *const T4RxHead) };
        let at = t30 as usize + off;
        head.recovery == t30 as usize && head.row_handler_user_data == at && head.row_handler != 0
    };
    match known {
        Some(off) => check(off).then_some(off),
        None => candidates.into_iter().find(|&off| check(off)),
    }
}

/// After every call into a receiving engine: (re)installs the row limiter once spandsp has
/// (re)initialised its T.4 receiver, or, if that cannot be done, polls the statistics.
///
/// # Safety
/// `t30` is live and `ctx` is its callback context; no spandsp call is running (invariant 3).
unsafe fn guard_rows(t30: *mut sys::t30_state_t, ctx: *mut Ctx) {
    // SAFETY: not inside spandsp, so this is the only reference to the context.
    let c = unsafe { &mut *ctx };
    if c.rows.max_mm == 0 || c.rows.cut.is_some() {
        return;
    }
    // Already ours? (Reading the handler word is safe once the offset is confirmed.)
    if let Some(off) = c.rows.offset {
        // SAFETY: as in locate_t4_rx.
        let head =
            unsafe { std::ptr::read_unaligned((t30 as *const u8).add(off) as *const T4RxHead) };
        if head.row_handler == row_limit_handler as *const () as usize
            && head.row_handler_user_data == ctx as usize
        {
            return;
        }
    }
    // SAFETY: t30 live, no call running.
    match unsafe { locate_t4_rx(t30, c.rows.offset) }.or_else(|| unsafe { locate_t4_rx(t30, None) })
    {
        Some(off) => {
            let t4rx = unsafe { (t30 as *mut u8).add(off) } as *mut sys::t4_rx_state_t;
            // SAFETY: confirmed position; the handler word holds spandsp's row handler.
            let head = unsafe { std::ptr::read_unaligned(t4rx as *const T4RxHead) };
            c.rows.offset = Some(off);
            c.rows.t4rx = t4rx;
            // SAFETY: confirmed position: the word holds the non-null function pointer
            // spandsp stored (`t4_row_write_handler_t`), read with its own type.
            c.rows.inner = unsafe {
                std::ptr::read_unaligned(
                    (t4rx as *const u8).add(std::mem::offset_of!(T4RxHead, row_handler))
                        as *const sys::t4_row_write_handler_t,
                )
            };
            c.rows.inner_data = head.row_handler_user_data as *mut c_void;
            // SAFETY: t4rx is the live T.4 receiver; ctx outlives the engine (invariant 2).
            unsafe {
                sys::t4_rx_set_row_write_handler(t4rx, Some(row_limit_handler), ctx as *mut c_void)
            };
            tracing::debug!(call_id = %c.tag.0, offset = off, max_mm = c.rows.max_mm, "page length limiter installed");
        }
        None => {
            // Not initialised yet (before DCS), or a layout we do not know: poll.
            let mut raw = sys::t30_stats_t::default();
            // SAFETY: t30 live; raw is a valid out-parameter.
            unsafe { sys::t30_get_transfer_statistics(t30, &mut raw) };
            let max = rows_for_length(c.rows.max_mm, raw.y_resolution);
            if raw.length > 0 && raw.length as u32 > max {
                if !c.rows.warned {
                    c.rows.warned = true;
                    tracing::warn!(call_id = %c.tag.0, "spandsp's T.4 receiver could not be located: page length limited by polling");
                }
                c.rows.cut = Some(PageCut {
                    rows: raw.length as u32,
                    y_resolution: raw.y_resolution,
                    max_mm: c.rows.max_mm,
                    page_index: raw.pages_rx.max(0) as u32,
                });
            }
        }
    }
}

/// spandsp's row-write callback, wrapped: passes rows to spandsp's own handler until the page
/// holds the limit, then refuses them (the decoder ends the page; nothing more is stored).
extern "C" fn row_limit_handler(user_data: *mut c_void, buf: *const u8, len: usize) -> c_int {
    // SAFETY: registered with our Ctx; called from inside a spandsp call we made (invariant 3).
    let ctx = unsafe { ctx_from(user_data) };
    let lim = &mut ctx.rows;
    let Some(inner) = lim.inner else {
        return -1;
    };
    if !buf.is_null() && len > 0 && lim.max_mm > 0 {
        // SAFETY: t4rx is the live T.4 receiver calling us (confirmed when installed); only
        // an int is read.
        let rows = unsafe { std::ptr::read_unaligned(lim.t4rx as *const T4RxHead) }.decoded_rows;
        let rows = rows.max(0) as u32;
        if rows >= rows_for_length(lim.max_mm, MIN_Y_PPM) {
            let mut st = sys::t4_stats_t::default();
            // SAFETY: read-only statistics of the live receiver.
            unsafe { sys::t4_rx_get_transfer_statistics(lim.t4rx, &mut st) };
            let max = rows_for_length(lim.max_mm, st.y_resolution);
            if rows >= max {
                if lim.cut.is_none() {
                    lim.cut = Some(PageCut {
                        rows,
                        y_resolution: st.y_resolution,
                        max_mm: lim.max_mm,
                        page_index: st.pages_transferred.max(0) as u32,
                    });
                }
                return -1;
            }
        }
    }
    // SAFETY: spandsp's own handler with its own user data, as it would have been called.
    unsafe { inner(lim.inner_data, buf, len) }
}

/// Takes the page cut, once.
///
/// # Safety
/// `ctx` is the engine's context; no spandsp call is running (invariant 2).
unsafe fn take_cut(ctx: *mut Ctx) -> Option<PageCut> {
    // SAFETY: the only reference while spandsp is not running.
    let c = unsafe { &mut *ctx };
    if c.rows.reported {
        return None;
    }
    let cut = c.rows.cut?;
    c.rows.reported = true;
    Some(cut)
}

/// Whether the limiter is installed (for tests and logs).
///
/// # Safety
/// As for [`take_cut`].
unsafe fn limiter_installed(ctx: *mut Ctx) -> bool {
    // SAFETY: as for take_cut.
    unsafe { !(*ctx).rows.t4rx.is_null() }
}

/// Applies the shared T.30 settings and registers the phase handlers.
///
/// # Safety
/// `t30` is live and owned by the caller's engine; `ctx` outlives it (invariant 2).
unsafe fn configure_t30(
    t30: *mut sys::t30_state_t,
    ctx: *mut Ctx,
    setup: &T30Setup<'_>,
) -> Result<(), SpandspError> {
    if setup.ident.len() > 20 || !setup.ident.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(SpandspError::BadIdent(setup.ident.to_owned()));
    }
    let ident = c_string(setup.ident).ok_or_else(|| SpandspError::BadIdent(setup.ident.into()))?;
    let path = match setup.document {
        Document::Receive(p) | Document::Transmit(p) => p,
    };
    let c_path = path
        .to_str()
        .filter(|s| s.len() <= MAX_PATH_BYTES)
        .and_then(c_string)
        .ok_or_else(|| SpandspError::BadPath(path.to_path_buf()))?;
    let header = match setup.header_info {
        Some(h) if h.len() <= 50 => {
            Some(c_string(h).ok_or_else(|| SpandspError::BadHeader(h.to_owned()))?)
        }
        Some(h) => return Err(SpandspError::BadHeader(h.to_owned())),
        None => None,
    };
    // SAFETY: t30 is live; all strings are NUL-terminated and copied by spandsp; ctx outlives
    // the state, so the handler registrations stay valid.
    unsafe {
        (*ctx).t30 = t30;
        if sys::t30_set_tx_ident(t30, ident.as_ptr()) != 0 {
            return Err(SpandspError::Setting("t30_set_tx_ident"));
        }
        if let Some(h) = &header {
            sys::t30_set_tx_page_header_info(t30, h.as_ptr());
        }
        sys::t30_set_ecm_capability(t30, setup.ecm);
        sys::t30_set_supported_modems(t30, setup.modems.bits());
        sys::t30_set_supported_compressions(
            t30,
            T4_COMPRESSION_T4_1D | T4_COMPRESSION_T4_2D | T4_COMPRESSION_T6,
        );
        sys::t30_set_supported_bilevel_resolutions(
            t30,
            T4_RESOLUTION_R8_STANDARD
                | T4_RESOLUTION_R8_FINE
                | T4_RESOLUTION_R8_SUPERFINE
                | T4_RESOLUTION_200_100
                | T4_RESOLUTION_200_200
                | T4_RESOLUTION_200_400,
        );
        sys::t30_set_supported_image_sizes(
            t30,
            T4_SUPPORT_WIDTH_215MM
                | T4_SUPPORT_LENGTH_US_LETTER
                | T4_SUPPORT_LENGTH_US_LEGAL
                | T4_SUPPORT_LENGTH_A4
                | T4_SUPPORT_LENGTH_B4
                | T4_SUPPORT_LENGTH_UNLIMITED,
        );
        // Received bilevel pages are written as T.6 (G4) TIFFs.
        if sys::t30_set_supported_output_compressions(t30, T4_COMPRESSION_T6) != 0 {
            return Err(SpandspError::Setting(
                "t30_set_supported_output_compressions",
            ));
        }
        match setup.document {
            Document::Receive(_) => {
                (*ctx).rows.max_mm = setup.max_page_length_mm;
                sys::t30_set_rx_file(t30, c_path.as_ptr(), -1);
                if sys::t30_set_receive_recovery(t30, c_int::from(setup.keep_partial_pages)) != 0 {
                    return Err(SpandspError::Setting("t30_set_receive_recovery"));
                }
            }
            Document::Transmit(_) => sys::t30_set_tx_file(t30, c_path.as_ptr(), -1, -1),
        }
        let user = ctx as *mut c_void;
        sys::t30_set_phase_b_handler(t30, Some(phase_b_handler), user);
        sys::t30_set_phase_d_handler(t30, Some(phase_d_handler), user);
        sys::t30_set_phase_e_handler(t30, Some(phase_e_handler), user);
        route_logging(sys::t30_get_logging_state(t30), user);
    }
    Ok(())
}

/// Read-only and control access to the T.30 engine inside an [`AudioFax`] or [`T38Terminal`].
pub struct T30<'a> {
    ptr: NonNull<sys::t30_state_t>,
    _owner: std::marker::PhantomData<&'a mut ()>,
}

impl T30<'_> {
    /// Current transfer statistics.
    pub fn stats(&mut self) -> TransferStats {
        // SAFETY: ptr is live for 'a (borrowed from its owner).
        unsafe { read_stats(self.ptr.as_ptr()) }
    }

    /// The far end's station identifier ("" until received).
    pub fn remote_ident(&mut self) -> String {
        // SAFETY: ptr is live; the string is copied at once.
        unsafe { copy_c_str(sys::t30_get_rx_ident(self.ptr.as_ptr())) }
    }

    /// Whether the call is still in progress from T.30's point of view.
    pub fn call_active(&mut self) -> bool {
        // SAFETY: ptr is live.
        unsafe { sys::t30_call_active(self.ptr.as_ptr()) != 0 }
    }

    /// Ends the call now (e.g. the line was hung up). Runs phase E if it has not run yet.
    pub fn terminate(&mut self) {
        // SAFETY: ptr is live; callbacks run synchronously with our context (invariant 3).
        unsafe { sys::t30_terminate(self.ptr.as_ptr()) }
    }

    /// Receive side: the pages written to the TIFF, including clean prefixes of interrupted
    /// pages when receive recovery is on.
    pub fn received_pages(&mut self) -> Vec<ReceivedPage> {
        let t30 = self.ptr.as_ptr();
        // SAFETY: t30 is live; out-parameters are valid.
        unsafe {
            let n = sys::t30_receive_page_count(t30).max(0);
            let mut out = Vec::with_capacity(n as usize);
            for i in 0..n {
                let mut p = sys::t4_rx_recovery_page_t::default();
                if sys::t30_receive_page(t30, i, &mut p) == 0 {
                    out.push(ReceivedPage {
                        partial: p.partial != 0,
                        rows: p.rows,
                        width: p.width,
                        x_resolution: p.x_resolution,
                        y_resolution: p.y_resolution,
                        bad_rows: p.bad_rows,
                        missing_tail: p.missing_tail != 0,
                    });
                }
            }
            out
        }
    }

    /// Receive side: non-zero when writing the output TIFF failed (bit set from spandsp).
    pub fn output_error(&mut self) -> i32 {
        // SAFETY: ptr is live.
        unsafe { sys::t30_receive_output_error(self.ptr.as_ptr()) }
    }

    /// Switches the patched T.30's recovery from lost packets (spandsp-sys/PATCHES.md) on (the
    /// default) or off; off, the engine behaves as upstream spandsp, the reference the loss
    /// sweep measures our recovery against. Set before the call starts.
    pub fn set_loss_recovery(&mut self, on: bool) {
        // SAFETY: ptr is live.
        unsafe { sys::t30_set_faxvox_recovery(self.ptr.as_ptr(), on) }
    }

    /// Receive side: spandsp's recovery flags, for diagnostics:
    /// (output closed, missing tail, partial page in an unsupported coding).
    pub fn recovery_flags(&mut self) -> (bool, bool, bool) {
        let t30 = self.ptr.as_ptr();
        // SAFETY: ptr is live.
        unsafe {
            (
                sys::t30_receive_output_closed(t30) != 0,
                sys::t30_receive_missing_tail(t30) != 0,
                sys::t30_receive_unsupported_partial(t30) != 0,
            )
        }
    }
}

/// A T.30 fax terminal over audio (G.711 after decoding): spandsp `fax_state_t`.
pub struct AudioFax {
    state: NonNull<sys::fax_state_t>,
    t30: NonNull<sys::t30_state_t>,
    ctx: *mut Ctx,
    /// `fax_rx` modifies its input in place (DC restore), so samples are copied here first.
    scratch: Vec<i16>,
}

// SAFETY: invariant 5 — the state has no thread affinity and is only touched via &mut self.
unsafe impl Send for AudioFax {}

impl AudioFax {
    /// Creates a terminal; `calling` is true for the sender (it plays CNG and waits for DIS).
    pub fn new(calling: bool, setup: &T30Setup<'_>, call_id: &str) -> Result<Self, SpandspError> {
        let ctx = Ctx::new(call_id);
        let state = {
            let _g = init_guard();
            // SAFETY: NULL asks spandsp to allocate; freed in Drop.
            unsafe { sys::fax_init(std::ptr::null_mut(), calling) }
        };
        let Some(state) = NonNull::new(state) else {
            // SAFETY: ctx came from Box::into_raw and nothing else refers to it.
            drop(unsafe { Box::from_raw(ctx) });
            return Err(SpandspError::Init("fax_state_t"));
        };
        // SAFETY: state is live; fax_get_t30_state returns a pointer inside it.
        let t30 = unsafe { sys::fax_get_t30_state(state.as_ptr()) };
        let me = AudioFax {
            state,
            // A NULL here would be a spandsp bug; fall back to an error via the check below.
            t30: NonNull::new(t30).unwrap_or(NonNull::dangling()),
            ctx,
            scratch: Vec::with_capacity(320),
        };
        if t30.is_null() {
            return Err(SpandspError::Init("t30_state_t"));
        }
        // SAFETY: state/t30 are live, ctx outlives them (freed after them in Drop).
        unsafe {
            sys::fax_set_transmit_on_idle(state.as_ptr(), 1);
            sys::fax_set_tep_mode(state.as_ptr(), 0);
            configure_t30(t30, ctx, setup)?;
            // A lost packet corrupts the V.21 frame it falls in, and a long response such as
            // PPR spans 50 packets: at 1 % loss four of ten are lost. Three tries of a command
            // (T.30's default) end the call after three lost responses in a row; ten make that
            // rare, at 3 s (T4) per extra try only when responses are lost.
            sys::t30_set_max_command_tries(t30, AUDIO_MAX_COMMAND_TRIES);
            route_logging(
                sys::fax_get_logging_state(state.as_ptr()),
                ctx as *mut c_void,
            );
        }
        Ok(me)
    }

    /// Switches our recovery from lost packets on (the default: the T.30 patches and
    /// [`AUDIO_MAX_COMMAND_TRIES`] tries of a command) or off (upstream spandsp: no patches,
    /// 3 tries). Set before the call starts.
    pub fn set_loss_recovery(&mut self, on: bool) {
        self.t30().set_loss_recovery(on);
        let tries = if on {
            AUDIO_MAX_COMMAND_TRIES
        } else {
            UPSTREAM_MAX_COMMAND_TRIES
        };
        // SAFETY: t30 is live (owned by self.state).
        unsafe { sys::t30_set_max_command_tries(self.t30.as_ptr(), tries) }
    }

    /// Feeds received audio (8 kHz linear). Also advances T.30 timers by `samples.len()`.
    pub fn rx(&mut self, samples: &[i16]) {
        for chunk in samples.chunks(c_int::MAX as usize) {
            self.scratch.clear();
            self.scratch.extend_from_slice(chunk);
            // SAFETY: state live; scratch holds chunk.len() samples (invariant 4).
            unsafe {
                sys::fax_rx(
                    self.state.as_ptr(),
                    self.scratch.as_mut_ptr(),
                    self.scratch.len() as c_int,
                )
            };
        }
        self.guard_rows();
    }

    /// Tells the modems `samples` of audio were lost, keeping them and the timers in step.
    pub fn rx_fillin(&mut self, samples: usize) {
        let mut left = samples;
        while left > 0 {
            let n = left.min(c_int::MAX as usize);
            // SAFETY: state is live.
            unsafe { sys::fax_rx_fillin(self.state.as_ptr(), n as c_int) };
            left -= n;
        }
        self.guard_rows();
    }

    /// Generates transmit audio into `out`; with transmit-on-idle the whole buffer is filled.
    pub fn tx(&mut self, out: &mut [i16]) -> usize {
        let n = out.len().min(c_int::MAX as usize);
        // SAFETY: state live; out has room for n samples.
        let got = unsafe { sys::fax_tx(self.state.as_ptr(), out.as_mut_ptr(), n as c_int) };
        self.guard_rows();
        got.clamp(0, n as c_int) as usize
    }

    /// Receive side: (re)installs the page length limiter; see [`guard_rows`].
    fn guard_rows(&mut self) {
        // SAFETY: t30 live, ctx is its context, no spandsp call running (invariant 3).
        unsafe { guard_rows(self.t30.as_ptr(), self.ctx) }
    }

    /// Receive side: the page that was cut at the length limit, reported once.
    pub fn take_page_cut(&mut self) -> Option<PageCut> {
        // SAFETY: not inside a spandsp call (invariant 2).
        unsafe { take_cut(self.ctx) }
    }

    /// Receive side: whether rows go through the page length limiter (false before the
    /// first DCS).
    pub fn page_limiter_installed(&mut self) -> bool {
        // SAFETY: not inside a spandsp call (invariant 2).
        unsafe { limiter_installed(self.ctx) }
    }

    /// The T.30 engine inside.
    pub fn t30(&mut self) -> T30<'_> {
        T30 {
            ptr: self.t30,
            _owner: std::marker::PhantomData,
        }
    }

    /// Next queued T.30 event.
    pub fn next_event(&mut self) -> Option<T30Event> {
        // SAFETY: not inside a spandsp call, so this is the only reference (invariant 2).
        unsafe { (*self.ctx).events.pop_front() }
    }
}

impl Drop for AudioFax {
    fn drop(&mut self) {
        // SAFETY: we own the state (invariant 1); freeing releases the TIFF and T.30
        // resources. The context is freed after the state, so no callback can see it dangling.
        unsafe {
            sys::fax_free(self.state.as_ptr());
            drop(Box::from_raw(self.ctx));
        }
    }
}

/// T.38 options handed to spandsp's core (mirrors the negotiated SDP attributes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct T38Options {
    /// T38FaxVersion (0-3).
    pub version: u8,
    /// Largest IFP payload spandsp may emit (bytes), derived from the peer's `T38FaxMaxDatagram`.
    pub max_ifp: u16,
    /// T38FaxFillBitRemoval.
    pub fill_bit_removal: bool,
    /// `true` = transferredTCF (UDPTL norm), `false` = localTCF.
    pub transferred_tcf: bool,
}

impl Default for T38Options {
    fn default() -> Self {
        T38Options {
            version: 0,
            max_ifp: 400,
            fill_bit_removal: false,
            transferred_tcf: true,
        }
    }
}

/// A T.30 fax terminal speaking T.38 IFP packets: spandsp `t38_terminal_state_t`.
pub struct T38Terminal {
    state: NonNull<sys::t38_terminal_state_t>,
    core: NonNull<sys::t38_core_state_t>,
    t30: NonNull<sys::t30_state_t>,
    ctx: *mut Ctx,
}

// SAFETY: invariant 5, as for AudioFax.
unsafe impl Send for T38Terminal {}

impl T38Terminal {
    /// Creates a terminal; outgoing IFPs are queued for [`T38Terminal::next_packet`].
    pub fn new(
        calling: bool,
        setup: &T30Setup<'_>,
        opts: &T38Options,
        call_id: &str,
    ) -> Result<Self, SpandspError> {
        let ctx = Ctx::new(call_id);
        let state = {
            let _g = init_guard();
            // SAFETY: NULL asks spandsp to allocate; the handler and ctx outlive the state.
            unsafe {
                sys::t38_terminal_init(
                    std::ptr::null_mut(),
                    calling,
                    Some(t38_tx_packet_handler),
                    ctx as *mut c_void,
                )
            }
        };
        let Some(state) = NonNull::new(state) else {
            // SAFETY: ctx came from Box::into_raw and nothing else refers to it.
            drop(unsafe { Box::from_raw(ctx) });
            return Err(SpandspError::Init("t38_terminal_state_t"));
        };
        // SAFETY: state is live; these return pointers inside it.
        let (t30, core) = unsafe {
            (
                sys::t38_terminal_get_t30_state(state.as_ptr()),
                sys::t38_terminal_get_t38_core_state(state.as_ptr()),
            )
        };
        let me = T38Terminal {
            state,
            core: NonNull::new(core).unwrap_or(NonNull::dangling()),
            t30: NonNull::new(t30).unwrap_or(NonNull::dangling()),
            ctx,
        };
        if t30.is_null() || core.is_null() {
            return Err(SpandspError::Init("t38 core/t30 state"));
        }
        // SAFETY: all pointers live; ctx outlives them.
        unsafe {
            sys::t38_set_t38_version(core, c_int::from(opts.version.min(3)));
            sys::t38_set_max_datagram_size(core, c_int::from(opts.max_ifp.max(16)));
            sys::t38_set_fill_bit_removal(core, opts.fill_bit_removal);
            sys::t38_set_mmr_transcoding(core, false);
            sys::t38_set_jbig_transcoding(core, false);
            sys::t38_set_data_rate_management_method(
                core,
                if opts.transferred_tcf {
                    T38_DATA_RATE_MANAGEMENT_TRANSFERRED_TCF
                } else {
                    T38_DATA_RATE_MANAGEMENT_LOCAL_TCF
                },
            );
            sys::t38_terminal_set_config(state.as_ptr(), 0);
            sys::t38_terminal_set_tep_mode(state.as_ptr(), false);
            sys::t38_terminal_set_fill_bit_removal(state.as_ptr(), opts.fill_bit_removal);
            configure_t30(t30, ctx, setup)?;
            route_logging(
                sys::t38_terminal_get_logging_state(state.as_ptr()),
                ctx as *mut c_void,
            );
            route_logging(sys::t38_core_get_logging_state(core), ctx as *mut c_void);
        }
        Ok(me)
    }

    /// Feeds one received IFP packet with its UDPTL sequence number.
    /// Returns false when spandsp could not decode it.
    pub fn rx_ifp(&mut self, seq: u16, ifp: &[u8]) -> bool {
        if ifp.len() > c_int::MAX as usize {
            return false;
        }
        // SAFETY: core live; ifp valid for the call (invariant 4).
        let ok = unsafe {
            sys::t38_core_rx_ifp_packet(self.core.as_ptr(), ifp.as_ptr(), ifp.len() as c_int, seq)
                >= 0
        };
        self.guard_rows();
        ok
    }

    /// Advances time by `samples` (8 kHz); spandsp paces its output and runs T.30 timers here.
    /// Returns true once the terminal has finished.
    pub fn advance(&mut self, samples: usize) -> bool {
        let n = samples.min(c_int::MAX as usize) as c_int;
        // SAFETY: state live.
        let done = unsafe { sys::t38_terminal_send_timeout(self.state.as_ptr(), n) != 0 };
        self.guard_rows();
        done
    }

    /// Receive side: (re)installs the page length limiter; see [`guard_rows`].
    fn guard_rows(&mut self) {
        // SAFETY: t30 live, ctx is its context, no spandsp call running (invariant 3).
        unsafe { guard_rows(self.t30.as_ptr(), self.ctx) }
    }

    /// Receive side: the page that was cut at the length limit, reported once.
    pub fn take_page_cut(&mut self) -> Option<PageCut> {
        // SAFETY: not inside a spandsp call (invariant 2).
        unsafe { take_cut(self.ctx) }
    }

    /// Receive side: whether rows go through the page length limiter (false before the
    /// first DCS).
    pub fn page_limiter_installed(&mut self) -> bool {
        // SAFETY: not inside a spandsp call (invariant 2).
        unsafe { limiter_installed(self.ctx) }
    }

    /// Next IFP packet to send and how many times to send it (spandsp's repeat `count`).
    pub fn next_packet(&mut self) -> Option<(Vec<u8>, u32)> {
        // SAFETY: not inside a spandsp call (invariant 2).
        unsafe { (*self.ctx).packets.pop_front() }
    }

    /// The T.30 engine inside.
    pub fn t30(&mut self) -> T30<'_> {
        T30 {
            ptr: self.t30,
            _owner: std::marker::PhantomData,
        }
    }

    /// Next queued T.30 event.
    pub fn next_event(&mut self) -> Option<T30Event> {
        // SAFETY: not inside a spandsp call (invariant 2).
        unsafe { (*self.ctx).events.pop_front() }
    }
}

impl Drop for T38Terminal {
    fn drop(&mut self) {
        // SAFETY: as for AudioFax.
        unsafe {
            sys::t38_terminal_free(self.state.as_ptr());
            drop(Box::from_raw(self.ctx));
        }
    }
}

/// Callback context of the tone detectors (invariant 2): raw `(code, level, duration)` reports.
#[repr(C)]
struct ToneCtx {
    tag: LogTag,
    reports: VecDeque<(i32, i32, i32)>,
}

impl ToneCtx {
    fn new(call_id: &str) -> *mut ToneCtx {
        Box::into_raw(Box::new(ToneCtx {
            tag: LogTag(call_id.to_owned()),
            reports: VecDeque::new(),
        }))
    }
}

extern "C" fn tone_report_handler(user_data: *mut c_void, code: c_int, level: c_int, delay: c_int) {
    // SAFETY: registered with our ToneCtx; called from inside our rx call (invariant 3).
    let ctx = unsafe { &mut *(user_data as *mut ToneCtx) };
    ctx.reports.push_back((code, level, delay));
}

/// Which modem connect tones a [`ConnectTonesRx`] listens for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectToneMode {
    /// CNG, the caller's 1100 Hz 0.5 s-on/3 s-off calling tone.
    Cng,
    /// CED/ANS (2100 Hz, with or without AM and phase reversals) or the V.21 HDLC preamble.
    CedOrPreamble,
}

/// Raw spandsp tone codes reported by [`ConnectTonesRx`] (`MODEM_CONNECT_TONES_*`).
pub mod tone_code {
    /// The previously reported tone stopped.
    pub const NONE: i32 = 0;
    /// CNG 1100 Hz.
    pub const FAX_CNG: i32 = 1;
    /// ANS 2100 Hz (CED).
    pub const ANS: i32 = 2;
    /// ANS with phase reversals.
    pub const ANS_PR: i32 = 3;
    /// ANSam (V.8 amplitude modulated ANS).
    pub const ANSAM: i32 = 4;
    /// ANSam with phase reversals.
    pub const ANSAM_PR: i32 = 5;
    /// V.21 HDLC flags (the T.30 preamble).
    pub const FAX_PREAMBLE: i32 = 6;
}

/// spandsp's `modem_connect_tones_rx`: confirmed tone on/off reports.
pub struct ConnectTonesRx {
    state: NonNull<sys::modem_connect_tones_rx_state_t>,
    ctx: *mut ToneCtx,
}

// SAFETY: invariant 5.
unsafe impl Send for ConnectTonesRx {}

impl ConnectTonesRx {
    /// Creates a detector for `mode`.
    pub fn new(mode: ConnectToneMode, call_id: &str) -> Result<Self, SpandspError> {
        let ctx = ToneCtx::new(call_id);
        let code = match mode {
            ConnectToneMode::Cng => MODEM_CONNECT_TONES_FAX_CNG,
            ConnectToneMode::CedOrPreamble => MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE,
        };
        let state = {
            let _g = init_guard();
            // SAFETY: NULL asks spandsp to allocate; ctx outlives the state (freed after it).
            unsafe {
                sys::modem_connect_tones_rx_init(
                    std::ptr::null_mut(),
                    code,
                    Some(tone_report_handler),
                    ctx as *mut c_void,
                )
            }
        };
        match NonNull::new(state) {
            Some(state) => {
                // SAFETY: state live. (CNG: stop at each report, see `rx_to_report`.)
                unsafe { sys::modem_connect_tones_rx_faxvox_stop_at_report(state.as_ptr(), true) };
                Ok(ConnectTonesRx { state, ctx })
            }
            None => {
                // SAFETY: ctx came from Box::into_raw and nothing else refers to it.
                drop(unsafe { Box::from_raw(ctx) });
                Err(SpandspError::Init("modem_connect_tones_rx_state_t"))
            }
        }
    }

    /// Feeds samples; reports are queued for [`ConnectTonesRx::next_report`].
    pub fn rx(&mut self, samples: &[i16]) {
        let mut rest = samples;
        while !rest.is_empty() {
            let n = self.rx_to_report(rest);
            rest = &rest[n..];
        }
    }

    /// Feeds samples up to the first one that makes a report (CNG mode; the other modes take
    /// them all) and returns how many were taken: a report queued by this call belongs to the
    /// last of them. Whole frames go in one call, with sample-accurate report times.
    pub fn rx_to_report(&mut self, samples: &[i16]) -> usize {
        let len = samples.len().min(c_int::MAX as usize);
        // SAFETY: state live; samples valid for len samples during the call.
        let left = unsafe {
            sys::modem_connect_tones_rx(self.state.as_ptr(), samples.as_ptr(), len as c_int)
        };
        // Never zero for a non-empty slice, so callers looping over the rest always advance.
        len.saturating_sub(left.max(0) as usize)
            .clamp(len.min(1), len)
    }

    /// Next `(tone_code, level_dbm0)` report; [`tone_code::NONE`] means the tone stopped.
    pub fn next_report(&mut self) -> Option<(i32, i32)> {
        // SAFETY: not inside a spandsp call (invariant 2).
        unsafe { (*self.ctx).reports.pop_front() }.map(|(c, l, _)| (c, l))
    }
}

impl Drop for ConnectTonesRx {
    fn drop(&mut self) {
        // SAFETY: invariant 1; ctx freed after the state.
        unsafe {
            sys::modem_connect_tones_rx_free(self.state.as_ptr());
            drop(Box::from_raw(self.ctx));
        }
    }
}

/// spandsp's DTMF receiver in real-time mode: digit-on and digit-off reports at the end of
/// its 102-sample analysis blocks.
pub struct DtmfRx {
    state: NonNull<sys::dtmf_rx_state_t>,
    ctx: *mut ToneCtx,
}

// SAFETY: invariant 5 (dtmf_rx_init's global tables are filled under INIT_LOCK).
unsafe impl Send for DtmfRx {}

/// Samples per DTMF analysis block in spandsp (`DTMF_SAMPLES_PER_BLOCK`).
pub const DTMF_BLOCK: usize = 102;

impl DtmfRx {
    /// Creates a receiver.
    pub fn new(call_id: &str) -> Result<Self, SpandspError> {
        let ctx = ToneCtx::new(call_id);
        let state = {
            let _g = init_guard();
            // SAFETY: NULL asks spandsp to allocate; no digit callback (real-time mode below).
            unsafe { sys::dtmf_rx_init(std::ptr::null_mut(), None, std::ptr::null_mut()) }
        };
        let Some(state) = NonNull::new(state) else {
            // SAFETY: ctx came from Box::into_raw and nothing else refers to it.
            drop(unsafe { Box::from_raw(ctx) });
            return Err(SpandspError::Init("dtmf_rx_state_t"));
        };
        // SAFETY: state live; ctx outlives it.
        unsafe {
            sys::dtmf_rx_set_realtime_callback(
                state.as_ptr(),
                Some(tone_report_handler),
                ctx as *mut c_void,
            )
        };
        Ok(DtmfRx { state, ctx })
    }

    /// Feeds samples; reports are queued for [`DtmfRx::next_report`].
    pub fn rx(&mut self, samples: &[i16]) {
        for chunk in samples.chunks(c_int::MAX as usize) {
            // SAFETY: state live; chunk valid for the call.
            unsafe { sys::dtmf_rx(self.state.as_ptr(), chunk.as_ptr(), chunk.len() as c_int) };
        }
    }

    /// Next `(digit, level_dbm0, samples_since_previous_report)`; `digit` is `None` when the
    /// current digit ended.
    pub fn next_report(&mut self) -> Option<(Option<char>, i32, i32)> {
        // SAFETY: not inside a spandsp call (invariant 2).
        let (code, level, duration) = unsafe { (*self.ctx).reports.pop_front() }?;
        let digit = u8::try_from(code).ok().filter(|&c| c != 0).map(char::from);
        Some((digit, level, duration))
    }
}

impl Drop for DtmfRx {
    fn drop(&mut self) {
        // SAFETY: invariant 1; ctx freed after the state.
        unsafe {
            sys::dtmf_rx_free(self.state.as_ptr());
            drop(Box::from_raw(self.ctx));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_headers() {
        assert_eq!(SPAN_LOG_FLOW as i64, sys::SPAN_LOG_FLOW as i64);
        assert_eq!(
            SPAN_LOG_SHOW_SEVERITY as i64,
            sys::SPAN_LOG_SHOW_SEVERITY as i64
        );
        assert_eq!(
            SPAN_LOG_SHOW_PROTOCOL as i64,
            sys::SPAN_LOG_SHOW_PROTOCOL as i64
        );
        assert_eq!(T30_SUPPORT_V17 as i64, sys::T30_SUPPORT_V17 as i64);
        assert_eq!(T30_SUPPORT_V29 as i64, sys::T30_SUPPORT_V29 as i64);
        assert_eq!(T30_SUPPORT_V27TER as i64, sys::T30_SUPPORT_V27TER as i64);
        assert_eq!(
            T4_COMPRESSION_T6 as i64,
            sys::t4_image_compression_t_T4_COMPRESSION_T6 as i64
        );
        assert_eq!(completion_text(T30_ERR_OK), "OK");
        use crate::metrics::T30Class;
        assert_eq!(t30_class(T30_ERR_OK), T30Class::Ok);
        assert_eq!(t30_class(T30_ERR_CALLDROPPED), T30Class::Interrupted);
        let c = |e: sys::t30_err_e| t30_class(e as i32);
        assert_eq!(c(sys::t30_err_e::T30_ERR_T0_EXPIRED), T30Class::NoAnswer);
        assert_eq!(c(sys::t30_err_e::T30_ERR_CANNOT_TRAIN), T30Class::Training);
        assert_eq!(c(sys::t30_err_e::T30_ERR_RX_DCNDATA), T30Class::Interrupted);
        assert_eq!(c(sys::t30_err_e::T30_ERR_RX_T2EXPD), T30Class::Protocol);
        assert_eq!(c(sys::t30_err_e::T30_ERR_INCOMPATIBLE), T30Class::Protocol);
        assert_eq!(c(sys::t30_err_e::T30_ERR_BADTIFF), T30Class::Other);
        assert_eq!(t30_class(-1), T30Class::Other);
    }

    #[test]
    fn page_length_in_rows() {
        // 600 mm at standard, fine and 400 lpi; nonsense resolutions are clamped.
        assert_eq!(rows_for_length(600, 3850), 2310);
        assert_eq!(rows_for_length(600, 7700), 4620);
        assert_eq!(rows_for_length(600, 15748), 9448);
        assert_eq!(rows_for_length(600, 0), 2310);
        assert_eq!(rows_for_length(600, 1_000_000), 9448);
        assert_eq!(rows_for_length(0, 7700), 0);
    }
}
