//! The command line: parses arguments (clap), sets up output and logging, runs one subcommand
//! and turns its outcome into a documented exit code. This is the composition root: the only
//! module that reads the process environment and picks concrete implementations.

mod schema;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::error::Error;
use crate::exit;
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

/// Options every subcommand takes.
#[derive(Debug, Args)]
struct GlobalArgs {
    /// When to colour output; `NO_COLOR` turns colour off in `auto`.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
    /// Log more to stderr (-v: requests, -vv: everything).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Print only errors and the requested output.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the manifest JSON schema (for editors and other tools).
    Schema(schema::SchemaArgs),
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
    init_logging(cli.global.verbose, cli.global.quiet);
    match run(cli, &console) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            report(&console, &err);
            ExitCode::from(err.exit_code())
        }
    }
}

fn run(cli: Cli, console: &Console) -> Result<u8, Error> {
    match cli.command {
        Command::Schema(args) => schema::run(&args, console),
    }
}

fn report(console: &Console, err: &Error) {
    match err {
        Error::InvalidManifest(diagnostics) => console.diagnostics(diagnostics),
        other => console.error(&other.to_string()),
    }
}

fn init_logging(verbose: u8, quiet: bool) {
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
        .with_target(false)
        .without_time()
        .try_init();
}
