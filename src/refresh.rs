//! Reads the live state a plan needs, through the [`Platform`] trait: resolves every declared
//! Actor and task to its ID, lists the account's webhooks, and fetches in full only the
//! candidates the plan may touch (owned ones, adopted ones, and list items too short to
//! classify). Independent reads run concurrently, so an account at the 100-webhook cap takes a
//! few round trips, not a hundred.

use std::collections::{HashMap, HashSet};

use futures_util::stream::{self, StreamExt, TryStreamExt};

use crate::diagnostic::Diagnostic;
use crate::manifest::{ResolvedWebhook, TargetRef};
use crate::plan::{self, Class, DesiredSpec, LiveState, Secretish, Target};
use crate::platform::{Platform, PlatformError, Webhook};
use crate::webhook::TargetKind;

/// How many reads are in flight at once. Reads of different webhooks are different resources
/// for the platform's 60 requests per second per resource limit.
pub const READ_CONCURRENCY: usize = 32;

/// Why the live state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Declared Actors or tasks do not exist (or the token cannot see them).
    #[error("{} declared Actor(s) or task(s) were not found", .0.len())]
    UnknownTargets(Vec<Diagnostic>),
    /// The platform failed.
    #[error(transparent)]
    Platform(#[from] PlatformError),
}

/// Resolves every distinct declared target with one lookup each, concurrently.
pub async fn resolve_targets<P: Platform>(
    platform: &P,
    declared: &[ResolvedWebhook<'_>],
) -> Result<HashMap<(TargetKind, String), Target>, RefreshError> {
    let mut distinct: Vec<&TargetRef> = Vec::new();
    let mut seen = HashSet::new();
    for w in declared {
        let t = &w.desired.target;
        if seen.insert((t.kind, t.api_reference())) {
            distinct.push(t);
        }
    }
    let found: Vec<(&TargetRef, Option<String>)> = stream::iter(distinct)
        .map(|t| async move {
            let reference = t.api_reference();
            let id = match t.kind {
                TargetKind::Actor => platform.get_actor(&reference).await?.map(|a| a.id),
                TargetKind::Task => platform.get_task(&reference).await?.map(|t| t.id),
            };
            Ok::<_, PlatformError>((t, id))
        })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    let mut targets = HashMap::new();
    let mut missing: Vec<&TargetRef> = Vec::new();
    for (t, id) in found {
        match id {
            Some(id) => {
                targets.insert(
                    (t.kind, t.api_reference()),
                    Target {
                        kind: t.kind,
                        id,
                        name: t.reference.clone(),
                    },
                );
            }
            None => missing.push(t),
        }
    }
    let visible = if missing.is_empty() {
        VisibleNames::default()
    } else {
        VisibleNames::read(platform, &missing).await
    };
    let mut unknown: Vec<Diagnostic> = missing
        .into_iter()
        .map(|t| {
            let what = match t.kind {
                TargetKind::Actor => "Actor",
                TargetKind::Task => "task",
            };
            let d = Diagnostic::error(format!("{what} `{}` was not found", t.reference)).at(
                &t.label.source,
                t.label.span,
                "not found on the platform",
            );
            match visible.closest(t) {
                Some(name) => d.help(format!("did you mean `{name}`?")),
                None => d.help(format!(
                    "check the name, and that the API token can see this {what}"
                )),
            }
        })
        .collect();
    if unknown.is_empty() {
        Ok(targets)
    } else {
        unknown.sort_by(|a, b| {
            let key = |d: &Diagnostic| {
                d.primary
                    .as_ref()
                    .map(|l| (l.source.path().to_owned(), l.span))
            };
            key(a).cmp(&key(b))
        });
        Err(RefreshError::UnknownTargets(unknown))
    }
}

/// The `username/name` of the Actors and tasks the token can see, read only when a declared one
/// is missing, for "did you mean". A failure to list them only loses the suggestion.
#[derive(Debug, Default)]
struct VisibleNames {
    actors: Vec<String>,
    tasks: Vec<String>,
}

impl VisibleNames {
    async fn read<P: Platform>(platform: &P, missing: &[&TargetRef]) -> Self {
        let wants = |kind| missing.iter().any(|t| t.kind == kind);
        let (actors, tasks) = futures_util::join!(
            names(wants(TargetKind::Actor), platform.list_actors(), |a| {
                full_name(a.username.as_deref(), a.name.as_deref())
            }),
            names(wants(TargetKind::Task), platform.list_tasks(), |t| {
                full_name(t.username.as_deref(), t.name.as_deref())
            }),
        );
        VisibleNames { actors, tasks }
    }

    /// The visible name closest to `t`'s reference (`~` read as `/`), if one is close.
    fn closest(&self, t: &TargetRef) -> Option<String> {
        let names = match t.kind {
            TargetKind::Actor => &self.actors,
            TargetKind::Task => &self.tasks,
        };
        let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
        let wanted = t.reference.replace('~', "/");
        crate::diagnostic::did_you_mean(&wanted, &candidates)
            .filter(|name| *name != wanted)
            .map(str::to_owned)
    }
}

/// The `username/name` of the Actor or task `id`; `None` when it does not exist or has no name.
pub async fn target_name<P: Platform>(
    platform: &P,
    kind: TargetKind,
    id: &str,
) -> Result<Option<String>, PlatformError> {
    Ok(match kind {
        TargetKind::Actor => platform
            .get_actor(id)
            .await?
            .and_then(|a| full_name(a.username.as_deref(), a.name.as_deref())),
        TargetKind::Task => platform
            .get_task(id)
            .await?
            .and_then(|t| full_name(t.username.as_deref(), t.name.as_deref())),
    })
}

/// The names of what `list` returns, when `wanted`; none when not, or when listing fails.
async fn names<T>(
    wanted: bool,
    list: impl Future<Output = Result<Vec<T>, PlatformError>>,
    name: impl Fn(&T) -> Option<String>,
) -> Vec<String> {
    if !wanted {
        return Vec::new();
    }
    list.await
        .map(|all| all.iter().filter_map(name).collect())
        .unwrap_or_default()
}

fn full_name(username: Option<&str>, name: Option<&str>) -> Option<String> {
    Some(format!("{}/{}", username?, name?))
}

/// The declared webhooks as the plan wants them, with targets resolved.
pub fn desired_specs(
    declared: &[ResolvedWebhook<'_>],
    targets: &HashMap<(TargetKind, String), Target>,
) -> Vec<DesiredSpec> {
    declared
        .iter()
        .filter_map(|r| {
            let d = r.desired;
            let target = targets
                .get(&(d.target.kind, d.target.api_reference()))?
                .clone();
            let secret = |v: &crate::manifest::Resolved| Secretish {
                value: v.value.clone(),
                from_env: v.from_env,
            };
            Some(DesiredSpec {
                key: d.key.clone(),
                target,
                adopt: d.adopt.clone(),
                previous_keys: d.previous_keys.iter().map(|p| p.value.clone()).collect(),
                event_types: plan::normalize::event_set(
                    &d.event_types.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
                ),
                request_url: secret(&r.request_url),
                payload_template: r.payload_template.as_ref().map(secret),
                headers_template: r.headers_template.as_ref().map(secret),
                description: d.description.clone(),
                ignore_ssl_errors: d.ignore_ssl_errors,
                do_not_retry: d.do_not_retry,
                should_interpolate_strings: d.should_interpolate_strings,
            })
        })
        .collect()
}

/// Reads everything a plan for `declared` and `owner` needs: the targets and the live webhooks,
/// concurrently.
pub async fn refresh<P: Platform>(
    platform: &P,
    declared: &[ResolvedWebhook<'_>],
    owner: &str,
) -> Result<(HashMap<(TargetKind, String), Target>, LiveState), RefreshError> {
    let adopt_ids: HashSet<String> = declared
        .iter()
        .filter_map(|r| r.desired.adopt.clone())
        .collect();
    let (targets, webhooks) = futures_util::join!(
        resolve_targets(platform, declared),
        read_webhooks(platform, owner, &adopt_ids)
    );
    let (targets, webhooks) = (targets?, webhooks?);
    let target_names = name_targets(platform, owner, &webhooks, &targets).await?;
    Ok((
        targets,
        LiveState {
            webhooks,
            target_names,
        },
    ))
}

/// Lists every webhook of the account and fetches in full the ones the plan may touch for
/// `owner`: owned, adopted (`adopt_ids`) and list items too short to classify.
pub async fn read_webhooks<P: Platform>(
    platform: &P,
    owner: &str,
    adopt_ids: &HashSet<String>,
) -> Result<Vec<Webhook>, PlatformError> {
    let listed = platform.list_webhooks().await?;
    let candidates: Vec<String> = listed
        .iter()
        .filter(|w| {
            adopt_ids.contains(&w.id)
                || matches!(
                    plan::classify(w, owner),
                    Class::Owned { .. } | Class::Unknown
                )
        })
        .map(|w| w.id.clone())
        .collect();
    let full: HashMap<String, Option<Webhook>> = stream::iter(candidates)
        .map(|id| async move {
            let w = platform.get_webhook(&id).await?;
            Ok::<_, PlatformError>((id, w))
        })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    // A candidate deleted between the list and the get is gone.
    Ok(listed
        .into_iter()
        .filter_map(|w| match full.get(&w.id) {
            Some(Some(full)) => Some(full.clone()),
            Some(None) => None,
            None => Some(w),
        })
        .collect())
}

/// Names by ID of every target of an owned or unmanaged webhook: the declared ones from `known`,
/// the rest looked up (one lookup each), so that deletes and unmanaged webhooks on undeclared
/// targets show a name.
pub async fn name_targets<P: Platform>(
    platform: &P,
    owner: &str,
    webhooks: &[Webhook],
    known: &HashMap<(TargetKind, String), Target>,
) -> Result<HashMap<String, String>, PlatformError> {
    let known_ids: HashSet<&str> = known.values().map(|t| t.id.as_str()).collect();
    let mut to_name: Vec<(TargetKind, String)> = Vec::new();
    for w in webhooks {
        // Owned ones may be deleted; unmanaged ones are listed for `adopt:`. Both are named.
        if !matches!(
            plan::classify(w, owner),
            Class::Owned { .. } | Class::Unmanaged | Class::Damaged { .. }
        ) {
            continue;
        }
        let Some((kind, id)) = w.condition().target() else {
            continue;
        };
        let target = (kind, id.to_owned());
        if !known_ids.contains(target.1.as_str()) && !to_name.contains(&target) {
            to_name.push(target);
        }
    }
    let mut names: HashMap<String, String> = known
        .values()
        .map(|t| (t.id.clone(), t.name.clone()))
        .collect();
    let named: Vec<(String, Option<String>)> = stream::iter(to_name)
        .map(|(kind, id)| async move {
            let name = target_name(platform, kind, &id).await?;
            Ok::<_, PlatformError>((id, name))
        })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    names.extend(named.into_iter().filter_map(|(id, name)| Some((id, name?))));
    Ok(names)
}
