//! Helpers shared by the integration tests: running the real binary with a clean environment,
//! the emulator in-process (`emulator`), and the official API spec reader (`openapi`).

pub(crate) mod emulator;
pub(crate) mod openapi;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether this run is on CI, where every test must run rather than skip: `CI` set to anything
/// but empty, `0` or `false` (GitHub Actions and most others set `CI=true`).
pub fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `apify-webhooks` binary with an environment that cannot leak the developer's settings:
/// no token, owner or API URL, no colour, and a HOME without an apify-cli login.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_apify-webhooks"));
    for var in [
        "APIFY_TOKEN",
        "APIFY_WEBHOOKS_OWNER",
        "APIFY_API_BASE_URL",
        "CLICOLOR_FORCE",
        "APIFY_WEBHOOKS_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1")
        .env("HOME", root().join("tests/fixtures/home"));
    cmd
}

/// What a finished command printed, and how it exited.
#[derive(Debug)]
pub struct Output {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `cmd` to completion.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the binary with `args` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    run(bin().current_dir(dir).args(args))
}
