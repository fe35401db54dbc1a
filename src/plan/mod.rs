//! The plan: what would change on the platform, as a value. [`plan`] is a pure function of the
//! desired webhooks, the live ones and the options — no I/O, no clock — so it is unit- and
//! property-tested directly; reading the live state happens before it (`crate::refresh`),
//! executing it after (`crate::apply`), and showing it elsewhere (`crate::render`).
//!
//! Every live webhook is classified (DESIGN, "Ownership and identity"): *owned* (our marker and
//! owner) ones are updated or deleted, *foreign* (another owner), *unmanaged* (no marker) and
//! *out of scope* (ad-hoc, integration, non-HTTP) ones are never touched, only counted.
//!
//! Secrets: a value is shown only as a keyed fingerprint ([`Shown::Sensitive`]) when it may hold
//! a value read from `${NAME}`. For the desired side the manifests say so. For the live side the
//! ownership marker's record does ([`marker::SecretFields`]): the tool writes the fields whose
//! value came from `${NAME}` into the marker on every create and update, and a plan masks a live
//! `requestUrl` or `payloadTemplate` the record names — whole, with no template diff — even when
//! the manifests no longer reference the variable (the webhook is deleted, the value replaced by
//! a literal, the entry moved to another target). A live value is also masked when the manifests
//! now read that field from `${NAME}` (the old value is likely an earlier form of the secret).
//! Live values whose record is unknown — an owned webhook whose marker has no record, a webhook
//! being adopted — are masked as if every field held a secret. `headersTemplate` is always
//! masked. A marker without a record is not rewritten for that alone: the next update of the
//! webhook writes it; a record that differs from the manifests' is an update of its own, shown as
//! the `secrets` field (field names only).

pub mod identity;
pub mod marker;
pub mod normalize;
pub mod saved;

pub use marker::SecretFields;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::platform::{Condition, Webhook, WebhookCreate, WebhookUpdate};
use crate::webhook::{MAX_WEBHOOKS_PER_USER, TargetKind};

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
    /// The marker's record of which fields hold a value from `${NAME}` (field names only).
    Secrets,
}

impl Field {
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
    /// Whether the live value was provably changed outside the tool (set on the platform
    /// although the manifest leaves the field at its default, or text added after the marker).
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
}

impl Change {
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
                    "Too many deletes: {pct:.2}% is over 30.00% ({deletes} of {owned} owned webhooks); --force required"
                )
            }
            Refusal::DeletesAll { owned } => write!(
                f,
                "The plan deletes all {owned} owned webhook{}; --force required",
                if *owned == 1 { "" } else { "s" }
            ),
            Refusal::EmptyManifests { owned } => write!(
                f,
                "The manifests declare no webhooks, but {owned} owned webhook{} exist; --force required to delete {}",
                if *owned == 1 { "" } else { "s" },
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
    /// Several live webhooks carry the same owned key.
    DuplicateKey {
        /// The key.
        key: String,
        /// The webhooks carrying it.
        webhook_ids: Vec<String>,
    },
    /// Webhooks carry this owner's marker for a declared key, followed by other text (the
    /// description was edited outside the tool, or quotes the marker).
    DamagedMarker {
        /// The key.
        key: String,
        /// The webhooks carrying it.
        webhook_ids: Vec<String>,
    },
    /// `adopt:` names a webhook that does not exist.
    AdoptMissing {
        /// The key of the entry.
        key: String,
        /// The webhook ID.
        webhook_id: String,
    },
    /// `adopt:` names a webhook another owner manages, or that is out of scope.
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
            Conflict::DuplicateKey { key, webhook_ids } => write!(
                f,
                "webhooks {} all carry the owned key `{key}`; delete all but one on the platform",
                webhook_ids.join(", ")
            ),
            Conflict::DamagedMarker { key, webhook_ids } => write!(
                f,
                "webhook {} carries the marker of `{key}` with text after it, so it is not owned; remove the text after the marker on the platform, or take the webhook over with `adopt: {}`",
                webhook_ids.join(", "),
                webhook_ids[0]
            ),
            Conflict::AdoptMissing { key, webhook_id } => {
                write!(
                    f,
                    "`{key}` adopts webhook {webhook_id}, which does not exist"
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

/// The plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The owner whose webhooks this plan manages.
    pub owner: String,
    /// The changes, by key.
    pub changes: Vec<Change>,
    /// What is left alone.
    pub untouched: Untouched,
    /// Owned webhooks on the platform before the plan.
    pub owned: usize,
    /// Every webhook of the account before the plan, and after it.
    pub total_before: usize,
    /// Every webhook of the account after the plan.
    pub total_after: usize,
    /// Live states that stop the plan.
    pub conflicts: Vec<Conflict>,
    /// A safety rule that stops the plan (`None` when `--force` lifted it).
    pub refusal: Option<Refusal>,
    /// A safety rule `--force` lifted.
    pub forced: Option<Refusal>,
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

/// The class of a live webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class<'w> {
    /// Our marker, our owner.
    Owned {
        /// The key in the marker.
        key: &'w str,
    },
    /// Our marker format, another owner.
    Foreign,
    /// A plain HTTP webhook without a marker.
    Unmanaged,
    /// A webhook whose description holds this owner's marker with other text after it: not
    /// owned (the marker must end the description), and not left to be duplicated silently.
    Damaged {
        /// The key in the marker.
        key: &'w str,
    },
    /// Ad-hoc, run-scoped, integration or non-HTTP.
    OutOfScope,
    /// A list item without `description`: its class needs the full object.
    Unknown,
}

/// Classifies a live webhook for `owner`.
pub fn classify<'w>(webhook: &'w Webhook, owner: &str) -> Class<'w> {
    if is_out_of_scope(webhook) {
        return Class::OutOfScope;
    }
    let Some(description) = webhook.description.as_deref() else {
        return if webhook.payload_template.is_some() || webhook.headers_template.is_some() {
            // A full object (templates are only in full objects) without description.
            Class::Unmanaged
        } else {
            Class::Unknown
        };
    };
    match marker::parse(description) {
        Some(m) if !m.trailing.trim().is_empty() => {
            if m.owner == owner {
                Class::Damaged { key: m.key }
            } else {
                Class::Unmanaged
            }
        }
        Some(m) if m.owner == owner => Class::Owned { key: m.key },
        Some(_) => Class::Foreign,
        None => Class::Unmanaged,
    }
}

/// Ad-hoc, run-scoped, integration, non-HTTP, URL-less or unscoped webhooks.
pub fn is_out_of_scope(w: &Webhook) -> bool {
    let condition = w.condition.clone().unwrap_or_default();
    w.is_ad_hoc == Some(true)
        || condition
            .actor_run_id
            .as_deref()
            .is_some_and(|r| !r.is_empty())
        || w.is_apify_integration == Some(true)
        || w.action_type
            .as_deref()
            .is_some_and(|a| a != "HTTP_REQUEST")
        || w.request_url.as_deref().is_none_or(str::is_empty)
        || (condition.actor_id.is_none() && condition.actor_task_id.is_none())
}

/// Computes the plan. Pure: the same inputs always give the same plan.
pub fn plan(desired: &[DesiredSpec], live: &LiveState, owner: &str, options: PlanOptions) -> Plan {
    let key = &options.key;
    let mut untouched = Untouched::default();
    let mut owned: BTreeMap<&str, Vec<&Webhook>> = BTreeMap::new();
    let mut damaged: BTreeMap<&str, Vec<&Webhook>> = BTreeMap::new();
    let by_id: HashMap<&str, &Webhook> = live.webhooks.iter().map(|w| (w.id.as_str(), w)).collect();
    for w in &live.webhooks {
        match classify(w, owner) {
            Class::Owned { key } => owned.entry(key).or_default().push(w),
            Class::Foreign => untouched.foreign += 1,
            Class::Damaged { key } => {
                damaged.entry(key).or_default().push(w);
                untouched.unmanaged += 1;
            }
            Class::Unmanaged | Class::Unknown => untouched.unmanaged += 1,
            Class::OutOfScope => untouched.out_of_scope += 1,
        }
    }
    let owned_count: usize = owned.values().map(Vec::len).sum();
    let mut conflicts = Vec::new();
    // Identical owned webhooks under one key (two overlapping applies, say): the oldest is
    // kept, the others are deleted. Different ones cannot be told apart without guessing.
    let mut extras: Vec<(&str, &Webhook, &str)> = Vec::new();
    for (key, ws) in &mut owned {
        if ws.len() < 2 {
            continue;
        }
        if !options.no_delete && all_identical(ws) {
            ws.sort_by(|a, b| oldest_first(a, b));
            let kept = ws[0];
            for extra in ws.drain(1..) {
                extras.push((*key, extra, kept.id.as_str()));
            }
        } else {
            let mut ids: Vec<String> = ws.iter().map(|w| w.id.clone()).collect();
            ids.sort();
            conflicts.push(Conflict::DuplicateKey {
                key: (*key).to_owned(),
                webhook_ids: ids,
            });
        }
    }

    let mut changes = Vec::new();
    let declared: HashSet<&str> = desired.iter().map(|d| d.key.as_str()).collect();
    for d in desired {
        match owned.get(d.key.as_str()).map(Vec::as_slice) {
            Some([w]) => match diff(d, w, owner, false, &live.target_names, key) {
                Some(c) => changes.push(c),
                None => untouched.unchanged += 1,
            },
            Some(_) => {} // a duplicate key: reported as a conflict
            // A webhook with this key's marker followed by other text: creating another would
            // duplicate it; taking it over without being told could take a human's webhook.
            None if d.adopt.is_none() && damaged.contains_key(d.key.as_str()) => {
                let mut ids: Vec<String> = damaged[d.key.as_str()]
                    .iter()
                    .map(|w| w.id.clone())
                    .collect();
                ids.sort();
                conflicts.push(Conflict::DamagedMarker {
                    key: d.key.clone(),
                    webhook_ids: ids,
                });
            }
            None => match d.adopt.as_deref() {
                Some(id) => match by_id.get(id) {
                    None => conflicts.push(Conflict::AdoptMissing {
                        key: d.key.clone(),
                        webhook_id: id.to_owned(),
                    }),
                    Some(w) => match classify(w, owner) {
                        Class::Unmanaged | Class::Unknown | Class::Damaged { .. } => {
                            untouched.unmanaged -= 1;
                            changes.extend(diff(d, w, owner, true, &live.target_names, key));
                        }
                        Class::Owned { key } => conflicts.push(Conflict::AdoptNotAdoptable {
                            key: d.key.clone(),
                            webhook_id: id.to_owned(),
                            reason: format!("it is already managed under the key `{key}`"),
                        }),
                        Class::Foreign => conflicts.push(Conflict::AdoptNotAdoptable {
                            key: d.key.clone(),
                            webhook_id: id.to_owned(),
                            reason: "another owner manages it".to_owned(),
                        }),
                        Class::OutOfScope => conflicts.push(Conflict::AdoptNotAdoptable {
                            key: d.key.clone(),
                            webhook_id: id.to_owned(),
                            reason: "it is an ad-hoc, integration or non-HTTP webhook".to_owned(),
                        }),
                    },
                },
                None => changes.push(create(d, owner, key)),
            },
        }
    }
    for (key, ws) in &owned {
        if declared.contains(key) || ws.len() > 1 {
            continue;
        }
        if options.no_delete {
            untouched.kept += 1;
            continue;
        }
        changes.push(delete(ws[0], key, &live.target_names, &options.key));
    }
    for (owned_key, extra, kept) in &extras {
        let mut c = delete(extra, owned_key, &live.target_names, &options.key);
        c.duplicate_of = Some((*kept).to_owned());
        changes.push(c);
    }
    changes.sort_by(|a, b| a.key.cmp(&b.key).then(a.action.cmp(&b.action)));

    let all_deletes = changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .count();
    // Removing a duplicate loses nothing: the safety rules count the other deletes, against
    // the owned webhooks once duplicates are removed.
    let deletes = all_deletes - extras.len();
    let owned_count = owned_count - extras.len();
    let creates = changes
        .iter()
        .filter(|c| c.action == Action::Create)
        .count();
    let total_before = live.webhooks.len();
    let total_after = total_before + creates - all_deletes;
    let rule = if total_after > MAX_WEBHOOKS_PER_USER && creates > 0 {
        Some(Refusal::OverCap {
            after: total_after,
            limit: MAX_WEBHOOKS_PER_USER,
        })
    } else if desired.is_empty() && owned_count > 0 && deletes > 0 {
        Some(Refusal::EmptyManifests { owned: owned_count })
    } else if deletes > 0 && deletes == owned_count {
        Some(Refusal::DeletesAll { owned: owned_count })
    } else if owned_count >= 10 && deletes * 10 > owned_count * 3 {
        Some(Refusal::TooManyDeletes {
            deletes,
            owned: owned_count,
        })
    } else {
        None
    };
    let (refusal, forced) = match rule {
        Some(r) if options.force && r.forceable() => (None, Some(r)),
        other => (other, None),
    };
    Plan {
        owner: owner.to_owned(),
        changes,
        untouched,
        owned: owned_count + extras.len(),
        total_before,
        total_after,
        conflicts,
        refusal,
        forced,
    }
}

/// Whether owned webhooks of one key are the same webhook in all but ID and timestamps.
fn all_identical(ws: &[&Webhook]) -> bool {
    let first = identity::of_live(ws[0]);
    ws[1..].iter().all(|w| identity::of_live(w) == first)
}

/// Oldest `createdAt` first (unknown last), then lowest ID.
fn oldest_first(a: &Webhook, b: &Webhook) -> std::cmp::Ordering {
    let created = |w: &Webhook| {
        (
            w.created_at.is_none(),
            w.created_at
                .as_deref()
                .and_then(|t| humantime::parse_rfc3339_weak(t.trim_end_matches('Z')).ok()),
        )
    };
    created(a).cmp(&created(b)).then_with(|| a.id.cmp(&b.id))
}

/// The fingerprint of a live webhook: `modifiedAt` and a keyed hash of its content.
pub fn fingerprint(w: &Webhook, key: &[u8; 16]) -> LiveFingerprint {
    let c = w.condition.clone().unwrap_or_default();
    let content = serde_json::json!({
        "eventTypes": normalize::event_set(w.event_types.as_deref().unwrap_or_default()),
        "actorId": c.actor_id,
        "actorTaskId": c.actor_task_id,
        "requestUrl": w.request_url,
        "payloadTemplate": normalize::text(w.payload_template.as_deref()),
        "headersTemplate": normalize::text(w.headers_template.as_deref()),
        "description": normalize::text(w.description.as_deref()),
        "ignoreSslErrors": w.ignore_ssl_errors.unwrap_or(false),
        "doNotRetry": w.do_not_retry.unwrap_or(false),
        "shouldInterpolateStrings": w.should_interpolate_strings.unwrap_or(false),
    });
    LiveFingerprint {
        modified_at: w.modified_at.clone(),
        content_hash: keyed_hex(key, content.to_string().as_bytes()),
    }
}

/// Hex SHA-256 of `bytes` under `key`.
fn keyed_hex(key: &[u8; 16], bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(key);
    h.update(bytes);
    hex::encode(h.finalize())
}

/// A short fingerprint of a secret under the run's key: enough to see that it changed, too
/// short (and keyed) to recover it.
pub fn secret_fingerprint(key: &[u8; 16], value: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"apify-webhooks/secret-fingerprint\0");
    h.update(key);
    h.update(value.as_bytes());
    hex::encode(&h.finalize()[..4])
}

fn sensitive(key: &[u8; 16], value: &str, masked: Option<String>) -> Shown {
    Shown::Sensitive {
        sensitive: SensitiveTag::Sensitive,
        fingerprint: secret_fingerprint(key, value),
        masked,
    }
}

/// How a URL is shown: whole when it holds no secret; with its userinfo and query masked; or
/// fully masked when a secret sits in its host or path.
pub fn show_url(key: &[u8; 16], url: &str, from_env: bool) -> Shown {
    let Ok(parsed) = url::Url::parse(url) else {
        return sensitive(key, url, None);
    };
    let has_private =
        !parsed.username().is_empty() || parsed.password().is_some() || parsed.query().is_some();
    if from_env {
        // Where the secret went is unknown once substituted: keep only what cannot hold it.
        return sensitive(key, url, None);
    }
    if !has_private {
        return Shown::Text(url.to_owned());
    }
    let mut public = format!("{}://", parsed.scheme());
    if !parsed.username().is_empty() || parsed.password().is_some() {
        public.push_str("(sensitive)@");
    }
    public.push_str(parsed.host_str().unwrap_or(""));
    if let Some(port) = parsed.port() {
        public.push(':');
        public.push_str(&port.to_string());
    }
    public.push_str(parsed.path());
    if parsed.query().is_some() {
        public.push_str("?(sensitive)");
    }
    sensitive(key, url, Some(public))
}

fn show_template(key: &[u8; 16], value: &str, is_secret: bool) -> Shown {
    if is_secret {
        sensitive(key, value, None)
    } else {
        Shown::Text(value.to_owned())
    }
}

fn text_diff(before: Option<&str>, after: Option<&str>) -> Option<(String, String)> {
    let (b, a) = (before.unwrap_or(""), after.unwrap_or(""));
    (b.contains('\n') || a.contains('\n') || b.len() > 60 || a.len() > 60)
        .then(|| (b.to_owned(), a.to_owned()))
}

/// The fields of `d` whose value came from `${NAME}`: the record its marker carries.
pub fn secret_fields(d: &DesiredSpec) -> SecretFields {
    SecretFields {
        request_url: d.request_url.from_env,
        payload_template: d.payload_template.as_ref().is_some_and(|p| p.from_env),
        headers_template: d.headers_template.as_ref().is_some_and(|h| h.from_env),
    }
}

/// The fields of an owned webhook carrying `key` that may hold a value from `${NAME}`: its
/// marker's record, or every field when the marker has none.
fn live_secret_fields(w: &Webhook, key: &str) -> SecretFields {
    w.description
        .as_deref()
        .and_then(marker::parse)
        .filter(|m| m.key == key)
        .and_then(|m| m.secrets)
        .unwrap_or(SecretFields::UNKNOWN)
}

/// A record as the plan shows it: the field names.
fn show_record(record: SecretFields) -> Shown {
    Shown::List(record.names().into_iter().map(str::to_owned).collect())
}

/// The create for a declared webhook that does not exist.
fn create(d: &DesiredSpec, owner: &str, key: &[u8; 16]) -> Change {
    let body = create_body(d, owner);
    let mut fields = vec![
        FieldChange {
            field: Field::EventTypes,
            before: None,
            after: Some(Shown::List(d.event_types.clone())),
            drift: false,
            text_diff: None,
        },
        FieldChange {
            field: Field::RequestUrl,
            before: None,
            after: Some(show_url(key, &d.request_url.value, d.request_url.from_env)),
            drift: false,
            text_diff: None,
        },
    ];
    if let Some(p) = &d.payload_template {
        let shown = show_template(key, &p.value, p.from_env);
        let diff = (!p.from_env)
            .then(|| text_diff(None, Some(&p.value)))
            .flatten();
        fields.push(FieldChange {
            field: Field::PayloadTemplate,
            before: None,
            after: Some(shown),
            drift: false,
            text_diff: diff,
        });
    }
    if let Some(h) = &d.headers_template {
        fields.push(FieldChange {
            field: Field::HeadersTemplate,
            before: None,
            after: Some(show_template(key, &h.value, true)),
            drift: false,
            text_diff: None,
        });
    }
    if let Some(desc) = &d.description {
        fields.push(FieldChange {
            field: Field::Description,
            before: None,
            after: Some(Shown::Text(desc.clone())),
            drift: false,
            text_diff: None,
        });
    }
    for (field, value) in [
        (Field::IgnoreSslErrors, d.ignore_ssl_errors),
        (Field::DoNotRetry, d.do_not_retry),
        (
            Field::ShouldInterpolateStrings,
            d.should_interpolate_strings,
        ),
    ] {
        if value {
            fields.push(FieldChange {
                field,
                before: None,
                after: Some(Shown::Bool(true)),
                drift: false,
                text_diff: None,
            });
        }
    }
    Change {
        action: Action::Create,
        key: d.key.clone(),
        target: d.target.clone(),
        webhook_id: None,
        fields,
        live: None,
        request: Request::Create(body),
        duplicate_of: None,
    }
}

/// The body of the create for `d` (without idempotency key).
pub fn create_body(d: &DesiredSpec, owner: &str) -> WebhookCreate {
    WebhookCreate {
        event_types: d.event_types.clone(),
        condition: condition(&d.target),
        request_url: d.request_url.value.clone(),
        payload_template: d.payload_template.as_ref().map(|p| p.value.clone()),
        headers_template: d.headers_template.as_ref().map(|h| h.value.clone()),
        description: Some(marker::compose(
            d.description.as_deref(),
            owner,
            &d.key,
            secret_fields(d),
        )),
        ignore_ssl_errors: Some(d.ignore_ssl_errors),
        do_not_retry: Some(d.do_not_retry),
        should_interpolate_strings: Some(d.should_interpolate_strings),
        idempotency_key: None,
    }
}

fn condition(target: &Target) -> Condition {
    match target.kind {
        TargetKind::Actor => Condition {
            actor_id: Some(target.id.clone()),
            ..Condition::default()
        },
        TargetKind::Task => Condition {
            actor_task_id: Some(target.id.clone()),
            ..Condition::default()
        },
    }
}

fn live_target(w: &Webhook, names: &HashMap<String, String>) -> Target {
    let c = w.condition.clone().unwrap_or_default();
    let (kind, id) = match (c.actor_task_id, c.actor_id) {
        (Some(task), _) => (TargetKind::Task, task),
        (None, Some(actor)) => (TargetKind::Actor, actor),
        (None, None) => (TargetKind::Actor, String::new()),
    };
    let name = names.get(&id).cloned().unwrap_or_else(|| id.clone());
    Target { kind, id, name }
}

/// The delete of an owned webhook no longer declared.
fn delete(w: &Webhook, owned_key: &str, names: &HashMap<String, String>, key: &[u8; 16]) -> Change {
    let human = w
        .description
        .as_deref()
        .and_then(marker::parse)
        .map(|m| m.human.to_owned());
    let mut fields = vec![
        FieldChange {
            field: Field::EventTypes,
            before: Some(Shown::List(normalize::event_set(
                w.event_types.as_deref().unwrap_or_default(),
            ))),
            after: None,
            drift: false,
            text_diff: None,
        },
        FieldChange {
            field: Field::RequestUrl,
            before: Some(show_url(
                key,
                w.request_url.as_deref().unwrap_or(""),
                live_secret_fields(w, owned_key).request_url,
            )),
            after: None,
            drift: false,
            text_diff: None,
        },
    ];
    if let Some(h) = human.filter(|h| !h.is_empty()) {
        fields.push(FieldChange {
            field: Field::Description,
            before: Some(Shown::Text(h)),
            after: None,
            drift: false,
            text_diff: None,
        });
    }
    Change {
        action: Action::Delete,
        key: owned_key.to_owned(),
        target: live_target(w, names),
        webhook_id: Some(w.id.clone()),
        fields,
        live: Some(fingerprint(w, key)),
        request: Request::Delete,
        duplicate_of: None,
    }
}

/// The update (or adoption) that makes `w` match `d`; `None` when it already does.
fn diff(
    d: &DesiredSpec,
    w: &Webhook,
    owner: &str,
    adopt: bool,
    names: &HashMap<String, String>,
    key: &[u8; 16],
) -> Option<Change> {
    let mut fields = Vec::new();
    let mut body = WebhookUpdate::default();
    // What of the live side may hold a secret: nothing is known of a webhook being adopted.
    let live_secret = if adopt {
        SecretFields::UNKNOWN
    } else {
        live_secret_fields(w, &d.key)
    };
    let live_condition = w.condition.clone().unwrap_or_default();
    let wanted = condition(&d.target);
    if live_condition.actor_id != wanted.actor_id
        || live_condition.actor_task_id != wanted.actor_task_id
    {
        let before = live_target(w, names);
        fields.push(FieldChange {
            field: Field::Target,
            before: Some(Shown::Text(before.to_string())),
            after: Some(Shown::Text(d.target.to_string())),
            drift: false,
            text_diff: None,
        });
        // Name the side that goes away as null too, in case the platform merges conditions.
        let mut extra = serde_json::Map::new();
        if wanted.actor_id.is_none() && live_condition.actor_id.is_some() {
            extra.insert("actorId".to_owned(), serde_json::Value::Null);
        }
        if wanted.actor_task_id.is_none() && live_condition.actor_task_id.is_some() {
            extra.insert("actorTaskId".to_owned(), serde_json::Value::Null);
        }
        body.condition = Some(Condition {
            actor_id: wanted.actor_id.clone(),
            actor_task_id: wanted.actor_task_id.clone(),
            actor_run_id: None,
            extra,
        });
    }

    let live_events = normalize::event_set(w.event_types.as_deref().unwrap_or_default());
    if live_events != normalize::event_set(&d.event_types) {
        fields.push(FieldChange {
            field: Field::EventTypes,
            before: Some(Shown::List(live_events)),
            after: Some(Shown::List(d.event_types.clone())),
            drift: false,
            text_diff: None,
        });
        body.event_types = Some(d.event_types.clone());
    }

    let live_url = w.request_url.as_deref().unwrap_or("");
    if live_url != d.request_url.value {
        fields.push(FieldChange {
            field: Field::RequestUrl,
            before: Some(show_url(
                key,
                live_url,
                live_secret.request_url || d.request_url.from_env,
            )),
            after: Some(show_url(key, &d.request_url.value, d.request_url.from_env)),
            drift: false,
            text_diff: None,
        });
        body.request_url = Some(d.request_url.value.clone());
    }

    let want_payload = d.payload_template.as_ref().map(|p| p.value.as_str());
    if !normalize::same_template(w.payload_template.as_deref(), want_payload) {
        let secret = d.payload_template.as_ref().is_some_and(|p| p.from_env);
        let before = normalize::text(w.payload_template.as_deref());
        let before_secret = secret || live_secret.payload_template;
        fields.push(FieldChange {
            field: Field::PayloadTemplate,
            before: before.map(|v| show_template(key, v, before_secret)),
            after: want_payload.map(|v| show_template(key, v, secret)),
            drift: want_payload.is_none(),
            // A diff shows lines of both sides: none when either may hold a secret.
            text_diff: if secret || (before_secret && before.is_some()) {
                None
            } else {
                text_diff(before, want_payload)
            },
        });
        body.payload_template = Some(want_payload.map(str::to_owned));
    }

    let want_headers = d.headers_template.as_ref().map(|h| h.value.as_str());
    if !normalize::same_template(w.headers_template.as_deref(), want_headers) {
        fields.push(FieldChange {
            field: Field::HeadersTemplate,
            before: normalize::text(w.headers_template.as_deref())
                .map(|v| show_template(key, v, true)),
            after: want_headers.map(|v| show_template(key, v, true)),
            drift: want_headers.is_none(),
            text_diff: None,
        });
        body.headers_template = Some(want_headers.map(str::to_owned));
    }

    let live_description = w.description.as_deref().unwrap_or("");
    let parsed = marker::parse(live_description).filter(|m| m.owner == owner && m.key == d.key);
    let live_human = match &parsed {
        Some(m) => m.human,
        None => live_description,
    };
    let trailing = parsed.as_ref().is_some_and(|m| !m.trailing.is_empty());
    let want_human = d.description.as_deref().unwrap_or("");
    if live_human != want_human || trailing {
        fields.push(FieldChange {
            field: Field::Description,
            // The live description without the marker, text added after it included.
            before: normalize::text(Some(&format!(
                "{live_human}{}",
                parsed.as_ref().map_or("", |m| m.trailing)
            )))
            .map(|h| Shown::Text(h.to_owned())),
            after: normalize::text(Some(want_human)).map(|h| Shown::Text(h.to_owned())),
            drift: trailing || (want_human.is_empty() && !live_human.is_empty()),
            text_diff: None,
        });
    }
    if parsed.is_none() {
        fields.push(FieldChange {
            field: Field::Owner,
            before: None,
            after: Some(Shown::Text(owner.to_owned())),
            drift: false,
            text_diff: None,
        });
    }

    for (field, live, want, slot) in [
        (
            Field::IgnoreSslErrors,
            w.ignore_ssl_errors,
            d.ignore_ssl_errors,
            &mut body.ignore_ssl_errors,
        ),
        (
            Field::DoNotRetry,
            w.do_not_retry,
            d.do_not_retry,
            &mut body.do_not_retry,
        ),
        (
            Field::ShouldInterpolateStrings,
            w.should_interpolate_strings,
            d.should_interpolate_strings,
            &mut body.should_interpolate_strings,
        ),
    ] {
        let live = live.unwrap_or(false);
        if live != want {
            fields.push(FieldChange {
                field,
                before: Some(Shown::Bool(live)),
                after: Some(Shown::Bool(want)),
                drift: !want,
                text_diff: None,
            });
            *slot = Some(want);
        }
    }

    let record = secret_fields(d);
    let composed = marker::compose(d.description.as_deref(), owner, &d.key, record);
    if live_description != composed {
        // An owned marker that lacks only the record is not a change by itself (upgrading must
        // not turn every webhook into one); any other change writes the record too.
        let record_only = parsed
            .as_ref()
            .is_some_and(|m| m.secrets.is_none() && m.human == want_human && m.trailing.is_empty());
        if !record_only || !fields.is_empty() || !body.is_empty() {
            let live_record = parsed.as_ref().and_then(|m| m.secrets);
            if parsed.is_some() && live_record != Some(record) {
                fields.push(FieldChange {
                    field: Field::Secrets,
                    before: live_record.map(show_record),
                    after: Some(show_record(record)),
                    drift: false,
                    text_diff: None,
                });
            }
            body.description = Some(Some(composed));
        }
    }

    if fields.is_empty() && body.is_empty() {
        return None;
    }
    if adopt {
        // Taking a webhook over is not drift: its values were never ours.
        for f in &mut fields {
            f.drift = false;
        }
    }
    Some(Change {
        action: if adopt { Action::Adopt } else { Action::Update },
        key: d.key.clone(),
        target: d.target.clone(),
        webhook_id: Some(w.id.clone()),
        fields,
        live: Some(fingerprint(w, key)),
        request: Request::Update(body),
        duplicate_of: None,
    })
}

#[cfg(test)]
pub(crate) mod tests;
