//! The delivery worker: takes due jobs from the spool, up to `delivery.concurrency` at once, and
//! turns each into an email that reaches the account's mailboxes, or into a precise reason why not.
//!
//! For every claimed job: look up the account (the job's `account` fact, else the called
//! number), render the attachment into the job folder ([`render`]: TIFF → `fax.pdf`, WAV →
//! `voicemail.mp3`), compose the email ([`crate::delivery::Composer`]), send it
//! ([`crate::delivery::Transport`]), then record the result in the spool:
//! - accepted → `delivered`, with the server's reply in the history and `facts.delivery`;
//! - temporary failure (4xx, network, timeout) → `retrying` on the spool's backoff, only the
//!   recipients still pending are retried;
//! - permanent failure (5xx for every recipient, no such account, bad facts) → `dead`, and
//!   `smtp.admin` (if set) gets a notice.
//!
//! A `webhook` job ([`crate::webhook`]) is no email: the worker POSTs its event to the
//! account's URL, signed at this attempt; a 2xx is `delivered`, anything else `retrying` on the
//! same backoff (dead when the budget is spent, or at once when the account's webhook is gone).
//!
//! Every log line of a job carries its id (span `job`). The worker never reads the clock
//! behind the caller's back: it uses [`Worker::with_clock`]'s clock (the system clock by
//! default), so tests can drive days of retries.

pub mod delivery_loop;
pub mod fax_status;
pub mod render;
pub mod settings;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use faxvox_spool::{format_rfc3339, Claimed, FailOutcome, JobKind, Spool, SpoolError};
use serde::Serialize;
use thiserror::Error;
use tokio::sync::Semaphore;
use tracing::{error, info, warn, Instrument};

use crate::delivery::{
    Composer, DeadJob, DeliveryError, Locale, Message, Rejection, SendOutcome, Transport,
};
use crate::directory::{Account, Directory};
use crate::jobs::{DeliveryRecord, RejectedRecipient, REPORT_MEDIA};

/// The facts of the jobs this worker delivers (defined in [`crate::jobs`], where their
/// writers find them too).
pub use crate::jobs::{FaxFacts, JobFacts};
pub use render::VoicemailFormat;
pub use settings::{RetentionConfig, SpoolConfig, WorkerConfig};

/// The job kinds this worker delivers by email; the others are left in the spool for their
/// own worker (outbound faxes: the dialer).
pub const EMAILED: &[JobKind] = &[JobKind::Fax, JobKind::Voicemail, JobKind::FaxStatus];

/// Every job kind this worker claims: the emailed ones and the signed webhook events
/// ([`crate::webhook`]), which share the spool's retries.
pub const DELIVERED: &[JobKind] = &[
    JobKind::Fax,
    JobKind::Voicemail,
    JobKind::FaxStatus,
    JobKind::Webhook,
];

/// How long a claim holds a job. Rendering and one SMTP transaction take seconds; a worker
/// that dies leaves the job to be claimed again after this.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(10 * 60);

/// An email ready to send, the file it attaches (name, bytes) and the media problems it notes.
type ComposedMail = (
    crate::delivery::compose::Composed,
    Option<(String, u64)>,
    Vec<String>,
);

/// Why a worker could not be built or reconfigured. Per-job problems are not errors: they
/// end in the job's state and the [`WorkReport`].
#[derive(Debug, Error)]
pub enum WorkerError {
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    #[error(transparent)]
    Spool(#[from] SpoolError),
}

/// The delivery settings the worker takes from the configuration (reloadable).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `delivery.voicemail_format`.
    pub voicemail_format: VoicemailFormat,
    /// `smtp.admin`: who is told about dead jobs (`None`: nobody).
    pub admin: Option<String>,
}

impl Settings {
    /// From the configuration.
    pub fn from_config(config: &WorkerConfig) -> Settings {
        let admin = config.smtp.admin.trim();
        Settings {
            voicemail_format: config.delivery.voicemail_format,
            admin: (!admin.is_empty()).then(|| admin.to_string()),
        }
    }
}

/// What happened to one job in a pass.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum JobOutcome {
    /// Handed off; `note` is the server's reply (or the Maildir file).
    Delivered { note: String },
    /// Will be tried again at `next_attempt` (RFC 3339).
    Retrying { next_attempt: String, error: String },
    /// Given up; `notice` says whether the admin was told.
    Dead { reason: String, notice: String },
    /// The result could not be recorded (lease lost to another worker, spool I/O error).
    Lost { error: String },
}

/// One job of a [`WorkReport`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobReport {
    /// The job id.
    pub job: String,
    /// `fax` or `voicemail`.
    pub kind: String,
    /// What became of it.
    #[serde(flatten)]
    pub outcome: JobOutcome,
}

/// What one [`Worker::deliver_due`] pass did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WorkReport {
    /// Every job claimed, in order.
    pub jobs: Vec<JobReport>,
    /// Spool errors that stopped claiming (the pass ends early; the jobs stay due).
    pub errors: Vec<String>,
}

impl WorkReport {
    fn count(&self, f: impl Fn(&JobOutcome) -> bool) -> usize {
        self.jobs.iter().filter(|j| f(&j.outcome)).count()
    }

    /// Jobs delivered in this pass.
    pub fn delivered(&self) -> usize {
        self.count(|o| matches!(o, JobOutcome::Delivered { .. }))
    }

    /// Jobs that failed temporarily and wait for their next attempt.
    pub fn retrying(&self) -> usize {
        self.count(|o| matches!(o, JobOutcome::Retrying { .. }))
    }

    /// Jobs given up.
    pub fn dead(&self) -> usize {
        self.count(|o| matches!(o, JobOutcome::Dead { .. }))
    }

    /// Jobs whose result could not be recorded.
    pub fn lost(&self) -> usize {
        self.count(|o| matches!(o, JobOutcome::Lost { .. }))
    }

    /// Adds another pass's report.
    pub fn merge(&mut self, other: WorkReport) {
        self.jobs.extend(other.jobs);
        self.errors.extend(other.errors);
    }
}

impl std::fmt::Display for WorkReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} job(s): {} delivered, {} retrying, {} dead, {} lost",
            self.jobs.len(),
            self.delivered(),
            self.retrying(),
            self.dead(),
            self.lost()
        )?;
        if !self.errors.is_empty() {
            write!(f, "; spool errors: {}", self.errors.join("; "))?;
        }
        Ok(())
    }
}

/// Why one attempt failed, before the spool decides what it means.
enum Failure {
    Temporary(String),
    Permanent {
        reason: String,
        rejected: Vec<Rejection>,
    },
}

fn permanent(reason: impl Into<String>) -> Failure {
    Failure::Permanent {
        reason: reason.into(),
        rejected: Vec::new(),
    }
}

/// What the notice about a dead job can say, gathered during the attempt.
#[derive(Default)]
struct NoticeFacts {
    account_name: String,
    recipients: Vec<String>,
    subject: Option<String>,
    time_zone: String,
}

/// Delivers spool jobs by email, up to `delivery.concurrency` at once. Cheap to clone (a pass
/// runs each job on a clone); one pass at a time.
#[derive(Clone)]
pub struct Worker {
    spool: Spool,
    directory: Directory,
    transport: Transport,
    composer: Arc<Composer>,
    settings: Settings,
    name: String,
    lease: Duration,
    clock: Arc<dyn Fn() -> SystemTime + Send + Sync>,
    /// Jobs delivered at once (`delivery.concurrency`).
    concurrency: usize,
    /// Renders (PDF, MP3) running at once on the blocking pool: one per core the process may
    /// use, so a burst of messages never takes more CPU from the calls than that.
    renders: Arc<Semaphore>,
}

/// Renders at once: the cores this process may run on (`taskset` counts).
fn render_slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

impl Worker {
    /// A worker on `spool`, with the composer (templates, `smtp.from`, attachment limit) and
    /// settings from `config`. Templates are checked here, so a broken override fails at
    /// startup.
    pub fn new(
        spool: Spool,
        directory: Directory,
        transport: Transport,
        config: impl Into<WorkerConfig>,
    ) -> Result<Worker, WorkerError> {
        let config = &config.into();
        Ok(Worker {
            spool,
            directory,
            transport,
            composer: Arc::new(Composer::from_config(&config.smtp, &config.delivery)?),
            settings: Settings::from_config(config),
            concurrency: config.delivery.concurrency.max(1) as usize,
            renders: Arc::new(Semaphore::new(render_slots())),
            name: format!(
                "{}:{}",
                std::env::var("HOSTNAME").unwrap_or_else(|_| "faxvox".into()),
                std::process::id()
            ),
            lease: DEFAULT_LEASE,
            clock: Arc::new(SystemTime::now),
        })
    }

    /// Replaces the clock (tests, simulations).
    pub fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Replaces the lease length.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The worker's name in leases and history.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The spool it works on.
    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Applies a new configuration (SIGHUP): templates, sender, attachment limit, voicemail
    /// format, admin address and the mail transport. On error nothing changes.
    pub fn reload(&mut self, config: impl Into<WorkerConfig>) -> Result<(), WorkerError> {
        let config = &config.into();
        let composer = Composer::from_config(&config.smtp, &config.delivery)?;
        let transport = Transport::from_config(&config.smtp, &config.delivery)?;
        self.composer = Arc::new(composer);
        self.transport = transport;
        self.settings = Settings::from_config(config);
        self.concurrency = config.delivery.concurrency.max(1) as usize;
        Ok(())
    }

    /// Jobs delivered at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Replaces the number of jobs delivered at once (at least 1).
    pub fn with_concurrency(mut self, jobs: usize) -> Self {
        self.concurrency = jobs.max(1);
        self
    }

    /// Claims and delivers due jobs, up to [`Worker::concurrency`] at once, until none is due,
    /// and reports what became of each (in the order they were claimed). A job failing
    /// temporarily is due again only after its backoff, so a pass always ends. Whenever a
    /// job ends the worker claims again, so a message committed during the pass joins it.
    pub async fn deliver_due(&self) -> WorkReport {
        let mut report = WorkReport::default();
        let mut done: Vec<(usize, JobReport)> = Vec::new();
        let mut running = tokio::task::JoinSet::new();
        let mut claimed_count = 0usize;
        let mut dry = false;
        loop {
            while !dry && running.len() < self.concurrency {
                match self.claim().await {
                    Ok(Some(claimed)) => {
                        let seq = claimed_count;
                        claimed_count += 1;
                        let span = tracing::info_span!(
                            "job",
                            job = %claimed.id,
                            message_id = tracing::field::Empty
                        );
                        let worker = self.clone();
                        running.spawn(
                            async move { (seq, worker.deliver(claimed).await) }.instrument(span),
                        );
                    }
                    Ok(None) => dry = true,
                    Err(e) => {
                        error!(error = %e, "cannot claim jobs");
                        report.errors.push(e.to_string());
                        dry = true;
                    }
                }
            }
            match running.join_next().await {
                Some(Ok(job)) => {
                    done.push(job);
                    // A slot is free: look for jobs committed meanwhile (unless claiming
                    // failed: the next pass tries again).
                    dry = !report.errors.is_empty();
                }
                Some(Err(e)) => {
                    error!(error = %e, "a delivery task failed; its job is taken back when its claim lock is gone");
                    report.errors.push(format!("delivery task failed: {e}"));
                }
                None => break,
            }
        }
        done.sort_by_key(|(seq, _)| *seq);
        report.jobs = done.into_iter().map(|(_, job)| job).collect();
        report
    }

    /// Claims the next due job on the blocking pool (the claim writes and fsyncs its
    /// manifest; the calls' media tasks share this runtime).
    async fn claim(&self) -> Result<Option<Claimed>, SpoolError> {
        let now = (self.clock)();
        let spool = self.spool.clone();
        let name = self.name.clone();
        let lease = self.lease;
        // Outbound faxes belong to the dialer (`crate::outbound::dialer`), not to email.
        on_blocking(move || spool.claim_due_of(now, &name, lease, DELIVERED)).await
    }

    /// One claimed job, from account lookup to the recorded result.
    async fn deliver(&self, mut claimed: Claimed) -> JobReport {
        let kind = claimed.manifest.kind;
        info!(kind = %kind, attempt = claimed.attempt, "delivering");
        let mut notice = NoticeFacts::default();
        let mut delivery = None;
        let result = self.attempt(&mut claimed, &mut notice, &mut delivery).await;
        let message_id = delivery
            .as_ref()
            .and_then(|d| d.message_id.clone())
            .unwrap_or_default();
        let outcome = match result {
            Ok(note) => match self.complete(&claimed, &note, delivery).await {
                Ok(()) => {
                    info!(note, message_id, "delivered");
                    if matches!(kind, JobKind::Fax | JobKind::Voicemail) {
                        // The job was committed as the call ended: hang-up to email accepted.
                        let latency = (self.clock)()
                            .duration_since(claimed.manifest.created)
                            .unwrap_or_default();
                        crate::metrics::metrics().delivered(latency);
                    }
                    JobOutcome::Delivered { note }
                }
                Err(e) => {
                    error!(error = %e, "email sent but the job could not be marked delivered; it will be sent again");
                    JobOutcome::Lost {
                        error: e.to_string(),
                    }
                }
            },
            Err(failure) => {
                self.record_failure(&claimed, failure, notice, delivery)
                    .await
            }
        };
        JobReport {
            job: claimed.id.to_string(),
            kind: kind.to_string(),
            outcome,
        }
    }

    /// `sending` → `delivered`, with the delivery record, on the blocking pool.
    async fn complete(
        &self,
        claimed: &Claimed,
        note: &str,
        delivery: Option<DeliveryRecord>,
    ) -> Result<(), SpoolError> {
        let (spool, now, c, n) = (
            self.spool.clone(),
            (self.clock)(),
            claimed.clone(),
            note.to_string(),
        );
        on_blocking(move || spool.complete_with_facts(now, &c, &n, |f| store(delivery, f))).await
    }

    /// Everything up to the SMTP result; `Ok` carries the delivery note.
    /// `delivery` gets the delivery record once the email was sent (accepted or not).
    async fn attempt(
        &self,
        claimed: &mut Claimed,
        notice: &mut NoticeFacts,
        delivery: &mut Option<DeliveryRecord>,
    ) -> Result<String, Failure> {
        if claimed.manifest.kind == JobKind::Webhook {
            return self.post_webhook(claimed, notice).await;
        }
        let facts = JobFacts::from_map(claimed.facts()).map_err(|e| permanent(e.to_string()))?;
        notice.account_name = facts.account.clone().unwrap_or_default();
        if claimed.manifest.kind == JobKind::OutboundFax {
            return Err(permanent(
                "outbound faxes are sent by the dialer of `faxvox serve`, not delivered by email",
            ));
        }
        let account = self.account(&facts).await?;
        notice.account_name = account.display_name().to_string();
        notice.recipients = account.emails.clone();
        notice.time_zone = account.time_zone.clone();

        let (mail, file, warnings) = if claimed.manifest.kind == JobKind::FaxStatus {
            self.compose_fax_status(claimed, &account).await?
        } else {
            self.compose_message(claimed, &facts, &account).await?
        };
        notice.subject = Some(mail.subject.clone());
        // Every later line of this delivery names the email it concerns.
        tracing::Span::current().record("message_id", mail.message_id.as_str());

        let mut record = DeliveryRecord::from_facts(claimed.facts());
        let targets: Vec<String> = if record.pending.is_empty() {
            mail.recipients.clone()
        } else {
            mail.recipients
                .iter()
                .filter(|r| record.pending.contains(r))
                .cloned()
                .collect()
        };
        let targets = if targets.is_empty() {
            mail.recipients.clone()
        } else {
            targets
        };
        let outcome = self
            .transport
            .send(
                claimed.id.as_str(),
                &mail.envelope_from,
                &targets,
                &mail.bytes,
            )
            .await;

        record.at = Some(format_rfc3339((self.clock)()));
        record.message_id = Some(mail.message_id.clone());
        record.transport = Some(self.transport.kind().to_string());
        record.attachment = file.as_ref().map(|(n, _)| n.clone());
        record.attachment_bytes = file.as_ref().map(|(_, s)| *s);
        record.attached = mail.attached;
        record.warnings = warnings;
        let add_rejected = |record: &mut DeliveryRecord, rejected: &[Rejection]| {
            record
                .rejected
                .extend(rejected.iter().map(|r| RejectedRecipient {
                    recipient: r.recipient.clone(),
                    reply: r.reply.clone(),
                }));
        };
        let result = match &outcome {
            SendOutcome::Delivered { reply, rejected } => {
                let refused: Vec<&String> = rejected.iter().map(|r| &r.recipient).collect();
                record
                    .accepted
                    .extend(targets.iter().filter(|t| !refused.contains(t)).cloned());
                record.pending.clear();
                record.reply = Some(reply.clone());
                add_rejected(&mut record, rejected);
                let mut note = reply.clone();
                for r in rejected {
                    note.push_str(&format!("; {} refused: {}", r.recipient, r.reply));
                }
                Ok(note)
            }
            SendOutcome::Temporary {
                error,
                pending,
                accepted,
                rejected,
            } => {
                record.accepted.extend(accepted.iter().cloned());
                record.pending = pending.clone();
                record.reply = Some(error.clone());
                add_rejected(&mut record, rejected);
                Err(Failure::Temporary(error.clone()))
            }
            SendOutcome::Permanent { reply, rejected } => {
                record.pending.clear();
                record.reply = Some(reply.clone());
                add_rejected(&mut record, rejected);
                if record.accepted.is_empty() {
                    Err(Failure::Permanent {
                        reason: reply.clone(),
                        rejected: rejected.clone(),
                    })
                } else {
                    // Some recipients already have it from an earlier attempt: the client got
                    // the message; the refusals are on record.
                    warn!(reply, "remaining recipients refused for good");
                    Ok(format!(
                        "delivered earlier to {}; the others refused: {reply}",
                        record.accepted.join(", ")
                    ))
                }
            }
        };
        // Stored with the attempt's outcome, in the same manifest write.
        *delivery = Some(record);
        result
    }

    /// POSTs a webhook event (a `webhook` job) to its account's URL, signed now: a 2xx is
    /// delivered, anything else (or no answer) is a temporary failure, retried on the backoff.
    async fn post_webhook(
        &self,
        claimed: &Claimed,
        notice: &mut NoticeFacts,
    ) -> Result<String, Failure> {
        use crate::webhook::{http, sign, EVENT_FACT};
        let facts = claimed.facts();
        let account = facts
            .get("account")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| permanent("the webhook job names no account"))?;
        notice.account_name = account.to_string();
        let event = facts
            .get(EVENT_FACT)
            .filter(|e| e.is_object())
            .ok_or_else(|| permanent("the webhook job holds no event"))?;
        let body = serde_json::to_vec(event).map_err(|e| permanent(e.to_string()))?;
        let hook = match crate::webhook::get(&self.directory, account).await {
            Ok(Some(h)) => h,
            Ok(None) => {
                return Err(permanent(format!(
                    "account {account:?} has no webhook any more"
                )))
            }
            Err(e) => return Err(Failure::Temporary(format!("directory: {e}"))),
        };
        let t = (self.clock)()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let signature = sign::signature(&hook.secret, t, &body);
        let url = crate::redact::redact_url(&hook.url);
        match http::post(&hook.url, &[(sign::HEADER, signature)], body, http::TIMEOUT).await {
            Ok(status) if (200..300).contains(&status) => Ok(format!("{url} answered {status}")),
            Ok(status) => Err(Failure::Temporary(format!("{url} answered {status}"))),
            Err(e) => Err(Failure::Temporary(format!("{url}: {e}"))),
        }
    }

    /// The status email of an outbound fax (a `fax-status` job), its report attached.
    async fn compose_fax_status(
        &self,
        claimed: &Claimed,
        account: &Account,
    ) -> Result<ComposedMail, Failure> {
        // An outbound fax's status: composed from the fax's facts, its report attached when
        // the job has one (a fax whose report could not be built gets the text alone).
        let name = REPORT_MEDIA;
        let report = if claimed.manifest.media.iter().any(|m| m.name == name) {
            let pdf = tokio::fs::read(claimed.media_path(name))
                .await
                .map_err(|e| Failure::Temporary(format!("cannot read the report: {e}")))?;
            Some(pdf)
        } else {
            None
        };
        let mail =
            fax_status::compose_job(&self.composer, account, claimed.facts(), report.as_deref())
                .map_err(|e| permanent(e.to_string()))?;
        let file = report
            .as_ref()
            .map(|r| (REPORT_MEDIA.to_string(), r.len() as u64));
        Ok((mail, file, Vec::new()))
    }

    /// The email of a received fax or voicemail: its media rendered (PDF, MP3) and attached.
    async fn compose_message(
        &self,
        claimed: &Claimed,
        facts: &JobFacts,
        account: &Account,
    ) -> Result<ComposedMail, Failure> {
        let start = facts.start_time(claimed.manifest.created);
        let zone = account.zone().unwrap_or(jiff::tz::TimeZone::UTC);
        let stamp = jiff::Timestamp::try_from(start)
            .map(|t| {
                t.to_zoned_datetime(zone)
                    .strftime("%Y%m%d-%H%M")
                    .to_string()
            })
            .unwrap_or_else(|_| "message".into());
        let input = render::RenderInput {
            dir: claimed.dir.clone(),
            kind: claimed.manifest.kind,
            media: claimed
                .manifest
                .media
                .iter()
                .map(|m| m.name.clone())
                .collect(),
            facts: facts.clone(),
            format: self.settings.voicemail_format,
            start,
            stamp,
        };
        let span = tracing::Span::current();
        // Bounded: a burst of messages encodes a few at a time, never one thread per message.
        let _slot = self
            .renders
            .acquire()
            .await
            .map_err(|e| Failure::Temporary(format!("rendering stopped: {e}")))?;
        let rendered = on_render_thread(move || {
            let _enter = span.enter();
            render::render(&input)
        })
        .await
        .map_err(|e| Failure::Temporary(format!("rendering crashed: {e}")))?
        .map_err(|e| Failure::Temporary(format!("cannot render the attachment: {e}")))?;
        for w in &rendered.warnings {
            warn!(warning = %w, "media problem noted in the email");
        }

        let msg = Message {
            job_id: claimed.id.to_string(),
            kind: rendered.kind,
            recipients: account.emails.clone(),
            account_name: account.display_name().to_string(),
            locale: Locale::from_tag(account.locale.as_str()).unwrap_or_default(),
            time_zone: account.time_zone.clone(),
            caller_number: facts.caller_number.clone(),
            caller_name: facts.caller_name.clone(),
            called_number: facts.called_number.clone(),
            start,
            duration: facts.duration(),
            media: rendered.media,
        };
        let mail = self
            .composer
            .compose(&msg)
            .map_err(|e| permanent(format!("cannot compose the email: {e}")))?;
        Ok((mail, rendered.file, rendered.warnings))
    }

    /// The account named by the job, else the owner of the called number.
    async fn account(&self, facts: &JobFacts) -> Result<Account, Failure> {
        if let Some(id) = &facts.account {
            return match self.directory.account(id).await {
                Ok(Some(a)) => Ok(a),
                Ok(None) => Err(permanent(format!("account {id:?} does not exist"))),
                Err(e) => Err(Failure::Temporary(format!("directory: {e}"))),
            };
        }
        if facts.called_number.is_empty() {
            return Err(permanent(
                "the job names neither an account nor a called number",
            ));
        }
        match self.directory.resolve(&facts.called_number).await {
            Ok(Some(route)) => Ok(route.account),
            Ok(None) => Err(permanent(format!(
                "{} is not one of our numbers",
                facts.called_number
            ))),
            Err(e) => Err(Failure::Temporary(format!("directory: {e}"))),
        }
    }

    async fn record_failure(
        &self,
        claimed: &Claimed,
        failure: Failure,
        notice: NoticeFacts,
        delivery: Option<DeliveryRecord>,
    ) -> JobOutcome {
        let (error, permanent, rejected) = match failure {
            Failure::Temporary(e) => (e, false, Vec::new()),
            Failure::Permanent { reason, rejected } => (reason, true, rejected),
        };
        let now = (self.clock)();
        crate::metrics::metrics().delivery_failed(now, claimed.id.as_str(), &error);
        let failed = {
            let (spool, c, e) = (self.spool.clone(), claimed.clone(), error.clone());
            on_blocking(move || {
                spool.fail_with_facts(now, &c, &e, permanent, |f| store(delivery, f))
            })
            .await
        };
        match failed {
            Ok(FailOutcome::Retrying { next_attempt }) => {
                let next_attempt = format_rfc3339(next_attempt);
                warn!(error, next_attempt, "delivery failed; will retry");
                JobOutcome::Retrying {
                    next_attempt,
                    error,
                }
            }
            Ok(FailOutcome::Dead { reason }) => {
                error!(reason, "delivery given up; job is dead");
                let notice = self
                    .notify_admin(claimed, &reason, rejected, notice, now)
                    .await;
                JobOutcome::Dead { reason, notice }
            }
            Err(e) => {
                error!(error = %e, "cannot record the failure in the job");
                JobOutcome::Lost {
                    error: e.to_string(),
                }
            }
        }
    }

    /// Tells `smtp.admin` a job is dead. Returns what happened, for the report.
    async fn notify_admin(
        &self,
        claimed: &Claimed,
        reply: &str,
        rejected: Vec<Rejection>,
        notice: NoticeFacts,
        now: SystemTime,
    ) -> String {
        let Some(admin) = &self.settings.admin else {
            return "no admin address (smtp.admin) set".into();
        };
        let dead = DeadJob {
            job_id: claimed.id.to_string(),
            kind: match claimed.manifest.kind {
                JobKind::Voicemail => "voicemail".into(),
                JobKind::FaxStatus => "fax status".into(),
                JobKind::Webhook => "webhook event".into(),
                _ => "fax".into(),
            },
            account_name: notice.account_name,
            recipients: notice.recipients,
            rejected,
            reply: reply.to_string(),
            subject: notice.subject,
            attempts: claimed.attempt,
            first_attempt: claimed.manifest.first_attempt,
            last_attempt: now,
            time_zone: notice.time_zone,
        };
        let mail = match self
            .composer
            .compose_dead_job_notice(&dead, admin, Locale::default())
        {
            Ok(m) => m,
            Err(e) => {
                error!(error = %e, admin, "cannot compose the admin notice");
                return format!("notice not composed: {e}");
            }
        };
        match self
            .transport
            .send_composed(claimed.id.as_str(), &mail)
            .await
        {
            SendOutcome::Delivered { reply, .. } => {
                info!(admin, reply, "admin notified");
                format!("notice sent to {admin}: {reply}")
            }
            SendOutcome::Temporary { error, .. } => {
                error!(admin, error, "admin notice not sent");
                format!("notice to {admin} failed: {error}")
            }
            SendOutcome::Permanent { reply, .. } => {
                error!(admin, reply, "admin notice refused");
                format!("notice to {admin} refused: {reply}")
            }
        }
    }
}

/// Writes the attempt's delivery record (if the email was sent) into the job's facts.
fn store(delivery: Option<DeliveryRecord>, facts: &mut serde_json::Map<String, serde_json::Value>) {
    if let Some(record) = delivery {
        record.store(facts);
    }
}

/// Nice value of the render threads: an encoder takes only the CPU the calls leave.
const RENDER_NICE: i32 = 19;

/// Runs `f` (a rendering: MP3 encoding, PDF writing) on a thread of its own at the lowest
/// priority ([`RENDER_NICE`]), so a burst of hang-ups never takes the CPU from the media of
/// the calls still running; once the calls leave the core idle it runs at full speed. (At
/// most `render_slots` run at once, so these threads stay few.)
async fn on_render_thread<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("faxvox-render".into())
        .spawn(move || {
            lower_thread_priority();
            let _ = tx.send(f());
        })
        .map_err(|e| format!("cannot start a render thread: {e}"))?;
    rx.await
        .map_err(|_| "the render thread panicked".to_string())
}

/// Lowers the calling thread's priority to [`RENDER_NICE`] (Linux: the nice value is per
/// thread). Best effort.
fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::process::setpriority_process(None, RENDER_NICE);
    }
}

/// Runs `f` on the blocking pool (spool writes fsync). A panic in `f` is resumed here.
async fn on_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("blocking spool task cancelled: {e}"),
    }
}

/// One pass over the spool as of `now` (a fixed clock for the whole pass) with a worker built
/// from `config`: the simple entry point for tests and one-shot tools. Long-running callers
/// keep a [`Worker`] on the system clock.
pub async fn deliver_due(
    now: SystemTime,
    spool: &Spool,
    directory: &Directory,
    transport: &Transport,
    config: impl Into<WorkerConfig>,
) -> Result<WorkReport, WorkerError> {
    let worker = Worker::new(spool.clone(), directory.clone(), transport.clone(), config)?
        .with_clock(move || now);
    Ok(worker.deliver_due().await)
}

/// Spool options from the configuration (`spool.high_water_percent`).
pub fn spool_options(spool: &SpoolConfig) -> faxvox_spool::SpoolOptions {
    faxvox_spool::SpoolOptions::default()
        .with_high_water(f64::from(spool.high_water_percent) / 100.0)
}

/// Retention from the configuration (`retention.delivered_days`, `retention.dead_days`).
pub fn retention(retention: &RetentionConfig) -> faxvox_spool::Retention {
    const DAY: u64 = 86_400;
    faxvox_spool::Retention {
        delivered: Duration::from_secs(u64::from(retention.delivered_days) * DAY),
        dead: Duration::from_secs(u64::from(retention.dead_days) * DAY),
    }
}
