//! The ownership marker at the end of a webhook's description, after the manifest's own
//! description and one space:
//!
//! ```text
//! [apify-webhooks owner=<owner> key=<key> secrets=<fields>|none]
//! ```
//!
//! Written and read here only. The grammar, as docs/ownership.md states it:
//!
//! - the marker starts with `[apify-webhooks`, followed by a space, a tab or `]` (the same
//!   opening in other letter case, or followed by another blank or a control character, is a
//!   damaged marker: refused, never taken for no marker);
//! - then attributes `name=value`, separated (and optionally preceded and followed) by any run
//!   of spaces and tabs, in any order; a name is `[A-Za-z0-9._-]+`, a value a run of printable
//!   characters other than spaces, tabs, `,` and `]`, or a list of them joined by `,` (spaces
//!   and tabs around a `,` are allowed);
//! - then `]`, which ends the description (spaces and tabs after it are allowed, nothing else).
//!
//! `owner` and `key` are required, `secrets` optional (a marker without one was written by a
//! version before the record existed), `v` the marker format (`1`, the one this version reads;
//! absent means `1`). Attributes this version does not know are kept, in their order, when the
//! tool rewrites the marker. The tool writes `owner`, `key`, `secrets` in that order, one space
//! apart.
//!
//! `secrets=` records which fields of the webhook hold a value that came from `${NAME}`: a
//! comma-separated list of `requestUrl`, `payloadTemplate` and `headersTemplate` (in that order
//! when written), or `none`. The tool writes the record on every create and update and reads it
//! back on every plan, so it knows from the live webhook alone which *live* values must never be
//! printed, even once the manifests stop referencing the variable. Without a record the plan
//! masks the live values conservatively (see [`SecretFields::UNKNOWN`]).
//!
//! The *last* `[apify-webhooks` of the description is the marker, so a human description that
//! quotes a marker earlier cannot take the webhook over. Anything that starts like the marker
//! but cannot be read with certainty — no `]`, text after it, a token that is not `name=value`,
//! a missing, repeated or invalid `owner`, `key` or `secrets`, a `v` this version does not know
//! — is [`Reading::Damaged`], never "no marker": the plan refuses rather than take the webhook
//! for unmanaged and create a second one beside it.

use std::fmt;

/// How the marker starts.
const START: &str = "[apify-webhooks";

/// The marker format this version reads and writes (`v=`; absent means this one).
pub const FORMAT: u32 = 1;

/// The record's value when no field holds a secret.
const NONE: &str = "none";

/// Which fields of a webhook hold a value read from `${NAME}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SecretFields {
    /// `requestUrl`.
    pub request_url: bool,
    /// `payloadTemplate`.
    pub payload_template: bool,
    /// `headersTemplate`.
    pub headers_template: bool,
}

impl SecretFields {
    /// What a plan assumes of a live webhook whose record is unknown (an owned webhook written
    /// before the record existed, or one being adopted): every field may hold a secret.
    pub const UNKNOWN: SecretFields = SecretFields {
        request_url: true,
        payload_template: true,
        headers_template: true,
    };

    /// The API names of the fields that hold a secret, in the order the record lists them.
    pub fn names(self) -> Vec<&'static str> {
        [
            (self.request_url, "requestUrl"),
            (self.payload_template, "payloadTemplate"),
            (self.headers_template, "headersTemplate"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }

    /// The record as written in the marker: the names joined by commas, or `none`.
    fn record(self) -> String {
        let names = self.names();
        if names.is_empty() {
            NONE.to_owned()
        } else {
            names.join(",")
        }
    }

    /// Reads a record from the items of its list; `None` unless it is `none` alone or distinct
    /// known field names.
    fn parse_record(items: &[&str]) -> Option<SecretFields> {
        let mut out = SecretFields::default();
        if items == [NONE] {
            return Some(out);
        }
        for name in items {
            let slot = match *name {
                "requestUrl" => &mut out.request_url,
                "payloadTemplate" => &mut out.payload_template,
                "headersTemplate" => &mut out.headers_template,
                _ => return None,
            };
            if *slot {
                return None;
            }
            *slot = true;
        }
        Some(out)
    }
}

/// A well-formed marker and the human description before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker<'a> {
    /// The owner named in the marker.
    pub owner: &'a str,
    /// The key named in the marker.
    pub key: &'a str,
    /// The record of secret fields; `None` when the marker has none (an older version wrote it).
    pub secrets: Option<SecretFields>,
    /// The description before the marker, without the separating space.
    pub human: &'a str,
    /// Attributes this version does not know, in the order written (a list value joined by
    /// `,`): kept when the tool rewrites the marker.
    pub unknown: Vec<(&'a str, String)>,
}

impl Marker<'_> {
    /// The description the tool writes in place of this one: `human`, one space, the marker
    /// for `owner`, `key` and `secrets`, with this marker's unknown attributes kept.
    pub fn rewrite(
        &self,
        human: Option<&str>,
        owner: &str,
        key: &str,
        secrets: SecretFields,
    ) -> String {
        write(human, owner, key, secrets, &self.unknown)
    }
}

/// A description that starts a marker which cannot be read with certainty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage<'a> {
    /// The owner the marker names, when it names exactly one valid owner.
    pub owner: Option<&'a str>,
    /// The key the marker names, when it names exactly one valid key.
    pub key: Option<&'a str>,
    /// What is wrong.
    pub problem: Problem,
}

/// What makes a marker unreadable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Problem {
    /// No `]` closes it.
    Unclosed,
    /// Text follows the `]` (the description was edited, or quotes a marker).
    TextAfter(String),
    /// A token between the brackets is not `name=value`.
    NotAnAttribute(String),
    /// A required attribute (`owner`, `key`) is missing.
    Missing(&'static str),
    /// An attribute is given twice.
    Repeated(String),
    /// A known attribute has a value it cannot have.
    Invalid {
        /// The attribute.
        name: &'static str,
        /// The value as written.
        value: String,
    },
    /// The marker is of a format (`v=`) this version does not read.
    NewerFormat(String),
    /// A control character (other than a tab) inside the marker.
    ControlCharacter,
    /// The marker opens in other letter case than `[apify-webhooks`.
    Spelled(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unclosed => f.write_str("its marker has no closing `]`"),
            Problem::TextAfter(text) => write!(
                f,
                "text follows its marker (`{}`), which must end the description",
                shown(text)
            ),
            Problem::NotAnAttribute(token) => write!(
                f,
                "`{}` in its marker is not an attribute `name=value`",
                shown(token)
            ),
            Problem::Missing(name) => write!(f, "its marker has no `{name}=`"),
            Problem::Repeated(name) => {
                write!(f, "its marker gives `{}=` more than once", shown(name))
            }
            Problem::Invalid { name, value } => {
                let what = match *name {
                    "owner" => "an owner (1 to 64 of `A-Z a-z 0-9 . _ -`)",
                    "key" => "a key (1 to 100 of `A-Z a-z 0-9 . _ / -`)",
                    "secrets" => {
                        "`none` or a list of `requestUrl`, `payloadTemplate`, `headersTemplate`"
                    }
                    _ => "a marker format number",
                };
                write!(f, "`{name}={}` in its marker is not {what}", shown(value))
            }
            Problem::NewerFormat(v) => write!(
                f,
                "its marker is of format `v={v}`, newer than this apify-webhooks {} reads (`v={FORMAT}`): upgrade apify-webhooks to a version that reads marker format `v={v}`",
                env!("CARGO_PKG_VERSION")
            ),
            Problem::ControlCharacter => f.write_str("its marker holds a control character"),
            Problem::Spelled(opening) => write!(
                f,
                "its marker opens with `{}`, not `{START}`",
                shown(opening)
            ),
        }
    }
}

/// Text from a description as a message shows it: control characters escaped, at most 40
/// characters.
fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(40).flat_map(char::escape_debug).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// What a description says about ownership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading<'a> {
    /// Nothing that starts like a marker.
    None,
    /// A well-formed marker ends the description.
    Marker(Marker<'a>),
    /// Something starts like a marker but cannot be read with certainty.
    Damaged(Damage<'a>),
}

/// The description the tool writes: the human text, one space, the marker with its record.
pub fn compose(human: Option<&str>, owner: &str, key: &str, secrets: SecretFields) -> String {
    write(human, owner, key, secrets, &[])
}

fn write(
    human: Option<&str>,
    owner: &str,
    key: &str,
    secrets: SecretFields,
    unknown: &[(&str, String)],
) -> String {
    let mut marker = format!(
        "{START} owner={owner} key={key} secrets={}",
        secrets.record()
    );
    for (name, value) in unknown {
        marker.push(' ');
        marker.push_str(name);
        marker.push('=');
        marker.push_str(value);
    }
    marker.push(']');
    match human.filter(|h| !h.is_empty()) {
        Some(h) => format!("{h} {marker}"),
        None => marker,
    }
}

/// `description` with the key of its well-formed marker replaced by `key`, everything else as
/// written; `None` when it has no well-formed marker.
pub fn rekeyed(description: &str, key: &str) -> Option<String> {
    let m = parse(description)?;
    // The key is a slice of the description: replace exactly those bytes.
    let start = m.key.as_ptr() as usize - description.as_ptr() as usize;
    Some(format!(
        "{}{key}{}",
        &description[..start],
        &description[start + m.key.len()..]
    ))
}

/// The well-formed marker that ends `description`, if any (see [`read`]).
pub fn parse(description: &str) -> Option<Marker<'_>> {
    match read(description) {
        Reading::Marker(m) => Some(m),
        Reading::None | Reading::Damaged(_) => None,
    }
}

/// Reads the marker of `description`: the last `[apify-webhooks` in it.
pub fn read(description: &str) -> Reading<'_> {
    let Some(start) = last_start(description) else {
        return Reading::None;
    };
    let before = &description[..start];
    let human = before.strip_suffix(' ').unwrap_or(before);
    let after = &description[start + START.len()..];
    let (body, tail) = match after.find(']') {
        Some(end) => (&after[..end], Some(&after[end + 1..])),
        None => (after, None),
    };
    let (attributes, mut problem) = attributes(body);
    let opening = &description[start..start + START.len()];
    if opening != START {
        problem = Some(Problem::Spelled(opening.to_owned()));
    }
    let damage = |problem: Problem| {
        Reading::Damaged(Damage {
            owner: single(&attributes, "owner").filter(|o| is_owner(o)),
            key: single(&attributes, "key").filter(|k| is_key(k)),
            problem,
        })
    };
    if body.chars().any(|c| c.is_control() && c != '\t') {
        problem = Some(Problem::ControlCharacter);
    }
    let Some(tail) = tail else {
        return damage(Problem::Unclosed);
    };
    if let Some(problem) = problem {
        return damage(problem);
    }
    for (i, a) in attributes.iter().enumerate() {
        if attributes[..i].iter().any(|b| b.name == a.name) {
            return damage(Problem::Repeated(a.name.to_owned()));
        }
    }
    let value = |name: &str| attributes.iter().find(|a| a.name == name);
    let (Some(owner), Some(key)) = (value("owner"), value("key")) else {
        let missing = if value("owner").is_none() {
            "owner"
        } else {
            "key"
        };
        return damage(Problem::Missing(missing));
    };
    let invalid = |name: &'static str, a: &Attribute<'_>| Problem::Invalid {
        name,
        value: a.items.join(","),
    };
    let owner_value = match owner.items.as_slice() {
        [o] if is_owner(o) => *o,
        _ => return damage(invalid("owner", owner)),
    };
    let key_value = match key.items.as_slice() {
        [k] if is_key(k) => *k,
        _ => return damage(invalid("key", key)),
    };
    let secrets = match value("secrets") {
        None => None,
        Some(a) => match SecretFields::parse_record(&a.items) {
            Some(s) => Some(s),
            None => return damage(invalid("secrets", a)),
        },
    };
    if let Some(v) = value("v") {
        match v.items.as_slice() {
            [n] if n.parse::<u32>().is_ok_and(|n| n == FORMAT) => {}
            [n] if n.parse::<u32>().is_ok_and(|n| n > FORMAT) => {
                return damage(Problem::NewerFormat((*n).to_owned()));
            }
            _ => return damage(invalid("v", v)),
        }
    }
    let tail = tail.trim_matches([' ', '\t']);
    if !tail.is_empty() {
        return damage(Problem::TextAfter(tail.to_owned()));
    }
    Reading::Marker(Marker {
        owner: owner_value,
        key: key_value,
        secrets,
        human,
        unknown: attributes
            .iter()
            .filter(|a| !KNOWN.contains(&a.name))
            .map(|a| (a.name, a.items.join(",")))
            .collect(),
    })
}

/// The attributes this version knows.
const KNOWN: [&str; 4] = ["owner", "key", "secrets", "v"];

/// One `name=value` of a marker; a list value in its items.
#[derive(Debug)]
struct Attribute<'a> {
    name: &'a str,
    items: Vec<&'a str>,
}

/// The value of the attribute `name` when it is given once, as one item.
fn single<'a>(attributes: &[Attribute<'a>], name: &str) -> Option<&'a str> {
    let mut found = attributes.iter().filter(|a| a.name == name);
    match (found.next(), found.next()) {
        (Some(a), None) => match a.items.as_slice() {
            [one] => Some(*one),
            _ => None,
        },
        _ => None,
    }
}

/// Where the last marker of `description` starts: `[apify-webhooks` in any letter case,
/// followed by `]`, the end, or any blank or control character (a line break or a no-break
/// space there makes the marker unreadable, never absent).
fn last_start(description: &str) -> Option<usize> {
    // ASCII case folding keeps every byte offset.
    let folded = description.to_ascii_lowercase();
    folded.rmatch_indices(START).map(|(i, _)| i).find(|&i| {
        description[i + START.len()..]
            .chars()
            .next()
            .is_none_or(|c| c == ']' || c.is_whitespace() || c.is_control())
    })
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// The attributes between `[apify-webhooks` and `]`, and the first token that is not one.
fn attributes(body: &str) -> (Vec<Attribute<'_>>, Option<Problem>) {
    let mut out = Vec::new();
    let mut problem = None;
    let mut rest = body.trim_start_matches(is_blank);
    while !rest.is_empty() {
        let end = rest.find(|c| is_blank(c) || c == ',').unwrap_or(rest.len());
        let token = &rest[..end];
        let Some((name, first)) = token.split_once('=').filter(|(name, _)| is_name(name)) else {
            problem.get_or_insert_with(|| Problem::NotAnAttribute(token.to_owned()));
            rest = rest[end..].trim_start_matches(|c| is_blank(c) || c == ',');
            continue;
        };
        let mut items = vec![first];
        rest = &rest[end..];
        // A list goes on after a `,`, with blanks allowed around it.
        loop {
            let after_blanks = rest.trim_start_matches(is_blank);
            let Some(next) = after_blanks.strip_prefix(',') else {
                rest = after_blanks;
                break;
            };
            let next = next.trim_start_matches(is_blank);
            let end = next.find(|c| is_blank(c) || c == ',').unwrap_or(next.len());
            items.push(&next[..end]);
            rest = &next[end..];
        }
        out.push(Attribute { name, items });
    }
    (out, problem)
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

fn is_owner(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

fn is_key(s: &str) -> bool {
    (1..=100).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NO: SecretFields = SecretFields {
        request_url: false,
        payload_template: false,
        headers_template: false,
    };

    fn damage(description: &str) -> Damage<'_> {
        match read(description) {
            Reading::Damaged(d) => d,
            other => panic!("{description}: {other:?}"),
        }
    }

    #[test]
    fn composes_after_one_space_or_alone() {
        assert_eq!(
            compose(Some("Page on-call"), "prod", "a/b", NO),
            "Page on-call [apify-webhooks owner=prod key=a/b secrets=none]"
        );
        assert_eq!(
            compose(None, "prod", "k", NO),
            "[apify-webhooks owner=prod key=k secrets=none]"
        );
        assert_eq!(
            compose(Some(""), "prod", "k", NO),
            "[apify-webhooks owner=prod key=k secrets=none]"
        );
    }

    #[test]
    fn the_record_lists_secret_fields_in_a_fixed_order() {
        let url_and_headers = SecretFields {
            request_url: true,
            headers_template: true,
            ..NO
        };
        assert_eq!(
            compose(None, "o", "k", url_and_headers),
            "[apify-webhooks owner=o key=k secrets=requestUrl,headersTemplate]"
        );
        assert_eq!(
            compose(None, "o", "k", SecretFields::UNKNOWN),
            "[apify-webhooks owner=o key=k secrets=requestUrl,payloadTemplate,headersTemplate]"
        );
        // Read back in any order.
        let m = parse("[apify-webhooks owner=o key=k secrets=headersTemplate,requestUrl]").unwrap();
        assert_eq!(m.secrets, Some(url_and_headers));
    }

    #[test]
    fn parses_what_it_composes() {
        let payload = SecretFields {
            payload_template: true,
            ..NO
        };
        let d = compose(
            Some("Notify [team] about runs"),
            "acme-prod",
            "x.y/z",
            payload,
        );
        assert_eq!(
            parse(&d),
            Some(Marker {
                owner: "acme-prod",
                key: "x.y/z",
                secrets: Some(payload),
                human: "Notify [team] about runs",
                unknown: Vec::new(),
            })
        );
    }

    #[test]
    fn a_marker_without_a_record_is_owned_with_the_record_unknown() {
        let m = parse("Alerts [apify-webhooks owner=o key=k]").unwrap();
        assert_eq!((m.owner, m.key, m.human), ("o", "k", "Alerts"));
        assert_eq!(m.secrets, None);
    }

    #[test]
    fn only_the_last_marker_counts() {
        let human = "copied from [apify-webhooks owner=other key=theirs secrets=none] by hand";
        let d = compose(Some(human), "mine", "k", NO);
        let m = parse(&d).unwrap();
        assert_eq!((m.owner, m.key, m.human), ("mine", "k", human));
        // `[apify-webhooksX` is not the start of a marker.
        let d = format!(
            "{} [apify-webhooksX owner=a key=b]",
            compose(None, "o", "k", NO)
        );
        assert!(
            matches!(read(&d), Reading::Damaged(_)),
            "text after the marker"
        );
        assert_eq!(read("see [apify-webhooks-like tags]"), Reading::None);
    }

    /// Issue 16, item 4: each of these was taken for unmanaged, and apply created a second
    /// webhook beside it.
    #[test]
    fn a_marker_written_another_way_is_read_the_same() {
        let url_and_headers = SecretFields {
            request_url: true,
            headers_template: true,
            ..NO
        };
        for (written, secrets) in [
            ("[apify-webhooks key=k owner=prod secrets=none]", Some(NO)),
            ("[apify-webhooks secrets=none key=k owner=prod]", Some(NO)),
            (
                "[apify-webhooks  owner=prod  key=k   secrets=none]",
                Some(NO),
            ),
            ("[apify-webhooks\towner=prod\tkey=k secrets=none]", Some(NO)),
            ("[apify-webhooks owner=prod key=k secrets=none ]", Some(NO)),
            (
                "[apify-webhooks owner=prod key=k secrets=none\t ]",
                Some(NO),
            ),
            (
                "[apify-webhooks owner=prod key=k secrets=none v=1]",
                Some(NO),
            ),
            ("[apify-webhooks owner=prod key=k]  ", None),
            (
                "[apify-webhooks owner=prod key=k secrets=requestUrl, headersTemplate]",
                Some(url_and_headers),
            ),
            (
                "[apify-webhooks owner=prod key=k secrets=requestUrl ,\theadersTemplate]",
                Some(url_and_headers),
            ),
        ] {
            let m = parse(written).unwrap_or_else(|| panic!("{written}: {:?}", read(written)));
            assert_eq!(
                (m.owner, m.key, m.secrets),
                ("prod", "k", secrets),
                "{written}"
            );
            assert!(m.unknown.is_empty(), "{written}");
        }
    }

    #[test]
    fn rekeying_changes_only_the_key() {
        let d = "key=k [apify-webhooks\tteam=k key=k  owner=o]";
        assert_eq!(
            rekeyed(d, "new/k").as_deref(),
            Some("key=k [apify-webhooks\tteam=k key=new/k  owner=o]")
        );
        assert_eq!(rekeyed("no marker", "k"), None);
    }

    #[test]
    fn unknown_attributes_are_read_and_kept_when_rewritten() {
        let m = parse("Alerts [apify-webhooks team=ops owner=prod key=k secrets=none tags=a, b]")
            .unwrap();
        assert_eq!((m.owner, m.key, m.human), ("prod", "k", "Alerts"));
        assert_eq!(
            m.unknown,
            vec![("team", "ops".to_owned()), ("tags", "a,b".to_owned())]
        );
        let rewritten = m.rewrite(Some("Pager"), "prod", "k2", SecretFields::UNKNOWN);
        assert_eq!(
            rewritten,
            "Pager [apify-webhooks owner=prod key=k2 secrets=requestUrl,payloadTemplate,headersTemplate team=ops tags=a,b]"
        );
        assert_eq!(parse(&rewritten).unwrap().unknown, m.unknown);
    }

    #[test]
    fn what_cannot_be_read_with_certainty_is_damaged_never_absent() {
        for (written, problem, owner, key) in [
            (
                "[apify-webhooks key=k secrets=none]",
                Problem::Missing("owner"),
                None,
                Some("k"),
            ),
            (
                "[apify-webhooks owner=o secrets=none]",
                Problem::Missing("key"),
                Some("o"),
                None,
            ),
            (
                "[apify-webhooks owner=o key=k key=j]",
                Problem::Repeated("key".into()),
                Some("o"),
                None,
            ),
            (
                "[apify-webhooks owner=o owner=p key=k]",
                Problem::Repeated("owner".into()),
                None,
                Some("k"),
            ),
            (
                "[apify-webhooks owner=o key=k secrets=none] edited",
                Problem::TextAfter("edited".into()),
                Some("o"),
                Some("k"),
            ),
            (
                "[apify-webhooks owner=o key=k secrets=none v=2]",
                Problem::NewerFormat("2".into()),
                Some("o"),
                Some("k"),
            ),
            (
                "[apify-webhooks owner=o key=k v=one]",
                Problem::Invalid {
                    name: "v",
                    value: "one".into(),
                },
                Some("o"),
                Some("k"),
            ),
            (
                "[apify-webhooks owner=o key=k",
                Problem::Unclosed,
                Some("o"),
                Some("k"),
            ),
            (
                "[apify-webhooks owner=a b key=k]",
                Problem::NotAnAttribute("b".into()),
                Some("a"),
                Some("k"),
            ),
            (
                "[apify-webhooks owner=a key=]",
                Problem::Invalid {
                    name: "key",
                    value: String::new(),
                },
                Some("a"),
                None,
            ),
            (
                "[apify-webhooks owner=a key=k secrets=password]",
                Problem::Invalid {
                    name: "secrets",
                    value: "password".into(),
                },
                Some("a"),
                Some("k"),
            ),
            (
                "[apify-webhooks owner=a key=k secrets=requestUrl,requestUrl]",
                Problem::Invalid {
                    name: "secrets",
                    value: "requestUrl,requestUrl".into(),
                },
                Some("a"),
                Some("k"),
            ),
            (
                "[apify-webhooks owner=a key=k secrets=none,requestUrl]",
                Problem::Invalid {
                    name: "secrets",
                    value: "none,requestUrl".into(),
                },
                Some("a"),
                Some("k"),
            ),
            (
                "[apify-webhooks owner=a key=k\nsecrets=none]",
                Problem::ControlCharacter,
                Some("a"),
                None,
            ),
            ("[apify-webhooks]", Problem::Missing("owner"), None, None),
            (
                "Tag like [apify-webhooks owner=me key=quoted] for the tool",
                Problem::TextAfter("for the tool".into()),
                Some("me"),
                Some("quoted"),
            ),
        ] {
            let d = damage(written);
            assert_eq!(
                (&d.problem, d.owner, d.key),
                (&problem, owner, key),
                "{written}"
            );
            assert!(!problem.to_string().is_empty());
        }
        assert_eq!(read("plain text"), Reading::None);
        assert_eq!(read(""), Reading::None);
    }

    /// Issue 16, item 4, the next variants: a line break, a CR or a no-break space right after
    /// `[apify-webhooks`, or the marker in other letter case, were taken for no marker at all,
    /// and apply created a second webhook beside each.
    #[test]
    fn a_marker_opened_by_another_blank_or_in_other_case_is_never_unmanaged() {
        for written in [
            "[apify-webhooks\nowner=o key=k secrets=none]",
            "[apify-webhooks\rowner=o key=k secrets=none]",
            "[apify-webhooks\r\nowner=o key=k secrets=none]",
            "[apify-webhooks\u{a0}owner=o key=k secrets=none]",
            "[apify-webhooks\u{3000}owner=o key=k secrets=none]",
            "[apify-webhooks\u{b}owner=o key=k secrets=none]",
            "Alerts [APIFY-WEBHOOKS owner=o key=k secrets=none]",
            "[Apify-Webhooks owner=o key=k secrets=none]",
            "[apify-WEBHOOKS]",
        ] {
            let d = damage(written);
            assert!(!d.problem.to_string().is_empty(), "{written:?}");
        }
        let d = damage("[Apify-Webhooks owner=o key=k secrets=none]");
        assert_eq!((d.owner, d.key), (Some("o"), Some("k")));
        assert!(
            d.problem.to_string().contains("`[Apify-Webhooks`"),
            "{}",
            d.problem
        );
        // Still not a marker: another word that merely begins the same way.
        assert_eq!(read("see [Apify-Webhooks-like tags]"), Reading::None);
        assert_eq!(read("see [apify-webhooks2 x]"), Reading::None);
    }

    #[test]
    fn a_problem_names_what_to_do_and_never_echoes_a_control_character() {
        let d = damage("[apify-webhooks owner=o key=k v=7]");
        let text = d.problem.to_string();
        assert!(
            text.contains("`v=7`") && text.contains("upgrade apify-webhooks"),
            "{text}"
        );
        let d = damage("[apify-webhooks owner=o key=k] \r::warning::x");
        assert!(!d.problem.to_string().contains('\r'), "{}", d.problem);
    }

    fn arb_secrets() -> impl Strategy<Value = SecretFields> {
        any::<(bool, bool, bool)>().prop_map(|(a, b, c)| SecretFields {
            request_url: a,
            payload_template: b,
            headers_template: c,
        })
    }

    proptest! {
        #[test]
        fn any_human_description_round_trips(
            human in "[ -~\\[\\]]{0,80}",
            owner in "[A-Za-z0-9._-]{1,64}",
            key in "[A-Za-z0-9._/-]{1,100}",
            secrets in arb_secrets(),
        ) {
            let composed = compose(Some(&human), &owner, &key, secrets);
            let m = parse(&composed).unwrap();
            prop_assert_eq!(m.owner, owner.as_str());
            prop_assert_eq!(m.key, key.as_str());
            prop_assert_eq!(m.secrets, Some(secrets));
            // A human text ending in a space keeps it: compose adds exactly one separator.
            prop_assert_eq!(m.human, human.as_str());
        }

        /// Any order of the attributes, any runs of spaces and tabs between them, before the
        /// `]` and around the commas of the record, and unknown attributes: read the same.
        #[test]
        fn whitespace_and_order_variants_parse_equal(
            owner in "[A-Za-z0-9._-]{1,64}",
            key in "[A-Za-z0-9._/-]{1,100}",
            secrets in arb_secrets(),
            extra in prop::collection::btree_map("[a-z][a-z0-9_.-]{0,8}", "[!-+\\--\\\\^-~]{0,12}", 0..3),
            order in any::<u64>(),
            blanks in prop::collection::vec("[ \t]{1,3}", 12),
            lead in "[ \t]{0,2}",
        ) {
            let extra: Vec<(String, String)> = extra
                .into_iter()
                .filter(|(name, _)| !KNOWN.contains(&name.as_str()))
                .collect();
            let names = secrets.names();
            let record = if names.is_empty() {
                NONE.to_owned()
            } else {
                names.join(&format!("{},{}", &blanks[10][1..], &blanks[11][1..]))
            };
            let mut attributes = vec![
                format!("owner={owner}"),
                format!("key={key}"),
                format!("secrets={record}"),
            ];
            attributes.extend(extra.iter().map(|(n, v)| format!("{n}={v}")));
            // A permutation from the seed.
            let mut seed = order;
            for i in (1..attributes.len()).rev() {
                let j = usize::try_from(seed % (i as u64 + 1)).unwrap();
                seed /= i as u64 + 1;
                attributes.swap(i, j);
            }
            let mut written = String::from("Human text [apify-webhooks");
            for (i, a) in attributes.iter().enumerate() {
                written.push_str(&blanks[i]);
                written.push_str(a);
            }
            written.push_str(&lead);
            written.push(']');
            let m = parse(&written);
            prop_assert!(m.is_some(), "{:?}: {:?}", written, read(&written));
            let m = m.unwrap();
            prop_assert_eq!(m.owner, owner.as_str());
            prop_assert_eq!(m.key, key.as_str());
            prop_assert_eq!(m.secrets, Some(secrets));
            prop_assert_eq!(m.human, "Human text");
            let mut unknown: Vec<(String, String)> =
                m.unknown.iter().map(|(n, v)| ((*n).to_owned(), v.clone())).collect();
            unknown.sort();
            let mut expected = extra.clone();
            expected.sort();
            prop_assert_eq!(unknown, expected);
            // Rewritten, it reads back the same, unknown attributes included.
            let again = m.rewrite(Some(m.human), m.owner, m.key, secrets);
            let n = parse(&again).unwrap();
            prop_assert_eq!(n, m);
        }

        /// Whatever follows `[apify-webhooks `, the description is never taken for one without
        /// a marker, and reading it never panics.
        #[test]
        fn anything_that_starts_like_a_marker_is_never_unmanaged(
            human in "\\PC{0,20}",
            rest in "\\PC{0,60}",
            blank in "[ \t\\]]",
        ) {
            let d = format!("{human}[apify-webhooks{blank}{rest}");
            prop_assert_ne!(read(&d), Reading::None);
        }
    }
}
