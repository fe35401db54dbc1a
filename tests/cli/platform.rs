//! The platform client against the emulator: every operation, pagination with small pages,
//! retries under injected 429 / 5xx / dropped connections (attempts counted from the request
//! log), and that the token never shows up anywhere but the `Authorization` header. Then failing
//! fast where waiting cannot help, through the real binary: a closed port, a malformed token, a
//! token file that is a device, servers that are not the Apify API, and one that never answers.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apify_webhooks::emulator::{EmulatorConfig, Faults, InjectedFault, LogEntry};
use apify_webhooks::platform::{
    ApiBaseUrl, ApiToken, ApifyClient, ClientConfig, Condition, Platform, PlatformError,
    WebhookCreate, WebhookUpdate,
};

use crate::support::emulator::{Background, OTHER_TOKEN, TOKEN, client, config, fast_retry, start};
use crate::support::{Output, bin, root};

fn requests_to<'a>(log: &'a [LogEntry], method: &str, path: &str) -> Vec<&'a LogEntry> {
    log.iter()
        .filter(|e| e.method == method && e.path == path)
        .collect()
}

fn create_body(actor_id: &str, key: Option<&str>) -> WebhookCreate {
    WebhookCreate {
        event_types: vec![
            "ACTOR.RUN.FAILED".to_owned(),
            "ACTOR.RUN.TIMED_OUT".to_owned(),
        ],
        condition: Condition {
            actor_id: Some(actor_id.to_owned()),
            ..Condition::default()
        },
        request_url: "https://hooks.example.com/oncall".to_owned(),
        payload_template: Some("{\"event\": {{eventType}}, \"run\": {{resource}}}".to_owned()),
        headers_template: Some("{\"X-Team\": \"ops\"}".to_owned()),
        description: Some("Page on-call [apify-webhooks owner=default key=k1]".to_owned()),
        idempotency_key: key.map(str::to_owned),
        ..WebhookCreate::default()
    }
}

#[tokio::test]
async fn every_operation_works_against_the_emulator() {
    let emulator = start(config()).await;
    let api = client(&emulator, TOKEN);

    let me = api.current_user().await.unwrap();
    assert_eq!(me.username.as_deref(), Some("acme"));

    // Actors and tasks by ID, username~name and username/name; public ones too.
    let actor = api
        .get_actor("acme/web-scraper")
        .await
        .unwrap()
        .expect("own Actor by name");
    assert_eq!(
        api.get_actor("acme~web-scraper").await.unwrap().unwrap().id,
        actor.id
    );
    assert_eq!(
        api.get_actor(&actor.id)
            .await
            .unwrap()
            .unwrap()
            .name
            .as_deref(),
        Some("web-scraper")
    );
    let public = api
        .get_actor("apify/web-scraper")
        .await
        .unwrap()
        .expect("public Actor");
    assert_eq!(public.username.as_deref(), Some("apify"));
    assert!(api.get_actor("acme/nope").await.unwrap().is_none());
    assert!(
        api.get_actor("other/secret-actor").await.unwrap().is_none(),
        "private to other"
    );
    let task = api
        .get_task("acme/daily-crawl")
        .await
        .unwrap()
        .expect("task by name");
    assert_eq!(task.act_id.as_deref(), Some(actor.id.as_str()));
    assert_eq!(
        api.get_task(&task.id)
            .await
            .unwrap()
            .unwrap()
            .name
            .as_deref(),
        Some("daily-crawl")
    );
    assert!(api.get_task("other/secret-task").await.unwrap().is_none());

    let actors = api.list_actors().await.unwrap();
    let mut names: Vec<_> = actors.iter().filter_map(|a| a.name.clone()).collect();
    names.sort();
    assert_eq!(
        names,
        ["lead-enricher", "price-monitor", "web-scraper"],
        "my=1: own Actors only"
    );
    let tasks = api.list_tasks().await.unwrap();
    assert_eq!(tasks.len(), 2);

    // The seeded webhooks of acme, including the kinds the tool leaves alone; not other's.
    let seeded = api.list_webhooks().await.unwrap();
    assert_eq!(seeded.len(), 4);
    assert!(
        seeded
            .iter()
            .any(|w| w.action_type.as_deref() == Some("SLACK_MESSAGE") && w.request_url.is_none())
    );
    assert!(seeded.iter().any(|w| w.is_ad_hoc == Some(true)));
    assert!(seeded.iter().any(|w| w.is_apify_integration == Some(true)));
    assert!(
        seeded.iter().all(|w| w.payload_template.is_none()),
        "lists have no templates"
    );

    // Create, idempotently.
    let body = create_body(&actor.id, Some("plan-1-op-1"));
    let created = api.create_webhook(&body).await.unwrap();
    assert_eq!(created.id.len(), 17);
    assert_eq!(created.payload_template, body.payload_template);
    let again = api.create_webhook(&body).await.unwrap();
    assert_eq!(
        again.id, created.id,
        "the same idempotencyKey returns the existing webhook"
    );
    assert_eq!(api.list_webhooks().await.unwrap().len(), 5);

    // Get in full; unknown and other users' webhooks are None.
    let full = api.get_webhook(&created.id).await.unwrap().unwrap();
    assert_eq!(full.headers_template, body.headers_template);
    assert!(
        api.get_webhook("NoSuchWebhook0000")
            .await
            .unwrap()
            .is_none()
    );

    // Partial update: only the given fields change; null clears.
    let update = WebhookUpdate {
        request_url: Some("https://hooks.example.com/v2".to_owned()),
        description: Some(None),
        ..WebhookUpdate::default()
    };
    let updated = api.update_webhook(&created.id, &update).await.unwrap();
    assert_eq!(
        updated.request_url.as_deref(),
        Some("https://hooks.example.com/v2")
    );
    assert_eq!(updated.description, None);
    assert_eq!(updated.event_types, body.event_types.clone().into());
    assert_eq!(updated.payload_template, body.payload_template);
    assert!(
        updated.modified_at > full.modified_at,
        "modifiedAt moves on every change"
    );
    let log = emulator.request_log();
    let put = requests_to(&log, "PUT", &format!("/v2/webhooks/{}", created.id));
    assert_eq!(
        put[0].request_body,
        Some(
            serde_json::json!({"requestUrl": "https://hooks.example.com/v2", "description": null})
        ),
        "PUT sends only the given fields and never the id"
    );
    assert!(
        put[0]
            .headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "application/json")
    );

    // Test and dispatches.
    let dispatch = api.test_webhook(&created.id).await.unwrap();
    assert_eq!(dispatch.event_type.as_deref(), Some("TEST"));
    assert_eq!(dispatch.webhook_id.as_deref(), Some(created.id.as_str()));
    let dispatches = api.list_dispatches(&created.id).await.unwrap();
    assert_eq!(
        dispatches.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        [dispatch.id.as_str()]
    );

    // Delete; deleting again (404) is done too.
    api.delete_webhook(&created.id).await.unwrap();
    assert!(api.get_webhook(&created.id).await.unwrap().is_none());
    api.delete_webhook(&created.id).await.unwrap();
    let log = emulator.request_log();
    let deletes = requests_to(&log, "DELETE", &format!("/v2/webhooks/{}", created.id));
    assert_eq!(
        deletes.iter().map(|e| e.status).collect::<Vec<_>>(),
        [Some(204), Some(404)]
    );

    // Every request used the canonical /v2/actors prefix and the bearer header.
    assert!(log.iter().all(|e| !e.path.starts_with("/v2/acts/")));
    assert!(log.iter().all(|e| e.auth == "bearer"));
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn users_see_only_their_own_webhooks() {
    let emulator = start(config()).await;
    let acme = client(&emulator, TOKEN);
    let other = client(&emulator, OTHER_TOKEN);
    let theirs = other.list_webhooks().await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert!(acme.get_webhook(&theirs[0].id).await.unwrap().is_none());
    let err = acme
        .update_webhook(&theirs[0].id, &WebhookUpdate::default())
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.error_type()),
        (Some(404), Some("record-not-found"))
    );
    assert!(
        acme.list_webhooks()
            .await
            .unwrap()
            .iter()
            .all(|w| w.id != theirs[0].id)
    );
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn lists_follow_pagination_with_pages_of_two() {
    let faults = Faults {
        max_page_size: Some(2),
        ..Faults::default()
    };
    let emulator = start(EmulatorConfig { faults, ..config() }).await;
    let api = client(&emulator, TOKEN);
    let actor = api.get_actor("acme/price-monitor").await.unwrap().unwrap();
    api.create_webhook(&create_body(&actor.id, None))
        .await
        .unwrap();
    emulator.clear_request_log();

    // 5 webhooks, pages of 2: offsets 0, 2, 4.
    let webhooks = api.list_webhooks().await.unwrap();
    assert_eq!(webhooks.len(), 5);
    let mut ids: Vec<_> = webhooks.iter().map(|w| w.id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 5, "no duplicates");
    let log = emulator.request_log();
    let pages = requests_to(&log, "GET", "/v2/webhooks");
    let queries: Vec<_> = pages
        .iter()
        .map(|e| e.query.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        queries,
        [
            "offset=0&limit=1000",
            "offset=2&limit=1000",
            "offset=4&limit=1000"
        ]
    );
    for page in &pages {
        let data = &page.response_body.as_ref().unwrap()["data"];
        assert_eq!(
            (data["limit"].as_u64(), data["total"].as_u64()),
            (Some(2), Some(5))
        );
    }

    // 3 own Actors and 2 tasks: two pages and one page.
    assert_eq!(api.list_actors().await.unwrap().len(), 3);
    assert_eq!(api.list_tasks().await.unwrap().len(), 2);
    let log = emulator.request_log();
    assert_eq!(requests_to(&log, "GET", "/v2/actors").len(), 2);
    assert_eq!(requests_to(&log, "GET", "/v2/actor-tasks").len(), 1);
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn transient_failures_are_retried_until_success() {
    let emulator = start(config()).await;
    let api = client(&emulator, TOKEN);
    emulator.inject([
        InjectedFault::Status(429),
        InjectedFault::Status(503),
        InjectedFault::Drop,
    ]);
    let me = api.current_user().await.unwrap();
    assert_eq!(me.username.as_deref(), Some("acme"));
    let log = emulator.request_log();
    let attempts = requests_to(&log, "GET", "/v2/users/me");
    let seen: Vec<_> = attempts
        .iter()
        .map(|e| (e.status, e.fault.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (Some(429), Some("status")),
            (Some(503), Some("status")),
            (None, Some("drop")),
            (Some(200), None)
        ]
    );
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn retries_stop_after_eight() {
    let emulator = start(config()).await;
    let api = client(&emulator, TOKEN);
    emulator.inject(std::iter::repeat_n(InjectedFault::Status(500), 20));
    let err = api.list_webhooks().await.unwrap_err();
    assert_eq!(
        (err.status(), err.error_type()),
        (Some(500), Some("internal-server-error"))
    );
    assert_eq!(
        emulator.request_log().len(),
        9,
        "one attempt and eight retries"
    );
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn client_errors_are_not_retried_and_carry_the_server_error() {
    let emulator = start(config()).await;
    let api = client(&emulator, TOKEN);
    let mut body = create_body("NoSuchActor000000", None);
    body.event_types = vec!["ACTOR.RUN.FAILED".to_owned()];
    let err = api.create_webhook(&body).await.unwrap_err();
    assert_eq!(
        (err.status(), err.error_type()),
        (Some(404), Some("actor-not-found"))
    );
    assert!(err.to_string().contains("Actor was not found"), "{err}");
    body.request_url = "ftp://example.com".to_owned();
    let err = api.create_webhook(&body).await.unwrap_err();
    assert_eq!(
        (err.status(), err.error_type()),
        (Some(400), Some("invalid-input"))
    );
    assert_eq!(emulator.request_log().len(), 2);

    let stranger = client(&emulator, "apify_api_unknown");
    let err = stranger.current_user().await.unwrap_err();
    assert_eq!(
        (err.status(), err.error_type()),
        (Some(401), Some("invalid-token"))
    );
    assert_eq!(emulator.request_log().len(), 3);
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn a_lost_create_response_is_retried_without_a_duplicate() {
    let emulator = start(config()).await;
    let api = client(&emulator, TOKEN);
    let actor = api.get_actor("acme/lead-enricher").await.unwrap().unwrap();
    emulator.inject([InjectedFault::LostResponse]);
    let created = api
        .create_webhook(&create_body(&actor.id, Some("op-7")))
        .await
        .unwrap();
    let log = emulator.request_log();
    let posts = requests_to(&log, "POST", "/v2/webhooks");
    assert_eq!(
        posts.len(),
        2,
        "the first answer was lost, the retry got it"
    );
    assert_eq!(posts[0].fault.as_deref(), Some("lost-response"));
    let hooks = api.list_webhooks().await.unwrap();
    assert_eq!(hooks.iter().filter(|w| w.id == created.id).count(), 1);
    assert_eq!(hooks.len(), 5, "one webhook created, not two");
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn random_faults_with_a_seed_are_survived() {
    let faults = Faults {
        seed: 42,
        error_rate: 0.3,
        drop_rate: 0.1,
        ..Faults::default()
    };
    let emulator = start(EmulatorConfig { faults, ..config() }).await;
    let api = client(&emulator, TOKEN);
    for _ in 0..5 {
        assert_eq!(api.list_webhooks().await.unwrap().len(), 4);
    }
    let log = emulator.request_log();
    assert!(log.len() > 5, "some requests were faulted: {}", log.len());
    assert_eq!(log.iter().filter(|e| e.fault.is_none()).count(), 5);
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn a_rate_limit_with_retry_after_is_waited_out() {
    // A burst of 5, then one request per 200 ms per token: eight quick requests meet 429s,
    // and eight retries (at least 255 ms of backoff) outlast a refill. Retry-After: 0
    // exercises the header path.
    let faults = Faults {
        rate_limit: Some(5.0),
        retry_after_secs: Some(0),
        ..Faults::default()
    };
    let emulator = start(EmulatorConfig { faults, ..config() }).await;
    let api = client(&emulator, TOKEN);
    for _ in 0..8 {
        api.current_user().await.unwrap();
    }
    let log = emulator.request_log();
    assert_eq!(log.iter().filter(|e| e.status == Some(200)).count(), 8);
    let limited: Vec<_> = log.iter().filter(|e| e.fault.is_some()).collect();
    assert!(!limited.is_empty(), "the burst was rate limited");
    assert!(
        limited
            .iter()
            .all(|e| e.fault.as_deref() == Some("rate-limit") && e.status == Some(429))
    );
    let body = limited[0].response_body.as_ref().unwrap();
    assert_eq!(body["error"]["type"], "rate-limit-exceeded");
    crate::contract::assert_log_matches_spec(&emulator);
}

#[tokio::test]
async fn unreachable_servers_are_named() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut config = ClientConfig::new(
        ApiBaseUrl::parse(&format!("http://{addr}")).unwrap(),
        ApiToken::new("apify_api_never_leak_me").unwrap(),
    );
    config.retry = fast_retry();
    let api = ApifyClient::new(config).unwrap();
    let err = api.current_user().await.unwrap_err();
    assert!(matches!(err, PlatformError::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "cannot connect to the Apify API at http://{addr}: "
        )),
        "{text}"
    );
    assert!(!format!("{err} {err:?}").contains("never_leak_me"));
}

#[tokio::test]
async fn a_503_storm_is_retried_eight_times_and_then_succeeds() {
    let emulator = start(config()).await;
    let api = client(&emulator, TOKEN);
    emulator.inject(std::iter::repeat_n(InjectedFault::Status(503), 8));
    let me = api.current_user().await.unwrap();
    assert_eq!(me.username.as_deref(), Some("acme"));
    let log = emulator.request_log();
    let statuses: Vec<_> = requests_to(&log, "GET", "/v2/users/me")
        .iter()
        .map(|e| e.status)
        .collect();
    let mut expected = vec![Some(503); 8];
    expected.push(Some(200));
    assert_eq!(
        statuses, expected,
        "eight retries, the ninth attempt answers"
    );
}

#[tokio::test]
async fn a_retry_after_longer_than_the_time_left_is_named_not_called_a_timeout() {
    // Issue 16 item 12: a 429 asking to wait 30 s, with 20 s of --timeout left.
    let emulator = start(EmulatorConfig {
        faults: Faults {
            retry_after_secs: Some(30),
            ..Faults::default()
        },
        ..config()
    })
    .await;
    let mut config = ClientConfig::new(
        ApiBaseUrl::parse(emulator.base_url()).unwrap(),
        ApiToken::new(TOKEN).unwrap(),
    );
    config.timeout = Duration::from_secs(20);
    let api = ApifyClient::new(config).unwrap();
    emulator.inject([InjectedFault::Status(429)]);
    let err = api.list_webhooks().await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.kind(), "rate-limit-exceeded");
    let text = err.to_string();
    assert!(
        text.starts_with("GET /v2/webhooks failed: HTTP 429 rate-limit-exceeded: ")
            && text.contains(
                "; not retried: the platform asked to wait 30s (Retry-After), more than the "
            )
            && text.contains(" left of --timeout 20s (1 attempt in "),
        "{text}"
    );
    assert!(!text.contains("timed out"), "{text}");
    assert_eq!(emulator.request_log().len(), 1, "no second attempt");
}

#[tokio::test]
async fn the_run_timeout_bounds_retrying_and_says_what_it_waited_for() {
    let emulator = start(config()).await;
    let mut config = ClientConfig::new(
        ApiBaseUrl::parse(emulator.base_url()).unwrap(),
        ApiToken::new(TOKEN).unwrap(),
    );
    config.retry.base_delay = Duration::from_millis(100);
    config.timeout = Duration::from_millis(400);
    let api = ApifyClient::new(config).unwrap();
    emulator.inject(std::iter::repeat_n(InjectedFault::Status(503), 20));
    let started = Instant::now();
    let err = api.list_webhooks().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "{err}");
    // Either the time ran out during an attempt or a wait, or the next wait would have ended
    // past it; the message says which, and never claims a timeout that did not happen.
    match &err {
        PlatformError::TimedOut { .. } => {
            let expected = format!(
                "timed out after 400ms (--timeout) waiting for GET {}/v2/webhooks: last answer \
                 HTTP 503 internal-server-error: Internal server error",
                emulator.base_url().trim_end_matches('/')
            );
            assert!(err.to_string().starts_with(&expected), "{err}");
        }
        PlatformError::RetryPastTimeout {
            elapsed,
            wait,
            left,
            retry_after,
            ..
        } => {
            assert!(!retry_after, "{err:?}");
            assert!(
                wait >= left && *elapsed < Duration::from_millis(400),
                "{err:?}"
            );
            let text = err.to_string();
            assert!(
                text.starts_with(
                    "GET /v2/webhooks failed: HTTP 503 internal-server-error: Internal server error"
                ) && text.contains("; not retried: the next retry would wait ")
                    && text.contains(" left of --timeout 400ms (")
                    && text.contains(" attempt"),
                "{text}"
            );
            assert!(!text.contains("timed out"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    let attempts = emulator.request_log().len();
    assert!((2..9).contains(&attempts), "{attempts} attempts");
}

/// A loopback HTTP server that answers every request with one canned response (or, with
/// `None`, accepts connections and never answers), recording the request lines.
struct Canned {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Canned {
    fn start(response: Option<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, stopped) = (Arc::clone(&requests), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut held: Vec<TcpStream> = Vec::new();
            while !stopped.load(Ordering::Relaxed) {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let Some(response) = &response else {
                    held.push(stream);
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let line = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                log.lock().unwrap().push(line);
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Canned {
            url,
            requests,
            stop,
        }
    }

    /// A server answering `status` with an HTML page.
    fn html(status: &str) -> Self {
        let body = "<!DOCTYPE html><html><head><title>It works!</title></head></html>";
        Canned::start(Some(format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )))
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Runs `cmd`, killing it if it is still running after `limit` (so a regression fails the test
/// instead of hanging it); returns what it printed and how long it took.
fn run_within(cmd: &mut Command, limit: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {limit:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = started.elapsed();
    let out = child.wait_with_output().unwrap();
    let output = Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    (output, elapsed)
}

/// `plan` of the minimal example with a token, and `args` (the API URL, mostly).
fn plan_cmd(args: &[&str]) -> Command {
    let mut cmd = bin();
    cmd.current_dir(root())
        .env("APIFY_TOKEN", TOKEN)
        .args(["plan", "examples/minimal.yaml"])
        .args(args);
    cmd
}

#[test]
fn plan_against_a_closed_port_fails_within_five_seconds_naming_the_url() {
    // The real retry policy (no APIFY_WEBHOOKS_RETRY_BASE_MS): the bound is on our own waiting.
    let (out, elapsed) = run_within(
        &mut plan_cmd(&["--api-url", "http://127.0.0.1:1"]),
        Duration::from_secs(60),
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    let lines: Vec<_> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {}", out.stderr);
    assert!(
        lines[0].starts_with("error: cannot connect to the Apify API at http://127.0.0.1:1: "),
        "{}",
        lines[0]
    );
    assert!(!out.stderr.contains(TOKEN));
}

#[test]
fn a_503_storm_is_still_retried_per_policy_by_plan() {
    let server = Background::start(config());
    server
        .handle()
        .inject(std::iter::repeat_n(InjectedFault::Status(503), 200));
    let (out, _) = run_within(
        server
            .bin()
            .current_dir(root())
            .args(["plan", "examples/minimal.yaml"]),
        Duration::from_secs(60),
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("HTTP 503"), "{}", out.stderr);
    // Retries beyond the first are visible without -v.
    assert!(out.stderr.contains("(attempt 9 of 9)"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("(injected by the emulator); retrying in "),
        "the warning names the answer and the wait, without `.;`: {}",
        out.stderr
    );
    let log = server.handle().request_log();
    assert!(log.iter().all(|e| e.status == Some(503)));
    let mut attempts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for entry in &log {
        *attempts.entry(entry.path.as_str()).or_default() += 1;
    }
    assert_eq!(
        attempts.values().max(),
        Some(&9),
        "the failed request had one attempt and eight retries: {attempts:?}"
    );
}

#[test]
fn a_malformed_token_is_refused_before_any_request_without_echoing_it() {
    let server = Background::start(config());
    let secret = "apify_api_S3CRETPART";
    let (out, _) = run_within(
        server
            .bin()
            .current_dir(root())
            .env("APIFY_TOKEN", format!("{secret}\nsecond line"))
            .args(["plan", "examples/minimal.yaml"]),
        Duration::from_secs(30),
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: the API token from APIFY_TOKEN is malformed: it has more than one line (the \
         token must be the only thing there)\n"
    );
    assert!(server.handle().request_log().is_empty(), "no request sent");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{secret}\r\n# a comment\n")).unwrap();
    let (out, _) = run_within(
        server
            .bin()
            .current_dir(root())
            .env_remove("APIFY_TOKEN")
            .args(["plan", "examples/minimal.yaml", "--token-file"])
            .arg(&file),
        Duration::from_secs(30),
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "the API token from token file {} is malformed",
            file.display()
        )),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("S3CRET"), "{}", out.stderr);
    assert!(server.handle().request_log().is_empty(), "no request sent");
}

#[cfg(unix)]
#[test]
fn a_token_file_that_is_a_device_is_refused_at_once() {
    let (out, elapsed) = run_within(
        bin().current_dir(root()).args([
            "plan",
            "examples/minimal.yaml",
            "--token-file",
            "/dev/zero",
        ]),
        Duration::from_secs(30),
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: cannot read token file /dev/zero: not a regular file\n"
    );
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

/// `plan` against `server` with quick retries (so a regression that retries shows up as a
/// request count, not as minutes).
fn plan_against(server: &Canned) -> Output {
    let mut cmd = plan_cmd(&["--api-url", &server.url]);
    cmd.env("APIFY_WEBHOOKS_RETRY_BASE_MS", "1");
    run_within(&mut cmd, Duration::from_secs(60)).0
}

/// Every request line `server` saw, once each: nothing was retried.
fn assert_each_request_once(server: &Canned) {
    let requests = server.requests();
    let unique: std::collections::HashSet<_> = requests.iter().collect();
    assert!(!requests.is_empty());
    assert_eq!(unique.len(), requests.len(), "retried: {requests:?}");
}

#[test]
fn an_html_page_answering_200_is_not_an_apify_api() {
    let server = Canned::html("200 OK");
    let out = plan_against(&server);
    assert_eq!(out.code, 1, "{out:?}");
    let prefix = format!("error: not an Apify API at {}: GET /v2/", server.url);
    assert!(out.stderr.starts_with(&prefix), "{}", out.stderr);
    assert!(
        out.stderr
            .ends_with(" answered HTTP 200 with a text/html body, not JSON\n"),
        "{}",
        out.stderr
    );
    assert_each_request_once(&server);
}

#[test]
fn an_html_404_is_not_an_apify_api_and_not_an_unknown_actor() {
    let server = Canned::html("404 Not Found");
    let out = plan_against(&server);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(!out.stderr.contains("was not found"), "{}", out.stderr);
    let prefix = format!("error: not an Apify API at {}: GET /v2/", server.url);
    assert!(out.stderr.starts_with(&prefix), "{}", out.stderr);
    assert!(
        out.stderr
            .ends_with(" answered HTTP 404 with a text/html body\n"),
        "{}",
        out.stderr
    );
    assert_each_request_once(&server);
}

#[test]
fn json_without_the_data_envelope_or_a_redirect_is_not_an_apify_api() {
    let body = r#"{"status":"ok"}"#;
    let server = Canned::start(Some(format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )));
    let out = plan_against(&server);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .ends_with(" answered without the API's `data` envelope\n"),
        "{}",
        out.stderr
    );
    assert_each_request_once(&server);

    let server = Canned::start(Some(
        "HTTP/1.1 301 Moved Permanently\r\nLocation: https://example.com/login?next=x\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
            .to_owned(),
    ));
    let out = plan_against(&server);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.ends_with(
            " answered HTTP 301, a redirect to https://example.com/login (the API does not \
             redirect)\n"
        ),
        "{}",
        out.stderr
    );
    assert_each_request_once(&server);
}

#[test]
fn a_server_that_never_answers_is_bounded_by_the_timeout() {
    let server = Canned::start(None);
    let (out, elapsed) = run_within(
        &mut plan_cmd(&["--api-url", &server.url, "--timeout", "2s"]),
        Duration::from_secs(60),
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    let prefix = format!(
        "error: timed out after 2s (--timeout) waiting for GET {}/v2/",
        server.url
    );
    assert!(out.stderr.starts_with(&prefix), "{}", out.stderr);
    assert!(
        out.stderr.ends_with(": last error: no answer within 2s\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_invalid_api_url_is_a_usage_error() {
    for (args, env, message) in [
        (
            &["--api-url", "ftp://api.example.com"][..],
            None,
            "error: invalid API URL \"ftp://api.example.com\": unsupported scheme \"ftp\"\n",
        ),
        (
            &[][..],
            Some("http://api.example.com"),
            "error: refusing plain http:// API URL http://api.example.com: only loopback hosts \
             may use http (use https://)\n",
        ),
        (
            &["--api-url", "not a url"][..],
            None,
            "error: invalid API URL \"not a url\": relative URL without a base\n",
        ),
    ] {
        let mut cmd = plan_cmd(args);
        if let Some(url) = env {
            cmd.env("APIFY_API_BASE_URL", url);
        }
        let (out, _) = run_within(&mut cmd, Duration::from_secs(30));
        assert_eq!((out.code, out.stderr.as_str()), (64, message), "{args:?}");
    }
    let (out, _) = run_within(&mut plan_cmd(&["--timeout", "0s"]), Duration::from_secs(30));
    assert_eq!(out.code, 64, "{out:?}");
    assert!(out.stderr.contains("longer than zero"), "{}", out.stderr);
}

#[test]
fn a_token_file_path_is_read_only_when_regular() {
    // A symlink to a regular file is followed; the file's trailing newline is no problem.
    let server = Background::start(config());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    let link = dir.path().join("link");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&file, &link).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(&file, &link).unwrap();
    let (out, _) = run_within(
        server
            .bin()
            .current_dir(root())
            .env_remove("APIFY_TOKEN")
            .args(["plan", "examples/minimal.yaml", "--token-file"])
            .arg(Path::new(&link)),
        Duration::from_secs(60),
    );
    assert_eq!(out.code, 0, "{out:?}");
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

#[tokio::test]
async fn the_token_appears_only_in_the_authorization_header() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emulator = start(config()).await;
    let api = client(&emulator, TOKEN);
    let actor = api.get_actor("acme/web-scraper").await.unwrap().unwrap();
    emulator.inject([InjectedFault::Status(502), InjectedFault::Drop]);
    let created = api
        .create_webhook(&create_body(&actor.id, Some("k")))
        .await
        .unwrap();
    let mut errors = Vec::new();
    let mut bad = create_body(&actor.id, None);
    bad.event_types.clear();
    errors.push(api.create_webhook(&bad).await.unwrap_err());
    errors.push(
        api.update_webhook("NoSuchWebhook0000", &WebhookUpdate::default())
            .await
            .unwrap_err(),
    );
    emulator.inject(std::iter::repeat_n(InjectedFault::Status(503), 9));
    errors.push(api.list_webhooks().await.unwrap_err());
    api.test_webhook(&created.id).await.unwrap();
    api.delete_webhook(&created.id).await.unwrap();

    let log = emulator.request_log();
    assert!(log.len() >= 15, "a real session: {} requests", log.len());
    for entry in &log {
        let text = serde_json::to_string(entry).unwrap();
        assert!(
            !text.contains(TOKEN),
            "request {} {} leaks the token: {text}",
            entry.method,
            entry.path
        );
        assert_eq!(entry.auth, "bearer");
        let auth = entry
            .headers
            .iter()
            .filter(|(k, _)| k == "authorization")
            .count();
        assert_eq!(auth, 1, "exactly one Authorization header");
    }
    for err in &errors {
        assert!(!format!("{err} {err:?}").contains(TOKEN), "{err:?}");
    }
    assert!(!format!("{api:?}").contains(TOKEN));
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("/v2/webhooks"),
        "debug logs were captured: {logs}"
    );
    assert!(logs.contains("attempt=2"), "retries are logged: {logs}");
    assert!(!logs.contains(TOKEN), "the logs leak the token");
    crate::contract::assert_log_matches_spec(&emulator);
}
