//! What counts as "the same" when the manifest and the platform are compared, so that a plan
//! never shows a change that is not one: event types are a set; `null`, absent and `""` are
//! alike; templates are compared as JSON when both sides parse (placeholders included), so
//! whitespace and key order do not matter; booleans default to false.

use serde_json::Value;

/// Event types as a sorted set.
pub fn event_set<S: AsRef<str>>(events: &[S]) -> Vec<String> {
    let mut set: Vec<String> = events.iter().map(|e| e.as_ref().to_owned()).collect();
    set.sort();
    set.dedup();
    set
}

/// `None` for null, absent and empty.
pub fn text(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

/// Whether two templates mean the same: equal text, or equal JSON once `{{placeholders}}`
/// outside strings are read as opaque values.
pub fn same_template(a: Option<&str>, b: Option<&str>) -> bool {
    match (text(a), text(b)) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a == b || matches!((as_json(a), as_json(b)), (Some(x), Some(y)) if x == y)
        }
        _ => false,
    }
}

/// A template as JSON, with each `{{name}}` outside a string read as the string
/// `"\u{1}{{name}}"` (a value no real JSON text produces), so templates with placeholders
/// compare structurally too.
pub fn as_json(template: &str) -> Option<Value> {
    if let Ok(v) = serde_json::from_str(template) {
        return Some(v);
    }
    let mut out = String::with_capacity(template.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if !in_string && rest.starts_with("{{") {
            let close = rest.find("}}")?;
            out.push_str("\"\\u0001");
            out.push_str(&rest[..close + 2]);
            out.push('"');
            rest = &rest[close + 2..];
            continue;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    serde_json::from_str(&out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_compare_as_sets() {
        assert_eq!(
            event_set(&["B", "A", "B"]),
            vec!["A".to_owned(), "B".to_owned()]
        );
    }

    #[test]
    fn null_absent_and_empty_are_alike() {
        assert!(same_template(None, Some("")));
        assert!(!same_template(None, Some("{}")));
    }

    #[test]
    fn templates_compare_as_json_with_placeholders() {
        assert!(same_template(
            Some(r#"{"a": 1, "b": [1, 2]}"#),
            Some("{\n  \"b\": [1,2],\n  \"a\": 1\n}")
        ));
        assert!(same_template(
            Some(r#"{"run": {{resource}}, "id": "{{resource.id}}"}"#),
            Some("{\n\"id\": \"{{resource.id}}\",\n\"run\":{{resource}}\n}")
        ));
        assert!(!same_template(
            Some(r#"{"run": {{resource}}}"#),
            Some(r#"{"run": {{eventData}}}"#)
        ));
        assert!(!same_template(
            Some(r#"{"a": "{{x}}"}"#),
            Some(r#"{"a": {{x}}}"#)
        ));
        // Not JSON on either side: compared as text.
        assert!(same_template(Some("not json"), Some("not json")));
        assert!(!same_template(Some("not json"), Some("not  json")));
    }
}
