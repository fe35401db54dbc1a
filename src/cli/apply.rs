//! `apify-webhooks apply`: plans, shows the plan, asks for confirmation on a terminal (or takes
//! `--auto-approve`), and carries it out; `apply --plan FILE` carries out exactly a saved plan,
//! after checking that nothing it depends on moved.

use std::io::{BufRead, IsTerminal, Write as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::connect::ConnectArgs;
use super::{Context, ManifestArgs, SafetyArgs};
use crate::apply::{self, ApplyOptions, ApplyReport};
use crate::error::{Error, Refused};
use crate::exit;
use crate::plan::Plan;
use crate::plan::saved::{SavedPlan, Staleness};
use crate::render::Console;
use crate::render::apply as render_apply;
use crate::render::plan::{self as render_plan, PlanContext};
use crate::session::{self, Workspace};

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
    let saved = match &args.plan {
        Some(file) => Some(Saved {
            file: file.clone(),
            plan: session::read_saved(file)?,
        }),
        None => None,
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
        if saved.is_none() && !args.auto_approve && !confirm(console)? {
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
            runtime.block_on(execute(&connection.client, plan, &options, console))
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

/// Runs the plan with progress on stderr, stopping early on Ctrl-C or SIGTERM.
async fn execute(
    client: &crate::platform::ApifyClient,
    plan: &Plan,
    options: &ApplyOptions,
    console: &Console,
) -> ApplyReport {
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = Arc::clone(&stop);
        let console = console.clone();
        tokio::spawn(async move {
            super::stop_signal().await;
            stop.store(true, Ordering::SeqCst);
            console.info("\nStopping: operations in flight will finish; no new ones start.");
        })
    };
    let bar = progress_bar(console, plan.changes.len());
    let report = apply::apply(client, plan, options, &stop, |outcome| {
        let line = render_apply::progress_line(outcome);
        let failed = matches!(outcome.status, crate::apply::Status::Failed { .. });
        match &bar {
            Some(bar) => {
                bar.inc(1);
                // The bar writes to the terminal itself, past the console's colour choice.
                if console.stderr_has_color() {
                    bar.println(line);
                } else {
                    bar.println(anstream::adapter::strip_str(&line).to_string());
                }
            }
            // A failure is an error: shown even with -q.
            None if failed => console.problem(&line),
            None => console.info(&line),
        }
    })
    .await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    watcher.abort();
    report
}

/// A progress bar on a terminal; `None` elsewhere (one line per operation instead).
fn progress_bar(console: &Console, len: usize) -> Option<ProgressBar> {
    if !console.stderr_is_terminal() || console.is_quiet() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} applying [{bar:30}] {pos}/{len} ({elapsed})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    Some(bar)
}

/// Asks on the terminal; only `yes` proceeds. Without a terminal, refuses rather than hang.
fn confirm(console: &Console) -> Result<bool, Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "apply needs confirmation, but stdin is not a terminal: pass --auto-approve (or apply a saved plan with --plan FILE)"
                .to_owned(),
        ));
    }
    let mut err = console.stderr();
    let _ = write!(
        err,
        "\nDo you want to perform these actions?\n  apify-webhooks will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    );
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::io("cannot read the answer", e))?;
    Ok(answer.trim() == "yes")
}
