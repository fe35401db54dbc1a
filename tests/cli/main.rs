//! The integration tests: one binary that drives the real `apify-webhooks` executable (and, for
//! the platform tests, the library against the emulator on 127.0.0.1:0).

#![allow(unreachable_pub, reason = "test modules share helpers through `pub`")]
#![allow(
    clippy::format_collect,
    reason = "readable fixtures beat allocation counts in tests"
)]

mod support;

mod examples;
mod fuzz;
mod validate;
