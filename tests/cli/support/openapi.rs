//! A small reader of the official API spec, split into many YAML files, at
//! `<manifest dir>/../shared/apify-openapi/openapi/` (or `$APIFY_OPENAPI_DIR/openapi/`); on CI
//! its absence fails the tests rather than skipping them. It loads YAML files on demand, inlines the
//! relative `$ref`s (`../x.yaml#/pointer`), finds the operation of a method and concrete path,
//! and validates bodies against its request and response schemas with `jsonschema`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::on_ci;

/// Where the spec lives: `APIFY_OPENAPI_DIR` when set (a folder holding `openapi/`), else
/// `../shared/apify-openapi/` beside the project. It is a copy of the folder
/// `apify-api/openapi/` of Apify's public `apify/apify-docs` repository; it is never copied
/// into the project.
pub(crate) fn spec_dir() -> PathBuf {
    std::env::var_os("APIFY_OPENAPI_DIR")
        .filter(|d| !d.is_empty())
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/apify-openapi"),
            PathBuf::from,
        )
        .join("openapi")
}

/// The spec, or `None` (after saying so) when the folder is absent. On CI an absent spec fails
/// the test instead: a contract test that skips there would pass without checking anything.
pub(crate) fn load(test: &str) -> Option<Spec> {
    load_from(test, spec_dir(), on_ci())
}

/// [`load`] with the folder and the CI flag given.
pub(crate) fn load_from(test: &str, dir: PathBuf, ci: bool) -> Option<Spec> {
    if !dir.join("openapi.yaml").is_file() {
        assert!(
            !ci,
            "{test}: the official API spec is not at {} and CI is set, so the contract tests \
             cannot be skipped: place a copy of the folder `apify-api/openapi/` of \
             github.com/apify/apify-docs at ../shared/apify-openapi/openapi beside the checkout \
             (or point APIFY_OPENAPI_DIR at the folder that holds `openapi/`)",
            dir.display()
        );
        // Straight to stderr, past the test harness's capture, so a skip is never silent.
        let _ = writeln!(
            std::io::stderr(),
            "{test}: SKIPPED: the API spec is not at {} (see docs/development.md)",
            dir.display()
        );
        return None;
    }
    Some(Spec::new(dir))
}

/// The spec, with parsed files cached.
pub(crate) struct Spec {
    dir: PathBuf,
    files: HashMap<PathBuf, Value>,
    /// `(template segments, path item file, path item)` of every path of `openapi.yaml`.
    paths: Vec<(Vec<String>, PathBuf, Value)>,
}

impl Spec {
    fn new(dir: PathBuf) -> Self {
        let root = dir.join("openapi.yaml");
        let mut spec = Spec {
            dir,
            files: HashMap::new(),
            paths: Vec::new(),
        };
        let paths = spec
            .file(&root)
            .get("paths")
            .cloned()
            .unwrap_or(Value::Null);
        let Value::Object(paths) = paths else {
            panic!("openapi.yaml has no paths")
        };
        for (template, item) in paths {
            let (file, item) = match item.get("$ref").and_then(Value::as_str) {
                Some(reference) => spec.target(&root, reference),
                None => (root.clone(), item),
            };
            let segments = template
                .trim_matches('/')
                .split('/')
                .map(str::to_owned)
                .collect();
            spec.paths.push((segments, file, item));
        }
        spec
    }

    fn file(&mut self, path: &Path) -> Value {
        let path = normalize(path);
        if let Some(value) = self.files.get(&path) {
            return value.clone();
        }
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
        let value: Value = serde_saphyr::from_str(&text)
            .unwrap_or_else(|err| panic!("cannot parse {}: {err}", path.display()));
        self.files.insert(path, value.clone());
        value
    }

    /// The file and value a `$ref` in `base` points to.
    fn target(&mut self, base: &Path, reference: &str) -> (PathBuf, Value) {
        let (file_part, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        let file = if file_part.is_empty() {
            normalize(base)
        } else {
            normalize(&base.parent().unwrap_or(&self.dir).join(file_part))
        };
        let document = self.file(&file);
        let value = if pointer.is_empty() {
            document
        } else {
            document
                .pointer(pointer)
                .cloned()
                .unwrap_or_else(|| panic!("{reference} (from {}) points nowhere", base.display()))
        };
        (file, value)
    }

    /// `value` (found in `base`) with every `$ref` replaced by what it points to. A `$ref` back
    /// into one being inlined becomes `{}` (anything), which only loosens recursive schemas.
    fn inline(&mut self, base: &Path, value: &Value, stack: &mut Vec<String>) -> Value {
        match value {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                    let (file, target) = self.target(base, reference);
                    let key = format!(
                        "{}#{}",
                        file.display(),
                        reference.split_once('#').map_or("", |p| p.1)
                    );
                    if stack.contains(&key) {
                        return Value::Object(Map::new());
                    }
                    stack.push(key);
                    let resolved = self.inline(&file, &target, stack);
                    stack.pop();
                    let siblings: Map<String, Value> = map
                        .iter()
                        .filter(|(k, _)| *k != "$ref")
                        .map(|(k, v)| (k.clone(), self.inline(base, v, stack)))
                        .collect();
                    if siblings.is_empty() {
                        return resolved;
                    }
                    let mut merged = siblings;
                    merged.insert("allOf".to_owned(), Value::Array(vec![resolved]));
                    return Value::Object(merged);
                }
                Value::Object(
                    map.iter()
                        .map(|(k, v)| (k.clone(), self.inline(base, v, stack)))
                        .collect(),
                )
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.inline(base, v, stack)).collect())
            }
            other => other.clone(),
        }
    }

    /// The spec's path template and operation for a method and a concrete path (`/v2/acts/...`
    /// is the legacy alias of `/v2/actors/...`).
    pub(crate) fn operation(
        &mut self,
        method: &str,
        path: &str,
    ) -> Option<(String, PathBuf, Value)> {
        let path = match path.strip_prefix("/v2/acts") {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("/v2/actors{rest}"),
            _ => path.to_owned(),
        };
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let method = method.to_ascii_lowercase();
        // Prefer the template with the most literal segments (`/webhooks/x/test` over `{id}`).
        let mut best: Option<(usize, String, PathBuf, Value)> = None;
        for (template, file, item) in &self.paths {
            if template.len() != segments.len() {
                continue;
            }
            let literal = template.iter().zip(&segments).try_fold(0, |n, (t, s)| {
                if t.starts_with('{') {
                    Some(n)
                } else if t == s {
                    Some(n + 1)
                } else {
                    None
                }
            });
            let (Some(literal), Some(op)) = (literal, item.get(&method)) else {
                continue;
            };
            if best.as_ref().is_none_or(|b| literal > b.0) {
                best = Some((
                    literal,
                    format!("/{}", template.join("/")),
                    file.clone(),
                    op.clone(),
                ));
            }
        }
        best.map(|(_, template, file, op)| (template, file, op))
    }

    /// The inlined schema of the JSON response `status` of an operation; `Err` when the spec
    /// documents no such response.
    pub(crate) fn response_schema(
        &mut self,
        method: &str,
        path: &str,
        status: u16,
    ) -> Result<Value, String> {
        let (template, file, op) = self
            .operation(method, path)
            .ok_or_else(|| format!("{method} {path}: no such operation"))?;
        let response = op
            .get("responses")
            .and_then(|r| r.get(status.to_string()))
            .ok_or_else(|| format!("{method} {template}: status {status} is not documented"))?
            .clone();
        let response = self.inline(&file, &response, &mut Vec::new());
        response
            .pointer("/content/application~1json/schema")
            .cloned()
            .ok_or_else(|| format!("{method} {template} {status}: no JSON schema"))
    }

    /// The inlined schema of an operation's JSON request body, if it has one.
    pub(crate) fn request_schema(&mut self, method: &str, path: &str) -> Option<Value> {
        let (_, file, op) = self.operation(method, path)?;
        let body = op.get("requestBody")?.clone();
        let body = self.inline(&file, &body, &mut Vec::new());
        body.pointer("/content/application~1json/schema").cloned()
    }
}

/// Every way `instance` breaks `schema` (JSON Schema 2020-12, formats checked).
pub(crate) fn violations(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|err| panic!("the spec's schema does not compile: {err}"));
    validator
        .iter_errors(instance)
        .map(|err| format!("at {}: {err}", err.instance_path()))
        .collect()
}

/// `a/b/../c` as `a/c`, so one file has one cache key.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
