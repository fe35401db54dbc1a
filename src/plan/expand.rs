//! Expansion of patterns: a webhook declared under `acme/*` becomes one webhook per Actor (or
//! task) of the account that the pattern matches and no `exclude` leaves out. Pure, like the
//! plan it feeds: the same patterns and targets always give the same matches, in the same order.
//!
//! A pattern matches the account's own Actors and tasks only ([`LiveTarget::own`]): a public
//! Actor of another user is declared by name, never picked up by a pattern.

use serde::{Deserialize, Serialize};

use super::Target;
use crate::webhook::{TargetKind, pattern_matches};

/// An Actor or task of the account, as its list endpoint gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveTarget {
    /// Actor or task.
    pub kind: TargetKind,
    /// The platform ID.
    pub id: String,
    /// `username/name`.
    pub name: String,
    /// Whether the token's user owns it (patterns match only these).
    pub own: bool,
}

/// One declared pattern: the key of its webhook, and what it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternRule {
    /// The webhook's key.
    pub key: String,
    /// Actors or tasks.
    pub kind: TargetKind,
    /// The pattern as written (`~` reads as `/`).
    pub pattern: String,
    /// Names, IDs and patterns left out.
    pub exclude: Vec<String>,
}

/// What one pattern matched: the targets it expands to, and those an `exclude` left out. Saved
/// plans record it, so `apply --plan` can tell when the account's Actors changed what a pattern
/// matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatternMatch {
    /// The webhook's key.
    pub key: String,
    /// Actors or tasks.
    pub kind: TargetKind,
    /// The pattern as written.
    pub pattern: String,
    /// The targets that get the webhook, by name (then ID).
    pub matched: Vec<Target>,
    /// The targets the pattern matches that an `exclude` leaves out, by name (then ID).
    pub excluded: Vec<Target>,
}

/// Matches every rule against `targets`: one [`PatternMatch`] per rule, sorted by key (keys are
/// unique), each listing every own target of its kind that the pattern matches exactly once.
pub fn expand(rules: &[PatternRule], targets: &[LiveTarget]) -> Vec<PatternMatch> {
    let mut sorted: Vec<&LiveTarget> = targets.iter().filter(|t| t.own).collect();
    sorted.sort_by(|a, b| (a.kind, &a.name, &a.id).cmp(&(b.kind, &b.name, &b.id)));
    // A target listed twice (a list that shifted between pages) is one target.
    let mut seen = std::collections::HashSet::new();
    sorted.retain(|t| seen.insert((t.kind, t.id.as_str())));
    let mut out: Vec<PatternMatch> = rules
        .iter()
        .map(|rule| {
            let mut matched = Vec::new();
            let mut excluded = Vec::new();
            for t in sorted.iter().filter(|t| t.kind == rule.kind) {
                if !pattern_matches(&rule.pattern, &t.name) {
                    continue;
                }
                let target = Target {
                    kind: t.kind,
                    id: t.id.clone(),
                    name: t.name.clone(),
                };
                if rule.exclude.iter().any(|e| excludes(e, t)) {
                    excluded.push(target);
                } else {
                    matched.push(target);
                }
            }
            PatternMatch {
                key: rule.key.clone(),
                kind: rule.kind,
                pattern: rule.pattern.clone(),
                matched,
                excluded,
            }
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// Whether the `exclude` item `e` (a name, an ID or a pattern) names `t`.
fn excludes(e: &str, t: &LiveTarget) -> bool {
    e == t.id || pattern_matches(e, &t.name)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    fn actor(id: &str, name: &str, own: bool) -> LiveTarget {
        LiveTarget {
            kind: TargetKind::Actor,
            id: id.to_owned(),
            name: name.to_owned(),
            own,
        }
    }

    fn rule(key: &str, pattern: &str, exclude: &[&str]) -> PatternRule {
        PatternRule {
            key: key.to_owned(),
            kind: TargetKind::Actor,
            pattern: pattern.to_owned(),
            exclude: exclude.iter().map(|e| (*e).to_owned()).collect(),
        }
    }

    fn names(ts: &[Target]) -> Vec<&str> {
        ts.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn a_pattern_matches_own_targets_of_its_kind_minus_the_excluded() {
        let targets = [
            actor("A3", "acme/test-b", true),
            actor("A1", "acme/price-monitor", true),
            actor("A2", "acme/playground", true),
            actor("A4", "acme/test-a", true),
            actor("P1", "acme/public-but-not-ours", false),
            actor("A5", "other/x", true),
            LiveTarget {
                kind: TargetKind::Task,
                id: "T1".into(),
                name: "acme/nightly".into(),
                own: true,
            },
        ];
        let got = expand(
            &[rule(
                "oncall",
                "acme/*",
                &["acme/playground", "acme/test-*"],
            )],
            &targets,
        );
        assert_eq!(got.len(), 1);
        assert_eq!(names(&got[0].matched), ["acme/price-monitor"]);
        assert_eq!(
            names(&got[0].excluded),
            ["acme/playground", "acme/test-a", "acme/test-b"]
        );
        // An ID excludes too, and `~` reads as `/`.
        let got = expand(&[rule("k", "acme~test-?", &["A3"])], &targets);
        assert_eq!(names(&got[0].matched), ["acme/test-a"]);
        assert_eq!(names(&got[0].excluded), ["acme/test-b"]);
    }

    #[test]
    fn a_pattern_matching_nothing_is_reported_empty() {
        let got = expand(&[rule("k", "nobody/*", &[])], &[actor("A", "acme/a", true)]);
        assert!(got[0].matched.is_empty() && got[0].excluded.is_empty());
    }

    fn target_strategy() -> impl Strategy<Value = LiveTarget> {
        (
            prop_oneof![Just(TargetKind::Actor), Just(TargetKind::Task)],
            "[A-F]{1,3}",
            prop_oneof![Just("acme"), Just("other")],
            "[ab-]{1,4}",
            any::<bool>(),
        )
            .prop_map(|(kind, id, user, name, own)| LiveTarget {
                kind,
                id,
                name: format!("{user}/{name}"),
                own,
            })
    }

    fn rule_strategy() -> impl Strategy<Value = PatternRule> {
        (
            prop_oneof![Just(TargetKind::Actor), Just(TargetKind::Task)],
            prop_oneof![Just("acme"), Just("*"), Just("ac?e")],
            "[ab*?-]{1,4}",
            prop::collection::vec("(acme|other)/[ab*-]{1,3}|[A-F]{1,2}", 0..3),
        )
            .prop_map(|(kind, user, name, exclude)| PatternRule {
                key: String::new(),
                kind,
                pattern: format!("{user}/{name}"),
                exclude,
            })
    }

    proptest! {
        #[test]
        fn every_match_once_excludes_honoured_deterministic_own_only(
            mut targets in prop::collection::vec(target_strategy(), 0..30),
            mut rules in prop::collection::vec(rule_strategy(), 1..5),
        ) {
            // IDs are unique on the platform.
            let mut ids = HashSet::new();
            targets.retain(|t| ids.insert((t.kind, t.id.clone())));
            for (i, r) in rules.iter_mut().enumerate() {
                r.key = format!("k{i}");
            }
            let got = expand(&rules, &targets);
            prop_assert_eq!(&got, &expand(&rules, &targets));
            // The same targets in another order give the same answer.
            let mut reversed = targets.clone();
            reversed.reverse();
            prop_assert_eq!(&got, &expand(&rules, &reversed));
            prop_assert_eq!(got.len(), rules.len());
            for (m, r) in got.iter().zip(&rules) {
                prop_assert_eq!(&m.key, &r.key);
                let mut seen = HashSet::new();
                for t in m.matched.iter().chain(&m.excluded) {
                    prop_assert!(seen.insert((t.kind, t.id.clone())), "{} listed twice", t.id);
                }
                // Exactly the own targets of the kind that match, each on one side.
                let expected: HashSet<(TargetKind, String)> = targets
                    .iter()
                    .filter(|t| t.own && t.kind == r.kind && pattern_matches(&r.pattern, &t.name))
                    .map(|t| (t.kind, t.id.clone()))
                    .collect();
                prop_assert_eq!(&seen, &expected);
                for t in &m.matched {
                    let live = targets.iter().find(|l| l.kind == t.kind && l.id == t.id).unwrap();
                    prop_assert!(!r.exclude.iter().any(|e| excludes(e, live)));
                    prop_assert!(targets.iter().any(|l| l.id == t.id && l.kind == t.kind && l.own));
                }
                for t in &m.excluded {
                    let live = targets.iter().find(|l| l.kind == t.kind && l.id == t.id).unwrap();
                    prop_assert!(r.exclude.iter().any(|e| excludes(e, live)));
                }
                let sorted = |ts: &[Target]| ts.windows(2).all(|w| (&w[0].name, &w[0].id) <= (&w[1].name, &w[1].id));
                prop_assert!(sorted(&m.matched) && sorted(&m.excluded));
            }
        }
    }
}
