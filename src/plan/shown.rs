//! What the plan shows of a value: fingerprints of live webhooks and secrets, URLs with their
//! secret parts masked, and the fields a webhook's marker records as secret.

use sha2::{Digest, Sha256};

use super::{DesiredSpec, LiveFingerprint, SecretFields, SensitiveTag, Shown, marker};
use crate::platform::Webhook;

/// The fingerprint of a live webhook: `modifiedAt` and a keyed hash of its content (the same
/// normalized content that keys creates, [`super::identity::of_live`]).
pub fn fingerprint(w: &Webhook, key: &[u8; 16]) -> LiveFingerprint {
    let content = super::identity::of_live(w);
    let field_hashes = content
        .as_object()
        .into_iter()
        .flatten()
        .map(|(field, value)| {
            let hash = keyed_hex(key, format!("{field}\0{value}").as_bytes());
            (field.clone(), hash)
        })
        .collect();
    LiveFingerprint {
        modified_at: w.modified_at.clone(),
        content_hash: keyed_hex(key, content.to_string().as_bytes()),
        field_hashes,
    }
}

/// Hex SHA-256 of `bytes` under `key`.
pub(super) fn keyed_hex(key: &[u8; 16], bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(key);
    h.update(bytes);
    hex::encode(h.finalize())
}

/// The scheme and host of `url` (with the port when it is not the default), and `/…` when the
/// URL has anything after them; `(invalid URL)` when it does not parse. Nothing that may hold a
/// secret: no userinfo, path, query or fragment.
pub fn show_origin(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return "(invalid URL)".to_owned();
    };
    let origin = parsed.origin().ascii_serialization();
    let more = parsed.path() != "/"
        || parsed.query().is_some()
        || parsed.fragment().is_some()
        || !parsed.username().is_empty()
        || parsed.password().is_some();
    if more {
        format!("{origin}/…")
    } else {
        origin
    }
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

pub(super) fn sensitive(key: &[u8; 16], value: &str, masked: Option<String>) -> Shown {
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

pub(super) fn show_template(key: &[u8; 16], value: &str, is_secret: bool) -> Shown {
    if is_secret {
        sensitive(key, value, None)
    } else {
        Shown::Text(value.to_owned())
    }
}

pub(super) fn text_diff(before: Option<&str>, after: Option<&str>) -> Option<(String, String)> {
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
pub(super) fn live_secret_fields(w: &Webhook, key: &str) -> SecretFields {
    w.description
        .as_deref()
        .and_then(marker::parse)
        .filter(|m| m.key == key)
        .and_then(|m| m.secrets)
        .unwrap_or(SecretFields::UNKNOWN)
}

/// A record as the plan shows it: the field names.
pub(super) fn show_record(record: SecretFields) -> Shown {
    Shown::List(record.names().into_iter().map(str::to_owned).collect())
}
