//! The outbound fax dialer: runs inside `faxvox serve` next to the email delivery worker and
//! claims due faxes from the shared queue in the database ([`super::queue`]), whichever node
//! took them in, with a lease of `trunk.lease_secs` renewed while the call runs. On the node
//! that took the fax in, its spool job ([`JobKind::OutboundFax`], claimed by id with
//! [`Spool::claim_id`]) is kept in step as the local record.
//!
//! For each due fax: dial `trunk.uri` with the destination as Request-URI user (From = the
//! account's number, or `anonymous`), transmit `document.tif` with [`dial`] (each page
//! stamped with its header line at that moment, unless the client turned it off:
//! [`super::header`]), record the
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
//! Billing commits with the outcome, in one transaction conditional on the lease
//! ([`super::queue::Queue::conclude`]), so a dialer whose lease another node took over
//! charges nothing: each fax is charged once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use faxvox_spool::{
    format_rfc3339, Claimed, JobId, JobKind, ListFilter, RetryPolicy, Spool, SpoolError, StateName,
};
use serde_json::{Map, Value};
use thiserror::Error;
use tokio::sync::Notify;
use tokio::task::{JoinError, JoinSet};
use tracing::{debug, error, info, warn, Instrument};

use super::header::{stamp_pages, Sender};
use super::ladder::{self, AttemptMode};
use super::queue::{Conclusion, Leased, Queue, QueueError, QueueState};
use super::report::{transmission_report, ReportError};
use super::{status, DialerConfig, TrunkConfig, ANONYMOUS};
use crate::billing::{Billing, Notice, ReservationState};
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

/// How long the local spool record of a fax is held while this node sends it (the shared
/// queue's lease, `trunk.lease_secs`, is what other nodes wait for).
pub const DIAL_LEASE: Duration = Duration::from_secs(2 * 3600);
/// Backstop on one call, beyond the fax session's own limit.
const CALL_MARGIN: Duration = Duration::from_secs(120);
/// How far back each poll looks for this node's faxes that other nodes ended (their clocks
/// may differ from ours).
const SYNC_MARGIN: Duration = Duration::from_secs(60);
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
    /// The outbound queue in the shared database: what this dialer claims from.
    queue: Queue,
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
        let billing = Billing::new(&directory, &config.billing);
        Ok(Dialer {
            spool,
            directory: directory.clone(),
            queue: Queue::new(&directory, &billing)
                .with_max_active_per_account(config.outbound.max_active_per_account),
            billing,
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

    /// The lease on a fax in the shared queue, under the trunk settings in force.
    fn lease(&self) -> Duration {
        self.trunk().lease()
    }

    /// Takes one due outbound fax from the shared queue, if any, with its document; on the
    /// node that accepted it, also its spool record.
    async fn claim(&self) -> Option<Job> {
        let now = self.now();
        let db = match self.queue.claim(&self.name, now, self.lease()).await {
            Ok(Some(l)) => l,
            Ok(None) => return None,
            Err(e) => {
                error!(error = %e, "cannot claim outbound faxes");
                return None;
            }
        };
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => {
                error!(error = %e, "no temp folder for an outbound fax; it is taken again later");
                return None;
            }
        };
        // An unreadable document is found out (and the fax ended) when it is needed.
        match self.queue.document(&db.id).await {
            Ok(bytes) => {
                if let Err(e) = std::fs::write(dir.path().join(DOCUMENT), bytes) {
                    warn!(fax = %db.id, error = %e, "cannot write the document to a temp folder");
                }
            }
            Err(e) => warn!(fax = %db.id, error = %e, "cannot read the document of the fax"),
        }
        let local = if db.origin == self.origin {
            match db.id.parse::<JobId>() {
                Ok(id) => match self.spool.claim_id(now, &id, &self.name, DIAL_LEASE) {
                    Ok(c) => c,
                    Err(e) => {
                        warn!(fax = %db.id, error = %e, "cannot take the spool record of the fax");
                        None
                    }
                },
                Err(_) => None,
            }
        } else {
            None
        };
        Some(Job { db, local, dir })
    }

    /// Sends one claimed fax to its end (or its next retry).
    async fn send(self: Arc<Self>, job: Job) -> JobSummary {
        let span = tracing::info_span!("fax", job = %job.db.id);
        let fax_id = job.db.id.clone();
        let outcome = self.process(job).instrument(span).await;
        JobSummary { fax_id, outcome }
    }

    /// Claims and sends due outbound faxes one by one until none is due (one-shot use).
    pub async fn dial_due(self: &Arc<Self>) -> Vec<JobSummary> {
        let mut done = Vec::new();
        while let Some(job) = self.claim().await {
            done.push(self.clone().send(job).await);
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
        let mut synced = self.now();
        loop {
            if Instant::now() >= sweep_due {
                self.reconcile().await;
                sweep_due = Instant::now() + super::reconcile::SWEEP_EVERY;
            }
            // Faxes of this node that another node ended: their spool records follow at once
            // (`spool show`, `send --wait`). A margin covers clocks that differ between nodes.
            let now = self.now();
            self.sync_ended(synced).await;
            synced = now.checked_sub(SYNC_MARGIN).unwrap_or(now);
            while running.len() < MAX_PARALLEL {
                match self.claim().await {
                    Some(job) => {
                        running.spawn(self.clone().send(job));
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

    /// One claimed fax; returns a word for the log.
    async fn process(&self, mut job: Job) -> String {
        let facts = match OutboundFacts::from_map(&job.db.facts) {
            Ok(f) => f,
            Err(e) => {
                error!(error = %e, "outbound fax without usable facts");
                let why = e.to_string();
                if let Err(e) = self.queue.done(&mut job.db, self.now(), "dead", &why).await {
                    error!(error = %e, "cannot end the fax in the queue");
                }
                self.local_end(&job, false, &why);
                // The reservation is found by the fax id: nothing was dialled.
                self.release_for_fax(&job.db.id, &format!("job details unreadable: {e}"))
                    .await;
                return "dead (bad facts)".into();
            }
        };
        if let Some(result) = FaxResult::from_facts(&job.db.facts) {
            // Dialled before a crash or a billing error: only the bookkeeping is left.
            return self.finish(&mut job, &facts, result, None).await;
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
                if let Err(e) = self.queue.done(&mut job.db, self.now(), "dead", &why).await {
                    error!(error = %e, "cannot end the fax in the queue");
                }
                self.local_end(&job, false, &why);
                return format!("dead ({why})");
            }
            Err(e) => {
                let trunk = self.trunk();
                return self
                    .retry_later(&trunk, &mut job, &facts, 0, &format!("billing: {e}"))
                    .await;
            }
        }
        let mut attempts: Vec<AttemptRecord> = job
            .db
            .facts
            .get("attempts")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let mut confirmed = fact_u32(&job.db.facts, "pages_confirmed").min(facts.pages);
        // What the ladder decides from: the fax's record, and the queue's schedule of it.
        let (first_attempt, claims) = (Some(job.db.first_attempt), job.db.claims);
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
        // Who the header line on the pages names (the account is read once per claim).
        let sender = if job.db.header {
            let account = match self.directory.account(&facts.account).await {
                Ok(a) => a,
                Err(e) => {
                    warn!(error = %e, "cannot read the account for the header line; it names the caller id alone, in UTC");
                    None
                }
            };
            Some(Sender::of(account.as_ref(), &facts))
        } else {
            None
        };
        // Seconds of the last call of this claim, for the result.
        let mut duration = 0;
        // The record of the fax's last call: written once the charge is known.
        let mut last_call = None;
        loop {
            let trunk = self.trunk();
            let plan = match step {
                ladder::Step::Dial(plan) => plan,
                ladder::Step::RetryAt { at, reason } => {
                    debug!(next_attempt = %format_rfc3339(at), "busy or no answer: dialling again later");
                    return self
                        .retry_later(&trunk, &mut job, &facts, confirmed, &reason)
                        .await;
                }
                ladder::Step::Conclude { reason } => {
                    let n = attempts.len();
                    return self
                        .conclude(&mut job, &facts, confirmed, n, duration, reason, last_call)
                        .await;
                }
            };
            let (mode, remaining) = (plan.mode, plan.remaining);
            if let Err(e) = self.renew(&mut job).await {
                warn!(error = %e, "lease lost before dialling; leaving the fax to its new holder");
                return "lease lost".into();
            }
            let tmp = match tempfile::tempdir() {
                Ok(t) => t,
                Err(e) => {
                    return self
                        .retry_later(
                            &trunk,
                            &mut job,
                            &facts,
                            confirmed,
                            &format!("temp folder: {e}"),
                        )
                        .await
                }
            };
            // The pages not yet confirmed, each stamped with its header line as of now.
            let stamp = sender.clone().map(|s| (s, self.now(), facts.pages));
            let document =
                match document_to_send(job.document(), confirmed, tmp.path(), stamp).await {
                    Ok(d) => d,
                    Err(e) => {
                        let n = attempts.len();
                        return self
                            .conclude(&mut job, &facts, confirmed, n, 0, e, last_call)
                            .await;
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
            let result = {
                let call = tokio::time::timeout(limit, dial(&self.stack, &self.ports, &request));
                tokio::pin!(call);
                // The lease is renewed while the call runs, so no other node takes the fax.
                let every = trunk.lease() / 3;
                let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
                loop {
                    tokio::select! {
                        r = &mut call => break r,
                        _ = tick.tick() => {
                            if let Err(e) = self.renew(&mut job).await {
                                warn!(error = %e, "cannot renew the lease during the call");
                            }
                        }
                    }
                }
            };
            let result = match result {
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
            let mut changes = Map::new();
            changes.insert(
                "attempts".into(),
                serde_json::to_value(&attempts).unwrap_or_default(),
            );
            changes.insert("pages_confirmed".into(), confirmed.into());
            changes.insert("fallbacks".into(), fallbacks.into());
            if let Err(e) = self.store_facts(&mut job, changes).await {
                error!(error = %e, "cannot record the attempt of the fax");
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
            // records add up to what the ledger charges (the statement relies on it). The
            // final one is written once the charge is committed, by the lease holder.
            let last_of_fax = matches!(step, ladder::Step::Conclude { .. });
            duration = record.duration_secs;
            if last_of_fax {
                last_call = Some(LastCall {
                    result,
                    record,
                    started,
                });
            } else {
                self.add_record(&facts, &result, &record, started, Money::ZERO, false)
                    .await;
            }
            if let ladder::Step::Dial(next) = &step {
                info!(t38 = ?next.mode.t38, ecm = next.mode.ecm, max_bit_rate = next.mode.max_bit_rate(), "T.30 failure: trying again at once with a fallback");
            }
        }
    }

    /// Extends the fax's lease in the queue (and its spool record's).
    async fn renew(&self, job: &mut Job) -> Result<(), QueueError> {
        let now = self.now();
        self.queue.renew(&mut job.db, now, self.lease()).await?;
        if let Some(local) = job.local.as_mut() {
            if let Err(e) = self.spool.extend_lease(now, local, DIAL_LEASE) {
                warn!(error = %e, "cannot extend the spool record's lease");
            }
        }
        Ok(())
    }

    /// Adds `changes` to the fax's facts, in the queue and in its spool record.
    async fn store_facts(
        &self,
        job: &mut Job,
        changes: Map<String, Value>,
    ) -> Result<(), QueueError> {
        let now = self.now();
        for (k, v) in &changes {
            job.db.facts.insert(k.clone(), v.clone());
        }
        let stored = self.queue.update_facts(&job.db, now).await;
        if let Some(local) = job.local.as_mut() {
            if let Err(e) = self.spool.update_facts(now, local, |f| f.extend(changes)) {
                warn!(error = %e, "cannot update the spool record of the fax");
            }
        }
        stored
    }

    /// The fax is over: its spool record (if this node has it) says so too.
    fn local_end(&self, job: &Job, delivered: bool, summary: &str) {
        let Some(local) = &job.local else {
            return;
        };
        let now = self.now();
        let done = if delivered {
            self.spool.complete(now, local, summary)
        } else {
            self.spool.fail(now, local, summary, true).map(|_| ())
        };
        if let Err(e) = done {
            error!(error = %e, "cannot record the final state of the fax in the spool");
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

    /// Busy / no answer with attempts left: due again `trunk.retry_secs` later. Should the
    /// retry budget be spent instead, the fax is dead and its reservation settled for the
    /// `confirmed` pages or released, in the same transaction: a dead fax never keeps money
    /// held.
    async fn retry_later(
        &self,
        trunk: &TrunkConfig,
        job: &mut Job,
        facts: &OutboundFacts,
        confirmed: u32,
        reason: &str,
    ) -> String {
        let policy = retry_policy(trunk);
        let now = self.now();
        let (first, claims) = (job.db.first_attempt, job.db.claims);
        match policy.next_attempt(first, claims, now) {
            Some(next) => match self.queue.retry(&job.db, now, next, reason).await {
                Ok(()) => {
                    if let Some(local) = &job.local {
                        let mut spool = self.spool.clone();
                        spool.set_retry_policy(policy);
                        if let Err(e) = spool.fail(now, local, reason, false) {
                            warn!(error = %e, "cannot record the retry in the spool");
                        }
                    }
                    info!(reason, next_attempt = %format_rfc3339(next), "fax will be dialled again");
                    format!("retrying ({reason})")
                }
                Err(e) => {
                    error!(error = %e, "cannot reschedule the fax");
                    "lease lost".into()
                }
            },
            None => {
                let dead = format!(
                    "retry budget exhausted: {claims} attempts since {}, giving up after {}; last error: {reason}",
                    format_rfc3339(first),
                    faxvox_spool::human(policy.give_up_after)
                );
                warn!(reason = %dead, "fax given up");
                let why = format!("job dead: {dead}");
                let end = Conclusion {
                    reservation: &facts.reservation,
                    pages_confirmed: confirmed,
                    close_reason: Some(&why),
                    done: Some("dead"),
                    summary: &dead,
                };
                match self.queue.conclude(&mut job.db, now, &end).await {
                    Ok(_) => self.local_end(job, false, &dead),
                    Err(e) => {
                        error!(error = %e, "cannot end the dead fax; the next claim will")
                    }
                }
                format!("dead ({dead})")
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

    /// The sweep of this node's spool, at start and every few minutes: faxes of this spool
    /// missing from the shared queue (queued before it existed, or the node stopped between
    /// the spool and the queue) are put in it; spool records of faxes another node ended
    /// are brought up to date; then the reconciliation ([`super::reconcile`]).
    pub async fn reconcile(&self) -> Vec<super::reconcile::Reconciled> {
        self.sync_spool().await;
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

    /// See [`Dialer::reconcile`]: the spool's outbound faxes that are not over, against the
    /// shared queue.
    pub async fn sync_spool(&self) {
        let spool = self.spool.clone();
        let listed = tokio::task::spawn_blocking(move || {
            spool.list(&ListFilter::default().with_kind(JobKind::OutboundFax))
        })
        .await;
        let jobs = match listed {
            Ok(Ok(jobs)) => jobs,
            Ok(Err(e)) => {
                error!(error = %e, "cannot list the spool's outbound faxes");
                return;
            }
            Err(e) => {
                error!(error = %e, "spool listing task failed");
                return;
            }
        };
        for job in jobs {
            let open = matches!(
                job.state(),
                Some(StateName::Ready | StateName::Retrying | StateName::Sending)
            );
            let Some(manifest) = job.manifest.as_ref().filter(|_| open) else {
                continue;
            };
            let id = job.id.to_string();
            match self.queue.get(&id).await {
                Ok(None) => {
                    let Some(account) = manifest.facts.get("account").and_then(Value::as_str)
                    else {
                        continue;
                    };
                    let document = match std::fs::read(job.dir.join(DOCUMENT)) {
                        Ok(d) => d,
                        Err(e) => {
                            warn!(fax = %id, error = %e, "spool fax without a readable document");
                            continue;
                        }
                    };
                    match self
                        .queue
                        .enqueue(
                            &id,
                            account,
                            &self.origin,
                            &manifest.facts,
                            &document,
                            self.now(),
                        )
                        .await
                    {
                        Ok(true) => info!(fax = %id, "spool fax put in the shared queue"),
                        Ok(false) => {}
                        Err(e) => error!(fax = %id, error = %e, "cannot queue a spool fax"),
                    }
                }
                Ok(Some(q)) if q.state == QueueState::Done => self.update_record(&job.id, &q),
                Ok(Some(_)) => {}
                Err(e) => warn!(fax = %id, error = %e, "cannot look the fax up in the queue"),
            }
        }
    }

    /// Brings the spool records of this node's faxes that ended (by this node or another)
    /// since `since` up to date; a record already final is left alone.
    pub async fn sync_ended(&self, since: SystemTime) {
        let ended = match self.queue.done_since(&self.origin, since).await {
            Ok(e) => e,
            Err(e) => {
                warn!(error = %e, "cannot read the faxes that ended");
                return;
            }
        };
        for q in ended {
            let Ok(id) = q.id.parse::<JobId>() else {
                continue;
            };
            let open = match self.spool.get(&id) {
                Ok(job) => matches!(
                    job.state(),
                    Some(StateName::Ready | StateName::Retrying | StateName::Sending)
                ),
                Err(_) => false,
            };
            if open {
                self.update_record(&id, &q);
            }
        }
    }

    /// The spool record `id` of a fax the queue says is over (`q`): its facts and final
    /// state. Skipped when the record is held (being sent here).
    fn update_record(&self, id: &JobId, q: &super::queue::QueuedFax) {
        let now = self.now();
        let Ok(Some(mut local)) = self.spool.claim_id(now, id, &self.name, DIAL_LEASE) else {
            return;
        };
        let facts = q.facts.clone();
        if let Err(e) = self
            .spool
            .update_facts(now, &mut local, |f| f.extend(facts))
        {
            warn!(fax = %id, error = %e, "cannot update the spool record");
        }
        let summary = q.problem.clone().unwrap_or_default();
        let done = if q.outcome.as_deref() == Some("delivered") {
            self.spool.complete(now, &local, &summary)
        } else {
            self.spool.fail(now, &local, &summary, true).map(|_| ())
        };
        match done {
            Ok(()) => {
                info!(fax = %id, outcome = ?q.outcome, "spool record of a fax ended by another node: updated")
            }
            Err(e) => warn!(fax = %id, error = %e, "cannot update the spool record"),
        }
    }

    /// The fax is final: stores the result, then [`Dialer::finish`]es it.
    #[allow(clippy::too_many_arguments)]
    async fn conclude(
        &self,
        job: &mut Job,
        facts: &OutboundFacts,
        confirmed: u32,
        attempts: usize,
        duration_secs: u64,
        reason: String,
        last_call: Option<LastCall>,
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
        let mut changes = Map::new();
        changes.insert(
            "result".into(),
            serde_json::to_value(&result).unwrap_or_default(),
        );
        if let Err(e) = self.store_facts(job, changes).await {
            error!(error = %e, "cannot record the fax result");
            if let Some(call) = last_call {
                self.add_record(
                    facts,
                    &call.result,
                    &call.record,
                    call.started,
                    Money::ZERO,
                    true,
                )
                .await;
            }
            return "lease lost".into();
        }
        self.finish(job, facts, result, last_call).await
    }

    /// Billing (settle the confirmed pages, release the rest) in the same transaction as the
    /// fax's outcome, conditional on the lease; the last call's record with the charge; the
    /// client's status email (once, from this node's spool); then `delivered` or `dead`. A
    /// billing error leaves the fax for a later claim, which finishes it without dialling.
    async fn finish(
        &self,
        job: &mut Job,
        facts: &OutboundFacts,
        result: FaxResult,
        last_call: Option<LastCall>,
    ) -> String {
        let now = self.now();
        let charged = if job.db.state == QueueState::Queued {
            let end = Conclusion {
                reservation: &facts.reservation,
                pages_confirmed: result.pages_confirmed,
                close_reason: None,
                done: None,
                summary: &result.reason,
            };
            match self.queue.conclude(&mut job.db, now, &end).await {
                Ok(c) => c,
                Err(e) => {
                    if let Some(call) = &last_call {
                        self.add_record(
                            facts,
                            &call.result,
                            &call.record,
                            call.started,
                            Money::ZERO,
                            true,
                        )
                        .await;
                    }
                    if let QueueError::LeaseLost(_) = e {
                        warn!(error = %e, "the fax is another node's now: nothing charged here");
                        return "lease lost".into();
                    }
                    error!(error = %e, "billing failed; will settle on the next claim");
                    let next = now + retry_policy(&self.trunk()).delay_after(job.db.claims);
                    if let Err(e) = self
                        .queue
                        .retry(&job.db, now, next, &format!("billing: {e}"))
                        .await
                    {
                        error!(error = %e, "cannot reschedule the fax");
                    }
                    return "retrying (billing)".into();
                }
            }
        } else {
            // Final already (a crash before the status email): the ledger has the charge.
            match self.billing.reservation(&facts.reservation).await {
                Ok(Some(r)) => r.charged,
                Ok(None) => Money::ZERO,
                Err(e) => {
                    error!(error = %e, "cannot read the charge; will try again");
                    let next = now + retry_policy(&self.trunk()).delay_after(job.db.claims);
                    let _ = self
                        .queue
                        .retry(&job.db, now, next, &format!("billing: {e}"))
                        .await;
                    return "retrying (billing)".into();
                }
            }
        };
        if let Some(call) = &last_call {
            self.add_record(
                facts,
                &call.result,
                &call.record,
                call.started,
                charged,
                true,
            )
            .await;
        }
        let mut result = result;
        if charged != result.charged {
            // The ledger is the truth: the client is told what was charged.
            warn!(%charged, expected = %result.charged, "charge differs from pages × rate");
            result.charged = charged;
        }
        if !job.db.facts.contains_key("status_email") {
            match self.queue_status(job, facts, &result, charged).await {
                Ok(note) => {
                    let mut changes = Map::new();
                    changes.insert("status_email".into(), note.into());
                    if let Err(e) = self.store_facts(job, changes).await {
                        warn!(error = %e, "cannot record the status email of the fax");
                    }
                }
                Err(e) => {
                    // Billing is done; a later claim only queues the email.
                    error!(error = %e, "status email not queued; will try again");
                    let next = now + retry_policy(&self.trunk()).delay_after(job.db.claims);
                    let _ = self
                        .queue
                        .retry(&job.db, now, next, &format!("status email: {e}"))
                        .await;
                    if let Some(local) = &job.local {
                        let _ = self
                            .spool
                            .fail(now, local, &format!("status email: {e}"), false);
                    }
                    return "retrying (status email)".into();
                }
            }
        }
        if !job.db.facts.contains_key("webhook") {
            // The account's webhook event (`fax.sent` / `fax.failed`), when it has a webhook;
            // delivered from the spool by the worker like the status email.
            let call_id = last_call
                .as_ref()
                .map(|c| c.record.call_id.clone())
                .filter(|c| !c.is_empty());
            let event = crate::webhook::Event::outbound(facts, &result, call_id);
            match crate::webhook::enqueue(&self.directory, &self.spool, now, &event).await {
                Ok(Some(id)) => {
                    info!(webhook_job = %id, event = %event.kind, "webhook event queued");
                    let mut changes = Map::new();
                    changes.insert("webhook".into(), format!("queued as {id}").into());
                    if let Err(e) = self.store_facts(job, changes).await {
                        warn!(error = %e, "cannot record the webhook event of the fax");
                    }
                    if let Some(wake) = &self.wake {
                        wake.notify_one();
                    }
                }
                Ok(None) => {}
                Err(e) => error!(error = %e, "cannot queue the webhook event"),
            }
        }
        let summary = format!(
            "{}/{} pages, {} € charged, {} attempt(s): {}",
            result.pages_confirmed, result.pages, charged, result.attempts, result.reason
        );
        let outcome = if result.sent { "delivered" } else { "dead" };
        if let Err(e) = self.queue.done(&mut job.db, now, outcome, &summary).await {
            error!(error = %e, "cannot record the final state of the fax in the queue");
        }
        self.local_end(job, result.sent, &summary);
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
        job: &Job,
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
        let report = match status_report(job, facts, result, charged, locale, zone).await {
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

/// A fax held by this dialer: its row in the shared queue (the truth) and, on the node that
/// accepted it, its spool record, kept in step.
struct Job {
    db: Leased,
    local: Option<Claimed>,
    /// Holds the document, written from the queue for this claim.
    dir: tempfile::TempDir,
}

impl Job {
    /// The fax's document (G4 TIFF).
    fn document(&self) -> std::path::PathBuf {
        self.dir.path().join(DOCUMENT)
    }
}

/// The fax's last call, recorded once its charge is known.
struct LastCall {
    result: DialResult,
    record: AttemptRecord,
    started: SystemTime,
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

fn fact_u32(facts: &Map<String, Value>, key: &str) -> u32 {
    facts
        .get(key)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

/// The header line's sender, the time of the transmission and the fax's page count.
type Stamp = (Sender, SystemTime, u32);

/// [`remaining_document`] on the blocking pool (decoding, stamping and encoding up to
/// [`super::MAX_PAGES`] pages is CPU work).
async fn document_to_send(
    path: std::path::PathBuf,
    confirmed: u32,
    tmp: &std::path::Path,
    stamp: Option<Stamp>,
) -> Result<std::path::PathBuf, String> {
    let tmp = tmp.to_path_buf();
    tokio::task::spawn_blocking(move || remaining_document(&path, confirmed, &tmp, stamp.as_ref()))
        .await
        .unwrap_or_else(|e| Err(format!("preparing the pages failed: {e}")))
}

/// The document to send now: the job's TIFF, or its pages after the `confirmed` first ones,
/// with the header line stamped on each when `stamp` is given (page numbers counted in the
/// whole fax), written into `tmp`. Err = why the fax cannot be sent at all.
fn remaining_document(
    path: &std::path::Path,
    confirmed: u32,
    tmp: &std::path::Path,
    stamp: Option<&Stamp>,
) -> Result<std::path::PathBuf, String> {
    let path = path.to_path_buf();
    if confirmed == 0 && stamp.is_none() {
        return Ok(path);
    }
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {DOCUMENT}: {e}"))?;
    let mut pages = faxvox_codecs::tiff::read_pages(&bytes)
        .map_err(|e| format!("cannot read {DOCUMENT}: {e}"))?
        .into_pages();
    let rest = pages.get_mut(confirmed as usize..).unwrap_or_default();
    if rest.is_empty() {
        return Err("no page left to send".into());
    }
    if let Some((sender, at, total)) = stamp {
        stamp_pages(rest, sender, *at, confirmed + 1, *total);
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
    job: &Job,
    facts: &OutboundFacts,
    result: &FaxResult,
    charged: Money,
    locale: Locale,
    zone: jiff::tz::TimeZone,
) -> Result<Vec<u8>, ReportError> {
    let document = job.document();
    let attempts: Vec<AttemptRecord> = job
        .db
        .facts
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
