//! The metrics and health listener (`metrics.listen`), separate from the API: no token, GET
//! only, small bounded answers, so the monitoring can scrape a node that is busy.
//!
//! - `GET /metrics`: the Prometheus text format ([`super::exposition::render`]).
//! - `GET /healthz`: 200 `ok` while the process runs.
//! - `GET /readyz`: 200 `ready` when the node takes new calls, else 503 with the reasons
//!   ([`Readiness::check`]).
//! - `GET /status`: JSON ([`Status`]) for `faxvox status`.
//!
//! Connections are HTTP/1.1 with a header deadline, at most [`MAX_CONNECTIONS`] at once
//! (more are closed at once): a scraper that hangs cannot pile connections up.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use thiserror::Error;
use tokio::sync::Notify;
use tracing::{debug, info, warn};

use super::status::Status;
use super::{exposition, metrics, Readiness};

/// Connections served at once; more are closed without an answer.
pub const MAX_CONNECTIONS: usize = 64;
/// Seconds a client has to send its request headers (also the keep-alive idle limit).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the listener could not start.
#[derive(Debug, Error)]
pub enum MetricsError {
    #[error("cannot listen for metrics on {addr} (metrics.listen): {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

#[derive(Clone)]
struct AppState {
    readiness: Arc<Readiness>,
    started: SystemTime,
}

/// The routes.
fn router(readiness: Arc<Readiness>, started: SystemTime) -> Router {
    Router::new()
        .route("/metrics", get(get_metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(get_readyz))
        .route("/status", get(get_status))
        .with_state(AppState { readiness, started })
}

async fn get_metrics(State(s): State<AppState>) -> Response {
    let body = exposition::render(metrics(), &s.readiness);
    ([(header::CONTENT_TYPE, exposition::CONTENT_TYPE)], body).into_response()
}

async fn get_readyz(State(s): State<AppState>) -> Response {
    match s.readiness.check() {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready\n{why}\n"),
        )
            .into_response(),
    }
}

async fn get_status(State(s): State<AppState>) -> Json<Status> {
    Json(Status::now(metrics(), &s.readiness, s.started))
}

/// A running metrics listener.
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl MetricsServer {
    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops listening; requests in progress get up to 2 s.
    pub async fn shutdown(self) {
        self.stop.notify_one();
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(2), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

/// Starts the listener on `addr`; `started` is when the node started (for the uptime).
pub async fn start(
    addr: SocketAddr,
    readiness: Arc<Readiness>,
    started: SystemTime,
) -> Result<MetricsServer, MetricsError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| MetricsError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| MetricsError::Bind { addr, source })?;
    let stop = Arc::new(Notify::new());
    let task = tokio::spawn(serve(listener, router(readiness, started), stop.clone()));
    info!(%addr, "metrics and health listening");
    Ok(MetricsServer { addr, stop, task })
}

/// The accept loop (as the API's: hyper's header read timeout, graceful close on stop), with
/// a bound on the connections open.
async fn serve(listener: tokio::net::TcpListener, app: Router, stop: Arc<Notify>) {
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = stop.notified() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                warn!(error = %e, "metrics listener cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if connections.len() >= MAX_CONNECTIONS {
            debug!(%peer, "metrics listener: too many connections, closing one");
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let (app, closed) = (app.clone(), closed.clone());
        connections.spawn(async move {
            if let Err(e) = serve_http1(stream, app, HEADER_TIMEOUT, closed).await {
                debug!(%peer, error = %e, "metrics connection ended");
            }
        });
    }
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
}

/// Serves one accepted HTTP/1 connection with `app`: the header must arrive within
/// `header_timeout`, and a change on `closed` (shutdown) lets the request in progress finish,
/// then closes. Shared by this listener and the HTTP API's.
pub async fn serve_http1(
    stream: tokio::net::TcpStream,
    app: Router,
    header_timeout: Duration,
    mut closed: tokio::sync::watch::Receiver<bool>,
) -> Result<(), hyper::Error> {
    let service = hyper_util::service::TowerToHyperService::new(app);
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => r,
        _ = closed.changed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    }
}
