//! `apify-webhooks emulator`: serves the local Apify API emulator on loopback until SIGINT or
//! SIGTERM (or, with `--exit-with-parent`, until the process that started it exits), printing
//! one line with its address (`Listening on http://127.0.0.1:PORT`) to stdout first, so a
//! script or test can read where it is. `apify-webhooks emulator fire` starts a simulated run
//! or build on a running emulator (or, with `--local`, on the local state in this process),
//! which delivers the matching webhooks, and shows what they answered, exiting 5 when a
//! delivery failed. `apify-webhooks emulator seed` replaces the local state (or a state file)
//! with a seed file.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use super::Context;
use crate::diagnostic::shown;
use crate::emulator::{
    DeletedKeys, DeliveryConfig, Emulator, EmulatorConfig, EmulatorError, Faults, FireProgress,
    RunKind, RunRequest, SeedSource,
};
use crate::error::Error;
use crate::exit;
use crate::platform::parse_timeout;
use crate::render::delivery as render;
use crate::session;

/// Arguments of `emulator`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct EmulatorArgs {
    #[command(subcommand)]
    action: Option<EmulatorAction>,
    #[command(flatten)]
    serve: ServeArgs,
}

/// What `emulator` can do besides serving.
#[derive(Debug, Subcommand)]
enum EmulatorAction {
    /// Start a simulated run or build on a running emulator (or the local one): it fires every
    /// matching webhook (event type and condition) to its URL, and this shows what the
    /// receivers answered.
    Fire(FireArgs),
    /// Replace the local state (`--local`) or a state file (`--state FILE`) with a seed file:
    /// users, Actors, tasks and existing webhooks to start from.
    Seed(SeedArgs),
}

/// Arguments of `emulator seed`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("where").required(true).args(["local", "state"])))]
struct SeedArgs {
    /// The seed file (YAML or JSON; the README's "Seed files" describes it).
    #[arg(value_name = "SEED_FILE")]
    file: PathBuf,
    /// With --local: the manifests whose `.apify-webhooks/` folder to seed, found as `plan
    /// --local PATH` finds it [default: .]
    #[arg(value_name = "PATH", requires = "local")]
    path: Option<PathBuf>,
    /// Seed the state of `--local` (the nearest `.apify-webhooks/` folder, made when there is
    /// none).
    #[arg(long)]
    local: bool,
    /// Seed this state file (for `apify-webhooks emulator --state FILE`).
    #[arg(long, value_name = "FILE", conflicts_with = "local")]
    state: Option<PathBuf>,
    /// Replace a state that exists (its webhooks and dispatches are lost).
    #[arg(long)]
    reset: bool,
}

/// How a simulated run or build ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Outcome {
    /// `ACTOR.RUN.SUCCEEDED` / `ACTOR.BUILD.SUCCEEDED`.
    Succeeded,
    /// `ACTOR.RUN.FAILED` / `ACTOR.BUILD.FAILED`.
    Failed,
    /// `ACTOR.RUN.ABORTED` / `ACTOR.BUILD.ABORTED`.
    Aborted,
    /// `ACTOR.RUN.TIMED_OUT` / `ACTOR.BUILD.TIMED_OUT`.
    TimedOut,
}

impl Outcome {
    fn status(self) -> &'static str {
        match self {
            Outcome::Succeeded => "SUCCEEDED",
            Outcome::Failed => "FAILED",
            Outcome::Aborted => "ABORTED",
            Outcome::TimedOut => "TIMED-OUT",
        }
    }
}

/// Output formats of `emulator fire`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
enum FireFormat {
    /// One line per dispatch.
    #[default]
    Text,
    /// The emulator's answer as JSON.
    Json,
}

/// Arguments of `emulator fire`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["actor", "task"])))]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent command-line switches"
)]
struct FireArgs {
    /// The running emulator (`Listening on ...` of `apify-webhooks emulator`).
    #[arg(
        long,
        value_name = "URL",
        env = "APIFY_WEBHOOKS_EMULATOR_URL",
        required_unless_present = "local"
    )]
    url: Option<String>,
    /// Fire on the local state (`--local` of the other commands) instead of a running
    /// emulator: the emulator runs in this process until the deliveries end.
    #[arg(long, conflicts_with = "no_wait")]
    local: bool,
    /// With --local: the manifests whose `.apify-webhooks/` folder to use, found as `plan
    /// --local PATH` finds it [default: .]
    #[arg(value_name = "PATH", requires = "local")]
    path: Option<PathBuf>,
    /// With --local: deliver to any host, not only to loopback receivers.
    #[arg(long, requires = "local")]
    allow_external_delivery: bool,
    /// The Actor that runs (ID or `username/name`).
    #[arg(long, value_name = "ACTOR")]
    actor: Option<String>,
    /// The task that starts the run (ID or `username/name`); its Actor's webhooks fire too.
    #[arg(long, value_name = "TASK", conflicts_with = "build")]
    task: Option<String>,
    /// Simulate a build of the Actor instead of a run.
    #[arg(long)]
    build: bool,
    /// How the run or build ends (the `CREATED` event fires first).
    #[arg(long, value_enum, default_value_t = Outcome::Succeeded)]
    outcome: Outcome,
    /// The user who runs it (username); the Actor's or task's owner by default.
    #[arg(long, value_name = "USERNAME")]
    user: Option<String>,
    /// Do not wait for the deliveries; print the dispatches as created.
    #[arg(long)]
    no_wait: bool,
    /// The longest wait for the deliveries (retries included).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_timeout)]
    wait: Duration,
    /// How to print what happened.
    #[arg(long, value_enum, default_value_t = FireFormat::Text)]
    format: FireFormat,
}

/// Arguments of serving the emulator.
#[derive(Debug, Args)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent command-line switches"
)]
struct ServeArgs {
    /// Port to listen on; 0 picks a free one (printed on start).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Loopback address to listen on (127.0.0.0/8 or `::1`).
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Seed file (YAML or JSON) with users, tokens, Actors, tasks and webhooks; the built-in
    /// seed when not given.
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Keep the state in this JSON file: loaded at start if it exists (instead of the seed),
    /// rewritten atomically after every change.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Added latency per request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_ms: u64,
    /// Further random latency per request, up to this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    jitter_ms: u64,
    /// Requests per second allowed per token; more are answered 429 rate-limit-exceeded.
    #[arg(long, value_name = "N")]
    rate_limit: Option<f64>,
    /// Share of requests answered with a 500 error (0 to 1).
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    error_rate: f64,
    /// Share of requests whose connection is closed without an answer (0 to 1).
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    drop_rate: f64,
    /// Share of requests carried out whose answer is then lost (connection closed) (0 to 1).
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    lost_response_rate: f64,
    /// Largest page a list returns, whatever `limit` asks for.
    #[arg(long, value_name = "N")]
    max_page_size: Option<usize>,
    /// Send `Retry-After: SECS` with 429 answers.
    #[arg(long, value_name = "SECS")]
    retry_after: Option<u64>,
    /// Seed of the random fault choices (same seed, same faults).
    #[arg(long, value_name = "N", default_value_t = 0)]
    fault_seed: u64,
    /// Leave `description` out of webhook list items (as the API reference documents them;
    /// the live API includes it).
    #[arg(long)]
    no_list_descriptions: bool,
    /// Random errors, drops and lost responses hit only writes (reads always succeed).
    #[arg(long)]
    faults_on_writes_only: bool,
    /// The per-user webhook cap.
    #[arg(long, value_name = "N", default_value_t = crate::webhook::MAX_WEBHOOKS_PER_USER)]
    max_webhooks: usize,
    /// What a create with the idempotency key of a deleted webhook answers: `forget` (the key
    /// went with the webhook: a new one is made) or `replay` (the deleted webhook's record).
    /// The real platform's behaviour is not documented.
    #[arg(long, value_name = "MODE", default_value_t = DeletedKeys::Forget)]
    deleted_webhook_keys: DeletedKeys,
    /// Deliver webhooks to any host; by default only loopback receivers are called and any
    /// other URL is recorded as a failed call.
    #[arg(long)]
    allow_external_delivery: bool,
    /// Retries after a failed delivery (webhooks with `doNotRetry` get none).
    #[arg(long, value_name = "N", default_value_t = DeliveryConfig::default().retries)]
    delivery_retries: u32,
    /// The pause before the first retry of a delivery, in milliseconds; it doubles each time.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    delivery_retry_delay_ms: u64,
    /// How long one delivery call may take.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_timeout)]
    delivery_timeout: Duration,
    /// Stop when the process that started this one exits, even if it was killed without a
    /// chance to stop the emulator (for scripts and tests: nothing is left running).
    #[arg(long)]
    exit_with_parent: bool,
}

impl ServeArgs {
    fn config(&self) -> EmulatorConfig {
        EmulatorConfig {
            listen: SocketAddr::new(self.host, self.port),
            seed: self
                .seed
                .clone()
                .map_or(SeedSource::Default, SeedSource::File),
            state_file: self.state.clone(),
            faults: Faults {
                seed: self.fault_seed,
                latency_ms: self.latency_ms,
                jitter_ms: self.jitter_ms,
                rate_limit: self.rate_limit,
                error_rate: self.error_rate,
                drop_rate: self.drop_rate,
                lost_response_rate: self.lost_response_rate,
                max_page_size: self.max_page_size,
                retry_after_secs: self.retry_after,
                script: std::collections::VecDeque::new(),
                writes_only: self.faults_on_writes_only,
            },
            list_descriptions: !self.no_list_descriptions,
            max_webhooks_per_user: self.max_webhooks,
            deleted_keys: self.deleted_webhook_keys,
            delivery: DeliveryConfig {
                allow_external: self.allow_external_delivery,
                retries: self.delivery_retries,
                retry_delay: Duration::from_millis(self.delivery_retry_delay_ms),
                timeout: self.delivery_timeout,
                ..DeliveryConfig::default()
            },
            ..EmulatorConfig::default()
        }
    }
}

/// Serves until SIGINT or SIGTERM, or fires a simulated run.
pub(crate) fn run(args: &EmulatorArgs, ctx: &Context) -> Result<u8, Error> {
    match &args.action {
        Some(EmulatorAction::Fire(fire)) => run_fire(fire, ctx),
        Some(EmulatorAction::Seed(seed)) => run_seed(seed, ctx),
        None => serve(&args.serve, ctx),
    }
}

/// `emulator fire`.
fn run_fire(args: &FireArgs, ctx: &Context) -> Result<u8, Error> {
    let request = RunRequest {
        actor: args.actor.clone(),
        task: args.task.clone(),
        kind: if args.build {
            RunKind::Build
        } else {
            RunKind::Run
        },
        outcome: args.outcome.status().to_owned(),
        user: args.user.clone(),
    };
    let wait = (!args.no_wait).then_some(args.wait);
    let progress = |p: FireProgress<'_>| ctx.console.info(&render::fire_progress(&p));
    let run = super::block_on(async {
        if args.local {
            let dir = session::find_local_dir(&[args.path.clone().unwrap_or_else(|| ".".into())]);
            ctx.console.info(&format!(
                "Using the local emulator (state in {}).",
                shown(&dir.join("state.json").display().to_string())
            ));
            session::fire_local(
                &dir,
                args.allow_external_delivery,
                &request,
                args.wait,
                &progress,
            )
            .await
        } else {
            // clap requires `--url` (or its variable) without `--local`.
            let url = args.url.clone().unwrap_or_default();
            Ok(crate::emulator::fire(&url, &request, wait, &progress).await?)
        }
    })?;
    ctx.console.print(&match args.format {
        FireFormat::Text => render::fire_text(&run),
        FireFormat::Json => render::fire_json(&run),
    });
    // As `status` and `test`: 5 when a delivery did not succeed (failed, or still retrying
    // when the wait ended). Without a wait nothing is known yet.
    let failing = wait.is_some()
        && run
            .dispatches
            .iter()
            .any(|d| d.status.as_deref() != Some("SUCCEEDED"));
    Ok(if failing {
        exit::DELIVERY_FAILING
    } else {
        exit::SUCCESS
    })
}

/// `emulator seed`.
fn run_seed(args: &SeedArgs, ctx: &Context) -> Result<u8, Error> {
    let target = match &args.state {
        Some(file) => session::SeedTarget::File(file.clone()),
        None => session::SeedTarget::Local(session::find_local_dir(&[args
            .path
            .clone()
            .unwrap_or_else(|| ".".into())])),
    };
    let (state, counts) = session::seed_state(&args.file, &target, args.reset)?;
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    ctx.console.print(&format!(
        "Seeded {} from {}: {}, {}, {}, {}, {}.\n",
        shown(&state.display().to_string()),
        shown(&args.file.display().to_string()),
        count(counts.users, "user", "users"),
        count(counts.actors, "Actor", "Actors"),
        count(counts.tasks, "task", "tasks"),
        count(counts.webhooks, "webhook", "webhooks"),
        count(counts.dispatches, "dispatch", "dispatches")
    ));
    Ok(exit::SUCCESS)
}

/// Serves until SIGINT or SIGTERM.
fn serve(args: &ServeArgs, ctx: &Context) -> Result<u8, Error> {
    // Taken before anything else: a parent that dies while the emulator starts is noticed too.
    let parent = parent_id();
    super::block_on(async {
        let handle = Emulator::start(args.config())
            .await
            .map_err(|err| match err {
                EmulatorError::NotLoopback(_) | EmulatorError::Faults(_) => {
                    Error::Usage(err.to_string())
                }
                other => Error::io("cannot start the emulator", other),
            })?;
        ctx.console
            .print(&format!("Listening on {}\n", handle.base_url()));
        tokio::select! {
            () = super::stop_signal() => {}
            () = parent_exit(parent), if args.exit_with_parent => {
                tracing::info!("the parent process exited");
            }
        }
        tracing::info!("emulator stopping");
        handle.shutdown().await;
        Ok(exit::SUCCESS)
    })
}

/// The parent process's ID, where there is one to watch.
#[allow(
    clippy::unnecessary_wraps,
    reason = "`None` on platforms without parent IDs"
)]
fn parent_id() -> Option<u32> {
    #[cfg(unix)]
    return Some(std::os::unix::process::parent_id());
    #[cfg(not(unix))]
    None
}

/// Returns once the parent process (`parent`, taken at start) has exited: this process is then
/// re-parented, so its parent ID changes (checked five times a second). Never returns where
/// that cannot be seen.
async fn parent_exit(parent: Option<u32>) {
    let Some(parent) = parent else {
        return std::future::pending().await;
    };
    loop {
        if parent_id() != Some(parent) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
