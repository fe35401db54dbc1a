//! Unit and property tests of the pure plan, against an in-memory model of the platform.

use proptest::prelude::*;

use std::collections::{HashMap, HashSet};

use super::*;
use crate::platform::{Condition, Webhook, WebhookCreate, WebhookUpdate};
use crate::webhook::TargetKind;

pub(crate) fn actor(id: &str) -> Target {
    Target {
        kind: TargetKind::Actor,
        id: id.to_owned(),
        name: format!("acme/{id}"),
    }
}

pub(crate) fn task(id: &str) -> Target {
    Target {
        kind: TargetKind::Task,
        id: id.to_owned(),
        name: format!("acme/{id}"),
    }
}

pub(crate) fn desired(key: &str, target: Target) -> DesiredSpec {
    DesiredSpec {
        key: key.to_owned(),
        target,
        adopt: None,
        previous_keys: Vec::new(),
        event_types: vec!["ACTOR.RUN.FAILED".to_owned()],
        request_url: Secretish::plain("https://hooks.example.com/x"),
        payload_template: None,
        headers_template: None,
        description: None,
        ignore_ssl_errors: false,
        do_not_retry: false,
        should_interpolate_strings: false,
        pattern: None,
    }
}

/// The webhook the platform holds after creating `d` for `owner`.
pub(crate) fn live_of(id: &str, d: &DesiredSpec, owner: &str) -> Webhook {
    let mut w = Webhook {
        id: id.to_owned(),
        modified_at: Some("2026-01-01T00:00:00.000Z".into()),
        ..Webhook::default()
    };
    apply_create(&mut w, &create_body(d, owner));
    w
}

fn plain(id: &str, description: Option<&str>, target: &Target) -> Webhook {
    let mut w = Webhook {
        id: id.to_owned(),
        event_types: Some(vec!["ACTOR.RUN.SUCCEEDED".into()]),
        request_url: Some("https://other.example.com".into()),
        description: description.map(str::to_owned),
        modified_at: Some("2026-01-01T00:00:00.000Z".into()),
        ..Webhook::default()
    };
    w.condition = Some(condition(target));
    w
}

fn apply_create(w: &mut Webhook, b: &WebhookCreate) {
    w.event_types = Some(b.event_types.clone());
    w.condition = Some(b.condition.clone());
    w.request_url = Some(b.request_url.clone());
    w.payload_template.clone_from(&b.payload_template);
    w.headers_template.clone_from(&b.headers_template);
    w.description.clone_from(&b.description);
    w.ignore_ssl_errors = b.ignore_ssl_errors;
    w.do_not_retry = b.do_not_retry;
    w.should_interpolate_strings = b.should_interpolate_strings;
}

fn apply_update(w: &mut Webhook, u: &WebhookUpdate) {
    if let Some(v) = &u.event_types {
        w.event_types = Some(v.clone());
    }
    if let Some(v) = &u.condition {
        w.condition = Some(v.clone());
    }
    if let Some(v) = &u.request_url {
        w.request_url = Some(v.clone());
    }
    if let Some(v) = &u.payload_template {
        w.payload_template.clone_from(v);
    }
    if let Some(v) = &u.headers_template {
        w.headers_template.clone_from(v);
    }
    if let Some(v) = &u.description {
        w.description.clone_from(v);
    }
    if let Some(v) = u.ignore_ssl_errors {
        w.ignore_ssl_errors = Some(v);
    }
    if let Some(v) = u.do_not_retry {
        w.do_not_retry = Some(v);
    }
    if let Some(v) = u.should_interpolate_strings {
        w.should_interpolate_strings = Some(v);
    }
    w.modified_at = Some("2026-02-02T00:00:00.000Z".into());
}

/// Applies the plan's requests to an in-memory account.
pub(crate) fn apply_model(plan: &Plan, live: &mut Vec<Webhook>) {
    for (n, c) in plan.changes.iter().enumerate() {
        match &c.request {
            Request::Create(b) => {
                let mut w = Webhook {
                    id: format!("new{n}"),
                    ..Webhook::default()
                };
                apply_create(&mut w, b);
                live.push(w);
            }
            Request::Update(u) => {
                let id = c.webhook_id.as_deref().unwrap();
                apply_update(live.iter_mut().find(|w| w.id == id).unwrap(), u);
            }
            Request::Delete => live.retain(|w| Some(w.id.as_str()) != c.webhook_id.as_deref()),
        }
    }
}

fn state(webhooks: Vec<Webhook>) -> LiveState {
    LiveState {
        webhooks,
        target_names: HashMap::new(),
    }
}

#[test]
fn a_new_key_is_created_with_the_marker_and_explicit_defaults() {
    let d = desired("k", actor("A1"));
    let p = plan(&[d], &state(vec![]), "me", PlanOptions::default());
    assert_eq!(
        p.summary(),
        Summary {
            add: 1,
            ..Summary::default()
        }
    );
    let Request::Create(body) = &p.changes[0].request else {
        panic!()
    };
    assert_eq!(
        body.description.as_deref(),
        Some("[apify-webhooks owner=me key=k secrets=none]")
    );
    assert_eq!(body.condition.actor_id.as_deref(), Some("A1"));
    assert_eq!(body.do_not_retry, Some(false));
}

#[test]
fn a_matching_owned_webhook_is_unchanged_whatever_its_formatting() {
    let mut d = desired("k", task("T1"));
    d.event_types = vec!["ACTOR.RUN.FAILED".into(), "ACTOR.RUN.SUCCEEDED".into()];
    d.payload_template = Some(Secretish::plain(r#"{"a": 1, "run": {{resource}}}"#));
    d.description = Some("Notify".into());
    let mut w = live_of("W1", &d, "me");
    w.event_types = Some(vec![
        "ACTOR.RUN.SUCCEEDED".into(),
        "ACTOR.RUN.FAILED".into(),
    ]);
    w.payload_template = Some("{\n  \"run\": {{resource}},\n  \"a\": 1\n}".into());
    w.headers_template = Some(String::new());
    w.should_interpolate_strings = None;
    let p = plan(&[d], &state(vec![w]), "me", PlanOptions::default());
    assert!(p.is_empty(), "{:?}", p.changes);
    assert_eq!(p.untouched.unchanged, 1);
}

#[test]
fn updates_send_only_changed_fields_and_show_them() {
    let d = desired("k", actor("A1"));
    let mut w = live_of("W1", &d, "me");
    w.request_url = Some("https://old.example.com".into());
    w.do_not_retry = Some(true);
    let p = plan(&[d], &state(vec![w]), "me", PlanOptions::default());
    assert_eq!(p.summary().change, 1);
    let c = &p.changes[0];
    let Request::Update(u) = &c.request else {
        panic!()
    };
    assert_eq!(
        u.request_url.as_deref(),
        Some("https://hooks.example.com/x")
    );
    assert_eq!(u.do_not_retry, Some(false));
    assert_eq!(u.event_types, None);
    assert_eq!(u.description, None);
    let fields: Vec<Field> = c.fields.iter().map(|f| f.field).collect();
    assert_eq!(fields, vec![Field::RequestUrl, Field::DoNotRetry]);
    // The manifest leaves doNotRetry unset, so a live `true` was set outside it: drift.
    assert!(c.fields[1].drift);
    assert!(!c.fields[0].drift);
}

#[test]
fn moving_a_key_to_another_kind_of_target_clears_the_old_condition() {
    let mut w = live_of("W1", &desired("k", task("T1")), "me");
    w.condition = Some(Condition {
        actor_task_id: Some("T1".into()),
        ..Condition::default()
    });
    let p = plan(
        &[desired("k", actor("A1"))],
        &state(vec![w]),
        "me",
        PlanOptions::default(),
    );
    let Request::Update(u) = &p.changes[0].request else {
        panic!()
    };
    assert_eq!(
        serde_json::to_value(u.condition.as_ref().unwrap()).unwrap(),
        serde_json::json!({"actorId": "A1", "actorTaskId": null})
    );
    assert_eq!(p.changes[0].fields[0].field, Field::Target);
}

fn damaged(key: Option<&str>, id: &str, problem: &marker::Problem) -> Conflict {
    Conflict::DamagedMarker {
        key: key.map(str::to_owned),
        webhook_id: id.to_owned(),
        problem: problem.to_string(),
    }
}

#[test]
fn text_after_the_marker_makes_a_webhook_damaged_and_any_plan_a_conflict() {
    let mut d = desired("k", actor("A1"));
    d.description = Some("Alerts".into());
    let mut w = live_of("W1", &d, "me");
    w.description = Some(format!("{} (edited)", w.description.unwrap()));
    let problem = marker::Problem::TextAfter("(edited)".into());
    assert_eq!(
        classify(&w, "me"),
        Class::Damaged {
            key: Some("k"),
            problem: problem.clone()
        }
    );
    // Declared or not: neither a duplicate create nor a silent takeover, nor "unmanaged".
    for declared in [vec![d.clone()], vec![desired("other", actor("A1"))], vec![]] {
        let p = plan(
            &declared,
            &state(vec![w.clone()]),
            "me",
            PlanOptions::default(),
        );
        assert_eq!(p.conflicts, vec![damaged(Some("k"), "W1", &problem)]);
        assert!(p.changes.iter().all(|c| c.key != "k"), "{:?}", p.changes);
        assert_eq!(p.untouched.unmanaged, 0);
        assert!(!p.is_applicable());
    }
    // Adopting it repairs the marker.
    let mut adopting = d.clone();
    adopting.adopt = Some("W1".into());
    let p = plan(
        &[adopting],
        &state(vec![w.clone()]),
        "me",
        PlanOptions::default(),
    );
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);
    assert_eq!(p.summary().adopt, 1);
    let Request::Update(u) = &p.changes[0].request else {
        panic!()
    };
    assert_eq!(
        u.description,
        Some(Some(
            "Alerts [apify-webhooks owner=me key=k secrets=none]".into()
        ))
    );
    // Another owner's damaged marker is theirs: foreign, never touched, no conflict here.
    let mut theirs = live_of("W2", &d, "them");
    theirs.description = Some(format!("{} (edited)", theirs.description.unwrap()));
    assert_eq!(classify(&theirs, "me"), Class::Foreign);
    let p = plan(&[], &state(vec![theirs]), "me", PlanOptions::default());
    assert!(p.changes.is_empty() && p.conflicts.is_empty());
    assert_eq!(p.untouched.foreign, 1);
}

#[test]
fn a_description_quoting_a_marker_in_the_middle_is_not_owned() {
    let w = plain(
        "W1",
        Some("Tag like [apify-webhooks owner=me key=quoted] for the tool"),
        &actor("A1"),
    );
    assert_eq!(
        classify(&w, "me"),
        Class::Damaged {
            key: Some("quoted"),
            problem: marker::Problem::TextAfter("for the tool".into())
        }
    );
    let other = plain(
        "W2",
        Some("see [apify-webhooks owner=them key=x] here"),
        &actor("A1"),
    );
    assert_eq!(classify(&other, "me"), Class::Foreign);
    // A marker without an owner may be anyone's, this owner's included.
    let ownerless = plain("W4", Some("[apify-webhooks key=x]"), &actor("A1"));
    assert!(matches!(
        classify(&ownerless, "me"),
        Class::Damaged { key: Some("x"), .. }
    ));
    let trailing_space = live_of("W3", &desired("k", actor("A1")), "me");
    let mut trailing_space = trailing_space;
    trailing_space.description = Some(format!("{} ", trailing_space.description.unwrap()));
    assert_eq!(classify(&trailing_space, "me"), Class::Owned { key: "k" });
}

/// Issue 16, item 4: a marker written another way is this owner's webhook (no second one is
/// created), is no change by itself, and keeps its unknown attributes when rewritten.
#[test]
fn a_marker_written_another_way_is_owned_unchanged_and_rewritten_keeping_unknown_attributes() {
    let mut d = desired("k", actor("A1"));
    d.description = Some("Alerts".into());
    for written in [
        "Alerts [apify-webhooks key=k owner=me secrets=none]",
        "Alerts [apify-webhooks owner=me key=k secrets=none team=ops]",
        "Alerts [apify-webhooks  owner=me\tkey=k secrets=none ]",
    ] {
        let mut w = live_of("W1", &d, "me");
        w.description = Some(written.to_owned());
        let p = plan(
            std::slice::from_ref(&d),
            &state(vec![w.clone()]),
            "me",
            PlanOptions::default(),
        );
        assert!(p.is_empty() && p.conflicts.is_empty(), "{written}: {p:?}");
        // A real change rewrites the marker in the tool's form, unknown attributes kept.
        let mut changed = d.clone();
        changed.description = Some("Pager".into());
        let p = plan(&[changed], &state(vec![w]), "me", PlanOptions::default());
        let Request::Update(u) = &p.changes[0].request else {
            panic!("{written}: {p:?}")
        };
        let expected = if written.contains("team=ops") {
            "Pager [apify-webhooks owner=me key=k secrets=none team=ops]"
        } else {
            "Pager [apify-webhooks owner=me key=k secrets=none]"
        };
        assert_eq!(u.description, Some(Some(expected.to_owned())), "{written}");
    }
    // A newer marker format: refused, naming the version, rather than taken for unmanaged.
    let mut w = live_of("W1", &d, "me");
    w.description = Some("Alerts [apify-webhooks owner=me key=k secrets=none v=2]".into());
    let p = plan(
        std::slice::from_ref(&d),
        &state(vec![w]),
        "me",
        PlanOptions::default(),
    );
    assert!(p.changes.is_empty(), "{:?}", p.changes);
    assert_eq!(
        p.conflicts,
        vec![damaged(
            Some("k"),
            "W1",
            &marker::Problem::NewerFormat("2".into())
        )]
    );
    assert!(
        p.conflicts[0]
            .to_string()
            .contains("upgrade apify-webhooks")
    );
}

/// Issue 16, item 5: a rename must not slip past a damaged marker, neither of the key it moves
/// from nor of the key it moves to.
#[test]
fn a_rename_next_to_a_damaged_marker_is_refused() {
    // `d` edited in the Console, `d2` renamed from it: creating d2 would leave d delivering.
    let mut edited = live_of("W1", &desired("d", actor("A1")), "me");
    edited.description = Some(format!("{} edited", edited.description.unwrap()));
    let mut d2 = desired("d2", actor("A1"));
    d2.previous_keys = vec!["d".into()];
    let p = plan(&[d2], &state(vec![edited]), "me", PlanOptions::default());
    assert!(!p.is_applicable());
    assert!(matches!(
        &p.conflicts[..],
        [Conflict::DamagedMarker { key: Some(k), webhook_id, .. }] if k == "d" && webhook_id == "W1"
    ));
    // A damaged `u` live and `a` renamed to `u`: moving a would make two webhooks of key u.
    let mut damaged_u = live_of("W2", &desired("u", actor("A1")), "me");
    damaged_u.description = Some(format!("{} x", damaged_u.description.unwrap()));
    let mut u = desired("u", actor("A1"));
    u.previous_keys = vec!["a".into()];
    let live = vec![live_of("W3", &desired("a", actor("A1")), "me"), damaged_u];
    let p = plan(&[u], &state(live), "me", PlanOptions::default());
    assert!(!p.is_applicable());
    assert!(matches!(
        &p.conflicts[..],
        [Conflict::DamagedMarker { key: Some(k), webhook_id, .. }] if k == "u" && webhook_id == "W2"
    ));
}

#[test]
fn undeclared_owned_webhooks_are_deleted_others_never() {
    let t = actor("A1");
    let owned = live_of("W1", &desired("gone", t.clone()), "me");
    let foreign = live_of("W2", &desired("gone", t.clone()), "them");
    let unmanaged = plain("W3", Some("made in Console"), &t);
    let mut adhoc = plain("W4", None, &t);
    adhoc.is_ad_hoc = Some(true);
    let mut slack = plain("W5", Some("[apify-webhooks owner=me key=slack]"), &t);
    slack.action_type = Some("SLACK_MESSAGE".into());
    slack.request_url = None;
    let p = plan(
        &[desired("other", t)],
        &state(vec![owned, foreign, unmanaged, adhoc, slack]),
        "me",
        PlanOptions::default(),
    );
    let deleted: Vec<_> = p
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.webhook_id.clone())
        .collect();
    assert_eq!(deleted, vec![Some("W1".to_owned())]);
    assert_eq!(
        p.untouched,
        Untouched {
            foreign: 1,
            unmanaged: 1,
            out_of_scope: 2,
            ..Untouched::default()
        }
    );
}

#[test]
fn adoption_takes_over_an_unmanaged_webhook() {
    let t = actor("A1");
    let mut d = desired("k", t.clone());
    d.adopt = Some("W3".into());
    let p = plan(
        &[d],
        &state(vec![plain("W3", Some("by hand"), &t)]),
        "me",
        PlanOptions::default(),
    );
    assert_eq!(
        p.summary(),
        Summary {
            adopt: 1,
            ..Summary::default()
        }
    );
    let c = &p.changes[0];
    assert!(!c.has_drift(), "adoption is not drift");
    assert!(c.fields.iter().any(|f| f.field == Field::Owner));
    assert_eq!(p.untouched.unmanaged, 0);
}

#[test]
fn adoption_conflicts_are_reported_not_guessed() {
    let t = actor("A1");
    let mut d = desired("k", t.clone());
    d.adopt = Some("W9".into());
    let foreign = live_of("W9", &desired("x", t), "them");
    let p = plan(&[d], &state(vec![foreign]), "me", PlanOptions::default());
    assert!(matches!(p.conflicts[0], Conflict::AdoptNotAdoptable { .. }));
    assert!(!p.is_applicable());
}

/// Issue 16, item 13: `adopt:` left in the manifest after the adopted webhook was deleted in the
/// Console is a create with a note, never a refusal; once adopted, `adopt:` is inert.
#[test]
fn a_leftover_adopt_of_a_gone_webhook_is_a_create_and_inert_once_adopted() {
    let t = actor("A1");
    let mut d = desired("k", t.clone());
    d.adopt = Some("W9".into());
    let p = plan(
        std::slice::from_ref(&d),
        &state(vec![]),
        "me",
        PlanOptions::default(),
    );
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);
    assert_eq!(p.changes.len(), 1);
    let c = &p.changes[0];
    assert_eq!(
        (c.action, c.adopt_gone.as_deref()),
        (Action::Create, Some("W9"))
    );
    let mut live = Vec::new();
    apply_model(&p, &mut live);
    assert!(
        plan(
            std::slice::from_ref(&d),
            &state(live.clone()),
            "me",
            PlanOptions::default()
        )
        .is_empty()
    );
    // Adopted (it carries the marker under `k`): inert, whatever `adopt:` names.
    live[0].id = "W9".into();
    let p = plan(&[d], &state(live), "me", PlanOptions::default());
    assert!(p.is_empty() && p.conflicts.is_empty(), "{p:?}");
}

/// Issue 16, item 14: an exported entry renamed without `previousKeys` adopts a webhook owned
/// under its old key. Refused, saying how to rename, and the plan does not show the old key's
/// webhook destroyed as though nothing claimed it.
#[test]
fn adopting_a_webhook_owned_under_another_key_says_how_to_rename_and_deletes_nothing() {
    let t = actor("A1");
    let old = live_of("W1", &desired("old", t.clone()), "me");
    let mut renamed = desired("new", t);
    renamed.adopt = Some("W1".into());
    let p = plan(&[renamed], &state(vec![old]), "me", PlanOptions::default());
    assert!(!p.is_applicable());
    assert!(p.changes.is_empty(), "{:?}", p.changes);
    let [conflict] = &p.conflicts[..] else {
        panic!("{:?}", p.conflicts)
    };
    let text = conflict.to_string();
    assert!(
        text.contains("already managed under the key `old`"),
        "{text}"
    );
    assert!(text.contains("`previousKeys: [old]`"), "{text}");
    assert!(text.contains("drop `adopt: W1`"), "{text}");
}

#[test]
fn two_live_webhooks_with_one_owned_key_are_a_conflict() {
    let d = desired("k", actor("A1"));
    // Different webhooks: which one is meant cannot be told (identical ones are deduplicated).
    let mut other = live_of("W1", &d, "me");
    other.request_url = Some("https://elsewhere.example.com".into());
    let p = plan(
        std::slice::from_ref(&d),
        &state(vec![live_of("W2", &d, "me"), other]),
        "me",
        PlanOptions::default(),
    );
    assert_eq!(
        p.conflicts,
        vec![Conflict::DuplicateKey {
            key: "k".into(),
            webhook_ids: vec!["W1".into(), "W2".into()],
            disabled: vec![],
        }]
    );
    assert!(p.changes.is_empty());
}

/// `live_of` with a creation time.
fn created(id: &str, d: &DesiredSpec, at: &str) -> Webhook {
    let mut w = live_of(id, d, "me");
    w.created_at = Some(at.to_owned());
    w
}

#[test]
fn identical_duplicates_of_a_key_are_removed_keeping_the_oldest() {
    let d = desired("k", actor("A1"));
    let live = vec![
        created("W2", &d, "2026-03-01T00:00:00.000Z"),
        created("W9", &d, "2026-01-01T00:00:00.000Z"),
        created("W1", &d, "2026-03-01T00:00:00.000Z"),
    ];
    let p = plan(
        std::slice::from_ref(&d),
        &state(live.clone()),
        "me",
        PlanOptions::default(),
    );
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);
    assert!(p.is_applicable());
    let removed: Vec<(&str, Option<&str>)> = p
        .changes
        .iter()
        .map(|c| {
            assert_eq!((c.action, c.key.as_str()), (Action::Delete, "k"));
            (c.webhook_id.as_deref().unwrap(), c.duplicate_of.as_deref())
        })
        .collect();
    // The oldest stays; among equally old ones, the lowest ID.
    assert_eq!(removed, [("W1", Some("W9")), ("W2", Some("W9"))]);
    assert_eq!((p.owned, p.total_before, p.total_after), (3, 3, 1));
    let mut after = live;
    apply_model(&p, &mut after);
    assert!(plan(&[d], &state(after), "me", PlanOptions::default()).is_empty());
}

fn disabled(mut w: Webhook) -> Webhook {
    w.extra
        .insert("isEnabled".into(), serde_json::Value::Bool(false));
    w
}

/// Issue 16, item 2: an older disabled copy and a newer enabled one are not duplicates: removing
/// either is a guess (removing the enabled one silenced every delivery). And a disabled owned
/// webhook is named in the plan, which otherwise says `No changes.`
#[test]
fn a_disabled_copy_is_not_a_duplicate_and_disabled_webhooks_are_named() {
    let d = desired("k", actor("A1"));
    let older_disabled = disabled(created("W1", &d, "2026-01-01T00:00:00.000Z"));
    let newer_enabled = created("W2", &d, "2026-02-01T00:00:00.000Z");
    let p = plan(
        std::slice::from_ref(&d),
        &state(vec![older_disabled.clone(), newer_enabled.clone()]),
        "me",
        PlanOptions::default(),
    );
    assert!(p.changes.is_empty(), "{:?}", p.changes);
    assert_eq!(
        p.conflicts,
        vec![Conflict::DuplicateKey {
            key: "k".into(),
            webhook_ids: vec!["W1".into(), "W2".into()],
            disabled: vec!["W1".into()],
        }]
    );
    assert!(
        p.conflicts[0]
            .to_string()
            .contains("(W1 is disabled on the platform)")
    );
    // Identical and all disabled: one is kept (the oldest), and named as disabled.
    let p = plan(
        std::slice::from_ref(&d),
        &state(vec![
            disabled(created("W3", &d, "2026-03-01T00:00:00.000Z")),
            older_disabled.clone(),
        ]),
        "me",
        PlanOptions::default(),
    );
    assert!(p.conflicts.is_empty());
    assert_eq!(p.changes.len(), 1);
    assert_eq!(p.changes[0].duplicate_of.as_deref(), Some("W1"));
    assert_eq!(
        p.disabled,
        vec![DisabledWebhook {
            key: "k".into(),
            instance: None,
            id: "W1".into(),
            // Named as the live state names it (here: not at all, so by its ID).
            target: Target {
                name: "A1".into(),
                ..actor("A1")
            },
        }]
    );
    // One disabled webhook that matches its entry: no change, but not silent.
    let p = plan(
        std::slice::from_ref(&d),
        &state(vec![older_disabled]),
        "me",
        PlanOptions::default(),
    );
    assert!(p.is_empty());
    assert_eq!(p.disabled.len(), 1);
    assert!(
        p.to_string()
            .contains("1 owned webhook is disabled on the platform"),
        "{p}"
    );
    // An enabled one is not named.
    let p = plan(
        &[d],
        &state(vec![newer_enabled]),
        "me",
        PlanOptions::default(),
    );
    assert!(p.disabled.is_empty());
}

#[test]
fn the_kept_duplicate_is_updated_and_an_undeclared_key_loses_all_of_its_copies() {
    let d = desired("k", actor("A1"));
    let gone = desired("gone", actor("A1"));
    let stays = desired("stays", actor("A1"));
    let mut changed = d.clone();
    changed.request_url = Secretish::plain("https://hooks.example.com/new");
    let live = vec![
        created("W1", &d, "2026-01-01T00:00:00.000Z"),
        created("W2", &d, "2026-01-02T00:00:00.000Z"),
        created("G1", &gone, "2026-01-01T00:00:00.000Z"),
        created("G2", &gone, "2026-01-02T00:00:00.000Z"),
        created("S1", &stays, "2026-01-01T00:00:00.000Z"),
    ];
    let p = plan(
        &[changed.clone(), stays.clone()],
        &state(live.clone()),
        "me",
        PlanOptions::default(),
    );
    assert!(p.is_applicable(), "{:?} {:?}", p.conflicts, p.refusal);
    let summary: Vec<(Action, &str, &str, Option<&str>)> = p
        .changes
        .iter()
        .map(|c| {
            (
                c.action,
                c.key.as_str(),
                c.webhook_id.as_deref().unwrap(),
                c.duplicate_of.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Action::Delete, "gone", "G1", None),
            (Action::Delete, "gone", "G2", Some("G1")),
            (Action::Update, "k", "W1", None),
            (Action::Delete, "k", "W2", Some("W1")),
        ]
    );
    let mut after = live;
    apply_model(&p, &mut after);
    assert!(
        plan(
            &[changed, stays],
            &state(after),
            "me",
            PlanOptions::default()
        )
        .is_empty()
    );
}

#[test]
fn removing_duplicates_does_not_count_against_the_safety_rules() {
    // Two overlapping applies left 34 webhooks for 20 keys: 14 removals of 34 is over 30%,
    // but nothing declared is lost.
    let specs = keep(20);
    let mut live: Vec<Webhook> = specs
        .iter()
        .enumerate()
        .map(|(i, d)| created(&format!("A{i:02}"), d, "2026-01-01T00:00:00.000Z"))
        .collect();
    live.extend(
        specs
            .iter()
            .take(14)
            .enumerate()
            .map(|(i, d)| created(&format!("B{i:02}"), d, "2026-01-02T00:00:00.000Z")),
    );
    let p = plan(&specs, &state(live), "me", PlanOptions::default());
    assert_eq!(p.refusal, None);
    assert_eq!(p.summary().destroy, 14);
    assert!(p.changes.iter().all(|c| c.duplicate_of.is_some()));
}

#[test]
fn different_duplicates_and_any_duplicates_under_no_delete_stay_conflicts() {
    let d = desired("k", actor("A1"));
    let mut different = created("W2", &d, "2026-01-02T00:00:00.000Z");
    different.event_types = Some(vec!["ACTOR.RUN.SUCCEEDED".into()]);
    let identical = created("W3", &d, "2026-01-03T00:00:00.000Z");
    let first = created("W1", &d, "2026-01-01T00:00:00.000Z");
    let conflict = |live: Vec<Webhook>, no_delete: bool| {
        let p = plan(
            std::slice::from_ref(&d),
            &state(live),
            "me",
            PlanOptions {
                no_delete,
                ..PlanOptions::default()
            },
        );
        assert!(p.changes.is_empty(), "{:?}", p.changes);
        p.conflicts
    };
    let expected = |ids: &[&str]| {
        vec![Conflict::DuplicateKey {
            key: "k".into(),
            webhook_ids: ids.iter().map(|&i| i.to_owned()).collect(),
            disabled: vec![],
        }]
    };
    // One of three differs: none is removed.
    assert_eq!(
        conflict(vec![first.clone(), different, identical.clone()], false),
        expected(&["W1", "W2", "W3"])
    );
    // --no-delete never deletes, duplicates included.
    assert_eq!(
        conflict(vec![first, identical], true),
        expected(&["W1", "W3"])
    );
}

fn owned_set(n: usize) -> Vec<Webhook> {
    (0..n)
        .map(|i| {
            live_of(
                &format!("W{i}"),
                &desired(&format!("k{i}"), actor("A1")),
                "me",
            )
        })
        .collect()
}

fn keep(n: usize) -> Vec<DesiredSpec> {
    (0..n)
        .map(|i| desired(&format!("k{i}"), actor("A1")))
        .collect()
}

#[test]
fn deleting_more_than_thirty_percent_of_ten_needs_force() {
    let p = plan(
        &keep(7),
        &state(owned_set(10)),
        "me",
        PlanOptions::default(),
    );
    assert_eq!(p.refusal, None, "3 of 10 is exactly 30%: allowed");
    let p = plan(
        &keep(6),
        &state(owned_set(10)),
        "me",
        PlanOptions::default(),
    );
    assert_eq!(
        p.refusal,
        Some(Refusal::TooManyDeletes {
            deletes: 4,
            owned: 10
        })
    );
    assert_eq!(
        p.refusal.as_ref().unwrap().to_string(),
        "Too many deletes: 40.00% is over 30.00% (4 of 10 owned webhooks); --force required"
    );
    let p = plan(
        &keep(6),
        &state(owned_set(10)),
        "me",
        PlanOptions {
            force: true,
            ..PlanOptions::default()
        },
    );
    assert_eq!(
        (p.refusal, p.forced),
        (
            None,
            Some(Refusal::TooManyDeletes {
                deletes: 4,
                owned: 10
            })
        )
    );
    // Below ten owned webhooks the percentage rule does not apply.
    let p = plan(&keep(4), &state(owned_set(9)), "me", PlanOptions::default());
    assert_eq!(p.refusal, None);
}

#[test]
fn deleting_everything_or_planning_an_empty_set_needs_force() {
    let p = plan(
        &[desired("new", actor("A1"))],
        &state(owned_set(2)),
        "me",
        PlanOptions::default(),
    );
    assert_eq!(p.refusal, Some(Refusal::DeletesAll { owned: 2 }));
    let p = plan(&[], &state(owned_set(2)), "me", PlanOptions::default());
    assert_eq!(p.refusal, Some(Refusal::EmptyManifests { owned: 2 }));
    let p = plan(
        &[],
        &state(owned_set(2)),
        "me",
        PlanOptions {
            no_delete: true,
            ..PlanOptions::default()
        },
    );
    assert_eq!((p.refusal, p.changes.len(), p.untouched.kept), (None, 0, 2));
}

/// Issue 16, item 19: "1 owned webhook exist". One and many, worded alike in every rule.
#[test]
fn refusals_agree_in_number_with_their_counts() {
    let words = |r: Refusal| r.to_string();
    assert_eq!(
        words(Refusal::EmptyManifests { owned: 1 }),
        "The manifests declare no webhooks, but 1 owned webhook exists; --force required to delete it"
    );
    assert_eq!(
        words(Refusal::EmptyManifests { owned: 2 }),
        "The manifests declare no webhooks, but 2 owned webhooks exist; --force required to delete them"
    );
    assert_eq!(
        words(Refusal::DeletesAll { owned: 1 }),
        "The plan deletes the only owned webhook; --force required"
    );
    assert_eq!(
        words(Refusal::DeletesAll { owned: 3 }),
        "The plan deletes all 3 owned webhooks; --force required"
    );
}

#[test]
fn the_webhook_cap_is_checked_before_the_server_refuses() {
    let mut live = owned_set(99);
    live.push(plain("X", None, &actor("A1")));
    let mut want = keep(99);
    want.push(desired("one-more", actor("A1")));
    let p = plan(
        &want,
        &state(live),
        "me",
        PlanOptions {
            force: true,
            ..PlanOptions::default()
        },
    );
    assert_eq!(
        p.refusal,
        Some(Refusal::OverCap {
            after: 101,
            limit: 100
        }),
        "--force does not lift the cap"
    );
}

#[test]
fn secrets_are_shown_as_fingerprints_only() {
    let mut d = desired("k", actor("A1"));
    d.request_url = Secretish {
        value: "https://h.example.com/?t=s3cret".into(),
        from_env: true,
    };
    d.headers_template = Some(Secretish::plain(
        r#"{"Authorization": "Bearer plain-but-header"}"#,
    ));
    let p = plan(&[d], &state(vec![]), "me", PlanOptions::default());
    let shown = format!("{:?}", p.changes[0].fields);
    assert!(
        !shown.contains("s3cret") && !shown.contains("plain-but-header"),
        "{shown}"
    );
    assert_eq!(
        show_url(&[0; 16], "https://u:p@h.example.com:8443/x?y=1", false),
        Shown::Sensitive {
            sensitive: SensitiveTag::Sensitive,
            fingerprint: secret_fingerprint(&[0; 16], "https://u:p@h.example.com:8443/x?y=1"),
            masked: Some("https://(sensitive)@h.example.com:8443/x?(sensitive)".into()),
        }
    );
    assert_eq!(
        show_url(&[0; 16], "https://h.example.com/x", false),
        Shown::Text("https://h.example.com/x".into())
    );
}

#[test]
fn fingerprints_depend_on_the_run_key() {
    assert_ne!(
        secret_fingerprint(&[0; 16], "hunter2"),
        secret_fingerprint(&[1; 16], "hunter2")
    );
    assert_eq!(
        secret_fingerprint(&[1; 16], "hunter2"),
        secret_fingerprint(&[1; 16], "hunter2")
    );
}

#[test]
fn a_changed_secret_changes_its_fingerprint() {
    let mut d = desired("k", actor("A1"));
    d.headers_template = Some(Secretish {
        value: r#"{"A": "new"}"#.into(),
        from_env: true,
    });
    let mut w = live_of("W1", &d, "me");
    w.headers_template = Some(r#"{"A": "old"}"#.into());
    let p = plan(&[d], &state(vec![w]), "me", PlanOptions::default());
    let f = &p.changes[0].fields[0];
    assert_eq!(f.field, Field::HeadersTemplate);
    assert_ne!(f.before, f.after);
}

// --- secrets of the live side -------------------------------------------------------------

/// Everything a plan shows of its changes (never the requests).
fn shown(p: &Plan) -> String {
    p.changes
        .iter()
        .map(|c| format!("{:?} {:?}", c.fields, c.target))
        .collect::<Vec<_>>()
        .join("\n")
}

fn env(value: &str) -> Secretish {
    Secretish {
        value: value.to_owned(),
        from_env: true,
    }
}

fn field_of(c: &Change, field: Field) -> &FieldChange {
    c.fields.iter().find(|f| f.field == field).unwrap()
}

fn is_masked(v: Option<&Shown>) -> bool {
    matches!(v, Some(Shown::Sensitive { masked: None, .. }))
}

/// A desired webhook with a secret from `${NAME}` in every field that can hold one.
fn all_secret(key: &str) -> DesiredSpec {
    let mut d = desired(key, actor("A1"));
    d.request_url = env("https://hooks.example.com/services/PLANTED-url");
    d.payload_template = Some(env("{\n  \"token\": \"PLANTED-payload\",\n  \"run\": 1\n}"));
    d.headers_template = Some(env(r#"{"Authorization": "Bearer PLANTED-header"}"#));
    d
}

#[test]
fn creates_record_the_fields_that_hold_a_secret() {
    let mut d = desired("k", actor("A1"));
    d.request_url = env("https://hooks.example.com/s3cret");
    d.headers_template = Some(env(r#"{"A": "s3cret"}"#));
    d.payload_template = Some(Secretish::plain(r#"{"a": 1}"#));
    assert_eq!(
        create_body(&d, "me").description.as_deref(),
        Some("[apify-webhooks owner=me key=k secrets=requestUrl,headersTemplate]")
    );
    // The record read back from the live webhook matches: nothing to change.
    let w = live_of("W1", &d, "me");
    assert!(plan(&[d], &state(vec![w]), "me", PlanOptions::default()).is_empty());
}

#[test]
fn a_deleted_webhook_masks_what_its_record_names_though_no_manifest_references_it() {
    let keep = desired("keep", actor("A1"));
    let gone = all_secret("gone");
    let live = vec![live_of("W0", &keep, "me"), live_of("W1", &gone, "me")];
    let p = plan(
        std::slice::from_ref(&keep),
        &state(live),
        "me",
        PlanOptions::default(),
    );
    assert_eq!(p.summary().destroy, 1);
    let c = &p.changes[0];
    assert!(is_masked(field_of(c, Field::RequestUrl).before.as_ref()));
    assert!(!shown(&p).contains("PLANTED"), "{}", shown(&p));
}

#[test]
fn replacing_a_secret_by_a_literal_masks_the_old_value_and_shows_no_diff() {
    let before = all_secret("k");
    let w = live_of("W1", &before, "me");
    let mut after = desired("k", task("T1"));
    after.request_url = Secretish::plain("https://hooks.example.com/services/public");
    after.payload_template = Some(Secretish::plain(
        "{\n  \"token\": \"public\",\n  \"run\": 1\n}",
    ));
    after.headers_template = Some(Secretish::plain(r#"{"Authorization": "Bearer public"}"#));
    let p = plan(
        std::slice::from_ref(&after),
        &state(vec![w]),
        "me",
        PlanOptions::default(),
    );
    let c = &p.changes[0];
    assert_eq!(c.action, Action::Update);
    for field in [
        Field::RequestUrl,
        Field::PayloadTemplate,
        Field::HeadersTemplate,
    ] {
        let f = field_of(c, field);
        assert!(is_masked(f.before.as_ref()), "{field:?}: {f:?}");
        assert_eq!(f.text_diff, None, "{field:?}");
    }
    // The new values are literals of the manifests: shown.
    assert_eq!(
        field_of(c, Field::RequestUrl).after,
        Some(Shown::Text(
            "https://hooks.example.com/services/public".into()
        ))
    );
    // The record changes too, by field names only.
    let record = field_of(c, Field::Secrets);
    assert_eq!(
        record.before,
        Some(Shown::List(vec![
            "requestUrl".into(),
            "payloadTemplate".into(),
            "headersTemplate".into()
        ]))
    );
    assert_eq!(record.after, Some(Shown::List(vec![])));
    assert!(!shown(&p).contains("PLANTED"), "{}", shown(&p));
    // Applied, the record says nothing is secret any more, and the plan converges.
    let mut live = vec![live_of("W1", &before, "me")];
    apply_model(&p, &mut live);
    assert!(
        live[0]
            .description
            .as_deref()
            .unwrap()
            .ends_with("key=k secrets=none]")
    );
    assert!(plan(&[after], &state(live), "me", PlanOptions::default()).is_empty());
}

#[test]
fn a_plain_field_keeps_its_values_and_diff() {
    let mut d = desired("k", actor("A1"));
    d.payload_template = Some(Secretish::plain("{\n  \"a\": 1\n}"));
    d.request_url = env("https://hooks.example.com/?t=s3cret");
    let w = live_of("W1", &d, "me");
    d.payload_template = Some(Secretish::plain("{\n  \"a\": 2\n}"));
    let p = plan(&[d], &state(vec![w]), "me", PlanOptions::default());
    let f = field_of(&p.changes[0], Field::PayloadTemplate);
    assert_eq!(f.before, Some(Shown::Text("{\n  \"a\": 1\n}".into())));
    assert!(f.text_diff.is_some());
    assert_eq!(p.changes[0].fields.len(), 1, "the record did not change");
}

#[test]
fn a_value_now_read_from_the_environment_masks_its_old_literal_too() {
    let mut d = desired("k", actor("A1"));
    d.request_url = Secretish::plain("https://hooks.example.com/old-literal");
    let w = live_of("W1", &d, "me");
    d.request_url = env("https://hooks.example.com/new-secret");
    let p = plan(&[d], &state(vec![w]), "me", PlanOptions::default());
    let f = field_of(&p.changes[0], Field::RequestUrl);
    assert!(is_masked(f.before.as_ref()) && is_masked(f.after.as_ref()));
    assert_ne!(f.before, f.after, "fingerprints keep the change visible");
}

#[test]
fn a_changed_record_alone_is_an_update_of_the_description_naming_fields_only() {
    // The environment held what is now written literally: the value does not change.
    let mut d = desired("k", actor("A1"));
    d.request_url = env("https://hooks.example.com/same");
    let w = live_of("W1", &d, "me");
    d.request_url = Secretish::plain("https://hooks.example.com/same");
    let p = plan(&[d], &state(vec![w]), "me", PlanOptions::default());
    let c = &p.changes[0];
    assert_eq!(c.action, Action::Update);
    assert_eq!(
        c.fields,
        vec![FieldChange {
            field: Field::Secrets,
            before: Some(Shown::List(vec!["requestUrl".into()])),
            after: Some(Shown::List(vec![])),
            drift: false,
            text_diff: None,
        }]
    );
    let Request::Update(u) = &c.request else {
        panic!()
    };
    assert_eq!(
        u.description,
        Some(Some("[apify-webhooks owner=me key=k secrets=none]".into()))
    );
    assert_eq!(u.request_url, None);
}

/// An owned webhook as a version without the record wrote it.
fn without_record(mut w: Webhook) -> Webhook {
    let d = w.description.take().unwrap();
    let at = d.rfind(" secrets=").unwrap();
    w.description = Some(format!("{}]", &d[..at]));
    assert_eq!(
        marker::parse(w.description.as_deref().unwrap())
            .unwrap()
            .secrets,
        None
    );
    w
}

#[test]
fn a_marker_without_a_record_is_masked_conservatively() {
    // Made by an older version from literals (it cannot tell): every live value is masked.
    let mut old = desired("k", actor("A1"));
    old.request_url = Secretish::plain("https://PLANTED-host.example.com/PLANTED-path#PLANTED");
    old.payload_template = Some(Secretish::plain("{\n  \"t\": \"PLANTED-payload\"\n}"));
    let w = without_record(live_of("W1", &old, "me"));

    // Unchanged apart from the record: not rewritten for the record alone.
    let p = plan(
        std::slice::from_ref(&old),
        &state(vec![w.clone()]),
        "me",
        PlanOptions::default(),
    );
    assert!(p.is_empty(), "{:?}", p.changes);

    // Updated: the old values are masked, whole, without diff; the record is written.
    let mut new = old.clone();
    new.request_url = Secretish::plain("https://hooks.example.com/new");
    new.payload_template = Some(Secretish::plain("{\n  \"t\": \"new\"\n}"));
    let p = plan(
        std::slice::from_ref(&new),
        &state(vec![w.clone()]),
        "me",
        PlanOptions::default(),
    );
    let c = &p.changes[0];
    for field in [Field::RequestUrl, Field::PayloadTemplate] {
        let f = field_of(c, field);
        assert!(is_masked(f.before.as_ref()), "{field:?}: {f:?}");
        assert_eq!(f.text_diff, None);
    }
    let record = field_of(c, Field::Secrets);
    assert_eq!(
        (&record.before, &record.after),
        (&None, &Some(Shown::List(vec![])))
    );
    assert!(!shown(&p).contains("PLANTED"), "{}", shown(&p));
    let mut live = vec![w.clone()];
    apply_model(&p, &mut live);
    assert!(plan(&[new], &state(live), "me", PlanOptions::default()).is_empty());

    // Deleted: its URL is masked whole.
    let keep = desired("keep", actor("A1"));
    let p = plan(
        std::slice::from_ref(&keep),
        &state(vec![w, live_of("W0", &keep, "me")]),
        "me",
        PlanOptions::default(),
    );
    assert!(is_masked(
        field_of(&p.changes[0], Field::RequestUrl).before.as_ref()
    ));
    assert!(!shown(&p).contains("PLANTED"), "{}", shown(&p));
}

#[test]
fn an_adopted_webhook_is_masked_conservatively() {
    let mut w = plain("W1", Some("made in Console"), &actor("A1"));
    w.request_url = Some("https://hooks.example.com/services/PLANTED".into());
    w.payload_template = Some("{\n  \"t\": \"PLANTED\"\n}".into());
    let mut d = desired("k", actor("A1"));
    d.adopt = Some("W1".into());
    d.payload_template = Some(Secretish::plain("{\n  \"t\": \"new\"\n}"));
    let p = plan(&[d], &state(vec![w]), "me", PlanOptions::default());
    let c = &p.changes[0];
    assert_eq!(c.action, Action::Adopt);
    assert!(is_masked(field_of(c, Field::RequestUrl).before.as_ref()));
    assert!(is_masked(
        field_of(c, Field::PayloadTemplate).before.as_ref()
    ));
    assert!(!shown(&p).contains("PLANTED"), "{}", shown(&p));
    let Request::Update(u) = &c.request else {
        panic!()
    };
    assert!(
        u.description
            .clone()
            .flatten()
            .unwrap()
            .ends_with("secrets=none]")
    );
}

// --- properties --------------------------------------------------------------------------

const KEYS: [&str; 6] = ["a", "b", "c", "d/e", "f.g", "h"];

fn arb_target() -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(actor("A1")),
        Just(actor("A2")),
        Just(task("T1")),
        Just(task("T2"))
    ]
}

fn arb_template() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(r#"{"a": 1}"#.to_owned())),
        Just(Some("{\n  \"run\": {{resource}}\n}".to_owned())),
        Just(Some(r#"{"text": "{{resource.id}}"}"#.to_owned())),
    ]
}

prop_compose! {
    fn arb_spec(key: &'static str)(
        target in arb_target(),
        events in prop::sample::subsequence(vec!["ACTOR.RUN.FAILED", "ACTOR.RUN.SUCCEEDED", "ACTOR.RUN.ABORTED"], 1..=3),
        url in prop_oneof![Just("https://a.example.com"), Just("https://b.example.com/x?k=1")],
        url_secret in any::<bool>(),
        payload in arb_template(),
        headers in prop_oneof![Just(None), Just(Some(r#"{"X-A": "1"}"#.to_owned()))],
        description in prop_oneof![Just(None), Just(Some("Notify [ops]".to_owned()))],
        flags in any::<(bool, bool, bool)>(),
    ) -> DesiredSpec {
        // In any order: the plan must compare event types as a set whatever order it gets.
        let event_types: Vec<String> = events.into_iter().rev().map(str::to_owned).collect();
        DesiredSpec {
            key: key.to_owned(),
            target,
            adopt: None,
            previous_keys: Vec::new(),
            event_types,
            request_url: Secretish { value: url.to_owned(), from_env: url_secret },
            payload_template: payload.map(Secretish::plain),
            headers_template: headers.map(Secretish::plain),
            description,
            ignore_ssl_errors: flags.0,
            do_not_retry: flags.1,
            should_interpolate_strings: flags.2,
            pattern: None,
        }
    }
}

#[derive(Debug, Clone)]
enum LiveKind {
    Owned(usize),
    /// Owned, written by a version without the record of secret fields.
    OwnedWithoutRecord(usize),
    Foreign(usize),
    /// Owned, its description edited after the marker.
    Damaged(usize),
    Unmanaged,
    AdHoc,
    Integration,
    NonHttp,
}

fn arb_live_kind() -> impl Strategy<Value = LiveKind> {
    prop_oneof![
        4 => (0..KEYS.len()).prop_map(LiveKind::Owned),
        2 => (0..KEYS.len()).prop_map(LiveKind::OwnedWithoutRecord),
        1 => (0..KEYS.len()).prop_map(LiveKind::Foreign),
        1 => (0..KEYS.len()).prop_map(LiveKind::Damaged),
        2 => Just(LiveKind::Unmanaged),
        1 => Just(LiveKind::AdHoc),
        1 => Just(LiveKind::Integration),
        1 => Just(LiveKind::NonHttp),
    ]
}

fn arb_world() -> impl Strategy<Value = (Vec<DesiredSpec>, Vec<Webhook>)> {
    let desired = prop::sample::subsequence(KEYS.to_vec(), 0..=KEYS.len())
        .prop_flat_map(|keys| keys.into_iter().map(arb_spec).collect::<Vec<_>>());
    let live = prop::collection::vec((arb_live_kind(), arb_spec("x")), 0..10);
    (
        desired,
        live,
        prop::collection::vec(any::<prop::sample::Index>(), 0..3),
    )
        .prop_map(|(mut desired, live, adopts)| {
            let webhooks: Vec<Webhook> = live
                .into_iter()
                .enumerate()
                .map(|(i, (kind, spec))| {
                    let id = format!("L{i}");
                    match kind {
                        LiveKind::Owned(k) => live_of(
                            &id,
                            &DesiredSpec {
                                key: KEYS[k].to_owned(),
                                ..spec
                            },
                            "me",
                        ),
                        LiveKind::OwnedWithoutRecord(k) => without_record(live_of(
                            &id,
                            &DesiredSpec {
                                key: KEYS[k].to_owned(),
                                ..spec
                            },
                            "me",
                        )),
                        LiveKind::Foreign(k) => live_of(
                            &id,
                            &DesiredSpec {
                                key: KEYS[k].to_owned(),
                                ..spec
                            },
                            "them",
                        ),
                        LiveKind::Damaged(k) => {
                            let mut w = live_of(
                                &id,
                                &DesiredSpec {
                                    key: KEYS[k].to_owned(),
                                    ..spec
                                },
                                "me",
                            );
                            w.description = Some(format!("{} edited", w.description.unwrap()));
                            w
                        }
                        LiveKind::Unmanaged => plain(&id, Some("by hand"), &spec.target),
                        LiveKind::AdHoc => {
                            let mut w = plain(&id, None, &spec.target);
                            w.is_ad_hoc = Some(true);
                            w.condition = Some(Condition {
                                actor_run_id: Some("R1".into()),
                                ..Condition::default()
                            });
                            w
                        }
                        LiveKind::Integration => {
                            let mut w = live_of(&id, &spec, "me");
                            w.is_apify_integration = Some(true);
                            w
                        }
                        LiveKind::NonHttp => {
                            let mut w = plain(&id, None, &spec.target);
                            w.action_type = Some("SLACK_MESSAGE".into());
                            w.request_url = None;
                            w
                        }
                    }
                })
                .collect();
            // Some declared webhooks adopt a live one (each ID at most once, as validation ensures).
            let mut used = HashSet::new();
            for (n, index) in adopts.iter().enumerate() {
                if webhooks.is_empty() || desired.is_empty() {
                    break;
                }
                let id = webhooks[index.index(webhooks.len())].id.clone();
                let slot = n % desired.len();
                if used.insert(id.clone()) {
                    desired[slot].adopt = Some(id);
                }
            }
            (desired, webhooks)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn plans_touch_only_owned_or_adopted_webhooks_and_converge((desired, live) in arb_world(), force in any::<bool>()) {
        let options = PlanOptions { force, ..PlanOptions::default() };
        let p = plan(&desired, &state(live.clone()), "me", options);

        // Never touches a webhook that is not owned, unless an entry adopts it.
        let adoptable: HashSet<&str> = desired.iter().filter_map(|d| d.adopt.as_deref()).collect();
        for c in &p.changes {
            if let Some(id) = &c.webhook_id {
                let w = live.iter().find(|w| &w.id == id).unwrap();
                match classify(w, "me") {
                    Class::Owned { .. } => {}
                    Class::Unmanaged | Class::Damaged { .. } => prop_assert!(adoptable.contains(id.as_str()) && c.action == Action::Adopt),
                    other => prop_assert!(false, "touched {id}, which is {other:?}"),
                }
            }
        }
        // A damaged marker no entry adopts stops the plan: nothing beside it may duplicate it.
        for w in &live {
            if matches!(classify(w, "me"), Class::Damaged { .. }) && !adoptable.contains(w.id.as_str()) {
                prop_assert!(!p.is_applicable(), "{} is damaged, yet the plan applies", w.id);
            }
        }
        // Never creates a key twice, and never creates a key that lives already. An address
        // appears again only to remove identical duplicates of it (a key no longer declared
        // that lives on several targets has one address per target).
        let mut keys = HashSet::new();
        for c in p.changes.iter().filter(|c| c.duplicate_of.is_none()) {
            prop_assert!(keys.insert(c.address()), "{} appears twice", c.address());
        }
        for c in p.changes.iter().filter(|c| c.duplicate_of.is_some()) {
            prop_assert_eq!(c.action, Action::Delete);
        }

        if !p.is_applicable() {
            return Ok(());
        }
        let mut after = live.clone();
        apply_model(&p, &mut after);
        // Untouched webhooks are byte for byte the same.
        for w in &live {
            let touched = p.changes.iter().any(|c| c.webhook_id.as_deref() == Some(&w.id));
            if !touched {
                prop_assert_eq!(Some(w), after.iter().find(|a| a.id == w.id));
            }
        }
        // Every webhook the plan writes carries the record of its secret fields.
        for c in p.changes.iter().filter(|c| c.action != Action::Delete) {
            let d = desired.iter().find(|d| d.key == c.key).unwrap();
            let written = after
                .iter()
                .filter_map(|w| w.description.as_deref().and_then(marker::parse))
                .find(|m| m.owner == "me" && m.key == c.key)
                .unwrap();
            prop_assert_eq!(written.secrets, Some(secret_fields(d)));
        }
        let again = plan(&desired, &state(after), "me", options);
        prop_assert!(again.is_empty(), "second plan not empty: {:?}", again.changes);
        prop_assert!(again.conflicts.is_empty());
    }
}

proptest! {
    /// Whatever the manifests now say of a webhook — nothing (delete), literals, other secrets,
    /// another target — a live value its record names, or any live value when it has no record,
    /// never shows.
    #[test]
    fn a_live_secret_never_shows_whatever_the_manifests_now_say(
        spec in arb_spec("k"),
        (url, payload, headers) in any::<(bool, bool, bool)>(),
        recorded in any::<bool>(),
        next in prop_oneof![Just(None), arb_spec("k").prop_map(Some)],
    ) {
        let mut live = spec;
        // Without a record, any field may hold a secret: plant one in each.
        if url || !recorded {
            live.request_url = Secretish {
                value: "https://hooks.example.com/PLANTED-url?k=PLANTED-query#PLANTED-fragment".into(),
                from_env: url,
            };
        }
        if payload || !recorded {
            live.payload_template = Some(Secretish {
                value: "{\n  \"token\": \"PLANTED-payload\"\n}".into(),
                from_env: payload,
            });
        }
        if headers || !recorded {
            live.headers_template = Some(Secretish {
                value: r#"{"X-Token": "PLANTED-header"}"#.into(),
                from_env: headers,
            });
        }
        let mut w = live_of("W1", &live, "me");
        if !recorded {
            w = without_record(w);
        }
        let desired: Vec<DesiredSpec> = next.into_iter().collect();
        let p = plan(&desired, &state(vec![w]), "me", PlanOptions { force: true, ..PlanOptions::default() });
        prop_assert!(!shown(&p).contains("PLANTED"), "{}", shown(&p));
    }
}

#[test]
fn a_previous_key_moves_the_owned_webhook_in_place_and_only_when_unambiguous() {
    let old = desired("old", actor("A1"));
    let mut new = desired("new", actor("A1"));
    new.previous_keys = vec!["gone".into(), "old".into()];
    // Moved: an update of the marker only, same ID, nothing deleted or created.
    let mut live = vec![live_of("W1", &old, "me")];
    let p = plan(
        &[new.clone()],
        &state(live.clone()),
        "me",
        PlanOptions::default(),
    );
    assert_eq!(p.changes.len(), 1, "{:?}", p.changes);
    let c = &p.changes[0];
    assert_eq!(
        (
            c.action,
            c.key.as_str(),
            c.webhook_id.as_deref(),
            c.moved_from.as_deref()
        ),
        (Action::Update, "new", Some("W1"), Some("old"))
    );
    assert_eq!(
        c.fields.iter().map(|f| f.field).collect::<Vec<_>>(),
        [Field::Key]
    );
    let Request::Update(body) = &c.request else {
        panic!("an update")
    };
    assert_eq!(
        *body,
        WebhookUpdate {
            description: Some(Some(marker::compose(
                None,
                "me",
                "new",
                SecretFields::default()
            ))),
            ..WebhookUpdate::default()
        }
    );
    apply_model(&p, &mut live);
    assert!(plan(&[new.clone()], &state(live), "me", PlanOptions::default()).is_empty());
    // Both keys live: the new one is matched, the old one is not declared and goes.
    let both = vec![live_of("W1", &old, "me"), live_of("W2", &new, "me")];
    let p = plan(&[new.clone()], &state(both), "me", PlanOptions::default());
    let actions: Vec<(Action, &str)> = p
        .changes
        .iter()
        .map(|c| (c.action, c.webhook_id.as_deref().unwrap()))
        .collect();
    assert_eq!(actions, [(Action::Delete, "W1")]);
    // Two different webhooks under the previous key: a conflict, and nothing moves or is created.
    let mut other = old.clone();
    other.request_url = Secretish::plain("https://elsewhere.example.com/");
    let dup = vec![live_of("W1", &old, "me"), live_of("W3", &other, "me")];
    let p = plan(&[new.clone()], &state(dup), "me", PlanOptions::default());
    assert!(p.changes.is_empty(), "{:?}", p.changes);
    assert_eq!(p.conflicts.len(), 1);
    // Another owner's webhook under the previous key is not ours to move.
    let p = plan(
        &[new],
        &state(vec![live_of("W1", &old, "them")]),
        "me",
        PlanOptions::default(),
    );
    assert_eq!(p.changes[0].action, Action::Create);
}

/// One webhook of the pattern `acme/*` under `key`, on `target`.
fn instance(key: &str, target: Target) -> DesiredSpec {
    DesiredSpec {
        pattern: Some("acme/*".to_owned()),
        ..desired(key, target)
    }
}

#[test]
fn a_pattern_key_names_one_webhook_per_target() {
    let (a1, a2, a3) = (actor("A1"), actor("A2"), actor("A3"));
    let live = vec![live_of("W1", &instance("oncall", a1.clone()), "me")];
    let desired = [instance("oncall", a1), instance("oncall", a2.clone())];
    let p = plan(&desired, &state(live.clone()), "me", PlanOptions::default());
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);
    assert_eq!(p.changes.len(), 1, "{:?}", p.changes);
    assert_eq!(p.changes[0].action, Action::Create);
    assert_eq!(p.changes[0].address(), r#"webhook.oncall["acme/A2"]"#);
    assert_eq!(p.changes[0].target, a2);
    assert_eq!(p.untouched.unchanged, 1);

    // Applied, then planned again: nothing to do.
    let mut after = live;
    apply_model(&p, &mut after);
    assert!(
        plan(
            &desired,
            &state(after.clone()),
            "me",
            PlanOptions::default()
        )
        .is_empty()
    );

    // The pattern no longer matches A1 (excluded, say) but matches A3: A1's webhook goes, by
    // its address (named by its ID here: the live state names no target), and A3 gets one.
    let desired = [instance("oncall", a2), instance("oncall", a3)];
    let p = plan(&desired, &state(after), "me", PlanOptions::default());
    let shown: Vec<(Action, String)> = p.changes.iter().map(|c| (c.action, c.address())).collect();
    assert_eq!(
        shown,
        [
            (Action::Delete, r#"webhook.oncall["A1"]"#.to_owned()),
            (Action::Create, r#"webhook.oncall["acme/A3"]"#.to_owned()),
        ]
    );
}

#[test]
fn an_actor_renamed_on_the_platform_keeps_its_webhook() {
    let before = Target {
        name: "acme/old-name".into(),
        ..actor("A1")
    };
    let live = vec![live_of("W1", &instance("oncall", before), "me")];
    let renamed = Target {
        name: "acme/new-name".into(),
        ..actor("A1")
    };
    let p = plan(
        &[instance("oncall", renamed)],
        &state(live),
        "me",
        PlanOptions::default(),
    );
    assert!(p.is_empty(), "{:?}", p.changes);
    assert_eq!(p.untouched.unchanged, 1);
}

#[test]
fn a_pattern_taken_out_of_the_manifests_deletes_each_of_its_webhooks() {
    let live: Vec<Webhook> = ["A1", "A2", "A3"]
        .iter()
        .enumerate()
        .map(|(i, a)| live_of(&format!("W{i}"), &instance("oncall", actor(a)), "me"))
        .collect();
    let keep = desired("other", actor("A1"));
    let mut all = live.clone();
    all.push(live_of("W9", &keep, "me"));
    let p = plan(
        &[keep],
        &state(all),
        "me",
        PlanOptions {
            force: true,
            ..PlanOptions::default()
        },
    );
    assert!(
        p.conflicts.is_empty(),
        "not a duplicate key: {:?}",
        p.conflicts
    );
    let deleted: Vec<String> = p.changes.iter().map(Change::address).collect();
    assert_eq!(
        deleted,
        [
            r#"webhook.oncall["A1"]"#,
            r#"webhook.oncall["A2"]"#,
            r#"webhook.oncall["A3"]"#
        ]
    );
    assert!(p.changes.iter().all(|c| c.action == Action::Delete));
}

#[test]
fn safety_rules_count_the_webhooks_of_a_pattern_that_suddenly_matches_nothing() {
    let targets: Vec<Target> = (0..12).map(|i| actor(&format!("A{i}"))).collect();
    let live: Vec<Webhook> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| live_of(&format!("W{i}"), &instance("oncall", t.clone()), "me"))
        .collect();
    // A token that lost access sees no Actor: the pattern expands to nothing, but another
    // entry is still declared.
    let other = desired("other", actor("B1"));
    let mut all = live;
    all.push(live_of("W99", &other, "me"));
    let p = plan(&[other], &state(all), "me", PlanOptions::default());
    assert_eq!(
        p.refusal,
        Some(Refusal::TooManyDeletes {
            deletes: 12,
            owned: 13
        })
    );
}

#[test]
fn a_concrete_key_still_moves_between_targets_in_place() {
    let live = vec![live_of("W1", &desired("k", actor("A1")), "me")];
    let p = plan(
        &[desired("k", actor("A2"))],
        &state(live),
        "me",
        PlanOptions::default(),
    );
    assert_eq!(p.changes.len(), 1);
    assert_eq!(p.changes[0].action, Action::Update);
    assert_eq!(p.changes[0].address(), "webhook.k");
}

#[test]
fn selectors_read_addresses_and_keys_with_targets() {
    let s = Selector::parse(r#"webhook.oncall["acme/price-monitor"]"#, None).unwrap();
    assert!(s.is_key("oncall") && !s.is_key("other"));
    assert_eq!(s.target.as_deref(), Some("acme/price-monitor"));
    assert!(s.is_target(Some("acme/price-monitor"), "X"));
    assert!(!s.is_target(Some("acme/web-scraper"), "X"));
    // The address a plan prints reads back.
    let printed = address("a/b", Some("acme/x"));
    let back = Selector::parse(&printed, None).unwrap();
    assert!(back.is_key("a/b"));
    assert_eq!(back.target.as_deref(), Some("acme/x"));
    // A key with --target; `~` reads as `/`; an ID selects too.
    let s = Selector::parse("oncall", Some("acme~x")).unwrap();
    assert_eq!(s.target.as_deref(), Some("acme/x"));
    assert!(
        Selector::parse("oncall", Some("A1"))
            .unwrap()
            .is_target(None, "A1")
    );
    assert!(
        Selector::parse("oncall", None)
            .unwrap()
            .is_target(Some("any"), "any")
    );
    assert!(Selector::parse(r#"k["acme/x"]"#, Some("acme/y")).is_err());
    assert!(Selector::parse("k[acme/x]", None).is_err());
}

#[test]
fn a_disabled_webhook_of_a_pattern_is_named_by_its_address() {
    let mut w = live_of("W1", &instance("oncall", actor("A1")), "me");
    w.extra
        .insert("isEnabled".into(), serde_json::Value::Bool(false));
    let other = live_of("W2", &instance("oncall", actor("A2")), "me");
    let desired = [
        instance("oncall", actor("A1")),
        instance("oncall", actor("A2")),
    ];
    let p = plan(
        &desired,
        &state(vec![w, other]),
        "me",
        PlanOptions::default(),
    );
    let addresses: Vec<String> = p.disabled.iter().map(DisabledWebhook::address).collect();
    assert_eq!(addresses, [r#"webhook.oncall["A1"]"#]);
}
