//! The integration tests: one binary that drives the real `apify-webhooks` executable (and, for
//! the platform tests, the library against the emulator on 127.0.0.1:0).

#![allow(unreachable_pub, reason = "test modules share helpers through `pub`")]
#![allow(
    clippy::format_collect,
    clippy::format_push_string,
    reason = "readable fixtures beat allocation counts in tests"
)]

mod support;

mod apply;
/// Bodies against the official OpenAPI schemas.
mod contract;
/// Will it deliver? The emulator's delivery, `status` and `test`.
mod delivery;
/// The README, the guide in docs/ and the changelog: links resolve, commands parse (issue 19).
mod docs;
/// The emulator as an API and as a process.
mod emulator;
/// Environments and accounts: a project file, two accounts, one run (issue 18).
mod environments;
/// The event model against the official schemas.
mod event;
mod everyday;
mod examples;
/// `export`: from a live account to manifests that round-trip (issue 10).
mod export;
/// Every webhook field known everywhere it must be.
mod fields;
/// Reading and writing files: symlinks, FIFOs, devices, bounds, echoes (the tests that make
/// symbolic links, FIFOs or file modes, or read `/dev/zero`, are `cfg(unix)`).
mod files;
mod fuzz;
/// GitOps: pipelines, the action, the Dockerfile, completions, man pages, the live smoke test.
mod gitops;
/// Installing it from the npm and PyPI packages and the release archive, offline (issue 19).
mod install;
/// Ownership: markers, damaged markers, disabled duplicates, adoption, saved plans (issue 16).
mod ownership;
/// Patterns: one webhook for many Actors and tasks (issue 17).
mod patterns;
mod plan;
/// The platform client against the emulator.
mod platform;
/// `preview`: the request a webhook sends, for every event type.
mod preview;
/// Secrets never shown, even once the manifests stop referencing them (issue 9 §1).
mod secrets;
mod validate;
