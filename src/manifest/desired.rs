//! The desired state: validated manifests, with every value tied to where it was written.
//! `${NAME}` references stay unresolved here (validation must not depend on secrets);
//! [`Manifests::resolve`] substitutes them for commands that talk to the platform and records
//! which values are secrets.

use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::interpolate;
use crate::diagnostic::{Diagnostic, Label, SourceFile};
use crate::template;
use crate::webhook::{EventType, TargetKind};

/// The owner used when neither the command line nor any manifest names one.
pub const DEFAULT_OWNER: &str = "default";

/// All manifests of one run, validated.
#[derive(Debug, Clone)]
pub struct Manifests {
    /// The files read, in order.
    pub files: Vec<Arc<SourceFile>>,
    /// Every declared webhook, in file order.
    pub webhooks: Vec<DesiredWebhook>,
    /// The `owner:` of each file that has one, where it is written.
    pub owners: Vec<(String, Label)>,
    /// Every `${NAME}` the manifests use, where it is written.
    pub env_refs: Vec<EnvRef>,
}

/// One declared webhook.
#[derive(Debug, Clone)]
pub struct DesiredWebhook {
    /// Its identity, unique across the run.
    pub key: String,
    /// Where the key is written.
    pub key_label: Label,
    /// The Actor or task it belongs to.
    pub target: TargetRef,
    /// An unmanaged webhook to take over.
    pub adopt: Option<String>,
    /// Keys it had before (`previousKeys`), where each is written.
    pub previous_keys: Vec<Located<String>>,
    /// For a pattern: the names, IDs and patterns it leaves out (`exclude`), where each is
    /// written. Always empty for a concrete target.
    pub exclude: Vec<Located<String>>,
    /// Event types, sorted and without repeats.
    pub event_types: Vec<EventType>,
    /// The target URL, `${NAME}` unresolved.
    pub request_url: Located<String>,
    /// The payload template, `${NAME}` unresolved.
    pub payload_template: Option<Located<PayloadTemplate>>,
    /// The headers template, `${NAME}` unresolved.
    pub headers_template: Option<Located<HeadersTemplate>>,
    /// The human description (without ownership marker).
    pub description: Option<String>,
    /// `ignoreSslErrors`, default false.
    pub ignore_ssl_errors: bool,
    /// `doNotRetry`, default false.
    pub do_not_retry: bool,
    /// `shouldInterpolateStrings`, default true for a mapping payload and false otherwise.
    pub should_interpolate_strings: bool,
    /// Every `${NAME}` the entry uses, where it is written.
    pub env_refs: Vec<EnvRef>,
}

/// A value and where it is written.
#[derive(Debug, Clone)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where.
    pub label: Label,
}

/// What a webhook is attached to, as written in the manifest.
#[derive(Debug, Clone)]
pub struct TargetRef {
    /// Actor or task.
    pub kind: TargetKind,
    /// `username/name`, `username~name` or an ID, as written.
    pub reference: String,
    /// Where the reference is written.
    pub label: Label,
}

impl TargetRef {
    /// The reference in the form the API's path parameters take: `username~name` or an ID.
    pub fn api_reference(&self) -> String {
        self.reference.replacen('/', "~", 1)
    }

    /// Whether the reference is a pattern (`*` or `?`), matched against the account's own
    /// Actors or tasks on every plan.
    pub fn is_pattern(&self) -> bool {
        crate::webhook::is_pattern(&self.reference)
    }
}

/// A payload template as declared.
#[derive(Debug, Clone, PartialEq)]
pub enum PayloadTemplate {
    /// JSON text with `{{variables}}`.
    Text(String),
    /// A mapping, serialized to JSON when sent.
    Mapping(serde_json::Map<String, Value>),
}

/// A headers template as declared.
#[derive(Debug, Clone, PartialEq)]
pub enum HeadersTemplate {
    /// A JSON object as text.
    Text(String),
    /// Header name to value.
    Mapping(IndexMap<String, String>),
}

/// One `${NAME}` and where it is written.
#[derive(Debug, Clone)]
pub struct EnvRef {
    /// The variable.
    pub name: String,
    /// Where.
    pub label: Label,
}

/// A string that went to the platform, and whether it holds a value from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The value to send.
    pub value: String,
    /// Whether any part came from `${NAME}` (and so is secret).
    pub from_env: bool,
}

/// A declared webhook with its `${NAME}` references substituted.
#[derive(Debug, Clone)]
pub struct ResolvedWebhook<'m> {
    /// The declaration.
    pub desired: &'m DesiredWebhook,
    /// The URL to send.
    pub request_url: Resolved,
    /// The payload template to send (mappings serialized to JSON).
    pub payload_template: Option<Resolved>,
    /// The headers template to send (mappings serialized to a JSON object).
    pub headers_template: Option<Resolved>,
    /// Every environment value used, to be masked wherever output could show it.
    pub secrets: Vec<String>,
}

impl Manifests {
    /// The owner of this run: `requested` (from `--owner` or `APIFY_WEBHOOKS_OWNER`) or the
    /// manifests' `owner:`, which must all agree with each other and with `requested`.
    pub fn owner(&self, requested: Option<&str>) -> Result<String, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let mut chosen: Option<(&str, Option<&Label>)> = requested.map(|r| (r, None));
        for (owner, label) in &self.owners {
            match chosen {
                None => chosen = Some((owner, Some(label))),
                Some((first, first_label)) if first != owner => {
                    let mut d = Diagnostic::error(format!(
                        "owner `{owner}` disagrees with `{first}`"
                    ))
                    .at(&label.source, label.span, "this owner");
                    d = match first_label {
                        Some(first) => d.related(
                            &first.source,
                            first.span,
                            format!("owner `{}` here", self.owner_at(first)),
                        ),
                        None => d.help(format!("`--owner` or APIFY_WEBHOOKS_OWNER says `{first}`")),
                    };
                    errors.push(
                        d.help("all manifests of a run, and --owner, must name the same owner"),
                    );
                }
                Some(_) => {}
            }
        }
        if errors.is_empty() {
            Ok(chosen.map_or(DEFAULT_OWNER, |(o, _)| o).to_owned())
        } else {
            Err(errors)
        }
    }

    fn owner_at(&self, label: &Label) -> &str {
        self.owners
            .iter()
            .find(|(_, l)| l == label)
            .map_or("", |(o, _)| o)
    }

    /// A digest of every file's path and content, to tell whether a saved plan was made from
    /// the same manifests.
    pub fn digest(&self) -> String {
        let mut hash = Sha256::new();
        for file in &self.files {
            for part in [file.path(), file.text()] {
                hash.update((part.len() as u64).to_le_bytes());
                hash.update(part.as_bytes());
            }
        }
        format!("sha256:{}", hex::encode(hash.finalize()))
    }

    /// A diagnostic of severity `severity` for every `${NAME}` that `lookup` does not know.
    pub fn missing_env(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
        as_errors: bool,
    ) -> Vec<Diagnostic> {
        self.env_refs
            .iter()
            .filter(|r| lookup(&r.name).is_none())
            .map(|r| {
                let d = if as_errors {
                    Diagnostic::error(format!("environment variable `{}` is not set", r.name))
                } else {
                    Diagnostic::warning(format!("environment variable `{}` is not set", r.name))
                };
                d.at(&r.label.source, r.label.span, "used here")
            })
            .collect()
    }

    /// Every webhook with `${NAME}` substituted from `lookup`. Fails with an error for every
    /// unset variable, and for every template or URL that is invalid once substituted (the
    /// message never shows the value).
    pub fn resolve(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Vec<ResolvedWebhook<'_>>, Vec<Diagnostic>> {
        let missing = self.missing_env(&lookup, true);
        if !missing.is_empty() {
            return Err(missing);
        }
        let mut errors = Vec::new();
        let mut out = Vec::with_capacity(self.webhooks.len());
        for desired in &self.webhooks {
            let mut secrets = Vec::new();
            let mut sub = |s: &str| -> Resolved {
                let (value, used) = interpolate::substitute(s, &lookup)
                    .unwrap_or_else(|_| (s.to_owned(), Vec::new()));
                let from_env = !used.is_empty();
                secrets.extend(used.into_iter().filter(|v| !v.is_empty()));
                Resolved { value, from_env }
            };
            let request_url = sub(&desired.request_url.value);
            let payload_template = desired.payload_template.as_ref().map(|p| match &p.value {
                PayloadTemplate::Text(t) => sub(t),
                PayloadTemplate::Mapping(map) => {
                    let mut from_env = false;
                    let value = map_strings(&Value::Object(map.clone()), &mut |s| {
                        let r = sub(s);
                        from_env |= r.from_env;
                        r.value
                    });
                    // Pretty, so the template reads well in plans and in Apify Console.
                    let value =
                        serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string());
                    Resolved { value, from_env }
                }
            });
            let headers_template = desired.headers_template.as_ref().map(|h| match &h.value {
                HeadersTemplate::Text(t) => sub(t),
                HeadersTemplate::Mapping(map) => {
                    let mut from_env = false;
                    let object: serde_json::Map<String, Value> = map
                        .iter()
                        .map(|(k, v)| {
                            let r = sub(v);
                            from_env |= r.from_env;
                            (k.clone(), Value::String(r.value))
                        })
                        .collect();
                    Resolved {
                        value: Value::Object(object).to_string(),
                        from_env,
                    }
                }
            });
            let resolved = ResolvedWebhook {
                desired,
                request_url,
                payload_template,
                headers_template,
                secrets,
            };
            recheck(&resolved, &mut errors);
            out.push(resolved);
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

/// Checks again, with values in place, what validation checked with placeholders.
fn recheck(r: &ResolvedWebhook<'_>, errors: &mut Vec<Diagnostic>) {
    let d = r.desired;
    let after = "once its environment variables are substituted";
    if r.request_url.from_env
        && let Err(why) = super::check::check_url(&r.request_url.value)
    {
        let l = &d.request_url.label;
        errors.push(
            Diagnostic::error(format!("`requestUrl` is invalid {after}: {why}"))
                .at(&l.source, l.span, "here"),
        );
    }
    if let (Some(p), Some(declared)) = (&r.payload_template, &d.payload_template)
        && p.from_env
        && let Err(e) = template::check_payload(&p.value, d.should_interpolate_strings)
    {
        let l = &declared.label;
        errors.push(
            Diagnostic::error(format!(
                "`payloadTemplate` is invalid {after}: {}",
                redacted_template_error(&e)
            ))
            .at(&l.source, l.span, "this template"),
        );
    }
    if let (Some(h), Some(declared)) = (&r.headers_template, &d.headers_template)
        && h.from_env
        && let Err(e) = template::check_headers(&h.value)
    {
        let l = &declared.label;
        errors.push(
            Diagnostic::error(format!(
                "`headersTemplate` is invalid {after}: {}",
                redacted_template_error(&e)
            ))
            .at(&l.source, l.span, "this template"),
        );
    }
}

/// A template error's message without anything that could quote a secret.
fn redacted_template_error(e: &template::TemplateError) -> &'static str {
    match e {
        template::TemplateError::InvalidJson { .. } => {
            "not valid JSON (check the quoting around the value)"
        }
        template::TemplateError::InvalidVariable { .. } => {
            "a `{{placeholder}}` names an unknown variable"
        }
        template::TemplateError::HeadersNotAnObject => "not a JSON object",
        template::TemplateError::HeaderNotString { .. } => "a header value is not a string",
        template::TemplateError::RewrittenHeader { .. } => "it sets a header the platform rewrites",
    }
}

/// `value` with `f` applied to every string (not to keys).
pub(crate) fn map_strings(value: &Value, f: &mut impl FnMut(&str) -> String) -> Value {
    match value {
        Value::String(s) => Value::String(f(s)),
        Value::Array(items) => Value::Array(items.iter().map(|v| map_strings(v, f)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), map_strings(v, f)))
                .collect(),
        ),
        other => other.clone(),
    }
}
