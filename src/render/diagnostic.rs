//! Renders [`Diagnostic`]s the way rustc and just do: the message, `--> file:line:column`, the
//! source line, and a caret under the exact place. Output is deterministic; styles are ANSI
//! escapes that the console strips when colour is off.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use crate::diagnostic::{Diagnostic, Label, Severity};

/// The styles of a rendered diagnostic.
#[derive(Debug, Clone, Copy)]
pub struct Styles {
    /// `error` and its carets.
    pub error: Style,
    /// `warning` and its carets.
    pub warning: Style,
    /// The gutter, arrows and related carets.
    pub gutter: Style,
    /// The message line.
    pub message: Style,
    /// `help`.
    pub help: Style,
}

impl Default for Styles {
    fn default() -> Self {
        Styles {
            error: AnsiColor::Red.on_default().bold(),
            warning: AnsiColor::Yellow.on_default().bold(),
            gutter: AnsiColor::Blue.on_default().bold(),
            message: Style::new().bold(),
            help: AnsiColor::Cyan.on_default().bold(),
        }
    }
}

/// Renders every diagnostic, then a summary line counting errors and warnings.
pub fn render_all(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&render(d));
        out.push('\n');
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let s = Styles::default();
    match (errors, warnings) {
        (0, 0) => {}
        (0, w) => {
            let _ = writeln!(
                out,
                "{}warning{}: {}",
                s.warning.render(),
                s.warning.render_reset(),
                plural(w, "warning")
            );
        }
        (e, w) => {
            let counts = if w == 0 {
                plural(e, "error")
            } else {
                format!("{} and {}", plural(e, "error"), plural(w, "warning"))
            };
            let _ = writeln!(
                out,
                "{}error{}: {counts}",
                s.error.render(),
                s.error.render_reset()
            );
        }
    }
    out
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Renders one diagnostic.
pub fn render(d: &Diagnostic) -> String {
    let s = Styles::default();
    let (word, style) = match d.severity {
        Severity::Error => ("error", s.error),
        Severity::Warning => ("warning", s.warning),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}{word}{}: {}{}{}",
        style.render(),
        style.render_reset(),
        s.message.render(),
        d.message,
        s.message.render_reset()
    );
    let labels: Vec<(&Label, bool)> = d
        .primary
        .iter()
        .map(|l| (l, true))
        .chain(d.related.iter().map(|l| (l, false)))
        .collect();
    let width = labels
        .iter()
        .map(|(l, _)| l.source.line_col(l.span.start).0.to_string().len())
        .max()
        .unwrap_or(0);
    let pad = " ".repeat(width);
    let g = |text: &str| format!("{}{text}{}", s.gutter.render(), s.gutter.render_reset());
    for (label, primary) in &labels {
        let (line, col) = label.source.line_col(label.span.start);
        let arrow = if *primary { "-->" } else { ":::" };
        let _ = writeln!(out, "{pad}{} {}", g(arrow), label.location());
        let text = label.source.line_text(line);
        let _ = writeln!(out, "{pad} {}", g("|"));
        let shown = expand_tabs(text);
        let sep = if shown.is_empty() { "" } else { " " };
        let _ = writeln!(
            out,
            "{} {}{sep}{shown}",
            g(&format!("{line:>width$}")),
            g("|")
        );
        let caret_style = if *primary { style } else { s.gutter };
        let indent = display_width(text.chars().take(col - 1));
        let len = caret_len(label, text, col);
        let mark = if *primary { "^" } else { "-" };
        let message = if label.message.is_empty() {
            String::new()
        } else {
            format!(" {}", label.message)
        };
        let _ = writeln!(
            out,
            "{pad} {} {}{}{}{}{}",
            g("|"),
            " ".repeat(indent),
            caret_style.render(),
            mark.repeat(len),
            message,
            caret_style.render_reset()
        );
    }
    if !d.help.is_empty() {
        if !labels.is_empty() {
            let _ = writeln!(out, "{pad} {}", g("|"));
        }
        for help in &d.help {
            let _ = writeln!(
                out,
                "{pad} {} {}help{}: {help}",
                g("="),
                s.help.render(),
                s.help.render_reset()
            );
        }
    }
    out
}

/// How many carets to draw: the span's width on its first line, at least one.
fn caret_len(label: &Label, line_text: &str, col: usize) -> usize {
    let (end_line, end_col) = label.source.line_col(label.span.end);
    let (line, _) = label.source.line_col(label.span.start);
    let rest = line_text.chars().skip(col - 1);
    let width = if end_line == line {
        display_width(rest.take(end_col.saturating_sub(col)))
    } else {
        display_width(rest)
    };
    width.max(1)
}

fn display_width(chars: impl Iterator<Item = char>) -> usize {
    chars.map(|c| if c == '\t' { 4 } else { 1 }).sum()
}

fn expand_tabs(text: &str) -> String {
    text.replace('\t', "    ")
}
