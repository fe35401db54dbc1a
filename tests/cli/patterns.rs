//! Patterns (issue 17): one webhook declared for many Actors and tasks, expanded against the
//! account on every plan. Against the emulator: one webhook per match, applied and converged; an
//! Actor created through the API gets exactly its webhook on the next plan; an Actor renamed on
//! the platform keeps its webhook; a saved plan goes stale when what a pattern matches changes.

use apify_webhooks::emulator::{EmulatorConfig, Seed, SeedSource};
use serde_json::{Value, json};

use crate::support::emulator::{Background, TOKEN, http};

const SEED: &str = r"
users:
  - {username: acme, token: apify_api_LOCAL_EMULATOR_acme_0000000000}
  - {username: apify}
  - {username: other, token: apify_api_other_user_token_000000000}
actors:
  - {name: acme/price-monitor}
  - {name: acme/web-scraper}
  - {name: acme/playground}
  - {name: acme/test-a}
  - {name: apify/web-scraper, isPublic: true}
  - {name: apify/acme-lookalike, isPublic: true}
  - {name: other/public-thing, isPublic: true}
tasks:
  - {name: acme/nightly-crawl, actor: acme/web-scraper}
  - {name: acme/nightly-prices, actor: acme/price-monitor}
  - {name: acme/hourly, actor: acme/price-monitor}
webhooks: []
";

const MANIFEST: &str = r#"version: 1
owner: team
actors:
  "acme/*":
    - key: failed-to-oncall
      exclude: [acme/playground, "acme/test-*"]
      eventTypes: [ACTOR.RUN.FAILED, ACTOR.RUN.TIMED_OUT]
      requestUrl: https://oncall.example.com/apify
  apify/web-scraper:
    - key: public-scraper-failed
      eventTypes: [ACTOR.RUN.FAILED]
      requestUrl: https://oncall.example.com/public
tasks:
  "acme/nightly-*":
    - key: nightly-done
      eventTypes: [ACTOR.RUN.SUCCEEDED]
      requestUrl: https://etl.example.com/loaded
  "acme/legacy-*":
    - key: legacy-done
      eventTypes: [ACTOR.RUN.SUCCEEDED]
      requestUrl: https://etl.example.com/legacy
"#;

fn server() -> Background {
    Background::start(EmulatorConfig {
        seed: SeedSource::Seed(Seed::from_yaml(SEED).unwrap()),
        ..EmulatorConfig::default()
    })
}

/// A raw API call as acme.
fn call(server: &Background, method: reqwest::Method, path: &str, body: Value) -> Value {
    let url = format!("{}{path}", server.url());
    server.block_on(async move {
        let answer = http()
            .request(method, url)
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{}", answer.status());
        answer.json::<Value>().await.unwrap()
    })
}

/// The ID of acme's Actor `name`.
fn actor_id(server: &Background, name: &str) -> String {
    let state = server.state();
    state["actors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name && a["username"] == "acme")
        .and_then(|a| a["id"].as_str())
        .unwrap_or_else(|| panic!("no Actor {name} in {state}"))
        .to_owned()
}

#[test]
fn a_pattern_gives_each_own_actor_its_webhook_and_follows_the_account() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), MANIFEST).unwrap();
    let plan = |extra: &[&str]| {
        let mut args = vec!["plan", "m.yaml", "--detailed-exitcode"];
        args.extend(extra);
        server.run_in(dir.path(), &args)
    };

    // One webhook per match, named by its for_each address.
    let first = plan(&[]);
    assert_eq!(first.code, 2, "{}{}", first.stdout, first.stderr);
    for address in [
        r#"# webhook.failed-to-oncall["acme/price-monitor"] (actor acme/price-monitor) will be created"#,
        r#"# webhook.failed-to-oncall["acme/web-scraper"] (actor acme/web-scraper) will be created"#,
        r#"# webhook.nightly-done["acme/nightly-crawl"] (task acme/nightly-crawl) will be created"#,
        r#"# webhook.nightly-done["acme/nightly-prices"] (task acme/nightly-prices) will be created"#,
        "# webhook.public-scraper-failed (actor apify/web-scraper) will be created",
    ] {
        assert!(
            first.stdout.contains(address),
            "{address}\n{}",
            first.stdout
        );
    }
    for never in [
        "acme/playground",
        "acme/test-a",
        "acme/hourly",
        "lookalike",
        "other/",
    ] {
        assert!(
            !first.stdout.contains(&format!("{never}\"]")),
            "{never}\n{}",
            first.stdout
        );
    }
    assert!(
        first
            .stdout
            .contains("Plan: 5 to add, 0 to change, 0 to destroy."),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains("`acme/*`: 2 Actors, 2 excluded (webhook.failed-to-oncall)"),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains("`acme/nightly-*`: 2 tasks (webhook.nightly-done)")
    );
    assert!(
        first.stdout.contains(
            "Warning: pattern `acme/legacy-*` of webhook.legacy-done matches no task of the account"
        ),
        "{}",
        first.stdout
    );
    let json = server.run_in(dir.path(), &["plan", "m.yaml", "--format", "json"]);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    let addresses: Vec<&str> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert!(addresses.contains(&r#"webhook.failed-to-oncall["acme/price-monitor"]"#));
    assert_eq!(doc["patterns"][0]["pattern"], "acme/*");
    assert_eq!(doc["patterns"][0]["excluded"].as_array().unwrap().len(), 2);
    let markdown = server.run_in(dir.path(), &["plan", "m.yaml", "--format", "markdown"]);
    assert!(
        markdown
            .stdout
            .contains(r#"`failed-to-oncall["acme/web-scraper"]`"#),
        "{}",
        markdown.stdout
    );

    // Applied, then nothing to do.
    let apply = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let progress = format!("{}{}", apply.stdout, apply.stderr);
    assert!(
        progress.contains(r#"webhook.failed-to-oncall["acme/web-scraper"]: Creation complete"#),
        "{progress}"
    );
    assert_eq!(server.webhooks_of("acme").len(), 5);
    let again = plan(&[]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert!(
        again
            .stdout
            .contains("No changes. Your webhooks match the configuration.")
    );

    // An Actor created through the API: the next plan adds exactly its webhook. A saved plan
    // from before it no longer applies.
    let saved = server.run_in(dir.path(), &["plan", "m.yaml", "--out", "before.json"]);
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    call(
        &server,
        reqwest::Method::POST,
        "/v2/actors",
        json!({"name": "new-actor"}),
    );
    let grown = plan(&[]);
    assert_eq!(grown.code, 2, "{}", grown.stderr);
    assert_adds_the_webhook_of_new_actor(&grown.stdout);
    let stale = server.run_in(dir.path(), &["apply", "--plan", "before.json"]);
    assert_eq!(stale.code, 3, "{}{}", stale.stdout, stale.stderr);
    assert!(
        stale
            .stderr
            .contains("the pattern `acme/*` (webhook.failed-to-oncall) matches changed"),
        "{}",
        stale.stderr
    );
    let apply = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert_eq!(server.webhooks_of("acme").len(), 6);

    // An Actor renamed on the platform keeps its webhook: no replace, no change at all.
    let id = actor_id(&server, "price-monitor");
    let before: Vec<String> = server
        .webhooks_of("acme")
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_owned())
        .collect();
    call(
        &server,
        reqwest::Method::PUT,
        &format!("/v2/actors/{id}"),
        json!({"name": "price-watcher"}),
    );
    let renamed = plan(&[]);
    assert_eq!(renamed.code, 0, "{}{}", renamed.stdout, renamed.stderr);
    assert!(renamed.stdout.contains("No changes."), "{}", renamed.stdout);
    assert!(
        renamed.stdout.contains("`acme/*`: 3 Actors, 2 excluded"),
        "{}",
        renamed.stdout
    );
    let after: Vec<String> = server
        .webhooks_of("acme")
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(before, after);

    // An Actor renamed into the exclusions loses its webhook, by its address.
    call(
        &server,
        reqwest::Method::PUT,
        &format!("/v2/actors/{id}"),
        json!({"name": "test-prices"}),
    );
    let excluded = plan(&[]);
    assert_eq!(excluded.code, 2, "{}", excluded.stderr);
    assert!(
        excluded.stdout.contains(
            r#"# webhook.failed-to-oncall["acme/test-prices"] (actor acme/test-prices) will be destroyed"#
        ),
        "{}",
        excluded.stdout
    );
    assert!(
        excluded
            .stdout
            .contains("Plan: 0 to add, 0 to change, 1 to destroy.")
    );
}

/// `preview`, `test` and `status` take a pattern's webhook by its address, or by key and
/// `--target`; a key on several targets alone is ambiguous for `test`.
#[test]
fn preview_test_and_status_take_the_address_of_a_patterns_webhook() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), MANIFEST).unwrap();
    let run = |args: &[&str]| server.run_in(dir.path(), args);
    let address = r#"failed-to-oncall["acme/web-scraper"]"#;

    // Offline: the pattern must match the target, and not exclude it.
    let preview = run(&["preview", "m.yaml", "--key", address]);
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    assert!(
        preview.stdout.starts_with(
            r#"# webhook.failed-to-oncall["acme/web-scraper"] (Actor acme/web-scraper) on ACTOR.RUN.FAILED"#
        ),
        "{}",
        preview.stdout
    );
    let by_target = run(&[
        "preview",
        "m.yaml",
        "--key",
        "failed-to-oncall",
        "--target",
        "acme/web-scraper",
    ]);
    assert_eq!(by_target.stdout, preview.stdout);
    let excluded = run(&[
        "preview",
        "m.yaml",
        "--key",
        r#"failed-to-oncall["acme/test-a"]"#,
    ]);
    assert_eq!(excluded.code, 64, "{}", excluded.stderr);
    assert!(excluded.stderr.contains("excluded"), "{}", excluded.stderr);
    let elsewhere = run(&[
        "preview",
        "m.yaml",
        "--key",
        "failed-to-oncall",
        "--target",
        "apify/web-scraper",
    ]);
    assert_eq!(elsewhere.code, 64, "{}", elsewhere.stderr);

    let apply = run(&["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);

    // `test`: a pattern's key alone names two webhooks; the address names one.
    let ambiguous = run(&[
        "test",
        "m.yaml",
        "--key",
        "failed-to-oncall",
        "--wait",
        "1s",
    ]);
    assert_eq!(ambiguous.code, 64, "{}", ambiguous.stderr);
    assert!(
        ambiguous.stderr.contains(r#"webhook.failed-to-oncall["acme/price-monitor"], webhook.failed-to-oncall["acme/web-scraper"]"#),
        "{}",
        ambiguous.stderr
    );
    let one = run(&[
        "test", "m.yaml", "--key", address, "--wait", "1s", "--format", "json",
    ]);
    let doc: Value = serde_json::from_str(&one.stdout)
        .unwrap_or_else(|_| panic!("{}{}", one.stdout, one.stderr));
    let tests = doc["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 1, "{doc}");
    assert_eq!(tests[0]["instance"], "acme/web-scraper");
    // The progress line names the webhook by the same address as the outcome.
    assert!(
        one.stderr
            .contains(r#"webhook.failed-to-oncall["acme/web-scraper"]: test dispatch "#),
        "{}",
        one.stderr
    );
    let scraper = actor_id(&server, "web-scraper");
    let hooked = server
        .webhooks_of("acme")
        .into_iter()
        .find(|w| w["condition"]["actorId"] == scraper.as_str())
        .unwrap();
    assert_eq!(tests[0]["webhookId"], hooked["id"]);

    // `status`: narrowed to the one webhook.
    let status = run(&[
        "status",
        "m.yaml",
        "--key",
        "failed-to-oncall",
        "--target",
        "acme/price-monitor",
        "--format",
        "json",
    ]);
    assert!(matches!(status.code, 0 | 5), "{}", status.stderr);
    let doc: Value = serde_json::from_str(&status.stdout).unwrap();
    let shown: Vec<&str> = doc["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["target"].as_str().unwrap())
        .collect();
    assert_eq!(shown, ["acme/price-monitor"], "{doc}");
}

/// `export --include-owned` on an account holding a pattern's webhooks: each pattern comes back
/// as one entry (`"acme/*"` with `exclude:` listing the own Actors without it), the exported
/// files plan `No changes.`, and they follow the account like the pattern they came from.
#[test]
fn export_gives_back_a_pattern_as_one_entry_that_plans_no_changes() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), MANIFEST).unwrap();
    let apply = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);

    let export = server.run_in(
        dir.path(),
        &["export", "--out", "w", "--owner", "team", "--include-owned"],
    );
    assert_eq!(export.code, 0, "{}", export.stderr);
    assert!(
        export
            .stderr
            .contains("Exported 5 webhooks in 3 files; 0 not exported."),
        "{}",
        export.stderr
    );
    let read = |p: &str| std::fs::read_to_string(dir.path().join("w").join(p)).unwrap();
    let actors = read("actors/acme/_all.yaml");
    assert!(
        actors.contains(
            "actors:\n  \"acme/*\":\n    - key: failed-to-oncall\n      exclude:\n        - acme/playground\n        - acme/test-a\n"
        ),
        "{actors}"
    );
    let tasks = read("tasks/acme/_all.yaml");
    assert!(
        tasks.contains(
            "tasks:\n  \"acme/*\":\n    - key: nightly-done\n      exclude:\n        - acme/hourly\n"
        ),
        "{tasks}"
    );
    assert!(read("actors/apify/web-scraper.yaml").contains("key: public-scraper-failed"));

    let validate = server.run_in(dir.path(), &["validate", "w"]);
    assert_eq!(validate.code, 0, "{}{}", validate.stdout, validate.stderr);
    let plan = server.run_in(dir.path(), &["plan", "w", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert!(
        plan.stdout
            .contains("`acme/*`: 2 Actors, 2 excluded (webhook.failed-to-oncall)"),
        "{}",
        plan.stdout
    );

    // The exported pattern is a pattern: an Actor created later gets the webhook.
    call(
        &server,
        reqwest::Method::POST,
        "/v2/actors",
        json!({"name": "new-actor"}),
    );
    let grown = server.run_in(dir.path(), &["plan", "w"]);
    assert_eq!(grown.code, 0, "{}", grown.stderr);
    assert_adds_the_webhook_of_new_actor(&grown.stdout);
}

/// The plan after `acme/new-actor` was created: exactly its webhook of `failed-to-oncall` to add.
fn assert_adds_the_webhook_of_new_actor(plan: &str) {
    assert!(
        plan.contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    assert!(
        plan.contains(
            r#"# webhook.failed-to-oncall["acme/new-actor"] (actor acme/new-actor) will be created"#
        ),
        "{plan}"
    );
}
