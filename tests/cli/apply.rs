//! `apply` end to end against the emulator: convergence, faults, a crash mid-run, stop signals,
//! stale saved plans, and the safety rules.

use std::process::Stdio;
use std::time::{Duration, Instant};

use apify_webhooks::emulator::{DeletedKeys, EmulatorConfig, Faults, Seed, SeedSource};
use serde_json::Value;

use crate::plan::{
    cap_scenario, keys_in, no_duplicate_keys, saved_scenario_plan, scenario, scenario_cmd,
    scenario_dir,
};
use crate::support::emulator::Background;
use crate::support::run;

/// The webhooks a run must never touch in the scenario: unmanaged, foreign, out of scope.
const UNTOUCHABLE: [&str; 5] = [
    "Unmanaged00000001",
    "Foreign0000000001",
    "AdHoc000000000001",
    "Slack000000000001",
    "Integration000001",
];

fn by_id<'a>(webhooks: &'a [Value], id: &str) -> Option<&'a Value> {
    webhooks.iter().find(|w| w["id"] == id)
}

#[test]
fn apply_converges_and_leaves_every_other_webhook_byte_for_byte() {
    let server = scenario();
    let before = server.webhooks_of("acme");
    let other_user = server.webhooks_of("other");
    let out = run(scenario_cmd(&server).args(["apply", "--auto-approve", "manifests"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("Apply complete! Resources: 1 adopted, 1 added, 2 changed, 1 destroyed."),
        "{}",
        out.stdout
    );

    let again = run(scenario_cmd(&server).args(["plan", "manifests", "--detailed-exitcode"]));
    assert_eq!(
        again.code, 0,
        "apply then plan gives no changes:\n{}",
        again.stdout
    );
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    let after = server.webhooks_of("acme");
    for id in UNTOUCHABLE {
        assert_eq!(by_id(&before, id), by_id(&after, id), "{id} changed");
    }
    assert_eq!(server.webhooks_of("other"), other_user);
    assert!(by_id(&after, "DeleteMe000000001").is_none());
    let adopted = by_id(&after, "AdoptMe0000000001").unwrap();
    assert_eq!(
        adopted["description"],
        "Crawl finished [apify-webhooks owner=team key=crawl/done secrets=none]"
    );
    assert!(no_duplicate_keys(&after));
}

#[test]
fn without_a_terminal_apply_refuses_instead_of_waiting() {
    let server = scenario();
    let out = run(scenario_cmd(&server)
        .args(["apply", "manifests"])
        .stdin(Stdio::null()));
    assert_eq!(out.code, 64, "{}", out.stderr);
    assert!(out.stderr.contains("pass --auto-approve"), "{}", out.stderr);
    assert!(
        server
            .handle()
            .request_log()
            .iter()
            .all(|e| e.method == "GET"),
        "nothing was written"
    );
}

/// Runs apply on a pseudo-terminal (util-linux `script`), typing `answer` at the prompt.
#[cfg(unix)]
fn apply_on_a_terminal(server: &Background, answer: &str) -> crate::support::Output {
    use std::io::Write as _;
    let bin = env!("CARGO_BIN_EXE_apify-webhooks");
    let scenario = crate::plan::scenario_cmd(server);
    let env: Vec<_> = scenario
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    let mut child = std::process::Command::new("script")
        .args(["-qec", &format!("{bin} apply manifests"), "/dev/null"])
        .current_dir(scenario_dir())
        .envs(env)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs the terminal test");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{answer}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    crate::support::Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[cfg(unix)]
#[test]
fn on_a_terminal_only_yes_proceeds() {
    let server = scenario();
    let out = apply_on_a_terminal(&server, "y");
    assert!(
        out.stdout.contains("Do you want to perform these actions?"),
        "{}",
        out.stdout
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("Apply cancelled"), "{}", out.stdout);
    assert!(
        server
            .handle()
            .request_log()
            .iter()
            .all(|e| e.method == "GET"),
        "nothing was written"
    );

    let out = apply_on_a_terminal(&server, "yes");
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("Apply complete!"), "{}", out.stdout);
}

/// Many operations, so that faults hit some of them.
fn busy_world() -> (Background, tempfile::TempDir) {
    let (seed, manifest) = cap_scenario(30, 6, 4);
    // Declare 30 more webhooks (creates) on an Actor written the API's way, keep the 30 (3
    // updates), delete none.
    let extra: String = (0..30)
        .map(|i| format!("    - {{key: extra-{i}, eventTypes: [ACTOR.RUN.SUCCEEDED], requestUrl: 'https://extra.example.com/{i}'}}\n"))
        .collect();
    let manifest = manifest.replacen(
        "actors:\n",
        &format!("actors:\n  acme~actor-1:\n{extra}"),
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), manifest).unwrap();
    let server = Background::start(EmulatorConfig {
        seed: SeedSource::Seed(Seed::from_yaml(&seed).unwrap()),
        ..EmulatorConfig::default()
    });
    (server, dir)
}

#[test]
fn under_faults_apply_finishes_or_reports_exactly_and_a_rerun_converges() {
    for (round, faults) in [
        (
            1,
            Faults {
                seed: 7,
                error_rate: 0.3,
                drop_rate: 0.05,
                lost_response_rate: 0.05,
                rate_limit: Some(40.0),
                ..Faults::default()
            },
        ),
        // Reads pass, so the plan is made; writes fail often enough that some fail for good.
        (
            2,
            Faults {
                seed: 8,
                error_rate: 0.9,
                drop_rate: 0.05,
                writes_only: true,
                ..Faults::default()
            },
        ),
    ] {
        let (server, dir) = busy_world();
        server.handle().set_faults(faults).unwrap();
        let out = server.run_in(
            dir.path(),
            &["apply", "--auto-approve", "--format", "json", "m.yaml"],
        );
        assert!(
            matches!(out.code, 0 | 1 | 4),
            "round {round}: exit {}\n{}",
            out.code,
            out.stderr
        );
        server.handle().set_faults(Faults::default()).unwrap();
        if out.code == 1 && out.stdout.is_empty() {
            // The reads failed for good before anything was changed (possible at 30%).
            assert!(out.stderr.contains("error:"), "{}", out.stderr);
        } else {
            let report: Value =
                serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
            let ops = report["operations"].as_array().unwrap();
            assert_eq!(ops.len(), 33, "30 creates and 3 updates");
            let failed = ops.iter().filter(|o| o["status"] == "failed").count();
            let applied = ops.iter().filter(|o| o["status"] == "applied").count();
            assert_eq!(report["counts"]["failed"], failed);
            assert_eq!(
                out.code == 0,
                failed == 0,
                "round {round}: exit 0 exactly when nothing failed"
            );
            if out.code == 4 {
                assert!(applied > 0 && failed > 0);
            }
            if round == 2 {
                // Each write fails for good with a chance of about 0.4: some do, some do not.
                assert_eq!(out.code, 4, "{}", out.stderr);
                assert!(
                    out.stderr.contains("Failed"),
                    "progress shows the failures: {}",
                    out.stderr
                );
            }
            // Every operation reported applied is in effect.
            let live = server.webhooks_of("acme");
            for op in ops.iter().filter(|o| o["status"] == "applied") {
                let key = op["key"].as_str().unwrap();
                assert!(keys_in(&live).iter().any(|k| k == key), "{key} missing");
                if op["action"] == "create" {
                    let id = op["webhook_id"].as_str().unwrap();
                    assert!(by_id(&live, id).is_some(), "created {key} as {id}");
                }
            }
            for op in ops.iter().filter(|o| o["status"] == "failed") {
                assert!(
                    op["error_type"].is_string() && op["message"].is_string(),
                    "{op}"
                );
            }
            assert!(
                no_duplicate_keys(&live),
                "round {round}: a key exists twice"
            );
        }
        // Without faults, one more apply finishes the job.
        let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let out = server.run_in(dir.path(), &["plan", "m.yaml", "--detailed-exitcode"]);
        assert_eq!(out.code, 0, "{}", out.stdout);
        let live = server.webhooks_of("acme");
        assert_eq!(keys_in(&live).len(), 60);
        assert!(no_duplicate_keys(&live));
    }
}

/// Waits until `ready` holds, polling; panics after `limit`.
fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out waiting");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn posts(server: &Background) -> usize {
    server
        .handle()
        .request_log()
        .iter()
        .filter(|e| e.method == "POST" && e.path == "/v2/webhooks")
        .count()
}

#[test]
fn a_run_killed_mid_apply_is_finished_by_the_next_one_without_duplicates() {
    let (server, dir) = busy_world();
    server
        .handle()
        .set_faults(Faults {
            latency_ms: 150,
            ..Faults::default()
        })
        .unwrap();
    let mut child = server
        .bin()
        .current_dir(dir.path())
        .args(["apply", "--auto-approve", "--parallelism", "2", "m.yaml"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(30), || posts(&server) >= 3);
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let partial = server.webhooks_of("acme");
    assert!(keys_in(&partial).len() < 60, "the kill came mid-run");

    server.handle().set_faults(Faults::default()).unwrap();
    let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let live = server.webhooks_of("acme");
    assert_eq!(keys_in(&live).len(), 60);
    assert!(no_duplicate_keys(&live));
    let out = server.run_in(dir.path(), &["plan", "m.yaml", "--detailed-exitcode"]);
    assert_eq!(out.code, 0);
}

#[cfg(unix)]
#[test]
fn a_stop_signal_lets_in_flight_operations_finish_and_reports_the_rest() {
    let (server, dir) = busy_world();
    server
        .handle()
        .set_faults(Faults {
            latency_ms: 150,
            ..Faults::default()
        })
        .unwrap();
    let child = server
        .bin()
        .current_dir(dir.path())
        .args(["apply", "--auto-approve", "--parallelism", "2", "m.yaml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(30), || posts(&server) >= 2);
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(4),
        "some applied, some not: exit 4\n{stdout}"
    );
    assert!(stdout.contains("Interrupted"), "{stdout}");
    assert!(stdout.contains("not started"), "{stdout}");
    // In-flight requests were allowed to finish: every POST the platform saw got an answer.
    let log = server.handle().request_log();
    assert!(
        log.iter()
            .filter(|e| e.method == "POST")
            .all(|e| e.status.is_some())
    );
}

#[test]
fn a_saved_plan_applies_when_nothing_moved() {
    let server = scenario();
    let (_dir, file, _) = saved_scenario_plan(&server);
    let out = run(scenario_cmd(&server).args(["apply", "--plan"]).arg(&file));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("Apply complete! Resources: 1 adopted, 1 added, 2 changed, 1 destroyed."),
        "{}",
        out.stdout
    );
    let out = run(scenario_cmd(&server).args(["plan", "manifests", "--detailed-exitcode"]));
    assert_eq!(out.code, 0);
}

/// A saved plan given as a path, as `terraform apply plan.tfplan` takes it, was read as a
/// manifest: a dozen schema errors about `format_version`. It is named as a saved plan, with
/// the command that applies it, and nothing changes.
#[test]
fn a_saved_plan_given_as_a_manifest_path_says_how_to_apply_it() {
    let server = scenario();
    let (_dir, file, _) = saved_scenario_plan(&server);
    let before = server.webhooks_of("acme");
    for command in ["apply", "plan"] {
        let out = run(scenario_cmd(&server).arg(command).arg(&file));
        assert_eq!(out.code, 64, "{command}: {}\n{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("is a saved plan, not a manifest")
                && out.stderr.contains("apply --plan")
                && !out.stderr.contains("format_version"),
            "{command}: {}",
            out.stderr
        );
    }
    assert_eq!(server.webhooks_of("acme"), before);
}

#[test]
fn a_saved_plan_is_stale_after_a_webhook_it_touches_is_edited() {
    let server = scenario();
    let (_dir, file, _) = saved_scenario_plan(&server);
    // Someone edits a webhook of the plan in the Console.
    let status = server.block_on(async {
        crate::support::emulator::http()
            .put(format!("{}/v2/webhooks/UpdateMe000000001", server.url()))
            .bearer_auth(crate::support::emulator::TOKEN)
            .json(&serde_json::json!({"requestUrl": "https://console-edit.example.com"}))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(status.is_success());
    let before = server.state();
    let out = run(scenario_cmd(&server).args(["apply", "--plan"]).arg(&file));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("p.json` is stale"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("webhook UpdateMe000000001 (`prices/succeeded`) changed on the platform"),
        "{}",
        out.stderr
    );
    assert_eq!(server.state(), before, "nothing was applied");
}

#[test]
fn a_saved_plan_only_applies_to_the_api_and_account_it_was_made_for() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        "version: 1\nactors:\n  acme/web-scraper:\n    - {key: k, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://e.example.com'}\n",
    )
    .unwrap();
    let file = dir.path().join("p.json");
    let server = scenario();
    // Made against the embedded emulator (the API settings of the environment are ignored)...
    let out = run(server
        .bin()
        .current_dir(dir.path())
        .args(["plan", "--local", "m.yaml", "--out"])
        .arg(&file));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("run: apify-webhooks apply --local --plan"),
        "{}",
        out.stdout
    );
    assert!(
        server.handle().request_log().is_empty(),
        "--local did not talk to the API"
    );
    // ...then applied against another API: refused, nothing written.
    let out = run(server
        .bin()
        .current_dir(dir.path())
        .args(["apply", "--plan"])
        .arg(&file));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the plan was made against the local emulator: apply it with `--local`"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("token"),
        "not a complaint about a missing token: {}",
        out.stderr
    );
    assert!(
        server.handle().request_log().is_empty(),
        "refused before connecting anywhere"
    );
    // ...and where it was made, it applies.
    let out = run(server
        .bin()
        .current_dir(dir.path())
        .args(["apply", "--local", "--plan"])
        .arg(&file));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_saved_plan_is_stale_after_a_manifest_edit() {
    let server = scenario();
    let dir = tempfile::tempdir().unwrap();
    let manifests = dir.path().join("manifests");
    std::fs::create_dir(&manifests).unwrap();
    let original = std::fs::read_to_string(scenario_dir().join("manifests/webhooks.yaml")).unwrap();
    std::fs::write(manifests.join("webhooks.yaml"), &original).unwrap();
    let file = dir.path().join("p.json");
    let cmd = || {
        let mut c = scenario_cmd(&server);
        c.current_dir(dir.path());
        c
    };
    assert_eq!(
        run(cmd().args(["plan", "manifests", "--out"]).arg(&file)).code,
        0
    );
    std::fs::write(
        manifests.join("webhooks.yaml"),
        original.replace("Scraper alerts", "Scraper alarms"),
    )
    .unwrap();
    let out = run(cmd().args(["apply", "--plan"]).arg(&file));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("p.json` is stale"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the manifests changed since the plan was saved"),
        "{}",
        out.stderr
    );
    // Only the reasons that hold: a description edit moved no live webhook.
    assert!(
        !out.stderr.contains("changed on the platform") && !out.stderr.contains("live webhooks"),
        "{}",
        out.stderr
    );
    // A secret that changed makes it stale too.
    std::fs::write(manifests.join("webhooks.yaml"), &original).unwrap();
    let out = run(cmd()
        .env("ARCHIVE_TOKEN", "rotated-token-value")
        .args(["apply", "--plan"])
        .arg(&file));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("a value read from the environment changed"),
        "{}",
        out.stderr
    );
}

fn deletion_world(owned: usize, declared: usize) -> (Background, tempfile::TempDir) {
    let (seed, _) = cap_scenario(owned, 5, 0);
    let (_, manifest) = cap_scenario(declared, 5, 0);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        manifest.replace("new.example.com", "hooks.example.com"),
    )
    .unwrap();
    let server = Background::start(EmulatorConfig {
        seed: SeedSource::Seed(Seed::from_yaml(&seed).unwrap()),
        ..EmulatorConfig::default()
    });
    (server, dir)
}

#[test]
fn mass_deletion_is_refused_unless_forced_and_no_delete_never_deletes() {
    let (server, dir) = deletion_world(20, 10);
    let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "Too many deletes: 50.00% is over 30.00% (10 of 20 owned webhooks); --force required"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(
        keys_in(&server.webhooks_of("acme")).len(),
        20,
        "nothing was deleted"
    );

    let out = server.run_in(
        dir.path(),
        &["apply", "--auto-approve", "--no-delete", "m.yaml"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        keys_in(&server.webhooks_of("acme")).len(),
        20,
        "--no-delete never deletes"
    );

    let out = server.run_in(
        dir.path(),
        &["apply", "--auto-approve", "--force", "m.yaml"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("10 destroyed"), "{}", out.stdout);
    assert_eq!(keys_in(&server.webhooks_of("acme")).len(), 10);
}

#[test]
fn an_empty_manifest_set_does_not_wipe_owned_webhooks() {
    let (server, dir) = deletion_world(3, 0);
    std::fs::write(dir.path().join("m.yaml"), "version: 1\n").unwrap();
    let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("The manifests declare no webhooks, but 3 owned webhooks exist"),
        "{}",
        out.stderr
    );
    assert_eq!(keys_in(&server.webhooks_of("acme")).len(), 3);
}

/// An account with one Actor and `seeded` extra seed lines under `webhooks:`, and a manifest
/// declaring `declared` webhooks on that Actor.
fn small_world(
    seeded: &str,
    declared: usize,
    deleted_keys: DeletedKeys,
) -> (Background, tempfile::TempDir) {
    let seed = format!(
        "users:\n  - {{username: acme, token: apify_api_LOCAL_EMULATOR_acme_0000000000}}\nactors:\n  - {{name: acme/actor-0}}\nwebhooks:{}",
        if seeded.is_empty() {
            " []\n".to_owned()
        } else {
            format!("\n{seeded}")
        }
    );
    let entries: String = (0..declared)
        .map(|i| format!("    - {{key: hook-{i}, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://hooks.example.com/{i}'}}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        format!("version: 1\nactors:\n  acme~actor-0:\n{entries}"),
    )
    .unwrap();
    let server = Background::start(EmulatorConfig {
        seed: SeedSource::Seed(Seed::from_yaml(&seed).unwrap()),
        deleted_keys,
        ..EmulatorConfig::default()
    });
    (server, dir)
}

fn assert_no_changes(server: &Background, dir: &std::path::Path) {
    let out = server.run_in(dir, &["plan", "m.yaml", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("No changes."), "{}", out.stdout);
}

#[test]
fn two_overlapping_applies_create_each_webhook_once() {
    let (server, dir) = small_world("", 20, DeletedKeys::Forget);
    // The first run creates one webhook at a time, slowly; the second starts once the first
    // has made one, so it plans with some creates done and others still to come, whatever the
    // machine's speed.
    server
        .handle()
        .set_faults(Faults {
            latency_ms: 100,
            ..Faults::default()
        })
        .unwrap();
    let start = |extra: &[&str]| {
        server
            .bin()
            .current_dir(dir.path())
            .args(["apply", "--auto-approve", "m.yaml"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = start(&["--parallelism", "1"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.webhooks_of("acme").is_empty() {
        assert!(Instant::now() < deadline, "the first run made no webhook");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = start(&[]);
    for child in [first, second] {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(
        posts(&server) > 20,
        "the runs overlapped: both sent creates"
    );
    let live = server.webhooks_of("acme");
    assert_eq!(live.len(), 20, "{:#?}", keys_in(&live));
    assert!(no_duplicate_keys(&live));
    server.handle().set_faults(Faults::default()).unwrap();
    assert_no_changes(&server, dir.path());
}

#[test]
fn a_create_answered_with_a_deleted_webhook_is_made_again_whether_the_key_is_forgotten_or_replayed()
{
    for mode in [DeletedKeys::Forget, DeletedKeys::Replay] {
        let (server, dir) = small_world("", 1, mode);
        let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        // Deleted and made again, over and over: every stale answer is a webhook that was.
        for cycle in 1..=4 {
            let gone = server.webhooks_of("acme")[0]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            // Someone deletes it in the Console; the next apply creates the same webhook again,
            // with the same idempotency key.
            let api =
                crate::support::emulator::client(server.handle(), crate::support::emulator::TOKEN);
            server.block_on(async {
                use apify_webhooks::platform::Platform as _;
                api.delete_webhook(&gone).await.unwrap();
            });
            server.handle().clear_request_log();
            let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
            assert_eq!(out.code, 0, "{mode}: {}\n{}", out.stdout, out.stderr);
            assert!(out.stdout.contains("1 added"), "{}", out.stdout);
            let live = server.webhooks_of("acme");
            assert_eq!(keys_in(&live), ["hook-0"], "{mode}");
            assert_ne!(live[0]["id"], gone.as_str());
            let expected_posts = match mode {
                DeletedKeys::Forget => 1,
                // The first answer was the deleted webhook: a second create with a key derived
                // from it; from the second cycle on, that one was a deleted webhook's too, and a
                // random key makes a new one.
                DeletedKeys::Replay => cycle.min(2) + 1,
            };
            assert_eq!(posts(&server), expected_posts, "{mode}, cycle {cycle}");
            assert_no_changes(&server, dir.path());
        }
    }
}

#[test]
fn identical_duplicates_are_removed_in_every_format_and_different_ones_refused() {
    let hook = "  - {user: acme, actor: acme/actor-0, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://hooks.example.com/0', description: '[apify-webhooks owner=default key=hook-0]'}\n";
    let (server, dir) = small_world(&hook.repeat(3), 1, DeletedKeys::Forget);
    let ids: Vec<String> = server
        .webhooks_of("acme")
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_owned())
        .collect();
    let (kept, extras) = (&ids[0], &ids[1..]);

    let out = server.run_in(dir.path(), &["plan", "m.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "# (because it duplicates webhook {kept}, which is kept)"
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("0 to add, 0 to change, 2 to destroy"),
        "{}",
        out.stdout
    );
    let out = server.run_in(dir.path(), &["plan", "m.yaml", "--format", "json"]);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let reasons: Vec<(&str, &str)> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["webhook_id"].as_str().unwrap(),
                c["action_reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        extras
            .iter()
            .map(|id| (id.as_str(), "delete_because_duplicate"))
            .collect::<Vec<_>>()
    );
    let out = server.run_in(dir.path(), &["plan", "m.yaml", "--format", "markdown"]);
    assert!(
        out.stdout.contains(&format!("(duplicate of `{kept}`)")),
        "{}",
        out.stdout
    );

    let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let live = server.webhooks_of("acme");
    assert_eq!(live.len(), 1);
    assert_eq!(&live[0]["id"], kept.as_str(), "the oldest is kept");
    assert_no_changes(&server, dir.path());

    // Different webhooks under one key: which one is meant is a guess, so the plan refuses.
    let other = hook.replace("/0'", "/other'");
    let (server, dir) = small_world(&format!("{hook}{other}"), 1, DeletedKeys::Forget);
    let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("all carry the owned key `hook-0`"),
        "{}",
        out.stderr
    );
    assert_eq!(server.webhooks_of("acme").len(), 2);
}

#[test]
fn under_a_rate_limit_with_a_long_retry_after_apply_reports_what_it_made_and_why_it_stopped() {
    // Issue 16 item 12: the platform allows a few requests per second and asks to wait 30 s
    // on a 429, longer than the run's 20 s timeout. The bucket is large enough for the plan's
    // reads and a few writes; the rest of the creates are refused.
    let (server, dir) = small_world("", 20, DeletedKeys::Forget);
    server
        .handle()
        .set_faults(Faults {
            rate_limit: Some(8.0),
            retry_after_secs: Some(30),
            ..Faults::default()
        })
        .unwrap();
    let out = server.run_in(
        dir.path(),
        &[
            "apply",
            "--auto-approve",
            "--timeout",
            "20s",
            "--format",
            "json",
            "m.yaml",
        ],
    );
    let log: Vec<String> = server
        .handle()
        .request_log()
        .iter()
        .map(|e| format!("{} {} {:?}", e.method, e.path, e.status))
        .collect();
    server.handle().set_faults(Faults::default()).unwrap();
    let report: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}\n{log:#?}", out.stdout, out.stderr));
    let live = server.webhooks_of("acme");
    // The report counts exactly what was made, and says so with exit 4.
    let added = report["counts"]["added"].as_u64().unwrap();
    assert_eq!(added, live.len() as u64, "{}\n{log:#?}", out.stdout);
    assert!(added > 0, "some creates fit in the bucket: {log:#?}");
    assert_eq!(report["counts"]["failed"].as_u64().unwrap(), 20 - added);
    assert_eq!(out.code, 4, "{}", out.stderr);
    for op in report["operations"].as_array().unwrap() {
        if op["status"] == "applied" {
            let id = op["webhook_id"].as_str().unwrap();
            assert!(by_id(&live, id).is_some(), "{op}");
        } else {
            // The real reason, not a timeout that did not happen.
            assert_eq!(op["http_status"], 429, "{op}");
            assert_eq!(op["error_type"], "rate-limit-exceeded", "{op}");
            let message = op["message"].as_str().unwrap();
            assert!(
                message.contains(
                    "not retried: the platform asked to wait 30s (Retry-After), more than the "
                ) && message.contains(" left of --timeout 20s (1 attempt in "),
                "{message}"
            );
        }
    }
    assert!(!out.stderr.contains("timed out"), "{}", out.stderr);
    // The text report says the same.
    assert_eq!(
        out.stderr.matches(": Creation complete [id=").count() as u64,
        added,
        "{}",
        out.stderr
    );
    // Without the limit, the next apply finishes the job without a duplicate.
    let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!("{} added", 20 - added)),
        "{}",
        out.stdout
    );
    assert_no_changes(&server, dir.path());
}

#[test]
fn without_a_token_every_command_that_connects_suggests_local() {
    // Issue 16 item 18: a new user without an account learns about `--local` from the error.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        "version: 1\nactors:\n  acme/web-scraper:\n    - {key: a, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://hooks.example.com/a'}\n",
    )
    .unwrap();
    for args in [
        &["plan", "m.yaml"][..],
        &["apply", "--auto-approve", "m.yaml"],
        &["status", "m.yaml"],
        &["export", "--out", "exported"],
    ] {
        let out = crate::support::run_in(dir.path(), args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert_eq!(
            out.stderr,
            "error: no API token: set APIFY_TOKEN, pass --token-file FILE, or log in with \
             `apify login` (or try it without an account, against a local emulator: --local)\n",
            "{args:?}"
        );
        // And `--local` does work there.
        let mut local = args.to_vec();
        local.insert(1, "--local");
        let out = crate::support::run_in(dir.path(), &local);
        assert!(
            !out.stderr.contains("no API token"),
            "{local:?}: {}",
            out.stderr
        );
    }
}
