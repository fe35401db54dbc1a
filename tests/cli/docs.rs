//! The documentation holds together (issue 19): the README is a front page of at most 300
//! lines linking to the guide in `docs/`, one page per topic; every relative link in the README,
//! `CHANGELOG.md` and `docs/*.md` resolves, `#anchors` included (GitHub's heading slugs); and
//! every `apify-webhooks ...` command in their code blocks parses with the real command line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::gitops::invocations;
use crate::support::root;

/// The guide's pages, one per topic.
const PAGES: [&str; 8] = [
    "docs/manifests.md",
    "docs/plans-and-apply.md",
    "docs/ownership.md",
    "docs/export.md",
    "docs/delivery.md",
    "docs/gitops.md",
    "docs/emulator.md",
    "docs/reference.md",
];

/// The Markdown files of the documentation.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md"), root().join("CHANGELOG.md")];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// A fenced code block: its info string (language) and its lines.
struct Block {
    lang: String,
    /// The 1-based line of its first content line.
    line: usize,
    text: String,
}

/// The text outside fenced code blocks (fenced lines blanked, so line numbers hold), and the
/// blocks.
fn split_fences(text: &str) -> (String, Vec<Block>) {
    let mut prose = String::new();
    let mut blocks = Vec::new();
    let mut open: Option<(String, Block)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some(rest) = trimmed
                    .strip_prefix("```")
                    .map(|r| ("```", r))
                    .or_else(|| trimmed.strip_prefix("~~~").map(|r| ("~~~", r)))
                {
                    open = Some((
                        rest.0.to_owned(),
                        Block {
                            lang: rest.1.trim().to_owned(),
                            line: i + 2,
                            text: String::new(),
                        },
                    ));
                    prose.push('\n');
                } else {
                    prose.push_str(line);
                    prose.push('\n');
                }
            }
            Some((fence, block)) => {
                if trimmed.starts_with(fence.as_str()) {
                    blocks.push(open.take().unwrap().1);
                } else {
                    block.text.push_str(line);
                    block.text.push('\n');
                }
                prose.push('\n');
            }
        }
    }
    assert!(open.is_none(), "an unclosed code fence");
    (prose, blocks)
}

/// Removes inline code spans (`` `...` ``) from a line of prose: links shown as code are not links.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let fence = "`".repeat(ticks);
        let after = &rest[start + ticks..];
        match after.find(&fence) {
            Some(end) => rest = &after[end + ticks..],
            None => {
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The link targets of a document's prose with their line numbers: inline `[text](target)`
/// (and images) and reference definitions `[label]: target`.
fn links(prose: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, line) in prose.lines().enumerate() {
        let line = without_code_spans(line);
        let mut search = 0;
        while let Some(at) = line[search..].find("](") {
            let start = search + at + 2;
            let Some(len) = line[start..].find(')') else {
                break;
            };
            let target = line[start..start + len].trim();
            let target = target.split_whitespace().next().unwrap_or_default();
            found.push((i + 1, target.trim_matches(['<', '>']).to_owned()));
            search = start + len;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with('[')
            && let Some((label, target)) = trimmed.split_once("]: ")
            && !label.contains('(')
        {
            found.push((i + 1, target.trim().to_owned()));
        }
    }
    found
}

/// GitHub's anchor of a heading: lower case, punctuation (except `-` and `_`) removed, each
/// space a hyphen.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a document's headings, repeated ones numbered as GitHub numbers them.
fn anchors(text: &str) -> BTreeSet<String> {
    let (prose, _) = split_fences(text);
    let mut seen = BTreeSet::new();
    for line in prose.lines() {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..].replace('`', ""));
        let mut anchor = base.clone();
        let mut n = 0;
        while seen.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        seen.insert(anchor);
    }
    seen
}

/// The broken relative links of `file` (whose text is `text`), as `file:line: target: why`.
fn broken_links(file: &Path, text: &str) -> Vec<String> {
    let (prose, _) = split_fences(text);
    let mut broken = Vec::new();
    for (line, target) in links(&prose) {
        if target.is_empty()
            || target.contains("://")
            || target.starts_with("mailto:")
            || target.starts_with('/')
        {
            continue;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((p, a)) => (p, Some(a)),
            None => (target.as_str(), None),
        };
        let resolved = if path.is_empty() {
            file.to_path_buf()
        } else {
            file.parent().unwrap().join(path)
        };
        let whence = format!("{}:{line}: {target}", file.display());
        if !resolved.exists() {
            broken.push(format!("{whence}: {} does not exist", resolved.display()));
            continue;
        }
        if let Some(anchor) = anchor
            && resolved.extension().is_some_and(|e| e == "md")
            && !anchors(&std::fs::read_to_string(&resolved).unwrap()).contains(anchor)
        {
            broken.push(format!("{whence}: no heading #{anchor}"));
        }
    }
    broken
}

/// The `apify-webhooks` commands of a document's code blocks, with the line where their block
/// starts (a `$ ` line: its own line): shell
/// blocks (`sh`, `bash`, `shell` or none) and YAML (`run:` steps) as the pipelines are read,
/// and the `$ ` lines of `console` blocks (the rest of those is output).
fn commands(text: &str) -> Vec<(usize, Vec<String>)> {
    let (_, blocks) = split_fences(text);
    let mut found = Vec::new();
    for mut block in blocks {
        // `npx apify-webhooks ...` runs the command as much as `apify-webhooks ...` does.
        block.text = block.text.replace("npx apify-webhooks", "apify-webhooks");
        match block.lang.as_str() {
            "sh" | "bash" | "shell" | "" | "yaml" | "yml" => {
                for words in invocations(&block.text) {
                    found.push((block.line, words));
                }
            }
            "console" => {
                for (i, line) in block.text.lines().enumerate() {
                    if let Some(command) = line.strip_prefix("$ ") {
                        for words in invocations(command) {
                            found.push((block.line + i, words));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    found
}

#[test]
fn the_readme_is_a_front_page_linking_every_page_of_the_guide() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(lines <= 300, "README.md has {lines} lines; at most 300");
    for page in PAGES {
        assert!(root().join(page).is_file(), "{page} is missing");
        assert!(
            readme.contains(&format!("]({page}")),
            "README.md does not link {page}"
        );
    }
    // The two commands for a fresh machine, exactly.
    assert!(readme.contains("```sh\nbash scripts/demo.sh\n```"));
    assert!(readme.contains("```sh\ncargo test --locked\n```"));
    let changelog = std::fs::read_to_string(root().join("CHANGELOG.md")).unwrap();
    assert!(
        changelog.contains("\n## [Unreleased]\n"),
        "Keep a Changelog"
    );
    assert!(
        changelog.contains(&format!("\n## [{}] - ", env!("CARGO_PKG_VERSION"))),
        "the crate's version has an entry"
    );
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let mut broken = Vec::new();
    let mut count = 0;
    for file in documents() {
        let text = std::fs::read_to_string(&file).unwrap();
        let (prose, _) = split_fences(&text);
        count += links(&prose).len();
        broken.extend(broken_links(&file, &text));
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(count >= 30, "only {count} links found");
}

#[test]
fn the_link_check_has_teeth() {
    assert_eq!(slug("Will it deliver?"), "will-it-deliver");
    assert_eq!(
        slug(
            "`preview`: what the receiver will get"
                .replace('`', "")
                .as_str()
        ),
        "preview-what-the-receiver-will-get"
    );
    assert_eq!(
        slug("Fresh machine — the two commands"),
        "fresh-machine--the-two-commands"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("other.md"), "# Other\n## A B\n## A B\n").unwrap();
    let file = dir.path().join("doc.md");
    let text = "# Doc\n\
        [ok](other.md#a-b) [ok too](other.md#a-b-1) [here](#doc) ![img](other.md)\n\
        [gone](missing.md) [no anchor](other.md#nope) [self](#nope)\n\
        `[code](missing.md)` [web](https://example.com/x#y)\n\
        ```md\n[fenced](missing.md)\n```\n\
        [ref]: missing-too.md\n";
    std::fs::write(&file, text).unwrap();
    let broken = broken_links(&file, text);
    assert_eq!(broken.len(), 4, "{broken:#?}");
    for (expected, line) in [
        ("missing.md", 3),
        ("other.md#nope", 3),
        ("#nope", 3),
        ("missing-too.md", 8),
    ] {
        assert!(
            broken
                .iter()
                .any(|b| b.contains(&format!(":{line}: {expected}:"))),
            "{expected} at line {line} in {broken:#?}"
        );
    }
}

#[test]
fn every_command_in_the_docs_parses_with_the_real_command_line() {
    let mut subcommands = BTreeSet::new();
    let mut count = 0;
    let mut failures = Vec::new();
    for file in documents() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, words) in commands(&text) {
            count += 1;
            if let Err(err) = apify_webhooks::cli::parses(&words) {
                failures.push(format!(
                    "{}:{line}: `{}` does not parse:\n{err}",
                    file.display(),
                    words.join(" ")
                ));
            }
            if let Some(sub) = words.get(1) {
                subcommands.insert(sub.clone());
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for expected in [
        "validate",
        "plan",
        "apply",
        "export",
        "preview",
        "test",
        "status",
        "emulator",
        "completions",
        "man",
    ] {
        assert!(
            subcommands.contains(expected),
            "no `apify-webhooks {expected}` in the docs' code blocks ({subcommands:?})"
        );
    }
    assert!(count >= 20, "only {count} commands found");
    // Output in a console block is not a command; a `$ ` line is.
    let sample = "```console\n$ apify-webhooks plan --bogus\napify-webhooks 0.1.0\n```\n";
    let found = commands(sample);
    assert_eq!(
        found.len(),
        1,
        "{:?}",
        found.iter().map(|f| &f.1).collect::<Vec<_>>()
    );
    assert!(apify_webhooks::cli::parses(&found[0].1).is_err());
}
