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
    Account {
        webhooks,
        names,
        targets: None,
    }
}

fn options() -> ExportOptions {
    ExportOptions {
        owner: "team".to_owned(),
        include_owned: false,
        include_secrets: false,
    }
}

/// The exported variables, as the environment `plan` would read them from.
fn exported_variables(export: &Export) -> HashMap<String, String> {
    export
        .variables
        .iter()
        .map(|v| (v.name.clone(), v.value.clone()))
        .collect()
}

/// One exported file, rendered and loaded back; it must load without a diagnostic.
fn load_exported(export: &Export, file: &ExportFile, owner: &str) -> crate::manifest::LoadedFile {
    let text = document::manifest(file, owner, &export.skipped, "schema.json");
    let source = Arc::new(SourceFile::new("export.yaml", text.clone()));
    let loaded = crate::manifest::load_source(&source);
    assert!(
        loaded.diagnostics.is_empty(),
        "{text}\n{:?}",
        loaded.diagnostics
    );
    loaded
}

/// What a webhook reads back as: URL, payload, headers and description, resolved.
type Back = (String, Option<String>, Option<String>, Option<String>);

/// Renders every file, loads it back (no diagnostics allowed), resolves it with the exported
/// variables and returns the resolved (url, payload, headers, description) by adopted ID.
fn round_trip(export: &Export, owner: &str) -> HashMap<String, Back> {
    let vars = exported_variables(export);
    let mut out = HashMap::new();
    for file in &export.files {
        let loaded = load_exported(export, file, owner);
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
            "WEB_SCRAPER_FAILED_QUERY",
            "WEB_SCRAPER_FAILED_TOKEN",
            "WEB_SCRAPER_FAILED_URL_FRAGMENT",
            "WEB_SCRAPER_FAILED_URL_USERINFO",
            "WEB_SCRAPER_FAILED_X_A",
        ]
    );
    let text = document::manifest(&export.files[0], "team", &[], "s.json");
    for secret in ["pa55", "t0k", "s3cret", "it's", "&flag", "#frag"] {
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
    let text = document::manifest(&export.files[0], "team", &[], "s.json");
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
    let text = document::manifest(&export.files[0], "team", &[], "s.json");
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

/// An account whose targets are `(id, kind, name)`.
fn account_of(targets: &[(&str, TargetKind, &str)], webhooks: Vec<Webhook>) -> Account {
    Account {
        webhooks,
        targets: None,
        names: targets
            .iter()
            .map(|(id, kind, name)| {
                (
                    (*id).to_owned(),
                    TargetName {
                        kind: *kind,
                        name: (*name).to_owned(),
                    },
                )
            })
            .collect(),
    }
}

/// Every file's (path, target, adopted IDs).
fn layout_of(export: &Export) -> Vec<(String, String, Vec<String>)> {
    export
        .files
        .iter()
        .map(|f| {
            (
                f.path.display().to_string(),
                f.target.clone(),
                f.entries.iter().filter_map(|e| e.adopt.clone()).collect(),
            )
        })
        .collect()
}

#[test]
fn names_that_differ_after_a_dot_or_in_case_get_a_file_each() {
    // Issue 16 item 1: `crawler.v1` and `crawler.v2` were one `crawler.yaml` under `.v1`.
    let names = [
        ("A1", TargetKind::Actor, "acme/crawler.v1"),
        ("A2", TargetKind::Actor, "acme/crawler.v2"),
        ("A3", TargetKind::Actor, "acme/.x"),
        ("A4", TargetKind::Actor, "acme/_.x"),
        ("A5", TargetKind::Actor, "acme/Crawler"),
        ("A6", TargetKind::Actor, "acme/crawler"),
        ("A7", TargetKind::Actor, "Acme/crawler"),
    ];
    let webhooks = names
        .iter()
        .map(|(id, _, _)| {
            hook(
                &format!("W{id}"),
                id,
                &["ACTOR.RUN.FAILED"],
                "https://h.example/x",
            )
        })
        .collect();
    let export = build(&account_of(&names, webhooks), &options());
    assert!(export.skipped.is_empty(), "{:?}", export.skipped);
    let layout = layout_of(&export);
    assert_eq!(layout.len(), names.len(), "{layout:#?}");
    for (_, target, adopted) in &layout {
        let (id, _, _) = names.iter().find(|(_, _, n)| n == target).unwrap();
        assert_eq!(adopted, &[format!("W{id}")], "{layout:#?}");
    }
    let folded: HashSet<String> = layout.iter().map(|(p, _, _)| p.to_lowercase()).collect();
    assert_eq!(folded.len(), names.len(), "{layout:#?}");
    let paths: Vec<&str> = layout.iter().map(|(p, _, _)| p.as_str()).collect();
    assert!(paths.contains(&"actors/acme/crawler.v1.yaml"), "{paths:?}");
    assert!(paths.contains(&"actors/acme/crawler.v2.yaml"), "{paths:?}");
    assert!(paths.contains(&"actors/acme/_.x.yaml"), "{paths:?}");
    // Stable: the same account gives the same paths.
    let names2 = names.iter().rev().copied().collect::<Vec<_>>();
    let webhooks = names2
        .iter()
        .map(|(id, _, _)| {
            hook(
                &format!("W{id}"),
                id,
                &["ACTOR.RUN.FAILED"],
                "https://h.example/x",
            )
        })
        .collect();
    assert_eq!(
        layout_of(&build(&account_of(&names2, webhooks), &options())),
        layout
    );
}

#[test]
fn long_names_get_short_stable_file_names() {
    // Issue 16 item 11: a 240-character name was a file name too long for the file system.
    let long = format!("acme/{}", "n".repeat(240));
    let longer = format!("acme/{}x", "n".repeat(240));
    let names = [
        ("A1", TargetKind::Actor, long.as_str()),
        ("A2", TargetKind::Task, longer.as_str()),
    ];
    let webhooks = vec![
        hook("W1", "A1", &["ACTOR.RUN.FAILED"], "https://h.example/x"),
        hook("W2", "A2", &["ACTOR.RUN.FAILED"], "https://h.example/x"),
    ];
    let export = build(&account_of(&names, webhooks.clone()), &options());
    assert_eq!(export.files.len(), 2, "{:?}", export.skipped);
    for f in &export.files {
        for part in &f.path {
            assert!(part.len() <= 110, "{}", f.path.display());
        }
    }
    assert_eq!(
        layout_of(&build(&account_of(&names, webhooks), &options())),
        layout_of(&export)
    );
}

#[test]
fn secret_paths_bare_queries_and_fragments_become_references() {
    // Issue 16 item 8.
    let urls = [
        (
            "https://hooks.slack.com/services/T0AAA/B0BBB/XyZsecret123abc",
            "https://hooks.slack.com/${WEB_SCRAPER_FAILED_URL_PATH}",
        ),
        (
            "https://discord.com/api/webhooks/1234/tok-en_x",
            "https://discord.com/${WEB_SCRAPER_FAILED_2_URL_PATH}",
        ),
        (
            "https://acme.webhook.office.com/webhookb2/abc@def/IncomingWebhook/x/y",
            "https://acme.webhook.office.com/${WEB_SCRAPER_FAILED_3_URL_PATH}",
        ),
        (
            "https://hooks.zapier.com/hooks/catch/123/abc/",
            "https://hooks.zapier.com/${WEB_SCRAPER_FAILED_4_URL_PATH}",
        ),
        (
            "https://hook.eu1.make.com/abcdefgh",
            "https://hook.eu1.make.com/${WEB_SCRAPER_FAILED_5_URL_PATH}",
        ),
        (
            "https://api.telegram.org/bot123:AAH/sendMessage",
            "https://api.telegram.org/${WEB_SCRAPER_FAILED_6_URL_PATH}",
        ),
        (
            "https://h.example/hooks/a1b2c3d4e5f6a7b8c9d0/run",
            "https://h.example/hooks/${WEB_SCRAPER_FAILED_7_URL_PATH}/run",
        ),
        (
            "https://h.example/in?SECRET",
            "https://h.example/in?${WEB_SCRAPER_FAILED_8_QUERY}",
        ),
        (
            "https://h.example/in#s3cret",
            "https://h.example/in#${WEB_SCRAPER_FAILED_9_URL_FRAGMENT}",
        ),
        (
            "https://h.example/plain/path",
            "https://h.example/plain/path",
        ),
    ];
    let webhooks: Vec<Webhook> = urls
        .iter()
        .enumerate()
        .map(|(i, (url, _))| {
            let mut w = hook(&format!("U{i}"), "A1", &["ACTOR.RUN.FAILED"], url);
            w.created_at = Some(format!("2025-01-{:02}", i + 1));
            w
        })
        .collect();
    let export = build(&account(webhooks.clone()), &options());
    assert!(export.skipped.is_empty(), "{:?}", export.skipped);
    let written: HashMap<&str, &str> = export.files[0]
        .entries
        .iter()
        .map(|e| (e.adopt.as_deref().unwrap(), e.request_url.as_str()))
        .collect();
    for (i, (_, expected)) in urls.iter().enumerate() {
        assert_eq!(written[format!("U{i}").as_str()], *expected);
    }
    let back = round_trip(&export, "team");
    for w in &webhooks {
        assert_eq!(&back[&w.id].0, w.request_url.as_ref().unwrap());
    }
}

/// Issue 16 item 8, the next shapes: a random token of letters only (about one in twelve
/// random 24-character tokens has fewer than two digits) was written to the file as a word.
#[test]
fn a_path_segment_of_random_mixed_case_letters_is_a_token_and_words_are_not() {
    for token in [
        "AbCdEfGhIjKlMnOpQrStUvWx",
        "qWeRtYuIoPaSdFgHjKlZxCvB",
        "sk_live_aBcDeFgHiJkLmNoPqRsTuV",
        "xKpQzRmWvTnLbYcHdJfGsA",
        "a1b2c3d4e5f6a7b8c9d0",
    ] {
        assert!(looks_like_token(token), "{token}");
    }
    for word in [
        "GetUserProfileInformation",
        "WebScraperFailureNotifications",
        "very-long-descriptive-path-name",
        "notifications",
        "ACTOR_RUN_FAILED_WEBHOOKS",
        "MyAPIHandlerForWebhookEvents",
    ] {
        assert!(!looks_like_token(word), "{word}");
    }
    let url = "https://h.example/hooks/AbCdEfGhIjKlMnOpQrStUvWx/run";
    let export = build(
        &account(vec![hook("T1", "A1", &["ACTOR.RUN.FAILED"], url)]),
        &options(),
    );
    assert_eq!(
        export.files[0].entries[0].request_url,
        "https://h.example/hooks/${WEB_SCRAPER_FAILED_URL_PATH}/run"
    );
}

#[test]
fn a_credential_in_a_payload_is_warned_about() {
    // Issue 16 item 8: a payload's `"token": "..."` was written without a word.
    let mut w = hook("P1", "A1", &["ACTOR.RUN.FAILED"], "https://h.example/x");
    w.payload_template =
        Some(r#"{"token": "s3cret", "run": {{resource}}, "auth": {"apiKey": "k"}, "tokenRef": "{{resource.id}}", "author": "Jane"}"#.into());
    let export = build(&account(vec![w]), &options());
    let fields: Vec<&str> = export.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(fields.len(), 2, "{fields:?}");
    assert!(fields[0].contains("`token`") || fields[1].contains("`token`"));
    assert!(fields.iter().any(|f| f.contains("`apiKey`")));
    assert!(fields.iter().all(|f| !f.contains("s3cret")));
}

/// Issue 16 item 8, the next move: a credential under a name that says nothing (`"x":
/// "sk_live_..."`, `"header": "Bearer ..."`) was written without a word.
#[test]
fn a_credential_under_any_name_in_a_payload_is_warned_about() {
    let mut w = hook("P1", "A1", &["ACTOR.RUN.FAILED"], "https://h.example/x");
    w.payload_template = Some(
        r#"{"x": "sk_live_aBcDeFgHiJkLmNoPqRsTuV", "h": {"header": "Bearer abc"}, "list": ["ghp_a1b2c3d4e5f6a7b8c9d0"], "text": "Run failed at the scraper", "id": "{{resource.id}}"}"#
            .into(),
    );
    let export = build(&account(vec![w]), &options());
    let messages: Vec<&str> = export.warnings.iter().map(|w| w.message.as_str()).collect();
    for name in ["`x`", "`header`", "`list`"] {
        assert!(
            messages.iter().any(|m| m.contains(name)),
            "{name}: {messages:?}"
        );
    }
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages
            .iter()
            .all(|m| !m.contains("sk_live") && !m.contains("abc"))
    );
}

/// Issue 16 item 10, the next move: a header name with a line or paragraph separator
/// (U+2028, U+2029) landed raw in the "Not exported" comment, and YAML 1.1 tools (`PyYAML`,
/// yamllint) read it as a line break: the rest of the comment became YAML and the file failed
/// to load there.
#[test]
fn no_line_separator_reaches_a_comment_of_the_document() {
    let mut bad = hook("B1", "A1", &["ACTOR.RUN.FAILED"], "https://h.example/b");
    bad.headers_template = Some(r#"{"Bad\u2028Name: x": "v", "Other\u2029": "w"}"#.into());
    let good = hook("G1", "A1", &["ACTOR.RUN.FAILED"], "https://h.example/g");
    let export = build(&account(vec![bad, good]), &options());
    assert_eq!(export.skipped.len(), 1, "{:?}", export.skipped);
    let text = document::manifest(&export.files[0], "team", &export.skipped, "s.json");
    assert!(text.contains("B1"), "{text}");
    for separator in ['\u{85}', '\u{2028}', '\u{2029}'] {
        assert!(!text.contains(separator), "{separator:?} in:\n{text}");
    }
}

#[test]
fn variables_are_exactly_those_of_the_exported_entries() {
    // Issue 16 item 9: variables of webhooks that were not exported were printed too.
    let mut kept = hook("K1", "A1", &["ACTOR.RUN.FAILED"], "https://h.example/?t=1");
    kept.headers_template = Some(r#"{"Authorization": "a"}"#.into());
    // Not exported: its payload is not a valid template, but its URL and headers held
    // secrets that were turned into variables before that was found.
    let mut broken = hook(
        "B1",
        "A1",
        &["ACTOR.RUN.FAILED"],
        "https://u:p@h.example/?t=2",
    );
    broken.headers_template = Some(r#"{"X": "b"}"#.into());
    broken.payload_template = Some("{\"a\": {{nope".into());
    // Not exported: a header name a manifest cannot declare.
    let mut bad_header = hook("B2", "A1", &["ACTOR.RUN.FAILED"], "https://h.example/?t=3");
    bad_header.headers_template = Some(r#"{"X Y": "c"}"#.into());
    let export = build(&account(vec![kept, broken, bad_header]), &options());
    let skipped: Vec<&str> = export.skipped.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(skipped, ["B1", "B2"]);
    let values: Vec<&str> = export.variables.iter().map(|v| v.value.as_str()).collect();
    assert_eq!(values, ["a", "1"]);
    let names: Vec<&str> = export.variables.iter().map(|v| v.name.as_str()).collect();
    let text = document::manifest(&export.files[0], "team", &export.skipped, "s.json");
    for name in names {
        assert!(text.contains(&format!("${{{name}}}")), "{name}: {text}");
    }
}

#[test]
fn only_what_validates_is_exported_and_the_rest_is_listed_with_why() {
    // Issue 16 item 10.
    let names = [
        ("A1", TargetKind::Actor, "acme/web-scraper"),
        ("A2", TargetKind::Actor, "acme/bad name"),
        ("A3", TargetKind::Task, "acme/new\nline: x"),
        ("A4", TargetKind::Actor, "acme/ünï"),
    ];
    let mut webhooks = Vec::new();
    for (i, header) in ["X Y", "X:Z", "Ünï", "Good-Name"].iter().enumerate() {
        let mut w = hook(
            &format!("H{i}"),
            "A1",
            &["ACTOR.RUN.FAILED"],
            "https://h.example/x",
        );
        w.headers_template = Some(serde_json::json!({ *header: "v" }).to_string());
        w.created_at = Some(format!("2025-01-0{i}"));
        webhooks.push(w);
    }
    webhooks.push(hook(
        "N2",
        "A2",
        &["ACTOR.RUN.FAILED"],
        "https://h.example/x",
    ));
    let mut on_task = hook("N3", "A3", &["ACTOR.RUN.FAILED"], "https://h.example/x");
    on_task.condition = Some(Condition::for_target(TargetKind::Task, "A3"));
    webhooks.push(on_task);
    webhooks.push(hook(
        "N4",
        "A4",
        &["ACTOR.RUN.FAILED"],
        "https://h.example/x",
    ));
    let export = build(&account_of(&names, webhooks), &options());
    let skipped: Vec<&str> = export.skipped.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(skipped.len(), 6, "{:?}", export.skipped);
    for id in ["H0", "H1", "H2", "N2", "N3", "N4"] {
        let s = export.skipped.iter().find(|s| s.id == id).expect(id);
        assert!(s.why.starts_with("a manifest cannot declare it: "), "{s:?}");
    }
    assert_eq!(layout_of(&export).len(), 1);
    assert_eq!(export.files[0].entries.len(), 1);
    // Every document written, with the skipped listed in its comment, loads without a problem.
    round_trip(&export, "team");
    let text = document::manifest(&export.files[0], "team", &export.skipped, "s.json");
    assert!(text.contains("#   - H0 on acme/web-scraper: a manifest cannot declare it: "));
}

#[test]
fn a_nul_in_a_secret_is_not_exported_as_a_variable() {
    let mut w = hook("Z1", "A1", &["ACTOR.RUN.FAILED"], "https://h.example/x");
    w.headers_template = Some(r#"{"X-A": "a\u0000b"}"#.into());
    let export = build(&account(vec![w.clone()]), &options());
    assert!(export.files.is_empty() && export.variables.is_empty());
    assert!(
        export.skipped[0].why.contains("NUL"),
        "{:?}",
        export.skipped
    );
    // Verbatim, it can be written.
    let export = build(
        &account(vec![w]),
        &ExportOptions {
            include_secrets: true,
            ..options()
        },
    );
    assert_eq!(export.files.len(), 1, "{:?}", export.skipped);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 64,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Any names (unicode, control characters, dots, case, up to 255 characters) and header
    /// values: every webhook is in exactly one file or listed as skipped; every file is one
    /// target's, loads without a problem and resolves to the live values; no two paths are the
    /// same on a file system that ignores case; the variables are exactly those referenced.
    #[test]
    fn any_names_give_one_valid_file_per_target(
        names in proptest::collection::vec(
            (proptest::bool::ANY, "[A-Za-z0-9._-]{1,8}", proptest::prop_oneof![
                "[A-Za-z0-9._-]{1,20}",
                "\\PC{1,12}",
                "[a-z\n.]{1,6}",
                "[a-zA-Z]{200,255}",
            ]),
            1..6,
        ),
        values in proptest::collection::vec("[ -~\u{1}-\u{1f}\u{7f}é]{0,10}", 1..8),
    ) {
        let targets: Vec<(String, TargetKind, String)> = names
            .iter()
            .enumerate()
            .map(|(i, (task, user, name))| {
                let kind = if *task { TargetKind::Task } else { TargetKind::Actor };
                (format!("T{i}"), kind, format!("{user}/{name}"))
            })
            .collect();
        let webhooks: Vec<Webhook> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let (id, kind, _) = &targets[i % targets.len()];
                let mut w = hook(&format!("W{i}"), id, &["ACTOR.RUN.FAILED"], &format!("https://h.example/{i}?q={i}"));
                w.condition = Some(Condition::for_target(*kind, id));
                w.headers_template = Some(serde_json::json!({ "X-V": v }).to_string());
                w
            })
            .collect();
        let refs: Vec<(&str, TargetKind, &str)> = targets
            .iter()
            .map(|(id, kind, name)| (id.as_str(), *kind, name.as_str()))
            .collect();
        let export = build(&account_of(&refs, webhooks.clone()), &options());
        let mut seen: Vec<String> = export.skipped.iter().map(|s| s.id.clone()).collect();
        seen.extend(export.files.iter().flat_map(|f| f.entries.iter().filter_map(|e| e.adopt.clone())));
        seen.sort();
        let mut all: Vec<String> = webhooks.iter().map(|w| w.id.clone()).collect();
        all.sort();
        proptest::prop_assert_eq!(seen, all);
        let folded: HashSet<String> =
            export.files.iter().map(|f| f.path.display().to_string().to_lowercase()).collect();
        proptest::prop_assert_eq!(folded.len(), export.files.len());
        let owners: HashSet<(TargetKind, &str)> =
            export.files.iter().map(|f| (f.kind, f.target.as_str())).collect();
        proptest::prop_assert_eq!(owners.len(), export.files.len());
        for f in &export.files {
            proptest::prop_assert!(f.path.iter().all(|p| p.len() <= 110), "{}", f.path.display());
            for e in &f.entries {
                let w = webhooks.iter().find(|w| Some(&w.id) == e.adopt.as_ref()).unwrap();
                let (_, kind, name) = targets.iter().find(|(id, _, _)| w.condition().target().map(|t| t.1) == Some(id.as_str())).unwrap();
                proptest::prop_assert_eq!((f.kind, f.target.as_str()), (*kind, name.as_str()));
            }
        }
        let back = round_trip(&export, "team");
        for (id, (url, _, headers, _)) in &back {
            let w = webhooks.iter().find(|w| &w.id == id).unwrap();
            proptest::prop_assert_eq!(Some(url.as_str()), w.request_url.as_deref());
            proptest::prop_assert!(normalize::same_template(headers.as_deref(), w.headers_template.as_deref()));
        }
        let mut referenced: Vec<String> = Vec::new();
        for f in &export.files {
            let text = document::manifest(f, "team", &export.skipped, "s.json");
            let mut rest = text.as_str();
            while let Some(i) = rest.find("${") {
                let after = &rest[i + 2..];
                let end = after.find('}').unwrap();
                if i == 0 || !rest[..i].ends_with('$') {
                    referenced.push(after[..end].to_owned());
                }
                rest = &after[end..];
            }
        }
        referenced.sort();
        let names: Vec<String> = export.variables.iter().map(|v| v.name.clone()).collect();
        proptest::prop_assert_eq!(names, referenced);
    }
}

/// An account whose listed Actors and tasks are `(id, kind, name, own)`: every one of them
/// named, and listed as the platform lists them.
fn listed_account(targets: &[(&str, TargetKind, &str, bool)], webhooks: Vec<Webhook>) -> Account {
    let refs: Vec<(&str, TargetKind, &str)> = targets
        .iter()
        .map(|(id, kind, name, _)| (*id, *kind, *name))
        .collect();
    let mut account = account_of(&refs, webhooks);
    account.targets = Some(
        targets
            .iter()
            .map(|(id, kind, name, own)| LiveTarget {
                kind: *kind,
                id: (*id).to_owned(),
                name: (*name).to_owned(),
                own: *own,
            })
            .collect(),
    );
    account
}

/// The changes and conflicts (as text) of the pure plan of every exported file, together as one
/// run with the exported variables set, against `account`: what `plan` on the export shows.
fn plan_of_export(export: &Export, account: &Account, owner: &str) -> Vec<String> {
    let vars = exported_variables(export);
    let mut webhooks = Vec::new();
    let mut keys = HashSet::new();
    for file in &export.files {
        let loaded = load_exported(export, file, owner);
        for w in loaded.webhooks {
            assert!(keys.insert(w.key.clone()), "key {} twice", w.key);
            webhooks.push(w);
        }
    }
    let manifests = crate::manifest::Manifests {
        files: Vec::new(),
        webhooks,
        owners: Vec::new(),
        env_refs: Vec::new(),
    };
    let resolved = manifests.resolve(|n| vars.get(n).cloned()).unwrap();
    let listed = account.targets.clone().unwrap_or_default();
    let mut targets = HashMap::new();
    for r in &resolved {
        let t = &r.desired.target;
        if t.is_pattern() {
            continue;
        }
        let (id, _) = account
            .names
            .iter()
            .find(|(_, n)| n.kind == t.kind && n.name == t.reference)
            .unwrap();
        targets.insert(
            (t.kind, t.api_reference()),
            crate::plan::Target {
                kind: t.kind,
                id: id.clone(),
                name: t.reference.clone(),
            },
        );
    }
    let matches = expand::expand(&crate::refresh::pattern_rules(&resolved), &listed);
    let specs = crate::refresh::desired_specs(&resolved, &targets, &matches);
    let live = crate::plan::LiveState {
        webhooks: account.webhooks.clone(),
        target_names: account
            .names
            .iter()
            .map(|(id, n)| (id.clone(), n.name.clone()))
            .collect(),
    };
    let plan = crate::plan::plan(&specs, &live, owner, crate::plan::PlanOptions::default());
    let mut out: Vec<String> = plan
        .changes
        .iter()
        .map(|c| format!("{:?} {}", c.action, c.key))
        .collect();
    out.extend(plan.conflicts.iter().map(|c| format!("{c:?}")));
    out
}

fn owned(id: &str, kind: TargetKind, target: &str, key: &str, url: &str) -> Webhook {
    let mut w = hook(id, target, &["ACTOR.RUN.FAILED"], url);
    w.condition = Some(Condition::for_target(kind, target));
    w.headers_template = Some(r#"{"Authorization": "Bearer s3cret"}"#.to_owned());
    w.description = Some(format!(
        "Page on-call [apify-webhooks owner=team key={key} secrets=headersTemplate]"
    ));
    w
}

const TARGETS: [(&str, TargetKind, &str, bool); 6] = [
    ("A1", TargetKind::Actor, "acme/a", true),
    ("A2", TargetKind::Actor, "acme/b", true),
    ("A3", TargetKind::Actor, "acme/c", true),
    ("A4", TargetKind::Actor, "acme/d", true),
    ("P1", TargetKind::Actor, "apify/public", false),
    ("T1", TargetKind::Task, "acme/t", true),
];

fn with_owned() -> ExportOptions {
    ExportOptions {
        include_owned: true,
        ..options()
    }
}

#[test]
fn an_owned_key_on_several_own_actors_is_one_pattern_entry_that_plans_no_changes() {
    // Issue 17: a pattern's webhooks (one key on three Actors) came out as three entries of
    // one key, so the exported manifests did not validate.
    let webhooks = vec![
        owned(
            "W1",
            TargetKind::Actor,
            "A1",
            "oncall",
            "https://h.example/x",
        ),
        owned(
            "W2",
            TargetKind::Actor,
            "A2",
            "oncall",
            "https://h.example/x",
        ),
        owned(
            "W3",
            TargetKind::Actor,
            "A4",
            "oncall",
            "https://h.example/x",
        ),
        owned(
            "W4",
            TargetKind::Task,
            "T1",
            "single",
            "https://h.example/y",
        ),
    ];
    let account = listed_account(&TARGETS, webhooks);
    let export = build(&account, &with_owned());
    assert!(export.skipped.is_empty(), "{:?}", export.skipped);
    let layout: Vec<(String, String, Vec<String>)> = export
        .files
        .iter()
        .map(|f| {
            (
                f.path.display().to_string(),
                f.target.clone(),
                f.entries.iter().map(|e| e.key.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(
        layout,
        [
            (
                "actors/acme/_all.yaml".to_owned(),
                "acme/*".to_owned(),
                vec!["oncall".to_owned()]
            ),
            (
                "tasks/acme/t.yaml".to_owned(),
                "acme/t".to_owned(),
                vec!["single".to_owned()]
            ),
        ]
    );
    let entry = &export.files[0].entries[0];
    assert_eq!(entry.exclude, ["acme/c"]);
    assert_eq!(entry.webhook_ids, ["W1", "W2", "W3"]);
    // One variable for the pattern's header: the same secret on every Actor.
    assert_eq!(
        export
            .variables
            .iter()
            .map(|v| v.name.as_str())
            .collect::<Vec<_>>(),
        ["ONCALL_AUTHORIZATION", "SINGLE_AUTHORIZATION"]
    );
    let text = document::manifest(&export.files[0], "team", &[], "s.json");
    assert!(
        text.contains(
            "actors:\n  \"acme/*\":\n    - key: oncall\n      exclude:\n        - acme/c\n"
        ),
        "{text}"
    );
    assert_eq!(
        plan_of_export(&export, &account, "team"),
        Vec::<String>::new()
    );
    assert!(
        crate::render::export::summary(&export, &[]).contains("Exported 4 webhooks in 2 files")
    );
}

#[test]
fn a_pattern_entry_excludes_by_id_what_a_manifest_cannot_name_and_tasks_work_too() {
    let targets = [
        ("T1", TargetKind::Task, "acme/nightly-a", true),
        ("T2", TargetKind::Task, "acme/nightly-b", true),
        ("T3", TargetKind::Task, "acme/odd name", true),
        ("T9", TargetKind::Task, "other/x", false),
    ];
    let webhooks = vec![
        owned("W1", TargetKind::Task, "T1", "done", "https://h.example/x"),
        owned("W2", TargetKind::Task, "T2", "done", "https://h.example/x"),
    ];
    let account = listed_account(&targets, webhooks);
    let export = build(&account, &with_owned());
    assert!(export.skipped.is_empty(), "{:?}", export.skipped);
    assert_eq!(export.files.len(), 1);
    assert_eq!(export.files[0].path, PathBuf::from("tasks/acme/_all.yaml"));
    assert_eq!(export.files[0].entries[0].exclude, ["T3"]);
    assert_eq!(
        plan_of_export(&export, &account, "team"),
        Vec::<String>::new()
    );
}

#[test]
fn an_owned_key_no_pattern_can_declare_is_listed_with_why_and_never_half_written() {
    let cases: [(Vec<Webhook>, bool, &str); 4] = [
        (
            vec![
                owned("W1", TargetKind::Actor, "A1", "k", "https://h.example/x"),
                owned(
                    "W2",
                    TargetKind::Actor,
                    "A2",
                    "k",
                    "https://h.example/other",
                ),
            ],
            true,
            "differ in more than their target",
        ),
        (
            vec![
                owned("W1", TargetKind::Actor, "A1", "k", "https://h.example/x"),
                owned("W2", TargetKind::Task, "T1", "k", "https://h.example/x"),
            ],
            true,
            "on Actors and tasks both",
        ),
        (
            vec![
                owned("W1", TargetKind::Actor, "A1", "k", "https://h.example/x"),
                owned("W2", TargetKind::Actor, "P1", "k", "https://h.example/x"),
            ],
            true,
            "several users",
        ),
        (
            vec![
                owned("W1", TargetKind::Actor, "A1", "k", "https://h.example/x"),
                owned("W2", TargetKind::Actor, "A2", "k", "https://h.example/x"),
            ],
            false,
            "could not be listed",
        ),
    ];
    for (webhooks, listed, why) in cases {
        let mut account = listed_account(&TARGETS, webhooks);
        if !listed {
            account.targets = None;
        }
        let export = build(&account, &with_owned());
        assert!(export.files.is_empty(), "{why}: {:?}", export.files);
        assert_eq!(
            export
                .skipped
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>(),
            ["W1", "W2"],
            "{why}"
        );
        for s in &export.skipped {
            assert!(s.why.contains(why), "{why}: {}", s.why);
            assert!(s.why.contains("declare it by hand"), "{}", s.why);
        }
    }
    // An own Actor the pattern would match but that is not the account's (a list that says
    // another user owns it) cannot be given by `acme/*`.
    let mut targets = TARGETS.to_vec();
    targets[1].3 = false;
    let account = listed_account(
        &targets,
        vec![
            owned("W1", TargetKind::Actor, "A1", "k", "https://h.example/x"),
            owned("W2", TargetKind::Actor, "A2", "k", "https://h.example/x"),
        ],
    );
    let export = build(&account, &with_owned());
    assert!(export.files.is_empty());
    assert!(
        export.skipped[0]
            .why
            .contains("`acme/b` is not one of the account's own Actors"),
        "{:?}",
        export.skipped
    );
}

#[test]
fn a_second_webhook_of_a_key_on_one_target_stays_plans_to_report() {
    let mut twin = owned("W3", TargetKind::Actor, "A1", "k", "https://h.example/x");
    twin.created_at = Some("2030-01-01".into());
    let account = listed_account(
        &TARGETS,
        vec![
            owned("W1", TargetKind::Actor, "A1", "k", "https://h.example/x"),
            owned("W2", TargetKind::Actor, "A2", "k", "https://h.example/x"),
            twin,
        ],
    );
    let export = build(&account, &with_owned());
    assert_eq!(export.files.len(), 1);
    assert_eq!(export.files[0].entries[0].webhook_ids, ["W1", "W2"]);
    assert_eq!(export.skipped.len(), 1);
    assert_eq!(export.skipped[0].id, "W3");
    assert!(export.skipped[0].why.contains("`plan` reports it"));
}

#[test]
fn the_same_unmanaged_webhook_on_three_own_actors_gets_a_pattern_suggested_and_no_fewer() {
    let same = |id: &str, on: &str| hook(id, on, &["ACTOR.RUN.FAILED"], "https://h.example/x");
    let on_two = listed_account(&TARGETS, vec![same("W1", "A1"), same("W2", "A2")]);
    assert!(build(&on_two, &options()).suggestions.is_empty());
    // Three, and a fourth that differs: the three are suggested, the fourth is excluded.
    let mut other = same("W4", "A4");
    other.request_url = Some("https://h.example/other".into());
    let account = listed_account(
        &TARGETS,
        vec![same("W1", "A1"), same("W2", "A2"), same("W3", "A3"), other],
    );
    let export = build(&account, &options());
    assert_eq!(export.suggestions.len(), 1);
    let s = &export.suggestions[0];
    assert_eq!(
        s.replaces,
        [
            ("a-failed".to_owned(), "acme/a".to_owned()),
            ("b-failed".to_owned(), "acme/b".to_owned()),
            ("c-failed".to_owned(), "acme/c".to_owned()),
        ]
    );
    let entry = &s.file.entries[0];
    assert_eq!(entry.key, "every-actor-failed");
    assert_eq!(entry.previous_keys, ["a-failed", "b-failed", "c-failed"]);
    assert_eq!(entry.exclude, ["acme/d"]);
    assert_eq!(entry.adopt, None);
    // The files are the export's as ever: one entry each, to adopt.
    assert_eq!(export.files.len(), 4);
    // One of them not the account's own: no pattern gives them.
    let mut targets = TARGETS.to_vec();
    targets[2].3 = false;
    let account = listed_account(
        &targets,
        vec![same("W1", "A1"), same("W2", "A2"), same("W3", "A3")],
    );
    assert!(build(&account, &options()).suggestions.is_empty());
    // Without the lists, nothing is suggested.
    let mut account = listed_account(
        &TARGETS,
        vec![same("W1", "A1"), same("W2", "A2"), same("W3", "A3")],
    );
    account.targets = None;
    assert!(build(&account, &options()).suggestions.is_empty());
}
