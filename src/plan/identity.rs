//! What a webhook *is*, as a value: its target, events, URL, templates, description (with the
//! ownership marker) and flags, normalized the way the plan compares them (event types as a
//! set, empty and absent alike, JSON templates with their keys sorted). Two things use it:
//! the plan, to tell identical owned duplicates of a key (removable) from different ones (a
//! conflict), and apply, to derive a create's idempotency key from what is created, so that
//! two runs creating the same webhook send the same key.

use serde_json::{Map, Value, json};

use super::normalize;
use crate::platform::{Condition, Webhook, WebhookCreate};

/// The normalized content of a live webhook. A disabled one (`isEnabled: false`, which only the
/// platform or the Console sets) has `"isEnabled": false` added, so it differs from an enabled
/// copy; an enabled one's content equals that of the create that made it.
pub fn of_live(w: &Webhook) -> Value {
    let mut content = content(
        w.condition(),
        w.event_types.as_deref().unwrap_or_default(),
        w.request_url.as_deref(),
        w.payload_template.as_deref(),
        w.headers_template.as_deref(),
        w.description.as_deref(),
        [
            w.ignore_ssl_errors,
            w.do_not_retry,
            w.should_interpolate_strings,
        ],
    );
    if !w.is_enabled() {
        content["isEnabled"] = Value::Bool(false);
    }
    content
}

/// The normalized content of the webhook a create makes (its idempotency key left out).
pub fn of_create(b: &WebhookCreate) -> Value {
    content(
        &b.condition,
        &b.event_types,
        Some(&b.request_url),
        b.payload_template.as_deref(),
        b.headers_template.as_deref(),
        b.description.as_deref(),
        [
            b.ignore_ssl_errors,
            b.do_not_retry,
            b.should_interpolate_strings,
        ],
    )
}

fn content(
    condition: &Condition,
    events: &[String],
    url: Option<&str>,
    payload: Option<&str>,
    headers: Option<&str>,
    description: Option<&str>,
    flags: [Option<bool>; 3],
) -> Value {
    let [ignore_ssl, no_retry, interpolate] = flags.map(|f| f.unwrap_or(false));
    json!({
        "actorId": normalize::text(condition.actor_id.as_deref()),
        "actorTaskId": normalize::text(condition.actor_task_id.as_deref()),
        "eventTypes": normalize::event_set(events),
        "requestUrl": normalize::text(url),
        "payloadTemplate": normalize::text(payload).map(template),
        "headersTemplate": normalize::text(headers).map(template),
        "description": normalize::text(description),
        "ignoreSslErrors": ignore_ssl,
        "doNotRetry": no_retry,
        "shouldInterpolateStrings": interpolate,
    })
}

/// A template as JSON with sorted keys when it parses (placeholders included), else its text.
fn template(text: &str) -> Value {
    match normalize::as_json(text) {
        Some(v) => json!({ "json": sorted(v) }),
        None => json!({ "text": text }),
    }
}

fn sorted(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> WebhookCreate {
        WebhookCreate {
            event_types: vec!["ACTOR.RUN.FAILED".into(), "ACTOR.RUN.ABORTED".into()],
            condition: Condition {
                actor_id: Some("A1".into()),
                ..Condition::default()
            },
            request_url: "https://x.example/h".into(),
            payload_template: Some("{\"b\": {{resource}}, \"a\": 1}".into()),
            description: Some("[apify-webhooks owner=me key=k]".into()),
            ignore_ssl_errors: Some(false),
            ..WebhookCreate::default()
        }
    }

    #[test]
    fn a_live_webhook_made_by_a_create_has_the_create_s_content() {
        let b = body();
        let live = Webhook {
            id: "W1".into(),
            event_types: Some(vec!["ACTOR.RUN.ABORTED".into(), "ACTOR.RUN.FAILED".into()]),
            condition: Some(b.condition.clone()),
            request_url: Some(b.request_url.clone()),
            // Same JSON, other formatting and key order.
            payload_template: Some("{\"a\":1,\"b\":{{resource}}}".into()),
            headers_template: Some(String::new()),
            description: b.description.clone(),
            ..Webhook::default()
        };
        assert_eq!(of_live(&live), of_create(&b));
        let mut other = live.clone();
        other.request_url = Some("https://x.example/other".into());
        assert_ne!(of_live(&other), of_create(&b));
        let mut other = live.clone();
        other.do_not_retry = Some(true);
        assert_ne!(of_live(&other), of_create(&b));
        // Disabled on the platform: another webhook than the enabled one the create made.
        let mut disabled = live.clone();
        disabled
            .extra
            .insert("isEnabled".into(), Value::Bool(false));
        assert_ne!(of_live(&disabled), of_live(&live));
        let mut enabled = live;
        enabled.extra.insert("isEnabled".into(), Value::Bool(true));
        assert_eq!(of_live(&enabled), of_create(&b));
    }
}
