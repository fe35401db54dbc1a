//! Renders a computed [`Plan`] for people and pipelines, in three formats:
//!
//! - [`text()`]: Terraform's contract for the terminal — `+ ~ -` blocks, `old -> new` per field,
//!   template diffs, drift notes, the `Plan: …` line and what was left untouched;
//! - [`json()`]: a versioned document (`--format json`) whose schema is committed as
//!   `schemas/plan.schema.json` ([`PLAN_SCHEMA_JSON`]);
//! - [`markdown()`]: a pull-request comment that stays under GitHub's size limit.
//!
//! A plan carries secrets only as [`crate::plan::Shown::Sensitive`] fingerprints and never
//! exposes [`crate::plan::Change::request`]; which values are secret is the plan's decision (for
//! the live side, by the ownership marker's record: see [`crate::plan`]), and a field with a
//! sensitive side never carries a text diff. As a safety net every format also scrubs the values
//! read from `${ENV}` ([`PlanContext::secrets`]) from its final text. The functions return
//! strings: printing is the [`crate::render::Console`]'s job.

mod json;
mod markdown;
pub mod project;
pub(crate) mod text;

#[cfg(test)]
mod tests;

use std::fmt;

use super::plural;
use crate::plan::Plan;

pub use json::{
    JsonAction, JsonActionReason, JsonChange, JsonConflict, JsonConflictKind, JsonDisabled,
    JsonField, JsonFieldName, JsonFingerprint, JsonPattern, JsonPlan, JsonRule, JsonRuleKind,
    JsonSensitive, JsonSummary, JsonTarget, JsonTargetKind, JsonTotals, JsonUnmanaged, JsonValue,
};

/// The version of the JSON plan document. Minor versions only add properties and field names
/// (consumers must ignore unknown ones); a new major version breaks compatibility. 1.1 added the
/// field `secrets` (the marker's record of which fields hold a value from `${NAME}`); 1.2 the
/// unmanaged webhooks; 1.3 the disabled ones and creates of entries whose adopted webhook is
/// gone; 1.4 `patterns` (what each pattern matched) and the `instance` of a change (the target of
/// one webhook of a pattern, in its address `webhook.<key>["<target>"]`); 1.5 the document of a
/// project file's environments ([`project::JsonProjectPlan`]: a plan per environment, its vars,
/// and a total).
pub const FORMAT_VERSION: &str = "1.5";

/// The committed schema of the JSON plan (`schemas/plan.schema.json`).
pub const PLAN_SCHEMA_JSON: &str = include_str!("../../../schemas/plan.schema.json");

/// What a renderer needs besides the plan.
#[derive(Debug, Clone, Copy)]
pub struct PlanContext<'a> {
    /// Emit ANSI styles (the console strips them anyway when colour is off).
    pub color: bool,
    /// Every value read from `${ENV}`: scrubbed from the final output as a safety net.
    pub secrets: &'a [String],
    /// The digest of the manifests the plan was computed from (for the JSON document).
    pub manifest_digest: &'a str,
    /// The tool's version, `env!("CARGO_PKG_VERSION")`.
    pub tool_version: &'a str,
    /// The path given to `plan --out`, if any (changes the closing note).
    pub saved_to: Option<&'a str>,
    /// The command that applies this plan (`apify-webhooks apply`, with `--local` and the like
    /// when the plan was made so), for the closing note; `None` leaves the note out (as when
    /// `apply` itself shows the plan).
    pub apply_command: Option<&'a str>,
}

/// The plan for the terminal, Terraform style.
pub fn text(plan: &Plan, ctx: &PlanContext<'_>) -> String {
    let encode = |s: &str| vec![quoted_inner(s)];
    let out = scrub(text::render(plan, ctx), ctx.secrets, encode);
    if ctx.color {
        // Styles could split a secret that the console then joins by stripping them: when the
        // plain text would hold one, give up colour rather than the secret.
        let stripped = strip_styles(&out);
        if scrub(stripped.clone(), ctx.secrets, encode) != stripped {
            let plain = PlanContext {
                color: false,
                ..*ctx
            };
            return scrub(text::render(plan, &plain), ctx.secrets, encode);
        }
    }
    out
}

/// The plan as a versioned JSON document: pretty, with a trailing newline.
pub fn json(plan: &Plan, ctx: &PlanContext<'_>) -> String {
    scrub(json::render(plan, ctx), ctx.secrets, |s| {
        // A secret with quotes, backslashes or control characters appears escaped in JSON.
        serde_json::to_string(s)
            .ok()
            .and_then(|q| Some(q.strip_prefix('"')?.strip_suffix('"')?.to_owned()))
            .into_iter()
            .collect()
    })
}

/// The plan as a pull-request comment (GitHub-flavoured Markdown, under 65,000 characters).
pub fn markdown(plan: &Plan, ctx: &PlanContext<'_>) -> String {
    scrub(markdown::render(plan, ctx), ctx.secrets, |s| {
        vec![markdown::escape_cell(s), quoted_inner(s)]
    })
}

/// The JSON schema of [`json()`]'s output, as committed: pretty, with a trailing newline.
pub fn schema_text() -> String {
    json::schema_text()
}

impl fmt::Display for Plan {
    /// The text plan without colour; no secrets are known here, so only the plan's own masking
    /// applies.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ctx = PlanContext {
            color: false,
            secrets: &[],
            manifest_digest: "",
            tool_version: env!("CARGO_PKG_VERSION"),
            saved_to: None,
            apply_command: Some("apify-webhooks apply"),
        };
        f.write_str(&text::render(self, &ctx))
    }
}

/// What a scrubbed secret is replaced with.
const SCRUBBED: &str = "(sensitive value)";

/// Replaces every secret longer than 3 characters (and the forms the output format escapes it
/// to) with `(sensitive value)`, longest first so that a secret containing another goes whole.
fn scrub(mut out: String, secrets: &[String], encode: impl Fn(&str) -> Vec<String>) -> String {
    let mut forms: Vec<String> = secrets
        .iter()
        .filter(|s| s.chars().count() > 3)
        .flat_map(|s| std::iter::once(s.clone()).chain(encode(s)))
        .filter(|s| s.chars().count() > 3)
        .collect();
    forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    forms.dedup();
    for secret in &forms {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), SCRUBBED);
        }
    }
    out
}

/// `text` without its ANSI SGR sequences (`ESC [ … m`), as a console without colour shows it.
fn strip_styles(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("\u{1b}[") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('m') {
            Some(end) if after[..end].chars().all(|c| c.is_ascii_digit() || c == ';') => {
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str(&rest[start..start + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A secret as it appears inside a quoted string of the text plan.
fn quoted_inner(secret: &str) -> String {
    let quoted = text::quote(secret);
    let inner = quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"'));
    inner.unwrap_or(&quoted).to_owned()
}

/// `Plan: 1 to adopt, 1 to add, 2 to change, 0 to destroy.` (without `Plan: `), or `None` when
/// there are no changes.
fn summary_counts(plan: &Plan) -> Option<String> {
    if plan.is_empty() {
        return None;
    }
    let s = plan.summary();
    let adopt = if s.adopt > 0 {
        format!("{} to adopt, ", s.adopt)
    } else {
        String::new()
    };
    Some(format!(
        "{adopt}{} to add, {} to change, {} to destroy.",
        s.add, s.change, s.destroy
    ))
}

/// The closing line alone (`Plan: 1 to add, …` or `No changes. …`), for `-q`.
pub fn summary_line(plan: &Plan) -> String {
    match summary_counts(plan) {
        Some(counts) => format!("Plan: {counts}\n"),
        None if !plan.conflicts.is_empty() => {
            "Plan: 0 to add, 0 to change, 0 to destroy.\n".to_owned()
        }
        None => {
            let (head, rest) = no_changes();
            format!("{head} {rest}\n")
        }
    }
}

/// The closing line when nothing changes, in its two parts (the first is emphasised).
fn no_changes() -> (&'static str, &'static str) {
    ("No changes.", "Your webhooks match the configuration.")
}

/// `3 unmanaged, 1 foreign and 2 out-of-scope webhooks left untouched.`, when any.
fn untouched_line(plan: &Plan) -> Option<String> {
    let u = plan.untouched;
    let parts: Vec<String> = [
        (u.unmanaged, "unmanaged"),
        (u.foreign, "foreign"),
        (u.out_of_scope, "out-of-scope"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    let total = u.unmanaged + u.foreign + u.out_of_scope;
    let list = match parts.as_slice() {
        [] => return None,
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    let noun = if total == 1 { "webhook" } else { "webhooks" };
    Some(format!("{list} {noun} left untouched."))
}

/// `1 owned webhook is disabled on the platform …`, when any, and one `webhook.<key>`, ID and
/// target a row.
fn disabled_lines(plan: &Plan) -> Option<(String, Vec<[String; 3]>)> {
    let n = plan.disabled.len();
    (n > 0).then(|| {
        let (is, it) = if n == 1 { ("is", "it") } else { ("are", "them") };
        let head = format!(
            "{} {is} disabled on the platform and deliver{} nothing, whatever the plan does (enable {it} in the Apify Console):",
            plural(n, "owned webhook"),
            if n == 1 { "s" } else { "" }
        );
        let rows = plan
            .disabled
            .iter()
            .map(|d| {
                [
                    d.address(),
                    d.id.clone(),
                    d.target.to_string(),
                ]
            })
            .collect();
        (head, rows)
    })
}

/// How many unmanaged webhooks text and Markdown name; JSON names them all.
const UNMANAGED_SHOWN: usize = 20;

/// The unmanaged webhooks, one a line (`id  actor acme/x  https://host/…  EVENT, EVENT`), at
/// most [`UNMANAGED_SHOWN`], and how many more there are.
fn unmanaged_lines(plan: &Plan) -> (Vec<[String; 4]>, usize) {
    let rows = plan
        .unmanaged
        .iter()
        .take(UNMANAGED_SHOWN)
        .map(|u| {
            [
                u.id.clone(),
                u.target.to_string(),
                u.url.clone(),
                u.event_types.join(", "),
            ]
        })
        .collect();
    (rows, plan.unmanaged.len().saturating_sub(UNMANAGED_SHOWN))
}

/// What each pattern matched, one a line: `` `acme/*`: 38 Actors, 2 excluded (webhook.k) ``.
fn pattern_lines(plan: &Plan) -> Vec<String> {
    plan.patterns
        .iter()
        .map(|m| {
            let noun = match m.kind {
                crate::webhook::TargetKind::Actor => "Actor",
                crate::webhook::TargetKind::Task => "task",
            };
            let excluded = if m.excluded.is_empty() {
                String::new()
            } else {
                format!(", {} excluded", m.excluded.len())
            };
            format!(
                "`{}`: {}{excluded} (webhook.{})",
                m.pattern,
                plural(m.matched.len(), noun),
                m.key
            )
        })
        .collect()
}

/// A warning for every pattern that matches nothing (a typo, or a token that lost access: the
/// safety rules still stop it from deleting what it matched before).
fn pattern_warnings(plan: &Plan) -> Vec<String> {
    plan.patterns
        .iter()
        .filter(|m| m.matched.is_empty())
        .map(|m| {
            let what = match m.kind {
                crate::webhook::TargetKind::Actor => "Actor",
                crate::webhook::TargetKind::Task => "task",
            };
            let excluded = if m.excluded.is_empty() {
                String::new()
            } else {
                format!(
                    " that its `exclude` leaves in ({} excluded)",
                    m.excluded.len()
                )
            };
            format!(
                "pattern `{}` of webhook.{} matches no {what} of the account{excluded}",
                m.pattern, m.key
            )
        })
        .collect()
}

/// `2 owned webhooks not in the manifests kept (--no-delete).`, when any.
fn kept_line(plan: &Plan) -> Option<String> {
    let kept = plan.untouched.kept;
    (kept > 0).then(|| {
        format!(
            "{} not in the manifests kept (--no-delete).",
            plural(kept, "owned webhook")
        )
    })
}
