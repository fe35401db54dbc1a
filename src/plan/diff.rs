//! The diff: [`plan`] compares the desired webhooks with the live ones and decides every
//! change — creates, updates, adoptions, deletes, duplicates removed — and the safety rules.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{
    Action, Change, Class, Conflict, DesiredSpec, DisabledWebhook, Field, FieldChange, LiveState,
    MAX_SAFE_DELETE_PERCENT, MIN_OWNED_FOR_DELETE_SHARE, Plan, PlanOptions, Refusal, Request,
    SecretFields, Shown, Target, UnmanagedWebhook, Untouched, classify, fingerprint, identity,
    live_secret_fields, marker, normalize, secret_fields, show_origin, show_record, show_template,
    show_url, text_diff,
};
use crate::platform::{Condition, Webhook, WebhookCreate, WebhookUpdate};
use crate::webhook::{MAX_WEBHOOKS_PER_USER, TargetKind};

/// Computes the plan. Pure: the same inputs always give the same plan.
pub fn plan(desired: &[DesiredSpec], live: &LiveState, owner: &str, options: PlanOptions) -> Plan {
    let key = &options.key;
    let mut untouched = Untouched::default();
    let mut owned_by_key: Vec<(&str, &Webhook)> = Vec::new();
    // Webhooks whose marker cannot be read with certainty, by ID: never unmanaged.
    let mut damaged: BTreeMap<&str, (&Webhook, Option<&str>, String)> = BTreeMap::new();
    let by_id: HashMap<&str, &Webhook> = live.webhooks.iter().map(|w| (w.id.as_str(), w)).collect();
    let mut unmanaged: Vec<&Webhook> = Vec::new();
    for w in &live.webhooks {
        match classify(w, owner) {
            Class::Owned { key } => owned_by_key.push((key, w)),
            Class::Foreign => untouched.foreign += 1,
            Class::Damaged { key, problem } => {
                damaged.insert(w.id.as_str(), (w, key, problem.to_string()));
            }
            Class::Unmanaged | Class::Unknown => unmanaged.push(w),
            Class::OutOfScope => untouched.out_of_scope += 1,
        }
    }
    let owned_count = owned_by_key.len();
    // Owned webhooks by slot: a key names one webhook, except the key of a pattern, which names
    // one webhook per target (key + target ID). A key no longer declared is read the same way,
    // so that a pattern taken out of the manifests deletes each of its webhooks.
    let slots = Slots::new(desired);
    let mut owned: BTreeMap<Slot<'_>, Vec<&Webhook>> = BTreeMap::new();
    for (k, w) in owned_by_key {
        owned.entry(slots.of_live(k, w)).or_default().push(w);
    }
    let mut conflicts = Vec::new();
    // Owned webhooks of one slot identical in every field the platform keeps, `isEnabled`
    // included (two overlapping applies, say): one enabled copy, the oldest, is kept, the
    // others are deleted. Different ones cannot be told apart without guessing.
    let mut extras: Vec<(Slot<'_>, &Webhook, &str)> = Vec::new();
    for (slot, ws) in &mut owned {
        if ws.len() < 2 {
            continue;
        }
        if !options.no_delete && all_identical(ws) {
            ws.sort_by(|a, b| b.is_enabled().cmp(&a.is_enabled()).then(oldest_first(a, b)));
            let kept = ws[0];
            for extra in ws.drain(1..) {
                extras.push((*slot, extra, kept.id.as_str()));
            }
        } else {
            let sorted_ids = |filter: fn(&Webhook) -> bool| {
                let mut ids: Vec<String> = ws
                    .iter()
                    .filter(|w| filter(w))
                    .map(|w| w.id.clone())
                    .collect();
                ids.sort();
                ids
            };
            conflicts.push(Conflict::DuplicateKey {
                key: slot.0.to_owned(),
                webhook_ids: sorted_ids(|_| true),
                disabled: sorted_ids(|w| !w.is_enabled()),
            });
        }
    }

    let mut changes = Vec::new();
    let declared: HashSet<Slot<'_>> = desired
        .iter()
        .map(|d| Slots::of_desired(d, &d.key))
        .collect();
    // Owned slots a declared webhook moves away from (`previousKeys`), or that an entry claims
    // by adopting their webhook under another key (refused): not deleted.
    let mut moved: HashSet<Slot<'_>> = HashSet::new();
    // Keys named by a damaged marker that no entry adopts: an entry of that key, or moving
    // from it, gets no change (the conflict says why), so the plan shows what it refuses.
    let adopted: HashSet<&str> = desired.iter().filter_map(|d| d.adopt.as_deref()).collect();
    let damaged_keys: HashSet<&str> = damaged
        .iter()
        .filter(|(id, _)| !adopted.contains(*id))
        .filter_map(|(_, (_, k, _))| *k)
        .collect();
    let owned_keys: HashSet<&str> = owned.keys().map(|(k, _)| *k).collect();
    for d in desired {
        let slot = Slots::of_desired(d, &d.key);
        let instance = d.pattern.as_ref().map(|_| d.target.name.clone());
        let blocked = |k: &str| damaged_keys.contains(k) && !owned_keys.contains(k);
        if blocked(&d.key) || d.previous_keys.iter().any(|p| blocked(p)) {
            // Not deleted either: a key it moves from stays until the conflict is resolved.
            moved.extend(d.previous_keys.iter().filter_map(|p| {
                owned
                    .get_key_value(&Slots::of_desired(d, p))
                    .map(|(k, _)| *k)
            }));
            continue;
        }
        if !owned.contains_key(&slot)
            && let Some((from, ws)) = d
                .previous_keys
                .iter()
                .find_map(|p| owned.get_key_value(&Slots::of_desired(d, p)))
        {
            moved.insert(*from);
            // Two webhooks under the previous key are a conflict already: nothing moves.
            if let [w] = ws.as_slice() {
                let mut c = moved_change(d, w, from.0, owner, &live.target_names, key);
                c.instance = instance;
                changes.push(c);
            }
            continue;
        }
        match owned.get(&slot).map(Vec::as_slice) {
            // `adopt:` is inert once the webhook carries this owner's marker under the key.
            Some([w]) => match diff(d, w, owner, false, &live.target_names, key) {
                Some(mut c) => {
                    c.instance = instance;
                    changes.push(c);
                }
                None => untouched.unchanged += 1,
            },
            Some(_) => {} // a duplicate key: reported as a conflict
            None => {
                let Some(id) = d.adopt.as_deref() else {
                    let mut c = create(d, owner, key);
                    c.instance = instance;
                    changes.push(c);
                    continue;
                };
                match by_id.get(id) {
                    // Adopted once and deleted since (in the Console, say): the entry is what
                    // it declares, so it is created again; a drift job must keep working.
                    None => {
                        let mut c = create(d, owner, key);
                        c.adopt_gone = Some(id.to_owned());
                        changes.push(c);
                    }
                    Some(w) => match classify(w, owner) {
                        Class::Unmanaged | Class::Unknown | Class::Damaged { .. } => {
                            unmanaged.retain(|u| u.id != w.id);
                            damaged.remove(w.id.as_str());
                            changes.extend(diff(d, w, owner, true, &live.target_names, key));
                        }
                        Class::Owned { key: other } => {
                            // Renamed without `previousKeys`: neither the old key's webhook is
                            // deleted nor a new one created, so the plan shows what it refuses.
                            moved.insert(slots.of_live(other, w));
                            conflicts.push(Conflict::AdoptNotAdoptable {
                                key: d.key.clone(),
                                webhook_id: id.to_owned(),
                                reason: format!(
                                    "it is already managed under the key `{other}`. To rename `{other}` to `{new}`, replace `adopt: {id}` with `previousKeys: [{other}]` on the entry; if `{new}` is another webhook, drop `adopt: {id}`",
                                    new = d.key
                                ),
                            });
                        }
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
                }
            }
        }
    }
    // A marker that cannot be read may be this owner's webhook under any key, a declared one or
    // one an entry moves from: whatever the plan did beside it could duplicate or leave it.
    for (id, (_, marker_key, problem)) in &damaged {
        conflicts.push(Conflict::DamagedMarker {
            key: marker_key.map(str::to_owned),
            webhook_id: (*id).to_owned(),
            problem: problem.clone(),
        });
    }
    for (slot, ws) in &owned {
        if declared.contains(slot) || moved.contains(slot) || ws.len() > 1 {
            continue;
        }
        if options.no_delete {
            untouched.kept += 1;
            continue;
        }
        let mut c = delete(ws[0], slot.0, &live.target_names, &options.key);
        c.instance = slots.instance(slot, &owned, &c.target);
        changes.push(c);
    }
    for (slot, extra, kept) in &extras {
        let mut c = delete(extra, slot.0, &live.target_names, &options.key);
        c.duplicate_of = Some((*kept).to_owned());
        c.instance = slots.instance(slot, &owned, &c.target);
        changes.push(c);
    }
    changes.sort_by(|a, b| (&a.key, &a.instance, a.action).cmp(&(&b.key, &b.instance, b.action)));
    let deleted: HashSet<&str> = changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .filter_map(|c| c.webhook_id.as_deref())
        .collect();
    let mut disabled: Vec<DisabledWebhook> = owned
        .iter()
        .flat_map(|(slot, ws)| ws.iter().map(move |w| (slot, *w)))
        .filter(|(_, w)| !w.is_enabled() && !deleted.contains(w.id.as_str()))
        .map(|(slot, w)| {
            let target = live_target(w, &live.target_names);
            DisabledWebhook {
                key: slot.0.to_owned(),
                instance: slots.instance(slot, &owned, &target),
                id: w.id.clone(),
                target,
            }
        })
        .collect();
    disabled.sort_by(|a, b| (&a.key, &a.id).cmp(&(&b.key, &b.id)));

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
    } else if owned_count >= MIN_OWNED_FOR_DELETE_SHARE
        && deletes * 100 > owned_count * MAX_SAFE_DELETE_PERCENT
    {
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
    untouched.unmanaged = unmanaged.len();
    let mut unmanaged: Vec<UnmanagedWebhook> = unmanaged
        .into_iter()
        .map(|w| UnmanagedWebhook {
            id: w.id.clone(),
            target: live_target(w, &live.target_names),
            url: show_origin(w.request_url.as_deref().unwrap_or_default()),
            event_types: normalize::event_set(w.event_types.as_deref().unwrap_or_default())
                .into_iter()
                .collect(),
        })
        .collect();
    unmanaged.sort_by(|a, b| a.id.cmp(&b.id));
    Plan {
        owner: owner.to_owned(),
        changes,
        untouched,
        unmanaged,
        owned: owned_count + extras.len(),
        total_before,
        total_after,
        conflicts,
        disabled,
        refusal,
        forced,
        patterns: Vec::new(),
    }
}

/// Where an owned webhook sits among the declared ones: its key, and for a key that names one
/// webhook per target (a pattern's, or one no longer declared), the target's ID.
type Slot<'a> = (&'a str, Option<&'a str>);

/// Which keys name one webhook per target.
struct Slots<'d> {
    /// Keys declared by single entries, and the previous keys of those entries: one webhook
    /// each, wherever it is (a changed target is an update in place).
    single: HashSet<&'d str>,
    /// Keys declared by patterns, and their previous keys.
    pattern: HashSet<&'d str>,
}

impl<'d> Slots<'d> {
    fn new(desired: &'d [DesiredSpec]) -> Self {
        let mut single = HashSet::new();
        let mut pattern = HashSet::new();
        for d in desired {
            let set = if d.pattern.is_some() {
                &mut pattern
            } else {
                &mut single
            };
            set.insert(d.key.as_str());
            set.extend(d.previous_keys.iter().map(String::as_str));
        }
        Slots { single, pattern }
    }

    /// The slot of a live owned webhook carrying `key`.
    fn of_live<'w>(&self, key: &'w str, w: &'w Webhook) -> Slot<'w> {
        if self.single.contains(key) {
            (key, None)
        } else {
            (key, w.condition().target().map(|(_, id)| id))
        }
    }

    /// The slot the declared webhook `d` has under `key` (its own, or a previous one).
    fn of_desired<'a>(d: &'a DesiredSpec, key: &'a str) -> Slot<'a> {
        if d.pattern.is_some() {
            (key, Some(d.target.id.as_str()))
        } else {
            (key, None)
        }
    }

    /// The index of a delete's address: the target's name, when its key is a pattern's or
    /// names webhooks on several targets.
    fn instance(
        &self,
        slot: &Slot<'_>,
        owned: &BTreeMap<Slot<'_>, Vec<&Webhook>>,
        target: &Target,
    ) -> Option<String> {
        slot.1?;
        let several = owned.keys().filter(|(k, _)| *k == slot.0).nth(1).is_some();
        (self.pattern.contains(slot.0) || several).then(|| target.name.clone())
    }
}

/// Whether owned webhooks of one key are the same webhook in all but ID and timestamps.
pub(super) fn all_identical(ws: &[&Webhook]) -> bool {
    let first = identity::of_live(ws[0]);
    ws[1..].iter().all(|w| identity::of_live(w) == first)
}

/// Oldest `createdAt` first (unknown last), then lowest ID.
pub(super) fn oldest_first(a: &Webhook, b: &Webhook) -> std::cmp::Ordering {
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

/// The create for a declared webhook that does not exist.
pub(super) fn create(d: &DesiredSpec, owner: &str, key: &[u8; 16]) -> Change {
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
        moved_from: None,
        instance: None,
        adopt_gone: None,
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

pub(super) fn condition(target: &Target) -> Condition {
    Condition::for_target(target.kind, &target.id)
}

pub(super) fn live_target(w: &Webhook, names: &HashMap<String, String>) -> Target {
    let (kind, id) = w
        .condition()
        .target()
        .map_or((TargetKind::Actor, String::new()), |(kind, id)| {
            (kind, id.to_owned())
        });
    let name = names.get(&id).cloned().unwrap_or_else(|| id.clone());
    Target { kind, id, name }
}

/// The delete of an owned webhook no longer declared.
pub(super) fn delete(
    w: &Webhook,
    owned_key: &str,
    names: &HashMap<String, String>,
    key: &[u8; 16],
) -> Change {
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
        moved_from: None,
        instance: None,
        adopt_gone: None,
    }
}

/// The update that moves the owned webhook `w` from the key `from` to `d`'s key, in place:
/// its marker is rewritten with the new key, and any other field brought to match `d`.
fn moved_change(
    d: &DesiredSpec,
    w: &Webhook,
    from: &str,
    owner: &str,
    names: &HashMap<String, String>,
    key: &[u8; 16],
) -> Change {
    // Compare as if the marker already named the new key, so that only real differences show.
    let mut renamed = w.clone();
    if let Some(desc) = w
        .description
        .as_deref()
        .and_then(|desc| marker::rekeyed(desc, &d.key))
    {
        renamed.description = Some(desc);
    }
    let mut change = diff(d, &renamed, owner, false, names, key).unwrap_or_else(|| Change {
        action: Action::Update,
        key: d.key.clone(),
        target: d.target.clone(),
        webhook_id: Some(w.id.clone()),
        fields: Vec::new(),
        live: None,
        request: Request::Update(WebhookUpdate::default()),
        duplicate_of: None,
        moved_from: None,
        instance: None,
        adopt_gone: None,
    });
    change.fields.insert(
        0,
        FieldChange {
            field: Field::Key,
            before: Some(Shown::Text(from.to_owned())),
            after: Some(Shown::Text(d.key.clone())),
            drift: false,
            text_diff: None,
        },
    );
    if let Request::Update(body) = &mut change.request
        && body.description.is_none()
    {
        let live = w.description.as_deref().and_then(marker::parse);
        body.description = Some(Some(written_description(
            live.as_ref(),
            d,
            owner,
            secret_fields(d),
        )));
    }
    // The fingerprint is of the webhook as it is, so a saved plan sees it change.
    change.live = Some(fingerprint(w, key));
    change.moved_from = Some(from.to_owned());
    change
}

/// The description written for `d`: its human text and the marker, keeping the attributes
/// this version does not know of the live marker `live`, if any.
fn written_description(
    live: Option<&marker::Marker<'_>>,
    d: &DesiredSpec,
    owner: &str,
    record: SecretFields,
) -> String {
    let human = d.description.as_deref();
    match live {
        Some(m) => m.rewrite(human, owner, &d.key, record),
        None => marker::compose(human, owner, &d.key, record),
    }
}

/// The update (or adoption) that makes `w` match `d`; `None` when it already does.
pub(super) fn diff(
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
    let live_condition = w.condition();
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
    let live_human = parsed.as_ref().map_or(live_description, |m| m.human);
    let want_human = d.description.as_deref().unwrap_or("");
    if live_human != want_human {
        fields.push(FieldChange {
            field: Field::Description,
            // The live description without the marker.
            before: normalize::text(Some(live_human)).map(|h| Shown::Text(h.to_owned())),
            after: normalize::text(Some(want_human)).map(|h| Shown::Text(h.to_owned())),
            drift: want_human.is_empty() && !live_human.is_empty(),
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
    // The marker is compared as read, not as written: one written another way (attributes
    // reordered, other spacing, attributes this version does not know) is not a change.
    let current = parsed
        .as_ref()
        .is_some_and(|m| m.human == want_human && m.secrets == Some(record));
    // An owned marker that lacks only the record is not a change by itself (upgrading must
    // not turn every webhook into one); any other change writes the record too.
    let record_only = parsed
        .as_ref()
        .is_some_and(|m| m.secrets.is_none() && m.human == want_human);
    if !current && (!record_only || !fields.is_empty() || !body.is_empty()) {
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
        body.description = Some(Some(written_description(parsed.as_ref(), d, owner, record)));
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
        moved_from: None,
        instance: None,
        adopt_gone: None,
    })
}
