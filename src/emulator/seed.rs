//! The seed format of the emulator: users with tokens, Actors, tasks, existing webhooks and
//! dispatches, read from YAML or JSON. Everything but names is optional: IDs left out are
//! derived from names (stable across starts), timestamps from a fixed epoch. The state file the
//! emulator writes is this same format, fully filled in, so a state file is also a valid seed.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::state::{
    ActorRec, ConditionRec, DispatchRec, State, Stats, TaskRec, UserRec, WebhookRec, format_millis,
    parse_millis,
};

/// The seed shipped with the binary (`src/emulator/default-seed.yaml`).
pub const DEFAULT_SEED_YAML: &str = include_str!("default-seed.yaml");

/// The token of the user `acme` in the default seed.
pub const DEFAULT_TOKEN: &str = "apify_api_LOCAL_EMULATOR_acme_0000000000";

/// Seeded objects without timestamps get this one (2025-01-01T00:00:00.000Z) plus one second
/// per object, so their order is their order in the file.
const SEED_EPOCH_MS: u64 = 1_735_689_600_000;

/// A seed document. docs/emulator.md ("Seed files") describes the format.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    /// Format version; only 1 exists.
    #[serde(default)]
    pub version: Option<u32>,
    /// Accounts; a user with a `token` can call the API.
    #[serde(default)]
    pub users: Vec<SeedUser>,
    /// Actors; `name` is `username/name` or `name` with `username` set.
    #[serde(default)]
    pub actors: Vec<SeedActor>,
    /// Actor tasks.
    #[serde(default)]
    pub tasks: Vec<SeedTask>,
    /// Webhooks that exist at start.
    #[serde(default)]
    pub webhooks: Vec<SeedWebhook>,
    /// Dispatches of those webhooks.
    #[serde(default)]
    pub dispatches: Vec<SeedDispatch>,
}

/// A user of the seed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedUser {
    pub username: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// An Actor of the seed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedActor {
    /// `username/name`, or just `name` when `username` is given.
    pub name: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_public: bool,
    /// Usernames of other users who have run it: `GET /v2/actors` without `my=1` lists it to
    /// them too.
    #[serde(default)]
    pub used_by: Vec<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub modified_at: Option<String>,
}

/// A task of the seed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedTask {
    /// `username/name`, or just `name` when `username` is given.
    pub name: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    /// The Actor, as `username/name` or ID (or give `actId`).
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub act_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub modified_at: Option<String>,
}

/// A webhook of the seed. The owner is `user` (a username) or `userId`; the scope is `actor`
/// or `task` (by name or ID) or a raw `condition`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(clippy::struct_excessive_bools)] // The API's own flags, one field each.
pub struct SeedWebhook {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub task: Option<String>,
    #[serde(default)]
    pub condition: Option<ConditionRec>,
    #[serde(default)]
    pub event_types: Vec<String>,
    #[serde(default)]
    pub request_url: Option<String>,
    #[serde(default)]
    pub payload_template: Option<String>,
    #[serde(default)]
    pub headers_template: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub ignore_ssl_errors: bool,
    #[serde(default)]
    pub do_not_retry: bool,
    #[serde(default)]
    pub should_interpolate_strings: bool,
    #[serde(default)]
    pub is_ad_hoc: bool,
    #[serde(default)]
    pub is_apify_integration: bool,
    #[serde(default)]
    pub is_enabled: Option<bool>,
    #[serde(default)]
    pub action_type: Option<String>,
    #[serde(default)]
    pub idempotency_key: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub modified_at: Option<String>,
    #[serde(default)]
    pub last_dispatch: Option<Value>,
    #[serde(default)]
    pub stats: Option<Stats>,
}

/// A dispatch of the seed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedDispatch {
    pub webhook_id: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub event_type: Option<String>,
    #[serde(default)]
    pub event_data: Option<Value>,
    #[serde(default)]
    pub calls: Vec<Value>,
}

/// Why a seed could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SeedError(pub String);

impl Seed {
    /// The seed shipped with the binary.
    pub fn default_seed() -> Self {
        // The embedded seed is checked by a unit test; an empty seed is the safe fallback.
        Seed::from_yaml(DEFAULT_SEED_YAML).unwrap_or_default()
    }

    /// Parses a YAML (or JSON, which YAML includes) seed document.
    pub fn from_yaml(text: &str) -> Result<Self, SeedError> {
        if text.trim_start().starts_with('{') {
            return serde_json::from_str(text).map_err(|err| SeedError(err.to_string()));
        }
        serde_saphyr::from_str(text).map_err(|err| SeedError(err.to_string()))
    }

    /// Reads a seed file (`.yaml`, `.yml` or `.json`).
    pub fn from_file(path: &Path) -> Result<Self, SeedError> {
        let bytes = crate::files::read_bounded(path, super::state::MAX_STATE_BYTES)
            .map_err(|err| SeedError(err.to_string()))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| SeedError(format!("{} is not valid UTF-8", path.display())))?;
        Seed::from_yaml(&text).map_err(|err| SeedError(format!("{}: {err}", path.display())))
    }

    /// Checks the seed and fills in everything left out.
    pub(crate) fn resolve(self) -> Result<State, SeedError> {
        if let Some(version) = self.version
            && version != 1
        {
            return Err(SeedError(format!(
                "unsupported seed version {version} (expected 1)"
            )));
        }
        let mut stamp = 0u64;
        let mut next_time = |given: Option<&str>| -> Result<String, SeedError> {
            stamp += 1;
            match given {
                Some(text) => parse_millis(text)
                    .map(format_millis)
                    .ok_or_else(|| SeedError(format!("invalid timestamp {text:?}"))),
                None => Ok(format_millis(SEED_EPOCH_MS + stamp * 1000)),
            }
        };
        let mut state = State::default();

        for user in self.users {
            check_name("username", &user.username)?;
            if state.users.iter().any(|u| u.username == user.username) {
                return Err(SeedError(format!("duplicate user {:?}", user.username)));
            }
            let created_at = next_time(user.created_at.as_deref())?;
            state.users.push(UserRec {
                id: user.id.unwrap_or_else(|| derive_id("user", &user.username)),
                username: user.username,
                token: user.token.filter(|t| !t.trim().is_empty()),
                email: user.email,
                name: user.name,
                created_at,
            });
        }

        for actor in self.actors {
            let (username, name) = split_name("Actor", actor.username.as_deref(), &actor.name)?;
            let user_id = ensure_user(&mut state, &username, &mut next_time)?;
            let created_at = next_time(actor.created_at.as_deref())?;
            let modified_at = match actor.modified_at {
                Some(text) => next_time(Some(&text))?,
                None => created_at.clone(),
            };
            if state
                .actors
                .iter()
                .any(|a| a.username == username && a.name == name)
            {
                return Err(SeedError(format!("duplicate Actor {username}/{name}")));
            }
            state.actors.push(ActorRec {
                id: actor
                    .id
                    .unwrap_or_else(|| derive_id("actor", &format!("{username}/{name}"))),
                user_id,
                username,
                name,
                title: actor.title,
                description: actor.description,
                is_public: actor.is_public,
                created_at,
                modified_at,
                used_by: actor.used_by,
            });
        }
        for actor in &state.actors {
            if let Some(unknown) = actor
                .used_by
                .iter()
                .find(|u| !state.users.iter().any(|user| &user.username == *u))
            {
                return Err(SeedError(format!(
                    "Actor {}/{}: usedBy names an unknown user {unknown:?}",
                    actor.username, actor.name
                )));
            }
        }

        for task in self.tasks {
            let (username, name) = split_name("task", task.username.as_deref(), &task.name)?;
            let user_id = ensure_user(&mut state, &username, &mut next_time)?;
            let act_id = match (&task.act_id, &task.actor) {
                (Some(id), _) => id.clone(),
                (None, Some(reference)) => find_actor(&state, reference)?,
                (None, None) => {
                    return Err(SeedError(format!("task {username}/{name} needs `actor`")));
                }
            };
            if !state.actors.iter().any(|a| a.id == act_id) {
                return Err(SeedError(format!(
                    "task {username}/{name}: unknown Actor {act_id}"
                )));
            }
            if state
                .tasks
                .iter()
                .any(|t| t.username == username && t.name == name)
            {
                return Err(SeedError(format!("duplicate task {username}/{name}")));
            }
            let created_at = next_time(task.created_at.as_deref())?;
            let modified_at = match task.modified_at {
                Some(text) => next_time(Some(&text))?,
                None => created_at.clone(),
            };
            state.tasks.push(TaskRec {
                id: task
                    .id
                    .unwrap_or_else(|| derive_id("task", &format!("{username}/{name}"))),
                user_id,
                username,
                name,
                act_id,
                title: task.title,
                created_at,
                modified_at,
            });
        }

        let mut per_user: HashMap<String, usize> = HashMap::new();
        for webhook in self.webhooks {
            let user_id = match (&webhook.user_id, &webhook.user) {
                (Some(id), _) => {
                    if !state.users.iter().any(|u| &u.id == id) {
                        return Err(SeedError(format!("webhook: unknown userId {id:?}")));
                    }
                    id.clone()
                }
                (None, Some(username)) => state
                    .users
                    .iter()
                    .find(|u| &u.username == username)
                    .map(|u| u.id.clone())
                    .ok_or_else(|| SeedError(format!("webhook: unknown user {username:?}")))?,
                (None, None) => return Err(SeedError("webhook: `user` is required".to_owned())),
            };
            let condition = match (&webhook.condition, &webhook.actor, &webhook.task) {
                (Some(condition), None, None) => condition.clone(),
                (None, Some(actor), None) => ConditionRec {
                    actor_id: Some(find_actor(&state, actor)?),
                    ..Default::default()
                },
                (None, None, Some(task)) => ConditionRec {
                    actor_task_id: Some(find_task(&state, task)?),
                    ..Default::default()
                },
                _ => {
                    return Err(SeedError(
                        "webhook: give exactly one of `actor`, `task` or `condition`".to_owned(),
                    ));
                }
            };
            let index = per_user.entry(user_id.clone()).or_default();
            *index += 1;
            let created_at = next_time(webhook.created_at.as_deref())?;
            let modified_at = match webhook.modified_at {
                Some(text) => next_time(Some(&text))?,
                None => created_at.clone(),
            };
            let id = webhook
                .id
                .unwrap_or_else(|| derive_id("webhook", &format!("{user_id}/{index}")));
            if state.webhooks.iter().any(|w| w.id == id) {
                return Err(SeedError(format!("duplicate webhook id {id}")));
            }
            state.webhooks.push(WebhookRec {
                id,
                user_id,
                created_at,
                modified_at,
                event_types: webhook.event_types,
                condition,
                request_url: webhook.request_url,
                payload_template: webhook.payload_template,
                headers_template: webhook.headers_template,
                description: webhook.description,
                ignore_ssl_errors: webhook.ignore_ssl_errors,
                do_not_retry: webhook.do_not_retry,
                should_interpolate_strings: webhook.should_interpolate_strings,
                is_ad_hoc: webhook.is_ad_hoc,
                is_apify_integration: webhook.is_apify_integration,
                is_enabled: webhook.is_enabled.unwrap_or(true),
                action_type: webhook
                    .action_type
                    .unwrap_or_else(|| "HTTP_REQUEST".to_owned()),
                idempotency_key: webhook.idempotency_key,
                last_dispatch: webhook.last_dispatch.filter(|v| !v.is_null()),
                stats: webhook.stats.unwrap_or_default(),
            });
        }

        for (index, dispatch) in self.dispatches.into_iter().enumerate() {
            let Some(webhook) = state.webhooks.iter().find(|w| w.id == dispatch.webhook_id) else {
                return Err(SeedError(format!(
                    "dispatch: unknown webhook {}",
                    dispatch.webhook_id
                )));
            };
            let user_id = dispatch.user_id.unwrap_or_else(|| webhook.user_id.clone());
            let created_at = next_time(dispatch.created_at.as_deref())?;
            state.dispatches.push(DispatchRec {
                id: dispatch
                    .id
                    .unwrap_or_else(|| derive_id("dispatch", &format!("{}/{index}", webhook.id))),
                user_id,
                webhook_id: dispatch.webhook_id,
                created_at,
                status: dispatch.status.unwrap_or_else(|| "SUCCEEDED".to_owned()),
                event_type: dispatch.event_type.unwrap_or_else(|| "TEST".to_owned()),
                event_data: dispatch.event_data.filter(|v| !v.is_null()),
                calls: dispatch.calls,
            });
        }
        let tokens: Vec<&str> = state
            .users
            .iter()
            .filter_map(|u| u.token.as_deref())
            .collect();
        if tokens
            .iter()
            .enumerate()
            .any(|(i, t)| tokens[..i].contains(t))
        {
            return Err(SeedError("two users share a token".to_owned()));
        }
        state.sort();
        Ok(state)
    }
}

/// A stable 17-character alphanumeric ID derived from a kind and a name.
pub(crate) fn derive_id(kind: &str, name: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let digest = Sha256::digest(format!("{kind}:{name}").as_bytes());
    digest
        .iter()
        .take(17)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

fn check_name(what: &str, name: &str) -> Result<(), SeedError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(SeedError(format!("invalid {what} {name:?}")))
    }
}

fn split_name(
    what: &str,
    username: Option<&str>,
    name: &str,
) -> Result<(String, String), SeedError> {
    let (user, short) = match (username, name.split_once('/')) {
        (Some(user), None) => (user, name),
        (None, Some((user, short))) => (user, short),
        (Some(user), Some((prefix, short))) if prefix == user => (user, short),
        _ => {
            return Err(SeedError(format!(
                "{what} {name:?}: write `username/name`, or `name` with `username`"
            )));
        }
    };
    check_name("username", user)?;
    check_name(&format!("{what} name"), short)?;
    Ok((user.to_owned(), short.to_owned()))
}

/// The ID of the user `username`, adding a user without a token when the seed did not list it.
fn ensure_user(
    state: &mut State,
    username: &str,
    next_time: &mut impl FnMut(Option<&str>) -> Result<String, SeedError>,
) -> Result<String, SeedError> {
    if let Some(user) = state.users.iter().find(|u| u.username == username) {
        return Ok(user.id.clone());
    }
    let id = derive_id("user", username);
    state.users.push(UserRec {
        id: id.clone(),
        username: username.to_owned(),
        token: None,
        email: None,
        name: None,
        created_at: next_time(None)?,
    });
    Ok(id)
}

fn find_actor(state: &State, reference: &str) -> Result<String, SeedError> {
    let found = match reference.replacen('~', "/", 1).split_once('/') {
        Some((user, name)) => state
            .actors
            .iter()
            .find(|a| a.username == user && a.name == name),
        None => state.actors.iter().find(|a| a.id == reference),
    };
    found
        .map(|a| a.id.clone())
        .ok_or_else(|| SeedError(format!("unknown Actor {reference:?}")))
}

fn find_task(state: &State, reference: &str) -> Result<String, SeedError> {
    let found = match reference.replacen('~', "/", 1).split_once('/') {
        Some((user, name)) => state
            .tasks
            .iter()
            .find(|t| t.username == user && t.name == name),
        None => state.tasks.iter().find(|t| t.id == reference),
    };
    found
        .map(|t| t.id.clone())
        .ok_or_else(|| SeedError(format!("unknown task {reference:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_seed_parses_and_resolves() {
        let seed = Seed::from_yaml(DEFAULT_SEED_YAML).unwrap();
        let state = seed.resolve().unwrap();
        let acme = state.users.iter().find(|u| u.username == "acme").unwrap();
        assert_eq!(acme.token.as_deref(), Some(DEFAULT_TOKEN));
        let names: Vec<String> = state
            .actors
            .iter()
            .map(|a| format!("{}/{}", a.username, a.name))
            .collect();
        for name in [
            "acme/web-scraper",
            "acme/price-monitor",
            "acme/lead-enricher",
            "apify/web-scraper",
        ] {
            assert!(names.contains(&name.to_owned()), "{name} in {names:?}");
        }
        assert!(
            state
                .actors
                .iter()
                .any(|a| a.username == "apify" && a.is_public)
        );
        assert_eq!(state.tasks.len(), 2);
    }

    #[test]
    fn derived_ids_are_stable_17_alphanumerics() {
        let id = derive_id("actor", "acme/web-scraper");
        assert_eq!(id, derive_id("actor", "acme/web-scraper"));
        assert_ne!(id, derive_id("actor", "acme/price-monitor"));
        assert_eq!(id.len(), 17);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn webhooks_resolve_names_and_keep_special_kinds() {
        let seed = Seed::from_yaml(
            r"
users: [{username: jane, token: t1}]
actors: [{name: jane/a}]
tasks: [{name: jane/t, actor: jane/a}]
webhooks:
  - {user: jane, actor: jane/a, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://x.example'}
  - {user: jane, task: jane~t, eventTypes: [ACTOR.RUN.SUCCEEDED], actionType: SLACK_MESSAGE}
  - {user: jane, condition: {actorRunId: run1}, isAdHoc: true, eventTypes: [ACTOR.RUN.SUCCEEDED],
     requestUrl: 'https://y.example'}
",
        )
        .unwrap();
        let state = seed.resolve().unwrap();
        assert_eq!(
            state.webhooks[0].condition.actor_id.as_deref(),
            Some(state.actors[0].id.as_str())
        );
        assert_eq!(
            state.webhooks[1].condition.actor_task_id.as_deref(),
            Some(state.tasks[0].id.as_str())
        );
        assert_eq!(state.webhooks[1].request_url, None);
        assert_eq!(state.webhooks[1].action_type, "SLACK_MESSAGE");
        assert!(state.webhooks[2].is_ad_hoc);
    }

    #[test]
    fn bad_seeds_are_refused_with_a_reason() {
        for (text, expected) in [
            ("users: [{username: a}, {username: a}]", "duplicate user"),
            ("actors: [{name: noslash}]", "username/name"),
            ("tasks: [{name: a/t}]", "needs `actor`"),
            ("tasks: [{name: a/t, actor: a/missing}]", "unknown Actor"),
            ("webhooks: [{user: ghost, actor: x}]", "unknown user"),
            ("version: 2", "unsupported seed version"),
            (
                "users: [{username: a, token: t}, {username: b, token: t}]",
                "share a token",
            ),
            ("bogus: 1", "unknown field"),
            (
                "actors: [{name: a/x, usedBy: [ghost]}]",
                "unknown user \"ghost\"",
            ),
        ] {
            let err = Seed::from_yaml(text).and_then(Seed::resolve).unwrap_err();
            assert!(err.to_string().contains(expected), "{text}: {err}");
        }
    }
}
