//! Talking to a running emulator from another process: [`fire`] starts a simulated run or build
//! through `POST /_emulator/runs` and, when asked, waits for its deliveries. Used by
//! `apify-webhooks emulator fire`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ADMIN_PREFIX;
use super::deliver::RunRequest;

/// Why a simulated run could not be started.
#[derive(Debug, thiserror::Error)]
pub enum FireError {
    /// The URL is not a loopback `http` URL (the emulator listens on loopback only).
    #[error(
        "the emulator URL must be a loopback http URL such as http://127.0.0.1:8080, not {0:?}"
    )]
    NotLoopback(String),
    /// No answer.
    #[error("cannot reach the emulator at {url}: {message}")]
    Unreachable {
        /// The emulator's URL.
        url: String,
        /// Why.
        message: String,
    },
    /// The emulator refused the run (unknown Actor or task, invalid outcome, ...).
    #[error("the emulator refused the run: {0}")]
    Refused(String),
    /// The answer is not the emulator's.
    #[error("unexpected answer from {url}: {message}")]
    Unexpected {
        /// The emulator's URL.
        url: String,
        /// What was wrong.
        message: String,
    },
}

/// One dispatch of a simulated run, as the emulator reports it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FiredDispatch {
    /// The dispatch ID.
    pub id: String,
    /// The webhook it delivers.
    pub webhook_id: String,
    /// The event.
    pub event_type: String,
    /// `ACTIVE`, `SUCCEEDED` or `FAILED` (only after a wait).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Its calls so far (only after a wait).
    #[serde(default)]
    pub calls: Vec<Value>,
}

/// A simulated run or build and what it fired.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FiredRun {
    /// The run's or build's ID.
    pub id: String,
    /// `run` or `build`.
    pub kind: String,
    /// The Actor.
    pub actor_id: String,
    /// The task that started it, if any.
    #[serde(default)]
    pub actor_task_id: Option<String>,
    /// The user who ran it.
    pub user_id: String,
    /// Its final status.
    pub status: String,
    /// Every dispatch it caused.
    pub dispatches: Vec<FiredDispatch>,
    /// After a wait: whether every delivery finished in time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered: Option<bool>,
}

/// Starts `run` on the emulator at `base_url`; with `wait`, answers once its deliveries are
/// done (at most that long).
pub async fn fire(
    base_url: &str,
    run: &RunRequest,
    wait: Option<Duration>,
) -> Result<FiredRun, FireError> {
    let base = url::Url::parse(base_url)
        .ok()
        .filter(|u| {
            u.scheme() == "http"
                && u.host()
                    .is_some_and(|h| crate::platform::is_loopback_host(&h))
        })
        .ok_or_else(|| FireError::NotLoopback(base_url.to_owned()))?;
    let mut url = base
        .join(&format!("{ADMIN_PREFIX}/runs"))
        .map_err(|_| FireError::NotLoopback(base_url.to_owned()))?;
    if let Some(wait) = wait {
        url.query_pairs_mut()
            .append_pair("wait", "1")
            .append_pair("timeoutMs", &wait.as_millis().to_string());
    }
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|err| FireError::Unreachable {
            url: base_url.to_owned(),
            message: err.to_string(),
        })?;
    let response = client
        .post(url)
        .json(run)
        .timeout(wait.unwrap_or_default() + Duration::from_secs(30))
        .send()
        .await
        .map_err(|err| FireError::Unreachable {
            url: base_url.to_owned(),
            message: err.to_string(),
        })?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|err| FireError::Unexpected {
        url: base_url.to_owned(),
        message: err.to_string(),
    })?;
    if !status.is_success() {
        let message = body["error"]["message"]
            .as_str()
            .or_else(|| body["error"].as_str())
            .unwrap_or("no reason given");
        return Err(FireError::Refused(format!(
            "HTTP {}: {message}",
            status.as_u16()
        )));
    }
    serde_json::from_value(body["data"].clone()).map_err(|err| FireError::Unexpected {
        url: base_url.to_owned(),
        message: err.to_string(),
    })
}
