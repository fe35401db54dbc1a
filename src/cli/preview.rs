//! `apify-webhooks preview`: the exact request the platform would send for one declared webhook
//! and a sample event, offline (no token, no network). The request is rendered by
//! [`crate::event::render`], the implementation the emulator delivers with; values from
//! `${NAME}` are masked unless `--show-secrets`.
//!
//! Unset `${NAME}` variables of the previewed webhook are refused (exit 65), as in `plan`: a
//! value shapes the request (a URL, the quoting of a template), and any value will do when it
//! stays masked. Variables of the other webhooks do not matter.

use clap::{Args, ValueEnum};

use super::{Context, ManifestArgs};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::error::Error;
use crate::event::{self, EventType, RequestTemplate, SampleTarget};
use crate::exit;
use crate::manifest::{DesiredWebhook, Manifests, TargetRef};
use crate::plan::Selector;
use crate::render::preview::{self as render_preview, MASK, Preview, PreviewedRequest};
use crate::session::Workspace;
use crate::webhook::{TargetKind, pattern_matches};

/// Output formats of `preview`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum PreviewFormat {
    /// The request as HTTP: method and URL, headers, body (pretty-printed).
    #[default]
    Text,
    /// The request as data, with the body exactly as sent.
    Json,
}

/// Arguments of `preview`.
#[derive(Debug, Args)]
pub(crate) struct PreviewArgs {
    #[command(flatten)]
    manifests: ManifestArgs,
    /// The key of the webhook to preview, or its address in a plan
    /// (`failed-to-oncall["acme/price-monitor"]`, for one webhook of a pattern).
    #[arg(long)]
    key: String,
    /// For a pattern's webhook: the Actor or task (`username/name`) to preview it on; it must
    /// be one the pattern matches.
    #[arg(long, value_name = "NAME")]
    target: Option<String>,
    /// The event to render [default: the webhook's first event type].
    #[arg(long, value_name = "TYPE", value_parser = parse_event, conflicts_with = "all_events")]
    event: Option<EventType>,
    /// Render one request for each of the webhook's event types.
    #[arg(long)]
    all_events: bool,
    /// Show values from `${NAME}` variables instead of `(sensitive)`.
    #[arg(long)]
    show_secrets: bool,
    /// How to print the request.
    #[arg(long, value_enum, default_value_t = PreviewFormat::Text)]
    format: PreviewFormat,
}

fn parse_event(s: &str) -> Result<EventType, String> {
    s.parse().map_err(|()| {
        let names: Vec<&str> = EventType::ALL.iter().map(|e| e.as_str()).collect();
        match did_you_mean(s, &names) {
            Some(close) => format!("unknown event type; did you mean `{close}`?"),
            None => format!("unknown event type; one of {}", names.join(", ")),
        }
    })
}

/// The `X-Apify-Webhook` value of a preview: the live webhook's id is not known offline.
const WEBHOOK_ID: &str = "<webhook id>";
/// The `X-Apify-Webhook-Dispatch-Id` value of a preview.
const DISPATCH_ID: &str = "<dispatch id>";

/// Runs `preview`.
pub(crate) fn run(args: &PreviewArgs, ctx: &Context) -> Result<u8, Error> {
    let workspace = Workspace::load(&args.manifests.paths, args.manifests.owner.as_deref())?;
    let manifests = &workspace.manifests;
    let selector = Selector::parse(&args.key, args.target.as_deref()).map_err(Error::Usage)?;
    let webhook = find(manifests, &selector)?;
    let instance = instance(webhook, &selector)?;
    let events = events(webhook, args)?;

    // Only this webhook's `${NAME}` matter: resolve it alone.
    let alone = Manifests {
        files: manifests.files.clone(),
        webhooks: vec![webhook.clone()],
        owners: manifests.owners.clone(),
        env_refs: webhook.env_refs.clone(),
    };
    // Without --show-secrets, every `${NAME}` is resolved to a placeholder of its own, masked
    // in the output: no variable needs to be set, and a short value cannot garble the text
    // around it. A template that needs a real value to stay valid falls back to the
    // environment, masked by value.
    let placeholders = (!args.show_secrets)
        .then(|| placeholders(webhook))
        .and_then(|p| {
            let lookup = |name: &str| p.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
            alone.resolve(lookup).ok().map(|r| (p, r))
        });
    let (resolved, secrets) = if let Some((p, resolved)) = placeholders {
        (resolved, p.into_iter().map(|(_, v)| v).collect())
    } else {
        let resolved = alone.resolve(Context::env_var).map_err(|diagnostics| {
            let help = if args.show_secrets {
                "set it to preview the request with its value"
            } else {
                "set it to any value to preview: values from `${NAME}` are shown as (sensitive)"
            };
            Error::InvalidManifest(
                diagnostics
                    .into_iter()
                    .map(|d| {
                        if d.message.contains("is not set") {
                            d.help(help)
                        } else {
                            d
                        }
                    })
                    .collect(),
            )
        })?;
        let secrets = if args.show_secrets {
            Vec::new()
        } else {
            resolved[0].secrets.clone()
        };
        (resolved, secrets)
    };
    let resolved = &resolved[0];
    let template = RequestTemplate {
        request_url: &resolved.request_url.value,
        payload_template: resolved.payload_template.as_ref().map(|p| p.value.as_str()),
        headers_template: resolved.headers_template.as_ref().map(|h| h.value.as_str()),
        should_interpolate_strings: webhook.should_interpolate_strings,
    };
    let target = sample_target(&webhook.target, instance.as_deref());
    let mut requests = Vec::with_capacity(events.len());
    for event_type in events {
        let sample = event::sample(event_type, &target);
        let request = event::render(&template, &sample, WEBHOOK_ID, DISPATCH_ID)
            .map_err(|e| Error::InvalidManifest(vec![render_failure(webhook, event_type, &e)]))?;
        requests.push(PreviewedRequest {
            event_type,
            url: mask(&request.url, &secrets, args.show_secrets),
            headers: request
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), mask(v, &secrets, args.show_secrets)))
                .collect(),
            body: mask(&request.body, &secrets, args.show_secrets),
        });
    }
    let preview = Preview {
        key: &webhook.key,
        instance: instance.as_deref(),
        target_kind: webhook.target.kind,
        target: &webhook.target.reference,
        secrets_masked: !args.show_secrets,
        requests,
    };
    let text = match args.format {
        PreviewFormat::Text => render_preview::text(&preview),
        PreviewFormat::Json => render_preview::json(&preview),
    };
    ctx.console.print(&text);
    Ok(exit::SUCCESS)
}

/// The declared webhook `selector` names, or a usage error naming the closest key.
fn find<'m>(manifests: &'m Manifests, selector: &Selector) -> Result<&'m DesiredWebhook, Error> {
    if let Some(w) = manifests.webhooks.iter().find(|w| w.key == selector.key) {
        return Ok(w);
    }
    if let Some(w) = manifests.webhooks.iter().find(|w| selector.is_key(&w.key)) {
        return Ok(w);
    }
    let key = &selector.key;
    let keys: Vec<&str> = manifests.webhooks.iter().map(|w| w.key.as_str()).collect();
    let shown = crate::diagnostic::shown(key);
    Err(Error::Usage(match did_you_mean(key, &keys) {
        Some(close) => format!("no webhook has the key `{shown}`; did you mean `{close}`?"),
        None if keys.is_empty() => {
            format!("no webhook has the key `{shown}`: the manifests declare none")
        }
        None => format!(
            "no webhook has the key `{shown}`; the keys are: {}",
            keys.join(", ")
        ),
    }))
}

/// The target a pattern's webhook is previewed on: `--target` (or the address's), which the
/// pattern must match and its `exclude` leave in. A single target takes none but its own.
fn instance(webhook: &DesiredWebhook, selector: &Selector) -> Result<Option<String>, Error> {
    let Some(target) = &selector.target else {
        return Ok(None);
    };
    let reference = &webhook.target.reference;
    if !webhook.target.is_pattern() {
        return if reference.replacen('~', "/", 1) == *target {
            Ok(None)
        } else {
            Err(Error::Usage(format!(
                "webhook `{}` is on `{reference}` only, not `{target}`",
                webhook.key
            )))
        };
    }
    if !pattern_matches(reference, target) {
        return Err(Error::Usage(format!(
            "`{target}` does not match the pattern `{reference}` of webhook `{}`",
            webhook.key
        )));
    }
    if let Some(e) = webhook
        .exclude
        .iter()
        .find(|e| e.value == *target || pattern_matches(&e.value, target))
    {
        return Err(Error::Usage(format!(
            "`{target}` is excluded from the pattern `{reference}` of webhook `{}` (by `{}`)",
            webhook.key, e.value
        )));
    }
    Ok(Some(target.clone()))
}

/// The event types to render: `--event` (one the webhook listens to), all of them, or the first.
fn events(webhook: &DesiredWebhook, args: &PreviewArgs) -> Result<Vec<EventType>, Error> {
    if args.all_events {
        return Ok(webhook.event_types.clone());
    }
    match args.event {
        Some(e) if webhook.event_types.contains(&e) => Ok(vec![e]),
        Some(e) => Err(Error::Usage(format!(
            "webhook `{}` does not fire on `{e}`; its events are {}",
            webhook.key,
            webhook
                .event_types
                .iter()
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        None => Ok(webhook.event_types.first().copied().into_iter().collect()),
    }
}

/// The sample's target: ids where the manifest writes ids (a reference without `/` or `~`);
/// none for a pattern (its targets are known by name).
fn sample_target(target: &TargetRef, instance: Option<&str>) -> SampleTarget {
    let id = (instance.is_none() && !target.is_pattern() && !target.reference.contains(['/', '~']))
        .then(|| target.reference.clone());
    match target.kind {
        TargetKind::Actor => SampleTarget {
            kind: TargetKind::Actor,
            actor_id: id,
            task_id: None,
        },
        TargetKind::Task => SampleTarget {
            kind: TargetKind::Task,
            actor_id: None,
            task_id: id,
        },
    }
}

/// A template that validates but does not render for an event (a header that renders to no
/// string), located at the template.
fn render_failure(
    webhook: &DesiredWebhook,
    event_type: EventType,
    e: &event::RenderError,
) -> Diagnostic {
    let (field, label) = match e {
        event::RenderError::Payload(_) => (
            "payloadTemplate",
            webhook.payload_template.as_ref().map(|p| &p.label),
        ),
        event::RenderError::Headers(_) => (
            "headersTemplate",
            webhook.headers_template.as_ref().map(|h| &h.label),
        ),
    };
    let why = match e {
        event::RenderError::Payload(t) | event::RenderError::Headers(t) => t.to_string(),
    };
    let d = Diagnostic::error(format!(
        "`{field}` of webhook `{}` does not render for `{event_type}`: {why}",
        webhook.key
    ));
    match label {
        Some(l) => d.at(&l.source, l.span, "this template"),
        None => d,
    }
}

/// A placeholder for every variable `webhook` reads: letters and digits that fit anywhere in a
/// URL or a JSON string, and a whole URL for a variable that is the whole `requestUrl`.
fn placeholders(webhook: &crate::manifest::DesiredWebhook) -> Vec<(String, String)> {
    let whole_url = webhook
        .request_url
        .value
        .trim()
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'));
    let mut names: Vec<&str> = webhook.env_refs.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let token = format!("sensitive0preview0{i}0placeholder");
            let value = if whole_url == Some(name) {
                format!("https://{token}.invalid/")
            } else {
                token
            };
            (name.to_owned(), value)
        })
        .collect()
}

/// `text` with every secret masked: as written, and as it appears inside a JSON string. API
/// tokens are masked too, whatever their source.
fn mask(text: &str, secrets: &[String], show: bool) -> String {
    if show {
        return text.to_owned();
    }
    crate::diagnostic::mask_secrets(text, secrets, MASK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_as_written_and_as_json_escapes_them() {
        let secrets = vec!["p\"w\\d".to_owned(), "tok".to_owned()];
        assert_eq!(
            mask(r#"{"a":"p\"w\\d","b":"x tok"}"#, &secrets, false),
            r#"{"a":"(sensitive)","b":"x (sensitive)"}"#
        );
        assert_eq!(mask("p\"w\\d", &secrets, false), MASK);
        assert_eq!(mask("tok", &secrets, true), "tok");
        assert_eq!(
            mask("Bearer apify_api_abc", &[], false),
            "Bearer apify_api_***"
        );
    }
}
