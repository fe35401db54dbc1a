//! The text of `export` for the terminal: the variables to set, and, when asked, the shell
//! commands that set them from the live values, the warnings and the summary. The documents
//! themselves are written by [`crate::export::document`].

use std::fmt::Write as _;

pub use crate::export::document::skipped_comment;
use crate::export::{Export, Variable, Warning};

/// The variables to set, one name a line, for stderr; with the hint on `--print-secrets` unless
/// it was given (`printing`).
pub fn variables_to_set(variables: &[Variable], printing: bool) -> String {
    if variables.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "The exported manifests reference {} environment variable(s); set them before `plan`:\n",
        variables.len()
    );
    for v in variables {
        let _ = writeln!(out, "  {}", v.name);
    }
    if !printing {
        out.push_str("(`apify-webhooks export --print-secrets` prints commands that set them from the live values.)\n");
    }
    out
}

/// Shell commands that set every variable from its live value, one a line, so that `eval`
/// restores every byte. A value without control characters is single-quoted (any POSIX shell);
/// one with them is written `$'...'` with each control byte as an octal escape (bash, zsh, ksh,
/// and POSIX shells since 2024), so the output holds no control byte a terminal or a pipe could
/// act on or drop.
pub fn set_commands(variables: &[Variable]) -> String {
    let mut out = String::new();
    for v in variables {
        let _ = writeln!(out, "export {}={}", v.name, shell_quoted(&v.value));
    }
    out
}

/// `value` as one shell word.
fn shell_quoted(value: &str) -> String {
    if !value.chars().any(char::is_control) {
        return format!("'{}'", value.replace('\'', "'\\''"));
    }
    let mut out = String::from("$'");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if c.is_control() => {
                let mut bytes = [0; 4];
                for b in c.encode_utf8(&mut bytes).bytes() {
                    let _ = write!(out, "\\{b:03o}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The text of an export warning.
pub fn warning(w: &Warning) -> String {
    format!("webhook `{}` ({}): {}", w.key, w.id, w.message)
}

/// Writes `warning: message` to stderr, even with `-q` (it is about secrets).
pub fn warn(console: &super::Console, message: &str) {
    use std::io::Write as _;
    let _ = writeln!(console.stderr(), "warning: {message}");
}

/// The warning that goes with secret values on the terminal or in files.
pub fn secrets_warning(in_files: bool) -> &'static str {
    if in_files {
        "--include-secrets: the exported files hold secret values verbatim; do not commit them"
    } else {
        "--print-secrets: standard output holds secret values; do not log or share it"
    }
}

/// A summary line of an export for stderr.
pub fn summary(export: &Export, written: &[String]) -> String {
    let entries: usize = export.files.iter().map(|f| f.entries.len()).sum();
    let mut out = String::new();
    for path in written {
        let _ = writeln!(out, "wrote {path}");
    }
    let _ = writeln!(
        out,
        "Exported {entries} webhook(s) in {} file(s); {} not exported.",
        export.files.len(),
        export.skipped.len()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_commands_quote_for_the_shell() {
        let v = [Variable {
            name: "A".into(),
            value: "it's $x".into(),
        }];
        assert_eq!(set_commands(&v), "export A='it'\\''s $x'\n");
    }
}
