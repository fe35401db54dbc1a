//! The Apify platform as the tool sees it: the [`Platform`] trait that plan and apply read and
//! write through, the wire types, and the errors. The HTTP implementation lives in `client`; the
//! plan and apply code never name it. This module knows nothing of manifests.

mod client;
mod endpoint;
pub mod retry;
mod token;
mod types;

pub use client::{ApifyClient, ClientConfig, ClientInputs, REQUESTED_PAGE_SIZE};
pub use endpoint::{ApiBaseUrl, DEFAULT_API_URL, is_loopback_host, to_safe_id};
pub use retry::{DEFAULT_TIMEOUT, RETRY_BASE_ENV, RetryPolicy, TimeoutTier, parse_timeout};
pub use token::{
    ApiToken, MAX_TOKEN_FILE_BYTES, TokenError, TokenSource, apify_cli_auth_path, resolve_token,
};
pub use types::{
    Actor, Condition, Task, User, Webhook, WebhookCreate, WebhookDispatch, WebhookUpdate,
};

use std::future::Future;

/// Everything the tool reads from and writes to the platform.
///
/// Implementations retry transient failures themselves; an `Err` is final.
pub trait Platform {
    /// The account behind the token (`GET /v2/users/me`).
    fn current_user(&self) -> impl Future<Output = Result<User, PlatformError>>;

    /// Every webhook of the user (`GET /v2/webhooks`), following pagination to the end.
    fn list_webhooks(&self) -> impl Future<Output = Result<Vec<Webhook>, PlatformError>>;

    /// One webhook in full, with its templates; `None` when it does not exist.
    fn get_webhook(&self, id: &str)
    -> impl Future<Output = Result<Option<Webhook>, PlatformError>>;

    /// Creates a webhook (`POST /v2/webhooks`).
    fn create_webhook(
        &self,
        body: &WebhookCreate,
    ) -> impl Future<Output = Result<Webhook, PlatformError>>;

    /// Updates only the fields set in `body` (`PUT /v2/webhooks/{id}` is a partial update).
    fn update_webhook(
        &self,
        id: &str,
        body: &WebhookUpdate,
    ) -> impl Future<Output = Result<Webhook, PlatformError>>;

    /// Deletes a webhook; one that is already gone (404) counts as deleted.
    fn delete_webhook(&self, id: &str) -> impl Future<Output = Result<(), PlatformError>>;

    /// Looks up an Actor by ID, `username~name` or `username/name`; `None` when not found.
    fn get_actor(
        &self,
        id_or_name: &str,
    ) -> impl Future<Output = Result<Option<Actor>, PlatformError>>;

    /// Looks up an Actor task by ID, `username~name` or `username/name`; `None` when not found.
    fn get_task(
        &self,
        id_or_name: &str,
    ) -> impl Future<Output = Result<Option<Task>, PlatformError>>;

    /// Sends a test dispatch of a webhook (`POST /v2/webhooks/{id}/test`): the platform calls
    /// the target with a dummy payload.
    fn test_webhook(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<WebhookDispatch, PlatformError>> {
        let _ = id;
        async { Err(PlatformError::unsupported("test_webhook")) }
    }

    /// Every dispatch of a webhook (`GET /v2/webhooks/{id}/dispatches`), all pages.
    fn list_dispatches(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Vec<WebhookDispatch>, PlatformError>> {
        let _ = id;
        async { Err(PlatformError::unsupported("list_dispatches")) }
    }

    /// Every Actor the user owns (`GET /v2/actors?my=1`), all pages.
    fn list_actors(&self) -> impl Future<Output = Result<Vec<Actor>, PlatformError>> {
        async { Err(PlatformError::unsupported("list_actors")) }
    }

    /// Every Actor task of the user (`GET /v2/actor-tasks`), all pages.
    fn list_tasks(&self) -> impl Future<Output = Result<Vec<Task>, PlatformError>> {
        async { Err(PlatformError::unsupported("list_tasks")) }
    }
}

/// A failed platform call, after any retries.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PlatformError {
    /// The platform answered with an error status.
    #[error("{method} {path} failed: HTTP {status} {error_type}: {message}")]
    Api {
        /// HTTP method of the request.
        method: String,
        /// Path of the request, without query string.
        path: String,
        /// HTTP status code.
        status: u16,
        /// The server's `error.type`, or `unknown` when the body had none.
        error_type: String,
        /// The server's `error.message`, or the start of a non-JSON body.
        message: String,
    },
    /// The request got no complete answer (connection reset, an attempt timed out, a body cut
    /// short), after the retries of the policy.
    #[error("{method} {path} failed: {message}")]
    Transport {
        /// HTTP method of the request.
        method: String,
        /// Path of the request, without query string.
        path: String,
        /// What went wrong, without the URL's query or any credential.
        message: String,
    },
    /// No connection could be made at all (connection refused, unknown host, TLS failure):
    /// retried only for a few seconds, since waiting longer rarely helps.
    #[error("cannot connect to the Apify API at {api}: {message} ({method} {path})")]
    Unreachable {
        /// The API base URL.
        api: String,
        /// HTTP method of the request.
        method: String,
        /// Path of the request, without query string.
        path: String,
        /// The cause, such as `Connection refused (os error 111)`.
        message: String,
    },
    /// Something answered, but not the Apify API: a 2xx body that is not JSON or has no `data`
    /// envelope, or a 404 without the API's error envelope. Never retried.
    #[error("not an Apify API at {api}: {method} {path} {message}")]
    NotApify {
        /// The API base URL.
        api: String,
        /// HTTP method of the request.
        method: String,
        /// Path of the request, without query string.
        path: String,
        /// What the answer was instead, such as `answered HTTP 200 with text/html, not JSON`.
        message: String,
    },
    /// The run's `--timeout` ran out while a request was still being tried.
    #[error(
        "timed out after {} (--timeout) waiting for {method} {url}: {last_error}",
        humantime::format_duration(*timeout)
    )]
    TimedOut {
        /// HTTP method of the request.
        method: String,
        /// The URL of the request, without query string.
        url: String,
        /// The run's whole budget for waiting on the platform.
        timeout: std::time::Duration,
        /// The error of the last attempt, or that it got no answer in the time left.
        last_error: String,
    },
    /// A request was given up before the run's `--timeout` ran out, because the next attempt
    /// could only start after it: the platform asked to wait longer (`Retry-After`) than the
    /// time left, or the next backoff was. Says how long it was really tried.
    #[error(
        "{}; {}",
        last.to_string().trim_end_matches('.'),
        self.gave_up_because().unwrap_or_default()
    )]
    RetryPastTimeout {
        /// The error of the last attempt.
        last: Box<PlatformError>,
        /// How many attempts were made.
        attempts: u32,
        /// How long this request was tried, rounded for people.
        elapsed: std::time::Duration,
        /// The wait before the next attempt, rounded for people.
        wait: std::time::Duration,
        /// Whether the platform asked for that wait (`Retry-After`), rather than the backoff.
        retry_after: bool,
        /// What was left of the run's budget, rounded for people.
        left: std::time::Duration,
        /// The run's whole budget for waiting on the platform.
        timeout: std::time::Duration,
    },
    /// The platform answered 2xx with a body that is not what the API documents.
    #[error("{method} {path}: unexpected response: {message}")]
    Decode {
        /// HTTP method of the request.
        method: String,
        /// Path of the request, without query string.
        path: String,
        /// What could not be decoded.
        message: String,
    },
    /// The API URL (`--api-url`, `APIFY_API_BASE_URL`) is refused: a usage error.
    #[error("{0}")]
    ApiUrl(String),
    /// The client could not be set up (unreadable or malformed token, ...).
    #[error("{0}")]
    Config(String),
}

impl PlatformError {
    /// The error of a [`Platform`] implementation that does not offer `operation` (the
    /// default of the optional trait methods, for test doubles).
    pub fn unsupported(operation: &str) -> Self {
        PlatformError::Config(format!("{operation} is not supported by this platform"))
    }

    /// The HTTP status, when the platform answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            PlatformError::Api { status, .. } => Some(*status),
            PlatformError::RetryPastTimeout { last, .. } => last.status(),
            _ => None,
        }
    }

    /// A short name of the kind of failure, for reports (`transport`, `not-apify-api`, ...);
    /// the platform's `error.type` when it answered with one.
    pub fn kind(&self) -> &str {
        match self {
            PlatformError::Api { error_type, .. } => error_type,
            PlatformError::Transport { .. } => "transport",
            PlatformError::Unreachable { .. } => "unreachable",
            PlatformError::NotApify { .. } => "not-apify-api",
            PlatformError::TimedOut { .. } => "timeout",
            PlatformError::RetryPastTimeout { last, .. } => last.kind(),
            PlatformError::Decode { .. } => "unexpected-response",
            PlatformError::ApiUrl(_) | PlatformError::Config(_) => "config",
        }
    }

    /// Why a [`PlatformError::RetryPastTimeout`] request was not tried again, and after how
    /// long: `not retried: the platform asked to wait 30s (Retry-After), more than the 19s left
    /// of --timeout 20s (1 attempt in 1s)`. `None` for other errors.
    pub fn gave_up_because(&self) -> Option<String> {
        let PlatformError::RetryPastTimeout {
            attempts,
            elapsed,
            wait,
            retry_after,
            left,
            timeout,
            ..
        } = self
        else {
            return None;
        };
        let d = |d: &std::time::Duration| humantime::format_duration(*d).to_string();
        let wait = if *retry_after {
            format!("the platform asked to wait {} (Retry-After)", d(wait))
        } else {
            format!("the next retry would wait {}", d(wait))
        };
        Some(format!(
            "not retried: {wait}, more than the {} left of --timeout {} ({attempts} attempt{} in {})",
            d(left),
            d(timeout),
            if *attempts == 1 { "" } else { "s" },
            d(elapsed)
        ))
    }

    /// Whether the error is in what the user asked for (an invalid API URL), not in the
    /// platform: the command line's exit code applies.
    pub fn is_usage(&self) -> bool {
        matches!(self, PlatformError::ApiUrl(_))
    }

    /// The platform's `error.type`, when it answered with one.
    pub fn error_type(&self) -> Option<&str> {
        match self {
            PlatformError::Api { error_type, .. } => Some(error_type),
            _ => None,
        }
    }
}
