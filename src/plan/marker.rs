//! The ownership marker: `[apify-webhooks owner=<owner> key=<key>]` at the end of a webhook's
//! description, after the manifest's own description and one space. Written and parsed here
//! only.
//!
//! Parsing takes the *last* well-formed marker in the description, so a human description that
//! itself contains brackets or a look-alike marker cannot take the webhook over. Text after that
//! last marker means someone edited the description outside the tool: the webhook is still
//! recognised (so it is not duplicated), and the edit is reported as drift and reverted.

const PREFIX: &str = "[apify-webhooks owner=";

/// A parsed marker and the human description around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker<'a> {
    /// The owner named in the marker.
    pub owner: &'a str,
    /// The key named in the marker.
    pub key: &'a str,
    /// The description before the marker, without the separating space.
    pub human: &'a str,
    /// Text after the marker (empty unless edited outside the tool).
    pub trailing: &'a str,
}

/// The description the tool writes: the human text, one space, the marker.
pub fn compose(human: Option<&str>, owner: &str, key: &str) -> String {
    match human.filter(|h| !h.is_empty()) {
        Some(h) => format!("{h} {PREFIX}{owner} key={key}]"),
        None => format!("{PREFIX}{owner} key={key}]"),
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
    let key = &rest[..close];
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

    #[test]
    fn composes_after_one_space_or_alone() {
        assert_eq!(
            compose(Some("Page on-call"), "prod", "a/b"),
            "Page on-call [apify-webhooks owner=prod key=a/b]"
        );
        assert_eq!(
            compose(None, "prod", "k"),
            "[apify-webhooks owner=prod key=k]"
        );
        assert_eq!(
            compose(Some(""), "prod", "k"),
            "[apify-webhooks owner=prod key=k]"
        );
    }

    #[test]
    fn parses_what_it_composes() {
        let d = compose(Some("Notify [team] about runs"), "acme-prod", "x.y/z");
        assert_eq!(
            parse(&d),
            Some(Marker {
                owner: "acme-prod",
                key: "x.y/z",
                human: "Notify [team] about runs",
                trailing: ""
            })
        );
    }

    #[test]
    fn only_the_last_marker_counts() {
        let human = "copied from [apify-webhooks owner=other key=theirs] by hand";
        let d = compose(Some(human), "mine", "k");
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
    fn text_after_the_marker_is_reported_as_trailing() {
        let m = parse("Alerts [apify-webhooks owner=o key=k] edited in Console").unwrap();
        assert_eq!((m.human, m.trailing), ("Alerts", " edited in Console"));
    }

    proptest! {
        #[test]
        fn any_human_description_round_trips(
            human in "[ -~\\[\\]]{0,80}",
            owner in "[A-Za-z0-9._-]{1,64}",
            key in "[A-Za-z0-9._/-]{1,100}",
        ) {
            let composed = compose(Some(&human), &owner, &key);
            let m = parse(&composed).unwrap();
            prop_assert_eq!(m.owner, owner.as_str());
            prop_assert_eq!(m.key, key.as_str());
            prop_assert_eq!(m.trailing, "");
            // A human text ending in a space keeps it: compose adds exactly one separator.
            prop_assert_eq!(m.human, human.as_str());
        }
    }
}
