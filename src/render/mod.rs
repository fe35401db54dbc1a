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

use std::io::{self, IsTerminal, Write};

use anstream::AutoStream;

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

    /// Writes `err` to stderr, worded once ([`error::message`]), or its diagnostics.
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
            other => self.error(&error::message(other)),
        }
    }

    /// Writes a line about something that went wrong to stderr, even with `-q`, without colour
    /// when stderr has none.
    pub fn problem(&self, text: &str) {
        let _ = writeln!(self.stderr(), "{text}");
    }

    /// Writes `error: message` to stderr.
    pub fn error(&self, message: &str) {
        let style = diagnostic::Styles::default();
        let _ = writeln!(
            self.stderr(),
            "{}error{}: {message}",
            style.error.render(),
            style.error.render_reset()
        );
    }

    /// Writes diagnostics to stderr, followed by a one-line count.
    pub fn diagnostics(&self, diagnostics: &[crate::diagnostic::Diagnostic]) {
        let mut err = self.stderr();
        let _ = err.write_all(diagnostic::render_all(diagnostics).as_bytes());
    }
}
