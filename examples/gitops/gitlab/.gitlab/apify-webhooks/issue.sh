#!/usr/bin/env bash
# Schedule: open one issue about drift or failing deliveries with the body $COMMENT_FILE, or
# replace the body of the open one. Needs GITLAB_API_TOKEN (`api` scope).
set -euo pipefail
: "${GITLAB_API_TOKEN:?}"
title="apify-webhooks: drift or failing deliveries"
auth=(--header "PRIVATE-TOKEN: $GITLAB_API_TOKEN" --header 'Content-Type: application/json')
api="$CI_API_V4_URL/projects/$CI_PROJECT_ID/issues"
iid="$(curl -fsS "${auth[@]}" "$api?state=opened&labels=apify-webhooks&per_page=100" |
  jq -r --arg t "$title" '[.[] | select(.title == $t)][0].iid // empty')"
payload="$(jq -n --arg t "$title" --rawfile d "$COMMENT_FILE" \
  --arg run "$CI_PIPELINE_URL" '{title: $t, labels: "apify-webhooks", description: ($d + "\n\nSeen in " + $run)}')"
if [ -n "$iid" ]; then
  curl -fsS "${auth[@]}" -X PUT --data "$payload" "$api/$iid" >/dev/null
  echo "Updated issue #$iid."
else
  curl -fsS "${auth[@]}" -X POST --data "$payload" "$api" >/dev/null
  echo "Opened an issue: $title"
fi
