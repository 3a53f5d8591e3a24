//! Rasterising submitted documents in a child process, with limits.
//!
//! Why a process: a document from the HTTP API, `faxvox send` or email is hostile input to a
//! PDF renderer (hayro) that has no time or memory limit of its own. A thread cannot be
//! stopped, so a timeout around one only stops waiting while it burns a core (and memory)
//! for as long as the document asks. A process can be killed: [`Renderer::render`] starts
//! `faxvox render-worker` ([`worker_main`]), streams the documents to its stdin and reads the
//! fax pages (a G4 TIFF) from its stdout, under
//! - a wall-clock timeout (`render.timeout_secs`) after which it is killed and reaped,
//! - `RLIMIT_CPU` (`render.cpu_secs`) and `RLIMIT_AS` (`render.memory_mb`), set on the child
//!   before it is sent a document, a lower CPU priority (nice 10, so calls keep their media ticks), no core
//!   dump, and `PR_SET_PDEATHSIG` so it dies with the gateway,
//! - a cap on its output (the pages of `render.max_pages`),
//! - at most `render.max_concurrent` renderers at once: a submission waits `render.queue_secs`
//!   for a turn, then is refused as [`RenderError::Busy`] (HTTP 429), so uploads never take
//!   every core from calls and the commit of received messages.
//!
//! Inside the worker the usual limits refuse what they can tell at once, with a clear
//! reason: pages (`render.max_pages`) and declared image sizes (`render.max_pixels`, images
//! inside PDFs included).
//!
//! Protocol (private to this file): stdin carries one JSON line ([`Request`]) then the
//! documents' bytes back to back; on success the worker exits 0 with stdout = page count
//! (u32, little-endian) + the TIFF; a document it refuses exits 2 with the
//! [`DocumentError`] as a JSON line on stderr.

use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rustix::process::Signal;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;
use tracing::{info, warn};

use super::cover::{self, CoverDetails, CoverText};
use super::RenderConfig;
use super::{rasterize_documents, DocumentError, MAX_PAGES};

/// The hidden subcommand that runs [`worker_main`].
pub const WORKER_COMMAND: &str = "render-worker";
/// Largest JSON request line the worker reads (names and a cover text).
const MAX_REQUEST_LINE: u64 = 1 << 20;
/// Largest error report read from the worker's stderr.
const MAX_STDERR: u64 = 64 * 1024;
/// Output allowance per page: a G4 page of dithered photo is a few hundred KiB.
const MAX_BYTES_PER_PAGE: u64 = 2 << 20;

/// What the renderer produced: the fax's pages as one G4 TIFF, cover page first.
#[derive(Debug)]
pub struct Rendered {
    pub tiff: Vec<u8>,
    pub pages: usize,
}

/// Why documents were not rendered.
#[derive(Debug, Error)]
pub enum RenderError {
    /// The documents' fault (unreadable, too many pages, too large, too complex): the
    /// sender's to fix.
    #[error(transparent)]
    Refused(#[from] DocumentError),
    /// Every renderer stayed busy for `render.queue_secs`: try again shortly.
    #[error("too many documents are being rendered right now; try again in a few seconds")]
    Busy,
    /// The renderer could not be run (the gateway's fault).
    #[error("the document renderer failed: {0}")]
    Internal(String),
}

/// Documents to render, with the cover page to put first.
pub struct RenderJob {
    /// (name for messages, bytes), in order. Held once: streamed to the worker from here.
    pub documents: Vec<(String, Bytes)>,
    /// The cover text (already checked by [`CoverText::parse`]) and its header; the worker
    /// fills in the page count.
    pub cover: Option<(String, CoverDetails)>,
}

#[derive(Serialize, Deserialize)]
struct Request {
    max_pages: usize,
    max_pixels: u64,
    documents: Vec<DocumentHead>,
    cover: Option<CoverRequest>,
}

#[derive(Serialize, Deserialize)]
struct DocumentHead {
    name: String,
    len: u64,
}

#[derive(Serialize, Deserialize)]
struct CoverRequest {
    text: String,
    details: CoverDetails,
}

/// Runs renderers with the limits of `[render]`; one per process, shared by every submission
/// path. Cheap to clone.
#[derive(Clone)]
pub struct Renderer {
    inner: Arc<Inner>,
}

struct Inner {
    limits: RenderConfig,
    program: PathBuf,
    slots: Semaphore,
    started: AtomicU64,
}

impl Renderer {
    /// A renderer for `config` (the worker program is `render.worker`, else this executable).
    pub fn new(config: &RenderConfig) -> Renderer {
        let program = if config.worker.trim().is_empty() {
            self_exe()
        } else {
            PathBuf::from(config.worker.trim())
        };
        Renderer {
            inner: Arc::new(Inner {
                limits: config.clone(),
                program,
                slots: Semaphore::new(config.max_concurrent.max(1)),
                started: AtomicU64::new(0),
            }),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &RenderConfig {
        &self.inner.limits
    }

    /// Worker processes started so far (for tests and logs).
    pub fn started(&self) -> u64 {
        self.inner.started.load(Ordering::Relaxed)
    }

    /// Renders `job` in a worker process: its pages as a G4 TIFF, or why not. Waits up to
    /// `render.queue_secs` for a free renderer.
    pub async fn render(&self, job: RenderJob) -> Result<Rendered, RenderError> {
        let limits = &self.inner.limits;
        let queue = Duration::from_secs(limits.queue_secs);
        let _permit = match tokio::time::timeout(queue, self.inner.slots.acquire()).await {
            Ok(Ok(p)) => p,
            Ok(Err(_)) => return Err(RenderError::Internal("renderer closed".into())),
            Err(_) => {
                warn!(
                    running = limits.max_concurrent,
                    waited_secs = limits.queue_secs,
                    "document refused: every renderer is busy"
                );
                return Err(RenderError::Busy);
            }
        };
        self.inner.started.fetch_add(1, Ordering::Relaxed);
        self.run_worker(job).await
    }

    async fn run_worker(&self, job: RenderJob) -> Result<Rendered, RenderError> {
        let limits = &self.inner.limits;
        let max_pages = limits.max_pages.clamp(1, MAX_PAGES);
        let request = Request {
            max_pages,
            max_pixels: limits.max_pixels,
            documents: job
                .documents
                .iter()
                .map(|(name, b)| DocumentHead {
                    name: name.clone(),
                    len: b.len() as u64,
                })
                .collect(),
            cover: job
                .cover
                .map(|(text, details)| CoverRequest { text, details }),
        };
        let mut head = serde_json::to_vec(&request)
            .map_err(|e| RenderError::Internal(format!("request: {e}")))?;
        head.push(b'\n');

        let mut cmd = tokio::process::Command::new(&self.inner.program);
        cmd.arg(WORKER_COMMAND)
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let started = std::time::Instant::now();
        let mut child = cmd.spawn().map_err(|e| {
            RenderError::Internal(format!(
                "cannot start {} {WORKER_COMMAND}: {e}",
                self.inner.program.display()
            ))
        })?;
        let pid = child.id();
        if let Err(e) = pid
            .ok_or_else(|| std::io::Error::other("no process id"))
            .and_then(|pid| set_child_limits(pid, limits.cpu_secs, limits.memory_mb))
        {
            let _ = child.kill().await;
            return Err(RenderError::Internal(format!("renderer limits: {e}")));
        }
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill().await;
            return Err(RenderError::Internal("renderer pipes missing".into()));
        };

        let out_cap = 4 + max_pages as u64 * MAX_BYTES_PER_PAGE;
        let documents = job.documents;
        let feed = async move {
            // A worker that refuses early closes its stdin: the rest is not needed.
            if stdin.write_all(&head).await.is_err() {
                return;
            }
            for (_, bytes) in &documents {
                if stdin.write_all(bytes).await.is_err() {
                    return;
                }
            }
            let _ = stdin.shutdown().await;
        };
        let read_out = async move {
            let mut out = Vec::new();
            let r = stdout.take(out_cap + 1).read_to_end(&mut out).await;
            r.map(|_| out)
        };
        let read_err = async move {
            let mut err = Vec::new();
            let _ = stderr.take(MAX_STDERR).read_to_end(&mut err).await;
            err
        };
        let timeout = Duration::from_secs(limits.timeout_secs);
        let run = async {
            let ((), out, err) = tokio::join!(feed, read_out, read_err);
            // Output over the cap: stop it now rather than wait for the timeout.
            if out.as_ref().is_ok_and(|o| o.len() as u64 > out_cap) {
                let _ = child.start_kill();
            }
            let status = child.wait().await;
            (out, err, status)
        };
        let result = tokio::time::timeout(timeout, run).await;
        let elapsed = started.elapsed();
        let (out, err, status) = match result {
            Ok(r) => r,
            Err(_) => {
                // Kill and reap: nothing keeps running, no zombie.
                let _ = child.kill().await;
                warn!(
                    pid,
                    secs = limits.timeout_secs,
                    "renderer killed: document too complex"
                );
                return Err(too_complex(format!(
                    "rendering exceeded {} s; send a simpler document",
                    limits.timeout_secs
                )));
            }
        };
        let status = status.map_err(|e| RenderError::Internal(format!("renderer: {e}")))?;
        let err_text = String::from_utf8_lossy(&err);
        if status.success() {
            let out = out.map_err(|e| RenderError::Internal(format!("renderer output: {e}")))?;
            if out.len() < 4 {
                return Err(RenderError::Internal("renderer gave no pages".into()));
            }
            let pages = u32::from_le_bytes([out[0], out[1], out[2], out[3]]) as usize;
            let tiff = out[4..].to_vec();
            info!(
                pid,
                pages,
                bytes = tiff.len(),
                ms = elapsed.as_millis() as u64,
                "documents rendered"
            );
            return Ok(Rendered { tiff, pages });
        }
        if out.as_ref().is_ok_and(|o| o.len() as u64 > out_cap) {
            return Err(too_complex(format!(
                "the fax pages would be over {} MiB",
                out_cap >> 20
            )));
        }
        if status.code() == Some(EXIT_REFUSED) {
            let refused = err_text
                .lines()
                .rev()
                .find_map(|l| serde_json::from_str::<Refusal>(l).ok());
            if let Some(r) = refused {
                return Err(RenderError::Refused(DocumentError {
                    name: r.name,
                    reason: r.reason,
                }));
            }
        }
        warn!(pid, %status, stderr = %err_text.trim(), "renderer failed");
        let signal = status.signal();
        if signal == Some(Signal::XCPU.as_raw())
            || (signal == Some(Signal::KILL.as_raw()) && elapsed.as_secs() >= limits.cpu_secs)
        {
            return Err(too_complex(format!(
                "rendering used more than {} s of CPU",
                limits.cpu_secs
            )));
        }
        if err_text.contains("memory allocation") || err_text.contains("capacity overflow") {
            return Err(too_complex(format!(
                "rendering needed more than {} MiB of memory",
                limits.memory_mb
            )));
        }
        if signal.is_some() || status.code() == Some(EXIT_REFUSED) {
            // A crash on a document is the document's doing (a panic is caught and reported).
            return Err(too_complex(format!(
                "the renderer stopped on it ({})",
                signal.map_or_else(|| "no reason given".to_string(), |s| format!("signal {s}"))
            )));
        }
        Err(RenderError::Internal(format!(
            "{status}: {}",
            err_text.trim().lines().last().unwrap_or("")
        )))
    }
}

fn too_complex(reason: String) -> RenderError {
    RenderError::Refused(DocumentError {
        name: "documents".into(),
        reason: format!("document too complex: {reason}"),
    })
}

/// This executable: `/proc/self/exe` on Linux (still right when the file was replaced by
/// an upgrade), else what the OS says.
fn self_exe() -> PathBuf {
    if cfg!(target_os = "linux") {
        PathBuf::from("/proc/self/exe")
    } else {
        std::env::current_exe().unwrap_or_else(|_| PathBuf::from("faxvox"))
    }
}

/// Lowers the limits of the worker `pid` just started, before it is sent any document (it
/// reads nothing but its stdin, so no document is parsed without them): `RLIMIT_CPU`,
/// `RLIMIT_AS`, no core dump, nice 10. Set from the parent with `prlimit(2)`, which needs no
/// code between fork and exec. (`PR_SET_PDEATHSIG` is set by the worker itself, in
/// [`worker_main`].)
#[cfg(target_os = "linux")]
fn set_child_limits(pid: u32, cpu_secs: u64, memory_mb: u64) -> std::io::Result<()> {
    use rustix::process::{setpriority_process, Pid, Resource};
    let memory = memory_mb.saturating_mul(1 << 20);
    let pid = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| std::io::Error::other("no such process"))?;
    lower_limit(pid, Resource::Cpu, cpu_secs, cpu_secs.saturating_add(2))?;
    lower_limit(pid, Resource::As, memory, memory)?;
    lower_limit(pid, Resource::Core, 0, 0)?;
    let _ = setpriority_process(Some(pid), 10);
    Ok(())
}

/// Without `prlimit(2)` the worker runs without the CPU and memory limits (the wall-clock
/// timeout and the output cap still hold).
#[cfg(not(target_os = "linux"))]
fn set_child_limits(_pid: u32, _cpu_secs: u64, _memory_mb: u64) -> std::io::Result<()> {
    Ok(())
}

/// Sets a resource limit of process `pid`, never above the hard limit it inherited from us.
#[cfg(target_os = "linux")]
fn lower_limit(
    pid: rustix::process::Pid,
    resource: rustix::process::Resource,
    soft: u64,
    hard: u64,
) -> std::io::Result<()> {
    use rustix::process::{getrlimit, prlimit, Rlimit};
    let max = getrlimit(resource).maximum.unwrap_or(u64::MAX);
    prlimit(
        Some(pid),
        resource,
        Rlimit {
            current: Some(soft.min(max)),
            maximum: Some(hard.min(max)),
        },
    )?;
    Ok(())
}

/// Exit code of a worker that refused a document (its reason on stderr).
const EXIT_REFUSED: i32 = 2;

#[derive(Serialize, Deserialize)]
struct Refusal {
    name: String,
    reason: String,
}

/// `faxvox render-worker`: reads a [`Request`] and the documents on stdin, writes the page
/// count and the G4 TIFF on stdout. Run only by [`Renderer`], under its limits.
pub fn worker_main() -> ExitCode {
    // Die with the gateway. (The signal follows the thread that spawned us: tokio's worker
    // threads live as long as the runtime.) Should the gateway be gone already, stdin is
    // closed and the worker stops at once.
    #[cfg(target_os = "linux")]
    let _ = rustix::process::set_parent_process_death_signal(Some(Signal::KILL));
    let refuse = |e: DocumentError| {
        let r = Refusal {
            name: e.name,
            reason: e.reason,
        };
        eprintln!("{}", serde_json::to_string(&r).unwrap_or_default());
        ExitCode::from(EXIT_REFUSED as u8)
    };
    let fail = |m: String| {
        eprintln!("render-worker: {m}");
        ExitCode::FAILURE
    };
    let mut input = std::io::stdin().lock();
    let mut line = Vec::new();
    {
        let mut head = (&mut input).take(MAX_REQUEST_LINE);
        let mut byte = [0u8; 1];
        loop {
            match head.read(&mut byte) {
                Ok(0) => return fail("no request".into()),
                Ok(_) if byte[0] == b'\n' => break,
                Ok(_) => line.push(byte[0]),
                Err(e) => return fail(format!("stdin: {e}")),
            }
        }
    }
    let request: Request = match serde_json::from_slice(&line) {
        Ok(r) => r,
        Err(e) => return fail(format!("bad request: {e}")),
    };
    let mut documents = Vec::with_capacity(request.documents.len());
    for d in &request.documents {
        let mut bytes = Vec::new();
        if let Err(e) = (&mut input).take(d.len).read_to_end(&mut bytes) {
            return fail(format!("stdin: {e}"));
        }
        if bytes.len() as u64 != d.len {
            return fail(format!("{}: truncated input", d.name));
        }
        documents.push((d.name.clone(), bytes));
    }
    drop(input);
    let max_pages = request.max_pages.clamp(1, MAX_PAGES);
    let mut pages = match rasterize_documents(&documents, max_pages, request.max_pixels) {
        Ok(p) => p,
        Err(e) => return refuse(e),
    };
    drop(documents);
    if let Some(c) = request.cover {
        let text = match CoverText::parse(&c.text) {
            Ok(t) => t,
            Err(e) => {
                return refuse(DocumentError {
                    name: "cover".into(),
                    reason: e.to_string(),
                })
            }
        };
        let mut details = c.details;
        details.total_pages = pages.len() + 1;
        if details.total_pages > max_pages {
            return refuse(DocumentError {
                name: "documents".into(),
                reason: format!(
                    "the fax would have {} pages with the cover page; at most {max_pages} are sent at once",
                    details.total_pages
                ),
            });
        }
        match cover::render(&text, &details) {
            Ok(page) => pages.insert(0, page),
            Err(e) => return fail(format!("cover page: {e}")),
        }
    }
    let tiff = faxvox_codecs::tiff::write_g4_tiff(&pages);
    let n = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    let mut out = std::io::stdout().lock();
    let written = out
        .write_all(&n.to_le_bytes())
        .and_then(|()| out.write_all(&tiff))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("stdout: {e}")),
    }
}
