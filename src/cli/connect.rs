//! The connection options of the commands that talk to the platform (their own help heading),
//! turned into a [`session::Connect`]: the API URL from `--api-url` / `APIFY_API_BASE_URL`, the
//! token from `APIFY_TOKEN`, `--token-file` or apify-cli's login, or with `--local` the
//! embedded emulator.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::error::Error;
use crate::platform::{ClientInputs, RETRY_BASE_ENV, parse_timeout};
use crate::session::{self, Connect, Connection};

/// How to reach the platform.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Connection")]
#[allow(
    clippy::doc_markdown,
    reason = "doc comments here are clap's help text"
)]
pub(crate) struct ConnectArgs {
    /// Apify API base URL (plain http only on loopback) [env: APIFY_API_BASE_URL] [default:
    /// https://api.apify.com]
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// Read the API token from FILE (instead of `APIFY_TOKEN`).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Use the embedded Apify API emulator instead of the API: no account needed. Its state
    /// lives in the nearest `.apify-webhooks/` folder at or above the manifests' folder (made
    /// beside the manifests when there is none).
    #[arg(long, conflicts_with_all = ["api_url", "token_file"])]
    pub(crate) local: bool,
    /// With --local: start again from the emulator's seed (the local state is deleted first).
    #[arg(long, requires = "local")]
    reset: bool,
    /// The most time to spend waiting for the API in all, retries included (`30s`, `2m`).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "2m",
        value_parser = parse_timeout
    )]
    timeout: Duration,
}

impl ConnectArgs {
    /// The command that applies a plan made with these arguments.
    pub(crate) fn apply_command(&self) -> &'static str {
        if self.local {
            "apify-webhooks apply --local"
        } else {
            "apify-webhooks apply"
        }
    }

    /// Connects as the arguments and the environment say; `paths` are the manifests' (they
    /// decide where `--local` keeps its state).
    pub(crate) async fn connect(&self, paths: &[PathBuf]) -> Result<Connection, Error> {
        let retry_base = std::env::var(RETRY_BASE_ENV).ok();
        if self.local {
            // `--api-url` and `--token-file` with `--local` are refused by clap; the variables
            // of the environment are meant for other runs and ignored.
            return Connection::open(Connect::Local {
                dir: session::find_local_dir(paths),
                reset: self.reset,
                retry_base_ms: retry_base.as_deref(),
                timeout: self.timeout,
            })
            .await;
        }
        let env_token = std::env::var("APIFY_TOKEN").ok();
        let env_url = std::env::var("APIFY_API_BASE_URL").ok();
        let home = std::env::var_os("HOME").map(PathBuf::from);
        Connection::open(Connect::Api(ClientInputs {
            api_url: self.api_url.as_deref().or(env_url.as_deref()),
            env_token: env_token.as_deref(),
            token_file: self.token_file.as_deref(),
            home: home.as_deref(),
            retry_base_ms: retry_base.as_deref(),
            timeout: Some(self.timeout),
        }))
        .await
    }
}
