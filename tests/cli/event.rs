//! The event model against the official API spec: the committed lists of run and build
//! properties (`src/event/fields.rs`) are the spec's, and the run and build objects of events
//! (samples and simulated runs) are valid `Run` and `Build` objects.

use serde_json::{Map, Value, json};

use apify_webhooks::event::{self, SampleTarget, fields};
use apify_webhooks::webhook::{EventType, TargetKind};

use crate::support::openapi::{self, violations};

/// The `properties` of an inlined schema, looking through `allOf` and `anyOf` (a `$ref` with
/// siblings is inlined as `allOf`, a nullable one as `anyOf`).
fn properties(schema: &Value) -> Option<&Map<String, Value>> {
    if let Some(Value::Object(props)) = schema.get("properties") {
        return Some(props);
    }
    ["allOf", "anyOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .find_map(properties)
}

fn names(props: &Map<String, Value>) -> Vec<&str> {
    props.keys().map(String::as_str).collect()
}

/// The schema of the `data` of a GET response.
fn data_schema(spec: &mut openapi::Spec, path: &str) -> Value {
    let schema = spec.response_schema("GET", path, 200).unwrap();
    properties(&schema).unwrap()["data"].clone()
}

#[test]
fn resource_fields_match_the_official_schemas() {
    let Some(mut spec) = openapi::load("resource fields") else {
        return;
    };
    for (path, top, nested) in [
        ("/v2/actor-runs/RUN", fields::RUN_FIELDS, fields::RUN_NESTED),
        (
            "/v2/actor-builds/BUILD",
            fields::BUILD_FIELDS,
            fields::BUILD_NESTED,
        ),
    ] {
        let data = data_schema(&mut spec, path);
        let props = properties(&data).unwrap();
        assert_eq!(
            names(props),
            top,
            "{path}: src/event/fields.rs has drifted from the spec; regenerate it"
        );
        for (field, list) in nested {
            let inner = properties(&props[*field]).unwrap();
            assert_eq!(
                names(inner),
                *list,
                "{path}: `{field}` has drifted from the spec"
            );
        }
    }
}

#[test]
fn the_resources_of_events_are_valid_runs_and_builds() {
    let Some(mut spec) = openapi::load("event resources") else {
        return;
    };
    let run = spec
        .response_schema("GET", "/v2/actor-runs/RUN", 200)
        .unwrap();
    let build = spec
        .response_schema("GET", "/v2/actor-builds/BUILD", 200)
        .unwrap();
    for kind in [TargetKind::Actor, TargetKind::Task] {
        let target = SampleTarget {
            kind,
            actor_id: None,
            task_id: None,
        };
        for t in EventType::ALL {
            let e = event::sample(t, &target);
            let schema = if t.is_build() { &build } else { &run };
            let problems = violations(schema, &json!({ "data": e.resource }));
            assert!(problems.is_empty(), "{t} ({kind}): {problems:#?}");
            // Every property the objects carry is one the schema names.
            let list = if t.is_build() {
                fields::BUILD_FIELDS
            } else {
                fields::RUN_FIELDS
            };
            for key in e.resource.as_object().unwrap().keys() {
                assert!(
                    list.contains(&key.as_str()),
                    "{t}: `{key}` is not in the schema"
                );
            }
        }
    }
}
