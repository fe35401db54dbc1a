//! The command line: parses arguments (clap), sets up output and logging, runs one subcommand
//! and turns its outcome into a documented exit code. This is the composition root: the only
//! module that reads the process environment and picks concrete implementations.

mod apply;
mod completions;
mod connect;
mod destroy;
mod emulator;
mod export;
mod man;
mod plan;
mod preview;
mod schema;
mod status;
mod test;
mod validate;

use std::io::{BufRead, IsTerminal, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use clap::{Args, Parser, Subcommand};

use crate::apply::{self as applying, ApplyOptions, ApplyReport};
use crate::error::Error;
use crate::exit;
use crate::plan::Plan;
use crate::render::apply as render_apply;
use crate::render::{ColorWhen, Console};

/// Apify webhooks as code: declare webhooks in YAML, plan and apply them with the Apify API.
#[derive(Debug, Parser)]
#[command(name = "apify-webhooks", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Options every subcommand takes: only output options. Options that mean something for some
/// commands only (the owner, the connection) are those commands' own.
#[derive(Debug, Args)]
struct GlobalArgs {
    /// When to colour output; `NO_COLOR` turns colour off in `auto`.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
    /// Log more to stderr (-v: retries and what the tool decided, -vv: every request).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Print only errors and the final summary line.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
}

/// The manifests a command reads, and whose webhooks they are.
#[derive(Debug, Clone, Args)]
pub(crate) struct ManifestArgs {
    /// Manifest files, or directories to search for `*.yaml` and `*.yml` [default: .]
    pub(crate) paths: Vec<PathBuf>,
    /// Owner of the webhooks this run manages; must agree with the manifests' `owner:`.
    #[arg(long, env = "APIFY_WEBHOOKS_OWNER", hide_env_values = true, value_parser = parse_owner)]
    pub(crate) owner: Option<String>,
}

/// Which environments of a project file a command runs.
#[derive(Debug, Clone, Args)]
pub(crate) struct EnvArgs {
    /// The project file naming the environments [default: apify-webhooks.yaml in the current
    /// directory or the nearest parent, when no PATH is given]
    #[arg(long, value_name = "FILE")]
    pub(crate) project: Option<PathBuf>,
    /// Run this environment of the project file only (repeatable) [default: every one]
    #[arg(long = "env", value_name = "NAME")]
    pub(crate) envs: Vec<String>,
}

impl EnvArgs {
    /// The project file to run, if any: `--project`, else (when no manifest PATH is given) the
    /// nearest `apify-webhooks.yaml` at or above the current directory. Manifest PATHs given
    /// without `--project` or `--env` mean a run without a project file, as always.
    pub(crate) fn project(
        &self,
        paths: &[PathBuf],
    ) -> Result<Option<crate::project::Project>, Error> {
        if !paths.is_empty() {
            if self.project.is_some() || !self.envs.is_empty() {
                return Err(Error::Usage(
                    "manifest PATHs cannot be combined with --project or --env: the project file names each environment's manifests".to_owned(),
                ));
            }
            return Ok(None);
        }
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let Some(path) = crate::project::find(self.project.as_deref(), &cwd) else {
            if self.envs.is_empty() {
                return Ok(None);
            }
            return Err(Error::Usage(format!(
                "--env needs a project file, and there is no {} in the current directory or above it (or pass --project FILE)",
                crate::project::FILE_NAME
            )));
        };
        let path = relative_to_cwd(&path);
        crate::project::load(&path)
            .map(Some)
            .map_err(Error::InvalidManifest)
    }
}

/// `path` relative to the current directory when it lies below it (shorter messages).
fn relative_to_cwd(path: &std::path::Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            path.strip_prefix(&cwd)
                .ok()
                .map(std::path::Path::to_path_buf)
        })
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| path.to_path_buf())
}

/// The selected environments of `project` (every one when `names` is empty), each with its
/// manifests loaded (its vars in Actor and task references) and its owner settled: all or
/// nothing, the first that fails names its environment. `owner` (`--owner`) must agree with an
/// environment's `owner:` when both are given.
pub(crate) fn load_environments(
    project: &crate::project::Project,
    names: &[String],
    owner: Option<&str>,
) -> Result<
    (
        Vec<crate::project::Environment>,
        Vec<crate::session::Workspace>,
    ),
    Error,
> {
    let envs: Vec<crate::project::Environment> = project
        .select(names)
        .map_err(Error::Usage)?
        .into_iter()
        .cloned()
        .collect();
    let mut workspaces = Vec::with_capacity(envs.len());
    for env in &envs {
        if let (Some(flag), Some(own)) = (owner, env.owner.as_deref())
            && flag != own
        {
            return Err(Error::Usage(format!(
                "--owner (or APIFY_WEBHOOKS_OWNER) says `{flag}`, the project file says `{own}`"
            ))
            .in_environment(&env.name));
        }
        let workspace = crate::session::Workspace::load_with(
            &env.manifests,
            env.owner.as_deref().or(owner),
            &env.vars,
            Context::env_var,
        )
        .map_err(|e| e.in_environment(&env.name))?;
        workspaces.push(workspace);
    }
    Ok((envs, workspaces))
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
    pub(crate) fn options(self) -> Result<crate::plan::PlanOptions, Error> {
        crate::session::plan_options(self.force, self.no_delete)
    }
}

/// The `${NAME}` values of the manifests that are set, to scrub from receivers' answers
/// (`test`, `status`). Unset variables cannot leak, so they count as empty (and empty values are
/// never scrubbed).
pub(crate) fn known_secrets(workspace: &crate::session::Workspace) -> Vec<String> {
    workspace
        .resolve(|name| Some(Context::env_var(name).unwrap_or_default()))
        .map(|desired| desired.secrets)
        .unwrap_or_default()
}

/// An owner is 1 to 64 characters of `A-Z a-z 0-9 . _ -`.
/// One report section per environment: its name and vars beside its plan (`plan` and `apply`
/// show the same).
fn environment_reports<'a>(
    envs: &'a [crate::project::Environment],
    desired: &'a [crate::session::Desired<'a>],
    planned: &'a [crate::session::Planned],
) -> Vec<crate::render::plan::project::EnvironmentReport<'a>> {
    envs.iter()
        .zip(desired)
        .zip(planned)
        .map(
            |((e, d), p)| crate::render::plan::project::EnvironmentReport {
                name: &e.name,
                plan: &p.plan,
                api: &p.api,
                account: &p.account,
                vars: &e.vars,
                secrets: &d.secrets,
                manifest_digest: &d.digest,
            },
        )
        .collect()
}

fn parse_owner(s: &str) -> Result<String, String> {
    if !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        Ok(s.to_owned())
    } else {
        Err("an owner is 1 to 64 characters of A-Z a-z 0-9 . _ -".to_owned())
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check manifests offline: syntax, schema, platform rules, templates, variables.
    Validate(validate::ValidateArgs),
    /// Show what `apply` would change on the platform to match the manifests.
    Plan(plan::PlanArgs),
    /// Show the exact request a webhook sends for a sample event (offline).
    Preview(preview::PreviewArgs),
    /// Make the platform match the manifests (after showing the plan and asking).
    Apply(apply::ApplyArgs),
    /// Fire the platform's test dispatch for a managed webhook and show the receiver's answer.
    Test(test::TestArgs),
    /// Show whether the managed webhooks deliver: last dispatch, totals, recent failures.
    Status(status::StatusArgs),
    /// Delete every webhook the owner manages (in every environment, or those named by --env).
    Destroy(destroy::DestroyArgs),
    /// Write manifests for the account's existing webhooks (unmanaged ones to adopt).
    Export(export::ExportArgs),
    /// Print the manifest JSON schema (for editors and other tools).
    Schema(schema::SchemaArgs),
    /// Serve the local Apify API emulator on loopback (for tests, demos and offline use).
    Emulator(emulator::EmulatorArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print a manual page in roff (`apify-webhooks man | man -l -`).
    #[command(hide = true)]
    Man(man::ManArgs),
}

/// What every command runs with besides its own arguments (nextest's `BaseApp`, small).
#[derive(Debug)]
pub(crate) struct Context {
    /// Where output goes.
    pub(crate) console: Console,
}

impl Context {
    /// A variable of the process environment, for `${NAME}`.
    pub(crate) fn env_var(name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// Whether `args` (the program name first) is a command line this tool accepts: for checking
/// the invocations written in pipelines and docs against the real definition. `--help` and
/// `--version` count as accepted.
pub fn parses<I, T>(args: I) -> Result<(), String>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(_) => Ok(()),
        Err(err) if !err.use_stderr() => Ok(()),
        Err(err) => Err(err.render().to_string()),
    }
}

/// Runs the command line of this process and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS
            };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let console = Console::new(cli.global.color, cli.global.quiet);
    init_logging(
        cli.global.verbose,
        cli.global.quiet,
        console.stderr_has_color(),
    );
    let ctx = Context { console };
    match run(cli.command, &ctx) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            ctx.console.report(&err);
            ExitCode::from(err.exit_code())
        }
    }
}

fn run(command: Command, ctx: &Context) -> Result<u8, Error> {
    match command {
        Command::Validate(args) => validate::run(&args, ctx),
        Command::Plan(args) => plan::run(&args, ctx),
        Command::Apply(args) => apply::run(&args, ctx),
        Command::Preview(args) => preview::run(&args, ctx),
        Command::Test(args) => test::run(&args, ctx),
        Command::Status(args) => status::run(&args, ctx),
        Command::Destroy(args) => destroy::run(&args, ctx),
        Command::Export(args) => export::run(&args, ctx),
        Command::Schema(args) => schema::run(&args, ctx),
        Command::Emulator(args) => emulator::run(&args, ctx),
        Command::Completions(args) => completions::run(&args, ctx),
        Command::Man(args) => man::run(&args, ctx),
    }
}

/// `words` as one shell command line (each quoted when it needs it), for the commands the tool
/// suggests.
fn shell_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| crate::render::plan::text::shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `future` to completion on a current-thread runtime (the tool is I/O-bound; the
/// embedded emulator shares the thread).
fn block_on<T>(future: impl std::future::Future<Output = Result<T, Error>>) -> Result<T, Error> {
    runtime()?.block_on(future)
}

/// A current-thread runtime.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| Error::io("cannot start the async runtime", err))
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn init_logging(verbose: u8, quiet: bool, ansi: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("APIFY_WEBHOOKS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("apify_webhooks={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Runs the plan with progress on stderr, stopping early on Ctrl-C or SIGTERM. `stop` is
/// shared by the environments of one run: once set, an environment not started yet starts no
/// operation (each is reported as not started).
pub(crate) async fn execute(
    client: &crate::platform::ApifyClient,
    plan: &Plan,
    options: &ApplyOptions,
    console: &Console,
    stop: &Arc<AtomicBool>,
) -> ApplyReport {
    let stop = Arc::clone(stop);
    let watcher = {
        let stop = Arc::clone(&stop);
        let console = console.clone();
        tokio::spawn(async move {
            stop_signal().await;
            stop.store(true, Ordering::SeqCst);
            console.info("\nStopping: operations in flight will finish; no new ones start.");
        })
    };
    let bar = progress_bar(console, plan.changes.len());
    let report = applying::apply(client, plan, options, &stop, |outcome| {
        let line = render_apply::progress_line(outcome);
        let failed = matches!(outcome.status, applying::Status::Failed { .. });
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
pub(crate) fn confirm(console: &Console, command: &str) -> Result<bool, Error> {
    if !std::io::stdin().is_terminal() {
        let saved = if command == "apply" {
            " (or apply a saved plan with --plan FILE)"
        } else {
            ""
        };
        return Err(Error::Usage(format!(
            "{command} needs confirmation, but stdin is not a terminal: pass --auto-approve{saved}"
        )));
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    /// The command modules: those `run` dispatches to (`Command::Plan(args) => plan::run(…)`).
    fn command_modules(mod_rs: &str) -> BTreeSet<String> {
        mod_rs
            .lines()
            .filter_map(|line| {
                let (_, arm) = line.split_once("=> ")?;
                let (module, rest) = arm.split_once("::")?;
                rest.starts_with("run(").then(|| module.trim().to_owned())
            })
            .collect()
    }

    /// The modules of this folder that `source` names through `super::` or `crate::cli::`,
    /// including inside a `use super::{…}` group.
    fn referenced_modules(source: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        for prefix in ["super::", "crate::cli::"] {
            for (at, _) in source.match_indices(prefix) {
                let rest = &source[at + prefix.len()..];
                if let Some(group) = rest.strip_prefix('{') {
                    let group = &group[..group.find('}').unwrap_or(group.len())];
                    for item in group.split(',') {
                        let name = item.trim().split("::").next().unwrap_or_default();
                        found.insert(name.trim().to_owned());
                    }
                } else {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if rest[name.len()..].starts_with("::") {
                        found.insert(name);
                    }
                }
            }
        }
        found
    }

    #[test]
    fn the_scan_finds_every_way_of_naming_a_module() {
        let found = referenced_modules(
            "use super::plan::SafetyArgs;\nuse super::{Context, test, apply::X};\nlet s = super::status::f();\ncrate::cli::export::run();\nsuper::block_on(x);",
        );
        let names: Vec<&str> = found.iter().map(String::as_str).collect();
        assert_eq!(
            names,
            ["Context", "apply", "export", "plan", "status", "test"]
        );
    }

    #[test]
    fn no_command_file_refers_to_another_command_file() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli");
        let commands = command_modules(&std::fs::read_to_string(dir.join("mod.rs")).unwrap());
        assert!(
            commands.len() >= 10 && commands.contains("plan") && commands.contains("status"),
            "{commands:?}"
        );
        let mut offences = Vec::new();
        for command in &commands {
            let path = dir.join(format!("{command}.rs"));
            let source = std::fs::read_to_string(&path).unwrap();
            for other in referenced_modules(&source) {
                if other != *command && commands.contains(&other) {
                    offences.push(format!("src/cli/{command}.rs refers to cli::{other}"));
                }
            }
        }
        assert!(
            offences.is_empty(),
            "a command file imports no other command file; move what they share into \
             cli/mod.rs or the library:\n{}",
            offences.join("\n")
        );
    }
}
