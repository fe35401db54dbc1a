//! The project file `apify-webhooks.yaml`: the environments (Apify accounts) one config
//! repository serves, each with its manifests, owner, token source, API URL and plain `vars`.
//!
//! It is found by `--project FILE` or by walking up from the current directory
//! ([`find`]), parsed with the manifests' span-aware YAML ([`crate::manifest::yaml`]) so every
//! problem is a located diagnostic, and checked by hand against the shape its JSON schema
//! (`schemas/project.schema.json`, generated from [`ProjectFile`]) describes. It is never read
//! as a manifest. Imports `diagnostic`, `manifest::yaml` and the platform's URL check; reads
//! files, never the process environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::diagnostic::{Diagnostic, SourceFile, Span, did_you_mean, shown};
use crate::manifest::yaml::{self, Node, NodeValue};

/// The file name looked for in the current directory and its parents.
pub const FILE_NAME: &str = crate::manifest::PROJECT_FILE_NAME;

/// The largest project file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The committed schema of the project file (`schemas/project.schema.json`).
pub const SCHEMA_JSON: &str = include_str!("../schemas/project.schema.json");

/// An apify-webhooks project: the Apify accounts (environments) one config repository serves.
///
/// Each environment has its own manifests, token, API and plain variables; `plan`, `apply`,
/// `status` and `destroy` run every environment (or those named by `--env`) in one run with one
/// report.
#[expect(
    dead_code,
    reason = "only its schema is used: the file is checked node by node for located errors"
)]
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "apify-webhooks project")]
pub struct ProjectFile {
    /// Project file format version. Always `1`.
    #[schemars(extend("const" = 1))]
    version: u32,
    /// The environments by name (`[A-Za-z0-9._-]`, 1 to 64 characters): one Apify account (and
    /// owner) each.
    #[schemars(extend("minProperties" = 1, "propertyNames" = {"pattern": "^[A-Za-z0-9._-]{1,64}$"}))]
    environments: IndexMap<String, EnvironmentEntry>,
}

/// One environment: an Apify account, the manifests it gets and how to reach it.
#[expect(dead_code, reason = "only its schema is used")]
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvironmentEntry {
    /// Manifest files or directories, relative to the project file.
    #[schemars(length(min = 1))]
    manifests: Vec<String>,
    /// The owner of this environment's webhooks; else the manifests' `owner:` (they must
    /// agree), else `default`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9._-]{1,64}$"))]
    owner: Option<String>,
    /// The NAME of the environment variable that holds this account's API token (never the
    /// token itself).
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    token: Option<String>,
    /// A file holding this account's API token, relative to the project file (instead of
    /// `token`).
    token_file: Option<String>,
    /// The Apify API base URL of this account. Default: `https://api.apify.com`.
    api_url: Option<String>,
    /// Plain values for `${NAME}` in this environment's manifests: shown in plans and saved
    /// plans, and allowed in Actor and task references (`${ORG}/scraper`). Secrets come from the
    /// process environment instead.
    #[schemars(extend("propertyNames" = {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}))]
    vars: Option<IndexMap<String, String>>,
}

/// The JSON schema the types generate, as committed: pretty JSON with a final newline.
pub fn generated_schema_text() -> String {
    let schema = schemars::schema_for!(ProjectFile);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}

/// Where an environment's token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// The environment variable of this name.
    Env(String),
    /// This file (resolved against the project file's folder).
    File(PathBuf),
}

/// A loaded, valid project file.
#[derive(Debug, Clone)]
pub struct Project {
    /// The file, as found.
    pub path: PathBuf,
    /// Its environments, in file order.
    pub environments: Vec<Environment>,
}

/// One environment of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// Its name.
    pub name: String,
    /// Its manifest paths, resolved against the project file's folder.
    pub manifests: Vec<PathBuf>,
    /// Its owner, if the project file names one.
    pub owner: Option<String>,
    /// Where its token comes from; `None` when the file names none (fine with `--local` only).
    pub token: Option<TokenSource>,
    /// Its API base URL, if not the default.
    pub api_url: Option<String>,
    /// Its plain variables.
    pub vars: BTreeMap<String, String>,
}

impl Project {
    /// The environments named by `selected` (all when empty), in file order; an unknown name
    /// is an error naming the known ones.
    pub fn select(&self, selected: &[String]) -> Result<Vec<&Environment>, String> {
        if selected.is_empty() {
            return Ok(self.environments.iter().collect());
        }
        let names: Vec<&str> = self.environments.iter().map(|e| e.name.as_str()).collect();
        for name in selected {
            if !names.contains(&name.as_str()) {
                let hint = did_you_mean(name, &names)
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                return Err(format!(
                    "no environment `{}` in `{}`{hint}; it has: {}",
                    shown(name),
                    self.path.display(),
                    names.join(", ")
                ));
            }
        }
        Ok(self
            .environments
            .iter()
            .filter(|e| selected.contains(&e.name))
            .collect())
    }
}

/// The project file to use: `given` when there is one, else `apify-webhooks.yaml` in `start` or
/// the nearest folder above it, else none.
pub fn find(given: Option<&Path>, start: &Path) -> Option<PathBuf> {
    if let Some(given) = given {
        return Some(given.to_path_buf());
    }
    let absolute = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    absolute
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// Reads and checks the project file at `path`; fails with every problem, located.
pub fn load(path: &Path) -> Result<Project, Vec<Diagnostic>> {
    let shown_path = path.display().to_string();
    let bytes = crate::files::read_bounded(path, MAX_FILE_BYTES).map_err(|e| {
        vec![
            Diagnostic::error(format!("cannot read the project file `{shown_path}`: {}", e.reason()))
                .help("the project file is `apify-webhooks.yaml` at the repository root, or the file `--project` names"),
        ]
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        vec![Diagnostic::error(format!(
            "the project file `{shown_path}` is not UTF-8 text"
        ))]
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
    let source = Arc::new(SourceFile::new(shown_path, text));
    let base = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    parse(&source, &base).map(|environments| Project {
        path: path.to_path_buf(),
        environments,
    })
}

/// Checks the project file's text; `base` is the folder relative paths start from.
pub fn parse(source: &Arc<SourceFile>, base: &Path) -> Result<Vec<Environment>, Vec<Diagnostic>> {
    let root = match yaml::parse(source) {
        Ok((Some(root), problems)) if problems.is_empty() && root.value != NodeValue::Null => root,
        Ok((_, problems)) if !problems.is_empty() => return Err(problems),
        Ok(_) => {
            return Err(vec![
                Diagnostic::error("empty project file")
                    .at(source, Span::new(0, 0), "nothing here")
                    .help("a project file starts with `version: 1` and names `environments:`"),
            ]);
        }
        Err(diagnostics) => return Err(diagnostics),
    };
    let mut c = Checker {
        source,
        base,
        errors: Vec::new(),
    };
    let environments = c.root(&root);
    if c.errors.is_empty() {
        Ok(environments)
    } else {
        Err(c.errors)
    }
}

const ROOT_FIELDS: &[&str] = &["version", "environments"];
const ENV_FIELDS: &[&str] = &["manifests", "owner", "token", "tokenFile", "apiUrl", "vars"];

struct Checker<'a> {
    source: &'a Arc<SourceFile>,
    base: &'a Path,
    errors: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, span: Span, message: impl Into<String>, label: &str) -> &mut Diagnostic {
        self.errors
            .push(Diagnostic::error(message).at(self.source, span, label));
        self.errors.last_mut().expect("just pushed")
    }

    fn unknown_fields(&mut self, node: &Node, known: &[&str], what: &str) {
        for entry in node.entries() {
            if !known.contains(&entry.key.as_str()) {
                let mut help = format!("{what} takes: {}", known.join(", "));
                if let Some(near) = did_you_mean(&entry.key, known) {
                    help = format!("did you mean `{near}`?");
                }
                let d = self.error(
                    entry.key_span,
                    format!("unknown field `{}` in {what}", shown(&entry.key)),
                    "unknown field",
                );
                d.help.push(help);
            }
        }
    }

    fn root(&mut self, root: &Node) -> Vec<Environment> {
        if !matches!(root.value, NodeValue::Map(_)) {
            self.error(
                root.span,
                "a project file is a mapping with `version: 1` and `environments:`",
                "not a mapping",
            );
            return Vec::new();
        }
        self.unknown_fields(root, ROOT_FIELDS, "the project file");
        match root.lookup("/version") {
            Some((
                Node {
                    value: NodeValue::Int(1),
                    ..
                },
                _,
            )) => {}
            Some((node, _)) => {
                self.error(
                    node.span,
                    "unsupported project file version: this apify-webhooks reads `version: 1`",
                    "expected 1",
                );
            }
            None => {
                self.error(
                    Span::new(0, 0),
                    "missing `version: 1` in the project file",
                    "expected `version: 1` here",
                );
            }
        }
        let Some((envs, key_span)) = root.lookup("/environments") else {
            self.error(
                Span::new(0, 0),
                "missing `environments:` in the project file",
                "expected `environments:`",
            )
            .help
            .push("name at least one environment, each with `manifests:` and `token:`".to_owned());
            return Vec::new();
        };
        let NodeValue::Map(entries) = &envs.value else {
            self.error(
                envs.span,
                "`environments` is a mapping of environment names to environments",
                "not a mapping",
            );
            return Vec::new();
        };
        if entries.is_empty() {
            self.error(
                key_span.unwrap_or(envs.span),
                "`environments` names no environment",
                "empty",
            );
        }
        let mut out = Vec::new();
        for entry in entries {
            if !is_owner_like(&entry.key) {
                self.error(
                    entry.key_span,
                    format!(
                        "invalid environment name `{}`: 1 to 64 characters of A-Z a-z 0-9 . _ -",
                        shown(&entry.key)
                    ),
                    "invalid name",
                );
            }
            if let Some(env) = self.environment(&entry.key, &entry.value) {
                out.push(env);
            }
        }
        out
    }

    fn string<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n str> {
        if let NodeValue::String(s) = &node.value {
            Some(s)
        } else {
            self.error(
                node.span,
                format!("`{what}` must be a string"),
                "not a string",
            );
            None
        }
    }

    fn environment(&mut self, name: &str, node: &Node) -> Option<Environment> {
        if !matches!(node.value, NodeValue::Map(_)) {
            self.error(
                node.span,
                format!(
                    "environment `{}` must be a mapping with `manifests:` and `token:`",
                    shown(name)
                ),
                "not a mapping",
            );
            return None;
        }
        let before = self.errors.len();
        self.unknown_fields(node, ENV_FIELDS, "an environment");
        let mut manifests = Vec::new();
        match node.lookup("/manifests") {
            None => {
                self.error(
                    node.span,
                    format!("environment `{}` has no `manifests:`", shown(name)),
                    "add `manifests: [path, ...]`",
                );
            }
            Some((list, key_span)) => {
                let items: Vec<&Node> = match &list.value {
                    NodeValue::Seq(items) => items.iter().collect(),
                    NodeValue::String(one) => {
                        let d = self.error(
                            list.span,
                            "`manifests` is a list of manifest files or directories",
                            "not a list",
                        );
                        d.help.push(format!("write `[{}]`", shown(one)));
                        Vec::new()
                    }
                    _ => {
                        self.error(
                            list.span,
                            "`manifests` is a list of manifest files or directories",
                            "not a list",
                        );
                        Vec::new()
                    }
                };
                if items.is_empty() && matches!(list.value, NodeValue::Seq(_)) {
                    self.error(
                        key_span.unwrap_or(list.span),
                        "`manifests` lists no path",
                        "empty",
                    );
                }
                for item in items {
                    let Some(p) = self.string(item, "manifests") else {
                        continue;
                    };
                    let path = joined(self.base, p);
                    if !path.exists() {
                        self.error(
                            item.span,
                            format!(
                                "`{}` does not exist (relative to the project file)",
                                shown(p)
                            ),
                            "no such file or directory",
                        );
                    }
                    manifests.push(path);
                }
            }
        }
        let owner = node.lookup("/owner").and_then(|(n, _)| {
            let s = self.string(n, "owner")?;
            if is_owner_like(s) {
                Some(s.to_owned())
            } else {
                self.error(
                    n.span,
                    format!(
                        "invalid owner `{}`: 1 to 64 characters of A-Z a-z 0-9 . _ -",
                        shown(s)
                    ),
                    "invalid owner",
                );
                None
            }
        });
        let token_node = node.lookup("/token");
        let file_node = node.lookup("/tokenFile");
        let mut token = None;
        if let Some((n, _)) = token_node
            && let Some(s) = self.string(n, "token")
        {
            if is_var_name(s) && !s.starts_with("apify_api_") {
                token = Some(TokenSource::Env(s.to_owned()));
            } else {
                let d = self.error(
                    n.span,
                    "`token` names the environment variable that holds the token, not the token",
                    "not a variable name",
                );
                d.help.push(
                    "write the variable's name (such as `PROD_APIFY_TOKEN`) and set that variable, or use `tokenFile:`; never commit a token"
                        .to_owned(),
                );
            }
        }
        if let Some((n, key)) = file_node
            && let Some(s) = self.string(n, "tokenFile")
        {
            if token_node.is_some() {
                let d = self.error(
                    key.unwrap_or(n.span),
                    "`token` and `tokenFile` both given: name one",
                    "second token source",
                );
                d.help
                    .push("`token` names an environment variable; `tokenFile` a file".to_owned());
            } else {
                token = Some(TokenSource::File(joined(self.base, s)));
            }
        }
        let api_url = node.lookup("/apiUrl").and_then(|(n, _)| {
            let s = self.string(n, "apiUrl")?;
            match crate::platform::ApiBaseUrl::parse(s) {
                Ok(_) => Some(s.to_owned()),
                Err(e) => {
                    self.error(n.span, e.to_string(), "invalid URL");
                    None
                }
            }
        });
        let mut vars = BTreeMap::new();
        if let Some((n, _)) = node.lookup("/vars") {
            match &n.value {
                NodeValue::Map(entries) => {
                    for e in entries {
                        if !is_var_name(&e.key) {
                            self.error(
                                e.key_span,
                                format!(
                                    "invalid variable name `{}`: letters, digits and `_`, not starting with a digit",
                                    shown(&e.key)
                                ),
                                "invalid name",
                            );
                        }
                        if let NodeValue::String(v) = &e.value.value {
                            vars.insert(e.key.clone(), v.clone());
                        } else {
                            let d = self.error(
                                e.value.span,
                                format!("var `{}` must be a string", shown(&e.key)),
                                "not a string",
                            );
                            d.help.push("quote it: `\"...\"`".to_owned());
                        }
                    }
                }
                NodeValue::Null => {}
                _ => {
                    self.error(
                        n.span,
                        "`vars` is a mapping of names to values",
                        "not a mapping",
                    );
                }
            }
        }
        (self.errors.len() == before).then(|| Environment {
            name: name.to_owned(),
            manifests,
            owner,
            token,
            api_url,
            vars,
        })
    }
}

/// `base` joined with `relative`, `.` and `..` resolved lexically where they can be (so
/// messages say `examples/secrets.yaml`, not `examples/project/../secrets.yaml`).
fn joined(base: &Path, relative: &str) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in base.join(relative).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// 1 to 64 characters of `A-Z a-z 0-9 . _ -` (owners and environment names).
fn is_owner_like(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<Vec<Environment>, String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("webhooks/common")).unwrap();
        let source = Arc::new(SourceFile::new("apify-webhooks.yaml", text));
        parse(&source, dir.path())
            .map_err(|d| {
                anstream::adapter::strip_str(&crate::render::diagnostic::render_all(&d)).to_string()
            })
            .map(|envs| {
                envs.into_iter()
                    .map(|mut e| {
                        e.manifests = e
                            .manifests
                            .iter()
                            .map(|p| p.strip_prefix(dir.path()).unwrap().to_path_buf())
                            .collect();
                        e
                    })
                    .collect()
            })
    }

    #[test]
    fn committed_schema_is_what_the_types_generate() {
        let generated = generated_schema_text();
        if std::env::var_os("UPDATE_SCHEMAS").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/project.schema.json");
            std::fs::write(path, &generated).unwrap();
            return;
        }
        assert!(
            SCHEMA_JSON == generated,
            "schemas/project.schema.json is stale: regenerate it with `UPDATE_SCHEMAS=1 cargo test --lib project`"
        );
    }

    #[test]
    fn a_valid_project_file_gives_its_environments_in_order() {
        let envs = check(
            "version: 1\nenvironments:\n  staging:\n    manifests: [webhooks/common]\n    owner: acme\n    token: STAGING_TOKEN\n    apiUrl: http://127.0.0.1:9\n    vars:\n      ORG: acme-staging\n  prod:\n    manifests: [webhooks/common]\n    tokenFile: secrets/prod\n",
        )
        .unwrap();
        assert_eq!(envs.len(), 2);
        assert_eq!(envs[0].name, "staging");
        assert_eq!(envs[0].manifests, vec![PathBuf::from("webhooks/common")]);
        assert_eq!(envs[0].owner.as_deref(), Some("acme"));
        assert_eq!(
            envs[0].token,
            Some(TokenSource::Env("STAGING_TOKEN".into()))
        );
        assert_eq!(envs[0].vars["ORG"], "acme-staging");
        assert_eq!(envs[1].name, "prod");
        assert!(
            matches!(&envs[1].token, Some(TokenSource::File(p)) if p.ends_with("secrets/prod"))
        );
    }

    #[test]
    fn diagnostics_of_a_broken_project_file() {
        let out = check(
            "version: 2\nenvironments:\n  staging:\n    manifest: [webhooks/common]\n    token: apify_api_0123456789abcdefghijABCDEFGHIJ\n    vars:\n      ORG: 3\n      1BAD: x\n  \"bad name\":\n    manifests: [webhooks/missing]\n    token: T\n    tokenFile: t\n    owner: \"not ok\"\n    apiUrl: ftp://x\n",
        )
        .unwrap_err();
        assert!(
            !out.contains("0123456789abcdefghij"),
            "the token is masked: {out}"
        );
        insta::assert_snapshot!("project_file_diagnostics", out);
    }

    #[test]
    fn a_single_manifest_path_must_be_a_list_as_the_schema_says() {
        let out =
            check("version: 1\nenvironments:\n  a:\n    manifests: webhooks/common\n").unwrap_err();
        assert!(out.contains("apify-webhooks.yaml:4:16"), "{out}");
        assert!(out.contains("write `[webhooks/common]`"), "{out}");
    }

    #[test]
    fn syntax_errors_and_empty_files_are_located() {
        insta::assert_snapshot!(
            "project_file_syntax",
            check("version: 1\nenvironments:\n  a: [unclosed\n").unwrap_err()
        );
        insta::assert_snapshot!("project_file_empty", check("").unwrap_err());
        insta::assert_snapshot!(
            "project_file_no_environments",
            check("version: 1\nenvironment: {}\n").unwrap_err()
        );
    }

    #[test]
    fn relative_paths_resolve_against_the_project_files_folder() {
        assert_eq!(
            joined(Path::new("examples/project"), "../minimal.yaml"),
            PathBuf::from("examples/minimal.yaml")
        );
        assert_eq!(
            joined(Path::new("."), "./webhooks"),
            PathBuf::from("webhooks")
        );
        assert_eq!(joined(Path::new("."), "../up"), PathBuf::from("../up"));
        assert_eq!(joined(Path::new("a"), ".."), PathBuf::from("."));
    }

    #[test]
    fn the_project_file_is_never_read_as_a_manifest() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(
            root.path().join(FILE_NAME),
            "version: 1\nenvironments: {}\n",
        )
        .unwrap();
        std::fs::write(root.path().join("hooks.yaml"), "version: 1\n").unwrap();
        let found = crate::manifest::discover(&[root.path().to_path_buf()]).unwrap();
        assert_eq!(found, vec![root.path().join("hooks.yaml")]);
        let given = crate::manifest::discover(&[root.path().join(FILE_NAME)]).unwrap_err();
        assert!(
            given[0]
                .message
                .contains("is the project file, not a manifest")
        );
    }

    #[test]
    fn the_file_is_found_in_the_nearest_parent() {
        let root = tempfile::tempdir().unwrap();
        let deep = root.path().join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(find(None, &deep), None);
        std::fs::write(root.path().join(FILE_NAME), "version: 1\n").unwrap();
        assert_eq!(
            find(None, &deep),
            Some(std::path::absolute(root.path().join(FILE_NAME)).unwrap())
        );
        let given = Path::new("elsewhere.yaml");
        assert_eq!(find(Some(given), &deep), Some(given.to_path_buf()));
    }

    #[test]
    fn selecting_an_unknown_environment_names_the_known_ones() {
        let project = Project {
            path: PathBuf::from("apify-webhooks.yaml"),
            environments: check(
                "version: 1\nenvironments:\n  staging: {manifests: [webhooks/common]}\n  prod: {manifests: [webhooks/common]}\n",
            )
            .unwrap(),
        };
        let names = |sel: &[&str]| {
            project
                .select(&sel.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
                .map(|envs| envs.iter().map(|e| e.name.clone()).collect::<Vec<_>>())
        };
        assert_eq!(names(&[]).unwrap(), ["staging", "prod"]);
        assert_eq!(names(&["prod"]).unwrap(), ["prod"]);
        let err = names(&["stagin"]).unwrap_err();
        assert!(err.contains("did you mean `staging`"), "{err}");
    }
}
