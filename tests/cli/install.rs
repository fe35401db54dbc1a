//! Installing it the ways its users install tools (issue 19): `scripts/package.sh` turns the
//! binary this test run built into the npm main and platform tarballs, the PyPI wheel and the
//! release archive; each is installed from its file with no registry (`npm install --offline`,
//! `pip install --no-index` into a fresh venv) and runs `--version`, `validate examples/` and
//! `plan --local` on the examples with no Rust toolchain on `PATH`. The shim without its platform
//! package fails naming the platform and the other ways to install. The archive names and the
//! release workflow are what cargo-binstall finds without configuration.
//!
//! Needs `bash`, `node`, `npm` and `python3` (3.11 or newer): a missing one skips the test with
//! a message, except under `CI=true`, where it fails.

#![allow(
    clippy::print_stderr,
    reason = "a test that skips part of its work says so on stderr"
)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::support::{Output, on_ci, root, run};

/// The crate's version: every package carries it.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The variables `examples/secrets.yaml` reads (the values never appear in output).
const EXAMPLE_VARS: [(&str, &str); 3] = [
    ("PAGERDUTY_ROUTING_KEY", "demo-routing-key"),
    ("SLACK_WEBHOOK_PATH", "T000/B000/demo"),
    ("ARCHIVE_API_TOKEN", "demo-token"),
];

/// A test that cannot run here: fails on CI, says so elsewhere.
fn skip(why: &str) {
    assert!(!on_ci(), "on CI every install test runs: {why}");
    eprintln!("SKIPPED {why}");
}

/// The first executable called `name` in the directories of `path`.
fn find_in(path: &std::ffi::OsStr, name: &str) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|dir| dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX)))
        .find(|candidate| candidate.is_file())
}

fn find(name: &str) -> Option<PathBuf> {
    find_in(&std::env::var_os("PATH").unwrap_or_default(), name)
}

/// A `PATH` with node and npm but no Rust toolchain: the directories of `node` and `npm`, and
/// the system's, without any that holds `cargo` or `rustc` — what a user without Rust has.
fn path_without_rust() -> OsString {
    let mut dirs: Vec<PathBuf> = ["node", "npm"]
        .iter()
        .filter_map(|tool| find(tool)?.parent().map(Path::to_path_buf))
        .collect();
    dirs.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from));
    dirs.retain(|dir| {
        !["cargo", "rustc"]
            .iter()
            .any(|tool| dir.join(tool).exists())
    });
    dirs.dedup();
    let path = std::env::join_paths(dirs).unwrap();
    assert!(
        find_in(&path, "cargo").is_none() && find_in(&path, "rustc").is_none(),
        "the PATH without Rust has Rust on it: {}",
        path.display()
    );
    assert!(
        find_in(&path, "node").is_some(),
        "node shares a directory with cargo or rustc; cannot hide Rust from it"
    );
    path
}

/// A command with the environment of `support::bin` (no token, owner, API URL or colour; a
/// HOME without an apify-cli login), the example variables, an npm cache of its own under
/// `scratch`, npm offline, and no Rust toolchain on PATH.
fn user_command(program: impl AsRef<std::ffi::OsStr>, dir: &Path, scratch: &Path) -> Command {
    let mut cmd = Command::new(program);
    for var in [
        "APIFY_TOKEN",
        "APIFY_WEBHOOKS_OWNER",
        "APIFY_API_BASE_URL",
        "APIFY_WEBHOOKS_BINARY",
        "CLICOLOR_FORCE",
        "APIFY_WEBHOOKS_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.current_dir(dir)
        .env("PATH", path_without_rust())
        .env("NO_COLOR", "1")
        .env("HOME", root().join("tests/fixtures/home"))
        .env("npm_config_cache", scratch.join("npm-cache"))
        .env("npm_config_update_notifier", "false")
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_offline", "true")
        .env("PIP_CONFIG_FILE", scratch.join("no-pip.conf"))
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .envs(EXAMPLE_VARS);
    cmd
}

/// What `scripts/package.sh` made of this run's binary.
struct Packages {
    dir: PathBuf,
    /// The host's target triple, as package.sh found it.
    target: String,
}

impl Packages {
    /// The one file in the packages whose name starts with `prefix` and ends with `suffix`.
    fn file(&self, prefix: &str, suffix: &str) -> PathBuf {
        let found: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.starts_with(prefix) && name.ends_with(suffix)
            })
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{prefix}*{suffix} in {}",
            self.dir.display()
        );
        found.into_iter().next().unwrap()
    }

    fn npm_main(&self) -> PathBuf {
        self.file(&format!("apify-webhooks-{VERSION}"), ".tgz")
    }

    fn npm_platform(&self) -> PathBuf {
        self.file(
            &format!("apify-webhooks-{}-{VERSION}", node_platform()),
            ".tgz",
        )
    }

    fn wheel(&self) -> PathBuf {
        self.file(&format!("apify_webhooks-{VERSION}-py3-none-"), ".whl")
    }
}

/// This machine's platform as Node names it (`process.platform`-`process.arch`).
fn node_platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{os}-{arch}")
}

/// Runs `scripts/package.sh` once per test run on a stripped copy of the binary `cargo test`
/// built (the debug info would make every package five times larger and slower to pack), or
/// says why it cannot.
fn packages() -> Option<&'static Packages> {
    static PACKAGES: OnceLock<Result<Packages, String>> = OnceLock::new();
    let packages = PACKAGES.get_or_init(|| {
        for tool in ["bash", "node", "npm", "python3"] {
            if find(tool).is_none() {
                return Err(format!("`{tool}` is not on PATH"));
            }
        }
        let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("install");
        let _ = std::fs::remove_dir_all(&scratch);
        std::fs::create_dir_all(&scratch).unwrap();
        let binary = scratch.join(format!("apify-webhooks{}", std::env::consts::EXE_SUFFIX));
        std::fs::copy(env!("CARGO_BIN_EXE_apify-webhooks"), &binary).unwrap();
        if find("strip").is_some() {
            let _ = run(Command::new("strip").arg(&binary));
        }
        let dir = scratch.join("packages");
        let out = run(Command::new("bash")
            .arg(root().join("scripts/package.sh"))
            .arg(&dir)
            .arg("--binary")
            .arg(&binary));
        assert_eq!(
            out.code, 0,
            "scripts/package.sh: {}{}",
            out.stdout, out.stderr
        );
        let archive = out
            .stdout
            .lines()
            .find_map(|l| {
                l.strip_prefix("apify-webhooks-")?
                    .strip_suffix(".tar.gz")
                    .or_else(|| l.strip_prefix("apify-webhooks-")?.strip_suffix(".zip"))
            })
            .unwrap_or_else(|| panic!("no release archive made: {}", out.stdout));
        Ok(Packages {
            dir,
            target: archive.to_owned(),
        })
    });
    match packages {
        Ok(packages) => Some(packages),
        Err(why) => {
            skip(why);
            None
        }
    }
}

/// A fresh directory holding a copy of the example manifests, as a user's project.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let examples = dir.path().join("examples");
    std::fs::create_dir(&examples).unwrap();
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, examples.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(dir.path().join("no-pip.conf"), "").unwrap();
    dir
}

/// The quick start through `run_it` (one way of invoking the installed command) in `project`:
/// `--version`, `validate examples/` and `plan --local examples/`, each printing exactly what
/// the binary this test run built prints there.
fn runs_the_quick_start(how: &str, project: &Path, run_it: &dyn Fn(&[&str]) -> Output) {
    let reference = |args: &[&str]| {
        run(crate::support::bin()
            .current_dir(project)
            .envs(EXAMPLE_VARS)
            .args(args))
    };
    let version = run_it(&["--version"]);
    assert_eq!(version.code, 0, "{how} --version: {}", version.stderr);
    assert_eq!(
        version.stdout.trim(),
        format!("apify-webhooks {VERSION}"),
        "{how}"
    );
    let validate = run_it(&["validate", "examples/"]);
    assert_eq!(validate.code, 0, "{how} validate: {}", validate.stderr);
    assert!(
        validate.stdout.starts_with("Valid: "),
        "{how}: {}",
        validate.stdout
    );
    assert_eq!(
        validate.stdout,
        reference(&["validate", "examples/"]).stdout,
        "{how}"
    );
    let plan_args = ["plan", "--local", "--detailed-exitcode", "examples/"];
    let plan = run_it(&plan_args);
    assert_eq!(plan.code, 2, "{how} plan: {}", plan.stderr);
    assert!(plan.stdout.contains("\nPlan: "), "{how}: {}", plan.stdout);
    assert_eq!(plan.stdout, reference(&plan_args).stdout, "{how}");
    for (_, secret) in EXAMPLE_VARS {
        assert!(
            !plan.stdout.contains(secret) && !plan.stderr.contains(secret),
            "{how} printed a secret"
        );
    }
}

/// The first `sh` block of the README's "Quick start" section.
fn readme_quick_start() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Quick start"))
        .expect("the README has a Quick start section");
    let block = section
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .expect("the quick start has a sh block")
        .0;
    assert!(block.contains("npx apify-webhooks"), "{block}");
    block.to_owned()
}

/// The README as a package shows it: its links to docs/ and examples/ name the repository.
fn assert_links_name_the_repository(readme: &str) {
    assert!(readme.contains("# apify-webhooks"), "not the README");
    assert!(
        readme.contains("](https://github.com/apify-webhooks/apify-webhooks/blob/main/docs/"),
        "{readme}"
    );
    for relative in ["](docs/", "](examples/", "](CHANGELOG.md"] {
        assert!(
            !readme.contains(relative),
            "{relative} in the package's README"
        );
    }
}

/// The first file under `dir` whose path ends with `tail`.
fn find_file(dir: &Path, tail: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()? {
        let path = entry.ok()?.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, tail) {
                return Some(found);
            }
        } else if path.ends_with(tail) {
            return Some(path);
        }
    }
    None
}

fn npm_install(project: &Path, tarballs: &[PathBuf]) -> Output {
    run(user_command("npm", project, project)
        .args(["install", "--offline"])
        .args(tarballs))
}

#[test]
#[cfg_attr(
    windows,
    ignore = "scripts/package.sh is a bash script; the Windows packages are made and installed by the release workflow"
)]
fn the_npm_packages_install_offline_and_run_the_quick_start() {
    let Some(packages) = packages() else { return };
    let project = project();
    let install = npm_install(
        project.path(),
        &[packages.npm_main(), packages.npm_platform()],
    );
    assert_eq!(install.code, 0, "{}{}", install.stdout, install.stderr);
    runs_the_quick_start("npx", project.path(), &|args| {
        run(user_command("npx", project.path(), project.path())
            .args(["--offline", "--no-install", "apify-webhooks"])
            .args(args))
    });
    // The README's quick start, word for word, as a new user without Rust runs it.
    let quick_start = readme_quick_start();
    let out = run(user_command("bash", project.path(), project.path())
        .args(["-euo", "pipefail", "-c"])
        .arg(&quick_start));
    assert_eq!(
        out.code, 0,
        "the README's quick start:\n{quick_start}\n{}{}",
        out.stdout, out.stderr
    );
    assert!(
        out.stdout.contains("No changes."),
        "the quick start ends converged: {}",
        out.stdout
    );
    // The README on npmjs.com links into the repository, not to files the package lacks.
    let readme =
        std::fs::read_to_string(project.path().join("node_modules/apify-webhooks/README.md"))
            .unwrap();
    assert_links_name_the_repository(&readme);
    // The binary that ran is the platform package's, not one found on PATH.
    let installed = project
        .path()
        .join("node_modules/@apify-webhooks")
        .join(node_platform())
        .join("bin/apify-webhooks");
    assert!(installed.is_file(), "{}", installed.display());
}

#[test]
#[cfg_attr(
    windows,
    ignore = "scripts/package.sh is a bash script; the Windows packages are made and installed by the release workflow"
)]
fn the_shim_without_its_platform_package_names_the_platform_and_the_other_ways() {
    let Some(packages) = packages() else { return };
    let project = project();
    let install = npm_install(project.path(), &[packages.npm_main()]);
    assert_eq!(install.code, 0, "{}{}", install.stdout, install.stderr);
    let npx = |binary: Option<&Path>| {
        let mut cmd = user_command("npx", project.path(), project.path());
        if let Some(binary) = binary {
            cmd.env("APIFY_WEBHOOKS_BINARY", binary);
        }
        run(cmd.args(["--offline", "--no-install", "apify-webhooks", "--version"]))
    };
    let out = npx(None);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let platform = format!("@apify-webhooks/{}", node_platform());
    for expected in [
        platform.as_str(),
        "is not installed",
        "pipx install apify-webhooks",
        "https://github.com/apify-webhooks/apify-webhooks/releases",
        "cargo install",
        "APIFY_WEBHOOKS_BINARY",
    ] {
        assert!(
            out.stderr.contains(expected),
            "{expected:?} not in: {}",
            out.stderr
        );
    }
    // APIFY_WEBHOOKS_BINARY stands in for the platform package.
    let out = npx(Some(Path::new(env!("CARGO_BIN_EXE_apify-webhooks"))));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), format!("apify-webhooks {VERSION}"));
    // A binary that is not there is named, not a stack trace.
    let missing = project.path().join("no-such-binary");
    let out = npx(Some(&missing));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .starts_with(&format!("apify-webhooks: cannot run {}", missing.display())),
        "{}",
        out.stderr
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "scripts/package.sh is a bash script; the Windows packages are made and installed by the release workflow"
)]
fn the_wheel_installs_offline_into_a_fresh_venv_and_runs_the_quick_start() {
    let Some(packages) = packages() else { return };
    let project = project();
    let venv = project.path().join("venv");
    let out = run(Command::new("python3").arg("-m").arg("venv").arg(&venv));
    if out.code != 0 {
        skip(&format!("python3 -m venv: {}", out.stderr));
        return;
    }
    let scripts = venv.join(if cfg!(windows) { "Scripts" } else { "bin" });
    let install = run(
        user_command(scripts.join("pip"), project.path(), project.path())
            .args(["install", "--no-index"])
            .arg(packages.wheel()),
    );
    assert_eq!(install.code, 0, "{}{}", install.stdout, install.stderr);
    let installed = scripts.join(format!("apify-webhooks{}", std::env::consts::EXE_SUFFIX));
    runs_the_quick_start("the venv's apify-webhooks", project.path(), &|args| {
        run(user_command(&installed, project.path(), project.path()).args(args))
    });
    // The long description on PyPI links into the repository.
    let metadata = find_file(
        &venv,
        &format!("apify_webhooks-{VERSION}.dist-info/METADATA"),
    )
    .expect("the installed METADATA");
    assert_links_name_the_repository(&std::fs::read_to_string(metadata).unwrap());
    // pip knows it by the crate's name and version.
    let show = run(
        user_command(scripts.join("pip"), project.path(), project.path())
            .args(["show", "apify-webhooks"]),
    );
    assert!(
        show.stdout.contains(&format!("Version: {VERSION}\n")),
        "{}",
        show.stdout
    );
}

/// cargo-binstall's default for GitHub releases: `{ repo }/releases/download/v{ version }/`
/// then `{ name }-{ target }{ archive-suffix }` (one of the names it tries), with the binary at
/// the archive's root (`{ bin }{ binary-ext }`, its fallback `bin-dir`). It needs the crate's
/// `repository` to be the GitHub repository the releases are on.
#[test]
#[cfg_attr(
    windows,
    ignore = "scripts/package.sh is a bash script; the Windows archive is made by the release workflow"
)]
fn the_release_archive_is_where_cargo_binstall_looks_without_configuration() {
    let Some(packages) = packages() else { return };
    let archive = packages.dir.join(format!(
        "apify-webhooks-{}.{}",
        packages.target,
        if packages.target.contains("windows") {
            "zip"
        } else {
            "tar.gz"
        }
    ));
    assert!(archive.is_file(), "{}", archive.display());
    let list = run(Command::new("tar").arg("-tzf").arg(&archive));
    assert_eq!(list.code, 0, "{}", list.stderr);
    let mut entries: Vec<&str> = list.stdout.lines().collect();
    entries.sort_unstable();
    assert_eq!(entries, ["README.md", "apify-webhooks"]);

    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(
        cargo.contains("\nrepository = \"https://github.com/apify-webhooks/apify-webhooks\"\n"),
        "cargo-binstall finds the releases through Cargo.toml's repository"
    );
    assert!(
        !cargo.contains("[package.metadata.binstall]"),
        "the defaults must do"
    );
}

/// The release workflow builds and packages exactly the npm generator's release targets, with
/// scripts/package.sh, and publishes what it makes.
#[test]
fn the_release_workflow_packages_every_npm_target_with_package_sh() {
    let workflow = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    let generator = std::fs::read_to_string(root().join("npm/generate.js")).unwrap();
    let release_targets: Vec<&str> = generator
        .lines()
        .filter(|l| l.contains("release: true"))
        .map(|l| l.trim().split('"').nth(1).unwrap())
        .collect();
    assert_eq!(release_targets.len(), 5, "{release_targets:?}");
    let matrix_targets: Vec<&str> = workflow
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- { target: "))
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(matrix_targets, release_targets);
    for expected in [
        "bash scripts/package.sh dist",
        "npm publish --provenance",
        "pypa/gh-action-pypi-publish",
        "id-token: write",
        "SHA256SUMS",
    ] {
        assert!(
            workflow.contains(expected),
            "release.yml lacks {expected:?}"
        );
    }
}

/// The metadata of a wheel or sdist (`METADATA` or `PKG-INFO`): its header fields, sorted, without
/// `Metadata-Version` (maturin writes a newer one), and whether a description follows.
fn metadata_fields(text: &str) -> (Vec<String>, bool) {
    let (headers, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut fields: Vec<String> = headers
        .lines()
        .filter(|l| !l.starts_with("Metadata-Version:"))
        .map(str::to_owned)
        .collect();
    fields.sort();
    (fields, body.contains("# apify-webhooks"))
}

/// scripts/wheel.py writes the metadata maturin writes for pyproject.toml (`maturin sdist`
/// reads it without compiling), so a wheel built by `maturin build` and the one package.sh makes
/// describe the same package.
#[test]
#[cfg_attr(
    windows,
    ignore = "scripts/package.sh and scripts/gitops-tools.sh are bash scripts"
)]
fn the_wheel_metadata_is_what_maturin_writes_for_pyproject_toml() {
    let Some(packages) = packages() else { return };
    let Some(tools) = crate::gitops::tools() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = run(Command::new(tools.join("maturin"))
        .args(["sdist", "--out"])
        .arg(dir.path())
        .current_dir(root()));
    assert_eq!(out.code, 0, "maturin sdist: {}{}", out.stdout, out.stderr);
    let sdist = dir.path().join(format!("apify_webhooks-{VERSION}.tar.gz"));
    let pkg_info = run(Command::new("tar")
        .arg("-xzf")
        .arg(&sdist)
        .arg("-O")
        .arg(format!("apify_webhooks-{VERSION}/PKG-INFO")));
    assert_eq!(pkg_info.code, 0, "{}", pkg_info.stderr);
    let wheel_metadata = run(Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())",
        ])
        .arg(packages.wheel())
        .arg(format!("apify_webhooks-{VERSION}.dist-info/METADATA")));
    assert_eq!(wheel_metadata.code, 0, "{}", wheel_metadata.stderr);
    let (maturin, maturin_readme) = metadata_fields(&pkg_info.stdout);
    let (ours, our_readme) = metadata_fields(&wheel_metadata.stdout);
    assert_eq!(ours, maturin);
    assert!(maturin_readme && our_readme, "both carry the README");
    assert!(
        ours.contains(&format!("Version: {VERSION}")),
        "the crate's version: {ours:?}"
    );
}
