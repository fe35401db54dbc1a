//! Every manifest in `examples/` is valid, carries the schema comment for editors, and the
//! directory as a whole validates.

use crate::support::{bin, root, run};

#[test]
fn every_example_validates_and_points_editors_at_the_schema() {
    let dir = root().join("examples");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            continue;
        }
        count += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schemas/manifest.schema.json\n"),
            "{} must start with the yaml-language-server schema comment",
            path.display()
        );
        let out = run(bin().arg("validate").arg(&path));
        assert_eq!(out.code, 0, "{}: {}", path.display(), out.stderr);
        assert!(
            !out.stderr.contains("error"),
            "{}: {}",
            path.display(),
            out.stderr
        );
    }
    assert!(count >= 3, "examples/ holds at least three manifests");
    let all = run(bin().arg("validate").arg(&dir));
    assert_eq!(all.code, 0, "{}", all.stderr);
}

/// The README's main job: the examples plan, apply and converge against the embedded emulator
/// (`--local`), in a fresh directory, with the variables `examples/secrets.yaml` reads.
#[test]
fn the_examples_plan_apply_and_converge_locally() {
    let dir = tempfile::tempdir().unwrap();
    let examples = dir.path().join("examples");
    std::fs::create_dir(&examples).unwrap();
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            continue; // examples/gitops holds pipelines, not manifests
        }
        std::fs::copy(&path, examples.join(path.file_name().unwrap())).unwrap();
    }
    let local = |args: &[&str]| {
        run(bin()
            .current_dir(dir.path())
            .env("PAGERDUTY_ROUTING_KEY", "k")
            .env("SLACK_WEBHOOK_PATH", "T/B/x")
            .env("ARCHIVE_API_TOKEN", "t")
            .args(args))
    };
    let plan = local(&["plan", "--local", "--detailed-exitcode", "examples/"]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    assert_eq!(
        plan.stderr.lines().next(),
        Some("Using the local emulator (state in examples/.apify-webhooks/state.json)."),
        "--local says first where its state lives"
    );
    assert!(
        plan.stdout
            .contains("Plan: 13 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    let apply = local(&["apply", "--local", "--auto-approve", "examples/"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert!(
        apply
            .stdout
            .contains("Apply complete! Resources: 13 added, 0 changed, 0 destroyed.")
    );
    let again = local(&["plan", "--local", "--detailed-exitcode", "examples/"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert!(
        again
            .stdout
            .contains("No changes. Your webhooks match the configuration.")
    );
    let state =
        std::fs::read_to_string(dir.path().join("examples/.apify-webhooks/state.json")).unwrap();
    assert!(state.contains("[apify-webhooks owner=acme-prod key=web-scraper/failed secrets=none]"));
    let ignore =
        std::fs::read_to_string(dir.path().join("examples/.apify-webhooks/.gitignore")).unwrap();
    assert!(
        ignore.lines().any(|l| l == "*"),
        "the local state is kept out of git"
    );
}

/// `scripts/demo.sh` with a stand-in `cargo` first on `PATH`, which records its arguments and
/// writes a line to stderr as cargo's progress does; `None` when the binary is not where the
/// demo looks for it (another `CARGO_TARGET_DIR`).
fn demo_with_recording_cargo() -> Option<(crate::support::Output, String)> {
    let bin_path = std::path::PathBuf::from(env!("CARGO_BIN_EXE_apify-webhooks"));
    if bin_path != root().join("target/debug/apify-webhooks") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("cargo");
    let record = dir.path().join("args");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\necho '   Compiling apify-webhooks (stand-in)' >&2\n",
            record.display()
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&fake).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&fake, perms).unwrap();
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = run(std::process::Command::new("bash")
        .arg(root().join("scripts/demo.sh"))
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("APIFY_TOKEN")
        .env_remove("APIFY_API_BASE_URL"));
    let args = std::fs::read_to_string(&record).unwrap_or_default();
    Some((out, args))
}

#[test]
fn the_demo_shows_cargos_progress_builds_locked_and_converges() {
    let Some((out, args)) = demo_with_recording_cargo() else {
        eprintln!("skipped: the binary is not in target/debug, where the demo looks");
        return;
    };
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(args.first(), Some(&"build"), "{args:?}");
    assert!(args.contains(&"--locked"), "{args:?}");
    assert!(
        !args.iter().any(|a| *a == "--quiet" || *a == "-q"),
        "the build must show its progress: {args:?}"
    );
    assert!(
        out.stderr
            .contains("   Compiling apify-webhooks (stand-in)"),
        "cargo's progress reaches the user: {}",
        out.stderr
    );
    assert!(
        out.stdout
            .contains("No changes. Your webhooks match the configuration."),
        "{}",
        out.stdout
    );
}

/// The documentation's text: the README (the front page) and the guide in `docs/`, where the
/// pipelines walk-through lives.
fn readme() -> String {
    let mut pages = vec![root().join("README.md")];
    let mut guide: Vec<_> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    guide.sort();
    pages.extend(guide);
    pages
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `sh` code block between `anchor` and `end` in the README, its indentation removed.
fn readme_block_between(anchor: &str, end: &str) -> String {
    let text = readme();
    let from = text
        .find(anchor)
        .unwrap_or_else(|| panic!("`{anchor}` in README"));
    let rest = &text[from..];
    let rest = &rest[..rest
        .find(end)
        .unwrap_or_else(|| panic!("`{end}` in README"))];
    let open = rest
        .find("```sh\n")
        .unwrap_or_else(|| panic!("a sh block in README after `{anchor}`"))
        + "```sh\n".len();
    let body = &rest[open..];
    let body = &body[..body.find("```").expect("its end")];
    body.lines()
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The files the example pipelines write in the checkout: `PLAN_FILE` and `COMMENT_FILE`
/// values, and what the GitLab jobs redirect into.
fn files_the_pipelines_write() -> std::collections::BTreeSet<String> {
    let mut files = std::collections::BTreeSet::new();
    for path in pipeline_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            let line = line.trim();
            for var in ["PLAN_FILE: ", "COMMENT_FILE: "] {
                if let Some(value) = line.strip_prefix(var) {
                    files.insert(value.trim().to_owned());
                }
            }
            for (at, _) in line.match_indices(" >") {
                let target: String = line[at + 2..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
                    .collect();
                let extension = std::path::Path::new(&target).extension();
                if extension.is_some_and(|e| e == "md" || e == "json") {
                    files.insert(target);
                }
            }
        }
    }
    files
}

/// The example pipelines' workflow and CI files.
fn pipeline_files() -> Vec<std::path::PathBuf> {
    let gitops = root().join("examples/gitops");
    let mut files: Vec<_> = std::fs::read_dir(gitops.join("github/.github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.push(gitops.join("gitlab/.gitlab-ci.yml"));
    files.sort();
    files
}

#[test]
fn the_readme_gitops_start_copies_the_minimal_example_with_a_schema_that_resolves() {
    // Issue 16 item 19: `examples/minimal.yaml` copied into `webhooks/` pointed at a schema
    // path that does not exist there, and the pipelines' files were not kept out of git.
    let script = readme_block_between(
        "1. Put your manifests in `webhooks/`",
        "2. Create an Apify API token",
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("examples")).unwrap();
    std::fs::copy(
        root().join("examples/minimal.yaml"),
        dir.path().join("examples/minimal.yaml"),
    )
    .unwrap();
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_apify-webhooks"))
        .parent()
        .unwrap()
        .to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = run(std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env("PATH", path)
        .env("NO_COLOR", "1"));
    assert_eq!(out.code, 0, "{script}\n{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.starts_with("Valid: 1 webhook"), "{}", out.stdout);

    // The copied manifest's schema comment names a file that is there, and is the schema.
    let copied = std::fs::read_to_string(dir.path().join("webhooks/minimal.yaml")).unwrap();
    let first = copied.lines().next().unwrap();
    let schema = first
        .strip_prefix("# yaml-language-server: $schema=")
        .unwrap_or_else(|| panic!("{first}"));
    let schema_file = dir.path().join("webhooks").join(schema);
    assert_eq!(
        std::fs::read_to_string(&schema_file)
            .unwrap_or_else(|e| panic!("{}: {e}", schema_file.display())),
        std::fs::read_to_string(root().join("schemas/manifest.schema.json")).unwrap()
    );
    // Nothing else changed.
    let original = std::fs::read_to_string(root().join("examples/minimal.yaml")).unwrap();
    assert_eq!(
        copied.split_once('\n').unwrap().1,
        original.split_once('\n').unwrap().1
    );

    // Every file the pipelines write in the checkout is ignored, and each pipeline says so.
    let ignored = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
    let written = files_the_pipelines_write();
    assert!(
        written.contains("plan.json") && written.contains("status.md"),
        "{written:?}"
    );
    for file in &written {
        assert!(ignored.lines().any(|l| l == file), "{file} in {ignored}");
    }
    for path in pipeline_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(".gitignore"), "{}", path.display());
    }
}

#[test]
fn every_cargo_install_in_the_readme_is_locked() {
    let text = readme();
    let installs: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("cargo install"))
        .collect();
    assert!(!installs.is_empty());
    for line in installs {
        for command in line.split("cargo install").skip(1) {
            assert!(
                command.trim_start().starts_with("--locked"),
                "the versions in Cargo.lock, as tested: {line}"
            );
        }
    }
}
