//! The Markdown plan (`plan --format markdown`), ready to post as a pull-request comment, in
//! Atlantis's shape: the summary first (with refusals and conflicts as a warning block), a
//! compact table of the changes, then the text plan in a collapsible ```` ```diff ```` block
//! whose `+ - ~` markers are moved to column 0 so GitHub colours them (`~` becomes `!`).
//!
//! GitHub refuses comments over 65,536 characters. The comment stays under [`MAX_CHARS`]: when
//! the full version is longer, the field details of the largest changes are left out first,
//! then the whole diff block, then table rows, each time with a note on how to see it all.

use std::fmt::Write as _;

use super::PlanContext;
use super::text::{self, Detail, Styles};
use crate::plan::{Action, Change, Plan};

/// The most characters (bytes, to be safe) a comment may have.
pub(super) const MAX_CHARS: usize = 65_000;

/// How far the comment was shortened to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shortened {
    /// Not at all.
    No,
    /// The field details of this many changes are left out of the diff block.
    Fields(usize),
    /// The diff block is left out.
    Details,
    /// The diff block and this many table rows are left out.
    Rows(usize),
}

/// The comment.
pub(super) fn render(plan: &Plan, ctx: &PlanContext<'_>) -> String {
    let st = Styles::new(false);
    let full: Vec<String> = plan
        .changes
        .iter()
        .map(|c| text::block(c, &st, Detail::Full))
        .collect();
    let comment = assemble(plan, ctx, Some(&full), plan.changes.len(), Shortened::No);
    if comment.len() <= MAX_CHARS {
        return comment;
    }

    // Leave out the field details of the largest changes first.
    let names: Vec<String> = plan
        .changes
        .iter()
        .map(|c| text::block(c, &st, Detail::Names))
        .collect();
    let mut order: Vec<usize> = (0..full.len()).collect();
    // Largest saving first; among equals, the last changes first, so the top stays detailed.
    order.sort_by_key(|&i| std::cmp::Reverse((full[i].len().saturating_sub(names[i].len()), i)));
    let mut blocks = full.clone();
    let mut over = comment.len() - MAX_CHARS;
    let mut collapsed = 0;
    for &i in &order {
        if full[i].len() <= names[i].len() {
            break;
        }
        over = over.saturating_sub(full[i].len() - names[i].len());
        blocks[i].clone_from(&names[i]);
        collapsed += 1;
        if over == 0 {
            let comment = assemble(
                plan,
                ctx,
                Some(&blocks),
                plan.changes.len(),
                Shortened::Fields(collapsed),
            );
            if comment.len() <= MAX_CHARS {
                return comment;
            }
            // The notes grew the comment: go on collapsing.
            over = comment.len() - MAX_CHARS;
        }
    }

    // Then the whole diff block.
    let comment = assemble(plan, ctx, None, plan.changes.len(), Shortened::Details);
    if comment.len() <= MAX_CHARS {
        return comment;
    }

    // Finally table rows: as many as fit.
    let rows: Vec<String> = plan.changes.iter().map(row).collect();
    let fixed = assemble(plan, ctx, None, 0, Shortened::Rows(plan.changes.len())).len();
    let mut budget = MAX_CHARS.saturating_sub(fixed + 200);
    let mut kept = 0;
    for r in &rows {
        if r.len() > budget {
            break;
        }
        budget -= r.len();
        kept += 1;
    }
    assemble(
        plan,
        ctx,
        None,
        kept,
        Shortened::Rows(plan.changes.len() - kept),
    )
}

/// The comment with the given diff blocks (none: no diff block) and the first `rows` rows.
fn assemble(
    plan: &Plan,
    ctx: &PlanContext<'_>,
    blocks: Option<&[String]>,
    rows: usize,
    shortened: Shortened,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!-- apify-webhooks plan owner={} -->\n### apify-webhooks plan for owner `{}`\n",
        plan.owner, plan.owner
    );
    match super::summary_counts(plan) {
        Some(counts) => {
            let _ = writeln!(out, "**Plan: {counts}**\n");
        }
        None if !plan.conflicts.is_empty() => {
            out.push_str("**Plan: 0 to add, 0 to change, 0 to destroy.**\n\n");
        }
        None => {
            let (head, rest) = super::no_changes();
            let _ = writeln!(out, "**{head}** {rest}\n");
        }
    }
    for line in [super::untouched_line(plan), super::kept_line(plan)]
        .into_iter()
        .flatten()
    {
        let _ = writeln!(out, "{line}\n");
    }
    let patterns = super::pattern_lines(plan);
    if !patterns.is_empty() {
        out.push_str("Patterns:\n");
        for line in patterns {
            let _ = writeln!(out, "- {}", one_line(&line));
        }
        out.push('\n');
    }
    let (unmanaged, more) = super::unmanaged_lines(plan);
    if !unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Unmanaged webhooks (take one over with <code>adopt: ID</code>)</summary>\n\n| ID | Target | URL | Events |\n|---|---|---|---|"
        );
        for [id, target, url, events] in &unmanaged {
            let _ = writeln!(
                out,
                "| `{id}` | {} | {} | {} |",
                escape_cell(target),
                escape_cell(url),
                escape_cell(events)
            );
        }
        if more > 0 {
            let _ = writeln!(out, "\n... and {more} more.");
        }
        out.push_str("\n</details>\n\n");
    }
    out.push_str(&warnings(plan));
    if let Some((head, rows)) = super::disabled_lines(plan) {
        let _ = writeln!(out, "> [!WARNING]\n> {}", escape_cell(&head));
        for [address, id, target] in &rows {
            let _ = writeln!(
                out,
                "> - {} ({}, {})",
                code(address),
                code(id),
                escape_cell(target)
            );
        }
        out.push('\n');
    }
    out.push_str(&drift_note(plan));
    out.push_str(&shortened_note(shortened));

    if !plan.changes.is_empty() {
        out.push_str("| | Webhook | Target | Changes |\n|:-:|---|---|---|\n");
        for c in plan.changes.iter().take(rows) {
            out.push_str(&row(c));
        }
        let left_out = plan.changes.len().saturating_sub(rows);
        if left_out > 0 {
            let _ = writeln!(
                out,
                "| | … | | {} not shown |",
                super::plural(left_out, "more change")
            );
        }
        out.push('\n');
    }

    if let Some(blocks) = blocks.filter(|_| !plan.changes.is_empty()) {
        let st = Styles::new(false);
        let mut plain = text::head(plan, &st);
        for b in blocks {
            plain.push_str(b);
            plain.push('\n');
        }
        plain.push_str(&text::summary(plan, &st));
        let diff = diff_format(&plain);
        let fence = "`".repeat(longest_backtick_run(&diff).max(2) + 1);
        let _ = write!(
            out,
            "<details><summary>Show plan</summary>\n\n{fence}diff\n{diff}{fence}\n\n</details>\n\n"
        );
    }

    let _ = write!(out, "<sub>apify-webhooks {}", ctx.tool_version);
    let digest: String = ctx.manifest_digest.chars().take(12).collect();
    if !digest.is_empty() {
        let _ = write!(out, " · manifests `{}`", escape_cell(&digest));
    }
    out.push_str("</sub>\n");
    out
}

/// Conflicts and refusals (a caution block) and a lifted rule (a warning block).
fn warnings(plan: &Plan) -> String {
    let mut out = String::new();
    if !plan.is_applicable() {
        out.push_str("> [!CAUTION]\n> **This plan cannot be applied.**\n>\n");
        for c in &plan.conflicts {
            let _ = writeln!(out, "> - {}", one_line(&c.to_string()));
        }
        if let Some(r) = &plan.refusal {
            let _ = writeln!(out, "> - {}", one_line(&r.to_string()));
        }
        out.push('\n');
    }
    for w in super::pattern_warnings(plan) {
        let _ = writeln!(out, "> [!WARNING]\n> {}\n", one_line(&w));
    }
    if let Some(r) = &plan.forced {
        let _ = writeln!(
            out,
            "> [!WARNING]\n> `--force` lifted a safety rule: {}\n",
            one_line(&r.to_string())
        );
    }
    out
}

/// Which webhooks drifted, and in which fields.
fn drift_note(plan: &Plan) -> String {
    let drifted: Vec<&Change> = plan.changes.iter().filter(|c| c.has_drift()).collect();
    if drifted.is_empty() {
        return String::new();
    }
    let mut out =
        "> [!NOTE]\n> These live values are not in the manifests and will be reset:\n".to_owned();
    for c in drifted {
        let fields = c.drift_fields();
        let _ = writeln!(out, "> - {}: {}", code(&c.address()), fields.join(", "));
    }
    out.push('\n');
    out
}

fn shortened_note(shortened: Shortened) -> String {
    let what = match shortened {
        Shortened::No => return String::new(),
        Shortened::Fields(n) => format!(
            "the field details of {} are left out",
            super::plural(n, "change")
        ),
        Shortened::Details => "the detailed plan is left out".to_owned(),
        Shortened::Rows(n) => format!(
            "the detailed plan and {} are left out",
            super::plural(n, "change")
        ),
    };
    format!(
        "> [!NOTE]\n> This plan was summarised to fit in a comment: {what}. To see all of it, run `apify-webhooks plan` locally, or use `--format json`.\n\n"
    )
}

/// One table row: symbol, key, target, what changes.
fn row(c: &Change) -> String {
    let symbol = match c.action {
        Action::Create => "+",
        Action::Update | Action::Adopt => "~",
        Action::Delete => "-",
    };
    let fields: Vec<String> = c
        .fields
        .iter()
        .map(|f| {
            if f.drift {
                format!("{} (not in the manifests)", f.field.name())
            } else {
                f.field.name().to_owned()
            }
        })
        .collect();
    let id = c.webhook_id.as_deref().unwrap_or("?");
    let what = match c.action {
        Action::Create => match &c.adopt_gone {
            Some(gone) => format!(
                "create (webhook {}, which `adopt:` names, no longer exists): {}",
                code(gone),
                fields.join(", ")
            ),
            None => format!("create: {}", fields.join(", ")),
        },
        Action::Update => match &c.moved_from {
            Some(from) => format!(
                "moved from {} (webhook {}, in place): {}",
                code(&crate::plan::address(from, c.instance.as_deref())),
                code(id),
                fields.join(", ")
            ),
            None => format!("update: {}", fields.join(", ")),
        },
        Action::Adopt => format!("adopt {}: {}", code(id), fields.join(", ")),
        Action::Delete => match &c.duplicate_of {
            Some(kept) => format!("destroy {} (duplicate of {})", code(id), code(kept)),
            None => format!("destroy {} (no longer declared)", code(id)),
        },
    };
    format!(
        "| `{symbol}` | {} | {} {} | {} |\n",
        code(c.address().trim_start_matches("webhook.")),
        c.target.kind,
        code(&c.target.name),
        what
    )
}

/// `text` as inline code, safe in a table cell.
fn code(text: &str) -> String {
    let text = escape_cell(text);
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// `text` on one line, with the pipes that would end a table cell escaped.
pub(super) fn escape_cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// Atlantis's diff-markdown format: a `+`, `-` or `~` marker after indentation moves to column
/// 0 (so GitHub's diff highlighting sees it), and `~` becomes `!`.
fn diff_format(plain: &str) -> String {
    let mut out = String::with_capacity(plain.len());
    for line in plain.lines() {
        let rest = line.trim_start_matches(' ');
        let indent = line.len() - rest.len();
        let mut chars = rest.chars();
        let marker = chars.next();
        let after = chars.next();
        match marker {
            Some(m @ ('+' | '-' | '~')) if indent > 0 && matches!(after, None | Some(' ')) => {
                out.push(if m == '~' { '!' } else { m });
                out.push_str(&line[..indent]);
                out.push_str(&rest[1..]);
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

fn longest_backtick_run(text: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for ch in text.chars() {
        if ch == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}
