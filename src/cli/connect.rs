//! The connection options of the commands that talk to the platform (their own help heading),
//! turned into a [`session::Connect`]: the API URL from `--api-url` / `APIFY_API_BASE_URL`, the
//! token from `APIFY_TOKEN`, `--token-file` or apify-cli's login, or with `--local` the
//! embedded emulator.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::error::Error;
use crate::platform::{ClientInputs, RETRY_BASE_ENV, parse_timeout};
use crate::project::{Environment, TokenSource};
use crate::session::{self, Connect, Connection, LocalProject};

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

/// The connections of a project's environments: one per environment to its own API with its
/// own token, or with `--local` one emulator with a user per environment.
pub(crate) enum EnvConnections {
    /// To the APIs.
    Api(Vec<Connection>),
    /// To the embedded emulator.
    Local(LocalProject),
}

impl EnvConnections {
    /// One connection per environment, in the order they were opened for.
    pub(crate) fn list(&self) -> &[Connection] {
        match self {
            EnvConnections::Api(list) => list,
            EnvConnections::Local(local) => &local.connections,
        }
    }

    /// Closes them all (stops the emulator with `--local`).
    pub(crate) async fn close(self) {
        match self {
            EnvConnections::Api(list) => {
                for c in list {
                    c.close().await;
                }
            }
            EnvConnections::Local(local) => local.close().await,
        }
    }
}

impl ConnectArgs {
    /// Refuses the options that make no sense with a project file: each environment names its
    /// own API and token there.
    pub(crate) fn check_project(&self) -> Result<(), Error> {
        if self.api_url.is_some() || self.token_file.is_some() {
            return Err(Error::Usage(
                "--api-url and --token-file cannot be used with a project file: each environment names its own `apiUrl` and `token` (or `tokenFile`) in apify-webhooks.yaml".to_owned(),
            ));
        }
        Ok(())
    }

    /// Connects to every environment of `envs`: each to its own `apiUrl` (default: the Apify
    /// API; never `APIFY_API_BASE_URL`) with its own token (never `APIFY_TOKEN` or apify-cli's
    /// login), or with `--local` to one emulator, as a user per environment, whose state lives
    /// beside the project file. A missing token fails naming the environment, before any
    /// connection is opened.
    pub(crate) async fn connect_environments(
        &self,
        envs: &[Environment],
        project_file: &std::path::Path,
    ) -> Result<EnvConnections, Error> {
        let retry_base = std::env::var(RETRY_BASE_ENV).ok();
        if self.local {
            let names: Vec<String> = envs.iter().map(|e| e.name.clone()).collect();
            let dir = session::find_local_dir(&[project_file.to_path_buf()]);
            return LocalProject::open(
                &dir,
                &names,
                self.reset,
                retry_base.as_deref(),
                self.timeout,
            )
            .await
            .map(EnvConnections::Local);
        }
        let mut tokens = Vec::with_capacity(envs.len());
        for env in envs {
            let token = match &env.token {
                Some(TokenSource::Env(name)) => match std::env::var(name) {
                    Ok(value) if !value.trim().is_empty() => (Some(value), None),
                    _ => {
                        return Err(Error::Usage(format!(
                            "the environment variable `{name}` (this environment's `token`) is not set"
                        ))
                        .in_environment(&env.name));
                    }
                },
                Some(TokenSource::File(path)) => (None, Some(path.clone())),
                None => {
                    return Err(Error::Usage(
                        "no `token` or `tokenFile` in the project file (only --local runs without one)"
                            .to_owned(),
                    )
                    .in_environment(&env.name));
                }
            };
            tokens.push(token);
        }
        let mut list = Vec::with_capacity(envs.len());
        for (env, (env_token, token_file)) in envs.iter().zip(&tokens) {
            let opened = Connection::open(Connect::Api(ClientInputs {
                api_url: env.api_url.as_deref(),
                env_token: env_token.as_deref(),
                token_file: token_file.as_deref(),
                home: None,
                retry_base_ms: retry_base.as_deref(),
                timeout: Some(self.timeout),
            }))
            .await
            .map_err(|e| e.in_environment(&env.name));
            match opened {
                Ok(c) => list.push(c),
                Err(e) => {
                    for c in list {
                        c.close().await;
                    }
                    return Err(e);
                }
            }
        }
        Ok(EnvConnections::Api(list))
    }

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
