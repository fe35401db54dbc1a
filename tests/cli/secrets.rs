//! Issue 9 §1: a value that came from a secret never shows, even once the manifests stop
//! referencing it. Every field that can hold a secret (the query, userinfo, path, host and
//! fragment of `requestUrl`, `payloadTemplate`, `headersTemplate`), each with its own planted
//! value, is applied from `${NAME}`; then the manifests replace each reference by a literal,
//! drop the entries, or move them from the Actor to a task (with literals), and every format
//! must keep the planted values out: the text, JSON and Markdown plans, the plan `apply` prints
//! (text and `--format json`), and the saved plan file. Webhooks whose marker has no record
//! (an older version made them) and webhooks being adopted are masked conservatively.

use std::path::Path;

use apify_webhooks::emulator::{EmulatorConfig, Seed, SeedSource};

use crate::support::emulator::Background;
use crate::support::{Output, run};

const SEED: &str = "users:\n  - {username: acme, token: apify_api_LOCAL_EMULATOR_acme_0000000000}\nactors:\n  - {name: acme/a}\ntasks:\n  - {name: acme/t, actor: acme/a}\n";

/// One secret-bearing field: its key, its environment variable and planted value, and the
/// manifest entry (without `key:`) with `{}` where the value goes.
struct Case {
    key: &'static str,
    var: &'static str,
    planted: &'static str,
    /// The field that holds it.
    field: &'static str,
    entry: &'static str,
}

const CASES: [Case; 7] = [
    Case {
        key: "url-query",
        var: "S_QUERY",
        planted: "planted-query-4b1d",
        field: "requestUrl",
        entry: "requestUrl: https://hooks.example.com/q?token={}",
    },
    Case {
        key: "url-userinfo",
        var: "S_USERINFO",
        planted: "planted-userinfo-77c2",
        field: "requestUrl",
        entry: "requestUrl: https://robot:{}@hooks.example.com/u",
    },
    Case {
        key: "url-path",
        var: "S_PATH",
        planted: "planted-path-e3a9",
        field: "requestUrl",
        entry: "requestUrl: https://hooks.slack.example.com/services/T000/B000/{}",
    },
    Case {
        key: "url-host",
        var: "S_HOST",
        planted: "planted-host-0c5f",
        field: "requestUrl",
        entry: "requestUrl: https://{}.hooks.example.com/h",
    },
    Case {
        key: "url-fragment",
        var: "S_FRAGMENT",
        planted: "planted-fragment-9d04",
        field: "requestUrl",
        entry: "requestUrl: https://hooks.example.com/f#{}",
    },
    Case {
        key: "payload",
        var: "S_PAYLOAD",
        planted: "planted-payload-a6e8",
        field: "payloadTemplate",
        entry: "requestUrl: https://hooks.example.com/p\n      payloadTemplate: |\n        {\n          \"token\": \"{}\",\n          \"run\": {{resource}}\n        }",
    },
    Case {
        key: "headers",
        var: "S_HEADERS",
        planted: "planted-headers-5f37",
        field: "headersTemplate",
        entry: "requestUrl: https://hooks.example.com/hd\n      headersTemplate:\n        Authorization: Bearer {}",
    },
];

/// How the manifests change after the secrets were applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Each `${NAME}` replaced by a literal.
    Literal,
    /// The entries removed (a plain one stays, so the deletes are not all of them).
    Delete,
    /// The entries moved from the Actor to a task, with literals.
    Move,
}

/// A manifest: a plain keeper on the Actor, and the cases with `value(case)` in place.
fn manifest(kind: Option<Kind>) -> String {
    let keeper = "    - key: keeper\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: https://hooks.example.com/keep\n";
    let entries: String = CASES
        .iter()
        .map(|c| {
            let value = match kind {
                None => format!("${{{}}}", c.var),
                Some(_) => format!("public-{}", c.key),
            };
            format!(
                "    - key: {}\n      eventTypes: [ACTOR.RUN.SUCCEEDED]\n      {}\n",
                c.key,
                c.entry.replace("{}", &value)
            )
        })
        .collect();
    match kind {
        None | Some(Kind::Literal) => {
            format!("version: 1\nactors:\n  acme/a:\n{keeper}{entries}")
        }
        Some(Kind::Delete) => format!("version: 1\nactors:\n  acme/a:\n{keeper}"),
        Some(Kind::Move) => {
            format!("version: 1\nactors:\n  acme/a:\n{keeper}tasks:\n  acme/t:\n{entries}")
        }
    }
}

fn cmd(server: &Background, dir: &Path) -> std::process::Command {
    let mut c = server.bin();
    c.current_dir(dir);
    // The variables stay set, as in a pipeline: only the manifests stop referencing them.
    for case in &CASES {
        c.env(case.var, case.planted);
    }
    c
}

/// Every output of every format for the manifests in `dir`, by name, and the saved plan file;
/// the saved plan is applied (`apply --plan`, which prints it) on the way.
fn every_format(server: &Background, dir: &Path) -> Vec<(String, String)> {
    let saved = dir.join("saved.json");
    let mut outs: Vec<(&str, Output)> = vec![
        (
            "plan text",
            run(cmd(server, dir).args(["-vv", "plan", "m.yaml"])),
        ),
        (
            "plan colour",
            run(cmd(server, dir).args(["--color", "always", "plan", "m.yaml"])),
        ),
        (
            "plan json",
            run(cmd(server, dir).args(["plan", "m.yaml", "--format", "json"])),
        ),
        (
            "plan markdown",
            run(cmd(server, dir).args(["plan", "m.yaml", "--format", "markdown"])),
        ),
        (
            "plan out",
            run(cmd(server, dir)
                .args(["plan", "m.yaml", "--out"])
                .arg(&saved)),
        ),
    ];
    let saved_text = std::fs::read_to_string(&saved).unwrap();
    outs.push((
        "apply json (plan on stderr)",
        run(cmd(server, dir)
            .args(["apply", "--plan"])
            .arg(&saved)
            .args(["--format", "json"])),
    ));
    for (name, out) in &outs {
        assert_eq!(out.code, 0, "{name}: {}\n{}", out.stdout, out.stderr);
    }
    let mut all: Vec<(String, String)> = outs
        .into_iter()
        .map(|(name, o)| (name.to_owned(), format!("{}\n{}", o.stdout, o.stderr)))
        .collect();
    all.push(("saved plan file".to_owned(), saved_text));
    all
}

/// Asserts that no output shows a planted value; a failure lists every output and field that
/// does, so the whole matrix is seen at once.
fn assert_no_planted(outputs: &[(String, String)]) {
    let mut leaks = Vec::new();
    for (name, text) in outputs {
        for case in &CASES {
            if text.contains(case.planted) {
                leaks.push(format!("{name} shows the secret of `{}`", case.key));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{}\n\n{}",
        leaks.join("\n"),
        outputs
            .iter()
            .map(|(n, t)| format!("--- {n}\n{t}"))
            .collect::<String>()
    );
}

/// Applies the secrets, then changes the manifests by `kind`, and checks every output.
fn secrets_stay_hidden_when(kind: Kind) {
    let server = Background::start(EmulatorConfig {
        seed: SeedSource::Seed(Seed::from_yaml(SEED).unwrap()),
        ..EmulatorConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.yaml");
    std::fs::write(&m, manifest(None)).unwrap();
    let out = run(cmd(&server, dir.path()).args(["apply", "--auto-approve", "m.yaml"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The secrets reached the platform, and the record round-trips: nothing left to do.
    let state = server.state().to_string();
    for case in &CASES {
        assert!(state.contains(case.planted), "{} was sent", case.key);
    }
    assert!(
        state.contains("key=url-path secrets=requestUrl]"),
        "{state}"
    );
    assert!(
        state.contains("key=payload secrets=payloadTemplate]"),
        "{state}"
    );
    assert!(state.contains("key=keeper secrets=none]"), "{state}");
    let again = run(cmd(&server, dir.path()).args(["plan", "m.yaml", "--detailed-exitcode"]));
    assert_eq!(again.code, 0, "{}", again.stdout);

    std::fs::write(&m, manifest(Some(kind))).unwrap();
    // The formats that only look (the last of them applies the saved plan).
    let outputs = every_format(&server, dir.path());
    let named: Vec<(String, String)> = outputs
        .iter()
        .map(|(n, t)| (format!("{kind:?}: {n}"), t.clone()))
        .collect();
    assert_no_planted(&named);
    // What was hidden was there to hide: every case is in the plan, its live value masked.
    let text = &outputs[0].1;
    for case in &CASES {
        assert!(text.contains(&format!("webhook.{} ", case.key)), "{text}");
    }
    assert!(
        text.contains("requestUrl = (sensitive value"),
        "the old URLs show as sensitive:\n{text}"
    );
    if kind != Kind::Delete {
        assert!(
            text.contains("payloadTemplate = (sensitive value"),
            "the old payload shows as sensitive:\n{text}"
        );
        assert!(text.contains("~ secrets"), "the record changes:\n{text}");
    }
    let json: serde_json::Value = serde_json::from_str(
        outputs
            .iter()
            .find(|(n, _)| n == "plan json")
            .map(|(_, t)| t.trim_end())
            .unwrap(),
    )
    .unwrap();
    for case in &CASES {
        let change = json["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == case.key)
            .unwrap();
        let field = change["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == case.field);
        // A delete lists the URL, not the templates.
        if case.field == "requestUrl" || kind != Kind::Delete {
            assert_eq!(field.unwrap()["sensitive"], true, "{change}");
        }
    }

    // After the apply, the plan converges and nothing is secret any more.
    let after = run(cmd(&server, dir.path()).args(["plan", "m.yaml", "--detailed-exitcode"]));
    assert_eq!(after.code, 0, "{}\n{}", after.stdout, after.stderr);
    if kind != Kind::Delete {
        let state = server.state().to_string();
        assert!(state.contains("key=url-path secrets=none]"), "{state}");
    }
}

#[test]
fn replacing_a_secret_by_a_literal_never_shows_the_old_value() {
    secrets_stay_hidden_when(Kind::Literal);
}

#[test]
fn deleting_a_webhook_never_shows_its_secret() {
    secrets_stay_hidden_when(Kind::Delete);
}

#[test]
fn moving_a_webhook_from_an_actor_to_a_task_never_shows_its_secret() {
    secrets_stay_hidden_when(Kind::Move);
}

/// The plan `apply` prints before it asks, in text: for each kind, on a fresh account.
#[test]
fn the_plan_apply_prints_never_shows_an_old_secret() {
    for kind in [Kind::Literal, Kind::Delete, Kind::Move] {
        let server = Background::start(EmulatorConfig {
            seed: SeedSource::Seed(Seed::from_yaml(SEED).unwrap()),
            ..EmulatorConfig::default()
        });
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m.yaml");
        std::fs::write(&m, manifest(None)).unwrap();
        let out = run(cmd(&server, dir.path()).args(["apply", "--auto-approve", "m.yaml"]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        std::fs::write(&m, manifest(Some(kind))).unwrap();
        let out = run(cmd(&server, dir.path()).args(["-vv", "apply", "--auto-approve", "m.yaml"]));
        assert_eq!(out.code, 0, "{kind:?}: {}", out.stderr);
        assert!(
            out.stdout.contains("will be"),
            "{kind:?}: the plan is printed"
        );
        assert_no_planted(&[(
            format!("{kind:?}: apply"),
            format!("{}\n{}", out.stdout, out.stderr),
        )]);
    }
}

/// Webhooks made by a version without the record, and a webhook being adopted: every live
/// URL and payload is masked, whatever the manifests say now.
#[test]
fn webhooks_without_a_record_are_masked_conservatively() {
    const OLD_PATH: &str = "old-path-secret-1a2b";
    const OLD_QUERY: &str = "old-query-secret-3c4d";
    const OLD_PAYLOAD: &str = "old-payload-secret-5e6f";
    const OLD_GONE: &str = "old-gone-secret-7a8b";
    const CONSOLE: &str = "console-secret-9c0d";
    let seed = [
        format!("{SEED}webhooks:"),
        "  - {user: acme, actor: acme/a, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://hooks.example.com/keep', description: '[apify-webhooks owner=default key=keeper]'}".to_owned(),
        format!("  - {{user: acme, actor: acme/a, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://hooks.example.com/{OLD_PATH}?k={OLD_QUERY}', payloadTemplate: '{{\"token\": \"{OLD_PAYLOAD}\"}}', description: 'Old [apify-webhooks owner=default key=old]'}}"),
        format!("  - {{user: acme, actor: acme/a, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://hooks.example.com/{OLD_GONE}', description: '[apify-webhooks owner=default key=gone]'}}"),
        format!("  - {{id: Console0000000001, user: acme, actor: acme/a, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://hooks.example.com/{CONSOLE}', payloadTemplate: '{{\"t\": \"{CONSOLE}\"}}', description: made by hand}}"),
    ]
    .join("\n");
    let server = Background::start(EmulatorConfig {
        seed: SeedSource::Seed(Seed::from_yaml(&seed).unwrap()),
        ..EmulatorConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        "version: 1\nactors:\n  acme/a:\n    - key: keeper\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: https://hooks.example.com/keep\n    - key: old\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: https://hooks.example.com/new\n      payloadTemplate: '{\"token\": \"new\"}'\n      description: Old\n    - key: console\n      adopt: Console0000000001\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: https://hooks.example.com/adopted\n      payloadTemplate: '{\"t\": \"adopted\"}'\n",
    )
    .unwrap();
    let outputs = every_format(&server, dir.path());
    let text = &outputs[0].1;
    // The keeper lacks only the record: left alone. `old` is updated, `gone` deleted, and
    // `console` adopted, each with its live values masked.
    assert!(!text.contains("webhook.keeper "), "{text}");
    assert!(
        text.contains("Plan: 1 to adopt, 0 to add, 1 to change, 1 to destroy."),
        "{text}"
    );
    assert!(text.contains("+ secrets"), "the record is written:\n{text}");
    for (name, out) in &outputs {
        for secret in [OLD_PATH, OLD_QUERY, OLD_PAYLOAD, OLD_GONE, CONSOLE] {
            assert!(!out.contains(secret), "{name} shows {secret}:\n{out}");
        }
    }
    // Applied (by the saved plan), the records are written and the plan converges.
    let state = server.state().to_string();
    assert!(
        state.contains("Old [apify-webhooks owner=default key=old secrets=none]"),
        "{state}"
    );
    assert!(state.contains("key=console secrets=none]"), "{state}");
    assert!(
        state.contains("[apify-webhooks owner=default key=keeper]"),
        "{state}"
    );
    let after = run(cmd(&server, dir.path()).args(["plan", "m.yaml", "--detailed-exitcode"]));
    assert_eq!(after.code, 0, "{}", after.stdout);
}
