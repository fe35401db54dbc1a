//! GitOps, ready to copy (issue 12): the example pipelines, the action, the release and smoke
//! workflows and the Dockerfile are valid for their CI systems and hadolint; every
//! `apify-webhooks` invocation in them parses with the real clap definition; the GitHub
//! pipeline's steps run end to end against the emulator; completions load in the installed
//! shells; the man page renders; the live smoke test runs only when asked to.
//!
//! The checkers are installed by `scripts/gitops-tools.sh` (pinned, into `target/`). Under
//! `CI=true` a checker that cannot be installed fails the test; elsewhere the test says why it
//! skipped.

#![allow(
    clippy::print_stderr,
    reason = "a test that skips part of its work says so on stderr"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::support::emulator::{Background, TOKEN, config};
use crate::support::{LEAK_MARKER_ENV, Output, bin, leak_marker, leaked_after, on_ci, root, run};

/// A check that cannot run here: fails on CI (`.ci/run` installs the shells and `man` with
/// `scripts/gitops-tools.sh --shells`), says so elsewhere.
fn skip(why: &str) {
    assert!(!on_ci(), "on CI every check runs: {why}");
    eprintln!("SKIPPED {why}");
}

/// The directory of the installed checkers, or why there is none.
pub fn tools() -> Option<&'static Path> {
    static TOOLS: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let tools = TOOLS.get_or_init(|| {
        let out = run(Command::new("bash").arg(root().join("scripts/gitops-tools.sh")));
        if out.code == 0 {
            Ok(PathBuf::from(out.stdout.trim()))
        } else {
            Err(format!("exit {}: {}", out.code, out.stderr))
        }
    });
    match tools {
        Ok(dir) => Some(dir),
        Err(why) if on_ci() => {
            panic!("on CI the GitOps checkers must install (scripts/gitops-tools.sh): {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED: the GitOps checkers could not be installed (no registry?): {why}");
            None
        }
    }
}

/// Runs checker `tool` of the tools directory with `args` in the repository root.
fn check(tools: &Path, tool: &str, args: &[&str]) -> Output {
    run(Command::new(tools.join(tool))
        .args(args)
        .current_dir(root()))
}

fn workflows() -> Vec<String> {
    let mut files = Vec::new();
    for dir in [
        ".github/workflows",
        "examples/gitops/github/.github/workflows",
    ] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                files.push(path.strip_prefix(root()).unwrap().display().to_string());
            }
        }
    }
    files.sort();
    assert!(files.len() >= 5, "workflows found: {files:?}");
    files
}

const GITLAB_CI: &str = "examples/gitops/gitlab/.gitlab-ci.yml";

#[test]
#[cfg_attr(
    windows,
    ignore = "the checkers are installed by a bash script (scripts/gitops-tools.sh) into a POSIX venv layout"
)]
fn pipelines_the_action_and_the_dockerfile_are_valid_for_their_ci_systems() {
    let Some(tools) = tools() else { return };
    let workflows = workflows();
    let mut args = vec!["--builtin-schema", "vendor.github-workflows"];
    args.extend(workflows.iter().map(String::as_str));
    let out = check(tools, "check-jsonschema", &args);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = check(
        tools,
        "check-jsonschema",
        &["--builtin-schema", "vendor.github-actions", "action.yml"],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = check(
        tools,
        "check-jsonschema",
        &["--builtin-schema", "vendor.gitlab-ci", GITLAB_CI],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    for file in workflows.iter().map(String::as_str).chain(["action.yml"]) {
        let out = check(tools, "action-validator", &[file]);
        assert_eq!(out.code, 0, "{file}: {}{}", out.stdout, out.stderr);
    }
    let out = check(tools, "hadolint", &["Dockerfile"]);
    assert_eq!(
        out.code, 0,
        "hadolint Dockerfile: {}{}",
        out.stdout, out.stderr
    );
}

/// The pipeline scripts pass shellcheck (they are what CI runs).
#[test]
#[cfg_attr(
    windows,
    ignore = "the checkers are installed by a bash script (scripts/gitops-tools.sh) into a POSIX venv layout"
)]
fn the_pipeline_scripts_pass_shellcheck() {
    let Some(tools) = tools() else { return };
    let mut scripts: Vec<String> = pipeline_files()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .map(|p| p.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    scripts.push("scripts/gitops-tools.sh".to_owned());
    scripts.push("scripts/package.sh".to_owned());
    assert!(scripts.len() >= 10, "{scripts:?}");
    let mut args = vec!["-x", "-P", "SCRIPTDIR"];
    args.extend(scripts.iter().map(String::as_str));
    let out = check(tools, "shellcheck", &args);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

/// The checkers are not rubber stamps: each one rejects a broken file of its kind.
#[test]
#[cfg_attr(
    windows,
    ignore = "the checkers are installed by a bash script (scripts/gitops-tools.sh) into a POSIX venv layout"
)]
fn the_checkers_reject_broken_files() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bad_workflow = dir.path().join("bad.yml");
    std::fs::write(
        &bad_workflow,
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n",
    )
    .unwrap();
    let bad = bad_workflow.to_str().unwrap();
    let out = check(
        tools,
        "check-jsonschema",
        &["--builtin-schema", "vendor.github-workflows", bad],
    );
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert_ne!(check(tools, "action-validator", &[bad]).code, 0);
    let bad_gitlab = dir.path().join(".gitlab-ci.yml");
    std::fs::write(&bad_gitlab, "job:\n  script: 3\n  when: sometimes\n").unwrap();
    let out = check(
        tools,
        "check-jsonschema",
        &[
            "--builtin-schema",
            "vendor.gitlab-ci",
            bad_gitlab.to_str().unwrap(),
        ],
    );
    assert_ne!(out.code, 0, "{}", out.stdout);
    let script = dir.path().join("bad.sh");
    std::fs::write(&script, "#!/usr/bin/env bash\nrm -rf $1/*\n").unwrap();
    assert_ne!(
        check(tools, "shellcheck", &[script.to_str().unwrap()]).code,
        0
    );
    let dockerfile = dir.path().join("Dockerfile");
    std::fs::write(
        &dockerfile,
        "FROM alpine:latest\nRUN cd /tmp && apk add curl\n",
    )
    .unwrap();
    assert_ne!(
        check(tools, "hadolint", &[dockerfile.to_str().unwrap()]).code,
        0
    );
}

/// The files whose `apify-webhooks` invocations must parse.
fn pipeline_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("examples/gitops"), &mut files);
    walk(&root().join(".github/workflows"), &mut files);
    files.push(root().join("action.yml"));
    files.push(root().join("scripts/live-smoke.sh"));
    files.sort();
    files
}

/// The `apify-webhooks` command lines in a shell or CI file: where the word stands in command
/// position (a line's start, after `$(`, `;`, `&&`, `||`, `|`, `then`, `do` or a backquote;
/// a YAML `- ` or `run: ` prefix is skipped), up to the first unquoted shell operator.
/// Arguments that are variable expansions become `x`; an invocation whose command itself is a
/// variable (the action runs what it is given) is left out. Comment lines are skipped.
pub fn invocations(text: &str) -> Vec<Vec<String>> {
    let joined = text.replace("\\\n", " ");
    let mut found = Vec::new();
    for line in joined.lines() {
        let mut line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        for prefix in ["- ", "run: "] {
            line = line.strip_prefix(prefix).unwrap_or(line).trim_start();
        }
        let mut search = 0;
        while let Some(at) = line[search..].find("apify-webhooks ") {
            let start = search + at;
            search = start + 1;
            let before = line[..start].trim_end();
            let in_command_position = before.is_empty()
                || ["$(", ";", "&&", "||", "|", "`"]
                    .iter()
                    .any(|op| before.ends_with(op))
                || [" then", " do", " else"]
                    .iter()
                    .any(|w| format!(" {before}").ends_with(w));
            if !in_command_position {
                continue;
            }
            let words = shell_words(&line[start..]);
            if words.get(1).is_some_and(|w| w == "x") {
                continue;
            }
            found.push(words);
        }
    }
    found
}

/// Splits a shell command line into words up to the first unquoted operator.
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                if let Some(next) = chars.next() {
                    word.push(next);
                    in_word = true;
                }
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, '>' | '<' | '|' | ';' | '&' | ')' | '`' | '#') => {
                // `2>/dev/null`: the 2 belongs to the redirection.
                if in_word && !(c == '>' && (word == "1" || word == "2")) {
                    words.push(std::mem::take(&mut word));
                }
                in_word = false;
                break;
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
        .into_iter()
        .map(|w| if w.contains('$') { "x".to_owned() } else { w })
        .collect()
}

#[test]
fn the_extractor_finds_commands_and_not_prose() {
    let text = r#"
# apify-webhooks is mentioned in a comment
  - apify-webhooks validate "$MANIFESTS"
      run: code=0; apify-webhooks plan "$M" --format markdown --out "$P" >"$C" || code=$?
name: apify-webhooks plan
printf '<!-- apify-webhooks %s: %s -->' plan "$M"
x="$(apify-webhooks plan \
  --detailed-exitcode -q 2>/dev/null)"
apify-webhooks "${args[@]}" >"$out"
"#;
    let found = invocations(text);
    assert_eq!(
        found,
        vec![
            vec!["apify-webhooks", "validate", "x"],
            vec![
                "apify-webhooks",
                "plan",
                "x",
                "--format",
                "markdown",
                "--out",
                "x"
            ],
            vec!["apify-webhooks", "plan", "--detailed-exitcode", "-q"],
        ]
    );
}

#[test]
fn every_invocation_in_the_pipelines_parses_with_the_real_command_line() {
    let mut subcommands = std::collections::BTreeSet::new();
    let mut count = 0;
    for file in pipeline_files() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for words in invocations(&text) {
            count += 1;
            if let Err(err) = apify_webhooks::cli::parses(&words) {
                panic!(
                    "{}: `{}` does not parse:\n{err}",
                    file.display(),
                    words.join(" ")
                );
            }
            if let Some(sub) = words.get(1) {
                subcommands.insert(sub.clone());
            }
        }
    }
    for expected in ["validate", "plan", "apply", "emulator"] {
        assert!(
            subcommands.contains(expected),
            "no `apify-webhooks {expected}` found in the pipelines ({count} invocations: {subcommands:?})"
        );
    }
    assert!(count >= 12, "only {count} invocations found");
    // And the check has teeth.
    assert!(apify_webhooks::cli::parses(["apify-webhooks", "plan", "--bogus"]).is_err());
    assert!(apify_webhooks::cli::parses(["apify-webhooks", "apply", "--plan"]).is_err());
}

/// A config repository made from the GitHub example: its `.github/` and one manifest.
struct ConfigRepo {
    dir: tempfile::TempDir,
}

const MANIFEST: &str = "version: 1
owner: gitops-e2e
actors:
  acme/web-scraper:
    - key: web-scraper/failed
      eventTypes: [ACTOR.RUN.FAILED, ACTOR.RUN.TIMED_OUT]
      requestUrl: https://hooks.example.com/apify/web-scraper
      description: Tell the data team when the web scraper fails
      headersTemplate:
        Authorization: Bearer ${ALERTS_TOKEN}
";

/// The value of `${ALERTS_TOKEN}`, a repository secret in the workflows: it must appear in no
/// output and no file the pipeline writes.
const SECRET: &str = "s3cr3t-alerts-token-value";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

impl ConfigRepo {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            &root().join("examples/gitops/github/.github"),
            &dir.path().join(".github"),
        );
        std::fs::create_dir(dir.path().join("webhooks")).unwrap();
        let repo = ConfigRepo { dir };
        repo.write_manifest(MANIFEST);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write_manifest(&self, text: &str) {
        std::fs::write(self.path().join("webhooks/alerts.yaml"), text).unwrap();
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap_or_default()
    }

    /// Runs pipeline script `name` as the workflow does, against `emulator`, with GitHub's
    /// output and summary files in the repository's folder (emptied first).
    fn step(&self, emulator: &Background, name: &str, env: &[(&str, &str)]) -> Output {
        std::fs::write(self.path().join("github-output"), "").unwrap();
        let binary = PathBuf::from(env!("CARGO_BIN_EXE_apify-webhooks"));
        let path = format!(
            "{}:{}",
            binary.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("bash");
        let reference = bin();
        for (key, value) in reference.get_envs() {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        cmd.arg(format!(".github/apify-webhooks/{name}"))
            .current_dir(self.path())
            .env("PATH", path)
            .env("APIFY_API_BASE_URL", emulator.url())
            .env("APIFY_TOKEN", TOKEN)
            .env("APIFY_WEBHOOKS_RETRY_BASE_MS", "1")
            .env("GITHUB_OUTPUT", self.path().join("github-output"))
            .env("GITHUB_STEP_SUMMARY", self.path().join("github-summary"))
            .env("ALERTS_TOKEN", SECRET)
            .envs(env.iter().copied());
        let out = run(&mut cmd);
        assert!(
            !out.stdout.contains(SECRET) && !out.stderr.contains(SECRET),
            "{name} printed the secret"
        );
        for entry in std::fs::read_dir(self.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                assert!(
                    !text.contains(SECRET),
                    "{} holds the secret",
                    path.display()
                );
            }
        }
        out
    }

    fn outputs(&self) -> String {
        self.read("github-output")
    }
}

fn url_of(emulator: &Background, key: &str) -> Vec<String> {
    emulator
        .webhooks_of("acme")
        .iter()
        .filter(|w| {
            w["description"]
                .as_str()
                .is_some_and(|d| d.contains(&format!("key={key}")))
        })
        .map(|w| w["requestUrl"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The pull-request and merge steps of the GitHub workflows, in order, as the shell scripts
/// they run, against the emulator; then the scheduled drift check.
#[test]
#[cfg_attr(
    windows,
    ignore = "the pipeline steps are bash scripts run with a POSIX PATH"
)]
fn the_github_pipeline_runs_end_to_end_against_the_emulator() {
    let emulator = Background::start(config());
    let repo = ConfigRepo::new();

    // A pull request with a mistake: the error is an annotation on the diff.
    std::fs::write(
        repo.path().join("webhooks/broken.yaml"),
        "version: 1\nowner: gitops-e2e\nactors:\n  acme/web-scraper:\n    - key: broken\n      eventTypes: [ACTOR.RUN.FAILED]\n      requestUrl: ftp://nope.example.com\n",
    )
    .unwrap();
    let validate = repo.step(&emulator, "validate.sh", &[]);
    assert_eq!(validate.code, 65, "{}", validate.stderr);
    assert!(
        validate
            .stdout
            .starts_with("::error file=webhooks/broken.yaml,line=7,col=19,"),
        "{}",
        validate.stdout
    );
    std::fs::remove_file(repo.path().join("webhooks/broken.yaml")).unwrap();

    // The pull request, fixed: validate, plan, the comment and the saved plan.
    let validate = repo.step(&emulator, "validate.sh", &[]);
    assert_eq!(validate.code, 0, "{}", validate.stderr);
    let plan = repo.step(&emulator, "plan.sh", &[]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        repo.outputs().contains("changes=true\n"),
        "{}",
        repo.outputs()
    );
    assert!(
        repo.outputs().contains("exitcode=2\n"),
        "{}",
        repo.outputs()
    );
    let comment = repo.read("plan.md");
    assert!(
        comment.starts_with("<!-- apify-webhooks plan: webhooks -->\n"),
        "{comment}"
    );
    // The README's promise: the tool's own marker follows on the second line.
    assert!(
        comment
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("<!-- apify-webhooks plan owner=gitops-e2e -->")),
        "{comment}"
    );
    assert!(comment.contains("web-scraper/failed"), "{comment}");
    assert!(comment.len() < 65_536, "{} characters", comment.len());
    assert!(repo.path().join("plan.json").is_file());
    std::fs::copy(
        repo.path().join("plan.json"),
        repo.path().join("reviewed.json"),
    )
    .unwrap();
    assert!(url_of(&emulator, "web-scraper/failed").is_empty());

    // The merge: exactly the reviewed plan is applied.
    let apply = repo.step(&emulator, "apply.sh", &[("PLAN_FILE", "reviewed.json")]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert!(repo.outputs().contains("exitcode=0\n"));
    assert_eq!(
        url_of(&emulator, "web-scraper/failed"),
        ["https://hooks.example.com/apify/web-scraper"]
    );

    // A second pull request is planned, but another merge lands first: its plan is stale.
    repo.write_manifest(&MANIFEST.replace("apify/web-scraper", "apify/web-scraper-v2"));
    let plan = repo.step(&emulator, "plan.sh", &[("PLAN_FILE", "second.json")]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    repo.write_manifest(&MANIFEST.replace("apify/web-scraper", "apify/web-scraper-v3"));
    let stale = repo.step(&emulator, "apply.sh", &[("PLAN_FILE", "second.json")]);
    assert_eq!(stale.code, 3, "{}", stale.stderr);
    assert!(stale.stderr.contains("is stale"), "{}", stale.stderr);
    assert!(
        repo.read("github-summary").contains("The way out"),
        "{}",
        repo.read("github-summary")
    );
    assert_eq!(
        url_of(&emulator, "web-scraper/failed"),
        ["https://hooks.example.com/apify/web-scraper"],
        "a stale plan changes nothing"
    );

    // The schedule: no drift while the account matches the default branch...
    repo.write_manifest(MANIFEST);
    // (a stale issue body from an earlier run must not survive), and the deliveries are fine:
    // `status` ran and found nothing failing (the webhook was never dispatched).
    std::fs::write(repo.path().join("drift.md"), "The account drifted (old)").unwrap();
    let drift = repo.step(&emulator, "drift.sh", &[("COMMENT_FILE", "drift.md")]);
    assert_eq!(drift.code, 0, "{}", drift.stderr);
    assert!(repo.outputs().contains("drift=false\n"));
    assert!(
        repo.outputs().contains("status_exitcode=0\n")
            && repo.outputs().contains("failing=false\n"),
        "{}",
        repo.outputs()
    );
    assert!(
        !repo.path().join("drift.md").exists(),
        "no drift, no issue body: {}",
        repo.read("drift.md")
    );

    // ...and drift after someone edits the webhook in the Console.
    let id = emulator
        .webhooks_of("acme")
        .iter()
        .find(|w| {
            w["description"]
                .as_str()
                .is_some_and(|d| d.contains("key=web-scraper/failed"))
        })
        .and_then(|w| w["id"].as_str().map(str::to_owned))
        .expect("the applied webhook");
    let status = emulator.block_on(async {
        crate::support::emulator::http()
            .put(format!("{}/v2/webhooks/{id}", emulator.url()))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({"requestUrl": "https://console-edit.example.com/x"}))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(status.is_success(), "{status}");
    let drift = repo.step(&emulator, "drift.sh", &[("COMMENT_FILE", "drift.md")]);
    assert_eq!(drift.code, 2, "{}", drift.stderr);
    assert!(repo.outputs().contains("drift=true\n"));
    let issue = repo.read("drift.md");
    assert!(
        issue.starts_with("<!-- apify-webhooks drift: webhooks -->"),
        "{issue}"
    );
    assert!(issue.contains("console-edit.example.com"), "{issue}");
    assert!(repo.outputs().contains("failing=false\n"));
    assert!(!issue.contains("failing to deliver"), "{issue}");

    // A failed run: the emulator refuses to call the (external) URL, so the dispatch fails and
    // `status` exits 5; the issue reports the failing delivery next to the drift.
    let fired = run(bin().args([
        "emulator",
        "fire",
        "--url",
        &emulator.url(),
        "--actor",
        "acme/web-scraper",
        "--outcome",
        "failed",
    ]));
    assert_eq!(fired.code, 5, "the delivery failed: {}", fired.stderr);
    let drift = repo.step(&emulator, "drift.sh", &[("COMMENT_FILE", "drift.md")]);
    assert_eq!(drift.code, 2, "drift wins over failing: {}", drift.stderr);
    assert!(
        repo.outputs().contains("status_exitcode=5\n") && repo.outputs().contains("failing=true\n"),
        "{}",
        repo.outputs()
    );
    let issue = repo.read("drift.md");
    assert!(issue.contains("drifted"), "{issue}");
    assert!(issue.contains("failing to deliver"), "{issue}");
    assert!(issue.contains("Webhook delivery status"), "{issue}");

    // The manifests follow the Console edit: no drift left, only the failing delivery (exit 5).
    repo.write_manifest(&MANIFEST.replace(
        "https://hooks.example.com/apify/web-scraper",
        "https://console-edit.example.com/x",
    ));
    let drift = repo.step(&emulator, "drift.sh", &[("COMMENT_FILE", "drift.md")]);
    assert_eq!(drift.code, 5, "{}", drift.stderr);
    assert!(repo.outputs().contains("drift=false\n") && repo.outputs().contains("failing=true\n"));
    let issue = repo.read("drift.md");
    assert!(
        issue.starts_with("<!-- apify-webhooks drift: webhooks -->"),
        "{issue}"
    );
    assert!(!issue.contains("drifted"), "{issue}");
    assert!(issue.contains("failing to deliver"), "{issue}");
}

/// The PR comment is posted once and then edited in place: `comment.sh` against a stand-in
/// `gh` that keeps the pull request's comments in a file.
#[test]
#[cfg_attr(
    windows,
    ignore = "the pipeline steps are bash scripts with a fake `gh` shell script"
)]
fn the_pull_request_comment_is_edited_in_place() {
    let repo = ConfigRepo::new();
    let fake = repo.path().join("fake-bin");
    std::fs::create_dir(&fake).unwrap();
    let gh = fake.join("gh");
    std::fs::write(
        &gh,
        r#"#!/usr/bin/env bash
# A stand-in for the GitHub CLI: logs each call; lists the one comment once it exists.
echo "$*" >>"$FAKE_GH_LOG"
case "$*" in
  *"--paginate"*) if [ -f "$FAKE_GH_STATE" ]; then echo 4242; fi ;;
  *"--method POST"*) touch "$FAKE_GH_STATE" ;;
esac
"#,
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::write(
        repo.path().join("plan.md"),
        "<!-- apify-webhooks plan: webhooks -->\n\nPlan\n",
    )
    .unwrap();
    let log = repo.path().join("gh.log");
    let post = || {
        let path = format!(
            "{}:{}",
            fake.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        run(Command::new("bash")
            .arg(".github/apify-webhooks/comment.sh")
            .current_dir(repo.path())
            .env("PATH", path)
            .env("FAKE_GH_LOG", &log)
            .env("FAKE_GH_STATE", repo.path().join("gh.state"))
            .env("PR_NUMBER", "7")
            .env("GITHUB_REPOSITORY", "acme/config"))
    };
    let first = post();
    assert_eq!(first.code, 0, "{}", first.stderr);
    let second = post();
    assert_eq!(second.code, 0, "{}", second.stderr);
    let calls = std::fs::read_to_string(&log).unwrap();
    let calls: Vec<&str> = calls.lines().collect();
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert!(calls[0].contains("repos/acme/config/issues/7/comments"));
    assert!(
        calls[0].contains(r#"startswith("<!-- apify-webhooks plan: webhooks -->")"#),
        "found by its marker: {}",
        calls[0]
    );
    assert!(calls[1].starts_with("api --method POST repos/acme/config/issues/7/comments"));
    assert!(calls[3].starts_with("api --method PATCH repos/acme/config/issues/comments/4242"));
}

#[test]
fn validate_reports_json_and_github_annotations() {
    let fixture = root().join("tests/fixtures/invalid");
    let out = run(bin().current_dir(&fixture).args([
        "validate",
        "--format",
        "github",
        "url-not-http.yaml",
    ]));
    assert_eq!(out.code, 65);
    assert!(
        out.stdout.starts_with(
            "::error file=url-not-http.yaml,line=6,col=19,endColumn=47,title=apify-webhooks validate::`requestUrl` must be"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("--> url-not-http.yaml:6:19"),
        "people still read the log"
    );

    let out = run(bin().current_dir(&fixture).args([
        "validate",
        "--format",
        "json",
        "url-not-http.yaml",
    ]));
    assert_eq!(out.code, 65);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["diagnostics"][0]["location"]["line"], 6);

    let out = run(bin().current_dir(root()).args([
        "validate",
        "--format",
        "json",
        "examples/minimal.yaml",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["summary"]["owner"], "acme-prod");
    assert_eq!(doc["summary"]["webhooks"], 1);
}

/// The action's run step, as GitHub runs it: the exit code and the output file become step
/// outputs, and only the listed exit codes pass.
#[test]
#[cfg_attr(windows, ignore = "the action's steps are bash scripts")]
fn the_action_exposes_the_exit_code_and_the_output_file() {
    let action: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(root().join("action.yml")).unwrap())
            .unwrap();
    let steps = action["runs"]["steps"].as_array().unwrap();
    let step = steps
        .iter()
        .find(|s| s["id"] == "run")
        .expect("the run step");
    let script = step["run"].as_str().unwrap();
    assert_eq!(
        action["outputs"]["exit-code"]["value"],
        "${{ steps.run.outputs.exit-code }}"
    );
    assert_eq!(
        action["outputs"]["output-file"]["value"],
        "${{ steps.run.outputs.output-file }}"
    );
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_apify-webhooks"));
    let dir = tempfile::tempdir().unwrap();
    let run_step = |command: &str, success: &str| {
        let output = dir.path().join("github-output");
        std::fs::write(&output, "").unwrap();
        let out = run(Command::new("bash")
            .arg("-c")
            .arg(script)
            .current_dir(root())
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    binary.parent().unwrap().display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("NO_COLOR", "1")
            .env("COMMAND", command)
            .env("SUCCESS_CODES", success)
            .env("RUNNER_TEMP", dir.path())
            .env("GITHUB_RUN_ID", "1")
            .env("GITHUB_OUTPUT", &output));
        let outputs = std::fs::read_to_string(&output).unwrap();
        (out, outputs)
    };
    let (out, outputs) = run_step("validate --format json examples/minimal.yaml", "0 2");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(outputs.contains("exit-code=0\n"), "{outputs}");
    let file = outputs
        .lines()
        .find_map(|l| l.strip_prefix("output-file="))
        .expect("output-file");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    assert_eq!(doc["valid"], true);

    let (out, outputs) = run_step("validate tests/fixtures/invalid/url-not-http.yaml", "0 2");
    assert_eq!(out.code, 65, "an exit code not listed fails the step");
    assert!(outputs.contains("exit-code=65\n"), "{outputs}");
    let (out, _) = run_step("validate tests/fixtures/invalid/url-not-http.yaml", "0 65");
    assert_eq!(out.code, 0, "a listed exit code passes");
}

fn has(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn completion_script(shell: &str, dir: &Path) -> PathBuf {
    let out = run(bin().args(["completions", shell]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let file = dir.join(format!("apify-webhooks.{shell}"));
    std::fs::write(&file, out.stdout).unwrap();
    file
}

/// Completing `apify-webhooks WORDS…` in bash, the cursor on the last word: the offers.
fn bash_complete(script: &Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let out = run(Command::new("bash").arg("-c").arg(format!(
        r#"set -e; source '{}'
f=$(complete -p apify-webhooks | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
COMP_WORDS=(apify-webhooks {words}); COMP_CWORD=${{#COMP_WORDS[@]}}; COMP_CWORD=$((COMP_CWORD - 1))
"$f" apify-webhooks "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD - 1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        script.display(),
        words = quoted.join(" ")
    )));
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout.lines().map(str::to_owned).collect()
}

/// Options and their values complete below a command, not only command names (`clap_complete`
/// named the bash states of a hyphenated binary two ways, clap-rs/clap#6421).
#[test]
#[cfg_attr(windows, ignore = "bash completion needs bash")]
fn bash_completes_the_options_and_values_of_a_command() {
    let dir = tempfile::tempdir().unwrap();
    let script = completion_script("bash", dir.path());
    let offers = bash_complete(&script, &["plan", "--f"]);
    assert!(offers.iter().any(|o| o == "--format"), "{offers:?}");
    assert_eq!(
        bash_complete(&script, &["plan", "--format", ""]),
        ["text", "json", "markdown"]
    );
    let offers = bash_complete(&script, &["emulator", "fire", "--out"]);
    assert_eq!(offers, ["--outcome"]);
}

/// bash always; zsh and fish where they are installed (`scripts/gitops-tools.sh --shells`
/// installs them).
#[test]
#[cfg_attr(windows, ignore = "bash, zsh and fish are POSIX shells")]
fn completions_load_and_complete_in_the_installed_shells() {
    let dir = tempfile::tempdir().unwrap();
    let script = completion_script("bash", dir.path());
    let out = run(Command::new("bash").arg("-c").arg(format!(
        r#"set -e; source '{}'
f=$(complete -p apify-webhooks | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
COMP_WORDS=(apify-webhooks comp); COMP_CWORD=1; "$f" apify-webhooks comp apify-webhooks
echo "${{COMPREPLY[@]}}""#,
        script.display()
    )));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "completions", "{}", out.stderr);

    if has("zsh") {
        let script = completion_script("zsh", dir.path());
        let out = run(Command::new("zsh").arg("-c").arg(format!(
            "autoload -U compinit && compinit -u -D && source '{}' && (( $+functions[_apify-webhooks] )) && echo loaded",
            script.display()
        )));
        assert_eq!(out.stdout.trim(), "loaded", "{}", out.stderr);
    } else {
        skip("zsh: not installed");
    }
    if has("fish") {
        let script = completion_script("fish", dir.path());
        let out = run(Command::new("fish").arg("-c").arg(format!(
            "source '{}'; complete -C 'apify-webhooks validate --format '",
            script.display()
        )));
        assert_eq!(out.code, 0, "{}", out.stderr);
        let values: Vec<&str> = out
            .stdout
            .lines()
            .filter_map(|l| l.split('\t').next())
            .collect();
        assert_eq!(values, ["github", "json", "text"], "{}", out.stdout);
        let out = run(Command::new("fish").arg("-c").arg(format!(
            "source '{}'; complete -C 'apify-webhooks plan --f'",
            script.display()
        )));
        let values: Vec<&str> = out
            .stdout
            .lines()
            .filter_map(|l| l.split('\t').next())
            .collect();
        assert!(values.contains(&"--format"), "{}", out.stdout);
    } else {
        skip("fish: not installed");
    }
    let out = run(bin().args(["completions", "tcsh"]));
    assert_eq!(out.code, 64);
}

/// An unknown page is a usage error that lists the pages there are, `help` not among them.
#[test]
fn man_lists_the_commands_with_pages() {
    let out = run(bin().args(["man", "nope"]));
    assert_eq!(out.code, 64, "{}", out.stderr);
    let (_, list) = out
        .stderr
        .split_once("the commands are: ")
        .unwrap_or_else(|| panic!("{}", out.stderr));
    let list = list.trim();
    let names: Vec<&str> = list.split(", ").collect();
    assert!(names.contains(&"plan"), "{list}");
    assert!(!names.contains(&"help"), "{list}");
    assert!(!names.contains(&"man"), "{list}");
    assert_eq!(run(bin().args(["man", "help"])).code, 64);
}

#[test]
#[cfg_attr(windows, ignore = "rendering the pages needs man(1) and sh")]
fn the_man_pages_render() {
    let dir = tempfile::tempdir().unwrap();
    for (args, name) in [
        (vec!["man"], "apify-webhooks"),
        (vec!["man", "plan"], "apify-webhooks-plan"),
    ] {
        let out = run(bin().args(&args));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stdout.starts_with(".ie \\n(.g .ds Aq"),
            "roff: {}",
            out.stdout
        );
        assert!(
            out.stdout.contains(&format!(".TH {name} 1")),
            "{}",
            out.stdout
        );
        let page = dir.path().join(format!("{name}.1"));
        std::fs::write(&page, &out.stdout).unwrap();
        if has("man") {
            let rendered = run(Command::new("man")
                .arg("-l")
                .arg(&page)
                .env("MANPAGER", "cat")
                .env("MANWIDTH", "100")
                .env("LC_ALL", "C"));
            assert_eq!(rendered.code, 0, "{}", rendered.stderr);
            assert!(rendered.stdout.contains("SYNOPSIS"), "{}", rendered.stdout);
            assert!(!rendered.stderr.contains("warning"), "{}", rendered.stderr);
            if name == "apify-webhooks-plan" {
                assert!(
                    rendered.stdout.contains("--detailed-exitcode"),
                    "{}",
                    rendered.stdout
                );
            } else {
                assert!(
                    rendered.stdout.contains("completions"),
                    "{}",
                    rendered.stdout
                );
            }
        } else {
            skip("man -l: man is not installed");
        }
    }
    let out = run(bin().args(["man", "nope"]));
    assert_eq!(out.code, 64);
    assert!(
        out.stderr.contains("the commands are: validate, plan"),
        "{}",
        out.stderr
    );
}

fn live_smoke() -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("scripts/live-smoke.sh"))
        .env_remove("APIFY_TOKEN")
        .env_remove("APIFY_WEBHOOKS_LIVE_SMOKE")
        .env_remove("APIFY_API_BASE_URL")
        .env_remove("LIVE_SMOKE_ACTOR")
        .env("APIFY_WEBHOOKS_BIN", env!("CARGO_BIN_EXE_apify-webhooks"));
    cmd
}

#[test]
#[cfg_attr(windows, ignore = "scripts/live-smoke.sh is a bash script")]
fn the_live_smoke_test_runs_only_when_asked() {
    let out = run(live_smoke().env("APIFY_TOKEN", "apify_api_not_a_real_token"));
    assert_eq!(out.code, 64, "{}", out.stderr);
    assert!(
        out.stderr.contains("APIFY_WEBHOOKS_LIVE_SMOKE=1"),
        "{}",
        out.stderr
    );
    let out = run(live_smoke().env("APIFY_WEBHOOKS_LIVE_SMOKE", "1"));
    assert_eq!(out.code, 64, "{}", out.stderr);
    assert!(
        out.stderr.contains("APIFY_TOKEN is not set"),
        "{}",
        out.stderr
    );
    let out = run(live_smoke()
        .arg("--emulator")
        .env("APIFY_API_BASE_URL", "https://api.apify.com"));
    assert_eq!(out.code, 64, "{}", out.stderr);
    let out = run(live_smoke().arg("--bogus"));
    assert_eq!(out.code, 64, "{}", out.stderr);
}

/// The smoke test's steps against the emulator: it passes, and it leaves nothing behind, also
/// when interrupted right after its apply.
#[test]
#[cfg_attr(
    windows,
    ignore = "scripts/live-smoke.sh is a bash script (and signals)"
)]
fn the_live_smoke_test_passes_on_the_emulator_and_cleans_up_when_interrupted() {
    let emulator = Background::start(config());
    let before = emulator.webhooks_of("acme").len();
    let out = run(live_smoke()
        .arg("--emulator")
        .env("APIFY_API_BASE_URL", emulator.url())
        .env("APIFY_WEBHOOKS_RETRY_BASE_MS", "1"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("live-smoke: passed"), "{}", out.stderr);
    assert_eq!(emulator.webhooks_of("acme").len(), before);
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN));

    let out = run(live_smoke()
        .arg("--emulator")
        .env("APIFY_API_BASE_URL", emulator.url())
        .env("APIFY_WEBHOOKS_RETRY_BASE_MS", "1")
        .env("LIVE_SMOKE_INTERRUPT_AFTER_APPLY", "1"));
    assert_eq!(out.code, 130, "{}", out.stderr);
    assert!(out.stderr.contains("Creation complete"), "{}", out.stderr);
    assert!(
        out.stderr.contains("interrupted; cleaning up"),
        "{}",
        out.stderr
    );
    assert_eq!(
        emulator.webhooks_of("acme").len(),
        before,
        "the interrupted run deleted what it made"
    );
}

/// `--emulator` without a base URL starts (and stops) its own emulator: the run exits 0 after
/// passing and removes its work folder, which holds the token file.
#[test]
#[cfg_attr(windows, ignore = "scripts/live-smoke.sh is a bash script")]
fn the_live_smoke_test_on_its_own_emulator_exits_0_and_leaves_no_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let marker = leak_marker("live-smoke");
    let out = run(live_smoke()
        .arg("--emulator")
        .env("TMPDIR", tmp.path())
        .env(LEAK_MARKER_ENV, &marker));
    let leaked = leaked_after(&marker, std::time::Duration::from_secs(10));
    assert!(leaked.is_empty(), "left running: {leaked:?}");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("live-smoke: passed"), "{}", out.stderr);
    assert!(out.stderr.contains("start the emulator"), "{}", out.stderr);
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Interrupted, or killed outright (no trap runs), the smoke test leaves no emulator running
/// (issue 16 item 15).
#[test]
fn the_live_smoke_test_leaves_no_emulator_running_when_interrupted_or_killed() {
    let marker = leak_marker("live-smoke-interrupted");
    let out = run(live_smoke()
        .arg("--emulator")
        .env("LIVE_SMOKE_INTERRUPT_AFTER_APPLY", "1")
        .env(LEAK_MARKER_ENV, &marker));
    let leaked = leaked_after(&marker, std::time::Duration::from_secs(10));
    assert!(leaked.is_empty(), "left running: {leaked:?}");
    assert_eq!(out.code, 130, "{}", out.stderr);
    assert!(out.stderr.contains("start the emulator"), "{}", out.stderr);

    // SIGKILL right after the emulator started: the script's trap never runs.
    let marker = leak_marker("live-smoke-killed");
    let tmp = tempfile::tempdir().unwrap();
    let mut child = live_smoke()
        .arg("--emulator")
        .env("TMPDIR", tmp.path())
        .env(LEAK_MARKER_ENV, &marker)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    assert!(
        lines.any(|l| l.unwrap().contains("owner smoke-")),
        "the script got past starting its emulator"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let leaked = leaked_after(&marker, std::time::Duration::from_secs(20));
    assert!(leaked.is_empty(), "left running after SIGKILL: {leaked:?}");
}

/// The image builds from what the Dockerfile copies: every source exists, and the files the
/// binary embeds are among them.
#[test]
fn the_dockerfile_copies_what_the_build_needs_and_runs_as_non_root() {
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let mut copied = Vec::new();
    for line in dockerfile.lines() {
        let Some(rest) = line.strip_prefix("COPY ") else {
            continue;
        };
        if rest.starts_with("--from") {
            continue;
        }
        let words: Vec<&str> = rest.split_whitespace().collect();
        for source in &words[..words.len() - 1] {
            assert!(root().join(source).exists(), "COPY {source}: missing");
            copied.push((*source).to_owned());
        }
    }
    for needed in ["Cargo.toml", "Cargo.lock", "src", "schemas", "benches"] {
        assert!(copied.iter().any(|c| c == needed), "{needed} is not copied");
    }
    let last_stage = dockerfile.rsplit("\nFROM ").next().unwrap();
    assert!(last_stage.starts_with("scratch"), "{last_stage}");
    assert!(last_stage.contains("\nUSER 65532:65532\n"), "{last_stage}");
    assert!(last_stage.contains("ca-certificates.crt"), "{last_stage}");
}
