//! The HTTP API (`api.listen`): clients submit faxes and follow them.
//!
//! - `POST /v1/faxes` (multipart/form-data): one or more `document` parts (PDF, TIFF, PNG,
//!   JPEG, sent in order), the fields `to`, `from`, optional `anonymous` (`true`/`false`) and
//!   `cover` (the text of a cover page put before the documents; empty means none) and
//!   `header` (`false` sends the pages without the header line; default `true`), or
//!   instead of the fields one `fax` part holding JSON `{"to":…, "from":…, "anonymous":…,
//!   "cover":…, "header":…}`. The admin token must also name the `account`. Goes through
//!   [`crate::outbound::submit`] exactly like `faxvox send`: 202 `{id, state, pages, rate,
//!   amount, …}` once queued and reserved; `pages` counts the cover page, which is priced and
//!   billed like the others.
//! - `GET /v1/faxes/{id}`: the fax's state (`queued`, `sent`, `failed`) and result.
//! - `GET /v1/faxes?state=queued|sent|failed`: the account's faxes, by id (submission time
//!   to the second).
//! - `GET /v1/openapi.json`: the OpenAPI 3 description ([`openapi::document`]).
//!
//! Authentication: `Authorization: Bearer TOKEN`, a token of one account
//! (`faxvox account token ID`, see [`tokens`]) or `api.admin_token`, which sees every
//! account's faxes. An account never sees another's fax: it is 404, as if it did not exist.
//!
//! Errors are JSON `{"error": CODE, "message": TEXT}`: 400 `bad_request` (malformed
//! multipart), 401 `unauthorized`, 402 `ceiling_reached` (the out-of-plan ceiling: Payment
//! Required, since a deposit lifts it), 403 `caller_id_refused` / `destination_blocked` / `account_suspended` /
//! `account_restricted` / `forbidden`, 404 `not_found`, 409 `duplicate`, 413 `too_large`
//! (over `api.max_upload_bytes`, or one document over 20 MiB), 415 `unsupported_media_type`
//! (not multipart, or a document that is not PDF/TIFF/PNG/JPEG), 422 `document_refused`
//! (corrupt or unreadable document, or too complex: over `render.max_pages`, an image over
//! `render.max_pixels`, rendering over `render.timeout_secs`) / `cover_refused` (cover text too long, with control or
//! unprintable characters) / `missing_field` / `invalid_field` /
//! `invalid_destination` / `no_rate` / `unknown_account` / `invalid_state`, 429 `busy`
//! (every renderer busy for `render.queue_secs`; `Retry-After` set), 500 `internal`,
//! 503 `sending_disabled` / `spool_full`. The account's state and ceiling are checked before
//! the documents are rendered. A refused fax leaves nothing reserved or queued.
//!
//! Request bodies are limited to `api.max_upload_bytes` while they stream in (a larger
//! `Content-Length` is refused before reading), so a client cannot make the gateway buffer
//! more than that.

pub mod openapi;
pub mod settings;
pub mod tokens;

pub use settings::{ApiConfig, ServiceConfig};

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use faxvox_spool::{Job, JobId, JobKind, Spool, SpoolError, StateName};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use thiserror::Error;
use tokio::sync::Notify;
use tracing::{debug, error, info, warn};

use crate::billing::{Billing, BillingError};
use crate::directory::Directory;
use crate::jobs::{FaxResult, OutboundFacts};
use crate::money::Money;
use crate::outbound::render::Renderer;
use crate::outbound::submit::{submit, Submission, SubmitError};
use crate::outbound::{TrunkConfig, MAX_DOCUMENT_BYTES};

/// Why the API could not start.
#[derive(Debug, Error)]
pub enum ApiError {
    #[error("api.listen {0:?} is not an address like 127.0.0.1:8080")]
    BadListen(String),
    #[error("cannot listen for HTTP on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// What the handlers share. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    inner: Arc<Inner>,
}

struct Inner {
    directory: Directory,
    billing: Billing,
    spool: Spool,
    trunk: TrunkConfig,
    admin_token: String,
    max_upload: u64,
    renderer: Renderer,
}

impl ApiState {
    /// The API's view of the gateway: directory, billing (same pool), spool and settings.
    pub fn new(config: &ServiceConfig, directory: &Directory, spool: &Spool) -> ApiState {
        ApiState {
            inner: Arc::new(Inner {
                directory: directory.clone(),
                billing: Billing::new(directory, &config.billing),
                spool: spool.clone(),
                trunk: config.trunk.clone(),
                admin_token: config.api.admin_token.clone(),
                max_upload: config.api.max_upload_bytes,
                renderer: Renderer::new(&config.render),
            }),
        }
    }
}

/// The routes, with the body limit.
pub fn router(state: ApiState) -> Router {
    let limit = usize::try_from(state.inner.max_upload).unwrap_or(usize::MAX);
    Router::new()
        .route("/v1/faxes", get(list_faxes).post(post_fax))
        .route("/v1/faxes/{id}", get(get_fax))
        .route("/v1/openapi.json", get(openapi_json))
        .fallback(not_found_route)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// A running API server.
pub struct ApiServer {
    addr: SocketAddr,
    stop: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl ApiServer {
    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in progress finish (up to 10 s), then returns.
    pub async fn shutdown(self) {
        self.stop.notify_one();
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(10), &mut task)
            .await
            .is_err()
        {
            warn!("HTTP API requests still running at exit: cut short");
            task.abort();
        }
    }
}

/// Starts the API on `api.listen` when it is set (`None` when it is empty).
pub async fn start(
    config: impl Into<ServiceConfig>,
    directory: &Directory,
    spool: &Spool,
) -> Result<Option<ApiServer>, ApiError> {
    let config = &config.into();
    let Some(addr) = config.api.listen else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ApiError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ApiError::Bind { addr, source })?;
    let request_timeout = config.api.request_timeout();
    let app = router(ApiState::new(config, directory, spool)).layer(
        axum::middleware::from_fn_with_state(request_timeout, request_deadline),
    );
    let stop = Arc::new(Notify::new());
    let task = tokio::spawn(serve(
        listener,
        app,
        stop.clone(),
        config.api.header_timeout(),
    ));
    info!(%addr, admin = !config.api.admin_token.is_empty(), "HTTP API listening");
    Ok(Some(ApiServer { addr, stop, task }))
}

/// The accept loop: HTTP/1.1 connections whose request headers must arrive within
/// `header_timeout` (hyper closes the connection otherwise, also when a kept-alive connection
/// sits idle that long), so clients that trickle bytes cannot hold connections open. On
/// `stop`: no new connections, the ones open finish their request in progress and close.
async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    stop: Arc<Notify>,
    header_timeout: Duration,
) {
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
                // Out of descriptors and the like: do not spin on the error.
                warn!(error = %e, "HTTP API cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (app, closed) = (app.clone(), closed.clone());
        connections.spawn(async move {
            let served = crate::metrics::server::serve_http1(stream, app, header_timeout, closed);
            if let Err(e) = served.await {
                debug!(%peer, error = %e, "HTTP API connection ended");
            }
        });
    }
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
}

/// The request body must arrive within `limit` of the headers; a request whose body comes
/// slower is answered 408 (whatever the handler made of the cut body). The work done once
/// the body is in is not limited here.
async fn request_deadline(
    State(limit): State<Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let expired = Arc::new(AtomicBool::new(false));
    let request = request.map(|body| {
        axum::body::Body::new(DeadlineBody {
            inner: body,
            sleep: Box::pin(tokio::time::sleep(limit)),
            limit,
            expired: expired.clone(),
        })
    });
    let response = next.run(request).await;
    if expired.load(Ordering::Relaxed) {
        warn!(
            limit_secs = limit.as_secs(),
            "HTTP API request body too slow: 408"
        );
        return HttpError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "the request was not received within {} s (api.request_timeout_secs)",
                limit.as_secs()
            ),
        )
        .into_response();
    }
    response
}

/// A request body that fails once its deadline passed while the client was still sending.
struct DeadlineBody {
    inner: axum::body::Body,
    sleep: std::pin::Pin<Box<tokio::time::Sleep>>,
    limit: Duration,
    expired: Arc<AtomicBool>,
}

/// The error of a [`DeadlineBody`] cut short.
#[derive(Debug, Error)]
#[error("request body not received within {} s", .0.as_secs())]
struct BodyTimeout(Duration);

impl http_body::Body for DeadlineBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        if let std::task::Poll::Ready(frame) =
            http_body::Body::poll_frame(std::pin::Pin::new(&mut this.inner), cx)
        {
            return std::task::Poll::Ready(frame);
        }
        if this.sleep.as_mut().poll(cx).is_ready() {
            this.expired.store(true, Ordering::Relaxed);
            return std::task::Poll::Ready(Some(Err(axum::Error::new(BodyTimeout(this.limit)))));
        }
        std::task::Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        http_body::Body::is_end_stream(&self.inner)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::Body::size_hint(&self.inner)
    }
}

// ------------------------------------------------------------------------------- errors

/// An error response: `{"error": code, "message": text}`.
#[derive(Debug)]
pub struct HttpError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// `Retry-After` seconds (429 busy).
    retry_after: Option<u64>,
}

/// `Retry-After` of a 429 `busy`: about one rendering.
const RETRY_AFTER_BUSY_SECS: u64 = 10;

impl HttpError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> HttpError {
        HttpError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    fn not_found(what: &str) -> HttpError {
        HttpError::new(StatusCode::NOT_FOUND, "not_found", format!("no fax {what}"))
    }

    /// A failure of the gateway itself: logged in full, the client gets a short message.
    fn internal(context: &str, detail: impl std::fmt::Display) -> HttpError {
        error!(error = %detail, "HTTP API: {context}");
        HttpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("{context}; try again later"),
        )
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": self.code, "message": self.message}));
        let mut resp = (self.status, body).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"faxvox\""),
            );
        }
        resp
    }
}

async fn not_found_route(uri: Uri) -> HttpError {
    HttpError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no such endpoint {}; see /v1/openapi.json", uri.path()),
    )
}

async fn openapi_json() -> Json<Value> {
    Json(openapi::document())
}

// ------------------------------------------------------------------------ authentication

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Principal {
    Account(String),
    Admin,
}

impl Principal {
    /// Whether this caller may see a fax of `account`.
    fn sees(&self, account: &str) -> bool {
        match self {
            Principal::Admin => true,
            Principal::Account(a) => a == account,
        }
    }
}

async fn authenticate(state: &ApiState, headers: &HeaderMap) -> Result<Principal, HttpError> {
    let unauthorized = |m: &str| HttpError::new(StatusCode::UNAUTHORIZED, "unauthorized", m);
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "missing bearer token: send Authorization: Bearer TOKEN (faxvox account token ID)",
        ));
    };
    let value = value
        .to_str()
        .map_err(|_| unauthorized("malformed Authorization header"))?;
    let token = match value.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(unauthorized("Authorization must be: Bearer TOKEN")),
    };
    if token.is_empty() {
        return Err(unauthorized("empty bearer token"));
    }
    if tokens::is_admin_token(token, &state.inner.admin_token) {
        return Ok(Principal::Admin);
    }
    match tokens::account_for_token(&state.inner.directory, token).await {
        Ok(Some(account)) => Ok(Principal::Account(account)),
        Ok(None) => Err(unauthorized("invalid or revoked token")),
        Err(e) => Err(HttpError::internal("cannot check the token", e)),
    }
}

// ------------------------------------------------------------------------------- submit

/// The JSON part `fax`, instead of the plain fields.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaxFields {
    to: Option<String>,
    from: Option<String>,
    #[serde(default)]
    anonymous: Option<bool>,
    account: Option<String>,
    /// Cover page text.
    #[serde(default)]
    cover: Option<String>,
    /// The header line on every page sent (default true).
    #[serde(default)]
    header: Option<bool>,
}

/// 202 body.
#[derive(Debug, Serialize)]
struct Accepted {
    id: String,
    state: &'static str,
    account: String,
    from: String,
    to: String,
    anonymous: bool,
    /// The header line is stamped on the pages sent.
    header: bool,
    pages: u32,
    rate: Money,
    amount: Money,
}

fn parse_bool(name: &str, v: &str) -> Result<bool, HttpError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "0" | "no" | "off" => Ok(false),
        "true" | "1" | "yes" | "on" => Ok(true),
        other => Err(HttpError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!("{name}: {other:?} is not true or false"),
        )),
    }
}

/// The kind of document by its first bytes (what the rasteriser accepts).
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(1024)];
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some("tiff")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("jpeg")
    } else if head.windows(5).any(|w| w == b"%PDF-") {
        Some("pdf")
    } else {
        None
    }
}

fn multipart_error(e: MultipartError, max: u64) -> HttpError {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        HttpError::new(
            status,
            "too_large",
            format!("the request is over the limit of {max} bytes (api.max_upload_bytes)"),
        )
    } else {
        HttpError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("malformed multipart body: {}", e.body_text()),
        )
    }
}

async fn post_fax(
    State(state): State<ApiState>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, HttpError> {
    let principal = authenticate(&state, &headers).await?;
    let max = state.inner.max_upload;
    let too_large = || {
        HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the request is over the limit of {max} bytes (api.max_upload_bytes)"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let mut multipart = multipart.map_err(|r| {
        HttpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "send multipart/form-data with document parts and to/from fields ({})",
                r.body_text()
            ),
        )
    })?;

    let mut fields = FaxFields::default();
    let mut documents: Vec<(String, bytes::Bytes)> = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, max))?
    {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "document" | "document[]" | "documents" => {
                let file = field
                    .file_name()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("document {}", documents.len() + 1));
                let bytes = field.bytes().await.map_err(|e| multipart_error(e, max))?;
                if bytes.len() > MAX_DOCUMENT_BYTES {
                    return Err(HttpError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too_large",
                        format!(
                            "{file}: {} bytes is over the limit of {MAX_DOCUMENT_BYTES} bytes per document",
                            bytes.len()
                        ),
                    ));
                }
                if sniff(&bytes).is_none() {
                    return Err(HttpError::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_media_type",
                        format!("{file}: not a PDF, TIFF, PNG or JPEG document"),
                    ));
                }
                // Kept as received (one copy) and streamed to the renderer from here.
                documents.push((file, bytes));
            }
            "to" | "from" | "anonymous" | "account" | "cover" | "header" | "fax" => {
                let text = field.text().await.map_err(|e| multipart_error(e, max))?;
                match name.as_str() {
                    "to" => fields.to = Some(text),
                    "from" => fields.from = Some(text),
                    "account" => fields.account = Some(text),
                    "cover" => fields.cover = Some(text),
                    "anonymous" => fields.anonymous = Some(parse_bool("anonymous", &text)?),
                    // Empty (a form's blank field): the default, on.
                    "header" if text.trim().is_empty() => {}
                    "header" => fields.header = Some(parse_bool("header", &text)?),
                    _ => {
                        let json: FaxFields = serde_json::from_str(&text).map_err(|e| {
                            HttpError::new(
                                StatusCode::UNPROCESSABLE_ENTITY,
                                "invalid_field",
                                format!("fax: not the expected JSON object: {e}"),
                            )
                        })?;
                        fields.to = json.to.or(fields.to);
                        fields.from = json.from.or(fields.from);
                        fields.anonymous = json.anonymous.or(fields.anonymous);
                        fields.account = json.account.or(fields.account);
                        fields.cover = json.cover.or(fields.cover);
                        fields.header = json.header.or(fields.header);
                    }
                }
            }
            // Unknown parts are skipped (multer discards their bytes, within the limit).
            _ => {}
        }
    }

    let missing = |f: &str| {
        HttpError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
            format!("the field `{f}` is required"),
        )
    };
    let to = fields
        .to
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| missing("to"))?;
    let from = fields
        .from
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| missing("from"))?;
    if documents.is_empty() {
        return Err(missing("document"));
    }
    let account = match (&principal, fields.account) {
        (Principal::Admin, Some(a)) if !a.trim().is_empty() => a.trim().to_string(),
        (Principal::Admin, _) => return Err(missing("account")),
        (Principal::Account(mine), Some(a)) if a.trim() != mine => {
            return Err(HttpError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this token sends only for its own account",
            ))
        }
        (Principal::Account(mine), _) => mine.clone(),
    };
    let submission = Submission {
        account,
        from,
        to,
        anonymous: fields.anonymous.unwrap_or(false),
        mail: None,
        documents,
        // An empty field (a form's blank text area) means no cover page.
        cover: fields.cover.filter(|c| !c.trim().is_empty()),
        header: fields.header.unwrap_or(true),
    };
    let inner = &state.inner;
    let submitted = submit(
        &inner.directory,
        &inner.billing,
        &inner.spool,
        &inner.trunk,
        &inner.renderer,
        submission,
        SystemTime::now(),
    )
    .await
    .map_err(submit_error)?;
    let f = submitted.facts;
    let location = format!("/v1/faxes/{}", f.fax_id);
    let body = Accepted {
        id: f.fax_id,
        state: "queued",
        account: f.account,
        from: f.from,
        to: f.to,
        anonymous: f.anonymous,
        header: f.header,
        pages: f.pages,
        rate: f.rate,
        amount: f.amount,
    };
    let mut resp = (StatusCode::ACCEPTED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// Maps a refusal to its status and code; gateway failures to 500/503.
fn submit_error(e: SubmitError) -> HttpError {
    use StatusCode as S;
    let message = e.to_string();
    let (status, code) = match &e {
        SubmitError::Disabled => (S::SERVICE_UNAVAILABLE, "sending_disabled"),
        SubmitError::UnknownAccount(_) => (S::UNPROCESSABLE_ENTITY, "unknown_account"),
        SubmitError::InvalidDestination(..) => (S::UNPROCESSABLE_ENTITY, "invalid_destination"),
        SubmitError::Spoofed { .. } => (S::FORBIDDEN, "caller_id_refused"),
        SubmitError::Blocked { .. } => (S::FORBIDDEN, "destination_blocked"),
        SubmitError::Document(_) => (S::UNPROCESSABLE_ENTITY, "document_refused"),
        SubmitError::Cover(_) => (S::UNPROCESSABLE_ENTITY, "cover_refused"),
        SubmitError::Billing(b) => match b {
            BillingError::CeilingReached { .. } => (S::PAYMENT_REQUIRED, "ceiling_reached"),
            BillingError::AccountSuspended(_) => (S::FORBIDDEN, "account_suspended"),
            BillingError::AccountRestricted { .. } => (S::FORBIDDEN, "account_restricted"),
            BillingError::NoRate(_) => (S::UNPROCESSABLE_ENTITY, "no_rate"),
            BillingError::InvalidNumber(..) => (S::UNPROCESSABLE_ENTITY, "invalid_destination"),
            BillingError::DuplicateFax(_) => (S::CONFLICT, "duplicate"),
            _ if e.is_refusal() => (S::UNPROCESSABLE_ENTITY, "refused"),
            _ => return HttpError::internal("the fax could not be queued", &e),
        },
        SubmitError::Busy => {
            let mut resp = HttpError::new(S::TOO_MANY_REQUESTS, "busy", message);
            resp.retry_after = Some(RETRY_AFTER_BUSY_SECS);
            return resp;
        }
        SubmitError::Spool(s) if s.is_disk_full() => {
            warn!(error = %s, "HTTP API: spool full, fax refused");
            return HttpError::new(
                S::SERVICE_UNAVAILABLE,
                "spool_full",
                "the gateway's spool is full; try again later",
            );
        }
        _ => return HttpError::internal("the fax could not be queued", &e),
    };
    HttpError::new(status, code, message)
}

// ---------------------------------------------------------------------------- read side

/// A fax as the API shows it.
#[derive(Debug, Serialize)]
struct FaxView {
    id: String,
    account: String,
    /// `queued` (waiting or being dialled), `sent` or `failed`.
    state: &'static str,
    /// The spool's own state (ready, sending, retrying, delivered, dead, quarantined).
    spool_state: Option<&'static str>,
    from: String,
    to: String,
    anonymous: bool,
    /// The header line is stamped on the pages sent.
    header: bool,
    pages: u32,
    rate: Money,
    amount: Money,
    submitted: String,
    /// Pages the far end confirmed so far.
    pages_confirmed: u32,
    /// Dial attempts so far, and each one's record.
    attempts: u32,
    attempt_log: Vec<Value>,
    /// The final result, once sent or failed.
    result: Option<FaxResult>,
    /// Why it is retrying or failed, when it is.
    problem: Option<String>,
}

/// The API state of a spool state.
fn api_state(s: Option<StateName>) -> &'static str {
    match s {
        Some(StateName::Delivered) => "sent",
        Some(StateName::Dead) | Some(StateName::Quarantined) => "failed",
        _ => "queued",
    }
}

/// The view of a fax from its outbound facts and where it stands; `None` when the facts are
/// unreadable.
fn fax_view(
    facts: &Map<String, Value>,
    state: &'static str,
    spool_state: Option<StateName>,
    problem: Option<String>,
) -> Option<FaxView> {
    let parsed = OutboundFacts::from_map(facts).ok()?;
    let attempt_log = match facts.get("attempts") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let pages_confirmed = facts
        .get("pages_confirmed")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0);
    Some(FaxView {
        id: parsed.fax_id,
        account: parsed.account,
        state,
        spool_state: spool_state.map(StateName::as_str),
        from: parsed.from,
        to: parsed.to,
        anonymous: parsed.anonymous,
        header: parsed.header,
        pages: parsed.pages,
        rate: parsed.rate,
        amount: parsed.amount,
        submitted: parsed.submitted,
        pages_confirmed,
        attempts: u32::try_from(attempt_log.len()).unwrap_or(u32::MAX),
        attempt_log,
        result: FaxResult::from_facts(facts),
        problem,
    })
}

/// The view of a fax from the shared outbound queue (a fax another node took in, or one
/// this node's spool record lags behind); `None` when its facts are unreadable.
fn queue_view(q: &crate::outbound::queue::QueuedFax) -> Option<FaxView> {
    use crate::outbound::queue::QueueState;
    let (state, spool_state) = match (q.state, q.outcome.as_deref()) {
        (QueueState::Done, Some("delivered")) => ("sent", StateName::Delivered),
        (QueueState::Done, _) => ("failed", StateName::Dead),
        (QueueState::Final, _) => ("queued", StateName::Sending),
        (QueueState::Queued, _) if q.lease_owner.is_some() => ("queued", StateName::Sending),
        (QueueState::Queued, _) if q.problem.is_some() => ("queued", StateName::Retrying),
        (QueueState::Queued, _) => ("queued", StateName::Ready),
    };
    fax_view(&q.facts, state, Some(spool_state), q.problem.clone())
}

/// The view of an outbound job; `None` for other jobs and unreadable ones.
fn view(job: &Job) -> Option<FaxView> {
    let manifest = job.manifest.as_ref()?;
    if manifest.kind != JobKind::OutboundFax {
        return None;
    }
    let state = job.state();
    fax_view(
        &manifest.facts,
        api_state(state),
        state,
        job.problem.clone(),
    )
}

async fn get_fax(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<FaxView>, HttpError> {
    let principal = authenticate(&state, &headers).await?;
    let Ok(job_id) = id.parse::<JobId>() else {
        return Err(HttpError::not_found(&id));
    };
    let spool = state.inner.spool.clone();
    let job = tokio::task::spawn_blocking(move || spool.get(&job_id))
        .await
        .map_err(|e| HttpError::internal("cannot read the fax", e))?;
    let local = match job {
        Ok(j) => view(&j),
        Err(SpoolError::NotFound(_)) => None,
        Err(e) => return Err(HttpError::internal("cannot read the fax", e)),
    };
    // The shared queue knows every node's faxes, and ends them before the spool record of
    // the node that took the fax in hears of it (a fax sent by another node).
    let settled = local.as_ref().is_some_and(|v| v.state != "queued");
    let shared = if settled {
        None
    } else {
        let queue =
            crate::outbound::queue::Queue::new(&state.inner.directory, &state.inner.billing);
        match queue.get(&id).await {
            Ok(q) => q.as_ref().and_then(queue_view),
            Err(e) => {
                tracing::warn!(fax = %id, error = %e, "cannot read the shared outbound queue");
                None
            }
        }
    };
    let shared = shared.filter(|v| local.is_none() || v.state != "queued");
    // Another account's fax, or no fax at all: the same 404.
    match shared.or(local) {
        Some(v) if principal.sees(&v.account) => Ok(Json(v)),
        _ => Err(HttpError::not_found(&id)),
    }
}

async fn list_faxes(
    State(state): State<ApiState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<Value>, HttpError> {
    let principal = authenticate(&state, &headers).await?;
    let mut want_state: Option<String> = None;
    let mut want_account: Option<String> = None;
    let mut limit = DEFAULT_PAGE;
    let mut cursor: Option<String> = None;
    for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "state" if !v.is_empty() => want_state = Some(v.into_owned()),
            "account" if !v.is_empty() => want_account = Some(v.into_owned()),
            "limit" if !v.is_empty() => {
                limit = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or_else(|| {
                        HttpError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "invalid_limit",
                            format!("limit {v:?}: expected a whole number from 1 to {MAX_PAGE}"),
                        )
                    })?;
            }
            "cursor" if !v.is_empty() => {
                if v.len() > 64
                    || !v
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'~')
                {
                    return Err(HttpError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_cursor",
                        "cursor: give back the next_cursor of a previous page",
                    ));
                }
                cursor = Some(v.into_owned());
            }
            _ => {}
        }
    }
    if let Some(s) = &want_state {
        if !matches!(s.as_str(), "queued" | "sent" | "failed") {
            return Err(HttpError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_state",
                format!("state {s:?}: expected queued, sent or failed"),
            ));
        }
    }
    let spool = state.inner.spool.clone();
    let admin = matches!(principal, Principal::Admin);
    let (wanted_state, wanted_account) = (want_state.clone(), want_account.clone());
    let after = cursor.clone();
    // Only the records of this page are read (bounded even when most jobs are someone
    // else's); an unreadable record is left out of `faxes` (the admin sees it listed apart).
    let page = tokio::task::spawn_blocking(move || {
        let mut faxes = Vec::new();
        let mut unreadable = Vec::new();
        let page = spool.list_page(after.as_deref(), limit, page_reads(limit), |job| {
            match view(job) {
                Some(v) => {
                    let keep = principal.sees(&v.account)
                        && wanted_account.as_deref().is_none_or(|a| a == v.account)
                        && wanted_state.as_deref().is_none_or(|s| s == v.state);
                    if keep {
                        faxes.push(v);
                    }
                    keep
                }
                None if is_unreadable(job) => {
                    warn!(job = %job.id, problem = job.problem.as_deref().unwrap_or(""), "fax listing: job record unreadable, left out");
                    if admin {
                        unreadable.push(json!({"job": job.id.as_str(), "problem": job.problem}));
                    }
                    false
                }
                None => false,
            }
        })?;
        Ok::<_, SpoolError>((faxes, unreadable, page.next))
    })
    .await
    .map_err(|e| HttpError::internal("cannot list the faxes", e))?
    .map_err(|e| HttpError::internal("cannot list the faxes", e))?;
    let (faxes, unreadable, next_cursor) = page;
    let next = next_cursor.as_ref().map(|c| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(s) = &want_state {
            q.append_pair("state", s);
        }
        if let Some(a) = &want_account {
            q.append_pair("account", a);
        }
        q.append_pair("limit", &limit.to_string());
        q.append_pair("cursor", c);
        format!("/v1/faxes?{}", q.finish())
    });
    Ok(Json(json!({
        "faxes": faxes,
        "next_cursor": next_cursor,
        "next": next,
        "unreadable": unreadable,
    })))
}

/// Faxes per page of `GET /v1/faxes` when `limit` is not given.
const DEFAULT_PAGE: usize = 50;
/// The largest `limit`.
const MAX_PAGE: usize = 500;

/// Records one listing page may read: enough for a full page when most jobs are the
/// caller's, bounded when they are not (other accounts', received calls).
fn page_reads(limit: usize) -> usize {
    limit.saturating_mul(4).max(200)
}

/// A job that should be an outbound fax but whose record cannot be read or understood.
fn is_unreadable(job: &Job) -> bool {
    match &job.manifest {
        None => true,
        Some(m) => m.kind == JobKind::OutboundFax,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_documents() {
        assert_eq!(sniff(b"%PDF-1.4\n"), Some("pdf"));
        assert_eq!(sniff(b"II*\0rest"), Some("tiff"));
        assert_eq!(sniff(b"MM\0*rest"), Some("tiff"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nxx"), Some("png"));
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0]), Some("jpeg"));
        assert_eq!(sniff(b"hello"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn states_and_principals() {
        assert_eq!(api_state(Some(StateName::Ready)), "queued");
        assert_eq!(api_state(Some(StateName::Sending)), "queued");
        assert_eq!(api_state(Some(StateName::Delivered)), "sent");
        assert_eq!(api_state(Some(StateName::Dead)), "failed");
        assert!(Principal::Admin.sees("x"));
        assert!(Principal::Account("a".into()).sees("a"));
        assert!(!Principal::Account("a".into()).sees("b"));
        assert!(parse_bool("anonymous", "TRUE").unwrap());
        assert!(!parse_bool("anonymous", "").unwrap());
        assert!(parse_bool("anonymous", "maybe").is_err());
    }
}
