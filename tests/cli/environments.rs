//! Environments and accounts (issue 18): a project file with two environments, each its own
//! account on its own emulator, planned and applied in one run.

use std::path::Path;

use apify_webhooks::emulator::{EmulatorConfig, Seed, SeedSource};

use crate::support::emulator::{Background, TOKEN};
use crate::support::{Output, bin, run};

/// The token of `acme-prod`, the user of the second emulator.
const PROD_TOKEN: &str = "apify_api_prod_account_token_00000000";

/// The second account: its own user, Actors named like the first account's.
fn prod_seed() -> Seed {
    Seed::from_yaml(&format!(
        r"
users:
  - {{username: acme-prod, token: {PROD_TOKEN}}}
actors:
  - {{name: acme-prod/web-scraper}}
  - {{name: acme-prod/price-monitor}}
tasks:
  - {{name: acme-prod/daily-crawl, actor: acme-prod/web-scraper}}
webhooks:
  - user: acme-prod
    actor: acme-prod/web-scraper
    eventTypes: [ACTOR.RUN.FAILED]
    requestUrl: https://hooks.example.com/made-in-console
"
    ))
    .expect("the prod seed parses")
}

/// Two accounts: `staging` (acme, the test seed) and `prod` (acme-prod), each on its own
/// emulator.
struct Accounts {
    staging: Background,
    prod: Background,
}

impl Accounts {
    fn start() -> Self {
        Accounts {
            staging: Background::start(crate::support::emulator::config()),
            prod: Background::start(EmulatorConfig {
                seed: SeedSource::Seed(prod_seed()),
                ..EmulatorConfig::default()
            }),
        }
    }

    /// A repository with a shared manifest (an Actor reference by var, a secret header) and a
    /// staging-only one, and the project file naming both accounts.
    fn repo(&self) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("webhooks/common")).unwrap();
        std::fs::create_dir_all(root.join("webhooks/staging")).unwrap();
        std::fs::write(
            root.join("webhooks/common/scraper.yaml"),
            "version: 1\nactors:\n  ${ORG}/web-scraper:\n    - key: scraper-failed\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: ${RECEIVER}/failed\n      headersTemplate:\n        Authorization: Bearer ${RECEIVER_SECRET}\n",
        )
        .unwrap();
        std::fs::write(
            root.join("webhooks/staging/extra.yaml"),
            "version: 1\ntasks:\n  acme/daily-crawl:\n    - key: crawl-done\n      eventTypes: [ACTOR.RUN.SUCCEEDED]\n      requestUrl: https://staging-hooks.example.com/done\n",
        )
        .unwrap();
        std::fs::write(
            root.join("apify-webhooks.yaml"),
            format!(
                "# yaml-language-server: $schema=../schemas/project.schema.json\nversion: 1\nenvironments:\n  staging:\n    manifests: [webhooks/common, webhooks/staging]\n    owner: acme\n    token: STAGING_TOKEN\n    apiUrl: {}\n    vars:\n      ORG: acme\n      RECEIVER: https://staging-hooks.example.com\n  prod:\n    manifests: [webhooks/common]\n    owner: acme\n    token: PROD_TOKEN\n    apiUrl: {}\n    vars:\n      ORG: acme-prod\n      RECEIVER: https://hooks.example.com\n",
                self.staging.url(),
                self.prod.url()
            ),
        )
        .unwrap();
        dir
    }

    /// Runs the binary in `dir` with both tokens set (and no `APIFY_TOKEN`).
    #[expect(
        clippy::unused_self,
        reason = "called on the accounts it runs against, which must be running"
    )]
    fn run(&self, dir: &Path, args: &[&str]) -> Output {
        run(bin()
            .current_dir(dir)
            .env("STAGING_TOKEN", TOKEN)
            .env("PROD_TOKEN", PROD_TOKEN)
            .env("RECEIVER_SECRET", "s3cr3t-receiver-value")
            .env("APIFY_WEBHOOKS_RETRY_BASE_MS", "1")
            .args(args))
    }
}

#[test]
fn one_plan_shows_every_environment_with_its_vars_and_masks_secrets() {
    let accounts = Accounts::start();
    let repo = accounts.repo();
    let out = accounts.run(repo.path(), &["plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    println!("{}", out.stdout);
    assert!(
        out.stdout.contains("Environment `staging`"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Environment `prod`"), "{}", out.stdout);
    assert!(out.stdout.contains("https://hooks.example.com/failed"));
    assert!(out.stdout.contains("vars: ORG=acme-prod"));
    assert!(!out.stdout.contains("s3cr3t-receiver-value"));
    assert!(
        out.stdout
            .contains("Total: 3 to add, 0 to change, 0 to destroy in 2 environments."),
        "{}",
        out.stdout
    );
}

/// Whether every request `server` received came from `user` (so no other token reached it).
fn only_user(server: &Background, user: &str) -> bool {
    let log = server.handle().request_log();
    !log.is_empty()
        && log
            .iter()
            .all(|e| e.user.as_deref() == Some(user) && e.status != Some(401))
}

/// Whether `server` received no write.
fn nothing_written(server: &Background) -> bool {
    server
        .handle()
        .request_log()
        .iter()
        .all(|e| e.method == "GET")
}

/// The keys of the managed webhooks of `user` (from their ownership markers).
fn managed_keys(server: &Background, user: &str) -> Vec<String> {
    let mut keys: Vec<String> = server
        .webhooks_of(user)
        .iter()
        .filter_map(|w| w["description"].as_str())
        .filter_map(|d| {
            let rest = &d[d.find("[apify-webhooks")?..];
            let key = rest
                .split_whitespace()
                .find_map(|a| a.strip_prefix("key="))?;
            Some(key.trim_end_matches(']').to_owned())
        })
        .collect();
    keys.sort();
    keys
}

#[test]
fn json_and_markdown_show_every_environment_its_vars_and_never_a_secret() {
    let accounts = Accounts::start();
    let repo = accounts.repo();
    let json = accounts.run(repo.path(), &["plan", "--format", "json"]);
    assert_eq!(json.code, 0, "{json:?}");
    assert!(!json.stdout.contains("s3cr3t-receiver-value"));
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["format_version"], "1.5");
    assert_eq!(doc["summary"]["add"], 3);
    let envs = doc["environments"].as_array().unwrap();
    assert_eq!(envs.len(), 2);
    assert_eq!(envs[0]["name"], "staging");
    assert_eq!(envs[1]["vars"]["ORG"], "acme-prod");
    assert_eq!(
        envs[1]["plan"]["changes"][0]["target"]["name"],
        "acme-prod/web-scraper"
    );
    let schema: serde_json::Value =
        serde_json::from_str(apify_webhooks::render::plan::PLAN_SCHEMA_JSON).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let md = accounts.run(repo.path(), &["plan", "--format", "markdown"]);
    assert_eq!(md.code, 0, "{md:?}");
    assert!(
        md.stdout.contains("### Environment `staging`"),
        "{}",
        md.stdout
    );
    assert!(md.stdout.contains("### Environment `prod`"));
    assert!(md.stdout.contains("ORG=acme-prod"));
    assert!(md.stdout.contains("Total: 3 to add"));
    assert!(!md.stdout.contains("s3cr3t-receiver-value"));
    assert!(md.stdout.len() < 65_536);
}

#[test]
fn one_apply_gives_each_account_its_own_webhooks_and_each_token_only_its_own_api() {
    let accounts = Accounts::start();
    let repo = accounts.repo();
    let out = accounts.run(repo.path(), &["apply", "--auto-approve"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        managed_keys(&accounts.staging, "acme"),
        ["crawl-done", "scraper-failed"]
    );
    assert_eq!(
        managed_keys(&accounts.prod, "acme-prod"),
        ["scraper-failed"]
    );
    // The prod webhook went to the prod receiver, on the prod account's Actor.
    let prod = accounts.prod.webhooks_of("acme-prod");
    assert!(
        prod.iter()
            .any(|w| w["requestUrl"] == "https://hooks.example.com/failed"),
        "{prod:#?}"
    );
    // Each emulator only ever saw its own account's token.
    assert!(only_user(&accounts.staging, "acme"));
    assert!(only_user(&accounts.prod, "acme-prod"));
    // And a second plan is empty everywhere.
    let again = accounts.run(repo.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        again.stdout.contains("No changes in 2 environments."),
        "{}",
        again.stdout
    );
}

#[test]
fn env_selects_the_environments_a_command_runs() {
    let accounts = Accounts::start();
    let repo = accounts.repo();
    let plan = accounts.run(
        repo.path(),
        &["plan", "--env", "prod", "--detailed-exitcode"],
    );
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(plan.stdout.contains("Environment `prod`"));
    assert!(!plan.stdout.contains("Environment `staging`"));
    assert!(
        accounts.staging.handle().request_log().is_empty(),
        "staging not read"
    );
    let apply = accounts.run(repo.path(), &["apply", "--env", "prod", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert_eq!(
        managed_keys(&accounts.prod, "acme-prod"),
        ["scraper-failed"]
    );
    assert!(managed_keys(&accounts.staging, "acme").is_empty());
    let unknown = accounts.run(repo.path(), &["plan", "--env", "prd"]);
    assert_eq!(unknown.code, 64, "{unknown:?}");
    assert!(
        unknown.stderr.contains("did you mean `prod`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn a_stale_environment_refuses_the_whole_saved_plan() {
    let accounts = Accounts::start();
    let repo = accounts.repo();
    let plan = accounts.run(repo.path(), &["plan", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo.path().join("plan.json")).unwrap())
            .unwrap();
    assert_eq!(saved["environments"].as_array().unwrap().len(), 2);
    assert_eq!(saved["environments"][1]["vars"]["ORG"], "acme-prod");
    // prod moves on without the saved plan.
    let moved = accounts.run(repo.path(), &["apply", "--env", "prod", "--auto-approve"]);
    assert_eq!(moved.code, 0, "{moved:?}");
    accounts.staging.handle().clear_request_log();
    let out = accounts.run(repo.path(), &["apply", "--plan", "plan.json"]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("environment `prod`"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("Nothing was changed in any environment."),
        "{}",
        out.stderr
    );
    assert!(nothing_written(&accounts.staging), "staging untouched");
    assert!(managed_keys(&accounts.staging, "acme").is_empty());
}

#[test]
fn changed_vars_make_a_saved_plan_stale_before_anything_is_read() {
    let accounts = Accounts::start();
    let repo = accounts.repo();
    let plan = accounts.run(repo.path(), &["plan", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let project = repo.path().join("apify-webhooks.yaml");
    let text = std::fs::read_to_string(&project).unwrap();
    std::fs::write(
        &project,
        text.replace(
            "https://hooks.example.com\n",
            "https://new-hooks.example.com\n",
        ),
    )
    .unwrap();
    accounts.staging.handle().clear_request_log();
    accounts.prod.handle().clear_request_log();
    let out = accounts.run(repo.path(), &["apply", "--plan", "plan.json"]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("environment `prod`"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the environment's vars in the project file changed"),
        "{}",
        out.stderr
    );
    assert!(accounts.staging.handle().request_log().is_empty());
    assert!(accounts.prod.handle().request_log().is_empty());
}

#[test]
fn a_saved_plan_of_every_environment_applies_as_reviewed() {
    let accounts = Accounts::start();
    let repo = accounts.repo();
    let plan = accounts.run(repo.path(), &["plan", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let out = accounts.run(repo.path(), &["apply", "--plan", "plan.json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(managed_keys(&accounts.staging, "acme").len(), 2);
    assert_eq!(managed_keys(&accounts.prod, "acme-prod").len(), 1);
}

#[test]
fn a_missing_token_writes_nothing_anywhere() {
    let accounts = Accounts::start();
    let repo = accounts.repo();
    let out = run(bin()
        .current_dir(repo.path())
        .env("STAGING_TOKEN", TOKEN)
        .env("RECEIVER_SECRET", "x")
        .args(["apply", "--auto-approve"]));
    assert_eq!(out.code, 64, "{out:?}");
    assert!(out.stderr.contains("environment `prod`"), "{}", out.stderr);
    assert!(out.stderr.contains("PROD_TOKEN"), "{}", out.stderr);
    assert!(nothing_written(&accounts.staging));
    assert!(nothing_written(&accounts.prod));
    assert!(managed_keys(&accounts.staging, "acme").is_empty());
}

#[test]
fn a_missing_variable_or_a_secret_in_a_reference_names_its_environment() {
    let accounts = Accounts::start();
    let repo = accounts.repo();
    let out = run(bin()
        .current_dir(repo.path())
        .env("STAGING_TOKEN", TOKEN)
        .env("PROD_TOKEN", PROD_TOKEN)
        .args(["apply", "--auto-approve"]));
    assert_eq!(out.code, 65, "{out:?}");
    assert!(
        out.stderr.contains("environment `staging`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("RECEIVER_SECRET"), "{}", out.stderr);
    assert!(nothing_written(&accounts.staging) && nothing_written(&accounts.prod));

    // A secret (from the process environment) may not name an Actor.
    std::fs::write(
        repo.path().join("webhooks/common/secret-ref.yaml"),
        "version: 1\nactors:\n  ${RECEIVER_SECRET}/web-scraper:\n    - key: by-secret\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: https://x.example.com/\n",
    )
    .unwrap();
    let out = accounts.run(repo.path(), &["plan"]);
    assert_eq!(out.code, 65, "{out:?}");
    assert!(
        out.stderr
            .contains("`${RECEIVER_SECRET}` in an Actor reference is a secret"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("secret-ref.yaml:3:3"), "{}", out.stderr);
    assert!(!out.stderr.contains("s3cr3t-receiver-value"));
}

#[test]
fn twin_environments_on_one_account_and_owner_are_refused_before_any_write() {
    let accounts = Accounts::start();
    let repo = accounts.repo();
    // prod's token now opens the staging account, with the same owner.
    let out = run(bin()
        .current_dir(repo.path())
        .env("STAGING_TOKEN", TOKEN)
        .env("PROD_TOKEN", TOKEN)
        .env("RECEIVER_SECRET", "x")
        .args(["apply", "--auto-approve", "--project", "twins.yaml"])
        .env("UNUSED", {
            std::fs::write(
                repo.path().join("twins.yaml"),
                format!(
                    "version: 1\nenvironments:\n  staging:\n    manifests: [webhooks/common]\n    owner: acme\n    token: STAGING_TOKEN\n    apiUrl: {url}\n    vars: {{ORG: acme, RECEIVER: https://a.example.com}}\n  prod:\n    manifests: [webhooks/common]\n    owner: acme\n    token: PROD_TOKEN\n    apiUrl: {url}\n    vars: {{ORG: acme, RECEIVER: https://b.example.com}}\n",
                    url = accounts.staging.url()
                ),
            )
            .unwrap();
            "1"
        }));
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr
            .contains("environments `staging` and `prod` resolve to the same account"),
        "{}",
        out.stderr
    );
    assert!(nothing_written(&accounts.staging));
}

#[test]
fn destroy_env_empties_only_that_environment_and_leaves_unmanaged_webhooks() {
    let accounts = Accounts::start();
    let repo = accounts.repo();
    let out = accounts.run(repo.path(), &["apply", "--auto-approve"]);
    assert_eq!(out.code, 0, "{out:?}");
    let before = accounts.staging.webhooks_of("acme").len();
    // Without a terminal and without --auto-approve: refused.
    let refused = accounts.run(repo.path(), &["destroy", "--env", "staging"]);
    assert_eq!(refused.code, 64, "{refused:?}");
    assert!(
        refused.stderr.contains("--auto-approve"),
        "{}",
        refused.stderr
    );
    assert_eq!(managed_keys(&accounts.staging, "acme").len(), 2);

    let out = accounts.run(
        repo.path(),
        &["destroy", "--env", "staging", "--auto-approve"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("will be destroyed"), "{}", out.stdout);
    assert!(managed_keys(&accounts.staging, "acme").is_empty());
    assert_eq!(
        accounts.staging.webhooks_of("acme").len(),
        before - 2,
        "unmanaged kept"
    );
    assert_eq!(
        managed_keys(&accounts.prod, "acme-prod"),
        ["scraper-failed"]
    );
    assert_eq!(accounts.prod.webhooks_of("acme-prod").len(), 2);
}

#[test]
fn destroy_without_a_project_file_deletes_the_owners_webhooks_only() {
    let server = Background::start(crate::support::emulator::config());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hooks.yaml"),
        "version: 1\nowner: team-a\nactors:\n  acme/web-scraper:\n    - key: a\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: https://a.example.com/\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("other.yaml"),
        "version: 1\nowner: team-b\nactors:\n  acme/web-scraper:\n    - key: b\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: https://b.example.com/\n",
    )
    .unwrap();
    for file in ["hooks.yaml", "other.yaml"] {
        let out = server.run_in(dir.path(), &["apply", "--auto-approve", file]);
        assert_eq!(out.code, 0, "{out:?}");
    }
    let before = server.webhooks_of("acme").len();
    let out = server.run_in(dir.path(), &["destroy", "--auto-approve", "hooks.yaml"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("webhook.a"), "{}", out.stdout);
    assert!(!out.stdout.contains("webhook.b"), "{}", out.stdout);
    assert_eq!(
        server.webhooks_of("acme").len(),
        before - 1,
        "team-b's webhook kept"
    );
}

#[test]
fn local_gives_each_environment_its_own_user_in_one_emulator() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("webhooks")).unwrap();
    std::fs::write(
        root.join("webhooks/hooks.yaml"),
        "version: 1\nactors:\n  ${ORG}/web-scraper:\n    - key: scraper-failed\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: ${RECEIVER}/failed\n",
    )
    .unwrap();
    std::fs::write(
        root.join("apify-webhooks.yaml"),
        "version: 1\nenvironments:\n  staging:\n    manifests: [webhooks]\n    vars: {ORG: staging, RECEIVER: https://staging.example.com}\n  prod:\n    manifests: [webhooks]\n    vars: {ORG: prod, RECEIVER: https://prod.example.com}\n",
    )
    .unwrap();
    let out = run(bin()
        .current_dir(root)
        .args(["apply", "--local", "--auto-approve"]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Total: 2 to add"), "{}", out.stdout);
    let again = run(bin()
        .current_dir(root)
        .args(["plan", "--local", "--detailed-exitcode"]));
    assert_eq!(again.code, 0, "{again:?}");
    // Each environment's user holds its own webhook in the local state.
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(".apify-webhooks/project-state.json")).unwrap(),
    )
    .unwrap();
    let user_id = |name: &str| {
        state["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .and_then(|u| u["id"].as_str())
            .unwrap()
            .to_owned()
    };
    for (env, url) in [
        ("staging", "https://staging.example.com/failed"),
        ("prod", "https://prod.example.com/failed"),
    ] {
        let id = user_id(env);
        let urls: Vec<&str> = state["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["userId"] == id.as_str())
            .filter_map(|w| w["requestUrl"].as_str())
            .collect();
        assert_eq!(urls, [url], "{env}");
    }
}

/// Copies a folder tree.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The GitHub pipeline's scripts in a repository with a project file: the pull request's plan
/// is one comment with every environment, and the merge applies that saved plan to every
/// account.
#[test]
fn the_github_pipeline_plans_every_environment_in_one_comment_and_applies_on_merge() {
    let accounts = Accounts::start();
    let repo = accounts.repo();
    copy_dir(
        &crate::support::root().join("examples/gitops/github/.github"),
        &repo.path().join(".github"),
    );
    let step = |name: &str| {
        let binary = std::path::PathBuf::from(env!("CARGO_BIN_EXE_apify-webhooks"));
        let path = format!(
            "{}:{}",
            binary.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = std::process::Command::new("bash");
        for (key, value) in bin().get_envs() {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        run(cmd
            .arg(format!(".github/apify-webhooks/{name}"))
            .current_dir(repo.path())
            .env("PATH", path)
            .env("STAGING_TOKEN", TOKEN)
            .env("PROD_TOKEN", PROD_TOKEN)
            .env("RECEIVER_SECRET", "s3cr3t-receiver-value")
            .env("APIFY_WEBHOOKS_RETRY_BASE_MS", "1"))
    };
    let plan = step("plan.sh");
    assert_eq!(plan.code, 0, "{plan:?}");
    let comment = std::fs::read_to_string(repo.path().join("plan.md")).unwrap();
    assert!(comment.contains("### Environment `staging`"), "{comment}");
    assert!(comment.contains("### Environment `prod`"), "{comment}");
    assert!(comment.contains("Total: 3 to add"), "{comment}");
    assert!(!comment.contains("s3cr3t-receiver-value"));
    assert!(nothing_written(&accounts.staging) && nothing_written(&accounts.prod));
    let apply = step("apply.sh");
    assert_eq!(apply.code, 0, "{apply:?}");
    assert_eq!(managed_keys(&accounts.staging, "acme").len(), 2);
    assert_eq!(
        managed_keys(&accounts.prod, "acme-prod"),
        ["scraper-failed"]
    );
}

#[test]
fn the_example_project_file_is_valid_and_points_editors_at_its_schema() {
    let path = crate::support::root().join("examples/project/apify-webhooks.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("# yaml-language-server: $schema=../../schemas/project.schema.json\n"),
        "{text}"
    );
    let project = apify_webhooks::project::load(&path).unwrap();
    assert_eq!(project.environments.len(), 2);
    // The committed schema accepts it too, and refuses a misspelt field.
    let source = std::sync::Arc::new(apify_webhooks::diagnostic::SourceFile::new("p", text));
    let (root, _) = apify_webhooks::manifest::yaml::parse(&source).unwrap();
    let mut doc = root.unwrap().to_json(&source).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(apify_webhooks::project::SCHEMA_JSON).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&doc));
    doc["environments"]["prod"]["tokn"] = serde_json::json!("X");
    assert!(!validator.is_valid(&doc));
    // Planning it without the tokens names the environment, and writes nothing.
    let out = run(bin()
        .env("PAGERDUTY_ROUTING_KEY", "k")
        .env("SLACK_WEBHOOK_PATH", "T/B/x")
        .env("ARCHIVE_API_TOKEN", "t")
        .args(["plan", "--project"])
        .arg(&path));
    assert_eq!(out.code, 64, "{out:?}");
    assert!(
        out.stderr.contains("environment `staging`"),
        "{}",
        out.stderr
    );
}

#[test]
fn status_reports_every_environment_in_one_document() {
    let accounts = Accounts::start();
    let repo = accounts.repo();
    let out = accounts.run(repo.path(), &["apply", "--auto-approve"]);
    assert_eq!(out.code, 0, "{out:?}");
    let text = accounts.run(repo.path(), &["status"]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stdout.contains("── Environment `staging` ──"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("── Environment `prod` ──"),
        "{}",
        text.stdout
    );
    let json = accounts.run(
        repo.path(),
        &["status", "--env", "prod", "--format", "json"],
    );
    assert_eq!(json.code, 0, "{json:?}");
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let envs = doc["environments"].as_array().unwrap();
    assert_eq!(envs.len(), 1);
    assert_eq!(envs[0]["name"], "prod");
    assert_eq!(envs[0]["report"]["webhooks"][0]["key"], "scraper-failed");
    assert!(only_user(&accounts.prod, "acme-prod"));
}
