//! `apify-webhooks validate`: checks manifests offline, with no token and no network; reports
//! for people (text), for programs (JSON) or as GitHub annotations on a pull request's diff.

use clap::{Args, ValueEnum};

use super::{Context, ManifestArgs};
use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::exit;
use crate::manifest::{self, Manifests};
use crate::render::annotations::{self, ValidSummary};
use crate::session;

/// Output formats of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum ValidateFormat {
    /// Diagnostics with source excerpts on stderr, the summary on stdout.
    #[default]
    Text,
    /// A JSON document of every diagnostic and the summary on stdout (text on stderr too).
    Json,
    /// GitHub Actions workflow commands on stdout, shown as annotations on the diff (text on
    /// stderr too). Run from the repository root so the paths match the diff.
    Github,
}

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    manifests: ManifestArgs,
    /// How to report.
    #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
    format: ValidateFormat,
}

/// Loads and checks the manifests; unset `${NAME}` variables are warnings here, reported
/// together with any errors (and left out with `-q`).
pub(crate) fn run(args: &ValidateArgs, ctx: &Context) -> Result<u8, Error> {
    let console = &ctx.console;
    let owner = args.manifests.owner.as_deref();
    let loaded = manifest::load_all(&session::manifest_paths(&args.manifests.paths));
    let mut diagnostics = loaded.diagnostics;
    if let Err(errors) = loaded.manifests.owner(owner) {
        diagnostics.extend(
            errors
                .into_iter()
                .filter(|e| !diagnostics.contains(e))
                .collect::<Vec<_>>(),
        );
    }
    let warnings = if console.is_quiet() {
        Vec::new()
    } else {
        loaded.manifests.missing_env(Context::env_var, false)
    };
    // The checks' warnings (placeholders that never resolve) are shown like the others.
    if console.is_quiet() {
        diagnostics.retain(Diagnostic::is_error);
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.extend(warnings);
        match args.format {
            ValidateFormat::Text => {}
            ValidateFormat::Json => console.print(&annotations::json(&diagnostics, None)),
            ValidateFormat::Github => console.print(&annotations::github(&diagnostics)),
        }
        return Err(Error::InvalidManifest(diagnostics));
    }
    let mut warnings = warnings;
    warnings.splice(0..0, diagnostics);
    console.diagnostics(&warnings);
    let summary = summary(&loaded.manifests, owner);
    match args.format {
        ValidateFormat::Text => console.print(&summary_line(&summary)),
        ValidateFormat::Json => console.print(&annotations::json(&warnings, Some(&summary))),
        ValidateFormat::Github => {
            console.print(&annotations::github(&warnings));
            console.print(&summary_line(&summary));
        }
    }
    Ok(exit::SUCCESS)
}

fn summary(m: &Manifests, owner: Option<&str>) -> ValidSummary {
    ValidSummary {
        owner: m
            .owner(owner)
            .unwrap_or_else(|_| manifest::DEFAULT_OWNER.to_owned()),
        files: m.files.len(),
        webhooks: m.webhooks.len(),
    }
}

fn summary_line(s: &ValidSummary) -> String {
    format!(
        "Valid: {} webhook{} in {} file{} (owner `{}`).\n",
        s.webhooks,
        if s.webhooks == 1 { "" } else { "s" },
        s.files,
        if s.files == 1 { "" } else { "s" },
        s.owner,
    )
}
