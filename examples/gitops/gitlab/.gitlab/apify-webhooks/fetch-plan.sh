#!/usr/bin/env bash
# Default branch: download the plan reviewed on the merged merge request (the `plan` job's
# artifact of its latest pipeline) into $PLAN_FILE. Needs GITLAB_API_TOKEN (`api` scope).
set -euo pipefail
: "${GITLAB_API_TOKEN:?}"
auth=(--header "PRIVATE-TOKEN: $GITLAB_API_TOKEN")
api="$CI_API_V4_URL/projects/$CI_PROJECT_ID"
mr="$(curl -fsS "${auth[@]}" "$api/repository/commits/$CI_COMMIT_SHA/merge_requests" | jq -r '.[0].iid // empty')"
if [ -z "$mr" ]; then
  echo "$CI_COMMIT_SHA was not merged from a merge request: there is no reviewed plan to apply." >&2
  exit 3
fi
pipeline="$(curl -fsS "${auth[@]}" "$api/merge_requests/$mr/pipelines" | jq -r '.[0].id // empty')"
job="$(curl -fsS "${auth[@]}" "$api/pipelines/$pipeline/jobs?scope[]=success" |
  jq -r '[.[] | select(.name == "plan")][0].id // empty')"
if [ -z "$job" ]; then
  echo "No successful plan job in the latest pipeline of !$mr: nothing reviewed to apply." >&2
  exit 3
fi
echo "Applying the plan reviewed on !$mr (job $job)."
curl -fsS "${auth[@]}" -o "$PLAN_FILE" "$api/jobs/$job/artifacts/$PLAN_FILE"
