//! `apify-webhooks schema`: prints the manifest JSON schema.

use clap::Args;

use super::Context;
use crate::error::Error;
use crate::exit;
use crate::manifest;

/// Arguments of `schema`.
#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {}

/// Prints the committed schema, which is also what loading enforces.
#[allow(
    clippy::unnecessary_wraps,
    reason = "every subcommand has the same signature"
)]
pub(crate) fn run(_args: &SchemaArgs, ctx: &Context) -> Result<u8, Error> {
    ctx.console.print(manifest::SCHEMA_JSON);
    Ok(exit::SUCCESS)
}
