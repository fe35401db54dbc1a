//! Carries out a plan through the [`Platform`] trait: deletes first (so the 100-webhook cap is
//! never crossed on the way), then creates, updates and adoptions, each phase concurrently
//! within `parallelism` and, for creates, within the platform's per-resource rate limit.
//!
//! One failed operation never stops the independent others; every operation ends up in the
//! [`ApplyReport`] with its outcome. Creates carry an idempotency key derived from the plan and
//! the key, so a create retried after a timeout, or a whole apply re-run after a crash, does not
//! make a duplicate. A stop request (Ctrl-C) lets operations in flight finish and starts no
//! new ones.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::plan::{Action, Change, Plan, Request, Target};
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
    /// What was to happen.
    pub action: Action,
    /// Where the webhook is attached.
    pub target: Target,
    /// The webhook's ID (for creates, the new one, when it worked).
    pub webhook_id: Option<String>,
    /// How it ended.
    #[serde(flatten)]
    pub status: Status,
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
    /// Webhooks created.
    pub added: usize,
    /// Webhooks updated or adopted.
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
                (Status::Applied, Action::Update | Action::Adopt) => c.changed += 1,
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

/// The idempotency key of a create: the same plan and key always give the same value, a
/// different plan (other live state or content) another.
pub fn idempotency_key(plan: &Plan, body: &WebhookCreate, key: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        "apify-webhooks/create/v1",
        &plan.owner,
        key,
        &plan.live_digest,
        &serde_json::to_string(body).unwrap_or_default(),
    ] {
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
        action: change.action,
        target: change.target.clone(),
        webhook_id: webhook_id.or_else(|| change.webhook_id.clone()),
        status,
    }
}

fn failed(e: &PlatformError) -> Status {
    let (error_type, message) = match e {
        PlatformError::Api {
            error_type,
            message,
            ..
        } => (error_type.clone(), message.clone()),
        PlatformError::Transport { message, .. } => ("transport".to_owned(), message.clone()),
        PlatformError::Decode { message, .. } => {
            ("unexpected-response".to_owned(), message.clone())
        }
        PlatformError::Config(message) => ("config".to_owned(), message.clone()),
        other => (other.kind().to_owned(), other.to_string()),
    };
    Status::Failed {
        http_status: e.status(),
        error_type,
        message,
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
        Request::Create(body) => {
            let mut body = body.clone();
            body.idempotency_key = Some(idempotency_key(plan, &body, &change.key));
            pacer.wait().await;
            platform.create_webhook(&body).await.map(|w| Some(w.id))
        }
        Request::Update(body) => platform.update_webhook(id, body).await.map(|_| None),
        Request::Delete => platform.delete_webhook(id).await.map(|()| None),
    };
    match result {
        Ok(new_id) => outcome(change, new_id, Status::Applied),
        Err(e) => {
            tracing::warn!(
                "{} of `{}` failed: {e}",
                action_word(change.action),
                change.key
            );
            outcome(change, None, failed(&e))
        }
    }
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
    fn idempotency_keys_are_stable_per_plan_and_differ_across_plans() {
        let p = plan(
            &[desired("k", actor("A1"))],
            &LiveState::default(),
            "me",
            PlanOptions::default(),
        );
        let Request::Create(body) = &p.changes[0].request else {
            panic!()
        };
        assert_eq!(
            idempotency_key(&p, body, "k"),
            idempotency_key(&p.clone(), body, "k")
        );
        assert_ne!(
            idempotency_key(&p, body, "k"),
            idempotency_key(&p, body, "k2")
        );
        let mut other = p.clone();
        other.live_digest = "different".into();
        assert_ne!(
            idempotency_key(&p, body, "k"),
            idempotency_key(&other, body, "k")
        );
        assert!(idempotency_key(&p, body, "k").starts_with("apify-webhooks-"));
    }

    #[test]
    fn counts_follow_outcomes() {
        let t = actor("A1");
        let o = |action, status| Outcome {
            key: "k".into(),
            action,
            target: t.clone(),
            webhook_id: None,
            status,
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
                added: 1,
                changed: 1,
                destroyed: 0,
                failed: 1,
                not_started: 1
            }
        );
        assert!(!report.is_complete());
    }
}
