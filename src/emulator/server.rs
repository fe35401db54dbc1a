//! The emulator's HTTP server: its own accept loop (hyper, HTTP/1.1) so that a fault can close
//! a connection without answering, a wrapper around every request that applies the faults and
//! writes the request log, the `/_emulator/` admin routes, and graceful shutdown. Every error
//! answer of `/v2` is in the platform's `{"error": {"type", "message"}}` envelope: the routes'
//! own, the framework's rejections (an ID that is not UTF-8, say), unreadable bodies, and the
//! answers hyper gives to requests it cannot parse ([`super::envelope_io`]).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tower_service::Service;

use super::Shared;
use super::api::{self, ApiError, MAX_BODY_BYTES, json_response, request_token};
use super::envelope_io::EnvelopeIo;
use super::faults::{Decision, Faults, InjectedFault};
use super::log::{LogEntry, redact_query};

/// The prefix of the admin routes; never faulted, never logged.
pub const ADMIN_PREFIX: &str = "/_emulator";

/// Serves connections from `listener` until `shutdown` fires, then waits (up to five seconds)
/// for requests in flight.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let api = api::router()
        .fallback(|| async { api::page_not_found() })
        .with_state(Arc::clone(&shared));
    let admin = admin_router().with_state(Arc::clone(&shared));
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        tracing::warn!("emulator: accept failed: {err}");
                        // Out of file descriptors and the like: do not spin.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let kill = Arc::new(Notify::new());
                let service = {
                    let (shared, api, admin, kill) =
                        (Arc::clone(&shared), api.clone(), admin.clone(), Arc::clone(&kill));
                    hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                        let (shared, api, admin, kill) =
                            (Arc::clone(&shared), api.clone(), admin.clone(), Arc::clone(&kill));
                        async move {
                            Ok::<_, Infallible>(handle(&shared, api, admin, &kill, request).await)
                        }
                    })
                };
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(EnvelopeIo::new(stream)), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    tokio::select! {
                        _ = connection => {}
                        () = kill.notified() => {}
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
}

/// One request: admin routes go straight through; everything else is logged, and `/v2`
/// requests meet the configured faults first.
async fn handle(
    shared: &Shared,
    mut api: Router,
    mut admin: Router,
    kill: &Notify,
    request: hyper::Request<Incoming>,
) -> Response {
    let request = request.map(Body::new);
    let path = request.uri().path().to_owned();
    if path == ADMIN_PREFIX || path.starts_with(&format!("{ADMIN_PREFIX}/")) {
        return match admin.call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
    }
    let (parts, body) = request.into_parts();
    let token = request_token(&parts);
    let (_in_flight, concurrent) = shared.enter();
    let mut entry = LogEntry {
        seq: 0,
        method: parts.method.to_string(),
        path: path.clone(),
        query: parts
            .uri
            .query()
            .filter(|q| !q.is_empty())
            .map(redact_query),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = if name == AUTHORIZATION {
                    "(redacted)".to_owned()
                } else {
                    String::from_utf8_lossy(value.as_bytes()).into_owned()
                };
                (name.as_str().to_owned(), value)
            })
            .collect(),
        auth: token.as_ref().map_or("none", |(_, how)| *how),
        user: token.as_ref().and_then(|(token, _)| {
            shared
                .lock_state()
                .user_by_token(token)
                .map(|u| u.username.clone())
        }),
        status: None,
        fault: None,
        request_body: None,
        response_body: None,
        concurrent,
    };
    let bytes = match read_body(body).await {
        Ok(bytes) => bytes,
        Err(error) => {
            entry.status = Some(error.status);
            entry.response_body = Some(error.body());
            shared.log(entry);
            return error.into_response();
        }
    };
    entry.request_body = json_or_text(&bytes);

    let is_api = path == "/v2" || path.starts_with("/v2/");
    let decision = if is_api {
        let latency = shared.lock_faults().latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        shared.lock_faults().decide(
            token.as_ref().map(|(t, _)| t.as_str()),
            parts.method != axum::http::Method::GET,
            Instant::now(),
        )
    } else {
        Decision::Pass
    };

    match decision {
        Decision::Drop => {
            entry.fault = Some("drop".to_owned());
            shared.log(entry);
            kill.notify_one();
            std::future::pending::<Response>().await
        }
        Decision::Status {
            status,
            retry_after,
            rate_limited,
        } => {
            let error = injected_error(status, rate_limited);
            entry.status = Some(status);
            entry.fault = Some(if rate_limited { "rate-limit" } else { "status" }.to_owned());
            entry.response_body = Some(error.body());
            shared.log(entry);
            let mut response = error.into_response();
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
        Decision::Pass | Decision::LostResponse => {
            let request = Request::from_parts(parts, Body::from(bytes));
            let response = match api.call(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let (parts, bytes) = enveloped(parts, bytes);
            entry.status = Some(parts.status.as_u16());
            entry.response_body = json_or_text(&bytes);
            if decision == Decision::LostResponse {
                entry.fault = Some("lost-response".to_owned());
                shared.log(entry);
                kill.notify_one();
                return std::future::pending::<Response>().await;
            }
            shared.log(entry);
            Response::from_parts(parts, Body::from(bytes))
        }
    }
}

/// The whole request body: 413 `request-too-large` past the platform's limit, 400
/// `invalid-request` when it cannot be read (a malformed chunked encoding, say).
async fn read_body(body: Body) -> Result<axum::body::Bytes, ApiError> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|err| {
            ApiError::new(
                400,
                "invalid-request",
                format!("The request body could not be read: {err}."),
            )
        })?;
        if bytes.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::new(
                413,
                "request-too-large",
                format!("The POST payload is too large (limit: {MAX_BODY_BYTES} bytes)."),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.into())
}

/// An error answer that is not JSON (the framework's rejections are plain text) in the envelope,
/// its text as the message; anything else as it is.
fn enveloped(
    mut parts: axum::http::response::Parts,
    bytes: axum::body::Bytes,
) -> (axum::http::response::Parts, axum::body::Bytes) {
    let is_json = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let status = parts.status.as_u16();
    if status < 400 || is_json {
        return (parts, bytes);
    }
    let kind = api::error_type(status);
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    let message = if text.is_empty() {
        parts
            .status
            .canonical_reason()
            .unwrap_or("The request could not be handled")
            .to_owned()
    } else {
        text
    };
    let error = ApiError::new(status, kind, message);
    let body = error.body().to_string();
    parts.headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    (parts, body.into())
}

/// A body for the log: JSON when it parses, else the text; `None` when empty.
fn json_or_text(bytes: &[u8]) -> Option<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(
        serde_json::from_slice(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())),
    )
}

/// The error answer of an injected status.
fn injected_error(status: u16, rate_limited: bool) -> ApiError {
    match status {
        429 if rate_limited => ApiError::new(
            429,
            "rate-limit-exceeded",
            "You have exceeded the rate limit of requests per second. Please try again later.",
        ),
        429 => ApiError::new(
            429,
            "rate-limit-exceeded",
            "You have exceeded the rate limit. Please try again later.",
        ),
        400 => ApiError::new(400, "invalid-request", "Injected fault: bad request."),
        401 => ApiError::new(401, "invalid-token", "Authentication token is not valid."),
        403 => ApiError::new(
            403,
            "insufficient-permissions",
            "You do not have permission to perform this action.",
        ),
        404 => ApiError::new(
            404,
            "record-not-found",
            "The requested resource was not found.",
        ),
        status if status >= 500 => ApiError::new(
            status,
            "internal-server-error",
            "Internal server error (injected by the emulator).",
        ),
        status => ApiError::new(status, "invalid-request", "Injected fault."),
    }
}

fn admin_router() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            &format!("{ADMIN_PREFIX}/health"),
            get(|| async { axum::Json(json!({"ok": true})) }),
        )
        .route(
            &format!("{ADMIN_PREFIX}/requests"),
            get(admin_requests).delete(admin_clear_requests),
        )
        .route(&format!("{ADMIN_PREFIX}/state"), get(admin_state))
        .route(
            &format!("{ADMIN_PREFIX}/faults"),
            get(admin_faults).put(admin_set_faults),
        )
        .route(&format!("{ADMIN_PREFIX}/faults/inject"), post(admin_inject))
        .route(&format!("{ADMIN_PREFIX}/runs"), post(admin_run))
        .route(&format!("{ADMIN_PREFIX}/deliveries"), get(admin_deliveries))
        .route(&format!("{ADMIN_PREFIX}/dispatches"), get(admin_dispatches))
        .route(
            &format!("{ADMIN_PREFIX}/settings"),
            get(admin_settings).put(admin_set_settings),
        )
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"error": "no such admin route"})),
            )
        })
}

async fn admin_requests(State(shared): State<Arc<Shared>>) -> Response {
    let items = shared.log_entries();
    json_response(
        StatusCode::OK,
        &json!({"count": items.len(), "items": items}),
    )
}

async fn admin_clear_requests(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.clear_log();
    StatusCode::NO_CONTENT
}

async fn admin_state(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &shared.lock_state().to_document())
}

async fn admin_faults(State(shared): State<Arc<Shared>>) -> Response {
    let faults = shared.lock_faults().faults().clone();
    json_response(
        StatusCode::OK,
        &serde_json::to_value(faults).unwrap_or(Value::Null),
    )
}

async fn admin_set_faults(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let faults = match serde_json::from_slice::<Faults>(&body) {
        Ok(faults) => faults,
        Err(err) => {
            return json_response(StatusCode::BAD_REQUEST, &json!({"error": err.to_string()}));
        }
    };
    if let Err(err) = faults.validate() {
        return json_response(StatusCode::BAD_REQUEST, &json!({"error": err}));
    }
    shared.lock_faults().set(faults.clone());
    json_response(
        StatusCode::OK,
        &serde_json::to_value(faults).unwrap_or(Value::Null),
    )
}

/// The platform behaviours the emulator can switch between.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Settings {
    /// See [`super::DeletedKeys`].
    deleted_webhook_keys: super::DeletedKeys,
}

async fn admin_settings(State(shared): State<Arc<Shared>>) -> Response {
    let settings = Settings {
        deleted_webhook_keys: shared.deleted_keys(),
    };
    json_response(
        StatusCode::OK,
        &serde_json::to_value(settings).unwrap_or(Value::Null),
    )
}

async fn admin_set_settings(
    State(shared): State<Arc<Shared>>,
    body: axum::body::Bytes,
) -> Response {
    match serde_json::from_slice::<Settings>(&body) {
        Ok(settings) => {
            shared.set_deleted_keys(settings.deleted_webhook_keys);
            json_response(
                StatusCode::OK,
                &serde_json::to_value(settings).unwrap_or(Value::Null),
            )
        }
        Err(err) => json_response(StatusCode::BAD_REQUEST, &json!({"error": err.to_string()})),
    }
}

async fn admin_inject(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<Vec<InjectedFault>>(&body) {
        Ok(faults) => {
            let mut engine = shared.lock_faults();
            engine.inject(faults);
            json_response(
                StatusCode::OK,
                &serde_json::to_value(&engine.faults().script).unwrap_or(Value::Null),
            )
        }
        Err(err) => json_response(StatusCode::BAD_REQUEST, &json!({"error": err.to_string()})),
    }
}

/// `POST /_emulator/runs`: simulates a run or build ([`super::deliver::RunRequest`]) and fires
/// the matching webhooks. `?wait=1` answers only once every delivery has finished (at most
/// `timeoutMs`, 30 seconds by default).
async fn admin_run(
    State(shared): State<Arc<Shared>>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    body: axum::body::Bytes,
) -> Response {
    let request = match serde_json::from_slice::<super::deliver::RunRequest>(&body) {
        Ok(request) => request,
        Err(err) => {
            return json_response(StatusCode::BAD_REQUEST, &json!({"error": err.to_string()}));
        }
    };
    let (mut run, jobs) = match super::deliver::simulate(&shared, &request) {
        Ok(done) => done,
        Err(err) => return err.into_response(),
    };
    for job in jobs {
        super::deliver::spawn(&shared, job);
    }
    let wait = WaitQuery::parse(query.as_deref());
    if wait.wait {
        let idle = super::deliver::wait_idle(&shared, wait.timeout).await;
        run["delivered"] = json!(idle);
        let state = shared.lock_state();
        let fired = run["dispatches"].as_array().cloned().unwrap_or_default();
        let finished: Vec<Value> = fired
            .iter()
            .filter_map(|f| {
                let d = state.dispatches.iter().find(|d| d.id == f["id"])?;
                let mut full = d.to_json(state.webhooks.iter().find(|w| w.id == d.webhook_id));
                full["webhookDescription"] = f["webhookDescription"].clone();
                Some(full)
            })
            .collect();
        run["dispatches"] = Value::Array(finished);
    }
    json_response(StatusCode::CREATED, &json!({ "data": run }))
}

/// `GET /_emulator/dispatches?ids=A,B`: those dispatches as they are now (any user's), in
/// the order asked; unknown IDs are left out. For watching deliveries without a token.
async fn admin_dispatches(
    State(shared): State<Arc<Shared>>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let ids: Vec<String> = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(name, _)| name == "ids")
        .flat_map(|(_, value)| {
            value
                .split(',')
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let state = shared.lock_state();
    let items: Vec<Value> = ids
        .iter()
        .filter_map(|id| state.dispatches.iter().find(|d| &d.id == id))
        .map(|d| d.to_json(state.webhooks.iter().find(|w| w.id == d.webhook_id)))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"count": items.len(), "items": items}),
    )
}

/// `GET /_emulator/deliveries`: how many deliveries are running; `?wait=1` first waits (at
/// most `timeoutMs`) until none is, and answers 408 when some still are.
async fn admin_deliveries(
    State(shared): State<Arc<Shared>>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let wait = WaitQuery::parse(query.as_deref());
    let idle = if wait.wait {
        super::deliver::wait_idle(&shared, wait.timeout).await
    } else {
        shared.deliverer.active() == 0
    };
    let status = if wait.wait && !idle {
        StatusCode::REQUEST_TIMEOUT
    } else {
        StatusCode::OK
    };
    json_response(
        status,
        &json!({"active": shared.deliverer.active(), "idle": idle}),
    )
}

/// `wait` and `timeoutMs` of the delivery admin routes.
struct WaitQuery {
    wait: bool,
    timeout: Duration,
}

impl WaitQuery {
    fn parse(query: Option<&str>) -> Self {
        let mut out = WaitQuery {
            wait: false,
            timeout: Duration::from_secs(30),
        };
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match name.as_ref() {
                "wait" => out.wait = matches!(value.as_ref(), "1" | "true" | ""),
                "timeoutMs" => {
                    if let Ok(ms) = value.parse() {
                        out.timeout = Duration::from_millis(ms);
                    }
                }
                _ => {}
            }
        }
        out
    }
}
