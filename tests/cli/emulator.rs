//! The emulator as an API: envelopes, status codes and error types, short list items,
//! idempotent creates, the webhook cap, partial PUT, isolation, `?token=`, the legacy
//! `/v2/acts` prefix, admin routes, the atomic state file, and the `emulator` subcommand as a
//! real process.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use apify_webhooks::emulator::{
    DeletedKeys, Emulator, EmulatorConfig, EmulatorError, Faults, SeedSource,
};
use apify_webhooks::platform::Platform;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::emulator::{OTHER_TOKEN, TOKEN, client, config, http, start};
use crate::support::{LEAK_MARKER_ENV, leak_marker, leaked_after, marked_processes};

/// A raw request with the acme token; returns status and JSON body (`Null` when empty).
async fn call(
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http()
        .request(method, format!("{base}{path}"))
        .bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, value)
}

fn error_of(body: &Value) -> (&str, &str) {
    (
        body["error"]["type"].as_str().unwrap(),
        body["error"]["message"].as_str().unwrap(),
    )
}

async fn actor_id(base: &str, name: &str) -> String {
    let (_, body) = call(
        base,
        reqwest::Method::GET,
        &format!("/v2/actors/{name}"),
        None,
    )
    .await;
    body["data"]["id"].as_str().unwrap().to_owned()
}

fn webhook(actor_id: &str) -> Value {
    json!({"eventTypes": ["ACTOR.RUN.FAILED"], "condition": {"actorId": actor_id},
           "requestUrl": "https://example.com/hook", "description": "d",
           "payloadTemplate": "{\"x\": {{resource}}}"})
}

#[tokio::test]
async fn authentication_errors_and_query_tokens() {
    let emulator = start(config()).await;
    let base = emulator.base_url();
    let response = http()
        .get(format!("{base}/v2/webhooks"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_of(&body).0, "token-not-provided");
    let response = http()
        .get(format!("{base}/v2/webhooks"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        error_of(&response.json::<Value>().await.unwrap()).0,
        "invalid-token"
    );

    // `?token=` works as on the platform, and the log never records its value.
    let response = http()
        .get(format!("{base}/v2/users/me?token={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let entry = emulator.request_log().pop().unwrap();
    assert_eq!(entry.auth, "query");
    assert_eq!(entry.user.as_deref(), Some("acme"));
    assert_eq!(entry.query.as_deref(), Some("token=%28redacted%29"));
    assert!(!serde_json::to_string(&entry).unwrap().contains(TOKEN));
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn routing_errors_use_the_envelope() {
    let emulator = start(config()).await;
    let base = emulator.base_url();
    let (status, body) = call(base, reqwest::Method::PATCH, "/v2/webhooks", None).await;
    assert_eq!(status, 405);
    assert_eq!(error_of(&body).0, "method-not-allowed");
    assert!(error_of(&body).1.ends_with("OPTIONS,GET,POST"), "{body}");
    let (status, body) = call(base, reqwest::Method::GET, "/v2/no-such-thing", None).await;
    assert_eq!(
        (status, error_of(&body).0),
        (StatusCode::NOT_FOUND, "page-not-found")
    );
    let (status, body) = call(base, reqwest::Method::GET, "/v2/actors/acme~missing", None).await;
    assert_eq!(
        (status, error_of(&body).0),
        (StatusCode::NOT_FOUND, "actor-not-found")
    );
    let (status, body) = call(base, reqwest::Method::GET, "/v2/webhooks/Nope", None).await;
    assert_eq!(
        (status, error_of(&body).0),
        (StatusCode::NOT_FOUND, "record-not-found")
    );
    let (status, _) = call(base, reqwest::Method::GET, "/v2/webhooks?limit=x", None).await;
    assert_eq!(status, 400);
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn create_bodies_are_validated() {
    let emulator = start(config()).await;
    let base = emulator.base_url();
    let id = actor_id(base, "acme~web-scraper").await;
    let post = |body: Value| call(base, reqwest::Method::POST, "/v2/webhooks", Some(body));
    let mut bad_events = webhook(&id);
    bad_events["eventTypes"] = json!(["ACTOR.RUN.EXPLODED"]);
    let mut two_targets = webhook(&id);
    two_targets["condition"]["actorTaskId"] = json!("x");
    let mut bad_template = webhook(&id);
    bad_template["payloadTemplate"] = json!("{\"a\": {{secrets}}}");
    for body in [json!([1]), bad_events, two_targets, bad_template] {
        let (status, response) = post(body.clone()).await;
        assert_eq!(status, 400, "{body}: {response}");
        assert!(error_of(&response).0.starts_with("invalid-"), "{response}");
    }
    // Conditions take IDs only, of an Actor the caller can see.
    let mut by_name = webhook(&id);
    by_name["condition"]["actorId"] = json!("acme~web-scraper");
    let (status, response) = post(by_name).await;
    assert_eq!(
        (status, error_of(&response).0),
        (StatusCode::NOT_FOUND, "actor-not-found")
    );
    let secret = {
        let api = client(&emulator, OTHER_TOKEN);
        api.get_actor("other/secret-actor")
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let (status, _) = post(webhook(&secret)).await;
    assert_eq!(status, 404, "another user's private Actor is invisible");
    // A public Actor is fine.
    let public = actor_id(base, "apify~web-scraper").await;
    let (status, _) = post(webhook(&public)).await;
    assert_eq!(status, 201);

    let response = http()
        .post(format!("{base}/v2/webhooks"))
        .bearer_auth(TOKEN)
        .header("content-type", "text/plain")
        .body(webhook(&id).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn creates_are_idempotent_per_user_and_capped() {
    let emulator = start(EmulatorConfig {
        max_webhooks_per_user: 6,
        ..config()
    })
    .await;
    let base = emulator.base_url();
    let id = actor_id(base, "acme~web-scraper").await;
    let mut body = webhook(&id);
    body["idempotencyKey"] = json!("key-1");
    let (status, first) = call(
        base,
        reqwest::Method::POST,
        "/v2/webhooks",
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 201);
    assert!(
        first["data"].get("idempotencyKey").is_none(),
        "the key is write-only"
    );
    body["description"] = json!("a different body is ignored");
    let (_, again) = call(
        base,
        reqwest::Method::POST,
        "/v2/webhooks",
        Some(body.clone()),
    )
    .await;
    assert_eq!(again["data"], first["data"]);

    // acme has 4 seeded + 1 created; the cap of 6 allows one more.
    body["idempotencyKey"] = json!("key-2");
    let (status, _) = call(
        base,
        reqwest::Method::POST,
        "/v2/webhooks",
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 201);
    body["idempotencyKey"] = json!("key-3");
    let (status, response) = call(
        base,
        reqwest::Method::POST,
        "/v2/webhooks",
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        (status, error_of(&response).0),
        (StatusCode::FORBIDDEN, "too-many-webhooks")
    );
    // A repeat of an existing key still answers at the cap.
    body["idempotencyKey"] = json!("key-1");
    let (status, _) = call(base, reqwest::Method::POST, "/v2/webhooks", Some(body)).await;
    assert_eq!(status, 201);
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn put_is_a_partial_update() {
    let emulator = start(config()).await;
    let base = emulator.base_url();
    let id = actor_id(base, "acme~web-scraper").await;
    let (_, created) = call(
        base,
        reqwest::Method::POST,
        "/v2/webhooks",
        Some(webhook(&id)),
    )
    .await;
    let hook = created["data"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v2/webhooks/{hook}");

    // The Python client sends `condition: {}` with every update: it changes nothing.
    let (status, updated) = call(
        base,
        reqwest::Method::PUT,
        &path,
        Some(json!({"doNotRetry": true, "condition": {}})),
    )
    .await;
    assert_eq!(status, 200);
    let data = &updated["data"];
    assert_eq!(data["doNotRetry"], true);
    assert_eq!(data["description"], "d");
    assert_eq!(data["payloadTemplate"], "{\"x\": {{resource}}}");
    assert_eq!(data["condition"], json!({"actorId": id}));
    assert!(data["modifiedAt"].as_str() > created["data"]["modifiedAt"].as_str());

    // `null` clears a clearable field.
    let (_, cleared) = call(
        base,
        reqwest::Method::PUT,
        &path,
        Some(json!({"description": null, "payloadTemplate": null})),
    )
    .await;
    assert!(cleared["data"].get("description").is_none());
    assert!(cleared["data"].get("payloadTemplate").is_none());
    assert_eq!(cleared["data"]["requestUrl"], "https://example.com/hook");

    let (status, response) = call(
        base,
        reqwest::Method::PUT,
        &path,
        Some(json!({"id": "other"})),
    )
    .await;
    assert_eq!(
        (status, error_of(&response).0),
        (StatusCode::BAD_REQUEST, "id-does-not-match")
    );
    let (status, response) = call(
        base,
        reqwest::Method::PUT,
        &path,
        Some(json!({"eventTypes": "x"})),
    )
    .await;
    assert_eq!(
        (status, error_of(&response).0),
        (StatusCode::BAD_REQUEST, "invalid-input")
    );
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn lists_use_the_short_form_and_paginate() {
    let emulator = start(config()).await;
    let base = emulator.base_url();
    let (_, all) = call(base, reqwest::Method::GET, "/v2/webhooks", None).await;
    let data = &all["data"];
    assert_eq!(
        (
            data["total"].as_u64(),
            data["count"].as_u64(),
            data["limit"].as_u64()
        ),
        (Some(4), Some(4), Some(1000))
    );
    let items = data["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .all(|i| i.get("payloadTemplate").is_none() && i.get("headersTemplate").is_none())
    );
    assert_eq!(
        items[0]["description"], "made in the Console",
        "the live API lists descriptions"
    );
    let slack = items
        .iter()
        .find(|i| i["actionType"] == "SLACK_MESSAGE")
        .unwrap();
    assert!(
        slack.get("requestUrl").is_none(),
        "non-HTTP webhooks have no requestUrl"
    );

    let (_, page) = call(
        base,
        reqwest::Method::GET,
        "/v2/webhooks?offset=1&limit=2&desc=1",
        None,
    )
    .await;
    let page = &page["data"];
    assert_eq!(
        (
            page["offset"].as_u64(),
            page["count"].as_u64(),
            page["desc"].as_bool()
        ),
        (Some(1), Some(2), Some(true))
    );
    assert_eq!(page["items"][0]["id"], items[2]["id"]);

    let (_, scoped) = call(
        base,
        reqwest::Method::GET,
        "/v2/acts/acme~web-scraper/webhooks",
        None,
    )
    .await;
    assert_eq!(
        scoped["data"]["total"], 1,
        "the legacy prefix works and filters by Actor"
    );
    let (_, scoped) = call(
        base,
        reqwest::Method::GET,
        "/v2/actor-tasks/~daily-crawl/webhooks",
        None,
    )
    .await;
    assert_eq!(
        scoped["data"]["total"], 1,
        "`~name` is the caller's own task"
    );
    let (_, everything) = call(base, reqwest::Method::GET, "/v2/actors", None).await;
    assert_eq!(
        everything["data"]["total"], 3,
        "without my=1: the Actors acme created or used, not every public one"
    );

    let quiet = start(EmulatorConfig {
        list_descriptions: false,
        ..config()
    })
    .await;
    let (_, all) = call(quiet.base_url(), reqwest::Method::GET, "/v2/webhooks", None).await;
    assert!(
        all["data"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i.get("description").is_none())
    );
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn admin_routes_show_and_steer_the_emulator() {
    let emulator = start(config()).await;
    let base = emulator.base_url();
    call(base, reqwest::Method::GET, "/v2/users/me", None).await;
    let log: Value = http()
        .get(format!("{base}/_emulator/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log["count"], 1);
    assert_eq!(log["items"][0]["path"], "/v2/users/me");
    assert_eq!(
        http()
            .delete(format!("{base}/_emulator/requests"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert!(
        emulator.request_log().is_empty(),
        "admin requests are not logged"
    );

    let faults = json!({"maxPageSize": 1, "script": [503]});
    let response = http()
        .put(format!("{base}/_emulator/faults"))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = http()
        .post(format!("{base}/_emulator/faults/inject"))
        .json(&json!(["drop"]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!(["503", "drop"])
    );
    assert_eq!(emulator.faults().max_page_size, Some(1));
    let bad = http()
        .put(format!("{base}/_emulator/faults"))
        .json(&json!({"errorRate": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let state: Value = http()
        .get(format!("{base}/_emulator/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["version"], 1);
    assert_eq!(state["webhooks"].as_array().unwrap().len(), 5);
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn the_state_file_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let with_state = || EmulatorConfig {
        state_file: Some(state.clone()),
        ..config()
    };

    let first = start(with_state()).await;
    let api = client(&first, TOKEN);
    let actor = api.get_actor("acme/price-monitor").await.unwrap().unwrap();
    let body = apify_webhooks::platform::WebhookCreate {
        event_types: vec!["ACTOR.RUN.SUCCEEDED".to_owned()],
        condition: apify_webhooks::platform::Condition {
            actor_id: Some(actor.id),
            ..Default::default()
        },
        request_url: "https://example.com/persisted".to_owned(),
        idempotency_key: Some("persist-1".to_owned()),
        ..Default::default()
    };
    let created = api.create_webhook(&body).await.unwrap();
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert!(
        saved["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["id"] == created.id.as_str())
    );
    first.shutdown().await;

    // The seed is ignored once the state file exists: a different seed changes nothing.
    let second = start(EmulatorConfig {
        seed: SeedSource::Default,
        ..with_state()
    })
    .await;
    let api = client(&second, TOKEN);
    let again = api
        .get_webhook(&created.id)
        .await
        .unwrap()
        .expect("the webhook survived");
    assert_eq!(
        again.request_url.as_deref(),
        Some("https://example.com/persisted")
    );
    assert_eq!(again.created_at, created.created_at);
    assert_eq!(
        api.create_webhook(&body).await.unwrap().id,
        created.id,
        "idempotency keys too"
    );
    assert_eq!(
        client(&second, OTHER_TOKEN)
            .list_webhooks()
            .await
            .unwrap()
            .len(),
        1
    );
    second.shutdown().await;

    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["state.json"], "no temporary files are left behind");
}

#[tokio::test]
async fn bad_configurations_are_refused() {
    let not_loopback = EmulatorConfig {
        listen: "0.0.0.0:0".parse().unwrap(),
        ..config()
    };
    assert!(matches!(
        Emulator::start(not_loopback).await,
        Err(EmulatorError::NotLoopback(_))
    ));
    let faults = Faults {
        drop_rate: 2.0,
        ..Faults::default()
    };
    assert!(matches!(
        Emulator::start(EmulatorConfig { faults, ..config() }).await,
        Err(EmulatorError::Faults(_))
    ));
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::write(&state, "{torn").unwrap();
    let broken = EmulatorConfig {
        state_file: Some(state),
        ..config()
    };
    assert!(matches!(
        Emulator::start(broken).await,
        Err(EmulatorError::State { .. })
    ));
}

/// Kills the child when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_emulator_subcommand_prints_its_address_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let marker = leak_marker("emulator-subcommand");
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_apify-webhooks"))
            .args([
                "emulator",
                "--exit-with-parent",
                "--port",
                "0",
                "--max-page-size",
                "1",
            ])
            .arg("--state")
            .arg(&state)
            .env_remove("APIFY_WEBHOOKS_LOG")
            .env(LEAK_MARKER_ENV, &marker)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    let url = line
        .trim()
        .strip_prefix("Listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"));
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let url = apify_webhooks::platform::ApiBaseUrl::parse(url).unwrap();
    let mut config = apify_webhooks::platform::ClientConfig::new(
        url,
        apify_webhooks::platform::ApiToken::new(TOKEN).unwrap(),
    );
    config.retry = crate::support::emulator::fast_retry();
    let api = apify_webhooks::platform::ApifyClient::new(config).unwrap();
    assert_eq!(
        api.current_user().await.unwrap().username.as_deref(),
        Some("acme")
    );
    assert_eq!(
        api.list_actors().await.unwrap().len(),
        3,
        "the default seed, one Actor per page"
    );
    assert!(state.is_file(), "the state file is written at start");

    // SIGTERM stops it cleanly.
    let pid = child.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || {
        let mut child = child;
        child.0.wait()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(status.success(), "exit status {status:?}");
    let leaked = leaked_after(&marker, std::time::Duration::from_secs(10));
    assert!(leaked.is_empty(), "left running: {leaked:?}");
}

/// With `--exit-with-parent`, an emulator whose parent is killed outright (no chance to stop
/// it) stops by itself instead of running on under PID 1 (issue 16 item 15).
#[test]
fn an_emulator_started_with_exit_with_parent_stops_when_its_parent_is_killed() {
    let marker = leak_marker("exit-with-parent");
    let mut parent = Command::new("sh")
        .args([
            "-c",
            r#""$0" emulator --port 0 --exit-with-parent & echo "$!"; wait"#,
            env!("CARGO_BIN_EXE_apify-webhooks"),
        ])
        .env(LEAK_MARKER_ENV, &marker)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The shell prints the emulator's PID, then the emulator its address: it is serving (and
    // knows its parent) before the parent dies.
    let mut lines = BufReader::new(parent.stdout.take().unwrap()).lines();
    let emulator: u32 = lines.next().unwrap().unwrap().trim().parse().unwrap();
    let listening = lines.next().unwrap().unwrap();
    assert!(listening.starts_with("Listening on "), "{listening}");
    // Both run: the shell and the emulator it started.
    let running = marked_processes(&marker);
    if let Some(running) = &running {
        assert!(running.contains(&emulator), "{running:?} holds {emulator}");
    }
    parent.kill().unwrap();
    parent.wait().unwrap();
    let leaked = leaked_after(&marker, std::time::Duration::from_secs(20));
    assert!(
        leaked.is_empty(),
        "left running after its parent died: {leaked:?}"
    );
}

#[tokio::test]
async fn a_deleted_webhook_s_idempotency_key_is_forgotten_or_replayed_as_configured() {
    for mode in [DeletedKeys::Forget, DeletedKeys::Replay] {
        let emulator = start(config()).await;
        let base = emulator.base_url();
        assert_eq!(emulator.deleted_keys(), DeletedKeys::Forget, "the default");
        // The admin route switches it, as the handle and `--deleted-webhook-keys` do.
        let response = http()
            .put(format!("{base}/_emulator/settings"))
            .json(&json!({"deletedWebhookKeys": mode.to_string()}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(emulator.deleted_keys(), mode);

        let id = actor_id(base, "acme~web-scraper").await;
        let mut body = webhook(&id);
        body["idempotencyKey"] = json!("key-1");
        let post = || {
            call(
                base,
                reqwest::Method::POST,
                "/v2/webhooks",
                Some(body.clone()),
            )
        };
        let (_, first) = post().await;
        let first_id = first["data"]["id"].as_str().unwrap().to_owned();
        let path = format!("/v2/webhooks/{first_id}");
        let (status, _) = call(base, reqwest::Method::DELETE, &path, None).await;
        assert_eq!(status, 204);

        let (status, again) = post().await;
        assert_eq!(status, 201, "{mode}");
        let again_id = again["data"]["id"].as_str().unwrap();
        let (read, _) = call(
            base,
            reqwest::Method::GET,
            &format!("/v2/webhooks/{again_id}"),
            None,
        )
        .await;
        match mode {
            DeletedKeys::Forget => {
                assert_ne!(again_id, first_id, "a new webhook");
                assert_eq!(read, 200);
            }
            DeletedKeys::Replay => {
                assert_eq!(again["data"], first["data"], "the deleted record");
                assert_eq!(read, 404, "which does not exist");
            }
        }
        crate::contract::assert_log_matches_spec(&emulator);
    }
}

/// Sends `request` as it is on a new connection and reads the answer to the end (the server
/// closes the connection): status, content type and JSON body.
async fn raw(base: &str, request: Vec<u8>) -> (u16, String, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(&request).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("the server answers and closes")
    .unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("{answer}"));
    let status = head[9..12].parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"));
    (status, content_type, body)
}

#[tokio::test]
async fn malformed_requests_are_answered_in_the_envelope() {
    let emulator = start(config()).await;
    let base = emulator.base_url();
    let head = |target: &str, extra: &str| {
        format!(
            "GET {target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n{extra}Connection: close\r\n\r\n"
        )
        .into_bytes()
    };
    let long_uri = format!("/v2/webhooks?x={}", "a".repeat(70_000));
    let many_headers: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    let bad_chunk = format!(
        "POST /v2/webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n"
    )
    .into_bytes();
    for (what, request, status, kind) in [
        (
            "an ID that is not UTF-8",
            head("/v2/webhooks/%FF%FE", ""),
            400,
            "invalid-request",
        ),
        (
            "a URI over 64 KiB",
            head(&long_uri, ""),
            414,
            "invalid-request",
        ),
        (
            "150 headers",
            head("/v2/webhooks", &many_headers),
            431,
            "invalid-header",
        ),
        ("a bad chunk size", bad_chunk, 400, "invalid-request"),
    ] {
        let (got, content_type, body) = raw(base, request).await;
        assert_eq!(got, status, "{what}: {body}");
        assert!(
            content_type.starts_with("application/json"),
            "{what}: {content_type}"
        );
        assert_eq!(error_of(&body).0, kind, "{what}: {body}");
        assert!(!error_of(&body).1.is_empty(), "{what}");
    }
    // The server still serves.
    let (status, _) = call(base, reqwest::Method::GET, "/v2/webhooks", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn request_urls_with_control_characters_or_surrounding_spaces_are_refused() {
    let emulator = start(config()).await;
    let base = emulator.base_url();
    let id = actor_id(base, "acme~web-scraper").await;
    for url in [
        "https://a.b/\u{0}\n",
        "https://a.b/x\ty",
        "https://a.b/\u{7f}",
        " https://a.b/",
        "https://a.b/ ",
    ] {
        let mut body = webhook(&id);
        body["requestUrl"] = json!(url);
        let (status, response) =
            call(base, reqwest::Method::POST, "/v2/webhooks", Some(body)).await;
        assert_eq!(
            (status, error_of(&response).0),
            (StatusCode::BAD_REQUEST, "invalid-input"),
            "{url:?}"
        );
    }
    // Updates are checked the same way.
    let (_, created) = call(
        base,
        reqwest::Method::POST,
        "/v2/webhooks",
        Some(webhook(&id)),
    )
    .await;
    let path = format!("/v2/webhooks/{}", created["data"]["id"].as_str().unwrap());
    let (status, _) = call(
        base,
        reqwest::Method::PUT,
        &path,
        Some(json!({"requestUrl": "https://a.b/\u{0}"})),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn every_declarable_event_type_and_test_are_accepted() {
    let emulator = start(config()).await;
    let base = emulator.base_url();
    let id = actor_id(base, "acme~web-scraper").await;
    let names = apify_webhooks::webhook::EventType::ALL
        .iter()
        .map(|e| e.as_str())
        .chain(["TEST"]);
    for name in names {
        let mut body = webhook(&id);
        body["eventTypes"] = json!([name]);
        let (status, response) =
            call(base, reqwest::Method::POST, "/v2/webhooks", Some(body)).await;
        assert_eq!(status, 201, "{name}: {response}");
    }
}

/// A raw request with `token`; returns status, `Location` and JSON body (`Null` when empty).
/// The future borrows nothing, so closures can wrap it.
fn call_as(
    token: &str,
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> impl std::future::Future<Output = (StatusCode, Option<String>, Value)> + use<> {
    let mut request = http()
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    async move {
        let response = request.send().await.unwrap();
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.bytes().await.unwrap();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, location, value)
    }
}

/// The names of the items of a list answer.
fn names(body: &Value) -> Vec<String> {
    body["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn actors_are_created_renamed_and_deleted_through_the_api() {
    use reqwest::Method as M;
    let emulator = start(config()).await;
    let base = emulator.base_url();
    let acme = |method, path: &str, body| call_as(TOKEN, base, method, path, body);

    // Create: 201, the full object, a Location, owned by the token's user; the legacy prefix too.
    let (status, location, created) = acme(
        M::POST,
        "/v2/acts",
        Some(json!({"name": "new-actor", "title": "New", "versions": []})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 17);
    assert_eq!(
        location.as_deref(),
        Some(format!("{base}/v2/actors/{id}").as_str())
    );
    assert_eq!(created["data"]["username"], "acme");
    assert_eq!(created["data"]["name"], "new-actor");
    assert_eq!(created["data"]["title"], "New");
    assert_eq!(created["data"]["isPublic"], false);
    let (status, _, _) = acme(M::GET, "/v2/actors/acme~new-actor", None).await;
    assert_eq!(status, 200);
    let (_, _, mine) = acme(M::GET, "/v2/actors?my=1", None).await;
    assert_eq!(
        names(&mine).last().map(String::as_str),
        Some("new-actor"),
        "listed, newest last"
    );

    // The platform's name rule (apify-shared-js ACTOR_NAME), and names unique per owner.
    let too_long = "a".repeat(64);
    for body in [
        json!({}),
        json!({"name": null}),
        json!({"name": 7}),
        json!({"name": "ab"}),
        json!({"name": too_long}),
        json!({"name": "-leading"}),
        json!({"name": "trailing-"}),
        json!({"name": "has.dot"}),
        json!({"name": "has space"}),
        json!({"name": "ünï"}),
        json!({"name": "fine", "isPublic": "yes"}),
    ] {
        let (status, _, answer) = acme(M::POST, "/v2/actors", Some(body.clone())).await;
        assert_eq!(
            (status, error_of(&answer).0),
            (StatusCode::BAD_REQUEST, "invalid-input"),
            "{body}"
        );
    }
    let (status, _, answer) = acme(M::POST, "/v2/actors", Some(json!({"name": "new-actor"}))).await;
    assert_eq!(
        (status, error_of(&answer).0),
        (StatusCode::CONFLICT, "actor-name-not-unique")
    );
    // Another user may use the same name.
    let (status, _, _) = call_as(
        OTHER_TOKEN,
        base,
        M::POST,
        "/v2/actors",
        Some(json!({"name": "new-actor"})),
    )
    .await;
    assert_eq!(status, 201);

    // Rename: the ID stays, the old name is gone, modifiedAt moves on.
    let (status, _, renamed) = acme(
        M::PUT,
        &format!("/v2/actors/{id}"),
        Some(json!({"name": "renamed-actor", "description": "d"})),
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["data"]["id"], id.as_str());
    assert_eq!(renamed["data"]["name"], "renamed-actor");
    assert_eq!(renamed["data"]["title"], "New", "absent fields stay");
    assert!(renamed["data"]["modifiedAt"].as_str() > created["data"]["modifiedAt"].as_str());
    let (status, _, _) = acme(M::GET, "/v2/acts/acme~new-actor", None).await;
    assert_eq!(status, 404);
    let (status, _, _) = acme(M::GET, "/v2/acts/acme~renamed-actor", None).await;
    assert_eq!(status, 200);
    for (path, body, expected) in [
        (
            format!("/v2/actors/{id}"),
            json!({"name": "web-scraper"}),
            (StatusCode::CONFLICT, "actor-name-not-unique"),
        ),
        (
            format!("/v2/actors/{id}"),
            json!({"name": "no_underscores"}),
            (StatusCode::BAD_REQUEST, "invalid-input"),
        ),
        (
            "/v2/actors/apify~web-scraper".to_owned(),
            json!({"name": "mine-now"}),
            (StatusCode::FORBIDDEN, "insufficient-permissions"),
        ),
        (
            "/v2/actors/other~secret-actor".to_owned(),
            json!({"name": "mine-now"}),
            (StatusCode::NOT_FOUND, "actor-not-found"),
        ),
    ] {
        let (status, _, answer) = acme(M::PUT, &path, Some(body)).await;
        assert_eq!((status, error_of(&answer).0), expected, "{path}");
    }

    // Delete: another user's Actor cannot be deleted; the caller's goes with its tasks and the
    // webhooks on either, and nothing else.
    let (status, _, answer) = acme(M::DELETE, "/v2/actors/apify~web-scraper", None).await;
    assert_eq!(
        (status, error_of(&answer).0),
        (StatusCode::FORBIDDEN, "insufficient-permissions")
    );
    let (status, _, task) = acme(
        M::POST,
        "/v2/actor-tasks",
        Some(json!({"actId": id, "name": "doomed-task"})),
    )
    .await;
    assert_eq!(status, 201, "{task}");
    let task_id = task["data"]["id"].as_str().unwrap().to_owned();
    let mut on_task = webhook(&id);
    on_task["condition"] = json!({"actorTaskId": task_id});
    for body in [webhook(&id), on_task] {
        let (status, _, answer) = acme(M::POST, "/v2/webhooks", Some(body)).await;
        assert_eq!(status, 201, "{answer}");
    }
    let dispatch: Value = http()
        .post(format!("{base}/_emulator/runs?wait=1"))
        .json(&json!({"task": task_id, "outcome": "FAILED"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The Actor's webhook fires for the task's run too.
    assert_eq!(dispatch["data"]["dispatches"].as_array().unwrap().len(), 2);
    let before = emulator.state_document();
    let (status, _, body) = acme(M::DELETE, &format!("/v2/actors/{id}"), None).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let after = emulator.state_document();
    let count = |doc: &Value, what: &str| doc[what].as_array().unwrap().len();
    assert_eq!(count(&after, "actors"), count(&before, "actors") - 1);
    assert_eq!(count(&after, "tasks"), count(&before, "tasks") - 1);
    assert_eq!(count(&after, "webhooks"), count(&before, "webhooks") - 2);
    assert_eq!(
        count(&after, "dispatches"),
        count(&before, "dispatches") - 2
    );
    for path in [
        format!("/v2/actors/{id}"),
        format!("/v2/actor-tasks/{task_id}"),
    ] {
        let (status, _, _) = acme(M::GET, &path, None).await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, _, answer) = acme(M::DELETE, &format!("/v2/actors/{id}"), None).await;
    assert_eq!(
        (status, error_of(&answer).0),
        (StatusCode::NOT_FOUND, "actor-not-found")
    );
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn tasks_are_created_renamed_and_deleted_through_the_api() {
    use reqwest::Method as M;
    let emulator = start(config()).await;
    let base = emulator.base_url();
    let acme = |method, path: &str, body| call_as(TOKEN, base, method, path, body);
    let scraper = actor_id(base, "acme~web-scraper").await;

    let (status, location, created) = acme(
        M::POST,
        "/v2/actor-tasks",
        Some(json!({"actId": scraper, "name": "weekly-crawl", "input": {"x": 1}})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        location.as_deref(),
        Some(format!("{base}/v2/actor-tasks/{id}").as_str())
    );
    assert_eq!(created["data"]["actId"], scraper.as_str());
    assert_eq!(created["data"]["username"], "acme");
    // `actId` as `username~name` works too; a task of a public Actor is allowed; without a name
    // the task is named after its Actor.
    for (body, name) in [
        (json!({"actId": "acme~web-scraper"}), "web-scraper-task"),
        (json!({"actId": "acme~web-scraper"}), "web-scraper-task-2"),
        (
            json!({"actId": "apify~web-scraper", "name": "store-run"}),
            "store-run",
        ),
    ] {
        let (status, _, answer) = acme(M::POST, "/v2/actor-tasks", Some(body)).await;
        assert_eq!(status, 201, "{answer}");
        assert_eq!(answer["data"]["name"], name);
    }
    for (body, expected) in [
        (
            json!({"name": "x-task"}),
            (StatusCode::BAD_REQUEST, "invalid-input"),
        ),
        (
            json!({"actId": scraper, "name": "a"}),
            (StatusCode::BAD_REQUEST, "invalid-input"),
        ),
        (
            json!({"actId": "NoSuchActor000000", "name": "x-task"}),
            (StatusCode::NOT_FOUND, "actor-not-found"),
        ),
        (
            json!({"actId": "other~secret-actor", "name": "x-task"}),
            (StatusCode::NOT_FOUND, "actor-not-found"),
        ),
        (
            json!({"actId": scraper, "name": "daily-crawl"}),
            (StatusCode::CONFLICT, "actor-task-name-not-unique"),
        ),
    ] {
        let (status, _, answer) = acme(M::POST, "/v2/actor-tasks", Some(body.clone())).await;
        assert_eq!((status, error_of(&answer).0), expected, "{body}");
    }
    let (_, _, list) = acme(M::GET, "/v2/actor-tasks?desc=1&limit=2", None).await;
    assert_eq!(names(&list), ["store-run", "web-scraper-task-2"]);
    assert_eq!(list["data"]["total"], 6);

    // Rename, by ID or name.
    let (status, _, renamed) = acme(
        M::PUT,
        "/v2/actor-tasks/acme~weekly-crawl",
        Some(json!({"name": "monthly-crawl", "title": "Monthly"})),
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["data"]["id"], id.as_str());
    assert_eq!(renamed["data"]["name"], "monthly-crawl");
    let (status, _, answer) = acme(
        M::PUT,
        &format!("/v2/actor-tasks/{id}"),
        Some(json!({"name": "hourly-prices"})),
    )
    .await;
    assert_eq!(
        (status, error_of(&answer).0),
        (StatusCode::CONFLICT, "actor-task-name-not-unique")
    );
    // Another user's task is as good as missing.
    let (status, _, _) = acme(
        M::PUT,
        "/v2/actor-tasks/other~secret-task",
        Some(json!({"name": "mine"})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = acme(M::DELETE, "/v2/actor-tasks/other~secret-task", None).await;
    assert_eq!(status, 404);

    // Delete: the task and its webhooks go; the Actor and its webhooks stay.
    let mut on_task = webhook(&scraper);
    on_task["condition"] = json!({"actorTaskId": id});
    let (status, _, hook) = acme(M::POST, "/v2/webhooks", Some(on_task)).await;
    assert_eq!(status, 201);
    let hook = hook["data"]["id"].as_str().unwrap().to_owned();
    let (_, _, before) = acme(M::GET, "/v2/webhooks", None).await;
    let (status, _, _) = acme(M::DELETE, &format!("/v2/actor-tasks/{id}"), None).await;
    assert_eq!(status, 204);
    let (_, _, after) = acme(M::GET, "/v2/webhooks", None).await;
    assert_eq!(
        after["data"]["total"].as_u64().unwrap(),
        before["data"]["total"].as_u64().unwrap() - 1
    );
    let (status, _, _) = acme(M::GET, &format!("/v2/webhooks/{hook}"), None).await;
    assert_eq!(status, 404);
    let (status, _, _) = acme(M::GET, "/v2/actors/acme~web-scraper", None).await;
    assert_eq!(status, 200);
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn actor_lists_page_like_the_platform_and_show_what_the_user_created_or_used() {
    use apify_webhooks::emulator::SeedActor;
    let mut seed = crate::support::emulator::seed();
    // More than a page of acme's own Actors.
    seed.actors.extend((0..1_050).map(|i| SeedActor {
        name: format!("acme/bulk-{i:04}"),
        ..SeedActor::default()
    }));
    let emulator = start(EmulatorConfig {
        seed: apify_webhooks::emulator::SeedSource::Seed(seed),
        ..EmulatorConfig::default()
    })
    .await;
    let base = emulator.base_url();
    let acme = |path: String| async move {
        call_as(TOKEN, base, reqwest::Method::GET, &path, None)
            .await
            .2
    };

    let first = acme("/v2/acts?my=1".to_owned()).await;
    let data = &first["data"];
    assert_eq!(
        (
            data["total"].as_u64(),
            data["count"].as_u64(),
            data["limit"].as_u64()
        ),
        (Some(1_053), Some(1_000), Some(1_000)),
        "at most 1000 a page"
    );
    let item = &data["items"][0];
    for field in ["id", "name", "username", "createdAt", "modifiedAt"] {
        assert!(item.get(field).is_some(), "{field} in {item}");
    }
    let second = acme("/v2/acts?my=1&offset=1000&limit=5000".to_owned()).await;
    assert_eq!(
        (
            second["data"]["count"].as_u64(),
            second["data"]["limit"].as_u64()
        ),
        (Some(53), Some(1_000))
    );
    assert_eq!(names(&second).last().map(String::as_str), Some("bulk-1049"));
    let newest = acme("/v2/acts?my=true&desc=1&limit=1".to_owned()).await;
    assert_eq!(names(&newest), ["bulk-1049"]);

    // Without my=1: what acme created or used. A public Actor of another user is not listed
    // until acme uses it: a run of it by acme, or a task of it.
    let listed = |body: &Value, name: &str| {
        body["data"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["username"] == "apify" && i["name"] == name)
    };
    let all = acme("/v2/acts?limit=10".to_owned()).await;
    assert_eq!(all["data"]["total"], 1_053);
    assert!(!listed(&all, "web-scraper"));
    let run = http()
        .post(format!("{base}/_emulator/runs"))
        .json(&json!({"actor": "apify/web-scraper", "user": "acme", "outcome": "SUCCEEDED"}))
        .send()
        .await
        .unwrap();
    assert_eq!(run.status(), 201);
    let all = acme("/v2/acts?limit=10".to_owned()).await;
    assert_eq!(all["data"]["total"], 1_054);
    assert!(listed(&all, "web-scraper"), "used by a run");
    assert_eq!(
        acme("/v2/acts?my=1&limit=1".to_owned()).await["data"]["total"],
        1_053,
        "my=1: only acme's own"
    );
    let doc = emulator.state_document();
    let public = doc["actors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "apify")
        .unwrap();
    assert_eq!(public["usedBy"], json!(["acme"]), "kept in the state file");
    // `other` never sees acme's private Actors, and sees apify's once it has a task of it.
    let other = |path: &str| call_as(OTHER_TOKEN, base, reqwest::Method::GET, path, None);
    let (_, _, theirs) = other("/v2/acts").await;
    assert_eq!(names(&theirs), ["secret-actor"]);
    let (status, _, _) = call_as(
        OTHER_TOKEN,
        base,
        reqwest::Method::POST,
        "/v2/actor-tasks",
        Some(json!({"actId": "apify~web-scraper", "name": "store-task"})),
    )
    .await;
    assert_eq!(status, 201);
    let (_, _, theirs) = other("/v2/acts").await;
    assert_eq!(names(&theirs), ["web-scraper", "secret-actor"]);
    let (_, _, theirs) = other("/v2/acts?my=1").await;
    assert_eq!(names(&theirs), ["secret-actor"]);

    // An Actor acme used that its owner makes private again is no longer listed (nor visible).
    let (status, _, shared) = call_as(
        OTHER_TOKEN,
        base,
        reqwest::Method::POST,
        "/v2/actors",
        Some(json!({"name": "shared-tool", "isPublic": true})),
    )
    .await;
    assert_eq!(status, 201, "{shared}");
    let run = http()
        .post(format!("{base}/_emulator/runs"))
        .json(&json!({"actor": "other/shared-tool", "user": "acme", "outcome": "SUCCEEDED"}))
        .send()
        .await
        .unwrap();
    assert_eq!(run.status(), 201);
    let shared_by = |body: &Value| {
        body["data"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "shared-tool")
    };
    assert!(shared_by(&acme("/v2/acts?offset=1000".to_owned()).await));
    let (status, _, _) = call_as(
        OTHER_TOKEN,
        base,
        reqwest::Method::PUT,
        "/v2/actors/other~shared-tool",
        Some(json!({"isPublic": false})),
    )
    .await;
    assert_eq!(status, 200);
    assert!(!shared_by(&acme("/v2/acts?offset=1000".to_owned()).await));
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn actors_and_tasks_made_through_the_api_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let with_state = || EmulatorConfig {
        state_file: Some(state.clone()),
        ..config()
    };
    let first = start(with_state()).await;
    let base = first.base_url().to_owned();
    let (status, _, actor) = call_as(
        TOKEN,
        &base,
        reqwest::Method::POST,
        "/v2/actors",
        Some(json!({"name": "kept-actor"})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _, task) = call_as(
        TOKEN,
        &base,
        reqwest::Method::POST,
        "/v2/actor-tasks",
        Some(json!({"actId": actor["data"]["id"], "name": "kept-task"})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _, _) = call_as(
        TOKEN,
        &base,
        reqwest::Method::DELETE,
        "/v2/actors/acme~lead-enricher",
        None,
    )
    .await;
    assert_eq!(status, 204);
    first.shutdown().await;

    let second = start(with_state()).await;
    let api = client(&second, TOKEN);
    let kept = api.get_actor("acme/kept-actor").await.unwrap().unwrap();
    assert_eq!(kept.id, actor["data"]["id"].as_str().unwrap());
    let kept_task = api.get_task("acme/kept-task").await.unwrap().unwrap();
    assert_eq!(kept_task.id, task["data"]["id"].as_str().unwrap());
    assert!(api.get_actor("acme/lead-enricher").await.unwrap().is_none());
    second.shutdown().await;
}

/// A receiver on 127.0.0.1 that answers every request `200 ok`; returns its URL and how many
/// requests it got.
fn ok_receiver() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            // Read the head, then as many body bytes as it announces.
            let mut bytes = Vec::new();
            let mut buf = [0u8; 4096];
            let body_start = loop {
                let Ok(n) = stream.read(&mut buf) else {
                    break None;
                };
                if n == 0 {
                    break None;
                }
                bytes.extend_from_slice(&buf[..n]);
                if let Some(i) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(i + 4);
                }
            };
            let Some(body_start) = body_start else {
                continue;
            };
            let head = String::from_utf8_lossy(&bytes[..body_start]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while bytes.len() < body_start + length {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => bytes.extend_from_slice(&buf[..n]),
                }
            }
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    (url, count)
}

/// `--local` users can start from existing webhooks (`emulator seed --local`), fire runs on the
/// local state (`emulator fire --local`), and are told what works when a delivery cannot be
/// made (issue 16 item 16).
#[test]
fn local_users_seed_the_state_fire_runs_and_get_advice_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (receiver, received) = ok_receiver();
    std::fs::write(
        root.join("seed.yaml"),
        format!(
            "users: [{{username: acme, token: {TOKEN}}}]
actors: [{{name: acme/web-scraper}}, {{name: acme/price-monitor}}]
tasks: [{{name: acme/daily-crawl, actor: acme/web-scraper}}]
webhooks:
  - {{user: acme, actor: acme/web-scraper, eventTypes: [ACTOR.RUN.FAILED],
      requestUrl: '{receiver}/hook', description: made in the Console}}
  - {{user: acme, actor: acme/price-monitor, eventTypes: [ACTOR.RUN.FAILED],
      requestUrl: 'https://hooks.example.com/x'}}
"
        ),
    )
    .unwrap();
    let local = |args: &[&str]| crate::support::run_in(root, args);

    let seeded = local(&["emulator", "seed", "--local", "seed.yaml"]);
    assert_eq!(seeded.code, 0, "{}", seeded.stderr);
    assert!(
        seeded.stdout.contains(
            "Seeded .apify-webhooks/state.json from seed.yaml: 1 user, 2 Actors, 1 task, 2 webhooks, 0 dispatches."
        ),
        "{}",
        seeded.stdout
    );
    assert!(root.join(".apify-webhooks/.gitignore").is_file());
    let again = local(&["emulator", "seed", "--local", "seed.yaml"]);
    assert_eq!(again.code, 64, "never replaced silently: {}", again.stderr);
    assert!(again.stderr.contains("add --reset"), "{}", again.stderr);
    let bad = local(&["emulator", "seed", "--local", "--reset", "missing.yaml"]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("missing.yaml"), "{}", bad.stderr);

    // The seeded webhooks are what `--local` commands see: export turns them into manifests.
    let exported = local(&["export", "--local", "--out", "webhooks"]);
    assert_eq!(exported.code, 0, "{}", exported.stderr);
    assert!(root.join("webhooks/actors/acme/web-scraper.yaml").is_file());

    // A run fired on the local state delivers to the local receiver, found from a manifest
    // folder below the state as `plan --local webhooks` finds it.
    let fired = local(&[
        "emulator",
        "fire",
        "--local",
        "webhooks",
        "--actor",
        "acme/web-scraper",
        "--outcome",
        "failed",
    ]);
    assert_eq!(fired.code, 0, "{}{}", fired.stdout, fired.stderr);
    assert!(
        fired
            .stderr
            .contains("Using the local emulator (state in .apify-webhooks/state.json)."),
        "{}",
        fired.stderr
    );
    assert!(
        fired.stdout.contains("-> unmanaged webhook ") && fired.stdout.contains("SUCCEEDED"),
        "{}",
        fired.stdout
    );
    assert_eq!(received.load(std::sync::atomic::Ordering::SeqCst), 1);
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(".apify-webhooks/state.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        state["dispatches"].as_array().unwrap().len(),
        1,
        "the dispatch is kept in the local state"
    );

    // Another host is not delivered to: exit 5, with advice that works for `fire --local`.
    let refused = local(&[
        "emulator",
        "fire",
        "--local",
        "--actor",
        "acme/price-monitor",
        "--outcome",
        "failed",
    ]);
    assert_eq!(refused.code, 5, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stdout
            .contains("add --allow-external-delivery to send elsewhere"),
        "{}",
        refused.stdout
    );
    let no_wait = local(&[
        "emulator",
        "fire",
        "--local",
        "--no-wait",
        "--actor",
        "acme/web-scraper",
    ]);
    assert_eq!(no_wait.code, 64, "{}", no_wait.stderr);

    // `test --local` cannot deliver there either; its advice names what works instead.
    let manifest = root.join("webhooks/actors/acme/price.yaml");
    std::fs::write(
        &manifest,
        "version: 1\nactors:\n  acme/price-monitor:\n    - key: price-alert\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: https://hooks.example.com/alert\n",
    )
    .unwrap();
    let applied = local(&[
        "apply",
        "--local",
        "--auto-approve",
        "webhooks/actors/acme/price.yaml",
    ]);
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    let tested = local(&[
        "test",
        "--local",
        "webhooks/actors/acme/price.yaml",
        "--key",
        "price-alert",
    ]);
    assert_eq!(tested.code, 5, "{}{}", tested.stdout, tested.stderr);
    let said = format!("{}{}", tested.stdout, tested.stderr);
    assert!(
        said.contains("apify-webhooks emulator fire --local --allow-external-delivery"),
        "{said}"
    );
    assert!(
        !said.contains("start it with --allow-external-delivery"),
        "{said}"
    );
}

/// `emulator seed --state FILE` writes a state file `emulator --state FILE` serves.
#[tokio::test]
async fn a_seeded_state_file_is_what_the_emulator_serves() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.yaml");
    std::fs::write(
        &seed,
        format!("users: [{{username: jane, token: {TOKEN}}}]\nactors: [{{name: jane/solo}}]\n"),
    )
    .unwrap();
    let state = dir.path().join("state.json");
    let out = crate::support::run(
        crate::support::bin()
            .args(["emulator", "seed", "--state"])
            .arg(&state)
            .arg(&seed),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let emulator = start(EmulatorConfig {
        state_file: Some(state),
        ..config()
    })
    .await;
    let api = client(&emulator, TOKEN);
    assert_eq!(
        api.current_user().await.unwrap().username.as_deref(),
        Some("jane")
    );
    assert!(api.get_actor("jane/solo").await.unwrap().is_some());
}
