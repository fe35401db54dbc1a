#!/usr/bin/env bash
# Pull request, first step: check the manifests offline (no token). Errors become annotations
# on the pull request's diff; run from the repository root so the paths match. `-q` leaves out
# the warnings about unset ${NAME} variables: this step has no secrets; the plan step has them.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
apify-webhooks validate -q --format github "$MANIFESTS"
