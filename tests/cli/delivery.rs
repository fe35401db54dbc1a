//! Will it deliver? A local receiver on 127.0.0.1 that answers 200 on `/ok` and 500 on
//! `/fail`; the emulator fires webhooks to it for a simulated run (`emulator fire`), and
//! `status` and `test` report what it answered. Plus the loopback-only rule.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use apify_webhooks::emulator::{DeliveryConfig, EmulatorConfig};
use apify_webhooks::event::{self, EventIds, EventType, RequestTemplate, RunIds};
use serde_json::Value;

use crate::support::emulator::{Background, TOKEN, client, config};
use crate::support::run;

/// A request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Starts the receiver on `server`'s runtime; returns its base URL and what it receives.
fn receiver(server: &Background) -> (String, Arc<Mutex<Vec<Received>>>) {
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let log = Arc::clone(&got);
    let app =
        axum::Router::new().fallback(move |request: axum::http::Request<axum::body::Body>| {
            let log = Arc::clone(&log);
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
                let path = parts.uri.path().to_owned();
                log.lock().unwrap().push(Received {
                    path: path.clone(),
                    headers: parts
                        .headers
                        .iter()
                        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
                        .collect(),
                    body: body.to_vec(),
                });
                if path == "/ok" {
                    (axum::http::StatusCode::OK, "thanks")
                } else {
                    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom")
                }
            }
        });
    let url = server.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    });
    (url, got)
}

fn fast_delivery() -> EmulatorConfig {
    EmulatorConfig {
        delivery: DeliveryConfig {
            retries: 2,
            retry_delay: Duration::from_millis(1),
            ..DeliveryConfig::default()
        },
        ..config()
    }
}

/// The manifests: a task webhook answered 200, an Actor webhook answered 500, and two that
/// must not fire for a failed run of the task (another task; another event type).
fn manifests(dir: &std::path::Path, receiver: &str) {
    std::fs::write(
        dir.join("hooks.yaml"),
        format!(
            r#"version: 1
owner: team
tasks:
  acme/daily-crawl:
    - key: crawl/failed
      eventTypes: [ACTOR.RUN.FAILED]
      requestUrl: {receiver}/ok
      payloadTemplate:
        run: "{{{{resource.id}}}}"
        task: "{{{{eventData.actorTaskId}}}}"
        status: "Run {{{{resource.status}}}} at {{{{createdAt}}}}"
      headersTemplate:
        Authorization: Bearer ${{HOOK_SECRET}}
  acme/hourly-prices:
    - key: prices/failed
      eventTypes: [ACTOR.RUN.FAILED]
      requestUrl: {receiver}/ok
actors:
  acme/web-scraper:
    - key: scraper/failed
      eventTypes: [ACTOR.RUN.FAILED, ACTOR.RUN.CREATED]
      requestUrl: {receiver}/fail
      payloadTemplate: |
        {{"event": {{{{eventType}}}}, "note": "Run {{{{resource.status}}}}", "n": 1}}
    - key: scraper/succeeded
      eventTypes: [ACTOR.RUN.SUCCEEDED]
      requestUrl: {receiver}/ok
"#
        ),
    )
    .unwrap();
}

const SECRET: &str = "hook-5ecret-value-1234";

fn cmd(server: &Background, dir: &std::path::Path) -> std::process::Command {
    let mut cmd = server.bin();
    cmd.current_dir(dir).env("HOOK_SECRET", SECRET);
    cmd
}

/// The webhook of `key` in the emulator's state.
fn webhook(server: &Background, key: &str) -> Value {
    server
        .webhooks_of("acme")
        .into_iter()
        .find(|w| {
            w["description"]
                .as_str()
                .is_some_and(|d| d.contains(&format!("key={key} ")))
        })
        .unwrap_or_else(|| panic!("no webhook {key}"))
}

fn dispatches_of(server: &Background, webhook_id: &str) -> Vec<Value> {
    server.state()["dispatches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["webhookId"] == webhook_id)
        .cloned()
        .collect()
}

#[test]
fn a_failed_run_delivers_what_the_renderer_predicts_and_status_and_test_tell_the_outcome() {
    let server = Background::start(fast_delivery());
    let (receiver_url, got) = receiver(&server);
    let dir = tempfile::tempdir().unwrap();
    manifests(dir.path(), &receiver_url);
    let applied = run(cmd(&server, dir.path()).args(["apply", "--auto-approve"]));
    assert_eq!(applied.code, 0, "{}", applied.stderr);

    // Nothing delivered yet: every webhook is idle, so all are healthy enough (exit 0).
    let idle = run(cmd(&server, dir.path()).arg("status"));
    assert_eq!(idle.code, 0, "{}{}", idle.stdout, idle.stderr);

    // A failed run started through the task.
    let fired = run(cmd(&server, dir.path()).args([
        "emulator",
        "fire",
        "--url",
        &server.url(),
        "--task",
        "acme/daily-crawl",
        "--outcome",
        "failed",
    ]));
    // Some deliveries failed: exit 5, as `status` (issue 16 item 17).
    assert_eq!(fired.code, 5, "{}", fired.stderr);
    // CREATED to the Actor webhook; FAILED to the task's and the Actor's, and to the seed's
    // unmanaged Actor webhook, whose external URL is refused, not called.
    assert!(
        fired.stdout.contains(
            "of Actor acme/web-scraper (started by task acme/daily-crawl): FAILED; 4 dispatches."
        ),
        "{}",
        fired.stdout
    );
    // Webhooks are named by their keys, as in a plan; the unmanaged one by its ID.
    assert!(
        fired
            .stdout
            .contains("ACTOR.RUN.FAILED -> webhook.crawl/failed (owner team): SUCCEEDED (1 call, last: HTTP 200)"),
        "{}",
        fired.stdout
    );
    assert!(
        fired
            .stdout
            .contains("ACTOR.RUN.CREATED -> webhook.scraper/failed (owner team): FAILED"),
        "{}",
        fired.stdout
    );
    assert!(
        fired.stdout.contains("-> unmanaged webhook "),
        "{}",
        fired.stdout
    );
    assert!(
        fired.stdout.contains("3 deliveries of 4 failed."),
        "{}",
        fired.stdout
    );
    // Progress on stderr: one line per attempt, saying whether it retries.
    for line in [
        "Waiting for 4 deliveries (at most 30s)...",
        "ACTOR.RUN.CREATED -> webhook.scraper/failed (owner team): attempt 1: HTTP 500: failed; retrying",
        "ACTOR.RUN.CREATED -> webhook.scraper/failed (owner team): attempt 3: HTTP 500: failed; no more retries",
        "ACTOR.RUN.FAILED -> webhook.crawl/failed (owner team): attempt 1: HTTP 200: delivered",
    ] {
        assert!(fired.stderr.contains(line), "{line}\n{}", fired.stderr);
    }
    assert_eq!(
        fired
            .stderr
            .matches("webhook.scraper/failed (owner team): attempt")
            .count(),
        6,
        "{}",
        fired.stderr
    );
    assert!(!fired.stdout.contains(SECRET) && !fired.stderr.contains(SECRET));

    assert!(
        fired.stdout.contains("only to loopback"),
        "{}",
        fired.stdout
    );
    assert_eq!(
        fired.stdout.matches("SUCCEEDED").count(),
        1,
        "{}",
        fired.stdout
    );
    assert!(
        fired.stdout.contains("FAILED (3 calls, last: HTTP 500)"),
        "{}",
        fired.stdout
    );

    let received = got.lock().unwrap().clone();
    let ok: Vec<&Received> = received.iter().filter(|r| r.path == "/ok").collect();
    let fail: Vec<&Received> = received.iter().filter(|r| r.path == "/fail").collect();
    // Only the task's webhook got the 200 path: not the other task's, not SUCCEEDED's.
    assert_eq!(ok.len(), 1, "{received:#?}");
    // The Actor webhook: CREATED once (1 + 2 retries) and FAILED (1 + 2 retries).
    assert_eq!(fail.len(), 6, "{received:#?}");

    // The body is byte for byte what the shared renderer makes for that event.
    let hook = webhook(&server, "crawl/failed");
    let dispatches = dispatches_of(&server, hook["id"].as_str().unwrap());
    assert_eq!(dispatches.len(), 1);
    let dispatch = &dispatches[0];
    assert_eq!(dispatch["status"], "SUCCEEDED");
    assert_eq!(dispatch["eventType"], "ACTOR.RUN.FAILED");
    let data = &dispatch["eventData"];
    let ids = RunIds::derived(
        data["actorRunId"].as_str().unwrap(),
        data["actorId"].as_str().unwrap(),
        data["actorTaskId"].as_str(),
        hook["userId"].as_str().unwrap(),
    );
    let event = event::event_for(
        EventType::RunFailed,
        &EventIds::Run(ids),
        dispatch["createdAt"].as_str().unwrap(),
        hook["userId"].as_str().unwrap(),
    );
    let expected = event::render(
        &RequestTemplate {
            request_url: hook["requestUrl"].as_str().unwrap(),
            payload_template: hook["payloadTemplate"].as_str(),
            headers_template: hook["headersTemplate"].as_str(),
            should_interpolate_strings: hook["shouldInterpolateStrings"].as_bool().unwrap(),
        },
        &event,
        hook["id"].as_str().unwrap(),
        dispatch["id"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&ok[0].body), expected.body);
    for (name, value) in &expected.headers {
        assert_eq!(ok[0].header(name), Some(value.as_str()), "{name}");
    }
    assert_eq!(
        ok[0].header("authorization"),
        Some(&*format!("Bearer {SECRET}"))
    );
    let body: Value = serde_json::from_slice(&ok[0].body).unwrap();
    assert_eq!(body["task"], data["actorTaskId"]);

    // `preview` predicted the failing webhook's bodies byte for byte (its template uses
    // nothing that differs between the sample event and the simulated run).
    for (event_type, sent) in [("ACTOR.RUN.CREATED", 3), ("ACTOR.RUN.FAILED", 3)] {
        let preview = run(cmd(&server, dir.path()).args([
            "preview",
            "--key",
            "scraper/failed",
            "--event",
            event_type,
            "--format",
            "json",
        ]));
        assert_eq!(preview.code, 0, "{}", preview.stderr);
        let doc: Value = serde_json::from_str(&preview.stdout).unwrap();
        let predicted = doc["requests"][0]["body"]
            .as_str()
            .unwrap()
            .as_bytes()
            .to_vec();
        assert!(String::from_utf8_lossy(&predicted).contains(event_type));
        let matching = fail.iter().filter(|r| r.body == predicted).count();
        assert_eq!(
            matching,
            sent,
            "{event_type}: {}",
            String::from_utf8_lossy(&predicted)
        );
    }

    // The failing dispatch records every call; the webhook keeps lastDispatch and stats.
    let failing = webhook(&server, "scraper/failed");
    assert_eq!(failing["lastDispatch"]["status"], "FAILED");
    assert_eq!(failing["stats"]["totalDispatches"], 2);
    let failed = dispatches_of(&server, failing["id"].as_str().unwrap());
    let calls = failed[1]["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0]["responseStatus"], 500);
    assert_eq!(calls[0]["responseBody"], "boom");
    assert!(calls[0]["startedAt"].is_string() && calls[0]["finishedAt"].is_string());

    // status: one healthy, one failing, exit 5.
    let status = run(cmd(&server, dir.path()).arg("status"));
    assert_eq!(status.code, 5, "{}{}", status.stdout, status.stderr);
    let line = |key: &str| {
        status
            .stdout
            .lines()
            .find(|l| l.contains(&format!("webhook.{key} ")))
            .unwrap_or_else(|| panic!("{key}: {}", status.stdout))
            .to_owned()
    };
    assert!(
        line("crawl/failed").ends_with("healthy"),
        "{}",
        status.stdout
    );
    assert!(
        line("scraper/failed").ends_with("FAILING"),
        "{}",
        status.stdout
    );
    assert!(
        line("prices/failed").ends_with("no dispatches"),
        "{}",
        status.stdout
    );
    assert!(
        status
            .stdout
            .contains("Status: 1 healthy, 1 failing, 2 without dispatches."),
        "{}",
        status.stdout
    );
    let json = run(cmd(&server, dir.path()).args(["status", "--format", "json"]));
    assert_eq!(json.code, 5);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["healthy"], false);

    // test: both receivers' answers; the secret header never shows.
    let tested = run(cmd(&server, dir.path()).args([
        "test",
        "--key",
        "crawl/failed",
        "--key",
        "scraper/failed",
    ]));
    assert_eq!(tested.code, 5, "{}{}", tested.stdout, tested.stderr);
    let out = &tested.stdout;
    assert!(out.contains("webhook.crawl/failed: delivered"), "{out}");
    assert!(
        out.contains("response: HTTP 200") && out.contains("body: thanks"),
        "{out}"
    );
    assert!(
        out.contains("webhook.scraper/failed: NOT delivered"),
        "{out}"
    );
    assert!(
        out.contains("response: HTTP 500") && out.contains("body: boom"),
        "{out}"
    );
    assert!(out.contains("duration: "), "{out}");
    assert!(tested.stderr.contains("test dispatch"), "{}", tested.stderr);
    assert!(!format!("{out}{}", tested.stderr).contains(SECRET));
    // A test dispatch is a single call, whatever the retry settings.
    let test_calls = got.lock().unwrap().len() - received.len();
    assert_eq!(test_calls, 2);

    let healthy_only = run(cmd(&server, dir.path()).args(["test", "--key", "crawl/failed"]));
    assert_eq!(healthy_only.code, 0, "{}", healthy_only.stdout);
    // Delivered and failed dispatches, their calls, lastDispatch and stats: as the spec says.
    crate::contract::assert_log_matches_spec(server.handle());

    // Every delivery succeeded: exit 0.
    let fine = run(cmd(&server, dir.path()).args([
        "emulator",
        "fire",
        "--url",
        &server.url(),
        "--task",
        "acme/hourly-prices",
        "--outcome",
        "failed",
    ]));
    assert_eq!(fine.code, 0, "{}{}", fine.stdout, fine.stderr);
    assert!(
        fine.stdout
            .contains("-> webhook.prices/failed (owner team): SUCCEEDED"),
        "{}",
        fine.stdout
    );
}

#[test]
fn build_events_fire_actor_webhooks_only_and_do_not_retry_is_honoured() {
    let server = Background::start(fast_delivery());
    let (receiver_url, got) = receiver(&server);
    let api = client(server.handle(), TOKEN);
    server.block_on(async {
        let actor = apify_webhooks::platform::Platform::get_actor(&api, "acme~web-scraper")
            .await
            .unwrap()
            .unwrap();
        let create = apify_webhooks::platform::WebhookCreate {
            event_types: vec!["ACTOR.BUILD.FAILED".to_owned()],
            condition: apify_webhooks::platform::Condition {
                actor_id: Some(actor.id.clone()),
                ..Default::default()
            },
            request_url: format!("{receiver_url}/fail"),
            do_not_retry: Some(true),
            ..Default::default()
        };
        apify_webhooks::platform::Platform::create_webhook(&api, &create)
            .await
            .unwrap();
    });
    let fired = run(server.bin().args([
        "emulator",
        "fire",
        "--url",
        &server.url(),
        "--actor",
        "acme/web-scraper",
        "--build",
        "--outcome",
        "failed",
        "--format",
        "json",
    ]));
    assert_eq!(fired.code, 5, "the delivery failed: {}", fired.stderr);
    let fired_run: Value = serde_json::from_str(&fired.stdout).unwrap();
    assert_eq!(fired_run["kind"], "build");
    let dispatches = fired_run["dispatches"].as_array().unwrap();
    assert_eq!(dispatches.len(), 1, "{fired_run:#}");
    assert_eq!(
        dispatches[0]["webhookKey"],
        Value::Null,
        "not managed by the tool"
    );
    assert_eq!(dispatches[0]["eventType"], "ACTOR.BUILD.FAILED");
    assert_eq!(dispatches[0]["status"], "FAILED");
    assert_eq!(dispatches[0]["calls"].as_array().unwrap().len(), 1);
    assert_eq!(got.lock().unwrap().len(), 1);

    // An unknown Actor is refused: a usage error.
    let refused = run(server.bin().args([
        "emulator",
        "fire",
        "--url",
        &server.url(),
        "--actor",
        "acme/does-not-exist",
    ]));
    assert_eq!(refused.code, 64, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("was not found"),
        "{}",
        refused.stderr
    );
}

#[test]
fn the_emulator_delivers_to_loopback_only_and_records_the_refusal() {
    let server = Background::start(fast_delivery());
    let api = client(server.handle(), TOKEN);
    let dispatch = server.block_on(async {
        let actor = apify_webhooks::platform::Platform::get_actor(&api, "acme~web-scraper")
            .await
            .unwrap()
            .unwrap();
        let create = apify_webhooks::platform::WebhookCreate {
            event_types: vec!["ACTOR.RUN.FAILED".to_owned()],
            condition: apify_webhooks::platform::Condition {
                actor_id: Some(actor.id.clone()),
                ..Default::default()
            },
            // A documentation address: never contacted.
            request_url: "http://192.0.2.1:9/hook".to_owned(),
            ..Default::default()
        };
        let hook = apify_webhooks::platform::Platform::create_webhook(&api, &create)
            .await
            .unwrap();
        let sent = apify_webhooks::platform::Platform::test_webhook(&api, &hook.id)
            .await
            .unwrap();
        assert_eq!(sent.status.as_deref(), Some("ACTIVE"));
        assert!(
            server
                .handle()
                .wait_for_deliveries(Duration::from_secs(10))
                .await
        );
        let all = apify_webhooks::platform::Platform::list_dispatches(&api, &hook.id)
            .await
            .unwrap();
        let full = apify_webhooks::platform::Platform::get_webhook(&api, &hook.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(full.extra["lastDispatch"]["status"], "FAILED");
        all.into_iter().find(|d| d.id == sent.id).unwrap()
    });
    assert_eq!(dispatch.status.as_deref(), Some("FAILED"));
    assert_eq!(dispatch.event_type.as_deref(), Some("TEST"));
    let calls = dispatch.extra["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "a refused host is not retried");
    assert_eq!(calls[0]["responseStatus"], Value::Null);
    let message = calls[0]["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("only to loopback") && message.contains("--allow-external-delivery"),
        "{message}"
    );
    assert!(message.contains("192.0.2.1"), "{message}");
    crate::contract::assert_log_matches_spec(server.handle());
}
