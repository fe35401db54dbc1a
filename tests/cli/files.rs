//! The files the tool reads and writes (issue 9 §3–§5): symlinked manifest folders are
//! followed, loops and non-regular files are errors that name the path and never hang, reads are
//! bounded, diagnostics never echo an API token nor a whole huge line, and atomic writes go
//! through symbolic links instead of replacing them or a device.

use std::io::Read as _;
#[cfg(unix)]
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _, symlink};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use apify_webhooks::emulator::{Emulator, EmulatorConfig, EmulatorError};

use crate::support::{Output, bin};

const MAIN: &str = "version: 1
actors:
  acme/web-scraper:
    - key: main/failed
      eventTypes: [ACTOR.RUN.FAILED]
      requestUrl: https://hooks.example.com/main
";

const PROD: &str = "version: 1
actors:
  acme/price-monitor:
    - key: prod/failed
      eventTypes: [ACTOR.RUN.FAILED]
      requestUrl: https://hooks.example.com/prod/${PROD_HOOK}
    - key: prod/succeeded
      eventTypes: [ACTOR.RUN.SUCCEEDED]
      requestUrl: https://hooks.example.com/prod/ok
";

/// Runs `cmd` to completion, failing the test if it takes longer than `limit` (the defects
/// here are hangs: a FIFO read, `/dev/zero`).
fn run_within(limit: Duration, cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

const LIMIT: Duration = Duration::from_secs(20);

/// The binary in `dir` with `PROD_HOOK` set.
fn in_dir(dir: &Path) -> Command {
    let mut cmd = bin();
    cmd.current_dir(dir).env("PROD_HOOK", "x");
    cmd
}

#[cfg(unix)] // symbolic links, FIFOs, file modes or /dev/zero
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[cfg(unix)] // symbolic links, FIFOs, file modes or /dev/zero
fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path)
        .unwrap()
        .file_type()
        .is_symlink()
}

#[cfg(unix)] // symbolic links, FIFOs, file modes or /dev/zero
/// `webhooks/main.yaml` (1 webhook) and `shared/prod/prod.yaml` (2), with `webhooks/prod` a
/// link to `../shared/prod`.
fn linked_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("webhooks")).unwrap();
    std::fs::create_dir_all(root.join("shared/prod")).unwrap();
    std::fs::write(root.join("webhooks/main.yaml"), MAIN).unwrap();
    std::fs::write(root.join("shared/prod/prod.yaml"), PROD).unwrap();
    symlink("../shared/prod", root.join("webhooks/prod")).unwrap();
    dir
}

#[cfg(unix)] // symbolic links, FIFOs, file modes or /dev/zero
#[test]
fn webhooks_in_a_symlinked_folder_are_planned_not_destroyed() {
    // Applied while `webhooks/prod` was a real folder...
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("webhooks/prod")).unwrap();
    std::fs::write(root.join("webhooks/main.yaml"), MAIN).unwrap();
    std::fs::write(root.join("webhooks/prod/prod.yaml"), PROD).unwrap();
    let out = run_within(
        LIMIT,
        in_dir(root).args(["apply", "--local", "--auto-approve", "webhooks"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // ...then moved to a shared folder and linked back.
    std::fs::create_dir(root.join("shared")).unwrap();
    std::fs::rename(root.join("webhooks/prod"), root.join("shared/prod")).unwrap();
    symlink("../shared/prod", root.join("webhooks/prod")).unwrap();

    let out = run_within(LIMIT, in_dir(root).args(["validate", "webhooks"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("Valid: 3 webhooks in 2 files"),
        "{}",
        out.stdout
    );
    let out = run_within(
        LIMIT,
        in_dir(root).args(["plan", "--local", "--detailed-exitcode", "webhooks"]),
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("No changes."), "{}", out.stdout);
}

#[cfg(unix)] // symbolic links, FIFOs, file modes or /dev/zero
#[test]
fn a_symbolic_link_loop_is_an_error_naming_the_link() {
    let dir = linked_tree();
    let root = dir.path();
    // A link inside the shared folder back to its parent: shared/prod/up/prod/up/...
    symlink("..", root.join("shared/prod/up")).unwrap();
    let out = run_within(LIMIT, in_dir(root).args(["validate", "webhooks"]));
    assert_eq!(out.code, 65, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(
            "error: symbolic link loop: `webhooks/prod/up/prod` leads back to `webhooks/prod`, which contains it"
        ),
        "{}",
        out.stderr
    );
    // A link to the folder it is in.
    std::fs::remove_file(root.join("shared/prod/up")).unwrap();
    symlink(".", root.join("webhooks/again")).unwrap();
    let out = run_within(LIMIT, in_dir(root).args(["validate", "webhooks"]));
    assert_eq!(out.code, 65, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("`webhooks/again` leads back to `webhooks`, which contains it"),
        "{}",
        out.stderr
    );
}

#[cfg(unix)] // symbolic links, FIFOs, file modes or /dev/zero
#[test]
fn a_broken_link_to_a_manifest_folder_is_an_error_not_a_destroy() {
    // `repo/linked -> ../real`, applied while the folder was there...
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("repo")).unwrap();
    std::fs::create_dir_all(root.join("real")).unwrap();
    std::fs::write(root.join("repo/main.yaml"), MAIN).unwrap();
    std::fs::write(
        root.join("real/sym.yaml"),
        MAIN.replace("main/failed", "sym1"),
    )
    .unwrap();
    symlink("../real", root.join("repo/linked")).unwrap();
    let out = run_within(
        LIMIT,
        in_dir(root).args(["apply", "--local", "--auto-approve", "repo"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("2 added"), "{}", out.stdout);
    // ...then the folder moves away: the plan refuses instead of destroying `sym1`.
    std::fs::rename(root.join("real"), root.join("real.moved")).unwrap();
    for command in ["validate", "plan"] {
        let mut cmd = in_dir(root);
        cmd.arg(command);
        if command == "plan" {
            cmd.arg("--local");
        }
        let out = run_within(LIMIT, cmd.arg("repo"));
        assert_eq!(out.code, 65, "{command}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains(
                "error: broken symbolic link `repo/linked` -> `../real`: its target does not exist"
            ),
            "{command}: {}",
            out.stderr
        );
        assert!(!out.stdout.contains("destroyed"), "{}", out.stdout);
    }
    // The same for a link to a file, anywhere below the path, whatever its name; and for a
    // path argument that is itself a broken link.
    std::fs::rename(root.join("real.moved"), root.join("real")).unwrap();
    std::fs::create_dir_all(root.join("repo/deep/er")).unwrap();
    symlink("../../../nothing.yml", root.join("repo/deep/er/notes")).unwrap();
    symlink("real/gone", root.join("arg")).unwrap();
    let out = run_within(LIMIT, in_dir(root).args(["validate", "repo", "arg"]));
    assert_eq!(out.code, 65, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(
            "error: broken symbolic link `repo/deep/er/notes` -> `../../../nothing.yml`: its target does not exist"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "error: broken symbolic link `arg` -> `real/gone`: its target does not exist"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn a_file_reached_twice_is_loaded_once_under_the_first_path() {
    let dir = linked_tree();
    let root = dir.path();
    // Two links to the same folder, a link to a file, and both given again explicitly.
    symlink("../shared/prod", root.join("webhooks/prod-again")).unwrap();
    symlink("main.yaml", root.join("webhooks/alias.yaml")).unwrap();
    let out = run_within(
        LIMIT,
        bin().current_dir(root).args([
            "validate",
            "webhooks",
            "shared",
            "shared/prod/prod.yaml",
            "webhooks/main.yaml",
        ]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("Valid: 3 webhooks in 2 files"),
        "{}",
        out.stdout
    );
    // The unset variable of the shared file is reported once, at the first path (in sorted
    // order) that reached it.
    assert_eq!(
        out.stderr.matches("`PROD_HOOK` is not set").count(),
        1,
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--> webhooks/prod/prod.yaml:"),
        "{}",
        out.stderr
    );
}

#[cfg(unix)] // symbolic links, FIFOs, file modes or /dev/zero
#[test]
fn a_fifo_in_a_manifest_folder_is_refused_without_waiting_for_a_writer() {
    let dir = linked_tree();
    mkfifo(&dir.path().join("webhooks/f.yaml"));
    let out = run_within(LIMIT, in_dir(dir.path()).args(["validate", "webhooks"]));
    assert_eq!(out.code, 65, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("error: `webhooks/f.yaml` is not a regular file (it is a FIFO (named pipe))"),
        "{}",
        out.stderr
    );
}

#[cfg(unix)] // symbolic links, FIFOs, file modes or /dev/zero
#[test]
fn dev_zero_is_refused_without_reading_it() {
    let out = run_within(LIMIT, bin().args(["validate", "/dev/zero"]));
    assert_eq!(out.code, 65, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("error: `/dev/zero` is not a regular file (it is a character device)"),
        "{}",
        out.stderr
    );
}

#[cfg(unix)] // symbolic links, FIFOs, file modes or /dev/zero
#[test]
fn a_manifest_path_naming_a_token_file_never_echoes_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let token = "apify_api_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    std::fs::create_dir(dir.path().join(".apify")).unwrap();
    std::fs::write(
        dir.path().join(".apify/auth.json"),
        format!("{{\n  \"username\": \"me\",\n  \"token\": \"{token}\"\n}}\n"),
    )
    .unwrap();
    symlink(".apify/auth.json", dir.path().join("x.yaml")).unwrap();
    let out = run_within(
        LIMIT,
        bin().current_dir(dir.path()).args(["validate", "x.yaml"]),
    );
    assert_eq!(out.code, 65, "{}", out.stderr);
    assert!(out.stderr.contains("--> x.yaml:3:3"), "{}", out.stderr);
    assert!(!out.stderr.contains("AbCdEf"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("\"apify_api_{}\"", "*".repeat(36))),
        "{}",
        out.stderr
    );
}

#[test]
fn a_huge_line_is_echoed_cut_around_the_caret() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("https://hooks.example.com/{}", "a".repeat(1_100_000));
    std::fs::write(
        dir.path().join("m.yaml"),
        format!(
            "version: 1\nactors: {{acme/web-scraper: [{{key: a, eventTypes: [ACTOR.RUN.FAILED], requestUrl: \"{url}\"}}], bad: 1}}\n"
        ),
    )
    .unwrap();
    let out = run_within(
        LIMIT,
        bin().current_dir(dir.path()).args(["validate", "m.yaml"]),
    );
    assert_eq!(out.code, 65, "{}", out.stderr);
    assert!(
        out.stderr.len() < 4096,
        "{} bytes of stderr",
        out.stderr.len()
    );
    assert!(out.stderr.contains("…"), "{}", out.stderr);
}

/// A manifest with one webhook, in a fresh directory.
fn one_webhook() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), MAIN).unwrap();
    dir
}

#[cfg(unix)] // symbolic links, FIFOs, file modes or /dev/zero
#[test]
fn plan_out_writes_through_a_symlink_with_mode_0600() {
    let dir = one_webhook();
    let root = dir.path();
    std::fs::create_dir(root.join("plans")).unwrap();
    symlink("plans/current.json", root.join("out.json")).unwrap();
    let out = run_within(
        LIMIT,
        in_dir(root).args(["plan", "--local", "m.yaml", "--out", "out.json"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(is_symlink(&root.join("out.json")), "the link was replaced");
    let target = root.join("plans/current.json");
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let out = run_within(
        LIMIT,
        in_dir(root).args(["apply", "--local", "--plan", "out.json"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[cfg(unix)] // symbolic links, FIFOs, file modes or /dev/zero
#[test]
fn plan_out_refuses_a_fifo_and_leaves_it_alone() {
    let dir = one_webhook();
    let root = dir.path();
    mkfifo(&root.join("pipe"));
    let out = run_within(
        LIMIT,
        in_dir(root).args(["plan", "--local", "m.yaml", "--out", "pipe"]),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "error: cannot save the plan: `pipe` is not a regular file (it is a FIFO (named pipe)) (use `--out -`"
        ),
        "{}",
        out.stderr
    );
    assert!(
        std::fs::metadata(root.join("pipe"))
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn plan_out_dash_puts_the_saved_plan_on_stdout_and_the_plan_on_stderr() {
    let dir = one_webhook();
    let root = dir.path();
    let out = run_within(
        LIMIT,
        in_dir(root).args(["plan", "--local", "m.yaml", "--out", "-"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let saved: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not the saved plan ({e}):\n{}", out.stdout));
    assert!(saved.is_object());
    assert!(
        out.stderr
            .contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Saved the plan to standard output."),
        "{}",
        out.stderr
    );
    assert!(!root.join("-").exists(), "no file named `-`");
    std::fs::write(root.join("saved.json"), &out.stdout).unwrap();
    let out = run_within(
        LIMIT,
        in_dir(root).args(["apply", "--local", "--plan", "saved.json"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[cfg(unix)] // symbolic links, FIFOs, file modes or /dev/zero
#[tokio::test]
async fn the_emulator_state_file_is_written_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("keep")).unwrap();
    let link = dir.path().join("state.json");
    symlink("keep/state.json", &link).unwrap();
    let config = || EmulatorConfig {
        state_file: Some(link.clone()),
        ..EmulatorConfig::default()
    };
    let handle = Emulator::start(config()).await.unwrap();
    handle.shutdown().await;
    assert!(is_symlink(&link), "the link was replaced");
    let target = dir.path().join("keep/state.json");
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(saved["version"], 1);
    // And it is read back through the link.
    let handle = Emulator::start(config()).await.unwrap();
    assert_eq!(handle.state_document()["users"], saved["users"]);
    handle.shutdown().await;
}

#[tokio::test]
async fn an_empty_emulator_state_file_is_an_error_not_an_empty_account() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    for text in ["", " \n\n"] {
        std::fs::write(&state, text).unwrap();
        let started = Emulator::start(EmulatorConfig {
            state_file: Some(state.clone()),
            ..EmulatorConfig::default()
        })
        .await;
        let Err(err @ EmulatorError::State { .. }) = started else {
            panic!("{text:?} started: {started:?}");
        };
        assert!(err.to_string().contains(": empty;"), "{err}");
        assert_eq!(std::fs::read_to_string(&state).unwrap(), text, "left alone");
    }
}

#[cfg(unix)] // symbolic links, FIFOs, file modes or /dev/zero
#[test]
fn the_emulator_refuses_a_state_file_that_is_a_fifo_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("state.json");
    mkfifo(&fifo);
    let out = run_within(
        LIMIT,
        bin()
            .args(["emulator", "--port", "0", "--state"])
            .arg(&fifo),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("not a regular file (it is a FIFO (named pipe))"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&fifo.display().to_string()),
        "{}",
        out.stderr
    );
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn errors_escape_the_control_characters_of_the_paths_they_name() {
    // Issue 16 item 6: a path argument with a line feed or a CR must not start a line of its
    // own on stderr (`::warning` is a GitHub workflow command).
    let dir = one_webhook();
    let root = dir.path();
    for args in [
        &[
            "plan",
            "--local",
            "m.yaml",
            "--out",
            "no\n::warning::A/plan.json",
        ][..],
        &["apply", "--local", "--plan", "gone\r::warning::B.json"],
        &["validate", "missing\n::warning::C.yaml"],
    ] {
        let out = run_within(LIMIT, in_dir(root).args(args));
        assert_ne!(out.code, 0, "{args:?}");
        for line in out.stderr.split(['\n', '\r']) {
            assert!(
                !line.trim_start().starts_with("::"),
                "{args:?}: {}",
                out.stderr
            );
        }
        assert!(
            out.stderr.contains("\\n::warning::") || out.stderr.contains("\\r::warning::"),
            "{args:?}: {}",
            out.stderr
        );
    }
    // A saved plan under such a name is applied, and named, escaped.
    let saved = "p\n::warning::D.json";
    let out = run_within(
        LIMIT,
        in_dir(root).args(["plan", "--local", "m.yaml", "--out", saved]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run_within(
        LIMIT,
        in_dir(root).args(["apply", "--local", "--plan", saved]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("Applying the saved plan `p\\n::warning::D.json`: 1 to add"),
        "{}",
        out.stderr
    );
    for text in [&out.stdout, &out.stderr] {
        for line in text.split(['\n', '\r']) {
            assert!(!line.trim_start().starts_with("::"), "{text}");
        }
    }
}
