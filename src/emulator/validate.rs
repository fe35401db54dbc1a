//! Checks of webhook, Actor and task create and update bodies, the way the platform checks them.
//! Webhooks: types of every known field, the event types enum, a condition naming exactly one
//! Actor, task or run, an `http(s)` request URL, and payload and headers templates (through
//! [`crate::template`]). Actors and tasks: the platform's name rule and the types of the fields
//! the emulator keeps. Unknown fields are ignored, as the platform does. Whether the condition names something the
//! caller can see is checked by the handler, which has the state.

use serde_json::{Map, Value};

use super::api::ApiError;
use super::state::ConditionRec;
use crate::template;
use crate::webhook::EventType;

/// Whether the platform accepts an event type: a declarable one ([`EventType`]) or `TEST`.
fn is_event_type(name: &str) -> bool {
    name == "TEST" || name.parse::<EventType>().is_ok()
}

/// A field of an update: left out, set to `null`, or set to a value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Patch<T> {
    /// The value, if one was given.
    pub(crate) fn into_option(self) -> Option<T> {
        match self {
            Patch::Value(v) => Some(v),
            Patch::Absent | Patch::Null => None,
        }
    }

    /// Applies this patch to an optional field: absent leaves it, `null` clears it.
    pub(crate) fn apply(self, field: &mut Option<T>) {
        match self {
            Patch::Absent => {}
            Patch::Null => *field = None,
            Patch::Value(v) => *field = Some(v),
        }
    }
}

/// The checked fields of an Actor create or update body (the fields the emulator keeps; the
/// others, such as `versions`, are accepted and ignored).
#[derive(Debug, Clone, Default)]
pub(crate) struct ActorInput {
    pub name: Patch<String>,
    pub title: Patch<String>,
    pub description: Patch<String>,
    pub is_public: Patch<bool>,
}

/// Checks the body of `POST /v2/actors` (`create`) or `PUT /v2/actors/{id}`.
pub(crate) fn actor_body(body: &Map<String, Value>, create: bool) -> Result<ActorInput, ApiError> {
    let input = ActorInput {
        name: patch(body, "name", |v| resource_name("Actor", v))?,
        title: patch(body, "title", string)?,
        description: patch(body, "description", string)?,
        is_public: patch(body, "isPublic", boolean)?,
    };
    if !create && input.name == Patch::Null {
        return Err(ApiError::invalid_input("Field \"name\" must be a string."));
    }
    Ok(input)
}

/// The checked fields of a task create or update body (`input` and `options` are accepted
/// and ignored).
#[derive(Debug, Clone, Default)]
pub(crate) struct TaskInput {
    pub act_id: Patch<String>,
    pub name: Patch<String>,
    pub title: Patch<String>,
}

/// Checks the body of `POST /v2/actor-tasks` (`create`) or `PUT /v2/actor-tasks/{id}`.
pub(crate) fn task_body(body: &Map<String, Value>, create: bool) -> Result<TaskInput, ApiError> {
    let input = TaskInput {
        act_id: if create {
            patch(body, "actId", string)?
        } else {
            Patch::Absent
        },
        name: patch(body, "name", |v| resource_name("Task", v))?,
        title: patch(body, "title", string)?,
    };
    if !create && input.name == Patch::Null {
        return Err(ApiError::invalid_input("Field \"name\" must be a string."));
    }
    Ok(input)
}

/// The longest name of an Actor or task (a DNS label: `ACTOR_NAME.MAX_LENGTH` of
/// apify-shared-js).
pub(crate) const MAX_NAME_LENGTH: usize = 63;

/// The shortest name of an Actor or task (`ACTOR_NAME.MIN_LENGTH`).
pub(crate) const MIN_NAME_LENGTH: usize = 3;

/// An Actor or task name as the platform accepts it (apify-shared-js `ACTOR_NAME`: 3 to 63
/// characters matching `DNS_SAFE_NAME_REGEX`, letters, digits and hyphens, neither first nor
/// last a hyphen).
fn resource_name(what: &str, value: &Value) -> Result<String, String> {
    let name = value.as_str().ok_or("must be a string")?;
    let dns_safe = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !(MIN_NAME_LENGTH..=MAX_NAME_LENGTH).contains(&name.len()) || !dns_safe {
        return Err(format!(
            "is not a valid {what} name: use {MIN_NAME_LENGTH} to {MAX_NAME_LENGTH} letters, \
             digits and hyphens, neither first nor last a hyphen"
        ));
    }
    Ok(name.to_owned())
}

/// The checked fields of a create or update body.
#[derive(Debug, Clone, Default)]
pub(crate) struct WebhookInput {
    pub event_types: Patch<Vec<String>>,
    pub condition: Patch<ConditionRec>,
    pub request_url: Patch<String>,
    pub payload_template: Patch<String>,
    pub headers_template: Patch<String>,
    pub description: Patch<String>,
    pub ignore_ssl_errors: Patch<bool>,
    pub do_not_retry: Patch<bool>,
    pub should_interpolate_strings: Patch<bool>,
    pub is_ad_hoc: Patch<bool>,
    pub is_apify_integration: Patch<bool>,
    pub idempotency_key: Patch<String>,
    pub id: Patch<String>,
}

/// Checks the body of `POST /v2/webhooks`.
pub(crate) fn create_body(body: &Map<String, Value>) -> Result<WebhookInput, ApiError> {
    let input = fields(body, true)?;
    for (name, present) in [
        ("eventTypes", matches!(input.event_types, Patch::Value(_))),
        ("condition", matches!(input.condition, Patch::Value(_))),
        ("requestUrl", matches!(input.request_url, Patch::Value(_))),
    ] {
        if !present {
            return Err(ApiError::invalid_input(format!(
                "Field \"{name}\" is required."
            )));
        }
    }
    check_templates(&input, false)?;
    Ok(input)
}

/// Checks the body of `PUT /v2/webhooks/{id}`. `current_interpolation` is the webhook's
/// `shouldInterpolateStrings`, which applies when the body does not change it.
pub(crate) fn update_body(
    body: &Map<String, Value>,
    current_interpolation: bool,
) -> Result<WebhookInput, ApiError> {
    let mut input = fields(body, false)?;
    // An empty condition (`{}`, which the Python client sends on every update) changes nothing.
    if input.condition == Patch::Value(ConditionRec::default()) {
        input.condition = Patch::Absent;
    }
    check_templates(&input, current_interpolation)?;
    Ok(input)
}

fn fields(body: &Map<String, Value>, create: bool) -> Result<WebhookInput, ApiError> {
    let mut input = WebhookInput {
        event_types: patch(body, "eventTypes", event_types)?,
        condition: patch(body, "condition", |v| condition(v, create))?,
        request_url: patch(body, "requestUrl", request_url)?,
        payload_template: patch(body, "payloadTemplate", string)?,
        headers_template: patch(body, "headersTemplate", string)?,
        description: patch(body, "description", string)?,
        ignore_ssl_errors: patch(body, "ignoreSslErrors", boolean)?,
        do_not_retry: patch(body, "doNotRetry", boolean)?,
        should_interpolate_strings: patch(body, "shouldInterpolateStrings", boolean)?,
        is_ad_hoc: patch(body, "isAdHoc", boolean)?,
        is_apify_integration: patch(body, "isApifyIntegration", boolean)?,
        idempotency_key: Patch::Absent,
        id: Patch::Absent,
    };
    if create {
        input.idempotency_key = patch(body, "idempotencyKey", string)?;
        if let Patch::Value(key) = &input.idempotency_key
            && (key.is_empty() || key.len() > 256)
        {
            return Err(ApiError::new(
                400,
                "invalid-idempotency-key",
                "Idempotency key must be between 1 and 256 characters long.",
            ));
        }
    } else {
        input.id = patch(body, "id", string)?;
    }
    Ok(input)
}

fn patch<T>(
    body: &Map<String, Value>,
    name: &str,
    parse: impl Fn(&Value) -> Result<T, String>,
) -> Result<Patch<T>, ApiError> {
    match body.get(name) {
        None => Ok(Patch::Absent),
        Some(Value::Null) => Ok(Patch::Null),
        Some(value) => parse(value)
            .map(Patch::Value)
            .map_err(|why| ApiError::invalid_input(format!("Field \"{name}\" {why}."))),
    }
}

fn string(value: &Value) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "must be a string".to_owned())
}

fn boolean(value: &Value) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| "must be a boolean".to_owned())
}

fn event_types(value: &Value) -> Result<Vec<String>, String> {
    let items = value.as_array().ok_or("must be an array")?;
    if items.is_empty() {
        return Err("must contain at least one event type".to_owned());
    }
    let mut types = Vec::new();
    for item in items {
        let name = item.as_str().ok_or("must contain strings only")?;
        if !is_event_type(name) {
            return Err(format!("contains an unknown event type \"{name}\""));
        }
        if !types.iter().any(|t| t == name) {
            types.push(name.to_owned());
        }
    }
    Ok(types)
}

fn condition(value: &Value, create: bool) -> Result<ConditionRec, String> {
    let map = value.as_object().ok_or("must be an object")?;
    let id = |key: &str| -> Result<Option<String>, String> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("has a non-string \"{key}\"")),
        }
    };
    let condition = ConditionRec {
        actor_id: id("actorId")?,
        actor_task_id: id("actorTaskId")?,
        actor_run_id: id("actorRunId")?,
    };
    let set = [
        &condition.actor_id,
        &condition.actor_task_id,
        &condition.actor_run_id,
    ]
    .iter()
    .filter(|v| v.is_some())
    .count();
    if set > 1 || (set == 0 && create) {
        return Err(
            "must contain exactly one of \"actorId\", \"actorTaskId\" or \"actorRunId\"".to_owned(),
        );
    }
    Ok(condition)
}

fn request_url(value: &Value) -> Result<String, String> {
    let text = value.as_str().ok_or("must be a string")?;
    // A URL parser drops control characters and surrounding spaces silently; the platform's
    // URL check refuses them.
    if text.chars().any(char::is_control) || text.trim() != text {
        return Err("must be a valid URL".to_owned());
    }
    let url = url::Url::parse(text).map_err(|_| "must be a valid URL".to_owned())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("must be an http:// or https:// URL".to_owned());
    }
    Ok(text.to_owned())
}

/// Checks the templates with the platform's own rules. A header the platform rewrites is not
/// an error here: the platform silently replaces it (the manifest checks are stricter).
fn check_templates(input: &WebhookInput, current_interpolation: bool) -> Result<(), ApiError> {
    let interpolate = match input.should_interpolate_strings {
        Patch::Value(value) => value,
        Patch::Null => false,
        Patch::Absent => current_interpolation,
    };
    if let Patch::Value(text) = &input.payload_template
        && !text.trim().is_empty()
    {
        template::check_payload(text, interpolate)
            .map_err(|err| ApiError::invalid_input(format!("Invalid payload template: {err}")))?;
    }
    if let Patch::Value(text) = &input.headers_template
        && !text.trim().is_empty()
    {
        match template::check_headers(text) {
            Ok(()) | Err(template::TemplateError::RewrittenHeader { .. }) => {}
            Err(err) => {
                return Err(ApiError::invalid_input(format!(
                    "Invalid headers template: {err}"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test bodies are objects"),
        }
    }

    fn create(value: Value) -> Result<WebhookInput, String> {
        create_body(&object(value)).map_err(|err| err.message)
    }

    #[test]
    fn a_minimal_create_body_passes() {
        let input = create(json!({
            "eventTypes": ["ACTOR.RUN.FAILED", "ACTOR.RUN.FAILED"],
            "condition": {"actorId": "abc"},
            "requestUrl": "https://example.com/hook",
            "unknownField": 1,
        }))
        .unwrap();
        assert_eq!(
            input.event_types,
            Patch::Value(vec!["ACTOR.RUN.FAILED".to_owned()])
        );
    }

    #[test]
    fn create_bodies_are_checked_like_the_platform() {
        let base = json!({"eventTypes": ["ACTOR.RUN.FAILED"], "condition": {"actorId": "a"},
                          "requestUrl": "https://example.com"});
        let with = |key: &str, value: Value| {
            let mut body = base.clone();
            body[key] = value;
            body
        };
        for (body, expected) in [
            (
                json!({"condition": {"actorId": "a"}, "requestUrl": "https://x.example"}),
                "eventTypes\" is required",
            ),
            (with("eventTypes", json!([])), "at least one"),
            (
                with("eventTypes", json!(["ACTOR.RUN.EXPLODED"])),
                "unknown event type",
            ),
            (with("condition", json!({})), "exactly one"),
            (
                with("condition", json!({"actorId": "a", "actorTaskId": "b"})),
                "exactly one",
            ),
            (
                with("requestUrl", json!("ftp://example.com")),
                "http:// or https://",
            ),
            (with("requestUrl", json!("not a url")), "valid URL"),
            (with("ignoreSslErrors", json!("yes")), "boolean"),
            (
                with("payloadTemplate", json!("{\"a\": {{nope}}}")),
                "Invalid payload template",
            ),
            (
                with("headersTemplate", json!("[1]")),
                "Invalid headers template",
            ),
        ] {
            let err = create(body.clone()).unwrap_err();
            assert!(err.contains(expected), "{body}: {err}");
        }
        assert!(create(with("headersTemplate", json!("{\"Host\": \"x\"}"))).is_ok());
        assert!(create(with("payloadTemplate", json!("{\"run\": {{resource}}}"))).is_ok());
    }

    #[test]
    fn updates_are_partial_and_an_empty_condition_changes_nothing() {
        let input = update_body(
            &object(json!({"condition": {}, "description": null})),
            false,
        )
        .unwrap();
        assert_eq!(input.condition, Patch::Absent);
        assert_eq!(input.description, Patch::Null);
        assert_eq!(input.event_types, Patch::Absent);
    }

    #[test]
    fn interpolation_setting_of_the_webhook_applies_to_template_checks() {
        let body = object(json!({"payloadTemplate": "{\"a\": \"{{bogus}}\"}"}));
        assert!(update_body(&body, false).is_ok());
        assert!(update_body(&body, true).is_err());
    }
}
