//! Carries out a plan through the [`Platform`] trait: deletes first (so the 100-webhook cap is
//! never crossed on the way), then creates, updates and adoptions, each phase concurrently
//! within `parallelism` and, for creates, within the platform's per-resource rate limit.
//!
//! One failed operation never stops the independent others; every operation ends up in the
//! [`ApplyReport`] with its outcome. A stop request (Ctrl-C) lets operations in flight finish
//! and starts no new ones.
//!
//! Creates carry an idempotency key derived from what is created (owner, key and the
//! normalized content, [`crate::plan::identity`]) and nothing else, so a create retried after a
//! timeout, a whole apply re-run after a crash, and two applies of the same manifests that
//! overlap all make one webhook. Such a key may have belonged to a webhook deleted since, and
//! the platform may answer with that webhook: every create is read back, and when the webhook
//! it names is gone (or is not this key's), the create is sent again with a fresh key derived
//! from the old one and the stale ID (the same in every run, so overlapping runs still agree).
//! When that key is stale too (the same webhook was deleted and made again more than once), the
//! last attempt uses a random key: overlapping runs may then both create, and the next plan
//! removes the identical duplicate.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::plan::{Action, Change, Class, Plan, Request, Target, classify, identity};
use crate::platform::{Platform, PlatformError, WebhookCreate};

/// The default number of operations in flight.
pub const DEFAULT_PARALLELISM: usize = 10;

/// Creates per second at most: all creates go to one resource (`POST /v2/webhooks`), and the
/// platform allows 60 requests per second per resource.
pub const CREATES_PER_SECOND: u32 = 50;

/// How an operation ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Status {
    /// Done.
    Applied,
    /// The platform refused or could not be reached.
    Failed {
        /// The HTTP status, when the platform answered.
        http_status: Option<u16>,
        /// The platform's `error.type`, or `transport`.
        error_type: String,
        /// What went wrong.
        message: String,
    },
    /// Never started: the run was stopped first.
    NotStarted,
}

/// One operation's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The webhook's key.
    pub key: String,
    /// For one webhook of a pattern: the target's name (its address is
    /// `webhook.<key>["<target>"]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// What was to happen.
    pub action: Action,
    /// Where the webhook is attached.
    pub target: Target,
    /// The webhook's ID (for creates, the new one, when it worked).
    pub webhook_id: Option<String>,
    /// How it ended.
    #[serde(flatten)]
    pub status: Status,
    /// What the user should know about an operation that was applied all the same (a create
    /// the platform confirmed but that could not be read back).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Every operation of an apply, in plan order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    /// The outcomes.
    pub operations: Vec<Outcome>,
    /// Whether a stop request ended the run early.
    pub interrupted: bool,
}

/// Counts of an apply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Unmanaged webhooks taken over (and updated to match).
    pub adopted: usize,
    /// Webhooks created.
    pub added: usize,
    /// Owned webhooks updated.
    pub changed: usize,
    /// Webhooks deleted.
    pub destroyed: usize,
    /// Operations that failed.
    pub failed: usize,
    /// Operations never started.
    pub not_started: usize,
}

impl ApplyReport {
    /// Counts by outcome.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for o in &self.operations {
            match (&o.status, o.action) {
                (Status::Applied, Action::Create) => c.added += 1,
                (Status::Applied, Action::Update) => c.changed += 1,
                (Status::Applied, Action::Adopt) => c.adopted += 1,
                (Status::Applied, Action::Delete) => c.destroyed += 1,
                (Status::Failed { .. }, _) => c.failed += 1,
                (Status::NotStarted, _) => c.not_started += 1,
            }
        }
        c
    }

    /// Whether every operation was applied.
    pub fn is_complete(&self) -> bool {
        self.operations.iter().all(|o| o.status == Status::Applied)
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Operations in flight at once (at least 1).
    pub parallelism: usize,
    /// Creates started per second at most.
    pub creates_per_second: u32,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: DEFAULT_PARALLELISM,
            creates_per_second: CREATES_PER_SECOND,
        }
    }
}

/// Creates sent for one webhook at most: the first with the content's key, the second with
/// [`next_idempotency_key`], the last with [`unique_idempotency_key`], each after the platform
/// answered with a webhook that does not exist.
pub const CREATE_ATTEMPTS: usize = 3;

/// The idempotency key of the create of `body` under `owner` and `key`: the same webhook
/// always gets the same key, whatever else is live; different content gets another. Sent to
/// the platform only, never shown.
pub fn idempotency_key(owner: &str, key: &str, body: &WebhookCreate) -> String {
    digest(&[
        "apify-webhooks/create/v2",
        owner,
        key,
        &identity::of_create(body).to_string(),
    ])
}

/// The key to try after a create with `previous` was answered with webhook `stale_id`, which
/// no longer exists: every run that meets the same stale webhook derives the same key.
pub fn next_idempotency_key(previous: &str, stale_id: &str) -> String {
    digest(&["apify-webhooks/create/v2/after-stale", previous, stale_id])
}

/// A key no create has used: the last resort when the derived keys are all stale.
pub fn unique_idempotency_key(previous: &str, stale_id: &str) -> String {
    let nonce = format!("{:032x}", fastrand::u128(..));
    digest(&[
        "apify-webhooks/create/v2/unique",
        previous,
        stale_id,
        &nonce,
    ])
}

fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    format!("apify-webhooks-{}", &hex::encode(h.finalize())[..40])
}

/// Spaces out the starts of creates.
struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    fn new(per_second: u32) -> Self {
        Pacer {
            interval: Duration::from_secs(1) / per_second.max(1),
            next: Mutex::new(None),
        }
    }

    async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + self.interval);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

/// Changes with their position in the plan.
type Indexed<'p> = Vec<(usize, &'p Change)>;

/// Applies `plan`. `stop` asks the run to start nothing new; `on_done` sees every outcome as it
/// happens (for progress). Never fails as a whole: failures are outcomes.
pub async fn apply<P: Platform>(
    platform: &P,
    plan: &Plan,
    options: &ApplyOptions,
    stop: &AtomicBool,
    mut on_done: impl FnMut(&Outcome),
) -> ApplyReport {
    let pacer = Arc::new(Pacer::new(options.creates_per_second));
    let parallelism = options.parallelism.max(1);
    let mut outcomes: Vec<Option<Outcome>> = vec![None; plan.changes.len()];
    let (deletes, rest): (Indexed<'_>, Indexed<'_>) = plan
        .changes
        .iter()
        .enumerate()
        .partition(|(_, c)| c.action == Action::Delete);
    for phase in [deletes, rest] {
        let pacer = &pacer;
        let mut done = stream::iter(phase)
            .map(|(i, change)| async move {
                if stop.load(Ordering::SeqCst) {
                    return (i, outcome(change, None, Status::NotStarted));
                }
                (i, run_one(platform, plan, change, pacer).await)
            })
            .buffer_unordered(parallelism);
        while let Some((i, o)) = done.next().await {
            on_done(&o);
            outcomes[i] = Some(o);
        }
    }
    ApplyReport {
        operations: outcomes.into_iter().flatten().collect(),
        interrupted: stop.load(Ordering::SeqCst),
    }
}

fn outcome(change: &Change, webhook_id: Option<String>, status: Status) -> Outcome {
    Outcome {
        key: change.key.clone(),
        instance: change.instance.clone(),
        action: change.action,
        target: change.target.clone(),
        webhook_id: webhook_id.or_else(|| change.webhook_id.clone()),
        status,
        note: None,
    }
}

/// A create the platform confirmed: the new webhook's ID, and a note when it could not be
/// read back to check it.
struct Created {
    id: String,
    note: Option<String>,
}

fn failed(e: &PlatformError) -> Status {
    Status::Failed {
        http_status: e.status(),
        error_type: e.kind().to_owned(),
        message: failure_message(e),
    }
}

/// The platform's own message where there is one, the whole error otherwise; for a request
/// given up before the timeout, the last answer's and why it was not tried again.
fn failure_message(e: &PlatformError) -> String {
    match e {
        PlatformError::RetryPastTimeout { last, .. } => format!(
            "{}; {}",
            failure_message(last).trim_end_matches('.'),
            e.gave_up_because().unwrap_or_default()
        ),
        PlatformError::Api { message, .. }
        | PlatformError::Transport { message, .. }
        | PlatformError::Decode { message, .. }
        | PlatformError::Config(message) => message.clone(),
        other => other.to_string(),
    }
}

async fn run_one<P: Platform>(
    platform: &P,
    plan: &Plan,
    change: &Change,
    pacer: &Pacer,
) -> Outcome {
    let id = change.webhook_id.as_deref().unwrap_or_default();
    let result = match &change.request {
        Request::Create(body) => create(platform, &plan.owner, &change.key, body, pacer)
            .await
            .map(Some),
        Request::Update(body) => platform
            .update_webhook(id, body)
            .await
            .map(|_| None)
            .map_err(|e| failed(&e)),
        Request::Delete => platform
            .delete_webhook(id)
            .await
            .map(|()| None)
            .map_err(|e| failed(&e)),
    };
    match result {
        Ok(Some(Created { id, note })) => Outcome {
            note,
            ..outcome(change, Some(id), Status::Applied)
        },
        Ok(None) => outcome(change, None, Status::Applied),
        Err(status) => {
            if let Status::Failed { message, .. } = &status {
                // The progress line shows the failure; this is for -v logs only.
                tracing::info!(
                    "{} of `{}` failed: {message}",
                    action_word(change.action),
                    change.key
                );
            }
            outcome(change, None, status)
        }
    }
}

/// Creates the webhook of `key` and returns its ID, once a read shows that the webhook the
/// platform answered with exists and carries this owner's marker for `key`. When that read
/// fails (rate limiting, the run's timeout), the create still happened: it is reported as
/// made, with a note, so that the report counts what the account holds.
async fn create<P: Platform>(
    platform: &P,
    owner: &str,
    key: &str,
    body: &WebhookCreate,
    pacer: &Pacer,
) -> Result<Created, Status> {
    let mut body = body.clone();
    let mut idempotency = idempotency_key(owner, key, &body);
    let mut stale = Vec::new();
    for attempt in 0..CREATE_ATTEMPTS {
        body.idempotency_key = Some(idempotency.clone());
        pacer.wait().await;
        let created = platform
            .create_webhook(&body)
            .await
            .map_err(|e| failed(&e))?;
        let found = match platform.get_webhook(&created.id).await {
            Ok(found) => found,
            Err(e) => {
                let note = format!(
                    "created, but not read back to check it ({}); the next plan shows whether it is right",
                    failure_message(&e)
                );
                tracing::info!("webhook `{key}` ({}): {note}", created.id);
                return Ok(Created {
                    id: created.id,
                    note: Some(note),
                });
            }
        };
        if found
            .as_ref()
            .is_some_and(|w| matches!(classify(w, owner), Class::Owned { key: k } if k == key))
        {
            return Ok(Created {
                id: created.id,
                note: None,
            });
        }
        tracing::warn!(
            "the create of `{key}` was answered with webhook {}, which {}; creating it again",
            created.id,
            if found.is_some() {
                "is not this key's"
            } else {
                "no longer exists"
            }
        );
        idempotency = if attempt == 0 {
            next_idempotency_key(&idempotency, &created.id)
        } else {
            unique_idempotency_key(&idempotency, &created.id)
        };
        stale.push(created.id);
    }
    Err(Status::Failed {
        http_status: None,
        error_type: "stale-idempotency-key".to_owned(),
        message: format!(
            "the platform answered every create with a webhook that does not exist ({})",
            stale.join(", ")
        ),
    })
}

fn action_word(action: Action) -> &'static str {
    match action {
        Action::Adopt => "adoption",
        Action::Create => "create",
        Action::Update => "update",
        Action::Delete => "delete",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::{actor, desired};
    use crate::plan::{LiveState, PlanOptions, plan};

    #[test]
    fn idempotency_keys_follow_what_is_created_not_what_else_is_live() {
        let d = desired("k", actor("A1"));
        let body_of = |p: &Plan| match &p.changes[0].request {
            Request::Create(body) => body.clone(),
            other => panic!("{other:?}"),
        };
        let alone = plan(
            std::slice::from_ref(&d),
            &LiveState::default(),
            "me",
            PlanOptions::default(),
        );
        // Another run planned after other webhooks appeared: same webhook, same key.
        let crowded = plan(
            &[d.clone(), desired("k2", actor("A1"))],
            &LiveState {
                webhooks: vec![crate::plan::tests::live_of(
                    "W9",
                    &desired("k2", actor("A1")),
                    "me",
                )],
                ..LiveState::default()
            },
            "me",
            PlanOptions::default(),
        );
        let key = idempotency_key("me", "k", &body_of(&alone));
        assert_eq!(key, idempotency_key("me", "k", &body_of(&crowded)));
        assert!(key.starts_with("apify-webhooks-"));
        assert_ne!(key, idempotency_key("me", "k2", &body_of(&alone)));
        assert_ne!(key, idempotency_key("you", "k", &body_of(&alone)));
        let mut other = body_of(&alone);
        other.request_url.push_str("/other");
        assert_ne!(key, idempotency_key("me", "k", &other));
        // After a stale answer: a new key, the same in every run.
        let next = next_idempotency_key(&key, "W1");
        assert_ne!(next, key);
        assert_eq!(next, next_idempotency_key(&key, "W1"));
        assert_ne!(next, next_idempotency_key(&key, "W2"));
    }

    /// A platform whose creates always answer with a webhook that does not exist (a key that
    /// keeps replaying deleted webhooks), recording the keys it was sent.
    #[derive(Default)]
    struct Haunted {
        keys: std::sync::Mutex<Vec<String>>,
    }

    impl Platform for Haunted {
        async fn current_user(&self) -> Result<crate::platform::User, PlatformError> {
            Err(PlatformError::unsupported("current_user"))
        }
        async fn list_webhooks(&self) -> Result<Vec<crate::platform::Webhook>, PlatformError> {
            Ok(Vec::new())
        }
        async fn get_webhook(
            &self,
            _: &str,
        ) -> Result<Option<crate::platform::Webhook>, PlatformError> {
            Ok(None)
        }
        async fn create_webhook(
            &self,
            body: &WebhookCreate,
        ) -> Result<crate::platform::Webhook, PlatformError> {
            let mut keys = self.keys.lock().unwrap();
            keys.push(body.idempotency_key.clone().unwrap());
            Ok(crate::platform::Webhook {
                id: format!("Gone{}", keys.len()),
                ..crate::platform::Webhook::default()
            })
        }
        async fn update_webhook(
            &self,
            _: &str,
            _: &crate::platform::WebhookUpdate,
        ) -> Result<crate::platform::Webhook, PlatformError> {
            Err(PlatformError::unsupported("update_webhook"))
        }
        async fn delete_webhook(&self, _: &str) -> Result<(), PlatformError> {
            Err(PlatformError::unsupported("delete_webhook"))
        }
        async fn get_actor(
            &self,
            _: &str,
        ) -> Result<Option<crate::platform::Actor>, PlatformError> {
            Ok(None)
        }
        async fn get_task(&self, _: &str) -> Result<Option<crate::platform::Task>, PlatformError> {
            Ok(None)
        }
    }

    #[tokio::test]
    async fn a_create_answered_only_with_missing_webhooks_fails_after_fresh_keys() {
        let p = plan(
            &[desired("k", actor("A1"))],
            &LiveState::default(),
            "me",
            PlanOptions::default(),
        );
        let platform = Haunted::default();
        let report = apply(
            &platform,
            &p,
            &ApplyOptions::default(),
            &AtomicBool::new(false),
            |_| {},
        )
        .await;
        let keys = platform.keys.lock().unwrap().clone();
        assert_eq!(keys.len(), CREATE_ATTEMPTS);
        let Request::Create(body) = &p.changes[0].request else {
            panic!()
        };
        let first = idempotency_key("me", "k", body);
        let second = next_idempotency_key(&first, "Gone1");
        assert_eq!(keys[..2], [first.clone(), second.clone()]);
        // The last one is random: no run has used it.
        assert!(keys[2].starts_with("apify-webhooks-") && keys[2] != first && keys[2] != second);
        assert_ne!(keys[2], unique_idempotency_key(&second, "Gone2"));
        match &report.operations[0].status {
            Status::Failed {
                error_type,
                message,
                ..
            } => {
                assert_eq!(error_type, "stale-idempotency-key");
                assert!(message.contains("Gone1, Gone2, Gone3"), "{message}");
                assert!(!keys.iter().any(|k| message.contains(k.as_str())));
            }
            other => panic!("{other:?}"),
        }
    }

    /// A platform that creates every webhook but answers every read with a 429 it asks to wait
    /// out for longer than the run has left.
    struct RateLimitedReads;

    fn rate_limited() -> PlatformError {
        PlatformError::RetryPastTimeout {
            last: Box::new(PlatformError::Api {
                method: "GET".into(),
                path: "/v2/webhooks/W1".into(),
                status: 429,
                error_type: "rate-limit-exceeded".into(),
                message: "Too many requests.".into(),
            }),
            attempts: 1,
            elapsed: Duration::from_millis(3),
            wait: Duration::from_secs(30),
            retry_after: true,
            left: Duration::from_secs(19),
            timeout: Duration::from_secs(20),
        }
    }

    impl Platform for RateLimitedReads {
        async fn current_user(&self) -> Result<crate::platform::User, PlatformError> {
            Err(PlatformError::unsupported("current_user"))
        }
        async fn list_webhooks(&self) -> Result<Vec<crate::platform::Webhook>, PlatformError> {
            Err(rate_limited())
        }
        async fn get_webhook(
            &self,
            _: &str,
        ) -> Result<Option<crate::platform::Webhook>, PlatformError> {
            Err(rate_limited())
        }
        async fn create_webhook(
            &self,
            _: &WebhookCreate,
        ) -> Result<crate::platform::Webhook, PlatformError> {
            Ok(crate::platform::Webhook {
                id: "W1".into(),
                ..crate::platform::Webhook::default()
            })
        }
        async fn update_webhook(
            &self,
            _: &str,
            _: &crate::platform::WebhookUpdate,
        ) -> Result<crate::platform::Webhook, PlatformError> {
            Err(rate_limited())
        }
        async fn delete_webhook(&self, _: &str) -> Result<(), PlatformError> {
            Err(PlatformError::unsupported("delete_webhook"))
        }
        async fn get_actor(
            &self,
            _: &str,
        ) -> Result<Option<crate::platform::Actor>, PlatformError> {
            Ok(None)
        }
        async fn get_task(&self, _: &str) -> Result<Option<crate::platform::Task>, PlatformError> {
            Ok(None)
        }
    }

    #[tokio::test]
    async fn a_create_that_cannot_be_read_back_counts_as_made_with_a_note() {
        let p = plan(
            &[desired("k", actor("A1"))],
            &LiveState::default(),
            "me",
            PlanOptions::default(),
        );
        let report = apply(
            &RateLimitedReads,
            &p,
            &ApplyOptions::default(),
            &AtomicBool::new(false),
            |_| {},
        )
        .await;
        let created = &report.operations[0];
        assert_eq!(created.status, Status::Applied);
        assert_eq!(created.webhook_id.as_deref(), Some("W1"));
        assert_eq!(
            created.note.as_deref(),
            Some(
                "created, but not read back to check it (Too many requests; not retried: the \
                 platform asked to wait 30s (Retry-After), more than the 19s left of --timeout \
                 20s (1 attempt in 3ms)); the next plan shows whether it is right"
            )
        );
        assert_eq!(report.counts().added, 1);
    }

    #[test]
    fn a_request_given_up_before_the_timeout_fails_with_the_last_answer_and_the_reason() {
        assert_eq!(
            failed(&rate_limited()),
            Status::Failed {
                http_status: Some(429),
                error_type: "rate-limit-exceeded".into(),
                message: "Too many requests; not retried: the platform asked to wait 30s \
                          (Retry-After), more than the 19s left of --timeout 20s (1 attempt in 3ms)"
                    .into(),
            }
        );
    }

    #[test]
    fn counts_follow_outcomes() {
        let t = actor("A1");
        let o = |action, status| Outcome {
            key: "k".into(),
            instance: None,
            action,
            target: t.clone(),
            webhook_id: None,
            status,
            note: None,
        };
        let report = ApplyReport {
            operations: vec![
                o(Action::Create, Status::Applied),
                o(Action::Adopt, Status::Applied),
                o(Action::Delete, Status::NotStarted),
                o(
                    Action::Update,
                    Status::Failed {
                        http_status: Some(500),
                        error_type: "x".into(),
                        message: "y".into(),
                    },
                ),
            ],
            interrupted: true,
        };
        assert_eq!(
            report.counts(),
            Counts {
                adopted: 1,
                added: 1,
                changed: 0,
                destroyed: 0,
                failed: 1,
                not_started: 1
            }
        );
        assert!(!report.is_complete());
    }
}
