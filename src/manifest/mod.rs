//! Manifests: finding the files, parsing YAML with locations, checking them against the schema
//! and the platform's rules, and turning them into the desired state. Every problem is reported
//! as a located [`crate::diagnostic::Diagnostic`], all of them in one run. Knows nothing of HTTP.
//!
//! The pipeline, one module a stage: [`yaml`] (text to a located tree) → `schema` (the committed
//! JSON schema, enforced) → `model` (typed entries) → `check` (the platform's rules) →
//! [`desired`] (the validated state, `${NAME}` still unresolved).

mod check;
pub mod desired;
pub mod interpolate;
mod load;
mod model;
mod schema;
pub mod yaml;

pub(crate) use check::check_url;
pub use desired::{
    DEFAULT_OWNER, DesiredWebhook, EnvRef, HeadersTemplate, Located, Manifests, PayloadTemplate,
    Resolved, ResolvedWebhook, TargetRef,
};
pub use load::{
    Loaded, LoadedFile, MAX_FILE_BYTES, PROJECT_FILE_NAME, discover, load, load_all, load_source,
};
pub use model::schema as generate_schema;

/// The committed manifest schema (`schemas/manifest.schema.json`), which loading enforces.
pub const SCHEMA_JSON: &str = include_str!("../../schemas/manifest.schema.json");

/// The schema the types generate, as it is committed: pretty JSON with a final newline.
pub fn generated_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&generate_schema()).expect("a schema serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_schema_is_what_the_types_generate() {
        let generated = generated_schema_text();
        if std::env::var_os("UPDATE_SCHEMAS").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/manifest.schema.json");
            std::fs::write(path, &generated).unwrap();
            return;
        }
        assert!(
            SCHEMA_JSON == generated,
            "schemas/manifest.schema.json is stale: regenerate it with `UPDATE_SCHEMAS=1 cargo test --lib committed_schema`"
        );
    }
}
