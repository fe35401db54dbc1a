#!/usr/bin/env bash
# Schedule: does the account still match the default branch? Writes the plan as Markdown to
# $COMMENT_FILE (the body of the drift issue) and exits like `plan --detailed-exitcode`: 0 in
# sync, 2 drift, others on errors. Output `drift` is true or false.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

body="$(mktemp)"
trap 'rm -f "$body"' EXIT
apify-webhooks plan "$MANIFESTS" --format markdown --detailed-exitcode >"$body"
code=$?
# --- status (issue 11) ---------------------------------------------------------------------
# When `apify-webhooks status` exists, run it here too and append its report (failed
# deliveries of the declared webhooks) to the issue body, counting its findings as drift.
# -------------------------------------------------------------------------------------------
output exitcode "$code"
{
  marker drift
  # shellcheck disable=SC2016 # Markdown backquotes
  printf '\n### The account drifted from `%s` on the default branch\n\n' "$MANIFESTS"
  printf 'A merge applies the manifests again; or change the manifests to match the account.\n\n'
  cat "$body"
} >"$COMMENT_FILE"
case "$code" in
  0) output drift false; echo "No drift: the account matches the manifests." ;;
  2) output drift true; echo "::warning::The account drifted from the manifests; see the issue." >&2 ;;
  *) output drift unknown; echo "::error::The drift check failed with exit code $code." >&2 ;;
esac
exit "$code"
