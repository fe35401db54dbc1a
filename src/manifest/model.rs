//! The manifest file as written: serde and schemars types that mirror the YAML one to one. The
//! JSON schema in `schemas/manifest.schema.json` is generated from these types, so their doc
//! comments are what editors show as hover help. Validation turns them into the desired state
//! (`super::desired`); nothing else should use them.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::webhook::EventType;

/// An apify-webhooks manifest: the webhooks that should exist on Apify Actors and Actor tasks.
///
/// Reference: <https://docs.apify.com/platform/integrations/webhooks>. Webhooks are keyed by
/// `key`; `apify-webhooks plan` shows what it would change on the platform to match, and
/// `apify-webhooks apply` changes it.
#[expect(
    dead_code,
    reason = "only its schema is used: entries are decoded one at a time"
)]
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "apify-webhooks manifest")]
pub(super) struct ManifestFile {
    /// Manifest format version. Always `1`.
    #[schemars(extend("const" = 1))]
    pub(super) version: u32,

    /// Who owns the webhooks declared here. Webhooks created by this tool carry the owner in a
    /// marker at the end of their description; a run only ever updates or deletes webhooks of
    /// its own owner, so two repositories or environments can share one Apify account. All
    /// manifests of a run must agree; `--owner` and `APIFY_WEBHOOKS_OWNER` take precedence only
    /// when they agree too. Default: `default`.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9._-]{1,64}$"))]
    pub(super) owner: Option<String>,

    /// Webhooks of Actors, by Actor: `username/name`, `username~name` or an Actor ID. A webhook
    /// on an Actor fires for all of its runs (and builds). A reference with `*` (any run of
    /// characters but `/`) or `?` (one character) is a pattern: its webhooks go on every Actor
    /// of the account whose `username/name` matches, re-evaluated on every plan, so Actors
    /// created later get them too. Patterns match the account's own Actors only.
    #[serde(default)]
    pub(super) actors: Option<IndexMap<String, Vec<WebhookEntry>>>,

    /// Webhooks of Actor tasks, by task: `username/task-name`, `username~task-name` or a task
    /// ID. A webhook on a task fires for the runs started through that task only. A reference
    /// with `*` or `?` is a pattern over the account's tasks, as under `actors`.
    #[serde(default)]
    pub(super) tasks: Option<IndexMap<String, Vec<WebhookEntry>>>,
}

/// One webhook. Field names are the Apify API's own.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct WebhookEntry {
    /// The webhook's identity: unique per owner across all manifests, 1 to 100 characters of
    /// `A-Z a-z 0-9 . _ / -`. Changing it deletes the old webhook and creates a new one, unless
    /// the old key is listed in `previousKeys`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9._/-]{1,100}$"))]
    pub(super) key: String,

    /// Take over an existing webhook that this tool does not manage yet, by its ID (as shown in
    /// Apify Console or by `GET /v2/webhooks`). The plan updates it to match this entry and
    /// marks it as owned; the field may stay or go once applied.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9]{1,64}$"))]
    pub(super) adopt: Option<String>,

    /// Only under a pattern (a reference with `*` or `?`): the Actors or tasks it leaves out,
    /// by `username/name`, ID or pattern.
    #[serde(default)]
    #[schemars(inner(regex(pattern = r"^[A-Za-z0-9._~/*?-]{1,200}$")))]
    pub(super) exclude: Option<Vec<String>>,

    /// Keys this webhook was declared under before (a rename). A live webhook of this owner
    /// under one of them is re-marked with `key` in place, keeping its ID and dispatch history,
    /// instead of being deleted and created again. A previous key may not be declared as a key
    /// too, nor listed by two entries. It may stay once applied.
    #[serde(default)]
    #[schemars(inner(regex(pattern = r"^[A-Za-z0-9._/-]{1,100}$")))]
    pub(super) previous_keys: Option<Vec<String>>,

    /// The events that fire the webhook: `ACTOR.RUN.*`, and for Actors also `ACTOR.BUILD.*`.
    /// Order and repetition do not matter.
    #[schemars(length(min = 1))]
    pub(super) event_types: Vec<EventType>,

    /// Where the platform sends the HTTP POST request: an absolute `http://` or `https://` URL.
    /// `${NAME}` is replaced from the environment and treated as a secret; `$${` is a literal
    /// `${`. The userinfo and query of the URL are never shown in plans.
    pub(super) request_url: String,

    /// The request body. A string is sent as written: it must be valid JSON once the
    /// `{{variable}}` placeholders (`userId`, `createdAt`, `eventType`, `eventData`, `resource`,
    /// `globals`, with `.property` access) are replaced. A mapping is serialized to JSON, and
    /// `shouldInterpolateStrings` defaults to true for it, so `"{{resource.id}}"` works inside
    /// strings. Unset: the platform's default payload. `${NAME}` is replaced from the
    /// environment.
    #[serde(default)]
    pub(super) payload_template: Option<PayloadTemplate>,

    /// Extra HTTP headers: a mapping of header name to string value, or a JSON object as a
    /// string (with `{{variable}}` placeholders). Every value is treated as a secret and never
    /// shown in plans. `Host`, `Content-Type`, `X-Apify-Webhook`, `X-Apify-Webhook-Dispatch-Id`
    /// and `X-Apify-Request-Origin` are set by the platform and cannot be declared.
    #[serde(default)]
    pub(super) headers_template: Option<HeadersTemplate>,

    /// A note for people; never sent with the request. The tool appends its ownership marker
    /// to it on the platform.
    #[serde(default)]
    pub(super) description: Option<String>,

    /// Deliver even when the target's TLS certificate is invalid. Default: false.
    #[serde(default)]
    pub(super) ignore_ssl_errors: Option<bool>,

    /// Do not retry failed deliveries (the platform otherwise retries for about 32 hours).
    /// Default: false.
    #[serde(default)]
    pub(super) do_not_retry: Option<bool>,

    /// Also replace `{{variable}}` placeholders inside JSON strings of the payload template.
    /// Default: true when `payloadTemplate` is a mapping, false otherwise.
    #[serde(default)]
    pub(super) should_interpolate_strings: Option<bool>,
}

/// A payload template: a JSON text with `{{variable}}` placeholders, or a mapping.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(super) enum PayloadTemplate {
    /// JSON text, sent as written once placeholders are replaced.
    Text(String),
    /// A mapping, serialized to JSON.
    Mapping(Map<String, Value>),
}

/// A headers template: a JSON object as text, or a mapping of header name to value.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(super) enum HeadersTemplate {
    /// A JSON object as text, with `{{variable}}` placeholders.
    Text(String),
    /// Header name to value.
    Mapping(IndexMap<String, String>),
}

/// The JSON schema of a manifest file, generated from the types above.
pub fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(ManifestFile)).expect("a schema serializes")
}
