#!/usr/bin/env bash
# Pull request: plan against the account, save the plan for the merge ($PLAN_FILE, uploaded as an
# artifact), and write the pull-request comment ($COMMENT_FILE, with a hidden marker on its
# first line so later pushes update the same comment).
# Exits 0 when the plan could be made (with or without changes; output `changes`), and with
# the tool's exit code otherwise, after writing a comment that says so.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

rm -f "$PLAN_FILE"
body="$(mktemp)"
trap 'rm -f "$body"' EXIT
apify-webhooks plan "${TARGETS[@]}" --format markdown --out "$PLAN_FILE" --detailed-exitcode >"$body"
code=$?
output exitcode "$code"
# shellcheck disable=SC2016 # the backquotes are Markdown
{
  marker plan
  printf '\n'
  case "$code" in
    0 | 2 | 3) cat "$body" ;;
    65) printf '### apify-webhooks: the manifests are invalid\n\nSee the annotations on the diff and the `validate` step of the run.\n' ;;
    *) printf '### apify-webhooks: the plan failed (exit %s)\n\nSee the `plan` step of the run; nothing was changed.\n' "$code" ;;
  esac
} >"$COMMENT_FILE"
case "$code" in
  0) output changes false ;;
  2) output changes true ;;
  *)
    output changes unknown
    echo "::error::apify-webhooks plan failed with exit code $code (3: refused, 65: invalid manifests, 1: error)." >&2
    exit "$code"
    ;;
esac
