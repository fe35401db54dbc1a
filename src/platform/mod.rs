//! The Apify platform as the tool sees it: the [`Platform`] trait that plan and apply read and
//! write through, the wire types, and the errors. The HTTP implementation lives in `client`; the
//! plan and apply code never name it. This module knows nothing of manifests.

mod client;
mod endpoint;
pub mod retry;
mod token;
mod types;

pub use client::{ApifyClient, ClientConfig, ClientInputs, REQUESTED_PAGE_SIZE};
pub use endpoint::{API_URL_ENV, ApiBaseUrl, DEFAULT_API_URL, is_loopback_host, to_safe_id};
pub use retry::{RETRY_BASE_ENV, RetryPolicy, TimeoutTier};
pub use token::{ApiToken, TokenSource, apify_cli_auth_path, resolve_token};
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
    /// The request never got an answer (connection refused, reset, timed out).
    #[error("{method} {path} failed: {message}")]
    Transport {
        /// HTTP method of the request.
        method: String,
        /// Path of the request, without query string.
        path: String,
        /// What went wrong, without the URL's query or any credential.
        message: String,
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
    /// The client could not be set up (bad API URL, unreadable token file, ...).
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
            _ => None,
        }
    }

    /// The platform's `error.type`, when it answered with one.
    pub fn error_type(&self) -> Option<&str> {
        match self {
            PlatformError::Api { error_type, .. } => Some(error_type),
            _ => None,
        }
    }
}
