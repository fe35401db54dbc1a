//! The everyday loop as a person meets it: a refusal said once, `-q`, an apply that shows each
//! operation once, `--local`'s state found from the manifests and reset on demand, and options
//! only where they mean something.

use apify_webhooks::emulator::Faults;

use crate::plan::{saved_scenario_plan, scenario, scenario_cmd};
use crate::support::{bin, run, run_in};

#[test]
fn a_refusal_is_said_once_on_stderr_and_not_in_the_plan() {
    let server = scenario();
    let dir = tempfile::tempdir().unwrap();
    // No webhooks declared while owned ones exist: the empty-manifests rule trips.
    std::fs::write(dir.path().join("empty.yaml"), "version: 1\nowner: team\n").unwrap();
    let out = run(scenario_cmd(&server).arg("plan").arg(dir.path()));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(!out.stdout.contains("refused"), "{}", out.stdout);
    assert!(!out.stdout.contains("Error"), "{}", out.stdout);
    assert_eq!(out.stderr.matches("refused").count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "error: the plan is refused; nothing will change:\n  - The manifests declare no webhooks, but"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn quiet_prints_only_the_summary_line() {
    let server = scenario();
    let plan = run(scenario_cmd(&server).args(["plan", "-q", "manifests"]));
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert_eq!(
        plan.stdout,
        "Plan: 1 to adopt, 1 to add, 2 to change, 1 to destroy.\n"
    );
    assert_eq!(plan.stderr, "");
    let apply = run(scenario_cmd(&server).args(["apply", "-q", "--auto-approve", "manifests"]));
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert_eq!(
        apply.stdout,
        "Apply complete! Resources: 1 adopted, 1 added, 2 changed, 1 destroyed.\n"
    );
    assert_eq!(apply.stderr, "");
    // Nothing left to do: -q still says so, in one line.
    let again = run(scenario_cmd(&server).args(["apply", "-q", "--auto-approve", "manifests"]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        again.stdout,
        "No changes. Your webhooks match the configuration.\n"
    );
}

#[test]
fn apply_shows_the_plan_once_then_a_line_per_operation_then_the_summary() {
    let server = scenario();
    let out = run(scenario_cmd(&server).args(["apply", "--auto-approve", "manifests"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert_eq!(all.matches("Plan: ").count(), 1, "{all}");
    assert!(
        !all.contains("Operations:"),
        "no table repeating the operations"
    );
    let finished: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("webhook."))
        .collect();
    assert_eq!(finished.len(), 5, "one line per operation: {}", out.stderr);
    for key in [
        "old/removed",
        "crawl/archive",
        "crawl/done",
        "leads/new",
        "prices/succeeded",
    ] {
        let lines = all
            .lines()
            .filter(|l| l.starts_with(&format!("webhook.{key}:")))
            .count();
        assert_eq!(lines, 1, "{key} finishes once: {all}");
    }
    assert!(
        out.stdout
            .trim_end()
            .ends_with("Apply complete! Resources: 1 adopted, 1 added, 2 changed, 1 destroyed."),
        "{}",
        out.stdout
    );
    // The whole text output of an apply of five operations stays short.
    let lines = all.lines().count();
    assert!(lines < 75, "{lines} lines:\n{all}");
}

fn local_manifests(dir: &std::path::Path) -> std::path::PathBuf {
    let manifests = dir.join("repo/webhooks");
    std::fs::create_dir_all(&manifests).unwrap();
    std::fs::write(
        manifests.join("m.yaml"),
        "version: 1\nactors:\n  apify/web-scraper:\n    - {key: k, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://e.example.com'}\n",
    )
    .unwrap();
    manifests
}

#[test]
fn local_state_is_found_from_the_manifests_wherever_the_command_runs_and_reset_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let manifests = local_manifests(dir.path());
    let repo = dir.path().join("repo");
    // Applied from the repository root: the state goes beside the manifests.
    let out = run_in(&repo, &["apply", "--local", "--auto-approve", "webhooks"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr.lines().next(),
        Some("Using the local emulator (state in webhooks/.apify-webhooks/state.json).")
    );
    assert!(manifests.join(".apify-webhooks/state.json").is_file());
    // Planned from the manifests' folder and from elsewhere: the same state, nothing to do.
    for (cwd, path) in [
        (manifests.clone(), "."),
        (dir.path().to_path_buf(), "repo/webhooks/m.yaml"),
    ] {
        let out = run_in(&cwd, &["plan", "--local", "--detailed-exitcode", path]);
        assert_eq!(
            out.code,
            0,
            "from {}: {}{}",
            cwd.display(),
            out.stdout,
            out.stderr
        );
    }
    // A state folder above the manifests is found by walking up.
    let nested = manifests.join("team");
    std::fs::create_dir(&nested).unwrap();
    std::fs::rename(manifests.join("m.yaml"), nested.join("m.yaml")).unwrap();
    let out = run_in(&nested, &["plan", "--local", "--detailed-exitcode", "."]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(!nested.join(".apify-webhooks").exists());
    // --reset: back to the seed, so the webhook is to be created again.
    let out = run_in(
        &nested,
        &["plan", "--local", "--reset", "--detailed-exitcode", "."],
    );
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("Plan: 1 to add"), "{}", out.stdout);
    // --reset means nothing without --local.
    let out = run_in(&nested, &["plan", "--reset", "."]);
    assert_eq!(out.code, 64, "{}", out.stderr);
}

#[test]
fn options_are_taken_only_where_they_mean_something() {
    for args in [
        &["schema", "--local"][..],
        &["schema", "--owner", "x"],
        &["validate", "--api-url", "http://127.0.0.1:1"],
        &["validate", "--token-file", "t"],
        &["emulator", "--local"],
        &["plan", "--local", "--api-url", "https://api.apify.com"],
        &["apply", "--local", "--token-file", "t"],
    ] {
        let out = run(bin().args(args));
        assert_eq!(out.code, 64, "{args:?} is refused: {}", out.stderr);
        assert!(
            out.stderr.contains("unexpected argument")
                || out.stderr.contains("cannot be used with"),
            "{}",
            out.stderr
        );
    }
    let help = run(bin().args(["plan", "--help"])).stdout;
    let (options, connection) = help
        .split_once("Connection:")
        .expect("a Connection heading");
    for flag in ["--api-url", "--token-file", "--local"] {
        assert!(
            connection.contains(flag) && !options.contains(flag),
            "{help}"
        );
    }
    assert!(
        run(bin().args(["apply", "--help"]))
            .stdout
            .contains("Connection:")
    );
    let validate = run(bin().args(["validate", "--help"])).stdout;
    assert!(!validate.contains("Connection:") && !validate.contains("--api-url"));
    // A variable is named in the help, never shown with its value, set or empty.
    for value in ["", "team-from-the-environment"] {
        let help = run(bin()
            .env("APIFY_WEBHOOKS_OWNER", value)
            .args(["plan", "--help"]))
        .stdout;
        assert!(help.contains("[env: APIFY_WEBHOOKS_OWNER]"), "{help}");
        assert!(!help.contains("=]"), "{help}");
        assert!(!help.contains("team-from-the-environment"), "{help}");
    }
}

#[test]
fn an_unknown_actor_or_task_suggests_a_name_the_token_can_see() {
    let server = scenario();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        "version: 1\nowner: team\nactors:\n  acme/web-scrapr:\n    - {key: a, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://e.example.com'}\n  acme/nothing-like-it:\n    - {key: b, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://e.example.com'}\ntasks:\n  acme~daily-crawll:\n    - {key: c, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://e.example.com'}\n",
    )
    .unwrap();
    let out = run(server
        .bin()
        .current_dir(dir.path())
        .args(["plan", "m.yaml"]));
    assert_eq!(out.code, 65, "{}", out.stderr);
    assert!(
        out.stderr.contains("did you mean `acme/web-scraper`?"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("did you mean `acme/daily-crawl`?"),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stderr.matches("did you mean").count(),
        2,
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("check the name, and that the API token can see this Actor"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_saved_plan_is_applied_without_showing_it_again() {
    let server = scenario();
    let (_dir, file, plan) = saved_scenario_plan(&server);
    assert!(
        plan.stdout.contains("# webhook.leads/new"),
        "{}",
        plan.stdout
    );
    let apply = run(scenario_cmd(&server).arg("apply").arg("--plan").arg(&file));
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert!(!apply.stdout.contains("# webhook."), "{}", apply.stdout);
    assert!(
        apply
            .stderr
            .contains("p.json`: 1 to adopt, 1 to add, 2 to change, 1 to destroy.\nwebhook."),
        "{}",
        apply.stderr
    );
}

#[test]
fn a_value_the_manifests_leave_unset_is_called_what_it_is_not_a_guess_at_who_set_it() {
    let server = scenario();
    for format in ["text", "markdown"] {
        let out = run(scenario_cmd(&server).args(["plan", "manifests", "--format", format]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            !out.stdout.contains("outside the manifests"),
            "{}",
            out.stdout
        );
        assert!(!out.stdout.contains("set outside"), "{}", out.stdout);
        assert!(
            out.stdout.contains("not in the manifests"),
            "{}",
            out.stdout
        );
    }
    let text = run(scenario_cmd(&server).args(["plan", "manifests"])).stdout;
    assert!(
        text.contains(
            "doNotRetry      = true -> false  # not in the manifests: back to the default"
        ),
        "{text}"
    );
}

#[test]
fn a_file_that_is_not_a_saved_plan_is_one_usage_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("binary.json", &b"\xff\xfe\x00garbage"[..]),
        ("text.json", b"this is not json"),
        ("other.json", b"{\"format_version\": 1}"),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let out = run_in(dir.path(), &["apply", "--local", "--plan", name]);
        assert_eq!(out.code, 64, "{name}: {}", out.stderr);
        assert!(
            out.stderr
                .contains(&format!("`{name}` is not a saved plan of apify-webhooks")),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn a_saved_plan_for_another_owner_is_refused_naming_the_file() {
    let server = scenario();
    let (_dir, file, _) = saved_scenario_plan(&server);
    let requests = server.handle().request_log().len();
    let out = run(scenario_cmd(&server)
        .args(["apply", "--owner", "someone-else", "--plan"])
        .arg(&file));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("p.json` is stale"), "{}", out.stderr);
    assert!(
        out.stderr.contains("the plan was saved for owner `team`"),
        "{}",
        out.stderr
    );
    assert_eq!(
        server.handle().request_log().len(),
        requests,
        "refused before any request"
    );
}

#[test]
fn quiet_still_says_why_an_operation_failed() {
    let server = scenario();
    server
        .handle()
        .set_faults(Faults {
            error_rate: 1.0,
            writes_only: true,
            ..Faults::default()
        })
        .unwrap();
    let out = run(scenario_cmd(&server)
        .env("APIFY_WEBHOOKS_RETRY_BASE_MS", "1")
        .args(["apply", "-q", "--auto-approve", "manifests"]));
    assert_eq!(out.code, 1, "nothing was applied: {}", out.stderr);
    assert!(
        out.stdout.starts_with("Apply incomplete!"),
        "{}",
        out.stdout
    );
    let failed: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("webhook.") && l.contains(": Failed"))
        .collect();
    assert_eq!(failed.len(), 5, "every failure, once: {}", out.stderr);
    assert!(!out.stderr.contains("WARN"), "said once: {}", out.stderr);
}

#[test]
fn a_stale_plan_says_how_to_plan_again_where_it_was_made_and_a_mismatch_names_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let manifests = local_manifests(dir.path());
    let repo = dir.path().join("repo");
    let out = run_in(&repo, &["plan", "--local", "webhooks", "--out", "p.json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Edited since: stale, and the way out plans again with --local and the same paths.
    let text = std::fs::read_to_string(manifests.join("m.yaml")).unwrap();
    std::fs::write(
        manifests.join("m.yaml"),
        text.replace("e.example.com", "f.example.com"),
    )
    .unwrap();
    let out = run_in(&repo, &["apply", "--local", "--plan", "p.json"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("Plan again (`apify-webhooks plan --local webhooks --out p.json`)"),
        "{}",
        out.stderr
    );
    // Made with --local, applied without: the reason names the flag, and planning again is
    // not the way out.
    let out = run_in(&repo, &["apply", "--plan", "p.json"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("apply it with `--local`"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("Plan again"), "{}", out.stderr);
    // Paths beside --plan would plan other manifests than the saved plan's: refused.
    let out = run_in(&repo, &["apply", "--local", "--plan", "p.json", "webhooks"]);
    assert_eq!(out.code, 64, "{}", out.stderr);
}

#[test]
fn the_note_on_an_unsaved_plan_names_the_command_with_its_paths() {
    let dir = tempfile::tempdir().unwrap();
    local_manifests(dir.path());
    let out = run_in(&dir.path().join("repo"), &["plan", "--local", "webhooks"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("\"apify-webhooks apply --local webhooks\" plans again"),
        "{}",
        out.stdout
    );
}
