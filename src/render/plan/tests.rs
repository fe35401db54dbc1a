//! Tests of the plan renderers: snapshots of one rich scenario in every format (built with the
//! pure `plan::plan`, so the renderers see real plans), focused tests of the closing lines,
//! refusals, conflicts and size limits, a secret-leak test, and the JSON schema contract.

use std::collections::HashMap;

use super::*;
use crate::plan::{
    self as planning, Change, DesiredSpec, LiveState, PlanOptions, Secretish, Shown, Target,
};
use crate::platform::{Condition, Webhook};
use crate::webhook::TargetKind;

const OWNER: &str = "acme-prod";
const MODIFIED: &str = "2026-03-01T10:00:00.000Z";

fn actor(id: &str, name: &str) -> Target {
    Target {
        kind: TargetKind::Actor,
        id: id.to_owned(),
        name: name.to_owned(),
    }
}

fn task(id: &str, name: &str) -> Target {
    Target {
        kind: TargetKind::Task,
        id: id.to_owned(),
        name: name.to_owned(),
    }
}

fn spec(key: &str, target: &Target) -> DesiredSpec {
    crate::plan::tests::desired(key, target.clone())
}

fn secret(value: &str) -> Secretish {
    Secretish {
        value: value.to_owned(),
        from_env: true,
    }
}

/// The webhook the platform holds after creating `d` for `owner`.
fn live(id: &str, d: &DesiredSpec, owner: &str) -> Webhook {
    let mut w = crate::plan::tests::live_of(id, d, owner);
    w.modified_at = Some(MODIFIED.to_owned());
    w
}

/// A webhook made by hand in Console (no marker).
fn plain(id: &str, description: &str, target: &Target) -> Webhook {
    let mut w = live(id, &spec("unused", target), OWNER);
    w.event_types = Some(vec!["ACTOR.RUN.SUCCEEDED".into()]);
    w.request_url = Some("https://other.example.com/hook".into());
    w.description = Some(description.to_owned());
    w
}

fn state(webhooks: Vec<Webhook>) -> LiveState {
    LiveState {
        webhooks,
        target_names: HashMap::from([("A2scr".to_owned(), "acme/web-scraper".to_owned())]),
    }
}

fn ctx(secrets: &[String]) -> PlanContext<'_> {
    PlanContext {
        color: false,
        secrets,
        manifest_digest: "9c1e5f0a7b3d2e4f6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f",
        tool_version: "0.0.0-test",
        saved_to: None,
        apply_command: Some("apify-webhooks apply"),
    }
}

// The values read from the environment in the rich scenario.
const URL_TOKEN: &str = "tok-URL-7f3a9c";
const HEADER_TOKEN: &str = "hdr-NEW-51d2e8";

fn rich_secrets() -> Vec<String> {
    vec![URL_TOKEN.to_owned(), HEADER_TOKEN.to_owned()]
}

const ORDERS_PAYLOAD_OLD: &str = r#"{
  "event": {{eventType}},
  "user": {{userId}},
  "run": {
    "id": {{resource.id}},
    "actorId": {{resource.actId}},
    "status": {{resource.status}},
    "startedAt": {{resource.startedAt}},
    "finishedAt": {{resource.finishedAt}},
    "dataset": {{resource.defaultDatasetId}}
  }
}"#;

const ORDERS_PAYLOAD_NEW: &str = r#"{
  "event": {{eventType}},
  "user": {{userId}},
  "run": {
    "id": {{resource.id}},
    "actorId": {{resource.actId}},
    "status": {{resource.status}},
    "exitCode": {{resource.exitCode}},
    "startedAt": {{resource.startedAt}},
    "finishedAt": {{resource.finishedAt}},
    "dataset": {{resource.defaultDatasetId}}
  }
}"#;

/// Every kind of change (create with templates and a multi-line payload, updates with
/// `old -> new`, a line diff and a word diff, an adoption, a delete, a no-op) and every class
/// of live webhook (owned, foreign, unmanaged, out of scope), with drift and secrets.
fn rich_plan() -> Plan {
    let monitor = actor("A1mon", "acme/price-monitor");
    let crawl = task("T1crawl", "acme/daily-crawl");
    let scraper = actor("A2scr", "acme/web-scraper");

    let mut create = spec("alerts/monitor-failed", &monitor);
    create.event_types = vec!["ACTOR.RUN.FAILED".into(), "ACTOR.RUN.TIMED_OUT".into()];
    create.request_url = secret(&format!(
        "https://hooks.example.com/apify?token={URL_TOKEN}"
    ));
    create.payload_template = Some(Secretish::plain(
        "{\n  \"event\": {{eventType}},\n  \"run\": {{resource}}\n}",
    ));
    create.headers_template = Some(secret(&format!(
        r#"{{"Authorization": "Bearer {HEADER_TOKEN}"}}"#
    )));
    create.description = Some("Page on-call when the monitor fails".into());
    create.do_not_retry = true;

    let mut orders = spec("orders/done", &crawl);
    orders.event_types = vec!["ACTOR.RUN.SUCCEEDED".into()];
    orders.request_url = Secretish::plain("https://hooks.example.com/orders/done");
    orders.payload_template = Some(Secretish::plain(ORDERS_PAYLOAD_NEW));
    orders.headers_template = Some(secret(&format!(
        r#"{{"Authorization": "Bearer {HEADER_TOKEN}"}}"#
    )));
    orders.description = Some("Orders finished".into());
    let mut orders_live = live("W0rders", &orders, OWNER);
    orders_live.request_url = Some("https://old.example.com/orders".into());
    orders_live.payload_template = Some(ORDERS_PAYLOAD_OLD.into());
    orders_live.headers_template = Some(r#"{"Authorization": "Bearer hdr-OLD-aa19"}"#.into());
    orders_live.description = Some(format!(
        "Orders [apify-webhooks owner={OWNER} key=orders/done secrets=headersTemplate]"
    ));
    orders_live.do_not_retry = Some(true);

    let mut summary = spec("crawl/summary", &crawl);
    summary.event_types = vec!["ACTOR.RUN.SUCCEEDED".into()];
    summary.request_url = Secretish::plain("https://chat.example.com/summary?key=public-2");
    summary.payload_template = Some(Secretish::plain(
        r#"{"text": "Crawl {{resource.id}} finished with status {{resource.status}} in {{resource.stats.durationMillis}} ms", "channel": "crawls-prod"}"#,
    ));
    summary.description = Some("Crawl summary to chat".into());
    let mut summary_live = live("W5ummary", &summary, OWNER);
    summary_live.request_url = Some("https://chat.example.com/summary?key=public-1".into());
    summary_live.payload_template = Some(
        r#"{"text": "Crawl {{resource.id}} finished with status {{resource.status}}", "channel": "crawls"}"#
            .into(),
    );
    summary_live.description = Some(format!(
        "Crawl summary [apify-webhooks owner={OWNER} key=crawl/summary secrets=none]"
    ));
    // Switched on in the Console; the manifest leaves it at the default: drift.
    summary_live.ignore_ssl_errors = Some(true);

    let mut adopt = spec("legacy/console-hook", &monitor);
    adopt.adopt = Some("WunmanagedA".into());
    adopt.event_types = vec!["ACTOR.RUN.FAILED".into(), "ACTOR.RUN.SUCCEEDED".into()];
    adopt.request_url = Secretish::plain("https://other.example.com/hook");
    adopt.description = Some("Adopted from Console".into());

    let steady = spec("steady/noop", &monitor);
    let mut steady_live = live("W5teady", &steady, OWNER);
    // Disabled by the platform: nothing to change, but named.
    steady_live
        .extra
        .insert("isEnabled".into(), serde_json::Value::Bool(false));

    let mut removed = spec("old/removed", &scraper);
    removed.event_types = vec!["ACTOR.BUILD.FAILED".into()];
    removed.request_url = Secretish::plain("https://hooks.example.com/builds");
    removed.description = Some("Build failures".into());
    let removed_live = live("WremovedX", &removed, OWNER);

    // What `${NAME}` held is now written literally: only the marker's record of secrets changes.
    let mut recorded = spec("hooks/recorded", &scraper);
    recorded.request_url = Secretish::plain("https://hooks.example.com/recorded");
    let mut recorded_live = live("Wrec0rded", &recorded, OWNER);
    recorded_live.description = Some(format!(
        "[apify-webhooks owner={OWNER} key=hooks/recorded secrets=requestUrl]"
    ));

    let foreign = live("Wf0reign", &spec("orders/done", &crawl), "acme-staging");
    let unmanaged_adopted = plain("WunmanagedA", "made in Console", &monitor);
    let unmanaged = plain("WunmanagedB", "Zapier", &crawl);
    let mut adhoc = plain("Wadhoc", "", &monitor);
    adhoc.is_ad_hoc = Some(true);
    adhoc.condition = Some(Condition {
        actor_run_id: Some("R1".into()),
        ..Condition::default()
    });
    let mut integration = live("Wintegration", &spec("x", &monitor), OWNER);
    integration.is_apify_integration = Some(true);

    planning::plan(
        &[create, orders, summary, adopt, steady, recorded],
        &state(vec![
            orders_live,
            summary_live,
            steady_live,
            removed_live,
            recorded_live,
            foreign,
            unmanaged_adopted,
            unmanaged,
            adhoc,
            integration,
        ]),
        OWNER,
        PlanOptions::default(),
    )
}

/// ANSI escapes made visible, so a snapshot pins the styles.
fn visible_escapes(text: &str) -> String {
    text.replace('\u{1b}', "\\e")
}

#[test]
fn rich_scenario_has_every_kind_of_change_and_class() {
    let p = rich_plan();
    let s = p.summary();
    assert_eq!((s.adopt, s.add, s.change, s.destroy), (1, 1, 3, 1));
    let u = p.untouched;
    assert_eq!(
        (u.unchanged, u.unmanaged, u.foreign, u.out_of_scope),
        (1, 1, 1, 2)
    );
    assert!(p.changes.iter().any(Change::has_drift));
    assert!(p.is_applicable());
}

#[test]
fn rich_text() {
    let secrets = rich_secrets();
    insta::assert_snapshot!("rich_text", text(&rich_plan(), &ctx(&secrets)));
}

#[test]
fn rich_text_in_colour() {
    let secrets = rich_secrets();
    let c = PlanContext {
        color: true,
        ..ctx(&secrets)
    };
    let out = text(&rich_plan(), &c);
    assert!(out.contains("\u{1b}[32m+\u{1b}[0m"), "+ is green");
    assert!(out.contains("\u{1b}[33m~\u{1b}[0m"), "~ is yellow");
    assert!(out.contains("\u{1b}[31m-\u{1b}[0m"), "- is red");
    insta::assert_snapshot!("rich_text_colour", visible_escapes(&out));
}

#[test]
fn rich_json() {
    let secrets = rich_secrets();
    insta::assert_snapshot!("rich_json", json(&rich_plan(), &ctx(&secrets)));
}

#[test]
fn rich_markdown() {
    let secrets = rich_secrets();
    insta::assert_snapshot!("rich_markdown", markdown(&rich_plan(), &ctx(&secrets)));
}

#[test]
fn display_is_the_plain_text_plan() {
    let p = rich_plan();
    assert_eq!(format!("{p}"), text(&p, &ctx(&[])));
    assert!(!format!("{p}").contains('\u{1b}'));
}

// --- focused scenarios --------------------------------------------------------------------

fn owned(n: usize, target: &Target) -> Vec<Webhook> {
    (0..n)
        .map(|i| {
            live(
                &format!("W{i:02}"),
                &spec(&format!("k{i:02}"), target),
                OWNER,
            )
        })
        .collect()
}

fn keep(n: usize, target: &Target) -> Vec<DesiredSpec> {
    (0..n).map(|i| spec(&format!("k{i:02}"), target)).collect()
}

fn no_changes_plan() -> Plan {
    let t = actor("A1", "acme/a");
    let mut webhooks = owned(2, &t);
    webhooks.push(plain("Wu1", "by hand", &t));
    webhooks.push(live("Wf1", &spec("k00", &t), "someone-else"));
    planning::plan(
        &keep(2, &t),
        &state(webhooks),
        OWNER,
        PlanOptions::default(),
    )
}

#[test]
fn no_changes() {
    let p = no_changes_plan();
    assert!(p.is_empty());
    insta::assert_snapshot!(text(&p, &ctx(&[])), @r"
    No changes. Your webhooks match the configuration.
    1 unmanaged and 1 foreign webhooks left untouched.
    Unmanaged (take one over with `adopt: <id>` on a manifest entry):
      Wu1  actor A1  https://other.example.com/…  ACTOR.RUN.SUCCEEDED
    ");
    insta::assert_snapshot!(markdown(&p, &ctx(&[])), @r"
    <!-- apify-webhooks plan owner=acme-prod -->
    ### apify-webhooks plan for owner `acme-prod`

    **No changes.** Your webhooks match the configuration.

    1 unmanaged and 1 foreign webhooks left untouched.

    <details><summary>Unmanaged webhooks (take one over with <code>adopt: ID</code>)</summary>

    | ID | Target | URL | Events |
    |---|---|---|---|
    | `Wu1` | actor A1 | https://other.example.com/… | ACTOR.RUN.SUCCEEDED |

    </details>

    <sub>apify-webhooks 0.0.0-test · manifests `9c1e5f0a7b3d`</sub>
    ");
}

fn refused_plan(force: bool) -> Plan {
    let t = actor("A1", "acme/a");
    planning::plan(
        &keep(6, &t),
        &state(owned(10, &t)),
        OWNER,
        PlanOptions {
            force,
            no_delete: false,
            ..PlanOptions::default()
        },
    )
}

#[test]
fn refusal() {
    let p = refused_plan(false);
    assert!(p.refusal.is_some());
    let out = text(&p, &ctx(&[]));
    let tail = out.split_once("Plan: ").map(|(_, t)| t).unwrap_or_default();
    insta::assert_snapshot!(tail, @"0 to add, 0 to change, 4 to destroy.");
    insta::assert_snapshot!(super::text::refusal(&p.conflicts, p.refusal.as_ref()), @r"
    the plan is refused; nothing will change:
      - Too many deletes: 40.00% is over 30.00% (4 of 10 owned webhooks); --force required
    Review the deletions in the plan; if they are intended, plan again with --force.
    ");
    let md = markdown(&p, &ctx(&[]));
    assert!(md.contains(
        "> [!CAUTION]\n> **This plan cannot be applied.**\n>\n> - Too many deletes: 40.00% is over 30.00% (4 of 10 owned webhooks); --force required\n"
    ), "{md}");
    let doc: serde_json::Value = serde_json::from_str(&json(&p, &ctx(&[]))).unwrap();
    assert_eq!(doc["applyable"], false);
    assert_eq!(
        doc["refusal"],
        serde_json::json!({
            "rule": "too_many_deletes",
            "message": "Too many deletes: 40.00% is over 30.00% (4 of 10 owned webhooks); --force required",
            "forceable": true,
            "deletes": 4,
            "owned": 10,
        })
    );
}

#[test]
fn the_webhook_cap_is_refused_with_another_hint() {
    let t = actor("A1", "acme/a");
    let mut want = keep(100, &t);
    want.push(spec("one-more", &t));
    let p = planning::plan(&want, &state(owned(100, &t)), OWNER, PlanOptions::default());
    let out = super::text::refusal(&p.conflicts, p.refusal.as_ref());
    assert!(out.contains(
        "  - The account would hold 101 webhooks, over the platform's limit of 100 per user\nDelete webhooks the account no longer needs, or declare fewer, and plan again."
    ), "{out}");
    let doc: serde_json::Value = serde_json::from_str(&json(&p, &ctx(&[]))).unwrap();
    assert_eq!(doc["refusal"]["forceable"], false);
    assert_eq!(
        doc["totals"],
        serde_json::json!({"before": 100, "after": 101, "limit": 100})
    );
}

#[test]
fn forced_warning() {
    let p = refused_plan(true);
    assert!(p.refusal.is_none() && p.forced.is_some());
    let out = text(&p, &ctx(&[]));
    let tail = out.split_once("Plan: ").map(|(_, t)| t).unwrap_or_default();
    insta::assert_snapshot!(tail, @r#"
    0 to add, 0 to change, 4 to destroy.

    Warning: --force lifted a safety rule: Too many deletes: 40.00% is over 30.00% (4 of 10 owned webhooks); --force required

    Note: this plan is not saved (--out FILE saves it); "apify-webhooks apply" plans again, so it may differ if the account changes.
    "#);
    let md = markdown(&p, &ctx(&[]));
    assert!(
        md.contains("> [!WARNING]\n> `--force` lifted a safety rule: Too many deletes"),
        "{md}"
    );
    assert!(!md.contains("[!CAUTION]"));
}

fn conflict_plan() -> Plan {
    let t = actor("A1", "acme/a");
    let d = spec("dup", &t);
    // Two different webhooks under one key (identical ones would be deduplicated).
    let mut other = live("W1", &d, OWNER);
    other.request_url = Some("https://elsewhere.example.com".into());
    let mut damaged = live("W3", &spec("held", &t), OWNER);
    damaged.description = Some(format!("{} edited", damaged.description.unwrap()));
    planning::plan(
        std::slice::from_ref(&d),
        &state(vec![live("W2", &d, OWNER), other, damaged]),
        OWNER,
        PlanOptions::default(),
    )
}

/// Issue 16, item 13: an entry whose adopted webhook is gone is a create, and every format
/// says why.
#[test]
fn a_create_for_a_gone_adopted_webhook_says_so_in_every_format() {
    let t = actor("A1", "acme/a");
    let mut d = spec("grab", &t);
    d.adopt = Some("Wgone".into());
    let p = planning::plan(&[d], &state(vec![]), OWNER, PlanOptions::default());
    assert!(p.is_applicable());
    let out = text(&p, &ctx(&[]));
    assert!(
        out.contains("  # webhook.grab (actor acme/a) will be created\n  # (because webhook Wgone, which its `adopt:` names, no longer exists; `adopt: Wgone` can be dropped)\n"),
        "{out}"
    );
    assert!(
        out.contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{out}"
    );
    let doc: serde_json::Value = serde_json::from_str(&json(&p, &ctx(&[]))).unwrap();
    assert_eq!(
        doc["changes"][0]["action_reason"],
        "create_because_adopted_webhook_gone"
    );
    assert_eq!(doc["changes"][0]["adopt_gone"], "Wgone");
    let md = markdown(&p, &ctx(&[]));
    assert!(
        md.contains("which `adopt:` names, no longer exists"),
        "{md}"
    );
}

#[test]
fn conflicts() {
    let p = conflict_plan();
    assert_eq!(p.conflicts.len(), 2);
    // The text plan says nothing of them: the refusal is worded once, as the error.
    insta::assert_snapshot!(text(&p, &ctx(&[])), @"Plan: 0 to add, 0 to change, 0 to destroy.");
    insta::assert_snapshot!(super::text::refusal(&p.conflicts, p.refusal.as_ref()), @r"
    the plan is refused; nothing will change:
      - webhooks W1, W2 all carry the owned key `dup` and differ; delete all but one on the platform
      - webhook W3 (key `held`): text follows its marker (`edited`), which must end the description; it is neither owned nor unmanaged: correct its description on the platform, or take it over with `adopt: W3` on an entry
    Resolve the conflicts on the platform (or in the manifests) and plan again.
    ");
    let md = markdown(&p, &ctx(&[]));
    assert!(
        md.contains("> - webhooks W1, W2 all carry the owned key `dup` and differ"),
        "{md}"
    );
    let doc: serde_json::Value = serde_json::from_str(&json(&p, &ctx(&[]))).unwrap();
    assert_eq!(
        doc["conflicts"][0],
        serde_json::json!({
            "conflict": "duplicate_key",
            "key": "dup",
            "webhook_ids": ["W1", "W2"],
            "message": "webhooks W1, W2 all carry the owned key `dup` and differ; delete all but one on the platform",
        })
    );
    assert_eq!(doc["conflicts"][1]["conflict"], "damaged_marker");
    assert_eq!(doc["conflicts"][1]["key"], "held");
    assert_eq!(
        doc["conflicts"][1]["webhook_ids"],
        serde_json::json!(["W3"])
    );
}

#[test]
fn no_delete_counts_the_kept_webhooks() {
    let t = actor("A1", "acme/a");
    let mut want = keep(1, &t);
    want.push(spec("new", &t));
    let p = planning::plan(
        &want,
        &state(owned(3, &t)),
        OWNER,
        PlanOptions {
            force: false,
            no_delete: true,
            ..PlanOptions::default()
        },
    );
    let out = text(&p, &ctx(&[]));
    assert!(
        out.contains(
            "Plan: 1 to add, 0 to change, 0 to destroy.\n2 owned webhooks not in the manifests kept (--no-delete).\n"
        ),
        "{out}"
    );
    let one = planning::plan(
        &keep(1, &t),
        &state(owned(2, &t)),
        OWNER,
        PlanOptions {
            force: false,
            no_delete: true,
            ..PlanOptions::default()
        },
    );
    assert!(text(&one, &ctx(&[])).ends_with(
        "No changes. Your webhooks match the configuration.\n1 owned webhook not in the manifests kept (--no-delete).\n"
    ));
    assert!(markdown(&one, &ctx(&[])).contains("1 owned webhook not in the manifests kept"));
}

#[test]
fn the_closing_note_uses_the_apply_command_and_can_be_left_out() {
    let p = rich_plan();
    let local = PlanContext {
        saved_to: Some("p.json"),
        apply_command: Some("apify-webhooks apply --local"),
        ..ctx(&[])
    };
    assert!(text(&p, &local).ends_with("run: apify-webhooks apply --local --plan p.json\n"));
    let none = PlanContext {
        apply_command: None,
        ..ctx(&[])
    };
    assert!(!text(&p, &none).contains("Note: this plan is not saved"));
    assert!(text(&p, &ctx(&[])).contains("Note: this plan is not saved"));
}

#[test]
fn saved_plans_say_how_to_apply_them() {
    let p = refused_plan(true);
    let c = PlanContext {
        saved_to: Some("plans/prod.plan"),
        ..ctx(&[])
    };
    let out = text(&p, &c);
    assert!(out.ends_with(
        "\nSaved the plan to: plans/prod.plan\n\nTo perform exactly these actions, run: apify-webhooks apply --plan plans/prod.plan\n"
    ), "{out}");
    assert!(!out.contains("didn't use the --out option"));
    let c = PlanContext {
        saved_to: Some("my plans/it's.plan"),
        ..ctx(&[])
    };
    assert!(
        text(&p, &c).ends_with("apify-webhooks apply --plan 'my plans/it'\\''s.plan'\n"),
        "paths are quoted for the shell"
    );
    // Without changes there is nothing to guarantee, so no note either.
    assert!(!text(&no_changes_plan(), &ctx(&[])).contains("Note:"));
}

// --- secrets ------------------------------------------------------------------------------

#[test]
fn no_secret_reaches_any_format_and_changed_secrets_show_new_fingerprints() {
    const SECRET: &str = "zq-UNIQUE-SECRET-93f1c7";
    const OLD: &str = "zq-OLD-SECRET-44aa01";
    let t = task("T1", "acme/t");
    let mut d = spec("leaky", &t);
    d.request_url = secret(&format!(
        "https://user:{SECRET}@hooks.example.com/in?t={SECRET}"
    ));
    d.headers_template = Some(secret(&format!(r#"{{"X-Token": "{SECRET}"}}"#)));
    d.payload_template = Some(secret(&format!(
        "{{\n  \"token\": \"{SECRET}\",\n  \"run\": {{{{resource}}}}\n}}"
    )));
    let mut w = live("Wleaky", &d, OWNER);
    w.request_url = Some(format!("https://user:{OLD}@hooks.example.com/in?t={OLD}"));
    w.headers_template = Some(format!(r#"{{"X-Token": "{OLD}"}}"#));
    w.payload_template = Some(format!(
        "{{\n  \"token\": \"{OLD}\",\n  \"run\": {{{{resource}}}}\n}}"
    ));
    let mut created = d.clone();
    created.key = "leaky-new".into();
    let p = planning::plan(
        &[d, created],
        &state(vec![w]),
        OWNER,
        PlanOptions::default(),
    );
    assert_eq!(p.changes.len(), 2);

    let secrets = vec![SECRET.to_owned()];
    for color in [false, true] {
        let c = PlanContext {
            color,
            ..ctx(&secrets)
        };
        for (format, out) in [
            ("text", text(&p, &c)),
            ("json", json(&p, &c)),
            ("markdown", markdown(&p, &c)),
            ("display", p.to_string()),
        ] {
            for needle in [SECRET, OLD, "UNIQUE-SECRET", "OLD-SECRET"] {
                assert!(!out.contains(needle), "{format} leaks {needle}:\n{out}");
            }
        }
    }

    // A changed secret stays visible: its fingerprint differs before and after.
    let update = p.changes.iter().find(|c| c.key == "leaky").unwrap();
    let out = text(&p, &ctx(&secrets));
    for f in &update.fields {
        let (
            Some(Shown::Sensitive { fingerprint: b, .. }),
            Some(Shown::Sensitive { fingerprint: a, .. }),
        ) = (&f.before, &f.after)
        else {
            panic!("{:?} should be sensitive on both sides", f.field);
        };
        assert_ne!(a, b, "{:?}", f.field);
        let change = format!("= (sensitive value {b}) -> (sensitive value {a})");
        assert!(
            out.lines()
                .any(|l| l.contains(f.field.name()) && l.ends_with(&change)),
            "{change}\n{out}"
        );
    }
    let doc: serde_json::Value = serde_json::from_str(&json(&p, &ctx(&secrets))).unwrap();
    for field in doc["changes"][0]["fields"].as_array().unwrap() {
        assert_eq!(field["sensitive"], true, "{field}");
        assert_ne!(
            field["before"]["fingerprint"],
            field["after"]["fingerprint"]
        );
    }
}

#[test]
fn the_safety_net_scrubs_secrets_the_plan_let_through() {
    // A secret the plan would not know to mask (say, pasted into a description).
    let t = actor("A1", "acme/a");
    let mut d = spec("k", &t);
    d.description = Some(r#"Token "s3cr\et" and |pipe-secret| here"#.into());
    let p = planning::plan(&[d], &state(vec![]), OWNER, PlanOptions::default());
    let secrets = vec![
        r#""s3cr\et""#.to_owned(),
        "|pipe-secret|".to_owned(),
        "abc".to_owned(),
    ];
    let c = ctx(&secrets);
    for out in [text(&p, &c), json(&p, &c), markdown(&p, &c)] {
        assert!(!out.contains(r"s3cr\et"), "{out}");
        assert!(!out.contains(r"s3cr\\et"), "{out}");
        assert!(!out.contains("pipe-secret"), "{out}");
    }
    assert!(text(&p, &c).contains("(sensitive value)"));
    assert!(
        text(&p, &c).contains("acme/a"),
        "secrets of 3 characters or less are not scrubbed"
    );
    let doc: Result<serde_json::Value, _> = serde_json::from_str(&json(&p, &c));
    assert!(doc.is_ok(), "scrubbing keeps the JSON valid");
}

#[test]
fn colour_never_splits_a_secret_the_console_would_join() {
    assert_eq!(
        strip_styles("a\u{1b}[1m\u{1b}[33mb\u{1b}[0mc\u{1b}[x"),
        "abc\u{1b}[x"
    );
    // A secret spanning a styled and a plain part (contrived, but possible for any value the
    // plan shows): the coloured text holds it only split, so the plain text is given instead.
    let p = planning::plan(
        &[spec("k", &actor("A1", "acme/a"))],
        &state(vec![]),
        OWNER,
        PlanOptions::default(),
    );
    let secrets = vec!["webhook.k (actor acme/a)".to_owned()];
    let c = PlanContext {
        color: true,
        ..ctx(&secrets)
    };
    let out = text(&p, &c);
    assert!(!strip_styles(&out).contains(&secrets[0]), "{out}");
    assert!(!out.contains('\u{1b}'), "{out}");
    assert!(
        out.contains("  # (sensitive value) will be created"),
        "{out}"
    );
}

// --- JSON schema --------------------------------------------------------------------------

#[test]
fn committed_plan_schema_is_what_the_types_generate() {
    let generated = schema_text();
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/plan.schema.json");
        std::fs::write(path, &generated).unwrap();
        return;
    }
    assert!(
        PLAN_SCHEMA_JSON == generated,
        "schemas/plan.schema.json is stale: regenerate it with `UPDATE_SCHEMAS=1 cargo test --lib committed_plan_schema`"
    );
}

#[test]
fn every_json_output_matches_the_committed_schema() {
    let schema: serde_json::Value = serde_json::from_str(PLAN_SCHEMA_JSON).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let secrets = rich_secrets();
    for (name, p) in [
        ("rich", rich_plan()),
        ("no changes", no_changes_plan()),
        ("refused", refused_plan(false)),
        ("forced", refused_plan(true)),
        ("conflicts", conflict_plan()),
    ] {
        let doc: serde_json::Value = serde_json::from_str(&json(&p, &ctx(&secrets))).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
    // And the schema is not vacuous: a wrong document fails.
    let mut bad: serde_json::Value =
        serde_json::from_str(&json(&rich_plan(), &ctx(&secrets))).unwrap();
    bad["changes"][0]["actions"] = serde_json::json!(["replace"]);
    bad["changes"][0]["fields"][1]["after"] = serde_json::json!({"sensitive": "oops"});
    assert!(!validator.is_valid(&bad));
}

// --- Markdown size ------------------------------------------------------------------------

/// `n` creates with payloads of `lines` long lines each, and long keys.
fn big_plan(n: usize, lines: usize) -> Plan {
    let t = actor("A1", "acme/a");
    let want: Vec<DesiredSpec> = (0..n)
        .map(|i| {
            let mut d = spec(&format!("team-{i:04}/{}", "k".repeat(80)), &t);
            let body: Vec<String> = (0..lines)
                .map(|l| format!("  \"field{l}\": \"{}\",", "x".repeat(60)))
                .collect();
            d.payload_template = Some(Secretish::plain(format!(
                "{{\n{}\n  \"run\": {{{{resource}}}}\n}}",
                body.join("\n")
            )));
            d.description = Some(format!("Webhook number {i}"));
            d
        })
        .collect();
    planning::plan(&want, &state(vec![]), OWNER, PlanOptions::default())
}

#[test]
fn markdown_stays_under_the_comment_limit() {
    // A little too long: the largest changes lose their field details, the rest keep them.
    let p = big_plan(30, 40);
    let md = markdown(&p, &ctx(&[]));
    assert!(md.len() <= markdown::MAX_CHARS, "{}", md.len());
    assert!(md.contains("This plan was summarised to fit in a comment: the field details of"));
    assert!(md.contains("<details><summary>Show plan</summary>"));
    assert!(md.contains("# (details of 4 fields omitted: eventTypes, requestUrl"));
    assert!(
        md.contains("+       payloadTemplate = <<-EOT"),
        "some keep details"
    );

    // Hundreds of large changes: only the table is left.
    let p = big_plan(300, 40);
    let md = markdown(&p, &ctx(&[]));
    assert!(md.len() <= markdown::MAX_CHARS, "{}", md.len());
    assert!(
        md.contains("the detailed plan is left out"),
        "{}",
        &md[..600]
    );
    assert!(!md.contains("<details>"));
    assert_eq!(md.matches("| `+` |").count(), 300);
    assert!(md.contains("run `apify-webhooks plan` locally, or use `--format json`"));

    // More changes than rows fit: the table is cut, and says so.
    let p = big_plan(1500, 1);
    let md = markdown(&p, &ctx(&[]));
    assert!(md.len() <= markdown::MAX_CHARS, "{}", md.len());
    assert!(md.contains("more changes not shown |"));
    assert!(md.starts_with("<!-- apify-webhooks plan owner=acme-prod -->\n### apify-webhooks plan for owner `acme-prod`\n\n**Plan: 1500 to add, 0 to change, 0 to destroy.**\n"));
}

#[test]
fn diff_blocks_use_a_fence_longer_than_any_backticks_inside() {
    let t = actor("A1", "acme/a");
    let mut d = spec("k", &t);
    d.description = Some("has ``` and ```` inside".into());
    let p = planning::plan(&[d], &state(vec![]), OWNER, PlanOptions::default());
    let md = markdown(&p, &ctx(&[]));
    assert!(md.contains("`````diff\n"), "{md}");
}
