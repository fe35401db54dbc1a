//! Talking to a running emulator from another process: [`fire`] starts a simulated run or build
//! through `POST /_emulator/runs` and, when asked, watches its deliveries
//! (`GET /_emulator/dispatches`) until they end, reporting every call as it is made. Used by
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
    /// The description of the webhook it delivers (where this tool keeps its marker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_description: Option<String>,
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
    /// The Actor's `username/name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_name: Option<String>,
    /// The task that started it, if any.
    #[serde(default)]
    pub actor_task_id: Option<String>,
    /// The task's `username/name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_task_name: Option<String>,
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

/// What [`fire`] reports while it waits.
#[derive(Debug, Clone, Copy)]
pub enum FireProgress<'a> {
    /// The run started; its deliveries are awaited (at most `wait`).
    Waiting {
        /// How many dispatches it made.
        dispatches: usize,
        /// The longest wait.
        wait: Duration,
    },
    /// A delivery call was made.
    Call {
        /// The dispatch, as it is now (later calls may have been made already).
        dispatch: &'a FiredDispatch,
        /// The call's number (1 for the first attempt).
        attempt: usize,
        /// The call (`responseStatus`, `errorMessage`, ...).
        call: &'a Value,
        /// What came of it.
        outcome: CallOutcome,
    },
}

/// What came of one delivery call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// The receiver accepted it (2xx): the dispatch succeeded.
    Delivered,
    /// It failed, and another attempt follows (or has been made already).
    Retrying,
    /// It failed, and it was the last attempt: the dispatch failed.
    GaveUp,
}

impl CallOutcome {
    /// The outcome of call number `attempt` of `dispatch`: decided by the call itself and
    /// whether a later one exists, not by when it was seen (a poll can see several at once).
    fn of(dispatch: &FiredDispatch, attempt: usize, call: &Value) -> Self {
        let accepted = call["responseStatus"]
            .as_u64()
            .is_some_and(|s| (200..300).contains(&s));
        if accepted {
            CallOutcome::Delivered
        } else if attempt < dispatch.calls.len() || !dispatch.ended() {
            CallOutcome::Retrying
        } else {
            CallOutcome::GaveUp
        }
    }
}

/// How often [`fire`] looks at the deliveries.
const POLL: Duration = Duration::from_millis(100);

/// Starts `run` on the emulator at `base_url`; with `wait`, watches its deliveries until every
/// one has ended (at most that long), telling `progress` of every call as it is made.
pub async fn fire(
    base_url: &str,
    run: &RunRequest,
    wait: Option<Duration>,
    progress: &(dyn Fn(FireProgress<'_>) + Sync),
) -> Result<FiredRun, FireError> {
    let base = url::Url::parse(base_url)
        .ok()
        .filter(|u| {
            u.scheme() == "http"
                && u.host()
                    .is_some_and(|h| crate::platform::is_loopback_host(&h))
        })
        .ok_or_else(|| FireError::NotLoopback(base_url.to_owned()))?;
    let join = |path: &str| {
        base.join(&format!("{ADMIN_PREFIX}/{path}"))
            .map_err(|_| FireError::NotLoopback(base_url.to_owned()))
    };
    let unreachable = |err: reqwest::Error| FireError::Unreachable {
        url: base_url.to_owned(),
        message: err.to_string(),
    };
    let unexpected = |message: String| FireError::Unexpected {
        url: base_url.to_owned(),
        message,
    };
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(unreachable)?;
    let response = client
        .post(join("runs")?)
        .json(run)
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|err| unexpected(err.to_string()))?;
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
    let mut fired: FiredRun =
        serde_json::from_value(body["data"].clone()).map_err(|err| unexpected(err.to_string()))?;
    let Some(wait) = wait else {
        return Ok(fired);
    };
    progress(FireProgress::Waiting {
        dispatches: fired.dispatches.len(),
        wait,
    });
    let ids: Vec<&str> = fired.dispatches.iter().map(|d| d.id.as_str()).collect();
    let mut url = join("dispatches")?;
    url.query_pairs_mut().append_pair("ids", &ids.join(","));
    let deadline = tokio::time::Instant::now() + wait;
    let mut seen = vec![0; fired.dispatches.len()];
    loop {
        let now: Value = client
            .get(url.clone())
            .send()
            .await
            .map_err(unreachable)?
            .json()
            .await
            .map_err(|err| unexpected(err.to_string()))?;
        for item in now["items"].as_array().into_iter().flatten() {
            let Some(index) = fired.dispatches.iter().position(|d| d.id == item["id"]) else {
                continue;
            };
            let dispatch = &mut fired.dispatches[index];
            dispatch.status = item["status"].as_str().map(str::to_owned);
            dispatch.calls = item["calls"].as_array().cloned().unwrap_or_default();
            let dispatch = &fired.dispatches[index];
            for (n, call) in dispatch.calls.iter().enumerate().skip(seen[index]) {
                progress(FireProgress::Call {
                    dispatch,
                    attempt: n + 1,
                    call,
                    outcome: CallOutcome::of(dispatch, n + 1, call),
                });
            }
            seen[index] = dispatch.calls.len();
        }
        let done = fired.dispatches.iter().all(FiredDispatch::ended);
        if done || tokio::time::Instant::now() >= deadline {
            fired.delivered = Some(done);
            return Ok(fired);
        }
        tokio::time::sleep(POLL).await;
    }
}

impl FiredDispatch {
    /// Whether the dispatch has ended (`SUCCEEDED` or `FAILED`).
    pub fn ended(&self) -> bool {
        matches!(self.status.as_deref(), Some("SUCCEEDED" | "FAILED"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_call_s_outcome_depends_on_the_calls_after_it_not_on_when_it_is_seen() {
        let fail = json!({"responseStatus": 500});
        let ok = json!({"responseStatus": 204});
        let refused = json!({"responseStatus": null, "errorMessage": "no"});
        let dispatch = |status: &str, calls: Vec<Value>| FiredDispatch {
            status: Some(status.to_owned()),
            calls,
            ..FiredDispatch::default()
        };
        // Three failed calls seen at once, after the dispatch failed: only the last gave up.
        let failed = dispatch("FAILED", vec![fail.clone(), fail.clone(), refused.clone()]);
        assert_eq!(CallOutcome::of(&failed, 1, &fail), CallOutcome::Retrying);
        assert_eq!(CallOutcome::of(&failed, 2, &fail), CallOutcome::Retrying);
        assert_eq!(CallOutcome::of(&failed, 3, &refused), CallOutcome::GaveUp);
        // Still active: the latest failure is retried.
        let active = dispatch("ACTIVE", vec![fail.clone()]);
        assert_eq!(CallOutcome::of(&active, 1, &fail), CallOutcome::Retrying);
        let succeeded = dispatch("SUCCEEDED", vec![fail.clone(), ok.clone()]);
        assert_eq!(CallOutcome::of(&succeeded, 1, &fail), CallOutcome::Retrying);
        assert_eq!(CallOutcome::of(&succeeded, 2, &ok), CallOutcome::Delivered);
    }
}
