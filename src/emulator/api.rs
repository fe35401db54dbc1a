//! The `/v2` routes of the emulator: webhooks, their test and dispatches, Actors (also under the
//! legacy `/v2/acts` prefix) and tasks (listed, made, renamed and deleted), and the current
//! user, with the official envelopes (`{"data": ...}`, paginated lists, `{"error": {"type",
//! "message"}}`), status codes and error types. A token (`Authorization: Bearer` or `?token=`)
//! picks the user; a user sees only their own webhooks and tasks, their own and public Actors,
//! and changes only their own.

use std::collections::HashMap;
use std::sync::{Arc, MutexGuard};

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Map, Value, json};

use super::Shared;
use super::state::{ActorRec, State as Store, TaskRec, UserRec, WebhookRec};
use super::validate::{self, Patch};

/// The largest request body the platform accepts (9 MB).
pub(crate) const MAX_BODY_BYTES: usize = 9_437_184;

/// The most items a list page holds.
const MAX_LIMIT: usize = 1000;

/// The error `type` of an error answer that has only its status: the framework's plain-text
/// rejections and hyper's own bare answers get their envelope from it.
pub(crate) fn error_type(status: u16) -> &'static str {
    match status {
        404 => "record-not-found",
        405 => "method-not-allowed",
        413 => "request-too-large",
        415 => "unsupported-content-encoding",
        429 => "rate-limit-exceeded",
        431 => "invalid-header",
        s if s >= 500 => "internal-server-error",
        _ => "invalid-request",
    }
}

/// An error answer in the official envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub kind: String,
    pub message: String,
}

impl ApiError {
    pub(super) fn new(status: u16, kind: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind: kind.to_owned(),
            message: message.into(),
        }
    }

    pub(super) fn invalid_input(message: impl Into<String>) -> Self {
        ApiError::new(400, "invalid-input", message)
    }

    fn webhook_not_found() -> Self {
        ApiError::new(404, "record-not-found", "Webhook was not found")
    }

    fn actor_not_found() -> Self {
        ApiError::new(404, "actor-not-found", "Actor was not found")
    }

    fn task_not_found() -> Self {
        ApiError::new(404, "record-not-found", "Actor task was not found")
    }

    /// The body of this error.
    pub(super) fn body(&self) -> Value {
        json!({"error": {"type": self.kind, "message": self.message}})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(status, &self.body())
    }
}

/// A JSON response with the platform's content type.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

#[allow(clippy::needless_pass_by_value)] // Every caller builds the value just for this.
fn data(status: StatusCode, value: Value) -> Response {
    json_response(status, &json!({ "data": value }))
}

/// The user behind the request's token.
pub(crate) struct Caller(UserRec);

/// The token of a request: the `Authorization: Bearer` header, else the `token` query parameter.
pub(crate) fn request_token(parts: &Parts) -> Option<(String, &'static str)> {
    if let Some(value) = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
        if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
            return Some((token.trim().to_owned(), "bearer"));
        }
    }
    let query = parts.uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, value)| key == "token" && !value.is_empty())
        .map(|(_, value)| (value.into_owned(), "query"))
}

impl FromRequestParts<Arc<Shared>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, ApiError> {
        let Some((token, _)) = request_token(parts) else {
            return Err(ApiError::new(
                401,
                "token-not-provided",
                "Authentication token was not provided",
            ));
        };
        let state = shared.lock_state();
        match state.user_by_token(&token) {
            Some(user) => Ok(Caller(user.clone())),
            None => Err(ApiError::new(
                401,
                "invalid-token",
                "Authentication token is not valid.",
            )),
        }
    }
}

/// A JSON object request body.
pub(crate) struct JsonObject(Map<String, Value>);

impl FromRequest<Arc<Shared>> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &Arc<Shared>) -> Result<Self, ApiError> {
        let json_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                ApiError::new(
                    413,
                    "request-too-large",
                    format!("The POST payload is too large (limit: {MAX_BODY_BYTES} bytes)."),
                )
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(
                400,
                "invalid-request",
                "POST data must be a JSON object",
            ));
        }
        if !json_type {
            return Err(ApiError::new(
                400,
                "invalid-content-type-header",
                "The request must specify the \"Content-Type: application/json\" HTTP header.",
            ));
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(JsonObject(map)),
            Ok(_) => Err(ApiError::new(
                400,
                "invalid-request",
                "POST data must be a JSON object",
            )),
            Err(err) => Err(ApiError::new(
                400,
                "invalid-request",
                format!("Invalid JSON: {err}"),
            )),
        }
    }
}

/// `offset`, `limit` and `desc` of a list request.
struct Paging {
    offset: usize,
    limit: usize,
    desc: bool,
    params: HashMap<String, String>,
}

impl Paging {
    fn from_query(query: Option<&str>, max_page: Option<usize>) -> Result<Self, ApiError> {
        let params: HashMap<String, String> =
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        let number = |name: &str| -> Result<Option<usize>, ApiError> {
            match params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(text) => text
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite() && *n >= 0.0)
                    .map_or_else(
                        || {
                            Err(ApiError::new(
                                400,
                                "invalid-parameter",
                                format!("Parameter \"{name}\" must be a non-negative number."),
                            ))
                        },
                        // Truncation is the intent: "2.7" items means 2.
                        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                        |n| Ok(Some(n as usize)),
                    ),
            }
        };
        let offset = number("offset")?.unwrap_or(0);
        let requested = number("limit")?.filter(|n| *n > 0).unwrap_or(MAX_LIMIT);
        let limit = requested
            .min(MAX_LIMIT)
            .min(max_page.unwrap_or(MAX_LIMIT))
            .max(1);
        Ok(Paging {
            offset,
            limit,
            desc: flag(&params, "desc"),
            params,
        })
    }

    /// The list envelope for `items` (already in ascending `createdAt` order).
    fn page(&self, mut items: Vec<Value>) -> Response {
        let total = items.len();
        if self.desc {
            items.reverse();
        }
        let page: Vec<Value> = items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect();
        data(
            StatusCode::OK,
            json!({
                "total": total,
                "offset": self.offset,
                "limit": self.limit,
                "count": page.len(),
                "desc": self.desc,
                "items": page,
            }),
        )
    }
}

fn flag(params: &HashMap<String, String>, name: &str) -> bool {
    params
        .get(name)
        .is_some_and(|v| matches!(v.trim(), "1" | "true" | "True" | "TRUE"))
}

fn paging(shared: &Shared, query: Option<&str>) -> Result<Paging, ApiError> {
    Paging::from_query(query, shared.max_page_size())
}

/// A method router whose other methods answer 405 in the envelope.
fn methods(router: MethodRouter<Arc<Shared>>, allowed: &'static str) -> MethodRouter<Arc<Shared>> {
    router.fallback(move || async move {
        ApiError::new(
            405,
            "method-not-allowed",
            format!("This API end-point can only be accessed using the following HTTP methods: {allowed}"),
        )
    })
}

/// The `/v2` routes.
pub(crate) fn router() -> Router<Arc<Shared>> {
    use axum::routing::post;
    let actors = || {
        methods(
            get(list_items::<ActorRec>).post(create_actor),
            "OPTIONS,GET,POST",
        )
    };
    let actor = || {
        methods(
            get(get_item::<ActorRec>)
                .put(update_item::<ActorRec>)
                .delete(delete_item::<ActorRec>),
            "OPTIONS,GET,PUT,DELETE",
        )
    };
    let actor_webhooks = || methods(get(item_webhooks::<ActorRec>), "OPTIONS,GET");
    Router::new()
        .route(
            "/v2/webhooks",
            methods(get(list_webhooks).post(create_webhook), "OPTIONS,GET,POST"),
        )
        .route(
            "/v2/webhooks/{id}",
            methods(
                get(get_webhook).put(update_webhook).delete(delete_webhook),
                "OPTIONS,GET,PUT,DELETE",
            ),
        )
        .route(
            "/v2/webhooks/{id}/test",
            methods(post(test_webhook), "OPTIONS,POST"),
        )
        .route(
            "/v2/webhooks/{id}/dispatches",
            methods(get(webhook_dispatches), "OPTIONS,GET"),
        )
        .route(
            "/v2/webhook-dispatches",
            methods(get(list_dispatches), "OPTIONS,GET"),
        )
        .route(
            "/v2/webhook-dispatches/{id}",
            methods(get(get_dispatch), "OPTIONS,GET"),
        )
        .route("/v2/actors", actors())
        .route("/v2/acts", actors())
        .route("/v2/actors/{id}", actor())
        .route("/v2/acts/{id}", actor())
        .route("/v2/actors/{id}/webhooks", actor_webhooks())
        .route("/v2/acts/{id}/webhooks", actor_webhooks())
        .route(
            "/v2/actor-tasks",
            methods(
                get(list_items::<TaskRec>).post(create_task),
                "OPTIONS,GET,POST",
            ),
        )
        .route(
            "/v2/actor-tasks/{id}",
            methods(
                get(get_item::<TaskRec>)
                    .put(update_item::<TaskRec>)
                    .delete(delete_item::<TaskRec>),
                "OPTIONS,GET,PUT,DELETE",
            ),
        )
        .route(
            "/v2/actor-tasks/{id}/webhooks",
            methods(get(item_webhooks::<TaskRec>), "OPTIONS,GET"),
        )
        .route("/v2/users/me", methods(get(me), "OPTIONS,GET"))
}

/// The answer for a path that is no endpoint.
pub(crate) fn page_not_found() -> ApiError {
    ApiError::new(
        404,
        "page-not-found",
        "We have bad news: there is no API endpoint at this URL.",
    )
}

async fn list_webhooks(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let paging = paging(&shared, query.as_deref())?;
    let state = shared.lock_state();
    let items = state
        .webhooks
        .iter()
        .filter(|w| w.user_id == user.id)
        .map(|w| w.short_json(shared.list_descriptions))
        .collect();
    Ok(paging.page(items))
}

async fn create_webhook(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let input = validate::create_body(&body)?;
    let replay = shared.deleted_keys() == super::DeletedKeys::Replay;
    let mut state = shared.lock_state();
    if let Patch::Value(key) = &input.idempotency_key {
        let with_key =
            |w: &&WebhookRec| w.user_id == user.id && w.idempotency_key.as_deref() == Some(key);
        let existing = state.webhooks.iter().find(with_key);
        if let Some(existing) = existing {
            return Ok(created(&shared, existing));
        }
        // The key of a deleted webhook, in `replay` mode: its record, though it is gone.
        if replay && let Some(deleted) = state.deleted_webhooks.iter().rev().find(with_key) {
            return Ok(created(&shared, deleted));
        }
    }
    let Patch::Value(condition) = input.condition else {
        return Err(ApiError::invalid_input("Field \"condition\" is required."));
    };
    check_condition(&state, &user, &condition)?;
    let count = state
        .webhooks
        .iter()
        .filter(|w| w.user_id == user.id)
        .count();
    if count >= shared.max_webhooks_per_user {
        return Err(ApiError::new(
            403,
            "too-many-webhooks",
            format!(
                "You have reached the maximum number of webhooks ({}). Delete some to create new ones.",
                shared.max_webhooks_per_user
            ),
        ));
    }
    let id = state.fresh_id();
    let now = state.tick();
    let value = |patch: Patch<String>| match patch {
        Patch::Value(v) => Some(v),
        Patch::Absent | Patch::Null => None,
    };
    let flag = |patch: Patch<bool>| matches!(patch, Patch::Value(true));
    let webhook = WebhookRec {
        id,
        user_id: user.id.clone(),
        created_at: now.clone(),
        modified_at: now,
        event_types: match input.event_types {
            Patch::Value(v) => v,
            Patch::Absent | Patch::Null => Vec::new(),
        },
        condition,
        request_url: value(input.request_url),
        payload_template: value(input.payload_template),
        headers_template: value(input.headers_template),
        description: value(input.description),
        ignore_ssl_errors: flag(input.ignore_ssl_errors),
        do_not_retry: flag(input.do_not_retry),
        should_interpolate_strings: flag(input.should_interpolate_strings),
        is_ad_hoc: flag(input.is_ad_hoc),
        is_apify_integration: flag(input.is_apify_integration),
        is_enabled: true,
        action_type: "HTTP_REQUEST".to_owned(),
        idempotency_key: value(input.idempotency_key),
        last_dispatch: None,
        stats: super::state::Stats::default(),
    };
    state.webhooks.push(webhook);
    shared.save(&state)?;
    let Some(webhook) = state.webhooks.last() else {
        return Err(ApiError::new(
            500,
            "internal-server-error",
            "webhook vanished",
        ));
    };
    Ok(created(&shared, webhook))
}

fn created(shared: &Shared, webhook: &WebhookRec) -> Response {
    created_at_location(
        shared,
        &format!("/v2/webhooks/{}", webhook.id),
        webhook.full_json(),
    )
}

/// A condition must name an Actor the caller can see or a task of theirs (by ID, as the
/// platform requires), or a run.
fn check_condition(
    state: &super::state::State,
    user: &UserRec,
    condition: &super::state::ConditionRec,
) -> Result<(), ApiError> {
    if let Some(actor_id) = &condition.actor_id {
        let visible = state
            .actors
            .iter()
            .any(|a| &a.id == actor_id && (a.user_id == user.id || a.is_public));
        if !visible {
            return Err(ApiError::actor_not_found());
        }
    }
    if let Some(task_id) = &condition.actor_task_id
        && !state
            .tasks
            .iter()
            .any(|t| &t.id == task_id && t.user_id == user.id)
    {
        return Err(ApiError::task_not_found());
    }
    Ok(())
}

async fn get_webhook(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let state = shared.lock_state();
    let index = state
        .webhook_index(&user, &id)
        .ok_or_else(ApiError::webhook_not_found)?;
    Ok(data(StatusCode::OK, state.webhooks[index].full_json()))
}

async fn update_webhook(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let mut state = shared.lock_state();
    let index = state
        .webhook_index(&user, &id)
        .ok_or_else(ApiError::webhook_not_found)?;
    let input = validate::update_body(&body, state.webhooks[index].should_interpolate_strings)?;
    if let Patch::Value(body_id) = &input.id
        && body_id != &id
    {
        return Err(ApiError::new(
            400,
            "id-does-not-match",
            "The ID in the request body does not match the ID in the URL.",
        ));
    }
    if let Patch::Value(condition) = &input.condition {
        check_condition(&state, &user, condition)?;
    }
    let now = state.tick();
    let webhook = &mut state.webhooks[index];
    // Required fields cannot be cleared: `null` leaves them as they are.
    if let Patch::Value(v) = input.event_types {
        webhook.event_types = v;
    }
    if let Patch::Value(v) = input.condition {
        webhook.condition = v;
    }
    if let Patch::Value(v) = input.request_url {
        webhook.request_url = Some(v);
    }
    for (patch, field) in [
        (input.payload_template, &mut webhook.payload_template),
        (input.headers_template, &mut webhook.headers_template),
        (input.description, &mut webhook.description),
    ] {
        match patch {
            Patch::Absent => {}
            Patch::Null => *field = None,
            Patch::Value(v) => *field = Some(v),
        }
    }
    for (patch, field) in [
        (input.ignore_ssl_errors, &mut webhook.ignore_ssl_errors),
        (input.do_not_retry, &mut webhook.do_not_retry),
        (
            input.should_interpolate_strings,
            &mut webhook.should_interpolate_strings,
        ),
        (input.is_ad_hoc, &mut webhook.is_ad_hoc),
        (
            input.is_apify_integration,
            &mut webhook.is_apify_integration,
        ),
    ] {
        match patch {
            Patch::Absent => {}
            Patch::Null => *field = false,
            Patch::Value(v) => *field = v,
        }
    }
    webhook.modified_at = now;
    let body = webhook.full_json();
    shared.save(&state)?;
    Ok(data(StatusCode::OK, body))
}

async fn delete_webhook(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let mut state = shared.lock_state();
    let index = state
        .webhook_index(&user, &id)
        .ok_or_else(ApiError::webhook_not_found)?;
    let deleted = state.webhooks.remove(index);
    if deleted.idempotency_key.is_some() && shared.deleted_keys() == super::DeletedKeys::Replay {
        state.deleted_webhooks.push(deleted);
    }
    state.dispatches.retain(|d| d.webhook_id != id);
    shared.save(&state)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn test_webhook(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (body, job, saved) = {
        let mut state = shared.lock_state();
        let index = state
            .webhook_index(&user, &id)
            .ok_or_else(ApiError::webhook_not_found)?;
        // A real request, like the platform's: one call, delivered in the background.
        let event = super::deliver::test_event(&mut state, index);
        let (body, job) = super::deliver::open_dispatch(
            &shared,
            &mut state,
            index,
            &event,
            Some(event.event_data.clone()),
            true,
        );
        let saved = shared.save(&state);
        (body, job, saved)
    };
    // Counted as active already: it must run even when the state could not be saved.
    super::deliver::spawn(&shared, job);
    saved?;
    Ok(data(StatusCode::CREATED, body))
}

async fn webhook_dispatches(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let paging = paging(&shared, query.as_deref())?;
    let state = shared.lock_state();
    let index = state
        .webhook_index(&user, &id)
        .ok_or_else(ApiError::webhook_not_found)?;
    let webhook = &state.webhooks[index];
    let items = state
        .dispatches
        .iter()
        .filter(|d| d.webhook_id == id)
        .map(|d| d.to_json(Some(webhook)))
        .collect();
    Ok(paging.page(items))
}

async fn list_dispatches(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let paging = paging(&shared, query.as_deref())?;
    let state = shared.lock_state();
    let items = state
        .dispatches
        .iter()
        .filter(|d| d.user_id == user.id)
        .map(|d| d.to_json(state.webhooks.iter().find(|w| w.id == d.webhook_id)))
        .collect();
    Ok(paging.page(items))
}

async fn get_dispatch(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let state = shared.lock_state();
    let dispatch = state
        .dispatches
        .iter()
        .find(|d| d.id == id && d.user_id == user.id)
        .ok_or_else(|| ApiError::new(404, "record-not-found", "Webhook dispatch was not found"))?;
    let webhook = state.webhooks.iter().find(|w| w.id == dispatch.webhook_id);
    Ok(data(StatusCode::OK, dispatch.to_json(webhook)))
}

/// What the Actor and task routes share about the kind of item they serve: where the items are
/// stored, how a reference finds one, their errors and JSON, how a `PUT` body changes one, and
/// what goes with one that is deleted.
trait Stored: Sized + 'static {
    /// The error `type` of a name another of the user's items of the kind already has.
    const NAME_NOT_UNIQUE: &'static str;
    /// The path of the kind's list (`/v2/actors`); an item is at `{PATH}/{id}`.
    const PATH: &'static str;
    /// A checked `PUT` body.
    type Update;

    /// The answer for an item the caller cannot see.
    fn not_found() -> ApiError;
    fn items(state: &Store) -> &[Self];
    fn items_mut(state: &mut Store) -> &mut Vec<Self>;
    /// The item a reference (`ID` or `username~name`) names, if the caller can see it.
    fn find<'a>(state: &'a Store, user: &UserRec, reference: &str) -> Option<&'a Self>;
    fn id(&self) -> &str;
    fn user_id(&self) -> &str;
    fn name(&self) -> &str;
    fn full_json(&self) -> Value;
    /// The items of the kind's list for `user`, as list items, in ascending `createdAt` order.
    fn listed(state: &Store, user: &UserRec, params: &HashMap<String, String>) -> Vec<Value>;
    /// Whether `webhook`'s condition names this item.
    fn watched_by(&self, webhook: &WebhookRec) -> bool;
    /// Checks the body of a `PUT`.
    fn update_body(body: &Map<String, Value>) -> Result<Self::Update, ApiError>;
    /// The name a `PUT` gives the item, if it gives one.
    fn new_name(update: &Self::Update) -> Option<&str>;
    /// Applies a checked `PUT` body, modified at `now`.
    fn update(&mut self, update: Self::Update, now: String);
    /// Removes what must not outlive `removed`, just deleted: with `remember`, deleted
    /// webhooks keep their idempotency keys.
    fn cascade(state: &mut Store, removed: &Self, remember: bool);
}

/// The part of a `Stored` implementation that every kind has alike: its list in the state
/// (`$list`), its `id`, `user_id` and `name` fields, its full JSON, and the `name` of its
/// checked `PUT` body.
macro_rules! stored_alike {
    ($list:ident) => {
        fn items(state: &Store) -> &[Self] {
            &state.$list
        }

        fn items_mut(state: &mut Store) -> &mut Vec<Self> {
            &mut state.$list
        }

        fn id(&self) -> &str {
            &self.id
        }

        fn user_id(&self) -> &str {
            &self.user_id
        }

        fn name(&self) -> &str {
            &self.name
        }

        fn full_json(&self) -> Value {
            Self::full_json(self)
        }

        fn new_name(update: &Self::Update) -> Option<&str> {
            match &update.name {
                Patch::Value(name) => Some(name),
                Patch::Absent | Patch::Null => None,
            }
        }
    };
}

impl Stored for ActorRec {
    const NAME_NOT_UNIQUE: &'static str = "actor-name-not-unique";
    const PATH: &'static str = "/v2/actors";
    type Update = validate::ActorInput;
    stored_alike!(actors);

    fn not_found() -> ApiError {
        ApiError::actor_not_found()
    }

    fn find<'a>(state: &'a Store, user: &UserRec, reference: &str) -> Option<&'a Self> {
        state.find_actor(user, reference)
    }

    fn listed(state: &Store, user: &UserRec, params: &HashMap<String, String>) -> Vec<Value> {
        let my = flag(params, "my");
        // The platform lists the Actors the user "created or used"; `my=1` only those they own.
        state
            .actors
            .iter()
            .filter(|a| {
                if my {
                    a.user_id == user.id
                } else {
                    state.created_or_used(user, a)
                }
            })
            .map(ActorRec::short_json)
            .collect()
    }

    fn watched_by(&self, webhook: &WebhookRec) -> bool {
        webhook.condition.actor_id.as_deref() == Some(self.id.as_str())
    }

    fn update_body(body: &Map<String, Value>) -> Result<Self::Update, ApiError> {
        validate::actor_body(body, false)
    }

    fn update(&mut self, update: Self::Update, now: String) {
        if let Patch::Value(name) = update.name {
            self.name = name;
        }
        if let Patch::Value(is_public) = update.is_public {
            self.is_public = is_public;
        }
        update.title.apply(&mut self.title);
        update.description.apply(&mut self.description);
        self.modified_at = now;
    }

    /// Every task of the Actor goes with it (the platform deletes them with it), and every
    /// webhook whose condition names the Actor or one of those tasks, with their dispatches:
    /// nothing is left pointing at an Actor that is gone.
    fn cascade(state: &mut Store, removed: &Self, remember: bool) {
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut state.tasks)
            .into_iter()
            .partition(|t| t.act_id == removed.id);
        state.tasks = kept;
        state.remove_webhooks(remember, |w| {
            removed.watched_by(w) || gone.iter().any(|task| task.watched_by(w))
        });
    }
}

impl Stored for TaskRec {
    const NAME_NOT_UNIQUE: &'static str = "actor-task-name-not-unique";
    const PATH: &'static str = "/v2/actor-tasks";
    type Update = validate::TaskInput;
    stored_alike!(tasks);

    fn not_found() -> ApiError {
        ApiError::task_not_found()
    }

    /// Another user's task is as good as missing.
    fn find<'a>(state: &'a Store, user: &UserRec, reference: &str) -> Option<&'a Self> {
        state.find_task(user, reference)
    }

    fn listed(state: &Store, user: &UserRec, _: &HashMap<String, String>) -> Vec<Value> {
        state
            .tasks
            .iter()
            .filter(|t| t.user_id == user.id)
            .map(|t| t.short_json(state.actors.iter().find(|a| a.id == t.act_id)))
            .collect()
    }

    fn watched_by(&self, webhook: &WebhookRec) -> bool {
        webhook.condition.actor_task_id.as_deref() == Some(self.id.as_str())
    }

    fn update_body(body: &Map<String, Value>) -> Result<Self::Update, ApiError> {
        validate::task_body(body, false)
    }

    fn update(&mut self, update: Self::Update, now: String) {
        if let Patch::Value(name) = update.name {
            self.name = name;
        }
        update.title.apply(&mut self.title);
        self.modified_at = now;
    }

    /// The webhooks on the task go with it, with their dispatches.
    fn cascade(state: &mut Store, removed: &Self, remember: bool) {
        state.remove_webhooks(remember, |w| removed.watched_by(w));
    }
}

/// `GET` on a kind's list.
async fn list_items<K: Stored>(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let paging = paging(&shared, query.as_deref())?;
    let state = shared.lock_state();
    let items = K::listed(&state, &user, &paging.params);
    Ok(paging.page(items))
}

/// `GET` on an item the caller can see.
async fn get_item<K: Stored>(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let state = shared.lock_state();
    let item = K::find(&state, &user, &id).ok_or_else(K::not_found)?;
    Ok(data(StatusCode::OK, item.full_json()))
}

/// The caller's webhooks whose condition names an item the caller can see.
async fn item_webhooks<K: Stored>(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let paging = paging(&shared, query.as_deref())?;
    let state = shared.lock_state();
    let item = K::find(&state, &user, &id).ok_or_else(K::not_found)?;
    let items = webhooks_where(&state.webhooks, &user, shared.list_descriptions, |w| {
        item.watched_by(w)
    });
    Ok(paging.page(items))
}

/// A 201 answer with the new object and its `Location`.
fn created_at_location(shared: &Shared, path: &str, body: Value) -> Response {
    let mut response = data(StatusCode::CREATED, body);
    if let Ok(location) = HeaderValue::from_str(&format!("{}{path}", shared.base_url)) {
        response.headers_mut().insert(LOCATION, location);
    }
    response
}

/// The index of the caller's own item: the kind's not-found answer when they cannot see it,
/// 403 `insufficient-permissions` when they see it but it is another user's (a public Actor).
fn own_index<K: Stored>(state: &Store, user: &UserRec, reference: &str) -> Result<usize, ApiError> {
    let item = K::find(state, user, reference).ok_or_else(K::not_found)?;
    if item.user_id() != user.id {
        return Err(ApiError::new(
            403,
            "insufficient-permissions",
            "You do not have permission to perform this action.",
        ));
    }
    K::items(state)
        .iter()
        .position(|i| i.id() == item.id())
        .ok_or_else(K::not_found)
}

/// Whether another of the user's items of the kind (other than the one at `except`) is
/// named `name`.
fn name_in_use<K: Stored>(
    state: &Store,
    user: &UserRec,
    name: &str,
    except: Option<usize>,
) -> bool {
    K::items(state)
        .iter()
        .enumerate()
        .any(|(i, item)| Some(i) != except && item.user_id() == user.id && item.name() == name)
}

/// 409 with the kind's error type when `name` is in use by another of the user's items.
fn name_free<K: Stored>(
    state: &Store,
    user: &UserRec,
    name: &str,
    except: Option<usize>,
) -> Result<(), ApiError> {
    if name_in_use::<K>(state, user, name, except) {
        return Err(ApiError::new(
            409,
            K::NAME_NOT_UNIQUE,
            "Record with the given name already exists.",
        ));
    }
    Ok(())
}

/// Stores a new item and answers 201 with it.
fn insert<K: Stored>(
    shared: &Shared,
    mut state: MutexGuard<'_, Store>,
    item: K,
) -> Result<Response, ApiError> {
    let body = item.full_json();
    let path = format!("{}/{}", K::PATH, item.id());
    K::items_mut(&mut state).push(item);
    shared.save(&state)?;
    Ok(created_at_location(shared, &path, body))
}

/// `PUT` on the caller's own item.
async fn update_item<K: Stored>(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let mut state = shared.lock_state();
    let index = own_index::<K>(&state, &user, &id)?;
    let update = K::update_body(&body)?;
    if let Some(name) = K::new_name(&update) {
        name_free::<K>(&state, &user, name, Some(index))?;
    }
    let now = state.tick();
    let item = &mut K::items_mut(&mut state)[index];
    item.update(update, now);
    let body = item.full_json();
    shared.save(&state)?;
    Ok(data(StatusCode::OK, body))
}

/// `DELETE` on the caller's own item, and with it what must not outlive it (`Stored::cascade`).
async fn delete_item<K: Stored>(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let remember = shared.deleted_keys() == super::DeletedKeys::Replay;
    let mut state = shared.lock_state();
    let index = own_index::<K>(&state, &user, &id)?;
    let item = K::items_mut(&mut state).remove(index);
    K::cascade(&mut state, &item, remember);
    shared.save(&state)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn create_actor(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let input = validate::actor_body(&body, true)?;
    let Patch::Value(name) = input.name else {
        return Err(ApiError::invalid_input("Field \"name\" is required."));
    };
    let mut state = shared.lock_state();
    name_free::<ActorRec>(&state, &user, &name, None)?;
    let id = state.fresh_id();
    let now = state.tick();
    let actor = ActorRec {
        id,
        user_id: user.id.clone(),
        username: user.username.clone(),
        name,
        title: input.title.into_option(),
        description: input.description.into_option(),
        is_public: matches!(input.is_public, Patch::Value(true)),
        created_at: now.clone(),
        modified_at: now,
        used_by: Vec::new(),
    };
    insert(&shared, state, actor)
}

async fn create_task(
    State(shared): State<Arc<Shared>>,
    Caller(user): Caller,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let input = validate::task_body(&body, true)?;
    let Patch::Value(act_id) = input.act_id else {
        return Err(ApiError::invalid_input("Field \"actId\" is required."));
    };
    let mut state = shared.lock_state();
    let actor = state
        .find_actor(&user, &act_id)
        .ok_or_else(ApiError::actor_not_found)?
        .clone();
    let name = match input.name {
        Patch::Value(name) => {
            name_free::<TaskRec>(&state, &user, &name, None)?;
            name
        }
        // The platform names an unnamed task after its Actor.
        Patch::Absent | Patch::Null => {
            let base = format!("{}-task", actor.name);
            let mut name = base.clone();
            let mut n = 1;
            while name_in_use::<TaskRec>(&state, &user, &name, None) {
                n += 1;
                name = format!("{base}-{n}");
            }
            name
        }
    };
    let id = state.fresh_id();
    let now = state.tick();
    let task = TaskRec {
        id,
        user_id: user.id.clone(),
        username: user.username.clone(),
        name,
        act_id: actor.id,
        title: input.title.into_option(),
        created_at: now.clone(),
        modified_at: now,
    };
    insert(&shared, state, task)
}

fn webhooks_where(
    webhooks: &[WebhookRec],
    user: &UserRec,
    with_description: bool,
    keep: impl Fn(&WebhookRec) -> bool,
) -> Vec<Value> {
    webhooks
        .iter()
        .filter(|w| w.user_id == user.id && keep(w))
        .map(|w| w.short_json(with_description))
        .collect()
}

async fn me(Caller(user): Caller) -> Response {
    data(StatusCode::OK, user.me_json())
}
