//! `export` end to end (issue 10): an account seeded with a dozen webhooks of every class is
//! exported, the printed variables are set, `plan` shows only adoptions, `apply` makes them,
//! and `plan` says `No changes.`; secrets never reach a file or the output unless asked for.
//! Issue 16: names with dots, case and length, control characters set through bash's `eval`,
//! all files or none, and a property test over random accounts of every class.

use std::fmt::Write as _;
use std::path::Path;

use apify_webhooks::emulator::{EmulatorConfig, Seed, SeedSource};

use crate::support::emulator::Background;
use crate::support::{root, run};

/// The secrets planted in the seed.
const PLANTED: [&str; 4] = [
    "hdr-5ecret-planted-1",
    "url-5ecret-userinfo",
    "url-5ecret-query",
    "other-5ecret",
];

fn account() -> Background {
    let seed = std::fs::read_to_string(root().join("tests/fixtures/export/seed.yaml")).unwrap();
    Background::start(EmulatorConfig {
        seed: SeedSource::Seed(Seed::from_yaml(&seed).unwrap()),
        ..EmulatorConfig::default()
    })
}

/// `export --out w --owner team EXTRA --print-secrets` in `dir`.
fn export_to_w(server: &Background, dir: &Path, extra: &[&str]) -> crate::support::Output {
    let mut args = vec!["export", "--out", "w", "--owner", "team"];
    args.extend_from_slice(extra);
    args.push("--print-secrets");
    run(server.bin().current_dir(dir).args(args))
}

/// `apify-webhooks ARGS` in `dir`, with the variables export printed set.
fn run_with_vars(
    server: &Background,
    dir: &Path,
    vars: &[(String, String)],
    args: &[&str],
) -> crate::support::Output {
    run(server
        .bin()
        .current_dir(dir)
        .envs(vars.iter().cloned())
        .args(args))
}

/// Export printed exactly the variables the written manifests reference, each once.
fn assert_printed_are_referenced(
    manifests: &[&(String, String)],
    vars: &[(String, String)],
    stdout: &str,
) {
    let mut used: Vec<String> = manifests.iter().flat_map(|(_, t)| references(t)).collect();
    used.sort();
    used.dedup();
    let mut printed: Vec<String> = vars.iter().map(|(n, _)| n.clone()).collect();
    printed.sort();
    assert_eq!(printed, used, "{stdout}");
}

/// Every file below `dir`, as (relative path, text), sorted.
fn files_below(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// `export NAME='value'` lines as pairs.
fn parse_set_commands(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("export ")?;
            let (name, value) = rest.split_once('=')?;
            let value = value.strip_prefix('\'')?.strip_suffix('\'')?;
            Some((name.to_owned(), value.replace("'\\''", "'")))
        })
        .collect()
}

#[test]
fn export_round_trips_through_plan_and_apply() {
    let server = account();
    let before = server.webhooks_of("acme");
    let dir = tempfile::tempdir().unwrap();
    let out = run(server.bin().current_dir(dir.path()).args([
        "export",
        "--owner",
        "team",
        "--include-owned",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let files = files_below(dir.path());
    let manifests: Vec<&(String, String)> = files
        .iter()
        .filter(|(p, _)| Path::new(p).extension().is_some_and(|e| e == "yaml"))
        .collect();
    assert_eq!(
        manifests
            .iter()
            .map(|(p, _)| p.as_str())
            .collect::<Vec<_>>(),
        [
            "actors/acme/price-monitor.yaml",
            "actors/acme/web-scraper.yaml",
            "tasks/acme/daily-crawl.yaml"
        ]
    );
    for (path, text) in &manifests {
        insta::assert_snapshot!(format!("export_{}", path.replace('/', "_")), text);
    }
    let all = format!("{}{}", out.stdout, out.stderr);
    for (_, text) in &files {
        for secret in PLANTED {
            assert!(!text.contains(secret), "{secret} written: {text}");
        }
    }
    for secret in PLANTED {
        assert!(!all.contains(secret), "{secret} printed: {all}");
    }
    // The variables to set are named on stderr.
    for name in [
        "WEB_SCRAPER_FAILED_TIMED_OUT_AUTHORIZATION",
        "WEB_SCRAPER_FAILED_TIMED_OUT_2_URL_USERINFO",
        "WEB_SCRAPER_FAILED_TIMED_OUT_2_TOKEN",
    ] {
        assert!(out.stderr.contains(name), "{name}: {}", out.stderr);
    }

    // --print-secrets prints the commands, with a warning.
    let printed = run(server.bin().current_dir(dir.path()).args([
        "export",
        "--owner",
        "team",
        "--include-owned",
        "--print-secrets",
        "--out",
        "elsewhere",
    ]));
    assert_eq!(printed.code, 0, "{}", printed.stderr);
    assert!(
        printed.stderr.contains("warning: --print-secrets"),
        "{}",
        printed.stderr
    );
    let vars = parse_set_commands(&printed.stdout);
    assert_eq!(vars.len(), 5, "{}", printed.stdout);
    assert!(vars.iter().any(|(_, v)| v == "Bearer hdr-5ecret-planted-1"));

    let plan = run_with_vars(&server, dir.path(), &vars, &["plan", "actors", "tasks"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout
            .contains("Plan: 4 to adopt, 0 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    for secret in PLANTED {
        assert!(!plan.stdout.contains(secret), "{}", plan.stdout);
    }
    let apply = run_with_vars(
        &server,
        dir.path(),
        &vars,
        &["apply", "--auto-approve", "actors", "tasks"],
    );
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let again = run_with_vars(&server, dir.path(), &vars, &["plan", "actors", "tasks"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    // Nothing out of scope, foreign or skipped was touched; the adopted kept their IDs.
    let after = server.webhooks_of("acme");
    assert_eq!(before.len(), after.len());
    for w in &before {
        let id = w["id"].as_str().unwrap();
        let now = after.iter().find(|a| a["id"] == w["id"]).expect(id);
        if [
            "ScraperFailed0001",
            "ScraperFailed0002",
            "ScraperBuild00001",
            "CrawlDone00000001",
            "OwnedPrices000001",
        ]
        .contains(&id)
        {
            continue;
        }
        assert_eq!(w, now, "{id} was touched");
    }
    for id in [
        "ScraperFailed0001",
        "ScraperFailed0002",
        "ScraperBuild00001",
        "CrawlDone00000001",
    ] {
        let now = after.iter().find(|a| a["id"] == id).unwrap();
        assert!(
            now["description"]
                .as_str()
                .unwrap()
                .contains("[apify-webhooks owner=team key="),
            "{now}"
        );
    }
}

#[test]
fn planted_secrets_reach_no_file_and_no_output_unless_asked_for() {
    let server = account();
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["export", "--include-owned"][..],
        &["export", "--stdout"][..],
        &["export", "--stdout", "-v"][..],
    ] {
        let out = run(server.bin().current_dir(dir.path()).args(args));
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        let all = format!("{}{}", out.stdout, out.stderr);
        for secret in PLANTED {
            assert!(!all.contains(secret), "{args:?} printed {secret}: {all}");
        }
    }
    for (path, text) in files_below(dir.path()) {
        for secret in PLANTED {
            assert!(!text.contains(secret), "{path} holds {secret}");
        }
    }
    // Asked for: in the files with --include-secrets (and a warning), on stdout with
    // --print-secrets (and a warning); never another user's.
    let out = run(server.bin().current_dir(dir.path()).args([
        "export",
        "--include-secrets",
        "--out",
        "verbatim",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("warning: --include-secrets"),
        "{}",
        out.stderr
    );
    let written: String = files_below(&dir.path().join("verbatim"))
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    for secret in &PLANTED[..3] {
        assert!(written.contains(secret), "{secret} not written verbatim");
    }
    assert!(
        !written.contains(PLANTED[3]),
        "another user's webhook exported"
    );
    let out =
        run(server
            .bin()
            .current_dir(dir.path())
            .args(["export", "--stdout", "--print-secrets"]));
    assert_eq!(
        out.code, 64,
        "--print-secrets goes to stdout, so not with --stdout"
    );
}

#[test]
fn export_refuses_to_overwrite_unless_forced_and_stdout_writes_no_file() {
    let server = account();
    let dir = tempfile::tempdir().unwrap();
    let first = run(server
        .bin()
        .current_dir(dir.path())
        .args(["export", "--out", "m"]));
    assert_eq!(first.code, 0, "{}", first.stderr);
    let path = dir.path().join("m/actors/acme/web-scraper.yaml");
    std::fs::write(&path, "# edited by hand\n").unwrap();
    let again = run(server
        .bin()
        .current_dir(dir.path())
        .args(["export", "--out", "m"]));
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(
        again.stderr.contains("refusing to overwrite"),
        "{}",
        again.stderr
    );
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "# edited by hand\n"
    );
    let forced = run(server
        .bin()
        .current_dir(dir.path())
        .args(["export", "--out", "m", "--force"]));
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("# yaml-language-server: $schema=../../manifest.schema.json\n"),
        "{text}"
    );
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["web-scraper.yaml"]);

    let empty = tempfile::tempdir().unwrap();
    let out = run(server
        .bin()
        .current_dir(empty.path())
        .args(["export", "--stdout"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        std::fs::read_dir(empty.path()).unwrap().next().is_none(),
        "--stdout wrote a file"
    );
    assert!(
        out.stdout
            .contains("# file: actors/acme/web-scraper.yaml\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("#   - AdHoc000000000001: ad-hoc (made for one run)"),
        "{}",
        out.stdout
    );
}

/// A manifest that renames `prices/succeeded` (owned by `team` in the seed) to
/// `prices/refreshed`, and changes its URL too when `url` says so.
fn renamed(url: &str) -> String {
    format!(
        "version: 1\nowner: team\nactors:\n  acme/price-monitor:\n    - key: prices/refreshed\n      previousKeys: [prices/old-name, prices/succeeded]\n      description: Prices\n      eventTypes: [ACTOR.RUN.SUCCEEDED]\n      requestUrl: {url}\n"
    )
}

#[test]
fn a_rename_remarks_the_webhook_in_place_and_keeps_its_id() {
    let server = account();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        renamed("https://hooks.example.com/prices"),
    )
    .unwrap();
    let id_of = |key: &str| -> Vec<String> {
        server
            .webhooks_of("acme")
            .iter()
            .filter(|w| {
                w["description"]
                    .as_str()
                    .is_some_and(|d| d.contains(&format!("owner=team key={key} ")))
            })
            .map(|w| w["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(id_of("prices/succeeded"), ["OwnedPrices000001"]);
    let count = server.webhooks_of("acme").len();

    let plan = server.run_in(dir.path(), &["plan", "m.yaml"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout.contains(
            "  # webhook.prices/succeeded has moved to webhook.prices/refreshed\n  # webhook.prices/refreshed (actor acme/price-monitor) will be updated in-place\n"
        ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("will be destroyed"),
        "{}",
        plan.stdout
    );
    let json = server.run_in(dir.path(), &["plan", "m.yaml", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let change = &doc["changes"][0];
    assert_eq!(
        change["previous_address"], "webhook.prices/succeeded",
        "{change}"
    );
    assert_eq!(change["action_reason"], "update_because_moved", "{change}");
    assert_eq!(change["webhook_id"], "OwnedPrices000001");
    let fields: Vec<&str> = change["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["key"], "only the marker changes: {change}");
    let md = server.run_in(dir.path(), &["plan", "m.yaml", "--format", "markdown"]);
    assert!(
        md.stdout.contains("moved from `webhook.prices/succeeded`"),
        "{}",
        md.stdout
    );

    // Through a saved plan, as a pipeline applies it.
    let saved = server.run_in(dir.path(), &["plan", "m.yaml", "--out", "p.json"]);
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    let apply = server.run_in(dir.path(), &["apply", "--plan", "p.json"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert_eq!(
        id_of("prices/refreshed"),
        ["OwnedPrices000001"],
        "same ID after the move"
    );
    assert!(id_of("prices/succeeded").is_empty());
    assert_eq!(
        server.webhooks_of("acme").len(),
        count,
        "nothing created or deleted"
    );
    let again = server.run_in(dir.path(), &["plan", "m.yaml"]);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    // A move with another change is one update: the marker and the field, still in place.
    std::fs::write(
        dir.path().join("m.yaml"),
        renamed("https://hooks.example.com/p2"),
    )
    .unwrap();
    let moved_back = std::fs::read_to_string(dir.path().join("m.yaml"))
        .unwrap()
        .replace("key: prices/refreshed", "key: prices/final")
        .replace("prices/old-name, prices/succeeded", "prices/refreshed");
    std::fs::write(dir.path().join("m.yaml"), moved_back).unwrap();
    let both = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(both.code, 0, "{}", both.stderr);
    assert!(
        both.stdout
            .contains("# webhook.prices/refreshed has moved to webhook.prices/final"),
        "{}",
        both.stdout
    );
    assert!(both.stdout.contains("requestUrl"), "{}", both.stdout);
    assert_eq!(id_of("prices/final"), ["OwnedPrices000001"]);
}

#[test]
fn a_previous_key_declared_elsewhere_or_claimed_twice_is_an_error_at_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let entry = |key: &str, previous: &str| {
        format!(
            "    - key: {key}\n      previousKeys: [{previous}]\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: https://h.example/x\n"
        )
    };
    let head = "version: 1\nactors:\n  acme/a:\n";
    std::fs::write(
        dir.path().join("declared.yaml"),
        format!("{head}{}{}", entry("new", "old"), entry("old", "other")),
    )
    .unwrap();
    let out = run(crate::support::bin()
        .current_dir(dir.path())
        .args(["validate", "declared.yaml"]));
    assert_eq!(out.code, 65, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "error: previous key `old` is also declared as a key\n --> declared.yaml:5:22"
        ),
        "{}",
        out.stderr
    );
    std::fs::write(
        dir.path().join("twice.yaml"),
        format!("{head}{}{}", entry("a", "old"), entry("b", "old")),
    )
    .unwrap();
    let out = run(crate::support::bin()
        .current_dir(dir.path())
        .args(["validate", "twice.yaml"]));
    assert_eq!(out.code, 65, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "error: previous key `old` is claimed twice (by `a` and `b`)\n --> twice.yaml:9:22"
        ),
        "{}",
        out.stderr
    );
    std::fs::write(
        dir.path().join("own.yaml"),
        format!("{head}{}", entry("a", "a")),
    )
    .unwrap();
    let out = run(crate::support::bin()
        .current_dir(dir.path())
        .args(["validate", "own.yaml"]));
    assert_eq!(out.code, 65, "{}", out.stderr);
    assert!(
        out.stderr.contains("`a` is this entry's own key"),
        "{}",
        out.stderr
    );
    std::fs::write(
        dir.path().join("bad.yaml"),
        format!("{head}{}", entry("a", "\"bad key\"")),
    )
    .unwrap();
    let out = run(crate::support::bin()
        .current_dir(dir.path())
        .args(["validate", "bad.yaml"]));
    assert_eq!(out.code, 65, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "error: invalid previous key `bad key`: ` ` is not allowed\n --> bad.yaml:5:22"
        ),
        "{}",
        out.stderr
    );
}

/// An emulator seeded with `yaml`.
fn account_from(yaml: &str) -> Background {
    Background::start(EmulatorConfig {
        seed: SeedSource::Seed(Seed::from_yaml(yaml).unwrap()),
        ..EmulatorConfig::default()
    })
}

/// What `eval "$(cat FILE)"` in bash sets, for the variables `export --print-secrets` printed
/// into `stdout`: bash really runs the commands, and prints the environment NUL-separated.
pub(crate) fn eval_in_bash(dir: &Path, stdout: &str) -> Vec<(String, String)> {
    let file = dir.join("vars.sh");
    std::fs::write(&file, stdout).unwrap();
    let names: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split_once('=').map(|(n, _)| n))
        .map(|n| n.strip_prefix("export ").unwrap_or(n))
        .collect();
    let print = names.iter().fold(String::new(), |mut out, n| {
        let _ = write!(out, "printf '%s\\0%s\\0' {n} \"${n}\"; ");
        out
    });
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("eval \"$(cat vars.sh)\"; {print}"))
        .current_dir(dir)
        .env_clear()
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let parts: Vec<&str> = text.split_terminator('\0').collect();
    parts
        .chunks(2)
        .map(|c| (c[0].to_owned(), c[1].to_owned()))
        .collect()
}

/// Every `${NAME}` in `text`.
fn references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        if i > 0 && rest.as_bytes()[i - 1] == b'$' {
            rest = &rest[i + 2..];
            continue;
        }
        let after = &rest[i + 2..];
        let end = after.find('}').unwrap();
        out.push(after[..end].to_owned());
        rest = &after[end..];
    }
    out
}

const DOTTED_SEED: &str = r#"
users:
  - {username: acme, token: apify_api_LOCAL_EMULATOR_acme_0000000000}
actors:
  - {name: acme/crawler.v1}
  - {name: acme/crawler.v2}
  - {name: acme/.x}
  - {name: acme/_.x}
  - {name: acme/Crawler}
  - {name: acme/crawler}
tasks:
  - {name: acme/crawler.v1, actor: acme/crawler.v1}
webhooks:
  - {user: acme, actor: acme/crawler.v1, eventTypes: [ACTOR.RUN.FAILED], requestUrl: "https://h.example/v1"}
  - {user: acme, actor: acme/crawler.v2, eventTypes: [ACTOR.RUN.FAILED], requestUrl: "https://h.example/v2"}
  - {user: acme, actor: acme/.x, eventTypes: [ACTOR.RUN.FAILED], requestUrl: "https://h.example/dotx"}
  - {user: acme, actor: acme/_.x, eventTypes: [ACTOR.RUN.FAILED], requestUrl: "https://h.example/underx"}
  - {user: acme, actor: acme/Crawler, eventTypes: [ACTOR.RUN.FAILED], requestUrl: "https://h.example/upper"}
  - {user: acme, actor: acme/crawler, eventTypes: [ACTOR.RUN.FAILED], requestUrl: "https://h.example/lower"}
  - user: acme
    task: acme/crawler.v1
    eventTypes: [ACTOR.RUN.SUCCEEDED]
    requestUrl: "https://hooks.slack.com/services/T0AAA/B0BBB/sl4ck5ecretXYZ"
    headersTemplate: '{"X-Ctl": "ctl5ecret\u001b[31m vt\u000b soh\u0001 del\u007f nl\n end", "X-Plain": "it''s %s $HOME \\"}'
  # Not exported: one on a target that has a file, one on a target that has none.
  - user: acme
    actor: acme/crawler.v1
    eventTypes: [ACTOR.RUN.FAILED]
    requestUrl: "https://h.example/foreign"
    description: "[apify-webhooks owner=someone-else key=k secrets=none]"
  - user: acme
    actor: acme/crawler.v2
    eventTypes: [ACTOR.RUN.FAILED]
    requestUrl: "https://h.example/bad-header"
    headersTemplate: '{"X Y": "v"}'
"#;

#[test]
fn dotted_and_cased_names_and_control_characters_round_trip_through_bash() {
    // Issue 16 items 1, 7, 8, 9 and 19 end to end: a file per target, the printed variables
    // set by bash's `eval` restore every byte, the plan only adopts, nothing moves.
    let server = account_from(DOTTED_SEED);
    let before = server.webhooks_of("acme");
    let dir = tempfile::tempdir().unwrap();
    let out = export_to_w(&server, dir.path(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let files = files_below(&dir.path().join("w"));
    let manifests: Vec<&(String, String)> = files
        .iter()
        .filter(|(p, _)| Path::new(p).extension().is_some_and(|e| e == "yaml"))
        .collect();
    assert_eq!(manifests.len(), 7, "{files:#?}");
    for (path, text) in &manifests {
        assert_eq!(
            text.matches("\n    - key: ").count(),
            1,
            "{path}: one webhook each\n{text}"
        );
    }
    // Every webhook not exported is listed on stderr, with its reason.
    for id in before
        .iter()
        .filter(|w| {
            let url = w["requestUrl"].as_str().unwrap();
            url.ends_with("/foreign") || url.ends_with("/bad-header")
        })
        .map(|w| w["id"].as_str().unwrap())
    {
        assert!(
            out.stderr.contains(&format!("#   - {id} on ")),
            "{id}: {}",
            out.stderr
        );
    }
    assert!(out.stderr.contains("2 not exported"), "{}", out.stderr);
    // No secret in any file; exactly the variables the files use are printed.
    let all_files: String = files.iter().map(|(_, t)| t.as_str()).collect();
    for secret in ["sl4ck5ecretXYZ", "ctl5ecret", "it's %s"] {
        assert!(!all_files.contains(secret), "{secret} in a file");
    }
    let vars = eval_in_bash(dir.path(), &out.stdout);
    assert_printed_are_referenced(&manifests, &vars, &out.stdout);
    assert!(
        vars.iter()
            .any(|(_, v)| v == "ctl5ecret\u{1b}[31m vt\u{b} soh\u{1} del\u{7f} nl\n end"),
        "{vars:?}"
    );
    assert!(
        vars.iter().any(|(_, v)| v == "it's %s $HOME \\"),
        "{vars:?}"
    );

    let plan = run_with_vars(&server, dir.path(), &vars, &["plan", "w"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout
            .contains("Plan: 7 to adopt, 0 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    let apply = run_with_vars(
        &server,
        dir.path(),
        &vars,
        &["apply", "--auto-approve", "w"],
    );
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let again = run_with_vars(&server, dir.path(), &vars, &["plan", "w"]);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    // Each webhook kept its target, URL and headers; only the description gained the marker.
    let after = server.webhooks_of("acme");
    assert_eq!(after.len(), before.len());
    for w in &before {
        let now = after.iter().find(|a| a["id"] == w["id"]).unwrap();
        for field in ["condition", "requestUrl", "headersTemplate", "eventTypes"] {
            assert_eq!(w[field], now[field], "{field} of {w}");
        }
    }
}

#[test]
fn a_long_name_is_exported_and_a_failed_write_leaves_nothing_behind() {
    // Issue 16 item 11: a 240-character name stopped export halfway, files half written.
    let long = "n".repeat(240);
    let seed = format!(
        "users:\n  - {{username: acme, token: apify_api_LOCAL_EMULATOR_acme_0000000000}}\nactors:\n  - {{name: acme/a}}\n  - {{name: acme/{long}}}\ntasks:\n  - {{name: acme/t, actor: acme/a}}\nwebhooks:\n  - {{user: acme, actor: acme/a, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://h.example/a'}}\n  - {{user: acme, actor: acme/{long}, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://h.example/l'}}\n  - {{user: acme, task: acme/t, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://h.example/t'}}\n"
    );
    let server = account_from(&seed);
    let dir = tempfile::tempdir().unwrap();
    // `tasks` is a file where export needs a folder: the last document cannot be placed.
    std::fs::create_dir(dir.path().join("w")).unwrap();
    std::fs::write(dir.path().join("w/tasks"), "in the way\n").unwrap();
    let failed = run(server
        .bin()
        .current_dir(dir.path())
        .args(["export", "--out", "w"]));
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(
        failed.stderr.contains("nothing was written"),
        "{}",
        failed.stderr
    );
    assert_eq!(
        files_below(&dir.path().join("w")),
        [("tasks".to_owned(), "in the way\n".to_owned())],
        "all or nothing"
    );
    std::fs::remove_file(dir.path().join("w/tasks")).unwrap();
    let out = run(server
        .bin()
        .current_dir(dir.path())
        .args(["export", "--out", "w"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let files = files_below(&dir.path().join("w"));
    assert_eq!(files.len(), 4, "{files:#?}");
    assert!(
        files
            .iter()
            .any(|(p, t)| p.starts_with("actors/acme/nnnn") && t.contains(&long)),
        "{files:#?}"
    );
    let plan = run(server.bin().current_dir(dir.path()).args(["plan", "w"]));
    assert!(
        plan.stdout
            .contains("Plan: 3 to adopt, 0 to add, 0 to change, 0 to destroy."),
        "{}{}",
        plan.stdout,
        plan.stderr
    );
    // --force replaces files, never a folder that is in the way (nor what is in it).
    let a = dir.path().join("w/actors/acme/a.yaml");
    std::fs::remove_file(&a).unwrap();
    std::fs::create_dir(&a).unwrap();
    std::fs::write(a.join("keep.txt"), "mine\n").unwrap();
    let before = files_below(&dir.path().join("w"));
    let forced = run(server
        .bin()
        .current_dir(dir.path())
        .args(["export", "--out", "w", "--force"]));
    assert_eq!(forced.code, 1, "{}", forced.stderr);
    assert!(
        forced.stderr.contains("a folder is in the way"),
        "{}",
        forced.stderr
    );
    assert_eq!(files_below(&dir.path().join("w")), before);
}

/// One webhook of a generated account, by class.
#[derive(Debug, Clone)]
enum Class {
    Unmanaged,
    /// This owner's (`team`), under key `owned-<n>`.
    Owned,
    /// This owner's, under the one key `shared-actor` (or `shared-task`) that every webhook of
    /// this class on an Actor (a task) carries, the same apart from the target: a pattern's.
    Shared,
    /// Another owner's.
    Foreign,
    /// Ad-hoc, an integration or not HTTP.
    OutOfScope(u8),
}

/// A generated webhook: its target (index), class, events, URL form and headers.
#[derive(Debug, Clone)]
struct GenHook {
    target: usize,
    class: Class,
    events: Vec<&'static str>,
    url: u8,
    headers: Vec<(&'static str, String)>,
}

const RUN_EVENTS: [&str; 4] = [
    "ACTOR.RUN.FAILED",
    "ACTOR.RUN.SUCCEEDED",
    "ACTOR.RUN.TIMED_OUT",
    "ACTOR.RUN.ABORTED",
];

fn gen_hook(targets: usize) -> impl proptest::strategy::Strategy<Value = GenHook> {
    use proptest::prelude::*;
    let class = prop_oneof![
        4 => Just(Class::Unmanaged),
        2 => Just(Class::Owned),
        2 => Just(Class::Shared),
        1 => Just(Class::Foreign),
        1 => (0u8..3).prop_map(Class::OutOfScope),
    ];
    // Header values: printable text mixed with control characters (NUL included, rarely).
    let value = proptest::collection::vec(
        prop_oneof![
            6 => proptest::char::range(' ', '~'),
            2 => proptest::char::range('\u{1}', '\u{1f}'),
            1 => Just('\u{7f}'),
            1 => Just('\u{0}'),
            1 => proptest::char::range('\u{80}', '\u{9f}'),
            1 => Just('é'),
        ],
        0..12,
    )
    .prop_map(|chars| chars.into_iter().collect::<String>());
    let header_name = prop_oneof![
        Just("Authorization"),
        Just("X-Token"),
        Just("x-api-key"),
        Just("X Bad"),
    ];
    (
        0..targets,
        class,
        proptest::sample::subsequence(RUN_EVENTS.to_vec(), 1..=3),
        0u8..5,
        proptest::collection::vec((header_name, value), 0..3),
    )
        .prop_map(|(target, class, events, url, mut headers)| {
            if matches!(class, Class::Owned) {
                // What a manifest can declare (this tool wrote it): a header name that is a
                // token, a value an environment variable can carry.
                for (name, value) in &mut headers {
                    if name.contains(' ') {
                        *name = "X-Ok";
                    }
                    value.retain(|c| c != '\0');
                }
            }
            GenHook {
                target,
                class,
                events,
                url,
                headers,
            }
        })
}

/// Target names as the platform allows them: letters (either case), digits, `.`, `_`, `-`,
/// up to 255 characters; unique, and not only dots.
fn gen_names() -> impl proptest::strategy::Strategy<Value = Vec<(bool, String)>> {
    use proptest::prelude::*;
    let name = prop_oneof![
        4 => "[A-Za-z0-9._-]{1,24}",
        1 => "[a-z.]{1,3}",
        1 => "[a-z]{200,255}",
    ]
    .prop_filter("not only dots", |n: &String| !n.chars().all(|c| c == '.'));
    proptest::collection::vec((any::<bool>(), name), 1..5).prop_map(|mut v| {
        let mut seen = std::collections::HashSet::new();
        v.retain(|(task, n)| seen.insert((*task, n.clone())));
        v
    })
}

/// The seed YAML of a generated account; also the distinct secret of each webhook's headers
/// and URL (by index).
fn gen_seed(names: &[(bool, String)], hooks: &[GenHook]) -> String {
    // A YAML double-quoted scalar: JSON's quoting, with every control character escaped.
    let q = |s: &str| {
        serde_json::to_string(s)
            .unwrap()
            .chars()
            .map(|c| {
                if c.is_control() {
                    format!("\\u{:04x}", u32::from(c))
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
    };
    let mut seed = String::from(
        "users:\n  - {username: acme, token: apify_api_LOCAL_EMULATOR_acme_0000000000}\nactors:\n  - {name: acme/base-actor}\n",
    );
    for (task, name) in names {
        if !task {
            let _ = writeln!(seed, "  - {{name: {}}}", q(&format!("acme/{name}")));
        }
    }
    seed.push_str(if names.iter().any(|(task, _)| *task) {
        "tasks:\n"
    } else {
        "tasks: []\n"
    });
    for (task, name) in names {
        if *task {
            let _ = writeln!(
                seed,
                "  - {{name: {}, actor: acme/base-actor}}",
                q(&format!("acme/{name}"))
            );
        }
    }
    seed.push_str("webhooks:\n");
    let mut shared_on = std::collections::HashSet::new();
    for (i, h) in hooks.iter().enumerate() {
        let (task, name) = &names[h.target];
        if matches!(h.class, Class::Shared) {
            // One per target: a second one there is a duplicate, which `plan` reduces.
            if !shared_on.insert(h.target) {
                continue;
            }
            let (kind, key) = if *task {
                ("task", "shared-task")
            } else {
                ("actor", "shared-actor")
            };
            let _ = writeln!(
                seed,
                "  - {{user: acme, {kind}: {}, eventTypes: [ACTOR.RUN.FAILED], requestUrl: \"https://h.example/shared\", headersTemplate: \"{{\\\"X-Shared\\\": \\\"Sekr-shared\\\"}}\", description: \"On every one [apify-webhooks owner=team key={key} secrets=headersTemplate]\"}}",
                q(&format!("acme/{name}"))
            );
            continue;
        }
        let target = format!(
            "{}: {}",
            if *task { "task" } else { "actor" },
            q(&format!("acme/{name}"))
        );
        let url = match h.url {
            0 => format!("https://h.example/p{i}"),
            1 => format!("https://h.example/p{i}?token=Sekr{i}tq&x=1"),
            2 => format!("https://hooks.slack.com/services/T0/B{i}/Sekr{i}tslack"),
            3 => format!("https://h.example/p{i}?Sekr{i}tbare#Sekr{i}tfrag"),
            _ => format!("https://u:Sekr{i}tui@h.example/hooks/a1b2c3d4e5f6a7b8{i:02}/x"),
        };
        let _ = write!(
            seed,
            "  - {{user: acme, {target}, eventTypes: [{}], requestUrl: {}",
            h.events.join(", "),
            q(&url)
        );
        if !h.headers.is_empty() {
            let map: serde_json::Map<String, serde_json::Value> = h
                .headers
                .iter()
                .enumerate()
                .map(|(j, (n, v))| {
                    let name = if j == 0 {
                        (*n).to_owned()
                    } else {
                        format!("{n}-{j}")
                    };
                    (name, serde_json::Value::String(format!("Sekr{i}t{j}h{v}")))
                })
                .collect();
            let _ = write!(
                seed,
                ", headersTemplate: {}",
                q(&serde_json::Value::Object(map).to_string())
            );
        }
        match &h.class {
            Class::Unmanaged | Class::Shared => {}
            Class::Owned => {
                let secrets = if h.headers.is_empty() && h.url == 0 {
                    "none"
                } else if h.headers.is_empty() {
                    "requestUrl"
                } else if h.url == 0 {
                    "headersTemplate"
                } else {
                    "requestUrl,headersTemplate"
                };
                let _ = write!(
                    seed,
                    ", description: \"[apify-webhooks owner=team key=owned-{i} secrets={secrets}]\""
                );
            }
            Class::Foreign => {
                let _ = write!(
                    seed,
                    ", description: \"[apify-webhooks owner=else key=f{i} secrets=none]\""
                );
            }
            Class::OutOfScope(0) => seed.push_str(", isAdHoc: true"),
            Class::OutOfScope(1) => seed.push_str(", isApifyIntegration: true"),
            Class::OutOfScope(_) => seed.push_str(", actionType: SLACK_MESSAGE"),
        }
        seed.push_str("}\n");
    }
    seed
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 12,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Issue 16's property: whatever the names (dots, case, length) and webhooks (every
    /// class, control characters in header values, a pattern's webhooks: one owned key on
    /// several Actors or tasks), export -> the printed variables set by
    /// bash's `eval` -> `plan` only adopts -> `apply` -> `No changes.`; nothing foreign or
    /// out of scope touched; no file holds a value that was a secret on the platform.
    #[test]
    fn any_account_exports_to_manifests_that_only_adopt(
        (names, hooks) in proptest::strategy::Strategy::prop_flat_map(gen_names(), |names| {
            let n = names.len();
            (proptest::strategy::Just(names), proptest::collection::vec(gen_hook(n), 1..6))
        })
    ) {
        export_property(&names, &hooks);
    }
}

fn export_property(names: &[(bool, String)], hooks: &[GenHook]) {
    let server = account_from(&gen_seed(names, hooks));
    let before = server.webhooks_of("acme");
    let dir = tempfile::tempdir().unwrap();
    let out = export_to_w(&server, dir.path(), &["--include-owned"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let files = if dir.path().join("w").exists() {
        files_below(&dir.path().join("w"))
    } else {
        Vec::new()
    };
    let manifests: Vec<&(String, String)> = files
        .iter()
        .filter(|(p, _)| Path::new(p).extension().is_some_and(|e| e == "yaml"))
        .collect();
    for (path, text) in &files {
        assert!(!text.contains("Sekr"), "a secret in {path}:\n{text}");
        assert!(path.split('/').all(|p| p.len() <= 110), "{path}");
    }
    let vars = eval_in_bash(dir.path(), &out.stdout);
    assert_printed_are_referenced(&manifests, &vars, &out.stdout);
    // A file per target: each names one target, no two the same on a case-blind file system.
    let mut folded: Vec<String> = manifests.iter().map(|(p, _)| p.to_lowercase()).collect();
    folded.sort();
    folded.dedup();
    assert_eq!(folded.len(), manifests.len());
    if manifests.is_empty() {
        return;
    }
    let plan = run_with_vars(
        &server,
        dir.path(),
        &vars,
        &["plan", "w", "--format", "json"],
    );
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let doc: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    for change in doc["changes"].as_array().unwrap() {
        assert_eq!(
            change["actions"],
            serde_json::json!(["adopt", "update"]),
            "only adoptions: {change:#}"
        );
        for f in change["fields"].as_array().unwrap() {
            assert_eq!(f["field"], "owner", "an adoption only marks: {change:#}");
        }
    }
    let apply = run_with_vars(
        &server,
        dir.path(),
        &vars,
        &["apply", "--auto-approve", "w"],
    );
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let again = run_with_vars(&server, dir.path(), &vars, &["plan", "w"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    let after = server.webhooks_of("acme");
    assert_eq!(after.len(), before.len());
    for w in &before {
        let now = after.iter().find(|a| a["id"] == w["id"]).unwrap();
        let description = w["description"].as_str().unwrap_or("");
        let foreign_or_out = description.contains("owner=else")
            || w["isAdHoc"] == true
            || w["isApifyIntegration"] == true
            || w["actionType"] != "HTTP_REQUEST";
        if foreign_or_out {
            assert_eq!(w, now, "touched");
        }
        for field in [
            "condition",
            "requestUrl",
            "headersTemplate",
            "payloadTemplate",
            "eventTypes",
        ] {
            assert_eq!(w[field], now[field], "{field} of {w}");
        }
    }
}

/// Issue 17: the same unmanaged webhook on three of the account's own Actors. Export says so
/// and prints the pattern entry that declares them once; doing what it says (apply the export,
/// then replace the three entries with that one) moves each webhook in place: nothing created
/// or deleted, the same IDs, `No changes.` after, and an Actor created later gets it.
#[test]
fn export_suggests_a_pattern_for_the_same_webhook_on_three_actors_and_the_advice_works() {
    let server = account_from(
        r#"
users:
  - {username: acme, token: apify_api_LOCAL_EMULATOR_acme_0000000000}
actors:
  - {name: acme/alpha}
  - {name: acme/beta}
  - {name: acme/gamma}
  - {name: acme/quiet}
tasks: []
webhooks:
  - {id: SameOnAlpha000001, user: acme, actor: acme/alpha, eventTypes: [ACTOR.RUN.FAILED], requestUrl: "https://oncall.example.com/apify", headersTemplate: '{"Authorization": "Bearer same-5ecret"}', description: Page on-call}
  - {id: SameOnBeta0000001, user: acme, actor: acme/beta, eventTypes: [ACTOR.RUN.FAILED], requestUrl: "https://oncall.example.com/apify", headersTemplate: '{"Authorization": "Bearer same-5ecret"}', description: Page on-call}
  - {id: SameOnGamma000001, user: acme, actor: acme/gamma, eventTypes: [ACTOR.RUN.FAILED], requestUrl: "https://oncall.example.com/apify", headersTemplate: '{"Authorization": "Bearer same-5ecret"}', description: Page on-call}
  - {id: OtherOnQuiet00001, user: acme, actor: acme/quiet, eventTypes: [ACTOR.RUN.FAILED], requestUrl: "https://elsewhere.example.com/", description: Page on-call}
"#,
    );
    let before = server.webhooks_of("acme");
    let dir = tempfile::tempdir().unwrap();
    let out = export_to_w(&server, dir.path(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "note: 3 webhooks are the same apart from their Actor: on acme/alpha (alpha-failed), acme/beta (beta-failed), acme/gamma (gamma-failed)."
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("note:"), "{}", out.stdout);
    // The entry, as printed: indented by two, after the explanation, to the end.
    let (_, after) = out
        .stderr
        .split_once("(same ID, nothing created or deleted).\n\n")
        .unwrap_or_else(|| panic!("{}", out.stderr));
    let entry: String = after
        .lines()
        .take_while(|l| l.is_empty() || l.starts_with("  "))
        .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
        .collect();
    assert_eq!(
        entry,
        "actors:\n  \"acme/*\":\n    - key: every-actor-failed\n      previousKeys:\n        - alpha-failed\n        - beta-failed\n        - gamma-failed\n      exclude:\n        - acme/quiet\n      description: Page on-call\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: https://oncall.example.com/apify\n      headersTemplate:\n        Authorization: \"${ALPHA_FAILED_AUTHORIZATION}\"\n",
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("same-5ecret"));
    let vars = parse_set_commands(&out.stdout);

    // First the adoptions, one entry each.
    let plan = |dir: &Path| {
        run(server
            .bin()
            .current_dir(dir)
            .envs(vars.iter().cloned())
            .args(["plan", "w"]))
    };
    let apply = |dir: &Path| {
        run(server
            .bin()
            .current_dir(dir)
            .envs(vars.iter().cloned())
            .args(["apply", "--auto-approve", "w"]))
    };
    let adopted = apply(dir.path());
    assert_eq!(adopted.code, 0, "{}{}", adopted.stdout, adopted.stderr);
    // Then the three entries replaced with the pattern entry.
    for name in ["alpha", "beta", "gamma"] {
        std::fs::remove_file(dir.path().join(format!("w/actors/acme/{name}.yaml"))).unwrap();
    }
    std::fs::write(
        dir.path().join("w/actors/acme/every-actor.yaml"),
        format!("version: 1\nowner: team\n{entry}"),
    )
    .unwrap();
    let moved = plan(dir.path());
    assert_eq!(moved.code, 0, "{}{}", moved.stdout, moved.stderr);
    for name in ["alpha", "beta", "gamma"] {
        assert!(
            moved.stdout.contains(&format!(
                "# webhook.{name}-failed[\"acme/{name}\"] has moved to webhook.every-actor-failed[\"acme/{name}\"]"
            )),
            "{}",
            moved.stdout
        );
    }
    assert!(
        moved.stdout.contains("0 to add") && moved.stdout.contains("0 to destroy"),
        "{}",
        moved.stdout
    );
    let applied = apply(dir.path());
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    let again = plan(dir.path());
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    let after = server.webhooks_of("acme");
    let ids = |ws: &[serde_json::Value]| {
        let mut ids: Vec<String> = ws.iter().map(|w| w["id"].to_string()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&before), ids(&after));

    // A pattern like any other: an Actor created later gets the webhook.
    server.block_on(async {
        let answer = crate::support::emulator::http()
            .post(format!("{}/v2/actors", server.url()))
            .bearer_auth(crate::support::emulator::TOKEN)
            .json(&serde_json::json!({"name": "delta"}))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
    });
    let grown = plan(dir.path());
    assert!(
        grown.stdout.contains(
            "# webhook.every-actor-failed[\"acme/delta\"] (actor acme/delta) will be created"
        ) && grown
            .stdout
            .contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{}",
        grown.stdout
    );
}
