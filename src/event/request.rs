//! Renders a webhook's request for an event, following the platform's own implementation
//! (`WebhookPayloadTemplate.parse` in apify-shared-js) step by step, including its JavaScript
//! semantics, so the body is the bytes the platform would send:
//!
//! 1. Parse the template as JSON; on failure replace the next `{{name}}` outside a string with
//!    `JSON.stringify` of its value (`null` when the value is missing or falsy: `0`, `false`,
//!    `""`) and try again.
//! 2. With string interpolation, a string that is exactly `"{{name}}"` becomes the value itself
//!    (a missing value drops the property, as `JSON.stringify` drops `undefined`); placeholders
//!    inside longer strings become the value's JavaScript string form (`[object Object]` for an
//!    object, `1,2,3` for an array, `undefined` for a missing property).
//! 3. The body is `JSON.stringify` of the result: compact, keys in JavaScript's order (integer-like
//!    keys first), numbers as JavaScript prints them.
//!
//! `{{a.b.c}}` walks properties from the variable `a`; a step through something that is not an
//! object gives `null`, a missing last property gives `undefined`. The headers template is
//! rendered the same way with string interpolation always on, and must give an object of strings.

use serde_json::{Map, Value};
use thiserror::Error;

use super::Event;
use crate::template::{TemplateError, inside_string, is_allowed_variable, string_placeholders};
use crate::webhook::is_rewritten_header;

/// The platform's payload template when a webhook declares none.
pub const DEFAULT_PAYLOAD_TEMPLATE: &str = "{\n    \"userId\": {{userId}},\n    \"createdAt\": {{createdAt}},\n    \"eventType\": {{eventType}},\n    \"eventData\": {{eventData}},\n    \"resource\": {{resource}}\n}";

/// The value of `X-Apify-Request-Origin` on webhook requests.
pub const REQUEST_ORIGIN: &str = "WEBHOOK";

/// What a webhook declares that shapes its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTemplate<'a> {
    /// Where the request goes; sent as it is (the platform does not template URLs).
    pub request_url: &'a str,
    /// The payload template; the platform's default when `None`.
    pub payload_template: Option<&'a str>,
    /// The headers template, if any.
    pub headers_template: Option<&'a str>,
    /// Whether placeholders inside JSON strings of the payload are replaced.
    pub should_interpolate_strings: bool,
}

/// The request the platform sends: method POST, the URL, the headers (the platform's own first:
/// `Content-Type`, `X-Apify-Webhook`, `X-Apify-Webhook-Dispatch-Id`, `X-Apify-Request-Origin`,
/// then the headers template's in its order; `Host` is the URL's, set by the HTTP client), and
/// the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    /// The request URL.
    pub url: String,
    /// Header names and values, in the order they are sent.
    pub headers: Vec<(String, String)>,
    /// The body: compact JSON, as `JSON.stringify` writes it.
    pub body: String,
}

impl WebhookRequest {
    /// The HTTP method: always POST.
    pub const METHOD: &'static str = "POST";

    /// The value of header `name` (case-insensitive), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request cannot be rendered: the template would fail on the platform too.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RenderError {
    /// The payload template is not valid, or uses an unknown variable.
    #[error("payload template: {0}")]
    Payload(TemplateError),
    /// The headers template is not valid, or does not give an object of strings.
    #[error("headers template: {0}")]
    Headers(TemplateError),
}

/// Renders the request `t` sends for `event`, as webhook `webhook_id` in dispatch `dispatch_id`.
pub fn render(
    t: &RequestTemplate<'_>,
    event: &Event,
    webhook_id: &str,
    dispatch_id: &str,
) -> Result<WebhookRequest, RenderError> {
    let context = event.context();
    let payload = t.payload_template.unwrap_or(DEFAULT_PAYLOAD_TEMPLATE);
    let body = fill(payload, &context, t.should_interpolate_strings, true)
        .map_err(RenderError::Payload)?;
    let mut headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("X-Apify-Webhook".to_owned(), webhook_id.to_owned()),
        (
            "X-Apify-Webhook-Dispatch-Id".to_owned(),
            dispatch_id.to_owned(),
        ),
        (
            "X-Apify-Request-Origin".to_owned(),
            REQUEST_ORIGIN.to_owned(),
        ),
    ];
    if let Some(template) = t.headers_template {
        let value = fill(template, &context, true, true).map_err(RenderError::Headers)?;
        let Some(Value::Object(map)) = value else {
            return Err(RenderError::Headers(TemplateError::HeadersNotAnObject));
        };
        for (name, value) in map {
            let Value::String(value) = value else {
                return Err(RenderError::Headers(TemplateError::HeaderNotString {
                    name,
                }));
            };
            if !is_rewritten_header(&name) {
                headers.push((name, value));
            }
        }
    }
    Ok(WebhookRequest {
        url: t.request_url.to_owned(),
        headers,
        body: body
            .as_ref()
            .map_or_else(|| "null".to_owned(), js_stringify),
    })
}

/// A template's value for `context`: steps 1 and 2 of the module docs. `None` is JavaScript's
/// `undefined` (a whole-string placeholder of a missing property at the top). With `check`,
/// variables outside the platform's set are refused, as the platform does.
fn fill(
    template: &str,
    context: &Map<String, Value>,
    interpolate: bool,
    check: bool,
) -> Result<Option<Value>, TemplateError> {
    let checked = |name: &str, offset: usize| {
        if check && !is_allowed_variable(name) {
            Err(TemplateError::InvalidVariable {
                name: name.to_owned(),
                offset,
            })
        } else {
            Ok(())
        }
    };
    let mut payload = template.to_owned();
    let mut current = 0;
    let parsed = loop {
        let err = match serde_json::from_str::<Value>(&payload) {
            Ok(value) => break value,
            Err(err) => err,
        };
        let Some(open) = payload.get(current..).and_then(|r| r.find("{{")) else {
            return Err(TemplateError::InvalidJson {
                message: err.to_string(),
                offset: 0,
            });
        };
        let open = current + open;
        if !inside_string(&payload, open) {
            let Some(close) = payload[open..].find("}}").map(|c| open + c) else {
                let name = payload[open + 2..].to_owned();
                checked(&name, open)?;
                return Err(TemplateError::InvalidJson {
                    message: err.to_string(),
                    offset: open,
                });
            };
            let name = payload[open + 2..close].to_owned();
            checked(&name, open)?;
            let replacement = match lookup(context, &name) {
                Some(value) if truthy(&value) => js_stringify(&value),
                _ => "null".to_owned(),
            };
            payload.replace_range(open..close + 2, &replacement);
        }
        current = open + 1;
    };
    if !interpolate {
        return Ok(Some(parsed));
    }
    interpolate_value(parsed, context, &checked)
}

/// Step 2: interpolation of every string in `value`.
fn interpolate_value(
    value: Value,
    context: &Map<String, Value>,
    checked: &dyn Fn(&str, usize) -> Result<(), TemplateError>,
) -> Result<Option<Value>, TemplateError> {
    Ok(match value {
        Value::String(s) => {
            if let Some(name) = whole_placeholder(&s) {
                checked(name, 0)?;
                lookup(context, name)
            } else {
                let mut out = String::with_capacity(s.len());
                let mut last = 0;
                for (offset, name) in string_placeholders(&s) {
                    checked(name, offset)?;
                    out.push_str(&s[last..offset]);
                    out.push_str(&js_string(lookup(context, name).as_ref()));
                    last = offset + name.len() + 4;
                }
                out.push_str(&s[last..]);
                Some(Value::String(out))
            }
        }
        Value::Array(items) => Some(Value::Array(
            items
                .into_iter()
                .map(|v| Ok(interpolate_value(v, context, checked)?.unwrap_or(Value::Null)))
                .collect::<Result<_, TemplateError>>()?,
        )),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                // `undefined` properties are left out by JSON.stringify.
                if let Some(v) = interpolate_value(v, context, checked)? {
                    out.insert(k, v);
                }
            }
            Some(Value::Object(out))
        }
        other => Some(other),
    })
}

/// The name in a string that is exactly `{{name}}` (`^\{\{([a-zA-Z0-9.]+)\}\}$`).
fn whole_placeholder(s: &str) -> Option<&str> {
    let name = s.strip_prefix("{{")?.strip_suffix("}}")?;
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'))
        .then_some(name)
}

/// The platform's `_getVariableValue`: `None` is `undefined`.
fn lookup(context: &Map<String, Value>, name: &str) -> Option<Value> {
    let mut parts = name.split('.');
    let root = parts.next().unwrap_or_default();
    let mut current = context.get(root).cloned();
    for prop in parts {
        current = match current {
            Some(Value::Object(map)) => map.get(prop).cloned(),
            Some(Value::Array(items)) => {
                if prop == "length" {
                    Some(Value::from(items.len()))
                } else {
                    array_index(prop).and_then(|i| items.get(i).cloned())
                }
            }
            // `!ctx || typeof ctx !== 'object'`: null, undefined, and every primitive.
            _ => Some(Value::Null),
        };
    }
    current
}

/// A canonical array index (`0`, `17`, not `01`): what JavaScript treats as an index.
fn array_index(key: &str) -> Option<usize> {
    let canonical =
        key == "0" || (!key.starts_with('0') && key.bytes().all(|b| b.is_ascii_digit()));
    if !canonical || key.len() > 10 {
        return None;
    }
    key.parse::<u64>()
        .ok()
        .filter(|&n| n < u64::from(u32::MAX))
        .and_then(|n| usize::try_from(n).ok())
}

/// JavaScript truthiness.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// JavaScript's `String(value)` (`None` is `undefined`).
fn js_string(value: Option<&Value>) -> String {
    match value {
        None => "undefined".to_owned(),
        Some(Value::Null) => "null".to_owned(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => js_number(n),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::Null => String::new(),
                v => js_string(Some(v)),
            })
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::Object(_)) => "[object Object]".to_owned(),
    }
}

/// A JSON number as JavaScript prints it: every number is a double.
fn js_number(n: &serde_json::Number) -> String {
    const SAFE: u64 = 1 << 53;
    if let Some(u) = n.as_u64().filter(|u| *u <= SAFE) {
        return u.to_string();
    }
    if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= SAFE) {
        return i.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f == 0.0 {
        return "0".to_owned();
    }
    if f.abs() >= 1e21 || f.abs() < 1e-6 {
        let s = format!("{f:e}");
        return match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        };
    }
    format!("{f}")
}

/// JavaScript's `JSON.stringify(value)`: compact, integer-like keys first in ascending order.
pub(crate) fn js_stringify(value: &Value) -> String {
    let mut out = String::new();
    write_js(value, &mut out);
    out
}

fn write_js(value: &Value, out: &mut String) {
    match value {
        Value::Number(n) => out.push_str(&js_number(n)),
        Value::String(s) => out.push_str(&Value::String(s.clone()).to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_js(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut indexed: Vec<(usize, &String, &Value)> = map
                .iter()
                .filter_map(|(k, v)| array_index(k).map(|i| (i, k, v)))
                .collect();
            indexed.sort_by_key(|(i, _, _)| *i);
            let named = map.iter().filter(|(k, _)| array_index(k).is_none());
            out.push('{');
            for (n, (k, v)) in indexed
                .into_iter()
                .map(|(_, k, v)| (k, v))
                .chain(named)
                .enumerate()
            {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_js(v, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventType, SampleTarget, sample};
    use crate::webhook::TargetKind;
    use serde_json::json;

    fn ctx(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    /// `WebhookPayloadTemplate.parse(template, null, context, {interpolateStrings})`.
    fn parse(template: &str, context: &Value, interpolate: bool) -> Value {
        fill(template, &ctx(context.clone()), interpolate, false)
            .unwrap()
            .unwrap()
    }

    fn event() -> Event {
        Event {
            event_type: "ACTOR.RUN.SUCCEEDED".into(),
            created_at: "2019-01-09T15:59:56.408Z".into(),
            user_id: "abf6vtB2nvQZ4nJzo".into(),
            event_data: json!({"actorId": "fW4MyDhgwtMLrB987", "actorRunId": "uPBN9qaKd2iLs5naZ"}),
            resource: json!({
                "id": "uPBN9qaKd2iLs5naZ",
                "actId": "fW4MyDhgwtMLrB987",
                "userId": "abf6vtB2nvQZ4nJzo",
                "startedAt": "2019-01-09T15:59:40.750Z",
                "finishedAt": "2019-01-09T15:59:56.408Z",
                "status": "SUCCEEDED",
            }),
        }
    }

    fn template(payload: Option<&str>, interpolate: bool) -> RequestTemplate<'_> {
        RequestTemplate {
            request_url: "https://example.com/hook",
            payload_template: payload,
            headers_template: None,
            should_interpolate_strings: interpolate,
        }
    }

    #[test]
    fn docs_default_payload_example() {
        let r = render(&template(None, false), &event(), "WH", "DISPATCH").unwrap();
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            body,
            json!({
                "userId": "abf6vtB2nvQZ4nJzo",
                "createdAt": "2019-01-09T15:59:56.408Z",
                "eventType": "ACTOR.RUN.SUCCEEDED",
                "eventData": {"actorId": "fW4MyDhgwtMLrB987", "actorRunId": "uPBN9qaKd2iLs5naZ"},
                "resource": event().resource,
            })
        );
        assert!(
            r.body
                .starts_with(r#"{"userId":"abf6vtB2nvQZ4nJzo","createdAt":"#)
        );
        assert!(!r.body.contains('\n'), "compact, as JSON.stringify writes");
    }

    #[test]
    fn docs_interpolated_default_template_gives_the_same_payload() {
        let interpolated = r#"{
    "userId": "{{userId}}",
    "createdAt": "{{createdAt}}",
    "eventType": "{{eventType}}",
    "eventData": "{{eventData}}",
    "resource": "{{resource}}"
}"#;
        let a = render(&template(Some(interpolated), true), &event(), "W", "D").unwrap();
        let b = render(&template(None, false), &event(), "W", "D").unwrap();
        assert_eq!(a.body, b.body);
        // Without interpolation the strings stay as written.
        let c = render(&template(Some(interpolated), false), &event(), "W", "D").unwrap();
        assert!(c.body.contains(r#""eventData":"{{eventData}}""#));
    }

    #[test]
    fn docs_string_interpolation_example() {
        let t = r#"{ "text": "My user id is {{userId}}" }"#;
        let r = render(&template(Some(t), true), &event(), "W", "D").unwrap();
        assert_eq!(r.body, r#"{"text":"My user id is abf6vtB2nvQZ4nJzo"}"#);
    }

    #[test]
    fn docs_payload_template_example() {
        let t = "{\n    \"runId\": {{resource.id}},\n    \"runStatus\": {{resource.status}},\n    \"myProp\": \"hello world\"\n}";
        let r = render(&template(Some(t), false), &event(), "W", "D").unwrap();
        assert_eq!(
            r.body,
            r#"{"runId":"uPBN9qaKd2iLs5naZ","runStatus":"SUCCEEDED","myProp":"hello world"}"#
        );
    }

    #[test]
    fn platform_tests_fill_and_dot_notation() {
        let valid = "\n{\n    \"userId\": [{{userId}}],\n    \"eventType\": {{eventType}},\n    \"createdAt\": {{createdAt}},\n    \"eventData\": [{ \"tmpl\": {{eventData}} }],\n    \"resource\": {{resource}}\n}\n";
        let context = json!({"userId": "some-user-id", "eventData": {"status": 200, "body": "hello-world", "messages": [1, 2, 3]}});
        assert_eq!(
            parse(valid, &context, false),
            json!({"userId": ["some-user-id"], "eventType": null, "createdAt": null,
                   "eventData": [{"tmpl": {"status": 200, "body": "hello-world", "messages": [1, 2, 3]}}],
                   "resource": null})
        );
        let dots = r#"{"zero": {{resource}}, "one": {{resource.first}}, "two": {{resource.first.second}}, "array": {{array.1.0}}}"#;
        let context = json!({"resource": {"first": {"second": "r"}}, "array": [false, [true]]});
        assert_eq!(
            parse(dots, &context, false),
            json!({"zero": {"first": {"second": "r"}}, "one": {"second": "r"}, "two": "r", "array": true})
        );
        let context = json!({"resource": {"foo": "bar"}, "array": "hello"});
        assert_eq!(
            parse(dots, &context, false),
            json!({"zero": {"foo": "bar"}, "one": null, "two": null, "array": null})
        );
        let in_string = "{\n    \"foo\": \"bar\\\"{{foo}}\\\"\",\n    \"bar\": {{xyz}}\n}";
        assert_eq!(
            parse(in_string, &json!({}), false),
            json!({"foo": "bar\"{{foo}}\"", "bar": null})
        );
    }

    #[test]
    fn platform_tests_interpolation() {
        let context = json!({"foo": "hello", "lol": "world", "xyz": null,
            "resource": {"defaultDatasetId": "dataset-123"}, "arrayField": [1, 2, 3]});
        let t = r#"{
            "justVariable": "{{foo}}",
            "someOtherContent": "bar{{foo}}",
            "twoVariables": "bar{{foo}}baz{{foo}}bar{{lol}}",
            "bar": {{xyz}},
            "datasetId": "{{resource.defaultDatasetId}}",
            "arrayField": "{{arrayField}}",
            "arrayFieldInString": "This is my array {{arrayField}}",
            "resourceWrapped": "{{resource}}",
            "resourceDirect": {{resource}},
            "resourceInString": "This is my object {{resource}}"
        }"#;
        assert_eq!(
            parse(t, &context, true),
            json!({
                "justVariable": "hello",
                "someOtherContent": "barhello",
                "twoVariables": "barhellobazhellobarworld",
                "bar": null,
                "datasetId": "dataset-123",
                "arrayField": [1, 2, 3],
                "arrayFieldInString": "This is my array 1,2,3",
                "resourceWrapped": {"defaultDatasetId": "dataset-123"},
                "resourceDirect": {"defaultDatasetId": "dataset-123"},
                "resourceInString": "This is my object [object Object]",
            })
        );
    }

    #[test]
    fn javascript_semantics_of_missing_and_falsy_values() {
        let context = json!({"r": {"zero": 0, "no": false, "empty": "", "n": null}});
        // Outside strings a falsy value becomes null (`value ? JSON.stringify(value) : null`).
        assert_eq!(
            parse(
                r"[{{r.zero}}, {{r.no}}, {{r.empty}}, {{r.n}}, {{r.missing}}]",
                &context,
                false
            ),
            json!([null, null, null, null, null])
        );
        // Inside strings: the value itself; a missing one drops the property or is `undefined`.
        let t = r#"{"a": "{{r.zero}}", "b": "{{r.missing}}", "c": "x{{r.missing}}", "d": ["{{r.missing}}"], "e": "{{r.n}}/{{r.no}}"}"#;
        assert_eq!(
            js_stringify(&parse(t, &context, true)),
            r#"{"a":0,"c":"xundefined","d":[null],"e":"null/false"}"#
        );
    }

    #[test]
    fn the_body_is_written_as_json_stringify_writes_it() {
        let v: Value = serde_json::from_str(
            r#"{"b": 1.0, "2": "x", "a": [1.5, 1e21, 0.0000001, -0.0], "1": 12345678901234567890}"#,
        )
        .unwrap();
        assert_eq!(
            js_stringify(&v),
            r#"{"1":12345678901234567000,"2":"x","b":1,"a":[1.5,1e+21,1e-7,0]}"#
        );
    }

    #[test]
    fn headers_are_the_platforms_then_the_templates_rendered_with_interpolation() {
        let t = RequestTemplate {
            request_url: "http://127.0.0.1:9/hook",
            payload_template: None,
            headers_template: Some(
                r#"{"X-Run": "{{resource.id}}", "Authorization": "Bearer s3cret", "content-type": "text/plain", "X-Event": {{eventType}}}"#,
            ),
            should_interpolate_strings: false,
        };
        let r = render(&t, &event(), "WEBHOOK_ID", "DISPATCH_ID").unwrap();
        assert_eq!(
            r.headers,
            [
                ("Content-Type", "application/json"),
                ("X-Apify-Webhook", "WEBHOOK_ID"),
                ("X-Apify-Webhook-Dispatch-Id", "DISPATCH_ID"),
                ("X-Apify-Request-Origin", "WEBHOOK"),
                ("X-Run", "uPBN9qaKd2iLs5naZ"),
                ("Authorization", "Bearer s3cret"),
                ("X-Event", "ACTOR.RUN.SUCCEEDED"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        assert_eq!(r.header("x-run"), Some("uPBN9qaKd2iLs5naZ"));
        assert_eq!(r.url, "http://127.0.0.1:9/hook");
    }

    #[test]
    fn headers_that_do_not_render_to_strings_are_refused() {
        let mut t = template(None, false);
        t.headers_template = Some(r#"{"X-Task": {{eventData.actorTaskId}}}"#);
        assert_eq!(
            render(&t, &event(), "W", "D"),
            Err(RenderError::Headers(TemplateError::HeaderNotString {
                name: "X-Task".into()
            }))
        );
        t.headers_template = Some("[]");
        assert_eq!(
            render(&t, &event(), "W", "D"),
            Err(RenderError::Headers(TemplateError::HeadersNotAnObject))
        );
    }

    #[test]
    fn unknown_variables_and_invalid_json_are_refused() {
        let r = render(
            &template(Some(r#"{"a": {{run.id}}}"#), false),
            &event(),
            "W",
            "D",
        );
        assert!(
            matches!(r, Err(RenderError::Payload(TemplateError::InvalidVariable { ref name, .. })) if name == "run.id")
        );
        let r = render(
            &template(Some(r#"{"a": "{{run}}"}"#), true),
            &event(),
            "W",
            "D",
        );
        assert!(matches!(
            r,
            Err(RenderError::Payload(TemplateError::InvalidVariable { .. }))
        ));
        let r = render(&template(Some(r#"{"a": }"#), false), &event(), "W", "D");
        assert!(matches!(
            r,
            Err(RenderError::Payload(TemplateError::InvalidJson { .. }))
        ));
    }

    #[test]
    fn globals_resolve_from_the_event_time() {
        let e = sample(
            EventType::BuildSucceeded,
            &SampleTarget {
                kind: TargetKind::Actor,
                actor_id: None,
                task_id: None,
            },
        );
        let t = r#"{"at": {{globals.dateISO}}, "unix": {{globals.dateUnix}}, "build": {{eventData.actorBuildId}}}"#;
        let r = render(&template(Some(t), false), &e, "W", "D").unwrap();
        assert_eq!(
            r.body,
            r#"{"at":"2026-01-15T10:24:31.512Z","unix":1768472671,"build":"HG7ML7M8z78YcAPEB"}"#
        );
    }
}
