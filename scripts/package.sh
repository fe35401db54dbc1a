#!/usr/bin/env bash
# Packages one build of apify-webhooks as everything a release ships for its target, into OUT:
#   apify-webhooks-VERSION.tgz            the npm main package (the shim; `npm pack`)
#   apify-webhooks-PLATFORM-VERSION.tgz   the npm platform package holding the binary (`npm pack`)
#   apify_webhooks-VERSION-py3-none-TAG.whl   the PyPI wheel (scripts/wheel.py)
#   apify-webhooks-TARGET.tar.gz (.zip on Windows)   the release archive, named as
#                                         cargo-binstall looks for it, the binary at its root
# Usage: scripts/package.sh OUT [--binary PATH] [--target TRIPLE]
#   Without --binary: the host's release build, target/release/apify-webhooks (built first
#   when missing). Without --target: the host's (rustc -vV), or the binary's when that is known.
# Needs node, npm and python3 (3.11 or newer); nothing is downloaded. Prints OUT's files.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

usage() { echo "usage: scripts/package.sh OUT [--binary PATH] [--target TRIPLE]" >&2; exit 64; }
out='' binary='' target=''
while [ "$#" -gt 0 ]; do
  case "$1" in
    --binary) [ "$#" -ge 2 ] || usage; binary="$2"; shift 2 ;;
    --target) [ "$#" -ge 2 ] || usage; target="$2"; shift 2 ;;
    -*) usage ;;
    *) [ -z "$out" ] || usage; out="$1"; shift ;;
  esac
done
[ -n "$out" ] || usage
for tool in node npm "${PYTHON:-python3}"; do
  command -v "$tool" >/dev/null || { echo "package.sh: $tool is not on PATH" >&2; exit 1; }
done

if [ -z "$target" ]; then
  target="$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')" || true
  [ -n "$target" ] || { echo "package.sh: no rustc to tell the host's target; pass --target" >&2; exit 1; }
fi
exe=apify-webhooks
case "$target" in *windows*) exe=apify-webhooks.exe ;; esac
if [ -z "$binary" ]; then
  binary="$repo/target/release/$exe"
  if [ ! -x "$binary" ]; then
    echo "package.sh: building the release binary first (cargo build --release)..." >&2
    cargo build --locked --release --bin apify-webhooks --manifest-path "$repo/Cargo.toml" >&2
  fi
fi
[ -f "$binary" ] || { echo "package.sh: $binary does not exist" >&2; exit 1; }

mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# npm: the generated package folders, packed (npm pack is offline for packages without a
# prepare script).
node "$repo/npm/generate.js" "$work/npm" --target "$target" --binary "$binary" >"$work/dirs"
while IFS= read -r dir; do
  (cd "$dir" && npm pack --silent --pack-destination "$out" >/dev/null)
done <"$work/dirs"

# PyPI: the wheel.
"${PYTHON:-python3}" "$repo/scripts/wheel.py" --binary "$binary" --target "$target" --out "$out" >/dev/null

# The release archive: the binary and the README at its root.
mkdir "$work/archive"
cp "$binary" "$work/archive/$exe"
cp "$repo/README.md" "$work/archive/"
if [ "$exe" = apify-webhooks.exe ]; then
  (cd "$work/archive" && "${PYTHON:-python3}" -m zipfile -c "$out/apify-webhooks-$target.zip" "$exe" README.md)
else
  tar -czf "$out/apify-webhooks-$target.tar.gz" -C "$work/archive" "$exe" README.md
fi

ls -1 "$out"
