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
