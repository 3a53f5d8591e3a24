//! Metrics and health of a node: what Prometheus scrapes, what a load balancer probes, what
//! `faxvox status` shows.
//!
//! The counters live in one process-wide [`Metrics`] ([`metrics()`]) made of atomics with
//! their label sets fixed at compile time (enums, never a phone number, account or call id),
//! so counting costs one relaxed atomic add and no lock, wherever it happens (media drivers,
//! gateway, worker, dialer, ledger). Calls count their RTP losses once, when they end. The
//! gauges that cost something to compute (spool jobs by state, euros reserved, database
//! reachable) are refreshed by a sampler of `faxvox serve` every few seconds, not at each
//! scrape; [`Readiness`] holds what `/readyz` and SIP OPTIONS answer from.
//!
//! [`exposition::render`] writes the Prometheus text format, [`server`] serves it with
//! `/healthz`, `/readyz` and `/status` ([`status::Status`], read by `faxvox status`).

pub mod exposition;
pub mod health;
mod histogram;
pub mod server;
pub mod settings;
pub mod status;

pub use health::Readiness;
pub use histogram::Histogram;
pub use settings::MetricsConfig;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

/// Inbound (calls to our lines) or outbound (faxes we send).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub const ALL: [Direction; 2] = [Direction::In, Direction::Out];
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// What a call is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Fax,
    Voicemail,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Fax, Kind::Voicemail];
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Fax => "fax",
            Kind::Voicemail => "voicemail",
        }
    }
}

/// How a call ended, for `faxvox_calls_total{result}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallResult {
    /// The fax or the message came through whole.
    Ok,
    /// Some pages came through, not all.
    Partial,
    /// Answered, but nothing usable came of it (T.30 failure, media error, commit error).
    Failed,
    /// The far end or the line was busy (486/600).
    Busy,
    /// Nobody answered (408/480/487, or no response at all).
    NoAnswer,
    /// Refused: by the far end (other 4xx-6xx), or by us before answering (spool full, no
    /// media port).
    Refused,
    /// A voicemail call that left no message (hung up before the beep, too short, silence).
    Missed,
    /// Declined (603) because the caller is on the block list.
    Blocked,
}

impl CallResult {
    pub const ALL: [CallResult; 8] = [
        CallResult::Ok,
        CallResult::Partial,
        CallResult::Failed,
        CallResult::Busy,
        CallResult::NoAnswer,
        CallResult::Refused,
        CallResult::Missed,
        CallResult::Blocked,
    ];
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            CallResult::Ok => "ok",
            CallResult::Partial => "partial",
            CallResult::Failed => "failed",
            CallResult::Busy => "busy",
            CallResult::NoAnswer => "no_answer",
            CallResult::Refused => "refused",
            CallResult::Missed => "missed",
            CallResult::Blocked => "blocked",
        }
    }
}

/// The class of a T.30 completion, for `faxvox_fax_t30_results_total{class}` (see
/// `crate::fax::t30_class` for the mapping of spandsp's codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum T30Class {
    /// Completed normally.
    Ok,
    /// No fax machine answered the T.30 handshake (T0/T1 expired, CED too long).
    NoAnswer,
    /// The modems could not train (or the image data never came after training).
    Training,
    /// The far end sent what T.30 does not allow here, or stopped answering mid-procedure.
    Protocol,
    /// The call or the carrier dropped, or the far end disconnected mid-fax.
    Interrupted,
    /// Anything else (local file or memory errors, unknown codes).
    Other,
}

impl T30Class {
    pub const ALL: [T30Class; 6] = [
        T30Class::Ok,
        T30Class::NoAnswer,
        T30Class::Training,
        T30Class::Protocol,
        T30Class::Interrupted,
        T30Class::Other,
    ];
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            T30Class::Ok => "ok",
            T30Class::NoAnswer => "no_answer",
            T30Class::Training => "training",
            T30Class::Protocol => "protocol",
            T30Class::Interrupted => "interrupted",
            T30Class::Other => "other",
        }
    }
}

/// Why an SMTP transaction failed, for `faxvox_smtp_failures_total{class}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpFailure {
    /// A 4xx reply: tried again later.
    Temporary,
    /// A 5xx reply (or an address the client refuses): not tried again.
    Permanent,
    /// No reply at all: connection refused or lost, TLS, timeout.
    Connection,
}

impl SmtpFailure {
    pub const ALL: [SmtpFailure; 3] = [
        SmtpFailure::Temporary,
        SmtpFailure::Permanent,
        SmtpFailure::Connection,
    ];
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpFailure::Temporary => "temporary",
            SmtpFailure::Permanent => "permanent",
            SmtpFailure::Connection => "connection",
        }
    }
}

/// How one outbound dial ended, for `faxvox_outbound_attempts_total{cause}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptCause {
    /// Every remaining page confirmed.
    Sent,
    /// 486 / 600.
    Busy,
    /// 408 / 480 / 487, or the call went unanswered until its limit.
    NoAnswer,
    /// 500 / 503 / 504 from the trunk, or no response at all.
    TrunkError,
    /// Any other refusal (unknown number, forbidden…): not dialled again.
    Rejected,
    /// Answered, but the fax failed (T.30, no fax exchange).
    FaxFailed,
}

impl AttemptCause {
    pub const ALL: [AttemptCause; 6] = [
        AttemptCause::Sent,
        AttemptCause::Busy,
        AttemptCause::NoAnswer,
        AttemptCause::TrunkError,
        AttemptCause::Rejected,
        AttemptCause::FaxFailed,
    ];
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptCause::Sent => "sent",
            AttemptCause::Busy => "busy",
            AttemptCause::NoAnswer => "no_answer",
            AttemptCause::TrunkError => "trunk_error",
            AttemptCause::Rejected => "rejected",
            AttemptCause::FaxFailed => "fax_failed",
        }
    }

    /// The cause of a dial that was not answered, from its final SIP status.
    pub fn unanswered(status: Option<u16>) -> AttemptCause {
        match status {
            Some(486 | 600) => AttemptCause::Busy,
            Some(408 | 480 | 487) => AttemptCause::NoAnswer,
            None | Some(500 | 503 | 504) => AttemptCause::TrunkError,
            Some(_) => AttemptCause::Rejected,
        }
    }

    /// The call result the same dial counts as in `faxvox_calls_total`.
    pub fn call_result(self) -> CallResult {
        match self {
            AttemptCause::Sent => CallResult::Ok,
            AttemptCause::Busy => CallResult::Busy,
            AttemptCause::NoAnswer => CallResult::NoAnswer,
            AttemptCause::TrunkError | AttemptCause::Rejected => CallResult::Refused,
            AttemptCause::FaxFailed => CallResult::Failed,
        }
    }
}

/// The spool states, in the order of `faxvox_spool::StateName::ALL`.
pub const SPOOL_STATES: usize = faxvox_spool::StateName::ALL.len();

/// Bucket bounds of `faxvox_call_duration_seconds`: a short missed call to an hour-long fax.
pub const CALL_DURATION_BUCKETS: [f64; 11] = [
    1.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];
/// Bucket bounds of `faxvox_delivery_latency_seconds`: a second to an SMTP outage.
pub const DELIVERY_LATENCY_BUCKETS: [f64; 12] = [
    0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14400.0,
];

const CALLS: usize = 2 * 2 * CallResult::ALL.len();

/// The last delivery failure, for `faxvox status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    /// When it happened.
    pub at: SystemTime,
    /// The job.
    pub job: String,
    /// The error as the job records it.
    pub error: String,
}

/// The node's counters and gauges. One per process: [`metrics()`].
pub struct Metrics {
    calls: [AtomicU64; CALLS],
    in_progress: [AtomicI64; 4],
    t30: [AtomicU64; 2 * T30Class::ALL.len()],
    pages: [AtomicU64; 2],
    durations: [Histogram; 2],
    rtp_lost: AtomicU64,
    rtp_foreign: AtomicU64,
    delivery_latency: Histogram,
    smtp_failures: [AtomicU64; SmtpFailure::ALL.len()],
    attempts: [AtomicU64; AttemptCause::ALL.len()],
    ceiling_refusals: AtomicU64,
    /// Set by the sampler: jobs per spool state; `u64::MAX` until the first count.
    spool_jobs: [AtomicU64; SPOOL_STATES],
    /// Milliseconds the oldest `ready` job has waited (0: none).
    oldest_ready_ms: AtomicU64,
    /// Money units (1/10000 EUR) in open reservations.
    reserved: AtomicI64,
    ports: OnceLock<Box<dyn Fn() -> usize + Send + Sync>>,
    last_delivery_error: Mutex<Option<DeliveryError>>,
}

static METRICS: Metrics = Metrics::new();

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

/// Index of a (direction, kind) pair.
fn dk(direction: Direction, kind: Kind) -> usize {
    (direction as usize) * 2 + kind as usize
}

/// A call counted in `faxvox_calls_in_progress` until dropped.
#[must_use = "the call counts as in progress only while this lives"]
pub struct InProgress {
    at: usize,
}

impl Drop for InProgress {
    fn drop(&mut self) {
        METRICS.in_progress[self.at].fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// All zero.
    pub const fn new() -> Metrics {
        Metrics {
            calls: [const { AtomicU64::new(0) }; CALLS],
            in_progress: [const { AtomicI64::new(0) }; 4],
            t30: [const { AtomicU64::new(0) }; 2 * T30Class::ALL.len()],
            pages: [const { AtomicU64::new(0) }; 2],
            durations: [
                Histogram::new(&CALL_DURATION_BUCKETS),
                Histogram::new(&CALL_DURATION_BUCKETS),
            ],
            rtp_lost: AtomicU64::new(0),
            rtp_foreign: AtomicU64::new(0),
            delivery_latency: Histogram::new(&DELIVERY_LATENCY_BUCKETS),
            smtp_failures: [const { AtomicU64::new(0) }; SmtpFailure::ALL.len()],
            attempts: [const { AtomicU64::new(0) }; AttemptCause::ALL.len()],
            ceiling_refusals: AtomicU64::new(0),
            spool_jobs: [const { AtomicU64::new(u64::MAX) }; SPOOL_STATES],
            oldest_ready_ms: AtomicU64::new(0),
            reserved: AtomicI64::new(0),
            ports: OnceLock::new(),
            last_delivery_error: Mutex::new(None),
        }
    }

    // ------------------------------------------------------------------ counting

    /// A call began (answered or about to be): counted in progress until the guard drops.
    pub fn call_started(&self, direction: Direction, kind: Kind) -> InProgress {
        let at = dk(direction, kind);
        self.in_progress[at].fetch_add(1, Ordering::Relaxed);
        InProgress { at }
    }

    /// A call ended with `result`; `duration` from the answer (or the INVITE) to the end.
    pub fn call_ended(
        &self,
        direction: Direction,
        kind: Kind,
        result: CallResult,
        duration: Duration,
    ) {
        let at = dk(direction, kind) * CallResult::ALL.len() + result as usize;
        self.calls[at].fetch_add(1, Ordering::Relaxed);
        self.durations[kind as usize].observe(duration);
    }

    /// A call refused before it began (no duration observed).
    pub fn call_refused(&self, direction: Direction, kind: Kind, result: CallResult) {
        let at = dk(direction, kind) * CallResult::ALL.len() + result as usize;
        self.calls[at].fetch_add(1, Ordering::Relaxed);
    }

    /// A T.30 session ended.
    pub fn t30_result(&self, direction: Direction, class: T30Class) {
        self.t30[direction as usize * T30Class::ALL.len() + class as usize]
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Fax pages received (in) or confirmed by the far end (out).
    pub fn fax_pages(&self, direction: Direction, pages: u32) {
        self.pages[direction as usize].fetch_add(u64::from(pages), Ordering::Relaxed);
    }

    /// A call's RTP counters, added when it ends: packets lost on the way in, and packets
    /// (RTP or UDPTL) refused because they came from an address that is not the peer's.
    pub fn rtp(&self, lost: u64, foreign: u64) {
        if lost > 0 {
            self.rtp_lost.fetch_add(lost, Ordering::Relaxed);
        }
        if foreign > 0 {
            self.rtp_foreign.fetch_add(foreign, Ordering::Relaxed);
        }
    }

    /// A message's email was accepted (SMTP or Maildir) `latency` after its call ended.
    pub fn delivered(&self, latency: Duration) {
        self.delivery_latency.observe(latency);
    }

    /// An SMTP transaction failed.
    pub fn smtp_failure(&self, class: SmtpFailure) {
        self.smtp_failures[class as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// An outbound dial ended.
    pub fn outbound_attempt(&self, cause: AttemptCause) {
        self.attempts[cause as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// A fax was refused because the account's ceiling would be passed.
    pub fn ceiling_refusal(&self) {
        self.ceiling_refusals.fetch_add(1, Ordering::Relaxed);
    }

    /// A delivery failed (kept for `faxvox status`: the latest one only).
    pub fn delivery_failed(&self, at: SystemTime, job: &str, error: &str) {
        if let Ok(mut last) = self.last_delivery_error.lock() {
            *last = Some(DeliveryError {
                at,
                job: job.to_string(),
                error: error.to_string(),
            });
        }
    }

    // ------------------------------------------------------------------ sampled gauges

    /// Where `faxvox_media_ports_in_use` is read from at each scrape (set once, at start).
    pub fn set_ports_source(&self, source: impl Fn() -> usize + Send + Sync + 'static) {
        let _ = self.ports.set(Box::new(source));
    }

    /// The spool's jobs per state (in `StateName::ALL` order) and the wait of its oldest
    /// `ready` job.
    pub fn set_spool(&self, counts: [u64; SPOOL_STATES], oldest_ready: Option<Duration>) {
        for (slot, n) in self.spool_jobs.iter().zip(counts) {
            slot.store(n, Ordering::Relaxed);
        }
        let ms = oldest_ready.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.oldest_ready_ms.store(ms, Ordering::Relaxed);
    }

    /// The money in open reservations, in units of 1/10000 EUR.
    pub fn set_reserved(&self, units: i64) {
        self.reserved.store(units, Ordering::Relaxed);
    }

    // ------------------------------------------------------------------ reading

    /// Calls in progress for a (direction, kind).
    pub fn in_progress(&self, direction: Direction, kind: Kind) -> u64 {
        self.in_progress[dk(direction, kind)]
            .load(Ordering::Relaxed)
            .max(0) as u64
    }

    /// `faxvox_calls_total` for one label set.
    pub fn calls(&self, direction: Direction, kind: Kind, result: CallResult) -> u64 {
        self.calls[dk(direction, kind) * CallResult::ALL.len() + result as usize]
            .load(Ordering::Relaxed)
    }

    /// Media ports bound now (0 when no source is set).
    pub fn ports_in_use(&self) -> usize {
        self.ports.get().map_or(0, |f| f())
    }

    /// Jobs per spool state; `None` before the first count.
    pub fn spool_jobs(&self) -> Option<[u64; SPOOL_STATES]> {
        let counts: [u64; SPOOL_STATES] =
            std::array::from_fn(|i| self.spool_jobs[i].load(Ordering::Relaxed));
        (!counts.contains(&u64::MAX)).then_some(counts)
    }

    /// The wait of the oldest `ready` job (zero when there is none).
    pub fn oldest_ready(&self) -> Duration {
        Duration::from_millis(self.oldest_ready_ms.load(Ordering::Relaxed))
    }

    /// The latest delivery failure.
    pub fn last_delivery_error(&self) -> Option<DeliveryError> {
        self.last_delivery_error.lock().ok().and_then(|l| l.clone())
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dials_map_to_causes_and_call_results() {
        let cases = [
            (Some(486), AttemptCause::Busy, CallResult::Busy),
            (Some(600), AttemptCause::Busy, CallResult::Busy),
            (Some(480), AttemptCause::NoAnswer, CallResult::NoAnswer),
            (Some(503), AttemptCause::TrunkError, CallResult::Refused),
            (None, AttemptCause::TrunkError, CallResult::Refused),
            (Some(404), AttemptCause::Rejected, CallResult::Refused),
        ];
        for (status, cause, result) in cases {
            assert_eq!(AttemptCause::unanswered(status), cause, "{status:?}");
            assert_eq!(cause.call_result(), result, "{status:?}");
        }
    }

    #[test]
    fn calls_in_progress_go_back_down_when_the_guard_drops() {
        // The process-wide metrics: other tests count calls too, but none an outgoing
        // voicemail call.
        let m = metrics();
        let before = m.in_progress(Direction::Out, Kind::Voicemail);
        let guard = m.call_started(Direction::Out, Kind::Voicemail);
        assert_eq!(m.in_progress(Direction::Out, Kind::Voicemail), before + 1);
        drop(guard);
        assert_eq!(m.in_progress(Direction::Out, Kind::Voicemail), before);
    }
}
