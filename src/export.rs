//! `export`: from the live webhooks of an account to manifest documents that round-trip. Pure
//! except for [`read`], which fetches what [`build`] needs through the [`Platform`] trait.
//!
//! Unmanaged plain HTTP webhooks become entries with a generated key and `adopt: <id>`; with
//! `include_owned`, this owner's webhooks come out under their own keys, and a key on several
//! of the account's own Actors (or tasks), a pattern's webhooks, comes out as one pattern entry
//! (`username/*` with `exclude:`) that gives exactly those targets, or not at all. Everything else is
//! [`Skipped`] with a reason. Secrets never reach a document unless asked for: every header
//! value, every query value and the userinfo of a URL become `${NAME}` references, with the live
//! values kept in [`Variable`]s (whose `Debug` hides them). Fields that hold a recorded secret
//! anywhere else (the `secrets=` record of an owned webhook's marker) become a reference as a
//! whole, or the webhook is skipped when that cannot make a valid manifest.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::diagnostic::{Severity, SourceFile};

use crate::plan::expand::{self, LiveTarget, PatternRule};
use crate::plan::marker::{self, SecretFields};
use crate::plan::normalize;
use crate::plan::{Class, classify};
use crate::platform::{Platform, PlatformError, Webhook};
use crate::refresh::{AccountTargets, READ_CONCURRENCY};
use crate::webhook::{EventType, TargetKind};

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The owner the documents are written for.
    pub owner: String,
    /// Also export this owner's webhooks, under their keys.
    pub include_owned: bool,
    /// Write secret values verbatim instead of `${NAME}` references.
    pub include_secrets: bool,
}

/// The result of an export.
#[derive(Debug, Clone, Default)]
pub struct Export {
    /// One document per Actor or task, sorted by path.
    pub files: Vec<ExportFile>,
    /// Webhooks that were not exported, and why, sorted by target and ID.
    pub skipped: Vec<Skipped>,
    /// The variables the documents reference (exactly those), sorted by name.
    pub variables: Vec<Variable>,
    /// What the user should look at before committing the documents, sorted by key.
    pub warnings: Vec<Warning>,
    /// Exported unmanaged webhooks that one pattern entry could declare instead.
    pub suggestions: Vec<Suggestion>,
}

/// From how many of the account's own Actors (or tasks) on, unmanaged webhooks the same apart
/// from their target make export suggest a pattern.
pub const SUGGEST_PATTERN_FROM: usize = 3;

/// Unmanaged webhooks the same apart from their target, on [`SUGGEST_PATTERN_FROM`] or more of
/// the account's own Actors (or tasks), exported one entry each: one pattern entry could declare
/// them, once `apply` has adopted them, with `previousKeys` naming their exported keys.
#[derive(Debug, Clone)]
pub struct Suggestion {
    /// The exported entries it replaces: (key, target), by target.
    pub replaces: Vec<(String, String)>,
    /// The pattern entry (validated like every exported one), in a file of its own.
    pub file: ExportFile,
}

/// Something exported that deserves a look (it is still exported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The webhook ID.
    pub id: String,
    /// Its key in the documents.
    pub key: String,
    /// What to look at.
    pub message: String,
}

/// One manifest document: the webhooks of one Actor or task.
#[derive(Debug, Clone)]
pub struct ExportFile {
    /// Actor or task.
    pub kind: TargetKind,
    /// `username/name`, or the pattern `username/*` of this owner's keys that sit on several
    /// of the account's own Actors (or tasks).
    pub target: String,
    /// Where to write it, relative to the output folder: `actors/<username>/<name>.yaml` or
    /// `tasks/<username>/<name>.yaml` (`_all.yaml` for a pattern).
    pub path: PathBuf,
    /// The entries, sorted by key.
    pub entries: Vec<Entry>,
}

/// One exported webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key.
    pub key: String,
    /// The variables this entry references (not written: the document holds `${NAME}`).
    pub variables: Vec<Variable>,
    /// The ID to adopt (unmanaged webhooks only).
    pub adopt: Option<String>,
    /// For a pattern entry: the `exclude:` items (names, or IDs for names a manifest cannot
    /// write), sorted.
    pub exclude: Vec<String>,
    /// `previousKeys` (only in a [`Suggestion`]).
    pub previous_keys: Vec<String>,
    /// The IDs of the live webhooks the entry declares: one, or each of a pattern's.
    pub webhook_ids: Vec<String>,
    /// Event types, in the platform's documented order.
    pub event_types: Vec<EventType>,
    /// `requestUrl`, `${NAME}` escaped and secrets referenced.
    pub request_url: String,
    /// `payloadTemplate` as text (formatted when it is JSON), `${` escaped.
    pub payload_template: Option<String>,
    /// `headersTemplate`.
    pub headers_template: Option<Headers>,
    /// The human description.
    pub description: Option<String>,
    /// `ignoreSslErrors`.
    pub ignore_ssl_errors: bool,
    /// `doNotRetry`.
    pub do_not_retry: bool,
    /// `shouldInterpolateStrings`.
    pub should_interpolate_strings: bool,
}

/// A headers template as exported.
#[derive(Debug, Clone, PartialEq)]
pub enum Headers {
    /// Header name to value, in the live order.
    Mapping(Vec<(String, String)>),
    /// Text (only with secrets included, when it is not a JSON object of strings).
    Text(String),
}

/// A webhook left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The webhook ID.
    pub id: String,
    /// Its Actor or task, when it has one that could be named.
    pub target: Option<TargetName>,
    /// Why it was not exported.
    pub why: String,
}

/// A `${NAME}` the documents use and the live value it stands for (a secret: never printed
/// unless the user asks).
#[derive(Clone, PartialEq, Eq)]
pub struct Variable {
    /// The name.
    pub name: String,
    /// The live value.
    pub value: String,
}

impl fmt::Debug for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Variable")
            .field("name", &self.name)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// An Actor or task a live webhook belongs to, named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetName {
    /// Actor or task.
    pub kind: TargetKind,
    /// `username/name`.
    pub name: String,
}

/// The live state an export reads.
#[derive(Debug, Clone, Default)]
pub struct Account {
    /// Every webhook, in full where it may be exported.
    pub webhooks: Vec<Webhook>,
    /// Names of the Actors and tasks of those webhooks, by ID (missing: not found).
    pub names: HashMap<String, TargetName>,
    /// The account's Actors and tasks, as their list endpoints give them; `None` when the token
    /// may not list them. An owned key on several targets (a pattern's webhooks) is rebuilt
    /// from them.
    pub targets: Option<Vec<LiveTarget>>,
}

/// Reads every webhook of the account (in full, unless out of scope), the account's Actors and
/// tasks (their list endpoints, beside the webhook list), and names the targets of the webhooks:
/// from the lists, with one look-up each for the rest.
pub async fn read<P: Platform>(platform: &P) -> Result<Account, PlatformError> {
    let lists = async {
        match AccountTargets::read(platform).await {
            Ok((_, Ok(account))) => Some(account.targets),
            // A token that may not list them still exports; only a pattern's webhooks need them.
            Ok((_, Err(e))) | Err(e) => {
                tracing::debug!("cannot list the account's Actors and tasks: {e}");
                None
            }
        }
    };
    let (listed, targets) = futures_util::join!(platform.list_webhooks(), lists);
    let listed = listed?;
    let ids: Vec<String> = listed
        .iter()
        .filter(|w| !crate::plan::is_out_of_scope(w))
        .map(|w| w.id.clone())
        .collect();
    let full: HashMap<String, Option<Webhook>> =
        stream::iter(ids)
            .map(|id| async move {
                Ok::<_, PlatformError>((id.clone(), platform.get_webhook(&id).await?))
            })
            .buffer_unordered(READ_CONCURRENCY)
            .try_collect()
            .await?;
    let webhooks: Vec<Webhook> = listed
        .into_iter()
        .filter_map(|w| match full.get(&w.id) {
            Some(Some(full)) => Some(full.clone()),
            Some(None) => None,
            None => Some(w),
        })
        .collect();
    let mut names: HashMap<String, TargetName> = HashMap::new();
    let mut targets_to_name: Vec<(TargetKind, String)> = Vec::new();
    for w in &webhooks {
        if crate::plan::is_out_of_scope(w) {
            continue;
        }
        if let Some((kind, id)) = w.condition().target() {
            let listed = targets
                .iter()
                .flatten()
                .find(|t| t.kind == kind && t.id == id && t.name != t.id);
            if let Some(t) = listed {
                names.insert(
                    id.to_owned(),
                    TargetName {
                        kind,
                        name: t.name.clone(),
                    },
                );
                continue;
            }
            let t = (kind, id.to_owned());
            if !targets_to_name.contains(&t) {
                targets_to_name.push(t);
            }
        }
    }
    let named: Vec<(String, Option<TargetName>)> = stream::iter(targets_to_name)
        .map(|(kind, id)| async move {
            let name = crate::refresh::target_name(platform, kind, &id).await?;
            Ok::<_, PlatformError>((id, name.map(|name| TargetName { kind, name })))
        })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    names.extend(named.into_iter().filter_map(|(id, n)| Some((id, n?))));
    Ok(Account {
        webhooks,
        names,
        targets,
    })
}

/// A webhook that will be exported, before its key is settled.
struct Candidate<'w> {
    webhook: &'w Webhook,
    target: &'w TargetName,
    /// For a pattern entry: its `exclude:` items, and every webhook it declares.
    exclude: Vec<String>,
    members: Vec<&'w Webhook>,
    owned_key: Option<&'w str>,
    human: Option<String>,
    events: Vec<EventType>,
    recorded: SecretFields,
}

/// Builds the documents for `account`.
///
/// Every entry kept has been written out as a document on its own and loaded back through the
/// manifest validation without a problem; what does not validate is [`Skipped`] with the
/// reason. Each Actor and task gets a file of its own ([`file_paths`]), and the variables are
/// exactly those the kept entries reference.
pub fn build(account: &Account, options: &ExportOptions) -> Export {
    let mut skipped = Vec::new();
    let mut candidates = Vec::new();
    // Keys this owner already uses: generated keys must not take them.
    let mut taken: HashSet<String> = HashSet::new();
    for w in &account.webhooks {
        if let Class::Owned { key } | Class::Damaged { key: Some(key), .. } =
            classify(w, &options.owner)
        {
            taken.insert(key.to_owned());
        }
    }
    // Owned keys exported so far, by target: a second live webhook under one key on one target
    // is `plan`'s to report.
    let mut owned_exported: HashSet<(&str, Option<&str>)> = HashSet::new();
    let mut webhooks: Vec<&Webhook> = account.webhooks.iter().collect();
    webhooks.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    let patterns = if options.include_owned {
        owned_patterns(account, &webhooks, &options.owner)
    } else {
        HashMap::new()
    };
    for w in webhooks {
        let target = w
            .condition()
            .target()
            .and_then(|(_, id)| account.names.get(id));
        let skip = |why: String| Skipped {
            id: w.id.clone(),
            target: target.cloned(),
            why,
        };
        let (owned_key, human, recorded) = match classify(w, &options.owner) {
            Class::OutOfScope => {
                skipped.push(skip(out_of_scope_reason(w)));
                continue;
            }
            Class::Foreign => {
                let owner = w
                    .description
                    .as_deref()
                    .and_then(marker::parse)
                    .map_or("", |m| m.owner);
                skipped.push(skip(format!("belongs to owner `{owner}`")));
                continue;
            }
            Class::Damaged { problem, .. } => {
                skipped.push(skip(format!("{problem}: `plan` reports it")));
                continue;
            }
            Class::Owned { .. } if !options.include_owned => continue,
            Class::Owned { key } => {
                if !owned_exported.insert((key, w.condition().target().map(|(_, id)| id))) {
                    skipped.push(skip(format!(
                        "another webhook carries this owner's key `{key}` too: `plan` reports it"
                    )));
                    continue;
                }
                match patterns.get(key) {
                    Some(Err(why)) => {
                        skipped.push(skip(owned_reason(why, key)));
                        continue;
                    }
                    // Declared by the pattern entry its first webhook makes.
                    Some(Ok(p)) if p.members[0].id != w.id => continue,
                    _ => {}
                }
                let m = w.description.as_deref().and_then(marker::parse);
                let human = m.as_ref().map(|m| m.human.to_owned());
                let recorded = m.and_then(|m| m.secrets).unwrap_or(SecretFields::UNKNOWN);
                (Some(key), human, recorded)
            }
            Class::Unmanaged | Class::Unknown => {
                (None, w.description.clone(), SecretFields::default())
            }
        };
        let pattern = owned_key.and_then(|key| patterns.get(key)?.as_ref().ok());
        let (target, exclude, members) = match pattern {
            Some(p) => (Some(&p.target), p.exclude.clone(), p.members.clone()),
            None => (target, Vec::new(), vec![w]),
        };
        let Some(target) = target else {
            skipped.push(skip("its Actor or task was not found".to_owned()));
            continue;
        };
        let events = match event_types(w, target.kind) {
            Ok(events) => events,
            Err(why) => {
                skipped.extend(skip_all(&members, account, &why));
                continue;
            }
        };
        candidates.push(Candidate {
            webhook: w,
            target,
            exclude,
            members,
            owned_key,
            human: human.filter(|h| !h.is_empty()),
            events,
            recorded,
        });
    }
    let mut names = HashSet::new();
    let mut warnings = Vec::new();
    let mut by_target: BTreeMap<(TargetKind, &str), Vec<Entry>> = BTreeMap::new();
    let mut unmanaged_kept: Vec<(&Webhook, &TargetName, Entry)> = Vec::new();
    for c in candidates {
        let key = match c.owned_key {
            Some(key) => key.to_owned(),
            None => unique_key(&generated_key(&c.target.name, &c.events), &mut taken),
        };
        let kept = entry(&c, key, options.include_secrets, &mut names)
            .and_then(|entry| validated(entry, c.target, &options.owner));
        match kept {
            Ok(entry) => {
                if !options.include_secrets
                    && let Some(payload) = entry.payload_template.as_deref()
                {
                    for field in credential_fields(payload) {
                        warnings.push(Warning {
                            id: c.webhook.id.clone(),
                            key: entry.key.clone(),
                            message: format!(
                                "its payloadTemplate holds a literal under `{field}` that looks like a credential; it is written to the file as it is: move it to a `${{NAME}}` reference before committing"
                            ),
                        });
                    }
                }
                if c.owned_key.is_none() {
                    unmanaged_kept.push((c.webhook, c.target, entry.clone()));
                }
                by_target
                    .entry((c.target.kind, c.target.name.as_str()))
                    .or_default()
                    .push(entry);
            }
            Err(why) => {
                let why = match c.owned_key {
                    Some(key) => owned_reason(&why, key),
                    None => why,
                };
                skipped.extend(skip_all(&c.members, account, &why));
            }
        }
    }
    let targets: Vec<(TargetKind, &str)> = by_target.keys().copied().collect();
    let paths = file_paths(&targets);
    let mut files: Vec<ExportFile> = by_target
        .into_iter()
        .zip(paths)
        .map(|(((kind, name), mut entries), path)| {
            entries.sort_by(|a, b| a.key.cmp(&b.key));
            ExportFile {
                kind,
                target: name.to_owned(),
                path,
                entries,
            }
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    skipped.sort_by(|a, b| {
        let name = |s: &Skipped| s.target.as_ref().map(|t| (t.name.clone(), t.kind));
        (name(a), &a.id).cmp(&(name(b), &b.id))
    });
    let mut variables: Vec<Variable> = files
        .iter()
        .flat_map(|f| &f.entries)
        .flat_map(|e| e.variables.iter().cloned())
        .collect();
    variables.sort_by(|a, b| a.name.cmp(&b.name));
    warnings.sort_by(|a, b| (&a.key, &a.id).cmp(&(&b.key, &b.id)));
    let suggestions = suggestions(account, &unmanaged_kept, &mut taken, &options.owner);
    Export {
        files,
        skipped,
        variables,
        warnings,
        suggestions,
    }
}

/// What a webhook is apart from its target, for grouping.
fn content_but_target(w: &Webhook) -> Value {
    let mut c = crate::plan::identity::of_live(w);
    c["actorId"] = Value::Null;
    c["actorTaskId"] = Value::Null;
    c
}

/// The pattern entries that could replace exported unmanaged entries (`kept`) the same apart
/// from their target, on [`SUGGEST_PATTERN_FROM`] or more own targets of one kind.
fn suggestions(
    account: &Account,
    kept: &[(&Webhook, &TargetName, Entry)],
    taken: &mut HashSet<String>,
    owner: &str,
) -> Vec<Suggestion> {
    let Some(listed) = &account.targets else {
        return Vec::new();
    };
    let mut groups: Vec<(TargetKind, Value, Vec<usize>)> = Vec::new();
    for (i, (w, target, _)) in kept.iter().enumerate() {
        let content = content_but_target(w);
        let on = |j: &usize| kept[*j].0.condition().target() == w.condition().target();
        match groups
            .iter_mut()
            .find(|(k, c, _)| *k == target.kind && *c == content)
        {
            // One per target: a second one there stays an entry of its own.
            Some((_, _, members)) if members.iter().any(on) => {}
            Some((_, _, members)) => members.push(i),
            None => groups.push((target.kind, content, vec![i])),
        }
    }
    let mut out = Vec::new();
    for (kind, _, members) in groups {
        if members.len() < SUGGEST_PATTERN_FROM {
            continue;
        }
        let webhooks: Vec<&Webhook> = members.iter().map(|i| kept[*i].0).collect();
        let Ok((pattern, exclude)) =
            pattern_for(account, listed, kind, &webhooks, &|why| why.to_owned())
        else {
            continue;
        };
        let first = &kept[members[0]].2;
        let every = match kind {
            TargetKind::Actor => "every-actor",
            TargetKind::Task => "every-task",
        };
        let mut replaces: Vec<(String, String)> = members
            .iter()
            .map(|i| (kept[*i].2.key.clone(), kept[*i].1.name.clone()))
            .collect();
        replaces.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        let mut previous_keys: Vec<String> = replaces.iter().map(|(k, _)| k.clone()).collect();
        previous_keys.sort();
        let entry = Entry {
            key: unique_key(&generated_key(every, &first.event_types), taken),
            adopt: None,
            exclude,
            previous_keys,
            webhook_ids: webhooks.iter().map(|w| w.id.clone()).collect(),
            ..first.clone()
        };
        let target = TargetName {
            kind,
            name: pattern,
        };
        let Ok(entry) = validated(entry, &target, owner) else {
            continue;
        };
        out.push(Suggestion {
            replaces,
            file: ExportFile {
                kind,
                target: target.name,
                path: PathBuf::new(),
                entries: vec![entry],
            },
        });
    }
    out
}

/// Why this owner's webhook under `key` is not exported: `why`, and what that means.
fn owned_reason(why: &str, key: &str) -> String {
    format!(
        "{why}; it is this owner's (key `{key}`), so a plan of the exported files would destroy it: declare it by hand"
    )
}

/// Each of `members` as skipped for `why`, on its own target.
fn skip_all(members: &[&Webhook], account: &Account, why: &str) -> Vec<Skipped> {
    members
        .iter()
        .map(|w| Skipped {
            id: w.id.clone(),
            target: w
                .condition()
                .target()
                .and_then(|(_, id)| account.names.get(id))
                .cloned(),
            why: why.to_owned(),
        })
        .collect()
}

/// This owner's key on several targets (the webhooks of a pattern), exported as one pattern
/// entry that gives exactly those targets.
struct OwnedPattern<'w> {
    /// `username/*`, of the targets' kind.
    target: TargetName,
    /// The account's own targets of that kind the pattern matches that do not carry the key.
    exclude: Vec<String>,
    /// The webhooks it declares, one per target, oldest first.
    members: Vec<&'w Webhook>,
}

/// For each key of `owner` carried on several targets, the pattern entry that declares them
/// all, or why there is none. `webhooks` are oldest first; a second webhook of a key on one
/// target is not a member (`plan` reports it).
fn owned_patterns<'w>(
    account: &Account,
    webhooks: &[&'w Webhook],
    owner: &str,
) -> HashMap<&'w str, Result<OwnedPattern<'w>, String>> {
    let mut by_key: BTreeMap<&'w str, Vec<&'w Webhook>> = BTreeMap::new();
    for w in webhooks {
        if let Class::Owned { key } = classify(w, owner) {
            let on = |x: &Webhook| x.condition().target().map(|(_, id)| id.to_owned());
            let members = by_key.entry(key).or_default();
            if !members.iter().any(|m| on(m) == on(w)) {
                members.push(w);
            }
        }
    }
    by_key
        .into_iter()
        .filter(|(_, members)| members.len() > 1)
        .map(|(key, members)| (key, owned_pattern(account, key, members)))
        .collect()
}

/// The pattern entry for `members`, this owner's webhooks of `key` on as many targets.
fn owned_pattern<'w>(
    account: &Account,
    key: &str,
    members: Vec<&'w Webhook>,
) -> Result<OwnedPattern<'w>, String> {
    let n = members.len();
    let mut kinds = members.iter().filter_map(|w| w.condition().target());
    let kind = kinds.next().map_or(TargetKind::Actor, |(k, _)| k);
    if kinds.any(|(k, _)| k != kind) {
        return Err(format!(
            "its key `{key}` is on Actors and tasks both, and a pattern declares one kind"
        ));
    }
    let what = match kind {
        TargetKind::Actor => "Actors",
        TargetKind::Task => "tasks",
    };
    let first = content_but_target(members[0]);
    if members[1..].iter().any(|w| content_but_target(w) != first) {
        return Err(format!(
            "its key `{key}` is on {n} {what} whose webhooks differ in more than their target, so no one pattern entry declares them"
        ));
    }
    let Some(listed) = &account.targets else {
        return Err(format!(
            "its key `{key}` is on {n} {what}, and the account's {what} could not be listed to write the pattern that declares them"
        ));
    };
    let (pattern, exclude) = pattern_for(account, listed, kind, &members, &|why| {
        format!("its key `{key}` is on {n} {what}, and {why}")
    })?;
    Ok(OwnedPattern {
        target: TargetName {
            kind,
            name: pattern,
        },
        exclude,
        members,
    })
}

/// The pattern `username/*` and its `exclude:` items that give exactly the targets of
/// `members` (one webhook each, of `kind`) among the account's own, as `plan` expands it; or
/// why there is none (`err` words it).
fn pattern_for(
    account: &Account,
    listed: &[LiveTarget],
    kind: TargetKind,
    members: &[&Webhook],
    err: &dyn Fn(&str) -> String,
) -> Result<(String, Vec<String>), String> {
    let what = match kind {
        TargetKind::Actor => "Actors",
        TargetKind::Task => "tasks",
    };
    let mut carried: Vec<&str> = Vec::new();
    let mut user: Option<&str> = None;
    for w in members {
        let Some((_, id)) = w.condition().target() else {
            return Err("it is attached to no Actor or task".to_owned());
        };
        let Some(name) = account.names.get(id) else {
            return Err(err("one of them was not found"));
        };
        let Some((username, _)) = name.name.split_once('/') else {
            return Err(err(&format!("`{}` has no username/name", name.name)));
        };
        if user.is_some_and(|u| u != username) {
            return Err(err(
                "they belong to several users, and a pattern matches one user's",
            ));
        }
        user = Some(username);
        carried.push(id);
    }
    let pattern = format!("{}/*", user.unwrap_or_default());
    let plain = |name: &str| {
        name.split_once('/').is_some_and(|(u, n)| {
            [u, n].iter().all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            })
        })
    };
    let mut exclude: Vec<String> = Vec::new();
    for t in listed {
        if t.own
            && t.kind == kind
            && crate::webhook::pattern_matches(&pattern, &t.name)
            && !carried.contains(&t.id.as_str())
        {
            let item = if plain(&t.name) {
                t.name.clone()
            } else {
                t.id.clone()
            };
            if !exclude.contains(&item) {
                exclude.push(item);
            }
        }
    }
    exclude.sort();
    // What `plan` will make of it: exactly the targets that carry the key, or no pattern.
    let rule = PatternRule {
        key: String::new(),
        kind,
        pattern: pattern.clone(),
        exclude: exclude.clone(),
    };
    let matched: HashSet<String> = expand::expand(&[rule], listed)
        .into_iter()
        .flat_map(|m| m.matched.into_iter().map(|t| t.id))
        .collect();
    if let Some(missing) = carried.iter().find(|id| !matched.contains(**id)) {
        let name = account
            .names
            .get(*missing)
            .map_or(*missing, |t| t.name.as_str());
        return Err(err(&format!(
            "`{pattern}` cannot give them all: `{name}` is not one of the account's own {what}"
        )));
    }
    if matched.len() != carried.len() {
        return Err(err(&format!(
            "no `exclude` makes `{pattern}` give exactly those"
        )));
    }
    Ok((pattern, exclude))
}

/// `entry` if, written as a document of its own for `target` and `owner`, it loads back through
/// the manifest validation without an error; else the first error, as the reason to skip it.
fn validated(entry: Entry, target: &TargetName, owner: &str) -> Result<Entry, String> {
    let file = ExportFile {
        kind: target.kind,
        target: target.name.clone(),
        path: PathBuf::from("export.yaml"),
        entries: vec![entry],
    };
    let text = document::manifest(&file, owner, &[], "manifest.schema.json");
    let source = Arc::new(SourceFile::new("export.yaml", text));
    let loaded = crate::manifest::load_source(&source);
    if let Some(error) = loaded
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
    {
        return Err(format!(
            "a manifest cannot declare it: {}",
            error.message.trim_end_matches('.')
        ));
    }
    let [entry] = <[Entry; 1]>::try_from(file.entries).unwrap_or_else(|_| unreachable!());
    Ok(entry)
}

/// Names in a JSON payload template under which a literal string looks like a credential: by
/// the name (`token`, `password`, ...) or by the value itself (a token, `Bearer ...`).
fn credential_fields(payload: &str) -> Vec<String> {
    fn literal(s: &str) -> bool {
        !s.is_empty() && !s.starts_with('\u{1}') && !s.contains("{{") && !s.contains("${")
    }
    fn walk(value: &Value, under: Option<&str>, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (name, v) in map {
                    walk(v, Some(name), out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, under, out)),
            Value::String(s) => {
                if let Some(name) = under
                    && literal(s)
                    && (looks_like_credential_name(name) || looks_like_credential_value(s))
                    && !out.iter().any(|n| n == name)
                {
                    out.push(name.to_owned());
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(value) = normalize::as_json(payload) {
        walk(&value, None, &mut out);
    }
    out
}

/// Whether a literal looks like a credential whatever its name: an HTTP authorization value,
/// or one word that looks like a token.
fn looks_like_credential_value(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    ["bearer ", "basic ", "token "]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
        || looks_like_token(value)
}

/// Whether a field name says its value is a credential (`token`, `apiKey`, `password`, ...).
fn looks_like_credential_name(name: &str) -> bool {
    let lower: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    lower == "auth"
        || [
            "token",
            "secret",
            "password",
            "passwd",
            "apikey",
            "authorization",
            "credential",
            "privatekey",
            "signature",
            "accesskey",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

/// Why an out-of-scope webhook cannot be managed.
fn out_of_scope_reason(w: &Webhook) -> String {
    let c = w.condition();
    if w.is_ad_hoc == Some(true) {
        "ad-hoc (made for one run)".to_owned()
    } else if c.actor_run_id.as_deref().is_some_and(|r| !r.is_empty()) {
        "run-scoped (fires for one run only)".to_owned()
    } else if w.is_apify_integration == Some(true) {
        "an Apify integration (managed by the integration)".to_owned()
    } else if let Some(a) = w.action_type.as_deref().filter(|a| *a != "HTTP_REQUEST") {
        format!("not an HTTP webhook (action `{a}`)")
    } else if w.request_url.as_deref().is_none_or(str::is_empty) {
        "it has no request URL".to_owned()
    } else {
        "it is attached to no Actor or task".to_owned()
    }
}

/// The declarable event types of `w`, or why they cannot be declared on `kind`.
fn event_types(w: &Webhook, kind: TargetKind) -> Result<Vec<EventType>, String> {
    let mut out = Vec::new();
    for name in w.event_types.as_deref().unwrap_or_default() {
        let Ok(event) = name.parse::<EventType>() else {
            return Err(format!("event type `{name}` cannot be declared"));
        };
        if kind == TargetKind::Task && event.is_build() {
            return Err(format!("build event `{name}` on a task cannot be declared"));
        }
        if !out.contains(&event) {
            out.push(event);
        }
    }
    if out.is_empty() {
        return Err("it has no event types".to_owned());
    }
    out.sort_by_key(|e| EventType::ALL.iter().position(|a| a == e));
    Ok(out)
}

/// The longest file or folder name export writes, in bytes (file systems allow 255; the rest
/// is room for `.yaml` and for tools that add a suffix).
const MAX_FILE_PART: usize = 100;

/// The file of each target, in the same order: `actors/<username>/<name>.yaml` or
/// `tasks/<username>/<name>.yaml` (`_all.yaml` for the pattern `username/*`), one per target
/// whatever the names. A part that is not a
/// plain file name (other characters than `A-Z a-z 0-9 . _ -`, a leading `.`, longer than
/// [`MAX_FILE_PART`]) is cleaned, shortened and given a short hash of the exact name, so it is
/// stable from run to run; targets whose paths would still be the same on a file system that
/// ignores case all get that hash.
fn file_paths(targets: &[(TargetKind, &str)]) -> Vec<PathBuf> {
    let path = |kind: TargetKind, name: &str, hashed: bool| {
        let folder = match kind {
            TargetKind::Actor => "actors",
            TargetKind::Task => "tasks",
        };
        let (user, short) = name.split_once('/').unwrap_or(("", name));
        // The pattern entries of `username/*` (no Actor or task name starts with `_`).
        let short = if short == "*" { "_all" } else { short };
        let mut path = PathBuf::from(folder);
        path.push(file_part(user, user, false));
        path.push(format!("{}.yaml", file_part(short, name, hashed)));
        path
    };
    let folded = |p: &PathBuf| p.to_string_lossy().to_lowercase();
    let mut paths: Vec<PathBuf> = targets
        .iter()
        .map(|(kind, name)| path(*kind, name, false))
        .collect();
    let mut count: HashMap<String, usize> = HashMap::new();
    for p in &paths {
        *count.entry(folded(p)).or_default() += 1;
    }
    for (p, (kind, name)) in paths.iter_mut().zip(targets) {
        if count[&folded(p)] > 1 {
            *p = path(*kind, name, true);
        }
    }
    // Two different names with the same hash: never expected, but never one file either.
    let mut seen: HashSet<String> = HashSet::new();
    for p in &mut paths {
        let base = p.clone();
        let mut n = 2;
        while !seen.insert(folded(p)) {
            *p = base.with_extension(format!("{n}.yaml"));
            n += 1;
        }
    }
    paths
}

/// `part` as a file or folder name: as it is when it is a plain name, else cleaned (characters
/// other than `A-Z a-z 0-9 . _ -` as `_`), shortened and followed by `-` and a short hash of
/// `whole`; the hash too when `hashed`.
fn file_part(part: &str, whole: &str, hashed: bool) -> String {
    let plain = !part.is_empty()
        && !part.starts_with('.')
        && part.len() <= MAX_FILE_PART
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if plain && !hashed {
        return part.to_owned();
    }
    let cleaned: String = part
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(MAX_FILE_PART - 9)
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    let digest = Sha256::digest(whole.as_bytes());
    let hash = digest.iter().take(4).fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    });
    if cleaned.is_empty() {
        format!("_-{hash}")
    } else {
        format!("{cleaned}-{hash}")
    }
}

/// The readable key of a webhook: the target's name and the events, e.g. `web-scraper-failed`
/// or `daily-crawl-succeeded-failed`.
pub fn generated_key(target: &str, events: &[EventType]) -> String {
    let name = target.rsplit('/').next().unwrap_or(target);
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    let what = if events.len() > 3 {
        format!("{}-events", events.len())
    } else {
        events
            .iter()
            .map(|e| {
                let short = e
                    .as_str()
                    .rsplit('.')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let short = short.replace('_', "-");
                if e.is_build() {
                    format!("build-{short}")
                } else {
                    short
                }
            })
            .collect::<Vec<_>>()
            .join("-")
    };
    format!("{name}-{what}")
}

/// `base`, or `base-2`, `base-3`, ... whichever is not taken yet; marks it taken.
fn unique_key(base: &str, taken: &mut HashSet<String>) -> String {
    let mut key = base.to_owned();
    let mut n = 2;
    while taken.contains(&key) {
        key = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(key.clone());
    key
}

/// The variables of one entry, named uniquely across the whole export.
struct Variables<'n> {
    names: &'n mut HashSet<String>,
    all: Vec<Variable>,
}

impl Variables<'_> {
    /// A reference `${NAME}` to a new variable named after `key` and `part`, holding `value`.
    fn reference(&mut self, key: &str, part: &str, value: &str) -> String {
        let base = env_name(&format!("{key}_{part}"));
        let mut name = base.clone();
        let mut n = 2;
        while self.names.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.names.insert(name.clone());
        self.all.push(Variable {
            name: name.clone(),
            value: value.to_owned(),
        });
        format!("${{{name}}}")
    }
}

/// `text` as an environment variable name: upper case, other characters as `_`, runs of `_`
/// collapsed, never starting with a digit.
fn env_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        };
        if c == '_' && (out.is_empty() || out.ends_with('_')) {
            continue;
        }
        out.push(c);
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("W_{out}")
    } else {
        out
    }
}

/// Text that is not interpolated: every `${` written as `$${`.
fn escape(text: &str) -> String {
    text.replace("${", "$${")
}

/// The entry for a candidate; or why it cannot be exported without writing a secret.
fn entry(
    c: &Candidate<'_>,
    key: String,
    include_secrets: bool,
    names: &mut HashSet<String>,
) -> Result<Entry, String> {
    // Names are only taken for an entry that is kept.
    let mut scratch = names.clone();
    let mut vars = Variables {
        names: &mut scratch,
        all: Vec::new(),
    };
    let w = c.webhook;
    let url = w.request_url.clone().unwrap_or_default();
    let request_url = if include_secrets {
        escape(&url)
    } else if c.recorded.request_url {
        // A recorded secret may sit anywhere in the URL: the URL is the secret.
        vars.reference(&key, "REQUEST_URL", &url)
    } else {
        url_with_references(&url, &key, &mut vars)
    };
    let payload = normalize::text(w.payload_template.as_deref());
    if payload.is_some() && c.recorded.payload_template && !include_secrets {
        return Err(
            "its payloadTemplate holds a secret the tool cannot locate: write it by hand, or export with --include-secrets"
                .to_owned(),
        );
    }
    if let Some(p) = payload
        && let Err(e) =
            crate::template::check_payload(p, c.webhook.should_interpolate_strings == Some(true))
    {
        return Err(format!(
            "its payloadTemplate cannot be declared in a manifest: {e}"
        ));
    }
    if let Some(h) = normalize::text(w.headers_template.as_deref())
        && let Err(e) = crate::template::check_headers(h)
    {
        return Err(format!(
            "its headersTemplate cannot be declared in a manifest: {e}"
        ));
    }
    if let Err(why) = crate::manifest::check_url(&url) {
        return Err(format!(
            "its requestUrl cannot be declared in a manifest: {why}"
        ));
    }
    let payload_template = payload.map(|p| escape(&format_json_template(p)));
    let headers_template = match normalize::text(w.headers_template.as_deref()) {
        None => None,
        Some(text) => match header_pairs(text) {
            Some(pairs) => Some(Headers::Mapping(
                pairs
                    .into_iter()
                    .map(|(name, value)| {
                        let value = if include_secrets {
                            escape(&value)
                        } else {
                            vars.reference(&key, &name, &value)
                        };
                        (name, value)
                    })
                    .collect(),
            )),
            None if include_secrets => Some(Headers::Text(escape(text))),
            None => {
                return Err(
                    "its headersTemplate is not a JSON object of strings, so its values cannot become variables: write it by hand, or export with --include-secrets"
                        .to_owned(),
                );
            }
        },
    };
    if vars.all.iter().any(|v| v.value.contains('\0')) {
        return Err(
            "a secret value holds a NUL character, which no environment variable can carry: write it by hand, or export with --include-secrets"
                .to_owned(),
        );
    }
    let variables = vars.all;
    *names = scratch;
    Ok(Entry {
        key,
        variables,
        adopt: c.owned_key.is_none().then(|| w.id.clone()),
        exclude: c.exclude.clone(),
        previous_keys: Vec::new(),
        webhook_ids: c.members.iter().map(|m| m.id.clone()).collect(),
        event_types: c.events.clone(),
        request_url,
        payload_template,
        headers_template,
        description: c.human.clone(),
        ignore_ssl_errors: w.ignore_ssl_errors == Some(true),
        do_not_retry: w.do_not_retry == Some(true),
        should_interpolate_strings: w.should_interpolate_strings == Some(true),
    })
}

/// The header names and values of a headers template that is a JSON object of strings.
fn header_pairs(text: &str) -> Option<Vec<(String, String)>> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    map.into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Some((k, s)),
            _ => None,
        })
        .collect()
}

/// `url` with its secrets replaced by references: the userinfo, every query value and bare
/// query part, the fragment, and the path when it is the credential ([`secret_path`]); `${`
/// escaped elsewhere.
fn url_with_references(url: &str, key: &str, vars: &mut Variables<'_>) -> String {
    let (before_fragment, fragment) = match url.find('#') {
        Some(i) => (&url[..i], Some(&url[i + 1..])),
        None => (url, None),
    };
    let (before_query, query) = match before_fragment.find('?') {
        Some(i) => (&before_fragment[..i], Some(&before_fragment[i + 1..])),
        None => (before_fragment, None),
    };
    let mut out = String::new();
    // The userinfo: between `://` and the last `@` of the authority.
    match before_query.find("://") {
        Some(s) => {
            let authority_start = s + 3;
            let rest = &before_query[authority_start..];
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let authority = &rest[..authority_end];
            out.push_str(&escape(&before_query[..authority_start]));
            let host = match authority.rfind('@') {
                Some(at) if at > 0 => {
                    out.push_str(&vars.reference(key, "URL_USERINFO", &authority[..at]));
                    out.push_str(&escape(&authority[at..]));
                    &authority[at + 1..]
                }
                _ => {
                    out.push_str(&escape(authority));
                    authority
                }
            };
            out.push_str(&path_with_references(
                host,
                &rest[authority_end..],
                key,
                vars,
            ));
        }
        None => out.push_str(&escape(before_query)),
    }
    if let Some(query) = query {
        out.push('?');
        let parts: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) if !value.is_empty() => {
                    format!("{}={}", escape(name), vars.reference(key, name, value))
                }
                Some(_) => escape(pair),
                // A bare `?SECRET`: the part may be the credential itself.
                None if !pair.is_empty() => vars.reference(key, "QUERY", pair),
                None => String::new(),
            })
            .collect();
        out.push_str(&parts.join("&"));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        if !fragment.is_empty() {
            out.push_str(&vars.reference(key, "URL_FRAGMENT", fragment));
        }
    }
    out
}

/// The path of a URL on `host` (`/...`, or empty), with the credential in it as references:
/// the whole path after the first `/` for services whose webhook URL is itself the credential,
/// else each segment that looks like a token.
fn path_with_references(host: &str, path: &str, key: &str, vars: &mut Variables<'_>) -> String {
    let Some(after_slash) = path.strip_prefix('/') else {
        return escape(path);
    };
    if secret_path(host, after_slash) {
        return format!("/{}", vars.reference(key, "URL_PATH", after_slash));
    }
    let segments: Vec<String> = after_slash
        .split('/')
        .map(|segment| {
            if looks_like_token(segment) {
                vars.reference(key, "URL_PATH", segment)
            } else {
                escape(segment)
            }
        })
        .collect();
    format!("/{}", segments.join("/"))
}

/// Whether a URL on `host` with `path` (after the first `/`) is a credential as a whole: Slack,
/// Discord, Microsoft Teams, Zapier, Make and Telegram bot webhook URLs.
fn secret_path(host: &str, path: &str) -> bool {
    let host = host
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let under = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    let path_lower = path.to_ascii_lowercase();
    !path.is_empty()
        && (host == "hooks.slack.com"
            || ((under("discord.com") || under("discordapp.com"))
                && path_lower.starts_with("api/"))
            || under("webhook.office.com")
            || ((host == "outlook.office.com" || host == "outlook.office365.com")
                && path_lower.starts_with("webhook"))
            || host == "hooks.zapier.com"
            || (under("make.com") && host.starts_with("hook."))
            || (under("integromat.com") && host.starts_with("hook."))
            || (host == "api.telegram.org" && path_lower.starts_with("bot")))
}

/// Whether a path segment looks like a token rather than a word: long, of token characters
/// only, with letters and digits mixed, or with letters whose case changes as randomly as a
/// token's (`xKpQzRmW...`), not as words written together (`GetUserProfile`).
fn looks_like_token(segment: &str) -> bool {
    let letters = segment.chars().filter(char::is_ascii_alphabetic).count();
    let digits = segment.chars().filter(char::is_ascii_digit).count();
    let token_chars = segment
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.~%+=:".contains(c));
    if !token_chars || segment.len() < 16 || letters < 2 {
        return false;
    }
    if digits >= 2 {
        return true;
    }
    let upper = segment.chars().filter(char::is_ascii_uppercase).count();
    let bytes = segment.as_bytes();
    let letter_pairs = bytes
        .windows(2)
        .filter(|p| p[0].is_ascii_alphabetic() && p[1].is_ascii_alphabetic());
    let (pairs, case_changes) = letter_pairs.fold((0, 0), |(n, changes), p| {
        let changed = p[0].is_ascii_uppercase() != p[1].is_ascii_uppercase();
        (n + 1, changes + usize::from(changed))
    });
    segment.len() >= 20
        && upper * 4 >= letters
        && upper * 4 <= letters * 3
        && case_changes * 20 >= pairs * 7
}

/// A payload template as people write it: JSON (placeholders allowed outside strings) laid
/// out with two-space indentation and a final newline; any other text as it is.
pub fn format_json_template(template: &str) -> String {
    let Some(before) = normalize::as_json(template) else {
        return template.to_owned();
    };
    let formatted = layout(template);
    if normalize::as_json(&formatted).as_ref() == Some(&before) {
        formatted
    } else {
        template.to_owned()
    }
}

/// Lays out JSON text token by token: strings and `{{placeholders}}` copied as they are,
/// whitespace outside them replaced by a canonical layout.
fn layout(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth: usize = 0;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' => {
                out.push(c);
                i += 1;
                while i < chars.len() {
                    out.push(chars[i]);
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        out.push(chars[i + 1]);
                        i += 2;
                        continue;
                    }
                    i += 1;
                    if chars[i - 1] == '"' {
                        break;
                    }
                }
                continue;
            }
            '{' if chars.get(i + 1) == Some(&'{') => {
                while i < chars.len() {
                    out.push(chars[i]);
                    if chars[i] == '}' && chars.get(i + 1) == Some(&'}') {
                        out.push('}');
                        i += 2;
                        break;
                    }
                    i += 1;
                }
                continue;
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
                out.push(c);
                if next == Some(&close) {
                    // An empty object or array stays on one line.
                    let skip = chars[i + 1..].iter().position(|x| *x == close).unwrap_or(0);
                    out.push(close);
                    i += skip + 2;
                    continue;
                }
                depth += 1;
                newline(&mut out, depth);
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
        i += 1;
    }
    out.push('\n');
    out
}

pub mod document;

#[cfg(test)]
mod tests;
