//! Finding and reading manifest files, and running each through the pipeline: YAML with
//! locations, the schema, typed decoding of each entry, then the semantic checks; finally the
//! rules that span files. Every problem of every file is collected before anything fails.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::check::{self, FileChecker};
use super::desired::{DesiredWebhook, Manifests, TargetRef};
use super::model::WebhookEntry;
use super::schema;
use super::yaml::{self, NodeValue};
use crate::diagnostic::{Diagnostic, Label, SourceFile, Span};
use crate::files::FileError;
use crate::webhook::TargetKind;

/// The largest manifest file accepted, in bytes.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Loads and validates the manifests at `paths` (files, or directories searched for `*.yaml`
/// and `*.yml`). Fails with every error found.
pub fn load(paths: &[PathBuf]) -> Result<Manifests, Vec<Diagnostic>> {
    let loaded = load_all(paths);
    if loaded.diagnostics.iter().any(Diagnostic::is_error) {
        Err(loaded.diagnostics)
    } else {
        Ok(loaded.manifests)
    }
}

/// Everything [`load`] finds: the valid part of the manifests, and every problem.
#[derive(Debug)]
pub struct Loaded {
    /// The webhooks that are valid, the files, owners and every `${NAME}` reference.
    pub manifests: Manifests,
    /// Every problem found.
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads what can be loaded from `paths` and reports every problem, without failing.
pub fn load_all(paths: &[PathBuf]) -> Loaded {
    let (files, mut diagnostics) = match discover(paths) {
        Ok(files) => (files, Vec::new()),
        Err(diagnostics) => (Vec::new(), diagnostics),
    };
    let mut sources = Vec::new();
    for path in &files {
        match read(path) {
            Ok(source) => sources.push(source),
            Err(d) => diagnostics.push(d),
        }
    }
    let mut webhooks = Vec::new();
    let mut owners = Vec::new();
    let mut keys = Vec::new();
    let mut env_refs = Vec::new();
    for source in &sources {
        let file = load_source(source);
        diagnostics.extend(file.diagnostics);
        webhooks.extend(file.webhooks);
        owners.extend(file.owner);
        keys.extend(file.keys);
        env_refs.extend(file.env_refs);
    }
    diagnostics.extend(check::check_across_files(&keys, &webhooks));
    let manifests = Manifests {
        files: sources,
        webhooks,
        owners,
        env_refs,
    };
    if let Err(owner_errors) = manifests.owner(None) {
        diagnostics.extend(owner_errors);
    }
    Loaded {
        manifests,
        diagnostics,
    }
}

/// What one file contributes.
#[derive(Debug, Default)]
pub struct LoadedFile {
    /// Its valid webhooks.
    pub webhooks: Vec<DesiredWebhook>,
    /// Its `owner:`, if any.
    pub owner: Option<(String, Label)>,
    /// Its problems.
    pub diagnostics: Vec<Diagnostic>,
    /// The key of every entry with a valid key, valid or not otherwise.
    pub keys: Vec<(String, crate::diagnostic::Label)>,
    /// Every `${NAME}` reference of every entry.
    pub env_refs: Vec<super::desired::EnvRef>,
}

/// Runs one file's text through the pipeline.
pub fn load_source(source: &Arc<SourceFile>) -> LoadedFile {
    let mut out = LoadedFile::default();
    let root = match yaml::parse(source) {
        Ok((Some(root), problems)) if root.value != NodeValue::Null => {
            // Problems that left the tree usable are reported with everything found later.
            out.diagnostics = problems;
            root
        }
        Ok((_, problems)) if !problems.is_empty() => {
            out.diagnostics = problems;
            return out;
        }
        Ok(_) => {
            out.diagnostics.push(
                Diagnostic::error("empty manifest").at(source, Span::new(0, 0), "nothing here").help(
                    "a manifest starts with `version: 1` and declares webhooks under `actors:` or `tasks:`",
                ),
            );
            return out;
        }
        Err(diagnostics) => {
            out.diagnostics = diagnostics;
            return out;
        }
    };
    let value = match root.to_json(source) {
        Ok(value) => value,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    let schema_errors = schema::check(&value, &root, source);
    let has_error_at = |pointer: &str| schema_errors.iter().any(|e| e.pointer == pointer);
    if !has_error_at("/owner")
        && let Some((node, _)) = root.lookup("/owner")
        && let NodeValue::String(owner) = &node.value
    {
        out.owner = Some((owner.clone(), Label::new(source, node.span, "")));
    }
    let mut checker = FileChecker {
        source,
        diagnostics: Vec::new(),
        keys: Vec::new(),
        env_refs: Vec::new(),
    };
    for (kind, field) in [(TargetKind::Actor, "actors"), (TargetKind::Task, "tasks")] {
        let Some((targets, _)) = root.lookup(&format!("/{field}")) else {
            continue;
        };
        for target in targets.entries() {
            checker.check_reference(kind, &target.key, target.key_span);
            let NodeValue::Seq(items) = &target.value.value else {
                continue;
            };
            let target_ref = TargetRef {
                kind,
                reference: target.key.clone(),
                label: Label::new(source, target.key_span, ""),
            };
            for (i, item) in items.iter().enumerate() {
                let pointer = format!("/{field}/{}/{i}", escape(&target.key));
                let Some(Value::Object(raw)) = value.pointer(&pointer) else {
                    continue;
                };
                let (entry, broken) = partial_entry(raw, &pointer, &schema_errors);
                let Some(entry) = entry else { continue };
                if let Some(w) = checker.check_entry(target_ref.clone(), item, entry, &broken) {
                    out.webhooks.push(w);
                }
            }
        }
    }
    out.diagnostics
        .extend(schema_errors.into_iter().map(|e| e.diagnostic));
    out.diagnostics.extend(checker.diagnostics);
    out.keys = checker.keys;
    out.env_refs = checker.env_refs;
    out.diagnostics
        .sort_by_key(|d| d.primary.as_ref().map(|l| l.span));
    out
}

/// The entry at `pointer` with every field that has a schema error taken out (and required
/// ones filled with neutral values), so the semantic checks can still run on the fields that are
/// fine; and the names of the fields taken out. `None` when nothing can be decoded.
fn partial_entry(
    raw: &serde_json::Map<String, Value>,
    pointer: &str,
    errors: &[schema::SchemaError],
) -> (Option<WebhookEntry>, HashSet<String>) {
    let mut broken = HashSet::new();
    let mut entry = raw.clone();
    for e in errors {
        let Some(rest) = e.pointer.strip_prefix(pointer) else {
            continue;
        };
        if rest.is_empty() {
            // Unknown fields are reported at the entry; drop them. A missing required field
            // is filled in below.
            entry.retain(|k, _| schema::ENTRY_FIELDS.contains(&k.as_str()));
            continue;
        }
        let Some(field) = rest
            .strip_prefix('/')
            .map(|r| r.split('/').next().unwrap_or(r))
        else {
            continue;
        };
        entry.remove(field);
        broken.insert(field.to_owned());
    }
    for (field, neutral) in [
        ("key", Value::from("-")),
        ("eventTypes", Value::Array(Vec::new())),
        ("requestUrl", Value::from("")),
    ] {
        if !entry.contains_key(field) {
            entry.insert(field.to_owned(), neutral);
            broken.insert(field.to_owned());
        }
    }
    (serde_json::from_value(Value::Object(entry)).ok(), broken)
}

/// A JSON pointer segment.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The manifest files named by `paths`, in order: files as given, directories searched
/// recursively for `*.yaml` and `*.yml` (sorted, hidden entries skipped).
///
/// Symbolic links are followed, to files and to directories alike. A directory reached again by
/// a link inside itself (a loop) is an error naming the link. A file or directory reached twice
/// (two links, or a path given and also inside a directory given) is read once, under the first
/// path it was reached by: loading it twice would only report every key as a duplicate.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        let shown = path.display();
        match std::fs::metadata(path) {
            Err(e) if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {
                errors.push(broken_link(path, &e));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                errors.push(Diagnostic::error(format!("`{shown}` does not exist")));
            }
            Err(e) => errors.push(Diagnostic::error(format!("cannot read `{shown}`: {e}"))),
            Ok(meta) if meta.is_dir() => {
                let real = canonical(path);
                let mut walk = Walk {
                    found: Vec::new(),
                    errors: Vec::new(),
                    walked: HashSet::from([real.clone()]),
                    ancestors: vec![(real, path.clone())],
                };
                walk.dir(path);
                let Walk {
                    mut found,
                    errors: walk_errors,
                    ..
                } = walk;
                if found.is_empty() && walk_errors.is_empty() {
                    errors.push(
                        Diagnostic::error(format!("no manifests in directory `{shown}`"))
                            .help("manifests are files ending in `.yaml` or `.yml`"),
                    );
                }
                errors.extend(walk_errors);
                found.sort();
                files.extend(found.into_iter().filter(|f| seen.insert(canonical(f))));
            }
            Ok(_) => {
                if seen.insert(canonical(path)) {
                    files.push(path.clone());
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// One directory argument being searched.
struct Walk {
    /// The manifest files found.
    found: Vec<PathBuf>,
    /// Directories that cannot be read, and links that loop.
    errors: Vec<Diagnostic>,
    /// The real path of every directory searched for this argument: each is searched once.
    walked: HashSet<PathBuf>,
    /// The directories being searched, outermost first: real path, and path as reached.
    ancestors: Vec<(PathBuf, PathBuf)>,
}

impl Walk {
    /// Searches `dir`, in name order so that which path names a file reached twice is stable.
    fn dir(&mut self, dir: &Path) {
        let entries = std::fs::read_dir(dir).and_then(|entries| {
            entries
                .map(|entry| entry.and_then(|e| Ok((e.path(), e.file_type()?))))
                .collect::<std::io::Result<Vec<_>>>()
        });
        let mut entries = match entries {
            Ok(entries) => entries,
            Err(e) => {
                self.errors.push(Diagnostic::error(format!(
                    "cannot read directory `{}`: {e}",
                    dir.display()
                )));
                return;
            }
        };
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, kind) in entries {
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            let is_manifest = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
            // Links are followed. A link to nothing is an error whatever its name: it may have
            // named a folder of manifests, and skipping it would destroy their webhooks.
            // Whether a manifest is a regular file is checked when it is read.
            let is_dir = if kind.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(meta) => meta.is_dir(),
                    Err(e) => {
                        self.errors.push(broken_link(&path, &e));
                        continue;
                    }
                }
            } else {
                kind.is_dir()
            };
            if is_dir {
                self.subdir(&path);
            } else if is_manifest {
                self.found.push(path);
            }
        }
    }

    /// Searches the directory at `path` unless it was searched already or is one of the
    /// directories it is in (reached through a link: a loop).
    fn subdir(&mut self, path: &Path) {
        let real = canonical(path);
        if let Some((_, outer)) = self.ancestors.iter().find(|(r, _)| *r == real) {
            self.errors.push(
                Diagnostic::error(format!(
                    "symbolic link loop: `{}` leads back to `{}`, which contains it",
                    path.display(),
                    outer.display()
                ))
                .help("remove the link, or point it at a directory outside this one"),
            );
            return;
        }
        if !self.walked.insert(real.clone()) {
            return;
        }
        self.ancestors.push((real, path.to_path_buf()));
        self.dir(path);
        self.ancestors.pop();
    }
}

/// The error for the symbolic link at `path` whose target cannot be reached (`error` says why).
fn broken_link(path: &Path, error: &std::io::Error) -> Diagnostic {
    let target = std::fs::read_link(path)
        .map(|t| format!(" -> `{}`", t.display()))
        .unwrap_or_default();
    let why = if error.kind() == std::io::ErrorKind::NotFound {
        "its target does not exist".to_owned()
    } else {
        format!("its target cannot be read: {error}")
    };
    Diagnostic::error(format!(
        "broken symbolic link `{}`{target}: {why}",
        path.display()
    ))
    .help(
        "restore what the link points to, or remove the link; its manifests are not skipped, \
         because their webhooks would then be planned for deletion",
    )
}

/// Reads a manifest file: a regular file (a FIFO or a device is refused, never waited on or
/// read without end), at most [`MAX_FILE_BYTES`], UTF-8 (a byte-order mark is skipped).
fn read(path: &Path) -> Result<Arc<SourceFile>, Diagnostic> {
    let shown = path.display().to_string();
    let bytes = crate::files::read_bounded(path, MAX_FILE_BYTES).map_err(|e| match e {
        FileError::NotRegular { .. } => {
            Diagnostic::error(e.to_string()).help("manifests are read from regular files only")
        }
        FileError::TooLarge { size, limit, .. } => Diagnostic::error(format!(
            "`{shown}` is {size} bytes, larger than the limit of {limit} bytes for a manifest"
        )),
        FileError::Io { source, .. } => {
            Diagnostic::error(format!("cannot read `{shown}`: {source}"))
        }
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => {
            let text = text
                .strip_prefix('\u{feff}')
                .map(str::to_owned)
                .unwrap_or(text);
            Ok(Arc::new(SourceFile::new(shown, text)))
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // Point at the first invalid byte: in the lossy text it became U+FFFD.
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..at]).len();
            let source = Arc::new(SourceFile::new(shown, lossy));
            Err(Diagnostic::error("manifest is not valid UTF-8")
                .at(
                    &source,
                    Span::new(prefix, prefix + char::REPLACEMENT_CHARACTER.len_utf8()),
                    format!("invalid byte 0x{:02x}", e.as_bytes()[at]),
                )
                .help("save the file as UTF-8"))
        }
    }
}
