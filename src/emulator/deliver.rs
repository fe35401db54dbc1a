//! The emulator delivers webhooks, as the platform does: a simulated run or build
//! (`POST /_emulator/runs`) fires every matching webhook, and `POST /v2/webhooks/{id}/test`
//! fires one. Each firing is a dispatch, created `ACTIVE` at once and delivered in the
//! background (a tokio task): an HTTP POST of the request [`crate::event::render`] makes — the
//! same code `preview` uses — retried with exponential backoff unless `doNotRetry`, every call
//! recorded (`startedAt`, `finishedAt`, `responseStatus`, `responseBody`, `errorMessage`), and
//! the webhook's `lastDispatch` kept. By default only loopback receivers are called; another
//! host is recorded as a failed call, so tests never reach the internet.
//!
//! Matching: a webhook fires when it is enabled, an HTTP webhook of the run's user, lists the
//! event type, and its condition names the run's task (task webhooks fire only for runs started
//! through that task) or the run's Actor (Actor webhooks fire for every run of the Actor, also
//! when a task started it). Build events exist only for Actors.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Shared;
use super::api::ApiError;
use super::state::{DispatchRec, State, WebhookRec};
use crate::event::{self, BuildIds, Event, EventIds, EventType, RequestTemplate, RunIds};

/// The longest receiver answer a call records, in bytes.
pub const MAX_RECORDED_BODY: usize = 10_000;

/// How the emulator delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// Call receivers on hosts other than loopback too (off by default: a non-loopback URL is
    /// recorded as a failed call).
    pub allow_external: bool,
    /// Retries after a failed call (the platform makes 11, an hour apart and more).
    pub retries: u32,
    /// The pause before the first retry; each further one doubles it.
    pub retry_delay: Duration,
    /// How long one call may take (the platform allows two minutes).
    pub timeout: Duration,
    /// What the error of a refused call to another host advises, after "The emulator delivers
    /// only to loopback addresses (...), not to HOST;": how to deliver there, which depends on
    /// how the emulator was started ([`SERVE_EXTERNAL_ADVICE`] by default).
    pub external_advice: String,
}

/// The advice of a refused call to another host from `apify-webhooks emulator`.
pub const SERVE_EXTERNAL_ADVICE: &str = "start it with --allow-external-delivery to send elsewhere";

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            allow_external: false,
            retries: 3,
            retry_delay: Duration::from_secs(1),
            timeout: Duration::from_secs(30),
            external_advice: SERVE_EXTERNAL_ADVICE.to_owned(),
        }
    }
}

/// The HTTP clients and the count of deliveries in progress.
pub(crate) struct Deliverer {
    config: DeliveryConfig,
    client: reqwest::Client,
    /// For webhooks with `ignoreSslErrors`.
    lenient: reqwest::Client,
    active: AtomicUsize,
}

impl Deliverer {
    pub(crate) fn new(config: DeliveryConfig) -> Self {
        let build = |lenient: bool| {
            reqwest::Client::builder()
                // A redirect could lead off loopback; the platform records the answer as it is.
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .tls_danger_accept_invalid_certs(lenient)
                .user_agent(concat!(
                    "apify-webhooks-emulator/",
                    env!("CARGO_PKG_VERSION")
                ))
                .build()
                .unwrap_or_default()
        };
        Deliverer {
            client: build(false),
            lenient: build(true),
            config,
            active: AtomicUsize::new(0),
        }
    }

    /// Deliveries still running (being sent or waiting for a retry).
    pub(crate) fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }
}

/// Waits until no delivery is running, at most `timeout`; whether none is.
pub(crate) async fn wait_idle(shared: &Shared, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if shared.deliverer.active() == 0 {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// What the background task needs to deliver one dispatch.
pub(crate) struct Job {
    dispatch_id: String,
    webhook_id: String,
    request: Result<event::WebhookRequest, String>,
    attempts: u32,
    ignore_ssl_errors: bool,
}

/// Creates an `ACTIVE` dispatch of `webhook` (at `index`) for `event`, updates the webhook's
/// `lastDispatch` and `stats`, and returns the job that delivers it. `single_attempt` (test
/// dispatches) makes one call whatever `doNotRetry` says.
pub(crate) fn open_dispatch(
    shared: &Shared,
    state: &mut State,
    index: usize,
    event: &Event,
    event_data: Option<Value>,
    single_attempt: bool,
) -> (Value, Job) {
    let id = state.fresh_id();
    let webhook = &state.webhooks[index];
    let request = match &webhook.request_url {
        Some(url) => event::render(
            &RequestTemplate {
                request_url: url,
                payload_template: webhook.payload_template.as_deref(),
                headers_template: webhook.headers_template.as_deref(),
                should_interpolate_strings: webhook.should_interpolate_strings,
            },
            event,
            &webhook.id,
            &id,
        )
        .map_err(|err| format!("The webhook's request cannot be rendered: {err}")),
        None => Err("The webhook has no request URL.".to_owned()),
    };
    let attempts = if single_attempt || webhook.do_not_retry {
        1
    } else {
        shared.deliverer.config.retries + 1
    };
    let dispatch = DispatchRec {
        id: id.clone(),
        user_id: webhook.user_id.clone(),
        webhook_id: webhook.id.clone(),
        // The event's time: a receiver (or a test) can tell from the dispatch which event it got.
        created_at: event.created_at.clone(),
        status: "ACTIVE".to_owned(),
        event_type: event.event_type.clone(),
        event_data,
        calls: Vec::new(),
    };
    let job = Job {
        dispatch_id: id,
        webhook_id: webhook.id.clone(),
        request,
        attempts,
        ignore_ssl_errors: webhook.ignore_ssl_errors,
    };
    let webhook = &mut state.webhooks[index];
    webhook.last_dispatch = Some(json!({"status": "ACTIVE", "finishedAt": null}));
    webhook.stats.total_dispatches = Some(webhook.stats.total_dispatches.unwrap_or(0) + 1);
    let body = dispatch.to_json(Some(webhook));
    state.dispatches.push(dispatch);
    shared.deliverer.active.fetch_add(1, Ordering::SeqCst);
    (body, job)
}

/// Delivers `job` in the background.
pub(crate) fn spawn(shared: &Arc<Shared>, job: Job) {
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        deliver(&shared, job).await;
        shared.deliverer.active.fetch_sub(1, Ordering::SeqCst);
    });
}

/// One call's result.
struct CallResult {
    status: Option<u16>,
    body: Option<String>,
    error: Option<String>,
    /// Whether another attempt could help (not for a refused host or an unrenderable request).
    retryable: bool,
}

async fn deliver(shared: &Shared, job: Job) {
    let mut delay = shared.deliverer.config.retry_delay;
    for attempt in 1..=job.attempts {
        let started_at = shared.lock_state().tick();
        let result = call(shared, &job).await;
        let succeeded = result.status.is_some_and(|s| (200..300).contains(&s));
        let last = succeeded || !result.retryable || attempt == job.attempts;
        let record = {
            let mut state = shared.lock_state();
            let finished_at = state.tick();
            let Some(dispatch) = state
                .dispatches
                .iter_mut()
                .find(|d| d.id == job.dispatch_id)
            else {
                // The webhook was deleted, and its dispatches with it.
                return;
            };
            dispatch.calls.push(json!({
                "startedAt": started_at,
                "finishedAt": finished_at,
                "errorMessage": result.error,
                "responseStatus": result.status,
                "responseBody": result.body,
            }));
            if last {
                let status = if succeeded { "SUCCEEDED" } else { "FAILED" };
                status.clone_into(&mut dispatch.status);
                if let Some(webhook) = state.webhooks.iter_mut().find(|w| w.id == job.webhook_id) {
                    webhook.last_dispatch =
                        Some(json!({"status": status, "finishedAt": finished_at}));
                }
            }
            // The file gets the dispatch once it has its final status, not once per attempt.
            if last { shared.save(&state) } else { Ok(()) }
        };
        if let Err(err) = record {
            tracing::warn!("emulator: {}", err.message);
        }
        if last {
            return;
        }
        tokio::time::sleep(delay).await;
        delay = delay.saturating_mul(2);
    }
}

async fn call(shared: &Shared, job: &Job) -> CallResult {
    let refused = |error: String| CallResult {
        status: None,
        body: None,
        error: Some(error),
        retryable: false,
    };
    let request = match &job.request {
        Ok(request) => request,
        Err(error) => return refused(error.clone()),
    };
    let url = match reqwest::Url::parse(&request.url) {
        Ok(url) => url,
        Err(err) => return refused(format!("The request URL is not valid: {err}.")),
    };
    let config = &shared.deliverer.config;
    if !config.allow_external && !is_loopback(&url) {
        return refused(format!(
            "The emulator delivers only to loopback addresses (127.0.0.0/8, ::1, localhost), not to \
             {}; {}.",
            url.host_str().unwrap_or("(no host)"),
            config.external_advice
        ));
    }
    let client = if job.ignore_ssl_errors {
        &shared.deliverer.lenient
    } else {
        &shared.deliverer.client
    };
    let mut builder = client
        .post(url)
        .timeout(config.timeout)
        .body(request.body.clone());
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    match builder.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = read_capped(response).await;
            CallResult {
                status: Some(status),
                error: (!(200..300).contains(&status))
                    .then(|| format!("The receiver answered HTTP {status}.")),
                body: Some(body),
                retryable: true,
            }
        }
        Err(err) => CallResult {
            status: None,
            body: None,
            error: Some(describe(&err)),
            retryable: true,
        },
    }
}

/// The start of a response body (at most [`MAX_RECORDED_BODY`] bytes), as text.
async fn read_capped(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_RECORDED_BODY - bytes.len();
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if bytes.len() >= MAX_RECORDED_BODY {
            break;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A transport error without the URL (its path or query may hold a secret).
fn describe(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "the request timed out"
    } else if err.is_connect() {
        "cannot connect to the receiver"
    } else {
        "the request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        cause = inner.to_string();
        source = inner.source();
    }
    if cause.is_empty() {
        format!("{kind}.")
    } else {
        format!("{kind}: {cause}.")
    }
}

/// Whether `url` names this machine: a loopback IP, or `localhost` (nothing else is resolved,
/// so no name can lead off the machine).
fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The body of `POST /_emulator/runs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunRequest {
    /// The Actor: ID, `username/name` or `username~name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The task that starts the run: ID, `username/name` or `username~name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// `run` (default) or `build`.
    #[serde(default)]
    pub kind: RunKind,
    /// How it ends: `SUCCEEDED`, `FAILED`, `ABORTED` or `TIMED-OUT` (`TIMED_OUT`).
    pub outcome: String,
    /// The user who runs it (username); the Actor's or task's owner by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// A run or a build.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    /// A run.
    #[default]
    Run,
    /// A build.
    Build,
}

/// Simulates a run or build: its `CREATED` event and the event of its outcome, each fired to
/// every matching webhook. Returns the response body and the jobs to spawn.
pub(crate) fn simulate(
    shared: &Shared,
    request: &RunRequest,
) -> Result<(Value, Vec<Job>), ApiError> {
    let mut state = shared.lock_state();
    let outcome = request.outcome.to_ascii_uppercase().replace('_', "-");
    let suffix = match outcome.as_str() {
        "SUCCEEDED" => "SUCCEEDED",
        "FAILED" => "FAILED",
        "ABORTED" => "ABORTED",
        "TIMED-OUT" => "TIMED_OUT",
        _ => {
            return Err(ApiError::invalid_input(format!(
                "outcome must be SUCCEEDED, FAILED, ABORTED or TIMED-OUT, not {:?}",
                request.outcome
            )));
        }
    };
    let (actor_id, actor_user, task) = match (&request.task, &request.actor) {
        (Some(task), _) => {
            let found = find(&state, task, Which::Task).ok_or_else(|| {
                ApiError::new(
                    404,
                    "record-not-found",
                    format!("Task {task:?} was not found"),
                )
            })?;
            let t = &state.tasks[found];
            if request.kind == RunKind::Build {
                return Err(ApiError::invalid_input(
                    "builds belong to Actors: name an actor, not a task",
                ));
            }
            (t.act_id.clone(), t.user_id.clone(), Some(t.id.clone()))
        }
        (None, Some(actor)) => {
            let found = find(&state, actor, Which::Actor).ok_or_else(|| {
                ApiError::new(
                    404,
                    "actor-not-found",
                    format!("Actor {actor:?} was not found"),
                )
            })?;
            let a = &state.actors[found];
            (a.id.clone(), a.user_id.clone(), None)
        }
        (None, None) => return Err(ApiError::invalid_input("name an actor or a task")),
    };
    let user_id = match &request.user {
        Some(name) => state
            .users
            .iter()
            .find(|u| &u.username == name)
            .map(|u| u.id.clone())
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    "record-not-found",
                    format!("User {name:?} was not found"),
                )
            })?,
        None => actor_user,
    };
    // A run of another user's Actor makes it one they "used": their Actor list shows it.
    if let Some(runner) = state.users.iter().find(|u| u.id == user_id).cloned()
        && let Some(actor) = state.actors.iter_mut().find(|a| a.id == actor_id)
        && actor.user_id != runner.id
        && !actor.used_by.contains(&runner.username)
    {
        actor.used_by.push(runner.username);
    }
    let id = state.fresh_id();
    let (family, ids) = match request.kind {
        RunKind::Run => (
            "RUN",
            EventIds::Run(RunIds::derived(&id, &actor_id, task.as_deref(), &user_id)),
        ),
        RunKind::Build => (
            "BUILD",
            EventIds::Build(BuildIds {
                build_id: id.clone(),
                actor_id: actor_id.clone(),
                user_id: user_id.clone(),
                build_number: "0.0.1".to_owned(),
            }),
        ),
    };
    let mut fired = Vec::new();
    let mut jobs = Vec::new();
    for name in [
        format!("ACTOR.{family}.CREATED"),
        format!("ACTOR.{family}.{suffix}"),
    ] {
        let Ok(event_type) = name.parse::<EventType>() else {
            continue;
        };
        let now = state.tick();
        let event = event::event_for(event_type, &ids, &now, &user_id);
        let matching: Vec<usize> = state
            .webhooks
            .iter()
            .enumerate()
            .filter(|(_, w)| fires(w, &name, &user_id, &actor_id, task.as_deref()))
            .map(|(i, _)| i)
            .collect();
        for index in matching {
            let (dispatch, job) = open_dispatch(
                shared,
                &mut state,
                index,
                &event,
                Some(event.event_data.clone()),
                false,
            );
            fired.push(json!({
                "id": dispatch["id"],
                "webhookId": dispatch["webhookId"],
                "webhookDescription": state.webhooks[index].description,
                "eventType": name,
            }));
            jobs.push(job);
        }
    }
    // The dispatches count as active already: they are delivered even if this save failed
    // (the next save writes them).
    let _ = shared.save(&state);
    let actor_name = state
        .actors
        .iter()
        .find(|a| a.id == actor_id)
        .map(|a| format!("{}/{}", a.username, a.name));
    let task_name = task.as_ref().and_then(|task| {
        state
            .tasks
            .iter()
            .find(|t| &t.id == task)
            .map(|t| format!("{}/{}", t.username, t.name))
    });
    let body = json!({
        "id": id,
        "kind": match request.kind { RunKind::Run => "run", RunKind::Build => "build" },
        "actorId": actor_id,
        "actorName": actor_name,
        "actorTaskId": task,
        "actorTaskName": task_name,
        "userId": user_id,
        "status": outcome,
        "dispatches": fired,
    });
    Ok((body, jobs))
}

/// Whether `webhook` fires for event `name` of a run or build of `actor_id` (started through
/// `task`, if any) by `user_id`.
fn fires(
    webhook: &WebhookRec,
    name: &str,
    user_id: &str,
    actor_id: &str,
    task: Option<&str>,
) -> bool {
    if !webhook.is_enabled
        || webhook.user_id != user_id
        || webhook.action_type != "HTTP_REQUEST"
        || !webhook.event_types.iter().any(|e| e == name)
    {
        return false;
    }
    let c = &webhook.condition;
    match (&c.actor_task_id, &c.actor_id) {
        (Some(t), _) => task == Some(t.as_str()),
        (None, Some(a)) => a == actor_id,
        (None, None) => false,
    }
}

#[derive(Clone, Copy)]
enum Which {
    Actor,
    Task,
}

/// An Actor or task by ID, `username/name` or `username~name`.
fn find(state: &State, reference: &str, which: Which) -> Option<usize> {
    let named = reference
        .split_once('~')
        .or_else(|| reference.split_once('/'));
    match which {
        Which::Actor => state.actors.iter().position(|a| match named {
            Some((user, name)) => a.username == user && a.name == name,
            None => a.id == reference,
        }),
        Which::Task => state.tasks.iter().position(|t| match named {
            Some((user, name)) => t.username == user && t.name == name,
            None => t.id == reference,
        }),
    }
}

/// The event a test dispatch sends: `TEST`, about a sample run of the webhook's Actor (or
/// task), so that templates using `resource` and `eventData` render as they would for a run.
pub(crate) fn test_event(state: &mut State, index: usize) -> Event {
    let webhook = &state.webhooks[index];
    let task = webhook.condition.actor_task_id.clone();
    let actor_id = match &task {
        Some(task) => state
            .tasks
            .iter()
            .find(|t| &t.id == task)
            .map(|t| t.act_id.clone()),
        None => webhook.condition.actor_id.clone(),
    }
    .unwrap_or_default();
    let user_id = webhook.user_id.clone();
    let run_id = state.fresh_id();
    let now = state.tick();
    let ids = EventIds::Run(RunIds::derived(
        &run_id,
        &actor_id,
        task.as_deref(),
        &user_id,
    ));
    let mut event = event::event_for(EventType::RunSucceeded, &ids, &now, &user_id);
    "TEST".clone_into(&mut event.event_type);
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_count_as_loopback() {
        let loopback = |u: &str| is_loopback(&reqwest::Url::parse(u).unwrap());
        assert!(loopback("http://127.0.0.1:8080/hook"));
        assert!(loopback("http://127.3.4.5/hook"));
        assert!(loopback("http://[::1]:9/hook"));
        assert!(loopback("http://localhost/hook"));
        assert!(loopback("http://LOCALHOST/hook"));
        assert!(!loopback("https://hooks.example.com/hook"));
        assert!(!loopback("http://10.0.0.1/hook"));
        assert!(!loopback("http://127.0.0.1.nip.io/hook"));
        assert!(!loopback("http://localhost.example.com/hook"));
    }
}
