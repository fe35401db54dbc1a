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

/// The environment variable that marks the processes a test starts, so that it can look for
/// any left running afterwards ([`marked_processes`]).
pub const LEAK_MARKER_ENV: &str = "APIFY_WEBHOOKS_TEST_LEAK_MARKER";

/// A marker no other test uses.
pub fn leak_marker(test: &str) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("{test}-{}-{n}", std::process::id())
}

/// The live processes (not zombies) whose environment holds `LEAK_MARKER_ENV=marker`: what a
/// command started with the marker left running. `None` where `/proc` cannot tell (not Linux).
pub fn marked_processes(marker: &str) -> Option<Vec<u32>> {
    let entries = std::fs::read_dir("/proc").ok()?;
    let needle = format!("{LEAK_MARKER_ENV}={marker}");
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let marked = environ
            .split(|b| *b == 0)
            .any(|var| var == needle.as_bytes());
        let zombie = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|stat| {
                stat.rsplit_once(')')
                    .map(|(_, rest)| rest.trim_start().starts_with('Z'))
            })
            .unwrap_or(false);
        if marked && !zombie {
            found.push(pid);
        }
    }
    Some(found)
}

/// Waits (at most `bound`, polling) until no process carries `marker`; returns those still
/// running then, after killing them so that a failing test leaks nothing either.
pub fn leaked_after(marker: &str, bound: std::time::Duration) -> Vec<u32> {
    let deadline = std::time::Instant::now() + bound;
    loop {
        let left = marked_processes(marker).unwrap_or_default();
        if left.is_empty() || std::time::Instant::now() >= deadline {
            for pid in &left {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
            return left;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
