//! `apify-webhooks plan`: shows what `apply` would change, as text, JSON or Markdown; `--out`
//! saves it for `apply --plan`. One call into [`crate::session`], then rendering.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::connect::ConnectArgs;
use super::{Context, ManifestArgs, SafetyArgs};
use crate::error::{Error, Refused};
use crate::exit;
use crate::plan::saved::SavedPlan;
use crate::render::plan::{self as render_plan, PlanContext};
use crate::session::{self, Workspace};

/// Output formats of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum PlanFormat {
    /// Terraform-style text.
    #[default]
    Text,
    /// A versioned JSON document (schemas/plan.schema.json).
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
}

/// Arguments of `plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    manifests: ManifestArgs,
    /// How to print the plan.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    format: PlanFormat,
    /// Save the plan to FILE (mode 0600, no secret values) for `apply --plan FILE`; `-` writes it
    /// to stdout (the plan is then shown on stderr).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Exit 0 when there are no changes and 2 when there are (1 on errors, 3 when refused).
    #[arg(long)]
    detailed_exitcode: bool,
    #[command(flatten)]
    safety: SafetyArgs,
    #[command(flatten)]
    connect: ConnectArgs,
}

/// Runs `plan`.
pub(crate) fn run(args: &PlanArgs, ctx: &Context) -> Result<u8, Error> {
    let console = &ctx.console;
    let workspace = Workspace::load(&args.manifests.paths, args.manifests.owner.as_deref())?;
    let desired = workspace.resolve(Context::env_var)?;
    let options = args.safety.options()?;
    let planned = super::block_on(async {
        let connection = args.connect.connect(&workspace.paths).await?;
        if connection.is_local() {
            console.info(&format!("Using {}.", connection.description));
        } else {
            tracing::info!("planning against {}", connection.description);
        }
        let planned = session::plan(
            &connection.client,
            &connection.api,
            &desired,
            &workspace.owner,
            options,
        )
        .await;
        connection.close().await;
        planned
    })?;
    let plan = &planned.plan;
    // `--out -`: the saved plan is what goes to stdout; the rendered plan goes to stderr.
    let mut saved_on_stdout = None;
    let saved_to = match &args.out {
        Some(path) if plan.is_applicable() => {
            let paths = workspace.path_strings();
            let salt = hex::encode(options.key);
            let provenance = session::provenance(&desired, &planned, options, &paths, &salt);
            let saved = SavedPlan::new(plan, &provenance);
            if is_stdout(path) {
                saved_on_stdout = Some(session::saved_plan_text(&saved));
            } else {
                session::save(path, &saved)?;
            }
            Some(path.display().to_string())
        }
        _ => None,
    };
    // The command that applies this plan: exactly it when saved, else planning again from the
    // same manifests.
    let apply_command = match &saved_to {
        Some(_) => args.connect.apply_command().to_owned(),
        None => format!(
            "{} {}",
            args.connect.apply_command(),
            super::shell_words(&workspace.path_strings())
        ),
    };
    let rctx = PlanContext {
        color: true,
        secrets: &desired.secrets,
        manifest_digest: &desired.digest,
        tool_version: env!("CARGO_PKG_VERSION"),
        saved_to: saved_to.as_deref(),
        apply_command: Some(&apply_command),
    };
    let rendered = match args.format {
        PlanFormat::Text if console.is_quiet() => render_plan::summary_line(plan),
        PlanFormat::Text => render_plan::text(plan, &rctx),
        PlanFormat::Json => render_plan::json(plan, &rctx),
        PlanFormat::Markdown => render_plan::markdown(plan, &rctx),
    };
    match &saved_on_stdout {
        Some(json) => {
            console.info(rendered.trim_end());
            console.print(json);
        }
        None if args.out.as_deref().is_some_and(is_stdout) => console.info(rendered.trim_end()),
        None => console.print(&rendered),
    }
    if !plan.is_applicable() {
        if args.out.is_some() {
            console.info("The plan was not saved: it cannot be applied.");
        }
        return Err(Error::Refused(Refused::Plan {
            conflicts: plan.conflicts.clone(),
            rule: plan.refusal.clone(),
        }));
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        exit::CHANGES_PENDING
    } else {
        exit::SUCCESS
    })
}

/// Whether `--out` names standard output.
fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}
