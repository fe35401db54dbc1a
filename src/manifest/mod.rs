//! Manifests: finding the files, parsing YAML with locations, checking them against the schema
//! and the platform's rules, and turning them into the desired state. Every problem is reported
//! as a located [`crate::diagnostic::Diagnostic`], all of them in one run. Knows nothing of HTTP.

mod model;

pub use model::schema;

/// The committed manifest schema (`schemas/manifest.schema.json`), which loading enforces.
pub const SCHEMA_JSON: &str = include_str!("../../schemas/manifest.schema.json");
