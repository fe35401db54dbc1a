//! Reads the live state a plan needs, through the [`Platform`] trait, in as few round trips as
//! the data allows. Two strands run side by side: the webhook list (every page), then at once
//! the full objects of the webhooks the plan may touch (owned ones, adopted ones, and list items
//! too short to classify); and the account's own Actors and tasks (their list endpoints, every
//! page) with the user behind the token, then one look-up of each declared Actor they do not
//! name (a public Actor of another user). Last, only when some webhook sits on an Actor or task
//! that nothing named yet, one look-up each for its name. Declared names resolve from the lists,
//! and patterns expand against them ([`crate::plan::expand`]). A plan at the 100-webhook cap
//! takes two round trips.

use std::collections::{HashMap, HashSet};

use futures_util::stream::{self, StreamExt, TryStreamExt};

use crate::diagnostic::Diagnostic;
use crate::manifest::{ResolvedWebhook, TargetRef};
use crate::plan::expand::{self, LiveTarget, PatternMatch, PatternRule};
use crate::plan::{self, Class, DesiredSpec, LiveState, Secretish, Target};
use crate::platform::{Platform, PlatformError, User, Webhook};
use crate::webhook::TargetKind;

/// How many reads are in flight at once. Reads of different webhooks are different resources
/// for the platform's 60 requests per second per resource limit.
pub const READ_CONCURRENCY: usize = 32;

/// How many full webhooks a plan reads at once: all of an account at the platform's cap, so the
/// candidates take one round trip. Each is a resource of its own (60 requests a second each),
/// and 100 requests are far below the 250,000 a minute a user may send.
pub const DETAIL_CONCURRENCY: usize = crate::webhook::MAX_WEBHOOKS_PER_USER;

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

/// The Actors and tasks of the account, as their list endpoints give them.
#[derive(Debug, Clone, Default)]
pub struct AccountTargets {
    /// Every Actor and task listed.
    pub targets: Vec<LiveTarget>,
}

impl AccountTargets {
    /// Reads, concurrently, the token's user and the account's Actors (`GET /v2/actors?my=1`)
    /// and tasks (`GET /v2/actor-tasks`), every page of each. The outer error is the user's; the
    /// lists' is kept apart, since a token that may not list them can still do without.
    pub async fn read<P: Platform>(
        platform: &P,
    ) -> Result<(User, Result<Self, PlatformError>), PlatformError> {
        let (actors, tasks, user) = futures_util::join!(
            platform.list_actors(),
            platform.list_tasks(),
            platform.current_user(),
        );
        let user = user?;
        let lists = match (actors, tasks) {
            (Ok(actors), Ok(tasks)) => Ok(Self::from_lists(actors, tasks, &user)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        Ok((user, lists))
    }

    /// The targets of the lists; `user` decides which are own.
    pub fn from_lists(
        actors: Vec<crate::platform::Actor>,
        tasks: Vec<crate::platform::Task>,
        user: &User,
    ) -> Self {
        let own = |owner: Option<&str>| owner.is_none_or(|o| o == user.id);
        let mut targets = Vec::with_capacity(actors.len() + tasks.len());
        for a in actors {
            targets.push(LiveTarget {
                kind: TargetKind::Actor,
                own: own(a.user_id.as_deref()),
                name: full_name(a.username.as_deref(), a.name.as_deref())
                    .unwrap_or_else(|| a.id.clone()),
                id: a.id,
            });
        }
        for t in tasks {
            targets.push(LiveTarget {
                kind: TargetKind::Task,
                own: own(t.user_id.as_deref()),
                name: full_name(t.username.as_deref(), t.name.as_deref())
                    .unwrap_or_else(|| t.id.clone()),
                id: t.id,
            });
        }
        AccountTargets { targets }
    }

    /// The listed target a concrete reference (`username/name`, `username~name` or an ID)
    /// names.
    fn find(&self, kind: TargetKind, reference: &str) -> Option<&LiveTarget> {
        let name = reference.replacen('~', "/", 1);
        self.targets
            .iter()
            .find(|t| t.kind == kind && (t.id == reference || t.name == name))
    }
}

/// Resolves every distinct concrete declared target: from `account` when listed there, else
/// with one look-up each (a public Actor of another user), all concurrently.
pub async fn resolve_targets<P: Platform>(
    platform: &P,
    declared: &[ResolvedWebhook<'_>],
    account: &AccountTargets,
) -> Result<HashMap<(TargetKind, String), Target>, RefreshError> {
    let mut targets = HashMap::new();
    let mut distinct: Vec<&TargetRef> = Vec::new();
    let mut seen = HashSet::new();
    for w in declared {
        let t = &w.desired.target;
        if t.is_pattern() || !seen.insert((t.kind, t.api_reference())) {
            continue;
        }
        match account.find(t.kind, &t.reference) {
            Some(listed) => {
                targets.insert(
                    (t.kind, t.api_reference()),
                    Target {
                        kind: t.kind,
                        id: listed.id.clone(),
                        name: t.reference.clone(),
                    },
                );
            }
            None => distinct.push(t),
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
            match closest(account, t) {
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

/// The listed name closest to `t`'s reference (`~` read as `/`), if one is close.
fn closest(account: &AccountTargets, t: &TargetRef) -> Option<String> {
    let candidates: Vec<&str> = account
        .targets
        .iter()
        .filter(|l| l.kind == t.kind)
        .map(|l| l.name.as_str())
        .collect();
    let wanted = t.reference.replace('~', "/");
    crate::diagnostic::did_you_mean(&wanted, &candidates)
        .filter(|name| *name != wanted)
        .map(str::to_owned)
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

fn full_name(username: Option<&str>, name: Option<&str>) -> Option<String> {
    Some(format!("{}/{}", username?, name?))
}

/// The patterns of the declared webhooks, as [`expand::expand`] takes them.
pub fn pattern_rules(declared: &[ResolvedWebhook<'_>]) -> Vec<PatternRule> {
    declared
        .iter()
        .filter(|r| r.desired.target.is_pattern())
        .map(|r| PatternRule {
            key: r.desired.key.clone(),
            kind: r.desired.target.kind,
            pattern: r.desired.target.reference.clone(),
            exclude: r.desired.exclude.iter().map(|e| e.value.clone()).collect(),
        })
        .collect()
}

/// The declared webhooks as the plan wants them: concrete ones on their resolved targets, and
/// one per target each pattern matched.
pub fn desired_specs(
    declared: &[ResolvedWebhook<'_>],
    targets: &HashMap<(TargetKind, String), Target>,
    matches: &[PatternMatch],
) -> Vec<DesiredSpec> {
    let mut out = Vec::new();
    for r in declared {
        let d = r.desired;
        let secret = |v: &crate::manifest::Resolved| Secretish {
            value: v.value.clone(),
            from_env: v.from_env,
        };
        let spec = |target: Target, pattern: Option<String>| DesiredSpec {
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
            pattern,
        };
        if d.target.is_pattern() {
            let Some(m) = matches.iter().find(|m| m.key == d.key) else {
                continue;
            };
            for target in &m.matched {
                out.push(spec(target.clone(), Some(m.pattern.clone())));
            }
        } else if let Some(target) = targets.get(&(d.target.kind, d.target.api_reference())) {
            out.push(spec(target.clone(), None));
        }
    }
    out
}

/// Everything [`refresh`] reads.
#[derive(Debug)]
pub struct Refreshed {
    /// The concrete declared targets, resolved.
    pub targets: HashMap<(TargetKind, String), Target>,
    /// What each pattern matched.
    pub matches: Vec<PatternMatch>,
    /// The live webhooks and the names of their targets.
    pub live: LiveState,
    /// The user behind the token.
    pub user: User,
}

/// Reads everything a plan for `declared` and `owner` needs, in at most three waves of
/// concurrent requests (see the module documentation).
pub async fn refresh<P: Platform>(
    platform: &P,
    declared: &[ResolvedWebhook<'_>],
    owner: &str,
) -> Result<Refreshed, RefreshError> {
    let adopt_ids: HashSet<String> = declared
        .iter()
        .filter_map(|r| r.desired.adopt.clone())
        .collect();
    // Two strands, side by side: the webhook list, then at once the full candidates; and the
    // account's Actors and tasks with the user, then the declared targets they do not name.
    // Neither waits for the other, so a long Actor list (several pages) overlaps the reads of
    // the webhooks.
    let account = async {
        let (user, lists) = AccountTargets::read(platform).await?;
        let account = match lists {
            Ok(account) => account,
            // Without patterns the lists only spare look-ups: a token that may not list Actors
            // (a scoped one) still plans, with one look-up per declared target. A pattern needs
            // them: matching nothing would plan to delete what it matched before.
            Err(e) if declared.iter().any(|r| r.desired.target.is_pattern()) => {
                return Err(RefreshError::from(e));
            }
            Err(e) => {
                tracing::debug!("cannot list the account's Actors and tasks: {e}");
                AccountTargets::default()
            }
        };
        let targets = resolve_targets(platform, declared, &account).await?;
        Ok::<_, RefreshError>((account, targets, user))
    };
    let (account, webhooks) =
        futures_util::join!(account, read_webhooks(platform, owner, &adopt_ids));
    let ((account, targets, user), webhooks) = (account?, webhooks?);
    let matches = expand::expand(&pattern_rules(declared), &account.targets);
    // Last, only for webhooks on targets nothing named yet: one look-up each.
    let mut known: HashMap<String, String> = account
        .targets
        .iter()
        .map(|t| (t.id.clone(), t.name.clone()))
        .collect();
    known.extend(targets.values().map(|t| (t.id.clone(), t.name.clone())));
    let target_names = name_targets_from(platform, owner, &webhooks, known).await?;
    Ok(Refreshed {
        targets,
        matches,
        live: LiveState {
            webhooks,
            target_names,
        },
        user,
    })
}

/// Lists every webhook of the account and fetches in full the ones the plan may touch for
/// `owner`: owned, adopted (`adopt_ids`) and list items too short to classify.
pub async fn read_webhooks<P: Platform>(
    platform: &P,
    owner: &str,
    adopt_ids: &HashSet<String>,
) -> Result<Vec<Webhook>, PlatformError> {
    let listed = platform.list_webhooks().await?;
    full_candidates(platform, listed, owner, adopt_ids).await
}

/// The webhooks of `listed`, with the ones the plan may touch for `owner` (owned, adopted and
/// too short to classify) fetched in full, concurrently.
async fn full_candidates<P: Platform>(
    platform: &P,
    listed: Vec<Webhook>,
    owner: &str,
    adopt_ids: &HashSet<String>,
) -> Result<Vec<Webhook>, PlatformError> {
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
        .buffer_unordered(DETAIL_CONCURRENCY)
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
    let known = known
        .values()
        .map(|t| (t.id.clone(), t.name.clone()))
        .collect();
    name_targets_from(platform, owner, webhooks, known).await
}

/// [`name_targets`] with the names already known by ID.
async fn name_targets_from<P: Platform>(
    platform: &P,
    owner: &str,
    webhooks: &[Webhook],
    mut names: HashMap<String, String>,
) -> Result<HashMap<String, String>, PlatformError> {
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
        if !names.contains_key(target.1.as_str()) && !to_name.contains(&target) {
            to_name.push(target);
        }
    }
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::platform::{Actor, Task, WebhookCreate, WebhookUpdate};

    /// An account with one own Actor and one public Actor of another user, whose lists fail
    /// when `lists_fail`; records every call.
    struct Fake {
        lists_fail: bool,
        calls: Mutex<Vec<String>>,
    }

    impl Fake {
        fn new(lists_fail: bool) -> Self {
            Fake {
                lists_fail,
                calls: Mutex::new(Vec::new()),
            }
        }
        fn log(&self, call: &str) {
            self.calls.lock().unwrap().push(call.to_owned());
        }
        fn calls(&self) -> Vec<String> {
            let mut calls = self.calls.lock().unwrap().clone();
            calls.sort();
            calls
        }
    }

    fn actor(id: &str, username: &str, name: &str) -> Actor {
        Actor {
            id: id.into(),
            username: Some(username.into()),
            name: Some(name.into()),
            ..Actor::default()
        }
    }

    impl Platform for Fake {
        async fn current_user(&self) -> Result<User, PlatformError> {
            self.log("me");
            Ok(User {
                id: "U1".into(),
                ..User::default()
            })
        }
        async fn list_webhooks(&self) -> Result<Vec<Webhook>, PlatformError> {
            self.log("webhooks");
            Ok(Vec::new())
        }
        async fn get_webhook(&self, _: &str) -> Result<Option<Webhook>, PlatformError> {
            unreachable!("no candidates")
        }
        async fn create_webhook(&self, _: &WebhookCreate) -> Result<Webhook, PlatformError> {
            unreachable!()
        }
        async fn update_webhook(
            &self,
            _: &str,
            _: &WebhookUpdate,
        ) -> Result<Webhook, PlatformError> {
            unreachable!()
        }
        async fn delete_webhook(&self, _: &str) -> Result<(), PlatformError> {
            unreachable!()
        }
        async fn get_actor(&self, id_or_name: &str) -> Result<Option<Actor>, PlatformError> {
            self.log(&format!("actor {id_or_name}"));
            Ok(match id_or_name {
                "acme~mine" => Some(actor("A1", "acme", "mine")),
                "apify~public" => Some(actor("P1", "apify", "public")),
                _ => None,
            })
        }
        async fn get_task(&self, _: &str) -> Result<Option<Task>, PlatformError> {
            Ok(None)
        }
        async fn list_actors(&self) -> Result<Vec<Actor>, PlatformError> {
            self.log("actors");
            if self.lists_fail {
                return Err(PlatformError::Api {
                    method: "GET".into(),
                    path: "/v2/actors".into(),
                    status: 403,
                    error_type: "insufficient-permissions".into(),
                    message: "no".into(),
                });
            }
            Ok(vec![actor("A1", "acme", "mine")])
        }
        async fn list_tasks(&self) -> Result<Vec<Task>, PlatformError> {
            self.log("tasks");
            Ok(Vec::new())
        }
    }

    fn manifests(text: &str) -> crate::manifest::Manifests {
        let source = std::sync::Arc::new(crate::diagnostic::SourceFile::new("m.yaml", text));
        let loaded = crate::manifest::load_source(&source);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        crate::manifest::Manifests {
            files: vec![source],
            webhooks: loaded.webhooks,
            owners: Vec::new(),
            env_refs: Vec::new(),
        }
    }

    const CONCRETE: &str = "version: 1\nactors:\n  acme/mine:\n    - {key: a, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://x.example.com'}\n  apify/public:\n    - {key: b, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://x.example.com'}\n";

    #[tokio::test]
    async fn own_targets_resolve_from_the_lists_and_only_a_public_actor_is_looked_up() {
        let m = manifests(CONCRETE);
        let declared = m.resolve(|_| None).unwrap();
        let fake = Fake::new(false);
        let got = refresh(&fake, &declared, "me").await.unwrap();
        assert_eq!(
            fake.calls(),
            ["actor apify~public", "actors", "me", "tasks", "webhooks"]
        );
        let ids: Vec<&str> = {
            let mut ids: Vec<&str> = got.targets.values().map(|t| t.id.as_str()).collect();
            ids.sort_unstable();
            ids
        };
        assert_eq!(ids, ["A1", "P1"]);
    }

    #[tokio::test]
    async fn without_patterns_a_token_that_cannot_list_actors_still_plans() {
        let m = manifests(CONCRETE);
        let declared = m.resolve(|_| None).unwrap();
        let fake = Fake::new(true);
        let got = refresh(&fake, &declared, "me").await.unwrap();
        assert_eq!(got.targets.len(), 2);
        assert!(fake.calls().contains(&"actor acme~mine".to_owned()));

        let m = manifests(
            "version: 1\nactors:\n  \"acme/*\":\n    - {key: a, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://x.example.com'}\n",
        );
        let declared = m.resolve(|_| None).unwrap();
        let err = refresh(&Fake::new(true), &declared, "me")
            .await
            .unwrap_err();
        assert!(matches!(err, RefreshError::Platform(e) if e.status() == Some(403)));
    }
}
