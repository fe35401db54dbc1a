//! Starting the emulator in-process for a test, and clients pointed at it with retry delays
//! short enough for a test suite.

use std::time::Duration;

use apify_webhooks::emulator::{Emulator, EmulatorConfig, EmulatorHandle, Seed, SeedSource};
use apify_webhooks::platform::{ApiBaseUrl, ApiToken, ApifyClient, ClientConfig, RetryPolicy};

/// The token of `acme` in the default seed.
pub(crate) use apify_webhooks::emulator::DEFAULT_TOKEN as TOKEN;

/// A second user, to check isolation: `other` with its own Actor and webhook.
pub(crate) const OTHER_TOKEN: &str = "apify_api_other_user_token_000000000";

/// A seed with `acme` (as in the default seed) and a second user `other`, plus webhooks of
/// the special kinds the tool must leave alone.
pub(crate) const SEED_YAML: &str = r"
users:
  - {username: acme, token: apify_api_LOCAL_EMULATOR_acme_0000000000, email: ops@acme.example}
  - {username: other, token: apify_api_other_user_token_000000000}
  - {username: apify}
actors:
  - {name: acme/web-scraper, title: Acme Web Scraper}
  - {name: acme/price-monitor}
  - {name: acme/lead-enricher}
  - {name: apify/web-scraper, title: Web Scraper, isPublic: true}
  - {name: other/secret-actor}
tasks:
  - {name: acme/daily-crawl, actor: acme/web-scraper}
  - {name: acme/hourly-prices, actor: acme/price-monitor}
  - {name: other/secret-task, actor: other/secret-actor}
webhooks:
  - user: acme
    actor: acme/web-scraper
    eventTypes: [ACTOR.RUN.FAILED]
    requestUrl: https://hooks.example.com/unmanaged
    description: made in the Console
  - user: acme
    task: acme/daily-crawl
    eventTypes: [ACTOR.RUN.SUCCEEDED]
    actionType: SLACK_MESSAGE
  - user: acme
    condition: {actorRunId: RunRunRunRunRun01}
    isAdHoc: true
    eventTypes: [ACTOR.RUN.SUCCEEDED]
    requestUrl: https://hooks.example.com/adhoc
  - user: acme
    actor: apify/web-scraper
    isApifyIntegration: true
    eventTypes: [ACTOR.RUN.SUCCEEDED]
    requestUrl: https://api.apify.com/v2/acts/x/runs
  - user: other
    actor: other/secret-actor
    eventTypes: [ACTOR.RUN.FAILED]
    requestUrl: https://other.example.com/hook
";

/// The test seed, parsed.
pub(crate) fn seed() -> Seed {
    Seed::from_yaml(SEED_YAML).expect("the test seed parses")
}

/// An emulator config with the test seed.
pub(crate) fn config() -> EmulatorConfig {
    EmulatorConfig {
        seed: SeedSource::Seed(seed()),
        ..EmulatorConfig::default()
    }
}

/// Starts an emulator with `config` on 127.0.0.1:0.
pub(crate) async fn start(config: EmulatorConfig) -> EmulatorHandle {
    Emulator::start(config).await.expect("the emulator starts")
}

/// A retry policy for tests: the official attempt count, delays of a millisecond.
pub(crate) fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(1),
        max_retry_after: Duration::from_millis(5),
        ..RetryPolicy::default()
    }
}

/// A client for `handle` with `token` and [`fast_retry`].
pub(crate) fn client(handle: &EmulatorHandle, token: &str) -> ApifyClient {
    let url = ApiBaseUrl::parse(handle.base_url()).expect("the emulator URL is loopback http");
    let token = ApiToken::new(token).expect("a token");
    let mut config = ClientConfig::new(url, token);
    config.retry = fast_retry();
    ApifyClient::new(config).expect("the client builds")
}

/// A plain HTTP client for raw requests.
pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// An emulator serving from its own runtime threads, so a test can run the real binary against
/// it with blocking calls.
pub(crate) struct Background {
    runtime: tokio::runtime::Runtime,
    handle: Option<EmulatorHandle>,
}

impl Background {
    /// Starts an emulator with `config`.
    pub(crate) fn start(config: EmulatorConfig) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let handle = runtime.block_on(start(config));
        Background {
            runtime,
            handle: Some(handle),
        }
    }

    /// The running emulator.
    pub(crate) fn handle(&self) -> &EmulatorHandle {
        self.handle.as_ref().expect("running")
    }

    /// Its base URL.
    pub(crate) fn url(&self) -> String {
        self.handle().base_url().to_owned()
    }

    /// The whole state document.
    pub(crate) fn state(&self) -> serde_json::Value {
        self.handle().state_document()
    }

    /// The live webhooks of `user` in the state document.
    pub(crate) fn webhooks_of(&self, user: &str) -> Vec<serde_json::Value> {
        let state = self.state();
        let user_id = state["users"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|u| u["username"] == user)
            .and_then(|u| u["id"].as_str())
            .map(str::to_owned);
        state["webhooks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|w| w["userId"].as_str().map(str::to_owned) == user_id)
            .cloned()
            .collect()
    }

    /// The binary, pointed at this emulator as `acme`, with retry delays of a millisecond.
    pub(crate) fn bin(&self) -> std::process::Command {
        let mut cmd = super::bin();
        cmd.env("APIFY_API_BASE_URL", self.url())
            .env("APIFY_TOKEN", TOKEN)
            .env("APIFY_WEBHOOKS_RETRY_BASE_MS", "1");
        cmd
    }

    /// Runs the binary against this emulator in `dir` with `args`, to completion.
    pub(crate) fn run_in(&self, dir: &std::path::Path, args: &[&str]) -> super::Output {
        super::run(self.bin().current_dir(dir).args(args))
    }

    /// Runs `f` on the emulator's runtime.
    pub(crate) fn block_on<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self.runtime.block_on(f)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.runtime.block_on(handle.shutdown());
        }
    }
}
