//! `cargo bench --bench reconcile`: plan and apply against the emulator with 50 ms of latency on
//! every request, run through the release binary as a user would.
//!
//! - plan: an account at the 100-webhook cap (100 owned webhooks on 40 Actors and 20 tasks, 10
//!   of them out of date; then none), reported as wall time, as a multiple of the latency (the
//!   number of sequential round trips it amounts to) and as requests a plan.
//! - plan of a pattern over 1,050 Actors (more than a page of the Actor list) with 100 matching
//!   webhooks, reported the same way.
//! - the expansion of 10 patterns over 1,000 Actors and tasks, the pure function alone.
//! - apply: 100 creates, at the default parallelism and at `--parallelism 1`, reported as the
//!   ratio of the two and as multiples of the latency.
//! - environments: a project file with two environments, two accounts on two emulators, each at
//!   the cap: the plan of both (planned concurrently) against the plan of one (`--env`),
//!   reported as a ratio (the target is at most 1.2x). `-- environments` runs only this one.
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(
    clippy::format_push_string,
    reason = "fixture generation, not a hot path"
)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use apify_webhooks::emulator::{
    DEFAULT_TOKEN, Emulator, EmulatorConfig, EmulatorHandle, Faults, Seed, SeedSource,
};

const LATENCY: Duration = Duration::from_millis(50);

struct Server {
    runtime: tokio::runtime::Runtime,
    handle: EmulatorHandle,
}

impl Server {
    fn start(seed: &str) -> Self {
        Self::with_latency(seed, LATENCY)
    }

    fn with_latency(seed: &str, latency: Duration) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let config = EmulatorConfig {
            seed: SeedSource::Seed(Seed::from_yaml(seed).expect("seed")),
            faults: Faults {
                latency_ms: u64::try_from(latency.as_millis()).unwrap_or(50),
                ..Faults::default()
            },
            ..EmulatorConfig::default()
        };
        let handle = runtime.block_on(Emulator::start(config)).expect("emulator");
        Server { runtime, handle }
    }

    fn run(&self, dir: &Path, args: &[&str]) -> Duration {
        let start = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_apify-webhooks"))
            .current_dir(dir)
            .env("APIFY_API_BASE_URL", self.handle.base_url())
            .env("APIFY_TOKEN", DEFAULT_TOKEN)
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .expect("binary runs");
        let elapsed = start.elapsed();
        assert!(
            matches!(out.status.code(), Some(0 | 2)),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        elapsed
    }

    /// The median of `n` runs of the binary in `dir` with `args` and the variables `vars` (no
    /// `APIFY_TOKEN`: a project file names each environment's token).
    fn median_with(dir: &Path, args: &[&str], vars: &[(&str, &str)], n: usize) -> Duration {
        let mut runs: Vec<Duration> = (0..n)
            .map(|_| {
                let start = Instant::now();
                let out = Command::new(env!("CARGO_BIN_EXE_apify-webhooks"))
                    .current_dir(dir)
                    .env_remove("APIFY_TOKEN")
                    .env("NO_COLOR", "1")
                    .envs(vars.iter().copied())
                    .args(args)
                    .output()
                    .expect("binary runs");
                let elapsed = start.elapsed();
                assert!(
                    matches!(out.status.code(), Some(0 | 2)),
                    "{args:?}: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                elapsed
            })
            .collect();
        runs.sort();
        runs[runs.len() / 2]
    }

    fn stop(self) {
        self.runtime.block_on(self.handle.shutdown());
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    // `-- environments`: only the environments' figures.
    if std::env::args().skip(1).any(|a| a == "environments") {
        environments(dir.path());
        return;
    }

    // plan at the cap, with 10 changes and with none
    for (what, stale) in [("10 to change", true), ("no changes", false)] {
        let (seed, manifest) = cap_world(100, 40, 20, true, stale);
        std::fs::write(dir.path().join("cap.yaml"), &manifest).expect("write");
        report_plan(
            &format!("plan, 100 webhooks on 40 Actors and 20 tasks, {what}"),
            &seed,
            dir.path(),
            "cap.yaml",
        );
    }

    // a pattern over 1,050 Actors, 100 of which it matches (and has its webhook)
    let (seed, manifest) = pattern_world(1050, 100);
    std::fs::write(dir.path().join("pattern.yaml"), &manifest).expect("write");
    report_plan(
        "plan, a pattern over 1050 Actors matching 100, no changes",
        &seed,
        dir.path(),
        "pattern.yaml",
    );

    environments(dir.path());

    // the expansion alone
    report_expansion();

    // apply: 100 creates
    let (seed, manifest) = cap_world(100, 20, 10, false, false);
    std::fs::write(dir.path().join("creates.yaml"), manifest).expect("write");
    let mut results = Vec::new();
    for parallelism in ["1", "4", "10", "16", "32"] {
        let server = Server::start(&seed);
        let took = server.run(
            dir.path(),
            &[
                "apply",
                "--auto-approve",
                "--parallelism",
                parallelism,
                "creates.yaml",
            ],
        );
        server.stop();
        results.push((parallelism, took));
    }
    let sequential = results[0].1;
    for (parallelism, took) in &results {
        println!(
            "apply, 100 creates, {} ms latency, --parallelism {parallelism:>2}: {:.0} ms = {:.1}x the latency, {:.2}x faster than --parallelism 1",
            LATENCY.as_millis(),
            ms(*took),
            took.as_secs_f64() / LATENCY.as_secs_f64(),
            sequential.as_secs_f64() / took.as_secs_f64()
        );
    }
}

/// Two environments at the cap, each its own account on its own emulator: the plan of both
/// against the plan of one, with the latency and without it (what is left is local work: the
/// debug or release build, the machine's load), so the round trips the latency adds are told
/// apart from it.
fn environments(dir: &Path) {
    let (seed, manifest) = cap_world(100, 20, 10, true, true);
    let project = dir.join("project");
    std::fs::create_dir_all(project.join("webhooks")).expect("mkdir");
    std::fs::write(
        project.join("webhooks/cap.yaml"),
        manifest.replace("acme/", "${ORG}/"),
    )
    .expect("write");
    let token_b = DEFAULT_TOKEN.replace("acme", "acme2");
    let vars = [("TOKEN_A", DEFAULT_TOKEN), ("TOKEN_B", token_b.as_str())];
    let mut medians = Vec::new();
    for latency in [LATENCY, Duration::ZERO] {
        let a = Server::with_latency(&seed, latency);
        let b = Server::with_latency(&seed.replace("acme", "acme2"), latency);
        std::fs::write(
            project.join("apify-webhooks.yaml"),
            format!(
                "version: 1\nenvironments:\n  a:\n    manifests: [webhooks]\n    token: TOKEN_A\n    apiUrl: {}\n    vars: {{ORG: acme}}\n  b:\n    manifests: [webhooks]\n    token: TOKEN_B\n    apiUrl: {}\n    vars: {{ORG: acme2}}\n",
                a.handle.base_url(),
                b.handle.base_url()
            ),
        )
        .expect("write");
        let one = Server::median_with(&project, &["plan", "--env", "a"], &vars, 7);
        let both = Server::median_with(&project, &["plan"], &vars, 7);
        a.stop();
        b.stop();
        medians.push((one, both));
    }
    let [(one, both), (one_local, both_local)] = medians[..] else {
        unreachable!("two latencies")
    };
    println!(
        "plan, 2 environments (2 accounts at the cap), {} ms latency: median {:.0} ms against {:.0} ms for one = {:.2}x (target <= 1.2x)",
        LATENCY.as_millis(),
        ms(both),
        ms(one),
        both.as_secs_f64() / one.as_secs_f64()
    );
    let waited = |with: Duration, without: Duration| with.saturating_sub(without);
    println!(
        "  without latency: {:.0} ms against {:.0} ms (local work); the latency adds {:.0} ms to both against {:.0} ms to one = {:.2}x",
        ms(both_local),
        ms(one_local),
        ms(waited(both, both_local)),
        ms(waited(one, one_local)),
        waited(both, both_local).as_secs_f64() / waited(one, one_local).as_secs_f64().max(1e-9)
    );
}

/// Plans `manifest` 7 times against a fresh emulator seeded with `seed`: the median, as wall time
/// and as round trips of latency, and the requests a plan makes. The same plan without latency
/// gives the local work (process start, parsing, the emulator's own time), so that what the
/// latency adds shows as round trips of its own.
fn report_plan(what: &str, seed: &str, dir: &Path, manifest: &str) {
    let median = |latency: Duration| {
        let server = Server::with_latency(seed, latency);
        let mut plans: Vec<Duration> = (0..7)
            .map(|_| server.run(dir, &["plan", manifest]))
            .collect();
        plans.sort();
        let requests = server.handle.request_log().len() / plans.len();
        server.stop();
        (plans[plans.len() / 2], requests)
    };
    let (plan, requests) = median(LATENCY);
    let (local, _) = median(Duration::ZERO);
    println!(
        "{what}, {} ms latency: median {:.0} ms = {:.1}x the latency ({requests} requests a plan); without latency {:.0} ms, so the latency adds {:.1} round trips",
        LATENCY.as_millis(),
        ms(plan),
        plan.as_secs_f64() / LATENCY.as_secs_f64(),
        ms(local),
        plan.saturating_sub(local).as_secs_f64() / LATENCY.as_secs_f64()
    );
}

/// Times `plan::expand::expand` of 10 patterns over 1,000 Actors and tasks.
fn report_expansion() {
    use apify_webhooks::plan::expand::{LiveTarget, PatternRule, expand};
    use apify_webhooks::webhook::TargetKind;
    let targets: Vec<LiveTarget> = (0..1000)
        .map(|i| LiveTarget {
            kind: if i % 4 == 0 {
                TargetKind::Task
            } else {
                TargetKind::Actor
            },
            id: format!("ID{i:015}"),
            name: format!("acme/team-{}-service-{i}", i % 10),
            own: true,
        })
        .collect();
    let rules: Vec<PatternRule> = (0..10)
        .map(|p| PatternRule {
            key: format!("rule-{p}"),
            kind: if p % 2 == 0 {
                TargetKind::Actor
            } else {
                TargetKind::Task
            },
            pattern: format!("acme/team-{p}-*"),
            exclude: vec![format!("acme/team-{p}-service-1?")],
        })
        .collect();
    let rounds = 200;
    let start = Instant::now();
    let mut matched = 0;
    for _ in 0..rounds {
        matched = std::hint::black_box(expand(&rules, &targets))
            .iter()
            .map(|m| m.matched.len())
            .sum::<usize>();
    }
    let each = start.elapsed() / rounds;
    println!(
        "expansion, 10 patterns x 1000 Actors and tasks ({matched} matches): {:.0} µs",
        each.as_secs_f64() * 1e6
    );
}

/// `total` Actors, the first `matching` of which a pattern matches and already carry its
/// webhook.
fn pattern_world(total: usize, matching: usize) -> (String, String) {
    let mut seed = format!("users:\n  - {{username: acme, token: {DEFAULT_TOKEN}}}\nactors:\n");
    let mut webhooks = String::from("webhooks:\n");
    for a in 0..total {
        let name = if a < matching {
            format!("acme/hooked-{a}")
        } else {
            format!("acme/plain-{a}")
        };
        seed.push_str(&format!("  - {{name: {name}}}\n"));
        if a < matching {
            webhooks.push_str(&format!(
                "  - {{user: acme, actor: {name}, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://hooks.example.com/failed', description: '[apify-webhooks owner=default key=failed]'}}\n"
            ));
        }
    }
    seed.push_str(&webhooks);
    let manifest = "version: 1\nactors:\n  \"acme/hooked-*\":\n    - {key: failed, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://hooks.example.com/failed'}\n".to_owned();
    (seed, manifest)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Actors and tasks, and a manifest of `total` webhooks over them; with `existing`, the account
/// already holds them all (with `stale`, every tenth with an old URL), without, it holds none.
fn cap_world(
    total: usize,
    actors: usize,
    tasks: usize,
    existing: bool,
    stale: bool,
) -> (String, String) {
    let mut seed = format!("users:\n  - {{username: acme, token: {DEFAULT_TOKEN}}}\nactors:\n");
    for a in 0..actors {
        seed.push_str(&format!("  - {{name: acme/actor-{a}}}\n"));
    }
    seed.push_str("tasks:\n");
    for t in 0..tasks {
        seed.push_str(&format!(
            "  - {{name: acme/task-{t}, actor: acme/actor-0}}\n"
        ));
    }
    let mut manifest = String::from("version: 1\n");
    let mut webhooks = String::from("webhooks:\n");
    for (kind, count) in [("actor", actors), ("task", tasks)] {
        manifest.push_str(&format!("{kind}s:\n"));
        for n in 0..count {
            manifest.push_str(&format!("  acme/{kind}-{n}:\n"));
            let slot = if kind == "actor" { n } else { actors + n };
            for i in (slot..total).step_by(actors + tasks) {
                manifest.push_str(&format!(
                    "    - {{key: hook-{i}, eventTypes: [ACTOR.RUN.FAILED], requestUrl: 'https://hooks.example.com/{i}'}}\n"
                ));
                let url = if stale && i % 10 == 0 {
                    "https://old.example.com"
                } else {
                    "https://hooks.example.com"
                };
                webhooks.push_str(&format!(
                    "  - {{user: acme, {kind}: acme/{kind}-{n}, eventTypes: [ACTOR.RUN.FAILED], requestUrl: '{url}/{i}', description: '[apify-webhooks owner=default key=hook-{i}]'}}\n"
                ));
            }
        }
    }
    if existing {
        seed.push_str(&webhooks);
    }
    (seed, manifest)
}
