//! The wire types of Apify API v2 that the tool reads and writes, decoded leniently: only `id` is
//! required, every other field is optional, and unknown fields are kept in `extra` so nothing the
//! platform adds later is lost or fatal.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::webhook::TargetKind;

/// A webhook as the API returns it: the full object from `GET /v2/webhooks/{id}`, or the short
/// form from a list (which has no templates and may lack `description`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// The webhook ID (17 alphanumeric characters on the real platform).
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_ad_hoc: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_interpolate_strings: Option<bool>,
    /// Event type names as sent by the platform (kept as strings: the platform may add types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_ssl_errors: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub do_not_retry: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_apify_integration: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_type: Option<String>,
    /// Everything else the platform sent (`lastDispatch`, `stats`, `isEnabled`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The scope of a webhook: exactly one of the three is set on webhooks this tool manages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_task_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_run_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Condition {
    /// The condition of a webhook of the Actor or task `id`.
    pub fn for_target(kind: TargetKind, id: &str) -> Self {
        match kind {
            TargetKind::Actor => Condition {
                actor_id: Some(id.to_owned()),
                ..Condition::default()
            },
            TargetKind::Task => Condition {
                actor_task_id: Some(id.to_owned()),
                ..Condition::default()
            },
        }
    }

    /// The Actor or task the condition names (the task when it names both), if any.
    pub fn target(&self) -> Option<(TargetKind, &str)> {
        match (self.actor_task_id.as_deref(), self.actor_id.as_deref()) {
            (Some(task), _) => Some((TargetKind::Task, task)),
            (None, Some(actor)) => Some((TargetKind::Actor, actor)),
            (None, None) => None,
        }
    }
}

impl Webhook {
    /// Whether the platform delivers for the webhook: its `isEnabled`, true when absent.
    pub fn is_enabled(&self) -> bool {
        self.extra
            .get("isEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// The webhook's condition, or an empty one when it has none.
    pub fn condition(&self) -> &Condition {
        static NONE: LazyLock<Condition> = LazyLock::new(Condition::default);
        self.condition.as_ref().unwrap_or(&NONE)
    }
}

/// The body of `POST /v2/webhooks`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookCreate {
    pub event_types: Vec<String>,
    pub condition: Condition,
    pub request_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_ssl_errors: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub do_not_retry: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_interpolate_strings: Option<bool>,
    /// Deduplicates creates: a repeated create with the same key returns the existing webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

/// The body of `PUT /v2/webhooks/{id}`, a partial update: only the fields that are `Some` are
/// sent. For the clearable fields, `Some(None)` sends `null`, which resets the field.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_template: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers_template: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_ssl_errors: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub do_not_retry: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_interpolate_strings: Option<bool>,
}

impl WebhookUpdate {
    /// Whether the update would send no field at all.
    pub fn is_empty(&self) -> bool {
        *self == WebhookUpdate::default()
    }
}

/// A webhook dispatch (`POST /v2/webhooks/{id}/test`, `GET /v2/webhooks/{id}/dispatches`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDispatch {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An Actor (`GET /v2/actors/{id}` or an item of `GET /v2/actors`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An Actor task (`GET /v2/actor-tasks/{id}` or an item of `GET /v2/actor-tasks`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The account behind the token (`GET /v2/users/me`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
