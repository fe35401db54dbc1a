//! Diagnostics for machines: `validate --format json` (a versioned document) and
//! `validate --format github` (GitHub Actions workflow commands, `::error file=…,line=…::…`,
//! which GitHub shows as annotations on the pull request's diff). The people's rendering is
//! [`super::diagnostic`]; this one carries the same facts without source excerpts.

use std::fmt::Write as _;

use serde::Serialize;

use super::escape_controls;
use crate::diagnostic::{Diagnostic, Label, Severity};

/// The version of the JSON diagnostics document, `major.minor`; minor versions only add
/// properties.
pub const FORMAT_VERSION: &str = "1.0";

/// What a successful validation found (absent when there are errors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidSummary {
    /// The owner the manifests manage.
    pub owner: String,
    /// Manifest files read.
    pub files: usize,
    /// Webhooks declared.
    pub webhooks: usize,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    format_version: &'static str,
    valid: bool,
    errors: usize,
    warnings: usize,
    summary: Option<&'a ValidSummary>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: &'static str,
    message: &'a str,
    location: Option<JsonLocation<'a>>,
    related: Vec<JsonLocation<'a>>,
    help: &'a [String],
}

/// A span as 1-based lines and character columns; the end is exclusive.
#[derive(Serialize)]
struct JsonLocation<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    label: &'a str,
}

impl<'a> JsonLocation<'a> {
    fn of(label: &'a Label) -> Self {
        let (line, column) = label.source.line_col(label.span.start);
        let (end_line, end_column) = label.source.line_col(label.span.end);
        JsonLocation {
            file: label.source.path(),
            line,
            column,
            end_line,
            end_column,
            label: &label.message,
        }
    }
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The JSON document for `diagnostics`; `summary` is given when the manifests are valid.
pub fn json(diagnostics: &[Diagnostic], summary: Option<&ValidSummary>) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let report = JsonReport {
        format_version: FORMAT_VERSION,
        valid: errors == 0,
        errors,
        warnings: diagnostics.len() - errors,
        summary,
        diagnostics: diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                severity: severity_word(d.severity),
                message: &d.message,
                location: d.primary.as_ref().map(JsonLocation::of),
                related: d.related.iter().map(JsonLocation::of).collect(),
                help: &d.help,
            })
            .collect(),
    };
    super::json_pretty(&report)
}

/// One workflow command per diagnostic (`::error file=…,line=…,col=…,endLine=…,endColumn=…::…`),
/// the label, related places and help folded into the message as further lines. Control
/// characters of what the diagnostic quotes (a file name, a key) are escaped before the
/// command's own escaping, so they cannot end the command or start another.
pub fn github(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let mut props = Vec::new();
        let mut body = escape_controls(&d.message).into_owned();
        if let Some(primary) = &d.primary {
            let (line, col) = primary.source.line_col(primary.span.start);
            let (end_line, end_col) = primary.source.line_col(primary.span.end);
            props.push(format!(
                "file={}",
                escape_property(&escape_controls(primary.source.path()))
            ));
            props.push(format!("line={line}"));
            props.push(format!("col={col}"));
            if end_line != line {
                props.push(format!("endLine={end_line}"));
            } else if end_col > col {
                props.push(format!("endColumn={end_col}"));
            }
            // A label that only repeats the message (`unknown event type` under ``unknown
            // event type `X` ``) adds nothing on a one-box annotation.
            if !primary.message.is_empty() && !d.message.contains(primary.message.as_str()) {
                let _ = write!(body, "\n{}", escape_controls(&primary.message));
            }
        }
        props.push(format!(
            "title={}",
            escape_property("apify-webhooks validate")
        ));
        for related in &d.related {
            let _ = write!(body, "\nsee {}", escape_controls(&related.location()));
            if !related.message.is_empty() {
                let _ = write!(body, ": {}", escape_controls(&related.message));
            }
        }
        for help in &d.help {
            let _ = write!(body, "\nhelp: {}", escape_controls(help));
        }
        let _ = writeln!(
            out,
            "::{} {}::{}",
            severity_word(d.severity),
            props.join(","),
            escape_data(&body)
        );
    }
    out
}

/// Escapes a workflow command's message (GitHub's `escapeData`).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (GitHub's `escapeProperty`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::diagnostic::{SourceFile, Span};

    fn sample() -> Vec<Diagnostic> {
        let src = Arc::new(SourceFile::new(
            "hooks/a,b.yaml",
            "version: 1\nwebhooks:\n  - key: x\n    url: ftp://x\n",
        ));
        vec![
            Diagnostic::error("`url` must be http or https: 100%")
                .at(&src, Span::new(41, 48), "not http")
                .related(&src, Span::new(30, 31), "declared here")
                .help("use https://"),
            Diagnostic::warning("`${TOKEN}` is not set"),
        ]
    }

    #[test]
    fn github_commands_point_at_the_span_and_escape_what_github_parses() {
        let out = github(&sample());
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert_eq!(
            lines[0],
            "::error file=hooks/a%2Cb.yaml,line=4,col=10,endColumn=17,title=apify-webhooks validate::`url` must be http or https: 100%25%0Anot http%0Asee hooks/a,b.yaml:3:10: declared here%0Ahelp: use https://"
        );
        assert_eq!(
            lines[1],
            "::warning title=apify-webhooks validate::`${TOKEN}` is not set"
        );
    }

    #[test]
    fn github_leaves_out_a_label_that_repeats_the_message() {
        let src = Arc::new(SourceFile::new(
            "hooks.yaml",
            "eventTypes: [ACTOR.RUN.TIMEDOUT]\n",
        ));
        let out = github(
            &[Diagnostic::error("unknown event type `ACTOR.RUN.TIMEDOUT`")
                .at(&src, Span::new(13, 31), "unknown event type")
                .help("did you mean `ACTOR.RUN.TIMED_OUT`?")],
        );
        assert_eq!(
            out,
            "::error file=hooks.yaml,line=1,col=14,endColumn=32,title=apify-webhooks validate::unknown event type `ACTOR.RUN.TIMEDOUT`%0Ahelp: did you mean `ACTOR.RUN.TIMED_OUT`?\n"
        );
    }

    #[test]
    fn no_format_shows_an_api_token_a_manifest_quotes() {
        let token = "apify_api_abcdefghijklmnopqrstuvwxyz0123";
        let src = Arc::new(SourceFile::new(
            "t.yaml",
            format!("eventTypes: [{token}]\n"),
        ));
        let d = [Diagnostic::error(format!("unknown event type `{token}`"))
            .at(&src, Span::new(13, 13 + token.len()), format!("`{token}`"))
            .help(format!("not `{token}`"))];
        for out in [github(&d), json(&d, None)] {
            assert!(!out.contains("abcdefghij"), "{out}");
            assert!(out.contains("apify_api_***"), "{out}");
        }
    }

    #[test]
    fn no_format_lets_a_quoted_control_character_start_a_line() {
        let src = Arc::new(SourceFile::new("a\r::warning::F\u{7f}.yaml", "key: x\n"));
        let d = [Diagnostic::error("bad `x\n::error::M\u{85}`")
            .at(&src, Span::new(5, 6), "label\r::notice::L")
            .related(&src, Span::new(0, 3), "rel\u{2028}::x")
            .help("help\u{1b}[2J")];
        let github = github(&d);
        assert_eq!(
            github,
            "::error file=a\\r%3A%3Awarning%3A%3AF\\u{7f}.yaml,line=1,col=6,endColumn=7,title=apify-webhooks validate::bad `x\\n::error::M\\u{85}`%0Alabel\\r::notice::L%0Asee a\\r::warning::F\\u{7f}.yaml:1:1: rel\\u{2028}::x%0Ahelp: help\\u{1b}[2J\n"
        );
        let json = json(&d, None);
        assert!(
            !json
                .chars()
                .any(|c| c != '\n' && crate::render::needs_escape(c)),
            "{json}"
        );
        // Still the same values once parsed.
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            doc["diagnostics"][0]["location"]["file"],
            "a\r::warning::F\u{7f}.yaml"
        );
        assert_eq!(
            doc["diagnostics"][0]["message"],
            "bad `x\n::error::M\u{85}`"
        );
        assert_eq!(
            doc["diagnostics"][0]["related"][0]["label"],
            "rel\u{2028}::x"
        );
    }

    #[test]
    fn json_has_locations_counts_and_the_summary() {
        let doc: serde_json::Value = serde_json::from_str(&json(&sample(), None)).unwrap();
        assert_eq!(doc["format_version"], FORMAT_VERSION);
        assert_eq!(doc["valid"], false);
        assert_eq!(doc["errors"], 1);
        assert_eq!(doc["warnings"], 1);
        assert!(doc["summary"].is_null());
        let first = &doc["diagnostics"][0];
        assert_eq!(first["severity"], "error");
        assert_eq!(first["location"]["file"], "hooks/a,b.yaml");
        assert_eq!(first["location"]["line"], 4);
        assert_eq!(first["location"]["column"], 10);
        assert_eq!(first["location"]["end_column"], 17);
        assert_eq!(first["related"][0]["line"], 3);
        assert_eq!(first["help"][0], "use https://");
        assert!(doc["diagnostics"][1]["location"].is_null());

        let summary = ValidSummary {
            owner: "ops".into(),
            files: 1,
            webhooks: 2,
        };
        let doc: serde_json::Value = serde_json::from_str(&json(&[], Some(&summary))).unwrap();
        assert_eq!(doc["valid"], true);
        assert_eq!(doc["summary"]["webhooks"], 2);
    }
}
