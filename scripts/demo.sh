#!/usr/bin/env bash
# The main job, end to end with no Apify account: plan the example manifests against the
# embedded emulator (--local) and save the plan, apply exactly that plan, and plan again to show
# that nothing is left to do.
# Runs in a fresh temporary directory, so every run starts from an empty local account.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="$repo/target/debug/apify-webhooks"
if [ ! -x "$bin" ]; then
  echo "Building apify-webhooks first; on a fresh machine with two cores this takes a few minutes..." >&2
fi
# The debug profile: on two cores it builds about as fast as release (577 s against 594 s from
# scratch, measured side by side) and the demo's three commands take half a second either way,
# and it is the build `cargo test` makes too. Not --quiet: cargo's progress (a bar on a
# terminal, a line per crate otherwise) shows that the minutes of a first build are work.
# --locked: the versions in Cargo.lock, as tested.
cargo build --locked --manifest-path "$repo/Cargo.toml"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$repo/examples" "$work/"
cd "$work"

# examples/secrets.yaml reads these from the environment; the values never appear in output.
export PAGERDUTY_ROUTING_KEY=demo-routing-key SLACK_WEBHOOK_PATH=T000/B000/demo ARCHIVE_API_TOKEN=demo-token

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; }
step apify-webhooks plan --local examples/ --out plan.json
"$bin" plan --local examples/ --out plan.json
step apify-webhooks apply --local --plan plan.json
"$bin" apply --local --plan plan.json
step apify-webhooks plan --local --detailed-exitcode examples/
"$bin" plan --local --detailed-exitcode examples/
