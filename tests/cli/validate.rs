//! `validate`: the golden diagnostics of invalid manifests, colour handling, and warnings for
//! unset variables.

use std::path::Path;

use crate::support::{bin, root, run, run_in};

/// The golden cases: every entry of `tests/fixtures/invalid/` but the `.args` files.
fn golden_cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("tests/fixtures/invalid"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| Path::new(n).extension().is_none_or(|e| e != "args"))
        .collect();
    names.sort();
    names
}

const GOLDEN: &str = "cli__validate__invalid_manifests_render_exact_diagnostics";

/// Every entry of `tests/fixtures/invalid/` (a file, or a directory for mistakes that span files)
/// is validated; the exact stderr is snapshotted and the exit code must be 65. An optional
/// `<name>.args` file holds extra arguments, one per line.
#[test]
fn invalid_manifests_render_exact_diagnostics() {
    let dir = root().join("tests/fixtures/invalid");
    let mut count = 0;
    // `?*`, not `*`: insta matches the pattern against paths relative to the folder, and `*`
    // also matches the folder itself (the empty path), which is not a case.
    insta::glob!("../fixtures/invalid", "?*", |path| {
        if path.extension().is_some_and(|e| e == "args") {
            return;
        }
        count += 1;
        let name = path.file_name().unwrap().to_str().unwrap();
        let extra = std::fs::read_to_string(dir.join(format!("{name}.args"))).unwrap_or_default();
        let mut args = vec!["validate".to_owned()];
        args.extend(extra.lines().filter(|l| !l.is_empty()).map(str::to_owned));
        args.push(name.to_owned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_in(&dir, &args);
        assert_eq!(out.code, 65, "{name}: expected exit 65\n{}", out.stderr);
        assert!(
            out.stdout.is_empty(),
            "{name}: nothing on stdout, got {}",
            out.stdout
        );
        insta::assert_snapshot!(out.stderr);
    });
    assert_eq!(
        count,
        golden_cases().len(),
        "the glob runs exactly the cases of tests/fixtures/invalid"
    );
    assert!(
        count >= 30,
        "the golden suite has {count} cases; it should cover every kind of mistake"
    );
}

/// Each golden snapshot belongs to a case: a renamed or removed case (or a glob that matches
/// something else) leaves no snapshot behind that looks like coverage.
#[test]
fn every_golden_snapshot_has_its_case() {
    let cases = golden_cases();
    let snapshots = root().join("tests/cli/snapshots");
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(&snapshots).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(rest) = name.strip_prefix(GOLDEN) else {
            continue;
        };
        let case = rest
            .strip_prefix('@')
            .and_then(|r| r.strip_suffix(".snap"))
            .unwrap_or_default();
        if !cases.iter().any(|c| c == case) {
            orphans.push(name);
        }
    }
    assert!(
        orphans.is_empty(),
        "snapshots without a case in tests/fixtures/invalid: {orphans:?}"
    );
}

#[test]
fn valid_manifest_prints_a_summary_and_warns_about_unset_variables() {
    let out = run(bin()
        .arg("validate")
        .arg(root().join("tests/fixtures/valid/secrets.yaml"))
        .env_remove("HOOK_TOKEN"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "Valid: 2 webhooks in 1 file (owner `default`).\n"
    );
    assert!(
        out.stderr
            .contains("warning: environment variable `HOOK_TOKEN` is not set"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("secrets.yaml:7:"),
        "the warning points at the reference: {}",
        out.stderr
    );

    let set = run(bin()
        .arg("validate")
        .arg(root().join("tests/fixtures/valid/secrets.yaml"))
        .env("HOOK_TOKEN", "x"));
    assert_eq!(set.code, 0);
    assert!(!set.stderr.contains("warning"), "{}", set.stderr);
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let file = root().join("tests/fixtures/invalid/unknown-field.yaml");
    let plain = run(bin().arg("validate").arg(&file));
    assert!(
        !plain.stderr.contains('\u{1b}'),
        "NO_COLOR output has no escapes"
    );
    let forced = run(bin().args(["--color", "always", "validate"]).arg(&file));
    assert!(
        forced.stderr.contains("\u{1b}["),
        "--color always colours even when not a terminal"
    );
    let never = run(bin()
        .args(["--color", "never", "validate"])
        .arg(&file)
        .env_remove("NO_COLOR"));
    assert!(!never.stderr.contains('\u{1b}'));
}

#[test]
fn a_missing_path_and_an_empty_directory_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_in(tmp.path(), &["validate", "nope.yaml"]);
    assert_eq!(out.code, 65);
    assert_eq!(
        out.stderr,
        "error: `nope.yaml` does not exist\n\nerror: 1 error\n"
    );
    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    std::fs::write(tmp.path().join("empty/readme.md"), "not a manifest").unwrap();
    let out = run_in(tmp.path(), &["validate", "empty"]);
    assert_eq!(out.code, 65);
    assert!(
        out.stderr
            .starts_with("error: no manifests in directory `empty`\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn directories_are_searched_recursively_in_sorted_order() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |rel: &str, key: &str| {
        let path = tmp.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            path,
            format!("version: 1\nactors:\n  a/b:\n    - key: {key}\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: https://e.com\n"),
        )
        .unwrap();
    };
    write("b.yaml", "same");
    write("a/z.yml", "same");
    write(".hidden/x.yaml", "same");
    std::fs::write(tmp.path().join("notes.txt"), "ignored").unwrap();
    let out = run_in(tmp.path(), &["validate", "."]);
    assert_eq!(out.code, 65);
    // a/z.yml sorts before b.yaml, so the duplicate is reported in b.yaml; .hidden is skipped.
    assert!(out.stderr.contains("--> ./b.yaml:4:12"), "{}", out.stderr);
    assert!(out.stderr.contains("::: ./a/z.yml:4:12"), "{}", out.stderr);
    assert!(!out.stderr.contains(".hidden"), "{}", out.stderr);
}

#[test]
fn usage_errors_exit_64() {
    let out = run(bin().args(["validate", "--no-such-flag"]));
    assert_eq!(out.code, 64);
    let out = run(bin().args(["validate", "--owner", "bad owner!", "x"]));
    assert_eq!(out.code, 64);
    assert!(
        out.stderr.contains("an owner is 1 to 64 characters"),
        "{}",
        out.stderr
    );
}

#[test]
fn schema_prints_the_committed_schema() {
    let out = run(bin().arg("schema"));
    assert_eq!(out.code, 0);
    let committed = std::fs::read_to_string(root().join("schemas/manifest.schema.json")).unwrap();
    assert_eq!(out.stdout, committed);
    assert!(Path::new(&root().join("schemas/manifest.schema.json")).exists());
}

/// Every entry of `tests/fixtures/warnings/` is valid but has placeholders that cannot resolve
/// for its webhook's events: the exact warnings are snapshotted, the exit code stays 0, and
/// `-q` leaves them out.
#[test]
fn event_aware_warnings_render_exact_diagnostics() {
    let dir = root().join("tests/fixtures/warnings");
    let mut count = 0;
    insta::glob!("../fixtures/warnings", "*.yaml", |path| {
        count += 1;
        let name = path.file_name().unwrap().to_str().unwrap();
        let out = run_in(&dir, &["validate", name]);
        assert_eq!(out.code, 0, "{name}: warnings keep exit 0\n{}", out.stderr);
        assert!(out.stdout.starts_with("Valid: "), "{name}: {}", out.stdout);
        assert!(
            out.stderr.contains("warning: `{{"),
            "{name}: expected warnings\n{}",
            out.stderr
        );
        insta::assert_snapshot!(out.stderr);
        let quiet = run_in(&dir, &["-q", "validate", name]);
        assert_eq!(quiet.code, 0);
        assert!(quiet.stderr.is_empty(), "{name}: -q: {}", quiet.stderr);
    });
    assert_eq!(count, 4, "one case per kind of warning");
}

/// Hostile names (issue 16 item 6): file names and keys with CR, LF, NEL, ESC and other
/// control characters, each trying to start a GitHub workflow command of its own.
fn hostile_manifests() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let entry = |key: &str| {
        format!(
            "version: 1\nactors:\n  acme/web-scraper:\n    - key: {key}\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: https://hooks.example.com/x\n"
        )
    };
    let files = [
        // A file name with a line feed; an invalid key in it.
        ("c\n::warning file=x::INJ.yaml", entry("\"bad key\"")),
        // A key with a bare CR in single quotes, echoed as it is in the source line.
        ("key-cr.yaml", entry("'bad key\r::warning::INJ'")),
        // A key with a CR, a NEL and an ESC from escapes in double quotes, and a field whose
        // name carries a line feed and DEL.
        (
            "key-escapes.yaml",
            entry("\"k\\r::warning::A\\N::warning::B\\e]0;x\\a\"")
                + "      \"x\\n::error::C\\x7f\": 1\n",
        ),
        // A file name with a CR and a vertical tab, and a raw ESC and vertical tab in a
        // comment on a line with an error.
        (
            "d\r::error::INJ\x0b.yaml",
            "version: 1\nbogus: 1 # \x1b[2J\x0b::notice::D\n".to_owned(),
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// The lines of `text` that a GitHub runner would read as workflow commands: it splits lines at
/// CR and LF and trims leading whitespace.
fn workflow_commands(text: &str) -> Vec<&str> {
    text.split(['\n', '\r'])
        .map(str::trim_start)
        .filter(|l| l.starts_with("::"))
        .collect()
}

#[test]
fn hostile_file_names_and_keys_cannot_start_a_workflow_command_in_any_format() {
    let dir = hostile_manifests();
    for format in ["text", "json", "github"] {
        let out = run_in(dir.path(), &["validate", "--format", format, "."]);
        assert_eq!(out.code, 65, "{format}: {}", out.stderr);
        // Every control character but the line feeds the tool writes is escaped.
        for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let raw: Vec<char> = text
                .chars()
                .filter(|&c| c != '\n' && (c.is_control() || c == '\u{2028}'))
                .collect();
            assert!(raw.is_empty(), "{format} {stream}: {raw:?} in\n{text}");
        }
        assert_eq!(
            workflow_commands(&out.stderr),
            Vec::<&str>::new(),
            "{format}"
        );
        let commands = workflow_commands(&out.stdout);
        if format == "github" {
            // One per diagnostic, each the tool's own.
            assert!(commands.len() >= 4, "{}", out.stdout);
            for command in &commands {
                assert!(
                    command.starts_with("::error file=") || command.starts_with("::warning file="),
                    "{command}"
                );
                assert!(
                    command.contains(",title=apify-webhooks validate::"),
                    "{command}"
                );
            }
            assert_eq!(commands.len(), out.stdout.lines().count(), "{}", out.stdout);
        } else {
            assert_eq!(commands, Vec::<&str>::new(), "{format}");
        }
        if format == "json" {
            let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
            // JSON escaping keeps the names exact.
            let files: Vec<&str> = doc["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|d| d["location"]["file"].as_str())
                .collect();
            assert!(
                files.contains(&"./c\n::warning file=x::INJ.yaml"),
                "{files:?}"
            );
        }
    }
    // The names are shown escaped, where they are.
    let out = run_in(dir.path(), &["validate", "."]);
    for shown in [
        "--> ./c\\n::warning file=x::INJ.yaml:4:12",
        "--> ./d\\r::error::INJ\\u{b}.yaml:",
        "'bad key\\r::warning::INJ'",
        "bogus: 1 # \\u{1b}[2J\\u{b}::notice::D",
    ] {
        assert!(out.stderr.contains(shown), "{shown} in\n{}", out.stderr);
    }
    // `plan` reports the same diagnostics before it needs a token.
    let out = run_in(dir.path(), &["plan", "--local", "."]);
    assert_eq!(out.code, 65, "{}", out.stderr);
    assert_eq!(workflow_commands(&out.stderr), Vec::<&str>::new());
    assert_eq!(workflow_commands(&out.stdout), Vec::<&str>::new());
}
