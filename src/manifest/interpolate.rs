//! `${NAME}` references to environment variables in `requestUrl` and the templates. `$${` is a
//! literal `${`; a `$` not followed by `{` is a plain `$`. Names are `[A-Za-z_][A-Za-z0-9_]*`.
//! Values that come from the environment are secrets: the caller learns which ones were used so
//! it can mask them.

use std::fmt;

/// One `${NAME}` in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The variable name.
    pub name: String,
    /// Byte offset of the `$` in the string.
    pub offset: usize,
    /// Byte length of `${NAME}`.
    pub len: usize,
}

/// A malformed `${`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset of the `$` in the string.
    pub offset: usize,
    /// Byte length of the malformed reference (to the `}` or the end of the string).
    pub len: usize,
    /// What is wrong.
    pub kind: SyntaxErrorKind,
}

/// What is wrong with a `${`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// `${` with no closing `}`.
    Unclosed,
    /// `${}`.
    Empty,
    /// `${...}` whose content is not a variable name.
    BadName(String),
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SyntaxErrorKind::Unclosed => {
                f.write_str("unclosed `${`: expected `${NAME}` (write `$${` for a literal `${`)")
            }
            SyntaxErrorKind::Empty => f.write_str("empty `${}`: expected `${NAME}`"),
            SyntaxErrorKind::BadName(name) => write!(
                f,
                "invalid variable name `{}` in `${{...}}`: names are letters, digits and `_`, not starting with a digit",
                crate::diagnostic::shown(name)
            ),
        }
    }
}

/// A piece of an interpolated string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    /// Text, starting at this byte offset of the string.
    Text(usize, &'a str),
    Reference(Reference),
    /// A malformed `${...}` that is closed: its extent is known.
    Malformed {
        offset: usize,
        len: usize,
    },
}

/// Splits `s` into text and references, or reports every malformed `${`.
fn pieces(s: &str) -> Result<Vec<Piece<'_>>, Vec<SyntaxError>> {
    let (pieces, errors) = scan(s);
    if errors.is_empty() {
        Ok(pieces)
    } else {
        Err(errors)
    }
}

/// Splits `s` into text, references and closed malformed references; and every malformed `${`.
/// An unclosed `${` ends the scan: the rest of `s` is no piece.
fn scan(s: &str) -> (Vec<Piece<'_>>, Vec<SyntaxError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while let Some(rel) = s[i..].find('$') {
        let at = i + rel;
        let rest = &s[at..];
        if rest.starts_with("$${") {
            out.push(Piece::Text(text_start, &s[text_start..at]));
            // Keep `${` of the escape as text; skip the first `$`.
            text_start = at + 1;
            i = at + 3;
        } else if rest.starts_with("${") {
            out.push(Piece::Text(text_start, &s[text_start..at]));
            match rest.find('}') {
                None => {
                    errors.push(SyntaxError {
                        offset: at,
                        len: rest.len(),
                        kind: SyntaxErrorKind::Unclosed,
                    });
                    i = s.len();
                }
                Some(close) => {
                    let name = &rest[2..close];
                    let len = close + 1;
                    if name.is_empty() {
                        errors.push(SyntaxError {
                            offset: at,
                            len,
                            kind: SyntaxErrorKind::Empty,
                        });
                        out.push(Piece::Malformed { offset: at, len });
                    } else if !is_name(name) {
                        errors.push(SyntaxError {
                            offset: at,
                            len,
                            kind: SyntaxErrorKind::BadName(name.to_owned()),
                        });
                        out.push(Piece::Malformed { offset: at, len });
                    } else {
                        out.push(Piece::Reference(Reference {
                            name: name.to_owned(),
                            offset: at,
                            len,
                        }));
                    }
                    i = at + len;
                }
            }
            text_start = i;
        } else {
            i = at + 1;
        }
    }
    if text_start < s.len() || out.is_empty() {
        out.push(Piece::Text(
            text_start.min(s.len()),
            &s[text_start.min(s.len())..],
        ));
    }
    (out, errors)
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The references in `s`, or every syntax error.
pub fn references(s: &str) -> Result<Vec<Reference>, Vec<SyntaxError>> {
    Ok(pieces(s)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Reference(r) => Some(r),
            Piece::Text(..) | Piece::Malformed { .. } => None,
        })
        .collect())
}

/// `s` with every reference replaced by `placeholder` and escapes resolved: what checks see, so
/// that they do not depend on secret values. `s` must be free of syntax errors.
pub fn with_placeholder(s: &str, placeholder: &str) -> String {
    substitute(s, |_| Some(placeholder.to_owned())).map_or_else(|_| s.to_owned(), |(text, _)| text)
}

/// `s` with every reference replaced by its value from `lookup`, and the values used (which are
/// secrets); or the names that `lookup` does not know. `s` must be free of syntax errors.
pub fn substitute(
    s: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<(String, Vec<String>), Vec<String>> {
    let Ok(pieces) = pieces(s) else {
        return Ok((s.to_owned(), Vec::new()));
    };
    let mut out = String::with_capacity(s.len());
    let mut used = Vec::new();
    let mut missing = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Text(_, t) => out.push_str(t),
            Piece::Malformed { .. } => unreachable!("`pieces` fails on malformed references"),
            Piece::Reference(r) => match lookup(&r.name) {
                Some(value) => {
                    out.push_str(&value);
                    used.push(value);
                }
                None => missing.push(r.name),
            },
        }
    }
    if missing.is_empty() {
        Ok((out, used))
    } else {
        Err(missing)
    }
}

/// A string with every `${...}` replaced by a placeholder, for checks that must not depend on
/// secret values, with the way back to offsets in the string as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The string with placeholders, escapes resolved.
    pub text: String,
    /// `(offset in text, offset in the original, length in text, whether it is text as written)`.
    map: Vec<(usize, usize, usize, bool)>,
}

impl Placed {
    /// The offset in the original string of byte `offset` of [`Placed::text`]: the same character
    /// in text as written, the start of the reference in a placeholder.
    pub fn original(&self, offset: usize) -> usize {
        for &(placed, original, len, is_text) in &self.map {
            if offset < placed + len {
                return if is_text {
                    original + offset.saturating_sub(placed)
                } else {
                    original
                };
            }
        }
        self.map
            .last()
            .map_or(offset, |&(placed, original, len, is_text)| {
                if is_text {
                    original + len + (offset - placed - len)
                } else {
                    original + offset - placed
                }
            })
    }
}

/// `s` with every `${...}` replaced by `placeholder`, malformed ones included, so that the rest of
/// the string can still be checked; `None` when a `${` is unclosed (where it ends is unknown).
pub fn placed(s: &str, placeholder: &str) -> Option<Placed> {
    let (pieces, errors) = scan(s);
    if errors.iter().any(|e| e.kind == SyntaxErrorKind::Unclosed) {
        return None;
    }
    let mut text = String::with_capacity(s.len());
    let mut map = Vec::with_capacity(pieces.len());
    for piece in pieces {
        let (original, written, is_text) = match piece {
            Piece::Text(at, t) => (at, t, true),
            Piece::Reference(r) => (r.offset, placeholder, false),
            Piece::Malformed { offset, .. } => (offset, placeholder, false),
        };
        map.push((text.len(), original, written.len(), is_text));
        text.push_str(written);
    }
    Some(Placed { text, map })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("s3cr3t".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn references_are_found_with_offsets() {
        assert_eq!(
            references("https://x/?a=${TOKEN}&b=${_b2}").unwrap(),
            vec![
                Reference {
                    name: "TOKEN".into(),
                    offset: 13,
                    len: 8
                },
                Reference {
                    name: "_b2".into(),
                    offset: 24,
                    len: 6
                },
            ]
        );
    }

    #[test]
    fn escapes_and_lone_dollars_are_text() {
        assert_eq!(references("$${NOT} costs $5 and ${").unwrap_err().len(), 1);
        assert!(references("$${NOT} costs $5").unwrap().is_empty());
        assert_eq!(
            substitute("$${NOT} costs $5", env).unwrap().0,
            "${NOT} costs $5"
        );
    }

    #[test]
    fn malformed_references_are_all_reported() {
        let errs = references("a ${} b ${9x} c ${OK} d ${open").unwrap_err();
        let kinds: Vec<_> = errs.iter().map(|e| (e.offset, e.kind.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                (2, SyntaxErrorKind::Empty),
                (8, SyntaxErrorKind::BadName("9x".into())),
                (24, SyntaxErrorKind::Unclosed),
            ]
        );
    }

    #[test]
    fn substitution_reports_values_used_and_every_missing_name() {
        assert_eq!(
            substitute("Bearer ${TOKEN}${EMPTY}", env).unwrap(),
            (
                "Bearer s3cr3t".to_owned(),
                vec!["s3cr3t".to_owned(), String::new()]
            )
        );
        assert_eq!(
            substitute("${A} ${TOKEN} ${B}", env).unwrap_err(),
            vec!["A".to_owned(), "B".to_owned()]
        );
    }

    #[test]
    fn placed_text_maps_back_to_the_original_offsets() {
        let s = r#"{"t": "${TOKEN}", "u": "${bad name}", "e": "$${x}", "n": }"#;
        let p = placed(s, "0").unwrap();
        assert_eq!(p.text, r#"{"t": "0", "u": "0", "e": "${x}", "n": }"#);
        let at = |needle: &str| p.original(p.text.find(needle).unwrap());
        assert_eq!(&s[p.original(p.text.rfind('}').unwrap())..], "}");
        assert_eq!(&s[at(", \"u\"")..], &s[s.find(", \"u\"").unwrap()..]);
        assert_eq!(
            &s[at("${x}")..],
            "${x}\", \"n\": }",
            "an escape keeps its second `$`"
        );
        assert_eq!(
            &s[p.original(7)..],
            &s[7..],
            "a placeholder maps to its reference"
        );
        assert_eq!(p.original(p.text.len()), s.len());
        assert_eq!(placed("a ${open", "0"), None);
    }

    #[test]
    fn placeholders_replace_references_for_checks() {
        assert_eq!(
            with_placeholder(r#"{"t": "${TOKEN}", "n": ${N}}"#, "0"),
            r#"{"t": "0", "n": 0}"#
        );
    }
}
