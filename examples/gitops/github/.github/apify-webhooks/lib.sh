# shellcheck shell=bash
# Shared by the apify-webhooks pipeline scripts (sourced, not run). They are plain shell so a
# pipeline and a laptop run the same steps; GitHub-only parts (outputs, the job summary)
# happen only when GitHub's variables are set.
MANIFESTS="${MANIFESTS:-webhooks}"
PLAN_FILE="${PLAN_FILE:-plan.json}"
COMMENT_FILE="${COMMENT_FILE:-plan.md}"

# What plan, drift and status run on: with a project file (apify-webhooks.yaml at the
# repository root, naming every environment's manifests, token and vars) no PATH, so every
# environment is planned in one run and one comment; without one, $MANIFESTS.
# shellcheck disable=SC2034 # used by the scripts that source this file
if [ -f "${PROJECT_FILE:-apify-webhooks.yaml}" ]; then
  TARGETS=()
else
  TARGETS=("$MANIFESTS")
fi

# output NAME VALUE: a step output on GitHub, a line on stderr elsewhere.
output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  else
    printf '%s=%s\n' "$1" "$2" >&2
  fi
}

# summary < TEXT: appended to the job summary on GitHub, to stderr elsewhere.
summary() {
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat >>"$GITHUB_STEP_SUMMARY"
  else
    cat >&2
  fi
}

# The hidden first line that finds this pipeline's comment or issue again.
marker() {
  printf '<!-- apify-webhooks %s: %s -->' "$1" "$MANIFESTS"
}
