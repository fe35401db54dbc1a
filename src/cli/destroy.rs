//! `apify-webhooks destroy`: deletes every webhook the owner manages (in every environment of
//! the project file, or those named by `--env`; without one, for the owner of the given
//! manifests). Shows the plan and asks on a terminal (`--auto-approve` in pipelines); nothing
//! unmanaged or foreign is ever touched, as the plan of an empty manifest set only deletes
//! owned webhooks. All or nothing: every environment is planned before anything is deleted.

use std::fmt::Write as _;

use clap::Args;

use super::connect::{ConnectArgs, EnvConnections};
use super::{Context, EnvArgs, ManifestArgs};
use crate::apply::{ApplyOptions, ApplyReport};
use crate::error::Error;
use crate::exit;
use crate::render::apply as render_apply;
use crate::render::plan::project::{self as render_project, EnvironmentReport};
use crate::render::plan::{self as render_plan, PlanContext};
use crate::session::{self, EnvironmentInput, Workspace};

/// Arguments of `destroy`.
#[derive(Debug, Args)]
pub(crate) struct DestroyArgs {
    #[command(flatten)]
    manifests: ManifestArgs,
    /// Delete without asking (for pipelines).
    #[arg(long)]
    auto_approve: bool,
    #[command(flatten)]
    envs: EnvArgs,
    #[command(flatten)]
    connect: ConnectArgs,
}

/// Runs `destroy`.
pub(crate) fn run(args: &DestroyArgs, ctx: &Context) -> Result<u8, Error> {
    let console = &ctx.console;
    let project = args.envs.project(&args.manifests.paths)?;
    // (name, owner, vars) of every environment; one unnamed without a project file.
    let (names, owners, varss, envs) = if let Some(project) = &project {
        args.connect.check_project()?;
        let (envs, workspaces) =
            super::load_environments(project, &args.envs.envs, args.manifests.owner.as_deref())?;
        (
            envs.iter()
                .map(|e| Some(e.name.clone()))
                .collect::<Vec<_>>(),
            workspaces.into_iter().map(|w| w.owner).collect::<Vec<_>>(),
            envs.iter().map(|e| e.vars.clone()).collect::<Vec<_>>(),
            envs,
        )
    } else {
        let workspace = Workspace::load(&args.manifests.paths, args.manifests.owner.as_deref())?;
        (
            vec![None],
            vec![workspace.owner],
            vec![std::collections::BTreeMap::new()],
            Vec::new(),
        )
    };
    let desired: Vec<session::Desired<'static>> =
        varss.into_iter().map(session::nothing_desired).collect();
    let options = session::plan_options(true, false)?;
    let runtime = super::runtime()?;
    let connections = runtime.block_on(async {
        if let Some(project) = &project {
            args.connect
                .connect_environments(&envs, &project.path)
                .await
        } else {
            let paths = session::manifest_paths(&args.manifests.paths);
            let c = args.connect.connect(&paths).await?;
            if c.is_local() {
                console.info(&format!("Using {}.", c.description));
            }
            Ok(EnvConnections::Api(vec![c]))
        }
    })?;
    let inputs: Vec<EnvironmentInput<'_>> = names
        .iter()
        .zip(connections.list())
        .zip(&desired)
        .zip(&owners)
        .map(|(((n, c), d), o)| EnvironmentInput {
            name: n.as_deref().unwrap_or(""),
            connection: c,
            desired: d,
            owner: o,
            options,
        })
        .collect();
    let planned = runtime.block_on(session::plan_environments(&inputs));
    let planned = match planned {
        Ok(p) => p,
        Err(e) => {
            runtime.block_on(connections.close());
            // Without a project file there is no environment to name.
            return Err(match (e, &project) {
                (Error::InEnvironment { source, .. }, None) => *source,
                (e, _) => e,
            });
        }
    };
    let rctx = PlanContext {
        color: true,
        secrets: &[],
        manifest_digest: "",
        tool_version: env!("CARGO_PKG_VERSION"),
        saved_to: None,
        apply_command: None,
    };
    let shown = if project.is_some() {
        let reports: Vec<EnvironmentReport<'_>> = names
            .iter()
            .zip(&planned)
            .zip(&envs)
            .map(|((n, p), e)| EnvironmentReport {
                name: n.as_deref().unwrap_or(""),
                plan: &p.plan,
                api: &p.api,
                account: &p.account,
                vars: &e.vars,
                secrets: &[],
                manifest_digest: "",
            })
            .collect();
        if console.is_quiet() {
            render_project::summary_line(&reports)
        } else {
            render_project::text(&reports, &rctx)
        }
    } else if console.is_quiet() {
        render_plan::summary_line(&planned[0].plan)
    } else {
        render_plan::text(&planned[0].plan, &rctx)
    };
    console.print(&shown);
    let nothing = planned.iter().all(|p| p.plan.is_empty());
    let proceed = if nothing {
        Ok(false)
    } else if args.auto_approve {
        Ok(true)
    } else {
        super::confirm(console, "destroy")
            .and_then(|yes| if yes { Ok(true) } else { Err(Error::Cancelled) })
    };
    let go = match proceed {
        Ok(go) => go,
        Err(e) => {
            runtime.block_on(connections.close());
            return Err(e);
        }
    };
    let mut results: Vec<ApplyReport> = Vec::new();
    let stop = std::sync::Arc::default();
    if go {
        for ((n, p), c) in names.iter().zip(&planned).zip(connections.list()) {
            if p.plan.is_empty() {
                results.push(ApplyReport::default());
                continue;
            }
            if let Some(n) = n {
                console.info(&format!("Destroying in environment `{n}`."));
            }
            results.push(runtime.block_on(super::execute(
                &c.client,
                &p.plan,
                &ApplyOptions::default(),
                console,
                &stop,
            )));
        }
    }
    runtime.block_on(connections.close());
    if !go {
        return Ok(exit::SUCCESS);
    }
    let mut out = String::new();
    for (n, r) in names.iter().zip(&results) {
        if let Some(n) = n {
            let _ = writeln!(out, "── Environment `{n}` ──");
        }
        out.push_str(render_apply::report(r).trim_start());
        out.push('\n');
    }
    console.print(&out);
    let applied: usize = results.iter().map(|r| r.counts().destroyed).sum();
    Ok(if results.iter().all(ApplyReport::is_complete) {
        exit::SUCCESS
    } else if applied > 0 {
        exit::PARTIAL
    } else {
        exit::ERROR
    })
}
