//! Renders "will it deliver?": the `status` report (text with failing webhooks highlighted,
//! JSON for pipelines, Markdown for a chat or an issue) and the outcome of `test` (the
//! receiver's answer: status, body excerpt, duration, error), and what `emulator fire` did
//! (its dispatches, and one progress line per delivery call). Everything shown was scrubbed of
//! secrets by [`crate::delivery`]; user-controlled text is escaped for the terminal.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use serde_json::json;

use crate::delivery::{
    DispatchStatus, Health, RECENT_DISPATCHES, StatusReport, TestOutcome, TestProgress,
    WebhookStatus,
};
use crate::diagnostic::shown;
use crate::emulator::{CallOutcome, FireProgress, FiredDispatch, FiredRun};

/// The version of the JSON status and test reports.
pub const REPORT_FORMAT_VERSION: &str = "1.0";

fn paint(style: Style, text: &str) -> String {
    format!("{}{text}{}", style.render(), style.render_reset())
}

fn health_word(health: Health) -> &'static str {
    match health {
        Health::Healthy => "healthy",
        Health::Failing => "FAILING",
        Health::Pending => "pending",
        Health::Idle => "no dispatches",
        Health::Disabled => {
            "DISABLED on the platform (delivers nothing; enable it in the Apify Console)"
        }
    }
}

fn health_style(health: Health) -> Style {
    match health {
        Health::Healthy => AnsiColor::Green.on_default(),
        Health::Failing | Health::Disabled => AnsiColor::Red.on_default().bold(),
        Health::Pending => AnsiColor::Yellow.on_default(),
        Health::Idle => Style::new().dimmed(),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "2 of the last 5 failed (40%)", or "none finished yet".
fn failure_rate(w: &WebhookStatus) -> String {
    match w.failure_rate() {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(rate) => format!(
            "{} of the last {} failed ({}%)",
            w.recent_failed,
            w.recent_finished,
            (rate * 100.0).round() as u32
        ),
        None => "none finished yet".to_owned(),
    }
}

fn last_line(w: &WebhookStatus) -> String {
    match &w.last_dispatch {
        None => "never dispatched".to_owned(),
        Some(d) => {
            let mut line = format!(
                "last {} {}",
                d.status.as_str(),
                shown(d.created_at.as_deref().unwrap_or("(no time)"))
            );
            if let Some(event) = &d.event_type {
                let _ = write!(line, " ({})", shown(event));
            }
            match (d.response_status, &d.error_message) {
                (Some(status), _) => {
                    let _ = write!(line, ", HTTP {status}");
                }
                (None, Some(error)) => {
                    let _ = write!(line, ", {}", shown(error.trim_end_matches('.')));
                }
                (None, None) => {}
            }
            line
        }
    }
}

fn counts(report: &StatusReport) -> String {
    let count = |h: Health| report.webhooks.iter().filter(|w| w.health == h).count() as u64;
    let mut parts = vec![
        format!("{} healthy", count(Health::Healthy)),
        format!("{} failing", count(Health::Failing)),
    ];
    if count(Health::Pending) > 0 {
        parts.push(format!("{} pending", count(Health::Pending)));
    }
    if count(Health::Idle) > 0 {
        parts.push(format!("{} without dispatches", count(Health::Idle)));
    }
    if count(Health::Disabled) > 0 {
        parts.push(format!("{} disabled", count(Health::Disabled)));
    }
    parts.join(", ")
}

/// The status report as text: one block per webhook, failing ones in red, then a summary.
pub fn status_text(report: &StatusReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Delivery status of {} of owner `{}`:\n",
        plural(
            report.webhooks.len() as u64,
            "managed webhook",
            "managed webhooks"
        ),
        shown(&report.owner)
    );
    for w in &report.webhooks {
        let mark = match w.health {
            Health::Failing | Health::Disabled => "✗",
            Health::Healthy => "✓",
            Health::Pending | Health::Idle => "·",
        };
        let style = health_style(w.health);
        let target = w
            .target
            .as_deref()
            .map(|t| format!(" on {}", shown(t)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} webhook.{}{target}: {}",
            paint(style, mark),
            shown(&w.key),
            paint(style, health_word(w.health))
        );
        let _ = writeln!(
            out,
            "      {}; {}, {}",
            last_line(w),
            plural(w.total_dispatches, "dispatch", "dispatches"),
            failure_rate(w)
        );
    }
    for key in &report.not_applied {
        let _ = writeln!(
            out,
            "  · webhook.{}: not on the platform (run `apify-webhooks apply`)",
            shown(key)
        );
    }
    if !report.webhooks.is_empty() || !report.not_applied.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "Status: {}.", counts(report));
    out
}

/// The one line `-q` prints.
pub fn status_summary_line(report: &StatusReport) -> String {
    format!("Status: {}.\n", counts(report))
}

/// The status report as versioned JSON.
pub fn status_json(report: &StatusReport) -> String {
    let webhooks: Vec<_> = report
        .webhooks
        .iter()
        .map(|w| {
            json!({
                "key": w.key,
                "webhookId": w.webhook_id,
                "target": w.target,
                "eventTypes": w.event_types,
                "health": w.health,
                "lastDispatch": w.last_dispatch,
                "totalDispatches": w.total_dispatches,
                "recent": {
                    "window": RECENT_DISPATCHES,
                    "finished": w.recent_finished,
                    "failed": w.recent_failed,
                    "failureRate": w.failure_rate(),
                },
            })
        })
        .collect();
    let doc = json!({
        "formatVersion": REPORT_FORMAT_VERSION,
        "owner": report.owner,
        "healthy": !report.any_failing(),
        "webhooks": webhooks,
        "notApplied": report.not_applied,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// How [`status_environments`] lays out its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusLayout {
    /// Text sections.
    Text,
    /// One summary line per environment (`-q`).
    Summary,
    /// One JSON document.
    Json,
    /// Markdown sections.
    Markdown,
}

/// The status of every environment of a project file, one section each: text, JSON (the
/// single report per environment under `environments`) or Markdown.
pub fn status_environments(reports: &[(&str, &StatusReport)], layout: StatusLayout) -> String {
    if layout == StatusLayout::Json {
        let environments: Vec<_> = reports
            .iter()
            .map(|(name, r)| {
                json!({
                    "name": name,
                    "report": serde_json::from_str::<serde_json::Value>(&status_json(r))
                        .unwrap_or_default(),
                })
            })
            .collect();
        let doc = json!({
            "formatVersion": REPORT_FORMAT_VERSION,
            "healthy": reports.iter().all(|(_, r)| !r.any_failing()),
            "environments": environments,
        });
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    } else {
        let mut out = String::new();
        for (name, r) in reports {
            match layout {
                StatusLayout::Markdown => {
                    let _ = writeln!(out, "## Environment `{}`\n", cell(name));
                    out.push_str(&status_markdown(r));
                }
                StatusLayout::Summary => {
                    let _ = write!(out, "{}: {}", shown(name), status_summary_line(r));
                }
                StatusLayout::Text | StatusLayout::Json => {
                    let _ = writeln!(out, "── Environment `{}` ──", shown(name));
                    out.push_str(&status_text(r));
                }
            }
            if layout != StatusLayout::Summary {
                out.push('\n');
            }
        }
        out
    }
}

/// Escapes `|` and line breaks for a Markdown table cell.
fn cell(text: &str) -> String {
    shown(text).replace('|', "\\|")
}

/// The status report as a Markdown table, failing ones in bold.
pub fn status_markdown(report: &StatusReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### Webhook delivery status (owner `{}`)\n",
        cell(&report.owner)
    );
    out.push_str("| Webhook | Target | Health | Last dispatch | Dispatches | Recent failures |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for w in &report.webhooks {
        let health = match w.health {
            Health::Failing => "**❌ failing**".to_owned(),
            Health::Disabled => "**❌ disabled on the platform**".to_owned(),
            Health::Healthy => "✅ healthy".to_owned(),
            other => health_word(other).to_owned(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {health} | {} | {} | {} |",
            cell(&w.key),
            cell(w.target.as_deref().unwrap_or("")),
            cell(&last_line(w)),
            w.total_dispatches,
            cell(&failure_rate(w)),
        );
    }
    for key in &report.not_applied {
        let _ = writeln!(out, "| `{}` | | not applied | | 0 | |", cell(key));
    }
    let _ = writeln!(out, "\n{}.", counts(report));
    out
}

/// A progress line of `test`, for stderr.
pub fn test_progress(progress: &TestProgress<'_>) -> String {
    match progress {
        TestProgress::Sent {
            key,
            instance,
            dispatch_id,
        } => format!(
            "{}: test dispatch {} sent; waiting for the receiver...",
            shown(&crate::plan::address(key, *instance)),
            shown(dispatch_id)
        ),
        TestProgress::Waiting {
            key,
            instance,
            elapsed,
        } => format!(
            "{}: still waiting ({}s)...",
            shown(&crate::plan::address(key, *instance)),
            elapsed.as_secs()
        ),
    }
}

/// The outcomes of `test` as text: per webhook, the receiver's answer.
pub fn test_text(outcomes: &[TestOutcome]) -> String {
    let mut out = String::new();
    for o in outcomes {
        let (style, verdict) = match (o.status, o.timed_out) {
            (DispatchStatus::Succeeded, _) => (AnsiColor::Green.on_default(), "delivered"),
            (_, true) => (
                AnsiColor::Yellow.on_default().bold(),
                "no outcome yet (still being delivered)",
            ),
            _ => (AnsiColor::Red.on_default().bold(), "NOT delivered"),
        };
        let _ = writeln!(
            out,
            "{}: {} [dispatch {}]",
            shown(&crate::plan::address(&o.key, o.instance.as_deref())),
            paint(style, verdict),
            shown(&o.dispatch_id)
        );
        if let Some(status) = o.response_status {
            let _ = writeln!(out, "  response: HTTP {status}");
        }
        if let Some(ms) = o.duration_ms {
            let _ = writeln!(out, "  duration: {ms} ms");
        }
        if let Some(body) = &o.response_body {
            let body = if body.is_empty() {
                "(empty)".to_owned()
            } else {
                shown(body).into_owned()
            };
            let _ = writeln!(out, "  body: {body}");
        }
        if let Some(error) = &o.error_message {
            let _ = writeln!(out, "  error: {}", shown(error));
        }
    }
    out
}

/// The outcomes of `test` as versioned JSON.
pub fn test_json(outcomes: &[TestOutcome]) -> String {
    let doc = json!({
        "formatVersion": REPORT_FORMAT_VERSION,
        "tests": outcomes,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// The webhook a fired dispatch delivers, as the user knows it: `webhook.<key>` (with its owner)
/// when this tool manages it, else `unmanaged webhook <ID>`.
fn fired_webhook(d: &FiredDispatch) -> String {
    match d
        .webhook_description
        .as_deref()
        .and_then(crate::plan::marker::parse)
    {
        Some(marker) => format!(
            "webhook.{} (owner {})",
            shown(marker.key),
            shown(marker.owner)
        ),
        None => format!("unmanaged webhook {}", shown(&d.webhook_id)),
    }
}

/// A delivery call's answer: `HTTP 500`, or the error when there was no answer.
fn call_answer(call: &serde_json::Value) -> Option<String> {
    call["responseStatus"]
        .as_u64()
        .map(|s| format!("HTTP {s}"))
        .or_else(|| call["errorMessage"].as_str().map(|e| shown(e).into_owned()))
}

/// One line of `emulator fire`'s progress (for stderr).
pub fn fire_progress(progress: &FireProgress<'_>) -> String {
    match progress {
        FireProgress::Waiting { dispatches, wait } => format!(
            "Waiting for {} (at most {}s)...",
            plural(*dispatches as u64, "delivery", "deliveries"),
            wait.as_secs()
        ),
        FireProgress::Call {
            dispatch,
            attempt,
            call,
            outcome,
        } => {
            let answer = call_answer(call).unwrap_or_else(|| "no answer".to_owned());
            let answer = answer.trim_end_matches('.');
            let outcome = match outcome {
                CallOutcome::Delivered => "delivered",
                CallOutcome::Retrying => "failed; retrying",
                CallOutcome::GaveUp => "failed; no more retries",
            };
            format!(
                "  {} -> {}: attempt {attempt}: {answer}: {outcome}",
                shown(&dispatch.event_type),
                fired_webhook(dispatch),
            )
        }
    }
}

/// What `emulator fire` did, as text: the run, then one line per dispatch with the webhook's
/// key and the receiver's last answer, then how many deliveries failed.
pub fn fire_text(run: &FiredRun) -> String {
    let mut out = String::new();
    let started = run
        .actor_task_name
        .as_deref()
        .or(run.actor_task_id.as_deref())
        .map(|t| format!(" (started by task {})", shown(t)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "Simulated {} {} of Actor {}{started}: {}; {}.",
        shown(&run.kind),
        shown(&run.id),
        shown(run.actor_name.as_deref().unwrap_or(&run.actor_id)),
        shown(&run.status),
        plural(run.dispatches.len() as u64, "dispatch", "dispatches"),
    );
    for d in &run.dispatches {
        let status = d.status.as_deref().unwrap_or("ACTIVE");
        let style = match status {
            "SUCCEEDED" => AnsiColor::Green.on_default(),
            "FAILED" => AnsiColor::Red.on_default().bold(),
            _ => Style::new(),
        };
        let calls = if d.calls.is_empty() {
            String::new()
        } else {
            let answer = d
                .calls
                .last()
                .and_then(call_answer)
                .map(|a| format!(", last: {a}"))
                .unwrap_or_default();
            format!(
                " ({}{answer})",
                plural(d.calls.len() as u64, "call", "calls")
            )
        };
        let _ = writeln!(
            out,
            "  {} -> {}: {}{calls}",
            shown(&d.event_type),
            fired_webhook(d),
            paint(style, status),
        );
    }
    let failed = run
        .dispatches
        .iter()
        .filter(|d| d.status.as_deref() == Some("FAILED"))
        .count();
    if failed > 0 {
        let _ = writeln!(
            out,
            "{} of {} failed.",
            plural(failed as u64, "delivery", "deliveries"),
            run.dispatches.len()
        );
    }
    if run.delivered == Some(false) {
        out.push_str("Some deliveries were still running when the wait ended.\n");
    }
    out
}

/// What `emulator fire` did, as JSON: the emulator's answer, each dispatch with the
/// `webhookKey` and `webhookOwner` of its marker (`null` for an unmanaged webhook).
pub fn fire_json(run: &FiredRun) -> String {
    let mut value = serde_json::to_value(run).unwrap_or_default();
    if let Some(items) = value["dispatches"].as_array_mut() {
        for (item, d) in items.iter_mut().zip(&run.dispatches) {
            let marker = d
                .webhook_description
                .as_deref()
                .and_then(crate::plan::marker::parse);
            item["webhookKey"] = json!(marker.as_ref().map(|m| m.key));
            item["webhookOwner"] = json!(marker.as_ref().map(|m| m.owner));
        }
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::LastDispatch;

    fn report() -> StatusReport {
        let last = |status, code| LastDispatch {
            id: "D1".to_owned(),
            status,
            event_type: Some("ACTOR.RUN.FAILED".to_owned()),
            created_at: Some("2025-01-01T00:00:00.000Z".to_owned()),
            response_status: Some(code),
            error_message: None,
        };
        StatusReport {
            owner: "team".to_owned(),
            webhooks: vec![
                WebhookStatus {
                    key: "alerts".to_owned(),
                    webhook_id: "W1".to_owned(),
                    target: Some("acme/web-scraper".to_owned()),
                    target_id: None,
                    event_types: vec!["ACTOR.RUN.FAILED".to_owned()],
                    last_dispatch: Some(last(DispatchStatus::Succeeded, 200)),
                    total_dispatches: 3,
                    recent_finished: 3,
                    recent_failed: 0,
                    health: Health::Healthy,
                },
                WebhookStatus {
                    key: "broken|pipe".to_owned(),
                    webhook_id: "W2".to_owned(),
                    target: Some("acme/daily-crawl".to_owned()),
                    target_id: None,
                    event_types: vec!["ACTOR.RUN.FAILED".to_owned()],
                    last_dispatch: Some(last(DispatchStatus::Failed, 500)),
                    total_dispatches: 1,
                    recent_finished: 1,
                    recent_failed: 1,
                    health: Health::Failing,
                },
            ],
            not_applied: vec!["later".to_owned()],
        }
    }

    #[test]
    fn status_in_every_format() {
        let report = report();
        insta::assert_snapshot!("status_text", strip(&status_text(&report)));
        insta::assert_snapshot!("status_json", status_json(&report));
        insta::assert_snapshot!("status_markdown", status_markdown(&report));
    }

    /// Issue 16, item 2: a webhook the platform disabled is not "healthy" however its last
    /// dispatch went: named in every format, and the report is not healthy.
    #[test]
    fn a_disabled_webhook_is_named_and_makes_the_report_unhealthy() {
        let mut report = report();
        report.webhooks.truncate(1);
        assert!(!report.any_failing());
        report.webhooks[0].health = Health::Disabled;
        assert!(report.any_failing());
        let text = strip(&status_text(&report));
        assert!(
            text.contains("✗ webhook.alerts on acme/web-scraper: DISABLED on the platform"),
            "{text}"
        );
        assert!(
            text.contains("Status: 0 healthy, 0 failing, 1 disabled."),
            "{text}"
        );
        assert!(status_json(&report).contains("\"healthy\": false"));
        assert!(status_markdown(&report).contains("disabled on the platform"));
    }

    #[test]
    fn failing_webhooks_are_red_in_colour() {
        let text = status_text(&report());
        let red = AnsiColor::Red.on_default().bold().render().to_string();
        let line = text.lines().find(|l| l.contains("webhook.broken")).unwrap();
        assert!(line.contains(&format!("{red}FAILING")), "{line:?}");
        let healthy = text.lines().find(|l| l.contains("webhook.alerts")).unwrap();
        assert!(!healthy.contains(&red), "{healthy:?}");
    }

    fn strip(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('\u{1b}') {
            out.push_str(&rest[..at]);
            let end = rest[at..].find('m').map_or(rest.len(), |e| at + e + 1);
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn fired_webhooks_are_named_by_their_marker_and_every_attempt_says_what_follows() {
        use crate::emulator::{CallOutcome, FireProgress, FiredDispatch, FiredRun};
        let marked = FiredDispatch {
            id: "D1".to_owned(),
            webhook_id: "W1".to_owned(),
            webhook_description: Some(
                "Page us [apify-webhooks owner=team key=alerts secrets=none]".to_owned(),
            ),
            event_type: "ACTOR.RUN.FAILED".to_owned(),
            status: Some("FAILED".to_owned()),
            calls: vec![
                json!({"responseStatus": 500}),
                json!({"responseStatus": 503}),
            ],
        };
        let unmanaged = FiredDispatch {
            id: "D2".to_owned(),
            webhook_id: "W2".to_owned(),
            webhook_description: Some("made in the\r::warning::Console".to_owned()),
            event_type: "ACTOR.RUN.FAILED".to_owned(),
            status: Some("SUCCEEDED".to_owned()),
            calls: vec![json!({"responseStatus": 200})],
        };
        let run = FiredRun {
            id: "R1".to_owned(),
            kind: "run".to_owned(),
            actor_id: "A1".to_owned(),
            actor_name: Some("acme/web-scraper".to_owned()),
            dispatches: vec![marked.clone(), unmanaged],
            delivered: Some(true),
            ..FiredRun::default()
        };
        let text = strip(&fire_text(&run));
        assert!(text.contains("of Actor acme/web-scraper: "), "{text}");
        assert!(
            text.contains(
                "ACTOR.RUN.FAILED -> webhook.alerts (owner team): FAILED (2 calls, last: HTTP 503)"
            ),
            "{text}"
        );
        assert!(
            text.contains("-> unmanaged webhook W2: SUCCEEDED"),
            "{text}"
        );
        assert!(text.contains("1 delivery of 2 failed."), "{text}");
        let json: serde_json::Value = serde_json::from_str(&fire_json(&run)).unwrap();
        assert_eq!(json["dispatches"][0]["webhookKey"], "alerts");
        assert_eq!(json["dispatches"][0]["webhookOwner"], "team");
        assert_eq!(json["dispatches"][1]["webhookKey"], serde_json::Value::Null);

        let line = fire_progress(&FireProgress::Call {
            dispatch: &marked,
            attempt: 1,
            call: &marked.calls[0],
            outcome: CallOutcome::Retrying,
        });
        assert_eq!(
            line,
            "  ACTOR.RUN.FAILED -> webhook.alerts (owner team): attempt 1: HTTP 500: failed; retrying"
        );
    }
}
