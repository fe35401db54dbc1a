#!/usr/bin/env bash
# Merge request: post $COMMENT_FILE as the pipeline's single note on the merge request, editing
# the earlier one (found by a hidden marker on its first line). $1 is the plan's exit code.
# Needs GITLAB_API_TOKEN (a project access token with the `api` scope).
set -euo pipefail
: "${GITLAB_API_TOKEN:?}" "${CI_MERGE_REQUEST_IID:?}"
code="${1:-0}"
marker="<!-- apify-webhooks plan: ${MANIFESTS:-webhooks} -->"
api="$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes"
body="$(mktemp)"
{
  printf '%s\n\n' "$marker"
  if [ -s "$COMMENT_FILE" ]; then cat "$COMMENT_FILE"; else printf 'The plan failed (exit %s); see the job log.\n' "$code"; fi
} >"$body"
auth=(--header "PRIVATE-TOKEN: $GITLAB_API_TOKEN")
id="$(curl -fsS "${auth[@]}" "$api?per_page=100&sort=asc" |
  jq -r --arg m "$marker" '[.[] | select(.body | startswith($m))][0].id // empty')"
payload="$(jq -n --rawfile body "$body" '{body: $body}')"
if [ -n "$id" ]; then
  curl -fsS "${auth[@]}" --header 'Content-Type: application/json' -X PUT --data "$payload" "$api/$id" >/dev/null
  echo "Updated the plan note $id."
else
  curl -fsS "${auth[@]}" --header 'Content-Type: application/json' -X POST --data "$payload" "$api" >/dev/null
  echo "Posted the plan note."
fi
