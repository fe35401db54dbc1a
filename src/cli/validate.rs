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

/// Loads and checks the manifests; unset `${NAME}` variables are warnings here.
pub(crate) fn run(
    args: &ValidateArgs,
    owner: Option<&str>,
    console: &Console,
) -> Result<u8, Error> {
    let manifests = super::load_manifests(&args.paths, owner)?;
    let warnings = manifests.missing_env(super::env_var, false);
    console.diagnostics(&warnings);
    console.print(&summary(&manifests, owner));
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
