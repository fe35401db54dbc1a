//! `apify-webhooks status`: the delivery health of every managed webhook (last dispatch,
//! total dispatches, recent failure rate) as text, JSON or Markdown. Exits
//! [`exit::DELIVERY_FAILING`] when some are failing, so a scheduled pipeline can alert. One
//! call into [`crate::delivery`], then rendering.

use clap::{Args, ValueEnum};

use super::connect::ConnectArgs;
use super::{Context, ManifestArgs, known_secrets};
use crate::delivery;
use crate::error::Error;
use crate::exit;
use crate::plan::Selector;
use crate::render::delivery as render;
use crate::session::Workspace;

/// Output formats of the status report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum StatusFormat {
    /// Text, failing webhooks highlighted.
    #[default]
    Text,
    /// A versioned JSON document.
    Json,
    /// A Markdown table.
    Markdown,
}

/// Arguments of `status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    manifests: ManifestArgs,
    /// Only the webhook with this key (repeat for several), or its address in a plan
    /// (`failed-to-oncall["acme/price-monitor"]`, one webhook of a pattern).
    #[arg(long, value_name = "KEY")]
    key: Vec<String>,
    /// With `--key`: only its webhook on this Actor or task (`username/name` or ID).
    #[arg(long, value_name = "NAME", requires = "key")]
    target: Option<String>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
    format: StatusFormat,
    #[command(flatten)]
    connect: ConnectArgs,
}

/// Runs `status`.
pub(crate) fn run(args: &StatusArgs, ctx: &Context) -> Result<u8, Error> {
    let console = &ctx.console;
    let workspace = Workspace::load(&args.manifests.paths, args.manifests.owner.as_deref())?;
    let secrets = known_secrets(&workspace);
    let selectors = args
        .key
        .iter()
        .map(|k| Selector::parse(k, args.target.as_deref()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Usage)?;
    let declared: Vec<String> = workspace
        .manifests
        .webhooks
        .iter()
        .map(|w| w.key.clone())
        .collect();
    let report = super::block_on(async {
        let connection = args.connect.connect(&workspace.paths).await?;
        if connection.is_local() {
            console.info(&format!("Using {}.", connection.description));
        }
        let report =
            delivery::status(&connection.client, &workspace.owner, &declared, &secrets).await;
        connection.close().await;
        report.map(|r| r.select(&selectors))
    })?;
    let rendered = match args.format {
        StatusFormat::Text if console.is_quiet() => render::status_summary_line(&report),
        StatusFormat::Text => render::status_text(&report),
        StatusFormat::Json => render::status_json(&report),
        StatusFormat::Markdown => render::status_markdown(&report),
    };
    console.print(&rendered);
    Ok(if report.any_failing() {
        exit::DELIVERY_FAILING
    } else {
        exit::SUCCESS
    })
}
