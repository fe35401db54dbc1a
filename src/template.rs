//! The platform's rules for payload and headers templates, ported from the algorithm the platform
//! itself runs (`WebhookPayloadTemplate` in apify-shared-js), so a template that passes here
//! passes there:
//!
//! 1. Try to parse the text as JSON. On failure, find the next `{{...}}`; if it is outside a JSON
//!    string (an even number of unescaped `"` before it), check its variable and replace it with
//!    `null`, then try again. When no placeholder is left, the JSON is invalid.
//! 2. With string interpolation on, placeholders inside strings (`{{name.path}}`, names of
//!    `[A-Za-z0-9.]`) are checked too.
//!
//! A variable is allowed when its first dot-separated segment is one of
//! [`TEMPLATE_VARIABLES`]; deeper properties are not checked,
//! as on the platform. The platform stops at the first problem, and so do [`check_payload`] and
//! [`check_headers`] (the emulator answers with them); validation uses [`payload_problems`] and
//! [`headers_problems`], which go on past an unknown variable and report everything.

use std::fmt;

use serde_json::Value;

use crate::diagnostic::shown;
use crate::webhook::{TEMPLATE_VARIABLES, is_rewritten_header};

/// Why a template would be refused by the platform. Offsets are byte offsets into the template
/// text as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// Not valid JSON once the placeholders outside strings are replaced.
    InvalidJson {
        /// The JSON parser's complaint.
        message: String,
        /// Where the parser stopped.
        offset: usize,
    },
    /// A `{{placeholder}}` names a variable the platform does not provide.
    InvalidVariable {
        /// The full placeholder name, e.g. `run.id`.
        name: String,
        /// Where the `{{` is.
        offset: usize,
    },
    /// A headers template that is not a JSON object.
    HeadersNotAnObject,
    /// A header whose value is not a string.
    HeaderNotString {
        /// The header name.
        name: String,
    },
    /// A header the platform always rewrites.
    RewrittenHeader {
        /// The header name as written.
        name: String,
    },
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::InvalidJson { message, .. } => write!(f, "invalid JSON: {message}"),
            TemplateError::InvalidVariable { name, .. } => {
                write!(f, "invalid payload template variable `{}`", shown(name))
            }
            TemplateError::HeadersNotAnObject => {
                f.write_str("headers template is not a JSON object")
            }
            TemplateError::HeaderNotString { name } => {
                write!(
                    f,
                    "header `{}` is not a string: header values can be strings only",
                    shown(name)
                )
            }
            TemplateError::RewrittenHeader { name } => {
                write!(
                    f,
                    "header `{}` is always set by the platform and cannot be declared",
                    shown(name)
                )
            }
        }
    }
}

impl std::error::Error for TemplateError {}

/// Whether `{{name}}` may be used: its first segment is a platform variable.
pub fn is_allowed_variable(name: &str) -> bool {
    let root = name.split('.').next().unwrap_or(name);
    TEMPLATE_VARIABLES.contains(&root)
}

/// Checks a payload template as the platform does on create and update: its first error.
pub fn check_payload(template: &str, interpolate_strings: bool) -> Result<Value, TemplateError> {
    let (value, problems) = payload(template, interpolate_strings);
    match (value, problems.into_iter().next()) {
        (_, Some(first)) => Err(first),
        (Some(value), None) => Ok(value),
        (None, None) => unreachable!("a template that does not parse has a problem"),
    }
}

/// Every reason the platform would refuse a payload template, in the order it meets them (the
/// first is what it reports): unknown variables outside strings, invalid JSON once they are
/// replaced, and with `interpolate_strings` unknown variables inside strings. An unknown
/// variable does not hide the JSON error after it.
pub fn payload_problems(template: &str, interpolate_strings: bool) -> Vec<TemplateError> {
    payload(template, interpolate_strings).1
}

fn payload(template: &str, interpolate_strings: bool) -> (Option<Value>, Vec<TemplateError>) {
    let (value, mut problems) = parse_with(template, "null");
    if interpolate_strings && let Some(value) = &value {
        problems.extend(string_problems(value, template));
    }
    (value, problems)
}

/// Checks a headers template: a payload template whose result is a JSON object of strings, with
/// no header the platform rewrites. Placeholders inside strings are always checked (the platform
/// interpolates header strings). The first error, as the platform reports it.
pub fn check_headers(template: &str) -> Result<(), TemplateError> {
    headers_problems(template)
        .into_iter()
        .next()
        .map_or(Ok(()), Err)
}

/// Every reason the platform would refuse a headers template, in its order (see
/// [`payload_problems`]); every header that is not a string or is rewritten is named.
pub fn headers_problems(template: &str) -> Vec<TemplateError> {
    let (value, mut problems) = parse_with(template, "\"\"");
    let Some(value) = value else {
        return problems;
    };
    problems.extend(string_problems(&value, template));
    let Value::Object(map) = value else {
        problems.push(TemplateError::HeadersNotAnObject);
        return problems;
    };
    for (name, v) in &map {
        if !v.is_string() {
            problems.push(TemplateError::HeaderNotString { name: name.clone() });
        }
        if is_rewritten_header(name) {
            problems.push(TemplateError::RewrittenHeader { name: name.clone() });
        }
    }
    problems
}

/// The placeholders in one JSON string that interpolation would replace but are not allowed:
/// `(byte offset of "{{" in s, name)`.
pub fn invalid_string_variables(s: &str) -> Vec<(usize, String)> {
    string_placeholders(s)
        .filter(|(_, name)| !is_allowed_variable(name))
        .map(|(offset, name)| (offset, name.to_owned()))
        .collect()
}

/// Every `{{name}}` the platform resolves in a template, `(byte offset of "{{", name)` in text
/// order: those outside JSON strings, and with `interpolate_strings` those inside strings that
/// the interpolation regex finds.
pub fn placeholders(template: &str, interpolate_strings: bool) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some((open, close)) = next_placeholder(template, from) {
        if inside_string(template, open) {
            if interpolate_strings
                && let Some((_, name)) = string_placeholders(&template[open..]).next()
                && template[open..].starts_with(&format!("{{{{{name}}}}}"))
            {
                found.push((open, name.to_owned()));
            }
            from = open + 1;
        } else {
            found.push((open, template[open + 2..close].to_owned()));
            from = close + 2;
        }
    }
    found
}

/// Placeholders as the platform's interpolation regex `\{\{([a-zA-Z0-9.]+)\}\}` finds them.
pub(crate) fn string_placeholders(s: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(rel) = s[from..].find("{{") {
            let open = from + rel;
            let body_start = open + 2;
            let len = s[body_start..]
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'.')
                .count();
            if len > 0 && s[body_start + len..].starts_with("}}") {
                from = body_start + len + 2;
                return Some((open, &s[body_start..body_start + len]));
            }
            from = open + 1;
        }
        None
    })
}

/// Step 1 of the algorithm with a chosen replacement for placeholders outside strings. Where the
/// platform stops at the first unknown variable, this replaces it like the others and goes on,
/// so that everything wrong is found: the value once parsed, and the problems in text order.
fn parse_with(template: &str, replacement: &str) -> (Option<Value>, Vec<TemplateError>) {
    let mut payload = template.to_owned();
    let mut problems = Vec::new();
    // (position in `payload` after the edit, bytes removed minus bytes inserted)
    let mut edits: Vec<(usize, isize)> = Vec::new();
    let mut current = 0;
    loop {
        let err = match serde_json::from_str::<Value>(&payload) {
            Ok(value) => return (Some(value), problems),
            Err(err) => err,
        };
        let Some((open, close)) = next_placeholder(&payload, current) else {
            let offset = to_original(json_error_offset(&payload, &err), &edits);
            problems.push(TemplateError::InvalidJson {
                message: json_error_message(&err),
                offset,
            });
            return (None, problems);
        };
        if inside_string(&payload, open) {
            current = open + 1;
        } else {
            let name = &payload[open + 2..close];
            if !is_allowed_variable(name) {
                problems.push(TemplateError::InvalidVariable {
                    name: name.to_owned(),
                    offset: to_original(open, &edits),
                });
            }
            let removed = close + 2 - open;
            payload.replace_range(open..close + 2, replacement);
            #[allow(clippy::cast_possible_wrap)]
            edits.push((
                open + replacement.len(),
                removed as isize - replacement.len() as isize,
            ));
            current = open + replacement.len();
        }
    }
}

/// The next `{{` at or after `from` and the `}}` after it: `(index of "{{", index of "}}")`.
fn next_placeholder(payload: &str, from: usize) -> Option<(usize, usize)> {
    let open = from + payload.get(from..)?.find("{{")?;
    let close = open + payload[open..].find("}}")?;
    // `{{}}` and `{{}` never name a variable; the platform treats them as a variable named ``
    // or worse, which it rejects, so they are reported as invalid variables.
    Some((open, close.max(open + 2)))
}

/// The platform's test: an odd number of `"` not preceded by `\` before `index`.
pub(crate) fn inside_string(payload: &str, index: usize) -> bool {
    let bytes = &payload.as_bytes()[..index];
    let quotes = bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'"' && (i == 0 || bytes[i - 1] != b'\\'))
        .count();
    quotes % 2 == 1
}

/// Maps an offset in the edited payload back to the template as given.
fn to_original(offset: usize, edits: &[(usize, isize)]) -> usize {
    let shift: isize = edits
        .iter()
        .filter(|(pos, _)| *pos <= offset)
        .map(|(_, d)| d)
        .sum();
    offset.saturating_add_signed(shift)
}

/// The byte offset `serde_json` stopped at (its line is 1-based, its column 1-based in bytes).
fn json_error_offset(text: &str, err: &serde_json::Error) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(err.line().saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + err.column().saturating_sub(1)).min(text.len())
}

/// `serde_json`'s message without its trailing " at line L column C".
fn json_error_message(err: &serde_json::Error) -> String {
    let full = err.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_owned(),
        None => full,
    }
}

/// Unknown placeholders inside every string of `value` (interpolation is on), each located at
/// its own occurrence in `template` as far as the text allows.
fn string_problems(value: &Value, template: &str) -> Vec<TemplateError> {
    fn walk(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::String(s) => {
                found.extend(invalid_string_variables(s).into_iter().map(|(_, n)| n));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            Value::Object(map) => map.values().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut names = Vec::new();
    walk(value, &mut names);
    let mut searched_from: std::collections::HashMap<String, usize> =
        std::collections::HashMap::new();
    names
        .into_iter()
        .map(|name| {
            let needle = format!("{{{{{name}}}}}");
            let from = searched_from.get(&name).copied().unwrap_or(0);
            let offset = template
                .get(from..)
                .and_then(|rest| rest.find(&needle))
                .map_or_else(|| template.find(&needle).unwrap_or(0), |i| from + i);
            searched_from.insert(name.clone(), offset + needle.len());
            TemplateError::InvalidVariable { name, offset }
        })
        .collect()
}

/// The platform's variable closest to the first segment of `name`, with the rest of `name`
/// kept: `resouce.id` gives `resource.id`. `None` when no variable is close.
pub fn suggest_variable(name: &str) -> Option<String> {
    let (root, rest) = name
        .split_once('.')
        .map_or((name, None), |(r, rest)| (r, Some(rest)));
    let root = root.trim();
    let suggestion = crate::diagnostic::did_you_mean(root, &TEMPLATE_VARIABLES)?;
    Some(match rest {
        Some(rest) => format!("{suggestion}.{}", rest.trim()),
        None => suggestion.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = r#"{
    "userId": {{userId}},
    "createdAt": {{createdAt}},
    "eventType": {{eventType}},
    "eventData": {{eventData}},
    "resource": {{resource}}
}"#;

    #[test]
    fn the_platform_default_template_is_valid() {
        check_payload(DEFAULT, false).unwrap();
    }

    #[test]
    fn placeholders_outside_strings_become_null() {
        let v = check_payload(r#"{"run": {{resource}}, "id": {{resource.id}}}"#, false).unwrap();
        assert_eq!(v, serde_json::json!({"run": null, "id": null}));
    }

    #[test]
    fn unknown_variables_outside_strings_are_refused_with_their_offset() {
        let t = r#"{"ok": {{userId}}, "bad": {{run.id}}}"#;
        assert_eq!(
            check_payload(t, false),
            Err(TemplateError::InvalidVariable {
                name: "run.id".into(),
                offset: t.find("{{run").unwrap()
            })
        );
    }

    #[test]
    fn only_the_first_segment_is_checked() {
        check_payload(
            r#"{"x": {{globals.dateISO}}, "y": {{resource.a.b.c}}}"#,
            false,
        )
        .unwrap();
    }

    #[test]
    fn placeholders_inside_strings_are_checked_only_with_interpolation() {
        let t = r#"{"text": "Run {{run.id}} done"}"#;
        check_payload(t, false).unwrap();
        assert!(matches!(
            check_payload(t, true),
            Err(TemplateError::InvalidVariable { ref name, offset: 14 }) if name == "run.id"
        ));
        check_payload(r#"{"text": "Run {{resource.id}} done"}"#, true).unwrap();
    }

    #[test]
    fn invalid_json_reports_where_the_parser_stopped_in_the_original_text() {
        let t = "{\"a\": {{resource}},\n \"b\": }";
        match check_payload(t, false) {
            Err(TemplateError::InvalidJson { offset, .. }) => assert_eq!(&t[offset..], "}"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn escaped_quotes_do_not_end_strings() {
        // The variable sits after an escaped quote: still inside the string, so left alone.
        check_payload(r#"{"a": "say \"{{resource}}\" please"}"#, false).unwrap();
    }

    #[test]
    fn spaces_inside_braces_are_an_invalid_variable_as_on_the_platform() {
        assert!(matches!(
            check_payload(r#"{"a": {{ resource }}}"#, false),
            Err(TemplateError::InvalidVariable { ref name, .. }) if name == " resource "
        ));
    }

    #[test]
    fn headers_must_be_an_object_of_strings_without_rewritten_names() {
        check_headers(r#"{"Authorization": "Bearer x", "X-Run": "{{resource.id}}"}"#).unwrap();
        check_headers(r#"{"X-Run": {{resource.id}}}"#).unwrap();
        assert_eq!(check_headers("[1]"), Err(TemplateError::HeadersNotAnObject));
        assert_eq!(
            check_headers(r#"{"X-Count": 3}"#),
            Err(TemplateError::HeaderNotString {
                name: "X-Count".into()
            })
        );
        assert_eq!(
            check_headers(r#"{"content-type": "text/plain"}"#),
            Err(TemplateError::RewrittenHeader {
                name: "content-type".into()
            })
        );
        assert!(matches!(
            check_headers(r#"{"X-Run": "{{nope}}"}"#),
            Err(TemplateError::InvalidVariable { .. })
        ));
    }

    #[test]
    fn an_unknown_variable_does_not_hide_the_invalid_json_after_it() {
        let t = r#"{"a": {{resouce.id}}, "b": }"#;
        let problems = payload_problems(t, false);
        assert!(
            matches!(&problems[..], [
                TemplateError::InvalidVariable { name, offset: 6 },
                TemplateError::InvalidJson { .. },
            ] if name == "resouce.id"),
            "{problems:?}"
        );
        assert_eq!(
            check_payload(t, false).unwrap_err(),
            problems[0],
            "the platform's first error"
        );
        let two = r#"{"a": {{run}}, "b": {{run.id}}}"#;
        assert_eq!(payload_problems(two, false).len(), 2);
    }

    #[test]
    fn every_unknown_string_variable_is_found_where_it_is() {
        let t = r#"{"a": "{{x}}", "b": "{{x}} {{y}}"}"#;
        assert_eq!(
            payload_problems(t, true),
            vec![
                TemplateError::InvalidVariable {
                    name: "x".into(),
                    offset: 7
                },
                TemplateError::InvalidVariable {
                    name: "x".into(),
                    offset: 21
                },
                TemplateError::InvalidVariable {
                    name: "y".into(),
                    offset: 27
                },
            ]
        );
    }

    #[test]
    fn every_bad_header_is_named() {
        assert_eq!(
            headers_problems(r#"{"Host": "x", "X-A": 1, "X-B": "{{nope}}"}"#),
            vec![
                TemplateError::InvalidVariable {
                    name: "nope".into(),
                    offset: 32
                },
                TemplateError::RewrittenHeader {
                    name: "Host".into()
                },
                TemplateError::HeaderNotString { name: "X-A".into() },
            ]
        );
    }

    #[test]
    fn variables_are_suggested_with_their_path() {
        assert_eq!(
            suggest_variable("resouce.id").as_deref(),
            Some("resource.id")
        );
        assert_eq!(suggest_variable("userid").as_deref(), Some("userId"));
        assert_eq!(suggest_variable(" resource ").as_deref(), Some("resource"));
        assert_eq!(suggest_variable("run.id"), None);
    }

    #[test]
    fn placeholders_are_those_the_platform_resolves() {
        let t = r#"{"a": {{resource.id}}, "b": "x {{eventData.actorRunId}} {{{userId}}}", "c": [{{ bad }}]}"#;
        let names = |interpolate| -> Vec<(usize, String)> { placeholders(t, interpolate) };
        assert_eq!(
            names(false),
            vec![(6, "resource.id".to_owned()), (77, " bad ".to_owned())]
        );
        assert_eq!(
            names(true),
            vec![
                (6, "resource.id".to_owned()),
                (31, "eventData.actorRunId".to_owned()),
                (57, "userId".to_owned()),
                (77, " bad ".to_owned())
            ]
        );
    }

    #[test]
    fn string_placeholders_follow_the_platform_regex() {
        assert_eq!(
            invalid_string_variables("a {{x.y}} {{resource}} {{ bad }} {{}} {{run}}"),
            vec![(2, "x.y".to_owned()), (38, "run".to_owned())]
        );
    }
}
