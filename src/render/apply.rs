//! Renders an apply: one line per finished operation (Terraform's `webhook.x: Creation
//! complete`), the end report listing every operation, the closing summary, and the JSON
//! report for pipelines.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use super::escape_controls;
use crate::apply::{ApplyReport, Counts, Outcome, Status};
use crate::plan::Action;

/// The version of the JSON apply report (1.1: `counts.adopted`, no longer in `changed`; 1.2:
/// an operation's optional `note`).
pub const REPORT_FORMAT_VERSION: &str = "1.2";

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
            format!(
                ": {status}{}: {}",
                escape_controls(error_type),
                escape_controls(message)
            )
        }
        _ => String::new(),
    };
    let note = o
        .note
        .as_deref()
        .map(|n| format!(": {}", escape_controls(n)))
        .unwrap_or_default();
    format!(
        "{}: {what}{id}{error}{note}",
        crate::plan::address(&o.key, o.instance.as_deref())
    )
}

/// The end of an apply's text output: what the per-operation lines could not say (an
/// interruption, the operations never started), then the summary. Finished operations were
/// each shown once already, as they finished ([`progress_line`]).
pub fn report(report: &ApplyReport) -> String {
    let mut out = String::new();
    if report.interrupted {
        out.push_str("\nInterrupted: operations in flight finished; no new ones were started.\n");
    }
    for o in &report.operations {
        if matches!(o.status, Status::NotStarted) {
            let _ = writeln!(out, "{}", progress_line(o));
        }
    }
    out.push('\n');
    out.push_str(&summary(&report.counts(), report.is_complete()));
    out
}

/// `Apply complete! Resources: 1 added, 0 changed, 0 destroyed.` (`1 adopted, ` first when
/// there were adoptions, as the plan's `1 to adopt`), or its incomplete form.
pub fn summary(c: &Counts, complete: bool) -> String {
    let resources = format!(
        "Resources: {}{} added, {} changed, {} destroyed",
        if c.adopted > 0 {
            format!("{} adopted, ", c.adopted)
        } else {
            String::new()
        },
        c.added,
        c.changed,
        c.destroyed
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
            instance: None,
            action,
            target: Target {
                kind: TargetKind::Actor,
                id: "A1".into(),
                name: "acme/a".into(),
            },
            webhook_id: Some("W1".into()),
            status,
            note: None,
        }
    }

    #[test]
    fn a_complete_apply_ends_with_terraforms_line_and_repeats_no_operation() {
        let r = ApplyReport {
            operations: vec![outcome("k", Action::Create, Status::Applied)],
            interrupted: false,
        };
        let text = anstream::adapter::strip_str(&report(&r)).to_string();
        assert_eq!(
            text,
            "\nApply complete! Resources: 1 added, 0 changed, 0 destroyed.\n"
        );
    }

    #[test]
    fn a_partial_apply_names_what_did_not_start_and_how_to_finish() {
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
        assert!(text.contains("webhook.c: Not started (interrupted)"));
        assert!(!text.contains("webhook.a"), "{text}");
        let line = anstream::adapter::strip_str(&progress_line(&r.operations[1])).to_string();
        assert_eq!(
            line,
            "webhook.b: Failed [id=W1]: HTTP 500 internal-server-error: boom"
        );
    }

    #[test]
    fn a_servers_message_cannot_start_a_line_of_its_own() {
        let hostile = Status::Failed {
            http_status: Some(500),
            error_type: "x\r::warning::T".into(),
            message: "boom\n::error::M\u{1b}[2J".into(),
        };
        let line = progress_line(&outcome("k", Action::Update, hostile));
        let line = anstream::adapter::strip_str(&line).to_string();
        assert_eq!(
            line,
            "webhook.k: Failed [id=W1]: HTTP 500 x\\r::warning::T: boom\\n::error::M\\u{1b}[2J"
        );
    }
}
