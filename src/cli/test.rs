//! `apify-webhooks test --key KEY`: fires the platform's test dispatch for managed webhooks,
//! waits (bounded, with progress on stderr) for each outcome and shows the receiver's answer.
//! Exits [`exit::DELIVERY_FAILING`] when a receiver did not accept it. One call into
//! [`crate::delivery`], then rendering.

use std::time::Duration;

use clap::{Args, ValueEnum};

use super::connect::ConnectArgs;
use super::{Context, ManifestArgs, known_secrets};
use crate::delivery::{self, WaitOptions};
use crate::error::Error;
use crate::exit;
use crate::plan::Selector;
use crate::platform::parse_timeout;
use crate::render::delivery as render;
use crate::session::Workspace;

/// Output formats of `test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum TestFormat {
    /// Text.
    #[default]
    Text,
    /// A versioned JSON document.
    Json,
}

/// Arguments of `test`.
#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    #[command(flatten)]
    manifests: ManifestArgs,
    /// The manifest key of the webhook to test (repeat for several), or its address in a plan
    /// (`failed-to-oncall["acme/price-monitor"]`, for one webhook of a pattern).
    #[arg(long, required = true, value_name = "KEY")]
    key: Vec<String>,
    /// For a pattern's key: the Actor or task (`username/name` or ID) whose webhook to test.
    #[arg(long, value_name = "NAME")]
    target: Option<String>,
    /// The longest wait for each outcome (`10s`, `1m`).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_timeout)]
    wait: Duration,
    /// How to print the outcome.
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    format: TestFormat,
    #[command(flatten)]
    connect: ConnectArgs,
}

/// Runs `test`.
pub(crate) fn run(args: &TestArgs, ctx: &Context) -> Result<u8, Error> {
    let console = &ctx.console;
    let workspace = Workspace::load(&args.manifests.paths, args.manifests.owner.as_deref())?;
    let secrets = known_secrets(&workspace);
    let selectors = args
        .key
        .iter()
        .map(|k| Selector::parse(k, args.target.as_deref()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Usage)?;
    let wait = WaitOptions {
        timeout: args.wait,
        ..WaitOptions::default()
    };
    let outcomes = super::block_on(async {
        let connection = args.connect.connect(&workspace.paths).await?;
        if connection.is_local() {
            console.info(&format!("Using {}.", connection.description));
        }
        let progress = |p: delivery::TestProgress<'_>| console.info(&render::test_progress(&p));
        let outcomes = delivery::test(
            &connection.client,
            &workspace.owner,
            &selectors,
            &secrets,
            wait,
            &progress,
        )
        .await;
        connection.close().await;
        outcomes
    })?;
    console.print(&match args.format {
        TestFormat::Text => render::test_text(&outcomes),
        TestFormat::Json => render::test_json(&outcomes),
    });
    Ok(if outcomes.iter().all(delivery::TestOutcome::delivered) {
        exit::SUCCESS
    } else {
        exit::DELIVERY_FAILING
    })
}
