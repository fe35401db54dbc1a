//! [`ApifyClient`]: the reqwest implementation of [`Platform`] against Apify API v2.
//!
//! Every request carries the token as `Authorization: Bearer` (never in the URL), is retried on
//! 429, 5xx and transport errors with the policy of [`super::retry`], has a per-attempt timeout,
//! and is logged at debug level with method, path (no query), status, attempt and duration.
//! Lists follow `offset`/`limit`/`total` to the end, whatever page size the server picks.

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::endpoint::{ApiBaseUrl, DEFAULT_API_URL, to_safe_id};
use super::retry::{
    RetryPolicy, TimeoutTier, is_retryable_status, parse_retry_after, parse_retry_base_ms,
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
    /// A client-side cap on requests per second (all requests of this client together), so that
    /// concurrent work stays under the platform's per-resource rate limit. `None`: no cap.
    pub max_requests_per_second: Option<f64>,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl ClientConfig {
    /// A configuration with the default retry policy and no client-side rate cap.
    pub fn new(api_url: ApiBaseUrl, token: ApiToken) -> Self {
        ClientConfig {
            api_url,
            token,
            retry: RetryPolicy::default(),
            max_requests_per_second: None,
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
    /// A client-side cap on requests per second, if wanted.
    pub max_requests_per_second: Option<f64>,
}

impl ClientConfig {
    /// The configuration for these inputs, and where the token came from. Fails when the URL
    /// is refused, the token file is unreadable, there is no token at all, or the retry knob is
    /// not a number.
    pub fn from_inputs(inputs: ClientInputs<'_>) -> Result<(Self, TokenSource), PlatformError> {
        let url = inputs
            .api_url
            .filter(|url| !url.trim().is_empty())
            .unwrap_or(DEFAULT_API_URL);
        let api_url = ApiBaseUrl::parse(url)?;
        let (token, source) = resolve_token(inputs.env_token, inputs.token_file, inputs.home)?
            .ok_or_else(|| {
                PlatformError::Config(
                    "no API token: set APIFY_TOKEN, pass --token-file FILE, or log in with \
                     `apify login`"
                        .to_owned(),
                )
            })?;
        let mut config = ClientConfig::new(api_url, token);
        if let Some(value) = inputs.retry_base_ms {
            config.retry.base_delay = parse_retry_base_ms(value)?;
        }
        config.max_requests_per_second = inputs.max_requests_per_second;
        Ok((config, source))
    }
}

/// The HTTP client for Apify API v2. Cheap to share by reference; all methods take `&self`.
pub struct ApifyClient {
    http: reqwest::Client,
    base: ApiBaseUrl,
    token: ApiToken,
    retry: RetryPolicy,
    limiter: Option<RateLimiter>,
}

impl std::fmt::Debug for ApifyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApifyClient")
            .field("base", &self.base)
            .field("token", &self.token)
            .field("retry", &self.retry)
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
                PlatformError::Config(format!("cannot set up HTTP client: {}", describe(&err)))
            })?;
        let limiter = config
            .max_requests_per_second
            .filter(|rate| rate.is_finite() && *rate > 0.0)
            .map(RateLimiter::new);
        Ok(ApifyClient {
            http,
            base: config.api_url,
            token: config.token,
            retry: config.retry,
            limiter,
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
        let attempts = self.retry.max_retries.saturating_add(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(limiter) = &self.limiter {
                limiter.acquire().await;
            }
            let outcome = self
                .attempt(&method, &url, body.as_deref(), tier, attempt)
                .await;
            let (error, retry_after) = match outcome {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fatal(error) => return Err(error),
                Attempt::Retryable { error, retry_after } => (error, retry_after),
            };
            if attempt >= attempts {
                return Err(error);
            }
            let delay = self.retry.delay(attempt, fastrand::f64(), retry_after);
            let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            // A single retry is routine (a 429, a blip); more are worth telling the user, who
            // would otherwise wait minutes in silence for a platform that is not there.
            if attempt >= 2 {
                tracing::warn!(
                    "{error}; retrying in {delay_ms} ms (attempt {} of {attempts})",
                    attempt + 1
                );
            } else {
                tracing::info!(method = %method, path = %path, attempt, delay_ms, "retrying after: {error}");
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// One HTTP exchange, classified.
    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        tier: TimeoutTier,
        attempt: u32,
    ) -> Attempt {
        let path = url.path();
        let timeout = self.retry.attempt_timeout(tier, attempt);
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
        let started = tokio::time::Instant::now();
        let transport = |message: String| PlatformError::Transport {
            method: method.to_string(),
            path: path.to_owned(),
            message: redact(&message, &self.token),
        };
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => {
                let message = describe(&err);
                log_attempt(
                    method,
                    path,
                    None,
                    attempt,
                    started.elapsed(),
                    Some(&message),
                );
                return Attempt::Retryable {
                    error: transport(message),
                    retry_after: None,
                };
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(err) => {
                let message = format!("reading the response body: {}", describe(&err));
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
                // A truncated or garbled body: like a transport error, worth another try.
                Err(err) => Attempt::Retryable {
                    error: PlatformError::Decode {
                        method: method.to_string(),
                        path: path.to_owned(),
                        message: format!("response body is not JSON: {err}"),
                    },
                    retry_after: None,
                },
            };
        }
        let (error_type, message) = api_error_details(&bytes);
        let error = PlatformError::Api {
            method: method.to_string(),
            path: path.to_owned(),
            status,
            error_type: redact(&error_type, &self.token),
            message: redact(&message, &self.token),
        };
        if is_retryable_status(status) {
            Attempt::Retryable { error, retry_after }
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
        decode_data(&Method::GET, &path, value)
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
        decode_data(&method, &path, value)
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
    },
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

/// The `data` of a `{"data": ...}` envelope, decoded.
fn decode_data<T: DeserializeOwned>(
    method: &Method,
    path: &str,
    mut value: Value,
) -> Result<T, PlatformError> {
    let decode_error = |message: String| PlatformError::Decode {
        method: method.to_string(),
        path: path.to_owned(),
        message,
    };
    let data = value
        .get_mut("data")
        .map(Value::take)
        .ok_or_else(|| decode_error("no `data` in the response".to_owned()))?;
    serde_json::from_value(data).map_err(|err| decode_error(err.to_string()))
}

/// The server's `error.type` and `error.message`; for a body that is not the error envelope,
/// `unknown` and the start of the body.
fn api_error_details(body: &[u8]) -> (String, String) {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        let error = value.get("error");
        let text = |key: &str| error.and_then(|e| e.get(key)).and_then(Value::as_str);
        if let Some(message) = text("message") {
            return (
                text("type").unwrap_or("unknown").to_owned(),
                message.to_owned(),
            );
        }
        if let Some(kind) = text("type") {
            return (kind.to_owned(), String::new());
        }
    }
    let text = String::from_utf8_lossy(body);
    let excerpt: String = text.trim().chars().take(200).collect();
    let message = if excerpt.is_empty() {
        "no error body".to_owned()
    } else {
        format!("Unexpected error: {excerpt}")
    };
    ("unknown".to_owned(), message)
}

/// A reqwest error as text, without the URL, with its causes.
fn describe(err: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = if err.is_timeout() {
        "timed out".to_owned()
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

/// Spaces requests evenly: at most `rate` per second for the whole client.
struct RateLimiter {
    interval: Duration,
    next: Mutex<Option<tokio::time::Instant>>,
}

impl RateLimiter {
    fn new(rate: f64) -> Self {
        RateLimiter {
            interval: Duration::from_secs_f64(1.0 / rate),
            next: Mutex::new(None),
        }
    }

    async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let now = tokio::time::Instant::now();
            let slot = next.map_or(now, |next| next.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
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
        assert!(none.to_string().contains("no API token"), "{none}");
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
    fn api_errors_keep_type_and_message_or_fall_back() {
        let body = br#"{"error":{"type":"record-not-found","message":"Webhook was not found"}}"#;
        assert_eq!(
            api_error_details(body),
            (
                "record-not-found".to_owned(),
                "Webhook was not found".to_owned()
            )
        );
        let (kind, message) = api_error_details(b"<html>Bad gateway</html>");
        assert_eq!(kind, "unknown");
        assert_eq!(message, "Unexpected error: <html>Bad gateway</html>");
        assert_eq!(api_error_details(b"").1, "no error body");
        assert_eq!(api_error_details(br#"{"error":{"type":"x"}}"#).0, "x");
    }
}
