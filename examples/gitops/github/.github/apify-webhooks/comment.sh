#!/usr/bin/env bash
# Pull request: post $COMMENT_FILE as the pipeline's single comment on pull request $PR_NUMBER,
# editing the earlier one (found by the marker on its first line) instead of adding another.
# Needs GH_TOKEN with `pull-requests: write`.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
: "${PR_NUMBER:?PR_NUMBER is the pull request number}" "${GITHUB_REPOSITORY:?}"

marker_line="$(head -n 1 "$COMMENT_FILE")"
id="$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" \
  --jq ".[] | select(.body | startswith(\"$marker_line\")) | .id" | head -n 1)"
if [ -n "$id" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F "body=@$COMMENT_FILE" >/dev/null
  echo "Updated the plan comment $id."
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" -F "body=@$COMMENT_FILE" >/dev/null
  echo "Posted the plan comment."
fi
