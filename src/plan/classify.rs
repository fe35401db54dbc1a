//! Classifying a live webhook for an owner: owned, foreign, unmanaged, damaged, out of scope.
//! What a description says is read by [`marker::read`] only.

use super::marker::{self, Reading};
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
    /// A webhook whose description starts a marker that cannot be read with certainty (text
    /// after it, a missing or repeated attribute, a newer format), naming this owner or none:
    /// neither owned nor unmanaged, so never duplicated nor taken over silently.
    Damaged {
        /// The key the marker names, when it names one.
        key: Option<&'w str>,
        /// What is wrong with the marker.
        problem: marker::Problem,
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
    match marker::read(description) {
        Reading::Marker(m) if m.owner == owner => Class::Owned { key: m.key },
        Reading::Marker(_) => Class::Foreign,
        // Another owner's, even if damaged: theirs to repair, never ours to touch.
        Reading::Damaged(d) if d.owner.is_some_and(|o| o != owner) => Class::Foreign,
        Reading::Damaged(d) => Class::Damaged {
            key: d.key,
            problem: d.problem,
        },
        Reading::None => Class::Unmanaged,
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
