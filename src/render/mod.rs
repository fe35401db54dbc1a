//! Everything the tool writes for people and pipelines goes through here: the [`Console`] owns
//! stdout (the requested output only) and stderr (diagnostics, progress, logs), and decides on
//! colour once, from `--color`, `NO_COLOR` and whether the stream is a terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod annotations;
pub mod apply;
pub mod delivery;
pub mod diagnostic;
pub mod error;
pub mod export;
pub mod plan;
pub mod preview;

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};

use anstream::AutoStream;

/// `text` with every control character (CR, LF, tab, ESC, DEL, the C1 controls) and the Unicode
/// line and paragraph separators written as escapes (`\r`, `\n`, `\t`, `\u{1b}`), for names
/// and text the user or the platform chose (a file name, a key, a source line) that are echoed
/// in a message. Written raw, a CR or LF would start a new line (a line starting `::warning` is
/// a GitHub workflow command) and an ESC would drive the terminal.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// Like [`escape_controls`], but keeps the line breaks of a message that spans lines (each line
/// break is the message's own); every other control character is escaped.
pub fn escape_controls_but_newlines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && needs_escape(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\n' {
            out.push(c);
        } else {
            push_escaped(&mut out, c);
        }
    }
    Cow::Owned(out)
}

/// Whether [`escape_controls`] writes `c` as an escape.
pub(crate) fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Pushes `c`, as an escape when [`needs_escape`] says so.
fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write as _;
    match c {
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// `1 webhook`, `2 webhooks`: a count with its noun, singular or with an `s`.
pub(crate) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `value` as pretty JSON with a final newline, every control character in its strings written
/// as a `\u` escape: `serde_json` escapes those below U+0020 but writes DEL, the C1 controls and
/// the Unicode line separators raw, and a terminal may act on them.
pub(crate) fn json_pretty<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut bytes = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut bytes, EscapingFormatter::default());
    if value.serialize(&mut ser).is_err() {
        return String::new();
    }
    let mut out = String::from_utf8(bytes).unwrap_or_default();
    out.push('\n');
    out
}

/// `serde_json`'s pretty formatter, escaping every character [`needs_escape`] names.
#[derive(Default)]
struct EscapingFormatter(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for EscapingFormatter {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|&(_, c)| needs_escape(c)) {
            writer.write_all(&rest.as_bytes()[..at])?;
            write!(writer, "\\u{:04x}", u32::from(c))?;
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// When to use colour, from `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorWhen {
    /// Colour when writing to a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorWhen {
    fn choice(self) -> anstream::ColorChoice {
        match self {
            ColorWhen::Auto => anstream::ColorChoice::Auto,
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
        }
    }
}

/// The two output streams of the process, with the colour decision applied.
#[derive(Debug, Clone)]
pub struct Console {
    color: ColorWhen,
    quiet: bool,
}

impl Console {
    /// A console writing with colour `color`; `quiet` drops informational messages.
    pub fn new(color: ColorWhen, quiet: bool) -> Self {
        Console { color, quiet }
    }

    /// Standard output, for the requested output (plans, schemas, reports). ANSI styles written
    /// to it are stripped when colour is off.
    pub fn stdout(&self) -> AutoStream<io::Stdout> {
        AutoStream::new(io::stdout(), self.color.choice())
    }

    /// Standard error, for diagnostics, progress and logs.
    pub fn stderr(&self) -> AutoStream<io::Stderr> {
        AutoStream::new(io::stderr(), self.color.choice())
    }

    /// Whether what is written to stderr keeps its colours (`--color`, `NO_COLOR`,
    /// `CLICOLOR_FORCE` and whether stderr is a terminal, as anstream decides).
    pub fn stderr_has_color(&self) -> bool {
        match self.color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => !matches!(
                AutoStream::choice(&io::stderr()),
                anstream::ColorChoice::Never
            ),
        }
    }

    /// Whether stderr is a terminal (decides e.g. whether to draw a progress bar).
    pub fn stderr_is_terminal(&self) -> bool {
        io::stderr().is_terminal()
    }

    /// Whether informational messages are suppressed (`-q`).
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// Writes `text` to stdout as it is.
    pub fn print(&self, text: &str) {
        let mut out = self.stdout();
        // A closed stdout (`| head`) is not an error worth reporting.
        let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    }

    /// Writes an informational line to stderr unless quiet.
    pub fn info(&self, text: &str) {
        if !self.quiet {
            let _ = writeln!(self.stderr(), "{text}");
        }
    }

    /// Writes `err` to stderr, worded once ([`error::message`]), or its diagnostics. Only a
    /// refusal spans lines; in any other message a line break can only come from a name it
    /// quotes (a path, a server's message), and is escaped like every control character.
    pub fn report(&self, err: &crate::error::Error) {
        match err {
            crate::error::Error::InvalidManifest(diagnostics) => self.diagnostics(diagnostics),
            crate::error::Error::InEnvironment {
                environment,
                source,
            } if matches!(**source, crate::error::Error::InvalidManifest(_)) => {
                self.error(&format!(
                    "environment `{environment}` cannot be planned; nothing was changed in any environment:"
                ));
                self.report(source);
            }
            crate::error::Error::Refused(_) => self.error(&error::message(err)),
            other => self.error(&escape_controls(&error::message(other))),
        }
    }

    /// Writes a line about something that went wrong to stderr, even with `-q`, without colour
    /// when stderr has none.
    pub fn problem(&self, text: &str) {
        let _ = writeln!(self.stderr(), "{text}");
    }

    /// Writes `error: message` to stderr. Control characters in the message (a CR or an ESC
    /// from a name it quotes) are escaped; its own line breaks are kept.
    pub fn error(&self, message: &str) {
        let style = diagnostic::Styles::default();
        let _ = writeln!(
            self.stderr(),
            "{}error{}: {}",
            style.error.render(),
            style.error.render_reset(),
            escape_controls_but_newlines(message)
        );
    }

    /// Writes diagnostics to stderr, followed by a one-line count.
    pub fn diagnostics(&self, diagnostics: &[crate::diagnostic::Diagnostic]) {
        let mut err = self.stderr();
        let _ = err.write_all(diagnostic::render_all(diagnostics).as_bytes());
    }
}
