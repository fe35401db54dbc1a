#!/usr/bin/env bash
# Schedule: does the account still match the default branch, and do its webhooks deliver?
# Plans the manifests against the account (drift: someone changed a webhook in the Console),
# then runs `apify-webhooks status` (failing deliveries: a managed webhook whose last finished
# dispatch failed). When either finds something, writes the report as Markdown to
# $COMMENT_FILE (the body of the issue); otherwise removes it and writes nothing.
# Outputs `drift` and `failing` (true, false, or unknown after an error). Exits 2 on drift,
# 5 on failing deliveries without drift, 0 when all is well, the tool's code on errors.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

plan="$(mktemp)"
status="$(mktemp)"
trap 'rm -f "$plan" "$status"' EXIT
rm -f "$COMMENT_FILE"

apify-webhooks plan "${TARGETS[@]}" --format markdown --detailed-exitcode >"$plan"
code=$?
output exitcode "$code"
case "$code" in
  0) output drift false; echo "No drift: the account matches the manifests." ;;
  2) output drift true; echo "::warning::The account drifted from the manifests; see the issue." >&2 ;;
  *)
    output drift unknown
    output failing unknown
    echo "::error::The drift check failed with exit code $code." >&2
    exit "$code"
    ;;
esac

# Exit 0: every managed webhook delivers (or was never dispatched); 5: some are failing.
apify-webhooks status "${TARGETS[@]}" --format markdown >"$status"
status_code=$?
output status_exitcode "$status_code"
case "$status_code" in
  0) output failing false; echo "Deliveries: no managed webhook is failing." ;;
  5) output failing true; echo "::warning::Some managed webhooks are failing to deliver; see the issue." >&2 ;;
  *)
    output failing unknown
    echo "::error::apify-webhooks status failed with exit code $status_code." >&2
    exit "$status_code"
    ;;
esac

if [ "$code" = 2 ] || [ "$status_code" = 5 ]; then
  # shellcheck disable=SC2016 # Markdown backquotes
  {
    marker drift
    printf '\n'
    if [ "$code" = 2 ]; then
      printf '### The account drifted from `%s` on the default branch\n\n' "$MANIFESTS"
      printf 'A merge applies the manifests again; or change the manifests to match the account.\n\n'
      cat "$plan"
      printf '\n'
    fi
    if [ "$status_code" = 5 ]; then
      printf '### Some managed webhooks are failing to deliver\n\n'
      printf 'Their last finished dispatch failed: check the receivers, then send a test dispatch with the `test` command.\n\n'
      cat "$status"
    fi
  } >"$COMMENT_FILE"
fi
if [ "$code" = 2 ]; then exit 2; fi
exit "$status_code"
