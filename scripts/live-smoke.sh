#!/usr/bin/env bash
# The live smoke test: proof on a real Apify account that the tool round-trips.
#
#   APIFY_WEBHOOKS_LIVE_SMOKE=1 APIFY_TOKEN=apify_api_... bash scripts/live-smoke.sh
#   bash scripts/live-smoke.sh --emulator      # the same steps against the local emulator
#                                              # (its own, or a loopback APIFY_API_BASE_URL)
#
# Under a unique throwaway owner (smoke-<time>-<random>), on one of the account's own Actors
# ($LIVE_SMOKE_ACTOR, or the first one the token owns), it validates, plans and applies one
# webhook; checks that a second plan has no changes, that the webhook reads back as declared
# (marker, URL, event types) and that a test dispatch is recorded; then deletes everything it
# made, also when it fails or is interrupted. It touches nothing it did not create: it only
# manages webhooks of its own owner, and deletes only ids it created.
# Needs curl and jq. Uses $APIFY_WEBHOOKS_BIN, or builds the tool with cargo.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
}

emulator=false
case "${1:-}" in
  "") ;;
  --emulator) emulator=true ;;
  -h | --help) usage; exit 0 ;;
  *) echo "live-smoke: unknown argument \`$1\`" >&2; usage; exit 64 ;;
esac

if ! $emulator; then
  if [ "${APIFY_WEBHOOKS_LIVE_SMOKE:-}" != 1 ]; then
    echo "live-smoke: refusing to run against the real Apify API without the opt-in: set APIFY_WEBHOOKS_LIVE_SMOKE=1 (or pass --emulator)." >&2
    exit 64
  fi
  if [ -z "${APIFY_TOKEN:-}" ]; then
    echo "live-smoke: APIFY_TOKEN is not set." >&2
    exit 64
  fi
fi
for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "live-smoke: $tool is needed" >&2; exit 1; }
done

bin="${APIFY_WEBHOOKS_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --quiet --locked --manifest-path "$repo/Cargo.toml" --bin apify-webhooks
  bin="$repo/target/debug/apify-webhooks"
fi
# With `background=true`, `apify-webhooks ... &` runs the binary in place of the job's subshell
# (exec), so that `$!` is the binary's PID: killing a subshell would leave the binary running.
background=false
apify-webhooks() {
  if $background; then exec "$bin" "$@"; fi
  "$bin" "$@"
}

work="$(mktemp -d)"
emulator_pid=""
created_ids=()
cleaned=false

step() { printf '\n== %s\n' "$*" >&2; }

# api METHOD PATH [curl args...]: the Apify API, the token in a header file (never on a
# command line or in the log).
api() {
  local method="$1" path="$2"
  shift 2
  curl --fail --silent --show-error --request "$method" --header "@$work/auth" \
    "${APIFY_API_BASE_URL:-https://api.apify.com}$path" "$@"
}

cleanup() {
  $cleaned && return
  cleaned=true
  set +e
  if [ -f "$work/webhooks/smoke.yaml" ]; then
    step "cleanup: apply an empty manifest for owner $owner"
    printf 'version: 1\nowner: %s\n' "$owner" >"$work/webhooks/smoke.yaml"
    (cd "$work" && apify-webhooks apply webhooks --auto-approve --force -q)
  fi
  for id in "${created_ids[@]}"; do
    if api GET "/v2/webhooks/$id" >/dev/null 2>&1; then
      echo "cleanup: deleting webhook $id" >&2
      api DELETE "/v2/webhooks/$id" >/dev/null
    fi
  done
  set -e
}
# On every exit: clean up, stop our own emulator and remove the work folder (it holds the
# token file), keeping the script's exit code. Nothing here may abort the trap: `set +e`, since
# `wait` reports the emulator's SIGTERM (143) and `cleanup` turns `set -e` back on.
finish() {
  local code=$?
  cleanup
  set +e
  if [ -n "$emulator_pid" ]; then
    kill "$emulator_pid" 2>/dev/null
    wait "$emulator_pid" 2>/dev/null
  fi
  rm -rf "$work"
  exit "$code"
}
trap finish EXIT
trap 'echo "live-smoke: interrupted; cleaning up" >&2; exit 130' INT TERM

if $emulator && [ -n "${APIFY_API_BASE_URL:-}" ]; then
  # An emulator the caller runs (the tests, to look at it afterwards): loopback only.
  case "$APIFY_API_BASE_URL" in
    http://127.0.0.1:* | http://localhost:*) ;;
    *) echo "live-smoke: --emulator takes only a loopback APIFY_API_BASE_URL" >&2; exit 64 ;;
  esac
  export APIFY_TOKEN=apify_api_LOCAL_EMULATOR_acme_0000000000
elif $emulator; then
  step "start the emulator"
  # `$!` is the emulator itself (see `background`), which the trap stops; should this script
  # die without running its trap (SIGKILL), the emulator stops by itself (--exit-with-parent).
  background=true; apify-webhooks emulator --port 0 --exit-with-parent >"$work/emulator.out" 2>"$work/emulator.err" &
  emulator_pid=$!
  background=false
  for _ in $(seq 100); do
    grep -q '^Listening on ' "$work/emulator.out" 2>/dev/null && break
    sleep 0.1
  done
  APIFY_API_BASE_URL="$(sed -n 's/^Listening on //p' "$work/emulator.out")"
  [ -n "$APIFY_API_BASE_URL" ] || { cat "$work/emulator.err" >&2; exit 1; }
  export APIFY_API_BASE_URL
  export APIFY_TOKEN=apify_api_LOCAL_EMULATOR_acme_0000000000
  export APIFY_WEBHOOKS_RETRY_BASE_MS=1
fi
(umask 077 && printf 'Authorization: Bearer %s\n' "$APIFY_TOKEN" >"$work/auth")

owner="smoke-$(date +%s)-$RANDOM"
actor="${LIVE_SMOKE_ACTOR:-}"
if [ -z "$actor" ]; then
  actor="$(api GET '/v2/acts?my=1&limit=1' | jq -r '.data.items[0] | "\(.username)/\(.name)"')"
  [ "$actor" != "null/null" ] || { echo "live-smoke: the account has no Actor of its own; set LIVE_SMOKE_ACTOR" >&2; exit 1; }
fi
url="https://example.com/apify-webhooks-live-smoke/$owner"
mkdir "$work/webhooks"
cat >"$work/webhooks/smoke.yaml" <<YAML
version: 1
owner: $owner
actors:
  $actor:
    - key: smoke
      eventTypes: [ACTOR.RUN.FAILED]
      requestUrl: $url
      description: apify-webhooks live smoke test; deleted when the test ends
YAML
cd "$work"
echo "owner $owner, Actor $actor" >&2

step "validate"
apify-webhooks validate webhooks
step "plan --out"
apify-webhooks plan webhooks --out plan.json
step "apply --plan"
apify-webhooks apply --plan plan.json

actor_path="${actor%%/*}~${actor#*/}"
actor_id="$(api GET "/v2/acts/$actor_path" | jq -r .data.id)"
hooks="$(api GET "/v2/acts/$actor_id/webhooks?limit=1000" | jq -c --arg o "owner=$owner" '[.data.items[] | select((.description // "") | contains($o))]')"
mapfile -t created_ids < <(jq -r '.[].id' <<<"$hooks")
# For the tests: an interruption right after the apply must still clean up.
if [ "${LIVE_SMOKE_INTERRUPT_AFTER_APPLY:-}" = 1 ]; then kill -TERM $$; fi

step "plan again: no changes"
code=0
apify-webhooks plan webhooks --detailed-exitcode -q || code=$?
[ "$code" = 0 ] || { echo "live-smoke: FAILED: the plan after apply is not empty (exit $code)" >&2; exit 1; }

step "read back"
[ "${#created_ids[@]}" = 1 ] || { echo "live-smoke: FAILED: expected 1 webhook of owner $owner, found ${#created_ids[@]}" >&2; exit 1; }
id="${created_ids[0]}"
hook="$(api GET "/v2/webhooks/$id" | jq -c .data)"
jq -e --arg url "$url" '.requestUrl == $url and .eventTypes == ["ACTOR.RUN.FAILED"]' <<<"$hook" >/dev/null ||
  { echo "live-smoke: FAILED: the webhook does not read back as declared: $hook" >&2; exit 1; }

step "test dispatch"
dispatch="$(api POST "/v2/webhooks/$id/test" | jq -r .data.id)"
api GET "/v2/webhooks/$id/dispatches?limit=100" | jq -e --arg d "$dispatch" '[.data.items[].id] | index($d) != null' >/dev/null ||
  { echo "live-smoke: FAILED: the test dispatch $dispatch is not recorded" >&2; exit 1; }

cleanup
if [ -n "$(api GET "/v2/webhooks/$id" 2>/dev/null | jq -r '.data.id // empty' 2>/dev/null)" ]; then
  echo "live-smoke: FAILED: webhook $id still exists after cleanup" >&2
  exit 1
fi
echo "live-smoke: passed (owner $owner, everything it made is deleted)" >&2
