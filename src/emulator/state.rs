//! The emulator's data: users, Actors, tasks, webhooks and dispatches; how each looks on the
//! wire (full objects, list items in the short form); a strictly increasing clock for
//! `createdAt` / `modifiedAt`; and the state file, written atomically (temporary file in the
//! same directory, fsync, rename) so that a killed emulator never leaves a torn file, and read
//! back strictly (an empty or unreadable file is an error, not an account with no users).

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// A user account.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserRec {
    pub id: String,
    pub username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub created_at: String,
}

/// An Actor.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ActorRec {
    pub id: String,
    #[serde(skip)]
    pub user_id: String,
    pub username: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub is_public: bool,
    pub created_at: String,
    pub modified_at: String,
    /// Usernames of other users who have run this Actor: with its owner, the users whose
    /// `GET /v2/actors` (without `my=1`) lists it, as the platform lists the Actors a user
    /// "created or used".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub used_by: Vec<String>,
}

/// An Actor task.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TaskRec {
    pub id: String,
    #[serde(skip)]
    pub user_id: String,
    pub username: String,
    pub name: String,
    pub act_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub created_at: String,
    pub modified_at: String,
}

/// The scope of a webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConditionRec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_task_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_run_id: Option<String>,
}

/// Dispatch counters of a webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_dispatches: Option<u64>,
}

/// A webhook, with the internal `idempotencyKey` the API never shows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_excessive_bools)] // The API's own flags, one field each.
pub(crate) struct WebhookRec {
    pub id: String,
    pub user_id: String,
    pub created_at: String,
    pub modified_at: String,
    pub event_types: Vec<String>,
    pub condition: ConditionRec,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers_template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub ignore_ssl_errors: bool,
    pub do_not_retry: bool,
    pub should_interpolate_strings: bool,
    pub is_ad_hoc: bool,
    pub is_apify_integration: bool,
    pub is_enabled: bool,
    pub action_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_dispatch: Option<Value>,
    pub stats: Stats,
}

/// A webhook dispatch.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DispatchRec {
    pub id: String,
    pub user_id: String,
    pub webhook_id: String,
    pub created_at: String,
    pub status: String,
    pub event_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_data: Option<Value>,
    pub calls: Vec<Value>,
}

/// Everything the emulator knows. Serialized, it is a seed document (format version 1).
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct State {
    pub users: Vec<UserRec>,
    pub actors: Vec<ActorRec>,
    pub tasks: Vec<TaskRec>,
    pub webhooks: Vec<WebhookRec>,
    pub dispatches: Vec<DispatchRec>,
    /// Webhooks deleted in `replay` mode that had an idempotency key: a create with the key
    /// answers with the record ([`super::DeletedKeys`]). In memory only.
    #[serde(skip)]
    pub deleted_webhooks: Vec<WebhookRec>,
    /// The last timestamp handed out, in milliseconds since the epoch.
    #[serde(skip)]
    pub clock_ms: u64,
}

impl State {
    /// Orders every collection by `createdAt` (stable) and sets the clock past every timestamp.
    pub(crate) fn sort(&mut self) {
        self.actors.sort_by(|a, b| a.created_at.cmp(&b.created_at));
        self.tasks.sort_by(|a, b| a.created_at.cmp(&b.created_at));
        self.webhooks
            .sort_by(|a, b| a.created_at.cmp(&b.created_at));
        self.dispatches
            .sort_by(|a, b| a.created_at.cmp(&b.created_at));
        let stamps = self
            .webhooks
            .iter()
            .flat_map(|w| [&w.created_at, &w.modified_at])
            .chain(self.dispatches.iter().map(|d| &d.created_at))
            .chain(
                self.actors
                    .iter()
                    .flat_map(|a| [&a.created_at, &a.modified_at]),
            )
            .chain(
                self.tasks
                    .iter()
                    .flat_map(|t| [&t.created_at, &t.modified_at]),
            );
        self.clock_ms = stamps.filter_map(|s| parse_millis(s)).max().unwrap_or(0);
    }

    /// A timestamp for a change: now, but always later than every earlier one.
    pub(crate) fn tick(&mut self) -> String {
        let now = u64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis(),
        )
        .unwrap_or(u64::MAX);
        self.clock_ms = now.max(self.clock_ms + 1);
        format_millis(self.clock_ms)
    }

    /// The state as a seed document (what the state file holds).
    pub(crate) fn to_document(&self) -> Value {
        let mut doc = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut doc {
            map.shift_insert(0, "version".to_owned(), json!(1));
        }
        doc
    }

    pub(crate) fn user_by_token(&self, token: &str) -> Option<&UserRec> {
        self.users
            .iter()
            .find(|u| u.token.as_deref() == Some(token))
    }

    /// An Actor by ID, `username~name` or `~name` (the caller's own), if the caller may see it
    /// (it is theirs or public).
    pub(crate) fn find_actor(&self, caller: &UserRec, reference: &str) -> Option<&ActorRec> {
        let found = match reference.split_once('~') {
            Some((user, name)) => {
                let user = if user.is_empty() {
                    caller.username.as_str()
                } else {
                    user
                };
                self.actors
                    .iter()
                    .find(|a| a.username == user && a.name == name)
            }
            None => self.actors.iter().find(|a| a.id == reference),
        };
        found.filter(|a| a.user_id == caller.id || a.is_public)
    }

    /// A task by ID, `username~name` or `~name`, if it is the caller's.
    pub(crate) fn find_task(&self, caller: &UserRec, reference: &str) -> Option<&TaskRec> {
        let found = match reference.split_once('~') {
            Some((user, name)) => {
                let user = if user.is_empty() {
                    caller.username.as_str()
                } else {
                    user
                };
                self.tasks
                    .iter()
                    .find(|t| t.username == user && t.name == name)
            }
            None => self.tasks.iter().find(|t| t.id == reference),
        };
        found.filter(|t| t.user_id == caller.id)
    }

    /// The caller's webhook with this ID (another user's is as good as missing).
    pub(crate) fn webhook_index(&self, caller: &UserRec, id: &str) -> Option<usize> {
        self.webhooks
            .iter()
            .position(|w| w.id == id && w.user_id == caller.id)
    }

    /// Whether `GET /v2/actors` without `my=1` lists `actor` to `caller`: the platform lists
    /// the Actors a user "created or used". Used means run by the caller (a simulated run, or
    /// `usedBy` in the seed) or the Actor of one of the caller's tasks, while it is public.
    pub(crate) fn created_or_used(&self, caller: &UserRec, actor: &ActorRec) -> bool {
        actor.user_id == caller.id
            || (actor.is_public
                && (actor.used_by.contains(&caller.username)
                    || self
                        .tasks
                        .iter()
                        .any(|t| t.user_id == caller.id && t.act_id == actor.id)))
    }

    /// Removes the webhooks `doomed` picks, with their dispatches; those with an idempotency
    /// key are kept in `deleted_webhooks` when `remember` (the `replay` mode).
    pub(crate) fn remove_webhooks(&mut self, remember: bool, doomed: impl Fn(&WebhookRec) -> bool) {
        let (gone, kept): (Vec<WebhookRec>, Vec<WebhookRec>) = std::mem::take(&mut self.webhooks)
            .into_iter()
            .partition(|w| doomed(w));
        self.webhooks = kept;
        self.dispatches
            .retain(|d| !gone.iter().any(|w| w.id == d.webhook_id));
        if remember {
            self.deleted_webhooks
                .extend(gone.into_iter().filter(|w| w.idempotency_key.is_some()));
        }
    }

    /// A new random 17-character ID that no object has.
    pub(crate) fn fresh_id(&self) -> String {
        loop {
            let candidate: String = std::iter::repeat_with(fastrand::alphanumeric)
                .take(17)
                .collect();
            if !self.id_taken(&candidate) {
                return candidate;
            }
        }
    }

    /// Whether an ID is taken by any object.
    pub(crate) fn id_taken(&self, id: &str) -> bool {
        self.webhooks.iter().any(|w| w.id == id)
            || self.dispatches.iter().any(|d| d.id == id)
            || self.actors.iter().any(|a| a.id == id)
            || self.tasks.iter().any(|t| t.id == id)
            || self.users.iter().any(|u| u.id == id)
    }
}

impl WebhookRec {
    fn common(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("id".into(), json!(self.id));
        map.insert("createdAt".into(), json!(self.created_at));
        map.insert("modifiedAt".into(), json!(self.modified_at));
        map.insert("userId".into(), json!(self.user_id));
        map.insert("isAdHoc".into(), json!(self.is_ad_hoc));
        map.insert(
            "isApifyIntegration".into(),
            json!(self.is_apify_integration),
        );
        map.insert("isEnabled".into(), json!(self.is_enabled));
        map.insert("actionType".into(), json!(self.action_type));
        map.insert(
            "shouldInterpolateStrings".into(),
            json!(self.should_interpolate_strings),
        );
        map.insert("eventTypes".into(), json!(self.event_types));
        map.insert("condition".into(), json!(self.condition));
        map.insert("ignoreSslErrors".into(), json!(self.ignore_ssl_errors));
        map.insert("doNotRetry".into(), json!(self.do_not_retry));
        if let Some(url) = &self.request_url {
            map.insert("requestUrl".into(), json!(url));
        }
        map
    }

    /// The full object (`GET /v2/webhooks/{id}`, and what POST and PUT return). Unset optional
    /// fields are left out, as the platform's projection does.
    pub(crate) fn full_json(&self) -> Value {
        let mut map = self.common();
        for (key, value) in [
            ("payloadTemplate", &self.payload_template),
            ("headersTemplate", &self.headers_template),
            ("description", &self.description),
        ] {
            if let Some(value) = value {
                map.insert(key.into(), json!(value));
            }
        }
        map.insert(
            "lastDispatch".into(),
            self.last_dispatch.clone().unwrap_or(Value::Null),
        );
        map.insert("stats".into(), json!(self.stats));
        Value::Object(map)
    }

    /// A list item: no templates; `description` only when `with_description` (the live API
    /// sends it, apify-docs#1538, though `WebhookShort` does not document it).
    pub(crate) fn short_json(&self, with_description: bool) -> Value {
        let mut map = self.common();
        if with_description && let Some(description) = &self.description {
            map.insert("description".into(), json!(description));
        }
        map.insert(
            "lastDispatch".into(),
            self.last_dispatch.clone().unwrap_or(Value::Null),
        );
        map.insert("stats".into(), json!(self.stats));
        Value::Object(map)
    }
}

impl DispatchRec {
    /// The dispatch object; `webhook` summarises the webhook when it still exists.
    pub(crate) fn to_json(&self, webhook: Option<&WebhookRec>) -> Value {
        let summary = webhook.map_or(Value::Null, |w| {
            json!({
                "actionType": w.action_type,
                "condition": w.condition,
                "requestUrl": w.request_url,
                "isAdHoc": w.is_ad_hoc,
            })
        });
        json!({
            "id": self.id,
            "userId": self.user_id,
            "webhookId": self.webhook_id,
            "createdAt": self.created_at,
            "status": self.status,
            "eventType": self.event_type,
            "eventData": self.event_data,
            "webhook": summary,
            "calls": self.calls,
        })
    }
}

impl ActorRec {
    fn stats() -> Value {
        json!({"totalBuilds": 0, "totalRuns": 0, "totalUsers": 1, "totalUsers7Days": 0,
               "totalUsers30Days": 0, "totalUsers90Days": 0, "totalMetamorphs": 0})
    }

    /// The full Actor object (`GET /v2/actors/{id}`).
    pub(crate) fn full_json(&self) -> Value {
        let mut value = json!({
            "id": self.id,
            "userId": self.user_id,
            "name": self.name,
            "username": self.username,
            "description": self.description,
            "isPublic": self.is_public,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "stats": Self::stats(),
            "versions": [],
            "defaultRunOptions": {"build": "latest", "timeoutSecs": 3600, "memoryMbytes": 1024,
                                  "restartOnError": false},
            "title": self.title,
        });
        if let Value::Object(map) = &mut value {
            map.insert("isDeprecated".into(), json!(false));
        }
        value
    }

    /// A list item (`ActorShort`).
    pub(crate) fn short_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("id".into(), json!(self.id));
        map.insert("createdAt".into(), json!(self.created_at));
        map.insert("modifiedAt".into(), json!(self.modified_at));
        map.insert("name".into(), json!(self.name));
        map.insert("username".into(), json!(self.username));
        if let Some(title) = &self.title {
            map.insert("title".into(), json!(title));
        }
        map.insert("stats".into(), Self::stats());
        Value::Object(map)
    }
}

impl TaskRec {
    /// The full task object (`GET /v2/actor-tasks/{id}`).
    pub(crate) fn full_json(&self) -> Value {
        json!({
            "id": self.id,
            "userId": self.user_id,
            "actId": self.act_id,
            "name": self.name,
            "username": self.username,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "removedAt": null,
            "stats": {"totalRuns": 0},
            "options": null,
            "input": null,
            "title": self.title,
        })
    }

    /// A list item (`TaskShort`); `actor` is the task's Actor when it is known.
    pub(crate) fn short_json(&self, actor: Option<&ActorRec>) -> Value {
        json!({
            "id": self.id,
            "userId": self.user_id,
            "actId": self.act_id,
            "actName": actor.map(|a| a.name.clone()),
            "name": self.name,
            "username": self.username,
            "actUsername": actor.map(|a| a.username.clone()),
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "stats": {"totalRuns": 0},
        })
    }
}

impl UserRec {
    /// The private account data (`GET /v2/users/me`).
    pub(crate) fn me_json(&self) -> Value {
        let feature = json!({"isEnabled": true, "disabledReason": null, "disabledReasonType": null,
                             "isTrial": false, "trialExpirationAt": null});
        let features: Map<String, Value> = [
            "ACTORS",
            "STORAGE",
            "SCHEDULER",
            "PROXY",
            "PROXY_EXTERNAL_ACCESS",
            "PROXY_RESIDENTIAL",
            "PROXY_SERPS",
            "WEBHOOKS",
            "ACTORS_PUBLIC_ALL",
            "ACTORS_PUBLIC_DEVELOPER",
        ]
        .into_iter()
        .map(|name| (name.to_owned(), feature.clone()))
        .collect();
        let mut value = json!({
            "id": self.id,
            "username": self.username,
            "profile": {"name": self.name.clone().unwrap_or_else(|| self.username.clone())},
            "plan": {"id": "FREE", "availableProxyGroups": {}, "maxActorCount": 100,
                     "maxActorTaskCount": 1000, "tier": "FREE"},
            "effectivePlatformFeatures": features,
            "createdAt": self.created_at,
            "isPaying": false,
        });
        if let (Some(email), Value::Object(map)) = (&self.email, &mut value) {
            map.insert("email".into(), json!(email));
        }
        value
    }
}

/// `2025-01-01T00:00:00.000Z` for a time in milliseconds since the epoch.
/// Times past the year 9999 (which RFC 3339 cannot write) are written as its last millisecond.
pub(crate) fn format_millis(ms: u64) -> String {
    const LAST_RFC3339_MS: u64 = 253_402_300_799_999;
    let time = UNIX_EPOCH + Duration::from_millis(ms.min(LAST_RFC3339_MS));
    humantime::format_rfc3339_millis(time).to_string()
}

/// Milliseconds since the epoch of an RFC 3339 / ISO 8601 UTC timestamp.
pub(crate) fn parse_millis(text: &str) -> Option<u64> {
    let time = humantime::parse_rfc3339_weak(text.trim_end_matches('Z')).ok()?;
    u64::try_from(time.duration_since(UNIX_EPOCH).ok()?.as_millis()).ok()
}

/// The largest state file the emulator loads, in bytes.
pub(crate) const MAX_STATE_BYTES: u64 = 256 * 1024 * 1024;

/// Writes `bytes` to `path` so that the file is either the old or the new content, never a
/// mix: a temporary file in the same directory, flushed to disk, then renamed over `path`
/// (created with its directory when missing). A symbolic link is written through to the file it
/// names; anything existing that is not a regular file (`/dev/null`) is refused. The file is
/// readable by its owner only: it holds the users' tokens.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)
        .map_err(|err| format!("cannot create the directory {}: {err}", dir.display()))?;
    crate::files::write_private(path, bytes).map_err(|err| err.reason())
}

/// The text of an existing state file, or `None` when there is none yet. Anything but a regular,
/// readable, non-empty UTF-8 file is an error: starting from an empty account instead would
/// lose the state, and the next save would replace whatever the path names.
pub(crate) fn read_state_file(path: &Path) -> Result<Option<String>, String> {
    let bytes = match crate::files::read_bounded(path, MAX_STATE_BYTES) {
        Ok(bytes) => bytes,
        // None yet (a symbolic link to a file yet to be made counts as none).
        Err(err) if err.is_not_found() => return Ok(None),
        Err(err) => return Err(err.reason()),
    };
    let text = String::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_owned())?;
    if text.trim().is_empty() {
        return Err(
            "empty; delete it to start again from the seed, or restore it from a backup".to_owned(),
        );
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_with_milliseconds() {
        assert_eq!(format_millis(1_735_689_600_123), "2025-01-01T00:00:00.123Z");
        assert_eq!(
            parse_millis("2025-01-01T00:00:00.123Z"),
            Some(1_735_689_600_123)
        );
        assert_eq!(
            parse_millis("2025-01-01T00:00:00Z"),
            Some(1_735_689_600_000)
        );
        assert_eq!(parse_millis("yesterday"), None);
        assert_eq!(format_millis(u64::MAX), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn the_clock_never_repeats_or_goes_back() {
        // Far in the future: later changes must still get later timestamps.
        let mut state = State {
            clock_ms: 32_503_680_000_000,
            ..State::default()
        };
        let a = state.tick();
        let b = state.tick();
        assert!(parse_millis(&b) > parse_millis(&a), "{a} {b}");
    }

    #[test]
    fn atomic_write_replaces_the_file_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomically(&path, b"{\"a\":1}").unwrap();
        write_atomically(&path, b"{\"a\":2}").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\":2}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["state.json"]);
    }
}
