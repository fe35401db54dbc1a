//! The webhook vocabulary shared by every layer: event types, the kind of target a webhook is
//! attached to, and the constants of the platform that both the manifest checks and the emulator
//! enforce. It imports nothing else from the crate.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An event that fires a webhook. The eleven declarable types of the Apify platform; the
/// platform's `TEST` type is used by test dispatches only and is not declarable.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub enum EventType {
    /// A new Actor run has been created.
    #[serde(rename = "ACTOR.RUN.CREATED")]
    RunCreated,
    /// An Actor run finished with status `SUCCEEDED`.
    #[serde(rename = "ACTOR.RUN.SUCCEEDED")]
    RunSucceeded,
    /// An Actor run finished with status `FAILED`.
    #[serde(rename = "ACTOR.RUN.FAILED")]
    RunFailed,
    /// An Actor run finished with status `ABORTED`.
    #[serde(rename = "ACTOR.RUN.ABORTED")]
    RunAborted,
    /// An Actor run finished with status `TIMED-OUT`.
    #[serde(rename = "ACTOR.RUN.TIMED_OUT")]
    RunTimedOut,
    /// An Actor run has been resurrected.
    #[serde(rename = "ACTOR.RUN.RESURRECTED")]
    RunResurrected,
    /// A new Actor build has been created. Actors only: builds belong to Actors, not tasks.
    #[serde(rename = "ACTOR.BUILD.CREATED")]
    BuildCreated,
    /// An Actor build finished with status `SUCCEEDED`. Actors only.
    #[serde(rename = "ACTOR.BUILD.SUCCEEDED")]
    BuildSucceeded,
    /// An Actor build finished with status `FAILED`. Actors only.
    #[serde(rename = "ACTOR.BUILD.FAILED")]
    BuildFailed,
    /// An Actor build finished with status `ABORTED`. Actors only.
    #[serde(rename = "ACTOR.BUILD.ABORTED")]
    BuildAborted,
    /// An Actor build finished with status `TIMED-OUT`. Actors only.
    #[serde(rename = "ACTOR.BUILD.TIMED_OUT")]
    BuildTimedOut,
}

impl EventType {
    /// Every declarable event type, in the platform's documented order.
    pub const ALL: [EventType; 11] = [
        EventType::RunCreated,
        EventType::RunSucceeded,
        EventType::RunFailed,
        EventType::RunAborted,
        EventType::RunTimedOut,
        EventType::RunResurrected,
        EventType::BuildCreated,
        EventType::BuildSucceeded,
        EventType::BuildFailed,
        EventType::BuildAborted,
        EventType::BuildTimedOut,
    ];

    /// The name the API uses, e.g. `ACTOR.RUN.FAILED`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::RunCreated => "ACTOR.RUN.CREATED",
            EventType::RunSucceeded => "ACTOR.RUN.SUCCEEDED",
            EventType::RunFailed => "ACTOR.RUN.FAILED",
            EventType::RunAborted => "ACTOR.RUN.ABORTED",
            EventType::RunTimedOut => "ACTOR.RUN.TIMED_OUT",
            EventType::RunResurrected => "ACTOR.RUN.RESURRECTED",
            EventType::BuildCreated => "ACTOR.BUILD.CREATED",
            EventType::BuildSucceeded => "ACTOR.BUILD.SUCCEEDED",
            EventType::BuildFailed => "ACTOR.BUILD.FAILED",
            EventType::BuildAborted => "ACTOR.BUILD.ABORTED",
            EventType::BuildTimedOut => "ACTOR.BUILD.TIMED_OUT",
        }
    }

    /// Whether this is an `ACTOR.BUILD.*` event, which only an Actor (not a task) can have.
    pub fn is_build(self) -> bool {
        matches!(
            self,
            EventType::BuildCreated
                | EventType::BuildSucceeded
                | EventType::BuildFailed
                | EventType::BuildAborted
                | EventType::BuildTimedOut
        )
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventType::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or(())
    }
}

/// What a webhook is attached to: every run (and build) of an Actor, or every run of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// An Actor (`condition.actorId`).
    Actor,
    /// An Actor task (`condition.actorTaskId`).
    Task,
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TargetKind::Actor => "actor",
            TargetKind::Task => "task",
        })
    }
}

/// The maximum number of webhooks one user may have (`too-many-webhooks` beyond it).
pub const MAX_WEBHOOKS_PER_USER: usize = 100;

/// Variables a payload or headers template may use (the first segment of `{{a.b.c}}`).
pub const TEMPLATE_VARIABLES: [&str; 6] = [
    "userId",
    "createdAt",
    "eventType",
    "eventData",
    "resource",
    "globals",
];

/// Headers the platform always rewrites to its own values; declaring them is an error.
pub const REWRITTEN_HEADERS: [&str; 5] = [
    "Host",
    "Content-Type",
    "X-Apify-Webhook",
    "X-Apify-Webhook-Dispatch-Id",
    "X-Apify-Request-Origin",
];

/// Whether `name` is one of [`REWRITTEN_HEADERS`] (header names are case-insensitive).
pub fn is_rewritten_header(name: &str) -> bool {
    REWRITTEN_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name.trim()))
}

/// Whether an Actor or task reference is a pattern: it has `*` or `?`.
pub fn is_pattern(reference: &str) -> bool {
    reference.contains(['*', '?'])
}

/// Whether `name` (`username/name`) matches `pattern`, where `*` is any run of characters but
/// `/` and `?` is one character but `/`; `~` in the pattern reads as `/`. Other characters
/// match themselves, case-sensitively (the platform's names are case-sensitive).
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let p = pattern.as_bytes();
    let n = name.as_bytes();
    let at = |i: usize| if p[i] == b'~' { b'/' } else { p[i] };
    // Iterative glob matching with one backtrack point, the last `*`: since a `*` never crosses
    // `/`, a `/` it cannot take ends the match. No allocation, linear in practice: a plan
    // matches every pattern against every Actor and task of the account.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && at(pi) == b'*' {
            star = Some((pi, ni));
            pi += 1;
        } else if pi < p.len() && ((at(pi) == b'?' && n[ni] != b'/') || at(pi) == n[ni]) {
            pi += 1;
            ni += 1;
        } else {
            match star {
                Some((sp, sn)) if n[sn] != b'/' => {
                    star = Some((sp, sn + 1));
                    pi = sp + 1;
                    ni = sn + 1;
                }
                _ => return false,
            }
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_type_names_round_trip_through_serde_and_from_str() {
        for e in EventType::ALL {
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(json, format!("\"{}\"", e.as_str()));
            assert_eq!(e.as_str().parse::<EventType>(), Ok(e));
        }
        assert!("TEST".parse::<EventType>().is_err());
    }

    #[test]
    fn only_build_events_are_build_events() {
        let builds: Vec<_> = EventType::ALL
            .into_iter()
            .filter(|e| e.is_build())
            .collect();
        assert_eq!(builds.len(), 5);
        assert!(
            builds
                .iter()
                .all(|e| e.as_str().starts_with("ACTOR.BUILD."))
        );
    }

    #[test]
    fn rewritten_headers_match_case_insensitively() {
        assert!(is_rewritten_header("content-type"));
        assert!(is_rewritten_header("HOST"));
        assert!(!is_rewritten_header("Authorization"));
    }

    /// The definition, recursively: the reference the fast matcher is checked against.
    fn reference_match(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len())
                .take_while(|&i| i == 0 || n[i - 1] != '/')
                .any(|i| reference_match(rest, &n[i..])),
            Some(('?', rest)) => {
                n.first().is_some_and(|&c| c != '/') && reference_match(rest, &n[1..])
            }
            Some((&c, rest)) => n.first() == Some(&c) && reference_match(rest, &n[1..]),
        }
    }

    #[test]
    fn patterns_match_within_a_name_part() {
        assert!(pattern_matches("acme/*", "acme/price-monitor"));
        assert!(pattern_matches("acme~*", "acme/price-monitor"));
        assert!(pattern_matches("acme/test-*", "acme/test-"));
        assert!(pattern_matches("*/nightly-?", "jane/nightly-1"));
        assert!(!pattern_matches("acme/*", "acme2/x"));
        assert!(!pattern_matches("acme*", "acme/x"), "`*` never crosses `/`");
        assert!(!pattern_matches("acme/?", "acme/xy"));
        assert!(!pattern_matches("Acme/*", "acme/x"));
        assert!(is_pattern("acme/*") && is_pattern("acme/a?") && !is_pattern("acme/a"));
    }

    proptest::proptest! {
        #[test]
        fn the_matcher_agrees_with_the_definition(
            pattern in "[ab/*?]{0,8}",
            name in "[ab/]{0,8}",
        ) {
            let p: Vec<char> = pattern.chars().collect();
            let n: Vec<char> = name.chars().collect();
            proptest::prop_assert_eq!(pattern_matches(&pattern, &name), reference_match(&p, &n));
        }
    }
}
