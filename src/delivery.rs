//! Will it deliver? The library side of `status` and `test`, over the [`Platform`] trait: find
//! the owner's managed webhooks (by their ownership marker, as `plan` does), read their
//! dispatches concurrently and judge their health, or fire the platform's test dispatch and
//! wait, bounded, for its outcome. Prints nothing: progress goes to a callback, results are
//! values the renderer shows. Receiver answers are cut to an excerpt and scrubbed of the
//! manifests' secrets and of API tokens before they leave this module.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::Value;

use crate::error::Error;
use crate::plan::{self, Class, Selector};
use crate::platform::{Platform, PlatformError, Webhook, WebhookDispatch};
use crate::refresh::{self, READ_CONCURRENCY};

/// How many of the most recent finished dispatches the failure rate is computed over.
pub const RECENT_DISPATCHES: usize = 20;

/// The longest receiver answer shown, in characters.
pub const BODY_EXCERPT_CHARS: usize = 300;

/// What a scrubbed secret is replaced with.
const SCRUBBED: &str = "(sensitive value)";

/// A dispatch's status as the platform names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DispatchStatus {
    /// Still being delivered (or retried).
    Active,
    /// Delivered: the receiver answered 2xx.
    Succeeded,
    /// Every call failed.
    Failed,
    /// A status this tool does not know.
    Unknown,
}

impl DispatchStatus {
    fn parse(status: Option<&str>) -> Self {
        match status {
            Some("ACTIVE") => DispatchStatus::Active,
            Some("SUCCEEDED") => DispatchStatus::Succeeded,
            Some("FAILED") => DispatchStatus::Failed,
            _ => DispatchStatus::Unknown,
        }
    }

    /// The platform's name of the status.
    pub fn as_str(self) -> &'static str {
        match self {
            DispatchStatus::Active => "ACTIVE",
            DispatchStatus::Succeeded => "SUCCEEDED",
            DispatchStatus::Failed => "FAILED",
            DispatchStatus::Unknown => "UNKNOWN",
        }
    }
}

/// How a managed webhook is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// The last finished dispatch was delivered.
    Healthy,
    /// The last finished dispatch failed.
    Failing,
    /// Dispatches exist, but none has finished yet.
    Pending,
    /// No dispatch yet.
    Idle,
    /// The platform has disabled the webhook (`isEnabled: false`): it delivers nothing,
    /// whatever its past dispatches say.
    Disabled,
}

/// The last dispatch of a webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastDispatch {
    /// The dispatch ID.
    pub id: String,
    /// Its status.
    pub status: DispatchStatus,
    /// The event it delivered (`ACTOR.RUN.FAILED`, `TEST`, ...).
    pub event_type: Option<String>,
    /// When it was created.
    pub created_at: Option<String>,
    /// The HTTP status of its last call, when the receiver answered.
    pub response_status: Option<u16>,
    /// The error of its last call, scrubbed.
    pub error_message: Option<String>,
}

/// The delivery health of one managed webhook.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookStatus {
    /// The manifest key (from the ownership marker).
    pub key: String,
    /// The webhook ID.
    pub webhook_id: String,
    /// The Actor or task, as `username/name` when it could be named, else its ID.
    pub target: Option<String>,
    /// The Actor's or task's ID.
    #[serde(skip)]
    pub target_id: Option<String>,
    /// The event types it is for.
    pub event_types: Vec<String>,
    /// The most recent dispatch.
    pub last_dispatch: Option<LastDispatch>,
    /// Every dispatch so far (`stats.totalDispatches`, or the dispatches listed).
    pub total_dispatches: u64,
    /// Finished dispatches among the most recent [`RECENT_DISPATCHES`].
    pub recent_finished: usize,
    /// Failed ones among them.
    pub recent_failed: usize,
    /// The verdict.
    pub health: Health,
}

impl WebhookStatus {
    /// The share of recent finished dispatches that failed, 0 to 1; `None` with none finished.
    pub fn failure_rate(&self) -> Option<f64> {
        (self.recent_finished > 0).then(|| {
            #[allow(clippy::cast_precision_loss, reason = "counts up to RECENT_DISPATCHES")]
            let rate = self.recent_failed as f64 / self.recent_finished as f64;
            rate
        })
    }
}

/// The delivery health of every managed webhook of an owner.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// The owner.
    pub owner: String,
    /// One entry per managed webhook, by key.
    pub webhooks: Vec<WebhookStatus>,
    /// Declared keys with no managed webhook on the platform (not applied yet).
    pub not_applied: Vec<String>,
}

impl StatusReport {
    /// The report narrowed to the webhooks `selectors` name (all of them when there are none):
    /// a key, or one webhook of a pattern's key by its target's name or ID.
    #[must_use]
    pub fn select(mut self, selectors: &[Selector]) -> Self {
        if selectors.is_empty() {
            return self;
        }
        self.webhooks.retain(|w| {
            selectors.iter().any(|s| {
                s.is_key(&w.key)
                    && s.is_target(
                        w.target.as_deref(),
                        w.target_id.as_deref().unwrap_or_default(),
                    )
            })
        });
        self.not_applied
            .retain(|k| selectors.iter().any(|s| s.target.is_none() && s.is_key(k)));
        self
    }

    /// Whether any managed webhook is failing, or disabled (and so delivers nothing).
    pub fn any_failing(&self) -> bool {
        self.webhooks
            .iter()
            .any(|w| matches!(w.health, Health::Failing | Health::Disabled))
    }
}

/// The managed webhooks of `owner`: (key, full webhook), ordered by key.
async fn managed<P: Platform>(
    platform: &P,
    owner: &str,
) -> Result<Vec<(String, Webhook)>, PlatformError> {
    let webhooks = refresh::read_webhooks(platform, owner, &HashSet::new()).await?;
    let mut owned: Vec<(String, Webhook)> = webhooks
        .into_iter()
        .filter_map(|w| match plan::classify(&w, owner) {
            Class::Owned { key } => Some((key.to_owned(), w.clone())),
            _ => None,
        })
        .collect();
    owned.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
    Ok(owned)
}

/// Reads the delivery health of every managed webhook of `owner`: the webhooks, their targets'
/// names and every webhook's dispatches, concurrently. `declared` are the manifests' keys (to
/// name those not applied yet); `secrets` are scrubbed from error messages.
pub async fn status<P: Platform>(
    platform: &P,
    owner: &str,
    declared: &[String],
    secrets: &[String],
) -> Result<StatusReport, Error> {
    let owned = managed(platform, owner).await?;
    let webhooks: Vec<Webhook> = owned.iter().map(|(_, w)| w.clone()).collect();
    let known = HashMap::new();
    let (names, dispatches) = futures_util::join!(
        refresh::name_targets(platform, owner, &webhooks, &known),
        stream::iter(owned.iter())
            .map(|(_, w)| async move {
                let list = platform.list_dispatches(&w.id).await?;
                Ok::<_, PlatformError>((w.id.clone(), list))
            })
            .buffer_unordered(READ_CONCURRENCY)
            .try_collect::<HashMap<String, Vec<WebhookDispatch>>>()
    );
    let names = names.unwrap_or_default();
    let dispatches = dispatches?;
    let statuses = owned
        .iter()
        .map(|(key, w)| {
            let list = dispatches.get(&w.id).map_or(&[][..], Vec::as_slice);
            judge(key, w, list, &names, secrets)
        })
        .collect();
    let keys: HashSet<&str> = owned.iter().map(|(k, _)| k.as_str()).collect();
    let mut not_applied: Vec<String> = declared
        .iter()
        .filter(|k| !keys.contains(k.as_str()))
        .cloned()
        .collect();
    not_applied.sort();
    not_applied.dedup();
    Ok(StatusReport {
        owner: owner.to_owned(),
        webhooks: statuses,
        not_applied,
    })
}

/// The health of one webhook from its dispatches (in any order).
fn judge(
    key: &str,
    webhook: &Webhook,
    dispatches: &[WebhookDispatch],
    names: &HashMap<String, String>,
    secrets: &[String],
) -> WebhookStatus {
    let mut ordered: Vec<&WebhookDispatch> = dispatches.iter().collect();
    // Newest first; timestamps are ISO 8601 UTC, so text order is time order.
    ordered.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    let recent: Vec<DispatchStatus> = ordered
        .iter()
        .take(RECENT_DISPATCHES)
        .map(|d| DispatchStatus::parse(d.status.as_deref()))
        .filter(|s| matches!(s, DispatchStatus::Succeeded | DispatchStatus::Failed))
        .collect();
    let last_finished = ordered
        .iter()
        .map(|d| DispatchStatus::parse(d.status.as_deref()))
        .find(|s| matches!(s, DispatchStatus::Succeeded | DispatchStatus::Failed));
    let health = match (last_finished, ordered.is_empty()) {
        _ if !webhook.is_enabled() => Health::Disabled,
        (Some(DispatchStatus::Failed), _) => Health::Failing,
        (Some(_), _) => Health::Healthy,
        (None, true) => Health::Idle,
        (None, false) => Health::Pending,
    };
    let total = webhook
        .extra
        .get("stats")
        .and_then(|s| s.get("totalDispatches"))
        .and_then(Value::as_u64)
        .unwrap_or(0)
        .max(dispatches.len() as u64);
    let target = webhook
        .condition()
        .target()
        .map(|(_, id)| names.get(id).cloned().unwrap_or_else(|| id.to_owned()));
    WebhookStatus {
        key: key.to_owned(),
        webhook_id: webhook.id.clone(),
        target,
        target_id: webhook.condition().target().map(|(_, id)| id.to_owned()),
        event_types: webhook.event_types.clone().unwrap_or_default(),
        last_dispatch: ordered.first().map(|d| last_dispatch(d, secrets)),
        total_dispatches: total,
        recent_finished: recent.len(),
        recent_failed: recent
            .iter()
            .filter(|s| **s == DispatchStatus::Failed)
            .count(),
        health,
    }
}

fn last_dispatch(dispatch: &WebhookDispatch, secrets: &[String]) -> LastDispatch {
    let last_call = calls(dispatch).into_iter().last();
    LastDispatch {
        id: dispatch.id.clone(),
        status: DispatchStatus::parse(dispatch.status.as_deref()),
        event_type: dispatch.event_type.clone(),
        created_at: dispatch.created_at.clone(),
        response_status: last_call.as_ref().and_then(|c| c.response_status),
        error_message: last_call
            .and_then(|c| c.error_message)
            .map(|m| scrub(&m, secrets)),
    }
}

/// One call of a dispatch, as the platform records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Call {
    started_at: Option<String>,
    finished_at: Option<String>,
    response_status: Option<u16>,
    response_body: Option<String>,
    error_message: Option<String>,
}

fn calls(dispatch: &WebhookDispatch) -> Vec<Call> {
    let text = |c: &Value, k: &str| c.get(k).and_then(Value::as_str).map(str::to_owned);
    dispatch
        .extra
        .get("calls")
        .and_then(Value::as_array)
        .map(|calls| {
            calls
                .iter()
                .map(|c| Call {
                    started_at: text(c, "startedAt"),
                    finished_at: text(c, "finishedAt"),
                    response_status: c
                        .get("responseStatus")
                        .and_then(Value::as_u64)
                        .and_then(|s| u16::try_from(s).ok()),
                    response_body: text(c, "responseBody"),
                    error_message: text(c, "errorMessage"),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `text` with the secrets longer than 3 characters (as written and JSON-escaped: a receiver
/// may echo either) and API tokens masked.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let long: Vec<String> = secrets
        .iter()
        .filter(|s| s.chars().count() > 3)
        .cloned()
        .collect();
    crate::diagnostic::mask_secrets(text, &long, SCRUBBED)
}

/// The first [`BODY_EXCERPT_CHARS`] characters of `body`, scrubbed, with `…` when cut.
fn excerpt(body: &str, secrets: &[String]) -> String {
    let scrubbed = scrub(body, secrets);
    let mut chars = scrubbed.chars();
    let mut out: String = chars.by_ref().take(BODY_EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// How long to wait for a test dispatch's outcome, and how often to look.
#[derive(Debug, Clone, Copy)]
pub struct WaitOptions {
    /// The longest wait for one dispatch.
    pub timeout: Duration,
    /// The pause between two looks.
    pub poll: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(30),
            poll: Duration::from_millis(250),
        }
    }
}

/// What happened while a test was waiting, for progress lines.
#[derive(Debug, Clone)]
pub enum TestProgress<'a> {
    /// The test dispatch was created.
    Sent {
        /// The key.
        key: &'a str,
        /// The target of a pattern's webhook (as in its address), else `None`.
        instance: Option<&'a str>,
        /// The dispatch ID.
        dispatch_id: &'a str,
    },
    /// Still waiting, this long so far.
    Waiting {
        /// The key.
        key: &'a str,
        /// The target of a pattern's webhook (as in its address), else `None`.
        instance: Option<&'a str>,
        /// Time waited.
        elapsed: Duration,
    },
}

/// The outcome of a test dispatch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestOutcome {
    /// The key.
    pub key: String,
    /// For one webhook of a pattern, chosen by its target: the target's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The webhook ID.
    pub webhook_id: String,
    /// The test dispatch's ID.
    pub dispatch_id: String,
    /// Its status when the wait ended.
    pub status: DispatchStatus,
    /// Whether the wait ran out before the dispatch finished.
    pub timed_out: bool,
    /// How many calls the platform made.
    pub calls: usize,
    /// The receiver's HTTP status on the last call.
    pub response_status: Option<u16>,
    /// The start of the receiver's answer, scrubbed.
    pub response_body: Option<String>,
    /// The last call's duration (`finishedAt - startedAt`), in milliseconds.
    pub duration_ms: Option<u64>,
    /// Why the last call failed, scrubbed.
    pub error_message: Option<String>,
}

impl TestOutcome {
    /// Whether the receiver got it (2xx).
    pub fn delivered(&self) -> bool {
        self.status == DispatchStatus::Succeeded
    }
}

/// Fires the platform's test dispatch for each managed webhook of `owner` that one of
/// `selectors` names and waits (bounded by `wait`) for each outcome, concurrently. An unknown
/// key is a usage error naming the keys that exist; a key on several targets (a pattern's) needs
/// a target, and the error names the webhooks' addresses.
pub async fn test<P: Platform>(
    platform: &P,
    owner: &str,
    selectors: &[Selector],
    secrets: &[String],
    wait: WaitOptions,
    progress: &(dyn Fn(TestProgress<'_>) + Sync),
) -> Result<Vec<TestOutcome>, Error> {
    let owned = managed(platform, owner).await?;
    // Names of the targets, to select and show one webhook of a pattern.
    let keyed: Vec<Webhook> = owned
        .iter()
        .filter(|(k, _)| selectors.iter().any(|s| s.is_key(k)))
        .map(|(_, w)| w.clone())
        .collect();
    let names = refresh::name_targets(platform, owner, &keyed, &HashMap::new())
        .await
        .unwrap_or_default();
    let target_of = |w: &Webhook| w.condition().target().map(|(_, id)| id.to_owned());
    let name_of = |w: &Webhook| target_of(w).and_then(|id| names.get(&id).cloned());
    let mut chosen: Vec<(&str, &Webhook, Option<String>)> = Vec::new();
    for selector in selectors {
        let key = &selector.key;
        let with_key: Vec<&(String, Webhook)> = owned.iter().filter(|(k, _)| *k == *key).collect();
        let with_key = if with_key.is_empty() {
            owned.iter().filter(|(k, _)| selector.is_key(k)).collect()
        } else {
            with_key
        };
        if with_key.is_empty() {
            let known: Vec<&str> = owned.iter().map(|(k, _)| k.as_str()).collect();
            let hint = if known.is_empty() {
                format!(
                    "owner `{owner}` has no managed webhooks on the platform; run `apify-webhooks apply` first"
                )
            } else {
                let mut known = known;
                known.dedup();
                format!("the managed keys of `{owner}` are: {}", known.join(", "))
            };
            return Err(Error::Usage(format!(
                "no managed webhook has the key `{key}` ({hint})"
            )));
        }
        let matching: Vec<&(String, Webhook)> = with_key
            .into_iter()
            .filter(|(_, w)| {
                selector.is_target(name_of(w).as_deref(), &target_of(w).unwrap_or_default())
            })
            .collect();
        let address = |(k, w): &(String, Webhook)| {
            crate::plan::address(
                k,
                Some(&name_of(w).or_else(|| target_of(w)).unwrap_or_default()),
            )
        };
        let mut targets: Vec<Option<String>> = matching.iter().map(|(_, w)| target_of(w)).collect();
        targets.sort();
        targets.dedup();
        match (matching.first(), targets.len()) {
            (None, _) => {
                return Err(Error::Usage(format!(
                    "no managed webhook of the key `{key}` is on `{}`",
                    selector.target.as_deref().unwrap_or_default()
                )));
            }
            (Some(_), n) if n > 1 => {
                let mut all: Vec<String> = matching.iter().map(|m| address(m)).collect();
                all.sort();
                return Err(Error::Usage(format!(
                    "the key `{key}` names {n} webhooks (one per target of its pattern): pick one with --target or by its address: {}",
                    all.join(", ")
                )));
            }
            (Some((k, w)), _) => {
                let instance = selector
                    .target
                    .as_ref()
                    .map(|_| name_of(w).or_else(|| target_of(w)).unwrap_or_default());
                if !chosen.iter().any(|(_, c, _)| c.id == w.id) {
                    chosen.push((k.as_str(), w, instance));
                }
            }
        }
    }
    let outcomes: Vec<TestOutcome> = stream::iter(chosen)
        .map(|(key, w, instance)| async move {
            let mut outcome = test_one(
                platform,
                key,
                instance.as_deref(),
                w,
                secrets,
                wait,
                progress,
            )
            .await?;
            outcome.instance = instance;
            Ok::<_, Error>(outcome)
        })
        .buffered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(outcomes)
}

async fn test_one<P: Platform>(
    platform: &P,
    key: &str,
    instance: Option<&str>,
    webhook: &Webhook,
    secrets: &[String],
    wait: WaitOptions,
    progress: &(dyn Fn(TestProgress<'_>) + Sync),
) -> Result<TestOutcome, Error> {
    let sent = platform.test_webhook(&webhook.id).await?;
    progress(TestProgress::Sent {
        key,
        instance,
        dispatch_id: &sent.id,
    });
    let started = Instant::now();
    let mut last_report = Duration::ZERO;
    let mut current = sent.clone();
    loop {
        if DispatchStatus::parse(current.status.as_deref()) != DispatchStatus::Active {
            break;
        }
        let elapsed = started.elapsed();
        if elapsed >= wait.timeout {
            break;
        }
        if elapsed >= last_report + Duration::from_secs(5) {
            last_report = elapsed;
            progress(TestProgress::Waiting {
                key,
                instance,
                elapsed,
            });
        }
        tokio::time::sleep(wait.poll.min(wait.timeout.saturating_sub(elapsed))).await;
        let listed = platform.list_dispatches(&webhook.id).await?;
        if let Some(found) = listed.into_iter().find(|d| d.id == sent.id) {
            current = found;
        }
    }
    let status = DispatchStatus::parse(current.status.as_deref());
    let all = calls(&current);
    let last = all.last().cloned().unwrap_or_default();
    let duration_ms = match (&last.started_at, &last.finished_at) {
        (Some(a), Some(b)) => millis_between(a, b),
        _ => None,
    };
    Ok(TestOutcome {
        key: key.to_owned(),
        instance: None,
        webhook_id: webhook.id.clone(),
        dispatch_id: sent.id.clone(),
        status,
        timed_out: status == DispatchStatus::Active,
        calls: all.len(),
        response_status: last.response_status,
        response_body: last.response_body.as_deref().map(|b| excerpt(b, secrets)),
        duration_ms,
        error_message: last.error_message.as_deref().map(|m| scrub(m, secrets)),
    })
}

/// Milliseconds from `start` to `end` (RFC 3339 UTC timestamps); `None` when unreadable or
/// backwards.
fn millis_between(start: &str, end: &str) -> Option<u64> {
    let parse = |t: &str| humantime::parse_rfc3339_weak(t.trim_end_matches('Z')).ok();
    let elapsed = parse(end)?.duration_since(parse(start)?).ok()?;
    u64::try_from(elapsed.as_millis()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dispatch(id: &str, at: &str, status: &str) -> WebhookDispatch {
        WebhookDispatch {
            id: id.to_owned(),
            status: Some(status.to_owned()),
            created_at: Some(at.to_owned()),
            ..WebhookDispatch::default()
        }
    }

    fn webhook() -> Webhook {
        Webhook {
            id: "hook".to_owned(),
            ..Webhook::default()
        }
    }

    #[test]
    fn the_last_finished_dispatch_decides_the_health() {
        let names = HashMap::new();
        let failing = [
            dispatch("a", "2025-01-01T00:00:01.000Z", "SUCCEEDED"),
            dispatch("b", "2025-01-01T00:00:02.000Z", "FAILED"),
            dispatch("c", "2025-01-01T00:00:03.000Z", "ACTIVE"),
        ];
        let status = judge("k", &webhook(), &failing, &names, &[]);
        assert_eq!(status.health, Health::Failing);
        assert_eq!(status.last_dispatch.unwrap().id, "c");
        assert_eq!((status.recent_finished, status.recent_failed), (2, 1));
        assert_eq!(status.total_dispatches, 3);
        let recovered = [
            dispatch("a", "2025-01-01T00:00:01.000Z", "FAILED"),
            dispatch("b", "2025-01-01T00:00:02.000Z", "SUCCEEDED"),
        ];
        assert_eq!(
            judge("k", &webhook(), &recovered, &names, &[]).health,
            Health::Healthy
        );
        let pending = [dispatch("a", "2025-01-01T00:00:01.000Z", "ACTIVE")];
        assert_eq!(
            judge("k", &webhook(), &pending, &names, &[]).health,
            Health::Pending
        );
        assert_eq!(
            judge("k", &webhook(), &[], &names, &[]).health,
            Health::Idle
        );
    }

    #[test]
    fn answers_are_cut_and_scrubbed() {
        let secrets = vec!["s3cret-value".to_owned()];
        let body = format!("echo s3cret-value apify_api_abcdef {}", "x".repeat(400));
        let cut = excerpt(&body, &secrets);
        assert!(
            cut.starts_with("echo (sensitive value) apify_api_******"),
            "{cut}"
        );
        assert!(cut.ends_with('…'));
        assert_eq!(cut.chars().count(), BODY_EXCERPT_CHARS + 1);
    }

    #[test]
    fn a_secret_echoed_inside_json_is_scrubbed_too() {
        let secrets = vec!["pa\"ss\\word".to_owned()];
        let echoed = r#"{"got":"pa\"ss\\word"}"#;
        assert_eq!(scrub(echoed, &secrets), r#"{"got":"(sensitive value)"}"#);
    }

    #[test]
    fn call_durations_come_from_the_recorded_times() {
        assert_eq!(
            millis_between("2025-01-01T00:00:00.100Z", "2025-01-01T00:00:01.350Z"),
            Some(1250)
        );
        let mut d = dispatch("a", "2025-01-01T00:00:00.000Z", "FAILED");
        d.extra.insert(
            "calls".to_owned(),
            json!([{"startedAt": null, "responseStatus": 500, "responseBody": "no"}]),
        );
        assert_eq!(calls(&d)[0].response_status, Some(500));
    }
}
