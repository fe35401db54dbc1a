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
use crate::export::{self, ExportOptions, document};
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
    let all: Vec<&export::Skipped> = exported.skipped.iter().collect();
    if args.stdout {
        let mut text = String::new();
        if !all.is_empty() {
            text.push_str(&render::skipped_comment(&all));
        }
        for (i, file) in exported.files.iter().enumerate() {
            if i > 0 || !all.is_empty() {
                text.push_str("---\n");
            }
            let _ = writeln!(text, "# file: {}", file.path.display());
            text.push_str(&document::manifest(file, &owner, &[], SCHEMA_FILE));
        }
        console.print(&text);
        console.info(render::summary(&exported, &[]).trim_end());
    } else {
        let written = write_files(args, &exported, &owner)?;
        console.info(render::summary(&exported, &written).trim_end());
        if !all.is_empty() {
            console.info(render::skipped_comment(&all).trim_end());
        }
    }
    for w in &exported.warnings {
        render::warn(console, &render::warning(w));
    }
    for s in &exported.suggestions {
        console.info(render::suggestion(s).trim_end());
    }
    console.info(render::variables_to_set(&exported.variables, args.print_secrets).trim_end());
    if args.print_secrets && !exported.variables.is_empty() {
        render::warn(console, render::secrets_warning(false));
        console.print(&render::set_commands(&exported.variables));
    }
    Ok(exit::SUCCESS)
}

/// Writes every document (and the schema) under `--out`: all of them or none. Refuses before
/// writing anything when one exists and `--force` is not given; writes them all into a
/// temporary folder inside `--out` first, then renames each into place, and puts everything
/// back as it was when one of those steps fails.
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
                f.path.clone(),
                document::manifest(f, owner, &exported.skipped, &schema),
            )
        })
        .collect();
    if planned.is_empty() {
        return Ok(Vec::new());
    }
    let same_schema = std::fs::read_to_string(args.out.join(SCHEMA_FILE))
        .is_ok_and(|s| s == crate::manifest::SCHEMA_JSON);
    if !same_schema {
        planned.push((
            PathBuf::from(SCHEMA_FILE),
            crate::manifest::SCHEMA_JSON.to_owned(),
        ));
    }
    if !args.force {
        let existing: Vec<String> = planned
            .iter()
            .map(|(p, _)| args.out.join(p))
            .filter(|p| p.symlink_metadata().is_ok())
            .map(|p| format!("`{}`", p.display()))
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
    let out_existed = args.out.exists();
    let result = write_all_or_none(&args.out, &planned);
    if result.is_err() && !out_existed {
        // Only removes it when it is empty, as it was made.
        let _ = std::fs::remove_dir(&args.out);
    }
    result
}

/// A step of the all-or-none write done, so that a failure can undo it.
enum Done {
    /// A folder made.
    Dir(PathBuf),
    /// A file moved.
    Moved { from: PathBuf, to: PathBuf },
}

/// What failed, and why.
type Failure = (String, Box<dyn std::error::Error + Send + Sync>);

/// The all-or-none write of [`write_files`].
fn write_all_or_none(out: &Path, planned: &[(PathBuf, String)]) -> Result<Vec<String>, Error> {
    let nothing = |what: String| format!("{what} (nothing was written)");
    std::fs::create_dir_all(out)
        .map_err(|e| Error::io(nothing(format!("cannot create `{}`", out.display())), e))?;
    let staging = tempfile::Builder::new()
        .prefix(".apify-webhooks-export-")
        .tempdir_in(out)
        .map_err(|e| {
            Error::io(
                nothing(format!(
                    "cannot create a temporary folder in `{}`",
                    out.display()
                )),
                e,
            )
        })?;
    let new = staging.path().join("new");
    let old = staging.path().join("old");
    for (path, text) in planned {
        write_one(&new.join(path), &out.join(path), text)
            .map_err(|(what, e)| Error::io(nothing(what), e))?;
    }
    let mut done: Vec<Done> = Vec::new();
    let step = |done: &mut Vec<Done>, i: usize, path: &Path| -> Result<(), Failure> {
        let target = out.join(path);
        let what = || format!("cannot write `{}`", target.display());
        if let Some(parent) = target.parent() {
            let mut missing = Vec::new();
            let mut dir = parent;
            while !dir.exists() {
                missing.push(dir.to_path_buf());
                match dir.parent() {
                    Some(p) => dir = p,
                    None => break,
                }
            }
            for dir in missing.into_iter().rev() {
                std::fs::create_dir(&dir).map_err(|e| (what(), e.into()))?;
                done.push(Done::Dir(dir));
            }
        }
        if let Ok(meta) = target.symlink_metadata() {
            if meta.is_dir() {
                return Err((what(), "a folder is in the way".into()));
            }
            // --force: keep the old file aside until everything is in place.
            let aside = old.join(i.to_string());
            std::fs::create_dir_all(&old).map_err(|e| (what(), e.into()))?;
            std::fs::rename(&target, &aside).map_err(|e| (what(), e.into()))?;
            done.push(Done::Moved {
                from: target.clone(),
                to: aside,
            });
        }
        let staged = new.join(path);
        std::fs::rename(&staged, &target).map_err(|e| (what(), e.into()))?;
        done.push(Done::Moved {
            from: staged,
            to: target,
        });
        Ok(())
    };
    for (i, (path, _)) in planned.iter().enumerate() {
        if let Err((what, e)) = step(&mut done, i, path) {
            for d in done.into_iter().rev() {
                let _ = match d {
                    Done::Dir(dir) => std::fs::remove_dir(dir),
                    Done::Moved { from, to } => std::fs::rename(to, from),
                };
            }
            return Err(Error::io(nothing(what), e));
        }
    }
    Ok(planned
        .iter()
        .map(|(p, _)| out.join(p).display().to_string())
        .collect())
}

/// Writes `text` to `path` (in the staging folder, for `shown`), making its folders.
fn write_one(path: &Path, shown: &Path, text: &str) -> Result<(), Failure> {
    let what = || format!("cannot write `{}`", shown.display());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| (what(), e.into()))?;
    }
    crate::files::write_private(path, text.as_bytes()).map_err(|e| (what(), e.reason().into()))
}
