//! `apify-webhooks validate`: checks manifests offline, with no token and no network.

use clap::Args;

use super::{Context, ManifestArgs};
use crate::error::Error;
use crate::exit;
use crate::manifest::{self, Manifests};

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    manifests: ManifestArgs,
}

/// Loads and checks the manifests; unset `${NAME}` variables are warnings here, reported
/// together with any errors (and left out with `-q`).
pub(crate) fn run(args: &ValidateArgs, ctx: &Context) -> Result<u8, Error> {
    let console = &ctx.console;
    let owner = args.manifests.owner.as_deref();
    let paths = if args.manifests.paths.is_empty() {
        vec![std::path::PathBuf::from(".")]
    } else {
        args.manifests.paths.clone()
    };
    let loaded = manifest::load_all(&paths);
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
        diagnostics.retain(crate::diagnostic::Diagnostic::is_error);
    }
    if diagnostics
        .iter()
        .any(crate::diagnostic::Diagnostic::is_error)
    {
        diagnostics.extend(warnings);
        return Err(Error::InvalidManifest(diagnostics));
    }
    diagnostics.extend(warnings);
    console.diagnostics(&diagnostics);
    console.print(&summary(&loaded.manifests, owner));
    Ok(exit::SUCCESS)
}

fn summary(m: &Manifests, owner: Option<&str>) -> String {
    let files = m.files.len();
    let webhooks = m.webhooks.len();
    let owner = m
        .owner(owner)
        .unwrap_or_else(|_| manifest::DEFAULT_OWNER.to_owned());
    format!(
        "Valid: {webhooks} webhook{} in {files} file{} (owner `{owner}`).\n",
        if webhooks == 1 { "" } else { "s" },
        if files == 1 { "" } else { "s" },
    )
}
