//! `apify-webhooks emulator`: serves the local Apify API emulator on loopback until SIGINT or
//! SIGTERM, printing one line with its address (`Listening on http://127.0.0.1:PORT`) to
//! stdout first, so a script or test can read where it is.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use clap::Args;

use super::Context;
use crate::emulator::{DeletedKeys, Emulator, EmulatorConfig, EmulatorError, Faults, SeedSource};
use crate::error::Error;
use crate::exit;

/// Arguments of `emulator`.
#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
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
}

impl EmulatorArgs {
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
            ..EmulatorConfig::default()
        }
    }
}

/// Serves until SIGINT or SIGTERM.
pub(crate) fn run(args: &EmulatorArgs, ctx: &Context) -> Result<u8, Error> {
    super::block_on(async {
        let handle = Emulator::start(args.config())
            .await
            .map_err(|err| match err {
                EmulatorError::NotLoopback(_) | EmulatorError::Faults(_) => {
                    Error::Usage(err.to_string())
                }
                other => Error::io("cannot start the emulator", std::io::Error::other(other)),
            })?;
        ctx.console
            .print(&format!("Listening on {}\n", handle.base_url()));
        super::stop_signal().await;
        tracing::info!("emulator stopping");
        handle.shutdown().await;
        Ok(exit::SUCCESS)
    })
}
