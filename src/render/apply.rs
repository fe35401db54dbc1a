//! Renders an apply: one line per finished operation (Terraform's `webhook.x: Creation
//! complete`), the end report listing every operation, the closing summary, and the JSON
//! report for pipelines.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::apply::{ApplyReport, Counts, Outcome, Status};
use crate::plan::Action;

/// The version of the JSON apply report.
pub const REPORT_FORMAT_VERSION: &str = "1.0";

fn paint(style: Style, text: &str) -> String {
    format!("{}{text}{}", style.render(), style.render_reset())
}

/// The line shown when an operation finishes.
pub fn progress_line(o: &Outcome) -> String {
    let green = AnsiColor::Green.on_default();
    let red = AnsiColor::Red.on_default().bold();
    let id = o
        .webhook_id
        .as_deref()
        .map(|id| format!(" [id={id}]"))
        .unwrap_or_default();
    let what = match (&o.status, o.action) {
        (Status::Applied, Action::Create) => paint(green, "Creation complete"),
        (Status::Applied, Action::Update) => paint(green, "Modifications complete"),
        (Status::Applied, Action::Adopt) => paint(green, "Adoption complete"),
        (Status::Applied, Action::Delete) => paint(green, "Destruction complete"),
        (Status::Failed { .. }, _) => paint(red, "Failed"),
        (Status::NotStarted, _) => "Not started (interrupted)".to_owned(),
    };
    let error = match &o.status {
        Status::Failed {
            http_status,
            error_type,
            message,
        } => {
            let status = http_status
                .map(|s| format!("HTTP {s} "))
                .unwrap_or_default();
            format!(": {status}{error_type}: {message}")
        }
        _ => String::new(),
    };
    format!("webhook.{}: {what}{id}{error}", o.key)
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::Adopt => "adopt",
        Action::Create => "create",
        Action::Update => "update",
        Action::Delete => "delete",
    }
}

/// The end report: every operation, then the summary line.
pub fn report(report: &ApplyReport) -> String {
    let mut out = String::new();
    if report.interrupted {
        out.push_str("\nInterrupted: operations in flight finished; no new ones were started.\n");
    }
    let counts = report.counts();
    if !report.operations.is_empty() {
        out.push_str("\nOperations:\n");
        let key_width = report
            .operations
            .iter()
            .map(|o| o.key.len())
            .max()
            .unwrap_or(0);
        for o in &report.operations {
            let (outcome, detail) = match &o.status {
                Status::Applied => ("applied".to_owned(), String::new()),
                Status::Failed {
                    http_status,
                    error_type,
                    message,
                } => (
                    "FAILED".to_owned(),
                    format!(
                        "  {}{error_type}: {message}",
                        http_status
                            .map(|s| format!("HTTP {s} "))
                            .unwrap_or_default()
                    ),
                ),
                Status::NotStarted => ("not started".to_owned(), String::new()),
            };
            let _ = writeln!(
                out,
                "  {:<key_width$}  {:<6}  {:<17}  {outcome}{detail}",
                o.key,
                action_name(o.action),
                o.webhook_id.as_deref().unwrap_or("-"),
            );
        }
    }
    out.push('\n');
    out.push_str(&summary(&counts, report.is_complete()));
    out
}

/// `Apply complete! Resources: 1 added, 0 changed, 0 destroyed.`, or its incomplete form.
pub fn summary(c: &Counts, complete: bool) -> String {
    let resources = format!(
        "Resources: {} added, {} changed, {} destroyed",
        c.added, c.changed, c.destroyed
    );
    if complete {
        paint(
            AnsiColor::Green.on_default().bold(),
            &format!("Apply complete! {resources}."),
        ) + "\n"
    } else {
        let head = paint(
            AnsiColor::Red.on_default().bold(),
            &format!(
                "Apply incomplete! {resources}; {} failed, {} not started.",
                c.failed, c.not_started
            ),
        );
        format!("{head}\nRun apply again to finish: it plans from the live state and converges.\n")
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    format_version: &'static str,
    tool_version: &'a str,
    owner: &'a str,
    complete: bool,
    interrupted: bool,
    counts: Counts,
    operations: &'a [Outcome],
}

/// The JSON apply report.
pub fn json(report: &ApplyReport, owner: &str) -> String {
    let doc = JsonReport {
        format_version: REPORT_FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION"),
        owner,
        complete: report.is_complete(),
        interrupted: report.interrupted,
        counts: report.counts(),
        operations: &report.operations,
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Target;
    use crate::webhook::TargetKind;

    fn outcome(key: &str, action: Action, status: Status) -> Outcome {
        Outcome {
            key: key.into(),
            action,
            target: Target {
                kind: TargetKind::Actor,
                id: "A1".into(),
                name: "acme/a".into(),
            },
            webhook_id: Some("W1".into()),
            status,
        }
    }

    #[test]
    fn a_complete_apply_ends_with_terraforms_line() {
        let r = ApplyReport {
            operations: vec![outcome("k", Action::Create, Status::Applied)],
            interrupted: false,
        };
        let text = anstream::adapter::strip_str(&report(&r)).to_string();
        assert_eq!(
            text,
            "\nOperations:\n  k  create  W1                 applied\n\nApply complete! Resources: 1 added, 0 changed, 0 destroyed.\n"
        );
    }

    #[test]
    fn a_partial_apply_lists_every_operation_with_its_error() {
        let failed = Status::Failed {
            http_status: Some(500),
            error_type: "internal-server-error".into(),
            message: "boom".into(),
        };
        let r = ApplyReport {
            operations: vec![
                outcome("a", Action::Update, Status::Applied),
                outcome("b", Action::Delete, failed),
                outcome("c", Action::Create, Status::NotStarted),
            ],
            interrupted: true,
        };
        let text = anstream::adapter::strip_str(&report(&r)).to_string();
        insta::assert_snapshot!(text);
        assert!(text.contains(
            "b  delete  W1                 FAILED  HTTP 500 internal-server-error: boom"
        ));
        let line = anstream::adapter::strip_str(&progress_line(&r.operations[1])).to_string();
        assert_eq!(
            line,
            "webhook.b: Failed [id=W1]: HTTP 500 internal-server-error: boom"
        );
    }
}
