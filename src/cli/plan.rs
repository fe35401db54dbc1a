//! `apify-webhooks plan`: shows what `apply` would change, as text, JSON or Markdown; `--out`
//! saves it for `apply --plan`. One call into [`crate::session`], then rendering.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::connect::ConnectArgs;
use super::{Context, EnvArgs, ManifestArgs, SafetyArgs};
use crate::error::{Error, Refused};
use crate::exit;
use crate::plan::saved::{SavedEnvironment, SavedPlan, SavedProject};
use crate::project::Project;
use crate::render::plan::project::{self as render_project, EnvironmentReport};
use crate::render::plan::{self as render_plan, PlanContext};
use crate::session::{self, EnvironmentInput, Workspace};

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
    envs: EnvArgs,
    #[command(flatten)]
    connect: ConnectArgs,
}

/// Runs `plan`.
pub(crate) fn run(args: &PlanArgs, ctx: &Context) -> Result<u8, Error> {
    if let Some(project) = args.envs.project(&args.manifests.paths)? {
        return run_project(args, ctx, &project);
    }
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

/// Runs `plan` over the environments of a project file: planned concurrently, one report, all
/// saved together with `--out`.
fn run_project(args: &PlanArgs, ctx: &Context, project: &Project) -> Result<u8, Error> {
    let console = &ctx.console;
    args.connect.check_project()?;
    let (envs, workspaces) =
        super::load_environments(project, &args.envs.envs, args.manifests.owner.as_deref())?;
    let desired = envs
        .iter()
        .zip(&workspaces)
        .map(|(e, w)| {
            w.resolve_with(&e.vars, Context::env_var)
                .map_err(|err| err.in_environment(&e.name))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let options = args.safety.options()?;
    let planned = super::block_on(async {
        let connections = args
            .connect
            .connect_environments(&envs, &project.path)
            .await?;
        if let super::connect::EnvConnections::Local(_) = &connections {
            console.info("Using the local emulator: a user per environment.");
        }
        let inputs: Vec<EnvironmentInput<'_>> = envs
            .iter()
            .zip(connections.list())
            .zip(&desired)
            .zip(&workspaces)
            .map(|(((e, c), d), w)| EnvironmentInput {
                name: &e.name,
                connection: c,
                desired: d,
                owner: &w.owner,
                options,
            })
            .collect();
        let planned = session::plan_environments(&inputs).await;
        connections.close().await;
        planned
    })?;
    let applicable = planned.iter().all(|p| p.plan.is_applicable());
    let mut saved_on_stdout = None;
    let saved_to = match &args.out {
        Some(path) if applicable => {
            let salt = hex::encode(options.key);
            let saved = SavedProject {
                kind: crate::plan::saved::PROJECT_KIND.to_owned(),
                format_version: crate::plan::saved::FORMAT_VERSION,
                project: project.path.display().to_string(),
                environments: envs
                    .iter()
                    .zip(&desired)
                    .zip(&planned)
                    .zip(&workspaces)
                    .map(|(((e, d), p), w)| {
                        let paths = w.path_strings();
                        SavedEnvironment {
                            name: e.name.clone(),
                            vars: e.vars.clone(),
                            plan: SavedPlan::new(
                                &p.plan,
                                &session::provenance(d, p, options, &paths, &salt),
                            ),
                        }
                    })
                    .collect(),
            };
            let text = session::saved_project_text(&saved);
            if is_stdout(path) {
                saved_on_stdout = Some(text);
            } else {
                session::save_text(path, &text)?;
            }
            Some(path.display().to_string())
        }
        _ => None,
    };
    let mut apply_command = args.connect.apply_command().to_owned();
    if saved_to.is_none() {
        if args.envs.project.is_some() {
            apply_command.push_str(" --project ");
            apply_command.push_str(&super::shell_words(&[project.path.display().to_string()]));
        }
        for name in &args.envs.envs {
            apply_command.push_str(" --env ");
            apply_command.push_str(&super::shell_words(std::slice::from_ref(name)));
        }
    }
    let reports: Vec<EnvironmentReport<'_>> = super::environment_reports(&envs, &desired, &planned);
    let rctx = PlanContext {
        color: true,
        secrets: &[],
        manifest_digest: "",
        tool_version: env!("CARGO_PKG_VERSION"),
        saved_to: saved_to.as_deref(),
        apply_command: Some(&apply_command),
    };
    let rendered = match args.format {
        PlanFormat::Text if console.is_quiet() => render_project::summary_line(&reports),
        PlanFormat::Text => render_project::text(&reports, &rctx),
        PlanFormat::Json => render_project::json(&reports, &rctx),
        PlanFormat::Markdown => render_project::markdown(&reports, &rctx),
    };
    match &saved_on_stdout {
        Some(json) => {
            console.info(rendered.trim_end());
            console.print(json);
        }
        None if args.out.as_deref().is_some_and(is_stdout) => console.info(rendered.trim_end()),
        None => console.print(&rendered),
    }
    if let Some((e, p)) = envs
        .iter()
        .zip(&planned)
        .find(|(_, p)| !p.plan.is_applicable())
    {
        if args.out.is_some() {
            console.info("The plan was not saved: it cannot be applied.");
        }
        return Err(Error::Refused(Refused::Plan {
            conflicts: p.plan.conflicts.clone(),
            rule: p.plan.refusal.clone(),
        })
        .in_environment(&e.name));
    }
    Ok(
        if args.detailed_exitcode && planned.iter().any(|p| !p.plan.is_empty()) {
            exit::CHANGES_PENDING
        } else {
            exit::SUCCESS
        },
    )
}
