//! Export as a pure function: classes, keys, secrets, templates, and every document loading back
//! through the manifest pipeline with no diagnostics and the live values once resolved.

use std::sync::Arc;

use super::*;
use crate::diagnostic::SourceFile;
use crate::manifest::{HeadersTemplate, PayloadTemplate};
use crate::platform::Condition;

fn hook(id: &str, actor: &str, events: &[&str], url: &str) -> Webhook {
    Webhook {
        id: id.to_owned(),
        condition: Some(Condition::for_target(TargetKind::Actor, actor)),
        event_types: Some(events.iter().map(|e| (*e).to_owned()).collect()),
        request_url: Some(url.to_owned()),
        description: Some(String::new()),
        action_type: Some("HTTP_REQUEST".to_owned()),
        ..Webhook::default()
    }
}

fn account(webhooks: Vec<Webhook>) -> Account {
    let mut names = HashMap::new();
    names.insert(
        "A1".to_owned(),
        TargetName {
            kind: TargetKind::Actor,
            name: "acme/web-scraper".to_owned(),
        },
    );
    Account { webhooks, names }
}

fn options() -> ExportOptions {
    ExportOptions {
        owner: "team".to_owned(),
        include_owned: false,
        include_secrets: false,
    }
}

/// What a webhook reads back as: URL, payload, headers and description, resolved.
type Back = (String, Option<String>, Option<String>, Option<String>);

/// Renders every file, loads it back (no diagnostics allowed), resolves it with the exported
/// variables and returns the resolved (url, payload, headers, description) by adopted ID.
fn round_trip(export: &Export, owner: &str) -> HashMap<String, Back> {
    let vars: HashMap<String, String> = export
        .variables
        .iter()
        .map(|v| (v.name.clone(), v.value.clone()))
        .collect();
    let mut out = HashMap::new();
    for file in &export.files {
        let text = crate::render::export::manifest(file, owner, &export.skipped, "schema.json");
        let source = Arc::new(SourceFile::new("export.yaml", text.clone()));
        let loaded = crate::manifest::load_source(&source);
        assert!(
            loaded.diagnostics.is_empty(),
            "{text}\n{:?}",
            loaded.diagnostics
        );
        for w in &loaded.webhooks {
            let sub = |s: &str| {
                crate::manifest::interpolate::substitute(s, |n| vars.get(n).cloned())
                    .unwrap()
                    .0
            };
            let payload = w.payload_template.as_ref().map(|p| match &p.value {
                PayloadTemplate::Text(t) => sub(t),
                PayloadTemplate::Mapping(_) => panic!("exported as text"),
            });
            let headers = w.headers_template.as_ref().map(|h| match &h.value {
                HeadersTemplate::Mapping(m) => serde_json::to_string(
                    &m.iter()
                        .map(|(k, v)| (k.clone(), Value::String(sub(v))))
                        .collect::<serde_json::Map<_, _>>(),
                )
                .unwrap(),
                HeadersTemplate::Text(t) => sub(t),
            });
            let id = w.adopt.clone().unwrap_or_else(|| w.key.clone());
            out.insert(
                id,
                (
                    sub(&w.request_url.value),
                    payload,
                    headers,
                    w.description.clone(),
                ),
            );
        }
    }
    out
}

#[test]
fn unmanaged_webhooks_get_readable_unique_stable_keys_and_adopt_ids() {
    let mut a = hook(
        "W2",
        "A1",
        &["ACTOR.RUN.TIMED_OUT", "ACTOR.RUN.FAILED"],
        "https://x.example/a",
    );
    a.created_at = Some("2025-01-02".into());
    let mut b = hook(
        "W1",
        "A1",
        &["ACTOR.RUN.FAILED", "ACTOR.RUN.TIMED_OUT"],
        "https://x.example/b",
    );
    b.created_at = Some("2025-01-01".into());
    // An owned webhook holds the plain key already: generated keys go around it.
    let mut owned = hook("W3", "A1", &["ACTOR.RUN.SUCCEEDED"], "https://x.example/c");
    owned.description =
        Some("[apify-webhooks owner=team key=web-scraper-failed-timed-out secrets=none]".into());
    let export = build(
        &account(vec![a.clone(), b.clone(), owned.clone()]),
        &options(),
    );
    let keys: Vec<(&str, Option<&str>)> = export.files[0]
        .entries
        .iter()
        .map(|e| (e.key.as_str(), e.adopt.as_deref()))
        .collect();
    assert_eq!(
        keys,
        [
            ("web-scraper-failed-timed-out-2", Some("W1")),
            ("web-scraper-failed-timed-out-3", Some("W2")),
        ]
    );
    assert_eq!(
        export.files[0].path,
        PathBuf::from("actors/acme/web-scraper.yaml")
    );
    // Stable: the same account in another order gives the same keys.
    let again = build(&account(vec![owned, b, a]), &options());
    assert_eq!(again.files[0].entries, export.files[0].entries);
}

#[test]
fn owned_webhooks_only_with_include_owned_and_under_their_keys() {
    let mut owned = hook("W3", "A1", &["ACTOR.RUN.SUCCEEDED"], "https://x.example/c");
    owned.description = Some("Human [apify-webhooks owner=team key=my/key secrets=none]".into());
    assert!(
        build(&account(vec![owned.clone()]), &options())
            .files
            .is_empty()
    );
    let export = build(
        &account(vec![owned]),
        &ExportOptions {
            include_owned: true,
            ..options()
        },
    );
    let e = &export.files[0].entries[0];
    assert_eq!((e.key.as_str(), e.adopt.as_deref()), ("my/key", None));
    assert_eq!(e.description.as_deref(), Some("Human"));
}

#[test]
fn unmanageable_webhooks_are_listed_with_why() {
    let mut adhoc = hook("H1", "A1", &["ACTOR.RUN.FAILED"], "https://x.example/a");
    adhoc.is_ad_hoc = Some(true);
    let mut integration = hook("H2", "A1", &["ACTOR.RUN.FAILED"], "https://x.example/a");
    integration.is_apify_integration = Some(true);
    let mut slack = hook("H3", "A1", &["ACTOR.RUN.FAILED"], "https://x.example/a");
    slack.action_type = Some("SLACK_MESSAGE".into());
    let mut foreign = hook("H4", "A1", &["ACTOR.RUN.FAILED"], "https://x.example/a");
    foreign.description = Some("[apify-webhooks owner=else key=k secrets=none]".into());
    let unknown_target = hook("H5", "GONE", &["ACTOR.RUN.FAILED"], "https://x.example/a");
    let test_event = hook("H6", "A1", &["TEST"], "https://x.example/a");
    let export = build(
        &account(vec![
            adhoc,
            integration,
            slack,
            foreign,
            unknown_target,
            test_event,
        ]),
        &options(),
    );
    assert!(export.files.is_empty());
    let why: Vec<(&str, &str)> = export
        .skipped
        .iter()
        .map(|s| (s.id.as_str(), s.why.as_str()))
        .collect();
    assert_eq!(
        why,
        [
            ("H5", "its Actor or task was not found"),
            ("H1", "ad-hoc (made for one run)"),
            ("H2", "an Apify integration (managed by the integration)"),
            ("H3", "not an HTTP webhook (action `SLACK_MESSAGE`)"),
            ("H4", "belongs to owner `else`"),
            ("H6", "event type `TEST` cannot be declared"),
        ]
    );
}

#[test]
fn secrets_become_references_and_load_back_to_the_live_values() {
    let mut w = hook(
        "S1",
        "A1",
        &["ACTOR.RUN.FAILED"],
        "https://me:pa55@hooks.example.com/p/${x}?token=t0k&empty=&flag#frag",
    );
    w.headers_template =
        Some(r#"{"Authorization": "Bearer s3cret", "X-A": "it's \"q\" ${y}"}"#.into());
    w.payload_template = Some(r#"{"a":{{resource}},"b":"${z} {{eventType}}","c":[1,{}]}"#.into());
    w.description = Some("Line one\nline: two # not a comment \u{2028} ${kept}".into());
    let export = build(&account(vec![w.clone()]), &options());
    let names: Vec<&str> = export.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "WEB_SCRAPER_FAILED_AUTHORIZATION",
            "WEB_SCRAPER_FAILED_TOKEN",
            "WEB_SCRAPER_FAILED_URL_USERINFO",
            "WEB_SCRAPER_FAILED_X_A",
        ]
    );
    let text = crate::render::export::manifest(&export.files[0], "team", &[], "s.json");
    for secret in ["pa55", "t0k", "s3cret", "it's"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let back = round_trip(&export, "team");
    let (url, payload, headers, description) = &back["S1"];
    assert_eq!(url, w.request_url.as_deref().unwrap());
    assert!(normalize::same_template(
        payload.as_deref(),
        w.payload_template.as_deref()
    ));
    assert!(normalize::same_template(
        headers.as_deref(),
        w.headers_template.as_deref()
    ));
    assert_eq!(description.as_deref(), w.description.as_deref());
}

#[test]
fn include_secrets_writes_values_verbatim() {
    let mut w = hook(
        "S1",
        "A1",
        &["ACTOR.RUN.FAILED"],
        "https://h.example/?token=t0k",
    );
    w.headers_template = Some(r#"{"Authorization": "Bearer s3cret"}"#.into());
    let export = build(
        &account(vec![w.clone()]),
        &ExportOptions {
            include_secrets: true,
            ..options()
        },
    );
    assert!(export.variables.is_empty());
    let text = crate::render::export::manifest(&export.files[0], "team", &[], "s.json");
    assert!(text.contains("t0k") && text.contains("s3cret"), "{text}");
    let back = round_trip(&export, "team");
    assert_eq!(back["S1"].0, "https://h.example/?token=t0k");
}

#[test]
fn recorded_secrets_of_owned_webhooks_are_never_written() {
    let mut w = hook(
        "O1",
        "A1",
        &["ACTOR.RUN.FAILED"],
        "https://hooks.slack.example/services/T0/B0/s3cret",
    );
    w.description = Some("[apify-webhooks owner=team key=k secrets=requestUrl]".into());
    let opts = ExportOptions {
        include_owned: true,
        ..options()
    };
    let export = build(&account(vec![w.clone()]), &opts);
    assert_eq!(export.files[0].entries[0].request_url, "${K_REQUEST_URL}");
    // A recorded secret in the payload cannot be located: not exported.
    w.payload_template = Some(r#"{"k": "s3cret"}"#.into());
    w.description = Some("[apify-webhooks owner=team key=k secrets=payloadTemplate]".into());
    let export = build(&account(vec![w]), &opts);
    assert!(export.files.is_empty());
    assert!(
        export.skipped[0]
            .why
            .contains("payloadTemplate holds a secret")
    );
}

#[test]
fn defaults_are_omitted_and_json_payloads_are_formatted() {
    let mut w = hook("D1", "A1", &["ACTOR.RUN.SUCCEEDED"], "https://h.example/x");
    w.payload_template = Some(r#"{"run":{{resource}},"list":[1, 2],"empty":{}}"#.into());
    w.ignore_ssl_errors = Some(false);
    w.do_not_retry = Some(false);
    w.should_interpolate_strings = Some(false);
    let export = build(&account(vec![w]), &options());
    let text = crate::render::export::manifest(&export.files[0], "team", &[], "s.json");
    assert!(
        text.ends_with(
            "      requestUrl: https://h.example/x\n      payloadTemplate: |\n        {\n          \"run\": {{resource}},\n          \"list\": [\n            1,\n            2\n          ],\n          \"empty\": {}\n        }\n"
        ),
        "{text}"
    );
    assert!(
        !text.contains("ignoreSslErrors") && !text.contains("doNotRetry"),
        "{text}"
    );
    assert!(!text.contains("description") && !text.contains("shouldInterpolateStrings"));
}

#[test]
fn text_that_is_not_json_is_kept_as_written() {
    assert_eq!(format_json_template("not json {{x}}"), "not json {{x}}");
    assert_eq!(
        format_json_template("{\"a\": \"b,c:{d}\"}"),
        "{\n  \"a\": \"b,c:{d}\"\n}\n"
    );
}

proptest::proptest! {
    #[test]
    fn any_description_and_query_value_load_back_unchanged(
        description in "\\PC{1,40}",
        value in "[A-Za-z0-9%._~${}'\"-]{1,20}",
    ) {
        let mut w = hook("P1", "A1", &["ACTOR.RUN.FAILED"], &format!("https://h.example/?v={value}"));
        w.description = Some(description.clone());
        let export = build(&account(vec![w]), &options());
        let back = round_trip(&export, "team");
        proptest::prop_assert_eq!(&back["P1"].0, &format!("https://h.example/?v={value}"));
        proptest::prop_assert_eq!(back["P1"].3.as_deref(), Some(description.as_str()));
    }
}
