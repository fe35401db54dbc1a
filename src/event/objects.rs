//! Run and build objects shaped like the official schemas `Run` and `Build` (every required
//! property, plus the optional ones a real run or build carries), for samples and simulated
//! runs. Times are derived from the event's time: a finished run started a fixed duration
//! before it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

/// How long a simulated run or build ran before it finished, in milliseconds.
const DURATION_MILLIS: u64 = 42_517;

/// The ids of a run and of what it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunIds {
    /// The run's id.
    pub run_id: String,
    /// The Actor that ran.
    pub actor_id: String,
    /// The task that started the run, if one did.
    pub actor_task_id: Option<String>,
    /// The user who started the run.
    pub user_id: String,
    /// The build the run used.
    pub build_id: String,
    /// That build's number, e.g. `0.1.42`.
    pub build_number: String,
    /// The run's default dataset.
    pub default_dataset_id: String,
    /// The run's default key-value store.
    pub default_key_value_store_id: String,
    /// The run's default request queue.
    pub default_request_queue_id: String,
}

impl RunIds {
    /// Ids for a run, the ids of its build and storages derived from the run's id (the same run
    /// id always gives the same storages).
    pub fn derived(run_id: &str, actor_id: &str, task_id: Option<&str>, user_id: &str) -> Self {
        RunIds {
            run_id: run_id.to_owned(),
            actor_id: actor_id.to_owned(),
            actor_task_id: task_id.map(str::to_owned),
            user_id: user_id.to_owned(),
            build_id: derived_id(run_id, "build"),
            build_number: "0.1.42".to_owned(),
            default_dataset_id: derived_id(run_id, "dataset"),
            default_key_value_store_id: derived_id(run_id, "key-value-store"),
            default_request_queue_id: derived_id(run_id, "request-queue"),
        }
    }
}

/// The ids of a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildIds {
    /// The build's id.
    pub build_id: String,
    /// The Actor built.
    pub actor_id: String,
    /// The user who started the build.
    pub user_id: String,
    /// The build's number, e.g. `0.1.42`.
    pub build_number: String,
}

/// A 17-character id in the platform's alphabet, a pure function of `seed` and `what`.
fn derived_id(seed: &str, what: &str) -> String {
    use sha2::{Digest, Sha256};
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let digest = Sha256::digest(format!("{what}:{seed}").as_bytes());
    digest
        .iter()
        .take(17)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

fn parse_time(text: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(text.trim_end_matches('Z')).ok()
}

fn format_time(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

/// Seconds since the epoch of an ISO 8601 time, 0 when it does not parse.
pub(super) fn unix_seconds(text: &str) -> u64 {
    parse_time(text)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

/// `(startedAt, finishedAt)` of a job with `status` whose event happens at `now`: a finished
/// job started [`DURATION_MILLIS`] earlier; one still going started at `now` and has no end.
fn times(status: &str, now: &str) -> (String, Option<String>, u64) {
    if is_finished(status) {
        let started = parse_time(now).map_or_else(
            || now.to_owned(),
            |t| format_time(t - Duration::from_millis(DURATION_MILLIS)),
        );
        (started, Some(now.to_owned()), DURATION_MILLIS)
    } else {
        (now.to_owned(), None, 0)
    }
}

fn is_finished(status: &str) -> bool {
    matches!(status, "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED-OUT")
}

fn status_message(status: &str, what: &str) -> Value {
    match status {
        "READY" => json!(format!("Starting the {what}")),
        "RUNNING" => json!(format!("The {what} is running")),
        "SUCCEEDED" => json!(format!("The {what} finished successfully")),
        "FAILED" => json!(format!("The {what} failed")),
        "ABORTED" => json!(format!("The {what} was aborted")),
        "TIMED-OUT" => json!(format!("The {what} timed out")),
        _ => Value::Null,
    }
}

#[allow(clippy::cast_precision_loss)]
fn seconds(millis: u64) -> f64 {
    millis as f64 / 1000.0
}

/// A run object (the schema `Run`) with the given ids and status, its event at `now`.
pub fn run_object(ids: &RunIds, status: &str, now: &str) -> Value {
    let (started, finished, millis) = times(status, now);
    let mut run = Map::new();
    let mut put = |k: &str, v: Value| {
        run.insert(k.to_owned(), v);
    };
    put("id", json!(ids.run_id));
    put("actId", json!(ids.actor_id));
    put("userId", json!(ids.user_id));
    if let Some(task) = &ids.actor_task_id {
        put("actorTaskId", json!(task));
    }
    put("startedAt", json!(started));
    put("finishedAt", json!(finished));
    put("status", json!(status));
    put("statusMessage", status_message(status, "run"));
    put("isStatusMessageTerminal", json!(is_finished(status)));
    put(
        "meta",
        json!({ "origin": "API", "userAgent": "ApifyClient/2.9.0 (linux; Node/20.11.0)" }),
    );
    put(
        "stats",
        json!({
            "inputBodyLen": 240,
            "migrationCount": 0,
            "rebootCount": 0,
            "restartCount": 0,
            "resurrectCount": 0,
            "memAvgBytes": 267_874_071.9,
            "memMaxBytes": 404_713_472,
            "memCurrentBytes": 0,
            "cpuAvgUsage": 33.753_210_110_753_8,
            "cpuMaxUsage": 169.650_735_534_941,
            "cpuCurrentUsage": 0,
            "netRxBytes": 103_508_042,
            "netTxBytes": 4_854_600,
            "durationMillis": millis,
            "runTimeSecs": seconds(millis),
            "metamorph": 0,
            "computeUnits": if millis == 0 { 0.0 } else { 0.011_81 },
        }),
    );
    put(
        "options",
        json!({ "build": "latest", "timeoutSecs": 3600, "memoryMbytes": 1024, "diskMbytes": 2048 }),
    );
    put("buildId", json!(ids.build_id));
    put(
        "exitCode",
        match status {
            "SUCCEEDED" => json!(0),
            "FAILED" => json!(1),
            _ => Value::Null,
        },
    );
    put(
        "defaultKeyValueStoreId",
        json!(ids.default_key_value_store_id),
    );
    put("defaultDatasetId", json!(ids.default_dataset_id));
    put("defaultRequestQueueId", json!(ids.default_request_queue_id));
    put(
        "storageIds",
        json!({
            "datasets": { "default": ids.default_dataset_id },
            "keyValueStores": { "default": ids.default_key_value_store_id },
            "requestQueues": { "default": ids.default_request_queue_id },
        }),
    );
    put("buildNumber", json!(ids.build_number));
    put(
        "containerUrl",
        json!(format!(
            "https://{}.runs.apify.net",
            ids.run_id.to_lowercase()
        )),
    );
    put("generalAccess", json!("FOLLOW_USER_SETTING"));
    put(
        "usageTotalUsd",
        json!(if millis == 0 { 0.0 } else { 0.004_724 }),
    );
    put("platformUsageBillingModel", json!("USER"));
    Value::Object(run)
}

/// A build object (the schema `Build`) with the given ids and status, its event at `now`.
pub fn build_object(ids: &BuildIds, status: &str, now: &str) -> Value {
    let (started, finished, millis) = times(status, now);
    json!({
        "id": ids.build_id,
        "actId": ids.actor_id,
        "userId": ids.user_id,
        "startedAt": started,
        "finishedAt": finished,
        "status": status,
        "meta": { "origin": "API", "clientIp": "172.234.12.34", "userAgent": "ApifyClient/2.9.0 (linux; Node/20.11.0)" },
        "stats": {
            "durationMillis": millis,
            "runTimeSecs": seconds(millis),
            "computeUnits": if millis == 0 { 0.0 } else { 0.011_81 },
        },
        "options": { "useCache": true, "betaPackages": false, "memoryMbytes": 4096, "diskMbytes": 8192 },
        "usageTotalUsd": if millis == 0 { 0.0 } else { 0.004_724 },
        "buildNumber": ids.build_number,
        "actVersion": { "sourceType": "SOURCE_FILES", "buildTag": "latest", "versionNumber": "0.1" },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_run_started_before_its_event_and_ended_at_it() {
        let ids = RunIds::derived("RUN", "ACT", None, "USER");
        let run = run_object(&ids, "SUCCEEDED", "2026-01-15T10:24:31.512Z");
        assert_eq!(run["startedAt"], "2026-01-15T10:23:48.995Z");
        assert_eq!(run["finishedAt"], "2026-01-15T10:24:31.512Z");
        assert_eq!(run["stats"]["durationMillis"], 42_517);
        let running = run_object(&ids, "RUNNING", "2026-01-15T10:24:31.512Z");
        assert_eq!(running["startedAt"], "2026-01-15T10:24:31.512Z");
        assert!(running["finishedAt"].is_null());
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let a = RunIds::derived("RUN", "ACT", None, "USER");
        assert_eq!(a, RunIds::derived("RUN", "ACT", None, "USER"));
        assert_eq!(a.default_dataset_id.len(), 17);
        assert_ne!(a.default_dataset_id, a.default_key_value_store_id);
        assert_ne!(
            a.default_dataset_id,
            RunIds::derived("RUN2", "ACT", None, "USER").default_dataset_id
        );
    }
}
