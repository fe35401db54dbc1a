//! Saved plans (`plan --out FILE`, `apply --plan FILE`): what was reviewed, in a form that can be
//! checked against a fresh plan before anything is applied. A saved plan holds no secret: values
//! from the environment, request bodies and live contents appear only as hashes salted with a
//! random value stored in the file, so they can be compared but not looked up.
//!
//! Applying a saved plan recomputes the plan from the same manifests and the live state of the
//! moment, then [`SavedPlan::staleness`] compares the two: a different manifest digest, owner,
//! secret, live webhook (`modifiedAt` or content) or operation makes the saved plan stale.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Action, Change, Field, Plan, PlanOptions, Request, Target};

/// The version of the saved-plan format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// A plan saved for review and later application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The apify-webhooks version that made it.
    pub tool_version: String,
    /// The digest of the manifests (paths and contents) the plan was made from.
    pub manifest_digest: String,
    /// The owner.
    pub owner: String,
    /// Where the plan was made: the API base URL, or `local` for the embedded emulator.
    pub api: String,
    /// The ID of the account (user) the plan was made for.
    pub account: String,
    /// The manifest paths the plan was made from, as given (`apply --plan` reads them again).
    pub paths: Vec<String>,
    /// `--force` and `--no-delete` as given.
    pub force: bool,
    /// See `force`.
    pub no_delete: bool,
    /// Random salt for every hash below (hex).
    pub salt: String,
    /// Salted hashes of the values read from the environment, sorted.
    pub secret_hashes: Vec<String>,
    /// The operations, in plan order.
    pub operations: Vec<SavedOperation>,
    /// What each pattern matched when planned, by key: `apply --plan` refuses when the
    /// account's Actors or tasks changed it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<SavedPattern>,
}

/// What one pattern matched when the plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPattern {
    /// The key of its webhooks.
    pub key: String,
    /// The pattern as written.
    pub pattern: String,
    /// The IDs of the targets it matched (its `exclude` left out), sorted. IDs, not names: an
    /// Actor renamed on the platform keeps its webhook, so a rename does not make a plan stale.
    pub matched: Vec<String>,
}

/// One operation of a saved plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedOperation {
    /// What happens.
    pub action: Action,
    /// The webhook's key.
    pub key: String,
    /// The target.
    pub target: Target,
    /// The live webhook, for anything but a create.
    pub webhook_id: Option<String>,
    /// The fields that change.
    pub fields: Vec<Field>,
    /// Salted hash of the request that carries it out.
    pub request_hash: String,
    /// The live webhook's `modifiedAt` when planned.
    pub live_modified_at: Option<String>,
    /// Salted hash of the live webhook's content when planned.
    pub live_content_hash: Option<String>,
    /// Salted hashes of each field of the live webhook's content when planned, by the field's
    /// API name: what names the fields that changed since (empty in files written before it).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub live_field_hashes: BTreeMap<String, String>,
}

/// Why a saved plan cannot be applied as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Staleness {
    /// The file is of another format version.
    Format(u32),
    /// The manifests changed.
    Manifests,
    /// The owner differs.
    Owner(String),
    /// The plan was made against another API or account.
    Target {
        /// Where the plan was made (API and account).
        saved: String,
        /// Where it would be applied now.
        now: String,
    },
    /// The plan was made against the local emulator and is applied against an API, or the
    /// other way round.
    Local {
        /// Whether the plan was made with `--local`.
        made_locally: bool,
    },
    /// A value from the environment changed.
    Secrets,
    /// A webhook the plan touches changed on the platform.
    WebhookMoved {
        /// Its key.
        key: String,
        /// Its ID.
        webhook_id: String,
        /// The API names of the fields that changed (empty when only `modifiedAt` tells, or
        /// the file predates per-field hashes).
        fields: Vec<String>,
    },
    /// What a pattern matches on the account changed (an Actor or task created, deleted or
    /// renamed into or out of it).
    PatternMatches {
        /// The key of its webhooks.
        key: String,
        /// The pattern.
        pattern: String,
    },
    /// A webhook the plan updates was deleted on the platform (planning now creates it).
    WebhookGone {
        /// Its key.
        key: String,
        /// Its ID.
        webhook_id: String,
    },
    /// An operation of the plan is done already: the live state has what it would make
    /// (the plan was applied, or the same change was made another way).
    AlreadyApplied {
        /// The webhook's key.
        key: String,
        /// Its ID; `None` for a create.
        webhook_id: Option<String>,
    },
    /// Planning now gives an operation the saved plan does not have: a webhook it did not
    /// touch changed on the platform.
    NewOperation {
        /// What planning now does.
        action: Action,
        /// The webhook's key.
        key: String,
        /// Its ID; `None` for a create.
        webhook_id: Option<String>,
        /// The API names of the fields the operation changes.
        fields: Vec<String>,
    },
    /// The plan computed now differs from the saved one in a way nothing above explains.
    Operations,
}

impl Staleness {
    /// Whether this reason only says the plan was applied already.
    pub fn is_already_applied(&self) -> bool {
        matches!(self, Staleness::AlreadyApplied { .. })
    }
}

impl fmt::Display for Staleness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Staleness::Format(v) => write!(
                f,
                "the file has format version {v}; this apify-webhooks reads {FORMAT_VERSION}"
            ),
            Staleness::Manifests => f.write_str("the manifests changed since the plan was saved"),
            Staleness::Owner(o) => write!(
                f,
                "the plan was saved for owner `{o}`: apply it with `--owner {o}`, or plan again for this owner"
            ),
            Staleness::Target { saved, now } => {
                write!(f, "the plan was made against {saved}, not {now}")
            }
            Staleness::Local { made_locally: true } => f.write_str(
                "the plan was made against the local emulator: apply it with `--local`",
            ),
            Staleness::Local {
                made_locally: false,
            } => f.write_str(
                "the plan was made against the Apify API, not the local emulator: apply it without `--local`",
            ),
            Staleness::Secrets => {
                f.write_str("a value read from the environment changed since the plan was saved")
            }
            Staleness::WebhookMoved {
                key,
                webhook_id,
                fields,
            } => {
                write!(
                    f,
                    "webhook {webhook_id} (`{key}`) changed on the platform since the plan was saved"
                )?;
                if !fields.is_empty() {
                    write!(f, ": {}", fields.join(", "))?;
                }
                Ok(())
            }
            Staleness::WebhookGone { key, webhook_id } => write!(
                f,
                "webhook {webhook_id} (`{key}`) was deleted on the platform since the plan was saved"
            ),
            Staleness::AlreadyApplied {
                key,
                webhook_id: Some(id),
            } => write!(f, "webhook {id} (`{key}`) already has this change: the plan was applied already"),
            Staleness::AlreadyApplied {
                key,
                webhook_id: None,
            } => write!(f, "`{key}` exists already: the plan was applied already"),
            Staleness::NewOperation {
                action,
                key,
                webhook_id,
                fields,
            } => {
                let fields = if fields.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", fields.join(", "))
                };
                match (action, webhook_id) {
                    (Action::Create, _) | (_, None) => write!(
                        f,
                        "`{key}` has no webhook on the platform any more: planning now creates it{fields}"
                    ),
                    (Action::Delete, Some(id)) => write!(
                        f,
                        "webhook {id} (`{key}`) appeared or changed on the platform since the plan was saved: planning now destroys it"
                    ),
                    (Action::Update | Action::Adopt, Some(id)) => write!(
                        f,
                        "webhook {id} (`{key}`) changed on the platform since the plan was saved: planning now also updates{fields}"
                    ),
                }
            }
            Staleness::PatternMatches { key, pattern } => write!(
                f,
                "the Actors or tasks that the pattern `{pattern}` (webhook.{key}) matches changed since the plan was saved"
            ),
            Staleness::Operations => {
                f.write_str("the live webhooks changed: planning now gives different operations")
            }
        }
    }
}

/// The fields whose hashes differ between two live fingerprints (a field present on one side
/// only included), by API name.
fn changed_fields(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<String> {
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    if before.is_empty() {
        // A file written before per-field hashes: nothing to compare.
        return Vec::new();
    }
    names
        .into_iter()
        .filter(|n| before.get(*n) != after.get(*n))
        .cloned()
        .collect()
}

fn salted(salt: &str, what: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0]);
    h.update(what);
    hex::encode(h.finalize())
}

fn request_bytes(change: &Change) -> Vec<u8> {
    let body = match &change.request {
        Request::Create(b) => serde_json::to_vec(b),
        Request::Update(u) => serde_json::to_vec(u),
        Request::Delete => Ok(Vec::new()),
    };
    body.unwrap_or_default()
}

/// Where a plan came from: what [`SavedPlan::new`] records beside the operations.
#[derive(Debug, Clone, Copy)]
pub struct Provenance<'a> {
    /// The options the plan was made with.
    pub options: PlanOptions,
    /// The API base URL, or `local` for the embedded emulator.
    pub api: &'a str,
    /// The ID of the account (user) behind the token.
    pub account: &'a str,
    /// The manifest paths, as given.
    pub paths: &'a [String],
    /// The digest of the manifests.
    pub manifest_digest: &'a str,
    /// Every value read from the environment (hashed, never stored).
    pub secrets: &'a [String],
    /// The salt of every hash (hex).
    pub salt: &'a str,
    /// The apify-webhooks version.
    pub tool_version: &'a str,
}

impl SavedPlan {
    /// The saved form of `plan`.
    pub fn new(plan: &Plan, from: &Provenance<'_>) -> Self {
        let Provenance {
            options,
            api,
            account,
            paths,
            manifest_digest,
            secrets,
            salt,
            tool_version,
        } = *from;
        let secret_hashes: BTreeSet<String> =
            secrets.iter().map(|s| salted(salt, s.as_bytes())).collect();
        SavedPlan {
            format_version: FORMAT_VERSION,
            tool_version: tool_version.to_owned(),
            manifest_digest: manifest_digest.to_owned(),
            owner: plan.owner.clone(),
            api: api.to_owned(),
            account: account.to_owned(),
            paths: paths.to_vec(),
            force: options.force,
            no_delete: options.no_delete,
            salt: salt.to_owned(),
            secret_hashes: secret_hashes.into_iter().collect(),
            operations: plan
                .changes
                .iter()
                .map(|c| SavedOperation {
                    action: c.action,
                    key: c.key.clone(),
                    target: c.target.clone(),
                    webhook_id: c.webhook_id.clone(),
                    fields: c.fields.iter().map(|f| f.field).collect(),
                    request_hash: salted(salt, &request_bytes(c)),
                    live_modified_at: c.live.as_ref().and_then(|l| l.modified_at.clone()),
                    live_content_hash: c
                        .live
                        .as_ref()
                        .map(|l| salted(salt, l.content_hash.as_bytes())),
                    live_field_hashes: c
                        .live
                        .as_ref()
                        .map(|l| {
                            l.field_hashes
                                .iter()
                                .map(|(f, h)| (f.clone(), salted(salt, h.as_bytes())))
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect(),
            patterns: plan
                .patterns
                .iter()
                .map(|m| {
                    let mut matched: Vec<String> = m.matched.iter().map(|t| t.id.clone()).collect();
                    matched.sort();
                    SavedPattern {
                        key: m.key.clone(),
                        pattern: m.pattern.clone(),
                        matched,
                    }
                })
                .collect(),
        }
    }

    /// The options the plan was made with.
    pub fn options(&self) -> PlanOptions {
        let mut key = [0u8; 16];
        if let Ok(bytes) = hex::decode(&self.salt) {
            let n = bytes.len().min(16);
            key[..n].copy_from_slice(&bytes[..n]);
        }
        PlanOptions {
            key,
            force: self.force,
            no_delete: self.no_delete,
        }
    }

    /// Why this saved plan does not match `now`, the same plan computed again from the current
    /// manifests and live state (made with [`SavedPlan::new`] and this plan's salt). Empty when
    /// it may be applied.
    pub fn staleness(&self, now: &SavedPlan) -> Vec<Staleness> {
        let mut out = Vec::new();
        if self.format_version != FORMAT_VERSION {
            return vec![Staleness::Format(self.format_version)];
        }
        if (self.api.as_str(), self.account.as_str()) != (now.api.as_str(), now.account.as_str()) {
            // Nothing else is comparable across accounts.
            return vec![Staleness::Target {
                saved: format!("{} (account {})", self.api, self.account),
                now: format!("{} (account {})", now.api, now.account),
            }];
        }
        let manifests_changed = self.manifest_digest != now.manifest_digest;
        if manifests_changed {
            out.push(Staleness::Manifests);
        }
        if self.owner != now.owner {
            out.push(Staleness::Owner(self.owner.clone()));
        }
        if self.secret_hashes != now.secret_hashes {
            out.push(Staleness::Secrets);
        }
        if !manifests_changed {
            for saved in &self.patterns {
                let current = now.patterns.iter().find(|p| p.key == saved.key);
                if current.is_none_or(|c| c.matched != saved.matched) {
                    out.push(Staleness::PatternMatches {
                        key: saved.key.clone(),
                        pattern: saved.pattern.clone(),
                    });
                }
            }
        }
        // The same operation in both plans: the same webhook, or for a create the same key on
        // the same target (a pattern's key is created once per target).
        let same = |a: &SavedOperation, b: &SavedOperation| match (&a.webhook_id, &b.webhook_id) {
            (Some(x), Some(y)) => x == y,
            (None, None) => a.key == b.key && a.action == b.action && a.target.id == b.target.id,
            _ => false,
        };
        for op in &self.operations {
            let current = now.operations.iter().find(|o| same(op, o));
            match (current, &op.webhook_id) {
                (Some(c), Some(id)) => {
                    if c.live_modified_at != op.live_modified_at
                        || c.live_content_hash != op.live_content_hash
                    {
                        out.push(Staleness::WebhookMoved {
                            key: op.key.clone(),
                            webhook_id: id.clone(),
                            fields: changed_fields(&op.live_field_hashes, &c.live_field_hashes),
                        });
                    }
                }
                (Some(_), None) => {}
                // Not needed any more. With other manifests that may be theirs to explain.
                (None, _) if manifests_changed => {}
                (None, Some(id)) => {
                    // Its key is created now: the webhook is gone.
                    let recreated = now.operations.iter().any(|o| {
                        o.action == Action::Create && o.key == op.key && o.target.id == op.target.id
                    });
                    out.push(if recreated && op.action != Action::Delete {
                        Staleness::WebhookGone {
                            key: op.key.clone(),
                            webhook_id: id.clone(),
                        }
                    } else {
                        Staleness::AlreadyApplied {
                            key: op.key.clone(),
                            webhook_id: Some(id.clone()),
                        }
                    });
                }
                (None, None) => out.push(Staleness::AlreadyApplied {
                    key: op.key.clone(),
                    webhook_id: None,
                }),
            }
        }
        // Operations planning gives now that the saved plan did not have: with the same
        // manifests, a webhook changed on the platform (edited, deleted, or added).
        if !manifests_changed {
            for op in &now.operations {
                let explained = self.operations.iter().any(|o| same(o, op))
                    || out.iter().any(|r| match r {
                        Staleness::WebhookGone { key, .. } => {
                            *key == op.key && op.action == Action::Create
                        }
                        _ => false,
                    });
                if !explained {
                    out.push(Staleness::NewOperation {
                        action: op.action,
                        key: op.key.clone(),
                        webhook_id: op.webhook_id.clone(),
                        fields: op.fields.iter().map(|f| f.name().to_owned()).collect(),
                    });
                }
            }
        }
        // Other operations with nothing above to explain them.
        if out.is_empty() && self.operations != now.operations {
            out.push(Staleness::Operations);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{actor, apply_model, desired, live_of};
    use super::super::{DesiredSpec, LiveState, plan};
    use super::*;

    fn saved(p: &Plan, digest: &str, secrets: &[String]) -> SavedPlan {
        SavedPlan::new(
            p,
            &Provenance {
                options: PlanOptions::default(),
                api: "local",
                account: "U1",
                paths: &[],
                manifest_digest: digest,
                secrets,
                salt: "salt",
                tool_version: "0.0.0",
            },
        )
    }

    #[test]
    fn a_plan_for_another_api_or_account_is_stale_whatever_else_matches() {
        let p = plan(
            &[desired("k", actor("A1"))],
            &LiveState::default(),
            "me",
            PlanOptions::default(),
        );
        let s = saved(&p, "sha256:x", &[]);
        let mut elsewhere = s.clone();
        elsewhere.api = "https://api.apify.com".into();
        assert!(matches!(
            s.staleness(&elsewhere)[..],
            [Staleness::Target { .. }]
        ));
        let mut other_account = s.clone();
        other_account.account = "U2".into();
        assert!(matches!(
            s.staleness(&other_account)[..],
            [Staleness::Target { .. }]
        ));
    }

    #[test]
    fn a_plan_matches_itself_and_holds_no_secret() {
        let mut d = desired("k", actor("A1"));
        d.request_url.value = "https://h.example.com/?token=hunter2-secret".into();
        d.request_url.from_env = true;
        let p = plan(&[d], &LiveState::default(), "me", PlanOptions::default());
        let s = saved(&p, "sha256:x", &["hunter2-secret".to_owned()]);
        assert!(s.staleness(&s.clone()).is_empty());
        let text = serde_json::to_string(&s).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn a_manifest_edit_alone_is_the_only_reason_given() {
        // Live: `k` with description "zero". Planned to "one"; then the manifest says "zero".
        let mut live_spec = desired("k", actor("A1"));
        live_spec.description = Some("zero".into());
        let live = LiveState {
            webhooks: vec![live_of("W1", &live_spec, "me")],
            ..LiveState::default()
        };
        let mut before = live_spec.clone();
        before.description = Some("one".into());
        let p = plan(&[before], &live, "me", PlanOptions::default());
        let q = plan(&[live_spec], &live, "me", PlanOptions::default());
        assert_eq!(p.changes.len(), 1);
        assert!(q.changes.is_empty());
        assert_ne!(
            saved(&p, "a", &[]).operations,
            saved(&q, "b", &[]).operations
        );
        assert_eq!(
            saved(&p, "a", &[]).staleness(&saved(&q, "b", &[])),
            vec![Staleness::Manifests]
        );
    }

    #[test]
    fn changed_manifests_secrets_or_operations_make_it_stale() {
        let p = plan(
            &[desired("k", actor("A1"))],
            &LiveState::default(),
            "me",
            PlanOptions::default(),
        );
        let s = saved(&p, "sha256:x", &["a".to_owned()]);
        assert_eq!(
            s.staleness(&saved(&p, "sha256:y", &["a".to_owned()])),
            vec![Staleness::Manifests]
        );
        assert_eq!(
            s.staleness(&saved(&p, "sha256:x", &["b".to_owned()])),
            vec![Staleness::Secrets]
        );
        // Same operations, other requests (what only another secret explains): nothing names
        // a webhook, but the plans differ.
        let mut other = saved(&p, "sha256:x", &["a".to_owned()]);
        other.operations[0].request_hash = "other".into();
        assert_eq!(s.staleness(&other), vec![Staleness::Operations]);
    }

    /// A live account with `keep` (to update), `gone` (to delete) and `still` (unchanged), and
    /// the manifests: `keep` with a new URL, `new` to create, `still`.
    fn world() -> (Vec<DesiredSpec>, Vec<crate::platform::Webhook>) {
        let keep = desired("keep", actor("A1"));
        let still = desired("still", actor("A1"));
        let live = vec![
            live_of("W1", &keep, "me"),
            live_of("W2", &desired("gone", actor("A1")), "me"),
            live_of("W3", &still, "me"),
        ];
        let mut keep_new = keep;
        keep_new.request_url.value = "https://hooks.example.com/new".into();
        (vec![keep_new, desired("new", actor("A1")), still], live)
    }

    fn state_of(webhooks: Vec<crate::platform::Webhook>) -> LiveState {
        LiveState {
            webhooks,
            ..LiveState::default()
        }
    }

    /// Issue 16, item 18: a saved plan applied a second time is not "changed on the platform".
    #[test]
    fn a_plan_applied_twice_says_it_was_applied_already() {
        let (specs, mut live) = world();
        let p = plan(
            &specs,
            &state_of(live.clone()),
            "me",
            PlanOptions::default(),
        );
        assert_eq!(p.changes.len(), 3, "{:?}", p.changes);
        apply_model(&p, &mut live);
        let now = plan(&specs, &state_of(live), "me", PlanOptions::default());
        let reasons = saved(&p, "d", &[]).staleness(&saved(&now, "d", &[]));
        assert_eq!(
            reasons,
            vec![
                Staleness::AlreadyApplied {
                    key: "gone".into(),
                    webhook_id: Some("W2".into())
                },
                Staleness::AlreadyApplied {
                    key: "keep".into(),
                    webhook_id: Some("W1".into())
                },
                Staleness::AlreadyApplied {
                    key: "new".into(),
                    webhook_id: None
                },
            ]
        );
        assert!(reasons.iter().all(Staleness::is_already_applied));
        assert_eq!(
            reasons[1].to_string(),
            "webhook W1 (`keep`) already has this change: the plan was applied already"
        );
    }

    /// Issue 16, item 18: a Console edit names the webhook and the field, whether the plan
    /// touches the webhook or not, and a deleted one is called deleted.
    #[test]
    fn a_console_edit_names_the_webhook_and_the_field() {
        let (specs, live) = world();
        let p = saved(
            &plan(
                &specs,
                &state_of(live.clone()),
                "me",
                PlanOptions::default(),
            ),
            "d",
            &[],
        );
        let replan = |live: Vec<crate::platform::Webhook>| {
            let now = plan(&specs, &state_of(live), "me", PlanOptions::default());
            p.staleness(&saved(&now, "d", &[]))
        };
        // A webhook the plan updates: its URL edited.
        let mut edited = live.clone();
        edited[0].request_url = Some("https://console.example.com/x".into());
        edited[0].modified_at = Some("2026-05-05T00:00:00.000Z".into());
        let reasons = replan(edited);
        assert_eq!(
            reasons,
            vec![Staleness::WebhookMoved {
                key: "keep".into(),
                webhook_id: "W1".into(),
                fields: vec!["requestUrl".into()],
            }]
        );
        assert_eq!(
            reasons[0].to_string(),
            "webhook W1 (`keep`) changed on the platform since the plan was saved: requestUrl"
        );
        // A webhook the plan leaves alone: its event types and description edited.
        let mut edited = live.clone();
        edited[2].event_types = Some(vec!["ACTOR.RUN.SUCCEEDED".into()]);
        edited[2].do_not_retry = Some(true);
        let reasons = replan(edited);
        assert_eq!(
            reasons,
            vec![Staleness::NewOperation {
                action: Action::Update,
                key: "still".into(),
                webhook_id: Some("W3".into()),
                fields: vec!["eventTypes".into(), "doNotRetry".into()],
            }]
        );
        assert_eq!(
            reasons[0].to_string(),
            "webhook W3 (`still`) changed on the platform since the plan was saved: planning now also updates (eventTypes, doNotRetry)"
        );
        // The webhook the plan updates was deleted: gone, and its re-creation explained by it.
        let mut deleted = live;
        deleted.remove(0);
        assert_eq!(
            replan(deleted),
            vec![Staleness::WebhookGone {
                key: "keep".into(),
                webhook_id: "W1".into(),
            }]
        );
    }

    #[test]
    fn a_pattern_that_matches_other_targets_now_makes_it_stale_a_rename_does_not() {
        use super::super::expand::PatternMatch;
        let with = |matched: &[(&str, &str)]| {
            let mut p = plan(&[], &LiveState::default(), "me", PlanOptions::default());
            p.patterns = vec![PatternMatch {
                key: "oncall".into(),
                kind: crate::webhook::TargetKind::Actor,
                pattern: "acme/*".into(),
                matched: matched
                    .iter()
                    .map(|(id, name)| Target {
                        name: (*name).to_owned(),
                        ..actor(id)
                    })
                    .collect(),
                excluded: Vec::new(),
            }];
            saved(&p, "sha256:x", &[])
        };
        let s = with(&[("A1", "acme/a"), ("A2", "acme/b")]);
        assert!(
            s.staleness(&with(&[("A2", "acme/b"), ("A1", "acme/renamed")]))
                .is_empty()
        );
        assert_eq!(
            s.staleness(&with(&[
                ("A1", "acme/a"),
                ("A2", "acme/b"),
                ("A3", "acme/c")
            ])),
            vec![Staleness::PatternMatches {
                key: "oncall".into(),
                pattern: "acme/*".into()
            }]
        );
        assert_eq!(s.staleness(&with(&[("A1", "acme/a")])).len(), 1);
    }

    #[test]
    fn a_create_on_a_new_target_of_a_pattern_is_a_new_operation() {
        let on = |ids: &[&str]| {
            let specs: Vec<DesiredSpec> = ids
                .iter()
                .map(|id| DesiredSpec {
                    pattern: Some("acme/*".into()),
                    ..desired("oncall", actor(id))
                })
                .collect();
            saved(
                &plan(&specs, &LiveState::default(), "me", PlanOptions::default()),
                "sha256:x",
                &[],
            )
        };
        let reasons = on(&["A1", "A2"]).staleness(&on(&["A1", "A3"]));
        assert!(
            reasons.iter().any(|r| matches!(
                r,
                Staleness::NewOperation { action: Action::Create, key, .. } if key == "oncall"
            )),
            "{reasons:?}"
        );
        assert!(on(&["A1", "A2"]).staleness(&on(&["A2", "A1"])).is_empty());
    }
}
