//! `cargo bench --bench validate`: how long `validate` takes on 1,000 webhooks across 200 files,
//! in-process (the loader alone) and end to end (the release binary, process start included).
//! Reports the median of repeated runs and its ratio to the 100 ms budget of the issue.

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(
    clippy::format_push_string,
    reason = "fixture generation, not a hot path"
)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const FILES: usize = 200;
const PER_FILE: usize = 5;
const BUDGET: Duration = Duration::from_millis(100);

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    generate(dir.path());
    let paths = [dir.path().to_path_buf()];

    let loaded = apify_webhooks::manifest::load(&paths).expect("the generated manifests are valid");
    assert_eq!(loaded.webhooks.len(), FILES * PER_FILE);

    let in_process = measure(30, || {
        let m = apify_webhooks::manifest::load(&paths).expect("valid");
        std::hint::black_box(m);
    });
    report("load 1000 webhooks / 200 files (in-process)", &in_process);

    let bin = env!("CARGO_BIN_EXE_apify-webhooks");
    let end_to_end = measure(15, || {
        let status = Command::new(bin)
            .arg("validate")
            .arg(dir.path())
            .env("HOOK_TOKEN", "t")
            .env("RECEIVER_TOKEN", "r")
            .output()
            .expect("binary runs");
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    });
    report("apify-webhooks validate (process, end to end)", &end_to_end);
}

fn measure(runs: usize, mut f: impl FnMut()) -> Vec<Duration> {
    for _ in 0..3 {
        f();
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn report(what: &str, times: &[Duration]) {
    let median = times[times.len() / 2];
    let min = times[0];
    let max = times[times.len() - 1];
    println!(
        "{what}: median {:.1} ms (min {:.1}, max {:.1}, {} runs) = {:.2}x of the 100 ms budget",
        ms(median),
        ms(min),
        ms(max),
        times.len(),
        median.as_secs_f64() / BUDGET.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// 200 realistic files: each an Actor and a task with five webhooks using every field.
fn generate(dir: &Path) {
    for f in 0..FILES {
        let mut text = format!(
            "# yaml-language-server: $schema=../schemas/manifest.schema.json\nversion: 1\nowner: bench\nactors:\n  acme/actor-{f}:\n"
        );
        for w in 0..PER_FILE {
            if w == 3 {
                text.push_str(&format!("tasks:\n  acme/task-{f}:\n"));
            }
            let events = if w < 3 {
                "[ACTOR.RUN.FAILED, ACTOR.RUN.TIMED_OUT, ACTOR.BUILD.FAILED]"
            } else {
                "[ACTOR.RUN.SUCCEEDED]"
            };
            text.push_str(&format!(
                "    - key: file-{f}/hook-{w}
      eventTypes: {events}
      requestUrl: https://hooks.example.com/{f}/{w}?token=${{HOOK_TOKEN}}
      description: Webhook {w} of file {f}
      payloadTemplate: |
        {{\"event\": {{{{eventType}}}}, \"run\": {{{{resource}}}}, \"at\": {{{{globals.dateISO}}}}}}
      headersTemplate:
        Authorization: Bearer ${{RECEIVER_TOKEN}}
        X-Source: bench
      doNotRetry: false
"
            ));
        }
        std::fs::write(dir.join(format!("m{f:03}.yaml")), text).expect("write");
    }
}
