//! The loader never panics and never hangs, whatever it is fed: arbitrary bytes, arbitrary
//! YAML-shaped documents built from the manifest's own vocabulary, and valid manifests with
//! random damage. Each case also renders its diagnostics, which must not panic either.

use std::sync::Arc;

use apify_webhooks::diagnostic::SourceFile;
use apify_webhooks::manifest::load_source;
use apify_webhooks::render::diagnostic::render_all;
use proptest::prelude::*;

fn load_and_render(text: String) {
    let source = Arc::new(SourceFile::new("fuzz.yaml", text));
    let loaded = load_source(&source);
    let _ = render_all(&loaded.diagnostics);
    // A file that loads without errors yields webhooks whose labels point into the file.
    for w in &loaded.webhooks {
        assert!(w.key_label.span.end <= source.text().len());
    }
}

/// Words a manifest is made of, plus the characters that tend to break parsers.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("version".to_owned()),
        Just("actors".to_owned()),
        Just("tasks".to_owned()),
        Just("key".to_owned()),
        Just("eventTypes".to_owned()),
        Just("requestUrl".to_owned()),
        Just("payloadTemplate".to_owned()),
        Just("headersTemplate".to_owned()),
        Just("ACTOR.RUN.FAILED".to_owned()),
        Just("https://e.com/${T}".to_owned()),
        Just("{{resource}}".to_owned()),
        Just("${".to_owned()),
        Just("$${X}".to_owned()),
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just("&a".to_owned()),
        Just("*a".to_owned()),
        Just("<<".to_owned()),
        Just("!!str".to_owned()),
        Just("é\u{feff}\u{0}".to_owned()),
        "[a-zA-Z0-9/~._-]{0,12}",
    ]
}

/// A YAML-shaped document: nested mappings and sequences of tokens, up to a bounded depth.
fn document() -> impl Strategy<Value = String> {
    let leaf = token().prop_map(|t| format!("{t}\n"));
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec((token(), inner.clone()), 1..5).prop_map(|entries| {
                entries
                    .into_iter()
                    .map(|(k, v)| format!("{k}:\n{}", indent(&v)))
                    .collect::<String>()
            }),
            prop::collection::vec(inner.clone(), 1..5).prop_map(|items| items
                .into_iter()
                .map(|v| format!("-\n{}", indent(&v)))
                .collect::<String>()),
            prop::collection::vec(token(), 0..6)
                .prop_map(|items| format!("[{}]\n", items.join(", "))),
        ]
    })
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect()
}

const VALID: &str = include_str!("../../examples/pipelines.yaml");

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        load_and_render(String::from_utf8_lossy(&bytes).into_owned());
    }

    #[test]
    fn yaml_shaped_documents_never_panic(doc in document()) {
        load_and_render(format!("version: 1\n{doc}"));
        load_and_render(doc);
    }

    #[test]
    fn damaged_valid_manifests_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..4, token()), 1..8)
    ) {
        let mut text = VALID.to_owned();
        for (at, delete, insert) in edits {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) { i -= 1; }
            let mut end = (i + delete).min(text.len());
            while !text.is_char_boundary(end) { end += 1; }
            text.replace_range(i..end, &insert);
        }
        load_and_render(text);
    }
}

#[test]
fn pathological_inputs_are_refused_quickly() {
    // Deeply nested flow and block collections, a long run of keys, and an alias bomb: each is
    // an error (not a crash), and the suite's own time limit catches a hang.
    load_and_render("[".repeat(200_000));
    load_and_render("{a: ".repeat(100_000));
    load_and_render(
        (0..2_000)
            .map(|i| format!("{}- k\n", " ".repeat(i % 300)))
            .collect(),
    );
    load_and_render(
        "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\nd: [*c, *c, *c]\n".to_owned(),
    );
    load_and_render(format!(
        "version: 1\nx: \"{}\"\n",
        "a".repeat(2 * 1024 * 1024)
    ));
}
