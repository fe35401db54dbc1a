//! Ownership end to end (issue 16): markers written another way, damaged markers beside a
//! rename, disabled duplicates, leftover `adopt:`, renames without `previousKeys`, and saved
//! plans that were applied already or met a Console edit.

use apify_webhooks::emulator::{EmulatorConfig, Seed, SeedSource};
use serde_json::Value;

use crate::support::emulator::{Background, TOKEN, http};

/// An account with the Actor `acme/actor-0` and the seed's `webhooks` lines, and a folder with
/// `m.yaml` declaring `entries` (lines of a YAML list) on that Actor.
fn world(webhooks: &str, entries: &str) -> (Background, tempfile::TempDir) {
    let seed = format!(
        "users:\n  - {{username: acme, token: {TOKEN}}}\nactors:\n  - {{name: acme/actor-0}}\nwebhooks:{}",
        if webhooks.is_empty() {
            " []\n".to_owned()
        } else {
            format!("\n{webhooks}")
        }
    );
    let server = Background::start(EmulatorConfig {
        seed: SeedSource::Seed(Seed::from_yaml(&seed).unwrap()),
        ..EmulatorConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    write_manifest(dir.path(), entries);
    (server, dir)
}

fn write_manifest(dir: &std::path::Path, entries: &str) {
    std::fs::write(
        dir.join("m.yaml"),
        format!("version: 1\nactors:\n  acme/actor-0:\n{entries}"),
    )
    .unwrap();
}

/// A seed line: a webhook on `acme/actor-0` with `id`, `description` and more fields.
fn hook(id: &str, url: &str, description: &str, more: &str) -> String {
    format!(
        "  - {{id: {id}, user: acme, actor: acme/actor-0, eventTypes: [ACTOR.RUN.FAILED], requestUrl: '{url}', description: '{description}'{more}}}\n"
    )
}

/// A manifest entry `key` matching [`hook`] with `url`.
fn entry(key: &str, url: &str, more: &str) -> String {
    format!("    - {{key: {key}, eventTypes: [ACTOR.RUN.FAILED], requestUrl: '{url}'{more}}}\n")
}

fn ids(server: &Background) -> Vec<String> {
    let mut ids: Vec<String> = server
        .webhooks_of("acme")
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn assert_no_changes(server: &Background, dir: &std::path::Path) {
    let out = server.run_in(dir, &["plan", "m.yaml", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("No changes."), "{}", out.stdout);
}

/// Sends `method` to `/v2/webhooks/{id}` with `body` as `acme`.
fn console(server: &Background, method: reqwest::Method, id: &str, body: Option<Value>) {
    let status = server.block_on(async {
        let mut request = http()
            .request(method, format!("{}/v2/webhooks/{id}", server.url()))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap().status()
    });
    assert!(status.is_success(), "{status}");
}

/// Item 4: each way of writing the marker that a person or another version may use is read as
/// this owner's webhook: no second webhook is created beside any of them (17 were, in one
/// apply). What cannot be read with certainty is refused, naming the webhook and the problem.
#[test]
fn a_marker_written_another_way_is_never_duplicated_and_an_unreadable_one_is_refused() {
    let variants = [
        "[apify-webhooks key=hook-0 owner=default secrets=none]",
        "[apify-webhooks owner=default key=hook-1 secrets=none team=ops]",
        "[apify-webhooks  owner=default  key=hook-2  secrets=none]",
        "[apify-webhooks\towner=default\tkey=hook-3\tsecrets=none]",
        "[apify-webhooks owner=default key=hook-4 secrets=none ]",
        "[apify-webhooks owner=default key=hook-5 secrets=requestUrl, headersTemplate]",
    ];
    let seeded: String = variants
        .iter()
        .enumerate()
        .map(|(i, d)| {
            // YAML double quotes, so that `\t` is a tab.
            format!(
                "  - {{id: Variant000000000{i}, user: acme, actor: acme/actor-0, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://hooks.example.com/{i}', description: \"{d}\"}}\n"
            )
        })
        .collect();
    let entries: String = (0..variants.len())
        .map(|i| {
            entry(
                &format!("hook-{i}"),
                &format!("https://hooks.example.com/{i}"),
                "",
            )
        })
        .collect();
    let (server, dir) = world(&seeded, &entries);
    let before = ids(&server);
    let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(!out.stdout.contains("will be created"), "{}", out.stdout);
    assert_eq!(ids(&server), before, "no webhook was created");
    assert_no_changes(&server, dir.path());

    // Unreadable: a newer format, no owner, a repeated key, text after the marker.
    for (description, problem) in [
        (
            "[apify-webhooks owner=default key=hook-0 secrets=none v=2]",
            "format `v=2`",
        ),
        (
            "[apify-webhooks key=hook-0 secrets=none]",
            "has no `owner=`",
        ),
        (
            "[apify-webhooks owner=default key=hook-0 key=hook-1]",
            "gives `key=` more than once",
        ),
        (
            "[apify-webhooks owner=default key=hook-0 secrets=none] edited",
            "text follows its marker (`edited`)",
        ),
    ] {
        let seeded = hook(
            "Damaged0000000001",
            "https://hooks.example.com/0",
            description,
            "",
        );
        let (server, dir) = world(&seeded, &entry("hook-0", "https://hooks.example.com/0", ""));
        let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
        assert_eq!(out.code, 3, "{description}: {}\n{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("webhook Damaged0000000001") && out.stderr.contains(problem),
            "{description}: {}",
            out.stderr
        );
        assert_eq!(ids(&server), ["Damaged0000000001"], "{description}");
    }
}

/// Item 5: a rename beside a damaged marker, from its key or to it, is refused: neither is a
/// second webhook created (both would deliver) nor a webhook moved onto a key another carries.
#[test]
fn a_rename_beside_a_damaged_marker_is_refused() {
    let url = "https://hooks.example.com/0";
    let edited = hook(
        "Edited00000000001",
        url,
        "[apify-webhooks owner=default key=d secrets=none] edited",
        "",
    );
    let (server, dir) = world(&edited, &entry("d2", url, ", previousKeys: [d]"));
    let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("webhook Edited00000000001 (key `d`): text follows its marker"),
        "{}",
        out.stderr
    );
    assert_eq!(ids(&server), ["Edited00000000001"]);

    let seeded = format!(
        "{}{}",
        hook(
            "Owned000000000001",
            url,
            "[apify-webhooks owner=default key=a secrets=none]",
            ""
        ),
        hook(
            "Damaged0000000001",
            url,
            "[apify-webhooks owner=default key=u secrets=none] x",
            ""
        )
    );
    let (server, dir) = world(&seeded, &entry("u", url, ", previousKeys: [a]"));
    let before = server.webhooks_of("acme");
    let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("webhook Damaged0000000001 (key `u`)"),
        "{}",
        out.stderr
    );
    assert_eq!(server.webhooks_of("acme"), before, "nothing moved");
}

/// Item 2: two identical owned webhooks, the older disabled: not reduced (apply deleted the
/// enabled one, and nothing delivered), refused naming the disabled one. A disabled webhook
/// alone is named by `plan` and makes `status` exit 5.
#[test]
fn a_disabled_copy_is_not_kept_over_an_enabled_one_and_disabled_webhooks_are_shown() {
    let url = "https://hooks.example.com/0";
    let marker = "[apify-webhooks owner=default key=hook-0 secrets=none]";
    let seeded = format!(
        "{}{}",
        hook(
            "Disabled000000001",
            url,
            marker,
            ", isEnabled: false, createdAt: '2026-01-01T00:00:00.000Z'"
        ),
        hook(
            "Enabled0000000001",
            url,
            marker,
            ", createdAt: '2026-02-01T00:00:00.000Z'"
        )
    );
    let (server, dir) = world(&seeded, &entry("hook-0", url, ""));
    let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(
            "webhooks Disabled000000001, Enabled0000000001 all carry the owned key `hook-0` and differ (Disabled000000001 is disabled on the platform)"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(ids(&server), ["Disabled000000001", "Enabled0000000001"]);

    let seeded = hook("Disabled000000001", url, marker, ", isEnabled: false");
    let (server, dir) = world(&seeded, &entry("hook-0", url, ""));
    let out = server.run_in(dir.path(), &["plan", "m.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("No changes.")
            && out.stdout.contains(
                "Warning: 1 owned webhook is disabled on the platform and delivers nothing"
            )
            && out
                .stdout
                .contains("  webhook.hook-0  Disabled000000001  actor acme/actor-0"),
        "{}",
        out.stdout
    );
    let out = server.run_in(dir.path(), &["plan", "m.yaml", "--format", "json"]);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["disabled"][0]["id"], "Disabled000000001");
    let out = server.run_in(dir.path(), &["status", "m.yaml"]);
    assert_eq!(out.code, 5, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("webhook.hook-0 on acme/actor-0: DISABLED on the platform")
            && out.stdout.contains("1 disabled"),
        "{}",
        out.stdout
    );
}

/// Item 13: `adopt:` left in the manifest after the adopted webhook was deleted in the Console:
/// the plan is a create with a note, never a refusal, and converges.
#[test]
fn a_leftover_adopt_of_a_deleted_webhook_is_planned_as_a_create() {
    let url = "https://hooks.example.com/0";
    let (server, dir) = world(
        &hook("Console0000000001", url, "made in the Console", ""),
        &entry("hook-0", url, ", adopt: Console0000000001"),
    );
    let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_no_changes(&server, dir.path());
    console(&server, reqwest::Method::DELETE, "Console0000000001", None);
    let out = server.run_in(dir.path(), &["plan", "m.yaml", "--detailed-exitcode"]);
    assert_eq!(
        out.code, 2,
        "drift, not a refusal: {}\n{}",
        out.stdout, out.stderr
    );
    assert!(
        out.stdout.contains(
            "# (because webhook Console0000000001, which its `adopt:` names, no longer exists"
        ) && out
            .stdout
            .contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{}",
        out.stdout
    );
    let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(server.webhooks_of("acme").len(), 1);
    assert_no_changes(&server, dir.path());
}

/// Item 14: an exported (adopted) entry renamed without `previousKeys`: refused, saying how to
/// rename, with a plan that shows no destroy of the webhook it refuses to take; following the
/// advice moves it in place.
#[test]
fn renaming_an_adopted_entry_says_how_and_the_advice_works() {
    let url = "https://hooks.example.com/0";
    let (server, dir) = world(
        &hook("Console0000000001", url, "made in the Console", ""),
        &entry("old", url, ", adopt: Console0000000001"),
    );
    let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    write_manifest(dir.path(), &entry("new", url, ", adopt: Console0000000001"));
    let out = server.run_in(dir.path(), &["plan", "m.yaml"]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("already managed under the key `old`")
            && out
                .stderr
                .contains("replace `adopt: Console0000000001` with `previousKeys: [old]`"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("will be destroyed"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy."),
        "{}",
        out.stdout
    );
    write_manifest(dir.path(), &entry("new", url, ", previousKeys: [old]"));
    let out = server.run_in(dir.path(), &["apply", "--auto-approve", "m.yaml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("# webhook.old has moved to webhook.new"),
        "{}",
        out.stdout
    );
    assert_eq!(ids(&server), ["Console0000000001"]);
    assert_no_changes(&server, dir.path());
}

/// Item 18: a saved plan applied a second time says it was applied already; a Console edit of a
/// webhook the plan does not touch is named, with the field.
#[test]
fn a_saved_plan_says_it_was_applied_already_and_names_a_console_edit() {
    let seeded = format!(
        "{}{}",
        hook(
            "Hook0000000000000",
            "https://hooks.example.com/0",
            "[apify-webhooks owner=default key=hook-0 secrets=none]",
            ""
        ),
        hook(
            "Hook0000000000001",
            "https://hooks.example.com/1",
            "[apify-webhooks owner=default key=hook-1 secrets=none]",
            ""
        )
    );
    let entries = format!(
        "{}{}{}",
        entry("hook-0", "https://hooks.example.com/0", ""),
        entry("hook-1", "https://hooks.example.com/one", ""),
        entry("hook-2", "https://hooks.example.com/2", "")
    );
    let (server, dir) = world(&seeded, &entries);
    let out = server.run_in(dir.path(), &["plan", "m.yaml", "--out", "p.json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = server.run_in(dir.path(), &["apply", "--plan", "p.json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let out = server.run_in(dir.path(), &["apply", "--plan", "p.json"]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("Saved plan `p.json` was applied already; nothing was changed:")
            && out.stderr.contains(
                "webhook Hook0000000000001 (`hook-1`) already has this change: the plan was applied already"
            )
            && out
                .stderr
                .contains("`hook-2` exists already: the plan was applied already"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("changed on the platform"),
        "{}",
        out.stderr
    );

    // A new plan; then someone edits hook-0, which the plan does not touch.
    write_manifest(
        dir.path(),
        &format!(
            "{entries}{}",
            entry("hook-3", "https://hooks.example.com/3", "")
        ),
    );
    let out = server.run_in(dir.path(), &["plan", "m.yaml", "--out", "p.json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    console(
        &server,
        reqwest::Method::PUT,
        "Hook0000000000000",
        Some(serde_json::json!({"requestUrl": "https://console-edit.example.com"})),
    );
    let out = server.run_in(dir.path(), &["apply", "--plan", "p.json"]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(
            "webhook Hook0000000000000 (`hook-0`) changed on the platform since the plan was saved: planning now also updates (requestUrl)"
        ),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr
            .contains("planning now gives different operations"),
        "{}",
        out.stderr
    );
}
