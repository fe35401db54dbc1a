//! The platform's event model: what happened (an [`EventType`]), its event data and the resource
//! it is about, and the one implementation that turns a webhook's templates and an event into the
//! HTTP request the platform sends ([`render`]). `preview` renders with a [`sample`] event; the
//! emulator's delivery renders with [`event_for`] a simulated run or build. Both therefore send
//! the same bytes for the same event.
//!
//! Event data follows the platform's documentation: run events (`ACTOR.RUN.*`) carry `actorId`,
//! `actorTaskId` (only when a task started the run) and `actorRunId`; build events
//! (`ACTOR.BUILD.*`) carry `actorId` and `actorBuildId`. The resource is the run object or the
//! build object, shaped like the official schemas `Run` and `Build` ([`fields`] lists their
//! properties). Imports `webhook`, `template` and `diagnostic` only.

pub mod fields;
mod objects;
pub mod placeholders;
mod request;

use serde::Serialize;
use serde_json::{Map, Value, json};

pub use crate::webhook::EventType;
use crate::webhook::TargetKind;
pub use objects::{BuildIds, RunIds, build_object, run_object};
pub use placeholders::{Family, Unresolved, unresolved};
pub use request::{
    DEFAULT_PAYLOAD_TEMPLATE, REQUEST_ORIGIN, RenderError, RequestTemplate, WebhookRequest, render,
};

/// One event as the platform sends it: `eventType`, `createdAt`, `userId`, `eventData`,
/// `resource`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The event type's API name, e.g. `ACTOR.RUN.SUCCEEDED` (or `TEST` for test dispatches).
    pub event_type: String,
    /// When the event happened, an ISO 8601 date with milliseconds (`2026-01-15T10:24:31.512Z`).
    pub created_at: String,
    /// The user who owns the webhook.
    pub user_id: String,
    /// The event's data: ids of the Actor, task, run or build (see the module docs).
    pub event_data: Value,
    /// The run or build object the event is about.
    pub resource: Value,
}

impl Event {
    /// The variables a template can use, as the platform provides them: the event's fields and
    /// `globals` (`dateISO`, `dateUnix` of the event).
    pub fn context(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("userId".into(), Value::String(self.user_id.clone()));
        map.insert("createdAt".into(), Value::String(self.created_at.clone()));
        map.insert("eventType".into(), Value::String(self.event_type.clone()));
        map.insert("eventData".into(), self.event_data.clone());
        map.insert("resource".into(), self.resource.clone());
        let unix = objects::unix_seconds(&self.created_at);
        map.insert(
            "globals".into(),
            json!({ "dateISO": self.created_at, "dateUnix": unix }),
        );
        map
    }
}

/// The ids an event is about: a run (of an Actor, maybe started through a task) or a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventIds {
    /// A run: for `ACTOR.RUN.*` events.
    Run(RunIds),
    /// A build: for `ACTOR.BUILD.*` events.
    Build(BuildIds),
}

/// The status a run or build has when the platform fires `event_type`.
pub fn status_for(event_type: EventType) -> &'static str {
    match event_type {
        EventType::RunCreated | EventType::BuildCreated => "READY",
        EventType::RunResurrected => "RUNNING",
        EventType::RunSucceeded | EventType::BuildSucceeded => "SUCCEEDED",
        EventType::RunFailed | EventType::BuildFailed => "FAILED",
        EventType::RunAborted | EventType::BuildAborted => "ABORTED",
        EventType::RunTimedOut | EventType::BuildTimedOut => "TIMED-OUT",
    }
}

/// The event data of a run event: `actorId`, `actorTaskId` when a task started the run, then
/// `actorRunId`.
pub fn run_event_data(ids: &RunIds) -> Value {
    let mut data = Map::new();
    data.insert("actorId".into(), Value::String(ids.actor_id.clone()));
    if let Some(task) = &ids.actor_task_id {
        data.insert("actorTaskId".into(), Value::String(task.clone()));
    }
    data.insert("actorRunId".into(), Value::String(ids.run_id.clone()));
    Value::Object(data)
}

/// The event data of a build event: `actorId` and `actorBuildId`.
pub fn build_event_data(ids: &BuildIds) -> Value {
    json!({ "actorId": ids.actor_id, "actorBuildId": ids.build_id })
}

/// The event for `event_type` about the run or build in `ids`, happening at `now` (ISO 8601),
/// for a webhook owned by `user_id`. The resource's status follows the event type
/// ([`status_for`]). Ids of the wrong kind for the event type (a build for a run event) are
/// used as they are: the event data and resource follow `ids`, the type follows `event_type`.
pub fn event_for(event_type: EventType, ids: &EventIds, now: &str, user_id: &str) -> Event {
    let status = status_for(event_type);
    let (event_data, resource) = match ids {
        EventIds::Run(run) => (run_event_data(run), run_object(run, status, now)),
        EventIds::Build(build) => (build_event_data(build), build_object(build, status, now)),
    };
    Event {
        event_type: event_type.as_str().to_owned(),
        created_at: now.to_owned(),
        user_id: user_id.to_owned(),
        event_data,
        resource,
    }
}

/// What a sample event is about: the webhook's target, with its ids when the manifest gives
/// them (a name such as `janedoe~my-actor` is not an id; samples use realistic ids instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleTarget {
    /// An Actor or a task.
    pub kind: TargetKind,
    /// The Actor's id, when known.
    pub actor_id: Option<String>,
    /// The task's id, when the target is a task and its id is known.
    pub task_id: Option<String>,
}

/// The user id of sample events.
pub const SAMPLE_USER_ID: &str = "abf6vtB2nvQZ4nJzo";
/// The time of sample events.
pub const SAMPLE_TIME: &str = "2026-01-15T10:24:31.512Z";
const SAMPLE_ACTOR_ID: &str = "fW4MyDhgwtMLrB987";
const SAMPLE_TASK_ID: &str = "KJHSKHausidyaJKHs";
const SAMPLE_RUN_ID: &str = "uPBN9qaKd2iLs5naZ";
const SAMPLE_BUILD_ID: &str = "HG7ML7M8z78YcAPEB";

/// A realistic sample event for `preview`: fixed ids and time (so previews are reproducible),
/// the target's ids where known. A task's run carries `actorTaskId`; build events are about the
/// Actor whatever the target.
pub fn sample(event_type: EventType, target: &SampleTarget) -> Event {
    let actor_id = target
        .actor_id
        .clone()
        .unwrap_or_else(|| SAMPLE_ACTOR_ID.to_owned());
    let ids = if event_type.is_build() {
        EventIds::Build(BuildIds {
            build_id: SAMPLE_BUILD_ID.to_owned(),
            actor_id,
            user_id: SAMPLE_USER_ID.to_owned(),
            build_number: "0.1.42".to_owned(),
        })
    } else {
        let task = (target.kind == TargetKind::Task).then(|| {
            target
                .task_id
                .clone()
                .unwrap_or_else(|| SAMPLE_TASK_ID.to_owned())
        });
        EventIds::Run(RunIds::derived(
            SAMPLE_RUN_ID,
            &actor_id,
            task.as_deref(),
            SAMPLE_USER_ID,
        ))
    };
    event_for(event_type, &ids, SAMPLE_TIME, SAMPLE_USER_ID)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor() -> SampleTarget {
        SampleTarget {
            kind: TargetKind::Actor,
            actor_id: Some("ACTOR123456789012".into()),
            task_id: None,
        }
    }

    #[test]
    fn run_events_carry_actor_and_run_ids_and_the_task_only_when_a_task_started_the_run() {
        let e = sample(EventType::RunSucceeded, &actor());
        assert_eq!(
            e.event_data,
            json!({"actorId": "ACTOR123456789012", "actorRunId": SAMPLE_RUN_ID})
        );
        assert_eq!(e.resource["status"], "SUCCEEDED");
        assert_eq!(e.resource["id"], SAMPLE_RUN_ID);
        assert!(e.resource.get("actorTaskId").is_none());

        let task = SampleTarget {
            kind: TargetKind::Task,
            actor_id: None,
            task_id: Some("TASK1234567890123".into()),
        };
        let e = sample(EventType::RunFailed, &task);
        assert_eq!(
            e.event_data,
            json!({"actorId": SAMPLE_ACTOR_ID, "actorTaskId": "TASK1234567890123", "actorRunId": SAMPLE_RUN_ID})
        );
        assert_eq!(e.resource["actorTaskId"], "TASK1234567890123");
        assert_eq!(e.resource["status"], "FAILED");
    }

    #[test]
    fn build_events_carry_actor_and_build_ids_and_a_build_resource() {
        let e = sample(EventType::BuildTimedOut, &actor());
        assert_eq!(
            e.event_data,
            json!({"actorId": "ACTOR123456789012", "actorBuildId": SAMPLE_BUILD_ID})
        );
        assert_eq!(e.resource["status"], "TIMED-OUT");
        assert_eq!(e.resource["buildNumber"], "0.1.42");
        assert!(e.resource.get("defaultDatasetId").is_none());
    }

    #[test]
    fn every_event_type_has_its_status() {
        for t in EventType::ALL {
            let e = sample(t, &actor());
            assert_eq!(e.event_type, t.as_str());
            assert_eq!(e.resource["status"], status_for(t));
            let finished = !matches!(status_for(t), "READY" | "RUNNING");
            assert_eq!(e.resource["finishedAt"].is_string(), finished, "{t}");
        }
    }

    #[test]
    fn the_context_has_globals_of_the_event_time() {
        let e = sample(EventType::RunCreated, &actor());
        let c = e.context();
        assert_eq!(c["globals"]["dateISO"], SAMPLE_TIME);
        assert_eq!(c["globals"]["dateUnix"], 1_768_472_671);
        assert_eq!(c["userId"], SAMPLE_USER_ID);
    }
}
