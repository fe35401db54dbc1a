//! The plan of several environments (a project file's) as one report: a section per
//! environment (its account, API, owner and plain vars, then its plan as a single plan renders)
//! and a total, in text, JSON (format 1.5: [`JsonProjectPlan`]) and Markdown (one pull-request
//! comment: each section gets a share of the size limit).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;

use super::json::{JsonPlan, JsonSummary};
use super::markdown as md;
use super::{FORMAT_VERSION, PlanContext};
use crate::plan::Plan;

/// One environment's part of the report.
#[derive(Debug, Clone, Copy)]
pub struct EnvironmentReport<'a> {
    /// Its name in the project file.
    pub name: &'a str,
    /// Its plan.
    pub plan: &'a Plan,
    /// Its API base URL (or `local`).
    pub api: &'a str,
    /// The account (user ID) its token belongs to.
    pub account: &'a str,
    /// Its plain vars, shown.
    pub vars: &'a BTreeMap<String, String>,
    /// Its secrets: scrubbed from its section (and, as a safety net, from the whole report).
    pub secrets: &'a [String],
    /// The digest of its manifests.
    pub manifest_digest: &'a str,
}

/// The plan of every environment of a project file, as one versioned document (format 1.5).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "ProjectPlan")]
pub struct JsonProjectPlan {
    /// The version of this document's format, `major.minor` (1.5 and later).
    #[schemars(regex(pattern = r"^1\.[0-9]+$"))]
    pub format_version: String,
    /// The apify-webhooks version that computed the plan.
    pub tool_version: String,
    /// Whether `apply` would carry out every environment's plan: false when any is refused.
    pub applyable: bool,
    /// The counts of every environment added up.
    pub summary: JsonSummary,
    /// A plan per environment, in the project file's order.
    pub environments: Vec<JsonEnvironmentPlan>,
}

/// One environment's plan.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "EnvironmentPlan")]
pub struct JsonEnvironmentPlan {
    /// The environment's name in the project file.
    pub name: String,
    /// The API base URL it was planned against (`local` for the embedded emulator).
    pub api: String,
    /// The account (user ID) its token belongs to.
    pub account: String,
    /// Its plain vars (shown values; secrets never appear).
    pub vars: BTreeMap<String, String>,
    /// Its plan, as `plan --format json` without a project file gives it.
    pub plan: JsonPlan,
}

/// The counts of every plan added up.
fn total(envs: &[EnvironmentReport<'_>]) -> crate::plan::Summary {
    let mut t = crate::plan::Summary::default();
    for e in envs {
        let s = e.plan.summary();
        t.adopt += s.adopt;
        t.add += s.add;
        t.change += s.change;
        t.destroy += s.destroy;
    }
    t
}

/// `Total: 1 to add, 0 to change, 0 to destroy in 2 environments.` or, when nothing changes
/// anywhere, `No changes in 2 environments. …`.
pub fn total_line(envs: &[EnvironmentReport<'_>]) -> String {
    let t = total(envs);
    let n = super::plural(envs.len(), "environment");
    if envs.iter().all(|e| e.plan.is_empty()) {
        return format!("No changes in {n}. Your webhooks match the configuration.\n");
    }
    let adopt = if t.adopt > 0 {
        format!("{} to adopt, ", t.adopt)
    } else {
        String::new()
    };
    format!(
        "Total: {adopt}{} to add, {} to change, {} to destroy in {n}.\n",
        t.add, t.change, t.destroy
    )
}

/// `vars: ORG=acme, RECEIVER=https://…` (none: nothing).
fn vars_line(vars: &BTreeMap<String, String>) -> Option<String> {
    (!vars.is_empty()).then(|| {
        let list: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("vars: {}", list.join(", "))
    })
}

fn header(e: &EnvironmentReport<'_>) -> String {
    format!(
        "Environment `{}`: owner `{}`, account {} at {}",
        e.name, e.plan.owner, e.account, e.api
    )
}

fn section_ctx<'a>(e: &'a EnvironmentReport<'a>, ctx: &PlanContext<'a>) -> PlanContext<'a> {
    PlanContext {
        secrets: e.secrets,
        manifest_digest: e.manifest_digest,
        apply_command: None,
        saved_to: None,
        ..*ctx
    }
}

/// Every secret of every environment, for the final safety-net scrub.
fn all_secrets(envs: &[EnvironmentReport<'_>]) -> Vec<String> {
    envs.iter()
        .flat_map(|e| e.secrets.iter().cloned())
        .collect()
}

/// The report for the terminal: a section per environment, then the total and what to run.
pub fn text(envs: &[EnvironmentReport<'_>], ctx: &PlanContext<'_>) -> String {
    let mut out = String::new();
    for e in envs {
        let _ = writeln!(out, "── {} ──", header(e));
        if let Some(vars) = vars_line(e.vars) {
            let _ = writeln!(out, "{vars}");
        }
        out.push('\n');
        out.push_str(super::text(e.plan, &section_ctx(e, ctx)).trim_end());
        out.push_str("\n\n");
    }
    out.push_str(&total_line(envs));
    if envs.iter().any(|e| !e.plan.is_empty()) {
        match (ctx.saved_to, ctx.apply_command) {
            (Some(path), Some(cmd)) => {
                let _ = writeln!(
                    out,
                    "\nSaved the plan of every environment to {path}. To apply exactly it: {cmd} --plan {}",
                    super::text::shell_quote(path)
                );
            }
            (None, Some(cmd)) => {
                let _ = writeln!(out, "\nTo apply every environment: {cmd}");
            }
            _ => {}
        }
    }
    super::scrub(out, &all_secrets(envs), |s| vec![super::quoted_inner(s)])
}

/// The report as one versioned JSON document: pretty, with a trailing newline.
pub fn json(envs: &[EnvironmentReport<'_>], ctx: &PlanContext<'_>) -> String {
    let t = total(envs);
    let doc = JsonProjectPlan {
        format_version: FORMAT_VERSION.to_owned(),
        tool_version: ctx.tool_version.to_owned(),
        applyable: envs.iter().all(|e| e.plan.is_applicable()),
        summary: JsonSummary {
            adopt: t.adopt,
            add: t.add,
            change: t.change,
            destroy: t.destroy,
            unchanged: envs.iter().map(|e| e.plan.untouched.unchanged).sum(),
            unmanaged: envs.iter().map(|e| e.plan.untouched.unmanaged).sum(),
            foreign: envs.iter().map(|e| e.plan.untouched.foreign).sum(),
            out_of_scope: envs.iter().map(|e| e.plan.untouched.out_of_scope).sum(),
            kept: envs.iter().map(|e| e.plan.untouched.kept).sum(),
        },
        environments: envs
            .iter()
            .map(|e| JsonEnvironmentPlan {
                name: e.name.to_owned(),
                api: e.api.to_owned(),
                account: e.account.to_owned(),
                vars: e.vars.clone(),
                plan: JsonPlan::new(e.plan, &section_ctx(e, ctx)),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("a plan serializes");
    text.push('\n');
    super::scrub(text, &all_secrets(envs), |s| {
        serde_json::to_string(s)
            .ok()
            .and_then(|q| Some(q.strip_prefix('"')?.strip_suffix('"')?.to_owned()))
            .into_iter()
            .collect()
    })
}

/// The report as one pull-request comment, under GitHub's limit: each environment's section
/// gets an equal share of it.
pub fn markdown(envs: &[EnvironmentReport<'_>], ctx: &PlanContext<'_>) -> String {
    let mut out = String::from("<!-- apify-webhooks project plan -->\n");
    let _ = writeln!(
        out,
        "## apify-webhooks plan: {}\n\n**{}**",
        super::plural(envs.len(), "environment"),
        total_line(envs).trim_end()
    );
    let reserve = 2_000 + envs.len() * 600;
    let share = md::MAX_CHARS.saturating_sub(reserve) / envs.len().max(1);
    for e in envs {
        let _ = writeln!(out, "\n---\n\n### {}\n", header(e));
        if let Some(vars) = vars_line(e.vars) {
            let vars = md::escape_cell(&vars);
            // Long vars would eat the section's share: at most 500 characters of them.
            let vars: String = vars.chars().take(500).collect();
            let _ = writeln!(out, "{vars}\n");
        }
        let section = md::render_within(e.plan, &section_ctx(e, ctx), share);
        out.push_str(section.trim_end());
        out.push('\n');
    }
    super::scrub(out, &all_secrets(envs), |s| {
        vec![md::escape_cell(s), super::quoted_inner(s)]
    })
}

/// The closing line alone, for `-q`.
pub fn summary_line(envs: &[EnvironmentReport<'_>]) -> String {
    total_line(envs)
}
