//! YAML text to a located tree. The saphyr parser's event stream is folded into [`Node`]s that
//! remember their byte span, so every later check (schema, types, semantics) can point at the
//! exact place in the file. Manifests need only plain YAML, so the features that make YAML
//! surprising are refused here with a location: anchors and aliases (which also rules out
//! "billion laughs" expansion), merge keys, custom tags, duplicate keys, non-string keys and
//! multi-document files. Depth and scalar size are bounded, and the tree is built without
//! recursion, so hostile input cannot overflow the stack.

use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Tag};
use serde_json::{Map, Number, Value};

use crate::diagnostic::{Diagnostic, SourceFile, Span, shown};

/// The deepest nesting of sequences and mappings accepted.
pub const MAX_DEPTH: usize = 64;
/// The largest single scalar accepted, in bytes.
pub const MAX_SCALAR_BYTES: usize = 1024 * 1024;

/// A YAML node with the byte span it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub value: NodeValue,
    /// Where it is in the file.
    pub span: Span,
    /// How a scalar was written (plain, quoted, block); `None` for collections.
    pub style: Option<ScalarStyle>,
}

/// The value of a [`Node`], resolved with the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    String(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order.
    Map(Vec<Entry>),
}

/// One `key: value` of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key, as written.
    pub key: String,
    /// Where the key is.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

impl Node {
    /// The node at JSON pointer `pointer` (`/actors/apify~1web-scraper/0/key`), with the span of
    /// the key that leads to it when its parent is a mapping.
    pub fn lookup(&self, pointer: &str) -> Option<(&Node, Option<Span>)> {
        let mut node = self;
        let mut key_span = None;
        if pointer.is_empty() {
            return Some((node, None));
        }
        for raw in pointer.strip_prefix('/')?.split('/') {
            let segment = raw.replace("~1", "/").replace("~0", "~");
            match &node.value {
                NodeValue::Map(entries) => {
                    let entry = entries.iter().find(|e| e.key == segment)?;
                    key_span = Some(entry.key_span);
                    node = &entry.value;
                }
                NodeValue::Seq(items) => {
                    node = items.get(segment.parse::<usize>().ok()?)?;
                    key_span = None;
                }
                _ => return None,
            }
        }
        Some((node, key_span))
    }

    /// The span of bytes `offset..offset + len` of this string scalar's value, mapped back into
    /// the file: exact for single-line plain and quoted scalars and for literal blocks (`|`),
    /// the whole scalar otherwise.
    pub fn sub_span(&self, source: &SourceFile, offset: usize, len: usize) -> Span {
        let NodeValue::String(value) = &self.value else {
            return self.span;
        };
        let raw = &source.text()[self.span.start..self.span.end.min(source.text().len())];
        let mapped = match self.style {
            Some(ScalarStyle::Literal) => literal_offset(source, self.span.start, value, offset),
            Some(ScalarStyle::Plain) if !raw.contains('\n') => Some(self.span.start + offset),
            Some(style @ (ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted))
                if !raw.contains('\n') =>
            {
                quoted_offset(raw, value, offset, style).map(|o| self.span.start + o)
            }
            _ => None,
        };
        match mapped {
            Some(start) => {
                let end = match self.style {
                    Some(style @ (ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted)) => {
                        quoted_offset(raw, value, (offset + len).min(value.len()), style)
                            .map_or(start + 1, |o| self.span.start + o)
                    }
                    _ => start + len,
                };
                Span::new(start, end.min(source.text().len()))
            }
            None => self.span,
        }
    }

    /// The entries of a mapping node, or none.
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            NodeValue::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The node as JSON. Fails on floats JSON cannot represent (`.inf`, `.nan`).
    pub fn to_json(&self, source: &Arc<SourceFile>) -> Result<Value, Diagnostic> {
        Ok(match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::Number((*i).into()),
            NodeValue::Float(f) => Value::Number(Number::from_f64(*f).ok_or_else(|| {
                Diagnostic::error(format!("`{f}` cannot be represented in JSON")).at(
                    source,
                    self.span,
                    "not a finite number",
                )
            })?),
            NodeValue::String(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(
                items
                    .iter()
                    .map(|n| n.to_json(source))
                    .collect::<Result<_, _>>()?,
            ),
            NodeValue::Map(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for e in entries {
                    map.insert(e.key.clone(), e.value.to_json(source)?);
                }
                Value::Object(map)
            }
        })
    }
}

/// Where value byte `offset` of a one-line quoted scalar is in its source `raw` (quotes
/// included), walking escapes (`\\x..`, `\\u....`, `''`) in step with the value.
fn quoted_offset(raw: &str, value: &str, offset: usize, style: ScalarStyle) -> Option<usize> {
    let mut ri = 1; // after the opening quote
    let mut vi = 0;
    let bytes = raw.as_bytes();
    while vi < offset {
        let vc = value[vi..].chars().next()?;
        let step = match (style, bytes.get(ri)?) {
            (ScalarStyle::DoubleQuoted, b'\\') => match bytes.get(ri + 1)? {
                b'x' => 4,
                b'u' => 6,
                b'U' => 10,
                _ => 2,
            },
            (ScalarStyle::SingleQuoted, b'\'') => 2,
            _ => raw[ri..].chars().next()?.len_utf8(),
        };
        ri += step;
        vi += vc.len_utf8();
    }
    Some(ri)
}

/// Where value byte `offset` of a literal block scalar starting at `start` is in the file.
fn literal_offset(source: &SourceFile, start: usize, value: &str, offset: usize) -> Option<usize> {
    // The parser's span of a block scalar starts at its indicator (`|`) or at its content.
    let (line, _) = source.line_col(start);
    let header_line = if source.text()[start..].starts_with('|') {
        line
    } else {
        line - 1
    };
    let value_line = value[..offset].matches('\n').count();
    let line_start = value[..offset].rfind('\n').map_or(0, |i| i + 1);
    let col = value[line_start..offset].chars().count();
    let indent = (header_line + 1..=source.line_count())
        .map(|l| source.line_text(l))
        .find(|t| !t.trim().is_empty())
        .map(|t| t.len() - t.trim_start_matches(' ').len())?;
    Some(source.offset(header_line + 1 + value_line, indent + col))
}

/// A collection being built.
enum Frame {
    Seq {
        start: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        entries: Vec<Entry>,
        /// The key whose value comes next, and whether to keep the entry (a repeated key or a
        /// merge key is reported and dropped).
        key: Option<(String, Span, bool)>,
        seen: HashMap<String, Span>,
    },
}

/// A parsed document and the problems found that still left a usable tree (anchors, repeated
/// and merge keys, whose entries are dropped).
pub type Parsed = (Option<Node>, Vec<Diagnostic>);

/// Parses the one YAML document of `source`: `Ok` with the tree (`None` when the file holds no
/// document or an empty one) and the problems that left it usable, so later checks can still
/// run; `Err` with every problem found when the tree cannot be trusted (syntax, aliases, tags,
/// limits).
pub fn parse(source: &Arc<SourceFile>) -> Result<Parsed, Vec<Diagnostic>> {
    let mut builder = Builder {
        source,
        stack: Vec::new(),
        root: None,
        errors: Vec::new(),
        documents: 0,
        fatal: false,
    };
    for item in Parser::new_from_str(source.text()) {
        match item {
            Ok((event, span)) => {
                let span = builder.span(span.start, span.end);
                if builder.event(event, span).is_break() {
                    break;
                }
            }
            Err(err) => {
                builder.errors.push(scan_error(source, &err));
                builder.fatal = true;
                break;
            }
        }
    }
    if builder.fatal {
        Err(builder.errors)
    } else {
        Ok((builder.root, builder.errors))
    }
}

fn scan_error(source: &Arc<SourceFile>, err: &ScanError) -> Diagnostic {
    let at = marker_offset(source, err.marker());
    Diagnostic::error(format!("invalid YAML: {}", err.info())).at(source, Span::new(at, at), "")
}

fn marker_offset(source: &SourceFile, marker: &Marker) -> usize {
    source.offset(marker.line(), marker.col())
}

struct Builder<'s> {
    source: &'s Arc<SourceFile>,
    stack: Vec<Frame>,
    root: Option<Node>,
    errors: Vec<Diagnostic>,
    documents: usize,
    /// Whether an error makes the tree untrustworthy.
    fatal: bool,
}

type Flow = std::ops::ControlFlow<()>;

impl Builder<'_> {
    fn span(&self, start: Marker, end: Marker) -> Span {
        Span::new(
            marker_offset(self.source, &start),
            marker_offset(self.source, &end),
        )
    }

    /// Reports an error after which the tree cannot be trusted.
    fn error(&mut self, span: Span, message: impl Into<String>, label: &str) {
        self.fatal = true;
        self.errors
            .push(Diagnostic::error(message).at(self.source, span, label));
    }

    /// Reports an error that leaves the tree usable.
    fn recoverable(&mut self, span: Span, message: impl Into<String>, label: &str) {
        self.errors
            .push(Diagnostic::error(message).at(self.source, span, label));
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Flow {
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    self.error(
                        span,
                        "a manifest file holds one YAML document",
                        "a second document starts here",
                    );
                    return Flow::Break(());
                }
            }
            Event::Alias(_) => {
                self.error(span, "aliases are not supported in manifests", "alias");
                self.push(Node {
                    value: NodeValue::Null,
                    span,
                    style: None,
                });
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.refuse_anchor(anchor, span);
                if text.len() > MAX_SCALAR_BYTES {
                    self.error(
                        span,
                        format!("scalar of {} bytes is larger than the limit of {MAX_SCALAR_BYTES} bytes", text.len()),
                        "too large",
                    );
                    return Flow::Break(());
                }
                if let Some(Frame::Map {
                    key: key @ None,
                    seen,
                    ..
                }) = self.stack.last_mut()
                {
                    // A mapping key: kept as written; a repeated one is dropped after the report.
                    let first = seen.get(text.as_ref()).copied();
                    if first.is_none() {
                        seen.insert(text.to_string(), span);
                    }
                    let merge = style == ScalarStyle::Plain && text == "<<";
                    *key = Some((text.to_string(), span, first.is_none() && !merge));
                    if let Some(first) = first {
                        self.errors.push(
                            Diagnostic::error(format!("duplicate key `{}`", shown(&text)))
                                .at(self.source, span, "duplicate key")
                                .related(self.source, first, "first defined here"),
                        );
                    }
                    if merge {
                        self.recoverable(
                            span,
                            "merge keys (`<<`) are not supported in manifests",
                            "merge key",
                        );
                    } else if tag.is_some_and(|t| !is_core(&t, "str")) {
                        self.error(span, "mapping keys must be strings", "not a string key");
                    }
                    return Flow::Continue(());
                }
                let value = self.resolve(&text, style, tag.as_deref(), span);
                self.push(Node {
                    value,
                    span,
                    style: Some(style),
                });
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag)
                if self.stack.len() >= MAX_DEPTH =>
            {
                let _ = (anchor, tag);
                self.error(
                    span,
                    format!("nesting deeper than {MAX_DEPTH} levels"),
                    "too deep",
                );
                return Flow::Break(());
            }
            Event::SequenceStart(anchor, tag) => {
                self.refuse_anchor(anchor, span);
                self.refuse_tag(tag.as_deref(), "seq", span);
                self.refuse_collection_key(span);
                self.stack.push(Frame::Seq {
                    start: span.start,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.refuse_anchor(anchor, span);
                self.refuse_tag(tag.as_deref(), "map", span);
                self.refuse_collection_key(span);
                self.stack.push(Frame::Map {
                    start: span.start,
                    entries: Vec::new(),
                    key: None,
                    seen: HashMap::new(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Seq { start, items }) => Node {
                        value: NodeValue::Seq(items),
                        span: Span::new(start, span.end),
                        style: None,
                    },
                    Some(Frame::Map { start, entries, .. }) => Node {
                        value: NodeValue::Map(entries),
                        span: Span::new(start, span.end),
                        style: None,
                    },
                    None => return Flow::Break(()),
                };
                self.push(node);
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Flow::Continue(())
    }

    fn refuse_anchor(&mut self, anchor: usize, span: Span) {
        if anchor != 0 {
            self.recoverable(span, "anchors are not supported in manifests", "anchor");
        }
    }

    fn refuse_tag(&mut self, tag: Option<&Tag>, core: &str, span: Span) {
        if let Some(tag) = tag
            && !is_core(tag, core)
        {
            self.error(
                span,
                format!(
                    "tag `{}{}` is not supported in manifests",
                    shown(&tag.handle),
                    shown(&tag.suffix)
                ),
                "tag",
            );
        }
    }

    /// A collection where a mapping key is expected (`? [a, b] : c`).
    fn refuse_collection_key(&mut self, span: Span) {
        if let Some(Frame::Map {
            key: key @ None, ..
        }) = self.stack.last_mut()
        {
            *key = Some((String::new(), span, false));
            self.error(span, "mapping keys must be strings", "not a string key");
        }
    }

    fn push(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => {
                if let Some((key, key_span, true)) = key.take() {
                    entries.push(Entry {
                        key,
                        key_span,
                        value: node,
                    });
                }
            }
        }
    }

    /// Resolves a scalar with the YAML 1.2 core schema (or its explicit core tag).
    fn resolve(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: Span,
    ) -> NodeValue {
        let Some(tag) = tag else {
            return if style == ScalarStyle::Plain {
                resolve_plain(text)
            } else {
                NodeValue::String(text.to_owned())
            };
        };
        let resolved = if tag.is_yaml_core_schema() {
            match tag.suffix.as_str() {
                "str" => Some(NodeValue::String(text.to_owned())),
                "null" => matches!(resolve_plain(text), NodeValue::Null).then_some(NodeValue::Null),
                "bool" => match resolve_plain(text) {
                    v @ NodeValue::Bool(_) => Some(v),
                    _ => None,
                },
                "int" => match resolve_plain(text) {
                    v @ NodeValue::Int(_) => Some(v),
                    _ => None,
                },
                "float" => match resolve_plain(text) {
                    v @ NodeValue::Float(_) => Some(v),
                    #[allow(clippy::cast_precision_loss)]
                    NodeValue::Int(i) => Some(NodeValue::Float(i as f64)),
                    _ => None,
                },
                _ => None,
            }
        } else {
            None
        };
        resolved.unwrap_or_else(|| {
            self.error(
                span,
                format!(
                    "tag `{}{}` is not supported here",
                    shown(&tag.handle),
                    shown(&tag.suffix)
                ),
                "tag",
            );
            NodeValue::Null
        })
    }
}

fn is_core(tag: &Tag, suffix: &str) -> bool {
    tag.is_yaml_core_schema() && tag.suffix == suffix
}

/// The YAML 1.2 core schema for plain scalars: null, booleans, integers, floats, else a string.
/// (YAML 1.1's `yes`/`no`/`on`/`off` are strings, as in YAML 1.2.)
fn resolve_plain(text: &str) -> NodeValue {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return NodeValue::Null,
        "true" | "True" | "TRUE" => return NodeValue::Bool(true),
        "false" | "False" | "FALSE" => return NodeValue::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return NodeValue::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return NodeValue::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return NodeValue::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return NodeValue::Int(i);
        }
    } else if let Some(oct) = text.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return NodeValue::Int(i);
        }
    } else if is_decimal_int(text) {
        return text
            .parse()
            .map_or_else(|_| float_or_string(text), NodeValue::Int);
    } else if is_float(text) {
        return float_or_string(text);
    }
    NodeValue::String(text.to_owned())
}

fn float_or_string(text: &str) -> NodeValue {
    text.parse()
        .map_or_else(|_| NodeValue::String(text.to_owned()), NodeValue::Float)
}

/// `[-+]?[0-9]+`
fn is_decimal_int(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(frac) => digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty()),
        None => !int.is_empty() && digits(int),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> Arc<SourceFile> {
        Arc::new(SourceFile::new("t.yaml", text))
    }

    fn parse_ok(text: &str) -> (Arc<SourceFile>, Node) {
        let s = src(text);
        let (node, problems) = parse(&s).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        (s, node.unwrap())
    }

    /// Every problem, recoverable or not.
    fn errors(text: &str) -> Vec<String> {
        let problems = match parse(&src(text)) {
            Ok((_, problems)) | Err(problems) => problems,
        };
        problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn scalars_resolve_with_the_core_schema() {
        let (s, n) = parse_ok(
            "a: 1\nb: -2.5\nc: true\nd: ~\ne: yes\nf: '1'\ng: 0x1F\nh: 1e3\ni: 12abc\nj: !!str 5\n",
        );
        assert_eq!(
            n.to_json(&s).unwrap(),
            serde_json::json!({"a": 1, "b": -2.5, "c": true, "d": null, "e": "yes", "f": "1",
                               "g": 31, "h": 1000.0, "i": "12abc", "j": "5"})
        );
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "version: 1\nactors:\n  apify/x:\n    - key: \"abc\"\n";
        let (s, n) = parse_ok(text);
        let (node, key) = n.lookup("/actors/apify~1x/0/key").unwrap();
        assert_eq!(&s.text()[node.span.start..node.span.end], "\"abc\"");
        let key = key.unwrap();
        assert_eq!(&s.text()[key.start..key.end], "key");
        assert_eq!(s.line_col(node.span.start), (4, 12));
    }

    #[test]
    fn sub_spans_map_value_offsets_back_into_the_file() {
        let text = "a: plain ${X} end\nb: \"q\\u00e9 ${X}\"\nc: 'it''s ${X}'\nd: |\n  {\"k\":\n    ${X}}\ne: 1\n";
        let (s, n) = parse_ok(text);
        for (key, expect_line, expect_col) in
            [("a", 1, 10), ("b", 2, 13), ("c", 3, 11), ("d", 6, 5)]
        {
            let (node, _) = n.lookup(&format!("/{key}")).unwrap();
            let NodeValue::String(v) = &node.value else {
                panic!()
            };
            let off = v.find("${X}").unwrap();
            let span = node.sub_span(&s, off, 4);
            assert_eq!(s.line_col(span.start), (expect_line, expect_col), "{key}");
            assert_eq!(&s.text()[span.start..=span.start], "$", "{key}");
        }
    }

    #[test]
    fn duplicate_keys_name_both_places_and_keep_the_first() {
        let s = src("a: 1\nb: 2\na: 3\n");
        let (node, errs) = parse(&s).unwrap();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].to_string(), "t.yaml:3:1: duplicate key `a`");
        assert_eq!(errs[0].related[0].location(), "t.yaml:1:1");
        assert_eq!(
            node.unwrap().to_json(&s).unwrap(),
            serde_json::json!({"a": 1, "b": 2})
        );
    }

    #[test]
    fn anchors_and_merge_keys_leave_a_usable_tree_aliases_and_tags_do_not() {
        let s = src("a: &x 1\nb:\n  <<: {c: 1}\n  d: 2\n");
        let (node, errs) = parse(&s).unwrap();
        assert_eq!(errs.len(), 2);
        assert_eq!(
            node.unwrap().to_json(&s).unwrap(),
            serde_json::json!({"a": 1, "b": {"d": 2}})
        );
        assert!(parse(&src("a: &x 1\nb: *x\n")).is_err());
        assert!(parse(&src("a: !custom 1\n")).is_err());
    }

    #[test]
    fn anchors_aliases_merge_keys_and_tags_are_refused() {
        assert_eq!(
            errors("a: &x 1\nb: *x\n"),
            [
                "t.yaml:1:4: anchors are not supported in manifests",
                "t.yaml:2:4: aliases are not supported in manifests"
            ]
        );
        assert_eq!(
            errors("a:\n  <<: {b: 1}\n"),
            ["t.yaml:2:3: merge keys (`<<`) are not supported in manifests"]
        );
        assert_eq!(
            errors("a: !custom 1\n"),
            ["t.yaml:1:4: tag `!custom` is not supported here"]
        );
    }

    #[test]
    fn a_second_document_is_refused() {
        assert_eq!(
            errors("a: 1\n---\nb: 2\n"),
            ["t.yaml:2:1: a manifest file holds one YAML document"]
        );
    }

    #[test]
    fn empty_input_has_no_document() {
        assert_eq!(parse(&src("")).unwrap(), (None, Vec::new()));
        assert_eq!(
            parse(&src("# only a comment\n")).unwrap(),
            (None, Vec::new())
        );
    }

    #[test]
    fn syntax_errors_have_a_location() {
        let errs = errors("a: [1, 2\nb: 3\n");
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("t.yaml:"), "{errs:?}");
        assert!(errs[0].contains("invalid YAML"), "{errs:?}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        let errs = errors(&deep);
        // The scanner looks ahead in flow collections and has its own limit.
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].contains("recursion limit") || errs[0].contains("nesting deeper"),
            "{errs:?}"
        );
        let flow = format!("{}1{}", "[".repeat(70), "]".repeat(70));
        assert_eq!(
            errors(&flow),
            ["t.yaml:1:65: nesting deeper than 64 levels"]
        );
        let block: String = (0..200).map(|i| "  ".repeat(i) + "k:\n").collect();
        assert!(errors(&block)[0].contains("nesting deeper than 64 levels"));
    }

    #[test]
    fn huge_scalars_are_refused() {
        let text = format!("a: {}\n", "x".repeat(MAX_SCALAR_BYTES + 1));
        assert!(errors(&text)[0].contains("larger than the limit"));
    }

    #[test]
    fn infinite_floats_do_not_become_json() {
        let (s, n) = parse_ok("a: .inf\n");
        assert!(
            n.to_json(&s)
                .unwrap_err()
                .message
                .contains("cannot be represented in JSON")
        );
    }
}
