//! Which `{{placeholders}}` cannot resolve for a webhook's events: a property of the event data
//! or of the resource that none of its event types has. The platform accepts them (it checks
//! only the variable's first segment) and sends `null`, so these are warnings for `validate`.

use super::fields::{BUILD_FIELDS, BUILD_NESTED, RUN_FIELDS, RUN_NESTED};
use crate::diagnostic::did_you_mean;
use crate::webhook::{EventType, TargetKind};

/// The event data properties of run events.
pub const RUN_EVENT_DATA: [&str; 3] = ["actorId", "actorTaskId", "actorRunId"];
/// The event data properties of build events.
pub const BUILD_EVENT_DATA: [&str; 2] = ["actorId", "actorBuildId"];
/// The properties of `globals`.
pub const GLOBALS: [&str; 2] = ["dateISO", "dateUnix"];

/// The two kinds of events: about runs or about builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `ACTOR.RUN.*`: the resource is a run.
    Run,
    /// `ACTOR.BUILD.*`: the resource is a build.
    Build,
}

impl Family {
    /// The family of an event type.
    pub fn of(event_type: EventType) -> Self {
        if event_type.is_build() {
            Family::Build
        } else {
            Family::Run
        }
    }

    /// `run` or `build`.
    pub fn noun(self) -> &'static str {
        match self {
            Family::Run => "run",
            Family::Build => "build",
        }
    }

    fn event_data(self) -> &'static [&'static str] {
        match self {
            Family::Run => &RUN_EVENT_DATA,
            Family::Build => &BUILD_EVENT_DATA,
        }
    }

    fn fields(self) -> &'static [&'static str] {
        match self {
            Family::Run => RUN_FIELDS,
            Family::Build => BUILD_FIELDS,
        }
    }

    fn nested(self, field: &str) -> Option<&'static [&'static str]> {
        let table = match self {
            Family::Run => RUN_NESTED,
            Family::Build => BUILD_NESTED,
        };
        table.iter().find(|(f, _)| *f == field).map(|(_, n)| *n)
    }

    fn other(self) -> Self {
        match self {
            Family::Run => Family::Build,
            Family::Build => Family::Run,
        }
    }
}

/// Why a placeholder does not resolve for a webhook's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    /// `eventData.actorTaskId` or `resource.actorTaskId` on an Actor webhook: set only for runs
    /// that a task started.
    TaskOnly {
        /// `eventData` or `resource`.
        variable: &'static str,
    },
    /// A property that only the other family of events has (`eventData.actorBuildId` on a
    /// webhook of run events only).
    OtherFamily {
        /// `eventData` or `resource`.
        variable: &'static str,
        /// The property.
        property: String,
        /// The family that has it; the webhook fires on the other one only.
        has_it: Family,
    },
    /// A property that no event has: probably misspelt.
    Unknown {
        /// Where the property was looked up: `eventData`, `resource`, `resource.stats`,
        /// `globals`...
        within: String,
        /// The property as written.
        property: String,
        /// The families the webhook fires on (for the wording: "runs have no ...").
        families: Vec<Family>,
        /// The closest property that exists, if one is close.
        suggestion: Option<&'static str>,
    },
}

/// Whether `{{name}}` can resolve for at least one of `events` on a webhook of `target`;
/// `None` when it can (or when its variable is not one whose properties are known).
pub fn unresolved(name: &str, events: &[EventType], target: TargetKind) -> Option<Unresolved> {
    let mut families: Vec<Family> = events.iter().map(|e| Family::of(*e)).collect();
    families.sort_by_key(|f| *f == Family::Build);
    families.dedup();
    if families.is_empty() {
        return None;
    }
    let mut segments = name.split('.');
    let variable = segments.next()?;
    let property = segments.next()?;
    let has_runs = families.contains(&Family::Run);
    match variable {
        "eventData" | "resource" => {
            let variable: &'static str = if variable == "eventData" {
                "eventData"
            } else {
                "resource"
            };
            let list = |f: Family| {
                if variable == "eventData" {
                    f.event_data()
                } else {
                    f.fields()
                }
            };
            if property == "actorTaskId" && has_runs && target == TargetKind::Actor {
                return Some(Unresolved::TaskOnly { variable });
            }
            if families.iter().any(|f| list(*f).contains(&property)) {
                if variable == "resource" {
                    return nested(property, segments.next(), &families);
                }
                return None;
            }
            if families.len() == 1 && list(families[0].other()).contains(&property) {
                return Some(Unresolved::OtherFamily {
                    variable,
                    property: property.to_owned(),
                    has_it: families[0].other(),
                });
            }
            let candidates: Vec<&'static str> = families
                .iter()
                .flat_map(|f| list(*f).iter().copied())
                .collect();
            Some(Unresolved::Unknown {
                within: variable.to_owned(),
                property: property.to_owned(),
                suggestion: did_you_mean(property, &candidates),
                families,
            })
        }
        "globals" if !GLOBALS.contains(&property) => Some(Unresolved::Unknown {
            within: "globals".to_owned(),
            property: property.to_owned(),
            suggestion: did_you_mean(property, &GLOBALS),
            families,
        }),
        _ => None,
    }
}

/// `resource.<field>.<property>` where `field` has a fixed set of properties (`meta`, `stats`,
/// `options`).
fn nested(field: &str, property: Option<&str>, families: &[Family]) -> Option<Unresolved> {
    let property = property?;
    let lists: Vec<&'static [&'static str]> =
        families.iter().filter_map(|f| f.nested(field)).collect();
    if lists.is_empty() || lists.iter().any(|l| l.contains(&property)) {
        return None;
    }
    let candidates: Vec<&'static str> = lists.iter().flat_map(|l| l.iter().copied()).collect();
    Some(Unresolved::Unknown {
        within: format!("resource.{field}"),
        property: property.to_owned(),
        suggestion: did_you_mean(property, &candidates),
        families: families.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventType::{BuildFailed, BuildSucceeded, RunFailed, RunSucceeded};
    use TargetKind::{Actor, Task};

    #[test]
    fn event_data_of_the_other_family_is_reported() {
        assert_eq!(
            unresolved("eventData.actorBuildId", &[RunFailed, RunSucceeded], Actor),
            Some(Unresolved::OtherFamily {
                variable: "eventData",
                property: "actorBuildId".into(),
                has_it: Family::Build
            })
        );
        assert_eq!(
            unresolved("eventData.actorRunId", &[BuildFailed], Actor),
            Some(Unresolved::OtherFamily {
                variable: "eventData",
                property: "actorRunId".into(),
                has_it: Family::Run
            })
        );
        assert_eq!(
            unresolved("resource.defaultDatasetId", &[BuildFailed], Actor),
            Some(Unresolved::OtherFamily {
                variable: "resource",
                property: "defaultDatasetId".into(),
                has_it: Family::Run
            })
        );
        // Either family resolves it: fine.
        assert_eq!(
            unresolved("eventData.actorBuildId", &[RunFailed, BuildFailed], Actor),
            None
        );
        assert_eq!(
            unresolved("eventData.actorRunId", &[RunFailed], Actor),
            None
        );
        assert_eq!(
            unresolved("resource.buildNumber", &[BuildSucceeded], Actor),
            None
        );
    }

    #[test]
    fn the_task_id_is_certain_only_on_task_webhooks() {
        assert_eq!(
            unresolved("eventData.actorTaskId", &[RunFailed], Actor),
            Some(Unresolved::TaskOnly {
                variable: "eventData"
            })
        );
        assert_eq!(
            unresolved("resource.actorTaskId", &[RunFailed], Actor),
            Some(Unresolved::TaskOnly {
                variable: "resource"
            })
        );
        assert_eq!(
            unresolved("eventData.actorTaskId", &[RunFailed], Task),
            None
        );
        assert_eq!(unresolved("resource.actorTaskId", &[RunFailed], Task), None);
    }

    #[test]
    fn misspelt_properties_get_a_suggestion() {
        assert_eq!(
            unresolved("resource.defaultDatsetId", &[RunFailed], Task),
            Some(Unresolved::Unknown {
                within: "resource".into(),
                property: "defaultDatsetId".into(),
                families: vec![Family::Run],
                suggestion: Some("defaultDatasetId"),
            })
        );
        assert_eq!(
            unresolved("resource.stats.durationMilis", &[BuildFailed], Actor),
            Some(Unresolved::Unknown {
                within: "resource.stats".into(),
                property: "durationMilis".into(),
                families: vec![Family::Build],
                suggestion: Some("durationMillis"),
            })
        );
        assert!(matches!(
            unresolved("eventData.runId", &[RunFailed], Actor),
            Some(Unresolved::Unknown {
                suggestion: None,
                ..
            })
        ));
        assert!(matches!(
            unresolved("globals.dateIso", &[RunFailed], Actor),
            Some(Unresolved::Unknown {
                suggestion: Some("dateISO"),
                ..
            })
        ));
    }

    #[test]
    fn whole_variables_and_unchecked_depths_are_fine() {
        for name in [
            "resource",
            "eventData",
            "userId",
            "globals.dateUnix",
            "resource.storageIds.datasets.default",
            "resource.usage.ANYTHING",
            "resource.stats.durationMillis",
        ] {
            assert_eq!(unresolved(name, &[RunFailed], Task), None, "{name}");
        }
    }
}
