//! `apify-webhooks export`: writes manifests for the live webhooks of the account (one file per
//! Actor or task under `--out`, or all of them to stdout). One call into [`crate::export`],
//! then rendering and writing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;

use super::connect::ConnectArgs;
use super::{Context, parse_owner};
use crate::error::Error;
use crate::exit;
use crate::export::{self, ExportOptions};
use crate::manifest::DEFAULT_OWNER;
use crate::render::export as render;

/// The schema file written beside the exported folders, which their schema comments name.
const SCHEMA_FILE: &str = "manifest.schema.json";

/// Arguments of `export`.
#[derive(Debug, Args)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "each is an independent command-line flag"
)]
pub(crate) struct ExportArgs {
    /// The folder to write to: `actors/<username>/<name>.yaml`, `tasks/<username>/<name>.yaml`
    /// and the manifest schema.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// The owner the manifests are written for (their `owner:`).
    #[arg(long, env = "APIFY_WEBHOOKS_OWNER", hide_env_values = true, value_parser = parse_owner)]
    owner: Option<String>,
    /// Also export the webhooks this owner already manages, under their keys.
    #[arg(long)]
    include_owned: bool,
    /// Write the manifests to standard output instead of files.
    #[arg(long, conflicts_with = "force")]
    stdout: bool,
    /// Overwrite files that exist.
    #[arg(long)]
    force: bool,
    /// Print shell commands that set the referenced variables from the live values (secrets:
    /// to standard output, with a warning).
    #[arg(long, conflicts_with_all = ["stdout", "include_secrets"])]
    print_secrets: bool,
    /// Write secret values (header values, URL query values and userinfo) into the manifests
    /// verbatim instead of `${NAME}` references.
    #[arg(long)]
    include_secrets: bool,
    #[command(flatten)]
    connect: ConnectArgs,
}

/// Runs `export`.
pub(crate) fn run(args: &ExportArgs, ctx: &Context) -> Result<u8, Error> {
    let console = &ctx.console;
    let owner = args
        .owner
        .clone()
        .unwrap_or_else(|| DEFAULT_OWNER.to_owned());
    let account = super::block_on(async {
        let connection = args
            .connect
            .connect(std::slice::from_ref(&args.out))
            .await?;
        if connection.is_local() {
            console.info(&format!("Using {}.", connection.description));
        }
        let read = export::read(&connection.client).await;
        connection.close().await;
        Ok(read?)
    })?;
    let options = ExportOptions {
        owner: owner.clone(),
        include_owned: args.include_owned,
        include_secrets: args.include_secrets,
    };
    let exported = export::build(&account, &options);
    if args.include_secrets {
        render::warn(console, render::secrets_warning(true));
    }
    if args.stdout {
        let all: Vec<&export::Skipped> = exported.skipped.iter().collect();
        let mut text = String::new();
        if !all.is_empty() {
            text.push_str(&render::skipped_comment(&all));
        }
        for (i, file) in exported.files.iter().enumerate() {
            if i > 0 || !all.is_empty() {
                text.push_str("---\n");
            }
            let _ = writeln!(text, "# file: {}", file.path.display());
            text.push_str(&render::manifest(file, &owner, &[], SCHEMA_FILE));
        }
        console.print(&text);
        console.info(render::summary(&exported, &[]).trim_end());
    } else {
        let written = write_files(args, &exported, &owner)?;
        console.info(render::summary(&exported, &written).trim_end());
        let elsewhere: Vec<&export::Skipped> = exported
            .skipped
            .iter()
            .filter(|s| {
                !exported
                    .files
                    .iter()
                    .any(|f| s.target.as_deref() == Some(f.target.as_str()))
            })
            .collect();
        if !elsewhere.is_empty() {
            console.info(render::skipped_comment(&elsewhere).trim_end());
        }
    }
    console.info(render::variables_to_set(&exported.variables, args.print_secrets).trim_end());
    if args.print_secrets && !exported.variables.is_empty() {
        render::warn(console, render::secrets_warning(false));
        console.print(&render::set_commands(&exported.variables));
    }
    Ok(exit::SUCCESS)
}

/// Writes every document (and the schema) under `--out`, each atomically; refuses before
/// writing anything when one exists and `--force` is not given.
fn write_files(
    args: &ExportArgs,
    exported: &export::Export,
    owner: &str,
) -> Result<Vec<String>, Error> {
    let mut planned: Vec<(PathBuf, String)> = exported
        .files
        .iter()
        .map(|f| {
            let depth = f.path.components().count() - 1;
            let schema = format!("{}{SCHEMA_FILE}", "../".repeat(depth));
            (
                args.out.join(&f.path),
                render::manifest(f, owner, &exported.skipped, &schema),
            )
        })
        .collect();
    if !planned.is_empty() {
        let schema = args.out.join(SCHEMA_FILE);
        let same =
            std::fs::read_to_string(&schema).is_ok_and(|s| s == crate::manifest::SCHEMA_JSON);
        if !same {
            planned.push((schema, crate::manifest::SCHEMA_JSON.to_owned()));
        }
    }
    if !args.force {
        let existing: Vec<String> = planned
            .iter()
            .filter(|(p, _)| p.symlink_metadata().is_ok())
            .map(|(p, _)| format!("`{}`", p.display()))
            .collect();
        if !existing.is_empty() {
            return Err(Error::io(
                format!(
                    "refusing to overwrite {} (use --force to overwrite; nothing was written)",
                    existing.join(", ")
                ),
                std::io::Error::from(std::io::ErrorKind::AlreadyExists),
            ));
        }
    }
    let mut written = Vec::new();
    for (path, text) in &planned {
        write_one(path, text)?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

fn write_one(path: &Path, text: &str) -> Result<(), Error> {
    let what = || format!("cannot write `{}`", path.display());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(what(), e))?;
    }
    crate::files::write_private(path, text.as_bytes()).map_err(|e| Error::io(what(), e.reason()))
}
