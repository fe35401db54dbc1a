//! [`ApifyClient`]: the reqwest implementation of [`Platform`] against Apify API v2.
//!
//! Every request carries the token as `Authorization: Bearer` (never in the URL), is retried on
//! 429, 5xx and transport errors with the policy of [`super::retry`], has a per-attempt timeout,
//! and is logged at debug level with method, path (no query), status, attempt and duration.
//! Lists follow `offset`/`limit`/`total` to the end, whatever page size the server picks.
//!
//! Waiting is bounded where it cannot help: a connection that cannot be made is retried for a
//! few seconds only; an answer that is not the Apify API's (HTML, a 2xx that is not JSON, a 4xx
//! without the error envelope, a redirect) is not retried at all; and all the time the client
//! spends waiting on the platform is bounded by one run-wide timeout (`--timeout`).

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION, RETRY_AFTER};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::endpoint::{ApiBaseUrl, DEFAULT_API_URL, to_safe_id};
use super::retry::{
    DEFAULT_TIMEOUT, RetryPolicy, TimeoutTier, is_retryable_status, parse_retry_after,
    parse_retry_base_ms,
};
use super::token::{ApiToken, TokenSource, redact, resolve_token};
use super::{
    Actor, Platform, PlatformError, Task, User, Webhook, WebhookCreate, WebhookDispatch,
    WebhookUpdate,
};

/// The page size the client asks for; the server may answer with less (and says so).
pub const REQUESTED_PAGE_SIZE: u64 = 1000;

/// A guard against a server that never lets a list end.
const MAX_PAGES: usize = 10_000;

/// Everything needed to build an [`ApifyClient`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The validated API base URL (the client appends `/v2`).
    pub api_url: ApiBaseUrl,
    /// The API token, sent only as `Authorization: Bearer`.
    pub token: ApiToken,
    /// Retries, backoff and per-attempt timeouts.
    pub retry: RetryPolicy,
    /// How long the client may wait on the platform in all, retries included (`--timeout`).
    /// The clock runs only while a request is in flight, so time spent at a prompt is free.
    pub timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
}

/// The error when no token is found anywhere; it names `--local` for a first try without an
/// account.
const NO_TOKEN: &str = "no API token: set APIFY_TOKEN, pass --token-file FILE, or log in with \
                            `apify login` (or try it without an account, against a local \
                            emulator: --local)";

impl ClientConfig {
    /// A configuration with the default retry policy and timeout.
    pub fn new(api_url: ApiBaseUrl, token: ApiToken) -> Self {
        ClientConfig {
            api_url,
            token,
            retry: RetryPolicy::default(),
            timeout: DEFAULT_TIMEOUT,
            user_agent: concat!("apify-webhooks/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// What the command line knows about how to reach the platform, as plain values: the CLI
/// reads flags and the environment and hands them over, so this stays testable.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientInputs<'a> {
    /// `--api-url`, else `APIFY_API_BASE_URL`; [`DEFAULT_API_URL`] when neither is set.
    pub api_url: Option<&'a str>,
    /// The value of `APIFY_TOKEN`.
    pub env_token: Option<&'a str>,
    /// `--token-file`.
    pub token_file: Option<&'a Path>,
    /// The home directory, where apify-cli keeps its login (`.apify/auth.json`).
    pub home: Option<&'a Path>,
    /// The value of `APIFY_WEBHOOKS_RETRY_BASE_MS` ([`super::RETRY_BASE_ENV`]).
    pub retry_base_ms: Option<&'a str>,
    /// `--timeout`; [`DEFAULT_TIMEOUT`] when not given.
    pub timeout: Option<Duration>,
}

impl ClientConfig {
    /// The configuration for these inputs, and where the token came from. Fails when the URL
    /// is refused ([`PlatformError::ApiUrl`]), the token is unreadable or malformed, there is no
    /// token at all, or the retry knob is not a number.
    pub fn from_inputs(inputs: ClientInputs<'_>) -> Result<(Self, TokenSource), PlatformError> {
        let url = inputs
            .api_url
            .filter(|url| !url.trim().is_empty())
            .unwrap_or(DEFAULT_API_URL);
        let api_url = ApiBaseUrl::parse(url)?;
        let (token, source) = resolve_token(inputs.env_token, inputs.token_file, inputs.home)?
            .ok_or_else(|| PlatformError::Config(NO_TOKEN.to_owned()))?;
        let mut config = ClientConfig::new(api_url, token);
        if let Some(value) = inputs.retry_base_ms {
            config.retry.base_delay = parse_retry_base_ms(value)?;
        }
        if let Some(timeout) = inputs.timeout {
            config.timeout = timeout;
        }
        Ok((config, source))
    }
}

/// The HTTP client for Apify API v2. Cheap to share by reference; all methods take `&self`.
pub struct ApifyClient {
    http: reqwest::Client,
    base: ApiBaseUrl,
    token: ApiToken,
    retry: RetryPolicy,
    clock: WaitClock,
}

impl std::fmt::Debug for ApifyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApifyClient")
            .field("base", &self.base)
            .field("token", &self.token)
            .field("retry", &self.retry)
            .field("timeout", &self.clock.total)
            .finish_non_exhaustive()
    }
}

impl ApifyClient {
    /// Builds a client. Fails only when the TLS backend cannot be set up.
    pub fn new(config: ClientConfig) -> Result<Self, PlatformError> {
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent)
            // Redirects would carry the request elsewhere; the API does not use them.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| {
                PlatformError::Config(format!(
                    "cannot set up HTTP client: {}",
                    describe(&err, Duration::ZERO)
                ))
            })?;
        Ok(ApifyClient {
            http,
            base: config.api_url,
            token: config.token,
            retry: config.retry,
            clock: WaitClock::new(config.timeout),
        })
    }

    /// The API base URL this client talks to.
    pub fn base_url(&self) -> &ApiBaseUrl {
        &self.base
    }

    /// Sends one logical request, retrying as the policy says, and returns the decoded JSON
    /// body of the final 2xx answer (`Value::Null` when it had none).
    async fn request(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        tier: TimeoutTier,
    ) -> Result<Value, PlatformError> {
        let path = url.path().to_owned();
        let (_busy, deadline) = self.clock.enter();
        let started = Instant::now();
        let attempts = self.retry.max_retries.saturating_add(1);
        let mut attempt = 0;
        let mut last_error: Option<PlatformError> = None;
        loop {
            attempt += 1;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let last = last_error.as_ref().map_or_else(
                    || "the run had used up its time before this request".to_owned(),
                    attempt_detail,
                );
                return Err(self.timed_out(&method, &url, last));
            }
            let timeout = self.retry.attempt_timeout(tier, attempt).min(left);
            let outcome = self
                .attempt(&method, &url, body.as_deref(), attempt, timeout)
                .await;
            let (error, retry_after, connect) = match outcome {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fatal(error) => return Err(error),
                Attempt::Retryable {
                    error,
                    retry_after,
                    connect,
                } => (error, retry_after, connect),
            };
            if Instant::now() >= deadline {
                return Err(self.timed_out(&method, &url, attempt_detail(&error)));
            }
            if attempt >= attempts {
                return Err(error);
            }
            let delay = self.retry.delay(attempt, fastrand::f64(), retry_after);
            if connect && !self.retry.retries_connect(started.elapsed(), delay) {
                return Err(error);
            }
            let now = Instant::now();
            if now + delay >= deadline {
                // Not a timeout yet: say what really happened, and after how long.
                let server_wait = retry_after.map(|r| r.min(self.retry.max_retry_after));
                return Err(PlatformError::RetryPastTimeout {
                    attempts: attempt,
                    elapsed: rounded(started.elapsed()),
                    wait: rounded(delay),
                    retry_after: server_wait.is_some_and(|w| w >= delay),
                    left: rounded(deadline.saturating_duration_since(now)),
                    timeout: self.clock.total,
                    last: Box::new(error),
                });
            }
            let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            // A single retry is routine (a 429, a blip); more are worth telling the user, who
            // would otherwise wait in silence for a platform that is not there. Connection
            // failures end within seconds and say so themselves.
            if attempt >= 2 && !connect {
                // The API's messages are sentences; `….; retrying` would read badly.
                let message = error.to_string();
                tracing::warn!(
                    "{}; retrying in {delay_ms} ms (attempt {} of {attempts})",
                    message.trim_end_matches('.'),
                    attempt + 1
                );
            } else {
                tracing::info!(method = %method, path = %path, attempt, delay_ms, "retrying after: {error}");
            }
            last_error = Some(error);
            tokio::time::sleep(delay).await;
        }
    }

    /// The error for a request still being tried when the run's timeout ran out.
    fn timed_out(&self, method: &Method, url: &Url, last_error: String) -> PlatformError {
        PlatformError::TimedOut {
            method: method.to_string(),
            url: without_query(url),
            timeout: self.clock.total,
            last_error,
        }
    }

    /// The error for an answer that did not come from the Apify API.
    fn not_apify(&self, method: &Method, path: &str, message: &str) -> PlatformError {
        PlatformError::NotApify {
            api: self.base.as_str().to_owned(),
            method: method.to_string(),
            path: path.to_owned(),
            message: redact(message, &self.token),
        }
    }

    /// One HTTP exchange of at most `timeout`, classified.
    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        attempt: u32,
        timeout: Duration,
    ) -> Attempt {
        let path = url.path();
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(self.token.expose())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .timeout(timeout);
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.to_vec());
        }
        let started = Instant::now();
        let transport = |message: String| PlatformError::Transport {
            method: method.to_string(),
            path: path.to_owned(),
            message: redact(&message, &self.token),
        };
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => {
                let message = describe(&err, timeout);
                log_attempt(
                    method,
                    path,
                    None,
                    attempt,
                    started.elapsed(),
                    Some(&message),
                );
                if err.is_connect() && !err.is_timeout() {
                    return Attempt::Retryable {
                        error: PlatformError::Unreachable {
                            api: self.base.as_str().to_owned(),
                            method: method.to_string(),
                            path: path.to_owned(),
                            // The innermost I/O, DNS or TLS error: it never saw the headers.
                            message: connect_cause(&err),
                        },
                        retry_after: None,
                        connect: true,
                    };
                }
                return Attempt::Retryable {
                    error: transport(message),
                    retry_after: None,
                    connect: false,
                };
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(err) => {
                let message = format!("reading the response body: {}", describe(&err, timeout));
                log_attempt(
                    method,
                    path,
                    Some(status),
                    attempt,
                    started.elapsed(),
                    Some(&message),
                );
                return Attempt::Retryable {
                    error: transport(message),
                    retry_after: None,
                    connect: false,
                };
            }
        };
        log_attempt(method, path, Some(status), attempt, started.elapsed(), None);
        if (200..300).contains(&status) {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Attempt::Done(Value::Null);
            }
            return match serde_json::from_slice::<Value>(&bytes) {
                Ok(value) => Attempt::Done(value),
                // Not a garbled API answer (a cut body is a transport error above) but something
                // else answering: another try will not turn it into the API.
                Err(_) => Attempt::Fatal(self.not_apify(
                    method,
                    path,
                    &format!(
                        "answered HTTP {status} with {}, not JSON",
                        body_kind(&headers)
                    ),
                )),
            };
        }
        if (300..400).contains(&status) {
            let to = headers
                .get(LOCATION)
                .and_then(|value| value.to_str().ok())
                .map(|location| location.split(['?', '#']).next().unwrap_or_default())
                .map_or_else(String::new, |location| format!(" to {location}"));
            return Attempt::Fatal(self.not_apify(
                method,
                path,
                &format!("answered HTTP {status}, a redirect{to} (the API does not redirect)"),
            ));
        }
        let Some((error_type, message)) = api_error_details(&bytes) else {
            if is_retryable_status(status) {
                // A gateway in front of the API (a 502 page) is worth another try.
                return Attempt::Retryable {
                    error: PlatformError::Api {
                        method: method.to_string(),
                        path: path.to_owned(),
                        status,
                        error_type: "unknown".to_owned(),
                        message: redact(&body_excerpt(&bytes), &self.token),
                    },
                    retry_after,
                    connect: false,
                };
            }
            return Attempt::Fatal(self.not_apify(
                method,
                path,
                &format!("answered HTTP {status} with {}", body_kind(&headers)),
            ));
        };
        let error = PlatformError::Api {
            method: method.to_string(),
            path: path.to_owned(),
            status,
            error_type: redact(&error_type, &self.token),
            message: redact(&message, &self.token),
        };
        if is_retryable_status(status) {
            Attempt::Retryable {
                error,
                retry_after,
                connect: false,
            }
        } else {
            Attempt::Fatal(error)
        }
    }

    async fn get_data<T: DeserializeOwned>(
        &self,
        url: Url,
        tier: TimeoutTier,
    ) -> Result<T, PlatformError> {
        let path = url.path().to_owned();
        let value = self.request(Method::GET, url, None, tier).await?;
        self.decode_data(&Method::GET, &path, value)
    }

    async fn get_optional<T: DeserializeOwned>(
        &self,
        url: Url,
    ) -> Result<Option<T>, PlatformError> {
        match self.get_data(url, TimeoutTier::Short).await {
            Ok(value) => Ok(Some(value)),
            Err(err) if err.status() == Some(404) => Ok(None),
            Err(err) => Err(err),
        }
    }

    async fn send_data<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
        tier: TimeoutTier,
    ) -> Result<T, PlatformError> {
        let path = url.path().to_owned();
        let bytes = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|err| PlatformError::Config(format!("cannot encode request body: {err}")))?;
        let value = self.request(method.clone(), url, bytes, tier).await?;
        self.decode_data(&method, &path, value)
    }

    /// The `data` of a `{"data": ...}` envelope, decoded. A 2xx answer without the envelope is
    /// not from the Apify API; one with it whose content does not fit is a [`PlatformError::Decode`].
    fn decode_data<T: DeserializeOwned>(
        &self,
        method: &Method,
        path: &str,
        mut value: Value,
    ) -> Result<T, PlatformError> {
        let Some(data) = value.get_mut("data").map(Value::take) else {
            return Err(self.not_apify(method, path, "answered without the API's `data` envelope"));
        };
        serde_json::from_value(data).map_err(|err| PlatformError::Decode {
            method: method.to_string(),
            path: path.to_owned(),
            message: err.to_string(),
        })
    }

    /// Every item of a paginated list, following `offset` until `total` is reached. Items that
    /// show up twice (the list shifted between pages) are kept once.
    async fn list_all<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        extra_query: &[(&str, &str)],
    ) -> Result<Vec<T>, PlatformError> {
        let mut items = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut offset: u64 = 0;
        for _ in 0..MAX_PAGES {
            let mut url = self.base.v2(segments);
            {
                let mut query = url.query_pairs_mut();
                query.append_pair("offset", &offset.to_string());
                query.append_pair("limit", &REQUESTED_PAGE_SIZE.to_string());
                for (key, value) in extra_query {
                    query.append_pair(key, value);
                }
            }
            let path = url.path().to_owned();
            let page: Page = self.get_data(url, TimeoutTier::Medium).await?;
            let received = page.items.len() as u64;
            for item in page.items {
                let id = item.get("id").and_then(Value::as_str).map(str::to_owned);
                if let Some(id) = id
                    && !seen.insert(id)
                {
                    continue;
                }
                let item = serde_json::from_value(item).map_err(|err| PlatformError::Decode {
                    method: "GET".to_owned(),
                    path: path.clone(),
                    message: format!("list item: {err}"),
                })?;
                items.push(item);
            }
            match next_offset(offset, received, page.total, page.limit) {
                Some(next) => offset = next,
                None => return Ok(items),
            }
        }
        Err(PlatformError::Decode {
            method: "GET".to_owned(),
            path: self.base.v2(segments).path().to_owned(),
            message: format!("the list did not end after {MAX_PAGES} pages"),
        })
    }
}

/// The outcome of one attempt.
enum Attempt {
    Done(Value),
    Fatal(PlatformError),
    Retryable {
        error: PlatformError,
        retry_after: Option<Duration>,
        /// No connection could be made: retried only within the policy's connect budget.
        connect: bool,
    },
}

/// The time the client has spent waiting on the platform, against the run's timeout. The clock
/// runs while at least one request is in flight and stands still in between, so a confirmation
/// prompt between plan and apply does not use it up; concurrent requests share it.
struct WaitClock {
    total: Duration,
    state: Mutex<ClockState>,
}

#[derive(Default)]
struct ClockState {
    in_flight: usize,
    busy_since: Option<Instant>,
    spent: Duration,
}

impl WaitClock {
    fn new(total: Duration) -> Self {
        WaitClock {
            total,
            state: Mutex::new(ClockState::default()),
        }
    }

    /// Starts the clock for one request (if it is not running already) and returns a guard
    /// that stops it again, with the deadline of this request: when the run's time is up,
    /// provided the clock keeps running (it does, while this request is in flight).
    fn enter(&self) -> (ClockGuard<'_>, Instant) {
        let deadline = self.start(Instant::now());
        (ClockGuard(self), deadline)
    }

    /// One more request in flight from `now`; the deadline it gets.
    fn start(&self, now: Instant) -> Instant {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let since = *state.busy_since.get_or_insert(now);
        state.in_flight += 1;
        let spent = state.spent + now.saturating_duration_since(since);
        now + self.total.saturating_sub(spent)
    }

    /// One request fewer in flight from `now`.
    fn stop(&self, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0
            && let Some(since) = state.busy_since.take()
        {
            state.spent += now.saturating_duration_since(since);
        }
    }
}

/// Stops the [`WaitClock`] for one request when dropped (also when the request is cancelled).
struct ClockGuard<'a>(&'a WaitClock);

impl Drop for ClockGuard<'_> {
    fn drop(&mut self) {
        self.0.stop(Instant::now());
    }
}

/// One page of a list (`data` of the list envelope), read leniently.
#[derive(serde::Deserialize)]
struct Page {
    #[serde(default)]
    total: Option<u64>,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    items: Vec<Value>,
}

/// Where the next page starts, or `None` when the list is complete: after an empty page, when
/// `offset + received` reaches `total`, or (without `total`) after a page shorter than `limit`.
pub(crate) fn next_offset(
    offset: u64,
    received: u64,
    total: Option<u64>,
    limit: Option<u64>,
) -> Option<u64> {
    if received == 0 {
        return None;
    }
    let next = offset.saturating_add(received);
    match (total, limit) {
        (Some(total), _) => (next < total).then_some(next),
        (None, Some(limit)) => (received >= limit).then_some(next),
        (None, None) => None,
    }
}

fn log_attempt(
    method: &Method,
    path: &str,
    status: Option<u16>,
    attempt: u32,
    elapsed: Duration,
    error: Option<&str>,
) {
    let duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    match (status, error) {
        (Some(status), None) => {
            tracing::debug!(method = %method, path, status, attempt, duration_ms, "request");
        }
        (status, error) => tracing::debug!(
            method = %method,
            path,
            status = status.unwrap_or_default(),
            attempt,
            duration_ms,
            error = error.unwrap_or_default(),
            "request failed"
        ),
    }
}

/// The server's `error.type` and `error.message`, when the body is the API's error envelope
/// (`{"error": {"type": ..., "message": ...}}`, at least one of the two); `None` otherwise.
fn api_error_details(body: &[u8]) -> Option<(String, String)> {
    let value = serde_json::from_slice::<Value>(body).ok()?;
    let error = value.get("error")?;
    let text = |key: &str| error.get(key).and_then(Value::as_str);
    match (text("type"), text("message")) {
        (None, None) => None,
        (kind, message) => Some((
            kind.unwrap_or("unknown").to_owned(),
            message.unwrap_or_default().to_owned(),
        )),
    }
}

/// The start of a body that is not an error envelope, as an error message.
fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let excerpt: String = text
        .trim()
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if excerpt.is_empty() {
        "no error body".to_owned()
    } else {
        format!("Unexpected error: {excerpt}")
    }
}

/// What kind of body an answer had, from its `Content-Type`: `a text/html body`.
fn body_kind(headers: &HeaderMap) -> String {
    let mime = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(str::trim)
        .filter(|mime| {
            !mime.is_empty()
                && mime.len() <= 100
                && mime
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/.+-_".contains(c))
        });
    match mime {
        Some(mime) => format!("a {mime} body"),
        None => "a body without a content type".to_owned(),
    }
}

/// A reqwest error as text, without the URL, with its causes; a timeout of an attempt as
/// `no answer within 5s`.
fn describe(err: &reqwest::Error, timeout: Duration) -> String {
    use std::error::Error as _;
    let mut text = if err.is_timeout() {
        return format!(
            "no answer within {}",
            humantime::format_duration(rounded(timeout))
        );
    } else if err.is_connect() {
        "connection failed".to_owned()
    } else if err.is_body() || err.is_decode() {
        "body error".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// `url` without its query string, for messages.
fn without_query(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.into()
}

/// A duration to show: whole seconds from a second up, whole milliseconds below (an attempt cut
/// short by the deadline lasts `1.999993651s`, which reads as noise).
fn rounded(duration: Duration) -> Duration {
    if duration >= Duration::from_secs(1) {
        Duration::from_secs(duration.as_secs() + u64::from(duration.subsec_millis() >= 500))
    } else {
        Duration::from_millis(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
    }
}

/// Why a connection could not be made: the innermost cause, such as `Connection refused (os
/// error 111)`, `failed to lookup address information: ...` or `invalid peer certificate: ...`.
fn connect_cause(err: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    if text.is_empty() {
        "connection failed".to_owned()
    } else {
        text
    }
}

/// The error of one attempt, for a timeout message: without the request, which it names.
fn attempt_detail(error: &PlatformError) -> String {
    match error {
        PlatformError::Api {
            status,
            error_type,
            message,
            ..
        } => format!("last answer HTTP {status} {error_type}: {message}"),
        PlatformError::Transport { message, .. } | PlatformError::Unreachable { message, .. } => {
            format!("last error: {message}")
        }
        other => format!("last error: {other}"),
    }
}

impl Platform for ApifyClient {
    async fn current_user(&self) -> Result<User, PlatformError> {
        self.get_data(self.base.v2(&["users", "me"]), TimeoutTier::Short)
            .await
    }

    async fn list_webhooks(&self) -> Result<Vec<Webhook>, PlatformError> {
        self.list_all(&["webhooks"], &[]).await
    }

    async fn get_webhook(&self, id: &str) -> Result<Option<Webhook>, PlatformError> {
        self.get_optional(self.base.v2(&["webhooks", id])).await
    }

    async fn create_webhook(&self, body: &WebhookCreate) -> Result<Webhook, PlatformError> {
        let url = self.base.v2(&["webhooks"]);
        self.send_data(Method::POST, url, Some(body), TimeoutTier::Short)
            .await
    }

    async fn update_webhook(
        &self,
        id: &str,
        body: &WebhookUpdate,
    ) -> Result<Webhook, PlatformError> {
        let url = self.base.v2(&["webhooks", id]);
        self.send_data(Method::PUT, url, Some(body), TimeoutTier::Short)
            .await
    }

    async fn delete_webhook(&self, id: &str) -> Result<(), PlatformError> {
        let url = self.base.v2(&["webhooks", id]);
        match self
            .request(Method::DELETE, url, None, TimeoutTier::Short)
            .await
        {
            Ok(_) => Ok(()),
            Err(err) if err.status() == Some(404) => Ok(()),
            Err(err) => Err(err),
        }
    }

    async fn test_webhook(&self, id: &str) -> Result<WebhookDispatch, PlatformError> {
        let url = self.base.v2(&["webhooks", id, "test"]);
        self.send_data::<_, ()>(Method::POST, url, None, TimeoutTier::Medium)
            .await
    }

    async fn list_dispatches(&self, id: &str) -> Result<Vec<WebhookDispatch>, PlatformError> {
        self.list_all(&["webhooks", id, "dispatches"], &[]).await
    }

    async fn get_actor(&self, id_or_name: &str) -> Result<Option<Actor>, PlatformError> {
        self.get_optional(self.base.v2(&["actors", &to_safe_id(id_or_name)]))
            .await
    }

    async fn get_task(&self, id_or_name: &str) -> Result<Option<Task>, PlatformError> {
        self.get_optional(self.base.v2(&["actor-tasks", &to_safe_id(id_or_name)]))
            .await
    }

    async fn list_actors(&self) -> Result<Vec<Actor>, PlatformError> {
        self.list_all(&["actors"], &[("my", "1")]).await
    }

    async fn list_tasks(&self) -> Result<Vec<Task>, PlatformError> {
        self.list_all(&["actor-tasks"], &[]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_follows_total() {
        // 5 items, page size 2: offsets 0, 2, 4, then done.
        assert_eq!(next_offset(0, 2, Some(5), Some(2)), Some(2));
        assert_eq!(next_offset(2, 2, Some(5), Some(2)), Some(4));
        assert_eq!(next_offset(4, 1, Some(5), Some(2)), None);
        // Exactly one page.
        assert_eq!(next_offset(0, 3, Some(3), Some(1000)), None);
        // The server caps the page below what was asked for: keep going while total says so.
        assert_eq!(next_offset(0, 100, Some(250), Some(100)), Some(100));
    }

    #[test]
    fn pagination_stops_on_empty_pages_and_without_total_on_short_pages() {
        assert_eq!(next_offset(0, 0, Some(10), Some(2)), None);
        assert_eq!(next_offset(0, 2, None, Some(2)), Some(2));
        assert_eq!(next_offset(2, 1, None, Some(2)), None);
        assert_eq!(next_offset(0, 2, None, None), None);
        assert_eq!(next_offset(u64::MAX - 1, 5, Some(u64::MAX), None), None);
    }

    #[test]
    fn client_futures_are_send() {
        fn assert_send<T: Send>(_: &T) {}
        let url = ApiBaseUrl::parse("https://api.apify.com").unwrap();
        let client = ApifyClient::new(ClientConfig::new(url, ApiToken::new("t").unwrap())).unwrap();
        assert_send(&client.list_webhooks());
        assert_send(&client.create_webhook(&WebhookCreate::default()));
        assert_send(&client.update_webhook("x", &WebhookUpdate::default()));
        assert_send(&client.delete_webhook("x"));
        assert_send(&client.get_actor("a/b"));
    }

    #[test]
    fn config_from_inputs_applies_defaults_and_knobs() {
        let inputs = ClientInputs {
            env_token: Some("tok"),
            retry_base_ms: Some("7"),
            ..ClientInputs::default()
        };
        let (config, source) = ClientConfig::from_inputs(inputs).unwrap();
        assert_eq!(config.api_url.as_str(), "https://api.apify.com");
        assert_eq!(config.retry.base_delay, Duration::from_millis(7));
        assert_eq!(source, TokenSource::Env);
        assert!(!format!("{config:?}").contains("tok\""), "{config:?}");

        let none = ClientConfig::from_inputs(ClientInputs::default()).unwrap_err();
        assert_eq!(
            none.to_string(),
            "no API token: set APIFY_TOKEN, pass --token-file FILE, or log in with `apify login` \
             (or try it without an account, against a local emulator: --local)"
        );
        let http = ClientInputs {
            api_url: Some("http://example.com"),
            ..inputs
        };
        assert!(ClientConfig::from_inputs(http).is_err());
        let knob = ClientInputs {
            retry_base_ms: Some("soon"),
            ..inputs
        };
        assert!(ClientConfig::from_inputs(knob).is_err());
    }

    #[test]
    fn api_errors_keep_type_and_message_and_other_bodies_are_not_envelopes() {
        let body = br#"{"error":{"type":"record-not-found","message":"Webhook was not found"}}"#;
        assert_eq!(
            api_error_details(body),
            Some((
                "record-not-found".to_owned(),
                "Webhook was not found".to_owned()
            ))
        );
        assert_eq!(
            api_error_details(br#"{"error":{"type":"x"}}"#),
            Some(("x".to_owned(), String::new()))
        );
        for other in [
            &b"<html>Not Found</html>"[..],
            b"",
            b"{}",
            br#"{"error":"nope"}"#,
            br#"{"error":{"code":404}}"#,
            br#"{"message":"Not Found"}"#,
        ] {
            assert_eq!(api_error_details(other), None, "{other:?}");
        }
        assert_eq!(
            body_excerpt(b"<html>Bad\ngateway</html>"),
            "Unexpected error: <html>Bad gateway</html>"
        );
        assert_eq!(body_excerpt(b" "), "no error body");
    }

    #[test]
    fn body_kinds_name_the_content_type_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(body_kind(&headers), "a body without a content type");
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        assert_eq!(body_kind(&headers), "a text/html body");
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("a b <script>"));
        assert_eq!(body_kind(&headers), "a body without a content type");
    }

    #[test]
    fn the_wait_clock_runs_only_while_requests_are_in_flight() {
        let s = Duration::from_secs;
        let t0 = Instant::now();
        let clock = WaitClock::new(s(10));
        assert_eq!(clock.start(t0), t0 + s(10));
        // A concurrent request shares the same deadline.
        assert_eq!(clock.start(t0 + s(3)), t0 + s(10));
        clock.stop(t0 + s(3));
        clock.stop(t0 + s(4));
        // Idle time (a prompt) is not counted: 4 s are spent, 6 s are left.
        assert_eq!(clock.start(t0 + s(64)), t0 + s(70));
        clock.stop(t0 + s(74));
        // Used up: the deadline is now.
        assert_eq!(clock.start(t0 + s(100)), t0 + s(100));
        let (guard, _) = clock.enter();
        drop(guard);
        assert_eq!(clock.state.lock().unwrap().in_flight, 1);
    }
}
