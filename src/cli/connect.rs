//! Connecting to the platform: the Apify API (URL from `--api-url` / `APIFY_API_BASE_URL`, token
//! from `APIFY_TOKEN`, `--token-file` or apify-cli's login), or with `--local` the embedded
//! emulator, started in this process with its state kept in `.apify-webhooks/`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use crate::emulator::{DEFAULT_TOKEN, Emulator, EmulatorConfig, EmulatorHandle, SeedSource};
use crate::error::Error;
use crate::platform::{
    ApiBaseUrl, ApiToken, ApifyClient, ClientConfig, ClientInputs, RETRY_BASE_ENV, parse_timeout,
};

/// Where `--local` keeps the emulator's state (gitignored).
pub(crate) const LOCAL_DIR: &str = ".apify-webhooks";

/// How to reach the platform.
#[derive(Debug, Args)]
pub(crate) struct ConnectArgs {
    /// Apify API base URL (plain http only on loopback).
    #[arg(
        long,
        global = true,
        env = "APIFY_API_BASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    api_url: Option<String>,
    /// Read the API token from FILE (instead of `APIFY_TOKEN`).
    #[arg(long, global = true, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Use the embedded Apify API emulator, with its state in `.apify-webhooks/` (no account
    /// needed; `--api-url`, `APIFY_API_BASE_URL` and the token are then ignored).
    #[arg(long, global = true)]
    local: bool,
    /// The most time to spend waiting for the API in all, retries included (`30s`, `2m`).
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        default_value = "2m",
        value_parser = parse_timeout
    )]
    timeout: Duration,
}

/// A client, and the emulator it talks to with `--local` (kept alive as long as the client).
pub(crate) struct Connection {
    /// The client.
    pub(crate) client: ApifyClient,
    /// What it is connected to, for messages.
    pub(crate) description: String,
    /// The API base URL, or `local` for the embedded emulator (recorded in saved plans).
    pub(crate) api: String,
    emulator: Option<EmulatorHandle>,
}

impl Connection {
    /// Stops the embedded emulator, if any, after in-flight requests.
    pub(crate) async fn close(self) {
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }
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

    /// Connects as the arguments and the environment say.
    pub(crate) async fn connect(&self) -> Result<Connection, Error> {
        let retry_base = std::env::var(RETRY_BASE_ENV).ok();
        if self.local {
            if self.api_url.is_some() || self.token_file.is_some() {
                tracing::info!("--local: ignoring the API URL and token settings");
            }
            return connect_local(Path::new(LOCAL_DIR), retry_base.as_deref(), self.timeout).await;
        }
        let env_token = std::env::var("APIFY_TOKEN").ok();
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let (config, source) = ClientConfig::from_inputs(ClientInputs {
            api_url: self.api_url.as_deref(),
            env_token: env_token.as_deref(),
            token_file: self.token_file.as_deref(),
            home: home.as_deref(),
            retry_base_ms: retry_base.as_deref(),
            timeout: Some(self.timeout),
        })?;
        tracing::info!("using the API token from {source}");
        let description = config.api_url.as_str().to_owned();
        Ok(Connection {
            client: ApifyClient::new(config)?,
            api: description.clone(),
            description,
            emulator: None,
        })
    }
}

/// Starts the emulator with its state in `dir` and a client for its seeded user.
async fn connect_local(
    dir: &Path,
    retry_base: Option<&str>,
    timeout: Duration,
) -> Result<Connection, Error> {
    let io = |e: std::io::Error| Error::Io(format!("cannot prepare `{}`: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            "# apify-webhooks --local state; not for version control\n*\n",
        )
        .map_err(io)?;
    }
    let emulator = Emulator::start(EmulatorConfig {
        seed: SeedSource::Default,
        state_file: Some(dir.join("state.json")),
        ..EmulatorConfig::default()
    })
    .await
    .map_err(|e| Error::Io(format!("cannot start the local emulator: {e}")))?;
    let url = ApiBaseUrl::parse(emulator.base_url())?;
    let token = ApiToken::new(DEFAULT_TOKEN)
        .map_err(|e| Error::Io(format!("the emulator's token: {e}")))?;
    let mut config = ClientConfig::new(url, token);
    config.timeout = timeout;
    if let Some(ms) = retry_base {
        config.retry.base_delay = crate::platform::retry::parse_retry_base_ms(ms)?;
    }
    let description = format!("the local emulator (state in {}/)", dir.display());
    Ok(Connection {
        client: ApifyClient::new(config)?,
        description,
        api: "local".to_owned(),
        emulator: Some(emulator),
    })
}
