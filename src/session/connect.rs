//! Connecting to the platform: the Apify API through the HTTP client, or the embedded emulator
//! (`--local`), started in this process with its state in a `.apify-webhooks/` folder found by
//! walking up from the manifests, the way git finds `.git`. Also what `emulator fire --local`
//! and `emulator seed` do with that state.

use std::path::{Path, PathBuf};

use crate::emulator::{
    DEFAULT_TOKEN, DeliveryConfig, Emulator, EmulatorConfig, EmulatorHandle, FireProgress,
    FiredRun, RunRequest, SeedCounts, SeedSource,
};
use crate::error::Error;
use crate::platform::{ApiBaseUrl, ApiToken, ApifyClient, ClientConfig, ClientInputs};

/// The folder `--local` keeps the emulator's state in (it holds its own `.gitignore`).
pub const LOCAL_DIR: &str = ".apify-webhooks";

/// Where to connect.
#[derive(Debug)]
pub enum Connect<'a> {
    /// The Apify API, with the URL and token these inputs give.
    Api(ClientInputs<'a>),
    /// The embedded emulator.
    Local {
        /// The folder holding the state (see [`find_local_dir`]).
        dir: PathBuf,
        /// Start again from the seed: the saved state is removed first.
        reset: bool,
        /// `APIFY_WEBHOOKS_RETRY_BASE_MS`, for tests.
        retry_base_ms: Option<&'a str>,
        /// The most time to spend waiting for the emulator in all (`--timeout`).
        timeout: std::time::Duration,
    },
}

/// A client, and the emulator it talks to with `--local` (kept alive as long as the client).
pub struct Connection {
    /// The client.
    pub client: ApifyClient,
    /// What it is connected to, for messages: the API URL, or where the local state lives.
    pub description: String,
    /// The API base URL, or `local` for the embedded emulator (recorded in saved plans).
    pub api: String,
    emulator: Option<EmulatorHandle>,
}

/// The value of [`Connection::api`] for the embedded emulator.
pub const LOCAL_API: &str = "local";

impl Connection {
    /// Connects as `how` says.
    pub async fn open(how: Connect<'_>) -> Result<Connection, Error> {
        match how {
            Connect::Api(inputs) => {
                let (config, source) = ClientConfig::from_inputs(inputs)?;
                tracing::info!("using the API token from {source}");
                let api = config.api_url.as_str().to_owned();
                Ok(Connection {
                    client: ApifyClient::new(config)?,
                    description: api.clone(),
                    api,
                    emulator: None,
                })
            }
            Connect::Local {
                dir,
                reset,
                retry_base_ms,
                timeout,
            } => open_local(&dir, reset, retry_base_ms, timeout).await,
        }
    }

    /// Whether this is the embedded emulator.
    pub fn is_local(&self) -> bool {
        self.emulator.is_some()
    }

    /// Stops the embedded emulator, if any, after in-flight requests.
    pub async fn close(self) {
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }
}

/// The `.apify-webhooks/` folder for manifests at `paths`: the nearest one in the folder of the
/// first path or any folder above it; when there is none, a new one in that folder.
pub fn find_local_dir(paths: &[PathBuf]) -> PathBuf {
    let first = paths.first().map_or(Path::new("."), PathBuf::as_path);
    let start = if first.is_dir() {
        first.to_path_buf()
    } else {
        match first.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    };
    let absolute = std::path::absolute(&start).unwrap_or_else(|_| start.clone());
    for dir in absolute.ancestors() {
        let candidate = dir.join(LOCAL_DIR);
        if candidate.is_dir() {
            return relative_if_below_cwd(&candidate);
        }
    }
    relative_if_below_cwd(&absolute.join(LOCAL_DIR))
}

/// `path` relative to the current directory when it lies below it (shorter messages).
fn relative_if_below_cwd(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| path.to_path_buf())
}

/// What a refused delivery to another host advises under `--local`: the commands that work
/// (`test --local` cannot deliver there; `emulator fire --local` can be told to).
pub const LOCAL_EXTERNAL_ADVICE: &str = "to deliver there, fire a run with `apify-webhooks \
     emulator fire --local --allow-external-delivery --actor ACTOR` (or `--task TASK`), or point \
     requestUrl at a receiver on this machine (127.0.0.1 or localhost)";

/// Makes the local folder `dir` (with a `.gitignore` that keeps it out of version control)
/// when missing, removes its state when `reset`, and returns the state file's path.
pub fn prepare_local_dir(dir: &Path, reset: bool) -> Result<PathBuf, Error> {
    let io = |e| Error::io(format!("cannot prepare `{}`", dir.display()), e);
    std::fs::create_dir_all(dir).map_err(io)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            "# apify-webhooks --local state; not for version control\n*\n",
        )
        .map_err(io)?;
    }
    let state = dir.join("state.json");
    if reset {
        match std::fs::remove_file(&state) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
    }
    Ok(state)
}

/// Starts the embedded emulator on the local state in `dir` (see [`prepare_local_dir`]),
/// delivering as `delivery` says.
pub async fn start_local(
    dir: &Path,
    reset: bool,
    delivery: DeliveryConfig,
) -> Result<EmulatorHandle, Error> {
    let state = prepare_local_dir(dir, reset)?;
    Emulator::start(EmulatorConfig {
        seed: SeedSource::Default,
        state_file: Some(state),
        delivery,
        ..EmulatorConfig::default()
    })
    .await
    .map_err(|e| Error::io("cannot start the local emulator", e))
}

/// Fires `run` on the local state in `dir` (`emulator fire --local`): the emulator runs in
/// this process until the run's deliveries have ended (at most `wait`), delivering to other
/// hosts than loopback ones only when `allow_external`.
pub async fn fire_local(
    dir: &Path,
    allow_external: bool,
    run: &RunRequest,
    wait: std::time::Duration,
    progress: &(dyn Fn(FireProgress<'_>) + Sync),
) -> Result<FiredRun, Error> {
    let delivery = DeliveryConfig {
        allow_external,
        external_advice: "add --allow-external-delivery to send elsewhere".to_owned(),
        ..DeliveryConfig::default()
    };
    let emulator = start_local(dir, false, delivery).await?;
    let fired = crate::emulator::fire(emulator.base_url(), run, Some(wait), progress).await;
    emulator.shutdown().await;
    Ok(fired?)
}

/// Where `emulator seed` writes.
#[derive(Debug, Clone)]
pub enum SeedTarget {
    /// The local state in this `.apify-webhooks/` folder (made when missing).
    Local(PathBuf),
    /// This state file.
    File(PathBuf),
}

/// Makes the seed file `seed` the state `target` names; an existing state (anything at its
/// path, a broken symbolic link included) is replaced only when `reset`. Returns the state
/// file and what the seed holds.
pub fn seed_state(
    seed: &Path,
    target: &SeedTarget,
    reset: bool,
) -> Result<(PathBuf, SeedCounts), Error> {
    let state = match target {
        SeedTarget::Local(dir) => prepare_local_dir(dir, false)?,
        SeedTarget::File(file) => file.clone(),
    };
    if !reset && std::fs::symlink_metadata(&state).is_ok() {
        return Err(Error::Usage(format!(
            "{} already exists; add --reset to replace it with the seed (its webhooks and \
             dispatches are lost)",
            crate::diagnostic::shown(&state.display().to_string())
        )));
    }
    let counts = crate::emulator::write_seeded_state(seed, &state)
        .map_err(|err| Error::io("emulator seed", err))?;
    Ok((state, counts))
}

/// Starts the emulator with its state in `dir` and a client for its seeded user.
async fn open_local(
    dir: &Path,
    reset: bool,
    retry_base_ms: Option<&str>,
    timeout: std::time::Duration,
) -> Result<Connection, Error> {
    let delivery = DeliveryConfig {
        external_advice: LOCAL_EXTERNAL_ADVICE.to_owned(),
        ..DeliveryConfig::default()
    };
    let emulator = start_local(dir, reset, delivery).await?;
    let state = dir.join("state.json");
    let url = ApiBaseUrl::parse(emulator.base_url())?;
    let token = ApiToken::new(DEFAULT_TOKEN).expect("the emulator's token is well-formed");
    let mut config = ClientConfig::new(url, token);
    config.timeout = timeout;
    if let Some(ms) = retry_base_ms {
        config.retry.base_delay = crate::platform::retry::parse_retry_base_ms(ms)?;
    }
    Ok(Connection {
        client: ApifyClient::new(config)?,
        description: format!("the local emulator (state in {})", state.display()),
        api: LOCAL_API.to_owned(),
        emulator: Some(emulator),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_folder_is_found_above_the_manifests_or_made_beside_them() {
        let root = tempfile::tempdir().unwrap();
        let manifests = root.path().join("webhooks/prod");
        std::fs::create_dir_all(&manifests).unwrap();
        // None yet: a new one beside the manifests.
        assert_eq!(
            find_local_dir(std::slice::from_ref(&manifests)),
            std::path::absolute(manifests.join(LOCAL_DIR)).unwrap()
        );
        // One above (with state): found, from the folder or from a file in it.
        std::fs::create_dir_all(root.path().join(LOCAL_DIR)).unwrap();
        std::fs::write(root.path().join(LOCAL_DIR).join("state.json"), "{}").unwrap();
        let expected = std::path::absolute(root.path().join(LOCAL_DIR)).unwrap();
        assert_eq!(find_local_dir(std::slice::from_ref(&manifests)), expected);
        let file = manifests.join("a.yaml");
        std::fs::write(&file, "version: 1\n").unwrap();
        assert_eq!(find_local_dir(&[file]), expected);
    }
}
