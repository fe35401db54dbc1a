#!/usr/bin/env bash
# Merge: download the plan reviewed on the merged pull request (the artifact of the last
# successful plan run on its head commit) into $PLAN_FILE. With $PLAN_RUN_ID set (a manual run),
# takes the plan of that run instead. Needs GH_TOKEN with `actions: read`.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
: "${GITHUB_REPOSITORY:?}" "${GITHUB_SHA:?}"
workflow="${PLAN_WORKFLOW:-apify-webhooks-plan.yml}"
artifact="${PLAN_ARTIFACT:-apify-webhooks-plan}"

run="${PLAN_RUN_ID:-}"
if [ -z "$run" ]; then
  pr="$(gh api "repos/$GITHUB_REPOSITORY/commits/$GITHUB_SHA/pulls" --jq '.[0].number // empty')"
  if [ -z "$pr" ]; then
    echo "::error::$GITHUB_SHA was not merged from a pull request, so there is no reviewed plan to apply. Plan on a pull request, or run the plan workflow by hand and then this one with its run id." >&2
    exit 3
  fi
  head_sha="$(gh api "repos/$GITHUB_REPOSITORY/pulls/$pr" --jq .head.sha)"
  run="$(gh run list --repo "$GITHUB_REPOSITORY" --workflow "$workflow" --commit "$head_sha" \
    --status success --limit 1 --json databaseId --jq '.[0].databaseId // empty')"
  if [ -z "$run" ]; then
    echo "::error::No successful plan run for pull request #$pr (commit $head_sha): nothing reviewed to apply." >&2
    exit 3
  fi
  echo "Applying the plan reviewed on pull request #$pr (run $run)."
fi
dir="$(mktemp -d)"
gh run download "$run" --repo "$GITHUB_REPOSITORY" --name "$artifact" --dir "$dir"
mv "$dir/$(basename "$PLAN_FILE")" "$PLAN_FILE"
output plan_run_id "$run"
