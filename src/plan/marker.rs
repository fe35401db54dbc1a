//! The ownership marker: `[apify-webhooks owner=<owner> key=<key> secrets=<fields>]` at the end
//! of a webhook's description, after the manifest's own description and one space. Written and
//! parsed here only.
//!
//! `secrets=` records which fields of the webhook hold a value that came from `${NAME}`: a
//! comma-separated list of `requestUrl`, `payloadTemplate` and `headersTemplate` (in that order
//! when written), or `none`. The tool writes the record on every create and update and reads it
//! back on every plan, so it knows from the live webhook alone which *live* values must never be
//! printed, even once the manifests stop referencing the variable. A marker without a record
//! (written by a version before the record existed) is still a well-formed marker: its record is
//! unknown, and the plan then masks the live values conservatively (see
//! [`SecretFields::UNKNOWN`]). Any other token, an unknown field name or a repeated one makes the
//! text not a marker, as any other malformed look-alike.
//!
//! Parsing takes the *last* well-formed marker in the description, so a human description that
//! itself contains brackets or a look-alike marker cannot take the webhook over. Text after that
//! last marker means someone edited the description outside the tool: the webhook is still
//! recognised (so it is not duplicated), and the edit is reported as drift and reverted.

const PREFIX: &str = "[apify-webhooks owner=";

/// The token that introduces the record of secret fields.
const RECORD: &str = "secrets=";

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

    /// Reads a record; `None` unless it is `none` or distinct known field names.
    fn parse_record(s: &str) -> Option<SecretFields> {
        let mut out = SecretFields::default();
        if s == NONE {
            return Some(out);
        }
        for name in s.split(',') {
            let slot = match name {
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

/// A parsed marker and the human description around it.
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
    /// Text after the marker (empty unless edited outside the tool).
    pub trailing: &'a str,
}

/// The description the tool writes: the human text, one space, the marker with its record.
pub fn compose(human: Option<&str>, owner: &str, key: &str, secrets: SecretFields) -> String {
    let marker = format!("{PREFIX}{owner} key={key} {RECORD}{}]", secrets.record());
    match human.filter(|h| !h.is_empty()) {
        Some(h) => format!("{h} {marker}"),
        None => marker,
    }
}

/// The last well-formed marker in `description`, if any.
pub fn parse(description: &str) -> Option<Marker<'_>> {
    let mut search_end = description.len();
    while let Some(start) = description[..search_end].rfind(PREFIX) {
        if let Some(marker) = parse_at(description, start) {
            return Some(marker);
        }
        search_end = start;
    }
    None
}

fn parse_at(description: &str, start: usize) -> Option<Marker<'_>> {
    let rest = &description[start + PREFIX.len()..];
    let (owner, rest) = rest.split_once(" key=")?;
    let close = rest.find(']')?;
    let (key, secrets) = match rest[..close].split_once(' ') {
        None => (&rest[..close], None),
        Some((key, record)) => (
            key,
            Some(SecretFields::parse_record(record.strip_prefix(RECORD)?)?),
        ),
    };
    if !is_owner(owner) || !is_key(key) {
        return None;
    }
    let end = start + PREFIX.len() + owner.len() + " key=".len() + close + 1;
    let human = description[..start]
        .strip_suffix(' ')
        .unwrap_or(&description[..start]);
    Some(Marker {
        owner,
        key,
        secrets,
        human,
        trailing: &description[end..],
    })
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
                trailing: ""
            })
        );
    }

    #[test]
    fn a_marker_without_a_record_is_owned_with_the_record_unknown() {
        let m = parse("Alerts [apify-webhooks owner=o key=k]").unwrap();
        assert_eq!(
            (m.owner, m.key, m.human, m.trailing),
            ("o", "k", "Alerts", "")
        );
        assert_eq!(m.secrets, None);
    }

    #[test]
    fn only_the_last_marker_counts() {
        let human = "copied from [apify-webhooks owner=other key=theirs secrets=none] by hand";
        let d = compose(Some(human), "mine", "k", NO);
        let m = parse(&d).unwrap();
        assert_eq!((m.owner, m.key, m.human), ("mine", "k", human));
    }

    #[test]
    fn malformed_look_alikes_are_not_markers() {
        assert_eq!(parse("[apify-webhooks owner=a b key=k]"), None);
        assert_eq!(parse("[apify-webhooks owner=a key=]"), None);
        assert_eq!(parse("[apify-webhooks owner=a key=k"), None);
        assert_eq!(parse("plain text"), None);
        // A broken marker after a good one does not hide the good one.
        let m = parse("[apify-webhooks owner=a key=k] [apify-webhooks owner=b key=").unwrap();
        assert_eq!((m.owner, m.key), ("a", "k"));
        assert_eq!(m.trailing, " [apify-webhooks owner=b key=");
    }

    #[test]
    fn a_malformed_record_is_not_a_marker() {
        for bad in [
            "[apify-webhooks owner=a key=k secrets=]",
            "[apify-webhooks owner=a key=k secrets=password]",
            "[apify-webhooks owner=a key=k secrets=requestUrl,requestUrl]",
            "[apify-webhooks owner=a key=k secrets=requestUrl,]",
            "[apify-webhooks owner=a key=k secrets=none,requestUrl]",
            "[apify-webhooks owner=a key=k secrets=None]",
            "[apify-webhooks owner=a key=k secrets=requestUrl extra]",
            "[apify-webhooks owner=a key=k secret=none]",
            "[apify-webhooks owner=a key=k  secrets=none]",
            "[apify-webhooks owner=a key=k secrets=none ]",
            "[apify-webhooks owner=a key=k other=1]",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn text_after_the_marker_is_reported_as_trailing() {
        let m = parse("Alerts [apify-webhooks owner=o key=k] edited in Console").unwrap();
        assert_eq!((m.human, m.trailing), ("Alerts", " edited in Console"));
        let m = parse("Alerts [apify-webhooks owner=o key=k secrets=none] edited").unwrap();
        assert_eq!((m.human, m.trailing), ("Alerts", " edited"));
        assert_eq!(m.secrets, Some(NO));
    }

    proptest! {
        #[test]
        fn any_human_description_round_trips(
            human in "[ -~\\[\\]]{0,80}",
            owner in "[A-Za-z0-9._-]{1,64}",
            key in "[A-Za-z0-9._/-]{1,100}",
            (request_url, payload_template, headers_template) in any::<(bool, bool, bool)>(),
        ) {
            let secrets = SecretFields { request_url, payload_template, headers_template };
            let composed = compose(Some(&human), &owner, &key, secrets);
            let m = parse(&composed).unwrap();
            prop_assert_eq!(m.owner, owner.as_str());
            prop_assert_eq!(m.key, key.as_str());
            prop_assert_eq!(m.secrets, Some(secrets));
            prop_assert_eq!(m.trailing, "");
            // A human text ending in a space keeps it: compose adds exactly one separator.
            prop_assert_eq!(m.human, human.as_str());
        }
    }
}
