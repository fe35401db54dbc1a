//! `apify-webhooks completions SHELL`: prints a completion script for bash, zsh, fish, elvish or
//! PowerShell, generated from the same clap definition that parses the command line, so it
//! never drifts from the real options.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Context};
use crate::error::Error;
use crate::exit;

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete in (load it with e.g. `source <(apify-webhooks completions bash)`).
    #[arg(value_enum)]
    shell: Shell,
}

/// Prints the completion script on stdout.
pub(crate) fn run(args: &CompletionsArgs, ctx: &Context) -> Result<u8, Error> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "apify-webhooks", &mut script);
    let script = String::from_utf8(script).map_err(|e| {
        Error::io(
            "cannot generate the completion script",
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })?;
    ctx.console.print(&script);
    Ok(exit::SUCCESS)
}
