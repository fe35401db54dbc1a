//! `apify-webhooks apply`: plans, shows the plan, asks for confirmation on a terminal (or takes
//! `--auto-approve`), and carries it out; `apply --plan FILE` carries out exactly a saved plan,
//! after checking that nothing it depends on moved.

use std::path::PathBuf;

use std::fmt::Write as _;

use clap::{Args, ValueEnum};

use super::connect::ConnectArgs;
use super::{Context, EnvArgs, ManifestArgs, SafetyArgs};
use crate::apply::{self, ApplyOptions, ApplyReport};
use crate::error::{Error, Refused};
use crate::exit;
use crate::plan::Plan;
use crate::plan::saved::{SavedPlan, Staleness};
use crate::project::Project;
use crate::render::Console;
use crate::render::apply as render_apply;
use crate::render::plan::project::{self as render_project, EnvironmentReport};
use crate::render::plan::{self as render_plan, PlanContext};
use crate::session::{self, EnvironmentInput, SavedFile, Workspace};

/// Output formats of an apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum ApplyFormat {
    /// The plan, one line per finished operation, and the summary, for people.
    #[default]
    Text,
    /// A JSON report of every operation on stdout (the plan and progress go to stderr).
    Json,
}

/// Arguments of `apply`.
#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    #[command(flatten)]
    manifests: ManifestArgs,
    /// Apply without asking (for pipelines).
    #[arg(long)]
    auto_approve: bool,
    /// Apply exactly this saved plan (from `plan --out`); refused if anything it depends on
    /// moved since.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["force", "no_delete", "paths"])]
    plan: Option<PathBuf>,
    /// Operations in flight at once (creates are also held to 50 per second, under the
    /// platform's 60 requests per second per resource).
    #[arg(long, value_name = "N", default_value_t = apply::DEFAULT_PARALLELISM, value_parser = parse_parallelism)]
    parallelism: usize,
    /// How to report.
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text)]
    format: ApplyFormat,
    #[command(flatten)]
    safety: SafetyArgs,
    #[command(flatten)]
    envs: EnvArgs,
    #[command(flatten)]
    connect: ConnectArgs,
}

/// 1 to 64.
fn parse_parallelism(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=64).contains(&n) => Ok(n),
        _ => Err("expected a number from 1 to 64".to_owned()),
    }
}

/// A saved plan and the file it came from.
struct Saved {
    file: PathBuf,
    plan: SavedPlan,
}

impl Saved {
    fn stale(&self, reasons: Vec<Staleness>) -> Error {
        let local = if self.plan.api == session::LOCAL_API {
            " --local"
        } else {
            ""
        };
        let replan = format!(
            "apify-webhooks plan{local} {} --out {}",
            super::shell_words(&self.plan.paths),
            super::shell_words(&[self.file.display().to_string()])
        );
        Error::Refused(Refused::Stale {
            plan_file: self.file.clone(),
            reasons,
            replan,
        })
    }
}

/// Runs `apply`.
pub(crate) fn run(args: &ApplyArgs, ctx: &Context) -> Result<u8, Error> {
    let console = &ctx.console;
    let saved_file = match &args.plan {
        Some(file) => Some(session::read_saved_file(file)?),
        None => None,
    };
    // A saved plan of environments is applied with its project file, found as for a plan.
    let project = match &saved_file {
        Some(SavedFile::Project(saved)) if args.envs.project.is_none() => {
            let found = args.envs.project(&[])?;
            match found {
                Some(p) => Some(p),
                None => Some(
                    crate::project::load(std::path::Path::new(&saved.project))
                        .map_err(Error::InvalidManifest)?,
                ),
            }
        }
        Some(SavedFile::Single(_)) if args.envs.project.is_none() && args.envs.envs.is_empty() => {
            None
        }
        _ => args.envs.project(&args.manifests.paths)?,
    };
    if let Some(project) = project {
        let saved = match saved_file {
            Some(SavedFile::Project(saved)) => Some(saved),
            Some(SavedFile::Single(_)) => {
                return Err(Error::Usage(format!(
                    "`{}` is a plan made without a project file: apply it without --project and --env",
                    args.plan
                        .as_deref()
                        .unwrap_or(std::path::Path::new(""))
                        .display()
                )));
            }
            None => None,
        };
        return run_project(args, ctx, &project, saved.as_ref());
    }
    let saved = match (saved_file, &args.plan) {
        (Some(SavedFile::Single(plan)), Some(file)) => Some(Saved {
            file: file.clone(),
            plan,
        }),
        (Some(SavedFile::Project(_)), _) => {
            return Err(Error::Usage(
                "this saved plan holds environments: apply it where its project file is (or with --project FILE)".to_owned(),
            ));
        }
        _ => None,
    };
    let owner = args.manifests.owner.as_deref();
    let paths: Vec<PathBuf> = match &saved {
        Some(s) if args.manifests.paths.is_empty() => {
            s.plan.paths.iter().map(PathBuf::from).collect()
        }
        _ => args.manifests.paths.clone(),
    };
    // What can be told from the file alone is told before connecting anywhere.
    if let Some(s) = &saved {
        let reasons = session::stale_before_connecting(&s.plan, owner, args.connect.local);
        if !reasons.is_empty() {
            return Err(s.stale(reasons));
        }
    }
    let workspace = Workspace::load(
        &paths,
        owner.or(saved.as_ref().map(|s| s.plan.owner.as_str())),
    )?;
    let desired = workspace.resolve(Context::env_var)?;
    let options = match &saved {
        Some(s) => s.plan.options(),
        None => args.safety.options()?,
    };

    let runtime = super::runtime()?;
    let connection = runtime.block_on(args.connect.connect(&workspace.paths))?;
    if connection.is_local() {
        console.info(&format!("Using {}.", connection.description));
    }
    let planned = runtime.block_on(session::plan(
        &connection.client,
        &connection.api,
        &desired,
        &workspace.owner,
        options,
    ));
    let planned = match planned {
        Ok(planned) => planned,
        Err(e) => {
            runtime.block_on(connection.close());
            return Err(e);
        }
    };
    let plan = &planned.plan;

    // Stale, refused, empty or declined plans end here, before anything is written.
    let proceed = (|| {
        if let Some(s) = &saved {
            let reasons = session::staleness(&s.plan, &desired, &planned, options);
            if !reasons.is_empty() {
                return Err(s.stale(reasons));
            }
        }
        match &saved {
            // Reviewed already, when it was saved: Terraform does not show a saved plan again.
            Some(s) if !plan.is_empty() => console.info(&format!(
                "Applying the saved plan `{}`: {}",
                crate::render::escape_controls(&s.file.to_string_lossy()),
                render_plan::summary_line(plan)
                    .trim_end()
                    .trim_start_matches("Plan: ")
            )),
            Some(_) => {}
            None => show_plan(args, console, plan, &desired),
        }
        if !plan.is_applicable() {
            return Err(Error::Refused(Refused::Plan {
                conflicts: plan.conflicts.clone(),
                rule: plan.refusal.clone(),
            }));
        }
        if plan.is_empty() {
            return Ok(false);
        }
        if saved.is_none() && !args.auto_approve && !super::confirm(console, "apply")? {
            return Err(Error::Cancelled);
        }
        Ok(true)
    })();
    let report = match proceed {
        Ok(true) => {
            let options = ApplyOptions {
                parallelism: args.parallelism,
                ..ApplyOptions::default()
            };
            runtime.block_on(super::execute(
                &connection.client,
                plan,
                &options,
                console,
                &std::sync::Arc::default(),
            ))
        }
        Ok(false) => ApplyReport::default(),
        Err(e) => {
            runtime.block_on(connection.close());
            return Err(e);
        }
    };
    runtime.block_on(connection.close());
    match args.format {
        ApplyFormat::Text if plan.is_empty() && console.is_quiet() => {
            console.print(&render_plan::summary_line(plan));
        }
        ApplyFormat::Text if plan.is_empty() => {}
        ApplyFormat::Text if console.is_quiet() => {
            console.print(render_apply::report(&report).trim_start());
        }
        ApplyFormat::Text => console.print(&render_apply::report(&report)),
        ApplyFormat::Json => console.print(&render_apply::json(&report, &plan.owner)),
    }
    let counts = report.counts();
    let applied = counts.adopted + counts.added + counts.changed + counts.destroyed;
    Ok(if report.is_complete() {
        exit::SUCCESS
    } else if applied > 0 {
        exit::PARTIAL
    } else {
        exit::ERROR
    })
}

/// Shows the plan once: on stdout for text (its closing line alone with `-q`), on stderr
/// beside a JSON report.
fn show_plan(args: &ApplyArgs, console: &Console, plan: &Plan, desired: &session::Desired<'_>) {
    let ctx = PlanContext {
        color: true,
        secrets: &desired.secrets,
        manifest_digest: &desired.digest,
        tool_version: env!("CARGO_PKG_VERSION"),
        saved_to: None,
        apply_command: None,
    };
    match args.format {
        ApplyFormat::Text if console.is_quiet() => {}
        ApplyFormat::Text => console.print(&render_plan::text(plan, &ctx)),
        ApplyFormat::Json => console.info(render_plan::text(plan, &ctx).trim_end()),
    }
}

/// Runs `apply` over the environments of a project file: all or nothing. Every environment is
/// planned (concurrently) and, for a saved plan, checked for staleness before anything is
/// written anywhere; then each environment's plan is carried out through its own client.
fn run_project(
    args: &ApplyArgs,
    ctx: &Context,
    project: &Project,
    saved: Option<&crate::plan::saved::SavedProject>,
) -> Result<u8, Error> {
    let console = &ctx.console;
    args.connect.check_project()?;
    let names: Vec<String> = match &saved {
        Some(s) if args.envs.envs.is_empty() => {
            s.environments.iter().map(|e| e.name.clone()).collect()
        }
        _ => args.envs.envs.clone(),
    };
    let (envs, workspaces) =
        super::load_environments(project, &names, args.manifests.owner.as_deref())?;
    let plan_file = args.plan.clone().unwrap_or_default();
    let local = if args.connect.local { " --local" } else { "" };
    let stale = |name: &str, reasons: Vec<Staleness>| {
        Error::Refused(Refused::Stale {
            plan_file: plan_file.clone(),
            reasons,
            replan: format!(
                "apify-webhooks plan{local} --out {}",
                super::shell_words(&[plan_file.display().to_string()])
            ),
        })
        .in_environment(name)
    };
    // The saved part of each environment; the file alone tells some staleness.
    let mut saved_parts = Vec::with_capacity(envs.len());
    if let Some(s) = &saved {
        for e in &envs {
            let Some(part) = s.environments.iter().find(|p| p.name == e.name) else {
                return Err(stale(&e.name, vec![Staleness::Environments]));
            };
            let reasons = session::stale_before_connecting(
                &part.plan,
                Some(&workspaces[saved_parts.len()].owner),
                args.connect.local,
            );
            if !reasons.is_empty() {
                return Err(stale(&e.name, reasons));
            }
            if part.vars != e.vars {
                return Err(stale(&e.name, vec![Staleness::Vars]));
            }
            saved_parts.push(part);
        }
        if let Some(extra) = s
            .environments
            .iter()
            .find(|p| !envs.iter().any(|e| e.name == p.name))
        {
            return Err(stale(&extra.name, vec![Staleness::Environments]));
        }
    }
    let desired = envs
        .iter()
        .zip(&workspaces)
        .map(|(e, w)| {
            w.resolve_with(&e.vars, Context::env_var)
                .map_err(|err| err.in_environment(&e.name))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let options = envs
        .iter()
        .enumerate()
        .map(|(i, _)| match saved_parts.get(i) {
            Some(part) => Ok(part.plan.options()),
            None => args.safety.options(),
        })
        .collect::<Result<Vec<_>, Error>>()?;

    let runtime = super::runtime()?;
    let connections = runtime.block_on(args.connect.connect_environments(&envs, &project.path))?;
    let inputs: Vec<EnvironmentInput<'_>> = envs
        .iter()
        .zip(connections.list())
        .zip(&desired)
        .zip(&workspaces)
        .zip(&options)
        .map(|((((e, c), d), w), o)| EnvironmentInput {
            name: &e.name,
            connection: c,
            desired: d,
            owner: &w.owner,
            options: *o,
        })
        .collect();
    let planned = match runtime.block_on(session::plan_environments(&inputs)) {
        Ok(planned) => planned,
        Err(e) => {
            runtime.block_on(connections.close());
            return Err(e);
        }
    };
    let reports: Vec<EnvironmentReport<'_>> = super::environment_reports(&envs, &desired, &planned);

    // Stale, refused, empty or declined: ends here, before anything is written anywhere.
    let proceed = (|| {
        for (i, part) in saved_parts.iter().enumerate() {
            let reasons = session::staleness(&part.plan, &desired[i], &planned[i], options[i]);
            if !reasons.is_empty() {
                return Err(stale(&envs[i].name, reasons));
            }
        }
        let rctx = PlanContext {
            color: true,
            secrets: &[],
            manifest_digest: "",
            tool_version: env!("CARGO_PKG_VERSION"),
            saved_to: None,
            apply_command: None,
        };
        if saved.is_some() {
            console.info(&format!(
                "Applying the saved plan `{}`: {}",
                plan_file.display(),
                render_project::summary_line(&reports).trim_end()
            ));
        } else {
            match args.format {
                ApplyFormat::Text if console.is_quiet() => {}
                ApplyFormat::Text => console.print(&render_project::text(&reports, &rctx)),
                ApplyFormat::Json => {
                    console.info(render_project::text(&reports, &rctx).trim_end());
                }
            }
        }
        if let Some((e, p)) = envs
            .iter()
            .zip(&planned)
            .find(|(_, p)| !p.plan.is_applicable())
        {
            return Err(Error::Refused(Refused::Plan {
                conflicts: p.plan.conflicts.clone(),
                rule: p.plan.refusal.clone(),
            })
            .in_environment(&e.name));
        }
        if planned.iter().all(|p| p.plan.is_empty()) {
            return Ok(false);
        }
        if saved.is_none() && !args.auto_approve && !super::confirm(console, "apply")? {
            return Err(Error::Cancelled);
        }
        Ok(true)
    })();
    let go = match proceed {
        Ok(go) => go,
        Err(e) => {
            runtime.block_on(connections.close());
            return Err(e);
        }
    };
    let apply_options = ApplyOptions {
        parallelism: args.parallelism,
        ..ApplyOptions::default()
    };
    let mut results = Vec::with_capacity(envs.len());
    let stop = std::sync::Arc::default();
    if go {
        for ((e, p), c) in envs.iter().zip(&planned).zip(connections.list()) {
            let report = if p.plan.is_empty() {
                ApplyReport::default()
            } else {
                console.info(&format!("Applying environment `{}`.", e.name));
                runtime.block_on(super::execute(
                    &c.client,
                    &p.plan,
                    &apply_options,
                    console,
                    &stop,
                ))
            };
            results.push(report);
        }
    }
    runtime.block_on(connections.close());
    if !go {
        if console.is_quiet() {
            console.print(&render_project::summary_line(&reports));
        }
        return Ok(exit::SUCCESS);
    }
    match args.format {
        ApplyFormat::Text => {
            let mut out = String::new();
            for (e, r) in envs.iter().zip(&results) {
                let _ = writeln!(out, "── Environment `{}` ──", e.name);
                out.push_str(render_apply::report(r).trim_start());
                out.push('\n');
            }
            console.print(&out);
        }
        ApplyFormat::Json => {
            let environments: Vec<serde_json::Value> = envs
                .iter()
                .zip(&results)
                .zip(&planned)
                .map(|((e, r), p)| {
                    serde_json::json!({
                        "name": e.name,
                        "report": serde_json::from_str::<serde_json::Value>(&render_apply::json(r, &p.plan.owner))
                            .unwrap_or(serde_json::Value::Null),
                    })
                })
                .collect();
            let doc = serde_json::json!({ "environments": environments });
            console.print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            ));
        }
    }
    let applied: usize = results
        .iter()
        .map(|r| {
            let c = r.counts();
            c.adopted + c.added + c.changed + c.destroyed
        })
        .sum();
    Ok(if results.iter().all(ApplyReport::is_complete) {
        exit::SUCCESS
    } else if applied > 0 {
        exit::PARTIAL
    } else {
        exit::ERROR
    })
}
