//! Classifying a live webhook for an owner: owned, foreign, unmanaged, damaged, out of scope.

use super::marker;
use crate::platform::Webhook;

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
    let condition = w.condition();
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
