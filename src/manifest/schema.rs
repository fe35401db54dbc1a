//! Enforces the committed JSON schema on a parsed manifest and words its complaints for people:
//! every schema error becomes a diagnostic at the YAML node it is about, with "did you mean"
//! for misspelt fields and event types.

use std::sync::{Arc, LazyLock, OnceLock};

use jsonschema::Validator;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use super::yaml::Node;
use crate::diagnostic::{Diagnostic, SourceFile, Span, did_you_mean, shown};
use crate::webhook::EventType;

/// Fields of a manifest file, in the schema's order: read from the committed schema, so a field
/// added to the model is known here without another list to update.
pub(super) static FILE_FIELDS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| property_names("/properties"));
/// Fields of a webhook entry, in the schema's order (see [`FILE_FIELDS`]).
pub(super) static ENTRY_FIELDS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| property_names("/$defs/WebhookEntry/properties"));

/// The committed schema, parsed once.
fn committed() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_json::from_str(super::SCHEMA_JSON).expect("the committed schema is JSON")
    })
}

/// The property names of the schema object at `pointer` of the committed schema.
fn property_names(pointer: &str) -> Vec<&'static str> {
    committed()
        .pointer(pointer)
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("the committed schema has properties at {pointer}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// A schema complaint tied to the JSON pointer of the value it is about.
#[derive(Debug)]
pub(super) struct SchemaError {
    /// The JSON pointer of the offending value.
    pub(super) pointer: String,
    /// The worded diagnostic.
    pub(super) diagnostic: Diagnostic,
}

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::validator_for(committed()).expect("the committed schema is a valid JSON schema")
    })
}

/// Every schema error in `value` (the JSON form of `root`), as located diagnostics.
pub(super) fn check(value: &Value, root: &Node, source: &Arc<SourceFile>) -> Vec<SchemaError> {
    let mut out: Vec<SchemaError> = Vec::new();
    let errors: Vec<_> = validator().iter_errors(value).collect();
    // A misspelt required field shows up twice: as unknown and as missing. Keep the first,
    // which says "did you mean".
    let misspelt: Vec<(String, &str)> = errors
        .iter()
        .filter_map(|e| match e.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => Some((e, unexpected)),
            _ => None,
        })
        .flat_map(|(e, unexpected)| {
            let known: &[&str] = if e.instance_path().as_str().is_empty() {
                &FILE_FIELDS
            } else {
                &ENTRY_FIELDS
            };
            unexpected
                .iter()
                .filter_map(move |name| did_you_mean(name, known))
                .map(move |suggestion| (e.instance_path().as_str().to_owned(), suggestion))
        })
        .collect();
    for err in errors {
        let pointer = err.instance_path().as_str().to_owned();
        if let ValidationErrorKind::Required { property } = err.kind()
            && misspelt
                .iter()
                .any(|(p, s)| *p == pointer && property.as_str() == Some(s))
        {
            continue;
        }
        let found = lookup(root, &pointer);
        for diagnostic in word(err.kind(), &pointer, err.instance(), found, source) {
            if !out
                .iter()
                .any(|e| e.pointer == pointer && e.diagnostic == diagnostic)
            {
                out.push(SchemaError {
                    pointer: pointer.clone(),
                    diagnostic,
                });
            }
        }
    }
    out.sort_by_key(|e| e.diagnostic.primary.as_ref().map(|l| l.span));
    out
}

/// The node at `pointer` and its span (the whole document's when the pointer is not found).
#[derive(Clone, Copy)]
struct Found<'n> {
    node: Option<&'n Node>,
    span: Span,
}

fn lookup<'n>(root: &'n Node, pointer: &str) -> Found<'n> {
    match root.lookup(pointer) {
        Some((node, _)) => Found {
            node: Some(node),
            span: node.span,
        },
        None => Found {
            node: None,
            span: root.span,
        },
    }
}

/// The last segment of a JSON pointer, unescaped.
fn last_segment(pointer: &str) -> String {
    pointer
        .rsplit('/')
        .next()
        .unwrap_or("")
        .replace("~1", "/")
        .replace("~0", "~")
}

fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// What a value at `pointer` should be, in words.
fn expected_at(pointer: &str) -> &'static str {
    let segs = segments(pointer);
    match segs.as_slice() {
        [] => "a mapping with `version` and `actors` or `tasks`",
        [f] if f == "version" => "the number 1",
        [f] if f == "owner" => "a string",
        [f] if f == "actors" => "a mapping from Actor references to lists of webhooks",
        [f] if f == "tasks" => "a mapping from task references to lists of webhooks",
        [_, _] => "a list of webhooks",
        [_, _, _] => "a webhook: a mapping with `key`, `eventTypes` and `requestUrl`",
        [_, _, _, f] => match f.as_str() {
            "eventTypes" => "a list of event types",
            "payloadTemplate" => "a JSON string or a mapping",
            "headersTemplate" => {
                "a JSON object as a string, or a mapping of header names to strings"
            }
            "ignoreSslErrors" | "doNotRetry" | "shouldInterpolateStrings" => "true or false",
            _ => "a string",
        },
        [_, _, _, f, _] if f == "eventTypes" => "an event type such as `ACTOR.RUN.FAILED`",
        [_, _, _, f, _] if f == "headersTemplate" => "a string",
        _ => "a different value",
    }
}

/// The kind of a JSON value, in words.
pub(super) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn word(
    kind: &ValidationErrorKind,
    pointer: &str,
    instance: &Value,
    found: Found<'_>,
    source: &Arc<SourceFile>,
) -> Vec<Diagnostic> {
    let field = last_segment(pointer);
    let at_value = |d: Diagnostic, label: &str| d.at(source, found.span, label);
    if pointer == "/version" {
        // Whatever the schema says about it (type, minimum, constant), it is one mistake.
        return vec![version_problem(instance, found, source)];
    }
    let expected = expected_at(pointer);
    let mismatch = || {
        at_value(
            Diagnostic::error(format!("expected {expected}, found {}", describe(instance))),
            &format!("expected {}", short(expected)),
        )
    };
    match kind {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let depth = segments(pointer).len();
            let (known, what): (&[&str], &str) = if depth == 0 {
                (&FILE_FIELDS, "manifest")
            } else {
                (&ENTRY_FIELDS, "webhook")
            };
            unexpected
                .iter()
                .map(|name| {
                    let key_span = found
                        .node
                        .and_then(|n| n.entries().iter().find(|e| &e.key == name))
                        .map_or(found.span, |e| e.key_span);
                    let mut d = Diagnostic::error(format!("unknown field `{}` in {what}", shown(name)))
                        .at(source, key_span, "unknown field");
                    if let Some(suggestion) = did_you_mean(name, known) {
                        d = d.help(format!("did you mean `{suggestion}`?"));
                    } else if name == "condition" {
                        d = d.help("the condition comes from where the webhook is listed: under `actors:` or `tasks:`");
                    } else {
                        d = d.help(format!("expected one of {}", list(known)));
                    }
                    d
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let what = if pointer.is_empty() {
                "manifest"
            } else {
                "webhook"
            };
            let span = Span::new(found.span.start, found.span.start);
            let mut d = Diagnostic::error(format!("{what} is missing required field `{name}`")).at(
                source,
                span,
                format!("`{name}` missing here"),
            );
            if name == "version" {
                d = d.help("start the manifest with `version: 1`");
            }
            vec![d]
        }
        ValidationErrorKind::Enum { .. } | ValidationErrorKind::OneOfNotValid { .. }
            if segments(pointer).iter().any(|s| s == "eventTypes") =>
        {
            let name = instance.as_str().unwrap_or_default();
            let mut d = at_value(
                Diagnostic::error(format!("unknown event type `{}`", shown(name))),
                "unknown event type",
            );
            let all: Vec<&str> = EventType::ALL.iter().map(|e| e.as_str()).collect();
            if name == "TEST" {
                d = d.help(
                    "`TEST` is used by the platform's test dispatches and cannot be declared",
                );
            } else if let Some(s) = did_you_mean(name, &all) {
                d = d.help(format!("did you mean `{s}`?"));
            } else {
                d = d.help(format!("expected one of {}", list(&all)));
            }
            vec![d]
        }
        ValidationErrorKind::Pattern { .. }
        | ValidationErrorKind::MinLength { .. }
        | ValidationErrorKind::MaxLength { .. } => {
            let raw = instance.as_str().unwrap_or_default();
            let text = shown(raw);
            let in_previous_keys = pointer
                .rsplit('/')
                .nth(1)
                .is_some_and(|parent| parent == "previousKeys");
            let (message, help) = match field.as_str() {
                _ if in_previous_keys => (
                    format!(
                        "invalid previous key `{text}`: {}",
                        charset_problem(raw, 100, "/")
                    ),
                    "keys are 1 to 100 characters of A-Z a-z 0-9 . _ / -",
                ),
                "key" => (
                    format!("invalid key `{text}`: {}", charset_problem(raw, 100, "/")),
                    "keys are 1 to 100 characters of A-Z a-z 0-9 . _ / -",
                ),
                "owner" => (
                    format!("invalid owner `{text}`: {}", charset_problem(raw, 64, "")),
                    "owners are 1 to 64 characters of A-Z a-z 0-9 . _ -",
                ),
                "adopt" => (
                    format!("invalid webhook ID `{text}` in `adopt`"),
                    "webhook IDs are letters and digits, e.g. `YiKoxjkaS9gjGTqhF`",
                ),
                _ => (format!("invalid value `{text}`"), ""),
            };
            let d = at_value(Diagnostic::error(message), "invalid");
            vec![if help.is_empty() { d } else { d.help(help) }]
        }
        ValidationErrorKind::MinItems { .. } if field == "eventTypes" => vec![
            at_value(Diagnostic::error("`eventTypes` is empty"), "no event types")
                .help("a webhook needs at least one event type, e.g. `[ACTOR.RUN.FAILED]`"),
        ],
        ValidationErrorKind::AnyOf { .. } if field == "headersTemplate" && instance.is_object() => {
            let node = found.node;
            instance
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, v)| !v.is_string())
                .map(|(name, v)| {
                    let span = node
                        .and_then(|n| n.entries().iter().find(|e| &e.key == name))
                        .map_or(found.span, |e| e.value.span);
                    Diagnostic::error(format!(
                        "header `{}` must be a string, found {}",
                        shown(name),
                        describe(v)
                    ))
                    .at(source, span, "not a string")
                    .help("quote the value: header values are sent as strings")
                })
                .collect()
        }
        ValidationErrorKind::Type { kind } => {
            let nulls = matches!(kind, TypeKind::Single(_)) && instance.is_null();
            let mut d = mismatch();
            if nulls && segments(pointer).len() == 1 {
                d = d.help("remove the field, or give it a value");
            }
            if expected == "true or false"
                && instance
                    .as_str()
                    .is_some_and(|s| matches!(s, "yes" | "no" | "on" | "off" | "y" | "n"))
            {
                d = d.help(
                    "YAML 1.2 reads `yes`/`no`/`on`/`off` as strings; write `true` or `false`",
                );
            }
            vec![d]
        }
        _ => vec![mismatch()],
    }
}

/// The one error about `version`, saying what was found.
fn version_problem(instance: &Value, found: Found<'_>, source: &Arc<SourceFile>) -> Diagnostic {
    let (message, help) = match instance {
        Value::Number(n) => (
            format!("unsupported manifest version {n}"),
            "this apify-webhooks reads manifest format version 1",
        ),
        Value::String(s) => (
            format!(
                "expected the number 1, found the string \"{}\"",
                truncated(&shown(s), 40)
            ),
            if s.trim() == "1" {
                "remove the quotes: `version: 1`"
            } else {
                "write `version: 1`"
            },
        ),
        Value::Bool(b) => (
            format!("expected the number 1, found {b}"),
            "write `version: 1`",
        ),
        other => (
            format!("expected the number 1, found {}", describe(other)),
            "write `version: 1`",
        ),
    };
    let label = if instance.is_number() {
        "unsupported version"
    } else {
        "expected the number 1"
    };
    Diagnostic::error(message)
        .at(source, found.span, label)
        .help(help)
}

/// `text`, cut to `max` characters with an ellipsis.
fn truncated(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max).collect();
        cut.push('…');
        cut
    }
}

fn short(expected: &str) -> &str {
    expected.split(':').next().unwrap_or(expected)
}

/// What is wrong with `text` as a name of at most `max` characters of `A-Za-z0-9._-` plus `extra`.
fn charset_problem(text: &str, max: usize, extra: &str) -> String {
    let len = text.chars().count();
    if len == 0 {
        "it is empty".to_owned()
    } else if len > max {
        format!("it is {len} characters long, more than {max}")
    } else if let Some(c) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c) || extra.contains(*c)))
    {
        format!("`{}` is not allowed", shown(c.encode_utf8(&mut [0; 4])))
    } else {
        "not allowed".to_owned()
    }
}

/// `a`, `b` or `c`.
fn list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => format!("`{one}`"),
        [init @ .., last] => format!(
            "{} or `{last}`",
            init.iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_case_separators_and_typos() {
        assert_eq!(
            did_you_mean("event_types", &ENTRY_FIELDS),
            Some("eventTypes")
        );
        assert_eq!(
            did_you_mean("requestUrll", &ENTRY_FIELDS),
            Some("requestUrl")
        );
        assert_eq!(
            did_you_mean("RequestURL", &ENTRY_FIELDS),
            Some("requestUrl")
        );
        assert_eq!(did_you_mean("colour", &ENTRY_FIELDS), None);
        let events: Vec<&str> = EventType::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(
            did_you_mean("ACTOR.RUN.FAIL", &events),
            Some("ACTOR.RUN.FAILED")
        );
        assert_eq!(
            did_you_mean("ACTOR.RUN.TIMEDOUT", &events),
            Some("ACTOR.RUN.TIMED_OUT")
        );
    }

    #[test]
    fn field_lists_are_the_models_fields() {
        let generated = super::super::model::schema();
        let names = |pointer: &str| -> Vec<String> {
            generated
                .pointer(pointer)
                .and_then(Value::as_object)
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        assert_eq!(*ENTRY_FIELDS, names("/$defs/WebhookEntry/properties"));
        assert_eq!(*FILE_FIELDS, names("/properties"));
        assert_eq!(ENTRY_FIELDS.len(), 12);
    }

    #[test]
    fn a_bad_version_is_one_error_that_says_what_was_found() {
        for (yaml, message) in [
            ("-1", "unsupported manifest version -1"),
            ("2", "unsupported manifest version 2"),
            ("\"1\"", "expected the number 1, found the string \"1\""),
            ("null", "expected the number 1, found nothing (null)"),
            ("[1]", "expected the number 1, found a list"),
            ("false", "expected the number 1, found false"),
        ] {
            let source = Arc::new(SourceFile::new("m.yaml", format!("version: {yaml}\n")));
            let (root, _) = super::super::yaml::parse(&source).unwrap();
            let root = root.unwrap();
            let errors = check(&root.to_json(&source).unwrap(), &root, &source);
            let messages: Vec<&str> = errors
                .iter()
                .map(|e| e.diagnostic.message.as_str())
                .collect();
            assert_eq!(messages, [message], "version: {yaml}");
        }
    }

    #[test]
    fn expectations_follow_the_pointer() {
        assert_eq!(expected_at("/actors/a~1b/0/doNotRetry"), "true or false");
        assert_eq!(
            expected_at("/tasks/x/1/eventTypes/0"),
            "an event type such as `ACTOR.RUN.FAILED`"
        );
        assert_eq!(expected_at("/actors/x"), "a list of webhooks");
    }

    #[test]
    fn charset_problems_are_specific() {
        assert_eq!(charset_problem("", 100, "/"), "it is empty");
        assert_eq!(charset_problem("a b", 100, "/"), "` ` is not allowed");
        assert_eq!(
            charset_problem(&"x".repeat(101), 100, "/"),
            "it is 101 characters long, more than 100"
        );
    }
}
