#!/usr/bin/env bash
# Schedule or merge: open one issue titled $ISSUE_TITLE with the body $COMMENT_FILE, or, when an
# open one with that title exists, replace its body and add a comment linking this run.
# Needs GH_TOKEN with `issues: write`.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
: "${ISSUE_TITLE:?}" "${GITHUB_REPOSITORY:?}"
label=apify-webhooks
run_url="${GITHUB_SERVER_URL:-https://github.com}/$GITHUB_REPOSITORY/actions/runs/${GITHUB_RUN_ID:-0}"

gh label create "$label" --repo "$GITHUB_REPOSITORY" --color 5319e7 \
  --description "Opened by the apify-webhooks pipelines" 2>/dev/null || true
number="$(gh issue list --repo "$GITHUB_REPOSITORY" --state open --label "$label" \
  --json number,title --jq ".[] | select(.title == \"$ISSUE_TITLE\") | .number" | head -n 1)"
if [ -n "$number" ]; then
  gh issue edit "$number" --repo "$GITHUB_REPOSITORY" --body-file "$COMMENT_FILE" >/dev/null
  gh issue comment "$number" --repo "$GITHUB_REPOSITORY" --body "Seen again in $run_url" >/dev/null
  echo "Updated issue #$number."
else
  gh issue create --repo "$GITHUB_REPOSITORY" --title "$ISSUE_TITLE" --label "$label" \
    --body-file "$COMMENT_FILE" >/dev/null
  echo "Opened an issue: $ISSUE_TITLE"
fi
