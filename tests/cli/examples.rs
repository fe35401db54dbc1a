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
