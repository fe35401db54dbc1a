//! Renders [`Diagnostic`]s the way rustc and just do: the message, `--> file:line:column`, the
//! source line, and a caret under the exact place. Output is deterministic; styles are ANSI
//! escapes that the console strips when colour is off.
//!
//! What is echoed is bounded, masked and escaped: a source line longer than 200 columns is cut
//! around the caret (`…` marks the cut), messages are cut at 1,000 characters, anything that
//! looks like an Apify API token is masked, since a manifest path can name any file, and every
//! control character of a message, a file name or a source line is written as an escape
//! (`\r`, `\u{1b}`; tabs in source lines expand), so no name and no line of a manifest can
//! start a line of its own on stderr (a line starting `::warning` is a GitHub workflow command)
//! or drive the terminal.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use super::plural;
use super::{escape_controls, needs_escape};
use crate::diagnostic::{Diagnostic, Label, Severity, mask_tokens};

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
        shorten(&d.message),
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
        let _ = writeln!(
            out,
            "{pad}{} {}",
            g(arrow),
            escape_controls(&label.location())
        );
        let _ = writeln!(out, "{pad} {}", g("|"));
        let echo = Echo::new(label, line, col);
        let sep = if echo.text.is_empty() { "" } else { " " };
        let _ = writeln!(
            out,
            "{} {}{sep}{}",
            g(&format!("{line:>width$}")),
            g("|"),
            echo.text
        );
        let caret_style = if *primary { style } else { s.gutter };
        let mark = if *primary { "^" } else { "-" };
        let message = if label.message.is_empty() {
            String::new()
        } else {
            format!(" {}", shorten(&label.message))
        };
        let _ = writeln!(
            out,
            "{pad} {} {}{}{}{}{}",
            g("|"),
            " ".repeat(echo.indent),
            caret_style.render(),
            mark.repeat(echo.carets),
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
                "{pad} {} {}help{}: {}",
                g("="),
                s.help.render(),
                s.help.render_reset(),
                shorten(help)
            );
        }
    }
    // Messages may quote values too.
    mask_tokens(&out).into_owned()
}

/// The widest part of a source line echoed, in columns; longer lines are cut around the caret.
const MAX_ECHO_COLUMNS: usize = 200;
/// How many columns before the caret a cut line keeps.
const ECHO_CONTEXT: usize = 100;
/// The longest message shown, in characters.
const MAX_MESSAGE_CHARS: usize = 1000;

/// A message cut to [`MAX_MESSAGE_CHARS`], its control characters escaped.
fn shorten(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((at, _)) => format!("{}…", escape_controls(&message[..at])),
        None => escape_controls(message).into_owned(),
    }
}

/// The echoed source line of a label, and where its carets go.
struct Echo {
    /// The line, tokens masked, tabs expanded, other control characters escaped, cut to
    /// [`MAX_ECHO_COLUMNS`] around the caret (with `…` where it was cut).
    text: String,
    /// Columns before the first caret.
    indent: usize,
    /// How many carets: the span's width on its line, within what is shown, at least one.
    carets: usize,
}

impl Echo {
    fn new(label: &Label, line: usize, col: usize) -> Echo {
        let masked = mask_tokens(label.source.line_text(line));
        let chars: Vec<char> = masked.chars().collect();
        let start = (col - 1).min(chars.len());
        let (end_line, end_col) = label.source.line_col(label.span.end);
        let end = if end_line == line {
            (end_col - 1).clamp(start, chars.len())
        } else {
            chars.len()
        };
        let (from, to) = window(&chars, start);
        let mut text = String::new();
        let mut indent = 0;
        if from > 0 {
            text.push('…');
            indent = 1;
        }
        for &c in &chars[from..to] {
            text.push_str(&shown(c));
        }
        if to < chars.len() {
            text.push('…');
        }
        indent += display_width(chars[from..start].iter().copied());
        let carets = display_width(chars[start..end.min(to)].iter().copied()).max(1);
        Echo {
            text,
            indent,
            carets,
        }
    }
}

/// The characters `from..to` of a line to show: all of it when it fits, else
/// [`MAX_ECHO_COLUMNS`] columns starting up to [`ECHO_CONTEXT`] columns before `caret`. The caret
/// is always inside (`from <= caret <= to`), however wide the characters before it are shown
/// (a tab takes four columns, an escaped control character up to six).
fn window(chars: &[char], caret: usize) -> (usize, usize) {
    let width = |c: char| display_width(std::iter::once(c));
    if display_width(chars.iter().copied()) <= MAX_ECHO_COLUMNS {
        return (0, chars.len());
    }
    let caret = caret.min(chars.len());
    let mut from = caret;
    let mut used = 0;
    while from > 0 && used + width(chars[from - 1]) <= ECHO_CONTEXT {
        from -= 1;
        used += width(chars[from]);
    }
    let mut to = caret;
    while to < chars.len() && used + width(chars[to]) <= MAX_ECHO_COLUMNS {
        used += width(chars[to]);
        to += 1;
    }
    // Near the end of the line, show more of what comes before instead.
    while from > 0 && used + width(chars[from - 1]) <= MAX_ECHO_COLUMNS {
        from -= 1;
        used += width(chars[from]);
    }
    (from, to)
}

/// The columns `chars` take once [`shown`].
fn display_width(chars: impl Iterator<Item = char>) -> usize {
    chars
        .map(|c| match c {
            '\t' => 4,
            c if needs_escape(c) => shown(c).chars().count(),
            _ => 1,
        })
        .sum()
}

/// How a character of an echoed source line is shown: a tab as four spaces, another control
/// character as its escape, anything else as itself.
fn shown(c: char) -> std::borrow::Cow<'static, str> {
    if c == '\t' {
        return "    ".into();
    }
    let mut buf = [0; 4];
    match escape_controls(c.encode_utf8(&mut buf)) {
        std::borrow::Cow::Borrowed(s) => s.to_owned().into(),
        std::borrow::Cow::Owned(s) => s.into(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::diagnostic::{SourceFile, Span};

    /// The rendering without its styles.
    fn plain(d: &Diagnostic) -> String {
        anstream::adapter::strip_str(&render(d)).to_string()
    }

    #[test]
    fn a_long_line_is_cut_around_the_caret_which_stays_under_what_it_marks() {
        let line = format!("key: {}MARK{}", "a".repeat(5000), "b".repeat(5000));
        let src = Arc::new(SourceFile::new("m.yaml", format!("{line}\n")));
        let at = line.find("MARK").unwrap();
        let d = Diagnostic::error("here").at(&src, Span::new(at, at + 4), "this");
        let out = plain(&d);
        assert!(out.len() < 600, "{} bytes:\n{out}", out.len());
        let lines: Vec<&str> = out.lines().collect();
        let (echo, carets) = (lines[3], lines[4]);
        let echo_text = echo.split_once("| ").unwrap().1;
        assert!(
            echo_text.starts_with('…') && echo_text.ends_with('…'),
            "{echo}"
        );
        assert_eq!(echo_text.chars().count(), MAX_ECHO_COLUMNS + 2);
        // The carets sit under `MARK`, counted in characters.
        let caret_at = carets.chars().position(|c| c == '^').unwrap();
        let marked: String = echo.chars().skip(caret_at).take(4).collect();
        assert_eq!(marked, "MARK", "\n{echo}\n{carets}");
        assert!(carets.ends_with("^^^^ this"), "{carets}");
    }

    #[test]
    fn near_either_end_a_long_line_is_cut_on_one_side_only() {
        let line = format!("start{}end", "x".repeat(500));
        let src = Arc::new(SourceFile::new("m.yaml", line.clone()));
        let first = plain(&Diagnostic::error("e").at(&src, Span::new(0, 5), ""));
        let echo = first.lines().nth(3).unwrap().split_once("| ").unwrap().1;
        assert!(echo.starts_with("start") && echo.ends_with('…'), "{echo}");
        assert_eq!(echo.chars().count(), MAX_ECHO_COLUMNS + 1);
        let at = line.len() - 3;
        let last = plain(&Diagnostic::error("e").at(&src, Span::new(at, at + 3), ""));
        let lines: Vec<&str> = last.lines().collect();
        let echo = lines[3].split_once("| ").unwrap().1;
        assert!(echo.starts_with('…') && echo.ends_with("end"), "{echo}");
        assert_eq!(echo.chars().count(), MAX_ECHO_COLUMNS + 1);
        assert!(lines[4].ends_with(&format!("{}^^^", " ".repeat(MAX_ECHO_COLUMNS - 2))));
    }

    #[test]
    fn a_token_is_masked_in_the_echoed_line_the_labels_the_message_and_the_help() {
        let token = "apify_api_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
        // Far along a long line, placed so that the cut falls inside the token: masking only
        // after cutting would miss it.
        let line = format!(
            "{}\"token\": \"{token}\", {}\"next\": 1, {}",
            " ".repeat(300),
            "n".repeat(ECHO_CONTEXT - 20),
            "z".repeat(400)
        );
        let src = Arc::new(SourceFile::new("auth.yaml", line.clone()));
        let at = line.find("next").unwrap();
        let d = Diagnostic::error(format!("unknown field `{token}`"))
            .at(&src, Span::new(at, at + 4), format!("after {token}"))
            .help(format!("did you mean `{token}`?"));
        let out = plain(&d);
        assert!(!out.contains("AbCd") && !out.contains("6789"), "{out}");
        assert!(out.contains("apify_api_****"), "{out}");
        // Masking keeps the columns: the carets are still under `next`.
        let lines: Vec<&str> = out.lines().collect();
        let caret_at = lines[4].chars().position(|c| c == '^').unwrap();
        let marked: String = lines[3].chars().skip(caret_at).take(4).collect();
        assert_eq!(marked, "next");
    }

    #[test]
    fn control_characters_are_escaped_everywhere_and_the_carets_stay_under_their_text() {
        let src = Arc::new(SourceFile::new(
            "a\n::warning::F.yaml",
            "key: 'x\r::warning::y\u{1b}[2J' # \u{85}\tMARK\n",
        ));
        let line = src.line_text(1);
        let at = line.find("MARK").unwrap();
        let d = Diagnostic::error("key `x\r::warning::y`")
            .at(&src, Span::new(at, at + 4), "label\n::error::z")
            .help("help\u{2028}::notice::w");
        let out = plain(&d);
        assert!(
            !out.chars().any(|c| c != '\n' && needs_escape(c)),
            "{out:?}"
        );
        for line in out.lines() {
            assert!(!line.trim_start().starts_with("::"), "{out}");
        }
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "error: key `x\\r::warning::y`");
        assert_eq!(lines[1], " --> a\\n::warning::F.yaml:1:31");
        assert_eq!(
            lines[3],
            "1 | key: 'x\\r::warning::y\\u{1b}[2J' # \\u{85}    MARK"
        );
        let caret_at = lines[4].chars().position(|c| c == '^').unwrap();
        let marked: String = lines[3].chars().skip(caret_at).take(4).collect();
        assert_eq!(marked, "MARK", "\n{out}");
        assert!(lines[4].ends_with("^^^^ label\\n::error::z"), "{out}");
        assert!(out.contains("= help: help\\u{2028}::notice::w"), "{out}");
    }

    #[test]
    fn a_long_line_of_wide_characters_keeps_the_caret_in_view() {
        // Before the caret, far more columns than the context: tabs and escaped controls.
        for filler in ["\t", "\u{1b}", "\u{85}"] {
            let line = format!("{}MARK{}", filler.repeat(300), "x".repeat(300));
            let src = Arc::new(SourceFile::new("m.yaml", line.clone()));
            let at = line.find("MARK").unwrap();
            let out = plain(&Diagnostic::error("e").at(&src, Span::new(at, at + 4), ""));
            let lines: Vec<&str> = out.lines().collect();
            let echo = lines[3].split_once("| ").unwrap().1;
            assert!(echo.starts_with('…') && echo.ends_with('…'), "{echo}");
            assert!(echo.chars().count() <= MAX_ECHO_COLUMNS + 2, "{echo}");
            let caret_at = lines[4].chars().position(|c| c == '^').unwrap();
            let marked: String = lines[3].chars().skip(caret_at).take(4).collect();
            assert_eq!(marked, "MARK", "{filler:?}\n{out}");
        }
    }

    #[test]
    fn a_huge_message_is_cut() {
        let d = Diagnostic::error(format!("unknown field `{}`", "k".repeat(100_000)));
        assert!(plain(&d).len() < 1100, "{}", plain(&d).len());
    }
}
