//! The gateway proper: takes incoming calls from the SIP stack, decides who may call and where
//! the call goes, and runs each admitted call to its end, when its message is committed to the
//! spool and its detail record written.
//!
//! Admission is cheap and allocates nothing for refused calls: an untrusted source gets 403,
//! an unknown number 404, a full gateway, an untrusted source at `sip.max_calls_per_source`
//! or a full spool disk 503, an account or a line at its limit (`sip.max_calls_per_account`,
//! `sip.max_calls_per_line`) 486, a caller on the block list 603 (recorded as blocked) — all
//! before any media port is bound.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rand::Rng;
use thiserror::Error;
use tokio::sync::Notify;
use tokio::time::Instant;
use tracing::{error, info, warn, Instrument};

use super::GatewayConfig;
use crate::call::drive::{drive, DriveReport};
use crate::call::driver::MediaHandle;
use crate::call::media_call::{MediaRole, MediaSettings};
use crate::call::ports::PortPool;
use crate::directory::records::{CallKind, CallStatus, NewCallRecord};
use crate::directory::{validate, BlockDirection, BlockEntry, Directory, LineKind, Route};
use crate::gateway::commit::{commit_call, CallCapture, CallSummary};
use crate::gateway::limits::{CallCounts, Scope};
use crate::gateway::recovery::{recover_calls, CallMeta};
use crate::metrics::{metrics, CallResult, Direction as Dir, Kind};
use crate::sip::call::{Call, CallConfig, CallPurpose};
use crate::sip::sdp::LocalMedia;
use crate::sip::stack::{IncomingCall, IncomingCalls};
use faxvox_spool::Spool;

/// Why the gateway could not start.
#[derive(Debug, Error)]
pub enum GatewayError {
    /// The per-call working folder cannot be created.
    #[error("cannot create the call folder {path}: {source}")]
    WorkDir {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Counts the calls in progress; the guard gives the slot back when the call task ends,
/// however it ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

struct Shared {
    config: GatewayConfig,
    directory: Directory,
    spool: Spool,
    ports: PortPool,
    media_ip: IpAddr,
    active: Arc<AtomicUsize>,
    /// Calls in progress per source, account and line (`sip.max_calls_per_*`).
    counts: CallCounts,
    /// Set on shutdown: new calls get 503 while the calls in progress end.
    draining: AtomicBool,
    work_root: PathBuf,
    /// Folders of the calls in progress, which recovery passes must not touch.
    live_folders: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
    new_job: Arc<Notify>,
}

/// The running gateway. Cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    shared: Arc<Shared>,
}

impl Gateway {
    /// A gateway using `directory` for routing and `spool` for the messages. `new_job` is
    /// notified after each commit so the delivery worker picks the message up at once. Its
    /// media ports come from a pool of its own (see [`Gateway::with_ports`]).
    pub fn new(
        config: impl Into<GatewayConfig>,
        directory: Directory,
        spool: Spool,
        new_job: Arc<Notify>,
    ) -> Result<Gateway, GatewayError> {
        let config = config.into();
        let ports = crate::call::ports::PortPool::with_rest(
            config.sip.media_ip(),
            config.sip.rtp_ports.range(),
            config.sip.rtp_port_rest(),
        );
        Gateway::with_ports(config, directory, spool, new_job, ports)
    }

    /// Like [`Gateway::new`], taking media ports from `ports` (shared with the outbound
    /// dialer of the same process).
    pub fn with_ports(
        config: impl Into<GatewayConfig>,
        directory: Directory,
        spool: Spool,
        new_job: Arc<Notify>,
        ports: PortPool,
    ) -> Result<Gateway, GatewayError> {
        let config = config.into();
        let media_ip = config.sip.media_ip();
        let work_root = spool.root().join("calls");
        crate::fsutil::create_dir_all_private(&work_root).map_err(|source| {
            GatewayError::WorkDir {
                path: work_root.clone(),
                source,
            }
        })?;
        Ok(Gateway {
            shared: Arc::new(Shared {
                config,
                directory,
                spool,
                ports,
                media_ip,
                active: Arc::new(AtomicUsize::new(0)),
                counts: CallCounts::new(),
                draining: AtomicBool::new(false),
                work_root,
                live_folders: Default::default(),
                new_job,
            }),
        })
    }

    /// Commits the messages of calls a previous run left unfinished (crash, power cut) or
    /// whose commit failed (spool full), and writes their detail records. Called at start and
    /// then periodically; calls in progress are left alone. Returns (recovered, kept).
    pub async fn recover(&self) -> (usize, usize) {
        let sh = self.shared.clone();
        let spool = sh.spool.clone();
        let root = sh.work_root.clone();
        let min = sh.config.voicemail.min_message();
        let live = self.shared.clone();
        let Ok((done, failed)) = tokio::task::spawn_blocking(move || {
            let (done, failed) = recover_calls(&spool, &root, min, |folder| {
                live.live_folders
                    .lock()
                    .map(|set| set.contains(folder))
                    .unwrap_or(true)
            });
            // The record looks at the fax file: here too, off the async workers.
            let done: Vec<_> = done
                .into_iter()
                .map(|r| {
                    let rec = r.summary.to_record(
                        r.job.as_ref().map(|j| j.to_string()),
                        Some(200),
                        None,
                        None,
                    );
                    (r, rec)
                })
                .collect();
            (done, failed)
        })
        .await
        else {
            error!("call recovery crashed");
            return (0, 0);
        };
        for (r, rec) in &done {
            if let Some(job) = &r.job {
                // The message is committed only now: its webhook event too.
                if let Some(event) = crate::gateway::commit::webhook_event(&r.summary, job) {
                    self.queue_webhook(&event).await;
                }
                sh.new_job.notify_one();
            }
            // One record per call: the one written when its commit failed gives way.
            if let Err(e) = sh
                .directory
                .forget_inbound_call_records(&r.summary.call_id)
                .await
            {
                error!(call_id = %r.summary.call_id, error = %e, "cannot replace the call record");
            }
            if let Err(e) = sh.directory.add_call_record(rec).await {
                error!(call_id = %r.summary.call_id, error = %e, "cannot write the call record");
            }
        }
        (done.len(), failed.len())
    }

    /// Refuses new calls (503) from now on; calls in progress go on.
    pub fn stop_accepting(&self) {
        self.shared.draining.store(true, Ordering::Release);
    }

    /// Calls in progress.
    pub fn active_calls(&self) -> usize {
        self.shared.active.load(Ordering::Acquire)
    }

    /// Serves incoming calls until the stack closes the channel.
    pub async fn run(&self, mut incoming: IncomingCalls) {
        while let Some(call) = incoming.next().await {
            let span = tracing::info_span!("call", call_id = %call.call_id);
            let gw = self.clone();
            tokio::spawn(async move { gw.admit(call).await }.instrument(span));
        }
    }

    /// Waits until no call is in progress, at most `limit`.
    pub async fn drain(&self, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        while self.active_calls() > 0 {
            if Instant::now() >= end {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        true
    }

    async fn admit(&self, inc: IncomingCall) {
        let sh = &self.shared;
        let call_id = inc.call_id.clone();
        let trusted = sh.config.sip.is_trusted(inc.source.ip());
        if !trusted && inc.authenticated_user.is_none() {
            warn!(call_id = %call_id, source = %inc.source, "call from an untrusted address without credentials: 403");
            inc.reject(403, "Forbidden").await;
            return;
        }
        if sh.draining.load(Ordering::Acquire) {
            info!(call_id = %call_id, "shutting down: 503");
            inc.reject(503, "Service Unavailable").await;
            return;
        }
        // Take the slot first so that concurrent admissions cannot overshoot the limit.
        let taken = sh.active.fetch_add(1, Ordering::AcqRel) + 1;
        let slot = Slot(sh.active.clone());
        if taken > sh.config.sip.max_calls as usize {
            warn!(call_id = %call_id, active = taken - 1, limit = sh.config.sip.max_calls, "too many calls: 503");
            inc.reject(503, "Service Unavailable").await;
            return;
        }
        // One untrusted (authenticated) source may not hold every slot; the trunk may.
        let source_limit = if trusted {
            0
        } else {
            sh.config.sip.max_calls_per_source
        };
        let source = inc.source.ip().to_string();
        let Some(per_source) = sh.counts.take(Scope::Source, &source, source_limit) else {
            warn!(call_id = %call_id, source = %source, limit = source_limit, "too many calls from this source: 503");
            inc.reject(503, "Service Unavailable").await;
            return;
        };
        let route = match self.route(&inc).await {
            Ok(route) => route,
            Err((status, reason)) => {
                inc.reject(status, reason).await;
                return;
            }
        };
        // A digest user tied to an account calls only that account's lines.
        if let Some(user) = &inc.authenticated_user {
            if let Some(account) = sh.config.sip.auth_account(user) {
                if account != route.account.id {
                    warn!(call_id = %call_id, user = %user, account, called = %route.account.id, "digest user calling another account's line: 403");
                    inc.reject(403, "Forbidden").await;
                    return;
                }
            }
        }
        if let Some((caller, entry)) = self.block_entry(&inc, &route).await {
            let rec = blocked_record(&inc, &route, &entry);
            warn!(call_id = %call_id, caller = %caller, line = %route.line.number, account = %route.account.id, entry = %entry, "caller on the block list: 603");
            metrics().call_refused(Dir::In, line_metric(&route), CallResult::Blocked);
            inc.reject(603, "Decline").await;
            self.record(&rec).await;
            return;
        }
        let account_limit = sh.config.sip.max_calls_per_account;
        let Some(per_account) = sh
            .counts
            .take(Scope::Account, &route.account.id, account_limit)
        else {
            warn!(call_id = %call_id, account = %route.account.id, limit = account_limit, "too many calls to this account: 486");
            metrics().call_refused(Dir::In, line_metric(&route), CallResult::Busy);
            inc.reject(486, "Busy Here").await;
            return;
        };
        let line_limit = sh.config.sip.max_calls_per_line;
        let Some(per_line) = sh.counts.take(Scope::Line, &route.line.number, line_limit) else {
            warn!(call_id = %call_id, line = %route.line.number, limit = line_limit, "too many calls to this line: 486");
            metrics().call_refused(Dir::In, line_metric(&route), CallResult::Busy);
            inc.reject(486, "Busy Here").await;
            return;
        };
        match sh.spool.check_capacity() {
            Ok(_) => {}
            Err(e) => {
                error!(call_id = %call_id, error = %e, "spool cannot take messages: 503");
                metrics().call_refused(Dir::In, line_metric(&route), CallResult::Refused);
                inc.reject(503, "Service Unavailable").await;
                return;
            }
        }
        let sockets = match sh.ports.bind() {
            Ok(s) => s,
            Err(e) => {
                error!(call_id = %call_id, error = %e, "no media port free: 503");
                metrics().call_refused(Dir::In, line_metric(&route), CallResult::Refused);
                inc.reject(503, "Service Unavailable").await;
                return;
            }
        };
        self.run_call(inc, route, sockets).await;
        drop((per_line, per_account, per_source, slot));
        info!(call_id = %call_id, "call slots released");
    }

    /// The block-list entry that declines this call (603, before any media is set up), with
    /// the caller as matched: the caller on the list of the called line's account or of the
    /// operator. A directory failure lets the call through (logged): the block list protects
    /// lines, it must not take them down.
    async fn block_entry(&self, inc: &IncomingCall, route: &Route) -> Option<(String, BlockEntry)> {
        let caller = caller_for_blocking(inc)?;
        match self
            .shared
            .directory
            .blocked(&caller, &route.account.id, BlockDirection::In)
            .await
        {
            Ok(entry) => entry.map(|e| (caller, e)),
            Err(e) => {
                error!(call_id = %inc.call_id, error = %e, "cannot read the block list; call let through");
                None
            }
        }
    }

    /// Routing by the dialled number; the error is the status to refuse the call with: 404
    /// (unknown or malformed number) or 500 (directory failure).
    async fn route(&self, inc: &IncomingCall) -> Result<Route, (u16, &'static str)> {
        let call_id = &inc.call_id;
        let number = match validate::normalize_number(&inc.request_user) {
            Ok(n) => n,
            Err(e) => {
                info!(call_id = %call_id, dialled = %inc.request_user, error = %e, "not a number of ours: 404");
                return Err((404, "Not Found"));
            }
        };
        match self.shared.directory.resolve(&number).await {
            Ok(Some(route)) => Ok(route),
            Ok(None) => {
                info!(call_id = %call_id, dialled = %number, "unknown number: 404");
                Err((404, "Not Found"))
            }
            Err(e) => {
                error!(call_id = %call_id, dialled = %number, error = %e, "directory failure: 500");
                Err((500, "Server Internal Error"))
            }
        }
    }

    fn call_config(&self) -> CallConfig {
        self.shared.config.sip.call_config()
    }

    async fn run_call(
        &self,
        inc: IncomingCall,
        route: Route,
        sockets: crate::call::ports::MediaSockets,
    ) {
        let sh = &self.shared;
        let start = Instant::now();
        let started_at = SystemTime::now();
        let call_id = inc.call_id.clone();
        let line_kind = match route.line.kind {
            LineKind::Fax => CallPurpose::Fax,
            _ => CallPurpose::Voice,
        };
        let metric_kind = line_metric(&route);
        let _in_progress = metrics().call_started(Dir::In, metric_kind);
        let folder = sh.work_root.join(safe_name(&call_id));
        let _live = LiveFolder::new(sh.clone(), folder.clone());
        // File work goes to blocking threads: a slow disk must not delay the media ticks of
        // the calls that share this worker.
        let created = {
            let folder = folder.clone();
            tokio::task::spawn_blocking(move || crate::fsutil::create_dir_all_private(&folder))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)))
        };
        if let Err(e) = created {
            error!(call_id = %call_id, error = %e, folder = %folder.display(), "cannot create the call folder: 503");
            inc.reject(503, "Service Unavailable").await;
            return;
        }
        // A caller that asked for privacy is withheld in the email and the records alike.
        let (caller_number, caller_name) = if inc.privacy {
            info!(call_id = %call_id, "caller asked for privacy: number withheld");
            ("anonymous".to_string(), None)
        } else {
            (inc.from_user.clone(), inc.from_display.clone())
        };
        let meta = CallMeta {
            call_id: call_id.clone(),
            account: route.account.id.clone(),
            dialled: route.dialled.clone(),
            line: route.line.number.clone(),
            caller_number: caller_number.clone(),
            caller_name: caller_name.clone(),
            start: faxvox_spool::format_rfc3339(started_at),
            source: format!("sip from {}", inc.source),
        };
        let written = {
            let (meta, folder) = (meta.clone(), folder.clone());
            tokio::task::spawn_blocking(move || meta.write(&folder))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)))
        };
        if let Err(e) = written {
            error!(call_id = %call_id, error = %e, folder = %folder.display(), "cannot write the call facts: 503");
            let _ = tokio::fs::remove_dir_all(&folder).await;
            inc.reject(503, "Service Unavailable").await;
            return;
        }
        let local = LocalMedia::new(
            sh.media_ip,
            sockets.rtp_addr().port(),
            sockets.udptl_addr().port(),
            rand::rng().random(),
            &sh.config.media,
        );
        let source = inc.source;
        let sdp = inc.sdp.clone();
        let mut call = Call::new_inbound(call_id.clone(), self.call_config(), rand::rng().random());
        let mut leg = match inc.into_leg() {
            Ok(leg) => leg,
            Err(e) => {
                error!(call_id = %call_id, error = %e, "cannot create the dialog");
                // Nothing was answered, so there is nothing to recover later.
                let _ = tokio::fs::remove_dir_all(&folder).await;
                return;
            }
        };
        let role = match line_kind {
            CallPurpose::Fax => MediaRole::ReceiveFax {
                folder: folder.clone(),
            },
            CallPurpose::Voice => MediaRole::Voicemail {
                config: crate::gateway::greeting::shared_voicemail_config(
                    &sh.config.voicemail,
                    &sh.directory,
                    sh.spool.root(),
                    &route.line,
                )
                .await,
                folder: folder.clone(),
            },
        };
        let settings = MediaSettings::from_config(&sh.config.media, &sh.config.fax);
        call.on_invite(start.elapsed(), sdp.as_deref());
        if !call.is_finished() {
            if let Err(e) = call.answer(start.elapsed(), local, line_kind) {
                warn!(call_id = %call_id, error = %e, "cannot answer");
            }
        }
        let (media, mut events) = MediaHandle::spawn(call_id.clone(), sockets, role, settings);
        let report: DriveReport = drive(&mut call, &mut leg, &media, &mut events, start).await;
        media.hangup();
        let outcome = media.finish().await;
        info!(
            call_id = %call_id,
            reason = ?report.reason,
            secs = report.ended_after.as_secs_f64(),
            t38 = report.t38,
            became_fax = outcome.became_fax,
            rtp_received = outcome.rtp.packets_received,
            rtp_lost = outcome.rtp.packets_lost,
            rtp_foreign = outcome.rtp.foreign,
            udptl_foreign = outcome.udptl_foreign,
            "call ended"
        );
        if let Some(fax) = &outcome.fax {
            metrics().t30_result(Dir::In, crate::fax::t30_class(fax.result_code));
            metrics().fax_pages(Dir::In, fax.pages);
        }
        let answered = report.answered_after.map(|d| started_at + d);
        let ended_at = started_at + report.ended_after;
        let kind = CallCapture::from_outcome(&outcome, &sh.config.voicemail);
        let summary = CallSummary {
            call_id: call_id.clone(),
            account: route.account.id.clone(),
            dialled: route.dialled.clone(),
            line: route.line.number.clone(),
            caller_number,
            caller_name,
            start: started_at,
            answered_at: answered,
            ended_at,
            kind,
            rtp_lost: outcome.rtp.packets_lost,
            rtp_foreign: outcome.rtp.foreign,
            udptl_foreign: outcome.udptl_foreign,
            source: format!("sip from {source}"),
        };
        let duration = summary.duration();
        let spool = sh.spool.clone();
        let (final_status, reason) = (report.final_status, report.reason);
        // The commit (moves, fsyncs) and the record (it looks at the fax file) touch the disk:
        // on a closer thread (below the media's priority: a burst of hang-ups must not stall
        // the calls still running), like the removal of the call folder (tokio::fs) after it.
        let committed = crate::call::driver::after_call(move || {
            // The record's status looks at the fax file, which the commit moves into the
            // spool: read before the move.
            let before = summary.to_record(None, final_status, reason, None);
            let r = commit_call(&spool, &summary);
            let event = match &r {
                Ok(Some(job)) => crate::gateway::commit::webhook_event(&summary, job),
                _ => None,
            };
            let rec = match &r {
                Ok(job) => crate::directory::records::NewCallRecord {
                    job_id: job.as_ref().map(|j| j.to_string()),
                    ..before
                },
                Err(e) => summary.to_record(None, final_status, reason, Some(e.to_string())),
            };
            (r, rec, event)
        })
        .await;
        if let Some((_, rec, _)) = &committed {
            let (kind, result) = call_result(metric_kind, rec);
            metrics().call_ended(Dir::In, kind, result, duration);
        }
        match committed {
            Some((Ok(job), rec, event)) => {
                if let Some(job) = &job {
                    info!(call_id = %call_id, job = %job, "message committed to the spool");
                    if let Some(event) = &event {
                        self.queue_webhook(event).await;
                    }
                    sh.new_job.notify_one();
                }
                // The folder goes first: a crash before it is gone leaves a folder whose
                // message is committed already (recovery then only removes it).
                let _ = tokio::fs::remove_dir_all(&folder).await;
                self.record(&rec).await;
            }
            Some((Err(e), rec, _)) => {
                // The call folder is kept with its call.json: the next start of the gateway
                // commits it again (see gateway::recovery), so the message is not lost.
                error!(call_id = %call_id, error = %e, folder = %folder.display(), "cannot commit the message; it stays in the call folder and is committed at the next start");
                self.record(&rec).await;
            }
            None => error!(call_id = %call_id, "commit task failed"),
        }
    }

    /// Queues the account's webhook event of a committed message (when it has a webhook). A
    /// failure is logged: the message itself is committed and emailed regardless.
    async fn queue_webhook(&self, event: &crate::webhook::Event) {
        let sh = &self.shared;
        match crate::webhook::enqueue(&sh.directory, &sh.spool, SystemTime::now(), event).await {
            Ok(Some(id)) => info!(webhook_job = %id, event = %event.kind, "webhook event queued"),
            Ok(None) => {}
            Err(e) => error!(error = %e, event = %event.kind, "cannot queue the webhook event"),
        }
    }

    async fn record(&self, rec: &crate::directory::records::NewCallRecord) {
        if let Err(e) = self.shared.directory.add_call_record(rec).await {
            error!(call_id = %rec.call_id, error = %e, "cannot write the call record");
        }
    }
}

/// The caller as the block list knows it: its E.164 number, or `anonymous` when it withholds
/// it (privacy asked, or no number given); `None` when From carries something else (a national
/// number, a name), which no entry can match.
fn caller_for_blocking(inc: &IncomingCall) -> Option<String> {
    let user = inc.from_user.trim();
    let withheld = ["", "anonymous", "unknown", "restricted", "unavailable"];
    if inc.privacy || withheld.iter().any(|w| user.eq_ignore_ascii_case(w)) {
        return Some(validate::ANONYMOUS.to_string());
    }
    validate::normalize_number(user).ok()
}

/// The record of a call declined because of `entry`: rejected with 603, reason `blocked: …`.
fn blocked_record(inc: &IncomingCall, route: &Route, entry: &BlockEntry) -> NewCallRecord {
    let mut rec = NewCallRecord::new(
        inc.call_id.clone(),
        inc.request_user.clone(),
        CallKind::Rejected,
        CallStatus::Ok,
        SystemTime::now(),
    );
    rec.account = Some(route.account.id.clone());
    rec.line = Some(route.line.number.clone());
    if !inc.privacy {
        rec.caller = inc.from_user.clone();
        rec.caller_name = inc.from_display.clone();
    }
    rec.sip_status = Some(603);
    rec.reason = Some(format!("blocked: caller on the block list, entry {entry}"));
    rec
}

/// The kind of a line's calls, for the metrics.
fn line_metric(route: &Route) -> Kind {
    match route.line.kind {
        LineKind::Fax => Kind::Fax,
        _ => Kind::Voicemail,
    }
}

/// The kind and result of an ended call for `faxvox_calls_total`, from its record: a
/// voicemail call that turned into a fax counts as a fax; a call that left nothing is
/// `missed` on a voicemail line and `failed` on a fax line.
fn call_result(line: Kind, rec: &crate::directory::records::NewCallRecord) -> (Kind, CallResult) {
    use crate::directory::records::{CallKind, CallStatus};
    let kind = match rec.kind {
        CallKind::Fax => Kind::Fax,
        CallKind::Voicemail => Kind::Voicemail,
        CallKind::Missed | CallKind::Rejected => line,
    };
    let result = match (rec.kind, rec.status) {
        (_, CallStatus::Failed) => CallResult::Failed,
        (CallKind::Fax, CallStatus::Partial) => CallResult::Partial,
        (CallKind::Missed, _) if line == Kind::Fax => CallResult::Failed,
        (CallKind::Missed, _) => CallResult::Missed,
        (CallKind::Rejected, _) => CallResult::Refused,
        _ => CallResult::Ok,
    };
    (kind, result)
}

/// Marks a call folder as in use for as long as the call task holds it.
struct LiveFolder {
    shared: Arc<Shared>,
    folder: PathBuf,
}

impl LiveFolder {
    fn new(shared: Arc<Shared>, folder: PathBuf) -> LiveFolder {
        if let Ok(mut set) = shared.live_folders.lock() {
            set.insert(folder.clone());
        }
        LiveFolder { shared, folder }
    }
}

impl Drop for LiveFolder {
    fn drop(&mut self) {
        if let Ok(mut set) = self.shared.live_folders.lock() {
            set.remove(&self.folder);
        }
    }
}

/// A file-system-safe folder name for a Call-ID (which may hold `@`, `/`, …).
fn safe_name(call_id: &str) -> String {
    let mut s: String = call_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    s.push('-');
    s.push_str(&format!("{:08x}", rand::rng().random::<u32>()));
    s
}
