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

/// The name the scripts complete.
const BIN: &str = "apify-webhooks";

/// Prints the completion script on stdout.
pub(crate) fn run(args: &CompletionsArgs, ctx: &Context) -> Result<u8, Error> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, BIN, &mut script);
    let script = String::from_utf8(script).map_err(|e| {
        Error::io(
            "cannot generate the completion script",
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })?;
    let script = match args.shell {
        Shell::Bash => fix_bash_states(&script),
        _ => script,
    };
    ctx.console.print(&script);
    Ok(exit::SUCCESS)
}

/// Works around clap-rs/clap#6421 (`clap_complete` 4.6.12): for a binary name with a hyphen, the
/// bash script's word loop names the state of `plan` `apify__webhooks__subcmd__plan` (hyphen
/// turned into `__`) while the `case` that offers options matches
/// `apify__subcmd__webhooks__subcmd__plan` (hyphen turned into the subcommand separator), so
/// only command names ever completed. This renames the latter to the former; once upstream is
/// fixed the wrong spelling no longer occurs and this changes nothing. (The zsh, fish, elvish
/// and PowerShell scripts name their states consistently.)
fn fix_bash_states(script: &str) -> String {
    const SEP: &str = "__subcmd__";
    let wrong = format!("{}{SEP}", BIN.replace('-', SEP));
    let right = format!("{}{SEP}", BIN.replace('-', "__"));
    script.replace(&wrong, &right)
}
