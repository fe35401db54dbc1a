//! The semantic checks: the rules of the platform that a schema cannot say. Each check takes an
//! entry that passed the schema and either adds located diagnostics or contributes to the
//! [`DesiredWebhook`] it builds. Cross-file rules (unique keys, one owner) run over the whole set.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::desired::{
    DesiredWebhook, EnvRef, HeadersTemplate, Located, PayloadTemplate, TargetRef,
};
use super::interpolate;
use super::model::{self, WebhookEntry};
use super::yaml::{Node, NodeValue};
use crate::diagnostic::{Diagnostic, Label, SourceFile, Span, shown};
use crate::event::{self, Family, Unresolved};
use crate::template::{self, TemplateError};
use crate::webhook::{EventType, TargetKind};

/// The file being checked and the diagnostics found so far.
pub(super) struct FileChecker<'a> {
    /// The file.
    pub(super) source: &'a Arc<SourceFile>,
    /// What was found.
    pub(super) diagnostics: Vec<Diagnostic>,
    /// The key of every entry whose key is valid, even when other fields are not (so that a
    /// duplicate is reported in the same run).
    pub(super) keys: Vec<(String, Label)>,
    /// Every `${NAME}` of every entry, valid or not.
    pub(super) env_refs: Vec<EnvRef>,
}

impl FileChecker<'_> {
    fn label(&self, span: Span, message: &str) -> Label {
        Label::new(self.source, span, message)
    }

    fn error(&mut self, span: Span, message: impl Into<String>, label: &str) -> &mut Diagnostic {
        self.diagnostics
            .push(Diagnostic::error(message).at(self.source, span, label));
        self.diagnostics.last_mut().expect("just pushed")
    }

    /// Checks an Actor or task reference written as a mapping key: a name, an ID or a pattern.
    pub(super) fn check_reference(&mut self, kind: TargetKind, reference: &str, span: Span) {
        let what = match kind {
            TargetKind::Actor => "Actor",
            TargetKind::Task => "task",
        };
        if crate::webhook::is_pattern(reference) {
            if let Err(why) = check_pattern(reference) {
                self.error(
                    span,
                    format!("invalid {what} pattern `{}`: {why}", shown(reference)),
                    "invalid pattern",
                )
                .help
                .push(PATTERN_HELP.to_owned());
            }
        } else if let Err(why) = check_reference(reference) {
            self.error(
                span,
                format!("invalid {what} reference `{}`: {why}", shown(reference)),
                "invalid reference",
            )
            .help
            .push(format!(
                "write `username/name`, `username~name` or the {what} ID, or a pattern such as `username/*`"
            ));
        }
    }

    /// `exclude` and `adopt` against the kind of reference: `exclude` only under a pattern, with
    /// names, IDs or patterns; `adopt` (one webhook) never under a pattern (many webhooks).
    fn check_pattern_fields(
        &mut self,
        target: &TargetRef,
        node: &Node,
        entry: &WebhookEntry,
    ) -> Vec<Located<String>> {
        let field = |name: &str| node.entries().iter().find(|e| e.key == name);
        let Some(exclude) = &entry.exclude else {
            if target.is_pattern()
                && entry.adopt.is_some()
                && let Some(adopt) = field("adopt")
            {
                self.adopt_on_pattern(target, adopt.key_span);
            }
            return Vec::new();
        };
        let exclude_field = field("exclude");
        let exclude_span = exclude_field.map_or(node.span, |e| e.key_span);
        if !target.is_pattern() {
            self.error(
                exclude_span,
                format!(
                    "`exclude` is only for patterns, and `{}` is not one",
                    shown(&target.reference)
                ),
                "under a single target",
            )
            .help
            .push("a reference with `*` or `?` is a pattern; a name or an ID is one Actor or task, with nothing to exclude".to_owned());
            return Vec::new();
        }
        if entry.adopt.is_some()
            && let Some(adopt) = field("adopt")
        {
            self.adopt_on_pattern(target, adopt.key_span);
        }
        let items: &[Node] = match exclude_field.map(|e| &e.value.value) {
            Some(NodeValue::Seq(items)) => items,
            _ => &[],
        };
        let mut out = Vec::new();
        for (i, value) in exclude.iter().enumerate() {
            let span = items.get(i).map_or(exclude_span, |n| n.span);
            let check = if crate::webhook::is_pattern(value) {
                check_pattern(value)
            } else {
                check_reference(value)
            };
            if let Err(why) = check {
                self.error(
                    span,
                    format!("invalid exclusion `{}`: {why}", shown(value)),
                    "invalid exclusion",
                )
                .help
                .push("exclude by `username/name`, ID or pattern".to_owned());
                continue;
            }
            out.push(Located {
                value: value.replacen('~', "/", 1),
                label: self.label(span, ""),
            });
        }
        out
    }

    fn adopt_on_pattern(&mut self, target: &TargetRef, span: Span) {
        self.error(
            span,
            format!(
                "`adopt` cannot be used under the pattern `{}`",
                shown(&target.reference)
            ),
            "one webhook, many targets",
        )
        .help
        .push(
            "`adopt` takes over one webhook: declare it under its Actor or task by name".to_owned(),
        );
    }

    /// Checks one entry that passed the schema and builds its desired webhook.
    /// Fields in `broken` already have errors and are not checked again; an entry with broken
    /// fields yields no webhook.
    pub(super) fn check_entry(
        &mut self,
        target: TargetRef,
        node: &Node,
        entry: WebhookEntry,
        broken: &HashSet<String>,
    ) -> Option<DesiredWebhook> {
        let errors_before = self.diagnostics.len();
        let field = |name: &str| {
            node.entries()
                .iter()
                .find(|e| e.key == name)
                .map(|e| &e.value)
        };
        let key_span = field("key").map_or(node.span, |n| n.span);
        if !broken.contains("key") {
            self.keys
                .push((entry.key.clone(), self.label(key_span, "")));
        }

        let exclude = self.check_pattern_fields(&target, node, &entry);
        self.check_event_types(target.kind, field("eventTypes"));
        let mut event_types = entry.event_types;
        event_types.sort_unstable();
        event_types.dedup();

        let mut env_refs = Vec::new();
        let url_node = field("requestUrl").unwrap_or(node);
        // A malformed `${` is reported by `check_interpolation`; the rest of the URL is still
        // checked, with every `${...}` as a placeholder.
        self.check_interpolation(url_node, &entry.request_url, &mut env_refs);
        if !broken.contains("requestUrl")
            && checkable_before_substitution(&entry.request_url)
            && let Some(placed) = interpolate::placed(&entry.request_url, "x")
            && let Err(why) = check_url(&placed.text)
        {
            self.error(
                url_node.span,
                format!("`requestUrl` must be an absolute http(s) URL: {why}"),
                "invalid URL",
            );
        }

        let interpolate_default = matches!(
            entry.payload_template,
            Some(model::PayloadTemplate::Mapping(_))
        );
        let should_interpolate_strings = entry
            .should_interpolate_strings
            .unwrap_or(interpolate_default);
        let payload_template = match (entry.payload_template, field("payloadTemplate")) {
            (Some(p), Some(n)) => Some(Located {
                value: self.check_payload(n, p, should_interpolate_strings, &mut env_refs),
                label: self.label(n.span, ""),
            }),
            _ => None,
        };
        let headers_template = match (entry.headers_template, field("headersTemplate")) {
            (Some(h), Some(n)) => Some(Located {
                value: self.check_headers(n, h, &mut env_refs),
                label: self.label(n.span, ""),
            }),
            (None, Some(n)) if broken.contains("headersTemplate") => {
                self.check_header_mapping(n, &mut env_refs);
                None
            }
            _ => None,
        };

        self.env_refs.extend(env_refs.iter().cloned());
        if self.diagnostics.len() > errors_before || !broken.is_empty() {
            return None;
        }
        let webhook = DesiredWebhook {
            key: entry.key,
            key_label: self.label(key_span, ""),
            target,
            adopt: entry.adopt,
            previous_keys: previous_keys(field("previousKeys"), entry.previous_keys, |span| {
                self.label(span, "")
            }),
            exclude,
            event_types,
            request_url: Located {
                value: entry.request_url,
                label: self.label(url_node.span, ""),
            },
            payload_template,
            headers_template,
            description: entry.description.filter(|d| !d.is_empty()),
            ignore_ssl_errors: entry.ignore_ssl_errors.unwrap_or(false),
            do_not_retry: entry.do_not_retry.unwrap_or(false),
            should_interpolate_strings,
            env_refs,
        };
        self.event_warnings(&webhook, field("payloadTemplate"), field("headersTemplate"));
        Some(webhook)
    }

    /// Warnings for placeholders that cannot resolve for any of the webhook's event types (the
    /// platform accepts them and sends `null`). Run on valid entries only.
    fn event_warnings(
        &mut self,
        webhook: &DesiredWebhook,
        payload: Option<&Node>,
        headers: Option<&Node>,
    ) {
        let mut found: Vec<(Span, String)> = Vec::new();
        if let (Some(p), Some(node)) = (&webhook.payload_template, payload) {
            match &p.value {
                PayloadTemplate::Text(text) => {
                    self.text_placeholders(
                        node,
                        text,
                        webhook.should_interpolate_strings,
                        &mut found,
                    );
                }
                PayloadTemplate::Mapping(_) if webhook.should_interpolate_strings => {
                    self.node_placeholders(node, &mut found);
                }
                PayloadTemplate::Mapping(_) => {}
            }
        }
        if let (Some(h), Some(node)) = (&webhook.headers_template, headers) {
            match &h.value {
                // Header strings are always interpolated.
                HeadersTemplate::Text(text) => self.text_placeholders(node, text, true, &mut found),
                HeadersTemplate::Mapping(_) => self.node_placeholders(node, &mut found),
            }
        }
        for (span, name) in found {
            if let Some(why) = event::unresolved(&name, &webhook.event_types, webhook.target.kind) {
                self.diagnostics
                    .push(event_warning(&name, &why).at_span(self.source, span));
            }
        }
    }

    /// The placeholders of a template written as text, located in the file.
    fn text_placeholders(
        &self,
        node: &Node,
        text: &str,
        interpolate_strings: bool,
        found: &mut Vec<(Span, String)>,
    ) {
        let Some(placed) = interpolate::placed(text, "0") else {
            return;
        };
        for (offset, name) in template::placeholders(&placed.text, interpolate_strings) {
            let span = node.sub_span(self.source, placed.original(offset), name.len() + 4);
            found.push((span, name));
        }
    }

    /// The placeholders of every string of a mapping (whose strings are interpolated).
    fn node_placeholders(&self, node: &Node, found: &mut Vec<(Span, String)>) {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            match &n.value {
                NodeValue::String(s) => {
                    for (offset, name) in template::string_placeholders(s) {
                        found.push((
                            n.sub_span(self.source, offset, name.len() + 4),
                            name.to_owned(),
                        ));
                    }
                }
                NodeValue::Seq(items) => stack.extend(items.iter().rev()),
                NodeValue::Map(entries) => stack.extend(entries.iter().rev().map(|e| &e.value)),
                _ => {}
            }
        }
    }

    /// Repeats and build events on tasks. Reads the list as written, so that an unknown event
    /// type (reported by the schema) hides nothing about the others.
    fn check_event_types(&mut self, kind: TargetKind, node: Option<&Node>) {
        let items: &[Node] = match node.map(|n| &n.value) {
            Some(NodeValue::Seq(items)) => items,
            _ => &[],
        };
        let mut first_seen: HashMap<EventType, Span> = HashMap::new();
        for item in items {
            let NodeValue::String(name) = &item.value else {
                continue;
            };
            let Ok(event) = name.parse::<EventType>() else {
                continue;
            };
            if let Some(&first) = first_seen.get(&event) {
                let d = Diagnostic::error(format!("duplicate event type `{event}`"))
                    .at(self.source, item.span, "repeated")
                    .related(self.source, first, "first listed here");
                self.diagnostics.push(d);
                continue;
            }
            first_seen.insert(event, item.span);
            if kind == TargetKind::Task && event.is_build() {
                self.error(item.span, format!("`{event}` cannot be used on a task"), "build event on a task")
                    .help
                    .push("builds belong to Actors: declare this webhook under `actors:` for the task's Actor".to_owned());
            }
        }
    }

    /// Malformed `${` in a string scalar; records the references. Returns whether it was clean.
    fn check_interpolation(&mut self, node: &Node, text: &str, env_refs: &mut Vec<EnvRef>) -> bool {
        match interpolate::references(text) {
            Ok(refs) => {
                for r in refs {
                    let span = node.sub_span(self.source, r.offset, r.len);
                    env_refs.push(EnvRef {
                        name: r.name,
                        label: self.label(span, ""),
                    });
                }
                true
            }
            Err(errors) => {
                for e in errors {
                    let span = node.sub_span(self.source, e.offset, e.len);
                    self.error(span, e.to_string(), "here");
                }
                false
            }
        }
    }

    fn check_payload(
        &mut self,
        node: &Node,
        payload: model::PayloadTemplate,
        interpolate_strings: bool,
        env_refs: &mut Vec<EnvRef>,
    ) -> PayloadTemplate {
        match payload {
            model::PayloadTemplate::Text(text) => {
                self.check_interpolation(node, &text, env_refs);
                if let Some(placed) = interpolate::placed(&text, "0") {
                    for e in template::payload_problems(&placed.text, interpolate_strings) {
                        self.template_error("payloadTemplate", node, &text, &placed, &e);
                    }
                }
                PayloadTemplate::Text(text)
            }
            model::PayloadTemplate::Mapping(map) => {
                self.check_mapping_strings(node, interpolate_strings, env_refs);
                PayloadTemplate::Mapping(map)
            }
        }
    }

    /// `${...}` and, with interpolation on, `{{variables}}` in every string of a mapping.
    fn check_mapping_strings(
        &mut self,
        node: &Node,
        interpolate_strings: bool,
        env_refs: &mut Vec<EnvRef>,
    ) {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            match &n.value {
                NodeValue::String(s) => {
                    self.check_interpolation(n, s, env_refs);
                    if interpolate_strings {
                        self.unknown_string_variables(n, s);
                    }
                }
                NodeValue::Seq(items) => stack.extend(items.iter().rev()),
                NodeValue::Map(entries) => stack.extend(entries.iter().rev().map(|e| &e.value)),
                _ => {}
            }
        }
    }

    fn unknown_string_variables(&mut self, node: &Node, s: &str) {
        for (offset, name) in template::invalid_string_variables(s) {
            let span = node.sub_span(self.source, offset, name.len() + 4);
            self.error(
                span,
                format!("unknown template variable `{}`", shown(&name)),
                "unknown variable",
            )
            .help
            .push(variable_help(&name));
        }
    }

    fn check_headers(
        &mut self,
        node: &Node,
        headers: model::HeadersTemplate,
        env_refs: &mut Vec<EnvRef>,
    ) -> HeadersTemplate {
        match headers {
            model::HeadersTemplate::Text(text) => {
                self.check_interpolation(node, &text, env_refs);
                if let Some(placed) = interpolate::placed(&text, "0") {
                    for e in template::headers_problems(&placed.text) {
                        self.template_error("headersTemplate", node, &text, &placed, &e);
                    }
                }
                HeadersTemplate::Text(text)
            }
            model::HeadersTemplate::Mapping(map) => {
                self.check_header_mapping(node, env_refs);
                HeadersTemplate::Mapping(map)
            }
        }
    }

    /// Names and values of headers written as a mapping. Also run when a value is not a string
    /// (a schema error that takes the field out), so that it hides nothing about the others.
    fn check_header_mapping(&mut self, node: &Node, env_refs: &mut Vec<EnvRef>) {
        for entry in node.entries() {
            if crate::webhook::is_rewritten_header(&entry.key) {
                self.error(entry.key_span, format!("header `{}` cannot be declared", shown(&entry.key)), "set by the platform")
                    .help
                    .push("the platform always sets Host, Content-Type, X-Apify-Webhook, X-Apify-Webhook-Dispatch-Id and X-Apify-Request-Origin".to_owned());
            } else if !is_header_name(&entry.key) {
                self.error(
                    entry.key_span,
                    format!("`{}` is not a valid HTTP header name", shown(&entry.key)),
                    "invalid header name",
                )
                .help
                .push("header names are letters, digits and !#$%&'*+-.^_`|~".to_owned());
            }
            if let NodeValue::String(s) = &entry.value.value {
                self.check_interpolation(&entry.value, s, env_refs);
                self.unknown_string_variables(&entry.value, s);
            }
        }
    }

    fn template_error(
        &mut self,
        field: &str,
        node: &Node,
        text: &str,
        placed: &interpolate::Placed,
        e: &TemplateError,
    ) {
        // Offsets refer to the text with `${...}` replaced by `0`; map them back.
        // An error at the very end (an unclosed object) points at the last character written,
        // not past the template into whatever follows it in the file.
        let last = text.trim_end().len().saturating_sub(1);
        let back = |offset: usize| placed.original(offset).min(last);
        let (span, label, help): (Span, &str, Option<String>) = match e {
            TemplateError::InvalidJson { offset, .. } => (node.sub_span(self.source, back(*offset), 1), "here", Some(
                "outside of `{{variables}}`, the template must be valid JSON".to_owned(),
            )),
            TemplateError::InvalidVariable { offset, name } => {
                (node.sub_span(self.source, back(*offset), name.len() + 4), "unknown variable", Some(variable_help(name)))
            }
            TemplateError::RewrittenHeader { .. } => (node.span, "in this template", Some(
                "the platform always sets Host, Content-Type, X-Apify-Webhook, X-Apify-Webhook-Dispatch-Id and X-Apify-Request-Origin".to_owned(),
            )),
            TemplateError::HeadersNotAnObject | TemplateError::HeaderNotString { .. } => (node.span, "in this template", None),
        };
        let message = match e {
            TemplateError::InvalidVariable { name, .. } => {
                format!("unknown template variable `{}` in `{field}`", shown(name))
            }
            other => format!("`{field}` is invalid: {other}"),
        };
        let d = self.error(span, message, label);
        d.help.extend(help);
    }
}

/// A warning for `{{name}}`, which cannot resolve for the webhook's events, without location.
struct EventWarning {
    message: String,
    label: &'static str,
    help: String,
}

impl EventWarning {
    fn at_span(self, source: &Arc<SourceFile>, span: Span) -> Diagnostic {
        Diagnostic::warning(self.message)
            .at(source, span, self.label)
            .help(self.help)
    }
}

fn event_warning(name: &str, why: &Unresolved) -> EventWarning {
    let shown_name = shown(name);
    match why {
        Unresolved::TaskOnly { .. } => EventWarning {
            message: format!("`{{{{{shown_name}}}}}` is set only when a task started the run"),
            label: "missing for runs started without a task",
            help: "this webhook is on an Actor: it also fires for runs started directly, which have no task; \
                   a webhook under `tasks:` always has it"
                .to_owned(),
        },
        Unresolved::OtherFamily { variable, property, has_it } => {
            let fires = match has_it {
                Family::Run => "build",
                Family::Build => "run",
            };
            let has = has_it.noun();
            let what = if *variable == "eventData" {
                format!("only {has} events have `{}` in their event data", shown(property))
            } else {
                format!("only a {has} has `{}`; the resource of {fires} events is a {fires}", shown(property))
            };
            EventWarning {
                message: format!("`{{{{{shown_name}}}}}` never resolves for this webhook's events"),
                label: "never set here",
                help: format!("this webhook fires on {fires} events only, and {what}"),
            }
        }
        Unresolved::Unknown { within, property, families, suggestion } => {
            let nouns = families.iter().map(|f| f.noun()).collect::<Vec<_>>().join(" or ");
            let owner = match within.as_str() {
                "resource" => format!("a {nouns}"),
                "eventData" => format!("the event data of {nouns} events"),
                "globals" => "`globals`".to_owned(),
                nested => format!(
                    "the `{}` of a {nouns}",
                    nested.trim_start_matches("resource.")
                ),
            };
            let help = match suggestion {
                Some(s) => {
                    let fixed = format!("{within}.{s}{}", &name[within.len() + 1 + property.len()..]);
                    format!("did you mean `{{{{{}}}}}`?", shown(&fixed))
                }
                None if within == "resource" || within.starts_with("resource.") => {
                    format!("the properties of {owner} are those of the `{}` object of the Apify API", match nouns.as_str() {
                        "build" => "Build",
                        "run" => "Run",
                        _ => "Run` or `Build",
                    })
                }
                None if within == "globals" => "`globals` has dateISO and dateUnix".to_owned(),
                None => "run events carry actorId, actorTaskId (when a task started the run) and actorRunId; \
                         build events carry actorId and actorBuildId"
                    .to_owned(),
            };
            EventWarning {
                message: format!(
                    "`{{{{{shown_name}}}}}` never resolves: {owner} has no property `{}`",
                    shown(property)
                ),
                label: "unknown property",
                help,
            }
        }
    }
}

/// "Did you mean" for an unknown `{{name}}`, or the list of variables when none is close.
fn variable_help(name: &str) -> String {
    match template::suggest_variable(name) {
        Some(suggestion) => format!("did you mean `{{{{{}}}}}`?", shown(&suggestion)),
        None => "variables are userId, createdAt, eventType, eventData, resource and globals, with `.property` access".to_owned(),
    }
}

/// An RFC 9110 token.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Why `reference` is not `username/name`, `username~name` or an ID.
fn check_reference(reference: &str) -> Result<(), String> {
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    };
    match reference.split_once(['/', '~']) {
        Some((user, name)) => {
            if !part_ok(user) {
                Err("the username part is empty or has characters other than letters, digits, `.`, `_` and `-`".to_owned())
            } else if !part_ok(name) {
                Err("the name part is empty or has characters other than letters, digits, `.`, `_` and `-`".to_owned())
            } else {
                Ok(())
            }
        }
        None if !reference.is_empty() && reference.chars().all(|c| c.is_ascii_alphanumeric()) => {
            Ok(())
        }
        None => Err("it is neither `username/name` nor an ID".to_owned()),
    }
}

/// What a pattern is, for the help of an invalid one.
const PATTERN_HELP: &str = "a pattern is `username/name` with `*` (any run of characters but `/`) or `?` (one character), such as `acme/*` or `acme/nightly-?`";

/// Why `pattern` (a reference with `*` or `?`) is not a pattern that can match a
/// `username/name`.
fn check_pattern(pattern: &str) -> Result<(), String> {
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-*?".contains(c))
    };
    match pattern.split_once(['/', '~']) {
        Some((user, name)) => {
            if !part_ok(user) {
                Err("the username part is empty or has characters other than letters, digits, `.`, `_`, `-`, `*` and `?`".to_owned())
            } else if !part_ok(name) {
                Err("the name part is empty or has characters other than letters, digits, `.`, `_`, `-`, `*` and `?`".to_owned())
            } else {
                Ok(())
            }
        }
        None => Err(
            "it has no `/`, and `*` never matches `/`, so it can match no `username/name`"
                .to_owned(),
        ),
    }
}

/// Whether a URL can be checked with its `${NAME}` references replaced by placeholders: only
/// when its scheme and `://` are written out before the first reference. A URL that is a secret
/// as a whole (`${SLACK_URL}`) is checked once substituted, by the commands that substitute.
fn checkable_before_substitution(url: &str) -> bool {
    let literal = url.split("${").next().unwrap_or(url);
    literal.contains("://") || !url.contains("${")
}

/// Why `url` is not an absolute http(s) URL with a host.
pub(crate) fn check_url(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "the scheme is `{}`, not http or https",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("it has no host".to_owned());
    }
    Ok(())
}

/// The previous keys as written, each with where it is.
fn previous_keys(
    node: Option<&Node>,
    keys: Option<Vec<String>>,
    label: impl Fn(Span) -> Label,
) -> Vec<Located<String>> {
    let items: &[Node] = match node.map(|n| &n.value) {
        Some(NodeValue::Seq(items)) => items,
        _ => &[],
    };
    keys.unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, value)| Located {
            value,
            label: label(items.get(i).or(node).map_or(Span::new(0, 0), |n| n.span)),
        })
        .collect()
}

/// Keys unique across all files (both places named), and `adopt` IDs used once.
pub(super) fn check_across_files(
    keys: &[(String, Label)],
    webhooks: &[DesiredWebhook],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut first_use: HashMap<&str, &Label> = HashMap::new();
    for (key, label) in keys {
        if let Some(first) = first_use.get(key.as_str()) {
            let pattern_at = |l: &Label| {
                webhooks
                    .iter()
                    .find(|w| w.key_label == *l && w.target.is_pattern())
                    .map(|w| w.target.reference.as_str())
            };
            let mut d = Diagnostic::error(format!("duplicate key `{key}`"))
                .at(&label.source, label.span, "used again here")
                .related(&first.source, first.span, "first used here")
                .help("keys identify webhooks and must be unique across all manifests of a run");
            if let Some(pattern) = pattern_at(label).or_else(|| pattern_at(first)) {
                d = d.help(format!(
                    "a key is declared once, by a pattern or by one entry: to give one target of `{pattern}` a webhook of its own, list it in the pattern's `exclude` and use another key"
                ));
            }
            out.push(d);
        } else {
            first_use.insert(key, label);
        }
    }
    // A previous key names a webhook that is to move: it cannot be declared as well, nor move
    // to two places, nor be the entry's own key.
    let mut claimed: HashMap<&str, (&str, &Label)> = HashMap::new();
    for w in webhooks {
        for p in &w.previous_keys {
            let l = &p.label;
            if p.value == w.key {
                out.push(
                    Diagnostic::error(format!("`{}` is this entry's own key", p.value))
                        .at(&l.source, l.span, "listed as a previous key")
                        .help("`previousKeys` lists the keys the webhook had before a rename"),
                );
            } else if let Some(declared) = first_use.get(p.value.as_str()) {
                out.push(
                    Diagnostic::error(format!(
                        "previous key `{}` is also declared as a key",
                        p.value
                    ))
                    .at(&l.source, l.span, "previous key here")
                    .related(&declared.source, declared.span, "declared here")
                    .help("a webhook moves from a previous key to a new one: drop one of the two"),
                );
            } else if let Some((other, first)) = claimed.get(p.value.as_str()) {
                out.push(
                    Diagnostic::error(format!(
                        "previous key `{}` is claimed twice (by `{other}` and `{}`)",
                        p.value, w.key
                    ))
                    .at(&l.source, l.span, "claimed again here")
                    .related(&first.source, first.span, "first claimed here")
                    .help("a webhook can move to one key only"),
                );
            } else {
                claimed.insert(&p.value, (&w.key, l));
            }
        }
    }
    let mut adopted: HashMap<&str, &Label> = HashMap::new();
    for w in webhooks {
        if let Some(id) = &w.adopt {
            if let Some(first) = adopted.get(id.as_str()) {
                out.push(
                    Diagnostic::error(format!("webhook `{id}` is adopted twice"))
                        .at(&w.key_label.source, w.key_label.span, "second adoption")
                        .related(&first.source, first.span, "first adoption"),
                );
            } else {
                adopted.insert(id, &w.key_label);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_accept_the_three_forms() {
        assert!(check_reference("apify/web-scraper").is_ok());
        assert!(check_reference("apify~web-scraper").is_ok());
        assert!(check_reference("moJRLRc85AitArpNN").is_ok());
        assert!(check_reference("apify/").is_err());
        assert!(check_reference("a b").is_err());
        assert!(check_reference("apify/web scraper").is_err());
    }

    #[test]
    fn patterns_are_username_slash_name_with_wildcards() {
        assert!(check_pattern("acme/*").is_ok());
        assert!(check_pattern("acme~nightly-?").is_ok());
        assert!(check_pattern("*/*").is_ok());
        assert!(check_pattern("acme*").is_err(), "no `/`: matches nothing");
        assert!(check_pattern("acme/").is_err());
        assert!(check_pattern("acme/a b*").is_err());
        assert!(check_pattern("acme/x/*").is_err());
    }

    #[test]
    fn a_url_that_is_all_secret_is_checked_once_substituted() {
        assert!(!checkable_before_substitution("${SLACK_URL}"));
        assert!(!checkable_before_substitution("${SCHEME}://x.example.com"));
        assert!(checkable_before_substitution(
            "https://x.example.com/${PATH}"
        ));
        assert!(checkable_before_substitution("ftp://x"));
    }

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(check_url("https://example.com/x?y=1").is_ok());
        assert!(check_url("http://127.0.0.1:8080").is_ok());
        assert_eq!(
            check_url("ftp://example.com").unwrap_err(),
            "the scheme is `ftp`, not http or https"
        );
        assert!(check_url("/relative").is_err());
        assert!(check_url("example.com/x").is_err());
    }

    #[test]
    fn header_names_are_tokens() {
        assert!(is_header_name("X-Api-Key"));
        assert!(!is_header_name("X Api"));
        assert!(!is_header_name(""));
    }
}
