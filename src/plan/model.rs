//! The plan's types: the desired and live states it reads, the changes, refusals and conflicts
//! it holds, and how a value is shown (plainly, or as a secret's fingerprint).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::platform::{Webhook, WebhookCreate, WebhookUpdate};
use crate::webhook::TargetKind;

/// The largest share of the owned webhooks, in percent, that a plan may delete without
/// `--force` (octoDNS's `MAX_SAFE_DELETE_PCENT`)...
pub const MAX_SAFE_DELETE_PERCENT: usize = 30;

/// ...once at least this many webhooks are owned (below it, any share may go).
pub const MIN_OWNED_FOR_DELETE_SHARE: usize = 10;

/// A value bound for the platform, and whether it is secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secretish {
    /// The value to send.
    pub value: String,
    /// Whether it holds a value from `${NAME}`.
    pub from_env: bool,
}

impl Secretish {
    /// A value with no secret in it.
    pub fn plain(value: impl Into<String>) -> Self {
        Secretish {
            value: value.into(),
            from_env: false,
        }
    }
}

/// An Actor or task, resolved to its ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Target {
    /// Actor or task.
    pub kind: TargetKind,
    /// The platform ID (what `condition` holds).
    pub id: String,
    /// How people know it: the manifest's reference, or `username/name`, or the ID.
    pub name: String,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

/// One declared webhook as the platform should have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredSpec {
    /// Identity, unique per owner.
    pub key: String,
    /// Where it is attached.
    pub target: Target,
    /// An unmanaged webhook to take over.
    pub adopt: Option<String>,
    /// Keys it had before (`previousKeys`): an owned webhook under one of them moves here.
    pub previous_keys: Vec<String>,
    /// Event type names, sorted, no repeats.
    pub event_types: Vec<String>,
    /// The URL.
    pub request_url: Secretish,
    /// The payload template, if any.
    pub payload_template: Option<Secretish>,
    /// The headers template (a JSON object), if any. Always shown masked.
    pub headers_template: Option<Secretish>,
    /// The human description (the marker is added on the platform).
    pub description: Option<String>,
    /// `ignoreSslErrors`.
    pub ignore_ssl_errors: bool,
    /// `doNotRetry`.
    pub do_not_retry: bool,
    /// `shouldInterpolateStrings`.
    pub should_interpolate_strings: bool,
    /// For one match of a pattern: the pattern as written. Its identity is then the key plus
    /// the target's ID (the same key names one webhook on each target the pattern matches).
    pub pattern: Option<String>,
}

/// How the plan may go about its work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Override the safety rules on deletions.
    pub force: bool,
    /// Never delete: owned webhooks no longer declared are kept.
    pub no_delete: bool,
    /// The key of every hash the plan shows (secret fingerprints, live content hashes): random
    /// for each run (and kept in saved plans), so a short fingerprint of a weak secret cannot be
    /// looked up in a table built in advance.
    pub key: [u8; 16],
}

/// The live state the plan compares against.
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    /// Every webhook of the account: full objects for the candidates the plan may touch, list
    /// items for the rest.
    pub webhooks: Vec<Webhook>,
    /// Names of targets by ID (for showing deletes of webhooks on undeclared targets).
    pub target_names: HashMap<String, String>,
}

/// What happens to one webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Take over an unmanaged webhook (and update it to match).
    Adopt,
    /// Create a webhook.
    Create,
    /// Update a webhook in place.
    Update,
    /// Delete an owned webhook whose key is no longer declared.
    Delete,
}

/// A field of a webhook as the plan shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Field {
    /// The Actor or task (`condition`).
    Target,
    /// `eventTypes`.
    EventTypes,
    /// `requestUrl`.
    RequestUrl,
    /// `payloadTemplate`.
    PayloadTemplate,
    /// `headersTemplate`.
    HeadersTemplate,
    /// `description` (the human part).
    Description,
    /// `ignoreSslErrors`.
    IgnoreSslErrors,
    /// `doNotRetry`.
    DoNotRetry,
    /// `shouldInterpolateStrings`.
    ShouldInterpolateStrings,
    /// The ownership marker.
    Owner,
    /// The key in the ownership marker (a move to a new key).
    Key,
    /// The marker's record of which fields hold a value from `${NAME}` (field names only).
    Secrets,
}

impl Field {
    /// Every field, in the order plans show them.
    pub const ALL: [Field; 12] = [
        Field::Key,
        Field::Target,
        Field::EventTypes,
        Field::RequestUrl,
        Field::PayloadTemplate,
        Field::HeadersTemplate,
        Field::Description,
        Field::IgnoreSslErrors,
        Field::DoNotRetry,
        Field::ShouldInterpolateStrings,
        Field::Owner,
        Field::Secrets,
    ];

    /// The API's name of the field.
    pub fn name(self) -> &'static str {
        match self {
            Field::Target => "condition",
            Field::EventTypes => "eventTypes",
            Field::RequestUrl => "requestUrl",
            Field::PayloadTemplate => "payloadTemplate",
            Field::HeadersTemplate => "headersTemplate",
            Field::Description => "description",
            Field::IgnoreSslErrors => "ignoreSslErrors",
            Field::DoNotRetry => "doNotRetry",
            Field::ShouldInterpolateStrings => "shouldInterpolateStrings",
            Field::Owner => "owner",
            Field::Key => "key",
            Field::Secrets => "secrets",
        }
    }
}

/// A value as a plan may show it: secrets appear only as a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Shown {
    /// A string.
    Text(String),
    /// A list of strings.
    List(Vec<String>),
    /// A boolean.
    Bool(bool),
    /// A secret: never shown; `fingerprint` changes when the value changes. `masked` is the
    /// value with its secret parts replaced (a URL's host and path), when it has public parts.
    Sensitive {
        /// `(sensitive value)`.
        sensitive: SensitiveTag,
        /// A short hash of the value.
        fingerprint: String,
        /// The public part, e.g. `https://hooks.example.com/x?(sensitive value)`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        masked: Option<String>,
    },
}

/// The literal marker of a sensitive value in serialized plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SensitiveTag {
    /// Shown as `(sensitive value)`.
    #[serde(rename = "(sensitive value)")]
    Sensitive,
}

/// One field that changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// Which field.
    pub field: Field,
    /// The live value (`None`: unset).
    pub before: Option<Shown>,
    /// The desired value (`None`: unset).
    pub after: Option<Shown>,
    /// Whether the live value is one the manifests do not declare and the change resets it: the
    /// manifest leaves the field at the platform's default (whether someone set it on the
    /// platform or a line was removed from the manifest cannot be told), or text follows the
    /// ownership marker.
    pub drift: bool,
    /// Full text of both sides for a diff, when neither is secret and both are multi-line or
    /// long.
    pub text_diff: Option<(String, String)>,
}

/// The state of a live webhook the plan depends on, to tell later whether it moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveFingerprint {
    /// The platform's `modifiedAt`.
    pub modified_at: Option<String>,
    /// A hash of the webhook's content (secrets included, so a secret change is seen).
    pub content_hash: String,
    /// A hash of each field of the content, by the field's API name, so that a saved plan can
    /// name the fields that changed on the platform.
    pub field_hashes: BTreeMap<String, String>,
}

/// The request that carries out a change.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `POST /v2/webhooks` (the idempotency key is added by apply).
    Create(WebhookCreate),
    /// `PUT /v2/webhooks/{id}` with only the changed fields.
    Update(WebhookUpdate),
    /// `DELETE /v2/webhooks/{id}`.
    Delete,
}

/// One change to one webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// What happens.
    pub action: Action,
    /// The webhook's key.
    pub key: String,
    /// Where it is attached (after the change, for creates and updates).
    pub target: Target,
    /// The live webhook, for anything but a create.
    pub webhook_id: Option<String>,
    /// The fields that change (all set fields for a create, all fields for a delete).
    pub fields: Vec<FieldChange>,
    /// The live webhook's fingerprint, for anything but a create.
    pub live: Option<LiveFingerprint>,
    /// The request to send. Holds secrets: never rendered.
    pub request: Request,
    /// For a delete that removes an identical duplicate of an owned key: the ID of the
    /// webhook kept for that key.
    pub duplicate_of: Option<String>,
    /// For an update of a webhook renamed through `previousKeys`: the key it had.
    pub moved_from: Option<String>,
    /// For a webhook of a pattern (one key, many targets): the target's name, the index of its
    /// address, as Terraform addresses a `for_each` instance: `webhook.<key>["acme/x"]`.
    pub instance: Option<String>,
    /// For a create of an entry whose `adopt:` names a webhook that no longer exists (deleted
    /// in the Console, say): that webhook's ID. The entry is created anew, not refused.
    pub adopt_gone: Option<String>,
}

/// The address of a webhook in plans: `webhook.<key>`, or `webhook.<key>["<target>"]` for one
/// webhook of a pattern.
pub fn address(key: &str, instance: Option<&str>) -> String {
    match instance {
        Some(name) => format!("webhook.{key}[{}]", serde_json::Value::from(name)),
        None => format!("webhook.{key}"),
    }
}

/// Which declared webhook a command means: a key, or one webhook of a pattern's key on one
/// target. Written as the plan's address (`webhook.k["acme/x"]`, the `webhook.` optional), or as
/// a key with a `--target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// The key as given (perhaps with `webhook.` in front: see [`Selector::is_key`]).
    pub key: String,
    /// The target's `username/name` or ID, when one webhook of several is meant.
    pub target: Option<String>,
}

impl Selector {
    /// Reads `key`, `key["target"]` or `webhook.key["target"]`; `target` (from `--target`)
    /// applies when the text names none, and must agree when it does.
    pub fn parse(text: &str, target: Option<&str>) -> Result<Self, String> {
        let (key, index) = match text.split_once('[') {
            None => (text, None),
            Some((key, rest)) => {
                let quoted = rest
                    .strip_suffix(']')
                    .and_then(|q| serde_json::from_str::<String>(q).ok())
                    .ok_or_else(|| {
                        format!(
                            "`{text}` is not an address: write `key[\"username/name\"]`, with the quotes"
                        )
                    })?;
                (key, Some(quoted))
            }
        };
        let target = match (index, target) {
            (Some(a), Some(b)) if a.replacen('~', "/", 1) != b.replacen('~', "/", 1) => {
                return Err(format!(
                    "`{text}` names the target `{a}`, and --target names `{b}`"
                ));
            }
            (Some(a), _) => Some(a),
            (None, b) => b.map(str::to_owned),
        };
        Ok(Selector {
            key: key.to_owned(),
            target: target.map(|t| t.replacen('~', "/", 1)),
        })
    }

    /// Whether `key` is the key this selector names (written with or without `webhook.`).
    pub fn is_key(&self, key: &str) -> bool {
        self.key == key || self.key.strip_prefix("webhook.") == Some(key)
    }

    /// Whether the target named `name` (`username/name`) with ID `id` is the one selected (any
    /// is, when none is).
    pub fn is_target(&self, name: Option<&str>, id: &str) -> bool {
        self.target
            .as_deref()
            .is_none_or(|t| t == id || Some(t) == name)
    }
}

impl DisabledWebhook {
    /// Its address: `webhook.<key>` or `webhook.<key>["<target>"]`.
    pub fn address(&self) -> String {
        address(&self.key, self.instance.as_deref())
    }
}

impl Change {
    /// This change's address: `webhook.<key>` or `webhook.<key>["<target>"]`.
    pub fn address(&self) -> String {
        address(&self.key, self.instance.as_deref())
    }

    /// Whether any field of the change is drift.
    pub fn has_drift(&self) -> bool {
        self.fields.iter().any(|f| f.drift)
    }

    /// The API names of the fields that are drift.
    pub fn drift_fields(&self) -> Vec<&'static str> {
        self.fields
            .iter()
            .filter(|f| f.drift)
            .map(|f| f.field.name())
            .collect()
    }
}

/// Why the plan may not be applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Refusal {
    /// More than 30% of the owned webhooks (with 10 or more owned) would be deleted.
    TooManyDeletes {
        /// Deletes planned.
        deletes: usize,
        /// Owned webhooks.
        owned: usize,
    },
    /// Every owned webhook would be deleted.
    DeletesAll {
        /// Owned webhooks.
        owned: usize,
    },
    /// The manifests declare nothing, yet owned webhooks exist.
    EmptyManifests {
        /// Owned webhooks.
        owned: usize,
    },
    /// The account would hold more webhooks than the platform allows.
    OverCap {
        /// Webhooks after the plan.
        after: usize,
        /// The limit.
        limit: usize,
    },
}

impl Refusal {
    /// Whether `--force` lifts it (the webhook cap is the platform's, not ours).
    pub fn forceable(&self) -> bool {
        !matches!(self, Refusal::OverCap { .. })
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::TooManyDeletes { deletes, owned } => {
                #[allow(clippy::cast_precision_loss)]
                let pct = *deletes as f64 * 100.0 / *owned as f64;
                write!(
                    f,
                    "Too many deletes: {pct:.2}% is over {MAX_SAFE_DELETE_PERCENT}.00% ({deletes} of {owned} owned webhooks); --force required"
                )
            }
            Refusal::DeletesAll { owned: 1 } => {
                f.write_str("The plan deletes the only owned webhook; --force required")
            }
            Refusal::DeletesAll { owned } => write!(
                f,
                "The plan deletes all {owned} owned webhooks; --force required"
            ),
            Refusal::EmptyManifests { owned } => write!(
                f,
                "The manifests declare no webhooks, but {owned} owned webhook{} exist{}; --force required to delete {}",
                if *owned == 1 { "" } else { "s" },
                if *owned == 1 { "s" } else { "" },
                if *owned == 1 { "it" } else { "them" }
            ),
            Refusal::OverCap { after, limit } => write!(
                f,
                "The account would hold {after} webhooks, over the platform's limit of {limit} per user"
            ),
        }
    }
}

/// A live state the plan cannot resolve without guessing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "conflict", rename_all = "snake_case")]
pub enum Conflict {
    /// Several different live webhooks carry the same owned key.
    DuplicateKey {
        /// The key.
        key: String,
        /// The webhooks carrying it.
        webhook_ids: Vec<String>,
        /// Those of them the platform has disabled (`isEnabled: false`).
        disabled: Vec<String>,
    },
    /// A webhook's description starts a marker that cannot be read with certainty, naming this
    /// owner or none (text after it, a missing or repeated attribute, a newer format): it is
    /// neither owned nor unmanaged, so nothing may be planned that could duplicate it.
    DamagedMarker {
        /// The key the marker names, when it names one.
        key: Option<String>,
        /// The webhook.
        webhook_id: String,
        /// What is wrong with the marker, in words.
        problem: String,
    },
    /// `adopt:` names a webhook that is owned under another key, that another owner manages,
    /// or that is out of scope.
    AdoptNotAdoptable {
        /// The key of the entry.
        key: String,
        /// The webhook ID.
        webhook_id: String,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conflict::DuplicateKey {
                key,
                webhook_ids,
                disabled,
            } => {
                write!(
                    f,
                    "webhooks {} all carry the owned key `{key}` and differ",
                    webhook_ids.join(", ")
                )?;
                match disabled.as_slice() {
                    [] => {}
                    [one] => write!(f, " ({one} is disabled on the platform)")?,
                    many => write!(f, " ({} are disabled on the platform)", many.join(", "))?,
                }
                f.write_str("; delete all but one on the platform")
            }
            Conflict::DamagedMarker {
                key,
                webhook_id,
                problem,
            } => {
                match key {
                    Some(key) => write!(f, "webhook {webhook_id} (key `{key}`): {problem}")?,
                    None => write!(f, "webhook {webhook_id}: {problem}")?,
                }
                write!(
                    f,
                    "; it is neither owned nor unmanaged: correct its description on the platform, or take it over with `adopt: {webhook_id}` on an entry"
                )
            }
            Conflict::AdoptNotAdoptable {
                key,
                webhook_id,
                reason,
            } => {
                write!(f, "`{key}` cannot adopt webhook {webhook_id}: {reason}")
            }
        }
    }
}

/// How many live webhooks of each class the plan leaves alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Untouched {
    /// Owned webhooks that already match.
    pub unchanged: usize,
    /// Owned webhooks kept because of `--no-delete`.
    pub kept: usize,
    /// Webhooks without a marker.
    pub unmanaged: usize,
    /// Webhooks of other owners.
    pub foreign: usize,
    /// Ad-hoc, run-scoped, integration and non-HTTP webhooks.
    pub out_of_scope: usize,
}

/// An unmanaged webhook, as the plan names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmanagedWebhook {
    /// Its ID (what `adopt:` takes).
    pub id: String,
    /// The Actor or task it belongs to.
    pub target: Target,
    /// Where it sends: the URL's scheme and host, with `/…` when there is more. The tool knows
    /// nothing of an unmanaged webhook's secrets, and a path, query or userinfo may hold one.
    pub url: String,
    /// Its event types, sorted.
    pub event_types: Vec<String>,
}

/// An owned webhook the platform has disabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisabledWebhook {
    /// Its key.
    pub key: String,
    /// For one webhook of a pattern: its target's name, the index of its address.
    pub instance: Option<String>,
    /// Its ID.
    pub id: String,
    /// The Actor or task it belongs to.
    pub target: Target,
}

/// The plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The owner whose webhooks this plan manages.
    pub owner: String,
    /// The changes, by key.
    pub changes: Vec<Change>,
    /// What is left alone.
    pub untouched: Untouched,
    /// The unmanaged webhooks left alone, by ID: named so that one can be taken over with
    /// `adopt: <id>` without looking it up.
    pub unmanaged: Vec<UnmanagedWebhook>,
    /// Owned webhooks on the platform before the plan.
    pub owned: usize,
    /// Every webhook of the account before the plan, and after it.
    pub total_before: usize,
    /// Every webhook of the account after the plan.
    pub total_after: usize,
    /// Live states that stop the plan.
    pub conflicts: Vec<Conflict>,
    /// Owned webhooks the platform has disabled (`isEnabled: false`): they deliver nothing,
    /// whatever the plan says of them. By key.
    pub disabled: Vec<DisabledWebhook>,
    /// A safety rule that stops the plan (`None` when `--force` lifted it).
    pub refusal: Option<Refusal>,
    /// A safety rule `--force` lifted.
    pub forced: Option<Refusal>,
    /// What each pattern matched on the account, by key.
    pub patterns: Vec<super::expand::PatternMatch>,
}

/// Counts of changes by action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Adoptions.
    pub adopt: usize,
    /// Creates.
    pub add: usize,
    /// Updates (adoptions not included).
    pub change: usize,
    /// Deletes.
    pub destroy: usize,
}

impl Plan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Whether the plan may be applied as it is.
    pub fn is_applicable(&self) -> bool {
        self.conflicts.is_empty() && self.refusal.is_none()
    }

    /// Counts by action.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Adopt => s.adopt += 1,
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Delete => s.destroy += 1,
            }
        }
        s
    }
}
