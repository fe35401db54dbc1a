#!/usr/bin/env bash
# Merge: apply exactly the reviewed plan. A stale plan (the manifests, a secret or the account
# changed since the review) is refused by the tool with exit 3 and changes nothing; this
# script then says how to get out of it, in the log and in the job summary.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

apify-webhooks apply --plan "$PLAN_FILE"
code=$?
output exitcode "$code"
case "$code" in
  0) exit 0 ;;
  3)
    echo "::error::The reviewed plan was not applied: it is stale or refused (exit 3). Nothing was changed." >&2
    summary <<'TEXT'
### apify-webhooks: the reviewed plan was not applied

The plan is stale: the manifests on the default branch, a secret, or the webhooks on the account
changed since the pull request was planned. Nothing was changed.

The way out: run the **apify-webhooks plan** workflow on the default branch by hand
(Actions → apify-webhooks plan → Run workflow), review the plan in its summary, then run the
**apify-webhooks apply** workflow by hand with that run's id as `plan_run_id`.
TEXT
    exit 3
    ;;
  4)
    echo "::error::The apply finished partially (exit 4): some operations failed. Re-run the job; the next apply finishes the rest without duplicates." >&2
    exit 4
    ;;
  *)
    echo "::error::apify-webhooks apply failed with exit code $code before changing anything." >&2
    exit "$code"
    ;;
esac
