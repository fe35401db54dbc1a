//! The text plan, following Terraform's contract: a legend, one `# webhook.<key> … will be …`
//! header and `+ ~ -` block per change with aligned `name = old -> new` lines, unified or word
//! diffs of templates, drift called out, then `Plan: 1 to add, 2 to change, 0 to destroy.`,
//! what was left untouched, warnings, and a note on saving the plan.
//!
//! Styles are ANSI escapes (plain when colour is off). The pieces are exposed to the Markdown
//! renderer, which puts the same plan in a collapsible diff block.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use similar::{ChangeTag, TextDiff};

use super::PlanContext;
use crate::plan::{Action, Change, Conflict, Field, FieldChange, Plan, Refusal, Shown};

/// Lines of context around each hunk of a template diff.
const CONTEXT_LINES: usize = 3;

/// The styles of a text plan; all plain when colour is off.
#[derive(Debug, Clone, Copy)]
pub(super) struct Styles {
    add: Style,
    change: Style,
    remove: Style,
    bold: Style,
    drift: Style,
    drift_head: Style,
    warning: Style,
    ok: Style,
}

impl Styles {
    pub(super) fn new(color: bool) -> Self {
        if !color {
            let plain = Style::new();
            return Styles {
                add: plain,
                change: plain,
                remove: plain,
                bold: plain,
                drift: plain,
                drift_head: plain,
                warning: plain,
                ok: plain,
            };
        }
        Styles {
            add: AnsiColor::Green.on_default(),
            change: AnsiColor::Yellow.on_default(),
            remove: AnsiColor::Red.on_default(),
            bold: Style::new().bold(),
            drift: AnsiColor::Yellow.on_default(),
            drift_head: AnsiColor::Yellow.on_default().bold(),
            warning: AnsiColor::Yellow.on_default().bold(),
            ok: AnsiColor::Green.on_default().bold(),
        }
    }
}

fn paint(style: Style, text: &str) -> String {
    format!("{}{text}{}", style.render(), style.render_reset())
}

/// How much of a change block to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Detail {
    /// Every field, with values and diffs.
    Full,
    /// Only the names of the changed fields (to fit a size limit).
    Names,
}

/// The whole text plan.
pub(super) fn render(plan: &Plan, ctx: &PlanContext<'_>) -> String {
    let st = Styles::new(ctx.color);
    let mut out = head(plan, &st);
    for c in &plan.changes {
        out.push_str(&block(c, &st, Detail::Full));
        out.push('\n');
    }
    out.push_str(&summary(plan, &st));
    out.push_str(&forced(plan, &st));
    out.push_str(&closing(plan, ctx));
    out
}

/// The drift note, the legend and the lead-in (empty when there are no changes).
pub(super) fn head(plan: &Plan, st: &Styles) -> String {
    let mut out = String::new();
    if plan.is_empty() {
        return out;
    }
    let drifted: Vec<&Change> = plan.changes.iter().filter(|c| c.has_drift()).collect();
    if !drifted.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            paint(
                st.drift_head,
                "Note: these live values are not in the manifests and will be reset:"
            )
        );
        for c in drifted {
            let fields = c.drift_fields();
            let line = format!("  {}: {}", c.address(), fields.join(", "));
            let _ = writeln!(out, "{}", paint(st.drift, &line));
        }
        out.push('\n');
    }
    let has = |a: Action| plan.changes.iter().any(|c| c.action == a);
    out.push_str("Actions are indicated with the following symbols:\n");
    if has(Action::Create) {
        let _ = writeln!(out, "  {} create", paint(st.add, "+"));
    }
    match (has(Action::Update), has(Action::Adopt)) {
        (true, true) => {
            let _ = writeln!(out, "  {} update in-place, or adopt", paint(st.change, "~"));
        }
        (true, false) => {
            let _ = writeln!(out, "  {} update in-place", paint(st.change, "~"));
        }
        (false, true) => {
            let _ = writeln!(out, "  {} adopt", paint(st.change, "~"));
        }
        (false, false) => {}
    }
    if has(Action::Delete) {
        let _ = writeln!(out, "  {} destroy", paint(st.remove, "-"));
    }
    let _ = writeln!(
        out,
        "\napify-webhooks will perform the following actions for owner `{}`:\n",
        plan.owner
    );
    out
}

fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Update | Action::Adopt => "~",
        Action::Delete => "-",
    }
}

fn symbol_style(symbol: &str, st: &Styles) -> Style {
    match symbol {
        "+" => st.add,
        "-" => st.remove,
        "~" => st.change,
        _ => Style::new(),
    }
}

/// One change: its header comment and its `+ ~ -` block, followed by no blank line.
pub(super) fn block(c: &Change, st: &Styles, detail: Detail) -> String {
    let mut out = String::new();
    let verb = match c.action {
        Action::Create => "will be created".to_owned(),
        Action::Update => "will be updated in-place".to_owned(),
        Action::Delete => "will be destroyed".to_owned(),
        Action::Adopt => format!(
            "will be adopted (webhook {})",
            c.webhook_id.as_deref().unwrap_or("?")
        ),
    };
    if let Some(from) = &c.moved_from {
        let _ = writeln!(
            out,
            "{}",
            paint(
                st.bold,
                &format!(
                    "  # {} has moved to {}",
                    crate::plan::address(from, c.instance.as_deref()),
                    c.address()
                )
            )
        );
    }
    let _ = writeln!(
        out,
        "{} ({}) {verb}",
        paint(st.bold, &format!("  # {}", c.address())),
        c.target
    );
    if let Some(gone) = &c.adopt_gone {
        let _ = writeln!(
            out,
            "  # (because webhook {gone}, which its `adopt:` names, no longer exists; `adopt: {gone}` can be dropped)"
        );
    }
    if c.action == Action::Delete {
        match &c.duplicate_of {
            Some(kept) => {
                let _ = writeln!(
                    out,
                    "  # (because it duplicates webhook {kept}, which is kept)"
                );
            }
            None => out.push_str("  # (because its key is no longer in the manifests)\n"),
        }
    }
    let sym = symbol(c.action);
    let _ = writeln!(
        out,
        "  {} webhook \"{}\" {{",
        paint(symbol_style(sym, st), sym),
        c.key
    );

    let id_line = c.webhook_id.as_deref().map(|id| {
        if c.action == Action::Delete {
            ("-", format!("{} -> null", quote(id)))
        } else {
            (" ", quote(id))
        }
    });
    if detail == Detail::Names {
        if let Some((sym, value)) = &id_line {
            let _ = writeln!(
                out,
                "      {} id = {value}",
                paint(symbol_style(sym, st), sym)
            );
        }
        let names: Vec<&str> = c.fields.iter().map(|f| f.field.name()).collect();
        let _ = writeln!(
            out,
            "        # (details of {} omitted: {})",
            super::plural(names.len(), "field"),
            names.join(", ")
        );
        out.push_str("    }\n");
        return out;
    }

    let width = c
        .fields
        .iter()
        .map(|f| f.field.name().len())
        .chain(id_line.as_ref().map(|_| "id".len()))
        .max()
        .unwrap_or(0);
    if let Some((sym, value)) = &id_line {
        let _ = writeln!(
            out,
            "      {} {:<width$} = {value}",
            paint(symbol_style(sym, st), sym),
            "id"
        );
    }
    for f in &c.fields {
        out.push_str(&field(c.action, f, width, st));
    }
    out.push_str("    }\n");
    out
}

/// The lines of one field of a change.
fn field(action: Action, f: &FieldChange, width: usize, st: &Styles) -> String {
    let (before, after) = match action {
        Action::Create => (None, f.after.as_ref()),
        Action::Delete => (f.before.as_ref(), None),
        Action::Update | Action::Adopt => (f.before.as_ref(), f.after.as_ref()),
    };
    let sym = match (before, after) {
        (None, _) => "+",
        (Some(_), None) => "-",
        (Some(_), Some(_)) => "~",
    };
    let drift = if f.drift {
        format!(
            "  {}",
            paint(st.drift, "# not in the manifests: back to the default")
        )
    } else {
        String::new()
    };
    let lead = format!(
        "      {} {:<width$} = ",
        paint(symbol_style(sym, st), sym),
        f.field.name()
    );
    let mut out = String::new();

    // Templates: a heredoc for multi-line values, a line or word diff for changed ones.
    if let Some((old, new)) = &f.text_diff {
        let multi = old.contains('\n') || new.contains('\n');
        match (before, after) {
            (Some(_), Some(_)) => {
                let _ = writeln!(out, "{lead}<<-EOT{drift}");
                if multi {
                    out.push_str(&line_diff(old, new, st));
                } else {
                    out.push_str(&word_diff(old, new, st));
                }
                out.push_str("        EOT\n");
                return out;
            }
            (None, Some(_)) if new.contains('\n') => {
                let _ = writeln!(out, "{lead}<<-EOT{drift}");
                out.push_str(&heredoc_body(new));
                out.push_str("        EOT\n");
                return out;
            }
            (Some(_), None) if old.contains('\n') => {
                let _ = writeln!(out, "{lead}<<-EOT{drift}");
                out.push_str(&heredoc_body(old));
                out.push_str("        EOT -> null\n");
                return out;
            }
            _ => {}
        }
    }

    if f.field == Field::Description && before.is_some() && before == after {
        // The human description is unchanged: someone added text after the ownership marker.
        let _ = writeln!(
            out,
            "{lead}{}  {}",
            value(after, false),
            paint(
                st.drift,
                "# not in the manifests: the text after the ownership marker is removed"
            )
        );
        return out;
    }
    let both = before.is_some() && after.is_some();
    let value = match (before, after) {
        (None, after) => value(after, both),
        (Some(b), None) => format!("{} -> null", value(Some(b), both)),
        (Some(b), Some(a)) => format!("{} -> {}", value(Some(b), both), value(Some(a), both)),
    };
    let _ = writeln!(out, "{lead}{value}{drift}");
    out
}

/// A value as the plan shows it. Secrets print as `(sensitive value)`, with their fingerprint
/// when `fingerprint` (an update, where a change must stay visible).
fn value(v: Option<&Shown>, fingerprint: bool) -> String {
    match v {
        None => "null".to_owned(),
        Some(Shown::Text(s)) => quote(s),
        Some(Shown::List(items)) => {
            let items: Vec<String> = items.iter().map(|i| quote(i)).collect();
            format!("[{}]", items.join(", "))
        }
        Some(Shown::Bool(b)) => b.to_string(),
        Some(Shown::Sensitive {
            fingerprint: fp,
            masked,
            ..
        }) => match (masked, fingerprint) {
            (Some(m), true) => format!("{} (sensitive value {fp})", quote(m)),
            (Some(m), false) => quote(m),
            (None, true) => format!("(sensitive value {fp})"),
            (None, false) => "(sensitive value)".to_owned(),
        },
    }
}

/// A string in double quotes, with quotes, backslashes and control characters escaped.
pub(super) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Lines of a heredoc, indented under the field.
fn heredoc_body(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        push_line(&mut out, "            ", line);
    }
    out
}

fn push_line(out: &mut String, indent: &str, line: &str) {
    let line = format!("{indent}{line}");
    out.push_str(line.trim_end());
    out.push('\n');
}

fn hidden(n: usize) -> String {
    format!(
        "            # ({} hidden)\n",
        super::plural(n, "unchanged line")
    )
}

/// A unified line diff with [`CONTEXT_LINES`] of context, Terraform's heredoc style: context
/// lines indented, `- old` and `+ new` lines, and a count of the hidden lines between hunks.
fn line_diff(old: &str, new: &str, st: &Styles) -> String {
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    let groups = diff.grouped_ops(CONTEXT_LINES);
    let mut shown_to = 0;
    for group in &groups {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let start = first.old_range().start;
        if start > shown_to {
            out.push_str(&hidden(start - shown_to));
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let line = change.value().trim_end_matches(['\n', '\r']);
                match change.tag() {
                    ChangeTag::Equal => push_line(&mut out, "            ", line),
                    ChangeTag::Delete => {
                        push_line(
                            &mut out,
                            &format!("          {} ", paint(st.remove, "-")),
                            line,
                        );
                    }
                    ChangeTag::Insert => {
                        push_line(
                            &mut out,
                            &format!("          {} ", paint(st.add, "+")),
                            line,
                        );
                    }
                }
            }
        }
        shown_to = last.old_range().end;
    }
    let old_lines = diff.old_len();
    if old_lines > shown_to && !groups.is_empty() {
        out.push_str(&hidden(old_lines - shown_to));
    }
    out
}

/// A word diff of a single long line: `~ text [-removed-]{+added+} text` (git's plain word-diff
/// notation, so it reads without colour too).
fn word_diff(old: &str, new: &str, st: &Styles) -> String {
    fn flush(line: &mut String, removed: &mut String, added: &mut String, st: &Styles) {
        // Words are split at whitespace only: keep what a replaced pair of words shares at
        // either end out of the markers, so `{{a}},` -> `{{a}} ms,` reads `{{a}}{+ ms+},`.
        let (prefix, suffix) = if removed.is_empty() || added.is_empty() {
            (0, 0)
        } else {
            common_ends(removed, added)
        };
        line.push_str(&removed[..prefix]);
        let old_mid = &removed[prefix..removed.len() - suffix];
        let new_mid = &added[prefix..added.len() - suffix];
        if !old_mid.is_empty() {
            line.push_str(&paint(st.remove, &format!("[-{old_mid}-]")));
        }
        if !new_mid.is_empty() {
            line.push_str(&paint(st.add, &format!("{{+{new_mid}+}}")));
        }
        line.push_str(&removed[removed.len() - suffix..]);
        removed.clear();
        added.clear();
    }
    let diff = TextDiff::from_words(old, new);
    let (mut line, mut removed, mut added) = (String::new(), String::new(), String::new());
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Equal => {
                flush(&mut line, &mut removed, &mut added, st);
                line.push_str(change.value());
            }
            ChangeTag::Delete => removed.push_str(change.value()),
            ChangeTag::Insert => added.push_str(change.value()),
        }
    }
    flush(&mut line, &mut removed, &mut added, st);
    let mut out = String::new();
    push_line(
        &mut out,
        &format!("          {} ", paint(st.change, "~")),
        &line,
    );
    out
}

/// The byte lengths of the longest common prefix and suffix of `a` and `b` (on character
/// boundaries, not overlapping).
fn common_ends(a: &str, b: &str) -> (usize, usize) {
    let prefix: usize = a
        .chars()
        .zip(b.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum();
    let (a_rest, b_rest) = (&a[prefix..], &b[prefix..]);
    let suffix: usize = a_rest
        .chars()
        .rev()
        .zip(b_rest.chars().rev())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum();
    (prefix, suffix)
}

/// The closing `Plan: …` line (or `No changes. …`) and the lines about what is left alone.
pub(super) fn summary(plan: &Plan, st: &Styles) -> String {
    let mut out = String::new();
    match super::summary_counts(plan) {
        Some(counts) => {
            let _ = writeln!(out, "{} {counts}", paint(st.bold, "Plan:"));
        }
        None if !plan.conflicts.is_empty() => {
            let _ = writeln!(
                out,
                "{} 0 to add, 0 to change, 0 to destroy.",
                paint(st.bold, "Plan:")
            );
        }
        None => {
            let (head, rest) = super::no_changes();
            let _ = writeln!(out, "{} {}", paint(st.ok, head), paint(st.bold, rest));
        }
    }
    if let Some(line) = super::untouched_line(plan) {
        let _ = writeln!(out, "{line}");
    }
    let (rows, more) = super::unmanaged_lines(plan);
    if !rows.is_empty() {
        let _ = writeln!(
            out,
            "Unmanaged (take one over with `adopt: <id>` on a manifest entry):"
        );
        let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
        let (w0, w1, w2) = (width(0), width(1), width(2));
        for [id, target, url, events] in &rows {
            let _ = writeln!(out, "  {id:<w0$}  {target:<w1$}  {url:<w2$}  {events}");
        }
        if more > 0 {
            let _ = writeln!(
                out,
                "  ... and {more} more (all of them in `--format json`)"
            );
        }
    }
    if let Some(line) = super::kept_line(plan) {
        let _ = writeln!(out, "{line}");
    }
    if let Some((head, rows)) = super::disabled_lines(plan) {
        let _ = writeln!(out, "{} {head}", paint(st.warning, "Warning:"));
        let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
        let (w0, w1) = (width(0), width(1));
        for [address, id, target] in &rows {
            let _ = writeln!(out, "  {address:<w0$}  {id:<w1$}  {target}");
        }
    }
    let patterns = super::pattern_lines(plan);
    if !patterns.is_empty() {
        let _ = writeln!(out, "Patterns:");
        for line in patterns {
            let _ = writeln!(out, "  {line}");
        }
    }
    for warning in super::pattern_warnings(plan) {
        let _ = writeln!(out, "\n{} {warning}", paint(st.warning, "Warning:"));
    }
    out
}

/// A safety rule `--force` lifted, as a warning. (Conflicts and rules that refuse the plan are
/// errors: [`crate::render::error`] words them once, on stderr.)
pub(super) fn forced(plan: &Plan, st: &Styles) -> String {
    match &plan.forced {
        Some(rule) => format!(
            "\n{} --force lifted a safety rule: {rule}\n",
            paint(st.warning, "Warning:")
        ),
        None => String::new(),
    }
}

/// Why a plan is refused: each conflict and the rule that tripped, one a line, then what to do.
pub(crate) fn refusal(conflicts: &[Conflict], rule: Option<&Refusal>) -> String {
    let mut out = String::from("the plan is refused; nothing will change:\n");
    for conflict in conflicts {
        let _ = writeln!(out, "  - {conflict}");
    }
    if let Some(rule) = rule {
        let _ = writeln!(out, "  - {rule}");
    }
    let hint = match rule {
        _ if !conflicts.is_empty() => {
            "Resolve the conflicts on the platform (or in the manifests) and plan again."
        }
        Some(rule) if rule.forceable() => {
            "Review the deletions in the plan; if they are intended, plan again with --force."
        }
        _ => "Delete webhooks the account no longer needs, or declare fewer, and plan again.",
    };
    out.push_str(hint);
    out
}

/// The note on saving the plan: where it was saved, or that it was not.
fn closing(plan: &Plan, ctx: &PlanContext<'_>) -> String {
    let Some(apply) = ctx.apply_command else {
        return String::new();
    };
    match ctx.saved_to {
        Some("-") => format!(
            "\nSaved the plan to standard output.\n\nTo perform exactly these actions, save it to FILE and run: {apply} --plan FILE\n"
        ),
        Some(path) => {
            let shown = shell_quote(path);
            format!(
                "\nSaved the plan to: {path}\n\nTo perform exactly these actions, run: {apply} --plan {shown}\n"
            )
        }
        None if !plan.is_empty() && plan.is_applicable() => format!(
            "\nNote: this plan is not saved (--out FILE saves it); \"{apply}\" plans again, so it may differ if the account changes.\n"
        ),
        None => String::new(),
    }
}

/// `path` as one shell word: as it is when it needs no quoting, else in single quotes.
pub(crate) fn shell_quote(path: &str) -> String {
    let safe = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/+=:@,%".contains(c));
    if safe {
        path.to_owned()
    } else {
        format!("'{}'", path.replace('\'', "'\\''"))
    }
}
