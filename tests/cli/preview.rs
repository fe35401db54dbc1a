//! `preview`: the exact request of a declared webhook for a sample event of every type, as text
//! and JSON (golden), with secrets masked unless asked, offline.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::{Output, bin, root, run};

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/preview")
}

/// `preview` on the preview fixtures with `args`, the Slack secrets set to `env` values.
fn preview(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = bin();
    cmd.current_dir(fixtures()).arg("preview").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

fn ok(out: &Output) -> &str {
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "nothing on stderr: {}", out.stderr);
    &out.stdout
}

/// Every event type, as text and as JSON: run events on an Actor webhook with the default
/// payload, build events likewise.
#[test]
fn every_event_type_renders_the_platform_request() {
    let mut seen = Vec::new();
    for key in ["runs", "builds"] {
        let text = preview(&["--key", key, "--all-events"], &[]);
        insta::assert_snapshot!(format!("{key}_text"), ok(&text));
        let json = preview(&["--key", key, "--all-events", "--format", "json"], &[]);
        insta::assert_snapshot!(format!("{key}_json"), ok(&json));
        let doc: Value = serde_json::from_str(&json.stdout).unwrap();
        for r in doc["requests"].as_array().unwrap() {
            let body: Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
            assert_eq!(body["eventType"], r["eventType"]);
            seen.push(r["eventType"].as_str().unwrap().to_owned());
        }
    }
    let all: Vec<String> = apify_webhooks::webhook::EventType::ALL
        .iter()
        .map(|e| e.as_str().to_owned())
        .collect();
    assert_eq!(seen, all, "every declarable event type is previewed");
}

/// A task webhook with a mapping payload (interpolated strings), headers and secrets: the
/// secrets are masked everywhere, the task's id is in the event data and the run.
#[test]
fn templates_render_with_the_task_and_secrets_masked() {
    let env = [
        ("SLACK_PATH", "T0/B0/p\"ath"),
        ("SLACK_TOKEN", "xoxb-very-secret"),
    ];
    let out = preview(&["--key", "slack"], &env);
    insta::assert_snapshot!("slack_text", ok(&out));
    let json = preview(
        &[
            "--key",
            "slack",
            "--event",
            "ACTOR.RUN.TIMED_OUT",
            "--format",
            "json",
        ],
        &env,
    );
    insta::assert_snapshot!("slack_json", ok(&json));
    for text in [&out.stdout, &json.stdout] {
        assert!(!text.contains("xoxb-very-secret"), "{text}");
        assert!(
            !text.contains("p\"ath") && !text.contains("p\\\"ath"),
            "{text}"
        );
    }
    let shown = preview(
        &["--key", "slack", "--show-secrets", "--format", "json"],
        &env,
    );
    let doc: Value = serde_json::from_str(ok(&shown)).unwrap();
    let r = &doc["requests"][0];
    assert_eq!(
        r["url"],
        "https://hooks.slack.example.com/services/T0/B0/p\"ath"
    );
    assert!(
        r["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["name"] == "Authorization" && h["value"] == "Bearer xoxb-very-secret")
    );
    assert_eq!(doc["secretsMasked"], false);
}

/// An id written in the manifest is the sample's Actor id; `--event` picks the event.
#[test]
fn ids_from_the_manifest_are_used() {
    let out = preview(&["--key", "by-id", "--format", "json"], &[]);
    let doc: Value = serde_json::from_str(ok(&out)).unwrap();
    assert_eq!(
        doc["requests"][0]["body"],
        r#"{"actor":"a1B2c3D4e5F6g7H8i","build":"0.1.42"}"#
    );
}

/// Without --show-secrets no variable needs a value (each is a masked placeholder), and a short
/// value never garbles the text around it; with it, the previewed webhook's variables must be
/// set, and only those.
#[test]
fn variables_need_values_only_to_be_shown() {
    let masked = preview(&["--key", "slack"], &[]);
    ok(&masked);
    assert!(masked.stdout.contains("(sensitive)"), "{}", masked.stdout);
    let short = preview(
        &["--key", "slack"],
        &[("SLACK_TOKEN", "e"), ("SLACK_PATH", "a")],
    );
    ok(&short);
    assert_eq!(
        short.stdout, masked.stdout,
        "a one-letter value garbles nothing"
    );
    let out = preview(
        &["--key", "slack", "--show-secrets"],
        &[("SLACK_TOKEN", "t")],
    );
    assert_eq!(out.code, 65, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr
            .contains("environment variable `SLACK_PATH` is not set"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("SLACK_TOKEN"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("set it to preview the request with its value"),
        "{}",
        out.stderr
    );
}

/// A key or event the manifests do not declare is a usage error that says what is there.
#[test]
fn unknown_keys_and_events_are_usage_errors() {
    let out = preview(&["--key", "slak"], &[]);
    assert_eq!(out.code, 64, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "error: no webhook has the key `slak`; did you mean `slack`?\n"
    );
    let out = preview(&["--key", "builds", "--event", "ACTOR.RUN.FAILED"], &[]);
    assert_eq!(out.code, 64, "{}", out.stderr);
    assert!(
        out.stderr.contains("does not fire on `ACTOR.RUN.FAILED`"),
        "{}",
        out.stderr
    );
    let out = preview(&["--key", "builds", "--event", "ACTOR.BUILD.FAIL"], &[]);
    assert_eq!(out.code, 64, "{}", out.stderr);
    assert!(
        out.stderr.contains("did you mean `ACTOR.BUILD.FAILED`?"),
        "{}",
        out.stderr
    );
}
