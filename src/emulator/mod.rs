//! A local Apify API v2 emulator for tests, demos, benchmarks and `--local`. Knows nothing of
//! manifests.
//!
//! [`Emulator::start`] serves it on loopback (`127.0.0.1:0` by default) on the current tokio
//! runtime and returns an [`EmulatorHandle`] with its address, the request log, runtime fault
//! control and graceful shutdown. `apify-webhooks emulator` runs the same server as a process.
//! State comes from a seed ([`Seed`]) or a state file, which is rewritten atomically after
//! every change. [`DeletedKeys`] picks what a create answers when its idempotency key belonged
//! to a webhook deleted since, which the real platform leaves undocumented.
//!
//! It delivers webhooks for real (`deliver`): the test endpoint and simulated runs and builds
//! (`POST /_emulator/runs`, or [`fire`] from another process) send the rendered requests to
//! loopback receivers, with retries, and record the dispatches.

mod api;
mod deliver;
mod envelope_io;
mod faults;
mod log;
mod remote;
mod seed;
mod server;
mod state;
mod validate;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use deliver::{DeliveryConfig, MAX_RECORDED_BODY, RunKind, RunRequest, SERVE_EXTERNAL_ADVICE};
pub use faults::{Faults, InjectedFault};
pub use log::LogEntry;
pub use remote::{CallOutcome, FireError, FireProgress, FiredDispatch, FiredRun, fire};
pub use seed::{
    DEFAULT_SEED_YAML, DEFAULT_TOKEN, Seed, SeedActor, SeedDispatch, SeedError, SeedTask, SeedUser,
    SeedWebhook,
};
pub use server::ADMIN_PREFIX;
pub use state::{ConditionRec, Stats};

use api::ApiError;
use faults::FaultEngine;
use log::RequestLog;
use state::State;

/// Where the initial state comes from (when there is no state file yet).
#[derive(Debug, Clone, Default)]
pub enum SeedSource {
    /// The seed shipped with the binary ([`DEFAULT_SEED_YAML`]).
    #[default]
    Default,
    /// A YAML or JSON seed file.
    File(PathBuf),
    /// A seed built in code.
    Seed(Seed),
}

/// What a create answers when its `idempotencyKey` belonged to a webhook that has been deleted
/// since. Whether the platform releases such a key is not documented (the API reference says
/// nothing of it), so the emulator can do either, and the tool must converge with both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeletedKeys {
    /// The key goes with its webhook: a create with it makes a new webhook.
    #[default]
    Forget,
    /// The key keeps answering: a create with it gets the deleted webhook's record (201), a
    /// webhook that no longer exists. Kept in memory: a restart forgets deleted webhooks.
    Replay,
}

impl fmt::Display for DeletedKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeletedKeys::Forget => "forget",
            DeletedKeys::Replay => "replay",
        })
    }
}

impl FromStr for DeletedKeys {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "forget" => Ok(DeletedKeys::Forget),
            "replay" => Ok(DeletedKeys::Replay),
            other => Err(format!("expected `forget` or `replay`, not {other:?}")),
        }
    }
}

/// How to run the emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The address to listen on; must be loopback. Port 0 picks a free port.
    pub listen: SocketAddr,
    /// The initial state when `state_file` does not exist yet.
    pub seed: SeedSource,
    /// Persist the state to this JSON file: loaded at start when it exists (the seed is then
    /// ignored), rewritten atomically after every change.
    pub state_file: Option<PathBuf>,
    /// Faults to inject into `/v2` requests.
    pub faults: Faults,
    /// Whether webhook list items carry `description`, as the live API does (apify-docs#1538).
    pub list_descriptions: bool,
    /// The webhooks-per-user cap (403 `too-many-webhooks` beyond it).
    pub max_webhooks_per_user: usize,
    /// The request log keeps this many most recent entries.
    pub log_capacity: usize,
    /// What a create with the idempotency key of a deleted webhook answers.
    pub deleted_keys: DeletedKeys,
    /// How webhooks are delivered (test dispatches and simulated runs).
    pub delivery: DeliveryConfig,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            seed: SeedSource::Default,
            state_file: None,
            faults: Faults::default(),
            list_descriptions: true,
            max_webhooks_per_user: crate::webhook::MAX_WEBHOOKS_PER_USER,
            log_capacity: 100_000,
            deleted_keys: DeletedKeys::default(),
            delivery: DeliveryConfig::default(),
        }
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The listen address is not a loopback address.
    #[error("the emulator listens on loopback only, not on {0}")]
    NotLoopback(SocketAddr),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The seed is unreadable or invalid.
    #[error("invalid seed: {0}")]
    Seed(#[from] SeedError),
    /// The state file is unreadable, invalid or cannot be written.
    #[error("state file {path}: {message}")]
    State {
        /// The state file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The fault settings are invalid.
    #[error("invalid faults: {0}")]
    Faults(String),
}

/// What every request handler shares.
pub(crate) struct Shared {
    state: Mutex<State>,
    faults: Mutex<FaultEngine>,
    log: Mutex<RequestLog>,
    state_file: Option<PathBuf>,
    base_url: String,
    list_descriptions: bool,
    max_webhooks_per_user: usize,
    /// What a create with a deleted webhook's idempotency key answers; changeable at run time.
    deleted_keys: Mutex<DeletedKeys>,
    /// `/v2` requests being handled now.
    in_flight: std::sync::atomic::AtomicUsize,
    /// Delivers dispatches in the background.
    deliverer: deliver::Deliverer,
}

/// Counts a request as in flight until dropped.
pub(crate) struct InFlight<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Shared {
    /// Marks a request in flight; returns the guard and how many are in flight with it.
    pub(crate) fn enter(&self) -> (InFlight<'_>, usize) {
        let now = self
            .in_flight
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        (InFlight(&self.in_flight), now)
    }

    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_faults(&self) -> MutexGuard<'_, FaultEngine> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn deleted_keys(&self) -> DeletedKeys {
        *self
            .deleted_keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn set_deleted_keys(&self, mode: DeletedKeys) {
        *self
            .deleted_keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = mode;
    }

    fn max_page_size(&self) -> Option<usize> {
        self.lock_faults().max_page_size()
    }

    fn log(&self, entry: LogEntry) {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry);
    }

    fn log_entries(&self) -> Vec<LogEntry> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries()
    }

    fn clear_log(&self) {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Writes the state file, if there is one. Called with the state locked, so writes happen
    /// in the order of the changes.
    fn save(&self, state: &State) -> Result<(), ApiError> {
        let Some(path) = &self.state_file else {
            return Ok(());
        };
        persist(path, state).map_err(|reason| {
            let message = format!("cannot save the state to {}: {reason}", path.display());
            tracing::error!("emulator: {message}");
            ApiError::new(
                500,
                "internal-server-error",
                format!("The emulator could not save its state: {message}"),
            )
        })
    }
}

fn persist(path: &std::path::Path, state: &State) -> Result<(), String> {
    let mut bytes =
        serde_json::to_vec_pretty(&state.to_document()).map_err(|err| err.to_string())?;
    bytes.push(b'\n');
    state::write_atomically(path, &bytes)
}

/// The emulator.
pub struct Emulator;

impl Emulator {
    /// Loads the state, binds the address and serves on the current tokio runtime until the
    /// handle is shut down or dropped.
    pub async fn start(config: EmulatorConfig) -> Result<EmulatorHandle, EmulatorError> {
        if !config.listen.ip().is_loopback() {
            return Err(EmulatorError::NotLoopback(config.listen));
        }
        config.faults.validate().map_err(EmulatorError::Faults)?;
        let state = load_state(&config)?;
        if let Some(path) = &config.state_file {
            persist(path, &state).map_err(|message| EmulatorError::State {
                path: path.clone(),
                message,
            })?;
        }
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| EmulatorError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                addr: config.listen,
                source,
            })?;
        let base_url = format!("http://{addr}");
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            faults: Mutex::new(FaultEngine::new(config.faults)),
            log: Mutex::new(RequestLog::new(config.log_capacity)),
            state_file: config.state_file,
            base_url: base_url.clone(),
            list_descriptions: config.list_descriptions,
            max_webhooks_per_user: config.max_webhooks_per_user,
            deleted_keys: Mutex::new(config.deleted_keys),
            in_flight: std::sync::atomic::AtomicUsize::new(0),
            deliverer: deliver::Deliverer::new(config.delivery),
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(server::serve(listener, Arc::clone(&shared), stopped));
        tracing::debug!("emulator listening on {base_url}");
        Ok(EmulatorHandle {
            addr,
            base_url,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// How many objects a seed holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeedCounts {
    /// Users.
    pub users: usize,
    /// Actors.
    pub actors: usize,
    /// Tasks.
    pub tasks: usize,
    /// Webhooks.
    pub webhooks: usize,
    /// Dispatches.
    pub dispatches: usize,
}

/// Checks the seed file `seed` and writes the state it describes to `state_file` (atomically,
/// readable by its owner only), replacing what was there: an emulator started on that state
/// file then starts from the seed. What the seed holds is returned.
pub fn write_seeded_state(
    seed: &std::path::Path,
    state_file: &std::path::Path,
) -> Result<SeedCounts, EmulatorError> {
    let state = Seed::from_file(seed)?.resolve()?;
    persist(state_file, &state).map_err(|message| EmulatorError::State {
        path: state_file.to_path_buf(),
        message,
    })?;
    Ok(SeedCounts {
        users: state.users.len(),
        actors: state.actors.len(),
        tasks: state.tasks.len(),
        webhooks: state.webhooks.len(),
        dispatches: state.dispatches.len(),
    })
}

fn load_state(config: &EmulatorConfig) -> Result<State, EmulatorError> {
    if let Some(path) = &config.state_file {
        let state_error = |message: String| EmulatorError::State {
            path: path.clone(),
            message,
        };
        if let Some(text) = state::read_state_file(path).map_err(state_error)? {
            let seed = Seed::from_yaml(&text).map_err(|err| state_error(err.0))?;
            return seed.resolve().map_err(|err| state_error(err.0));
        }
    }
    let seed = match &config.seed {
        SeedSource::Default => Seed::from_yaml(DEFAULT_SEED_YAML)?,
        SeedSource::File(path) => Seed::from_file(path)?,
        SeedSource::Seed(seed) => seed.clone(),
    };
    Ok(seed.resolve()?)
}

/// A running emulator. Dropping it stops the server (without waiting); [`shutdown`] waits.
///
/// [`shutdown`]: EmulatorHandle::shutdown
pub struct EmulatorHandle {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl EmulatorHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: the API base URL for clients (they append `/v2`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The request log, oldest first (admin requests are not in it).
    pub fn request_log(&self) -> Vec<LogEntry> {
        self.shared.log_entries()
    }

    /// Empties the request log.
    pub fn clear_request_log(&self) {
        self.shared.clear_log();
    }

    /// The current fault settings (with what is left of the script).
    pub fn faults(&self) -> Faults {
        self.shared.lock_faults().faults().clone()
    }

    /// Replaces the fault settings; the RNG restarts from their seed.
    pub fn set_faults(&self, faults: Faults) -> Result<(), EmulatorError> {
        faults.validate().map_err(EmulatorError::Faults)?;
        self.shared.lock_faults().set(faults);
        Ok(())
    }

    /// Queues faults for the next `/v2` requests, one each, in order.
    pub fn inject(&self, faults: impl IntoIterator<Item = InjectedFault>) {
        self.shared.lock_faults().inject(faults);
    }

    /// What a create with a deleted webhook's idempotency key answers now.
    pub fn deleted_keys(&self) -> DeletedKeys {
        self.shared.deleted_keys()
    }

    /// Changes what a create with a deleted webhook's idempotency key answers (for webhooks
    /// deleted from now on, and for those deleted in `replay` mode before).
    pub fn set_deleted_keys(&self, mode: DeletedKeys) {
        self.shared.set_deleted_keys(mode);
    }

    /// Waits until no delivery is running, at most `timeout`; whether none is.
    pub async fn wait_for_deliveries(&self, timeout: std::time::Duration) -> bool {
        deliver::wait_idle(&self.shared, timeout).await
    }

    /// The whole state as a seed document (what the state file holds).
    pub fn state_document(&self) -> Value {
        self.shared.lock_state().to_document()
    }

    /// The token of a seeded user, by username.
    pub fn token_of(&self, username: &str) -> Option<String> {
        let state = self.shared.lock_state();
        state
            .users
            .iter()
            .find(|u| u.username == username)
            .and_then(|u| u.token.clone())
    }

    /// Stops accepting connections and waits for requests in flight (at most five seconds).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
