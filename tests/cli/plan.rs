//! `plan` end to end against the emulator: the rendered plan of a scenario with every kind of
//! change and of live webhook, secrets kept out of every output, missing variables and unknown
//! targets as manifest errors, saved plans, exit codes, and the number of API calls.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use apify_webhooks::emulator::{EmulatorConfig, Seed, SeedSource};

use crate::support::emulator::Background;
use crate::support::{root, run};

pub(crate) fn scenario_dir() -> PathBuf {
    root().join("tests/fixtures/scenario")
}

/// The scenario's emulator.
pub(crate) fn scenario() -> Background {
    let seed = std::fs::read_to_string(scenario_dir().join("seed.yaml")).unwrap();
    Background::start(EmulatorConfig {
        seed: SeedSource::Seed(Seed::from_yaml(&seed).unwrap()),
        ..EmulatorConfig::default()
    })
}

/// The scenario's secrets.
pub(crate) const LEADS_KEY: &str = "leads-key-5ecret-4711";
pub(crate) const ARCHIVE_TOKEN: &str = "archive-token-5ecret-0815";

/// `bin` in the scenario directory with the scenario's variables.
pub(crate) fn scenario_cmd(server: &Background) -> std::process::Command {
    let mut cmd = server.bin();
    cmd.current_dir(scenario_dir())
        .env("LEADS_KEY", LEADS_KEY)
        .env("ARCHIVE_TOKEN", ARCHIVE_TOKEN);
    cmd
}

/// The scenario planned with `--out`: the folder holding the plan file, the file, and what the
/// plan printed.
pub(crate) fn saved_scenario_plan(
    server: &Background,
) -> (tempfile::TempDir, PathBuf, crate::support::Output) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    let out = run(scenario_cmd(server)
        .args(["plan", "manifests", "--out"])
        .arg(&file));
    assert_eq!(out.code, 0, "{}", out.stderr);
    (dir, file, out)
}

#[test]
fn the_scenario_plan_in_every_format() {
    let server = scenario();
    for (format, name) in [
        ("text", "scenario_text"),
        ("json", "scenario_json"),
        ("markdown", "scenario_markdown"),
    ] {
        let out = run(scenario_cmd(&server).args(["plan", "manifests", "--format", format]));
        assert_eq!(out.code, 0, "{format}: {}", out.stderr);
        // Secret fingerprints and content hashes are keyed with a random key per run.
        insta::with_settings!({filters => vec![
            (r"sensitive value [0-9a-f]{8}", "sensitive value [fingerprint]"),
            (r#""fingerprint": "[0-9a-f]{8}""#, r#""fingerprint": "[fingerprint]""#),
            (r#""content_hash": "[0-9a-f]{64}""#, r#""content_hash": "[hash]""#),
        ]}, {
            insta::assert_snapshot!(name, out.stdout);
        });
    }
    // The rotated secret shows as changed: its fingerprints before and after differ.
    let text = run(scenario_cmd(&server).args(["plan", "manifests"])).stdout;
    let line = text
        .lines()
        .find(|l| l.contains("headersTemplate"))
        .unwrap();
    let prints: Vec<&str> = line
        .split("(sensitive value ")
        .skip(1)
        .map(|p| &p[..8])
        .collect();
    assert_eq!(prints.len(), 2, "{line}");
    assert_ne!(prints[0], prints[1], "{line}");
    // Planning changes nothing.
    let writes = server
        .handle()
        .request_log()
        .iter()
        .filter(|e| e.method != "GET")
        .count();
    assert_eq!(writes, 0);
}

#[test]
fn detailed_exit_codes_follow_terraform() {
    let server = scenario();
    let out = run(scenario_cmd(&server).args(["plan", "manifests", "--detailed-exitcode"]));
    assert_eq!(out.code, 2, "changes pending: {}", out.stderr);
    let out = run(scenario_cmd(&server).args(["plan", "manifests"]));
    assert_eq!(out.code, 0);
}

#[test]
fn unset_variables_are_all_listed_with_their_location_and_exit_65() {
    let server = scenario();
    let out = run(scenario_cmd(&server)
        .env_remove("LEADS_KEY")
        .env_remove("ARCHIVE_TOKEN")
        .args(["plan", "manifests"]));
    assert_eq!(out.code, 65, "{}", out.stderr);
    assert!(out.stderr.contains("error: environment variable `LEADS_KEY` is not set\n  --> manifests/webhooks.yaml:24:53"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("error: environment variable `ARCHIVE_TOKEN` is not set"),
        "{}",
        out.stderr
    );
    assert!(
        server.handle().request_log().is_empty(),
        "nothing is read before the manifests are complete"
    );
}

#[test]
fn an_unknown_target_points_at_its_manifest_line() {
    let server = scenario();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        "version: 1\ntasks:\n  acme/no-such-task:\n    - key: k\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: https://e.example.com\n",
    )
    .unwrap();
    let out = server.run_in(dir.path(), &["plan", "m.yaml"]);
    assert_eq!(out.code, 65, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("error: task `acme/no-such-task` was not found\n --> m.yaml:3:3\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unreachable_platform_is_exit_1_and_a_bad_token_names_the_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), "version: 1\n").unwrap();
    let out = run(crate::support::bin()
        .current_dir(dir.path())
        .env("APIFY_API_BASE_URL", "http://127.0.0.1:9")
        .env("APIFY_TOKEN", "t")
        .env("APIFY_WEBHOOKS_RETRY_BASE_MS", "1")
        .args(["plan", "m.yaml"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    // A connection that cannot be made is one line, not a retry per attempt (the retries of a
    // 503 storm are visible: tests/cli/platform.rs); logs follow the colour setting.
    assert!(
        out.stderr
            .starts_with("error: cannot connect to the Apify API at http://127.0.0.1:9: "),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    let never = run(crate::support::bin()
        .current_dir(dir.path())
        .env_remove("NO_COLOR")
        .env("APIFY_API_BASE_URL", "http://127.0.0.1:9")
        .env("APIFY_TOKEN", "t")
        .env("APIFY_WEBHOOKS_RETRY_BASE_MS", "1")
        .args(["--color", "never", "-vv", "plan", "m.yaml"]));
    assert!(!never.stderr.contains('\u{1b}'), "{}", never.stderr);
    assert!(
        never.stderr.contains("DEBUG"),
        "-vv logs every request: {}",
        never.stderr
    );
    let server = scenario();
    let out = run(server
        .bin()
        .current_dir(dir.path())
        .env("APIFY_TOKEN", "wrong")
        .args(["plan", "m.yaml"]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("401"), "{}", out.stderr);
    let out = run(crate::support::bin()
        .current_dir(dir.path())
        .args(["plan", "m.yaml"]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("no API token"), "{}", out.stderr);
}

#[test]
fn a_saved_plan_is_private_and_holds_no_secret() {
    let server = scenario();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    let out = run(scenario_cmd(&server)
        .args(["plan", "manifests", "--out"])
        .arg(&file));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("apify-webhooks apply --plan"),
        "{}",
        out.stdout
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(saved["format_version"], 1);
    assert_eq!(saved["owner"], "team");
    assert!(
        saved["manifest_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(saved["operations"].as_array().unwrap().len(), 5);
    for secret in [LEADS_KEY, ARCHIVE_TOKEN, "live-old-secret-value"] {
        assert!(!text.contains(secret), "the saved plan holds {secret}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

/// Every way a secret reaches the tool, each with a unique value, must stay out of stdout,
/// stderr (logs at -vv included), the JSON and Markdown plans and the saved plan.
#[test]
fn no_secret_reaches_any_output() {
    const ENV_URL: &str = "env-url-secret-aa11";
    const ENV_PATH: &str = "env-path-secret-bb22";
    const ENV_HEADER: &str = "env-header-secret-cc33";
    const ENV_PAYLOAD: &str = "env-payload-secret-dd44";
    const LITERAL_HEADER: &str = "literal-header-secret-ee55";
    const LITERAL_QUERY: &str = "literal-query-secret-ff66";
    const LITERAL_PASSWORD: &str = "literal-password-secret-gg77";
    const LIVE_HEADER: &str = "live-header-secret-hh88";
    const LIVE_QUERY: &str = "live-query-secret-ii99";
    let all = [
        ENV_URL,
        ENV_PATH,
        ENV_HEADER,
        ENV_PAYLOAD,
        LITERAL_HEADER,
        LITERAL_QUERY,
        LITERAL_PASSWORD,
        LIVE_HEADER,
        LIVE_QUERY,
    ];

    let seed = format!(
        "users:\n  - {{username: acme, token: apify_api_LOCAL_EMULATOR_acme_0000000000}}\nactors:\n  - {{name: acme/a}}\nwebhooks:\n  - user: acme\n    actor: acme/a\n    eventTypes: [ACTOR.RUN.FAILED]\n    requestUrl: https://live.example.com/x?k={LIVE_QUERY}\n    headersTemplate: '{{\"X-Key\": \"{LIVE_HEADER}\"}}'\n    description: \"[apify-webhooks owner=default key=existing]\"\n"
    );
    let server = Background::start(EmulatorConfig {
        seed: SeedSource::Seed(Seed::from_yaml(&seed).unwrap()),
        ..EmulatorConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        format!(
            "version: 1\nactors:\n  acme/a:\n    - key: existing\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: https://hooks.example.com/${{ENV_PATH}}/x?k=${{ENV_URL}}\n      headersTemplate:\n        Authorization: Bearer ${{ENV_HEADER}}\n        X-Static: {LITERAL_HEADER}\n      payloadTemplate: '{{\"token\": \"${{ENV_PAYLOAD}}\", \"run\": {{{{resource}}}}}}'\n    - key: literal\n      eventTypes: [ACTOR.RUN.SUCCEEDED]\n      requestUrl: https://user:{LITERAL_PASSWORD}@hooks.example.com/y?key={LITERAL_QUERY}\n"
        ),
    )
    .unwrap();
    let cmd = || {
        let mut c = server.bin();
        c.current_dir(dir.path())
            .env("ENV_URL", ENV_URL)
            .env("ENV_PATH", ENV_PATH)
            .env("ENV_HEADER", ENV_HEADER)
            .env("ENV_PAYLOAD", ENV_PAYLOAD);
        c
    };
    let saved = dir.path().join("saved.json");
    let runs: Vec<(String, crate::support::Output)> = vec![
        (
            "validate".into(),
            run(cmd().args(["-vv", "validate", "m.yaml"])),
        ),
        (
            "plan text".into(),
            run(cmd().args(["-vv", "plan", "m.yaml"])),
        ),
        (
            "plan colour".into(),
            run(cmd().args(["--color", "always", "plan", "m.yaml"])),
        ),
        (
            "plan json".into(),
            run(cmd().args(["plan", "m.yaml", "--format", "json"])),
        ),
        (
            "plan markdown".into(),
            run(cmd().args(["plan", "m.yaml", "--format", "markdown"])),
        ),
        (
            "plan out".into(),
            run(cmd().args(["plan", "m.yaml", "--out"]).arg(&saved)),
        ),
        (
            "apply saved".into(),
            run(cmd().args(["-vv", "apply", "--plan"]).arg(&saved)),
        ),
        (
            "plan after".into(),
            run(cmd().args(["-vv", "plan", "m.yaml"])),
        ),
        (
            "apply json".into(),
            run(cmd().args(["apply", "--auto-approve", "--format", "json", "m.yaml"])),
        ),
    ];
    let saved_text = std::fs::read_to_string(&saved).unwrap();
    for (name, out) in &runs {
        assert!(out.code == 0, "{name}: exit {}\n{}", out.code, out.stderr);
        for secret in all {
            assert!(
                !out.stdout.contains(secret),
                "{name}: stdout holds {secret}:\n{}",
                out.stdout
            );
            assert!(
                !out.stderr.contains(secret),
                "{name}: stderr holds {secret}:\n{}",
                out.stderr
            );
        }
    }
    for secret in all {
        assert!(
            !saved_text.contains(secret),
            "the saved plan holds {secret}"
        );
    }
    // The secrets did reach the platform, where they belong.
    let state = server.state().to_string();
    for secret in [
        ENV_URL,
        ENV_PATH,
        ENV_HEADER,
        ENV_PAYLOAD,
        LITERAL_HEADER,
        LITERAL_QUERY,
        LITERAL_PASSWORD,
    ] {
        assert!(state.contains(secret), "{secret} was sent");
    }
    // The change of a secret is visible: the plan before apply showed it changing.
    assert!(
        runs[1].1.stdout.contains("(sensitive value"),
        "{}",
        runs[1].1.stdout
    );
}

/// 100 webhooks over 30 Actors and tasks, listed 40 a page: one list call a page (webhooks,
/// the account's Actors and its tasks), at most one GET a candidate webhook, no look-up of a
/// target (they all resolve from the lists), and reads overlapping.
#[test]
fn a_plan_at_the_webhook_cap_takes_few_calls_and_runs_them_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let (seed, manifest) = cap_scenario(100, 20, 10);
    std::fs::write(dir.path().join("m.yaml"), manifest).unwrap();
    let mut config = EmulatorConfig {
        seed: SeedSource::Seed(Seed::from_yaml(&seed).unwrap()),
        ..EmulatorConfig::default()
    };
    config.faults.max_page_size = Some(40);
    config.faults.latency_ms = 5;
    let server = Background::start(config);
    let out = server.run_in(dir.path(), &["plan", "m.yaml", "--detailed-exitcode"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("Plan: 0 to add, 10 to change, 0 to destroy."),
        "{}",
        out.stdout
    );

    let log = server.handle().request_log();
    let pages = |path: &str| {
        log.iter()
            .filter(|e| e.method == "GET" && e.path == path)
            .count()
    };
    let lists = pages("/v2/webhooks");
    assert_eq!(lists, 3, "100 webhooks at 40 a page are 3 pages");
    let (actor_pages, task_pages) = (pages("/v2/actors"), pages("/v2/actor-tasks"));
    assert_eq!(
        (actor_pages, task_pages),
        (1, 1),
        "20 Actors and 10 tasks: a page each"
    );
    assert!(
        log.iter()
            .filter(|e| e.path == "/v2/actors")
            .all(|e| e.query.as_deref().is_some_and(|q| q.contains("my=1"))),
        "the account's own Actors"
    );
    let mut gets: HashMap<&str, usize> = HashMap::new();
    let mut lookups: HashMap<&str, usize> = HashMap::new();
    for e in &log {
        if e.path.starts_with("/v2/webhooks/") {
            *gets.entry(&e.path).or_default() += 1;
        } else if e.path.starts_with("/v2/actors/") || e.path.starts_with("/v2/actor-tasks/") {
            *lookups.entry(&e.path).or_default() += 1;
        }
    }
    assert!(
        gets.len() <= 100 && gets.values().all(|&n| n == 1),
        "one GET per candidate: {gets:?}"
    );
    assert!(
        lookups.is_empty(),
        "own targets resolve from the lists: {lookups:?}"
    );
    let me = log.iter().filter(|e| e.path == "/v2/users/me").count();
    assert_eq!(me, 1, "one lookup of the account, for saved plans");
    assert_eq!(
        log.len(),
        lists + actor_pages + task_pages + gets.len() + me,
        "nothing else is called"
    );
    let max_concurrent = log.iter().map(|e| e.concurrent).max().unwrap();
    assert!(
        max_concurrent >= 8,
        "independent reads overlap (at most {max_concurrent} at once)"
    );
}

/// A seed with `total` owned webhooks spread over `actors` Actors and `tasks` tasks, and the
/// manifest declaring them all, every tenth with a new URL.
pub(crate) fn cap_scenario(total: usize, actors: usize, tasks: usize) -> (String, String) {
    let mut seed = String::from(
        "users:\n  - {username: acme, token: apify_api_LOCAL_EMULATOR_acme_0000000000}\nactors:\n",
    );
    for a in 0..actors {
        seed.push_str(&format!("  - {{name: acme/actor-{a}}}\n"));
    }
    if tasks > 0 {
        seed.push_str("tasks:\n");
    }
    for t in 0..tasks {
        seed.push_str(&format!(
            "  - {{name: acme/task-{t}, actor: acme/actor-0}}\n"
        ));
    }
    seed.push_str("webhooks:\n");
    let mut by_target: Vec<(String, Vec<String>)> = Vec::new();
    for i in 0..total {
        let slot = i % (actors + tasks);
        let (kind, name) = if slot < actors {
            ("actor", format!("acme/actor-{slot}"))
        } else {
            ("task", format!("acme/task-{}", slot - actors))
        };
        seed.push_str(&format!(
            "  - {{user: acme, {kind}: {name}, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://hooks.example.com/{i}', description: '[apify-webhooks owner=default key=hook-{i}]'}}\n"
        ));
        let url = if i % 10 == 0 {
            format!("https://new.example.com/{i}")
        } else {
            format!("https://hooks.example.com/{i}")
        };
        let entry = format!(
            "    - {{key: hook-{i}, eventTypes: [ACTOR.RUN.FAILED], requestUrl: '{url}'}}\n"
        );
        let section = format!("{kind}:{name}");
        match by_target.iter_mut().find(|(s, _)| *s == section) {
            Some((_, entries)) => entries.push(entry),
            None => by_target.push((section, vec![entry])),
        }
    }
    let mut manifest = String::from("version: 1\n");
    for kind in ["actor", "task"] {
        if !by_target
            .iter()
            .any(|(s, _)| s.starts_with(&format!("{kind}:")))
        {
            continue;
        }
        manifest.push_str(&format!("{kind}s:\n"));
        for (section, entries) in &by_target {
            if let Some(name) = section.strip_prefix(&format!("{kind}:")) {
                manifest.push_str(&format!("  {name}:\n"));
                for e in entries {
                    manifest.push_str(e);
                }
            }
        }
    }
    (seed, manifest)
}

/// The IDs of the keys in the emulator state (owned webhooks only).
pub(crate) fn keys_in(webhooks: &[serde_json::Value]) -> Vec<String> {
    webhooks
        .iter()
        .filter_map(|w| w["description"].as_str())
        .filter_map(|d| {
            d.rsplit_once(" key=")
                .map(|(_, k)| k.split([' ', ']']).next().unwrap_or_default().to_owned())
        })
        .collect()
}

/// Whether every (owner, key) occurs once.
pub(crate) fn no_duplicate_keys(webhooks: &[serde_json::Value]) -> bool {
    let markers: Vec<&str> = webhooks
        .iter()
        .filter_map(|w| w["description"].as_str())
        .filter_map(|d| d.rfind("[apify-webhooks owner=").map(|i| &d[i..]))
        .collect();
    markers.len() == markers.iter().collect::<HashSet<_>>().len()
}
