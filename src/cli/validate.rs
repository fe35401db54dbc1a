//! `apify-webhooks validate`: checks manifests offline, with no token and no network.

use std::path::PathBuf;

use clap::Args;

use crate::error::Error;
use crate::exit;
use crate::manifest::{self, Manifests};
use crate::render::Console;

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Manifest files, or directories to search for `*.yaml` and `*.yml` [default: .]
    paths: Vec<PathBuf>,
}

/// Loads and checks the manifests; unset `${NAME}` variables are warnings here, reported
/// together with any errors (and left out with `-q`).
pub(crate) fn run(
    args: &ValidateArgs,
    owner: Option<&str>,
    console: &Console,
) -> Result<u8, Error> {
    let loaded = manifest::load_all(&super::paths_or_current(&args.paths));
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
        loaded.manifests.missing_env(super::env_var, false)
    };
    if diagnostics
        .iter()
        .any(crate::diagnostic::Diagnostic::is_error)
    {
        diagnostics.extend(warnings);
        return Err(Error::InvalidManifest(diagnostics));
    }
    console.diagnostics(&warnings);
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
