//! `apify-webhooks plan`: loads the manifests, reads the live account, and shows what `apply`
//! would change, as text, JSON or Markdown; `--out` saves it for `apply --plan`.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::connect::ConnectArgs;
use crate::error::Error;
use crate::exit;
use crate::manifest::{self, Manifests, ResolvedWebhook};
use crate::plan::saved::SavedPlan;
use crate::plan::{self, Plan, PlanOptions};
use crate::platform::Platform;
use crate::refresh::{self, RefreshError};
use crate::render::Console;
use crate::render::plan::{self as render_plan, PlanContext};

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

/// `--force` and `--no-delete`.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct SafetyArgs {
    /// Go ahead even when a safety rule on deletions trips (more than 30% of the owned
    /// webhooks, all of them, or an empty manifest set).
    #[arg(long)]
    force: bool,
    /// Never delete: owned webhooks no longer declared are kept.
    #[arg(long)]
    no_delete: bool,
}

impl SafetyArgs {
    /// The plan options, with a fresh random key for the run's hashes.
    pub(crate) fn options(self) -> Result<PlanOptions, Error> {
        let mut key = [0u8; 16];
        getrandom::fill(&mut key)
            .map_err(|e| Error::Io(format!("no randomness from the system: {e}")))?;
        Ok(PlanOptions {
            force: self.force,
            no_delete: self.no_delete,
            key,
        })
    }
}

/// Arguments of `plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// Manifest files, or directories to search for `*.yaml` and `*.yml` [default: .]
    paths: Vec<PathBuf>,
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
}

/// Manifests loaded and resolved for a command that talks to the platform.
pub(crate) struct Prepared {
    pub(crate) manifests: Manifests,
    pub(crate) owner: String,
}

impl Prepared {
    /// Loads the manifests at `paths` (the current directory when none) and settles the owner
    /// with `owner`; fails with exit 65 on any invalid manifest or disagreeing owner.
    pub(crate) fn load(paths: &[PathBuf], owner: Option<&str>) -> Result<Self, Error> {
        let manifests =
            manifest::load(&super::paths_or_current(paths)).map_err(Error::InvalidManifest)?;
        let owner = manifests.owner(owner).map_err(Error::InvalidManifest)?;
        Ok(Prepared { manifests, owner })
    }

    /// Substitutes `${NAME}`; fails with exit 65 listing every unset variable.
    pub(crate) fn resolve(&self) -> Result<Vec<ResolvedWebhook<'_>>, Error> {
        self.manifests
            .resolve(super::env_var)
            .map_err(Error::InvalidManifest)
    }
}

/// Every environment value the resolved webhooks use.
pub(crate) fn secrets(resolved: &[ResolvedWebhook<'_>]) -> Vec<String> {
    let mut all: Vec<String> = resolved
        .iter()
        .flat_map(|r| r.secrets.iter().cloned())
        .collect();
    all.sort();
    all.dedup();
    all
}

/// A plan and the account it was computed for.
pub(crate) struct Computed {
    pub(crate) plan: Plan,
    /// The user ID behind the token.
    pub(crate) account: String,
}

/// Reads the live state (and who the token belongs to, concurrently) and computes the plan.
pub(crate) async fn compute<P: Platform>(
    platform: &P,
    resolved: &[ResolvedWebhook<'_>],
    owner: &str,
    options: PlanOptions,
) -> Result<Computed, Error> {
    let (refreshed, user) = futures_util::join!(
        refresh::refresh(platform, resolved, owner),
        platform.current_user()
    );
    let (targets, live) = refreshed.map_err(|e| match e {
        RefreshError::UnknownTargets(diagnostics) => Error::InvalidManifest(diagnostics),
        RefreshError::Platform(e) => Error::Platform(e),
    })?;
    let desired = refresh::desired_specs(resolved, &targets);
    Ok(Computed {
        plan: plan::plan(&desired, &live, owner, options),
        account: user?.id,
    })
}

/// Runs `plan`.
pub(crate) fn run(
    args: &PlanArgs,
    owner: Option<&str>,
    connect: &ConnectArgs,
    console: &Console,
) -> Result<u8, Error> {
    let prepared = Prepared::load(&args.paths, owner)?;
    let resolved = prepared.resolve()?;
    let options = args.safety.options()?;
    let (computed, api) = super::block_on(async {
        let connection = connect.connect().await?;
        tracing::info!("planning against {}", connection.description);
        let computed = compute(&connection.client, &resolved, &prepared.owner, options).await;
        let api = connection.api.clone();
        connection.close().await;
        Ok((computed?, api))
    })?;
    let plan = computed.plan;
    let secrets = secrets(&resolved);
    let digest = prepared.manifests.digest();
    // `--out -`: the saved plan is what goes to stdout; the rendered plan goes to stderr.
    let mut saved_on_stdout = None;
    let saved_to = match &args.out {
        Some(path) if plan.is_applicable() => {
            let paths: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
            let saved = SavedPlan::new(
                &plan,
                options,
                (&api, &computed.account),
                &paths,
                &digest,
                &secrets,
                &hex::encode(options.key),
                env!("CARGO_PKG_VERSION"),
            );
            if is_stdout(path) {
                saved_on_stdout = Some(plan_json(path, &saved)?);
            } else {
                write_private(path, &saved)?;
            }
            Some(path.display().to_string())
        }
        _ => None,
    };
    let ctx = PlanContext {
        color: true,
        secrets: &secrets,
        manifest_digest: &digest,
        tool_version: env!("CARGO_PKG_VERSION"),
        saved_to: saved_to.as_deref(),
        apply_command: Some(connect.apply_command()),
    };
    let rendered = match args.format {
        PlanFormat::Text => render_plan::text(&plan, &ctx),
        PlanFormat::Json => render_plan::json(&plan, &ctx),
        PlanFormat::Markdown => render_plan::markdown(&plan, &ctx),
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
            console.error("the plan was not saved: it cannot be applied");
        }
        return Err(Error::Refused(refusal_message(&plan)));
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        exit::CHANGES_PENDING
    } else {
        exit::SUCCESS
    })
}

/// One line saying why a plan cannot be applied.
pub(crate) fn refusal_message(plan: &Plan) -> String {
    let mut reasons: Vec<String> = plan.conflicts.iter().map(ToString::to_string).collect();
    reasons.extend(plan.refusal.iter().map(ToString::to_string));
    format!("the plan is refused: {}", reasons.join("; "))
}

/// Whether `--out` names standard output.
fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The saved plan as the JSON text of a plan file.
fn plan_json(path: &Path, value: &impl serde::Serialize) -> Result<String, Error> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| {
        Error::Io(format!(
            "cannot write the plan to `{}`: {e}",
            path.display()
        ))
    })?;
    text.push('\n');
    Ok(text)
}

/// Writes `value` as JSON to `path`, readable by the owner only, atomically (a temporary file in
/// the same directory, then a rename), so a half-written plan never exists. A symbolic link is
/// written through; a device, FIFO or directory is refused (`--out -` is for standard output).
pub(crate) fn write_private(path: &Path, value: &impl serde::Serialize) -> Result<(), Error> {
    let text = plan_json(path, value)?;
    crate::files::write_private(path, text.as_bytes()).map_err(|e| {
        let help = if matches!(e, crate::files::FileError::NotRegular { .. }) {
            " (use `--out -` to write the saved plan to standard output)"
        } else {
            ""
        };
        Error::Io(format!("cannot save the plan: {e}{help}"))
    })
}
