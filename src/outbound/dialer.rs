//! The outbound fax dialer: runs inside `faxvox serve` next to the email delivery worker and
//! takes only [`JobKind::OutboundFax`] jobs ([`Spool::claim_due_of`]).
//!
//! For each due job: dial `trunk.uri` with the destination as Request-URI user (From = the
//! account's number, or `anonymous`), transmit `document.tif` with [`dial`], record the
//! attempt (job facts and a call record, direction out), then by cause, as the pure
//! [`ladder::next`] decides (the dialer only claims, dials and records, at the time of its
//! clock, [`Dialer::with_clock`]):
//! - all pages confirmed → settle the reservation for them, queue the client's status email
//!   ([`super::status`]), job `delivered`;
//! - busy / no answer / temporary trunk error (486, 600, 480, 408, 487, 500, 503, 504, no
//!   response) → `retrying` `trunk.retry_secs` later, until `trunk.max_attempts` dials;
//! - T.30 failure after the answer → at once, again with the next step of the
//!   [`ladder::fallback`] ladder (G.711 instead of T.38 when T.38 was used; then ECM off and
//!   at most 9600 bit/s), with only the pages not yet confirmed;
//! - anything else, or retries spent → settle the pages confirmed (release the rest), queue
//!   the client's status email, job `dead` with the reason.
//!
//! The final result is written into the facts before billing, and billing is idempotent, so
//! a crash after dialling never dials again: the next claim finishes the bookkeeping only.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use faxvox_spool::{format_rfc3339, Claimed, FailOutcome, JobKind, RetryPolicy, Spool, SpoolError};
use serde_json::Value;
use thiserror::Error;
use tokio::sync::Notify;
use tokio::task::{JoinError, JoinSet};
use tracing::{debug, error, info, warn, Instrument};

use super::ladder::{self, AttemptMode};
use super::report::{transmission_report, ReportError};
use super::{status, DialerConfig, TrunkConfig, ANONYMOUS};
use crate::billing::{Billing, BillingError, Notice, ReservationState};
use crate::call::dial::{dial, DialRequest, DialResult, Payload};
use crate::call::media_call::MediaSettings;
use crate::call::ports::PortPool;
use crate::delivery::{CeilingNotice, Composer, DeliveryError, Locale, SendOutcome, Transport};
use crate::directory::records::{CallKind, CallStatus, Direction, NewCallRecord};
use crate::directory::{Backend, Directory};
/// Kept here for the dialer's callers; the record lives with the other job facts.
pub use crate::jobs::AttemptRecord;
use crate::jobs::{FaxResult, OutboundFacts, DOCUMENT};
use crate::metrics::{metrics, Direction as MetricDir, Kind as MetricKind};
use crate::money::Money;
use crate::sip::call::{CallConfig, InitialOffer};
use crate::sip::caller_id::identity_headers;
use crate::sip::stack::{SipCredentials, SipStack, StackConfig, StackError, StackGuard};

/// How long a claim holds an outbound job: longer than two fax calls of the maximum length.
pub const DIAL_LEASE: Duration = Duration::from_secs(2 * 3600);
/// Backstop on one call, beyond the fax session's own limit.
const CALL_MARGIN: Duration = Duration::from_secs(120);
/// Faxes sent at the same time (each is one call through the trunk).
pub const MAX_PARALLEL: usize = 4;
/// After a failed attempt to email billing notices, wait this long before the next.
const NOTICE_BACKOFF: Duration = Duration::from_secs(60);

/// Why the dialer could not start.
#[derive(Debug, Error)]
pub enum DialerError {
    #[error("outbound sending is disabled: trunk.uri is empty")]
    Disabled,
    #[error("trunk.uri: {0}")]
    BadTrunk(String),
    #[error("cannot start the dialer's SIP stack: {0}")]
    Stack(#[from] StackError),
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    #[error(transparent)]
    Spool(#[from] SpoolError),
}

/// What a pass did with one job, for the log.
#[derive(Debug, Clone)]
pub struct JobSummary {
    pub fax_id: String,
    pub outcome: String,
}

/// Sends outbound faxes from the spool through the trunk.
pub struct Dialer {
    spool: Spool,
    directory: Directory,
    billing: Billing,
    transport: Transport,
    composer: Composer,
    config: DialerConfig,
    /// `[trunk]`, replaced by [`Dialer::reload_trunk`] (SIGHUP); each attempt reads it anew.
    trunk: std::sync::RwLock<TrunkConfig>,
    stack: SipStack,
    ports: PortPool,
    name: String,
    /// The spool's identity, which its reservations name ([`super::reconcile::spool_origin`]).
    origin: String,
    /// Wakes the delivery worker when a status email is queued.
    wake: Option<Arc<Notify>>,
    /// The time of every decision and record (the system clock unless replaced).
    clock: Arc<dyn Fn() -> SystemTime + Send + Sync>,
}

/// The spool's retry schedule for outbound faxes: `trunk.retry_secs` between attempts.
fn retry_policy(trunk: &TrunkConfig) -> RetryPolicy {
    ladder::retry_policy(trunk.max_attempts, trunk.retry_delay())
}

impl Dialer {
    /// A dialer with its own SIP stack (UDP+TCP on the `sip.listen` address, any free port)
    /// and its own pool of media ports from `sip.rtp_ports`. The spool handle gets the
    /// trunk's retry policy (`trunk.retry_secs` between attempts). Beside a gateway, use
    /// [`Dialer::start_with_ports`] with the gateway's pool.
    pub async fn start(
        config: &DialerConfig,
        spool: Spool,
        directory: Directory,
        transport: Transport,
    ) -> Result<Dialer, DialerError> {
        let ports = crate::call::ports::PortPool::with_rest(
            config.sip.media_ip(),
            config.sip.rtp_ports.range(),
            config.sip.rtp_port_rest(),
        );
        Dialer::start_with_ports(config, spool, directory, transport, ports).await
    }

    /// Like [`Dialer::start`], taking media ports from `ports`: the pool the gateway of the
    /// same process uses, so the two never hand out the same port, nor one the other just
    /// freed.
    pub async fn start_with_ports(
        config: &DialerConfig,
        spool: Spool,
        directory: Directory,
        transport: Transport,
        ports: PortPool,
    ) -> Result<Dialer, DialerError> {
        if !config.trunk.enabled() {
            return Err(DialerError::Disabled);
        }
        let listen = config.sip.listen;
        // The Contact of our INVITEs carries the bound address: never 0.0.0.0.
        let ip = if listen.ip().is_unspecified() {
            config.sip.media_ip()
        } else {
            listen.ip()
        };
        // The dialer's stack only places calls, but its port answers whoever sends to it:
        // it gets the gateway's limits on untrusted sources and connections.
        let stack_config = |ip| StackConfig {
            listen: SocketAddr::new(ip, 0),
            tcp: true,
            user_agent: format!("faxvox/{}", env!("CARGO_PKG_VERSION")),
            guard: Some(StackGuard {
                trusted: config.sip.trusted_nets(),
                limits: config.sip.guard_limits(),
            }),
            limits: config.sip.conn_limits(),
            ..StackConfig::default()
        };
        let stack = match SipStack::start(stack_config(ip)).await {
            Ok((stack, _incoming)) => stack,
            Err(e) if ip != listen.ip() => {
                warn!(%ip, error = %e, "cannot bind the dialer to sip.media_ip; using sip.listen");
                SipStack::start(stack_config(listen.ip())).await?.0
            }
            Err(e) => return Err(e.into()),
        };
        let mut spool = spool;
        spool.set_retry_policy(retry_policy(&config.trunk));
        let origin = super::reconcile::spool_origin(&spool).map_err(|source| SpoolError::Io {
            op: "read the spool id",
            path: spool.root().to_path_buf(),
            source,
        })?;
        info!(sip = %stack.local_addr(), trunk = %config.trunk.redacted_uri(), "outbound dialer ready");
        Ok(Dialer {
            spool,
            directory: directory.clone(),
            billing: Billing::new(&directory, &config.billing),
            transport,
            composer: Composer::from_config(&config.smtp, &config.delivery)?,
            config: config.clone(),
            trunk: std::sync::RwLock::new(config.trunk.clone()),
            stack,
            ports,
            name: format!(
                "{}:{}:dialer",
                std::env::var("HOSTNAME").unwrap_or_else(|_| "faxvox".into()),
                std::process::id()
            ),
            origin,
            wake: None,
            clock: Arc::new(SystemTime::now),
        })
    }

    /// The delivery worker to wake when a status email is queued (else it finds the job at
    /// its next poll).
    pub fn wake_on_status(mut self, wake: Arc<Notify>) -> Dialer {
        self.wake = Some(wake);
        self
    }

    /// Replaces the clock (tests, simulations): the time the dialer claims, records and
    /// decides by. Call durations and the loop's pacing stay on the runtime's clock.
    pub fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Now, by the dialer's clock.
    fn now(&self) -> SystemTime {
        (self.clock)()
    }

    /// The trunk settings in force.
    pub fn trunk(&self) -> TrunkConfig {
        self.trunk
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Takes new trunk settings (SIGHUP): the next attempts dial the new URI with the new
    /// credentials, T.38 policy and retry schedule; calls in progress are not touched. An
    /// empty or malformed URI is refused (the old settings stay): stopping the dialer takes a
    /// restart, so that queued faxes are not silently left behind.
    pub fn reload_trunk(&self, trunk: &TrunkConfig) -> Result<(), DialerError> {
        if !trunk.enabled() {
            return Err(DialerError::BadTrunk(
                "empty; sending cannot be turned off by a reload (restart faxvox serve)".into(),
            ));
        }
        *self
            .trunk
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = trunk.clone();
        Ok(())
    }

    /// The dialer's SIP address (calls to the trunk come from here).
    pub fn local_addr(&self) -> SocketAddr {
        self.stack.local_addr()
    }

    /// Stops the dialer's SIP stack.
    pub fn shutdown(&self) {
        self.stack.shutdown();
    }

    /// Takes one due outbound fax, if any.
    fn claim(&self) -> Option<Claimed> {
        match self
            .spool
            .claim_due_of(self.now(), &self.name, DIAL_LEASE, &[JobKind::OutboundFax])
        {
            Ok(c) => c,
            Err(e) => {
                error!(error = %e, "cannot claim outbound faxes");
                None
            }
        }
    }

    /// Sends one claimed fax to its end (or its next retry).
    async fn send(self: Arc<Self>, claimed: Claimed) -> JobSummary {
        let span = tracing::info_span!("fax", job = %claimed.id);
        let fax_id = claimed.id.to_string();
        let outcome = self.process(claimed).instrument(span).await;
        JobSummary { fax_id, outcome }
    }

    /// Claims and sends due outbound faxes one by one until none is due (one-shot use).
    pub async fn dial_due(self: &Arc<Self>) -> Vec<JobSummary> {
        let mut done = Vec::new();
        while let Some(claimed) = self.claim() {
            done.push(self.clone().send(claimed).await);
        }
        done
    }

    /// The dialer's loop inside `serve`: keeps up to [`MAX_PARALLEL`] faxes going, looks for
    /// new ones every `poll` and whenever one ends, emails pending billing notices, and on
    /// `stop` lets the faxes in progress end before returning.
    pub async fn run(self: Arc<Self>, poll: Duration, stop: Arc<Notify>) {
        let mut running = JoinSet::new();
        let mut notices_due = Instant::now();
        let mut sweep_due = Instant::now();
        loop {
            if Instant::now() >= sweep_due {
                self.reconcile().await;
                sweep_due = Instant::now() + super::reconcile::SWEEP_EVERY;
            }
            while running.len() < MAX_PARALLEL {
                match self.claim() {
                    Some(claimed) => {
                        running.spawn(self.clone().send(claimed));
                    }
                    None => break,
                }
            }
            if Instant::now() >= notices_due && !self.send_notices().await {
                notices_due = Instant::now() + NOTICE_BACKOFF;
            }
            tokio::select! {
                Some(done) = running.join_next(), if !running.is_empty() => log_done(done),
                _ = tokio::time::sleep(poll) => {}
                _ = stop.notified() => break,
            }
        }
        if !running.is_empty() {
            info!(faxes = running.len(), "waiting for the faxes being sent");
        }
        while let Some(done) = running.join_next().await {
            log_done(done);
        }
    }

    /// Emails the billing notices not sent yet (80 % / 100 % of the ceiling) to their
    /// accounts, each marked sent once the mail server took it. False when one failed.
    pub async fn send_notices(&self) -> bool {
        let pending = match self.billing.pending_notices().await {
            Ok(p) => p,
            Err(e) => {
                error!(error = %e, "cannot read pending billing notices");
                return false;
            }
        };
        let mut ok = true;
        for notice in pending {
            let account = match self.directory.account(&notice.account).await {
                Ok(Some(a)) => a,
                Ok(None) => continue,
                Err(e) => {
                    error!(error = %e, "cannot read the account of a billing notice");
                    ok = false;
                    continue;
                }
            };
            let locale = Locale::from_tag(account.locale.as_str()).unwrap_or_default();
            let mail = match self.composer.compose_ceiling_notice(
                &account.emails,
                locale,
                &ceiling_notice(&notice),
            ) {
                Ok(m) => m,
                Err(e) => {
                    warn!(notice = %notice.id, error = %e, "cannot compose a billing notice");
                    ok = false;
                    continue;
                }
            };
            match self
                .transport
                .send(
                    &notice.id,
                    &mail.envelope_from,
                    &mail.recipients,
                    &mail.bytes,
                )
                .await
            {
                SendOutcome::Delivered { .. } | SendOutcome::Permanent { .. } => {
                    // A refused address will not get better by retrying every minute.
                    if let Err(e) = self.billing.mark_notice_sent(&notice.id, self.now()).await {
                        error!(notice = %notice.id, error = %e, "cannot mark a billing notice sent");
                        ok = false;
                    } else {
                        info!(account = %notice.account, threshold = notice.threshold, "billing notice emailed");
                    }
                }
                SendOutcome::Temporary { error, .. } => {
                    warn!(notice = %notice.id, error, "billing notice not delivered; will retry");
                    ok = false;
                }
            }
        }
        ok
    }

    /// One claimed job; returns a word for the log.
    async fn process(&self, mut claimed: Claimed) -> String {
        let facts = match OutboundFacts::from_map(claimed.facts()) {
            Ok(f) => f,
            Err(e) => {
                error!(error = %e, "outbound job without usable facts");
                let _ = self.spool.fail(self.now(), &claimed, &e.to_string(), true);
                // The reservation is found by the fax id (= job id): nothing was dialled.
                self.release_for_fax(claimed.id.as_str(), &format!("job details unreadable: {e}"))
                    .await;
                return "dead (bad facts)".into();
            }
        };
        if let Some(result) = FaxResult::from_facts(claimed.facts()) {
            // Dialled before a crash or a billing error: only the bookkeeping is left.
            return self.finish(&mut claimed, &facts, result).await;
        }
        // Only a fax whose money is held goes out: a reservation closed meanwhile (the
        // reconciliation released it when the job was quarantined or dead, and an admin
        // brought it back) would let it go uncharged.
        match self.billing.reservation(&facts.reservation).await {
            Ok(Some(r)) if r.state == ReservationState::Open => {}
            Ok(found) => {
                let why = match found {
                    Some(r) => format!(
                        "its reservation {} is {} ({}): nothing sent; submit the fax again",
                        r.id,
                        match r.state {
                            ReservationState::Settled => "settled",
                            _ => "released",
                        },
                        r.close_reason.as_deref().unwrap_or("closed")
                    ),
                    None => format!(
                        "its reservation {} does not exist: nothing sent; submit the fax again",
                        facts.reservation
                    ),
                };
                error!(reason = %why, "outbound fax refused");
                let _ = self.spool.fail(self.now(), &claimed, &why, true);
                return format!("dead ({why})");
            }
            Err(e) => {
                let trunk = self.trunk();
                return self
                    .retry_later(&trunk, &claimed, &facts, 0, &format!("billing: {e}"))
                    .await;
            }
        }
        let mut attempts: Vec<AttemptRecord> = claimed
            .facts()
            .get("attempts")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let mut confirmed = fact_u32(&claimed, "pages_confirmed").min(facts.pages);
        // What the ladder decides from: the job's record, and the spool's schedule of it.
        let (first_attempt, claims) = (claimed.manifest.first_attempt, claimed.manifest.attempts);
        let start = ladder::Progress {
            pages: facts.pages,
            confirmed,
            attempts: &[],
            first_attempt,
            claims,
        };
        let mut step = ladder::next(
            self.now(),
            &ladder::Progress {
                attempts: &attempts,
                confirmed,
                ..start
            },
            None,
            &self.policy(&self.trunk()),
        );
        // Seconds of the last call of this claim, for the result.
        let mut duration = 0;
        loop {
            let trunk = self.trunk();
            let plan = match step {
                ladder::Step::Dial(plan) => plan,
                ladder::Step::RetryAt { at, reason } => {
                    debug!(next_attempt = %format_rfc3339(at), "busy or no answer: dialling again later");
                    return self
                        .retry_later(&trunk, &claimed, &facts, confirmed, &reason)
                        .await;
                }
                ladder::Step::Conclude { reason } => {
                    let n = attempts.len();
                    return self
                        .conclude(&mut claimed, &facts, confirmed, n, duration, reason)
                        .await;
                }
            };
            let (mode, remaining) = (plan.mode, plan.remaining);
            let now = self.now();
            if let Err(e) = self.spool.extend_lease(now, &mut claimed, DIAL_LEASE) {
                warn!(error = %e, "lease lost before dialling; leaving the job to its new holder");
                return "lease lost".into();
            }
            let tmp = match tempfile::tempdir() {
                Ok(t) => t,
                Err(e) => {
                    return self
                        .retry_later(
                            &trunk,
                            &claimed,
                            &facts,
                            confirmed,
                            &format!("temp folder: {e}"),
                        )
                        .await
                }
            };
            let document = match remaining_document(&claimed, confirmed, tmp.path()) {
                Ok(d) => d,
                Err(e) => {
                    return self
                        .conclude(&mut claimed, &facts, confirmed, attempts.len(), 0, e)
                        .await
                }
            };
            let call_id = format!("{:016x}@faxvox-out", rand::random::<u64>());
            let request = self.request(&trunk, &facts, call_id, document, mode);
            info!(
                call_id = %request.call_id,
                to = %facts.to,
                attempt = attempts.len() + 1,
                remaining,
                fallback = plan.fallback,
                "dialling"
            );
            let in_progress = metrics().call_started(MetricDir::Out, MetricKind::Fax);
            let limit = MediaSettings::default().fax_max_duration + CALL_MARGIN;
            let started = self.now();
            let result =
                match tokio::time::timeout(limit, dial(&self.stack, &self.ports, &request)).await {
                    Ok(r) => r,
                    Err(_) => DialResult {
                        call_id: request.call_id.clone(),
                        reason: format!("call still going after {} s", limit.as_secs()),
                        ..DialResult::default()
                    },
                };
            drop(tmp);
            drop(in_progress);
            let (verdict, pages) = ladder::classify(&result, remaining);
            // One dial in the metrics: its cause, the call it was, its T.30 result, its pages.
            {
                let (m, cause) = (metrics(), ladder::cause(&result, &verdict));
                m.outbound_attempt(cause);
                if result.answered {
                    let duration = result.duration();
                    m.call_ended(
                        MetricDir::Out,
                        MetricKind::Fax,
                        cause.call_result(),
                        duration,
                    );
                } else {
                    m.call_refused(MetricDir::Out, MetricKind::Fax, cause.call_result());
                }
                if let Some(fax) = result.media.as_ref().and_then(|m| m.fax.as_ref()) {
                    m.t30_result(MetricDir::Out, crate::fax::t30_class(fax.result_code));
                }
                m.fax_pages(MetricDir::Out, pages);
            }
            confirmed = (confirmed + pages).min(facts.pages);
            let record = AttemptRecord {
                at: format_rfc3339(started),
                call_id: result.call_id.clone(),
                status: result.status,
                reason: verdict.reason().to_string(),
                pages,
                t38: result.t38(),
                ecm: mode.ecm,
                fallback: plan.fallback,
                duration_secs: result.duration().as_secs(),
                max_bit_rate: mode.max_bit_rate(),
            };
            info!(call_id = %record.call_id, ?verdict, pages, confirmed, "attempt ended");
            attempts.push(record.clone());
            let fallbacks = ladder::Progress {
                attempts: &attempts,
                ..start
            }
            .fallbacks();
            let stored = self.spool.update_facts(self.now(), &mut claimed, |f| {
                f.insert(
                    "attempts".into(),
                    serde_json::to_value(&attempts).unwrap_or_default(),
                );
                f.insert("pages_confirmed".into(), confirmed.into());
                f.insert("fallbacks".into(), fallbacks.into());
            });
            if let Err(e) = stored {
                error!(error = %e, "cannot record the attempt in the job");
            }
            let last = ladder::Attempted {
                dial: plan,
                verdict,
                used_t38: result.t38(),
            };
            step = ladder::next(
                self.now(),
                &ladder::Progress {
                    attempts: &attempts,
                    confirmed,
                    ..start
                },
                Some(&last),
                &self.policy(&trunk),
            );
            // The final attempt carries the fax's charge, earlier ones 0: the costs of a fax's
            // records add up to what the ledger charges (the statement relies on it).
            let last_of_fax = matches!(step, ladder::Step::Conclude { .. });
            let cost = if last_of_fax {
                charge(&facts, confirmed)
            } else {
                Money::ZERO
            };
            self.add_record(&facts, &result, &record, started, cost, last_of_fax)
                .await;
            duration = record.duration_secs;
            if let ladder::Step::Dial(next) = &step {
                info!(t38 = ?next.mode.t38, ecm = next.mode.ecm, max_bit_rate = next.mode.max_bit_rate(), "T.30 failure: trying again at once with a fallback");
            }
        }
    }

    /// The ladder's rules under the trunk settings `trunk`.
    fn policy(&self, trunk: &TrunkConfig) -> ladder::Policy {
        ladder::Policy::new(
            trunk.t38,
            self.config.fax.ecm,
            trunk.max_attempts,
            trunk.retry_delay(),
        )
    }

    fn request(
        &self,
        trunk: &TrunkConfig,
        facts: &OutboundFacts,
        call_id: String,
        document: std::path::PathBuf,
        mode: AttemptMode,
    ) -> DialRequest {
        let (to, tcp) = trunk
            .uri
            .as_ref()
            .map(|uri| uri.target(&facts.to))
            .unwrap_or_default();
        let mut media = MediaSettings::from_config(&self.config.media, &self.config.fax);
        media.ecm = mode.ecm;
        media.modems = mode.modems;
        if !facts.anonymous {
            // Our TSI: the caller id, as far as T.30 allows (digits, '+', spaces, 20 chars).
            media.station_id = facts.from.chars().take(20).collect();
        }
        let (from_user, from_display) = if facts.anonymous {
            (ANONYMOUS.to_string(), Some("Anonymous".to_string()))
        } else {
            (facts.from.clone(), None)
        };
        let (from_uri, headers) = identity_headers(&facts.from, &to, facts.anonymous);
        DialRequest {
            call_id,
            to,
            from_user,
            from_display,
            from_uri,
            headers,
            tcp,
            credentials: (!trunk.user.trim().is_empty()).then(|| SipCredentials {
                user: trunk.user.trim().to_string(),
                password: trunk.password.clone(),
            }),
            call: CallConfig {
                t38: mode.t38,
                max_duration: self.config.sip.max_call_duration(),
                ..CallConfig::default()
            },
            offer: InitialOffer::Audio,
            media,
            payload: Payload::Fax { document },
        }
    }

    /// Busy / no answer with attempts left: `retrying`, due `trunk.retry_secs` later. Should
    /// the spool give up instead (retry budget spent), the reservation is settled for the
    /// `confirmed` pages or released: a dead job never keeps money held.
    async fn retry_later(
        &self,
        trunk: &TrunkConfig,
        claimed: &Claimed,
        facts: &OutboundFacts,
        confirmed: u32,
        reason: &str,
    ) -> String {
        let mut spool = self.spool.clone();
        spool.set_retry_policy(retry_policy(trunk));
        let now = self.now();
        match spool.fail(now, claimed, reason, false) {
            Ok(FailOutcome::Dead { reason: dead }) => {
                warn!(reason = %dead, "fax given up by the spool");
                let why = format!("job dead: {dead}");
                let closed = if confirmed > 0 {
                    self.billing
                        .settle_because(&facts.reservation, confirmed, &why, now)
                        .await
                        .map(|_| ())
                } else {
                    self.billing
                        .release_because(&facts.reservation, Some(&why), now)
                        .await
                };
                if let Err(e) = closed {
                    error!(error = %e, "cannot close the reservation of a dead fax; the reconciliation will");
                }
                format!("dead ({dead})")
            }
            Ok(out) => {
                info!(reason, ?out, "fax will be dialled again");
                format!("retrying ({reason})")
            }
            Err(e) => {
                error!(error = %e, "cannot reschedule the fax");
                "lease lost".into()
            }
        }
    }

    /// Releases the reservation of fax `fax_id`, if it has an open one (its facts could not
    /// be read, so the reservation id is looked up by the fax).
    async fn release_for_fax(&self, fax_id: &str, reason: &str) {
        match self.billing.reservation_for_fax(fax_id).await {
            Ok(Some(r)) if r.state == ReservationState::Open => {
                if let Err(e) = self
                    .billing
                    .release_because(&r.id, Some(reason), self.now())
                    .await
                {
                    error!(error = %e, "cannot release the reservation; the reconciliation will");
                }
            }
            Ok(_) => {}
            Err(e) => {
                error!(error = %e, "cannot look up the reservation; the reconciliation will")
            }
        }
    }

    /// The reconciliation sweep over this dialer's spool ([`super::reconcile`]).
    pub async fn reconcile(&self) -> Vec<super::reconcile::Reconciled> {
        let legacy = self.directory.backend() == Backend::Sqlite;
        match super::reconcile::reconcile(
            &self.billing,
            &self.spool,
            &self.origin,
            legacy,
            self.now(),
            super::reconcile::GRACE,
        )
        .await
        {
            Ok(done) => {
                if !done.is_empty() {
                    info!(
                        closed = done.len(),
                        "reconciliation closed orphaned reservations"
                    );
                }
                done
            }
            Err(e) => {
                error!(error = %e, "reconciliation failed; next sweep");
                Vec::new()
            }
        }
    }

    /// The fax is final: stores the result, then [`Dialer::finish`]es it.
    async fn conclude(
        &self,
        claimed: &mut Claimed,
        facts: &OutboundFacts,
        confirmed: u32,
        attempts: usize,
        duration_secs: u64,
        reason: String,
    ) -> String {
        // Every page confirmed is sent, whatever the last attempt said; "sent" with pages
        // missing is not.
        let sent = confirmed >= facts.pages;
        let reason = match (sent, reason == "sent") {
            (true, _) => "sent".to_string(),
            (false, true) => format!(
                "the far end confirmed {confirmed} of {} page(s)",
                facts.pages
            ),
            (false, false) => reason,
        };
        let result = FaxResult {
            sent,
            pages_confirmed: confirmed,
            pages: facts.pages,
            charged: charge(facts, confirmed),
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            duration_secs,
            reason,
            at: format_rfc3339(self.now()),
        };
        let stored = self.spool.update_facts(self.now(), claimed, |f| {
            f.insert(
                "result".into(),
                serde_json::to_value(&result).unwrap_or_default(),
            );
        });
        if let Err(e) = stored {
            error!(error = %e, "cannot record the fax result; the next claim settles it");
            return "lease lost".into();
        }
        self.finish(claimed, facts, result).await
    }

    /// Billing (settle the confirmed pages, release the rest), the client's status email
    /// (once), then `delivered` or `dead`. A billing error leaves the job `retrying`: the next
    /// claim finishes it without dialling.
    async fn finish(
        &self,
        claimed: &mut Claimed,
        facts: &OutboundFacts,
        result: FaxResult,
    ) -> String {
        let now = self.now();
        let billed = if result.pages_confirmed > 0 {
            self.billing
                .settle(&facts.reservation, result.pages_confirmed, now)
                .await
        } else {
            self.billing
                .release(&facts.reservation)
                .await
                .map(|()| Money::ZERO)
        };
        let charged = match billed {
            Ok(c) => c,
            Err(e @ (BillingError::AlreadyReleased(_) | BillingError::UnknownReservation(_))) => {
                error!(error = %e, "reservation unusable: nothing charged for this fax");
                Money::ZERO
            }
            Err(e) => {
                error!(error = %e, "billing failed; will settle on the next claim");
                let _ = self
                    .spool
                    .fail(now, claimed, &format!("billing: {e}"), false);
                return "retrying (billing)".into();
            }
        };
        let mut result = result;
        if charged != result.charged {
            // The ledger is the truth: the client is told what was charged.
            warn!(%charged, expected = %result.charged, "charge differs from pages × rate");
            result.charged = charged;
        }
        if !claimed.facts().contains_key("status_email") {
            match self.queue_status(claimed, facts, &result, charged).await {
                Ok(note) => {
                    if let Err(e) = self.spool.update_facts(now, claimed, |f| {
                        f.insert("status_email".into(), note.into());
                    }) {
                        warn!(error = %e, "cannot record the status email in the job");
                    }
                }
                Err(e) => {
                    // Billing is done (idempotent); the next claim only queues the email.
                    error!(error = %e, "status email not queued; will try again");
                    let _ = self
                        .spool
                        .fail(now, claimed, &format!("status email: {e}"), false);
                    return "retrying (status email)".into();
                }
            }
        }
        let summary = format!(
            "{}/{} pages, {} € charged, {} attempt(s): {}",
            result.pages_confirmed, result.pages, charged, result.attempts, result.reason
        );
        let done = if result.sent {
            self.spool.complete(now, claimed, &summary)
        } else {
            self.spool.fail(now, claimed, &summary, true).map(|_| ())
        };
        if let Err(e) = done {
            error!(error = %e, "cannot record the final state of the fax");
        }
        info!(sent = result.sent, %summary, "fax final");
        if result.sent {
            format!("sent: {summary}")
        } else {
            format!("failed: {summary}")
        }
    }

    /// A call record for one attempt (direction out) with its `cost`: the fax's charge on
    /// the final attempt, zero on the others.
    async fn add_record(
        &self,
        facts: &OutboundFacts,
        result: &DialResult,
        attempt: &AttemptRecord,
        started: SystemTime,
        cost: Money,
        last: bool,
    ) {
        let status = match (result.answered, attempt.pages) {
            (true, p) if p > 0 && attempt.reason == "sent" => CallStatus::Ok,
            (true, p) if p > 0 => CallStatus::Partial,
            _ => CallStatus::Failed,
        };
        let mut r = NewCallRecord::new(
            result.call_id.clone(),
            facts.to.clone(),
            CallKind::Fax,
            status,
            started,
        );
        r.direction = Direction::Out;
        r.account = Some(facts.account.clone());
        r.line = Some(facts.from.clone());
        r.caller = if facts.anonymous {
            ANONYMOUS.into()
        } else {
            facts.from.clone()
        };
        if let Some(report) = &result.report {
            r.answered = report.answered_after.and_then(|a| started.checked_add(a));
            r.duration = result.duration();
        }
        r.pages = Some(attempt.pages);
        r.sip_status = result.status;
        r.reason = Some(if last {
            format!("{}; cost {} €", attempt.reason, cost)
        } else {
            attempt.reason.clone()
        });
        r.cost = Some(cost);
        r.job_id = Some(facts.fax_id.clone());
        r.rtp_lost = result.media.as_ref().map_or(0, |m| m.rtp.packets_lost);
        r.rtp_foreign = result.media.as_ref().map_or(0, |m| m.rtp.foreign);
        r.udptl_foreign = result.media.as_ref().map_or(0, |m| m.udptl_foreign);
        if let Err(e) = self.directory.add_call_record(&r).await {
            error!(call_id = %r.call_id, error = %e, "cannot store the call record");
        }
    }

    /// Queues the client's status email with its PDF transmission report as a spool job
    /// ([`super::status`]: the delivery worker sends it, with retries). Ok: what happened,
    /// for the facts; Err: a failure worth trying again (spool or directory).
    async fn queue_status(
        &self,
        claimed: &Claimed,
        facts: &OutboundFacts,
        result: &FaxResult,
        charged: Money,
    ) -> Result<String, String> {
        let account = match self.directory.account(&facts.account).await {
            Ok(Some(a)) => a,
            Ok(None) => return Ok(format!("not sent: account {} is gone", facts.account)),
            Err(e) => return Err(format!("directory: {e}")),
        };
        let locale = Locale::from_tag(account.locale.as_str()).unwrap_or_default();
        let zone = account.zone().unwrap_or(jiff::tz::TimeZone::UTC);
        // The PDF report is a plus: without it the client still gets the text email.
        let report = match status_report(claimed, facts, result, charged, locale, zone).await {
            Ok(pdf) => Some(pdf),
            Err(e) => {
                warn!(error = %e, "no transmission report; the status email goes without it");
                None
            }
        };
        let spool = self.spool.clone();
        let (f, r, clock) = (facts.clone(), result.clone(), self.clock.clone());
        let queued = tokio::task::spawn_blocking(move || {
            status::enqueue(&spool, clock(), &f, &r, charged, report.as_deref())
        })
        .await
        .map_err(|e| format!("status job task failed: {e}"))?;
        match queued {
            Ok(id) => {
                info!(status_job = %id, "status email queued");
                if let Some(wake) = &self.wake {
                    wake.notify_one();
                }
                Ok(format!("queued as {id}"))
            }
            Err(e) => Err(format!("cannot queue the status email: {e}")),
        }
    }
}

fn log_done(done: Result<JobSummary, JoinError>) {
    match done {
        Ok(job) => info!(job = %job.fax_id, outcome = %job.outcome, "outbound fax"),
        Err(e) => error!(error = %e, "an outbound fax task crashed; its job is taken again"),
    }
}

/// The email's view of a ledger notice.
fn ceiling_notice(notice: &Notice) -> CeilingNotice {
    CeilingNotice {
        id: notice.id.clone(),
        period: notice.period.clone(),
        threshold: notice.threshold,
        consumed: notice.consumed.to_string(),
        limit: notice.limit.to_string(),
    }
}

/// What `confirmed` pages cost at the reserved rate (never more than the reservation).
fn charge(facts: &OutboundFacts, confirmed: u32) -> Money {
    crate::billing::charge_for(facts.rate, facts.pages, facts.amount, confirmed)
        .unwrap_or(facts.amount)
}

fn fact_u32(claimed: &Claimed, key: &str) -> u32 {
    claimed
        .facts()
        .get(key)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

/// The document to send now: the job's TIFF, or its pages after the `confirmed` first ones
/// (written into `tmp`). Err = why the fax cannot be sent at all.
fn remaining_document(
    claimed: &Claimed,
    confirmed: u32,
    tmp: &std::path::Path,
) -> Result<std::path::PathBuf, String> {
    let path = claimed.media_path(DOCUMENT);
    if confirmed == 0 {
        return Ok(path);
    }
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {DOCUMENT}: {e}"))?;
    let pages = faxvox_codecs::tiff::read_pages(&bytes)
        .map_err(|e| format!("cannot read {DOCUMENT}: {e}"))?
        .into_pages();
    let rest = pages.get(confirmed as usize..).unwrap_or_default();
    if rest.is_empty() {
        return Err("no page left to send".into());
    }
    let out = tmp.join("remaining.tif");
    std::fs::write(&out, faxvox_codecs::tiff::write_g4_tiff(rest))
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    Ok(out)
}

/// The first page of an outbound job's document (`document.tif`), for the report's
/// thumbnail. Decodes the whole TIFF (at most [`super::MAX_PAGES`] fax pages): blocking.
fn first_page(document: &std::path::Path) -> Result<faxvox_codecs::Page, ReportError> {
    let bytes = std::fs::read(document)
        .map_err(|e| ReportError::Document(format!("{}: {e}", document.display())))?;
    faxvox_codecs::tiff::read_pages(&bytes)
        .map_err(|e| ReportError::Document(format!("{DOCUMENT}: {e}")))?
        .into_pages()
        .into_iter()
        .next()
        .ok_or_else(|| ReportError::Document(format!("{DOCUMENT} has no pages")))
}

/// The PDF transmission report of a final fax ([`transmission_report`]), built on the
/// blocking pool. An unreadable document only loses the thumbnail (with a warning).
async fn status_report(
    claimed: &Claimed,
    facts: &OutboundFacts,
    result: &FaxResult,
    charged: Money,
    locale: Locale,
    zone: jiff::tz::TimeZone,
) -> Result<Vec<u8>, ReportError> {
    let document = claimed.media_path(DOCUMENT);
    let attempts: Vec<AttemptRecord> = claimed
        .facts()
        .get("attempts")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let (facts, result) = (facts.clone(), result.clone());
    tokio::task::spawn_blocking(move || {
        let page = first_page(&document)
            .inspect_err(|e| warn!(error = %e, "transmission report without a thumbnail"))
            .ok();
        transmission_report(
            &facts,
            &result,
            charged,
            page.as_ref(),
            locale,
            &zone,
            &attempts,
        )
    })
    .await
    .map_err(|e| ReportError::Document(format!("report task failed: {e}")))?
}
