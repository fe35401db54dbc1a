//! `preview` output: the request a webhook sends for a sample event, as HTTP text for people
//! (the body pretty-printed) or as JSON data (the body exactly as sent).

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::webhook::{EventType, TargetKind};

/// What `preview` shows: one webhook and its requests, secrets already masked.
#[derive(Debug, Clone)]
pub struct Preview<'a> {
    /// The webhook's key.
    pub key: &'a str,
    /// For one webhook of a pattern: the target it is previewed on (its address is
    /// `webhook.<key>["<target>"]`).
    pub instance: Option<&'a str>,
    /// Whether it is attached to an Actor or a task.
    pub target_kind: TargetKind,
    /// The Actor or task, as written in the manifest.
    pub target: &'a str,
    /// Whether values from `${NAME}` are masked.
    pub secrets_masked: bool,
    /// One request per event rendered.
    pub requests: Vec<PreviewedRequest>,
}

/// One rendered request.
#[derive(Debug, Clone)]
pub struct PreviewedRequest {
    /// The event it is for.
    pub event_type: EventType,
    /// The URL.
    pub url: String,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body, as sent.
    pub body: String,
}

/// The requests as HTTP: a comment line naming the event, `POST url`, the headers, a blank
/// line and the body pretty-printed; then one line of notes.
pub fn text(p: &Preview<'_>) -> String {
    let mut out = String::new();
    let what = match p.target_kind {
        TargetKind::Actor => "Actor",
        TargetKind::Task => "task",
    };
    for (i, r) in p.requests.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let resource = if r.event_type.is_build() {
            "build"
        } else {
            "run"
        };
        let _ = writeln!(
            out,
            "# {} ({what} {}) on {}, for a sample {resource}",
            crate::plan::address(p.key, p.instance),
            p.instance.unwrap_or(p.target),
            r.event_type
        );
        let _ = writeln!(out, "POST {}", r.url);
        for (name, value) in &r.headers {
            let _ = writeln!(out, "{name}: {value}");
        }
        out.push('\n');
        out.push_str(&pretty(&r.body));
        out.push('\n');
    }
    let sizes: Vec<String> = p
        .requests
        .iter()
        .map(|r| r.body.len().to_string())
        .collect();
    let _ = write!(
        out,
        "\n# Sample ids and times. The body is sent as compact JSON ({} bytes); shown pretty-printed here.",
        sizes.join(", ")
    );
    let masked = p.requests.iter().any(|r| {
        r.url.contains(MASK)
            || r.body.contains(MASK)
            || r.headers.iter().any(|(_, v)| v.contains(MASK))
    });
    if p.secrets_masked && masked {
        out.push_str(
            "\n# Values from ${NAME} are shown as (sensitive); --show-secrets shows them.",
        );
    }
    out.push('\n');
    out
}

/// What a masked secret is shown as.
pub const MASK: &str = "(sensitive)";

/// A JSON body pretty-printed (key order kept); anything else as it is.
fn pretty(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_owned())
}

/// The requests as a JSON document: `key`, `target`, `secretsMasked`, and `requests` with
/// `eventType`, `method`, `url`, `headers` (`[{name, value}]`, in order) and `body` (the exact
/// string sent).
pub fn json(p: &Preview<'_>) -> String {
    let requests: Vec<Value> = p
        .requests
        .iter()
        .map(|r| {
            json!({
                "eventType": r.event_type.as_str(),
                "method": "POST",
                "url": r.url,
                "headers": r.headers.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
                "body": r.body,
            })
        })
        .collect();
    let mut doc = json!({
        "key": p.key,
        "target": { "kind": p.target_kind, "reference": p.target },
        "secretsMasked": p.secrets_masked,
        "requests": requests,
    });
    if let Some(instance) = p.instance {
        doc["address"] = json!(crate::plan::address(p.key, Some(instance)));
        doc["instance"] = json!(instance);
    }
    let mut text = serde_json::to_string_pretty(&doc).expect("a preview serializes");
    text.push('\n');
    text
}
