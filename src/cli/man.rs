//! `apify-webhooks man [COMMAND]` (hidden): prints a manual page, in roff, generated from the
//! clap definition (`clap_mangen`): `apify-webhooks(1)` for the tool, `apify-webhooks-plan(1)` and
//! so on for each command, as git does. Packagers install them with
//! `apify-webhooks man > apify-webhooks.1`; `man -l apify-webhooks.1` reads one.

use clap::{Args, CommandFactory};

use super::{Cli, Context};
use crate::error::Error;
use crate::exit;

/// Arguments of `man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// The command whose page to print (e.g. `plan`) [default: the tool's own page]
    command: Option<String>,
}

/// Prints the page on stdout.
pub(crate) fn run(args: &ManArgs, ctx: &Context) -> Result<u8, Error> {
    let mut top = Cli::command();
    top.build();
    let command = match &args.command {
        None => top,
        Some(name) => {
            // clap's generated `help` command has no page worth installing.
            let visible = || {
                top.get_subcommands()
                    .filter(|s| !s.is_hide_set() && s.get_name() != "help")
            };
            let Some(sub) = visible().find(|s| s.get_name() == name) else {
                let names: Vec<&str> = visible().map(clap::Command::get_name).collect();
                return Err(Error::Usage(format!(
                    "no manual page for `{name}`; the commands are: {}",
                    names.join(", ")
                )));
            };
            let page_name = format!("apify-webhooks-{name}");
            sub.clone()
                .name(page_name.clone())
                .bin_name(format!("apify-webhooks {name}"))
                .version(env!("CARGO_PKG_VERSION"))
                .display_name(page_name)
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut out)
        .map_err(|e| Error::io("cannot render the manual page", e))?;
    ctx.console.print(&String::from_utf8_lossy(&out));
    Ok(exit::SUCCESS)
}
