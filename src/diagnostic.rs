//! Located, user-facing problems: a message, the `file:line:column` it is about with the text it
//! points at, related locations, and help. Building them is the job of the module that found the
//! problem; printing them is the job of `render::diagnostic`.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::sync::Arc;

/// A source text that diagnostics point into, with its line index.
#[derive(Debug, PartialEq, Eq)]
pub struct SourceFile {
    path: String,
    text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Indexes `text`, which was read from `path` (shown as given, e.g. `examples/a.yaml`).
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// The path as the user named it.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The number of lines (a final newline does not start a new line).
    pub fn line_count(&self) -> usize {
        let n = self.line_starts.len();
        if n > 1 && self.line_starts[n - 1] == self.text.len() {
            n - 1
        } else {
            n
        }
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&next| next - 1);
        self.text[start..end.max(start)].trim_end_matches('\r')
    }

    /// The byte offset of 1-based `line` and 0-based character column `col`, clamped to the
    /// line's end.
    pub fn offset(&self, line: usize, col: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        let line_len = rest.find('\n').unwrap_or(rest.len());
        start
            + rest[..line_len]
                .char_indices()
                .nth(col)
                .map_or(line_len, |(i, _)| i)
    }

    /// The 1-based line and 1-based character column of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let col = self.text[start..offset].chars().count() + 1;
        (line, col)
    }
}

/// A byte range in a [`SourceFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte (equal to `start` for a point).
    pub end: usize,
}

impl Span {
    /// The range `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }
}

/// A place in a source file, with a short text shown at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The file.
    pub source: Arc<SourceFile>,
    /// What is pointed at.
    pub span: Span,
    /// Shown after the carets; may be empty.
    pub message: String,
}

impl Label {
    /// A label at `span` of `source`.
    pub fn new(source: &Arc<SourceFile>, span: Span, message: impl Into<String>) -> Self {
        Label {
            source: Arc::clone(source),
            span,
            message: mask_tokens(&message.into()).into_owned(),
        }
    }

    /// `path:line:column` of the start of the span.
    pub fn location(&self) -> String {
        let (line, col) = self.source.line_col(self.span.start);
        format!("{}:{line}:{col}", self.source.path())
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Stops the command.
    Error,
    /// Reported; the command goes on.
    Warning,
}

/// One problem, with where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One line saying what is wrong.
    pub message: String,
    /// Where it is; `None` for problems with no text to point into (a missing path).
    pub primary: Option<Label>,
    /// Other places that take part (the first of two duplicates).
    pub related: Vec<Label>,
    /// `help:` lines.
    pub help: Vec<String>,
}

impl Diagnostic {
    /// An error with no location yet. Messages, labels and help lines are stored with anything
    /// that looks like an API token masked ([`mask_tokens`]), so no output of a diagnostic can
    /// show one, whatever format writes it.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: mask_tokens(&message.into()).into_owned(),
            primary: None,
            related: Vec::new(),
            help: Vec::new(),
        }
    }

    /// A warning with no location yet.
    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    /// Points the diagnostic at `span` of `source`.
    #[must_use]
    pub fn at(mut self, source: &Arc<SourceFile>, span: Span, label: impl Into<String>) -> Self {
        self.primary = Some(Label::new(source, span, label));
        self
    }

    /// Adds a related location.
    #[must_use]
    pub fn related(
        mut self,
        source: &Arc<SourceFile>,
        span: Span,
        label: impl Into<String>,
    ) -> Self {
        self.related.push(Label::new(source, span, label));
        self
    }

    /// Adds a `help:` line.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help.push(mask_tokens(&help.into()).into_owned());
        self
    }

    /// Whether this is an error (rather than a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// The one-line form: `path:line:col: message`, with any API token masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(primary) = &self.primary {
            write!(f, "{}: ", mask_tokens(&primary.location()))?;
        }
        f.write_str(&mask_tokens(&self.message))
    }
}

/// `text` as a message may echo it: control characters, line and paragraph separators and
/// invisible formatting characters (bidirectional overrides, zero-width spaces) escaped as `\n`, `\r`, `\t` or `\u{hex}`, the
/// rest as written. Every manifest value a message quotes goes through this, so a message is one
/// line and shows what is really in the file.
pub fn shown(text: &str) -> Cow<'_, str> {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
    };
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The candidate closest to `name`, if any is close: equal ignoring case and `_`/`-`, or within
/// a small edit distance. Used for every "did you mean" (fields, event types, template
/// variables).
pub fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let wanted = norm(name);
    if let Some(exact) = candidates.iter().find(|c| norm(c) == wanted) {
        return Some(exact);
    }
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&wanted, &norm(c)), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 5))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `text` with every one of `secrets` replaced by `replacement`, both as written and as it
/// appears inside a JSON string (quotes and backslashes escaped), longest first so a secret
/// that contains another is replaced whole; then API tokens masked ([`mask_tokens`]).
pub fn mask_secrets(text: &str, secrets: &[String], replacement: &str) -> String {
    let mut forms: Vec<String> = secrets
        .iter()
        .filter(|s| !s.is_empty())
        .flat_map(|s| {
            let json = serde_json::Value::String(s.clone()).to_string();
            [s.clone(), json[1..json.len() - 1].to_owned()]
        })
        .collect();
    forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    forms.dedup();
    let mut out = text.to_owned();
    for form in &forms {
        if out.contains(form.as_str()) {
            out = out.replace(form.as_str(), replacement);
        }
    }
    mask_tokens(&out).into_owned()
}

/// The prefix of Apify API tokens.
const TOKEN_PREFIX: &str = "apify_api_";

/// `text` with everything that looks like an Apify API token (`apify_api_` followed by token
/// characters) masked: each character after the prefix becomes `*`, so the text keeps its
/// length and columns. Diagnostics echo what they point at, and a manifest path can name any
/// file, such as apify-cli's `auth.json`.
pub fn mask_tokens(text: &str) -> std::borrow::Cow<'_, str> {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if !text.contains(TOKEN_PREFIX) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(TOKEN_PREFIX) {
        let after = at + TOKEN_PREFIX.len();
        out.push_str(&rest[..after]);
        let secret = rest[after..]
            .find(|c: char| !is_token_char(c))
            .map_or(rest.len() - after, |n| n);
        // Token characters are ASCII: one `*` per byte is one per character.
        out.extend(std::iter::repeat_n('*', secret));
        rest = &rest[after + secret..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_escapes_control_and_invisible_characters_only() {
        assert_eq!(shown("a/b-c.d"), "a/b-c.d");
        assert_eq!(
            shown("ça\\n"),
            "ça\\n",
            "a written backslash stays as written"
        );
        assert_eq!(shown("a\nb\u{0}c\td\r"), "a\\nb\\u{0}c\\td\\r");
        assert_eq!(shown("\u{1b}[31m"), "\\u{1b}[31m");
        assert_eq!(shown("x\u{202e}y\u{200b}"), "x\\u{202e}y\\u{200b}");
        // Line and paragraph separators end a line for YAML 1.1, JavaScript and some editors.
        assert_eq!(shown("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}");
    }

    #[test]
    fn lines_and_columns_count_characters_not_bytes() {
        let src = SourceFile::new("a.yaml", "ab\nçd: x\r\nlast");
        assert_eq!(src.line_count(), 3);
        assert_eq!(src.line_text(2), "çd: x");
        assert_eq!(src.line_text(3), "last");
        let off = src.offset(2, 1);
        assert_eq!(&src.text()[off..=off], "d");
        assert_eq!(src.line_col(off), (2, 2));
        assert_eq!(src.line_col(0), (1, 1));
    }

    #[test]
    fn a_final_newline_does_not_count_as_a_line() {
        assert_eq!(SourceFile::new("a", "x\n").line_count(), 1);
        assert_eq!(SourceFile::new("a", "x\ny").line_count(), 2);
    }

    #[test]
    fn tokens_are_masked_keeping_their_length() {
        let token = "apify_api_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
        let text = format!("\"token\": \"{token}\", apify_api_x-y_z!");
        let masked = mask_tokens(&text);
        assert_eq!(
            masked,
            format!(
                "\"token\": \"apify_api_{}\", apify_api_*****!",
                "*".repeat(36)
            )
        );
        assert_eq!(mask_tokens("apify_api_"), "apify_api_");
        assert_eq!(mask_tokens("no token here"), "no token here");
        let src = Arc::new(SourceFile::new("x.yaml", format!("key: {token}\n")));
        let d = Diagnostic::error(format!("unknown value `{token}`")).at(&src, Span::new(5, 7), "");
        assert!(!d.to_string().contains("AbCd"), "{d}");
    }

    #[test]
    fn display_is_file_line_col_then_message() {
        let src = Arc::new(SourceFile::new("m.yaml", "version: 2\n"));
        let d = Diagnostic::error("bad version").at(&src, Span::new(9, 10), "");
        assert_eq!(d.to_string(), "m.yaml:1:10: bad version");
    }
}
