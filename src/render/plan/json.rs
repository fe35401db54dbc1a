//! The JSON plan (`plan --format json`): a versioned document for pipelines, modelled on
//! Terraform's `show -json` (`format_version`, per-change `actions` and `action_reason`,
//! `applyable`). Its types are the contract: `schemas/plan.schema.json` is generated from them
//! with schemars, committed, and checked against real outputs in the tests.
//!
//! Secrets appear only as `{"sensitive": "(sensitive value)", "fingerprint": …}` objects, never
//! as values; request bodies are never part of the document.

use schemars::JsonSchema;
use serde::Serialize;

use super::{FORMAT_VERSION, PlanContext};
use crate::plan::{
    Action, Change, Conflict, Field, FieldChange, LiveFingerprint, Plan, Refusal, Shown, Target,
};
use crate::webhook::{MAX_WEBHOOKS_PER_USER, TargetKind};

/// A plan computed by `apify-webhooks plan`: what it would change on the platform to make the
/// owner's webhooks match the manifests.
///
/// Versioned by `format_version`: minor versions only add properties and field names, so
/// consumers must ignore properties and fields they do not know; a new major version is
/// incompatible.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(title = "apify-webhooks plan")]
pub struct JsonPlan {
    /// The version of this document's format, `major.minor`. This schema describes 1.x.
    #[schemars(regex(pattern = r"^1\.[0-9]+$"))]
    pub format_version: String,
    /// The apify-webhooks version that computed the plan.
    pub tool_version: String,
    /// The owner whose webhooks the plan manages (the ownership marker's `owner=`).
    pub owner: String,
    /// The digest of the manifests the plan was computed from.
    pub manifest_digest: String,
    /// Whether `apply` would carry the plan out: false when a conflict or a safety rule stops
    /// it.
    pub applyable: bool,
    /// Counts of changes by action and of the webhooks left alone.
    pub summary: JsonSummary,
    /// The changes, in the order they are shown and applied.
    pub changes: Vec<JsonChange>,
    /// Live states the plan cannot resolve without guessing; any makes the plan unapplyable.
    pub conflicts: Vec<JsonConflict>,
    /// The safety rule that stops the plan, if any.
    pub refusal: Option<JsonRule>,
    /// A safety rule that `--force` lifted, if any.
    pub forced: Option<JsonRule>,
    /// Webhooks of the account before and after the plan, and the platform's per-user limit.
    pub totals: JsonTotals,
    /// The unmanaged webhooks left alone, by ID, for `adopt: <id>` (since format 1.2).
    pub unmanaged: Vec<JsonUnmanaged>,
    /// Owned webhooks the platform has disabled (`isEnabled: false`), which deliver nothing
    /// whatever the plan does (since format 1.3). By key.
    pub disabled: Vec<JsonDisabled>,
    /// What each pattern of the manifests matched on the account, by key (since format 1.4).
    pub patterns: Vec<JsonPattern>,
}

/// An owned webhook the platform has disabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "Disabled")]
pub struct JsonDisabled {
    /// The webhook's key in the manifests.
    pub key: String,
    /// `webhook.<key>`, as in the text plan (`webhook.<key>["<target>"]` for a pattern's).
    pub address: String,
    /// The webhook ID.
    pub id: String,
    /// The Actor or task it belongs to.
    pub target: JsonTarget,
}

/// What one pattern matched: each target gets one webhook, addressed
/// `webhook.<key>["<target>"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "Pattern")]
pub struct JsonPattern {
    /// The key of the pattern's webhooks.
    pub key: String,
    /// The pattern as written, e.g. `acme/*`.
    pub pattern: String,
    /// `actor` or `task`.
    pub kind: JsonTargetKind,
    /// The targets that get the webhook, by name.
    pub matched: Vec<JsonTarget>,
    /// The targets the pattern matches that its `exclude` leaves out, by name.
    pub excluded: Vec<JsonTarget>,
}

/// An unmanaged webhook the plan leaves alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "Unmanaged")]
pub struct JsonUnmanaged {
    /// The webhook ID, what `adopt:` takes.
    pub id: String,
    /// The Actor or task it belongs to.
    pub target: JsonTarget,
    /// The scheme and host it sends to, with `/…` when the URL has more (which may hold a
    /// secret, so it is never shown).
    pub url: String,
    /// Its event types, sorted.
    pub event_types: Vec<String>,
}

/// Counts of changes by action, and of live webhooks left alone by class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "Summary")]
pub struct JsonSummary {
    /// Unmanaged webhooks to adopt (and update to match).
    pub adopt: usize,
    /// Webhooks to create.
    pub add: usize,
    /// Owned webhooks to update in place (adoptions not included).
    pub change: usize,
    /// Owned webhooks to delete.
    pub destroy: usize,
    /// Owned webhooks that already match.
    pub unchanged: usize,
    /// Webhooks without an ownership marker, left alone.
    pub unmanaged: usize,
    /// Webhooks of other owners, left alone.
    pub foreign: usize,
    /// Ad-hoc, run-scoped, integration and non-HTTP webhooks, left alone.
    pub out_of_scope: usize,
    /// Owned webhooks no longer declared, kept because of `--no-delete`.
    pub kept: usize,
}

/// A change to one webhook.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Change")]
pub struct JsonChange {
    /// The webhook's key in the manifests.
    pub key: String,
    /// `webhook.<key>`, as in the text plan; `webhook.<key>["<target>"]` for one webhook of a
    /// pattern (Terraform's address of a `for_each` instance).
    pub address: String,
    /// For one webhook of a pattern: the target's name, the index in `address` (since format
    /// 1.4). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The Actor or task the webhook is attached to (after the change).
    pub target: JsonTarget,
    /// The live webhook's ID; null for a create.
    pub webhook_id: Option<String>,
    /// For a webhook renamed through `previousKeys`: `webhook.<old key>`, the address it moves
    /// from (in place: same ID). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_address: Option<String>,
    /// For a create of an entry whose `adopt:` names a webhook that no longer exists: that ID
    /// (since format 1.3). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopt_gone: Option<String>,
    /// What happens, as a list to scan: `["create"]`, `["update"]`, `["delete"]` or
    /// `["adopt", "update"]`.
    #[schemars(extend("enum" = [["create"], ["update"], ["delete"], ["adopt", "update"]]))]
    pub actions: Vec<JsonAction>,
    /// Why.
    pub action_reason: JsonActionReason,
    /// Whether any field holds a live value the manifests do not declare, which is reset.
    pub drift: bool,
    /// The fields that change: every set field for a create, the identifying ones for a
    /// delete.
    pub fields: Vec<JsonField>,
    /// The live webhook as planned against, to tell later whether it moved; null for a create.
    pub live_fingerprint: Option<JsonFingerprint>,
}

/// An action on a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "Action")]
pub enum JsonAction {
    /// Create a webhook.
    Create,
    /// Take over an unmanaged webhook (always with `update`).
    Adopt,
    /// Update a webhook in place.
    Update,
    /// Delete a webhook.
    Delete,
}

/// Why a change happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "ActionReason")]
pub enum JsonActionReason {
    /// The key is declared and no live webhook carries it.
    CreateBecauseNotFound,
    /// The entry's `adopt:` names a webhook that no longer exists (since format 1.3): created
    /// anew; `adopt:` can be dropped from the manifest.
    CreateBecauseAdoptedWebhookGone,
    /// The live webhook differs from its manifest entry.
    UpdateBecauseDiffers,
    /// A manifest entry names the unmanaged webhook with `adopt:`.
    AdoptBecauseDeclared,
    /// A manifest entry lists the webhook's key in `previousKeys`: its marker is rewritten with
    /// the new key in place (and any other field brought to match).
    UpdateBecauseMoved,
    /// The owned webhook's key is no longer in the manifests.
    DeleteBecauseNoLongerDeclared,
    /// The owned webhook is an identical duplicate of another webhook of its key, which is
    /// kept (the oldest).
    DeleteBecauseDuplicate,
}

/// An Actor or task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "Target")]
pub struct JsonTarget {
    /// Actor or task.
    pub kind: JsonTargetKind,
    /// The platform ID (what the webhook's `condition` holds).
    pub id: String,
    /// How people know it: the manifest's reference, `username/name`, or the ID.
    pub name: String,
}

/// What a webhook is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "TargetKind")]
pub enum JsonTargetKind {
    /// An Actor (`condition.actorId`).
    Actor,
    /// An Actor task (`condition.actorTaskId`).
    Task,
}

/// One field that changes.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Field")]
pub struct JsonField {
    /// The field, by the API's name (`condition` is the Actor or task, `owner` the ownership
    /// marker).
    pub field: JsonFieldName,
    /// The live value; null when unset (or for a create).
    pub before: Option<JsonValue>,
    /// The value after the change; null when unset (or for a delete).
    pub after: Option<JsonValue>,
    /// Whether the live value is one the manifests do not declare (reset to the default).
    pub drift: bool,
    /// Whether either side is a secret (shown only as a fingerprint).
    pub sensitive: bool,
}

/// A field of a webhook, by the API's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "FieldName")]
pub enum JsonFieldName {
    /// The Actor or task (`condition.actorId` / `condition.actorTaskId`).
    #[serde(rename = "condition")]
    Condition,
    /// `eventTypes`.
    #[serde(rename = "eventTypes")]
    EventTypes,
    /// `requestUrl`.
    #[serde(rename = "requestUrl")]
    RequestUrl,
    /// `payloadTemplate`.
    #[serde(rename = "payloadTemplate")]
    PayloadTemplate,
    /// `headersTemplate` (always sensitive).
    #[serde(rename = "headersTemplate")]
    HeadersTemplate,
    /// The human part of `description` (without the ownership marker).
    #[serde(rename = "description")]
    Description,
    /// `ignoreSslErrors`.
    #[serde(rename = "ignoreSslErrors")]
    IgnoreSslErrors,
    /// `doNotRetry`.
    #[serde(rename = "doNotRetry")]
    DoNotRetry,
    /// `shouldInterpolateStrings`.
    #[serde(rename = "shouldInterpolateStrings")]
    ShouldInterpolateStrings,
    /// The ownership marker written into `description` (on adoption).
    #[serde(rename = "owner")]
    Owner,
    /// The ownership marker's record of which fields hold a value from `${NAME}`: a list of
    /// field names, never values; `before` is null when the live marker has no record.
    #[serde(rename = "secrets")]
    Secrets,
    /// The key in the ownership marker (a move through `previousKeys`).
    #[serde(rename = "key")]
    Key,
}

/// A value as the plan shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "Value")]
pub enum JsonValue {
    /// A string.
    Text(String),
    /// A list of strings (event types).
    List(Vec<String>),
    /// A boolean.
    Bool(bool),
    /// A secret, as a fingerprint.
    Sensitive(JsonSensitive),
}

/// A secret: never its value. The fingerprint changes when the value changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "Sensitive")]
pub struct JsonSensitive {
    /// Always `(sensitive value)`.
    #[schemars(extend("const" = "(sensitive value)"))]
    pub sensitive: String,
    /// A short hash of the value: equal values have equal fingerprints.
    #[schemars(regex(pattern = r"^[0-9a-f]+$"))]
    pub fingerprint: String,
    /// The public part, when there is one: a URL with its userinfo and query masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked: Option<String>,
}

/// The state of a live webhook when planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "Fingerprint")]
pub struct JsonFingerprint {
    /// The platform's `modifiedAt`.
    pub modified_at: Option<String>,
    /// A SHA-256 of the webhook's normalized content (secrets included, so a changed secret is
    /// seen; the hash does not reveal it).
    pub content_hash: String,
}

/// A live state the plan cannot resolve without guessing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "Conflict")]
pub struct JsonConflict {
    /// What kind of conflict.
    pub conflict: JsonConflictKind,
    /// The key concerned (empty when a damaged marker names none).
    pub key: String,
    /// The live webhooks concerned.
    pub webhook_ids: Vec<String>,
    /// The conflict in words.
    pub message: String,
}

/// The kind of a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "ConflictKind")]
pub enum JsonConflictKind {
    /// Several live webhooks carry the same owned key.
    DuplicateKey,
    /// A webhook's description starts a marker that cannot be read with certainty (text after
    /// it, a missing or repeated attribute, a newer format), naming this owner or none.
    DamagedMarker,
    /// `adopt:` named a webhook that does not exist. No longer produced since format 1.3: such
    /// an entry is planned as a create (`action_reason` `create_because_adopted_webhook_gone`).
    AdoptMissing,
    /// `adopt:` names a webhook that is owned, foreign or out of scope.
    AdoptNotAdoptable,
}

/// A safety rule that stops a plan (or that `--force` lifted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "Rule")]
pub struct JsonRule {
    /// Which rule.
    pub rule: JsonRuleKind,
    /// The rule in words, with its counts.
    pub message: String,
    /// Whether `--force` lifts it (the platform's webhook cap cannot be lifted).
    pub forceable: bool,
    /// Deletes planned (`too_many_deletes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletes: Option<usize>,
    /// Owned webhooks (`too_many_deletes`, `deletes_all`, `empty_manifests`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned: Option<usize>,
    /// Webhooks of the account after the plan (`over_cap`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<usize>,
    /// The platform's limit (`over_cap`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// A safety rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "RuleKind")]
pub enum JsonRuleKind {
    /// More than 30% of the owned webhooks (with 10 or more owned) would be deleted.
    TooManyDeletes,
    /// Every owned webhook would be deleted.
    DeletesAll,
    /// The manifests declare nothing, yet owned webhooks exist.
    EmptyManifests,
    /// The account would hold more webhooks than the platform allows.
    OverCap,
}

/// Webhooks of the account before and after the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "Totals")]
pub struct JsonTotals {
    /// Every webhook of the account before the plan (all owners and classes).
    pub before: usize,
    /// Every webhook of the account after the plan.
    pub after: usize,
    /// The platform's limit of webhooks per user.
    pub limit: usize,
}

impl JsonPlan {
    /// The document for `plan`.
    pub fn new(plan: &Plan, ctx: &PlanContext<'_>) -> Self {
        let s = plan.summary();
        let u = plan.untouched;
        JsonPlan {
            format_version: FORMAT_VERSION.to_owned(),
            tool_version: ctx.tool_version.to_owned(),
            owner: plan.owner.clone(),
            manifest_digest: ctx.manifest_digest.to_owned(),
            applyable: plan.is_applicable(),
            summary: JsonSummary {
                adopt: s.adopt,
                add: s.add,
                change: s.change,
                destroy: s.destroy,
                unchanged: u.unchanged,
                unmanaged: u.unmanaged,
                foreign: u.foreign,
                out_of_scope: u.out_of_scope,
                kept: u.kept,
            },
            changes: plan.changes.iter().map(change).collect(),
            conflicts: plan.conflicts.iter().map(conflict).collect(),
            refusal: plan.refusal.as_ref().map(rule),
            forced: plan.forced.as_ref().map(rule),
            totals: JsonTotals {
                before: plan.total_before,
                after: plan.total_after,
                limit: MAX_WEBHOOKS_PER_USER,
            },
            unmanaged: plan
                .unmanaged
                .iter()
                .map(|u| JsonUnmanaged {
                    id: u.id.clone(),
                    target: target(&u.target),
                    url: u.url.clone(),
                    event_types: u.event_types.clone(),
                })
                .collect(),
            disabled: plan
                .disabled
                .iter()
                .map(|d| JsonDisabled {
                    key: d.key.clone(),
                    address: d.address(),
                    id: d.id.clone(),
                    target: target(&d.target),
                })
                .collect(),
            patterns: plan
                .patterns
                .iter()
                .map(|m| JsonPattern {
                    key: m.key.clone(),
                    pattern: m.pattern.clone(),
                    kind: kind(m.kind),
                    matched: m.matched.iter().map(target).collect(),
                    excluded: m.excluded.iter().map(target).collect(),
                })
                .collect(),
        }
    }
}

/// The document, pretty, with a trailing newline.
pub(super) fn render(plan: &Plan, ctx: &PlanContext<'_>) -> String {
    // Serializing these types cannot fail: every map key is a string.
    let mut out = serde_json::to_string_pretty(&JsonPlan::new(plan, ctx)).unwrap_or_default();
    out.push('\n');
    out
}

/// The schema the types generate, as committed: pretty, with a trailing newline.
pub(super) fn schema_text() -> String {
    let schema = schemars::schema_for!(JsonPlan);
    let mut out = serde_json::to_string_pretty(&schema).unwrap_or_default();
    out.push('\n');
    out
}

fn change(c: &Change) -> JsonChange {
    let (actions, action_reason) = match c.action {
        Action::Create => (
            vec![JsonAction::Create],
            if c.adopt_gone.is_some() {
                JsonActionReason::CreateBecauseAdoptedWebhookGone
            } else {
                JsonActionReason::CreateBecauseNotFound
            },
        ),
        Action::Update => (
            vec![JsonAction::Update],
            if c.moved_from.is_some() {
                JsonActionReason::UpdateBecauseMoved
            } else {
                JsonActionReason::UpdateBecauseDiffers
            },
        ),
        Action::Adopt => (
            vec![JsonAction::Adopt, JsonAction::Update],
            JsonActionReason::AdoptBecauseDeclared,
        ),
        Action::Delete => (
            vec![JsonAction::Delete],
            if c.duplicate_of.is_some() {
                JsonActionReason::DeleteBecauseDuplicate
            } else {
                JsonActionReason::DeleteBecauseNoLongerDeclared
            },
        ),
    };
    JsonChange {
        key: c.key.clone(),
        address: c.address(),
        instance: c.instance.clone(),
        target: target(&c.target),
        webhook_id: c.webhook_id.clone(),
        previous_address: c
            .moved_from
            .as_ref()
            .map(|k| crate::plan::address(k, c.instance.as_deref())),
        adopt_gone: c.adopt_gone.clone(),
        actions,
        action_reason,
        drift: c.has_drift(),
        fields: c.fields.iter().map(|f| field(c.action, f)).collect(),
        live_fingerprint: c.live.as_ref().map(fingerprint),
    }
}

fn kind(k: TargetKind) -> JsonTargetKind {
    match k {
        TargetKind::Actor => JsonTargetKind::Actor,
        TargetKind::Task => JsonTargetKind::Task,
    }
}

fn target(t: &Target) -> JsonTarget {
    JsonTarget {
        kind: kind(t.kind),
        id: t.id.clone(),
        name: t.name.clone(),
    }
}

fn field(action: Action, f: &FieldChange) -> JsonField {
    // A create has no before and a delete no after, whatever the plan carries.
    let before = (action != Action::Create)
        .then(|| f.before.as_ref().map(value))
        .flatten();
    let after = (action != Action::Delete)
        .then(|| f.after.as_ref().map(value))
        .flatten();
    let sensitive = f.field == Field::HeadersTemplate
        || [&before, &after]
            .into_iter()
            .any(|v| matches!(v, Some(JsonValue::Sensitive(_))));
    JsonField {
        field: field_name(f.field),
        before,
        after,
        drift: f.drift,
        sensitive,
    }
}

fn field_name(f: Field) -> JsonFieldName {
    match f {
        Field::Target => JsonFieldName::Condition,
        Field::EventTypes => JsonFieldName::EventTypes,
        Field::RequestUrl => JsonFieldName::RequestUrl,
        Field::PayloadTemplate => JsonFieldName::PayloadTemplate,
        Field::HeadersTemplate => JsonFieldName::HeadersTemplate,
        Field::Description => JsonFieldName::Description,
        Field::IgnoreSslErrors => JsonFieldName::IgnoreSslErrors,
        Field::DoNotRetry => JsonFieldName::DoNotRetry,
        Field::ShouldInterpolateStrings => JsonFieldName::ShouldInterpolateStrings,
        Field::Owner => JsonFieldName::Owner,
        Field::Secrets => JsonFieldName::Secrets,
        Field::Key => JsonFieldName::Key,
    }
}

fn value(v: &Shown) -> JsonValue {
    match v {
        Shown::Text(s) => JsonValue::Text(s.clone()),
        Shown::List(l) => JsonValue::List(l.clone()),
        Shown::Bool(b) => JsonValue::Bool(*b),
        Shown::Sensitive {
            fingerprint,
            masked,
            ..
        } => JsonValue::Sensitive(JsonSensitive {
            sensitive: super::SCRUBBED.to_owned(),
            fingerprint: fingerprint.clone(),
            masked: masked.clone(),
        }),
    }
}

fn fingerprint(l: &LiveFingerprint) -> JsonFingerprint {
    JsonFingerprint {
        modified_at: l.modified_at.clone(),
        content_hash: l.content_hash.clone(),
    }
}

fn conflict(c: &Conflict) -> JsonConflict {
    let message = c.to_string();
    match c {
        Conflict::DuplicateKey {
            key, webhook_ids, ..
        } => JsonConflict {
            conflict: JsonConflictKind::DuplicateKey,
            key: key.clone(),
            webhook_ids: webhook_ids.clone(),
            message,
        },
        Conflict::DamagedMarker {
            key, webhook_id, ..
        } => JsonConflict {
            conflict: JsonConflictKind::DamagedMarker,
            key: key.clone().unwrap_or_default(),
            webhook_ids: vec![webhook_id.clone()],
            message,
        },
        Conflict::AdoptNotAdoptable {
            key, webhook_id, ..
        } => JsonConflict {
            conflict: JsonConflictKind::AdoptNotAdoptable,
            key: key.clone(),
            webhook_ids: vec![webhook_id.clone()],
            message,
        },
    }
}

fn rule(r: &Refusal) -> JsonRule {
    let base = JsonRule {
        rule: JsonRuleKind::OverCap,
        message: r.to_string(),
        forceable: r.forceable(),
        deletes: None,
        owned: None,
        after: None,
        limit: None,
    };
    match *r {
        Refusal::TooManyDeletes { deletes, owned } => JsonRule {
            rule: JsonRuleKind::TooManyDeletes,
            deletes: Some(deletes),
            owned: Some(owned),
            ..base
        },
        Refusal::DeletesAll { owned } => JsonRule {
            rule: JsonRuleKind::DeletesAll,
            owned: Some(owned),
            ..base
        },
        Refusal::EmptyManifests { owned } => JsonRule {
            rule: JsonRuleKind::EmptyManifests,
            owned: Some(owned),
            ..base
        },
        Refusal::OverCap { after, limit } => JsonRule {
            rule: JsonRuleKind::OverCap,
            after: Some(after),
            limit: Some(limit),
            ..base
        },
    }
}
