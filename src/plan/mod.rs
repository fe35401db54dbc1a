//! The plan: what would change on the platform, as a value. [`plan`] is a pure function of the
//! desired webhooks, the live ones and the options — no I/O, no clock — so it is unit- and
//! property-tested directly; reading the live state happens before it (`crate::refresh`),
//! executing it after (`crate::apply`), and showing it elsewhere (`crate::render`).
//!
//! Every live webhook is classified (docs/ownership.md): *owned* (our marker and
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

mod classify;
mod diff;
pub mod expand;
pub mod identity;
pub mod marker;
mod model;
pub mod normalize;
pub mod saved;
mod shown;

pub use classify::*;
pub use diff::*;
pub use marker::SecretFields;
pub use model::*;
pub use shown::*;

#[cfg(test)]
pub(crate) mod tests;
