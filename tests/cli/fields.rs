//! A webhook field lives in several places: the manifest's schema, the wire bodies, the plan's
//! fields, the identity that keys creates. The compiler finds some of them (struct literals and
//! exhaustive matches below); this test finds the rest, so a field added in one place and not
//! another fails here, not in production.

use std::collections::BTreeSet;

use apify_webhooks::plan::{Field, identity};
use apify_webhooks::platform::{Condition, WebhookCreate, WebhookUpdate};

fn keys(value: &serde_json::Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn every_webhook_field_is_known_to_the_manifest_the_wire_the_plan_and_the_identity() {
    // Struct literals without `..`: a new field in a body does not compile until it is set here.
    let create = WebhookCreate {
        event_types: vec!["ACTOR.RUN.FAILED".into()],
        condition: Condition::default(),
        request_url: "https://e.example.com".into(),
        payload_template: Some("{}".into()),
        headers_template: Some("{}".into()),
        description: Some("d".into()),
        ignore_ssl_errors: Some(true),
        do_not_retry: Some(true),
        should_interpolate_strings: Some(true),
        idempotency_key: Some("k".into()),
    };
    let update = WebhookUpdate {
        event_types: Some(vec![]),
        condition: Some(Condition::default()),
        request_url: Some(String::new()),
        payload_template: Some(None),
        headers_template: Some(None),
        description: Some(None),
        ignore_ssl_errors: Some(true),
        do_not_retry: Some(true),
        should_interpolate_strings: Some(true),
    };
    let mut wire = keys(&serde_json::to_value(&create).unwrap());
    wire.remove("idempotencyKey");
    assert_eq!(
        wire,
        keys(&serde_json::to_value(&update).unwrap()),
        "create and update bodies"
    );

    // Every variant is in `Field::ALL` (the match is exhaustive), and the plan's fields are the
    // wire's, plus the marker's three.
    for f in Field::ALL {
        match f {
            Field::Target
            | Field::EventTypes
            | Field::RequestUrl
            | Field::PayloadTemplate
            | Field::HeadersTemplate
            | Field::Description
            | Field::IgnoreSslErrors
            | Field::DoNotRetry
            | Field::ShouldInterpolateStrings
            | Field::Owner
            | Field::Key
            | Field::Secrets => {}
        }
    }
    let mut planned: BTreeSet<String> = Field::ALL.iter().map(|f| f.name().to_owned()).collect();
    assert_eq!(planned.len(), Field::ALL.len());
    planned.retain(|f| f != "owner" && f != "secrets" && f != "key");
    assert_eq!(planned, wire, "plan::Field against the wire bodies");

    // The identity that keys creates covers every field (the condition as its two IDs).
    let mut identity = keys(&identity::of_create(&create));
    assert!(identity.remove("actorId") && identity.remove("actorTaskId"));
    identity.insert("condition".into());
    assert_eq!(identity, wire, "plan::identity against the wire bodies");

    // The manifest declares every field but the condition (it comes from where the entry is
    // listed), plus its own `key`, `adopt`, `previousKeys` and `exclude`.
    let schema: serde_json::Value =
        serde_json::from_str(apify_webhooks::manifest::SCHEMA_JSON).unwrap();
    let mut entry = keys(&schema["$defs"]["WebhookEntry"]["properties"]);
    for own in ["key", "adopt", "previousKeys", "exclude"] {
        entry.remove(own);
    }
    entry.insert("condition".into());
    assert_eq!(
        entry, wire,
        "the manifest's entry fields against the wire bodies"
    );
    assert!(wire.is_superset(&set(&["eventTypes", "requestUrl", "condition"])));
}
