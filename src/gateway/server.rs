//! The gateway proper: takes incoming calls from the SIP stack, decides who may call and where
//! the call goes, and runs each admitted call to its end, when its message is committed to the
//! spool and its detail record written.
//!
//! Admission is cheap and allocates nothing for refused calls: an untrusted source gets 403,
//! an unknown number 404, a full gateway or a full spool disk 503 — all before any media port
//! is bound.

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

use crate::config::Config;
use crate::directory::{validate, Directory, LineKind as DirLineKind, Route};
use crate::gateway::commit::{commit_call, CallKind, CallSummary};
use crate::gateway::drive::{drive, DriveReport};
use crate::gateway::recovery::{meta_time, recover_calls, CallMeta};
use crate::media::channel::{MediaChannel, MediaRole, MediaSettings};
use crate::media::ports::PortPool;
use crate::sip::call::{Call, CallConfig, LineKind};
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
    config: Config,
    directory: Directory,
    spool: Spool,
    ports: PortPool,
    media_ip: IpAddr,
    active: Arc<AtomicUsize>,
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
    /// notified after each commit so the delivery worker picks the message up at once.
    pub fn new(
        config: Config,
        directory: Directory,
        spool: Spool,
        new_job: Arc<Notify>,
    ) -> Result<Gateway, GatewayError> {
        let media_ip = config.sip.media_ip();
        let ports = PortPool::new(media_ip, config.sip.rtp_port_range());
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
            recover_calls(&spool, &root, min, |folder| {
                live.live_folders
                    .lock()
                    .map(|set| set.contains(folder))
                    .unwrap_or(true)
            })
        })
        .await
        else {
            error!("call recovery crashed");
            return (0, 0);
        };
        for r in &done {
            if r.job.is_some() {
                sh.new_job.notify_one();
            }
            let rec =
                r.summary
                    .to_record(r.job.as_ref().map(|j| j.to_string()), Some(200), None, None);
            // One record per call: the one written when its commit failed gives way.
            if let Err(e) = sh
                .directory
                .forget_inbound_call_records(&r.summary.call_id)
                .await
            {
                error!(call_id = %r.summary.call_id, error = %e, "cannot replace the call record");
            }
            if let Err(e) = sh.directory.add_call_record(&rec).await {
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
        if !sh.config.sip.is_trusted(inc.source.ip()) && inc.authenticated_user.is_none() {
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
        let route = match self.route(&inc).await {
            Ok(route) => route,
            Err((status, reason)) => {
                inc.reject(status, reason).await;
                return;
            }
        };
        match sh.spool.check_capacity() {
            Ok(_) => {}
            Err(e) => {
                error!(call_id = %call_id, error = %e, "spool cannot take messages: 503");
                inc.reject(503, "Service Unavailable").await;
                return;
            }
        }
        let sockets = match sh.ports.bind() {
            Ok(s) => s,
            Err(e) => {
                error!(call_id = %call_id, error = %e, "no media port free: 503");
                inc.reject(503, "Service Unavailable").await;
                return;
            }
        };
        self.run_call(inc, route, sockets).await;
        drop(slot);
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
        sockets: crate::media::ports::MediaSockets,
    ) {
        let sh = &self.shared;
        let start = Instant::now();
        let started_at = SystemTime::now();
        let call_id = inc.call_id.clone();
        let line_kind = match route.line.kind {
            DirLineKind::Fax => LineKind::Fax,
            _ => LineKind::Voice,
        };
        let folder = sh.work_root.join(safe_name(&call_id));
        let _live = LiveFolder::new(sh.clone(), folder.clone());
        if let Err(e) = crate::fsutil::create_dir_all_private(&folder) {
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
            start: meta_time(started_at),
            source: format!("sip from {}", inc.source),
        };
        if let Err(e) = meta.write(&folder) {
            error!(call_id = %call_id, error = %e, folder = %folder.display(), "cannot write the call facts: 503");
            let _ = std::fs::remove_dir_all(&folder);
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
                let _ = std::fs::remove_dir_all(&folder);
                return;
            }
        };
        let role = match line_kind {
            LineKind::Fax => MediaRole::ReceiveFax {
                folder: folder.clone(),
            },
            LineKind::Voice => MediaRole::Voicemail {
                config: crate::gateway::greeting::voicemail_config(&sh.config, &route.line),
                folder: folder.clone(),
            },
        };
        let settings = MediaSettings::from_config(&sh.config);
        call.on_invite(start.elapsed(), sdp.as_deref());
        if !call.is_terminated() {
            if let Err(e) = call.answer(start.elapsed(), local, line_kind) {
                warn!(call_id = %call_id, error = %e, "cannot answer");
            }
        }
        let (media, mut events) = MediaChannel::spawn(call_id.clone(), sockets, role, settings);
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
            "call ended"
        );
        let answered = report.answered_after.map(|d| started_at + d);
        let ended_at = started_at + report.ended_after;
        let kind = CallKind::from_outcome(&outcome, &sh.config);
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
            source: format!("sip from {source}"),
        };
        let spool = sh.spool.clone();
        let committed = tokio::task::spawn_blocking(move || {
            let r = commit_call(&spool, &summary);
            (r, summary)
        })
        .await;
        match committed {
            Ok((Ok(job), summary)) => {
                if let Some(job) = &job {
                    info!(call_id = %call_id, job = %job, "message committed to the spool");
                    sh.new_job.notify_one();
                }
                self.record(&summary, job.as_ref().map(|j| j.to_string()), &report, None)
                    .await;
                let _ = std::fs::remove_dir_all(&folder);
            }
            Ok((Err(e), summary)) => {
                // The call folder is kept with its call.json: the next start of the gateway
                // commits it again (see gateway::recovery), so the message is not lost.
                error!(call_id = %call_id, error = %e, folder = %folder.display(), "cannot commit the message; it stays in the call folder and is committed at the next start");
                self.record(&summary, None, &report, Some(e.to_string()))
                    .await;
            }
            Err(e) => error!(call_id = %call_id, error = %e, "commit task failed"),
        }
    }

    async fn record(
        &self,
        summary: &CallSummary,
        job: Option<String>,
        report: &DriveReport,
        problem: Option<String>,
    ) {
        let rec = summary.to_record(job, report.final_status, report.reason, problem);
        if let Err(e) = self.shared.directory.add_call_record(&rec).await {
            error!(call_id = %summary.call_id, error = %e, "cannot write the call record");
        }
    }
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
