//! The text of an exported manifest document: YAML written by a small emitter that quotes every
//! scalar that needs it, so each document loads back as written. Pure: [`super::build`] runs
//! every document it keeps through the real manifest validation.

use std::fmt::Write as _;

use super::{Entry, ExportFile, Headers, Skipped};
use crate::webhook::TargetKind;

/// The YAML document of `file` for `owner`, with the schema comment (`schema` is the path of
/// the schema relative to the document) and the webhooks of its target that were skipped.
pub fn manifest(file: &ExportFile, owner: &str, skipped: &[Skipped], schema: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# yaml-language-server: $schema={schema}");
    let _ = writeln!(
        out,
        "# Exported by apify-webhooks {} from the webhooks of {}.",
        env!("CARGO_PKG_VERSION"),
        one_line(&file.target)
    );
    let mine: Vec<&Skipped> = skipped
        .iter()
        .filter(|s| {
            s.target
                .as_ref()
                .is_some_and(|t| t.kind == file.kind && t.name == file.target)
        })
        .collect();
    if !mine.is_empty() {
        out.push_str(&skipped_comment(&mine));
    }
    out.push_str("version: 1\n");
    let _ = writeln!(out, "owner: {}", scalar(owner));
    out.push_str(&section(file));
    out
}

/// The `actors:` (or `tasks:`) section of `file`: its target and entries.
pub fn section(file: &ExportFile) -> String {
    let mut out = String::new();
    let section = match file.kind {
        TargetKind::Actor => "actors",
        TargetKind::Task => "tasks",
    };
    let _ = writeln!(out, "{section}:");
    let _ = writeln!(out, "  {}:", scalar(&file.target));
    for (i, entry) in file.entries.iter().enumerate() {
        // A blank line between entries, unless it would join a block scalar that keeps its
        // final newlines (`|+`).
        if i > 0 && !out.ends_with("\n\n") {
            out.push('\n');
        }
        write_entry(&mut out, entry);
    }
    out
}

/// A comment listing webhooks that were not exported, and why.
pub fn skipped_comment(skipped: &[&Skipped]) -> String {
    let mut out = String::from("#\n# Not exported (apify-webhooks cannot manage these):\n");
    for s in skipped {
        let target = s
            .target
            .as_ref()
            .map_or_else(String::new, |t| format!(" on {}", one_line(&t.name)));
        let _ = writeln!(
            out,
            "#   - {}{target}: {}",
            one_line(&s.id),
            one_line(&s.why)
        );
    }
    out.push_str("#\n");
    out
}

/// Text fit for a one-line comment: control characters and the line and paragraph separators
/// (line breaks for YAML 1.1) become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

fn write_entry(out: &mut String, e: &Entry) {
    let ind = "      ";
    let _ = writeln!(out, "    - key: {}", scalar(&e.key));
    if !e.previous_keys.is_empty() {
        let _ = writeln!(out, "{ind}previousKeys:");
        for key in &e.previous_keys {
            let _ = writeln!(out, "{ind}  - {}", scalar(key));
        }
    }
    if !e.exclude.is_empty() {
        let _ = writeln!(out, "{ind}exclude:");
        for item in &e.exclude {
            let _ = writeln!(out, "{ind}  - {}", scalar(item));
        }
    }
    if let Some(id) = &e.adopt {
        let _ = writeln!(out, "{ind}adopt: {}", scalar(id));
    }
    if let Some(d) = &e.description {
        let _ = writeln!(out, "{ind}description: {}", scalar(d));
    }
    let events: Vec<&str> = e.event_types.iter().map(|t| t.as_str()).collect();
    let _ = writeln!(out, "{ind}eventTypes: [{}]", events.join(", "));
    let _ = writeln!(out, "{ind}requestUrl: {}", scalar(&e.request_url));
    if let Some(p) = &e.payload_template {
        let _ = write!(out, "{ind}payloadTemplate:");
        out.push_str(&block_or_scalar(p, 8));
    }
    match &e.headers_template {
        None => {}
        Some(Headers::Mapping(pairs)) if pairs.is_empty() => {
            let _ = writeln!(out, "{ind}headersTemplate: {{}}");
        }
        Some(Headers::Mapping(pairs)) => {
            let _ = writeln!(out, "{ind}headersTemplate:");
            for (name, value) in pairs {
                let _ = writeln!(out, "{ind}  {}: {}", scalar(name), scalar(value));
            }
        }
        Some(Headers::Text(t)) => {
            let _ = write!(out, "{ind}headersTemplate:");
            out.push_str(&block_or_scalar(t, 8));
        }
    }
    if e.should_interpolate_strings {
        let _ = writeln!(out, "{ind}shouldInterpolateStrings: true");
    }
    if e.ignore_ssl_errors {
        let _ = writeln!(out, "{ind}ignoreSslErrors: true");
    }
    if e.do_not_retry {
        let _ = writeln!(out, "{ind}doNotRetry: true");
    }
}

/// After `field:`: a literal block scalar indented by `indent` when the text can be one,
/// else ` "double-quoted"`; with the final newline.
fn block_or_scalar(text: &str, indent: usize) -> String {
    let blockable = !text.is_empty()
        && !text.starts_with([' ', '\n'])
        && text
            .chars()
            .all(|c| c == '\n' || (printable(c) && c != '\t'))
        && !text.lines().any(|l| l.ends_with(' '));
    if !blockable {
        return format!(" {}\n", double_quoted(text));
    }
    let trailing = text.len() - text.trim_end_matches('\n').len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let pad = " ".repeat(indent);
    let mut out = format!(" |{chomp}\n");
    for line in text.trim_end_matches('\n').split('\n') {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{pad}{line}");
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
    out
}

/// Whether `c` may appear raw in a YAML document.
fn printable(c: char) -> bool {
    !c.is_control() && !matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{85}')
}

/// A scalar: plain when it cannot be read as anything but this string, else double-quoted.
pub fn scalar(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_owned()
    } else {
        double_quoted(text)
    }
}

fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let starts_well =
        first.is_ascii_alphabetic() || (first.is_ascii_digit() && !looks_numeric(text));
    if !starts_well {
        return false;
    }
    if text.ends_with([' ', ':']) || text.contains(": ") || text.contains(" #") {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
    ) {
        return false;
    }
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || " _./-:?=&%+~,@()".contains(c))
}

/// Whether a text starting with a digit could read as a number, date or time.
fn looks_numeric(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_digit() || "._-:+xXoOaAbBcCdDeEfF".contains(c))
}

/// A double-quoted YAML scalar.
pub fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if !printable(c) => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_that_could_read_as_something_else_are_quoted() {
        for plain in ["acme/web-scraper", "ACTOR.RUN.FAILED", "Made by hand", "a1"] {
            assert_eq!(scalar(plain), plain);
        }
        for quoted in [
            "",
            "true",
            "No",
            "null",
            "123",
            "1.5",
            "2025-01-01",
            "-x",
            "a: b",
            "a #b",
            "x:",
            " lead",
            "${A}",
            "'q'",
            "\"",
            "a\nb",
            "*ref",
            "&a",
            "!tag",
            "[x]",
            "{x}",
            "|",
            ">",
            "@x",
            "%x",
            "`x`",
            "~",
        ] {
            assert!(
                scalar(quoted).starts_with('"'),
                "{quoted:?} -> {}",
                scalar(quoted)
            );
        }
        assert_eq!(double_quoted("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }

    #[test]
    fn block_scalars_keep_the_final_newlines() {
        assert_eq!(block_or_scalar("a\nb", 2), " |-\n  a\n  b\n");
        assert_eq!(block_or_scalar("a\n\nb\n", 2), " |\n  a\n\n  b\n");
        assert_eq!(block_or_scalar("a\n\n", 2), " |+\n  a\n\n");
        assert_eq!(block_or_scalar(" a", 2), " \" a\"\n");
    }
}
