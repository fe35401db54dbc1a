//! The platform client against the emulator: every operation, pagination with small pages,
//! retries under injected 429 / 5xx / dropped connections (attempts counted from the request
//! log), and that the token never shows up anywhere but the `Authorization` header.

use std::io::Write;
use std::sync::{Arc, Mutex};

use apify_webhooks::emulator::{EmulatorConfig, Faults, InjectedFault, LogEntry};
use apify_webhooks::platform::{
    ApiBaseUrl, ApiToken, ApifyClient, ClientConfig, Condition, Platform, PlatformError,
    WebhookCreate, WebhookUpdate,
};

use crate::support::emulator::{OTHER_TOKEN, TOKEN, client, config, fast_retry, start};

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
async fn unreachable_servers_are_transport_errors_after_retries() {
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
    assert!(matches!(err, PlatformError::Transport { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("never_leak_me"));
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
