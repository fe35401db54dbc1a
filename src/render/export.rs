//! The text of `export` for the terminal: the variables to set, and, when asked, the shell
//! commands that set them from the live values, the warnings, the patterns it suggests and the
//! summary. The documents
//! themselves are written by [`crate::export::document`].

use std::fmt::Write as _;

pub use crate::export::document::skipped_comment;
use crate::export::{Export, Suggestion, Variable, Warning};
use crate::webhook::TargetKind;

/// The variables to set, one name a line, for stderr; with the hint on `--print-secrets` unless
/// it was given (`printing`).
pub fn variables_to_set(variables: &[Variable], printing: bool) -> String {
    if variables.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "The exported manifests reference {}; set them before `plan`:\n",
        super::plural(variables.len(), "environment variable")
    );
    for v in variables {
        let _ = writeln!(out, "  {}", v.name);
    }
    if !printing {
        out.push_str("(`apify-webhooks export --print-secrets` prints commands that set them from the live values.)\n");
    }
    out
}

/// Shell commands that set every variable from its live value, one a line, so that `eval` in
/// any POSIX shell (bash, zsh, dash, ...) restores every byte. A value without control
/// characters is single-quoted; one with them is made by `printf` from a format in which each
/// control byte is an octal escape (and a final `_`, removed after, keeps trailing newlines), so
/// the output holds no control byte that a terminal or a pipe could act on or drop.
pub fn set_commands(variables: &[Variable]) -> String {
    let mut out = String::new();
    for v in variables {
        let name = &v.name;
        if v.value.chars().any(char::is_control) {
            let _ = writeln!(
                out,
                "{name}=$(printf '{}_'); export {name}=\"${{{name}%_}}\"",
                printf_format(&v.value)
            );
        } else {
            let _ = writeln!(out, "export {name}='{}'", v.value.replace('\'', "'\\''"));
        }
    }
    out
}

/// `value` as a `printf` format that prints it, for inside single quotes.
fn printf_format(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '%' => out.push_str("%%"),
            '\'' => out.push_str("'\\''"),
            c if c.is_control() => {
                let mut bytes = [0; 4];
                for b in c.encode_utf8(&mut bytes).bytes() {
                    let _ = write!(out, "\\{b:03o}");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A pattern export suggests, for stderr: which exported entries it replaces, when, and the
/// entry itself, indented so that it can be copied into a manifest.
pub fn suggestion(s: &Suggestion) -> String {
    let (what, many) = match s.file.kind {
        TargetKind::Actor => ("Actor", "Actors"),
        TargetKind::Task => ("task", "tasks"),
    };
    let on: Vec<String> = s
        .replaces
        .iter()
        .map(|(key, target)| format!("{target} ({key})"))
        .collect();
    let mut out = format!(
        "note: {} webhooks are the same apart from their {what}: on {}.\n",
        s.replaces.len(),
        on.join(", ")
    );
    let _ = writeln!(
        out,
        "One pattern entry can declare them, and the {many} created later. Once `apply` has adopted the exported entries, replace those {} entries with this one: `previousKeys` moves each webhook to the new key in place (same ID, nothing created or deleted).",
        s.replaces.len()
    );
    out.push('\n');
    for line in crate::export::document::section(&s.file).lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "  {line}");
        }
    }
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
    let webhooks: usize = export
        .files
        .iter()
        .flat_map(|f| &f.entries)
        .map(|e| e.webhook_ids.len())
        .sum();
    let mut out = String::new();
    for path in written {
        let _ = writeln!(out, "wrote {path}");
    }
    let _ = writeln!(
        out,
        "Exported {} in {}; {} not exported.",
        super::plural(webhooks, "webhook"),
        super::plural(export.files.len(), "file"),
        export.skipped.len()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_say_one_or_many_as_the_rest_of_the_tool_does() {
        let empty = Export {
            files: Vec::new(),
            skipped: Vec::new(),
            variables: Vec::new(),
            warnings: Vec::new(),
            suggestions: Vec::new(),
        };
        assert!(summary(&empty, &[]).contains("Exported 0 webhooks in 0 files; 0 not exported."));
        let one = [Variable {
            name: "A".into(),
            value: "x".into(),
        }];
        assert!(
            variables_to_set(&one, true)
                .starts_with("The exported manifests reference 1 environment variable; ")
        );
    }

    #[test]
    fn set_commands_quote_for_the_shell() {
        let v = [Variable {
            name: "A".into(),
            value: "it's $x".into(),
        }];
        assert_eq!(set_commands(&v), "export A='it'\\''s $x'\n");
    }

    /// What `sh -c 'eval "$(cat)"'` sets `names` to from `commands`, run by `shell`, as bytes
    /// (NUL-separated on the way out).
    fn eval_in(shell: &str, commands: &str, names: &[&str]) -> Option<Vec<String>> {
        use std::io::Write as _;
        let print = names.iter().fold(String::new(), |mut out, n| {
            let _ = write!(out, "printf '%s\\0' \"${n}\"; ");
            out
        });
        let mut child = std::process::Command::new(shell)
            .arg("-c")
            .arg(format!("eval \"$(cat)\"; {print}"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .ok()?;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(commands.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{shell}: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        Some(
            text.split_terminator('\0')
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn eval_restores_every_byte_of_every_value_in_bash_sh_and_zsh() {
        // Issue 16 item 7: ESC, VT, 0x01 and DEL were lost on the way through a pipe.
        let mut every: String = (1u8..=127).map(char::from).collect();
        every.push_str("\u{80}\u{9b}é\u{2028}€ '%s' \\n $HOME `x` \n\n");
        let values = [
            every,
            "\u{1b}[31mred\u{b}\u{1}\u{7f}".to_owned(),
            "plain 'quoted' $x %d \\".to_owned(),
            "ends with newlines\n\n".to_owned(),
            String::new(),
        ];
        let variables: Vec<Variable> = values
            .iter()
            .enumerate()
            .map(|(i, v)| Variable {
                name: format!("V{i}"),
                value: v.clone(),
            })
            .collect();
        let commands = set_commands(&variables);
        assert!(
            !commands.chars().any(|c| c.is_control() && c != '\n'),
            "{commands:?}"
        );
        let names: Vec<String> = variables.iter().map(|v| v.name.clone()).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut ran = 0;
        // zsh too where it is installed (CI installs it for the completion tests).
        for shell in ["bash", "sh", "zsh"] {
            if let Some(back) = eval_in(shell, &commands, &names) {
                assert_eq!(back, values, "{shell}: {commands}");
                ran += 1;
            }
        }
        assert!(ran > 0, "no shell to run");
    }
}
